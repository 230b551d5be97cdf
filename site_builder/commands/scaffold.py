"""`portals new`: scaffold a dataset and its two portals (its items, its users) from a file of interactions.

It reads how each file is written (commands.sniff: encoding, separator,
header; Parquet and JSON Lines as they are), then a sample of rows, and
proposes what each column is: the user, the item, the weight (a rating, or a
count such as plays), the time, the item's name; in a catalogue (--items),
the column holding the interactions' item ids, a label, colours, an image.
Files laid out as MovieLens (ratings.csv, movies.csv) or goodbooks-10k
(ratings.csv, books.csv) get their own format. It copies the files into
content/datasets/NAME/, adds the dataset and the portals to site.yml (as
text, so the file's comments stay; a content folder without site.yml gets
one), writes a docs page stub and prints the next steps. site.yml is only
rewritten when the result validates.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from site_builder.commands.own_site import Leftovers, docs_home, set_top_level, site_text, yaml_value
from site_builder.commands.sniff import FileShape, file_shape, read_sample, typed, whole_column
from site_builder.config import CONFIG_NAME, load_config
from site_builder.config.schema import SLUG, named_words
from site_builder.data.readers.generic import parse_date_times
from site_builder.errors import BuildError, Problem
from site_builder.site.paths import SITE_FOLDERS

USER_WORDS = (
    "user",
    "customer",
    "member",
    "visitor",
    "client",
    "reader",
    "listener",
    "reviewer",
    "player",
    "person",
    "uid",
)
ITEM_WORDS = (
    "item",
    "movie",
    "film",
    "book",
    "isbn",
    "product",
    "asin",
    "song",
    "track",
    "artist",
    "album",
    "restaurant",
    "business",
    "place",
    "article",
    "recipe",
    "game",
    "app",
    "anime",
    "iid",
)
RATING_WORDS = ("rating", "score", "stars", "grade", "overall")
COUNT_WORDS = ("count", "plays", "playcount", "listens", "hours", "minutes", "playtime", "quantity", "qty", "times")
WEIGHT_WORDS = (*RATING_WORDS, *COUNT_WORDS, "weight", "value")
TIME_WORDS = ("timestamp", "time", "date", "created", "when", "ts")
LABEL_WORDS = ("title", "name", "label")
IMAGE_WORDS = ("image", "img", "cover", "poster", "thumbnail", "picture", "photo")

# What a column or file name says the points are (singular), and what its users do to them.
NOUNS = {
    "isbn": "book",
    "asin": "product",
    "app": "game",
    "film": "movie",
    "song": "track",
    "business": "place",
    "customer": "customer",
    "member": "member",
    "listener": "listener",
    "reader": "reader",
    "reviewer": "reviewer",
    "player": "player",
    "visitor": "visitor",
}
VERBS = {
    "book": "read",
    "article": "read",
    "track": "played",
    "artist": "played",
    "album": "played",
    "game": "played",
    "anime": "watched",
    "movie": "watched",
    "product": "bought",
    "restaurant": "visited",
    "place": "visited",
    "recipe": "cooked",
}
USER_NOUNS = {"reader", "listener", "customer", "member", "visitor", "client", "reviewer", "player"}

# Known layouts: files named so with these columns get the format that reads all they hold.
LAYOUTS = {
    "movielens-csv": (
        ("ratings.csv", {"userId", "movieId", "rating", "timestamp"}),
        ("movies.csv", {"movieId", "title", "genres"}),
        ("links.csv", "users.csv", "tags.csv"),
    ),
    "goodbooks-10k": (
        ("ratings.csv", {"user_id", "book_id", "rating"}),
        ("books.csv", {"book_id", "title", "authors", "original_publication_year", "language_code", "image_url"}),
        ("to_read.csv", "tags.csv", "book_tags.csv"),
    ),
}
# The items portal of a known layout: label, colour, metadata.
LAYOUT_PORTALS: dict[str, tuple[str, str, list[str]]] = {
    "movielens-csv": ("title", "first_genre", ["year", "genres", "first_genre"]),
    "goodbooks-10k": ("title", "decade", ["authors", "year", "decade", "language"]),
}


@dataclass
class Proposal:
    user: str
    item: str
    weight: str | None = None
    weight_kind: str = "rating"  # or "count" (plays, hours): "Mean plays", not a rating
    not_rated: list[float] = field(default_factory=list)
    timestamp: str | None = None
    item_label: str | None = None  # the interactions file's column naming the items
    item_id: str | None = None  # the items file's column that holds the interactions' item ids
    items_label: str | None = None
    item_columns: list[str] = field(default_factory=list)
    item_image: str | None = None
    header: list[str] | None = None  # names given to the interactions file's columns (no header row)
    items_header: list[str] | None = None
    unmatched: tuple[int, int] = (0, 0)  # interactions whose item the items file lacks, of all

    @property
    def label(self) -> str | None:
        return self.items_label or self.item_label


def _matches(column: str, words) -> bool:
    name = re.sub(r"[^a-z0-9]+", " ", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column)).lower())
    return any(word in name for word in words)


def _is_integer(values: pd.Series) -> bool:
    filled = values.dropna()
    return bool(pd.api.types.is_numeric_dtype(values) and len(filled) and (filled == filled.round()).all())


def _looks_like_unix_times(values: pd.Series) -> bool:
    """Numbers in the range of Unix seconds (1973 to 2096) or milliseconds, mostly distinct."""
    if not _is_integer(values):
        return False
    filled = values.dropna()
    seconds = filled.where(filled < 10**11, filled // 1000)
    return bool(seconds.between(10**8, 4 * 10**9).all() and filled.nunique() > 0.2 * len(filled))


def _looks_like_dates(values: pd.Series) -> bool:
    """Date-time text in nearly every sampled row, read as the build's reader reads it."""
    if pd.api.types.is_numeric_dtype(values):
        return False
    text = values.astype(str)
    if not text.str.contains(r"\d", regex=True).mean() > 0.9:
        return False
    return bool(parse_date_times(text.head(500)).notna().mean() > 0.9)


def _weight_kind(name: str, values: pd.Series) -> str:
    if _matches(name, COUNT_WORDS):
        return "count"
    if _matches(name, RATING_WORDS):
        return "rating"
    filled = values.dropna()
    return "rating" if _is_integer(values) and filled.max() <= 10 or filled.nunique() <= 11 else "count"


def _not_rated(values: pd.Series) -> list[float]:
    """A 0 among ratings of 1 and up that many rows share (Book-Crossing's implicit reads)."""
    filled = values.dropna()
    zeros = filled == 0
    if zeros.mean() >= 0.05 and (filled[~zeros] >= 1).all() and _is_integer(values) and filled.max() <= 10:
        return [0.0]
    return []


CODE = re.compile(r"[0-9a-fA-F-]+|[A-Z0-9_:.-]+")  # hex and UUIDs, ISBNs, ASINs, upper-case codes


def _reads_as_names(values: pd.Series) -> bool:
    """Names, not codes: "Radiohead" or "The Road", not an artist's UUID or an ISBN."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    return bool(len(text) and (~text.str.fullmatch(CODE)).mean() >= 0.8)


def _has_gaps(values: pd.Series) -> bool:
    return bool((values.isna() | (values.astype(str).str.strip() == "")).any())


def _names_one_item(labels: pd.Series, items: pd.Series) -> bool:
    """Text that names the item: nearly every item has one name, and the names are not all one."""
    pairs = pd.DataFrame({"item": items.astype(str), "label": labels.astype(str)})
    pairs = pairs[(pairs["label"] != "") & (pairs["item"] != "") & items.notna().to_numpy()]
    if pairs["label"].nunique() < 2:
        return False
    per_item = pairs.groupby("item")["label"].nunique()
    return bool((per_item == 1).mean() >= 0.9 and pairs["label"].nunique() >= 0.5 * pairs["item"].nunique())


def propose_mapping(interactions: pd.DataFrame, items: pd.DataFrame | None = None, decimal: str = ".") -> Proposal:
    """Guess the roles of the columns: by name, then by position, type and values (numbers written
    with the interactions file's decimal mark)."""
    interactions = typed(interactions, decimal)
    columns = [str(c) for c in interactions.columns]
    interactions.columns = columns
    if len(columns) < 2:
        raise ValueError("an interactions file needs at least two columns: who and what")
    user = next((c for c in columns if _matches(c, USER_WORDS)), columns[0])
    item = next((c for c in columns if c != user and _matches(c, ITEM_WORDS)), next(c for c in columns if c != user))
    rest = [c for c in columns if c not in (user, item)]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(interactions[c])]
    timestamp = next(
        (
            c
            for c in rest
            if (_matches(c, TIME_WORDS) or re.search(r"_(at|on)$", c.lower()))
            and (_looks_like_unix_times(interactions[c]) or _looks_like_dates(interactions[c]))
        ),
        next((c for c in rest if _looks_like_unix_times(interactions[c]) or _looks_like_dates(interactions[c])), None),
    )
    candidates = [c for c in numeric if c != timestamp]
    weight = next((c for c in candidates if _matches(c, WEIGHT_WORDS)), candidates[0] if candidates else None)
    proposal = Proposal(user=user, item=item, weight=weight, timestamp=timestamp)
    if weight:
        proposal.weight_kind = _weight_kind(weight, interactions[weight])
        if proposal.weight_kind == "rating":
            proposal.not_rated = _not_rated(interactions[weight])
    texts = [c for c in rest if c not in (timestamp, weight) and not pd.api.types.is_numeric_dtype(interactions[c])]
    if items is None:
        proposal.item_label = next(
            (
                c
                for c in texts
                if _reads_as_names(interactions[c]) and _names_one_item(interactions[c], interactions[item])
            ),
            None,
        )
        if proposal.item_label and _has_gaps(interactions[item]) and not _has_gaps(interactions[proposal.item_label]):
            # ids missing where the names are not (Last.fm's artists without an id): the names are the items
            proposal.item, proposal.item_label = proposal.item_label, None
    else:
        item_columns = [str(c) for c in items.columns]
        items.columns = item_columns
        proposal.item_id = _id_column(interactions[item], items)
        proposal.items_label = next(
            (c for c in item_columns if c != proposal.item_id and _matches(c, LABEL_WORDS)), None
        )
        proposal.item_image = next(
            (c for c in item_columns if _matches(c, IMAGE_WORDS) and items[c].astype(str).str.match("https?://").any()),
            None,
        )
        proposal.item_columns = [
            c
            for c in item_columns
            if c not in (proposal.items_label, proposal.item_image, proposal.item_id)
            and not _matches(c, IMAGE_WORDS)
            and 1 < items[c].nunique() <= 50
        ]
    return proposal


def _id_column(item_ids: pd.Series, items: pd.DataFrame) -> str:
    """The items file's column that holds most of the interactions' item ids (compared as text), the
    first column when none holds any."""
    wanted = set(_as_text(item_ids.dropna()))
    found = {c: _as_text(items[c].dropna()).isin(wanted).sum() for c in items.columns}
    best = max(found, key=lambda c: (found[c], -list(items.columns).index(c)))
    return best if found[best] > 0 else str(items.columns[0])


def _as_text(values: pd.Series) -> pd.Series:
    """Ids as text the way both files would write them (an integer read as 12.0 is "12")."""
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        values = values.astype("int64")
    return values.astype(str).str.strip()


# ---------------------------------------------------------------- files without a header


def _headerless_names(sample: pd.DataFrame, decimal: str = ".") -> list[str]:
    """Names for the columns of a file without a header row, by what their values look like."""
    frame = sample.copy()
    frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    proposal = propose_mapping(frame, decimal=decimal)
    roles = {proposal.user: "user", proposal.item: "item"}
    if proposal.timestamp:
        roles[proposal.timestamp] = "time"
    if proposal.weight:
        roles[proposal.weight] = "plays" if proposal.weight_kind == "count" else "rating"
    if proposal.item_label:
        roles[proposal.item_label] = "item_name"
    return [roles.get(c, c) for c in frame.columns]


# ---------------------------------------------------------------- what the site calls things


def _noun(text: str, known: tuple[str, ...]) -> str | None:
    words = re.sub(r"[^a-z]+", " ", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()).split()
    for word in words:
        singular = word[:-1] if word.endswith("s") and word[:-1] in known else word
        if singular in known and singular not in ("item", "iid", "uid", "user"):
            return NOUNS.get(singular, singular)
    return None


def propose_words(proposal: Proposal, hints: list[str]) -> dict[str, str]:
    """words: for site.yml, from the columns' and files' names: only what differs from the defaults."""
    item = next((n for n in (_noun(h, ITEM_WORDS) for h in [proposal.item, *hints]) if n), None)
    user = _noun(proposal.user, USER_WORDS)
    words: dict[str, str] = {}
    if item:
        words["item"] = item
    if user in USER_NOUNS:
        words["user"] = user
    if proposal.weight and proposal.weight_kind == "rating" and not proposal.not_rated:
        words["verb"] = "rated"
    elif item in VERBS:
        words["verb"] = VERBS[item]
    if proposal.weight and proposal.weight_kind == "count":
        words["weight"] = re.sub(r"[^a-z0-9]+", " ", proposal.weight.lower()).strip() or "weight"
    return words


# ---------------------------------------------------------------- writing site.yml


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(yaml_value(v) for v in values) + "]"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def dataset_block(
    name: str,
    folder: str,
    interactions: str,
    proposal: Proposal,
    items_file: str | None,
    kind: str,
    text: FileShape,
    words: dict[str, str],
    layout: str | None = None,
    items_text: FileShape | None = None,
) -> str:
    """The dataset's block; `kind`: the interactions file's; `text`: how the dataset's text files are
    written (the interactions file's way), `items_text`: the items file's, when it differs."""
    lines = [
        f"  {name}:",
        f"    format: {layout or kind}",
        f"    path: {folder}",
        "    # Shown in the site's footer: who published the data, and under which licence or terms.",
        f"    description: {yaml_value(f'{name}: {interactions}, added with portals new')}",
        '    licence: ""',
    ]
    if words:
        lines.append("    words: {" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in words.items()) + "}")
    if layout:
        return "\n".join(lines) + "\n"
    lines.append(f"    interactions: {yaml_value(interactions)}")
    lines += _dialect_lines(text, FileShape("csv", encoding="utf-8"), "    ")
    if proposal.header:
        lines.append(f"    header: {_flow(proposal.header)}")
    lines += ["    columns:", f"      user: {yaml_value(proposal.user)}", f"      item: {yaml_value(proposal.item)}"]
    if proposal.weight:
        lines.append(f"      weight: {yaml_value(proposal.weight)}")
    if proposal.not_rated:
        lines.append(f"      not_rated: [{', '.join(_number(v) for v in proposal.not_rated)}]")
    if proposal.timestamp:
        lines.append(f"      timestamp: {yaml_value(proposal.timestamp)}")
    if proposal.item_label:
        lines.append(f"      item_label: {yaml_value(proposal.item_label)}")
    if items_file:
        item_id = proposal.item_id or proposal.item
        lines += ["    items:", f"      file: {yaml_value(items_file)}"]
        if items_text is not None:
            lines += _dialect_lines(items_text, text, "      ")
        if proposal.items_header:
            lines.append(f"      header: {_flow(proposal.items_header)}")
        lines.append(f"      id: {yaml_value(item_id)}")
        if proposal.items_label:
            lines.append(f"      label: {yaml_value(proposal.items_label)}")
        if proposal.item_columns:
            lines.append(f"      columns: {_flow(proposal.item_columns)}")
        if proposal.item_image:
            lines.append(f"      image: {yaml_value(proposal.item_image)}")
        missing, total = proposal.unmatched
        if missing:
            lines.append(
                f"      # {missing:,} of {total:,} interactions name an item that {items_file} lacks: left out"
            )
            lines.append("      unmatched: drop")
    return "\n".join(lines) + "\n"


def _dialect_lines(shape: FileShape, usual: FileShape, indent: str) -> list[str]:
    """The keys that say how a text file is written, where it differs from `usual`."""
    lines = []
    if shape.separator != usual.separator:
        separator = '"\\t"' if shape.separator == "\t" else yaml_value(shape.separator)
        lines.append(f"{indent}separator: {separator}")
    if shape.encoding != "ascii" and shape.encoding != usual.encoding:
        lines.append(f"{indent}encoding: {shape.encoding}")
    if shape.quotes != usual.quotes:
        comment = "  # its double quotes are part of the text" if not shape.quotes else ""
        lines.append(f"{indent}quotes: {'true' if shape.quotes else 'false'}{comment}")
    if shape.decimal != usual.decimal:
        lines.append(f'{indent}decimal: "{shape.decimal}"')
    return lines


def _written(shape: FileShape) -> list[str]:
    """How a text file is written, in words, where it is not the usual way."""
    words = []
    if shape.separator != ",":
        words.append("separator " + repr(shape.separator))
    if shape.encoding not in ("ascii", "utf-8"):
        words.append(f"encoding {shape.encoding}")
    if not shape.quotes:
        words.append("quotes are text")
    if shape.decimal != ".":
        words.append(f"decimal mark {shape.decimal!r}")
    return words


def portal_blocks(name: str, title: str, proposal: Proposal, words: dict[str, str], layout: str | None) -> str:
    """Two portals: the items (NAME) and the users (NAME-users)."""
    named = named_words(words, layout or "")
    items, users, item, verb = named.items, named.users, named.item, named.verb
    items_title, users_title = title, f"{title}: {users}"
    items_about = (
        f"Each {item} is the sequence of the {users} who {verb} it. Neighbours were {verb} by the same {users}."
    )
    users_about = f"Each {named.user} is the sequence of the {items} they {verb}. Neighbours share a taste."
    computed = ["num_ratings"] + (["mean_rating"] if proposal.weight or layout else [])
    colour: str | None
    if layout:
        label, colour, own = LAYOUT_PORTALS[layout]
        metadata = [*own, *computed]
    else:
        label = "label"
        colour = proposal.item_columns[0] if proposal.item_columns else None
        metadata = [*computed, *proposal.item_columns]
    lines = [
        f"  - name: {name}",
        f"    title: {yaml_value(items_title)}",
        f"    description: {yaml_value(items_about)}",
        f"    dataset: {name}",
        "    points: items",
        f"    label: {label}",
    ]
    if colour:
        lines.append(f"    color_by: {yaml_value(colour)}")
    lines.append(f"    metadata: {_flow(metadata)}")
    lines += [
        "",
        f"  - name: {name}-users",
        f"    title: {yaml_value(users_title)}",
        f"    description: {yaml_value(users_about)}",
        f"    dataset: {name}",
        "    points: users",
        "    label: id",
    ]
    user_metadata = ["favourites", *(["leaning"] if colour else []), "num_ratings"]
    if colour:
        lines.append("    color_by: leaning")
    lines.append(f"    metadata: {_flow(user_metadata)}")
    return "\n".join(lines) + "\n"


def insert_into_section(text: str, section: str, block: str) -> str:
    """Append `block` at the end of the top-level `section:` of a YAML text (comments kept)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{section}:\s*(#.*)?$", line)), None)
    if start is None:
        return text.rstrip("\n") + f"\n\n{section}:\n" + block
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[^\s#]", lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:end]) + ("" if lines[end - 1].endswith("\n") else "\n") + block + "".join(lines[end:])


def docs_stub(name: str, title: str, source_file: str, explained: bool = True) -> str:
    """The dataset's docs page, to fill in; `explained`: the docs have how-it-works.md to link to."""
    how = "as described in [how it works](how-it-works.md)" if explained else "with gensim's Word2Vec and fse"
    return textwrap.dedent(f"""\
        # {title}

        This portal maps the items of `{source_file}`: each item is the sequence
        of the users who interacted with it, in time order, turned into a vector
        {how}.

        ## Where the data comes from

        Say who published the data, under which licence, and how to cite it.
        """)


# ---------------------------------------------------------------- reading the files


def _layout(path: Path, columns, items_path: Path | None, items_columns) -> str | None:
    """The known layout both files are in (by their names and header columns), if any."""
    for layout, ((ratings_name, ratings_columns), (items_name, items_wanted), _) in LAYOUTS.items():
        if items_path is None or path.name != ratings_name or items_path.name != items_name:
            continue
        if ratings_columns <= set(columns) and items_wanted <= set(items_columns):
            return layout
    return None


def _text_shapes(shape: FileShape, items_shape: FileShape | None) -> tuple[FileShape, FileShape | None]:
    """How the dataset's text files are written (the interactions file's way, or the items file's
    when only it is text), and the items file's way where it differs: each file is read as it is."""
    texts = [s for s in (shape, items_shape) if s is not None and s.kind == "csv"]
    main = texts[0] if texts else FileShape("csv", encoding="utf-8")
    if main.encoding == "ascii":  # reads the same in any: the items file's, when it has one
        others = [s.encoding for s in texts[1:] if s.encoding != "ascii"]
        main = replace(main, encoding=others[0] if others else "utf-8")
    own = items_shape if items_shape is not None and items_shape.kind == "csv" and items_shape is not main else None
    return main, own if own is not None and not own.same_text(main) else None


def _unmatched(
    path: Path,
    shape: FileShape,
    names: list[str] | None,
    item: str,
    items_path: Path,
    items_shape: FileShape,
    items_names: list[str] | None,
    item_id: str,
) -> tuple[int, int]:
    """How many interactions (of all) name an item the items file lacks, over the whole files."""
    try:
        wanted = _as_text(whole_column(path, shape, item, names))
        known = set(_as_text(whole_column(items_path, items_shape, item_id, items_names)))
    except (ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError):
        return (0, 0)  # the build's reader says what is wrong, with its lines
    return int((~wanted.isin(known)).sum()), len(wanted)


def _read(path: Path) -> tuple[FileShape, pd.DataFrame, list[str] | None]:
    """How a file is written, a sample of its rows, and the names given to its columns when it has
    no header."""
    shape = file_shape(path)
    sample = read_sample(path, shape)
    names = None
    if not shape.has_header:
        names = _headerless_names(sample, shape.decimal)
        sample.columns = names
    return shape, sample, names


def scaffold(
    csv_file: Path,
    content: Path,
    name: str,
    title: str | None = None,
    items_file: Path | None = None,
    *,
    replace_site: bool = False,
    site_title: str | None = None,
    site_description: str | None = None,
) -> list[str]:
    """Do the scaffolding; return the lines of the next steps to print. `replace_site`: the new data
    becomes the whole site (own_site); `site_title`, `site_description`: the site's, set either way."""
    content = Path(content)
    site_file = content / CONFIG_NAME
    if not SLUG.fullmatch(name):
        raise BuildError(Problem("--name", "", f'"{name}" is not a lower-case slug (letters, digits, "-")'))
    if name in SITE_FOLDERS:
        raise BuildError(Problem("--name", "", f'"{name}" is a folder of the site itself; pass another --name'))
    title = title or name.replace("-", " ").capitalize()
    fresh = not site_file.is_file()
    if fresh and content.exists() and not content.is_dir():
        raise BuildError(Problem(content, "", "is a file; --content names the folder that holds site.yml"))
    existing = None if fresh else load_config(content)
    taken = set() if existing is None or replace_site else set(existing.datasets) | {p.name for p in existing.portals}
    if {name, f"{name}-users"} & taken:
        raise BuildError(
            Problem(site_file, "", f'a dataset or portal named "{name}" exists already; pass another --name')
        )

    csv_file, items_path = Path(csv_file), Path(items_file) if items_file else None
    shape, interactions, header = _read(csv_file)
    items_shape, items, items_header = _read(items_path) if items_path else (None, None, None)
    layout = _layout(csv_file, interactions.columns, items_path, items.columns if items is not None else ())
    proposal = propose_mapping(interactions, items, shape.decimal)
    proposal.header, proposal.items_header = header, items_header
    text, items_text = _text_shapes(shape, items_shape)
    if items_path is not None and items_shape is not None and not layout:
        proposal.unmatched = _unmatched(
            csv_file,
            shape,
            header,
            proposal.item,
            items_path,
            items_shape,
            items_header,
            proposal.item_id or proposal.item,
        )
    hints = [csv_file.stem, *([items_path.stem] if items_path else []), name]
    words = propose_words(proposal, hints)
    if layout:
        words = {}  # the format's own

    folder = content / "datasets" / name
    sources = [csv_file] + ([items_path] if items_path else [])
    if layout:
        extras = LAYOUTS[layout][2]
        sources += [csv_file.parent / extra for extra in extras if (csv_file.parent / extra).is_file()]
    to_copy = [
        (source, folder / source.name) for source in sources if source.resolve() != (folder / source.name).resolve()
    ]
    in_the_way = [target for _, target in to_copy if target.exists() or target.is_symlink()]
    if in_the_way:
        raise BuildError(
            [
                Problem(target, "", "exists already and would be replaced; move it away or pass another --name")
                for target in in_the_way
            ]
        )

    original = None if fresh else site_file.read_text(encoding="utf-8")
    if original is None or replace_site:
        start = site_text(site_title or title, site_description)
    else:
        start = original
        for key, value in (("title", site_title), ("description", site_description)):
            if value is not None:
                start = set_top_level(start, key, value)
    updated = insert_into_section(
        start,
        "datasets",
        dataset_block(
            name,
            f"datasets/{name}",
            csv_file.name,
            proposal,
            items_path.name if items_path else None,
            shape.kind,
            text,
            words,
            layout,
            items_text,
        ),
    )
    updated = insert_into_section(updated, "portals", portal_blocks(name, title, proposal, words, layout))
    made_folders = [p for p in (content, content / "datasets", folder) if not p.exists()]
    copied = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in to_copy:
            shutil.copyfile(source, target)
            copied.append(target)
        site_file.write_text(updated, encoding="utf-8")
        config = load_config(content)
    except BaseException:
        # all or nothing: site.yml as it was, and no copies left behind
        if original is None:
            site_file.unlink(missing_ok=True)
        else:
            site_file.write_text(original, encoding="utf-8")
        for target in copied:
            target.unlink(missing_ok=True)
        for made in reversed(made_folders):
            if made.is_dir() and not any(made.iterdir()):
                made.rmdir()
        raise
    docs_page = config.docs / f"{name}.md" if config.docs is not None else None
    removed: list[str] = []
    if replace_site and existing is not None:
        leftovers = Leftovers.of(existing, content, keep={folder, *([docs_page] if docs_page else [])})
        removed = leftovers.describe(content)
        leftovers.remove()
        if config.docs is not None and config.docs.is_dir():
            named = named_words(words, layout or "")
            home = docs_home(site_title or title, site_description, name, named.items, named.users)
            (config.docs / "index.md").write_text(home, encoding="utf-8")
    if docs_page is not None and docs_page.exists():
        docs_page = None  # the user's page stays as it is
    if docs_page is not None:
        explained = config.docs is not None and (config.docs / "how-it-works.md").is_file()
        docs_page.write_text(docs_stub(name, title, csv_file.name, explained), encoding="utf-8")
    steps = _next_steps(name, site_file, proposal, text, items_text, layout, copied, docs_page, fresh or replace_site)
    return steps[:1] + removed + steps[1:]


def _next_steps(
    name: str,
    site_file: Path,
    proposal: Proposal,
    text: FileShape,
    items_text: FileShape | None,
    layout: str | None,
    copied: list[Path],
    docs_page: Path | None,
    fresh: bool,
) -> list[str]:
    if layout:
        mapping = f"format {layout}: its reader knows the columns"
    else:
        weight = proposal.weight or "(none: every interaction counts 1)"
        if proposal.weight and proposal.weight_kind == "count":
            weight += " (a count: shown as a mean, not used to train)"
        if proposal.not_rated:
            weight += f", {', '.join(_number(v) for v in proposal.not_rated)} = not rated"

        mapping = (
            f"user = {proposal.user}, item = {proposal.item}, weight = {weight}, "
            f"time = {proposal.timestamp or '(none: file order)'}, "
            f"name = {proposal.label or '(none: the id)'}"
        )
        written = _written(text)
        if items_text is not None:
            written.append("the items file " + (", ".join(_written(items_text)) or "comma-separated UTF-8"))
        if proposal.header:
            written.append("no header row, columns named " + ", ".join(proposal.header))
        if proposal.unmatched[0]:
            written.append(f"{proposal.unmatched[0]:,} interactions name items the catalogue lacks (left out)")
        if written:
            mapping += "; file: " + ", ".join(written)
    return [
        f'{"Wrote" if fresh else "Added to"} {site_file}: dataset "{name}", '
        f'portals "{name}" and "{name}-users" ({mapping}).',
        *(f"Copied {path}" for path in copied),
        *([f"Wrote the docs page stub {docs_page}: say where the data comes from."] if docs_page else []),
        "Next steps:",
        f"  1. In {site_file}: check the proposed columns, give the site its title and description,",
        "     and say in the dataset's description and licence who published the data.",
        "  2. Build: ./portals.sh build --strict",
        "  3. Preview: ./portals.sh serve, then open http://127.0.0.1:8000/ (it rebuilds as you edit)",
        "  4. On GitHub: Settings > Pages > Source: GitHub Actions (once per repository).",
        "  5. Commit and push to main: the Deploy site workflow publishes the site.",
    ]

"""`portals new`: scaffold a portal for a new dataset from a CSV file of interactions.

It reads the file's header and a sample of rows, proposes which columns are
the user, the item, the weight and the time (by name first, then by type),
copies the file into content/datasets/NAME/, adds a dataset and a portal to
site.yml (as text, so the file's comments stay), writes a docs page stub and
prints the next steps. site.yml is only rewritten when the result validates.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from site_builder.config import CONFIG_NAME, load_config
from site_builder.config.schema import SLUG
from site_builder.errors import BuildError, Problem
from site_builder.site.paths import SITE_FOLDERS

SAMPLE_ROWS = 5000
USER_WORDS = ("user", "customer", "member", "visitor", "client", "reader", "listener", "reviewer", "person", "uid")
ITEM_WORDS = (
    "item",
    "movie",
    "film",
    "book",
    "product",
    "song",
    "track",
    "artist",
    "restaurant",
    "business",
    "place",
    "isbn",
    "asin",
    "article",
    "recipe",
    "game",
    "anime",
    "iid",
)
WEIGHT_WORDS = ("rating", "score", "stars", "weight", "count", "plays", "value", "grade")
TIME_WORDS = ("timestamp", "time", "date", "created", "when", "ts")
LABEL_WORDS = ("title", "name", "label")
IMAGE_WORDS = ("image", "img", "cover", "poster", "thumbnail", "picture", "photo")


@dataclass
class Proposal:
    user: str
    item: str
    weight: str | None = None
    timestamp: str | None = None
    item_id: str | None = None  # the items file's column that holds the interactions' item ids
    item_label: str | None = None
    item_columns: list[str] = field(default_factory=list)
    item_image: str | None = None


def _matches(column: str, words) -> bool:
    name = re.sub(r"[^a-z0-9]+", " ", column.lower())
    return any(word in name for word in words)


def _looks_like_times(values: pd.Series) -> bool:
    """Date-time text, such as 2024-03-01T12:00:00Z, in nearly every sampled row."""
    if pd.api.types.is_numeric_dtype(values):
        return False
    parsed = pd.to_datetime(values.astype(str), errors="coerce", utc=True, format="mixed")
    return bool(parsed.notna().mean() > 0.9)


def propose_mapping(interactions: pd.DataFrame, items: pd.DataFrame | None = None) -> Proposal:
    """Guess the roles of the columns: by name, then by position and type."""
    columns = list(interactions.columns)
    if len(columns) < 2:
        raise ValueError("an interactions file needs at least two columns: who and what")
    user = next((c for c in columns if _matches(c, USER_WORDS)), columns[0])
    item = next((c for c in columns if c != user and _matches(c, ITEM_WORDS)), next(c for c in columns if c != user))
    rest = [c for c in columns if c not in (user, item)]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(interactions[c])]
    timestamp = next(
        (c for c in rest if _matches(c, TIME_WORDS) or re.search(r"_(at|on)$", c.lower())),
        next((c for c in rest if _looks_like_times(interactions[c])), None),
    )
    weight = next((c for c in numeric if c != timestamp and _matches(c, WEIGHT_WORDS)), None)
    proposal = Proposal(user=user, item=item, weight=weight, timestamp=timestamp)
    if items is not None:
        item_columns = list(items.columns)
        proposal.item_id = _id_column(interactions[item], items)
        proposal.item_label = next(
            (c for c in item_columns if c != proposal.item_id and _matches(c, LABEL_WORDS)), None
        )
        proposal.item_image = next((c for c in item_columns if _matches(c, IMAGE_WORDS)), None)
        proposal.item_columns = [
            c
            for c in item_columns
            if c not in (proposal.item_label, proposal.item_image, proposal.item_id) and 1 < items[c].nunique() <= 50
        ]
    return proposal


def _id_column(item_ids: pd.Series, items: pd.DataFrame) -> str:
    """The items file's column that holds most of the interactions' item ids (compared as text), the
    first column when none holds any."""
    wanted = set(item_ids.dropna().astype(str).str.strip())
    found = {c: items[c].dropna().astype(str).str.strip().isin(wanted).sum() for c in items.columns}
    best = max(found, key=lambda c: (found[c], -list(items.columns).index(c)))
    return best if found[best] > 0 else str(items.columns[0])


def _read_sample(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, nrows=SAMPLE_ROWS, encoding="utf-8")
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError) as error:
        raise BuildError(Problem(path, "", f"could not be read as a UTF-8 CSV file with a header row: {error}"))


def _yaml_value(value: str) -> str:
    """A scalar that YAML reads back as the same string."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .-]*", value) and value.lower() not in (
        "yes",
        "no",
        "true",
        "false",
        "null",
        "on",
        "off",
    ):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dataset_block(name: str, folder: str, interactions: str, proposal: Proposal, items_file: str | None) -> str:
    lines = [
        f"  {name}:",
        "    format: csv",
        f"    path: {folder}",
        f"    interactions: {_yaml_value(interactions)}",
        "    columns:",
        f"      user: {_yaml_value(proposal.user)}",
        f"      item: {_yaml_value(proposal.item)}",
    ]
    if proposal.weight:
        lines.append(f"      weight: {_yaml_value(proposal.weight)}")
    if proposal.timestamp:
        lines.append(f"      timestamp: {_yaml_value(proposal.timestamp)}")
    if items_file:
        item_id = proposal.item_id or proposal.item
        lines += ["    items:", f"      file: {_yaml_value(items_file)}", f"      id: {_yaml_value(item_id)}"]
        if proposal.item_label:
            lines.append(f"      label: {_yaml_value(proposal.item_label)}")
        if proposal.item_columns:
            lines.append("      columns: [" + ", ".join(_yaml_value(c) for c in proposal.item_columns) + "]")
        if proposal.item_image:
            lines.append(f"      image: {_yaml_value(proposal.item_image)}")
    return "\n".join(lines) + "\n"


def portal_block(name: str, title: str, proposal: Proposal) -> str:
    colour = proposal.item_columns[0] if proposal.item_columns else None
    metadata = ["num_ratings", *proposal.item_columns]
    lines = [
        f"  - name: {name}",
        f"    title: {_yaml_value(title)}",
        "    description: Each point is one item, described by the users who interacted with it.",
        f"    dataset: {name}",
        "    points: items",
        "    label: label",
    ]
    if colour:
        lines.append(f"    color_by: {_yaml_value(colour)}")
    lines.append("    metadata: [" + ", ".join(_yaml_value(c) for c in metadata) + "]")
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


def docs_stub(name: str, title: str, source_file: str) -> str:
    return textwrap.dedent(f"""\
        # {title}

        This portal maps the items of `{source_file}`: each item is the sequence
        of the users who interacted with it, in time order, turned into a vector
        as described in [how it works](how-it-works.md).

        ## Where the data comes from

        Say who published the data, under which licence, and how to cite it.
        """)


def scaffold(
    csv_file: Path, content: Path, name: str, title: str | None = None, items_file: Path | None = None
) -> list[str]:
    """Do the scaffolding; return the lines of the next steps to print."""
    content = Path(content)
    site_file = content / CONFIG_NAME
    if not site_file.is_file():
        raise BuildError(
            Problem(
                site_file,
                "",
                "no site configuration here; run `portals new` from the repository root or pass --content",
            )
        )
    if not SLUG.fullmatch(name):
        raise BuildError(Problem("--name", "", f'"{name}" is not a lower-case slug (letters, digits, "-")'))
    if name in SITE_FOLDERS:
        raise BuildError(Problem("--name", "", f'"{name}" is a folder of the site itself; pass another --name'))
    existing = load_config(content)
    if name in existing.datasets or name in {p.name for p in existing.portals}:
        raise BuildError(
            Problem(site_file, "", f'a dataset or portal named "{name}" exists already; pass another --name')
        )

    interactions = _read_sample(Path(csv_file))
    items = _read_sample(Path(items_file)) if items_file else None
    proposal = propose_mapping(interactions, items)

    folder = content / "datasets" / name
    sources = [Path(csv_file)] + ([Path(items_file)] if items_file else [])
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

    title = title or name.replace("-", " ").capitalize()
    original = site_file.read_text(encoding="utf-8")
    updated = insert_into_section(
        original,
        "datasets",
        dataset_block(
            name, f"datasets/{name}", Path(csv_file).name, proposal, Path(items_file).name if items_file else None
        ),
    )
    updated = insert_into_section(updated, "portals", portal_block(name, title, proposal))
    made_folder = not folder.exists()
    copied = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in to_copy:
            shutil.copyfile(source, target)
            copied.append(target)
        site_file.write_text(updated, encoding="utf-8")
        load_config(content)
    except BaseException:
        # all or nothing: site.yml as it was, and no copies left behind
        site_file.write_text(original, encoding="utf-8")
        for target in copied:
            target.unlink(missing_ok=True)
        if made_folder and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise
    docs_page = existing.docs / f"{name}.md" if existing.docs is not None else None
    if docs_page is not None and docs_page.exists():
        docs_page = None  # the user's page stays as it is
    if docs_page is not None:
        docs_page.write_text(docs_stub(name, title, Path(csv_file).name), encoding="utf-8")

    mapping = (
        f"user = {proposal.user}, item = {proposal.item}, "
        f"weight = {proposal.weight or '(none: every interaction counts 1)'}, "
        f"time = {proposal.timestamp or '(none: file order)'}"
    )
    return [
        f'Added dataset and portal "{name}" to {site_file} ({mapping}).',
        *(f"Copied {path}" for path in copied),
        *([f"Wrote the docs page stub {docs_page}: say where the data comes from."] if docs_page else []),
        "Next steps:",
        f"  1. Check the proposed columns in {site_file}, then build: ./portals.sh build --strict",
        "  2. Preview: ./portals.sh serve, then open http://127.0.0.1:8000/",
        "  3. On GitHub: Settings > Pages > Source: GitHub Actions (once per repository).",
        "  4. Optional, for TMDB posters: Settings > Secrets and variables > Actions > New secret TMDB_API_KEY.",
        "  5. Commit and push to main: the Deploy site workflow publishes the site.",
    ]

"""The schema of content/site.yml: typed settings with their defaults and checks.

Unknown keys are errors (pydantic's extra="forbid"); load.py reads the file,
validates it against these models and reports every problem at once.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from site_builder.config.lines import where as key_where
from site_builder.errors import clip
from site_builder.site.paths import SITE_FOLDERS

CONFIG_NAME = "site.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Word2VecSettings(_Strict):
    """gensim Word2Vec settings for the tokens (the other side's ids).

    `auto` (embeddings.resolve_word2vec) follows the order of the sentences and
    the size of the corpus: the settings that suit 100,000 interactions in a
    telling time order would take hours on 32 million, and lose the tastes
    where the time order says nothing.
    """

    vector_size: int = Field(100, ge=2, le=1024)
    window: Annotated[int, Field(ge=1, le=10_000)] | Literal["auto"] = "auto"
    epochs: Annotated[int, Field(ge=1, le=1000)] | Literal["auto"] = "auto"
    sg: Literal[0, 1, "auto"] = "auto"
    min_count: int = Field(1, ge=1)
    negative: int = Field(5, ge=1, le=100)
    ns_exponent: float = Field(0.75, ge=-2.0, le=2.0)
    sample: Annotated[float, Field(ge=0.0, le=1.0)] | Literal["auto"] = "auto"
    alpha: Annotated[float, Field(gt=0.0, le=1.0)] | Literal["auto"] = "auto"
    seed: int = 42
    workers: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = "auto"


class SentenceSettings(_Strict):
    """fse sentence-embedding settings that turn a point's tokens into its vector."""

    model: Literal["sif", "usif", "average"] = "usif"
    # SIF: weight a / (a + p(token)); uSIF computes its own weights from `length`.
    sif_alpha: float = Field(0.001, gt=0.0, le=1.0)
    # uSIF: the average sentence length; null means measured on the data.
    length: int | None = Field(None, ge=1)
    # Common components removed; null means the model's default (SIF 1, uSIF 5, Average 0).
    components: int | None = Field(None, ge=0, le=50)


class EmbeddingSettings(_Strict):
    word2vec: Word2VecSettings = Word2VecSettings()
    sentence: SentenceSettings = SentenceSettings()
    # Order of each point's tokens for Word2Vec: `time` (as they happened), `shuffled` (drawn
    # afresh for every epoch, from word2vec.seed), or `auto`: time where the data's time order
    # tells something of taste, shuffled where it does not (embeddings.choose_order).
    order: Literal["auto", "time", "shuffled"] = "auto"
    # Leave out interactions whose rating is below this; null keeps them all.
    min_rating: float | None = None


class SpriteSettings(_Strict):
    """Sprite sheet for the projector: a square grid of square cells."""

    max_cell: int = Field(128, ge=8, le=1024)
    max_sheet: int = Field(8192, ge=64, le=8192)
    # webp (lossless), png, jpeg, or auto: the smaller of lossless WebP and JPEG (at `jpeg_quality`).
    format: Literal["auto", "webp", "png", "jpeg"] = "auto"
    jpeg_quality: int = Field(85, ge=30, le=100)


class LocalImages(_Strict):
    """Image files named by the point's id (e.g. 42.jpg) in a folder of the content."""

    folder: Path
    extensions: list[str] = ["jpg", "jpeg", "png", "webp", "gif"]


class UrlColumnImages(_Strict):
    """A column of the point table that holds each point's image URL."""

    column: str


class TmdbImages(_Strict):
    """Posters from The Movie Database, by a TMDB id column or by title and year."""

    # A column with TMDB movie ids (MovieLens links.csv: tmdbId); null: search by title and year.
    id_column: str | None = "tmdbId"
    title_column: str = "title"
    year_column: str | None = "year"
    # Name of the environment variable holding the API key (never written anywhere).
    api_key_env: str = "TMDB_API_KEY"
    api_base: str = "https://api.themoviedb.org/3"
    image_base: str = "https://image.tmdb.org/t/p/w185"


class ImageSource(_Strict):
    """One image source; exactly one of its keys is set."""

    local: LocalImages | None = None
    url_column: UrlColumnImages | None = None
    tmdb: TmdbImages | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        chosen = [name for name in ("local", "url_column", "tmdb") if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError("each image source sets exactly one of: local, url_column, tmdb")
        return self


class ImageSettings(_Strict):
    """Where a portal's pictures come from; a generated card stands in for any point without one."""

    # Tried in order for each point; empty: every point gets a generated card.
    sources: list[ImageSource] = []
    fit: Literal["letterbox", "crop"] = "letterbox"
    fill: str = Field("#282828", pattern=r"^#[0-9a-fA-F]{6}$")


class DownloadSettings(_Strict):
    """How images are downloaded (one HTTP session for the whole build)."""

    concurrency: int = Field(8, ge=1, le=64)
    requests_per_second: float = Field(20.0, gt=0)
    connect_timeout: float = Field(5.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff: float = Field(0.5, ge=0)
    max_bytes: int = Field(5_000_000, ge=1024)
    max_pixels: int = Field(40_000_000, ge=1)
    # How long a 404 is remembered, so a rebuild does not ask again.
    missing_ttl_hours: float = Field(168.0, ge=0)
    user_agent: str = "projector-portals/0.1 (static site builder for embedding maps)"


class RecommendationSettings(_Strict):
    """The portal's recommendation page: neighbours, taste queries, evaluation figures."""

    # Neighbours listed per point (top-k cosine, computed at build time).
    k: int = Field(12, ge=1, le=100)
    # How the vectors ship to the page for taste queries: float16 or int8 (smaller, a little lossier).
    vectors: Literal["float16", "int8"] = "int8"
    # Show `portals evaluate` figures on the page's "About this map" panel (items portals only).
    show_evaluation: bool = False


class LayoutSettings(_Strict):
    """Layouts computed at build time, so the projector opens on a finished map."""

    # Which precomputed layouts to offer; the first one is shown when the projector opens.
    umap: list[Literal["3d", "2d"]] = ["3d", "2d"]
    n_neighbors: int = Field(15, ge=2, le=200)
    min_dist: float = Field(0.1, ge=0.0, le=1.0)
    metric: Literal["cosine", "euclidean"] = "cosine"
    seed: int = 42


class Words(_Strict):
    """What the site calls the data's points and what joins them, in its sentences and column titles.

    The plurals default to the singular plus "s" (or "es", "ies"); `verb` is the past tense
    that reads in "the users who {verb} it" and "the items they {verb}".
    """

    item: str = Field("item", min_length=1, max_length=40)
    items: str | None = Field(None, min_length=1, max_length=40)
    user: str = Field("user", min_length=1, max_length=40)
    users: str | None = Field(None, min_length=1, max_length=40)
    verb: str = Field("interacted with", min_length=1, max_length=40)
    # what the weight column holds, in "Mean {weight}" (mean_rating's title)
    weight: str = Field("rating", min_length=1, max_length=40)


@dataclass(frozen=True)
class Named:
    """A dataset's words with every one worked out (DatasetConfig.named, named_words): Words'
    defaults and the format's, plurals included."""

    item: str
    items: str
    user: str
    users: str
    verb: str
    weight: str


def plural(noun: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    return noun + "s"


def named_words(given: dict[str, str], format_name: str = "") -> Named:
    """Named from the words site.yml gives (or a scaffold proposes), over the format's defaults."""
    words = Words(**{**FORMAT_WORDS.get(format_name, {}), **given})
    return Named(
        item=words.item,
        items=words.items or plural(words.item),
        user=words.user,
        users=words.users or plural(words.user),
        verb=words.verb,
        weight=words.weight,
    )


# What the fixed formats' data is, where site.yml does not say.
FORMAT_WORDS = {
    "movielens-csv": {"item": "movie", "verb": "rated"},
    "movielens-1m": {"item": "movie", "verb": "rated"},
    "movielens-100k": {"item": "movie", "verb": "rated"},
    "goodbooks-10k": {"item": "book", "user": "reader", "verb": "rated"},
}


DATASET_FORMATS = ("movielens-csv", "movielens-1m", "movielens-100k", "goodbooks-10k", "csv", "parquet", "jsonl")
GENERIC_FORMATS = ("csv", "parquet", "jsonl")

# A file without a header row: the names of its columns, in order.
Header = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=2)]


class InteractionColumns(_Strict):
    """Generic formats: which columns of the interactions file mean what."""

    user: str
    item: str
    weight: str | None = None
    timestamp: str | None = None
    # the item's name, when the interactions file itself names its items (and no items table does)
    item_label: str | None = None
    # weights that mean "not rated" (Book-Crossing's 0): the interaction counts, its weight does not
    not_rated: list[float] = []

    @model_validator(mode="after")
    def _not_rated_needs_weight(self):
        if self.not_rated and self.weight is None:
            raise ValueError("`not_rated` lists weights, so it needs `weight`")
        return self


def _one_byte_separator(value: str | None) -> str | None:
    if value is not None and (value in ('"', "\n", "\r") or not value.isascii() or len(value) != 1):
        raise ValueError('expected one ASCII character such as ",", ";", "|" or "\\t" (a tab), not a quote or newline')
    return value


def _readable_encoding(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise ValueError(f"{clip(value)} is not an encoding Python knows; for example utf-8, latin-1 or cp1252")
    if info.name.startswith(("utf-16", "utf-32")):
        raise ValueError("UTF-16 and UTF-32 files are not read; save the file as UTF-8")
    return value


def _decimal_not_separator(separator: str, decimal: str, where: str) -> None:
    if separator == decimal:
        raise ValueError(f'{where}separator and decimal mark are both "{separator}"; a number could not be told apart')


class SideTable(_Strict):
    """Generic formats: an optional table describing the items (or the users)."""

    file: Path  # inside the dataset folder
    header: Header | None = None  # for a CSV file without a header row
    # how this file is written where it differs from the interactions file (the dataset's keys)
    separator: str | None = None
    encoding: str | None = None
    quotes: bool | None = None
    decimal: Literal[".", ","] | None = None
    id: str  # the column matching the interactions' item (or user) column
    label: str | None = None  # copied into a column named `label`
    columns: list[str] = []  # more columns to keep, for metadata and colouring
    image: str | None = None  # a column of image URLs, copied into a column named `image_url`
    # interactions naming an id this table lacks: each one a problem with its line, or left out
    unmatched: Literal["error", "drop"] = "error"

    _one_byte = field_validator("separator")(_one_byte_separator)
    _known_encoding = field_validator("encoding")(_readable_encoding)


class DatasetConfig(_Strict):
    format: Literal[DATASET_FORMATS]
    # A folder (or, for csv/parquet, a file) inside the content folder ...
    path: Path | None = None
    # ... or an archive or file downloaded once, checked against its sha256.
    url: str | None = None
    sha256: str | None = None
    # Where the publisher only gives an MD5 (GroupLens does), it may stand in for sha256.
    md5: str | None = None

    @field_validator("sha256", "md5", mode="before")
    @classmethod
    def _quoted_digest(cls, value, info):
        # YAML reads an all-digit checksum as a number (and may drop its leading zeros)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f'YAML read this checksum as a number; write it in quotes: {info.field_name}: "..."')
        return value

    @field_validator("sha256", "md5")
    @classmethod
    def _hex_digest(cls, value: str | None, info) -> str | None:
        length = 64 if info.field_name == "sha256" else 32
        if value is not None and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            raise ValueError(
                f"expected {length} hexadecimal digits; compute it on a machine with internet "
                f"access with: curl -sL URL | {info.field_name}sum"
            )
        return value

    # For archives: the folder inside it that holds the files (default: its single top folder).
    folder: str | None = None
    # Who published the data and what it holds, shown in the landing page's footer.
    description: str = ""
    # The data's licence or terms of use, and a page about the data (both shown with the description).
    licence: str = ""
    homepage: str | None = None
    # What the points are called on the site (default: by format, else item, user, interacted with).
    words: Words | None = None
    # csv, parquet and jsonl only:
    interactions: Path | None = None  # file inside the dataset folder
    # how the interactions file (and the side tables, unless they say otherwise) is written: one
    # separator character, an encoding (Python's name), for a file without a header row its column
    # names, whether it quotes its fields (else a double quote is part of the text), its decimal mark
    separator: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    header: Header | None = None
    quotes: bool = True
    decimal: Literal[".", ","] = "."
    columns: InteractionColumns | None = None
    items: SideTable | None = None
    users: SideTable | None = None

    _one_byte = field_validator("separator")(_one_byte_separator)
    _known_encoding = field_validator("encoding")(_readable_encoding)

    @property
    def named(self) -> Named:
        """The words, with the format's defaults where site.yml gives none."""
        return named_words(self.words.model_dump(exclude_unset=True) if self.words else {}, self.format)

    @field_validator("homepage")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"{clip(value)} is not a web address; write it as https://...")
        return value

    def checksum(self) -> tuple[str, str]:
        """("sha256", hex) or ("md5", hex): what a download is checked against."""
        return ("sha256", self.sha256.lower()) if self.sha256 else ("md5", self.md5.lower())

    @model_validator(mode="after")
    def _where_from(self):
        if (self.path is None) == (self.url is None):
            raise ValueError("set either `path` (a local folder) or `url` with `sha256`, not both")
        if self.url is None and (self.sha256 or self.md5 or self.folder):
            raise ValueError("`sha256`, `md5` and `folder` go with `url`")
        if self.url is not None and self.sha256 is None and self.md5 is None:
            raise ValueError(
                "a dataset with a `url` needs its `sha256` (or the publisher's `md5`), so a changed download is noticed"
            )
        generic = self.format in GENERIC_FORMATS
        if generic and self.columns is None:
            raise ValueError(f"format {self.format} needs `columns` (user, item, and optionally weight, timestamp)")
        written = {"separator": ",", "encoding": "utf-8", "header": None, "quotes": True, "decimal": "."}
        if not generic and (
            any(v is not None for v in (self.interactions, self.columns, self.items, self.users))
            or any(getattr(self, key) != value for key, value in written.items())
        ):
            raise ValueError(
                "`interactions`, `columns`, `items`, `users`, `separator`, `encoding`, `header`, `quotes` and "
                f"`decimal` are for the csv, parquet and jsonl formats, not {self.format}"
            )
        _decimal_not_separator(self.separator, self.decimal, "")
        for key, side in (("items", self.items), ("users", self.users)):
            if side is not None:
                _decimal_not_separator(side.separator or self.separator, side.decimal or self.decimal, f"{key}: ")
        return self


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PortalConfig(_Strict):
    name: str
    title: str
    description: str = ""
    dataset: str
    points: Literal["items", "users"]
    label: str
    color_by: str | None = None
    metadata: list[str] = []
    embedding: EmbeddingSettings = EmbeddingSettings()
    sprite: SpriteSettings = SpriteSettings()
    images: ImageSettings = ImageSettings()
    recommendations: RecommendationSettings = RecommendationSettings()
    layouts: LayoutSettings = LayoutSettings()

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("a lower-case slug (letters, digits, '-'), used in URLs")
        if value in SITE_FOLDERS:
            raise ValueError(f'"{value}" is a folder of the site itself; choose another name')
        return value

    @property
    def opening_colours(self) -> str | None:
        """The column the map opens coloured by. The projector multiplies each picture by its
        point's colour, which suits the white cards but not photographs: a portal with image
        sources opens uncoloured (its `color_by` stays one choice away, in the map's menu)."""
        return None if self.images.sources else self.color_by

    @property
    def picks_colours(self) -> bool:
        """A portal that names no `color_by` and shows no photographs opens coloured by its most
        telling category (model.regions.most_telling), a portal of users also by its `leaning`."""
        return self.color_by is None and not self.images.sources

    @property
    def neighbours_to_search(self) -> int:
        """How many neighbours per point the build searches once: the recommendations' k, or the
        cosine UMAP graph's n_neighbors - 1 (umap counts the point itself), whichever is more."""
        layouts = self.layouts
        graph = layouts.n_neighbors - 1 if layouts.umap and layouts.metric == "cosine" else 0
        return max(self.recommendations.k, graph)

    @model_validator(mode="after")
    def _evaluation_needs_items(self):
        if self.recommendations.show_evaluation and self.points != "items":
            raise ValueError(
                "recommendations.show_evaluation measures item-to-item recommendations, "
                "so it needs `points: items`; remove it from this portal of users"
            )
        return self


class SiteConfig(_Strict):
    title: str
    description: str = ""
    base_url: str | None = None
    # The docs pages' folder in the content folder; false (or null) for a site without docs.
    # load_config resolves it, or sets None when the site has no docs.
    docs: Path | None = Path("docs")
    download: DownloadSettings = DownloadSettings()
    # Memory the build may use; null means what the machine has available (site_builder.model.memory).
    max_memory_gb: float | None = Field(None, gt=0)
    datasets: dict[str, DatasetConfig]
    portals: list[PortalConfig] = Field(min_length=1)

    @field_validator("docs", mode="before")
    @classmethod
    def _docs_folder(cls, value):
        if value is False or value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("expected a folder name, or false for a site without docs")
        return value

    # Set by load_config, never read from the file.
    _content_dir: Path = PrivateAttr(Path("."))
    _config_file: Path = PrivateAttr(Path(CONFIG_NAME))
    _root_node: object = PrivateAttr(None)  # the file's YAML nodes, for the lines of keys

    @property
    def content_dir(self) -> Path:
        return self._content_dir

    @property
    def config_file(self) -> Path:
        return self._config_file

    def where(self, *loc: str | int) -> str:
        """'portals[0].label (line 12)': a key of the file and its line, for a message."""
        return key_where(self._root_node, loc)


# What a site URL may hold: a host (and port), then a path of URL characters. No quotes, angle
# brackets, backslashes, spaces or control characters: the URL is written into pages and configs.
_URL_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_URL_PATH = re.compile(r"(?:/[A-Za-z0-9._~!$&()*+,;=:@%-]*)*")


def normalise_base_url(value: str) -> str:
    """Check a site URL such as https://user.github.io/repo, and give it without a trailing slash."""
    shown = clip(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        suggestion = f"https://{value.lstrip('/')}".rstrip("/") if "://" not in value else "https://USER.github.io/REPO"
        if not _URL_PATH.fullmatch("/" + suggestion.removeprefix("https://")):
            suggestion = "https://USER.github.io/REPO"
        raise ValueError(f"{shown} is not an absolute URL: write it with its scheme, e.g. {suggestion}")
    if not _URL_HOST.fullmatch(parts.netloc) or not _URL_PATH.fullmatch(parts.path) or "?" in value or "#" in value:
        bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c in "/:._~!$&()*+,;=@%-"))})
        if bad or "?" in value or "#" in value:
            what = ", ".join(repr(c) for c in bad) or "a query or fragment"
            raise ValueError(
                f"{shown} holds characters a site URL cannot have ({what}); "
                "write it as https://HOST/PATH, e.g. https://USER.github.io/REPO"
            )
        raise ValueError(
            f"{shown} is not a well-formed site URL; write it as https://HOST/PATH, e.g. https://USER.github.io/REPO"
        )
    # the address bar shows https://user.github.io/repo/: the same site, and pages are joined with "/"
    return value.rstrip("/")

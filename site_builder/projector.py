"""Stage 6: the Embedding Projector's files for one portal, and its front end.

Formats as the projector (tensorboard 2.21.0, demo mode) reads them:
- tensors.bytes: raw little-endian float32, row-major N x D. The projector
  reads it as binary only when the path ends in ".bytes" (no query string),
  takes D from tensorShape and infers N from the byte count.
- metadata.tsv: a header row when there is more than one column; no quoting,
  so tabs and line breaks inside values are replaced by spaces. The label
  column comes first: the projector labels points by the first non-numeric
  column.
- the config JSON: paths relative to the HTML page (not to the config file)
  for the self-hosted projector, absolute URLs for projector.tensorflow.org.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib.metadata import distribution
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

TENSORS = "tensors.bytes"
METADATA = "metadata.tsv"
CONFIG = "projector_config.json"
ONLINE_CONFIG = "projector_config.online.json"
ONLINE_PROJECTOR = "https://projector.tensorflow.org/"

_BREAKING = re.compile(r"[\t\r\n]+")


def tensor_bytes(vectors: np.ndarray) -> bytes:
    return np.ascontiguousarray(vectors, dtype="<f4").tobytes()


def metadata_columns(label: str, metadata: list[str], color_by: str | None = None) -> list[str]:
    """Label first (the projector's default label), then `id`, the metadata, and the
    colour-by column (so the projector can colour by it too), without repeats."""
    columns: list[str] = []
    for name in [label, "id", *metadata, *([color_by] if color_by else [])]:
        if name not in columns:
            columns.append(name)
    return columns


def metadata_tsv(table: pd.DataFrame, columns: list[str]) -> str:
    """The metadata file: one row per point, in point order."""
    lines = ["\t".join(columns)] if len(columns) > 1 else []
    cleaned = [table[name].map(_cell).tolist() for name in columns]
    lines.extend("\t".join(row) for row in zip(*cleaned))
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _BREAKING.sub(" ", str(value)).strip()


# ---------------------------------------------------------------- the projector's colours


# The projector colours a category with d3's category10 palette in this order (its own
# permutation: entry i is category10[3 * i % 10]), in the order the categories are listed, and
# cycles after ten; a number column runs from the first to the second gradient stop; a point
# without a value is black; a column of more than MAX_CATEGORIES distinct texts gets no colours.
CATEGORY_COLOURS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (214, 39, 40), (227, 119, 194), (23, 190, 207), (44, 160, 44),
    (140, 86, 75), (188, 189, 34), (255, 127, 14), (148, 103, 189), (127, 127, 127),
)
GRADIENT = ((255, 255, 221), (31, 45, 134))
NO_VALUE = (0, 0, 0)
UNTINTED = (255, 255, 255)  # what the projector multiplies a picture by when it colours nothing
MAX_CATEGORIES = 50
_JS_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Infinity)")


@dataclass(frozen=True)
class Tints:
    """The colour the projector gives each point (it multiplies the point's picture by it), as
    `palette` entries and one palette index per point, and the legend: (value, colour) pairs."""

    palette: list[tuple[int, int, int]]
    of_point: np.ndarray  # int32, an index into palette per point
    legend: list[tuple[str, tuple[int, int, int]]]
    ordered: bool = False  # the legend's order is legend_order's, not the projector's: the page sets it

    @classmethod
    def untinted(cls, count: int) -> "Tints":
        """No colour map: every picture as it is."""
        return cls([UNTINTED], np.zeros(count, dtype=np.int32), [])

    @property
    def page_order(self) -> list[str]:
        """The legend's categories when the page must put them in order (map-ui.js), else []."""
        return [category for category, _ in self.legend] if self.ordered else []

    def rgb(self) -> np.ndarray:
        """(N, 3) uint8."""
        return np.asarray(self.palette, dtype=np.uint8)[self.of_point]

    def hex_palette(self) -> list[str]:
        return ["#%02x%02x%02x" % colour for colour in self.palette]


def point_tints(values: pd.Series) -> Tints:
    """The colours the projector (tensorboard 2.21.0) gives the points when coloured by this
    column, worked out as it does from the text metadata.tsv holds."""
    cells = values.map(_cell)
    present = cells != ""
    texts = cells[present]
    if len(texts) and texts.map(lambda text: bool(_JS_NUMBER.fullmatch(text.strip()))).all():
        numbers = pd.to_numeric(texts.str.strip().str.replace("Infinity", "inf"), errors="coerce").to_numpy(float)
        low, high = numbers.min(), numbers.max()
        where = np.full(len(numbers), 0.5) if high == low else (numbers - low) / (high - low)
        start, stop = (np.asarray(stop, dtype=float) for stop in GRADIENT)
        shades = np.rint(start + (stop - start) * where[:, None]).astype(np.uint8)
        palette, inverse = np.unique(shades, axis=0, return_inverse=True)
        of_point = np.zeros(len(cells), dtype=np.int32)
        of_point[present.to_numpy()] = inverse.ravel() + 1
        legend = [(_cell(low), GRADIENT[0]), (_cell(high), GRADIENT[1])]
        return Tints([NO_VALUE, *map(tuple, palette.tolist())], of_point, legend)
    first_seen = texts.unique().tolist()
    categories = legend_order(first_seen)
    if len(categories) > MAX_CATEGORIES:
        return Tints.untinted(len(cells))
    colour_of = {category: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, category in enumerate(categories)}
    palette = [NO_VALUE, *dict.fromkeys(colour_of.values())]
    index_of = {colour: i for i, colour in enumerate(palette)}
    of_point = np.fromiter((index_of[colour_of[text]] if text else 0 for text in cells),
                           dtype=np.int32, count=len(cells))
    legend = [(category, colour_of[category]) for category in categories]
    return Tints(palette, of_point, legend, ordered=categories != _listing_order(first_seen))


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def legend_order(first_seen: list[str]) -> list[str]:
    """The categories in the order the map's legend lists them (and colours them by): by their
    numbers when every one holds a number ("Under 18", "18-24", ..., "56+"; "1950s", "1960s"),
    which the page sets (map-ui.js, data-legend-order); else as the projector lists them."""
    if first_seen and all(_NUMBER.search(text) for text in first_seen):
        def key(text: str) -> tuple[float, str]:
            number = float(_NUMBER.search(text).group())
            below = text.lower().startswith(("under", "below", "less than", "<"))
            return (number - 0.5 if below else number, text)
        return sorted(first_seen, key=key)
    return _listing_order(first_seen)


def _listing_order(first_seen: list[str]) -> list[str]:
    """The order of a JavaScript object's keys, which the projector lists categories in: keys
    that are array indices (canonical integers below 2**32 - 1) ascending, then the others as
    first seen."""
    def is_index(text: str) -> bool:
        return text.isdigit() and str(int(text)) == text and int(text) < 2**32 - 1

    indices = sorted((text for text in first_seen if is_index(text)), key=int)
    return indices + [text for text in first_seen if not is_index(text)]


@dataclass(frozen=True)
class ProjectorFiles:
    """Names of a portal's files, relative to the portal's page."""

    tensor_name: str
    shape: tuple[int, int]
    cell: int
    sprite: str = "sprite.png"  # or sprite.jpg
    bookmarks: str | None = None  # bookmarks.json: precomputed layouts (site_builder/layouts.py)

    def config(self, base: str = "") -> dict:
        """The projector config; `base` is '' (relative) or the portal folder's absolute URL + '/'."""
        embedding = {
            "tensorName": self.tensor_name,
            "tensorShape": list(self.shape),
            "tensorPath": base + TENSORS,
            "metadataPath": base + METADATA,
            "sprite": {"imagePath": base + self.sprite, "singleImageDim": [self.cell, self.cell]},
        }
        if self.bookmarks:
            embedding["bookmarksPath"] = base + self.bookmarks
        return {"embeddings": [embedding], "modelCheckpointPath": self.tensor_name}


def online_projector_url(config_url: str) -> str:
    return f"{ONLINE_PROJECTOR}?config={config_url}"


def projector_bundle() -> tuple[Path, Path]:
    """The projector's JavaScript inside the installed tensorboard wheel, and its licence."""
    spec = find_spec("tensorboard")
    package = Path(next(iter(spec.submodule_search_locations)))
    script = package / "plugins" / "projector" / "tf_projector_plugin" / "projector_binary.js"
    dist = distribution("tensorboard")
    licence = next(
        (Path(dist.locate_file(f)) for f in dist.files or [] if f.name in ("LICENSE", "LICENSE.txt")),
        None,
    )
    if not script.is_file() or licence is None:
        raise FileNotFoundError("the installed tensorboard wheel lacks the projector bundle or its licence")
    return script, licence

"""The colours the Embedding Projector gives the points, worked out at build time.

The projector multiplies each point's picture by its colour. The sprite sheet,
the landing page's preview and the recommendation page use the same colours,
so they are computed here once per portal from the metadata text the
projector reads (cell_text), the way the projector's front end computes them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_BREAKING = re.compile(r"[\t\r\n]+")


def cell_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _BREAKING.sub(" ", str(value)).strip()


# The projector colours a category with d3's category10 palette in this order (its own
# permutation: entry i is category10[3 * i % 10]), in the order the categories are listed, and
# cycles after ten; a number column runs from the first to the second gradient stop; a point
# without a value is black; a column of more than MAX_CATEGORIES distinct texts gets no colours.
CATEGORY_COLOURS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (214, 39, 40),
    (227, 119, 194),
    (23, 190, 207),
    (44, 160, 44),
    (140, 86, 75),
    (188, 189, 34),
    (255, 127, 14),
    (148, 103, 189),
    (127, 127, 127),
)


GRADIENT = ((255, 255, 221), (31, 45, 134))


NO_VALUE = (0, 0, 0)


UNTINTED = (255, 255, 255)  # what the projector multiplies a picture by when it colours nothing


MAX_CATEGORIES = 50


_JS_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Infinity)")


@dataclass(frozen=True)
class KeyEntry:
    label: str
    colour: str  # "#rrggbb"
    count: int | None  # None for a gradient's ends


@dataclass(frozen=True)
class Tints:
    """The colour the projector gives each point (it multiplies the point's picture by it), as
    `palette` entries and one palette index per point, and the legend: (value, colour) pairs."""

    palette: list[tuple[int, int, int]]
    of_point: np.ndarray  # int32, an index into palette per point
    legend: list[tuple[str, tuple[int, int, int]]]
    ordered: bool = False  # the legend's order is legend_order's, not the projector's: the page sets it
    gradient: bool = False  # a number column: the legend is the gradient's two ends
    counts: tuple[int, ...] = ()  # how many points hold each category of the legend (none for a gradient)

    @classmethod
    def untinted(cls, count: int) -> Tints:
        """No colour map: every picture as it is."""
        return cls([UNTINTED], np.zeros(count, dtype=np.int32), [])

    @property
    def page_order(self) -> list[str]:
        """The legend's categories when the page must put them in order (map-ui.js), else []."""
        return [category for category, _ in self.legend] if self.ordered else []

    @property
    def key(self) -> list[KeyEntry]:
        """The legend as the pages show it beside the colours: each category with its colour and how
        many points hold it; a gradient's two ends with no count."""
        counts = [None] * len(self.legend) if self.gradient else self.counts
        return [
            KeyEntry(label, "#{:02x}{:02x}{:02x}".format(*colour), count)
            for (label, colour), count in zip(self.legend, counts)
        ]

    def rgb(self) -> np.ndarray:
        """(N, 3) uint8."""
        return np.asarray(self.palette, dtype=np.uint8)[self.of_point]

    def hex_palette(self) -> list[str]:
        return ["#{:02x}{:02x}{:02x}".format(*colour) for colour in self.palette]


def point_tints(values: pd.Series) -> Tints:
    """The colours the projector (tensorboard 2.21.0) gives the points when coloured by this
    column, worked out as it does from the text metadata.txt holds."""
    cells = values.map(cell_text)
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
        legend = [(cell_text(low), GRADIENT[0]), (cell_text(high), GRADIENT[1])]
        return Tints([NO_VALUE, *map(tuple, palette.tolist())], of_point, legend, gradient=True)
    first_seen = texts.unique().tolist()
    categories = legend_order(first_seen)
    if len(categories) > MAX_CATEGORIES:
        return Tints.untinted(len(cells))
    colour_of = {category: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, category in enumerate(categories)}
    palette = [NO_VALUE, *dict.fromkeys(colour_of.values())]
    index_of = {colour: i for i, colour in enumerate(palette)}
    of_point = np.fromiter(
        (index_of[colour_of[text]] if text else 0 for text in cells), dtype=np.int32, count=len(cells)
    )
    legend = [(category, colour_of[category]) for category in categories]
    held = texts.value_counts()
    counts = tuple(int(held[category]) for category in categories)
    return Tints(palette, of_point, legend, ordered=categories != _listing_order(first_seen), counts=counts)


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

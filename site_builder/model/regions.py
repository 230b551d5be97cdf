"""Named regions of a layout: what is where on the map, found and named at build time.

Finding them. HDBSCAN (scikit-learn's) over the laid-out points, at three levels
of detail (LEVELS): the "excess of mass" clusters of a minimum size of 1/40 of
the map, then the leaves of the same tree, then the leaves at 1/100. A density
clustering of the layout, not of the vectors, because the names must sit on
what the visitor sees: a dense patch of the map; points between patches belong
to no region (HDBSCAN's noise) and carry no name. It needs no number of regions
(a map of two arms gets two coarse regions, a map of six gets six), and its one
tree gives the coarse and the fine levels alike. Above SAMPLE points it
clusters a seeded sample (HDBSCAN's cost grows with the square of the points:
three levels of 20,000 points took 7 s, of 10,000 under 2 s) and gives every other point the region of its nearest
sampled point.

Naming them. Each category column of the portal (its metadata and colour
columns whose cells hold at most MAX_VALUES distinct values, a cell "A|B"
counting for both A and B) is a vocabulary; a value names a region when it is
much more common there than on the whole map: its share in the region s and
on the map S score s * log(s / S) (the value's term in the region's
Kullback-Leibler divergence from the map), with s / S of at least MIN_LIFT, s
of at least MIN_SHARE. A name has the best value and a second one when it
scores at least half as well. A region no category sets apart is named, in
the same way, by the bottom or top quarter of a column of numbers ("num
ratings ≥ 148": the demo's two arms of moviegoers are its heavy and its light
raters), and failing that by its best-known members (the most interactions).
No network, no language model, and the same names on every build.

Where they go. Each region is anchored at its member nearest its centre (so the
name follows a real point, as the point card does, whatever the projector does
to the coordinates), with the radius of its members around that centre, in the
projector's own world units (each axis of the layout scaled to [-1, 1]), which
the page uses to show the finer names only once the visitor is close enough.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from site_builder.cache import BytesCodec, Cache, Kind
from site_builder.colours import MAX_CATEGORIES, cell_text

# (HDBSCAN's cluster selection, the map's size divided by the minimum cluster size), coarse to fine
LEVELS = (("eom", 40), ("leaf", 40), ("leaf", 100))
MIN_CLUSTER = 5  # points, at least, in a region
SAMPLE = 10_000  # points clustered at most; the rest take their nearest sampled point's region
SEED = 42
MAX_VALUES = MAX_CATEGORIES  # a column of more distinct values names nothing (ids, titles, numbers)
MIN_LIFT = 1.5
MIN_SHARE = 0.2
SECOND_TERM = 0.5  # of the best value's score, for a second value in the name
MEMBERS_NAMED = 2  # best-known members in a name made of members
RADIUS_QUANTILE = 0.75  # of the members' distances from the centre
SAME_REGION = 0.8  # a finer region sharing this much (Jaccard) with a coarser one is that one again


# In the layouts' cache folder, so that the deploy workflow restores them with the layouts
REGIONS = Kind("layouts", "named-regions-v5", ("scikit-learn",))
JSON = BytesCodec(".json")


@dataclass(frozen=True)
class Term:
    """A value that sets a region apart: `share` of the region has it, `overall` of the map."""

    column: str
    value: str
    share: float
    overall: float
    alone: bool = True  # the column gives each point one value at most (so two of them are "A or B")

    @property
    def score(self) -> float:
        return self.share * float(np.log(self.share / self.overall))

    @property
    def text(self) -> str:
        """The value in the dataset's words; one with no word in it ("18-24", "M") says its column."""
        if re.search(r"[^\W\d_]{2}", self.value):
            return self.value
        return f"{self.column.replace('_', ' ')} {self.value}"


@dataclass
class Region:
    level: int  # 0: the coarsest
    anchor: int  # the row (in metadata.txt) of the member nearest the centre
    radius: float  # in the projector's world units
    count: int
    name: str = ""
    terms: list[Term] = field(default_factory=list)  # empty: named by its best-known members
    members: np.ndarray | None = field(default=None, repr=False)  # its points' rows (not in regions.json)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "level": self.level,
            "anchor": self.anchor,
            "radius": round(self.radius, 4),
            "count": self.count,
            "terms": [
                {
                    "column": t.column,
                    "value": t.value,
                    "text": t.text,
                    "share": round(t.share, 3),
                    "overall": round(t.overall, 3),
                }
                for t in self.terms
            ],
        }


class Vocabulary:
    """One category column: its values and which points have each (a cell "A|B" has both)."""

    def __init__(self, column: str, values: list[str], has: np.ndarray, numbers: bool = False):
        self.column = column
        self.numbers = numbers  # the bottom and top quarters of a column of numbers
        self.values = values
        self.has = has  # (points, values) bool
        self.overall = has.mean(axis=0)
        self.alone = bool(has.sum(axis=1).max() <= 1)

    @classmethod
    def of(cls, column: str, cells: pd.Series) -> Vocabulary | None:
        """The column's values; a column of numbers with more than MAX_VALUES of them as its
        bottom and top quarters (numbers_of); None when it holds one value, or more than
        MAX_VALUES texts."""
        if pd.api.types.is_numeric_dtype(cells) and cells.nunique() > MAX_VALUES:
            return cls.numbers_of(column, cells)
        texts = _texts(cells)
        # one (row, value) pair per value of a cell, without a Python loop over 200,000 rows
        pairs = texts.str.split("|", regex=False).explode().str.strip()
        pairs = pairs[pairs.fillna("") != ""]
        codes, uniques = pd.factorize(pairs, sort=True)
        if len(uniques) > MAX_VALUES:
            return cls.numbers_of(column, cells, texts)
        if len(uniques) < 2:
            return None
        has = np.zeros((len(cells), len(uniques)), dtype=bool)
        has[pairs.index.to_numpy(), codes] = True
        return cls(column, [str(value) for value in uniques], has)

    @classmethod
    def numbers_of(cls, column: str, cells: pd.Series, texts: pd.Series | None = None) -> Vocabulary | None:
        """A column of numbers as two values, "≤ q" and "≥ Q" (its bottom and top quarters on
        the whole map, q and Q as the column writes its numbers): a region of the most (or least)
        rated, the latest, the best liked. None when some cell is no number. `texts`: the cells'
        texts (_texts), when already known."""
        numbers = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        present = ~np.isnan(numbers)
        written = int(((_texts(cells) if texts is None else texts) != "").sum())
        if not present.any() or present.sum() < written:  # some text is no number
            return None
        low, high = np.quantile(numbers[present], [0.25, 0.75])
        if low == high:
            return None
        whole = bool(np.all(numbers[present] == np.round(numbers[present])))

        def text(value: float) -> str:
            grouped = "," if abs(value) >= 10_000 else ""  # 12,000 ratings, but the year 1992
            return f"{value:{grouped}.0f}" if whole else f"{value:{grouped}.3g}"

        has = np.stack([present & (numbers <= low), present & (numbers >= high)], axis=1)
        return cls(column, [f"≤ {text(low)}", f"≥ {text(high)}"], has, numbers=True)

    def terms(self, members: np.ndarray) -> list[Term]:
        share = self.has[members].mean(axis=0)
        return [
            Term(self.column, value, float(s), float(o), self.alone)
            for value, s, o in zip(self.values, share, self.overall)
            if s >= MIN_SHARE and o > 0 and s >= MIN_LIFT * o
        ]


def _texts(cells: pd.Series) -> pd.Series:
    """Each cell as metadata.txt writes it (colours.cell_text), worked out once per distinct value."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    texts = np.array([cell_text(value) for value in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], dtype=object)  # the sentinel -1 (missing) takes the last, ""


def vocabularies(table: pd.DataFrame, columns: list[str]) -> list[Vocabulary]:
    """The category columns among `columns` (in that order, each once)."""
    found = []
    for column in dict.fromkeys(columns):
        if column in table:
            vocabulary = Vocabulary.of(column, table[column])
            if vocabulary is not None:
                found.append(vocabulary)
    return found


def world(coords: np.ndarray) -> np.ndarray:
    """Each axis scaled to [-1, 1], as the projector draws a layout (float64)."""
    coords = np.asarray(coords, dtype=np.float64)
    low, high = coords.min(axis=0), coords.max(axis=0)
    width = np.where(high > low, high - low, 1.0)
    return (coords - low) / width * 2 - 1


def cluster_levels(points: np.ndarray) -> list[np.ndarray]:
    """One label per point and level of LEVELS (-1: in no region), from HDBSCAN on at most SAMPLE points."""
    from sklearn.cluster import HDBSCAN
    from sklearn.neighbors import KDTree

    count = len(points)
    sample, nearest = np.arange(count), None
    if count > SAMPLE:
        sample = np.sort(np.random.default_rng(SEED).choice(count, SAMPLE, replace=False))
        nearest = KDTree(points[sample]).query(points, k=1, return_distance=False)[:, 0]
    levels = []
    for method, share in LEVELS:
        size = max(MIN_CLUSTER, len(sample) // share)
        if len(sample) < 2 * size:
            levels.append(np.full(count, -1))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # sklearn's note about `copy`'s coming default
            labels = HDBSCAN(min_cluster_size=size, cluster_selection_method=method, copy=True).fit_predict(
                points[sample]
            )
        levels.append(labels if nearest is None else labels[nearest])
    return levels


class Namer:
    """What names the regions of a portal's layouts, worked out once for all of them: its category
    columns' vocabularies (of `columns`), its points' labels (`label`, for regions named by members)
    and how well known each point is (`popularity`, its interactions; None: the table's order)."""

    def __init__(self, table: pd.DataFrame, columns: list[str], label: str, popularity: np.ndarray | None):
        named_by = vocabularies(table, columns)
        self.categories = [v for v in named_by if not v.numbers]
        self.numbers = [v for v in named_by if v.numbers]
        self.labels = table[label]
        self.fame = np.arange(len(table), 0, -1) if popularity is None else np.asarray(popularity)

    def regions(self, coords: np.ndarray) -> list[Region]:
        """The named regions of one layout (N x 2 or N x 3), coarse first."""
        count = len(coords)
        if count < 2 * MIN_CLUSTER:
            return []
        points = world(coords)
        regions = []
        coarser: list[np.ndarray] = []  # the member sets of the levels above
        for level, clusters in enumerate(cluster_levels(points)):
            this_level = []
            for cluster in range(int(clusters.max()) + 1):
                members = np.flatnonzero(clusters == cluster)
                if len(members) < MIN_CLUSTER or any(jaccard(members, other) >= SAME_REGION for other in coarser):
                    continue
                this_level.append(members)
                centre = points[members].mean(axis=0)
                distance = np.linalg.norm(points[members] - centre, axis=1)
                region = Region(
                    level=level,
                    anchor=int(members[np.argmin(distance)]),
                    radius=float(np.quantile(distance, RADIUS_QUANTILE)),
                    count=len(members),
                    members=members,
                )
                self.name(region, members)
                regions.append(region)
            coarser += this_level
        return regions

    def name(self, region: Region, members: np.ndarray) -> None:
        """Categories first, in the dataset's words; numbers where no category sets the region
        apart; else its best-known members."""
        region.terms = best_terms(self.categories, members) or best_terms(self.numbers, members)
        if region.terms:
            region.name = name_of(region.terms)
            return
        known = members[np.argsort(-self.fame[members], kind="stable")[:MEMBERS_NAMED]]
        names = [cell_text(self.labels.iloc[row]) for row in known]
        region.name = ", ".join(name for name in names if name) or f"{len(members):,} points"


def find_regions(
    coords: np.ndarray, table: pd.DataFrame, columns: list[str], label: str, popularity: np.ndarray | None
) -> list[Region]:
    """The named regions of one layout (N x 2 or N x 3) of the points of `table`, coarse first.

    `columns`: the portal's columns that may name a region (those with few values do); `label`:
    the column of the points' names, for regions named by members; `popularity`: how well known
    each point is (its interactions), None for the table's order. For several layouts of one
    portal, make one Namer and ask it for each."""
    return Namer(table, columns, label, popularity).regions(coords)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|a & b| / |a | b| of two sorted arrays of distinct rows."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def name_of(terms: list[Term]) -> str:
    """A name: "Horror · 1980s"; two values of one column as "decade 1950s or 1960s"."""
    if len(terms) == 2 and terms[0].column == terms[1].column and terms[0].alone:
        return f"{terms[0].text} or {terms[1].value}"
    return " · ".join(term.text for term in terms)


def best_terms(named_by: list[Vocabulary], members: np.ndarray) -> list[Term]:
    """The value that best sets these members apart, and a second one when it nearly does."""
    terms = sorted((t for v in named_by for t in v.terms(members)), key=lambda t: (-t.score, t.column, t.value))
    if not terms:
        return []
    best = [terms[0]]
    for term in terms[1:]:
        if term.score < SECOND_TERM * terms[0].score:
            break
        if term.value != terms[0].value:  # genres=Drama and first_genre=Drama say one thing
            best.append(term)
            break
    return best


def cached_regions_json(
    laid_out: list[np.ndarray],
    table: pd.DataFrame,
    columns: list[str],
    label: str,
    popularity: np.ndarray | None,
    cache: Cache,
) -> tuple[bytes, bool]:
    """regions.json for these layouts (find_regions on each), from the cache when it was made from
    the same coordinates, columns and settings; and whether it came from there."""
    used = [c for c in dict.fromkeys([*columns, label]) if c in table]
    key = REGIONS.key(
        [np.ascontiguousarray(coords, dtype=np.float32).tobytes() for coords in laid_out],
        used,
        label,
        pd.util.hash_pandas_object(table[used], index=False).to_numpy().tobytes(),
        None if popularity is None else np.asarray(popularity, dtype=np.int64).tobytes(),
        [LEVELS, MIN_CLUSTER, SAMPLE, SEED, MAX_VALUES, MIN_LIFT, MIN_SHARE, SECOND_TERM, MEMBERS_NAMED],
        [RADIUS_QUANTILE, SAME_REGION],
    )

    def compute() -> bytes:
        namer = Namer(table, columns, label, popularity)
        return regions_json([namer.regions(coords) for coords in laid_out])

    return cache.memo(REGIONS, key, compute, JSON)


def most_telling(found: bytes, table: pd.DataFrame) -> str | None:
    """The column a map that names no colours opens coloured by: of the columns that name its regions
    (regions.json, its first layout) and that the projector can colour (at most MAX_CATEGORIES
    distinct cells: "A|B" cells of many combinations cannot), the one whose values set the regions
    apart the most (the sum over regions of their size times their terms' scores); None when no
    region is named by a category."""
    weight: dict[str, float] = {}
    layouts = json.loads(found)["layouts"]
    for region in layouts[0] if layouts else []:
        for term in region["terms"]:
            score = Term(term["column"], term["value"], term["share"], term["overall"]).score
            weight[term["column"]] = weight.get(term["column"], 0.0) + region["count"] * score
    colourable = [
        column
        for column in weight
        if column in table and _texts(table[column]).replace("", np.nan).nunique() <= MAX_CATEGORIES
    ]
    return max(colourable, key=lambda column: (weight[column], column)) if colourable else None


def regions_json(layouts: list[list[Region]]) -> bytes:
    """regions.json: {"layouts": [regions of the first bookmark's layout, ...]}, UTF-8."""
    payload = {"levels": len(LEVELS), "layouts": [[region.as_dict() for region in found] for found in layouts]}
    return (json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")

"""Synthetic MovieLens-shaped data at any size, for measuring the build.

`generate(out_dir, interactions)` writes three files into `out_dir`:

- `ratings.csv` (userId,movieId,rating,timestamp) and `movies.csv`
  (movieId,title,genres), the MovieLens CSV layout that the `movielens-csv`
  reader loads unchanged;
- `tastes.csv` (movieId,taste): the taste planted in each movie, and
  `user_tastes.csv` (userId,taste): each user's main taste (the liked taste
  it draws most from), which the reader ignores and quality checks use
  (`load_tastes`, `taste_agreement`, benchmarks/method_grid.py).

Shape. `Shape` sets how strongly tastes, popularity and time shape the
data; its defaults are the model below. `taste_share` is the mean share of
a user's items drawn from their liked tastes (0.8: strong tastes; 0.1: weak
ones, drowned in popularity), `popularity_exponent` the Zipf exponent of
popularity (1 MovieLens-like, 0.5 mild), `activity_sigma` the spread of the
users' activity, and `time_taste` gives each taste an era: users start
within about three years of their main taste's era, so the raters of a movie
who come one after the other in time tend to share a taste (without it,
timestamps say nothing of taste).

Sizes. Unless given, the numbers of items and users follow the straight line,
on log-log axes, through MovieLens 100K (100,000 ratings, 1,682 movies, 943
users) and MovieLens 32M (32,000,204 ratings, 87,585 movies, 200,948 users):

    items = 1682 * (interactions / 100,000) ** 0.685
    users =  943 * (interactions / 100,000) ** 0.930

so 100K gives 1,682 items and 943 users, 1M 8,148 and 8,017, 10M 39,472
and 68,161, 32M 87,585 and 200,947. The number of tastes is 20 by default
(one per ten items on catalogues under 200 items).

The model, in the order it is drawn:

- Items. Ids are sorted distinct integers up to 3 x items (gaps, as in
  MovieLens). Popularity is Zipf-like over a random ranking of the items
  (rank 1, 2, ...): weight (rank + 20) ** -1 * exp(-rank / (0.2 * items)), a
  Zipf head whose exponential cut-off makes the long tail: a few items
  collect a large share of the ratings and about a fifth of them fewer than
  five. Every item has at least one rating (each is first given to one
  rater, drawn in proportion to the users' activity). Each item has one
  planted taste (taste sizes mildly uneven); each taste has a main and a
  second genre, which its items carry with probability 0.9 and 0.5, next to
  other genres at 0.04 each, so genres correlate with tastes without giving
  them away. Years lean recent.
- Users. Every user rates at least 20 items, as in MovieLens; the rest of the
  interactions are shared out by log-normal weights (sigma 1.3), so activity
  is heavy-tailed: most users rate a few dozen items, some thousands (at most
  40% of the catalogue). Each user likes one to three tastes (more for heavy
  raters, who would otherwise exhaust them), chosen in proportion to the
  tastes' sizes, and takes about 20% of their items from overall popularity
  instead (popular-item noise; the share is Beta-distributed around
  1 - taste_share). Items of one taste therefore share raters.
- Interactions. Each user's items are drawn from that mixture, popular items
  first in expectation, without repeats: draws that repeat an item are drawn
  again, in vectorised rounds, so no (user, movie) pair occurs twice. A
  rating is 3.2 plus the user's bias, the item's quality (popular items a
  little better), a bonus for liked tastes (a malus for the others) and
  noise, rounded to whole stars, or for users who started after 2003 (when
  MovieLens allowed them) to half stars two times in five; 0.5..5.0. Each
  user has a first day between 1996 and 2023 and an active span (hours for
  most, years for a few); their timestamps are spread over it, inside
  1995..2023.

Rows are grouped by user (userId ascending, 1..users) and in time order
within a user, so timestamps never decrease within a user's rows.

Everything is vectorised numpy, drawn from `np.random.default_rng(seed)` and
generators spawned from it (one per chunk), so the same arguments give the
same bytes. Users are generated and written in chunks of about a million
interactions through pyarrow's CSV writer, so memory stays bounded whatever
the size.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

# ---------------------------------------------------------------- sizes

ANCHOR_SMALL = (100_000, 1_682, 943)  # MovieLens 100K: ratings, movies, users
ANCHOR_LARGE = (32_000_204, 87_585, 200_948)  # MovieLens 32M
_SPAN = math.log(ANCHOR_LARGE[0] / ANCHOR_SMALL[0])
ITEM_EXPONENT = math.log(ANCHOR_LARGE[1] / ANCHOR_SMALL[1]) / _SPAN  # 0.685
USER_EXPONENT = math.log(ANCHOR_LARGE[2] / ANCHOR_SMALL[2]) / _SPAN  # 0.930

MIN_RATINGS = 20  # every user rates at least this many items, as in MovieLens
MAX_SHARE = 0.4  # the heaviest user rates at most this share of the items (38% in MovieLens 32M)
DENSEST = 0.5  # refuse sizes where the average user would rate more than this share of the items
DEFAULT_TASTES = 20

# ---------------------------------------------------------------- the model's constants

POPULARITY_OFFSET = 20.0  # flattens the very head, in ranks
POPULARITY_CUTOFF = 0.2  # exponential fall-off of the tail, in units of the catalogue's length
ID_SPREAD = 3  # item ids are drawn from 1..ID_SPREAD x items
NOISE_CONCENTRATION = 10.0  # each user's share of popularity picks is Beta(c (1 - taste_share), c taste_share)
ERA_SPREAD = 3 * 365 * 86_400  # with time_taste: a user starts within about this of their main taste's era
LIKED_TASTES = ([1, 2, 3], [0.45, 0.35, 0.20])
TASTE_FILL = 0.5  # a user's liked tastes hold at least twice the items they take from them

GENRES = [
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
# How often each genre is a taste's main one (Drama and Comedy lead, as in MovieLens).
GENRE_WEIGHTS = [8, 5, 2, 2, 12, 4, 3, 15, 2, 1, 4, 0.5, 1, 2, 6, 3, 7, 1.5, 1]
MAIN_GENRE, SECOND_GENRE, OTHER_GENRE = 0.9, 0.5, 0.04

FIRST_DAY = 788_918_400  # 1995-01-01
LAST_DAY = 1_703_980_800  # 2023-12-31
START_FROM, START_UNTIL = 820_454_400, 1_696_118_400  # users start between 1996-01-01 and 2023-10-01
HALF_STARS_FROM = 1_041_379_200  # 2003-01-01: MovieLens allowed half stars from then on
HALF_STAR_SHARE = 0.4  # of the ratings of users who could give half stars, the share that do
DAY = 86_400

CHUNK_INTERACTIONS = 1_000_000
MAX_DRAW_FACTOR = 50.0  # per round, at most this many draws per missing item of a user
MIN_FRESH = 0.01  # a user whose draws are new less often than this draws the rest uniformly
DRAW_BUDGET = 8_000_000  # draws per round at most
UNIFORM_AFTER = 40  # rounds after which every user still missing items draws uniformly
MAX_ROUNDS = 400

FILES = ("ratings.csv", "movies.csv", "tastes.csv", "user_tastes.csv")
RATING_LABELS = pa.array([f"{code / 2:.1f}" for code in range(11)])  # code 1..10 -> "0.5".."5.0"


@dataclass(frozen=True)
class Sizes:
    interactions: int
    items: int
    users: int
    tastes: int
    most_per_user: int  # the cap on one user's ratings


@dataclass(frozen=True)
class Shape:
    """How strongly tastes, popularity and time shape the interactions (the defaults: MovieLens-like,
    strong tastes, timestamps that say nothing of taste)."""

    taste_share: float = 0.8  # mean share of a user's items drawn from their liked tastes (the rest: popularity)
    popularity_exponent: float = 1.0  # of the Zipf-like popularity: 0 is flat, 1 MovieLens-like, more is steeper
    activity_sigma: float = 1.3  # of the log-normal ratings per user: 0 is even, 1.3 MovieLens-like
    time_taste: bool = False  # tastes have eras: users start near their main taste's era, so time order tells

    def __post_init__(self):
        if not 0.0 < self.taste_share < 1.0:
            raise ValueError(f"taste_share must be between 0 and 1, exclusive (got {self.taste_share})")
        if not 0.0 <= self.popularity_exponent <= 4.0:
            raise ValueError(f"popularity_exponent must be between 0 and 4 (got {self.popularity_exponent})")
        if not 0.0 <= self.activity_sigma <= 4.0:
            raise ValueError(f"activity_sigma must be between 0 and 4 (got {self.activity_sigma})")

    def describe(self) -> str:
        return (
            f"taste share {self.taste_share:g}, popularity exponent {self.popularity_exponent:g}, "
            f"activity sigma {self.activity_sigma:g}, time {'carries' if self.time_taste else 'without'} taste"
        )


@dataclass(frozen=True)
class GeneratedInfo:
    """What `generate` wrote."""

    folder: Path
    interactions: int
    items: int
    users: int
    tastes: int
    seed: int
    seconds: float
    files: list[Path] = field(default_factory=list)
    shape: Shape = Shape()

    def summary(self) -> str:
        sizes = ", ".join(f"{p.name} {_megabytes(p.stat().st_size)}" for p in self.files if p.exists())
        return (
            f"Wrote {self.interactions:,} ratings of {self.items:,} movies by {self.users:,} users "
            f"({self.tastes} planted tastes, {self.shape.describe()}, seed {self.seed}) to {self.folder} "
            f"in {self.seconds:.1f} s: {sizes}"
        )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


SIZE_PATTERN = re.compile(r"(\d+(?:\.\d+)?)([kmg]?)", re.IGNORECASE)
SIZE_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}


def parse_size(text: str | int) -> int:
    """'100K', '1M', '2.5M', '32M', '1_000' or a plain integer -> a positive int; ValueError otherwise."""
    if isinstance(text, int):
        value = text
    else:
        match = SIZE_PATTERN.fullmatch(str(text).strip().replace("_", "").replace(",", ""))
        if not match:
            raise ValueError(f'"{text}" is not a size; write a whole number or one with K, M or G, e.g. 100K, 1M, 32M')
        number, suffix = match.groups()
        exact = float(number) * SIZE_SUFFIXES[suffix.lower()]
        value = round(exact)
        if abs(exact - value) > 1e-6:
            raise ValueError(f'"{text}" is {exact:g}, not a whole number')
    if value < 1:
        raise ValueError(f'"{text}" must be at least 1')
    return value


def default_items(interactions: int) -> int:
    return max(1, round(ANCHOR_SMALL[1] * (interactions / ANCHOR_SMALL[0]) ** ITEM_EXPONENT))


def default_users(interactions: int) -> int:
    return max(1, round(ANCHOR_SMALL[2] * (interactions / ANCHOR_SMALL[0]) ** USER_EXPONENT))


def plan_sizes(
    interactions: int, items: int | None = None, users: int | None = None, tastes: int | None = None
) -> Sizes:
    """The sizes to generate, defaults filled in; ValueError with the reason when they cannot work."""
    items = default_items(interactions) if items is None else items
    users = default_users(interactions) if users is None else users
    tastes = min(DEFAULT_TASTES, max(1, items // 10)) if tastes is None else tastes
    for name, value in (("interactions", interactions), ("items", items), ("users", users), ("tastes", tastes)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1 (got {value})")
    if users * MIN_RATINGS > interactions:
        raise ValueError(
            f"{users:,} users rating at least {MIN_RATINGS} items each need at least "
            f"{users * MIN_RATINGS:,} interactions (got {interactions:,}); ask for fewer users"
        )
    if interactions > DENSEST * items * users:
        raise ValueError(
            f"{interactions:,} interactions between {users:,} users and {items:,} items would have "
            f"the average user rate more than {DENSEST:.0%} of the items; ask for more items or users"
        )
    if items > interactions:
        raise ValueError(f"{items:,} items need at least as many interactions, one each (got {interactions:,})")
    if tastes > items:
        raise ValueError(f"{tastes} tastes need at least as many items (got {items:,})")
    most = min(int(0.9 * items), max(math.ceil(MAX_SHARE * items), math.ceil(3 * interactions / users)))
    return Sizes(interactions, items, users, tastes, max(most, MIN_RATINGS))


# ---------------------------------------------------------------- the catalogue


@dataclass
class Catalogue:
    ids: np.ndarray  # int64 movieId per item
    taste: np.ndarray  # int32 planted taste per item
    quality: np.ndarray  # float32, added to every rating of the item
    by_taste: np.ndarray  # item indices sorted by taste (then index)
    cumulative: np.ndarray  # float64 cumulative popularity along by_taste
    low: np.ndarray  # per component (tastes, then "everything"): the cumulative range to draw in
    high: np.ndarray
    first: np.ndarray  # per component: its positions in by_taste (guards against rounding at the edges)
    last: np.ndarray
    taste_size: np.ndarray  # items per taste


def _catalogue(rng: np.random.Generator, sizes: Sizes, shape: Shape) -> tuple[Catalogue, pd.DataFrame]:
    """The items: ids, planted tastes, popularity and quality, and the rows of movies.csv and tastes.csv."""
    count, tastes = sizes.items, sizes.tastes
    ids = np.sort(rng.choice(ID_SPREAD * count, size=count, replace=False)).astype(np.int64) + 1
    share = rng.dirichlet(np.full(tastes, 4.0))
    taste = rng.permutation(np.concatenate([np.arange(tastes), rng.choice(tastes, size=count - tastes, p=share)]))
    taste = taste.astype(np.int32)
    rank = rng.permutation(count)
    weight = (rank + 1 + POPULARITY_OFFSET) ** -shape.popularity_exponent * np.exp(
        -(rank + 0.5) / (POPULARITY_CUTOFF * count)
    )
    log_weight = np.log(weight)
    standard = (log_weight - log_weight.mean()) / max(log_weight.std(), 1e-9)
    quality = (0.2 * standard + rng.normal(0.0, 0.45, count)).astype(np.float32)

    by_taste = np.argsort(taste, kind="stable")
    cumulative = np.cumsum(weight[by_taste])
    ends = np.searchsorted(taste[by_taste], np.arange(tastes + 1), side="left")
    before = np.concatenate([[0.0], cumulative])
    low = np.append(before[ends[:-1]], 0.0)
    high = np.append(before[ends[1:]], cumulative[-1])
    first = np.append(ends[:-1], 0)
    last = np.append(ends[1:] - 1, count - 1)
    catalogue = Catalogue(ids, taste, quality, by_taste, cumulative, low, high, first, last, np.diff(ends))
    return catalogue, _movie_rows(rng, ids, taste, tastes)


def _movie_rows(rng: np.random.Generator, ids: np.ndarray, taste: np.ndarray, tastes: int) -> pd.DataFrame:
    """movieId, title ("Synthetic Movie 12 (1994)"), genres drawn from the taste's genres, and the taste."""
    count, kinds = len(ids), len(GENRES)
    popular = np.asarray(GENRE_WEIGHTS, dtype=float) / sum(GENRE_WEIGHTS)
    main = rng.choice(kinds, size=tastes, p=popular)
    second_weights = np.tile(popular, (tastes, 1))
    second_weights[np.arange(tastes), main] = 0
    second = (second_weights.cumsum(1) / second_weights.sum(1, keepdims=True) < rng.random((tastes, 1))).sum(1)
    chance = np.full((tastes, kinds), OTHER_GENRE)
    chance[np.arange(tastes), second] = SECOND_GENRE
    chance[np.arange(tastes), main] = MAIN_GENRE
    flags = rng.random((count, kinds)) < chance[taste]
    bare = ~flags.any(1)
    flags[bare, main[taste[bare]]] = True
    masks = flags.astype(np.int64) @ (np.int64(1) << np.arange(kinds, dtype=np.int64))
    unique_masks, which = np.unique(masks, return_inverse=True)
    names = np.array(
        ["|".join(g for bit, g in enumerate(GENRES) if mask >> bit & 1) for mask in unique_masks.tolist()], dtype=object
    )
    year = np.clip(2023 - np.floor(rng.exponential(16.0, count)), 1902, 2023).astype(np.int64)
    title = "Synthetic Movie " + pd.Series(ids).astype(str) + " (" + pd.Series(year).astype(str) + ")"
    return pd.DataFrame({"movieId": ids, "title": title.to_numpy(object), "genres": names[which], "taste": taste})


# ---------------------------------------------------------------- users


def _activity(rng: np.random.Generator, sizes: Sizes, shape: Shape) -> np.ndarray:
    """Ratings per user: MIN_RATINGS each plus a log-normal share of the rest, capped, summing exactly."""
    users, total = sizes.users, sizes.interactions
    raw = rng.lognormal(0.0, shape.activity_sigma, users)
    room = sizes.most_per_user - MIN_RATINGS
    extra = (total - MIN_RATINGS * users) * raw / raw.sum()
    for _ in range(100):  # cap the heaviest users, share their excess among the others by the same weights
        over = extra > room
        if not over.any():
            break
        excess = float((extra[over] - room).sum())
        extra[over] = room
        free = extra < room
        extra[free] += excess * raw[free] / raw[free].sum()
    extra = np.minimum(extra, room)
    whole = np.floor(extra).astype(np.int64)
    missing = total - MIN_RATINGS * users - int(whole.sum())
    remainder = np.where(whole < room, extra - whole, -1.0)
    whole[np.argsort(-remainder, kind="stable")[:missing]] += 1
    return MIN_RATINGS + whole


def _mixtures(
    rng: np.random.Generator, wanted: np.ndarray, catalogue: Catalogue, tastes: int, shape: Shape
) -> np.ndarray:
    """Per user, the probability of each component: one per taste, then overall popularity (users x tastes+1)."""
    users = len(wanted)
    noise = rng.beta(NOISE_CONCENTRATION * (1 - shape.taste_share), NOISE_CONCENTRATION * shape.taste_share, users)
    liked = rng.choice(LIKED_TASTES[0], size=users, p=LIKED_TASTES[1])
    mean_size = catalogue.taste_size.mean()
    needed = np.ceil(wanted * (1 - noise) / (TASTE_FILL * mean_size)).astype(np.int64)
    liked = np.clip(np.maximum(liked, needed), 1, tastes)
    # `liked` tastes per user, drawn without replacement in proportion to their sizes (Gumbel keys)
    keys = np.log(catalogue.taste_size)[None, :] + rng.gumbel(size=(users, tastes))
    place = np.argsort(np.argsort(-keys, axis=1), axis=1)
    weights = np.where(place < liked[:, None], rng.gamma(1.0, size=(users, tastes)) + 0.2, 0.0)
    weights *= ((1 - noise) / weights.sum(1))[:, None]
    return np.column_stack([weights, noise])


def _draw(
    rng: np.random.Generator, user: np.ndarray, steps: np.ndarray, catalogue: Catalogue, uniform: np.ndarray
) -> np.ndarray:
    """One item per entry of `user` (local user indices) from that user's mixture, or uniformly over all
    items for the users marked in `uniform`; repeats possible."""
    width = steps.shape[1]
    flat = (steps + np.arange(len(steps))[:, None]).ravel()
    component = np.searchsorted(flat, user + rng.random(len(user)), side="right") - user * width
    component = np.clip(component, 0, width - 1)
    low, high = catalogue.low[component], catalogue.high[component]
    position = np.searchsorted(catalogue.cumulative, low + rng.random(len(user)) * (high - low), side="right")
    item = catalogue.by_taste[np.clip(position, catalogue.first[component], catalogue.last[component])]
    even = uniform[user]
    if even.any():
        item[even] = rng.integers(len(catalogue.ids), size=int(even.sum()))
    return item


def _contains(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    where = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[where] == values


def _pick_items(
    rng: np.random.Generator, wanted: np.ndarray, mixtures: np.ndarray, catalogue: Catalogue, given: np.ndarray
) -> np.ndarray:
    """Distinct items per user, exactly `wanted[u]` of them: keys user * items + item, sorted.

    `given` are keys the users have already (each item's guaranteed rater).
    Rounds of draws; a drawn item the user already has is drawn again in the
    next round, which is the same as drawing without replacement. Each user
    draws more than it misses, by how many of its last round's draws were
    new, so heavy users finish in a few rounds too. A user who has taken
    nearly all its mixture's likely items (under MIN_FRESH of its draws new)
    draws the rest uniformly; only very dense sizes come to that.
    """
    count = np.int64(len(catalogue.ids))
    steps = np.cumsum(mixtures, axis=1)
    steps[:, -1] = 1.0
    open_keys = np.sort(given)  # sorted keys of users still missing items
    missing = wanted.astype(np.int64) - np.bincount(open_keys // count, minlength=len(wanted))
    factor = np.full(len(wanted), 1.15)
    uniform = np.zeros(len(wanted), dtype=bool)  # users who have used up their mixture's likely items
    done: list[np.ndarray] = [open_keys[missing[open_keys // count] == 0]]
    open_keys = open_keys[missing[open_keys // count] > 0]
    active = np.flatnonzero(missing > 0)
    for round_number in range(MAX_ROUNDS):
        if len(active) == 0:
            break
        draws = np.ceil(missing[active] * factor[active]).astype(np.int64) + 1
        if draws.sum() > DRAW_BUDGET:  # bounded memory: fewer draws this round, more rounds
            draws = np.ceil(draws * (DRAW_BUDGET / draws.sum())).astype(np.int64)
        user = np.repeat(active, draws)
        if round_number == UNIFORM_AFTER:
            uniform[:] = True
        item = _draw(rng, user, steps, catalogue, uniform)
        keys, first = np.unique(user * count + item, return_index=True)
        new = ~_contains(open_keys, keys)
        keys = keys[new][np.argsort(first[new], kind="stable")]  # in draw order, so grouped by user
        owner = keys // count
        rank = np.arange(len(keys)) - np.searchsorted(owner, owner, side="left")
        fresh = np.bincount(owner, minlength=len(wanted))[active]
        kept = rank < missing[owner]
        keys, owner = keys[kept], owner[kept]
        missing -= np.bincount(owner, minlength=len(wanted))
        factor[active] = np.clip(1.15 * draws / np.maximum(fresh, 1), 1.0, MAX_DRAW_FACTOR)
        uniform[active[fresh < MIN_FRESH * draws]] = True
        open_keys = np.sort(np.concatenate([open_keys, keys]))
        finished = missing[open_keys // count] == 0
        done.append(open_keys[finished])
        open_keys = open_keys[~finished]
        active = active[missing[active] > 0]
    if len(active):
        raise RuntimeError(f"{len(active)} users could not be given distinct items after {MAX_ROUNDS} rounds")
    return np.sort(np.concatenate(done))


# ---------------------------------------------------------------- one chunk of users


def _chunk_rows(
    rng: np.random.Generator,
    wanted: np.ndarray,
    first_user: int,
    catalogue: Catalogue,
    tastes: int,
    given: np.ndarray,
    shape: Shape,
    eras: np.ndarray | None,
) -> tuple[pa.Table, np.ndarray]:
    """The rows of users first_user.. (local indices from 0), and each user's main taste (the one it
    draws most from); `given` are their guaranteed keys. `eras`: a start time per taste, or None."""
    users = len(wanted)
    mixtures = _mixtures(rng, wanted, catalogue, tastes, shape)
    main_taste = np.argmax(mixtures[:, :tastes], axis=1)
    count = len(catalogue.ids)
    keys = _pick_items(rng, wanted, mixtures, catalogue, given)
    user, item = keys // count, keys % count
    rows = len(keys)

    # timestamps: a first day and an active span per user, ratings spread over it
    start = rng.integers(START_FROM, START_UNTIL, users)
    if eras is not None:
        start = np.clip(eras[main_taste] + rng.normal(0.0, ERA_SPREAD, users), START_FROM, START_UNTIL).astype(np.int64)
    log_days = rng.normal(-1.0, 1.5, users) + 0.5 * np.log10(wanted / MIN_RATINGS)
    span = np.minimum(10.0**log_days * DAY, LAST_DAY - FIRST_DAY).astype(np.int64)
    start = np.maximum(np.minimum(start, LAST_DAY - span), FIRST_DAY)
    stamp = start[user] + np.floor(rng.random(rows) * span[user]).astype(np.int64)

    # ratings: user bias + item quality + liked-taste bonus + noise, whole or half stars
    liked = mixtures[user, catalogue.taste[item]] > 0
    bias = rng.normal(0.0, 0.45, users)
    score = 3.2 + bias[user] + catalogue.quality[item] + np.where(liked, 0.3, -0.4) + rng.normal(0.0, 0.95, rows)
    halves = (start >= HALF_STARS_FROM)[user] & (rng.random(rows) < HALF_STAR_SHARE)
    code = np.where(halves, np.rint(score * 2), 2 * np.rint(score))
    code = np.clip(code, np.where(halves, 1, 2), 10).astype(np.int8)

    # by user, then time; ties keep the item order (stamps fit in 31 bits)
    order = np.argsort((user << 31) | (stamp - FIRST_DAY), kind="stable")
    table = pa.table(
        {
            "userId": pa.array(first_user + 1 + user[order]),
            "movieId": pa.array(catalogue.ids[item[order]]),
            "rating": RATING_LABELS.take(pa.array(code[order])),
            "timestamp": pa.array(stamp[order]),
        }
    )
    return table, main_taste


# ---------------------------------------------------------------- writing


def _write_csv(table: pa.Table, handle) -> None:
    pa_csv.write_csv(table, handle, pa_csv.WriteOptions(include_header=False, quoting_style="none"))


def generate(
    out_dir: Path,
    interactions: int,
    seed: int = 42,
    items: int | None = None,
    users: int | None = None,
    tastes: int | None = None,
    shape: Shape = Shape(),
) -> GeneratedInfo:
    """Write ratings.csv, movies.csv, tastes.csv and user_tastes.csv into out_dir (created; files of these
    names replaced).

    ValueError when the sizes cannot work (see `plan_sizes`). Each file is
    written under a temporary name and renamed when complete.
    """
    began = time.perf_counter()
    sizes = plan_sizes(interactions, items, users, tastes)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    catalogue, movies = _catalogue(rng, sizes, shape)
    wanted = _activity(rng, sizes, shape)
    chunk_of_user = (np.cumsum(wanted) - wanted) // CHUNK_INTERACTIONS
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(chunk_of_user)) + 1, [sizes.users]])
    chunk_rngs = rng.spawn(len(bounds) - 1)
    # every item gets one guaranteed rater: distinct rating slots, so no user gets more than it rates
    slot = rng.choice(sizes.interactions, size=sizes.items, replace=False)
    rater = np.searchsorted(np.cumsum(wanted), slot, side="right")
    by_rater = np.argsort(rater, kind="stable")
    rater, rated = rater[by_rater], np.arange(sizes.items, dtype=np.int64)[by_rater]
    eras = rng.integers(START_FROM, START_UNTIL, sizes.tastes) if shape.time_taste else None
    main_taste = []

    paths = [out_dir / name for name in FILES]
    partial = [path.with_name(path.name + ".partial") for path in paths]
    try:
        with open(partial[0], "wb") as handle:
            handle.write(b"userId,movieId,rating,timestamp\n")
            for chunk_rng, low, high in zip(chunk_rngs, bounds[:-1], bounds[1:]):
                inside = slice(*np.searchsorted(rater, [low, high]))
                given = (rater[inside] - low) * sizes.items + rated[inside]
                table, chunk_tastes = _chunk_rows(
                    chunk_rng, wanted[low:high], int(low), catalogue, sizes.tastes, given, shape, eras
                )
                _write_csv(table, handle)
                main_taste.append(chunk_tastes)
        with open(partial[1], "wb") as handle:
            handle.write(b"movieId,title,genres\n")
            _write_csv(pa.Table.from_pandas(movies[["movieId", "title", "genres"]], preserve_index=False), handle)
        with open(partial[2], "wb") as handle:
            handle.write(b"movieId,taste\n")
            _write_csv(pa.Table.from_pandas(movies[["movieId", "taste"]], preserve_index=False), handle)
        with open(partial[3], "wb") as handle:
            handle.write(b"userId,taste\n")
            user_taste = np.concatenate(main_taste).astype(np.int64)
            _write_csv(pa.table({"userId": np.arange(1, sizes.users + 1), "taste": user_taste}), handle)
    except BaseException:
        for path in partial:
            path.unlink(missing_ok=True)
        raise
    for source, target in zip(partial, paths):
        source.replace(target)
    return GeneratedInfo(
        out_dir,
        sizes.interactions,
        sizes.items,
        sizes.users,
        sizes.tastes,
        seed,
        time.perf_counter() - began,
        paths,
        shape,
    )


# ---------------------------------------------------------------- quality checks


def load_tastes(folder: Path | str, ids, points: str = "items") -> np.ndarray:
    """The planted taste of each item, or each user's main taste (`points="users"`), in the order of
    `ids` (an item or user table's `id` column)."""
    name, column = ("tastes.csv", "movieId") if points == "items" else ("user_tastes.csv", "userId")
    path = Path(folder) / name
    frame = pd.read_csv(path, dtype={column: np.int64, "taste": np.int64})
    position = pd.Index(frame[column].to_numpy()).get_indexer(np.asarray(ids, dtype=np.int64))
    if (position < 0).any():
        unknown = np.asarray(ids)[position < 0][:5].tolist()
        raise ValueError(f"{path}: no taste for {int((position < 0).sum())} {points}, e.g. ids {unknown}")
    return frame["taste"].to_numpy()[position]


def taste_agreement(neighbours: np.ndarray, tastes: np.ndarray) -> float:
    """Mean over points of the share of their neighbours with the point's own taste.

    `neighbours` is N x k (indices into the same points, rows in the item
    table's order); negative indices mean "no neighbour" and are left out.
    Chance level is about the sum of squared taste shares (1/tastes when equal).
    """
    neighbours = np.asarray(neighbours)
    tastes = np.asarray(tastes)
    if neighbours.ndim != 2 or neighbours.shape[0] != len(tastes):
        raise ValueError(f"neighbours must be N x k with N = {len(tastes)} points, got shape {neighbours.shape}")
    valid = neighbours >= 0
    same = (tastes[np.where(valid, neighbours, 0)] == tastes[:, None]) & valid
    counted = valid.sum(1)
    rows = counted > 0
    if not rows.any():
        return float("nan")
    return float(np.mean(same.sum(1)[rows] / counted[rows]))

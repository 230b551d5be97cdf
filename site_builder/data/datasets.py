"""The datasets stage: the columns portals name checked before any work, each dataset loaded by
the reader of its format (data.readers) into a Dataset (data.dataset) with its computed columns,
and the per-user summaries (favourites, leaning) for the portals of users that name them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from site_builder.config import DatasetConfig, SiteConfig
from site_builder.data.dataset import COMPUTED_COLUMNS, Dataset
from site_builder.data.readers import READERS
from site_builder.errors import BuildError, Problem, clip, did_you_mean, quoted

# ---------------------------------------------------------------- columns


# Columns a portal of users may name, computed from the interactions when one does (add_summaries):
# favourites: the labels of the FAVOURITES items each user rated highest; leaning: the category of
# the items that takes the largest share of the user's interactions compared with everyone's (a category
# as the items' own, so that a map of users can be coloured and its regions named by it).
SUMMARY_COLUMNS = ["favourites", "leaning"]
FAVOURITES = 3
LEANING_MIN = 3  # interactions in a category before it can be a user's leaning
LEANING_CATEGORIES = 50  # at most, as the map colours no more (and the users x categories counts stay small)


def available_columns(dataset: DatasetConfig, points: str, root: Path | None = None) -> list[str]:
    """Columns a portal over this dataset can use, known before loading it. `root`: where the
    dataset's files are (data.remote.dataset_roots), by default its configured path."""
    summaries = SUMMARY_COLUMNS if points == "users" else []
    return READERS[dataset.format].columns(dataset, root or _path(dataset), points) + COMPUTED_COLUMNS + summaries


def check_columns(config: SiteConfig, roots: dict[str, Path] | None = None) -> None:
    """Every column a portal names exists in its dataset, checked before any work."""
    problems = column_problems(config, roots)
    if problems:
        raise BuildError(problems)


def column_problems(config: SiteConfig, roots: dict[str, Path] | None = None) -> list[Problem]:
    """The columns that portals name and their datasets lack; a portal whose dataset the
    config does not hold (a partial config, see config.load_config) is skipped."""
    problems: list[Problem] = []
    for index, portal in enumerate(config.portals):
        dataset = config.datasets.get(portal.dataset)
        if dataset is None:
            continue
        root = (roots or {}).get(portal.dataset) or dataset.path  # a partial config holds local datasets only
        try:
            available = available_columns(dataset, portal.points, root)
        except BuildError as error:  # the dataset's files themselves: said once per dataset
            problems += [problem for problem in error.problems if problem not in problems]
            continue
        named: list[tuple[tuple, str]] = [(("label",), portal.label)]
        named += [(("color_by",), portal.color_by)] if portal.color_by else []
        named += [(("metadata", i), column) for i, column in enumerate(portal.metadata)]
        for number, source in enumerate(portal.images.sources):
            where = ("images", "sources", number)
            if source.url_column is not None:
                named.append(((*where, "url_column", "column"), source.url_column.column))
            if source.tmdb is not None:
                named.append(((*where, "tmdb", "title_column"), source.tmdb.title_column))
                if source.tmdb.year_column:
                    named.append(((*where, "tmdb", "year_column"), source.tmdb.year_column))
        for key, column in named:
            if column not in available:
                problems.append(
                    Problem(
                        config.config_file,
                        config.where("portals", index, *key),
                        f'no column "{clip(column)}" in the {portal.points} of dataset "{portal.dataset}"'
                        f"{did_you_mean(column, available, root)}; "
                        f"available: {quoted(', '.join(available), root)}",
                    )
                )
    return problems


# What a reader's problem names when the fix is in site.yml: a key of the dataset's block.
CONFIG_KEY = re.compile(r"(columns|items|users)\.[a-z_]+(\[\d+\])?|interactions|header")


def load_configured(config: SiteConfig, name: str, root: Path | None = None) -> Dataset:
    """load_dataset for a dataset of site.yml, its readers' problems with a key of the dataset's
    block said of site.yml (in_site_yml): what the build and `portals evaluate` load."""
    try:
        return load_dataset(name, config.datasets[name], root)
    except BuildError as error:
        raise in_site_yml(error, name, config) from None


def in_site_yml(error: BuildError, name: str, config: SiteConfig) -> BuildError:
    """A reader's problems, those about a key of the dataset's block said of site.yml: the key's
    whole path and line (datasets.books.items.id (line 17)), and the data file in the message."""
    problems = []
    for problem in error.problems:
        if CONFIG_KEY.fullmatch(problem.where):
            loc = [int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", problem.where) if p]
            message = problem.message
            shown = Path(problem.file).name
            if shown not in message:
                message += f" ({shown})"
            problem = Problem(config.config_file, config.where("datasets", name, *loc), message)
        problems.append(problem)
    return BuildError(problems)


def load_dataset(name: str, config: DatasetConfig, root: Path | None = None) -> Dataset:
    """The dataset in `root` (data.remote.dataset_roots; by default its configured path), read by
    the reader of its format, with the computed columns."""
    dataset = READERS[config.format].load(name, config, root or _path(config))
    _add_computed_columns(dataset)
    return dataset


def _path(dataset: DatasetConfig) -> Path:
    if dataset.path is None:
        raise ValueError("a dataset named by URL is read from its download: pass its root (data.remote.dataset_roots)")
    return dataset.path


def add_summaries_named(portals: list, datasets: dict[str, Dataset]) -> None:
    """add_summaries for each dataset a portal of users takes SUMMARY_COLUMNS from, by the label and
    colours of the dataset's portal of items when it has one."""
    for portal in portals:
        named = {portal.label, portal.color_by, *portal.metadata} & set(SUMMARY_COLUMNS)
        if portal.points != "users" or not (named or portal.picks_colours):  # its leaning may colour it
            continue
        items = next((p for p in portals if p.dataset == portal.dataset and p.points == "items"), None)
        add_summaries(datasets[portal.dataset], items.label if items else None, items.color_by if items else None)


def add_summaries(dataset: Dataset, item_label: str | None = None, category: str | None = None) -> None:
    """The users' `favourites` and `leaning` columns (see SUMMARY_COLUMNS), from the items'
    `item_label` column (default: title, label or id) and `category` column (default: the
    items' first_genre, or none)."""
    users, items = dataset.users, dataset.items
    if "favourites" in users:
        return
    item_label = item_label or next((c for c in ("title", "label") if c in items), "id")
    labels = items[item_label].astype(str).to_numpy(object)
    popularity = items["num_ratings"].to_numpy()
    order = _best_first(dataset, popularity)
    user_sorted = dataset.user_index[order]
    starts = np.searchsorted(user_sorted, np.arange(len(users)))
    rank = np.arange(len(order)) - starts[user_sorted]
    best = order[rank < FAVOURITES]
    favourites = [[] for _ in range(len(users))]
    for user, item in zip(dataset.user_index[best].tolist(), dataset.item_index[best].tolist()):
        if labels[item] not in favourites[user]:
            favourites[user].append(labels[item])
    users["favourites"] = ["; ".join(names) for names in favourites]

    category = category or ("first_genre" if "first_genre" in items else None)
    codes, names = pd.factorize(items[category].astype(str)) if category else (None, [])
    if not 1 < len(names) <= LEANING_CATEGORIES:  # a leaning among thousands of values says nothing
        users["leaning"] = ""
        return
    counts = sp.csr_matrix(
        (np.ones(len(dataset.item_index)), (dataset.user_index, codes[dataset.item_index])),
        shape=(len(users), len(names)),
    ).toarray()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    overall = counts.sum(axis=0) / max(counts.sum(), 1)
    lift = np.where(counts >= LEANING_MIN, share / np.maximum(overall, 1e-12), 0)
    top = lift.argmax(axis=1)
    users["leaning"] = [str(names[c]) if lift[u, c] > 1 else "" for u, c in enumerate(top)]


KEY_BITS = 63  # of a sort key in an int64


def _best_first(dataset: Dataset, popularity: np.ndarray) -> np.ndarray:
    """The interactions by user; each user's best rated first (unrated last), then the less popular
    item first (more telling); ties as they come. That is np.lexsort's order, found by one sort of
    a single integer key where the three ranks fit in 63 bits (at 32 million interactions the
    sources stage of benchmarks/scale.py went from 26.5 to 14.5 s)."""
    codes, values = pd.factorize(dataset.rating, sort=True)  # unrated (NaN): -1
    rating_rank = np.where(codes < 0, len(values), len(values) - 1 - codes)  # best first, unrated last
    counts, item_rank = np.unique(popularity, return_inverse=True)
    bits = [max(1, int(n).bit_length()) for n in (len(dataset.users), len(values) + 1, len(counts))]
    if sum(bits) > KEY_BITS:
        return np.lexsort((popularity[dataset.item_index], -dataset.rating, dataset.user_index))
    key = dataset.user_index.astype(np.int64) << (bits[1] + bits[2])
    key |= rating_rank.astype(np.int64) << bits[2]
    key |= item_rank[dataset.item_index].astype(np.int64)
    return np.argsort(key, kind="stable")


def _add_computed_columns(dataset: Dataset) -> None:
    for table, index in ((dataset.items, dataset.item_index), (dataset.users, dataset.user_index)):
        counts = np.bincount(index, minlength=len(table))
        # a rating that means "not rated" (NaN, columns.not_rated) counts as met, not in the mean
        ratings = dataset.rating.astype(np.float64)
        rated = ~np.isnan(ratings)
        num_rated = np.bincount(index, weights=rated, minlength=len(table))
        sums = np.bincount(index, weights=np.where(rated, ratings, 0.0), minlength=len(table))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(num_rated > 0, sums / np.maximum(num_rated, 1), np.nan)
        table["num_ratings"] = counts.astype(np.int64)
        table["mean_rating"] = np.round(means, 2)

"""Stage 2: load a dataset into one in-memory form.

A Dataset holds the interactions as compact numpy arrays (user index, item
index, rating, timestamp) and one table per side (items, users) whose row
order is the index used by the interactions. Each table has an `id` column,
the reader's own columns, and two columns computed from the interactions:
`num_ratings` and `mean_rating`.

The readers (the readers package, one module per family of formats) check the data as they load it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .config import DatasetConfig, SiteConfig
from .errors import BuildError, Problem, clip, did_you_mean, quoted

@dataclass
class Dataset:
    name: str
    user_index: np.ndarray  # int32, row in `users`
    item_index: np.ndarray  # int32, row in `items`
    rating: np.ndarray  # float32
    timestamp: np.ndarray  # int64, Unix seconds
    items: pd.DataFrame
    users: pd.DataFrame
    fingerprint: str  # sha256 of the input files' bytes
    files: list[Path] = field(default_factory=list)

    @property
    def num_interactions(self) -> int:
        return int(self.user_index.shape[0])

    def side(self, points: str) -> pd.DataFrame:
        return self.items if points == "items" else self.users


# ---------------------------------------------------------------- columns


COMPUTED_COLUMNS = ["num_ratings", "mean_rating"]


def available_columns(dataset: DatasetConfig, points: str) -> list[str]:
    """Columns a portal over this dataset can use, known before loading it."""
    from .readers import READERS

    return READERS[dataset.format].columns(dataset, dataset.path, points) + COMPUTED_COLUMNS


def check_columns(config: SiteConfig) -> None:
    """Every column a portal names exists in its dataset, checked before any work."""
    problems = column_problems(config)
    if problems:
        raise BuildError(problems)


def column_problems(config: SiteConfig) -> list[Problem]:
    """The columns that portals name and their datasets lack; a portal whose dataset the
    config does not hold (a partial config, see config.load_config) is skipped."""
    problems: list[Problem] = []
    for index, portal in enumerate(config.portals):
        dataset = config.datasets.get(portal.dataset)
        if dataset is None:
            continue
        try:
            available = available_columns(dataset, portal.points)
        except BuildError as error:  # the dataset's files themselves: said once per dataset
            problems += [problem for problem in error.problems if problem not in problems]
            continue
        named = [("label", portal.label)] + ([("color_by", portal.color_by)] if portal.color_by else [])
        named += [(f"metadata[{i}]", column) for i, column in enumerate(portal.metadata)]
        for number, source in enumerate(portal.images.sources):
            where = f"images.sources[{number}]"
            if source.url_column is not None:
                named.append((f"{where}.url_column.column", source.url_column.column))
            if source.tmdb is not None:
                named.append((f"{where}.tmdb.title_column", source.tmdb.title_column))
                if source.tmdb.year_column:
                    named.append((f"{where}.tmdb.year_column", source.tmdb.year_column))
        for key, column in named:
            if column not in available:
                problems.append(Problem(
                    config.config_file, f"portals[{index}].{key}",
                    f'no column "{clip(column)}" in the {portal.points} of dataset "{portal.dataset}"'
                    f'{did_you_mean(column, available, dataset.path)}; '
                    f'available: {quoted(", ".join(available), dataset.path)}'))
    return problems


def load_dataset(name: str, config: DatasetConfig) -> Dataset:
    from .readers import READERS

    dataset = READERS[config.format].load(name, config, config.path)
    _add_computed_columns(dataset)
    return dataset


def _add_computed_columns(dataset: Dataset) -> None:
    for table, index in ((dataset.items, dataset.item_index), (dataset.users, dataset.user_index)):
        counts = np.bincount(index, minlength=len(table))
        sums = np.bincount(index, weights=dataset.rating.astype(np.float64), minlength=len(table))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        table["num_ratings"] = counts.astype(np.int64)
        table["mean_rating"] = np.round(means, 2)


def fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def interaction_matrix(point_index: np.ndarray, other_index: np.ndarray, num_points: int,
                       num_other: int) -> sp.csr_matrix:
    """Binary points x other-side matrix (int32): 1 where the point and the other side met at least once."""
    matrix = sp.csr_matrix((np.ones(len(point_index), dtype=np.int32),
                            (np.asarray(point_index, dtype=np.int64), np.asarray(other_index, dtype=np.int64))),
                           shape=(num_points, num_other))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix

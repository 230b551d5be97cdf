"""The in-memory form of a dataset that every stage after the readers works on.

A Dataset holds the interactions as compact numpy arrays (user index, item
index, rating, timestamp) and one table per side (items, users) whose row
order is the index used by the interactions. Each table has an `id` column,
the reader's own columns, and the columns computed from the interactions
(COMPUTED_COLUMNS).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp


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
        """The table of the points ("items" or "users")."""
        return self.items if points == "items" else self.users

    def other_side(self, points: str) -> pd.DataFrame:
        """The table of what the points met: the users for a map of items, and the other way."""
        return self.users if points == "items" else self.items

    def indices(self, points: str) -> tuple[np.ndarray, np.ndarray]:
        """Per interaction, the row of its point and the row of the other side's entry."""
        return (self.item_index, self.user_index) if points == "items" else (self.user_index, self.item_index)


COMPUTED_COLUMNS = ["num_ratings", "mean_rating"]


def fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def interaction_matrix(
    point_index: np.ndarray, other_index: np.ndarray, num_points: int, num_other: int
) -> sp.csr_matrix:
    """Binary points x other-side matrix (int32): 1 where the point and the other side met at least once."""
    matrix = sp.csr_matrix(
        (
            np.ones(len(point_index), dtype=np.int32),
            (np.asarray(point_index, dtype=np.int64), np.asarray(other_index, dtype=np.int64)),
        ),
        shape=(num_points, num_other),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix

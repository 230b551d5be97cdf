"""The goodbooks-10k reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from site_builder.config import DatasetConfig
from site_builder.data.dataset import Dataset
from site_builder.data.readers.tables import (
    Interactions,
    Place,
    Table,
    assemble,
    decades,
    gather,
    read_csv_checked,
    require,
)

GOODBOOKS_ITEM_COLUMNS = ["id", "title", "authors", "first_author", "year", "decade", "language", "image_url"]


class Goodbooks10k:
    """goodbooks-10k: ratings.csv (user_id, book_id, rating; no times) and books.csv."""

    FILES = ("ratings.csv", "books.csv")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        require(root, self.FILES, "goodbooks-10k")
        return list(GOODBOOKS_ITEM_COLUMNS if points == "items" else ["id"])

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, books_path = require(root, self.FILES, "goodbooks-10k")
        ratings, books = gather(
            lambda: read_csv_checked(ratings_path, {"user_id": "int", "book_id": "int", "rating": "float"}),
            lambda: read_csv_checked(
                books_path,
                {
                    "book_id": "int",
                    "title": "str",
                    "authors": "str",
                    "original_publication_year": "float?",
                    "language_code": "str",
                    "image_url": "str",
                },
            ),
        )
        # No times: the row number keeps each user's books in file order.
        interactions = Interactions.from_frame(ratings, Place(ratings_path), "user_id", "book_id", "rating", None)
        return assemble(
            name, interactions, Table(_book_table(books), Place(books_path)), None, [ratings_path, books_path]
        )


def _book_table(books: pd.DataFrame) -> pd.DataFrame:
    """Goodreads' "nophoto" placeholder is no picture: dropped, so the generated card stands in."""
    text = {c: books[c].fillna("").astype(str) for c in ("title", "authors", "language_code", "image_url")}
    year, decade = decades(books["original_publication_year"].round())
    image = text["image_url"].where(~text["image_url"].str.contains("/nophoto/", regex=False), "")
    return pd.DataFrame(
        {
            "id": books["book_id"].to_numpy(np.int64),
            "title": text["title"].to_numpy(object),
            "authors": text["authors"].to_numpy(object),
            "first_author": text["authors"].str.split(",").str[0].str.strip().to_numpy(object),
            "year": year,
            "decade": decade,
            "language": text["language_code"].to_numpy(object),
            "image_url": image.to_numpy(object),
        }
    )

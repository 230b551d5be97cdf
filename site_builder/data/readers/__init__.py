"""Dataset readers, one per format: each turns files into a Dataset.

Every reader checks its data as it loads it; each problem names the file and
the line (as a text editor counts it, header included; Parquet files, which
have no lines, count rows from 1), and all problems are reported together.
data.datasets.load_dataset adds the computed columns (num_ratings,
mean_rating) afterwards.

A reader only parses its files into an `Interactions` (the raw user and item
ids per row, ratings, times) and optional side `Table`s; `assemble` does the
rest the same way for every format: it checks ids, indexes the interactions
against the side tables and builds the Dataset. The interactions keep their
file order, so when a format has no times the row number stands in for the
time and sentences follow the file.

Large files go through pandas' C parser with explicit types, and ids are
indexed with pandas/numpy (hash lookups, factorize), never a Python object
per interaction when ids are integers.

One module per concern: `tables` (checked CSV, headerless and Parquet
reading, problems with their lines, `assemble`), `movielens`, `goodbooks`
and `generic` (CSV, Parquet or JSON Lines with a column mapping).
"""

from __future__ import annotations

from site_builder.data.readers.generic import Generic
from site_builder.data.readers.goodbooks import GOODBOOKS_ITEM_COLUMNS, Goodbooks10k
from site_builder.data.readers.movielens import (
    AGE_BANDS,
    ML1M_AGES,
    ML1M_OCCUPATIONS,
    ML1M_USER_COLUMNS,
    ML100K_GENRES,
    MOVIELENS_ITEM_COLUMNS,
    MOVIELENS_USER_COLUMNS,
    MovieLens1m,
    MovieLens100k,
    MovieLensCsv,
    age_band,
)
from site_builder.data.readers.tables import (
    MAX_REPORTED,
    Interactions,
    Place,
    Reader,
    Table,
    assemble,
    read_csv_checked,
    read_delimited,
)

READERS: dict[str, Reader] = {
    "movielens-csv": MovieLensCsv(),
    "movielens-1m": MovieLens1m(),
    "movielens-100k": MovieLens100k(),
    "goodbooks-10k": Goodbooks10k(),
    "csv": Generic("csv"),
    "parquet": Generic("parquet"),
    "jsonl": Generic("jsonl"),
}

__all__ = [
    "AGE_BANDS",
    "GOODBOOKS_ITEM_COLUMNS",
    "MAX_REPORTED",
    "ML1M_AGES",
    "ML1M_OCCUPATIONS",
    "ML1M_USER_COLUMNS",
    "ML100K_GENRES",
    "MOVIELENS_ITEM_COLUMNS",
    "MOVIELENS_USER_COLUMNS",
    "READERS",
    "Generic",
    "Goodbooks10k",
    "Interactions",
    "MovieLens1m",
    "MovieLens100k",
    "MovieLensCsv",
    "Place",
    "Table",
    "age_band",
    "assemble",
    "read_csv_checked",
    "read_delimited",
]

"""The local and URL-column picture sources: a candidate image per point.

Each source's finder takes the points still without a picture and answers,
per point, a Hit (a file to thumbnail) or the reason it has none. The TMDB
source, which needs an API, is in tmdb.py.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from site_builder.config import LocalImages, UrlColumnImages
from site_builder.errors import BuildError, Problem
from site_builder.pictures.download import Downloader, FetchResult

log = logging.getLogger(__name__)


@dataclass
class Hit:
    """A candidate image for one point, not yet thumbnailed."""

    origin: str  # "local", "cache" or "downloaded"
    path: Path


def id_text(value: object) -> str | None:
    """Ids as they appear in file names: 42, not 42.0; None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def local_candidates(table: pd.DataFrame, pending: list[int], local: LocalImages, content_dir: Path) -> dict[int, Hit]:
    """Files named by id; the folder is listed once (cheaper than N x
    extensions stat calls), and extensions match in any case (42.JPG)."""
    folder = Path(content_dir) / local.folder
    if not folder.is_dir():
        log.warning("image folder %s does not exist; skipping the local source", folder)
        return {}
    files: dict[str, Path] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file():
                files.setdefault(entry.name.lower(), Path(entry.path))
    extensions = [ext.lower().lstrip(".") for ext in local.extensions]
    ids = table["id"].to_numpy(object)
    found: dict[int, Hit] = {}
    for index in pending:
        stem = id_text(ids[index])
        if stem is None:
            continue
        for ext in extensions:
            path = files.get(f"{stem.lower()}.{ext}")
            if path is not None:
                found[index] = Hit("local", path)
                break
    return found


def column_values(table: pd.DataFrame, column: str, where: str) -> np.ndarray:
    if column not in table.columns:
        raise BuildError(
            Problem(
                "site.yml",
                where,
                f'no column "{column}" in the point table; available: {", ".join(map(str, table.columns))}',
            )
        )
    return table[column].to_numpy(object)


def text_of(value: object) -> str:
    """NaN, None and blanks are all "no value"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def url_candidates(
    table: pd.DataFrame, pending: list[int], source: UrlColumnImages, downloader: Downloader, where: str
) -> dict[int, Hit | str]:
    values = column_values(table, source.column, f"{where}.url_column.column")
    wanted = {index: url for index in pending if (url := text_of(values[index]))}
    results = downloader.fetch_many(list(wanted.values()), progress=True)
    return {index: fetch_outcome(results[url]) for index, url in wanted.items()}


def fetch_outcome(result: FetchResult) -> Hit | str:
    return Hit(result.status, result.path) if result.ok else result.reason

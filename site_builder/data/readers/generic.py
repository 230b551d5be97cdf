"""The generic readers: any CSV or Parquet file of interactions, with the columns named in the config."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from site_builder.config import DatasetConfig, SideTable
from site_builder.data.dataset import COMPUTED_COLUMNS, Dataset
from site_builder.data.readers.tables import (
    INTEGER_TEXT,
    SAMPLE_ROWS,
    Interactions,
    Place,
    Table,
    assemble,
    gather,
    read_columns,
    report_rows,
)
from site_builder.errors import BuildError, Problem

# ---------------------------------------------------------------- generic CSV and Parquet


# Column names the generic readers make themselves; a listed column may not take one.
MADE_COLUMNS = {"id": "id", "label": "label", "image_url": "image"}


class Generic:
    """Any CSV (UTF-8, with a header) or Parquet file of interactions; the config names the columns."""

    def __init__(self, parquet: bool):
        self.parquet = parquet

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        side = config.items if points == "items" else config.users
        names = ["id"]
        if points == "items" or (side is not None and side.label):
            names.append("label")
        if side is not None:
            names += [c for c in side.columns if c not in names]
            if side.image and "image_url" not in names:
                names.append("image_url")
        return names

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        path, folder = _generic_paths(config, Path(root))
        items, users, interactions = gather(
            lambda: _read_side(folder, config.items, "items", self.parquet) if config.items else None,
            lambda: _read_side(folder, config.users, "users", self.parquet) if config.users else None,
            lambda: _read_interactions(path, config, self.parquet),
        )
        interactions = _same_id_kinds(interactions, items, users)
        files = [path] + [t.place.path for t in (items, users) if t is not None]
        dataset = assemble(name, interactions, items, users, files)
        if "label" not in dataset.items:
            dataset.items.insert(1, "label", _text(dataset.items["id"]))
        return dataset


def _generic_paths(config: DatasetConfig, root: Path) -> tuple[Path, Path]:
    """The interactions file, and the folder the side tables are in."""
    if root.is_file():
        return root, root.parent
    if config.interactions is None:
        raise BuildError(Problem(root, "interactions", "name the interactions file inside this dataset folder"))
    path = root / config.interactions
    if not path.is_file():
        raise BuildError(Problem(path, "interactions", "file not found in the dataset folder"))
    return path, root


def _read_interactions(path: Path, config: DatasetConfig, parquet: bool) -> Interactions:
    mapping = config.columns
    wanted = {"columns.user": mapping.user, "columns.item": mapping.item}
    roles = {mapping.user: "id", mapping.item: "id"}
    if mapping.weight:
        wanted["columns.weight"] = mapping.weight
        roles.setdefault(mapping.weight, "number")
    if mapping.timestamp:
        wanted["columns.timestamp"] = mapping.timestamp
        roles.setdefault(mapping.timestamp, "time")
    frame, place = read_columns(path, wanted, roles, parquet)
    problems: list[Problem] = []
    user = _ids(frame[mapping.user], place, mapping.user, problems)
    item = _ids(frame[mapping.item], place, mapping.item, problems)
    rating = (
        _weights(frame[mapping.weight], place, mapping.weight, problems)
        if mapping.weight
        else np.ones(len(frame), dtype=np.float32)
    )
    # Without times, the row number keeps each point's sentence in file order.
    timestamp = (
        _times(frame[mapping.timestamp], place, mapping.timestamp, problems)
        if mapping.timestamp
        else np.arange(len(frame), dtype=np.int64)
    )
    if problems:
        raise BuildError(problems)
    return Interactions(
        place=place,
        user=user,
        item=item,
        rating=rating,
        timestamp=timestamp,
        user_column=mapping.user,
        item_column=mapping.item,
    )


def _read_side(folder: Path, side: SideTable, key: str, parquet: bool) -> Table:
    """A side table: id, label, the listed columns (own names) and image_url, in that order."""
    path = folder / side.file
    if not path.is_file():
        raise BuildError(Problem(path, f"{key}.file", "file not found in the dataset folder"))
    problems = _clashing_columns(path, side, key)
    if problems:
        raise BuildError(problems)
    wanted = {f"{key}.id": side.id}
    roles = {side.id: "id"}
    if side.label:
        wanted[f"{key}.label"] = side.label
        roles.setdefault(side.label, "text")
    for index, column in enumerate(side.columns):
        wanted[f"{key}.columns[{index}]"] = column
        roles.setdefault(column, "any")
    if side.image:
        wanted[f"{key}.image"] = side.image
        roles.setdefault(side.image, "text")
    frame, place = read_columns(path, wanted, roles, _is_parquet(path, parquet))
    table = {"id": _ids(frame[side.id], place, side.id, problems)}
    if side.label:
        table["label"] = _text(frame[side.label])
    for column in side.columns:
        table.setdefault(column, _kept(frame[column]))
    if side.image:
        table.setdefault("image_url", _text(frame[side.image]))
    if problems:
        raise BuildError(problems)
    return Table(pd.DataFrame(table), place)


def _clashing_columns(path: Path, side: SideTable, key: str) -> list[Problem]:
    """A listed column may not take a name the reader fills itself, unless it is that very column."""
    problems = []
    own = {"id": side.id, "label": side.label, "image_url": side.image}
    for index, column in enumerate(side.columns):
        if column in COMPUTED_COLUMNS or (column in own and own[column] != column):
            made = (
                "computed from the interactions"
                if column in COMPUTED_COLUMNS
                else f"filled from `{key}.{MADE_COLUMNS[column]}`"
            )
            problems.append(
                Problem(
                    path,
                    f"{key}.columns[{index}]",
                    f'"{column}" is a column the reader makes itself ({made}); rename it in the file',
                )
            )
    return problems


def _is_parquet(path: Path, default: bool) -> bool:
    """Side tables may be CSV or Parquet whatever the interactions are: the suffix decides."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".parq", ".pq"):
        return True
    if suffix in (".csv", ".txt"):
        return False
    return default


def _same_id_kinds(interactions: Interactions, items: Table | None, users: Table | None) -> Interactions:
    """Integer ids on one side and text on the other are compared as text, as both files wrote them."""
    for attribute, table in (("item", items), ("user", users)):
        if table is None:
            continue
        values, ids = getattr(interactions, attribute), table.frame["id"]
        if (values.dtype.kind == "O") != (ids.dtype.kind == "O"):
            setattr(interactions, attribute, values.astype(str).astype(object))
            table.frame["id"] = ids.astype(str).to_numpy(object)
    return interactions


# ---------------------------------------------------------------- generic columns


def _ids(series: pd.Series, place: Place, column: str, problems: list[Problem]) -> np.ndarray:
    """Ids as int64 when every one is written as an integer, else as text exactly as written."""
    kind = series.dtype.kind
    if kind in "iu":
        return series.to_numpy(np.int64)
    missing = series.isna().to_numpy()
    if kind == "f" and not missing.any():
        values = series.to_numpy(np.float64)
        if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
            return values.astype(np.int64)
    text = _text(series)
    empty = np.flatnonzero(missing | (text == ""))
    report_rows(
        problems,
        place,
        empty,
        lambda row: f"{column} is empty; every interaction needs one",
        f"rows with an empty {column}",
    )
    if len(empty) == 0 and _all_integers(pd.Series(text, dtype=object)):
        return text.astype(np.int64)
    return text


def _all_integers(text: pd.Series) -> bool:
    """Checks a sample first, so text ids are told apart without scanning every row."""
    head = text.iloc[:SAMPLE_ROWS]
    return bool(head.str.fullmatch(INTEGER_TEXT).all()) and bool(text.str.fullmatch(INTEGER_TEXT).all())


def _text(series: pd.Series) -> np.ndarray:
    """Text as written (missing becomes ""), for labels, image URLs and text ids."""
    if series.dtype.kind in "iu":
        return series.astype(str).to_numpy(object)
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy(object)


def _kept(series: pd.Series) -> np.ndarray:
    """A listed column: numbers stay numbers (for colouring), missing text becomes ""."""
    if series.dtype.kind in "iufbM":
        return series.to_numpy()
    return _text(series)


def _weights(series: pd.Series, place: Place, column: str, problems: list[Problem]) -> np.ndarray:
    """Weights must be numbers; each one that is not is a problem with its line."""
    if series.dtype.kind in "iufb":
        values = series.to_numpy(np.float64)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    text = _text(series)
    report_rows(
        problems,
        place,
        bad,
        lambda row: f"{column} is {place.show(text[row])}, expected a number (the weight)",
        f"rows whose {column} is not a number",
    )
    return values.astype(np.float32)


TIME_EXAMPLE = "Unix seconds or a date-time such as 2024-01-31 or 2024-01-31T12:00:00Z"


def _times(series: pd.Series, place: Place, column: str, problems: list[Problem]) -> np.ndarray:
    """Unix seconds from integer seconds, date-time values, or date-time text (read as UTC unless it says otherwise).

    A text column holds numbers or date-times as its first value does; every
    value that is not of that kind is a problem with its line.
    """
    kind = series.dtype.kind
    if kind in "iu":
        return series.to_numpy(np.int64)
    if kind == "M":
        seconds, bad = _seconds(series)
    elif kind == "f":
        values = series.to_numpy(np.float64)
        bad = ~np.isfinite(values)
        seconds = np.floor(np.where(bad, 0, values)).astype(np.int64)
    else:
        text = series.astype(object).where(series.notna(), "").astype(str)
        filled = text[text != ""]
        if len(filled) and pd.notna(pd.to_numeric(filled.iloc[0], errors="coerce")):
            values = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(values)
            seconds = np.floor(np.where(bad, 0, values)).astype(np.int64)
        else:
            seconds, bad = _seconds(_parse_date_times(text))
    shown = _text(series)
    report_rows(
        problems,
        place,
        np.flatnonzero(bad),
        lambda row: f"{column} is {place.show(shown[row])}, expected {TIME_EXAMPLE}",
        f"rows whose {column} is not a time",
    )
    return seconds


def _parse_date_times(text: pd.Series) -> pd.Series:
    """ISO 8601 in any of its forms (date only, 'T' or space, 'Z' or an offset), else one inferred format.

    pandas alone infers a single format from the first value, so "2024-01-02"
    followed by "2024-01-02 12:00" would fail; ISO first avoids that, and the
    fallback still reads other consistent formats such as 01/31/2024.
    """
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    rest = parsed.isna() & (text != "")
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format": parsed one by one
            parsed[rest] = pd.to_datetime(text[rest], errors="coerce", utc=True)
    return parsed


def _seconds(moments: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole Unix seconds of date-times (naive ones taken as UTC), and which were missing."""
    if moments.dt.tz is None:
        moments = moments.dt.tz_localize("UTC")
    bad = moments.isna().to_numpy()
    epoch = pd.Timestamp(0, tz="UTC")
    seconds = (moments.fillna(epoch) - epoch) // pd.Timedelta(seconds=1)
    return seconds.to_numpy(np.int64), bad

"""The generic readers: any CSV, Parquet or JSON Lines file of interactions, with the columns named in the config.

Each file is read by its suffix (.csv/.tsv/.txt/.dat, .parquet, .jsonl/.json, compressed or
not), else by the dataset's format; the dataset's `separator`, `encoding` and `header` say how
its delimited text files are written.
"""

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
    Dialect,
    Interactions,
    Place,
    Table,
    assemble,
    file_kind,
    gather,
    read_columns,
    report_rows,
)
from site_builder.errors import BuildError, Problem

# ---------------------------------------------------------------- generic CSV and Parquet


# Column names the generic readers make themselves; a listed column may not take one.
MADE_COLUMNS = {"id": "id", "label": "label", "image_url": "image"}


class Generic:
    """Any CSV, Parquet or JSON Lines file of interactions; the config names the columns.
    `kind`: how a file whose suffix says nothing is read ("csv", "parquet" or "jsonl")."""

    def __init__(self, kind: str):
        self.kind = kind

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
        items, users, (interactions, names) = gather(
            lambda: _read_side(folder, config.items, "items", config, self.kind) if config.items else None,
            lambda: _read_side(folder, config.users, "users", config, self.kind) if config.users else None,
            lambda: _read_interactions(path, config, self.kind),
        )
        interactions = _same_id_kinds(interactions, items, users)
        files = [path] + [t.place.path for t in (items, users) if t is not None]
        dataset = assemble(name, interactions, items, users, files)
        if "label" not in dataset.items:
            labels = _text(dataset.items["id"])
            if names is not None:  # the name each item has in its first interaction that gives one
                given = np.flatnonzero(names != "")
                first = pd.Series(given).groupby(dataset.item_index[given]).first()
                labels[first.index.to_numpy()] = names[first.to_numpy()]
            dataset.items.insert(1, "label", labels)
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


def _dialect(config: DatasetConfig, header: list[str] | None, side: SideTable | None = None) -> Dialect:
    """How a file is written: the dataset's keys, or where a side table gives its own, those."""

    def own(key: str):
        value = getattr(side, key) if side is not None else None
        return getattr(config, key) if value is None else value

    names = tuple(header) if header else None
    return Dialect(own("separator"), own("encoding"), names, own("quotes"), own("decimal"))


def _read_interactions(path: Path, config: DatasetConfig, kind: str) -> tuple[Interactions, np.ndarray | None]:
    """The interactions, and each row's item name when `columns.item_label` gives one."""
    mapping = config.columns
    wanted = {"columns.user": mapping.user, "columns.item": mapping.item}
    roles = {mapping.user: "id", mapping.item: "id"}
    if mapping.item_label:
        wanted["columns.item_label"] = mapping.item_label
        roles.setdefault(mapping.item_label, "text")
    if mapping.weight:
        wanted["columns.weight"] = mapping.weight
        roles.setdefault(mapping.weight, "number")
    if mapping.timestamp:
        wanted["columns.timestamp"] = mapping.timestamp
        roles.setdefault(mapping.timestamp, "time")
    frame, place = read_columns(path, wanted, roles, file_kind(path, kind), _dialect(config, config.header))
    problems: list[Problem] = []
    user = _ids(frame[mapping.user], place, mapping.user, problems)
    item = _ids(frame[mapping.item], place, mapping.item, problems)
    rating = (
        _weights(frame[mapping.weight], place, mapping.weight, problems)
        if mapping.weight
        else np.ones(len(frame), dtype=np.float32)
    )
    if mapping.not_rated:  # met, but not rated: no weight for means, the interaction still counts
        rating[np.isin(rating, np.asarray(mapping.not_rated, dtype=np.float32))] = np.nan
    # Without times, the row number keeps each point's sentence in file order.
    timestamp = (
        _times(frame[mapping.timestamp], place, mapping.timestamp, problems)
        if mapping.timestamp
        else np.arange(len(frame), dtype=np.int64)
    )
    if problems:
        raise BuildError(problems)
    interactions = Interactions(
        place=place,
        user=user,
        item=item,
        rating=rating,
        timestamp=timestamp,
        user_column=mapping.user,
        item_column=mapping.item,
    )
    return interactions, (_text(frame[mapping.item_label]) if mapping.item_label else None)


def _read_side(folder: Path, side: SideTable, key: str, config: DatasetConfig, kind: str) -> Table:
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
    frame, place = read_columns(path, wanted, roles, file_kind(path, kind), _dialect(config, side.header, side))
    table = {"id": _ids(frame[side.id], place, side.id, problems)}
    if side.label:
        table["label"] = _text(frame[side.label])
    for column in side.columns:
        table.setdefault(column, _kept(frame[column]))
    if side.image:
        table.setdefault("image_url", _text(frame[side.image]))
    if problems:
        raise BuildError(problems)
    return Table(pd.DataFrame(table), place, drop_unmatched=side.unmatched == "drop")


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


TIME_EXAMPLE = "Unix seconds or a date-time such as 2024-01-31, 2024-01-31T12:00:00Z or 31/01/2024"

# Unix times past these are milliseconds, then microseconds: in seconds they would be after the year 5000.
MILLISECONDS, MICROSECONDS = 10**11, 10**14


def _unit(values: np.ndarray) -> int:
    """How many of its units make a second, for Unix numbers written in seconds, milliseconds
    (Amazon's reviews) or microseconds: told apart by the size of the typical value."""
    typical = float(np.median(np.abs(values))) if len(values) else 0.0
    return 10**6 if typical >= MICROSECONDS else 1000 if typical >= MILLISECONDS else 1


def _unix_seconds(values: np.ndarray, bad: np.ndarray) -> np.ndarray:
    return np.floor(np.where(bad, 0, values) / _unit(values[~bad])).astype(np.int64)


def _times(series: pd.Series, place: Place, column: str, problems: list[Problem]) -> np.ndarray:
    """Unix seconds from Unix numbers, date-time values, or date-time text (read as UTC unless it says otherwise).

    A text column holds numbers or date-times as its first value does; every
    value that is not of that kind is a problem with its line.
    """
    kind = series.dtype.kind
    if kind in "iu":
        values = series.to_numpy(np.int64)
        return values // _unit(values)
    if kind == "M":
        seconds, bad = _seconds(series)
    elif kind == "f":
        values = series.to_numpy(np.float64)
        bad = ~np.isfinite(values)
        seconds = _unix_seconds(values, bad)
    else:
        text = series.astype(object).where(series.notna(), "").astype(str)
        filled = text[text != ""]
        if len(filled) and pd.notna(pd.to_numeric(filled.iloc[0], errors="coerce")):
            values = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(values)
            seconds = _unix_seconds(values, bad)
        else:
            seconds, bad = _seconds(parse_date_times(text))
    shown = _text(series)
    report_rows(
        problems,
        place,
        np.flatnonzero(bad),
        lambda row: f"{column} is {place.show(shown[row])}, expected {TIME_EXAMPLE}",
        f"rows whose {column} is not a time",
    )
    return seconds


# Date formats tried, in this order, on text that is not ISO 8601; the one that reads the most
# values wins, so 31/01/2024 is read day first and 01/31/2024 month first, and where every value
# reads either way (no day past the 12th) month first, as pandas does.
DATE_FORMATS = [
    f"{day}{time}"
    for day in (
        "%m/%d/%Y",
        "%d/%m/%Y",
        "%m/%d/%y",
        "%d/%m/%y",
        "%d.%m.%Y",
        "%d-%m-%Y",
        "%m-%d-%Y",
        "%m %d, %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%d %b %Y",
        "%d %B %Y",
        "%a, %d %b %Y",
    )
    for time in ("", " %H:%M", " %H:%M:%S")
]


def parse_date_times(text: pd.Series) -> pd.Series:
    """ISO 8601 in any of its forms (date only, 'T' or space, 'Z' or an offset), else the one of
    DATE_FORMATS that reads the most of the rest.

    pandas alone infers a single format from the first value, so "2024-01-02"
    followed by "2024-01-02 12:00" would fail, and it reads 03/04/2024 as
    March even in a file of 31/01/2024; trying whole formats on every value
    avoids both.
    """
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    rest = parsed.isna() & (text != "")
    if rest.any():
        values = text[rest]
        best, best_count = None, 0
        for candidate in DATE_FORMATS:
            attempt = pd.to_datetime(values, errors="coerce", utc=True, format=candidate)
            count = int(attempt.notna().sum())
            if count > best_count:
                best, best_count = attempt, count
                if count == len(values):
                    break
        if best is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "could not infer format": parsed one by one
                best = pd.to_datetime(values, errors="coerce", utc=True)
        parsed[rest] = best
    return parsed


def _seconds(moments: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole Unix seconds of date-times (naive ones taken as UTC), and which were missing."""
    if moments.dt.tz is None:
        moments = moments.dt.tz_localize("UTC")
    bad = moments.isna().to_numpy()
    epoch = pd.Timestamp(0, tz="UTC")
    seconds = (moments.fillna(epoch) - epoch) // pd.Timedelta(seconds=1)
    return seconds.to_numpy(np.int64), bad

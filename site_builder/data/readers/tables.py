"""The readers' shared pieces: checked file reading and the assemble step.

CSV files with a header (`read_csv_checked`), the headerless files of the
older MovieLens releases (`read_delimited`) and CSV or Parquet columns read by
role for the generic readers (`read_columns`); every problem names the file
and the line (`Place`), at most MAX_REPORTED of one kind per file. `assemble`
turns what a reader parsed (`Interactions` and side `Table`s) into a Dataset:
it checks ids and indexes the interactions against the side tables.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import logging
import lzma
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol

import numpy as np
import pandas as pd

from site_builder.config import DatasetConfig
from site_builder.data.dataset import Dataset, fingerprint
from site_builder.errors import BuildError, Problem, clip, did_you_mean, may_quote, quoted


class Reader(Protocol):
    """What a dataset format provides (one instance per format in readers.READERS)."""

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        """The columns of the points' table that a portal can name, known before loading."""
        ...

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        """The dataset in `root` (a folder, or a file for csv and parquet), checked as it is read."""
        ...


log = logging.getLogger("site_builder")

MAX_REPORTED = 10  # problems of one kind reported per file before "and N more"


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written: its separator, its encoding, the names of its columns
    when it has no header row, whether it quotes its fields (else a double quote is data, as in most
    tab-separated files: `"Weird" Al`), and its decimal mark."""

    separator: str = ","
    encoding: str = "utf-8"
    names: tuple[str, ...] | None = None
    quotes: bool = True
    decimal: str = "."

    @property
    def quoting(self) -> Literal[0, 3]:
        return quoting(self.quotes)

    @property
    def first_line(self) -> int:
        """The line of the first data row."""
        return 1 if self.names else 2


def quoting(quotes: bool) -> Literal[0, 3]:
    """The csv module's (and pandas') quoting rule for a file that quotes its fields, or does not."""
    return csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE


CSV = Dialect()


# ---------------------------------------------------------------- places and problems


@dataclass(frozen=True)
class Place:
    """A file and how its rows are numbered, so a problem names what an editor shows."""

    path: Path
    first_line: int = 2  # the line of row 0: 2 below a header, 1 in a file without one
    unit: str = "line"  # Parquet has no lines: "row", with first_line 1

    def at(self, rows) -> str:
        """'line 5' for one row, 'lines 3, 5' for several."""
        rows = np.atleast_1d(rows)
        numbers = ", ".join(str(int(row) + self.first_line) for row in rows)
        return f"{self.unit}{'s' if len(rows) > 1 else ''} {numbers}"

    def show(self, value: object) -> str:
        """A value read from this file as a person would recognise it: numbers bare, text quoted
        (so spaces show), clipped, and withheld when the file is outside the content folder and
        the cache (errors.quoted). Every value of a file that a problem names goes through here."""
        if isinstance(value, (str, np.str_)) and may_quote(self.path):
            return f'"{quoted(value, self.path)}"'
        return quoted(value, self.path)


def report_rows(
    problems: list[Problem], place: Place, rows: np.ndarray, describe: Callable[[int], str], what: str
) -> None:
    """One problem per bad row, up to MAX_REPORTED, then a count of the rest."""
    for row in rows[:MAX_REPORTED]:
        problems.append(Problem(place.path, place.at(row), describe(int(row))))
    if len(rows) > MAX_REPORTED:
        problems.append(Problem(place.path, "", f"... and {len(rows) - MAX_REPORTED} more {what}"))


def gather(*reads: Callable):
    """Run every read even when one fails, so the problems of all files come at once."""
    results, problems = [], []
    for read in reads:
        try:
            results.append(read())
        except BuildError as error:
            problems += error.problems
            results.append(None)
    if problems:
        raise BuildError(problems)
    return results


def require(folder: Path, names: tuple[str, ...], format_name: str) -> list[Path]:
    """The format's files in the folder; every missing one is a problem."""
    paths = [folder / name for name in names]
    missing = [
        Problem(p, "", f"file not found (the {format_name} format needs {', '.join(names)})")
        for p in paths
        if not p.is_file()
    ]
    if missing:
        raise BuildError(missing)
    return paths


# ---------------------------------------------------------------- assembling a Dataset


@dataclass
class Interactions:
    """One row per interaction, in file order, with the ids as they are in the file."""

    place: Place
    user: np.ndarray  # int64, or object (str) ids
    item: np.ndarray
    rating: np.ndarray  # float32
    timestamp: np.ndarray  # int64
    user_column: str  # the columns' names in the file, for messages
    item_column: str

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, place: Place, user: str, item: str, rating: str, timestamp: str | None
    ) -> Interactions:
        """The named columns of a parsed ratings file with numeric ids; no timestamp column means file order."""
        times = frame[timestamp].to_numpy(np.int64) if timestamp else np.arange(len(frame), dtype=np.int64)
        return cls(
            place=place,
            user=frame[user].to_numpy(np.int64),
            item=frame[item].to_numpy(np.int64),
            rating=frame[rating].to_numpy(np.float32),
            timestamp=times,
            user_column=user,
            item_column=item,
        )


@dataclass
class Table:
    """A side table as read: an `id` column first; row i came from row i of `place`.
    `drop_unmatched`: interactions naming an id the table lacks are left out (and counted in the
    log), rather than each being a problem with its line."""

    frame: pd.DataFrame
    place: Place
    drop_unmatched: bool = False


def assemble(
    name: str, interactions: Interactions, items: Table | None, users: Table | None, files: list[Path]
) -> Dataset:
    """Check ids, index the interactions against the side tables and build the Dataset.

    A side without a table gets one row per distinct id, sorted by id, so the
    same data always gives the same indices.
    """
    problems: list[Problem] = []
    if len(interactions.user) == 0:
        problems.append(Problem(interactions.place.path, "", "no interactions: the file has no data rows"))
    for table in (items, users):
        if table is not None:
            problems += _duplicate_ids(table.place, table.frame["id"])
    if problems:
        raise BuildError(problems)
    item_table, item_index = _index_side(
        interactions.place, interactions.item_column, interactions.item, items, problems
    )
    user_table, user_index = _index_side(
        interactions.place, interactions.user_column, interactions.user, users, problems
    )
    if problems:
        raise BuildError(problems)
    rating = np.asarray(interactions.rating, dtype=np.float32)
    timestamp = np.asarray(interactions.timestamp, dtype=np.int64)
    matched = (item_index >= 0) & (user_index >= 0)
    if not matched.all():  # a side table with drop_unmatched lacks some ids
        left_out = int((~matched).sum())
        if left_out == len(matched):
            raise BuildError(
                Problem(
                    interactions.place.path, "", "no interaction names an id of its side tables; check the `id` columns"
                )
            )
        log.info(
            "    %s: left out %s of %s interactions, whose ids are not in its tables (unmatched: drop)",
            name,
            f"{left_out:,}",
            f"{len(matched):,}",
        )
        item_index, user_index = item_index[matched], user_index[matched]
        rating, timestamp = rating[matched], timestamp[matched]
        # a side without a table is the ids the kept interactions name
        if items is None:
            item_table, item_index = _index_side(
                interactions.place, interactions.item_column, interactions.item[matched], None, problems
            )
        if users is None:
            user_table, user_index = _index_side(
                interactions.place, interactions.user_column, interactions.user[matched], None, problems
            )
    files = list(dict.fromkeys(files))
    return Dataset(
        name=name,
        user_index=user_index,
        item_index=item_index,
        rating=rating,
        timestamp=timestamp,
        items=item_table.reset_index(drop=True),
        users=user_table.reset_index(drop=True),
        fingerprint=fingerprint(files),
        files=files,
    )


def _index_side(
    place: Place, column: str, values: np.ndarray, table: Table | None, problems: list[Problem]
) -> tuple[pd.DataFrame, np.ndarray]:
    if table is None:
        codes, uniques = pd.factorize(values, sort=True)
        return pd.DataFrame({"id": np.asarray(uniques)}), codes.astype(np.int32)
    if table.drop_unmatched:  # -1 where the table lacks the id: assemble leaves those rows out
        return table.frame, pd.Index(table.frame["id"].to_numpy()).get_indexer(np.asarray(values)).astype(np.int32)
    return table.frame, _index_of(place, column, values, table.frame["id"], table.place.path, problems)


def _duplicate_ids(place: Place, ids: pd.Series) -> list[Problem]:
    ids = ids.reset_index(drop=True)
    duplicated = ids[ids.duplicated(keep=False)]
    problems = []
    for value, group in list(duplicated.groupby(duplicated, sort=False))[:MAX_REPORTED]:
        problems.append(
            Problem(
                place.path,
                place.at(group.index[:5]),
                f"id {place.show(value)} appears {len(group)} times; ids must be unique",
            )
        )
    return problems


def _index_of(
    place: Place, column: str, values: np.ndarray, known_ids: pd.Series, table_path: Path, problems: list[Problem]
) -> np.ndarray:
    """Row index in the table for each value; unknown ids are problems with their lines.

    A hash lookup (pandas Index) works the same for integer and text ids; the
    table's ids are unique by then.
    """
    values = np.asarray(values)
    position = pd.Index(known_ids.to_numpy()).get_indexer(values)
    missing = np.flatnonzero(position < 0)
    report_rows(
        problems,
        place,
        missing,
        lambda row: f"{column} {place.show(values[row])} is not in {table_path.name}",
        f"rows whose {column} is not in {table_path.name}",
    )
    return position.astype(np.int32)


# ---------------------------------------------------------------- CSV reading


PANDAS_TYPES = {"int": "int64", "float": "float64", "float?": "float64", "str": "string"}
EXPECTED = {"int": "an integer", "float": "a number", "float?": "a number or nothing"}


def read_csv_checked(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read the named columns with their types; on any failure, say which line is wrong.

    Types: "int", "float", "float?" (a number, or empty for unknown), "str".
    The fast path is pandas' C parser. When it fails (or the header lacks a
    column), a slower line-by-line scan finds the lines at fault.
    """
    header = _read_header(path)
    missing = [c for c in columns if c not in header]
    if missing:
        problems = [
            Problem(
                path,
                "line 1",
                f'missing column "{c}"{did_you_mean(c, header, path)}; '
                f"the header has: {quoted(', '.join(header), path)}",
            )
            for c in missing
        ]
        raise BuildError(problems)
    try:
        frame = pd.read_csv(
            path,
            usecols=list(columns),
            dtype={c: PANDAS_TYPES[t] for c, t in columns.items()},
            encoding="utf-8",
            keep_default_na=False,
            na_values={c: [""] for c, t in columns.items() if t != "str"},
            engine="c",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        problems = _diagnose(path, header, columns)
        if not problems:
            problems = [Problem(path, "", f"could not be read: {quoted(error, path)}")]
        raise BuildError(problems)
    for name, kind in columns.items():
        if kind == "float" and frame[name].isna().any():  # pandas itself refuses an empty int
            raise BuildError(_diagnose(path, header, columns) or [Problem(path, name, "empty values")])
    _check_widths(path, header, columns)
    return frame


def _check_widths(path: Path, header: list[str], columns: dict[str, str], dialect: Dialect = CSV) -> None:
    """Every row has as many fields as the header (see _has_ragged_rows)."""
    if _has_ragged_rows(_file_blocks(path), dialect.separator.encode("ascii"), len(header), quotes=dialect.quotes):
        problems = _diagnose(path, header, columns, dialect)
        if problems:
            raise BuildError(problems)


def _read_header(path: Path, dialect: Dialect = CSV) -> list[str]:
    if dialect.names:
        return list(dialect.names)
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig" if _is_utf8(dialect) else dialect.encoding)
    except UnicodeDecodeError as error:
        raise BuildError(
            Problem(
                path,
                "line 1",
                f"not {_encoding_name(dialect)} (byte 0x{first[error.start]:02x} at column {error.start + 1})",
            )
        )
    if not text.strip():
        raise BuildError(Problem(path, "line 1", "the file is empty; expected a header row"))
    try:
        return next(csv.reader([text], delimiter=dialect.separator, quoting=dialect.quoting))
    except csv.Error:
        raise BuildError(
            Problem(
                path,
                "line 1",
                f"a field of {len(text):,} characters (more than "
                f"{csv.field_size_limit():,}); expected a header row of column names",
            )
        )


def _is_utf8(dialect: Dialect) -> bool:
    return codecs.lookup(dialect.encoding).name == "utf-8"


def _encoding_name(dialect: Dialect) -> str:
    return "UTF-8" if _is_utf8(dialect) else dialect.encoding


def _diagnose(path: Path, header: list[str], columns: dict[str, str], dialect: Dialect = CSV) -> list[Problem]:
    """Scan the file line by line and describe what is wrong where."""
    problems: list[Problem] = []
    positions = {name: header.index(name) for name in columns}
    with open(path, "rb") as handle:
        raw_lines = handle.read().split(b"\n")
    hint = (
        "save the file as UTF-8"
        if _is_utf8(dialect)
        else "set the dataset's `encoding` to the one the file is written in"
    )
    for number, raw in enumerate(raw_lines, start=1):
        try:
            raw.decode(dialect.encoding)
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    path,
                    f"line {number}",
                    f"not {_encoding_name(dialect)} (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                    + hint,
                )
            )
        if len(problems) >= MAX_REPORTED:
            return problems
    if problems:
        return problems
    with open(path, newline="", encoding=dialect.encoding) as handle:
        reader = csv.reader(handle, delimiter=dialect.separator, quoting=dialect.quoting)
        try:
            if not dialect.names:
                next(reader, None)
            for row in reader:
                number = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    problems.append(
                        Problem(
                            path,
                            f"line {number}",
                            f"expected {len(header)} fields ({quoted(', '.join(header), path)}), found {len(row)}",
                        )
                    )
                else:
                    fields = {name: row[positions[name]] for name in columns}
                    problems += _field_problems(path, number, fields, columns, dialect.decimal)
                if len(problems) >= MAX_REPORTED:
                    break
        except csv.Error:
            problems.append(
                Problem(
                    path,
                    f"line {reader.line_num}",
                    f"a field of more than {csv.field_size_limit():,} characters "
                    "(a quote that is never closed, or not a CSV file?)",
                )
            )
    return problems


def _field_problems(
    path: Path, number: int, values: dict[str, str], columns: dict[str, str], decimal: str = "."
) -> list[Problem]:
    """The fields of one line that are not of their column's type."""
    problems = []
    for name, kind in columns.items():
        value = values[name]
        if kind == "str" or (kind == "float?" and value == ""):
            continue
        try:
            int(value) if kind == "int" else float(value if decimal == "." else value.replace(decimal, "."))
        except ValueError:
            problems.append(
                Problem(path, f"line {number}", f'{name} is "{quoted(value, path)}", expected {EXPECTED[kind]}')
            )
    return problems


RAGGED_CHUNK = 1 << 24  # bytes per block of the field count check


def _file_blocks(path: Path):
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(RAGGED_CHUNK), b"")


def _has_ragged_rows(blocks, separator: bytes, fields: int, quotes: bool) -> bool:
    """Whether a non-blank line has more or fewer than `fields` fields.

    pandas' C parser, asked for some of the columns, fills a short row with
    missing values and drops the extra fields of a long one without a word, so
    an unquoted comma in a title would shift the row's columns. This one pass of
    numpy over the bytes counts the separators of each line (outside double
    quotes, when `quotes`); a line it flags is then named by the line-by-line
    scan, which is exact, so it only has to miss nothing.
    """
    sep, expected = separator[0], fields - 1
    inside = 0  # within quotes at the start of the block
    line_separators = 0  # separators of the line that runs on from the last block
    line_length = 0  # its bytes so far (CR excluded)
    for block in blocks:
        data = np.frombuffer(block, np.uint8)
        if quotes and (inside or (data == 34).any()):
            quoting = ((np.cumsum(data == 34, dtype=np.int32) + inside) & 1).astype(bool)
            inside = int(quoting[-1])
            is_separator, is_end = (data == sep) & ~quoting, (data == 10) & ~quoting
        else:
            is_separator, is_end = data == sep, data == 10
        separators = np.cumsum(is_separator, dtype=np.int32)
        ends = np.flatnonzero(is_end)
        if len(ends):
            per_line = np.diff(separators[ends], prepend=0)
            per_line[0] += line_separators
            suspects = np.flatnonzero(per_line != expected)
            if len(suspects):  # blank lines (CRs aside) have no fields to count
                starts = np.concatenate(([0], ends + 1))[suspects]
                carried = np.where(suspects == 0, line_length, 0)
                if any(carried[i] or np.any(data[starts[i] : ends[line]] != 13) for i, line in enumerate(suspects)):
                    return True
            line_separators = int(separators[-1] - separators[ends[-1]])
            line_length = int(np.count_nonzero(data[ends[-1] + 1 :] != 13))
        elif len(data):
            line_separators += int(separators[-1])
            line_length += int(np.count_nonzero(data != 13))
    return line_length > 0 and line_separators != expected


# ---------------------------------------------------------------- headerless delimited files


SPARE_SEPARATORS = (b"\t", b"\x1f", b"\x1e", b"\x1d")  # bytes no text field of these files holds


def read_delimited(path: Path, separator: bytes, columns: dict[str, str], encoding: str = "latin-1") -> pd.DataFrame:
    """A headerless file of the older MovieLens releases, through pandas' C parser.

    The C parser takes one-byte separators only, so a longer one (ml-1m's
    '::') is first replaced, in memory, by a byte the file does not contain.
    Quotes mean nothing in these files (a title such as `"Great
    Performances" Cats (1998)` keeps them). Latin-1 decodes every byte, as
    these releases' titles need (e.g. "Misérables").
    """
    data = path.read_bytes()
    shown = separator.decode("latin-1")
    if len(separator) > 1:
        spare = next((b for b in SPARE_SEPARATORS if b not in data), None)
        if spare is None:
            raise BuildError(
                Problem(path, "", f"contains tabs and control characters; expected fields separated by {shown!r}")
            )
        data, separator = data.replace(separator, spare), spare
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=separator.decode("latin-1"),
            header=None,
            names=list(columns),
            index_col=False,
            dtype={c: PANDAS_TYPES[t] for c, t in columns.items()},
            encoding=encoding,
            quoting=csv.QUOTE_NONE,
            keep_default_na=False,
            na_values={c: [""] for c, t in columns.items() if t != "str"},
            engine="c",
        )
    except (ValueError, pd.errors.ParserError) as error:
        problems = _diagnose_delimited(path, data, separator, shown, columns, encoding)
        raise BuildError(problems or [Problem(path, "", f"could not be read: {quoted(error, path)}")])
    if frame.isna().to_numpy().any():  # short lines or empty numbers
        problems = _diagnose_delimited(path, data, separator, shown, columns, encoding)
        raise BuildError(problems or [Problem(path, "", "some fields are empty")])
    if _has_ragged_rows([data], separator, len(columns), quotes=False):
        problems = _diagnose_delimited(path, data, separator, shown, columns, encoding)
        if problems:
            raise BuildError(problems)
    return frame


def _diagnose_delimited(
    path: Path, data: bytes, separator: bytes, shown: str, columns: dict[str, str], encoding: str
) -> list[Problem]:
    """Scan a headerless file line by line and describe what is wrong where."""
    problems: list[Problem] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw:
            continue
        try:
            fields = raw.decode(encoding).split(separator.decode("latin-1"))
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    path,
                    f"line {number}",
                    f"not {encoding} (byte 0x{raw[error.start]:02x} at column {error.start + 1})",
                )
            )
            continue
        if len(fields) != len(columns):
            problems.append(
                Problem(
                    path,
                    f"line {number}",
                    f"expected {len(columns)} fields separated by {shown!r} "
                    f"({', '.join(columns)}), found {len(fields)}",
                )
            )
        else:
            problems += _field_problems(path, number, dict(zip(columns, fields)), columns)
        if len(problems) >= MAX_REPORTED:
            break
    return problems


# ---------------------------------------------------------------- CSV and Parquet columns by role (generic readers)


INTEGER_TEXT = r"-?(?:0|[1-9][0-9]{0,17})"  # written as an integer, and fits int64
SAMPLE_ROWS = 1000


PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".json")


def file_kind(path: Path, default: str) -> str:
    """ "csv", "parquet" or "jsonl": by the file's suffix (a compression suffix aside), else `default`."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zst"):
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSON_LINES_SUFFIXES:
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt", ".dat"):
        return "csv"
    return default


def read_columns(
    path: Path, wanted: dict[str, str], roles: dict[str, str], kind: str, dialect: Dialect = CSV
) -> tuple[pd.DataFrame, Place]:
    """The named columns of a CSV, Parquet or JSON Lines file; a name not in the file is a problem
    naming its config key."""
    if kind == "parquet":
        header = _parquet_header(path)
    elif kind == "jsonl":
        header = _json_lines_header(path)
    else:
        header = _read_header(path, dialect)
    said = "the header has" if kind == "csv" and not dialect.names else "its columns are"
    problems = [
        Problem(
            path,
            key,
            f'no column "{clip(column)}" in {path.name}{did_you_mean(column, header, path)}; '
            f"{said}: {quoted(', '.join(header), path)}",
        )
        for key, column in wanted.items()
        if column not in header
    ]
    if problems:
        raise BuildError(problems)
    if kind == "parquet":
        return _read_parquet(path, list(roles)), Place(path, first_line=1, unit="row")
    if kind == "jsonl":
        return _read_json_lines(path, list(roles)), Place(path, first_line=1)
    return _read_csv_roles(path, header, roles, dialect), Place(path, first_line=dialect.first_line)


def _json_records(path: Path, limit: int | None = None) -> list[dict]:
    """The objects of a JSON Lines file (compressed or not); a line that is not a JSON object is a
    problem with its number."""
    records: list[dict] = []
    problems: list[Problem] = []
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and len(records) >= limit:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                problems.append(Problem(path, f"line {number}", f"not a JSON object: {quoted(error, path)}"))
            else:
                if isinstance(record, dict):
                    records.append(record)
                else:
                    problems.append(Problem(path, f"line {number}", "expected a JSON object ({...}) on every line"))
            if len(problems) >= MAX_REPORTED:
                break
    if problems:
        raise BuildError(problems)
    return records


def _open_text(path: Path) -> IO[str]:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    if suffix == ".bz2":
        return bz2.open(path, "rt", encoding="utf-8")
    if suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _flat(records: list[dict]) -> pd.DataFrame:
    """Nested objects become dotted columns (details.publisher); lists become "|"-separated text."""
    frame = pd.json_normalize(records)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, list)).any():
            frame[column] = values.map(lambda v: "|".join(_leaves(v)) if isinstance(v, list) else v)
    return frame


def _leaves(value) -> list[str]:
    if isinstance(value, list):
        return [leaf for part in value for leaf in _leaves(part)]
    if isinstance(value, dict):
        return [json.dumps(value, ensure_ascii=False)]
    return [] if value is None else [str(value)]


def json_lines_sample(path: Path, rows: int) -> pd.DataFrame:
    """The first `rows` objects of a JSON Lines file, flattened as the reader flattens them."""
    try:
        return _flat(_json_records(path, limit=rows))
    except UnicodeDecodeError as error:
        raise BuildError(Problem(path, "", f"not UTF-8 text: {quoted(error, path)}"))


def _json_lines_header(path: Path) -> list[str]:
    return list(json_lines_sample(path, SAMPLE_ROWS).columns)


def _read_json_lines(path: Path, columns: list[str]) -> pd.DataFrame:
    frame = _flat(_json_records(path))
    for column in columns:
        if column not in frame:  # a key absent from every record past the sample
            frame[column] = None
    return frame[columns].reset_index(drop=True)


def _read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns).reset_index(drop=True)
    except ImportError as error:
        raise BuildError(
            Problem(path, "", f"reading Parquet needs pyarrow or fastparquet (pip install pyarrow): {error}")
        )
    except Exception as error:  # the engines raise their own error types
        raise BuildError(Problem(path, "", f"not a readable Parquet file: {quoted(error, path)}"))


def _parquet_header(path: Path) -> list[str]:
    """The column names from the file's schema, without reading the data."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        pq = None
    try:
        if pq is not None:
            return list(pq.read_schema(path).names)
        import fastparquet

        return list(fastparquet.ParquetFile(str(path)).columns)
    except ImportError:
        raise BuildError(Problem(path, "", "reading Parquet needs pyarrow or fastparquet (pip install pyarrow)"))
    except Exception as error:  # the engines raise their own error types
        raise BuildError(Problem(path, "", f"not a readable Parquet file: {quoted(error, path)}"))


def _read_csv_roles(path: Path, header: list[str], roles: dict[str, str], dialect: Dialect) -> pd.DataFrame:
    """Read a delimited text file with types chosen per role, by the C parser.

    Roles: "id" (int64 when a sample is all integers, else text), "number"
    (float64), "time" (int64 when the first value is an integer, else text),
    "text", "any" (pandas infers). When the typed read fails, everything is
    read as text and checked column by column, so each bad value gets its
    line; when even that fails, a line-by-line scan names the bad lines.
    """
    text_types = {c: ("str" if role != "any" else None) for c, role in roles.items()}
    try:
        try:
            frame = _read_csv(path, _guess_types(path, roles, dialect), dialect)
        except (ValueError, pd.errors.ParserError):
            frame = _read_csv(path, text_types, dialect)
    except (ValueError, pd.errors.ParserError) as error:
        problems = _diagnose(path, header, {c: "str" for c in roles}, dialect)
        raise BuildError(problems or [Problem(path, "", f"could not be read: {quoted(error, path)}")])
    _check_widths(path, header, {c: "str" for c in roles}, dialect)
    return frame


def _guess_types(path: Path, roles: dict[str, str], dialect: Dialect) -> dict[str, str | None]:
    sample = _read_csv(path, {c: "str" for c in roles}, dialect, nrows=SAMPLE_ROWS)
    types: dict[str, str | None] = {}
    for column, role in roles.items():
        values = sample[column]
        if role == "id":
            types[column] = "int64" if bool(values.str.fullmatch(INTEGER_TEXT).all()) else "str"
        elif role == "number":
            types[column] = "float64"
        elif role == "time":
            filled = values[values != ""]
            types[column] = "int64" if len(filled) and re.fullmatch(INTEGER_TEXT, filled.iloc[0]) else "str"
        else:
            types[column] = "str" if role == "text" else None
    return types


def _read_csv(path: Path, types: dict[str, str | None], dialect: Dialect, nrows: int | None = None) -> pd.DataFrame:
    """Text stays exactly as written ("NA" is a title, not a gap); only empty non-text cells are missing."""
    return pd.read_csv(
        path,
        usecols=list(types),
        dtype={c: t for c, t in types.items() if t is not None},
        sep=dialect.separator,
        header=None if dialect.names else "infer",
        names=list(dialect.names) if dialect.names else None,
        encoding=dialect.encoding,
        quoting=dialect.quoting,
        decimal=dialect.decimal,
        keep_default_na=False,
        na_values={c: [""] for c, t in types.items() if t != "str"},
        engine="c",
        nrows=nrows,
    )


# ---------------------------------------------------------------- year columns


def decades(year: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Year (int, or "" when unknown) and decade ("1990s") columns from a nullable integer year."""
    year = year.astype("Int64")
    decade = year.map(lambda y: f"{(y // 10) * 10}s" if pd.notna(y) else "")
    return year.astype(object).where(year.notna(), "").to_numpy(object), decade.to_numpy(object)

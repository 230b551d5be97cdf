"""How a data file is written, told from its first bytes: for `portals new`.

A delimited text file's encoding (UTF-8, else Windows-1252, else Latin-1),
its separator (the one that splits every sampled line into the same number
of fields, more than one), whether it quotes its fields or its double quotes
are text, whether its first line is a header, and its decimal mark. Parquet
and JSON Lines files say all of that themselves. `read_sample` then reads the
first rows as the build's readers will.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from site_builder.data.readers.tables import file_kind, json_lines_sample, quoting
from site_builder.errors import BuildError, Problem

SAMPLE_BYTES = 1 << 20  # read to tell the encoding, the separator and the header
SAMPLE_ROWS = 5000
SEPARATORS = (",", ";", "\t", "|", ":")
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
DECIMAL_COMMA = re.compile(r"-?\d+(,\d+)?")


@dataclass
class FileShape:
    kind: str  # "csv", "parquet" or "jsonl"
    separator: str = ","
    encoding: str = "ascii"  # or utf-8, cp1252, latin-1
    has_header: bool = True
    quotes: bool = True  # whether it quotes its fields (else a double quote is part of the text)
    decimal: str = "."

    def same_text(self, other: FileShape) -> bool:
        """Whether the two are written alike (ASCII reads the same in any encoding)."""
        encodings = {self.encoding, other.encoding} - {"ascii"}
        return len(encodings) <= 1 and (self.separator, self.quotes, self.decimal) == (
            other.separator,
            other.quotes,
            other.decimal,
        )

    @property
    def quoting(self) -> Literal[0, 3]:
        return quoting(self.quotes)


def _encoding(data: bytes) -> str:
    if data.isascii():
        return "ascii"  # read the same in any of the others
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError as error:
            if encoding == "utf-8" and error.start >= len(data) - 3:  # a character cut by the sample's end
                return encoding
    return "latin-1"


def _separator(lines: list[str]) -> str:
    """The candidate that splits the most lines into the same number (> 1) of fields."""
    best, best_score = ",", -1.0
    for candidate in SEPARATORS:
        widths = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = count / len(widths) + width / 1000  # consistency first, then more fields
        if score > best_score:
            best, best_score = candidate, score
    return best


def _is_number(text: str) -> bool:
    return bool(NUMBER.fullmatch(text.strip()))


def _has_header(rows: list[list[str]]) -> bool:
    """A first line is a header when one of its fields is not a number in a column of numbers, or,
    where no column is all numbers, when its fields are all unlike the rest of their columns
    (none of them repeats below, and none looks like the column's values in length)."""
    if len(rows) < 2:
        return True
    first, rest = rows[0], [row for row in rows[1:] if len(row) == len(rows[0])]
    if not rest:
        return True
    numeric_columns = [i for i in range(len(first)) if all(_is_number(row[i]) for row in rest if row[i])]
    if numeric_columns:
        return any(not _is_number(first[i]) for i in numeric_columns)
    for i, name in enumerate(first):
        values = [row[i] for row in rest]
        if name in values:
            return False
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_ .-]*", " ".join(first).strip()))


def _well_quoted(field: str) -> bool:
    """A field as a CSV writer quotes it: wrapped in double quotes, any inside doubled."""
    return len(field) >= 2 and field.endswith('"') and '"' not in field[1:-1].replace('""', "")


def _quotes_fields(lines: list[str], separator: str) -> bool:
    """Whether the file quotes its fields, or its double quotes are part of the text.

    Quoting it is when only quoting makes the rows even (a quoted field holds the separator or a
    line break), or when the quoted fields are as a CSV writer writes them and either one needed it
    (a doubled quote inside), the file is comma-separated (where quoting is the convention), or
    every text field is quoted. Text it is when a field opens with a quote that closes before the
    field ends (`"Weird" Al`), or in a tab- (or otherwise) separated file whose wrapped fields
    needed no quoting: such files are mostly written without it.
    """
    rows = [line.split(separator) for line in lines]
    opening = [field for row in rows for field in row if field.startswith('"')]
    if not opening or len({len(row) for row in rows}) > 1:
        return True
    if not all(_well_quoted(field) for field in opening):
        return False
    if separator == "," or any('""' in field[1:-1] for field in opening):
        return True
    text = [field for row in rows[1:] for field in row if field and not _is_number(field.strip('"'))]
    return bool(text) and all(field.startswith('"') for field in text)


def _decimal(rows: list[list[str]], separator: str) -> str:
    """A comma when some column holds numbers written with a decimal comma (3,5) and none with a point."""
    if separator == ",":
        return "."
    width = Counter(len(row) for row in rows).most_common(1)[0][0] if rows else 0
    for column in range(width):
        values = [row[column].strip() for row in rows if len(row) == width and row[column].strip()]
        if values and all(DECIMAL_COMMA.fullmatch(v) for v in values) and any("," in v for v in values):
            return ","
    return "."


def file_shape(path: Path) -> FileShape:
    kind = file_kind(path, "csv")
    if kind != "csv":
        return FileShape(kind)
    with open(path, "rb") as handle:
        data = handle.read(SAMPLE_BYTES)
    if not data.strip():
        raise BuildError(Problem(path, "", "the file is empty"))
    encoding = _encoding(data)
    text = data.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:-1] if len(data) == SAMPLE_BYTES else text.splitlines()
    lines = [line for line in lines[:200] if line.strip()]
    separator = _separator(lines)
    quotes = _quotes_fields(lines, separator)
    rows = list(csv.reader(lines, delimiter=separator, quoting=quoting(quotes)))
    header = _has_header(rows)
    return FileShape(kind, separator, encoding, header, quotes, _decimal(rows[1:] if header else rows, separator))


def read_sample(path: Path, shape: FileShape, names: list[str] | None = None) -> pd.DataFrame:
    """The first rows, as text for CSV (the scaffold judges types itself), as stored otherwise."""
    try:
        if shape.kind == "parquet":
            return pd.read_parquet(path).head(SAMPLE_ROWS)
        if shape.kind == "jsonl":
            return json_lines_sample(path, SAMPLE_ROWS)
        with open(path, "rb") as handle:
            head = b"".join(handle.readline() for _ in range(SAMPLE_ROWS + 1))
        return pd.read_csv(
            io.BytesIO(head),
            sep=shape.separator,
            encoding=shape.encoding,
            quoting=shape.quoting,
            header=0 if shape.has_header else None,
            names=names,
            dtype=str,
            keep_default_na=False,
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, ImportError) as error:
        raise BuildError(Problem(path, "", f"could not be read as a table: {error}"))


def whole_column(path: Path, shape: FileShape, column: str, names: list[str] | None = None) -> pd.Series:
    """One column of the whole file, as text (for comparing ids across files)."""
    if shape.kind == "parquet":
        values = pd.read_parquet(path, columns=[column])[column]
    elif shape.kind == "jsonl":
        values = json_lines_sample(path, 1 << 62)[column]
    else:
        values = pd.read_csv(
            path,
            sep=shape.separator,
            encoding="utf-8" if shape.encoding == "ascii" else shape.encoding,
            quoting=shape.quoting,
            header=0 if shape.has_header else None,
            names=names,
            usecols=[column],
            dtype=str,
            keep_default_na=False,
        )[column]
    return values


def typed(frame: pd.DataFrame, decimal: str = ".") -> pd.DataFrame:
    """Text columns whose every filled value is a number (with this decimal mark), as numbers;
    numbers as 64-bit ones."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = values.astype("float64" if values.isna().any() else "int64")
            continue
        if pd.api.types.is_float_dtype(values):
            out[column] = values.astype("float64")
            continue
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            text = values.astype(object).where(values.notna(), "").astype(str)
            written = text.str.replace(decimal, ".", regex=False) if decimal != "." else text
            numbers = pd.to_numeric(written.where(text != "", None), errors="coerce")
            if numbers.notna().sum() and numbers.notna().sum() == (text != "").sum():
                out[column] = numbers
    return out

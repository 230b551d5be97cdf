"""Dataset readers, one per format: each turns files into a Dataset.

Every reader checks its data as it loads it; each problem names the file and
the line (as a text editor counts it, header included). The sources stage
adds the computed columns (num_ratings, mean_rating) afterwards.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DatasetConfig
from .errors import BuildError, Problem, did_you_mean
from .sources import Dataset, fingerprint

MAX_REPORTED = 10  # problems of one kind reported per file before "and N more"

MOVIELENS_ITEM_COLUMNS = ["id", "title", "year", "decade", "genres", "first_genre"]
MOVIELENS_USER_COLUMNS = ["id", "name", "age", "age_band", "gender", "occupation", "zip"]


class MovieLensCsv:
    """ratings.csv, movies.csv, optional users.csv and links.csv (ml-latest-small, ml-25m, ml-32m)."""

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        if points == "items":
            links = ["imdbId", "tmdbId"] if (root / "links.csv").is_file() else []
            return MOVIELENS_ITEM_COLUMNS + links
        return MOVIELENS_USER_COLUMNS if (root / "users.csv").is_file() else ["id"]

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        return _load_movielens_csv(name, root)


# ---------------------------------------------------------------- MovieLens CSV layout


def _load_movielens_csv(name: str, folder: Path) -> Dataset:
    """ratings.csv, movies.csv and (optional) users.csv and links.csv, as in ml-latest-small and ml-32m."""
    problems: list[Problem] = []
    ratings_path, movies_path, users_path = (folder / n for n in ("ratings.csv", "movies.csv", "users.csv"))
    for required in (ratings_path, movies_path):
        if not required.is_file():
            problems.append(Problem(required, "", "file not found (the movielens-csv format needs ratings.csv and movies.csv)"))
    if problems:
        raise BuildError(problems)

    ratings = read_csv_checked(ratings_path, {"userId": "int", "movieId": "int", "rating": "float", "timestamp": "int"})
    movies = read_csv_checked(movies_path, {"movieId": "int", "title": "str", "genres": "str"})
    users = None
    if users_path.is_file():
        users = read_csv_checked(users_path, {"userId": "int", "age": "int", "gender": "str", "occupation": "str", "zip": "str"})

    if len(ratings) == 0:
        problems.append(Problem(ratings_path, "", "no interactions: the file has a header but no rows"))
    problems += _duplicate_ids(movies_path, movies["movieId"])
    if users is not None:
        problems += _duplicate_ids(users_path, users["userId"])
    if problems:
        raise BuildError(problems)

    items = _movie_table(movies)
    links_path = folder / "links.csv"
    if links_path.is_file():
        links = read_csv_checked(links_path, {"movieId": "int", "imdbId": "str", "tmdbId": "str"})
        by_movie = links.drop_duplicates("movieId").set_index("movieId")
        for column in ("imdbId", "tmdbId"):
            items[column] = items["id"].map(by_movie[column]).fillna("").astype(str).to_numpy(object)
    item_index = _index_of(ratings_path, "movieId", ratings["movieId"], items["id"], movies_path, problems)
    if users is not None:
        user_table = _user_table(users)
        user_index = _index_of(ratings_path, "userId", ratings["userId"], user_table["id"], users_path, problems)
    else:
        user_ids = np.unique(ratings["userId"].to_numpy())
        user_table = pd.DataFrame({"id": user_ids})
        user_index = np.searchsorted(user_ids, ratings["userId"].to_numpy()).astype(np.int32)
    if problems:
        raise BuildError(problems)

    files = [p for p in (ratings_path, movies_path, users_path, links_path) if p.is_file()]
    dataset = Dataset(
        name=name,
        user_index=user_index,
        item_index=item_index,
        rating=ratings["rating"].to_numpy(np.float32),
        timestamp=ratings["timestamp"].to_numpy(np.int64),
        items=items,
        users=user_table,
        fingerprint=fingerprint(files),
        files=files,
    )
    return dataset


YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def _movie_table(movies: pd.DataFrame) -> pd.DataFrame:
    titles = movies["title"].astype(str)
    year = titles.str.extract(YEAR_IN_TITLE, expand=False)
    year = pd.to_numeric(year, errors="coerce").astype("Int64")
    decade = year.map(lambda y: f"{(y // 10) * 10}s" if pd.notna(y) else "")
    genres = movies["genres"].astype(str).replace("(no genres listed)", "")
    first_genre = genres.str.split("|").str[0].fillna("")
    return pd.DataFrame({
        "id": movies["movieId"].to_numpy(np.int64),
        "title": titles.to_numpy(object),
        "year": year.astype(object).where(year.notna(), "").to_numpy(object),
        "decade": decade.to_numpy(object),
        "genres": genres.to_numpy(object),
        "first_genre": first_genre.to_numpy(object),
    })


AGE_BANDS = [(0, 18, "Under 18"), (18, 25, "18-24"), (25, 35, "25-34"), (35, 45, "35-44"),
             (45, 50, "45-49"), (50, 56, "50-55"), (56, 10**6, "56+")]


def age_band(age: int) -> str:
    for low, high, label in AGE_BANDS:
        if low <= age < high:
            return label
    return ""


def _user_table(users: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "id": users["userId"].to_numpy(np.int64),
        "name": [f"User {u} ({a}, {g}, {o})" for u, a, g, o in
                 zip(users["userId"], users["age"], users["gender"], users["occupation"])],
        "age": users["age"].to_numpy(np.int64),
        "age_band": users["age"].map(age_band).to_numpy(object),
        "gender": users["gender"].astype(str).to_numpy(object),
        "occupation": users["occupation"].astype(str).to_numpy(object),
        "zip": users["zip"].astype(str).to_numpy(object),
    })


# ---------------------------------------------------------------- checks


def _duplicate_ids(path: Path, ids: pd.Series) -> list[Problem]:
    duplicated = ids[ids.duplicated(keep=False)]
    problems = []
    for value, group in list(duplicated.groupby(duplicated))[:MAX_REPORTED]:
        lines = ", ".join(str(i + 2) for i in group.index[:5])
        problems.append(Problem(path, f"lines {lines}", f"id {value} appears {len(group)} times; ids must be unique"))
    return problems


def _index_of(path: Path, column: str, values: pd.Series, known_ids: pd.Series,
              table_path: Path, problems: list[Problem]) -> np.ndarray:
    """Row index in the table for each value; unknown ids are problems with their lines."""
    order = np.argsort(known_ids.to_numpy(), kind="stable")
    sorted_ids = known_ids.to_numpy()[order]
    raw = values.to_numpy()
    position = np.searchsorted(sorted_ids, raw)
    position[position >= len(sorted_ids)] = 0
    found = sorted_ids[position] == raw if len(sorted_ids) else np.zeros(len(raw), bool)
    missing = np.flatnonzero(~found)
    for row in missing[:MAX_REPORTED]:
        problems.append(Problem(path, f"line {row + 2}", f"{column} {raw[row]} is not in {table_path.name}"))
    if len(missing) > MAX_REPORTED:
        problems.append(Problem(path, "", f"... and {len(missing) - MAX_REPORTED} more rows whose {column} is not in {table_path.name}"))
    return order[position].astype(np.int32)


# ---------------------------------------------------------------- CSV reading


PANDAS_TYPES = {"int": "int64", "float": "float64", "str": "string"}


def read_csv_checked(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read the named columns with their types; on any failure, say which line is wrong.

    The fast path is pandas' C parser. When it fails (or the header lacks a
    column), a slower line-by-line scan finds the lines at fault.
    """
    header = _read_header(path)
    missing = [c for c in columns if c not in header]
    if missing:
        problems = [
            Problem(path, "line 1", f'missing column "{c}"{did_you_mean(c, header)}; the header has: {", ".join(header)}')
            for c in missing
        ]
        raise BuildError(problems)
    try:
        frame = pd.read_csv(
            path, usecols=list(columns), dtype={c: PANDAS_TYPES[t] for c, t in columns.items()},
            encoding="utf-8", keep_default_na=False, na_values={c: [""] for c, t in columns.items() if t != "str"},
            engine="c",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        problems = _diagnose(path, header, columns)
        if not problems:
            problems = [Problem(path, "", f"could not be read: {error}")]
        raise BuildError(problems)
    for name, kind in columns.items():
        if kind != "str" and frame[name].isna().any():
            raise BuildError(_diagnose(path, header, columns) or [Problem(path, name, "empty values")])
    return frame


def _read_header(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BuildError(Problem(path, "line 1", f"not UTF-8 (byte 0x{first[error.start]:02x} at column {error.start + 1})"))
    if not text.strip():
        raise BuildError(Problem(path, "line 1", "the file is empty; expected a header row"))
    return next(csv.reader([text]))


def _diagnose(path: Path, header: list[str], columns: dict[str, str]) -> list[Problem]:
    """Scan the file line by line and describe what is wrong where."""
    problems: list[Problem] = []
    positions = {name: header.index(name) for name in columns}
    with open(path, "rb") as handle:
        raw_lines = handle.read().split(b"\n")
    for number, raw in enumerate(raw_lines, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(path, f"line {number}", f"not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); save the file as UTF-8"))
        if len(problems) >= MAX_REPORTED:
            return problems
    if problems:
        return problems
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            number = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                problems.append(Problem(path, f"line {number}", f"expected {len(header)} fields ({', '.join(header)}), found {len(row)}"))
            else:
                for name, kind in columns.items():
                    value = row[positions[name]]
                    if kind == "str":
                        continue
                    try:
                        int(value) if kind == "int" else float(value)
                    except ValueError:
                        expected = "an integer" if kind == "int" else "a number"
                        problems.append(Problem(path, f"line {number}", f'{name} is "{value}", expected {expected}'))
            if len(problems) >= MAX_REPORTED:
                break
    return problems


READERS = {"movielens-csv": MovieLensCsv()}

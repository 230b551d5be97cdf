"""Dataset readers, one per format: each turns files into a Dataset.

Every reader checks its data as it loads it; each problem names the file and
the line (as a text editor counts it, header included; Parquet files, which
have no lines, count rows from 1), and all problems are reported together.
The sources stage adds the computed columns (num_ratings, mean_rating)
afterwards.

A reader only parses its files into an `Interactions` (the raw user and item
ids per row, ratings, times) and optional side `Table`s; `assemble` does the
rest the same way for every format: it checks ids, indexes the interactions
against the side tables and builds the Dataset. The interactions keep their
file order, so when a format has no times the row number stands in for the
time and sentences follow the file.

Large files go through pandas' C parser with explicit types, and ids are
indexed with pandas/numpy (hash lookups, factorize), never a Python object
per interaction when ids are integers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import DatasetConfig, SideTable
from .errors import BuildError, Problem, did_you_mean
from .sources import COMPUTED_COLUMNS, Dataset, fingerprint

MAX_REPORTED = 10  # problems of one kind reported per file before "and N more"

MOVIELENS_ITEM_COLUMNS = ["id", "title", "year", "decade", "genres", "first_genre"]
MOVIELENS_USER_COLUMNS = ["id", "name", "age", "age_band", "gender", "occupation", "zip"]


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


def _shown(value) -> str:
    """An id as a person would recognise it: integers bare, text quoted (so spaces show)."""
    if isinstance(value, (str, np.str_)):
        return f'"{value}"'
    return str(value)


def _report(problems: list[Problem], place: Place, rows: np.ndarray, describe: Callable[[int], str], what: str) -> None:
    """One problem per bad row, up to MAX_REPORTED, then a count of the rest."""
    for row in rows[:MAX_REPORTED]:
        problems.append(Problem(place.path, place.at(row), describe(int(row))))
    if len(rows) > MAX_REPORTED:
        problems.append(Problem(place.path, "", f"... and {len(rows) - MAX_REPORTED} more {what}"))


def _gather(*reads: Callable):
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


def _require(folder: Path, names: tuple[str, ...], format_name: str) -> list[Path]:
    """The format's files in the folder; every missing one is a problem."""
    paths = [folder / name for name in names]
    missing = [Problem(p, "", f"file not found (the {format_name} format needs {', '.join(names)})")
               for p in paths if not p.is_file()]
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


@dataclass
class Table:
    """A side table as read: an `id` column first; row i came from row i of `place`."""

    frame: pd.DataFrame
    place: Place


def assemble(name: str, interactions: Interactions, items: Table | None, users: Table | None,
             files: list[Path]) -> Dataset:
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
    item_table, item_index = _index_side(interactions.place, interactions.item_column, interactions.item, items, problems)
    user_table, user_index = _index_side(interactions.place, interactions.user_column, interactions.user, users, problems)
    if problems:
        raise BuildError(problems)
    files = list(dict.fromkeys(files))
    return Dataset(
        name=name,
        user_index=user_index,
        item_index=item_index,
        rating=np.asarray(interactions.rating, dtype=np.float32),
        timestamp=np.asarray(interactions.timestamp, dtype=np.int64),
        items=item_table.reset_index(drop=True),
        users=user_table.reset_index(drop=True),
        fingerprint=fingerprint(files),
        files=files,
    )


def _index_side(place: Place, column: str, values: np.ndarray, table: Table | None,
                problems: list[Problem]) -> tuple[pd.DataFrame, np.ndarray]:
    if table is None:
        codes, uniques = pd.factorize(values, sort=True)
        return pd.DataFrame({"id": np.asarray(uniques)}), codes.astype(np.int32)
    return table.frame, _index_of(place, column, values, table.frame["id"], table.place.path, problems)


def _duplicate_ids(place: Place, ids: pd.Series) -> list[Problem]:
    ids = ids.reset_index(drop=True)
    duplicated = ids[ids.duplicated(keep=False)]
    problems = []
    for value, group in list(duplicated.groupby(duplicated, sort=False))[:MAX_REPORTED]:
        problems.append(Problem(place.path, place.at(group.index[:5]),
                                f"id {_shown(value)} appears {len(group)} times; ids must be unique"))
    return problems


def _index_of(place: Place, column: str, values: np.ndarray, known_ids: pd.Series,
              table_path: Path, problems: list[Problem]) -> np.ndarray:
    """Row index in the table for each value; unknown ids are problems with their lines.

    A hash lookup (pandas Index) works the same for integer and text ids; the
    table's ids are unique by then.
    """
    values = np.asarray(values)
    position = pd.Index(known_ids.to_numpy()).get_indexer(values)
    missing = np.flatnonzero(position < 0)
    _report(problems, place, missing, lambda row: f"{column} {_shown(values[row])} is not in {table_path.name}",
            f"rows whose {column} is not in {table_path.name}")
    return position.astype(np.int32)


# ---------------------------------------------------------------- MovieLens CSV layout


class MovieLensCsv:
    """ratings.csv, movies.csv, optional users.csv and links.csv (ml-latest-small, ml-25m, ml-32m)."""

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        if points == "items":
            links = ["imdbId", "tmdbId"] if (root / "links.csv").is_file() else []
            return MOVIELENS_ITEM_COLUMNS + links
        return MOVIELENS_USER_COLUMNS if (root / "users.csv").is_file() else ["id"]

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, movies_path = _require(root, ("ratings.csv", "movies.csv"), "movielens-csv")
        users_path, links_path = root / "users.csv", root / "links.csv"
        ratings, movies, users, links = _gather(
            lambda: read_csv_checked(ratings_path, {"userId": "int", "movieId": "int", "rating": "float", "timestamp": "int"}),
            lambda: read_csv_checked(movies_path, {"movieId": "int", "title": "str", "genres": "str"}),
            lambda: read_csv_checked(users_path, {"userId": "int", "age": "int", "gender": "str", "occupation": "str", "zip": "str"})
            if users_path.is_file() else None,
            lambda: read_csv_checked(links_path, {"movieId": "int", "imdbId": "str", "tmdbId": "str"})
            if links_path.is_file() else None,
        )
        items = _movie_table(movies)
        if links is not None:
            by_movie = links.drop_duplicates("movieId").set_index("movieId")
            for column in ("imdbId", "tmdbId"):
                items[column] = items["id"].map(by_movie[column]).fillna("").astype(str).to_numpy(object)
        interactions = Interactions(
            place=Place(ratings_path), user=ratings["userId"].to_numpy(np.int64), item=ratings["movieId"].to_numpy(np.int64),
            rating=ratings["rating"].to_numpy(np.float32), timestamp=ratings["timestamp"].to_numpy(np.int64),
            user_column="userId", item_column="movieId")
        user_table = Table(_user_table(users), Place(users_path)) if users is not None else None
        files = [p for p in (ratings_path, movies_path, users_path, links_path) if p.is_file()]
        return assemble(name, interactions, Table(items, Place(movies_path)), user_table, files)


YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def _decades(year: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Year (int, or "" when unknown) and decade ("1990s") columns from a nullable integer year."""
    year = year.astype("Int64")
    decade = year.map(lambda y: f"{(y // 10) * 10}s" if pd.notna(y) else "")
    return year.astype(object).where(year.notna(), "").to_numpy(object), decade.to_numpy(object)


def _movie_table(movies: pd.DataFrame) -> pd.DataFrame:
    """Items of every MovieLens format: movieId, title (year at its end), genres joined by '|'."""
    titles = movies["title"].astype(str)
    year = pd.to_numeric(titles.str.extract(YEAR_IN_TITLE, expand=False), errors="coerce")
    year, decade = _decades(year)
    genres = movies["genres"].astype(str).replace("(no genres listed)", "")
    first_genre = genres.str.split("|").str[0].fillna("")
    return pd.DataFrame({
        "id": movies["movieId"].to_numpy(np.int64),
        "title": titles.to_numpy(object),
        "year": year,
        "decade": decade,
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
    """Users with an exact age (MovieLens CSV layout and ml-100k)."""
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


# ---------------------------------------------------------------- MovieLens 1M


# The codes of users.dat, as the ml-1m README defines them.
ML1M_AGES = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}
ML1M_OCCUPATIONS = [
    "other or not specified", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student",
    "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer",
    "tradesman/craftsman", "unemployed", "writer",
]
ML1M_USER_COLUMNS = ["id", "name", "age_band", "gender", "occupation", "zip"]


class MovieLens1m:
    """ml-1m: ratings.dat, movies.dat and users.dat, '::'-separated without header, Latin-1 titles."""

    FILES = ("ratings.dat", "movies.dat", "users.dat")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        return list(MOVIELENS_ITEM_COLUMNS if points == "items" else ML1M_USER_COLUMNS)

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, movies_path, users_path = _require(root, self.FILES, "movielens-1m")
        user_place = Place(users_path, first_line=1)
        ratings, movies, user_table = _gather(
            lambda: read_delimited(ratings_path, b"::", {"UserID": "int", "MovieID": "int", "Rating": "float", "Timestamp": "int"}),
            lambda: read_delimited(movies_path, b"::", {"MovieID": "int", "Title": "str", "Genres": "str"}),
            lambda: _ml1m_user_table(read_delimited(
                users_path, b"::", {"UserID": "int", "Gender": "str", "Age": "int", "Occupation": "int", "Zip-code": "str"}), user_place),
        )
        items = _movie_table(movies.rename(columns={"MovieID": "movieId", "Title": "title", "Genres": "genres"}))
        interactions = Interactions(
            place=Place(ratings_path, first_line=1), user=ratings["UserID"].to_numpy(np.int64),
            item=ratings["MovieID"].to_numpy(np.int64), rating=ratings["Rating"].to_numpy(np.float32),
            timestamp=ratings["Timestamp"].to_numpy(np.int64), user_column="UserID", item_column="MovieID")
        return assemble(name, interactions, Table(items, Place(movies_path, first_line=1)), Table(user_table, user_place),
                        [ratings_path, movies_path, users_path])


def _ml1m_user_table(users: pd.DataFrame, place: Place) -> pd.DataFrame:
    """Users with their age and occupation codes turned into the README's names; unknown codes are problems."""
    problems: list[Problem] = []
    band = users["Age"].map(ML1M_AGES)
    occupation = users["Occupation"].map(dict(enumerate(ML1M_OCCUPATIONS)))
    ages = users["Age"].to_numpy()
    codes = users["Occupation"].to_numpy()
    _report(problems, place, np.flatnonzero(band.isna().to_numpy()),
            lambda row: f"age code {ages[row]} is not one of {', '.join(map(str, ML1M_AGES))}", "unknown age codes")
    _report(problems, place, np.flatnonzero(occupation.isna().to_numpy()),
            lambda row: f"occupation code {codes[row]} is not one of 0-{len(ML1M_OCCUPATIONS) - 1}", "unknown occupation codes")
    if problems:
        raise BuildError(problems)
    band, occupation = band.astype(str), occupation.astype(str)
    gender = users["Gender"].astype(str)
    name = "User " + users["UserID"].astype(str) + " (" + band + ", " + gender + ", " + occupation + ")"
    return pd.DataFrame({
        "id": users["UserID"].to_numpy(np.int64),
        "name": name.to_numpy(object),
        "age_band": band.to_numpy(object),
        "gender": gender.to_numpy(object),
        "occupation": occupation.to_numpy(object),
        "zip": users["Zip-code"].astype(str).to_numpy(object),
    })


# ---------------------------------------------------------------- MovieLens 100K


# The order of the genre flags in u.item, as listed in u.genre.
ML100K_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                 "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
                 "War", "Western"]


class MovieLens100k:
    """ml-100k: u.data (tab-separated), u.item and u.user ('|'-separated, Latin-1), all without header."""

    FILES = ("u.data", "u.item", "u.user")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        return list(MOVIELENS_ITEM_COLUMNS if points == "items" else MOVIELENS_USER_COLUMNS)

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        data_path, item_path, user_path = _require(root, self.FILES, "movielens-100k")
        item_place = Place(item_path, first_line=1)
        ratings, items, users = _gather(
            lambda: read_delimited(data_path, b"\t", {"user id": "int", "item id": "int", "rating": "float", "timestamp": "int"}),
            lambda: _ml100k_item_table(read_delimited(item_path, b"|", {
                "movie id": "int", "movie title": "str", "release date": "str", "video release date": "str", "IMDb URL": "str",
                **{f"genre {genre}": "int" for genre in ML100K_GENRES}}), item_place),
            lambda: read_delimited(user_path, b"|", {"user id": "int", "age": "int", "gender": "str", "occupation": "str", "zip code": "str"}),
        )
        users = _user_table(users.rename(columns={"user id": "userId", "zip code": "zip"}))
        interactions = Interactions(
            place=Place(data_path, first_line=1), user=ratings["user id"].to_numpy(np.int64),
            item=ratings["item id"].to_numpy(np.int64), rating=ratings["rating"].to_numpy(np.float32),
            timestamp=ratings["timestamp"].to_numpy(np.int64), user_column="user id", item_column="item id")
        return assemble(name, interactions, Table(items, item_place), Table(users, Place(user_path, first_line=1)),
                        [data_path, item_path, user_path])


def _ml100k_item_table(movies: pd.DataFrame, place: Place) -> pd.DataFrame:
    """The 0/1 genre flags of u.item become names joined by '|', in u.genre's order, as in the CSV layout."""
    flags = movies[[f"genre {genre}" for genre in ML100K_GENRES]].to_numpy()
    problems: list[Problem] = []
    bad = np.flatnonzero(~np.isin(flags, (0, 1)).all(axis=1))
    _report(problems, place, bad, lambda row: "genre flags (the last 19 fields) must each be 0 or 1", "rows with bad genre flags")
    if problems:
        raise BuildError(problems)
    names = np.array(ML100K_GENRES)
    genres = ["|".join(names[row == 1]) for row in flags]
    return _movie_table(pd.DataFrame({"movieId": movies["movie id"], "title": movies["movie title"], "genres": genres}))


# ---------------------------------------------------------------- goodbooks-10k


GOODBOOKS_ITEM_COLUMNS = ["id", "title", "authors", "first_author", "year", "decade", "language", "image_url"]


class Goodbooks10k:
    """goodbooks-10k: ratings.csv (user_id, book_id, rating; no times) and books.csv."""

    FILES = ("ratings.csv", "books.csv")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        return list(GOODBOOKS_ITEM_COLUMNS if points == "items" else ["id"])

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, books_path = _require(root, self.FILES, "goodbooks-10k")
        ratings, books = _gather(
            lambda: read_csv_checked(ratings_path, {"user_id": "int", "book_id": "int", "rating": "float"}),
            lambda: read_csv_checked(books_path, {"book_id": "int", "title": "str", "authors": "str",
                                                  "original_publication_year": "float?", "language_code": "str",
                                                  "image_url": "str"}),
        )
        # No times: the row number keeps each user's books in file order.
        interactions = Interactions(
            place=Place(ratings_path), user=ratings["user_id"].to_numpy(np.int64), item=ratings["book_id"].to_numpy(np.int64),
            rating=ratings["rating"].to_numpy(np.float32), timestamp=np.arange(len(ratings), dtype=np.int64),
            user_column="user_id", item_column="book_id")
        return assemble(name, interactions, Table(_book_table(books), Place(books_path)), None, [ratings_path, books_path])


def _book_table(books: pd.DataFrame) -> pd.DataFrame:
    """Goodreads' "nophoto" placeholder is no picture: dropped, so the generated card stands in."""
    text = {c: books[c].fillna("").astype(str) for c in ("title", "authors", "language_code", "image_url")}
    year, decade = _decades(books["original_publication_year"].round())
    image = text["image_url"].where(~text["image_url"].str.contains("/nophoto/", regex=False), "")
    return pd.DataFrame({
        "id": books["book_id"].to_numpy(np.int64),
        "title": text["title"].to_numpy(object),
        "authors": text["authors"].to_numpy(object),
        "first_author": text["authors"].str.split(",").str[0].str.strip().to_numpy(object),
        "year": year,
        "decade": decade,
        "language": text["language_code"].to_numpy(object),
        "image_url": image.to_numpy(object),
    })


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
        items, users, interactions = _gather(
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
    frame, place = _read_columns(path, wanted, roles, parquet)
    problems: list[Problem] = []
    user = _ids(frame[mapping.user], place, mapping.user, problems)
    item = _ids(frame[mapping.item], place, mapping.item, problems)
    rating = (_weights(frame[mapping.weight], place, mapping.weight, problems) if mapping.weight
              else np.ones(len(frame), dtype=np.float32))
    # Without times, the row number keeps each point's sentence in file order.
    timestamp = (_times(frame[mapping.timestamp], place, mapping.timestamp, problems) if mapping.timestamp
                 else np.arange(len(frame), dtype=np.int64))
    if problems:
        raise BuildError(problems)
    return Interactions(place=place, user=user, item=item, rating=rating, timestamp=timestamp,
                        user_column=mapping.user, item_column=mapping.item)


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
    frame, place = _read_columns(path, wanted, roles, _is_parquet(path, parquet))
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
            made = "computed from the interactions" if column in COMPUTED_COLUMNS else f"filled from `{key}.{MADE_COLUMNS[column]}`"
            problems.append(Problem(path, f"{key}.columns[{index}]",
                                    f'"{column}" is a column the reader makes itself ({made}); rename it in the file'))
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


INTEGER_TEXT = r"-?(?:0|[1-9][0-9]{0,17})"  # written as an integer, and fits int64
SAMPLE_ROWS = 1000


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
    _report(problems, place, empty, lambda row: f"{column} is empty; every interaction needs one", f"rows with an empty {column}")
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
    _report(problems, place, bad, lambda row: f'{column} is "{text[row]}", expected a number (the weight)',
            f"rows whose {column} is not a number")
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
    _report(problems, place, np.flatnonzero(bad), lambda row: f'{column} is "{shown[row]}", expected {TIME_EXAMPLE}',
            f"rows whose {column} is not a time")
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


# ---------------------------------------------------------------- generic file reading


def _read_columns(path: Path, wanted: dict[str, str], roles: dict[str, str], parquet: bool) -> tuple[pd.DataFrame, Place]:
    """The named columns of a CSV or Parquet file; a name not in the file is a problem naming its config key."""
    header = _parquet_header(path) if parquet else _read_header(path)
    problems = [
        Problem(path, key, f'no column "{column}" in {path.name}{did_you_mean(column, header)}; '
                           f'{"its columns are" if parquet else "the header has"}: {", ".join(header)}')
        for key, column in wanted.items() if column not in header
    ]
    if problems:
        raise BuildError(problems)
    if parquet:
        return _read_parquet(path, list(roles)), Place(path, first_line=1, unit="row")
    return _read_csv_roles(path, header, roles), Place(path)


def _read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns).reset_index(drop=True)
    except ImportError as error:
        raise BuildError(Problem(path, "", f"reading Parquet needs pyarrow or fastparquet (pip install pyarrow): {error}"))
    except Exception as error:  # the engines raise their own error types
        raise BuildError(Problem(path, "", f"not a readable Parquet file: {error}"))


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
        raise BuildError(Problem(path, "", f"not a readable Parquet file: {error}"))


def _read_csv_roles(path: Path, header: list[str], roles: dict[str, str]) -> pd.DataFrame:
    """Read a UTF-8 CSV with types chosen per role, by the C parser.

    Roles: "id" (int64 when a sample is all integers, else text), "number"
    (float64), "time" (int64 when the first value is an integer, else text),
    "text", "any" (pandas infers). When the typed read fails, everything is
    read as text and checked column by column, so each bad value gets its
    line; when even that fails, a line-by-line scan names the bad lines.
    """
    text_types = {c: ("str" if role != "any" else None) for c, role in roles.items()}
    try:
        try:
            return _read_csv(path, _guess_types(path, roles))
        except (ValueError, pd.errors.ParserError):
            return _read_csv(path, text_types)
    except (ValueError, pd.errors.ParserError) as error:
        problems = _diagnose(path, header, {c: "str" for c in roles})
        raise BuildError(problems or [Problem(path, "", f"could not be read: {error}")])


def _guess_types(path: Path, roles: dict[str, str]) -> dict[str, str | None]:
    sample = _read_csv(path, {c: "str" for c in roles}, nrows=SAMPLE_ROWS)
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


def _read_csv(path: Path, types: dict[str, str | None], nrows: int | None = None) -> pd.DataFrame:
    """Text stays exactly as written ("NA" is a title, not a gap); only empty non-text cells are missing."""
    return pd.read_csv(
        path, usecols=list(types), dtype={c: t for c, t in types.items() if t is not None},
        encoding="utf-8", keep_default_na=False, na_values={c: [""] for c, t in types.items() if t != "str"},
        engine="c", nrows=nrows,
    )


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
        if kind in ("int", "float") and frame[name].isna().any():
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
                problems += _field_problems(path, number, {name: row[positions[name]] for name in columns}, columns)
            if len(problems) >= MAX_REPORTED:
                break
    return problems


def _field_problems(path: Path, number: int, values: dict[str, str], columns: dict[str, str]) -> list[Problem]:
    """The fields of one line that are not of their column's type."""
    problems = []
    for name, kind in columns.items():
        value = values[name]
        if kind == "str" or (kind == "float?" and value == ""):
            continue
        try:
            int(value) if kind == "int" else float(value)
        except ValueError:
            problems.append(Problem(path, f"line {number}", f'{name} is "{value}", expected {EXPECTED[kind]}'))
    return problems


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
            raise BuildError(Problem(path, "", f"contains tabs and control characters; expected fields separated by {shown!r}"))
        data, separator = data.replace(separator, spare), spare
    try:
        frame = pd.read_csv(
            io.BytesIO(data), sep=separator.decode("latin-1"), header=None, names=list(columns), index_col=False,
            dtype={c: PANDAS_TYPES[t] for c, t in columns.items()}, encoding=encoding, quoting=csv.QUOTE_NONE,
            keep_default_na=False, na_values={c: [""] for c, t in columns.items() if t != "str"}, engine="c",
        )
    except (ValueError, pd.errors.ParserError) as error:
        problems = _diagnose_delimited(path, data, separator, shown, columns, encoding)
        raise BuildError(problems or [Problem(path, "", f"could not be read: {error}")])
    if frame.isna().to_numpy().any():  # short lines or empty numbers
        problems = _diagnose_delimited(path, data, separator, shown, columns, encoding)
        raise BuildError(problems or [Problem(path, "", "some fields are empty")])
    return frame


def _diagnose_delimited(path: Path, data: bytes, separator: bytes, shown: str, columns: dict[str, str],
                        encoding: str) -> list[Problem]:
    """Scan a headerless file line by line and describe what is wrong where."""
    problems: list[Problem] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw:
            continue
        try:
            fields = raw.decode(encoding).split(separator.decode("latin-1"))
        except UnicodeDecodeError as error:
            problems.append(Problem(path, f"line {number}", f"not {encoding} (byte 0x{raw[error.start]:02x} at column {error.start + 1})"))
            continue
        if len(fields) != len(columns):
            problems.append(Problem(path, f"line {number}", f"expected {len(columns)} fields separated by {shown!r} "
                                                            f"({', '.join(columns)}), found {len(fields)}"))
        else:
            problems += _field_problems(path, number, dict(zip(columns, fields)), columns)
        if len(problems) >= MAX_REPORTED:
            break
    return problems


READERS = {
    "movielens-csv": MovieLensCsv(),
    "movielens-1m": MovieLens1m(),
    "movielens-100k": MovieLens100k(),
    "goodbooks-10k": Goodbooks10k(),
    "csv": Generic(parquet=False),
    "parquet": Generic(parquet=True),
}

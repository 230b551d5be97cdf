"""The MovieLens readers: the CSV layout (ml-latest-small, ml-25m, ml-32m), ml-1m and ml-100k.

All three share the movie table (year and decade from the title, genres
joined by '|'); the CSV layout and ml-100k share the user table (exact ages,
with their age bands); ml-1m has coded ages and occupations instead.
"""

from __future__ import annotations

import re
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
    read_delimited,
    report_rows,
    require,
)
from site_builder.errors import BuildError, Problem

MOVIELENS_ITEM_COLUMNS = ["id", "title", "sort_title", "year", "decade", "genres", "first_genre"]
MOVIELENS_USER_COLUMNS = ["id", "name", "age", "age_band", "gender", "occupation", "zip"]


# ---------------------------------------------------------------- MovieLens CSV layout


class MovieLensCsv:
    """ratings.csv, movies.csv, optional users.csv and links.csv (ml-latest-small, ml-25m, ml-32m)."""

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        require(root, ("ratings.csv", "movies.csv"), "movielens-csv")
        if points == "items":
            links = ["imdbId", "tmdbId"] if (root / "links.csv").is_file() else []
            return MOVIELENS_ITEM_COLUMNS + links
        return MOVIELENS_USER_COLUMNS if (root / "users.csv").is_file() else ["id"]

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, movies_path = require(root, ("ratings.csv", "movies.csv"), "movielens-csv")
        users_path, links_path = root / "users.csv", root / "links.csv"
        ratings, movies, users, links = gather(
            lambda: read_csv_checked(
                ratings_path, {"userId": "int", "movieId": "int", "rating": "float", "timestamp": "int"}
            ),
            lambda: read_csv_checked(movies_path, {"movieId": "int", "title": "str", "genres": "str"}),
            lambda: (
                read_csv_checked(
                    users_path, {"userId": "int", "age": "int", "gender": "str", "occupation": "str", "zip": "str"}
                )
                if users_path.is_file()
                else None
            ),
            lambda: (
                read_csv_checked(links_path, {"movieId": "int", "imdbId": "str", "tmdbId": "str"})
                if links_path.is_file()
                else None
            ),
        )
        items = _movie_table(movies)
        if links is not None:
            by_movie = links.drop_duplicates("movieId").set_index("movieId")
            for column in ("imdbId", "tmdbId"):
                items[column] = items["id"].map(by_movie[column]).fillna("").astype(str).to_numpy(object)
        interactions = Interactions.from_frame(ratings, Place(ratings_path), "userId", "movieId", "rating", "timestamp")
        user_table = Table(_user_table(users), Place(users_path)) if users is not None else None
        files = [p for p in (ratings_path, movies_path, users_path, links_path) if p.is_file()]
        return assemble(name, interactions, Table(items, Place(movies_path)), user_table, files)


YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


# MovieLens writes titles in sorting form, the article last: "Godfather, The (1972)",
# "City of Lost Children, The (Cité des enfants perdus, La) (1995)", "Avventura, L' (1960)".
SORTING_FORM = re.compile(
    r"^(?P<name>.+?), (?P<article>The|A|An|Les|Le|La|L'|Il|Lo|Gli|I|Der|Die|Das|Den|Det|De|Het|El|Los|Las|Un|Una|Une|"
    r"O|Os|As)"
    r"(?P<rest>(?: \(.*\))?)$"
)
NO_GENRE = "No genre"  # the projector colours a point without a value black; a named category gets a colour


def natural_title(title: str) -> str:
    """ "The Godfather (1972)" for MovieLens' "Godfather, The (1972)"; other titles as they are."""
    match = SORTING_FORM.match(title)
    if not match:
        return title
    article = match["article"]
    return f"{article}{'' if article.endswith(chr(39)) else ' '}{match['name']}{match['rest']}"


def _movie_table(movies: pd.DataFrame) -> pd.DataFrame:
    """Items of every MovieLens format: movieId, title in natural order ("The Godfather (1972)",
    as published in sort_title), year and decade, genres joined by '|' and the first of them."""
    titles = movies["title"].astype(str)
    year = pd.to_numeric(titles.str.extract(YEAR_IN_TITLE, expand=False), errors="coerce")
    year, decade = decades(year)
    genres = movies["genres"].astype(str).replace("(no genres listed)", "")
    # the first genre that says something (ML-100K lists "unknown" first when it is set)
    first_genre = genres.str.replace(r"^(?:unknown\|)+", "", regex=True).str.split("|").str[0].fillna("")
    first_genre = first_genre.replace({"": NO_GENRE, "unknown": NO_GENRE})
    return pd.DataFrame(
        {
            "id": movies["movieId"].to_numpy(np.int64),
            "title": titles.map(natural_title).to_numpy(object),
            "sort_title": titles.to_numpy(object),
            "year": year,
            "decade": decade,
            "genres": genres.to_numpy(object),
            "first_genre": first_genre.to_numpy(object),
        }
    )


AGE_BANDS = [
    (0, 18, "Under 18"),
    (18, 25, "18-24"),
    (25, 35, "25-34"),
    (35, 45, "35-44"),
    (45, 50, "45-49"),
    (50, 56, "50-55"),
    (56, 10**6, "56+"),
]


def age_band(age: int) -> str:
    for low, high, label in AGE_BANDS:
        if low <= age < high:
            return label
    return ""


def _user_table(users: pd.DataFrame) -> pd.DataFrame:
    """Users with an exact age (MovieLens CSV layout and ml-100k)."""
    return pd.DataFrame(
        {
            "id": users["userId"].to_numpy(np.int64),
            "name": [
                f"User {u} ({a}, {g}, {o})"
                for u, a, g, o in zip(users["userId"], users["age"], users["gender"], users["occupation"])
            ],
            "age": users["age"].to_numpy(np.int64),
            "age_band": users["age"].map(age_band).to_numpy(object),
            "gender": users["gender"].astype(str).to_numpy(object),
            "occupation": users["occupation"].astype(str).to_numpy(object),
            "zip": users["zip"].astype(str).to_numpy(object),
        }
    )


# ---------------------------------------------------------------- MovieLens 1M


# The codes of users.dat, as the ml-1m README defines them.
ML1M_AGES = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}
ML1M_OCCUPATIONS = [
    "other or not specified",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
]
ML1M_USER_COLUMNS = ["id", "name", "age_band", "gender", "occupation", "zip"]


class MovieLens1m:
    """ml-1m: ratings.dat, movies.dat and users.dat, '::'-separated without header, Latin-1 titles."""

    FILES = ("ratings.dat", "movies.dat", "users.dat")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        require(root, self.FILES, "movielens-1m")
        return list(MOVIELENS_ITEM_COLUMNS if points == "items" else ML1M_USER_COLUMNS)

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        ratings_path, movies_path, users_path = require(root, self.FILES, "movielens-1m")
        user_place = Place(users_path, first_line=1)
        ratings, movies, user_table = gather(
            lambda: read_delimited(
                ratings_path, b"::", {"UserID": "int", "MovieID": "int", "Rating": "float", "Timestamp": "int"}
            ),
            lambda: read_delimited(movies_path, b"::", {"MovieID": "int", "Title": "str", "Genres": "str"}),
            lambda: _ml1m_user_table(
                read_delimited(
                    users_path,
                    b"::",
                    {"UserID": "int", "Gender": "str", "Age": "int", "Occupation": "int", "Zip-code": "str"},
                ),
                user_place,
            ),
        )
        items = _movie_table(movies.rename(columns={"MovieID": "movieId", "Title": "title", "Genres": "genres"}))
        interactions = Interactions.from_frame(
            ratings, Place(ratings_path, first_line=1), "UserID", "MovieID", "Rating", "Timestamp"
        )
        return assemble(
            name,
            interactions,
            Table(items, Place(movies_path, first_line=1)),
            Table(user_table, user_place),
            [ratings_path, movies_path, users_path],
        )


def _ml1m_user_table(users: pd.DataFrame, place: Place) -> pd.DataFrame:
    """Users with their age and occupation codes turned into the README's names; unknown codes are problems."""
    problems: list[Problem] = []
    band = users["Age"].map(ML1M_AGES)
    occupation = users["Occupation"].map(dict(enumerate(ML1M_OCCUPATIONS)))
    ages = users["Age"].to_numpy()
    codes = users["Occupation"].to_numpy()
    report_rows(
        problems,
        place,
        np.flatnonzero(band.isna().to_numpy()),
        lambda row: f"age code {place.show(ages[row])} is not one of {', '.join(map(str, ML1M_AGES))}",
        "unknown age codes",
    )
    report_rows(
        problems,
        place,
        np.flatnonzero(occupation.isna().to_numpy()),
        lambda row: f"occupation code {place.show(codes[row])} is not one of 0-{len(ML1M_OCCUPATIONS) - 1}",
        "unknown occupation codes",
    )
    if problems:
        raise BuildError(problems)
    band, occupation = band.astype(str), occupation.astype(str)
    gender = users["Gender"].astype(str)
    name = "User " + users["UserID"].astype(str) + " (" + band + ", " + gender + ", " + occupation + ")"
    return pd.DataFrame(
        {
            "id": users["UserID"].to_numpy(np.int64),
            "name": name.to_numpy(object),
            "age_band": band.to_numpy(object),
            "gender": gender.to_numpy(object),
            "occupation": occupation.to_numpy(object),
            "zip": users["Zip-code"].astype(str).to_numpy(object),
        }
    )


# ---------------------------------------------------------------- MovieLens 100K


# The order of the genre flags in u.item, as listed in u.genre.
ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]


class MovieLens100k:
    """ml-100k: u.data (tab-separated), u.item and u.user ('|'-separated, Latin-1), all without header."""

    FILES = ("u.data", "u.item", "u.user")

    def columns(self, config: DatasetConfig, root: Path, points: str) -> list[str]:
        require(root, self.FILES, "movielens-100k")
        return list(MOVIELENS_ITEM_COLUMNS if points == "items" else MOVIELENS_USER_COLUMNS)

    def load(self, name: str, config: DatasetConfig, root: Path) -> Dataset:
        data_path, item_path, user_path = require(root, self.FILES, "movielens-100k")
        item_place = Place(item_path, first_line=1)
        ratings, items, users = gather(
            lambda: read_delimited(
                data_path, b"\t", {"user id": "int", "item id": "int", "rating": "float", "timestamp": "int"}
            ),
            lambda: _ml100k_item_table(
                read_delimited(
                    item_path,
                    b"|",
                    {
                        "movie id": "int",
                        "movie title": "str",
                        "release date": "str",
                        "video release date": "str",
                        "IMDb URL": "str",
                        **{f"genre {genre}": "int" for genre in ML100K_GENRES},
                    },
                ),
                item_place,
            ),
            lambda: read_delimited(
                user_path,
                b"|",
                {"user id": "int", "age": "int", "gender": "str", "occupation": "str", "zip code": "str"},
            ),
        )
        users = _user_table(users.rename(columns={"user id": "userId", "zip code": "zip"}))
        interactions = Interactions.from_frame(
            ratings, Place(data_path, first_line=1), "user id", "item id", "rating", "timestamp"
        )
        return assemble(
            name,
            interactions,
            Table(items, item_place),
            Table(users, Place(user_path, first_line=1)),
            [data_path, item_path, user_path],
        )


def _ml100k_item_table(movies: pd.DataFrame, place: Place) -> pd.DataFrame:
    """The 0/1 genre flags of u.item become names joined by '|', in u.genre's order, as in the CSV layout."""
    flags = movies[[f"genre {genre}" for genre in ML100K_GENRES]].to_numpy()
    problems: list[Problem] = []
    bad = np.flatnonzero(~np.isin(flags, (0, 1)).all(axis=1))
    report_rows(
        problems,
        place,
        bad,
        lambda row: "genre flags (the last 19 fields) must each be 0 or 1",
        "rows with bad genre flags",
    )
    if problems:
        raise BuildError(problems)
    names = np.array(ML100K_GENRES)
    genres = ["|".join(names[row == 1]) for row in flags]
    return _movie_table(pd.DataFrame({"movieId": movies["movie id"], "title": movies["movie title"], "genres": genres}))

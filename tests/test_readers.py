"""Stage 2, every format: tiny inline files in, the same Dataset shape out, every problem with its line."""

from __future__ import annotations

import csv
import io
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_MOVIES, TINY_RATINGS, TINY_USERS, write_movielens

from site_builder.config import DatasetConfig, InteractionColumns, SideTable
from site_builder.data.datasets import SUMMARY_COLUMNS, available_columns, load_dataset
from site_builder.errors import BuildError
from site_builder.model.embeddings import build_sentences

COMPUTED = ["num_ratings", "mean_rating"]


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(textwrap.dedent(text).lstrip().encode(encoding))
    return path


def _problems(name: str, config: DatasetConfig) -> str:
    with pytest.raises(BuildError) as caught:
        load_dataset(name, config)
    return "\n".join(str(p) for p in caught.value.problems)


def _sentence(data, points: str, point_id) -> list:
    """The other side's ids of one point, in the order the embeddings see them."""
    sentences = build_sentences(data, points)
    table, other = (data.items, data.users) if points == "items" else (data.users, data.items)
    row = int(np.flatnonzero(table["id"].to_numpy() == point_id)[0])
    tokens = sentences.tokens[sentences.offsets[row] : sentences.offsets[row + 1]]
    return other["id"].to_numpy()[tokens].tolist()


def _check_shape(data) -> None:
    """What every reader promises: compact typed arrays indexing the side tables' rows."""
    assert data.user_index.dtype == np.int32 and data.item_index.dtype == np.int32
    assert data.rating.dtype == np.float32 and data.timestamp.dtype == np.int64
    assert len(data.rating) == len(data.timestamp) == data.num_interactions
    assert 0 <= data.item_index.min() and data.item_index.max() < len(data.items)
    assert 0 <= data.user_index.min() and data.user_index.max() < len(data.users)
    assert list(data.items.index) == list(range(len(data.items)))
    assert len(data.fingerprint) == 64 and all(path.is_file() for path in data.files)


# ---------------------------------------------------------------- movielens-1m


ML1M_RATINGS = _dedent("""\
    1::10::4::978300760
    1::20::5::978300700
    2::10::3::978300800
    2::30::4::978300900
    3::30::5::978301000
    """)
ML1M_MOVIES = _dedent("""\
    10::Misérables, Les (1995)::Drama|Musical
    20::"Great Performances" Cats (1998)::Musical
    30::Toy Story (1995)::Animation|Children's|Comedy
    """)
ML1M_USERS = _dedent("""\
    1::F::1::10::48067
    2::M::56::16::70072
    3::M::25::15::55117-1234
    """)


def _ml1m(folder: Path, ratings=ML1M_RATINGS, movies=ML1M_MOVIES, users=ML1M_USERS) -> DatasetConfig:
    _write(folder, "ratings.dat", ratings)
    _write(folder, "movies.dat", movies, encoding="latin-1")
    _write(folder, "users.dat", users)
    return DatasetConfig(format="movielens-1m", path=folder)


def test_movielens_1m_tables_codes_and_latin1_titles(tmp_path):
    config = _ml1m(tmp_path)
    assert (tmp_path / "movies.dat").read_bytes().count(b"\xe9") == 1  # really Latin-1 on disk
    data = load_dataset("ml1m", config)
    _check_shape(data)
    items = data.items.set_index("id")
    assert (
        list(data.items.columns) == ["id", "title", "sort_title", "year", "decade", "genres", "first_genre"] + COMPUTED
    )
    assert items.loc[10, "title"] == "Les Misérables (1995)" and items.loc[10, "first_genre"] == "Drama"
    assert items.loc[10, "sort_title"] == "Misérables, Les (1995)"
    assert items.loc[20, "title"] == '"Great Performances" Cats (1998)' and items.loc[20, "year"] == 1998
    assert items.loc[30, "genres"] == "Animation|Children's|Comedy" and items.loc[30, "decade"] == "1990s"
    users = data.users.set_index("id")
    assert list(data.users.columns) == ["id", "name", "age_band", "gender", "occupation", "zip"] + COMPUTED
    assert users.loc[1, ["age_band", "occupation", "gender"]].tolist() == ["Under 18", "K-12 student", "F"]
    assert users.loc[2, ["age_band", "occupation"]].tolist() == ["56+", "self-employed"]
    assert users.loc[3, ["age_band", "occupation", "zip"]].tolist() == ["25-34", "scientist", "55117-1234"]
    assert users.loc[1, "name"] == "User 1 (Under 18, F, K-12 student)"
    assert data.rating.tolist() == [4, 5, 3, 4, 5] and data.timestamp[0] == 978300760
    assert data.items["id"].to_numpy()[data.item_index].tolist() == [10, 20, 10, 30, 30]
    assert data.users["id"].to_numpy()[data.user_index].tolist() == [1, 1, 2, 2, 3]
    assert _sentence(data, "users", 1) == [20, 10]  # by time, not by file order
    assert available_columns(config, "items") == list(data.items.columns)
    assert available_columns(config, "users") == list(data.users.columns) + SUMMARY_COLUMNS  # computed when named


def test_movielens_1m_problems_name_file_and_line(tmp_path):
    ratings = ML1M_RATINGS + "3::99::5::978301001\n3::10::x::978301002\n3::10\n"
    users = ML1M_USERS + "4::F::17::21::12345\n"
    text = _problems("ml1m", _ml1m(tmp_path, ratings=ratings, users=users))
    assert 'ratings.dat: line 7: Rating is "x", expected a number' in text
    assert "ratings.dat: line 8: expected 4 fields separated by '::'" in text
    assert "users.dat: line 4: age code 17 is not one of 1, 18, 25, 35, 45, 50, 56" in text
    text = _problems("ml1m", _ml1m(tmp_path, ratings=ML1M_RATINGS + "3::99::5::978301001\n"))
    assert "ratings.dat: line 6: MovieID 99 is not in movies.dat" in text
    (tmp_path / "users.dat").unlink()
    assert "users.dat: file not found (the movielens-1m format needs" in _problems(
        "ml1m", DatasetConfig(format="movielens-1m", path=tmp_path)
    )


def test_movielens_1m_unknown_occupation_code(tmp_path):
    text = _problems("ml1m", _ml1m(tmp_path, users=ML1M_USERS.replace("::15::", "::21::")))
    assert "users.dat: line 3: occupation code 21 is not one of 0-20" in text


# ---------------------------------------------------------------- movielens-100k


GENRE_ORDER = [
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


def test_the_reader_knows_the_genres_in_the_order_u_genre_lists_them():
    """The fixtures below use a few genres; the reader maps all 19 flags by this order."""
    from site_builder.data.readers.movielens import ML100K_GENRES

    assert ML100K_GENRES == GENRE_ORDER


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(textwrap.dedent(text).lstrip())))[1:]


def _to_100k(folder: Path, ratings: str, movies: str, users: str) -> DatasetConfig:
    """The original ml-100k files (u.data, u.item, u.user) from data in the MovieLens CSV layout."""
    _write(folder, "u.data", "".join("\t".join(row) + "\n" for row in _csv_rows(ratings)))
    items = []
    for movie_id, title, genres in _csv_rows(movies):
        flags = ["1" if genre in genres.split("|") else "0" for genre in GENRE_ORDER]
        year = title.rstrip()[-5:-1]
        items.append(
            "|".join([movie_id, title, f"01-Jan-{year}", "", f"http://us.imdb.com/M/title-exact?{movie_id}", *flags])
        )
    _write(folder, "u.item", "\n".join(items) + "\n", encoding="latin-1")
    _write(folder, "u.user", "".join("|".join(row) + "\n" for row in _csv_rows(users)))
    return DatasetConfig(format="movielens-100k", path=folder)


def test_movielens_100k_matches_the_csv_layout(tmp_path):
    config = _to_100k(tmp_path / "100k", TINY_RATINGS, TINY_MOVIES, TINY_USERS)
    data = load_dataset("ml100k", config)
    same = load_dataset(
        "csv",
        DatasetConfig(
            format="movielens-csv", path=write_movielens(tmp_path / "csv", TINY_RATINGS, TINY_MOVIES, TINY_USERS)
        ),
    )
    _check_shape(data)
    pd.testing.assert_frame_equal(data.items, same.items)
    pd.testing.assert_frame_equal(data.users, same.users)
    for array in ("user_index", "item_index", "rating", "timestamp"):
        assert np.array_equal(getattr(data, array), getattr(same, array)), array
    assert available_columns(config, "items") == list(data.items.columns)
    assert available_columns(config, "users") == list(data.users.columns) + SUMMARY_COLUMNS  # computed when named


def test_movielens_100k_latin1_title_and_genre_order(tmp_path):
    movies = TINY_MOVIES + '40,"Misérables, Les (1995)",Romance|Drama|unknown\n'
    ratings = TINY_RATINGS + "1,40,3,107\n"
    data = load_dataset("ml100k", _to_100k(tmp_path, ratings, movies, TINY_USERS))
    items = data.items.set_index("id")
    assert items.loc[40, "title"] == "Les Misérables (1995)"
    assert items.loc[40, "genres"] == "unknown|Drama|Romance" and items.loc[40, "first_genre"] == "Drama"
    assert data.users.set_index("id").loc[3, "age"] == 17


def test_movielens_100k_problems_name_file_and_line(tmp_path):
    config = _to_100k(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS)
    with open(tmp_path / "u.data", "a") as handle:
        handle.write("x\t10\t4\t1\n")
    item = (tmp_path / "u.item").read_text(encoding="latin-1").splitlines()
    item[1] = item[1][:-1] + "2"
    (tmp_path / "u.item").write_text("\n".join(item) + "\n", encoding="latin-1")
    text = _problems("ml100k", config)
    assert 'u.data: line 8: user id is "x", expected an integer' in text
    assert "u.item: line 2: genre flags (the last 19 fields) must each be 0 or 1" in text


# ---------------------------------------------------------------- goodbooks-10k


GOODBOOKS_RATINGS = _dedent("""\
    user_id,book_id,rating
    1,258,5
    1,4081,4
    1,260,5
    2,258,3
    2,9296,5
    """)
GOODBOOKS_BOOKS = _dedent("""\
    book_id,goodreads_book_id,authors,original_publication_year,title,language_code,average_rating,image_url,small_image_url
    258,3,"J.K. Rowling, Mary GrandPré",1997.0,"Harry Potter and the Sorcerer's Stone (Harry Potter, #1)",eng,4.44,https://images.gr-assets.com/books/1474154022m/3.jpg,https://images.gr-assets.com/books/1474154022s/3.jpg
    260,2767052,Suzanne Collins,2008.0,"The Hunger Games (The Hunger Games, #1)",eng,4.34,https://images.gr-assets.com/books/1447303603m/2767052.jpg,
    4081,1371,Homer,-750.0,The Iliad,,3.83,https://s.gr-assets.com/assets/nophoto/book/111x148-bcc042a9c91a29c1d680899eff700a03.png,
    9296,9,Émile Zola,,Germinal,fre,3.98,,
    """)


def _goodbooks(folder: Path, ratings=GOODBOOKS_RATINGS, books=GOODBOOKS_BOOKS) -> DatasetConfig:
    _write(folder, "ratings.csv", ratings)
    _write(folder, "books.csv", books)
    return DatasetConfig(format="goodbooks-10k", path=folder)


def test_goodbooks_columns_and_file_order(tmp_path):
    config = _goodbooks(tmp_path)
    data = load_dataset("books", config)
    _check_shape(data)
    assert (
        list(data.items.columns)
        == ["id", "title", "authors", "first_author", "year", "decade", "language", "image_url"] + COMPUTED
    )
    assert list(data.users.columns) == ["id"] + COMPUTED and data.users["id"].tolist() == [1, 2]
    books = data.items.set_index("id")
    potter = books.loc[258]
    assert potter["title"] == "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)"
    assert potter["authors"] == "J.K. Rowling, Mary GrandPré" and potter["first_author"] == "J.K. Rowling"
    assert potter["year"] == 1997 and potter["decade"] == "1990s" and potter["language"] == "eng"
    assert potter["image_url"] == "https://images.gr-assets.com/books/1474154022m/3.jpg"
    assert books.loc[4081, "year"] == -750 and books.loc[4081, "language"] == ""
    assert books.loc[4081, "image_url"] == ""  # Goodreads' "nophoto" placeholder is no picture
    assert books.loc[9296, ["year", "decade", "first_author"]].tolist() == ["", "", "Émile Zola"]
    assert books.loc[258, "num_ratings"] == 2 and books.loc[258, "mean_rating"] == 4.0
    assert data.timestamp.tolist() == [0, 1, 2, 3, 4]  # no times: the row number
    assert _sentence(data, "users", 1) == [258, 4081, 260]  # file order, not id order
    assert available_columns(config, "items") == list(data.items.columns)
    assert available_columns(config, "users") == list(data.users.columns) + SUMMARY_COLUMNS  # computed when named


def test_goodbooks_problems_name_file_and_line(tmp_path):
    books = GOODBOOKS_BOOKS + "260,5,Someone,1999.0,Again,eng,4.0,,\n"
    text = _problems("books", _goodbooks(tmp_path / "a", GOODBOOKS_RATINGS + "2,11,4\n", books))
    assert "books.csv: lines 3, 6: id 260 appears 2 times" in text
    text = _problems("books", _goodbooks(tmp_path / "b", GOODBOOKS_RATINGS + "2,11,4\n"))
    assert "ratings.csv: line 7: book_id 11 is not in books.csv" in text
    text = _problems("books", _goodbooks(tmp_path / "c", books=GOODBOOKS_BOOKS.replace("1997.0", "around 1997")))
    assert 'books.csv: line 2: original_publication_year is "around 1997", expected a number or nothing' in text


# ---------------------------------------------------------------- generic csv


PLAYS = _dedent("""\
    user_id,item_id,stars,when
    alice,m-2,4.5,2024-01-02 10:00:00
    bob,m-1,3,2024-01-01 09:00:00
    alice,m-1,5,2024-01-01 08:00:00
    carol,m-3,2,2024-01-03 00:00:00
    """)
FILMS = _dedent("""\
    item_id,title,genre,year,poster
    m-1,"Amélie, ""le fabuleux"" destin — ☕",Comedy,2001,https://example.org/a.jpg
    m-2,Léon: The Professional,Action,1994,
    m-3,Seven Samurai / 七人の侍,Drama,,https://example.org/s.jpg
    m-4,NA,Drama,2020,
    """)
PEOPLE = _dedent("""\
    user_id,name,country
    alice,Alice Ørsted,DK
    bob,"Bob, Jr.",
    carol,Carol,US
    """)
FILM_TABLE = SideTable(file=Path("films.csv"), id="item_id", label="title", columns=["genre", "year"], image="poster")
PEOPLE_TABLE = SideTable(file=Path("people.csv"), id="user_id", label="name", columns=["country"])


def _generic(folder: Path, plays=PLAYS, films=FILMS, people=PEOPLE, **settings) -> DatasetConfig:
    _write(folder, "plays.csv", plays)
    if films is not None:
        _write(folder, "films.csv", films)
    if people is not None:
        _write(folder, "people.csv", people)
    values = dict(
        format="csv",
        path=folder,
        interactions=Path("plays.csv"),
        columns=InteractionColumns(user="user_id", item="item_id", weight="stars", timestamp="when"),
        items=FILM_TABLE,
        users=PEOPLE_TABLE,
    )
    values.update(settings)
    return DatasetConfig(**values)


def test_csv_text_ids_side_tables_and_unicode_labels(tmp_path):
    config = _generic(tmp_path)
    data = load_dataset("films", config)
    _check_shape(data)
    assert list(data.items.columns) == ["id", "label", "genre", "year", "image_url"] + COMPUTED
    assert list(data.users.columns) == ["id", "label", "country"] + COMPUTED
    films = data.items.set_index("id")
    assert films.loc["m-1", "label"] == 'Amélie, "le fabuleux" destin — ☕'
    assert films.loc["m-3", "label"] == "Seven Samurai / 七人の侍" and films.loc["m-4", "label"] == "NA"
    assert films.loc["m-1", "year"] == 2001 and np.isnan(films.loc["m-3", "year"])
    assert films.loc["m-1", "image_url"] == "https://example.org/a.jpg" and films.loc["m-2", "image_url"] == ""
    assert films.loc["m-4", "num_ratings"] == 0  # kept though nobody rated it
    people = data.users.set_index("id")
    assert people.loc["alice", "label"] == "Alice Ørsted" and people.loc["bob", ["label", "country"]].tolist() == [
        "Bob, Jr.",
        "",
    ]
    assert data.items["id"].to_numpy()[data.item_index].tolist() == ["m-2", "m-1", "m-1", "m-3"]
    assert data.users["id"].to_numpy()[data.user_index].tolist() == ["alice", "bob", "alice", "carol"]
    assert data.rating.tolist() == [4.5, 3.0, 5.0, 2.0]
    assert data.timestamp[0] == pd.Timestamp("2024-01-02 10:00:00", tz="UTC").timestamp()
    assert _sentence(data, "users", "alice") == ["m-1", "m-2"]  # by time
    assert available_columns(config, "items") == list(data.items.columns)
    assert available_columns(config, "users") == list(data.users.columns) + SUMMARY_COLUMNS  # computed when named


def test_csv_without_side_tables_weights_or_times(tmp_path):
    _write(
        tmp_path,
        "plays.csv",
        """\
        listener,track
        7,300
        5,100
        7,100
        7,200
        """,
    )
    config = DatasetConfig(
        format="csv", path=tmp_path / "plays.csv", columns=InteractionColumns(user="listener", item="track")
    )
    data = load_dataset("plays", config)
    _check_shape(data)
    assert list(data.items.columns) == ["id", "label"] + COMPUTED and list(data.users.columns) == ["id"] + COMPUTED
    assert data.items["id"].tolist() == [100, 200, 300] and data.items["id"].dtype == np.int64
    assert data.items["label"].tolist() == ["100", "200", "300"]
    assert data.users["id"].tolist() == [5, 7]
    assert data.rating.tolist() == [1.0] * 4
    assert _sentence(data, "users", 7) == [300, 100, 200]  # no times: file order
    assert available_columns(config, "items") == ["id", "label"] + COMPUTED
    assert available_columns(config, "users") == ["id"] + COMPUTED + SUMMARY_COLUMNS


def test_csv_ids_are_kept_as_written(tmp_path):
    _write(tmp_path, "plays.csv", "user,item,when\n007,1,1700000000\n7,2,1700000001\n007,2,1700000002\n")
    _write(tmp_path, "items.csv", "item,name\n1,One\n2,Two\n")
    config = DatasetConfig(
        format="csv",
        path=tmp_path,
        interactions=Path("plays.csv"),
        columns=InteractionColumns(user="user", item="item", timestamp="when"),
        items=SideTable(file=Path("items.csv"), id="item", label="name"),
    )
    data = load_dataset("plays", config)
    assert data.users["id"].tolist() == ["007", "7"]  # text: "007" is not the number 7
    assert data.items["id"].tolist() == [1, 2] and data.items["label"].tolist() == ["One", "Two"]
    assert data.timestamp.tolist() == [1700000000, 1700000001, 1700000002]


def test_csv_integer_and_text_ids_are_matched_as_written(tmp_path):
    _write(tmp_path, "plays.csv", "user,item\n1,10\n2,x\n")
    _write(tmp_path, "items.csv", "item,name\n10,Ten\nx,Ex\n")
    config = DatasetConfig(
        format="csv",
        path=tmp_path,
        interactions=Path("plays.csv"),
        columns=InteractionColumns(user="user", item="item"),
        items=SideTable(file=Path("items.csv"), id="item", label="name"),
    )
    data = load_dataset("plays", config)
    assert data.items["id"].tolist() == ["10", "x"] and data.item_index.tolist() == [0, 1]


def _times_of(folder: Path, column: str) -> list[int]:
    _write(
        folder, "plays.csv", "user,item,at\n" + "".join(f"a,{i},{value}\n" for i, value in enumerate(column.split(";")))
    )
    config = DatasetConfig(
        format="csv", path=folder / "plays.csv", columns=InteractionColumns(user="user", item="item", timestamp="at")
    )
    return load_dataset("plays", config).timestamp.tolist()


def _unix(utc: str) -> int:
    return int(pd.Timestamp(utc, tz="UTC").timestamp())


def test_csv_date_times(tmp_path):
    # ISO 8601 in mixed forms; naive times are UTC; offsets are honoured
    assert _times_of(tmp_path / "a", "2024-03-01;2024-03-01 12:30;2024-03-01T12:00:00+02:00;2024-03-01T09:00:00Z") == [
        _unix("2024-03-01"),
        _unix("2024-03-01 12:30"),
        _unix("2024-03-01 10:00"),
        _unix("2024-03-01 09:00"),
    ]
    assert _times_of(tmp_path / "b", "03/01/2024;12/31/2023") == [_unix("2024-03-01"), _unix("2023-12-31")]
    assert _times_of(tmp_path / "c", "1700000000;1700000005.5") == [1700000000, 1700000005]


def test_csv_mapped_columns_not_in_header_suggest_names(tmp_path):
    config = _generic(
        tmp_path,
        columns=InteractionColumns(user="userid", item="item_id", weight="star"),
        items=SideTable(file=Path("films.csv"), id="item_id", label="titel", columns=["genres"]),
    )
    text = _problems("films", config)
    assert 'plays.csv: columns.user: no column "userid" in plays.csv (did you mean "user_id"?)' in text
    assert 'columns.weight: no column "star" in plays.csv (did you mean "stars"?)' in text
    assert 'films.csv: items.label: no column "titel" in films.csv (did you mean "title"?)' in text
    assert 'films.csv: items.columns[0]: no column "genres" in films.csv (did you mean "genre"?)' in text


def test_csv_data_problems_name_file_and_line(tmp_path):
    plays = PLAYS + "bob,m-2,4 stars,2024-01-04 00:00:00\ndave,m-9,3,yesterday\n,m-1,3,2024-01-05 00:00:00\n"
    text = _problems("films", _generic(tmp_path, plays=plays))
    assert 'plays.csv: line 6: stars is "4 stars", expected a number' in text
    assert 'plays.csv: line 7: when is "yesterday", expected Unix seconds or a date-time' in text
    assert "plays.csv: line 8: user_id is empty" in text
    text = _problems("films", _generic(tmp_path, plays=PLAYS + "dave,m-9,3,2024-01-04 00:00:00\n"))
    assert 'plays.csv: line 6: item_id "m-9" is not in films.csv' in text
    assert 'plays.csv: line 6: user_id "dave" is not in people.csv' in text


def test_csv_side_table_problems(tmp_path):
    films = FILMS + "m-1,Amélie again,Comedy,2001,\n"
    text = _problems("films", _generic(tmp_path / "a", films=films))
    assert 'films.csv: lines 2, 6: id "m-1" appears 2 times; ids must be unique' in text
    folder = tmp_path / "b"
    _generic(folder)
    (folder / "films.csv").write_bytes((folder / "films.csv").read_bytes().replace("Léon".encode(), b"L\xe9on"))
    text = _problems("films", _generic(folder, films=None))
    assert "films.csv: line 3: not UTF-8 (byte 0xe9" in text
    clash = SideTable(file=Path("films.csv"), id="item_id", label="title", columns=["label", "num_ratings"])
    text = _problems("films", _generic(tmp_path / "c", items=clash))
    assert 'items.columns[0]: "label" is a column the reader makes itself' in text
    assert 'items.columns[1]: "num_ratings" is a column the reader makes itself' in text


def test_csv_empty_or_missing_files(tmp_path):
    text = _problems("films", _generic(tmp_path / "a", plays="user_id,item_id,stars,when\n"))
    assert "plays.csv: no interactions" in text
    text = _problems("films", _generic(tmp_path / "b", interactions=None))
    assert "interactions: name the interactions file" in text
    text = _problems("films", _generic(tmp_path / "c", people=None))
    assert "people.csv: users.file: file not found" in text


# ---------------------------------------------------------------- generic parquet


def _parquet(folder: Path) -> DatasetConfig:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "user": ["ann", "bo", "ann"],
            "item": np.array([30, 10, 10], dtype=np.int32),
            "weight": [2.5, 4.0, 1.0],
            "at": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01 12:00"], format="ISO8601"),
        }
    ).to_parquet(folder / "events.parquet")
    pd.DataFrame({"id": [10, 30], "name": ["Amélie — ☕", 'Brazil, "the" film'], "kind": ["a", "b"]}).to_parquet(
        folder / "items.parquet"
    )
    return DatasetConfig(
        format="parquet",
        path=folder,
        interactions=Path("events.parquet"),
        columns=InteractionColumns(user="user", item="item", weight="weight", timestamp="at"),
        items=SideTable(file=Path("items.parquet"), id="id", label="name", columns=["kind"]),
    )


def test_parquet_interactions_and_side_table(tmp_path):
    config = _parquet(tmp_path)
    data = load_dataset("events", config)
    _check_shape(data)
    assert list(data.items.columns) == ["id", "label", "kind"] + COMPUTED
    assert data.items.set_index("id").loc[30, "label"] == 'Brazil, "the" film'
    assert data.users["id"].tolist() == ["ann", "bo"]
    assert data.items["id"].to_numpy()[data.item_index].tolist() == [30, 10, 10]
    assert data.timestamp[1] == pd.Timestamp("2024-01-01", tz="UTC").timestamp()
    assert _sentence(data, "users", "ann") == [10, 30]
    assert available_columns(config, "items") == list(data.items.columns)


def test_parquet_problems_name_rows_and_columns(tmp_path):
    config = _parquet(tmp_path)
    pd.DataFrame({"user": ["ann", "bo"], "item": [10, 99], "weight": ["4", "4 stars"], "at": [1, 2]}).to_parquet(
        tmp_path / "events.parquet"
    )
    text = _problems("events", config)
    assert 'events.parquet: row 2: weight is "4 stars", expected a number' in text
    config = config.model_copy(update={"columns": InteractionColumns(user="usr", item="item")})
    text = _problems("events", config)
    assert 'events.parquet: columns.user: no column "usr" in events.parquet (did you mean "user"?)' in text
    config = config.model_copy(update={"columns": InteractionColumns(user="user", item="item")})
    assert "events.parquet: row 2: item 99 is not in items.parquet" in _problems("events", config)


def test_parquet_without_engine_says_what_to_install(tmp_path, monkeypatch):
    for module in ("pyarrow", "pyarrow.parquet", "fastparquet"):  # as on a machine without either engine
        monkeypatch.setitem(sys.modules, module, None)
    config = DatasetConfig(
        format="parquet",
        path=_write(tmp_path, "events.parquet", "not read"),
        columns=InteractionColumns(user="user", item="item"),
    )
    assert "events.parquet: reading Parquet needs pyarrow or fastparquet (pip install pyarrow)" in _problems(
        "events", config
    )


def test_movielens_titles_in_natural_order_with_the_published_form_kept():
    from site_builder.data.readers.movielens import natural_title

    assert natural_title("Godfather, The (1972)") == "The Godfather (1972)"
    assert (
        natural_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)")
        == "The City of Lost Children (Cité des enfants perdus, La) (1995)"
    )
    assert natural_title("Avventura, L' (1960)") == "L'Avventura (1960)"
    assert natural_title("Paris, Texas (1984)") == "Paris, Texas (1984)"
    assert natural_title("Toy Story (1995)") == "Toy Story (1995)"


def test_every_format_the_schema_accepts_has_a_reader():
    from site_builder.config import DATASET_FORMATS
    from site_builder.data.readers import READERS

    assert set(DATASET_FORMATS) == set(READERS)


# ---------------------------------------------------------------- quotes that are text

NAMES_WITH_QUOTES = ['"Weird" Øyvind & the Señors', 'Ends with a quote"', 'Band "Q" live', '"Opens only', "Plain"]


def _quote_file(folder: Path, separator: str, extra: str = "") -> Path:
    """A file written without quoting (as most tab-separated files are): names that start with, end
    with and hold double quotes, as text."""
    lines = ["user", "artist", "plays"]
    rows = [separator.join(lines)]
    for n, name in enumerate(NAMES_WITH_QUOTES * 3):
        rows.append(separator.join([f"u{n % 4}", name, str(n + 1)]))
    return _write(folder, "plays.txt", "\n".join(rows) + "\n" + extra)


@pytest.mark.parametrize("separator", ["\t", ","])
def test_quotes_are_text_unless_the_file_quotes_its_fields(tmp_path, separator):
    from site_builder.commands.sniff import file_shape

    path = _quote_file(tmp_path, separator)
    shape = file_shape(path)
    assert shape.separator == separator and shape.quotes is False
    config = DatasetConfig(
        format="csv",
        path=path,
        separator=separator,
        quotes=shape.quotes,
        columns=InteractionColumns(user="user", item="artist", weight="plays", item_label="artist"),
    )
    data = load_dataset("plays", config)  # the fast path: pandas' C parser
    assert data.num_interactions == 15 and sorted(data.items["label"]) == sorted(NAMES_WITH_QUOTES)
    # read as quoting, the same file loses its quotes, or lines: what the setting is for
    try:
        quoted = load_dataset("plays", config.model_copy(update={"quotes": True}))
    except BuildError as error:
        assert "expected 3 fields" in str(error)
    else:
        assert set(quoted.items["label"]) != set(NAMES_WITH_QUOTES)


@pytest.mark.parametrize("separator", ["\t", ","])
def test_quotes_are_text_on_the_exact_path_too(tmp_path, separator):
    """A bad value sends the reader line by line (tables._diagnose): it names the right line, which a
    quote read as quoting would have hidden inside an earlier field."""
    path = _quote_file(tmp_path, separator, extra=separator.join(["u1", "Late", "many"]) + "\n")
    config = DatasetConfig(
        format="csv",
        path=path,
        separator=separator,
        quotes=False,
        columns=InteractionColumns(user="user", item="artist", weight="plays"),
    )
    assert 'plays.txt: line 17: plays is "many", expected a number' in _problems("plays", config)
    # and so does a file whose ids are text after a sample of numbers (the typed read fails, the text read does not)
    rows = ["user\tartist\tplays"] + [f"{n}\t{NAMES_WITH_QUOTES[n % 5]}\t1" for n in range(1100)] + ['x"\t"Last\t2']
    _write(tmp_path, "long.tsv", "\n".join(rows) + "\n")
    long = config.model_copy(update={"path": tmp_path / "long.tsv", "separator": "\t"})
    data = load_dataset("long", long)
    assert data.num_interactions == 1101 and 'x"' in set(data.users["id"]) and '"Last' in set(data.items["id"])


def test_a_file_that_quotes_its_fields_is_read_as_quoted(tmp_path):
    from site_builder.commands.sniff import file_shape

    for name, separator, quoting in [("a.csv", ",", csv.QUOTE_MINIMAL), ("b.tsv", "\t", csv.QUOTE_ALL)]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=separator, quoting=quoting, lineterminator="\n")
        writer.writerow(["user", "artist", "plays"])
        for n, value in enumerate(NAMES_WITH_QUOTES + ["Comma, tab\tand all"]):
            writer.writerow([f"u{n}", value, n + 1])
        path = _write(tmp_path, name, buffer.getvalue())
        shape = file_shape(path)
        assert shape.quotes is True, name
        config = DatasetConfig(
            format="csv",
            path=path,
            separator=separator,
            columns=InteractionColumns(user="user", item="artist", item_label="artist"),
        )
        assert sorted(load_dataset("q", config).items["label"]) == sorted(NAMES_WITH_QUOTES + ["Comma, tab\tand all"])


def test_a_side_table_is_read_in_its_own_dialect(tmp_path):
    _write(tmp_path, "plays.txt", "u1;a1;3,5\nu2;a1;4,5\nu2;a2;1,0\n", encoding="cp1252")
    _write(tmp_path, "artists.csv", 'id,name,score\na1,"Señor ""X"", live",7.5\na2,Zoë,6\n')
    config = DatasetConfig(
        format="csv",
        path=tmp_path,
        interactions=Path("plays.txt"),
        separator=";",
        encoding="cp1252",
        decimal=",",
        header=["user", "item", "rating"],
        columns=InteractionColumns(user="user", item="item", weight="rating"),
        items=SideTable(
            file=Path("artists.csv"),
            separator=",",
            encoding="utf-8",
            decimal=".",
            id="id",
            label="name",
            columns=["score"],
        ),
    )
    data = load_dataset("mix", config)
    assert data.rating.tolist() == [3.5, 4.5, 1.0]
    assert data.items["label"].tolist() == ['Señor "X", live', "Zoë"] and data.items["score"].tolist() == [7.5, 6.0]
    # a decimal comma in a comma-separated file could not be told apart from the next field
    with pytest.raises(ValueError, match='separator and decimal mark are both ","'):
        DatasetConfig.model_validate(config.model_dump() | {"separator": ","})

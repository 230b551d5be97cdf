"""Stage 2: readers load compact arrays and name the line of every data problem."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_MOVIES, TINY_RATINGS, TINY_USERS, write_movielens

from site_builder.config import DatasetConfig
from site_builder.data.datasets import load_dataset
from site_builder.data.readers import age_band
from site_builder.errors import BuildError


def _load(folder):
    return load_dataset("tiny", DatasetConfig(format="movielens-csv", path=folder))


def _problems(folder) -> str:
    with pytest.raises(BuildError) as caught:
        _load(folder)
    return "\n".join(str(p) for p in caught.value.problems)


def test_loads_tables_and_compact_arrays(tmp_path):
    data = _load(write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS))
    assert data.num_interactions == 7
    assert data.user_index.dtype == np.int32 and data.item_index.dtype == np.int32
    assert data.timestamp.dtype == np.int64 and data.rating.dtype == np.float32
    items = data.items.set_index("id")
    assert items.loc[10, "title"] == "The Heat (1995)"
    assert items.loc[10, "year"] == 1995 and items.loc[10, "decade"] == "1990s"
    assert items.loc[20, "first_genre"] == "Animation"
    assert items.loc[10, "num_ratings"] == 3 and items.loc[10, "mean_rating"] == pytest.approx(8 / 3, abs=0.01)
    users = data.users.set_index("id")
    assert users.loc[3, "age_band"] == "Under 18" and users.loc[3, "num_ratings"] == 3
    # indices point at the right rows
    first = data.items["id"].to_numpy()[data.item_index[0]], data.users["id"].to_numpy()[data.user_index[0]]
    assert first == (10, 1)


def test_age_bands():
    assert [age_band(a) for a in (7, 18, 24, 25, 49, 50, 56, 90)] == [
        "Under 18",
        "18-24",
        "18-24",
        "25-34",
        "45-49",
        "50-55",
        "56+",
        "56+",
    ]


def test_unknown_item_in_interactions_names_line(tmp_path):
    ratings = TINY_RATINGS + "    2,99,4,200\n"
    text = _problems(write_movielens(tmp_path, ratings, TINY_MOVIES, TINY_USERS))
    assert "ratings.csv: line 9: movieId 99 is not in movies.csv" in text


def test_duplicate_ids_name_lines(tmp_path):
    movies = TINY_MOVIES + "    20,Toy Story again (1995),Comedy\n"
    text = _problems(write_movielens(tmp_path, TINY_RATINGS, movies, TINY_USERS))
    assert "movies.csv: lines 3, 5: id 20 appears 2 times" in text


def test_malformed_rows_name_lines(tmp_path):
    ratings = TINY_RATINGS + "    2,10,four,200\n    3,20,4\n"
    text = _problems(write_movielens(tmp_path, ratings, TINY_MOVIES, TINY_USERS))
    assert 'line 9: rating is "four", expected a number' in text
    assert "line 10: expected 4 fields" in text


def test_non_utf8_bytes_name_line(tmp_path):
    folder = write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS)
    movies = (folder / "movies.csv").read_bytes().replace(b"Fargo", b"Farg\xe9")
    (folder / "movies.csv").write_bytes(movies)
    text = _problems(folder)
    assert "movies.csv: line 4: not UTF-8 (byte 0xe9" in text


def test_empty_and_missing_column(tmp_path):
    text = _problems(write_movielens(tmp_path / "a", "userId,movieId,rating,timestamp\n", TINY_MOVIES))
    assert "no interactions" in text
    text = _problems(write_movielens(tmp_path / "b", TINY_RATINGS.replace("timestamp", "timestmp"), TINY_MOVIES))
    assert 'missing column "timestamp" (did you mean "timestmp"?)' in text


def test_users_without_users_file(tmp_path):
    data = _load(write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES))
    assert list(data.users["id"]) == [1, 2, 3]


def test_links_add_tmdb_and_imdb_ids(tmp_path):
    folder = write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS)
    (folder / "links.csv").write_text("movieId,imdbId,tmdbId\n10,0113277,949\n20,0114709,862\n30,0116282,\n")
    items = _load(folder).items.set_index("id")
    assert items.loc[20, "tmdbId"] == "862" and items.loc[20, "imdbId"] == "0114709"
    assert items.loc[30, "tmdbId"] == ""


@pytest.mark.parametrize("key_bits", [63, 8])  # one key; too many ranks for one key (lexsort itself)
def test_favourites_order_is_lexsorts(key_bits, monkeypatch):
    """By user; best rated first, unrated last; then the less popular item; ties as they come."""
    from types import SimpleNamespace

    from site_builder.data import datasets

    monkeypatch.setattr(datasets, "KEY_BITS", key_bits)
    rng = np.random.default_rng(2)
    count = 5_000
    rating = (rng.integers(0, 7, count) / 2).astype(np.float64)
    rating[rng.random(count) < 0.05] = np.nan
    popularity = rng.integers(0, 20, 300)  # ties in popularity
    data = SimpleNamespace(
        users=range(400),
        rating=rating,
        user_index=rng.integers(0, 400, count).astype(np.int32),
        item_index=rng.integers(0, 300, count).astype(np.int32),
    )
    expected = np.lexsort((popularity[data.item_index], -rating, data.user_index))
    assert datasets._best_first(data, popularity).tolist() == expected.tolist()


def test_users_summaries_name_their_favourites_and_leaning(tmp_path, monkeypatch):
    from site_builder.data import datasets
    from site_builder.data.datasets import add_summaries

    ratings = TINY_RATINGS + "    2,30,5,107\n    2,30,5,108\n    2,30,4,109\n"  # user 2 keeps to Fargo (Crime)
    data = _load(write_movielens(tmp_path, ratings, TINY_MOVIES, TINY_USERS))
    add_summaries(data)
    users = data.users.set_index("id")
    # best rated first; among equal ratings the less watched (Fargo is rated 4 times here, Heat 3)
    assert users.loc[1, "favourites"] == "Toy Story (1995); The Heat (1995)"
    assert users.loc[3, "favourites"] == "Fargo (1996); Toy Story (1995); The Heat (1995)"
    # user 2's share of Crime, 4 / 5, is 1.6 times everyone's (5 / 10): the category alone, so that
    # a map of users can be coloured by it
    assert users.loc[2, "leaning"] == "Crime"
    assert users.loc[1, "leaning"] == ""  # fewer than 3 interactions in any category

    # a category of more values than the map colours gives no leaning (nor a users x values table)
    monkeypatch.setattr(datasets, "LEANING_CATEGORIES", 2)
    data = _load(write_movielens(tmp_path / "wide", ratings, TINY_MOVIES, TINY_USERS))
    add_summaries(data)
    assert set(data.users["leaning"]) == {""} and data.users["favourites"].str.len().min() > 0

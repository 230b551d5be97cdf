"""Small datasets in the shapes people publish, made here (never downloaded), for `portals new`.

Each writer puts a few thousand interactions in a folder, in the layout of a
well-known public dataset, and returns the arguments `portals new` takes for
it: the interactions file and the catalogue, if there is one. Users and items
share four planted tastes, so the maps have something to find: item n has
taste n % 4, and its name holds the taste's word (GENRES).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TASTES = 4
UNLISTED_EVERY = 10  # Book-Crossing: one rating in ten names a book its catalogue lacks
GENRES = ["Mystery", "Romance", "Science fiction", "History"]
WORDS = ["Night", "Garden", "Ça", "Ørsted", "Road", "Glass", "東京", "River", "Winter", "Song", "Iron", "Paper"]


@dataclass
class Sample:
    interactions: Path
    items: Path | None
    num_items: int  # items met by at least one interaction
    num_users: int


def _world(seed: int, users: int = 160, items: int = 120) -> pd.DataFrame:
    """(user, item, order) rows: each user meets 8 to 30 items, 80% of them of their own taste,
    popular ones more often; `order` is the rank of the interaction in time."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.8
    rng.shuffle(popularity)
    rows = []
    for user in range(users):
        taste = user % TASTES
        count = int(rng.integers(8, 31))
        own = np.flatnonzero(np.arange(items) % TASTES == taste)
        weights = np.where(np.isin(np.arange(items), own), 4.0, 0.25) * popularity
        chosen = rng.choice(items, size=count, replace=False, p=weights / weights.sum())
        rows += [(user, int(item)) for item in chosen]
    frame = pd.DataFrame(rows, columns=["user", "item"])
    frame["order"] = rng.permutation(len(frame))
    frame["stars"] = rng.integers(1, 6, size=len(frame))
    return frame.sort_values("order").reset_index(drop=True)


def _title(rng: np.random.Generator, item: int) -> str:
    return f"{WORDS[item % len(WORDS)]} {WORDS[(item * 7 + 3) % len(WORDS)]} {item}"


def _met(world: pd.DataFrame) -> tuple[int, int]:
    return int(world["item"].nunique()), int(world["user"].nunique())


def goodbooks(folder: Path) -> Sample:
    """goodbooks-10k: ratings.csv (user_id, book_id, rating; no times), books.csv with its 23 columns."""
    world = _world(1)
    folder.mkdir(parents=True)
    world.rename(columns={"user": "user_id", "item": "book_id", "stars": "rating"}).assign(
        user_id=lambda f: f.user_id + 1, book_id=lambda f: f.book_id + 1
    )[["user_id", "book_id", "rating"]].to_csv(folder / "ratings.csv", index=False)
    rng = np.random.default_rng(11)
    books = pd.DataFrame(
        {
            "book_id": np.arange(1, 121),
            "goodreads_book_id": rng.permutation(np.arange(1000, 1120)),
            "best_book_id": np.arange(5000, 5120),
            "work_id": np.arange(9000, 9120),
            "books_count": rng.integers(1, 50, 120),
            "isbn": [f"0{n:08d}X" for n in range(120)],
            "isbn13": [9780000000000 + n for n in range(120)],
            "authors": [f"Author {n % 17}, Second {n % 5}" for n in range(120)],
            "original_publication_year": [float(1900 + (n * 7) % 120) if n % 13 else None for n in range(120)],
            "original_title": [_title(rng, n) for n in range(120)],
            "title": [f"{_title(rng, n)} ({GENRES[n % TASTES]} #{n % 3 + 1})" for n in range(120)],
            "language_code": [["eng", "en-US", "fre", ""][n % 4] for n in range(120)],
            "average_rating": np.round(rng.uniform(3, 5, 120), 2),
            "ratings_count": rng.integers(10, 5000, 120),
            "image_url": [
                "https://images.example.org/nophoto/book/111x148.png"
                if n % 5 == 0
                else f"https://images.example.org/b/{n}.jpg"
                for n in range(120)
            ],
            "small_image_url": [f"https://images.example.org/s/{n}.jpg" for n in range(120)],
        }
    )
    books.to_csv(folder / "books.csv", index=False)
    return Sample(folder / "ratings.csv", folder / "books.csv", *_met(world))


def book_crossing(folder: Path) -> Sample:
    """Book-Crossing: semicolon-separated, Latin-1, every field quoted, ISBNs as text, and a rating
    of 0 meaning "read, not rated"."""
    world = _world(2)
    folder.mkdir(parents=True)
    isbns = [f"0{(n * 7919) % 10**8:08d}{'X' if n % 4 == 0 else n % 10}" for n in range(120)]
    rng = np.random.default_rng(12)
    ratings = np.where(rng.random(len(world)) < 0.6, 0, rng.integers(1, 11, len(world)))
    with open(folder / "BX-Book-Ratings.csv", "w", newline="", encoding="latin-1") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(["User-ID", "ISBN", "Book-Rating"])
        for row, ((user, item), rating) in enumerate(zip(world[["user", "item"]].itertuples(index=False), ratings)):
            writer.writerow([user * 3 + 8, isbns[item], int(rating)])
            if row % UNLISTED_EVERY == 0:  # as in the real data: books BX-Books.csv does not list
                writer.writerow([user * 3 + 8, f"9{row:09d}", 0])
    with open(folder / "BX-Books.csv", "w", newline="", encoding="latin-1") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(
            ["ISBN", "Book-Title", "Book-Author", "Year-Of-Publication", "Publisher", "Image-URL-S", "Image-URL-M"]
        )
        for n, isbn in enumerate(isbns):
            title = f"{['Café', 'Größe', 'Señor', 'Noël'][n % 4]}; {GENRES[n % TASTES]} {n}"
            writer.writerow(
                [
                    isbn,
                    title,
                    f"Écrivain {n % 9}",
                    1950 + n % 50,
                    ["Plon", "Gallimard", "Knopf"][n % 3],
                    f"http://images.example.org/{isbn}.01.THUMBZZZ.jpg",
                    f"http://images.example.org/{isbn}.01.MZZZZZZZ.jpg",
                ]
            )
    return Sample(folder / "BX-Book-Ratings.csv", folder / "BX-Books.csv", *_met(world))


def lastfm(folder: Path) -> Sample:
    """Last.fm 360K: tab-separated user hash, artist id, artist name, plays; no header, no catalogue;
    as in the real data, some artists have no id, only a name."""
    world = _world(3)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(13)
    artists = ["" if n % 15 == 7 else f"{n:08x}-8f1e-4c2b-9d3a-{n * 7919:012x}" for n in range(120)]
    names = [
        f"{['The ', '', 'DJ ', 'Los '][n % 4]}{WORDS[n % len(WORDS)]} {GENRES[n % TASTES]} {n}" for n in range(120)
    ]
    with open(folder / "usersha1-artmbid-artname-plays.tsv", "w", encoding="utf-8") as handle:
        for user, item in world[["user", "item"]].itertuples(index=False):
            plays = int(rng.pareto(1.2) * 20) + 1
            handle.write(f"{user * 2654435761 % 2**40:040x}\t{artists[item]}\t{names[item]}\t{plays}\n")
    return Sample(folder / "usersha1-artmbid-artname-plays.tsv", None, *_met(world))


QUOTED_NAMES = ['"Weird" Øyvind & the Señors', 'Band "Q"', '"Open', 'Close"', "Plain"]


def mixed_dialects(folder: Path) -> Sample:
    """Two files written their own ways, as people publish them: plays separated by ";", in
    Windows-1252, without a header, quotes as part of the text (an unquoted name column that
    starts, ends and holds double quotes) and a decimal comma; a catalogue of artists separated
    by ",", in UTF-8, with a header, its fields quoted where they hold a comma or a quote, and a
    decimal point."""
    world = _world(5)
    folder.mkdir(parents=True)
    names = [f"{QUOTED_NAMES[n % len(QUOTED_NAMES)]} {GENRES[n % TASTES]} {n}" for n in range(120)]
    with open(folder / "plays.txt", "w", encoding="cp1252", newline="") as handle:
        for user, item, stars in world[["user", "item", "stars"]].itertuples(index=False):
            handle.write(f"u{user};a{item};{stars},5;{names[item]}\r\n")
    with open(folder / "artists.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)  # quotes only the fields that need it
        writer.writerow(["artist_id", "name", "scene", "score"])
        for n in range(120):
            writer.writerow([f"a{n}", f"{names[n]}, live", ["Oslo, Norway", "東京", "Zürich"][n % 3], n / 10])
    return Sample(folder / "plays.txt", folder / "artists.csv", *_met(world))


def steam(folder: Path) -> Sample:
    """Steam-style: user_id, app_id, hours played (no times), and a catalogue of games with release dates."""
    world = _world(4)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(
        {
            "user_id": 76561197960265728 + world["user"] * 31,
            "app_id": 10 * (world["item"] + 1),
            "hours": np.round(rng.gamma(0.8, 20, len(world)), 1),
        }
    )
    frame.to_csv(folder / "plays.csv", index=False)
    games = pd.DataFrame(
        {
            "app_id": 10 * np.arange(1, 121),
            "app_name": [f"{_title(rng, n)}: {GENRES[n % TASTES]} Edition" for n in range(120)],
            "genre": [["Action", "Adventure", "Strategy", "Simulation"][n % TASTES] for n in range(120)],
            "release_date": [
                f"{['Jan', 'Mar', 'Jun', 'Nov'][n % 4]} {1 + n % 28}, {2005 + n % 15}" for n in range(120)
            ],
            "price": np.round(rng.uniform(0, 60, 120), 2),
        }
    )
    games.to_csv(folder / "games.csv", index=False)
    return Sample(folder / "plays.csv", folder / "games.csv", *_met(world))


def amazon(folder: Path) -> Sample:
    """Amazon Reviews (2023) style JSON Lines: reviews with millisecond times, and a catalogue whose
    fields nest (details, images, categories)."""
    world = _world(5)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(15)
    asins = [f"B0{n * 104729 % 10**8:08d}" for n in range(120)]
    start = 1_600_000_000_000
    with open(folder / "reviews.jsonl", "w", encoding="utf-8") as handle:
        for user, item, order, stars in world[["user", "item", "order", "stars"]].itertuples(index=False):
            review = {
                "rating": float(stars),
                "title": "Works as described" if stars > 2 else "Broke after a week",
                "text": 'Line one\nline two, with a comma and a "quote"',
                "images": [],
                "asin": asins[item],
                "parent_asin": asins[item],
                "user_id": f"AE{user * 7919:06d}XYZ",
                "timestamp": start + int(order) * 3_600_000,
                "helpful_vote": int(rng.integers(0, 5)),
                "verified_purchase": bool(rng.random() < 0.8),
            }
            handle.write(json.dumps(review) + "\n")
    with open(folder / "meta.jsonl", "w", encoding="utf-8") as handle:
        for n, asin in enumerate(asins):
            product = {
                "main_category": ["Books", "Kitchen", "Garden", "Toys"][n % TASTES],
                "title": f"{_title(rng, n)} ({GENRES[n % TASTES]})",
                "average_rating": 4.1,
                "rating_number": int(rng.integers(1, 900)),
                "features": ["Sturdy", "Light"],
                "images": [
                    {"thumb": f"https://m.example.org/{asin}_t.jpg", "large": f"https://m.example.org/{asin}.jpg"}
                ],
                "store": f"Store {n % 6}",
                "categories": [["Home", "Kitchen"], ["Gifts"]][n % 2],
                "details": {"Publisher": f"House {n % 5}", "Language": "English"},
                "parent_asin": asin,
            }
            handle.write(json.dumps(product, ensure_ascii=False) + "\n")
    return Sample(folder / "reviews.jsonl", folder / "meta.jsonl", *_met(world))


def parquet(folder: Path) -> Sample:
    """A Parquet file of restaurant visits: customer ids, restaurant names as the items, stars, and
    day-first visit dates as text."""
    world = _world(6)
    folder.mkdir(parents=True)
    names = [f"{['Chez', 'Trattoria', 'Casa', 'The'][n % 4]} {GENRES[n % TASTES]} {n}" for n in range(120)]
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(world["order"] // 5, unit="D")
    frame = pd.DataFrame(
        {
            "customer_id": world["user"] + 1000,
            "restaurant": [names[i] for i in world["item"]],
            "stars": world["stars"].astype("int8").to_numpy(),
            "visit_date": days.dt.strftime("%d/%m/%Y"),
        }
    )
    frame.to_parquet(folder / "visits.parquet", index=False)
    return Sample(folder / "visits.parquet", None, *_met(world))


def movielens_latest(folder: Path) -> Sample:
    """MovieLens ml-latest(-small): ratings.csv, movies.csv, links.csv and tags.csv."""
    world = _world(7)
    folder.mkdir(parents=True)
    frame = pd.DataFrame(
        {
            "userId": world["user"] + 1,
            "movieId": world["item"] * 3 + 1,
            "rating": world["stars"] - 0.5 * (world["order"] % 2),
            "timestamp": 964_982_703 + world["order"] * 600,
        }
    )
    frame.to_csv(folder / "ratings.csv", index=False)
    rng = np.random.default_rng(17)
    genres = ["Crime|Mystery", "Romance|Drama", "Sci-Fi|Action", "Documentary|War"]
    pd.DataFrame(
        {
            "movieId": np.arange(120) * 3 + 1,
            "title": [f"{GENRES[n % TASTES]} {_title(rng, n)}, The ({1950 + n % 70})" for n in range(120)],
            "genres": [genres[n % TASTES] for n in range(120)],
        }
    ).to_csv(folder / "movies.csv", index=False)
    pd.DataFrame(
        {"movieId": np.arange(120) * 3 + 1, "imdbId": [f"{n:07d}" for n in range(120)], "tmdbId": np.arange(120) + 500}
    ).to_csv(folder / "links.csv", index=False)
    pd.DataFrame({"userId": [1, 2], "movieId": [1, 4], "tag": ["funny", "slow"], "timestamp": [1e9, 1e9]}).to_csv(
        folder / "tags.csv", index=False
    )
    return Sample(folder / "ratings.csv", folder / "movies.csv", *_met(world))


SHAPES = {
    "goodbooks": goodbooks,
    "book-crossing": book_crossing,
    "lastfm": lastfm,
    "mixed-dialects": mixed_dialects,
    "steam": steam,
    "amazon": amazon,
    "parquet": parquet,
    "movielens-latest": movielens_latest,
}

"""The TMDB picture source: look a point's poster up in TMDB's API, then fetch it.

Lookups go by TMDB id where the table has one (MovieLens links.csv), else by
title and year. API answers are cached like images (pictures.download), and
the API key comes from an environment variable so that a fork or a local
build without the secret still builds, with cards for the posters.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote, urlencode

import pandas as pd

from site_builder.config import TmdbImages
from site_builder.pictures.download import Downloader, redact
from site_builder.pictures.sources import Hit, column_values, fetch_outcome, id_text, text_of

log = logging.getLogger(__name__)


# Only simple relative paths from an API answer are joined to image_base, so
# a hostile or broken answer cannot point the build at another server.
POSTER_PATH = re.compile(r"^/[A-Za-z0-9._-]+$")


def tmdb_key(tmdb: TmdbImages) -> str | None:
    """The API key from the environment; None (with one warning) when unset,
    because a fork or a local build without the secret should still build."""
    key = os.environ.get(tmdb.api_key_env, "").strip()
    if not key:
        log.warning("TMDB images skipped: the environment variable %s is not set", tmdb.api_key_env)
        return None
    return key


def search_title(title: str) -> str:
    """A MovieLens title as TMDB knows it: "Matrix, The (1999)" -> "The Matrix".

    A trailing article is moved back to the front (readers.movielens.natural_title) and
    trailing parentheses (the year, alternative titles) are dropped.
    """
    from site_builder.data.readers.movielens import natural_title

    text = natural_title(title.strip())
    while True:
        stripped = re.sub(r"\s*\([^()]*\)\s*$", "", text)
        if stripped == text or not stripped:
            break
        text = stripped
    return text


def tmdb_movie_url(tmdb: TmdbImages, movie_id: str, key: str) -> str:
    return f"{tmdb.api_base.rstrip('/')}/movie/{quote(movie_id)}?api_key={quote(key, safe='')}"


def tmdb_search_url(tmdb: TmdbImages, title: str, year: str | None, key: str) -> str:
    query = {"query": title}
    if year:
        query["year"] = year
    return f"{tmdb.api_base.rstrip('/')}/search/movie?{urlencode(query)}&api_key={quote(key, safe='')}"


def _tmdb_id(value: object) -> str | None:
    """links.csv ids arrive as text ("862"), floats (862.0) or blanks."""
    text = id_text(value)
    if text is None:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    return text if text.isdigit() and int(text) > 0 else None


def _year(value: object) -> str | None:
    text = id_text(value)
    return text if text and text.isdigit() and len(text) == 4 else None


def tmdb_lookups(table: pd.DataFrame, pending: list[int], tmdb: TmdbImages, key: str, where: str) -> dict[int, str]:
    """The API URL per point: by TMDB id where there is one, else by title
    and year (also for the few MovieLens movies without a tmdbId)."""
    ids = None
    if tmdb.id_column is not None:
        if tmdb.id_column in table.columns:
            ids = table[tmdb.id_column].to_numpy(object)
        else:
            log.warning(
                "%s: no column %s (MovieLens: links.csv); looking posters up by title and year", where, tmdb.id_column
            )
    titles = column_values(table, tmdb.title_column, f"{where}.tmdb.title_column")
    years = None
    if tmdb.year_column is not None and tmdb.year_column in table.columns:
        years = table[tmdb.year_column].to_numpy(object)
    lookups: dict[int, str] = {}
    for index in pending:
        movie_id = _tmdb_id(ids[index]) if ids is not None else None
        if movie_id is not None:
            lookups[index] = tmdb_movie_url(tmdb, movie_id, key)
            continue
        title = search_title(text_of(titles[index]))
        if title:
            year = _year(years[index]) if years is not None else None
            lookups[index] = tmdb_search_url(tmdb, title, year, key)
    return lookups


def poster_path(answer: dict) -> str | None:
    """/movie/{id} answers carry poster_path; /search/movie answers a list of results."""
    if "results" in answer:
        results = answer.get("results") or []
        first = results[0] if isinstance(results, list) and results and isinstance(results[0], dict) else {}
        path = first.get("poster_path")
    else:
        path = answer.get("poster_path")
    return path if isinstance(path, str) and POSTER_PATH.match(path) else None


def tmdb_candidates(
    table: pd.DataFrame, pending: list[int], tmdb: TmdbImages, downloader: Downloader, where: str
) -> dict[int, Hit | str]:
    """Two batches: API lookups (cached like images), then the posters."""
    key = tmdb_key(tmdb)
    if key is None:
        return {}
    lookups = tmdb_lookups(table, pending, tmdb, key, where)
    answers = downloader.fetch_many(list(lookups.values()), progress=True, kind="json")
    rejected = sum(1 for answer in answers.values() if answer.reason == "http 401")
    if rejected:
        log.warning(
            "%s: TMDB refused the API key in %s (401) for %s lookups; check that variable",
            where,
            tmdb.api_key_env,
            f"{rejected:,}",
        )
    outcomes: dict[int, Hit | str] = {}
    posters: dict[int, str] = {}
    api_downloaded: set[int] = set()
    for index, url in lookups.items():
        answer = answers[url]
        if not answer.ok:
            outcomes[index] = answer.reason
            continue
        try:
            path = poster_path(answer.read_json())
        except (OSError, ValueError) as error:
            log.debug("unreadable TMDB answer for %s: %s", answer.url, redact(str(error)))
            path = None
        if path is None:
            outcomes[index] = "no poster"
            continue
        posters[index] = f"{tmdb.image_base.rstrip('/')}{path}"
        if answer.status == "downloaded":
            api_downloaded.add(index)
    images = downloader.fetch_many(list(posters.values()), progress=True)
    for index, url in posters.items():
        outcome = fetch_outcome(images[url])
        if isinstance(outcome, Hit) and index in api_downloaded:
            outcome.origin = "downloaded"  # the point needed the network this time
        outcomes[index] = outcome
    return outcomes

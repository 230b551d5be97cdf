"""`portals new` then `portals build --strict`, with no edit, on data shaped like the datasets people publish.

The samples (tests/fork_samples.py) are made here in the layouts of
goodbooks-10k, Book-Crossing, Last.fm 360K, Steam, Amazon Reviews (JSON
Lines), a Parquet file and MovieLens latest, and as two files that differ in
every way a text file can be written. Each gets a map of its items and
one of its users, labelled by name where the data names its items, in the
data's own words, with the planted tastes found.
"""

from __future__ import annotations

import re

import pytest
import yaml
from fork_samples import GENRES, SHAPES

from site_builder.build import build_site
from site_builder.commands.scaffold import scaffold
from site_builder.site import recommend

pytestmark = pytest.mark.slow

# What the scaffold must find in each shape (a subset of the dataset block it writes).
EXPECTED = {
    "goodbooks": {"format": "goodbooks-10k"},
    "book-crossing": {
        "format": "csv",
        "separator": ";",
        "encoding": "cp1252",
        "columns": {"user": "User-ID", "item": "ISBN", "weight": "Book-Rating", "not_rated": [0]},
        "items": {"id": "ISBN", "label": "Book-Title", "unmatched": "drop"},
        "words": {"item": "book", "verb": "read"},
    },
    "lastfm": {
        "format": "csv",
        "separator": "\t",
        # the artist ids have gaps, the names do not: the names are the items
        "header": ["user", "column_2", "item", "plays"],
        "columns": {"user": "user", "item": "item", "weight": "plays"},
    },
    "mixed-dialects": {
        "format": "csv",
        "separator": ";",
        "encoding": "cp1252",
        "quotes": False,
        "decimal": ",",
        "header": ["user", "item", "rating", "item_name"],
        "columns": {"user": "user", "item": "item", "weight": "rating"},
        "items": {"separator": ",", "encoding": "utf-8", "quotes": True, "decimal": ".", "label": "name"},
    },
    "steam": {
        "format": "csv",
        "columns": {"user": "user_id", "item": "app_id", "weight": "hours"},
        "words": {"item": "game", "verb": "played", "weight": "hours"},
    },
    "amazon": {
        "format": "jsonl",
        "columns": {"user": "user_id", "item": "asin", "weight": "rating", "timestamp": "timestamp"},
    },
    "parquet": {
        "format": "parquet",
        "columns": {"user": "customer_id", "item": "restaurant", "weight": "stars", "timestamp": "visit_date"},
        "words": {"item": "restaurant", "user": "customer"},
    },
    "movielens-latest": {"format": "movielens-csv"},
}


def _subset(expected: dict, actual: dict, where: str = "") -> None:
    for key, value in expected.items():
        assert key in actual, f"{where}{key} missing from {actual}"
        if isinstance(value, dict):
            _subset(value, actual[key], f"{where}{key}.")
        else:
            assert actual[key] == value, f"{where}{key}: {actual[key]!r} != {value!r}"


def _taste(label: str) -> str | None:
    return next((genre for genre in GENRES if genre in label), None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("fork-cache")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_new_then_build_strict_with_no_edit(shape, tmp_path, cache):
    sample = SHAPES[shape](tmp_path / "data")
    content = tmp_path / "content"  # a fork that removed the demo: `portals new` writes site.yml
    steps = scaffold(sample.interactions, content, shape, items_file=sample.items)
    assert any("Next steps" in line for line in steps)
    config = yaml.safe_load((content / "site.yml").read_text(encoding="utf-8"))
    _subset(EXPECTED[shape], config["datasets"][shape])
    assert [p["points"] for p in config["portals"]] == ["items", "users"]

    summary = build_site(content, tmp_path / "site", cache, strict=True)
    assert [p.points for p in summary.portals] == [sample.num_items, sample.num_users]

    site = tmp_path / "site"
    items = recommend.read_page_data(site / shape)
    labels = items["labels"]
    # points are labelled by their names, never by bare ids, and each name holds its planted taste
    assert all(_taste(label) for label in labels), labels[:5]
    # the map finds the tastes: a point's neighbours share its taste far more often than by chance (1 in 4)
    k = items["k"]
    same = [
        _taste(labels[j]) == _taste(labels[i])
        for i in range(len(labels))
        for j in items["neighbours"][i * k : (i + 1) * k][:5]
    ]
    assert sum(same) / len(same) > 0.6, sum(same) / len(same)

    landing = (site / "index.html").read_text(encoding="utf-8")
    words = config["datasets"][shape].get("words", {})
    if "item" in words:
        assert f"for each {words['item']}," in landing
    if shape != "movielens-latest":  # nothing of movies in a site whose data is not movies
        for page in [
            *site.glob("*.html"),
            *site.glob("*/*.html"),
            *site.glob("*/recommend.json"),
            *site.glob("*/recommend/*/*.json"),
            *site.glob("static/*.js"),
        ]:
            assert not re.search(r"movie|MovieLens", page.read_text(encoding="utf-8"), re.I), page


def test_a_rating_that_means_not_rated_counts_as_met_but_not_in_the_mean(tmp_path):
    from fork_samples import book_crossing

    from site_builder.config import load_config
    from site_builder.data.datasets import load_dataset

    sample = book_crossing(tmp_path / "data")
    scaffold(sample.interactions, tmp_path / "content", "bx", items_file=sample.items)
    config = load_config(tmp_path / "content")
    dataset = load_dataset("bx", config.datasets["bx"])
    # the ratings of books the catalogue lacks are left out (items.unmatched: drop), the rest kept
    rows = (tmp_path / "data" / "BX-Book-Ratings.csv").read_text(encoding="latin-1").splitlines()[1:]
    listed = set((tmp_path / "data" / "BX-Books.csv").read_text(encoding="latin-1").split('"'))
    assert dataset.num_interactions == sum(row.split(";")[1].strip('"') in listed for row in rows) < len(rows)
    unrated = dataset.rating != dataset.rating  # NaN: written as 0
    assert 0.5 < unrated.mean() < 0.7  # the sample's share of zeros
    items = dataset.items
    assert items["num_ratings"].sum() == dataset.num_interactions  # every read counts
    rated = items["mean_rating"].dropna()
    assert len(rated) and (rated >= 1).all()  # no 0 pulled a mean down


def test_each_file_is_read_in_its_own_dialect(tmp_path):
    """Plays separated by ";" in Windows-1252 without a header, quotes as text and a decimal comma,
    beside a catalogue separated by "," in UTF-8 with a header, quoted fields and a decimal point:
    each value comes out as written."""
    from fork_samples import QUOTED_NAMES, mixed_dialects

    from site_builder.config import load_config
    from site_builder.data.datasets import load_dataset

    sample = mixed_dialects(tmp_path / "data")
    scaffold(sample.interactions, tmp_path / "content", "mix", items_file=sample.items)
    dataset = load_dataset("mix", load_config(tmp_path / "content").datasets["mix"])
    lines = (tmp_path / "data" / "plays.txt").read_text(encoding="cp1252").splitlines()
    assert dataset.num_interactions == len(lines)  # no line swallowed by a quote read as quoting
    items = dataset.items.set_index("id")
    for n in range(0, 120, 7):
        if f"a{n}" in items.index:
            name = f"{QUOTED_NAMES[n % len(QUOTED_NAMES)]} {GENRES[n % 4]} {n}, live"
            assert items.loc[f"a{n}", "label"] == name
            assert items.loc[f"a{n}", "scene"] == ["Oslo, Norway", "東京", "Zürich"][n % 3]
    # ratings written 3,5: every one ends in .5
    assert set((dataset.rating * 2 % 2).tolist()) == {1.0}

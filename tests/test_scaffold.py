"""`portals new` on a catalogue whose id column is not named like the interactions' item column."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pandas as pd
from conftest import DEMO_CONTENT

from site_builder.commands.scaffold import propose_mapping, scaffold
from site_builder.config import load_config
from site_builder.data.datasets import load_dataset

BOOKS = [(f"B{n:03d}", f"Book {n}", f"Author {n % 7}", ["fiction", "poetry", "history"][n % 3]) for n in range(30)]


def write_books(folder) -> None:
    """reads.csv (reader, book, stars, read_at) and catalogue.csv (book_code, name, author, shelf)."""
    folder.mkdir(parents=True)
    with open(folder / "catalogue.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["book_code", "name", "author", "shelf"])
        writer.writerows(BOOKS)
    rng = np.random.default_rng(5)
    with open(folder / "reads.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reader", "book", "stars", "read_at"])
        for reader in range(40):
            for book in rng.choice(len(BOOKS), size=6, replace=False):
                writer.writerow(
                    [f"r{reader}", BOOKS[book][0], int(rng.integers(1, 6)), f"2024-05-{1 + reader % 28:02d}"]
                )


def test_the_catalogues_id_column_is_the_one_holding_the_item_ids(tmp_path):
    write_books(tmp_path / "data")
    reads, catalogue = pd.read_csv(tmp_path / "data" / "reads.csv"), pd.read_csv(tmp_path / "data" / "catalogue.csv")
    proposal = propose_mapping(reads, catalogue)
    assert (proposal.item, proposal.item_id, proposal.items_label) == ("book", "book_code", "name")
    assert "book_code" not in proposal.item_columns and "shelf" in proposal.item_columns

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content, ignore=shutil.ignore_patterns("movielens-100k"))
    (content / "datasets" / "movielens-100k").mkdir()
    for name in ("ratings.csv", "movies.csv", "users.csv"):
        shutil.copy(DEMO_CONTENT / "datasets" / "movielens-100k" / name, content / "datasets" / "movielens-100k")
    scaffold(tmp_path / "data" / "reads.csv", content, "books", items_file=tmp_path / "data" / "catalogue.csv")
    config = load_config(content)
    assert config.datasets["books"].items.id == "book_code"
    # the reader finds every read book in the catalogue, by the column the scaffold chose
    books = load_dataset("books", config.datasets["books"])
    assert len(books.items) == len(BOOKS) and books.num_interactions == 40 * 6
    assert sorted(books.items["label"]) == sorted(title for _, title, _, _ in BOOKS)


def test_a_column_missing_from_a_data_file_is_said_of_its_key_in_site_yml(tmp_path):
    """The fix is in site.yml, so the problem names the key's whole path and its line there."""
    import re

    from fork_samples import steam

    from site_builder.build import build_site
    from site_builder.errors import BuildError

    sample = steam(tmp_path / "data")
    content = tmp_path / "content"
    scaffold(sample.interactions, content, "games", items_file=sample.items)
    site = content / "site.yml"
    text = site.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row.strip() == "label: app_name")
    site.write_text(text.replace("label: app_name", "label: app_nam"), encoding="utf-8")
    try:
        build_site(content, tmp_path / "site", tmp_path / "cache")
    except BuildError as error:
        said = "\n".join(str(problem) for problem in error.problems)
    else:
        raise AssertionError("the build went through")
    assert re.search(
        rf'site\.yml: datasets\.games\.items\.label \(line {line}\): no column "app_nam" in games\.csv '
        r'\(did you mean "app_name"\?\)',
        said,
    ), said


def test_the_site_title_and_description_change_in_place(tmp_path):
    from site_builder.commands.own_site import set_top_level

    text = "# a comment\n\ntitle: Old\ndescription: >-\n  Two lines\n  of text.\n\ndocs: docs\n"
    changed = set_top_level(set_top_level(text, "title", "New: yes"), "description", 'One "line"')
    assert changed == '# a comment\n\ntitle: "New: yes"\ndescription: "One \\"line\\""\n\ndocs: docs\n'
    assert set_top_level("# only\n", "title", "T") == "# only\ntitle: T\n"


def test_replace_site_then_add_a_second_dataset_beside_it(tmp_path):
    """--replace-site empties the demo out of a copy of its content; a later `new` without it adds."""
    import shutil

    import yaml
    from conftest import DEMO_CONTENT

    from site_builder.commands.scaffold import scaffold
    from site_builder.config import load_config

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    (content / "docs" / "extra").mkdir()
    (content / "docs" / "extra" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    plays = tmp_path / "plays.csv"
    plays.write_text("user,book\n" + "".join(f"u{n % 7},b{n % 11}\n" for n in range(80)), encoding="utf-8")
    steps = scaffold(plays, content, "books", title="Books", replace_site=True, site_title="Reading")
    config = yaml.safe_load((content / "site.yml").read_text(encoding="utf-8"))
    assert config["title"] == "Reading" and list(config["datasets"]) == ["books"]
    assert [p["name"] for p in config["portals"]] == ["books", "books-users"]
    assert "Removed from site.yml: the datasets movielens-100k and the portals movies, users." in steps
    assert not (content / "datasets" / "movielens-100k").exists()
    assert sorted(p.name for p in (content / "docs").rglob("*") if p.is_file()) == [
        "books.md",
        "index.md",
        "using-the-maps.md",
    ]
    assert "# Reading" in (content / "docs" / "index.md").read_text(encoding="utf-8")
    assert "how-it-works.md" not in (content / "docs" / "books.md").read_text(encoding="utf-8")  # a link to nothing

    songs = tmp_path / "songs.csv"
    songs.write_text("listener,track\n" + "".join(f"l{n % 5},t{n % 9}\n" for n in range(60)), encoding="utf-8")
    scaffold(songs, content, "songs", site_description="Books and songs.")
    config = load_config(content)
    assert list(config.datasets) == ["books", "songs"] and config.title == "Reading"
    assert config.description == "Books and songs."
    assert (content / "datasets" / "books" / "plays.csv").is_file()

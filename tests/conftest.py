"""Shared fixtures: tiny content folders written inline, and the demo build."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import textwrap
import zipfile
from pathlib import Path

import pytest
from browsing import CHROMIUM_ARGS, MISSING, find_chromium, serve  # noqa: F401 (serve: for the test modules)

REPO = Path(__file__).resolve().parent.parent
DEMO_CONTENT = REPO / "content"


def write_movielens(folder: Path, ratings: str, movies: str, users: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ratings.csv").write_text(textwrap.dedent(ratings).lstrip(), encoding="utf-8")
    (folder / "movies.csv").write_text(textwrap.dedent(movies).lstrip(), encoding="utf-8")
    if users is not None:
        (folder / "users.csv").write_text(textwrap.dedent(users).lstrip(), encoding="utf-8")
    return folder


TINY_RATINGS = """\
    userId,movieId,rating,timestamp
    1,10,4,100
    1,20,5,101
    2,10,3,102
    2,30,4,103
    3,20,2,104
    3,30,5,105
    3,10,1,106
    """
TINY_MOVIES = """\
    movieId,title,genres
    10,"Heat, The (1995)",Action|Crime
    20,Toy Story (1995),Animation|Children's
    30,Fargo (1996),Crime|Drama
    """
TINY_USERS = """\
    userId,age,gender,occupation,zip
    1,24,M,technician,85711
    2,53,F,other,94043
    3,17,M,student,32067
    """

TINY_SITE = """\
    title: Tiny site
    description: A test site.
    datasets:
      tiny:
        format: movielens-csv
        path: data
    portals:
      - name: movies
        title: Movies
        dataset: tiny
        points: items
        label: title
        color_by: first_genre
        metadata: [year, genres, num_ratings]
        embedding:
          word2vec: {vector_size: 8, epochs: 2}
      - name: users
        title: Users
        dataset: tiny
        points: users
        label: name
        color_by: age_band
        metadata: [age_band, gender]
        embedding:
          word2vec: {vector_size: 8, epochs: 2}
    """


def zip_bytes(members: dict[str, str | bytes]) -> bytes:
    """A ZIP archive, in memory, of these members (name -> text or bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tiny_zip(top: str) -> bytes:
    """The tiny MovieLens dataset as a ZIP archive with one top folder, as GroupLens ships theirs."""
    return zip_bytes(
        {
            f"{top}/{name}": textwrap.dedent(text).lstrip()
            for name, text in (("ratings.csv", TINY_RATINGS), ("movies.csv", TINY_MOVIES), ("users.csv", TINY_USERS))
        }
    )


def write_tiny_content(root: Path, site: str = TINY_SITE) -> Path:
    write_movielens(root / "data", TINY_RATINGS, TINY_MOVIES, TINY_USERS)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# Tiny\n\nHello.\n", encoding="utf-8")
    (root / "site.yml").write_text(textwrap.dedent(site).lstrip(), encoding="utf-8")
    return root


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below folder, by relative path: compare two states of a site byte for byte."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tiny_content(tmp_path: Path) -> Path:
    return write_tiny_content(tmp_path / "content")


# The demo's cache is the repository's own (where `./portals.sh build` keeps it): its entries are
# keyed by what they are made of, so a test run reuses what an earlier run or build trained, and
# PORTALS_TEST_CACHE points the tests elsewhere (an empty folder for a cold build).
DEMO_CACHE = Path(os.environ.get("PORTALS_TEST_CACHE", REPO / ".cache"))


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Path:
    """The demo content built once per test session (per worker, when pytest-xdist runs several), with
    a base URL. Workers build it one at a time: the first trains, the others find its cache entries."""
    from site_builder.build import build_site

    out = tmp_path_factory.mktemp("demo") / "_site"
    DEMO_CACHE.mkdir(parents=True, exist_ok=True)
    with open(DEMO_CACHE / ".demo-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_site(DEMO_CONTENT, out, DEMO_CACHE, base_url="https://example.github.io/some-repo")
    return out


@pytest.fixture(scope="session")
def large_demo_site(tmp_path_factory) -> Path:
    """The demo built as a large portal is built, its thresholds lowered to its size: its maps load
    the int8 copy of the vectors' 16 main components (projector.map_vectors) and draw dots, its
    sprite cells being too small to read (pages.MIN_READABLE_CELL), and its recommendation pages
    rank a taste in the parts of the vectors nearest it (site.taste_parts)."""
    from site_builder.build import build_site
    from site_builder.site import pages, projector, taste_parts

    out = tmp_path_factory.mktemp("large") / "_site"
    DEMO_CACHE.mkdir(parents=True, exist_ok=True)
    with open(DEMO_CACHE / ".demo-build.lock", "w") as lock, pytest.MonkeyPatch.context() as patch:
        fcntl.flock(lock, fcntl.LOCK_EX)
        patch.setattr(pages, "MIN_READABLE_CELL", 129)  # the demo's cells are 128 px
        patch.setattr(projector, "MAP_FLOAT32_BYTES", 0)
        patch.setattr(projector, "MAP_COMPACT_BYTES", 1682 * 16)
        patch.setattr(taste_parts, "PARTS_FROM", 0)
        build_site(DEMO_CONTENT, out, DEMO_CACHE)
    return out


# ---------------------------------------------------------------- tiers

# `pytest -m "not slow and not browser"` is the fast tier (CONTRIBUTING.md): no real browser, no
# demo build, no subprocess builds.
SLOW_MODULES = {"test_interrupts", "test_forking", "test_packaging", "test_hostile_inputs"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rpartition(".")[2]
        if module.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        fixtures = getattr(item, "fixturenames", ())
        if module in SLOW_MODULES or "demo_site" in fixtures or "large_demo_site" in fixtures:
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------- real browser


@pytest.fixture(scope="module")
def served_site(demo_site):
    """The demo site served on 127.0.0.1; its base address."""
    server = serve(demo_site)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def served_large_site(large_demo_site):
    """large_demo_site served on 127.0.0.1; the site's folder and its base address."""
    server = serve(large_demo_site)
    yield large_demo_site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, with WebGL through SwiftShader. Fails, not skips,
    when the browser is missing: visitors rely on what the browser tests check."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        pytest.fail(MISSING)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()

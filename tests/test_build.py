"""The full build of the demo, checked file by file, and the build's guarantees."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from bs4 import BeautifulSoup
from conftest import tree_digest, write_tiny_content
from PIL import Image
from sitecheck import links, pages, resolve

from site_builder.build import build_site
from site_builder.errors import BuildError

BASE_URL = "https://example.github.io/some-repo"
DEMO_COUNTS = {"movies": 1682, "users": 943}


@pytest.mark.parametrize("portal", ["movies", "users"])
def test_projector_files_are_consistent(demo_site, portal):
    folder = demo_site / portal
    config = json.loads((folder / "projector_config.json").read_text())
    embedding = config["embeddings"][0]
    n, d = embedding["tensorShape"]
    assert n == DEMO_COUNTS[portal] and d == 100
    assert (folder / embedding["tensorPath"]).stat().st_size == n * d * 4
    vectors = np.frombuffer((folder / embedding["tensorPath"]).read_bytes(), dtype="<f4").reshape(n, d)
    assert np.isfinite(vectors).all() and (np.linalg.norm(vectors, axis=1) > 0).all()

    rows = (folder / embedding["metadataPath"]).read_text(encoding="utf-8").split("\n")
    assert rows[-1] == "" and len(rows) - 1 == n + 1
    header = rows[0].split("\t")
    assert "id" in header and all(len(r.split("\t")) == len(header) for r in rows[1:-1])

    # the sheet is not in the self-hosted config (the page loads it after the points), but in the
    # online one and on the page's projector element
    assert "sprite" not in embedding
    online = json.loads((folder / "projector_config.online.json").read_text())["embeddings"][0]
    page = (folder / "index.html").read_text(encoding="utf-8")
    cell_w, cell_h = online["sprite"]["singleImageDim"]
    # the demo's cards: lossless WebP, the smallest (images.encode_sheet)
    assert f'data-sprite="sprite.webp" data-sprite-cell="{cell_w}"' in page
    with Image.open(folder / "sprite.webp") as sprite:
        width, height = sprite.size
    assert cell_w == cell_h and width == height <= 8192
    cells_per_side = width // cell_w
    assert width % cell_w == 0 and cells_per_side == math.ceil(math.sqrt(n))

    # every path in both configs exists; the online one is absolute under the base URL
    for key in ("tensorPath", "metadataPath"):
        assert (folder / embedding[key]).is_file()
        assert online[key] == f"{BASE_URL}/{portal}/{embedding[key]}"
    assert online["sprite"]["imagePath"] == f"{BASE_URL}/{portal}/sprite.webp"


def test_movie_metadata_columns(demo_site):
    rows = (demo_site / "movies" / "metadata.txt").read_text(encoding="utf-8").split("\n")
    header = rows[0].split("\t")
    assert header == ["title", "id", "year", "decade", "genres", "first_genre", "num_ratings", "mean_rating"]
    toy_story = dict(zip(header, rows[1].split("\t")))
    assert toy_story["title"] == "Toy Story (1995)" and toy_story["decade"] == "1990s"
    assert toy_story["num_ratings"] == "452" and toy_story["first_genre"] == "Animation"
    users = (demo_site / "users" / "metadata.txt").read_text(encoding="utf-8").split("\n")[0].split("\t")
    assert users == ["name", "id", "favourites", "leaning", "age_band", "gender", "occupation", "num_ratings"]


def test_every_href_and_src_resolves_inside_the_site(demo_site):
    html_files = pages(demo_site)
    assert len(html_files) > 5  # landing, two projector pages, docs pages
    missing, external_src = [], []
    for page in html_files:
        for attribute, url in links(page):
            target = resolve(demo_site, page, url, BASE_URL)
            if target is None:
                if attribute == "src" or url.endswith(".css") or url.endswith(".js"):
                    external_src.append(f"{page.relative_to(demo_site)}: {url}")
                continue
            if not target.is_file():
                missing.append(f"{page.relative_to(demo_site)}: {attribute}={url}")
    assert not missing, missing
    assert not external_src, external_src  # no CDN: the site is self-contained


def test_projector_pages_and_bundle(demo_site):
    assert (demo_site / "static/projector/projector_binary.js").stat().st_size > 1_000_000
    assert "Apache License" in (demo_site / "static/projector/LICENSE").read_text()
    soup = BeautifulSoup((demo_site / "movies/index.html").read_text(), "html.parser")
    element = soup.find("vz-projector")
    assert element["projector-config-json-path"] == "projector_config.json"
    assert element["serving-mode"] == "demo"
    assert soup.find("a", string=lambda s: s and "All" not in s and "projector.tensorflow.org" in s)["href"] == (
        f"https://projector.tensorflow.org/?config={BASE_URL}/movies/projector_config.online.json"
    )
    assert soup.find("a", class_="back")["href"] == "../index.html"
    assert "polymerSkipLoadingFontRoboto" in soup.find("script").string


def test_landing_page_structure(demo_site):
    soup = BeautifulSoup((demo_site / "index.html").read_text(), "html.parser")
    assert soup.find("h1").get_text(strip=True) == "Floating movie recommendations"
    levels = [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    assert all(img.get("alt") for img in soup.find_all("img"))
    assert soup.find("meta", attrs={"name": "viewport"})
    cards = soup.select(".card")
    assert [c.find("h3").get_text(strip=True) for c in cards] == ["Movies", "Moviegoers"]
    text = soup.get_text(" ", strip=True)
    assert "1,682" in text and "100,000" in text and "943" in text
    for card in cards:
        assert (demo_site / card.find("img")["src"]).is_file()
    assert soup.find("a", href="docs/index.html")


def test_failed_build_leaves_previous_site_and_rebuild_uses_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # mkdocs stamps the build date
    content = write_tiny_content(tmp_path / "content")
    out, cache = tmp_path / "_site", tmp_path / "cache"
    first = build_site(content, out, cache)
    assert not any(p.vectors_from_cache for p in first.portals)
    before = tree_digest(out)

    second = build_site(content, out, cache)
    assert all(p.vectors_from_cache for p in second.portals)
    assert tree_digest(out) == before  # same input, same site, byte for byte

    site_yml = content / "site.yml"
    site_yml.write_text(site_yml.read_text().replace("label: title", "label: titel"))
    with pytest.raises(BuildError):
        build_site(content, out, cache)
    # a failure after the config stage (the docs) also leaves the site alone
    site_yml.write_text(site_yml.read_text().replace("label: titel", "label: title"))
    (content / "docs" / "index.md").write_text("# Tiny\n\n[broken](missing.md)\n")
    with pytest.raises(BuildError, match="mkdocs"):
        build_site(content, out, cache)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "cache", "content"]  # no leftovers


def test_strict_turns_warnings_into_errors(tmp_path):
    content = write_tiny_content(tmp_path / "content")
    movies = content / "data" / "movies.csv"
    movies.write_text(movies.read_text() + "40,Nobody Rated This (2001),Drama\n")
    summary = build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert any("no interactions" in w for w in summary.warnings)
    with pytest.raises(BuildError, match="no interactions"):
        build_site(content, tmp_path / "_site2", tmp_path / "cache", strict=True)
    assert not (tmp_path / "_site2").exists()


def test_evaluation_figures_ship_with_the_movies_page(demo_site):
    data = json.loads((demo_site / "movies" / "recommend.json").read_text(encoding="utf-8"))
    rows = {row["name"]: row for row in data["evaluation"]["methods"]}
    assert set(rows) == {"method", "popularity", "ItemKNN"}
    assert rows["method"]["hit_rate"] > rows["popularity"]["hit_rate"]
    assert data["evaluation"]["split"] == "test" and data["evaluation"]["users"] == 943
    assert "evaluation" not in json.loads((demo_site / "users" / "recommend.json").read_text(encoding="utf-8"))


def test_the_pages_carry_a_favicon_and_say_nothing_of_loading_without_javascript(demo_site):
    from bs4 import BeautifulSoup

    for page in ("index.html", "movies/index.html", "movies/recommend.html"):
        soup = BeautifulSoup((demo_site / page).read_text(encoding="utf-8"), "html.parser")
        icon = soup.find("link", rel="icon")
        assert icon and (demo_site / page).parent.joinpath(icon["href"]).resolve().is_file(), page
    status = BeautifulSoup((demo_site / "movies/recommend.html").read_text(encoding="utf-8"), "html.parser").find(
        id="rec-status"
    )
    assert status.get_text(strip=True) == "" and status["data-loading"] == "Loading the movies…"


def test_the_docs_read_in_order_and_lead_back_to_the_maps(demo_site):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((demo_site / "docs/how-it-works/index.html").read_text(encoding="utf-8"), "html.parser")
    brand = soup.find("a", class_="navbar-brand")
    assert brand["href"] == "../../index.html" and brand.get_text(strip=True).startswith("←")
    home = BeautifulSoup((demo_site / "docs/index.html").read_text(encoding="utf-8"), "html.parser")
    pages = [a["href"] for a in home.select(".navbar-nav .nav-link") if a.get("href", "").endswith("/")]
    order = ["getting-started/", "how-it-works/", "hosting-your-own-dataset/", "configuration/"]
    positions = [next(i for i, href in enumerate(pages) if href.endswith(name)) for name in order]
    assert positions == sorted(positions), pages


def test_the_summary_counts_every_file_a_portal_and_the_site_hold(tmp_path):
    content = write_tiny_content(tmp_path / "content")
    out = tmp_path / "_site"
    summary = build_site(content, out, tmp_path / "cache")

    def size(folder):
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    for portal in summary.portals:  # its pages too, which are written after the portal's data
        assert portal.bytes_written == size(out / portal.name)
        assert (out / portal.name / "index.html").is_file()
    marker = next(p for p in out.iterdir() if p.name.startswith("."))
    assert summary.site_bytes == size(out) - marker.stat().st_size


def test_training_beside_the_build_gives_the_same_site(tmp_path, monkeypatch, caplog):
    """The evaluation and the later portals' embeddings, trained in a second process (site_builder.beside),
    give the very files the main line gives when it trains everything itself (one gensim worker: the
    same vectors for the same seed)."""
    from site_builder import beside, build

    monkeypatch.setattr(build, "BESIDE_MIN_INTERACTIONS", 0)  # the tiny site is below it
    site = write_tiny_content(tmp_path / "content").joinpath("site.yml")
    site.write_text(
        site.read_text().replace(
            "    color_by: first_genre\n",
            "    color_by: first_genre\n    recommendations: {show_evaluation: true}\n",
            1,
        )
    )
    caplog.set_level("INFO", logger="site_builder")
    build_site(tmp_path / "content", tmp_path / "two", tmp_path / "cache-two")
    # the movies' evaluation, the users' embeddings, then their neighbours and layouts
    assert caplog.text.count("done beside the build") == 3
    # a rebuild that finds every portal's vectors in the cache starts no second process
    spawned = []
    spawn = beside._spawn_pool
    monkeypatch.setattr(beside, "_spawn_pool", lambda shared: spawned.append(1) or spawn(shared))
    build_site(tmp_path / "content", tmp_path / "again", tmp_path / "cache-two")
    assert spawned == []
    monkeypatch.setattr(beside, "_cores", lambda: 1)
    caplog.clear()
    build_site(tmp_path / "content", tmp_path / "one", tmp_path / "cache-one")
    assert "done beside the build" not in caplog.text

    def files(folder):
        digest = tree_digest(folder)
        # the evaluation's figures hold its timings, the docs their build date; the rest is the same
        return {n: value for n, value in digest.items() if n != "movies/recommend.json" and not n.startswith("docs/")}

    assert files(tmp_path / "one") == files(tmp_path / "two")
    timed = [
        json.loads((tmp_path / side / "movies" / "recommend.json").read_text())["evaluation"] for side in ("one", "two")
    ]
    for figures in timed:
        for row in figures["methods"]:
            row.pop("seconds", None)
        figures.pop("seconds", None)
    assert timed[0] == timed[1]


def test_showing_the_evaluation_of_a_very_large_portal_is_refused_with_the_key(tmp_path, monkeypatch):
    from site_builder.model import evaluate

    site = write_tiny_content(tmp_path / "content").joinpath("site.yml")
    shown = "    color_by: first_genre\n    recommendations: {show_evaluation: true}\n"
    site.write_text(site.read_text().replace("    color_by: first_genre\n", shown, 1))
    monkeypatch.setattr(evaluate, "SHOWN_MAX_INTERACTIONS", 6)  # the tiny data has 7
    with pytest.raises(BuildError) as raised:
        build_site(tmp_path / "content", tmp_path / "_site", tmp_path / "cache")
    message = str(raised.value)
    assert "portals[0].recommendations.show_evaluation (line 14)" in message, message
    assert "movies has 7 interactions" in message and "portals evaluate --portal movies" in message
    assert not (tmp_path / "_site").exists()


def test_a_number_column_gives_a_gradient_key_on_the_landing_and_recommendation_pages(tmp_path):
    """The key beside the preview and on the recommendation page: a category column lists its values
    with counts and links to the map showing each alone; a number column shows its gradient's ends."""
    from bs4 import BeautifulSoup

    content = write_tiny_content(tmp_path / "content")
    site_yml = content / "site.yml"
    site_yml.write_text(site_yml.read_text().replace("color_by: first_genre", "color_by: num_ratings"))
    build_site(content, tmp_path / "site", tmp_path / "cache")
    for page in ("index.html", "movies/recommend.html"):
        soup = BeautifulSoup((tmp_path / "site" / page).read_text(encoding="utf-8"), "html.parser")
        key = soup.select(".colour-key")[0]
        assert "num ratings" in key.select_one(".colour-key-title").get_text()
        ends = [span.get_text() for span in key.select(".colour-key-gradient > span") if not span.get("class")]
        counts = [int(line.split(",")[1]) for line in (content / "data" / "ratings.csv").read_text().split()[1:]]
        per_movie = {movie: counts.count(movie) for movie in set(counts)}
        assert ends == [str(min(per_movie.values())), str(max(per_movie.values()))]
        assert not key.select(".colour-key-list")
    users = BeautifulSoup((tmp_path / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = [a["href"] for a in users.select(".colour-key")[1].select(".colour-key-list a")]
    assert links and all(href.startswith("users/index.html#only=") for href in links)

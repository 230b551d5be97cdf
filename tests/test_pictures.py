"""Real pictures through the whole build: local files, TMDB on a loopback server, cards, caching."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import REPO, TINY_SITE, write_tiny_content
from loopback import LoopbackServer
from PIL import Image

from site_builder.build import build_site
from site_builder.errors import BuildError

KEY = "secret-key-0123456789"


def _image(colour, size=(60, 90), fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _json(value):
    body = json.dumps(value).encode()

    def send(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return send


@pytest.fixture
def tmdb():
    server = LoopbackServer({})
    routes = {
        f"/3/search/movie?query=Toy+Story&year=1995&api_key={KEY}": _json({"results": [{"poster_path": "/toy.jpg"}]}),
        f"/3/search/movie?query=Fargo&year=1996&api_key={KEY}": _json({"results": []}),
        "/img/toy.jpg": _image((0, 200, 0)),
    }
    server.routes.update(routes)
    yield server
    server.close()


def _content(tmp_path, server):
    images = (
        "        images:\n"
        "          sources:\n"
        "            - local: {folder: posters}\n"
        f"            - tmdb: {{id_column: null, api_base: '{server.url}/3', image_base: '{server.url}/img'}}\n"
        "          fill: '#000000'\n"
    )
    site = TINY_SITE.replace(
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
        images + "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
    )
    content = write_tiny_content(tmp_path / "content", site)
    (content / "posters").mkdir()
    Image.new("RGB", (90, 60), (220, 0, 0)).save(content / "posters" / "10.png")
    return content


def _cell_centre(site, portal, index):
    # the map page names the sheet and its cell size (it loads the sheet after the points)
    page = (site / portal / "index.html").read_text(encoding="utf-8")
    path, cell = re.search(r'data-sprite="([^"]+)" data-sprite-cell="(\d+)"', page).groups()
    cell = int(cell)
    with Image.open(site / portal / path) as sheet:
        per_side = sheet.width // cell
        x, y = (index % per_side) * cell, (index // per_side) * cell
        return sheet.convert("RGB").getpixel((x + cell // 2, y + cell // 2))


def _page_pictures(site, portal):
    """The recommendation page's pictures: {point: centre colour}, each checked to be a 160 px WebP."""
    index = json.loads((site / portal / "recommend.json").read_text(encoding="utf-8"))
    found = {}
    for point in index.get("pictures", {}).get("of", []):
        with Image.open(site / portal / index["pictures"]["path"] / f"{point}.webp") as picture:
            assert picture.format == "WEBP" and picture.size == (160, 160)
            found[point] = picture.convert("RGB").getpixel((80, 80))
    return found


def _close(actual, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(actual, expected))


def test_images_from_local_files_and_tmdb_with_cards_for_the_rest(tmp_path, tmdb, monkeypatch, caplog):
    monkeypatch.setenv("TMDB_API_KEY", KEY)
    content = _content(tmp_path, tmdb)
    site, cache = tmp_path / "_site", tmp_path / "cache"
    caplog.set_level("DEBUG")
    summary = build_site(content, site, cache)

    assert _close(_cell_centre(site, "movies", 0), (220, 0, 0))  # 10: local file
    assert _close(_cell_centre(site, "movies", 1), (0, 200, 0))  # 20: TMDB poster
    fargo = _cell_centre(site, "movies", 2)  # 30: no poster -> a card in its genre's colour
    assert not _close(fargo, (0, 0, 0), 10) and not _close(fargo, (0, 200, 0))
    pictures = summary.portals[0].pictures
    assert re.match(r"2 images \(0 from cache, 1 downloaded, 1 local\), 1 cards, failed: no poster x 1", pictures)
    assert any("could not be had" in w for w in summary.warnings)
    # the recommendation page has pictures of its own for the points that have one; the rest it draws
    on_page = _page_pictures(site, "movies")
    assert sorted(on_page) == [0, 1]
    assert _close(on_page[0], (220, 0, 0)) and _close(on_page[1], (0, 200, 0))
    requests_made = len(tmdb.requests)
    assert requests_made == 3

    # the key is in no output file, no cache file and no log line
    for folder in (site, cache):
        for path in folder.rglob("*"):
            assert not path.is_file() or KEY.encode() not in path.read_bytes(), path
    assert KEY not in caplog.text

    # a rebuild asks nothing and re-stitches nothing
    again = build_site(content, site, cache)
    assert len(tmdb.requests) == requests_made
    assert "sheet from cache" in again.portals[0].pictures
    assert _page_pictures(site, "movies") == on_page

    with pytest.raises(BuildError, match="could not be had"):
        build_site(content, tmp_path / "_strict", cache, strict=True)

    # every cache folder the build writes is one the deploy workflow restores
    workflow = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    for folder in cache.iterdir():
        assert f"path: .cache/{folder.name}\n" in workflow, folder.name


def test_without_the_key_the_build_still_succeeds_with_cards(tmp_path, tmdb, monkeypatch):
    monkeypatch.delenv("TMDB_API_KEY", raising=False)
    content = _content(tmp_path, tmdb)
    summary = build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert summary.portals[0].pictures.startswith("1 images (0 from cache, 0 downloaded, 1 local), 2 cards")
    assert not tmdb.requests
    assert any("TMDB_API_KEY is not set" in w for w in summary.warnings)
    with pytest.raises(BuildError, match="TMDB_API_KEY is not set"):
        build_site(content, tmp_path / "_strict", tmp_path / "cache", strict=True)

    # once the key is set, the sheet of cards made without it is not reused
    monkeypatch.setenv("TMDB_API_KEY", KEY)
    summary = build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert summary.portals[0].pictures.startswith("2 images") and tmdb.requests


def test_a_local_only_site_honours_the_configured_pixel_limit(tmp_path):
    """No network source, so no downloader: the limit still comes from the site's download settings."""
    site = TINY_SITE.replace(
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
        "        images: {sources: [{local: {folder: posters}}]}\n"
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
    )
    content = write_tiny_content(tmp_path / "content", "    download: {max_pixels: 1000}\n" + site)
    (content / "posters").mkdir()
    Image.new("RGB", (90, 60), (220, 0, 0)).save(content / "posters" / "10.png")  # 5,400 pixels
    summary = build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert summary.portals[0].pictures.startswith("0 images"), summary.portals[0].pictures
    assert not _close(_cell_centre(tmp_path / "_site", "movies", 0), (220, 0, 0))

"""Image sources, thumbnails and sheets, end to end against a loopback server.

The served images have known colours; the tests read each point's cell in a
sheet drawn by sprites.draw_sprite_sheet and check it shows that colour, or
the card colour when every source failed.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from site_builder.config import ImageSettings, ImageSource
from site_builder.pictures.download import Downloader
from site_builder.pictures.images import (
    ImageProblem,
    ImageReport,
    collect_images,
    encode_sheet,
    load_thumbnail,
    thumbnail,
    to_rgb,
)
from site_builder.pictures.sprites import CARD_PAPER, draw_sprite_sheet, sprite_grid
from site_builder.pictures.tmdb import search_title

sys.path.insert(0, str(Path(__file__).parent))  # the loopback server lives beside this file
from test_download import (  # noqa: E402
    BLUE,
    GREEN,
    RED,
    Loopback,
    add_standard_routes,
    bomb_png,
    close_to,
    fast_settings,
    noise_image,
    reply,
    solid_image,
)

FILL = (40, 40, 40)  # ImageSettings' default "#282828"
CARD = CARD_PAPER  # the middle of a card without a label: no served image is white
CELL = 32
SECRET = "tmdb-secret-4f1c9a"
POSTER_COLOURS = {11: (220, 180, 20), 12: (20, 200, 200), 13: (120, 40, 160)}


@pytest.fixture
def server():
    loopback = Loopback()
    add_standard_routes(loopback)
    add_tmdb_routes(loopback)
    loopback.start()
    yield loopback
    loopback.stop()


def add_tmdb_routes(server: Loopback) -> None:
    """A fake TMDB: /3/movie/{id}, /3/search/movie and the poster images.

    Movies 11, 12 and 13 exist and have posters; 99 exists without one; any
    other id is a 404. Search knows "Toy Story" (1995) only. A wrong key is
    a 401, so the tests know the key was sent.
    """

    def json_reply(handler, status, value):
        reply(handler, status, json.dumps(value).encode(), "application/json")

    def movie(movie_id):
        def answer(handler, query, nth):
            if query.get("api_key") != [SECRET]:
                return json_reply(handler, 401, {"status_message": "Invalid API key"})
            json_reply(handler, 200, {"id": movie_id, "poster_path": None if movie_id == 99 else f"/p{movie_id}.jpg"})

        return answer

    def search(handler, query, nth):
        if query.get("api_key") != [SECRET]:
            return json_reply(handler, 401, {"status_message": "Invalid API key"})
        found = query.get("query") == ["Toy Story"] and query.get("year", ["1995"]) == ["1995"]
        json_reply(handler, 200, {"results": [{"id": 13, "poster_path": "/p13.jpg"}] if found else []})

    for movie_id in (11, 12, 13, 99):
        server.route(f"/3/movie/{movie_id}", movie(movie_id))
    server.route("/3/search/movie", search)
    for movie_id, colour in POSTER_COLOURS.items():
        server.serve(f"/t/p/w185/p{movie_id}.jpg", solid_image(colour, (37, 56)))


def sources(*items: dict) -> ImageSettings:
    return ImageSettings(sources=[ImageSource.model_validate(item) for item in items])


def tmdb_source(server: Loopback, **overrides) -> dict:
    values = {"api_base": server.url("/3"), "image_base": server.url("/t/p/w185")}
    values.update(overrides)
    return {"tmdb": values}


def cell_pixel(sheet: Image.Image, cell: int, index: int, dx: int, dy: int):
    k = sheet.width // cell
    return sheet.getpixel(((index % k) * cell + dx, (index // k) * cell + dy))


def sheet_for(thumbs: dict, count: int) -> tuple[Image.Image, int]:
    """Unlabelled cards, so the middle of a card cell is CARD."""
    return draw_sprite_sheet([""] * count, max_cell=CELL, images=thumbs)


def collect(table, settings, server_or_none, cache: Path, content: Path | None = None, **download):
    download_settings = fast_settings(**download)
    downloader = Downloader(download_settings, cache) if server_or_none is not None else None
    try:
        thumbs, report, _ = collect_images(
            table, settings, downloader, content or cache, CELL, download_settings.max_pixels
        )
    finally:
        if downloader is not None:
            downloader.close()
    return thumbs, report, downloader


# --------------------------------------------------------------------------
# URL column
# --------------------------------------------------------------------------


URL_CASES = [
    ("/red.jpg", RED),
    ("/green.png", GREEN),
    ("/blue.webp", BLUE),
    ("/missing.jpg", None),
    ("/page.html", None),
    ("/bomb.png", None),
    ("/truncated.jpg", None),
    ("", None),
    ("/flaky.jpg", GREEN),
]


def url_table(server: Loopback) -> pd.DataFrame:
    urls = [server.url(path) if path else np.nan for path, _ in URL_CASES]
    return pd.DataFrame({"id": range(1, len(urls) + 1), "title": [f"t{i}" for i in range(len(urls))], "poster": urls})


def test_each_cell_shows_its_served_image_or_a_card(server, tmp_path):
    thumbs, report, _ = collect(url_table(server), sources({"url_column": {"column": "poster"}}), server, tmp_path)
    sheet, cell = sheet_for(thumbs, len(URL_CASES))
    assert cell == CELL
    for index, (path, colour) in enumerate(URL_CASES):
        centre = cell_pixel(sheet, cell, index, cell // 2, cell // 2)
        if colour is None:
            assert index not in thumbs
            assert centre == CARD, path
        else:
            assert thumbs[index].size == (CELL, CELL) and thumbs[index].mode == "RGB"
            assert close_to(centre, colour), (path, centre)
            # 30 x 45 posters: letterbox bars left and right in the fill colour
            assert cell_pixel(sheet, cell, index, 1, cell // 2) == FILL, path


def test_report_counts_and_reasons_are_exact(server, tmp_path):
    _, report, downloader = collect(url_table(server), sources({"url_column": {"column": "poster"}}), server, tmp_path)
    assert (report.cache, report.downloaded, report.local, report.generated) == (0, 4, 0, 5)
    assert report.failed == 4
    assert dict(report.reasons) == {"404": 1, "not an image": 1, "too many pixels": 1, "truncated": 1}
    assert report.requests == downloader.request_count == 9  # 8 URLs, one of them retried once
    assert report.describe() == (
        "4 images (0 from cache, 4 downloaded, 0 local), 5 cards, "
        "failed: 404 x 1, not an image x 1, too many pixels x 1, truncated x 1"
    )


def test_second_build_makes_no_requests(server, tmp_path):
    table = url_table(server)
    settings = sources({"url_column": {"column": "poster"}})
    first_thumbs, first, _ = collect(table, settings, server, tmp_path)
    served = server.total
    thumbs, second, downloader = collect(table, settings, server, tmp_path)
    assert downloader.request_count == 0 and server.total == served
    assert (second.cache, second.downloaded, second.generated) == (4, 0, 5)
    assert second.reasons == first.reasons  # failures remembered, with their reasons
    assert sorted(thumbs) == sorted(first_thumbs)
    for index in thumbs:
        assert np.array_equal(np.asarray(thumbs[index]), np.asarray(first_thumbs[index]))


def test_points_sharing_a_url_share_one_request(server, tmp_path):
    table = pd.DataFrame({"id": [1, 2, 3], "poster": [server.url("/red.jpg")] * 3})
    thumbs, report, _ = collect(table, sources({"url_column": {"column": "poster"}}), server, tmp_path)
    assert len(thumbs) == 3 and report.downloaded == 3 and server.hits["/red.jpg"] == 1


def test_no_sources_means_all_cards(tmp_path):
    table = pd.DataFrame({"id": [1, 2, 3]})
    thumbs, report, _ = collect(table, ImageSettings(), None, tmp_path)
    assert thumbs == {}
    assert (report.generated, report.failed) == (3, 0)
    assert report.describe() == "0 images (0 from cache, 0 downloaded, 0 local), 3 cards"


def test_offline_build_skips_network_sources(server, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    thumbs, report, _ = collect(url_table(server), sources({"url_column": {"column": "poster"}}), None, tmp_path)
    assert thumbs == {} and report.generated == len(URL_CASES) and server.total == 0
    assert "offline" in caplog.text


def test_missing_url_column_is_a_build_error(server, tmp_path):
    from site_builder.errors import BuildError

    with pytest.raises(BuildError, match='no column "cover"'):
        collect(url_table(server), sources({"url_column": {"column": "cover"}}), server, tmp_path)


def test_20000_points_fit_one_sheet(server, tmp_path):
    count = 20_000
    k, cell = sprite_grid(count, 128, 8192)
    assert k * cell <= 8192 and cell == 57
    urls = [np.nan] * count
    urls[0], urls[count // 2], urls[-1] = server.url("/red.jpg"), server.url("/green.png"), server.url("/blue.webp")
    table = pd.DataFrame({"id": np.arange(count), "poster": urls})
    downloader = Downloader(fast_settings(), tmp_path)
    thumbs, report, _ = collect_images(
        table, sources({"url_column": {"column": "poster"}}), downloader, tmp_path, cell, downloader.settings.max_pixels
    )
    assert (report.downloaded, report.generated, report.failed) == (3, count - 3, 0)
    sheet, used = draw_sprite_sheet([""] * count, max_cell=128, max_sheet=8192, images=thumbs)
    assert used == cell and sheet.size == (k * cell, k * cell) and sheet.width <= 8192
    for index, colour in ((0, RED), (count // 2, GREEN), (count - 1, BLUE), (1, CARD)):
        assert close_to(cell_pixel(sheet, cell, index, cell // 2, cell // 2), colour), index


# --------------------------------------------------------------------------
# TMDB
# --------------------------------------------------------------------------


def movie_table() -> pd.DataFrame:
    """MovieLens-like rows: ids from links.csv (text, some blank), titles with years."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "title": [
                "Heat (1995)",
                "Jumanji (1995)",
                "Toy Story (1995)",
                "Unknown Film (1990)",
                "Poster-less (2001)",
                "Not Found (1999)",
            ],
            "year": ["1995", "1995", "1995", "1990", "2001", "1999"],
            "tmdbId": ["11", "12.0", "", "", "99", "404404"],
        }
    )


def test_tmdb_by_id_and_by_search_without_leaking_the_key(server, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TMDB_API_KEY", SECRET)
    cache = tmp_path / "cache"
    thumbs, report, downloader = collect(movie_table(), sources(tmdb_source(server)), server, cache)
    expected = {0: POSTER_COLOURS[11], 1: POSTER_COLOURS[12], 2: POSTER_COLOURS[13]}
    assert sorted(thumbs) == sorted(expected)
    for index, colour in expected.items():
        assert close_to(thumbs[index].getpixel((CELL // 2, CELL // 2)), colour)
    assert (report.downloaded, report.generated, report.failed) == (3, 3, 3)
    assert dict(report.reasons) == {"no poster": 2, "404": 1}
    searched = [q for q in server.queries if q.startswith("/3/search/movie")]
    assert len(searched) == 2 and all("year=" in q for q in searched)  # rows 3 and 4 have no tmdbId
    assert all(SECRET in q for q in server.queries if q.startswith("/3/"))  # the key was sent ...

    leaks = [r.getMessage() for r in caplog.records if SECRET in r.getMessage()]
    assert caplog.records and not leaks  # ... but never logged
    for path in cache.rglob("*"):
        assert SECRET not in path.name
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()

    served = server.total
    _, again, downloader = collect(movie_table(), sources(tmdb_source(server)), server, cache)
    assert downloader.request_count == 0 and server.total == served
    assert (again.cache, again.downloaded, again.generated) == (3, 0, 3)


def test_tmdb_without_a_key_is_skipped_with_a_warning(server, tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("MY_TMDB_KEY", raising=False)
    caplog.set_level(logging.WARNING)
    settings = sources(tmdb_source(server, api_key_env="MY_TMDB_KEY"))
    thumbs, report, downloader = collect(movie_table(), settings, server, tmp_path)
    assert thumbs == {} and downloader.request_count == 0
    assert (report.generated, report.failed) == (6, 0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "MY_TMDB_KEY" in warnings[0].getMessage()


def test_tmdb_wrong_key_is_reported_once(server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TMDB_API_KEY", "wrong-key")
    caplog.set_level(logging.WARNING)
    thumbs, report, _ = collect(movie_table(), sources(tmdb_source(server)), server, tmp_path)
    assert thumbs == {} and dict(report.reasons) == {"http 401": 5, "404": 1}  # 404404 is no movie
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "TMDB_API_KEY" in warnings[0] and "wrong-key" not in caplog.text


def test_tmdb_falls_back_to_search_without_the_id_column(server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TMDB_API_KEY", SECRET)
    caplog.set_level(logging.WARNING)
    table = movie_table().drop(columns=["tmdbId"])
    thumbs, report, _ = collect(table, sources(tmdb_source(server)), server, tmp_path)
    assert sorted(thumbs) == [2] and "tmdbId" in caplog.text


def test_tmdb_search_only_when_no_id_column(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TMDB_API_KEY", SECRET)
    table = movie_table().drop(columns=["tmdbId"])
    thumbs, report, _ = collect(table, sources(tmdb_source(server, id_column=None)), server, tmp_path)
    assert sorted(thumbs) == [2]  # only "Toy Story" is found by search
    assert all(q.startswith(("/3/search/movie", "/t/p/")) for q in server.queries)


def test_search_titles_read_like_tmdb_titles():
    assert search_title("Toy Story (1995)") == "Toy Story"
    assert search_title("American President, The (1995)") == "The American President"
    assert (
        search_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)") == "The City of Lost Children"
    )
    assert search_title("Avventura, L' (1960)") == "L'Avventura"
    assert search_title("Crouching Tiger, Hidden Dragon (2000)") == "Crouching Tiger, Hidden Dragon"
    assert search_title("(500) Days of Summer (2009)") == "(500) Days of Summer"


# --------------------------------------------------------------------------
# Local folder and chaining
# --------------------------------------------------------------------------


def write_local(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1.jpg").write_bytes(solid_image(RED))
    (folder / "2.PNG").write_bytes(solid_image(GREEN, fmt="PNG"))
    (folder / "3.webp").write_bytes(solid_image(BLUE, fmt="WEBP"))
    gif = io.BytesIO()
    Image.new("RGB", (20, 20), (250, 250, 0)).convert("P").save(gif, "GIF")
    (folder / "4.gif").write_bytes(gif.getvalue())
    (folder / "6.jpg").write_bytes(b"this is not a picture")
    (folder / "7.png").write_bytes(bomb_png())


def test_local_folder_with_mixed_extensions(tmp_path):
    content = tmp_path / "content"
    write_local(content / "posters")
    table = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6, 7]})
    settings = sources({"local": {"folder": "posters"}})
    thumbs, report, _ = collect(table, settings, None, tmp_path / "cache", content)
    assert sorted(thumbs) == [0, 1, 2, 3]
    for index, colour in enumerate((RED, GREEN, BLUE, (250, 250, 0))):
        assert close_to(thumbs[index].getpixel((CELL // 2, CELL // 2)), colour)
    assert (report.local, report.generated, report.failed) == (4, 3, 2)
    assert dict(report.reasons) == {"not an image": 1, "too many pixels": 1}


def test_local_extensions_are_limited_to_the_listed_ones(tmp_path):
    content = tmp_path / "content"
    write_local(content / "posters")
    settings = sources({"local": {"folder": "posters", "extensions": ["webp", "png"]}})
    thumbs, report, _ = collect(pd.DataFrame({"id": [1, 2, 3]}), settings, None, tmp_path / "cache", content)
    assert sorted(thumbs) == [1, 2]


def test_sources_are_tried_in_order(server, tmp_path, monkeypatch):
    """local -> url -> tmdb -> card, each point taking the first that works."""
    monkeypatch.setenv("TMDB_API_KEY", SECRET)
    content = tmp_path / "content"
    write_local(content / "posters")
    table = pd.DataFrame(
        {
            "id": [1, 20, 21, 22, 23],
            "title": ["a (1990)", "b (1990)", "c (1990)", "d (1990)", "e (1990)"],
            "year": ["1990"] * 5,
            "url": [
                server.url("/blue.webp"),
                server.url("/green.png"),
                server.url("/missing.jpg"),
                server.url("/page.html"),
                "",
            ],
            "tmdbId": ["12", "12", "11", "404404", ""],
        }
    )
    settings = sources({"local": {"folder": "posters"}}, {"url_column": {"column": "url"}}, tmdb_source(server))
    thumbs, report, _ = collect(table, settings, server, tmp_path / "cache", content)
    assert close_to(thumbs[0].getpixel((16, 16)), RED)  # local wins over its URL and TMDB id
    assert close_to(thumbs[1].getpixel((16, 16)), GREEN)  # URL wins over TMDB
    assert close_to(thumbs[2].getpixel((16, 16)), POSTER_COLOURS[11])  # URL 404, TMDB found it
    assert 3 not in thumbs and 4 not in thumbs
    assert server.hits["/blue.webp"] == 0 and server.hits["/3/movie/12"] == 0
    assert (report.local, report.downloaded, report.generated) == (1, 2, 2)
    # point 3: URL gave HTML, then TMDB 404: the first failure is reported
    assert dict(report.reasons) == {"not an image": 1, "no poster": 1}


# --------------------------------------------------------------------------
# Thumbnails
# --------------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path):
    raw = Image.new("RGB", (40, 20), RED)
    raw.paste(BLUE, (20, 0, 40, 20))  # left half red, right half blue, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise
    buffer = io.BytesIO()
    raw.save(buffer, "JPEG", quality=95, exif=exif)
    with Image.open(io.BytesIO(buffer.getvalue())) as image:
        thumb = thumbnail(image, 40, "letterbox", FILL)
    # upright it is 20 wide, 40 tall: red on top, blue below, bars at the sides
    assert close_to(thumb.getpixel((20, 5)), RED) and close_to(thumb.getpixel((20, 35)), BLUE)
    assert thumb.getpixel((2, 20)) == FILL


def test_palette_with_transparency_shows_the_fill():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.paste(1, (0, 0, 10, 20))  # left half red, right half index 0 = transparent white
    image.info["transparency"] = 0
    thumb = thumbnail(image, 20, "letterbox", FILL)
    assert thumb.getpixel((5, 10)) == RED and thumb.getpixel((15, 10)) == FILL


def test_la_is_composited_on_the_fill():
    image = Image.new("LA", (10, 10), (200, 128))  # light grey at half opacity
    pixel = thumbnail(image, 10, "letterbox", (0, 0, 0)).getpixel((5, 5))
    assert all(abs(c - 100) <= 2 for c in pixel)


def test_premultiplied_la_is_composited_too():
    image = Image.new("LA", (10, 10), (200, 128)).convert("La")
    pixel = thumbnail(image, 10, "letterbox", (0, 0, 0)).getpixel((5, 5))
    assert all(abs(c - 100) <= 3 for c in pixel)


def test_cmyk_converts_to_rgb():
    image = Image.new("CMYK", (10, 10), (0, 255, 255, 0))  # magenta + yellow ink = red
    assert thumbnail(image, 10, "letterbox", FILL).getpixel((5, 5)) == (255, 0, 0)


def test_16_bit_is_scaled_not_clipped_to_white():
    values = np.full((10, 10), 32896, np.uint16)  # mid grey in 16 bits
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    assert thumbnail(image, 10, "letterbox", FILL).getpixel((5, 5)) == (128, 128, 128)
    as_int = Image.fromarray(values.astype(np.int32))
    assert to_rgb(as_int, FILL).getpixel((0, 0)) == (128, 128, 128)
    as_float = Image.fromarray(np.full((4, 4), 0.5, np.float32))
    assert to_rgb(as_float, FILL).getpixel((0, 0)) == (128, 128, 128)


def test_16_bit_png_from_disk(tmp_path):
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    thumb = load_thumbnail(path, 64, "letterbox", FILL, 10**6)
    grey = np.asarray(thumb)[..., 0]
    assert grey.max() <= 255 and grey.min() == 0 and 200 < grey.max()
    assert (grey == 255).mean() < 0.05


@pytest.mark.parametrize("size", [(80, 20), (20, 80)])
def test_letterbox_keeps_aspect_and_crop_fills(size):
    image = Image.new("RGB", size, RED)
    boxed = np.asarray(thumbnail(image, 40, "letterbox", FILL))
    cropped = np.asarray(thumbnail(image, 40, "crop", FILL))
    red = np.all(np.abs(boxed.astype(int) - RED) <= 2, axis=2)
    assert red.sum() == 40 * 10  # a 4:1 picture is a 40 x 10 band
    assert np.all(boxed[~red] == FILL)
    assert cropped.shape == (40, 40, 3) and np.all(np.abs(cropped.astype(int) - RED) <= 2)


def test_crop_takes_the_centre():
    image = Image.new("RGB", (90, 30), BLUE)
    image.paste(RED, (30, 0, 60, 30))  # the middle third is red
    cropped = thumbnail(image, 30, "crop", FILL)
    assert cropped.getpixel((2, 15)) == RED and cropped.getpixel((27, 15)) == RED


def test_load_thumbnail_reasons(tmp_path):
    (tmp_path / "bomb.png").write_bytes(bomb_png())
    (tmp_path / "cut.jpg").write_bytes(noise_image()[:3000])
    (tmp_path / "text.jpg").write_bytes(b"hello")
    for name, reason in (
        ("bomb.png", "too many pixels"),
        ("cut.jpg", "truncated"),
        ("text.jpg", "not an image"),
        ("absent.jpg", "missing file"),
    ):
        with pytest.raises(ImageProblem, match=reason):
            load_thumbnail(tmp_path / name, 16, "letterbox", FILL, 10**6)


# --------------------------------------------------------------------------
# Sheet encoding
# --------------------------------------------------------------------------


def test_encode_sheet_auto_keeps_the_smaller():
    # plain cards (cells too small for text): flat areas, where PNG wins
    count = 900
    cards, _ = draw_sprite_sheet([""] * count, max_cell=16)
    data, ext = encode_sheet(cards, "auto", 85)
    assert ext == "webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert len(data) < len(encode_sheet(cards, "jpeg", 85)[0])
    # lossless: the very pixels, in a quarter or less of PNG's bytes
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), np.asarray(cards.convert("RGB")))
    assert len(data) * 2 < len(encode_sheet(cards, "png", 85)[0])

    rng = np.random.default_rng(1)
    photo = Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).resize((512, 512))
    data, ext = encode_sheet(photo, "auto", 85)
    assert ext == "jpg" and data.startswith(b"\xff\xd8")
    assert len(data) < len(encode_sheet(photo, "webp", 85)[0])


def test_encode_sheet_honours_an_explicit_format():
    flat = Image.new("RGB", (64, 64), (200, 30, 30))
    data, ext = encode_sheet(flat, "jpeg", 90)
    assert ext == "jpg" and Image.open(io.BytesIO(data)).format == "JPEG"
    rng = np.random.default_rng(2)
    photo = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data, ext = encode_sheet(photo, "png", 90)
    assert ext == "png" and np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(photo))


def test_describe_uses_thousands_separators():
    report = ImageReport(cache=1600, downloaded=40, local=10, generated=32, failed=22)
    report.reasons.update({"404": 20, "timeout": 2})
    assert report.describe() == (
        "1,650 images (1,600 from cache, 40 downloaded, 10 local), 32 cards, failed: 404 x 20, timeout x 2"
    )

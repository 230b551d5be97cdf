"""Names in any script, on the cards, in the projector's labels and on the pages (pictures.fonts).

The cards draw a label with Roboto, or with the first Noto face that has all
its characters; Arabic and Hebrew are shaped and read right to left. The
pages get Roboto's Latin subset and, for the data's other characters, more
faces of "Roboto" subset to them. The browser test runs on a machine with no
CJK, Thai or Devanagari fonts of its own (Debian's base has DejaVu): what it
shows comes from the site's faces.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from browsing import serve
from PIL import Image, ImageDraw

from site_builder.pictures import fonts
from site_builder.pictures.sprites import CardPainter, _font, printable, render_card
from site_builder.site import web_fonts

NAMES = {
    "Japanese": "東京物語 (1953)",
    "Korean": "기생충",
    "Chinese": "霸王别姬",
    "Arabic": "باب الحديد (1958)",
    "Hebrew": "גבעת חלפון אינה עונה",
    "Devanagari": "मदर इंडिया",
    "Thai": "ฟ้าทะลายโจร",
    "Cyrillic": "Летят журавли",
    "Greek": "Ποτέ την Κυριακή",
    "Latin": "Les Misérables (1995)",
}


def _notdef(font, ch: str) -> bool:
    """Whether `font` draws `ch` as its missing-glyph box."""

    def ink(text: str) -> tuple:
        mask = font.getmask(text)
        return mask.size, bytes(mask)

    return ink(ch) == ink("\U0010fffd")


@pytest.mark.parametrize("script", list(NAMES))
def test_a_card_draws_every_character_of_a_name(script):
    name = NAMES[script]
    assert printable(name) == name  # nothing replaced by "?" or spelt otherwise
    path = fonts.card_font_for(name)
    font = _font(24, path)
    for ch in fonts.drawn(name):
        assert ord(ch) in fonts.coverage(path), (script, ch)
        assert not _notdef(font, ch), (script, ch)
    card = np.asarray(render_card(name, 128).convert("L"))
    assert (card < 128).sum() > 100  # ink on the card


@pytest.mark.parametrize("name", [NAMES["Arabic"], NAMES["Hebrew"], "אב גד"])
def test_right_to_left_names_read_right_to_left(name):
    """The card's first line has the ink columns of Pillow's own right-to-left line, not those of
    the same words in the other order."""
    setter, lines = CardPainter(256)._layout(name)
    assert fonts.right_to_left(name) and setter.direction == "rtl"
    first = " ".join(lines[0])
    setter, again = CardPainter(256)._layout(first)  # the first line on a card of its own, at its size
    assert len(again) == 1
    card = np.asarray(render_card(first, 256).convert("L")) < 128

    def line(text: str) -> np.ndarray:
        image = Image.new("L", (800, 200), 255)
        ImageDraw.Draw(image).text((10, 100), text, font=setter.font, fill=0, anchor="ls", direction="rtl")
        return np.asarray(image) < 128

    def columns(ink: np.ndarray) -> np.ndarray:
        used = np.flatnonzero(ink.any(axis=0))
        return ink.any(axis=0)[used[0] : used[-1] + 1]

    ours, right, wrong = columns(card), columns(line(first)), columns(line(" ".join(lines[0][::-1])))
    n = min(len(ours), len(right))
    assert abs(len(ours) - len(right)) <= 2 and (ours[:n] == right[:n]).mean() > 0.95  # words placed to whole pixels
    n = min(len(ours), len(wrong))
    assert (ours[:n] == wrong[:n]).mean() < 0.9


def test_a_long_name_without_spaces_breaks_between_characters_not_into_tiny_type():
    long = "我的父亲和我的母亲在一起很长的标题"
    setter, lines = CardPainter(128)._layout(long)
    assert len(lines) > 1 and setter.size > 9 and not any(w.endswith("-") for line in lines for w in line)
    assert "".join(w for line in lines for w in line) == long


def _write_site(content):
    rng = np.random.default_rng(4)
    names = list(NAMES.values())
    rows = ["user,item"] + [f"u{u},i{i}" for u in range(30) for i in rng.choice(len(names), 5, replace=False)]
    data = content / "datasets" / "world"
    data.mkdir(parents=True)
    (data / "plays.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = ["id,title,script"] + [f'i{i},"{name}",{script}' for i, (script, name) in enumerate(NAMES.items())]
    (data / "films.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (content / "site.yml").write_text(
        textwrap.dedent("""\
            title: Films of the world
            description: Ten films, each named in its own script.
            datasets:
              world:
                format: csv
                path: datasets/world
                interactions: plays.csv
                columns: {user: user, item: item}
                items: {file: films.csv, id: id, label: title, columns: [script]}
            portals:
              - name: films
                title: Films
                dataset: world
                points: items
                label: label
                color_by: script
                layouts: {umap: []}
                embedding: {word2vec: {epochs: 5}}
            """),
        encoding="utf-8",
    )
    return content


@pytest.fixture(scope="module")
def world_site(tmp_path_factory):
    from site_builder.build import build_site

    root = tmp_path_factory.mktemp("world")
    build_site(_write_site(root / "content"), root / "site", root / "cache")
    return root / "site"


def test_the_site_serves_faces_subset_to_its_names(world_site):
    from fontTools.ttLib import TTFont

    folder = world_site / "static" / "fonts"
    css = (folder / "scripts.css").read_text(encoding="utf-8")
    faces = sorted(p.name for p in folder.glob("*.woff2") if p.name != "roboto.woff2")
    # Roboto's own Cyrillic and Greek, then a Noto face per script (the Chinese name's characters
    # are all in the Japanese face, which comes first)
    assert faces == sorted(
        ["roboto-more.woff2"] + [f"noto-sans-{s}.woff2" for s in ("jp", "kr", "arabic", "hebrew", "devanagari", "thai")]
    )
    needed = {ord(c) for name in NAMES.values() for c in fonts.drawn(name)} - set(web_fonts.WEB_CHARACTERS)
    served: set[int] = set()
    for face in faces:
        assert f'url("{face}")' in css
        assert face == "roboto-more.woff2" or (folder / f"LICENSE-{face[:-6]}.txt").read_text().startswith("Copyright")
        served |= set(TTFont(str(folder / face)).getBestCmap())
        assert (folder / face).stat().st_size < 20_000, face  # subset to the names, not megabytes
    assert needed <= served
    for page in ("index.html", "films/index.html", "films/recommend.html"):
        assert "static/fonts/scripts.css" in (world_site / page).read_text(encoding="utf-8")
    labels = (world_site / "films" / "metadata.txt").read_text(encoding="utf-8")
    assert all(name in labels for name in NAMES.values())


def test_pages_draw_the_names_with_the_sites_faces(browser, world_site):
    """On this machine no font of its own has CJK, Thai or Devanagari: a name drawn in "Roboto" on a
    canvas (as the projector draws its labels) would be missing-glyph boxes without the site's faces."""
    server = serve(world_site)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/films/recommend.html")
        page.locator(".rec-card").first.wait_for()
        boxes = page.evaluate(
            """async (names) => {
                const out = {};
                for (const [script, name] of Object.entries(names)) {
                  await document.fonts.load('32px Roboto', name);
                  const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 64;
                  const context = canvas.getContext('2d');
                  const draw = (ch) => {
                    context.clearRect(0, 0, 64, 64); context.font = '32px Roboto'; context.fillText(ch, 8, 44);
                    return Array.from(context.getImageData(0, 0, 64, 64).data).join(',');
                  };
                  const missing = draw('\\u{10FFFD}');
                  out[script] = Array.from(name).filter((ch) => ch.trim() && draw(ch) === missing);
                }
                return out;
            }""",
            NAMES,
        )
        assert all(not missing for missing in boxes.values()), boxes
        shown = page.locator("body").inner_text()
        assert NAMES["Japanese"] in shown or NAMES["Arabic"] in shown  # the popular ones are listed
        # a right-to-left name in a sentence is isolated, so that it keeps its order and the sentence its own
        labels = [line.split("\t")[0] for line in (world_site / "films" / "metadata.txt").read_text().splitlines()[1:]]
        page.goto(
            f"http://127.0.0.1:{server.server_address[1]}/films/recommend.html#item={labels.index(NAMES['Arabic'])}"
        )
        page.locator(".rec-item h2").wait_for()
        assert page.locator(".rec-item h2").inner_text() == NAMES["Arabic"]
        assert page.locator("#rec-status").text_content().startswith("\u2068" + NAMES["Arabic"] + "\u2069: ")
        assert page.evaluate("getComputedStyle(document.querySelector('.rec-item h2')).unicodeBidi") == "plaintext"
        page.close()
    finally:
        server.shutdown()


def test_a_latin_site_asks_for_no_more_faces(demo_site):
    assert not (demo_site / "static" / "fonts" / "scripts.css").exists()
    assert "scripts.css" not in (demo_site / "index.html").read_text(encoding="utf-8")
    assert json.loads((demo_site / "movies" / "recommend.json").read_text(encoding="utf-8"))["count"] == 1682

"""The product's typefaces: Roboto (Apache-2.0, from the font-roboto package), and Noto Sans
faces for the scripts Roboto lacks (SIL Open Font License 1.1, from the justmytype-intl packs).

The cards in the sprite sheets are drawn with Roboto, or, for a label Roboto
cannot write (Japanese, Korean, Chinese, Arabic, Hebrew, Devanagari, Thai...),
with the first Noto face that can (`card_font_for`). The site serves Roboto to
the pages, so that the projector's map labels (drawn on a canvas in "roboto"
with no fallback, which is a serif font where Roboto is not installed), its
panels and the site's own pages look the same on every machine: a Latin subset
as WOFF2, about 30 KB, and, for the characters of the site's data that it
lacks, the faces that have them as more faces of the same family, each subset
to those characters and named in a `unicode-range` (`script_font_files`), so a
browser fetches one only for a page that shows such a character.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import font_roboto

from site_builder.cache import BytesCodec, Cache, Kind
from site_builder.site import paths

CARD_FONT = Path(font_roboto.RobotoMedium)  # the cards' titles
WEB_FONT = Path(font_roboto.Roboto)  # the pages' text, in every weight (browsers embolden it)
LICENCE = Path(font_roboto.font_directory) / "LICENSE"
# Basic Latin, Latin-1, Latin Extended-A and B, general punctuation, the euro and arrows.
WEB_CHARACTERS = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x2000, 0x2070),
    0x20AC,
    0x2122,
    *range(0x2190, 0x2194),
    0x2212,
]


WEB_FONT_CACHE = Kind("sprites", "web-font-v3", ("fonttools", "font-roboto"))
SCRIPT_FONT_CACHE = Kind(
    "sprites",
    "script-font-v1",
    (
        "fonttools",
        "font-roboto",
        "justmytype-intl-cjk",
        "justmytype-intl-rtl",
        "justmytype-intl-sea",
        "justmytype-intl-south-asia",
    ),
)


@dataclass(frozen=True)
class Fallback:
    """A face for the scripts Roboto lacks, in the package that ships it (with its licence beside it)."""

    family: str
    package: str
    path: str  # inside the package

    @property
    def file(self) -> Path:
        return Path(str(files(self.package).joinpath(self.path)))

    @property
    def licence(self) -> Path:
        return self.file.parent / "OFL.txt"

    @property
    def slug(self) -> str:
        return self.family.lower().replace(" ", "-")


def _noto(family: str, package: str, name: str, axes: str = "wdth,wght") -> Fallback:
    folder = family.lower().replace(" ", "")
    return Fallback(family, f"justmytype_intl_{package}", f"fonts/ofl/{folder}/{name}[{axes}].ttf")


# In the order they are tried: Japanese before Chinese, so that kana and kanji share a face
# (a Chinese title without kana that the Japanese face cannot write falls to the Chinese ones).
FALLBACKS = (
    _noto("Noto Sans JP", "cjk", "NotoSansJP", "wght"),
    _noto("Noto Sans KR", "cjk", "NotoSansKR", "wght"),
    _noto("Noto Sans SC", "cjk", "NotoSansSC", "wght"),
    _noto("Noto Sans TC", "cjk", "NotoSansTC", "wght"),
    _noto("Noto Sans Arabic", "rtl", "NotoSansArabic"),
    _noto("Noto Sans Hebrew", "rtl", "NotoSansHebrew"),
    _noto("Noto Sans Devanagari", "south_asia", "NotoSansDevanagari"),
    _noto("Noto Sans Bengali", "south_asia", "NotoSansBengali"),
    _noto("Noto Sans Tamil", "south_asia", "NotoSansTamil"),
    _noto("Noto Sans Telugu", "south_asia", "NotoSansTelugu"),
    _noto("Noto Sans Thai", "sea", "NotoSansThai"),
    _noto("Noto Sans Khmer", "sea", "NotoSansKhmer"),
    _noto("Noto Sans Lao", "sea", "NotoSansLao"),
    _noto("Noto Sans Myanmar", "sea", "NotoSansMyanmar"),
)


# The faces of scripts written without spaces between words: a card breaks their lines anywhere.
UNSPACED = frozenset(
    f.file for f in FALLBACKS if f.family.split()[-1] in ("JP", "KR", "SC", "TC", "Thai", "Khmer", "Lao", "Myanmar")
)


@functools.cache
def coverage(path: Path) -> frozenset[int]:
    """The code points a font file has a glyph for."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path), lazy=True).getBestCmap())


def drawn(text: str) -> set[str]:
    """The characters of `text` that need a glyph (not spaces, controls or format characters)."""
    return {c for c in set(text) if not c.isspace() and unicodedata.category(c)[0] not in "CZ"}


def _drawn(text: str) -> set[int]:
    """The code points of `text` that need a glyph (not spaces, controls or format characters)."""
    return {ord(c) for c in drawn(text)}


def card_font_for(text: str) -> Path:
    """The font a card writes `text` in: Roboto Medium when it has every character, else the first
    fallback that does, else whichever has the most of them."""
    needed = _drawn(text)
    best, best_count = CARD_FONT, -1
    for font in (CARD_FONT, *(fallback.file for fallback in FALLBACKS)):
        have = len(needed & coverage(font))
        if have == len(needed):
            return font
        if have > best_count:
            best, best_count = font, have
    return best


def right_to_left(text: str) -> bool:
    """Whether the text reads right to left: its first letter with a direction is Arabic or Hebrew."""
    for c in text:
        kind = unicodedata.bidirectional(c)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def script_font_files(text: str, cache: Cache) -> tuple[dict[str, bytes], list[str]]:
    """The faces the pages need for the characters of `text` (the site's data and words) that the
    Latin subset lacks: Roboto's own for Cyrillic, Greek and the rest it has, then the fallbacks, each
    subset to its characters (WOFF2, the variable faces at their regular weight) with its licence;
    and the @font-face rules naming them, as more faces of "Roboto" with their unicode-range."""
    needed = _drawn(text) - set(WEB_CHARACTERS)
    out: dict[str, bytes] = {}
    rules: list[str] = []
    faces = [("roboto-more", WEB_FONT, LICENCE, "LICENSE")]
    faces += [(f.slug, f.file, f.licence, f"LICENSE-{f.slug}.txt") for f in FALLBACKS]
    for slug, font, licence, licence_name in faces:
        if not needed:
            break  # a Latin site reads no face's character map
        mine = sorted(needed & coverage(font))
        if not mine:
            continue
        needed -= set(mine)
        source = font.read_bytes()
        key = SCRIPT_FONT_CACHE.key(source, mine)
        compute = functools.partial(_subset, source, mine, regular=True)
        subset, _ = cache.memo(SCRIPT_FONT_CACHE, key, compute, BytesCodec(".woff2"))
        name = f"{paths.STATIC}/fonts/{slug}.woff2"
        out[name] = subset
        out[f"{paths.STATIC}/fonts/{licence_name}"] = licence.read_bytes()
        rules.append(
            '@font-face { font-family: "Roboto"; src: url("' + slug + '.woff2") format("woff2"); '
            f"font-weight: 100 900; font-style: normal; font-display: swap; unicode-range: {_ranges(mine)}; }}"
        )
    return out, rules


def _ranges(points: list[int]) -> str:
    """U+4E00-4E0A, U+4E10, ...: the code points as CSS unicode-range, runs joined."""
    runs: list[list[int]] = []
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def web_font_files(cache: Cache) -> dict[str, bytes]:
    """The subset served to the pages and its licence, by site-relative path. The subset is
    kept with the pictures' cache entries (the deploy workflow restores that folder)."""
    source = WEB_FONT.read_bytes()
    key = WEB_FONT_CACHE.key(source, WEB_CHARACTERS)
    subset, _ = cache.memo(WEB_FONT_CACHE, key, lambda: _subset(source, WEB_CHARACTERS), BytesCodec(".woff2"))
    return {paths.WEB_FONT: subset, paths.WEB_FONT_LICENCE: LICENCE.read_bytes()}


def _subset(source: bytes, characters: list[int], regular: bool = False) -> bytes:
    """WOFF2 of the font with only these characters (and what its layout needs to write them);
    `regular`: a variable font pinned at its regular weight and width first, which is most of
    the saving for the large CJK faces."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = TTFont(io.BytesIO(source), recalcTimestamp=False)  # the same bytes on every build
    if regular and "fvar" in font:
        from fontTools.varLib import instancer

        axes = {axis.axisTag: (400 if axis.axisTag == "wght" else axis.defaultValue) for axis in font["fvar"].axes}
        font = instancer.instantiateVariableFont(font, axes)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()

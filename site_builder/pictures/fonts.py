"""The product's typefaces: Roboto (Apache-2.0, from the font-roboto package), and Noto Sans
faces for the scripts Roboto lacks (SIL Open Font License 1.1, from the justmytype-intl packs).

The cards in the sprite sheets are drawn with Roboto, or, for a label Roboto
cannot write (Japanese, Korean, Chinese, Arabic, Hebrew, Devanagari, Thai...),
with the first Noto face that can (`card_font_for`). The pages get the same
faces, subset to what they show (site.web_fonts).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import font_roboto

CARD_FONT = Path(font_roboto.RobotoMedium)  # the cards' titles
WEB_FONT = Path(font_roboto.Roboto)  # the pages' text, in every weight (browsers embolden it)
LICENCE = Path(font_roboto.font_directory) / "LICENSE"


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


def code_points(text: str) -> set[int]:
    """The code points of `text` that need a glyph (not spaces, controls or format characters)."""
    return {ord(c) for c in drawn(text)}


@functools.lru_cache(maxsize=1024)  # a card asks twice for its label's: to spell it, then to draw it
def card_font_for(text: str) -> Path:
    """The font a card writes `text` in: Roboto Medium when it has every character, else the first
    fallback that does, else whichever has the most of them."""
    needed = code_points(text)
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

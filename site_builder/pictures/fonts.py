"""The one typeface of the product: Roboto (Apache-2.0, from the font-roboto package).

The cards in the sprite sheets are drawn with it, and the site serves it to
the pages, so that the projector's map labels (drawn on a canvas in "roboto"
with no fallback, which is a serif font where Roboto is not installed), its
panels and the site's own pages look the same on every machine. The pages get
a subset (Latin scripts and common punctuation) as WOFF2, about 30 KB.
"""

from __future__ import annotations

import io
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


def web_font_files(cache: Cache) -> dict[str, bytes]:
    """The subset served to the pages and its licence, by site-relative path. The subset is
    kept with the pictures' cache entries (the deploy workflow restores that folder)."""
    source = WEB_FONT.read_bytes()
    key = WEB_FONT_CACHE.key(source, WEB_CHARACTERS)
    subset, _ = cache.memo(WEB_FONT_CACHE, key, lambda: _subset(source), BytesCodec(".woff2"))
    return {paths.WEB_FONT: subset, paths.WEB_FONT_LICENCE: LICENCE.read_bytes()}


def _subset(source: bytes) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = TTFont(io.BytesIO(source), recalcTimestamp=False)  # the same bytes on every build
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=WEB_CHARACTERS)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()

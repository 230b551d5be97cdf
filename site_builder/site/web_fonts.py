"""The pages' fonts: Roboto, which the site serves so that the projector's map labels (drawn on a
canvas in "roboto" with no fallback, which is a serif font where Roboto is not installed), its
panels and the site's own pages look the same on every machine, as a Latin subset in WOFF2; and,
for the characters of the site's data that it lacks, the faces that have them (pictures.fonts)
as more faces of the same family, each subset to those characters and named in a `unicode-range`
(`script_font_files`), so that a browser fetches one only for a page that shows such a character.
"""

from __future__ import annotations

import functools
import io

from site_builder.cache import BytesCodec, Cache, Kind
from site_builder.pictures.fonts import FALLBACKS, LICENCE, WEB_FONT, code_points, coverage
from site_builder.site import paths

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


def script_font_files(text: str, cache: Cache) -> tuple[dict[str, bytes], list[str]]:
    """The faces the pages need for the characters of `text` (the site's data and words) that the
    Latin subset lacks: Roboto's own for Cyrillic, Greek and the rest it has, then the fallbacks, each
    subset to its characters (WOFF2, the variable faces at their regular weight) with its licence;
    and the @font-face rules naming them, as more faces of "Roboto" with their unicode-range."""
    needed = code_points(text) - set(WEB_CHARACTERS)
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

"""Sprite sheets for the Embedding Projector: one image, one square cell per point.

The projector finds point i's image by cutting cell i (row-major) out of a
single sheet whose width is a whole number of cells, so the layout here must be
exact: a k x k grid of square cells, k = ceil(sqrt(N)). Browsers load the sheet
as one WebGL texture, which is why the sheet is capped (8192 px by default).

A point without a picture gets a generated "card": its label in dark ink on
white. The projector multiplies every picture by the point's colour (its
legend colour, see colours.point_tints), so a white card shows in exactly
that colour, with its text still dark; the recommendation page and the
landing page's preview multiply the same way. Real images (posters, from
pictures.images) take the cells of the points that have one, through ``images``.

Speed matters (87,000 cards in one build): cards are drawn straight into the
one sheet canvas, fonts are cached per size, and each distinct word is
rasterised once per font size and then stamped wherever it recurs, because
FreeType rendering, not pasting, is what costs time.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from site_builder.pictures import fonts

RGB = tuple[int, int, int]

# Unused cells and montage background: the projector never shows them.
BACKGROUND: RGB = (255, 255, 255)
# Bars around letterboxed images, dark so posters stand out.
LETTERBOX_FILL: RGB = (40, 40, 40)

# A card: dark ink on white paper in a light frame. Multiplied by a legend colour, the paper
# takes that colour, the frame a darker shade of it and the ink stays dark.
CARD_PAPER: RGB = (255, 255, 255)
CARD_FRAME: RGB = (200, 200, 200)
CARD_INK: RGB = (17, 17, 17)

# Below this cell size text is unreadable, so cards are colour only.
MIN_TEXT_CELL = 24
# Smallest font that still renders legible Latin text.
MIN_FONT = 8
MAX_FONT = 48
# Font size as a fraction of the cell: about 5 lines of ~10 characters.
FONT_PER_CELL = 0.17
# Gap between tiles in preview_montage.
PREVIEW_GAP = 8

ELLIPSIS = "\u2026"
HYPHEN = "-"
CARD_WEIGHT = 500  # Roboto Medium's


# --------------------------------------------------------------------------
# Grid
# --------------------------------------------------------------------------


def sprite_grid(num_points: int, max_cell: int = 128, max_sheet: int = 8192) -> tuple[int, int]:
    """(cells per side k, cell size in px). Raises ValueError if even a 1-px cell cannot fit.

    The cell is as large as allowed (up to max_cell) because the projector
    scales sprites down itself; a bigger cell only buys sharpness.
    """
    if num_points < 1:
        raise ValueError(f"a sprite sheet needs at least one point, got {num_points}")
    if max_cell < 1 or max_sheet < 1:
        raise ValueError(f"max_cell and max_sheet must be positive, got {max_cell}, {max_sheet}")
    k = math.isqrt(num_points - 1) + 1  # exact ceil(sqrt(N)) without float error
    cell = min(max_cell, max_sheet // k)
    if cell < 1:
        raise ValueError(
            f"{num_points} points need a {k} x {k} grid, which does not fit in {max_sheet} px even with 1-px cells"
        )
    return k, cell


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _font(size: int, path: Path = fonts.CARD_FONT) -> ImageFont.FreeTypeFont:
    """Loading parses the font file each time, so one instance per size and file. A variable
    fallback face is set to the weight of Roboto Medium, the cards' own."""
    font = ImageFont.truetype(str(path), size)
    try:
        axes = font.get_variation_axes()
    except OSError:  # not a variable font
        return font
    font.set_variation_by_axes([CARD_WEIGHT if axis.get("name") == b"Weight" else axis["default"] for axis in axes])
    return font


class _Typesetter:
    """One font size, plus a cache of rasterised words.

    Labels repeat words ("The", "(1995)", occupations), so rendering each word
    once and stamping its mask is several times faster than asking FreeType to
    render every line. Word masks are positioned by their advance widths, so
    spacing matches what the font would produce for the whole line (the
    bundled font applies no kerning across spaces).
    """

    # Tall and deep glyphs: their extents bound every line (accents above capitals aside).
    _EXTENT_SAMPLE = "Ajgy(|)[]{}"

    def __init__(self, size: int, path: Path = fonts.CARD_FONT, right_to_left: bool = False) -> None:
        self.size = size
        self.font = _font(size, path)
        # Arabic and Hebrew are shaped and written right to left (Pillow's raqm layout), their lines
        # filled from the right; scripts written without spaces break anywhere, with no hyphen
        self.direction = "rtl" if right_to_left else "ltr"
        self.hyphen = "" if path in fonts.UNSPACED else HYPHEN
        left, top, right, bottom = self.font.getbbox(self._EXTENT_SAMPLE, anchor="ls")
        self.above = -top  # px above the baseline
        self.below = bottom  # px below the baseline
        leading = max(1, round(size * 0.12))
        self.line_height = self.above + self.below + leading
        self.space = self.font.getlength(" ")
        self._advances: dict[str, float] = {}
        self._masks: dict[str, tuple[Image.Image | None, int, int]] = {}
        self._splits: dict[tuple[str, float], list[str]] = {}

    def block_height(self, lines: int) -> int:
        """The last line needs no leading below it."""
        if lines == 0:
            return 0
        return self.line_height * (lines - 1) + self.above + self.below

    def width(self, text: str) -> float:
        """Cached apart from the masks: wrapping tries several font sizes per
        label, and sizes that get rejected should not pay for rasterising."""
        advance = self._advances.get(text)
        if advance is None:
            advance = self._advances[text] = self.font.getlength(text, direction=self.direction)
        return advance

    def mask(self, text: str) -> tuple[Image.Image | None, int, int]:
        """(mask, dx, dy): the rendered word and its offset from the pen on the baseline."""
        entry = self._masks.get(text)
        if entry is None:
            entry = self._masks[text] = self._render(text)
        return entry

    def _render(self, text: str) -> tuple[Image.Image | None, int, int]:
        left, top, right, bottom = self.font.getbbox(text, anchor="ls", direction=self.direction)
        if right <= left or bottom <= top:
            return None, 0, 0
        mask = Image.new("L", (right - left, bottom - top), 0)
        draw = ImageDraw.Draw(mask)
        draw.text((-left, -top), text, font=self.font, fill=255, anchor="ls", direction=self.direction)
        return mask, left, top

    def line_width(self, words: list[str]) -> float:
        return sum(self.width(w) for w in words) + self.space * (len(words) - 1)

    def wrap(self, label: str, max_width: float, hyphenate: bool = False) -> list[list[str]] | None:
        """Greedy word wrap between words; None when a word is wider than the line, unless
        `hyphenate`, which splits such a word with a hyphen at the end of each of its lines."""
        lines: list[list[str]] = []
        current: list[str] = []
        current_width = 0.0
        for piece in self._pieces(label, max_width, hyphenate):
            if piece is None:
                return None
            w = self.width(piece)
            if current and current_width + self.space + w <= max_width:
                current.append(piece)
                current_width += self.space + w
            else:
                if current:
                    lines.append(current)
                current, current_width = [piece], w
        if current:
            lines.append(current)
        return lines

    def _pieces(self, label: str, max_width: float, hyphenate: bool):
        hyphenate = hyphenate or not self.hyphen  # where words need no spaces, lines break anywhere
        for word in label.split():
            if self.width(word) <= max_width:
                yield word
            elif hyphenate:
                yield from self._split_long(word, max_width)
            else:
                yield None

    def _split_long(self, word: str, max_width: float) -> list[str]:
        """Memoised: small cells split many words, and the same words recur."""
        key = (word, max_width)
        pieces = self._splits.get(key)
        if pieces is None:
            pieces, rest = [], word
            while rest:
                if self.width(rest) <= max_width:
                    pieces.append(rest)
                    break
                n = max(1, self._longest_prefix(rest, max_width, self.hyphen))
                while 1 < n < len(rest) and unicodedata.category(rest[n]).startswith("M"):
                    n -= 1  # never between a letter and its marks (Thai vowels, Devanagari signs)
                pieces.append(rest[:n] + self.hyphen)
                rest = rest[n:]
            self._splits[key] = pieces
        return pieces

    def ellipsize(self, words: list[str], max_width: float) -> list[str]:
        """Shorten the last visible line so the reader can tell text was cut."""
        text = " ".join(words)
        kept = text[: self._longest_prefix(text, max_width, ELLIPSIS)].rstrip()
        return [kept + ELLIPSIS]

    def _longest_prefix(self, text: str, max_width: float, suffix: str = "") -> int:
        """Estimate from cached per-character advances, then confirm with one
        real measurement: asking FreeType for every candidate prefix was the
        main cost of drawing 87,000 small cards."""
        budget = max_width - (self.width(suffix) if suffix else 0.0)
        n, total = 0, 0.0
        for ch in text:
            total += self.width(ch)
            if total > budget:
                break
            n += 1
        while n > 0 and self.font.getlength(text[:n] + suffix, direction=self.direction) > max_width:
            n -= 1
        return n

    def stamp(self, canvas: Image.Image, words: list[str], x: float, baseline: int, ink: RGB) -> None:
        """One line from x, its words left to right, or right to left from the line's far end."""
        if self.direction == "rtl":
            words = words[::-1]
        for text in words:
            mask, dx, dy = self.mask(text)
            if mask is not None:
                canvas.paste(ink, (round(x) + dx, baseline + dy), mask)
            x += self.width(text) + self.space


def font_sizes_for(cell: int) -> list[int]:
    """Descending font sizes to try for one cell: long labels and long words shrink
    before they get cut, short ones keep the largest readable size."""
    base = max(MIN_FONT, min(MAX_FONT, round(cell * FONT_PER_CELL)))
    sizes = [base]
    while sizes[-1] > MIN_FONT and len(sizes) < 8:
        sizes.append(max(MIN_FONT, min(sizes[-1] - 1, int(sizes[-1] * 0.88))))
    return sizes


# --------------------------------------------------------------------------
# One cell
# --------------------------------------------------------------------------


class CardPainter:
    """Draws label cards of one cell size onto any canvas at any offset.

    Holding the typesetters here keeps the word caches alive for a whole sheet
    (where the repetition is) without growing a module-level cache forever.
    """

    def __init__(self, cell: int) -> None:
        self.cell = cell
        self.pad = max(2, cell // 16)
        self.text_box = cell - 2 * self.pad
        self.has_text = cell >= MIN_TEXT_CELL
        self._setters: dict[tuple[Path, bool], list[_Typesetter]] = {}

    def setters(self, label: str) -> list[_Typesetter]:
        """The typesetters of the label's font and direction, largest size first."""
        key = (fonts.CARD_FONT, False) if label.isascii() else (fonts.card_font_for(label), fonts.right_to_left(label))
        if key not in self._setters:
            self._setters[key] = [_Typesetter(size, *key) for size in font_sizes_for(self.cell)]
        return self._setters[key]

    def draw(self, canvas: Image.Image, x: int, y: int, label: str) -> None:
        """A white card in a light frame at (x, y) with the wrapped label centred on it."""
        cell = self.cell
        canvas.paste(CARD_FRAME, (x, y, x + cell, y + cell))
        edge = max(1, cell // 40)
        canvas.paste(CARD_PAPER, (x + edge, y + edge, x + cell - edge, y + cell - edge))
        if not self.has_text or not label:
            return
        setter, lines = self._layout(label)
        if not lines:
            return
        top = y + (cell - setter.block_height(len(lines))) // 2
        for row, words in enumerate(lines):
            baseline = top + setter.above + row * setter.line_height
            left = x + (cell - setter.line_width(words)) / 2
            setter.stamp(canvas, words, left, baseline, CARD_INK)

    def _layout(self, label: str) -> tuple[_Typesetter, list[list[str]]]:
        """The largest size at which the whole label fits with every word whole; else the
        smallest size, long words split with a hyphen, and an ellipsis if lines run out."""
        setters = self.setters(label)
        for setter in setters:
            lines = setter.wrap(label, self.text_box)
            if lines is not None and setter.block_height(len(lines)) <= self.text_box:
                return setter, lines
        setter = setters[-1]
        lines = setter.wrap(label, self.text_box, hyphenate=True) or []
        max_lines = 0
        while setter.block_height(max_lines + 1) <= self.text_box:
            max_lines += 1
        if max_lines == 0 or not lines:
            return setter, []
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = setter.ellipsize(lines[-1], self.text_box)
        return setter, lines


def render_card(label: str, cell: int) -> Image.Image:
    """A single card as its own image, for tests; sheets use CardPainter directly to
    avoid one Image per point."""
    canvas = Image.new("RGB", (cell, cell), BACKGROUND)
    CardPainter(cell).draw(canvas, 0, 0, _label_text(label))
    return canvas


def tinted(image: Image.Image, tint: RGB) -> Image.Image:
    """The image as the projector shows it for a point of this colour: multiplied by it."""
    return ImageChops.multiply(image.convert("RGB"), Image.new("RGB", image.size, _rgb(tint)))


def letterbox_into(canvas: Image.Image, x: int, y: int, cell: int, image: Image.Image) -> None:
    """Fit the image into the cell without cropping or distortion (posters
    are not square) and fill the rest with LETTERBOX_FILL."""
    canvas.paste(LETTERBOX_FILL, (x, y, x + cell, y + cell))
    rgb = _flatten(image)
    scale = min(cell / rgb.width, cell / rgb.height)
    size = (max(1, min(cell, round(rgb.width * scale))), max(1, min(cell, round(rgb.height * scale))))
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas.paste(rgb, (x + (cell - size[0]) // 2, y + (cell - size[1]) // 2))


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent areas show the letterbox fill, not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        base = Image.new("RGB", rgba.size, LETTERBOX_FILL)
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return image if image.mode == "RGB" else image.convert("RGB")


def _label_text(label: object) -> str:
    """pandas hands over NaN/None for missing labels; print nothing, not "nan"."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    return printable(label if isinstance(label, str) else str(label))


# Letters that Unicode does not decompose, with their usual spelling, for a font without them.
_PLAIN_SPELLING = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
}
_NOT_DRAWABLE = "?"


def printable(label: str) -> str:
    """The label as the cards can draw it: in the one font that has all its characters (Roboto or a
    fallback, fonts.card_font_for); where none has them all, the characters the best one lacks lose
    their accents or take their usual spelling, and the rest become "?"."""
    label = unicodedata.normalize("NFC", label).replace("\u00a0", " ")
    if label.isascii():
        return label
    have = fonts.coverage(fonts.card_font_for(label))
    if all(ord(ch) in have for ch in fonts.drawn(label)):
        return label
    return "".join(ch if ch.isspace() or ord(ch) in have else _fallback(ch, have) for ch in label)


def _fallback(ch: str, have: frozenset[int]) -> str:
    if ch in _PLAIN_SPELLING:
        return _PLAIN_SPELLING[ch]
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return plain if plain and all(ord(c) in have for c in plain) else _NOT_DRAWABLE


def _rgb(colour) -> RGB:
    """Pillow rejects numpy integers in fill tuples."""
    r, g, b = colour
    return int(r), int(g), int(b)


# --------------------------------------------------------------------------
# Whole sheet
# --------------------------------------------------------------------------


def draw_sprite_sheet(
    labels: list[str],
    max_cell: int = 128,
    max_sheet: int = 8192,
    images: dict[int, Image.Image] | None = None,
) -> tuple[Image.Image, int]:
    """RGB sheet of k*cell x k*cell px, and the cell size. Point i occupies the cell at row i // k,
    column i % k: its card, or, where `images` maps i to an image, that image letterboxed (aspect
    kept, centred, dark grey bars) into the cell. Unused cells at the end stay white.

    The sheet is exactly k*cell wide because the projector derives the grid
    from the sheet width divided by the cell size.
    """
    images = images or {}
    num_points = len(labels)
    bad = [i for i in images if not 0 <= i < num_points]
    if bad:
        raise ValueError(f"images given for indices outside 0..{num_points - 1}: {sorted(bad)[:5]}")
    k, cell = sprite_grid(num_points, max_cell, max_sheet)
    sheet = Image.new("RGB", (k * cell, k * cell), BACKGROUND)
    painter = CardPainter(cell)
    for i, label in enumerate(labels):
        x, y = (i % k) * cell, (i // k) * cell
        image = images.get(i)
        if image is not None:
            letterbox_into(sheet, x, y, cell, image)
        else:
            painter.draw(sheet, x, y, _label_text(label))
    return sheet, cell


def preview_montage(
    sheet: Image.Image,
    cell: int,
    indices: list[int],
    tints: list[RGB] | None = None,
    columns: int = 4,
    rows: int = 3,
    tile: int = 160,
) -> Image.Image:
    """A columns x rows montage (tile px per cell, small gap between tiles) of the given points' cells cut from the
    sheet
    (point i at (i % k * cell, i // k * cell)), each multiplied by its tint as the projector shows it, for the
    landing page's preview image. Fewer indices than slots leaves the rest as background.

    Size is (columns*tile + (columns-1)*PREVIEW_GAP) x (rows*tile + (rows-1)*PREVIEW_GAP):
    no outer margin, so the page's CSS decides the frame. Indices beyond the
    slots are ignored.
    """
    if columns < 1 or rows < 1 or tile < 1:
        raise ValueError(f"columns, rows and tile must be positive, got {columns}, {rows}, {tile}")
    k = sheet.width // cell
    if k < 1:
        raise ValueError(f"a sheet {sheet.width} px wide holds no {cell}-px cells")
    step = tile + PREVIEW_GAP
    montage = Image.new("RGB", (columns * step - PREVIEW_GAP, rows * step - PREVIEW_GAP), BACKGROUND)
    for slot, index in enumerate(indices[: columns * rows]):
        if not 0 <= index < k * k:
            raise ValueError(f"point {index} is outside the {k} x {k} sheet")
        x, y = (index % k) * cell, (index // k) * cell
        piece = sheet.crop((x, y, x + cell, y + cell))
        if cell != tile:
            piece = piece.resize((tile, tile), Image.Resampling.LANCZOS)
        if tints is not None:
            piece = tinted(piece, tints[slot])
        montage.paste(piece.convert("RGB"), ((slot % columns) * step, (slot // columns) * step))
    return montage

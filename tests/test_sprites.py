"""Sprite sheets: grid maths, card drawing and typesetting, letterboxing, the tinted preview montage."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from site_builder.pictures.sprites import (
    BACKGROUND,
    CARD_FRAME,
    CARD_INK,
    CARD_PAPER,
    LETTERBOX_FILL,
    PREVIEW_GAP,
    CardPainter,
    draw_sprite_sheet,
    preview_montage,
    printable,
    render_card,
    sprite_grid,
    tinted,
)

RED = (214, 39, 40)
BLUE = (31, 119, 180)


def flat(image: Image.Image) -> list:
    """Pixel list; getdata() is deprecated from Pillow 12 on."""
    getter = getattr(image, "get_flattened_data", None) or image.getdata
    return list(getter())


def cell_origin(index: int, k: int, cell: int) -> tuple[int, int]:
    return (index % k) * cell, (index // k) * cell


def cell_pixels(sheet: Image.Image, index: int, k: int, cell: int) -> list[tuple[int, int, int]]:
    x, y = cell_origin(index, k, cell)
    return flat(sheet.crop((x, y, x + cell, y + cell)))


def corners(sheet: Image.Image, index: int, k: int, cell: int, inset: int = 2) -> list:
    """Pixels just inside each corner: inside the card's padding, so never text."""
    x, y = cell_origin(index, k, cell)
    far = cell - 1 - inset
    return [sheet.getpixel((x + dx, y + dy)) for dx in (inset, far) for dy in (inset, far)]


# --- grid -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "expected"),
    [(1, (1, 128)), (2, (2, 128)), (4, (2, 128)), (5, (3, 128)), (1682, (42, 128))],
)
def test_grid_small_counts_use_max_cell(points, expected):
    assert sprite_grid(points, max_cell=128) == expected


@pytest.mark.parametrize("points", [20_000, 87_000])
def test_grid_large_counts_fit_in_sheet(points):
    k, cell = sprite_grid(points)
    assert k == math.ceil(math.sqrt(points))
    assert k * k >= points > (k - 1) * (k - 1)
    assert 1 <= cell <= 128
    assert k * cell <= 8192
    assert (k) * (cell + 1) > 8192  # the largest cell that fits, not just any


def test_grid_exact_square_and_one_pixel_limit():
    assert sprite_grid(8192 * 8192) == (8192, 1)
    assert sprite_grid(100, max_cell=128, max_sheet=50) == (10, 5)


def test_grid_too_many_points_raises():
    with pytest.raises(ValueError):
        sprite_grid(8192 * 8192 + 1)
    with pytest.raises(ValueError):
        sprite_grid(101, max_sheet=10)
    with pytest.raises(ValueError):
        sprite_grid(0)


# --- sheet and cards --------------------------------------------------------


def test_sheet_size_is_k_times_cell():
    sheet, cell = draw_sprite_sheet(["a", "b", "c", "d", "e"], max_cell=32)
    k, expected_cell = sprite_grid(5, max_cell=32)
    assert cell == expected_cell == 32
    assert sheet.mode == "RGB"
    assert sheet.size == (k * cell, k * cell) == (96, 96)


def test_cards_are_white_paper_in_a_light_frame_and_unused_cells_stay_plain():
    labels = ["The Usual Suspects (1995)", "User 196 (49, M, writer)", "Toy Story (1995)", "x", ""]
    sheet, cell = draw_sprite_sheet(labels, max_cell=64)
    k = 3
    for i in range(len(labels)):
        x, y = cell_origin(i, k, cell)
        assert sheet.getpixel((x, y)) == CARD_FRAME and sheet.getpixel((x + cell - 1, y + cell - 1)) == CARD_FRAME
        assert corners(sheet, i, k, cell) == [CARD_PAPER] * 4, f"point {i}"
    for unused in range(len(labels), k * k):
        assert set(cell_pixels(sheet, unused, k, cell)) == {BACKGROUND}


def test_labelled_card_has_dark_ink_and_blank_card_has_none():
    sheet, cell = draw_sprite_sheet(["The Usual Suspects (1995)", ""], max_cell=64)
    ink = [p for p in cell_pixels(sheet, 0, 2, cell) if p not in (CARD_PAPER, CARD_FRAME)]
    assert ink and min(sum(p) for p in ink) <= sum(CARD_INK) + 30  # glyph cores reach the ink
    assert set(cell_pixels(sheet, 1, 2, cell)) == {CARD_PAPER, CARD_FRAME}


def test_tiny_cells_are_plain_cards():
    sheet, cell = draw_sprite_sheet(["The Usual Suspects (1995)"], max_cell=16)
    assert cell == 16
    assert set(flat(sheet)) == {CARD_PAPER, CARD_FRAME}


@pytest.mark.parametrize("cell", [24, 40, 64, 128])
def test_text_stays_inside_its_cell(cell):
    """Cards are drawn onto one shared canvas, so overflow would smear neighbours."""
    long = "Supercalifragilisticexpialidocious " * 6
    labels = ["", "", "", "", long, "", "", "", ""]
    sheet, got = draw_sprite_sheet(labels, max_cell=cell)
    assert got == cell
    for neighbour in (0, 1, 2, 3, 5, 6, 7, 8):
        assert set(cell_pixels(sheet, neighbour, 3, cell)) <= {CARD_PAPER, CARD_FRAME}
    assert any(p not in (CARD_PAPER, CARD_FRAME) for p in cell_pixels(sheet, 4, 3, cell))


@pytest.mark.parametrize(
    "label",
    [
        "Independence Day (ID4) (1996)",
        "User 62 (27, F, administrator)",
        "Everyone Says I Love You (1996)",
        "The Englishman Who Went Up a Hill, But Came Down a Mountain (1995)",
        "Entertainment Weekly (1990)",
    ],
)
def test_words_are_never_broken_at_the_demo_cell_size(label):
    setter, lines = CardPainter(128)._layout(label)
    assert [word for line in lines for word in line] == label.split()  # every word, whole, in order


def test_a_word_too_long_for_any_size_is_split_with_a_hyphen():
    setter, lines = CardPainter(40)._layout("Supercalifragilisticexpialidocious")
    pieces = [word for line in lines for word in line]
    assert len(pieces) > 1 and all(piece.endswith("-") for piece in pieces[:-1])


def test_accented_labels_keep_the_letters_the_font_has():
    assert printable("Misérables, Les (1995)") == "Misérables, Les (1995)"
    assert printable("Straße") == "Straße"
    assert printable("東") == "東"  # a fallback face has it (tests/test_scripts.py)
    assert printable("Premiere \U0001f3ac") == "Premiere ?"  # no face has emoji
    assert flat(render_card("Café (1999)", 96)) != flat(render_card("Cafe (1999)", 96))


def test_tinting_multiplies_as_the_projector_does():
    card = render_card("", 32)
    shown = tinted(card, RED)
    assert shown.getpixel((16, 16)) == RED  # the white paper takes the colour
    assert shown.getpixel((0, 0)) == tuple(c * f // 255 for c, f in zip(RED, CARD_FRAME))


# --- images -----------------------------------------------------------------


def test_wide_image_is_letterboxed_with_bars_above_and_below():
    red = Image.new("RGB", (40, 10), (255, 0, 0))
    sheet, cell = draw_sprite_sheet(["a", "b"], max_cell=32, images={1: red})
    x, y = cell_origin(1, 2, cell)
    assert sheet.getpixel((x + cell // 2, y + cell // 2)) == (255, 0, 0)
    assert sheet.getpixel((x + cell // 2, y + 2)) == LETTERBOX_FILL  # top bar
    assert sheet.getpixel((x + cell // 2, y + cell - 3)) == LETTERBOX_FILL  # bottom bar
    assert sheet.getpixel((x + 1, y + cell // 2)) == (255, 0, 0)  # spans the full width
    assert corners(sheet, 0, 2, cell) == [CARD_PAPER] * 4  # the other point is still a card


def test_tall_transparent_image_is_letterboxed_left_and_right():
    poster = Image.new("RGBA", (10, 40), (0, 0, 255, 255))
    sheet, cell = draw_sprite_sheet(["a"], max_cell=32, images={0: poster})
    assert sheet.getpixel((cell // 2, cell // 2)) == (0, 0, 255)
    assert sheet.getpixel((2, cell // 2)) == LETTERBOX_FILL
    assert sheet.getpixel((cell - 3, cell // 2)) == LETTERBOX_FILL


def test_images_for_unknown_points_are_rejected():
    with pytest.raises(ValueError):
        draw_sprite_sheet(["a"], images={3: Image.new("RGB", (4, 4))})


# --- preview montage ----------------------------------------------------------


def test_preview_montage_size_and_tinted_tiles():
    sheet, cell = draw_sprite_sheet([""] * 9, max_cell=20)
    montage = preview_montage(sheet, cell, [4, 0, 8], [RED, BLUE, (255, 255, 255)], columns=2, rows=2, tile=30)
    assert montage.size == (2 * 30 + PREVIEW_GAP, 2 * 30 + PREVIEW_GAP)
    step = 30 + PREVIEW_GAP
    assert montage.getpixel((15, 15)) == RED
    assert montage.getpixel((step + 15, 15)) == BLUE
    assert montage.getpixel((15, step + 15)) == CARD_PAPER
    assert montage.getpixel((step + 15, step + 15)) == BACKGROUND  # no fourth index
    assert montage.getpixel((30 + PREVIEW_GAP // 2, 15)) == BACKGROUND  # the gap


def test_preview_montage_default_size_and_bad_index():
    sheet, cell = draw_sprite_sheet(["a", "b"], max_cell=32)
    montage = preview_montage(sheet, cell, [1])
    assert montage.size == (4 * 160 + 3 * PREVIEW_GAP, 3 * 160 + 2 * PREVIEW_GAP)
    assert montage.getpixel((20, 20)) == CARD_PAPER
    with pytest.raises(ValueError):
        preview_montage(sheet, cell, [4])


# --- speed smoke test (not timed) ---------------------------------------------


def test_five_thousand_cards_at_grid_cell_size():
    n = 5000
    labels = [f"Movie number {i} and a subtitle ({1900 + i % 120})" for i in range(n)]
    sheet, cell = draw_sprite_sheet(labels)
    k, expected = sprite_grid(n)
    assert cell == expected
    assert sheet.size == (k * cell, k * cell)
    assert corners(sheet, n - 1, k, cell) == [CARD_PAPER] * 4

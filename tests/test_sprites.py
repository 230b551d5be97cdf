"""Sprite sheets: grid maths, card drawing, letterboxing, colours, preview montage."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from PIL import Image

from site_builder.sprites import (
    BACKGROUND,
    LETTERBOX_FILL,
    MISSING_GREY,
    PALETTE,
    PREVIEW_GAP,
    colours_for,
    draw_sprite_sheet,
    preview_montage,
    printable,
    render_card,
    sprite_grid,
    text_colour,
)

DARK = (20, 20, 60)
LIGHT = (250, 240, 200)
MID = (200, 60, 60)


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
    sheet, cell = draw_sprite_sheet(["a", "b", "c", "d", "e"], [MID] * 5, max_cell=32)
    k, expected_cell = sprite_grid(5, max_cell=32)
    assert cell == expected_cell == 32
    assert sheet.mode == "RGB"
    assert sheet.size == (k * cell, k * cell) == (96, 96)


def test_cells_have_their_background_colour_and_unused_cells_stay_plain():
    colours = [(255, 0, 0), (0, 128, 0), (0, 0, 255), (240, 220, 10), (90, 90, 90)]
    labels = ["Usual Suspects, The (1995)", "User 196 (49, M, writer)", "Toy Story (1995)", "x", ""]
    sheet, cell = draw_sprite_sheet(labels, colours, max_cell=64)
    k = 3
    for i, colour in enumerate(colours):
        assert corners(sheet, i, k, cell) == [colour] * 4, f"point {i}"
    for unused in range(len(colours), k * k):
        assert set(cell_pixels(sheet, unused, k, cell)) == {BACKGROUND}


def test_labelled_card_has_text_pixels_and_blank_card_has_none():
    sheet, cell = draw_sprite_sheet(["Usual Suspects, The (1995)", ""], [MID, MID], max_cell=64)
    k = 2
    assert any(p != MID for p in cell_pixels(sheet, 0, k, cell))
    assert set(cell_pixels(sheet, 1, k, cell)) == {MID}


def test_tiny_cells_are_colour_only():
    sheet, cell = draw_sprite_sheet(["Usual Suspects, The (1995)"], [MID], max_cell=16)
    assert cell == 16
    assert set(flat(sheet)) == {MID}


@pytest.mark.parametrize("cell", [24, 40, 64, 128])
def test_text_stays_inside_its_cell(cell):
    """Cards are drawn onto one shared canvas, so overflow would smear neighbours."""
    long = "Supercalifragilisticexpialidocious " * 6
    labels = ["", "", "", "", long, "", "", "", ""]
    sheet, got = draw_sprite_sheet(labels, [MID] * 9, max_cell=cell)
    assert got == cell
    for neighbour in (0, 1, 2, 3, 5, 6, 7, 8):
        assert set(cell_pixels(sheet, neighbour, 3, cell)) == {MID}
    assert any(p != MID for p in cell_pixels(sheet, 4, 3, cell))


def test_text_colour_contrasts_with_background():
    assert text_colour(DARK) == (255, 255, 255)
    assert text_colour(LIGHT) == (0, 0, 0)
    assert text_colour((0, 0, 0)) == (255, 255, 255)
    assert text_colour((255, 255, 0)) == (0, 0, 0)


def test_card_text_is_white_on_dark_and_black_on_light():
    dark = set(flat(render_card("Toy Story (1995)", DARK, 96))) - {DARK}
    light = set(flat(render_card("Toy Story (1995)", LIGHT, 96))) - {LIGHT}
    assert dark and light
    # Antialiased edges blend, but glyph cores reach the text colour.
    assert max(sum(p) for p in dark) >= 3 * 240
    assert min(sum(p) for p in light) <= 3 * 15
    assert min(sum(p) for p in dark) >= sum(DARK)  # nothing darker than the card
    assert max(sum(p) for p in light) <= sum(LIGHT)


def test_accented_labels_are_drawn_without_missing_glyph_boxes():
    assert printable("Misérables, Les (1995)") == "Miserables, Les (1995)"
    assert printable("Straße") == "Strasse"
    assert printable("東") == "?"
    accented = flat(render_card("Café (1999)", MID, 96))
    plain = flat(render_card("Cafe (1999)", MID, 96))
    assert accented == plain


# --- images -----------------------------------------------------------------


def test_wide_image_is_letterboxed_with_bars_above_and_below():
    red = Image.new("RGB", (40, 10), (255, 0, 0))
    sheet, cell = draw_sprite_sheet(["a", "b"], [MID, MID], max_cell=32, images={1: red})
    x, y = cell_origin(1, 2, cell)
    assert sheet.getpixel((x + cell // 2, y + cell // 2)) == (255, 0, 0)
    assert sheet.getpixel((x + cell // 2, y + 2)) == LETTERBOX_FILL  # top bar
    assert sheet.getpixel((x + cell // 2, y + cell - 3)) == LETTERBOX_FILL  # bottom bar
    assert sheet.getpixel((x + 1, y + cell // 2)) == (255, 0, 0)  # spans the full width
    assert corners(sheet, 0, 2, cell) == [MID] * 4  # the other point is still a card


def test_tall_transparent_image_is_letterboxed_left_and_right():
    poster = Image.new("RGBA", (10, 40), (0, 0, 255, 255))
    sheet, cell = draw_sprite_sheet(["a"], [MID], max_cell=32, images={0: poster})
    assert sheet.getpixel((cell // 2, cell // 2)) == (0, 0, 255)
    assert sheet.getpixel((2, cell // 2)) == LETTERBOX_FILL
    assert sheet.getpixel((cell - 3, cell // 2)) == LETTERBOX_FILL


def test_images_for_unknown_points_are_rejected():
    with pytest.raises(ValueError):
        draw_sprite_sheet(["a"], [MID], images={3: Image.new("RGB", (4, 4))})


def test_labels_and_colours_must_match():
    with pytest.raises(ValueError):
        draw_sprite_sheet(["a", "b"], [MID])


# --- colours ----------------------------------------------------------------


def test_palette_is_large_distinct_and_grey_free():
    assert len(set(PALETTE)) == len(PALETTE) >= 12
    assert MISSING_GREY not in PALETTE


def test_categorical_most_frequent_gets_first_colour():
    values = pd.Series(["writer", "student", "writer", "doctor", "writer", "student"])
    colours = colours_for(values)
    assert colours[0] == colours[2] == colours[4] == PALETTE[0]
    assert colours[1] == colours[5] == PALETTE[1]
    assert colours[3] == PALETTE[2]


def test_categorical_ties_and_order_are_deterministic():
    forward = pd.Series(["y", "x", "z", "x", "y", "z"])
    backward = pd.Series(list(reversed(forward.tolist())))
    mapping = dict(zip(forward, colours_for(forward)))
    assert mapping == {"x": PALETTE[0], "y": PALETTE[1], "z": PALETTE[2]}
    assert dict(zip(backward, colours_for(backward))) == mapping


def test_categorical_empty_missing_and_overflow_are_grey():
    values = pd.Series(["M", "", None, "F", "  ", "M"], dtype=object)
    colours = colours_for(values)
    assert colours[1] == colours[2] == colours[4] == MISSING_GREY
    assert colours[0] == colours[5] == PALETTE[0]
    many = pd.Series([f"c{i:02d}" for i in range(len(PALETTE) + 3)])
    overflow = colours_for(many)
    assert overflow[: len(PALETTE)] == list(PALETTE)
    assert overflow[len(PALETTE) :] == [MISSING_GREY] * 3


def test_booleans_are_categories():
    colours = colours_for(pd.Series([True, False, True]))
    assert colours == [PALETTE[0], PALETTE[1], PALETTE[0]]


def test_numeric_gradient_min_max_differ_and_nan_is_grey():
    values = pd.Series([1.0, 5.0, float("nan"), 3.0, 5.0])
    colours = colours_for(values)
    assert colours[0] != colours[1]
    assert colours[2] == MISSING_GREY
    assert colours[1] == colours[4]
    assert len({colours[0], colours[3], colours[1]}) == 3
    assert all(isinstance(c, int) for colour in colours for c in colour)


def test_numeric_nullable_ints_and_constant_column():
    nullable = colours_for(pd.Series([1, None, 10], dtype="Int64"))
    assert nullable[1] == MISSING_GREY and nullable[0] != nullable[2]
    constant = colours_for(pd.Series([7, 7, 7]))
    assert len(set(constant)) == 1 and constant[0] != MISSING_GREY


def test_colours_for_empty_series():
    assert colours_for(pd.Series([], dtype=float)) == []


# --- preview montage ----------------------------------------------------------


def test_preview_montage_size_and_tiles():
    colours = [PALETTE[i] for i in range(9)]
    sheet, cell = draw_sprite_sheet([""] * 9, colours, max_cell=20)
    montage = preview_montage(sheet, cell, [4, 0, 8], columns=2, rows=2, tile=30)
    assert montage.size == (2 * 30 + PREVIEW_GAP, 2 * 30 + PREVIEW_GAP)
    step = 30 + PREVIEW_GAP
    assert montage.getpixel((15, 15)) == colours[4]
    assert montage.getpixel((step + 15, 15)) == colours[0]
    assert montage.getpixel((15, step + 15)) == colours[8]
    assert montage.getpixel((step + 15, step + 15)) == BACKGROUND  # no fourth index
    assert montage.getpixel((30 + PREVIEW_GAP // 2, 15)) == BACKGROUND  # the gap


def test_preview_montage_default_size_and_bad_index():
    sheet, cell = draw_sprite_sheet(["a", "b"], [MID, DARK], max_cell=32)
    montage = preview_montage(sheet, cell, [1])
    assert montage.size == (4 * 160 + 3 * PREVIEW_GAP, 3 * 160 + 2 * PREVIEW_GAP)
    assert montage.getpixel((3, 3)) == DARK
    with pytest.raises(ValueError):
        preview_montage(sheet, cell, [4])


# --- speed smoke test (not timed) ---------------------------------------------


def test_five_thousand_cards_at_grid_cell_size():
    n = 5000
    labels = [f"Movie number {i} and a subtitle ({1900 + i % 120})" for i in range(n)]
    colours = colours_for(pd.Series([i % 23 for i in range(n)]))
    sheet, cell = draw_sprite_sheet(labels, colours)
    k, expected = sprite_grid(n)
    assert cell == expected
    assert sheet.size == (k * cell, k * cell)
    assert corners(sheet, n - 1, k, cell) == [colours[n - 1]] * 4

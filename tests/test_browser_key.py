"""The map's key as a visitor meets it, in Chromium, on the desktop and on a phone: on the map without
opening a panel, the categories and counts of the colouring, a click (or tap) that shows one
category alone with its count, a second that brings every point back, and a key that follows the
colouring the visitor picks."""

from __future__ import annotations

from collections import Counter

import pytest
from test_browser_map import DESKTOP, PHONE, _open_map

# How the map draws each point now: its scale factor (0: the smallest dot) and its red channel.
DRAWN = """() => {
  const el = document.querySelector('vz-projector'), adapter = el.projectorScatterPlotAdapter;
  const factors = adapter.generatePointScaleFactorArray(el.dataSet, [], [], null);
  const colours = adapter.generatePointColorArray(el.dataSet, adapter.legendPointColorer, null, [], [], null, false, true);
  return {factors: Array.from(factors), faded: Array.from(factors).map((_, i) => Math.abs(colours[3 * i] - 0.9) < 1e-6 && Math.abs(colours[3 * i + 2] - 0.9) < 1e-6)};
}"""


def _column(demo_site, name: str) -> list[str]:
    rows = (demo_site / "movies/metadata.txt").read_text(encoding="utf-8").splitlines()
    at = rows[0].split("\t").index(name)
    return [row.split("\t")[at] for row in rows[1:]]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_key_shows_the_colours_and_a_category_can_be_shown_alone(browser, served_site, demo_site, size):
    page = _open_map(browser, served_site, size)
    key = page.locator("#map-key")
    assert key.is_visible() and page.locator("vz-projector").get_attribute("data-open") is None
    box, viewport = key.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
    assert key.locator(".map-key-column").text_content() == "first genre"

    genres = Counter(_column(demo_site, "first_genre"))
    entries = key.locator(".map-key-entry")
    listed = {
        entries.nth(i).get_attribute("data-category"): entries.nth(i).locator(".map-key-count").text_content()
        for i in range(entries.count())
    }
    assert listed == {genre: f"{count:,}" for genre, count in genres.items()}

    horror = key.locator(".map-key-entry[data-category='Horror']")
    horror.scroll_into_view_if_needed()
    horror.tap() if size is PHONE else horror.click()
    status = key.locator(".map-key-status")
    assert status.text_content() == f"Showing {genres['Horror']} of {sum(genres.values()):,} movies: Horror"
    assert horror.get_attribute("aria-pressed") == "true"
    drawn = page.evaluate(DRAWN)
    is_horror = [genre == "Horror" for genre in _column(demo_site, "first_genre")]
    assert [factor > 0 for factor in drawn["factors"]] == is_horror
    assert drawn["faded"] == [not h for h in is_horror]

    horror.tap() if size is PHONE else horror.click()
    assert status.is_hidden() and horror.get_attribute("aria-pressed") == "false"
    drawn = page.evaluate(DRAWN)
    assert all(factor > 0 for factor in drawn["factors"]) and not any(drawn["faded"])
    assert page.errors == []
    page.close()


def test_the_key_follows_the_colouring_the_visitor_picks(browser, served_site, demo_site):
    page = _open_map(browser, served_site, DESKTOP)
    page.locator(".map-key-entry[data-category='Drama']").click()
    page.evaluate("document.querySelector('vz-projector').dataPanel.selectedColorOptionName = 'decade'")
    key = page.locator("#map-key")
    page.wait_for_function("document.querySelector('.map-key-column').textContent === 'decade'")
    decades = Counter(_column(demo_site, "decade"))
    entries = key.locator(".map-key-entry")
    assert sorted(entries.nth(i).get_attribute("data-category") for i in range(entries.count())) == sorted(
        d for d in decades if d
    )
    assert key.locator(".map-key-status").is_hidden()  # a filter of the last colouring is gone
    # a number column: its gradient, nothing to filter
    page.evaluate("document.querySelector('vz-projector').dataPanel.selectedColorOptionName = 'mean_rating'")
    page.wait_for_function("document.querySelector('.map-key-column').textContent === 'mean rating'")
    assert key.locator(".map-key-gradient").count() == 1 and entries.count() == 0
    page.evaluate("document.querySelector('vz-projector').dataPanel.selectedColorOptionName = 'No color map'")
    page.wait_for_function("document.getElementById('map-key').hidden")
    page.close()


def test_the_landing_and_recommendation_pages_say_what_the_colours_mean(browser, served_site, demo_site):
    """Beside the landing page's previews and on the recommendation page: the colouring's categories,
    their colours (the map's) and counts; a category opens the map showing it alone."""
    from bs4 import BeautifulSoup

    genres = Counter(_column(demo_site, "first_genre"))
    for page_path in ("index.html", "movies/recommend.html"):
        soup = BeautifulSoup((demo_site / page_path).read_text(encoding="utf-8"), "html.parser")
        key = soup.select(".colour-key")[0]  # the landing page's first card is the movies'
        assert "first genre" in key.select_one(".colour-key-title").get_text()
        entries = {
            a.get_text(" ", strip=True).rsplit(" ", 1)[0]: a.select_one(".colour-key-count").get_text()
            for a in key.select(".colour-key-list a")
        }
        assert entries == {genre: f"{count:,}" for genre, count in genres.items()}, page_path
    users = BeautifulSoup((demo_site / "index.html").read_text(encoding="utf-8"), "html.parser").select(".colour-key")[
        1
    ]
    assert "age band" in users.get_text()

    page = browser.new_page(**PHONE)
    page.goto(f"{served_site}/index.html")
    page.locator(".colour-key-list a", has_text="Horror").first.tap()
    page.wait_for_function("window.portalKey && window.portalKey.filter === 'Horror'", timeout=60_000)
    assert page.locator(".map-key-status").text_content() == f"Showing {genres['Horror']} of 1,682 movies: Horror"
    assert page.evaluate("location.hash") == "#only=Horror"
    page.close()

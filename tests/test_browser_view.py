"""A map link keeps the view, in Chromium: the chosen point, the layout, the colouring, the category
shown alone, the search and the camera are in the address, a copied link opens the same view, back
and forward step through the points chosen, and old links (#item=N) still work."""

from __future__ import annotations

import pytest
from test_browser_map import DESKTOP, _open_map

# The view on screen, read from the projector and the page, not from the address.
VIEW = """() => {
  const el = document.querySelector('vz-projector'), plot = el.projectorScatterPlotAdapter.scatterPlot;
  const chosen = el.selectedPointIndices;
  return {
    item: chosen.length === 1 ? el.dataSet.points[chosen[0]].index : null,
    chosen: chosen.length,
    layout: Array.from(document.querySelectorAll('[data-layout]')).findIndex(b => b.getAttribute('aria-pressed') === 'true'),
    is3d: plot.sceneIs3D(),
    colour: el.dataPanel.selectedColorOptionName,
    only: window.portalKey.filter,
    search: el.inspectorPanel.searchBox.getValue(),
    position: plot.getCameraPosition(), target: plot.getCameraTarget(), zoom: plot.camera.zoom,
  };
}"""


def _choose(page, row: int) -> None:
    page.evaluate(f"document.querySelector('vz-projector').notifySelectionChanged([{row}])")
    page.wait_for_timeout(50)


def test_a_copied_link_opens_the_same_view(browser, served_site):
    page = _open_map(browser, served_site, DESKTOP, "#item=49")
    page.locator("[data-layout='1']").click()
    search = page.locator("vz-projector-inspector-panel input").first
    search.fill("Star")
    search.press("Enter")
    _choose(page, 49)
    page.evaluate("document.querySelector('vz-projector').dataPanel.selectedColorOptionName = 'decade'")
    page.locator(".map-key-entry[data-category='1970s']").click()
    page.mouse.move(700, 500)
    page.mouse.wheel(0, -400)  # zoom in, a camera of the visitor's own
    page.wait_for_timeout(600)
    hash_ = page.evaluate("location.hash")
    for part in ("item=49", "layout=1", "colour=decade", "only=1970s", "search=Star", "camera="):
        assert part in hash_, hash_
    before = page.evaluate(VIEW)
    assert before["item"] == 49 and before["layout"] == 1 and not before["is3d"] and before["zoom"] > 1.01

    again = _open_map(browser, served_site, DESKTOP, hash_)
    again.wait_for_timeout(300)
    after = again.evaluate(VIEW)
    for key in ("item", "layout", "is3d", "colour", "only", "search"):
        assert after[key] == before[key], key
    assert after["zoom"] == pytest.approx(before["zoom"], abs=0.01)
    assert after["position"] == pytest.approx(before["position"], abs=2e-3)
    assert after["target"] == pytest.approx(before["target"], abs=2e-3)
    assert again.evaluate("location.hash") == hash_
    assert again.locator(".map-key-status").text_content().endswith(": 1970s")
    assert page.errors == [] and again.errors == []
    page.close()
    again.close()


def test_back_and_forward_step_through_the_points_chosen_and_old_links_work(browser, served_site):
    page = _open_map(browser, served_site, DESKTOP, "#item=49")
    assert page.evaluate("location.hash") == "#item=49"  # an old link: the view is the point alone
    assert page.evaluate(VIEW)["item"] == 49
    for row in (0, 180):
        _choose(page, row)
    page.evaluate("document.querySelector('vz-projector').dataPanel.selectedColorOptionName = 'decade'")
    page.wait_for_timeout(50)
    assert page.evaluate("location.hash") == "#item=180&colour=decade"  # a colouring is no step of its own
    page.go_back()
    page.wait_for_function("window.portalProjector.item === 0")
    assert page.evaluate(VIEW)["colour"] == "first_genre"  # that step's colouring: the map's own
    page.go_back()
    page.wait_for_function("window.portalProjector.item === 49")
    page.go_forward()
    page.wait_for_function("window.portalProjector.item === 0")
    assert page.evaluate("location.hash") == "#item=0"
    # closing the card is a step too: back brings the point again
    page.locator(".point-card-close").click()
    page.wait_for_function("window.portalProjector.item === null")
    page.go_back()
    page.wait_for_function("window.portalProjector.item === 0")
    page.close()

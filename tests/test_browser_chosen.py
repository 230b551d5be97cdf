"""A chosen point that reads, in Chromium, on the desktop and on a phone: its neighbours' names beside
their pictures, none over another, the point card or the key; the projector's own labels (which pile
up in 3-D) left out; the region names give way while a point is chosen and come back after."""

from __future__ import annotations

import pytest
from test_browser_map import DESKTOP, PHONE, SCREEN, _open_map

NEIGHBOUR_NAMES = """() => Array.from(document.querySelectorAll('.neighbour-names:not([hidden]) .neighbour-name:not([hidden])'))
  .map(e => { const r = e.getBoundingClientRect();
              return {text: e.textContent, rank: e.value, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })"""

NEIGHBOURS = """() => { const el = document.querySelector('vz-projector');
  return el.neighborsOfFirstPoint.map(n => ({position: n.index, label: el.dataSet.points[n.index].metadata.title})); }"""

CANVAS_LABELS = """() => { const el = document.querySelector('vz-projector'), a = el.projectorScatterPlotAdapter;
  const params = a.generateVisibleLabelRenderParams(el.dataSet, el.selectedPointIndices, el.neighborsOfFirstPoint, 3);
  return params ? params.pointIndices.length : 0; }"""


def _apart(a: dict, b: dict) -> bool:
    return a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_chosen_points_neighbours_are_named_beside_their_pictures_and_nothing_overlaps(browser, served_site, size):
    page = _open_map(browser, served_site, size, "#item=49")
    page.wait_for_function("document.querySelectorAll('.neighbour-name:not([hidden])').length >= 3", timeout=10_000)
    names = page.evaluate(NEIGHBOUR_NAMES)
    neighbours = page.evaluate(NEIGHBOURS)
    scene = page.evaluate(SCREEN)
    kept_clear = [page.locator(s).bounding_box() for s in ("#point-card", "#map-key")]
    for i, name in enumerate(names):
        assert all(_apart(name, other) for other in names[i + 1 :]), name
        for box in kept_clear:
            rect = {
                "left": box["x"],
                "top": box["y"],
                "right": box["x"] + box["width"],
                "bottom": box["y"] + box["height"],
            }
            assert _apart(name, rect), (name, rect)
        if name["rank"] == 0:  # the chosen point: named when its card is docked below the map
            assert size is PHONE and name["text"] == "Star Wars (1977)"
            continue
        neighbour = neighbours[name["rank"] - 1]
        assert name["text"] == neighbour["label"]
        x, y = scene["points"][neighbour["position"]]
        # beside its point: the point is at most 14 px from the name's box, and outside it
        dx = max(name["left"] - x, 0, x - name["right"])
        dy = max(name["top"] - y, 0, y - name["bottom"])
        assert max(dx, dy) <= 14, (name, x, y)
    assert any(name["rank"] == 0 for name in names) == (size is PHONE)
    assert page.evaluate(CANVAS_LABELS) == 0  # the projector's labels are left out
    assert page.locator(".region-names").is_hidden()

    page.locator(".point-card-close").click()
    page.wait_for_function("document.querySelector('.neighbour-names').hidden")
    page.wait_for_function("!document.querySelector('.region-names').hidden")
    assert page.errors == []
    page.close()

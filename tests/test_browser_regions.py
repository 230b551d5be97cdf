"""The map's named regions as a visitor sees them, in Chromium, on the desktop and on a phone: names
on open, none over another, each at its region as the camera pans, zooms and turns, finer names as
one zooms in, a switch that hides them, and the 2-D layout's own names."""

from __future__ import annotations

import json

import pytest
from test_browser_map import DESKTOP, PHONE, SCREEN, _open_map

# The names on screen: their text, box and region (by its index in the layout's list of regions.json).
NAMES = """() => Array.from(document.querySelectorAll('.region-names:not([hidden]) .region-name:not([hidden])'))
  .map(e => { const r = e.getBoundingClientRect();
              return {text: e.textContent, region: Number(e.dataset.region), left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                      level: Number(/region-level-(\\d)/.exec(e.className)[1])}; })"""

# Move the 3-D or 2-D camera: turn about the target by `turn` radians, then come `closer` times
# nearer (2-D: zoom), then shift camera and target by `pan` (world units, x and y).
MOVE = """([turn, closer, pan]) => {
  const plot = document.querySelector('vz-projector').projectorScatterPlotAdapter.scatterPlot;
  const eye = plot.getCameraPosition(), target = plot.getCameraTarget();
  let away = [eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]];
  if (plot.sceneIs3D()) {
    const c = Math.cos(turn), s = Math.sin(turn);
    away = [c * away[0] + s * away[2], away[1], -s * away[0] + c * away[2]].map(v => v / closer);
  } else {
    plot.camera.zoom *= closer;
    plot.camera.updateProjectionMatrix();
  }
  const to = [target[0] + pan[0], target[1] + pan[1], target[2]];
  plot.setCameraPositionAndTarget([to[0] + away[0], to[1] + away[1], to[2] + away[2]], to);
  plot.render();
}"""


def _regions(demo_site, layout: int) -> list[dict]:
    return json.loads((demo_site / "movies/regions.json").read_text(encoding="utf-8"))["layouts"][layout]


def _check(page, demo_site, layout: int) -> list[dict]:
    """The names on screen: at least one, none over another, each at its region's anchor point
    (inside the name's box, or as near as the edge of the map lets it be); returned."""
    names = page.evaluate(NAMES)
    assert names, "no region names on the map"
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            apart = (
                a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            )
            assert apart, f"{a['text']!r} and {b['text']!r} overlap"
    scene = page.evaluate(SCREEN)
    box = scene["canvas"]
    regions = _regions(demo_site, layout)
    for name in names:
        assert regions[name["region"]]["name"] == name["text"]
        x, y = scene["points"][regions[name["region"]]["anchor"]]
        inside_x = (
            name["left"] - 1 <= x <= name["right"] + 1
            or name["left"] <= box["left"] + 1
            or name["right"] >= box["left"] + box["width"] - 1
        )
        inside_y = (
            name["top"] - 1 <= y <= name["bottom"] + 1
            or name["top"] <= box["top"] + 1
            or name["bottom"] >= box["top"] + box["height"] - 1
        )
        assert inside_x and inside_y, f"{name['text']!r} is not at its region ({x:.0f}, {y:.0f}): {name}"
    return names


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_names_show_on_open_never_overlap_and_follow_the_camera(browser, served_site, demo_site, size):
    page = _open_map(browser, served_site, size)
    page.wait_for_function("document.querySelectorAll('.region-name:not([hidden])').length > 0", timeout=10_000)
    opened = _check(page, demo_site, 0)
    assert len(opened) >= 2
    assert all(name["level"] == 0 for name in opened[:1])  # the coarsest names come first
    # text in the page: what the browser's find and a screen reader meet
    assert page.get_by_role("listitem").filter(has_text=opened[0]["text"]).count() >= 1

    where = {name["region"]: (name["left"], name["top"]) for name in opened}
    for turn, closer, pan in ((0.6, 1.0, (0, 0)), (0.0, 1.0, (0.3, -0.2)), (0.0, 2.5, (0, 0))):
        page.evaluate(MOVE, [turn, closer, list(pan)])
        page.wait_for_timeout(100)
        moved = _check(page, demo_site, 0)
        kept = [n for n in moved if n["region"] in where]
        assert any((n["left"], n["top"]) != where[n["region"]] for n in kept) or len(kept) < len(moved)
        where = {name["region"]: (name["left"], name["top"]) for name in moved}
    assert page.errors == []
    page.close()


def test_finer_names_come_as_one_zooms_in_and_the_switch_hides_them(browser, served_site, demo_site):
    page = _open_map(browser, served_site, DESKTOP)
    opened = _check(page, demo_site, 0)
    finer_on_open = sum(name["level"] > 0 for name in opened)
    regions = _regions(demo_site, 0)
    # towards the anchor of a fine region, from a third of the way
    fine = max((r for r in regions if r["level"] == 2), key=lambda r: r["count"])
    page.evaluate(
        """(anchor) => { const plot = document.querySelector('vz-projector').projectorScatterPlotAdapter.scatterPlot;
             const p = plot.worldSpacePointPositions, at = [p[3 * anchor], p[3 * anchor + 1], p[3 * anchor + 2]];
             const eye = plot.getCameraPosition(), target = plot.getCameraTarget();
             const away = [0, 1, 2].map(i => (eye[i] - target[i]) / 4);
             plot.setCameraPositionAndTarget(at.map((v, i) => v + away[i]), at); plot.render(); }""",
        fine["anchor"],
    )
    page.wait_for_timeout(100)
    zoomed = _check(page, demo_site, 0)
    # closer, finer names than on open (a fixed count could hold whatever the zoom did)
    assert sum(name["level"] > 0 for name in zoomed) > finer_on_open
    assert any(name["level"] > 0 for name in zoomed)

    switch = page.locator("[data-region-toggle]")
    assert switch.get_attribute("aria-pressed") == "true"
    switch.click()
    assert page.evaluate(NAMES) == [] and switch.get_attribute("aria-pressed") == "false"
    switch.click()
    assert page.evaluate(NAMES) != []
    page.close()


def test_the_2d_layout_has_its_own_names_and_a_projection_of_ones_own_has_none(browser, served_site, demo_site):
    page = _open_map(browser, served_site, DESKTOP)
    page.locator("[data-layout='1']").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.portalRegions.layout()") == 1
    names = _check(page, demo_site, 1)
    assert {n["text"] for n in names} <= {r["name"] for r in _regions(demo_site, 1)}
    # the PCA tab moves every point elsewhere: the names would name nothing there
    page.evaluate("document.querySelector('vz-projector').projectionsPanel.showTab('pca')")
    page.wait_for_function("document.querySelector('.region-names').hidden", timeout=10_000)
    page.locator("[data-layout='0']").click()
    page.wait_for_timeout(200)
    _check(page, demo_site, 0)
    page.close()

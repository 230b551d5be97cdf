"""The map as a visitor meets it, in Chromium, on the desktop (1400x900) and on a phone (390x844, touch).

Framing is read from the rendered page (where the projector draws each point
now), not from the layout files; the neighbour lists are read from the map's
panel and from the recommendation page.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
from test_browser_projector import LOAD_TIMEOUT, _row_of

from site_builder.site import recommend

DESKTOP = {"viewport": {"width": 1400, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Each point's place on screen and the canvas it is drawn on, as the projector draws them now.
SCREEN = """() => {
  const el = document.querySelector('vz-projector');
  const plot = el.projectorScatterPlotAdapter.scatterPlot;
  const camera = plot.camera;
  camera.updateMatrixWorld();
  const view = camera.matrixWorldInverse.elements, projection = camera.projectionMatrix.elements;
  const canvas = plot.container.querySelector('canvas').getBoundingClientRect();
  const positions = plot.worldSpacePointPositions;
  const multiply = (m, v) => [0, 1, 2, 3].map(r => m[r] * v[0] + m[4 + r] * v[1] + m[8 + r] * v[2] + m[12 + r] * v[3]);
  const points = [];
  for (let i = 0; i < positions.length / 3; i++) {
    const clip = multiply(projection, multiply(view, [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1]));
    points.push([canvas.left + (clip[0] / clip[3] + 1) / 2 * canvas.width,
                 canvas.top + (1 - clip[1] / clip[3]) / 2 * canvas.height]);
  }
  return {points, canvas: {left: canvas.left, top: canvas.top, width: canvas.width, height: canvas.height}};
}"""


def _open_map(browser, address: str, size: dict, fragment: str = ""):
    page = browser.new_page(**size)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{address}/movies/index.html{fragment}")
    page.wait_for_function("window.portalProjector && window.portalProjector.picturesMs > 0", timeout=LOAD_TIMEOUT)
    page.wait_for_function("document.body.classList.contains('map-ready')", timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(300)
    return page


def _assert_framed(page, what: str) -> dict:
    """Every point inside the canvas, at least 2% of its size from each edge."""
    scene = page.evaluate(SCREEN)
    box = scene["canvas"]
    margin_x, margin_y = box["width"] * 0.02, box["height"] * 0.02
    xs = [x for x, _ in scene["points"]]
    ys = [y for _, y in scene["points"]]
    assert min(xs) >= box["left"] + margin_x and max(xs) <= box["left"] + box["width"] - margin_x, (
        what,
        min(xs),
        max(xs),
        box,
    )
    assert min(ys) >= box["top"] + margin_y and max(ys) <= box["top"] + box["height"] - margin_y, (
        what,
        min(ys),
        max(ys),
        box,
    )
    return scene


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_both_layouts_open_framed_and_stay_framed_after_reset_zoom(browser, served_site, size):
    page = _open_map(browser, served_site, size)
    _assert_framed(page, "3-D on opening")
    page.get_by_role("button", name="UMAP 2-D").click()
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name="UMAP 2-D").get_attribute("aria-pressed") == "true"
    scene = _assert_framed(page, "2-D")
    # the 2-D pictures are sized for the density: together they cover about the canvas, not many times it
    side = page.evaluate(
        "document.querySelector('vz-projector').projectorScatterPlotAdapter"
        ".spriteVisualizer.renderMaterial.uniforms.pointSize.value"
    ) / page.evaluate("devicePixelRatio")
    area = scene["canvas"]["width"] * scene["canvas"]["height"]
    assert side * side * len(scene["points"]) < 3 * area, side
    page.evaluate("document.querySelector('vz-projector').projectorScatterPlotAdapter.scatterPlot.camera.zoom = 6")
    page.locator("vz-projector #reset-zoom").click()
    page.wait_for_timeout(300)
    _assert_framed(page, "2-D after reset zoom")
    # a layout picked in the bookmarks panel is framed too, and the switch follows it
    page.evaluate("document.querySelector('vz-projector').bookmarkPanel.loadSavedState(0)")
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name="UMAP 3-D").get_attribute("aria-pressed") == "true"
    _assert_framed(page, "3-D from the bookmarks panel")
    assert page.errors == []
    page.close()


def test_a_phone_gets_the_map_across_the_screen_and_panels_behind_toggles(browser, served_site, demo_site):
    page = _open_map(browser, served_site, PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert page.evaluate("window.scrollX") == 0
    canvas = page.evaluate(SCREEN)["canvas"]
    assert canvas["left"] <= 1 and canvas["width"] >= 385 and canvas["height"] >= 0.7 * 844, canvas
    left = page.locator("vz-projector #left-pane")
    assert not left.is_visible()
    page.get_by_role("button", name="Colours & layouts").click()
    assert left.is_visible() and left.bounding_box()["width"] <= 390
    page.get_by_role("button", name="Colours & layouts").click()
    assert not left.is_visible()

    # a tap on a point selects it and shows its card, with the way to its recommendations
    scene = page.evaluate(SCREEN)
    box = scene["canvas"]
    inside = [
        i
        for i, (x, y) in enumerate(scene["points"])
        if box["left"] + 40 < x < box["left"] + box["width"] - 40
        and box["top"] + 80 < y < box["top"] + box["height"] - 200
    ]
    x, y = scene["points"][inside[len(inside) // 2]]
    page.touchscreen.tap(x, y)
    card = page.locator("#point-card")
    card.wait_for(state="visible", timeout=10_000)
    row = page.evaluate("window.portalProjector.item")
    assert row is not None
    labels = [
        line.split("\t")[0] for line in (demo_site / "movies/metadata.txt").read_text(encoding="utf-8").splitlines()[1:]
    ]
    assert card.locator(".point-card-title").inner_text() == labels[row]
    link = card.get_by_role("link", name="Recommendations")
    assert link.get_attribute("href").endswith(f"recommend.html#item={row}")
    card_box = card.bounding_box()
    assert card_box["x"] >= 0 and card_box["x"] + card_box["width"] <= 390  # docked, on screen
    assert page.errors == []
    page.close()


def test_the_point_card_and_the_neighbour_list_match_the_recommendation_page(browser, served_site, demo_site):
    star_wars = _row_of(demo_site, "movies", "Star Wars (1977)")
    page = _open_map(browser, served_site, DESKTOP, f"#item={star_wars}")
    card = page.locator("#point-card")
    card.wait_for(state="visible")
    assert card.locator(".point-card-title").inner_text() == "Star Wars (1977)"
    assert "Action, Adventure, Romance, Sci-Fi, War" in card.inner_text()
    card_box = card.bounding_box()
    assert card_box["x"] > 312 and card_box["x"] + card_box["width"] < 1400 - 300  # on the map, beside the point
    # it stays beside the point when the camera moves (a pan: the camera looks at the point)
    page.evaluate("""() => {
      const plot = document.querySelector('vz-projector').projectorScatterPlotAdapter.scatterPlot;
      const eye = plot.getCameraPosition(), target = plot.getCameraTarget();
      plot.setCameraPositionAndTarget([eye[0] + 0.15, eye[1] + 0.1, eye[2]], [target[0] + 0.15, target[1] + 0.1, target[2]]);
    }""")
    page.wait_for_timeout(200)
    point = page.evaluate(SCREEN)["points"][star_wars]
    moved = card.bounding_box()
    assert (moved["x"], moved["y"]) != (card_box["x"], card_box["y"])
    assert min(abs(moved["x"] - point[0]), abs(moved["x"] + moved["width"] - point[0])) < 40  # 18 px gap, beside it

    rows = page.locator("vz-projector-inspector-panel .nn-list .neighbor")
    rows.first.wait_for()
    visible = [
        rows.nth(i).is_visible() and rows.nth(i).bounding_box()["y"] + rows.nth(i).bounding_box()["height"] <= 900
        for i in range(rows.count())
    ]
    assert sum(visible) >= 8, visible  # a compact list
    # each with its picture, though the pictures came after the point was chosen (a link chose it)
    assert rows.locator(".sprite-image").count() == rows.count()
    on_map = [
        (rows.nth(i).locator(".label").inner_text(), rows.nth(i).locator(".value").inner_text())
        for i in range(rows.count())
    ]
    page.close()

    document = recommend.read_page_data(demo_site / "movies")
    k = document["k"]
    on_page = [
        (document["labels"][j], f"{document['scores'][star_wars * k + slot] / document['score_scale'] * 100:.1f}%")
        for slot, j in enumerate(document["neighbours"][star_wars * k : (star_wars + 1) * k])
    ]
    assert len(on_map) == k
    assert [label for label, _ in on_map] == [label for label, _ in on_page]
    for (_, shown), (_, expected) in zip(on_map, on_page):
        assert abs(float(shown.rstrip("%")) - float(expected.rstrip("%"))) <= 0.1, (on_map, on_page)

    page = browser.new_page(**DESKTOP)
    page.goto(f"{served_site}/movies/recommend.html#item={star_wars}")
    page.locator(".rec-card").first.wait_for(timeout=LOAD_TIMEOUT)
    titles = page.locator(".rec-card .rec-card-title").all_inner_texts()
    scores = page.locator(".rec-card .rec-score-value").all_inner_texts()
    assert list(zip(titles, scores)) == on_page
    page.close()


def test_visitors_get_no_authoring_controls_and_the_labels_are_in_roboto(browser, served_site):
    page = _open_map(browser, served_site, DESKTOP, "#item=49")  # with a point chosen: tagging would offer itself
    for selector in (
        "vz-projector #editMode",
        "vz-projector-data-panel #demo-data-buttons-container",
        "vz-projector-data-panel .metadata-editor",
    ):
        assert page.locator(selector).count() == 1, selector  # the projector has it...
        assert not page.locator(selector).is_visible(), selector  # ...and the visitor does not see it
    assert page.evaluate("document.fonts.check('12px roboto')")
    assert page.evaluate("""Array.from(document.fonts).some(f => f.family.replace(/"/g, '') === 'Roboto'
                            && f.status === 'loaded')""")
    page.close()


def test_the_users_map_says_what_each_user_watched_and_taste_queries_work_on_users(browser, served_site, demo_site):
    rows = (demo_site / "users/metadata.txt").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    first = dict(zip(header, rows[1].split("\t")))
    genres = {
        line.split("\t")[5] for line in (demo_site / "movies/metadata.txt").read_text(encoding="utf-8").splitlines()
    }
    assert first["favourites"].count("; ") == 2 and first["leaning"] in genres

    page = browser.new_page(**DESKTOP)
    page.goto(f"{served_site}/users/index.html#item=0")
    page.wait_for_function("document.body.classList.contains('map-ready')", timeout=LOAD_TIMEOUT)
    card = page.locator("#point-card")
    card.wait_for(state="visible")
    assert first["favourites"].split("; ")[0] in card.inner_text()
    # the age bands are listed in age order, in the legend and in the colours
    legend = page.evaluate("""() => {
      const panel = document.querySelector('vz-projector').dataPanel;
      return panel.colorOptions.find(o => o.name === 'age_band').items.map(i => i.label);
    }""")
    assert legend[0] == "Under 18" and legend[-1] == "56+", legend
    page.close()

    page = browser.new_page(**DESKTOP)
    page.goto(f"{served_site}/users/recommend.html#like=0,1")
    page.locator(".rec-taste-result .rec-card").first.wait_for(timeout=LOAD_TIMEOUT)
    assert page.locator(".rec-taste-result .rec-card").count() == 12
    note = page.locator(".rec-taste-result .rec-note").inner_text()
    assert "the 2 you like" in note and "ones" not in note
    assert "For example: User" in page.get_by_role("combobox").get_attribute("placeholder")
    page.close()


def test_hovering_a_point_shows_its_card_without_choosing_it(browser, served_site):
    page = _open_map(browser, served_site, DESKTOP)
    scene = page.evaluate(SCREEN)
    box = scene["canvas"]
    x, y = next(
        (x, y)
        for x, y in scene["points"]
        if box["left"] + 100 < x < box["left"] + box["width"] - 100
        and box["top"] + 100 < y < box["top"] + box["height"] - 100
    )
    page.mouse.move(x, y)
    card = page.locator("#point-card")
    card.wait_for(state="visible", timeout=10_000)
    assert not card.get_by_role("link", name="Recommendations").is_visible()  # a glance, not a choice
    assert page.evaluate("window.portalProjector.item") is None
    page.close()


def test_a_large_portals_map_loads_compact_vectors_and_lists_the_builds_neighbours(browser, served_large_site):
    site, address = served_large_site
    config = json.loads((site / "movies" / "projector_config.json").read_text(encoding="utf-8"))["embeddings"][0]
    assert config["tensorPath"] == "map-vectors.i8.bytes" and config["tensorShape"] == [1682, 16]
    scales = re.search(r'data-scales="([^"]+)"', (site / "movies" / "index.html").read_text()).group(1)
    scales = np.array(json.loads(html.unescape(scales)))
    star_wars = _row_of(site, "movies", "Star Wars (1977)")

    page = browser.new_page(**DESKTOP)
    fetched = []
    page.on("requestfinished", lambda request: fetched.append(request.url.rsplit("/movies/", 1)[-1]))
    page.goto(f"{address}/movies/index.html#item={star_wars}")
    page.wait_for_function("document.body.classList.contains('map-ready')", timeout=LOAD_TIMEOUT)
    assert page.evaluate("window.portalProjector.state") == "applied"
    assert "map-vectors.i8.bytes" in fetched and "tensors.bytes" not in fetched
    # dots in the points' colours, and no sprite sheet fetched for them
    assert not any(name.startswith("sprite.") for name in fetched)
    assert (
        page.evaluate("document.querySelector('vz-projector').projectorScatterPlotAdapter.getSpriteImageMode()")
        is False
    )
    assert page.locator(".map-key-entry").count() > 10
    # the projector holds the decoded copy: 16 components a point, as the build wrote them
    held = np.array(
        page.evaluate(f"Array.from(document.querySelector('vz-projector').dataSet.points[{star_wars}].vector)")
    )
    raw = np.frombuffer((site / "movies" / "map-vectors.i8.bytes").read_bytes(), dtype=np.int8).reshape(1682, 16)
    np.testing.assert_allclose(held, raw[star_wars] * scales, rtol=1e-6)
    page.get_by_text("Dimension: 16").first.wait_for()

    # the neighbour list is the build's, not a search in 16 dimensions
    rows = page.locator("vz-projector-inspector-panel .nn-list .neighbor")
    document = recommend.read_page_data(site / "movies")
    k = document["k"]
    expected = [
        (document["labels"][j], f"{document['scores'][star_wars * k + slot] / document['score_scale'] * 100:.1f}%")
        for slot, j in enumerate(document["neighbours"][star_wars * k : (star_wars + 1) * k])
    ]
    page.wait_for_function(
        f"""() => {{
          const panel = document.querySelector('vz-projector').inspectorPanel;
          const rows = panel.shadowRoot.querySelectorAll('.neighbor .label');
          return rows.length === {k} && rows[{k - 1}].textContent.trim() === {json.dumps(expected[-1][0])};
        }}""",
        timeout=LOAD_TIMEOUT,
    )
    shown = [(rows.nth(i).locator(".label").inner_text(), rows.nth(i).locator(".value").inner_text()) for i in range(k)]
    assert shown == expected
    # the 16 components alone would list others: the projector's own search is not what shows
    unit = raw * scales
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    own = np.argsort(-(unit @ unit[star_wars]))[1 : k + 1]
    assert [document["labels"][j] for j in own] != [label for label, _ in expected]
    page.close()

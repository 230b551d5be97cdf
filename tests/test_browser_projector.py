"""A real browser on the projector page: it opens on the precomputed UMAP, and deep links work.

The page drives the projector element's internal methods (tensorboard 2.21.0,
pinned): these tests are what tells us a new bundle broke them. Runs Debian's
chromium headless (WebGL through SwiftShader) and fails, not skips, when the
browser is missing.
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

LOAD_TIMEOUT = 90_000  # ms: SwiftShader on two cores is slow


def _row_of(demo_site, portal: str, label: str) -> int:
    rows = (demo_site / portal / "metadata.txt").read_text(encoding="utf-8").splitlines()[1:]
    return next(i for i, row in enumerate(rows) if row.split("\t")[0] == label)


def _open(browser, url: str):
    """A page on `url`, with every request that leaves 127.0.0.1 recorded in page.outside."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.outside = []
    host = url.split("/", 3)[:3]
    origin = "/".join(host)
    page.on(
        "request",
        lambda request: (
            page.outside.append(request.url)
            if not request.url.startswith(origin) and not request.url.startswith("data:")
            else None
        ),
    )
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url)
    return page


def _wait_for_layout(page) -> float:
    """Seconds from "Points: N" in the projector's header to the precomputed layout being shown."""
    page.get_by_text("Points: 1682").first.wait_for(timeout=LOAD_TIMEOUT)
    data_seen = time.perf_counter()
    page.wait_for_function("window.portalProjector && window.portalProjector.state !== 'loading'", timeout=LOAD_TIMEOUT)
    return time.perf_counter() - data_seen


STATE = """() => {
  const el = document.querySelector('vz-projector');
  const plot = el.projectorScatterPlotAdapter.scatterPlot;
  return {
    projection: el.projection && el.projection.projectionType,
    dimensionality: el.projection && el.projection.dimensionality,
    umapRanInBrowser: !!el.dataSet.hasUmapRun,
    bookmarks: el.bookmarkPanel.savedStates.map(s => ({label: s.label, selected: !!s.isSelected})),
    positions: Array.from(plot.worldSpacePointPositions || []),
    selected: el.selectedPointIndices,
    cameraTarget: plot.getCameraTarget(),
    status: window.portalProjector,
    hash: location.hash,
  };
}"""


def _rescaled(coords: np.ndarray) -> np.ndarray:
    """What the projector draws for given coordinates: each axis mapped linearly onto [-1, 1]."""
    low, high = coords.min(axis=0), coords.max(axis=0)
    return (coords - low) / (high - low) * 2 - 1


def test_projector_opens_on_the_precomputed_umap(browser, served_site, demo_site):
    saved = json.loads((demo_site / "movies" / "bookmarks.json").read_text(encoding="utf-8"))
    page = _open(browser, served_site + "/movies/")
    seconds = _wait_for_layout(page)
    state = page.evaluate(STATE)

    # nothing was clicked: the first bookmark is applied, as given, and not recomputed
    assert state["status"]["state"] == "applied", state["status"]
    assert state["projection"] == "umap" and state["dimensionality"] == 3
    assert not state["umapRanInBrowser"]
    first = np.array([[p["umap-0"], p["umap-1"], p["umap-2"]] for p in saved[0]["projections"]])
    drawn = np.array(state["positions"]).reshape(-1, 3)
    assert drawn.shape == first.shape
    np.testing.assert_allclose(drawn, _rescaled(first), atol=1e-4)
    # the panels say so too: the UMAP tab is active, the bookmark's radio is on
    assert "active" in page.locator("vz-projector-projections-panel .ink-tab[data-tab='umap']").get_attribute("class")
    assert state["bookmarks"] == [
        {"label": "UMAP 3-D (precomputed)", "selected": True},
        {"label": "UMAP 2-D (precomputed)", "selected": False},
    ]
    shown = page.locator("vz-projector-bookmark-panel textarea").evaluate_all("els => els.map(e => e.value)")
    assert shown == ["UMAP 3-D (precomputed)", "UMAP 2-D (precomputed)"]
    print(f"\nprecomputed layout shown {seconds:.1f} s after 'Points: 1682'")

    # without a selection, the header links to the recommendation page itself
    link = page.locator("#recommend-link")
    assert link.get_attribute("href") == "recommend.html" and link.inner_text() == "Recommendations"

    # the in-browser PCA still works (its coordinates survive the bookmark)
    page.locator("vz-projector-projections-panel .ink-tab[data-tab='pca']").click()
    page.wait_for_function("document.querySelector('vz-projector').projection.projectionType === 'pca'", timeout=30_000)
    page.get_by_text("Total variance described").first.wait_for(timeout=30_000)
    pca = np.array(page.evaluate(STATE)["positions"]).reshape(-1, 3)
    assert np.isfinite(pca).all() and not np.allclose(pca, drawn)

    # and the 2-D layout is one click away, on the map (the bookmarks panel starts folded)
    page.get_by_role("button", name="UMAP 2-D").click()
    page.wait_for_function("document.querySelector('vz-projector').projection.dimensionality === 2", timeout=30_000)
    state = page.evaluate(STATE)
    assert state["projection"] == "umap" and not state["umapRanInBrowser"]
    second = np.array([[p["umap-0"], p["umap-1"]] for p in saved[1]["projections"]])
    np.testing.assert_allclose(np.array(state["positions"]).reshape(-1, 3)[:, :2], _rescaled(second), atol=1e-4)

    # and back: the PCA, computed once, survives the layouts loaded since
    page.locator("vz-projector-projections-panel .ink-tab[data-tab='pca']").click()
    page.wait_for_function("document.querySelector('vz-projector').projection.projectionType === 'pca'", timeout=30_000)
    again = np.array(page.evaluate(STATE)["positions"]).reshape(-1, 3)
    np.testing.assert_allclose(again, pca, atol=1e-4)

    assert not page.errors, page.errors
    assert not page.outside, f"requests left the site: {page.outside}"
    page.close()


PICTURES = r"""() => {
  const el = document.querySelector('vz-projector');
  const sprites = el.projectorScatterPlotAdapter.spriteVisualizer;
  const info = el.dataSet.spriteAndMetadataInfo || {};
  return {
    texture: !!(sprites && sprites.texture),
    image: info.spriteImage ? [info.spriteImage.naturalWidth, info.spriteImage.naturalHeight] : null,
    cell: info.spriteMetadata ? info.spriteMetadata.singleImageDim : null,
    sheetRequested: performance.getEntriesByType('resource').filter(e => /\/sprite\.(webp|png|jpg)$/.test(e.name))
      .map(e => e.startTime - window.portalProjector.startedAt),
  };
}"""


def test_the_points_come_first_and_the_pictures_once_the_layout_is_shown(browser, served_site, demo_site):
    """The sprite sheet, most of the map's bytes, holds nothing back: the points and the layout
    show without it, then the page puts the pictures on them."""
    from PIL import Image

    page = _open(browser, served_site + "/movies/")
    page.wait_for_function("window.portalProjector && window.portalProjector.picturesMs > 0", timeout=LOAD_TIMEOUT)
    status = page.evaluate("window.portalProjector")
    pictures = page.evaluate(PICTURES)
    # the layout came first: the projector's opening PCA was held back, not computed then replaced
    assert status["state"] == "applied" and status["pcaHeld"] is True, status
    assert status["dataMs"] <= status["appliedMs"] <= status["picturesMs"], status
    # and everything the projector loads before it draws was asked for by the page at once (preloaded)
    preloaded = page.evaluate(
        "Array.from(document.querySelectorAll('link[rel=preload][as=fetch]')).map(l => l.href.split('/').pop())"
    )
    assert preloaded == ["projector_config.json", "tensors.bytes", "metadata.txt", "bookmarks.json"]
    # the sheet was asked for once, only after the layout was on screen
    assert len(pictures["sheetRequested"]) == 1 and pictures["sheetRequested"][0] >= status["appliedMs"], pictures
    with Image.open(demo_site / "movies" / "sprite.webp") as sheet:
        assert pictures["image"] == list(sheet.size)
    cell = json.loads((demo_site / "movies" / "projector_config.online.json").read_text())["embeddings"][0]
    assert pictures["cell"] == cell["sprite"]["singleImageDim"]
    assert pictures["texture"]  # on the map, not only loaded
    assert not page.errors, page.errors
    page.close()


def test_deep_link_selects_the_item_and_links_back(browser, served_site, demo_site):
    toy_story = _row_of(demo_site, "movies", "Toy Story (1995)")
    page = _open(browser, served_site + f"/movies/#item={toy_story}")
    _wait_for_layout(page)
    page.wait_for_function(f"window.portalProjector.item === {toy_story}", timeout=30_000)
    state = page.evaluate(STATE)
    assert state["projection"] == "umap" and state["selected"] == [toy_story]

    # its card opens beside it
    page.locator("#point-card .point-card-title", has_text="Toy Story (1995)").wait_for(timeout=30_000)
    # the camera looks at it
    assert state["status"]["cameraFocused"]
    point = state["positions"][3 * toy_story : 3 * toy_story + 3]
    np.testing.assert_allclose(state["cameraTarget"], point, atol=1e-5)
    # and the header leads to its recommendations
    link = page.locator("#recommend-link")
    assert link.get_attribute("href") == f"recommend.html#item={toy_story}"
    assert link.inner_text() == "Recommendations for Toy Story (1995)"

    # isolating the neighbourhood renumbers the projector's points; links keep the row numbers
    page.get_by_text(re.compile(r"^Isolate \d+ points$")).first.click()
    page.wait_for_function("document.querySelector('vz-projector').dataSet.points.length < 1682", timeout=30_000)
    # choosing another point in the projector (its neighbour list) moves the link and the hash
    neighbour = page.locator("vz-projector-inspector-panel a.neighbor-link").nth(3)
    neighbour.wait_for(timeout=30_000)
    title = neighbour.get_attribute("title")
    neighbour.click()
    page.wait_for_function(f"window.portalProjector.item !== {toy_story}", timeout=30_000)
    state = page.evaluate(STATE)
    other = _row_of(demo_site, "movies", title)
    assert state["status"]["item"] == other
    assert state["hash"] == f"#item={other}"
    assert link.get_attribute("href") == f"recommend.html#item={other}"
    assert link.inner_text() == f"Recommendations for {title}"

    # editing the hash selects again; clearing the selection restores the generic link
    page.evaluate(f"location.hash = '#item={toy_story}'")
    page.wait_for_function(f"window.portalProjector.item === {toy_story}", timeout=30_000)
    page.evaluate("document.querySelector('vz-projector').notifySelectionChanged([])")
    assert link.get_attribute("href") == "recommend.html" and page.evaluate("location.hash") == ""

    assert not page.errors, page.errors
    assert not page.outside, f"requests left the site: {page.outside}"
    page.close()


def test_a_search_made_before_the_layout_arrives_is_kept(browser, served_site, demo_site):
    """Bookmarks that come after the PCA (held back here) are still applied, and applying
    them keeps what the visitor had already searched for."""
    toy_story = _row_of(demo_site, "movies", "Toy Story (1995)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    held = []
    page.route("**/bookmarks.json", lambda route: held.append(route))
    page.goto(served_site + "/movies/")
    page.get_by_text("Points: 1682").first.wait_for(timeout=LOAD_TIMEOUT)
    search = page.locator("vz-projector-inspector-panel input").first
    search.fill("Toy Story")
    search.press("Enter")
    page.get_by_text("1 matches.").first.wait_for(timeout=30_000)
    page.wait_for_function("document.querySelector('vz-projector').projection", timeout=LOAD_TIMEOUT)
    assert page.evaluate("window.portalProjector.state") == "loading" and len(held) == 1

    held[0].continue_()
    page.wait_for_function("window.portalProjector.state !== 'loading'", timeout=LOAD_TIMEOUT)
    state = page.evaluate(STATE)
    assert state["status"]["state"] == "applied" and state["projection"] == "umap"
    assert state["selected"] == [toy_story]
    assert page.get_by_text("1 matches.").first.is_visible()
    assert page.locator("#recommend-link").get_attribute("href") == f"recommend.html#item={toy_story}"
    page.close()


def test_an_impossible_item_is_ignored(browser, served_site):
    page = _open(browser, served_site + "/movies/#item=99999")
    _wait_for_layout(page)
    state = page.evaluate(STATE)
    assert state["projection"] == "umap" and state["selected"] == []
    assert page.locator("#recommend-link").get_attribute("href") == "recommend.html"
    page.close()


# Screen position, depth and legend colour of every point, as the projector draws them now.
POINTS_ON_SCREEN = """() => {
  const el = document.querySelector('vz-projector');
  const adapter = el.projectorScatterPlotAdapter;
  const plot = adapter.scatterPlot;
  const camera = plot.camera;
  camera.updateMatrixWorld();
  const view = camera.matrixWorldInverse.elements, projection = camera.projectionMatrix.elements;
  const canvas = plot.container.querySelector('canvas').getBoundingClientRect();
  const positions = plot.worldSpacePointPositions;
  // a picture's side on screen, as the sprite shader works it out (device pixels; 1 per CSS pixel here)
  const uniforms = adapter.spriteVisualizer.renderMaterial.uniforms;
  const zoom = projection[0] + 0.3, outNorm = 0.9 / Math.atan(2);
  const scale = zoom < 1 ? 1 + outNorm * Math.atan(2 * (zoom - 1)) : 1 + 2 / Math.PI * 14 * Math.atan(0.02 * (zoom - 1));
  const option = el.dataPanel.colorOptions.find(o => o.name === el.dataPanel.selectedColorOptionName);
  const column = el.dataPanel.selectedColorOptionName;
  const points = [];
  const multiply = (m, v) => [0, 1, 2, 3].map(r => m[r] * v[0] + m[4 + r] * v[1] + m[8 + r] * v[2] + m[12 + r] * v[3]);
  for (let i = 0; i < positions.length / 3; i++) {
    const eye = multiply(view, [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1]);
    const clip = multiply(projection, eye);
    const value = el.dataSet.points[i].metadata[column];
    points.push({
      index: i, value: String(value), colour: option.map(value),
      x: canvas.left + (clip[0] / clip[3] + 1) / 2 * canvas.width,
      y: canvas.top + (1 - clip[1] / clip[3]) / 2 * canvas.height,
      depth: -eye[2],
      size: uniforms.sizeAttenuation.value ? uniforms.pointSize.value / -eye[2] : uniforms.pointSize.value * scale,
    });
  }
  return {points, canvas: {left: canvas.left, top: canvas.top, right: canvas.right, bottom: canvas.bottom},
          legend: option.items.map(item => item.label)};
}"""


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.strip()
    if colour.startswith("rgb"):
        return tuple(int(c) for c in re.findall(r"\d+", colour)[:3])
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _sample_legend_colours(page) -> list[str]:
    """The classes of the points no other point covers, each checked against its swatch."""
    from io import BytesIO

    from PIL import Image

    page.wait_for_function("window.portalProjector.picturesMs > 0", timeout=LOAD_TIMEOUT)  # the sprite sheet
    page.wait_for_timeout(500)  # a few frames
    scene = page.evaluate(POINTS_ON_SCREEN)
    # the page's own text over the map (region names, the key) is not what is measured here
    page.evaluate(
        "document.querySelectorAll('.region-names, .map-key').forEach(e => { e.style.visibility = 'hidden'; })"
    )
    shot = Image.open(BytesIO(page.screenshot())).convert("RGB")
    box = scene["canvas"]
    points = [
        p
        for p in scene["points"]
        if box["left"] + 30 < p["x"] < box["right"] - 30 and box["top"] + 30 < p["y"] < box["bottom"] - 30
    ]
    # unhidden: the middle of its picture is under no picture as near the camera or nearer
    unhidden = [
        p
        for p in points
        if p["size"] >= 10
        and not any(
            q is not p
            and q["depth"] <= p["depth"] + 1e-6
            and abs(q["x"] - p["x"]) < q["size"] / 2 + 4
            and abs(q["y"] - p["y"]) < q["size"] / 2 + 4
            for q in points
        )
    ]
    classes = []
    for point in unhidden:
        x, y, reach = round(point["x"]), round(point["y"]), max(1, int(point["size"] / 4))
        patch = [shot.getpixel((x + dx, y + dy)) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)]
        paper = max(set(patch), key=patch.count)  # the card's paper: most of its middle, the ink aside
        expected = _hex(point["colour"])
        assert max(abs(a - b) for a, b in zip(paper, expected)) <= 12, (point, paper)
        assert point["value"] in scene["legend"]
        classes.append(point["value"])
    return classes


def test_every_point_shows_its_legend_colour(browser, served_site):
    """At least 20 unhidden points of several classes, sampled from the rendered map in both
    precomputed layouts, are the colour of their legend swatch: the card's paper is white and
    the projector multiplies it by that colour."""
    page = _open(browser, served_site + "/movies/index.html")
    _wait_for_layout(page)
    classes = _sample_legend_colours(page)
    page.evaluate("document.querySelector('vz-projector').bookmarkPanel.loadSavedState(1)")
    classes += _sample_legend_colours(page)
    assert len(classes) >= 20 and len(set(classes)) >= 5, classes
    page.close()


def _colours_on_map(browser, address: str, portal: str) -> list[str]:
    """The colour the map gives each point, by the legend of its opening colour column."""
    page = _open(browser, f"{address}/{portal}/index.html")
    page.wait_for_function("document.body.classList.contains('map-ready')", timeout=LOAD_TIMEOUT)
    colours = page.evaluate("""() => {
      const el = document.querySelector('vz-projector');
      const column = el.dataPanel.selectedColorOptionName;
      const option = el.dataPanel.colorOptions.find(o => o.name === column);
      return el.dataSet.points.map(p => option.map(p.metadata[column]));
    }""")
    page.close()
    return colours


@pytest.mark.parametrize("portal", ["movies", "users"])
def test_the_build_colours_every_point_as_the_map_does(browser, served_site, demo_site, portal):
    """The colours the build gives the recommendation page are the map's, point by point (for the
    users, by a legend the page puts in order: the age bands)."""
    on_map = _colours_on_map(browser, served_site, portal)
    tints = json.loads((demo_site / portal / "recommend.json").read_text(encoding="utf-8"))["tints"]
    assert [_hex(tints["palette"][i]) for i in tints["of"]] == [_hex(colour) for colour in on_map]


def test_the_recommendation_page_and_the_preview_show_the_maps_colours(browser, served_site, demo_site):
    """The page's pictures and the landing preview are multiplied by the colour the map gives each point."""
    from io import BytesIO

    from PIL import Image

    on_map = _colours_on_map(browser, served_site, "movies")
    document = json.loads((demo_site / "movies" / "recommend.json").read_text(encoding="utf-8"))  # the index

    star_wars = _row_of(demo_site, "movies", "Star Wars (1977)")
    page = _open(browser, served_site + f"/movies/recommend.html#item={star_wars}")
    page.locator(".rec-card .rec-picture").first.wait_for(timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(500)
    shot = Image.open(BytesIO(page.screenshot())).convert("RGB")
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('.rec-card')).slice(0, 6).map(card => {
      const box = card.querySelector('.rec-picture').getBoundingClientRect();
      const title = card.querySelector('.rec-card-title').textContent;
      return {title, x: box.left + 6, y: box.top + box.height / 2, bottom: box.bottom};
    })""")
    labels = document["labels"]
    for card in [c for c in shown if c["bottom"] < 900]:
        expected = _hex(on_map[labels.index(card["title"])])
        got = shot.getpixel((round(card["x"]), round(card["y"])))  # the paper beside the frame, left of the text
        assert max(abs(a - b) for a, b in zip(got, expected)) <= 12, (card, got, expected)
    page.close()

    preview = Image.open(demo_site / "movies" / "preview.png").convert("RGB")
    counts = [count for count in document["counts"]]
    most = sorted(range(len(counts)), key=lambda i: (-counts[i], i))[0]
    assert max(abs(a - b) for a, b in zip(preview.getpixel((12, 80)), _hex(on_map[most]))) <= 12

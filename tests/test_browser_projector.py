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

LOAD_TIMEOUT = 90_000  # ms: SwiftShader on two cores is slow


def _row_of(demo_site, portal: str, label: str) -> int:
    rows = (demo_site / portal / "metadata.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return next(i for i, row in enumerate(rows) if row.split("\t")[0] == label)


def _open(browser, url: str):
    """A page on `url`, with every request that leaves 127.0.0.1 recorded in page.outside."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.outside = []
    host = url.split("/", 3)[:3]
    origin = "/".join(host)
    page.on("request", lambda request: page.outside.append(request.url)
            if not request.url.startswith(origin) and not request.url.startswith("data:") else None)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url)
    return page


def _wait_for_layout(page) -> float:
    """Seconds from "Points: N" in the projector's header to the precomputed layout being shown."""
    page.get_by_text("Points: 1682").first.wait_for(timeout=LOAD_TIMEOUT)
    data_seen = time.perf_counter()
    page.wait_for_function("window.portalProjector && window.portalProjector.state !== 'loading'",
                           timeout=LOAD_TIMEOUT)
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
    assert state["bookmarks"] == [{"label": "UMAP 3-D (precomputed)", "selected": True},
                                  {"label": "UMAP 2-D (precomputed)", "selected": False}]
    shown = page.locator("vz-projector-bookmark-panel textarea").evaluate_all("els => els.map(e => e.value)")
    assert shown == ["UMAP 3-D (precomputed)", "UMAP 2-D (precomputed)"]
    print(f"\nprecomputed layout shown {seconds:.1f} s after 'Points: 1682'")

    # without a selection, the header links to the recommendation page itself
    link = page.locator("#recommend-link")
    assert link.get_attribute("href") == "recommend.html" and link.inner_text() == "Recommendations"

    # the in-browser PCA still works (its coordinates survive the bookmark)
    page.locator("vz-projector-projections-panel .ink-tab[data-tab='pca']").click()
    page.wait_for_function("document.querySelector('vz-projector').projection.projectionType === 'pca'",
                           timeout=30_000)
    page.get_by_text("Total variance described").first.wait_for(timeout=30_000)
    pca = np.array(page.evaluate(STATE)["positions"]).reshape(-1, 3)
    assert np.isfinite(pca).all() and not np.allclose(pca, drawn)

    # and the 2-D layout is one click away in the bookmarks panel
    row = page.locator("vz-projector-bookmark-panel .state-row").nth(1)
    row.locator("paper-icon-button[icon='radio-button-unchecked']:visible").click()
    page.wait_for_function("document.querySelector('vz-projector').projection.dimensionality === 2",
                           timeout=30_000)
    state = page.evaluate(STATE)
    assert state["projection"] == "umap" and not state["umapRanInBrowser"]
    second = np.array([[p["umap-0"], p["umap-1"]] for p in saved[1]["projections"]])
    np.testing.assert_allclose(np.array(state["positions"]).reshape(-1, 3)[:, :2], _rescaled(second), atol=1e-4)

    assert not page.errors, page.errors
    assert not page.outside, f"requests left the site: {page.outside}"
    page.close()


def test_deep_link_selects_the_item_and_links_back(browser, served_site, demo_site):
    toy_story = _row_of(demo_site, "movies", "Toy Story (1995)")
    page = _open(browser, served_site + f"/movies/#item={toy_story}")
    _wait_for_layout(page)
    page.wait_for_function(f"window.portalProjector.item === {toy_story}", timeout=30_000)
    state = page.evaluate(STATE)
    assert state["projection"] == "umap" and state["selected"] == [toy_story]

    # its details open in the inspector
    page.locator("vz-projector-metadata-card").get_by_text("Toy Story (1995)").first.wait_for(timeout=30_000)
    # the camera looks at it
    assert state["status"]["cameraFocused"]
    point = state["positions"][3 * toy_story:3 * toy_story + 3]
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

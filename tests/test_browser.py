"""A real browser on the built demo: the landing page, the self-hosted projector, its search.

Runs Debian's chromium headless (WebGL through SwiftShader). It fails, not
skips, when the browser is missing: visitors rely on what it checks.
"""

from __future__ import annotations

import pytest
from conftest import serve


@pytest.fixture(scope="module")
def served_under_sub_path(demo_site, tmp_path_factory):
    """The site at /some-repo/, as GitHub Pages serves a project site."""
    root = tmp_path_factory.mktemp("pages-host")
    (root / "some-repo").symlink_to(demo_site, target_is_directory=True)
    server = serve(root)
    yield f"http://127.0.0.1:{server.server_address[1]}/some-repo"
    server.shutdown()


def test_landing_page_leads_to_a_working_projector(browser, served_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed_requests = []
    # a request the page's own navigation cuts short (a lazy preview still loading) is no failure
    page.on(
        "requestfailed",
        lambda request: failed_requests.append(request.url) if "ERR_ABORTED" not in (request.failure or "") else None,
    )
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(served_site) and not request.url.startswith("data:")
            else None
        ),
    )

    page.goto(served_site + "/")
    cards = page.locator(".card h3")
    assert cards.all_inner_texts() == ["Movies", "Moviegoers"]

    page.get_by_role("link", name="Open the map of movies").click()
    page.wait_for_url("**/movies/**")
    # the projector reports the loaded data in its header (inside its shadow DOM)
    page.get_by_text("Points: 1682").first.wait_for(timeout=90_000)
    assert page.get_by_text("Dimension: 100").first.is_visible()
    # the page opens on the precomputed layout; search once it is applied
    # (a search made earlier is covered by test_browser_projector.py)
    page.wait_for_function("window.portalProjector && window.portalProjector.state !== 'loading'", timeout=90_000)

    search = page.locator("vz-projector-inspector-panel input").first
    search.fill("Toy Story")
    search.press("Enter")
    page.get_by_text("1 matches.").first.wait_for(timeout=30_000)
    assert page.get_by_text("Toy Story (1995)").first.is_visible()

    assert not failed_requests, failed_requests
    assert not outside, f"requests left the site: {outside}"
    page.close()


def test_landing_page_fits_a_phone(browser, served_site):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(served_site + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert page.locator(".card").first.bounding_box()["width"] <= 360
    page.close()


def test_site_works_under_a_sub_path(browser, served_under_sub_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    responses = []
    page.on("response", lambda response: responses.append((response.status, response.url)))
    page.goto(served_under_sub_path + "/")
    page.get_by_role("link", name="Open the map of moviegoers").click()
    page.get_by_text("Points: 943").first.wait_for(timeout=90_000)
    page.goto(served_under_sub_path + "/docs/")
    assert page.locator("h1").first.is_visible()
    bad = [(status, url) for status, url in responses if status >= 400 or "/some-repo/" not in url]
    assert not bad, bad
    page.close()

"""A real browser on the built demo: the landing page, the self-hosted projector, its search.

Runs Debian's chromium headless (WebGL through SwiftShader). It fails, not
skips, when the browser is missing: visitors rely on what it checks.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory):
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def served_site(demo_site):
    server = _serve(demo_site)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def served_under_sub_path(demo_site, tmp_path_factory):
    """The site at /some-repo/, as GitHub Pages serves a project site."""
    root = tmp_path_factory.mktemp("pages-host")
    (root / "some-repo").symlink_to(demo_site, target_is_directory=True)
    server = _serve(root)
    yield f"http://127.0.0.1:{server.server_address[1]}/some-repo"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: ./portals.sh test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_landing_page_leads_to_a_working_projector(browser, served_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed_requests = []
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(served_site) and not request.url.startswith("data:") else None)

    page.goto(served_site + "/")
    cards = page.locator(".card h3")
    assert cards.all_inner_texts() == ["Movies", "Moviegoers"]

    page.get_by_role("link", name="Open the movies map").click()
    page.wait_for_url("**/movies/**")
    # the projector reports the loaded data in its header (inside its shadow DOM)
    page.get_by_text("Points: 1682").first.wait_for(timeout=90_000)
    assert page.get_by_text("Dimension: 100").first.is_visible()

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
    page.get_by_role("link", name="Open the moviegoers map").click()
    page.get_by_text("Points: 943").first.wait_for(timeout=90_000)
    page.goto(served_under_sub_path + "/docs/")
    assert page.locator("h1").first.is_visible()
    bad = [(status, url) for status, url in responses if status >= 400 or "/some-repo/" not in url]
    assert not bad, bad
    page.close()

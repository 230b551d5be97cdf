"""Screenshots of a built site, as a visitor sees it, at desktop and phone sizes.

    .venv/bin/python tools/screenshots.py [--site _site] [--out content/docs/images] [--portal movies] [--item 49]

Serves the site on 127.0.0.1, opens it in headless Chromium (Debian's
chromium, through Playwright) and writes, for the desktop (1400x900) and a
phone (390x844, touch):

    landing-{desktop,phone}.png      the landing page
    map-{desktop,phone}.png          the portal's map, once its layout is shown
    point-{desktop,phone}.png        the map with one point selected (--item)
    recommend-{desktop,phone}.png    the recommendation page for that point

The README and the docs show these files; run this after a visible change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
sys.path.insert(0, str(REPO / "tests"))
from browsing import CHROMIUM_ARGS, MISSING, find_chromium, serve  # noqa: E402


def _wait_for_map(page) -> None:
    page.wait_for_function("window.portalProjector && window.portalProjector.picturesMs > 0", timeout=120_000)
    page.wait_for_timeout(1000)  # a few frames


def take(site: Path, out: Path, portal: str, item: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        sys.exit(MISSING)
    out.mkdir(parents=True, exist_ok=True)
    server = serve(site)
    address = f"http://127.0.0.1:{server.server_address[1]}"
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            for size, options in SIZES.items():
                page = browser.new_page(**options)
                shots = [
                    ("landing", f"{address}/index.html", lambda p: p.wait_for_timeout(500)),
                    ("map", f"{address}/{portal}/index.html", _wait_for_map),
                    ("point", f"{address}/{portal}/index.html#item={item}", _wait_for_map),
                    (
                        "recommend",
                        f"{address}/{portal}/recommend.html#item={item}",
                        lambda p: p.locator(".rec-card").first.wait_for(timeout=60_000),
                    ),
                ]
                for name, url, ready in shots:
                    page.goto(url)
                    ready(page)
                    path = out / f"{name}-{size}.png"
                    page.screenshot(path=str(path))
                    written.append(path)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=REPO / "_site", help="a built site (default: _site)")
    parser.add_argument("--out", type=Path, default=REPO / "content/docs/images", help="where the PNG files go")
    parser.add_argument("--portal", default="movies", help="the portal to show (default: movies)")
    parser.add_argument("--item", type=int, default=49, help="the point to select, by row (default: 49, Star Wars)")
    args = parser.parse_args()
    for path in take(args.site, args.out, args.portal, args.item):
        print(path)


if __name__ == "__main__":
    main()

"""Map page figures: how long a visitor waits for the points, the precomputed layout and the pictures.

Usage: python benchmarks/map_page.py [--site _site] [--portal movies] [--runs 3]

Serves a built site on 127.0.0.1 as GitHub Pages serves it (text gzipped,
benchmarks/recommend_page.py's server), and opens the portal's map in a fresh
headless Chromium context (empty cache), on the loopback and throttled the
way a phone on 4G sees it (10 Mbit/s down, 100 ms round trips). Reported,
median of the runs, in ms since navigation (window.portalProjector, set by
static/projector.js):

- points: the projector has its data set, so the points are drawn;
- layout: the precomputed layout is on screen; and layout - points;
- pictures: the sprite sheet is on the points;
- names: the first region names are on the map (static/map-regions.js);
- bytes: on the wire until the points, and in all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from browsing import CHROMIUM_ARGS, MISSING, find_chromium  # noqa: E402
from recommend_page import serve, throttled_page  # noqa: E402

PROFILES = {
    "loopback": None,
    "4G 10 Mbit/s, 100 ms": {"latency": 100, "download": 10e6 / 8, "upload": 5e6 / 8},
}
TIMEOUT_MS = 300_000


def measure(browser, url: str, profile: dict | None, viewport: dict | None = None) -> dict:
    """One cold load; a `viewport` other than the desktop's (1400 x 900) is a phone's (touch)."""
    phone = {"is_mobile": True, "has_touch": True} if viewport else {}
    context, page = throttled_page(browser, profile, viewport or {"width": 1400, "height": 900}, **phone)
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url)
    # a page that leaves the sheet to the projector (no data-sprite) has it by the time the points show
    page.wait_for_function(
        "window.portalProjector && window.portalProjector.state !== 'loading' && "
        "(window.portalProjector.picturesMs != null || !document.querySelector('vz-projector[data-sprite]'))",
        timeout=TIMEOUT_MS,
    )
    status = page.evaluate("window.portalProjector")
    try:
        page.wait_for_function("window.portalRegions && window.portalRegions.firstShownMs() != null", timeout=30_000)
        names_at = page.evaluate("window.portalRegions.firstShownMs()")
    except Exception:  # a map without regions (no layouts), or a site built before them
        names_at = None
    origin = page.evaluate("performance.timeOrigin")
    # projector.js times from its own start, performance.now() from navigation; a page from before
    # startedAt ran its deferred module scripts right after parsing
    script_start = status.get("startedAt") or page.evaluate(
        "performance.getEntriesByType('navigation')[0].domInteractive"
    )
    points_at = script_start + status["dataMs"]
    before = total = 0
    sheet_at = None
    for request in finished:
        sizes = request.sizes()
        wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += wire
        timing = request.timing
        done = timing["startTime"] + timing["responseEnd"] - origin
        if done <= points_at:
            before += wire
        if "/sprite." in request.url:
            sheet_at = done
    context.close()
    return {
        "points": points_at,
        "layout": script_start + status["appliedMs"] if status["appliedMs"] else None,
        "pictures": script_start + status["picturesMs"] if status.get("picturesMs") else sheet_at,
        "names": names_at,
        "bytes to points": before,
        "bytes": total,
        "state": status["state"],
    }


def median(runs: list[dict], key: str) -> float:
    """The median of the runs' `key`, those that have one; NaN when none has."""
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def page_arguments(description: str) -> tuple[argparse.Namespace, str]:
    """--site, --portal and --runs, as the map benchmarks take them, and Debian's chromium (or exit)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--site", type=Path, default=REPO / "_site")
    parser.add_argument("--portal", default="movies")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    executable = find_chromium()
    if executable is None:
        sys.exit(MISSING)
    return args, executable


def main() -> None:
    args, executable = page_arguments(__doc__.splitlines()[0])
    from playwright.sync_api import sync_playwright

    server = serve(args.site.resolve())
    url = f"http://127.0.0.1:{server.server_address[1]}/{args.portal}/index.html"
    print(f"{args.portal} map, {args.site}: median of {args.runs} cold loads, ms since navigation")
    print(
        f"{'network':<22} {'points':>8} {'layout':>8} {'+layout':>8} {'pictures':>9} {'names':>8} "
        f"{'to points':>12} {'in all':>12}"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for name, profile in PROFILES.items():
            runs = [measure(browser, url, profile) for _ in range(args.runs)]

            print(
                f"{name:<22} {median(runs, 'points'):8.0f} {median(runs, 'layout'):8.0f} "
                f"{median(runs, 'layout') - median(runs, 'points'):8.0f} {median(runs, 'pictures'):9.0f} "
                f"{median(runs, 'names'):8.0f} "
                f"{median(runs, 'bytes to points'):12,.0f} {median(runs, 'bytes'):12,.0f}",
                flush=True,
            )
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()

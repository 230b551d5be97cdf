"""The pages' budgets: what a visitor on a phone waits for, measured on built sites.

Usage:
    python benchmarks/budgets.py [--runs 3] SITE:PORTAL [SITE:PORTAL ...]
    python benchmarks/budgets.py _site:movies /tmp/site-32m:movies /tmp/site-32m:users

The sites are served on 127.0.0.1 as GitHub Pages serves them (HTML, CSS, JS,
JSON and text gzipped: benchmarks/recommend_page.py's server; the binary
files as they are) and opened in headless Chromium, in a fresh context
each time (empty cache), at 10 Mbit/s down with 100 ms round trips, the way
a phone on 4G sees them. Medians of the runs:

- recommendation page, a cold visit to the deep link of its most counted
  point (`recommend.html#item=N`): the bytes on the wire until the first
  result is on screen, and the time from navigation to it;
- the same for a cold visit to a taste (`recommend.html#like=a,b,c&dislike=d`:
  the three most counted points liked, the tenth disliked), held to the same
  budgets: a large portal's page loads only the parts of the vectors nearest
  the taste (site_builder/site/taste_parts.py);
- map (`index.html`): the time from navigation until its points are drawn,
  and from then until the precomputed layout is on screen.

Each is printed beside its budget, chosen by the portal's size (up to 10,000
points, up to 100,000, more), with the files that make up the figures.
A large site comes from `benchmarks/scale.py --sizes 32M --users --keep DIR`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

import map_page  # noqa: E402
import recommend_page  # noqa: E402
from browsing import CHROMIUM_ARGS, MISSING, find_chromium  # noqa: E402

PROFILE = {"latency": 100, "download": 10e6 / 8, "upload": 5e6 / 8}

# (most points, budgets): bytes before the first result, first result ms, points ms, layout after points ms
BUDGETS = [
    (10_000, {"bytes": 600_000, "first": 1_500, "points": 5_000, "layout": 1_000}),
    (100_000, {"bytes": 2_500_000, "first": 3_000, "points": 10_000, "layout": 3_000}),
    (250_000, {"bytes": 4_000_000, "first": 4_000, "points": 15_000, "layout": 4_000}),
]


def budget_for(count: int) -> dict:
    return next((b for most, b in BUDGETS if count <= most), BUDGETS[-1][1])


def files(folder: Path) -> list[tuple[str, int, int | None]]:
    """(file, bytes, gzipped bytes when it is served gzipped) of what the two pages load first."""
    index = json.loads((folder / "recommend.json").read_text(encoding="utf-8"))
    config = json.loads((folder / "projector_config.json").read_text(encoding="utf-8"))["embeddings"][0]
    rows = []
    for name in ("recommend.json", index["blocks"]["path"] + "0.json", config["tensorPath"], "metadata.txt"):
        data = (folder / name).read_bytes()
        packed = len(gzip.compress(data, 6, mtime=0)) if not name.endswith(".bytes") else None
        rows.append((name.split("/")[-1], len(data), packed))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portals", nargs="+", help="SITE:PORTAL, e.g. _site:movies")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        sys.exit(MISSING)
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for given in args.portals:
            site, _, portal = given.rpartition(":")
            folder = Path(site).resolve() / portal
            index = json.loads((folder / "recommend.json").read_text(encoding="utf-8"))
            count = index["count"]
            item = max(range(count), key=lambda i: (index["counts"][i], -i))
            print(f"{given}: {count:,} points", flush=True)
            for name, raw, packed in files(folder):
                print(f"  {name:<24}{raw:>14,} bytes" + (f", {packed:,} gzipped" if packed else ""))
            server = recommend_page.serve(Path(site).resolve())
            base = f"http://127.0.0.1:{server.server_address[1]}/{portal}"
            pages = [
                recommend_page.measure(browser, f"{base}/recommend.html#item={item}", PROFILE, False)
                for _ in range(args.runs)
            ]
            popular = sorted(range(count), key=lambda i: (-index["counts"][i], i))
            taste = f"#like={popular[0]},{popular[1]},{popular[2]}&dislike={popular[min(9, count - 1)]}"
            tastes = [
                recommend_page.measure(browser, f"{base}/recommend.html{taste}", PROFILE, True, warm=False)
                for _ in range(args.runs)
            ]
            maps = [map_page.measure(browser, f"{base}/index.html", PROFILE) for _ in range(args.runs)]
            server.shutdown()
            figures = {
                "bytes": statistics.median(p["bytes to first result"] for p in pages),
                "first": statistics.median(p["first result ms"] for p in pages),
                "taste bytes": statistics.median(p["bytes to first result"] for p in tastes),
                "taste": statistics.median(p["first result ms"] for p in tastes),
                "points": statistics.median(m["points"] for m in maps),
                "layout": statistics.median(m["layout"] - m["points"] for m in maps),
            }
            rows.append((given, count, figures, budget_for(count)))
        browser.close()

    print(f"\nat 10 Mbit/s with 100 ms round trips, cold, median of {args.runs}; figure / budget")
    header = [
        "portal",
        "points",
        "bytes to 1st result",
        "1st result ms",
        "bytes to 1st taste",
        "1st taste ms",
        "map points ms",
        "layout after ms",
    ]
    print(f"{header[0]:<28}{header[1]:>9}" + "".join(f"{h:>24}" for h in header[2:]))
    missed = 0
    for given, count, figures, budget in rows:
        cells = []
        for key in ("bytes", "first", "taste bytes", "taste", "points", "layout"):
            limit = budget[{"taste bytes": "bytes", "taste": "first"}.get(key, key)]  # a taste's budget is the item's
            within = figures[key] <= limit
            missed += not within
            cells.append(f"{figures[key]:,.0f} / {limit:,} {'ok' if within else 'OVER'}")
        print(f"{given:<28}{count:>9,}" + "".join(f"{c:>24}" for c in cells))
    print("all within budget" if not missed else f"{missed} figure(s) over budget")


if __name__ == "__main__":
    main()

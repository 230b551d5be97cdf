"""Recommendation page figures: what a visitor downloads and how long until the first
result, for the demo's movies portal and for a synthetic 20,000-item portal.

Usage: python benchmarks/recommend_page.py [--demo-site _site] [--items 20000] [--runs 3]

The 20,000-item portal is synthesised: clustered random vectors (100 dims),
fake labels and genres, and random clustered interactions for the evidence;
its page data and page are made by the build's own functions (its points have
no pictures: the page draws their cards). Without --demo-site the demo is built into a temporary
folder first (about a minute).

Both sites are served on 127.0.0.1 the way GitHub Pages serves them: HTML,
CSS, JS and JSON gzip-compressed, images and the binary vectors as they are.
Headless chromium then loads `recommend.html#item=...` and a taste query
(`#like=a,b,c&dislike=d`) in a fresh context (empty cache), on the loopback
with a phone-like profile (40 ms latency, 10 Mbit/s down, 4x slower CPU), and at 10 Mbit/s
with 100 ms round trips (the budgets' profile).
Reported per case: bytes transferred (as compressed on the wire) in all and
before the first result, time from navigation to the first result on screen,
and for taste queries the vectors' fetch+decode and one ranking.
benchmarks/budgets.py measures the built sites against the pages' budgets.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "tests"))
import browsing  # noqa: E402
from browsing import CHROMIUM_ARGS, MISSING, find_chromium  # noqa: E402

from site_builder import colours  # noqa: E402
from site_builder.config.schema import named_words  # noqa: E402
from site_builder.data.readers.movielens import ML100K_GENRES  # noqa: E402
from site_builder.model.neighbours import top_k_neighbours  # noqa: E402
from site_builder.site import pages, recommend  # noqa: E402

GZIPPED = {".html", ".css", ".js", ".json", ".svg", ".txt"}
PROFILES = {
    "loopback": None,
    "phone 4G": {"latency": 40, "download": 10e6 / 8, "upload": 5e6 / 8, "cpu": 4},
    # the profile the pages' budgets are set for (benchmarks/map_page.py uses it too)
    "10M 100ms": {"latency": 100, "download": 10e6 / 8, "upload": 5e6 / 8, "cpu": 1},
}
GENRES = ML100K_GENRES[1:]  # without "unknown"
WORDS = [
    "Amour",
    "Night",
    "Café",
    "River",
    "Étoile",
    "Garden",
    "Ghost",
    "Señor",
    "Winter",
    "Blue",
    "Über",
    "Return",
    "City",
    "Island",
    "Señora",
    "Last",
    "Dream",
    "Fire",
    "Crème",
    "Shadow",
    "North",
    "Queen",
    "Game",
    "Road",
]


# ------------------------------------------------------------------ the synthetic portal


def synthetic_portal(site: Path, count: int, dims: int = 100, seed: int = 0) -> dict:
    """Write a `big` portal's recommendation page (data, sprite, HTML) into `site`; figures of the build."""
    rng = np.random.default_rng(seed)
    clusters = 200
    cluster = rng.integers(0, clusters, count)
    centres = rng.normal(size=(clusters, dims))
    vectors = (centres[cluster] + 0.8 * rng.normal(size=(count, dims))).astype(np.float32)
    years = rng.integers(1920, 2024, count)
    labels = [
        f"{WORDS[a]} {WORDS[b]} {i} ({y})"
        for i, (a, b, y) in enumerate(
            zip(rng.integers(0, len(WORDS), count), rng.integers(0, len(WORDS), count), years)
        )
    ]
    cluster_genres = [rng.choice(len(GENRES), 3, replace=False) for _ in range(clusters)]
    genres = [
        "|".join(GENRES[g] for g in sorted(set(rng.choice(cluster_genres[c], rng.integers(1, 4))))) for c in cluster
    ]
    table = pd.DataFrame(
        {
            "title": labels,
            "year": years,
            "decade": [f"{y // 10 * 10}s" for y in years],
            "genres": genres,
            "first_genre": [g.split("|")[0] for g in genres],
        }
    )
    # interactions: 60,000 users, 2,000,000 ratings, each user mostly in 3 clusters
    users, ratings = 60_000, 2_000_000
    by_cluster = [np.flatnonzero(cluster == c) for c in range(clusters)]
    user = rng.integers(0, users, ratings)
    favourite = rng.integers(0, clusters, (users, 3))[user, rng.integers(0, 3, ratings)]
    item = np.where(
        rng.random(ratings) < 0.8,
        np.array([by_cluster[c][rng.integers(0, len(by_cluster[c]))] if len(by_cluster[c]) else 0 for c in favourite]),
        rng.integers(0, count, ratings),
    )
    table["num_ratings"] = np.bincount(item, minlength=count)

    figures = {}
    started = time.perf_counter()
    index, score = top_k_neighbours(vectors, 12)
    figures["neighbours s"] = time.perf_counter() - started
    tints = colours.point_tints(table["first_genre"])  # as the build colours the map and the page
    started = time.perf_counter()
    data = recommend.page_data(
        table=table,
        label="title",
        columns=["title", "year", "decade", "genres", "first_genre", "num_ratings"],
        vectors=vectors,
        neighbour_index=index,
        neighbour_score=score,
        point_index=item,
        other_index=user,
        num_other=users,
        points="items",
        words=named_words({"item": "film"}),
        counts=table["num_ratings"].to_numpy(),
        tints=tints,
    )
    figures["page data s"] = time.perf_counter() - started
    figures["loss"] = data.loss.describe()
    for dtype in ("float16",):
        figures[f"loss {dtype}"] = recommend.measure_loss(vectors, dtype).describe()
    figures["loss int8 global"] = recommend.measure_loss(vectors, "int8", "global").describe()

    folder = site / "big"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in data.files.items():
        (folder / name).write_bytes(content)
    model = pages.SiteModel(title="Benchmark", description="", sentence_models="uSIF")
    model.portals.append(
        pages.PortalPage(
            name="big",
            title="Films",
            description="",
            noun="films",
            num_points=count,
            dimensions=dims,
            num_interactions=ratings,
            preview="big/preview.png",
            preview_size=(1, 1),
            blocks=data.blocks,
            block_size=data.block_size,
        )
    )
    (folder / "recommend.html").write_text(pages.render_pages(model)["big/recommend.html"], encoding="utf-8")
    for name, content in pages.static_files().items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)
    figures["item"] = int(np.argmax(table["num_ratings"].to_numpy()))
    figures["taste"] = [int(i) for i in rng.choice(count, 4, replace=False)]
    return figures


# ------------------------------------------------------------------ serving like GitHub Pages


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Text files gzip-compressed when the browser accepts it, like GitHub Pages; the rest as is."""

    cache: dict = {}

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.suffix in GZIPPED and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = self.cache.get(path)
            if body is None:
                body = self.cache[path] = gzip.compress(path.read_bytes(), 6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()


def serve(directory: Path):
    return browsing.serve(directory, GzipHandler)


# ------------------------------------------------------------------ measuring in chromium


def throttled_page(browser, profile: dict | None, viewport: dict, **device):
    """A page in a fresh context (empty cache), its network (and CPU) slowed to `profile`; `device`:
    more of the context's options (is_mobile, has_touch)."""
    context = browser.new_context(viewport=viewport, **device)
    page = context.new_page()
    if profile:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": profile["latency"],
                "downloadThroughput": profile["download"],
                "uploadThroughput": profile["upload"],
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.get("cpu", 1)})
    return context, page


def measure(browser, url: str, profile: dict | None, taste: bool, warm: bool = True) -> dict:
    context, page = throttled_page(browser, profile, {"width": 1280, "height": 900})
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1") else None)
    page.goto(url)
    selector = ".rec-taste-result .rec-card" if taste else ".rec-item .rec-card"
    page.locator(selector).first.wait_for(timeout=120_000)
    timing = page.evaluate("window.recommendPage.timing")
    origin = page.evaluate("performance.timeOrigin")
    page.wait_for_load_state("networkidle")
    pictures_done = None
    transfer = before = 0
    files = {}
    for request in finished:
        sizes = request.sizes()
        wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        transfer += wire
        files[request.url.rsplit("/", 1)[-1]] = wire
        t = request.timing
        done = t["startTime"] + t["responseEnd"] - origin
        if done <= timing["firstResult"]:
            before += wire
        if request.resource_type == "image":
            pictures_done = max(pictures_done or 0, done)
    rank_times = []
    if taste and warm:  # warm rankings: change the taste a few times
        for extra in range(3):
            page.evaluate(f"location.hash = location.hash + ',{extra + 100}'")
            page.wait_for_function(
                "document.getElementById('rec-result').getAttribute('data-state') === location.hash", timeout=60_000
            )
            rank_times.append(page.evaluate("window.recommendPage.timing.rank"))
    context.close()
    assert not outside, outside
    return {
        "first result ms": timing["firstResult"],
        "data parsed ms": timing["data"],
        "pictures ms": pictures_done,
        "vectors ms": timing.get("vectors"),
        "rank ms": timing.get("rank"),
        "warm rank ms": statistics.median(rank_times) if rank_times else None,
        "transfer bytes": transfer,
        "bytes to first result": before,
        "files": files,
    }


def file_table(folder: Path, names: list[str]) -> list[tuple[str, int, int]]:
    rows = []
    for name in names:
        path = folder / name
        raw = path.read_bytes()
        rows.append((name, len(raw), len(gzip.compress(raw, 6, mtime=0))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-site", type=Path, help="a built demo site (default: build one)")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        demo = args.demo_site
        if demo is None:
            from site_builder.build import build_site

            print("building the demo…", flush=True)
            demo = work / "demo"
            build_site(REPO / "content", demo, work / "cache")
        demo = Path(demo).resolve()
        big = work / "big-site"
        print(f"synthesising a {args.items:,}-item portal…", flush=True)
        figures = synthetic_portal(big, args.items)
        for key in ("neighbours s", "page data s"):
            print(f"  {key:<14} {figures[key]:.1f}")
        print(f"  vectors        {figures['loss']}")
        print(f"  (global scale) {figures['loss int8 global']}")
        print(f"  (float16)      {figures['loss float16']}")

        demo_data = json.loads((demo / "movies" / "recommend.json").read_text(encoding="utf-8"))
        suspects = demo_data["labels"].index("The Usual Suspects (1995)")
        toy, fargo, goldeneye = (
            demo_data["labels"].index(t) for t in ("Toy Story (1995)", "Fargo (1996)", "GoldenEye (1995)")
        )
        cases = {
            "demo": (demo, "movies", suspects, [toy, suspects, fargo], [goldeneye]),
            f"{args.items // 1000}k": (
                big,
                "big",
                figures["item"],
                figures["taste"][:3],
                figures["taste"][3:],
            ),
        }

        print("\nfiles of the page (bytes; gzip = what GitHub Pages sends for text files)")
        print(f"{'portal':<8}{'file':<20}{'raw':>12}{'gzip':>12}")
        for name, (root, folder, *_rest) in cases.items():
            index = json.loads((root / folder / "recommend.json").read_text(encoding="utf-8"))
            names = [
                "recommend.html",
                "../static/recommend.js",
                "../static/recommend-core.js",
                "../static/site.css",
                "recommend.json",
                index["blocks"]["path"] + "0.json",
                index["vectors"]["path"],
            ]
            for file, raw, packed in file_table(root / folder, names):
                print(f"{name:<8}{file.replace('../static/', '').split('/')[-1]:<20}{raw:>12,}{packed:>12,}")

        results = {}
        with sync_playwright() as playwright:
            executable = find_chromium()
            if executable is None:
                sys.exit(MISSING)
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            for name, (root, folder, item, like, dislike) in cases.items():
                server = serve(root)
                base = f"http://127.0.0.1:{server.server_address[1]}/{folder}/recommend.html"
                urls = {
                    "#item": f"{base}#item={item}",
                    "taste": f"{base}#like={','.join(map(str, like))}&dislike={','.join(map(str, dislike))}",
                }
                for profile_name, profile in PROFILES.items():
                    for kind, url in urls.items():
                        runs = [measure(browser, url, profile, kind == "taste") for _ in range(args.runs)]
                        results[(name, profile_name, kind)] = runs
                server.shutdown()
            browser.close()

    def med(runs, key):
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    def fmt(value):
        return "-" if value is None else f"{value:,.0f}"

    def fmt1(value):
        return "-" if value is None else f"{value:.1f}"

    print(f"\nin headless chromium, median of {args.runs} cold loads (empty cache); ms since navigation")
    print(
        f"{'portal':<8}{'network':<12}{'view':<8}{'transfer':>12}{'data':>8}{'first result':>14}{'to first':>10}"
        f"{'vectors':>9}{'rank':>7}{'warm rank':>11}"
    )
    for (name, profile_name, kind), runs in results.items():
        print(
            f"{name:<8}{profile_name:<12}{kind:<8}{fmt(med(runs, 'transfer bytes')):>12}"
            f"{fmt(med(runs, 'data parsed ms')):>8}{fmt(med(runs, 'first result ms')):>14}"
            f"{fmt(med(runs, 'bytes to first result')):>10}{fmt(med(runs, 'vectors ms')):>9}"
            f"{fmt1(med(runs, 'rank ms')):>7}{fmt1(med(runs, 'warm rank ms')):>11}"
        )
    print("\nbytes on the wire per file (first run of each case)")
    for (name, profile_name, kind), runs in results.items():
        if profile_name == "loopback":
            print(f"  {name} {kind}: " + ", ".join(f"{f} {b:,}" for f, b in runs[0]["files"].items()))


if __name__ == "__main__":
    main()

"""Scale figures: a whole portal built from synthetic MovieLens-shaped data of 1M, 10M and 32M interactions.

Usage:
    python benchmarks/scale.py                          # 1M, 10M and 32M, cold builds
    python benchmarks/scale.py --sizes 1M --browser     # and open the portal in headless Chromium
    python benchmarks/scale.py --sizes 32M --embedding '{"word2vec": {"sg": 0}}'   # a variant
    python benchmarks/scale.py --sizes 32M --users --keep /tmp/site-32m   # both maps; keep the site
    python benchmarks/scale.py --sizes 32M --users --keep /tmp/site-32m --cache /tmp/cache-32m   # warm next time

For each size the data is generated once (site_builder.data.synthetic, seeded) into
.cache/synthetic/ and reused; generating it is not part of the build's time.
The build then runs cold (an empty cache) in its own process, with the
product's defaults (the `auto` training settings, UMAP layouts, generated
cards), and this prints, stage by stage, the seconds and the process's peak
resident memory when the stage ended, then the total, the site's size and
the quality check: the share of each movie's 10 nearest neighbours (the
recommendation data's, cosine on the vectors the site ships) that have the
movie's planted taste, next to the same share for ItemKNN on the same data and
the chance level; with --users, the same for the users (their main taste,
and UserKNN).

--browser opens the built projector page in headless Chromium (Debian's
chromium, as the tests use it) and reports the time until the projector
shows "Points: N" and until the precomputed layout is applied.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from site_builder.data.synthetic import generate, parse_size  # noqa: E402

RUN_ONE = """
import json, logging, resource, sys
from site_builder.build import build_site
logging.basicConfig(level=logging.WARNING, format="%(message)s")
logging.getLogger("site_builder").setLevel(logging.INFO)  # the stage log, on stderr
s = build_site(sys.argv[1], sys.argv[2], sys.argv[3])
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the worker beside the build
print(json.dumps({"total": s.total_seconds, "stages": s.stage_seconds, "rss": s.stage_peak_rss,
                  "bytes": s.site_bytes, "worker_rss": worker}))
"""

SITE = """\
title: Synthetic catalogue
docs: docs
datasets:
  synthetic:
    format: movielens-csv
    path: {data}
portals:
  - name: movies
    title: Movies
    dataset: synthetic
    points: items
    label: title
    color_by: first_genre
    metadata: [year, genres, num_ratings]
    embedding: {embedding}
"""

# --users: the map of the users beside the map of the movies, as the demo has both
USERS_PORTAL = """\
  - name: users
    title: Users
    dataset: synthetic
    points: users
    label: id
    metadata: [favourites, num_ratings]
    embedding: {embedding}
"""


def write_content(content: Path, data: Path, embedding: str = "{}", users: bool = False) -> None:
    """A content folder of the synthetic data in `data`: its movies' map, and with `users` its users'."""
    (content / "docs").mkdir(parents=True)
    (content / "docs" / "index.md").write_text("# Synthetic\n\nA scale test.\n")
    site = SITE.format(data=data, embedding=embedding)
    if users:
        site += USERS_PORTAL.format(embedding=embedding)
    (content / "site.yml").write_text(site)


def dataset(size: int, seed: int) -> Path:
    folder = REPO / ".cache" / "synthetic" / f"movielens-{size}-seed{seed}"
    if not (folder / "ratings.csv").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        info = generate(folder, size, seed=seed)
        print(
            f"generated {size:,} interactions ({info.items:,} items, {info.users:,} users) "
            f"in {time.perf_counter() - started:.0f} s into {folder}",
            flush=True,
        )
    return folder


def _knn_share(matrix, tastes, sample) -> float:
    """Share of the 10 nearest rows (exact cosine on the binary matrix) with the row's taste, over `sample`."""
    import numpy as np
    import scipy.sparse as sp

    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    unit = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix
    similarity = (unit[sample] @ unit.T.tocsc()).toarray()
    similarity[np.arange(len(sample)), sample] = -np.inf
    top = np.argsort(-similarity, axis=1)[:, :10]
    return float((tastes[top] == tastes[sample][:, None]).mean())


def quality(site: Path, data: Path, users: bool = False) -> dict:
    """Share of each point's top-10 neighbours with its planted taste: the shipped neighbours (the
    recommendation data's) and ItemKNN / UserKNN on 2,000 sampled points; for the users map too."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from site_builder.data.synthetic import load_tastes, taste_agreement
    from site_builder.site.recommend import read_page_data

    ratings = pd.read_csv(data / "ratings.csv", usecols=["userId", "movieId"], engine="c")
    figures = {}
    for points in ("items", "users") if users else ("items",):
        folder = site / ("movies" if points == "items" else "users")
        shipped = read_page_data(folder)
        ids = pd.read_csv(folder / "metadata.txt", sep="\t", usecols=["id"])["id"].to_numpy()
        tastes = load_tastes(data, ids, points)
        k = shipped["k"]
        neighbours = np.asarray(shipped["neighbours"]).reshape(-1, k)[:, :10]
        own = pd.Index(ids).get_indexer((ratings["movieId"] if points == "items" else ratings["userId"]).to_numpy())
        other = pd.factorize(ratings["userId"] if points == "items" else ratings["movieId"])[0]
        matrix = sp.csr_matrix((np.ones(len(own), np.float32), (own, other)), shape=(len(ids), other.max() + 1))
        sample = np.random.default_rng(0).choice(len(ids), size=min(2000, len(ids)), replace=False)
        shares = np.bincount(tastes) / len(tastes)
        figures[points] = {
            "method": taste_agreement(neighbours, tastes),
            "knn_sample": _knn_share(matrix, tastes, sample),
            "chance": float((shares**2).sum()),
        }
    return figures


def open_in_browser(site: Path, points: int) -> dict:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from browsing import CHROMIUM_ARGS, MISSING, find_chromium, serve

    server = serve(site)
    url = f"http://127.0.0.1:{server.server_address[1]}/movies/"
    executable = find_chromium()
    if executable is None:
        sys.exit(MISSING)
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(url)
            page.get_by_text(f"Points: {points}").first.wait_for(timeout=600_000)
            loaded = time.perf_counter() - started
            page.wait_for_function(
                "window.portalProjector && window.portalProjector.state !== 'loading'", timeout=600_000
            )
            laid_out = time.perf_counter() - started
            state = page.evaluate("window.portalProjector.state")
            browser.close()
    finally:
        server.shutdown()
    return {"points_shown_s": loaded, "layout_applied_s": laid_out, "state": state}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M,32M")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--embedding", default="{}", help="embedding settings (JSON) for the portal")
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the last built site in this folder")
    parser.add_argument("--users", action="store_true", help="build the map of the users too (both maps)")
    parser.add_argument(
        "--cache", type=Path, help="keep the build's cache in this folder (a warm rebuild, for the site's files)"
    )
    args = parser.parse_args()
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        data = dataset(size, args.seed)
        with tempfile.TemporaryDirectory(dir=REPO / ".cache") as work:
            work = Path(work)
            content = work / "content"
            write_content(content, data, args.embedding, args.users)
            result = subprocess.run(
                [sys.executable, "-c", RUN_ONE, str(content), str(work / "site"), str(args.cache or work / "cache")],
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )
            if result.returncode != 0:
                raise SystemExit(f"build of {size:,} interactions failed")
            run = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"\n== {size:,} interactions, embedding {args.embedding}")
            print(f"{'stage':<28}{'seconds':>10}{'peak MB':>10}")
            for stage, seconds in run["stages"].items():
                print(f"{stage:<28}{seconds:>10.1f}{run['rss'][stage] / 2**20:>10.0f}")
            print(f"{'total':<28}{run['total']:>10.1f}{max(run['rss'].values()) / 2**20:>10.0f}")
            if run.get("worker_rss", 0):
                print(
                    f"peak resident memory of the worker beside the build: {run['worker_rss'] / 2**20:.0f} MB "
                    "(a process of its own, with its own copy of the loaded data: the two peaks add up at most)"
                )
            else:
                print("no second process ran: the first portal's vectors were in the cache, or it was not worth one")
            print(
                f"site: {run['bytes'] / 2**20:.1f} MB; "
                + ", ".join(
                    f"{p.name} {p.stat().st_size / 2**20:.1f} MB"
                    for p in sorted((work / "site" / "movies").iterdir())
                    if p.stat().st_size > 2**20
                )
            )
            for points, figures in quality(work / "site", data, args.users).items():
                baseline, noun = ("ItemKNN", "movies") if points == "items" else ("UserKNN", "users")
                print(
                    f"{noun}: top-10 neighbours with the same planted taste: method {figures['method']:.3f}, "
                    f"{baseline} {figures['knn_sample']:.3f} (2,000 sampled {noun}), chance {figures['chance']:.3f}"
                )
            if args.browser:
                config = json.loads((work / "site" / "movies" / "projector_config.json").read_text())
                shown = open_in_browser(work / "site", config["embeddings"][0]["tensorShape"][0])
                print(
                    f"projector: 'Points: {config['embeddings'][0]['tensorShape'][0]}' after "
                    f"{shown['points_shown_s']:.1f} s, layout state '{shown['state']}' after "
                    f"{shown['layout_applied_s']:.1f} s"
                )
            if args.keep:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.copytree(work / "site", args.keep)
        sys.stdout.flush()


if __name__ == "__main__":
    main()

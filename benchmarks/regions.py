"""Named regions on synthetic data: do the names find the planted tastes?

Usage:
    python benchmarks/regions.py                          # 1M interactions, strong tastes, both maps
    python benchmarks/regions.py --sizes 100K,1M --taste-share 0.3
    python benchmarks/regions.py --site /tmp/site --data DATA   # a site already built from DATA

It builds (into a temporary folder, with the cache of .cache/benchmarks-regions)
the two maps benchmarks/scale.py builds of synthetic MovieLens-shaped data
(site_builder.data.synthetic, seeded; generated as benchmarks/method_grid.py
keeps it): the movies, coloured and named by their genres, and the users, whose
portal names no colours and so opens coloured, and is named, by their leaning (the
genre they watch more than everyone does) and the other summaries. The data
plants one taste in every movie, and each taste has a main
genre that 90% of its movies carry and a second one that half of them carry; a
user's main taste is the one they draw most from.

For every region of every layout (found again exactly as the build found them,
and checked against the site's regions.json) it takes the dominant planted
taste of its points and prints, per map, layout and level:

- regions: how many, and how many are named by a category (the rest by a
  quarter of a column of numbers, or by their best-known members);
- purity: the median share of a region's points that have its dominant taste
  (chance: the dominant taste's share of the whole map);
- named after its taste: the share of the regions named by a category whose
  first value is their dominant taste's main or second genre;
- lift: the median of how many times more often a region's first value is
  found in the region than on the whole map.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from method_grid import data_folder  # noqa: E402
from scale import write_content  # noqa: E402

from site_builder.data.synthetic import Shape, load_tastes, parse_size  # noqa: E402
from site_builder.model import regions  # noqa: E402


def build(data: Path, out: Path) -> float:
    """Both maps of the data, as benchmarks/scale.py builds them, into `out`; the seconds."""
    from site_builder.build import build_site

    write_content(out.parent / "content", data, users=True)
    started = time.perf_counter()
    build_site(out.parent / "content", out, REPO / ".cache" / "benchmarks-regions")
    return time.perf_counter() - started


def taste_genres(data: Path) -> dict[int, set[str]]:
    """Each taste's main and second genre: the two its movies carry most often."""
    movies = pd.read_csv(data / "movies.csv")
    movies["taste"] = load_tastes(data, movies["movieId"])
    pairs = movies.assign(genre=movies["genres"].str.split("|")).explode("genre")
    counts = pairs.groupby(["taste", "genre"]).size()
    return {int(taste): set(group.droplevel(0).nlargest(2).index) for taste, group in counts.groupby(level=0)}


def measure(site: Path, data: Path, portal: str, points: str) -> list[dict]:
    metadata = pd.read_csv(site / portal / "metadata.txt", sep="\t", dtype=str, keep_default_na=False, quoting=3)
    states = json.loads((site / portal / "bookmarks.json").read_text(encoding="utf-8"))
    shipped = json.loads((site / portal / "regions.json").read_text(encoding="utf-8"))["layouts"]
    tastes = load_tastes(data, metadata["id"].astype(np.int64), points)
    genres_of = taste_genres(data)
    popularity = metadata["num_ratings"].astype(np.int64).to_numpy()
    label = metadata.columns[0]
    columns = [c for c in metadata.columns if c not in (label, "id")]
    rows = []
    for state, listed in zip(states, shipped):
        keys = sorted(state["projections"][0])
        coords = np.array([[p[k] for k in keys] for p in state["projections"]], dtype=np.float32)
        found = regions.find_regions(coords, metadata, columns, label, popularity)
        names = [r.name for r in found]
        assert names == [r["name"] for r in listed], f"{portal}: the regions differ from the site's regions.json"
        overall = np.bincount(tastes) / len(tastes)
        for level in range(len(regions.LEVELS)):
            at = [r for r in found if r.level == level]
            if not at:
                continue
            purity, chance, named, after, lift = [], [], 0, 0, []
            for region in at:
                counts = np.bincount(tastes[region.members], minlength=len(overall))
                dominant = int(counts.argmax())
                purity.append(counts[dominant] / region.count)
                chance.append(overall[dominant])
                first = region.terms[0] if region.terms else None
                if first is not None and first.value[:2] not in ("≤ ", "≥ "):  # a category, not a quarter of numbers
                    named += 1
                    after += first.value in genres_of[dominant]
                    lift.append(first.share / first.overall)
            rows.append(
                {
                    "map": portal,
                    "layout": state["label"].replace(" (precomputed)", ""),
                    "level": level,
                    "regions": len(at),
                    "named": named,
                    "purity": float(np.median(purity)),
                    "chance": float(np.median(chance)),
                    "after": after / named if named else float("nan"),
                    "lift": float(np.median(lift)) if lift else float("nan"),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M", help="interactions, comma-separated (default 1M)")
    parser.add_argument("--taste-share", type=float, default=0.8, help="the data's taste share (default 0.8)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--site", type=Path, help="measure this built site instead of building one")
    parser.add_argument("--data", type=Path, help="the synthetic data --site was built from")
    args = parser.parse_args()
    runs = []
    if args.site:
        runs.append(("given", args.site, args.data))
    else:
        for size in [parse_size(s) for s in args.sizes.split(",")]:
            data = data_folder(size, Shape(taste_share=args.taste_share), args.seed)
            out = Path(tempfile.mkdtemp(prefix="regions-")) / "site"
            seconds = build(data, out)
            print(f"{size:,} interactions, taste share {args.taste_share:g}: built in {seconds:.0f} s", flush=True)
            runs.append((f"{size:,}", out, data))
    print("| data | map | layout | level | regions | by category | purity (chance) | named after its taste | lift |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, site, data in runs:
        for portal, points in (("movies", "items"), ("users", "users")):
            for row in measure(site, data, portal, points):
                print(
                    f"| {name} | {row['map']} | {row['layout']} | {row['level']} | {row['regions']} | {row['named']} "
                    f"| {row['purity']:.2f} ({row['chance']:.2f}) | {row['after']:.2f} | {row['lift']:.1f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

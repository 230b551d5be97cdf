"""What a first taste ranking could load instead of every vector: compact copies measured against the exact ranking.

Usage:
    python benchmarks/taste_at_scale.py SITE:PORTAL [SITE:PORTAL ...] [--queries 200]

A taste ranking over the portal's whole vectors file fetches N x D bytes
(int8: 8.8 MB at 87,585 movies, 20 MB at 200,947 users), 7 and 16 s at
10 Mbit/s. For each portal (its `tensors.bytes` and `metadata.txt`) this
measures what smaller downloads would rank, with the build's own measure
(recommend.measure_loss): random taste queries of 3 likes and 1 dislike, the
share of the top 10 that belongs to the exact top 10 of the unit vectors.

- pca D': the unit rows' top D' principal components, int8 per component (the
  map's compact copy is of this kind); the bytes are N x D'.
- parts P%: what the build ships (site_builder/site/taste_parts.py): k-means
  clusters of the int8 rows; a query loads the chosen points' clusters, then
  the others best bound first (centroid . q + radius x |q|, the most any point
  of the cluster can score) until P% of the points are in, and ranks those;
  the bytes are the clusters' int8 rows, on average over the build's own 200
  random tastes. The build ships the smallest P that keeps 0.95.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from site_builder.model.neighbours import top_agreement  # noqa: E402
from site_builder.site import taste_parts  # noqa: E402
from site_builder.site.recommend import dequantise, quantise, unit_rows  # noqa: E402

COMPONENTS = (8, 16, 24, 32, 48)
TOP = 10


def queries(count: int, how_many: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.choice(count, 4, replace=False) for _ in range(how_many)]


def exact_scores(unit: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    scores = unit @ (unit[chosen[:3]].sum(axis=0) - unit[chosen[3:]].sum(axis=0))
    scores[chosen] = -np.inf
    return scores


def agreement(exact: np.ndarray, approximate: np.ndarray) -> float:
    """Share of the approximate top 10 in the exact top 10 (ties at its edge count)."""
    return top_agreement(exact, np.argpartition(-approximate, TOP)[:TOP], TOP)


def pca(unit: np.ndarray, asked: list[np.ndarray]) -> None:
    mean = unit.mean(axis=0)
    centred = unit - mean
    values, axes = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1]
    coords = centred @ axes[:, order]
    for kept in COMPONENTS:
        part = coords[:, :kept]
        scale = np.abs(part).max(axis=0) / 127
        part = np.rint(part / np.where(scale > 0, scale, 1)).clip(-127, 127) * scale
        towards = axes[:, order[:kept]].T @ mean  # the mean's part, the same for every point's score
        shares = []
        for chosen in asked:
            query = part[chosen[:3]].sum(axis=0) - part[chosen[3:]].sum(axis=0) + 2 * towards
            scores = part @ query
            scores[chosen] = -np.inf
            shares.append(agreement(exact_scores(unit, chosen), scores))
        print(
            f"  pca {kept:>3}          {len(unit) * kept / 1e6:6.2f} MB  agreement {np.mean(shares):.3f} "
            f"(worst {np.min(shares):.2f})",
            flush=True,
        )


def parts(vectors: np.ndarray) -> None:
    """What the build ships (site_builder/site/taste_parts.py), at each share it considers."""
    started = time.perf_counter()
    decoded = dequantise(quantise(vectors, "int8"), "int8", vectors.shape[1])
    found = taste_parts.partition(decoded, unit_rows(vectors))
    print(f"  {len(found.centroids)} parts, made and measured in {time.perf_counter() - started:.0f} s", flush=True)
    for share, kept, loads in zip(taste_parts.SHARES, found.agreement, found.loads):
        chosen = " <- the build's choice" if share == found.share else ""
        print(
            f"  parts {share:>4.0%}        {loads * vectors.nbytes / 4 / 1e6:6.2f} MB  agreement {kept:.3f}{chosen}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("portals", nargs="+", help="SITE:PORTAL, a built site's portal")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    for spec in args.portals:
        site, _, portal = spec.rpartition(":")
        folder = Path(site) / portal
        with open(folder / "metadata.txt", encoding="utf-8") as metadata:
            count = sum(1 for _ in metadata) - 1
        vectors = np.frombuffer((folder / "tensors.bytes").read_bytes(), dtype="<f4").reshape(count, -1)
        unit = unit_rows(vectors).astype(np.float64)
        print(f"{spec}: {count:,} x {unit.shape[1]}, whole int8 file {count * unit.shape[1] / 1e6:.1f} MB", flush=True)
        asked = queries(count, args.queries)
        pca(unit, asked)
        parts(vectors)


if __name__ == "__main__":
    main()

"""UMAP layouts of large portals: seconds and how well each keeps the planted tastes, by epochs.

Usage:
    python benchmarks/scale.py --sizes 32M --users --keep /tmp/site-32m      # a site of synthetic data
    python benchmarks/layouts.py /tmp/site-32m movies:items users:users --epochs 0,50
    python benchmarks/layouts.py /tmp/site-32m movies:items users:users --epochs 0,100,50 --init spectral

It reads each portal's vectors as the site ships them (`tensors.bytes`) and
their ids (`metadata.txt`), and the planted tastes from the synthetic data the
site was built from (--data; default: scale.py's 32M folder). For each number
of optimisation epochs (0: the initialisation alone, as a floor) it fits the
3-D and the 2-D layout as the build does (its settings, its exact cosine
neighbours as UMAP's graph, its initialisation for large portals or --init's) and prints
the seconds and the share of each point's 10 nearest points in the layout that
have the point's planted taste (a seeded sample of 2,000 points), next to the
same share for the 10 nearest by cosine on the vectors themselves and the
chance level.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from site_builder.config import LayoutSettings  # noqa: E402
from site_builder.data.synthetic import load_tastes  # noqa: E402
from site_builder.model import layouts, neighbours  # noqa: E402

SAMPLE = 2_000
K = 10
DATA = REPO / ".cache" / "synthetic" / "movielens-32000000-seed42"


def read_portal(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The portal's vectors (N x D float32) and its points' ids, as the site ships them."""
    metadata = pd.read_csv(folder / "metadata.txt", sep="\t", dtype=str, keep_default_na=False, quoting=3)
    vectors = np.fromfile(folder / "tensors.bytes", dtype="<f4").reshape(len(metadata), -1)
    return vectors, metadata["id"].astype(np.int64).to_numpy()


def layout_share(coords: np.ndarray, tastes: np.ndarray, sample: np.ndarray) -> float:
    """Share of the K nearest points in the layout (Euclidean) with the sampled point's taste."""
    coords = coords.astype(np.float64)
    squared = (coords**2).sum(axis=1)
    shares = []
    for start in range(0, len(sample), 250):
        rows = sample[start : start + 250]
        distance = squared[rows, None] - 2 * coords[rows] @ coords.T + squared[None, :]
        distance[np.arange(len(rows)), rows] = np.inf
        nearest = np.argpartition(distance, K, axis=1)[:, :K]
        shares.append((tastes[nearest] == tastes[rows, None]).mean(axis=1))
    return float(np.concatenate(shares).mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("portals", nargs="+", help="NAME:items or NAME:users, as built")
    parser.add_argument("--data", type=Path, default=DATA, help="the synthetic data the site was built from")
    parser.add_argument("--epochs", default="200,100,50", help="comma-separated; 0 is the initialisation alone")
    parser.add_argument("--init", default="pca", help="UMAP's init: pca (the build's for large portals) or spectral")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    settings = LayoutSettings()
    print(f"{'portal':<8} {'points':>8} {'epochs':>6} {'layout':<6} {'seconds':>8} {'same taste':>10}")
    for item in args.portals:
        name, _, points = item.partition(":")
        vectors, ids = read_portal(args.site / name)
        tastes = load_tastes(args.data, ids, points)
        sample = np.random.default_rng(args.seed).choice(len(ids), size=min(SAMPLE, len(ids)), replace=False)
        knn = neighbours.top_k_neighbours(vectors, settings.n_neighbors - 1)
        chance = float(((np.bincount(tastes) / len(tastes)) ** 2).sum())
        on_vectors = float((tastes[knn[0][sample, :K]] == tastes[sample, None]).mean())
        print(f"{name:<8} {len(ids):>8,} {'':>6} {'cosine':<6} {'':>8} {on_vectors:>10.3f}  (chance {chance:.3f})")
        for epochs in [int(text) for text in args.epochs.split(",")]:
            layouts._large_layout = lambda shape, dimensions, epochs=epochs: {"init": args.init, "n_epochs": epochs}
            for dimensions in (3, 2):
                started = time.perf_counter()
                coords = layouts._fit_umap(vectors, settings, dimensions, knn, quiet=True)
                seconds = time.perf_counter() - started
                share = layout_share(coords, tastes, sample)
                print(
                    f"{name:<8} {len(ids):>8,} {epochs:>6} {f'{dimensions}-D':<6} {seconds:>8.1f} {share:>10.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The method against ItemKNN (and UserKNN) on a grid of data shapes: planted-taste share of the 10 nearest.

Usage:
    python benchmarks/method_grid.py                      # the whole grid: 1M and 10M, items and users
    python benchmarks/method_grid.py --sizes 1M --points items
    python benchmarks/method_grid.py --sizes 1M --cells weak-heavy-notime --embedding '{"window": 20}'
    python benchmarks/method_grid.py --sizes 1M --jsonl /tmp/grid.jsonl   # also one JSON line per row

Each cell is one shape of `portals generate`'s data (site_builder.data.synthetic.Shape):
taste strength (the mean share of a user's items drawn from their liked tastes:
strong 0.8, weak 0.1), popularity (the Zipf exponent: mild 0.5, heavy 1.0,
MovieLens-like) and time (whether timestamps carry taste: users start near
their main taste's era, or at random), at each size. Every user has an
activity drawn from a log-normal of sigma 1.3 (heavy-tailed, MovieLens-like);
--activity changes it.

For each cell the data is generated once (seeded) into .cache/synthetic/grid/
and read with the movielens-csv reader, as a build reads it. Then, in one run:

- the method with the product's defaults (or the --embedding variant), as a
  build trains it, and its 10 nearest neighbours by cosine;
- ItemKNN for a map of items (cosine between items' rows of the binary
  item x user matrix), UserKNN for a map of users (the same on user rows);
- the share of each point's 10 nearest with the point's planted taste (for a
  user: its main taste, the one it draws most of its taste picks from),
  over a seeded sample of at most 2,000 points, the same points for every
  method; and the chance level (the sum of squared taste shares).

It prints one row per cell and side: the shares, the margin (method minus
baseline) with the standard error of the mean paired difference over the
sampled points, and "level" when the method is within 0.01 of the baseline
or above it; then, unless --no-movielens, the defaults
on MovieLens 100K's test split as `portals evaluate` measures them (HitRate@10
next to ItemKNN's, and the order `auto` chose there).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from site_builder.config import DatasetConfig, EmbeddingSettings  # noqa: E402
from site_builder.data.datasets import load_dataset  # noqa: E402
from site_builder.data.synthetic import Shape, generate, load_tastes, parse_size  # noqa: E402

TASTE = {"strong": 0.8, "weak": 0.1}
POPULARITY = {"mild": 0.5, "heavy": 1.0}
TIME = {"time": True, "notime": False}
MOVIELENS = REPO / "content" / "datasets" / "movielens-100k"
SAMPLE = 2_000
K = 10
LEVEL = 0.01  # "level with": within this of the baseline


def cells(activity: float) -> dict[str, Shape]:
    return {
        f"{taste}-{popularity}-{time_name}": Shape(
            taste_share=share, popularity_exponent=exponent, activity_sigma=activity, time_taste=carries
        )
        for taste, share in TASTE.items()
        for popularity, exponent in POPULARITY.items()
        for time_name, carries in TIME.items()
    }


def data_folder(size: int, shape: Shape, seed: int) -> Path:
    name = (
        f"{size}-t{shape.taste_share:g}-p{shape.popularity_exponent:g}-a{shape.activity_sigma:g}"
        f"-{'time' if shape.time_taste else 'notime'}-s{seed}"
    )
    folder = REPO / ".cache" / "synthetic" / "grid" / name
    if not (folder / "user_tastes.csv").exists():
        info = generate(folder, size, seed=seed, shape=shape)
        print(f"  generated {folder.name} in {info.seconds:.0f} s", file=sys.stderr)
    return folder


def knn_top(matrix: sp.csr_matrix, sample: np.ndarray) -> np.ndarray:
    """The K nearest rows of `matrix` (binary, points x other side) to each sampled row, by cosine."""
    matrix = matrix.astype(np.float32)
    norms = np.sqrt(np.diff(matrix.indptr).astype(np.float32))
    unit = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix
    unit_t = unit.T.tocsc()
    top = np.empty((len(sample), K), dtype=np.int64)
    for start in range(0, len(sample), 250):
        rows = sample[start : start + 250]
        similarity = (unit[rows] @ unit_t).toarray()
        similarity[np.arange(len(rows)), rows] = -np.inf
        top[start : start + len(rows)] = np.argsort(-similarity, axis=1, kind="stable")[:, :K]  # ties by index
    return top


def shares(top: np.ndarray, tastes: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Per sampled point, the share of its neighbours in `top` with its planted taste."""
    return (tastes[top] == tastes[sample][:, None]).mean(axis=1)


def measure(folder: Path, points: str, settings: EmbeddingSettings, seed: int) -> dict:
    from site_builder.model.embeddings import build_sentences, train_point_vectors, with_order
    from site_builder.model.neighbours import top_k_neighbours

    dataset = load_dataset("grid", DatasetConfig(path=str(folder), format="movielens-csv"))
    table = dataset.side(points)
    tastes = load_tastes(folder, table["id"].to_numpy(), points)
    sample = np.sort(np.random.default_rng(seed).choice(len(table), size=min(SAMPLE, len(table)), replace=False))

    sentences = build_sentences(dataset, points)
    settings = with_order(settings, sentences)  # what `auto` chooses, checked once
    began = time.perf_counter()
    vectors = train_point_vectors(sentences, settings)
    seconds = time.perf_counter() - began
    method_top = top_k_neighbours(vectors, K)[0]

    point, other = dataset.indices(points)
    matrix = sp.csr_matrix(
        (np.ones(len(point), np.float32), (point, other)), shape=(len(table), len(dataset.other_side(points)))
    )
    matrix.data[:] = 1.0  # binary, whatever repeats
    baseline_top = knn_top(matrix, sample)
    counts = np.bincount(tastes) / len(tastes)
    method, baseline = shares(method_top[sample], tastes, sample), shares(baseline_top, tastes, sample)
    difference = method - baseline
    return {
        "interactions": dataset.num_interactions,
        "points": points,
        "count": len(table),
        "order": settings.order,
        "method": float(method.mean()),
        "method_all": float((tastes[method_top] == tastes[:, None]).mean()),
        "baseline": float(baseline.mean()),
        "difference_se": float(difference.std() / np.sqrt(len(difference))),  # of the mean paired difference
        "chance": float((counts**2).sum()),
        "seconds": seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1M,10M", help="interactions per cell, comma-separated (default 1M,10M)")
    parser.add_argument("--points", default="items,users", help="items, users or both (default)")
    parser.add_argument("--cells", default="", help="comma-separated cell names (default: all eight)")
    parser.add_argument("--activity", type=float, default=1.3, help="sigma of the users' log-normal activity")
    parser.add_argument(
        "--embedding",
        default="{}",
        help='JSON merged into the embedding settings, e.g. \'{"word2vec": {"window": 20}}\'',
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--jsonl", type=Path, help="append one JSON line per row to this file")
    parser.add_argument("--no-movielens", action="store_true", help="leave out MovieLens 100K's evaluation")
    args = parser.parse_args(argv)

    settings = EmbeddingSettings.model_validate(json.loads(args.embedding))
    grid = cells(args.activity)
    chosen = [name for name in args.cells.split(",") if name] or list(grid)
    unknown = [name for name in chosen if name not in grid]
    if unknown:
        parser.error(f"unknown cells {unknown}; the cells are {', '.join(grid)}")
    print(f"settings: {args.embedding}")
    print(
        f"{'size':>5} {'cell':<20} {'points':<6} {'count':>7} {'order':<8} {'method':>7} {'KNN':>6} "
        f"{'margin':>14} {'chance':>6} {'train s':>8}"
    )
    worst = float("inf")
    for size in [parse_size(text) for text in args.sizes.split(",")]:
        for name in chosen:
            folder = data_folder(size, grid[name], args.seed)
            for points in args.points.split(","):
                row = measure(folder, points, settings, args.seed)
                margin = row["method"] - row["baseline"]
                worst = min(worst, margin)
                print(
                    f"{size / 1e6:>4g}M {name:<20} {points:<6} {row['count']:>7,} {row['order']:<8} "
                    f"{row['method']:>7.3f} {row['baseline']:>6.3f} {margin:>+7.3f} ± {row['difference_se']:.3f} "
                    f"{row['chance']:>6.3f} {row['seconds']:>8.1f}"
                    f"{'  level' if margin >= -LEVEL else ''}",
                    flush=True,
                )
                if args.jsonl:
                    with open(args.jsonl, "a", encoding="utf-8") as handle:
                        record = {"size": size, "cell": name, "shape": asdict(grid[name]), "embedding": args.embedding}
                        handle.write(json.dumps(record | row) + "\n")
    print(f"worst margin, method - KNN: {worst:+.3f}")
    if not args.no_movielens:
        print(movielens_line(settings))
    return 0


def movielens_line(settings: EmbeddingSettings) -> str:
    """The settings on MovieLens 100K's test split, next to ItemKNN, as `portals evaluate` measures them."""
    from site_builder.model.evaluate import evaluate_dataset

    data = load_dataset("movielens-100k", DatasetConfig(path=str(MOVIELENS), format="movielens-csv"))
    report = evaluate_dataset(data, settings, "test")
    method, knn = report.row("method"), report.row("ItemKNN")
    return (
        f"MovieLens 100K, test split, order {report.settings['order']}: HitRate@10 {method.hit_rate:.3f} "
        f"(s.e. {method.hit_rate_se:.3f}), ItemKNN {knn.hit_rate:.3f}; coverage {method.coverage:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())

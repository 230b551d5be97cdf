"""Counts (plays, hours) in the method: ignore them, keep only the repeated ones, or repeat the tokens.

Usage:
    python benchmarks/counts.py                       # two data shapes at 1M, counts with and without signal
    python benchmarks/counts.py --size 100K --cells strong-mild-notime

Data with counts is not shipped, so the counts are drawn here over the
planted-taste data of benchmarks/method_grid.py: each interaction gets a
count from a geometric law, in one of two kinds of data:

- "signal": a user plays items of their main taste longer (mean 8) than the
  rest (mean 2), so the counts say something of taste;
- "noise": every count has mean 4, whatever the taste.

Each policy trains the items map with the product's defaults (as a build
does) and is scored as the grid scores it: the share of each sampled item's
10 nearest with its planted taste, beside ItemKNN on the binary matrix.

- ignore: one token per interaction, the count unused (what the product does);
- threshold: only the interactions counted at least twice (`min_rating: 2` on a
  count weight);
- repeat: each token repeated 1 + floor(log2(count)) times, at most 5, in
  shuffled order (the copies of a token sit next to each other in time, which
  the order check would take for a telling time order).

It prints one row per shape, kind and policy, and the seconds each took.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from method_grid import SAMPLE, K, cells, data_folder, knn_top, shares  # noqa: E402

from site_builder.config import DatasetConfig, EmbeddingSettings  # noqa: E402
from site_builder.data.datasets import load_dataset  # noqa: E402
from site_builder.data.synthetic import load_tastes, parse_size  # noqa: E402

POLICIES = ("ignore", "threshold", "repeat")
MAX_REPEAT = 5


def draw_counts(dataset, user_tastes: np.ndarray, item_tastes: np.ndarray, kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "signal":
        own = user_tastes[dataset.user_index] == item_tastes[dataset.item_index]
        mean = np.where(own, 8.0, 2.0)
    else:
        mean = np.full(dataset.num_interactions, 4.0)
    return rng.geometric(1.0 / mean).astype(np.float32)


def with_policy(dataset, counts: np.ndarray, policy: str):
    """The dataset as the policy trains on it, and the embedding settings to train with."""
    settings = EmbeddingSettings()
    if policy == "ignore":
        return dataset, settings
    if policy == "threshold":
        return replace(dataset, rating=counts), settings.model_copy(update={"min_rating": 2.0})
    settings = settings.model_copy(update={"order": "shuffled"})
    times = np.minimum(1 + np.floor(np.log2(counts)).astype(np.int64), MAX_REPEAT)
    rows = np.repeat(np.arange(dataset.num_interactions), times)
    repeated = replace(
        dataset,
        user_index=dataset.user_index[rows],
        item_index=dataset.item_index[rows],
        rating=dataset.rating[rows],
        timestamp=dataset.timestamp[rows],
    )
    return repeated, settings


def main(argv=None) -> int:
    from site_builder.model.embeddings import build_sentences, train_point_vectors, with_order
    from site_builder.model.neighbours import top_k_neighbours

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--cells", default="strong-mild-notime,weak-heavy-notime")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--policies", default=",".join(POLICIES), help="Which of: " + ", ".join(POLICIES))
    args = parser.parse_args(argv)
    size, shapes = parse_size(args.size), cells(1.3)

    print("shape                  counts  policy     tokens       order     share   ItemKNN  margin    seconds")
    for name in args.cells.split(","):
        folder = data_folder(size, shapes[name], args.seed)
        dataset = load_dataset("counts", DatasetConfig(path=str(folder), format="movielens-csv"))
        item_tastes = load_tastes(folder, dataset.items["id"].to_numpy(), "items")
        user_tastes = load_tastes(folder, dataset.users["id"].to_numpy(), "users")
        sample = np.sort(
            np.random.default_rng(args.seed).choice(
                len(dataset.items), size=min(SAMPLE, len(dataset.items)), replace=False
            )
        )
        matrix = sp.csr_matrix(
            (np.ones(dataset.num_interactions, np.float32), (dataset.item_index, dataset.user_index)),
            shape=(len(dataset.items), len(dataset.users)),
        )
        matrix.data[:] = 1.0
        baseline = shares(knn_top(matrix, sample), item_tastes, sample).mean()
        for kind in ("signal", "noise"):
            counts = draw_counts(dataset, user_tastes, item_tastes, kind, args.seed)
            for policy in args.policies.split(","):
                data, settings = with_policy(dataset, counts, policy)
                sentences = build_sentences(data, "items")
                settings = with_order(settings, sentences)
                began = time.perf_counter()
                vectors = train_point_vectors(sentences, settings)
                seconds = time.perf_counter() - began
                top = top_k_neighbours(vectors, K)[0]
                share = shares(top[sample], item_tastes, sample).mean()
                kept = int(np.count_nonzero(counts >= 2)) if policy == "threshold" else data.num_interactions
                print(
                    f"{name:22} {kind:7} {policy:10} {kept:>11,}  {settings.order:9} {share:6.3f}  {baseline:7.3f}"
                    f"  {share - baseline:+7.3f}  {seconds:8.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""HitRate@10 of a movies portal's settings on MovieLens 100K, next to popularity.

Usage: python benchmarks/hitrate.py [--split test|validation] [--epochs N] [--sg 0|1] [--model usif|sif|average] [--window N]

Protocol: hold out each user's last rating by time; train the portal's
method on the rest; for each user, take the second-to-last movie (the last
one left in training) as the query, rank all movies by cosine similarity to
it, drop the user's training movies, and count a hit when the held-out movie
is in the top 10. Popularity ranks by number of training ratings instead.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from site_builder.config import DatasetConfig, EmbeddingSettings
from site_builder.embeddings import build_sentences, point_vectors
from site_builder.sources import Dataset, load_dataset

REPO = Path(__file__).resolve().parent.parent


def split_last(data: Dataset, validation: bool = False) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """Training data without each user's last interaction; (held-out item, query item) per user.

    The validation split also drops the last interaction and holds out the one before it,
    so settings are tuned without ever seeing the test split.
    """
    order = np.lexsort((data.item_index, data.timestamp, data.user_index))
    users = data.user_index[order]
    last = np.flatnonzero(np.r_[users[1:] != users[:-1], True])
    keep = np.ones(data.num_interactions, bool)
    if validation:
        keep[order[last]] = False
        last = last - 1
    held_rows = order[last]
    query_rows = order[last - 1]
    keep[held_rows] = False
    train = Dataset(name=data.name, user_index=data.user_index[keep], item_index=data.item_index[keep],
                    rating=data.rating[keep], timestamp=data.timestamp[keep], items=data.items,
                    users=data.users, fingerprint=data.fingerprint + "-train")
    return train, data.item_index[held_rows], data.item_index[query_rows]


def hit_rate(scores_for_query, train: Dataset, held: np.ndarray, query: np.ndarray, k: int = 10) -> float:
    seen = [set() for _ in range(len(train.users))]
    for user, item in zip(train.user_index, train.item_index):
        seen[user].add(int(item))
    hits = 0
    for user in range(len(held)):
        scores = scores_for_query(int(query[user])).astype(np.float64).copy()
        scores[list(seen[user])] = -np.inf
        top = np.argpartition(-scores, k)[:k]
        hits += int(held[user] in top)
    return hits / len(held)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--sg", type=int, default=None)
    parser.add_argument("--window", type=int, default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--ns-exponent", type=float, default=None)
    parser.add_argument("--vector-size", type=int, default=None)
    parser.add_argument("--split", choices=["test", "validation"], default="test")
    args = parser.parse_args()
    w2v = {k: v for k, v in (("epochs", args.epochs), ("sg", args.sg), ("window", args.window),
                                               ("ns_exponent", args.ns_exponent), ("vector_size", args.vector_size)) if v is not None}
    sentence = {"model": args.model} if args.model else {}
    settings = EmbeddingSettings.model_validate({"word2vec": w2v, "sentence": sentence})

    data = load_dataset("ml-100k", DatasetConfig(format="movielens-csv", path=REPO / "content/datasets/movielens-100k"))
    train, held, query = split_last(data, validation=args.split == "validation")
    start = time.perf_counter()
    vectors, _ = point_vectors(build_sentences(train, "items"), settings)
    seconds = time.perf_counter() - start
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    popularity = np.bincount(train.item_index, minlength=len(train.items)).astype(np.float64)

    method = hit_rate(lambda q: unit @ unit[q], train, held, query)
    popular = hit_rate(lambda q: popularity, train, held, query)
    print(f"settings: {settings.model_dump()}")
    print(f"{args.split} split: HitRate@10  method {method:.3f}   popularity {popular:.3f}   ({len(held)} users, trained in {seconds:.1f} s)")


if __name__ == "__main__":
    main()

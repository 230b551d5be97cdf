"""How far apart a point's neighbours' similarities are, and what centring the vectors would do.

    .venv/bin/python benchmarks/neighbour_spread.py [--content content] [--cache-dir .cache]

For each portal of the site: the median cosine similarity of a point's first
and tenth neighbour and the median gap between them, on the vectors as
trained (what the site ships and both the map and the recommendation page
list) and on the vectors less their mean (what the projector's "Spherize
data" shows), and how many of the 12 neighbours the two share. Then, for the
first portal of items, `portals evaluate` on both splits with and without
centring. The figures in docs/how-it-works.md come from this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_builder.cache import Cache  # noqa: E402
from site_builder.config import load_config  # noqa: E402
from site_builder.data import remote  # noqa: E402
from site_builder.data.datasets import load_dataset
from site_builder.model import embeddings, evaluate
from site_builder.model.neighbours import top_k_neighbours  # noqa: E402


def spread(vectors: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    index, score = top_k_neighbours(vectors, 12)
    return (
        float(np.median(score[:, 0])),
        float(np.median(score[:, 9])),
        float(np.median(score[:, 0] - score[:, 9])),
        index,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache"))
    args = parser.parse_args()
    config = load_config(args.content)
    roots = remote.dataset_roots(config, args.cache_dir)
    cache = Cache(args.cache_dir)
    datasets = {}
    print(f"{'portal':<10} {'vectors':<8} {'1st':>6} {'10th':>6} {'gap 1-10':>9} {'shared of 12':>13}")
    for portal in config.portals:
        if portal.dataset not in datasets:
            datasets[portal.dataset] = load_dataset(
                portal.dataset, config.datasets[portal.dataset], roots[portal.dataset]
            )
        sentences = embeddings.build_sentences(datasets[portal.dataset], portal.points)
        vectors, _ = embeddings.point_vectors(sentences, portal.embedding, cache)
        raw = spread(vectors)
        centred = spread(vectors - vectors.mean(axis=0))
        shared = np.mean([len(set(a) & set(b)) for a, b in zip(raw[3], centred[3])])
        print(f"{portal.name:<10} {'raw':<8} {raw[0]:6.3f} {raw[1]:6.3f} {raw[2]:9.3f}")
        print(f"{'':<10} {'centred':<8} {centred[0]:6.3f} {centred[1]:6.3f} {centred[2]:9.3f} {shared:13.1f}")

    portal = next((p for p in config.portals if p.points == "items"), None)
    if portal is None:
        return
    print(f"\nportals evaluate, portal {portal.name}: HitRate@10 / Coverage@10")
    real = embeddings.point_vectors
    for name, centre in (("raw", False), ("centred", True)):

        def vectors_as(sentences, settings, cache=None, centre=centre):
            found, cached = real(sentences, settings, cache)
            return (found - found.mean(axis=0) if centre else found), cached

        embeddings.point_vectors = vectors_as
        try:
            for split in ("validation", "test"):
                report = evaluate.evaluate_dataset(
                    datasets[portal.dataset], portal.embedding, split, portal.name, cache
                )
                row = report.row("method")
                print(f"  {name:<8} {split:<10} {row.hit_rate:.3f} / {row.coverage:.3f}")
        finally:
            embeddings.point_vectors = real


if __name__ == "__main__":
    main()

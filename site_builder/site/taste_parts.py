"""A large portal's vectors in parts, so that a first taste ranking loads only the part of the map it needs.

A taste ranking scores every point against the visitor's taste, and the page
used to fetch every vector for it: N x D bytes as int8, 8.8 MB at 87,585
movies and 20 MB at 200,947 users (7 and 16 s at 10 Mbit/s). From
PARTS_FROM bytes on, the build writes the vectors file's rows in parts
instead, one per cluster of a k-means of the unit vectors, and the page
ranks a taste among the points of the clusters nearest it:

1. it loads the chosen points' clusters, for their vectors, and forms the
   query q (the sum of the liked unit vectors less the disliked);
2. it orders the other clusters by the most a point of theirs can score,
   centroid . q + radius x |q| (Cauchy-Schwarz: no point of the cluster lies
   farther than the radius from its centroid), best first, and loads them
   until `share` of all points are in (`probe`);
3. it ranks the loaded points exactly, and offers to load the rest and rank
   them all.

The build chooses `share` (the smallest of SHARES) so that the first ranking
of random tastes (3 likes, 1 dislike, as recommend.measure_loss asks) keeps on
average at least TARGET of the exact float32 top 10; it says how much it keeps.
The bound orders the clusters only: it is too loose in 100 dimensions to
prove a ranking exact before most clusters are in (benchmarks/taste_at_scale.py).

The files, in the portal's versioned folder beside the blocks:
  probe.bin      little-endian float32 centroids (C x D), float32 radii (C), then the
                 cluster of every point as one byte (N): the page works out each
                 cluster's points from it, in point order
  parts/<c>.i8   (or .f16) cluster c's rows of the vectors file, in point order
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from site_builder.cache import ARRAYS, Cache, Kind
from site_builder.model.neighbours import top_agreement, unit_rows
from site_builder.site import paths

PARTS_FROM = 2_000_000  # bytes of vectors from which the page gets parts (1.6 s at 10 Mbit/s)
MAX_CLUSTERS = 256  # a cluster number is one byte
POINTS_PER_CLUSTER = 300  # fewer clusters for fewer points: parts of some 30 KB at 100 dimensions
MIN_CLUSTERS = 8
SAMPLE = 50_000  # k-means learns its centroids from a seeded sample of the points
SEED = 0
SHARES = (0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.0)
TARGET = 0.95
QUERIES = 200
TOP = 10

PARTS = Kind("vectors", "taste-parts-v1", ("scikit-learn", "numpy"))
PROBE_FILE = paths.TASTE_PROBE
PARTS_FOLDER = paths.TASTE_PARTS


@dataclass
class Partition:
    cluster: np.ndarray  # uint8 N: each point's cluster
    centroids: np.ndarray  # float32 C x D
    radii: np.ndarray  # float32 C: the farthest a cluster's (decoded) unit row lies from its centroid
    agreement: np.ndarray  # float64, one per SHARES: the first ranking's mean top-10 agreement
    loads: np.ndarray  # float64, one per SHARES: the mean share of the points it loads (chosen points' parts too)

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.cluster, minlength=len(self.centroids))

    @property
    def share(self) -> float:
        """The smallest of SHARES whose first rankings keep TARGET of the exact top 10."""
        return next((s for s, a in zip(SHARES, self.agreement) if a >= TARGET), 1.0)

    @property
    def kept(self) -> float:
        return float(self.agreement[SHARES.index(self.share)])

    @property
    def loaded(self) -> float:
        return float(self.loads[SHARES.index(self.share)])

    def probe_file(self) -> bytes:
        centroids, radii = self.centroids.astype("<f4").tobytes(), self.radii.astype("<f4").tobytes()
        return centroids + radii + self.cluster.astype(np.uint8).tobytes()

    def describe(self) -> str:
        return (
            f"{len(self.centroids)} parts; a first taste ranking probes {self.share:.0%} of the points "
            f"({self.loaded:.0%} loaded with the chosen points' parts) and keeps {self.kept:.1%} of the exact top {TOP}"
        )


def read_probe(data: bytes, clusters: int, dims: int, count: int) -> Partition:
    """A probe.bin back as a Partition (without the agreement the build measured)."""
    if len(data) != clusters * (dims + 1) * 4 + count:
        raise ValueError(f"a probe file of {clusters} clusters of {dims} dimensions, {count} points: wrong size")
    centroids = np.frombuffer(data, dtype="<f4", count=clusters * dims).reshape(clusters, dims)
    radii = np.frombuffer(data, dtype="<f4", count=clusters, offset=clusters * dims * 4)
    cluster = np.frombuffer(data, dtype=np.uint8, offset=clusters * (dims + 1) * 4)
    return Partition(cluster, centroids, radii, np.zeros(len(SHARES)), np.zeros(len(SHARES)))


def cluster_count(count: int) -> int:
    return int(min(MAX_CLUSTERS, max(MIN_CLUSTERS, count // POINTS_PER_CLUSTER), count))


def partition(decoded: np.ndarray, exact: np.ndarray) -> Partition:
    """k-means clusters of the decoded unit rows (what the page ranks with), and how well a first
    ranking that probes each of SHARES agrees with the exact float32 rows' ranking."""
    from sklearn.cluster import MiniBatchKMeans

    count = len(decoded)
    clusters = cluster_count(count)
    rng = np.random.default_rng(SEED)
    sample = np.sort(rng.choice(count, SAMPLE, replace=False)) if count > SAMPLE else np.arange(count)
    model = MiniBatchKMeans(clusters, random_state=SEED, batch_size=4096, n_init=1, max_iter=50)
    centroids = model.fit(decoded[sample]).cluster_centers_.astype(np.float32)
    # nearest centroid: the largest x . c - |c|^2 / 2
    cluster = np.empty(count, dtype=np.uint8)
    half = 0.5 * np.einsum("ij,ij->i", centroids, centroids)
    for start in range(0, count, 65536):
        cluster[start : start + 65536] = np.argmax(decoded[start : start + 65536] @ centroids.T - half, axis=1)
    found = grouped(decoded, cluster, centroids)
    found.agreement, found.loads = agreement(found, decoded, exact)
    return found


def grouped(decoded: np.ndarray, cluster: np.ndarray, centroids: np.ndarray | None = None) -> Partition:
    """The Partition of the points into these clusters (uint8 per point): the centroids given, or the
    clusters' means, and each cluster's radius (its farthest point from the centroid)."""
    clusters = len(centroids) if centroids is not None else int(cluster.max()) + 1
    if centroids is None:
        centroids = np.stack([decoded[cluster == c].mean(axis=0) for c in range(clusters)]).astype(np.float32)
    radii = np.zeros(clusters, dtype=np.float32)
    for c in np.unique(cluster):
        radii[c] = np.linalg.norm(decoded[cluster == c] - centroids[c], axis=1).max()
    return Partition(cluster.astype(np.uint8), centroids, radii, np.zeros(len(SHARES)), np.zeros(len(SHARES)))


def probe(found: Partition, chosen: list[int], query: np.ndarray, share: float) -> list[int]:
    """The clusters a first ranking loads, in the page's order: the chosen points' clusters (they
    hold the query's vectors), then the others by their bound, best first (equal bounds by
    number), until at least ceil(share x N) points are in."""
    sizes = found.sizes
    need = math.ceil(share * len(found.cluster))
    taken = list(dict.fromkeys(int(found.cluster[p]) for p in chosen))
    loaded = 0
    query = np.asarray(query, dtype=np.float64)
    bound = found.centroids.astype(np.float64) @ query + found.radii.astype(np.float64) * np.linalg.norm(query)
    for c in np.lexsort((np.arange(len(bound)), -bound)).tolist():
        if loaded >= need:
            break
        if c in taken or sizes[c] == 0:
            continue
        taken.append(c)
        loaded += int(sizes[c])
    return taken


def agreement(found: Partition, decoded: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of SHARES: the mean share of a first ranking's top TOP (among the probed clusters'
    decoded rows) that belongs to the exact top TOP of the float32 rows (ties at its edge count),
    over QUERIES random tastes of 3 likes and 1 dislike; and the mean share of the points loaded."""
    count = len(decoded)
    rng = np.random.default_rng(SEED)
    kept = np.zeros((QUERIES, len(SHARES)))
    loads = np.zeros((QUERIES, len(SHARES)))
    for q in range(QUERIES):
        chosen = rng.choice(count, 4, replace=False).tolist()
        exact_scores = exact @ (exact[chosen[:3]].sum(axis=0) - exact[chosen[3]])
        exact_scores[chosen] = -np.inf
        top = min(TOP, count - 4)
        query = decoded[chosen[:3]].sum(axis=0) - decoded[chosen[3]]
        scores = decoded @ query
        scores[chosen] = -np.inf
        for s, share in enumerate(SHARES):
            taken = np.zeros(len(found.centroids), dtype=bool)
            taken[probe(found, chosen, query, share)] = True
            loaded = taken[found.cluster]
            picks = np.argpartition(-np.where(loaded, scores, -np.inf), top - 1)[:top]
            kept[q, s] = top_agreement(exact_scores, picks, top)
            loads[q, s] = loaded.mean()
    return kept.mean(axis=0), loads.mean(axis=0)


def cached_partition(vectors: np.ndarray, dtype: str, decoded: np.ndarray, cache: Cache | None) -> Partition:
    """`partition` of the shipped vectors (`decoded`: the file of `dtype` made from `vectors`, as
    the page decodes it), from the cache when these vectors were partitioned before."""

    def compute() -> tuple[np.ndarray, ...]:
        found = partition(decoded, unit_rows(vectors))
        return found.cluster, found.centroids, found.radii, found.agreement, found.loads

    if cache is None:
        return Partition(*compute())
    settings = [MAX_CLUSTERS, POINTS_PER_CLUSTER, MIN_CLUSTERS, SAMPLE, SEED, SHARES, QUERIES, TOP]
    key = PARTS.key(dtype, np.ascontiguousarray(vectors, dtype=np.float32).tobytes(), settings)
    arrays, _ = cache.memo(PARTS, key, compute, ARRAYS)
    return Partition(*arrays)


def part_files(found: Partition, vector_bytes: bytes, suffix: str) -> dict[str, bytes]:
    """probe.bin and every cluster's rows (see the module doc), by file name in the versioned folder."""
    row = len(vector_bytes) // max(len(found.cluster), 1)
    rows = np.frombuffer(vector_bytes, dtype=np.uint8).reshape(len(found.cluster), row)
    files = {PROBE_FILE: found.probe_file()}
    for c in range(len(found.centroids)):
        files[f"{PARTS_FOLDER}{c}{suffix}"] = rows[found.cluster == c].tobytes()
    return files

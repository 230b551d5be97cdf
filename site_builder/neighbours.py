"""Stage 4a: the top-k cosine neighbours of every point, computed once at build time.

Blocked matrix products: a block of rows is compared with all points at a
time, so memory stays at about BLOCK_FLOATS floats whatever the number of
points, never an N x N matrix. These are the raw-cosine neighbours of the
vectors as trained; the projector's own neighbour list can differ because it
"sphereizes" (centres, then normalises) vectors of 50 or more dimensions.
"""

from __future__ import annotations

import numpy as np

BLOCK_FLOATS = 32_000_000  # about 128 MB of similarities per block


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32); zero rows stay zero, so they match nothing."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def top_k_neighbours(vectors: np.ndarray, k: int, block_floats: int = BLOCK_FLOATS) -> tuple[np.ndarray, np.ndarray]:
    """(indices int32 N x k, cosine similarities float32 N x k), best first, a point never its own neighbour.

    With fewer than k + 1 points, k shrinks to N - 1. Equal scores are listed
    by index; the result does not depend on the block size.
    """
    unit = unit_rows(vectors)
    count = unit.shape[0]
    k = max(0, min(k, count - 1))
    indices = np.zeros((count, k), dtype=np.int32)
    scores = np.zeros((count, k), dtype=np.float32)
    if k == 0:
        return indices, scores
    block = max(1, block_floats // max(count, 1))
    for start in range(0, count, block):
        stop = min(start + block, count)
        similarity = unit[start:stop] @ unit.T
        similarity[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not itself
        # candidates: the k best in any order, then sorted by (-score, index)
        candidates = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        candidate_scores = np.take_along_axis(similarity, candidates, axis=1)
        order = np.lexsort((candidates, -candidate_scores), axis=1)
        indices[start:stop] = np.take_along_axis(candidates, order, axis=1)
        scores[start:stop] = np.take_along_axis(candidate_scores, order, axis=1)
    return indices, scores

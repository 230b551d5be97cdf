"""The top-k cosine neighbours of every point, computed once at build time.

Blocked matrix products: a block of rows is compared with all points at a
time, so memory stays at about `block_floats` floats whatever the number of
points, never an N x N matrix. These are the raw-cosine neighbours of the
vectors as trained; the projector's own neighbour list can differ because it
"sphereizes" (centres, then normalises) vectors of 50 or more dimensions.

Two ways pick the k best of each block's rows, with identical results:

- numpy (`np.argpartition`, then a sort of the k candidates): about 5 ns per
  similarity, fine for small portals (the demo's 1,682 points take 0.06 s)
  but 52 s at 87,000 points x 100 dimensions on two cores (N^2 = 7.6e9
  similarities).
- a numba kernel that reads each row once and keeps its k best in a sorted
  list, entered only by a score above the current k-th best; a chunk of 64
  scores is first compared with that threshold at once, so almost every chunk
  is skipped. Rows run in parallel (`prange`). 13 s at 87,000 points, of
  which some 9 s are the matrix products, in 615 MB at most. Used from
  KERNEL_MIN_POINTS points, where it saves more than importing numba costs
  (about 0.4 s); compiled once per machine (`cache=True`: next to this file,
  else in numba's user cache folder or NUMBA_CACHE_DIR; where none is
  writable it is compiled in every process, under 2 s, and the log says so).
  Without a working numba the numpy way is used.

Both take their similarities from the same matrix products, so for one block
size they give the same float32 bits (a block of one row is computed as part
of a two-row product, never by BLAS's matrix-vector routine). Equal scores are
ordered by index, including at the k-th place: a point tied with the k-th best
is listed only if its index is lower than that of the points it ties with.
Another block size can change scores in the last bits: some BLAS kernels (seen
on AMD EPYC) sum in another order for another block shape, or for a column at
the edge of their tiles, so points tied to the last bit may swap places. The
build searches each portal once, with one block size, so its results repeat.
"""

from __future__ import annotations

import logging
import threading
from typing import Literal

import numpy as np

from site_builder.cache import ARRAYS, Cache, Kind

log = logging.getLogger(__name__)

NEIGHBOURS = Kind("neighbours", "top-k-v1", ("numpy",))

BLOCK_FLOATS = 32_000_000  # about 128 MB of similarities per block (the numpy way needs ~4 times that)
# The kernel keeps only the block, so it can afford larger blocks, and fewer, larger
# products run faster (87,000 points: 1,100 rows per block instead of 367).
KERNEL_BLOCK_FLOATS = 3 * BLOCK_FLOATS  # 384 MB, less than the numpy way's block and its temporaries
# From this many points the kernel is used (below it, numpy is faster than importing numba).
KERNEL_MIN_POINTS = 8_000
CHUNK = 64  # scores compared with the threshold at once by the kernel

Method = Literal["auto", "kernel", "numpy"]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32); zero rows stay zero, so they match nothing."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def top_agreement(exact_scores: np.ndarray, picks: np.ndarray, top: int, tolerance: float = 1e-6) -> float:
    """Share of `picks` that belong to the exact top `top` of `exact_scores`, ties at its edge
    included (points with the very same vector tie, and any of them is right)."""
    if top <= 0:
        return 1.0
    threshold = np.partition(exact_scores, len(exact_scores) - top)[len(exact_scores) - top]
    return float((exact_scores[picks] >= threshold - tolerance).mean())


def top_k_neighbours(
    vectors: np.ndarray, k: int, block_floats: int | None = None, method: Method = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """(indices int32 N x k, cosine similarities float32 N x k), best first, a point never its own neighbour.

    With fewer than k + 1 points, k shrinks to N - 1. Equal scores are listed
    by index; the result does not depend on the method ("kernel" or "numpy";
    "auto" takes the kernel from KERNEL_MIN_POINTS points), nor on the block
    size beyond the last bits of BLAS's sums, so the first k' columns of a
    top-k result are the top-k' for any k' < k. Zero vectors score 0 with every point.
    """
    unit = unit_rows(vectors)
    count = unit.shape[0]
    k = _columns(count, k)
    indices = np.zeros((count, k), dtype=np.int32)
    scores = np.zeros((count, k), dtype=np.float32)
    if k == 0:
        return indices, scores
    kernel = None
    if method == "kernel" or (method == "auto" and count >= KERNEL_MIN_POINTS):
        with _KERNEL_LOCK:
            kernel = _kernel()
        if kernel is None and method == "kernel":
            raise RuntimeError("the numba top-k kernel is not available (see the log)")
    if block_floats is None:
        block_floats = KERNEL_BLOCK_FLOATS if kernel is not None else BLOCK_FLOATS
    block = min(count, max(1, block_floats // count))
    buffer = np.empty((block, count), dtype=np.float32)  # reused: fresh pages for every block cost seconds
    for start in range(0, count, block):
        stop = min(start + block, count)
        similarity = _similarities(unit, start, stop, buffer)
        if kernel is not None:
            with _KERNEL_LOCK:
                kernel(similarity, start, k, indices, scores)
        else:
            _select_numpy(similarity, start, k, indices, scores)
    return indices, scores


def cached_top_k_neighbours(vectors: np.ndarray, k: int, cache: Cache) -> tuple[np.ndarray, np.ndarray]:
    """top_k_neighbours(vectors, k), kept in the cache under the vectors' bytes and k: a rebuild
    with the same vectors does not search again (60 s at 200,000 points)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    shape = (len(vectors), _columns(len(vectors), k))
    (indices, scores), cached = cache.memo(
        NEIGHBOURS,
        NEIGHBOURS.key(list(vectors.shape), vectors.tobytes(), k),
        lambda: top_k_neighbours(vectors, k),
        ARRAYS,
        accept=lambda pair: len(pair) == 2 and all(array.shape == shape for array in pair),
    )
    if cached:
        log.info("    neighbours from cache")
    return indices, scores


def _columns(count: int, k: int) -> int:
    """The neighbours listed per point: k, or N - 1 with fewer points."""
    return max(0, min(k, count - 1))


def _similarities(unit: np.ndarray, start: int, stop: int, buffer: np.ndarray) -> np.ndarray:
    """unit[start:stop] @ unit.T in the first rows of buffer, always by a matrix-matrix product
    (a lone row takes a neighbour along)."""
    if stop - start == 1 and len(unit) > 1:
        first = start - 1 if start > 0 else start
        buffer[0] = (unit[first : first + 2] @ unit.T)[start - first]
        return buffer[:1]
    return np.matmul(unit[start:stop], unit.T, out=buffer[: stop - start])


def _select_numpy(similarity: np.ndarray, start: int, k: int, indices: np.ndarray, scores: np.ndarray) -> None:
    """The k best of each row of the block into indices/scores[start:...], by argpartition."""
    rows = similarity.shape[0]
    stop = start + rows
    similarity[np.arange(rows), np.arange(start, stop)] = -np.inf  # not itself
    indices[start:stop], scores[start:stop] = top_k_columns(similarity, k)


def top_k_columns(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, their scores) of the k best of each row, best first, equal scores by lower column,
    including at the k-th place. `scores` must have at least k columns."""
    candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    # argpartition takes any of the columns that tie with the k-th best: where more columns
    # tie than were taken, take the lowest among them
    kth = candidate_scores.min(axis=1)
    for row in np.flatnonzero(np.count_nonzero(scores >= kth[:, None], axis=1) > k):
        values = scores[row]
        better = np.flatnonzero(values > kth[row])
        tied = np.flatnonzero(values == kth[row])[: k - len(better)]
        candidates[row] = np.concatenate([better, tied])
        candidate_scores[row] = values[candidates[row]]
    order = np.lexsort((candidates, -candidate_scores), axis=1)
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(candidate_scores, order, axis=1)


# The kernel is written as plain Python so that it needs numba only when compiled: `_prange`
# is the builtin range until _kernel() makes it numba.prange (numba reads a function's
# globals, as constants, when it compiles it).
_prange = range
_INF = float("inf")


def _select_rows(similarity, start, k, indices, scores):  # pragma: no cover - runs compiled
    """The k best of each row of the block (rows start, start + 1, ...) into indices/scores, best first.

    Each row keeps its k best in indices/scores[row], sorted by (-score, index).
    Points are visited in index order and enter only with a score above the
    k-th best (strictly), after every point with an equal or better score, so
    equal scores stay in index order. A chunk of CHUNK scores is first compared
    with the threshold as a whole (a loop the compiler vectorises).
    """
    rows, count = similarity.shape
    for r in _prange(rows):
        values = similarity[r]
        itself = start + r
        best_index = indices[itself]
        best_score = scores[itself]
        filled = 0
        threshold = np.float32(-_INF)  # float32, as the scores: a float64 would halve the vector width
        full = count - count % CHUNK  # chunks of CHUNK scores, then the rest one by one
        position = 0
        while position < count:
            end = position + CHUNK
            if end <= full:
                window = values[position:end]
                above = 0
                for offset in range(CHUNK):  # a count over a slice, a form the compiler vectorises
                    above += window[offset] > threshold
            else:
                end = count
                above = 1
            if above:
                for j in range(position, end):
                    value = values[j]
                    if value > threshold and j != itself:
                        slot = filled if filled < k else k - 1
                        while slot > 0 and best_score[slot - 1] < value:
                            best_score[slot] = best_score[slot - 1]
                            best_index[slot] = best_index[slot - 1]
                            slot -= 1
                        best_score[slot] = value
                        best_index[slot] = j
                        if filled < k:
                            filled += 1
                        if filled == k:
                            threshold = best_score[k - 1]
            position = end


_KERNEL_LOCK = threading.Lock()  # numba's "workqueue" threading layer must not be entered twice at once
_compiled = None
_unavailable = False


def _kernel():
    """_select_rows compiled by numba (parallel, cached on disk when possible); None without numba."""
    global _compiled, _unavailable, _prange
    if _compiled is not None or _unavailable:
        return _compiled
    try:
        import numba
    except Exception as error:  # pragma: no cover - numba comes with umap-learn
        log.warning("numba cannot be imported (%s): neighbours are found the slower numpy way", error)
        _unavailable = True
        return None
    _prange = numba.prange
    options = {"parallel": True, "nogil": True, "boundscheck": False}
    probe = np.array([[1, 0.5, 0.25]], dtype=np.float32)
    for cache in (True, False):
        try:
            compiled = numba.njit(cache=cache, **options)(_select_rows)
            index, score = np.zeros((3, 1), np.int32), np.zeros((3, 1), np.float32)
            compiled(probe, 0, 1, index, score)  # compiles (or loads) now, not mid-build
            if index[0, 0] != 1 or score[0, 0] != 0.5:
                raise RuntimeError(f"wrong answer on a probe: {index[0, 0]}, {score[0, 0]}")
            break
        except Exception as error:
            if cache:  # e.g. no writable cache folder: neither next to this file nor NUMBA_CACHE_DIR
                log.info("    the neighbour kernel cannot be cached (%s): compiling it for this build", error)
            else:  # pragma: no cover - a broken numba installation
                log.warning("the numba neighbour kernel failed (%s): neighbours are found the slower numpy way", error)
                _unavailable = True
                return None
    _compiled = compiled
    return _compiled

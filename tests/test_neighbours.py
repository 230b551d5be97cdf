"""Top-k cosine neighbours: the numba kernel and the numpy way agree exactly with a brute-force answer."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from site_builder.cache import Cache
from site_builder.model import neighbours
from site_builder.model.neighbours import top_k_neighbours, unit_rows

METHODS = ("kernel", "numpy")


def _brute_force(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole similarity matrix, sorted by (-score, index): what every block size and method must give."""
    unit = unit_rows(vectors)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(similarity, order, axis=1)


def _with_ties(count: int, dimensions: int, seed: int) -> np.ndarray:
    """Random vectors where a third are copies of five of them (exact ties) and one in twenty is zero."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, dimensions)).astype(np.float32)
    copies = rng.choice(count, size=count // 3, replace=False)
    vectors[copies] = vectors[rng.integers(0, min(5, count), size=copies.size)]
    vectors[rng.choice(count, size=count // 20, replace=False)] = 0
    return vectors


def _assert_same(first, second):
    """The same neighbours with the same scores, up to BLAS rounding.

    BLAS may sum a product's terms in another order for another block shape, or
    for a column at the edge of its tiles (seen on AMD EPYC's OpenBLAS kernels),
    so scores may differ in the last bits and points tied to the last bit may
    swap places (or, at the k-th place, stand in for each other); nothing else may differ.
    """
    indices, scores = first
    other_indices, other_scores = second
    np.testing.assert_array_max_ulp(scores, other_scores, maxulp=8)
    rows, columns = np.nonzero(indices != other_indices)
    for row, column in zip(rows, columns):
        near = np.abs(scores[row] - scores[row, column]) <= 8 * np.spacing(np.float32(abs(scores[row, column]) + 1e-30))
        assert near.sum() > 1 or column == indices.shape[1] - 1, (
            f"row {row}: {indices[row]} against {other_indices[row]} (scores {scores[row]})"
        )


@pytest.mark.parametrize("method", METHODS)
def test_blocked_top_k_equals_brute_force(method):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    expected, expected_scores = _brute_force(vectors, 10)
    results = [
        top_k_neighbours(vectors, 10, block_floats=block_floats, method=method)
        for block_floats in (300, 300 * 7, 10**9)
    ]  # one row per block, seven, everything at once
    for indices, scores in results:
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)
        assert indices.dtype == np.int32 and scores.dtype == np.float32
        assert (indices != np.arange(300)[:, None]).all()
        assert (np.diff(scores, axis=1) <= 0).all()
    for other in results[1:]:
        _assert_same(other, results[0])  # a block of one row gives what any other gives


@pytest.mark.parametrize("count, k", [(3, 12), (40, 39), (301, 10), (1000, 30)])
def test_ties_and_zero_vectors_the_same_both_ways(count, k):
    vectors = _with_ties(count, 8, seed=count)
    kernel = top_k_neighbours(vectors, k, method="kernel")
    numpy_way = top_k_neighbours(vectors, k, method="numpy")
    np.testing.assert_array_equal(kernel[0], numpy_way[0])  # one product, so the very same bits
    np.testing.assert_array_equal(kernel[1].view(np.int32), numpy_way[1].view(np.int32))
    # ties (copies, zero vectors) are listed by index, also where they straddle the k-th place
    _assert_same(kernel, _brute_force(vectors, min(k, count - 1)))
    for block_floats in (count, count * 3):
        _assert_same(top_k_neighbours(vectors, k, block_floats=block_floats, method="kernel"), kernel)
        _assert_same(top_k_neighbours(vectors, k, block_floats=block_floats, method="numpy"), kernel)
    for zero in np.flatnonzero(~vectors.any(axis=1)):
        assert (kernel[1][zero] == 0).all()  # a zero vector matches nothing: it scores 0 with everyone
        np.testing.assert_array_equal(kernel[0][zero], np.delete(np.arange(count), zero)[: kernel[0].shape[1]])


def test_a_top_k_starts_with_every_smaller_top_k():
    vectors = _with_ties(500, 6, seed=3)
    wide = top_k_neighbours(vectors, 14, method="kernel")
    for k in (1, 5, 12):
        narrow = top_k_neighbours(vectors, k, method="numpy")
        _assert_same((wide[0][:, :k], wide[1][:, :k]), narrow)


def test_auto_takes_the_kernel_from_a_size(monkeypatch):
    vectors = _with_ties(neighbours.KERNEL_MIN_POINTS, 4, seed=5)
    calls = []
    real = neighbours._kernel
    monkeypatch.setattr(neighbours, "_kernel", lambda: calls.append(1) or real())
    small = top_k_neighbours(vectors[:-1], 12)
    assert not calls  # small portals never import numba
    large = top_k_neighbours(vectors, 12)
    assert calls
    _assert_same(large, top_k_neighbours(vectors, 12, method="numpy"))
    _assert_same(small, top_k_neighbours(vectors[:-1], 12, method="kernel"))


def test_the_kernel_works_without_a_cache_folder(monkeypatch, caplog):
    import numba  # a dependency of umap-learn: present wherever the build runs

    # as when neither the package folder nor NUMBA_CACHE_DIR can be written: numba finds no cache locator
    monkeypatch.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "NoWritableFolder")
    monkeypatch.setattr(neighbours, "_compiled", None)
    vectors = _with_ties(200, 5, seed=7)
    with caplog.at_level(logging.INFO, logger=neighbours.__name__):
        kernel = top_k_neighbours(vectors, 9, method="kernel")
    assert "cannot be cached" in caplog.text
    _assert_same(kernel, top_k_neighbours(vectors, 9, method="numpy"))


@pytest.mark.parametrize("method", METHODS)
def test_small_sets_and_zero_vectors(method):
    indices, scores = top_k_neighbours(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 12, method=method)
    assert indices.shape == (3, 2)
    assert indices[0].tolist() == [1, 2] and scores[0].tolist() == [0.0, 0.0]
    assert indices[2].tolist() == [0, 1] and scores[2].tolist() == [0.0, 0.0]
    for count in (0, 1):
        indices, scores = top_k_neighbours(np.ones((count, 3)), 5, method=method)
        assert indices.shape == scores.shape == (count, 0)
    indices, scores = top_k_neighbours(np.array([[1.0, 1.0], [2.0, 2.0]]), 5, block_floats=1, method=method)
    assert indices.tolist() == [[1], [0]] and np.allclose(scores, 1.0)


def test_cached_neighbours_are_searched_once_per_vectors_and_k(tmp_path, monkeypatch, caplog):
    vectors = np.random.default_rng(3).normal(size=(40, 8)).astype(np.float32)
    cache = Cache(tmp_path)
    searches = []
    search = neighbours.top_k_neighbours
    monkeypatch.setattr(neighbours, "top_k_neighbours", lambda *args: searches.append(args[1]) or search(*args))
    caplog.set_level(logging.INFO, logger=neighbours.__name__)
    first = neighbours.cached_top_k_neighbours(vectors, 5, cache)
    again = neighbours.cached_top_k_neighbours(vectors, 5, cache)
    assert searches == [5] and "neighbours from cache" in caplog.text
    for got, expected in zip(again, search(vectors, 5), strict=True):
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert np.array_equal(first[0], again[0])
    neighbours.cached_top_k_neighbours(vectors, 7, cache)  # another k
    neighbours.cached_top_k_neighbours(vectors * 2 + 1, 5, cache)  # other vectors
    assert searches == [5, 7, 5]
    tiny = neighbours.cached_top_k_neighbours(vectors[:3], 5, cache)  # k shrinks to N - 1, cached as such
    assert tiny[0].shape == (3, 2) and neighbours.cached_top_k_neighbours(vectors[:3], 5, cache)[0].shape == (3, 2)
    assert searches == [5, 7, 5, 5]

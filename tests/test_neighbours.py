"""Top-k cosine neighbours by blocks equal the brute-force answer."""

from __future__ import annotations

import numpy as np

from site_builder.neighbours import top_k_neighbours, unit_rows


def test_blocked_top_k_equals_brute_force():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    unit = unit_rows(vectors)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    expected = np.argsort(-similarity, axis=1, kind="stable")[:, :10]
    for block_floats in (300, 300 * 7, 10**9):  # one row per block, seven, everything at once
        indices, scores = top_k_neighbours(vectors, 10, block_floats=block_floats)
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_allclose(scores, np.take_along_axis(similarity, expected, axis=1), rtol=1e-5)
    assert (indices != np.arange(300)[:, None]).all()
    assert (np.diff(scores, axis=1) <= 1e-7).all()


def test_small_sets_and_zero_vectors():
    indices, scores = top_k_neighbours(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 12)
    assert indices.shape == (3, 2)
    assert indices[0].tolist() == [1, 2] and scores[0].tolist() == [0.0, 0.0]

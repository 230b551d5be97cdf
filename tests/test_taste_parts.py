"""A large portal's vectors in parts (site.taste_parts): the files, the probe, the share the build chooses."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_recommend import _films, clustered

from site_builder.cache import Cache
from site_builder.model.neighbours import unit_rows
from site_builder.site import recommend, taste_parts


@pytest.fixture(scope="module")
def parted():
    """Page data of 6,000 films in 20 taste clusters, with parts from any size on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(taste_parts, "PARTS_FROM", 0)
        return _films(6000, seed=3)


def test_a_large_portals_vectors_come_in_parts_that_put_back_the_file(parted):
    document = json.loads(parted.files["recommend.json"])
    folder, vectors = parted.blocks, document["vectors"]
    parts = vectors["parts"]
    assert "path" not in vectors and folder + "vectors.i8" not in parted.files
    assert parts["probe"] == folder + "probe.bin" and parts["path"] == folder + "parts/" and parts["suffix"] == ".i8"
    assert parts["clusters"] == taste_parts.cluster_count(6000) == 20
    assert parts["queries"] == taste_parts.QUERIES

    found = taste_parts.read_probe(parted.files[parts["probe"]], parts["clusters"], 100, 6000)
    np.testing.assert_array_equal(found.cluster, parted.parts.cluster)
    np.testing.assert_array_equal(found.centroids, parted.parts.centroids)
    # every point's row is in its cluster's part, in point order, as the whole file had it
    whole = np.frombuffer(recommend.quantise(clustered(6000, 100, seed=3), "int8"), dtype=np.int8).reshape(6000, 100)
    put_back = np.zeros_like(whole)
    for c in range(parts["clusters"]):
        part = np.frombuffer(parted.files[f"{parts['path']}{c}.i8"], dtype=np.int8).reshape(-1, 100)
        put_back[found.cluster == c] = part
    np.testing.assert_array_equal(put_back, whole)
    assert "20 parts; a first taste ranking probes" in parted.describe()
    with pytest.raises(ValueError, match="wrong size"):
        taste_parts.read_probe(parted.files[parts["probe"]][:-1], parts["clusters"], 100, 6000)


def test_the_build_chooses_the_smallest_share_that_keeps_the_target(parted):
    document = json.loads(parted.files["recommend.json"])
    parts, found = document["vectors"]["parts"], parted.parts
    agreement = dict(zip(taste_parts.SHARES, found.agreement))
    assert parts["share"] == found.share and parts["kept"] == round(agreement[found.share], 4)
    assert agreement[found.share] >= taste_parts.TARGET
    assert all(agreement[s] < taste_parts.TARGET for s in taste_parts.SHARES if s < found.share)
    assert found.share < 0.5  # in 20 taste clusters a taste needs a few of them, not half
    # what it loads: the probed share and the chosen points' parts, less than all
    assert found.share <= parts["loaded"] < 1


def test_without_taste_clusters_a_small_share_finds_less():
    """Points with no structure: the chosen points' parts and 2% more miss much of the top 10 (the measure
    can fail), and the build probes more."""
    vectors = np.random.default_rng(1).normal(size=(3000, 32)).astype(np.float32)
    found = taste_parts.partition(
        recommend.dequantise(recommend.quantise(vectors, "int8"), "int8", 32), unit_rows(vectors)
    )
    agreement = dict(zip(taste_parts.SHARES, found.agreement))
    assert agreement[0.02] < 0.8 and agreement[1.0] > 0.95
    assert found.share >= 0.3 and np.all(np.diff(found.loads) >= 0)


def test_the_bound_holds_and_the_probe_takes_the_best_bounds_first(parted):
    found = parted.parts
    unit = recommend.dequantise(recommend.quantise(clustered(6000, 100, seed=3), "int8"), "int8", 100)
    rng = np.random.default_rng(9)
    for _ in range(20):
        chosen = rng.choice(6000, 4, replace=False).tolist()
        query = unit[chosen[:3]].sum(axis=0) - unit[chosen[3]]
        bound = found.centroids @ query + found.radii * np.linalg.norm(query)
        scores = unit @ query
        for c in range(len(found.centroids)):  # no point scores more than its cluster's bound
            assert scores[found.cluster == c].max() <= bound[c] + 1e-5
        taken = taste_parts.probe(found, chosen, query, 0.2)
        own = list(dict.fromkeys(int(found.cluster[p]) for p in chosen))
        assert taken[: len(own)] == own
        probed = taken[len(own) :]
        left = [c for c in range(len(found.centroids)) if c not in taken]
        assert not left or not probed or bound[probed].min() >= bound[left].max()
        sizes = found.sizes
        assert sizes[probed].sum() >= 0.2 * 6000 > sizes[probed[:-1]].sum()


def test_a_partition_is_cached(tmp_path, monkeypatch):
    vectors = clustered(1500, 16)
    decoded = recommend.dequantise(recommend.quantise(vectors, "int8"), "int8", 16)
    cache = Cache(tmp_path)
    first = taste_parts.cached_partition(vectors, "int8", decoded, cache)
    monkeypatch.setattr(taste_parts, "partition", lambda *args: pytest.fail("partitioned again"))
    again = taste_parts.cached_partition(vectors, "int8", decoded, cache)
    np.testing.assert_array_equal(first.cluster, again.cluster)
    np.testing.assert_array_equal(first.agreement, again.agreement)
    assert first.cluster.dtype == np.uint8 and len(first.centroids) == taste_parts.cluster_count(1500) == 8
    # each point belongs to its nearest centroid
    nearest = np.argmin(((decoded[:, None, :] - first.centroids[None]) ** 2).sum(axis=2), axis=1)
    assert (nearest == first.cluster).mean() > 0.999
    assert np.allclose(np.linalg.norm(unit_rows(vectors), axis=1), 1)


def test_a_small_portal_keeps_one_vectors_file():
    data = _films(300)
    document = json.loads(data.files["recommend.json"])
    assert "parts" not in document["vectors"] and data.parts is None
    assert document["vectors"]["path"] == data.blocks + "vectors.i8"

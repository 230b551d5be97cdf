"""Build-time UMAP layouts and the projector bookmarks that carry them."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from site_builder.cache import Cache
from site_builder.config import LayoutSettings
from site_builder.model import layouts, neighbours
from site_builder.site import paths
from site_builder.site.projector import projector_bundle


def _clusters(count: int = 90, dimensions: int = 12, seed: int = 0) -> np.ndarray:
    """Three well separated clusters: a layout with some shape to keep."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(3, dimensions))
    labels = np.arange(count) % 3
    return (centres[labels] + rng.normal(size=(count, dimensions))).astype(np.float32)


def test_layouts_have_the_asked_shapes(tmp_path):
    vectors = _clusters()
    result = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path))
    assert list(result) == ["umap-3d", "umap-2d"]
    assert result["umap-3d"].shape == (90, 3) and result["umap-2d"].shape == (90, 2)
    assert all(coords.dtype == np.float32 and np.isfinite(coords).all() for coords in result.values())

    only_2d = layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"]), Cache(tmp_path))
    assert list(only_2d) == ["umap-2d"]
    np.testing.assert_array_equal(only_2d["umap-2d"], result["umap-2d"])  # each layout cached on its own


def test_layouts_keep_clusters_apart(tmp_path):
    vectors = _clusters()
    coords = layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"]), Cache(tmp_path))["umap-2d"]
    labels = np.arange(len(vectors)) % 3
    centres = np.array([coords[labels == c].mean(axis=0) for c in range(3)])
    spread = max(np.linalg.norm(coords[labels == c] - centres[c], axis=1).mean() for c in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)]
    assert min(gaps) > 2 * spread


def test_layouts_are_deterministic_with_the_seed(tmp_path):
    vectors = _clusters()
    first = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path / "a"))
    second = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path / "b"))
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    other_seed = layouts.umap_layouts(vectors, LayoutSettings(seed=7, umap=["2d"]), Cache(tmp_path / "c"))
    assert not np.array_equal(other_seed["umap-2d"], first["umap-2d"])


def test_layouts_come_from_the_cache(tmp_path, monkeypatch):
    vectors = _clusters()
    cache = Cache(tmp_path)
    computed = layouts.umap_layouts(vectors, LayoutSettings(), cache)
    assert len(list((tmp_path / layouts.LAYOUTS.folder).glob("*.npy"))) == 2

    fits = []
    monkeypatch.setattr(layouts, "_fit_umap", lambda *args: fits.append(args) or np.zeros((90, args[2]), np.float32))
    again = layouts.umap_layouts(vectors, LayoutSettings(umap=["2d", "3d"]), cache)
    assert not fits and list(again) == ["umap-2d", "umap-3d"]
    for name in computed:
        np.testing.assert_array_equal(again[name], computed[name])

    # any change to the vectors or to a UMAP setting is a miss
    layouts.umap_layouts(vectors + 1e-3, LayoutSettings(umap=["2d"]), cache)
    layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"], min_dist=0.3), cache)
    layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"], metric="euclidean"), cache)
    assert len(fits) == 3


def test_precomputed_neighbours_give_the_same_layouts(tmp_path, monkeypatch):
    vectors = _clusters()
    knn = neighbours.top_k_neighbours(vectors, 20)  # as the build's: more columns than UMAP takes
    searched = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path / "a"))

    def no_search(*args, **kwargs):
        raise AssertionError("searched for neighbours again")

    monkeypatch.setattr(neighbours, "top_k_neighbours", no_search)
    given = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path / "b"), knn)
    for name in searched:
        np.testing.assert_array_equal(given[name], searched[name])

    # the cache key does not depend on them: a layout computed without is found with
    monkeypatch.setattr(layouts, "_fit_umap", no_search)
    cached = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path / "a"), knn)
    for name in searched:
        np.testing.assert_array_equal(cached[name], searched[name])


def test_too_few_precomputed_neighbours_are_searched_again(tmp_path, monkeypatch):
    vectors = _clusters()
    searches = []
    search = neighbours.top_k_neighbours
    monkeypatch.setattr(neighbours, "top_k_neighbours", lambda *args: searches.append(args[1]) or search(*args))
    few = search(vectors, 5)
    result = layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"]), Cache(tmp_path), few)
    assert searches == [14] and result["umap-2d"].shape == (90, 2)


def test_large_portals_start_from_a_pca_and_take_fewer_epochs(tmp_path, monkeypatch):
    import umap

    vectors = _clusters()
    settings = LayoutSettings(umap=["2d"])
    below = layouts.layout_key(vectors, settings, 2)
    # below LARGE_LAYOUT the key is what it was before large portals had their own epochs
    params = {"dimensions": 2, "n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": 42}
    assert below == layouts.LAYOUTS.key([90, 12], vectors.tobytes(), params)

    asked = []
    model = umap.UMAP
    monkeypatch.setattr(
        umap, "UMAP", lambda **kwargs: asked.append((kwargs["init"], kwargs.get("n_epochs"))) or model(**kwargs)
    )
    layouts.umap_layouts(vectors, settings, Cache(tmp_path / "small"))
    monkeypatch.setattr(layouts, "LARGE_LAYOUT", 60)  # these 90 points now count as a large portal
    coords = layouts.umap_layouts(vectors, settings, Cache(tmp_path / "large"))["umap-2d"]
    assert asked == [("spectral", None), ("pca", layouts.LARGE_LAYOUT_EPOCHS)]
    assert layouts.layout_key(vectors, settings, 2) != below
    again = layouts.umap_layouts(vectors, settings, Cache(tmp_path / "again"))["umap-2d"]
    np.testing.assert_array_equal(again, coords)  # still seeded
    # vectors of fewer dimensions than a 3-D layout: no PCA of 3 components, a spectral start
    flat = layouts.umap_layouts(vectors[:, :2], LayoutSettings(umap=["3d"]), Cache(tmp_path / "flat"))["umap-3d"]
    assert flat.shape == (90, 3) and asked[-1] == ("spectral", layouts.LARGE_LAYOUT_EPOCHS)

    labels = np.arange(len(vectors)) % 3  # and the clusters are still apart
    centres = np.array([coords[labels == c].mean(axis=0) for c in range(3)])
    spread = max(np.linalg.norm(coords[labels == c] - centres[c], axis=1).mean() for c in range(3))
    assert min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)) > 2 * spread


def test_an_unreadable_cache_entry_is_a_miss(tmp_path):
    vectors = _clusters()
    cache = Cache(tmp_path)
    key = layouts.layout_key(vectors, LayoutSettings(), 2)
    cache.path(layouts.LAYOUTS, key, ".npy").parent.mkdir(parents=True)
    cache.path(layouts.LAYOUTS, key, ".npy").write_bytes(b"not an array")
    result = layouts.umap_layouts(vectors, LayoutSettings(umap=["2d"]), cache)
    assert result["umap-2d"].shape == (90, 2)


@pytest.mark.parametrize("count", [3, 4, 5])
def test_tiny_portals_still_get_layouts(tmp_path, count):
    vectors = _clusters(count=count)
    result = layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path))
    assert result["umap-3d"].shape == (count, 3) and result["umap-2d"].shape == (count, 2)
    assert all(np.isfinite(coords).all() for coords in result.values())


@pytest.mark.parametrize("count", [0, 1, 2])
def test_too_few_points_have_no_layout(tmp_path, count):
    vectors = _clusters(count=max(count, 1))[:count]
    assert layouts.umap_layouts(vectors, LayoutSettings(), Cache(tmp_path)) == {}
    assert layouts.bookmarks({}, 12, "title") == []


def test_points_without_interactions_get_finite_coordinates(tmp_path):
    vectors = _clusters()
    vectors[:5] = 0  # points with no interactions sit at the origin
    for metric in ("cosine", "euclidean"):
        result = layouts.umap_layouts(vectors, LayoutSettings(metric=metric, umap=["2d"]), Cache(tmp_path))
        assert np.isfinite(result["umap-2d"]).all()


def _function_body(source: str, head: str, start: int = 0) -> tuple[str, int]:
    """The text between the braces of the function starting with `head` (minified JS), and its end."""
    begin = source.index(head, start) + len(head)
    depth = 1
    for position in range(begin, len(source)):
        depth += {"{": 1, "}": -1}.get(source[position], 0)
        if depth == 0:
            return source[begin:position], position
    raise AssertionError(f"unbalanced body after {head}")


def _state_fields_the_projector_reads() -> set[str]:
    """Fields of a State read by loadState, the panels' restoreUIFromBookmark and the projection's
    component list, in tensorboard's bundle (minified: the State is the parameter `t`, or `n`)."""
    script, _ = projector_bundle()
    source = script.read_text(encoding="utf-8")
    bodies = [(_function_body(source, "loadState(t){")[0], "t")]
    position = 0
    while "restoreUIFromBookmark(t){" in source[position:]:
        body, position = _function_body(source, "restoreUIFromBookmark(t){", position)
        bodies.append((body, "t"))
    components = re.search(r"function \w+\(n\)\{(?=let t;switch\(n\.selectedProjection\))", source)
    assert components, "the bundle's projection-components function moved"
    bodies.append((_function_body(source, components.group(0), components.start())[0], "n"))
    assert len(bodies) >= 5  # loadState, the scatter plot, inspector and projections panels, the components
    return {field for body, name in bodies for field in re.findall(rf"\b{name}\.(\w+)", body)}


def test_bookmarks_carry_every_field_the_projector_reads():
    read = _state_fields_the_projector_reads()
    # the fields whose absence throws or shows as "undefined" are among them
    assert {
        "customXLeftText",
        "customYDownRegex",
        "pcaComponentDimensions",
        "projections",
        "selectedProjection",
        "cameraDef",
        "umapIs3d",
        "tSNEPerplexity",
    } <= read
    assert read <= set(layouts.STATE_FIELDS)

    coords = {
        "umap-3d": np.random.default_rng(0).normal(size=(20, 3)),
        "umap-2d": np.random.default_rng(1).normal(size=(20, 2)),
    }
    states = layouts.bookmarks(coords, 12, "title", "first_genre", LayoutSettings(n_neighbors=200, min_dist=1.0))
    assert [state["label"] for state in states] == ["UMAP 3-D (precomputed)", "UMAP 2-D (precomputed)"]
    for state, components in zip(states, (3, 2)):
        assert set(layouts.STATE_FIELDS) <= set(state)
        assert state["selectedProjection"] == "umap" and state["umapIs3d"] == (components == 3)
        assert state["dataSetDimensions"] == [20, 12]
        assert state["selectedLabelOption"] == "title" and state["selectedColorOptionName"] == "first_genre"
        assert all(isinstance(state[f"custom{side}Text"], str) for side in ("XLeft", "XRight", "YUp", "YDown"))
        # within the projector's sliders
        assert 5 <= state["umapNeighbors"] <= 50 and 0 <= state["umapMinDist"] <= 0.99
        # coordinates for every point, in the projector's key names
        assert len(state["projections"]) == 20
        keys = {f"umap-{c}" for c in range(components)}
        assert all(set(point) == keys for point in state["projections"])
        values = np.array([[point[key] for key in sorted(keys)] for point in state["projections"]])
        assert np.isfinite(values).all() and np.abs(values).max() <= 1.0 + 1e-9
        assert np.isclose(np.abs(values).max(), 1.0, atol=1e-3)
    assert layouts.bookmarks(coords, 12, "title")[0]["selectedColorOptionName"] == "No color map"


def test_bookmarks_keep_the_layout_shape():
    coords = np.random.default_rng(2).normal(size=(50, 3)) * [10, 1, 3] + 5
    state = layouts.bookmarks({"umap-3d": coords}, 8, "title")[0]
    given = np.array([[p["umap-0"], p["umap-1"], p["umap-2"]] for p in state["projections"]])
    # centred and scaled by one factor for all axes: distances keep their ratios
    scale = (coords.max(axis=0) - coords.min(axis=0)).max() / 2
    centre = (coords.max(axis=0) + coords.min(axis=0)) / 2
    np.testing.assert_allclose(given, (coords - centre) / scale, atol=1e-4)


def test_bookmarks_json_round_trips():
    coords = {"umap-2d": np.random.default_rng(3).normal(size=(10, 2)).astype(np.float32)}
    states = layouts.bookmarks(coords, 4, "name", "age_band")
    data = layouts.bookmarks_json(states)
    assert json.loads(data) == states
    assert b"\n" not in data[:-1]  # compact


def test_the_build_ships_bookmarks_and_points_the_configs_at_them(tmp_path, tiny_content):
    from site_builder.build import build_site

    out = tmp_path / "_site"
    summary = build_site(tiny_content, out, tmp_path / "cache", base_url="https://u.github.io/r")
    assert {"layouts: movies", "layouts: users"} <= set(summary.stage_seconds)
    for portal in ("movies", "users"):
        states = json.loads((out / portal / paths.BOOKMARKS).read_text(encoding="utf-8"))
        assert [s["label"] for s in states] == ["UMAP 3-D (precomputed)", "UMAP 2-D (precomputed)"]
        assert all(len(s["projections"]) == 3 and s["dataSetDimensions"] == [3, 8] for s in states)
        relative = json.loads((out / portal / "projector_config.json").read_text())["embeddings"][0]
        online = json.loads((out / portal / "projector_config.online.json").read_text())["embeddings"][0]
        assert relative["bookmarksPath"] == "bookmarks.json"
        assert online["bookmarksPath"] == f"https://u.github.io/r/{portal}/bookmarks.json"
        page = (out / portal / "index.html").read_text(encoding="utf-8")
        assert 'data-layouts="2"' in page and "../static/projector.js" in page
    assert (out / "static" / "projector.js").is_file()
    assert len(list((tmp_path / "cache" / layouts.LAYOUTS.folder).glob("*.npy"))) == 4

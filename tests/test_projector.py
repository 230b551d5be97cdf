"""Stage 6: the projector's file formats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from site_builder.site.pages import relative_url
from site_builder.site.projector import (
    MAP_COMPACT_BYTES,
    ProjectorFiles,
    map_vectors,
    metadata_columns,
    metadata_tsv,
    projector_bundle,
    tensor_bytes,
)


def test_tensor_bytes_are_little_endian_float32_row_major():
    vectors = np.arange(6, dtype=np.float64).reshape(2, 3)
    raw = tensor_bytes(vectors)
    assert len(raw) == 2 * 3 * 4
    np.testing.assert_array_equal(np.frombuffer(raw, dtype="<f4").reshape(2, 3), vectors)


def test_metadata_label_first_and_unbreakable_rows():
    table = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "title": ["Tab\there", "Line\nbreak\r\nhere", "Plain"],
            "score": [1.5, float("nan"), 3.0],
        }
    )
    columns = metadata_columns("title", ["id", "score"])
    assert columns == ["title", "id", "score"]
    lines = metadata_tsv(table, columns).split("\n")
    assert lines[0] == "title\tid\tscore"
    assert lines[1:4] == ["Tab here\t1\t1.5", "Line break here\t2\t", "Plain\t3\t3"]
    assert lines[4] == "" and len(lines) == 5  # N + 1 rows and a final newline


def test_single_column_metadata_has_no_header():
    table = pd.DataFrame({"id": [7, 8]})
    assert metadata_tsv(table, ["id"]) == "7\n8\n"


def test_config_relative_and_absolute():
    files = ProjectorFiles(tensor_name="Movies", shape=(10, 4), cell=32)
    relative = files.config()["embeddings"][0]
    assert relative["tensorPath"] == "tensors.bytes" and relative["tensorShape"] == [10, 4]
    assert relative["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [32, 32]}
    # the site's own page loads the sheet itself, after the points (static/projector.js)
    assert "sprite" not in files.config(sprite=False)["embeddings"][0]
    absolute = files.config(base="https://u.github.io/r/movies/")["embeddings"][0]
    assert absolute["metadataPath"] == "https://u.github.io/r/movies/metadata.txt"
    assert absolute["tensorPath"].endswith(".bytes")  # no query string: the projector needs the suffix


def test_projector_bundle_is_in_the_tensorboard_wheel():
    script, licence = projector_bundle()
    assert script.stat().st_size > 1_000_000
    assert "Apache License" in licence.read_text()


def test_relative_urls():
    assert relative_url("index.html", "movies/index.html") == "movies/index.html"
    assert relative_url("movies/index.html", "static/site.css") == "../static/site.css"
    assert relative_url("movies/index.html", "movies/projector_config.json") == "projector_config.json"


def test_point_tints_follow_the_projectors_palette_order_and_listing():
    from site_builder.colours import CATEGORY_COLOURS, NO_VALUE, UNTINTED, point_tints

    values = pd.Series(["Comedy", "Action", "", "Comedy", "10", "2", None] + [f"c{i}" for i in range(9)])
    tints = point_tints(values)
    rgb = [tuple(c) for c in tints.rgb().tolist()]
    # array-index keys first, ascending, then the rest as first seen; the palette cycles after ten
    assert [value for value, _ in tints.legend][:4] == ["2", "10", "Comedy", "Action"]
    assert rgb[5] == CATEGORY_COLOURS[0] and rgb[4] == CATEGORY_COLOURS[1]
    assert rgb[0] == rgb[3] == CATEGORY_COLOURS[2] and rgb[1] == CATEGORY_COLOURS[3]
    assert rgb[2] == rgb[6] == NO_VALUE  # no value: black
    assert rgb[-1] == CATEGORY_COLOURS[12 % 10]
    assert point_tints(pd.Series([f"t{i}" for i in range(51)])).rgb().tolist() == [list(UNTINTED)] * 51
    numbers = point_tints(pd.Series([1.0, 3.0, 2.0]))
    assert [tuple(c) for c in numbers.rgb().tolist()] == [(255, 255, 221), (31, 45, 134), (143, 150, 178)]


def test_small_maps_load_the_vectors_as_they_are():
    assert map_vectors(np.ones((1000, 100), dtype=np.float32)) is None  # 400 KB of float32
    files = ProjectorFiles(tensor_name="T", shape=(1000, 100), cell=8)
    assert files.config(sprite=False)["embeddings"][0]["tensorPath"] == "tensors.bytes"


def test_large_maps_load_int8_principal_components():
    rng = np.random.default_rng(1)
    count, dims = 30_000, 100  # 12 MB of float32
    # most of the variance in 5 directions, the rest noise
    vectors = (rng.normal(size=(count, 5)) * 4) @ rng.normal(size=(5, dims)) + rng.normal(size=(count, dims))
    vectors += 3.0  # not centred: the copy is
    compact = map_vectors(vectors.astype(np.float32))
    assert compact is not None and compact.dims == 64 and count * 64 <= MAP_COMPACT_BYTES
    assert len(compact.data) == count * 64 and len(compact.scales) == 64
    assert 0.9 < compact.variance < 1.0
    decoded = np.frombuffer(compact.data, dtype=np.int8).reshape(count, 64) * np.array(compact.scales)
    # the decoded copy is the centred vectors' principal coordinates, each to within half a step of 255
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    exact = centred @ axes[:64].T
    exact *= np.sign((exact * decoded).sum(axis=0))  # an axis may point either way
    steps = np.abs(decoded - exact) / np.array(compact.scales)
    assert steps[:, :5].max() <= 0.51  # the strong directions, in order
    assert np.abs(decoded).max(axis=0).round(4).tolist() == (np.array(compact.scales) * 127).round(4).tolist()
    # fewer components where 64 would not fit
    assert map_vectors(np.repeat(vectors, 4, axis=0).astype(np.float32)).dims == 32
    # the self-hosted config names the copy and its shape; the online one keeps the float32 vectors
    files = ProjectorFiles(tensor_name="T", shape=(count, dims), cell=8, map_dims=compact.dims)
    own = files.config(sprite=False)["embeddings"][0]
    online = files.config(base="https://x.example/p/")["embeddings"][0]
    assert own["tensorPath"] == "map-vectors.i8.bytes" and own["tensorShape"] == [count, 64]
    assert online["tensorPath"] == "https://x.example/p/tensors.bytes" and online["tensorShape"] == [count, dims]

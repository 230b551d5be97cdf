"""The memory check before training: estimates that scale, and a clear stop when the build cannot fit."""

from __future__ import annotations

import pytest
from conftest import tree_digest, write_tiny_content

from site_builder.build import build_site
from site_builder.config import PortalConfig
from site_builder.errors import BuildError
from site_builder.model.memory import GB, available_bytes, portal_needs


def _portal(**changes) -> PortalConfig:
    return PortalConfig.model_validate(
        {"name": "m", "title": "M", "dataset": "d", "points": "items", "label": "title", **changes}
    )


def test_needs_grow_with_the_data_and_shrink_with_the_settings():
    small = {n.stage: n.bytes for n in portal_needs(_portal(), 100_000, 1_700, 950)}
    large = {n.stage: n.bytes for n in portal_needs(_portal(), 32_000_000, 87_000, 200_000)}
    assert all(large[stage] >= small[stage] for stage in small)
    assert large["embeddings"] > 10 * small["embeddings"]
    # MovieLens 32M's training fits a machine of 8 GB by this estimate (the bound)
    assert max(large.values()) < 6 * GB
    narrow = {
        n.stage: n.bytes
        for n in portal_needs(
            _portal(embedding={"word2vec": {"vector_size": 16}}, layouts={"umap": []}), 32_000_000, 87_000, 200_000
        )
    }
    assert narrow["embeddings"] < large["embeddings"] and narrow["layouts"] == 0


def test_available_memory_is_read_from_the_machine():
    free, source = available_bytes()
    assert 0 < free < 1024 * GB and source


def test_a_build_that_cannot_fit_stops_before_training_and_keeps_the_site(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = write_tiny_content(tmp_path / "content")
    out, cache = tmp_path / "_site", tmp_path / "cache"
    build_site(content, out, cache)
    before = tree_digest(out)
    site_yml = content / "site.yml"
    vectors_before = sorted((cache / "vectors").iterdir())
    # new training settings, so vectors would be trained (and cached) if the check came too late
    site_yml.write_text("max_memory_gb: 0.05\n" + site_yml.read_text().replace("epochs: 2", "epochs: 3"))
    with pytest.raises(BuildError) as caught:
        build_site(content, out, cache)
    message = str(caught.value)
    assert "portals[0] (movies)" in message and "max_memory_gb: 0.05 in site.yml" in message
    assert "GB can be used" in message and "lower " in message
    assert tree_digest(out) == before
    assert sorted((cache / "vectors").iterdir()) == vectors_before


def test_max_memory_must_be_positive(tmp_path):
    from site_builder.config import load_config

    content = write_tiny_content(tmp_path / "content")
    site_yml = content / "site.yml"
    site_yml.write_text("max_memory_gb: 0\n" + site_yml.read_text())
    with pytest.raises(BuildError) as caught:
        load_config(content)
    assert "max_memory_gb" in str(caught.value)

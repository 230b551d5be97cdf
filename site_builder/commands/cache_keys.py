"""Keys for CI caches (GitHub Actions), one per cache folder, computed from the config.

Each key changes when, and only when, what that folder's entries are made from
changes: editing a docs page or a template changes none of them, so a
redeploy restores every cache and neither retrains, re-downloads nor
re-stitches anything.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

from site_builder.cache import stable_hash
from site_builder.config import DatasetConfig, SiteConfig
from site_builder.pictures.make import network_period


def dataset_identity(dataset: DatasetConfig) -> str:
    """The checksum of a downloaded dataset, or a hash of a local dataset's files."""
    if dataset.url is not None:
        return "{}:{}".format(*dataset.checksum())
    root = Path(dataset.path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    from site_builder.data.dataset import fingerprint

    return fingerprint(files)


def cache_keys(config: SiteConfig) -> dict[str, str]:
    identities = {name: dataset_identity(d) for name, d in config.datasets.items()}
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    libraries = {name: version(name) for name in ("gensim", "fse", "numpy", "pillow", "umap-learn")}
    datasets = sorted((d.url, *d.checksum()) for d in config.datasets.values() if d.url)
    vectors = [(identities[p.dataset], p.points, p.embedding.model_dump()) for p in config.portals]
    # portals with network sources may get new pictures once per missing_ttl_hours period,
    # so their keys move on then (and GitHub saves the caches again)
    periods = [network_period(p, config.download) for p in config.portals]
    images = [(identities[p.dataset], p.points, p.images.model_dump(mode="json"), period)
              for p, period in zip(config.portals, periods)]
    sprites = [(identities[p.dataset], p.points, p.label, p.color_by, p.sprite.model_dump(),
                p.images.model_dump(mode="json"), period) for p, period in zip(config.portals, periods)]
    return {
        "datasets": stable_hash("datasets", datasets)[:32],
        "vectors": stable_hash("vectors", vectors, libraries, python)[:32],
        "layouts": stable_hash("layouts", vectors, [p.layouts.model_dump() for p in config.portals],
                               libraries, python)[:32],
        "downloads": stable_hash("downloads", images)[:32],
        "sprites": stable_hash("sprites", sprites, libraries)[:32],
    }

"""Keys for CI caches (GitHub Actions), one per cache folder, computed from the config.

Each key changes when, and only when, what that folder's entries are made from
changes: editing a docs page or a template changes none of them, so a
redeploy restores every cache and neither retrains, re-downloads nor
re-stitches anything. The keys of the stages' folders derive from the same
declarations as their entries' keys: each stage's cache Kind (folder,
version, libraries) and its `config_inputs`.
"""

from __future__ import annotations

from pathlib import Path

from site_builder.cache import Kind, stable_hash
from site_builder.config import DatasetConfig, PortalConfig, SiteConfig
from site_builder.data.dataset import fingerprint
from site_builder.model import embeddings, layouts, neighbours, regions
from site_builder.pictures import make as pictures
from site_builder.site import web_fonts


def dataset_identity(dataset: DatasetConfig) -> str:
    """The checksum of a downloaded dataset, or a hash of a local dataset's files."""
    if dataset.url is not None:
        return "{}:{}".format(*dataset.checksum())
    root = Path(dataset.path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return fingerprint(files)


def cache_keys(config: SiteConfig) -> dict[str, str]:
    identities = {name: dataset_identity(d) for name, d in config.datasets.items()}

    def per_portal(inputs) -> list:
        return [(identities[p.dataset], inputs(p)) for p in config.portals]

    # each cache folder: the kinds stored in it, and what each portal's entries of them are made of
    stages: dict[str, list[tuple[Kind, list]]] = {}
    for kind, inputs in [
        (embeddings.VECTORS, per_portal(embeddings.config_inputs)),
        (layouts.LAYOUTS, per_portal(layouts.config_inputs)),
        (regions.REGIONS, per_portal(lambda p: [layouts.config_inputs(p), p.label, p.metadata, p.color_by])),
        (neighbours.NEIGHBOURS, per_portal(lambda p: [embeddings.config_inputs(p), p.neighbours_to_search])),
        (pictures.SPRITES, per_portal(lambda p: pictures.config_inputs(p, config.content_dir, config.download))),
        (web_fonts.WEB_FONT_CACHE, []),
    ]:
        stages.setdefault(kind.folder, []).append((kind, inputs))
    keys = {
        folder: stable_hash(folder, [(kind.version, kind.dependencies(), inputs) for kind, inputs in entries])[:32]
        for folder, entries in stages.items()
    }
    keys["datasets"] = stable_hash(
        "datasets", sorted((d.url, *d.checksum()) for d in config.datasets.values() if d.url)
    )[:32]
    keys["downloads"] = stable_hash("downloads", per_portal(lambda p: _download_inputs(p, config)))[:32]
    return dict(sorted(keys.items()))


def _download_inputs(portal: PortalConfig, config: SiteConfig) -> list:
    """What a portal downloads: its points and network sources, once per missing_ttl_hours period."""
    return [portal.points, portal.images.model_dump(mode="json"), pictures.network_period(portal, config.download)]

"""One picture per point, stitched into the projector's sprite sheet and
the landing page's preview.

Pictures come from the portal's image sources (images.py) and a generated
card stands in for any point without one (sprites.py). The encoded sheet and
preview are cached by everything they are made from: labels, colours,
settings, the dataset and any local image folder. Images fetched over the
network can change without any of those changing (a poster that was missing
appears), so for portals with network sources the key also holds the current
period of `download.missing_ttl_hours`: at most once per period, the sheet is
stitched again and missing images are asked for again.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from site_builder.cache import Cache, Kind
from site_builder.colours import Tints
from site_builder.config import DownloadSettings, PortalConfig
from site_builder.data.dataset import fingerprint
from site_builder.errors import collect_warnings
from site_builder.pictures import images, sprites
from site_builder.pictures.download import Downloader

log = logging.getLogger(__name__)

PREVIEW_POINTS = 12


@dataclass
class Pictures:
    sheet: bytes
    extension: str  # "webp", "png" or "jpg"
    cell: int
    preview: bytes  # PNG
    preview_size: tuple[int, int]
    report: dict  # images.ImageReport fields, reasons as a dict
    warnings: list[str] = field(default_factory=list)  # logged while collecting the images
    # the recommendation page's picture (images.PAGE_PICTURE px, WebP) of each point that has a real one
    page_pictures: dict[int, bytes] = field(default_factory=dict)
    from_cache: bool = False

    def describe(self) -> str:
        report = images.ImageReport(**{**self.report, "reasons": Counter(self.report["reasons"])})
        text = report.describe()
        return text + (" (sheet from cache)" if self.from_cache else "")

    @property
    def failed(self) -> int:
        return self.report["failed"]


SPRITES = Kind("sprites", "pictures-v6", ("pillow", "font-roboto", "justmytype-intl-cjk", "justmytype-intl-rtl"))


def config_inputs(portal: PortalConfig, content_dir: Path, download: DownloadSettings) -> list:
    """What a portal's pictures are made of besides its dataset: part of the sheet's key, and the
    key of the deploy cache. Portals with network sources may get new pictures once per
    missing_ttl_hours period, so their key moves on then."""
    local_files = []
    for source in portal.images.sources:
        if source.local is not None:
            folder = Path(content_dir) / source.local.folder
            if folder.is_dir():
                local_files += sorted(p for p in folder.iterdir() if p.is_file())
    # a sheet made without the TMDB key (cards) must not stand in once the key is set
    keys_present = [
        bool(os.environ.get(s.tmdb.api_key_env, "").strip()) for s in portal.images.sources if s.tmdb is not None
    ]
    return [
        portal.points,
        portal.label,
        portal.opening_colours,
        portal.sprite.model_dump(),
        portal.images.model_dump(mode="json"),
        fingerprint(local_files) if local_files else None,
        network_period(portal, download),
        keys_present,
    ]


def uses_network(portal: PortalConfig) -> bool:
    return any(s.url_column or s.tmdb for s in portal.images.sources)


def network_period(portal: PortalConfig, download: DownloadSettings) -> int | None:
    """The current period of `missing_ttl_hours` for portals with network sources, else None."""
    if not uses_network(portal):
        return None
    ttl = max(download.missing_ttl_hours, 1e-6) * 3600
    return int(time.time() // ttl)


def pictures_key(
    portal: PortalConfig,
    table: pd.DataFrame,
    tints: np.ndarray,
    content_dir: Path,
    dataset_fingerprint: str,
    download: DownloadSettings,
) -> str:
    return SPRITES.key(
        [str(label) for label in table[portal.label].tolist()],
        np.asarray(tints, dtype=np.uint8).tobytes(),
        dataset_fingerprint,
        config_inputs(portal, content_dir, download),
    )


def make_pictures(
    portal: PortalConfig,
    table: pd.DataFrame,
    point_tints: Tints,
    content_dir: Path,
    dataset_fingerprint: str,
    download: DownloadSettings,
    downloader: Downloader | None,
    cache: Cache,
) -> Pictures:
    """The sprite sheet and the landing page's preview, whose cards are multiplied by `point_tints`
    as the map shows them."""
    tints = point_tints.rgb()
    key = pictures_key(portal, table, tints, content_dir, dataset_fingerprint, download)
    pictures, cached = cache.memo(
        SPRITES, key, lambda: _make(portal, table, tints, content_dir, download, downloader), PicturesCodec()
    )
    if cached:
        for warning in pictures.warnings:  # what went wrong then still holds for this sheet
            log.warning("%s", warning)
    return pictures


def _make(
    portal: PortalConfig,
    table: pd.DataFrame,
    tints: np.ndarray,
    content_dir: Path,
    download: DownloadSettings,
    downloader: Downloader | None,
) -> Pictures:
    _, cell = sprites.sprite_grid(len(table), portal.sprite.max_cell, portal.sprite.max_sheet)
    with collect_warnings("site_builder.pictures") as warnings:
        thumbs, report, page_pictures = (
            images.collect_images(
                table, portal.images, downloader, content_dir, cell, download.max_pixels, images.PAGE_PICTURE
            )
            if portal.images.sources
            else ({}, images.ImageReport(generated=len(table)), {})
        )
    sheet, cell = sprites.draw_sprite_sheet(
        labels=table[portal.label].tolist(),
        max_cell=portal.sprite.max_cell,
        max_sheet=portal.sprite.max_sheet,
        images=thumbs,
    )
    data, extension = images.encode_sheet(sheet, portal.sprite.format, portal.sprite.jpeg_quality)
    # the preview shows the points with the most interactions first
    popular = np.argsort(-table["num_ratings"].to_numpy(), kind="stable")[:PREVIEW_POINTS].tolist()
    preview_image = sprites.preview_montage(sheet, cell, popular, [tuple(tints[i]) for i in popular])
    buffer = io.BytesIO()
    preview_image.save(buffer, format="PNG")
    report_fields = {**report.__dict__, "reasons": dict(report.reasons)}
    return Pictures(
        sheet=data,
        extension=extension,
        cell=cell,
        preview=buffer.getvalue(),
        preview_size=preview_image.size,
        report=report_fields,
        warnings=warnings,
        page_pictures=page_pictures,
    )


class PicturesCodec:
    """A Pictures entry as one uncompressed ZIP: the sheet, the preview and what describes them."""

    suffix = ".zip"

    def encode(self, pictures: Pictures) -> bytes:
        meta = {
            "extension": pictures.extension,
            "cell": pictures.cell,
            "preview_size": list(pictures.preview_size),
            "report": pictures.report,
            "warnings": pictures.warnings,
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("sheet", pictures.sheet)
            archive.writestr("preview.png", pictures.preview)
            archive.writestr("meta.json", json.dumps(meta))
            for point, picture in pictures.page_pictures.items():
                archive.writestr(f"page/{point}", picture)
        return buffer.getvalue()

    def decode(self, data: bytes) -> Pictures:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                meta = json.loads(archive.read("meta.json"))
                sheet, preview = archive.read("sheet"), archive.read("preview.png")
                page_pictures = {
                    int(name.removeprefix("page/")): archive.read(name)
                    for name in archive.namelist()
                    if name.startswith("page/")
                }
        except zipfile.BadZipFile as error:  # a damaged entry is a miss
            raise ValueError(str(error)) from None
        return Pictures(
            sheet=sheet,
            extension=meta["extension"],
            cell=meta["cell"],
            preview=preview,
            preview_size=tuple(meta["preview_size"]),
            report=meta["report"],
            warnings=meta.get("warnings", []),
            page_pictures=page_pictures,
            from_cache=True,
        )

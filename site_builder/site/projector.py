"""The Embedding Projector's files for one portal, and its front end.

Formats as the projector (tensorboard 2.21.0, demo mode) reads them:
- tensors.bytes: raw little-endian float32, row-major N x D. The projector
  reads it as binary only when the path ends in ".bytes" (no query string),
  takes D from tensorShape and infers N from the byte count.
- map-vectors.i8.bytes, for large portals only (`map_vectors`): what the
  site's own map loads instead, N x D' int8, the vectors' top D' principal
  components, each scaled by its own factor. static/map-vectors.js decodes
  it for the projector; projector.tensorflow.org never sees it.
- metadata.txt: tab-separated values (the projector reads any name), named .txt
  because GitHub Pages compresses text/plain (a quarter of the size or less)
  and may not compress text/tab-separated-values. A header row when there is
  more than one column; no quoting,
  so tabs and line breaks inside values are replaced by spaces. The label
  column comes first: the projector labels points by the first non-numeric
  column.
- the config JSON: paths relative to the HTML page (not to the config file)
  for the self-hosted projector, absolute URLs for projector.tensorflow.org.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import distribution
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from site_builder.colours import cell_text
from site_builder.site.paths import MAP_VECTORS, METADATA, TENSORS

ONLINE_PROJECTOR = "https://projector.tensorflow.org/"

# The map's vectors as float32 up to this size; past it, a compact copy of at most MAP_COMPACT_BYTES
# (2.8 MB at 87,585 points): about 2 s on a 10 Mbit/s phone link instead of 28 s for 35 MB of float32.
MAP_FLOAT32_BYTES = 4 * 2**20
MAP_COMPACT_BYTES = 4 * 2**20
MAP_COMPONENTS = (64, 32, 16, 8)  # the choices of D', most first


def tensor_bytes(vectors: np.ndarray) -> bytes:
    return np.ascontiguousarray(vectors, dtype="<f4").tobytes()


@dataclass(frozen=True)
class MapVectors:
    """The compact copy of the vectors the site's map loads at large sizes (see the module doc)."""

    data: bytes  # N x D' int8, row-major
    scales: list[float]  # component d of point i is data[i, d] * scales[d]
    dims: int  # D'
    variance: float  # share of the vectors' variance the D' components keep

    def describe(self) -> str:
        return (
            f"the map loads the top {self.dims} principal components as int8 ({len(self.data):,} bytes, "
            f"{self.variance:.0%} of the variance); its neighbour list is the build's"
        )


def map_vectors(vectors: np.ndarray) -> MapVectors | None:
    """None when the map loads tensors.bytes as it is; else the compact copy: the centred vectors'
    top D' principal components (the largest D' of MAP_COMPONENTS whose int8 copy fits in
    MAP_COMPACT_BYTES), each component scaled so its largest magnitude is 127.

    The projector's own PCA of these is the PCA of the vectors; its t-SNE and UMAP run on the
    D' components (as is usual for large data); its neighbour list is replaced by the build's
    exact one (static/map-ui.js), so what the map lists is what the recommendation page lists.
    """
    count, dims = vectors.shape
    if count * dims * 4 <= MAP_FLOAT32_BYTES:
        return None
    keep = next((d for d in MAP_COMPONENTS if count * d <= MAP_COMPACT_BYTES), MAP_COMPONENTS[-1])
    keep = min(keep, dims)
    centred = np.asarray(vectors, dtype=np.float64)
    centred = centred - centred.mean(axis=0)
    values, axes = np.linalg.eigh(centred.T @ centred)  # D x D: cheap at any N
    order = np.argsort(values)[::-1][:keep]
    coords = centred @ axes[:, order]
    peak = np.abs(coords).max(axis=0)
    scales = np.where(peak > 0, peak / 127, 1.0)
    data = np.rint(coords / scales).clip(-127, 127).astype(np.int8).tobytes()
    total = float(values.clip(min=0).sum())
    return MapVectors(
        data=data,
        scales=[float(f"{s:.6g}") for s in scales],
        dims=keep,
        variance=float(values[order].clip(min=0).sum() / total) if total > 0 else 1.0,
    )


def metadata_columns(label: str, metadata: list[str], color_by: str | None = None) -> list[str]:
    """Label first (the projector's default label), then `id`, the metadata, and the
    colour-by column (so the projector can colour by it too), without repeats."""
    columns: list[str] = []
    for name in [label, "id", *metadata, *([color_by] if color_by else [])]:
        if name not in columns:
            columns.append(name)
    return columns


def metadata_tsv(table: pd.DataFrame, columns: list[str]) -> str:
    """The metadata file: one row per point, in point order."""
    lines = ["\t".join(columns)] if len(columns) > 1 else []
    cleaned = [table[name].map(cell_text).tolist() for name in columns]
    lines.extend("\t".join(row) for row in zip(*cleaned))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ProjectorFiles:
    """Names of a portal's files, relative to the portal's page."""

    tensor_name: str
    shape: tuple[int, int]
    cell: int
    map_dims: int | None = None  # D' of the map's compact vectors, when it has them (map_vectors)
    sprite: str = "sprite.png"  # or sprite.webp, sprite.jpg
    bookmarks: str | None = None  # bookmarks.json: precomputed layouts (model.layouts)

    def config(self, base: str = "", sprite: bool = True) -> dict:
        """The projector config; `base` is '' (relative) or the portal folder's absolute URL + '/'.

        Without `sprite`, the projector draws the points as soon as the tensors and metadata are
        in; the site's own page then loads the sprite sheet itself once the layout is on screen
        (static/projector.js), rather than holding every point back until the sheet, most of
        the map's bytes, has arrived. projector.tensorflow.org runs none of the site's scripts,
        so the online config names the sheet, and the float32 vectors (`map_dims`: the site's
        own map loads the compact copy)."""
        compact = self.map_dims is not None and not base
        embedding = {
            "tensorName": self.tensor_name,
            "tensorShape": [self.shape[0], self.map_dims] if compact else list(self.shape),
            "tensorPath": base + (MAP_VECTORS if compact else TENSORS),
            "metadataPath": base + METADATA,
        }
        if sprite:
            embedding["sprite"] = {"imagePath": base + self.sprite, "singleImageDim": [self.cell, self.cell]}
        if self.bookmarks:
            embedding["bookmarksPath"] = base + self.bookmarks
        return {"embeddings": [embedding], "modelCheckpointPath": self.tensor_name}


def online_projector_url(config_url: str) -> str:
    return f"{ONLINE_PROJECTOR}?config={config_url}"


def projector_bundle() -> tuple[Path, Path]:
    """The projector's JavaScript inside the installed tensorboard wheel, and its licence."""
    spec = find_spec("tensorboard")
    package = Path(next(iter(spec.submodule_search_locations)))
    script = package / "plugins" / "projector" / "tf_projector_plugin" / "projector_binary.js"
    dist = distribution("tensorboard")
    licence = next(
        (Path(dist.locate_file(f)) for f in dist.files or [] if f.name in ("LICENSE", "LICENSE.txt")),
        None,
    )
    if not script.is_file() or licence is None:
        raise FileNotFoundError("the installed tensorboard wheel lacks the projector bundle or its licence")
    return script, licence

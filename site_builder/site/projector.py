"""The Embedding Projector's files for one portal, and its front end.

Formats as the projector (tensorboard 2.21.0, demo mode) reads them:
- tensors.bytes: raw little-endian float32, row-major N x D. The projector
  reads it as binary only when the path ends in ".bytes" (no query string),
  takes D from tensorShape and infers N from the byte count.
- metadata.tsv: a header row when there is more than one column; no quoting,
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
from site_builder.site.paths import METADATA, TENSORS

ONLINE_PROJECTOR = "https://projector.tensorflow.org/"


def tensor_bytes(vectors: np.ndarray) -> bytes:
    return np.ascontiguousarray(vectors, dtype="<f4").tobytes()


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
    sprite: str = "sprite.png"  # or sprite.jpg
    bookmarks: str | None = None  # bookmarks.json: precomputed layouts (model.layouts)

    def config(self, base: str = "", sprite: bool = True) -> dict:
        """The projector config; `base` is '' (relative) or the portal folder's absolute URL + '/'.

        Without `sprite`, the projector draws the points as soon as the tensors and metadata are
        in; the site's own page then loads the sprite sheet itself once the layout is on screen
        (static/projector.js), rather than holding every point back until the sheet, most of
        the map's bytes, has arrived. projector.tensorflow.org runs none of the site's scripts,
        so the online config names the sheet."""
        embedding = {
            "tensorName": self.tensor_name,
            "tensorShape": list(self.shape),
            "tensorPath": base + TENSORS,
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

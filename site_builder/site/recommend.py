"""The data files of a portal's recommendation page (recommend.html).

The page is static: everything it shows comes from files written in the
portal's folder, fetched as the page needs them, so that a visit costs about
the same at 1,000 points as at 200,000: a small index first, then the block
of the point on screen, and the vectors only when a taste is ranked.

recommend.json, the index (compact UTF-8 JSON, no spaces; GitHub Pages serves it gzipped)
  format       2
  points       "items" or "users"
  count, dims  number of points N and vector dimensions D
  k            neighbours listed per point (the setting, or N - 1 if smaller)
  labels       N labels, in point order (the page folds them into search keys with `fold`'s twin)
  counts       N interaction counts (ranks the type-ahead's suggestions)
  columns      metadata columns shown with a point (the portal's metadata and color_by
               columns, not the label), each {name, title, multi}; their values are in
               the blocks. Multi-valued columns hold "|"-separated values.
  score_scale  what the blocks' integer scores are divided by
  words        {item, items, user, users}: what the dataset calls its two sides (config.Named)
  evidence     {noun, noun_one: what the counts count ("users" for an items portal),
                shared: [{column (index in columns), multi}]}: the columns whose shared values
               the blocks' masks record
  blocks       {path: the folder of the blocks (relative to the portal's folder),
                size: points per block B}: point i is in block i // B, named "<that>.json"
  pictures     {path, of}: the folder of the points' thumbnails and the points that have
               one ("<path><i>.webp"); the others are drawn by the page as cards.
               Absent when no point has a picture (generated cards only).
  tints        {palette, of}: the colour of each point on the map (colours.Tints)
  vectors      {path, dtype, scale, bytes, loss}: the vectors file (relative to the portal's
               folder) and how well it agrees with the float32 vectors (`measure_loss`). From
               taste_parts.PARTS_FROM bytes on, `parts` instead of `path`: {probe, path, suffix,
               clusters, share, kept, loaded, queries, top}, the file's rows in parts (site.taste_parts)
  evaluation   the figures of `portals evaluate`, when the portal shows them

<blocks.path>/<b>.json, one per B points, from point b * B on
  first        b * B
  k, score_scale  as in the index (the map reads the blocks without it)
  neighbours   n * k point indices, row-major (the block's point i's list is [i*k, (i+1)*k)), best first
  scores       n * k cosine similarities in thousandths (integers; divide by score_scale)
  common       n * k: how many of the counted things (evidence.noun) the point shares with each neighbour
  masks        one n * k list per evidence.shared column. For a single-valued column the mask is
               1 when the two values are equal. For a multi-valued one, bit b is set when value b
               of the point's own list (split on "|") is among the neighbour's values.
  cells        one list of n strings per column: the block's points' values

<blocks.path>/vectors.i8 or vectors.f16
  The unit-length vectors, row-major N x D, as int8 (each row scaled so its
  largest component is +-127: "row" scale) or little-endian float16. The page
  renormalises every row after decoding, so no scale needs shipping.
  A large portal has <blocks.path>/probe.bin and parts/<c>.i8 (or .f16) instead:
  the same rows, one file per cluster (site.taste_parts).

The blocks and the vectors live in a folder named by a hash of their content
(`blocks.path`), so a page opened before a redeploy never mixes its index with
the next build's blocks: it finds them gone and asks the visitor to reload.

Shared interaction counts come from the binary point x other-side matrix,
computed only for the N x k neighbour pairs (blocks of rows, never N x N).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from site_builder.cache import Cache
from site_builder.colours import Tints, cell_text
from site_builder.config import Named
from site_builder.config.schema import named_words
from site_builder.data.dataset import COMPUTED_COLUMNS, interaction_matrix
from site_builder.model.neighbours import top_agreement, unit_rows
from site_builder.site import taste_parts
from site_builder.site.paths import RECOMMEND_BLOCKS, RECOMMEND_DATA, VECTOR_FILES
from site_builder.site.projector import metadata_columns

log = logging.getLogger(__name__)

SCORE_SCALE = 1000
MAX_MASK_BITS = 31  # bit masks stay in JavaScript's 32-bit integers
# Pair rows multiplied at once when counting shared interactions (bounds memory).
BLOCK_ENTRIES = 4_000_000

# Letters that NFKD does not split into a base letter and an accent; the page folds them the same way.
SPECIAL_LETTERS = {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "ð": "d", "ı": "i"}
_SPECIAL = str.maketrans(SPECIAL_LETTERS)
_NOT_WORD = re.compile(r"[\W_]+")


# ------------------------------------------------------------------ search keys


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, words separated by one space:
    'Misérables, Les (1995)' -> 'miserables les 1995'."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.lower().translate(_SPECIAL)
    return _NOT_WORD.sub(" ", text).strip()


# ------------------------------------------------------------------ evidence


def common_counts(
    matrix: sparse.csr_matrix, neighbour_index: np.ndarray, block_entries: int = BLOCK_ENTRIES
) -> np.ndarray:
    """int32 N x k: for every point and each of its neighbours, how many other-side
    entries (users of an item, items of a user) the two share. Rows are taken in
    blocks whose pair rows hold about `block_entries` entries."""
    count, k = neighbour_index.shape
    out = np.zeros((count, k), dtype=np.int32)
    if k == 0 or count == 0:
        return out
    lengths = np.diff(matrix.indptr).astype(np.int64)
    ends = np.cumsum(lengths)
    start = 0
    while start < count:
        before = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, before + max(block_entries // k, 1), side="right"))
        stop = min(max(stop, start + 1), count)
        rows = np.repeat(np.arange(start, stop), k)
        left = matrix[rows]
        right = matrix[neighbour_index[start:stop].ravel()]
        out[start:stop] = np.asarray(left.multiply(right).sum(axis=1)).reshape(-1, k)
        start = stop
    return out


def _split(value: str) -> list[str]:
    seen: list[str] = []
    for part in value.split("|"):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def evidence_columns(table: pd.DataFrame, columns: list[str]) -> list[tuple[str, bool]]:
    """(column, multi-valued) for the columns whose shared values are evidence.

    Left out: the computed counts and means, float columns (equal means say
    nothing), and a single-valued column whose value is always one of a
    multi-valued column's values (first_genre next to genres).
    """
    chosen = []
    for name in columns:
        if name in COMPUTED_COLUMNS or name == "id" or pd.api.types.is_float_dtype(table[name]):
            continue
        text = table[name].map(cell_text)
        chosen.append((name, bool(text.str.contains("|", regex=False).any()), text.tolist()))
    multi = [values for _, is_multi, values in chosen if is_multi]
    kept = []
    for name, is_multi, values in chosen:
        derived = not is_multi and any(all(v == "" or v in _split(m) for v, m in zip(values, many)) for many in multi)
        if not derived:
            kept.append((name, is_multi))
    return kept


def shared_masks(values: list[str], multi: bool, neighbour_index: np.ndarray) -> np.ndarray:
    """int32 N x k: what each point shares with each neighbour in one column (see the module doc)."""
    count, k = neighbour_index.shape
    if not multi:
        codes, _ = pd.factorize(pd.Series(values, dtype=object).replace("", None), use_na_sentinel=True)
        codes = np.asarray(codes)
        same = (codes[:, None] == codes[neighbour_index]) & (codes[:, None] >= 0)
        return same.astype(np.int32)
    lists = [_split(v)[:MAX_MASK_BITS] for v in values]
    sets = [frozenset(v) for v in lists]
    out = np.zeros((count, k), dtype=np.int32)
    for i in range(count):
        own = lists[i]
        if not own:
            continue
        for slot, j in enumerate(neighbour_index[i].tolist()):
            other = sets[j]
            mask = 0
            for bit, value in enumerate(own):
                if value in other:
                    mask |= 1 << bit
            out[i, slot] = mask
    return out


def column_title(name: str, points: str, words: Named) -> str:
    """A column's title on the page: the computed columns in the data's own words."""
    if name == "num_ratings":
        return f"Times {words.verb}" if points == "items" else f"{words.items} {words.verb}".capitalize()
    if name == "mean_rating":
        return f"Mean {words.weight}"
    return name.replace("_", " ").strip().capitalize()


# ------------------------------------------------------------------ vectors


def quantise(vectors: np.ndarray, dtype: str, scale: str = "row") -> bytes:
    """The unit rows of `vectors` as the page's binary file (see the module doc).

    scale "row": each row's largest |component| becomes 127; "global": the
    largest over all rows does (measured for comparison; the build uses "row").
    """
    unit = unit_rows(vectors)
    if dtype == "float16":
        return unit.astype("<f2").tobytes()
    if dtype != "int8":
        raise ValueError(f"unknown vector type {dtype!r}")
    if scale == "row":
        peak = np.abs(unit).max(axis=1, keepdims=True) if unit.size else np.ones((len(unit), 1), np.float32)
    elif scale == "global":
        peak = np.full((len(unit), 1), np.abs(unit).max() if unit.size else 1.0, dtype=np.float32)
    else:
        raise ValueError(f"unknown scale {scale!r}")
    peak[peak == 0] = 1.0
    return np.rint(unit / peak * 127).clip(-127, 127).astype(np.int8).tobytes()


def dequantise(data: bytes, dtype: str, dims: int) -> np.ndarray:
    """What the page computes from the file: float32 unit rows (zero rows stay zero)."""
    raw = np.frombuffer(data, dtype=np.int8 if dtype == "int8" else "<f2")
    return unit_rows(raw.astype(np.float32).reshape(-1, dims))


def taste_ranking(
    unit: np.ndarray, like: list[int], dislike: list[int], top: int, loaded: np.ndarray | None = None
) -> np.ndarray:
    """The page's taste query: rank the points by (sum of liked - sum of disliked unit vectors) .
    unit row, the chosen points left out; the `top` best indices (equal scores by index). Only the
    points where `loaded` is true take part (the parts the page has, taste_parts). Nothing when the
    query has no direction (likes and dislikes that cancel out)."""
    query = unit[like].sum(axis=0) - (unit[dislike].sum(axis=0) if dislike else 0)
    if not np.linalg.norm(query) > 0:
        return np.zeros(0, dtype=np.int64)
    scores = unit @ query
    scores[list(like) + list(dislike)] = -np.inf
    candidates = len(unit) - len(set(like) | set(dislike))
    if loaded is not None:
        scores[~loaded] = -np.inf
        candidates = int(loaded.sum()) - int(loaded[list(set(like) | set(dislike))].sum())
    top = min(top, candidates)
    best = np.argpartition(-scores, top - 1)[:top] if top > 0 else np.zeros(0, dtype=np.int64)
    return best[np.lexsort((best, -scores[best]))]


@dataclass
class QuantisationLoss:
    dtype: str
    scale: str
    bytes: int
    gzip_bytes: int
    mean_cosine_error: float  # mean over rows of 1 - cos(exact row, decoded row)
    max_cosine_error: float
    # Top-10 overlap, tie-aware: the share of the decoded vectors' top 10 whose exact score is
    # at least the exact 10th best (points with identical vectors tie, and any of them is right).
    neighbour_overlap: float  # mean over sampled points' neighbour lists
    taste_overlap: float  # mean over random taste queries (3 likes, 1 dislike)
    min_taste_overlap: float  # the worst query's share
    queries: int

    def describe(self) -> str:
        kind = f"{self.dtype} ({self.scale} scale)" if self.dtype == "int8" else self.dtype
        return (
            f"{kind} {self.bytes:,} bytes, {self.gzip_bytes:,} gzipped; "
            f"cosine error mean {self.mean_cosine_error:.2e} max {self.max_cosine_error:.2e}; "
            f"top-10 overlap with float32: neighbours {self.neighbour_overlap:.1%}, "
            f"taste {self.taste_overlap:.1%} (worst {self.min_taste_overlap:.0%}, {self.queries} queries)"
        )


def measure_loss(
    vectors: np.ndarray,
    dtype: str,
    scale: str = "row",
    queries: int = 200,
    top: int = 10,
    seed: int = 0,
    data: bytes | None = None,
) -> QuantisationLoss:
    """How far the shipped vectors are from float32: cosine error per row, and how much
    of the exact top-`top` lists (neighbours of sampled points, random taste queries
    of 3 likes and 1 dislike) the decoded vectors reproduce (see QuantisationLoss)."""
    exact = unit_rows(vectors)
    count, dims = exact.shape
    data = quantise(vectors, dtype, scale) if data is None else data
    decoded = dequantise(data, dtype, dims)
    nonzero = np.linalg.norm(exact, axis=1) > 0
    errors = 1.0 - np.einsum("ij,ij->i", exact[nonzero], decoded[nonzero]) if nonzero.any() else np.zeros(1)
    errors = np.maximum(errors, 0.0)
    rng = np.random.default_rng(seed)

    top_n = min(top, count - 1)
    neighbour_shares = []
    if top_n > 0:
        sample = rng.choice(count, size=min(queries, count), replace=False)
        for exact_sim, decoded_sim, point in zip(exact[sample] @ exact.T, decoded[sample] @ decoded.T, sample):
            exact_sim[point] = decoded_sim[point] = -np.inf
            picks = np.argpartition(-decoded_sim, top_n - 1)[:top_n]
            neighbour_shares.append(top_agreement(exact_sim, picks, top_n))

    taste_shares = []
    likes, dislikes = min(3, max(count - 1, 0)), 1 if count > 4 else 0
    if likes and count - likes - dislikes > 0:
        for _ in range(queries):
            chosen = rng.choice(count, size=likes + dislikes, replace=False).tolist()
            picks = taste_ranking(decoded, chosen[:likes], chosen[likes:], top)
            query = exact[chosen[:likes]].sum(axis=0) - exact[chosen[likes:]].sum(axis=0)
            exact_scores = exact @ query
            exact_scores[chosen] = -np.inf
            taste_shares.append(top_agreement(exact_scores, picks, len(picks)))

    return QuantisationLoss(
        dtype=dtype,
        scale=scale if dtype == "int8" else "none",
        bytes=len(data),
        gzip_bytes=len(zlib.compress(data, 6)),
        mean_cosine_error=round(float(errors.mean()), 8),
        max_cosine_error=round(float(errors.max()), 8),
        neighbour_overlap=round(float(np.mean(neighbour_shares)) if neighbour_shares else 1.0, 4),
        taste_overlap=round(float(np.mean(taste_shares)) if taste_shares else 1.0, 4),
        min_taste_overlap=round(float(np.min(taste_shares)) if taste_shares else 1.0, 4),
        queries=len(taste_shares),
    )


# ------------------------------------------------------------------ the files


# Neighbour pairs per block: 256 points at k = 12, some 20 KB gzipped at 100,000 points.
BLOCK_PAIRS = 3072
PICTURE_SUFFIX = ".webp"


def block_size(k: int) -> int:
    """Points per block of the page data, for k neighbours a point."""
    return max(16, BLOCK_PAIRS // max(k, 1))


@dataclass
class PageData:
    files: dict[str, bytes]  # file name in the portal folder -> bytes
    loss: QuantisationLoss
    blocks: str  # the blocks' folder in the portal folder ("recommend/<version>/")
    block_size: int
    parts: taste_parts.Partition | None = None  # a large portal's vectors in parts

    def describe(self) -> str:
        # raw sizes only: compressing tens of MB for a log line cost seconds at 87,000 points
        # (the vectors' compressed size is in the loss report)
        index = len(self.files[RECOMMEND_DATA])
        rest = sum(len(data) for name, data in self.files.items() if name != RECOMMEND_DATA)
        return (
            f"{RECOMMEND_DATA} {index:,} bytes, {len(self.files) - 1:,} files in {self.blocks} "
            f"{rest:,} bytes; vectors {self.loss.describe()}"
            + (f"; in {self.parts.describe()}" if self.parts is not None else "")
        )


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def page_data(
    *,
    table: pd.DataFrame,
    label: str,
    columns: list[str],
    vectors: np.ndarray,
    neighbour_index: np.ndarray,
    neighbour_score: np.ndarray,
    point_index: np.ndarray,
    other_index: np.ndarray,
    num_other: int,
    points: str,
    vector_type: str = "int8",
    words: Named | None = None,
    counts: np.ndarray | None = None,
    evaluation: dict | None = None,
    tints: Tints | None = None,
    pictures: dict[int, bytes] | None = None,
    cache: Cache | None = None,
) -> PageData:
    """Every file of the page (see the module doc), from the portal's table, neighbours, vectors and
    interactions (`point_index` / `other_index`: one entry per interaction, rows of `table` and of
    the other side; `tints`: the projector's colour of each point, colours.Tints, which the page
    multiplies the pictures by as the map does; `pictures`: WebP thumbnails by point; `cache`: where a
    large portal's partition of its vectors is kept, site.taste_parts)."""
    words = words or named_words({})
    count, dims = vectors.shape
    k = int(neighbour_index.shape[1])
    labels = [cell_text(v) for v in table[label].tolist()]
    shown = [c for c in columns if c != label and c != "id"]
    cells = [table[name].map(cell_text).tolist() for name in shown]
    column_json = [
        {"name": name, "title": column_title(name, points, words), "multi": any("|" in v for v in values)}
        for name, values in zip(shown, cells)
    ]

    matrix = interaction_matrix(point_index, other_index, count, num_other)
    common = common_counts(matrix, neighbour_index)
    shared, masks = [], []
    for name, multi in evidence_columns(table, shown):
        shared.append({"column": shown.index(name), "multi": multi})
        masks.append(shared_masks(cells[shown.index(name)], multi, neighbour_index))

    vector_bytes = quantise(vectors, vector_type)
    loss = measure_loss(vectors, vector_type, data=vector_bytes)
    parts = None
    if len(vector_bytes) >= taste_parts.PARTS_FROM:
        parts = taste_parts.cached_partition(vectors, vector_type, dequantise(vector_bytes, vector_type, dims), cache)
    if counts is None:
        counts = np.diff(matrix.indptr)

    neighbours = np.asarray(neighbour_index, dtype=np.int64)
    scores = np.rint(np.asarray(neighbour_score, dtype=np.float64) * SCORE_SCALE).astype(np.int64)
    size = block_size(k)
    folder_files: dict[str, bytes] = {}
    for first in range(0, count, size):
        rows = slice(first, min(first + size, count))
        block = {
            "first": first,
            "k": k,
            "score_scale": SCORE_SCALE,
            "neighbours": neighbours[rows].ravel().tolist(),
            "scores": scores[rows].ravel().tolist(),
            "common": common[rows].ravel().tolist(),
            "masks": [mask[rows].ravel().tolist() for mask in masks],
            "cells": [values[rows] for values in cells],
        }
        folder_files[f"{first // size}.json"] = _json_bytes(block)
    vector_file = VECTOR_FILES[vector_type]
    suffix = vector_file[vector_file.rindex(".") :]  # the parts' too: parts/<c>.i8
    if parts is None:
        folder_files[vector_file] = vector_bytes
    else:
        folder_files.update(taste_parts.part_files(parts, vector_bytes, suffix))
    for point, picture in sorted((pictures or {}).items()):
        folder_files[f"{point}{PICTURE_SUFFIX}"] = picture
    digest = hashlib.sha256()
    for name, data in folder_files.items():
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    folder = f"{RECOMMEND_BLOCKS}/{digest.hexdigest()[:12]}/"

    document = {
        "format": 2,
        "points": points,
        "count": int(count),
        "dims": int(dims),
        "k": k,
        "labels": labels,
        "counts": np.asarray(counts, dtype=np.int64).tolist(),
        "columns": column_json,
        "score_scale": SCORE_SCALE,
        "words": {"item": words.item, "items": words.items, "user": words.user, "users": words.users},
        "evidence": {
            "noun": words.users if points == "items" else words.items,
            "noun_one": words.user if points == "items" else words.item,
            "shared": shared,
        },
        "blocks": {"path": folder, "size": size},
        "vectors": {
            "dtype": vector_type,
            "scale": loss.scale,
            "bytes": len(vector_bytes),
            "loss": asdict(loss),
        },
    }
    if parts is None:
        document["vectors"]["path"] = folder + vector_file
    else:
        document["vectors"]["parts"] = {
            "probe": folder + taste_parts.PROBE_FILE,
            "path": folder + taste_parts.PARTS_FOLDER,
            "suffix": suffix,
            "clusters": len(parts.centroids),
            "share": parts.share,
            "kept": round(parts.kept, 4),
            "loaded": round(parts.loaded, 4),
            "queries": taste_parts.QUERIES,
            "top": taste_parts.TOP,
        }
    if pictures:
        document["pictures"] = {"path": folder, "of": sorted(int(p) for p in pictures)}
    if tints is not None:
        document["tints"] = {"palette": tints.hex_palette(), "of": tints.of_point.tolist()}
    if evaluation is not None:
        document["evaluation"] = evaluation
    files = {RECOMMEND_DATA: _json_bytes(document)}
    files.update({folder + name: data for name, data in folder_files.items()})
    return PageData(files=files, loss=loss, blocks=folder, block_size=size, parts=parts)


def assemble(files: dict[str, bytes]) -> dict:
    """The page data as one document, for tools and tests: the index, with every block's lists
    joined in point order (neighbours, scores, evidence.common, each shared column's masks and
    each column's data) and the search keys the page folds from the labels."""
    document = json.loads(files[RECOMMEND_DATA])
    folder, size = document["blocks"]["path"], document["blocks"]["size"]
    blocks = [json.loads(files[f"{folder}{b}.json"]) for b in range(-(-document["count"] // size))]
    document["neighbours"] = [j for block in blocks for j in block["neighbours"]]
    document["scores"] = [s for block in blocks for s in block["scores"]]
    document["evidence"]["common"] = [c for block in blocks for c in block["common"]]
    for at, shared in enumerate(document["evidence"]["shared"]):
        shared["masks"] = [m for block in blocks for m in block["masks"][at]]
    for at, column in enumerate(document["columns"]):
        column["data"] = [v for block in blocks for v in block["cells"][at]]
    document["keys"] = [fold(label) for label in document["labels"]]
    return document


def read_page_data(portal_folder: Path) -> dict:
    """`assemble` over a built portal's folder."""
    index = json.loads((portal_folder / RECOMMEND_DATA).read_bytes())
    folder = portal_folder / index["blocks"]["path"]
    files = {RECOMMEND_DATA: (portal_folder / RECOMMEND_DATA).read_bytes()}
    for path in folder.glob("*.json"):
        files[index["blocks"]["path"] + path.name] = path.read_bytes()
    return assemble(files)


def portal_page_data(
    portal,
    words: Named,
    dataset,
    vectors: np.ndarray,
    neighbour_index: np.ndarray,
    neighbour_score: np.ndarray,
    tints: Tints,
    evaluation: dict | None = None,
    pictures: dict[int, bytes] | None = None,
    cache: Cache | None = None,
) -> PageData:
    """page_data for a configured portal (config.PortalConfig) over a loaded data.dataset.Dataset."""
    table = dataset.side(portal.points)
    point_index, other_index = dataset.indices(portal.points)
    return page_data(
        table=table,
        label=portal.label,
        columns=metadata_columns(portal.label, portal.metadata, portal.color_by),
        vectors=vectors,
        neighbour_index=neighbour_index,
        neighbour_score=neighbour_score,
        point_index=point_index,
        other_index=other_index,
        num_other=len(dataset.other_side(portal.points)),
        points=portal.points,
        vector_type=portal.recommendations.vectors,
        words=words,
        counts=table["num_ratings"].to_numpy() if "num_ratings" in table else None,
        evaluation=evaluation,
        tints=tints,
        pictures=pictures,
        cache=cache,
    )

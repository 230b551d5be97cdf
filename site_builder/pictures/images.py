"""Real pictures for the sprite sheet: find, fetch and shrink one per point.

Each portal lists image sources in order (a local folder, a column of URLs,
TMDB); every point takes the first source that gives it a valid image, and
a point that gets none is left to sprites.draw_sprite_sheet, which draws a
card in its place, so one missing poster never costs a point its place.

Sources are worked through one at a time for all points still without an
image, so the network sources fetch in parallel batches rather than one
point at a time. Thumbnails are made here, exactly cell x cell, RGB, so the
sprite module only has to paste them.
"""

from __future__ import annotations

import io
import logging
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageOps

from site_builder.config import ImageSettings
from site_builder.pictures.download import (
    PROGRESS_MIN,
    Downloader,
    decode_problem,
    image_size_problem,
)
from site_builder.pictures.sources import Hit, local_candidates, url_candidates
from site_builder.pictures.tmdb import tmdb_candidates

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

# The EXIF tag that says how the camera was held.
EXIF_ORIENTATION = 0x0112
# The recommendation page's pictures: 160 px covers its largest (80 CSS px cards at twice the
# pixel density), at about 4 KB a poster as WebP (every browser the projector runs in reads it).
PAGE_PICTURE = 160
PAGE_QUALITY = 75

# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


@dataclass
class ImageReport:
    """Where each point's picture came from, for the build summary.

    cache + downloaded + local + generated == number of points; `failed`
    counts the generated points for which some source was tried and failed,
    each with one reason (the first failure in source order, the one most
    worth fixing).
    """

    cache: int = 0
    downloaded: int = 0
    local: int = 0
    generated: int = 0
    failed: int = 0
    reasons: Counter = field(default_factory=Counter)
    requests: int = 0  # HTTP requests sent while collecting, retries included

    @property
    def images(self) -> int:
        return self.cache + self.downloaded + self.local

    def describe(self) -> str:
        """e.g. "1,650 images (1,600 from cache, 40 downloaded, 10 local), 32 cards, failed: 404 x 20"."""
        parts = [f"{self.cache:,} from cache", f"{self.downloaded:,} downloaded", f"{self.local:,} local"]
        text = f"{self.images:,} images ({', '.join(parts)}), {self.generated:,} cards"
        if self.reasons:
            ranked = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))
            text += ", failed: " + ", ".join(f"{reason} x {count:,}" for reason, count in ranked)
        return text


# --------------------------------------------------------------------------
# Thumbnails
# --------------------------------------------------------------------------


def parse_colour(value: str) -> RGB:
    """'#282828' -> (40, 40, 40); the config has already checked the form."""
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def to_rgb(image: Image.Image, fill: RGB) -> Image.Image:
    """Any Pillow mode to RGB, as a viewer would see it.

    Transparency (alpha channels, palette or colour-key transparency) is
    composited over the fill colour rather than dropped (which shows
    whatever colour hid under the alpha, often black). High-bit-depth
    modes are scaled, because Pillow's own convert clips I;16 at 255, which
    turns most 16-bit pictures white.
    """
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        # Pillow converts premultiplied La only to LA
        rgba = (image.convert("LA") if mode == "La" else image).convert("RGBA")
        base = Image.new("RGB", rgba.size, fill)
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    if mode.startswith("I") or mode == "F":
        return Image.fromarray(_to_8bit(np.asarray(image)), "L").convert("RGB")
    return image.convert("RGB")  # 1, L, P, CMYK, YCbCr, LAB, HSV


def _to_8bit(values: np.ndarray) -> np.ndarray:
    """Scale by the range the data is stored in, not by its own extremes,
    so a dark 16-bit photo stays dark; only out-of-range data is stretched."""
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, np.uint8)
    low, high = float(finite.min()), float(finite.max())
    if low >= 0 and high <= 1.0 and values.dtype.kind == "f":
        scaled = values * 255.0  # float images in 0..1
    elif low >= 0 and high <= 255:
        scaled = values
    elif low >= 0 and high <= 65535:
        scaled = values / 257.0  # 16-bit: 65535 -> 255
    else:
        scaled = (values - low) * (255.0 / (high - low))
    return np.clip(np.nan_to_num(scaled), 0, 255).round().astype(np.uint8)


def thumbnail(image: Image.Image, cell: int, fit: str, fill: RGB) -> Image.Image:
    """An RGB image of exactly cell x cell px.

    Upright first (EXIF orientation), then RGB, then fitted: "letterbox"
    keeps the whole picture and centres it on the fill colour, "crop"
    fills the square and cuts the overflow from the centre. JPEGs are
    decoded at a reduced scale (draft) when much larger than the cell:
    most of the cost of a thumbnail is decoding pixels it throws away.
    """
    if fit not in ("letterbox", "crop"):
        raise ValueError(f'fit must be "letterbox" or "crop", got {fit!r}')
    if image.format == "JPEG":
        image.draft(None, (cell, cell))  # a no-op once the image is loaded
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    rgb = to_rgb(image, fill)
    width, height = rgb.size
    if fit == "crop":
        side = min(width, height)
        box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
        return rgb.resize((cell, cell), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    scale = min(cell / width, cell / height)
    size = (max(1, min(cell, round(width * scale))), max(1, min(cell, round(height * scale))))
    if size == (cell, cell) and rgb.size == size:
        return rgb.copy() if rgb is image else rgb
    fitted = rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas = Image.new("RGB", (cell, cell), fill)
    canvas.paste(fitted, ((cell - size[0]) // 2, (cell - size[1]) // 2))
    return canvas


class ImageProblem(Exception):
    """An image that cannot be used; the message is the reason's group name."""


def load_thumbnail(source: Path | bytes, cell: int, fit: str, fill: RGB, max_pixels: int) -> Image.Image:
    """Open, check the declared size before decoding, then thumbnail.

    Raises ImageProblem("too many pixels" / "truncated" / ...) so the
    caller can count the reason and try the next source.
    """
    try:
        handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        with Image.open(handle) as image:
            problem = image_size_problem(image.size, max_pixels)
            if problem:
                raise ImageProblem(problem)
            return thumbnail(image, cell, fit, fill)
    except ImageProblem:
        raise
    except FileNotFoundError:
        raise ImageProblem("missing file") from None
    except Exception as error:  # Pillow raises many types for bad input
        raise ImageProblem(decode_problem(error)) from None


# --------------------------------------------------------------------------
# Sheet encoding
# --------------------------------------------------------------------------


def encode_sheet(sheet: Image.Image, fmt: str, quality: int) -> tuple[bytes, str]:
    """(file bytes, extension) for "webp" (lossless), "png", "jpeg" or "auto".

    "auto" keeps the smaller of lossless WebP and JPEG: photographic posters
    are several times smaller as JPEG, while cards (flat colour and text) are
    smaller, and crisper, losslessly. Lossless WebP rather than PNG, as every
    browser the projector runs in reads it: the demo's 5,376 px sheet of cards
    is 0.82 MB as WebP against 3.26 MB as PNG, which on a phone's 10 Mbit/s
    is the pictures settling 2 s sooner. On a tie the lossless file wins.

    Encoding a full 8192 px sheet of posters losslessly takes seconds, so for
    large sheets "auto" first encodes a few full-width bands to estimate its
    size (within a few percent in practice) and skips the full lossless file
    when the estimate is clearly larger than the JPEG. Only a close call pays
    for both.
    """
    if fmt not in ("auto", "webp", "png", "jpeg"):
        raise ValueError(f'format must be "auto", "webp", "png" or "jpeg", got {fmt!r}')
    rgb = sheet if sheet.mode == "RGB" else sheet.convert("RGB")
    if fmt in ("webp", "png"):
        return _encode(rgb, fmt.upper(), quality), fmt
    jpeg = _encode(rgb, "JPEG", quality)
    if fmt == "jpeg":
        return jpeg, "jpg"
    estimate = _lossless_size_estimate(rgb)
    if estimate is not None and estimate > len(jpeg) * AUTO_MARGIN:
        log.debug("sheet as JPEG: %s bytes, WebP estimated at %s", f"{len(jpeg):,}", f"{estimate:,.0f}")
        return jpeg, "jpg"
    lossless = _encode(rgb, "WEBP", quality)
    return (jpeg, "jpg") if len(jpeg) < len(lossless) else (lossless, "webp")


# "auto" trusts the lossless estimate only when it misses the JPEG by this factor.
AUTO_MARGIN = 1.3
# Below this many pixels both formats are cheap: encode both, no estimate.
ESTIMATE_MIN_PIXELS = 2048 * 2048
ESTIMATE_BANDS = 8


def _lossless_size_estimate(image: Image.Image) -> float | None:
    """The lossless WebP's size extrapolated from bands spread over the height
    (1/8 of the rows); full-width bands keep its predictors working as they
    would on the whole sheet."""
    width, height = image.size
    if width * height < ESTIMATE_MIN_PIXELS:
        return None
    band = max(1, height // (ESTIMATE_BANDS * ESTIMATE_BANDS))
    total = 0
    for j in range(ESTIMATE_BANDS):
        top = (2 * j + 1) * height // (2 * ESTIMATE_BANDS)
        total += len(_encode(image.crop((0, top, width, min(height, top + band))), "WEBP", 0))
    return total * height / (ESTIMATE_BANDS * band)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, format="PNG", optimize=False, compress_level=6)
    elif fmt == "WEBP":
        # method 4: within a few percent of the smallest (6) at a third of its time
        image.save(buffer, format="WEBP", lossless=True, method=4)
    else:
        # 4:4:4 above 90 keeps small text on cards legible; below, 4:2:0
        # as usual for photos.
        image.save(buffer, format="JPEG", quality=quality, optimize=True, subsampling=0 if quality >= 90 else 2)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Collecting
# --------------------------------------------------------------------------


def collect_images(
    table: pd.DataFrame,
    settings: ImageSettings,
    downloader: Downloader | None,
    content_dir: Path,
    cell: int,
    max_pixels: int,
    page_size: int = 0,
) -> tuple[dict[int, Image.Image], ImageReport, dict[int, bytes]]:
    """Thumbnails (RGB, cell x cell) by row position of `table`, a report, and with `page_size`
    the same pictures as page_size x page_size WebP files (the recommendation page's, made
    from the source image, not from the smaller cell, and encoded at once to bound memory).

    Points without an image are absent from the dicts: the sprite module
    draws their cards. With no downloader, URL and TMDB sources are skipped
    (an offline build) with a warning. Pictures over `max_pixels` (the
    download settings' limit) are refused, local ones too.
    """
    count = len(table)
    fill = parse_colour(settings.fill)
    requests_before = downloader.request_count if downloader else 0
    thumbs: dict[int, Image.Image] = {}
    pages: dict[int, bytes] = {}
    origins: dict[int, str] = {}
    first_failure: dict[int, str] = {}
    pending = list(range(count))

    for number, source in enumerate(settings.sources):
        if not pending:
            break
        where = f"images.sources[{number}]"
        if source.local is not None:
            outcomes = local_candidates(table, pending, source.local, content_dir)
        elif downloader is None:
            log.warning(
                "%s: no downloader (offline build); skipping the %s source",
                where,
                "url_column" if source.url_column else "tmdb",
            )
            continue
        elif source.url_column is not None:
            outcomes = url_candidates(table, pending, source.url_column, downloader, where)
        else:
            outcomes = tmdb_candidates(table, pending, source.tmdb, downloader, where)
        made = _thumbnails(
            {i: hit.path for i, hit in outcomes.items() if isinstance(hit, Hit)},
            cell,
            settings.fit,
            fill,
            max_pixels,
            page_size,
        )
        for index, outcome in outcomes.items():
            if isinstance(outcome, Hit):
                result = made[index]
                if not isinstance(result, str):
                    thumbs[index], page = result
                    if page is not None:
                        pages[index] = page
                    origins[index] = outcome.origin
                    continue
                outcome = result
            first_failure.setdefault(index, outcome)
        pending = [i for i in pending if i not in thumbs]

    report = _report(count, origins, pending, first_failure)
    if downloader is not None:
        report.requests = downloader.request_count - requests_before
    log.info("    %s", report.describe())
    return thumbs, report, pages


def _report(count: int, origins: dict[int, str], pending: list[int], first_failure: dict[int, str]) -> ImageReport:
    tally = Counter(origins.values())
    report = ImageReport(
        cache=tally["cache"], downloaded=tally["downloaded"], local=tally["local"], generated=count - len(origins)
    )
    reasons = Counter(first_failure[i] for i in pending if i in first_failure)
    report.failed = sum(reasons.values())
    report.reasons = reasons
    return report


def _thumbnails(
    paths: dict[int, Path], cell: int, fit: str, fill: RGB, max_pixels: int, page_size: int = 0
) -> dict[int, tuple[Image.Image, bytes | None] | str]:
    """(thumbnail, page picture or None) or failure reason per point. Pillow releases the GIL
    while decoding and resampling, so a few threads use the cores."""
    if not paths:
        return {}

    def one(path: Path) -> tuple[Image.Image, bytes | None] | str:
        try:
            image = load_thumbnail(path, max(cell, page_size), fit, fill, max_pixels)
        except ImageProblem as problem:
            return str(problem)
        page = None
        if page_size:
            picture = (
                image if image.width == page_size else image.resize((page_size, page_size), Image.Resampling.LANCZOS)
            )
            buffer = io.BytesIO()
            picture.save(buffer, format="WEBP", quality=PAGE_QUALITY, method=4)
            page = buffer.getvalue()
        if image.width != cell:
            image = image.resize((cell, cell), Image.Resampling.LANCZOS, reducing_gap=3.0)
        return image, page

    workers = min(len(paths), max(1, min(8, os.cpu_count() or 1)))
    bar = None
    if len(paths) > PROGRESS_MIN:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), desc="thumbnails", unit="image", disable=None, leave=False)
    made: dict[int, tuple[Image.Image, bytes | None] | str] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thumbnail") as pool:
            for index, result in zip(paths, pool.map(one, paths.values())):
                made[index] = result
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return made


# ---------------------------------------------------------------- TMDB

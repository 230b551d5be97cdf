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
import math
import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
from PIL import Image, ImageOps

from .config import ImageSettings, LocalImages, TmdbImages, UrlColumnImages
from .download import PROGRESS_MIN, Downloader, FetchResult, decode_problem, image_size_problem, redact
from .errors import BuildError, Problem

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

# The EXIF tag that says how the camera was held.
EXIF_ORIENTATION = 0x0112
# Only simple relative paths from an API answer are joined to image_base, so
# a hostile or broken answer cannot point the build at another server.
POSTER_PATH = re.compile(r"^/[A-Za-z0-9._-]+$")

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
    """(file bytes, extension) for "png", "jpeg" or "auto".

    "auto" keeps the smaller of the two: photographic posters are several
    times smaller as JPEG, while cards (flat colour and text) are usually
    smaller, and crisper, as PNG. On a tie PNG wins: lossless.

    Encoding a full 8192 px PNG of posters takes seconds (13 s for 5,000
    noisy posters here), so for large sheets "auto" first encodes a few
    full-width bands as PNG to estimate its size (within a few percent in
    practice) and skips the full PNG when the estimate is clearly larger
    than the JPEG. Only a close call pays for both.
    """
    if fmt not in ("auto", "png", "jpeg"):
        raise ValueError(f'format must be "auto", "png" or "jpeg", got {fmt!r}')
    rgb = sheet if sheet.mode == "RGB" else sheet.convert("RGB")
    if fmt == "png":
        return _encode(rgb, "PNG", quality), "png"
    jpeg = _encode(rgb, "JPEG", quality)
    if fmt == "jpeg":
        return jpeg, "jpg"
    estimate = _png_size_estimate(rgb)
    if estimate is not None and estimate > len(jpeg) * AUTO_MARGIN:
        log.debug("sheet as JPEG: %s bytes, PNG estimated at %s", f"{len(jpeg):,}", f"{estimate:,.0f}")
        return jpeg, "jpg"
    png = _encode(rgb, "PNG", quality)
    return (jpeg, "jpg") if len(jpeg) < len(png) else (png, "png")


# "auto" trusts the PNG estimate only when it misses the JPEG by this factor.
AUTO_MARGIN = 1.3
# Below this many pixels both formats are cheap: encode both, no estimate.
ESTIMATE_MIN_PIXELS = 2048 * 2048
ESTIMATE_BANDS = 8


def _png_size_estimate(image: Image.Image) -> float | None:
    """PNG size extrapolated from bands spread over the height (1/8 of the
    rows); full-width bands keep PNG's row filters and deflate window
    working as they would on the whole sheet."""
    width, height = image.size
    if width * height < ESTIMATE_MIN_PIXELS:
        return None
    band = max(1, height // (ESTIMATE_BANDS * ESTIMATE_BANDS))
    total = 0
    for j in range(ESTIMATE_BANDS):
        top = (2 * j + 1) * height // (2 * ESTIMATE_BANDS)
        total += len(_encode(image.crop((0, top, width, min(height, top + band))), "PNG", 0))
    return total * height / (ESTIMATE_BANDS * band)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, format="PNG", optimize=False, compress_level=6)
    else:
        # 4:4:4 above 90 keeps small text on cards legible; below, 4:2:0
        # as usual for photos.
        image.save(buffer, format="JPEG", quality=quality, optimize=True,
                   subsampling=0 if quality >= 90 else 2)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Collecting
# --------------------------------------------------------------------------


@dataclass
class _Hit:
    """A candidate image for one point, not yet thumbnailed."""

    origin: str  # "local", "cache" or "downloaded"
    path: Path


def collect_images(
    table: pd.DataFrame,
    settings: ImageSettings,
    downloader: Downloader | None,
    content_dir: Path,
    cell: int,
    max_pixels: int,
) -> tuple[dict[int, Image.Image], ImageReport]:
    """Thumbnails (RGB, cell x cell) by row position of `table`, and a report.

    Points without an image are absent from the dict: the sprite module
    draws their cards. With no downloader, URL and TMDB sources are skipped
    (an offline build) with a warning. Pictures over `max_pixels` (the
    download settings' limit) are refused, local ones too.
    """
    count = len(table)
    fill = parse_colour(settings.fill)
    requests_before = downloader.request_count if downloader else 0
    thumbs: dict[int, Image.Image] = {}
    origins: dict[int, str] = {}
    first_failure: dict[int, str] = {}
    pending = list(range(count))

    for number, source in enumerate(settings.sources):
        if not pending:
            break
        where = f"images.sources[{number}]"
        if source.local is not None:
            outcomes = _local_candidates(table, pending, source.local, content_dir)
        elif downloader is None:
            log.warning("%s: no downloader (offline build); skipping the %s source", where,
                        "url_column" if source.url_column else "tmdb")
            continue
        elif source.url_column is not None:
            outcomes = _url_candidates(table, pending, source.url_column, downloader, where)
        else:
            outcomes = _tmdb_candidates(table, pending, source.tmdb, downloader, where)
        made = _thumbnails({i: hit.path for i, hit in outcomes.items() if isinstance(hit, _Hit)},
                           cell, settings.fit, fill, max_pixels)
        for index, outcome in outcomes.items():
            if isinstance(outcome, _Hit):
                result = made[index]
                if isinstance(result, Image.Image):
                    thumbs[index] = result
                    origins[index] = outcome.origin
                    continue
                outcome = result
            first_failure.setdefault(index, outcome)
        pending = [i for i in pending if i not in thumbs]

    report = _report(count, origins, pending, first_failure)
    if downloader is not None:
        report.requests = downloader.request_count - requests_before
    log.info("    %s", report.describe())
    return thumbs, report


def _report(count: int, origins: dict[int, str], pending: list[int], first_failure: dict[int, str]) -> ImageReport:
    tally = Counter(origins.values())
    report = ImageReport(cache=tally["cache"], downloaded=tally["downloaded"], local=tally["local"],
                         generated=count - len(origins))
    reasons = Counter(first_failure[i] for i in pending if i in first_failure)
    report.failed = sum(reasons.values())
    report.reasons = reasons
    return report


def _thumbnails(paths: dict[int, Path], cell: int, fit: str, fill: RGB, max_pixels: int) -> dict[int, Image.Image | str]:
    """Thumbnail or failure reason per point. Pillow releases the GIL while
    decoding and resampling, so a few threads use the cores."""
    if not paths:
        return {}

    def one(path: Path) -> Image.Image | str:
        try:
            return load_thumbnail(path, cell, fit, fill, max_pixels)
        except ImageProblem as problem:
            return str(problem)

    workers = min(len(paths), max(1, min(8, os.cpu_count() or 1)))
    bar = None
    if len(paths) > PROGRESS_MIN:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), desc="thumbnails", unit="image", disable=None, leave=False)
    made: dict[int, Image.Image | str] = {}
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


def _id_text(value: object) -> str | None:
    """Ids as they appear in file names: 42, not 42.0; None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _local_candidates(table: pd.DataFrame, pending: list[int], local: LocalImages,
                      content_dir: Path) -> dict[int, _Hit]:
    """Files named by id; the folder is listed once (cheaper than N x
    extensions stat calls), and extensions match in any case (42.JPG)."""
    folder = Path(content_dir) / local.folder
    if not folder.is_dir():
        log.warning("image folder %s does not exist; skipping the local source", folder)
        return {}
    files: dict[str, Path] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file():
                files.setdefault(entry.name.lower(), Path(entry.path))
    extensions = [ext.lower().lstrip(".") for ext in local.extensions]
    ids = table["id"].to_numpy(object)
    found: dict[int, _Hit] = {}
    for index in pending:
        stem = _id_text(ids[index])
        if stem is None:
            continue
        for ext in extensions:
            path = files.get(f"{stem.lower()}.{ext}")
            if path is not None:
                found[index] = _Hit("local", path)
                break
    return found


def _column(table: pd.DataFrame, column: str, where: str) -> np.ndarray:
    if column not in table.columns:
        raise BuildError(Problem("site.yml", where, f'no column "{column}" in the point table; '
                                 f'available: {", ".join(map(str, table.columns))}'))
    return table[column].to_numpy(object)


def _text(value: object) -> str:
    """NaN, None and blanks are all "no value"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _url_candidates(table: pd.DataFrame, pending: list[int], source: UrlColumnImages,
                    downloader: Downloader, where: str) -> dict[int, _Hit | str]:
    values = _column(table, source.column, f"{where}.url_column.column")
    wanted = {index: url for index in pending if (url := _text(values[index]))}
    results = downloader.fetch_many(list(wanted.values()), progress=True)
    return {index: _outcome(results[url]) for index, url in wanted.items()}


def _outcome(result: FetchResult) -> _Hit | str:
    return _Hit(result.status, result.path) if result.ok else result.reason


# ---------------------------------------------------------------- TMDB


def tmdb_key(tmdb: TmdbImages) -> str | None:
    """The API key from the environment; None (with one warning) when unset,
    because a fork or a local build without the secret should still build."""
    key = os.environ.get(tmdb.api_key_env, "").strip()
    if not key:
        log.warning("TMDB images skipped: the environment variable %s is not set", tmdb.api_key_env)
        return None
    return key


def search_title(title: str) -> str:
    """A MovieLens title as TMDB knows it: "Matrix, The (1999)" -> "The Matrix".

    A trailing article is moved back to the front (readers.movielens.natural_title) and
    trailing parentheses (the year, alternative titles) are dropped.
    """
    from .readers.movielens import natural_title

    text = natural_title(title.strip())
    while True:
        stripped = re.sub(r"\s*\([^()]*\)\s*$", "", text)
        if stripped == text or not stripped:
            break
        text = stripped
    return text


def tmdb_movie_url(tmdb: TmdbImages, movie_id: str, key: str) -> str:
    return f"{tmdb.api_base.rstrip('/')}/movie/{quote(movie_id)}?api_key={quote(key, safe='')}"


def tmdb_search_url(tmdb: TmdbImages, title: str, year: str | None, key: str) -> str:
    query = {"query": title}
    if year:
        query["year"] = year
    return f"{tmdb.api_base.rstrip('/')}/search/movie?{urlencode(query)}&api_key={quote(key, safe='')}"


def _tmdb_id(value: object) -> str | None:
    """links.csv ids arrive as text ("862"), floats (862.0) or blanks."""
    text = _id_text(value)
    if text is None:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    return text if text.isdigit() and int(text) > 0 else None


def _year(value: object) -> str | None:
    text = _id_text(value)
    return text if text and text.isdigit() and len(text) == 4 else None


def _tmdb_lookups(table: pd.DataFrame, pending: list[int], tmdb: TmdbImages, key: str,
                  where: str) -> dict[int, str]:
    """The API URL per point: by TMDB id where there is one, else by title
    and year (also for the few MovieLens movies without a tmdbId)."""
    ids = None
    if tmdb.id_column is not None:
        if tmdb.id_column in table.columns:
            ids = table[tmdb.id_column].to_numpy(object)
        else:
            log.warning("%s: no column %s (MovieLens: links.csv); looking posters up by title and year",
                        where, tmdb.id_column)
    titles = _column(table, tmdb.title_column, f"{where}.tmdb.title_column")
    years = None
    if tmdb.year_column is not None and tmdb.year_column in table.columns:
        years = table[tmdb.year_column].to_numpy(object)
    lookups: dict[int, str] = {}
    for index in pending:
        movie_id = _tmdb_id(ids[index]) if ids is not None else None
        if movie_id is not None:
            lookups[index] = tmdb_movie_url(tmdb, movie_id, key)
            continue
        title = search_title(_text(titles[index]))
        if title:
            year = _year(years[index]) if years is not None else None
            lookups[index] = tmdb_search_url(tmdb, title, year, key)
    return lookups


def _poster_path(answer: dict) -> str | None:
    """/movie/{id} answers carry poster_path; /search/movie answers a list of results."""
    if "results" in answer:
        results = answer.get("results") or []
        first = results[0] if isinstance(results, list) and results and isinstance(results[0], dict) else {}
        path = first.get("poster_path")
    else:
        path = answer.get("poster_path")
    return path if isinstance(path, str) and POSTER_PATH.match(path) else None


def _tmdb_candidates(table: pd.DataFrame, pending: list[int], tmdb: TmdbImages,
                     downloader: Downloader, where: str) -> dict[int, _Hit | str]:
    """Two batches: API lookups (cached like images), then the posters."""
    key = tmdb_key(tmdb)
    if key is None:
        return {}
    lookups = _tmdb_lookups(table, pending, tmdb, key, where)
    answers = downloader.fetch_many(list(lookups.values()), progress=True, kind="json")
    rejected = sum(1 for answer in answers.values() if answer.reason == "http 401")
    if rejected:
        log.warning("%s: TMDB refused the API key in %s (401) for %s lookups; check that variable",
                    where, tmdb.api_key_env, f"{rejected:,}")
    outcomes: dict[int, _Hit | str] = {}
    posters: dict[int, str] = {}
    api_downloaded: set[int] = set()
    for index, url in lookups.items():
        answer = answers[url]
        if not answer.ok:
            outcomes[index] = answer.reason
            continue
        try:
            path = _poster_path(answer.read_json())
        except (OSError, ValueError) as error:
            log.debug("unreadable TMDB answer for %s: %s", answer.url, redact(str(error)))
            path = None
        if path is None:
            outcomes[index] = "no poster"
            continue
        posters[index] = f"{tmdb.image_base.rstrip('/')}{path}"
        if answer.status == "downloaded":
            api_downloaded.add(index)
    images = downloader.fetch_many(list(posters.values()), progress=True)
    for index, url in posters.items():
        outcome = _outcome(images[url])
        if isinstance(outcome, _Hit) and index in api_downloaded:
            outcome.origin = "downloaded"  # the point needed the network this time
        outcomes[index] = outcome
    return outcomes

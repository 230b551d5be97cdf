"""Fetch images (and small JSON answers) over HTTP: politely, safely, once.

One `requests` session serves the whole build. Requests are spread over a
few threads but their starts are spaced by one shared rate limiter, so a
build never hits an image server harder than `requests_per_second`.
Transient failures (connection errors, timeouts, 429, 5xx) are retried
with exponential backoff, honouring Retry-After.

Nothing is kept until it has been validated: an image must open with
Pillow, declare a sane size in its header (checked before any pixel is
decoded, so a decompression bomb costs nothing) and decode completely; a
JSON answer must parse. Validated bytes go into an on-disk cache:

    CACHE/downloads/refs/ab/<sha256 of the redacted URL>.json   what a URL gave
    CACHE/downloads/blobs/cd/<sha256 of the bytes>              the bytes themselves

A ref names its blob by content hash, so a cached file that was damaged
(truncated copy, disk error, half-restored CI cache) no longer matches its
name and is fetched again instead of being trusted. A ref can instead
record a permanent failure (404, not an image...) with its time, so a
rebuild does not ask again until `missing_ttl_hours` have passed.

URLs may carry an API key (`api_key=`): every URL is passed through
`redact` before it is hashed into a cache name, written into a ref, or put
into a log line or a failure message.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import logging
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from PIL import Image, UnidentifiedImageError
from requests.adapters import HTTPAdapter

from site_builder.cache import atomic_writer, touch
from site_builder.config import DownloadSettings

log = logging.getLogger(__name__)

# A server asking for a longer pause than this is not waited for in full:
# one build should not stall for minutes on one image.
MAX_RETRY_AFTER = 60.0
# Below this many URLs a progress bar is noise.
PROGRESS_MIN = 300
CHUNK = 64 * 1024
# A body that trickles in one byte per read_timeout would never time out on
# its own; give the whole body this many read timeouts (plus the connect).
BODY_DEADLINE_READS = 3

KINDS = ("image", "json")

_API_KEY = re.compile(r"(?i)(api_key=)[^&#\s\"'<>]*")


def redact(text: str) -> str:
    """Blank out `api_key=` values in a URL or any message that may quote one.

    Applied to everything that leaves memory (cache names, refs, logs,
    failure reasons), so a TMDB key cannot leak through any of them.
    """
    return _API_KEY.sub(r"\1***", str(text))


class _RedactingFilter(logging.Filter):
    """urllib3 logs every request line at DEBUG, query string included;
    this rewrites its records so a debug log cannot carry the key either."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACTING_FILTER = _RedactingFilter()


def _install_log_redaction() -> None:
    """Idempotent: a logger holds a filter object at most once."""
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
        logging.getLogger(name).addFilter(_REDACTING_FILTER)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def image_size_problem(size: tuple[int, int], max_pixels: int) -> str | None:
    """Judge the size the header declares, before anything is decoded.

    Pillow's own bomb limit (Image.MAX_IMAGE_PIXELS, where it starts to
    warn) counts too, so a warning-sized image is rejected, not decoded.
    """
    width, height = size
    if width < 1 or height < 1:
        return "bad dimensions"
    limit = max_pixels
    if Image.MAX_IMAGE_PIXELS:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    if width * height > limit:
        return "too many pixels"
    return None


def decode_problem(error: BaseException) -> str:
    """Group Pillow's many exception types into reasons a reader can act on."""
    if isinstance(error, Image.DecompressionBombError):
        return "too many pixels"
    if isinstance(error, UnidentifiedImageError):
        return "not an image"
    if "truncat" in str(error).lower():
        return "truncated"
    return "corrupt image"


def validate_image(data: bytes, max_pixels: int) -> str | None:
    """Why these bytes are not a usable image, or None when they are.

    verify() checks structure and checksums without decoding; a full load()
    afterwards catches a body that stops early (verify passes many
    truncated JPEGs). The header size check comes first so that a tiny file
    declaring 100,000 x 100,000 pixels is refused without allocating them.
    """
    try:
        with Image.open(io.BytesIO(data)) as probe:
            problem = image_size_problem(probe.size, max_pixels)
            if problem:
                return problem
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # Pillow raises many types for bad input
        return decode_problem(error)
    return None


def validate_json(data: bytes) -> str | None:
    """API answers must be a JSON object; an HTML error page with 200 is not."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return "not json"
    return None if isinstance(value, dict) else "not json"


def _validate(kind: str, data: bytes, max_pixels: int) -> str | None:
    return validate_image(data, max_pixels) if kind == "image" else validate_json(data)


# --------------------------------------------------------------------------
# Results and cache
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """What one URL gave. `url` is redacted, so a result can be logged as is."""

    url: str
    status: str  # "cache", "downloaded" or "failed"
    reason: str = ""  # failures only: "404", "http 500", "timeout", "not an image", ...
    path: Path | None = None  # the validated bytes on disk
    remembered: bool = False  # a failure known from the negative cache: no request made

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def open_image(self) -> Image.Image:
        """Lazily opened; use as a context manager to close the file."""
        if self.path is None:
            raise ValueError(f"{self.url} gave no image ({self.reason})")
        return Image.open(self.path)

    def read_json(self) -> dict:
        if self.path is None:
            raise ValueError(f"{self.url} gave no answer ({self.reason})")
        return json.loads(self.path.read_bytes())


def url_key(url: str) -> str:
    """Cache name of a URL: the hash of its redacted form, so the name holds
    no key and survives a key rotation."""
    return hashlib.sha256(redact(url).encode("utf-8")).hexdigest()


class DownloadCache:
    """The on-disk store described in the module docstring."""

    def __init__(self, root: Path):
        self.root = Path(root) / "downloads"

    def ref_path(self, url: str) -> Path:
        key = url_key(url)
        return self.root / "refs" / key[:2] / f"{key}.json"

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def read_ref(self, url: str) -> dict | None:
        """A ref that cannot be read or parsed is simply a miss."""
        path = self.ref_path(url)
        try:
            ref = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("download cache entry %s is unreadable (%s); fetching again", path.name, error)
            return None
        return ref if isinstance(ref, dict) else None

    def get(self, url: str, ref: dict | None) -> Path | None:
        """The cached bytes' path if the ref points at a blob that still
        hashes to its name; anything else is a miss."""
        digest = (ref or {}).get("sha256")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            return None
        path = self.blob_path(digest)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            log.warning("cached copy of %s is corrupt; fetching again", redact(url))
            return None
        touch(path)  # used now, for `portals cache-prune`, the ref with its blob
        touch(self.ref_path(url))
        return path

    def put(self, url: str, kind: str, data: bytes, now: float) -> Path:
        """Blob first, then the ref: a crash in between leaves an orphan
        blob, never a ref to nothing. A blob whose bytes no longer hash to its
        name (damaged on disk) is written again."""
        digest = hashlib.sha256(data).hexdigest()
        blob = self.blob_path(digest)
        with atomic_writer(blob) as handle:  # also mends a blob damaged on disk
            handle.write(data)
        self._write_ref(url, {"url": redact(url), "kind": kind, "sha256": digest, "bytes": len(data), "fetched": now})
        return blob

    def remember_failure(self, url: str, reason: str, now: float) -> None:
        self._write_ref(url, {"url": redact(url), "failed": reason, "at": now})

    @staticmethod
    def remembered_failure(ref: dict | None, now: float, ttl_seconds: float) -> str | None:
        """The stored reason while it is fresh; None once it has expired."""
        if not ref or "failed" not in ref:
            return None
        at = ref.get("at")
        if not isinstance(at, (int, float)) or not 0 <= now - at < ttl_seconds:
            return None
        return str(ref["failed"])

    def _write_ref(self, url: str, ref: dict) -> None:
        with atomic_writer(self.ref_path(url)) as handle:
            handle.write(json.dumps(ref, sort_keys=True).encode("utf-8"))


# --------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart, across threads.

    A plain interval rather than a bursty bucket: servers that publish a
    rate limit usually mean it per second, and concurrency already hides
    latency, so bursts buy nothing.
    """

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


# --------------------------------------------------------------------------
# Downloader
# --------------------------------------------------------------------------


class _Failure(Exception):
    """One attempt's failure; `retry` says whether another attempt may help,
    `remember` whether the answer is final enough to cache negatively."""

    def __init__(self, reason: str, retry: bool = False, remember: bool = False, wait: float = 0.0):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.remember = remember
        self.wait = wait


def retry_after_seconds(value: str | None) -> float:
    """Retry-After is either seconds or an HTTP date; capped, never negative."""
    if not value:
        return 0.0
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 0.0
        seconds = when.timestamp() - time.time()
    return max(0.0, min(MAX_RETRY_AFTER, seconds))


def _is_timeout(error: BaseException) -> bool:
    """requests reports a read timeout during streaming as a ConnectionError
    wrapping urllib3's ReadTimeoutError; look through the chain."""
    seen = 0
    stack = [error]
    while stack and seen < 20:
        current = stack.pop()
        seen += 1
        if (
            isinstance(current, (requests.Timeout, TimeoutError))
            or "timed out" in str(current).lower()
            or type(current).__name__ in ("ReadTimeoutError", "ConnectTimeoutError")
        ):
            return True
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                stack.append(linked)
    return False


class Downloader:
    """Fetches URLs through one session, one rate limiter and one cache.

    Build it once per build: `Downloader(config.download, cache_dir)`, and
    close it (or use it as a context manager) when done. `request_count`
    counts HTTP requests actually sent, retries included.
    """

    def __init__(self, settings: DownloadSettings, cache_root: Path, session: requests.Session | None = None):
        self.settings = settings
        self.cache = DownloadCache(cache_root)
        self.session = session or self._new_session(settings)
        self.limiter = RateLimiter(settings.requests_per_second)
        self.request_count = 0
        self.clock = time.time  # replaceable in tests to age the negative cache
        self._count_lock = threading.Lock()
        _install_log_redaction()

    @staticmethod
    def _new_session(settings: DownloadSettings) -> requests.Session:
        """Pool as many connections as there are workers (requests' default
        of 10 would make extra workers wait), and no urllib3 retries: retries
        are done here, where Retry-After and the rate limit are known."""
        session = requests.Session()
        session.headers["User-Agent"] = settings.user_agent
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, settings.concurrency), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- public

    def fetch_many(self, urls: list[str], progress: bool = False, kind: str = "image") -> dict[str, FetchResult]:
        """One result per distinct URL (keyed by the URL as given).

        Threads overlap network latency; the shared limiter keeps the rate.
        A progress bar appears for long lists when asked and on a terminal.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        unique = list(dict.fromkeys(urls))
        results: dict[str, FetchResult] = {}
        if not unique:
            return results
        before = self.request_count
        started = time.monotonic()
        workers = min(self.settings.concurrency, len(unique))
        bar = None
        if progress and len(unique) > PROGRESS_MIN:
            from tqdm import tqdm

            bar = tqdm(
                total=len(unique),
                desc="images" if kind == "image" else "API lookups",
                unit="url",
                disable=None,
                leave=False,
            )
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download") as pool:
                futures = {pool.submit(self.fetch, url, kind): url for url in unique}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        self._log_batch(kind, results.values(), self.request_count - before, time.monotonic() - started)
        return results

    def fetch(self, url: str, kind: str = "image") -> FetchResult:
        """Cache, then negative cache, then the network. Never raises for a
        bad URL or a bad answer: one missing poster must not stop a build."""
        shown = redact(url)
        try:
            return self._fetch(url, kind, shown)
        except Exception as error:  # a bug or an unexpected library error
            log.warning("fetching %s failed unexpectedly: %s", shown, redact(f"{type(error).__name__}: {error}"))
            return FetchResult(shown, "failed", "error")

    # --------------------------------------------------------------- private

    def _fetch(self, url: str, kind: str, shown: str) -> FetchResult:
        ref = self.cache.read_ref(url)
        path = self.cache.get(url, ref)
        if path is not None:
            return FetchResult(shown, "cache", path=path)
        now = self.clock()
        remembered = self.cache.remembered_failure(ref, now, self.settings.missing_ttl_hours * 3600.0)
        if remembered is not None:
            return FetchResult(shown, "failed", remembered, remembered=True)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return FetchResult(shown, "failed", "bad url")
        try:
            data = self._download(url, kind, shown)
        except _Failure as failure:
            log.debug("%s: %s", shown, failure.reason)
            if failure.remember and self.settings.missing_ttl_hours > 0:
                self.cache.remember_failure(url, failure.reason, self.clock())
            return FetchResult(shown, "failed", failure.reason)
        path = self.cache.put(url, kind, data, self.clock())
        return FetchResult(shown, "downloaded", path=path)

    def _download(self, url: str, kind: str, shown: str) -> bytes:
        """Attempts until success, a final failure, or retries run out."""
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                data = self._attempt(url)
                problem = _validate(kind, data, self.settings.max_pixels)
                if problem:
                    # The server answered in full; asking again gives the same.
                    raise _Failure(problem, remember=True)
                return data
            except _Failure as failure:
                if not failure.retry or attempt == attempts - 1:
                    raise
                pause = max(failure.wait, self.settings.backoff * (2**attempt) * (1 + 0.25 * random.random()))
                log.debug("%s: %s; retry %d of %d in %.2f s", shown, failure.reason, attempt + 1, attempts - 1, pause)
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _attempt(self, url: str) -> bytes:
        """One GET, streamed and capped; raises _Failure with the reason."""
        self.limiter.wait()
        with self._count_lock:
            self.request_count += 1
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        try:
            with self.session.get(url, timeout=timeout, stream=True) as response:
                status = response.status_code
                if status in (404, 410):
                    raise _Failure("404" if status == 404 else "http 410", remember=True)
                if status == 429 or status >= 500:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    raise _Failure(f"http {status}", retry=True, wait=wait)
                if not 200 <= status < 300:
                    raise _Failure(f"http {status}")
                return self._read_body(response)
        except _Failure:
            raise
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as error:
            # the connection dropped before Content-Length bytes arrived
            raise _Failure("timeout" if _is_timeout(error) else "truncated", retry=True) from None
        except requests.ConnectionError as error:
            raise _Failure("timeout" if _is_timeout(error) else "connection error", retry=True) from None
        except requests.Timeout:
            raise _Failure("timeout", retry=True) from None
        except requests.RequestException as error:
            raise _Failure(redact(f"request error: {type(error).__name__}")) from None

    def _read_body(self, response: requests.Response) -> bytes:
        """Stop as soon as the cap is passed: a declared length over the cap
        is refused before reading, an undeclared one is cut off."""
        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise _Failure("too large", remember=True)
        deadline = time.monotonic() + self.settings.connect_timeout + BODY_DEADLINE_READS * self.settings.read_timeout
        buffer = bytearray()
        for chunk in response.iter_content(CHUNK):
            buffer += chunk
            if len(buffer) > cap:
                raise _Failure("too large", remember=True)
            if time.monotonic() > deadline:
                raise _Failure("timeout", retry=True)
        return bytes(buffer)

    def _log_batch(self, kind: str, results, requests_made: int, seconds: float) -> None:
        statuses = Counter(result.status for result in results)
        reasons = Counter(result.reason for result in results if not result.ok)
        failed = ", ".join(f"{reason} x {count}" for reason, count in reasons.most_common())
        log.info(
            "%s %s: %s from cache, %s downloaded, %s failed%s (%s requests, %.1f s)",
            f"{sum(statuses.values()):,}",
            "images" if kind == "image" else "API answers",
            f"{statuses['cache']:,}",
            f"{statuses['downloaded']:,}",
            f"{statuses['failed']:,}",
            f" ({failed})" if failed else "",
            f"{requests_made:,}",
            seconds,
        )

"""The downloader against a real HTTP server on 127.0.0.1.

The server (Loopback, also used by test_images.py and the benchmark) serves
each failure the issue lists: good JPEG/PNG/WebP images of known colours,
404, 500-then-200, 429 with Retry-After, a response slower than the read
timeout, a body cut short, a truncated JPEG, HTML with status 200, and a
tiny PNG declaring 100,000 x 100,000 pixels. It counts every request.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from site_builder.config import DownloadSettings
from site_builder.pictures.download import Downloader, RateLimiter, redact, retry_after_seconds

RED = (200, 30, 30)
GREEN = (30, 160, 60)
BLUE = (40, 60, 200)


# --------------------------------------------------------------------------
# Test data
# --------------------------------------------------------------------------


def solid_image(colour, size=(30, 45), fmt="JPEG") -> bytes:
    """A poster-shaped image of one colour; JPEG at high quality so the
    colour survives within a few levels."""
    buffer = io.BytesIO()
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    Image.new("RGB", size, colour).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noise_image(size=(120, 180), fmt="JPEG", seed=0) -> bytes:
    """Incompressible pixels: a file big enough to cut in half mid-scan."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid-looking PNG of a few dozen bytes whose header declares a huge
    image: decoding it would need 30 GB."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def fast_settings(**overrides) -> DownloadSettings:
    """Short timeouts and backoff so the failure cases take fractions of a second."""
    values = dict(
        concurrency=4,
        requests_per_second=1000.0,
        connect_timeout=1.0,
        read_timeout=0.3,
        retries=2,
        backoff=0.01,
        max_bytes=50_000,
        missing_ttl_hours=1.0,
    )
    values.update(overrides)
    return DownloadSettings(**values)


# --------------------------------------------------------------------------
# The loopback server
# --------------------------------------------------------------------------


class QuietServer(ThreadingHTTPServer):
    """Clients that time out or close keep-alive connections are expected
    here; socketserver would print each reset as a traceback."""

    def handle_error(self, request, client_address):
        pass


class Loopback:
    """A ThreadingHTTPServer on 127.0.0.1:0 with per-path behaviours.

    A route is a function (handler, query, nth) -> None that writes the
    response itself; nth is how many times that path has been asked for,
    this request included, so "500 then 200" is one `if`.
    """

    def __init__(self):
        self.routes = {}
        self.hits: Counter = Counter()
        self.queries: list[str] = []
        self.user_agents: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> Loopback:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def route(self, path: str, function) -> None:
        self.routes[path] = function

    def serve(
        self, path: str, body: bytes, status: int = 200, content_type: str = "image/jpeg", headers: dict | None = None
    ) -> None:
        """A fixed answer for a path."""
        self.routes[path] = lambda h, q, n: reply(h, status, body, content_type, headers)

    def _handler_class(self):
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else keep-alive replies wait 40 ms for a delayed ACK

            def do_GET(self):
                parts = urlsplit(self.path)
                with loopback._lock:
                    loopback.hits[parts.path] += 1
                    nth = loopback.hits[parts.path]
                    loopback.queries.append(self.path)
                    loopback.user_agents.append(self.headers.get("User-Agent", ""))
                    loopback.in_flight += 1
                    loopback.max_in_flight = max(loopback.max_in_flight, loopback.in_flight)
                try:
                    route = loopback.routes.get(parts.path)
                    if route is None:
                        reply(self, 404, b"not here", "text/plain")
                    else:
                        route(self, parse_qs(parts.query), nth)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeouts)
                finally:
                    with loopback._lock:
                        loopback.in_flight -= 1

            def log_message(self, *args):
                pass

        return Handler


def reply(
    handler,
    status: int,
    body: bytes,
    content_type: str = "image/jpeg",
    headers: dict | None = None,
    send: int | None = None,
    length: bool = True,
) -> None:
    """Write a response; `send` bytes only (then close) to cut the body
    short, `length=False` to stream without Content-Length until close."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    if send is not None or not length:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    for name, value in (headers or {}).items():
        handler.send_header(name, str(value))
    handler.end_headers()
    handler.wfile.write(body if send is None else body[:send])
    handler.wfile.flush()


def add_standard_routes(server: Loopback) -> None:
    """Every case of the issue, at fixed paths."""
    server.serve("/red.jpg", solid_image(RED))
    server.serve("/green.png", solid_image(GREEN, fmt="PNG"), content_type="image/png")
    server.serve("/blue.webp", solid_image(BLUE, fmt="WEBP"), content_type="image/webp")
    server.serve("/missing.jpg", b"no such poster", status=404, content_type="text/plain")
    server.serve("/page.html", b"<!doctype html><title>Not found</title><p>Sorry</p>", content_type="text/html")
    server.serve("/bomb.png", bomb_png(), content_type="image/png")
    whole = noise_image()
    server.serve("/truncated.jpg", whole[: len(whole) // 2])
    server.route("/cut.jpg", lambda h, q, n: reply(h, 200, whole, send=len(whole) // 2))

    def flaky(handler, query, nth):
        if nth == 1:
            reply(handler, 500, b"oops", "text/plain")
        else:
            reply(handler, 200, solid_image(GREEN))

    def busy(handler, query, nth):
        if nth == 1:
            reply(handler, 429, b"slow down", "text/plain", {"Retry-After": "1"})
        else:
            reply(handler, 200, solid_image(BLUE))

    def slow(handler, query, nth):
        time.sleep(1.0)
        reply(handler, 200, solid_image(RED))

    server.route("/flaky.jpg", flaky)
    server.route("/busy.jpg", busy)
    server.route("/slow.jpg", slow)
    big = noise_image((300, 300), fmt="PNG")
    assert len(big) > 50_000
    server.serve("/big.png", big, content_type="image/png")
    server.route("/big-stream.png", lambda h, q, n: reply(h, 200, big, "image/png", length=False))


@pytest.fixture
def server():
    loopback = Loopback()
    add_standard_routes(loopback)
    loopback.start()
    yield loopback
    loopback.stop()


def colour_of(result) -> tuple[int, int, int]:
    with result.open_image() as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def close_to(actual, expected, tolerance=8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_good_images_are_downloaded_then_served_from_cache(server, tmp_path):
    urls = [server.url(p) for p in ("/red.jpg", "/green.png", "/blue.webp")]
    with Downloader(fast_settings(), tmp_path) as first:
        results = first.fetch_many(urls + urls[:1])  # a repeated URL is fetched once
    assert [results[u].status for u in urls] == ["downloaded"] * 3
    assert first.request_count == 3 and server.total == 3
    for url, colour in zip(urls, (RED, GREEN, BLUE)):
        assert close_to(colour_of(results[url]), colour)
    assert set(server.user_agents) == {DownloadSettings().user_agent}

    with Downloader(fast_settings(), tmp_path) as second:
        again = second.fetch_many(urls)
    assert [again[u].status for u in urls] == ["cache"] * 3
    assert second.request_count == 0 and server.total == 3
    assert close_to(colour_of(again[urls[1]]), GREEN)


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/missing.jpg", "404"),
        ("/page.html", "not an image"),
        ("/bomb.png", "too many pixels"),
        ("/truncated.jpg", "truncated"),
        ("/big.png", "too large"),
        ("/big-stream.png", "too large"),
    ],
)
def test_permanent_failures_are_rejected_once_and_remembered(server, tmp_path, path, reason):
    with Downloader(fast_settings(), tmp_path) as downloader:
        result = downloader.fetch(server.url(path))
    assert (result.status, result.reason) == ("failed", reason)
    assert server.hits[path] == 1  # not retried: asking again gives the same answer
    assert result.path is None
    with Downloader(fast_settings(), tmp_path) as downloader:
        again = downloader.fetch(server.url(path))
    assert (again.status, again.reason, again.remembered) == ("failed", reason, True)
    assert downloader.request_count == 0 and server.hits[path] == 1


def test_bomb_is_refused_from_its_header_without_decoding(server, tmp_path):
    import tracemalloc

    tracemalloc.start()
    with Downloader(fast_settings(), tmp_path) as downloader:
        result = downloader.fetch(server.url("/bomb.png"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.reason == "too many pixels"
    assert peak < 20_000_000  # 100,000 x 100,000 RGB would be 30 GB


def test_own_pixel_limit_applies_below_pillows(server, tmp_path):
    with Downloader(fast_settings(max_pixels=1000), tmp_path) as downloader:
        result = downloader.fetch(server.url("/red.jpg"))  # 30 x 45 = 1,350 pixels
    assert result.reason == "too many pixels"


def test_negative_cache_expires_after_its_ttl(server, tmp_path):
    url = server.url("/missing.jpg")
    with Downloader(fast_settings(missing_ttl_hours=2), tmp_path) as downloader:
        assert downloader.fetch(url).reason == "404"
        started = downloader.clock()
        downloader.clock = lambda: started + 1.9 * 3600
        assert downloader.fetch(url).remembered
        assert server.hits["/missing.jpg"] == 1
        downloader.clock = lambda: started + 2.1 * 3600
        result = downloader.fetch(url)
    assert (result.reason, result.remembered) == ("404", False)
    assert server.hits["/missing.jpg"] == 2


def test_ttl_zero_never_remembers_a_404(server, tmp_path):
    for _ in range(3):
        with Downloader(fast_settings(missing_ttl_hours=0), tmp_path) as downloader:
            assert downloader.fetch(server.url("/missing.jpg")).reason == "404"
    assert server.hits["/missing.jpg"] == 3


def test_a_404_that_comes_back_is_downloaded_after_the_ttl(server, tmp_path):
    url = server.url("/later.jpg")
    with Downloader(fast_settings(), tmp_path) as downloader:
        assert downloader.fetch(url).reason == "404"
        server.serve("/later.jpg", solid_image(RED))
        assert downloader.fetch(url).remembered
        started = time.time()
        downloader.clock = lambda: started + 2 * 3600
        assert downloader.fetch(url).status == "downloaded"


def test_500_then_200_is_downloaded_after_a_retry(server, tmp_path):
    with Downloader(fast_settings(), tmp_path) as downloader:
        result = downloader.fetch(server.url("/flaky.jpg"))
    assert result.status == "downloaded"
    assert server.hits["/flaky.jpg"] == 2 and downloader.request_count == 2
    assert close_to(colour_of(result), GREEN)


def test_500_every_time_fails_after_all_retries(server, tmp_path):
    server.serve("/down.jpg", b"oops", status=503, content_type="text/plain")
    with Downloader(fast_settings(retries=3), tmp_path) as downloader:
        result = downloader.fetch(server.url("/down.jpg"))
    assert result.reason == "http 503"
    assert server.hits["/down.jpg"] == 4
    with Downloader(fast_settings(retries=0), tmp_path) as downloader:
        assert not downloader.fetch(server.url("/down.jpg")).remembered  # transient: asked again
    assert server.hits["/down.jpg"] == 5


def test_429_waits_for_retry_after(server, tmp_path):
    with Downloader(fast_settings(), tmp_path) as downloader:
        started = time.monotonic()
        result = downloader.fetch(server.url("/busy.jpg"))
        elapsed = time.monotonic() - started
    assert result.status == "downloaded"
    assert server.hits["/busy.jpg"] == 2
    assert elapsed >= 0.95  # Retry-After: 1, although the backoff is 0.01 s


def test_slow_response_times_out_and_is_not_remembered(server, tmp_path):
    with Downloader(fast_settings(retries=1), tmp_path) as downloader:
        started = time.monotonic()
        result = downloader.fetch(server.url("/slow.jpg"))
        elapsed = time.monotonic() - started
    assert (result.status, result.reason) == ("failed", "timeout")
    assert server.hits["/slow.jpg"] == 2
    assert elapsed < 1.5  # two read timeouts of 0.3 s, not two full seconds
    with Downloader(fast_settings(retries=0), tmp_path) as downloader:
        assert downloader.fetch(server.url("/slow.jpg")).remembered is False
    assert server.hits["/slow.jpg"] == 3


def test_body_cut_short_is_truncated_and_retried(server, tmp_path):
    with Downloader(fast_settings(), tmp_path) as downloader:
        result = downloader.fetch(server.url("/cut.jpg"))
    assert (result.status, result.reason) == ("failed", "truncated")
    assert server.hits["/cut.jpg"] == 3  # a dropped connection may be transient


def test_connection_refused_is_a_connection_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Downloader(fast_settings(retries=1), tmp_path) as downloader:
        result = downloader.fetch(f"http://127.0.0.1:{port}/x.jpg")
    assert result.reason == "connection error"
    assert downloader.request_count == 2


def test_bad_urls_make_no_request(tmp_path):
    with Downloader(fast_settings(), tmp_path) as downloader:
        results = downloader.fetch_many(["ftp://example.org/a.jpg", "not a url", "file:///etc/passwd"])
    assert {r.reason for r in results.values()} == {"bad url"}
    assert downloader.request_count == 0


def test_corrupt_cache_entries_are_fetched_again(server, tmp_path):
    import hashlib

    url = server.url("/red.jpg")
    with Downloader(fast_settings(), tmp_path) as downloader:
        blob = downloader.fetch(url).path
        blob.write_bytes(blob.read_bytes()[:100])  # damaged on disk
        assert downloader.fetch(url).status == "downloaded"
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name  # repaired, not left damaged
        assert downloader.fetch(url).status == "cache"
        ref = downloader.cache.ref_path(url)
        ref.write_text("{not json")
        assert downloader.fetch(url).status == "downloaded"
        blob.unlink()
        assert downloader.fetch(url).status == "downloaded"
        result = downloader.fetch(url)
    assert result.status == "cache" and close_to(colour_of(result), RED)
    assert server.hits["/red.jpg"] == 4


def test_cache_layout_is_content_addressed(server, tmp_path):
    import hashlib

    with Downloader(fast_settings(), tmp_path) as downloader:
        result = downloader.fetch(server.url("/red.jpg"))
        same = downloader.fetch(server.url("/red.jpg?copy=1"))  # other URL, same bytes
    assert result.path == same.path
    assert result.path.name == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert not list(tmp_path.rglob(".*"))  # no temporary files left behind


def test_concurrency_is_bounded(server, tmp_path):
    def pause(handler, query, nth):
        time.sleep(0.05)
        reply(handler, 200, solid_image(RED))

    server.route("/pause.jpg", pause)
    urls = [server.url(f"/pause.jpg?n={i}") for i in range(12)]
    with Downloader(fast_settings(concurrency=3), tmp_path) as downloader:
        results = downloader.fetch_many(urls)
    assert all(r.status == "downloaded" for r in results.values())
    assert 2 <= server.max_in_flight <= 3


def test_requests_per_second_is_respected(server, tmp_path):
    urls = [server.url(f"/red.jpg?n={i}") for i in range(11)]
    with Downloader(fast_settings(requests_per_second=20, concurrency=8), tmp_path) as downloader:
        started = time.monotonic()
        downloader.fetch_many(urls)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.45  # 11 starts, 1/20 s apart


def test_rate_limiter_spaces_starts_across_threads():
    limiter = RateLimiter(50.0)
    starts = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            limiter.wait()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 starts 1/50 s apart span at least 19/50 s, however the threads interleave
    assert len(starts) == 20 and max(starts) - min(starts) >= 19 / 50 - 0.01


def test_redact_hides_api_keys_anywhere():
    assert redact("https://api.x/3/movie/1?api_key=s3cr3t") == "https://api.x/3/movie/1?api_key=***"
    assert redact("/search/movie?api_key=s3cr3t&query=Heat") == "/search/movie?api_key=***&query=Heat"
    assert "s3cr3t" not in redact("Max retries exceeded with url: /movie/1?API_KEY=s3cr3t (Caused by ...)")
    assert redact("https://img/t/p/w185/a.jpg") == "https://img/t/p/w185/a.jpg"


def test_keys_never_reach_logs_or_cache(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line at DEBUG
    server.serve("/3/movie/7", json.dumps({"poster_path": "/x.jpg"}).encode(), content_type="application/json")
    secret = "k3y-that-must-not-leak"
    urls = [server.url(f"/3/movie/7?api_key={secret}"), server.url(f"/3/movie/8?api_key={secret}")]
    with Downloader(fast_settings(), tmp_path) as downloader:
        results = downloader.fetch_many(urls, kind="json")
    assert results[urls[0]].read_json() == {"poster_path": "/x.jpg"}
    assert results[urls[1]].reason == "404"
    assert any("api_key=" in q for q in server.queries)
    assert caplog.records and not [r for r in caplog.records if secret in r.getMessage()]
    for path in tmp_path.rglob("*"):
        assert secret not in path.name
        if path.is_file():
            assert secret.encode() not in path.read_bytes()
    assert all(secret not in r.url for r in results.values())


def test_json_answers_must_be_json(server, tmp_path):
    with Downloader(fast_settings(), tmp_path) as downloader:
        assert downloader.fetch(server.url("/page.html"), kind="json").reason == "not json"


def test_retry_after_parsing():
    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds("3600") == 60.0  # capped
    assert retry_after_seconds(None) == 0.0
    assert retry_after_seconds("soon") == 0.0
    import email.utils

    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 <= retry_after_seconds(later) <= 5.0

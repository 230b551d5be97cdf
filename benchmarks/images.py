"""Time to fetch and stitch N poster-sized images from a loopback server.

Usage: python benchmarks/images.py [--count 5000] [--concurrency 8] [--rps 5000] [--size 185x278]

A ThreadingHTTPServer on 127.0.0.1 serves N distinct JPEGs generated in
memory before timing starts. Two runs over the same cache folder:

  cold: empty cache, every image downloaded, validated and stored;
  warm: the same cache, so nothing is requested (as in a CI redeploy with
        the cache restored).

Each run times collect_images (fetch + validate + thumbnail),
draw_sprite_sheet and encode_sheet separately. The rate limit is set high
(--rps) because the point is the builder's own cost; with the default of
20 requests/s a cold run of 5,000 images would take at least 250 s by design.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import shutil
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from site_builder.config import DownloadSettings, ImageSettings, ImageSource  # noqa: E402
from site_builder.pictures.download import Downloader  # noqa: E402
from site_builder.pictures.images import collect_images, encode_sheet  # noqa: E402
from site_builder.pictures.sprites import draw_sprite_sheet, sprite_grid  # noqa: E402


def make_posters(count: int, size: tuple[int, int]) -> list[bytes]:
    """Distinct JPEGs: a vertical gradient between two colours per image plus
    grain, so each file compresses and decodes like a photo (a flat block
    would flatter both the JPEG decoder and the sheet's PNG encoder)."""
    rng = np.random.default_rng(7)
    width, height = size
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    grain = rng.normal(0.0, 12.0, (64, height, width, 3))  # reused: generating noise is the slow part
    posters = []
    for index in range(count):
        top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        rows = top * (1 - t) + bottom * t
        pixels = np.clip(rows + grain[index % len(grain)], 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "JPEG", quality=85)
        posters.append(buffer.getvalue())
    return posters


class PosterServer:
    """Serves /p/{i}.jpg from memory, in its own process, and counts requests.

    A separate process so the server's Python threads do not compete with
    the builder for one interpreter lock: that would time the test server,
    not the builder.
    """

    def __init__(self, count: int, size: tuple[int, int]):
        context = multiprocessing.get_context("spawn")
        self._requests = context.Value("q", 0)
        ready = context.Queue()
        self.process = context.Process(target=_serve, args=(count, size, self._requests, ready), daemon=True)
        self.process.start()
        self.port, self.megabytes = ready.get(timeout=300)

    @property
    def requests(self) -> int:
        return self._requests.value

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.port}/p/{index}.jpg"

    def stop(self) -> None:
        self.process.terminate()
        self.process.join()


def _serve(count: int, size: tuple[int, int], requests, ready) -> None:
    posters = make_posters(count, size)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else keep-alive replies wait 40 ms for a delayed ACK

        def do_GET(self):
            with requests.get_lock():
                requests.value += 1
            try:
                body = posters[int(self.path.removeprefix("/p/").removesuffix(".jpg"))]
                status = 200
            except (ValueError, IndexError):
                body, status = b"no", 404
            self.send_response(status)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put((server.server_address[1], sum(map(len, posters)) / 1e6))
    server.serve_forever()


def run(
    label: str,
    table: pd.DataFrame,
    settings: ImageSettings,
    download: DownloadSettings,
    cache: Path,
    server: PosterServer,
) -> None:
    count = len(table)
    k, cell = sprite_grid(count, 128, 8192)
    before = server.requests
    started = time.perf_counter()
    with Downloader(download, cache) as downloader:
        thumbs, report, _ = collect_images(table, settings, downloader, cache, cell, download.max_pixels)
    collected = time.perf_counter()
    sheet, _ = draw_sprite_sheet(table["title"].tolist(), 128, 8192, images=thumbs)
    drawn = time.perf_counter()
    data, ext = encode_sheet(sheet, "auto", 85)
    encoded = time.perf_counter()
    total = encoded - started
    print(
        f"{label}: {total:6.2f} s total, {count / total:7.0f} images/s | "
        f"collect {collected - started:5.2f} s ({count / (collected - started):5.0f}/s), "
        f"draw {drawn - collected:4.2f} s, encode {encoded - drawn:4.2f} s | "
        f"requests {server.requests - before:,} | "
        f"sheet {sheet.width} x {sheet.height} ({k} x {k} cells of {cell} px), {ext} {len(data) / 1e6:.1f} MB"
    )
    print(f"      {report.describe()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=DownloadSettings().concurrency)
    parser.add_argument("--rps", type=float, default=5000.0)
    parser.add_argument("--size", default="185x278", help="poster size, WIDTHxHEIGHT")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    started = time.perf_counter()
    server = PosterServer(args.count, size)
    print(
        f"{args.count:,} JPEGs of {size[0]} x {size[1]} px, {server.megabytes:.1f} MB, served from a separate "
        f"process; generated in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    table = pd.DataFrame(
        {
            "id": np.arange(args.count),
            "title": [f"Movie {i}" for i in range(args.count)],
            "poster": [server.url(i) for i in range(args.count)],
        }
    )
    settings = ImageSettings(sources=[ImageSource(url_column={"column": "poster"})])
    download = DownloadSettings(concurrency=args.concurrency, requests_per_second=args.rps)
    cache = Path(tempfile.mkdtemp(prefix="images-bench-"))
    print(f"concurrency {args.concurrency}, rate limit {args.rps:g} requests/s, cache {cache}")
    try:
        run("cold", table, settings, download, cache, server)
        run("warm", table, settings, download, cache, server)
    finally:
        server.stop()
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()

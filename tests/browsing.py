"""A headless Chromium and a static file server on loopback, as the browser tests, the
screenshots (tools/screenshots.py) and the page benchmarks (benchmarks/) all use them."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

# WebGL through SwiftShader, and nothing that reaches the network on its own
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = "chromium is not installed: ./portals.sh test installs it (apt-get install chromium)"


def find_chromium() -> str | None:
    """Debian's chromium, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory, handler: type[http.server.SimpleHTTPRequestHandler] = _QuietHandler):
    """A static file server for `directory` on 127.0.0.1 (any free port), in a thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

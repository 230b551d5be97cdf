"""A real HTTP server on 127.0.0.1 for download tests: fixed routes, Range support, request log."""

from __future__ import annotations

import http.server
import re
import threading


class LoopbackServer:
    """Serves `routes` (path -> bytes, or path -> callable(handler) for special cases)."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                server.requests.append((self.path, self.headers.get("Range")))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif callable(route):
                    route(self)
                else:
                    self._send_bytes(route)

            def _send_bytes(self, body: bytes):
                wanted = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                start = int(wanted.group(1)) if wanted else 0
                if start >= len(body) and wanted:
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206 if wanted else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

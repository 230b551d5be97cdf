"""`portals serve`: serve the site on loopback, rebuild it when the content folder or the theme
changes, and reload the open pages.

The server watches every file of the content folder and of the theme
(templates/, site.theme: its names, sizes and modification times, checked
twice a second). A change starts a build through
the caches, so a title or a docs page is back in about a second. Each HTML
page it serves carries a small script that listens to /__portals__/events
(server-sent events): "reload" after a build that published, "problem" with
the message after one that failed; a failed build leaves the last good site
in place (build.build_site publishes only a finished site), so the pages keep
working and show the problem on top until the next good build. The built
files themselves are never changed: the script is added as a page is served.
"""

from __future__ import annotations

import functools
import http.server
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from site_builder.errors import BuildError
from site_builder.site.theme import theme_dir

log = logging.getLogger("site_builder")

EVENTS = "/__portals__/events"
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15

# Added before </body> of every page served while watching; GENERATION is the build the page is from.
RELOAD_SCRIPT = """<script>
(function () {
  var source = new EventSource("%(events)s?since=%(generation)d");
  var banner = null;
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("problem", function (event) {
    if (!banner) {
      banner = document.createElement("pre");
      banner.id = "portals-problem";
      banner.setAttribute("role", "alert");
      banner.style.cssText = "position:fixed;z-index:2147483647;left:0;right:0;top:0;margin:0;padding:12px 16px;" +
        "max-height:50vh;overflow:auto;white-space:pre-wrap;font:14px/1.4 monospace;background:#5c1010;color:#fff;";
      document.body.appendChild(banner);
    }
    banner.textContent = "The last edit did not build; this is the last good site.\\n\\n" + JSON.parse(event.data);
  });
})();
</script>"""


class Watch:
    """The state the server shares with the builder: which build the site is, and the last problem."""

    def __init__(self) -> None:
        self.generation = 0
        self.problem: str | None = None
        self.changed = threading.Condition()

    def published(self) -> None:
        with self.changed:
            self.generation += 1
            self.problem = None
            self.changed.notify_all()

    def failed(self, message: str) -> None:
        with self.changed:
            self.problem = message
            self.changed.notify_all()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder`: its modification time and size."""
    files = {}
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                stat = path.stat()
                files[str(path)] = (stat.st_mtime_ns, stat.st_size)
        except OSError:  # removed while we looked
            continue
    return files


def describe(error: BaseException) -> str:
    if isinstance(error, BuildError):
        return "\n".join(str(problem) for problem in error.problems)
    return f"{type(error).__name__}: {error}"


def watch_and_build(
    content: Path, build: Callable[[], object], watch: Watch, stop: threading.Event, say: Callable[[str], None]
) -> None:
    """Rebuild whenever the content folder or the theme (site.theme) changes, until `stop` is set;
    `say` tells the terminal."""
    folders = [content, theme_dir()]

    def everything() -> dict[str, tuple[int, int]]:
        return {name: stamp for folder in folders for name, stamp in snapshot(folder).items()}

    seen = everything()
    while not stop.wait(POLL_SECONDS):
        now = everything()
        if now == seen:
            continue
        time.sleep(POLL_SECONDS / 2)  # let an editor finish writing
        seen = everything()
        say("Content or theme changed: rebuilding...")
        started = time.perf_counter()
        try:
            build()
        except Exception as error:  # any failure is shown on the pages; the last good site stays
            message = describe(error)
            say(f"The build stopped; still serving the last good site:\n{message}")
            watch.failed(message)
        else:
            say(f"Rebuilt in {time.perf_counter() - started:.1f} s; reloading the pages.")
            watch.published()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Files of the site; while watching, HTML pages with the reload script, and the events stream."""

    watch: Watch | None = None

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.watch is not None and self.path.split("?")[0] == EVENTS:
            return self._events(self.watch)
        if self.watch is not None and self._is_page():
            return self._page(self.watch)
        return super().do_GET()

    def _is_page(self) -> bool:
        path = Path(self.translate_path(self.path))
        return path.suffix == ".html" or (path.is_dir() and (path / "index.html").is_file())

    def _page(self, watch: Watch):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().do_GET()  # the stdlib's redirect to the folder's URL with "/"
            path = path / "index.html"
        try:
            html = path.read_text(encoding="utf-8")
        except OSError:
            return super().do_GET()
        script = RELOAD_SCRIPT % {"events": EVENTS, "generation": watch.generation}
        at = html.rfind("</body>")
        body = (html[:at] + script + html[at:] if at >= 0 else html + script).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, watch: Watch):
        query = self.path.partition("?")[2]
        since = int(query.partition("since=")[2] or 0) if "since=" in query else watch.generation
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        shown = None
        try:
            while True:
                with watch.changed:
                    if watch.generation == since and watch.problem == shown:
                        watch.changed.wait(KEEPALIVE_SECONDS)
                    generation, problem = watch.generation, watch.problem
                if generation != since:
                    self.wfile.write(b"event: reload\ndata: {}\n\n")
                    self.wfile.flush()
                    return
                if problem != shown and problem is not None:
                    self.wfile.write(f"event: problem\ndata: {json.dumps(problem)}\n\n".encode())
                shown = problem
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def serve(directory: Path, host: str, port: int, watch: Watch | None, announce: Callable[[str], None]) -> None:
    """Serve `directory` until Ctrl+C; with a Watch, pages reload after each build."""
    handler = type("SiteHandler", (Handler,), {"watch": watch})
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(directory)))
    server.daemon_threads = True
    with server:
        announce(f"http://{host}:{server.server_address[1]}/")
        server.serve_forever()

"""Our map beside datamapplot's interactive page, for the same points, layout and region names.

Usage:
    python benchmarks/side_by_side.py [--site _site] [--portal movies] [--runs 3]

It takes the portal's 2-D layout and its named regions as the site ships them
(bookmarks.json; the regions found again as benchmarks/regions.py does), and
makes datamapplot's interactive page of the same points with the same names as
its label layers (finest first), the points' labels as hover text. datamapplot
(0.7.3, with its own dependencies) is installed once into its own virtual
environment, .cache/side-by-side/venv, beside the project's. Its page loads
deck.gl, Apache Arrow, d3 and jQuery from a CDN: they are taken from the npm
registry once (`npm pack`) and served by a local HTTPS server standing in for
the CDN (a self-signed certificate, made with openssl). Its web fonts, from
Google Fonts, are left out (the request fails at once), as ours come with the
site.

Both pages are then served on 127.0.0.1 as GitHub Pages serves them (text
gzipped) and opened cold in headless Chromium on a phone (390 x 844, touch) at
10 Mbit/s with 100 ms round trips. Printed, median of the runs, in ms since
navigation: when the points are drawn, when the region names are, and the
bytes on the wire. For datamapplot, "drawn" is the first frame after its
point layer (and then its label layer) exists on its deck.gl map.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from browsing import CHROMIUM_ARGS  # noqa: E402
from map_page import TIMEOUT_MS, median, page_arguments  # noqa: E402
from map_page import measure as measure_ours  # noqa: E402
from recommend_page import GzipHandler, serve, throttled_page  # noqa: E402

from site_builder.model import regions  # noqa: E402

HOME = REPO / ".cache" / "side-by-side"
DATAMAPPLOT = "datamapplot==0.7.3"
PHONE = {"latency": 100, "download": 10e6 / 8, "upload": 5e6 / 8}
VIEWPORT = {"width": 390, "height": 844}
# what datamapplot's page asks its CDN for (interactive_helpers.py), and where npm has each file
CDN_FILES = {
    "deck.gl@9.1/dist.min.js": ("deck.gl@9.1", "package/dist.min.js"),
    "apache-arrow@latest/Arrow.es2015.min.js": ("apache-arrow", "package/Arrow.es2015.min.js"),
    "d3@latest/dist/d3.min.js": ("d3@7", "package/dist/d3.min.js"),
    "jquery@3.7.1/dist/jquery.min.js": ("jquery@3.7.1", "package/dist/jquery.min.js"),
}

MAKE_PAGE = """
import sys, numpy as np, datamapplot
data = np.load(sys.argv[1], allow_pickle=False)
layers = [data[f"layer{i}"] for i in range(int(data["levels"]))]
plot = datamapplot.create_interactive_plot(
    data["coords"], *layers, hover_text=data["labels"], cdn_url=sys.argv[3], enable_search=True,
    title=sys.argv[4], font_family="Roboto",
)
plot.save(sys.argv[2])
"""


def datamapplot_python() -> Path:
    python = HOME / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HOME / "venv")], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", DATAMAPPLOT], check=True)
    return python


def cdn_folder() -> Path:
    folder = HOME / "cdn"
    if all((folder / path).is_file() for path in CDN_FILES):
        return folder
    with tempfile.TemporaryDirectory() as packs:
        for path, (package, member) in CDN_FILES.items():
            name = subprocess.run(
                ["npm", "pack", package, "--silent"], cwd=packs, check=True, capture_output=True, text=True
            ).stdout.split()[-1]
            with tarfile.open(Path(packs) / name) as archive:
                source = archive.extractfile(member)
                target = folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
    return folder


def serve_https(folder: Path) -> http.server.ThreadingHTTPServer:
    """`folder` over HTTPS on 127.0.0.1, text gzipped, with a self-signed certificate (the browser is
    told to accept it)."""
    certificate, key = HOME / "cdn.pem", HOME / "cdn.key"
    if not certificate.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=127.0.0.1"]
            + ["-keyout", str(key), "-out", str(certificate)],
            check=True,
            capture_output=True,
        )
    # gzipped, as a CDN serves its scripts
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(folder)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def label_layers(site: Path, portal: str) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The 2-D layout as shipped, each level's region name per point (finest level first,
    "Unlabelled" outside every region), and the points' labels."""
    metadata = pd.read_csv(site / portal / "metadata.txt", sep="\t", dtype=str, keep_default_na=False, quoting=3)
    states = json.loads((site / portal / "bookmarks.json").read_text(encoding="utf-8"))
    shipped = json.loads((site / portal / "regions.json").read_text(encoding="utf-8"))["layouts"]
    layout = next(i for i, state in enumerate(states) if not state["umapIs3d"])
    keys = sorted(states[layout]["projections"][0])
    coords = np.array([[p[k] for k in keys] for p in states[layout]["projections"]], dtype=np.float32)
    label = metadata.columns[0]
    columns = [c for c in metadata.columns if c not in (label, "id")]
    popularity = metadata["num_ratings"].astype(np.int64).to_numpy() if "num_ratings" in metadata else None
    found = regions.find_regions(coords, metadata, columns, label, popularity)
    assert [r.name for r in found] == [r["name"] for r in shipped[layout]], "regions differ from regions.json"
    layers = []
    for level in reversed(range(len(regions.LEVELS))):
        names = np.full(len(coords), "Unlabelled", dtype=object)
        for region in (r for r in found if r.level == level):
            names[region.members] = region.name
        if (names != "Unlabelled").any():
            layers.append(names.astype(str))
    return coords, layers, metadata[label].to_numpy(dtype=str)


def make_datamapplot_page(site: Path, portal: str, out: Path, cdn: str) -> None:
    coords, layers, labels = label_layers(site, portal)
    out.mkdir(parents=True, exist_ok=True)
    inputs = out / "inputs.npz"
    arrays = {f"layer{i}": layer for i, layer in enumerate(layers)}
    np.savez(inputs, coords=coords, labels=labels, levels=len(layers), **arrays)
    page = out / "index.html"
    subprocess.run(
        [str(datamapplot_python()), "-c", MAKE_PAGE, str(inputs), str(page), cdn, portal], check=True, cwd=out
    )
    inputs.unlink()


def measure_datamapplot(browser, url: str) -> dict:
    context, page = throttled_page(browser, PHONE, VIEWPORT, is_mobile=True, has_touch=True)
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    page.route("https://fonts.gstatic.com/**", lambda route: route.abort())
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url)
    drawn = (
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now()))))"
    )
    page.wait_for_function("typeof datamap !== 'undefined' && !!datamap.pointLayer", timeout=TIMEOUT_MS, polling=20)
    points = page.evaluate(drawn)
    page.wait_for_function("!!datamap.labelLayer", timeout=TIMEOUT_MS, polling=20)
    names = page.evaluate(drawn)
    total = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished)
    context.close()
    return {"points": points, "names": names, "bytes": total, "requests": len(finished)}


def main() -> None:
    args, executable = page_arguments(__doc__.split("\n\n")[0])
    from playwright.sync_api import sync_playwright

    cdn_server = serve_https(cdn_folder())
    cdn = f"127.0.0.1:{cdn_server.server_address[1]}"
    theirs = HOME / "page"
    shutil.rmtree(theirs, ignore_errors=True)
    make_datamapplot_page(args.site, args.portal, theirs, cdn)
    ours_server, theirs_server = serve(args.site.resolve()), serve(theirs)
    ours_url = f"http://127.0.0.1:{ours_server.server_address[1]}/{args.portal}/index.html"
    theirs_url = f"http://127.0.0.1:{theirs_server.server_address[1]}/index.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"]
        )
        ours = [measure_ours(browser, ours_url, PHONE, VIEWPORT) for _ in range(args.runs)]
        others = [measure_datamapplot(browser, theirs_url) for _ in range(args.runs)]
        browser.close()
    for server in (cdn_server, ours_server, theirs_server):
        server.shutdown()

    print(f"{args.portal}: a phone (390 x 844) at 10 Mbit/s, 100 ms; median of {args.runs} cold loads, ms")
    print("| page | bytes | points drawn | names drawn | pictures on the points |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| ours | {median(ours, 'bytes') / 1e6:.2f} MB | {median(ours, 'points'):,.0f} | {median(ours, 'names'):,.0f} "
        f"| {median(ours, 'pictures'):,.0f} |"
    )
    print(
        f"| datamapplot | {median(others, 'bytes') / 1e6:.2f} MB | {median(others, 'points'):,.0f} "
        f"| {median(others, 'names'):,.0f} | none |"
    )


if __name__ == "__main__":
    main()

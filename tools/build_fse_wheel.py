"""Build a wheel of fse 1.0.0 that installs on Linux and current Python.

fse 1.0.0 ships no Linux wheel, and its sdist fails to build under PEP 517
(setup.py assigns to ``__builtins__.__NUMPY_SETUP__``, a dict there) and on
Python 3.11 (its pre-generated ``average_inner.c`` is from an old Cython).
This script fetches the sdist from the package index pip is configured with,
checks its sha256, neutralises that one line, drops the stale C file so that
Cython regenerates it, and builds a wheel into WHEELHOUSE.  It needs only the
standard library plus numpy, Cython, setuptools and wheel in the running
interpreter (the build does not use isolation).

Usage: python tools/build_fse_wheel.py WHEELHOUSE
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

NAME = "fse"
VERSION = "1.0.0"
SDIST = f"{NAME}-{VERSION}.tar.gz"
SDIST_SHA256 = "127ae47baec400031c393595368f3192433e24e67906b5a86e2be637c43ab1d5"
BROKEN_LINE = "__builtins__.__NUMPY_SETUP__ = False"


def configured_index_url() -> str:
    """The index pip uses: PIP_INDEX_URL, pip's config, or pip's default."""
    url = os.environ.get("PIP_INDEX_URL")
    if url:
        return url
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
        capture_output=True,
        text=True,
    )
    if result.returncode == 0 and result.stdout.strip():
        return result.stdout.strip()
    from pip._internal.models.index import PyPI  # pip's own default index

    return PyPI.simple_url


def sdist_link(index_url: str) -> str:
    """Find the sdist's URL in the index's project page (PEP 691 JSON)."""
    page = index_url.rstrip("/") + f"/{NAME}/"
    request = urllib.request.Request(page, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        project = json.load(response)
    for entry in project.get("files", []):
        if entry["filename"] == SDIST:
            return urllib.parse.urljoin(page, entry["url"])
    raise SystemExit(f"{SDIST} is not listed on the package index {page}")


def fetch_sdist(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"{SDIST}: sha256 {digest}, expected {SDIST_SHA256}")
    return data


def patch_source(source: Path) -> None:
    setup_py = source / "setup.py"
    text = setup_py.read_text()
    if BROKEN_LINE not in text:
        raise SystemExit(f"{setup_py}: line to patch not found: {BROKEN_LINE}")
    setup_py.write_text(text.replace(BROKEN_LINE, "pass"))
    (source / "fse" / "models" / "average_inner.c").unlink(missing_ok=True)


def main(wheelhouse: str) -> None:
    out = Path(wheelhouse).resolve()
    if list(out.glob(f"{NAME}-{VERSION}-*.whl")):
        print(f"fse {VERSION} wheel already in {out}")
        return
    out.mkdir(parents=True, exist_ok=True)
    data = fetch_sdist(sdist_link(configured_index_url()))
    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(work, filter="data")
        source = Path(work) / f"{NAME}-{VERSION}"
        patch_source(source)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                str(out),
                str(source),
            ],
            check=True,
        )
    print(f"built fse {VERSION} wheel into {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])

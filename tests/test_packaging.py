"""The wheel ships the templates, so an installed copy finds them as a checkout does."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_package_and_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("projector_portals-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("base.html", "index.html", "projector.html", "site.css"):
        assert f"site_builder/templates/{template}" in names
    for module in ("config", "sources", "embeddings", "sprites", "projector", "pages", "docs", "build", "cli",
                   "readers/__init__", "readers/tables", "readers/generic"):
        assert f"site_builder/{module}.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "portals = site_builder.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

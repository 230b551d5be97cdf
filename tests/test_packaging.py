"""The wheel ships the templates, so an installed copy finds them as a checkout does."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_package_and_templates(tmp_path):
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
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("projector_portals-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "site_builder"
    shipped = [
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".html", ".css", ".js", ".svg")
    ]
    assert len(shipped) > 40
    for path in shipped:  # every module, template and static file of the package
        assert path.relative_to(REPO).as_posix() in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "portals = site_builder.commands.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

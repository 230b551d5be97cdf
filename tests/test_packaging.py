"""The wheel ships the package and the theme (templates/), so an installed copy finds them as a checkout does."""

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
    for path in shipped:  # every module and static file of the package
        assert path.relative_to(REPO).as_posix() in names
    theme = [p for p in (REPO / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(theme) >= 8
    for path in theme:  # the theme, at the repository's top, as site_builder.theme (site.theme)
        assert "site_builder/theme/" + path.relative_to(REPO / "templates").as_posix() in names
    # installed without a checkout beside it, the package finds the theme it carries
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    found = subprocess.run(
        [sys.executable, "-c", "from site_builder.site.theme import theme_dir; print(theme_dir())"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == str(installed / "site_builder" / "theme") and (installed / "site_builder/theme/base.html").is_file()
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "portals = site_builder.commands.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

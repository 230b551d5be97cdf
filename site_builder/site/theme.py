"""Where the site's theme is: the repository's top-level `templates/` (its Jinja templates, the
stylesheet and the docs' frame, see templates/__init__.py), or, in an installed package without a
checkout beside it, the copy the wheel carries as `site_builder.theme`.

A fork changes its site's look by editing `templates/`; the build, and `portals serve` (which
watches the folder and rebuilds), take the edit as they take an edit of the content.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # the repository's root, when this file is in one


def theme_dir() -> Path:
    """The folder of the theme's files."""
    own = CHECKOUT / "templates"
    if (CHECKOUT / "pyproject.toml").is_file() and (own / "base.html").is_file():
        return own
    return Path(str(files("site_builder").joinpath("theme")))

"""Helpers that check a built site the way a visitor's browser would resolve it."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def links(html_file: Path) -> list[tuple[str, str]]:
    """(attribute, value) for every href and src in the page."""
    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    found = []
    for tag in soup.find_all(True):
        for attribute in ("href", "src"):
            if tag.has_attr(attribute):
                found.append((attribute, tag[attribute]))
    return found


def resolve(site: Path, page: Path, url: str, base_url: str | None = None) -> Path | None:
    """The file a link points to inside the site, or None for links that leave it."""
    parts = urlsplit(url)
    if parts.scheme in ("mailto", "javascript", "data"):
        return None
    if parts.scheme or parts.netloc:
        if base_url and url.startswith(base_url + "/"):
            path = url[len(base_url) + 1 :]
            return _file(site, urlsplit(path).path)
        return None
    if not parts.path:
        return page  # a fragment on the same page
    current = page.relative_to(site).parent.as_posix()
    if parts.path.startswith("/"):
        # absolute paths resolve against the host: they must stay under the base path
        base_path = urlsplit(base_url).path.rstrip("/") + "/" if base_url else "/"
        if not parts.path.startswith(base_path):
            return site / "OUTSIDE-THE-SITE" / parts.path.lstrip("/")
        target = parts.path[len(base_path) :]
    else:
        target = posixpath.normpath(posixpath.join(current, parts.path))
    return _file(site, target, trailing_slash=parts.path.endswith("/"))


def _file(site: Path, target: str, trailing_slash: bool = False) -> Path:
    path = site / target
    if trailing_slash or path.is_dir():
        path = path / "index.html"
    return path

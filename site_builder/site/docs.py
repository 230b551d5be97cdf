"""Build the user's docs (content/docs/) with mkdocs into the site's docs/ folder."""

from __future__ import annotations

import html
import io
import logging
from pathlib import Path

from site_builder.errors import BuildError, Problem
from site_builder.site import paths
from site_builder.site.theme import theme_dir

log = logging.getLogger(__name__)


# The order a reader meets the pages in, for those a site has; any other page follows, by name.
READING_ORDER = [
    "index",
    "using-the-maps",
    "getting-started",
    "how-it-works",
    "hosting-your-own-dataset",
    "configuration",
    "large-datasets",
    "evaluation",
    "data-credits",
]


def navigation(docs_dir: Path) -> list[str]:
    """The pages in reading order (mkdocs would sort them by file name)."""
    pages = sorted(page_names(docs_dir))
    first = [name for name in READING_ORDER if name in pages]
    return [f"{name}.md" for name in first + [name for name in pages if name not in first]]


def page_names(docs_dir: Path | None) -> set[str]:
    """The pages a docs folder makes, as "how-it-works" for how-it-works.md (none without docs)."""
    if docs_dir is None:
        return set()
    return {page.relative_to(docs_dir).with_suffix("").as_posix() for page in docs_dir.rglob("*.md")}


def build_docs(docs_dir: Path, site_dir: Path, site_name: str, site_url: str | None) -> None:
    """`mkdocs build --strict` of docs_dir into site_dir; warnings are errors."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    # An in-memory config file: mkdocs would otherwise look for mkdocs.yml in the working folder.
    config = load_config(
        config_file=io.StringIO("{}"),
        # mkdocs' theme writes the site name into the pages unescaped
        site_name=html.escape(site_name),
        site_url=f"{site_url}/{paths.DOCS}/" if site_url else None,
        docs_dir=str(docs_dir),
        site_dir=str(site_dir),
        strict=True,
        use_directory_urls=True,
        # highlight.js would be fetched from a CDN; the site stays self-contained.
        theme={
            "name": "mkdocs",
            "highlightjs": False,
            "navigation_depth": 3,
            "custom_dir": str(theme_dir() / "docs-theme"),
        },
        nav=navigation(docs_dir),
    )
    # mkdocs logs through the "mkdocs" logger; keep its chatter at debug level.
    logging.getLogger("mkdocs").setLevel(logging.WARNING if log.getEffectiveLevel() > logging.DEBUG else logging.DEBUG)
    try:
        build(config)
    except MkDocsException as error:
        raise BuildError(Problem(docs_dir, "", f"mkdocs build --strict failed: {error}")) from error
    except SystemExit as error:  # mkdocs aborts strict builds with warnings this way
        raise BuildError(Problem(docs_dir, "", f"mkdocs build --strict failed: {error}")) from error

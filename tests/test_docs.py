"""The user documentation (content/docs/): complete, and buildable with mkdocs --strict.

- Every key of the configuration schema (site_builder/config/schema.py) is documented
  in configuration.md, in the section of its own key path, so that adding a
  setting without documenting it fails here.
- The pages build with `mkdocs build --strict`, with broken links and broken
  anchors as errors, and use no external images or scripts.
"""

from __future__ import annotations

import io
import re
import types
import typing
from pathlib import Path

import pytest
from conftest import REPO
from pydantic import BaseModel

from site_builder.config import SiteConfig

DOCS = REPO / "content" / "docs"
CONFIGURATION = DOCS / "configuration.md"

# Filled in by load_config, not read from site.yml.
NOT_IN_FILE = {"content_dir", "config_file"}

# The pages the site itself links to (templates) or that the docs promise.
REQUIRED_PAGES = [
    "index.md",
    "getting-started.md",
    "how-it-works.md",
    "configuration.md",
    "hosting-your-own-dataset.md",
    "data-credits.md",
]


# ---------------------------------------------------------------- the schema


def _nested_models(annotation) -> list[tuple[type[BaseModel], str]]:
    """Pydantic models inside a field's type, each with the key-path suffix it adds:
    '' for a plain or optional model, '[]' for a list item, '.<name>' for a mapping value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset):
        return [(model, "[]" + suffix) for arg in args for model, suffix in _nested_models(arg)]
    if origin is dict:
        return [(model, ".<name>" + suffix) for model, suffix in _nested_models(args[1])]
    if origin in (typing.Union, types.UnionType):
        return [found for arg in args for found in _nested_models(arg)]
    return []


def schema_keys() -> list[tuple[str, str]]:
    """(parent key path, field name) for every key site.yml can hold; '' is the top level."""
    keys: list[tuple[str, str]] = []
    pending: list[tuple[type[BaseModel], str]] = [(SiteConfig, "")]
    seen: set[tuple[type[BaseModel], str]] = set()
    while pending:
        model, path = pending.pop(0)
        if (model, path) in seen:
            continue
        seen.add((model, path))
        for name, field in model.model_fields.items():
            if model is SiteConfig and name in NOT_IN_FILE:
                continue
            key = name if field.alias is None else field.alias
            keys.append((path, key))
            child = f"{path}.{key}" if path else key
            for nested, suffix in _nested_models(field.annotation):
                pending.append((nested, child + suffix))
    return keys


def test_the_schema_walk_reaches_every_nested_model():
    parents = {path for path, _ in schema_keys()}
    assert {
        "",
        "datasets.<name>",
        "portals[]",
        "portals[].embedding",
        "portals[].embedding.word2vec",
        "portals[].embedding.sentence",
        "portals[].sprite",
    } <= parents


# ---------------------------------------------------------------- configuration.md


def documented_sections(text: str) -> dict[str, set[str]]:
    """Level-2 heading -> the keys documented under it: the first cell of a
    table row, or a level-3 heading, when that is a single `key` in backticks."""
    sections: dict[str, set[str]] = {}
    current = None
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = set()
            continue
        if current is None:
            continue
        cell = None
        if line.startswith("### "):
            cell = line[4:].strip()
        elif line.startswith("|"):
            cell = line.strip("|").split("|")[0].strip()
        if cell:
            match = re.fullmatch(r"`([A-Za-z0-9_]+)`", cell)
            if match:
                sections[current].add(match.group(1))
    return sections


def section_for(path: str, sections: dict[str, set[str]]) -> str | None:
    """The level-2 heading that documents the keys under `path`: the one that
    names the path in backticks, or 'Top-level keys' for the top level."""
    for heading in sections:
        if path == "" and heading.lower().startswith("top-level"):
            return heading
        if path and f"`{path}`" in heading:
            return heading
    return None


def test_every_config_key_is_named_in_configuration_md():
    text = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted({f"{path}.{key}" if path else key for path, key in schema_keys() if f"`{key}`" not in text})
    assert not missing, f"config keys not documented in {CONFIGURATION.relative_to(REPO)}: {missing}"


def test_every_config_key_has_a_row_in_its_own_section():
    sections = documented_sections(CONFIGURATION.read_text(encoding="utf-8"))
    problems = []
    for path, key in schema_keys():
        heading = section_for(path, sections)
        where = f"{path}.{key}" if path else key
        if heading is None:
            label = "Top-level keys" if path == "" else f"`{path}`"
            problems.append(f"{where}: no '## ...{label}...' section")
        elif key not in sections[heading]:
            problems.append(f"{where}: no table row or '###' heading `{key}` under '## {heading}'")
    assert not problems, "configuration.md is incomplete:\n" + "\n".join(problems)


def test_configuration_md_documents_no_key_that_does_not_exist():
    """A row for a key that the schema does not have would mislead: the build rejects it."""
    sections = documented_sections(CONFIGURATION.read_text(encoding="utf-8"))
    keys_by_path: dict[str, set[str]] = {}
    for path, key in schema_keys():
        keys_by_path.setdefault(path, set()).add(key)
    stale = []
    for path, keys in keys_by_path.items():
        heading = section_for(path, sections)
        if heading is not None:
            stale += [f"{heading}: `{key}`" for key in sorted(sections[heading] - keys)]
    assert not stale, "configuration.md documents keys the schema lacks:\n" + "\n".join(stale)


def test_the_example_in_configuration_md_is_the_demo_site_yml():
    text = CONFIGURATION.read_text(encoding="utf-8")
    demo = (REPO / "content" / "site.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{demo.rstrip()}\n```" in text, "the example in configuration.md differs from content/site.yml"


# ---------------------------------------------------------------- mkdocs build


def page_url(page: Path) -> Path:
    """Where mkdocs (use_directory_urls) writes a page, relative to the site."""
    relative = page.relative_to(DOCS).with_suffix("")
    if relative.name in ("index", "README"):
        return relative.parent / "index.html"
    return relative / "index.html"


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site_dir = tmp_path_factory.mktemp("docs-site")
    config = load_config(
        # mkdocs looks for mkdocs.yml in the working folder unless given a file.
        config_file=io.StringIO("{}"),
        site_name="Projector Portals",
        docs_dir=str(DOCS),
        site_dir=str(site_dir),
        strict=True,
        theme={"name": "mkdocs", "highlightjs": False},
        use_directory_urls=True,
        # Stricter than the site build: broken anchors and unknown links fail here too.
        validation={"anchors": "warn", "unrecognized_links": "warn", "omitted_files": "warn"},
    )
    build(config)  # raises (mkdocs Abort) when strict mode saw a warning
    return site_dir


def test_the_required_pages_exist():
    missing = [name for name in REQUIRED_PAGES if not (DOCS / name).is_file()]
    assert not missing, f"missing docs pages: {missing}"


def test_mkdocs_build_strict_writes_every_page(built_docs):
    pages = sorted(DOCS.rglob("*.md"))
    assert len(pages) >= len(REQUIRED_PAGES)
    missing = [str(page_url(page)) for page in pages if not (built_docs / page_url(page)).is_file()]
    assert not missing, f"mkdocs did not write: {missing}"


def test_internal_links_are_relative_links_to_md_files():
    """mkdocs checks links to .md files; links to built URLs (.../index.html, /docs/...) would escape it.
    Pictures are relative links to files that exist in the docs folder."""
    link = re.compile(r"\]\(([^)\s]+)\)")
    bad = []
    for page in sorted(DOCS.rglob("*.md")):
        for target in link.findall(_prose(page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            picture = target.lower().endswith((".png", ".jpg", ".svg")) and (page.parent / target).is_file()
            if target.startswith("/") or not (target.split("#")[0].endswith(".md") or picture):
                bad.append(f"{page.name}: {target}")
    assert not bad, "internal links must be relative links to .md files:\n" + "\n".join(bad)


def test_no_external_images_or_raw_html_that_loads_resources():
    bad = []
    for page in sorted(DOCS.rglob("*.md")):
        text = _prose(page.read_text(encoding="utf-8"))
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text):
            if re.match(r"[a-z]+:|//", target):
                bad.append(f"{page.name}: image {target}")
        for tag in re.findall(r"<(?:img|script|iframe|link|video|audio|source|object|embed|style)\b[^>]*>", text, re.I):
            bad.append(f"{page.name}: {tag}")
    assert not bad, "the docs must not load external resources:\n" + "\n".join(bad)


def test_built_pages_load_nothing_from_other_hosts(built_docs):
    """The docs are part of a self-contained site: no scripts, styles or fonts from a CDN."""
    loads = re.compile(r"<(?:script|link|img|iframe)\b[^>]*?(?:src|href)=\"((?:https?:)?//[^\"]+)\"", re.I)
    bad = []
    for html in sorted(built_docs.rglob("*.html")):
        for url in loads.findall(html.read_text(encoding="utf-8")):
            bad.append(f"{html.relative_to(built_docs)}: {url}")
    assert not bad, "built docs load external resources:\n" + "\n".join(bad)


def _prose(markdown: str) -> str:
    """The Markdown without fenced code blocks and inline code spans."""
    markdown = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", markdown)

"""`portals new --replace-site`: a fork's site made its own in one run.

What the site was (the demo's datasets, portals, title, description and docs
pages, in a fresh fork) gives way to the new data: `site_text` starts the
configuration afresh, `Leftovers` says which files of the old site go, and
removes them once the new site.yml validates. The docs pages written for
every site (EVERY_SITE_DOCS, in no dataset's words) stay, and the docs get a
home page of the new site's own. Everything removed stays in the
repository's history.

Without the flag, `set_top_level` changes the site's title or description in
place (comments kept) when they are given on the command line.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.config import SiteConfig

# Docs pages that apply to every site, whatever its data: kept when a site is replaced.
EVERY_SITE_DOCS = ("using-the-maps.md",)
PLACEHOLDER_DESCRIPTION = "Say in a sentence or two what these maps show and where the data comes from."


def yaml_value(value: str) -> str:
    """A scalar that YAML reads back as the same string."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .-]*", value) and value.lower() not in (
        "yes",
        "no",
        "true",
        "false",
        "null",
        "on",
        "off",
        "y",
        "n",
    ):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def site_text(title: str, description: str | None) -> str:
    """site.yml for a site with no datasets or portals yet: its title and description, and the sections to fill."""
    return textwrap.dedent(f"""\
        # Every key is described in docs/configuration.md.

        title: {yaml_value(title)}
        description: {yaml_value(description or PLACEHOLDER_DESCRIPTION)}

        datasets:

        portals:
        """)


def set_top_level(text: str, key: str, value: str) -> str:
    """`key: value` at the top level of a YAML text, replacing the key's line and any block it continues
    into (a folded `>-` description), or added after the opening comments; the rest kept as written."""
    line = f"{key}: {yaml_value(value)}\n"
    found = re.search(rf"^{re.escape(key)}:[^\n]*\n?(?:[ \t]+[^\n]*\n?|[ \t]*\n(?=[ \t]+\S))*", text, re.M)
    if found:
        return text[: found.start()] + line + text[found.end() :]
    lines = text.splitlines(keepends=True)
    at = next((i for i, existing in enumerate(lines) if existing.strip() and not existing.startswith("#")), len(lines))
    return "".join(lines[:at]) + line + "".join(lines[at:])


@dataclass
class Leftovers:
    """What a replaced site leaves behind: its datasets, portals, their data folders, its docs pages."""

    datasets: list[str] = field(default_factory=list)
    portals: list[str] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # the datasets' folders inside content/datasets/
    pages: list[Path] = field(default_factory=list)  # docs pages and their images folder

    @classmethod
    def of(cls, config: SiteConfig, content: Path, keep: set[Path]) -> Leftovers:
        """The old site's parts; `keep`: files the new site writes (its docs page), never removed."""
        content = Path(content).resolve()
        kept = {p.resolve() for p in keep}
        datasets_folder = content / "datasets"
        folders = []
        for dataset in config.datasets.values():
            path = Path(dataset.path).resolve() if dataset.path is not None else None
            if path is not None and path.is_relative_to(datasets_folder) and path != datasets_folder:
                folder = datasets_folder / path.relative_to(datasets_folder).parts[0]
                if folder not in folders and folder not in kept:
                    folders.append(folder)
        pages: list[Path] = []
        docs = (content / config.docs).resolve() if config.docs is not None else None
        if docs is not None and docs.is_dir():
            pages = [
                page
                for page in sorted(docs.rglob("*.md"))
                if page.relative_to(docs).as_posix() not in EVERY_SITE_DOCS and page.resolve() not in kept
            ]
            pages += [folder for folder in sorted(docs.iterdir()) if folder.is_dir() and folder.name == "images"]
        return cls(list(config.datasets), [p.name for p in config.portals], folders, pages)

    def remove(self) -> None:
        for path in [*self.folders, *self.pages]:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def describe(self, content: Path) -> list[str]:
        """What went, for the command's output."""

        def shown(path: Path) -> str:
            try:
                name = path.resolve().relative_to(Path(content).resolve().parent).as_posix()
            except ValueError:
                name = str(path)
            return name + ("/" if path.is_dir() else "")

        lines = []
        if self.datasets or self.portals:
            lines.append(
                f"Removed from site.yml: the datasets {', '.join(self.datasets) or '(none)'} and the portals "
                f"{', '.join(self.portals) or '(none)'}."
            )
        removed = [shown(path) for path in [*self.folders, *self.pages]]
        if removed:
            lines.append(f"Removed {', '.join(removed)}.")
        if lines:
            lines.append("They stay in the repository's history (git log, git checkout).")
        return lines


def docs_home(title: str, description: str | None, name: str, items: str, users: str) -> str:
    """The docs' home page of a site replaced by `portals new`, in the data's words."""
    about = description or PLACEHOLDER_DESCRIPTION
    return textwrap.dedent(f"""\
        # {title}

        {about}

        The site has two maps: one of the {items}, where {items} that the same
        {users} chose sit close together, and one of the {users}, where {users}
        of the same taste do. [Using the maps](using-the-maps.md) says how to
        read them; [{name}]({name}.md) says where the data comes from.
        """)

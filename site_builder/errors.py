"""User-facing errors: every problem names its file, its place and what was expected."""

from __future__ import annotations

import difflib
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

SHOWN_CHARACTERS = 120  # of any one value quoted in a message
MESSAGE_CHARACTERS = 2000  # of a whole problem, whatever it quotes


def clip(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """Text cut to a readable length, saying how long it really is."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters in all)"


# Folders whose files' contents may be quoted in messages; None: any file's.
_quotable_roots: ContextVar[tuple[Path, ...] | None] = ContextVar("quotable_roots", default=None)
WITHHELD = "(not shown: the file is outside the content folder)"


@contextmanager
def quoting_files_in(*roots: Path):
    """Inside the block, messages quote values read from files under `roots` only (the content
    folder and the cache): a path or a link in site.yml may point at any file on the machine, and
    a message must not print a line of it into a public CI log."""
    token = _quotable_roots.set(tuple(Path(root).resolve() for root in roots))
    try:
        yield
    finally:
        _quotable_roots.reset(token)


def may_quote(source: Path) -> bool:
    """Whether a message may quote what the file `source` holds (see quoting_files_in)."""
    roots = _quotable_roots.get()
    if roots is None:
        return True
    resolved = Path(source).resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def quoted(value, source: Path) -> str:
    """A value read from the file `source`, for a message: clipped, or withheld (see quoting_files_in)."""
    return clip(str(value)) if may_quote(source) else WITHHELD


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input."""

    file: Path | str
    where: str  # a key path such as "portals[0].color_by", or "line 12"
    message: str

    def __str__(self) -> str:
        where = f": {self.where}" if self.where else ""
        return clip(f"{self.file}{where}: {self.message}", MESSAGE_CHARACTERS)


class BuildError(Exception):
    """The build cannot go on; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices, source: Path | None = None) -> str:
    """' (did you mean "x"?)' when a close match exists, else ''. With `source`, the choices were
    read from that file, and are only suggested if it may be quoted."""
    if source is not None and not may_quote(source):
        return ""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean "{clip(match[0])}"?)' if match else ""


class collect_warnings(logging.Handler):
    """`with collect_warnings("site_builder") as warnings:` gathers the messages of the
    warnings the named loggers (and their children) emit inside the block."""

    def __init__(self, *names: str):
        super().__init__(level=logging.WARNING)
        self.names, self.messages = names, []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())

    def __enter__(self) -> list[str]:
        for name in self.names:
            logging.getLogger(name).addHandler(self)
        return self.messages

    def __exit__(self, *exc) -> None:
        for name in self.names:
            logging.getLogger(name).removeHandler(self)

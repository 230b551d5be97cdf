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


_values_hidden: ContextVar[bool] = ContextVar("values_hidden", default=False)


@contextmanager
def values_hidden(hidden: bool):
    """Inside the block, `quoted` hides values read from files (for files outside the content
    folder: a path or a link in site.yml may point at any file on the machine)."""
    token = _values_hidden.set(hidden)
    try:
        yield
    finally:
        _values_hidden.reset(token)


def quoted(value) -> str:
    """A value read from a data file, for a message: clipped, or withheld (see values_hidden)."""
    if _values_hidden.get():
        return "(value not shown: the file is outside the content folder)"
    return clip(str(value))


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


def did_you_mean(word: str, choices) -> str:
    """' (did you mean "x"?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean "{clip(match[0])}"?)' if match and not _values_hidden.get() else ""


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

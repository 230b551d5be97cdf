"""User-facing errors: every problem names its file, its place and what was expected."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input."""

    file: Path | str
    where: str  # a key path such as "portals[0].color_by", or "line 12"
    message: str

    def __str__(self) -> str:
        where = f": {self.where}" if self.where else ""
        return f"{self.file}{where}: {self.message}"


class BuildError(Exception):
    """The build cannot go on; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices) -> str:
    """' (did you mean "x"?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""

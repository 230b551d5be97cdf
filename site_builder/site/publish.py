"""Put a finished site where the user asked, without ever
destroying anything that is not an earlier site of ours.

`check_output` runs before any work and refuses an output folder that would
take the user's files with it: the content folder or the cache (or a folder
inside or around either), the current folder or one of its parents, an
existing file, and any non-empty folder that this tool did not build (it
writes MARKER into every site) unless the user passes --force.

`publish` swaps the finished staging folder into place with renames; the
swap cannot be cut in half by Ctrl-C, and a swap cut short by a crash is
undone by the next build, so the site is always either the old one or the
new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from site_builder.errors import BuildError, Problem
from site_builder.site.paths import INDEX, MARKER, PROJECTOR_SCRIPT

# Written into the root of every site this tool builds, so a later build knows the folder is ours to replace.
MARKER_TEXT = "This folder is a site built by `portals build`; the next build replaces it as a whole.\n"


# What every site has held since before the marker existed: such a folder is one of ours too.
EARLIER_SITE_FILES = (INDEX, PROJECTOR_SCRIPT)


def is_built_site(folder: Path) -> bool:
    folder = Path(folder)
    return (folder / MARKER).is_file() or all((folder / name).is_file() for name in EARLIER_SITE_FILES)


def _overlap(a: Path, b: Path) -> str | None:
    """How folder a relates to folder b: "is", "is inside" or "contains"; None when apart."""
    if a == b:
        return "is"
    if b in a.parents:
        return "is inside"
    if a in b.parents:
        return "contains"
    return None


def check_output(out: Path, *, protected: dict[str, Path], force: bool) -> Path:
    """The resolved output folder, or a BuildError saying why writing there could lose files.

    `protected` names folders the output must stay clear of, e.g. {"the content folder": content}.
    """
    given = Path(out)
    target = given.resolve()
    here = Path.cwd().resolve()
    where = f"--out {given}"
    if target == here or target in here.parents:
        raise BuildError(
            Problem(
                where,
                "",
                "is the current folder or one of its parents; the site replaces "
                "its output folder as a whole, so name a folder of its own, e.g. _site",
            )
        )
    for what, folder in protected.items():
        relation = _overlap(target, Path(folder).resolve())
        if relation:
            raise BuildError(
                Problem(
                    where,
                    "",
                    f"{relation} {what} ({folder}); the site replaces its output folder "
                    f"as a whole, so name a folder of its own, e.g. _site",
                )
            )
    if target.exists() and not target.is_dir():
        raise BuildError(Problem(where, "", "is an existing file, not a folder; name a folder for the site"))
    if target.is_dir() and any(target.iterdir()) and not is_built_site(target) and not force:
        raise BuildError(
            Problem(
                where,
                "",
                f"holds files that are not a site built by portals (no {MARKER} in it); "
                "name another folder, empty this one, or pass --force to replace it",
            )
        )
    return target


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C (SIGINT, SIGTERM) until the block is done, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda number, frame: caught.append(number)) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            os.kill(os.getpid(), caught[0])


def site_stamp(out: Path) -> tuple[int, int] | None:
    """What tells one published site from the next (its marker's inode and time); None: no site."""
    try:
        status = (Path(out) / MARKER).stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def _sidecars(out: Path) -> tuple[Path, Path]:
    return out.parent / f".{out.name}.new", out.parent / f".{out.name}.old"


def recover(out: Path) -> None:
    """Undo a swap cut short by a crash: the previous site back in place if `out` is gone,
    and the leftovers of that swap removed (only if they are sites of ours)."""
    new, old = _sidecars(Path(out))
    if not Path(out).exists() and is_built_site(old):
        os.replace(old, out)
    for leftover in (new, old):
        if leftover.exists():
            if not is_built_site(leftover):
                raise BuildError(
                    Problem(
                        leftover,
                        "",
                        "is in the way of publishing the site and is not a site built by portals; move it away",
                    )
                )
            shutil.rmtree(leftover)


def publish(staging: Path, out: Path) -> None:
    """Swap the staging folder into place; the old site is removed only after the swap."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (Path(staging) / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    recover(out)
    new, old = _sidecars(out)
    with _interrupts_deferred():
        os.replace(staging, new)
        if out.exists():
            os.replace(out, old)
        os.replace(new, out)
        os.chmod(out, 0o755)
    shutil.rmtree(old, ignore_errors=True)

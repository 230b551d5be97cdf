"""Compare two built sites file by file, for a change that should not change the site.

    .venv/bin/python tools/compare_sites.py OLD_SITE NEW_SITE

Two builds of the same content differ only where the build records its own
run: the docs' build date (mkdocs) and the evaluation's timings in
recommend.json. Those are blanked before comparing; any other difference is
listed and the exit status is 1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

VOLATILE = [
    (re.compile(rb"Build Date UTC : [^\n]*"), b"Build Date UTC : -"),
    (re.compile(rb'"seconds":[0-9.e-]+'), b'"seconds":0'),
]


def normalised(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix in (".html", ".json"):
        for pattern, replacement in VOLATILE:
            data = pattern.sub(replacement, data)
    return data


def differences(old: Path, new: Path) -> list[str]:
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    old_files, new_files = files(old), files(new)
    found = [f"only in {old}: {name}" for name in sorted(old_files - new_files)]
    found += [f"only in {new}: {name}" for name in sorted(new_files - old_files)]
    found += [
        f"differs: {name}" for name in sorted(old_files & new_files) if normalised(old / name) != normalised(new / name)
    ]
    return found


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    found = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) if found else "the sites are the same")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

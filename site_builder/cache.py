"""On-disk cache for expensive results, keyed by content hashes, never by mtime.

Writes are atomic (temporary file, then os.replace); an entry that cannot be
read back is a miss, not a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def stable_hash(*parts) -> str:
    """sha256 of JSON-serialisable parts (dicts with sorted keys) and bytes."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, (bytes, bytearray, memoryview)):
            digest.update(bytes(part))
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / f"{key}{suffix}"

    def load_array(self, kind: str, key: str) -> np.ndarray | None:
        path = self.path(kind, key, ".npy")
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            log.warning("cache entry %s is unreadable (%s); recomputing", path, error)
            return None

    def save_array(self, kind: str, key: str, array: np.ndarray) -> None:
        path = self.path(kind, key, ".npy")
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as handle:
            np.save(handle, array, allow_pickle=False)


class atomic_writer:
    """Open a temporary file beside `path`; replace `path` with it on success."""

    def __init__(self, path: Path, mode: str = "wb"):
        self.path = Path(path)
        self.mode = mode

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        self.handle = os.fdopen(fd, self.mode)
        return self.handle

    def __exit__(self, kind, value, traceback):
        self.handle.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)
        return False

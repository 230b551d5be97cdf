"""The build's one cache: the results of the expensive stages, on disk, keyed by what they are made of.

A stage declares a `Kind`: the cache folder its entries live in, a version to
bump when what it computes changes, and the libraries whose versions its
results depend on. `Cache.memo(kind, key, compute, codec)` returns the entry
stored under `key`, or computes it, stores it and returns it. Keys are content
hashes (`Kind.key`), never modification times.

Writes are atomic (a temporary file, then os.replace), so an entry is whole or
absent; an entry that cannot be read back is a miss, not a crash. A hit marks
the entry used (its modification time), which is what `prune` goes by.
`portals cache-keys` derives the deploy workflow's keys from the same kinds
(commands/cache_keys.py), and `portals cache-prune` keeps the folder under a
size. Downloaded pictures have a store of their own (pictures.download: URLs
to content-addressed blobs, with remembered failures that expire), and so do
datasets named by URL (data.remote: an unpacked folder per checksum); both
mark what a build uses the same way, so prune treats every folder alike.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")

# folders of the cache that are not results of the build: the fse wheel (portals.sh)
NOT_PRUNED = frozenset({"wheelhouse"})


def stable_hash(*parts: object) -> str:
    """sha256 of JSON-serialisable parts (dicts with sorted keys) and bytes."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, (bytes, bytearray, memoryview)):
            digest.update(bytes(part))
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - every library named is a declared dependency
        return "missing"


@dataclass(frozen=True)
class Kind:
    """What one stage caches: its folder, its version, the libraries its results depend on."""

    folder: str
    version: str
    libraries: tuple[str, ...] = ()

    def dependencies(self) -> dict[str, str]:
        """The Python and library versions an entry of this kind was made with."""
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        return {"python": python, **{name: _version(name) for name in self.libraries}}

    def key(self, *parts: object) -> str:
        """The key of an entry made from `parts` (see stable_hash) by this kind's code and libraries."""
        return stable_hash(self.version, self.dependencies(), *parts)


class Codec(Protocol[T]):
    suffix: str

    def encode(self, value: T) -> bytes: ...

    def decode(self, data: bytes) -> T: ...


class ArrayCodec:
    """A numpy array as .npy (no pickles)."""

    suffix = ".npy"

    def encode(self, value: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return buffer.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        # .npy only: np.load would also open a ZIP (.npz) and answer something that is not an array
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


class ArraysCodec:
    """A tuple of numpy arrays as .npy records, one after another (no pickles)."""

    suffix = ".npys"

    def encode(self, value: tuple[np.ndarray, ...]) -> bytes:
        buffer = io.BytesIO()
        for array in value:
            np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()

    def decode(self, data: bytes) -> tuple[np.ndarray, ...]:
        buffer, arrays = io.BytesIO(data), []
        while buffer.tell() < len(data):
            arrays.append(np.lib.format.read_array(buffer, allow_pickle=False))
        return tuple(arrays)


class BytesCodec:
    """Bytes as they are, in a file with the given suffix."""

    def __init__(self, suffix: str):
        self.suffix = suffix

    def encode(self, value: bytes) -> bytes:
        return value

    def decode(self, data: bytes) -> bytes:
        return data


ARRAY = ArrayCodec()
ARRAYS = ArraysCodec()


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, kind: Kind, key: str, suffix: str) -> Path:
        return self.root / kind.folder / f"{key}{suffix}"

    def memo(
        self, kind: Kind, key: str, compute: Callable[[], T], codec: Codec[T], accept: Callable[[T], bool] | None = None
    ) -> tuple[T, bool]:
        """The value stored under `key`, or `compute()` stored there; and whether it was stored.
        `accept` rejects a stored value that does not fit (a wrong shape): it is computed again."""
        path = self.path(kind, key, codec.suffix)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cache entry %s is unreadable (%s); computing it again", path, error)
        else:
            try:
                value = codec.decode(data)
                fits = accept is None or accept(value)
            except Exception as error:  # whatever damage did to the bytes, the entry is a miss
                log.warning("cache entry %s is damaged (%s); computing it again", path, error)
            else:
                if fits:
                    touch(path)
                    return value, True
        value = compute()
        try:
            with atomic_writer(path) as handle:
                handle.write(codec.encode(value))
        except OSError as error:  # a read-only or full cache costs the time, not the build
            log.warning("could not store cache entry %s (%s)", path, error)
        return value, False

    def prune(self, max_bytes: int) -> tuple[int, int]:
        """Remove the least recently used entries until the cache holds at most `max_bytes`;
        (files removed, bytes freed). The datasets' unpacked folders count as one entry each."""
        entries = (
            [
                entry
                for folder in sorted(self.root.iterdir())
                if folder.is_dir() and folder.name not in NOT_PRUNED
                for entry in _entries(folder)
            ]
            if self.root.is_dir()
            else []
        )
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for path, size, _ in sorted(entries, key=lambda entry: entry[2]):
            if total - freed <= max_bytes:
                break
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
            freed += size
        return removed, freed


def _entries(folder: Path) -> list[tuple[Path, int, float]]:
    """(path, bytes, last used) of each entry under a cache folder: the files, but an unpacked
    dataset (a folder in datasets/, marked used by data.remote.dataset_root) as a whole."""
    if folder.name != "datasets":
        return [
            (path, status.st_size, status.st_mtime)
            for path in folder.rglob("*")
            if path.is_file()
            for status in [path.stat()]
        ]
    found = []
    for path in folder.iterdir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        found.append((path, size, path.stat().st_mtime))
    return found


def touch(path: Path) -> None:
    """Mark an entry used now, for prune; a read-only cache is used as it is."""
    try:
        os.utime(path, (time.time(), time.time()))
    except OSError:
        pass


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

"""The one cache model: damaged entries are misses, pruning keeps what builds use."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

from site_builder.cache import ARRAY, ARRAYS, BytesCodec, Cache, Kind

KIND = Kind("vectors", "test-v1")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        b"garbage",
        b"PK\x03\x04 not really a zip",
        _zip({}),  # np.load would answer an empty NpzFile
        _zip({"a.npy": b"\x93NUMPY"}),
        b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8', 'fortran",  # a cut header
        b"",
    ],
)
def test_a_damaged_entry_is_computed_again(tmp_path, damage):
    cache = Cache(tmp_path)
    path = cache.path(KIND, "k", ARRAY.suffix)
    path.parent.mkdir(parents=True)
    path.write_bytes(damage)
    value, hit = cache.memo(KIND, "k", lambda: np.arange(3.0), ARRAY, accept=lambda v: v.shape == (3,))
    assert not hit and value.tolist() == [0.0, 1.0, 2.0]
    again, hit = cache.memo(KIND, "k", lambda: np.zeros(3), ARRAY, accept=lambda v: v.shape == (3,))
    assert hit and again.tolist() == [0.0, 1.0, 2.0]  # stored over the damaged one


@pytest.mark.parametrize("damage", [b"garbage", b"", b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8', 'fortran"])
def test_several_arrays_in_one_entry(tmp_path, damage):
    cache = Cache(tmp_path)
    pair = (np.arange(6, dtype=np.int32).reshape(2, 3), np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3))
    cache.memo(KIND, "pair", lambda: pair, ARRAYS)
    (indices, scores), hit = cache.memo(KIND, "pair", lambda: (), ARRAYS)
    assert hit and indices.dtype == np.int32 and scores.dtype == np.float32
    assert indices.tolist() == pair[0].tolist() and scores.tolist() == pair[1].tolist()
    path = cache.path(KIND, "pair", ARRAYS.suffix)
    path.write_bytes(path.read_bytes()[:-7] if damage == b"" else damage)  # cut short, or garbage
    value, hit = cache.memo(KIND, "pair", lambda: pair, ARRAYS, accept=lambda value: len(value) == 2)
    assert not hit and value is pair


def test_an_entry_that_does_not_fit_is_computed_again(tmp_path):
    cache = Cache(tmp_path)
    cache.memo(KIND, "k", lambda: np.zeros((2, 2)), ARRAY)
    value, hit = cache.memo(KIND, "k", lambda: np.ones(4), ARRAY, accept=lambda v: v.shape == (4,))
    assert not hit and value.tolist() == [1.0] * 4


def test_a_cache_that_cannot_be_written_costs_time_not_the_build(tmp_path):
    blocker = tmp_path / "vectors"
    blocker.write_text("a file where the folder should be")
    value, hit = Cache(tmp_path).memo(KIND, "k", lambda: b"made", BytesCodec(".bin"))
    assert value == b"made" and not hit


def test_cache_prune_drops_the_least_recently_used_entries_and_keeps_the_wheelhouse(tmp_path):
    cache = Cache(tmp_path)
    kind = Kind("vectors", "test-v1")
    for number in range(4):  # four entries of 80 KB each, the first the least recently used
        cache.memo(kind, f"k{number}", lambda: np.zeros(10_000, dtype=np.float64), ARRAY)
        os.utime(cache.path(kind, f"k{number}", ".npy"), (1_000 + number, 1_000 + number))
    wheel = tmp_path / "wheelhouse" / "fse-1.0.0.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"w" * 500_000)
    _, hit = cache.memo(kind, "k0", lambda: np.ones(1), ARRAY)  # used now: the most recent
    assert hit

    removed, freed = cache.prune(200_000)
    assert removed == 2 and freed > 150_000
    assert sorted(p.stem for p in (tmp_path / "vectors").glob("*.npy")) == ["k0", "k3"]
    assert wheel.is_file()  # not a build result
    assert cache.prune(0)[0] == 2 and not list((tmp_path / "vectors").glob("*.npy"))


def test_prune_keeps_a_dataset_the_last_build_used(tmp_path, monkeypatch):
    from site_builder.data import remote

    cache = Cache(tmp_path)
    dataset = tmp_path / "datasets" / "sha256-abc"
    (dataset / "ml").mkdir(parents=True)
    (dataset / "ml" / "ratings.csv").write_bytes(b"r" * 300_000)
    os.utime(dataset / "ml" / "ratings.csv", (1_000, 1_000))  # extracted with the archive's old times
    os.utime(dataset, (1_000, 1_000))
    old = cache.path(KIND, "old", ".npy")
    cache.memo(KIND, "old", lambda: np.zeros(10_000), ARRAY)
    os.utime(old, (2_000, 2_000))

    monkeypatch.setattr(remote, "_inner_root", lambda folder, *args: folder / "ml")
    config = type("Config", (), {"checksum": lambda self: ("sha256", "abc"), "url": "https://x/ml.zip"})()
    assert remote.dataset_root("tiny", config, tmp_path) == dataset / "ml"  # found, so marked used

    old_size = old.stat().st_size
    assert cache.prune(310_000) == (1, old_size)
    assert (dataset / "ml" / "ratings.csv").is_file() and not old.exists()

"""Datasets by URL: downloaded once, verified, resumed, extracted safely, then read as usual."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from conftest import tiny_zip, write_tiny_content, zip_bytes
from loopback import LoopbackServer

from site_builder.build import build_site
from site_builder.config import DatasetConfig
from site_builder.data.datasets import load_dataset
from site_builder.data.remote import dataset_root
from site_builder.errors import BuildError

TINY_ZIP = tiny_zip("ml-tiny")
TINY_SHA = hashlib.sha256(TINY_ZIP).hexdigest()


@pytest.fixture
def server():
    served = LoopbackServer({"/ml-tiny.zip": TINY_ZIP})
    yield served
    served.close()


def _config(server, sha=TINY_SHA, path="/ml-tiny.zip", **more) -> DatasetConfig:
    return DatasetConfig(format="movielens-csv", url=server.url + path, sha256=sha, **more)


def test_downloaded_once_then_read_from_the_cache(server, tmp_path):
    root = dataset_root("tiny", _config(server), tmp_path)
    assert root.name == "ml-tiny" and (root / "ratings.csv").is_file()
    assert load_dataset("tiny", _config(server), root).num_interactions == 7
    again = dataset_root("tiny", _config(server), tmp_path)
    assert again == root and len(server.requests) == 1
    assert not list((tmp_path / "datasets").glob("*.part"))


def test_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    part = tmp_path / "datasets" / f"sha256-{TINY_SHA}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(TINY_ZIP[:100])
    dataset_root("tiny", _config(server), tmp_path)
    assert server.requests == [("/ml-tiny.zip", "bytes=100-")]


def test_checksum_mismatch_says_what_to_change(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(BuildError) as caught:
        dataset_root("tiny", _config(server, sha=wrong), tmp_path, "content/site.yml")
    message = str(caught.value)
    assert "datasets.tiny.sha256" in message and f"set `sha256: {TINY_SHA}`" in message
    assert not list((tmp_path / "datasets").iterdir())  # nothing kept of a bad download


def test_md5_can_stand_in_for_sha256(server, tmp_path):
    md5 = hashlib.md5(TINY_ZIP).hexdigest()
    config = DatasetConfig(format="movielens-csv", url=server.url + "/ml-tiny.zip", md5=md5)
    assert (dataset_root("tiny", config, tmp_path) / "movies.csv").is_file()
    with pytest.raises(BuildError, match="set `md5: "):
        dataset_root(
            "tiny",
            DatasetConfig(format="movielens-csv", url=server.url + "/ml-tiny.zip", md5="0" * 32),
            tmp_path / "other",
        )


def test_archive_members_cannot_escape(tmp_path):
    evil = zip_bytes({"ok/ratings.csv": "x", "../../escaped.txt": "gotcha"})
    served = LoopbackServer({"/evil.zip": evil})
    try:
        config = DatasetConfig(
            format="movielens-csv", url=served.url + "/evil.zip", sha256=hashlib.sha256(evil).hexdigest()
        )
        with pytest.raises(BuildError, match="outside the dataset folder"):
            dataset_root("evil", config, tmp_path / "cache")
    finally:
        served.close()
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "datasets" / f"sha256-{hashlib.sha256(evil).hexdigest()}").exists()


def test_tar_with_a_link_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("data/ratings.csv")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    body = buffer.getvalue()
    served = LoopbackServer({"/t.tar.gz": body})
    try:
        config = DatasetConfig(
            format="movielens-csv", url=served.url + "/t.tar.gz", sha256=hashlib.sha256(body).hexdigest()
        )
        with pytest.raises(BuildError, match="not a plain file"):
            dataset_root("t", config, tmp_path)
    finally:
        served.close()


def test_missing_url_is_a_clear_error(server, tmp_path):
    with pytest.raises(BuildError, match="answered HTTP 404"):
        dataset_root("tiny", _config(server, path="/nope.zip"), tmp_path)


def test_site_built_from_a_url_dataset(server, tmp_path):
    content = write_tiny_content(tmp_path / "content")
    site = content / "site.yml"
    site.write_text(site.read_text().replace("path: data", f"url: {server.url}/ml-tiny.zip\n    sha256: {TINY_SHA}"))
    summary = build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert [p.points for p in summary.portals] == [3, 3]
    build_site(content, tmp_path / "_site", tmp_path / "cache")
    assert len(server.requests) == 1  # the rebuild used the cached download

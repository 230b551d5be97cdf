"""Datasets named by URL: downloaded once, checked against their sha256, extracted safely.

The download lands in CACHE/datasets/<algorithm>-<digest>.part and resumes from where it
stopped when the server supports ranges (else it restarts). Only a file whose
sha256 matches the config is extracted, into a temporary folder that is
renamed into place when complete, so an interrupted build never leaves a
half-extracted dataset behind. No archive member may land outside that
folder: absolute paths, '..', links and devices are refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests
from tqdm import tqdm

from site_builder.cache import touch
from site_builder.config import DatasetConfig, SiteConfig
from site_builder.config.schema import GENERIC_FORMATS
from site_builder.errors import BuildError, Problem, clip

log = logging.getLogger(__name__)

CHUNK = 1 << 20
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
RETRIES = 4


def dataset_roots(config: SiteConfig, cache_root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Where the files of each dataset of the config (or of `names`) are: a local dataset's path,
    a URL dataset's copy in the cache, downloaded first if needed."""
    return {
        name: dataset.path if dataset.url is None else dataset_root(name, dataset, Path(cache_root), config.config_file)
        for name, dataset in config.datasets.items()
        if names is None or name in names
    }


def dataset_root(
    name: str,
    config: DatasetConfig,
    cache_root: Path,
    config_file: Path | str = "site.yml",
    session: requests.Session | None = None,
) -> Path:
    """The local folder (or file) holding the dataset's files, downloading it first if needed."""
    algorithm, expected = config.checksum()
    folder = Path(cache_root) / "datasets" / f"{algorithm}-{expected}"
    if folder.is_dir():
        touch(folder)  # used now, for `portals cache-prune`
    else:
        archive = _download(name, config, Path(cache_root) / "datasets", config_file, session or requests.Session())
        _unpack(archive, folder, _file_name(config.url), config_file, name)
        archive.unlink(missing_ok=True)  # a plain file was moved, not copied
    return _inner_root(folder, config, config_file, name)


def _file_name(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).name or "download"


def _download(name: str, config: DatasetConfig, folder: Path, config_file, session: requests.Session) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    algorithm, expected = config.checksum()
    part = folder / f"{algorithm}-{expected}.part"
    for attempt in range(RETRIES + 1):
        try:
            _fetch_into(part, config.url, session, name, config_file)
            break
        except (requests.ConnectionError, requests.Timeout, _Retryable) as error:
            if attempt == RETRIES:
                raise BuildError(
                    Problem(config_file, f"datasets.{name}.url", f"could not download {config.url}: {error}")
                )
            wait = 0.5 * 2**attempt
            log.warning("    download of %s interrupted (%s); retrying in %.1f s", config.url, error, wait)
            time.sleep(wait)
    actual = _digest(part, algorithm)
    if actual != expected:
        part.unlink()
        raise BuildError(
            Problem(
                config_file,
                f"datasets.{name}.{algorithm}",
                f"the file downloaded from {config.url} has {algorithm} {actual}, but the config says "
                f"{expected}; if the file changed on purpose, set `{algorithm}: {actual}`, "
                "otherwise check the URL",
            )
        )
    return part


class _Retryable(Exception):
    pass


def _fetch_into(part: Path, url: str, session: requests.Session, name: str, config_file) -> None:
    """Append the rest of `url` to `part` (a range request when part of it is there)."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with session.get(url, headers=headers, stream=True, timeout=(10, 60)) as response:
        if response.status_code == 416:  # already complete
            return
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise BuildError(
                Problem(config_file, f"datasets.{name}.url", f"{url} answered HTTP {response.status_code}")
            )
        resumed = response.status_code == 206
        mode = "ab" if resumed else "wb"
        total = int(response.headers.get("Content-Length", 0)) + (have if resumed else 0)
        with (
            open(part, mode) as handle,
            tqdm(
                total=total or None,
                initial=have if resumed else 0,
                unit="B",
                unit_scale=True,
                desc=f"    {name}",
                leave=False,
                disable=None,
            ) as bar,
        ):
            for block in response.iter_content(CHUNK):
                handle.write(block)
                bar.update(len(block))


def _digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def _unpack(archive: Path, folder: Path, file_name: str, config_file, name: str) -> None:
    """Extract (or move, for a plain file) into a temporary sibling, then rename it to `folder`."""
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder.parent))
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, staging, config_file, name)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, staging, config_file, name)
        elif file_name.lower().endswith(ARCHIVE_SUFFIXES):
            raise BuildError(
                Problem(
                    config_file,
                    f"datasets.{name}.url",
                    f'the download is named like an archive ("{clip(file_name)}") but is not one '
                    "(a login or error page?); check the URL",
                )
            )
        else:
            os.replace(archive, staging / file_name)  # same folder: a rename, not a copy
        os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _safe_target(root: Path, member: str, config_file, name: str) -> Path:
    target = (root / member).resolve()
    if (
        PurePosixPath(member).is_absolute()
        or ".." in PurePosixPath(member).parts
        or not target.is_relative_to(root.resolve())
    ):
        raise BuildError(
            Problem(
                config_file,
                f"datasets.{name}.url",
                f'the archive member "{member}" would be written outside the dataset folder; refused',
            )
        )
    return target


def _extract_zip(archive: Path, root: Path, config_file, name: str) -> None:
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            target = _safe_target(root, info.filename, config_file, name)
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if is_link:
                raise BuildError(
                    Problem(
                        config_file, f"datasets.{name}.url", f'the archive member "{info.filename}" is a link; refused'
                    )
                )
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(info) as source, open(target, "wb") as destination:
                shutil.copyfileobj(source, destination, CHUNK)


def _extract_tar(archive: Path, root: Path, config_file, name: str) -> None:
    with tarfile.open(archive) as tarred:
        for member in tarred.getmembers():
            _safe_target(root, member.name, config_file, name)
            if not (member.isfile() or member.isdir()):
                raise BuildError(
                    Problem(
                        config_file,
                        f"datasets.{name}.url",
                        f'the archive member "{member.name}" is not a plain file; refused',
                    )
                )
        tarred.extractall(root, filter="data")


def _inner_root(folder: Path, config: DatasetConfig, config_file, name: str) -> Path:
    if config.folder:
        root = folder / config.folder
        if not root.exists():
            found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
            raise BuildError(
                Problem(
                    config_file,
                    f"datasets.{name}.folder",
                    f'"{config.folder}" is not in the downloaded archive (it holds: {found})',
                )
            )
        return root
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]  # the usual archive with one top folder (ml-1m/, ml-32m/...)
    if len(entries) == 1 and config.format in GENERIC_FORMATS:
        return entries[0]
    return folder

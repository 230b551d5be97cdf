"""Ctrl-C at any stage, publishing included, leaves the previous site and the cache usable.

Three ways in: a real SIGINT sent to a real build process as it enters a
stage; an interrupt raised inside a chosen stage of an in-process build (the
exact place, which a signal on a fast machine can only hit by luck); and
SIGINT, or a crash, in the middle of the swap that publishes the site.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, tree_digest, write_tiny_content

from site_builder import build as build_module
from site_builder.build import build_site
from site_builder.site import publish as publish_module
from site_builder.site.publish import MARKER


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a built site (the old one) and content changed since, so the next build differs."""
    write_tiny_content(tmp_path / "content")
    build_site(tmp_path / "content", tmp_path / "_site", tmp_path / ".cache")
    site = tmp_path / "content/site.yml"
    site.write_text(
        site.read_text(encoding="utf-8").replace("title: Tiny site", "title: Tiny site, again"), encoding="utf-8"
    )
    return tmp_path


def _rebuild(project: Path) -> None:
    build_site(project / "content", project / "_site", project / ".cache")
    assert "Tiny site, again" in (project / "_site/index.html").read_text(encoding="utf-8")
    _no_leftovers(project)


def _no_leftovers(project: Path) -> None:
    assert sorted(p.name for p in project.iterdir()) == [".cache", "_site", "content"]


STAGES = [
    ("sources", "site_builder.data.datasets.load_dataset"),
    ("embeddings", "site_builder.model.embeddings.point_vectors"),
    ("layouts", "site_builder.model.layouts.umap_layouts"),
    ("pictures", "site_builder.pictures.make.make_pictures"),
    ("docs", "site_builder.site.docs.build_docs"),
]


@pytest.mark.parametrize("target", [target for _, target in STAGES], ids=[name for name, _ in STAGES])
def test_an_interrupt_inside_a_stage_leaves_the_old_site(project, monkeypatch, target):
    module_name, function = target.rsplit(".", 1)
    module = sys.modules[module_name]
    real = getattr(module, function)

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    before = tree_digest(project / "_site")
    monkeypatch.setattr(module, function, interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_site(project / "content", project / "_site", project / ".cache")
    assert tree_digest(project / "_site") == before
    _no_leftovers(project)
    monkeypatch.undo()
    _rebuild(project)


def test_sigint_during_the_swap_is_held_until_the_new_site_is_in_place(project, monkeypatch):
    """The signal arrives between the renames; it is delivered once the swap is whole."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as in a plain process
    real_replace = os.replace
    calls = []

    def replace_with_a_signal(source, target):
        calls.append(target)
        if len(calls) == 2:  # the old site has just been moved aside
            os.kill(os.getpid(), signal.SIGINT)
        return real_replace(source, target)

    monkeypatch.setattr(publish_module.os, "replace", replace_with_a_signal)
    try:
        with pytest.raises(KeyboardInterrupt):
            build_site(project / "content", project / "_site", project / ".cache")
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert "Tiny site, again" in (project / "_site/index.html").read_text(encoding="utf-8")
    assert (project / "_site" / MARKER).is_file()
    _rebuild(project)  # the next build clears what the interrupted one left beside the site


def test_a_crash_in_the_middle_of_the_swap_is_undone_by_the_next_build(project, monkeypatch):
    real_replace = os.replace
    calls = []
    before = tree_digest(project / "_site")

    def crash_before_the_last_rename(source, target):
        calls.append(target)
        if len(calls) == 3:  # the new site is ready, the old one moved aside: the site is missing
            raise SystemExit("power cut")
        return real_replace(source, target)

    monkeypatch.setattr(publish_module.os, "replace", crash_before_the_last_rename)
    with pytest.raises(SystemExit):
        build_site(project / "content", project / "_site", project / ".cache")
    monkeypatch.undo()
    assert not (project / "_site").exists()
    publish_module.recover(project / "_site")
    assert tree_digest(project / "_site") == before  # the old site, back where it was
    _rebuild(project)


@pytest.mark.parametrize(
    "stage, work_left",
    [
        ("==> sources", True),
        ("==> embeddings: movies", True),
        ("==> layouts: users", True),
        ("==> docs", False),
        ("==> publish", False),
    ],
)
def test_a_real_sigint_leaves_a_whole_site_and_the_next_build_works(project, stage, work_left):
    """`work_left`: training or UMAP is still to come when the signal comes, so the build stops
    there for sure; later, it may already have published."""
    before = tree_digest(project / "_site")
    for folder in (project / ".cache").iterdir():  # an empty cache: every stage has work to do
        shutil.rmtree(folder)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "site_builder",
            "build",
            "--content",
            "content",
            "--out",
            "_site",
            "--cache-dir",
            ".cache",
        ],
        cwd=project,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    lines, sent = [], False
    for line in process.stderr:
        lines.append(line)
        if line.startswith(stage):
            process.send_signal(signal.SIGINT)
            sent = True
            break
    _, rest = process.communicate(timeout=120)
    output = "".join(lines) + rest
    assert "Traceback" not in output, output
    assert sent, f"the build never reached {stage!r}: {output}"
    new = "Tiny site, again" in (project / "_site/index.html").read_text(encoding="utf-8")
    assert (project / "_site" / MARKER).is_file()
    if work_left:
        assert process.returncode == 130 and not new, output
    if process.returncode == 0:  # the signal came after the last stage
        assert new
    else:
        assert process.returncode == 130, output
        if new:  # the signal came as the swap finished
            assert "interrupted after the new site was published to _site" in output
        else:
            assert "interrupted. _site was left as it was" in output
            assert tree_digest(project / "_site") == before
    _rebuild(project)


def test_the_build_module_publishes_through_the_guarded_swap():
    assert build_module.publish is publish_module.publish

"""`portals serve` as someone editing their site sees it: a real server process, a real browser.

An edit to site.yml, to a docs page or to the theme (templates/) shows up in
the open page without a restart; a bad edit shows the problem on the page and
the last good site stays served; --no-watch serves a finished site as it is.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

import pytest
from fork_samples import steam

from site_builder.commands.scaffold import scaffold

pytestmark = pytest.mark.slow


def _start(args: list[str], cwd, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """The server process and its address, once it says it is serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--port", "0", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    said = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        said.append(line)
        found = re.search(r"Serving .* on (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1)
    process.kill()
    pytest.fail("portals serve did not start:\n" + "".join(said))


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture()
def fork(tmp_path):
    """A content folder with one dataset, its two portals and a docs page."""
    sample = steam(tmp_path / "data")
    content = tmp_path / "content"
    scaffold(sample.interactions, content, "games", title="Games", items_file=sample.items)
    (content / "docs").mkdir()
    (content / "docs" / "index.md").write_text("# About\n\nFirst words.\n", encoding="utf-8")
    return tmp_path


def _build(fork, env: dict | None = None) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "site_builder", "build", "-q", "--content", "content", "--out", "_site"]
        + ["--cache-dir", "cache"],
        cwd=fork,
        capture_output=True,
        text=True,
        env=env,
    )
    assert built.returncode == 0, built.stderr


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, text[:300])
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edits_show_up_in_the_open_page_and_a_bad_edit_keeps_the_last_good_site(fork, browser):
    content = fork / "content"
    process, url = _start(["--content", "content", "--out", "_site", "--cache-dir", "cache"], fork)
    try:
        page = browser.new_page()
        page.goto(url)
        heading = page.locator("h1")
        assert heading.inner_text() == "Games"

        _edit(content / "site.yml", "title: Games\n", "title: Games people play\n")
        page.wait_for_function("document.querySelector('h1').textContent === 'Games people play'", timeout=60_000)

        docs = browser.new_page()
        docs.goto(url + "docs/")
        assert "First words." in docs.inner_text("body")
        _edit(content / "docs" / "index.md", "First words.", "Second words.")
        docs.wait_for_function("document.body.innerText.includes('Second words.')", timeout=60_000)

        _edit(content / "site.yml", "title: Games people play\n", "titel: Games people play\n")
        banner = page.locator("#portals-problem")
        banner.wait_for(timeout=60_000)
        assert 'unknown key "titel"' in banner.inner_text() and "site.yml" in banner.inner_text()
        assert heading.inner_text() == "Games people play"  # the last good site, still working
        with urllib.request.urlopen(url + "games/recommend.json") as response:
            assert response.status == 200

        _edit(content / "site.yml", "titel: Games people play\n", "title: Games again\n")
        page.wait_for_function("document.querySelector('h1').textContent === 'Games again'", timeout=60_000)
        assert page.locator("#portals-problem").count() == 0
        page.close()
        docs.close()
    finally:
        _stop(process)


def test_no_watch_serves_the_site_as_it_is(fork, browser):
    _build(fork)
    process, url = _start(["--no-watch", "--out", "_site"], fork)
    try:
        with urllib.request.urlopen(url) as response:
            html = response.read().decode("utf-8")
        assert "EventSource" not in html and "<h1>Games</h1>" in html
        _edit(fork / "content" / "site.yml", "title: Games\n", "title: Changed\n")
        time.sleep(2)
        with urllib.request.urlopen(url) as response:
            assert "<h1>Games</h1>" in response.read().decode("utf-8")
    finally:
        _stop(process)


def test_a_site_that_does_not_build_at_start_serves_the_last_good_one_with_the_problem(fork, browser):
    _build(fork)
    _edit(fork / "content" / "site.yml", "title: Games\n", "titel: Games\n")
    process, url = _start(["--content", "content", "--out", "_site", "--cache-dir", "cache"], fork)
    try:
        page = browser.new_page()
        page.goto(url)
        assert page.locator("h1").inner_text() == "Games"  # the last good site
        banner = page.locator("#portals-problem")
        banner.wait_for(timeout=30_000)
        assert 'unknown key "titel"' in banner.inner_text()
        _edit(fork / "content" / "site.yml", "titel: Games\n", "title: Games fixed\n")
        page.wait_for_function("document.querySelector('h1').textContent === 'Games fixed'", timeout=60_000)
        page.close()
    finally:
        _stop(process)


def test_a_fork_changes_its_look_by_editing_the_theme(fork, browser):
    """In a copy of the repository, an edit of templates/ (a template and the stylesheet) is in the
    site the copy builds, and in the page `portals serve` shows, without a restart."""
    import os
    import shutil

    from conftest import REPO

    repository = fork / "repository"
    shutil.copytree(REPO / "site_builder", repository / "site_builder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", repository / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", repository / "pyproject.toml")
    theme = repository / "templates"
    _edit(theme / "index.html", "<h1>", '<p class="our-look">Our own look</p>\n<h1>')
    (theme / "site.css").write_text(
        (theme / "site.css").read_text(encoding="utf-8") + "\n.our-look { color: rgb(1, 2, 3); }\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(repository)}
    _build(fork, env)
    assert '<p class="our-look">Our own look</p>' in (fork / "_site" / "index.html").read_text(encoding="utf-8")
    assert ".our-look { color: rgb(1, 2, 3); }" in (fork / "_site" / "static" / "site.css").read_text(encoding="utf-8")

    process, url = _start(["--content", "content", "--out", "_site", "--cache-dir", "cache"], fork, env)
    try:
        page = browser.new_page()
        page.goto(url)
        look = page.locator(".our-look")
        assert look.inner_text() == "Our own look"
        assert look.evaluate("e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
        _edit(theme / "index.html", "Our own look", "Our look, edited")
        page.wait_for_function("document.querySelector('.our-look').textContent === 'Our look, edited'", timeout=60_000)
        page.close()
    finally:
        _stop(process)

"""A forker follows docs/hosting-your-own-dataset.md literally, on data the docs do not ship."""

from __future__ import annotations

import csv
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from conftest import DEMO_CONTENT

PAGE = DEMO_CONTENT / "docs" / "hosting-your-own-dataset.md"
TRACKS = [
    ("t1", "Jóga", "Björk", "Electronic"),
    ("t2", "Svefn-g-englar", "Sigur Rós", "Post-rock"),
    ("t3", "Back in Black (Live, 1991)", "AC/DC", "Rock"),
    ("t4", 'Say "Hello", Wave Goodbye', "Soft Cell", "Synth-pop"),
    ("t5", "Ça plane pour moi", "Plastic Bertrand", "Punk"),
    ("t6", "東京は夜の七時", "Pizzicato Five", "Shibuya-kei"),
    ("t7", "Hoppípolla", "Sigur Rós", "Post-rock"),
    ("t8", "Army of Me", "Björk", "Electronic"),
]


def page_commands() -> list[str]:
    """The shell commands of the page, in order (```sh blocks)."""
    blocks = re.findall(r"```sh\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def write_music_data(folder) -> None:
    folder.mkdir(parents=True)
    with open(folder / "tracks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["track_id", "title", "artist", "genre"])
        writer.writerows(TRACKS)
    rng = np.random.default_rng(3)
    with open(folder / "listens.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["listener", "track_id", "plays", "listened_at"])
        for listener in range(40):
            for track in rng.choice(len(TRACKS), size=5, replace=False):
                writer.writerow(
                    [
                        f"fan-{listener:02d}",
                        TRACKS[track][0],
                        int(rng.integers(1, 30)),
                        f"2024-03-{1 + int(rng.integers(0, 28)):02d}T12:00:00Z",
                    ]
                )


def test_the_page_walks_a_forker_from_data_to_a_built_portal(tmp_path, demo_site, monkeypatch):
    commands = page_commands()
    assert commands[0].startswith("./portals.sh new data/listens.csv") and "--name music" in commands[0]
    assert "./portals.sh build --strict" in commands

    fork = tmp_path / "fork"
    shutil.copytree(DEMO_CONTENT, fork / "content")
    write_music_data(fork / "data")
    # the demo's trained vectors come from the session's build cache
    monkeypatch.setenv("PORTALS_CACHE_DIR", str(demo_site.parent / "cache"))
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "./portals.sh"
        result = subprocess.run(
            [sys.executable, "-m", "site_builder", *args[1:]], cwd=fork, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        if args[1] == "new":
            assert "Next steps" in result.stdout and "GitHub Actions" in result.stdout
            # it says what it removed
            assert "the datasets movielens-100k and the portals movies, users." in result.stdout
            assert "content/datasets/movielens-100k/" in result.stdout and "how-it-works.md" in result.stdout

    config = yaml.safe_load((fork / "content" / "site.yml").read_text(encoding="utf-8"))
    music = config["datasets"]["music"]
    # what the page shows is what the scaffold writes
    shown = next(
        yaml.safe_load(block)
        for block in re.findall(r"```yaml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
        if "  music:" in block
    )
    assert shown["datasets"]["music"] == music
    # --replace-site: the data is the whole site, and the demo is gone from it (git keeps it)
    assert [p["name"] for p in config["portals"]] == ["music", "music-users"] and list(config["datasets"]) == ["music"]
    assert config["title"] == "Songs that travel together" and config["description"].startswith("Tracks laid out")
    assert not (fork / "content" / "datasets" / "movielens-100k").exists()
    docs = sorted(p.name for p in (fork / "content" / "docs").rglob("*") if p.is_file())
    assert docs == ["index.md", "music.md", "using-the-maps.md"]
    assert music["columns"] == {"user": "listener", "item": "track_id", "weight": "plays", "timestamp": "listened_at"}
    assert music["items"]["label"] == "title" and "genre" in music["items"]["columns"]
    assert (fork / "content" / "docs" / "music.md").is_file()

    portal = fork / "_site" / "music"
    rows = (portal / "metadata.txt").read_text(encoding="utf-8").splitlines()
    titles = {row.split("\t")[0] for row in rows[1:]}
    assert titles == {t[1] for t in TRACKS}  # Unicode and punctuation intact
    shape = yaml.safe_load((portal / "projector_config.json").read_text())["embeddings"][0]["tensorShape"]
    assert shape[0] == len(TRACKS) == len(rows) - 1
    assert (portal / "tensors.bytes").stat().st_size == shape[0] * shape[1] * 4
    landing = (fork / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Music" in landing and 'href="music/index.html"' in landing
    assert "Songs that travel together" in landing
    # no word of movies or MovieLens anywhere in the site: pages, data, scripts, docs and their search index
    said = []
    for path in (fork / "_site").rglob("*"):
        if "projector" in path.relative_to(fork / "_site").parts[:2]:
            continue  # TensorBoard's own bundle, as its wheel ships it: its icon set has "movie-filter"
        if path.is_file() and path.suffix in (".html", ".json", ".js", ".txt", ".xml", ".css", ".md"):
            if re.search(r"movie|movielens", path.read_text(encoding="utf-8", errors="replace"), re.I):
                said.append(path.relative_to(fork / "_site").as_posix())
    assert not said, said


@pytest.mark.parametrize(
    "mistake, expected",
    [
        ("listener", 'no column "listner"'),
    ],
)
def test_a_typo_in_the_mapping_says_did_you_mean(tmp_path, mistake, expected):
    fork = tmp_path / "fork"
    shutil.copytree(DEMO_CONTENT, fork / "content")
    write_music_data(fork / "data")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=fork, capture_output=True, text=True)

    assert run("new", "data/listens.csv", "--items", "data/tracks.csv", "--name", "music").returncode == 0
    site = fork / "content" / "site.yml"
    site.write_text(site.read_text(encoding="utf-8").replace(f"user: {mistake}", "user: listner"), encoding="utf-8")
    result = run("build", "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert expected in result.stderr and 'did you mean "listener"' in result.stderr

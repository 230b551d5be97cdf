"""The command line: help, one-line errors with exit code 1, python -m."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from site_builder.commands.cli import main


def test_help_on_each_command():
    runner = CliRunner()
    for args in ([], ["build"], ["serve"]):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
    build_help = runner.invoke(main, ["build", "--help"]).output
    for option in ("--content", "--out", "--base-url", "--strict", "--verbose", "--quiet", "--cache-dir"):
        assert option in build_help


def test_python_dash_m_is_the_same_cli():
    result = subprocess.run([sys.executable, "-m", "site_builder", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "build" in result.stdout and "serve" in result.stdout


def test_bad_config_exits_1_with_every_problem_and_no_traceback(tiny_content, tmp_path):
    site_yml = tiny_content / "site.yml"
    site_yml.write_text(
        site_yml.read_text().replace("label: title", "label: titel").replace("title: Tiny site", "titel: x")
    )
    out = tmp_path / "_site"
    result = CliRunner().invoke(
        main, ["build", "--content", str(tiny_content), "--out", str(out), "--cache-dir", str(tmp_path / "cache")]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert 'unknown key "titel"' in result.output and "site.yml" in result.output
    assert not out.exists()


def test_build_prints_summary_and_preview_hint(tiny_content, tmp_path):
    out = tmp_path / "_site"
    result = CliRunner().invoke(
        main, ["build", "--content", str(tiny_content), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Built 2 portal(s)" in result.output and "movies: 3 points" in result.output
    assert "portals serve" in result.output
    assert (out / "index.html").is_file()


def test_bad_base_url_is_a_user_error(tiny_content, tmp_path):
    result = CliRunner().invoke(
        main,
        ["build", "--content", str(tiny_content), "--out", str(tmp_path / "o"), "--base-url", "example.github.io/repo"],
    )
    assert result.exit_code == 1 and "--base-url" in result.output and "absolute URL" in result.output


def test_cache_prune_takes_the_cache_folder_the_build_uses(tmp_path):
    from click.testing import CliRunner

    from site_builder.commands.cli import main

    entry = tmp_path / "cache" / "vectors" / "k.npy"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"x" * 2_000_000)
    result = CliRunner().invoke(
        main, ["cache-prune", "--max-mb", "1"], env={"PORTALS_CACHE_DIR": str(tmp_path / "cache")}
    )
    assert result.exit_code == 0 and "removed 1 entries" in result.output
    assert not entry.exists()


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path):
    import socket

    from site_builder.site.paths import MARKER

    site = tmp_path / "site"
    site.mkdir()
    (site / MARKER).write_text("built\n")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "site_builder", "serve", "--dir", str(site), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        taken.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"--port {port}: cannot listen there" in result.stderr and "pass another --port" in result.stderr

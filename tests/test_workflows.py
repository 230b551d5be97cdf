"""The GitHub workflows: valid, deploying safely, running the README's commands, cached right."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml
from conftest import REPO, write_tiny_content

from site_builder.commands.cache_keys import cache_keys
from site_builder.config import load_config

WORKFLOWS = REPO / ".github" / "workflows"


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.strip().splitlines()]


def test_workflows_validate_against_the_github_schema():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) == 2
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_quick_start_is_two_commands():
    assert quick_start_commands() == ["./portals.sh build", "./portals.sh test"]


def test_workflows_run_the_readme_commands():
    build_command, test_command = quick_start_commands()
    build_steps = [s for s in _workflow("deploy.yml")["jobs"]["build"]["steps"] if s.get("name") == "Build the site"]
    assert len(build_steps) == 1 and build_steps[0]["run"].split(" ${")[0] == build_command
    test_runs = {s["name"]: s["run"] for s in _workflow("tests.yml")["jobs"]["test"]["steps"] if s.get("run")}
    assert test_runs["Run the test suite"] == test_command
    # then the linters, as CONTRIBUTING.md runs them
    lint = test_runs["Lint and types"]
    for command in ("ruff check site_builder", "ruff format --check site_builder", "bin/mypy"):
        assert command in lint
        assert command in (REPO / "CONTRIBUTING.md").read_text()
    assert (REPO / ".ci" / "run").read_text().strip().endswith(test_command)


def test_deploy_only_from_main_in_order_with_least_privilege():
    workflow = _workflow("deploy.yml")
    assert _on(workflow)["push"]["branches"] == ["main"] and "pull_request" in _on(workflow)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    deploy = workflow["jobs"]["deploy"]
    assert deploy["if"] == "github.event_name != 'pull_request'"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v5"]
    uses = [s.get("uses", "") for s in workflow["jobs"]["build"]["steps"]]
    assert "actions/configure-pages@v6" in uses and "actions/upload-pages-artifact@v5" in uses


# The first major of each action that runs on Node 24, which GitHub's runners use for JavaScript
# actions since June 2026 (upload-pages-artifact is a composite action: its v5 wraps an
# upload-artifact that runs on Node 24).
NODE_24_MAJORS = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache": 5,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def test_every_action_is_pinned_to_a_release_that_runs_on_node_24():
    for name in ("deploy.yml", "tests.yml"):
        for job in _workflow(name)["jobs"].values():
            for step in job["steps"]:
                if "uses" not in step:
                    continue
                action, _, ref = step["uses"].partition("@")
                assert action in NODE_24_MAJORS, f"{name}: {action} is not a known action"
                assert re.fullmatch(r"v\d+(\.\d+){0,2}", ref), f"{name}: {step['uses']} is not pinned to a release"
                assert int(ref[1:].split(".")[0]) >= NODE_24_MAJORS[action], f"{name}: {step['uses']} runs on Node 20"


def test_tmdb_secret_reaches_only_the_build_step():
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert text.count("secrets.TMDB_API_KEY") == 1
    steps = _workflow("deploy.yml")["jobs"]["build"]["steps"]
    holders = [s["name"] for s in steps if "TMDB_API_KEY" in str(s.get("env", {}))]
    assert holders == ["Build the site"]
    assert "secrets" not in (WORKFLOWS / "tests.yml").read_text()


def test_every_cache_folder_is_restored_with_its_computed_key():
    steps = _workflow("deploy.yml")["jobs"]["build"]["steps"]
    caches = {s["with"]["path"]: s["with"]["key"] for s in steps if s.get("uses", "").startswith("actions/cache@")}
    for name in ("datasets", "downloads", "vectors", "layouts", "neighbours", "sprites"):
        assert caches[f".cache/{name}"] == f"portals-{name}-${{{{ steps.keys.outputs.{name} }}}}"
    assert ".cache/wheelhouse" in caches


def test_cache_keys_change_when_and_only_when_their_inputs_change(tmp_path):
    content = write_tiny_content(tmp_path / "content")
    before = cache_keys(load_config(content))
    (content / "docs" / "index.md").write_text("# Changed docs\n")
    site = content / "site.yml"
    site.write_text(site.read_text().replace("description: A test site.", "description: Edited."))
    assert cache_keys(load_config(content)) == before  # docs and wording: nothing to redo

    site.write_text(site.read_text().replace("{vector_size: 8, epochs: 2}", "{vector_size: 8, epochs: 3}", 1))
    after_settings = cache_keys(load_config(content))
    assert after_settings["vectors"] != before["vectors"] and after_settings["neighbours"] != before["neighbours"]
    assert after_settings["downloads"] == before["downloads"] and after_settings["datasets"] == before["datasets"]

    ratings = content / "data" / "ratings.csv"
    ratings.write_text(ratings.read_text() + "1,30,3,107\n")
    after_data = cache_keys(load_config(content))
    assert after_data["vectors"] != after_settings["vectors"] and after_data["sprites"] != after_settings["sprites"]

    # the pictures of a local folder, and the evaluation's vectors, are inputs too
    site.write_text(
        site.read_text().replace(
            "    color_by: first_genre\n",
            "    color_by: first_genre\n    images: {sources: [{local: {folder: posters}}]}\n",
            1,
        )
    )
    (content / "posters").mkdir()
    with_folder = cache_keys(load_config(content))
    (content / "posters" / "10.png").write_bytes(b"a poster")
    with_poster = cache_keys(load_config(content))
    assert with_poster["sprites"] != with_folder["sprites"] and with_poster["vectors"] == with_folder["vectors"]
    site.write_text(
        site.read_text().replace(
            "    points: items\n", "    points: items\n    recommendations: {show_evaluation: true}\n", 1
        )
    )
    assert cache_keys(load_config(content))["vectors"] != with_poster["vectors"]

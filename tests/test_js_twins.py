"""The pages' pure JavaScript functions and their Python twins, held to the same cases.

tests/cases/*.json are written by tests/cases/make_cases.py from the Python functions; here
the Python functions are checked against them (a case file that disagrees with Python fails),
and node's built-in test runner checks the JavaScript modules of site/static/ against the
same files (tests/js/*.test.mjs). It fails, not skips, when node is missing: the page folds
queries and ranks tastes in JavaScript, and only these tests hold it to the build's Python.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import REPO

from site_builder.site.recommend import dequantise, fold, quantise, taste_ranking

CASES = REPO / "tests" / "cases"
JS_TESTS = REPO / "tests" / "js"


def load(name: str) -> dict:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


def number(value) -> float:
    """The case files write infinities and NaN as strings (JSON has neither)."""
    return float(value)


FOLD = load("fold.json")
VECTORS = load("vectors.json")
TASTE = load("taste.json")
PROBE = load("probe.json")


@pytest.mark.parametrize("case", FOLD["cases"], ids=lambda case: case["why"])
def test_fold_matches_the_cases(case):
    assert fold(case["text"]) == case["fold"]


def test_fold_cases_cover_the_letters_nfkd_keeps_whole():
    from site_builder.site.recommend import SPECIAL_LETTERS

    texts = "".join(case["text"] for case in FOLD["cases"])
    assert set(SPECIAL_LETTERS) <= set(texts.lower())
    assert any(case["text"] == "" for case in FOLD["cases"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_vector_files_match_the_cases(case):
    vectors = np.array(case["vectors"], dtype=np.float32).reshape(case["count"], case["dims"])
    assert len(case["files"]) == 3
    for file in case["files"]:
        data = base64.b64decode(file["base64"])
        scale = file["scale"] or "row"
        assert quantise(vectors, file["dtype"], scale) == data, (file["dtype"], file["scale"])
        decoded = dequantise(data, file["dtype"], case["dims"])
        expected = np.array(file["unit"], dtype=np.float64).reshape(case["count"], case["dims"])
        np.testing.assert_allclose(decoded, expected, rtol=0, atol=VECTORS["tolerance"])
        # unit rows, or zero rows where the input row was zero
        lengths = np.linalg.norm(expected, axis=1)
        zero = ~vectors.any(axis=1)
        np.testing.assert_allclose(lengths[~zero], 1, atol=1e-6)
        assert (lengths[zero] == 0).all()


def test_the_case_files_are_what_the_python_twins_make_now():
    """make_cases.py run again gives the committed files, inputs and answers alike: a change to a
    Python twin (or a hand edit of a case) that is not regenerated fails here, not in node."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_cases", CASES / "make_cases.py")
    make_cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_cases)
    assert set(make_cases.DOCUMENTS) == {"fold.json", "vectors.json", "taste.json", "probe.json"}
    for name, make in make_cases.DOCUMENTS.items():
        assert make_cases.dumps(make()) == (CASES / name).read_text(encoding="utf-8"), (
            f"{name} is stale: run .venv/bin/python tests/cases/make_cases.py"
        )


def test_float16_values_match_the_cases():
    bits = np.array([b for b, _ in VECTORS["float16"]], dtype="<u2")
    values = bits.view("<f2").astype(np.float64)
    expected = np.array([number(v) for _, v in VECTORS["float16"]])
    np.testing.assert_array_equal(values, expected)  # NaN equals NaN here
    assert np.array_equal(np.signbit(values), np.signbit(expected))  # -0.0 is its own value


@pytest.mark.parametrize("case", TASTE["cases"], ids=lambda case: case["name"])
def test_taste_ranking_matches_the_cases(case):
    unit = np.array(case["unit"], dtype=np.float32).reshape(-1, case["dims"])
    loaded = np.array(case["loaded"], dtype=bool) if "loaded" in case else None
    picks = taste_ranking(unit, case["like"], case["dislike"], case["top"], loaded)
    assert picks.tolist() == case["picks"]
    if not picks.size:
        return
    exact = unit.astype(np.float64)
    query = exact[case["like"]].sum(axis=0) - exact[case["dislike"]].sum(axis=0)
    scores = exact[case["picks"]] @ query / np.linalg.norm(query)
    np.testing.assert_allclose(scores, case["scores"], rtol=0, atol=TASTE["tolerance"])


def test_taste_cases_cover_loaded_parts_and_a_query_with_no_direction():
    assert any("loaded" in case and len(case["picks"]) < case["top"] for case in TASTE["cases"])
    assert any(not case["picks"] and case["top"] and case["like"] for case in TASTE["cases"])


@pytest.mark.parametrize("case", PROBE["cases"], ids=lambda case: case["name"])
def test_probe_matches_the_cases(case):
    from site_builder.site import taste_parts

    dims, count = PROBE["dims"], PROBE["count"]
    unit = dequantise(base64.b64decode(PROBE["vectors"]), "int8", dims)
    found = taste_parts.read_probe(base64.b64decode(PROBE["probe"]), PROBE["clusters"], dims, count)
    query = np.zeros(dims, dtype=np.float32)  # summed as the page sums it
    for i in case["like"]:
        query += unit[i]
    for i in case["dislike"]:
        query -= unit[i]
    assert taste_parts.probe(found, case["like"] + case["dislike"], query, case["share"]) == case["clusters"]
    sizes = found.sizes
    chosen = {int(found.cluster[p]) for p in case["like"] + case["dislike"]}
    probed = [c for c in case["clusters"] if c not in chosen]
    assert case["clusters"][: len(chosen)] == [c for c in case["clusters"] if c in chosen]
    assert sizes[probed].sum() >= min(case["share"] * count, count - sizes[list(chosen)].sum())
    assert not probed or sizes[probed[:-1]].sum() < case["share"] * count  # no part more than needed


def test_the_javascript_twins_pass_under_node():
    """`node --test tests/js/`: the ES modules of site/static/ against the same case files."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not installed: the JavaScript twins in tests/js/ need it "
            "(Node.js 20 or later, e.g. apt-get install nodejs)"
        )
    tests = sorted(JS_TESTS.glob("*.test.mjs"))
    assert tests, f"no *.test.mjs in {JS_TESTS}"
    # the files by name (node 20 also takes the folder, later versions want globs); TAP for the summary
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", *map(str, tests)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"node --test failed:\n{report}"
    summary = dict(line[2:].split(" ", 1) for line in report.splitlines() if line.startswith("# ") and " " in line[2:])
    assert int(summary.get("fail", "1")) == 0 and int(summary.get("pass", "0")) > 0, report


def test_every_page_script_parses(tmp_path):
    """Each script of site/static/ parses as the ES module the pages load it as (`node --check` on a
    .mjs copy): a slip in a module the node tests do not import (map-ui.js, map-regions.js...) would
    otherwise show only as a map that never opens in the browser tests."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the pages' scripts are checked with it (Node.js 20 or later)")
    scripts = sorted((REPO / "site_builder" / "site" / "static").glob("*.js"))
    assert len(scripts) >= 10
    broken = []
    for script in scripts:
        copy = tmp_path / f"{script.stem}.mjs"
        copy.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
        result = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            broken.append(f"{script.name}: {result.stderr.strip()}")
    assert not broken, "\n".join(broken)


def test_the_map_script_and_the_stylesheet_share_the_phone_breakpoint():
    import re

    static = REPO / "site_builder" / "site" / "static"
    query = re.search(r'var PHONE = "([^"]+)";', (static / "map-ui.js").read_text(encoding="utf-8")).group(1)
    assert f"@media {query} {{" in (REPO / "templates" / "site.css").read_text(encoding="utf-8")  # the theme's

"""Stage 1: the config is validated before any work, with every problem at once."""

from __future__ import annotations

import re
import textwrap

import pytest
from conftest import TINY_SITE, write_tiny_content

from site_builder.config import load_config
from site_builder.data.datasets import check_columns
from site_builder.errors import BuildError


def test_demo_config_is_valid():
    from conftest import DEMO_CONTENT

    config = load_config(DEMO_CONTENT)
    check_columns(config)
    assert [p.name for p in config.portals] == ["movies", "users"]
    assert config.portals[0].embedding.word2vec.sg == 1
    assert config.portals[0].embedding.sentence.model == "usif"


def test_defaults_are_the_measured_good_ones():
    from site_builder.config import EmbeddingSettings
    from site_builder.model.embeddings import resolve_word2vec

    settings = EmbeddingSettings()
    assert settings.order == "auto"
    # gensim's defaults (CBOW, 5 epochs) recommend worse than popularity on MovieLens 100K, whose time
    # order tells something; there `auto` gives skip-gram, window 3, the tuned 40 epochs, one worker and
    # gensim's sample
    at_100k = resolve_word2vec(settings, 100_000, "time", 943)
    assert {k: at_100k[k] for k in ("sg", "window", "epochs", "workers", "sample", "alpha")} == {
        "sg": 1,
        "window": 3,
        "epochs": 40,
        "workers": 1,
        "sample": 0.001,
        "alpha": 0.025,
    }
    # where the order tells nothing: CBOW over the whole sentence, a higher rate, stronger down-sampling
    # (a token is down-sampled once it occurs more often than the average token: 1 / 8,000 of 1M)
    shuffled = resolve_word2vec(settings, 1_000_000, "shuffled", 8_000)
    assert {k: shuffled[k] for k in ("sg", "window", "epochs", "sample", "alpha")} == {
        "sg": 0,
        "window": 200,
        "epochs": 20,
        "sample": 1.25e-04,
        "alpha": 0.05,
    }
    assert resolve_word2vec(settings, 100_000, "shuffled", 500)["sample"] == 0.001  # at most gensim's default
    assert settings.sentence.model == "usif"


def test_auto_training_settings_scale_with_the_corpus():
    from site_builder.config import EmbeddingSettings
    from site_builder.model.embeddings import cores, resolve_word2vec

    auto = EmbeddingSettings()
    at_32m = resolve_word2vec(auto, 32_000_000, "time", 200_000)
    assert (
        at_32m["epochs"] == 3 and at_32m["workers"] == cores() and at_32m["sample"] == 3.13e-5
    )  # 1,000 / 32M, 3 digits
    assert resolve_word2vec(auto, 1_000_000, "time", 8_000)["epochs"] == 6
    assert resolve_word2vec(auto, 10, "time", 5)["epochs"] == 40
    # shuffled: fewer epochs on more tokens, at a rate that grows as 1 / sqrt(epochs), up to 0.1
    at_10m = resolve_word2vec(auto, 10_000_000, "shuffled", 40_000)
    assert (at_10m["epochs"], at_10m["alpha"], at_10m["sample"]) == (3, 0.1, 2.5e-5)  # 1 / 40,000
    assert resolve_word2vec(auto, 2_000_000, "shuffled", 10_000)["alpha"] == 0.0707  # 0.05 x sqrt(20 / 10)
    assert resolve_word2vec(auto, 32_000_000, "shuffled", 87_585)["epochs"] == 3
    # explicit values are kept whatever the size and order
    fixed = EmbeddingSettings.model_validate(
        {"word2vec": {"epochs": 7, "sample": 0.0, "workers": 1, "sg": 1, "window": 5, "alpha": 0.01}}
    )
    for order in ("time", "shuffled"):
        keys = ("epochs", "sample", "workers", "sg", "window", "alpha")
        assert {k: resolve_word2vec(fixed, 32_000_000, order, 87_585)[k] for k in keys} == {
            "epochs": 7,
            "sample": 0.0,
            "workers": 1,
            "sg": 1,
            "window": 5,
            "alpha": 0.01,
        }


def test_auto_may_be_written_out():
    from site_builder.config import EmbeddingSettings

    written = EmbeddingSettings.model_validate(
        {"order": "auto", "word2vec": {k: "auto" for k in ("window", "epochs", "sg", "sample", "alpha", "workers")}}
    )
    assert written == EmbeddingSettings()


def _errors(tmp_path, site_text: str) -> list[str]:
    content = write_tiny_content(tmp_path / "content", textwrap.dedent(site_text))
    with pytest.raises(BuildError) as caught:
        config = load_config(content)
        check_columns(config)
    return [str(p) for p in caught.value.problems]


def test_all_problems_reported_at_once_with_key_line_and_hint(tmp_path):
    broken = (
        TINY_SITE.replace("title: Tiny site", "titel: Tiny site")
        .replace("vector_size: 8, epochs: 2}", "vector_size: eight, epochs: 2}")
        .replace("dataset: tiny\n        points: users", "dataset: tinny\n        points: users")
    )
    errors = _errors(tmp_path, broken)
    text = "\n".join(errors)
    assert 'unknown key "titel"' in text and 'did you mean "title"' in text
    assert "portals[0].embedding.word2vec.vector_size" in text and "eight" in text
    assert "(line 1)" in text  # titel is on the first line
    assert all("site.yml" in e for e in errors)
    assert len(errors) >= 3  # the missing title too


def test_unknown_dataset_and_missing_path(tmp_path):
    broken = TINY_SITE.replace("path: data", "path: nowhere").replace(
        "dataset: tiny\n        points: users", "dataset: tinny\n        points: users"
    )
    text = "\n".join(_errors(tmp_path, broken))
    assert '"nowhere" does not exist' in text
    assert 'no dataset named "tinny" (did you mean "tiny"?)' in text
    assert "portals[1].dataset (line" in text


def test_column_that_does_not_exist(tmp_path):
    broken = TINY_SITE.replace("color_by: first_genre", "color_by: frist_genre")
    text = "\n".join(_errors(tmp_path, broken))
    assert 'portals[0].color_by (line 13): no column "frist_genre"' in text  # the key's line in site.yml
    assert 'did you mean "first_genre"' in text


def test_wrong_choice_and_bad_slug(tmp_path):
    broken = TINY_SITE.replace("points: items", "points: movies").replace("name: movies", "name: My Movies")
    text = "\n".join(_errors(tmp_path, broken))
    assert "portals[0].points" in text and "'items' or 'users'" in text
    assert "portals[0].name" in text and "slug" in text
    text = "\n".join(_errors(tmp_path / "again", TINY_SITE.replace("name: movies", "name: docs")))
    assert "portals[0].name" in text and "folder of the site itself" in text


def test_invalid_yaml_names_the_line(tmp_path):
    text = "\n".join(_errors(tmp_path, "title: [unclosed\nportals: []\n"))
    assert "not valid YAML" in text and "line" in text


def test_base_url_mistakes_say_what_to_write(tiny_content):
    assert load_config(tiny_content, base_url="https://u.github.io/repo").base_url == "https://u.github.io/repo"
    with pytest.raises(
        BuildError, match="not an absolute URL: write it with its scheme, e.g. https://u.github.io/repo"
    ):
        load_config(tiny_content, base_url="u.github.io/repo")
    # the slash a browser's address bar shows is the same site
    assert load_config(tiny_content, base_url="https://u.github.io/repo/").base_url == "https://u.github.io/repo"
    site = tiny_content / "site.yml"
    site.write_text(site.read_text(encoding="utf-8") + "base_url: https://u.github.io/repo//\n", encoding="utf-8")
    assert load_config(tiny_content).base_url == "https://u.github.io/repo"


def test_path_relative_to_the_wrong_folder_gets_a_hint(tmp_path):
    text = "\n".join(_errors(tmp_path, TINY_SITE.replace("path: data", "path: content/data")))
    assert '"content/data" does not exist' in text
    assert "paths are relative to the content folder" in text and 'did you mean "data"?' in text


def test_image_source_columns_are_checked(tmp_path):
    site = TINY_SITE.replace(
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
        "        images:\n          sources:\n            - url_column: {column: poster}\n"
        "            - tmdb: {title_column: titel}\n"
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
    )
    text = "\n".join(_errors(tmp_path, site))
    assert re.search(r'portals\[0\]\.images\.sources\[0\]\.url_column\.column \(line \d+\): no column "poster"', text)
    assert re.search(
        r'portals\[0\]\.images\.sources\[1\]\.tmdb\.title_column \(line \d+\): no column "titel" in the items', text
    )
    assert 'did you mean "title"' in text


def test_an_image_source_sets_exactly_one_kind(tmp_path):
    site = TINY_SITE.replace(
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
        "        images:\n          sources:\n            - {url_column: {column: title}, local: {folder: x}}\n"
        "        embedding:\n          word2vec: {vector_size: 8, epochs: 2}\n      - name: users",
    )
    text = "\n".join(_errors(tmp_path, site))
    assert "portals[0].images.sources[0]" in text and "exactly one of: local, url_column, tmdb" in text


def test_checksum_placeholder_says_how_to_compute_it(tmp_path):
    site = TINY_SITE.replace("path: data", "url: https://example.org/data.zip\n        sha256: PUT-THE-SHA256-HERE")
    text = "\n".join(_errors(tmp_path, site))
    assert "datasets.tiny.sha256" in text and "64 hexadecimal digits" in text and "sha256sum" in text


def test_evaluation_is_refused_on_a_portal_of_users(tmp_path):
    site = TINY_SITE.replace(
        "color_by: age_band", "color_by: age_band\n        recommendations: {show_evaluation: true}"
    )
    errors = _errors(tmp_path, site)
    assert any("portals[1]" in e and "show_evaluation" in e and "points: items" in e for e in errors), errors


def test_a_value_that_fits_no_branch_of_a_union_is_one_problem(tmp_path):
    errors = _errors(tmp_path, TINY_SITE.replace("epochs: 2}", "epochs: many, sample: lots}", 1))
    assert [e.split(": ", 1)[1] for e in errors] == [
        "portals[0].embedding.word2vec.epochs (line 16): expected an integer or 'auto' (got 'many')",
        "portals[0].embedding.word2vec.sample (line 16): expected a number or 'auto' (got 'lots')",
    ]

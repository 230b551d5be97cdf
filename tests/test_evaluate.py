"""`portals evaluate`: the leave-last-out split, the metrics, the baselines, and the demo's figures."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest
from conftest import DEMO_CONTENT

from site_builder.config import EmbeddingSettings, load_config
from site_builder.data.dataset import Dataset
from site_builder.data.datasets import load_dataset
from site_builder.errors import BuildError
from site_builder.model.evaluate import (
    evaluate_portal,
    find_portal,
    itemknn_scorer,
    popularity_scorer,
    rank_metrics,
    split,
)


def _dataset(rows, num_items=None, num_users=None) -> Dataset:
    """rows: (user, item, timestamp[, rating]) in file order."""
    user, item, ts = (np.array([r[i] for r in rows]) for i in range(3))
    rating = np.array([r[3] if len(r) > 3 else 4.0 for r in rows], dtype=np.float32)
    num_items = num_items or int(item.max()) + 1
    num_users = num_users or int(user.max()) + 1
    return Dataset(
        name="tiny",
        user_index=user.astype(np.int32),
        item_index=item.astype(np.int32),
        rating=rating,
        timestamp=ts.astype(np.int64),
        items=pd.DataFrame({"id": np.arange(num_items)}),
        users=pd.DataFrame({"id": np.arange(num_users)}),
        fingerprint="tiny",
    )


# user 0: items 0, 1, 2, 3 at times 1..4; user 1: items 4 then 1 and 2 in the same second (file order 1, 2);
# user 2: one interaction; user 3: two interactions, listed out of time order in the file.
ROWS = [(0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 3, 4), (1, 4, 5), (1, 1, 7), (1, 2, 7), (2, 0, 9), (3, 3, 12), (3, 4, 11)]


def _pairs(data: Dataset) -> set:
    return set(zip(data.user_index.tolist(), data.item_index.tolist()))


def test_test_split_holds_out_the_last_interaction_and_queries_the_one_before():
    data = _dataset(ROWS)
    train, held, query = split(data, validation=False)
    assert held.tolist() == [3, 2, -1, 3]  # user 1: items 1 and 2 tie at t=7; the file lists 2 last
    assert query.tolist() == [2, 1, -1, 4]  # user 3: item 4 (t=11) came before item 3 (t=12)
    assert _pairs(train) == _pairs(data) - {(0, 3), (1, 2), (3, 3)}  # user 2's single interaction stays


def test_validation_split_never_sees_the_test_items():
    data = _dataset(ROWS)
    train, held, query = split(data, validation=True)
    assert held.tolist() == [2, 1, -1, -1]  # users with fewer than 3 interactions are not evaluated
    assert query.tolist() == [1, 4, -1, -1]
    assert _pairs(train) == {(0, 0), (0, 1), (1, 4), (2, 0), (3, 4)}


def test_split_tie_order_follows_the_file_not_the_item_index():
    # the same interactions as ROWS, but user 1's tied pair listed the other way round
    rows = [r for r in ROWS if r[0] != 1] + [(1, 4, 5), (1, 2, 7), (1, 1, 7)]
    _, held, query = split(_dataset(rows), validation=False)
    assert held[1] == 1 and query[1] == 2


def _fixed_scorer(matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    return lambda queries: matrix[queries]


def test_metrics_hand_computed():
    # 4 items; 3 users. Training: user 0 has item 0; user 1 has item 1; user 2 has items 2, 0.
    train = _dataset([(0, 0, 1), (1, 1, 1), (2, 2, 1), (2, 0, 2), (0, 3, 0)], num_items=4)
    scores = [
        [9, 3, 2, 1],  # from item 0: item 0 is excluded for users who have it
        [5, 9, 4, 1],
        [6, 5, 9, 7],
        [1, 1, 1, 1],
    ]
    held = np.array([1, 2, 1])
    query = np.array([0, 1, 2])
    m = rank_metrics(_fixed_scorer(scores), train, held, query, k=2)
    # user 0 (training items 0, 3): ranking 1, 2 -> held 1 at rank 0: hit, gain 1
    # user 1 (training item 1): ranking 0, 2, 3 -> held 2 at rank 1: hit, gain 1/log2(3)
    # user 2 (training items 2, 0): ranking 3, 1 -> held 1 at rank 1: hit, gain 1/log2(3)
    assert m.users == 3
    assert m.hit_rate == pytest.approx(1.0)
    assert m.ndcg == pytest.approx((1 + 2 / math.log2(3)) / 3)
    # top 2 lists: {1, 2}, {0, 2}, {3, 1} -> all 4 items
    assert m.coverage == pytest.approx(1.0)
    m1 = rank_metrics(_fixed_scorer(scores), train, held, query, k=1)
    assert m1.hit_rate == pytest.approx(1 / 3)
    assert m1.ndcg == pytest.approx(1 / 3)
    assert m1.coverage == pytest.approx(3 / 4)  # {1}, {0}, {3}


def test_metrics_skip_unevaluated_users_and_unknown_items():
    # item 0 has no training interaction: it is never recommended, even with the best score
    train = _dataset([(0, 1, 1), (1, 2, 1), (1, 3, 2)], num_items=4)
    scores = np.tile([1.0, 0.0, 0.5, 0.4], (4, 1))
    m = rank_metrics(_fixed_scorer(scores), train, np.array([0, 2]), np.array([1, 2]), k=1)
    assert m.users == 2
    assert m.hit_rate == 0.0  # user 0's held item 0 is unknown; user 1 already has item 2
    assert m.coverage == pytest.approx(2 / 4)  # user 0 -> item 2, user 1 -> item 1
    # k larger than what is left to recommend: excluded and unknown items do not fill the lists
    m = rank_metrics(_fixed_scorer(scores), train, np.array([0, 2]), np.array([1, 2]), k=3)
    assert m.coverage == pytest.approx(3 / 4)  # user 0 -> items 2, 3; user 1 -> item 1; never item 0
    m = rank_metrics(_fixed_scorer(scores), train, np.array([2, -1]), np.array([1, -1]), k=1)
    assert m.users == 1 and m.hit_rate == 1.0


def test_ties_rank_lower_item_index_first():
    train = _dataset([(0, 0, 0), (1, 1, 0), (1, 2, 0), (1, 3, 0)])  # every item known
    flat = np.zeros((4, 4))
    # user 0 has only item 0; items 1, 2, 3 tie: item 1 is first, item 2 second
    assert rank_metrics(_fixed_scorer(flat), train, np.array([2, -1]), np.array([0, -1]), k=1).hit_rate == 0.0
    assert rank_metrics(_fixed_scorer(flat), train, np.array([2, -1]), np.array([0, -1]), k=2).hit_rate == 1.0
    assert rank_metrics(_fixed_scorer(flat), train, np.array([1, -1]), np.array([0, -1]), k=1).hit_rate == 1.0


def test_itemknn_is_cosine_of_binary_item_rows():
    # item 0: users 0, 1; item 1: user 0 (rated twice: still binary); item 2: users 1, 2
    train = _dataset([(0, 0, 1), (1, 0, 1), (0, 1, 1), (0, 1, 2), (1, 2, 1), (2, 2, 1)])
    sims = itemknn_scorer(train)(np.array([0, 1, 2]))
    expected = [[1, 1 / math.sqrt(2), 1 / 2], [1 / math.sqrt(2), 1, 0], [1 / 2, 0, 1]]
    np.testing.assert_allclose(sims, expected, atol=1e-12)


def test_popularity_counts_training_interactions():
    train = _dataset([(0, 2, 1), (1, 2, 1), (1, 0, 1)], num_items=3)
    np.testing.assert_array_equal(popularity_scorer(train)(np.array([0, 1])), [[1, 0, 2], [1, 0, 2]])


# ---------------------------------------------------------------- sentence variants (embedding.order, min_rating)


def test_prepare_sentences_min_rating_drops_low_rated_tokens():
    from site_builder.model.embeddings import build_sentences, prepare_sentences

    # item 0: users 0 (rated 5), 1 (2), 2 (4); item 1: user 1 (1)
    data = _dataset([(0, 0, 1, 5.0), (1, 0, 2, 2.0), (2, 0, 3, 4.0), (1, 1, 4, 1.0)])
    sentences = build_sentences(data, "items")
    assert prepare_sentences(sentences, EmbeddingSettings()) is sentences  # the defaults change nothing
    kept = prepare_sentences(sentences, EmbeddingSettings(min_rating=4))
    assert kept.tokens.tolist() == [0, 2] and kept.offsets.tolist() == [0, 2, 2]
    assert kept.ratings.tolist() == [5.0, 4.0]


def test_shuffled_draws_a_new_order_within_each_sentence():
    from site_builder.model.embeddings import build_sentences, shuffled

    rows = [(user, item, 10 * item + user) for item in range(3) for user in range(20)]
    sentences = build_sentences(_dataset(rows), "items")
    rng = np.random.default_rng(7)
    first, second = shuffled(sentences, rng), shuffled(sentences, rng)  # two epochs
    again = shuffled(sentences, np.random.default_rng(7))
    assert first.offsets.tolist() == second.offsets.tolist() == sentences.offsets.tolist()
    for point in range(3):
        piece = slice(int(sentences.offsets[point]), int(sentences.offsets[point + 1]))
        assert sorted(first.tokens[piece].tolist()) == sentences.tokens[piece].tolist() == list(range(20))
        assert first.tokens[piece].tolist() != sentences.tokens[piece].tolist()
    assert first.tokens.tolist() != second.tokens.tolist()  # every epoch its own order
    assert first.tokens.tolist() == again.tokens.tolist()  # the same seed, the same orders


# ---------------------------------------------------------------- config and CLI


def test_evaluate_needs_a_portal_of_items():
    config = load_config(DEMO_CONTENT)
    assert find_portal(config, None).name == "movies"
    with pytest.raises(BuildError, match="points: items"):
        find_portal(config, "users")
    with pytest.raises(BuildError, match='no portal named "movie"'):
        find_portal(config, "movie")


def test_cli_rejects_a_portal_of_users_in_one_line():
    from click.testing import CliRunner

    from site_builder.commands.cli import main

    result = CliRunner().invoke(main, ["evaluate", "--content", str(DEMO_CONTENT), "--portal", "users"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "points: items" in result.output


# ---------------------------------------------------------------- the demo's figures (seeded)

# The shipped defaults, chosen on the validation split (docs/evaluation.md): the earlier
# defaults with window 3 and 60 epochs.
CHOSEN = {
    "word2vec": {
        "vector_size": 100,
        "window": 3,
        "epochs": 40,
        "sg": 1,
        "min_count": 1,
        "negative": 5,
        "ns_exponent": 0.75,
        "sample": 0.001,
        "alpha": 0.025,
        "seed": 42,
        "workers": 1,
    },
    "sentence": {"model": "usif", "components": None},
    "order": "time",
    "min_rating": None,
}
# Measured on the test split with CHOSEN (seed 42, workers 1): 150 hits of 943 users.
PINNED_HIT_RATE = 0.1591
PINNED_ITEMKNN = 0.1559  # 147 of 943: no training involved, so exact
PINNED_POPULARITY = 0.0859  # 81 of 943


def _resolved(settings: EmbeddingSettings, sentences) -> dict:
    """The settings with the `auto` values worked out for these sentences, as training does."""
    from site_builder.model.embeddings import resolve_order, resolve_word2vec

    order, _ = resolve_order(settings, sentences)
    return {
        **settings.model_dump(),
        "order": order,
        "word2vec": resolve_word2vec(settings, len(sentences.tokens), order, sentences.vocabulary),
    }


def test_shipped_defaults_are_the_chosen_settings():
    from site_builder.model.embeddings import build_sentences

    chosen = EmbeddingSettings.model_validate(CHOSEN).model_dump()
    config = load_config(DEMO_CONTENT)
    movies = next(portal for portal in config.portals if portal.name == "movies")
    dataset = load_dataset(
        "movielens-100k", config.datasets["movielens-100k"], DEMO_CONTENT / "datasets" / "movielens-100k"
    )
    # on MovieLens 100K the time order tells something (order: auto keeps it), and there the defaults'
    # `auto` values and the demo's movies portal both train the chosen settings, on the whole data
    # and on the test split's training part
    for data in (dataset, split(dataset, validation=False)[0]):
        sentences = build_sentences(data, "items")
        assert _resolved(EmbeddingSettings(), sentences) == chosen
        assert _resolved(movies.embedding, sentences) == chosen


@pytest.fixture(scope="module")
def demo_report(demo_site):
    """`portals evaluate` on the demo's movies portal (whose settings are CHOSEN, see above), with the
    cache of the session's demo build: the vectors its show_evaluation trained are reused."""
    config = load_config(DEMO_CONTENT)
    start = time.perf_counter()
    report = evaluate_portal(config, "movies", split="test", cache_dir=demo_site.parent / "cache")
    return report, time.perf_counter() - start


def test_demo_figures_on_the_test_split(demo_report):
    report, seconds = demo_report
    method, popularity, knn = report.row("method"), report.row("popularity"), report.row("ItemKNN")
    assert method.users == popularity.users == knn.users == 943
    assert knn.hit_rate == pytest.approx(PINNED_ITEMKNN, abs=0.0006)
    assert popularity.hit_rate == pytest.approx(PINNED_POPULARITY, abs=0.0006)
    assert method.hit_rate == pytest.approx(PINNED_HIT_RATE, abs=0.005)
    # measured 1.02 x ItemKNN: level with it, not the 1.1 x the issue asked for (see the next test)
    assert method.hit_rate >= knn.hit_rate
    assert method.coverage >= 0.5
    assert method.hit_rate > 1.5 * popularity.hit_rate
    assert seconds < 60
    assert [row["name"] for row in report.as_dict()["methods"]] == ["method", "popularity", "ItemKNN"]


def test_the_movies_page_ships_the_pinned_figures(demo_report, demo_site):
    """The figures on the About panel are the ones `portals evaluate` gives, so the pins above hold for them."""
    report, _ = demo_report
    shipped = json.loads((demo_site / "movies" / "recommend.json").read_text(encoding="utf-8"))["evaluation"]
    assert {row["name"]: row["hit_rate"] for row in shipped["methods"]} == {
        row.name: round(row.hit_rate, 4) for row in report.rows
    }


@pytest.mark.xfail(
    strict=True,
    reason="target not reached: the best setting found on the validation split "
    "gives 1.02 x ItemKNN on the test split (docs/evaluation.md)",
)
def test_demo_reaches_the_target_of_1_1_times_itemknn(demo_report):
    report, _ = demo_report
    assert report.row("method").hit_rate >= 1.1 * report.row("ItemKNN").hit_rate

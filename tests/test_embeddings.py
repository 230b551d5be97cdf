"""Stage 3: sentences, long-sentence handling, determinism and caching."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import TINY_MOVIES, TINY_RATINGS, TINY_USERS, write_movielens

from site_builder.cache import Cache
from site_builder.config import DatasetConfig, EmbeddingSettings
from site_builder.data.datasets import load_dataset
from site_builder.model.embeddings import (
    MAX_TOKENS,
    Sentences,
    build_sentences,
    point_vectors,
    sentence_vectors,
    train_token_vectors,
)


def _settings(model="usif", **w2v):
    return EmbeddingSettings.model_validate(
        {"word2vec": {"vector_size": 16, "epochs": 3, **w2v}, "sentence": {"model": model}}
    )


def test_sentences_are_the_other_side_in_time_order(tmp_path):
    data = load_dataset(
        "t",
        DatasetConfig(format="movielens-csv", path=write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS)),
    )
    items = build_sentences(data, "items")
    user_ids = data.users["id"].to_numpy()
    movie_10 = int(np.flatnonzero(data.items["id"].to_numpy() == 10)[0])
    tokens = items.tokens[items.offsets[movie_10] : items.offsets[movie_10 + 1]]
    assert user_ids[tokens].tolist() == [1, 2, 3]  # rated at t=100, 102, 106
    users = build_sentences(data, "users")
    user_3 = int(np.flatnonzero(user_ids == 3)[0])
    tokens = users.tokens[users.offsets[user_3] : users.offsets[user_3 + 1]]
    assert data.items["id"].to_numpy()[tokens].tolist() == [20, 30, 10]


def _long_corpus(tail_token: int) -> Sentences:
    """Point 0: 25,000 tokens whose last 5,000 are `tail_token`; points 1..: short sentences."""
    rng = np.random.default_rng(0)
    head = rng.integers(0, 10, size=20_000)
    long_sentence = np.concatenate([head, np.full(5_000, tail_token)])
    short = [rng.integers(0, 12, size=30) for _ in range(40)]
    # make sure tokens 10 and 11 also occur elsewhere so both are in the vocabulary
    short.append(np.array([10, 11] * 10))
    pieces = [long_sentence, *short]
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    return Sentences(tokens=np.concatenate(pieces).astype(np.int32), offsets=offsets, num_tokens=12)


def test_long_sentence_vector_is_the_average_of_all_its_tokens():
    sentences = _long_corpus(tail_token=10)
    assert sentences.offsets[1] == 25_000 > MAX_TOKENS
    settings = _settings(model="average")
    model = train_token_vectors(sentences, settings)
    vectors = sentence_vectors(sentences, model, settings)
    tokens = sentences.tokens[:25_000]
    expected_all = np.mean([model.wv[str(t)] for t in tokens], axis=0)
    expected_first_10k = np.mean([model.wv[str(t)] for t in tokens[:MAX_TOKENS]], axis=0)
    # fse sums in float32: 10,000 terms leave about 1e-4 of rounding
    np.testing.assert_allclose(vectors[0], expected_all, atol=5e-4)
    assert np.abs(vectors[0] - expected_first_10k).max() > 2e-2


def test_long_sentence_depends_on_its_last_tokens_with_usif():
    settings = _settings(model="usif")
    corpus_a, corpus_b = _long_corpus(10), _long_corpus(11)
    model = train_token_vectors(corpus_a, settings)  # same token vectors for both
    a = sentence_vectors(corpus_a, model, settings)[0]
    b = sentence_vectors(corpus_b, model, settings)[0]
    assert np.abs(a - b).max() > 1e-3  # tokens 20,001..25,000 changed the vector


@pytest.mark.parametrize("from_file", [False, True])
def test_the_vocabulary_from_counts_is_the_one_gensim_scans(tmp_path, from_file):
    """Same words, counts, order, down-sampling, noise table, starting vectors and corpus size as
    build_vocab over the very chunks that training reads (a text file with several workers)."""
    from gensim.models import Word2Vec

    from site_builder.model import embeddings

    rng = np.random.default_rng(5)
    lengths = rng.integers(0, 30_000, 12)
    lengths[3] = 0  # a point without interactions
    tokens = (rng.zipf(1.6, lengths.sum()) % 500).astype(np.int32)  # ties in counts, unseen ids
    sentences = Sentences(tokens=tokens, offsets=np.concatenate([[0], np.cumsum(lengths)]), num_tokens=520)
    corpus = embeddings._Corpus(tmp_path / "corpus.txt" if from_file else None)
    settings = {"vector_size": 8, "min_count": 1, "sample": 1e-3, "seed": 7}
    scanned, counted = Word2Vec(**settings), Word2Vec(**settings)
    scanned.build_vocab(**corpus.of(sentences))
    embeddings._build_vocab(counted, sentences)

    def state(model):
        return (
            model.wv.index_to_key,
            model.wv.expandos["count"].tolist(),
            model.wv.expandos["sample_int"].tolist(),
            model.cum_table.tolist(),
            model.wv.vectors.tolist(),
            model.corpus_count,
            model.corpus_total_words,
        )

    assert state(counted) == state(scanned)
    assert counted.corpus_count > len(lengths)  # long sentences are several chunks


@pytest.mark.parametrize("workers", [1, 2])  # 2: gensim's corpus_file mode
def test_word2vec_trains_tokens_beyond_position_10000(workers):
    from gensim.models import Word2Vec

    sentences = _long_corpus(10)
    # token 11 is in the vocabulary; token 10 now occurs only after position 20,000 of point 0
    tokens = sentences.tokens.copy()
    tokens[sentences.offsets[-2] :] = 11
    sentences = Sentences(tokens=tokens, offsets=sentences.offsets, num_tokens=12)
    settings = _settings(sample=0, workers=workers)
    trained = train_token_vectors(sentences, settings).wv["10"]
    untrained = Word2Vec(vector_size=16, seed=42, min_count=1)
    untrained.build_vocab([[str(t) for t in tokens]])
    assert np.abs(trained - untrained.wv["10"]).max() > 1e-3


def test_same_input_and_seed_give_identical_vectors_and_cache_hits(tmp_path):
    sentences = _long_corpus(10)
    settings = _settings(model="sif")
    first, cached_first = point_vectors(sentences, settings, Cache(tmp_path / "a"))
    second, _ = point_vectors(sentences, settings, Cache(tmp_path / "b"))
    assert not cached_first
    np.testing.assert_array_equal(first, second)
    again, cached = point_vectors(sentences, settings, Cache(tmp_path / "a"))
    assert cached
    np.testing.assert_array_equal(first, again)
    other, cached_other = point_vectors(sentences, _settings(model="sif", seed=7), Cache(tmp_path / "a"))
    assert not cached_other and not np.array_equal(first, other)


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    sentences = _long_corpus(10)
    settings = _settings(model="average")
    cache = Cache(tmp_path)
    trainings = []  # what only a training needs (the build starts its second process there)
    vectors, _ = point_vectors(sentences, settings, cache, lambda: trainings.append(1))
    assert trainings == [1]
    point_vectors(sentences, settings, cache, lambda: trainings.append(2))
    assert trainings == [1]  # found in the cache: nothing started
    for entry in (tmp_path / "vectors").glob("*.npy"):
        entry.write_bytes(b"garbage")
    again, cached = point_vectors(sentences, settings, cache, lambda: trainings.append(3))
    assert not cached and trainings == [1, 3]  # a damaged entry is trained again, and says so first
    np.testing.assert_array_equal(vectors, again)


def test_identical_vectors_across_processes_and_hash_seeds():
    import os
    import subprocess
    import sys

    from conftest import REPO

    script = (
        "import hashlib, sys; sys.path.insert(0, 'tests');"
        "from test_embeddings import _long_corpus, _settings;"
        "from site_builder.model.embeddings import train_point_vectors;"
        "print(hashlib.sha256(train_point_vectors(_long_corpus(10), _settings()).tobytes()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_parallel_training_learns_the_same_structure():
    """Two groups of tokens that only co-occur within their group: with several workers (the
    corpus_file path) as with one, a token is closer to its own group than to the other."""
    rng = np.random.default_rng(1)
    pieces = [rng.integers(0, 20, size=40) + 20 * (number % 2) for number in range(400)]
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    sentences = Sentences(tokens=np.concatenate(pieces).astype(np.int32), offsets=offsets, num_tokens=40)
    for workers in (1, 2):
        wv = train_token_vectors(sentences, _settings(workers=workers, epochs=5)).wv
        unit = np.array([wv[str(t)] / np.linalg.norm(wv[str(t)]) for t in range(40)])
        similarity = unit @ unit.T
        same = np.add.outer(np.arange(40) // 20, np.arange(40) // 20) % 2 == 0
        np.fill_diagonal(similarity, np.nan)
        assert np.nanmean(similarity[same]) > np.nanmean(similarity[~same]) + 0.3, workers


# ---------------------------------------------------------------- order: auto


def test_the_order_check_tells_a_telling_time_order_from_one_that_says_nothing(tmp_path):
    from conftest import DEMO_CONTENT

    from site_builder.data.synthetic import Shape, generate
    from site_builder.model.embeddings import check_order, shuffled

    # MovieLens 100K: users who rated a movie one after the other are more alike than any two of its raters
    demo = load_dataset(
        "m", DatasetConfig(format="movielens-csv", path=str(DEMO_CONTENT / "datasets" / "movielens-100k"))
    )
    movies = build_sentences(demo, "items")
    assert check_order(movies).order == "time"
    # the same sentences with their order drawn at random tell nothing
    assert check_order(shuffled(movies, np.random.default_rng(0))).order == "shuffled"
    # generated data: tastes with eras make the items' time order tell; without them it says nothing
    for eras, expected in ((True, "time"), (False, "shuffled")):
        folder = tmp_path / str(eras)
        generate(folder, 200_000, seed=1, shape=Shape(time_taste=eras))
        data = load_dataset("g", DatasetConfig(format="movielens-csv", path=str(folder)))
        check = check_order(build_sentences(data, "items"))
        assert check.order == expected, check.describe()
    assert check_order(build_sentences(data, "users")).order == "shuffled"  # a user's items come in no order
    # a scrobble file: each interaction played 1 to 6 times in a row; copies next to each other are no order
    rng = np.random.default_rng(3)
    plays = rng.integers(1, 7, data.num_interactions)
    rows = np.repeat(np.arange(data.num_interactions), plays)
    scrobbles = dataclasses.replace(
        data,
        user_index=data.user_index[rows],
        item_index=data.item_index[rows],
        rating=data.rating[rows],
        timestamp=data.timestamp[rows],
    )
    check = check_order(build_sentences(scrobbles, "items"))
    assert check.order == "shuffled", check.describe()


def test_order_auto_says_what_it_chose_and_why(tmp_path, caplog):
    data = load_dataset(
        "t",
        DatasetConfig(format="movielens-csv", path=write_movielens(tmp_path, TINY_RATINGS, TINY_MOVIES, TINY_USERS)),
    )
    with caplog.at_level("INFO", logger="site_builder"):
        train_token_vectors(build_sentences(data, "items"), _settings())
    chosen = [r.getMessage() for r in caplog.records if r.getMessage().strip().startswith("order: ")]
    assert len(chosen) == 1 and "the time order tells" in chosen[0] and "x as alike" in chosen[0]
    caplog.clear()
    with caplog.at_level("INFO", logger="site_builder"):
        train_token_vectors(build_sentences(data, "items"), EmbeddingSettings(order="time"))
    assert not [r for r in caplog.records if r.getMessage().strip().startswith("order: ")]  # nothing to choose
    assert any("in time order" in r.getMessage() for r in caplog.records)


def test_shuffled_training_is_reproducible_and_differs_from_the_time_order():
    from site_builder.model.embeddings import train_point_vectors

    rng = np.random.default_rng(3)
    sentences = Sentences(
        tokens=rng.integers(0, 40, 50 * 30).astype(np.int32), offsets=np.arange(0, 50 * 30 + 1, 30), num_tokens=40
    )
    word2vec = {"vector_size": 8, "sg": 1, "window": 2, "epochs": 3}
    shuffled = EmbeddingSettings.model_validate({"order": "shuffled", "word2vec": word2vec})
    first = train_point_vectors(sentences, shuffled)
    assert np.array_equal(first, train_point_vectors(sentences, shuffled))  # seeded: one worker, the same bits
    in_time = EmbeddingSettings.model_validate({"order": "time", "word2vec": word2vec})
    assert not np.allclose(first, train_point_vectors(sentences, in_time), atol=1e-3)

"""The article's method, made explicit.

Each point (an item, or a user) is a "sentence" of the ids on the other side
of its interactions, in time order. gensim Word2Vec learns one vector per
token (per id on the other side); fse (uSIF by default, SIF and Average
available) turns each point's sentence into the point's vector.

Long sentences: gensim trains on at most the first 10,000 tokens of a
sentence and fse averages at most the first 10,000, silently. So every
sentence is cut into chunks of at most MAX_TOKENS tokens: Word2Vec trains on
the chunks (only the context windows across a cut are lost), fse averages each
chunk, and the point's vector is the mean of its chunks weighted by their
token counts, which equals the weighted average over the whole sentence.
The common-component removal of SIF/uSIF then runs once, on the point
vectors, with fse's own functions, exactly as fse does after training.

Order (`order`, default `auto`): Word2Vec learns from tokens near each other
in a sentence. Where the time order tells something (users who rated a movie
one after the other are more alike than any two of its raters, as on
MovieLens 100K), the article's skip-gram over a short window uses it. Where
it tells nothing, a short window over a fixed order shows Word2Vec the same
few neighbours of each token in every epoch, and more epochs only learn
those by heart; there each epoch trains on a fresh shuffle, and CBOW over
the whole sentence (a window longer than most sentences) learns each token
from all its sentence. `auto` measures which case the data is (check_order)
and says in the log what it chose and why. Measurements: docs/evaluation.md.

`min_rating` (applied by prepare_sentences) leaves out interactions rated
below it; off by default, as it measured no better on MovieLens 100K.

Corpus size: `window`, `sg`, `epochs`, `sample`, `alpha` and `workers` may be
`auto` (the default), and resolve_word2vec then chooses them from the order
and the number of tokens, by the PROFILES:
- epochs: as many as give about `token_passes` token updates in all, within
  the profile's bounds (in time order: 60 epochs at 100,000 tokens, the demo's
  tuned value, 6 at 1 million, 3 from 2 million on; shuffled: 60, 20 at 1
  million, 3 from 7 million on);
- sample (down-sampling of frequent tokens), at most 0.001 (gensim's
  default): in time order `sample_count` / tokens, so a token is down-sampled
  once it occurs more than about 1,000 times: the heaviest users of a large
  catalogue stop dominating training time; shuffled `sample_share` /
  vocabulary, so a token is down-sampled once it occurs more often than the
  average token does: CBOW over the whole sentence then learned the tastes
  far better (half or twice that threshold did worse);
- alpha: shuffled, 0.05 at 20 epochs and more, growing as 1 / sqrt(epochs)
  below that, to 0.1: CBOW's tokens learn a share of each update, and with
  few epochs they did not move far enough from where they started;
- workers: 1 below AUTO_PARALLEL_TOKENS tokens (training takes seconds, and
  one worker gives bit-identical rebuilds), every core above.

Determinism: with workers = 1 the same sentences, settings and seed give the
same vectors, bit for bit; with more workers they differ slightly per build.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from site_builder.cache import ARRAY, Cache, Kind
from site_builder.config import EmbeddingSettings, PortalConfig
from site_builder.data.dataset import Dataset

log = logging.getLogger(__name__)

MAX_TOKENS = 10_000  # gensim's and fse's per-sentence limit


# The `auto` rules of resolve_word2vec (see the module docstring).
@dataclass(frozen=True)
class Profile:
    """The `auto` Word2Vec settings for one order of the sentences (see the module docstring)."""

    sg: int
    window: int
    token_passes: int  # epochs: about this many token updates in all...
    # sample: a token is down-sampled once it occurs more than about `sample_count` times, or than
    # `sample_share` times the average token (one of the two)
    sample_count: int | None
    sample_share: float | None
    alpha: float  # the learning rate at `alpha_epochs` epochs...
    alpha_epochs: int | None = None  # ...growing as 1 / sqrt(epochs) below them (None: the same for any)
    max_alpha: float = 0.1
    min_epochs: int = 3  # ...but at least this many epochs
    max_epochs: int = 60  # ...and at most this many


PROFILES = {
    # the article's skip-gram over a short window, where neighbours in time are alike
    "time": Profile(
        sg=1,
        window=3,
        token_passes=6_000_000,
        sample_count=1_000,
        sample_share=None,
        alpha=0.025,
        # on MovieLens 100K (100,000 tokens) 40 epochs were as good as 60 on the validation split,
        # over three seeds, in two thirds of the time (docs/evaluation.md)
        max_epochs=40,
    ),
    # where the order says nothing: CBOW over the whole sentence (a window longer than most
    # sentences), each epoch on a fresh shuffle, at a rate that makes up for fewer epochs
    "shuffled": Profile(
        sg=0,
        window=200,
        token_passes=20_000_000,
        sample_count=None,
        sample_share=1.0,
        alpha=0.05,
        alpha_epochs=20,
    ),
}
AUTO_MAX_SAMPLE = 0.001
AUTO_PARALLEL_TOKENS = 1_000_000
# `order: auto` keeps the time order when neighbours in time are this much more alike, surely
TIME_ORDER_LIFT, TIME_ORDER_Z = 1.01, 4.0
ORDER_CHECK_PAIRS = 100_000
ORDER_CHECK_DIMENSIONS = 64
DEFAULT_COMPONENTS = {"sif": 1, "usif": 5, "average": 0}


@dataclass
class Sentences:
    """Point i's tokens are tokens[offsets[i]:offsets[i + 1]], in time order."""

    tokens: np.ndarray  # int32 indices into the other side's table
    offsets: np.ndarray  # int64, length num_points + 1
    num_tokens: int  # size of the token vocabulary (rows of the other side)
    ratings: np.ndarray | None = None  # float32, one per token, when known (for `min_rating`)

    @property
    def num_points(self) -> int:
        return len(self.offsets) - 1

    @property
    def vocabulary(self) -> int:
        """How many distinct tokens occur."""
        return int(np.count_nonzero(np.bincount(self.tokens, minlength=self.num_tokens)))

    @property
    def num_chunks(self) -> int:
        """How many pieces `chunks` gives."""
        return int(np.sum(-(-np.diff(self.offsets) // MAX_TOKENS)))

    def chunks(self):
        """(point, start, end) for every piece of at most MAX_TOKENS tokens."""
        for point in range(self.num_points):
            start, end = int(self.offsets[point]), int(self.offsets[point + 1])
            for chunk_start in range(start, end, MAX_TOKENS):
                yield point, chunk_start, min(chunk_start + MAX_TOKENS, end)


def build_sentences(dataset: Dataset, points: str) -> Sentences:
    """Group the interactions by point and order each group by time (ties by token)."""
    point, token = dataset.indices(points)
    num_points, num_tokens = len(dataset.side(points)), len(dataset.other_side(points))
    order = np.lexsort((token, dataset.timestamp, point))
    counts = np.bincount(point, minlength=num_points)
    offsets = np.zeros(num_points + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Sentences(
        tokens=token[order].astype(np.int32),
        offsets=offsets,
        num_tokens=num_tokens,
        ratings=np.asarray(dataset.rating, dtype=np.float32)[order],
    )


def prepare_sentences(sentences: Sentences, settings: EmbeddingSettings) -> Sentences:
    """Apply `min_rating`: leave out the tokens rated below it."""
    tokens, offsets, ratings = sentences.tokens, sentences.offsets, sentences.ratings
    if settings.min_rating is None or ratings is None:
        return sentences
    point = np.repeat(np.arange(sentences.num_points), np.diff(offsets))
    keep = ratings >= settings.min_rating
    offsets = np.zeros_like(offsets)
    np.cumsum(np.bincount(point[keep], minlength=sentences.num_points), out=offsets[1:])
    return Sentences(tokens=tokens[keep], offsets=offsets, num_tokens=sentences.num_tokens, ratings=ratings[keep])


def shuffled(sentences: Sentences, rng: np.random.Generator) -> Sentences:
    """The same sentences with the tokens of each in a random order (one of `rng`'s draws)."""
    point = np.repeat(np.arange(sentences.num_points, dtype=np.float64), np.diff(sentences.offsets))
    # by point, then by a random key in [0, 1): one float sort instead of a two-key lexsort
    order = np.argsort(point + rng.random(len(point)), kind="stable")
    return Sentences(tokens=sentences.tokens[order], offsets=sentences.offsets, num_tokens=sentences.num_tokens)


@dataclass(frozen=True)
class OrderCheck:
    """Whether the time order of the sentences tells something: how much more alike (cosine of
    their interactions elsewhere) tokens next to each other in time are than two tokens of the
    same sentence, and how sure that is (the difference over its standard error)."""

    neighbours: float  # mean similarity of a token and the next one in time
    anywhere: float  # mean similarity of the same token and one of its sentence drawn at random
    z: float  # the difference of the two, in standard errors of the paired differences
    pairs: int

    @property
    def lift(self) -> float:
        return self.neighbours / self.anywhere if self.anywhere > 0 else 1.0

    @property
    def order(self) -> str:
        return "time" if self.lift >= TIME_ORDER_LIFT and self.z >= TIME_ORDER_Z else "shuffled"

    def describe(self) -> str:
        verdict = "tells something" if self.order == "time" else "tells nothing"
        return (
            f"{verdict}: tokens next to each other in time are {self.lift:.3f} x as alike as two of the same "
            f"sentence ({self.z:.1f} standard errors, {self.pairs:,} pairs; kept from {TIME_ORDER_LIFT:g} x "
            f"and {TIME_ORDER_Z:g})"
        )


def without_adjacent_copies(sentences: Sentences) -> Sentences:
    """The sentences with each run of one token kept once (a scrobble file's plays of one item by one
    user, in a row): copies of a token next to each other say nothing of the order between tokens."""
    tokens, offsets = sentences.tokens, sentences.offsets
    lengths = np.diff(offsets)
    keep = np.ones(len(tokens), dtype=bool)
    keep[1:] = tokens[1:] != tokens[:-1]
    keep[offsets[:-1][lengths > 0]] = True  # a sentence's first token, whatever the last one's was
    if keep.all():
        return sentences
    point = np.repeat(np.arange(sentences.num_points), lengths)
    kept = np.zeros_like(offsets)
    np.cumsum(np.bincount(point[keep], minlength=sentences.num_points), out=kept[1:])
    return Sentences(tokens=tokens[keep], offsets=kept, num_tokens=sentences.num_tokens)


def check_order(sentences: Sentences, pairs: int = ORDER_CHECK_PAIRS, seed: int = 0) -> OrderCheck:
    """Measure whether neighbours in time are more alike than any two tokens of a sentence.

    For `pairs` token positions drawn at random (each with a next token in its sentence), the
    similarity of the token and its next is compared with that of the token and another token of
    the same sentence drawn at random. Copies of a token are left out of both: runs of one token
    count once (without_adjacent_copies), and a pair whose random token is the token itself is
    not counted. A token's similarity with another is the cosine between
    the points they both occur in, leaving out the sentence they were drawn from, estimated with
    a seeded random projection of ORDER_CHECK_DIMENSIONS dimensions (exact on average).
    """
    rng = np.random.default_rng(seed)
    sentences = without_adjacent_copies(sentences)
    lengths = np.diff(sentences.offsets)
    point_of = np.repeat(np.arange(sentences.num_points, dtype=np.int32), lengths)
    has_next = np.ones(len(sentences.tokens), dtype=bool)
    has_next[sentences.offsets[1:][lengths > 0] - 1] = False  # the last token of each sentence
    candidates = np.flatnonzero(has_next)
    if len(candidates) == 0:
        return OrderCheck(0.0, 0.0, 0.0, 0)
    where = np.sort(rng.choice(candidates, size=min(pairs, len(candidates)), replace=False))
    point = point_of[where]
    start, length = sentences.offsets[point], lengths[point]
    other = start + (where - start + 1 + rng.integers(0, length - 1)) % length  # any but the token itself
    # tokens x points, each row scaled to length 1, projected on random directions
    counts = np.bincount(sentences.tokens, minlength=sentences.num_tokens).astype(np.float64)
    scale = np.divide(1.0, np.sqrt(counts), out=np.zeros_like(counts), where=counts > 0)
    directions = rng.standard_normal((sentences.num_points, ORDER_CHECK_DIMENSIONS)) / np.sqrt(ORDER_CHECK_DIMENSIONS)
    occurrences = sp.csr_matrix(
        (np.ones(len(sentences.tokens), dtype=np.float32), (sentences.tokens, point_of)),
        shape=(sentences.num_tokens, sentences.num_points),
    )
    sketch = (occurrences @ directions) * scale[:, None]

    def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        shared = np.einsum("ij,ij->i", directions[point], directions[point]) * scale[a] * scale[b]
        return np.einsum("ij,ij->i", sketch[a], sketch[b]) - shared  # without the sentence itself

    token = sentences.tokens[where]
    distinct = token != sentences.tokens[other]  # the same token elsewhere in the sentence: a copy
    if not distinct.any():
        return OrderCheck(0.0, 0.0, 0.0, 0)
    point, token, where, other = point[distinct], token[distinct], where[distinct], other[distinct]
    neighbours = similarity(token, sentences.tokens[where + 1])
    anywhere = similarity(token, sentences.tokens[other])
    difference = neighbours - anywhere
    spread = difference.std() / np.sqrt(len(difference)) if len(difference) > 1 else 0.0
    return OrderCheck(
        neighbours=float(neighbours.mean()),
        anywhere=float(anywhere.mean()),
        z=float(difference.mean() / spread) if spread > 0 else 0.0,
        pairs=len(where),
    )


class _TokenChunks:
    """Re-iterable corpus of token-string lists, one per chunk (gensim and fse read it several times)."""

    def __init__(self, sentences: Sentences, with_index: bool):
        self.sentences = sentences
        self.with_index = with_index
        # One string per token id, made once; chunks are lists of references to them.
        self.words = np.array([str(i) for i in range(sentences.num_tokens)], dtype=object)

    def __iter__(self):
        for number, (_, start, end) in enumerate(self.sentences.chunks()):
            words = self.words[self.sentences.tokens[start:end]].tolist()
            yield (words, number) if self.with_index else words


VECTORS = Kind("vectors", "point-vectors-v2", ("gensim", "fse", "numpy"))


def config_inputs(portal: PortalConfig) -> list:
    """What a portal's vectors are made of, besides its dataset: the key of the deploy cache. The
    evaluation stores the vectors of its training split in the same folder."""
    return [portal.points, portal.embedding.model_dump(), MAX_TOKENS, portal.recommendations.show_evaluation]


def vectors_key(prepared: Sentences, settings: EmbeddingSettings) -> str:
    """Key of the vectors: settings, library versions and the sentences as prepare_sentences left them."""
    return VECTORS.key(
        settings.model_dump(), MAX_TOKENS, prepared.tokens.tobytes(), prepared.offsets.tobytes(), prepared.num_tokens
    )


def point_vectors(
    sentences: Sentences,
    settings: EmbeddingSettings,
    cache: Cache | None = None,
    before_training: Callable[[], object] | None = None,
) -> tuple[np.ndarray, bool]:
    """The (num_points, vector_size) float32 matrix, and whether it came from the cache.
    `before_training` is called when the vectors are to be trained (not in the cache, or their
    entry is damaged), just before: what only a training needs can start then."""
    prepared = prepare_sentences(sentences, settings)

    def train() -> np.ndarray:
        if before_training is not None:
            before_training()
        return _train_prepared(prepared, settings)

    if cache is None:
        return train(), False
    shape = (prepared.num_points, settings.word2vec.vector_size)
    return cache.memo(
        VECTORS, vectors_key(prepared, settings), train, ARRAY, accept=lambda vectors: vectors.shape == shape
    )


def train_point_vectors(sentences: Sentences, settings: EmbeddingSettings) -> np.ndarray:
    """The vectors of point_vectors, trained without the cache."""
    return _train_prepared(prepare_sentences(sentences, settings), settings)


def _train_prepared(prepared: Sentences, settings: EmbeddingSettings) -> np.ndarray:
    return sentence_vectors(prepared, train_token_vectors(prepared, settings), settings)


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_order(settings: EmbeddingSettings, sentences: Sentences) -> tuple[str, OrderCheck | None]:
    """The order to train in, and the check that chose it when `order` is `auto` (logged, with why)."""
    if settings.order != "auto":
        return settings.order, None
    check = check_order(sentences)
    log.info("    order: %s; the time order %s", check.order, check.describe())
    return check.order, check


def with_order(settings: EmbeddingSettings, sentences: Sentences) -> EmbeddingSettings:
    """The settings with `order: auto` replaced by what the check chooses on these sentences as
    prepare_sentences leaves them, for a caller that needs the order before training (once)."""
    if settings.order != "auto":
        return settings
    order, _ = resolve_order(settings, prepare_sentences(sentences, settings))
    return settings.model_copy(update={"order": order})


def resolve_word2vec(settings: EmbeddingSettings, num_tokens: int, order: str, vocabulary: int) -> dict:
    """The Word2Vec settings with every `auto` replaced by its value for a corpus of num_tokens tokens
    (occurrences) of `vocabulary` distinct ones, in the given order (`time` or `shuffled`)."""
    w2v = settings.word2vec.model_dump()
    profile = PROFILES[order]
    tokens = max(1, num_tokens)
    for key in ("sg", "window"):
        if w2v[key] == "auto":
            w2v[key] = getattr(profile, key)
    if w2v["epochs"] == "auto":
        epochs = math.ceil(profile.token_passes / tokens)
        w2v["epochs"] = max(profile.min_epochs, min(profile.max_epochs, epochs))
    if w2v["alpha"] == "auto":
        alpha = profile.alpha
        if profile.alpha_epochs and w2v["epochs"] < profile.alpha_epochs:
            alpha = min(profile.max_alpha, alpha * math.sqrt(profile.alpha_epochs / w2v["epochs"]))
        w2v["alpha"] = float(f"{alpha:.3g}")
    if w2v["sample"] == "auto":
        # the threshold is sample x tokens occurrences; sample_share / vocabulary makes it sample_share x
        # the average occurrences of a token
        sample = profile.sample_share / max(1, vocabulary) if profile.sample_share else profile.sample_count / tokens
        w2v["sample"] = float(f"{min(AUTO_MAX_SAMPLE, sample):.3g}")
    if w2v["workers"] == "auto":
        w2v["workers"] = 1 if tokens < AUTO_PARALLEL_TOKENS else cores()
    return w2v


def train_token_vectors(sentences: Sentences, settings: EmbeddingSettings):
    """gensim Word2Vec over the chunked sentences; returns the trained model."""
    from gensim.models import Word2Vec

    order, _ = resolve_order(settings, sentences)
    w2v = resolve_word2vec(settings, len(sentences.tokens), order, sentences.vocabulary)
    keys = ("epochs", "window", "sample", "alpha", "workers")
    mark = {key: " (auto)" if getattr(settings.word2vec, key) == "auto" else "" for key in keys}
    log.info(
        "    Word2Vec: %s, %d epochs%s, window %d%s, %d dimensions, sample %g%s, alpha %g%s, %d worker(s)%s, "
        "on %s sentences of %s tokens, %s",
        "skip-gram" if w2v["sg"] else "CBOW",
        w2v["epochs"],
        mark["epochs"],
        w2v["window"],
        mark["window"],
        w2v["vector_size"],
        w2v["sample"],
        mark["sample"],
        w2v["alpha"],
        mark["alpha"],
        w2v["workers"],
        mark["workers"],
        f"{sentences.num_points:,}",
        f"{len(sentences.tokens):,}",
        "in time order" if order == "time" else "shuffled afresh each epoch",
    )
    epochs = w2v.pop("epochs")
    with (
        tqdm(
            total=epochs,
            desc="    Word2Vec epochs",
            unit="epoch",
            leave=False,
            disable=None if log.isEnabledFor(logging.INFO) else True,
        ) as bar,
        tempfile.TemporaryDirectory(prefix="portals-corpus-") as folder,
    ):
        model = Word2Vec(epochs=epochs, **w2v)
        # Several workers: gensim's corpus_file mode, where each worker reads its own part of a
        # text file in compiled code; fed from Python, skip-gram trained at half the speed on
        # 2 cores (one thread was busy handing out sentences).
        from_file = w2v["workers"] > 1
        corpus = _Corpus(Path(folder) / "corpus.txt" if from_file else None)
        _build_vocab(model, sentences)
        # One epoch per call, so that a shuffled order is drawn afresh for every epoch: a shuffle
        # kept for every epoch shows Word2Vec the same few neighbours of each token again and again.
        # The learning rate falls linearly over all epochs, as in a single call.
        rng = np.random.default_rng(w2v["seed"])
        first, step = model.alpha, (model.alpha - model.min_alpha) / epochs  # train() overwrites model.alpha
        for epoch in range(epochs):
            epoch_sentences = shuffled(sentences, rng) if order == "shuffled" else sentences
            model.train(
                **corpus.of(epoch_sentences),
                total_examples=model.corpus_count,
                total_words=model.corpus_total_words,
                epochs=1,
                start_alpha=first - step * epoch,
                end_alpha=first - step * (epoch + 1),
                callbacks=[_EpochProgress(bar)],
            )
        return model


def _build_vocab(model, sentences: Sentences) -> None:
    """What model.build_vocab would make of the sentences' chunks, from their token counts instead
    of a pass over the text (14 s for 32 million tokens): gensim's scan lists the words in the order
    they first occur, and sorts them by count from there, so the vocabulary, its order and hence
    the vectors are the very same."""
    tokens = sentences.tokens
    counts = np.bincount(tokens, minlength=sentences.num_tokens)
    in_order = pd.unique(tokens)  # in the order of their first occurrence
    words = {str(token): int(counts[token]) for token in in_order}
    model.build_vocab_from_freq(words, corpus_count=sentences.num_chunks)  # a chunk is a line of the corpus
    model.corpus_total_words = len(tokens)


class _Corpus:
    """gensim's corpus arguments for some sentences: an iterable, or a text file (rewritten each time)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.written: Sentences | None = None

    def of(self, sentences: Sentences) -> dict:
        if self.path is None:
            return {"corpus_iterable": _TokenChunks(sentences, with_index=False)}
        if self.written is not sentences:
            with open(self.path, "w", encoding="ascii") as handle:
                for words in _TokenChunks(sentences, with_index=False):
                    handle.write(" ".join(words))
                    handle.write("\n")
            self.written = sentences
        return {"corpus_file": str(self.path)}


class _EpochProgress:
    """gensim callback that advances a progress bar once per epoch."""

    def __init__(self, bar):
        self.bar = bar

    def on_epoch_end(self, model):
        self.bar.update(1)

    # the other hooks gensim calls
    def on_train_begin(self, model):
        pass

    def on_train_end(self, model):
        pass

    def on_epoch_begin(self, model):
        pass


def sentence_vectors(sentences: Sentences, word2vec_model, settings: EmbeddingSettings) -> np.ndarray:
    """fse's weighted averages per chunk, recombined per point, then common components removed."""
    from fse.models import SIF, Average, uSIF
    from fse.models.utils import compute_principal_components, remove_principal_components

    sentence = settings.sentence
    wv = word2vec_model.wv
    dim = wv.vector_size
    lengths = np.diff(sentences.offsets)
    if sentence.model == "sif":
        model = SIF(word2vec_model, alpha=sentence.sif_alpha, components=0, workers=1)
    elif sentence.model == "usif":
        # the average length of the whole sentences, not of the chunks
        length = sentence.length or max(1, int(lengths[lengths > 0].mean()))
        model = uSIF(word2vec_model, length=length, components=0, workers=1)
    else:
        model = Average(word2vec_model, workers=1)

    corpus = _TokenChunks(sentences, with_index=True)
    model.train(corpus)
    chunk_vectors = np.asarray(model.sv.vectors, dtype=np.float32)

    # Tokens fse counted in each chunk: those in the Word2Vec vocabulary.
    in_vocab = np.array([str(i) in wv.key_to_index for i in range(sentences.num_tokens)], dtype=bool)
    chunk_point, chunk_count = [], []
    for point, start, end in sentences.chunks():
        chunk_point.append(point)
        chunk_count.append(int(in_vocab[sentences.tokens[start:end]].sum()))
    chunk_point = np.asarray(chunk_point, dtype=np.int64)
    chunk_count = np.asarray(chunk_count, dtype=np.float64)

    vectors = np.zeros((sentences.num_points, dim), dtype=np.float64)
    np.add.at(vectors, chunk_point, chunk_vectors[: len(chunk_point)].astype(np.float64) * chunk_count[:, None])
    totals = np.bincount(chunk_point, weights=chunk_count, minlength=sentences.num_points)
    nonzero = totals > 0
    vectors[nonzero] /= totals[nonzero, None]
    vectors = vectors.astype(np.float32)

    components = DEFAULT_COMPONENTS[sentence.model] if sentence.components is None else sentence.components
    if components > 0 and nonzero.sum() > components:
        svd_res = compute_principal_components(vectors[nonzero], components=components)
        weights = None
        if sentence.model == "usif":
            weights = (svd_res[0] ** 2) / (svd_res[0] ** 2).sum()
        vectors[nonzero] = remove_principal_components(
            vectors[nonzero], svd_res=svd_res, weights=weights, inplace=False
        )
    return vectors

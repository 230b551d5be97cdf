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

Variants (EmbeddingSettings, applied by prepare_sentences before training):
`min_rating` leaves out interactions rated below it, and `order: shuffled`
shuffles the tokens within each sentence with word2vec.seed instead of
keeping them in time order. Neither is on by default: on MovieLens 100K both
measured no better than the plain recipe (docs/evaluation.md).

Corpus size: `epochs`, `sample` and `workers` may be `auto` (the default), and
resolve_word2vec then chooses them from the number of tokens, so the same
settings suit 100,000 interactions and 32 million:
- epochs: as many as give about AUTO_TOKEN_PASSES token updates in all, at
  least AUTO_MIN_EPOCHS and at most AUTO_MAX_EPOCHS (60 epochs at 100,000
  tokens, the demo's tuned value; 6 at 1 million; 3 from 2 million on);
- sample (down-sampling of frequent tokens): AUTO_SAMPLE_COUNT / tokens, capped
  at 0.001 (gensim's default, kept up to a million tokens), so in a large
  corpus a token is down-sampled once it occurs more than about
  AUTO_SAMPLE_COUNT times: the heaviest users of a large catalogue stop
  dominating training time (a tenth of that count skipped too much: the
  planted tastes of benchmarks/scale.py were found far less often);
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from site_builder.cache import ARRAY, Cache, Kind
from site_builder.config import EmbeddingSettings, PortalConfig
from site_builder.data.dataset import Dataset

log = logging.getLogger(__name__)

MAX_TOKENS = 10_000  # gensim's and fse's per-sentence limit

# The `auto` rules of resolve_word2vec (see the module docstring).
AUTO_TOKEN_PASSES = 6_000_000
AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS = 3, 60
AUTO_SAMPLE_COUNT = 1_000
AUTO_MAX_SAMPLE = 0.001
AUTO_PARALLEL_TOKENS = 1_000_000
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
    """Apply `min_rating` (drop low-rated tokens) and `order` (seeded shuffle within each sentence)."""
    tokens, offsets, ratings = sentences.tokens, sentences.offsets, sentences.ratings
    filtering = settings.min_rating is not None and ratings is not None
    if not filtering and settings.order == "time":
        return sentences
    point = np.repeat(np.arange(sentences.num_points), np.diff(offsets))
    if filtering:
        keep = ratings >= settings.min_rating
        tokens, ratings, point = tokens[keep], ratings[keep], point[keep]
        offsets = np.zeros_like(offsets)
        np.cumsum(np.bincount(point, minlength=sentences.num_points), out=offsets[1:])
    if settings.order == "shuffled":
        keys = np.random.default_rng(settings.word2vec.seed).random(len(tokens))
        # by point, then by the random key: one float sort (keys are in [0, 1)) instead of a two-key lexsort
        order = np.argsort(point + keys, kind="stable")
        tokens = tokens[order]
        ratings = ratings[order] if ratings is not None else None
    if tokens is sentences.tokens:
        return sentences
    return Sentences(tokens=tokens, offsets=offsets, num_tokens=sentences.num_tokens, ratings=ratings)


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
    sentences: Sentences, settings: EmbeddingSettings, cache: Cache | None = None
) -> tuple[np.ndarray, bool]:
    """The (num_points, vector_size) float32 matrix, and whether it came from the cache."""
    prepared = prepare_sentences(sentences, settings)
    if cache is None:
        return _train_prepared(prepared, settings), False
    shape = (prepared.num_points, settings.word2vec.vector_size)
    return cache.memo(
        VECTORS,
        vectors_key(prepared, settings),
        lambda: _train_prepared(prepared, settings),
        ARRAY,
        accept=lambda vectors: vectors.shape == shape,
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


def resolve_word2vec(settings: EmbeddingSettings, num_tokens: int) -> dict:
    """The Word2Vec settings with every `auto` replaced by its value for a corpus of num_tokens tokens."""
    w2v = settings.word2vec.model_dump()
    tokens = max(1, num_tokens)
    if w2v["epochs"] == "auto":
        w2v["epochs"] = max(AUTO_MIN_EPOCHS, min(AUTO_MAX_EPOCHS, math.ceil(AUTO_TOKEN_PASSES / tokens)))
    if w2v["sample"] == "auto":
        w2v["sample"] = float(f"{min(AUTO_MAX_SAMPLE, AUTO_SAMPLE_COUNT / tokens):.3g}")
    if w2v["workers"] == "auto":
        w2v["workers"] = 1 if tokens < AUTO_PARALLEL_TOKENS else cores()
    return w2v


def train_token_vectors(sentences: Sentences, settings: EmbeddingSettings):
    """gensim Word2Vec over the chunked sentences; returns the trained model."""
    from gensim.models import Word2Vec

    w2v = resolve_word2vec(settings, len(sentences.tokens))
    auto = {key for key in ("epochs", "sample", "workers") if getattr(settings.word2vec, key) == "auto"}
    mark = {key: " (auto)" if key in auto else "" for key in ("epochs", "sample", "workers")}
    log.info(
        "    Word2Vec: %s, %d epochs%s, window %d, %d dimensions, sample %g%s, %d worker(s)%s, "
        "on %s sentences of %s tokens",
        "skip-gram" if w2v["sg"] else "CBOW",
        w2v["epochs"],
        mark["epochs"],
        w2v["window"],
        w2v["vector_size"],
        w2v["sample"],
        mark["sample"],
        w2v["workers"],
        mark["workers"],
        f"{sentences.num_points:,}",
        f"{len(sentences.tokens):,}",
    )
    with tqdm(
        total=w2v["epochs"],
        desc="    Word2Vec epochs",
        unit="epoch",
        leave=False,
        disable=None if log.isEnabledFor(logging.INFO) else True,
    ) as bar:
        if w2v["workers"] == 1:
            return Word2Vec(sentences=_TokenChunks(sentences, with_index=False), callbacks=[_EpochProgress(bar)], **w2v)
        # Several workers: gensim's corpus_file mode, where each worker reads its own part of a
        # text file in compiled code; fed from Python, skip-gram trained at half the speed on
        # 2 cores (one thread was busy handing out sentences).
        with tempfile.TemporaryDirectory(prefix="portals-corpus-") as folder:
            path = Path(folder) / "corpus.txt"
            with open(path, "w", encoding="ascii") as handle:
                for words in _TokenChunks(sentences, with_index=False):
                    handle.write(" ".join(words))
                    handle.write("\n")
            return Word2Vec(corpus_file=str(path), callbacks=[_EpochProgress(bar)], **w2v)


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

"""`portals evaluate`: how well a portal of items recommends, next to two baselines.

Protocol (leave-last-out by time, full ranking):

* Each user's interactions are ordered by time; equal times keep the order
  in which the dataset lists the interactions (its file order), so the split
  is deterministic. (In MovieLens 100K 44% of users rated their last two
  movies in the same second. Breaking those ties by item id instead would
  bias the held-out items towards high or low ids, which in MovieLens are
  newer or older, less or more popular movies: popularity's HitRate@10 on
  the test split moves from 0.05 to 0.11 between the two directions. The
  file order is effectively random within a second.)
* Test split: each user's last interaction is held out; the query is the
  user's second-to-last item (their last one left in training). Users with
  fewer than 2 interactions are not evaluated (their interaction stays in
  training).
* Validation split: the test split applied once more to the test split's
  training data. Every user's last interaction (the test item) is removed
  from everything, the second-to-last is held out and the one before it is
  the query; users with fewer than 3 interactions are not evaluated. Settings
  are tuned on this split, so the test items are never seen while tuning.
* Each method scores every item for the query item; the user's training
  items are excluded, and so are items without any training interaction
  (no method can know them). The top 10, by score and then by item index,
  are the recommendations. A held-out item that the user also has among
  their training items (a repeated interaction) therefore counts as a miss.
* HitRate@10: the share of users whose held-out item is in their top 10.
  NDCG@10: with one relevant item, 1 / log2(rank + 2) for a hit at 0-based
  rank `rank`, else 0, averaged over users. Coverage@10: the number of
  distinct items in all users' top 10s, divided by the number of items.

Methods, all trained on the same training interactions in the same run:

* `method`: the portal's own (embeddings.point_vectors with its settings), cosine
  between item vectors.
* `popularity`: the items with the most training interactions, the same list for everyone.
* `ItemKNN`: cosine between the items' rows of the binary item x user matrix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from site_builder.config import EmbeddingSettings, PortalConfig, SiteConfig
from site_builder.data.dataset import Dataset, interaction_matrix
from site_builder.errors import BuildError, Problem, did_you_mean
from site_builder.model.neighbours import top_k_columns, unit_rows

K = 10
BLOCK_FLOATS = 8_000_000  # scores held at once: a block of users x all items

# A scorer maps query items (int array, B) to scores over all items (B x num_items).
Scorer = Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------- split


def split(dataset: Dataset, validation: bool) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """(training Dataset, held-out item per user, query item per user).

    The two arrays have one entry per user (row of `dataset.users`); -1 marks a
    user who is not evaluated (too few interactions).
    """
    train, held, query = _leave_last_out(dataset)
    if validation:
        train, held, query = _leave_last_out(train)
    return train, held, query


def _leave_last_out(data: Dataset) -> tuple[Dataset, np.ndarray, np.ndarray]:
    num_users = len(data.users)
    order = np.lexsort((np.arange(data.num_interactions), data.timestamp, data.user_index))
    users = data.user_index[order]
    counts = np.bincount(data.user_index, minlength=num_users)
    ends = np.cumsum(counts)  # one past each user's last row in `order`
    evaluated = counts >= 2
    held = np.full(num_users, -1, dtype=np.int64)
    query = np.full(num_users, -1, dtype=np.int64)
    held_rows = order[ends[evaluated] - 1]
    query_rows = order[ends[evaluated] - 2]
    assert (users[ends[evaluated] - 1] == np.flatnonzero(evaluated)).all()
    held[evaluated] = data.item_index[held_rows]
    query[evaluated] = data.item_index[query_rows]
    keep = np.ones(data.num_interactions, dtype=bool)
    keep[held_rows] = False
    train = Dataset(
        name=data.name,
        user_index=data.user_index[keep],
        item_index=data.item_index[keep],
        rating=data.rating[keep],
        timestamp=data.timestamp[keep],
        items=data.items,
        users=data.users,
        fingerprint=f"{data.fingerprint}-leave-last-out",
        files=list(data.files),
    )
    return train, held, query


# ---------------------------------------------------------------- metrics


@dataclass
class Metrics:
    name: str
    hit_rate: float
    ndcg: float
    coverage: float
    users: int
    seconds: float = 0.0

    @property
    def hit_rate_se(self) -> float:
        """Standard error of the HitRate (a proportion over `users`)."""
        if self.users == 0:
            return 0.0
        return math.sqrt(self.hit_rate * (1 - self.hit_rate) / self.users)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "hit_rate": round(self.hit_rate, 4),
            "ndcg": round(self.ndcg, 4),
            "coverage": round(self.coverage, 4),
            "users": self.users,
            "hit_rate_se": round(self.hit_rate_se, 4),
            "seconds": round(self.seconds, 2),
        }


def user_item_matrix(train: Dataset) -> sp.csr_matrix:
    """Binary users x items CSR matrix of the training interactions."""
    return interaction_matrix(train.user_index, train.item_index, len(train.users), len(train.items))


def rank_metrics(
    scorer: Scorer,
    train: Dataset,
    held: np.ndarray,
    query: np.ndarray,
    name: str = "",
    k: int = K,
    seen: sp.csr_matrix | None = None,
) -> Metrics:
    """HitRate@k, NDCG@k and Coverage@k of a scorer over every evaluated user.

    The user's training items and items without training interactions are
    excluded; ties are ordered by item index.
    """
    start = time.perf_counter()
    num_items = len(train.items)
    users = np.flatnonzero(held >= 0)
    seen = user_item_matrix(train) if seen is None else seen  # several methods share one
    known = np.bincount(seen.indices, minlength=num_items) > 0  # items with training interactions
    hits = 0
    gain = 0.0
    recommended = np.zeros(num_items, dtype=bool)
    block = max(1, BLOCK_FLOATS // max(num_items, 1))
    for first in range(0, len(users), block):
        who = users[first : first + block]
        scores = np.array(scorer(query[who]), dtype=np.float64, copy=True)
        scores[:, ~known] = -np.inf
        rows = seen[who]
        scores[np.repeat(np.arange(len(who)), np.diff(rows.indptr)), rows.indices] = -np.inf
        target = held[who]
        target_score = scores[np.arange(len(who)), target]
        # 0-based rank: items scoring higher, plus equal ones listed earlier (lower index)
        higher = (scores > target_score[:, None]).sum(axis=1)
        earlier_ties = ((scores == target_score[:, None]) & (np.arange(num_items)[None, :] < target[:, None])).sum(
            axis=1
        )
        rank = higher + earlier_ties
        hit = (rank < k) & np.isfinite(target_score)
        hits += int(hit.sum())
        gain += float((1.0 / np.log2(rank[hit] + 2.0)).sum())
        top = top_k_columns(scores, min(k, num_items))[0]
        recommended[top[np.isfinite(np.take_along_axis(scores, top, axis=1))]] = True
    count = len(users)
    return Metrics(
        name=name,
        hit_rate=hits / count if count else 0.0,
        ndcg=gain / count if count else 0.0,
        coverage=int(recommended.sum()) / num_items if num_items else 0.0,
        users=count,
        seconds=time.perf_counter() - start,
    )


# ---------------------------------------------------------------- methods


def popularity_scorer(train: Dataset) -> Scorer:
    counts = np.bincount(train.item_index, minlength=len(train.items)).astype(np.float64)
    return lambda queries: np.broadcast_to(counts, (len(queries), len(counts)))


def itemknn_scorer(train: Dataset, seen: sp.csr_matrix | None = None) -> Scorer:
    """Cosine between items' rows of the binary item x user matrix."""
    items = (user_item_matrix(train) if seen is None else seen).T.tocsr().astype(np.float64)
    norms = np.sqrt(np.diff(items.indptr).astype(np.float64))  # a binary row's length
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = sp.diags(inverse) @ items
    unit_t = unit.T.tocsc()
    return lambda queries: (unit[queries] @ unit_t).toarray()


def vectors_scorer(vectors: np.ndarray) -> Scorer:
    """Cosine between item vectors."""
    unit = unit_rows(vectors)
    return lambda queries: unit[queries] @ unit.T


def method_vectors(train: Dataset, settings: EmbeddingSettings, cache=None) -> tuple[np.ndarray, dict]:
    """The method's item vectors, and its settings with every `auto` worked out as training did."""
    from site_builder.model.embeddings import (
        build_sentences,
        point_vectors,
        prepare_sentences,
        resolve_word2vec,
        with_order,
    )

    sentences = build_sentences(train, "items")
    settings = with_order(settings, sentences)  # the order check runs once, here, not again in training
    vectors, _ = point_vectors(sentences, settings, cache)
    prepared = prepare_sentences(sentences, settings)
    word2vec = resolve_word2vec(settings, len(prepared.tokens), settings.order, prepared.vocabulary)
    return vectors, settings.model_dump() | {"word2vec": word2vec}


# ---------------------------------------------------------------- report


@dataclass
class Report:
    portal: str
    dataset: str
    split: str
    settings: dict
    rows: list[Metrics]
    num_items: int
    num_users: int
    num_train: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> Metrics:
        return next(r for r in self.rows if r.name == name)

    def as_dict(self) -> dict:
        return {
            "portal": self.portal,
            "dataset": self.dataset,
            "split": self.split,
            "k": K,
            "protocol": "leave-last-out by time; query = the user's last training item; "
            "full ranking, the user's training items excluded",
            "items": self.num_items,
            "users": self.num_users,
            "training_interactions": self.num_train,
            "settings": self.settings,
            "methods": [r.as_dict() for r in self.rows],
            "method_over_itemknn": (
                round(self.row("method").hit_rate / self.row("ItemKNN").hit_rate, 3)
                if self.row("ItemKNN").hit_rate > 0
                else None
            ),
            "seconds": round(self.seconds, 1),
        }

    def table(self) -> str:
        lines = [
            f"portal {self.portal} (dataset {self.dataset}), {self.split} split: "
            f"{self.num_items:,} items, {self.num_train:,} training interactions, "
            f"leave-last-out by time, full ranking",
            "",
            f"{'method':<12} {'HitRate@10':>10} {'± s.e.':>7} {'NDCG@10':>8} {'Coverage@10':>11} "
            f"{'users':>7} {'seconds':>8}",
        ]
        for r in self.rows:
            lines.append(
                f"{r.name:<12} {r.hit_rate:>10.3f} {r.hit_rate_se:>7.3f} {r.ndcg:>8.3f} "
                f"{r.coverage:>11.3f} {r.users:>7,} {r.seconds:>8.1f}"
            )
        names = [r.name for r in self.rows]
        if "method" in names and "ItemKNN" in names and self.row("ItemKNN").hit_rate > 0:
            ratio = self.row("method").hit_rate / self.row("ItemKNN").hit_rate
            lines += ["", f"method / ItemKNN HitRate@10: {ratio:.2f}"]
        w2v, sentence = self.settings["word2vec"], self.settings["sentence"]
        lines += [
            "",
            "settings (method): word2vec " + ", ".join(f"{k}={v}" for k, v in w2v.items()),
            "                   sentence " + ", ".join(f"{k}={v}" for k, v in sentence.items()),
        ]
        for key, value in self.settings.items():
            if key not in ("word2vec", "sentence"):
                lines[-1] += f"; {key}={value}"
        lines += self.notes
        return "\n".join(lines)


# Above this many interactions, a site does not show the evaluation's figures: the evaluation trains
# the portal's model a second time and ranks every item for every user (see check_shown_sizes).
SHOWN_MAX_INTERACTIONS = 10_000_000


def check_shown_sizes(config: SiteConfig, datasets: dict[str, Dataset]) -> list[Problem]:
    """Problems for the portals whose `show_evaluation` would make the build too long."""
    problems = []
    for index, portal in enumerate(config.portals):
        count = datasets[portal.dataset].num_interactions
        if portal.recommendations.show_evaluation and count > SHOWN_MAX_INTERACTIONS:
            problems.append(
                Problem(
                    config.config_file,
                    config.where("portals", index, "recommendations", "show_evaluation"),
                    f"{portal.name} has {count:,} interactions: showing the evaluation means training its "
                    "model a second time and ranking every item for every user, about as long as the rest of "
                    f"the build at this size, so it is refused above {SHOWN_MAX_INTERACTIONS:,}. "
                    f"Leave it off and run `portals evaluate --portal {portal.name}` on its own",
                )
            )
    return problems


def evaluate_dataset(
    dataset: Dataset, settings: EmbeddingSettings, split_name: str = "test", portal: str = "", cache=None
) -> Report:
    """Split, train the method, and measure it next to popularity and ItemKNN."""
    if split_name not in ("test", "validation"):
        raise ValueError(f"split must be test or validation, not {split_name!r}")
    start = time.perf_counter()
    train, held, query = split(dataset, validation=split_name == "validation")
    seen = user_item_matrix(train)
    rows = []
    t0 = time.perf_counter()
    vectors, resolved = method_vectors(train, settings, cache)
    trained = time.perf_counter() - t0
    for name, scorer in (
        ("method", vectors_scorer(vectors)),
        ("popularity", popularity_scorer(train)),
        ("ItemKNN", itemknn_scorer(train, seen)),
    ):
        metrics = rank_metrics(scorer, train, held, query, name=name, seen=seen)
        if name == "method":
            metrics.seconds += trained
        rows.append(metrics)
    return Report(
        portal=portal,
        dataset=dataset.name,
        split=split_name,
        settings=resolved,
        rows=rows,
        num_items=len(dataset.items),
        num_users=int((held >= 0).sum()),
        num_train=train.num_interactions,
        seconds=time.perf_counter() - start,
    )


def find_portal(config: SiteConfig, name: str | None) -> PortalConfig:
    """The named portal, or the first portal of items; BuildError if it is not one of items."""
    portals = {p.name: p for p in config.portals}
    if name is None:
        items = [p for p in config.portals if p.points == "items"]
        if not items:
            raise BuildError(
                Problem(
                    config.config_file,
                    "portals",
                    "no portal has `points: items`; `portals evaluate` measures item recommendations",
                )
            )
        return items[0]
    if name not in portals:
        raise BuildError(
            Problem(
                config.config_file,
                "portals",
                f'no portal named "{name}"{did_you_mean(name, portals)}; portals: {", ".join(portals)}',
            )
        )
    portal = portals[name]
    if portal.points != "items":
        index = config.portals.index(portal)
        raise BuildError(
            Problem(
                config.config_file,
                f"portals[{index}].points",
                f'portal "{name}" is a map of {portal.points}; `portals evaluate` measures '
                f"item-to-item recommendations, so it needs a portal with `points: items`",
            )
        )
    return portal


def evaluate_portal(
    config: SiteConfig, portal: PortalConfig | str | None = None, split: str = "test", cache_dir: Path | None = None
) -> Report:
    """Evaluate a portal of items of a loaded SiteConfig on its dataset.

    With a cache_dir, URL datasets are fetched into it and the trained vectors are
    cached there, shared with builds whose `show_evaluation` trained the same ones.
    """
    from site_builder.cache import Cache
    from site_builder.data import datasets, remote

    if not isinstance(portal, PortalConfig):
        portal = find_portal(config, portal)
    elif portal.points != "items":
        portal = find_portal(config, portal.name)  # raises the clear error
    if cache_dir is not None:
        roots = remote.dataset_roots(config, Path(cache_dir), [portal.dataset])
    else:
        roots = {}
    dataset = datasets.load_configured(config, portal.dataset, roots.get(portal.dataset))
    return evaluate_dataset(
        dataset, portal.embedding, split, portal=portal.name, cache=Cache(cache_dir) if cache_dir is not None else None
    )

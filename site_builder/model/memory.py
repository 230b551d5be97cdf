"""Before training: will the build fit in this machine's memory?

Once the datasets are loaded, their shapes are known, and so is, roughly,
the memory every later stage needs: the sentences and Word2Vec's tables
grow with the interactions and the vocabulary, the neighbour search with
its block, the layouts with the points, the sprite sheet with its side. The
build adds the largest stage's need to what the process already holds and
stops with a clear message, naming the settings that would shrink it, when
that does not fit in the memory available, instead of meeting the
out-of-memory killer half an hour later.

The figures per interaction, token and point below were measured on the
synthetic MovieLens-shaped data (benchmarks/scale.py) with some headroom;
they are estimates, so the check keeps a margin (MARGIN) and can be
overridden with `max_memory_gb` in site.yml (e.g. a machine shared with
other jobs).
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path

from site_builder.config import PortalConfig, SiteConfig
from site_builder.errors import BuildError, Problem
from site_builder.model.neighbours import BLOCK_FLOATS, KERNEL_BLOCK_FLOATS

GB = 1024**3
MARGIN = 0.9  # use at most this share of the memory available

# Bytes per unit, measured (benchmarks/scale.py) and rounded up.
SENTENCE_BYTES_PER_INTERACTION = 48  # sort order, tokens, ratings, the prepared copy, the cache key
WORD2VEC_BYTES_PER_TOKEN_TYPE = 400  # gensim's vocabulary entries and token strings, beside the vectors
LAYOUT_BYTES_PER_POINT = 2_000  # umap's graph and optimiser state for 15 neighbours
LAYOUT_FIXED_BYTES = 400 * 1024**2  # numba and umap themselves
SPRITE_COPIES = 3  # the RGB canvas, its conversion and the encoded file


@dataclass
class Need:
    stage: str
    bytes: int
    settings: str  # what shrinks it


def portal_needs(portal: PortalConfig, interactions: int, num_points: int, num_tokens: int) -> list[Need]:
    """The extra memory each later stage of one portal needs, beyond what is already loaded."""
    dim = portal.embedding.word2vec.vector_size
    k = portal.neighbours_to_search
    sheet = portal.sprite.max_sheet
    return [
        Need(
            "embeddings",
            interactions * SENTENCE_BYTES_PER_INTERACTION
            + num_tokens * (WORD2VEC_BYTES_PER_TOKEN_TYPE + 3 * 4 * dim)
            + num_points * 3 * 4 * dim,
            "embedding.min_rating (fewer interactions) or embedding.word2vec.vector_size",
        ),
        # the numpy way holds about 17 bytes per similarity of its block, the kernel 4 of its larger block
        Need(
            "neighbours", max(BLOCK_FLOATS * 17, KERNEL_BLOCK_FLOATS * 4) + num_points * k * 8 * 2, "recommendations.k"
        ),
        Need(
            "layouts",
            (LAYOUT_FIXED_BYTES + num_points * (LAYOUT_BYTES_PER_POINT + 8 * dim)) if portal.layouts.umap else 0,
            "layouts.umap: [] (no precomputed layout)",
        ),
        Need("pictures", sheet * sheet * 3 * SPRITE_COPIES, "sprite.max_sheet"),
    ]


def resident_bytes() -> int:
    """The process's resident memory now (Linux), or its peak where that is unknown."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()
    except OSError:  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def available_bytes() -> tuple[int, str]:
    """(bytes this process could still take, where the figure comes from): the kernel's MemAvailable,
    lowered to the cgroup's limit where one is set (containers, CI runners)."""
    available, source = None, "MemAvailable in /proc/meminfo"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max" and (available is None or int(limit) - used < available):
            available, source = int(limit) - used, "the cgroup's memory.max"
    except (OSError, ValueError):
        pass
    if available is None:  # pragma: no cover - neither file readable
        import os

        available, source = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "physical memory"
    return available, source


def _limit(config: SiteConfig, held: int) -> tuple[int, str]:
    if config.max_memory_gb is not None:
        return int(config.max_memory_gb * GB), f"max_memory_gb: {config.max_memory_gb:g} in site.yml"
    free, source = available_bytes()
    return held + int(free * MARGIN), source


def _largest_needs(config: SiteConfig, datasets: dict) -> list[int]:
    needs = []
    for portal in config.portals:
        dataset = datasets[portal.dataset]
        points, tokens = len(dataset.side(portal.points)), len(dataset.other_side(portal.points))
        needs.append(max(n.bytes for n in portal_needs(portal, dataset.num_interactions, points, tokens)))
    return needs


def fits_twice(config: SiteConfig, datasets: dict) -> bool:
    """Whether the two largest portals' largest stages fit in memory at once: a worker beside the
    build (site_builder.beside) trains one portal while the main process works on another."""
    held = resident_bytes()
    limit, _ = _limit(config, held)
    needs = sorted(_largest_needs(config, datasets), reverse=True)
    # the worker holds its own copy of the loaded data, and the needs add up
    return 2 * held + sum(needs[:2]) <= limit


def check_memory(config: SiteConfig, datasets: dict) -> None:
    """Raise BuildError, before any training, for each portal whose largest stage would not fit."""
    held = resident_bytes()
    limit, source = _limit(config, held)
    problems = []
    for index, portal in enumerate(config.portals):
        dataset = datasets[portal.dataset]
        points, tokens = len(dataset.side(portal.points)), len(dataset.other_side(portal.points))
        needs = portal_needs(portal, dataset.num_interactions, points, tokens)
        largest = max(needs, key=lambda need: need.bytes)
        if held + largest.bytes > limit:
            problems.append(
                Problem(
                    config.config_file,
                    f"portals[{index}] ({portal.name})",
                    f"needs about {(held + largest.bytes) / GB:.1f} GB at its {largest.stage} stage "
                    f"({held / GB:.1f} GB already held by the loaded data, {largest.bytes / GB:.1f} GB more for "
                    f"{dataset.num_interactions:,} interactions, {points:,} points, {tokens:,} tokens), "
                    f"but only {limit / GB:.1f} GB can be used ({source}); lower {largest.settings}, "
                    f"or build on a machine with more memory",
                )
            )
    if problems:
        raise BuildError(problems)

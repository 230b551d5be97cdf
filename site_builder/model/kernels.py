"""Loops compiled by numba where numpy would need large temporaries or many passes.

numba comes with umap-learn, so it is there wherever the build runs; still, a
kernel is only ever a faster way to the same answer. `compile_kernel` compiles
one, cached on disk when it can be (`cache=True`: next to the module's file,
else numba's user cache folder or NUMBA_CACHE_DIR; where none is writable it
compiles in every process, in a second or two, and the log says so), and
checks it on a probe before the build relies on it. It answers None when numba
cannot be imported or the kernel fails: the caller then takes its numpy way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def compile_kernel(function: Callable, probe: Callable[[Callable], bool], what: str, **options: Any) -> Callable | None:
    """`function` compiled by numba.njit(**options), which `probe(compiled)` must call and accept
    (it compiles, or loads from the cache, then and not mid-build); None without a working numba."""
    try:
        import numba
    except Exception as error:  # pragma: no cover - numba comes with umap-learn
        log.warning("numba cannot be imported (%s): the %s is done the slower numpy way", error, what)
        return None
    for cache in (True, False):
        try:
            compiled = numba.njit(cache=cache, **options)(function)
            if not probe(compiled):
                raise RuntimeError("wrong answer on a probe")
            return compiled
        except Exception as error:
            if cache:  # e.g. no writable cache folder: neither next to the module nor NUMBA_CACHE_DIR
                log.info("    the %s kernel cannot be cached (%s): compiling it for this build", what, error)
            else:  # pragma: no cover - a broken numba installation
                log.warning("the numba %s kernel failed (%s): done the slower numpy way", what, error)
    return None

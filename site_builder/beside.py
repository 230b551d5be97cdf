"""Training beside the build's main line, on a second core.

The build makes a site one portal after another, one stage after another. Some
of its heaviest work does not depend on what comes before it in that line: a
portal's evaluation (the same model, trained again on a split) and the later
portals' embeddings, neighbours and layouts. On a machine with two or more
cores, `Beside` runs those in one worker process while the main process goes
on. The worker starts only once the build has something to train (`start`),
and the main process takes each result when its stage comes (`take`),
replaying the worker's log lines there so the stage log reads as it would have.

The worker is a fresh Python process (spawned, not forked: a fork copies
whatever locks other threads hold at that moment, such as numba's compiler
lock while UMAP compiles, or a test runner's, and the copy can wait on them
forever). It is handed the loaded datasets once, pickled, and trains with the
settings it was given, so a vector trained beside is the one the main line
would have trained: one gensim worker gives the same vectors either way. The
worker ignores Ctrl-C: the main process stops it. Whatever goes wrong beside (a job that fails, a worker that dies)
is not an error there: `take` gives None and the main line does the work
itself, raising any error where it always did.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing import spawn
from multiprocessing.pool import AsyncResult
from typing import Any

log = logging.getLogger(__name__)

# What the jobs read: in the worker, what the main process handed it when it started.
_SHARED: dict[str, Any] = {}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


def _start_worker(shared: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SHARED.update(shared)


def _run(job: Callable[..., Any], args: tuple) -> tuple[Any, list[tuple[int, str]]]:
    """In the worker: the job's result and its log lines, which are kept for the main process."""
    logger = logging.getLogger("site_builder")
    collect = _Collect()
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers, logger.propagate = [collect], False
    logger.setLevel(logging.INFO)
    try:
        return job(_SHARED, *args), collect.messages
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


class Beside:
    """Jobs run in one worker process, in the order given; see the module doc.

    A job is a module-level function taking the shared dict first; its result must pickle.
    Jobs wait in a queue until `start`: the build starts the worker only once it has something
    to train, so a rebuild that finds everything in the cache does not pay for a second process.
    """

    def __init__(self, shared: dict[str, Any], enabled: bool = True):
        self.shared = shared
        self.enabled = enabled and _cores() > 1
        self.queued: dict[str, tuple[Callable[..., Any], tuple]] = {}
        self.jobs: dict[str, AsyncResult] = {}
        self.pool = None

    def submit(self, name: str, job: Callable[..., Any], *args: Any) -> None:
        if self.enabled:
            self.queued[name] = (job, args)

    def start(self) -> None:
        """Start the worker on the queued jobs, if it has not started and no job's stage has come yet."""
        if self.pool is None and self.queued:
            self.pool = pool = _spawn_pool(self.shared)
            for name, (job, args) in self.queued.items():
                self.jobs[name] = pool.apply_async(_run, (job, args))
            self.queued.clear()

    def take(self, name: str) -> Any | None:
        """The job's result once it is done (its log lines replayed here), or None when there is
        no such job, it never started or it failed: the caller then does the work itself."""
        if name in self.queued:
            # its stage came before the worker started: the main line does this job and every
            # later one itself (the worker would start behind it, on work the main line is doing)
            self.queued.clear()
        pending = self.jobs.pop(name, None)
        if pending is None:
            return None
        try:
            result, messages = pending.get()
        except Exception as error:  # the main line will do the job, and raise any error itself
            log.debug("    %s beside the build failed (%s); done here instead", name, error)
            return None
        for level, message in messages:
            logging.getLogger("site_builder").log(level, "%s", message)
        log.info("    (done beside the build, on a second core)")
        return result

    def close(self) -> None:
        """Stop the worker: let it exit when every job was taken, else (an error or Ctrl-C on the
        main line) stop it where it is."""
        if self.pool is not None:
            if self.jobs:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spawn_pool(shared: dict[str, Any]):
    """A pool of one spawned worker that does not run the caller's main script again. A spawned
    process normally imports the parent's __main__ first, which runs a script that calls
    build_site without an `if __name__ == "__main__":` guard all over again; the jobs live in
    site_builder's own modules, so the worker needs nothing from __main__."""
    prepare = spawn.get_preparation_data

    def without_main(name: str) -> dict:
        data = prepare(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    spawn.get_preparation_data = without_main  # read as the worker starts, inside Pool()
    try:
        return multiprocessing.get_context("spawn").Pool(1, initializer=_start_worker, initargs=(shared,))
    finally:
        spawn.get_preparation_data = prepare


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1

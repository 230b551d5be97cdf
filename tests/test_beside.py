"""The second process's queue (site_builder.beside): jobs run only once started, and only ahead of the main line."""

from __future__ import annotations

import os

import pytest

from site_builder import beside
from site_builder.beside import Beside


def square(shared: dict, number: int) -> tuple[int, int]:
    """A job: its answer and the process that gave it."""
    return shared["offset"] + number * number, os.getpid()


def fail(shared: dict) -> None:
    raise ValueError("a job that fails")


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    monkeypatch.setattr(beside, "_cores", lambda: 2)


def test_jobs_run_in_a_second_process_once_started():
    with Beside({"offset": 10}) as worker:
        worker.submit("three", square, 3)
        worker.submit("four", square, 4)
        worker.submit("fails", fail)
        assert worker.pool is None  # nothing runs before start
        worker.start()
        assert worker.take("four")[0] == 26
        answer, pid = worker.take("three")
        assert answer == 19 and pid != os.getpid()
        assert worker.take("fails") is None  # the caller does the work itself
        assert worker.take("never submitted") is None


def test_a_worker_never_started_costs_no_process():
    with Beside({"offset": 0}) as worker:
        worker.submit("three", square, 3)
        assert worker.take("three") is None
    assert worker.pool is None


def test_once_the_main_line_took_a_job_the_worker_does_not_start():
    """The main line came to a job's stage first: it does that job and the later ones itself."""
    with Beside({"offset": 0}) as worker:
        worker.submit("embeddings", square, 3)
        worker.submit("neighbours", square, 4)
        assert worker.take("embeddings") is None
        worker.start()
        assert worker.pool is None and worker.take("neighbours") is None


def test_one_core_or_disabled_runs_nothing_beside(monkeypatch):
    with Beside({"offset": 0}, enabled=False) as worker:
        worker.submit("three", square, 3)
        worker.start()
        assert worker.pool is None and worker.take("three") is None
    monkeypatch.setattr(beside, "_cores", lambda: 1)
    with Beside({"offset": 0}) as worker:
        worker.submit("three", square, 3)
        worker.start()
        assert worker.pool is None

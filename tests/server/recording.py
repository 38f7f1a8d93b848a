"""A query backend that remembers what it ran, for tests that prove which queries a report,
a warm-up or a precomputed answer did (or did not) send to the store; and a precompute task
that remembers which process ran it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from kg.errors import StoreError
from kg.reports import precompute
from kg.reports.precompute import Written
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend, QueryOutcome, QueryRequest


class RecordingBackend(LocalBackend):
    """A LocalBackend that remembers every request it runs."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.requests: list[QueryRequest] = []

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        self.requests.append(request)
        return super().run(request, timeout=timeout)

    @property
    def queries(self) -> list[str]:
        """The texts of the requests, in order."""
        return [request.query for request in self.requests]


#: The file :func:`recorded_worker_compute` appends to, beside the store folder (the
#: precompute's workers see neither this process's patches nor, forked from a server process
#: started earlier, its environment).
TASKS_LOG = "precompute-tasks.log"

#: The workers' own task function, taken before a test patches the module.
_worker_compute = precompute._worker_compute


def recorded_worker_compute(name: str, kinds: frozenset[str] | None = None) -> list[Written]:
    """A precompute worker's task that also notes which process computed which report: a
    line "pid:start-time report" (the start time tells apart two processes given one pid)."""
    written = _worker_compute(name, kinds)
    assert precompute._worker_args is not None
    started = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]
    log = Path(precompute._worker_args[0]).parent / TASKS_LOG
    with log.open("a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}:{started} {name}\n")
    return written


#: The file naming the report :func:`failing_worker_compute` fails, beside the store folder,
#: and the one where it notes the processes of the reports it is slow over.
FAIL_NAME = "precompute-fail.txt"
RUNNING = "precompute-running.txt"


def failing_worker_compute(name: str, kinds: frozenset[str] | None = None) -> list[Written]:
    """A precompute worker's task that fails for the report named in FAIL_NAME as soon as
    another is running, and takes its time over the others (long enough to be running
    when that one fails)."""
    assert precompute._worker_args is not None
    beside = Path(precompute._worker_args[0]).parent
    if name == (beside / FAIL_NAME).read_text(encoding="utf-8"):
        # Once another report is running (its process may start a moment after this one).
        deadline = time.monotonic() + 30
        while not (beside / RUNNING).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise StoreError(f"report {name} failed")
    with (beside / RUNNING).open("a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")
    time.sleep(3)
    return recorded_worker_compute(name, kinds)


#: The file :func:`timed_worker_compute` appends to, beside the store folder.
INTERVALS_LOG = "precompute-intervals.log"


def timed_worker_compute(name: str, kinds: frozenset[str] | None = None) -> list[Written]:
    """A precompute worker's task that notes when it ran: a line "report start end" on the
    system's monotonic clock (one clock for every process). Each takes half a second at
    least, so that two tasks started together are running at once."""
    started = time.monotonic()
    written = _worker_compute(name, kinds)
    time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    assert precompute._worker_args is not None
    log = Path(precompute._worker_args[0]).parent / INTERVALS_LOG
    with log.open("a", encoding="utf-8") as out:
        out.write(f"{name} {started} {time.monotonic()}\n")
    return written


def killed_worker_compute(name: str, kinds: frozenset[str] | None = None) -> list[Written]:
    """A precompute worker's task whose process is killed (as the system's out-of-memory
    killer does) for the report named in FAIL_NAME; the others as usual."""
    assert precompute._worker_args is not None
    beside = Path(precompute._worker_args[0]).parent
    if name == (beside / FAIL_NAME).read_text(encoding="utf-8"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _worker_compute(name, kinds)

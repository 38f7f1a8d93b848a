"""Query processes end with their pool and with the process that owns it, even in the middle
of a query (kg serve's shutdown, docs/serving.md "Stopping the server")."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.errors import KGError, ServiceUnavailable
from kg.store.query import QueryRequest
from kg.store.querypool import PooledBackend

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROOT = Path(__file__).resolve().parents[2]
#: Minutes of work over the seed store: a three-way cross product.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_busy(pids: list[int], seconds: float = 30) -> None:
    start = {pid: cpu_seconds(pid) for pid in pids}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(cpu_seconds(pid) - start[pid] > 0.3 for pid in pids):
            return
        time.sleep(0.1)
    pytest.fail("the runaway query never ran")


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """The pids still alive after ``seconds`` (then killed, so that nothing is left)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    left = [pid for pid in pids if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def query_workers() -> list[int]:
    return [
        p.pid
        for p in multiprocessing.active_children()
        if p.name == "kg-query-worker" and p.pid is not None
    ]


def test_close_stops_a_worker_in_the_middle_of_a_query(seed_store: Path) -> None:
    others = set(query_workers())  # of pools other tests left open
    pool = PooledBackend(seed_store, workers=1, timeout=300)
    workers = [pid for pid in query_workers() if pid not in others]
    assert len(workers) == 1
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pool.run(QueryRequest(RUNAWAY))
        except KGError as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait_until_busy(workers)
        started = time.monotonic()
        pool.close()
        assert time.monotonic() - started < 10, "close() waits a bounded time"
        assert gone_within(workers, 5) == [], "a busy worker outlived close()"
        thread.join(10)
        assert not thread.is_alive()
        assert [type(e) for e in errors] == [ServiceUnavailable]
    finally:
        pool.close()


def test_a_worker_started_after_close_is_stopped(seed_store: Path) -> None:
    """A replacement on its way as the pool closes (a timed-out query's, as the server
    stops): left running, multiprocessing's exit handler would wait for it for good."""
    others = set(query_workers())
    pool = PooledBackend(seed_store, workers=1)
    pool.close()
    with pytest.raises(ServiceUnavailable):
        pool._start()
    assert gone_within([pid for pid in query_workers() if pid not in others], 5) == []


OWNER = """
import json, sys, threading
from kg.store.query import QueryRequest
from kg.store.querypool import PooledBackend
import multiprocessing

pool = PooledBackend(sys.argv[1], workers=2, timeout=300)
threading.Thread(target=pool.run, args=(QueryRequest(sys.argv[2]),), daemon=True).start()
pids = [p.pid for p in multiprocessing.active_children() if p.name == "kg-query-worker"]
print(json.dumps(pids), flush=True)
threading.Event().wait()
"""


def test_workers_end_with_a_killed_owner(seed_store: Path) -> None:
    """The owner SIGKILLed: its idle workers read the end of their pipe, and the busy one,
    which reads nothing until its query ends, goes too (with the fork server: it lived on
    while any of its children did)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'server'}"}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(seed_store), RUNAWAY],
        env=env,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert owner.stdout is not None
        workers = json.loads(owner.stdout.readline())
        assert len(workers) == 2
        wait_until_busy(workers)
        family = [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit()
            and alive(int(entry.name))
            and _session(int(entry.name)) == owner.pid
            and int(entry.name) != owner.pid
        ]
        assert set(workers) <= set(family)
        owner.kill()
        owner.wait()
        assert gone_within(family, 20) == [], "processes outlived their killed owner"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        kill_session(owner.pid)
        if owner.stdout is not None:
            owner.stdout.close()


def _session(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return -1


def kill_session(session: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(session, signal.SIGKILL)

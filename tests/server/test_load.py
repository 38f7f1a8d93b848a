"""The load test's short form (the full one is ``python -m bench.load --store DIR``, 60 s).

32 loopback clients for about 10 s against a real ``kg serve`` (granian) over the
seed store, with a 2 s query timeout so that the heavy clients' runaway
queries are stopped: no 5xx other than those timeouts, no connection error,
a bounded p99 for cheap queries and reports, bounded server memory (RSS of
the whole process tree, sampled from /proc). The figures are printed (run
with ``-s`` to see them).

The server runs with 6 query processes and 16 threads: each runaway holds a
query process until the timeout, and its replacement starts afterwards, so
the two heavy clients can hold up to four. Each client sends from its own loopback
address (the server limits concurrent queries per address); what the defaults
guarantee against runaway clients is tests/server/test_query_lanes.py's (docs/security.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import Limits, LoadResult, check, run_load
from tests.conftest import LiveServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SERVE_ARGS = ["--query-timeout", "2", "--query-workers", "6", "--threads", "16"]


@pytest.fixture(scope="module")
def loaded_server(seed_store: Path) -> Iterator[LiveServer]:
    server = LiveServer(seed_store, extra_args=SERVE_ARGS)
    yield server
    server.stop()


@pytest.mark.slow  # 10 s of load plus the server's start
def test_short_load_has_no_unexpected_errors_and_bounded_latency_and_memory(
    loaded_server: LiveServer,
) -> None:
    result = run_load(
        loaded_server.url,
        duration=10,
        clients=32,
        heavy_clients=2,
        server_pid=loaded_server.process.pid,
        max_requests=100_000,
        request_timeout=60,
    )
    print()
    print(result.table())
    assert result.requests > 100, "the load did not get going"
    assert result.classes["cheap"].latencies and result.classes["heavy"].latencies
    # A few "all query workers are busy" answers (503 with Retry-After) are the pool's
    # back-pressure when the machine is loaded by other work, not starvation: runaway queries
    # starving the cheap ones would make far more than 2% of the answers so.
    limits = Limits(max_cheap_p99=2.0, max_rss_mb=4096, max_rss_growth=1.5, max_busy_share=0.02)
    problems = check(result, limits)
    assert not problems, "\n".join(problems) + "\n" + result.table()
    assert loaded_server.process.poll() is None, "the server died under load"


@pytest.mark.parametrize(
    ("busy", "passes"),
    [pytest.param(1, True, id="a-few-busy-answers"), pytest.param(30, False, id="starved")],
)
def test_busy_answers_are_tolerated_only_up_to_the_limit(busy: int, passes: bool) -> None:
    result = LoadResult("http://127.0.0.1:1", clients=2, heavy_clients=0, duration=1)
    result.requests = 100
    result.classes["cheap"].latencies = [0.01] * 100
    result.classes["cheap"].busy = busy
    problems = check(result, Limits(max_busy_share=0.02))
    assert (not problems) is passes, problems
    assert check(result, Limits()), "the benchmark's own limits tolerate no busy answer"

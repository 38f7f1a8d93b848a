"""bench.sparql_alternatives' watchdog variant answers a stuck client query 503 and ends its process.

The measured design (docs/benchmark.md, "/sparql throughput: the alternatives measured"):
the event loop keeps running beside a request thread stuck in the engine, answers for it
at the deadline and schedules the process's exit; requests within the deadline pass
through untouched.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import pytest
from kg_server.serving import ClientLane

from bench import sparql_alternatives as alt


class _Inner:
    """An ASGI application whose /sparql requests block a thread for ``seconds`` (GIL free)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.client_lane = ClientLane(threads=1, per_client=0, wait=5)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, self.seconds)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})


def _request(
    inner: _Inner, timeout: float, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[Any], list[int], float]:
    exits: list[int] = []
    monkeypatch.setattr(alt, "EXIT_GRACE", 0.05)
    monkeypatch.setattr(os, "_exit", exits.append)
    sent: list[Any] = []
    scope = {"type": "http", "method": "GET", "path": "/sparql", "query_string": b"query=x"}

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    async def run() -> float:
        started = time.monotonic()
        await alt.Watchdog(inner, timeout)(scope, receive, send)
        answered = time.monotonic() - started
        await asyncio.sleep(0.2)  # the scheduled exit, had the process not been spared
        return answered

    return sent, exits, asyncio.run(run())


def test_a_request_past_the_deadline_gets_503_and_the_process_exits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent, exits, answered = _request(_Inner(seconds=1.0), 0.2, monkeypatch)
    assert answered < 0.8, "answered at the deadline, not when the stuck thread came back"
    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["status"] == 503
    assert exits == [70]


def test_a_request_within_the_deadline_passes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    sent, exits, _answered = _request(_Inner(seconds=0.01), 2.0, monkeypatch)
    assert [m.get("status") for m in sent] == [200, None]
    assert sent[1]["body"] == b"done"
    assert exits == []

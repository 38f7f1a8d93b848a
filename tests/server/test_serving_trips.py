"""The ASGI front hands a request to a request thread once when its answer is small.

Each trip to a thread costs a wake-up of that thread and then of the event loop; a cheap
``/sparql`` query took three (the application, its body, its ``close``). Now the first
trip also reads the first 64 KB of the body and, when that is all of it, closes the
answer; longer answers still stream in batches, and every answer is closed once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kg_server.serving import _BATCH_BYTES, BoundedWSGI


class _Answer:
    """A WSGI response body that counts how often it is closed."""

    def __init__(self, parts: list[bytes], fail_at: int | None = None):
        self.parts = parts
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, part in enumerate(self.parts):
            if index == self.fail_at:
                raise RuntimeError("the body failed while it was written")
            yield part

    def close(self) -> None:
        self.closed += 1


class _CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.trips = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.trips += 1
        return super().submit(*args, **kwargs)


def _serve(answer: _Answer) -> tuple[int, list[dict[str, Any]], BaseException | None]:
    def app(environ: dict[str, Any], start_response: Any) -> _Answer:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answer

    front = BoundedWSGI(
        app,  # type: ignore[arg-type]
        threads=2,
        body_timeout=5,
        min_body_rate=1,
        max_body_bytes=1 << 20,
        send_timeout=5,
    )
    executor = _CountingExecutor()
    front.executor = executor
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    error: BaseException | None = None
    try:
        asyncio.run(front(scope, receive, send))
    except RuntimeError as raised:
        error = raised
    finally:
        executor.shutdown()
    return executor.trips, sent, error


def test_a_small_answer_takes_one_trip_and_is_closed_once() -> None:
    answer = _Answer([b"one ", b"two"])
    trips, sent, error = _serve(answer)
    assert error is None
    assert trips == 1
    assert answer.closed == 1
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"one two"
    assert sent[-1]["more_body"] is False


def test_a_long_answer_streams_in_batches_and_is_closed_once() -> None:
    part = b"x" * (_BATCH_BYTES // 2)
    answer = _Answer([part] * 5)  # two and a half batches
    trips, sent, error = _serve(answer)
    assert error is None
    assert b"".join(m.get("body", b"") for m in sent[1:]) == part * 5
    assert trips == 4  # the first batch with the application, two more batches, the close
    assert answer.closed == 1


@pytest.mark.parametrize("fail_at", [0, 1], ids=["first-part", "second-part"])
def test_an_answer_that_fails_while_written_is_still_closed(fail_at: int) -> None:
    answer = _Answer([b"a", b"b"], fail_at=fail_at)
    _trips, _sent, error = _serve(answer)
    assert isinstance(error, RuntimeError)
    assert answer.closed == 1

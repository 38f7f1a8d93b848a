"""Runaway client queries cannot deny service (issue 15, item 6), under the defaults.

A real ``kg serve`` on loopback with its default settings: one client address
(127.0.0.1) sends six runaway queries at once. At most ``--client-queries`` (2) of
them run; the rest are refused at once with 429 and Retry-After. Meanwhile a cheap
ASK from another address (127.0.0.2), a linked-data page, an author page and a
parameterised report all answer within a few seconds: the runaways hold client query
processes and client request threads, never the application's own.

On the code before the lanes all six runaways went into the one query pool (two
processes growing to four), and everything else waited for it: the ASK took the
whole 30 s query timeout and then got 503, and so did the pages.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="binds client sockets to 127.0.0.2"
)

#: Four copies of every triple, joined with nothing: never finishes on the seed store.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { ?s ?p ?o }"
#: What "answers at once" means on a loaded two-core test machine; a runaway holds its
#: process for the default client query timeout (10 s), so anything that waited for one
#: takes longer than this.
PROMPT_SECONDS = 6.0


@pytest.fixture(scope="module")
def default_server(seed_store: Path) -> Iterator[LiveServer]:
    server = LiveServer(seed_store)
    yield server
    server.stop()


def fetch(
    server: LiveServer,
    path: str,
    *,
    source: str = "127.0.0.1",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, dict[str, str], bytes, float]:
    """One request from the loopback address ``source``: status, headers (lower-case
    names), body, seconds."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=timeout, source_address=(source, 0)
    )
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, data, time.monotonic() - started
    finally:
        connection.close()


def sparql(server: LiveServer, query: str, *, source: str = "127.0.0.1") -> Any:
    return fetch(
        server,
        "/sparql",
        source=source,
        method="POST",
        body=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )


def test_runaways_from_one_client_leave_cheap_queries_and_pages_answering(
    default_server: LiveServer,
) -> None:
    results: list[tuple[int, dict[str, str], bytes, float]] = []
    lock = threading.Lock()

    def runaway() -> None:
        outcome = sparql(default_server, RUNAWAY)
        with lock:
            results.append(outcome)

    attackers = [threading.Thread(target=runaway, daemon=True) for _ in range(6)]
    for thread in attackers:
        thread.start()
    # The refusals come back at once; then exactly the admitted runaways are running.
    deadline = time.monotonic() + PROMPT_SECONDS
    while time.monotonic() < deadline:
        with lock:
            if len(results) >= 4:
                break
        time.sleep(0.05)
    with lock:
        refused = list(results)
    assert len(refused) == 4, f"expected 4 refusals at once, got {[r[0] for r in refused]}"
    for status, headers, body, _seconds in refused:
        assert status == 429, body
        assert headers["content-type"].startswith("application/problem+json")
        assert int(headers["retry-after"]) >= 1
        assert "--client-queries" in json.loads(body)["detail"]

    # Meanwhile: a cheap query from another client, and the application's own pages.
    report = "/reports/author-papers.json?" + urlencode({"author": "Weiran Huang"})
    probes = {
        "ask from 127.0.0.2": lambda: sparql(default_server, CHEAP, source="127.0.0.2"),
        "linked data": lambda: fetch(
            default_server, "/author/xuyang-zhao", headers={"Accept": "text/turtle"}
        ),
        "author page": lambda: fetch(
            default_server, "/pages/author/xuyang-zhao", headers={"Accept": "text/html"}
        ),
        "report": lambda: fetch(default_server, report, headers={"Accept": "application/json"}),
    }
    answers: dict[str, tuple[int, dict[str, str], bytes, float]] = {}

    def probe(name: str) -> None:
        answers[name] = probes[name]()

    threads = [threading.Thread(target=probe, args=(name,), daemon=True) for name in probes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    print("\n" + ", ".join(f"{name}: {answers[name][3]:.2f} s" for name in probes))
    for name in probes:
        status, _headers, body, seconds = answers[name]
        assert status == 200, f"{name}: {status} {body[:300]!r}"
        assert seconds < PROMPT_SECONDS, f"{name} took {seconds:.1f} s behind the runaways"
    assert json.loads(answers["ask from 127.0.0.2"][2])["boolean"] is True

    # The two admitted runaways are stopped at the client query timeout.
    for thread in attackers:
        thread.join(timeout=60)
    stopped = [r for r in results if r[0] != 429]
    assert len(stopped) == 2
    for status, _headers, body, seconds in stopped:
        assert status == 503, body
        assert "query-timeout" in json.loads(body)["type"]
        assert seconds < 20

    # The client's slots are free again.
    status, _headers, body, _seconds = sparql(default_server, CHEAP)
    assert status == 200, body

"""The endpoint is safe on the public internet.

* No request makes the server contact another host: SERVICE and LOAD aimed
  at a loopback listener are refused with a 400, and the listener sees no
  connection, also for text crafted to hide the keyword from a lexical scan.
  A positive control (the same listener on the allow-list) shows that the
  listener would have seen one.
* A runaway query is stopped at ``--query-timeout`` (503, its worker process
  killed, the CPU freed) while other clients' queries keep answering.
* The result cap and the body limit hold on the real server too.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.sparql.guard import check_remote_calls
from tests.conftest import LiveServer
from tests.server.conftest import Listener

PROBLEM = "application/problem+json"


def assert_refused(response: Any, listener: Listener) -> None:
    assert response.status_code == 400, response.data
    assert response.mimetype == PROBLEM
    detail = json.loads(response.data)["detail"]
    assert "SERVICE" in detail or "LOAD" in detail
    time.sleep(0.2)  # a connection attempt, had there been one, would have arrived by now
    assert listener.connections == []


# Each text names the listener as "{url}"; the crafted ones hide the keyword from a lexical scan:
# an IRI-looking "<'>" that the parser reads as less-than and a string, a keyword glued to a
# literal ("trueSERVICE", "1e1SERVICE"), a prefixed name with an escaped quote.
QUERIES = [
    pytest.param("SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }", id="service"),
    pytest.param("SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }", id="service-silent"),
    pytest.param("select * where { service <{url}> { ?s ?p ?o } }", id="lower-case"),
    pytest.param(
        "PREFIX e: <{base}> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }", id="prefixed-name"
    ),
    pytest.param(
        "BASE <{base}> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", id="relative-iri"
    ),
    pytest.param("SELECT * WHERE { BIND(<{url}> AS ?e) SERVICE ?e { ?s ?p ?o } }", id="variable"),
    pytest.param(
        "SELECT * WHERE { ?x ?y ?z OPTIONAL { SERVICE <{url}> { ?s ?p ?o } } }", id="in-optional"
    ),
    pytest.param(
        "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } } } }", id="in-subquery"
    ),
    pytest.param("ASK { FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }", id="in-exists"),
    pytest.param(
        "SELECT * WHERE { ?s ?p ?a FILTER(?a<'>') SERVICE SILENT <{url}> { ?x ?y ?z } FILTER(?a != '') }",
        id="crafted-fake-iri",
    ),
    pytest.param(
        "SELECT * WHERE { ?s ?p trueSERVICE SILENT <{url}> { ?x ?y ?z } }", id="crafted-glued-true"
    ),
    pytest.param(
        "SELECT * WHERE { ?s ?p 1e1SERVICE SILENT <{url}> { ?x ?y ?z } }", id="crafted-glued-number"
    ),
    pytest.param(
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\'b ?o . SERVICE SILENT <{url}> { ?x ?y ?z } "
        "?s ?p '' }",
        id="crafted-escaped-name",
    ),
]


def fill(text: str, listener: Listener) -> str:
    return text.replace("{url}", listener.url()).replace("{base}", listener.url("/"))


@pytest.mark.parametrize("text", QUERIES)
def test_service_is_refused_and_connects_nowhere(
    client: Any, listener: Listener, text: str
) -> None:
    assert_refused(client.get("/sparql", query_string={"query": fill(text, listener)}), listener)


@pytest.fixture(scope="module")
def allowlisted_app(make_app: Any) -> Any:
    """Query workers with network access: an allow-list names some other endpoint."""
    return make_app(service_allowlist=("http://127.0.0.1:9/allowed-elsewhere",))


@pytest.mark.parametrize("text", QUERIES)
def test_service_is_refused_with_an_allowlist_for_another_endpoint(
    allowlisted_app: Any, listener: Listener, text: str
) -> None:
    assert not allowlisted_app.extensions["kg"].backend.sandboxed
    response = allowlisted_app.test_client().get(
        "/sparql", query_string={"query": fill(text, listener)}
    )
    assert_refused(response, listener)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "SELECT ?service WHERE { BIND('web service' AS ?service) } # a service",
            id="string-var-comment",
        ),
        pytest.param(
            "SELECT * WHERE { ?s ?p ?o FILTER(?o = <http://example.org/ont#WebService>) } LIMIT 1",
            id="iri-in-parentheses",
        ),
        pytest.param(
            "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:loadFactor ?o } LIMIT 1",
            id="prefix-named-service",
        ),
    ],
)
def test_the_words_elsewhere_are_fine(allowlisted_app: Any, client: Any, text: str) -> None:
    for app_client in (allowlisted_app.test_client(), client):
        assert app_client.get("/sparql", query_string={"query": text}).status_code == 200


def test_an_allowlisted_endpoint_is_called(make_app: Any, listener: Listener) -> None:
    """The positive control: the listener does see the server when the allow-list names it."""
    app = make_app(local=True, service_allowlist=(listener.url(),))
    response = app.test_client().get(
        "/sparql",
        query_string={
            "query": f"SELECT * WHERE {{ SERVICE SILENT <{listener.url()}> {{ ?s ?p ?o }} }}"
        },
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 5
    while not listener.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.connections


UPDATES = [
    pytest.param("LOAD <{x}>", id="load"),
    pytest.param("LOAD SILENT <{x}> INTO GRAPH <http://example.org/g>", id="load-silent-into"),
    pytest.param("load <{x}>", id="lower-case"),
    pytest.param("PREFIX e: <{base}> LOAD e:x", id="prefixed-name"),
    pytest.param(
        "INSERT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }", id="service-in-where"
    ),
    pytest.param(
        "DELETE { ?s ?p ?a } WHERE { ?s ?p ?a FILTER(?a<'>') } ; LOAD <{x}> ; "
        "INSERT DATA { <http://e/a> <http://e/b> '' }",
        id="crafted-load-after-fake-iri",
    ),
    pytest.param(
        "INSERT { ?x ?y ?z } WHERE { ?s ?p trueSERVICE SILENT <{url}> { ?x ?y ?z } }",
        id="crafted-glued-service",
    ),
]


@pytest.fixture(scope="module")
def update_app(make_app: Any) -> Any:
    return make_app(writable=True, allow_update=True)


@pytest.mark.parametrize("text", UPDATES)
def test_load_and_service_in_updates_are_refused(
    update_app: Any, listener: Listener, text: str
) -> None:
    update = fill(text, listener).replace("{x}", listener.url("/x"))
    response = update_app.test_client().post("/sparql", data={"update": update})
    assert_refused(response, listener)


def test_an_allowlisted_load_is_made(make_app: Any, listener: Listener) -> None:
    app = make_app(writable=True, allow_update=True, service_allowlist=(listener.url("/x"),))
    update = f"LOAD SILENT <{listener.url('/x')}> INTO GRAPH <http://example.org/downloads>"
    assert app.test_client().post("/sparql", data={"update": update}).status_code == 204
    assert listener.connections


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        pytest.param("SELECT * WHERE { ?s ?p 'service' }", True, id="in-string"),
        pytest.param("SELECT * WHERE { ?s ?p trueSERVICE <http://a/> { } }", False, id="glued"),
        pytest.param(
            "SELECT * WHERE { SERVICE <http://a/> { ?s ?p 'service' } }",
            True,
            id="allowed-endpoint",
        ),
    ],
)
def test_check_remote_calls_asks_the_parser_only_when_in_doubt(text: str, allowed: bool) -> None:
    from kg.errors import ForbiddenOperation
    from kg.store.embedded import KGStore

    seen: list[str] = []

    def parses(neutralised: str) -> bool:
        seen.append(neutralised)
        try:
            KGStore.in_memory().query(neutralised)
        except SyntaxError:
            return False
        return True

    if allowed:
        check_remote_calls(text, ("http://a/",), update=False, verify=parses)
    else:
        with pytest.raises(ForbiddenOperation):
            check_remote_calls(text, ("http://a/",), update=False, verify=parses)
    assert all("SERVICE" not in s.upper().replace("SERXICE", "") for s in seen)


# -- timeouts -------------------------------------------------------------------------------------

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "PREFIX schema: <https://schema.org/> SELECT (COUNT(DISTINCT ?r) AS ?n) { ?r a schema:SoftwareSourceCode }"


@pytest.fixture(scope="module")
def strict_server(seed_store: Path) -> Iterator[LiveServer]:
    """`kg serve` with a 2 s query timeout and a 10-row cap."""
    server = LiveServer(seed_store, ["--query-timeout", "2", "--max-rows", "10"])
    yield server
    server.stop()


def get(server: LiveServer, query: str, timeout: float = 30) -> tuple[int, Any, bytes]:
    """Status, headers (case-insensitive) and body of a GET query."""
    url = server.url + "/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def post_oversized(server: LiveServer, body: bytes) -> tuple[int, Any, bytes]:
    """POST a body above the limit and read the answer, however early the server gives it.

    The server answers 413 from the Content-Length header alone and closes the connection
    without reading the body. A client that writes the whole body first (urllib) then meets a
    reset or a broken pipe instead of the answer whenever the 413 wins the race, which it
    does on a loaded machine. So: send the headers, wait for an early answer, and send the
    body only if none came; a write the server refuses ends the sending, not the test.
    """
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    with sock:
        head = (
            "POST /sparql HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/sparql-query\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(head.encode("ascii"))
        answered, _, _ = select.select([sock], [], [], 5)
        if not answered:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        with response:
            return response.status, response.headers, response.read()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def test_a_runaway_query_is_stopped_while_others_answer(strict_server: LiveServer) -> None:
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["status"], outcome["headers"], outcome["body"] = get(strict_server, RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway, daemon=True)
    thread.start()
    time.sleep(0.3)  # let it start
    latencies = []
    deadline = time.monotonic() + 15
    while thread.is_alive() and time.monotonic() < deadline:
        started = time.monotonic()
        status, _, body = get(strict_server, CHEAP, timeout=10)
        latencies.append(time.monotonic() - started)
        assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "29"
        time.sleep(0.05)
    thread.join(timeout=20)
    assert outcome["status"] == 503, outcome
    assert outcome["headers"]["Content-Type"].startswith(PROBLEM)
    assert "stopped" in json.loads(outcome["body"])["detail"]
    assert 1.5 <= outcome["seconds"] < 8
    assert len(latencies) >= 5 and max(latencies) < 1.0, latencies

    # The work stopped: the server's processes are idle again, and it still answers.
    time.sleep(1.0)
    processes = [strict_server.process.pid, *descendants(strict_server.process.pid)]
    before = cpu_seconds(processes)
    time.sleep(1.0)
    assert cpu_seconds(processes) - before < 0.5
    assert get(strict_server, CHEAP)[0] == 200


def test_the_cap_and_the_body_limit_on_the_real_server(strict_server: LiveServer) -> None:
    status, headers, body = get(strict_server, "SELECT ?s { ?s ?p ?o }")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 10
    assert headers["X-SPARQL-MaxRows"] == "10" and "truncated" in headers["Warning"]
    status, headers, body = post_oversized(strict_server, b"ASK {}" + b" " * (1_048_576 + 10))
    assert status == 413, body[:300]
    assert headers["Content-Type"].startswith(PROBLEM)


def test_cors_preflight_on_the_real_server(strict_server: LiveServer) -> None:
    request = urllib.request.Request(
        strict_server.url + "/sparql",
        method="OPTIONS",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]

"""``kg serve --store URL``: the web tier on an external store, several worker processes.

A real ``kg serve`` (granian, two HTTP workers) over each external store
answers /sparql, linked data and reports as a ``kg serve`` over the embedded
store does; the endpoint's rules hold there too: the query time limit,
SERVICE refused before anything is forwarded, updates only with the token.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.rdf.namespace import XSD, sparql_prologue
from kg.store.remote import RemoteStore
from tests.conftest import TEST_BASE_IRI, LiveServer
from tests.external.conftest import SeededStore

pytestmark = pytest.mark.external

TOKEN = "external-store-test-token"
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def embedded_server(embedded_seeds: Path) -> Iterator[LiveServer]:
    server = LiveServer(embedded_seeds)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def external_server(seeded_external: SeededStore) -> Iterator[LiveServer]:
    store = seeded_external.server
    server = LiveServer(
        store.query,  # type: ignore[arg-type]  # LiveServer passes --store on as text
        [
            "--update-url",
            store.update,
            "--graph-store-url",
            store.graph_store,
            "--workers",
            "2",
            "--update-token",
            TOKEN,
            "--query-timeout",
            str(TIMEOUT),
        ],
    )
    yield server
    server.stop()


def _request(
    url: str,
    *,
    data: dict[str, str] | None = None,
    accept: str = "*/*",
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one request."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": accept, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _select(server: LiveServer, query: str) -> list[dict[str, Any]]:
    status, _, body = _request(
        server.url + "/sparql", data={"query": query}, accept="application/sparql-results+json"
    )
    assert status == 200, body[:500]
    document = json.loads(body)
    return [{k: v["value"] for k, v in row.items()} for row in document["results"]["bindings"]]


def _triples(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    stamp = ox.NamedNode(str(XSD.dateTime))
    out = set()
    for quad in ox.parse(data, fmt, base_iri=TEST_BASE_IRI):
        obj = quad.object
        if isinstance(obj, ox.Literal) and obj.datatype == stamp:
            obj = ox.Literal("T", datatype=stamp)
        out.add(str(ox.Triple(quad.subject, quad.predicate, obj)))
    return out


def test_health_names_the_store_s_version(
    external_server: LiveServer, seeded_external: SeededStore
) -> None:
    status, _, body = _request(external_server.url + "/healthz")
    assert status == 200
    version = RemoteStore.open(seeded_external.server.query, base_iri=TEST_BASE_IRI).version()
    assert json.loads(body)["store_version"] == version


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", id="union-count"),
        pytest.param(
            "SELECT ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE { ?paper schema:author ?a . "
            "?a schema:name ?name } GROUP BY ?name ORDER BY DESC(?papers) ?name LIMIT 5",
            id="aggregate",
        ),
        pytest.param(
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?g a kg:SourceDocument } }",
            id="graph-pattern",
        ),
    ],
)
def test_sparql_answers_as_the_embedded_store(
    external_server: LiveServer, embedded_server: LiveServer, query: str
) -> None:
    query = sparql_prologue() + query
    assert _select(external_server, query) == _select(embedded_server, query)


def test_sparql_graph_results_and_service_description(
    external_server: LiveServer, embedded_server: LiveServer
) -> None:
    query = (
        sparql_prologue()
        + "CONSTRUCT { ?a schema:name ?n } WHERE { ?a a schema:Person ; schema:name ?n }"
    )
    answers = []
    for server in (external_server, embedded_server):
        status, headers, body = _request(
            server.url + "/sparql", data={"query": query}, accept="text/turtle"
        )
        assert status == 200 and headers["content-type"].startswith("text/turtle")
        answers.append(_triples(body, ox.RdfFormat.TURTLE))
    assert answers[0] == answers[1] and answers[0]
    status, _, body = _request(external_server.url + "/sparql", accept="text/turtle")
    assert status == 200 and b"sparql-service-description" in body


@pytest.mark.parametrize("path", ["/author/weiran-huang", "/graph/003_7707062aadfcc580.txt"])
def test_linked_data_is_the_embedded_store_s(
    external_server: LiveServer, embedded_server: LiveServer, path: str
) -> None:
    documents = []
    for server in (external_server, embedded_server):
        status, _, body = _request(server.url + path, accept="application/n-triples")
        assert status == 200, body[:300]
        documents.append(_triples(body, ox.RdfFormat.N_TRIPLES))
    assert documents[0] == documents[1] and documents[0]


REPORT_URLS = [
    "/reports/coauthors.json?author=Weiran+Huang",
    "/reports/coauthors?author=Weiran+Huang&format=json",
]


def test_a_report_is_the_embedded_store_s(
    external_server: LiveServer, embedded_server: LiveServer
) -> None:
    for path in REPORT_URLS:
        status, headers, body = _request(embedded_server.url + path, accept="application/json")
        if status == 200 and "json" in headers.get("content-type", ""):
            break
    else:
        pytest.skip(
            "no report URL answers on the embedded server yet (the reports pages are not in the tree)"
        )
    status, _, external = _request(external_server.url + path, accept="application/json")
    assert status == 200, external[:300]
    mine, theirs = json.loads(external), json.loads(body)
    assert mine["rows"] == theirs["rows"] and mine["rows"]


def test_a_runaway_query_is_stopped_at_the_time_limit(external_server: LiveServer) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    status, _, body = _request(
        external_server.url + "/sparql",
        data={"query": query},
        accept="application/sparql-results+json",
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert status == 503, body[:300]
    assert json.loads(body)["type"].endswith("query-timeout")
    assert elapsed < TIMEOUT + 10
    # Cheap queries still answer.
    status, _, body = _request(
        external_server.url + "/sparql",
        data={"query": "ASK { ?s ?p ?o }"},
        accept="application/sparql-results+json",
    )
    assert status == 200 and json.loads(body)["boolean"] is True


class _Listener:
    """A loopback TCP listener that records connection attempts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[Any] = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, address = self.sock.accept()
            except OSError:
                continue
            self.connections.append(address)
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def _service_queries() -> list[Any]:
    from tests.server.test_sparql_safety import QUERIES

    return QUERIES


@pytest.mark.parametrize("template", _service_queries())
def test_service_is_refused_before_the_query_reaches_the_store(
    external_server: LiveServer, template: str
) -> None:
    listener = _Listener()
    try:
        base = f"http://127.0.0.1:{listener.port}/"
        query = template.replace("{url}", base + "sparql").replace("{base}", base)
        status, _, body = _request(
            external_server.url + "/sparql",
            data={"query": query},
            accept="application/sparql-results+json",
        )
        time.sleep(0.3)
        assert status == 400, body[:300]
        assert listener.connections == []
    finally:
        listener.close()


def test_updates_need_the_token_and_go_to_the_store(
    external_server: LiveServer, seeded_external: SeededStore
) -> None:
    # A graph outside the project's base IRI: the seeded graphs, the union and the stats stay as they are.
    graph = "http://scratch.test/graph"
    insert = f'INSERT DATA {{ GRAPH <{graph}> {{ <http://scratch.test/s> <http://scratch.test/p> "x" }} }}'
    check = f"SELECT ?o FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    endpoint = external_server.url + "/sparql"
    status, _, _ = _request(endpoint, data={"update": insert})
    assert status == 401
    status, _, _ = _request(
        endpoint, data={"update": insert}, headers={"Authorization": "Bearer wrong"}
    )
    assert status == 401
    assert _select(external_server, check) == []
    store = RemoteStore.open(seeded_external.server.query, base_iri=TEST_BASE_IRI)
    before = store.version()
    status, _, body = _request(
        endpoint, data={"update": insert}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 204, body[:300]
    assert _select(external_server, check) == [{"o": "x"}]
    assert store.version() != before, "an update records a new version (caches and ETags follow it)"
    status, _, _ = _request(
        endpoint,
        data={"update": f"DROP SILENT GRAPH <{graph}>"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert status == 204
    assert _select(external_server, check) == []

"""An external store holding more named graphs than an HTTP answer has headers by default:
a query that uses GRAPH names the project's graphs (kg.store.remote.store.dataset), and
Virtuoso echoes each as a response header, which Python's HTTP client refused past 100
("got more than 100 headers": every GRAPH query failed once the store held about a hundred
profiles)."""

from __future__ import annotations

import pytest

from kg.store.query import QueryRequest
from kg.store.remote import RemoteBackend, RemoteStore
from kg.store.remote.http import MAX_RESPONSE_HEADERS
from kg.store.remote.store import MAX_LISTED_GRAPHS
from tests.external.conftest import StoreServer

pytestmark = pytest.mark.external

BASE = "http://many-graphs.test/"
GRAPHS = 150


def test_the_headers_allowed_cover_every_graph_listed() -> None:
    assert MAX_RESPONSE_HEADERS > MAX_LISTED_GRAPHS + 100


def test_a_graph_query_over_many_graphs(external_store: StoreServer) -> None:
    store = RemoteStore.open(external_store.query, base_iri=BASE, update_url=external_store.update)
    store.send_update(
        "INSERT DATA { "
        + " ".join(
            f"GRAPH <{BASE}graph/g{i}> {{ <{BASE}s{i}> <{BASE}p> {i} }}" for i in range(GRAPHS)
        )
        + " }"
    )
    backend = RemoteBackend(RemoteStore.open(external_store.query, base_iri=BASE), timeout=60)
    outcome = backend.run(
        QueryRequest("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"), timeout=60
    )
    assert outcome.select is not None
    found = {row[0].value for row in outcome.select.rows}
    assert found == {f"{BASE}graph/g{i}" for i in range(GRAPHS)}

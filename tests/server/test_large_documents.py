"""Large linked-data documents are bounded, cached and under the deadline (issue 15, item 7).

The store: the seed profiles plus one generated source graph of 30,000 triples (the
identity graph of 20k papers was 3.4 MB of JSON-LD and took 5 s of CPU in the HTTP
process on every request, with no timeout). Before: ``/graph/big.jsonld`` was the whole
graph, rendered anew for every request; now it is cut at ``--max-document-triples``
(10,000 by default), says so in its headers and its data, links the dumps, is
rendered once per store version, and its queries and rendering share one deadline.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI, LiveServer
from tests.server.conftest import close_app

BIG_GRAPH = TEST_BASE_IRI + "graph/big"
BIG_TRIPLES = 30_000
DEFAULT_LIMIT = 10_000


def big_graph_nquads() -> Iterator[str]:
    """BIG_TRIPLES triples in the graph BIG_GRAPH: 6,000 subjects of five triples each."""
    graph = f"<{BIG_GRAPH}>"
    for i in range(BIG_TRIPLES // 5):
        s = f"<{TEST_BASE_IRI}decision/big-{i}>"
        yield f'{s} <https://schema.org/name> "Generated decision {i}" {graph} .\n'
        yield f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Activity> {graph} .\n"
        yield f"{s} <http://www.w3.org/ns/prov#used> <{TEST_BASE_IRI}author/a-{i}> {graph} .\n"
        yield f"{s} <http://www.w3.org/ns/prov#generated> <{TEST_BASE_IRI}author/b-{i}> {graph} .\n"
        yield f'{s} <http://purl.org/dc/terms/date> "2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date> {graph} .\n'


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory, seed_store: Path) -> Path:
    folder = tmp_path_factory.mktemp("big-store") / "store"
    shutil.copytree(seed_store, folder)
    store = KGStore.open_writable(folder)
    try:
        store.load_new_graphs(big_graph_nquads())
        store.publish()
    finally:
        store.close()
    return folder


@pytest.fixture(scope="module")
def big_app(big_store: Path) -> Iterator[Callable[..., Flask]]:
    from kg_server.app import create_app

    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = create_app(
            {"store": str(big_store), "base_iri": TEST_BASE_IRI, "query_timeout": 20, **config}
        )
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


def test_a_large_graph_document_is_cut_says_so_and_links_the_dumps(
    big_app: Callable[..., Flask],
) -> None:
    client = big_app().test_client()
    response = client.get("/graph/big.ttl")
    assert response.status_code == 200
    assert response.headers["X-Description-Truncated"] == f"content; limit={DEFAULT_LIMIT}"
    assert '</dumps>; rel="related"' in response.headers["Link"].replace("http://localhost", "")
    graph = Graph().parse(data=response.data, format="turtle")
    subject = URIRef(BIG_GRAPH)
    assert len(graph) == DEFAULT_LIMIT + 2  # the cut content, the note and the dumps' link
    (note,) = graph.objects(subject, RDFS.comment)
    assert f"cut at {DEFAULT_LIMIT} triples" in str(note) and "/dumps" in str(note)
    assert set(graph.objects(subject, RDFS.seeAlso)) == {URIRef("http://localhost/dumps")}


def test_the_limit_is_a_setting(big_app: Callable[..., Flask]) -> None:
    client = big_app(max_document_triples=BIG_TRIPLES * 2).test_client()
    response = client.get("/graph/big.nt")
    assert response.status_code == 200
    assert "X-Description-Truncated" not in response.headers
    assert len(response.data.splitlines()) == BIG_TRIPLES


def test_a_document_is_rendered_once_however_many_ask_at_once(
    big_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg_server import linked_data

    app = big_app()
    calls: list[str] = []
    original = linked_data.render_rdf

    def counting(triples: Any, fmt: Any) -> bytes:
        calls.append(fmt.key)
        return original(triples, fmt)

    monkeypatch.setattr(linked_data, "render_rdf", counting)
    statuses: list[int] = []
    bodies: set[bytes] = set()

    def fetch() -> None:
        response = app.test_client().get("/graph/big.jsonld")
        statuses.append(response.status_code)
        bodies.add(response.data)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * 8
    assert len(bodies) == 1
    assert calls == ["jsonld"], "the document was rendered more than once"
    # Another format is another document; the same one again is not rendered again.
    assert app.test_client().get("/graph/big.ttl").status_code == 200
    assert app.test_client().get("/graph/big.jsonld").status_code == 200
    assert calls == ["jsonld", "turtle"]


def test_building_a_document_counts_against_the_query_timeout(
    big_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg_server import linked_data

    app = big_app(query_timeout=1)
    original = linked_data.describe
    rendered: list[str] = []

    def slow_describe(*args: Any, **kwargs: Any) -> Any:
        description = original(*args, **kwargs)
        time.sleep(1.2)  # the queries took the whole budget
        return description

    monkeypatch.setattr(linked_data, "describe", slow_describe)
    monkeypatch.setattr(linked_data, "render_rdf", lambda *a: rendered.append("x") or b"")
    # A small document: its queries are quick, the budget goes in the (patched) wait.
    response = app.test_client().get("/author/xuyang-zhao.jsonld")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "query-timeout" in response.json["type"]
    assert rendered == [], "the document was rendered after its deadline"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a real kg serve")
def test_clients_looping_on_a_large_document_leave_cheap_queries_answering(
    big_store: Path,
) -> None:
    server = LiveServer(big_store)
    try:
        stop = threading.Event()
        sizes: list[tuple[int, int, float]] = []

        def loop(extension: str) -> None:
            while not stop.is_set():
                started = time.monotonic()
                with urllib.request.urlopen(f"{server.url}/graph/big.{extension}", timeout=60) as r:
                    sizes.append((r.status, len(r.read()), time.monotonic() - started))

        extensions = ["jsonld", "ttl", "rdf", "nt", "html"] * 2
        threads = [threading.Thread(target=loop, args=(e,), daemon=True) for e in extensions[:8]]
        for thread in threads:
            thread.start()
        time.sleep(3)
        ask = urllib.request.Request(
            server.url + "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
            headers={"Accept": "application/sparql-results+json"},
        )
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(ask, timeout=60) as response:
                assert json.loads(response.read())["boolean"] is True
            latencies.append(time.monotonic() - started)
            time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.stop()
    assert sizes and all(status == 200 for status, _, _ in sizes)
    # Each document is at most the cut content: about 1.5 MB as JSON-LD, far less otherwise.
    assert max(size for _, size, _ in sizes) < 3_000_000
    assert sorted(latencies)[len(latencies) // 2] < 1.0, latencies

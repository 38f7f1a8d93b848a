"""The 34 W3C SPARQL 1.1 Protocol tests, read from their manifest and run against `kg serve`.

Each test in ../shared/w3c/sparql/sparql11/protocol/manifest.ttl is a list of
HTTP requests (method, path, headers, body) with the expected status class
and, for some, the expected result form (boolean, tabular, RDF) and boolean
value. They run in order against a real `kg serve --allow-update` (granian,
worker processes) over a fresh store holding data1.nt, data2.nt and data3.nt
as the named graphs the manifest labels them with; a test that declares
``ut:graphData`` gets that data restored first (earlier update tests clear it).
Paths in the manifest start with ``/sparql/``; ours is ``/sparql``.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from tests.conftest import W3C_DIR, LiveServer

PROTOCOL_DIR = W3C_DIR / "sparql" / "sparql11" / "protocol"
MANIFEST = PROTOCOL_DIR / "manifest.ttl"
MANIFEST_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
STATUS_CLASSES = {
    HTS.StatusCode2xx: 2,
    HTS.StatusCode3xx: 3,
    HTS.StatusCode4xx: 4,
    HTS.StatusCode5xx: 5,
}

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status_classes: frozenset[int]
    result_form: str | None
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    approved: bool
    requests: list[ProtocolRequest]
    #: (file name, graph IRI) pairs to load before the test
    graph_data: list[tuple[str, str]] = field(default_factory=list)


def _items(graph: Graph, head: Any) -> list[Any]:
    return list(Collection(graph, head)) if head is not None else []


def read_manifest(path: Path) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle", publicID=MANIFEST_IRI)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = []
        for node in _items(graph, graph.value(action, HT.requests)):
            headers = {
                str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
                for h in _items(graph, graph.value(node, HT.headers))
            }
            body_node = graph.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            result_form = graph.value(response, MF.expectedFormat)
            requests.append(
                ProtocolRequest(
                    method=str(graph.value(node, HT.methodName)),
                    path=str(graph.value(node, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    status_classes=frozenset(
                        STATUS_CLASSES[s] for s in graph.objects(response, MF.expectedStatus)
                    ),
                    result_form=str(result_form) if result_form is not None else None,
                    boolean=expected_boolean.toPython() if expected_boolean is not None else None,
                )
            )
        graph_data = sorted(
            (Path(str(graph.value(d, UT.graph))).name, str(graph.value(d, RDFS.label)))
            for d in graph.objects(entry, UT.graphData)
        )
        tests.append(
            ProtocolTest(
                name=str(entry).removeprefix(MANIFEST_IRI),
                title=str(graph.value(entry, MF.name)),
                approved=graph.value(entry, DAWGT.approval) == DAWGT.Approved,
                requests=requests,
                graph_data=graph_data,
            )
        )
    return tests


TESTS = read_manifest(MANIFEST) if MANIFEST.is_file() else []


def test_the_manifest_has_the_34_approved_tests() -> None:
    if not TESTS:
        pytest.skip(f"W3C protocol manifest not found at {MANIFEST}")
    assert len(TESTS) == 34
    assert all(test.approved for test in TESTS)
    assert len({test.name for test in TESTS}) == 34


# -- the server -------------------------------------------------------------------------------


def graph_data_update(pairs: list[tuple[str, str]]) -> str:
    """An update that leaves the store holding just these graphs (and their union as default graph)."""
    parts = ["DROP ALL"]
    for file_name, iri in pairs:
        triples = (PROTOCOL_DIR / file_name).read_text(encoding="utf-8")
        parts.append(f"INSERT DATA {{ GRAPH <{URIRef(iri)}> {{ {triples} }} {triples} }}")
    return " ;\n".join(parts)


ALL_DATA = [(f"data{n}.nt", f"http://kasei.us/2009/09/sparql/data/data{n}.rdf") for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def protocol_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`kg serve --allow-update` on a fresh store with the protocol tests' data."""
    from kg.store.embedded import KGStore

    if not TESTS:
        pytest.skip(f"W3C protocol manifest not found at {MANIFEST}")
    folder = tmp_path_factory.mktemp("w3c-protocol-store")
    store = KGStore.open_writable(folder)
    for file_name, iri in ALL_DATA:
        data = (PROTOCOL_DIR / file_name).read_bytes()
        store.load_rdf(data, "ntriples", graph=iri)
        store.load_rdf(data, "ntriples")
    store.publish()
    store.close()
    del store
    server = LiveServer(folder, ["--allow-update"])
    yield server
    server.stop()


def send(
    server: LiveServer, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return response.status, content_type, response.read()
    finally:
        connection.close()


def restore(server: LiveServer, pairs: list[tuple[str, str]]) -> None:
    status, _, body = send(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-update"},
        graph_data_update(pairs).encode(),
    )
    assert status == 204, body


def boolean_of(content_type: str, body: bytes) -> bool:
    if content_type == "application/sparql-results+json":
        return bool(json.loads(body)["boolean"])
    element = ElementTree.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None and element.text in ("true", "false")
    return element.text == "true"


def check_response(request: ProtocolRequest, status: int, content_type: str, body: bytes) -> None:
    assert status // 100 in request.status_classes, f"{status}: {body[:300]!r}"
    if request.result_form == "boolean":
        assert content_type in BOOLEAN_TYPES
        value = boolean_of(content_type, body)
        if request.boolean is not None:
            assert value is request.boolean
    elif request.result_form == "tabular":
        assert content_type in TABULAR_TYPES
    elif request.result_form == "RDF":
        assert content_type in RDF_TYPES
        Graph().parse(data=body, format=RDF_TYPES[content_type])


@pytest.mark.parametrize("case", [pytest.param(t, id=t.name) for t in TESTS])
def test_w3c_protocol(protocol_server: LiveServer, case: ProtocolTest) -> None:
    if case.graph_data:
        restore(protocol_server, case.graph_data)
    for request in case.requests:
        assert request.path.startswith("/sparql/")
        path = "/sparql" + request.path.removeprefix(
            "/sparql/"
        )  # "/sparql/?query=" -> "/sparql?query="
        status, content_type, body = send(
            protocol_server, request.method, path, request.headers, request.body
        )
        check_response(request, status, content_type, body)

"""The service description at GET /sparql.

The three W3C service-description tests (../shared/w3c/sparql/sparql11/
service-description/manifest.ttl) run against a real `kg serve`, one test per
manifest entry; "conforms to schema" checks every sd: statement against the
domains and ranges of the Service Description vocabulary, written out below
from the recommendation (https://www.w3.org/TR/sparql11-service-description/).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from tests.conftest import W3C_DIR, LiveServer

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = "http://www.w3.org/ns/formats/"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SD_MANIFEST = W3C_DIR / "sparql" / "sparql11" / "service-description" / "manifest.ttl"
SD_MANIFEST_IRI = (
    "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"
)
RDF_ACCEPT = "text/turtle, application/rdf+xml;q=0.9"

#: property -> (domain, range); None where the vocabulary gives none.
SCHEMA: dict[URIRef, tuple[URIRef | None, URIRef | None]] = {
    SD.endpoint: (SD.Service, None),
    SD.feature: (SD.Service, SD.Feature),
    SD.defaultEntailmentRegime: (SD.Service, SD.EntailmentRegime),
    SD.supportedEntailmentProfile: (SD.Service, SD.EntailmentProfile),
    SD.defaultSupportedEntailmentProfile: (SD.Service, SD.EntailmentProfile),
    SD.extensionFunction: (SD.Service, SD.Function),
    SD.extensionAggregate: (SD.Service, SD.Aggregate),
    SD.languageExtension: (SD.Service, SD.Feature),
    SD.supportedLanguage: (SD.Service, SD.Language),
    SD.propertyFeature: (SD.Service, None),
    SD.defaultDataset: (SD.Service, SD.Dataset),
    SD.availableGraphs: (SD.Service, SD.GraphCollection),
    SD.resultFormat: (SD.Service, None),
    SD.inputFormat: (SD.Service, None),
    SD.defaultGraph: (SD.Dataset, SD.Graph),
    SD.namedGraph: (SD.GraphCollection, SD.NamedGraph),
    SD.name: (SD.NamedGraph, None),
    SD.graph: (SD.NamedGraph, SD.Graph),
    SD.entailmentRegime: (SD.NamedGraph, SD.EntailmentRegime),
}
SUBCLASSES = {SD.Dataset: {SD.GraphCollection}, SD.Aggregate: {SD.Function}}
#: Instances the vocabulary itself types.
VOCABULARY_TYPES = {
    **{term: SD.Language for term in (SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update)},
    **{
        term: SD.Feature
        for term in (
            SD.DereferencesURIs,
            SD.UnionDefaultGraph,
            SD.RequiresDataset,
            SD.EmptyGraphs,
            SD.BasicFederatedQuery,
        )
    },
}


def types_of(graph: Graph, node: Any) -> set[URIRef]:
    direct = {t for t in graph.objects(node, RDF.type) if isinstance(t, URIRef)}
    if node in VOCABULARY_TYPES:
        direct.add(VOCABULARY_TYPES[node])
    return direct | {parent for t in direct for parent in SUBCLASSES.get(t, set())}


def fetch(url: str, accept: str | None = RDF_ACCEPT) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        return response.status, content_type, response.read()


def description(url: str) -> Graph:
    status, content_type, body = fetch(url)
    assert status == 200
    return Graph().parse(
        data=body, format={"text/turtle": "turtle", "application/rdf+xml": "xml"}[content_type]
    )


# -- the W3C tests ----------------------------------------------------------------------------


def returns_rdf(server: LiveServer) -> None:
    for accept, parser in [
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        (None, "turtle"),
    ]:
        status, content_type, body = fetch(server.url + "/sparql", accept)
        assert status == 200
        assert content_type == {"turtle": "text/turtle", "xml": "application/rdf+xml"}[parser]
        assert len(Graph().parse(data=body, format=parser)) > 0


def has_endpoint_triple(server: LiveServer) -> None:
    endpoint = server.url + "/sparql"
    graph = description(endpoint)
    services = set(graph.subjects(SD.endpoint, URIRef(endpoint)))
    assert len(services) == 1
    assert (services.pop(), RDF.type, SD.Service) in graph


def conforms_to_schema(server: LiveServer) -> None:
    graph = description(server.url + "/sparql")
    checked = 0
    for subject, predicate, obj in graph:
        if not str(predicate).startswith(str(SD)):
            continue
        assert predicate in SCHEMA, f"{predicate} is not a term of the vocabulary"
        domain, range_ = SCHEMA[predicate]
        if domain is not None:
            assert domain in types_of(graph, subject), (
                f"{subject} {predicate}: subject is not an {domain}"
            )
        if range_ is not None:
            assert range_ in types_of(graph, obj), f"{predicate} {obj}: object is not an {range_}"
        checked += 1
    for term in graph.objects(None, RDF.type):
        if str(term).startswith(str(SD)):
            assert term in {d for d, _ in SCHEMA.values()} | {r for _, r in SCHEMA.values()}
    assert checked > 10
    for fmt in graph.objects(None, SD.resultFormat):
        assert str(fmt).startswith(FORMATS)
    for name in graph.objects(None, SD.name):
        assert isinstance(name, URIRef)


W3C_CHECKS: dict[str, Callable[[LiveServer], None]] = {
    "returns-rdf": returns_rdf,
    "has-endpoint-triple": has_endpoint_triple,
    "conforms-to-schema": conforms_to_schema,
}


def manifest_entries() -> list[str]:
    if not SD_MANIFEST.is_file():
        return []
    graph = Graph().parse(SD_MANIFEST, format="turtle", publicID=SD_MANIFEST_IRI)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return [
        str(e).removeprefix(SD_MANIFEST_IRI)
        for e in Collection(graph, graph.value(manifest, MF.entries))
    ]


def test_every_w3c_service_description_test_is_automated() -> None:
    entries = manifest_entries()
    if not entries:
        pytest.skip(f"W3C service-description manifest not found at {SD_MANIFEST}")
    assert sorted(entries) == sorted(W3C_CHECKS)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in manifest_entries()])
def test_w3c_service_description(live_server: LiveServer, name: str) -> None:
    W3C_CHECKS[name](live_server)


# -- what it says -----------------------------------------------------------------------------


def test_it_lists_languages_formats_features_and_graphs(client: Any) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.data, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    assert set(graph.objects(service, SD.endpoint)) == {URIRef("http://localhost/sparql")}
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert set(graph.objects(service, SD.feature)) == {SD.UnionDefaultGraph}
    formats = {str(f).removeprefix(FORMATS) for f in graph.objects(service, SD.resultFormat)}
    assert formats == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "N-Quads",
        "TriG",
        "RDF_XML",
        "JSON-LD",
    }
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert (dataset, RDFS.seeAlso, URIRef("http://localhost/.well-known/void")) in graph
    assert isinstance(graph.value(dataset, SD.defaultGraph), BNode)
    names = {str(graph.value(g, SD.name)) for g in graph.objects(dataset, SD.namedGraph)}
    assert len(names) >= 5 and all(n.startswith("http://kg.test/graph/") for n in names)


def test_updates_and_federation_are_announced_only_when_enabled(make_app: Any) -> None:
    app = make_app(
        writable=True,
        update_token="t0ken",
        service_allowlist=("https://query.wikidata.org/sparql",),
    )
    graph = Graph().parse(data=app.test_client().get("/sparql").data, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    assert set(graph.objects(service, SD.supportedLanguage)) == {
        SD.SPARQL11Query,
        SD.SPARQL11Update,
    }
    assert set(graph.objects(service, SD.feature)) == {SD.UnionDefaultGraph, SD.BasicFederatedQuery}


def test_the_named_graphs_listed_are_bounded(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg_server.sparql

    monkeypatch.setattr(kg_server.sparql, "MAX_DESCRIBED_GRAPHS", 2)
    graph = Graph().parse(
        data=make_app(local=True).test_client().get("/sparql").data, format="turtle"
    )
    assert len(set(graph.objects(None, SD.namedGraph))) == 2
    assert any("Only the first 2 named graphs" in str(c) for c in graph.objects(None, RDFS.comment))


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        pytest.param("text/turtle", "turtle", id="turtle"),
        pytest.param("application/n-triples", "nt", id="ntriples"),
        pytest.param("application/rdf+xml", "xml", id="rdfxml"),
        pytest.param("application/ld+json", "json-ld", id="jsonld"),
        pytest.param("application/trig", "trig", id="trig"),
        pytest.param("application/n-quads", "nquads", id="nquads"),
    ],
)
def test_every_rdf_format_says_the_same(client: Any, accept: str, parser: str) -> None:
    turtle = Graph().parse(
        data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    assert isomorphic(Graph().parse(data=response.data, format=parser), turtle)


def test_no_accept_gets_turtle_and_a_browser_gets_the_page(client: Any) -> None:
    assert client.get("/sparql").mimetype == "text/turtle"
    assert client.get("/sparql", headers={"Accept": "*/*"}).mimetype == "text/turtle"
    browser = client.get(
        "/sparql", headers={"Accept": "text/html,*/*;q=0.8"}, query_string={"tab": "2"}
    )
    assert browser.status_code == 303 and browser.headers["Location"] == "/?tab=2"


def test_a_query_request_without_its_query_is_400(client: Any) -> None:
    response = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "query=" in response.get_json()["detail"]


def test_the_endpoint_is_the_url_the_client_used(client: Any) -> None:
    # (a host the server trusts, here the base IRI's: see test_host_header.py)
    response = client.get("/sparql", base_url="https://kg.test:8443")
    graph = Graph().parse(data=response.data, format="turtle")
    assert set(graph.objects(None, SD.endpoint)) == {URIRef("https://kg.test:8443/sparql")}

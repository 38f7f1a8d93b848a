"""Real SPARQL clients against a real `kg serve`: SPARQLWrapper and rdflib's SPARQLStore.

Every return format SPARQLWrapper offers, by GET, form POST and direct POST,
both as SPARQLWrapper sends it by default (Accept plus its ``format``,
``output`` and ``results`` parameters) and with content negotiation only;
rdflib's SPARQLStore as a Graph over the endpoint (SELECT, ASK, CONSTRUCT).
Each asserts facts of the seed profiles: 104 papers, 29 repositories.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

from tests.conftest import LiveServer

#: SPARQLWrapper 2.0 parses RDF/XML and JSON-LD into rdflib's deprecated ConjunctiveGraph.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA = "PREFIX schema: <https://schema.org/>\n"
PAPERS = SCHEMA + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }"
REPOSITORIES = SCHEMA + "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a schema:SoftwareSourceCode }"
ASK_REPOSITORY = SCHEMA + "ASK { ?r a schema:SoftwareSourceCode }"
ASK_NOTHING = "ASK { <urn:x-nothing> ?p ?o }"
CONSTRUCT = (
    SCHEMA + "CONSTRUCT { ?r a schema:SoftwareSourceCode } WHERE { ?r a schema:SoftwareSourceCode }"
)
SCHEMA_REPOSITORY = URIRef("https://schema.org/SoftwareSourceCode")

METHODS = [
    pytest.param(GET, URLENCODED, id="GET"),
    pytest.param(POST, URLENCODED, id="POST-form"),
    pytest.param(POST, POSTDIRECTLY, id="POST-direct"),
]
CONNEG = [pytest.param(False, id="format-params"), pytest.param(True, id="conneg-only")]


def wrapper(
    server: LiveServer,
    query: str,
    return_format: str,
    method: str,
    request_method: str,
    only_conneg: bool,
) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    sparql.setOnlyConneg(only_conneg)
    sparql.setTimeout(30)
    return sparql


def count_from(return_format: str, result: Any) -> int:
    if return_format == JSON:
        return int(result["results"]["bindings"][0]["n"]["value"])
    if return_format == XML:
        assert isinstance(result, Document)
        return int(result.getElementsByTagName("literal")[0].firstChild.data)
    rows = list(
        csv.reader(io.StringIO(result.decode()), delimiter="," if return_format == CSV else "\t")
    )
    assert rows[0] == (["n"] if return_format == CSV else ["?n"])
    return int(rows[1][0].split("^^")[0].strip('"'))


@pytest.mark.parametrize("only_conneg", CONNEG)
@pytest.mark.parametrize(("method", "request_method"), METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(
    live_server: LiveServer, return_format: str, method: str, request_method: str, only_conneg: bool
) -> None:
    for query, expected in [(PAPERS, 104), (REPOSITORIES, 29)]:
        result = wrapper(
            live_server, query, return_format, method, request_method, only_conneg
        ).queryAndConvert()
        assert count_from(return_format, result) == expected


def boolean_from(return_format: str, result: Any) -> bool:
    if return_format == JSON:
        return bool(result["boolean"])
    if return_format == XML:
        return str(result.getElementsByTagName("boolean")[0].firstChild.data) == "true"
    return {b"true": True, b"false": False}[result.strip()]


@pytest.mark.parametrize("only_conneg", CONNEG)
@pytest.mark.parametrize(("method", "request_method"), METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_ask(
    live_server: LiveServer, return_format: str, method: str, request_method: str, only_conneg: bool
) -> None:
    yes = wrapper(live_server, ASK_REPOSITORY, return_format, method, request_method, only_conneg)
    no = wrapper(live_server, ASK_NOTHING, return_format, method, request_method, only_conneg)
    assert boolean_from(return_format, yes.queryAndConvert()) is True
    assert boolean_from(return_format, no.queryAndConvert()) is False


#: SPARQLWrapper's return format -> the rdflib parser for the bytes it returns (None: it returns a Graph).
GRAPH_FORMATS = {TURTLE: "turtle", N3: "turtle", RDFXML: None, XML: None, JSONLD: None}


def as_graph(return_format: str, result: Any) -> Graph:
    if isinstance(result, bytes):
        return Graph().parse(data=result, format=GRAPH_FORMATS[return_format] or "turtle")
    graph = Graph()
    for triple in result.triples((None, None, None)):
        graph.add(triple)
    return graph


@pytest.mark.parametrize("only_conneg", CONNEG)
@pytest.mark.parametrize(("method", "request_method"), METHODS)
@pytest.mark.parametrize("return_format", list(GRAPH_FORMATS))
def test_sparqlwrapper_construct(
    live_server: LiveServer, return_format: str, method: str, request_method: str, only_conneg: bool
) -> None:
    result = wrapper(
        live_server, CONSTRUCT, return_format, method, request_method, only_conneg
    ).queryAndConvert()
    graph = as_graph(return_format, result)
    assert len(graph) == 29
    assert set(graph.objects()) == {SCHEMA_REPOSITORY}


def a_paper(server: LiveServer) -> str:
    query = SCHEMA + "SELECT ?p WHERE { ?p a schema:ScholarlyArticle } ORDER BY ?p LIMIT 1"
    result = wrapper(server, query, JSON, GET, URLENCODED, False).queryAndConvert()
    return str(result["results"]["bindings"][0]["p"]["value"])


@pytest.mark.parametrize(("method", "request_method"), METHODS)
@pytest.mark.parametrize("return_format", list(GRAPH_FORMATS))
def test_sparqlwrapper_describe(
    live_server: LiveServer, return_format: str, method: str, request_method: str
) -> None:
    paper = a_paper(live_server)
    result = wrapper(
        live_server, f"DESCRIBE <{paper}>", return_format, method, request_method, False
    ).queryAndConvert()
    graph = as_graph(return_format, result)
    assert (
        URIRef(paper),
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        URIRef("https://schema.org/ScholarlyArticle"),
    ) in graph


def test_sparqlwrapper_ntriples_by_accept(live_server: LiveServer) -> None:
    sparql = wrapper(live_server, CONSTRUCT, N3, GET, URLENCODED, True)
    sparql.addCustomHttpHeader("Accept", "application/n-triples")
    response = sparql.query()
    assert response.info()["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=response.convert(), format="nt")) == 29


def test_sparqlwrapper_reports_a_syntax_error(live_server: LiveServer) -> None:
    with pytest.raises(QueryBadFormed, match="line 1, column "):
        wrapper(live_server, "SELECT * WHERE { ?s ?p }", JSON, GET, URLENCODED, False).query()


# -- rdflib's SPARQLStore ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(live_server: LiveServer, method: str) -> None:
    """rdflib's default: Accept application/rdf+xml, application/sparql-results+xml."""
    graph = Graph(store=SPARQLStore(query_endpoint=live_server.url + "/sparql", method=method))
    [(papers,)] = list(graph.query(PAPERS))
    [(repositories,)] = list(graph.query(REPOSITORIES))
    assert (papers, repositories) == (Literal(104), Literal(29))
    assert graph.query(ASK_REPOSITORY).askAnswer is True
    assert graph.query(ASK_NOTHING).askAnswer is False
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None and len(constructed) == 29


@pytest.mark.parametrize("return_format", ["json", "csv", "tsv"])
def test_rdflib_sparqlstore_result_formats(live_server: LiveServer, return_format: str) -> None:
    graph = Graph(
        store=SPARQLStore(query_endpoint=live_server.url + "/sparql", returnFormat=return_format)
    )
    [(papers,)] = list(graph.query(PAPERS))
    assert int(papers) == 104
    if return_format == "json":
        assert graph.query(ASK_REPOSITORY).askAnswer is True


def test_rdflib_sparqlstore_triples(live_server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(query_endpoint=live_server.url + "/sparql"))
    repositories = set(
        graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SCHEMA_REPOSITORY)
    )
    assert len(repositories) == 29


# -- updates through a client --------------------------------------------------------------------

TOKEN = "client-test-token"
INSERT = 'INSERT DATA { GRAPH <http://example.org/client> { <http://example.org/s> <http://example.org/p> "x" } }'
ASK_INSERTED = 'ASK { GRAPH <http://example.org/client> { <http://example.org/s> <http://example.org/p> "x" } }'


@pytest.fixture(scope="module")
def token_server(
    tmp_path_factory: pytest.TempPathFactory, seed_store: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("client-update-store") / "store"
    shutil.copytree(seed_store, folder)
    server = LiveServer(folder, ["--update-token", TOKEN])
    yield server
    server.stop()


def test_sparqlwrapper_update_with_the_token(token_server: LiveServer) -> None:
    endpoint = token_server.url + "/sparql"
    sparql = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
    sparql.setMethod(POST)
    sparql.setQuery(INSERT)
    with pytest.raises(Unauthorized):
        sparql.query()
    sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    assert sparql.query().response.status == 204
    check = wrapper(token_server, ASK_INSERTED, JSON, GET, URLENCODED, False)
    assert check.queryAndConvert()["boolean"] is True

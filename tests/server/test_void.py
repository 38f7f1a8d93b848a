"""VoID at /.well-known/void (server/void.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from kg import formats
from kg.rdf.namespace import DCTERMS, FOAF, SCHEMA, VOID
from kg.store.embedded import KGStore
from kg.store.stats import store_stats
from tests.conftest import TEST_BASE_IRI
from tests.server.test_linked_data import (
    BROWSER_ACCEPT,
    EXTENSIONS,
    MEDIA_TYPES,
    RAPPER_PARSERS,
    RDF_KEYS,
    parse_rdf,
    rapper_count,
)

DATASET = URIRef(TEST_BASE_IRI + ".well-known/void#dataset")


@pytest.fixture(scope="module")
def void_graph(app: Any) -> Graph:
    client = app.test_client()
    response = client.get("/.well-known/void")
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/turtle"
    return parse_rdf(response.data, "turtle", client)


def _int(graph: Graph, subject: Any, predicate: Any) -> int:
    value = graph.value(subject, URIRef(predicate))
    assert isinstance(value, Literal), f"no {predicate} on {subject}"
    return int(value)


def _partitions(graph: Graph, kind: str) -> dict[str, int]:
    link, key, count = {
        "class": (VOID.classPartition, VOID["class"], VOID.entities),
        "property": (VOID.propertyPartition, VOID.property, VOID.triples),
    }[kind]
    out = {}
    for partition in graph.objects(DATASET, URIRef(link)):
        out[str(graph.value(partition, URIRef(key)))] = _int(graph, partition, count)
    return out


def test_dataset_counts_match_the_store(void_graph: Graph, seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    stats = store_stats(store)
    assert (DATASET, RDF.type, URIRef(VOID.Dataset)) in void_graph
    assert _int(void_graph, DATASET, VOID.triples) == stats["triples"]
    classes = _partitions(void_graph, "class")
    assert classes[str(SCHEMA.Person)] == stats["authors"]
    assert classes[str(SCHEMA.ScholarlyArticle)] == stats["papers"]
    assert _int(void_graph, DATASET, VOID.classes) == len(classes)
    properties = _partitions(void_graph, "property")
    assert _int(void_graph, DATASET, VOID.properties) == len(properties)
    assert sum(properties.values()) == stats["triples"]
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s <https://schema.org/author> ?o }")
    assert properties[str(SCHEMA.author)] == int(next(iter(rows))["n"].value)
    entities = _int(void_graph, DATASET, VOID.entities)
    assert stats["authors"] + stats["papers"] < entities < stats["triples"]


def test_dataset_links_license_and_space(void_graph: Graph) -> None:
    dumps = {str(o) for o in void_graph.objects(DATASET, URIRef(VOID.dataDump))}
    assert dumps == {TEST_BASE_IRI + f"dumps/kg.{ext}.gz" for ext in ("nq", "trig", "ttl")}
    assert void_graph.value(DATASET, URIRef(VOID.sparqlEndpoint)) == URIRef(
        TEST_BASE_IRI + "sparql"
    )
    assert void_graph.value(DATASET, URIRef(VOID.uriSpace)) == Literal(TEST_BASE_IRI)
    assert void_graph.value(DATASET, URIRef(DCTERMS.license)) == URIRef(
        "https://creativecommons.org/publicdomain/zero/1.0/"
    )
    modified = void_graph.value(DATASET, URIRef(DCTERMS.modified))
    assert isinstance(modified, Literal) and modified.datatype == XSD.dateTime
    vocabularies = {str(o) for o in void_graph.objects(DATASET, URIRef(VOID.vocabulary))}
    assert {
        "https://schema.org/",
        "https://w3id.org/scholarly-kg/ontology",
        "http://purl.org/dc/terms/",
    } <= vocabularies
    document = URIRef(TEST_BASE_IRI + ".well-known/void")
    assert void_graph.value(document, URIRef(FOAF.primaryTopic)) == DATASET


def test_features_are_the_formats_the_registry_offers(void_graph: Graph) -> None:
    """Every format a dereferenced IRI, a dump or a citation comes in that has a format IRI:
    the RDF formats (N3 too) and CSL-JSON (BibTeX and RIS have none to give)."""
    features = {str(o) for o in void_graph.objects(DATASET, URIRef(VOID.feature))}
    offered = formats.offers_all(
        formats.DUMP, formats.LINKED_DATA, formats.PAPER_CITATION, formats.AUTHOR_BIBLIOGRAPHY
    )
    assert features == {f.iri for f in offered if f.iri}
    assert "http://www.w3.org/ns/formats/N3" in features
    assert formats.BY_KEY["csljson"].iri in features


@pytest.mark.parametrize("fmt", RDF_KEYS)
def test_void_in_every_format(client: FlaskClient, void_graph: Graph, fmt: str) -> None:
    by_accept = client.get("/.well-known/void", headers={"Accept": MEDIA_TYPES[fmt]})
    by_extension = client.get(f"/.well-known/void.{EXTENSIONS[fmt]}")
    for response in (by_accept, by_extension):
        assert response.status_code == 200
        assert response.mimetype == MEDIA_TYPES[fmt]
    assert by_accept.headers["Vary"] == "Accept"
    graph = parse_rdf(by_accept.data, fmt, client)
    assert isomorphic(graph, void_graph)
    if fmt in RAPPER_PARSERS:
        assert rapper_count(by_accept.data, fmt) == len(void_graph)


def test_void_for_a_browser(client: FlaskClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "schema:Person" in page
    assert "Entities per class" in page and "Triples per property" in page
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_license_is_configurable_and_counts_are_cached(make_app: Any) -> None:
    from kg_server import void

    app = make_app(local=True, license="https://example.org/licence/1.0")
    client = app.test_client()
    graph = parse_rdf(client.get("/.well-known/void.ttl").data, "turtle", client)
    assert graph.value(DATASET, URIRef(DCTERMS.license)) == URIRef(
        "https://example.org/licence/1.0"
    )
    cached = app.extensions[void._CACHE_KEY]
    client.get("/.well-known/void.nt")
    assert app.extensions[void._CACHE_KEY] is cached
    etag = client.get("/.well-known/void.ttl").headers["ETag"]
    assert client.get("/.well-known/void.ttl", headers={"If-None-Match": etag}).status_code == 304

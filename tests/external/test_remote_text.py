"""kg.store.remote without a store: what it sends (query text, parameters, endpoints) and its refusals.

The parameter binding is checked where it matters most: every report and every
linked-data query, run by the embedded engine once with pyoxigraph's
substitutions and once as the text :func:`kg.sparql.rewrite.bind_values` sends to an
external store, must give the same answer.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.errors import (
    ForbiddenOperation,
    InvalidParameter,
    QuerySyntaxError,
    ServiceUnavailable,
    StoreError,
)
from kg.rdf.iri import IriScheme
from kg.sparql.results import python_value
from kg.sparql.rewrite import bind_values, prepare_query
from kg.store.embedded import KGStore
from kg.store.query import QueryRequest
from kg.store.remote import Endpoints, RemoteBackend, RemoteStore, is_store_url, open_store
from tests.conftest import TEST_BASE_IRI

pytestmark = pytest.mark.external


def _answer(result: Any) -> Any:
    """A query answer as a comparable value: sorted JSON rows, a boolean, or sorted triples."""
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted(
            json.dumps({n: python_value(row[n]) for n in names}, sort_keys=True) for row in result
        )
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return sorted(str(t) for t in result)


@pytest.fixture(scope="module")
def embedded(seed_store: Path) -> KGStore:
    return KGStore.open_readonly(seed_store)


def _report_cases() -> list[Any]:
    try:
        from kg.reports.catalog import load_reports
    except ImportError as error:  # the reports module is not there yet
        return [
            pytest.param(
                None, id="no-reports", marks=pytest.mark.skip(reason=f"kg.reports: {error}")
            )
        ]
    return [pytest.param(name, id=name) for name in load_reports(validate=False)]


@pytest.mark.parametrize("name", _report_cases())
def test_values_binding_gives_the_substitution_answer_for_every_report(
    embedded: KGStore, name: str
) -> None:
    from kg.reports.catalog import load_reports
    from kg.reports.results import bind

    scheme = IriScheme(TEST_BASE_IRI)
    report = load_reports(scheme=scheme)[name]
    raw = {p.name: p.example for p in report.parameters if p.example is not None}
    substitutions = bind(report, raw, scheme).substitutions(report)
    expected = _answer(embedded.query(report.query, substitutions=substitutions))
    sent = bind_values(report.query, substitutions)
    assert _answer(embedded.query(sent)) == expected, sent


def test_values_binding_gives_the_substitution_answer_for_linked_data(embedded: KGStore) -> None:
    from kg_server.descriptions import GRAPH_QUERY, INCOMING_QUERY, OUTGOING_QUERY

    def first(kind: str, n: int) -> list[str]:
        rows = embedded.query(f"SELECT ?x WHERE {{ ?x a <{kind}> }} ORDER BY ?x LIMIT {n}")
        return [row["x"].value for row in rows]

    resources = first("https://schema.org/ScholarlyArticle", 3) + first(
        "https://schema.org/Person", 3
    )
    cases = [(q, "s", iri) for q in (OUTGOING_QUERY, INCOMING_QUERY) for iri in resources]
    cases += [(GRAPH_QUERY, "g", graph) for graph in embedded.named_graphs()[:2]]
    for query, variable, iri in cases:
        substitutions = {variable: ox.NamedNode(iri)}
        expected = _answer(embedded.query(query, substitutions=substitutions))
        assert expected, f"no description of {iri}"
        assert _answer(embedded.query(bind_values(query, substitutions))) == expected, iri


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "SELECT ?a WHERE { ?a ?p ?o }",
            "SELECT ?a WHERE { VALUES (?a) { (<http://e/x>) } ?a ?p ?o }",
            id="top-level",
        ),
        pytest.param(
            "SELECT ?a WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?a } { SELECT ?b WHERE { ?a ?p ?b } } }",
            "SELECT ?a WHERE { VALUES (?a) { (<http://e/x>) } ?s ?p ?o OPTIONAL { VALUES (?a) "
            "{ (<http://e/x>) } ?s ?q ?a } { SELECT ?b WHERE { ?a ?p ?b } } }",
            id="nested-group-yes-unprojecting-subquery-no",
        ),
        pytest.param(
            "SELECT ?a WHERE { { SELECT ?a (COUNT(*) AS ?n) WHERE { ?a ?p ?o } GROUP BY ?a } }",
            "SELECT ?a WHERE { VALUES (?a) { (<http://e/x>) } { SELECT ?a (COUNT(*) AS ?n) WHERE { "
            "VALUES (?a) { (<http://e/x>) } ?a ?p ?o } GROUP BY ?a } }",
            id="projecting-subquery",
        ),
        pytest.param(
            "SELECT ?a WHERE { VALUES ?o { 1 2 } ?a ?p ?o }",
            "SELECT ?a WHERE { VALUES (?a) { (<http://e/x>) } VALUES ?o { 1 2 } ?a ?p ?o }",
            id="data-block-untouched",
        ),
        pytest.param(
            "CONSTRUCT WHERE { ?a ?p ?o }",
            "CONSTRUCT { ?a ?p ?o } WHERE { VALUES (?a) { (<http://e/x>) } ?a ?p ?o }",
            id="construct-where",
        ),
        pytest.param("DESCRIBE ?a", "DESCRIBE <http://e/x>", id="describe"),
        pytest.param(
            "ASK { ?a ?p 'x{y}' }",
            "ASK { VALUES (?a) { (<http://e/x>) } ?a ?p 'x{y}' }",
            id="braces-in-a-string",
        ),
    ],
)
def test_values_are_placed_in_every_group_of_the_scope(query: str, expected: str) -> None:
    assert bind_values(query, {"a": ox.NamedNode("http://e/x")}) == expected


def test_blank_nodes_cannot_be_sent_as_parameters() -> None:
    with pytest.raises(InvalidParameter):
        bind_values("SELECT ?a WHERE { ?a ?p ?o }", {"a": ox.BlankNode()})


def test_prepared_text_keeps_the_line_numbers_and_the_query_s_own_prefixes() -> None:
    text = "PREFIX kg: <http://other/>\nSELECT * WHERE {\n ?s ?p ?o }"
    prepared = prepare_query(
        text,
        base_iri="http://kg.test/sparql",
        prefixes={"kg": "http://x/", "schema": "https://schema.org/"},
    )
    assert prepared.count("\n") == text.count("\n")
    assert prepared.startswith(
        "BASE <http://kg.test/sparql> PREFIX schema: <https://schema.org/> PREFIX kg: <http://other/>"
    )


@pytest.mark.parametrize(
    ("query", "update", "graph_store", "expected"),
    [
        pytest.param(
            "http://h:7878/query",
            None,
            None,
            ("http://h:7878/query", "http://h:7878/update", None),
            id="oxigraph-layout",
        ),
        pytest.param(
            "http://h:8890/sparql",
            None,
            "http://h:8890/sparql-graph-crud",
            ("http://h:8890/sparql", "http://h:8890/sparql", "http://h:8890/sparql-graph-crud"),
            id="virtuoso-layout",
        ),
        pytest.param(
            "https://u:p%40ss@h/sparql",
            "https://h/update",
            None,
            ("https://h/sparql", "https://h/update", None),
            id="credentials",
        ),
    ],
)
def test_endpoints(
    query: str, update: str | None, graph_store: str | None, expected: tuple[str, str, str | None]
) -> None:
    endpoints = Endpoints.from_urls(query, update, graph_store)
    assert (endpoints.query, endpoints.update, endpoints.graph_store) == expected
    assert "p%40ss" not in repr(endpoints) and "p@ss" not in repr(endpoints)
    if "@" in query:
        assert endpoints.authorization("https://h/sparql") == "Basic dTpwQHNz"  # u:p@ss


def test_store_urls_and_folders_are_told_apart(tmp_path: Path) -> None:
    assert is_store_url("https://example.org/sparql") and is_store_url("HTTP://h/q")
    assert not is_store_url(str(tmp_path)) and not is_store_url(None)
    with pytest.raises(StoreError):
        Endpoints.from_urls("http://h/sparql", "ftp://h/update")
    with pytest.raises(Exception, match="go with a store URL"):
        open_store(tmp_path, update_url="http://h/update")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_store_is_unavailable_not_an_internal_error() -> None:
    store = RemoteStore.open(
        f"http://127.0.0.1:{_closed_port()}/query", base_iri=TEST_BASE_IRI, timeout=5
    )
    with pytest.raises(ServiceUnavailable, match="cannot be reached"):
        store.sources()
    with pytest.raises(ServiceUnavailable):
        RemoteBackend(store).run(QueryRequest("SELECT * WHERE { ?s ?p ?o }"))


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", id="fixed"
        ),
        pytest.param("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", id="variable"),
    ],
)
def test_service_is_refused_before_anything_is_sent(query: str) -> None:
    # The store's address is closed: a refusal that came from sending would be ServiceUnavailable.
    store = RemoteStore.open(
        f"http://127.0.0.1:{_closed_port()}/query", base_iri=TEST_BASE_IRI, timeout=5
    )
    with pytest.raises(ForbiddenOperation):
        RemoteBackend(store).run(QueryRequest(query))
    allowed = RemoteBackend(store, service_allowlist=("http://127.0.0.1:9/sparql",))
    if "?endpoint" not in query:
        with pytest.raises(ServiceUnavailable):  # allowed: it is sent (and the store is not there)
            allowed.run(QueryRequest(query))


def test_updates_are_not_queries() -> None:
    store = RemoteStore.open(
        f"http://127.0.0.1:{_closed_port()}/query", base_iri=TEST_BASE_IRI, timeout=5
    )
    with pytest.raises(QuerySyntaxError):
        RemoteBackend(store).run(QueryRequest("DROP ALL"))
    with pytest.raises(QuerySyntaxError):
        store.query("INSERT DATA { <http://e/s> <http://e/p> 1 }")

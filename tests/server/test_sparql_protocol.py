"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client.

Requests, parameters, content negotiation, errors, updates and their
permission, CORS, the result cap and the body limit. The W3C protocol tests
are in test_w3c_protocol.py, real clients in test_sparql_clients.py, SERVICE,
LOAD and timeouts in test_sparql_safety.py.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic
from werkzeug.datastructures import MultiDict

from kg.sparql.rewrite import with_using

SCHEMA = "PREFIX schema: <https://schema.org/>\n"
PAPERS = SCHEMA + "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:ScholarlyArticle }"
REPOSITORIES = SCHEMA + "SELECT (COUNT(DISTINCT ?r) AS ?n) { ?r a schema:SoftwareSourceCode }"
ASK_PAPER = SCHEMA + "ASK { ?p a schema:ScholarlyArticle }"
CONSTRUCT = (
    SCHEMA + "CONSTRUCT { ?r a schema:SoftwareSourceCode } WHERE { ?r a schema:SoftwareSourceCode }"
)
FIRST_GRAPH = "SELECT ?g WHERE { GRAPH ?g { } } ORDER BY ?g LIMIT 1"
PROBLEM = "application/problem+json"


def count(response: Any) -> int:
    assert response.status_code == 200, response.data
    document = json.loads(response.data)
    return int(document["results"]["bindings"][0]["n"]["value"])


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.mimetype == PROBLEM
    body = json.loads(response.data)
    assert body["status"] == status
    assert body["detail"]
    return body  # type: ignore[no-any-return]


# -- requests ---------------------------------------------------------------------------------


def test_get_query_sees_the_union_of_all_profiles(client: Any) -> None:
    assert count(client.get("/sparql", query_string={"query": PAPERS})) == 104
    assert count(client.get("/sparql", query_string={"query": REPOSITORIES})) == 29


def test_post_form_and_direct_body_answer_the_same(client: Any) -> None:
    form = client.post("/sparql", data={"query": PAPERS})
    direct = client.post("/sparql", data=PAPERS.encode(), content_type="application/sparql-query")
    direct_utf8 = client.post(
        "/sparql", data=PAPERS.encode(), content_type="application/sparql-query; charset=UTF-8"
    )
    assert count(form) == count(direct) == count(direct_utf8) == 104


def test_a_bodiless_post_takes_its_query_from_the_url(client: Any) -> None:
    assert count(client.post("/sparql", query_string={"query": PAPERS})) == 104


def first_graph(client: Any) -> str:
    response = client.get("/sparql", query_string={"query": FIRST_GRAPH})
    return str(json.loads(response.data)["results"]["bindings"][0]["g"]["value"])


def test_default_graph_uri_narrows_the_default_graph_to_one_profile(client: Any) -> None:
    graph = first_graph(client)
    one = count(client.get("/sparql", query_string={"query": PAPERS, "default-graph-uri": graph}))
    assert 0 < one < 104


def test_named_graph_uri_limits_graph_patterns(client: Any) -> None:
    graph = first_graph(client)
    query = "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    assert (
        count(client.get("/sparql", query_string={"query": query})) >= 5
    )  # a graph per profile, at least
    assert (
        count(client.get("/sparql", query_string={"query": query, "named-graph-uri": graph})) == 1
    )


def test_a_protocol_dataset_is_the_whole_dataset(client: Any) -> None:
    graph = first_graph(client)
    only_named = client.get(
        "/sparql", query_string={"query": "ASK { ?s ?p ?o }", "named-graph-uri": graph}
    )
    assert json.loads(only_named.data)["boolean"] is False  # its default graph is empty
    only_default = client.get(
        "/sparql",
        query_string={"query": "ASK { GRAPH ?g { ?s ?p ?o } }", "default-graph-uri": graph},
    )
    assert json.loads(only_default.data)["boolean"] is False  # it has no named graphs


def test_url_and_body_parameters_are_merged(client: Any) -> None:
    graph = first_graph(client)
    merged = client.post(
        "/sparql", query_string={"default-graph-uri": graph}, data={"query": PAPERS}
    )
    assert 0 < count(merged) < 104


def test_the_protocol_dataset_overrides_from(client: Any) -> None:
    graph = first_graph(client)
    query = (
        SCHEMA
        + "SELECT (COUNT(DISTINCT ?p) AS ?n) FROM <urn:x-nothing> { ?p a schema:ScholarlyArticle }"
    )
    assert count(client.get("/sparql", query_string={"query": query})) == 0
    assert (
        count(client.get("/sparql", query_string={"query": query, "default-graph-uri": graph})) > 0
    )


def test_relative_iris_resolve_against_the_endpoint_url(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT (STR(<other>) AS ?iri) {}"})
    binding = json.loads(response.data)["results"]["bindings"][0]["iri"]["value"]
    assert binding == "http://localhost/other"


def test_unknown_parameters_are_ignored(client: Any) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": PAPERS, "timeout": "0", "debug": "on", "should-sponge": "x"},
    )
    assert count(response) == 104


def test_head_answers_like_get_without_a_body(client: Any) -> None:
    response = client.head("/sparql", query_string={"query": PAPERS})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert response.data == b""


# -- content negotiation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        pytest.param(None, "application/sparql-results+json", id="no-accept"),
        pytest.param("*/*", "application/sparql-results+json", id="any"),
        pytest.param("application/sparql-results+xml", "application/sparql-results+xml", id="xml"),
        pytest.param(
            "application/sparql-results+json", "application/sparql-results+json", id="json"
        ),
        pytest.param("text/csv", "text/csv", id="csv"),
        pytest.param("text/tab-separated-values", "text/tab-separated-values", id="tsv"),
        pytest.param("application/json", "application/sparql-results+json", id="plain-json"),
        pytest.param("application/xml", "application/sparql-results+xml", id="plain-xml"),
        pytest.param(
            "text/csv;q=0.5, application/sparql-results+xml;q=0.9",
            "application/sparql-results+xml",
            id="q-values",
        ),
        pytest.param(
            "text/tab-separated-values;q=0.9, */*;q=0.1",
            "text/tab-separated-values",
            id="specific-over-wildcard",
        ),
        pytest.param(
            "application/rdf+xml, application/sparql-results+xml",
            "application/sparql-results+xml",
            id="rdflib-sparqlstore",
        ),
    ],
)
def test_select_negotiation(client: Any, accept: str | None, mimetype: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": PAPERS}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        pytest.param(None, "text/turtle", id="no-accept"),
        pytest.param("*/*", "text/turtle", id="any"),
        pytest.param("application/n-triples", "application/n-triples", id="ntriples"),
        pytest.param("application/n-quads", "application/n-quads", id="nquads"),
        pytest.param("application/trig", "application/trig", id="trig"),
        pytest.param("application/rdf+xml", "application/rdf+xml", id="rdfxml"),
        pytest.param("application/ld+json", "application/ld+json", id="jsonld"),
        pytest.param("text/plain", "application/n-triples", id="text-plain"),
        pytest.param(
            "application/rdf+xml;q=0.2, application/n-triples;q=0.8",
            "application/n-triples",
            id="q-values",
        ),
    ],
)
def test_construct_negotiation(client: Any, accept: str | None, mimetype: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype


GRAPH_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def test_every_graph_format_carries_the_same_graph(client: Any) -> None:
    graphs = []
    for mimetype, parser in GRAPH_PARSERS.items():
        response = client.get(
            "/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": mimetype}
        )
        graph = Graph().parse(data=response.data, format=parser)
        assert len(graph) == 29, mimetype
        graphs.append(graph)
    assert all(isomorphic(graphs[0], other) for other in graphs[1:])


@pytest.mark.parametrize(
    ("params", "mimetype"),
    [
        pytest.param({"format": "json"}, "application/sparql-results+json", id="format-json"),
        pytest.param({"format": "xml"}, "application/sparql-results+xml", id="format-xml"),
        pytest.param({"format": "csv"}, "text/csv", id="format-csv"),
        pytest.param({"format": "tsv"}, "text/tab-separated-values", id="format-tsv"),
        pytest.param({"output": "xml"}, "application/sparql-results+xml", id="output"),
        pytest.param({"results": "csv"}, "text/csv", id="results"),
        pytest.param({"format": "text/csv"}, "text/csv", id="media-type"),
        pytest.param(
            {"format": ["tsv", "text/tab-separated-values"]},
            "text/tab-separated-values",
            id="sparqlwrapper-tsv",
        ),
        pytest.param(
            {"format": "html-please"}, "application/sparql-results+json", id="unknown-value-ignored"
        ),
    ],
)
def test_select_format_parameter(client: Any, params: dict[str, Any], mimetype: str) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": PAPERS, **params},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert response.mimetype == mimetype


@pytest.mark.parametrize(
    ("value", "mimetype"),
    [
        pytest.param("turtle", "text/turtle", id="turtle"),
        pytest.param("n3", "text/turtle", id="n3"),
        pytest.param("nt", "application/n-triples", id="nt"),
        pytest.param("xml", "application/rdf+xml", id="sparqlwrapper-xml"),
        pytest.param("rdf+xml", "application/rdf+xml", id="rdf+xml"),
        pytest.param("json", "application/ld+json", id="sparqlwrapper-json"),
        pytest.param("json-ld", "application/ld+json", id="json-ld"),
        pytest.param("trig", "application/trig", id="trig"),
        pytest.param("nquads", "application/n-quads", id="nquads"),
    ],
)
def test_construct_format_parameter(client: Any, value: str, mimetype: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT, "format": value})
    assert response.status_code == 200
    assert response.mimetype == mimetype


def test_a_format_that_cannot_carry_the_result_is_406(client: Any) -> None:
    body = problem(client.get("/sparql", query_string={"query": CONSTRUCT, "format": "csv"}), 406)
    assert "turtle" in body["detail"]
    problem(client.get("/sparql", query_string={"query": PAPERS, "format": "turtle"}), 406)


def test_an_unacceptable_accept_is_406(client: Any) -> None:
    body = problem(
        client.get("/sparql", query_string={"query": PAPERS}, headers={"Accept": "image/png"}), 406
    )
    assert "application/sparql-results+json" in body["detail"]


def test_csv_and_tsv_bodies(client: Any) -> None:
    query = SCHEMA + "SELECT ?r { ?r a schema:SoftwareSourceCode } ORDER BY ?r"
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/sparql", query_string={"query": query, "format": "csv"}).data.decode()
            )
        )
    )
    assert rows[0] == ["r"] and len(rows) == 30
    lines = (
        client.get("/sparql", query_string={"query": query, "format": "tsv"})
        .data.decode()
        .splitlines()
    )
    assert lines[0] == "?r" and len(lines) == 30 and lines[1].startswith("<http")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_results(client: Any, fmt: str) -> None:
    response = client.get("/sparql", query_string={"query": ASK_PAPER, "format": fmt})
    assert response.status_code == 200
    if fmt == "json":
        assert json.loads(response.data) == {"head": {}, "boolean": True}
    else:
        assert b"<boolean>true</boolean>" in response.data


# -- errors -----------------------------------------------------------------------------------


def test_syntax_error_is_400_with_the_parsers_message(client: Any) -> None:
    body = problem(client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"}), 400)
    assert body["type"].endswith("query-syntax")
    assert body["detail"].startswith("line 1, column ")  # made readable by kg.sparql.errors


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        pytest.param(
            "get", {"query_string": [("query", "ASK {}"), ("query", "ASK {}")]}, id="two-queries"
        ),
        pytest.param(
            "post", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, id="query-and-update"
        ),
        pytest.param(
            "post",
            {"data": MultiDict([("update", "CLEAR ALL"), ("update", "CLEAR ALL")])},
            id="two-updates",
        ),
        pytest.param(
            "post",
            {
                "query_string": {"query": "ASK {}"},
                "data": b"ASK {}",
                "content_type": "application/sparql-query",
            },
            id="body-and-url-query",
        ),
        pytest.param("get", {"query_string": {"update": "CLEAR ALL"}}, id="update-by-get"),
        pytest.param("get", {"query_string": {"query": "  "}}, id="empty-query"),
        pytest.param("post", {"data": {"other": "x"}}, id="post-without-operation"),
        pytest.param(
            "get",
            {"query_string": {"query": "ASK {}", "default-graph-uri": "not an iri"}},
            id="bad-graph-iri",
        ),
        pytest.param(
            "post",
            {"data": b"\xff\xfeA\x00S\x00K\x00", "content_type": "application/sparql-query"},
            id="not-utf8",
        ),
    ],
)
def test_malformed_requests_are_400(client: Any, method: str, kwargs: dict[str, Any]) -> None:
    problem(getattr(client, method)("/sparql", **kwargs), 400)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("text/plain", b"ASK {}", id="text-plain"),
        pytest.param(None, b"query=ASK%20%7B%7D", id="no-content-type"),
        pytest.param(
            "application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), id="utf-16"
        ),
        pytest.param("application/json", b'{"query": "ASK {}"}', id="json"),
    ],
)
def test_unsupported_bodies_are_415(client: Any, content_type: str | None, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    problem(client.post("/sparql", data=body, headers=headers), 415)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405_with_allow(client: Any, method: str) -> None:
    response = getattr(client, method)("/sparql", query_string={"query": "ASK {}"})
    problem(response, 405)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


# -- the browser ------------------------------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_without_a_query_goes_to_the_query_page(client: Any) -> None:
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_browser_with_a_query_goes_to_the_page_with_it(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": PAPERS}, headers={"Accept": BROWSER})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/?query=PREFIX")


def test_a_download_link_wins_over_the_browsers_accept(client: Any) -> None:
    response = client.get(
        "/sparql", query_string={"query": PAPERS, "format": "csv"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"


# -- CORS -------------------------------------------------------------------------------------


def test_cors_headers_on_answers_and_errors(client: Any) -> None:
    assert (
        client.get("/sparql", query_string={"query": PAPERS}).headers["Access-Control-Allow-Origin"]
        == "*"
    )
    error = client.get("/sparql", query_string={"query": "ASK {"})
    assert error.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-SPARQL-MaxRows" in error.headers["Access-Control-Expose-Headers"]


def test_cors_preflight(client: Any) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_origin_comes_from_settings(make_app: Any) -> None:
    app = make_app(local=True, cors_origin="https://yasgui.example")
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://yasgui.example"
    assert "Origin" in response.headers["Vary"]


# -- result cap and body limit ----------------------------------------------------------------


def test_a_cut_result_says_so(make_app: Any) -> None:
    client = make_app(local=True, max_rows=5).test_client()
    query = SCHEMA + "SELECT ?p { ?p a schema:ScholarlyArticle }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    assert len(json.loads(response.data)["results"]["bindings"]) == 5
    assert response.headers["X-SPARQL-MaxRows"] == "5"
    assert response.headers["Warning"].startswith('199 - "result truncated to 5 rows')
    graph = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "nt"})
    assert len(graph.data.decode().splitlines()) == 5 and graph.headers["X-SPARQL-MaxRows"] == "5"
    whole = client.get("/sparql", query_string={"query": PAPERS})
    assert "X-SPARQL-MaxRows" not in whole.headers and "Warning" not in whole.headers


def _result_rows(text: str, fmt: str) -> int:
    if fmt == "json":
        return len(json.loads(text)["results"]["bindings"])
    if fmt == "xml":
        return text.count("<result>")
    if fmt == "csv":
        return len(list(csv.reader(io.StringIO(text, newline="")))) - 1
    return len(text.splitlines()) - 1


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_the_cap_is_exact_in_every_results_format(make_app: Any, fmt: str) -> None:
    # The worker writes a SELECT natively only when the output proves it within the
    # cap; otherwise it counts rows. Either way: exactly the cap is whole, one more is cut.
    query = SCHEMA + "SELECT ?p { ?p a schema:ScholarlyArticle } ORDER BY ?p LIMIT 40"
    for max_rows, expect_cut in ((40, False), (39, True), (100_000, False)):
        client = make_app(local=True, max_rows=max_rows).test_client()
        response = client.get("/sparql", query_string={"query": query, "format": fmt})
        assert response.status_code == 200, response.data
        assert _result_rows(response.data.decode(), fmt) == (39 if expect_cut else 40)
        assert ("X-SPARQL-MaxRows" in response.headers) == expect_cut


def test_a_body_past_the_limit_is_413(make_app: Any) -> None:
    client = make_app(local=True, max_body_bytes=200).test_client()
    big = "ASK {}" + " " * 400
    problem(client.post("/sparql", data=big.encode(), content_type="application/sparql-query"), 413)
    problem(client.post("/sparql", data={"query": big}), 413)
    assert (
        client.post("/sparql", data=b"ASK {}", content_type="application/sparql-query").status_code
        == 200
    )


# -- updates ----------------------------------------------------------------------------------

INSERT = 'PREFIX ex: <http://example.org/> INSERT DATA { GRAPH ex:g { ex:s ex:p "new" } }'
ASK_INSERTED = 'PREFIX ex: <http://example.org/> ASK { GRAPH ex:g { ex:s ex:p "new" } }'


def test_updates_are_off_by_default(client: Any) -> None:
    body = problem(client.post("/sparql", data={"update": INSERT}), 403)
    assert "--update-token" in body["detail"] and "--allow-update" in body["detail"]
    problem(
        client.post("/sparql", data=INSERT.encode(), content_type="application/sparql-update"), 403
    )


@pytest.fixture(scope="module")
def token_app(make_app: Any) -> Any:
    return make_app(writable=True, update_token="s3cret-token")


@pytest.mark.parametrize(
    ("authorization", "invalid"),
    [
        pytest.param(None, False, id="none"),
        pytest.param("Bearer wrong", True, id="wrong-token"),
        pytest.param("Basic czNjcmV0LXRva2Vu", False, id="basic"),
        pytest.param("Bearer ", False, id="empty"),
        pytest.param("Bearer s3cret-token-and-more", True, id="longer"),
    ],
)
def test_updates_need_the_token(token_app: Any, authorization: str | None, invalid: bool) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = token_app.test_client().post("/sparql", data={"update": INSERT}, headers=headers)
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) is invalid


def test_an_update_with_the_token_is_seen_by_the_next_query(token_app: Any) -> None:
    client = token_app.test_client()
    assert (
        json.loads(client.get("/sparql", query_string={"query": ASK_INSERTED}).data)["boolean"]
        is False
    )
    response = client.post(
        "/sparql", data={"update": INSERT}, headers={"Authorization": "Bearer s3cret-token"}
    )
    assert response.status_code == 204
    assert (
        json.loads(client.get("/sparql", query_string={"query": ASK_INSERTED}).data)["boolean"]
        is True
    )


def test_an_update_syntax_error_is_400(token_app: Any) -> None:
    response = token_app.test_client().post(
        "/sparql",
        data=b"CLEAR XYZ",
        content_type="application/sparql-update",
        headers={"Authorization": "Bearer s3cret-token"},
    )
    assert problem(response, 400)["detail"].startswith("line 1, column ")


def test_allow_update_is_refused_on_a_public_host(seed_store: Path) -> None:
    from kg_server.app import create_app

    with pytest.raises(RuntimeError, match="loopback"):
        create_app({"store": str(seed_store), "host": "0.0.0.0", "allow_update": True})


def test_kg_serve_refuses_allow_update_on_a_public_host(seed_store: Path) -> None:
    from kg.cli import main

    result = CliRunner().invoke(
        main, ["serve", "--store", str(seed_store), "--host", "0.0.0.0", "--allow-update"]
    )
    assert result.exit_code == 2
    assert "loopback" in result.output


# -- using-graph-uri --------------------------------------------------------------------------


def test_using_clauses_go_before_each_where() -> None:
    update = "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o } ; INSERT { ?s ?p 1 } WHERE { ?s ?p ?o } ; DELETE WHERE { ?a ?b ?c }"
    rewritten = with_using(update, ("http://g/1",), ("http://g/2",))
    assert rewritten.count("USING <http://g/1> USING NAMED <http://g/2> WHERE") == 2
    assert rewritten.endswith("DELETE WHERE { ?a ?b ?c }")


@pytest.mark.parametrize(
    "update",
    [
        "WITH <http://g/x> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } USING <http://g/x> WHERE { ?s ?p ?o }",
    ],
)
def test_using_parameters_conflict_with_using_and_with(update: str) -> None:
    from kg.errors import BadRequest

    with pytest.raises(BadRequest, match="cannot be combined"):
        with_using(update, ("http://g/1",), ())

"""Content negotiation and formats on every negotiated route (kg/formats.py, kg_server/negotiation.py).

* every route answers in exactly the formats kg.formats lists for it (so a new
  format is one entry there), by Accept and by extension;
* Accept with media-type parameters, q-values, specificity and wildcards;
* conditional requests (weak ETags), Vary on the redirect to the query page, and
  the quad and N3 formats on entity IRIs.
"""

from __future__ import annotations

from typing import Any

import click
import pytest
from flask import Flask
from flask.testing import FlaskClient
from kg_server.negotiation import negotiate, parse_accept
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from kg import formats
from kg.cli import main as cli_main
from kg.errors import NotAcceptable, UnsupportedFormat
from kg.store.dumps import DUMP_FORMATS
from tests.conftest import TEST_BASE_IRI

SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
ENTITY = "/author/xuyang-zhao"
PAPER = "/paper/arcl-enhancing-contrastive-learning-with-augmentation-5eed30"
REPORT = "/reports/author-timeline?author=Weiran+Huang"
#: A report whose rows are papers (kg.reports.catalog.lists_papers).
PAPERS_REPORT = "/reports/author-papers?author=Weiran+Huang"
JSONLD_COMPACTED = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"'


@pytest.fixture(scope="module")
def app(make_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The seed store in-process, with a dumps folder of its own."""
    return make_app(local=True, dumps_dir=str(tmp_path_factory.mktemp("negotiation-dumps")))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def http(app: Flask) -> FlaskClient:
    return app.test_client()


def fetch(http: FlaskClient, request: tuple[str, str, str | None], accept: str) -> Any:
    """``request`` is (method, path, query): a query goes in a form body for POST."""
    method, path, query = request
    if method == "POST":
        return http.post(path, data={"query": query}, headers={"Accept": accept})
    params = {"query": query} if query else None
    return http.get(path, query_string=params, headers={"Accept": accept})


#: One request per negotiated route, with the kg.formats routes whose formats it offers.
#: A POST to /sparql is never sent to the query page (no HTML); a GET is (303).
ROUTES = [
    pytest.param(("POST", "/sparql", SELECT), (formats.SPARQL_RESULTS,), id="sparql-select"),
    pytest.param(("POST", "/sparql", CONSTRUCT), (formats.SPARQL_GRAPH,), id="sparql-construct"),
    pytest.param(
        ("GET", "/sparql", SELECT),
        (formats.SPARQL_RESULTS, formats.SPARQL_PAGE),
        id="sparql-select-get",
    ),
    pytest.param(
        ("GET", "/sparql", None),
        (formats.SPARQL_GRAPH, formats.SPARQL_PAGE),
        id="service-description",
    ),
    pytest.param(
        ("GET", ENTITY, None), (formats.LINKED_DATA, formats.AUTHOR_BIBLIOGRAPHY), id="entity"
    ),
    pytest.param(("GET", PAPER, None), (formats.LINKED_DATA, formats.PAPER_CITATION), id="paper"),
    pytest.param(("GET", "/ontology", None), (formats.LINKED_DATA,), id="ontology"),
    pytest.param(("GET", "/.well-known/void", None), (formats.LINKED_DATA,), id="void"),
    pytest.param(("GET", REPORT, None), (formats.REPORT,), id="report"),
    pytest.param(
        ("GET", PAPERS_REPORT, None), (formats.REPORT, formats.PAPER_REPORT), id="papers-report"
    ),
    pytest.param(("GET", "/reports", None), (formats.REPORT_LIST,), id="report-list"),
    pytest.param(("GET", "/dumps", None), (formats.DUMP_LIST,), id="dump-list"),
]


def answered_type(response: Any) -> str | None:
    """The media type a response is in; a 303 to the query page counts as HTML."""
    if response.status_code == 303:
        return "text/html"
    if response.status_code in (400, 406):  # the service description says 400
        return None
    assert response.status_code == 200, response.data[:300]
    return str(response.mimetype)


# -- item 1: every route derives from the registry ------------------------------------------------


@pytest.mark.parametrize(("request_", "routes"), ROUTES)
def test_each_route_negotiates_exactly_the_registry(
    http: FlaskClient, request_: tuple[str, str, str | None], routes: tuple[str, ...]
) -> None:
    offered = [f for route in routes for f in formats.offers(route)]
    # Each offered format, asked for by its own media type, is what comes back...
    for fmt in offered:
        assert answered_type(fetch(http, request_, fmt.media_type)) == fmt.media_type, fmt.key
    # ...and asking for any media type of the registry never gives anything else.
    answered = {
        answered_type(fetch(http, request_, media_type))
        for fmt in formats.FORMATS
        for media_type in (fmt.media_type, *fmt.aliases)
    }
    assert answered - {None} == {f.media_type for f in offered}


@pytest.mark.parametrize("path", [ENTITY, PAPER, "/ontology", "/.well-known/void"])
@pytest.mark.parametrize(
    "fmt", [pytest.param(f, id=f.key) for f in formats.offers(formats.LINKED_DATA)]
)
def test_every_linked_data_format_has_its_extension(
    http: FlaskClient, path: str, fmt: formats.Format
) -> None:
    response = http.get(f"{path}.{fmt.extension}")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == fmt.media_type


@pytest.mark.parametrize(
    ("path", "route"),
    [
        pytest.param(ENTITY, formats.AUTHOR_BIBLIOGRAPHY, id="author"),
        pytest.param(PAPER, formats.PAPER_CITATION, id="paper"),
    ],
)
def test_every_citation_format_has_its_extension(http: FlaskClient, path: str, route: str) -> None:
    for fmt in formats.offers(route):
        response = http.get(f"{path}.{fmt.extension}")
        assert response.status_code == 200, (fmt.key, response.data[:300])
        assert response.mimetype == fmt.media_type
    # What the route does not offer is no variant of it.
    for fmt in formats.CITATIONS:
        if fmt not in formats.offers(route):
            assert http.get(f"{path}.{fmt.extension}").status_code == 404, fmt.key
    assert http.get("/ontology.bib").status_code == 404


def test_the_dumps_are_the_registry_dump_formats(http: FlaskClient) -> None:
    listing = http.get("/dumps", headers={"Accept": "application/json"}).get_json()
    assert [(d["filename"], d["content_type"]) for d in listing["dumps"]] == [
        (f"kg.{f.extension}.gz", f.media_type) for f in formats.dump_formats()
    ]
    assert [f.key for f in DUMP_FORMATS] == [f.key for f in formats.dump_formats()]


def test_the_service_description_lists_the_registry_formats(http: FlaskClient) -> None:
    response = http.get("/sparql", headers={"Accept": "application/n-triples"})
    graph = Graph().parse(data=response.data, format="nt")
    listed = {
        str(o)
        for o in graph.objects(
            None, URIRef("http://www.w3.org/ns/sparql-service-description#resultFormat")
        )
    }
    offered = formats.offers(formats.SPARQL_RESULTS) + formats.offers(formats.SPARQL_GRAPH)
    assert listed == {f.iri for f in offered}


def _choices(command: str) -> list[str]:
    found = cli_main.commands[command]  # type: ignore[attr-defined]
    option = next(p for p in found.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_the_cli_choices_are_the_registry() -> None:
    assert _choices("export") == [f.key for f in formats.offers(formats.EXPORT)]
    assert _choices("query") == ["table", *(f.key for f in formats.offers(formats.SPARQL_RESULTS))]


def test_an_unknown_format_name_is_unsupported_format() -> None:
    with pytest.raises(UnsupportedFormat, match="use one of"):
        formats.lookup("png", formats.offers(formats.LINKED_DATA))
    with pytest.raises(UnsupportedFormat):
        formats.rdf_format("csv")


def test_keys_and_extensions_are_unambiguous() -> None:
    keys = [f.key for f in formats.FORMATS]
    assert len(keys) == len(set(keys))
    for route in formats.ROUTES:
        offered = formats.offers(route)
        assert offered, route
        extensions = [f.extension for f in offered]
        assert len(extensions) == len(set(extensions)), route
        # Another name never shadows a key (a key wins: "n3" is N3 where N3 is offered,
        # and Turtle on /sparql, where SPARQLWrapper sends it for Turtle).
        for fmt in offered:
            assert formats.lookup(fmt.key, offered) is fmt
            for name in fmt.names:
                assert formats.lookup(name, offered) in offered


# -- item 2: Accept parameters, q-values, specificity -----------------------------------------------


@pytest.mark.parametrize(
    ("request_", "accept", "expected"),
    [
        pytest.param(
            ("GET", "/sparql", SELECT),
            "application/sparql-results+json;charset=utf-8",
            "application/sparql-results+json",
            id="sparql-select",
        ),
        pytest.param(
            ("POST", "/sparql", SELECT),
            "text/csv; charset=utf-8; header=present",
            "text/csv",
            id="sparql-select-post",
        ),
        pytest.param(
            ("GET", "/sparql", CONSTRUCT),
            "text/turtle;charset=utf-8",
            "text/turtle",
            id="sparql-construct",
        ),
        pytest.param(
            ("GET", "/sparql", None),
            "text/turtle;charset=utf-8",
            "text/turtle",
            id="service-description",
        ),
        pytest.param(
            ("GET", ENTITY, None), "text/turtle;charset=utf-8", "text/turtle", id="entity"
        ),
        pytest.param(
            ("GET", ENTITY, None), JSONLD_COMPACTED, "application/ld+json", id="entity-jsonld"
        ),
        pytest.param(
            ("GET", "/ontology", None), "text/turtle;charset=utf-8", "text/turtle", id="ontology"
        ),
        pytest.param(
            ("GET", "/.well-known/void", None),
            JSONLD_COMPACTED,
            "application/ld+json",
            id="void",
        ),
        pytest.param(
            ("GET", REPORT, None),
            "application/json;charset=utf-8",
            "application/json",
            id="report",
        ),
        pytest.param(("GET", REPORT, None), "text/csv;charset=utf-8", "text/csv", id="report-csv"),
        pytest.param(
            ("GET", "/reports", None),
            "application/json;charset=utf-8",
            "application/json",
            id="report-list",
        ),
        pytest.param(
            ("GET", "/dumps", None),
            "application/json;charset=utf-8",
            "application/json",
            id="dump-list",
        ),
        pytest.param(
            ("GET", "/dumps", None),
            "text/html;level=1",
            "text/html",
            id="dump-list-html",
        ),
    ],
)
def test_media_type_parameters_do_not_stop_a_match(
    http: FlaskClient, request_: tuple[str, str, str | None], accept: str, expected: str
) -> None:
    response = fetch(http, request_, accept)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("text/*", "text/csv", id="text-wildcard-is-csv-not-xml"),
        pytest.param("text/csv;q=0, text/*", "text/tab-separated-values", id="specific-q0-wins"),
        pytest.param(
            "text/*;q=0.5, application/sparql-results+xml;q=0.4", "text/csv", id="q-over-order"
        ),
        pytest.param("application/*", "application/sparql-results+json", id="application-any"),
        pytest.param(
            "*/*;q=0.1, text/tab-separated-values;q=0.1",
            "text/tab-separated-values",
            id="specific-over-wildcard-at-equal-q",
        ),
        pytest.param(
            "text/csv;q=banana, text/tab-separated-values",
            "text/tab-separated-values",
            id="bad-q-ignored",
        ),
    ],
)
def test_select_q_values_and_specificity(http: FlaskClient, accept: str, expected: str) -> None:
    response = http.post("/sparql", data={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == expected


def test_a_quoted_comma_in_a_parameter_is_not_a_separator() -> None:
    ranges = parse_accept('application/ld+json;profile="a,b";q=0.9, text/turtle;q=0.1')
    assert [(r.type, r.subtype, r.param("profile"), r.q) for r in ranges] == [
        ("application", "ld+json", "a,b", 0.9),
        ("text", "turtle", None, 0.1),
    ]
    offers = formats.offers(formats.LINKED_DATA)
    assert (
        negotiate('application/ld+json;profile="a,b";q=0.9, text/turtle;q=0.1', offers).key
        == "jsonld"
    )


def test_nothing_acceptable_raises() -> None:
    with pytest.raises(NotAcceptable):
        negotiate("image/png, text/csv;q=0", formats.offers(formats.REPORT))


# -- item 3: weak ETags, Vary on the redirect, quad and N3 formats on entity IRIs --------------------


@pytest.mark.parametrize(
    "path",
    [
        ENTITY,
        ENTITY + ".html",
        "/ontology",
        "/ontology.jsonld",
        "/.well-known/void",
        REPORT,
        "/reports/author-timeline.csv?author=Weiran+Huang",
        "/context.jsonld",
        "/dumps/kg.nq.gz",
    ],
)
def test_a_weak_if_none_match_gives_304(http: FlaskClient, path: str) -> None:
    def status(**headers: str) -> tuple[int, str]:
        response = http.get(path, headers=headers)
        response.close()  # a dump is a file: close it
        return response.status_code, response.headers.get("ETag", "")

    code, etag = status()
    assert code == 200 and etag
    weak = etag if etag.startswith("W/") else "W/" + etag
    assert status(**{"If-None-Match": weak})[0] == 304
    assert status(**{"If-None-Match": 'W/"other", ' + weak})[0] == 304
    assert status(**{"If-None-Match": 'W/"other"'})[0] == 200


@pytest.mark.parametrize("query", [SELECT, None], ids=["query", "service-description"])
def test_the_redirect_to_the_query_page_varies_on_accept(
    http: FlaskClient, query: str | None
) -> None:
    response = fetch(http, ("GET", "/sparql", query), "text/html")
    assert response.status_code == 303
    assert "Accept" in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("media_type", "parser"),
    [
        pytest.param("text/n3", "n3", id="n3"),
        pytest.param("application/n-quads", "nquads", id="nquads"),
        pytest.param("application/trig", "trig", id="trig"),
    ],
)
def test_entity_iris_answer_in_the_quad_and_n3_formats(
    http: FlaskClient, media_type: str, parser: str
) -> None:
    turtle = http.get(ENTITY, headers={"Accept": "text/turtle"})
    response = http.get(ENTITY, headers={"Accept": media_type})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    dataset = Dataset()
    dataset.parse(data=response.data, format=parser, publicID=TEST_BASE_IRI)
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    expected = Graph().parse(data=turtle.data, format="turtle", publicID=TEST_BASE_IRI)
    assert len(graph) > 0 and isomorphic(graph, expected)

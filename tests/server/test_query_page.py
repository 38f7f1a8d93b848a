"""The query page at / without a browser: HTML, CSP, config island, the POST fallback."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from kg_server import pages

from kg import formats
from kg.rdf.namespace import PREFIXES

HOSTILE = "<script>alert(1)</script>"


def config_of(body: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="query-config">(.*?)</script>', body, re.S
    )
    assert match, "the page carries its configuration as a JSON data island"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def textarea_of(body: str) -> str:
    match = re.search(r'<textarea[^>]*name="query"[^>]*>(.*?)</textarea>', body, re.S)
    assert match
    return html.unescape(match.group(1))


def rows_of(body: str) -> list[list[str]]:
    table = re.search(r'<table class="results" id="results-table">(.*?)</table>', body, re.S)
    assert table, "a results table"
    body_part = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S)
    assert body_part
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body_part.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


@pytest.fixture()
def no_yasgui(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if scripts/setup-assets had not run."""
    monkeypatch.setattr(pages, "vendor_available", lambda feature: False)


@pytest.fixture()
def with_yasgui(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "vendor_available", lambda feature: True)


# -- the page ------------------------------------------------------------------------


def test_page_is_html_with_csp_and_no_inline_script(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    body = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script: {tag}"
    for url in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert not url.startswith(("http://", "https://", "//")), f"external asset: {url}"


def test_layout_links_and_landmarks(client: Any) -> None:
    body = client.get("/").get_data(as_text=True)
    for href in ("/", "/reports", "/dumps", "/ontology"):
        assert f'href="{href}"' in body
    assert '<main id="main"' in body
    assert 'aria-current="page"' in body  # the Query link is marked current
    assert "<title>SPARQL query · Scholarly Knowledge Graph</title>" in body


def test_config_island_has_endpoint_prefixes_and_examples(client: Any) -> None:
    config = config_of(client.get("/").get_data(as_text=True))
    assert config["endpoint"] == "/sparql"
    assert config["method"] == "POST"
    assert config["prefixes"] == PREFIXES
    assert config["run"] is False
    names = [example["name"] for example in config["examples"]]
    assert {"profile-owners", "count-papers"} <= set(names)
    for prefix, iri in PREFIXES.items():
        assert f"PREFIX {prefix}: <{iri}>" in config["query"], (
            "the editor opens with the prefixes declared"
        )


def test_no_vendor_tags_without_assets(client: Any, no_yasgui: None) -> None:
    body = client.get("/").get_data(as_text=True)
    assert "vendor/yasgui" not in body
    assert "/static/query.js" in body


def test_vendor_tags_when_installed(client: Any, with_yasgui: None) -> None:
    body = client.get("/").get_data(as_text=True)
    assert '<script src="/static/vendor/yasgui/yasgui.min.js" defer></script>' in body
    assert 'href="/static/vendor/yasgui/yasgui.min.css"' in body


# -- prefill ---------------------------------------------------------------------------


def test_query_parameter_prefills_editor_and_form(client: Any, with_yasgui: None) -> None:
    query = f'SELECT ?x WHERE {{ BIND("{HOSTILE}" AS ?x) }}'
    response = client.get("/", query_string={"query": query})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HOSTILE not in body, "the query is escaped in the textarea and the island"
    assert textarea_of(body) == query
    config = config_of(body)
    assert config["query"] == query
    assert config["run"] is False
    assert 'id="server-results"' not in body


def test_run_parameter_asks_the_browser_to_run(client: Any, with_yasgui: None) -> None:
    response = client.get("/", query_string={"query": "ASK {}", "run": "1"})
    assert config_of(response.get_data(as_text=True))["run"] is True
    assert 'id="server-results"' not in response.get_data(as_text=True), (
        "YASGUI runs it, not the server"
    )


def test_run_without_yasgui_runs_on_the_server(client: Any, no_yasgui: None) -> None:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?papers) WHERE { ?p a <https://schema.org/ScholarlyArticle> }"
    body = client.get("/", query_string={"query": query, "run": "1"}).get_data(as_text=True)
    assert rows_of(body) == [["104^^xsd:integer"]]
    assert config_of(body)["run"] is False


def test_example_parameter_prefills(client: Any) -> None:
    body = client.get("/", query_string={"example": "count-papers"}).get_data(as_text=True)
    assert "COUNT(DISTINCT ?paper)" in textarea_of(body)
    assert "PREFIX schema: <https://schema.org/>" in textarea_of(body)


# -- the POST fallback -----------------------------------------------------------------------


def test_post_renders_profile_owners(client: Any) -> None:
    query = pages.with_prologue(pages.DEFAULT_QUERY)
    response = client.post("/", data={"query": query})
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"]
    rows = rows_of(response.get_data(as_text=True))
    names = sorted(row[1] for row in rows)
    assert names == ["Lizhu Zhang", "Weiran Huang", "Xingtai Lv", "Xuyang Zhao", "Zhiquan Tan"]
    assert rows[0][0].startswith("http://kg.test/author/")


def test_post_escapes_hostile_literals_and_iris(client: Any) -> None:
    query = (
        f'SELECT ?x ?y WHERE {{ VALUES (?x ?y) {{ ("{HOSTILE}" <javascript:alert(2)>) '
        '("caf\u00e9"@fr <http://kg.test/a?b=1&c=2>) } }'
    )
    response = client.post("/", data={"query": query})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HOSTILE not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body, "only http(s) IRIs become links"
    assert 'href="http://kg.test/a?b=1&amp;c=2"' in body
    assert rows_of(body) == [
        [HOSTILE, "javascript:alert(2)"],
        ["caf\u00e9@fr", "http://kg.test/a?b=1&c=2"],
    ]


def test_post_download_links_point_at_the_endpoint(client: Any) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    body = client.post("/", data={"query": query}).get_data(as_text=True)
    links = re.findall(r'<a href="(/sparql\?[^"]+)" data-format="(\w+)"', body)
    assert {fmt for _, fmt in links} == {"csv", "tsv", "json", "xml"}
    for href, fmt in links:
        params = parse_qs(urlsplit(html.unescape(href)).query)
        assert params == {"query": [query], "format": [fmt]}


def test_post_construct_shows_triples_and_graph_downloads(client: Any) -> None:
    query = pages.with_prologue(
        dict((n, q) for n, _, q in pages.BUILTIN_EXAMPLES)["describe-author"]
    )
    body = client.post("/", data={"query": query}).get_data(as_text=True)
    rows = rows_of(body)
    assert rows and all(len(row) == 3 for row in rows)
    # Every format /sparql writes a graph in (kg.formats), and no results format.
    assert (
        {fmt for fmt in re.findall(r'data-format="(\w+)"', body)}
        == {f.key for f in formats.offers(formats.SPARQL_GRAPH)}
        >= {"turtle", "ntriples", "jsonld", "rdfxml"}
    )


def test_post_ask(client: Any) -> None:
    body = client.post("/", data={"query": "ASK { ?s a <https://schema.org/Person> }"}).get_data(
        as_text=True
    )
    assert 'id="ask-result"' in body and "<strong>yes</strong>" in body


def test_post_syntax_error_is_a_400_page(client: Any) -> None:
    response = client.post("/", data={"query": "SELEKT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body
    assert "SELEKT" in textarea_of(body), "the query stays in the form for fixing"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param('INSERT DATA { <http://kg.test/x> <http://kg.test/p> "o" }', id="update"),
        pytest.param(
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", id="service"
        ),
        pytest.param("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", id="service-variable"),
    ],
)
def test_post_refuses_updates_and_service(client: Any, query: str) -> None:
    response = client.post("/", data={"query": query})
    assert response.status_code == 400
    assert "Operation not allowed" in response.get_data(as_text=True)


def test_post_truncates_long_results(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "HTML_ROW_LIMIT", 3)
    body = client.post("/", data={"query": "SELECT ?s WHERE { ?s ?p ?o }"}).get_data(as_text=True)
    assert len(rows_of(body)) == 3
    assert "Showing the first 3 rows" in body


def test_empty_post_shows_the_default_query(client: Any) -> None:
    response = client.post("/", data={"query": "  "})
    assert response.status_code == 200
    assert 'id="server-results"' not in response.get_data(as_text=True)


# -- examples from queries/*.rq ------------------------------------------------------------------


def test_report_queries_are_offered(client: Any) -> None:
    if not any(pages.QUERIES_DIR.glob("*.rq")):
        pytest.skip("no queries/*.rq yet")
    body = client.get("/").get_data(as_text=True)
    builtin = {name for name, _, _ in pages.BUILTIN_EXAMPLES}
    names = {example["name"] for example in config_of(body)["examples"]} - builtin
    assert names, "the canned reports are offered as examples"
    assert names <= {path.stem for path in pages.QUERIES_DIR.glob("*.rq")}
    assert 'id="report-examples"' in body


def test_every_template_knows_which_vendor_files_exist(app: Any, no_yasgui: None) -> None:
    from flask import render_template_string

    with app.test_request_context("/"):
        text = render_template_string(
            "{{ vendor.yasgui }} {{ vendor.chart }} {{ vendor.cytoscape }}"
        )
    assert text == "False False False"

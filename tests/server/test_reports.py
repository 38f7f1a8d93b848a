"""The reports over HTTP: listing, every report in JSON, CSV and HTML, negotiation, paging,
caching, errors, hostile parameters, OpenAPI, and the author and paper pages (seed store)."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from kg.reports.catalog import load_reports
from tests.conftest import TEST_BASE_IRI

REPORTS = load_reports(validate=False)
WEIRAN = f"{TEST_BASE_IRI}author/weiran-huang"


def example_params(name: str) -> dict[str, str]:
    """The examples of the required parameters, and of the crawl dates (the seed store has
    one crawl: left out, the reports between two crawls have nothing to compare)."""
    return {
        p.name: p.example
        for p in REPORTS[name].parameters
        if (p.required or p.store_default is not None) and p.example is not None
    }


def get_json(client, path: str, **params: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(path + ("?" + urlencode(params) if params else ""))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def assert_problem(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["status"] == status and problem["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return problem  # type: ignore[no-any-return]


# -- listing ---------------------------------------------------------------------------------


def test_reports_json_lists_at_least_sixteen(client) -> None:  # type: ignore[no-untyped-def]
    listing = get_json(client, "/reports.json")["reports"]
    assert len(listing) >= 16
    assert {r["name"] for r in listing} == set(REPORTS)
    for report in listing:
        assert report["title"] and report["description"]
        for param in report["parameters"]:
            assert {"name", "type", "required", "description"} <= set(param)
            if param["required"]:
                assert "example" in param
    summary = next(r for r in listing if r["name"] == "author-summary")
    assert summary["parameters"][0] == {
        "name": "author",
        "type": "author",
        "required": True,
        "example": "Weiran Huang",
        "description": summary["parameters"][0]["description"],
    }
    papers = next(r for r in listing if r["name"] == "author-papers")
    assert [p["type"] for p in papers["parameters"]] == ["author", "year", "subject", "boolean"]


def test_reports_page_lists_every_report(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reports", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for name in REPORTS:
        # A report that needs a parameter is linked with its example values (?author=...).
        assert re.search(rf'href="/reports/{re.escape(name)}(\?[^"]*)?"', page), name
    as_json = client.get("/reports", headers={"Accept": "application/json"})
    assert as_json.mimetype == "application/json" and len(as_json.get_json()["reports"]) == len(
        REPORTS
    )


# -- every report, every format ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_answers_with_its_example(client, name: str) -> None:  # type: ignore[no-untyped-def]
    params = example_params(name)
    document = get_json(client, f"/reports/{name}.json", **params)
    assert document["report"] == name
    assert document["rows"], f"{name} has no rows for its example"
    assert document["columns"] == list(document["rows"][0])
    hidden = {p.name for p in REPORTS[name].parameters if not p.engine}
    assert not hidden & set(document["columns"])
    assert document["total"] >= len(document["rows"])

    response = client.get(f"/reports/{name}.csv?{urlencode(params)}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == document["columns"]
    assert len(table) - 1 == document["total"]

    response = client.get(f"/reports/{name}?{urlencode(params)}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<table" in page
    # Every page has the search form in its header; the report form is the parameters form.
    assert ('class="report-form"' in page) == bool(REPORTS[name].parameters)
    assert "<script>" not in page  # only data islands and external scripts (CSP)
    assert "/?query=" in page  # the SPARQL opens in the query page


def test_a_report_page_without_parameters_runs_the_example(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/author-summary", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert 'value="Weiran Huang"' in page
    assert "Weiran Huang" in page and "1945" in page


class Islands(HTMLParser):
    """The JSON data islands of a page, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.islands: dict[str, Any] = {}
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("type") == "application/json":
            self._id = values.get("id")
        elif tag == "script" and values.get("type") == "application/ld+json":
            pass  # structured data for crawlers: a data block, never executed
        elif tag == "script":
            assert values.get("src"), "inline script"

    def handle_data(self, data: str) -> None:
        if self._id:
            self.islands[self._id] = json.loads(data)

    def handle_endtag(self, tag: str) -> None:
        self._id = None


def islands(html: str) -> dict[str, Any]:
    parser = Islands()
    parser.feed(html)
    return parser.islands


def test_charts_are_data_islands(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/reports/author-timeline?author={WEIRAN}", headers={"Accept": "text/html"})
    spec = islands(page.get_data(as_text=True))["report-chart"]
    assert spec["type"] == "bar"
    assert spec["labels"] == [str(y) for y in range(2020, 2027)]
    assert sum(spec["datasets"][0]["data"]) == 50
    page = client.get("/reports/subjects", headers={"Accept": "text/html"}).get_data(as_text=True)
    spec = islands(page)["report-chart"]
    assert {d["label"] for d in spec["datasets"]} == {"AI", "CL", "CV", "IR", "LG", "ML"}
    assert sum(v or 0 for d in spec["datasets"] for v in d["data"]) == 104


# -- negotiation, paging, caching --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        pytest.param("application/json", "application/json", id="json"),
        pytest.param("text/csv", "text/csv", id="csv"),
        pytest.param("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/html", id="browser"),
        pytest.param("*/*", "application/json", id="anything"),
        pytest.param("text/csv;q=0.5, application/json;q=0.9", "application/json", id="q-values"),
    ],
)
def test_content_negotiation(client, accept: str, mimetype: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reports/author-timeline?author=Weiran+Huang", headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]


def test_not_acceptable_is_a_problem(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reports/author-timeline?author=Weiran+Huang", headers={"Accept": "image/png"}
    )
    assert_problem(response, 406)


def test_paging_with_next_links(client) -> None:  # type: ignore[no-untyped-def]
    everything = get_json(
        client, "/reports/author-papers.json", author="Weiran Huang", limit="1000"
    )["rows"]
    assert len(everything) == 50
    url: str | None = "/reports/author-papers.json?" + urlencode(
        {"author": "Weiran Huang", "limit": "7"}
    )
    pages = []
    while url:
        parts = urlsplit(url)
        response = client.get(parts.path + "?" + parts.query)
        document = response.get_json()
        pages.append(document["rows"])
        url = document["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            assert document["limit"] == 7 and len(document["rows"]) == 7
        else:
            assert "Link" not in response.headers
    assert len(pages) == 8
    assert [row for page in pages for row in page] == everything


def test_html_pages_through_rows(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reports/author-papers?author=Weiran+Huang&limit=20", headers={"Accept": "text/html"}
    )
    assert 'rel="next"' in response.headers["Link"]
    assert 'rel="next"' in response.get_data(as_text=True)


def test_a_date_cell_stays_on_one_line(client) -> None:  # type: ignore[no-untyped-def]
    """Dates are marked so that a narrow column does not break them at a hyphen."""
    page = client.get(
        "/reports/author-papers?author=Weiran+Huang&limit=5", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    dates = re.findall(r'<td class="date">([^<]*)</td>', page)
    assert dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), dates
    with client.get("/static/kg.css") as response:
        assert "td.date { white-space: nowrap;" in response.get_data(as_text=True)


def test_etag_and_not_modified(client) -> None:  # type: ignore[no-untyped-def]
    path = "/reports/coauthors.json?author=Weiran+Huang"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data
    # The same parameters spelled differently are the same resource.
    assert client.get(f"/reports/coauthors.json?author={WEIRAN}").headers["ETag"] == etag
    other = client.get("/reports/coauthors.json?author=Zhiquan+Tan")
    assert other.headers["ETag"] != etag
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    csv_etag = client.get("/reports/coauthors.csv?author=Weiran+Huang").headers["ETag"]
    assert csv_etag != etag
    assert (
        client.get(
            "/reports/coauthors.csv?author=Weiran+Huang", headers={"If-None-Match": csv_etag}
        ).status_code
        == 304
    )


def test_csv_streams_the_whole_result(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reports/top-authors-by-papers.csv?limit=3")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 + 153
    assert response.headers["Content-Type"].startswith("text/csv")


# -- errors and hostile input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/reports/no-such-report", 404, id="unknown-report"),
        pytest.param("/reports/no-such-report.json", 404, id="unknown-report-json"),
        pytest.param("/reports/author-papers.json", 400, id="missing-required"),
        pytest.param("/reports/author-papers.json?author=x&year=20x4", 400, id="bad-year"),
        pytest.param(
            "/reports/author-papers.json?author=x&has_code=perhaps", 400, id="bad-boolean"
        ),
        pytest.param("/reports/author-papers.json?author=x&limit=0", 400, id="bad-limit"),
        pytest.param("/reports/author-papers.json?author=x&offset=-1", 400, id="bad-offset"),
        pytest.param(
            "/reports/author-papers.json?author=x&colour=red", 400, id="unknown-parameter"
        ),
        pytest.param(
            "/reports/author-papers.csv?author=http://kg.test/a%20b", 400, id="bad-iri-csv"
        ),
        pytest.param("/reports/coauthor-network.json?author=x&depth=9", 400, id="depth"),
        pytest.param("/pages/author/no-such-person", 404, id="unknown-author-page"),
    ],
)
def test_errors(client, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    if path.startswith("/pages/"):
        assert response.status_code == status
        return
    problem = assert_problem(response, status)
    if status == 400:
        assert problem["type"].endswith("invalid-parameter") or "parameter" in problem["detail"]


def test_bad_parameter_in_html_shows_the_form_with_the_reason(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reports/author-papers?author=x&year=abcd", headers={"Accept": "text/html"}
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "four-digit year" in page and "<form" in page


HOSTILE = [
    "'",
    '"',
    "{",
    "}",
    "} ; DROP ALL ; SELECT * {",
    'x" } UNION { ?s ?p ?o } #',
    "SELECT * WHERE { ?s ?p ?o }",
    "?author",
    "<script>alert(1)</script>",
    "Ŵéìrd ∂ 漢字 🙂 \u202e",
    "x" * 900,
]


@pytest.mark.parametrize("value", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_values_answer_like_no_match(client, value: str) -> None:  # type: ignore[no-untyped-def]
    for name, report in REPORTS.items():
        for param in report.parameters:
            if param.type not in ("author", "paper", "string"):
                continue
            base = {
                p.name: p.example
                for p in report.parameters
                if p.required and p.example and p.name != param.name
            }
            response = client.get(f"/reports/{name}.json?{urlencode({**base, param.name: value})}")
            assert response.status_code == 200, f"{name}?{param.name}: {response.status_code}"
            if name == "search":
                continue  # ranked fuzzy text: any ranking, but an answer
            nothing = client.get(
                f"/reports/{name}.json?{urlencode({**base, param.name: 'no such thing'})}"
            )
            assert response.get_json()["rows"] == nothing.get_json()["rows"], f"{name}?{param.name}"
            page = client.get(
                f"/reports/{name}?{urlencode({**base, param.name: value})}",
                headers={"Accept": "text/html"},
            )
            assert page.status_code == 200
            assert "<script>alert" not in page.get_data(as_text=True)


def test_very_long_values_are_refused_not_failed(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reports/author-summary.json?" + urlencode({"author": "x" * 5000}))
    assert_problem(response, 400)
    response = client.get("/reports/search.json?" + urlencode({"q": "} " * 600}))
    assert_problem(response, 400)


# -- OpenAPI ---------------------------------------------------------------------------------------


def test_openapi_document_is_valid_and_complete(client) -> None:  # type: ignore[no-untyped-def]
    document = get_json(client, "/openapi.json")
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)
    assert document["openapi"].startswith("3.")
    for name, report in REPORTS.items():
        operation = document["paths"][f"/reports/{name}.json"]["get"]
        declared = {p["name"]: p for p in operation["parameters"] if "name" in p}
        assert set(declared) == {p.name for p in report.parameters}
        for param in report.parameters:
            assert declared[param.name]["required"] == param.required
        assert (
            "text/csv"
            in document["paths"][f"/reports/{name}.csv"]["get"]["responses"]["200"]["content"]
        )
    depth = document["paths"]["/reports/coauthor-network.json"]["get"]["parameters"][1]
    # A blank value (an empty form field) means "not given", so the schema takes it too.
    assert depth["schema"] == {
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": 2},
            {"type": "string", "pattern": "^[ \\t\\n\\r\\f\\v]*$", "maxLength": 1000},
        ],
        "default": 1,
    }
    # Paging is bounded as the validator bounds it; a blank limit is refused.
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert limit == {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 100}


# -- facts and entity pages -------------------------------------------------------------------------


def test_weiran_huang_summary_over_http(client) -> None:  # type: ignore[no-untyped-def]
    (row,) = get_json(client, "/reports/author-summary.json", author="Weiran Huang")["rows"]
    assert (row["papers"], row["h_index"], row["snapshot_date"]) == (50, 28, "2026-11-21")


def test_network_json_is_cytoscape_elements(client) -> None:  # type: ignore[no-untyped-def]
    document = get_json(client, "/reports/coauthor-network.json", author="Weiran Huang")
    elements = document["elements"]
    ids = {n["data"]["id"] for n in elements["nodes"]}
    assert WEIRAN in ids
    for edge in elements["edges"]:
        assert {"id", "source", "target", "weight"} <= set(edge["data"])
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids
    ego = next(n["data"] for n in elements["nodes"] if n["data"]["id"] == WEIRAN)
    assert ego["page"] == "/pages/author/weiran-huang" and ego["level"] == 0


def test_weiran_huang_author_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/author/weiran-huang")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Weiran Huang</h1>" in page
    assert "Papers (50)" in page
    for title in (
        "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models",
        "Information Flow in Self-Supervised Learning",
    ):
        assert title in page
    assert "https://github.com/waltonfuture/Diff-eRank" in page
    assert 'href="/pages/author/zhiquan-tan"' in page and 'href="/pages/author/lai-wei"' in page
    data = islands(page)
    timeline = data["timeline-data"]
    assert dict(zip(timeline["labels"], timeline["datasets"][0]["data"], strict=True)) == {
        "2020": 4,
        "2021": 2,
        "2022": 2,
        "2023": 13,
        "2024": 13,
        "2025": 12,
        "2026": 4,
    }
    graph = data["coauthor-graph"]
    labels = {n["label"] for n in graph["nodes"]}
    assert {"Weiran Huang", "Zhiquan Tan", "Lai Wei"} <= labels
    assert graph["focus"] == WEIRAN and graph["edges"]
    assert 'data-kg-graph="coauthor-graph"' in page and 'data-kg-chart="timeline-data"' in page
    assert "Latest profile snapshot" in page and "2026-11-21" in page
    # Every author and paper name in the tables links to its page.
    papers = re.findall(r'href="/pages/paper/([a-z0-9-]+)"', page)
    assert len(set(papers)) >= 50


def test_paper_page(client) -> None:  # type: ignore[no-untyped-def]
    slug = "diff-erank-a-novel-rank-based-metric-for-evaluating-large-cf1562"
    response = client.get(f"/pages/paper/{slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Diff-eRank: A Novel Rank-Based Metric" in page
    for name, href in (
        ("Lai Wei", "lai-wei"),
        ("Zhiquan Tan", "zhiquan-tan"),
        ("Weiran Huang", "weiran-huang"),
    ):
        assert f'href="/pages/author/{href}"' in page and name in page
    assert "https://github.com/waltonfuture/Diff-eRank" in page
    assert (
        "author hidden by et al." in page
    )  # Weiran Huang: his profile lists it, "et al." hides him
    assert page.index(">Lai Wei<") < page.index(">Zhiquan Tan<") < page.index(">Chenghai Li<")
    assert client.get("/pages/paper/no-such-paper-000000").status_code == 404


def test_report_tables_link_authors_and_papers_to_their_pages(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(
        "/reports/papers-in-several-profiles", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert len(set(re.findall(r'href="/pages/paper/[a-z0-9-]+"', page))) == 16
    page = client.get(
        "/reports/coauthors?author=Weiran+Huang", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert re.search(r'href="/pages/author/lai-wei"[^>]*>Lai Wei</a>', page)

"""HTTP hardening: size limits, escaping and CSP, no path traversal, problem+json, rate limit.

* Body (413) and URL (414) limits answer problem+json, in the application and
  under the real server (granian), also for a chunked body without a length.
* HTML escapes what the data says: a profile whose title holds
  ``<script>alert(1)</script>``, an author named ``<b>Bold</b> Rennet`` and an
  abstract with an ``onerror`` image is ingested; its linked-data pages, every
  report and entity page that shows it, and the query page's server-side
  table must show the text escaped, never the raw tag, and send a CSP that
  forbids inline scripts.
* Report names, IRIs, dump names and static paths cannot reach files outside
  their folder, whatever the encoding: 400/404, never a file's content, never
  a 5xx (through the test client and raw over HTTP).
* Errors (unknown route, bad method, bad parameter, unsupported media type, an
  unexpected exception) are problem+json without a stack trace.
* The optional per-client rate limit answers 429 with Retry-After.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from markupsafe import escape

from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI, LiveServer, ingest_into

PROBLEM_JSON = "application/problem+json"

HOSTILE_TITLE = "<script>alert(1)</script> Attack Study"
HOSTILE_AUTHOR = "<b>Bold</b> Rennet"
HOSTILE_ABSTRACT_TAG = "<img src=x onerror=alert(2)>"
#: Raw markup that must never reach an HTML page.
RAW_TAGS = ("<script>alert(", "<b>Bold</b>", "<img src=x", "</textarea><script>")

#: Layout B, so that the hostile author line is read through the known-author split.
XSS_PAGE = f"""Ada Quill

LG
h-index3
2papers
12citations
Novelty50%
AI Score50

2 Papers

LGMar 3, 2023
First Clean StudyAda Quill, Bo Rennet
A calm abstract.
LGMar 4, 2023
{HOSTILE_TITLE}Ada Quill, {HOSTILE_AUTHOR}
Abstract with {HOSTILE_ABSTRACT_TAG} and & "quotes" and </textarea><script>alert(3)</script>."""


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xss")
    page = root / "profiles" / "xss.txt"
    page.parent.mkdir()
    page.write_text(XSS_PAGE, encoding="utf-8")
    folder = root / "store"
    ingest_into(folder, [page])
    return folder


@pytest.fixture(scope="module")
def xss_app(xss_store: Path) -> Iterator[Flask]:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(xss_store),
            "base_iri": TEST_BASE_IRI,
            "backend": LocalBackend(KGStore.open_readonly(xss_store)),
        }
    )
    app.config["TESTING"] = True
    yield app


@pytest.fixture(scope="module")
def hostile_iris(xss_store: Path) -> dict[str, str]:
    store = KGStore.open_readonly(xss_store)
    paper = next(
        iter(
            store.query(
                sparql_prologue()
                + "SELECT ?p { ?p dcterms:title ?t FILTER(CONTAINS(?t, 'Attack Study')) }"
            )
        )
    )["p"].value
    author = next(
        iter(
            store.query(
                sparql_prologue()
                + "SELECT ?a { ?a a schema:Person ; schema:name ?n FILTER(CONTAINS(?n, 'Bold')) }"
            )
        )
    )["a"].value
    return {"paper": paper, "author": author}


def local_path(iri: str) -> str:
    assert iri.startswith(TEST_BASE_IRI), iri
    return "/" + iri[len(TEST_BASE_IRI) :]


def assert_safe_html(response: Any, where: str, *, must_show: tuple[str, ...] = ()) -> str:
    """No raw markup from the data, the escaped text where it is shown, a CSP without inline scripts."""
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert response.mimetype == "text/html", f"{where}: {response.mimetype}"
    html = response.get_data(as_text=True)
    for raw in RAW_TAGS:
        assert raw not in html, f"{where}: raw {raw!r} in the page"
    for text in must_show:
        assert str(escape(text)) in html, f"{where}: {text!r} not shown escaped"
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    assert "default-src" in directives, f"{where}: no CSP"
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "*" not in script.split(), (
        f"{where}: weak script-src {script!r}"
    )
    assert directives.get("object-src") == "object-src 'none'", f"{where}: {policy}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    return html


def assert_problem(response: Any, status: int | tuple[int, ...], where: str) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (
        f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    )
    assert response.mimetype == PROBLEM_JSON, f"{where}: {response.mimetype}"
    body = json.loads(response.get_data(as_text=True))
    assert (
        body["status"] == response.status_code
        and body["title"]
        and "detail" in body
        and "type" in body
    )
    assert_no_stack_trace(response.get_data(as_text=True), where)
    return body


def assert_no_stack_trace(text: str, where: str) -> None:
    for leak in ("Traceback", 'File "', "site-packages", "/work/", '.py", line'):
        assert leak not in text, f"{where}: the answer leaks {leak!r}"


# -- escaping -------------------------------------------------------------------------------


def test_linked_data_pages_escape_titles_names_and_abstracts(
    xss_app: Flask, hostile_iris: dict[str, str]
) -> None:
    client = xss_app.test_client()
    paper = client.get(local_path(hostile_iris["paper"]), headers={"Accept": "text/html"})
    assert paper.status_code == 200
    assert_safe_html(
        paper, "paper page", must_show=(HOSTILE_TITLE, HOSTILE_AUTHOR, HOSTILE_ABSTRACT_TAG)
    )
    author = client.get(local_path(hostile_iris["author"]), headers={"Accept": "text/html"})
    assert author.status_code == 200
    assert_safe_html(author, "author page", must_show=(HOSTILE_AUTHOR, HOSTILE_TITLE))
    for extension in ("html", "ttl", "jsonld"):
        response = client.get(local_path(hostile_iris["paper"]) + "." + extension)
        assert response.status_code == 200, extension
        if extension == "html":
            assert_safe_html(response, "paper.html")


def test_pages_linked_from_the_paper_escape_it(
    xss_app: Flask, hostile_iris: dict[str, str]
) -> None:
    """Every same-site page the paper's and author's pages link to (report and entity pages) escapes the data."""
    client = xss_app.test_client()
    checked = 0
    for kind in ("paper", "author"):
        html = client.get(local_path(hostile_iris[kind]), headers={"Accept": "text/html"}).get_data(
            as_text=True
        )
        for href in sorted(set(re.findall(r'href="(/(?:reports|pages)/[^"#]*)"', html))):
            target = href.replace("&amp;", "&")
            response = client.get(target, headers={"Accept": "text/html"})
            if response.mimetype == "text/html":
                assert_safe_html(response, target)
                checked += 1
    if not checked:
        pytest.skip("no report or entity page is linked from resource pages yet")


def test_report_pages_escape_data_and_parameters(
    xss_app: Flask, hostile_iris: dict[str, str]
) -> None:
    """Every report, in HTML, with the hostile paper and author as its parameters."""
    client = xss_app.test_client()
    listing = client.get("/reports.json")
    if listing.status_code == 404:
        pytest.skip("/reports.json is not served yet")
    assert listing.status_code == 200
    reports = listing.get_json()
    reports = reports.get("reports", reports) if isinstance(reports, dict) else reports
    assert reports
    shown = 0
    for report in reports:
        params: dict[str, str] = {}
        for param in report.get("parameters", []):
            name, kind = param["name"], str(param.get("type", ""))
            if kind == "paper" or name == "paper":
                params[name] = HOSTILE_TITLE
            elif kind == "author" or name in ("author", "from", "to", "a", "b"):
                params[name] = HOSTILE_AUTHOR
            elif name == "q":
                params[name] = "Attack Study"
            elif param.get("example") is not None:
                params[name] = str(param["example"])
        url = f"/reports/{report['name']}?{urlencode(params)}"
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.mimetype == "text/html":
            html = assert_safe_html(response, url)
            shown += str(escape(HOSTILE_TITLE)) in html or str(escape(HOSTILE_AUTHOR)) in html
        else:
            assert_problem(response, (400, 404), url)
    assert shown, "no report page showed the hostile paper or author"


def test_query_page_table_escapes_results(xss_app: Flask) -> None:
    client = xss_app.test_client()
    query = sparql_prologue() + (
        "SELECT ?title ?name ?abstract WHERE { ?p dcterms:title ?title ; dcterms:abstract ?abstract ; "
        "schema:author ?a . ?a schema:name ?name FILTER(CONTAINS(?title, 'Attack')) }"
    )
    response = client.post("/", data={"query": query})
    assert response.status_code == 200
    html = assert_safe_html(response, "query page table", must_show=(HOSTILE_TITLE, HOSTILE_AUTHOR))
    assert "<table" in html


def test_query_page_escapes_the_query_text_itself(xss_app: Flask) -> None:
    client = xss_app.test_client()
    query = "# </textarea><script>alert(3)</script> <b>Bold</b>\nSELECT * { ?s ?p ?o } LIMIT 1"
    for response in (
        client.post("/", data={"query": query}),
        client.get("/?" + urlencode({"query": query})),
        client.post("/", data={"query": "SELECT <script>alert(1)</script"}),
    ):
        assert_safe_html(response, "query page with a hostile query")


# -- limits --------------------------------------------------------------------------------


def test_body_and_url_limits_answer_problem_json(client) -> None:  # type: ignore[no-untyped-def]
    limit = client.application.extensions["kg"].settings.max_body_bytes
    body = "query=" + quote("SELECT * { ?s ?p ?o } #" + "x" * limit)
    response = client.post("/sparql", data=body, content_type="application/x-www-form-urlencoded")
    assert_problem(response, 413, "large form body")
    response = client.post(
        "/sparql", data=b"x" * (limit + 1), content_type="application/sparql-query"
    )
    assert_problem(response, 413, "large query body")
    url_limit = client.application.extensions["kg"].settings.max_url_length
    response = client.get("/sparql?" + urlencode({"query": "SELECT * {} #" + "x" * url_limit}))
    assert_problem(response, 414, "long URL")
    response = client.get("/paper/" + "a" * url_limit)
    assert_problem(response, 414, "long path")


def raw_request(
    server: LiveServer,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection, with the path sent exactly as given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            assert body is not None
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return 0, {}, b""  # the server closed the connection: refused, not served
    finally:
        connection.close()


def test_limits_under_the_real_server(live_server: LiveServer) -> None:
    big = b"query=" + b"x" * 2_000_000
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = raw_request(live_server, "POST", "/sparql", body=big, headers=form)
    assert status in (0, 413) and (
        status == 0 or headers["content-type"].startswith(PROBLEM_JSON)
    ), status
    status, headers, _ = raw_request(
        live_server, "POST", "/sparql", body=big, headers=form, chunked=True
    )
    assert status in (0, 413), f"a chunked body past the limit was read: {status}"
    status, headers, _ = raw_request(live_server, "GET", "/sparql?query=" + "x" * 20_000)
    assert status in (0, 414, 431), status
    if status == 414:
        assert headers["content-type"].startswith(PROBLEM_JSON)
    # Header limits are granian's: a 1 MB header, or thousands of headers, are refused.
    status, _, _ = raw_request(
        live_server, "GET", "/healthz", headers={"X-Padding": "x" * 1_000_000}
    )
    assert status in (0, 400, 431), f"a 1 MB header: {status}"
    status, _, _ = raw_request(
        live_server, "GET", "/healthz", headers={f"X-H{i}": "y" for i in range(5000)}
    )
    assert status in (0, 400, 431), f"5000 headers: {status}"
    # And the server still answers.
    status, _, _ = raw_request(live_server, "GET", "/healthz")
    assert status == 200


# -- path traversal ----------------------------------------------------------------------------

TRAVERSALS = [
    "/reports/..%2f..%2fetc%2fpasswd",
    "/reports/../../etc/passwd",
    "/reports/%2e%2e/%2e%2e/etc/passwd",
    "/reports/..%5c..%5cpyproject.toml",
    "/reports/%2fetc%2fpasswd",
    "/reports//etc/passwd",
    "/reports/..%252f..%252fpyproject.toml",
    "/reports/....//....//pyproject.toml",
    "/reports/..%2f..%2fpyproject.toml.json",
    "/reports/..%2fqueries%2fpaper.rq",
    "/reports/%00paper",
    "/dumps/../../pyproject.toml",
    "/dumps/..%2f..%2fpyproject.toml",
    "/dumps/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/dumps/%2fetc%2fpasswd",
    "/dumps//etc/passwd",
    "/dumps/..%252f..%252fpyproject.toml",
    "/dumps/manifest.json",
    "/dumps/..",
    "/paper/..%2f..%2fpyproject.toml",
    "/paper/../../etc/passwd",
    "/author/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/graph/..%2f..%2f..%2fetc%2fpasswd",
    "/graph/%2fetc%2fpasswd",
    "/ontology.ttl/../../pyproject.toml",
    "/static/../pyproject.toml",
    "/static/..%2f..%2fpyproject.toml",
    "/static/vendor/..%2f..%2f..%2fpyproject.toml",
    "/static/%2fetc%2fpasswd",
    "/?example=../../pyproject",
    "/?example=..%2f..%2fetc%2fpasswd",
]
#: What a leaked file would show.
FILE_MARKERS = (b"root:x:0:0", b"[build-system]", b"[project]", b"# title:", b"PREFIX schema")


def _no_file_content(status: int, body: bytes, where: str, location: str | None = None) -> None:
    assert status < 500, f"{where}: {status}"
    if 300 <= status < 400:
        # werkzeug merges a doubled slash with a redirect: it must stay on this site, in the same folder.
        assert location and ".." not in location and "%2e" not in location.lower(), (
            f"{where} -> {location}"
        )
        # (an absolute redirect names the public address, the base IRI: test_host_header.py)
        assert location.startswith(("/", TEST_BASE_IRI)), f"{where} -> {location}"
    for marker in FILE_MARKERS:
        if where.startswith("/?example=") and marker in (b"# title:", b"PREFIX schema"):
            continue  # the query page lists the canned queries itself
        assert marker not in body, f"{where}: a file's content ({marker!r}) was served"


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_traversal_through_the_application(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    _no_file_content(
        response.status_code, response.get_data(), path, response.headers.get("Location")
    )
    if path.startswith("/?example="):
        assert response.status_code == 200  # an unknown example name is just not chosen
    elif response.status_code in (301, 302, 307, 308):
        followed = client.get(response.headers["Location"])
        _no_file_content(followed.status_code, followed.get_data(), path + " (followed)")
        assert followed.status_code in (400, 404), f"{path} -> {followed.status_code}"
    else:
        assert response.status_code in (400, 404), f"{path}: {response.status_code}"
        assert response.mimetype == PROBLEM_JSON, f"{path}: {response.mimetype}"


def test_no_path_traversal_over_http(live_server: LiveServer) -> None:
    """The same paths sent raw to granian (no client-side normalisation), plus absolute URIs."""
    for path in [
        *TRAVERSALS,
        "http://127.0.0.1/../../pyproject.toml",
        "/reports/..\\..\\pyproject.toml",
    ]:
        status, headers, body = raw_request(live_server, "GET", path)
        _no_file_content(status, body, path, headers.get("location"))
        if not path.startswith("/?example="):
            assert status in (0, 308, 400, 404), f"{path}: {status}"


def test_positive_controls_for_the_traversal_routes(client, seed_store: Path) -> None:  # type: ignore[no-untyped-def]
    """The routes the traversal attempts aim at do exist (their 404s are not vacuous)."""
    store = KGStore.open_readonly(seed_store)
    paper = next(
        iter(store.query(sparql_prologue() + "SELECT ?p { ?p a schema:ScholarlyArticle } LIMIT 1"))
    )["p"]
    assert client.get(local_path(paper.value) + ".ttl").status_code == 200
    with client.get("/static/kg.css") as css:
        assert css.status_code == 200
    assert client.get("/ontology.ttl").status_code == 200
    rules = {rule.rule for rule in client.application.url_map.iter_rules()}
    assert "/dumps/<name>" in rules
    listing = client.get("/reports.json")
    if listing.status_code == 200:
        assert any(rule.startswith("/reports/") for rule in rules)


# -- errors ---------------------------------------------------------------------------------


ERRORS = [
    pytest.param("GET", "/no/such/route", {}, None, 404, id="unknown-route"),
    pytest.param("DELETE", "/sparql", {}, None, 405, id="bad-method-sparql"),
    pytest.param("PUT", "/", {}, None, 405, id="bad-method-page"),
    pytest.param("POST", "/healthz", {}, None, 405, id="bad-method-healthz"),
    pytest.param("GET", "/sparql?query=SELEC%20*%20WHERE", {}, None, 400, id="syntax-error"),
    pytest.param(
        "GET",
        "/sparql?query=SELECT%20*%20%7B%7D&default-graph-uri=not%20an%20iri",
        {},
        None,
        400,
        id="bad-graph-iri",
    ),
    pytest.param(
        "POST", "/sparql", {"Content-Type": "text/plain"}, b"SELECT * {}", 415, id="media-type"
    ),
    pytest.param(
        "GET",
        "/sparql?query=SELECT%20*%20%7B%7D",
        {"Accept": "image/png"},
        None,
        406,
        id="not-acceptable",
    ),
    pytest.param(
        "GET",
        "/sparql?query=LOAD%20%3Chttp://127.0.0.1:9/x%3E",
        {},
        None,
        (400, 403),
        id="update-refused",
    ),
    pytest.param("GET", "/paper/no-such-paper", {}, None, 404, id="unknown-iri"),
    pytest.param("GET", "/dumps/no-such-dump.nq.gz", {}, None, 404, id="unknown-dump"),
    pytest.param("GET", "/reports/no-such-report", {}, None, 404, id="unknown-report"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), ERRORS)
def test_errors_are_problem_json_without_stack_traces(
    client, method, path, headers, body, status
) -> None:  # type: ignore[no-untyped-def]
    response = client.open(path, method=method, headers=headers, data=body)
    assert_problem(response, status, f"{method} {path}")


def test_report_parameter_errors_are_problem_json(xss_app: Flask) -> None:
    client = xss_app.test_client()
    listing = client.get("/reports.json")
    if listing.status_code == 404:
        pytest.skip("/reports.json is not served yet")
    reports = listing.get_json()
    reports = reports.get("reports", reports) if isinstance(reports, dict) else reports
    typed = [
        (r["name"], p["name"])
        for r in reports
        for p in r.get("parameters", [])
        if str(p.get("type", "")) in ("year", "integer", "int", "boolean", "date")
    ]
    assert typed, "no report has a typed parameter to abuse"
    for name, param in typed:
        for value in ("not-a-value", "1' } ; DROP ALL ; #", "9" * 400):
            response = client.get(f"/reports/{name}.json?{urlencode({param: value})}")
            if response.status_code != 200:  # an ignored optional value is fine too
                assert_problem(response, 400, f"{name}?{param}={value[:20]}")


def test_an_unexpected_exception_is_a_problem_without_details(seed_store: Path) -> None:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(seed_store),
            "base_iri": TEST_BASE_IRI,
            "backend": LocalBackend(KGStore.open_readonly(seed_store)),
        }
    )

    @app.get("/test-boom")
    def boom() -> str:
        raise RuntimeError("secret detail from /etc/passwd")

    response = app.test_client().get("/test-boom")
    body = assert_problem(response, 500, "unexpected exception")
    assert "secret" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)


# -- rate limit -------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(seed_store: Path) -> None:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(seed_store),
            "base_iri": TEST_BASE_IRI,
            "rate_limit": 2.0,
            "backend": LocalBackend(KGStore.open_readonly(seed_store)),
        }
    )
    client = app.test_client()
    one = {"REMOTE_ADDR": "198.51.100.7"}
    statuses = [client.get("/healthz", environ_base=one).status_code for _ in range(10)]
    assert statuses[0] == 200 and 429 in statuses, statuses
    limited = client.get("/healthz", environ_base=one)
    assert_problem(limited, 429, "rate limited")
    assert int(limited.headers["Retry-After"]) >= 1
    # Another client is not limited by the first one's requests.
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 200
    # The bucket refills.
    time.sleep(1.1)
    assert client.get("/healthz", environ_base=one).status_code == 200


def test_rate_limit_is_off_by_default(client) -> None:  # type: ignore[no-untyped-def]
    assert all(client.get("/healthz").status_code == 200 for _ in range(50))


# -- memory -----------------------------------------------------------------------------------


def test_a_query_past_the_memory_cap_is_a_503_and_the_next_one_answers(seed_store: Path) -> None:
    """An ORDER BY over a cross product wants gigabytes; its process's address-space cap stops it."""
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(seed_store),
            "base_iri": TEST_BASE_IRI,
            "query_timeout": 120,
            "query_memory_mb": 1024,
            "query_workers": 1,
        }
    )
    try:
        client = app.test_client()
        hungry = "SELECT ?a ?b ?c ?d ?e ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
        started = time.monotonic()
        response = client.get(
            "/sparql",
            query_string={"query": hungry},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert_problem(response, 503, "memory-hungry query")
        assert time.monotonic() - started < 100, "stopped by the timeout, not by the memory cap"
        after = client.get(
            "/sparql",
            query_string={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert after.status_code == 200 and after.get_json()["boolean"] is True
    finally:
        app.extensions["kg"].backend.close()

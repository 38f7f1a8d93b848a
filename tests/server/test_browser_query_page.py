"""The query page in headless Chromium against a real `kg serve`.

Needs Debian's chromium (bash scripts/setup-browser) and the vendor assets
(bash scripts/setup-assets); each test skips with the reason otherwise.
Every request to a non-loopback host is blocked and recorded by the helper,
so these tests also prove the page works offline.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from kg_server.pages import VENDOR_FILES

from kg.rdf.namespace import sparql_prologue
from tests.server.browser import Browser, Page, is_loopback_url, require_chromium

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "server" / "kg_server" / "static"
OWNERS = ["Lizhu Zhang", "Weiran Huang", "Xingtai Lv", "Xuyang Zhao", "Zhiquan Tan"]
#: Where screenshots go (kept for a person to look at): $KG_SCREENSHOTS or a temp folder.
SCREENSHOTS = Path(
    os.environ.get("KG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "kg-screenshots"
)

STATE = "document.querySelector('#yasgui').dataset.state"
FINISHED = f"['done', 'error'].includes({STATE}) && {STATE}"
YASR_TEXT = "(document.querySelector('.yasr') || {innerText: ''}).innerText"


#: Puts a chart and a graph with their data islands into the page, then loads the scripts in order.
INJECT_CHARTS = """(function (chart, graph) {
          var main = document.querySelector('main');
          main.innerHTML = '<div class="chart-box" data-kg-chart="c"></div><table class="chart-fallback"></table>'
            + '<div class="graph-box" data-kg-graph="g"></div>';
          [['c', chart], ['g', graph]].forEach(function (pair) {
            var island = document.createElement('script');
            island.type = 'application/json'; island.id = pair[0];
            island.textContent = JSON.stringify(pair[1]);
            main.appendChild(island);
          });
          return ['vendor/chart.umd.min.js', 'vendor/cytoscape.min.js', 'charts.js'].reduce(
            function (chain, file) {
              return chain.then(function () { return new Promise(function (ok, fail) {
                var s = document.createElement('script'); s.src = '/static/' + file;
                s.onload = ok; s.onerror = fail; document.body.appendChild(s); }); });
            }, Promise.resolve());
        })"""


def require_vendor(*features: str) -> None:
    for feature in features:
        missing = [rel for rel in VENDOR_FILES[feature] if not (STATIC / rel).is_file()]
        if missing:
            pytest.skip(
                f"vendor assets missing ({', '.join(missing)}): run `bash scripts/setup-assets`"
            )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    require_vendor("yasgui")
    with Browser(executable) as chromium:
        yield chromium


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    yield tab
    tab.close()


def assert_offline(page: Page) -> None:
    assert page.requests, "the helper saw the page's requests"
    assert not page.external_requests, f"requests left the machine: {page.external_requests}"
    assert all(is_loopback_url(url) for url in page.requests)
    dom_urls = page.evaluate(
        "Array.from(document.querySelectorAll('script[src], link[href], img[src], iframe[src]'))"
        ".map(e => e.src || e.href)"
    )
    assert all(is_loopback_url(url) for url in dom_urls), dom_urls


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = page.screenshot(SCREENSHOTS / name)
    print(f"screenshot: {path}")
    assert path.stat().st_size > 10_000
    return path


def run_url(live_server: Any, query: str) -> str:
    return f"{live_server.url}/?{urlencode({'query': query, 'run': '1'})}"


def test_prefilled_query_runs_and_shows_rows(page: Page, live_server: Any) -> None:
    query = sparql_prologue() + (
        "SELECT DISTINCT ?owner ?name WHERE {\n"
        "  ?snapshot a kg:ProfileSnapshot ; foaf:primaryTopic ?owner .\n"
        "  ?owner schema:name ?name .\n} ORDER BY ?name\n"
    )
    page.goto(run_url(live_server, query))
    assert page.wait_for(FINISHED, timeout=30) == "done", page.text(".yasr")
    table_names = page.evaluate(
        "Array.from(document.querySelectorAll('.yasr table tbody tr'))"
        ".map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()))"
    )
    names = [cell for row in table_names for cell in row if cell in OWNERS]
    assert names == OWNERS
    assert "5 results" in page.text(".yasr")
    # the editor shows the query with syntax highlighting and the prefixes
    assert page.evaluate("document.querySelectorAll('.yasqe .CodeMirror .cm-keyword').length") > 3
    assert "kg:ProfileSnapshot" in page.evaluate(
        "document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue()"
    )
    assert page.evaluate("!!document.querySelector('#query-app.js-enhanced')"), (
        "the plain form is replaced"
    )
    # downloads follow the query
    csv = page.evaluate(
        "document.querySelector('#downloads a[data-format=csv]').getAttribute('href')"
    )
    assert csv.startswith("/sparql?") and "format=csv" in csv
    assert not page.errors, page.errors
    assert_offline(page)
    screenshot(page, "query-page-owners.png")


def test_query_runs_by_post_to_our_endpoint(page: Page, live_server: Any) -> None:
    page.goto(
        run_url(
            live_server,
            "SELECT (COUNT(DISTINCT ?p) AS ?papers) WHERE "
            "{ ?p a <https://schema.org/ScholarlyArticle> }",
        )
    )
    assert page.wait_for(FINISHED, timeout=30) == "done", page.text(".yasr")
    assert "104" in page.text(".yasr")
    assert f"{live_server.url}/sparql" in page.requests
    assert_offline(page)


def test_example_button_loads_and_runs(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    page.wait_for(f"{STATE} === 'ready'")
    page.evaluate("document.querySelector('a[data-example=count-papers]').click()")
    assert page.wait_for(FINISHED, timeout=30) == "done"
    assert "104" in page.text(".yasr")
    assert "count-papers" not in page.evaluate("location.href"), "no page reload"
    assert_offline(page)


def test_hostile_literal_is_shown_as_text(page: Page, live_server: Any) -> None:
    hostile = (
        "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
    )
    query = f"SELECT ?x WHERE {{ BIND({json.dumps(hostile)} AS ?x) }}"
    page.goto(run_url(live_server, query))
    assert page.wait_for(FINISHED, timeout=30) == "done"
    assert "<script>document.title='pwned'</script>" in page.text(".yasr table")
    assert page.evaluate("document.title") != "pwned"
    assert page.evaluate("document.querySelectorAll('.yasr table img').length") == 0


def test_without_javascript_the_form_posts_and_renders_a_table(
    live_server: Any, page: Page
) -> None:
    page.command("Emulation.setScriptExecutionDisabled", value=True)
    page.goto(live_server.url + "/?example=profile-owners")
    assert page.evaluate(f"{STATE}") == "loading", "query.js did not run"
    page.evaluate("document.querySelector('#query-form').submit()")
    page.wait_for("!!document.querySelector('#results-table')", timeout=30)
    text = page.text("#results-table")
    assert all(name in text for name in OWNERS)
    assert_offline(page)
    screenshot(page, "query-page-no-js.png")


def test_charts_js_draws_a_chart_and_a_graph(page: Page, live_server: Any) -> None:
    require_vendor("chart", "cytoscape")
    page.goto(live_server.url + "/")  # any page of ours: same origin, so the CSP allows our scripts
    chart = {
        "type": "bar",
        "title": "Papers per year",
        "labels": ["2023", "2024", "2025"],
        "datasets": [{"label": "papers", "data": [3, 7, 5]}],
        "integer": True,
    }
    graph = {
        "focus": "a",
        "nodes": [
            {"id": "a", "label": "Ada", "href": "/author/a"},
            {"id": "b", "label": "Bob"},
            {"id": "c", "label": "Cy"},
        ],
        "edges": [
            {"source": "a", "target": "b", "weight": 2},
            {"source": "a", "target": "c"},
            {"source": "a", "target": "missing"},
        ],
    }
    page.evaluate(f"({INJECT_CHARTS})({json.dumps(chart)}, {json.dumps(graph)})")
    page.wait_for("document.querySelector('[data-kg-graph]').dataset.drawn === 'true'")
    assert page.evaluate("document.querySelector('[data-kg-chart]').dataset.drawn") == "true"
    assert page.evaluate(
        "Chart.getChart(document.querySelector('[data-kg-chart] canvas')).data.labels"
    ) == ["2023", "2024", "2025"]
    assert page.evaluate("document.querySelector('[data-kg-graph]').dataset.nodes") == "3"
    assert page.evaluate("document.querySelector('[data-kg-graph]').dataset.edges") == "2"
    assert not page.errors, page.errors
    assert_offline(page)
    screenshot(page, "charts.png")


def test_endpoint_errors_are_shown_readably(page: Page, live_server: Any) -> None:
    page.goto(
        run_url(live_server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    )
    assert page.wait_for(FINISHED, timeout=30) == "error"
    message = page.text(".yasr .notice.error")
    assert message.startswith("Operation not allowed (400): SERVICE"), message
    assert_offline(page)

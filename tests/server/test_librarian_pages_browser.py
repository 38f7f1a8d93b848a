"""Author, paper and report pages as a librarian reads them, in headless Chromium (issue 16 item 8).

Human column labels, no horizontal overflow at desktop and phone widths, the "possibly
several people" flag on Xuyang Zhao's page, years spaced on a linear axis, co-author graph
labels apart, report parameters kept on the way to the query page, no CSP violation from the
JSON-LD block. Screenshots go to $KG_SCREENSHOTS (default: a temp folder).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.server.browser import Browser, Page
from tests.server.test_reports_browser import SCREENSHOTS, chromium_with_assets

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium_with_assets()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    yield tab
    tab.close()


TARPO = "tarpo-token-wise-latent-explicit-reasoning-via-action-75e880"


def _at_width(page: Page, width: int) -> None:
    page.command(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 600,
    )


def _open(page: Page, url: str, width: int) -> None:
    _at_width(page, width)
    page.goto(url)
    page.wait_for("document.readyState === 'complete'")


def _overflow(page: Page) -> list[Any]:
    """[scrollWidth, innerWidth, the widest elements] when the page scrolls sideways."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(function(){
          var d = document.documentElement;
          if (d.scrollWidth <= window.innerWidth) return [];
          var wide = Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) {
            return e.getBoundingClientRect().right > window.innerWidth + 1;
          }).slice(0, 5).map(function (e) { return e.tagName + '.' + e.className; });
          return [d.scrollWidth, window.innerWidth, wide];
        })()"""
    )


def _headings(page: Page, selector: str) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        f"Array.from(document.querySelectorAll({json.dumps(selector + ' thead th')}))"
        ".map(function (th) { return th.innerText.trim(); })"
    )


def _csp_errors(page: Page) -> list[str]:
    return [line for line in page.console if "Content Security Policy" in line]


@pytest.mark.parametrize("width", WIDTHS)
def test_author_page_reads_well(page: Page, live_server: Any, width: int) -> None:
    _open(page, live_server.url + "/pages/author/xuyang-zhao", width)
    page.wait_for("document.querySelector('[data-kg-graph=\"coauthor-graph\"]').dataset.drawn")
    page.wait_for("document.querySelector('[data-kg-chart=\"timeline-data\"]').dataset.drawn")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(SCREENSHOTS / f"author-xuyang-zhao-{width}.png")
    assert _overflow(page) == []
    # The flag, visible (not only in the markup).
    flag = page.evaluate(
        "(function(){var e=document.getElementById('ambiguity');"
        "return e && e.offsetParent !== null ? e.innerText : null})()"
    )
    assert flag and "several people" in flag
    papers = _headings(page, "#papers")
    assert "Title" in papers and "Published" in papers and "Subject" in papers
    assert not [h for h in papers if "_" in h], papers
    assert not [h for h in _headings(page, "#profiles") if "_" in h]
    assert not _csp_errors(page), page.console
    assert not page.errors, page.errors


def test_author_without_ambiguity_has_no_flag(page: Page, live_server: Any) -> None:
    _open(page, live_server.url + "/pages/author/weiran-huang", 1280)
    assert page.evaluate("document.getElementById('ambiguity')") is None


def test_timeline_spaces_missing_years(page: Page, live_server: Any) -> None:
    """Xuyang Zhao has papers in 2017 and then from 2021: 2018-2020 keep their room."""
    _open(page, live_server.url + "/pages/author/xuyang-zhao", 1280)
    page.wait_for("document.querySelector('[data-kg-chart=\"timeline-data\"]').dataset.drawn")
    axis = page.evaluate(
        """(function(){
          var chart = Chart.getChart(document.querySelector('[data-kg-chart="timeline-data"] canvas'));
          var x = chart.scales.x;
          return {type: x.type, at: [2017, 2018, 2021, 2022].map(function (y) { return x.getPixelForValue(y); })};
        })()"""
    )
    assert axis["type"] == "linear"
    p2017, p2018, p2021, p2022 = axis["at"]
    # Four years from 2017 to 2021 take four times the room of one.
    assert abs((p2021 - p2017) - 4 * (p2022 - p2021)) < 2, axis
    assert abs((p2018 - p2017) - (p2022 - p2021)) < 2, axis


def test_coauthor_graph_labels_do_not_overlap(page: Page, live_server: Any) -> None:
    _open(page, live_server.url + "/pages/author/weiran-huang", 1280)
    page.wait_for(
        "document.querySelector('[data-kg-graph=\"coauthor-graph\"]').dataset.drawn === 'true'",
        timeout=30,
    )
    overlaps = page.evaluate(
        """(function(){
          var cy = document.querySelector('[data-kg-graph="coauthor-graph"]').kgGraph;
          var boxes = cy.nodes().map(function (n) {
            return n.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true});
          });
          var found = [];
          for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
            var a = boxes[i], b = boxes[j];
            if (a.w && b.w && a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2)
              found.push([cy.nodes()[i].data('label'), cy.nodes()[j].data('label')]);
          }
          return [cy.nodes().length, found];
        })()"""
    )
    nodes, found = overlaps
    assert nodes > 50
    assert found == [], found[:10]
    page.screenshot(SCREENSHOTS / "author-weiran-huang-graph.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_paper_page_reads_well(page: Page, live_server: Any, width: int) -> None:
    _open(page, live_server.url + f"/pages/paper/{TARPO}", width)
    page.screenshot(SCREENSHOTS / f"paper-tarpo-{width}.png")
    assert _overflow(page) == []
    headings = _headings(page, "#authors")
    assert "Author" in headings and "Name as printed" in headings
    assert not [h for h in headings if "_" in h], headings
    # The JSON-LD block is in the page and breaks no CSP rule.
    assert (
        page.evaluate("document.querySelectorAll('script[type=\"application/ld+json\"]').length")
        == 1
    )
    assert not _csp_errors(page), page.console


@pytest.mark.parametrize("width", WIDTHS)
def test_report_page_keeps_its_parameters(page: Page, live_server: Any, width: int) -> None:
    _open(page, live_server.url + "/reports/author-papers?author=Xuyang+Zhao", width)
    page.screenshot(SCREENSHOTS / f"report-author-papers-{width}.png")
    assert _overflow(page) == []
    headings = _headings(page, "")
    assert "Title" in headings and not [h for h in headings if "_" in h], headings
    assert page.text("label[for='param-has_code']") == "Has code"
    href = page.evaluate(
        "Array.from(document.querySelectorAll('a')).find(function (a) {"
        " return a.innerText.trim() === 'Open in the query page'; }).href"
    )
    query = parse_qs(urlsplit(href).query)["query"][0]
    assert "<http://kg.test/author/xuyang-zhao>" in query
    assert not page.errors


def test_report_subject_column_shows_labels(page: Page, live_server: Any) -> None:
    _open(page, live_server.url + "/reports/venues", 1280)
    cells = page.evaluate(
        "Array.from(document.querySelectorAll('table.results tbody td')).map(function (td) {"
        " return td.innerText; })"
    )
    assert cells and not [c for c in cells if c.startswith("http")], cells[:10]
    assert _headings(page, "")[:2] == ["Venue", "Subject"]

"""Search as a person uses it, in headless Chromium against a real `kg serve`: the header's
search box with its suggestions, the results page, autocomplete on a report's author field,
and "did you mean" for a misspelt name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.browser import Browser, Page, require_chromium
from tests.server.test_reports_browser import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(require_chromium()) as chromium:
        yield chromium


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    yield tab
    tab.close()


def _type(page: Page, selector: str, text: str) -> None:
    """Set a field's text as typing does: the value, then an input event."""
    page.evaluate(
        f"(() => {{ const f = document.querySelector({json.dumps(selector)});"
        f" f.focus(); f.value = {json.dumps(text)};"
        " f.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"
    )


def _suggestions(page: Page, selector: str) -> list[str]:
    expression = (
        f"(() => {{ const f = document.querySelector({json.dumps(selector)});"
        " const list = f && f.list; return list ? Array.from(list.options).map(o => o.value) : []; })()"
    )
    page.wait_for(f"{expression}.length > 0", timeout=15)
    result: list[str] = page.evaluate(expression)
    return result


def test_header_search_box_suggests_and_searches(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/reports")
    _type(page, "#site-search-q", "heterogeneous fed")
    assert "Heterogeneous Federated Learning on a Graph" in _suggestions(page, "#site-search-q")
    _type(page, "#site-search-q", "federatd lerning grpah")
    page.evaluate("document.querySelector('form.site-search').submit(), true")
    page.wait_for("location.pathname === '/search' && document.querySelector('ol.hits') !== null")
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('li.hit > a')).slice(0, 3).map(a => a.textContent)"
    )
    assert "Heterogeneous Federated Learning on a Graph" in titles
    assert page.evaluate("document.querySelectorAll('.facets h2').length") >= 3
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(SCREENSHOTS / "search-results.png")
    assert not page.external_requests


def test_report_author_field_completes_names(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/reports/author-papers")
    _type(page, "input[name=author]", "xuya")
    assert _suggestions(page, "input[name=author]") == ["Xuyang Zhao"]


def test_misspelt_author_gets_did_you_mean(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/reports/author-papers?author=Xuyang+Zaho")
    text = page.text("main").lower()
    assert "did you mean" in text and "xuyang zhao" in text

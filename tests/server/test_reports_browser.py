"""The author page in headless Chromium against a real `kg serve`: chart and graph drawn, offline.

Needs Debian's chromium (bash scripts/setup-browser) and the vendor assets
(bash scripts/setup-assets); skips with the reason otherwise.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kg_server.pages import VENDOR_FILES

from tests.server.browser import Browser, Page, is_loopback_url, require_chromium

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "server" / "kg_server" / "static"
SCREENSHOTS = Path(
    os.environ.get("KG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "kg-screenshots"
)


def chromium_with_assets() -> Iterator[Browser]:
    """A Chromium with the vendor assets in place (skips the test with the reason otherwise)."""
    executable = require_chromium()
    for feature in ("chart", "cytoscape"):
        missing = [rel for rel in VENDOR_FILES[feature] if not (STATIC / rel).is_file()]
        if missing:
            pytest.skip(
                f"vendor assets missing ({', '.join(missing)}): run `bash scripts/setup-assets`"
            )
    with Browser(executable) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium_with_assets()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    yield tab
    tab.close()


def test_author_page_draws_its_timeline_and_coauthor_graph(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/pages/author/weiran-huang")
    chart = "document.querySelector('[data-kg-chart=\"timeline-data\"]').dataset.drawn"
    graph = "document.querySelector('[data-kg-graph=\"coauthor-graph\"]').dataset.drawn"
    assert page.wait_for(f"{chart} && {graph} && [{chart}, {graph}]", timeout=30) == [
        "true",
        "true",
    ], page.console
    assert (
        page.evaluate(
            "document.querySelectorAll('[data-kg-chart=\"timeline-data\"] canvas').length"
        )
        == 1
    )
    nodes = page.evaluate(
        "Number(document.querySelector('[data-kg-graph=\"coauthor-graph\"]').dataset.nodes)"
    )
    edges = page.evaluate(
        "Number(document.querySelector('[data-kg-graph=\"coauthor-graph\"]').dataset.edges)"
    )
    assert nodes > 50 and edges > nodes
    # The fallback table is still in the page (for screen readers), the papers too.
    assert page.evaluate("document.querySelectorAll('#papers table tbody tr').length") == 50
    assert not page.external_requests, page.external_requests
    assert all(is_loopback_url(url) for url in page.requests)
    assert not [line for line in page.console if line.startswith("error")], page.console
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(SCREENSHOTS / "author-page-weiran-huang.png")
    assert shot.stat().st_size > 10_000


def test_report_page_draws_its_chart(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/reports/papers-with-code")
    drawn = "document.querySelector('[data-kg-chart=\"report-chart\"]').dataset.drawn"
    assert page.wait_for(drawn, timeout=30) == "true", page.console
    assert not page.external_requests

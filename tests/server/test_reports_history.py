"""The reports over time on the server (issue 18): the author page draws the metric history."""

from __future__ import annotations

import json
import re


def test_the_author_page_draws_the_metric_history(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/author/xuyang-zhao")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="metric-history"' in page
    island = re.search(
        r'<script type="application/json" id="metric-history-data">(.*?)</script>', page, re.S
    )
    assert island is not None
    spec = json.loads(island.group(1))
    text = json.dumps(spec)
    # One snapshot on the seed store (one crawl): its date and its h-index (39) are drawn.
    assert "2026-11-21" in text and "39" in text
    assert 'href="/reports/author-metric-history?author=' in page


def test_the_reports_over_time_are_listed(client) -> None:  # type: ignore[no-untyped-def]
    names = {r["name"] for r in client.get("/reports.json").get_json()["reports"]}
    assert {
        "author-metric-history",
        "papers-listed-since",
        "crawl-changes",
        "fastest-growing-authors",
    } <= names

"""Browsers get an HTML page for a 404 (issue 14 item 7); API clients keep problem+json."""

from __future__ import annotations

from typing import Any

import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PATHS = [
    pytest.param("/reports/no-such-report", id="unknown-report"),
    pytest.param("/no/such/route", id="unknown-route"),
]


@pytest.fixture(scope="module")
def client(make_app: Any) -> Any:
    return make_app(local=True, warm_reports=False).test_client()


@pytest.mark.parametrize("path", PATHS)
def test_a_browser_gets_an_html_page(client: Any, path: str) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"<h1>" in response.data and b"All reports" in response.data


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("accept", ["application/json", "application/problem+json", "*/*", ""])
def test_api_clients_keep_problem_json(client: Any, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["status"] == 404

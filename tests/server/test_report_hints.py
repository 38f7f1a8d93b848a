"""A misspelt author or paper name gets a hint, not just "0 rows": the fuzzy search's
closest names, in the JSON answer and on the HTML page (the CLI: tests/cli)."""

from __future__ import annotations

import pytest

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI


def test_json_names_the_closest_author(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reports/author-papers.json?author=Weiran+Huagn")
    assert response.status_code == 200
    document = response.get_json()
    assert document["rows"] == []
    (note,) = document["notes"]
    assert note.startswith("no author named 'Weiran Huagn'; did you mean 'Weiran Huang'")


def test_html_names_the_closest_author(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/reports/author-papers?author=Weiran+Huagn", headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "no author named &#39;Weiran Huagn&#39;; did you mean &#39;Weiran Huang&#39;" in page


@pytest.mark.parametrize(
    ("report", "params", "hint"),
    [
        pytest.param("author-papers", {"author": "Weiran Huang"}, None, id="known-name"),
        pytest.param(
            "author-papers", {"author": f"{TEST_BASE_IRI}author/nobody"}, None, id="iri-no-hint"
        ),
        pytest.param(
            "paper-authors", {"paper": "No Such Paper Title Qqq"}, "no paper titled", id="paper"
        ),
        pytest.param(
            "author-papers", {"author": "Zzzqx Qwv"}, "no author named 'Zzzqx Qwv'", id="no-match"
        ),
    ],
)
def test_hint_only_for_a_name_nobody_has(
    seed_store, report: str, params: dict[str, str], hint: str | None
) -> None:  # type: ignore[no-untyped-def]
    scheme = IriScheme(TEST_BASE_IRI)
    runner = ReportRunner(
        load_reports(scheme=scheme), LocalBackend(KGStore.open_readonly(seed_store)), scheme
    )
    result = runner.run_named(report, params)
    if hint is None:
        assert not any("named" in n or "titled" in n for n in result.notes)
    else:
        assert result.notes and result.notes[0].startswith(hint)

"""The headings of a report's HTML table (kg_server.labels): one per shown column, none
twice, and each naming what its column holds."""

from __future__ import annotations

import pytest
from kg_server.labels import column_label
from kg_server.reports import _companions

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports, query_variables
from kg.reports.definitions import Report
from tests.conftest import TEST_BASE_IRI

REPORTS = load_reports(scheme=IriScheme(TEST_BASE_IRI))


def _headings(report: Report) -> dict[str, str]:
    """Column -> heading, for the columns a plain report's page shows: its query's, but its
    parameters and the IRI columns folded into their names."""
    parameters = {p.name for p in report.parameters}
    columns = tuple(c for c in query_variables(report.query, {}) if c not in parameters)
    folded = set(_companions(columns).values())
    return {c: column_label(c) for c in columns if c not in folded}


@pytest.mark.parametrize("name", [n for n in REPORTS if REPORTS[n].engine is None], ids=lambda n: n)
def test_no_two_columns_of_a_report_share_a_heading(name: str) -> None:
    headings = list(_headings(REPORTS[name]).values())
    assert len(headings) == len(set(headings)), headings


@pytest.mark.parametrize(
    "name", ["crawl-changes", "fastest-growing-authors", "author-metric-history"]
)
def test_a_profile_pages_file_name_is_headed_as_such(name: str) -> None:
    """?source is the profile page's file name in the reports over time (it was headed
    "Author", a heading the author's name column has too)."""
    assert _headings(REPORTS[name])["source"] == "Source file"

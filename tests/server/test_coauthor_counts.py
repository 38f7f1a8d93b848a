"""top-authors-by-coauthors answered from the co-author graph (kg.reports.engines.coauthor_counts)
gives exactly the rows of its query (queries/top-authors-by-coauthors.rq, the report's definition):
same columns, values and order, the same row cap, on the seed store and on crafted graphs (ties,
several names, no name, single-author papers, a paper listed twice); it runs the query where the
graph cannot give its rows (a blank node or a literal as an author, a name that is not a plain
string, an edited query)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.definitions import Report, Reports
from kg.reports.engines.coauthor_counts import NAMES_QUERY, QUERY_SHA256, implements
from kg.reports.engines.coauthor_graph import PAIRS_QUERY, CoauthorGraph
from kg.reports.results import ReportResult, drop_parameter_columns
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend, QueryOutcome, QueryRequest
from tests.conftest import TEST_BASE_IRI
from tests.server.recording import RecordingBackend

SCHEME = IriScheme(TEST_BASE_IRI)
NAME = "top-authors-by-coauthors"
AUTHOR = f"{TEST_BASE_IRI}author/"
PAPER = f"{TEST_BASE_IRI}paper/"
SCHEMA = "https://schema.org/"


class TermsOnlyBackend(RecordingBackend):
    """Answers with terms, never a native body: as an external store's backend does."""

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        return super().run(replace(request, result_format=None), timeout=timeout)


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


def by_query(runner: ReportRunner, report: Report, minimum: str) -> ReportResult:
    """The report's rows as its query gives them (the runner's row cap applied)."""
    binding = runner.bind(report, {"min_coauthors": minimum})
    return drop_parameter_columns(report, *runner.select(report, binding.substitutions(report)))


def assert_same(runner: ReportRunner, minimum: str) -> ReportResult:
    report = runner.reports[NAME]
    found = runner.run(report, runner.bind(report, {"min_coauthors": minimum}))
    expected = by_query(runner, report, minimum)
    assert found.columns == expected.columns == ("author", "author_name", "coauthors", "papers")
    assert found.rows == expected.rows, minimum
    assert found.truncated == expected.truncated
    assert (found.notes, dict(found.extra)) == ((), {})
    return found


def test_the_engine_gives_the_rows_of_the_shipped_query(reports: Reports) -> None:
    """The engine was checked against this text: edit the .rq, check the engine, then change
    QUERY_SHA256 (until then the edited query runs as written)."""
    assert implements(reports[NAME]), QUERY_SHA256
    assert not implements(replace(reports[NAME], query=reports[NAME].query + " LIMIT 5"))


# -- the seed store ----------------------------------------------------------------------------


@pytest.mark.parametrize("max_rows", [100_000, 7])
def test_the_seed_store_gives_the_query_rows(
    reports: Reports, seed_store: Path, max_rows: int
) -> None:
    backend = RecordingBackend(KGStore.open_readonly(seed_store))
    runner = ReportRunner(reports, backend, SCHEME, max_rows=max_rows)
    for minimum in ("1", "2", "5", "10", "30", "1000"):
        backend.requests.clear()
        found = assert_same(runner, minimum)
        # From the graph (built once) and one scan of the names (none when no author is listed):
        # the report's query is not run (the comparison above ran it after).
        names = [NAMES_QUERY] if found.rows else []
        assert backend.queries[:-1] in ([PAIRS_QUERY, *names], names), minimum
        if minimum == "1":
            assert found.rows[0][1] == ox.Literal("Weiran Huang")
            assert found.truncated == (max_rows == 7)
    assert backend.queries.count(PAIRS_QUERY) == 0  # cleared after the first build


def test_an_external_store_without_native_bodies(reports: Reports, seed_store: Path) -> None:
    runner = ReportRunner(reports, TermsOnlyBackend(KGStore.open_readonly(seed_store)), SCHEME)
    assert runner.build_coauthor_graph().skipped == 0
    assert_same(runner, "1")
    assert_same(runner, "4")


# -- crafted graphs ----------------------------------------------------------------------------


def _store(papers: dict[str, list[str]], extra: str = "") -> KGStore:
    store = KGStore.in_memory()
    lines = [
        f"<{PAPER}{paper}> <{SCHEMA}author> <{AUTHOR}{author}> ."
        for paper, authors in papers.items()
        for author in authors
    ]
    store.load_rdf(("\n".join(lines) + "\n" + extra).encode(), "ntriples")
    return store


def _name(author: str, name: str) -> str:
    return f"<{AUTHOR}{author}> <{SCHEMA}name> {name} .\n"


#: Ties in count and name (b and c: "Same"), an author with two names (a) and one with none (d),
#: names in code-point order beyond ASCII, a paper listed twice (p1 in two profiles: one IRI),
#: a single-author paper (p8: counts as a paper, not a co-author), an author with no co-author.
TIES = {
    "p1": ["a", "b", "c", "a"],
    "p2": ["b", "c", "d"],
    "p3": ["e", "f"],
    "p4": ["f", "g"],
    "p5": ["a", "e"],
    "p8": ["a"],
    "p9": ["lonely"],
}
NAMES = (
    _name("a", '"Zoe"')
    + _name("a", '"Ana"')
    + _name("b", '"Same"')
    + _name("c", '"Same"')
    + _name("e", '"\u00c9mile"')
    + _name("f", '"\uff5a"')
    + _name("g", '"\U0001f600 x"')
    + _name("lonely", '"Lonely"')
)


@pytest.mark.parametrize("minimum", ["1", "2", "3", "4", "9"])
def test_ties_several_names_and_no_name(reports: Reports, minimum: str) -> None:
    backend = RecordingBackend(_store(TIES, NAMES))
    runner = ReportRunner(reports, backend, SCHEME)
    found = assert_same(runner, minimum)
    assert reports[NAME].query not in backend.queries[:-1]
    if minimum == "1":
        short = [
            (str(r[0].value)[len(AUTHOR) :], r[1] and r[1].value, r[2].value, r[3].value)
            for r in found.rows
        ]
        # Counts first, then names (unbound first, then code points), then the author's IRI;
        # a counts its single-author paper, not as a co-author; lonely has no co-author. One
        # row per author: a under "Zoe" (as long as "Ana", and after it: kg.reports.names).
        assert short == [
            ("b", "Same", "3", "2"),
            ("c", "Same", "3", "2"),
            ("a", "Zoe", "3", "3"),
            ("d", None, "2", "1"),
            ("e", "\u00c9mile", "2", "2"),
            ("f", "\uff5a", "2", "2"),
            ("g", "\U0001f600 x", "1", "1"),
        ]


def test_a_row_cap_cuts_the_sorted_rows(reports: Reports) -> None:
    runner = ReportRunner(reports, LocalBackend(_store(TIES, NAMES)), SCHEME, max_rows=3)
    found = assert_same(runner, "1")
    assert len(found.rows) == 3 and found.truncated


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(f'<{PAPER}p1> <{SCHEMA}author> "a literal" .\n', id="literal-author"),
        pytest.param(f"<{PAPER}p1> <{SCHEMA}author> _:someone .\n", id="blank-author"),
        pytest.param(f"_:paper <{SCHEMA}author> <{AUTHOR}a> .\n", id="blank-paper"),
        pytest.param(_name("b", '"Same"@en'), id="language-name"),
        pytest.param(_name("b", "<http://example.org/name>"), id="iri-name"),
        pytest.param(_name("b", '"5"^^<http://www.w3.org/2001/XMLSchema#integer>'), id="number"),
    ],
)
def test_what_the_graph_cannot_give_is_asked_of_the_query(reports: Reports, extra: str) -> None:
    backend = RecordingBackend(_store(TIES, NAMES + extra))
    runner = ReportRunner(reports, backend, SCHEME)
    graph = runner.build_coauthor_graph()
    assert graph.skipped == (1 if "author>" in extra else 0)
    report = reports[NAME]
    found = runner.run(report, runner.bind(report, {"min_coauthors": "1"}))
    assert report.query in backend.queries
    assert found.rows == by_query(runner, report, "1").rows


def test_an_edited_query_runs_as_written(reports: Reports) -> None:
    edited = replace(
        reports[NAME],
        query=reports[NAME].query.replace("ORDER BY DESC(?coauthors)", "ORDER BY ?coauthors"),
    )
    backend = RecordingBackend(_store(TIES, NAMES))
    runner = ReportRunner(reports, backend, SCHEME)
    found = runner.run(edited, runner.bind(edited, {}))
    assert edited.query in backend.queries
    assert [r[2].value for r in found.rows] == sorted(r[2].value for r in found.rows)


def test_a_graph_archive_keeps_the_paper_counts_and_skipped_pairs() -> None:
    graph = CoauthorGraph.from_pairs(
        [("p1", "a"), ("p1", "b"), ("p2", "b"), ("p1", "a"), ("p3", "c")], skipped=2
    )
    assert graph.paper_counts is not None and graph.paper_counts.tolist() == [1, 2, 1]
    again = CoauthorGraph.from_npz(graph.to_npz(), version="v")
    assert again.paper_counts is not None and again.paper_counts.tolist() == [1, 2, 1]
    assert again.skipped == 2

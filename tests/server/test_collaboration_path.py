"""The collaboration-path report searched in the in-memory co-author graph (kg.reports.engines.coauthor_graph)
gives exactly the rows and notes of the search that queries the store, on the seed store and on
small crafted graphs (ties, several shared papers, the length and expansion limits); the runner
keeps one graph per store version."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.definitions import Reports
from kg.reports.engines.coauthor_graph import PAIRS_QUERY, CoauthorGraph
from kg.reports.engines.collaboration_path import (
    PATH_MAX_EXPANSIONS,
    PATH_MAX_LENGTH,
    _collaboration_path,
    _collaboration_path_sparql,
    _neighbours,
)
from kg.reports.results import ReportResult
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI
from tests.server.recording import RecordingBackend

SCHEME = IriScheme(TEST_BASE_IRI)
AUTHOR = f"{TEST_BASE_IRI}author/"
PAPER = f"{TEST_BASE_IRI}paper/"
SCHEMA_AUTHOR = "<https://schema.org/author>"


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


@pytest.fixture(scope="module")
def seed_runner(reports: Reports, seed_store: Path) -> ReportRunner:
    """One runner for the module: the label reports and the neighbour queries stay cached."""
    runner = ReportRunner(reports, LocalBackend(KGStore.open_readonly(seed_store)), SCHEME)
    runner.build_coauthor_graph()
    return runner


def both(runner: ReportRunner, start: str, goal: str) -> tuple[ReportResult, ReportResult]:
    """(searched in the graph, searched by queries) for one pair of authors."""
    report = runner.reports["collaboration-path"]
    binding = runner.bind(report, {"from": start, "to": goal})
    assert runner.coauthor_graph() is not None
    return _collaboration_path(runner, report, binding), _collaboration_path_sparql(
        runner, report, binding
    )


def assert_same(runner: ReportRunner, start: str, goal: str) -> ReportResult:
    in_memory, queried = both(runner, start, goal)
    assert in_memory.columns == queried.columns
    assert in_memory.rows == queried.rows, (start, goal)
    assert in_memory.notes == queried.notes, (start, goal)
    return in_memory


# -- the seed store ------------------------------------------------------------------------------


def test_the_graph_holds_the_coauthors_and_shared_papers_the_query_gives(
    seed_runner: ReportRunner,
) -> None:
    graph = seed_runner.coauthor_graph()
    assert graph is not None and graph.edge_count > 100
    report = seed_runner.reports["collaboration-path"]
    for author in graph.authors:
        assert graph.coauthors(author) == _neighbours(seed_runner, report, author), author


def _sample(runner: ReportRunner) -> list[str]:
    graph = runner.coauthor_graph()
    assert graph is not None
    # Every 9th author in IRI order, the seed profiles' owners, one IRI the store lacks.
    named = [
        SCHEME.author(name)
        for name in (
            "Zhiquan Tan",
            "Qibin Zhao",
            "Weiran Huang",
            "Xingtai Lv",
            "Toshihisa Tanaka",
            "Haowei He",
        )
    ]
    return sorted({*graph.authors[::9], *named, f"{AUTHOR}no-such-person"})


def test_every_pair_of_a_sample_gives_the_same_rows_and_notes(seed_runner: ReportRunner) -> None:
    sample = _sample(seed_runner)
    kinds: dict[str, int] = {}
    lengths: set[int] = set()
    for start, goal in product(sample, repeat=2):
        result = assert_same(seed_runner, start, goal)
        note = result.notes[0]
        kind = (
            "same"
            if start == goal
            else "found"
            if result.rows
            else "separate"
            if "separate" in note
            else "limit"
        )
        kinds[kind] = kinds.get(kind, 0) + 1
        lengths.add(len(result.rows))
    # The sample must exercise the cases, or the comparison proves little.
    assert kinds["same"] == len(sample)
    assert kinds["found"] > 100 and kinds["separate"] > 10
    assert {2, 3, 4} <= lengths


def test_the_report_uses_the_graph_once_built(reports: Reports, seed_store: Path) -> None:
    backend = RecordingBackend(KGStore.open_readonly(seed_store))
    runner = ReportRunner(reports, backend, SCHEME)
    path_query = reports["collaboration-path"].query
    first = runner.run_named("collaboration-path", {"from": "Zhiquan Tan", "to": "Qibin Zhao"})
    assert backend.queries.count(path_query) >= 3, (
        "without the graph, one query per expanded author"
    )
    runner.build_coauthor_graph()
    backend.requests.clear()
    again = runner.run_named("collaboration-path", {"from": "Haowei He", "to": "Qibin Zhao"})
    assert again.rows and path_query not in backend.queries
    assert [r["author_name"] for r in first.records()] == [
        "Zhiquan Tan",
        "Weiran Huang",
        "Xuyang Zhao",
        "Qibin Zhao",
    ]


# -- crafted graphs --------------------------------------------------------------------------------


def _store(papers: dict[str, list[str]]) -> KGStore:
    store = KGStore.in_memory()
    lines = [
        f"<{PAPER}{paper}> {SCHEMA_AUTHOR} <{AUTHOR}{author}> ."
        for paper, authors in papers.items()
        for author in authors
    ]
    store.load_rdf("\n".join(lines).encode(), "ntriples")
    return store


def _runner(reports: Reports, papers: dict[str, list[str]]) -> ReportRunner:
    runner = ReportRunner(reports, LocalBackend(_store(papers)), SCHEME)
    runner.build_coauthor_graph()
    return runner


#: Ties everywhere: two shortest paths a-b-d-f and a-c-e-f, b and c both reach d, two papers for
#: a-b (the smaller IRI wins), a triangle, an isolated author, a single-author paper.
TIES = {
    "p9": ["a", "b"],
    "p1": ["b", "a"],
    "p2": ["a", "c"],
    "p3": ["b", "d"],
    "p4": ["c", "d", "e"],
    "p5": ["d", "f"],
    "p6": ["e", "f"],
    "p7": ["f", "g", "h"],
    "p8": ["lonely"],
    "q1": ["x", "y"],
    "q2": ["y", "z", "x"],
}


def test_tied_paths_and_shared_papers(reports: Reports) -> None:
    runner = _runner(reports, TIES)
    names = [*sorted({a for authors in TIES.values() for a in authors}), "nobody"]
    for start, goal in product(names, repeat=2):
        assert_same(runner, AUTHOR + start, AUTHOR + goal)
    result = assert_same(runner, AUTHOR + "a", AUTHOR + "f")
    assert [str(r[1].value)[len(AUTHOR) :] for r in result.rows] == ["a", "b", "d", "f"]
    assert result.rows[1][3].value == PAPER + "p1"


def test_a_path_longer_than_the_limit_is_not_found(reports: Reports) -> None:
    chain = {f"c{i:02}": [f"n{i:02}", f"n{i + 1:02}"] for i in range(PATH_MAX_LENGTH + 2)}
    runner = _runner(reports, chain)
    longest = assert_same(runner, AUTHOR + "n00", AUTHOR + f"n{PATH_MAX_LENGTH:02}")
    assert len(longest.rows) == PATH_MAX_LENGTH + 1
    too_long = assert_same(runner, AUTHOR + "n00", AUTHOR + f"n{PATH_MAX_LENGTH + 1:02}")
    assert too_long.rows == [] and "search limit" in too_long.notes[0]


def _wide(bridge: bool) -> dict[str, list[str]]:
    """Two stars of 1.25 x PATH_MAX_EXPANSIONS authors each, around s and t; with ``bridge``, one
    paper joins a spoke of each, early in the order the search expands them."""
    spokes = PATH_MAX_EXPANSIONS * 5 // 4
    papers = {f"s{i:04}": ["s", f"a{i:04}"] for i in range(spokes)}
    papers |= {f"t{i:04}": ["t", f"b{i:04}"] for i in range(spokes)}
    if bridge:
        papers["bridge"] = ["a0005", "b0007"]
    return papers


@pytest.mark.parametrize(
    "bridge", [pytest.param(False, id="no-path"), pytest.param(True, id="met-on-the-last-level")]
)
def test_the_expansion_limit(reports: Reports, bridge: bool) -> None:
    runner = _runner(reports, _wide(bridge))
    result = assert_same(runner, AUTHOR + "s", AUTHOR + "t")
    if bridge:
        # Met while expanding the third level, which the limit cut short: the count says so.
        assert len(result.rows) == 4
        assert result.notes == (
            f"3 co-authorship steps ({PATH_MAX_EXPANSIONS + 1} authors searched)",
        )
    else:
        assert result.rows == [] and "search limit" in result.notes[0]


# -- one graph per store version ---------------------------------------------------------------------


def test_the_graph_is_rebuilt_for_a_new_store_version(reports: Reports) -> None:
    store = _store({"p1": ["a", "b"], "p2": ["c", "d"]})
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME, warm=True)
    runner.version()  # starts warming, which builds the graph
    assert runner._warming is not None
    runner._warming.join(timeout=60)
    old = runner.coauthor_graph()
    assert old is not None and old.author_id(AUTHOR + "a") is not None
    assert assert_same(runner, AUTHOR + "a", AUTHOR + "d").rows == []

    backend.update(f"INSERT DATA {{ <{PAPER}p3> {SCHEMA_AUTHOR} <{AUTHOR}b>, <{AUTHOR}c> }}")
    runner.version()  # the new version drops the old graph and warms again
    assert runner._warming is not None
    runner._warming.join(timeout=60)
    new = runner.coauthor_graph()
    assert new is not None and new is not old and new.version != old.version
    assert backend.queries.count(PAIRS_QUERY) == 2
    found = assert_same(runner, AUTHOR + "a", AUTHOR + "d")
    assert [str(r[1].value)[len(AUTHOR) :] for r in found.rows] == ["a", "b", "c", "d"]


def test_a_graph_read_from_another_version_is_not_used(reports: Reports) -> None:
    runner = _runner(reports, {"p1": ["a", "b"]})
    built = runner.coauthor_graph()
    assert built is not None and built.version == runner.version()
    # As when the store moved on while the graph was being read.
    runner.memo["coauthor-graph"] = CoauthorGraph.from_pairs(
        [("x", "y")], version="another version"
    )
    assert runner.coauthor_graph() is None
    assert runner.run_named("collaboration-path", {"from": AUTHOR + "a", "to": AUTHOR + "b"}).rows


def test_an_endpoint_without_papers_or_co_authors(reports: Reports) -> None:
    runner = _runner(reports, {"p1": ["a", "b"], "p2": ["solo"]})
    for start, goal in product(["a", "solo", "nobody", "other-nobody"], repeat=2):
        assert_same(runner, AUTHOR + start, AUTHOR + goal)

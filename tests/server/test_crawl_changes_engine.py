"""crawl-changes answered from each page's snapshots (kg.reports.engines.crawl_changes) gives
the rows of its query (queries/crawl-changes.rq, the report's definition) for every pair of
dates: same columns and values, the same order of its ORDER BY keys, the same row cap; on
stores of several crawls (the seed profiles copied on four dates with a page changed, one
removed and copied again, one changed in its metrics only; a generated corpus copied three
times, a fifth of its pages changed each time, one page removed), and on crafted cases that
the engine leaves to the query (an edited query, a snapshot with two values of a metric, a
blank node as snapshot)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.reports.catalog import load_reports
from kg.reports.definitions import Reports
from kg.reports.engines import crawl_changes as crawl_changes_module
from kg.reports.engines.crawl_changes import (
    ADDED_QUERY,
    METRICS_QUERY,
    QUERY_SHA256,
    SNAPSHOTS_QUERY,
    implements,
)
from kg.reports.results import ReportResult
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI
from tests.server.crawled_stores import (
    DEC,
    METRICS_ONLY,
    NOV,
    OCT,
    REMOVED,
    SCHEME,
    SEP,
    answers_at_once,
    assert_engine_gives_query_rows,
    by_query,
    dates_to_ask,
    seed_crawls,
)
from tests.server.recording import RecordingBackend
from tests.store.test_history import CHANGED, SEEDS

NAME = "crawl-changes"
KG = "https://w3id.org/scholarly-kg/ontology#"


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


def _asked(query: str, template: str) -> bool:
    """Whether ``query`` is ``template`` with a VALUES block put in."""
    head, tail = template.split("{values}")
    return query.startswith(head) and query.endswith(tail)


def _assert_same(runner: ReportRunner, params: dict[str, str]) -> ReportResult:
    return assert_engine_gives_query_rows(runner, NAME, params, ("source", "change", "what_label"))


def test_the_engine_gives_the_rows_of_the_shipped_query(reports: Reports) -> None:
    """The engine was checked against this text: edit the .rq, check the engine, then change
    QUERY_SHA256 (until then the edited query runs as written)."""
    assert reports[NAME].engine == "crawl-changes"
    assert implements(reports[NAME]), QUERY_SHA256
    assert not implements(replace(reports[NAME], query=reports[NAME].query + " LIMIT 5"))


def test_every_pair_of_dates_gives_the_query_rows(
    reports: Reports, crawled: tuple[KGStore, tuple[date, ...]]
) -> None:
    store, days = crawled
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME)
    kinds: set[str] = set()
    for first, second in itertools.combinations(dates_to_ask(days), 2):
        found = _assert_same(runner, {"from": first, "to": second})
        kinds.update(str(row[found.columns.index("change")].value) for row in found.rows)
        # From the snapshots, read once for the store version: the report's query ran only
        # for the comparison above.
        assert backend.queries.count(runner.reports[NAME].query) == 1
        backend.requests.clear()
    assert backend.queries.count(SNAPSHOTS_QUERY) == 0  # read before the first clear
    # Every kind of change was compared: the fixtures are made for it (a generated page
    # only ever gains papers).
    expected = {"profile added", "profile removed", "paper added", "metric changed"}
    assert kinds == expected | ({"paper removed"} if days[0] == SEP else set())


def test_the_seed_crawls_show_what_was_done(
    reports: Reports, seeds_dir: Path, tmp_path: Path
) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    runner = ReportRunner(reports, RecordingBackend(KGStore.open_readonly(folder)), SCHEME)
    report = runner.reports[NAME]

    def changes(first: date, second: date) -> set[tuple[str, str]]:
        result = runner.run(report, runner.bind(report, {"from": str(first), "to": str(second)}))
        at = [result.columns.index(c) for c in ("source", "change")]
        return {(row[at[0]].value, row[at[1]].value) for row in result.rows}

    assert changes(SEP, OCT) >= {
        (SEEDS[4], "profile added"),
        (REMOVED, "profile removed"),
        (CHANGED, "paper added"),
        (CHANGED, "metric changed"),
    }
    assert (REMOVED, "profile added") in changes(OCT, NOV)
    assert changes(SEP, NOV) >= {(METRICS_ONLY, "metric changed")}
    # The removed page is back as it was: nothing changed on it between SEP and DEC, and the
    # changed page shows its first copy again.
    assert not {row for row in changes(SEP, DEC) if row[0] in (REMOVED, CHANGED)}
    assert (CHANGED, "paper removed") in changes(NOV, DEC)


def test_the_row_cap_cuts_the_query_rows(reports: Reports, seeds_dir: Path, tmp_path: Path) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    runner = ReportRunner(
        reports, RecordingBackend(KGStore.open_readonly(folder)), SCHEME, max_rows=3
    )
    found = _assert_same(runner, {"from": str(SEP), "to": str(OCT)})
    assert found.truncated and len(found.rows) == 3


def test_what_the_engine_leaves_to_the_query(
    reports: Reports, seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    store = KGStore.open_writable(folder)
    params = {"from": str(SEP), "to": str(DEC)}
    try:
        backend = RecordingBackend(store)
        runner = ReportRunner(reports, backend, SCHEME)
        report = runner.reports[NAME]
        # An edited query runs as written.
        edited = replace(
            report, query=report.query.replace("ORDER BY ?source", "ORDER BY DESC(?source)")
        )
        runner.run(edited, runner.bind(edited, params))
        assert SNAPSHOTS_QUERY not in backend.queries
        # A snapshot with two values of one metric: the pages showing one snapshot on both
        # dates are asked too, and the query's rows come out (a change of its own).
        profile = f"{TEST_BASE_IRI}profile/{SEEDS[4]}"
        graph = f"{TEST_BASE_IRI}graph/{SEEDS[4]}"
        store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{profile}> <{KG}hIndex> 9999 }} }}")
        backend.requests.clear()
        found = _assert_same(runner, {"from": str(NOV), "to": str(DEC)})
        assert any(row[found.columns.index("source")].value == SEEDS[4] for row in found.rows), (
            "two h-index values on one snapshot: the query reports them as a change"
        )
        assert any(
            _asked(query, METRICS_QUERY) and f"<{profile}>" in query for query in backend.queries
        )
        # A blank node as a snapshot cannot be named in VALUES: the query runs.
        store.update(
            f"INSERT DATA {{ GRAPH <{graph}> {{ _:s <http://www.w3.org/ns/prov#specializationOf> "
            f'<{profile}> ; <http://purl.org/dc/terms/date> "2026-10-15"^^<http://www.w3.org/2001/XMLSchema#date> ; '
            f'<http://www.w3.org/ns/prov#invalidatedAtTime> "2026-10-20"^^<http://www.w3.org/2001/XMLSchema#date> }} }}'
        )
        backend.requests.clear()
        _assert_same(runner, {"from": "2026-10-16", "to": str(DEC)})
        assert report.query in backend.queries
        assert not any(_asked(query, ADDED_QUERY) for query in backend.queries)
    finally:
        store.close()


def test_the_warm_up_reads_the_snapshots_ahead(
    reports: Reports, seeds_dir: Path, tmp_path: Path
) -> None:
    """A server's warm-up reads them once the reports are warm: a request for other dates
    then asks only what changed."""
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    backend = RecordingBackend(KGStore.open_readonly(folder))
    runner = ReportRunner(reports, backend, SCHEME)
    runner.warm()
    assert runner.is_warm() and SNAPSHOTS_QUERY in backend.queries
    backend.requests.clear()
    _assert_same(runner, {"from": str(SEP), "to": str(NOV)})
    assert SNAPSHOTS_QUERY not in backend.queries


# -- crafted stores ----------------------------------------------------------------------------

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX ex: <http://kg.test/>
"""
#: One page copied on 2026-09-01, unchanged since: its snapshot shows on both dates asked.
ONE_PAGE = """ex:p1 a kg:ProfileSnapshot ; foaf:primaryTopic ex:alice .
GRAPH ex:g1 {
  ex:p1 a kg:ProfileSnapshot ; dcterms:date "2026-09-01"^^xsd:date ; prov:wasDerivedFrom ex:d1 ;
    foaf:primaryTopic ex:alice ; kg:hIndex 3 ; kg:listsPaper ex:paper .
  ex:d1 dcterms:identifier "p1.txt" . ex:paper dcterms:title "A paper" .
  ex:alice schema:name "Alice" . }"""


def _crafted(reports: Reports, data: str) -> tuple[ReportRunner, RecordingBackend]:
    store = KGStore.in_memory()
    store.update(f"{PREFIXES}INSERT DATA {{ {data} }}")
    backend = RecordingBackend(store)
    return ReportRunner(reports, backend, SCHEME), backend


def test_a_value_unequal_to_itself_is_a_change_as_the_query_says(reports: Reports) -> None:
    """NaN != NaN: the query reports an unchanged page's NaN metric as changed, and so does
    the engine (every page is asked then)."""
    nan = '"NaN"^^xsd:double'
    runner, backend = _crafted(reports, ONE_PAGE.replace("kg:hIndex 3", f"kg:aiScore {nan}"))
    found = _assert_same(runner, {"from": "2026-09-15", "to": "2026-10-15"})
    assert [row[found.columns.index("change")].value for row in found.rows] == ["metric changed"]
    assert SNAPSHOTS_QUERY in backend.queries


def test_an_owner_s_names_are_those_of_the_owner_term(reports: Reports) -> None:
    """A literal owner spelled as the IRI of the named owner has no name (the query joins
    terms, not their text)."""
    data = ONE_PAGE.replace(
        "foaf:primaryTopic ex:alice ;", 'foaf:primaryTopic ex:alice, "http://kg.test/alice" ;'
    )
    runner, _backend = _crafted(reports, data)
    _assert_same(runner, {"from": "2026-08-15", "to": "2026-10-15"})


def test_a_store_the_engine_leaves_to_the_query_is_read_once(reports: Reports) -> None:
    """A date with a time zone: the query runs for every pair of dates, and the snapshots
    are not read again for each."""
    runner, backend = _crafted(reports, ONE_PAGE.replace('"2026-09-01"', '"2026-09-01Z"'))
    for second in ("2026-10-15", "2026-11-15", "2026-12-15"):
        _assert_same(runner, {"from": "2026-08-15", "to": second})
    assert backend.queries.count(SNAPSHOTS_QUERY) == 1
    assert backend.queries.count(runner.reports[NAME].query) == 2 * 3


@pytest.mark.parametrize(
    "name",
    ['"Alice"@en', "<http://kg.test/alice-name>", '"Alice"^^ex:name', "_:n"],
    ids=["language-tagged", "an IRI", "typed", "a blank node"],
)
def test_a_name_of_another_kind_as_the_query_reads_it(reports: Reports, name: str) -> None:
    """The name aggregate reads a name's STR(): a language tag or datatype left out, an IRI's
    text, none for a blank node (an error, so the row has no name); the engine answers."""
    runner, backend = _crafted(reports, ONE_PAGE.replace('"Alice"', f'{name}, "Al"'))
    found = _assert_same(runner, {"from": "2026-08-15", "to": "2026-10-15"})
    assert backend.queries.count(runner.reports[NAME].query) == 1  # the comparison's
    names = {row[found.columns.index("owner_name")] for row in found.rows}
    assert names == ({None} if name == "_:n" else {ox.Literal(name.strip('<>"').split('"')[0])})


def test_requests_at_once_read_the_snapshots_once(
    reports: Reports, seeds_dir: Path, tmp_path: Path
) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    backend = RecordingBackend(KGStore.open_readonly(folder))
    runner = ReportRunner(reports, backend, SCHEME)
    report = runner.reports[NAME]
    pairs = [(str(SEP), str(DEC)), (str(OCT), str(DEC)), (str(SEP), str(NOV)), (str(OCT), str(NOV))]
    results = answers_at_once(runner, NAME, pairs)
    assert backend.queries.count(SNAPSHOTS_QUERY) == 1
    for (first, second), found in zip(pairs, results, strict=True):
        expected = by_query(runner, report, {"from": first, "to": second})
        assert sorted(map(repr, found.rows)) == sorted(map(repr, expected.rows))


def test_many_values_blocks_give_the_query_rows(
    reports: Reports, crawled: tuple[KGStore, tuple[date, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changed pages asked one at a time (VALUES_CHUNK 1): the same rows."""
    monkeypatch.setattr(crawl_changes_module, "VALUES_CHUNK", 1)
    store, days = crawled
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME)
    _assert_same(runner, {"from": str(days[0]), "to": str(days[-1])})
    assert sum(1 for query in backend.queries if _asked(query, ADDED_QUERY)) >= 3

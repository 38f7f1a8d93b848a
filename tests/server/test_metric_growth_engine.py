"""fastest-growing-authors answered from each page's snapshots (kg.reports.engines.metric_growth)
gives the rows of its query (queries/fastest-growing-authors.rq, the report's definition) for
every pair of dates and every metric: same columns and values, the same order of its ORDER BY
keys, the same row cap; on stores of several crawls (tests/server/crawled_stores.py) and on
crafted cases: a snapshot with two values of its metric, an owner known only in an archived
snapshot, a current owner without a name, and those the engine leaves to the query (an edited
query, a value that is not an integer, a blank node as snapshot)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kg.reports.catalog import load_reports
from kg.reports.definitions import Reports
from kg.reports.engines.metric_growth import (
    CURRENT_OWNERS_QUERY,
    METRICS,
    QUERY_SHA256,
    VALUES_QUERY,
    implements,
)
from kg.reports.results import ReportResult
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import QueryOutcome, QueryRequest
from tests.server.crawled_stores import (
    DEC,
    METRICS_ONLY,
    NOV,
    OCT,
    SCHEME,
    SEP,
    answers_at_once,
    assert_engine_gives_query_rows,
    by_query,
    dates_to_ask,
    seed_crawls,
)
from tests.server.recording import RecordingBackend

NAME = "fastest-growing-authors"


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


def _assert_same(runner: ReportRunner, params: dict[str, str]) -> ReportResult:
    return assert_engine_gives_query_rows(runner, NAME, params, ("growth", "author_name"))


def _values_asked(backend: RecordingBackend) -> list[str]:
    head = VALUES_QUERY.split("{predicate}")[0]
    return [query for query in backend.queries if query.startswith(head)]


def test_the_engine_gives_the_rows_of_the_shipped_query(reports: Reports) -> None:
    """The engine was checked against this text: edit the .rq, check the engine, then change
    QUERY_SHA256 (until then the edited query runs as written)."""
    assert reports[NAME].engine == "metric-growth"
    assert implements(reports[NAME]), QUERY_SHA256
    assert not implements(replace(reports[NAME], query=reports[NAME].query + " LIMIT 5"))
    metric = reports[NAME].parameter("metric")
    assert metric is not None and set(metric.choices or ()) == set(METRICS)


def test_every_pair_of_dates_and_metric_gives_the_query_rows(
    reports: Reports, crawled: tuple[KGStore, tuple[date, ...]]
) -> None:
    store, days = crawled
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME)
    query = runner.reports[NAME].query
    grew = 0
    for metric in METRICS:
        for first, second in itertools.combinations(dates_to_ask(days), 2):
            for params in ({"from": first, "to": second}, {"from": second, "to": first}):
                found = _assert_same(runner, {**params, "metric": metric})
                at = found.columns.index("growth")
                grew += sum(1 for row in found.rows if int(row[at].value) != 0)
                # From the snapshots, read once for the store version: the report's query
                # ran only for the comparison above.
                assert backend.queries.count(query) == 1
                backend.requests.clear()
    assert grew, "the fixtures change metrics between crawls"
    runner = ReportRunner(reports, backend := RecordingBackend(store), SCHEME)
    for metric in METRICS:
        runner.run(runner.reports[NAME], runner.bind(runner.reports[NAME], {"metric": metric}))
    # One read of each metric's snapshots, and of the current owners, for the store version.
    assert len(_values_asked(backend)) == len(METRICS)
    assert backend.queries.count(CURRENT_OWNERS_QUERY) == 1


def test_the_seed_crawls_show_what_grew(reports: Reports, seeds_dir: Path, tmp_path: Path) -> None:
    """METRICS_ONLY's citations were written as ten times their value from NOV on (a "0"
    after them): it grew by nine times its citations between OCT and NOV, not between NOV
    and DEC."""
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    runner = ReportRunner(reports, RecordingBackend(KGStore.open_readonly(folder)), SCHEME)
    report = runner.reports[NAME]

    def growth(first: date, second: date) -> dict[str, tuple[int, int, int]]:
        result = runner.run(report, runner.bind(report, {"from": str(first), "to": str(second)}))
        at = [result.columns.index(c) for c in ("source", "value_from", "value_to", "growth")]
        return {
            row[at[0]].value: tuple(int(row[i].value) for i in at[1:])  # type: ignore[misc]
            for row in result.rows
        }

    before, after, grew = growth(OCT, NOV)[METRICS_ONLY]
    assert after == 10 * before and grew == 9 * before > 0
    assert growth(NOV, DEC)[METRICS_ONLY][2] == 0
    assert growth(SEP, DEC)[METRICS_ONLY][2] == grew
    first = next(iter(growth(OCT, NOV).items()))
    assert first[0] == METRICS_ONLY, "largest growth first"


def test_the_row_cap_cuts_the_query_rows(reports: Reports, seeds_dir: Path, tmp_path: Path) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    runner = ReportRunner(
        reports, RecordingBackend(KGStore.open_readonly(folder)), SCHEME, max_rows=2
    )
    found = _assert_same(runner, {"from": str(SEP), "to": str(NOV)})
    assert found.truncated and len(found.rows) == 2


def test_the_warm_up_reads_the_default_metric_ahead(
    reports: Reports, seeds_dir: Path, tmp_path: Path
) -> None:
    """A request for other dates then asks the store nothing."""
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    backend = RecordingBackend(KGStore.open_readonly(folder))
    runner = ReportRunner(reports, backend, SCHEME)
    runner.warm()
    assert runner.is_warm() and _values_asked(backend)
    backend.requests.clear()
    report = runner.reports[NAME]
    runner.run(report, runner.bind(report, {"from": str(SEP), "to": str(NOV)}))
    assert backend.queries == []
    _assert_same(runner, {"from": str(SEP), "to": str(NOV)})


def test_requests_at_once_read_the_snapshots_once(
    reports: Reports, seeds_dir: Path, tmp_path: Path
) -> None:
    folder, _days = seed_crawls(tmp_path, seeds_dir)
    backend = RecordingBackend(KGStore.open_readonly(folder))
    runner = ReportRunner(reports, backend, SCHEME)
    report = runner.reports[NAME]
    pairs = [(str(SEP), str(DEC)), (str(OCT), str(DEC)), (str(SEP), str(NOV)), (str(OCT), str(NOV))]
    results = answers_at_once(runner, NAME, pairs)
    assert len(_values_asked(backend)) == 1
    assert backend.queries.count(CURRENT_OWNERS_QUERY) == 1
    for (first, second), found in zip(pairs, results, strict=True):
        expected = by_query(runner, report, {"from": first, "to": second})
        assert sorted(map(repr, found.rows)) == sorted(map(repr, expected.rows))


# -- crafted stores ----------------------------------------------------------------------------

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX ex: <http://kg.test/>
"""
#: Two pages. p1 copied on 2026-09-01 (12 citations), replaced on 2026-10-01 (20): its
#: first snapshot archived in a history graph. p2 copied on 2026-09-01 (5), unchanged.
TWO_PAGES = """ex:p1 a kg:ProfileSnapshot ; foaf:primaryTopic ex:alice .
ex:p2 a kg:ProfileSnapshot ; foaf:primaryTopic ex:bob .
GRAPH ex:g1 {
  ex:p1 a kg:ProfileSnapshot ; dcterms:date "2026-10-01"^^xsd:date ; prov:wasDerivedFrom ex:d1 ;
    foaf:primaryTopic ex:alice ; kg:citationCount 20 .
  ex:d1 dcterms:identifier "p1.txt" . ex:alice schema:name "Alice" . }
GRAPH ex:h1 {
  ex:s1 a kg:ProfileSnapshot, kg:ArchivedSnapshot ; prov:specializationOf ex:p1 ;
    dcterms:date "2026-09-01"^^xsd:date ; prov:invalidatedAtTime "2026-10-01T00:00:00Z"^^xsd:dateTime ;
    prov:wasDerivedFrom ex:d1 ; foaf:primaryTopic ex:alice ; kg:citationCount 12 .
  ex:d1 dcterms:identifier "p1.txt" . ex:alice schema:name "Alice B." . }
GRAPH ex:g2 {
  ex:p2 a kg:ProfileSnapshot ; dcterms:date "2026-09-01"^^xsd:date ; prov:wasDerivedFrom ex:d2 ;
    foaf:primaryTopic ex:bob ; kg:citationCount 5 .
  ex:d2 dcterms:identifier "p2.txt" . ex:bob schema:name "Bob" . }
ex:alice schema:name "Alice", "Alice Brown" .
ex:bob schema:name "Bob" ."""
#: p2 stated again in another graph with the same value: two snapshots current on each
#: date, whose rows fall into one group (with p2's current owner left out, the names are
#: each graph's).
SECOND_GRAPH = """GRAPH ex:g3 {
  ex:p2 a kg:ProfileSnapshot ; dcterms:date "2026-09-01"^^xsd:date ; prov:wasDerivedFrom ex:d2 ;
    foaf:primaryTopic ex:bob ; kg:citationCount 5 .
  ex:d2 dcterms:identifier "p2.txt" . ex:bob schema:name "Bobby" . }
"""
DATES = [("2026-09-15", "2026-10-15"), ("2026-10-15", "2026-09-15"), ("2026-09-01", "2026-09-30")]


def _crafted(reports: Reports, data: str) -> tuple[ReportRunner, RecordingBackend]:
    store = KGStore.in_memory()
    store.update(f"{PREFIXES}INSERT DATA {{ {data} }}")
    backend = RecordingBackend(store)
    return ReportRunner(reports, backend, SCHEME), backend


def _assert_crafted(
    reports: Reports, data: str, *, by_engine: bool, dates: list[tuple[str, str]] = DATES
) -> list[ReportResult]:
    runner, backend = _crafted(reports, data)
    found = [_assert_same(runner, {"from": a, "to": b}) for a, b in dates]
    query = runner.reports[NAME].query
    # The comparison ran the query once per pair; the engine's answer ran it again or not.
    assert backend.queries.count(query) == len(dates) * (1 if by_engine else 2)
    return found


def test_the_crafted_pages_as_the_query_gives_them(reports: Reports) -> None:
    found = _assert_crafted(reports, TWO_PAGES, by_engine=True)[0]
    rows = [tuple(None if t is None else t.value for t in row) for row in found.rows]
    assert rows == [
        ("http://kg.test/alice", "Alice Brown", "p1.txt", "12", "20", "8"),
        ("http://kg.test/bob", "Bob", "p2.txt", "5", "5", "0"),
    ]


@pytest.mark.parametrize(
    ("case", "edit"),
    [
        ("two values of the metric", ("kg:citationCount 5 .", "kg:citationCount 5, 7 .")),
        ("an owner known only in the snapshot", ("ex:p2 a kg:ProfileSnapshot ; foaf:primaryTopic ex:bob .\n", "")),
        ("an owner resolved otherwise since", ("ex:p1 a kg:ProfileSnapshot ; foaf:primaryTopic ex:alice .", 'ex:p1 a kg:ProfileSnapshot ; foaf:primaryTopic ex:carol . ex:carol schema:name "Carol" .')),
        ("a current owner without a name", ('ex:bob schema:name "Bob" .', "")),
        ("an owner with a name in another language", ('ex:bob schema:name "Bob" .', 'ex:bob schema:name "Bob"@en .')),
        ("two sources", ('ex:d2 dcterms:identifier "p2.txt" .', 'ex:d2 dcterms:identifier "p2.txt", "p2-copy.txt" .')),
        ("a snapshot never current", ('"2026-10-01T00:00:00Z"^^xsd:dateTime', '"soon"')),
        ("a first copy before its date", ('kg:citationCount 5 .', 'kg:citationCount 5 . ex:p2 prov:generatedAtTime "2026-08-01T00:00:00Z"^^xsd:dateTime .')),
        # Oxigraph stores an integer in its canonical form: "5" comes back.
        ("a non-canonical integer", ("kg:citationCount 5 .", 'kg:citationCount "05"^^xsd:integer .')),
        ("one page in two graphs, named otherwise", ("ex:p2 a kg:ProfileSnapshot ; foaf:primaryTopic ex:bob .\n", SECOND_GRAPH)),
        ("one page in two graphs, unnamed in one", ("ex:p2 a kg:ProfileSnapshot ; foaf:primaryTopic ex:bob .\n", SECOND_GRAPH.replace(' ex:bob schema:name "Bobby" .', ""))),
        ("a page without its metric", ("foaf:primaryTopic ex:bob ; kg:citationCount 5 .", "foaf:primaryTopic ex:bob .")),
    ],
)  # fmt: skip
def test_crafted_cases_give_the_query_rows(
    reports: Reports, case: str, edit: tuple[str, str]
) -> None:
    assert edit[0] in TWO_PAGES, case
    _assert_crafted(reports, TWO_PAGES.replace(edit[0], edit[1]), by_engine=True)


@pytest.mark.parametrize(
    ("case", "edit"),
    [
        ("a decimal", ("kg:citationCount 5 .", "kg:citationCount 5.5 .")),
        ("a string", ("kg:citationCount 5 .", 'kg:citationCount "five" .')),
        ("beyond 64 bits", ("kg:citationCount 5 .", "kg:citationCount 99999999999999999999 .")),
        ("a blank node as snapshot", ("ex:s1 a", "_:s1 a")),
        ("a blank node as owner", ("foaf:primaryTopic ex:bob ; kg:citationCount 5", "foaf:primaryTopic _:bob ; kg:citationCount 5")),
    ],
)  # fmt: skip
def test_what_the_engine_leaves_to_the_query(
    reports: Reports, case: str, edit: tuple[str, str]
) -> None:
    assert edit[0] in TWO_PAGES, case
    _assert_crafted(reports, TWO_PAGES.replace(edit[0], edit[1]), by_engine=False)


def test_a_difference_beyond_64_bits_is_left_to_the_query(reports: Reports) -> None:
    data = TWO_PAGES.replace("kg:citationCount 20 .", "kg:citationCount 9223372036854775807 .")
    data = data.replace("kg:citationCount 12 .", "kg:citationCount -2 .")
    # Between the two snapshots of p1, both ways (the same snapshot on both dates: 0).
    _assert_crafted(reports, data, by_engine=False, dates=DATES[:2])
    _assert_crafted(reports, data, by_engine=True, dates=DATES[2:])


class _HeldBackend(RecordingBackend):
    """Holds the read of one metric's snapshots until it is let go."""

    def __init__(self, store: KGStore, predicate: str):
        super().__init__(store)
        self.held = VALUES_QUERY.replace("{predicate}", f"kg:{predicate}")
        self.reading, self.go = threading.Event(), threading.Event()

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        if request.query == self.held:
            self.reading.set()
            assert self.go.wait(30)
        return super().run(request, timeout=timeout)


def test_a_metric_read_does_not_hold_up_another(reports: Reports) -> None:
    """One metric's snapshots are read while a request for another metric, read before or
    not, answers (one lock per metric: the review found a request of one waiting for the
    other's read, then timing out)."""
    store = KGStore.in_memory()
    metrics = "kg:citationCount 5 ; kg:hIndex 2 ; kg:aiScore 7 ."
    store.update(
        f"{PREFIXES}INSERT DATA {{ {TWO_PAGES.replace('kg:citationCount 5 .', metrics)} }}"
    )
    backend = _HeldBackend(store, "hIndex")
    runner = ReportRunner(reports, backend, SCHEME, timeout=30)
    report = runner.reports[NAME]

    def growth(metric: str, first: str, second: str) -> list[str]:
        binding = runner.bind(report, {"from": first, "to": second, "metric": metric})
        return [row[-1].value for row in runner.run(report, binding).rows]

    first, second = DATES[0]
    assert growth("citations", first, second) == ["8", "0"]  # read
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(growth, "h_index", first, second)
        assert backend.reading.wait(30)
        assert growth("citations", second, first) == ["0", "-8"]  # read before
        assert growth("ai_score", first, second) == ["0"]  # read now
        assert not held.done()
        backend.go.set()
        assert held.result(30) == ["0"]


def test_an_edited_query_runs_as_written(reports: Reports) -> None:
    runner, backend = _crafted(reports, TWO_PAGES)
    report = runner.reports[NAME]
    edited = replace(report, query=report.query.replace("DESC(?growth)", "?growth"))
    runner.run(edited, runner.bind(edited, {"from": DATES[0][0], "to": DATES[0][1]}))
    assert edited.query in backend.queries and not _values_asked(backend)

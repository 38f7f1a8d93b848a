"""Row filters (kg.reports.rowfilter): a whole-graph report's filtered requests answered from its
default binding's stored rows give the rows its query gives, for every value in the data, and
the query runs where the stored rows cannot answer."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports, validate_report
from kg.reports.definitions import (
    EARLIEST_DATE,
    ReportDefinitionError,
    Reports,
    RowFilter,
    parse_report,
)
from kg.reports.precompute import precompute_store
from kg.reports.results import ReportResult
from kg.reports.rowfilter import StaleTable, StoredTable, lcase, picked_rows
from kg.reports.runner import ReportRunner
from kg.reports.stored import PRECOMPUTED, PrecomputedReports, default_substitutions
from kg.sparql.results import python_value
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from kg.tools.generate import generate
from tests.conftest import TEST_BASE_IRI, ingest_into
from tests.server.recording import RecordingBackend

SCHEME = IriScheme(TEST_BASE_IRI)

Key = Callable[[dict[str, Any]], tuple[Any, ...]]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


#: Each filtered report's ORDER BY as a key of a row. None: the ORDER BY is total (the
#: rows must come in the same order); else rows that tie on these keys may come in another
#: order (the query leaves it open), so the sequence of keys must be the same and the rows
#: the same set.
ORDER: dict[str, Key | None] = {
    "organizations": lambda r: (r["org_name"], r["date"], r["paper_title"]),
    "repositories-by-owner": lambda r: (
        _lower(r["repository_owner"]),
        _lower(r["repository_name"]),
        r["date"],
    ),
    "top-authors-by-papers": lambda r: (r["papers"], r["author_name"]),
    "papers-in-several-profiles": lambda r: (r["profiles"], r["paper_title"]),
    "top-authors-by-coauthors": None,
    "papers-listed-since": lambda r: (r["first_listed"], r["paper_title"]),
}


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


@pytest.fixture(scope="module", params=["seeds", "generated"])
def store_folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path
) -> Path:
    """The seed profiles, or a small generated corpus, ingested and precomputed as `kg
    ingest` does (read them, never write them)."""
    folder = tmp_path_factory.mktemp(f"rowfilter-{request.param}")
    if request.param == "seeds":
        ingest_into(folder, seeds_dir)
    else:
        corpus = tmp_path_factory.mktemp("rowfilter-corpus")
        generate(400, corpus, seed=7)
        ingest_into(folder, corpus / "profiles")
    precompute_store(folder, SCHEME)
    return folder


@pytest.fixture()
def readonly(store_folder: Path) -> Iterator[KGStore]:
    store = KGStore.open_readonly(store_folder)
    yield store
    store.close()


def _records(result: ReportResult) -> list[dict[str, Any]]:
    return result.records()


def _same_answer(name: str, got: ReportResult, expected: ReportResult) -> None:
    assert got.columns == expected.columns
    assert got.truncated == expected.truncated
    key = ORDER[name]
    if key is None:
        assert got.rows == expected.rows
        return
    # Terms compare by value: the same rows, and the same sequence of ORDER BY keys.
    assert sorted(map(repr, got.rows)) == sorted(map(repr, expected.rows))
    assert [key(r) for r in _records(got)] == [key(r) for r in _records(expected)]


def _values(report_name: str, row_filter: RowFilter, default: ReportResult) -> list[str]:
    """Every distinct value of the filtered columns in the default answer, as a request
    would give it: as stored, in capitals and in small letters; a value no row has; for a
    threshold, every count, the default and one above them all."""
    cells = {
        python_value(row[default.columns.index(column)])
        for column in row_filter.columns
        for row in default.rows
    }
    if row_filter.kind == "at-least":
        counts = sorted(int(c) for c in cells)
        return [str(n) for n in sorted({*counts, counts[-1] + 1})]
    texts = sorted(str(c) for c in cells if c is not None)
    variants = {*texts, *(t.upper() for t in texts), *(t.lower() for t in texts)}
    return [*sorted(variants), "no such value"]


def test_every_filtered_value_gives_the_rows_of_the_query(
    readonly: KGStore, store_folder: Path, reports: Reports
) -> None:
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME)
    spy = RecordingBackend(readonly)
    stored = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(store_folder))
    filtered = [name for name in reports if reports[name].row_filters]
    assert sorted(filtered) == sorted(ORDER)
    compared = 0
    for name in filtered:
        report = reports[name]
        if live.bind(report, {}).unresolved:
            # papers-listed-since on a store of one crawl: no default date, no stored rows
            # (its dates are compared on stores of several crawls in test_report_variants).
            continue
        default = live.run(report, live.bind(report, {}))
        assert default.rows, f"{name}: the corpus should give rows"
        for row_filter in report.row_filters:
            for value in _values(name, row_filter, default):
                params = {row_filter.parameter: value}
                expected = live.run(report, live.bind(report, params))
                got = stored.run(report, stored.bind(report, params))
                _same_answer(name, got, expected)
                compared += 1
    assert compared > 40
    # Every answer came from the stored files: no query was sent (top-authors-by-coauthors'
    # engine would read the names of the store).
    assert spy.requests == []


def test_a_capped_answer_is_cut_as_the_query_cuts_it(
    readonly: KGStore, store_folder: Path, reports: Reports
) -> None:
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME, max_rows=3)
    stored = ReportRunner(
        reports,
        LocalBackend(readonly),
        SCHEME,
        max_rows=3,
        precomputed=PrecomputedReports(store_folder),
    )
    report = reports["top-authors-by-papers"]
    expected = live.run(report, live.bind(report, {"min_papers": "2"}))
    got = stored.run(report, stored.bind(report, {"min_papers": "2"}))
    assert got.truncated and expected.truncated and len(got.rows) == 3
    assert [(r["papers"]) for r in _records(got)] == [(r["papers"]) for r in _records(expected)]


def _copy_store(store_folder: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    return folder


def _side_file(folder: Path, name: str, kind: str = "rows") -> Path:
    (generation,) = [p for p in (folder / PRECOMPUTED).iterdir() if p.is_dir()]
    return generation / f"{name}.{kind}.json"


@pytest.mark.parametrize("stale", ["query", "generation", "digest"])
def test_a_stale_stored_answer_runs_the_query(
    store_folder: Path, reports: Reports, tmp_path: Path, stale: str
) -> None:
    folder = _copy_store(store_folder, tmp_path)
    side = _side_file(folder, "organizations")
    meta = json.loads(side.read_text(encoding="utf-8"))
    if stale == "digest":
        meta["sha256"] = "0" * 64
    else:
        meta[stale] = "something else"
    side.write_text(json.dumps(meta), encoding="utf-8")
    store = KGStore.open_readonly(folder)
    try:
        report = reports["organizations"]
        live = ReportRunner(reports, LocalBackend(store), SCHEME)
        default = live.run(report, live.bind(report, {}))
        tag = str(python_value(default.rows[0][default.columns.index("tag")]))
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        got = runner.run(report, runner.bind(report, {"organization": tag}))
        assert report.query in spy.queries
        _same_answer(
            "organizations", got, live.run(report, live.bind(report, {"organization": tag}))
        )
    finally:
        store.close()


def test_top_authors_by_coauthors_filters_its_uncut_rows_not_its_capped_result(
    store_folder: Path, reports: Reports, tmp_path: Path
) -> None:
    """top-authors-by-coauthors stores its engine's answer for the server's row cap, and its
    query's rows (as its engine gives them) uncut: another min_coauthors is picked from
    those. A store without the rows file (precomputed before them) and a result cut by the
    cap, which does not hold every row, leave it to the engine (which reads the store's
    names)."""
    folder = _copy_store(store_folder, tmp_path)
    precompute_store(folder, SCHEME, max_rows=2)
    name = "top-authors-by-coauthors"
    assert json.loads(_side_file(folder, name, "result").read_text())["truncated"]
    store = KGStore.open_readonly(folder)
    try:
        report = reports[name]
        live = ReportRunner(reports, LocalBackend(store), SCHEME, max_rows=2)
        expected = live.run(report, live.bind(report, {"min_coauthors": "2"}))
        spy = RecordingBackend(store)
        runner = ReportRunner(
            reports, spy, SCHEME, max_rows=2, precomputed=PrecomputedReports(folder)
        )
        assert runner.run(report, runner.bind(report, {"min_coauthors": "2"})) == expected
        assert spy.requests == [], "picked from the stored rows"
        rows = _side_file(folder, name)
        rows.unlink()
        rows.with_suffix(".tsv").unlink()
        spy = RecordingBackend(store)
        runner = ReportRunner(
            reports, spy, SCHEME, max_rows=2, precomputed=PrecomputedReports(folder)
        )
        assert runner.run(report, runner.bind(report, {"min_coauthors": "2"})) == expected
        assert spy.requests, "the engine read the store"
    finally:
        store.close()


def test_the_stored_rows_of_top_authors_by_coauthors_are_its_query_s(
    readonly: KGStore, store_folder: Path, reports: Reports
) -> None:
    """The rows the precompute wrote from the engine are the query's (its ORDER BY is
    total): the same terms, the parameter column included."""
    report = reports["top-authors-by-coauthors"]
    generation = readonly.generation
    assert generation is not None
    stored = PrecomputedReports(store_folder).rows(
        generation, report, {"min_coauthors": ox.Literal(1)}
    )
    assert stored is not None and stored.rows
    query = readonly.query(report.query, substitutions={"min_coauthors": ox.Literal(1)})
    assert stored.variables == tuple(v.value for v in query.variables)
    assert stored.rows == [tuple(solution) for solution in query]


# -- the table and the filters on crafted rows -----------------------------------------------

_REPORT = """# title: T
# description: D
# param: who | string | optional | example: x | Who.
# param: least | integer(1..) | default: 3 | example: 3 | At least.
# row-filter: who | equal-ignoring-case: name, tag
# row-filter: least | at-least: n
# cost: whole-graph
SELECT ?who ?least ?name ?tag ?n WHERE {
  VALUES (?name ?tag ?n) { ("a" "b" 1) }
  FILTER(COALESCE(LCASE(?name) = LCASE(?who) || LCASE(?tag) = LCASE(?who), true))
}
"""


def _table(tmp_path: Path, report: Any, lines: list[str]) -> StoredTable:
    text = "?who\t?least\t?name\t?tag\t?n\n" + "".join(line + "\n" for line in lines)
    path = tmp_path / "t.rows.tsv"
    path.write_text(text, encoding="utf-8")
    return StoredTable.open(path, filters=report.row_filters, hidden={"who", "least"}, head=2)


def _report(tmp_path: Path, text: str = _REPORT) -> Any:
    path = tmp_path / "t.rq"
    path.write_text(text, encoding="utf-8")
    return parse_report(path)


def test_the_filters_on_crafted_rows(tmp_path: Path) -> None:
    report = _report(tmp_path)
    validate_report(report, SCHEME)
    defaults = {"least": ox.Literal(3)}
    table = _table(
        tmp_path,
        report,
        [
            '\t3\t"Ärger"\t"x"\t5',
            '\t3\t"b"\t"\\u00c4RGER"\t"4"^^<http://www.w3.org/2001/XMLSchema#integer>',
            '\t3\t"tab\\there"\t"K"\t3',
            '\t3\t"c"\t"KELVIN"\t7',
        ],
    )

    def pick(**given: Any) -> list[int] | None:
        found = picked_rows(report, table, defaults, {**defaults, **given})
        return None if found is None else found.tolist()

    assert pick() == [0, 1, 2, 3]
    assert pick(who=ox.Literal("ärger")) == [0, 1]  # a column or the other, LCASE beyond ASCII
    assert pick(who=ox.Literal("TAB\tHERE")) == [2]  # escapes read by pyoxigraph
    assert pick(who=ox.Literal("k")) == [2]
    assert pick(who=ox.Literal("\u212a")) == [2]  # KELVIN SIGN: LCASE is "k"
    assert pick(least=ox.Literal(5)) == [0, 3]
    assert pick(least=ox.Literal(5), who=ox.Literal("c")) == [3]
    assert pick(least=ox.Literal(8)) == []
    assert pick(least=ox.Literal(2)) is None  # below the default: rows it does not hold
    least = report.row_filter("least")
    assert least is not None
    at_least_5 = table.matching(least, ox.Literal(5))
    assert at_least_5 is not None
    rows = table.answer_rows(at_least_5)
    assert rows == [
        (ox.Literal("Ärger"), ox.Literal("x"), ox.Literal(5)),
        (ox.Literal("c"), ox.Literal("KELVIN"), ox.Literal(7)),
    ]
    assert lcase("\u212a") == "k" and lcase("ÄB") == "äb"


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param('"a"@en', id="language-tagged"),
        pytest.param("", id="unbound"),
        pytest.param("<http://x.test/a>", id="iri"),
        pytest.param('"1"^^<http://www.w3.org/2001/XMLSchema#integer>', id="integer"),
    ],
)
def test_a_cell_the_filter_cannot_compare_runs_the_query(tmp_path: Path, cell: str) -> None:
    """The query's COALESCE(LCASE(?name) = ..., true) keeps a row whose comparison errs,
    whatever the value: the filter does not guess."""
    report = _report(tmp_path)
    table = _table(tmp_path, report, [f'\t3\t{cell}\t"b"\t5'])
    defaults = {"least": ox.Literal(3)}
    assert picked_rows(report, table, defaults, {**defaults, "who": ox.Literal("b")}) is None
    assert picked_rows(report, table, defaults, {**defaults, "least": ox.Literal(4)}) is not None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("# row-filter: who | equal-ignoring-case: nope", "column ?nope is not a column"),
        ("# row-filter: who | equal-ignoring-case: who", "column ?who is not a column"),
        ("# row-filter: whom | equal-ignoring-case: name", "names no parameter"),
        ("# row-filter: least | equal-ignoring-case: name", "optional string parameter"),
        ("# row-filter: who | at-least: n", "integer parameter with a default"),
        ("# row-filter: who | like: name", "must be equal-ignoring-case or at-least"),
        ("# row-filter: least | at-least: n, name", "at-least compares one column"),
        ("# row-filter: who | equal-ignoring-case: name\n# row-filter: who", "given twice"),
    ],
)
def test_a_bad_row_filter_fails_at_load_time(tmp_path: Path, line: str, reason: str) -> None:
    lines = [x for x in _REPORT.splitlines() if not x.startswith("# row-filter:")]
    lines.insert(4, line.replace("\n# row-filter: who", "\n# row-filter: who | at-least: n"))
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "t.rq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ReportDefinitionError, match=re.escape(reason)):
        load_reports(folder, scheme=SCHEME)


_DATED = """# title: T
# description: D
# param: since | date | optional | example: 2026-01-01 | Since.
# row-filter: since | on-or-after: day
# cost: whole-graph
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?since ?day WHERE {
  VALUES ?day { "2026-01-02"^^xsd:date }
  FILTER(COALESCE(?day >= ?since, true))
}
"""
_DATE = "<http://www.w3.org/2001/XMLSchema#date>"


def _day(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(_DATE[1:-1]))


@pytest.mark.parametrize(
    ("cells", "picks"),
    [
        pytest.param(
            ["2026-01-02", "2025-12-31", "2026-01-03", "2026-01-02"],
            {"2026-01-02": [0, 2, 3], "2025-12-31": [0, 1, 2, 3], "2026-01-04": []},
            id="plain-dates",
        ),
        # A time zone, or a year past 9999, is compared by the query's own rules.
        pytest.param(["2026-01-02Z"], {"2026-01-01": None}, id="time-zone"),
        pytest.param(["12026-01-02"], {"2026-01-01": None}, id="long-year"),
    ],
)
def test_the_date_filter_on_crafted_rows(
    tmp_path: Path, cells: list[str], picks: dict[str, list[int] | None]
) -> None:
    report = _report(tmp_path, _DATED)
    validate_report(report, SCHEME)
    # The stored answer is the query's for the earliest date: it holds every date's rows.
    defaults = default_substitutions(report, SCHEME)
    assert defaults == {"since": _day(EARLIEST_DATE)}
    path = tmp_path / "t.rows.tsv"
    path.write_text(
        "?since\t?day\n" + "".join(f'\t"{cell}"^^{_DATE}\n' for cell in cells), encoding="utf-8"
    )
    table = StoredTable.open(path, filters=report.row_filters, hidden={"since"}, head=2)
    for since, rows in picks.items():
        found = picked_rows(report, table, defaults, {"since": _day(since)})
        assert (None if found is None else found.tolist()) == rows, since
    # Stored for a later date, a request for an earlier one: rows the table may not hold.
    later = {"since": _day("2026-01-01")}
    assert picked_rows(report, table, later, {"since": _day("2025-01-01")}) is None


def test_the_date_filter_needs_an_optional_date(tmp_path: Path) -> None:
    with pytest.raises(ReportDefinitionError, match="on-or-after needs an optional date"):
        _report(tmp_path, _DATED.replace("| date | optional |", "| date | required |"))
    with pytest.raises(ReportDefinitionError, match="on-or-after compares one column"):
        _report(tmp_path, _DATED.replace("on-or-after: day", "on-or-after: day, since"))
    # An engine's stored rows are for its default binding, not the earliest date.
    with pytest.raises(
        ReportDefinitionError, match="on-or-after row-filter needs a report without"
    ):
        _report(tmp_path, _DATED.replace("# cost:", "# engine: network\n# cost:"))


def test_a_row_filter_needs_a_whole_graph_report(tmp_path: Path) -> None:
    with pytest.raises(ReportDefinitionError, match="needs cost: whole-graph"):
        _report(tmp_path, _REPORT.replace("# cost: whole-graph\n", ""))


# -- over HTTP ---------------------------------------------------------------------------------


def test_a_filtered_request_over_http_comes_from_the_stored_rows(
    store_folder: Path, reports: Reports
) -> None:
    from kg_server.app import create_app

    from tests.server.conftest import close_app

    store = KGStore.open_readonly(store_folder)
    spy = RecordingBackend(store)
    app = create_app(
        {
            "store": str(store_folder),
            "base_iri": TEST_BASE_IRI,
            "backend": spy,
            "warm_reports": False,
        }
    )
    try:
        report = reports["repositories-by-owner"]
        live = ReportRunner(reports, LocalBackend(store), SCHEME)
        default = live.run(report, live.bind(report, {}))
        owner = str(python_value(default.rows[-1][default.columns.index("repository_owner")]))
        expected = live.run(report, live.bind(report, {"owner": owner.upper()}))
        assert expected.rows
        answer = app.test_client().get(
            "/reports/repositories-by-owner.json", query_string={"owner": owner.upper()}
        )
        assert answer.status_code == 200
        document = answer.get_json()
        got = sorted(json.dumps(r, sort_keys=True) for r in document["rows"])
        assert got == sorted(json.dumps(r, sort_keys=True) for r in expected.records())
        assert report.query not in spy.queries
    finally:
        close_app(app)


# -- a stored file changed under a running server ----------------------------------------------


def _change_rows_file(path: Path, how: str) -> bytes:
    """Change a stored rows file as an operator might; returns its old content. ``cut``:
    truncated in place to its header line (what ``cp`` over it does first); ``overwritten``:
    rewritten in place with other rows of the same size (``rsync --inplace``); ``renamed``:
    that other content renamed into place (as kg writes)."""
    old = path.read_bytes()
    header, _, body = old.partition(b"\n")
    other = header + b"\n" + body.replace(b"a", b"e")
    assert len(other) == len(old) and other != old
    if how == "cut":
        with path.open("r+b") as handle:
            handle.truncate(len(header) + 1)
    elif how == "overwritten":
        with path.open("r+b") as handle:
            handle.write(other)
    else:
        new = path.with_name(path.name + ".new")
        new.write_bytes(other)
        os.replace(new, path)
    return old


def changed_under_the_runner(folder: str, how: str) -> None:
    """Run in a child process (a SIGBUS would kill pytest): a runner reads the stored rows
    of ``organizations``, the file changes (:func:`_change_rows_file`), and a filtered
    request must still give the query's rows; once the file is put back (renamed into
    place), they come from the stored rows again."""
    reports = load_reports(scheme=SCHEME)
    report = reports["organizations"]
    store = KGStore.open_readonly(Path(folder))
    live = ReportRunner(reports, LocalBackend(store), SCHEME)
    spy = RecordingBackend(store)
    runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
    runner.prepare_row_filters(report)
    assert "stored-table:organizations" in runner.memo, "the stored rows were read"
    default = live.run(report, live.bind(report, {}))
    tags = sorted({str(python_value(row[default.columns.index("tag")])) for row in default.rows})
    path = _side_file(Path(folder), "organizations").with_suffix(".tsv")
    old = _change_rows_file(path, how)
    for tag in tags:
        params = {"organization": tag}
        expected = live.run(report, live.bind(report, params))
        _same_answer("organizations", runner.run(report, runner.bind(report, params)), expected)
    if how != "renamed":  # renamed: the old file's data may still answer, which is right too
        assert report.query in spy.queries, "the changed file was found stale"
    new = path.with_name(path.name + ".new")
    new.write_bytes(old)
    os.replace(new, path)
    sent = len(spy.requests)
    params = {"organization": tags[0].upper()}
    got = runner.run(report, runner.bind(report, params))
    _same_answer("organizations", got, live.run(report, live.bind(report, params)))
    assert len(spy.requests) == sent, "the file put back answers again"
    store.close()
    print("answered")


@pytest.mark.parametrize("how", ["cut", "overwritten", "renamed"])
def test_a_rows_file_changed_under_the_server_runs_the_query(
    store_folder: Path, tmp_path: Path, how: str
) -> None:
    """A stored rows file changed while the server reads it gives the query's rows: a file
    cut short in place does not kill the process (a memory-mapped one did: SIGBUS, exit -7
    here), nor does one overwritten in place give other rows (its change time tells); one
    renamed into place answers from the old data or is found stale."""
    folder = _copy_store(store_folder, tmp_path)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    code = (
        "from tests.server.test_row_filters import changed_under_the_runner as run; "
        f"run({str(folder)!r}, {how!r})"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    # -7: killed by SIGBUS.
    assert child.returncode == 0, f"exit {child.returncode}: {child.stderr[-3000:]}"
    assert child.stdout.strip().endswith("answered")


def test_a_table_whose_file_is_cut_short_is_stale(tmp_path: Path) -> None:
    report = _report(tmp_path)
    table = _table(tmp_path, report, [f'\t3\t"n{i}"\t"t{i}"\t{i}' for i in range(2000)])
    path = tmp_path / "t.rows.tsv"
    size = path.stat().st_size
    # Runs, rows a few bytes apart (one read) and rows far apart (another).
    picked = [0, 2, 3, 4, 9, 1500, 1999]
    assert table.full_rows(np.array(picked), {}) == [
        (None, ox.Literal(3), ox.Literal(f"n{i}"), ox.Literal(f"t{i}"), ox.Literal(i))
        for i in picked
    ]
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(StaleTable):
        table.answer_rows(np.array([1500]))
    with pytest.raises(StaleTable):
        table.full_rows(np.array([1, 2, 1999]), {})


def test_select_and_an_engine_s_stored_result_cut_short_run_the_query(
    store_folder: Path, reports: Reports, tmp_path: Path
) -> None:
    """The other two readers of a stored table (:meth:`ReportRunner.select`, an engine's
    stored result picked by its row filters) find a file cut short stale too (in-process:
    the child-process test above shows what a mapped file did)."""
    folder = _copy_store(store_folder, tmp_path)
    name = "top-authors-by-coauthors"
    rows = _side_file(folder, name)  # without its rows, the engine's result is filtered
    rows.unlink()
    rows.with_suffix(".tsv").unlink()
    store = KGStore.open_readonly(folder)
    try:
        live = ReportRunner(reports, LocalBackend(store), SCHEME)
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        organizations, coauthors = reports["organizations"], reports[name]
        runner.prepare_row_filters(organizations)
        # Read (no row picked: none of its rows parsed yet, so the next request reads them).
        none = runner.run(coauthors, runner.bind(coauthors, {"min_coauthors": "1000000"}))
        assert none.rows == [] and not spy.requests
        assert {"stored-table:organizations", f"stored-result:{name}"} <= set(runner.memo)
        for path in (
            _side_file(folder, "organizations").with_suffix(".tsv"),
            _side_file(folder, name, "result").with_suffix(".tsv"),
        ):
            with path.open("r+b") as handle:
                handle.truncate(10)
        default = live.run(organizations, live.bind(organizations, {}))
        tag = default.rows[0][default.columns.index("tag")]
        given = {"organization": tag}
        assert runner.select(organizations, given) == live.select(organizations, given)
        params = {"min_coauthors": "2"}
        expected = live.run(coauthors, live.bind(coauthors, params))
        assert runner.run(coauthors, runner.bind(coauthors, params)) == expected
        assert organizations.query in spy.queries and spy.requests
        assert not {"stored-table:organizations", f"stored-result:{name}"} & set(runner.memo)
    finally:
        store.close()


_LAZY_LCASE = """
import threading
import pyoxigraph as ox
made = []
real = ox.Store
ox.Store = lambda *args: made.append(1) or real(*args)
from kg.reports.rowfilter import lcase
assert made == [], "a store made at import"
barrier = threading.Barrier(8)
def run(i):
    barrier.wait()
    assert lcase(f"\\u00c4{i}") == f"\\u00e4{i}"
threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert made == [1], made
print("one store")
"""


def test_lcase_makes_its_store_on_first_use_once() -> None:
    """Importing the row filters makes no pyoxigraph store; LCASE of non-ASCII text makes
    one, once, from many threads at a time (a fresh process: this one imported it already)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    child = subprocess.run(
        [sys.executable, "-c", _LAZY_LCASE], cwd=root, env=env, capture_output=True, text=True
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.strip() == "one store"

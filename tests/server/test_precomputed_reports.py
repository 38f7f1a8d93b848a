"""Whole-graph reports precomputed at ingest (kg.reports.precompute): the same answers as the live queries,
served without querying the store, renewed with each generation, ignored when they do not check out."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest

from kg.errors import StoreError
from kg.rdf.iri import IriScheme
from kg.reports import precompute
from kg.reports.catalog import load_reports
from kg.reports.costs import COSTS, TaskCost, write_costs
from kg.reports.crawls import CRAWL_DATES_QUERY
from kg.reports.definitions import Reports
from kg.reports.engines.coauthor_graph import PAIRS_QUERY, CoauthorGraph
from kg.reports.precompute import precompute_store, precompute_tasks, precomputed_names
from kg.reports.results import ReportResult
from kg.reports.runner import ReportRunner
from kg.reports.stored import (
    PRECOMPUTED,
    PrecomputedReports,
    default_binding,
    default_substitutions,
    parse_rows,
    reports_fingerprint,
)
from kg.store.embedded import KGStore, published_generation
from kg.store.query import LocalBackend
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI, ingest_into
from tests.server.recording import (
    FAIL_NAME,
    RUNNING,
    TASKS_LOG,
    RecordingBackend,
    failing_worker_compute,
    killed_worker_compute,
    recorded_worker_compute,
)

SCHEME = IriScheme(TEST_BASE_IRI)
#: The crawl dates of the seed store: one crawl.
SEED_DATES = (SEED_AS_OF.isoformat(),)


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """The seed profiles ingested and precomputed as `kg ingest` does (read it, never write it)."""
    folder = tmp_path_factory.mktemp("precomputed-store")
    ingest_into(folder, seeds_dir)
    precompute_store(folder, SCHEME)
    return folder


@pytest.fixture()
def readonly(store_folder: Path) -> Iterator[KGStore]:
    store = KGStore.open_readonly(store_folder)
    yield store
    store.close()


def whole_graph(reports: Reports) -> list[str]:
    """The whole-graph reports that get files on the seed store (those with a default
    binding; its one crawl date leaves the reports between two crawls nothing to compare)."""
    return [
        name
        for name in precomputed_names(reports, SCHEME)
        if default_substitutions(reports[name], SCHEME, SEED_DATES) is not None
    ]


def unresolved(reports: Reports) -> dict[str, str]:
    """What the warm-up notes for the reports whose default dates the seed store lacks."""
    return {
        # crawl-changes and fastest-growing-authors lack a crawl before the latest for
        # from; papers-listed-since, whose since needs one too, for since.
        name: "no crawl date for " + ("since" if name == "papers-listed-since" else "from")
        for name in precomputed_names(reports, SCHEME)
        if name not in whole_graph(reports)
    }


def same(a: ReportResult, b: ReportResult) -> None:
    assert a.columns == b.columns
    assert a.rows == b.rows
    assert (a.truncated, a.notes, dict(a.extra)) == (b.truncated, b.notes, dict(b.extra))


def test_every_whole_graph_report_has_its_files(store_folder: Path, reports: Reports) -> None:
    generation = KGStore.open_readonly(store_folder).generation
    assert generation is not None
    files = {p.name for p in (store_folder / PRECOMPUTED / generation).iterdir()}
    # top-authors-by-coauthors: its engine gives its query's rows from the co-author graph, so
    # the precompute writes them (uncut, for its row filter) and its result, and never runs
    # the query (the longest at 1M papers).
    assert {f"{name}.rows.json" for name in whole_graph(reports)} <= files
    assert "top-authors-by-coauthors.result.json" in files
    # The ambiguity engine's answer is more than its query's rows; search needs a q, so only its rows.
    assert "possible-duplicate-authors.result.json" in files
    assert "search.result.json" not in files
    assert not [f for f in files if f.endswith(".tmp")]


@pytest.mark.parametrize(
    "max_rows", [pytest.param(100_000, id="uncut"), pytest.param(3, id="cut-at-3")]
)
def test_precomputed_answers_equal_the_live_queries(
    readonly: KGStore, store_folder: Path, reports: Reports, max_rows: int
) -> None:
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME, max_rows=max_rows)
    stored = ReportRunner(
        reports,
        RecordingBackend(readonly),
        SCHEME,
        max_rows=max_rows,
        precomputed=PrecomputedReports(store_folder),
    )
    checked = 0
    for name in whole_graph(reports):
        binding = default_binding(reports[name], SCHEME, SEED_DATES)
        if binding is None:
            continue
        if reports[name].engine is not None and max_rows != 100_000:
            continue  # an engine result is kept for the row cap it was computed with (below)
        expected = live.run(reports[name], binding)
        assert expected.rows, f"{name}: the seeds should give rows"
        same(stored.run(reports[name], binding), expected)
        checked += 1
    assert checked >= 8  # (top-authors-by-coauthors is an engine: uncut only)
    assert isinstance(stored.backend, RecordingBackend)
    assert stored.backend.requests == [], "every default whole-graph answer came from its file"


def test_search_reads_its_names_and_titles_from_the_file(
    readonly: KGStore, store_folder: Path, reports: Reports
) -> None:
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME)
    spy = RecordingBackend(readonly)
    stored = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(store_folder))
    for params in ({"q": "weiran huang"}, {"q": "contrastive learning", "kind": "paper"}):
        report = reports["search"]
        expected = live.run(report, live.bind(report, params))
        assert expected.rows
        same(stored.run(report, stored.bind(report, params)), expected)
    assert spy.requests == []


def test_a_filtered_request_runs_the_query(
    readonly: KGStore, store_folder: Path, reports: Reports
) -> None:
    spy = RecordingBackend(readonly)
    stored = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(store_folder))
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME)
    for name, params in (
        ("top-authors-by-papers", {"min_papers": "2"}),
        ("possible-duplicate-authors", {"min_papers": "3"}),
    ):
        report = reports[name]
        same(
            stored.run(report, stored.bind(report, params)),
            live.run(report, live.bind(report, params)),
        )
    assert spy.requests, "a binding the files cannot answer goes to the store"


def _old_cell(term: Any) -> Any:
    """A term as FORMAT 1 wrote it (compact JSON)."""
    if term is None or isinstance(term, ox.NamedNode):
        return None if term is None else term.value
    if term.language:
        return [term.value, "@" + term.language]
    return (
        [term.value]
        if term.datatype.value.endswith("#string")
        else [term.value, term.datatype.value]
    )


def _corrupt(side: Path, how: str) -> None:
    """Spoil the side file (subjects.rows.json) or the data file (subjects.rows.tsv) of a report."""
    data = side.with_suffix(".tsv")
    meta = json.loads(side.read_text(encoding="utf-8"))
    if how == "missing":
        side.unlink()
    elif how == "data-missing":
        data.unlink()
    elif how == "cut-short":
        content = data.read_bytes()
        data.write_bytes(content[: len(content) // 2])
    elif how in {"row-missing", "row-missing-resealed"}:
        content = data.read_bytes()
        data.write_bytes(content[: content.rstrip(b"\n").rfind(b"\n") + 1])
        if how == "row-missing-resealed":  # size and digest agree: only the row count tells
            content = data.read_bytes()
            meta.update(bytes=len(content), sha256=hashlib.sha256(content).hexdigest())
            side.write_text(json.dumps(meta), encoding="utf-8")
    elif how == "other-query":
        meta["query"] = "0" * 64
        side.write_text(json.dumps(meta), encoding="utf-8")
    elif how == "not-json":
        side.write_bytes(b"\x00\xff garbage")
    elif how == "older-format":
        # A FORMAT 1 file with the right rows, as the previous release wrote it (no .tsv).
        variables, rows = parse_rows(data.read_bytes())
        data.unlink()
        side.write_text(
            json.dumps(
                {
                    "format": 1,
                    "kind": "rows",
                    "report": meta["report"],
                    "generation": meta["generation"],
                    "query": meta["query"],
                    "substitutions": meta["substitutions"],
                    "variables": list(variables),
                    "count": len(rows),
                    "rows": [[_old_cell(t) for t in row] for row in rows],
                }
            ),
            encoding="utf-8",
        )


@pytest.mark.parametrize(
    "how",
    [
        "missing",
        "data-missing",
        "cut-short",
        "row-missing",
        "row-missing-resealed",
        "other-query",
        "not-json",
        "older-format",
    ],
)
def test_a_bad_file_falls_back_to_the_live_query(
    tmp_path: Path, store_folder: Path, reports: Reports, how: str
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    store = KGStore.open_readonly(folder)
    try:
        assert store.generation is not None
        side = folder / PRECOMPUTED / store.generation / "subjects.rows.json"
        report = reports["subjects"]
        assert PrecomputedReports(folder).rows(store.generation, report, {}) is not None, (
            "intact before"
        )
        _corrupt(side, how)
        assert PrecomputedReports(folder).rows(store.generation, report, {}) is None
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        live = ReportRunner(reports, LocalBackend(store), SCHEME)
        same(runner.run(report, runner.bind(report, {})), live.run(report, live.bind(report, {})))
        assert [q.query for q in spy.requests] == [report.query]
    finally:
        store.close()


def test_a_result_file_from_another_row_cap_or_spoilt_is_ignored(
    tmp_path: Path, store_folder: Path, reports: Reports
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    generation = KGStore.open_readonly(folder).generation
    assert generation is not None
    report = reports["possible-duplicate-authors"]
    binding = default_binding(report, SCHEME, SEED_DATES)
    assert binding is not None
    stored = PrecomputedReports(folder)
    fingerprint = reports_fingerprint(reports)
    assert (
        stored.result(generation, report, binding, fingerprint=fingerprint, max_rows=100_000)
        is not None
    )
    assert stored.result(generation, report, binding, fingerprint=fingerprint, max_rows=3) is None
    assert (
        stored.result(generation, report, binding, fingerprint="0" * 64, max_rows=100_000) is None
    )
    data = folder / PRECOMPUTED / generation / "possible-duplicate-authors.result.tsv"
    data.write_bytes(data.read_bytes().replace(b"possibly", b"perhaps", 1))
    assert (
        stored.result(generation, report, binding, fingerprint=fingerprint, max_rows=100_000)
        is None
    )


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, ended and not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _tasks_with_files(reports: Reports, store_folder: Path) -> list[str]:
    """The precompute's tasks, in order, that wrote a file for the store's checkpoint."""
    generation = published_generation(store_folder)
    written = {
        p.name.split(".")[0] for p in (store_folder / PRECOMPUTED / str(generation)).iterdir()
    }
    tasks = [name for name in precompute_tasks(reports, SCHEME) if name in written]
    assert len(tasks) < len(precompute_tasks(reports, SCHEME))  # some write nothing here
    return tasks


def test_a_failing_report_stops_the_reports_still_running(
    tmp_path: Path,
    store_folder: Path,
    reports: Reports,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    shutil.rmtree(folder / PRECOMPUTED)
    # The second task fails at once, while the first (3 s) is running in the other worker
    # (of the tasks that write a file: one with none on this store, papers-listed-since on a
    # store of one crawl, is not sent to a worker).
    first, failing = _tasks_with_files(reports, store_folder)[:2]
    (tmp_path / FAIL_NAME).write_text(failing, encoding="utf-8")
    # Known to be small (kg.reports.costs), so that the two run side by side from the start.
    generation = str(published_generation(folder))
    (folder / PRECOMPUTED / generation).mkdir(parents=True)
    small = TaskCost(cpu_seconds=1.0, seconds=1.0, peak_mib=100.0, measured_on=generation)
    write_costs(folder / PRECOMPUTED / generation, {first: small, failing: small})
    monkeypatch.setattr(precompute, "_worker_compute", failing_worker_compute)
    with pytest.raises(StoreError, match=f"report {failing} failed"):
        precompute_store(folder, SCHEME, workers=2)
    # The running report was stopped, not left to run on (minutes at 1M papers), and left
    # no temporary file; nothing but the report's own error was printed.
    running = [int(pid) for pid in (tmp_path / RUNNING).read_text(encoding="utf-8").split()]
    assert running
    assert not [pid for pid in running if _alive(pid)]
    tasks = tmp_path / TASKS_LOG
    assert not tasks.exists() or first not in tasks.read_text(encoding="utf-8")
    assert not list((folder / PRECOMPUTED).rglob(".*.tmp"))
    assert "Traceback" not in capfd.readouterr().err


def test_a_report_whose_process_is_killed_stops_the_precompute_with_its_name(
    tmp_path: Path, store_folder: Path, reports: Reports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system's out-of-memory killer ends a report's process: the pool starts another
    in its place and never answers for the task. The precompute says which report, keeps
    what was written, and does not wait for ever (kg ingest holds the writer lock)."""
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    shutil.rmtree(folder / PRECOMPUTED)
    killed = _tasks_with_files(reports, store_folder)[1]
    (tmp_path / FAIL_NAME).write_text(killed, encoding="utf-8")
    monkeypatch.setattr(precompute, "_worker_compute", killed_worker_compute)
    monkeypatch.setattr(precompute, "_LOST_GRACE_SECONDS", 2.0)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            precompute_store(folder, SCHEME, workers=2)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    # In a thread of its own, so that a precompute that waits for ever fails this test
    # instead of hanging the suite.
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    assert outcome, "the precompute is still waiting for the killed report"
    error = outcome[0]
    assert isinstance(error, StoreError) and f"report {killed}:" in str(error)
    assert "killed" in str(error) and "kg precompute" in str(error)
    assert not list((folder / PRECOMPUTED).rglob(".*.tmp"))


#: Reports whose query gives its rows in an order (and GROUP_CONCAT values in an order) that may
#: differ from one process to the next: their files are compared on what does not depend on it.
UNORDERED = {"possible-duplicate-authors"}


def test_parallel_workers_write_the_same_files(
    tmp_path: Path, store_folder: Path, reports: Reports, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    shutil.rmtree(folder / PRECOMPUTED)
    tasks = tmp_path / TASKS_LOG
    monkeypatch.setattr(precompute, "_worker_compute", recorded_worker_compute)
    seen: list[str] = []
    generation, written = precompute_store(
        folder, SCHEME, workers=2, on_written=lambda w: seen.append(w.report)
    )
    # Each report in a process of its own, which ends with it (what a worker made for one
    # report is not held while the next ones run).
    done = [line.split() for line in tasks.read_text(encoding="utf-8").splitlines()]
    assert sorted(name for _, name in done) == sorted(_tasks_with_files(reports, store_folder))
    assert len({process for process, _ in done}) == len(done) > 2
    serial = store_folder / PRECOMPUTED / generation
    parallel = folder / PRECOMPUTED / generation
    names = sorted(p.name for p in serial.iterdir())
    # The same files, and (workers only) what each task cost: tests/server/test_precompute_costs.py.
    assert sorted(p.name for p in parallel.iterdir()) == sorted([*names, COSTS])
    assert sorted(seen) == sorted(w.report for w in written)
    assert [w.report for w in written] == sorted(
        (w.report for w in written), key=list(reports).index
    )
    for name in names:
        a, b = (serial / name).read_bytes(), (parallel / name).read_bytes()
        # An engine's finished answer puts its rows and evidence in a fixed order (the
        # query's raw rows need not be: they are compared below on what they hold).
        if name.split(".")[0] not in UNORDERED or ".result." in name:
            assert a == b, name
        elif name.endswith(".json"):
            drop = {"sha256"}
            assert {k: v for k, v in json.loads(a).items() if k not in drop} == {
                k: v for k, v in json.loads(b).items() if k not in drop
            }, name
        else:

            def who(data: bytes) -> list[tuple[Any, ...]]:
                return sorted(
                    (str(row[0]), str(row[1]), str(row[3])) for row in parse_rows(data)[1]
                )

            assert who(a) == who(b), name
    # And they are used: every default whole-graph answer is read from them, none queried.
    store = KGStore.open_readonly(folder)
    try:
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        for name in whole_graph(reports):
            binding = default_binding(reports[name], SCHEME, SEED_DATES)
            if binding is not None:
                assert runner.run(reports[name], binding).rows
        assert spy.requests == []
    finally:
        store.close()


def test_an_edited_query_does_not_get_the_old_answer(
    tmp_path: Path, store_folder: Path, readonly: KGStore
) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(Path(load_reports().folder or ""), queries)
    subjects = queries / "subjects.rq"
    subjects.write_text(
        subjects.read_text(encoding="utf-8").replace("SELECT", "SELECT DISTINCT", 1),
        encoding="utf-8",
    )
    edited = load_reports(queries, scheme=SCHEME)
    spy = RecordingBackend(readonly)
    runner = ReportRunner(edited, spy, SCHEME, precomputed=PrecomputedReports(store_folder))
    runner.run(edited["subjects"], runner.bind(edited["subjects"], {}))
    runner.run(edited["venues"], runner.bind(edited["venues"], {}))
    assert [q.query for q in spy.requests] == [edited["subjects"].query]


def test_a_reingest_with_changed_data_writes_a_new_generation(
    tmp_path: Path, seed_files: dict[str, Path], reports: Reports
) -> None:
    sources = tmp_path / "profiles"
    sources.mkdir()
    first = sorted(seed_files)[:3]
    for key in first:
        shutil.copy(seed_files[key], sources)
    folder = tmp_path / "store"
    ingest_into(folder, sources)
    old_generation, _ = precompute_store(folder, SCHEME)
    stale = folder / PRECOMPUTED / "00000000000000000001"  # a generation whose checkpoint is gone
    stale.mkdir()
    (stale / "subjects.rows.json").write_text("{}", encoding="utf-8")

    for key in sorted(seed_files)[3:]:
        shutil.copy(seed_files[key], sources)
    ingest_into(folder, sources)
    new_generation, written = precompute_store(folder, SCHEME)

    assert new_generation != old_generation
    assert {w.report for w in written} >= set(whole_graph(reports))
    assert (folder / PRECOMPUTED / new_generation / "profiles.rows.json").is_file()
    assert not stale.exists(), "files of a pruned checkpoint are removed"
    store = KGStore.open_readonly(folder)
    try:
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        live = ReportRunner(reports, LocalBackend(store), SCHEME)
        profiles = runner.run(reports["profiles"], runner.bind(reports["profiles"], {}))
        same(profiles, live.run(reports["profiles"], live.bind(reports["profiles"], {})))
        assert len(profiles.rows) == len(seed_files)
        assert spy.requests == []
        old = PrecomputedReports(folder).rows(old_generation, reports["profiles"], {})
        assert old is not None and len(old.rows) == len(first), (
            "the old generation keeps its own answer"
        )
    finally:
        store.close()


# -- over HTTP ---------------------------------------------------------------------------------


def _app(store: KGStore, spy: RecordingBackend, *, warm: bool) -> Any:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(store.folder),
            "base_iri": TEST_BASE_IRI,
            "backend": spy,
            "warm_reports": warm,
        }
    )
    app.config["TESTING"] = True
    return app


def test_a_report_after_ingest_is_served_from_the_file(readonly: KGStore) -> None:
    spy = RecordingBackend(readonly)
    client = _app(readonly, spy, warm=False).test_client()
    for name in ("subjects", "top-authors-by-papers", "possible-duplicate-authors", "profiles"):
        response = client.get(f"/reports/{name}.json?limit=2")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["total"] >= 1
    response = client.get("/reports/search.json?q=weiran")
    assert response.status_code == 200 and response.json["rows"]
    assert spy.requests == []


def _wait_for_warm_up(runner: ReportRunner, reports: Reports, seconds: float = 60) -> float:
    """Wait until the background warm-up has noted every whole-graph report; the deadline used."""
    deadline = time.monotonic() + seconds
    while len(runner.warmed) < len(whole_graph(reports)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return deadline


def test_the_server_warms_the_whole_graph_reports(readonly: KGStore, reports: Reports) -> None:
    spy = RecordingBackend(readonly)
    app = _app(readonly, spy, warm=True)
    runner: ReportRunner = app.extensions["kg_reports"]
    deadline = _wait_for_warm_up(runner, reports)
    assert runner.warmed == {
        **{name: "precomputed" for name in whole_graph(reports)},
        **unresolved(reports),
    }
    # The warm-up runs no report query: even the co-author graph of collaboration-path is
    # read from its file. It reads the crawl dates (the reports over time default to them) once.
    assert [q.query for q in spy.requests] == [CRAWL_DATES_QUERY]
    graph = runner.coauthor_graph()
    assert graph is not None and graph.version == runner.version()
    # Readiness: /healthz says so once the warm-up of this version is done, not before.
    while (
        runner._warming is not None and runner._warming.is_alive() and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert app.test_client().get("/healthz").json["reports_warm"] is True
    runner.warm_version = "another version"
    assert app.test_client().get("/healthz").json["reports_warm"] is False
    binding = runner.bind(reports["subjects"], {})
    assert runner._cache_get((runner.version(), "subjects", binding.key())) is not None


def test_without_files_the_server_warms_by_querying(
    tmp_path: Path, store_folder: Path, reports: Reports
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    shutil.rmtree(folder / PRECOMPUTED)
    store = KGStore.open_readonly(folder)
    try:
        spy = RecordingBackend(store)
        app = _app(store, spy, warm=True)
        runner: ReportRunner = app.extensions["kg_reports"]
        _wait_for_warm_up(runner, reports)
        assert runner.warmed == {
            **{name: "query" for name in whole_graph(reports)},
            **unresolved(reports),
        }
        queried = len(spy.requests)
        assert queried >= len(whole_graph(reports))
        response = app.test_client().get("/reports/subjects.json")
        assert response.status_code == 200
        assert len(spy.requests) == queried, "the warmed answer is served from the cache"
    finally:
        store.close()


def test_an_external_store_has_no_precomputed_reports() -> None:
    from kg_server.reports import _store_folder

    from kg.store.remote import Endpoints, RemoteBackend, RemoteStore

    remote = RemoteStore(Endpoints.from_urls("http://127.0.0.1:9/query"), base_iri=TEST_BASE_IRI)
    assert _store_folder(RemoteBackend(remote)) is None


def test_the_precomputed_coauthor_graph_is_the_one_the_store_gives(
    readonly: KGStore, store_folder: Path
) -> None:
    generation = readonly.generation
    assert generation is not None
    stored = PrecomputedReports(store_folder).coauthor_graph(generation)
    built = CoauthorGraph.from_backend(LocalBackend(readonly))
    assert stored is not None and stored.edge_count > 0
    assert (stored.authors, stored.papers) == (built.authors, built.papers)
    for name in ("offsets", "neighbours", "via"):
        assert np.array_equal(getattr(stored, name), getattr(built, name)), name
    assert stored.version == generation
    # Read for its own generation only.
    assert PrecomputedReports(store_folder).coauthor_graph("01700000000000000000") is None


@pytest.mark.parametrize("damage", ["cut", "edited-meta", "other-query"])
def test_a_damaged_coauthor_graph_file_is_built_again(
    tmp_path: Path, store_folder: Path, reports: Reports, damage: str
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(store_folder, folder)
    store = KGStore.open_readonly(folder)
    try:
        generation = store.generation
        assert generation is not None
        meta_path = folder / PRECOMPUTED / generation / "collaboration-path.graph.json"
        data_path = meta_path.with_suffix(".npz")
        if damage == "cut":
            data_path.write_bytes(data_path.read_bytes()[:-100])
        else:
            meta = json.loads(meta_path.read_text())
            if damage == "edited-meta":
                meta["generation"] = "01700000000000000000"
            else:
                meta["query"] = hashlib.sha256(b"another query").hexdigest()
            meta_path.write_text(json.dumps(meta))
        assert PrecomputedReports(folder).coauthor_graph(generation) is None
        spy = RecordingBackend(store)
        runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(folder))
        graph = runner.build_coauthor_graph()
        assert [q.query for q in spy.requests] == [PAIRS_QUERY]
        assert graph.edge_count == CoauthorGraph.from_backend(LocalBackend(store)).edge_count
    finally:
        store.close()


def test_a_coauthor_graph_archive_that_does_not_fit_together_is_refused() -> None:
    graph = CoauthorGraph.from_pairs([("p1", "a"), ("p1", "b"), ("p2", "b"), ("p2", "c")])
    again = CoauthorGraph.from_npz(graph.to_npz(), version="v")
    assert again.coauthors("b") == graph.coauthors("b") == {"a": "p1", "c": "p2"}
    broken = CoauthorGraph(
        graph.authors[:-1], graph.papers, graph.offsets, graph.neighbours, graph.via
    )
    with pytest.raises(ValueError):
        CoauthorGraph.from_npz(broken.to_npz(), version="v")
    with pytest.raises(ValueError):
        CoauthorGraph.from_npz(b"not an archive", version="v")


@pytest.mark.parametrize("min_papers", ["2", "3", "5"])
def test_the_ambiguity_engine_reads_the_top_authors_from_their_default_rows(
    readonly: KGStore, store_folder: Path, reports: Reports, min_papers: str
) -> None:
    """possible-duplicate-authors?min_papers=N cuts the precomputed top-authors rows instead of
    running top-authors-by-papers for N (a whole-graph query: minutes at 1M papers); the
    authors it considers are those of that query, in its order."""
    spy = RecordingBackend(readonly)
    runner = ReportRunner(reports, spy, SCHEME, precomputed=PrecomputedReports(store_folder))
    runner.run_named("possible-duplicate-authors", {"min_papers": min_papers})
    top_query = reports["top-authors-by-papers"].query
    assert [q for q in spy.requests if q.query == top_query] == []
    live = ReportRunner(reports, LocalBackend(readonly), SCHEME)
    wanted = live.run_named("top-authors-by-papers", {"min_papers": min_papers})
    default = live.run_named("top-authors-by-papers", {})
    at = {c: i for i, c in enumerate(default.columns)}
    cut = [
        (row[at["author"]], row[at["papers"]])
        for row in default.rows
        if int(row[at["papers"]].value) >= int(min_papers)
    ]
    w_at = {c: i for i, c in enumerate(wanted.columns)}
    # Authors that tie on papers and name may come in either order: compare as sorted lists.
    key = lambda pair: (-int(pair[1].value), pair[0].value)  # noqa: E731
    assert sorted(cut, key=key) == sorted(
        ((row[w_at["author"]], row[w_at["papers"]]) for row in wanted.rows), key=key
    )
    assert cut  # the seeds have authors with that many papers

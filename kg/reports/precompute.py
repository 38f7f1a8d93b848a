"""Whole-graph reports computed once per store generation, at ingest, and kept beside the store.

The file layout, and the checks a file must pass to be used, are described in
:mod:`kg.reports.stored`, which reads them back. This module writes them: right after
``kg ingest`` publishes a checkpoint, :func:`precompute_store` runs each whole-graph report
for its default binding (in worker processes, each with the checkpoint open read-only)
and writes its rows and, for an engine report, its finished result.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import multiprocessing
import os
import queue
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.errors import StoreError
from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports, query_variables
from kg.reports.costs import Admission, TaskCost, own_cost, recorded_costs, write_costs
from kg.reports.crawls import crawl_dates
from kg.reports.definitions import Report, Reports
from kg.reports.engines import ENGINES
from kg.reports.engines.base import Engine
from kg.reports.engines.coauthor_graph import PAIRS_QUERY, CoauthorGraph
from kg.reports.incremental import EVERYTHING, Reads, query_reads
from kg.reports.incremental import union as union_reads
from kg.reports.ordering import sort_tsv, split_order_by
from kg.reports.results import Binding
from kg.reports.runner import ReportRunner
from kg.reports.stored import (
    COAUTHOR_GRAPH_REPORT,
    DATA_SUFFIX,
    FORMAT,
    GRAPH_SUFFIX,
    PRECOMPUTED,
    PrecomputedReports,
    code_fingerprint,
    default_binding,
    default_substitutions,
    has_default_binding,
    has_default_rows,
    pairs_fingerprint,
    query_fingerprint,
    reports_fingerprint,
    substitution_key,
)
from kg.sparql.results import SelectResult, write_tsv
from kg.store.changes import Touched, changes_between
from kg.store.embedded import SNAPSHOTS, KGStore, published_generation
from kg.store.query import LocalBackend, QueryRequest, execute

log = logging.getLogger(__name__)

#: The row cap of an engine that writes its query's rows (``answers_query_rows``): none.
UNCUT = 2**62

# -- writing ---------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, then os.replace: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_pair(
    meta_path: Path, meta: dict[str, Any], data: bytes, suffix: str = DATA_SUFFIX
) -> int:
    """Write a data file, then its side file; returns the size of the data in bytes."""
    _write_atomic(meta_path.with_suffix(f".{suffix}"), data)
    meta = {
        **meta,
        "format": FORMAT,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _write_atomic(
        meta_path, json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    return len(data)


def _count_solutions(data: bytes) -> int:
    """How many solutions a SPARQL TSV document holds: its lines after the header (the
    writer escapes line breaks in literals)."""
    return data.count(b"\n") - 1


@dataclass(frozen=True, slots=True)
class Written:
    """One precomputed file: which report, rows or result, how many rows, how long it took;
    ``carried``: copied from an earlier checkpoint's files (:mod:`kg.reports.incremental`);
    ``kept``: already there, written for this checkpoint by an earlier precompute of it
    (one that was stopped part-way, or that finished)."""

    report: str
    kind: str
    rows: int
    seconds: float
    bytes: int
    carried: bool = False
    kept: bool = False


def precomputed_names(reports: Reports, scheme: IriScheme) -> list[str]:
    """The reports that get files: whole-graph ones with default rows or a default binding
    (a report whose defaults are crawl dates gets them when the store has those dates)."""
    names = []
    for name in reports:
        report = reports[name]
        if report.cost == "whole-graph" and (
            _has_rows(report) or (report.engine is not None and has_default_binding(report))
        ):
            names.append(name)
    return names


def _engine(report: Report) -> Engine | None:
    return None if report.engine is None else ENGINES.get(report.engine)


def _has_rows(report: Report) -> bool:
    """Whether the report's query rows for its default binding get a file (on a store that
    has the crawl dates its store defaults need): a plain report's are its answer; an
    engine's only when the engine reads them."""
    engine = _engine(report)
    if engine is not None and not (engine.reads_rows or engine.answers_query_rows):
        return False
    return has_default_rows(report)


def precompute_tasks(reports: Reports, scheme: IriScheme) -> list[str]:
    """What a precompute computes, a report name a task: the co-author graph of
    collaboration-path first (it is among the longest), then :func:`precomputed_names`,
    an engine that runs other reports or reads the co-author graph after them (the
    ambiguity engine reads the rows of top-authors-by-papers from their file once it is
    written, else it runs that query; the coauthor-counts engine reads the graph's file,
    else it builds the graph again)."""
    names = precomputed_names(reports, scheme)
    coauthors = reports.get(COAUTHOR_GRAPH_REPORT)
    if coauthors is not None and coauthors.engine == COAUTHOR_GRAPH_REPORT:
        names.insert(0, COAUTHOR_GRAPH_REPORT)

    def later(name: str) -> bool:
        engine = _engine(reports[name])
        return engine is not None and (bool(engine.runs) or engine.graph)

    return [n for n in names if not later(n)] + [n for n in names if later(n)]


class _Job:
    """What computing the reports of one generation needs (in this process or a worker)."""

    def __init__(
        self,
        store: KGStore,
        reports: Reports,
        scheme: IriScheme,
        max_rows: int,
        dates: tuple[str, ...] | None = None,
    ):
        if store.folder is None or store.generation is None:
            raise StoreError("only a published store folder has precomputed reports")
        self.store = store
        self.reports = reports
        self.scheme = scheme
        self.max_rows = max_rows
        self.generation = store.generation
        self.target = Path(store.folder) / PRECOMPUTED / self.generation
        self.fingerprint = reports_fingerprint(reports)
        self._runner: ReportRunner | None = None
        self._dates = dates

    def crawl_dates(self) -> tuple[str, ...]:
        """The checkpoint's crawl dates, which the store defaults of the reports over time
        resolve to (read once: the workers get them from the main process)."""
        if self._dates is None:
            self._dates = crawl_dates(LocalBackend(self.store))
        return self._dates

    def default_substitutions(self, name: str) -> dict[str, Any] | None:
        return default_substitutions(self.reports[name], self.scheme, self.crawl_dates())

    def default_binding(self, name: str) -> Binding | None:
        return default_binding(self.reports[name], self.scheme, self.crawl_dates())

    def runner(self) -> ReportRunner:
        if self._runner is None:
            # An engine may run other reports (ambiguity: top authors, then co-author groups):
            # one runner, its cache on, gives them all. It reads the rows written before it
            # (the ambiguity engine reads its own query's rows, written just before).
            assert self.store.folder is not None
            self._runner = ReportRunner(
                self.reports,
                LocalBackend(self.store),
                self.scheme,
                max_rows=self.max_rows,
                precomputed=PrecomputedReports(self.store.folder),
            )
        return self._runner

    def kinds(self, name: str) -> list[str]:
        """The files a task writes: "graph", or "rows" and (an engine report) "result"."""
        report = self.reports[name]
        if name == COAUTHOR_GRAPH_REPORT and report.engine == COAUTHOR_GRAPH_REPORT:
            return ["graph"]
        kinds = []
        if _has_rows(report) and self.default_substitutions(name) is not None:
            kinds.append("rows")
        if report.engine is not None and self.default_binding(name) is not None:
            kinds.append("result")
        return kinds

    def reads(self, name: str, kind: str) -> Reads:
        """What a file's content depends on (:mod:`kg.reports.incremental`)."""
        if kind == "graph":
            return query_reads(PAIRS_QUERY)
        if kind == "rows":
            return query_reads(self.reports[name].query)
        # An engine's answer: its query, the co-author pairs, and the reports it runs.
        return union_reads([query_reads(PAIRS_QUERY), *self._engine_reads(name, set())])

    def _engine_reads(self, name: str, seen: set[str]) -> list[Reads]:
        """What a report reads, with the reports its engine runs (and theirs)."""
        if name in seen:
            return []
        seen.add(name)
        report = self.reports.get(name)
        if report is None:
            return [EVERYTHING]
        out = [query_reads(report.query)]
        if report.engine is not None:
            engine = ENGINES.get(report.engine)
            if engine is None or engine.runs is None:
                return [EVERYTHING]
            for other in engine.runs:
                out.extend(self._engine_reads(other, seen))
        return out

    def expected(self, name: str, kind: str) -> dict[str, Any]:
        """What a side file of this generation must say (but its generation and its data)."""
        report = self.reports[name]
        if kind == "graph":
            return {
                "kind": kind,
                "report": name,
                "query": pairs_fingerprint(),
                "code": code_fingerprint(),
            }
        if kind == "rows":
            # Crawl dates resolved for this checkpoint: a file of an earlier one whose
            # default dates were others (a crawl since) does not match, and is not copied.
            substitutions = self.default_substitutions(name) or {}
            return {
                "kind": kind,
                "report": name,
                "query": query_fingerprint(report),
                "substitutions": substitution_key(substitutions),
                "code": code_fingerprint(),
            }
        binding = self.default_binding(name)
        assert binding is not None
        return {
            "kind": kind,
            "report": name,
            "reports": self.fingerprint,
            "max_rows": self.max_rows,
            "binding": [list(item) for item in binding.key()],
            "code": code_fingerprint(),
        }

    def carry(self, name: str, kind: str, previous: str) -> Written | None:
        """Copy a file of checkpoint ``previous`` into this generation, when it is there,
        checks out (size and digest) and was computed from the same query, substitutions,
        reports and row cap as this generation's would be. None otherwise."""
        started = time.perf_counter()
        suffix = GRAPH_SUFFIX if kind == "graph" else DATA_SUFFIX
        loaded = PrecomputedReports(self.target.parent.parent).checked(previous, name, kind, suffix)
        if loaded is None:
            return None
        meta, data = loaded
        expected = self.expected(name, kind)
        if any(meta.get(key) != value for key, value in expected.items()):
            return None
        kept = {k: v for k, v in meta.items() if k not in ("format", "bytes", "sha256")}
        kept["generation"] = self.generation
        size = _write_pair(self.target / f"{name}.{kind}.json", kept, data, suffix)
        count = int(meta.get("count") or 0)
        return Written(name, kind, count, time.perf_counter() - started, size, carried=True)

    def kept(self, name: str, kind: str) -> Written | None:
        """This checkpoint's own file, when an earlier precompute of it wrote it whole from
        the same query, substitutions, reports, row cap and code as this one would."""
        suffix = GRAPH_SUFFIX if kind == "graph" else DATA_SUFFIX
        meta = PrecomputedReports(self.target.parent.parent).written(
            self.generation, name, kind, self.expected(name, kind), suffix
        )
        if meta is None:
            return None
        return Written(name, kind, int(meta.get("count") or 0), 0.0, int(meta["bytes"]), kept=True)

    def _engine_rows(self, name: str, substitutions: dict[str, Any]) -> bytes:
        """The rows of a report's query for its default binding as its engine gives them
        (``answers_query_rows``: the query's rows, without running the query), uncut, in the
        query's columns (a substituted variable projected as its term), as SPARQL TSV."""
        report = self.reports[name]
        binding = self.default_binding(name)
        assert report.engine is not None and binding is not None
        assert self.store.folder is not None
        runner = ReportRunner(
            self.reports,
            LocalBackend(self.store),
            self.scheme,
            max_rows=UNCUT,
            precomputed=PrecomputedReports(self.store.folder),
        )
        result = ENGINES[report.engine].run(runner, report, binding)
        variables = query_variables(report.query, substitutions)
        if result.truncated or not set(variables) <= {*result.columns, *substitutions}:
            raise StoreError(f"report {name!r}: its engine did not give its query's rows")
        at = {column: i for i, column in enumerate(result.columns)}
        rows = [
            tuple(row[at[v]] if v in at else substitutions[v] for v in variables)
            for row in result.rows
        ]
        out = io.BytesIO()
        write_tsv(SelectResult(variables, rows), out)
        return out.getvalue()

    def _query_rows(self, name: str, substitutions: dict[str, Any]) -> bytes:
        """All the rows of a report's query for its default binding, as SPARQL TSV, in the
        query's order: the store writes the solutions as it evaluates them (no row cap, no
        Python terms), as a live select() evaluates the same request; the query runs without
        its ``ORDER BY`` and the rows are ordered here where :mod:`kg.reports.ordering` can
        give SPARQL's order (the store's sort is the larger part of some reports' cost)."""
        query = self.reports[name].query
        split = split_order_by(query)
        if split is not None:
            # Passed on, not kept: sort_tsv drops it once it holds the rows as lines.
            ordered = sort_tsv(self._run(name, split.unsorted, substitutions), split.order)
            if ordered is not None:
                return ordered
            # Not an error, but it costs a second run of the query: worth seeing in the log.
            log.info(
                "report %r: rows not ordered here (a term of another kind); the store orders them",
                name,
            )
        return self._run(name, query, substitutions)

    def _run(self, name: str, query: str, substitutions: dict[str, Any]) -> bytes:
        outcome = execute(
            self.store,
            QueryRequest(query, substitutions=dict(substitutions), result_format=DATA_SUFFIX),
        )
        if outcome.body is None:
            raise StoreError(f"report {name!r}: a whole-graph report must be a SELECT query")
        return outcome.body

    def compute(self, name: str, kinds: frozenset[str] | None = None) -> list[Written]:
        """Write the files of one report: its rows, then its engine result (collaboration-path:
        its co-author graph); ``kinds``: only those of them (None: all)."""
        report = self.reports[name]
        written: list[Written] = []
        if name == COAUTHOR_GRAPH_REPORT and report.engine == COAUTHOR_GRAPH_REPORT:
            started = time.perf_counter()
            graph = CoauthorGraph.from_backend(LocalBackend(self.store))
            size = _write_pair(
                self.target / f"{name}.graph.json",
                {
                    **self.expected(name, "graph"),
                    "generation": self.generation,
                    "count": graph.edge_count,
                },
                graph.to_npz(),
                GRAPH_SUFFIX,
            )
            return [Written(name, "graph", graph.edge_count, time.perf_counter() - started, size)]
        substitutions = self.default_substitutions(name)
        if substitutions is not None and _has_rows(report) and (kinds is None or "rows" in kinds):
            started = time.perf_counter()
            engine = _engine(report)
            if engine is not None and engine.answers_query_rows:
                body = self._engine_rows(name, substitutions)
            else:
                body = self._query_rows(name, substitutions)
            count = _count_solutions(body)
            size = _write_pair(
                self.target / f"{name}.rows.json",
                {**self.expected(name, "rows"), "generation": self.generation, "count": count},
                body,
            )
            written.append(Written(name, "rows", count, time.perf_counter() - started, size))
        binding = self.default_binding(name)
        if (
            report.engine is not None
            and binding is not None
            and (kinds is None or "result" in kinds)
        ):
            started = time.perf_counter()
            result = self.runner().run(report, binding)
            if binding.notes and result.notes[: len(binding.notes)] == binding.notes:
                # Where the default binding's dates came from is said by the runner to each
                # request that leaves them out, not by the answer (a request giving the same
                # dates gets the same file).
                result = replace(result, notes=result.notes[len(binding.notes) :])
            out = io.BytesIO()
            write_tsv(SelectResult(result.columns, result.rows), out)
            size = _write_pair(
                self.target / f"{name}.result.json",
                {
                    # What a later checkpoint checks before copying it (expected()), and more.
                    **self.expected(name, "result"),
                    "generation": self.generation,
                    "count": len(result.rows),
                    "truncated": result.truncated,
                    "notes": list(result.notes),
                    "extra": dict(result.extra),
                },
                out.getvalue(),
            )
            written.append(
                Written(name, "result", len(result.rows), time.perf_counter() - started, size)
            )
        return written


def precompute(
    store: KGStore,
    reports: Reports,
    scheme: IriScheme,
    *,
    max_rows: int = 100_000,
    on_written: Callable[[Written], None] | None = None,
    incremental: bool = True,
) -> list[Written]:
    """Compute and write the whole-graph reports of the store's generation (a folder store), one
    after the other in this process. With ``incremental``, a file whose inputs no write
    touched since an earlier checkpoint's files were written is copied from those
    (:mod:`kg.reports.incremental`).

    ``store`` is read as it is (open the published checkpoint read-only:
    :func:`precompute_store`, which also runs them in parallel); ``max_rows`` is the row
    cap of the servers that will read the engine results (``kg serve --max-rows``,
    default 100,000). Raises :class:`kg.errors.StoreError` for a store without a folder
    or generation; query errors propagate (an ingest that cannot compute a report should
    say so).
    """
    job = _Job(store, reports, scheme, max_rows)
    written: list[Written] = []
    for name, items, left in _carry_over(job, precompute_tasks(reports, scheme), incremental):
        if left is None or left:
            items = sorted(items + job.compute(name, left), key=lambda w: _KINDS.index(w.kind))
        for item in items:
            written.append(item)
            if on_written:
                on_written(item)
    assert store.folder is not None
    remove_stale(Path(store.folder))
    return written


def _in_report_order(reports: Reports, names: list[str]) -> list[str]:
    order = list(reports)
    return sorted(names, key=lambda name: order.index(name) if name in order else -1)


#: The order of a task's files.
_KINDS = ("graph", "rows", "result")


def previous_files(folder: Path, generation: str) -> tuple[str, Touched] | None:
    """The newest earlier checkpoint that has precomputed files, and what the writes
    since it touched (:mod:`kg.store.changes`); None when there is none, or when the
    records of the checkpoints in between are not all there."""
    root = folder / PRECOMPUTED
    if not root.is_dir():
        return None
    earlier = sorted(
        (e.name for e in root.iterdir() if e.is_dir() and e.name < generation), reverse=True
    )
    for previous in earlier[:1]:
        touched = changes_between(folder, previous, generation)
        if touched is not None:
            return previous, touched
    return None


def _carry_over(
    job: _Job, names: list[str], enabled: bool
) -> list[tuple[str, list[Written], frozenset[str] | None]]:
    """For each task: the files this checkpoint already has (an earlier precompute of it
    was stopped part-way: a second ``kg ingest`` or ``kg precompute`` computes only the
    rest) and those copied from an earlier checkpoint (whose inputs the writes since did
    not touch), and the kinds left to compute (None: all, empty: none)."""
    if not enabled:
        return [(name, [], None) for name in names]
    found = previous_files(job.target.parent.parent, job.generation)
    out: list[tuple[str, list[Written], frozenset[str] | None]] = []
    for name in names:
        carried: list[Written] = []
        left: set[str] = set()
        for kind in job.kinds(name):
            item = job.kept(name, kind)
            if item is None and found is not None:
                previous, touched = found
                if not job.reads(name, kind).affected_by(touched):
                    item = job.carry(name, kind, previous)
            if item is None:
                left.add(kind)
            else:
                carried.append(item)
        out.append((name, carried, frozenset(left)))
    return out


#: The job of a worker process, made by its task (a process runs one: an error there reaches
#: the caller as that task's error, where one in a pool initializer would only break the pool).
_worker_job: _Job | None = None
_worker_args: tuple[str, str, Reports, IriScheme, int, tuple[str, ...]] | None = None
#: Where a worker says which task it started, and its process id (see _Watch).
_worker_started: Any = None

#: How often the precompute looks for a task whose process is gone without an answer, and
#: how long after its process is gone it waits for the answer (which the pool hands over a
#: moment after the process has sent it and ended: longer on a machine short of memory,
#: which is when a process is killed).
_CHECK_SECONDS = 1.0
_LOST_GRACE_SECONDS = 30.0


#: How the precompute's workers start: forked from a server process that has imported this
#: module where the platform has one, spawned elsewhere (Windows).
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _run_task(
    task: tuple[Callable[[str, frozenset[str] | None], list[Written]], str, frozenset[str] | None],
) -> tuple[str, list[Written], TaskCost | None]:
    """A worker's task: one report's name, what computing it wrote, and what its process
    cost (the process runs this one task). The task function travels with the task (by
    name), so a test's recording function reaches the workers."""
    compute, name, kinds = task
    started = time.perf_counter()
    if _worker_started is not None:
        _worker_started.put((name, os.getpid()))
    written = compute(name, kinds)
    return name, written, own_cost(started, _worker_args[1] if _worker_args else "")


def _worker_start(started: Any, *args: Any) -> None:
    global _worker_args, _worker_started
    _worker_started = started
    _worker_args = args


class _Watch:
    """The processes of the tasks running, from what the workers say when they start one:
    a process killed by the system (out of memory) never answers, and the pool, which starts
    another in its place, never says so (the precompute, and the ingest holding the store's
    writer lock, would wait for ever)."""

    def __init__(self, started: Any):
        self.started = started
        self.pids: dict[str, int] = {}
        self.gone: dict[str, float] = {}

    def lost(self, running: set[str]) -> str | None:
        """A running task whose process ended more than a moment ago without an answer."""
        while not self.started.empty():
            name, pid = self.started.get()
            self.pids[name] = pid
        now = time.monotonic()
        for name in sorted(running):
            pid = self.pids.get(name)
            if pid is None or _alive(str(pid)):
                continue
            if now - self.gone.setdefault(name, now) > _LOST_GRACE_SECONDS:
                return name
        return None


def _worker_compute(name: str, kinds: frozenset[str] | None = None) -> list[Written]:
    global _worker_job
    if _worker_job is None:
        assert _worker_args is not None
        folder, generation, reports, scheme, max_rows, dates = _worker_args
        # That checkpoint, published or not yet (kg ingest publishes it after this).
        store = KGStore.open_readonly(folder, generation)
        _worker_job = _Job(store, reports, scheme, max_rows, dates)
    return _worker_job.compute(name, kinds)


def precompute_store(
    folder: str | os.PathLike[str],
    scheme: IriScheme,
    *,
    queries_dir: str | Path | None = None,
    max_rows: int = 100_000,
    on_written: Callable[[Written], None] | None = None,
    workers: int = 1,
    incremental: bool = True,
    generation: str | None = None,
) -> tuple[str, list[Written]]:
    """Precompute the whole-graph reports of the newest published checkpoint of a store folder
    (or of checkpoint ``generation``, which ``kg ingest`` precomputes before it publishes it).

    With ``workers`` above 1 the reports are computed in up to that many worker processes at
    a time, each report in a process of its own with the checkpoint open read-only (what it
    made goes back to the system when it is written), which records what it cost; those
    recorded before keep the largest apart (:mod:`kg.reports.costs`). The files are
    the same as with one (but for an order a query leaves open, which may differ from
    one process to the next). Returns the generation and the files written, in report
    order. Raises StoreError when the folder holds no published checkpoint (or a newer
    one is published while the workers start), ReportDefinitionError for a broken
    report file. ``incremental``: as for :func:`precompute`.

    >>> precompute_store("data/store", IriScheme(), workers=os.cpu_count() or 1)  # doctest: +SKIP
    ('01763000000000000000', [Written(report='organizations', kind='rows', ...), ...])
    """
    reports = load_reports(queries_dir, scheme=scheme)
    if workers <= 1:
        store = KGStore.open_readonly(folder, generation)
        try:
            # One process measures no report alone: the record of earlier checkpoints is
            # carried as it is (its figures name the checkpoint they were measured on).
            if store.generation is not None:
                target = Path(folder) / PRECOMPUTED / store.generation
                expected = recorded_costs(target.parent, store.generation)
                if expected:
                    target.mkdir(parents=True, exist_ok=True)
                    write_costs(target, expected)
            written = precompute(
                store,
                reports,
                scheme,
                max_rows=max_rows,
                on_written=on_written,
                incremental=incremental,
            )
            return store.generation or "", written
        finally:
            store.close()

    generation = generation or published_generation(Path(folder))
    if generation is None:
        raise StoreError(f"no data in store {folder}: run `kg ingest PATH --store {folder}` first")
    names = precompute_tasks(reports, scheme)
    by_report: dict[str, list[Written]] = {}
    # What can be copied from an earlier checkpoint is copied here; the rest goes to workers.
    store = KGStore.open_readonly(folder, generation)
    try:
        if store.generation != generation:
            raise StoreError(
                f"store {folder} moved on from checkpoint {generation} to {store.generation}"
            )
        job = _Job(store, reports, scheme, max_rows)
        plan = _carry_over(job, names, incremental)
        dates = job.crawl_dates()
    finally:
        store.close()
    todo: dict[str, frozenset[str] | None] = {}
    for name, carried, left in plan:
        by_report[name] = carried
        for item in carried:
            if on_written:
                on_written(item)
        if left is None or left:
            todo[name] = left
    # What each task cost last time; a task whose files were all copied keeps its figures.
    target = Path(folder) / PRECOMPUTED / generation
    expected = recorded_costs(target.parent, generation)
    write_costs(
        target, {name: expected[name] for name in names if name not in todo and name in expected}
    )
    if not todo:
        remove_stale(Path(folder))
        return generation, [
            item for name in _in_report_order(reports, names) for item in by_report[name]
        ]
    # One task per process: a worker that lived on after its report kept what the report
    # had made (its runner's cache, the co-author graph, the allocator's arenas), 1.7 GB
    # at 1M papers while the other worker built the co-author graph; a process that ends
    # gives it all back, so the peak is that of the reports running at once, not the sum
    # of what each worker ran before. (1 is not touched by CPython's gh-115634, a hang
    # with a limit above 1 in 3.11-3.13.) The workers fork from a server process that has
    # imported this module (a spawned one takes a second of imports per report) and
    # nothing else: not fork, since `kg ingest` calls this with its threads alive.
    context = multiprocessing.get_context(_START_METHOD)
    if _START_METHOD == "forkserver":
        context.set_forkserver_preload([__name__])
    # multiprocessing.Pool rather than ProcessPoolExecutor: when a report fails (or the user
    # interrupts), terminate() stops the reports still running (minutes each at 1M papers);
    # the executor can only cancel those not started, and with one task per process its
    # shutdown(wait=False) let its management thread fail on the workers that ended after.
    started = context.SimpleQueue()
    watch = _Watch(started)
    pool = context.Pool(
        processes=min(workers, len(todo)),
        initializer=_worker_start,
        initargs=(started, str(folder), generation, reports, scheme, max_rows, dates),
        maxtasksperchild=1,
    )
    # The large reports apart, by what each cost last time (kg.reports.costs).
    admission = Admission(todo, workers, expected)
    ended: queue.SimpleQueue[tuple[str, list[Written], TaskCost | None] | BaseException]
    ended = queue.SimpleQueue()
    try:
        while admission.pending or admission.running:
            while (starting := admission.next()) is not None:
                pool.apply_async(
                    _run_task,
                    ((_worker_compute, starting, todo[starting]),),
                    callback=ended.put,
                    error_callback=ended.put,
                )
            try:
                outcome = ended.get(timeout=_CHECK_SECONDS)
            except queue.Empty:
                lost = watch.lost(admission.running)
                if lost is not None:
                    raise StoreError(
                        f"report {lost}: its process was killed before it finished (out of "
                        "memory?); the reports computed so far are kept: run `kg precompute` "
                        "again, with --workers 1 if memory is short"
                    ) from None
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            name, items, cost = outcome
            # A task that computed only some of its files (the others copied or already
            # there) cost less than the task does: its earlier whole measure is kept.
            if by_report[name] and name in expected:
                cost = expected[name]
            admission.ended(name, cost)
            by_report[name] = sorted(by_report[name] + items, key=lambda w: _KINDS.index(w.kind))
            if cost is not None:
                write_costs(target, {name: cost})
            for item in items:
                if on_written:
                    on_written(item)
    except BaseException:
        pool.terminate()
        pool.join()
        # A worker stopped while writing leaves its temporary file (_write_atomic).
        for leftover in target.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        raise
    pool.close()
    pool.join()
    remove_stale(Path(folder))
    return generation, [
        item for name in _in_report_order(reports, names) for item in by_report[name]
    ]


def remove_stale(folder: Path) -> None:
    """Remove the precomputed reports of generations whose checkpoint is gone, and the
    temporary files of precomputes that were killed while writing (:func:`_write_atomic`
    names them after their process: one still running keeps its own)."""
    root = folder / PRECOMPUTED
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.is_dir() and not (folder / SNAPSHOTS / entry.name).is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir():
            for leftover in entry.glob(".*.tmp"):
                if not _alive(leftover.name.rsplit(".", 2)[-2]):
                    leftover.unlink(missing_ok=True)


def _alive(pid: str) -> bool:
    """Whether the process of this id (a temporary file's) may still be writing."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True

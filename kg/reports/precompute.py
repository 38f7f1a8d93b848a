"""Whole-graph reports computed once per store generation, at ingest, and kept beside the store.

A report marked ``# cost: whole-graph`` reads the whole graph: at 100k papers its query takes
seconds, at 1M tens of seconds. Its answer changes only when the data does, that is with
each published checkpoint (a *generation*, see :mod:`kg.store.embedded`). So ``kg ingest`` computes,
right after publishing, what such reports need, and writes it into the store folder::

    DIR/reports/<generation>/<report>.rows.tsv      the rows of the report's query for its
                                                    default binding, all of them (no row cap)
    DIR/reports/<generation>/<report>.rows.json     what they were computed for (below)
    DIR/reports/<generation>/<report>.result.tsv    an engine report's finished result for its
    DIR/reports/<generation>/<report>.result.json   default binding (possible duplicate authors)

A ``.tsv`` file is a standard SPARQL 1.1 TSV results document: the rows of a query are
written by pyoxigraph's own serializer as the store evaluates it, and every file is read
back by pyoxigraph's own parser, so no term goes through Python on the way out and only
the finished terms on the way in. TSV, not the JSON results format: it writes each term
in its N-Triples form, so it is as exact, and at 100k papers it is a half to a seventh
of the size and reads about 1.5 times as fast; a solution is one line (line breaks in
literals are escaped), so the rows are counted without parsing. Its ``.json`` side file
holds the checks: format, generation, report, substitutions, a fingerprint of the query
text, the row count, for a result the binding, the row cap and the truncation flag, and
the size and SHA-256 of the ``.tsv``.

*Rows* serve :meth:`kg.reports.ReportRunner.select`: a plain report's result for its
default binding (no optional filter), and the whole-graph input of the search and
ambiguity engines. *Results* serve :meth:`kg.reports.ReportRunner.run` for an engine
report whose answer is more than its query's rows. A request that binds something else
(an optional filter, another ``min_papers``) runs the query as before.

A stored answer must be exactly what a live query gives, so a file is used only when
its side file names the generation the server reads, the report, the same substitutions,
the same query text (an edited ``.rq`` file does not get an old answer) and, for an engine
result, the same row cap, and when the ``.tsv`` is the one the side file describes (same
size and digest); a file that cannot be read or does not check out is ignored (the live
query runs). Each file is written to a temporary name and ``os.replace``-d, the ``.tsv``
before its side file, so a reader never sees half a file, and one that reads a side file
while the next precompute replaces the ``.tsv`` finds the digest wrong. The folders of
generations whose checkpoint is gone are removed by the next precompute.

The reports are independent (an engine that needs its own query's rows computes them
in the same task), so :func:`precompute_store` runs them in worker processes, each with
the published checkpoint open read-only.

External stores (:mod:`kg.store.remote`) have no folder: their servers keep the in-memory
cache of :class:`kg.reports.ReportRunner` only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.rdf.iri import IriScheme
from kg.store.embedded import SNAPSHOTS, KGStore, published_generation

if TYPE_CHECKING:
    from kg.reports import Binding, Report, ReportResult, ReportRunner, Reports

#: The folder of a store that holds the precomputed reports, one sub-folder per generation.
PRECOMPUTED = "reports"
#: Version of the file layout; a side file of another version is ignored (1: compact JSON
#: terms in one file; 2: SPARQL TSV results in a .tsv file beside a .json side file).
FORMAT = 2
#: The extension of the data files (SPARQL 1.1 Query Results TSV).
DATA_SUFFIX = "tsv"
_DATA_FORMAT = ox.QueryResultsFormat.TSV
_GENERATION = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

Row = tuple[Any, ...]


def encode_term(term: Any) -> Any:
    """A pyoxigraph term (or None) as a JSON value that compares equal for equal terms
    (for the substitutions in a side file). Raises TypeError for a quoted triple."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        if term.language:
            return [term.value, "@" + term.language]
        return [term.value, term.datatype.value]
    if isinstance(term, ox.BlankNode):
        return {"bnode": term.value}
    raise TypeError(f"cannot store a {type(term).__name__} in a precomputed report")


# -- keys and fingerprints -------------------------------------------------------------------


def substitution_key(substitutions: Mapping[str, Any]) -> list[list[Any]]:
    """The substitutions of a query as a JSON value that compares equal for equal terms."""
    return [[name, encode_term(term)] for name, term in sorted(substitutions.items())]


def query_fingerprint(report: Report) -> str:
    """Changes when the report's query text does."""
    return hashlib.sha256(report.query.encode("utf-8")).hexdigest()


def reports_fingerprint(reports: Reports) -> str:
    """Changes when any report's query or engine does (an engine may run other reports)."""
    digest = hashlib.sha256()
    for name in sorted(reports):
        report = reports[name]
        digest.update(f"{name}\0{report.engine or ''}\0{report.query}\0".encode())
    return digest.hexdigest()


def default_substitutions(report: Report, scheme: IriScheme) -> dict[str, Any] | None:
    """What the report's query binds when no parameter is given (defaults only), or None
    when a parameter the query binds is required."""
    out: dict[str, Any] = {}
    for param in report.sparql_parameters:
        if param.required:
            return None
        if param.default is not None:
            out[param.name] = param.parse(param.default, scheme)[1]
    return out


def default_binding(report: Report, scheme: IriScheme) -> Binding | None:
    """The binding of a request that gives no parameter, or None when one is required."""
    from kg.errors import InvalidParameter
    from kg.reports import bind

    try:
        return bind(report, {}, scheme)
    except InvalidParameter:
        return None


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredRows:
    """A query's rows as precomputed: all of them (no cap was applied)."""

    variables: tuple[str, ...]
    rows: list[Row]


def parse_rows(data: bytes) -> tuple[tuple[str, ...], list[Row]]:
    """A SPARQL TSV results document as variables and rows of terms (None: unbound).

    Raises SyntaxError for a malformed document, ValueError for a boolean result.
    """
    solutions = ox.parse_query_results(data, _DATA_FORMAT)
    if not isinstance(solutions, ox.QuerySolutions):
        raise ValueError("a boolean result, not rows")
    variables = tuple(v.value for v in solutions.variables)
    # A solution iterates over its values in the order of the variables, unbound as None.
    return variables, [tuple(solution) for solution in solutions]


class PrecomputedReports:
    """The precomputed reports of one store folder (read side; see the module docstring).

    Lookups never raise for a bad file: a missing, unreadable, corrupt or mismatched
    file is None, and the caller runs the query.
    """

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.root = self.folder / PRECOMPUTED

    def path(self, generation: str, report: str, kind: str) -> Path | None:
        """The side file of a report's rows or result (its data file has the suffix .tsv)."""
        if not _GENERATION.match(generation):
            return None
        return self.root / generation / f"{report}.{kind}.json"

    def _load(self, generation: str, report: str, kind: str) -> tuple[dict[str, Any], bytes] | None:
        """The side file and the data it describes, when both are there and agree."""
        path = self.path(generation, report, kind)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                meta = json.load(handle)
            if (
                not isinstance(meta, dict)
                or meta.get("format") != FORMAT
                or meta.get("kind") != kind
                or meta.get("report") != report
                or meta.get("generation") != generation
            ):
                return None
            data = path.with_suffix(f".{DATA_SUFFIX}").read_bytes()
        except (OSError, ValueError):
            return None
        if len(data) != meta.get("bytes") or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None  # cut short, edited, or replaced by a later precompute
        return meta, data

    def rows(
        self, generation: str, report: Report, substitutions: Mapping[str, Any]
    ) -> StoredRows | None:
        """The precomputed rows of ``report``'s query with these substitutions, if any."""
        loaded = self._load(generation, report.name, "rows")
        if loaded is None:
            return None
        meta, data = loaded
        try:
            if meta.get("query") != query_fingerprint(report) or meta.get(
                "substitutions"
            ) != substitution_key(substitutions):
                return None
            variables, rows = parse_rows(data)
        except (SyntaxError, TypeError, ValueError):
            return None
        if len(rows) != meta.get("count"):
            return None
        return StoredRows(variables, rows)

    def result(
        self, generation: str, report: Report, binding: Binding, *, fingerprint: str, max_rows: int
    ) -> ReportResult | None:
        """The precomputed result of an engine report for this binding, if any."""
        from kg.reports import ReportResult

        loaded = self._load(generation, report.name, "result")
        if loaded is None:
            return None
        meta, data = loaded
        if meta.get("reports") != fingerprint or meta.get("max_rows") != max_rows:
            return None
        try:
            if meta.get("binding") != [list(item) for item in binding.key()]:
                return None
            columns, rows = parse_rows(data)
            notes = tuple(str(n) for n in meta.get("notes", ()))
            extra = dict(meta.get("extra") or {})
            truncated = bool(meta["truncated"])
        except (KeyError, SyntaxError, TypeError, ValueError):
            return None
        if len(rows) != meta.get("count"):
            return None
        return ReportResult(columns, rows, truncated, notes, extra)


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


def _write_pair(meta_path: Path, meta: dict[str, Any], data: bytes) -> int:
    """Write a data file, then its side file; returns the size of the data in bytes."""
    _write_atomic(meta_path.with_suffix(f".{DATA_SUFFIX}"), data)
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
    """One precomputed file: which report, rows or result, how many rows, how long it took."""

    report: str
    kind: str
    rows: int
    seconds: float
    bytes: int


def _precomputed_names(reports: Reports, scheme: IriScheme) -> list[str]:
    """The reports that get files: whole-graph ones with default rows or a default binding."""
    names = []
    for name in reports:
        report = reports[name]
        if report.cost == "whole-graph" and (
            default_substitutions(report, scheme) is not None
            or (report.engine is not None and default_binding(report, scheme) is not None)
        ):
            names.append(name)
    return names


class _Job:
    """What computing the reports of one generation needs (in this process or a worker)."""

    def __init__(self, store: KGStore, reports: Reports, scheme: IriScheme, max_rows: int):
        from kg.errors import StoreError

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

    def runner(self) -> ReportRunner:
        from kg.reports import ReportRunner
        from kg.store.query import LocalBackend

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

    def compute(self, name: str) -> list[Written]:
        """Write the files of one report: its rows, then its engine result."""
        from kg.errors import StoreError
        from kg.sparql.results import SelectResult, write_tsv
        from kg.store.query import QueryRequest, execute

        report = self.reports[name]
        written: list[Written] = []
        substitutions = default_substitutions(report, self.scheme)
        if substitutions is not None:
            started = time.perf_counter()
            # The store writes the solutions as it evaluates them (no row cap, no Python terms),
            # exactly as a live select() evaluates the same request.
            outcome = execute(
                self.store,
                QueryRequest(
                    report.query, substitutions=dict(substitutions), result_format=DATA_SUFFIX
                ),
            )
            if outcome.body is None:
                raise StoreError(f"report {name!r}: a whole-graph report must be a SELECT query")
            count = _count_solutions(outcome.body)
            size = _write_pair(
                self.target / f"{name}.rows.json",
                {
                    "kind": "rows",
                    "report": name,
                    "generation": self.generation,
                    "query": query_fingerprint(report),
                    "substitutions": substitution_key(substitutions),
                    "count": count,
                },
                outcome.body,
            )
            written.append(Written(name, "rows", count, time.perf_counter() - started, size))
        binding = default_binding(report, self.scheme)
        if report.engine is not None and binding is not None:
            started = time.perf_counter()
            result = self.runner().run(report, binding)
            out = io.BytesIO()
            write_tsv(SelectResult(result.columns, result.rows), out)
            size = _write_pair(
                self.target / f"{name}.result.json",
                {
                    "kind": "result",
                    "report": name,
                    "generation": self.generation,
                    "reports": self.fingerprint,
                    "max_rows": self.max_rows,
                    "binding": [list(item) for item in binding.key()],
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
) -> list[Written]:
    """Compute and write the whole-graph reports of the store's generation (a folder store), one
    after the other in this process.

    ``store`` is read as it is (open the published checkpoint read-only:
    :func:`precompute_store`, which also runs them in parallel); ``max_rows`` is the row
    cap of the servers that will read the engine results (``kg serve --max-rows``,
    default 100,000). Raises :class:`kg.errors.StoreError` for a store without a folder
    or generation; query errors propagate (an ingest that cannot compute a report should
    say so).
    """
    job = _Job(store, reports, scheme, max_rows)
    written: list[Written] = []
    for name in _precomputed_names(reports, scheme):
        for item in job.compute(name):
            written.append(item)
            if on_written:
                on_written(item)
    assert store.folder is not None
    remove_stale(Path(store.folder))
    return written


#: The job of a worker process, made by its first task (an error there reaches the caller as
#: that task's error, where one in a pool initializer would only break the pool).
_worker_job: _Job | None = None
_worker_args: tuple[str, str, Reports, IriScheme, int] | None = None


def _worker_start(*args: Any) -> None:
    global _worker_args
    _worker_args = args


def _worker_compute(name: str) -> list[Written]:
    global _worker_job
    from kg.errors import StoreError

    if _worker_job is None:
        assert _worker_args is not None
        folder, generation, reports, scheme, max_rows = _worker_args
        store = KGStore.open_readonly(folder)
        if store.generation != generation:
            # A newer checkpoint was published meanwhile: its own precompute writes its files.
            store.close()
            raise StoreError(
                f"store {folder} moved on from checkpoint {generation} to {store.generation}"
            )
        _worker_job = _Job(store, reports, scheme, max_rows)
    return _worker_job.compute(name)


def precompute_store(
    folder: str | os.PathLike[str],
    scheme: IriScheme,
    *,
    queries_dir: str | Path | None = None,
    max_rows: int = 100_000,
    on_written: Callable[[Written], None] | None = None,
    workers: int = 1,
) -> tuple[str, list[Written]]:
    """Precompute the whole-graph reports of the newest published checkpoint of a store folder.

    With ``workers`` above 1 the reports are computed by that many worker processes
    (at most one per report), each with the checkpoint open read-only; the files are
    the same as with one (but for an order a query leaves open, which may differ from
    one process to the next). Returns the generation and the files written, in report
    order. Raises StoreError when the folder holds no published checkpoint (or a newer
    one is published while the workers start), ReportDefinitionError for a broken
    report file.

    >>> precompute_store("data/store", IriScheme(), workers=os.cpu_count() or 1)  # doctest: +SKIP
    ('01763000000000000000', [Written(report='organizations', kind='rows', ...), ...])
    """
    from kg.errors import StoreError
    from kg.reports import load_reports

    reports = load_reports(queries_dir, scheme=scheme)
    if workers <= 1:
        store = KGStore.open_readonly(folder)
        try:
            written = precompute(store, reports, scheme, max_rows=max_rows, on_written=on_written)
            return store.generation or "", written
        finally:
            store.close()

    generation = published_generation(Path(folder))
    if generation is None:
        raise StoreError(f"no data in store {folder}: run `kg ingest PATH --store {folder}` first")
    names = _precomputed_names(reports, scheme)
    by_report: dict[str, list[Written]] = {}
    # spawn, not fork: `kg ingest` calls this with its writable store and its threads alive.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(names)) or 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(str(folder), generation, reports, scheme, max_rows),
    ) as pool:
        futures = {pool.submit(_worker_compute, name): name for name in names}
        try:
            for future in as_completed(futures):
                items = future.result()
                by_report[futures[future]] = items
                for item in items:
                    if on_written:
                        on_written(item)
        except BaseException:
            # One report failed (or the user interrupted): the others are not waited for.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    remove_stale(Path(folder))
    return generation, [item for name in names for item in by_report[name]]


def remove_stale(folder: Path) -> None:
    """Remove the precomputed reports of generations whose checkpoint is gone."""
    root = folder / PRECOMPUTED
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.is_dir() and not (folder / SNAPSHOTS / entry.name).is_dir():
            shutil.rmtree(entry, ignore_errors=True)

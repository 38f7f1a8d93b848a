"""Whole-graph reports computed once per store generation, at ingest, and kept beside the store.

A report marked ``# cost: whole-graph`` reads the whole graph: at 100k papers its query takes
seconds, at 1M tens of seconds. Its answer changes only when the data does, that is with
each published checkpoint (a *generation*, see :mod:`kg.store`). So ``kg ingest`` computes,
right after publishing, what such reports need, and writes it into the store folder::

    DIR/reports/<generation>/<report>.rows.json     the rows of the report's query for its
                                                    default binding, all of them (no row cap)
    DIR/reports/<generation>/<report>.result.json   an engine report's finished result for its
                                                    default binding (possible duplicate authors)

*Rows* serve :meth:`kg.reports.ReportRunner.select`: a plain report's result for its
default binding (no optional filter), and the whole-graph input of the search and
ambiguity engines. *Results* serve :meth:`kg.reports.ReportRunner.run` for an engine
report whose answer is more than its query's rows. A request that binds something else
(an optional filter, another ``min_papers``) runs the query as before.

A stored answer must be exactly what a live query gives, so a file is used only when
it names the generation the server reads, the report, the same substitutions, the same
query text (a fingerprint: an edited ``.rq`` file does not get an old answer) and, for
an engine result, the same row cap; a file that cannot be read or does not check out is
ignored (the live query runs). Files are written to a temporary name and
``os.replace``-d, so a reader never sees half a file. The folders of generations whose
checkpoint is gone are removed by the next precompute.

External stores (:mod:`kg.remote`) have no folder: their servers keep the in-memory
cache of :class:`kg.reports.ReportRunner` only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.iri import IriScheme
from kg.store import SNAPSHOTS, KGStore

if TYPE_CHECKING:
    from kg.reports import Binding, Report, ReportResult, Reports

#: The folder of a store that holds the precomputed reports, one sub-folder per generation.
PRECOMPUTED = "reports"
#: Version of the file layout; a file of another version is ignored.
FORMAT = 1
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_GENERATION = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

Row = tuple[Any, ...]


# -- terms as compact JSON -------------------------------------------------------------------
#
# A cell is null (unbound), a string (an IRI), [lexical] (an xsd:string literal),
# [lexical, "@lang"], [lexical, datatype IRI], or {"bnode": id}. Half the size of the SPARQL
# JSON results format and about twice as fast to read back into pyoxigraph terms.


def encode_term(term: Any) -> Any:
    """A pyoxigraph term (or None) as a compact JSON value. Raises TypeError for a quoted triple."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        if term.language:
            return [term.value, "@" + term.language]
        datatype = term.datatype.value
        return [term.value] if datatype == _XSD_STRING else [term.value, datatype]
    if isinstance(term, ox.BlankNode):
        return {"bnode": term.value}
    raise TypeError(f"cannot store a {type(term).__name__} in a precomputed report")


def _decoder() -> Callable[[Any], Any]:
    datatypes: dict[str, ox.NamedNode] = {}

    def decode(cell: Any) -> Any:
        if cell is None:
            return None
        if type(cell) is str:
            return ox.NamedNode(cell)
        if type(cell) is list:
            if len(cell) == 1:
                return ox.Literal(cell[0])
            tag = cell[1]
            if tag.startswith("@"):
                return ox.Literal(cell[0], language=tag[1:])
            datatype = datatypes.get(tag)
            if datatype is None:
                datatype = datatypes[tag] = ox.NamedNode(tag)
            return ox.Literal(cell[0], datatype=datatype)
        return ox.BlankNode(cell["bnode"])

    return decode


def decode_rows(cells: list[list[Any]]) -> list[Row]:
    """Rows of compact JSON cells back into pyoxigraph terms. Raises ValueError/TypeError/KeyError."""
    decode = _decoder()
    return [tuple(map(decode, row)) for row in cells]


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


class PrecomputedReports:
    """The precomputed reports of one store folder (read side; see the module docstring).

    Lookups never raise for a bad file: a missing, unreadable, corrupt or mismatched
    file is None, and the caller runs the query.
    """

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.root = self.folder / PRECOMPUTED

    def path(self, generation: str, report: str, kind: str) -> Path | None:
        if not _GENERATION.match(generation):
            return None
        return self.root / generation / f"{report}.{kind}.json"

    def _load(self, generation: str, report: str, kind: str) -> dict[str, Any] | None:
        path = self.path(generation, report, kind)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        if (not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kind") != kind
                or data.get("report") != report or data.get("generation") != generation):
            return None
        return data

    def rows(self, generation: str, report: Report, substitutions: Mapping[str, Any]) -> StoredRows | None:
        """The precomputed rows of ``report``'s query with these substitutions, if any."""
        data = self._load(generation, report.name, "rows")
        if data is None or data.get("query") != query_fingerprint(report):
            return None
        try:
            if data.get("substitutions") != substitution_key(substitutions):
                return None
            variables = tuple(str(v) for v in data["variables"])
            rows = decode_rows(data["rows"])
        except (KeyError, TypeError, ValueError):
            return None
        if len(rows) != data.get("count") or any(len(row) != len(variables) for row in rows):
            return None  # cut short or mangled
        return StoredRows(variables, rows)

    def result(self, generation: str, report: Report, binding: Binding, *, fingerprint: str,
               max_rows: int) -> ReportResult | None:
        """The precomputed result of an engine report for this binding, if any."""
        from kg.reports import ReportResult

        data = self._load(generation, report.name, "result")
        if data is None or data.get("reports") != fingerprint or data.get("max_rows") != max_rows:
            return None
        try:
            if data.get("binding") != [list(item) for item in binding.key()]:
                return None
            columns = tuple(str(c) for c in data["columns"])
            rows = decode_rows(data["rows"])
            notes = tuple(str(n) for n in data.get("notes", ()))
            extra = dict(data.get("extra") or {})
            truncated = bool(data["truncated"])
        except (KeyError, TypeError, ValueError):
            return None
        if len(rows) != data.get("count") or any(len(row) != len(columns) for row in rows):
            return None
        return ReportResult(columns, rows, truncated, notes, extra)


# -- writing ---------------------------------------------------------------------------------


def _write_json(path: Path, document: dict[str, Any]) -> int:
    """Write atomically (temporary name, then os.replace); returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path.stat().st_size


@dataclass(frozen=True, slots=True)
class Written:
    """One precomputed file: which report, rows or result, how many rows, how long it took."""

    report: str
    kind: str
    rows: int
    seconds: float
    bytes: int


def precompute(store: KGStore, reports: Reports, scheme: IriScheme, *, max_rows: int = 100_000,
               on_written: Callable[[Written], None] | None = None) -> list[Written]:
    """Compute and write the whole-graph reports of the store's generation (a folder store).

    ``store`` is read as it is (open the published checkpoint read-only:
    :func:`precompute_store`); ``max_rows`` is the row cap of the servers that will
    read the engine results (``kg serve --max-rows``, default 100,000). Raises
    :class:`kg.errors.StoreError` for a store without a folder or generation; query
    errors propagate (an ingest that cannot compute a report should say so).
    """
    from kg.errors import StoreError
    from kg.query import LocalBackend
    from kg.reports import ReportRunner

    if store.folder is None or store.generation is None:
        raise StoreError("only a published store folder has precomputed reports")
    generation = store.generation
    target = Path(store.folder) / PRECOMPUTED / generation
    # An engine may run other reports (ambiguity: top authors, then co-author groups): one
    # runner, its cache on, gives them all; no time limit and no cap on the stored rows.
    # The rows written first feed the engines after them (the ambiguity engine reads its own rows).
    runner = ReportRunner(reports, LocalBackend(store), scheme, max_rows=max_rows,
                          precomputed=PrecomputedReports(store.folder))
    fingerprint = reports_fingerprint(reports)
    written: list[Written] = []
    for name in reports:
        report = reports[name]
        if report.cost != "whole-graph":
            continue
        substitutions = default_substitutions(report, scheme)
        if substitutions is not None:
            started = time.perf_counter()
            variables, rows, _truncated = runner.select(report, substitutions, limit=None)
            size = _write_json(target / f"{name}.rows.json", {
                "format": FORMAT, "kind": "rows", "report": name, "generation": generation,
                "query": query_fingerprint(report), "substitutions": substitution_key(substitutions),
                "variables": list(variables), "count": len(rows),
                "rows": [[encode_term(t) for t in row] for row in rows],
            })
            item = Written(name, "rows", len(rows), time.perf_counter() - started, size)
            written.append(item)
            if on_written:
                on_written(item)
        binding = default_binding(report, scheme)
        if report.engine is not None and binding is not None:
            started = time.perf_counter()
            result = runner.run(report, binding)
            size = _write_json(target / f"{name}.result.json", {
                "format": FORMAT, "kind": "result", "report": name, "generation": generation,
                "reports": fingerprint, "max_rows": max_rows,
                "binding": [list(item) for item in binding.key()],
                "columns": list(result.columns), "count": len(result.rows), "truncated": result.truncated,
                "notes": list(result.notes), "extra": dict(result.extra),
                "rows": [[encode_term(t) for t in row] for row in result.rows],
            })
            item = Written(name, "result", len(result.rows), time.perf_counter() - started, size)
            written.append(item)
            if on_written:
                on_written(item)
    remove_stale(Path(store.folder))
    return written


def precompute_store(folder: str | os.PathLike[str], scheme: IriScheme, *, queries_dir: str | Path | None = None,
                     max_rows: int = 100_000, on_written: Callable[[Written], None] | None = None
                     ) -> tuple[str, list[Written]]:
    """Precompute the whole-graph reports of the newest published checkpoint of a store folder.

    Returns the generation and the files written. Raises StoreError when the folder
    holds no published checkpoint, ReportDefinitionError for a broken report file.

    >>> precompute_store("data/store", IriScheme())  # doctest: +SKIP
    ('01763000000000000000', [Written(report='organizations', kind='rows', ...), ...])
    """
    from kg.reports import load_reports

    reports = load_reports(queries_dir, scheme=scheme)
    store = KGStore.open_readonly(folder)
    try:
        written = precompute(store, reports, scheme, max_rows=max_rows, on_written=on_written)
        return store.generation or "", written
    finally:
        store.close()


def remove_stale(folder: Path) -> None:
    """Remove the precomputed reports of generations whose checkpoint is gone."""
    root = folder / PRECOMPUTED
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.is_dir() and not (folder / SNAPSHOTS / entry.name).is_dir():
            shutil.rmtree(entry, ignore_errors=True)

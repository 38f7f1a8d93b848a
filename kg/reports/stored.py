"""Precomputed whole-graph reports: their files beside the store, and how they are read back.

A report marked ``# cost: whole-graph`` reads the whole graph: at 100k papers its query takes
seconds, at 1M tens of seconds. Its answer changes only when the data does, that is with
each published checkpoint (a *generation*, see :mod:`kg.store.embedded`). So ``kg ingest`` computes,
right after publishing, what such reports need, and writes it into the store folder::

    DIR/reports/<generation>/<report>.rows.tsv      the rows of the report's query for its
                                                    default binding, all of them (no row cap;
                                                    an engine that answers with its query's
                                                    rows writes them without running it)
    DIR/reports/<generation>/<report>.rows.json     what they were computed for (below)
    DIR/reports/<generation>/<report>.result.tsv    an engine report's finished result for its
    DIR/reports/<generation>/<report>.result.json   default binding (possible duplicate authors)
    DIR/reports/<generation>/collaboration-path.graph.npz   the co-author graph of the
    DIR/reports/<generation>/collaboration-path.graph.json  collaboration-path report (CSR arrays)

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

The *graph* is :class:`kg.reports.engines.coauthor_graph.CoauthorGraph` as a NumPy archive
(arrays and IRIs, no pickles): a server's warm-up reads it instead of building it from
every paper -> author pair of the store (about 3 minutes at 1M papers, 1-2 s to read).

*Rows* serve :meth:`kg.reports.runner.ReportRunner.select`: a plain report's result for its
default binding (no optional filter), and the whole-graph input of the search and
ambiguity engines. *Results* serve :meth:`kg.reports.runner.ReportRunner.run` for an engine
report whose answer is more than its query's rows. A request that binds something else
(an optional filter, another ``min_papers``) is answered from the same rows where the report
declares a ``row-filter`` for it (:mod:`kg.reports.rowfilter`: the rows file, or an engine
result not cut by the row cap, read and indexed once per version, its rows read again
as requests pick them); otherwise it
runs the query as before. A default that is
a crawl date of the store (the reports over time: :mod:`kg.reports.crawls`) is resolved
for the checkpoint before the file is written and before it is looked up, so the file
answers the request without dates and the one that gives the same dates alike; after a
new crawl the dates differ and an older checkpoint's file is not carried over.

A stored answer must be exactly what a live query gives, so a file is used only when
its side file names the generation the server reads, the report, the same substitutions,
the same query text (an edited ``.rq`` file does not get an old answer) and, for an engine
result, the same row cap, and when the ``.tsv`` is the one the side file describes (same
size and digest); a file that cannot be read or does not check out is ignored (the live
query runs). Each file is written to a temporary name and ``os.replace``-d, the ``.tsv``
before its side file, so a reader never sees half a file, and one that reads a side file
while the next precompute replaces the ``.tsv`` finds the digest wrong. The folders of
generations whose checkpoint is gone are removed by the next precompute.

A file whose inputs did not change is not computed again: each write to the store notes
the predicates it may change (:mod:`kg.store.changes`), and a file of the previous checkpoint
whose query (or engine, with the reports it runs) reads none of the predicates changed since
is copied into the new generation, its side file naming the new generation
(:mod:`kg.reports.incremental`); only when its query text, substitutions, row cap and the
code that wrote it (pyoxigraph, the engines: ``code`` in the side file) are the same.

The reports are independent (an engine that needs its own query's rows computes them
in the same task), so :func:`kg.reports.precompute.precompute_store` runs them in worker processes, each with
the published checkpoint open read-only.

External stores (:mod:`kg.store.remote`) have no folder: their servers keep the in-memory
cache of :class:`kg.reports.runner.ReportRunner` only.

This module is the read side and the keys both sides share; writing is
:mod:`kg.reports.precompute`, which runs the reports with a runner.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.reports import engines
from kg.reports.definitions import EARLIEST_DATE, Report, Reports
from kg.reports.engines.coauthor_graph import PAIRS_QUERY, CoauthorGraph
from kg.reports.results import Binding, ReportResult, bind, store_defaults
from kg.reports.rowfilter import StoredTable, file_signature, read_whole

#: The folder of a store that holds the precomputed reports, one sub-folder per generation.
PRECOMPUTED = "reports"
#: Version of the file layout; a side file of another version is ignored (1: compact JSON
#: terms in one file; 2: SPARQL TSV results in a .tsv file beside a .json side file).
FORMAT = 2
#: The extension of the data files (SPARQL 1.1 Query Results TSV).
DATA_SUFFIX = "tsv"
#: The report whose co-author graph is precomputed, and the extension of that file (NumPy).
COAUTHOR_GRAPH_REPORT = "collaboration-path"
GRAPH_SUFFIX = "npz"
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


def pairs_fingerprint() -> str:
    """Changes when the query that reads the co-author graph's pairs does."""
    return hashlib.sha256(PAIRS_QUERY.encode("utf-8")).hexdigest()


def reports_fingerprint(reports: Reports) -> str:
    """Changes when any report's query or engine does (an engine may run other reports)."""
    digest = hashlib.sha256()
    for name in sorted(reports):
        report = reports[name]
        digest.update(f"{name}\0{report.engine or ''}\0{report.query}\0".encode())
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """Changes with the code that writes the files: pyoxigraph (it evaluates the queries and
    writes the rows), the ordering of those rows, and the report engines (results, the
    co-author graph). A file is
    carried into a later checkpoint (kg.reports.incremental) only when this is the same."""
    digest = hashlib.sha256(f"pyoxigraph {ox.__version__}\0".encode())
    # The order of a report's stored rows is kg.reports.ordering's (ties: by their line).
    ordering = Path(__file__).with_name("ordering.py")
    digest.update(ordering.name.encode() + b"\0" + ordering.read_bytes())
    for path in sorted(Path(engines.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def default_substitutions(
    report: Report, scheme: IriScheme, crawl_dates: Sequence[str] | None = None
) -> dict[str, Any] | None:
    """What the report's query binds for its stored answer: what it binds when no parameter
    is given (defaults, and store defaults read from ``crawl_dates``: :mod:`kg.reports.crawls`),
    except a parameter with an ``on-or-after`` row filter, bound to the earliest date (that
    answer holds every date's rows: :class:`~kg.reports.definitions.RowFilter`); None when a
    parameter the query binds is required or has a store default the store cannot give (a
    store of one crawl has no answer to store for papers-listed-since, whatever the date)."""
    if any(param.required for param in report.sparql_parameters):
        return None
    values: dict[str, str] = {}
    terms: dict[str, Any] = {}
    for param in report.sparql_parameters:
        if param.default is not None:
            values[param.name], terms[param.name] = param.parse(param.default, scheme)
    _notes, unresolved = store_defaults(report, values, terms, scheme, crawl_dates or ())
    if unresolved:
        return None
    for param in report.sparql_parameters:
        row_filter = report.row_filter(param.name)
        if row_filter is not None and row_filter.kind == "on-or-after":
            values[param.name], terms[param.name] = param.parse(EARLIEST_DATE, scheme)
    bound = {param.name for param in report.sparql_parameters}
    return {name: term for name, term in terms.items() if name in bound}


def default_binding(
    report: Report, scheme: IriScheme, crawl_dates: Sequence[str] | None = None
) -> Binding | None:
    """The binding of a request that gives no parameter, or None when one is required."""
    try:
        return bind(report, {}, scheme, crawl_dates=crawl_dates)
    except InvalidParameter:
        return None


def has_default_rows(report: Report) -> bool:
    """Whether the report's query runs with no parameter given (on a store that has the
    crawl dates its store defaults need): it may get a precomputed rows file."""
    return not any(param.required for param in report.sparql_parameters)


def has_default_binding(report: Report) -> bool:
    """Whether a request may give no parameter (as :func:`has_default_rows`, engine
    parameters included)."""
    return not any(param.required for param in report.parameters)


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

    def _side(
        self, generation: str, report: str, kind: str, expected: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """A file's side file, when it is there and names this layout, kind, report and
        generation, and says ``expected`` (checked before the data is read: a file of
        another query is not read on every request)."""
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
                or any(meta.get(key) != value for key, value in expected.items())
            ):
                return None
        except (OSError, TypeError, ValueError):
            return None
        return meta

    @staticmethod
    def _described(meta: Mapping[str, Any], data: bytes) -> bool:
        """Whether ``data`` is what the side file describes (not cut short, edited, or
        replaced by a later precompute)."""
        return len(data) == meta.get("bytes") and hashlib.sha256(data).hexdigest() == meta.get(
            "sha256"
        )

    def _load(
        self, generation: str, report: str, kind: str, suffix: str = DATA_SUFFIX
    ) -> tuple[dict[str, Any], bytes] | None:
        """The side file and the data it describes, when both are there and agree."""
        meta = self._side(generation, report, kind, {})
        if meta is None:
            return None
        path = self.path(generation, report, kind)
        assert path is not None
        try:
            data = path.with_suffix(f".{suffix}").read_bytes()
        except OSError:
            return None
        return (meta, data) if self._described(meta, data) else None

    def written(
        self,
        generation: str,
        report: str,
        kind: str,
        expected: Mapping[str, Any],
        suffix: str = DATA_SUFFIX,
    ) -> dict[str, Any] | None:
        """A file's side file, when it says ``expected`` and its data file has the size it
        gives (None otherwise): a file of this generation that an earlier precompute of it
        wrote whole (data first, side file last) before it stopped. The data is not read:
        a server checks it as it reads it."""
        meta = self._side(generation, report, kind, expected)
        path = self.path(generation, report, kind)
        if meta is None or path is None:
            return None
        try:
            size = path.with_suffix(f".{suffix}").stat().st_size
        except OSError:
            return None
        return meta if size == meta.get("bytes") else None

    def checked(
        self, generation: str, report: str, kind: str, suffix: str = DATA_SUFFIX
    ) -> tuple[dict[str, Any], bytes] | None:
        """A file's side file and data, when both are there and agree (None otherwise):
        what ``kg precompute`` copies into a later checkpoint whose writes left it as it is."""
        return self._load(generation, report, kind, suffix)

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

    def _opened(
        self,
        generation: str,
        report: Report,
        kind: str,
        expected: Mapping[str, Any],
        *,
        hidden: Collection[str],
        head: int,
    ) -> tuple[dict[str, Any], StoredTable] | None:
        """A file's side file and its ``.tsv`` as a table, when both are there and agree and
        the side file says ``expected`` (:meth:`_side`; a ``.tsv`` of another size is not
        read either).
        The table holds the file open, not mapped, so that one cut short in place cannot
        crash the process (:class:`~kg.reports.rowfilter.StoredTable`)."""
        meta = self._side(generation, report.name, kind, expected)
        if meta is None:
            return None
        path = self.path(generation, report.name, kind)
        assert path is not None
        try:
            fd = os.open(path.with_suffix(f".{DATA_SUFFIX}"), os.O_RDONLY)
        except OSError:
            return None
        table = None
        try:
            stat = os.fstat(fd)
            if stat.st_size != meta.get("bytes"):
                return None  # cut short or replaced: not worth reading
            data = read_whole(fd, stat.st_size)
            if not self._described(meta, data):
                return None
            table = StoredTable(
                fd,
                data,
                signature=file_signature(stat),
                filters=report.row_filters,
                hidden=hidden,
                head=head,
            )
        except (OSError, ValueError):
            return None
        finally:
            if table is None:
                os.close(fd)
        if len(table) != meta.get("count"):
            return None  # the table closes its file when it is collected
        return meta, table

    def table(
        self,
        generation: str,
        report: Report,
        substitutions: Mapping[str, Any],
        *,
        hidden: Collection[str] = (),
        head: int,
    ) -> StoredTable | None:
        """The precomputed rows of ``report``'s query with these substitutions, as a
        :class:`~kg.reports.rowfilter.StoredTable` (its filtered columns indexed, its rows
        read and parsed as they are asked for), with the same checks as :meth:`rows`; ``hidden`` and ``head``
        as the table takes them."""
        try:
            expected = {
                "query": query_fingerprint(report),
                "substitutions": substitution_key(substitutions),
            }
        except TypeError:
            return None
        found = self._opened(generation, report, "rows", expected, hidden=hidden, head=head)
        return None if found is None else found[1]

    def result_table(
        self,
        generation: str,
        report: Report,
        binding: Binding,
        *,
        fingerprint: str,
        max_rows: int,
    ) -> tuple[StoredTable, tuple[str, ...]] | None:
        """An engine report's precomputed result for this binding as a table, with its
        notes, when it holds every row (not cut by the row cap) and has no extras (an
        engine's drawing describes all the rows); the checks of :meth:`result`."""
        expected = {
            "reports": fingerprint,
            "max_rows": max_rows,
            "binding": [list(item) for item in binding.key()],
            "truncated": False,
        }
        found = self._opened(generation, report, "result", expected, hidden=(), head=max_rows)
        if found is None:
            return None
        meta, table = found
        if meta.get("extra"):
            return None
        return table, tuple(str(n) for n in meta.get("notes", ()))

    def coauthor_graph(self, generation: str) -> CoauthorGraph | None:
        """The co-author graph of the collaboration-path report, as ``kg precompute`` wrote it
        for this generation (the warm-up reads it in a second or two instead of building it
        from every paper -> author pair of the store: minutes at a million papers)."""
        loaded = self._load(generation, COAUTHOR_GRAPH_REPORT, "graph", GRAPH_SUFFIX)
        if loaded is None:
            return None
        meta, data = loaded
        try:
            if meta.get("query") != pairs_fingerprint():
                return None
            return CoauthorGraph.from_npz(data, version=generation)
        except ValueError:
            return None

    def result(
        self, generation: str, report: Report, binding: Binding, *, fingerprint: str, max_rows: int
    ) -> ReportResult | None:
        """The precomputed result of an engine report for this binding, if any."""
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

"""Running queries: one interface over the embedded store, in-process or isolated.

:class:`QueryRequest` says what to run; a backend returns a :class:`QueryOutcome`
with the bounded results. Backends:

* :class:`LocalBackend` runs in this process (the CLI, tests).
* :class:`kg.store.querypool.PooledBackend` runs each query in a worker process that
  can be killed: pyoxigraph cannot cancel a query, so a real timeout must stop
  a process.

Parameters always travel as ``substitutions`` (variable name -> term), never as
text spliced into the query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import pyoxigraph as ox

from kg import formats
from kg.errors import QuerySyntaxError, StoreError
from kg.rdf.namespace import PREFIXES
from kg.sparql.errors import readable
from kg.sparql.results import SelectResult, collect_solutions
from kg.sparql.text import declared_dataset
from kg.store.embedded import MERGED_GRAPH, DatasetGraphs, GraphStore, KGStore, merged_store

Kind = Literal["select", "ask", "graph"]


#: A graph that exists in no store: the empty part of a protocol dataset, and the dataset
#: for checking a query's text without reading data.
EMPTY_GRAPH = "urn:x-kg:no-graph"


@dataclass(frozen=True, slots=True)
class QueryRequest:
    query: str
    substitutions: Mapping[str, Any] | None = None
    default_graph: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None
    #: Cap on solutions or triples; None for no cap.
    limit: int | None = None
    #: Offer the project's prefixes (kg:, schema:, ...) without PREFIX lines.
    default_prefixes: bool = False
    #: For a SELECT, also write the response body in this results format (``json``,
    #: ``xml``, ``csv`` or ``tsv``) where the query runs: see :func:`native_body`.
    result_format: str | None = None


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    kind: Kind
    select: SelectResult | None = None
    boolean: bool | None = None
    triples: list[Any] = field(default_factory=list)
    truncated: bool = False
    #: The serialized SELECT result in the request's ``result_format`` (then ``select`` is None).
    body: bytes | None = None

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.select.dicts() if self.select else []


class QueryBackend(Protocol):
    #: The embedded store folder the backend reads (None: an external store, or a store
    #: in memory): its unpublished checkpoint's search index may answer (kg.store.changes).
    folder: Path | None

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome: ...

    def update(self, text: str, *, base_iri: str | None = None) -> None: ...

    def version(self) -> str:
        """Changes whenever the data may have changed (cache key)."""
        ...


def query_parses(
    backend: QueryBackend, *, base_iri: str | None, timeout: float | None
) -> Callable[[str], bool]:
    """A ``verify`` for :func:`kg.sparql.guard.check_remote_calls`: whether the engine
    parses a query, found by running it on an empty dataset on ``backend``.

    It runs on the backend (in a query worker, not in the caller's thread) because even
    on no data a query can compute for a long time; the backend's timeout bounds it.
    """

    def parses(text: str) -> bool:
        try:
            backend.run(
                QueryRequest(
                    text,
                    default_graph=(EMPTY_GRAPH,),
                    named_graphs=(EMPTY_GRAPH,),
                    base_iri=base_iri,
                    limit=1,
                ),
                timeout=timeout,
            )
        except QuerySyntaxError:
            return False
        except StoreError:
            return True  # it parsed, then failed on no data: only parsing matters here
        return True

    return parses


def update_parses(*, base_iri: str | None) -> Callable[[str], bool]:
    """A ``verify`` for :func:`kg.sparql.guard.check_remote_calls` on updates: whether
    pyoxigraph parses one, found by running it on an empty in-memory store (the text it
    is given has no SERVICE or LOAD left, so running it reaches nothing)."""

    def parses(text: str) -> bool:
        scratch = KGStore.in_memory()
        try:
            scratch.update(text, base_iri=base_iri)
        except SyntaxError:
            return False
        except Exception:  # only whether it parses matters here
            return True
        return True

    return parses


def execute(
    store: KGStore | None, request: QueryRequest, *, graphs: DatasetGraphs | None = None
) -> QueryOutcome:
    """Run one request against an open store (used by every backend).

    The default graph is the store's (the union of all sources) unless the
    request or the query itself (FROM, FROM NAMED) names a dataset. With ``graphs``
    (a dataset read elsewhere for a merge: see :class:`DatasetMerge`), the request runs
    on the merge of those instead, and ``store`` is not read. Raises QuerySyntaxError
    for malformed text.
    """
    target: GraphStore
    if graphs is not None:
        target = merged_store(graphs)
    elif store is None:
        raise StoreError("no store to run the query on")
    else:
        target = store
        merged = merged_dataset(store, request, PREFIXES if request.default_prefixes else None)
        if merged is not None:
            target, request = merged
    results = _evaluate(target, request)
    if request.result_format in NATIVE_RESULT_FORMATS and isinstance(results, ox.QuerySolutions):
        body = native_body(results, request.result_format, request.limit)
        if body is not None:
            return QueryOutcome("select", body=body)
        # Too long to be sure it is within the limit: evaluate again and count (the first
        # evaluation stopped after a bounded number of bytes).
        results = _evaluate(target, request)
    return _collect(results, request.limit)


#: The most triples copied to merge a dataset's default graph (see :class:`DatasetMerge`):
#: a few hundred profiles' graphs, copied in a few seconds (under the query timeout).
MAX_MERGED_TRIPLES = 250_000


@dataclass(frozen=True, slots=True)
class DatasetMerge:
    """How to run a request whose dataset merges several graphs (:func:`dataset_merge`).

    The default graph of a dataset that names several graphs (``FROM`` twice, or
    ``default-graph-uri`` repeated) is their RDF merge, a set; Oxigraph (embedded, or the
    Oxigraph server) evaluates it as the bag of their triples, so a triple two graphs
    state matches twice and every COUNT is off. Rewriting the query cannot fix that in
    general (a triple pattern made DISTINCT changes the counts of property paths,
    aggregates in subqueries, blank nodes), so the graphs are copied into one graph of a
    scratch store, a set, and the query runs there with that graph as its default graph:
    exactly the merge. Only such datasets pay for the copy; the copy runs where the
    query runs, under its timeout. The graphs are read where the store is: by the query
    worker from the embedded store, by the server from an external one (then sent to a
    query worker with the request: :meth:`kg.store.remote.RemoteBackend.run`).
    """

    #: The request to run instead: on the scratch store when ``defaults`` is not empty,
    #: else on the store itself (a dataset naming one graph several times).
    request: QueryRequest
    #: The graphs to merge into the scratch store's default graph (none, or two and more).
    defaults: tuple[str, ...] = ()
    #: The dataset's named graphs, copied beside the merge.
    named: tuple[str, ...] = ()


def dataset_merge(request: QueryRequest, prefixes: Mapping[str, str] | None) -> DatasetMerge | None:
    """What a request's dataset needs for set semantics: None when it names no graph
    more than once and at most one default graph (nothing to do), else a
    :class:`DatasetMerge`. ``prefixes`` are those offered without PREFIX lines."""
    defaults, named = list(request.default_graph), list(request.named_graphs)
    if not defaults and not named:
        declared = declared_dataset(request.query, base_iri=request.base_iri, prefixes=prefixes)
        if declared is None:
            return None
        defaults, named = declared
    unique = tuple(dict.fromkeys(defaults))
    if len(unique) == len(defaults) < 2:
        return None
    # On the scratch store, named graphs are the dataset's only (none: an empty one).
    named_graphs = tuple(named) or (EMPTY_GRAPH,)
    if len(unique) < 2:  # one graph named twice: that graph, which Oxigraph would read twice
        return DatasetMerge(replace(request, default_graph=unique, named_graphs=named_graphs))
    return DatasetMerge(
        replace(request, default_graph=(MERGED_GRAPH,), named_graphs=named_graphs),
        unique,
        tuple(named),
    )


def merged_dataset(
    store: GraphStore, request: QueryRequest, prefixes: Mapping[str, str] | None
) -> tuple[GraphStore, QueryRequest] | None:
    """The store and request to run instead when the request's dataset merges several
    graphs of ``store`` (see :class:`DatasetMerge`), or None."""
    merge = dataset_merge(request, prefixes)
    if merge is None:
        return None
    if not merge.defaults:
        return store, merge.request
    scratch = store.merged(list(merge.defaults), list(merge.named), max_triples=MAX_MERGED_TRIPLES)
    return scratch, merge.request


def evaluate(store: GraphStore, request: QueryRequest) -> Any:
    """pyoxigraph's results of one request on either store, without a cap (``kg query``):
    a dataset of several graphs is their merge, as in :func:`execute`.

    Raises QuerySyntaxError (a readable message), BadRequest (a dataset too large to
    merge) or StoreError.
    """
    merged = merged_dataset(store, request, PREFIXES if request.default_prefixes else None)
    if merged is not None:
        store, request = merged
    return _evaluate(store, request)


def _evaluate(store: GraphStore, request: QueryRequest) -> Any:
    options: dict[str, Any] = {}
    if request.default_prefixes:
        options["prefixes"] = PREFIXES
    try:
        default_graph = list(request.default_graph)
        if default_graph or request.named_graphs:
            return store.query(
                request.query,
                substitutions=request.substitutions,
                base_iri=request.base_iri,
                default_graph=default_graph or None,
                named_graphs=list(request.named_graphs) or None,
                **options,
            )
        return store.query(
            request.query, substitutions=request.substitutions, base_iri=request.base_iri, **options
        )
    except SyntaxError as error:
        raise QuerySyntaxError(
            readable(request.query, str(error), predeclared=options.get("prefixes"))
        ) from error
    except OSError as error:
        raise StoreError(f"query failed: {error}") from error


#: The results formats pyoxigraph writes natively, by the format keys of kg.formats.
NATIVE_RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    f.key: f.results for f in formats.FORMATS if f.results is not None
}
#: The fewest bytes one solution takes in each format as pyoxigraph writes it (an
#: empty solution: ``{}``, ``<result></result>``, a CRLF, a LF). A format not listed
#: counts 1 byte, which is always sound (the budget is only smaller).
MIN_SOLUTION_BYTES = {"json": 2, "xml": 17, "csv": 2, "tsv": 1}


class _OutputFull(Exception):
    """The native writer passed the byte budget (raised from inside its write calls)."""


class _BoundedOutput:
    """A write target for pyoxigraph's serializer that stops it after ``budget`` bytes."""

    def __init__(self, budget: int):
        self.budget = budget
        self.size = 0
        self.chunks: list[bytes] = []

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        if self.size > self.budget:
            raise _OutputFull
        self.chunks.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass


def native_body(solutions: ox.QuerySolutions, format_key: str, limit: int | None) -> bytes | None:
    """The solutions written by pyoxigraph's own serializer, when they are surely within ``limit``.

    Writing in the engine is several times cheaper than reading each solution into
    Python terms and writing them again, but it cannot stop after ``limit``
    solutions. So it is given a byte budget instead: ``limit + 1`` solutions take at
    least ``(limit + 1) * MIN_SOLUTION_BYTES`` bytes, so a complete output below that
    size holds at most ``limit`` solutions. Returns None when the output would pass
    the budget (the writer is stopped there, having read a bounded prefix); the
    caller then reads the solutions one by one and cuts at ``limit``.
    """
    if limit is None:
        return solutions.serialize(format=NATIVE_RESULT_FORMATS[format_key]) or b""
    output = _BoundedOutput((limit + 1) * MIN_SOLUTION_BYTES.get(format_key, 1) - 1)
    try:
        solutions.serialize(output, format=NATIVE_RESULT_FORMATS[format_key])  # type: ignore[arg-type]
    except _OutputFull:
        return None
    return b"".join(output.chunks)


def _collect(results: Any, limit: int | None) -> QueryOutcome:
    if isinstance(results, ox.QueryBoolean):
        return QueryOutcome("ask", boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        selected = collect_solutions(results, limit)
        return QueryOutcome("select", select=selected, truncated=selected.truncated)
    triples: list[Any] = []
    truncated = False
    for triple in results:
        if limit is not None and len(triples) >= limit:
            truncated = True
            break
        triples.append(triple)
    return QueryOutcome("graph", triples=triples, truncated=truncated)


class LocalBackend:
    """Runs queries in this process on an open store (no timeout)."""

    def __init__(self, store: KGStore):
        self.store = store
        self.folder = store.folder

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        return execute(self.store, request)

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        try:
            self.store.update(text, base_iri=base_iri)
        except SyntaxError as error:
            raise QuerySyntaxError(readable(text, str(error), update=True)) from error
        except OSError as error:
            raise StoreError(f"update failed: {error}") from error

    def version(self) -> str:
        return self.store.generation or str(self.store.count_quads())

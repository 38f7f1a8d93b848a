"""Running queries: one interface over the embedded store, in-process or isolated.

:class:`QueryRequest` says what to run; a backend returns a :class:`QueryOutcome`
with the bounded results. Backends:

* :class:`LocalBackend` runs in this process (the CLI, tests).
* :class:`kg.querypool.PooledBackend` runs each query in a worker process that
  can be killed: pyoxigraph cannot cancel a query, so a real timeout must stop
  a process.

Parameters always travel as ``substitutions`` (variable name -> term), never as
text spliced into the query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pyoxigraph as ox

from kg.errors import QuerySyntaxError, StoreError
from kg.namespace import PREFIXES
from kg.results import SelectResult, collect_solutions
from kg.store import KGStore

Kind = Literal["select", "ask", "graph"]


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


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    kind: Kind
    select: SelectResult | None = None
    boolean: bool | None = None
    triples: list[Any] = field(default_factory=list)
    truncated: bool = False

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.select.dicts() if self.select else []


class QueryBackend(Protocol):
    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome: ...

    def update(self, text: str, *, base_iri: str | None = None) -> None: ...

    def version(self) -> str:
        """Changes whenever the data may have changed (cache key)."""
        ...


def execute(store: KGStore, request: QueryRequest) -> QueryOutcome:
    """Run one request against an open store (used by every backend).

    The default graph is the store's (the union of all sources) unless the
    request or the query itself (FROM, FROM NAMED) names a dataset. Raises QuerySyntaxError for malformed text.
    """
    default_graph = list(request.default_graph)
    options: dict[str, Any] = {}
    if request.default_prefixes:
        options["prefixes"] = PREFIXES
    try:
        if default_graph or request.named_graphs:
            results = store.query(
                request.query,
                substitutions=request.substitutions,
                base_iri=request.base_iri,
                default_graph=default_graph or None,
                named_graphs=list(request.named_graphs) or None,
                **options,
            )
        else:
            results = store.query(
                request.query, substitutions=request.substitutions, base_iri=request.base_iri, **options
            )
        return _collect(results, request.limit)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from error
    except OSError as error:
        raise StoreError(f"query failed: {error}") from error


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

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        return execute(self.store, request)

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        try:
            self.store.update(text, base_iri=base_iri)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except OSError as error:
            raise StoreError(f"update failed: {error}") from error

    def version(self) -> str:
        return self.store.generation or str(self.store.count_quads())

"""What an engine is, and what it may ask of the runner that calls it.

An engine is a Python step behind a report, for what SPARQL cannot say (paths, fuzzy
ranking, graphs). It gets the runner as :class:`EngineRunner`, the small interface
engines need, so that engines sit below :mod:`kg.reports.runner`, which dispatches to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

from kg.reports.definitions import Report, Reports
from kg.reports.engines.coauthor_graph import CoauthorGraph
from kg.reports.params import Term
from kg.reports.results import Binding, ReportResult
from kg.store.query import QueryBackend

#: Whole-graph reports (and the whole-graph queries of their engines) may run this many
#: times the query time limit (once per store version).
WHOLE_GRAPH_TIMEOUT_FACTOR = 4.0


class IndexHit(Protocol):
    """One match of a full-text index (:class:`kg.search.index.Hit`)."""

    @property
    def iri(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...


class IndexMatches(Protocol):
    """What a full-text index answers (:class:`kg.search.index.Matches`)."""

    @property
    def hits(self) -> Sequence[IndexHit]: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


class TextIndex(Protocol):
    """The store's full-text index, as the search report uses it.

    :class:`kg.search.index.SearchIndex` is one; the layer above hands it to the runner
    (reports and search are siblings, so neither imports the other).
    """

    @property
    def store_version(self) -> str | None:
        """The store version the index is built for (None: it is not built)."""
        ...

    def best_matches(self, text: str, kinds: Sequence[str], *, limit: int) -> IndexMatches:
        """The best ``limit`` entities of these types for any text (never refused)."""
        ...

    def prefetch(self) -> int:
        """Bring the index into the page cache ahead of the first search; the bytes read."""
        ...


class EngineRunner(Protocol):
    """The part of :class:`kg.reports.runner.ReportRunner` that engines use."""

    reports: Reports
    backend: QueryBackend
    timeout: float | None
    #: The row cap of a report's rows (a result holds at most this many, else is truncated).
    max_rows: int
    #: Engine state that lives as long as one store version (search index, neighbours).
    memo: dict[str, Any]
    #: The store's full-text index (None: there is none, or the caller did not say).
    text_index: TextIndex | None

    def version(self) -> str: ...

    def crawl_dates(self) -> tuple[str, ...]: ...

    def select(
        self, report: Report, substitutions: Mapping[str, Term], *, limit: int | None = -1
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], bool]: ...

    def run_named(self, name: str, params: Mapping[str, str]) -> ReportResult: ...

    def coauthor_graph(self) -> CoauthorGraph | None: ...

    def build_coauthor_graph(self) -> CoauthorGraph: ...


@dataclass(frozen=True, slots=True)
class Engine:
    """A Python step behind a report: what SPARQL cannot say (paths, fuzzy ranking, graphs)."""

    run: Callable[[EngineRunner, Report, Binding], ReportResult]
    #: Variables the engine substitutes itself (beyond the report's SPARQL parameters).
    binds: tuple[str, ...] = ()
    #: Variables the engine reads from the query's rows.
    columns: tuple[str, ...] = ()
    #: The other reports it runs (``run_named``), on which its answer depends besides its
    #: own query and the co-author pairs; None: it may run any (kg.reports.incremental).
    runs: tuple[str, ...] | None = None
    #: Whether it reads its own query's rows for the default binding, so that ``kg
    #: precompute`` writes them beside its result (False: the result only; the engine runs
    #: its query only where it cannot answer otherwise).
    reads_rows: bool = True
    #: Whether it reads the co-author graph: ``kg precompute`` computes it after the other
    #: reports, once the graph's file is written, instead of building the graph again.
    graph: bool = False
    #: Whether its answer is its query's rows, in the query's order, for any binding (it
    #: only gets them another way): ``kg precompute`` then writes them, uncut and without
    #: running the query, as the report's rows file, from which the runner answers the
    #: default binding and, through the report's row filters, the others.
    answers_query_rows: bool = False
    #: What it does with the query, as the report page says it ("the X engine ...").
    summary: str = "works on its rows in Python"
    #: What a server's warm-up lets it read ahead, once the reports are warm (None: nothing):
    #: what every request of a store version would otherwise read first.
    prepare: Callable[[EngineRunner, Report], object] | None = None


def checked_against(report: Report, sha256: str) -> bool:
    """Whether the report's query is the text (SHA-256) an engine was checked against: an
    engine that gives its query's rows another way gives them only for that text."""
    return hashlib.sha256(report.query.encode("utf-8")).hexdigest() == sha256


def positions(variables: Sequence[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(variables)}


def text_of(term: Any) -> str | None:
    return None if term is None else str(term.value)


_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


def plain_text(term: Any) -> str | None:
    """The text of a plain string (an ``xsd:string`` literal without a language tag);
    None for any other term, whose order and text SPARQL treats otherwise."""
    if isinstance(term, ox.Literal) and term.language is None and term.datatype == _XSD_STRING:
        return term.value
    return None


def literal(value: str | None) -> ox.Literal | None:
    return None if value is None else ox.Literal(value)

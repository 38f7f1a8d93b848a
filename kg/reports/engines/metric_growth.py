"""The metric-growth engine: fastest-growing-authors' rows from each page's snapshots, read
once per store version.

The report's query (``queries/fastest-growing-authors.rq``, its definition) joins every
page's snapshot current on one date with its snapshot current on the other, for one metric,
and looks up each page's source and owner. For its default dates (the last two crawls) the
answer is precomputed, but any other pair ran the whole query: 1.3-2.2 CPU s at 100k papers,
about 20 s at 1M (docs/benchmark.md, "fastest-growing-authors for any two dates").

Nothing the query reads depends on the dates but which snapshot each page shows on them.
So the engine reads, once per store version and metric asked, every snapshot with its
values of the metric and the query's lookups of its source and owner (:data:`VALUES_QUERY`:
the query's own patterns and subqueries for one side, without the date filter), and the
pages' current owners once per version (:data:`CURRENT_OWNERS_QUERY`), and then answers
any pair of dates in Python, without asking the store: the query's date filter
(:mod:`kg.reports.engines.dated`), its join, ``?value_to - ?value_from``, its ``GROUP BY``
with the name aggregate, its ``ORDER BY DESC(?growth) ?author_name`` (rows tied on both,
which SPARQL leaves in any order, by the rest of the row) and the row cap.

Where it cannot be sure, the query runs (tests compare the two on stores of several crawls):

* the report's query text is not the one this engine was checked against
  (:data:`QUERY_SHA256`);
* a metric value is not an ``xsd:integer`` in canonical form within Oxigraph's 64 bits, or
  a difference is not (the project writes every metric as such an integer; the arithmetic
  and order of other numbers are the store's to give);
* a snapshot, its page, its graph, source or owner is a blank node (another query's answer
  may name it otherwise);
* a date is not a plain ``xsd:date`` (a time zone, an ill-formed one), or of the year 0000;
* the store moved while the engine read it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyoxigraph as ox

from kg.rdf.namespace import sparql_prologue
from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, checked_against, literal
from kg.reports.engines.dated import (
    Unsupported,
    capped,
    current_on,
    deadline,
    memoised,
    owner_name,
    rows_or_query,
    solutions,
    spelling_text,
    start_day,
    string_key,
    until_day,
)
from kg.reports.names import preferred_name
from kg.reports.results import Binding, ReportResult

#: SHA-256 of the query text (``Report.query``) whose rows this engine gives; a test checks
#: it against queries/fastest-growing-authors.rq (change both together, after checking).
QUERY_SHA256 = "f41cb63c72b8c100f922a0e8ae62d932cfef09030258fe2c89f135903930c0c7"
#: The report's columns (after its parameter columns are dropped), in the query's order.
COLUMNS = ("author", "author_name", "source", "value_from", "value_to", "growth")
#: The query's metrics: the ``metric`` parameter's values and the predicates they name.
METRICS = {
    "citations": "citationCount",
    "h_index": "hIndex",
    "profile_papers": "paperCount",
    "novelty_percent": "noveltyPercent",
    "ai_score": "aiScore",
}
_PREFIXES = sparql_prologue()
_VALUES_COLUMNS = (
    "snapshot",
    "graph",
    "date",
    "value",
    "specialized",
    "invalidated",
    "first",
    "source",
    "owner",
    "name",
)
#: Every snapshot with a value of one metric (its predicate put in for ``{predicate}``, one
#: of :data:`METRICS`), as each side of the query matches it before its date filter, with
#: the query's lookups of its source and of its owner's names in its graph (one query: the
#: lookups as subqueries joined by hash, as the report's query has them, cost 0.83 CPU s at
#: 100k papers, asked apart 1.34).
VALUES_QUERY = (
    _PREFIXES
    + "SELECT "
    + " ".join(f"?{name}" for name in _VALUES_COLUMNS)
    + """
WHERE {
  GRAPH ?graph { ?snapshot a kg:ProfileSnapshot ; dcterms:date ?date ; {predicate} ?value }
  OPTIONAL { GRAPH ?graph { ?snapshot prov:specializationOf ?specialized ; prov:invalidatedAtTime ?invalidated } }
  OPTIONAL { SELECT ?snapshot ?first WHERE { GRAPH ?h { ?snapshot prov:generatedAtTime ?first } } }
  OPTIONAL { SELECT ?snapshot ?graph ?source WHERE { GRAPH ?graph { ?snapshot prov:wasDerivedFrom ?document . ?document dcterms:identifier ?source } } }
  OPTIONAL { SELECT ?snapshot ?graph ?owner ?name WHERE {
    GRAPH ?graph { ?snapshot foaf:primaryTopic ?owner OPTIONAL { ?owner schema:name ?name } } } }
}"""
)
#: The query's lookup of the page's current owner (the default graph).
CURRENT_OWNERS_QUERY = (
    _PREFIXES
    + """SELECT ?profile ?owner ?name WHERE {
  ?profile a kg:ProfileSnapshot ; foaf:primaryTopic ?owner
  OPTIONAL { ?owner schema:name ?name } }"""
)
_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_CANONICAL_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_INT64 = range(-(2**63), 2**63)
_REPORT = "fastest-growing-authors"


def implements(report: Report) -> bool:
    """Whether the report's query is the one this engine gives the rows of."""
    return checked_against(report, QUERY_SHA256)


def _metric_growth(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """The report's rows from the snapshots, or from its query (see the module docstring)."""
    return rows_or_query(runner, report, binding, sha256=QUERY_SHA256, answer=_from_snapshots)


def prepare(runner: EngineRunner, report: Report) -> None:
    """Read the default metric's snapshots ahead (a server's warm-up), where there are
    crawls to compare."""
    if implements(report) and len(runner.crawl_dates()) >= 2:
        default = report.parameter("metric")
        metric = default.default if default is not None else None
        if metric in METRICS:
            with contextlib.suppress(Unsupported):  # a request runs the query
                _read(runner, str(metric), deadline(runner))


# -- what is read once per store version ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """What a row of a page showing a snapshot on the later date says of it, whatever the
    values: the owner, the owner's name, the source (the query's lookups of that snapshot
    and its page), and their text for the order of tied rows."""

    author: Any
    #: The name aggregate over the spellings of the (author, source) group.
    name: ox.Literal | None
    source: Any
    text: tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Showing:
    """One snapshot as a side of the query matches it: when it is current, its value, and
    its rows' labels as the later side."""

    snapshot: ox.NamedNode
    graph: ox.NamedNode
    start: date | None
    until: date | None
    value: ox.Literal
    number: int
    labels: tuple[Label, ...]


def _labels(
    current: Sequence[tuple[Any, Any]],
    sources: Sequence[Any],
    archived: Sequence[tuple[Any, Any]],
) -> tuple[Label, ...]:
    """The rows' labels of a page showing a snapshot on the later date (its current owners,
    the snapshot's sources and owners, each ``(None,)`` where the lookup found none): the
    query's ``COALESCE`` of the current owner and name with the snapshot's, grouped by owner
    and source with the name aggregate."""
    spellings: dict[tuple[Any, Any], list[str | None]] = {}
    for source in sources:
        for current_owner, current_name in current:
            for archived_owner, archived_name in archived:
                author = current_owner if current_owner is not None else archived_owner
                spelling = current_name if current_name is not None else archived_name
                spellings.setdefault((author, source), []).append(spelling_text(spelling))
    labels = []
    for (author, source), found in spellings.items():
        name = owner_name(found)
        labels.append(Label(author, name, source, (str(author), str(name), str(source))))
    return tuple(labels)


def _read(
    runner: EngineRunner, metric: str, ends: float | None
) -> Mapping[Any, tuple[Showing, ...]]:
    """The metric's snapshots by page, with their labels, for the current store version,
    read once per version (one request reads, others asking for the same meanwhile wait;
    what the engine cannot answer for is remembered as such). Raises Unsupported, and what
    the backend raises."""
    version = runner.version()
    memo = runner.memo  # a new version gets a new memo: this one is then dropped
    current: Mapping[Any, tuple[tuple[Any, Any], ...]] = memoised(
        memo, f"{_REPORT}:current", lambda: _read_current(runner, ends)
    )
    pages: Mapping[Any, tuple[Showing, ...]] = memoised(
        memo, f"{_REPORT}:{metric}", lambda: _read_values(runner, METRICS[metric], current, ends)
    )
    if runner.version() != version:
        # Read for another version than the memo's (it moved meanwhile): not kept.
        memo.pop(f"{_REPORT}:current", None)
        memo.pop(f"{_REPORT}:{metric}", None)
        raise Unsupported("the store changed while its snapshots were read")
    return pages


def _rows(
    runner: EngineRunner, query: str, names: tuple[str, ...], ends: float | None
) -> Iterator[tuple[Any, ...]]:
    return solutions(runner, query, names, ends, report=_REPORT)


def _read_current(
    runner: EngineRunner, ends: float | None
) -> Mapping[Any, tuple[tuple[Any, Any], ...]]:
    """Each page's current owners, with their names (the default graph)."""
    current: dict[Any, list[tuple[Any, Any]]] = {}
    for profile, owner, name in _rows(
        runner, CURRENT_OWNERS_QUERY, ("profile", "owner", "name"), ends
    ):
        if isinstance(owner, ox.BlankNode):
            raise Unsupported("an owner is a blank node")
        _add(current, profile, (owner, name))
    return {k: tuple(v) for k, v in current.items()}


def _add(found: dict[Any, list[Any]], key: Any, value: Any) -> None:
    """Each value once per key (the query's duplicate solutions fall into one group)."""
    values = found.setdefault(key, [])
    if value not in values:
        values.append(value)


def _read_values(
    runner: EngineRunner,
    predicate: str,
    current: Mapping[Any, tuple[tuple[Any, Any], ...]],
    ends: float | None,
) -> Mapping[Any, tuple[Showing, ...]]:
    query = VALUES_QUERY.replace("{predicate}", f"kg:{predicate}")
    # Each match of a side, and each snapshot's sources and owners (the subqueries' rows
    # multiply the match's: every combination comes, so each set comes whole).
    matches: dict[Any, list[tuple[Any, ...]]] = {}
    sources: dict[tuple[Any, Any], list[Any]] = {}
    archived: dict[tuple[Any, Any], list[tuple[Any, Any]]] = {}
    for row in _rows(runner, query, _VALUES_COLUMNS, ends):
        snapshot, graph, _day, _value, specialized, *_rest, source, owner, name = row
        profile = specialized if specialized is not None else snapshot
        if not all(isinstance(t, ox.NamedNode) for t in (snapshot, graph, profile)):
            # Blank nodes: another query's answer may name them otherwise (a remote store).
            raise Unsupported("a snapshot, its page or its graph is a blank node")
        if isinstance(source, ox.BlankNode) or isinstance(owner, ox.BlankNode):
            # Grouped by term with the current owners, read by another query (a remote
            # store names a blank node per answer).
            raise Unsupported("a source or owner is a blank node")
        _add(matches, profile, row[:7])
        _add(sources, (snapshot, graph), source)
        _add(archived, (snapshot, graph), (owner, name))
    pages: dict[Any, tuple[Showing, ...]] = {}
    for profile, found in matches.items():
        showings = []
        for snapshot, graph, day, value, _specialized, invalidated, first in found:
            labels = _labels(
                current.get(profile, ((None, None),)),
                sources[(snapshot, graph)],
                archived[(snapshot, graph)],
            )
            showings.append(
                Showing(
                    snapshot,
                    graph,
                    start_day(first, day),
                    until_day(invalidated),
                    value,
                    _integer(value),
                    labels,
                )
            )
        pages[profile] = tuple(showings)
    return pages


def _integer(term: Any) -> int:
    """A canonical ``xsd:integer``'s value (Unsupported for any other term)."""
    if (
        isinstance(term, ox.Literal)
        and term.datatype == _XSD_INTEGER
        and _CANONICAL_INTEGER.fullmatch(term.value)
    ):
        number = int(term.value)
        if number in _INT64:
            return number
    raise Unsupported("a metric value that is not a canonical 64-bit xsd:integer")


# -- one pair of dates ---------------------------------------------------------------------


def _from_snapshots(runner: EngineRunner, binding: Binding) -> ReportResult:
    metric = binding.values.get("metric")
    if metric not in METRICS:
        raise Unsupported(f"no such metric: {metric!r}")
    pages = _read(runner, metric, deadline(runner))
    a_day = date.fromisoformat(binding.values["from"])
    b_day = date.fromisoformat(binding.values["to"])
    # The query's groups, (author, source, value from, value to, growth), keyed by text
    # (a term's N-Triples form names it; a canonical integer's value does, and gives the
    # difference): [label, snapshot from, snapshot to].
    groups: dict[tuple[str, str, int, int], list[Any]] = {}
    for showings in pages.values():
        on_a = [s for s in showings if current_on(s.start, s.until, a_day)]
        if not on_a:
            continue
        for b in showings:
            if not current_on(b.start, b.until, b_day):
                continue
            for a in on_a:
                growth = b.number - a.number
                if growth not in _INT64:
                    raise Unsupported("a difference beyond 64 bits")
                for label in b.labels:
                    key = (label.text[0], label.text[2], a.number, b.number)
                    found = groups.get(key)
                    if found is None:
                        groups[key] = [label, a, b]
                    elif found[0].name != label.name:
                        # Two later snapshots with one group: the aggregate over both.
                        found[0] = _merged(found[0], label)
    growths: dict[int, ox.Literal] = {}
    ordered = []
    for label, a, b in groups.values():
        growth = b.number - a.number
        term = growths.get(growth)
        if term is None:
            term = growths[growth] = ox.Literal(str(growth), datatype=_XSD_INTEGER)
        row = (label.author, label.name, label.source, a.value, b.value, term)
        order = (-growth, string_key(label.name), label.text, a.number, b.number)
        ordered.append((order, row))
    ordered.sort(key=lambda entry: entry[0])
    rows = [row for _order, row in ordered]
    return capped(COLUMNS, rows, runner.max_rows)


def _merged(one: Label, other: Label) -> Label:
    """The label of a group that two labels fall into: the name aggregate over both
    groups' spellings (none where either has none)."""
    if one.name is None or other.name is None:
        name = None
    else:
        name = literal(preferred_name([one.name.value, other.name.value]))
    return Label(one.author, name, one.source, (one.text[0], str(name), one.text[2]))

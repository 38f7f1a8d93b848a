"""The crawl-changes engine: the report's rows from each page's snapshots, read once.

The report's query (``queries/crawl-changes.rq``, its definition) finds, for each profile
page, the snapshot current on each of the two dates, and then what changed between them, in
one pass over every page, whose rows it multiplies by the ten kinds of change. For the dates
of its precomputed answer (the last two crawls) that is read from a file, but any other pair
ran the whole query: 9 CPU s at 100k papers, more than a request may take at 1M
(docs/benchmark.md, "crawl-changes for any two dates").

What depends on the dates is only which snapshot each page shows on them. So the engine
reads every snapshot of every page once per store version (:data:`SNAPSHOTS_QUERY`: the
query's own patterns without its date filter, with the owners' names), picks each page's
snapshot on each date in Python, and asks the store what changed only for the pages whose
snapshot differs between the dates (:data:`ADDED_QUERY`, :data:`REMOVED_QUERY`,
:data:`METRICS_QUERY`: the query's own lookups and filters, over ``VALUES`` blocks of the
snapshots and graphs, IRIs that come from the store). A page that shows one snapshot on both
dates has changed nothing, unless a snapshot's values of one metric differ among themselves
(two values, or NaN: :data:`MULTIVALUED_QUERY`, :data:`SELF_UNEQUAL_QUERY`), which the query reports as a change: then
every page is asked. The snapshots and the changes are read for one store version, as the
backend's version tells (when it moved meanwhile, the query runs: one read), within the
whole-graph time limit of a request, as the query would be.

The rest is the query's, repeated: the date filter (the snapshot's interval, cast as the
query's ``xsd:date`` casts it), the rows of each kind, its ``GROUP BY`` with the name
aggregate (a group with an unbound spelling has no name: Oxigraph's ``MAX`` then gives
none), its ``ORDER BY ?source ?change ?what_label`` (rows tied on all three, which SPARQL
leaves in any order, by the rest of the row). Where it cannot be sure, it runs the query
(tests compare the two on stores of several crawls):

* the report's query text is not the one this engine was checked against
  (:data:`QUERY_SHA256`);
* a snapshot or its graph is a blank node (it cannot be named in ``VALUES``);
* a date is not a plain ``xsd:date`` (a time zone, an ill-formed one), or of the year 0000;
* a sort key is not a plain string.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyoxigraph as ox

from kg.rdf.namespace import sparql_prologue
from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, checked_against
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
from kg.reports.results import Binding, ReportResult

#: SHA-256 of the query text (``Report.query``) whose rows this engine gives; a test checks
#: it against queries/crawl-changes.rq (change both together, after checking).
QUERY_SHA256 = "f917a35e3d6a0a4423fc42097dfc9278eb0546a64900f8afd278c565f30b169f"
#: The report's columns (after its parameter columns are dropped), in the query's order.
COLUMNS = (
    "source",
    "owner",
    "owner_name",
    "change",
    "item",
    "what_label",
    "before",
    "after",
    "profile",
)
_PREFIXES = sparql_prologue()
_SNAPSHOT_COLUMNS = (
    "profile",
    "current_owner",
    "snapshot",
    "graph",
    "date",
    "invalidated",
    "first",
    "source",
    "owner",
    "name",
)
#: Every page of the query, with its current owner and each of its snapshots, as the query
#: matches them before it compares their dates; and the owner's names in each snapshot's graph.
SNAPSHOTS_QUERY = (
    _PREFIXES
    + "SELECT "
    + " ".join(f"?{name}" for name in _SNAPSHOT_COLUMNS)
    + """
WHERE {
  { SELECT DISTINCT ?profile WHERE {
      { GRAPH ?g { ?profile a kg:ProfileSnapshot }
        FILTER NOT EXISTS { GRAPH ?g { ?profile a kg:ArchivedSnapshot } } }
      UNION
      { GRAPH ?g { ?archived a kg:ArchivedSnapshot ; prov:specializationOf ?profile } } } }
  OPTIONAL { ?profile a kg:ProfileSnapshot ; foaf:primaryTopic ?current_owner }
  OPTIONAL {
    { GRAPH ?graph { ?profile dcterms:date ?date } BIND(?profile AS ?snapshot) }
    UNION
    { GRAPH ?graph { ?snapshot prov:specializationOf ?profile ; dcterms:date ?date ; prov:invalidatedAtTime ?invalidated } }
    OPTIONAL { SELECT ?snapshot ?first WHERE { GRAPH ?h { ?snapshot prov:generatedAtTime ?first } } }
    OPTIONAL { SELECT ?snapshot ?graph ?source WHERE { GRAPH ?graph { ?snapshot prov:wasDerivedFrom ?document . ?document dcterms:identifier ?source } } }
    # The owner's names in the snapshot's graph: the query's lookup of names (of an owner
    # that something in the graph is about), which the owner here is.
    OPTIONAL { SELECT ?snapshot ?graph ?owner ?name WHERE {
      GRAPH ?graph { ?snapshot foaf:primaryTopic ?owner OPTIONAL { ?owner schema:name ?name } } } }
  }
}"""
)
_METRICS = (
    ("hIndex", "h_index"),
    ("citationCount", "citations"),
    ("paperCount", "profile_papers"),
    ("noveltyPercent", "novelty_percent"),
    ("aiScore", "ai_score"),
    ("declaredPaperCount", "declared_papers"),
)
_METRIC_VALUES = " ".join(f"kg:{local}" for local, _ in _METRICS)
#: Whether a page showing one snapshot on both dates may have a "metric changed" row, which
#: the query gives where two of the snapshot's values of a metric compare unequal: with two
#: values of one metric (:data:`MULTIVALUED_QUERY`), or a value unequal to itself, NaN
#: (:data:`SELF_UNEQUAL_QUERY`). Then every page is asked (two scans: joining each value
#: with the others took 2.2 CPU s at 300k papers, these 0.4).
MULTIVALUED_QUERY = (
    _PREFIXES
    + f"""SELECT ?snapshot WHERE {{
  VALUES ?metric {{ {_METRIC_VALUES} }}
  GRAPH ?graph {{ ?snapshot ?metric ?value }}
}} GROUP BY ?graph ?snapshot ?metric HAVING (COUNT(?value) > 1) LIMIT 1"""
)
SELF_UNEQUAL_QUERY = (
    _PREFIXES
    + f"""SELECT ?snapshot WHERE {{
  VALUES ?metric {{ {_METRIC_VALUES} }}
  GRAPH ?graph {{ ?snapshot ?metric ?value }}
  FILTER(COALESCE(?value != ?value, true))
}} LIMIT 1"""
)


def _papers_only_on_one_date(change: str, one: str, graph: str, other: str) -> str:
    """The query's rows of papers that snapshot ``one`` lists (in ``graph``, titled there)
    and snapshot ``other`` lists in no graph, for some pages (a ``VALUES`` block is put in)."""
    return (
        _PREFIXES
        + f"""SELECT ?{one} ?{graph} ?{other} ?{change} ?{change}_title WHERE {{
  {{values}}
  GRAPH ?{graph} {{ ?{one} kg:listsPaper ?{change} . ?{change} dcterms:title ?{change}_title }}
  FILTER NOT EXISTS {{ GRAPH ?listed_{other[-1]} {{ ?{other} kg:listsPaper ?{change} }} }}
}}"""
    )


#: The query's "paper added" and "paper removed" rows of some pages.
ADDED_QUERY = _papers_only_on_one_date("added", "at_b", "in_b", "at_a")
REMOVED_QUERY = _papers_only_on_one_date("removed", "at_a", "in_a", "at_b")
_METRIC_PAIRS = " ".join(f'(kg:{local} "{what}")' for local, what in _METRICS)
#: The query's "metric changed" rows of some pages (a ``VALUES`` block is put in front).
METRICS_QUERY = (
    _PREFIXES
    + f"""SELECT ?at_a ?in_a ?at_b ?in_b ?what ?before ?after WHERE {{
  {{values}}
  VALUES (?metric ?what) {{ {_METRIC_PAIRS} }}
  OPTIONAL {{ GRAPH ?in_a {{ ?at_a ?metric ?before }} }}
  OPTIONAL {{ GRAPH ?in_b {{ ?at_b ?metric ?after }} }}
  FILTER((BOUND(?before) || BOUND(?after)) && COALESCE(?before != ?after, true))
}}"""
)
#: Pages per VALUES block (each row two to four IRIs: a few tens of kB of query text).
VALUES_CHUNK = 250
_KINDS = ("profile added", "profile removed", "paper added", "paper removed", "metric changed")
_KIND = {kind: ox.Literal(kind) for kind in _KINDS}


def implements(report: Report) -> bool:
    """Whether the report's query is the one this engine gives the rows of."""
    return checked_against(report, QUERY_SHA256)


def _crawl_changes(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """The report's rows from the snapshots, or from its query (see the module docstring)."""
    return rows_or_query(runner, report, binding, sha256=QUERY_SHA256, answer=_from_snapshots)


def prepare(runner: EngineRunner, report: Report) -> None:
    """Read the snapshots ahead (a server's warm-up), where there are crawls to compare."""
    if implements(report) and len(runner.crawl_dates()) >= 2:
        with contextlib.suppress(Unsupported):  # a request runs the query
            snapshots(runner, deadline(runner))


# -- every snapshot of the store version ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One match of the query's snapshot pattern for a page, before its date filter."""

    snapshot: ox.NamedNode
    graph: ox.NamedNode
    #: The first day it is current (None: the filter never holds).
    start: date | None
    #: The first day it is no longer current (None: it still is).
    until: date | None
    source: Any
    owner: Any

    def current_on(self, day: date) -> bool:
        return current_on(self.start, self.until, day)


@dataclass(slots=True)
class Page:
    """A page's current owners (None: unbound) and its snapshots' matches."""

    current_owners: list[Any]
    candidates: list[Candidate]


@dataclass(frozen=True, slots=True)
class Snapshots:
    """Every page's snapshots, and the owners' names per graph, for one store version."""

    pages: dict[Any, Page]
    #: (graph, owner) terms -> the text of the owner's names there (None: a name whose text
    #: the query's ``STR`` cannot give).
    names: dict[tuple[Any, Any], tuple[str | None, ...]]
    #: Whether a snapshot's metric values differ among themselves (then every page is asked).
    self_change: bool
    #: The store version they were read for.
    version: str


def _rows(
    runner: EngineRunner, query: str, names: Sequence[str], ends: float | None
) -> Iterator[tuple[Any, ...]]:
    return solutions(runner, query, names, ends, report="crawl-changes")


_MEMO = "crawl-changes:snapshots"


def snapshots(runner: EngineRunner, ends: float | None = None) -> Snapshots:
    """The current store version's :class:`Snapshots`, read once per version (one request
    reads them, others asking meanwhile wait for them; a store the engine cannot answer for
    is remembered as such). Raises Unsupported, and what the backend raises."""
    version = runner.version()
    memo = runner.memo  # a new version gets a new memo: this one is then dropped
    found: Snapshots = memoised(memo, _MEMO, lambda: _read_snapshots(runner, version, ends))
    if runner.version() != version:
        # Read for another version than the memo's (it moved meanwhile): not kept.
        memo.pop(_MEMO, None)
        raise Unsupported("the store changed while its snapshots were read")
    return found


def _read_snapshots(runner: EngineRunner, version: str, ends: float | None) -> Snapshots:
    pages: dict[Any, Page] = {}
    names: dict[tuple[Any, Any], set[str | None]] = {}
    seen: set[tuple[Any, ...]] = set()
    for profile, current, snapshot, graph, day, invalidated, first, source, owner, name in _rows(
        runner, SNAPSHOTS_QUERY, _SNAPSHOT_COLUMNS, ends
    ):
        page = pages.setdefault(profile, Page([], []))
        if current not in page.current_owners:
            page.current_owners.append(current)
        if snapshot is None:
            continue
        if not isinstance(snapshot, ox.NamedNode) or not isinstance(graph, ox.NamedNode):
            raise Unsupported("a snapshot or its graph is a blank node")
        if name is not None:
            names.setdefault((graph, owner), set()).add(spelling_text(name))
        key = (profile, snapshot, graph, day, invalidated, first, source, owner)
        if key not in seen:
            seen.add(key)
            page.candidates.append(
                Candidate(
                    snapshot, graph, start_day(first, day), until_day(invalidated), source, owner
                )
            )
    self_change = any(
        any(True for _ in _rows(runner, query, ("snapshot",), ends))
        for query in (MULTIVALUED_QUERY, SELF_UNEQUAL_QUERY)
    )
    return Snapshots(pages, {key: tuple(v) for key, v in names.items()}, self_change, version)


# -- one pair of dates ---------------------------------------------------------------------

Shown = Candidate | None
Change = tuple[ox.Literal, Any, Any, Any, Any]  # change, item, label, before, after


def _from_snapshots(runner: EngineRunner, binding: Binding) -> ReportResult:
    ends = deadline(runner)
    known = snapshots(runner, ends)
    a_day = date.fromisoformat(binding.values["from"])
    b_day = date.fromisoformat(binding.values["to"])
    shown: list[tuple[Any, Page, list[Shown], list[Shown]]] = []
    for profile, page in known.pages.items():
        on_a: list[Shown] = [c for c in page.candidates if c.current_on(a_day)]
        on_b: list[Shown] = [c for c in page.candidates if c.current_on(b_day)]
        shown.append((profile, page, on_a or [None], on_b or [None]))
    changes = _Changes.read(runner, shown, every_page=known.self_change, ends=ends)
    if runner.version() != known.version:
        # The changes were read from another store state than the snapshots: the query
        # answers from one.
        raise Unsupported("the store changed while the changes were read")
    groups: dict[tuple[Any, ...], list[str | None]] = {}
    for profile, page, on_a, on_b in shown:
        for current in page.current_owners:
            for a in on_a:
                for b in on_b:
                    for key, spelling in _rows_of(profile, current, a, b, changes, known.names):
                        groups.setdefault(key, []).append(spelling)
    rows = []
    for key, spellings in groups.items():
        source, owner, change, item, label, before, after, profile = key
        name = owner_name(spellings)
        rows.append((source, owner, name, change, item, label, before, after, profile))
    rows.sort(key=_order)
    return capped(COLUMNS, rows, runner.max_rows)


def _rows_of(
    profile: Any,
    current: Any,
    a: Shown,
    b: Shown,
    changes: _Changes,
    names: Mapping[tuple[Any, Any], tuple[str | None, ...]],
) -> Iterator[tuple[tuple[Any, ...], str | None]]:
    """The rows (group key, spelling) of a page showing ``a`` and ``b`` on the two dates."""
    shown = b if b is not None else a
    if shown is None:
        return
    found: list[Change] = []
    if a is None:
        found.append((_KIND["profile added"], None, None, None, None))
    elif b is None:
        found.append((_KIND["profile removed"], None, None, None, None))
    else:
        found.extend(changes.between(a, b))
    # What the query shows: the later snapshot's source and owner (the earlier one's for a
    # profile removed since), the current owner first, and the owner's names in that graph.
    source, owner = shown.source, current if current is not None else shown.owner
    spellings: tuple[str | None, ...] = (None,)
    if shown.owner is not None:
        spellings = names.get((shown.graph, shown.owner)) or (None,)
    for change, item, label, before, after in found:
        key = (source, owner, change, item, label, before, after, profile)
        for spelling in spellings:
            yield key, spelling


def _order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """``ORDER BY ?source ?change ?what_label``, then the rest of the row."""
    source, _owner, _name, change, _item, label = row[:6]
    return (string_key(source), string_key(change), string_key(label), tuple(map(str, row)))


# -- what changed on the pages whose snapshot differs -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Changes:
    """The paper and metric changes of some pages, by the snapshots and graphs they show."""

    #: (snapshot a, snapshot b, graph b) -> (paper, title) listed by b and by a in no graph.
    added: dict[tuple[str, ...], list[tuple[Any, ...]]]
    #: (snapshot a, graph a, snapshot b) -> (paper, title) listed by a and by b in no graph.
    removed: dict[tuple[str, ...], list[tuple[Any, ...]]]
    #: (snapshot a, graph a, snapshot b, graph b) -> (what, before, after).
    metrics: dict[tuple[str, ...], list[tuple[Any, ...]]]

    @classmethod
    def read(
        cls,
        runner: EngineRunner,
        shown: Iterable[tuple[Any, Page, list[Shown], list[Shown]]],
        *,
        every_page: bool,
        ends: float | None,
    ) -> _Changes:
        papers: set[tuple[str, str, str, str]] = set()
        metrics: set[tuple[str, str, str, str]] = set()
        for _profile, _page, on_a, on_b in shown:
            for a in on_a:
                for b in on_b:
                    if a is None or b is None:
                        continue
                    pair = (a.snapshot.value, a.graph.value, b.snapshot.value, b.graph.value)
                    if a.snapshot != b.snapshot:  # the query's ?at_a != ?at_b
                        papers.add(pair)
                    if every_page or pair[:2] != pair[2:]:
                        metrics.add(pair)
        found = cls({}, {}, {})
        asked = (
            (ADDED_QUERY, ("at_a", "at_b", "in_b"), ("added", "added_title"), found.added,
             {(sa, sb, gb) for sa, _ga, sb, gb in papers}),
            (REMOVED_QUERY, ("at_a", "in_a", "at_b"), ("removed", "removed_title"), found.removed,
             {(sa, ga, sb) for sa, ga, sb, _gb in papers}),
            (METRICS_QUERY, ("at_a", "in_a", "at_b", "in_b"), ("what", "before", "after"),
             found.metrics, metrics),
        )  # fmt: skip
        for query, keys, values, into, wanted in asked:
            for block in _values(keys, sorted(wanted)):
                text = query.replace("{values}", block)
                for row in _rows(runner, text, keys + values, ends):
                    key = tuple(term.value for term in row[: len(keys)])
                    into.setdefault(key, []).append(row[len(keys) :])
        return found

    def between(self, a: Candidate, b: Candidate) -> Iterator[Change]:
        """The query's paper and metric rows of a page showing ``a``, then ``b``."""
        sa, ga, sb, gb = a.snapshot.value, a.graph.value, b.snapshot.value, b.graph.value
        for paper, title in self.added.get((sa, sb, gb), ()):
            yield _KIND["paper added"], paper, title, None, None
        for paper, title in self.removed.get((sa, ga, sb), ()):
            yield _KIND["paper removed"], paper, title, None, None
        for what, before, after in self.metrics.get((sa, ga, sb, gb), ()):
            yield _KIND["metric changed"], what, what, before, after


def _values(variables: Sequence[str], rows: Sequence[tuple[str, ...]]) -> Iterator[str]:
    """``VALUES`` blocks of these rows of IRIs (each IRI written as N-Triples writes it)."""
    head = "VALUES (" + " ".join(f"?{v}" for v in variables) + ") { "
    for start in range(0, len(rows), VALUES_CHUNK):
        chunk = rows[start : start + VALUES_CHUNK]
        body = " ".join(
            "(" + " ".join(str(ox.NamedNode(iri)) for iri in row) + ")" for row in chunk
        )
        yield head + body + " }"

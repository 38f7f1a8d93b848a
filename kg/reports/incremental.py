"""Which precomputed files a new checkpoint can take over from an older one, unchanged.

A report's query reads the statements of a few predicates: those in its triple patterns
(and property paths), in the default graph outside ``GRAPH`` and in named graphs inside
it. Its rows depend on nothing else in the store (a query's answer is a function of the
statements its patterns can match; a pattern's statements all have its predicate). So
when the writes since the checkpoint whose files were written last touched none of those
predicates in those parts of the dataset (:mod:`kg.store.changes` keeps what they
touched, a superset), the rows are the same, and so are the files: ``kg precompute``
copies them instead of running the query again.

What a report reads is found in its query's algebra (rdflib's SPARQL parser), never
declared by hand: a pattern whose predicate is a variable, a negated property set, a
``SERVICE``, or a dataset of its own (``FROM``) reads anything. An engine's finished result
may run other reports: it reads what every report of the catalog reads. The co-author
graph of collaboration-path reads what its pairs query reads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

from kg.store.changes import ANY, RDF_TYPE, Touched, key


@dataclass(frozen=True, slots=True)
class Reads:
    """The predicates a query reads in the default graph and in named graphs (None: any)."""

    default: frozenset[str] | None
    named: frozenset[str] | None

    def affected_by(self, touched: Touched) -> bool:
        """Whether writes that touched ``touched`` may change what this reads."""
        return _meets(self.default, touched.default) or _meets(self.named, touched.named)


def _meets(reads: frozenset[str] | None, touched: set[str] | None) -> bool:
    if reads is not None and not reads:
        return False  # reads nothing there
    if touched is not None and not touched:
        return False  # nothing touched there
    if reads is ANY or touched is ANY:
        return True
    if not reads.isdisjoint(touched):
        return True
    # rdf:type is noted with its class (kg.store.changes.key); the bare rdf:type is any class.
    typed = f"{RDF_TYPE} "
    if RDF_TYPE in reads and any(t.startswith(typed) for t in touched):
        return True
    return RDF_TYPE in touched and any(r.startswith(typed) for r in reads)


EVERYTHING = Reads(ANY, ANY)


def union(reads: Iterable[Reads]) -> Reads:
    default: set[str] | None = set()
    named: set[str] | None = set()
    for item in reads:
        default = None if default is None or item.default is None else default | item.default
        named = None if named is None or item.named is None else named | item.named
    return Reads(
        None if default is None else frozenset(default),
        None if named is None else frozenset(named),
    )


@functools.lru_cache(maxsize=256)
def query_reads(query: str) -> Reads:
    """What a SPARQL query reads (see the module docstring); :data:`EVERYTHING` for a query
    this cannot read through."""
    try:
        parsed = prepareQuery(query)
    except Exception:
        return EVERYTHING
    if getattr(parsed.algebra, "datasetClause", None):
        return EVERYTHING  # FROM / FROM NAMED: the query picks its own graphs
    found = _Found()
    _walk(parsed.algebra, False, found)
    return Reads(
        None if found.default is None else frozenset(found.default),
        None if found.named is None else frozenset(found.named),
    )


class _Found:
    """Predicates found so far, in the default graph and inside GRAPH (None: any)."""

    def __init__(self) -> None:
        self.default: set[str] | None = set()
        self.named: set[str] | None = set()

    def add(self, in_graph: bool, predicate: str | None) -> None:
        part = self.named if in_graph else self.default
        if part is None:
            return
        if predicate is None:
            if in_graph:
                self.named = None
            else:
                self.default = None
        else:
            part.add(predicate)


def _walk(node: Any, in_graph: bool, found: _Found) -> int:
    """Note the predicates of the patterns under ``node``; returns how many patterns."""
    patterns = 0
    if isinstance(node, CompValue):
        name = node.name
        if name == "ServiceGraphPattern":
            found.default = found.named = None
        if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS") and not _translated(node["graph"]):
            # rdflib leaves some EXISTS patterns as parsed: translate them to algebra here.
            node["graph"] = translateGroupGraphPattern(node["graph"])
        if name == "TriplesBlock":
            # Statements not translated to algebra (not expected): read as "anything" here.
            found.add(in_graph, None)
        if name == "BGP":
            for _s, predicate, obj in node.triples:
                _predicate(predicate, in_graph, found, obj)
                patterns += 1
        inside = in_graph or name == "Graph"
        for value in node.values():
            patterns += _walk(value, inside, found)
        if name == "Graph" and not patterns:
            found.add(True, None)  # GRAPH ?g {}: which graphs there are
    elif isinstance(node, (list, tuple)):
        for value in node:
            patterns += _walk(value, in_graph, found)
    return patterns


def _translated(pattern: Any) -> bool:
    name = getattr(pattern, "name", "")
    return not name.startswith(("GroupGraphPattern", "TriplesBlock"))


def _predicate(predicate: Any, in_graph: bool, found: _Found, obj: Any = None) -> None:

    if isinstance(predicate, URIRef):
        # rdf:type of a given class reads that class's statements only (kg.store.changes.key).
        found.add(in_graph, key(str(predicate), str(obj) if isinstance(obj, URIRef) else None))
    elif isinstance(predicate, InvPath):
        _predicate(predicate.arg, in_graph, found)
    elif isinstance(predicate, MulPath) and not predicate.zero:
        _predicate(predicate.path, in_graph, found)
    elif isinstance(predicate, (AlternativePath, SequencePath)):
        for part in predicate.args:
            _predicate(part, in_graph, found)
    else:
        # A variable, a negated property set, a path of zero or more steps (its zero-length
        # case matches every node of the graph), anything else: any predicate.
        found.add(in_graph, None)

"""How the search index reads the graph: a few narrow lookups, on any store.

:mod:`kg.search.documents` needs these things of a store, and nothing else:

* :meth:`GraphReader.pairs`: the (subject, object) pairs of one predicate in the union,
  all of them or those of some subjects or some objects;
* :meth:`GraphReader.mentions`: per source graph, the entities it types (what an
  incremental update reads again when that graph changes);
* :meth:`GraphReader.fingerprints`: per graph of the union, a text that changes when
  the graph is rewritten (its file's checksum and its parse time);
* :meth:`GraphReader.graphs`: the graphs of the union;
* and, where it can (:class:`PathReader`): :meth:`~PathReader.fields`, for a batch of
  entities the objects at the end of several paths at once (a full build's batches of
  papers and authors), with :meth:`~PathReader.count` and :meth:`~PathReader.untyped`,
  and :meth:`~PathReader.around`, the nodes around one predicate for the whole store
  (the authorships' written names with their papers and agents).

:class:`StoreReader` answers them on the embedded store: a whole predicate with one
lean ``SELECT`` (one wide ``UNION`` query with ``BIND`` per field made the store join
and project every row, 900k rows for the papers at 100k papers, most of the build),
some entities' values with an index lookup each in the union (``quads_for_pattern`` on
the default graph), as a full build's batches and an update ask. :class:`SparqlReader` answers them with one small ``SELECT`` per
predicate (``?s <p> ?o``, with a ``VALUES`` block for some subjects or objects)
on any :class:`~kg.store.query.QueryBackend`, so an external store is indexed the
same way, and the embedded one can be read that way too (tests compare them).
:class:`StoreReader` also follows paths (:class:`PathReader`): one ``SELECT`` per block
of subjects, a ``UNION`` branch per path (``VALUES (?s ?i)``: the store joins the steps
and returns each subject's number, not its IRI, so the nodes in between and the
subjects are never decoded; the one-step paths together as one pattern, the subject's
statements read with one index scan and the predicates tested in the store). On a large
store each random index seek reads and decompresses a block (at 100k papers about as
much CPU as decoding a term from the dictionary): what is read for the whole store at once
instead is what would be sought twice (an authorship, from its paper and its author).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Protocol

import pyoxigraph as ox

from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import HISTORY_GRAPH_MARK, KGStore
from kg.store.query import LocalBackend, QueryBackend, QueryRequest

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: IRIs per VALUES block of a SparqlReader query (a few tens of kB of query text).
VALUES_CHUNK = 400

#: A pair's object: an ox term (Literal or NamedNode), whose ``value`` is its lexical form.
Term = Any


#: A path from an entity: its steps, each a predicate and whether it is read backwards
#: (``(AGENT, True), (WRITTEN_NAME, False)``: an author's authorships' written names).
#: The nodes in between are IRIs (a blank node or literal ends the path), as when the
#: steps are looked up one after the other.
Step = tuple[str, bool]
Path = tuple[Step, ...]


class GraphReader(Protocol):
    def pairs(
        self,
        predicate: str,
        *,
        subjects: Collection[str] | None = None,
        objects: Collection[str] | None = None,
    ) -> Iterator[tuple[str, Term]]:
        """(subject, object) of ``predicate`` in the union; with ``subjects`` (``objects``):
        only those with one of these subject (object) IRIs."""
        ...

    def scan(self, predicate: str) -> dict[str, list[Term]]:
        """Every subject of ``predicate`` in the union -> its objects."""
        ...

    def scan_links(self, predicate: str) -> dict[str, list[str]]:
        """Every subject of ``predicate`` in the union -> the IRIs it links."""
        ...

    def scan_inverse(self, predicate: str) -> dict[str, list[str]]:
        """Every IRI object of ``predicate`` in the union -> the subjects linking it."""
        ...

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        """Per graph of the union (or of ``graphs``), the IRIs it gives one of ``types``."""
        ...

    def fingerprints(self) -> dict[str, str]: ...

    def graphs(self) -> list[str]: ...


class PathReader(GraphReader, Protocol):
    """A reader that also follows paths in the store (:class:`StoreReader`): a full build's
    batches are read with it (:func:`kg.search.documents.read_in_batches`); with another,
    lookup by lookup."""

    def fields(
        self, subjects: Collection[str], paths: Sequence[Path]
    ) -> Iterator[tuple[str, int, Term]]:
        """(subject, number of the path, object at its end) for each of ``subjects`` and each
        of ``paths`` it has in the union."""
        ...

    def untyped(self, predicate: str, kind: str) -> set[str]:
        """The IRI subjects of ``predicate`` in the union not of the class ``kind``."""
        ...

    def around(self, predicate: str, ends: Sequence[Step]) -> Iterator[tuple[Any, ...]]:
        """For every IRI node ``x`` with a value by ``predicate`` in the union, in no order:
        (for each of ``ends``, an IRI one step from ``x`` or None; the value), a row for
        each combination: what the two-step paths ``end -> x -> value`` give, read at once."""
        ...

    def count(self, predicate: str) -> int:
        """The statements of ``predicate`` in the union."""
        ...


def _branch(number: int, path: Path) -> str:
    """One UNION branch: ``?s`` to ``?o`` along ``path``, numbered ``?f``."""
    patterns, node = [], "?s"
    for at, (predicate, backwards) in enumerate(path):
        last = at == len(path) - 1
        target = "?o" if last else f"?x{at}"
        patterns.append(_step(node, predicate, backwards, target))
        if not last:
            patterns.append(f"FILTER(isIRI({target}))")
        node = target
    return "{ " + " ".join(patterns) + f" BIND({number} AS ?f) }}"


def _step(node: str, predicate: str, backwards: bool, target: str) -> str:
    """The triple pattern of one step from ``node`` to ``target`` (against the predicate's
    direction when ``backwards``)."""
    ends = (target, node) if backwards else (node, target)
    return f"{ends[0]} {ox.NamedNode(predicate)} {ends[1]} ."


def _own_pattern(numbered: Sequence[tuple[int, str]]) -> str:
    """The pattern for several one-step forward paths (numbered predicates): the subject's
    statements read with one index scan (``?s ?p ?o``, the predicate tested in the store,
    never decoded) instead of a lookup per predicate."""
    listed = ", ".join(str(ox.NamedNode(predicate)) for _, predicate in numbered)
    number = str(numbered[-1][0])
    for at, predicate in reversed(numbered[:-1]):
        number = f"IF(sameTerm(?p, {ox.NamedNode(predicate)}), {at}, {number})"
    return f"?s ?p ?o FILTER(?p IN ({listed})) BIND({number} AS ?f)"


def _bodies(paths: Sequence[Path]) -> list[str]:
    """The patterns of the queries that read ``paths``: the one-step forward paths (each
    predicate once, when there are several) as one pattern of its own, the other paths as
    one ``UNION`` of a branch each. (The one pattern as a branch in braces cost the store a
    third more at 100k papers than on its own, about what a lookup per predicate costs.)"""
    own: dict[str, int] = {}
    for number, path in enumerate(paths):
        if len(path) == 1 and not path[0][1]:
            own.setdefault(path[0][0], number)
    if len(own) < 2:
        own = {}
    merged = set(own.values())
    bodies = [_own_pattern([(n, p) for p, n in own.items()])] if own else []
    others = [_branch(n, path) for n, path in enumerate(paths) if n not in merged]
    if others:
        bodies.append(" UNION ".join(others))
    return bodies


def in_union(graph: str) -> bool:
    """Whether a named graph's statements are in the union (history graphs are not)."""
    return HISTORY_GRAPH_MARK not in graph


_FINGERPRINTS = (
    sparql_prologue() + "SELECT ?g ?sha ?at WHERE { GRAPH ?g { ?g a kg:SourceDocument . "
    "OPTIONAL { ?g kg:sha256 ?sha } OPTIONAL { ?g prov:generatedAtTime ?at } } }"
)


def _fingerprints(backend: QueryBackend) -> dict[str, str]:
    """A source graph's checksum and parse time: a rewrite changes the time (and the
    checksum, if the file changed); graphs of the union that are not sources (the
    identity graph) have none, and are read again on every update."""
    rows = backend.run(QueryRequest(_FINGERPRINTS)).rows
    out: dict[str, str] = {}
    for row in rows:
        graph = row["g"].value
        if not in_union(graph):
            continue
        sha = row["sha"].value if row.get("sha") is not None else ""
        at = row["at"].value if row.get("at") is not None else ""
        # Several values (a graph written twice in one second by two parsers): all of them.
        out[graph] = "|".join(sorted({*out.get(graph, "").split("|"), f"{sha}@{at}"} - {""}))
    return out


def _values(variable: str, iris: Sequence[str]) -> str:
    # The IRIs come from the store itself (no user text); ox.NamedNode refuses an invalid
    # one, and its text form is the escaped <...> token. A VALUES block of hundreds of
    # IRIs has no substitution form (substitutions bind one term per variable).
    return f"VALUES ?{variable} {{ {' '.join(filter(None, map(_iri_token, iris)))} }}"


def _iri_token(iri: str) -> str | None:
    """``<iri>``, or None for what is no IRI (a blank node's label: it cannot be asked for
    by name, and the mapping mints none)."""
    try:
        return str(ox.NamedNode(iri))
    except ValueError:
        return None


def _chunks(items: Collection[str], size: int = VALUES_CHUNK) -> Iterator[list[str]]:
    ordered = sorted(items)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


class SparqlReader:
    """Any query backend (an external SPARQL store): one lean SELECT per predicate.

    Only the variables needed are projected: a store decodes each projected term from its
    dictionary (a lookup per IRI or long literal), and that is most of a read's time.
    """

    def __init__(self, backend: QueryBackend, *, timeout: float | None = None):
        self.backend = backend
        self.timeout = timeout

    def _select(self, query: str) -> Iterator[tuple[Any, ...]]:
        outcome = self.backend.run(QueryRequest(query), timeout=self.timeout)
        if outcome.select is not None:
            yield from (tuple(row) for row in outcome.select.rows)

    def pairs(
        self,
        predicate: str,
        *,
        subjects: Collection[str] | None = None,
        objects: Collection[str] | None = None,
    ) -> Iterator[tuple[str, Term]]:
        pattern = f"?s {ox.NamedNode(predicate)} ?o"
        if subjects is None and objects is None:
            for s, o in self._select(f"SELECT ?s ?o WHERE {{ {pattern} }}"):
                yield s.value, o
            return
        if subjects is not None:
            for chunk in _chunks(subjects):
                query = f"SELECT ?s ?o WHERE {{ {_values('s', chunk)} {pattern} }}"
                for s, o in self._select(query):
                    yield s.value, o
            return
        for chunk in _chunks(objects or ()):
            if len(chunk) == 1:
                # One object (a class): only the subjects are decoded.
                query = (
                    f"SELECT ?s WHERE {{ ?s {ox.NamedNode(predicate)} {ox.NamedNode(chunk[0])} }}"
                )
                term = ox.NamedNode(chunk[0])
                for (s,) in self._select(query):
                    yield s.value, term
                continue
            query = f"SELECT ?s ?o WHERE {{ {_values('o', chunk)} {pattern} }}"
            for s, o in self._select(query):
                yield s.value, o

    def scan(self, predicate: str) -> dict[str, list[Term]]:
        # The hot loops of a full build (a row per statement): no generator in between.
        out: defaultdict[str, list[Term]] = defaultdict(list)
        for s, o in self._select(f"SELECT ?s ?o WHERE {{ ?s {ox.NamedNode(predicate)} ?o }}"):
            out[s.value].append(o)
        return dict(out)

    def scan_links(self, predicate: str) -> dict[str, list[str]]:
        out: defaultdict[str, list[str]] = defaultdict(list)
        query = f"SELECT ?s ?o WHERE {{ ?s {ox.NamedNode(predicate)} ?o FILTER(isIRI(?o)) }}"
        for s, o in self._select(query):
            out[s.value].append(o.value)
        return dict(out)

    def scan_inverse(self, predicate: str) -> dict[str, list[str]]:
        out: defaultdict[str, list[str]] = defaultdict(list)
        query = f"SELECT ?o ?s WHERE {{ ?s {ox.NamedNode(predicate)} ?o FILTER(isIRI(?o)) }}"
        for o, s in self._select(query):
            out[o.value].append(s.value)
        return dict(out)

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {g: set() for g in graphs or ()}
        kinds = _values("t", sorted(types))
        blocks = [""] if graphs is None else [_values("g", chunk) for chunk in _chunks(graphs)]
        for block in blocks:
            query = (
                f"SELECT DISTINCT ?g ?s WHERE {{ {block} {kinds} GRAPH ?g {{ ?s a ?t }} "
                "FILTER(isIRI(?s)) }"
            )
            for g, s in self._select(query):
                if in_union(g.value):
                    out.setdefault(g.value, set()).add(s.value)
        return out

    def fingerprints(self) -> dict[str, str]:
        return _fingerprints(self.backend)

    def graphs(self) -> list[str]:
        store = getattr(self.backend, "store", None)
        if store is not None and hasattr(store, "named_graphs"):
            return [g for g in store.named_graphs() if in_union(g)]
        query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        return sorted({g.value for (g,) in self._select(query) if in_union(g.value)})


class StoreReader(SparqlReader):
    """The embedded store: the same queries, run in this process without the backend's
    result collection (each row read as a tuple of terms, nothing else)."""

    def __init__(self, store: KGStore, backend: QueryBackend | None = None):
        super().__init__(backend or LocalBackend(store))
        self.store = store

    def _select(self, query: str) -> Iterator[Any]:
        # Solutions unpack as tuples of terms.
        return iter(self.store.query(query))

    def graphs(self) -> list[str]:
        return [g for g in self.store.named_graphs() if in_union(g)]

    def pairs(
        self,
        predicate: str,
        *,
        subjects: Collection[str] | None = None,
        objects: Collection[str] | None = None,
    ) -> Iterator[tuple[str, Term]]:
        if subjects is None and objects is None:
            yield from super().pairs(predicate)
            return
        # Some entities' values (an update, a full build's batches): an index lookup each in
        # the default graph (the union), without a query to parse and plan per VALUES block.
        quads = self.store._store.quads_for_pattern
        p, union = ox.NamedNode(predicate), ox.DefaultGraph()
        if subjects is not None:
            for s in subjects:
                node = _node(s)
                if node is not None:
                    for quad in quads(node, p, None, union):
                        yield s, quad.object
            return
        for o in objects or ():
            node = _node(o)
            if node is not None:
                for quad in quads(None, p, node, union):
                    if not isinstance(quad.subject, ox.Triple):  # no quoted triples written
                        yield quad.subject.value, quad.object

    def fields(
        self, subjects: Collection[str], paths: Sequence[Path]
    ) -> Iterator[tuple[str, int, Term]]:
        # One query per block of subjects for all the paths: the store joins the steps
        # (the nodes in between are never decoded) and parses each block's IRIs once;
        # a lookup per subject and predicate cost about three times as much CPU. Only
        # here: an external store is read lookup by lookup (Virtuoso fails the query,
        # "sparp_gp_deprecate(): equiv replaces filter", and the CPU is the store's).
        # Each subject is bound with its number (?i), and the number is what comes back: a
        # small integer is held in the store's own encoding, an IRI is decoded from its
        # dictionary, once per row (a fifth of the query's CPU).
        bodies = _bodies(paths)
        for chunk in _chunks(subjects):
            named = [(iri, token) for iri in chunk if (token := _iri_token(iri)) is not None]
            rows = " ".join(f"({token} {number})" for number, (_, token) in enumerate(named))
            for body in bodies:
                query = f"SELECT ?i ?f ?o WHERE {{ VALUES (?s ?i) {{ {rows} }} {body} }}"
                for i, f, o in self._select(query):
                    yield named[int(i.value)][0], int(f.value), o

    def around(self, predicate: str, ends: Sequence[Step]) -> Iterator[tuple[Any, ...]]:
        # One read of the whole predicate, each node's ends looked up beside it: the
        # authorships' written names with their papers and agents. Read from the batches
        # instead, each authorship was looked up twice (from its paper and from its author),
        # a random index seek and a decode each time.
        optional = " ".join(
            f"OPTIONAL {{ {_step('?x', predicate_, backwards, f'?e{at}')} FILTER(isIRI(?e{at})) }}"
            for at, (predicate_, backwards) in enumerate(ends)
        )
        names = " ".join(f"?e{at}" for at in range(len(ends)))
        query = (
            f"SELECT {names} ?o WHERE {{ ?x {ox.NamedNode(predicate)} ?o FILTER(isIRI(?x)) "
            f"{optional} }}"
        )
        for row in self._select(query):
            yield tuple(row)

    def count(self, predicate: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {ox.NamedNode(predicate)} ?o }}"
        return sum(int(n.value) for (n,) in self._select(query))

    def untyped(self, predicate: str, kind: str) -> set[str]:
        query = (
            f"SELECT DISTINCT ?s WHERE {{ ?s {ox.NamedNode(predicate)} ?o FILTER(isIRI(?s)) "
            f"MINUS {{ ?s a {ox.NamedNode(kind)} }} }}"
        )
        return {s.value for (s,) in self._select(query)}

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        # Index scans, not the SELECT DISTINCT of SparqlReader: the store would hold every
        # row to make them distinct, and with a VALUES block of graphs it read every typed
        # entity of the store once per block (1,470 s for the 7,420 graphs at 100k papers).
        quads = self.store._store.quads_for_pattern
        rdf_type = ox.NamedNode(RDF_TYPE)
        kinds = [ox.NamedNode(t) for t in types]
        if graphs is None:
            out: dict[str, set[str]] = {}
            for kind in kinds:
                for quad in quads(None, rdf_type, kind, None):
                    where, s = quad.graph_name, quad.subject
                    # Named graphs of the union (not the history), IRI subjects.
                    if (
                        isinstance(where, ox.NamedNode)
                        and isinstance(s, ox.NamedNode)
                        and in_union(where.value)
                    ):
                        out.setdefault(where.value, set()).add(s.value)
            return out
        out = {g: set() for g in graphs}
        for graph, found in out.items():
            node = _node(graph)
            if node is None or not in_union(graph):
                continue
            for kind in kinds:
                for quad in quads(None, rdf_type, kind, node):
                    if isinstance(quad.subject, ox.NamedNode):
                        found.add(quad.subject.value)
        return out


def _node(iri: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def reader_for(backend: QueryBackend, *, timeout: float | None = None) -> GraphReader:
    """Index scans on the embedded store in this process, SPARQL on anything else."""
    if isinstance(backend, LocalBackend):
        return StoreReader(backend.store, backend)
    return SparqlReader(backend, timeout=timeout)

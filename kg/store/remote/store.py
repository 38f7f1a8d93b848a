"""The store's read/write interface on an external SPARQL 1.1 store (see :mod:`kg.store.remote`)."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg import formats
from kg.errors import BadRequest, QueryTimeout, StoreError
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import DCTERMS, OWL, XSD, sparql_prologue
from kg.settings import DEFAULT_BASE_IRI
from kg.sparql.guard import require_query
from kg.sparql.rewrite import prepare_query, uses_graph
from kg.sparql.text import scan, tokens
from kg.store.changes import Touched
from kg.store.embedded import (
    HISTORY_GRAPH_MARK,
    QUAD_FORMATS,
    DatasetGraphs,
    GraphStore,
    KGStore,
    SourceState,
    collect_graphs,
    merged_store,
    resolve_store_path,
)
from kg.store.query import EMPTY_GRAPH
from kg.store.remote.http import (
    GRAPH_ACCEPT,
    RESULT_FORMS,
    RESULTS_ACCEPT,
    Endpoints,
    HttpClient,
    is_store_url,
    is_timeout,
    parse_answer,
    rdf_format,
)

UNION_GRAPH_NAME = "_union"
META_GRAPH_NAME = "_meta"
#: Triples in one INSERT DATA operation (several operations share a request).
TRIPLES_PER_OPERATION = 1000
#: N-Triples text one update request carries at most (whole graphs only: a
#: single larger graph still goes in one request, to stay atomic).
REQUEST_BATCH_BYTES = 8 * 1024 * 1024
#: RemoteBackend.version() asks the store at most this often.
VERSION_CHECK_SECONDS = 1.0
#: Query results beyond this size are spooled to a temporary file, not memory.
SPOOL_BYTES = 8 * 1024 * 1024
#: Above this many named graphs, a store that shows them all anyway is not sent their list.
MAX_LISTED_GRAPHS = 5000
#: Time limit of the store operations of ingest, stats and export (seconds).
STORE_TIMEOUT = 600.0


def _operations(update: str) -> list[str]:
    """Update text (operations each ending with ``;``) as one operation, or none."""
    text = update.strip().rstrip(";").strip()
    return [text] if text else []


def _ntriple(quad: ox.Quad | ox.Triple) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def _insert_operations(graph: str, lines: Sequence[str]) -> Iterator[str]:
    for start in range(0, len(lines), TRIPLES_PER_OPERATION):
        chunk = "\n".join(lines[start : start + TRIPLES_PER_OPERATION])
        yield f"INSERT DATA {{ GRAPH <{graph}> {{\n{chunk}\n}} }}"


class RemoteStore:
    """The write/read interface of :class:`kg.store.embedded.KGStore` on an external SPARQL 1.1 store.

    ``base_iri`` locates the project's graphs (``{base}graph/...``): use the one
    the data was ingested with. Nothing is sent until a method is called.

    >>> store = RemoteStore(Endpoints.from_urls("http://127.0.0.1:7878/query"), base_iri="http://kg.test/")
    >>> store.union_graph
    'http://kg.test/graph/_union'
    """

    folder: Path | None = None

    def __init__(self, endpoints: Endpoints, *, base_iri: str, timeout: float = STORE_TIMEOUT):
        self.endpoints = endpoints
        self.scheme = IriScheme(base_iri)
        self.timeout = timeout
        self.http = HttpClient(endpoints)
        self.graph_prefix = self.scheme.graph("")
        self.union_graph = self.scheme.graph(UNION_GRAPH_NAME)
        self.meta_graph = self.scheme.graph(META_GRAPH_NAME)
        self._lock = threading.Lock()
        self._graphs: tuple[str | None, float, list[str]] | None = None

    @classmethod
    def open(
        cls,
        query_url: str,
        *,
        base_iri: str,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        timeout: float = STORE_TIMEOUT,
    ) -> RemoteStore:
        """A handle on the store at ``query_url``; see :meth:`Endpoints.from_urls`."""
        return cls(
            Endpoints.from_urls(query_url, update_url, graph_store_url),
            base_iri=base_iri,
            timeout=timeout,
        )

    @property
    def location(self) -> str:
        """The query URL (without credentials), for messages."""
        return self.endpoints.query

    @property
    def writable(self) -> bool:
        return self.endpoints.update is not None

    @property
    def generation(self) -> str | None:
        """The version recorded by the last write (None before the first ingest)."""
        return self.version()

    # -- sending -------------------------------------------------------------------------

    def send_query(
        self,
        text: str,
        *,
        graph_result: bool,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
    ) -> HTTPResponse:
        """POST a prepared query; the open response (the caller reads and closes it)."""
        limit = self.timeout if timeout is None else timeout
        form = [("query", text)]
        form += [("default-graph-uri", g) for g in default_graphs]
        form += [("named-graph-uri", g) for g in named_graphs]
        if self.http.is_virtuoso:
            # Virtuoso's own limit, in milliseconds: it stops the work, not just the wait.
            form.append(("timeout", str(max(1, math.ceil(limit * 1000)))))
        response = self.http.open(
            self.endpoints.query,
            what="query",
            timeout=limit,
            accept=GRAPH_ACCEPT if graph_result else RESULTS_ACCEPT,
            form=form,
        )
        assert response is not None
        if "S1TAT" in (response.headers.get("X-SQL-State") or ""):
            response.close()  # Virtuoso's "anytime" answer: partial results, not an answer
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped by the store",
                timeout_seconds=limit,
            )
        return response

    def send_update(self, text: str, *, timeout: float | None = None) -> None:
        """POST one SPARQL Update request (one transaction on most stores)."""
        if self.endpoints.update is None:
            raise StoreError(f"no update URL for the store at {self.location}")
        limit = self.timeout if timeout is None else timeout
        response = self.http.open(
            self.endpoints.update,
            what="update",
            timeout=limit,
            accept="application/sparql-results+json, */*;q=0.1",
            form=[("update", text)],
        )
        if response is not None:
            with response:
                response.read()

    def dataset(
        self, text: str, default_graph: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> tuple[list[str], list[str]]:
        """The protocol dataset that gives a query the embedded store's dataset.

        The default graph is the union unless the request (``default_graph``) or
        the query's own FROM / FROM NAMED names one. A protocol dataset without
        ``named-graph-uri`` has no named graphs (SPARQL 1.1 Protocol; Oxigraph and
        Fuseki keep to it, Virtuoso does not), so a query that uses GRAPH also
        gets the project's named graphs listed, which keeps the union and _meta
        graphs out of ``GRAPH ?g`` as on the embedded store.
        """
        defaults, named = list(default_graph), list(named_graphs)
        if not defaults and not named and scan(text).has_from:
            return [], []
        if not named and uses_graph(text):
            named = self.listed_graphs()
        return defaults or [self.union_graph], named

    def listed_graphs(self) -> list[str]:
        """The project's named graphs, as :meth:`dataset` lists them (cached while the
        store's version stays the same, which is checked at most once a second)."""
        now = time.monotonic()
        with self._lock:
            cached = self._graphs
            if cached is not None and now - cached[1] < VERSION_CHECK_SECONDS:
                return cached[2]
        version = self.version()
        if cached is not None and cached[0] == version:
            graphs = cached[2]
        else:
            graphs = self.named_graphs()
            if len(graphs) > MAX_LISTED_GRAPHS and self._named_graphs_visible():
                graphs = []  # the store shows its named graphs anyway; spare it the list
        with self._lock:
            self._graphs = (version, now, graphs)
        return graphs

    def _named_graphs_visible(self) -> bool:
        """Whether the store shows every named graph to a query whose protocol dataset
        names a default graph only (Virtuoso does)."""
        rows = self.query(
            f"ASK {{ GRAPH <{self.meta_graph}> {{ ?s ?p ?o }} }}",
            default_graph=[self.union_graph],
            named_graphs=None,
            _list_graphs=False,
        )
        return bool(rows)

    def _internal(self, text: str) -> Any:
        """Run one of this module's own queries on the store's default dataset
        (every named graph visible on every store)."""
        features = scan(text)
        graph_result = features.form not in RESULT_FORMS
        return self._read(self.send_query(text, graph_result=graph_result), graph_result)

    def _read(self, response: HTTPResponse, graph_result: bool) -> Any:
        """Read a whole answer and hand it to pyoxigraph's parser, which yields it lazily.

        An answer larger than :data:`SPOOL_BYTES` goes to a temporary file first
        (the parser holds the open file, whose name is gone at once), so the
        connection is released at once whatever the size.
        """
        content_type = response.headers.get("Content-Type", "")
        try:
            with response:
                head = response.read(SPOOL_BYTES + 1)
                if len(head) <= SPOOL_BYTES:
                    return parse_answer(head, content_type, graph_result)
                with tempfile.NamedTemporaryFile(prefix="kg-answer-", delete=False) as spool:
                    spool.write(head)
                    shutil.copyfileobj(response, spool)
        except (OSError, TimeoutError) as error:
            if is_timeout(error):
                raise QueryTimeout(
                    f"the store's answer did not arrive within {self.timeout:g} s",
                    timeout_seconds=self.timeout,
                ) from None
            raise StoreError(f"reading the store's answer failed: {error}") from None
        try:
            return parse_answer(Path(spool.name), content_type, graph_result)
        finally:
            os.unlink(spool.name)

    # -- reading (the KGStore interface) ----------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        base_iri: str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        _list_graphs: bool = True,
    ) -> Any:
        """Run a query like :meth:`KGStore.query`: pyoxigraph's ``QuerySolutions`` or
        ``QueryBoolean``, or an iterator of ``Triple`` for CONSTRUCT and DESCRIBE.

        The response is spooled (to memory, then a temporary file) before it is
        parsed, so the connection is released at once while rows are still read
        lazily. Raises QuerySyntaxError, QueryTimeout, ServiceUnavailable or StoreError.
        """
        features = require_query(sparql)
        text = prepare_query(
            sparql, substitutions=substitutions, base_iri=base_iri, prefixes=prefixes
        )
        if _list_graphs:
            defaults, named = self.dataset(sparql, default_graph or (), named_graphs or ())
        else:
            defaults, named = list(default_graph or ()), list(named_graphs or ())
        graph_result = features.form not in RESULT_FORMS
        response = self.send_query(
            text, graph_result=graph_result, default_graphs=defaults, named_graphs=named
        )
        return self._read(response, graph_result)

    def recorded_bases(self) -> list[str]:
        """The base IRIs that ``kg ingest`` wrote into this store: each keeps a
        version in its ``{base}graph/_meta`` graph (whatever base this handle has)."""
        rows = self._internal(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{OWL.versionInfo}> ?v }} "
            f'FILTER(STRENDS(STR(?g), "/graph/{META_GRAPH_NAME}")) }} ORDER BY ?g'
        )
        suffix = f"graph/{META_GRAPH_NAME}"
        return [str(row["g"].value)[: -len(suffix)] for row in rows]

    def version(self) -> str | None:
        """The version the last write recorded in ``{base}graph/_meta`` (None if there is none)."""
        rows = self._internal(
            f"SELECT ?v WHERE {{ GRAPH <{self.meta_graph}> {{ <{self.union_graph}> <{OWL.versionInfo}> ?v }} }} "
            "ORDER BY DESC(?v) LIMIT 1"
        )
        for row in rows:
            return str(row["v"].value)
        return None

    def count_quads(self) -> int:
        """Quads in the project's named graphs plus triples in the union (the embedded
        store's count: its default graph is the union)."""
        row = next(
            iter(
                self._internal(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._ours('?g')} }}"
                )
            )
        )
        union = next(iter(self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
        return int(row["n"].value) + int(union["n"].value)

    def named_graphs(self) -> list[str]:
        """The project's named graphs under ``{base}graph/`` (not the union or _meta graphs)."""
        # GRAPH ?g {} lists graphs without reading their triples (Oxigraph); Virtuoso answers
        # it with one empty row, and then the graphs are found through their triples.
        listed = [
            row["g"].value
            for row in self._internal("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
            if isinstance(row["g"], ox.NamedNode)
        ]
        ours = [
            g
            for g in listed
            if g.startswith(self.graph_prefix) and g not in (self.union_graph, self.meta_graph)
        ]
        if not ours:
            rows = self._internal(
                f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._ours('?g')} }}"
            )
            ours = [row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)]
        return sorted(ours)

    def sources(self) -> dict[str, SourceState]:
        """The source graphs in the store with the checksum of the file each came from."""
        rows = self._internal(
            sparql_prologue() + "SELECT ?g ?id ?sha WHERE { GRAPH ?g { ?g a kg:SourceDocument ; "
            f"dcterms:identifier ?id . OPTIONAL {{ ?g kg:sha256 ?sha }} }} {self._ours('?g')} }}"
        )
        result: dict[str, SourceState] = {}
        for row in rows:
            graph = row["g"].value
            result[graph] = SourceState(
                graph, row["id"].value, row["sha"].value if row["sha"] else ""
            )
        return result

    def _ours(self, variable: str) -> str:
        return (
            f'FILTER(STRSTARTS(STR({variable}), "{self.graph_prefix}") '
            f"&& {variable} != <{self.union_graph}> && {variable} != <{self.meta_graph}>)"
        )

    def graph_triples(self, graph: str, *, timeout: float | None = None) -> Iterator[ox.Triple]:
        """Stream one graph's triples: a Graph Store Protocol GET if there is a graph
        store URL, else a CONSTRUCT (``timeout``: for each wait, default the store's)."""
        limit = self.timeout if timeout is None else timeout
        if self.endpoints.graph_store is not None:
            response = self.http.open(
                self.endpoints.graph_store,
                what=f"read of graph <{graph}>",
                timeout=limit,
                accept=GRAPH_ACCEPT,
                query=[("graph", graph)],
            )
            if response is None:
                return
        else:
            response = self.send_query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                graph_result=True,
                timeout=limit,
            )
        with response:
            fmt = rdf_format(response.headers.get("Content-Type", ""))
            try:
                for quad in ox.parse(response, fmt):
                    yield quad.triple
            except (SyntaxError, ValueError) as error:
                raise StoreError(
                    f"the store sent graph <{graph}> in a form that could not be read: {error}"
                ) from None

    def graph_ntriples(self, graph: str, budget: int, *, deadline: float) -> bytes:
        """One graph as N-Triples, for a dataset merge (:func:`kg.store.embedded.collect_graphs`):
        at most ``budget + 1`` triples (reading stops there), read by ``deadline`` (a
        :func:`time.monotonic` time; QueryTimeout after it).

        Each answer labels its blank nodes on its own, so two graphs' ``_:b0`` may be
        different nodes: each graph's blank nodes are renamed apart, as an RDF merge of
        graphs read separately does.
        """
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise QueryTimeout(
                "the query's dataset could not be read within the time limit",
                timeout_seconds=self.timeout,
            )
        blank: dict[str, ox.BlankNode] = {}

        def apart(term: Any) -> Any:
            if isinstance(term, ox.BlankNode):
                return blank.setdefault(term.value, ox.BlankNode())
            return term

        def triples() -> Iterator[ox.Triple]:
            try:
                for count, triple in enumerate(self.graph_triples(graph, timeout=timeout), 1):
                    if count % 256 == 0 and time.monotonic() > deadline:
                        raise QueryTimeout(
                            f"graph <{graph}> of the query's dataset could not be read "
                            "within the time limit",
                            timeout_seconds=timeout,
                        )
                    subject, value = triple.subject, triple.object
                    if isinstance(subject, ox.BlankNode) or isinstance(value, ox.BlankNode):
                        triple = ox.Triple(apart(subject), triple.predicate, apart(value))
                    yield triple
                    if count > budget:
                        return
            except (OSError, TimeoutError) as error:
                if is_timeout(error):
                    raise QueryTimeout(
                        f"graph <{graph}> of the query's dataset could not be read "
                        "within the time limit",
                        timeout_seconds=timeout,
                    ) from None
                raise StoreError(f"reading graph <{graph}> failed: {error}") from None

        return ox.serialize(triples(), format=ox.RdfFormat.N_TRIPLES) or b""

    def dataset_graphs(
        self,
        default_graph: Sequence[str],
        named_graphs: Sequence[str],
        *,
        max_triples: int,
        deadline: float,
    ) -> DatasetGraphs:
        """The graphs of a dataset to merge, read from the store by ``deadline`` (a
        :func:`time.monotonic` time): see :func:`kg.store.embedded.collect_graphs`."""

        def read(name: str, budget: int) -> bytes:
            if name == EMPTY_GRAPH:  # in no store: nothing to ask for
                return b""
            return self.graph_ntriples(name, budget, deadline=deadline)

        return collect_graphs(read, default_graph, named_graphs, max_triples)

    def merged(
        self, default_graph: list[str], named_graphs: list[str], *, max_triples: int
    ) -> KGStore:
        """As :meth:`KGStore.merged`: a scratch in-memory store holding the merge of
        ``default_graph`` (read from this store within its time limit)."""
        deadline = time.monotonic() + self.timeout
        graphs = self.dataset_graphs(
            default_graph, named_graphs, max_triples=max_triples, deadline=deadline
        )
        return merged_store(graphs, generation=self.generation)

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad as the embedded store holds it: the named graphs, then the union as the default graph."""
        for graph in self.named_graphs():
            node = ox.NamedNode(graph)
            for triple in self.graph_triples(graph):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, node)
        default = ox.DefaultGraph()
        for triple in self.graph_triples(self.union_graph):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, default)

    def dump(self, output: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Stream the store like :meth:`KGStore.dump`: quad formats keep the named graphs
        (and carry the union as the default graph), triple formats get the union."""
        rdf_format = formats.rdf_format(fmt)
        items: Iterable[ox.Quad | ox.Triple]
        if graph is not None:
            items = self.graph_triples(graph)
        elif fmt in QUAD_FORMATS:
            items = self.quads()
        else:
            items = self.graph_triples(self.union_graph)
        ox.serialize(items, output, rdf_format)

    # -- writing -------------------------------------------------------------------------------

    def _version_update(self) -> str:
        version = f"{time.time_ns():020d}"
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        meta, union = self.meta_graph, self.union_graph
        return (
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{union}> <{OWL.versionInfo}> ?v }} }} ;\n"
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{union}> <{DCTERMS.modified}> ?m }} }} ;\n"
            f'INSERT DATA {{ GRAPH <{meta}> {{ <{union}> <{OWL.versionInfo}> "{version}" ; '
            f'<{DCTERMS.modified}> "{now}"^^<{XSD.dateTime}> }} }}'
        )

    def _retract_from_union(self, graph: str) -> str:
        return (
            f"DELETE {{ GRAPH <{self.union_graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} "
            f"FILTER(?other != <{graph}> && ?other != <{self.union_graph}> && "
            f'!CONTAINS(STR(?other), "{HISTORY_GRAPH_MARK}")) }} }}'
        )

    def _add_to_union(self, graph: str) -> str:
        return f"INSERT {{ GRAPH <{self.union_graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"

    def load_new_graphs(
        self, nquads: Iterable[str | bytes | memoryview], *, graphs: Sequence[str] = ()
    ) -> None:
        """Add graphs that are not in the store yet, from N-Quads lines or UTF-8 (each graph
        with its default-graph copy, as :func:`kg.store.embedded.graph_with_union_copy` gives).
        Leftovers of an interrupted earlier write of the same graph are cleared first
        (so ``graphs``, which the embedded store needs for large loads, is not needed).

        Whole graphs go in requests of about :data:`REQUEST_BATCH_BYTES`; each
        request adds its graphs and their union share (in one transaction where
        the store makes a request one; see :meth:`_graph_operations`).
        """
        data = b"".join(p.encode("utf-8") if isinstance(p, str) else p for p in nquads)
        if not data:
            return
        by_graph: dict[str, list[str]] = {}
        defaults: list[str] = []
        try:
            for quad in ox.parse(data, ox.RdfFormat.N_QUADS):
                if isinstance(quad.graph_name, ox.NamedNode):
                    by_graph.setdefault(quad.graph_name.value, []).append(_ntriple(quad))
                else:
                    defaults.append(_ntriple(quad))
        except SyntaxError as error:
            raise StoreError(f"invalid N-Quads for the store: {error}") from None
        named = {line for lines in by_graph.values() for line in lines}
        # The default-graph copies become one INSERT ... WHERE per graph; anything
        # else for the default graph goes into the union as it is.
        extra = [line for line in dict.fromkeys(defaults) if line not in named]
        batch: list[str] = []
        size = 0
        for graph, lines in by_graph.items():
            operations = self._graph_operations(graph, lines)
            weight = sum(len(line) for line in lines)
            if batch and size + weight > REQUEST_BATCH_BYTES:
                self._write(batch)
                batch, size = [], 0
            batch.extend(operations)
            size += weight
        if extra:
            batch.extend(_insert_operations(self.union_graph, extra))
        if batch:
            self._write(batch)

    def replace_graph(
        self,
        graph: str,
        ntriples: Iterable[str],
        *,
        before: str = "",
        before_touches: Touched | None = None,
    ) -> None:
        """Replace one named graph's content, and its share of the union, in one update request
        (``before``: update operations sent first in it, see KGStore.replace_graph; an
        external store keeps no change records, so ``before_touches`` is not used)."""
        lines = [_ntriple(t) for t in _parse_triples("".join(ntriples))]
        self._write(_operations(before) + self._graph_operations(graph, lines))

    def replace_large_graph(self, graph: str, ntriples: Iterable[str]) -> None:
        """As :meth:`replace_graph`: the graph's own statements are written last there too."""
        self.replace_graph(graph, ntriples)

    def _graph_operations(self, graph: str, lines: Sequence[str]) -> list[str]:
        """The operations that (re)write a graph and its union share, the graph's own statements last.

        First whatever the store holds of the graph goes: its share of the union
        (what no other graph states, and every statement about the graph itself,
        which only it makes), then the graph. A store that runs an update request
        as one transaction needs no more. Virtuoso commits the operations of a
        request one by one, so a request cut short (an error, a crash) keeps its
        first part: the statements about the graph itself (its ``kg:SourceDocument``
        type and ``kg:sha256``, which tell the next ingest that the file is stored)
        are therefore written after the content and its union share, into the union
        and then into the graph. An interrupted write thus leaves the file looking
        new or changed, and the next ingest writes it again from scratch.
        """
        subject = f"<{graph}> "
        content = [line for line in lines if not line.startswith(subject)]
        own = [line for line in lines if line.startswith(subject)]
        return [
            self._retract_from_union(graph),
            f"DELETE WHERE {{ GRAPH <{self.union_graph}> {{ <{graph}> ?p ?o }} }}",
            f"DROP SILENT GRAPH <{graph}>",
            *_insert_operations(graph, content),
            self._add_to_union(graph),
            *_insert_operations(self.union_graph, own),
            *_insert_operations(graph, own),
        ]

    def remove_graph(
        self, graph: str, *, before: str = "", before_touches: Touched | None = None
    ) -> None:
        """Remove a named graph and retract from the union what only it stated, in one update
        request (``before_touches`` is not used, as for :meth:`replace_graph`)."""
        self._write(
            [*_operations(before), self._retract_from_union(graph), f"DROP SILENT GRAPH <{graph}>"]
        )

    def load_rdf(self, data: bytes | IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Add RDF in any supported format to a named graph (or to the union), in one request."""
        triples = [
            _ntriple(q) for q in ox.parse(data, formats.rdf_format(fmt), without_named_graphs=True)
        ]
        target = graph or self.union_graph
        operations = list(_insert_operations(target, triples))
        if graph is not None:
            operations.append(self._add_to_union(graph))
        self._write(operations)

    def update(
        self, sparql_update: str, *, base_iri: str | None = None, touches: Touched | None = None
    ) -> None:
        """Forward a SPARQL Update (the endpoint's, after its checks) to the update URL,
        with the version bump in the same request. It addresses the store's own
        dataset: its default graph is not the union. (``touches`` is not used: an external
        store keeps no change records.)"""
        text = (f"BASE <{base_iri}> " if base_iri else "") + sparql_update
        toks = tokens(text)
        separator = "\n" if toks and toks[-1].text == ";" else "\n;\n"
        try:
            self.send_update(text + separator + self._version_update())
        finally:
            self._forget_graphs()

    def _write(self, operations: Sequence[str]) -> None:
        """Send operations as one update request, with a new version recorded before and after
        them: where a request is not one transaction (Virtuoso), a reader that came in between
        and cached what it saw under the first version has it invalidated by the second."""
        if not operations:
            return
        try:
            self.send_update(
                " ;\n".join([self._version_update(), *operations, self._version_update()])
            )
        finally:
            self._forget_graphs()

    def _forget_graphs(self) -> None:
        with self._lock:
            self._graphs = None

    def flush(self) -> None:
        """Nothing to do: every write is already committed by the store."""

    def publish(self, *, compact: bool = True) -> str:
        """Nothing to checkpoint: each write recorded a new version in the store. Returns it.
        (``compact``: the external store compacts itself.)"""
        return self.version() or ""

    def close(self) -> None:
        """Nothing to release (every request has its own connection)."""

    # -- checks ----------------------------------------------------------------------------------

    def check_readable(self) -> str:
        """Make sure the store answers and holds this base's graphs; returns the version
        ("" for graphs loaded by other means than ``kg ingest``, which record none).

        Raises ServiceUnavailable when it does not answer, StoreError when it holds
        no data for this base IRI (naming the base of the data it does hold, if any).
        """
        version = self.version()
        if version is not None:
            return version
        rows = self._internal(
            sparql_prologue() + "SELECT ?g WHERE { GRAPH ?g { ?g a kg:SourceDocument } } ORDER BY "
            f'DESC(STRSTARTS(STR(?g), "{self.graph_prefix}")) LIMIT 1'
        )
        other = next((row["g"].value for row in rows), None)
        if other is not None and other.startswith(self.graph_prefix):
            return ""  # the project's graphs, loaded without it (a bulk load): no version yet
        # Every base whose ingest recorded itself, else the base of a graph found: a store
        # may hold the data of several bases, and the operator must see each of them.
        bases = self.recorded_bases()
        if not bases and other is not None and "/graph/" in other:
            bases = [other[: other.rindex("/graph/") + 1]]
        if bases:
            choices = " or ".join(f"--base-iri {base}" for base in bases)
            raise StoreError(
                f"no data for the base IRI {self.scheme.base} in the store at {self.location}; "
                f"it holds data ingested with {choices}: pass "
                f"{'that' if len(bases) == 1 else 'one of them'} (or set KG_BASE_IRI)"
            )
        raise StoreError(
            f"no data for the base IRI {self.scheme.base} in the store at {self.location}. "
            f"Run `kg ingest PATH --store {self.location} --base-iri {self.scheme.base}` first"
        )


def _parse_triples(text: str) -> Iterator[ox.Triple]:
    try:
        for quad in ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES):
            yield quad.triple
    except SyntaxError as error:
        raise StoreError(f"invalid N-Triples for the store: {error}") from None


# -- opening ---------------------------------------------------------------------------------------


def open_store(
    location: str | Path | None,
    *,
    writable: bool = False,
    base_iri: str | None = None,
    update_url: str | None = None,
    graph_store_url: str | None = None,
    timeout: float = STORE_TIMEOUT,
) -> KGStore | RemoteStore:
    """The store ``--store`` names: a folder (the embedded store) or an http(s) URL
    of a SPARQL query endpoint (an external store).

    A folder opens read-write on its primary database or read-only on its
    newest checkpoint. A URL needs ``base_iri`` (the one the data was ingested
    with); read-only handles are checked to hold data for it. Raises StoreError
    or ServiceUnavailable with a message for the user.
    """
    if is_store_url(location):
        assert isinstance(location, str)
        store = RemoteStore.open(
            location,
            base_iri=base_iri or DEFAULT_BASE_IRI,
            update_url=update_url,
            graph_store_url=graph_store_url,
            timeout=timeout,
        )
        if not writable:
            store.check_readable()
        return store
    if update_url or graph_store_url:
        raise BadRequest(
            "--update-url and --graph-store-url go with a store URL, not a store folder"
        )
    folder = resolve_store_path(location)
    return KGStore.open_writable(folder) if writable else KGStore.open_readonly(folder)


def as_graph_store(store: KGStore | RemoteStore) -> GraphStore:
    """Either store as :class:`kg.store.embedded.GraphStore` (mypy checks that both provide it)."""
    return store


def describe_location(store: KGStore | RemoteStore) -> str:
    """The folder or URL of a store, for messages."""
    if isinstance(store, RemoteStore):
        return store.location
    return str(store.folder) if store.folder is not None else "(memory)"

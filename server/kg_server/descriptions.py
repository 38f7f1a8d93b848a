"""What the store says about one IRI, bounded in size and time, and the cache of rendered documents.

:func:`describe` runs the description queries (the resource's own triples and fragments,
then its incoming links, each with labels) through the application's backend under one
:class:`Deadline`; :class:`DocumentCache` keeps rendered documents by ETag within a byte
budget. :mod:`kg_server.linked_data` negotiates and renders them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

import pyoxigraph as ox

from kg.errors import QueryTimeout
from kg.rdf.namespace import RDFS, sparql_prologue
from kg.store.query import QueryRequest
from kg_server.context import kg_context

#: Most incoming links a description carries.
INCOMING_LIMIT = 500
#: Bytes of rendered documents kept (per HTTP worker); the least recently used go first.
DOCUMENT_CACHE_BYTES = 64 * 1024 * 1024
#: What one cached document costs besides its body (bytes, roughly).
ENTRY_OVERHEAD = 512

_LABELS = "schema:name dcterms:title skos:prefLabel rdfs:label"

#: The resource's own triples with the labels of their objects, and its fragment nodes
#: (``<s#...>`` that it links to) with the labels of theirs. ``?s`` is bound by substitution.
OUTGOING_QUERY = (
    sparql_prologue()
    + f"""
CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?label . ?frag ?fp ?fo . ?fo ?flp ?flabel }}
WHERE {{
  {{ ?s ?p ?o OPTIONAL {{ VALUES ?lp {{ {_LABELS} }} ?o ?lp ?label }} }}
  UNION
  {{ ?s ?link ?frag
     FILTER(isIRI(?frag) && STRSTARTS(STR(?frag), CONCAT(STR(?s), "#")))
     ?frag ?fp ?fo
     OPTIONAL {{ VALUES ?flp {{ {_LABELS} }} ?fo ?flp ?flabel }} }}
}}"""
)

#: Incoming links with the labels of the resources they come from (cut by the request's limit).
INCOMING_QUERY = (
    sparql_prologue()
    + f"""
CONSTRUCT {{ ?in ?ip ?s . ?in ?lp ?label }}
WHERE {{ ?in ?ip ?s OPTIONAL {{ VALUES ?lp {{ {_LABELS} }} ?in ?lp ?label }} }}"""
)

#: A named graph's content. ``?g`` is bound by substitution.
GRAPH_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


@dataclass(frozen=True, slots=True)
class Description:
    """What the store says about one IRI, bounded in size.

    ``document`` is true for a source graph answered with its own content.
    ``incoming_truncated``: more than :data:`INCOMING_LIMIT` incoming links
    exist; ``truncated``: the resource's own part hit its cap, ``limit``.
    """

    iri: str
    triples: tuple[ox.Triple, ...]
    document: bool = False
    incoming_truncated: bool = False
    truncated: bool = False
    limit: int = 0

    def truncation_note(self) -> str | None:
        """The value of the ``X-Description-Truncated`` header, if anything was cut."""
        parts = []
        if self.incoming_truncated:
            parts.append(f"incoming-links; limit={INCOMING_LIMIT}")
        if self.truncated:
            parts.append(f"content; limit={self.limit}")
        return ", ".join(parts) or None


def _sort_key(main: str) -> Callable[[ox.Triple], tuple[int, str, str, str]]:
    fragment = main + "#"

    def key(triple: ox.Triple) -> tuple[int, str, str, str]:
        subject = (
            triple.subject.value
            if isinstance(triple.subject, ox.NamedNode)
            else "_:" + str(triple.subject)
        )
        rank = 0 if subject == main else 1 if subject.startswith(fragment) else 2
        return rank, subject, str(triple.predicate), str(triple.object)

    return key


class Deadline:
    """One budget of seconds for every step of a document: its queries and its rendering."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; QueryTimeout (503) when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise QueryTimeout(
                f"the document took longer than {self.seconds:g} s to build and was not rendered",
                timeout_seconds=self.seconds,
            )
        return left


def describe(
    iri: str, *, graph_document: bool = False, deadline: Deadline | None = None
) -> Description | None:
    """The description of ``iri`` from the server's backend, or None when the store knows nothing of it.

    With ``graph_document`` a named graph of that name is answered with its
    own content; otherwise (or when there is no such graph) the resource is
    described as any other. Its own part has at most ``--max-document-triples``
    triples. Raises the backend's errors (QueryTimeout, ...), and QueryTimeout
    when ``deadline`` (by default the query timeout from now) has passed.
    """
    context = kg_context()
    backend = context.backend
    limit = max(1, context.settings.max_document_triples)
    deadline = deadline or Deadline(context.settings.query_timeout)
    node = ox.NamedNode(iri)
    if graph_document:
        outcome = backend.run(
            QueryRequest(GRAPH_QUERY, substitutions={"g": node}, limit=limit),
            timeout=deadline.remaining(),
        )
        if outcome.triples:
            triples = tuple(sorted(set(outcome.triples), key=_sort_key(iri)))
            return Description(
                iri, triples, document=True, truncated=outcome.truncated, limit=limit
            )
    outgoing = backend.run(
        QueryRequest(OUTGOING_QUERY, substitutions={"s": node}, limit=limit),
        timeout=deadline.remaining(),
    )
    # Several labels per linked resource: room for them on top of the links.
    incoming = backend.run(
        QueryRequest(INCOMING_QUERY, substitutions={"s": node}, limit=INCOMING_LIMIT * 4 + 1),
        timeout=deadline.remaining(),
    )
    kept: set[tuple[str, str]] = set()
    dropped: set[str] = set()
    in_triples: list[ox.Triple] = []
    for triple in incoming.triples:
        if triple.object == node:
            link = (str(triple.subject), str(triple.predicate))
            if link not in kept:
                if len(kept) >= INCOMING_LIMIT:
                    dropped.add(str(triple.subject))
                    continue
                kept.add(link)
        in_triples.append(triple)
    linked = {s for s, _ in kept}
    # Labels of subjects none of whose kept links survived go too.
    in_triples = [t for t in in_triples if t.object == node or str(t.subject) in linked]
    everything = set(outgoing.triples) | set(in_triples)
    if not everything:
        return None
    return Description(
        iri,
        tuple(sorted(everything, key=_sort_key(iri))),
        incoming_truncated=bool(dropped) or incoming.truncated,
        truncated=outgoing.truncated,
        limit=limit,
    )


def with_cut_note(description: Description, dumps_url: str) -> Description:
    """A cut description says so in its own data: an ``rdfs:comment`` and an
    ``rdfs:seeAlso`` to the dumps, which have everything."""
    if not description.truncated:
        return description
    subject = ox.NamedNode(description.iri)
    what = "graph" if description.document else "resource's own triples"
    note = (
        f"This document is cut at {description.limit} triples (the server's "
        f"--max-document-triples); the whole {what} is in the dumps: {dumps_url}"
    )
    extra = (
        ox.Triple(subject, ox.NamedNode(str(RDFS.comment)), ox.Literal(note, language="en")),
        ox.Triple(subject, ox.NamedNode(str(RDFS.seeAlso)), ox.NamedNode(dumps_url)),
    )
    return replace(description, triples=description.triples + extra)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered document: what a response needs besides the headers every answer gets."""

    body: bytes
    content_type: str
    truncation_note: str | None
    #: The dumps' URL, when the document was cut.
    dumps: str | None = None


class DocumentCache:
    """Rendered documents by ETag, at most ``budget`` bytes, least recently used out first.

    :meth:`get` renders a missing document once: concurrent requests for it wait for
    that rendering instead of repeating it.
    """

    def __init__(self, budget: int = DOCUMENT_CACHE_BYTES):
        self.budget = budget
        self.size = 0
        self.entries: OrderedDict[str, Rendered | None] = OrderedDict()
        self.lock = threading.Lock()
        self.building: dict[str, threading.Lock] = {}

    def get(self, key: str, build: Callable[[], Rendered | None]) -> Rendered | None:
        """The document under ``key``, built with ``build`` when missing (None: no such
        resource, also kept). Raises what ``build`` raises (nothing is kept then)."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            gate = self.building.setdefault(key, threading.Lock())
        with gate:
            with self.lock:
                if key in self.entries:
                    return self.entries[key]
            try:
                rendered = build()
            finally:
                with self.lock:
                    self.building.pop(key, None)
            self._keep(key, rendered)
            return rendered

    @staticmethod
    def _cost(key: str, rendered: Rendered | None) -> int:
        # Every entry costs something, so that many unknown IRIs cannot grow the cache.
        return ENTRY_OVERHEAD + len(key) + (len(rendered.body) if rendered is not None else 0)

    def _keep(self, key: str, rendered: Rendered | None) -> None:
        cost = self._cost(key, rendered)
        if cost > self.budget:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = rendered
            self.size += cost
            while self.size > self.budget and self.entries:
                old_key, old = self.entries.popitem(last=False)
                self.size -= self._cost(old_key, old)

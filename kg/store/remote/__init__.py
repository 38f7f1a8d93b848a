"""An external SPARQL 1.1 store as the backend (Virtuoso, Oxigraph server, QLever, Fuseki, ...).

When ``--store`` is an http(s) URL, the project reads and writes through the
standard protocols only, so any SPARQL 1.1 store will do:

* reads: the SPARQL 1.1 Protocol (``query=`` by POST, form-encoded) at the
  query URL;
* writes: SPARQL 1.1 Update (``update=`` by POST) at the update URL (by default
  the query URL, or ``.../update`` beside an Oxigraph- or Fuseki-style
  ``.../query``);
* exports: the Graph Store Protocol (``GET ?graph=``) at the graph store URL
  when one is given, else one ``CONSTRUCT`` per graph.

:class:`RemoteStore` offers the read/write interface of :class:`kg.store.embedded.KGStore`
(:class:`kg.store.embedded.GraphStore`), so ingest, its resolution step, ``kg stats``
and ``kg export`` run on it unchanged; :class:`RemoteBackend` is the
:class:`kg.store.query.QueryBackend` the server uses (/sparql, reports, linked data).

The data layout is the embedded store's, with one difference. Each source file
has its named graph ``{base}graph/{source}``; the set union of all of them is
kept in the named graph ``{base}graph/_union`` (not in the store's default
graph, whose meaning differs between stores: Virtuoso's is the bag of all its
graphs, the Oxigraph server's a graph of its own), and every read names it as
the default graph with the protocol's ``default-graph-uri``, unless the
request or the query (``FROM``) names its own dataset. Queries thus get the
same set semantics, and the same counts, on every store. ``GRAPH ?g`` sees the
union graph and ``{base}graph/_meta`` too (and, on Virtuoso, its system graphs).

Every write is one SPARQL Update request: a source graph's replacement, the
retraction from the union of what only that graph stated, the new union share
and the bump of the version recorded in ``_meta`` travel together, so a store
that runs an update request as one transaction (the Oxigraph server, Fuseki,
GraphDB, Neptune) never shows half of it. Virtuoso commits the operations of a
request one by one; there the operations are ordered so that an interrupted
write is redone by the next ingest (see :meth:`kg.store.remote.store.RemoteStore._graph_operations`).
New graphs go in batches of whole graphs, each INSERT DATA operation carrying
at most :data:`kg.store.remote.store.TRIPLES_PER_OPERATION` triples (Virtuoso's SPARQL compiler runs
out of parser stack near 5,000).

Query parameters (``substitutions``) cannot travel as such over the protocol:
they become a ``VALUES`` block at the start of the query's WHERE group, and of
every sub-query that projects the variable, which is what pyoxigraph's
substitution means for the queries this project writes (see
:func:`kg.sparql.rewrite.bind_values`).

HTTP goes through :mod:`urllib.request` rather than SPARQLWrapper, on purpose:
the caller already knows whether it sends a query or an update (SPARQLWrapper
guesses it from the text with a regular expression), the store's own error
message must reach the client as the problem detail (SPARQLWrapper keeps it
only inside its exception's text), timeouts must not be rounded to whole
seconds, credentials must not install a process-wide URL opener (which
SPARQLWrapper does for digest authentication), and the response body must be
handed to pyoxigraph's streaming parsers as it arrives. SPARQLWrapper remains
what the project's *clients* are tested with.

Modules: :mod:`~kg.store.remote.http` (endpoints, requests, answers),
:mod:`~kg.store.remote.store` (:class:`RemoteStore`, and :func:`open_store` for
either kind of store), :mod:`~kg.store.remote.backend` (:class:`RemoteBackend`).
The SERVICE policy is :mod:`kg.sparql.guard`'s, the text rewriting
:mod:`kg.sparql.rewrite`'s.
"""

from __future__ import annotations

from kg.store.remote.backend import RemoteBackend
from kg.store.remote.http import Endpoints, is_store_url
from kg.store.remote.store import (
    META_GRAPH_NAME,
    STORE_TIMEOUT,
    UNION_GRAPH_NAME,
    RemoteStore,
    as_graph_store,
    describe_location,
    open_store,
)

__all__ = [
    "META_GRAPH_NAME",
    "STORE_TIMEOUT",
    "UNION_GRAPH_NAME",
    "Endpoints",
    "RemoteBackend",
    "RemoteStore",
    "as_graph_store",
    "describe_location",
    "is_store_url",
    "open_store",
]

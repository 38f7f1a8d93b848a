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
write is redone by the next ingest (see :meth:`RemoteStore._graph_operations`).
New graphs go in batches of whole graphs, each INSERT DATA operation carrying
at most :data:`TRIPLES_PER_OPERATION` triples (Virtuoso's SPARQL compiler runs
out of parser stack near 5,000).

Query parameters (``substitutions``) cannot travel as such over the protocol:
they become a ``VALUES`` block at the start of the query's WHERE group, and of
every sub-query that projects the variable, which is what pyoxigraph's
substitution means for the queries this project writes (see
:func:`bind_values`).

HTTP goes through :mod:`urllib.request` rather than SPARQLWrapper, on purpose:
the caller already knows whether it sends a query or an update (SPARQLWrapper
guesses it from the text with a regular expression), the store's own error
message must reach the client as the problem detail (SPARQLWrapper keeps it
only inside its exception's text), timeouts must not be rounded to whole
seconds, credentials must not install a process-wide URL opener (which
SPARQLWrapper does for digest authentication), and the response body must be
handed to pyoxigraph's streaming parsers as it arrives. SPARQLWrapper remains
what the project's *clients* are tested with.
"""

from __future__ import annotations

import base64
import math
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import (
    BadRequest,
    ForbiddenOperation,
    InvalidParameter,
    KGError,
    QuerySyntaxError,
    QueryTimeout,
    ServiceUnavailable,
    StoreError,
)
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import DCTERMS, OWL, PREFIXES, XSD, sparql_prologue
from kg.sparql.results import SelectResult
from kg.sparql.text import _TOKEN as SPARQL_TOKEN  # the scan's token grammar, used with positions
from kg.sparql.text import apply_edits, scan
from kg.store.embedded import QUAD_FORMATS, RDF_FORMATS, GraphStore, KGStore, SourceState
from kg.store.query import QueryOutcome, QueryRequest

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
USER_AGENT = "scholarly-kg (+https://w3id.org/scholarly-kg)"

#: XML first: Virtuoso writes xsd:boolean as 0/1 in its JSON results, but as false/true in XML.
RESULTS_ACCEPT = "application/sparql-results+xml, application/sparql-results+json;q=0.9"
GRAPH_ACCEPT = (
    "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
_RESULT_FORMS = {"SELECT", "ASK"}


def is_store_url(location: object) -> bool:
    """Whether a ``--store`` value names an external store (an http(s) URL) rather than a folder."""
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


# -- endpoints -----------------------------------------------------------------------------------


def _split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without ``user:password@``, and the Basic ``Authorization`` value it carried."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return clean, "Basic " + token


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a store answers queries, updates and Graph Store Protocol requests.

    Credentials written into a URL (``https://user:pw@host/sparql``) are sent
    with HTTP Basic authentication to that URL only and never shown.
    """

    query: str
    update: str | None = None
    graph_store: str | None = None
    _auth: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_urls(
        cls, query: str, update: str | None = None, graph_store: str | None = None
    ) -> Endpoints:
        """Endpoints from the three URLs; the update URL defaults to the query URL, or to
        ``.../update`` when the query URL ends with ``/query`` (Oxigraph, Fuseki).

        Raises StoreError for a URL that is not http(s).

        >>> Endpoints.from_urls("http://127.0.0.1:7878/query").update
        'http://127.0.0.1:7878/update'
        >>> Endpoints.from_urls("http://h:8890/sparql").update
        'http://h:8890/sparql'
        """
        for url in (query, update, graph_store):
            if url is not None and not is_store_url(url):
                raise StoreError(f"not an http(s) URL: {url!r}")
        if update is None:
            path = urllib.parse.urlsplit(query).path
            update = (
                query[: query.rindex("/query")] + "/update" if path.endswith("/query") else query
            )
        auth: dict[str, str] = {}
        cleaned: list[str | None] = []
        for url in (query, update, graph_store):
            if url is None:
                cleaned.append(None)
                continue
            clean, header = _split_credentials(url)
            if header:
                auth[clean] = header
            cleaned.append(clean)
        assert cleaned[0] is not None
        return cls(cleaned[0], cleaned[1], cleaned[2], auth)

    def authorization(self, url: str) -> str | None:
        return self._auth.get(url)


# -- HTTP --------------------------------------------------------------------------------------------


def _error_body(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read(4000)
    except OSError:
        raw = b""
    text = raw.decode("utf-8", errors="replace").strip()
    return text[:2000]


def _is_timeout(error: BaseException) -> bool:
    if isinstance(error, TimeoutError | socket.timeout):
        return True
    return isinstance(error, urllib.error.URLError) and isinstance(
        error.reason, TimeoutError | socket.timeout
    )


class _Http:
    """POST and GET with a time limit, mapping failures to the project's errors."""

    def __init__(self, endpoints: Endpoints):
        self.endpoints = endpoints
        self._opener = urllib.request.build_opener()
        self.server: str | None = None  # the store's Server header, once seen

    def open(
        self,
        url: str,
        *,
        what: str,
        timeout: float,
        accept: str,
        form: Sequence[tuple[str, str]] | None = None,
        query: Sequence[tuple[str, str]] = (),
        method: str | None = None,
    ) -> HTTPResponse | None:
        """Send a request; the open response, or None for a 404 on a GET of the Graph Store Protocol.

        Raises QuerySyntaxError (the store said 400), QueryTimeout, ServiceUnavailable
        (the store cannot be reached or is overloaded) or StoreError.
        """
        target = url + (
            ("&" if "?" in url else "?") + urllib.parse.urlencode(query) if query else ""
        )
        data = urllib.parse.urlencode(form).encode("utf-8") if form is not None else None
        request = urllib.request.Request(target, data=data, method=method)
        request.add_header("Accept", accept)
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
        authorization = self.endpoints.authorization(url)
        if authorization:
            request.add_header("Authorization", authorization)
        try:
            response: HTTPResponse = self._opener.open(request, timeout=max(0.05, timeout))
        except urllib.error.HTTPError as error:
            if error.code == 404 and form is None and what.startswith("read of graph"):
                error.close()
                return None
            raise self._http_error(error, url, what, timeout) from None
        except (urllib.error.URLError, OSError) as error:
            if _is_timeout(error):
                later = "; it may still complete on the store" if what == "update" else ""
                raise QueryTimeout(
                    f"the store did not answer the {what} within {timeout:g} s{later}",
                    timeout_seconds=timeout,
                ) from None
            reason = getattr(error, "reason", error)
            raise ServiceUnavailable(
                f"the store at {url} cannot be reached: {reason}", retry_after=5
            ) from None
        if self.server is None:
            self.server = response.headers.get("Server", "")
        return response

    def _http_error(
        self, error: urllib.error.HTTPError, url: str, what: str, timeout: float
    ) -> KGError:
        body = _error_body(error)
        status = error.code
        headers = error.headers
        error.close()
        head = body[:300]
        if (
            "S1TAT" in (headers.get("X-SQL-State") or "")
            or "SR171" in head
            or "timed out" in head.lower()
            or "timeout" in head.lower()
        ):
            return QueryTimeout(
                f"the store stopped the {what} at its time limit: {body}", timeout_seconds=timeout
            )
        # Virtuoso answers some malformed queries with 500 and SQL state 37000 (syntax error).
        if status == 400 or (status == 500 and "37000" in head):
            return QuerySyntaxError(
                f"the store rejected the {what}: {body}"
                if body
                else f"the store rejected the {what} (HTTP 400)"
            )
        if status in (401, 403):
            return StoreError(
                f"the store at {url} refused the {what} (HTTP {status}): give credentials in the URL "
                "(https://user:password@host/...) or grant the SPARQL user the right to do it"
                + (f": {body}" if body else "")
            )
        if status == 404:
            return StoreError(f"no SPARQL service at {url} (HTTP 404)")
        if status in (502, 503, 504):
            return ServiceUnavailable(
                f"the store at {url} is unavailable (HTTP {status}): {body}", retry_after=5
            )
        return StoreError(f"the store failed the {what} (HTTP {status}): {body}")

    @property
    def is_virtuoso(self) -> bool:
        return bool(self.server) and "virtuoso" in (self.server or "").lower()


# -- query text --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [
        _Tok(m.lastgroup or "other", m.group(), m.start(), m.end())
        for m in SPARQL_TOKEN.finditer(text)
        if m.lastgroup not in ("ws", "comment")
    ]


def _term_text(name: str, term: Any) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    raise InvalidParameter(
        f"parameter {name}: only IRIs and literals can be sent to an external store, not {term!r}"
    )


def _matching(toks: list[_Tok], index: int) -> int:
    """Index of the token closing the bracket opened at ``index``."""
    opening = toks[index].text
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    depth = 0
    for position in range(index, len(toks)):
        text = toks[position].text
        if text == opening:
            depth += 1
        elif text == closing:
            depth -= 1
            if depth == 0:
                return position
    return len(toks) - 1


def _select_group(toks: list[_Tok], index: int) -> tuple[int | None, set[str], bool, set[str]]:
    """For the SELECT at ``index``: the index of its WHERE group's ``{``, the plainly
    projected variables, whether it projects ``*``, and the variables bound by ``AS``."""
    plain: set[str] = set()
    bound: set[str] = set()
    star = False
    position = index + 1
    while position < len(toks):
        tok = toks[position]
        if tok.text == "{":
            return position, plain, star, bound
        if tok.text == "(":
            close = _matching(toks, position)
            if (
                close - 1 > position
                and toks[close - 1].kind == "var"
                and toks[close - 2].text.upper() == "AS"
            ):
                bound.add(toks[close - 1].text[1:])
            position = close + 1
            continue
        if tok.kind == "var":
            plain.add(tok.text[1:])
        elif tok.text == "*":
            star = True
        position += 1
    return None, plain, star, bound


def bind_values(text: str, substitutions: Mapping[str, Any] | None) -> str:
    """The query with its parameters bound by ``VALUES``, for a store that takes text only.

    pyoxigraph's ``substitutions`` replace a projected variable by a term
    wherever it is in scope: in the query and in every sub-query that projects
    it. Over the protocol the same binding is a ``VALUES (?a ?b) { (t1 t2) }``
    block put first in the query's WHERE group, in every group nested in it
    that uses the variable (OPTIONAL, UNION branches, MINUS, EXISTS, GRAPH),
    and in the WHERE group of each sub-query that projects it: joined first in
    each group, the constant reaches every pattern and FILTER of the scope, as
    the substitution does. A ``CONSTRUCT WHERE { ... }`` gets its template
    written out; a ``DESCRIBE ?x`` without WHERE names the IRI instead.

    Raises InvalidParameter for a blank node or a quoted triple.

    >>> bind_values("SELECT ?a ?n WHERE { ?a <http://e/p> ?n }", {"a": ox.NamedNode("http://e/x")})
    'SELECT ?a ?n WHERE { VALUES (?a) { (<http://e/x>) } ?a <http://e/p> ?n }'
    """
    if not substitutions:
        return text
    terms = {name: _term_text(name, term) for name, term in substitutions.items()}
    toks = _tokens(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)

    def clause(names: Iterable[str]) -> str:
        chosen = [n for n in terms if n in set(names)]
        if not chosen:
            return ""
        return (
            f" VALUES ({' '.join('?' + n for n in chosen)}) "
            f"{{ ({' '.join(terms[n] for n in chosen)}) }}"
        )

    def insert_after(index: int, names: Iterable[str]) -> None:
        added = clause(names)
        if added:
            edits.append((toks[index].end, toks[index].end, added))

    def group(open_index: int, names: set[str], whole_scope: bool) -> None:
        """The group opened by the ``{`` at ``open_index``, where ``names`` are in scope."""
        close = _matching(toks, open_index)
        first = toks[open_index + 1] if open_index + 1 < close else None
        if first is not None and first.kind == "word" and first.text.upper() == "SELECT":
            sub_select(open_index + 1, names)
            return
        inner = toks[open_index + 1 : close]
        used = (
            names
            if whole_scope
            else {n for n in names if any(t.kind == "var" and t.text[1:] == n for t in inner)}
        )
        if not used:
            return
        insert_after(open_index, used)
        position = open_index + 1
        while position < close:
            tok = toks[position]
            if tok.kind == "word" and tok.text.upper() == "VALUES":
                block = next((i for i in range(position + 1, close) if toks[i].text == "{"), None)
                position = _matching(toks, block) + 1 if block is not None else close
                continue
            if tok.text == "{":
                group(position, used, whole_scope=False)
                position = _matching(toks, position) + 1
                continue
            position += 1

    def sub_select(index: int, names: set[str]) -> None:
        where, plain, star, bound = _select_group(toks, index)
        inner = (set(names) if star else plain & names) - bound
        if where is not None and inner:
            group(where, inner, whole_scope=True)

    form_index = next(
        (
            i
            for i, t in enumerate(toks)
            if t.kind == "word" and t.text.upper() in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
        ),
        None,
    )
    if form_index is None:
        return text
    form = toks[form_index].text.upper()
    names = set(terms)
    following = toks[form_index + 1] if form_index + 1 < len(toks) else None
    if form == "SELECT":
        where, _plain, _star, bound = _select_group(toks, form_index)
        if where is not None:
            group(where, names - bound, whole_scope=True)
    elif form == "CONSTRUCT" and following is not None and following.text == "{":
        template_end = _matching(toks, form_index + 1)
        where = next((i for i in range(template_end + 1, len(toks)) if toks[i].text == "{"), None)
        if where is not None:
            group(where, names, whole_scope=True)
    elif form == "CONSTRUCT" and following is not None and following.text.upper() == "WHERE":
        # CONSTRUCT WHERE { T } -> CONSTRUCT { T } WHERE { VALUES ... T }
        opening = form_index + 2
        if opening < len(toks) and toks[opening].text == "{":
            close = _matching(toks, opening)
            template = text[toks[opening].start : toks[close].end]
            edits.append(
                (following.start, toks[opening].end, template + " WHERE {" + clause(names))
            )
    else:  # ASK, DESCRIBE
        where = next((i for i in range(form_index + 1, len(toks)) if toks[i].text == "{"), None)
        if where is not None:
            group(where, names, whole_scope=True)
        elif form == "DESCRIBE":
            for tok in toks[form_index + 1 :]:
                if tok.kind == "var" and tok.text[1:] in terms:
                    if not terms[tok.text[1:]].startswith("<"):
                        raise InvalidParameter(f"parameter {tok.text[1:]}: DESCRIBE needs an IRI")
                    edits.append((tok.start, tok.end, terms[tok.text[1:]]))
    return apply_edits(text, edits)


def prepare_query(
    text: str,
    *,
    substitutions: Mapping[str, Any] | None = None,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """Query text for the store: parameters bound, base and missing prefixes declared first.

    The declarations go on the first line, so the store's error messages keep
    the line numbers of the text the user wrote.
    """
    text = bind_values(text, substitutions)
    head = ""
    if base_iri:
        head += f"BASE <{base_iri}> "
    if prefixes:
        declared = scan(text).prefixes
        head += "".join(f"PREFIX {p}: <{iri}> " for p, iri in prefixes.items() if p not in declared)
    return head + text


# -- the store -------------------------------------------------------------------------------------


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
        self.http = _Http(endpoints)
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
        if not named and _uses_graph(text):
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
        graph_result = features.form not in _RESULT_FORMS
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
                    return _parse_answer(head, content_type, graph_result)
                with tempfile.NamedTemporaryFile(prefix="kg-answer-", delete=False) as spool:
                    spool.write(head)
                    shutil.copyfileobj(response, spool)
        except (OSError, TimeoutError) as error:
            if _is_timeout(error):
                raise QueryTimeout(
                    f"the store's answer did not arrive within {self.timeout:g} s",
                    timeout_seconds=self.timeout,
                ) from None
            raise StoreError(f"reading the store's answer failed: {error}") from None
        try:
            return _parse_answer(Path(spool.name), content_type, graph_result)
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
        features = scan(sparql)
        if features.is_update:
            raise QuerySyntaxError(
                "expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE), got an update"
            )
        text = prepare_query(
            sparql, substitutions=substitutions, base_iri=base_iri, prefixes=prefixes
        )
        if _list_graphs:
            defaults, named = self.dataset(sparql, default_graph or (), named_graphs or ())
        else:
            defaults, named = list(default_graph or ()), list(named_graphs or ())
        graph_result = features.form not in _RESULT_FORMS
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

    def graph_triples(self, graph: str) -> Iterator[ox.Triple]:
        """Stream one graph's triples: a Graph Store Protocol GET if there is a graph
        store URL, else a CONSTRUCT."""
        if self.endpoints.graph_store is not None:
            response = self.http.open(
                self.endpoints.graph_store,
                what=f"read of graph <{graph}>",
                timeout=self.timeout,
                accept=GRAPH_ACCEPT,
                query=[("graph", graph)],
            )
            if response is None:
                return
        else:
            response = self.send_query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                graph_result=True,
            )
        with response:
            fmt = _rdf_format(response.headers.get("Content-Type", ""))
            try:
                for quad in ox.parse(response, fmt):
                    yield quad.triple
            except (SyntaxError, ValueError) as error:
                raise StoreError(
                    f"the store sent graph <{graph}> in a form that could not be read: {error}"
                ) from None

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
        rdf_format = RDF_FORMATS[fmt]
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
            f"FILTER(?other != <{graph}> && ?other != <{self.union_graph}>) }} }}"
        )

    def _add_to_union(self, graph: str) -> str:
        return f"INSERT {{ GRAPH <{self.union_graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"

    def load_new_graphs(self, nquads: Iterable[str]) -> None:
        """Add graphs that are not in the store yet, from N-Quads lines (each graph
        with its default-graph copy, as :func:`kg.store.embedded.graph_with_union_copy` gives).
        Leftovers of an interrupted earlier write of the same graph are cleared first.

        Whole graphs go in requests of about :data:`REQUEST_BATCH_BYTES`; each
        request adds its graphs and their union share (in one transaction where
        the store makes a request one; see :meth:`_graph_operations`).
        """
        data = "".join(nquads).encode("utf-8")
        if not data:
            return
        graphs: dict[str, list[str]] = {}
        defaults: list[str] = []
        try:
            for quad in ox.parse(data, ox.RdfFormat.N_QUADS):
                if isinstance(quad.graph_name, ox.NamedNode):
                    graphs.setdefault(quad.graph_name.value, []).append(_ntriple(quad))
                else:
                    defaults.append(_ntriple(quad))
        except SyntaxError as error:
            raise StoreError(f"invalid N-Quads for the store: {error}") from None
        named = {line for lines in graphs.values() for line in lines}
        # The default-graph copies become one INSERT ... WHERE per graph; anything
        # else for the default graph goes into the union as it is.
        extra = [line for line in dict.fromkeys(defaults) if line not in named]
        batch: list[str] = []
        size = 0
        for graph, lines in graphs.items():
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

    def replace_graph(self, graph: str, ntriples: Iterable[str]) -> None:
        """Replace one named graph's content, and its share of the union, in one update request."""
        lines = [_ntriple(t) for t in _parse_triples("".join(ntriples))]
        self._write(self._graph_operations(graph, lines))

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

    def remove_graph(self, graph: str) -> None:
        """Remove a named graph and retract from the union what only it stated, in one update request."""
        self._write([self._retract_from_union(graph), f"DROP SILENT GRAPH <{graph}>"])

    def load_rdf(self, data: bytes | IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Add RDF in any supported format to a named graph (or to the union), in one request."""
        triples = [_ntriple(q) for q in ox.parse(data, RDF_FORMATS[fmt], without_named_graphs=True)]
        target = graph or self.union_graph
        operations = list(_insert_operations(target, triples))
        if graph is not None:
            operations.append(self._add_to_union(graph))
        self._write(operations)

    def update(self, sparql_update: str, *, base_iri: str | None = None) -> None:
        """Forward a SPARQL Update (the endpoint's, after its checks) to the update URL,
        with the version bump in the same request. It addresses the store's own
        dataset: its default graph is not the union."""
        text = (f"BASE <{base_iri}> " if base_iri else "") + sparql_update
        toks = _tokens(text)
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

    def publish(self) -> str:
        """Nothing to checkpoint: each write recorded a new version in the store. Returns it."""
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
        if other is not None and "/graph/" in other:
            base = other[: other.rindex("/graph/") + 1]
            raise StoreError(
                f"no data for the base IRI {self.scheme.base} in the store at {self.location}; it holds data "
                f"ingested with --base-iri {base}: pass that (or set KG_BASE_IRI)"
            )
        raise StoreError(
            f"no data for the base IRI {self.scheme.base} in the store at {self.location}. "
            f"Run `kg ingest PATH --store {self.location} --base-iri {self.scheme.base}` first"
        )


def _uses_graph(text: str) -> bool:
    return any(t.kind == "word" and t.text.upper() == "GRAPH" for t in _tokens(text))


def _parse_triples(text: str) -> Iterator[ox.Triple]:
    try:
        for quad in ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES):
            yield quad.triple
    except SyntaxError as error:
        raise StoreError(f"invalid N-Triples for the store: {error}") from None


def _rdf_format(content_type: str) -> ox.RdfFormat:
    media = content_type.split(";")[0].strip().lower()
    if media in ("text/plain", ""):
        return ox.RdfFormat.N_TRIPLES
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise StoreError(
            f"the store answered with {content_type!r}, which is not an RDF format this project reads"
        )
    return fmt


def _results_format(content_type: str) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_media_type(content_type.split(";")[0].strip().lower())
    if fmt is None:
        raise StoreError(
            f"the store answered with {content_type!r}, which is not a SPARQL results format"
        )
    return fmt


def _parse_answer(data: bytes | Path, content_type: str, graph_result: bool) -> Any:
    """Parse a whole answer, given as bytes or as a file (read lazily by pyoxigraph)."""
    source: dict[str, Any] = {"path": str(data)} if isinstance(data, Path) else {"input": data}
    try:
        if graph_result:
            return (quad.triple for quad in ox.parse(format=_rdf_format(content_type), **source))
        return ox.parse_query_results(format=_results_format(content_type), **source)
    except (SyntaxError, ValueError) as error:
        raise StoreError(f"the store's answer could not be read: {error}") from None


# -- the query backend ---------------------------------------------------------------------------


class RemoteBackend:
    """A :class:`kg.store.query.QueryBackend` on an external store.

    * timeout: each query gets the request's time limit (or ``timeout``) as the
      HTTP client's limit, as a total deadline while the results stream in,
      and, on Virtuoso, as the store's own ``timeout`` parameter;
    * result cap: at most ``limit`` solutions or triples are read, then the
      connection is closed;
    * SSRF: a ``SERVICE`` to an endpoint not in ``service_allowlist`` is refused
      before anything is sent (the /sparql endpoint makes its stricter check
      first; this covers every other caller);
    * updates go to the store's update URL only if a writer was given.
    """

    #: The store may reach the network; the endpoint must check SERVICE/LOAD itself.
    sandboxed = False

    def __init__(
        self,
        store: RemoteStore,
        *,
        timeout: float = 30.0,
        service_allowlist: Sequence[str] = (),
        writable: bool = False,
    ):
        self.store = store
        self.timeout = timeout
        self.service_allowlist = tuple(service_allowlist)
        self.writable = writable
        self._version: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        limit = timeout if timeout is not None else self.timeout
        deadline = time.monotonic() + limit
        features = scan(request.query)
        if features.is_update:
            raise QuerySyntaxError(
                "expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE), got an update"
            )
        for target in features.services:
            if target is None or target not in self.service_allowlist:
                raise ForbiddenOperation(
                    f"SERVICE {'<' + target + '>' if target else 'with a variable endpoint'} is not allowed: "
                    "this server does not let the store contact other hosts unless --service-allow names them"
                )
        text = prepare_query(
            request.query,
            substitutions=request.substitutions,
            base_iri=request.base_iri,
            prefixes=PREFIXES if request.default_prefixes else None,
        )
        defaults, named = self.store.dataset(
            request.query, request.default_graph, request.named_graphs
        )
        graph_result = features.form not in _RESULT_FORMS
        response = self.store.send_query(
            text,
            graph_result=graph_result,
            default_graphs=defaults,
            named_graphs=named,
            timeout=limit,
        )
        try:
            return _collect(response, graph_result, request.limit, deadline, limit)
        except (OSError, TimeoutError) as error:
            if _is_timeout(error):
                raise QueryTimeout(
                    f"the query ran longer than {limit:g} s and was stopped", timeout_seconds=limit
                ) from None
            raise ServiceUnavailable(
                f"the store's answer was cut off: {error}", retry_after=1
            ) from None
        finally:
            response.close()

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        if not self.writable:
            from kg.errors import Forbidden

            raise Forbidden("this server was started without updates; they need --update-token")
        self.store.update(text, base_iri=base_iri)
        self.refresh()

    def version(self) -> str:
        """The store's version (read from its ``_meta`` graph at most once a second)."""
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._checked < VERSION_CHECK_SECONDS:
                return self._version
        version = self.store.version() or ""
        with self._lock:
            self._version, self._checked = version, now
        return version

    def refresh(self) -> None:
        """Forget the cached version (called after an update through this server)."""
        with self._lock:
            self._checked = 0.0

    def close(self) -> None:
        """Nothing to stop: there are no worker processes."""


def _collect(
    response: HTTPResponse, graph_result: bool, limit: int | None, deadline: float, seconds: float
) -> QueryOutcome:
    content_type = response.headers.get("Content-Type", "")

    def check_time(count: int) -> None:
        if count % 256 == 0 and time.monotonic() > deadline:
            raise QueryTimeout(
                f"the query ran longer than {seconds:g} s and was stopped", timeout_seconds=seconds
            )

    try:
        if graph_result:
            triples: list[Any] = []
            truncated = False
            for quad in ox.parse(response, _rdf_format(content_type)):
                if limit is not None and len(triples) >= limit:
                    truncated = True
                    break
                triples.append(quad.triple)
                check_time(len(triples))
            return QueryOutcome("graph", triples=triples, truncated=truncated)
        results = ox.parse_query_results(response, _results_format(content_type))
        if isinstance(results, ox.QueryBoolean):
            return QueryOutcome("ask", boolean=bool(results))
        variables = tuple(v.value for v in results.variables)
        rows: list[tuple[Any, ...]] = []
        truncated = False
        for solution in results:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append(tuple(solution[name] for name in variables))
            check_time(len(rows))
        selected = SelectResult(variables, rows, truncated)
        return QueryOutcome("select", select=selected, truncated=truncated)
    except (SyntaxError, ValueError) as error:
        raise StoreError(f"the store's answer could not be read: {error}") from None


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
    from kg.rdf.iri import DEFAULT_BASE_IRI
    from kg.store.embedded import resolve_store_path

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


__all__ = [
    "META_GRAPH_NAME",
    "UNION_GRAPH_NAME",
    "Endpoints",
    "RemoteBackend",
    "RemoteStore",
    "as_graph_store",
    "bind_values",
    "describe_location",
    "is_store_url",
    "open_store",
    "prepare_query",
]

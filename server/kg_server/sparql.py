"""The SPARQL 1.1 Protocol endpoint at ``/sparql``.

Requests (https://www.w3.org/TR/sparql11-protocol/):

* query: ``GET ?query=``, ``POST`` form-encoded ``query=``, or ``POST`` with an
  ``application/sparql-query`` body; ``default-graph-uri`` / ``named-graph-uri``
  set the dataset (they override ``FROM`` / ``FROM NAMED``; given only one of
  them, the other part of the dataset is empty). URL and body parameters are
  merged; unknown parameters are ignored.
* update (when enabled): ``POST`` form-encoded ``update=`` or an
  ``application/sparql-update`` body, with ``using-graph-uri`` /
  ``using-named-graph-uri``. Updates are off by default; ``--update-token``
  enables them for ``Authorization: Bearer TOKEN`` and ``--allow-update``
  without a token (loopback hosts only). An update runs in the server process
  on its writable store, one at a time, and a checkpoint is then published, so
  the next query sees it. It writes exactly what it says: an ``INSERT DATA``
  into a named graph does not add to the union default graph (``kg ingest``
  maintains that union), and no timeout bounds it (pyoxigraph cannot
  interrupt it), one more reason why updates need a token.
* ``GET /sparql`` without a query returns the service description
  (:mod:`kg_server.service_description`); a browser (``Accept: text/html``) is
  sent to the query page at ``/`` with a 303, its query string kept.

Relative IRIs resolve against the endpoint URL. A query that names no graph
reads the store's default graph, which is the set union of all source graphs.

Responses: SPARQL JSON, XML, CSV and TSV for SELECT and ASK (JSON when the
client accepts anything); Turtle, N-Triples, N-Quads, TriG, RDF/XML and JSON-LD
for CONSTRUCT and DESCRIBE (Turtle by default). The format is chosen by the
``format`` parameter (also ``output`` and ``results``, as SPARQLWrapper sends
them: ``json``, ``xml``, ``csv``, ``tsv``, ``turtle``, ``n3``, ``rdf+xml``,
``json-ld`` or a media type) and otherwise by ``Accept`` with q-values.
Every error is an ``application/problem+json`` document: 400 for malformed
requests and syntax errors (the parser's message on one line, with the
place and a hint: :mod:`kg.sparql.errors`), 401/403 for updates
without permission, 405 (with ``Allow``), 406, 413, 415, and 503 when a query
runs past ``--query-timeout`` (the worker process running it is killed).

Truncation: a response carries at most ``--max-rows`` solutions or triples.
When it was cut, it has the header ``X-SPARQL-MaxRows: N`` (as Virtuoso sends)
and ``Warning: 199 - "result truncated to N rows ..."``; both are exposed to
cross-origin scripts. The body itself stays a valid, standard document.

Safety: this server never contacts another host on a client's behalf.
``SERVICE`` and ``LOAD`` are refused (400) unless ``--service-allow`` names the
endpoint, written as a full IRI; a variable ``SERVICE`` endpoint is always
refused. The rules are :mod:`kg.sparql.guard`'s, shared with the query page and
every backend; see :func:`kg.sparql.guard.check_remote_calls` for how the check
is made sound against text crafted to hide a keyword from a lexical scan.

CORS: ``Access-Control-Allow-Origin`` is ``--cors-origin`` (``KG_CORS_ORIGIN``,
``*`` by default);
a preflight ``OPTIONS`` is answered with the methods and the ``Accept``,
``Authorization`` and ``Content-Type`` headers allowed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import CombinedMultiDict

from kg import formats
from kg.errors import (
    BadRequest,
    Forbidden,
    InvalidParameter,
    NotAcceptable,
    QuerySyntaxError,
    StoreError,
    UnsupportedMediaType,
)
from kg.formats import Format
from kg.rdf.namespace import PREFIXES
from kg.sparql.errors import readable
from kg.sparql.guard import (
    InvalidUpdateToken,
    authorise_update,
    check_remote_calls,
    features,
    holds_update_token,
)
from kg.sparql.results import SELECT_WRITERS, write_boolean, write_triples
from kg.sparql.rewrite import with_using
from kg.store.query import EMPTY_GRAPH, QueryOutcome, QueryRequest, query_parses, update_parses
from kg_server import service_description
from kg_server.config import Settings
from kg_server.context import KGContext, kg_context
from kg_server.negotiation import negotiate

blueprint = Blueprint("sparql", __name__)

ENDPOINT_PATH = "/sparql"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
#: Parameters that name a response format: Virtuoso reads ``format``, Joseki
#: ``output``, others ``results``; SPARQLWrapper sends all three.
FORMAT_PARAMETERS = ("format", "output", "results")
RESULT_FORMATS = formats.offers(formats.SPARQL_RESULTS)
GRAPH_FORMATS = formats.offers(formats.SPARQL_GRAPH)
HTML = formats.HTML
#: What each kind of answer comes in (the route's default first), and for a browser's GET.
OFFERS = {"results": RESULT_FORMATS, "graph": GRAPH_FORMATS}
PAGE_OFFERS = formats.offers(formats.SPARQL_PAGE)
KIND_OF_FORM = {"SELECT": "results", "ASK": "results", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
KIND_OF_OUTCOME = {"select": "results", "ask": "results", "graph": "graph"}
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Authorization, Content-Type"
EXPOSED_HEADERS = "X-SPARQL-MaxRows, Warning, Link"
UPDATE_REALM = 'Bearer realm="sparql-update"'
#: Most named graphs listed in the service description.
MAX_DESCRIBED_GRAPHS = 1000


# -- one parsed protocol request -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """What a protocol request asks for: a query or an update, its text and dataset."""

    kind: str  # "query" or "update"
    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    params: Mapping[str, Any]


def _body_text() -> str:
    """The request body as UTF-8 text (413 past the body limit)."""
    charset = request.mimetype_params.get("charset")
    if charset and charset.strip().lower() not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(f"the SPARQL text must be UTF-8, not {charset}")
    data = request.get_data(cache=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(
            f"the request body is not valid UTF-8 ({error.reason} at byte {error.start})"
        ) from None


def _iris(params: Any, name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in params.getlist(name))
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise InvalidParameter(f"{name} must be an absolute IRI, not {value!r}") from None
    return values


def read_operation() -> Operation | None:
    """The query or update of the current request, or None when it carries neither.

    Raises BadRequest for two queries, two updates, a query with an update or
    an update by GET; UnsupportedMediaType for a POST body of another type.
    """
    params: Any
    queries: list[str]
    updates: list[str]
    if request.method in ("GET", "HEAD"):
        params = request.args
        queries, updates = params.getlist("query"), params.getlist("update")
        if updates:
            raise BadRequest(
                "SPARQL Update must be sent with POST (form-encoded update= or application/sparql-update)"
            )
    else:
        mimetype = request.mimetype
        if mimetype in FORM_TYPES:
            params = CombinedMultiDict([request.args, request.form])
            queries, updates = params.getlist("query"), params.getlist("update")
        elif mimetype == QUERY_TYPE:
            params = request.args
            queries, updates = [_body_text(), *params.getlist("query")], params.getlist("update")
        elif mimetype == UPDATE_TYPE:
            params = request.args
            queries, updates = params.getlist("query"), [_body_text(), *params.getlist("update")]
        elif (
            not mimetype
            and not request.content_length
            and "Transfer-Encoding" not in request.headers
        ):
            # A POST without a body (curl -X POST '/sparql?query=...'): the URL carries it all.
            params = request.args
            queries, updates = params.getlist("query"), params.getlist("update")
        else:
            raise UnsupportedMediaType(
                f"a POST to {ENDPOINT_PATH} must be application/x-www-form-urlencoded, "
                f"{QUERY_TYPE} or {UPDATE_TYPE}"
                + (f", not {mimetype}" if mimetype else " (no Content-Type was sent)")
            )
    if queries and updates:
        raise BadRequest("a request carries either a query or an update, not both")
    if len(queries) > 1 or len(updates) > 1:
        raise BadRequest(
            f"a request carries exactly one {'query' if queries else 'update'}, not several"
        )
    if queries:
        text = queries[0]
        if not text.strip():
            raise BadRequest("the query is empty")
        return Operation(
            "query",
            text,
            _iris(params, "default-graph-uri"),
            _iris(params, "named-graph-uri"),
            params,
        )
    if updates:
        text = updates[0]
        if not text.strip():
            raise BadRequest("the update is empty")
        return Operation(
            "update",
            text,
            _iris(params, "using-graph-uri"),
            _iris(params, "using-named-graph-uri"),
            params,
        )
    return None


# -- formats ------------------------------------------------------------------------------------


def requested_format(params: Any, kind: str) -> Format | None:
    """The format named by a ``format``/``output``/``results`` parameter, if any.

    Values that name no format are ignored (clients send such parameters for
    other servers); a format that cannot carry this kind of result raises
    UnsupportedFormat (406).
    """
    values = [v for name in FORMAT_PARAMETERS for v in params.getlist(name) if v.strip()]
    for value in values:
        fmt = formats.find(value, OFFERS[kind])
        if fmt is not None:
            return fmt
    other = OFFERS["graph" if kind == "results" else "results"]
    for value in values:
        if formats.find(value, other) is not None:
            what = (
                "SELECT and ASK results" if kind == "results" else "CONSTRUCT and DESCRIBE graphs"
            )
            # A format, but not for this kind of answer: lookup raises, naming the choices.
            return formats.lookup(value, OFFERS[kind], purpose=what)
    return None


def choose_format(params: Any, kind: str, *, html: bool = False) -> Format:
    """The response format: the format parameter, else Accept (q-values, ``*/*``).

    With ``html``, a browser's preference for text/html yields the HTML format.
    Raises NotAcceptable when nothing acceptable can be produced.
    """
    fmt = requested_format(params, kind)
    if fmt is not None:
        return fmt
    return _negotiated(request.headers.get("Accept", ""), kind, html)


@lru_cache(maxsize=512)
def _negotiated(accept: str, kind: str, html: bool) -> Format:
    """Negotiation by the Accept header's text: clients send the same few headers, and
    parsing and matching one costs about a fifth of a cheap query's time in this process."""
    offers = [*OFFERS[kind], *PAGE_OFFERS] if html else OFFERS[kind]
    return negotiate(accept, offers)


def serialize(outcome: QueryOutcome, fmt: Format) -> bytes:
    out = io.BytesIO()
    if outcome.kind == "select" and outcome.select is not None:
        SELECT_WRITERS[fmt.key](outcome.select, out)
    elif outcome.kind == "ask":
        write_boolean(bool(outcome.boolean), fmt.key, out)
    else:
        assert fmt.rdf is not None
        write_triples(outcome.triples, fmt.rdf, out, PREFIXES)
    return out.getvalue()


# -- SERVICE and LOAD: kg.sparql.guard's rules, with the engine as the judge of syntax -------


def _verify_query(context: KGContext) -> Callable[[str], bool]:
    return query_parses(
        context.clients, base_iri=request.base_url, timeout=client_timeout(context.settings)
    )


# -- updates -----------------------------------------------------------------------------------


def client_timeout(settings: Settings) -> float:
    """How long the current request's client query may run: ``--client-query-timeout``
    (never more than ``--query-timeout``), or ``--query-timeout`` with the update token."""
    if holds_update_token(
        token=settings.update_token, authorization=request.headers.get("Authorization", "")
    ):
        return settings.query_timeout
    return min(settings.query_timeout, settings.client_query_timeout)


def _authorise_update(settings: Settings) -> None:
    try:
        authorise_update(
            enabled=settings.updates_enabled,
            token=settings.update_token,
            authorization=request.headers.get("Authorization", ""),
        )
    except InvalidUpdateToken:
        g.kg_invalid_token = True  # the challenge then says error="invalid_token"
        raise


def _run_update(context: KGContext, operation: Operation) -> Response:
    settings = context.settings
    _authorise_update(settings)
    text = operation.text
    check_remote_calls(
        text,
        settings.service_allowlist,
        update=True,
        verify=update_parses(base_iri=request.base_url),
    )
    if operation.default_graphs or operation.named_graphs:
        text = with_using(text, operation.default_graphs, operation.named_graphs)
    writer = context.writer
    if writer is None:
        raise Forbidden(
            "this server has no writable store open; start it with --update-token or --allow-update"
        )
    with context.write_lock:
        try:
            writer.update(text, base_iri=request.base_url)
        except SyntaxError as error:
            raise QuerySyntaxError(readable(text, str(error), update=True)) from None
        except OSError as error:
            raise StoreError(f"update failed: {error}") from error
        writer.publish(compact=False)  # not in a request: minutes at a million papers
    refresh = getattr(context.backend, "refresh", None)
    if refresh is not None:
        refresh()
    return _empty(204)


# -- queries -------------------------------------------------------------------------------------


def _query_kind(text: str) -> str | None:
    return KIND_OF_FORM.get(features(text).form or "")


def _browser_redirect() -> Response:
    target = "/" + ("?" + request.query_string.decode("latin-1") if request.query_string else "")
    response = _empty(303)
    response.headers["Location"] = request.script_root + target
    # The same URL answers other clients with data: caches must key on Accept.
    response.vary.add("Accept")
    return response


def _run_query(context: KGContext, operation: Operation) -> Response:
    settings = context.settings
    check_remote_calls(
        operation.text, settings.service_allowlist, update=False, verify=_verify_query(context)
    )
    kind = _query_kind(operation.text)
    fmt: Format | None = None
    if kind is not None:
        fmt = choose_format(operation.params, kind, html=request.method in ("GET", "HEAD"))
        if fmt is HTML:
            return _browser_redirect()
    # A dataset given by the protocol is the whole dataset: with only named graphs the
    # default graph is empty, with only a default graph there are no named graphs.
    default_graphs, named_graphs = operation.default_graphs, operation.named_graphs
    if default_graphs or named_graphs:
        default_graphs = default_graphs or (EMPTY_GRAPH,)
        named_graphs = named_graphs or (EMPTY_GRAPH,)
    outcome = context.clients.run(
        QueryRequest(
            operation.text,
            default_graph=default_graphs,
            named_graphs=named_graphs,
            base_iri=request.base_url,
            limit=settings.max_rows if settings.max_rows > 0 else None,
            # A SELECT is written where it runs, by the engine (see kg.store.query.native_body).
            result_format=fmt.key if fmt is not None and fmt.kind == "results" else None,
        ),
        timeout=client_timeout(settings),
    )
    actual = KIND_OF_OUTCOME[outcome.kind]
    if outcome.body is not None and fmt is not None and fmt.kind == actual:
        body = outcome.body
    else:
        if fmt is None or fmt.kind != actual:
            fmt = choose_format(operation.params, actual)
        body = serialize(outcome, fmt)
    response = Response(body, status=200, content_type=fmt.content_type)
    response.vary.add("Accept")
    if outcome.truncated:
        response.headers["X-SPARQL-MaxRows"] = str(settings.max_rows)
        response.headers["Warning"] = (
            f"199 - \"result truncated to {settings.max_rows} rows (the server's --max-rows); "
            'use LIMIT and OFFSET to page through it"'
        )
    return response


# -- service description ----------------------------------------------------------------------


class _DescriptionCache:
    """Serialized service descriptions by endpoint URL, store version and format."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[str, str, str], bytes] = {}

    def get(self, key: tuple[str, str, str], build: Callable[[], bytes]) -> bytes:
        with self.lock:
            cached = self.entries.get(key)
        if cached is not None:
            return cached
        body = build()
        with self.lock:
            if len(self.entries) > 64:
                self.entries.clear()
            self.entries[key] = body
        return body


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.extensions["kg.sparql.descriptions"] = _DescriptionCache()


def _named_graphs(context: KGContext) -> tuple[list[str], bool]:
    outcome = context.backend.run(
        QueryRequest("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", limit=MAX_DESCRIBED_GRAPHS),
        timeout=context.settings.query_timeout,
    )
    graphs = sorted(
        row[0].value
        for row in (outcome.select.rows if outcome.select else [])
        if isinstance(row[0], ox.NamedNode)
    )
    return graphs, outcome.truncated


def _service_description(context: KGContext) -> Response:
    try:
        fmt = choose_format(request.args, "graph", html=True)
    except NotAcceptable:
        # Most likely a query request that lost its query (Accept: sparql-results+json).
        raise BadRequest(
            "no query= parameter. GET /sparql?query=... runs a query; without one, /sparql "
            "answers with its service description, in an RDF format: "
            + ", ".join(f.media_type for f in GRAPH_FORMATS)
        ) from None
    if fmt is HTML:
        return _browser_redirect()
    endpoint = request.base_url
    settings = context.settings
    cache: _DescriptionCache = current_app.extensions["kg.sparql.descriptions"]

    def build() -> bytes:
        graphs, truncated = _named_graphs(context)
        triples = service_description.describe(
            endpoint=endpoint,
            void=request.url_root + ".well-known/void",
            updates=settings.updates_enabled,
            federated=bool(settings.service_allowlist),
            result_formats=[f.key for f in RESULT_FORMATS + GRAPH_FORMATS],
            named_graphs=graphs,
            graphs_truncated=truncated,
        )
        out = io.BytesIO()
        assert fmt.rdf is not None
        write_triples(triples, fmt.rdf, out, service_description.PREFIXES)
        return out.getvalue()

    body = cache.get((endpoint, context.backend.version(), fmt.key), build)
    response = Response(body, status=200, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


# -- the route ------------------------------------------------------------------------------------


def _empty(status: int) -> Response:
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def _preflight() -> Response:
    response = _empty(204)
    response.headers["Allow"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@blueprint.route(ENDPOINT_PATH, methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    """The SPARQL 1.1 Protocol: queries, updates and the service description."""
    if request.method == "OPTIONS":
        return _preflight()
    context = kg_context()
    operation = read_operation()
    if operation is None:
        if request.method == "POST":
            raise BadRequest("the request has no query= or update= parameter and no SPARQL body")
        return _service_description(context)
    if operation.kind == "update":
        return _run_update(context, operation)
    return _run_query(context, operation)


@blueprint.after_request
def _cors(response: Response) -> Response:
    origin = kg_context().settings.cors_origin
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if origin != "*":
            response.vary.add("Origin")
    if response.status_code == 401:
        challenge = UPDATE_REALM + (', error="invalid_token"' if g.get("kg_invalid_token") else "")
        response.headers["WWW-Authenticate"] = challenge
    return response

"""``create_app(config)``: the application factory, one blueprint per concern."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Flask, Response, request
from werkzeug.sansio.utils import host_is_trusted

from kg.errors import PayloadTooLarge, TooManyRequests, UntrustedHost, UriTooLong
from kg.rdf.iri import IriScheme
from kg.sparql.guard import unauthenticated_update_refusal
from kg.store.embedded import GraphStore, KGStore, published_generation
from kg.store.query import QueryBackend
from kg.store.querypool import LanedBackend, PooledBackend
from kg.store.remote import RemoteBackend, RemoteStore, is_store_url
from kg_server import dumps, errors, feeds, linked_data, pages, reports, search, sparql, void
from kg_server.config import Settings, load_settings
from kg_server.context import KGContext

#: One blueprint per concern; each module owns its routes.
BLUEPRINTS: tuple[Blueprint, ...] = (
    sparql.blueprint,
    pages.blueprint,
    linked_data.blueprint,
    dumps.blueprint,
    void.blueprint,
    reports.blueprint,
    search.blueprint,
    feeds.blueprint,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def _build_backend(settings: Settings) -> tuple[QueryBackend, GraphStore | None]:
    backend = settings.extra.get("backend")
    writer: GraphStore | None = None
    refusal = unauthenticated_update_refusal(
        allow_update=settings.updates_enabled and settings.allow_update,
        update_token=settings.update_token,
        host=settings.host,
    )
    if refusal:
        raise RuntimeError(refusal)
    if is_store_url(settings.store):
        return _build_remote_backend(settings, backend)
    if settings.updates_enabled:
        writer = KGStore.open_writable(settings.store)
        # Published only when readers would miss something: a store never published, or
        # writes a writer killed before its publish left. Not on every start: a new
        # checkpoint has new ETags, and no precomputed reports.
        never = writer.folder is not None and published_generation(writer.folder) is None
        if writer.has_unpublished_writes or never:
            # Not compacted here, which would hold the start for minutes at a million papers
            # (a killed ingest's loads stay counted: its next run compacts).
            writer.publish(compact=False)
    if backend is None:
        backend = _build_pools(settings)
    return backend, writer


#: How much lower the CPU priority of client query processes is (a nice value).
CLIENT_LANE_NICE = 5


def _build_pools(settings: Settings) -> QueryBackend:
    """The query worker pools of an embedded store: one for client queries and, unless
    ``app_query_workers`` is 0, one the application's own queries keep to themselves."""
    common: dict[str, Any] = {
        "timeout": settings.query_timeout,
        "memory_limit_mb": settings.query_memory_mb,
        "isolate_network": not settings.service_allowlist,
    }
    if settings.app_query_workers <= 0:
        return PooledBackend(settings.store, workers=settings.query_workers, **common)
    clients = PooledBackend(
        settings.store, workers=settings.query_workers, nice=CLIENT_LANE_NICE, **common
    )
    try:
        own = PooledBackend(settings.store, workers=settings.app_query_workers, **common)
    except BaseException:
        clients.close()
        raise
    return LanedBackend(own, clients)


def _build_remote_backend(
    settings: Settings, backend: QueryBackend | None
) -> tuple[QueryBackend, GraphStore | None]:
    """An external SPARQL 1.1 store (``--store URL``): every worker and every server
    process sends its queries there; updates, when enabled, go to its update URL."""
    # The store's own reads (version, graph list) and the updates of /sparql get the query time limit too.
    store = RemoteStore.open(
        settings.store,
        base_iri=settings.base_iri,
        update_url=settings.update_url,
        graph_store_url=settings.graph_store_url,
        timeout=settings.query_timeout,
    )
    if backend is None:
        backend = RemoteBackend(
            store,
            timeout=settings.query_timeout,
            service_allowlist=settings.service_allowlist,
            writable=settings.updates_enabled,
            # Queries on merged datasets run in query processes, as many as the client pool's.
            merge_workers=2 * max(1, settings.query_workers),
            memory_limit_mb=settings.query_memory_mb,
        )
    return backend, (store if settings.updates_enabled else None)


class _RateLimiter:
    """A token bucket per client address (optional, in-process)."""

    def __init__(self, rate: float):
        self.rate = rate
        self.burst = max(1.0, rate * 2)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self.buckets[client] = (tokens, now)
                return False
            self.buckets[client] = (tokens - 1.0, now)
            if len(self.buckets) > 100_000:
                self.buckets.clear()
            return True


#: Host names every server answers to, whatever its settings: a local client can always reach it.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class _HostCheck:
    """The Host header must name this server: the base IRI's host, a loopback name, or a
    configured trusted host (``.example.org`` matches subdomains, ``*`` any name).

    The Host header is the client's to choose; left unchecked it reaches every absolute
    URL the application builds (redirects, listings), so a hostile one would point
    them elsewhere (issue 15, item 8).
    """

    def __init__(self, settings: Settings):
        names = {urlsplit(settings.base_iri).hostname or "", *LOOPBACK_HOSTS}
        names.update(host.strip().lower() for host in settings.trusted_hosts)
        self.any_host = "*" in names
        self.exact = {name for name in names if name and not name.startswith(".")}
        self.suffixes = tuple(name for name in names if name.startswith("."))

    def check(self, environ: Mapping[str, Any]) -> None:
        raw = environ.get("HTTP_HOST")
        if not raw:
            raise UntrustedHost("the request has no Host header")
        # Syntax first: spaces, a list (a repeated header) or a bad port are refused.
        if not host_is_trusted(raw, None):
            raise UntrustedHost(f"malformed Host header: {raw[:100]!r}")
        host = urlsplit(f"//{raw}").hostname or ""
        if self.any_host or host in self.exact or host.endswith(self.suffixes):
            return
        raise UntrustedHost(
            f"host {host[:100]!r} is not served here (settings: base IRI, --trusted-host)"
        )


def _public_location(location: str, public_base: str) -> str:
    """An absolute redirect points at the public address (the base IRI), never at the
    Host header the client sent; relative ones stay as they are."""
    target = urlsplit(location)
    if not target.netloc:
        return location
    base = urlsplit(public_base)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, target.fragment))


def _bound_unsized_body(limit: int) -> None:
    """Read a body sent without Content-Length (chunked) now: at most ``limit`` bytes, else 413.

    werkzeug caps such a stream at MAX_CONTENT_LENGTH by cutting it short without an
    error, so a longer query or update would run truncated. Read here, it becomes a
    sized body that the rest of the application reads as usual.
    """
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return  # sized: werkzeug checks Content-Length against the limit
    if not environ.get("wsgi.input_terminated"):
        return  # a server that does not terminate the stream: werkzeug reads nothing
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"request body larger than {limit} bytes")
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    del environ["HTTP_TRANSFER_ENCODING"]


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Build the application.

    ``config`` overrides the environment (``KG_*`` variables) and the defaults;
    see :mod:`kg.settings` for every setting (docs/settings.md). The base IRI is
    the one the store records unless ``config`` or the environment gives it. Pass ``backend=`` (a
    :class:`kg.store.query.QueryBackend`) to serve from something other than the
    embedded store's worker pool.
    """
    settings = load_settings(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    backend, writer = _build_backend(settings)
    app.extensions["kg"] = KGContext(
        settings,
        IriScheme(settings.base_iri),
        backend,
        writer,
        client_backend=getattr(backend, "clients", None),
    )
    errors.init_app(app)

    limiter = _RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None
    hosts = _HostCheck(settings)

    @app.before_request
    def _guard() -> None:
        hosts.check(request.environ)
        if len(request.full_path) > settings.max_url_length:
            raise UriTooLong(f"request URL longer than {settings.max_url_length} characters")
        if limiter is not None and not limiter.allow(request.remote_addr or "-"):
            raise TooManyRequests("rate limit exceeded for this client", retry_after=1)
        _bound_unsized_body(settings.max_body_bytes)

    @app.after_request
    def _headers(response: Response) -> Response:
        if 300 <= response.status_code < 400 and "Location" in response.headers:
            # werkzeug's own redirects (a doubled slash, a missing trailing slash) are built
            # from the Host header.
            response.headers["Location"] = _public_location(
                response.headers["Location"], settings.base_iri
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        # reports_warm: the whole-graph reports and the co-author graph of this store version
        # are in memory (a readiness probe may wait for it; requests are served meanwhile).
        runner = app.extensions.get("kg_reports")
        warm = bool(runner is not None and runner.is_warm())
        return {"status": "ok", "store_version": backend.version(), "reports_warm": warm}

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app

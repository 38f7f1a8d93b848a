"""The query backend on an external SPARQL 1.1 store (see :mod:`kg.store.remote`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import Forbidden, QueryTimeout, ServiceUnavailable, StoreError
from kg.rdf.namespace import PREFIXES
from kg.sparql.guard import check_query
from kg.sparql.results import SelectResult
from kg.sparql.rewrite import prepare_query
from kg.store import query as query_module
from kg.store.query import DatasetMerge, QueryOutcome, QueryRequest, dataset_merge
from kg.store.querypool import PooledBackend
from kg.store.remote.http import RESULT_FORMS, is_timeout, rdf_format, results_format
from kg.store.remote.store import VERSION_CHECK_SECONDS, RemoteStore


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
    * updates go to the store's update URL only if a writer was given;
    * a dataset that merges several graphs (``FROM`` twice, a repeated
      ``default-graph-uri``) is read from the store here, within the time limit and
      :data:`kg.store.query.MAX_MERGED_TRIPLES`, and the query runs on its merge in a
      killable worker process (:class:`kg.store.querypool.PooledBackend` over no store,
      started at the first such query), as on the embedded store: see
      :class:`kg.store.query.DatasetMerge`. ``memory_limit_mb`` caps those processes.
    """

    #: The store may reach the network; the endpoint must check SERVICE/LOAD itself.
    sandboxed = False
    #: No store folder of ours: an external store publishes nothing through kg.store.changes.
    folder: Path | None = None

    def __init__(
        self,
        store: RemoteStore,
        *,
        timeout: float = 30.0,
        service_allowlist: Sequence[str] = (),
        writable: bool = False,
        merge_workers: int = 2,
        memory_limit_mb: int = 4096,
    ):
        self.store = store
        self.timeout = timeout
        self.service_allowlist = tuple(service_allowlist)
        self.writable = writable
        self.merge_workers = max(1, merge_workers)
        self.memory_limit_mb = memory_limit_mb
        self._merge_pool: PooledBackend | None = None
        self._closed = False
        self._version: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        # Apart from _lock: starting the pool takes a moment, and version() must not wait.
        self._pool_lock = threading.Lock()

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        limit = timeout if timeout is not None else self.timeout
        deadline = time.monotonic() + limit
        # The store may reach the network: the guard refuses what the allow-list does not name.
        features = check_query(request.query, self.service_allowlist, verify=None)
        merge = dataset_merge(request, PREFIXES if request.default_prefixes else None)
        if merge is not None and merge.defaults:
            return self._run_merged(merge, deadline, limit)
        if merge is not None:  # one graph named several times: that graph, once
            request = merge.request
        text = prepare_query(
            request.query,
            substitutions=request.substitutions,
            base_iri=request.base_iri,
            prefixes=PREFIXES if request.default_prefixes else None,
        )
        defaults, named = self.store.dataset(
            request.query, request.default_graph, request.named_graphs
        )
        graph_result = features.form not in RESULT_FORMS
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
            if is_timeout(error):
                raise QueryTimeout(
                    f"the query ran longer than {limit:g} s and was stopped", timeout_seconds=limit
                ) from None
            raise ServiceUnavailable(
                f"the store's answer was cut off: {error}", retry_after=1
            ) from None
        finally:
            response.close()

    def _run_merged(self, merge: DatasetMerge, deadline: float, limit: float) -> QueryOutcome:
        """Read the dataset's graphs from the store, then run the query on their merge in a
        killable worker, all within ``limit`` seconds (see :class:`DatasetMerge`)."""
        try:
            graphs = self.store.dataset_graphs(
                merge.defaults,
                merge.named,
                max_triples=query_module.MAX_MERGED_TRIPLES,
                deadline=deadline,
            )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout("no time left", timeout_seconds=limit)
            return self._pool().run(merge.request, timeout=remaining, graphs=graphs)
        except QueryTimeout:
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped", timeout_seconds=limit
            ) from None

    def _pool(self) -> PooledBackend:
        """The query workers of merged datasets, started at the first one."""
        with self._pool_lock:
            if self._closed:
                raise ServiceUnavailable("the query service is shutting down")
            if self._merge_pool is None:
                self._merge_pool = PooledBackend(
                    None,
                    workers=1,
                    max_workers=self.merge_workers,
                    timeout=self.timeout,
                    # SERVICE to an allowed endpoint must reach it from the worker too.
                    isolate_network=not self.service_allowlist,
                    memory_limit_mb=self.memory_limit_mb,
                )
            return self._merge_pool

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        if not self.writable:
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
        """Stop the query workers of merged datasets, if any were started."""
        with self._pool_lock:
            self._closed = True
            pool, self._merge_pool = self._merge_pool, None
        if pool is not None:
            pool.close()


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
            for quad in ox.parse(response, rdf_format(content_type)):
                if limit is not None and len(triples) >= limit:
                    truncated = True
                    break
                triples.append(quad.triple)
                check_time(len(triples))
            return QueryOutcome("graph", triples=triples, truncated=truncated)
        results = ox.parse_query_results(response, results_format(content_type))
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

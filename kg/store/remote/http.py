"""HTTP to an external SPARQL store: its endpoints, requests with time limits, its answers.

Failures become the project's errors: the store's own message reaches the
client as the problem detail (see :class:`HttpClient`). Why :mod:`urllib.request`
and not SPARQLWrapper is said in :mod:`kg.store.remote`.
"""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KGError, QuerySyntaxError, QueryTimeout, ServiceUnavailable, StoreError

USER_AGENT = "scholarly-kg (+https://w3id.org/scholarly-kg)"

#: XML first: Virtuoso writes xsd:boolean as 0/1 in its JSON results, but as false/true in XML.
RESULTS_ACCEPT = "application/sparql-results+xml, application/sparql-results+json;q=0.9"
GRAPH_ACCEPT = (
    "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
#: Query forms whose answer is a results document (the others answer with a graph).
RESULT_FORMS = {"SELECT", "ASK"}
#: Response headers a store's answer may carry. Virtuoso echoes each ``named-graph-uri`` of
#: a request as an ``X-SPARQL-named-graph`` header, and a query that uses ``GRAPH`` names
#: up to ``kg.store.remote.store.MAX_LISTED_GRAPHS`` of them; :mod:`http.client` refuses an
#: answer with more than 100 headers ("got more than 100 headers": every such query failed
#: once the store held about a hundred profiles).
MAX_RESPONSE_HEADERS = 5200
if getattr(http.client, "_MAXHEADERS", 0) < MAX_RESPONSE_HEADERS:
    # The only way to set it: a module constant that urllib's responses read when parsed.
    setattr(http.client, "_MAXHEADERS", MAX_RESPONSE_HEADERS)  # noqa: B010


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


def is_timeout(error: BaseException) -> bool:
    if isinstance(error, TimeoutError | socket.timeout):
        return True
    return isinstance(error, urllib.error.URLError) and isinstance(
        error.reason, TimeoutError | socket.timeout
    )


class HttpClient:
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
            if is_timeout(error):
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


def rdf_format(content_type: str) -> ox.RdfFormat:
    media = content_type.split(";")[0].strip().lower()
    if media in ("text/plain", ""):
        return ox.RdfFormat.N_TRIPLES
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise StoreError(
            f"the store answered with {content_type!r}, which is not an RDF format this project reads"
        )
    return fmt


def results_format(content_type: str) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_media_type(content_type.split(";")[0].strip().lower())
    if fmt is None:
        raise StoreError(
            f"the store answered with {content_type!r}, which is not a SPARQL results format"
        )
    return fmt


def parse_answer(data: bytes | Path, content_type: str, graph_result: bool) -> Any:
    """Parse a whole answer, given as bytes or as a file (read lazily by pyoxigraph)."""
    source: dict[str, Any] = {"path": str(data)} if isinstance(data, Path) else {"input": data}
    try:
        if graph_result:
            return (quad.triple for quad in ox.parse(format=rdf_format(content_type), **source))
        return ox.parse_query_results(format=results_format(content_type), **source)
    except (SyntaxError, ValueError) as error:
        raise StoreError(f"the store's answer could not be read: {error}") from None

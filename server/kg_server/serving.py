"""The application as granian serves it: an ASGI front that reads request bodies before any thread.

granian's WSGI interface hands a request to one of the worker's request threads as
soon as its headers have arrived; the thread then blocks in ``wsgi.input.read()``
with no deadline, so a handful of clients that send headers and part of a body
(``Content-Length: 1000`` and 5 bytes, or a chunked body that never ends) held every
thread and the server stopped answering (issue 15, item 3). Here the body is read
on the event loop, under a deadline that grows with the bytes received (a minimum
rate), and only a complete request reaches the thread pool that runs the Flask
application; a client that is too slow gets 408 and its connection is closed. The
response goes back through ASGI's flow control: a client that does not read its
response holds no thread while it waits, and is dropped after ``send_timeout``.

Client queries (query text a client wrote: ``/sparql``, the query page run on the
server) have a lane of their own (:class:`ClientLane`, issue 15 item 6): their own
request threads, as many as the client query processes can grow to, so that runaway
queries never hold a thread the application's pages need, and at most
``client_queries`` of them running or waiting per client address (429 beyond,
answered here before any thread is used).
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
import multiprocessing
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kg.errors import KGError, PayloadTooLarge, RequestTimeout, ServiceUnavailable, TooManyRequests
from kg.store.lifetime import die_with_parent
from kg_server.app import create_app
from kg_server.config import Settings, load_settings
from kg_server.errors import PROBLEM_JSON

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Response bytes gathered in one trip to a request thread before they are sent.
_BATCH_BYTES = 64 * 1024
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class _ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class ClientLane:
    """Request threads for client queries, and a limit of concurrent ones per client address.

    A request counts against its address from the moment its body has arrived until its
    response is sent; one that waits for a thread longer than ``wait`` seconds (the
    lane is full of slow queries) is answered 503 with Retry-After when its turn comes.
    """

    def __init__(self, *, threads: int, per_client: int, wait: float) -> None:
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, threads), thread_name_prefix="kg-client-query"
        )
        self.per_client = per_client
        self.wait = wait
        #: Requests in the lane per client address (touched on the event loop only).
        self.active: dict[str, int] = {}

    @staticmethod
    def takes(scope: Scope) -> bool:
        """Whether a request runs query text of the client's: ``/sparql`` (not a CORS
        preflight) or the query page when it may run a query (POST, or a query string)."""
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/sparql":
            return method != "OPTIONS"
        return path == "/" and (method == "POST" or bool(scope.get("query_string")))

    def enter(self, client: str) -> None:
        """Count a request of ``client``; TooManyRequests (429) when it has its limit."""
        count = self.active.get(client, 0)
        if self.per_client > 0 and count >= self.per_client:
            raise TooManyRequests(
                f"this client already has {count} queries running or waiting; "
                f"at most {self.per_client} at once (the server's --client-queries)",
                retry_after=1,
            )
        self.active[client] = count + 1

    def leave(self, client: str) -> None:
        count = self.active.get(client, 0) - 1
        if count > 0:
            self.active[client] = count
        else:
            self.active.pop(client, None)


class BoundedWSGI:
    """An ASGI application that runs a WSGI application on a bounded thread pool.

    The request body is read completely on the event loop first, within
    ``body_timeout + received / min_body_rate`` seconds and ``max_body_bytes``
    bytes (else 408 or 413 as problem+json, connection closed); each part of the
    response must be taken by the client within ``send_timeout`` seconds.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: int,
        body_timeout: float,
        min_body_rate: int,
        max_body_bytes: int,
        send_timeout: float,
        client_lane: ClientLane | None = None,
    ) -> None:
        self.app = app
        self.client_lane = client_lane
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kg-request")
        self.body_timeout = body_timeout
        self.min_body_rate = max(1, min_body_rate)
        self.max_body_bytes = max_body_bytes
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no websockets; granian's lifespan-free ASGI interface sends no lifespan
        try:
            body = await self._read_body(scope, receive)
        except _ClientGone:
            return
        except KGError as error:
            await self._send_problem(send, scope, error)
            return
        lane = self.client_lane
        if lane is None or not lane.takes(scope):
            await self._run(self._environ(scope, body), send, self.executor)
            return
        client = str((scope.get("client") or ("-", 0))[0])
        try:
            lane.enter(client)
        except KGError as error:
            await self._send_problem(send, scope, error, close=False)
            return
        try:
            deadline = asyncio.get_running_loop().time() + lane.wait
            await self._run(self._environ(scope, body), send, lane.executor, deadline)
        finally:
            lane.leave(client)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        headers = scope["headers"]
        declared: int | None = None
        chunked = False
        for name, value in headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if declared is not None and declared > self.max_body_bytes:
            raise PayloadTooLarge(f"request body larger than {self.max_body_bytes} bytes")
        if not declared and not chunked and scope["method"] in _BODYLESS:
            return b""
        loop = asyncio.get_running_loop()
        start = loop.time()
        parts: list[bytes] = []
        received = 0
        while True:
            # The allowance grows with what has arrived: a slow but steady upload of a
            # large body passes, a trickle or a pause does not.
            remaining = start + self.body_timeout + received / self.min_body_rate - loop.time()
            if remaining <= 0:
                raise RequestTimeout(self._too_slow())
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise RequestTimeout(self._too_slow()) from None
            if message["type"] == "http.disconnect":
                raise _ClientGone()
            chunk = message.get("body", b"")
            if chunk:
                parts.append(chunk)
                received += len(chunk)
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(f"request body larger than {self.max_body_bytes} bytes")
            if not message.get("more_body", False):
                return b"".join(parts)

    def _too_slow(self) -> str:
        return (
            f"request body not received within {self.body_timeout:g} s "
            f"(plus 1 s per {self.min_body_rate} bytes)"
        )

    async def _send_problem(
        self, send: Send, scope: Scope, error: KGError, *, close: bool = True
    ) -> None:
        status, headers, body = _problem(error, scope.get("path"))
        if close:
            headers.append((b"connection", b"close"))  # the rest of the body is never read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
        server = scope.get("server") or ("127.0.0.1", 80)
        client = scope.get("client") or ("", 0)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
            # WSGI carries the decoded path as bytes seen through latin-1 (PEP 3333).
            "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "REMOTE_ADDR": str(client[0]),
            "REMOTE_PORT": str(client[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            if name in {"CONTENT_LENGTH", "TRANSFER_ENCODING"}:
                continue  # the body is complete: its length is what was read
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
                continue
            key = f"HTTP_{name}"
            if key in environ:
                # A repeated header is one comma-separated value (cookies: "; ").
                separator = "; " if key == "HTTP_COOKIE" else ","
                environ[key] = environ[key] + separator + value
            else:
                environ[key] = value
        return environ

    async def _run(
        self,
        environ: dict[str, Any],
        send: Send,
        executor: ThreadPoolExecutor,
        deadline: float | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        # Every step of one request runs in the same context, whichever thread takes it,
        # so that Flask's context variables follow a streamed response's generator.
        context = contextvars.copy_context()
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info is not None and started.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]
            return lambda data: None  # the legacy write() callable; Flask does not use it

        def call() -> tuple[Iterable[bytes], Iterator[bytes], bytes, bool]:
            """The application's answer and its first batch of bytes, in one trip to a thread;
            a complete answer is also closed there. Each trip costs a wake-up of a thread and
            then of the event loop: three trips per small answer took 91-171 us of CPU, one
            takes 49-50 us (8 concurrent requests, a trivial application)."""
            if deadline is not None and loop.time() > deadline:
                # Waited for a thread past the lane's bound: the client is told to come back.
                busy = ServiceUnavailable(
                    "every client query thread is busy with slow queries; try again shortly",
                    retry_after=2,
                )
                status, headers, body = _problem(busy, environ.get("PATH_INFO"))
                started["status"], started["headers"] = status, headers
                return [], iter(()), body, False
            result = self.app(environ, start_response)
            try:
                iterator = iter(result)
                data, more = batch(iterator)
            except BaseException:
                _close(result)
                raise
            if not more:
                _close(result)
                result = []  # closed: nothing is left for the finally clause below
            return result, iterator, data, more

        def batch(iterator: Iterator[bytes]) -> tuple[bytes, bool]:
            parts: list[bytes] = []
            size = 0
            for chunk in iterator:
                if chunk:
                    parts.append(chunk)
                    size += len(chunk)
                    if size >= _BATCH_BYTES:
                        return b"".join(parts), True
            return b"".join(parts), False

        def run_in_thread(function: Callable[..., Any], *args: Any) -> Awaitable[Any]:
            return loop.run_in_executor(executor, context.run, function, *args)

        result: Iterable[bytes] | None = None
        try:
            result, iterator, data, more = await run_in_thread(call)
            started["sent"] = True
            await self._send(
                send,
                {
                    "type": "http.response.start",
                    "status": started.get("status", 500),
                    "headers": started.get("headers", []),
                },
            )
            await self._send(send, {"type": "http.response.body", "body": data, "more_body": more})
            while more:
                data, more = await run_in_thread(batch, iterator)
                await self._send(
                    send, {"type": "http.response.body", "body": data, "more_body": more}
                )
        except TimeoutError:
            log.info("client left a response unread for %s s; dropped", self.send_timeout)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                await run_in_thread(close)

    async def _send(self, send: Send, message: Message) -> None:
        await asyncio.wait_for(send(message), self.send_timeout)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _problem(error: KGError, path: str | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the problem+json answer for ``error``."""
    body = json.dumps(error.to_problem(instance=path), ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    retry = error.extra.get("retry_after")
    if retry is not None:
        headers.append((b"retry-after", str(retry).encode()))
    return error.status, headers, body


def create_asgi_app(config: Settings | None = None) -> BoundedWSGI:
    """What ``kg serve`` hands to granian (its settings come from the ``KG_*`` environment)."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        # A granian worker: killed with granian's main process, which alone would stop it
        # (a main process killed outright left the worker serving the port, its query
        # processes with it; they follow it, see kg.store.querypool).
        die_with_parent(parent.pid)
    settings = load_settings(config)
    return BoundedWSGI(
        create_app(settings),
        threads=settings.threads,
        body_timeout=settings.body_timeout,
        min_body_rate=settings.min_body_rate,
        max_body_bytes=settings.max_body_bytes,
        send_timeout=settings.send_timeout,
        # As many threads as client query processes can grow to (PooledBackend: twice
        # --query-workers): a running client query always finds a process.
        client_lane=ClientLane(
            threads=2 * max(1, settings.query_workers),
            per_client=settings.client_queries,
            wait=min(settings.query_timeout, settings.client_query_timeout),
        ),
    )

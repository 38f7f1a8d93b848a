"""Slow and idle clients cannot hold the server (issue 15, item 3).

Against a real ``kg serve`` on loopback: 16 sockets that send headers and part
of a body (``Content-Length: 1000`` then 5 bytes, or a chunked body that never
ends) must neither stop ``/healthz`` nor a cheap ``/sparql`` ASK, and the server
must answer each of them 408 and close it within the body deadline. Under
granian's WSGI interface each such socket held a request thread with no read
timeout, and 8 of them stopped the server.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import LiveServer

BODY_TIMEOUT = 2.0
#: How long after the deadline the server may take to answer an idle socket.
SLACK = 3.0


@pytest.fixture(scope="module")
def guarded_server(seed_store: Path) -> Iterator[LiveServer]:
    server = LiveServer(seed_store, extra_args=["--body-timeout", str(BODY_TIMEOUT)])
    yield server
    server.stop()


def _partial_sized(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\nContent-Length: 1000\r\n\r\nASK {"
    )
    return sock


def _partial_chunked(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nASK {\r\n"
    )
    return sock


def _get(url: str, timeout: float) -> tuple[int, bytes, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read(), time.monotonic() - started


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while True:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_idle_bodies_neither_stop_the_server_nor_stay_open(guarded_server: LiveServer) -> None:
    port = guarded_server.port
    opened = time.monotonic()
    sockets = [(_partial_sized if i % 2 else _partial_chunked)(port) for i in range(16)]
    try:
        time.sleep(0.3)  # every idle request has reached the server
        status, body, took = _get(guarded_server.url + "/healthz", timeout=5)
        assert status == 200 and json.loads(body)["status"] == "ok" and took < 3
        ask = quote("ASK { ?s ?p ?o }")
        status, body, took = _get(f"{guarded_server.url}/sparql?query={ask}&format=json", timeout=5)
        assert status == 200 and json.loads(body)["boolean"] is True and took < 3

        deadline = opened + BODY_TIMEOUT + SLACK
        for sock in sockets:
            answer = _read_until_closed(sock, deadline)  # raises TimeoutError if left open
            assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
            assert b"application/problem+json" in answer
        assert time.monotonic() < deadline + 0.5
    finally:
        for sock in sockets:
            sock.close()
    assert guarded_server.process.poll() is None


def test_a_body_sent_slowly_but_within_the_deadline_is_answered(
    guarded_server: LiveServer,
) -> None:
    query = b"ASK { ?s ?p ?o }"
    sock = socket.create_connection(("127.0.0.1", guarded_server.port), timeout=10)
    try:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
            b"Content-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n"
        )
        for part in (query[:6], query[6:]):
            time.sleep(BODY_TIMEOUT / 3)
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")
        answer = _read_until_closed(sock, time.monotonic() + 10)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"boolean":true' in answer.replace(b" ", b"")


def test_a_declared_body_past_the_limit_is_refused_before_it_is_read(
    guarded_server: LiveServer,
) -> None:
    sock = socket.create_connection(("127.0.0.1", guarded_server.port), timeout=10)
    try:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/sparql-query\r\nContent-Length: 999999999\r\n\r\nASK {"
        )
        answer = _read_until_closed(sock, time.monotonic() + 5)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]

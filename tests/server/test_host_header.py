"""The Host header is the client's to choose, so it is checked and never trusted in redirects.

Issue 15, item 8: ``Host: evil.example.com`` on ``/static//x`` answered
``Location: http://evil.example.com/static/x``, and empty, spaced, duplicate
and missing Host headers were accepted. Now a host other than the base IRI's,
a loopback name or a ``--trusted-host`` is a 400 problem+json, and an absolute
redirect points at the base IRI's address.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import TEST_BASE_IRI, LiveServer

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def host_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(local=True)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example.com", id="foreign"),
        pytest.param("evil.example.com:80", id="foreign-with-port"),
        pytest.param("kg.test.evil.example.com", id="base-host-as-prefix"),
        pytest.param("kg test", id="spaced"),
        pytest.param("kg.test,evil.example.com", id="list"),
        pytest.param("kg.test:99999", id="bad-port"),
    ],
)
def test_an_untrusted_or_malformed_host_is_a_400_problem(host_app: Flask, host: str) -> None:
    for path in ("/static//x", "/healthz", "/sparql?query=ASK%7B%7D"):
        response = host_app.test_client().get(path, headers={"Host": host})
        assert response.status_code == 400, (path, host, response.headers.get("Location"))
        assert response.mimetype == PROBLEM_JSON
        assert "evil" not in response.headers.get("Location", "")


def test_an_empty_host_is_a_400_problem(host_app: Flask) -> None:
    response = host_app.test_client().get("/healthz", environ_overrides={"HTTP_HOST": ""})
    assert response.status_code == 400 and response.mimetype == PROBLEM_JSON


@pytest.mark.parametrize(
    "host",
    ["kg.test", "KG.test:8080", "localhost", "localhost:8000", "127.0.0.1:5000", "[::1]:8000"],
)
def test_the_base_iri_host_and_loopback_names_are_served(host_app: Flask, host: str) -> None:
    assert host_app.test_client().get("/healthz", headers={"Host": host}).status_code == 200


def test_redirects_point_at_the_public_address(host_app: Flask) -> None:
    response = host_app.test_client().get("/static//kg.css", headers={"Host": "127.0.0.1:5000"})
    assert 300 <= response.status_code < 400
    assert response.headers["Location"] == TEST_BASE_IRI + "static/kg.css"


def test_trusted_hosts_setting(make_app: Callable[..., Flask]) -> None:
    app = make_app(local=True, trusted_hosts=("data.example.org", ".mirror.example.net"))
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "data.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "eu.mirror.example.net"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "example.org"}).status_code == 400
    anyone = make_app(local=True, trusted_hosts=("*",)).test_client()
    assert anyone.get("/healthz", headers={"Host": "whatever.example"}).status_code == 200


def _raw(server: LiveServer, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(
            b"GET /static//x HTTP/1.1\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n",
            id="foreign",
        ),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example.com\r\n"
            b"Connection: close\r\n\r\n",
            id="duplicate",
        ),
        pytest.param(b"GET /healthz HTTP/1.0\r\n\r\n", id="missing"),
    ],
)
def test_hostile_hosts_over_http(live_server: LiveServer, head: bytes) -> None:
    answer = _raw(live_server, head)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    assert b"evil.example.com/" not in answer
    problem = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert problem["status"] == 400

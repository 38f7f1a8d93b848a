"""Fixtures for the SPARQL endpoint's tests: app variants, writable stores, a loopback listener."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI
from tests.server.crawled_stores import generated_crawls, seed_crawls


def close_app(app: Flask) -> None:
    backend = app.extensions["kg"].backend
    close = getattr(backend, "close", None)
    if close is not None:
        close()
    writer = app.extensions["kg"].writer
    if writer is not None:
        writer.close()


@pytest.fixture(scope="module")
def make_app(
    tmp_path_factory: pytest.TempPathFactory, seed_store: Path
) -> Iterator[Callable[..., Flask]]:
    """Build an application with settings of a test's choosing (closed at the end of the module).

    ``writable=True`` gives it its own copy of the seed store, so that updates
    touch nothing another test reads; ``local=True`` runs queries in-process
    (no worker processes: quick to start, no timeouts).
    """
    from kg_server.app import create_app

    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend

    apps: list[Flask] = []

    def build(*, writable: bool = False, local: bool = False, **config: Any) -> Flask:
        store = seed_store
        if writable:
            store = tmp_path_factory.mktemp("writable-store") / "store"
            shutil.copytree(seed_store, store)
        settings: dict[str, Any] = {
            "store": str(store),
            "base_iri": TEST_BASE_IRI,
            "query_timeout": 10,
        }
        if local:
            settings["backend"] = LocalBackend(KGStore.open_readonly(store))
        settings.update(config)
        app = create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_app(app)


class Listener:
    """A TCP listener on a loopback port that records every connection it accepts.

    It answers nothing (it closes each connection at once) and stops by itself
    after ``lifetime`` seconds at the latest.
    """

    def __init__(self, lifetime: float = 120.0):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = int(self.socket.getsockname()[1])
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._accept, name="loopback-listener", daemon=True)
        self._thread.start()

    def url(self, path: str = "/sparql") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                connection, address = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(address)
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="session", params=["seeds", "generated"])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path
) -> Iterator[tuple[KGStore, tuple[date, ...]]]:
    """A store of several crawls (read it, never write it) and its crawl dates
    (tests/server/crawled_stores.py)."""
    root = tmp_path_factory.mktemp(f"crawls-{request.param}")
    if request.param == "seeds":
        folder, days = seed_crawls(root, seeds_dir)
    else:
        folder, days = generated_crawls(root)
    store = KGStore.open_readonly(folder)
    yield store, days
    store.close()

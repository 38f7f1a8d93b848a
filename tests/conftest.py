"""Shared fixtures. Tests are laid out by pipeline stage: parse, resolve, map, store, server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The real profile pages live beside the project, never inside it.
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
W3C_DIR = ROOT.parent / "shared" / "w3c"
#: The date the seed pages were copied from the site (PROFILE_FORMAT.md).
SEED_AS_OF = date(2026, 11, 21)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed profiles not found at {SEEDS_DIR} (../shared/seeds beside the project)")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def seed_files(seeds_dir: Path) -> dict[str, Path]:
    """Seed files keyed by their three-digit prefix: {"000": Path, ...}."""
    return {p.name[:3]: p for p in sorted(seeds_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def w3c_dir() -> Path:
    if not W3C_DIR.is_dir():
        pytest.skip(f"W3C test data not found at {W3C_DIR}")
    return W3C_DIR


# -- stores and servers -----------------------------------------------------------

import contextlib  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402

TEST_BASE_IRI = "http://kg.test/"


def ingest_into(folder: Path, sources: list[Path] | Path, *, base_iri: str = TEST_BASE_IRI) -> None:
    """Ingest profile files or folders into a store folder (and publish it)."""
    from kg.pipeline.identity import IdentityResolution
    from kg.pipeline.ingest import ingest
    from kg.rdf.iri import IriScheme
    from kg.store.embedded import KGStore

    store = KGStore.open_writable(folder)
    paths = sources if isinstance(sources, list) else [sources]
    ingest(
        paths,
        store,
        scheme=IriScheme(base_iri),
        as_of=SEED_AS_OF,
        resolution=IdentityResolution(),
        progress=False,
    )
    store.close()


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """A store folder holding the five seed profiles and their search index, as `kg ingest`
    leaves it (read it, never write it)."""
    from kg.search.index import update_index
    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend

    folder = tmp_path_factory.mktemp("seed-store")
    ingest_into(folder, seeds_dir)
    store = KGStore.open_readonly(folder)
    try:
        update_index(folder / "search", LocalBackend(store), store_version=store.generation)
    finally:
        store.close()
    return folder


@pytest.fixture(scope="session")
def app(seed_store: Path):  # type: ignore[no-untyped-def]
    """The application over the seed store (query worker processes included)."""
    from kg_server.app import create_app

    application = create_app(
        {"store": str(seed_store), "base_iri": TEST_BASE_IRI, "query_timeout": 10}
    )
    application.config["TESTING"] = True
    yield application
    application.extensions["kg"].backend.close()


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Runs the command after it (``os.execvp``) so that it is sent SIGTERM when the pytest
#: process whose pid comes first dies: a server started in a session of its own (so that its
#: stop can kill what it leaves behind) is otherwise left running by a killed or interrupted
#: run, which runs no teardown.
_DIES_WITH_PYTEST = (
    "import os, signal, sys; from kg.store.lifetime import die_with_parent; "
    "die_with_parent(int(sys.argv[1]), signal.SIGTERM); os.execvp(sys.argv[2], sys.argv[2:])"
)
#: `kg` run from this checkout's interpreter under its own name (as the console script does).
_RUN_KG = "import runpy, sys; sys.argv[0] = 'kg'; runpy.run_module('kg.cli', run_name='__main__', alter_sys=True)"


def dies_with_pytest(command: list[str]) -> list[str]:
    """``command`` run so that it gets SIGTERM when this pytest process dies."""
    return [sys.executable, "-c", _DIES_WITH_PYTEST, str(os.getpid()), *command]


class LiveServer:
    """`kg serve` in a subprocess on a free loopback port; its output is drained into `output`."""

    def __init__(
        self, store: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None
    ):
        import collections
        import threading

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # SIGTERM when pytest dies: a clean shutdown, its workers with it.
        args = dies_with_pytest(
            [
                sys.executable,
                "-c",
                _RUN_KG,
                "serve",
                "--store",
                str(store),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--base-iri",
                TEST_BASE_IRI,
                *(extra_args or []),
            ]
        )
        environment = {**os.environ, **(env or {})}
        # A session of its own: stop() can kill what the server leaves behind (a worker
        # stuck on its way out keeps the output pipe open, and the drain thread with it).
        self.process = subprocess.Popen(
            args,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # Keep reading the server's output so that a full pipe never blocks it.
        self.output: collections.deque[str] = collections.deque(maxlen=2000)
        self._drain = threading.Thread(target=self._read_output, daemon=True)
        self._drain.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._drain.join(timeout=5)
                raise RuntimeError(
                    f"kg serve exited with {self.process.returncode}:\n" + "".join(self.output)
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("kg serve did not answer within 60 s:\n" + "".join(self.output))

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.output.append(raw.decode(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Whatever of its session is still there: in CI a granian worker once hung in
        # multiprocessing's exit handler, joining a query worker, after the server was
        # killed; it held the pipe open and close() below waited for the drain thread forever.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._drain.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()  # an open pipe is a ResourceWarning, and warnings are errors


@pytest.fixture(scope="session")
def live_server(seed_store: Path) -> Iterator[LiveServer]:
    """A real `kg serve` (granian) over the seed store, for real HTTP clients."""
    server = LiveServer(seed_store)
    yield server
    server.stop()

"""Real external SPARQL stores, started on loopback by the project's own scripts.

* ``oxigraph_server``: the native Oxigraph server (scripts/start-oxigraph-server);
* ``virtuoso_server``: Virtuoso Open Source 7 (scripts/start-virtuoso);
* ``external_store``: each of them in turn (parametrized);
* ``seeded_external``: the five seed profiles ingested into it with ``kg ingest --store URL``.

Both are installed by scripts/setup-external-stores (CI runs it before pytest).
A store that is not installed, or does not start within
:data:`START_TIMEOUT` seconds, makes its tests skip with the reason. Every
store runs in a process group of its own, stopped (SIGTERM, then SIGKILL)
when the session ends; its throwaway data folder goes with it.

Every test module in this folder is marked ``external`` (``pytestmark``).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_AS_OF, TEST_BASE_IRI, dies_with_pytest

#: Seconds a store may take to start (the scripts give up a little earlier and say why).
START_TIMEOUT = 60
STORES = ("oxigraph", "virtuoso")
SCRIPTS = {"oxigraph": "start-oxigraph-server", "virtuoso": "start-virtuoso"}
NOT_INSTALLED = 3  # the scripts' exit status when the store's programs are missing


@dataclass
class StoreServer:
    """A running external store: its endpoints and the process group to stop."""

    name: str
    query: str
    update: str
    graph_store: str
    process: subprocess.Popen[str]
    info: dict[str, str] = field(default_factory=dict)

    def store_args(self, *, graph_store: bool = True) -> list[str]:
        """The ``kg`` options that name this store."""
        args = ["--store", self.query, "--update-url", self.update]
        return [*args, "--graph-store-url", self.graph_store] if graph_store else args

    def stop(self) -> None:
        stop_group(self.process)
        folder = self.info.get("dir")
        if folder and Path(folder).exists():
            shutil.rmtree(folder, ignore_errors=True)


def stop_group(process: subprocess.Popen[str], grace: float = 20.0) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # The server itself may outlive the script for a moment: make sure the group is gone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def start_store(name: str, env: dict[str, str] | None = None) -> StoreServer:
    """Start a store with its script and wait for its endpoints; pytest.skip if it cannot start."""
    script = ROOT / "scripts" / SCRIPTS[name]
    environment = {**os.environ, "KG_START_TIMEOUT": str(START_TIMEOUT - 10), **(env or {})}
    process = subprocess.Popen(
        # SIGTERM when pytest dies (the script then stops its server): a session of its own
        # is out of reach of a killed run's process group.
        dies_with_pytest(["bash", str(script)]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
        cwd=ROOT,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    info: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT
    reason = ""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = f"{name} did not start within {START_TIMEOUT} s"
            break
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:  # the script ended before the store was ready
            process.wait(timeout=10)
            stderr = process.stderr.read() if process.stderr else ""
            if process.returncode == NOT_INSTALLED:
                reason = (
                    f"{name} is not installed (run scripts/setup-external-stores): {stderr.strip()}"
                )
            else:
                reason = (
                    f"{SCRIPTS[name]} exited with {process.returncode}: {stderr.strip()[-1500:]}"
                )
            break
        if line == "ready":
            return StoreServer(
                name, info["query"], info["update"], info["graph_store"], process, info
            )
        key, _, value = line.partition("=")
        info[key] = value
    stop_group(process)
    if info.get("dir"):
        shutil.rmtree(info["dir"], ignore_errors=True)
    print(f"\nSKIP external store: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[StoreServer]:
    # The server's own query time limit, so that a runaway test query stops there too.
    server = start_store("oxigraph", {"KG_STORE_TIMEOUT": "20"})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[StoreServer]:
    server = start_store("virtuoso")
    yield server
    server.stop()


@pytest.fixture(scope="session", params=STORES)
def external_store(request: pytest.FixtureRequest) -> StoreServer:
    server: StoreServer = request.getfixturevalue(f"{request.param}_server")
    return server


#: Identity resolution's output (the identity graph's evidence texts) depends on the
#: iteration order of sets today, which Python randomises per process: every ingest
#: compared here runs with the same hash seed, so that two ingests of the same files
#: give the same triples.
HASH_SEED = "0"


def run_kg(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the ``kg`` command in a subprocess (no curation file: ``cwd`` has none)."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
        # Both import roots of the checkout: kg/ and the web application in server/.
        env={
            **os.environ,
            "PYTHONHASHSEED": HASH_SEED,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "server")]),
        },
    )


@dataclass
class SeededStore:
    server: StoreServer
    base_iri: str
    ingest_output: str


def ingest_external(
    server: StoreServer, sources: list[Path], base_iri: str, workdir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``kg ingest`` into the external store (through its update URL)."""
    return run_kg(
        "ingest",
        *map(str, sources),
        *server.store_args(),
        "--base-iri",
        base_iri,
        "--as-of",
        SEED_AS_OF.isoformat(),
        "--no-progress",
        *extra,
        cwd=workdir,
    )


def ingest_embedded(
    folder: Path, sources: list[Path], base_iri: str, workdir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``kg ingest`` into an embedded store folder, the same way as :func:`ingest_external`."""
    return run_kg(
        "ingest",
        *map(str, sources),
        "--store",
        str(folder),
        "--base-iri",
        base_iri,
        "--as-of",
        SEED_AS_OF.isoformat(),
        "--no-progress",
        *extra,
        cwd=workdir,
    )


@pytest.fixture(scope="session")
def embedded_seeds(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed profiles in an embedded store, ingested as :func:`seeded_external` ingests them."""
    folder = tmp_path_factory.mktemp("embedded-seeds") / "store"
    result = ingest_embedded(folder, [seeds_dir], TEST_BASE_IRI, folder.parent)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="session")
def seeded_external(
    external_store: StoreServer, seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> SeededStore:
    """The seed profiles in the external store under the tests' base IRI (read it, never change it)."""
    workdir = tmp_path_factory.mktemp(f"ingest-{external_store.name}")
    result = ingest_external(external_store, [seeds_dir], TEST_BASE_IRI, workdir)
    assert result.returncode == 0, (
        f"kg ingest into {external_store.name} failed:\n{result.stdout}\n{result.stderr}"
    )
    return SeededStore(external_store, TEST_BASE_IRI, result.stdout)

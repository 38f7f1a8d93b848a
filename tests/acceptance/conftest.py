"""The product as a user gets it: the wheel, installed into a fresh virtualenv, used from an
empty folder through the ``kg`` command with relative paths and default settings.

Every other test runs the checkout in-process or with absolute temporary paths; the defects a
new user met in the first hour (issue 14) all sat at the seams those tests never cross. Here
nothing of the checkout is on the path: the subprocesses get a clean environment (no
PYTHONPATH, no KG_* variables) and the virtualenv's own ``kg``.

Dependencies are installed from a wheel cache (``ACCEPTANCE_WHEEL_CACHE``, default
``~/.cache/scholarly-kg/acceptance-wheels``) filled from the package index on first use, so a
session costs seconds of pip rather than minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

WHEEL_CACHE = Path(
    os.environ.get(
        "ACCEPTANCE_WHEEL_CACHE", Path.home() / ".cache" / "scholarly-kg" / "acceptance-wheels"
    )
)
VENDOR = ROOT / "server" / "kg_server" / "static" / "vendor"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this folder is an acceptance test, whatever its module says.
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.acceptance)
            item.add_marker(pytest.mark.slow)


def _clean_environment() -> dict[str, str]:
    """The environment of a user's shell: no project settings, nothing of the checkout."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KG_") and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }


def _run(args: list[str], *, cwd: Path, timeout: float = 600) -> str:
    # Neither the checkout's folder (cwd, which `python -m pip` puts on sys.path) nor
    # PYTHONPATH may reach pip: it would take the build's scholarly_kg.egg-info there for an
    # installed project and skip installing the wheel.
    done = subprocess.run(
        args,
        cwd=cwd,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


@dataclass
class Installed:
    """A virtualenv holding the built wheel and nothing of the checkout."""

    venv: Path
    wheel: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self) -> dict[str, str]:
        """The environment a user's shell would have: the virtualenv first, no project settings."""
        env = _clean_environment()
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from the checkout and install it into a fresh virtualenv."""
    if not VENDOR.is_dir() and shutil.which("npm"):
        # The vendored browser assets belong in the wheel when they can be had; the pages work
        # without them, so a failure here is not the suite's business.
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "setup-assets")],
            capture_output=True,
            timeout=600,
            check=False,
        )
    base = tmp_path_factory.mktemp("installed")
    dist = base / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=ROOT,
    )
    wheels = sorted(dist.glob("scholarly_kg-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}"
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    offline = [
        *pip,
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        str(WHEEL_CACHE),
        str(wheels[0]),
    ]
    try:
        _run(offline, cwd=base)
    except RuntimeError:
        # First use, or the dependencies changed: fill the cache from the index, then retry
        # offline so that what is installed is exactly what the cache holds.
        WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
        _run(
            [
                *pip,
                "wheel",
                "--quiet",
                "--find-links",
                str(WHEEL_CACHE),
                "-w",
                str(WHEEL_CACHE),
                str(wheels[0]),
            ],
            cwd=base,
        )
        for stale in WHEEL_CACHE.glob("scholarly_kg-*.whl"):
            stale.unlink()  # the project itself always comes from this session's build
        _run(offline, cwd=base)
    assert (venv / "bin" / "kg").is_file(), _run([*pip, "list"], cwd=base)
    return Installed(venv=venv, wheel=wheels[0])


@dataclass
class Workdir:
    """An empty folder where a user runs ``kg``; the profiles are copied into ./profiles."""

    path: Path
    installed: Installed
    servers: list[Server] = field(default_factory=list)

    def kg(
        self, *args: str, timeout: float = 300, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.installed.bin / "kg"), *args],
            cwd=self.path,
            env=self.installed.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, timeout: float = 300) -> str:
        """Run ``kg ARGS``; a non-zero exit fails the test with what the user would have seen."""
        done = self.kg(*args, timeout=timeout)
        assert done.returncode == 0, (
            f"kg {' '.join(args)} exited with {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout

    def serve(self, *args: str, port: int | None = None) -> Server:
        server = Server(self, port or free_port(), list(args))
        self.servers.append(server)
        return server


class Server:
    """``kg serve --port P ARGS`` started from the working folder; output goes to a log file."""

    def __init__(self, workdir: Workdir, port: int, args: list[str]):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir.path.parent / f"serve-{port}-{len(workdir.servers)}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(workdir.installed.bin / "kg"), "serve", "--port", str(port), *args],
            cwd=workdir.path,
            env=workdir.installed.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"kg serve exited with {self.process.returncode}:\n{self.output}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"kg serve did not answer /healthz within {timeout} s:\n{self.output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def get(self, path: str, accept: str | None = None) -> Response:
        request = urllib.request.Request(self.url + path)
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Response(response.status, _lower(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, _lower(error.headers.items()), error.read())

    def json(self, path: str) -> dict:  # type: ignore[type-arg]
        response = self.get(path, accept="application/json")
        assert response.status == 200, f"GET {path}: {response.status} {response.text[:500]}"
        return json.loads(response.body)  # type: ignore[no-any-return]

    def store_version(self) -> str:
        return str(self.json("/healthz")["store_version"])


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


@dataclass
class Response:
    status: int
    #: Header names in lower case (HTTP/1.1 servers such as granian send them so).
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@pytest.fixture(scope="module")
def workdir(
    tmp_path_factory: pytest.TempPathFactory, installed: Installed, seeds_dir: Path
) -> Iterator[Workdir]:
    """An empty working folder (one per test module) with the seed pages in ./profiles."""
    base = tmp_path_factory.mktemp("user")
    path = base / "work"
    (path / "profiles").mkdir(parents=True)
    for page in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(page, path / "profiles" / page.name)
    work = Workdir(path, installed)
    yield work
    for server in work.servers:
        server.stop()

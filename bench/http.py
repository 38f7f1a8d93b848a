"""HTTP side of the benchmark: our server and the native Oxigraph server, latency and throughput.

Throughput is measured with ``wrk`` (a C load generator; installed by
``scripts/setup-bench``) so that the client takes little of the two cores the
servers need; without it a Python client is used and the table says so. Every
load run is bounded: a fixed number of connections for a fixed time, loopback only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPARQL_JSON = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process in its own process group on a loopback port; :meth:`stop` ends the group."""

    def __init__(
        self,
        args: Sequence[str],
        port: int,
        ready_path: str,
        *,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        timeout: float = 120,
    ):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        handle = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(args),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        if log is not None:
            handle.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{args[0]} exited with {self.process.returncode}; log: {log}")
            try:
                status, _, _ = get(self.url + ready_path, timeout=2)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{' '.join(args)} did not answer within {timeout} s; log: {log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_kg(
    store: Path,
    *,
    workers: int,
    threads: int,
    query_workers: int,
    log: Path,
    extra: Sequence[str] = (),
) -> Server:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "kg.cli",
        "serve",
        "--store",
        str(store),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--query-workers",
        str(query_workers),
        *extra,
    ]
    return Server(args, port, "/healthz", log=log)


def wait_until_warm(server: Server, *, timeout: float = 900, in_a_row: int = 8) -> float:
    """Seconds until ``/healthz`` says the reports are warm (``reports_warm``), as a readiness
    probe would wait before sending users. Each HTTP worker process warms its own cache,
    so several answers in a row must say so. Raises RuntimeError past ``timeout``."""
    started = time.monotonic()
    seen = 0
    while time.monotonic() - started < timeout:
        status, _, body = get(server.url + "/healthz", timeout=10)
        seen = seen + 1 if status == 200 and json.loads(body).get("reports_warm") else 0
        if seen >= in_a_row:
            return time.monotonic() - started
        time.sleep(0.1 if seen else 0.5)
    raise RuntimeError(f"the server's reports were not warm after {timeout:g} s")


def oxigraph_command() -> str | None:
    for candidate in (
        os.environ.get("KG_OXIGRAPH"),
        shutil.which("oxigraph"),
        str(Path(sys.executable).with_name("oxigraph")),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def start_native(copy: Path, log: Path) -> Server:
    """``oxigraph serve-read-only`` on a copy of a store (its default graph is our union, as ours)."""
    command = oxigraph_command()
    if command is None:
        raise RuntimeError(
            "the oxigraph command is missing: run scripts/setup-bench (pip install oxigraph)"
        )
    port = free_port()
    ready = "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    return Server(
        [command, "serve-read-only", "--location", str(copy), "--bind", f"127.0.0.1:{port}"],
        port,
        ready,
        log=log,
    )


def get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


class Client:
    """One keep-alive connection; :meth:`time_get` returns (seconds, status, headers, body)."""

    def __init__(self, base: str, timeout: float = 300):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def time_get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[float, int, dict[str, str], bytes]:
        for attempt in (0, 1):
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=headers or {})
                response = self.conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                return (
                    elapsed,
                    response.status,
                    {k.lower(): v for k, v in response.getheaders()},
                    body,
                )
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def sparql_path(endpoint: str, query: str) -> str:
    return endpoint + "?" + urllib.parse.urlencode({"query": query})


def json_rows(body: bytes) -> int:
    """Rows of a SPARQL JSON result or of a report's JSON answer (-1 if neither)."""
    try:
        data = json.loads(body)
    except ValueError:
        return -1
    if isinstance(data, dict):
        if "results" in data and isinstance(data["results"], dict):
            return len(data["results"].get("bindings", []))
        for key in ("rows", "records", "results", "data"):
            if isinstance(data.get(key), list):
                return len(data[key])
    if isinstance(data, list):
        return len(data)
    return -1


@dataclass(slots=True)
class Throughput:
    requests_per_second: float
    requests: int
    errors: int
    latency_p50_ms: float
    latency_p99_ms: float
    client: str
    statuses: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rps": round(self.requests_per_second, 1),
            "requests": self.requests,
            "errors": self.errors,
            "latency_p50_ms": round(self.latency_p50_ms, 2),
            "latency_p99_ms": round(self.latency_p99_ms, 2),
            "client": self.client,
        }


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def throughput(
    url: str, *, headers: dict[str, str], connections: int, seconds: float
) -> Throughput:
    """Requests per second of GET ``url`` from ``connections`` loopback connections for ``seconds``."""
    wrk = shutil.which("wrk")
    if wrk is not None:
        args = [
            wrk,
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{seconds:g}s",
            "--latency",
            "--timeout",
            "30s",
        ]
        for key, value in headers.items():
            args += ["-H", f"{key}: {value}"]
        out = subprocess.run(
            [*args, url], capture_output=True, text=True, timeout=seconds + 60
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sock = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
        )
        errors = (int(bad.group(1)) if bad else 0) + (
            sum(int(x) for x in sock.groups()) if sock else 0
        )
        p50 = re.search(r"50%\s+(\S+)", out)
        p99 = re.search(r"99%\s+(\S+)", out)
        return Throughput(
            rps,
            total,
            errors,
            _ms(p50.group(1)) if p50 else float("nan"),
            _ms(p99.group(1)) if p99 else float("nan"),
            "wrk",
        )
    return _python_throughput(url, headers=headers, connections=connections, seconds=seconds)


def _python_throughput(
    url: str, *, headers: dict[str, str], connections: int, seconds: float
) -> Throughput:
    """A fallback load generator: threads with keep-alive connections (the GIL makes it the bottleneck)."""
    from bench.measure import percentile

    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        client = Client(f"http://{parts.hostname}:{parts.port}")
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            try:
                elapsed, status, _, _ = client.time_get(path, headers)
            except OSError:
                bad += 1
                continue
            mine.append(elapsed)
            bad += status >= 400
        client.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    return Throughput(
        len(latencies) / wall,
        len(latencies),
        errors[0],
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
        "python",
    )

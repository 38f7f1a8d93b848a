"""Loopback load test of ``kg serve``: many clients, cheap and heavy queries, reports, bounded.

``python -m bench.load --store DIR`` starts ``kg serve`` (granian) on a free
loopback port over the store (6 query processes, 16 threads, a 5 s query
timeout; each can be changed), runs 32 clients for 60 s and prints the figures:
requests, requests/s, p50/p95/p99 per class, status counts, unexpected
answers and the server's peak memory (RSS summed over its process tree: the
HTTP workers and their query processes, sampled from /proc). It exits 1 when
a check fails. ``--url`` aims it at a server that is already running instead
(memory is then not sampled unless ``--pid`` is given).

The request classes:

``cheap``
    small SPARQL queries (a LIMIT, an ASK, one author's papers): must answer
    200, with a bounded p99.
``heavy``
    queries over the whole graph: a four-way cross product that cannot finish
    (it must be stopped at the query timeout: 503 with the ``query-timeout``
    problem type) and aggregates over every triple (200 when they finish in
    time, else that same 503).
``report``
    every report of ``/reports.json`` with its example parameters, as JSON;
    where the server has no reports yet, linked-data pages of known IRIs.

A fixed number of clients (``--heavy-clients``) send the heavy queries, back to
back, so that runaway queries are always in flight; the others mix cheap
queries and reports. Everything is bounded: the clients, the duration, a cap
on the number of requests and a timeout on each.

Checks: no 5xx other than a timeout 503 on a heavy query, no connection
error, p99 of cheap requests under ``--max-cheap-p99``, peak RSS under
``--max-rss-mb`` and no steady growth (the last third's peak no more than
``--max-rss-growth`` over the first third's). Only the standard library is used.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPARQL_JSON = "application/sparql-results+json"
PREFIXES = (
    "PREFIX schema: <https://schema.org/> PREFIX dcterms: <http://purl.org/dc/terms/> "
    "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> "
)

CHEAP_QUERIES = (
    PREFIXES
    + "SELECT ?paper ?title WHERE { ?paper a schema:ScholarlyArticle ; dcterms:title ?title } LIMIT 10",
    PREFIXES + "ASK { ?paper a schema:ScholarlyArticle }",
    PREFIXES
    + "SELECT ?name WHERE { ?author a schema:Person ; schema:name ?name } ORDER BY ?name LIMIT 20",
    PREFIXES + 'SELECT ?paper ?title WHERE { ?author schema:name "Weiran Huang" . '
    "?paper schema:author ?author ; dcterms:title ?title } LIMIT 50",
    PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?profile a kg:ProfileSnapshot }",
)
#: The runaway: it cannot finish on any graph worth the name.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HEAVY_QUERIES = (
    RUNAWAY,
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)",
    "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
)
KINDS = ("cheap", "heavy", "report")


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    label: str = ""


def sparql_request(kind: str, query: str, label: str) -> Request:
    body = urllib.parse.urlencode({"query": query}).encode()
    return Request(
        kind,
        "POST",
        "/sparql",
        body,
        (("Content-Type", "application/x-www-form-urlencoded"), ("Accept", SPARQL_JSON)),
        label,
    )


# -- one connection ------------------------------------------------------------------------


class Connection:
    """A keep-alive HTTP/1.1 connection that reconnects after an error."""

    def __init__(self, host: str, port: int, timeout: float, source: str | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.source_address = (source, 0) if source else None
        self.http: http.client.HTTPConnection | None = None

    def send(self, request: Request) -> tuple[int, bytes, dict[str, str]]:
        for attempt in (1, 2):
            if self.http is None:
                self.http = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout, source_address=self.source_address
                )
            try:
                self.http.request(
                    request.method, request.path, body=request.body, headers=dict(request.headers)
                )
                response = self.http.getresponse()
                body = response.read()
                headers = {k.lower(): v for k, v in response.getheaders()}
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return response.status, body, headers
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                # A keep-alive connection the server closed between two requests: retry once, fresh.
                self.close()
                if attempt == 2:
                    raise error
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def get_json(base: str, path: str, timeout: float = 60) -> tuple[int, Any]:
    parts = urllib.parse.urlsplit(base)
    connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80, timeout)
    try:
        status, body, _ = connection.send(
            Request("setup", "GET", path, None, (("Accept", "application/json"),))
        )
    finally:
        connection.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


# -- the request mix ---------------------------------------------------------------------------


def report_requests(base: str) -> list[Request]:
    """Every report with its example parameters (JSON), or linked-data pages when there are no reports."""
    status, listing = get_json(base, "/reports.json")
    requests: list[Request] = []
    if status == 200 and listing:
        reports = listing.get("reports", listing) if isinstance(listing, dict) else listing
        for report in reports:
            params = {
                p["name"]: str(p["example"])
                for p in report.get("parameters", [])
                if p.get("example") not in (None, "")
            }
            path = f"/reports/{urllib.parse.quote(report['name'])}.json"
            if params:
                path += "?" + urllib.parse.urlencode(params)
            requests.append(
                Request(
                    "report", "GET", path, None, (("Accept", "application/json"),), report["name"]
                )
            )
        return requests
    # No reports served: pages of a few papers and authors stand in for them.
    query = PREFIXES + (
        "SELECT ?x WHERE { { ?x a schema:ScholarlyArticle } UNION { ?x a schema:Person } } "
        "ORDER BY ?x LIMIT 12"
    )
    _, rows = get_json(base, "/sparql?" + urllib.parse.urlencode({"query": query}))
    for row in (rows or {}).get("results", {}).get("bindings", []):
        path = urllib.parse.urlsplit(
            row["x"]["value"]
        ).path  # the server serves its IRIs (base IRI = address)
        requests.append(Request("report", "GET", path, None, (("Accept", "text/turtle"),), "page"))
    return requests


def build_mix(base: str) -> dict[str, list[Request]]:
    return {
        "cheap": [sparql_request("cheap", q, f"cheap-{i}") for i, q in enumerate(CHEAP_QUERIES)],
        "heavy": [
            sparql_request("heavy", q, "runaway" if q == RUNAWAY else f"heavy-{i}")
            for i, q in enumerate(HEAVY_QUERIES)
        ],
        "report": report_requests(base),
    }


# -- memory -------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def tree_rss_mb(pid: int) -> float:
    total_kb = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            continue
    return total_kb / 1024


class MemorySampler(threading.Thread):
    """RSS of a process tree every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.stopped.is_set():
            self.samples.append((time.monotonic() - start, tree_rss_mb(self.pid)))
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


# -- the run --------------------------------------------------------------------------------------


@dataclass
class ClassStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    timeouts: int = 0
    #: 503 "unavailable" with Retry-After: every query process stayed busy for the whole wait.
    busy: int = 0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]


@dataclass
class LoadResult:
    url: str
    clients: int
    heavy_clients: int
    duration: float
    requests: int = 0
    classes: dict[str, ClassStats] = field(default_factory=lambda: {k: ClassStats() for k in KINDS})
    unexpected: list[str] = field(default_factory=list)
    unexpected_count: int = 0
    memory: list[tuple[float, float]] = field(default_factory=list)
    report_names: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.duration if self.duration else 0.0

    @property
    def peak_rss_mb(self) -> float:
        return max((mb for _, mb in self.memory), default=0.0)

    def rss_growth(self) -> float:
        """Peak RSS of the last third of the run over that of the first third (1.0 = flat)."""
        if len(self.memory) < 6:
            return 1.0
        third = len(self.memory) // 3
        first = max(mb for _, mb in self.memory[:third])
        last = max(mb for _, mb in self.memory[-third:])
        return last / first if first else 1.0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "clients": self.clients,
            "heavy_clients": self.heavy_clients,
            "seconds": round(self.duration, 2),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "unexpected": self.unexpected_count,
            "unexpected_examples": self.unexpected[:10],
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rss_start_mb": round(self.memory[0][1], 1) if self.memory else None,
            "rss_end_mb": round(self.memory[-1][1], 1) if self.memory else None,
            "rss_growth": round(self.rss_growth(), 3),
            "reports": self.report_names,
            "classes": {},
        }
        for kind, stats in self.classes.items():
            out["classes"][kind] = {
                "requests": len(stats.latencies),
                "p50_ms": round(stats.percentile(50) * 1000, 1),
                "p95_ms": round(stats.percentile(95) * 1000, 1),
                "p99_ms": round(stats.percentile(99) * 1000, 1),
                "max_ms": round(max(stats.latencies, default=0.0) * 1000, 1),
                "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
                "timeouts_503": stats.timeouts,
                "busy_503": stats.busy,
            }
        return out

    def table(self) -> str:
        f = self.figures()
        lines = [
            f"load: {f['clients']} clients ({f['heavy_clients']} heavy) for {f['seconds']} s on {f['url']}",
            f"  {f['requests']} requests, {f['rps']} requests/s, {f['unexpected']} unexpected answers",
            f"  {'class':<8}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}  statuses",
        ]
        for kind, c in f["classes"].items():
            statuses = ", ".join(f"{k}: {v}" for k, v in c["statuses"].items())
            lines.append(
                f"  {kind:<8}{c['requests']:>10}{c['p50_ms']:>10}{c['p95_ms']:>10}{c['p99_ms']:>10}"
                f"{c['max_ms']:>10}  {statuses}"
            )
        lines.append(
            f"  server RSS: start {f['rss_start_mb']} MB, peak {f['peak_rss_mb']} MB, end "
            f"{f['rss_end_mb']} MB (last/first third {f['rss_growth']})"
        )
        for example in f["unexpected_examples"]:
            lines.append(f"  unexpected: {example}")
        return "\n".join(lines)


def _problem_type(body: bytes) -> str:
    try:
        return str(json.loads(body).get("type", ""))
    except (ValueError, AttributeError):
        return ""


def client_address(host: str, number: int) -> str | None:
    """The loopback address client ``number`` sends from when the server is on loopback:
    each its own (127.0.0.2, 127.0.0.3, ...), as clients on the network would be, since
    the server limits concurrent queries per client address (--client-queries)."""
    if host != "127.0.0.1" or not sys.platform.startswith("linux"):
        return None  # only Linux routes all of 127.0.0.0/8 to the loopback interface
    return f"127.0.{2 + number // 250}.{2 + number % 250}"


def run_load(
    url: str,
    *,
    duration: float = 60.0,
    clients: int = 32,
    heavy_clients: int = 2,
    report_share: float = 0.4,
    server_pid: int | None = None,
    max_requests: int = 2_000_000,
    request_timeout: float = 120.0,
    seed: int = 8,
) -> LoadResult:
    """Run the load against ``url`` and return the figures (see the module docstring)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    mix = build_mix(url)
    result = LoadResult(
        url, clients, heavy_clients, duration, report_names=sorted({r.label for r in mix["report"]})
    )
    lock = threading.Lock()
    sent = [0]
    deadline = time.monotonic() + duration
    sampler = MemorySampler(server_pid) if server_pid else None

    def record(
        request: Request,
        status: int,
        seconds: float,
        body: bytes,
        error: str | None,
        headers: dict[str, str],
    ) -> None:
        with lock:
            result.requests += 1
            stats = result.classes[request.kind]
            stats.latencies.append(seconds)
            stats.statuses[status] += 1
            timeout = status == 503 and "query-timeout" in _problem_type(body)
            stats.timeouts += timeout
            # The pool's back-pressure: judged by check() against Limits.max_busy_share.
            busy = status == 503 and _problem_type(body).endswith("unavailable")
            busy = busy and "retry-after" in headers
            stats.busy += busy
            expected = status == 200 or (request.kind == "heavy" and timeout) or busy
            if not expected:
                result.unexpected_count += 1
                if len(result.unexpected) < 50:
                    detail = error or body[:200].decode(errors="replace")
                    result.unexpected.append(
                        f"{request.kind} {request.label} -> {status}: {detail}"
                    )

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        heavy = number < heavy_clients
        connection = Connection(host, port, request_timeout, client_address(host, number))
        try:
            while time.monotonic() < deadline:
                with lock:
                    if sent[0] >= max_requests:
                        return
                    sent[0] += 1
                if heavy:
                    request = rng.choice(mix["heavy"])
                elif mix["report"] and rng.random() < report_share:
                    request = rng.choice(mix["report"])
                else:
                    request = rng.choice(mix["cheap"])
                started = time.perf_counter()
                headers: dict[str, str] = {}
                try:
                    status, body, headers = connection.send(request)
                    error = None
                except (OSError, http.client.HTTPException) as problem:
                    status, body, error = 0, b"", f"{type(problem).__name__}: {problem}"
                    connection.close()
                record(request, status, time.perf_counter() - started, body, error, headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    if sampler:
        sampler.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + request_timeout + 30)
    result.duration = time.monotonic() - started
    if sampler:
        sampler.stop()
        result.memory = sampler.samples
    return result


@dataclass(frozen=True)
class Limits:
    max_cheap_p99: float = 2.0
    max_rss_mb: float = 4096.0
    max_rss_growth: float = 1.5
    #: Share of requests answered 503 "all query workers are busy" (with Retry-After) that is
    #: tolerated. 0 for the benchmark; the suite's short run on a shared, loaded machine allows
    #: a little, since a starved pool answers most requests so and still fails.
    max_busy_share: float = 0.0


def check(result: LoadResult, limits: Limits = Limits()) -> list[str]:
    """What went wrong, as sentences (empty: the run passed)."""
    problems = []
    busy = sum(stats.busy for stats in result.classes.values())
    if busy > limits.max_busy_share * result.requests:
        problems.append(
            f"{busy} of {result.requests} requests answered 503 'all query workers are busy' "
            f"(tolerated: {limits.max_busy_share:.1%})"
        )
    if result.unexpected_count:
        problems.append(
            f"{result.unexpected_count} unexpected answers (5xx other than a heavy query's "
            f"timeout, errors): {result.unexpected[:3]}"
        )
    for kind in ("cheap", "report"):
        stats = result.classes[kind]
        if kind == "cheap" or stats.latencies:
            if not stats.latencies:
                problems.append(f"no {kind} request was answered")
            elif stats.percentile(99) > limits.max_cheap_p99:
                problems.append(
                    f"p99 of {kind} requests {stats.percentile(99):.2f} s > {limits.max_cheap_p99} s"
                )
    if (
        result.classes["heavy"].latencies
        and not result.classes["heavy"].timeouts
        and result.heavy_clients
    ):
        problems.append("no heavy query was stopped at the timeout (is the runaway too small?)")
    if result.memory:
        if result.peak_rss_mb > limits.max_rss_mb:
            problems.append(
                f"peak server RSS {result.peak_rss_mb:.0f} MB > {limits.max_rss_mb:.0f} MB"
            )
        if result.rss_growth() > limits.max_rss_growth:
            problems.append(
                f"server RSS grew by {result.rss_growth():.2f}x from the first to the last third"
            )
    return problems


# -- the command ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    store: Path, args: Sequence[str], *, timeout: float = 120
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
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
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"kg serve exited with {process.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get_json(url, "/healthz", timeout=2)[0] == 200:
                return process, url
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit("kg serve did not answer in time")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0]
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", type=Path, help="Store folder: start kg serve over it.")
    target.add_argument("--url", help="A running server's base URL instead.")
    parser.add_argument(
        "--pid", type=int, help="With --url: the server's process id, to sample its memory."
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="Seconds of load (default 60)."
    )
    parser.add_argument("--clients", type=int, default=32, help="Concurrent clients (default 32).")
    parser.add_argument(
        "--heavy-clients",
        type=int,
        default=2,
        help="Clients that send only heavy queries (default 2).",
    )
    parser.add_argument(
        "--query-timeout", type=float, default=5.0, help="kg serve --query-timeout (default 5)."
    )
    parser.add_argument(
        "--query-workers",
        type=int,
        default=6,
        help="kg serve --query-workers (default 6: the heavy clients' runaways hold up to 4).",
    )
    parser.add_argument("--threads", type=int, default=16, help="kg serve --threads (default 16).")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="Another kg serve argument (repeatable), e.g. --serve-arg=--query-workers=4.",
    )
    parser.add_argument("--max-cheap-p99", type=float, default=Limits.max_cheap_p99)
    parser.add_argument("--max-rss-mb", type=float, default=Limits.max_rss_mb)
    parser.add_argument("--max-rss-growth", type=float, default=Limits.max_rss_growth)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args(argv)

    process = None
    if options.store is not None:
        process, url = start_server(
            options.store,
            [
                "--query-timeout",
                str(options.query_timeout),
                "--query-workers",
                str(options.query_workers),
                "--threads",
                str(options.threads),
                *options.serve_arg,
            ],
        )
        pid: int | None = process.pid
    else:
        url, pid = options.url.rstrip("/"), options.pid
    try:
        result = run_load(
            url,
            duration=options.duration,
            clients=options.clients,
            heavy_clients=options.heavy_clients,
            server_pid=pid,
            request_timeout=options.query_timeout + 60,
        )
    finally:
        if process is not None:
            stop_server(process)
    print(result.table())
    problems = check(
        result, Limits(options.max_cheap_p99, options.max_rss_mb, options.max_rss_growth)
    )
    for problem in problems:
        print(f"FAIL: {problem}")
    if options.json:
        options.json.write_text(
            json.dumps({**result.figures(), "problems": problems}, indent=2) + "\n"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""/sparql throughput: where a query runs, measured side by side with the native server (issue 17).

Uncached ``/sparql`` answers a fraction of the requests per second of ``oxigraph
serve-read-only``. Each query crosses from the HTTP process (granian + Flask) into a
query process that can be killed (:mod:`kg.store.querypool`), because pyoxigraph
cannot cancel a running query. This module serves the same store in three ways and
loads each with ``wrk`` beside the native server, in one run:

``pool``
    ``kg serve`` as it is: client queries in query processes (real timeouts).
``inprocess``
    the query run in the HTTP process's request thread (no hop, **no timeout**): the
    upper bound of removing the hop.
``watchdog``
    ``inprocess`` plus a deadline watched on the event loop: past it the client gets a
    503 problem+json and the HTTP worker process exits, so that the runaway query's
    CPU is freed and granian starts a new worker (``respawn_failed_workers``). Its
    costs besides throughput are measured by ``runaway``: what the other clients of
    that worker see while it is replaced.

The variants are application factories for granian defined here, over the product's
own :func:`kg_server.serving.create_asgi_app`; nothing of the product changes::

    python -m bench.sparql_alternatives measure --store STORE --variants pool,inprocess,watchdog
    python -m bench.sparql_alternatives runaway --store STORE --variant watchdog
    python -m bench.sparql_alternatives measure --store STORE --variants pool@../before,pool

Each figure comes with the load average of the machine and the CPU seconds each
server spent per request (all processes of its session: HTTP workers, query
processes), from ``/proc``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/sparql_alternatives.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http as bhttp
from bench.queries import sample_entities, sparql_queries

log = logging.getLogger(__name__)

VARIANTS = ("pool", "inprocess", "watchdog")
TICK = os.sysconf("SC_CLK_TCK")
#: A query that runs for minutes on a 10k-paper store (a three-way join on objects).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?c . ?f ?g ?d }"
PROBE = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
#: How long a watchdog worker lets its 503 go out (and its other requests finish) before it exits.
EXIT_GRACE = 1.0


# -- the variants: granian application factories ------------------------------------------------


def app_pool() -> Any:
    from kg_server.serving import create_asgi_app

    return create_asgi_app()


def _in_process(asgi: Any) -> Any:
    """``asgi`` (a BoundedWSGI) with client queries run in this process, on a store opened here."""
    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend

    context = asgi.app.extensions["kg"]
    clients = getattr(context.backend, "clients", None)
    if clients is not None:
        clients.close()  # its processes would only sit idle beside the in-process store
    context.client_backend = LocalBackend(KGStore.open_readonly(context.settings.store))
    return asgi


def app_inprocess() -> Any:
    from kg_server.serving import create_asgi_app

    return _in_process(create_asgi_app())


class Watchdog:
    """ASGI middleware: a client query past ``timeout`` seconds gets a 503 and ends this process.

    pyoxigraph releases the GIL while it evaluates, so the event loop keeps running beside
    a runaway query; it answers for it, then exits the process after ``EXIT_GRACE`` s
    (the only way to stop the query), and granian starts a new worker.
    """

    def __init__(self, inner: Any, timeout: float):
        self.inner = inner
        self.timeout = timeout

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        lane = self.inner.client_lane
        if scope["type"] != "http" or lane is None or not lane.takes(scope):
            await self.inner(scope, receive, send)
            return
        state = {"started": False, "abandoned": False}

        async def guarded_send(message: Any) -> None:
            if state["abandoned"]:
                return
            state["started"] = True
            await send(message)

        task = asyncio.ensure_future(self.inner(scope, receive, guarded_send))
        try:
            await asyncio.wait_for(asyncio.shield(task), self.timeout)
            return
        except TimeoutError:
            if state["started"]:
                os._exit(70)  # a response half sent cannot become a 503: end it with the process
        state["abandoned"] = True
        from kg_server.serving import _problem

        from kg.errors import QueryTimeout

        error = QueryTimeout(
            f"the query ran longer than {self.timeout:g} s and was stopped",
            timeout_seconds=self.timeout,
        )
        status, headers, body = _problem(error, scope.get("path"))
        headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        log.warning("a client query ran past %s s: this worker exits", self.timeout)
        asyncio.get_running_loop().call_later(EXIT_GRACE, os._exit, 70)


def app_watchdog() -> Any:
    from kg_server.serving import create_asgi_app

    asgi = _in_process(create_asgi_app())
    settings = asgi.app.extensions["kg"].settings
    return Watchdog(asgi, min(settings.query_timeout, settings.client_query_timeout))


def serve(variant: str, options: dict[str, Any]) -> None:
    """What ``kg serve`` does, with the application of ``variant``."""
    from granian import Granian
    from granian.constants import Interfaces
    from kg_server.config import bind_to_store

    from kg.settings import Settings

    settings = bind_to_store(Settings.load(options))
    os.environ.update(settings.to_environ())
    Granian(
        f"bench.sparql_alternatives:app_{variant}",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGINL,
        websockets=False,
        workers=settings.workers,
        respawn_failed_workers=True,
    ).serve()


def start(variant: str, store: Path, work: Path, args: argparse.Namespace, *extra: str) -> Any:
    """A server of ``variant``; ``VARIANT@FOLDER`` runs the code of another checkout (with
    this module copied into its bench/), to compare a change before and after in one run."""
    variant, _, code = variant.partition("@")
    env = {"PYTHONPATH": f"{code}{os.pathsep}{Path(code) / 'server'}"} if code else None
    port = bhttp.free_port()
    command = [
        sys.executable,
        "-m",
        "bench.sparql_alternatives",
        "serve",
        variant,
        "--store",
        str(store),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--query-workers",
        str(args.query_workers),
        *extra,
    ]
    label = variant + (f"-{Path(code).name}" if code else "")
    return bhttp.Server(command, port, "/healthz", env=env, log=work / f"serve-{label}.log")


# -- measuring ------------------------------------------------------------------------------------


def session_cpu(sid: int) -> float:
    """CPU seconds of every live process of session ``sid`` (a server and all it started)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def load_run(server: Any, path: str, seconds: float, connections: int) -> dict[str, Any]:
    cpu, load = session_cpu(server.process.pid), loadavg()
    result = bhttp.throughput(
        server.url + path,
        headers={"Accept": bhttp.SPARQL_JSON},
        connections=connections,
        seconds=seconds,
    )
    spent = session_cpu(server.process.pid) - cpu
    return {
        "rps": round(result.requests_per_second, 1),
        "errors": result.errors,
        "p99_ms": round(result.latency_p99_ms, 2),
        "cpu_us_per_request": round(1e6 * spent / max(1, result.requests)),
        "load": [load, loadavg()],
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from bench.run import _open_local, _query_rows

    store, work = args.store.resolve(), args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    backend, _reports, _scheme = _open_local(store)
    author = sample_entities(_query_rows(backend), 20, args.seed).authors[0]
    del backend
    queries = sparql_queries(author)
    copy = work / "native-copy"
    shutil.rmtree(copy, ignore_errors=True)
    generation = (store / "published").read_text().strip()
    shutil.copytree(store / "snapshots" / generation, copy)
    native = bhttp.start_native(copy, work / "native.log")
    results: dict[str, Any] = {"author": author, "workers": args.workers, "variants": {}}
    try:
        for index, variant in enumerate(args.variants.split(",")):
            print(f"{variant}:", flush=True)
            server = start(variant, store, work, args, "--client-queries", "0")
            key = variant if variant not in results["variants"] else f"{variant}#{index}"
            try:
                results["variants"][key] = _measure_one(server, native, queries, args)
            finally:
                server.stop()
    finally:
        native.stop()
        shutil.rmtree(copy, ignore_errors=True)
    return results


def _measure_one(
    server: Any, native: Any, queries: dict[str, str], args: argparse.Namespace
) -> Any:
    bhttp.wait_until_warm(server)
    out: dict[str, Any] = {}
    for name, text in queries.items():
        ours, theirs = bhttp.sparql_path("/sparql", text), bhttp.sparql_path("/query", text)
        rows = (
            bhttp.json_rows(bhttp.get(server.url + ours, {"Accept": bhttp.SPARQL_JSON})[2]),
            bhttp.json_rows(bhttp.get(native.url + theirs, {"Accept": bhttp.SPARQL_JSON})[2]),
        )
        load_run(server, ours, 1, args.connections)  # warm both
        load_run(native, theirs, 1, args.connections)
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "native": []}
        for _ in range(args.repeats):  # interleaved: both sides meet the same machine load
            runs["ours"].append(load_run(server, ours, args.duration, args.connections))
            runs["native"].append(load_run(native, theirs, args.duration, args.connections))
        shares = [
            o["rps"] / n["rps"]
            for o, n in zip(runs["ours"], runs["native"], strict=True)
            if n["rps"]
        ]
        entry = {
            "rows": rows,
            "share_median": round(statistics.median(shares), 3) if shares else None,
            "shares": [round(s, 3) for s in shares],
            **{side: _median_run(items) for side, items in runs.items()},
            "runs": runs,
        }
        out[name] = entry
        print(
            f"  {name}: ours {entry['ours']['rps']:.0f} req/s "
            f"({entry['ours']['cpu_us_per_request']} us CPU/req), native "
            f"{entry['native']['rps']:.0f} req/s ({entry['native']['cpu_us_per_request']} us "
            f"CPU/req), ours/native {entry['share_median']} {entry['shares']}, rows {rows}, "
            f"load {entry['ours']['load']}",
            flush=True,
        )
    return out


def _median_run(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r["rps"] for r in items),
        "cpu_us_per_request": round(statistics.median(r["cpu_us_per_request"] for r in items)),
        "errors": sum(r["errors"] for r in items),
        "load": [min(r["load"][0] for r in items), max(r["load"][1] for r in items)],
    }


def runaway(args: argparse.Namespace) -> dict[str, Any]:
    """A runaway query against ``args.variant`` with a 2 s client timeout, while a probe
    client sends cheap queries: what the runaway's client gets and when, what the probe
    sees meanwhile, whether the CPU is freed, whether the server still answers."""
    store, work = args.store.resolve(), args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    timeout = 2.0
    server = start(
        args.variant,
        store,
        work,
        args,
        "--client-queries",
        "0",
        "--client-query-timeout",
        str(timeout),
    )
    out: dict[str, Any] = {"variant": args.variant, "timeout_s": timeout, "runaways": []}
    try:
        bhttp.wait_until_warm(server)
        stop = threading.Event()
        probe: dict[str, Any] = {"ok": 0, "failures": []}
        started = time.monotonic()

        def probing() -> None:
            client = bhttp.Client(server.url, timeout=30)
            path = bhttp.sparql_path("/sparql", PROBE)
            while not stop.is_set():
                at = round(time.monotonic() - started, 2)
                try:
                    status = client.time_get(path, {"Accept": bhttp.SPARQL_JSON})[1]
                    if status == 200:
                        probe["ok"] += 1
                    else:
                        probe["failures"].append((at, status))
                except Exception as error:
                    probe["failures"].append((at, type(error).__name__))
                time.sleep(0.02)

        thread = threading.Thread(target=probing)
        thread.start()
        time.sleep(1)
        for _ in range(args.runaways):
            sent = time.monotonic()
            try:
                status, _, body = bhttp.get(
                    server.url + bhttp.sparql_path("/sparql", RUNAWAY),
                    {"Accept": bhttp.SPARQL_JSON},
                    timeout=60,
                )
                answer: Any = [status, json.loads(body).get("title") if status != 200 else ""]
            except Exception as error:
                answer = type(error).__name__
            out["runaways"].append(
                {
                    "sent_at": round(sent - started, 2),
                    "answer": answer,
                    "after_s": round(time.monotonic() - sent, 2),
                }
            )
            time.sleep(args.pause)
        cpu0 = session_cpu(server.process.pid)
        time.sleep(3)
        # Runaways still computing keep burning CPU: about 1 CPU s per second each.
        out["server_cpu_s_per_s_after"] = round((session_cpu(server.process.pid) - cpu0) / 3, 2)
        stop.set()
        thread.join()
        failures = probe["failures"]
        out["probe"] = {
            "ok": probe["ok"],
            "failed": len(failures),
            "failed_between_s": [failures[0][0], failures[-1][0]] if failures else None,
            "kinds": sorted({str(f[1]) for f in failures}),
        }
        out["server_alive"] = server.process.poll() is None
    finally:
        server.stop()
    print(json.dumps(out, indent=1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql_alternatives")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve a store as one variant (what measure starts)")
    run.add_argument("variant", choices=VARIANTS)
    for name in ("store", "port", "workers", "threads", "query-workers"):
        run.add_argument(f"--{name}", required=True)
    run.add_argument("--client-queries")
    run.add_argument("--client-query-timeout")
    for name, function in (("measure", measure), ("runaway", runaway)):
        sub = commands.add_parser(name)
        sub.set_defaults(function=function)
        sub.add_argument("--store", type=Path, required=True)
        sub.add_argument("--work", type=Path, default=Path("bench/results/sparql-alternatives"))
        sub.add_argument("--workers", type=int, default=1, help="HTTP worker processes")
        sub.add_argument("--threads", type=int, default=8)
        sub.add_argument("--query-workers", type=int, default=2)
    measure_args = commands.choices["measure"]
    measure_args.add_argument("--variants", default=",".join(VARIANTS))
    measure_args.add_argument("--connections", type=int, default=8)
    measure_args.add_argument("--duration", type=float, default=10.0)
    measure_args.add_argument("--repeats", type=int, default=3)
    measure_args.add_argument("--seed", type=int, default=7)
    measure_args.add_argument("--output", type=Path)
    runaway_args = commands.choices["runaway"]
    runaway_args.add_argument("--variant", choices=VARIANTS, default="watchdog")
    runaway_args.add_argument("--runaways", type=int, default=2)
    runaway_args.add_argument("--pause", type=float, default=0.0, help="seconds between runaways")
    args = parser.parse_args(argv)
    if args.command == "serve":
        options = {
            key.replace("-", "_"): value
            for key, value in vars(args).items()
            if key not in ("command", "variant") and value is not None
        }
        options["host"] = "127.0.0.1"
        for key in ("port", "workers", "threads", "query_workers", "client_queries"):
            if key in options:
                options[key] = int(options[key])
        if "client_query_timeout" in options:
            options["client_query_timeout"] = float(options["client_query_timeout"])
        serve(args.variant, options)
        return 0
    result = args.function(args)
    if getattr(args, "output", None):
        args.output.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

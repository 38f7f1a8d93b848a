"""Reports over time between any two dates: each report's engine against its own query
(issue 17, target 5).

Run from the repository root, on a store of several crawls (``kg ingest --dated-crawls``,
or the store ``python -m bench.history`` builds)::

    python -m bench.over_time STORE
    python -m bench.over_time STORE --reports fastest-growing-authors --json out.json

``crawl-changes`` and ``fastest-growing-authors`` answer their default dates (the last two
crawls) from a precomputed file, and any other pair through an engine
(kg/reports/engines/crawl_changes.py, metric_growth.py) that reads each page's snapshots
once per store version. For each report and each pair of dates asked (each crawl with the
next, the first with the last, a day before the first crawl with the last, a day between the
first two crawls with the last), in one process: the report's query run as written (the
baseline: what every such request ran before the engines), then the engine's answer
(``ReportRunner.run``, its cache emptied before each pair, so that only the first pair reads
the snapshots; that read is shown apart, as the server's warm-up does it). CPU seconds
(``time.process_time``) and wall seconds of each, their ratio, and whether the rows are the
same (digest of the sorted rows: the figures count only where they are).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPORTS = ("crawl-changes", "fastest-growing-authors")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pairs_to_ask(crawls: Sequence[str]) -> list[tuple[str, str]]:
    """Each crawl with the next, the first with the last, from before the first crawl, and
    from a day between the first two."""
    days = [date.fromisoformat(d) for d in crawls]
    pairs = [(a.isoformat(), b.isoformat()) for a, b in itertools.pairwise(days)]
    if len(days) > 2:
        pairs.append((days[0].isoformat(), days[-1].isoformat()))
    if days:
        pairs.append(((days[0] - timedelta(days=1)).isoformat(), days[-1].isoformat()))
    if len(days) > 1:
        between = date.fromordinal((days[0].toordinal() + days[1].toordinal()) // 2)
        pairs.append((between.isoformat(), days[-1].isoformat()))
    return pairs


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """What ``work`` returns, its CPU seconds and its wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    found = work()
    return found, time.process_time() - cpu, time.perf_counter() - wall


def digest(rows: Sequence[tuple[Any, ...]]) -> str:
    return hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()[:16]


def measure(store_dir: Path, reports: Sequence[str]) -> dict[str, Any]:
    from kg.rdf.iri import IriScheme
    from kg.reports.catalog import load_reports
    from kg.reports.runner import ReportRunner
    from kg.store.embedded import KGStore
    from kg.store.info import resolve_base_iri
    from kg.store.query import LocalBackend

    store = KGStore.open_readonly(store_dir)
    scheme = IriScheme(resolve_base_iri(store_dir, None))
    catalog = load_reports(scheme=scheme)
    # No row cap and no time limit: both answers whole, as the precompute writes them.
    runner = ReportRunner(catalog, LocalBackend(store), scheme, max_rows=10**9, timeout=None)
    crawls = runner.crawl_dates()
    pairs = pairs_to_ask(crawls)
    log(f"{store_dir}: crawls {', '.join(crawls)}; {len(pairs)} pairs of dates")
    found: dict[str, Any] = {"store": str(store_dir), "crawls": list(crawls), "reports": {}}
    for name in reports:
        report = catalog[name]
        runner.memo.clear()  # the engine reads the store version's snapshots again
        gc.collect()  # the report before's leftovers are not this one's collections
        rows = []
        for first, second in pairs:
            row = _pair(runner, report, first, second)
            rows.append(row)
            log(
                f"  {name} {first} -> {second}: {row['rows']} rows, query {row['query_cpu_s']:.2f} "
                f"CPU s, engine {row['engine_cpu_s']:.2f} CPU s{'' if row['same_rows'] else ' ROWS DIFFER'}"
            )
        found["reports"][name] = {"engine": report.engine, "pairs": rows}
    found["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    store.close()
    return found


def _pair(runner: Any, report: Any, first: str, second: str) -> dict[str, Any]:
    """One pair of dates: the query as written, then the engine's answer."""
    from kg.reports.results import drop_parameter_columns

    binding = runner.bind(report, {"from": first, "to": second})

    def query() -> Any:
        return drop_parameter_columns(report, *runner.select(report, binding.substitutions(report)))

    def engine() -> Any:
        runner._cache.clear()  # the engine answers, not the runner's cache
        return runner.run(report, binding)

    by_query, query_cpu, query_wall = timed(query)
    by_engine, engine_cpu, engine_wall = timed(engine)
    return {
        "from": first,
        "to": second,
        "rows": len(by_query.rows),
        "same_rows": digest(by_query.rows) == digest(by_engine.rows),
        "query_cpu_s": round(query_cpu, 4),
        "query_wall_s": round(query_wall, 4),
        "engine_cpu_s": round(engine_cpu, 4),
        "engine_wall_s": round(engine_wall, 4),
        "load": round(os.getloadavg()[0], 2),
    }


def table(found: dict[str, Any]) -> str:
    lines = [
        "| report | from -> to | rows | same rows | query CPU ms | engine CPU ms | query / engine |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, report in found["reports"].items():
        for number, row in enumerate(report["pairs"]):
            query, engine = row["query_cpu_s"] * 1e3, row["engine_cpu_s"] * 1e3
            ratio = f"{query / engine:,.0f}x" if engine >= 1 else "(under 1 ms)"
            note = " (the first: snapshots read)" if number == 0 else ""
            lines.append(
                f"| {name} | {row['from']} -> {row['to']}{note} | {row['rows']:,} | "
                f"{'yes' if row['same_rows'] else '**no**'} | {query:,.0f} | {engine:,.0f} | "
                f"{ratio} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a store folder of several crawls")
    parser.add_argument("--reports", nargs="+", default=list(REPORTS), choices=REPORTS)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.store.is_dir():
        parser.error(f"no store folder at {args.store}")
    found = measure(args.store, args.reports)
    print(table(found))
    print(f"\nlargest resident size of the process: {found['max_rss_mib']:,} MiB")
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return (
        0
        if all(row["same_rows"] for report in found["reports"].values() for row in report["pairs"])
        else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())

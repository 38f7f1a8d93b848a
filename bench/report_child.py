"""One report's in-process latency, in a child process that :mod:`bench.run` can stop.

    python -m bench.report_child STORE REPORT PARAMS.json ROUNDS BUDGET

Runs the report through :class:`kg.reports.runner.ReportRunner` over
:class:`kg.store.query.LocalBackend` (the store opened read-only, result cache off)
once per parameter set and round, until ``BUDGET`` seconds are spent; prints
one JSON object: the seconds of each run, row counts and errors. Some engine
reports cannot be stopped from inside (pure Python), hence the child process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    store, name, params_file, rounds, budget = (
        argv[0],
        argv[1],
        argv[2],
        int(argv[3]),
        float(argv[4]),
    )
    from kg.rdf.iri import IriScheme
    from kg.reports.catalog import load_reports
    from kg.reports.engines import ENGINES
    from kg.reports.runner import ReportRunner
    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend

    base_iri = argv[5] if len(argv) > 5 else "http://localhost:8000/"
    scheme = IriScheme(base_iri)
    runner = ReportRunner(
        load_reports(scheme=scheme),
        LocalBackend(KGStore.open_readonly(store)),
        scheme,
        cache_rows=0,
    )
    report = runner.reports.get_report(name)
    engine = ENGINES.get(report.engine or "")
    if report.engine == "collaboration-path" or (engine is not None and engine.graph):
        # A server builds the co-author graph of a store version in its warm-up, before
        # users come; its build time is not a request's (it is printed apart, to stderr).
        started = time.perf_counter()
        runner.build_coauthor_graph()
        print(f"co-author graph built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    sets = json.loads(Path(params_file).read_text())
    samples: list[float] = []
    rows: list[int] = []
    errors: list[str] = []
    deadline = time.monotonic() + budget
    for _ in range(rounds):
        for params in sets:
            if time.monotonic() > deadline and samples:
                break
            try:
                binding = runner.bind(report, params)
                started = time.perf_counter()
                result = runner.run(report, binding)
                samples.append(time.perf_counter() - started)
                rows.append(len(result.rows))
            except Exception as error:  # a failing report is a figure too
                errors.append(f"{type(error).__name__}: {error}"[:200])
    json.dump({"samples": samples, "rows": rows, "errors": errors[:3]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

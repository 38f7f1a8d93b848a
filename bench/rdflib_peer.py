"""rdflib in memory as a peer: load the exported N-Quads, then run the benchmark's queries.

Run by :mod:`bench.run` in a child process (its memory is sampled from outside)::

    python -m bench.rdflib_peer EXPORT.nq QUERIES.json

``QUERIES.json`` maps names to query text; each runs ``--repeats`` times and is
stopped (reported as a timeout) past ``--timeout`` seconds. Prints one JSON object.
The dataset's default graph is the file's default graph, which is our
materialised union, so the query text means the same as on the other engines.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from typing import Any


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("nquads")
    parser.add_argument("queries")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    from rdflib import Dataset

    started = time.perf_counter()
    dataset = Dataset()
    dataset.parse(args.nquads, format="nquads")
    load_seconds = time.perf_counter() - started
    quads = len(dataset)  # triples of the default graph only in rdflib's count
    with open(args.queries, encoding="utf-8") as handle:
        queries: dict[str, str] = json.load(handle)
    signal.signal(signal.SIGALRM, _alarm)
    results: dict[str, Any] = {}
    for name, text in queries.items():
        times: list[float] = []
        rows = -1
        status = "ok"
        for _ in range(args.repeats):
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                t0 = time.perf_counter()
                rows = len(list(dataset.query(text)))
                times.append(time.perf_counter() - t0)
            except _Timeout:
                status = "timeout"
                break
            except Exception as error:  # an engine's error is a result too
                status = f"error: {type(error).__name__}: {error}"[:200]
                break
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        results[name] = {
            "status": status,
            "rows": rows,
            "seconds": statistics.median(times) if times else None,
            "runs": len(times),
        }
    json.dump(
        {"load_seconds": load_seconds, "default_graph_triples": quads, "queries": results},
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

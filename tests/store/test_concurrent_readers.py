"""Readers during ingests: they see the old or the new store, never a mix, and never fail.

While ``kg ingest`` runs three times in a row over a store (a third of the files
changing each time, so that graphs are replaced), readers query it in a loop:

* the server's reader, :class:`kg.store.querypool.PooledBackend` (worker processes
  that hold the published checkpoint open and reopen the newest one when an
  ingest publishes), from two threads;
* a plain process that opened the checkpoint before the first ingest and never
  reopens it (a slow client of an old checkpoint), which keeps answering even
  when that checkpoint's folder is deleted under it, as the collector of
  superseded checkpoints does.

Each observation is one query, so it reads one checkpoint: the triple count
and total object length of every named graph, the size of the default graph
and of the distinct union of the named graphs. It must be exactly the state
published by one of the ingests (or the one before them), so each profile is
in its old or its new version, and the default graph must be the union.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.store.embedded import SNAPSHOTS, KGStore, published_generation
from kg.store.query import QueryRequest
from kg.store.querypool import PooledBackend
from tests.store.test_crash_safety import ENV, ingest_command, run_clean, write_versions

#: One query, so one checkpoint: per named graph (count, length of objects), then the
#: default graph's size and the size of the distinct union of the named graphs.
SIGNATURE = """
SELECT ?g ?n ?len WHERE {
  { SELECT ?g (COUNT(*) AS ?n) (SUM(STRLEN(STR(?o))) AS ?len) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g }
  UNION { SELECT ("(default)" AS ?g) (COUNT(*) AS ?n) (0 AS ?len) { ?s ?p ?o } }
  UNION { SELECT ("(union)" AS ?g) (COUNT(*) AS ?n) (0 AS ?len) { SELECT DISTINCT ?s ?p ?o { GRAPH ?x { ?s ?p ?o } } } }
}
"""

Signature = tuple[tuple[str, int, int], ...]


def signature(rows) -> Signature:  # type: ignore[no-untyped-def]
    return tuple(sorted((str(r["g"].value), int(r["n"].value), int(r["len"].value)) for r in rows))


def check_union(sig: Signature) -> None:
    counts = {g: n for g, n, _ in sig}
    assert counts["(default)"] == counts["(union)"], (
        f"default graph is not the union of the named graphs: {counts}"
    )


#: A reader process that opens the published checkpoint once and queries it until told to stop.
STALE_READER = """
import json, sys, time
from pathlib import Path
from kg.store.embedded import KGStore
folder, stop, query = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
store = KGStore.open_readonly(folder)
while not stop.exists():
    try:
        rows = store.query(query)
        sig = sorted((str(r["g"].value), int(r["n"].value), int(r["len"].value)) for r in rows)
        print(json.dumps({"generation": store.generation, "sig": sig}), flush=True)
    except Exception as error:
        print(json.dumps({"error": repr(error)}), flush=True)
    time.sleep(0.05)
"""


def published_signature(folder: Path) -> Signature:
    store = KGStore.open_readonly(folder)
    try:
        return signature(store.query(SIGNATURE))
    finally:
        store.close()


@pytest.fixture(scope="module")
def versions(
    tmp_path_factory: pytest.TempPathFactory, seed_files: dict[str, Path]
) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("readers")
    v1, v2, _ = write_versions(seed_files, root / "profiles")
    return v1, v2


def test_readers_see_whole_versions_and_never_fail(
    versions: tuple[Path, Path], tmp_path: Path
) -> None:
    v1, v2 = versions
    folder = tmp_path / "store"
    run_clean(ingest_command(v1, folder))
    first_generation = published_generation(folder)
    assert first_generation is not None
    published = {first_generation: published_signature(folder)}

    backend = PooledBackend(folder, workers=2, timeout=120)
    observations: list[Signature] = []
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                outcome = backend.run(QueryRequest(SIGNATURE))
                observations.append(signature(outcome.rows))
            except Exception as error:  # any failure is what this test looks for
                errors.append(repr(error))

    stop_file, stale_output = tmp_path / "stop", tmp_path / "stale-reader.jsonl"
    with stale_output.open("w") as sink:
        stale = subprocess.Popen(
            [sys.executable, "-c", STALE_READER, str(folder), str(stop_file), SIGNATURE],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
    threads = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for n, source in enumerate((v2, v1, v2)):
            run_clean(ingest_command(source, folder))
            published[published_generation(folder)] = published_signature(folder)
            if n == 1:
                # As the checkpoint collector does once a checkpoint is superseded and old enough:
                # the first one goes while the stale reader still has it open.
                shutil.rmtree(folder / SNAPSHOTS / first_generation)
        time.sleep(1.0)  # let the readers see the last checkpoint
    finally:
        stop.set()
        stop_file.touch()
        for thread in threads:
            thread.join(timeout=180)
        backend.close()
        stale.wait(timeout=60)

    assert not errors, errors[:5]
    assert len(published) == 4, "each ingest published a checkpoint"
    states = set(published.values())
    assert len(states) >= 2, "the ingests changed the store"
    seen = set()
    for sig in observations:
        check_union(sig)
        assert sig in states, "a reader saw a store that no ingest published (a mix of versions)"
        seen.add(sig)
    # The readers really read across the ingests: they saw several published states.
    assert len(observations) >= 10 and len(seen) >= 2, (len(observations), len(seen))
    print(f"{len(observations)} observations by the pool, {len(seen)} published states seen")

    output = stale_output.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines and len(lines) == len(output.splitlines()), (
        f"the stale reader failed: {output[-2000:]}"
    )
    stale_errors = [line["error"] for line in lines if "error" in line]
    assert not stale_errors, stale_errors[:5]
    first = next(iter(published.values()))
    for line in lines:
        sig = tuple(tuple(item) for item in line["sig"])
        assert sig == first, "the reader of the first checkpoint saw it change"

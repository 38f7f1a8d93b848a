"""A checkpoint made after bulk loads is compacted first (kg.store.compaction).

A checkpoint is never written to, so RocksDB never merges the files it was made with; made
while the loads' overlapping files were still unmerged, every lookup of every reader probed
each of them (at 100k papers the whole-graph reports took 2.5 times the CPU). It is not
compacted after small writes, nor after loads small against the store: that would rewrite
the whole store for a few quads.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.store import compaction, embedded
from kg.store.compaction import COMPACT_AFTER_SHARE, COUNT_FILE, BulkLoads
from kg.store.embedded import KGStore, graph_with_union_copy


class _CountingStore:
    """pyoxigraph's Store, with its calls to optimize() counted."""

    def __init__(self, store: ox.Store):
        self._store = store
        self.optimized = 0

    def optimize(self) -> None:
        self.optimized += 1
        self._store.optimize()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _graph(k: int, count: int = 50) -> tuple[str, list[str]]:
    lines = [f'<http://kg.test/s{k}-{i}> <http://kg.test/p> "v{i}" .\n' for i in range(count)]
    return f"http://kg.test/graph/{k}.txt", lines


def _open(folder: Path) -> tuple[KGStore, _CountingStore]:
    store = KGStore.open_writable(folder)
    counting = _CountingStore(store._store)
    store._store = counting  # type: ignore[assignment]
    return store, counting


def _close(store: KGStore, counting: _CountingStore) -> None:
    store.close()
    counting._store = None  # type: ignore[assignment]  # the database's last reference: its lock


#: The bulk loads of a first ingest, in these tests.
LOADS = 4


def _load(store: KGStore, k: int, count: int = 50) -> int:
    """Bulk-load a new graph; returns the bytes of N-Quads it read."""
    graph, lines = _graph(k, count)
    store.load_new_graphs(graph_with_union_copy(lines, graph))
    return len("".join(graph_with_union_copy(lines, graph)).encode())


def _open_and_load(folder: Path, count: int = 50) -> tuple[KGStore, _CountingStore]:
    """A writer that made the bulk loads of a first ingest (graphs of ``count`` triples)."""
    store, counting = _open(folder)
    for k in range(LOADS):
        _load(store, k, count)
    return store, counting


def _small_write(store: KGStore) -> None:
    """One statement fewer in a graph: an update, not a load."""
    graph, lines = _graph(0)
    store.replace_graph(graph, lines[:-1])


def _quads(store: ox.Store) -> set[str]:
    return {str(quad) for quad in store.quads_for_pattern(None, None, None, None)}


def test_a_checkpoint_after_bulk_loads_is_compacted_and_holds_every_quad(tmp_path: Path) -> None:
    store, counting = _open(tmp_path)
    loaded = sum(_load(store, k) for k in range(LOADS))
    generation = store.publish()
    assert counting.optimized == 1
    compaction = store.bulk_loads.last  # what kg ingest reports
    assert compaction is not None
    assert (compaction.loads, compaction.loaded_bytes) == (LOADS, loaded)
    assert compaction.store_bytes > 0
    held = _quads(counting._store)
    assert len(held) == LOADS * 50 * 2  # each graph's quads and their union copy
    # The next checkpoint of the same writer, after a small write, is not compacted again.
    _small_write(store)
    store.publish()
    assert counting.optimized == 1
    _close(store, counting)
    assert _quads(ox.Store.read_only(str(tmp_path / "snapshots" / generation))) == held
    # Nor is a later writer's.
    store, counting = _open(tmp_path)
    graph, lines = _graph(0)
    store.replace_graph(graph, lines)
    store.publish()
    assert counting.optimized == 0
    _close(store, counting)


def test_loads_small_against_the_store_leave_the_checkpoint_as_it_is_and_count_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compaction, "ALWAYS_BELOW_BYTES", 0)  # this store is small
    store, counting = _open_and_load(tmp_path, count=2000)
    store.publish()
    assert counting.optimized == 1
    _close(store, counting)
    # A crawl that adds a few profiles to a large store: several loads, few bytes.
    store, counting = _open(tmp_path)
    small = sum(_load(store, LOADS + k, count=5) for k in range(LOADS))
    store.publish()
    assert counting.optimized == 0
    _close(store, counting)
    assert (tmp_path / "changes" / COUNT_FILE).read_text() == f"{LOADS} {small}\n"
    # What is loaded adds up across writers: the next one's load, as large as the store's
    # first, passes the bound.
    store, counting = _open(tmp_path)
    small += _load(store, 2 * LOADS, count=LOADS * 2000)
    assert small * COMPACT_AFTER_SHARE >= compaction.sorted_files_bytes(tmp_path / "oxigraph")
    store.publish()
    assert counting.optimized == 1
    assert store.bulk_loads.last is not None and store.bulk_loads.last.loaded_bytes == small
    assert not (tmp_path / "changes" / COUNT_FILE).exists()
    _close(store, counting)


def test_a_small_store_is_compacted_after_any_bulk_load(tmp_path: Path) -> None:
    store, counting = _open(tmp_path)
    store.publish()
    _load(store, 0, count=5)
    store.publish()
    assert counting.optimized == 1
    _close(store, counting)


def test_a_writer_killed_during_a_load_makes_the_next_checkpoint_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compaction, "ALWAYS_BELOW_BYTES", 0)
    store, counting = _open_and_load(tmp_path, count=2000)
    store.publish()
    _close(store, counting)
    killed = BulkLoads(tmp_path)
    with killed.loading():
        # What the next writer finds on disk while the load runs (a SIGKILL now leaves it).
        found = BulkLoads(tmp_path)
    assert found.unknown and found.due(tmp_path / "oxigraph")
    # Once the load ended, its bytes count instead.
    ended = BulkLoads(tmp_path)
    assert not ended.unknown and (ended.count, ended.loaded_bytes) == (1, 0)
    assert not ended.due(tmp_path / "oxigraph")


@pytest.mark.parametrize(
    "record", ["5\n", "", "x y\n"], ids=["written-before-bytes-were-kept", "empty", "garbled"]
)
def test_an_unreadable_record_makes_a_compaction_due(tmp_path: Path, record: str) -> None:
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / COUNT_FILE).write_text(record)
    assert BulkLoads(tmp_path).due(tmp_path / "oxigraph")


def test_the_loads_of_a_writer_killed_before_its_checkpoint_still_count(tmp_path: Path) -> None:
    store, counting = _open(tmp_path)
    store.publish()  # an empty store, published
    _close(store, counting)
    store, counting = _open_and_load(tmp_path)
    _close(store, counting)  # killed: no checkpoint
    store, counting = _open(tmp_path)
    assert store.has_unpublished_writes
    store.publish()
    assert counting.optimized == 1
    _close(store, counting)


def test_a_killed_writers_compacted_checkpoint_is_published_as_it_is(tmp_path: Path) -> None:
    store, counting = _open_and_load(tmp_path)
    made = store.checkpoint()  # compacted; then killed before it published
    assert counting.optimized == 1
    _close(store, counting)
    store, counting = _open(tmp_path)
    assert store.publish() == made
    _small_write(store)
    store.publish()
    assert counting.optimized == 0  # nothing left to merge: a small write is not compacted
    _close(store, counting)


def test_a_large_graph_written_in_pieces_counts_each_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "PIECE_QUADS", 20)  # ten lines a piece
    store, counting = _open(tmp_path)
    graph, lines = _graph(0, count=10 * LOADS)
    store.replace_large_graph(graph, iter(lines))
    store.publish()
    assert counting.optimized == 1
    assert store.bulk_loads.last is not None and store.bulk_loads.last.loads == LOADS
    _close(store, counting)


def test_publishing_without_compaction_keeps_the_count_for_the_next(tmp_path: Path) -> None:
    # What the server does (at its start, after a SPARQL update): no request waits for it.
    store, counting = _open_and_load(tmp_path)
    store.publish(compact=False)
    assert counting.optimized == 0
    _small_write(store)
    store.publish()  # the next ingest's
    assert counting.optimized == 1
    _close(store, counting)


# -- Ctrl-C during a compaction (minutes at a million papers; it cannot be cut short) --------

_COMPACTING = """
import signal, sys, time
from pathlib import Path
from kg.store.compaction import BulkLoads

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
folder, seconds = Path(sys.argv[1]), float(sys.argv[2])


class SlowStore:
    def optimize(self):
        (folder / "started").write_text("")
        time.sleep(seconds)


loads = BulkLoads(folder)
with loads.loading() as read:
    read(100)
try:
    loads.compact(SlowStore(), folder / "oxigraph")
except KeyboardInterrupt:
    sys.exit(3)
"""


def _compacting(folder: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _COMPACTING, str(folder), str(seconds)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (folder / "started").exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return process


def test_ctrl_c_during_a_compaction_stops_once_it_is_done_and_counted(tmp_path: Path) -> None:
    process = _compacting(tmp_path, 3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3  # KeyboardInterrupt, once the compaction ended
    assert "stopping once the store's files are merged" in stderr
    assert "Ctrl-C again stops at once, safely" in stderr
    assert not (tmp_path / "changes" / COUNT_FILE).exists()  # done: not compacted again


def test_a_second_ctrl_c_stops_at_once_and_the_loads_stay_counted(tmp_path: Path) -> None:
    process = _compacting(tmp_path, 600)
    process.send_signal(signal.SIGINT)
    assert process.stderr is not None
    assert "stopping once" in process.stderr.readline()
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert time.monotonic() - started < 30  # not the compaction's ten minutes
    assert "the store is intact: the next kg ingest compacts it again" in stderr
    assert (tmp_path / "changes" / COUNT_FILE).read_text() == "1 100\n"


def test_a_failed_compaction_is_raised_and_the_loads_stay_counted(tmp_path: Path) -> None:
    class FullDisk:
        def optimize(self) -> None:
            raise OSError(28, "No space left on device")

    loads = BulkLoads(tmp_path)
    with loads.loading() as read:
        read(100)
    with pytest.raises(OSError, match="No space left"):
        loads.compact(FullDisk(), tmp_path / "oxigraph")  # type: ignore[arg-type]
    assert BulkLoads(tmp_path).count == 1


def test_an_unknown_record_stays_unknown_until_a_compaction(tmp_path: Path) -> None:
    # A writer killed during a load, then another that loads and is killed before its
    # checkpoint: the next one still compacts.
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / COUNT_FILE).write_text("3 1000 unknown\n")
    loads = BulkLoads(tmp_path)
    with loads.loading() as read:
        read(5000)
    assert (tmp_path / "changes" / COUNT_FILE).read_text() == "4 6000 unknown\n"
    assert BulkLoads(tmp_path).due(tmp_path / "oxigraph")


def test_a_load_refused_as_data_counts_no_bytes(tmp_path: Path) -> None:
    store, counting = _open(tmp_path)
    bad = '<http://kg.test/s> <http://kg.test/p> "unterminated .\n'
    with pytest.raises((SyntaxError, ValueError)):
        store.load_new_graphs([bad * 1000])
    assert (store.bulk_loads.count, store.bulk_loads.loaded_bytes) == (1, 0)
    _close(store, counting)

"""A checkpoint made after bulk loads is compacted first (kg.store.compaction).

A checkpoint is never written to, so RocksDB never merges the files it was made with; made
while the loads' overlapping files were still unmerged, every lookup of every reader probed
each of them (at 100k papers the whole-graph reports took 2.5 times the CPU). After small
writes it is not compacted: that would rewrite most of the store for a few quads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.store import embedded
from kg.store.compaction import COMPACT_AFTER_LOADS, COUNT_FILE
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


def _load(store: KGStore, k: int) -> None:
    graph, lines = _graph(k)
    store.load_new_graphs(graph_with_union_copy(lines, graph))


def _open_and_load(folder: Path) -> tuple[KGStore, _CountingStore]:
    """A writer that made as many bulk loads as a compaction waits for."""
    store, counting = _open(folder)
    for k in range(COMPACT_AFTER_LOADS):
        _load(store, k)
    return store, counting


def _small_write(store: KGStore) -> None:
    """One statement fewer in a graph: an update, not a load."""
    graph, lines = _graph(0)
    store.replace_graph(graph, lines[:-1])


def _quads(store: ox.Store) -> set[str]:
    return {str(quad) for quad in store.quads_for_pattern(None, None, None, None)}


def test_a_checkpoint_after_bulk_loads_is_compacted_and_holds_every_quad(tmp_path: Path) -> None:
    store, counting = _open_and_load(tmp_path)
    generation = store.publish()
    assert counting.optimized == 1
    assert store.bulk_loads.last is not None  # what kg ingest reports
    assert store.bulk_loads.last.loads == COMPACT_AFTER_LOADS
    held = _quads(counting._store)
    assert len(held) == COMPACT_AFTER_LOADS * 50 * 2  # each graph's quads and their union copy
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


def test_fewer_bulk_loads_leave_the_checkpoint_as_it_is_and_count_on(tmp_path: Path) -> None:
    store, counting = _open(tmp_path)
    for k in range(COMPACT_AFTER_LOADS - 1):
        graph, lines = _graph(k)
        store.replace_graph(graph, lines)  # a new graph: one bulk load
    store.publish()
    assert counting.optimized == 0
    _close(store, counting)
    # The count outlives its writer: the next one's load reaches the bound.
    store, counting = _open(tmp_path)
    _load(store, COMPACT_AFTER_LOADS)
    store.publish()
    assert counting.optimized == 1
    assert not (tmp_path / "changes" / COUNT_FILE).exists()
    _close(store, counting)


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
    graph, lines = _graph(0, count=10 * COMPACT_AFTER_LOADS)
    store.replace_large_graph(graph, iter(lines))
    store.publish()
    assert counting.optimized == 1
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

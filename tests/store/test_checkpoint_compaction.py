"""A checkpoint made after bulk loads is compacted first (kg.store.embedded.COMPACT_AFTER_LOADS).

A checkpoint is never written to, so RocksDB never merges the files it was made with; made
while the loads' overlapping files were still unmerged, every lookup of every reader probed
each of them (at 100k papers the whole-graph reports took 2.5 times the CPU). After small
writes it is not compacted: that would rewrite most of the store for a few quads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.store.embedded import COMPACT_AFTER_LOADS, KGStore, graph_with_union_copy


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


def _counting(store: KGStore) -> _CountingStore:
    counting = _CountingStore(store._store)
    store._store = counting  # type: ignore[assignment]
    return counting


def _quads(store: ox.Store) -> set[str]:
    return {str(quad) for quad in store.quads_for_pattern(None, None, None, None)}


def test_a_checkpoint_after_bulk_loads_is_compacted_and_holds_every_quad(tmp_path: Path) -> None:
    store = KGStore.open_writable(tmp_path)
    counting = _counting(store)
    for k in range(COMPACT_AFTER_LOADS):
        graph, lines = _graph(k)
        store.load_new_graphs(graph_with_union_copy(lines, graph))
    generation = store.publish()
    assert counting.optimized == 1
    held = _quads(counting._store)
    assert len(held) == COMPACT_AFTER_LOADS * 50 * 2  # each graph's quads and their union copy
    store.close()
    del counting  # the last reference to the database: its lock goes with it
    assert _quads(ox.Store.read_only(str(tmp_path / "snapshots" / generation))) == held

    # The next checkpoint, after a small write, is not compacted again.
    store = KGStore.open_writable(tmp_path)
    counting = _counting(store)
    graph, lines = _graph(0)
    store.replace_graph(graph, lines[:-1])  # one statement fewer: an update, not a load
    store.publish()
    assert counting.optimized == 0


def test_fewer_bulk_loads_leave_the_checkpoint_as_it_is(tmp_path: Path) -> None:
    store = KGStore.open_writable(tmp_path)
    counting = _counting(store)
    for k in range(COMPACT_AFTER_LOADS - 1):
        graph, lines = _graph(k)
        store.replace_graph(graph, lines)  # a new graph: one bulk load
    store.checkpoint()
    assert counting.optimized == 0
    # A further load reaches the bound: counted since the last compaction, not the checkpoint.
    graph, lines = _graph(COMPACT_AFTER_LOADS)
    store.load_new_graphs(graph_with_union_copy(lines, graph))
    store.checkpoint()
    assert counting.optimized == 1


def test_a_writer_killed_before_it_published_leaves_its_loads_to_be_compacted(
    tmp_path: Path,
) -> None:
    store = KGStore.open_writable(tmp_path)
    store.publish()  # an empty store, published
    graph, lines = _graph(1)
    store.load_new_graphs(graph_with_union_copy(lines, graph))  # one load, then a kill
    store.close()
    store = KGStore.open_writable(tmp_path)
    assert store.has_unpublished_writes
    counting = _counting(store)
    store.publish()
    assert counting.optimized == 1

"""Bulk loads past the atomic bound (issue 15 item 5): a part of a graph never stays.

pyoxigraph commits a bulk load of more than 1,000,000 quads in parts. A load that
names its graphs is recorded first; the next writer to open the store removes
what such a load left, and the default-graph triples no named graph states.
(tests/store/test_crash_safety.py kills a real ingest inside such a load.)
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store.embedded import LOADING, KGStore, graph_with_union_copy

A, B = "http://kg.test/graph/a.txt", "http://kg.test/graph/b.txt"


def _triples(prefix: str, count: int) -> list[str]:
    return [
        f"<http://kg.test/{prefix}{i}> <http://kg.test/p> <http://kg.test/shared> .\n"
        for i in range(count)
    ]


def _state(store: KGStore) -> tuple[dict[str, set[str]], set[str]]:
    graphs: dict[str, set[str]] = {}
    default: set[str] = set()
    for quad in store.quads():
        triple = f"{quad.subject} {quad.predicate} {quad.object}"
        if isinstance(quad.graph_name, ox.DefaultGraph):
            default.add(triple)
        else:
            graphs.setdefault(quad.graph_name.value, set()).add(triple)
    return graphs, default


def test_a_load_record_left_by_a_crash_is_undone_when_the_store_opens(tmp_path: Path) -> None:
    store = KGStore.open_writable(tmp_path)
    shared = "<http://kg.test/both> <http://kg.test/p> <http://kg.test/o> .\n"
    store.load_new_graphs(list(graph_with_union_copy([*_triples("a", 10), shared], A)))
    clean = _state(store)
    # What a kill leaves: the record, and a part of B's quads, here its union copy of a
    # triple without the named-graph quad, one B shares with A, and half of the rest.
    b = [*_triples("b", 10), shared]
    quads = list(graph_with_union_copy(b, B))
    store._record_load([B])
    store.load_new_graphs([*quads[:5], quads[-1], b[7]])
    assert _state(store) != clean
    store.close()

    store = KGStore.open_writable(tmp_path)
    assert _state(store) == clean  # no part of B, A whole, the union A's alone
    assert not list((tmp_path / LOADING).iterdir())
    # The file is then loaded again, as new.
    store.load_new_graphs(quads, graphs=[B])
    graphs, default = _state(store)
    assert len(graphs[B]) == 11 and default == graphs[A] | graphs[B]
    assert not list((tmp_path / LOADING).iterdir())
    store.close()


def test_a_large_load_refused_as_data_leaves_nothing(tmp_path: Path) -> None:
    store = KGStore.open_writable(tmp_path)
    quads = list(graph_with_union_copy(_triples("b", 50), B))
    with pytest.raises(SyntaxError):
        store.load_new_graphs([*quads, "<http://kg.test/x> <oops .\n"], graphs=[B])
    assert B not in store.named_graphs() and store.count_quads() == 0
    assert not list((tmp_path / LOADING).iterdir())
    store.close()

"""The change notes (kg.store.changes) of a graph about to lose its content come from two
``SELECT DISTINCT`` queries inside the store, not from every quad read into Python: the
same keys, and for a graph replaced in pieces (the identity graph) one read, not one per
piece of what is left."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.store.embedded
from kg.store import changes
from kg.store.changes import RDF_TYPE, Touched
from kg.store.embedded import KGStore, graph_with_union_copy

G = "http://example.org/graph/_identity"
OTHER = "http://example.org/graph/source"
E = "http://example.org/"


def quad_by_quad(store: KGStore, graph: str) -> set[str]:
    """The keys as they were noted before: every quad of the graph read and keyed."""
    return {
        changes.key(
            quad.predicate.value,
            quad.object.value if isinstance(quad.object, ox.NamedNode) else None,
        )
        for quad in store._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }


def fixture_lines(tag: str, n: int = 12) -> list[str]:
    out = []
    for i in range(n):
        s = f"<{E}{tag}{i}>"
        out += [
            f"{s} <{RDF_TYPE}> <{E}Class{i % 3}> .\n",
            f'{s} <{E}label> "{tag} {i}" .\n',
            f"{s} <{E}link{i % 2}> <{E}o{i}> .\n",
        ]
    # A type whose object is not an IRI: noted as the bare rdf:type (any class).
    out.append(f'<{E}{tag}x> <{RDF_TYPE}> "not a class" .\n')
    out.append(f'<{G}> <{E}inputDigest> "{tag}" .\n')
    return out


@pytest.fixture
def store() -> KGStore:
    store = KGStore.in_memory()
    store.load_new_graphs(graph_with_union_copy(fixture_lines("old"), G))
    store.load_new_graphs(
        graph_with_union_copy([f"<{E}a> <{E}onlyElsewhere> <{E}Class9> .\n"], OTHER)
    )
    store.touched = Touched()  # as a writer opened on a published checkpoint
    return store


def test_a_graphs_keys_are_those_of_its_quads(store: KGStore, seed_store: Path) -> None:
    keys = changes.keys_of_graph(store._store, G)
    assert keys == quad_by_quad(store, G)
    assert RDF_TYPE in keys and f"{RDF_TYPE} {E}Class2" in keys and f"{E}link1" in keys
    assert f"{E}onlyElsewhere" not in keys
    assert changes.keys_of_graph(store._store, f"{E}nothing") == set()
    seeds = KGStore.open_readonly(seed_store)
    try:
        graphs = seeds.named_graphs()
        assert len(graphs) > 3
        for graph in graphs:
            assert changes.keys_of_graph(seeds._store, graph) == quad_by_quad(seeds, graph)
    finally:
        seeds.close()


def test_a_graph_replaced_in_pieces_notes_what_went_and_came(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kg.store.embedded, "PIECE_QUADS", 10)
    old = quad_by_quad(store, G)
    new = [f"<{E}n{i}> <{E}other> <{E}o{i}> .\n" for i in range(20)]
    reads: list[str] = []
    note_graph = KGStore._note_graph

    def counted(self: KGStore, graph: str) -> None:
        reads.append(graph)
        note_graph(self, graph)

    monkeypatch.setattr(KGStore, "_note_graph", counted)
    pieces = [0]
    retract_piece = KGStore.retract_piece

    def retracted(self: KGStore, graph: str, lines: list[str]) -> None:
        pieces[0] += 1
        retract_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "retract_piece", retracted)
    store.replace_large_graph(G, new)
    assert pieces[0] > 1  # it went in pieces
    assert reads == []  # the statements that went were noted, not the whole graph read again
    # Here every statement went: what the old graph held, and the new lines' predicates.
    expected = old | changes.predicates_of_lines(new)
    assert store.touched.default == expected and store.touched.named == expected
    assert quad_by_quad(store, G) == {f"{E}other"}

    # A piece retracted on its own notes what it removes.
    store.touched = Touched()
    store.retract_piece(G, new[:2])
    assert store.touched.named == {f"{E}other"}

"""A graph too large for one transaction (the identity graph at 1M papers) is written in
bounded pieces (:meth:`KGStore.replace_large_graph`), only what changed, sealed by its own
statements."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import kg.store.changes
import kg.store.embedded
from kg.errors import StoreError
from kg.store.embedded import KGStore

G = "http://example.org/graph/_identity"
OTHER = "http://example.org/graph/source"


def triples(n: int, tag: str) -> list[str]:
    return [f'<http://example.org/s{i}> <http://example.org/p> "{tag}{i}" .\n' for i in range(n)]


def seal(digest: str) -> str:
    return f'<{G}> <http://example.org/inputDigest> "{digest}" .\n'


def content(store: KGStore, graph: str | None) -> set[str]:
    where = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    return {f"{q.triple} .\n" for q in store._store.quads_for_pattern(None, None, None, where)}


def union_is_right(store: KGStore) -> None:
    named = set().union(*(content(store, g) for g in store.named_graphs()))
    assert content(store, None) == named


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> KGStore:
    monkeypatch.setattr(kg.store.embedded, "PIECE_QUADS", 10)
    store = KGStore.in_memory()
    # Another graph shares some triples: they must stay in the union when G drops them.
    store.load_new_graphs(
        kg.store.embedded.graph_with_union_copy(triples(3, "old") + triples(2, "shared"), OTHER)
    )
    return store


def test_a_large_graph_is_written_in_pieces_and_replaced(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces: list[int] = []
    load_piece = KGStore.load_piece

    def watched(self: KGStore, graph: str, lines: list[str]) -> None:
        pieces.append(len(lines))
        load_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "load_piece", watched)
    first = [*triples(12, "old"), seal("one")]
    store.replace_large_graph(G, first)
    assert content(store, G) == set(first)
    assert pieces == [5, 5, 2, 1] and max(pieces) * 2 <= kg.store.embedded.PIECE_QUADS  # seal last
    union_is_right(store)

    second = triples(7, "new") + triples(2, "shared") + [seal("two")]
    store.replace_large_graph(G, second)
    assert content(store, G) == set(second)
    union_is_right(store)
    # What only the old G stated left the union; what OTHER states too stayed.
    assert '<http://example.org/s5> <http://example.org/p> "old5" .\n' not in content(store, None)
    assert '<http://example.org/s1> <http://example.org/p> "old1" .\n' in content(store, None)


def test_only_the_difference_is_written(store: KGStore, monkeypatch: pytest.MonkeyPatch) -> None:
    first = [*triples(30, "old"), seal("one")]
    store.replace_large_graph(G, first)
    loaded: list[list[str]] = []
    retracted: list[list[str]] = []
    load_piece, retract_piece = KGStore.load_piece, KGStore.retract_piece

    def load(self: KGStore, graph: str, lines: list[str]) -> None:
        loaded.append(lines)
        load_piece(self, graph, lines)

    def retract(self: KGStore, graph: str, lines: list[str]) -> None:
        retracted.append(lines)
        retract_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "load_piece", load)
    monkeypatch.setattr(KGStore, "retract_piece", retract)
    # Two statements go, one comes (written another way: a typed string is a string), and
    # the seal changes; 27 statements stay untouched, one of them written another way (a
    # decimal is kept by its value: it was once taken for new, and then removed as gone).
    decimal = "<http://example.org/d> <http://example.org/score> "
    first = [*first[:-1], decimal + '"0.75"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n']
    store.replace_large_graph(G, [*first, seal("one")])
    typed = '<http://example.org/n> <http://example.org/p> "x"^^<http://www.w3.org/2001/XMLSchema#string> .\n'
    rewritten = decimal + '"0.750"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
    second = [*triples(30, "old")[2:], typed, triples(30, "old")[2], rewritten, seal("two")]
    loaded.clear()
    store.replace_large_graph(G, second)
    assert loaded == [['<http://example.org/n> <http://example.org/p> "x" .\n'], [seal("two")]]
    assert [sorted(lines) for lines in retracted] == [triples(30, "old")[:2]]
    assert content(store, G) == {*triples(30, "old")[2:], loaded[0][0], first[-1], seal("two")}
    union_is_right(store)
    store.touched = kg.store.changes.Touched()
    # Unchanged but for the seal: only the seal is written.
    loaded.clear(), retracted.clear()
    store.replace_large_graph(G, [*second[:-1], seal("three")])
    assert loaded == [[seal("three")]] and retracted == []


def test_triple_terms_are_compared_and_removed(store: KGStore) -> None:
    quoted = "<http://example.org/a> <http://example.org/r> <<( <http://example.org/s> <http://example.org/p> {} )>> .\n"
    first = [*triples(12, "old"), quoted.format('"1"'), quoted.format('"2"'), seal("one")]
    store.replace_large_graph(G, first)
    second = [*triples(12, "old"), quoted.format('"2"'), quoted.format('"3"'), seal("two")]
    store.replace_large_graph(G, second)
    assert content(store, G) == set(second)
    union_is_right(store)


def test_a_blank_node_is_refused_with_a_message(store: KGStore) -> None:
    blank = "_:b1 <http://example.org/p> <http://example.org/o> .\n"
    store.replace_large_graph(G, [*triples(12, "old"), blank, seal("one")])  # nothing to compare
    with pytest.raises(StoreError, match="a blank node in a graph written by its difference"):
        store.replace_large_graph(G, [*triples(12, "old"), blank, seal("two")])


def test_an_interrupted_write_leaves_no_seal_and_a_right_union(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.replace_large_graph(G, [*triples(12, "old"), seal("one")])
    calls = [0]
    retract_piece = KGStore.retract_piece

    def dies_on_the_second(self: KGStore, graph: str, lines: list[str]) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt  # as a kill would, between two pieces
        retract_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "retract_piece", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        store.replace_large_graph(G, [*triples(12, "new"), seal("two")])
    # The seal went first: the half-written graph is not taken for a complete one. The new
    # statements came, some old ones are still there.
    assert seal("one") not in content(store, G) and seal("two") not in content(store, G)
    assert set(triples(12, "new")) < content(store, G)
    assert content(store, G) & set(triples(12, "old"))
    union_is_right(store)
    monkeypatch.setattr(KGStore, "retract_piece", retract_piece)

    load_piece = KGStore.load_piece
    loads = [0]

    def dies_on_the_second_load(self: KGStore, graph: str, lines: list[str]) -> None:
        loads[0] += 1
        if loads[0] == 2:
            raise KeyboardInterrupt
        load_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "load_piece", dies_on_the_second_load)
    with pytest.raises(KeyboardInterrupt):
        store.replace_large_graph(G, [*triples(12, "newer"), seal("three")])
    assert not any("inputDigest" in line for line in content(store, G))
    assert len(content(store, G) & set(triples(12, "newer"))) == 5  # one piece of five
    union_is_right(store)
    monkeypatch.setattr(KGStore, "load_piece", load_piece)

    # The next write repairs it.
    store.replace_large_graph(G, [*triples(12, "newer"), seal("three")])
    assert content(store, G) == set([*triples(12, "newer"), seal("three")])
    union_is_right(store)


def test_a_small_graph_is_still_one_transaction(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KGStore, "load_piece", None)  # never called
    monkeypatch.setattr(KGStore, "retract_piece", None)
    store.replace_large_graph(G, [*triples(3, "a"), seal("one")])
    store.replace_large_graph(G, [*triples(4, "b"), seal("two")])
    assert content(store, G) == set([*triples(4, "b"), seal("two")])
    union_is_right(store)


def test_a_large_graph_is_read_as_it_is_written(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines given as an iterator (the identity graph read from pass 1's file) are taken
    piece by piece: when a piece is loaded, at most one piece more has been read, never
    the whole graph (at 1M papers its lines were about 1 GB as one list)."""
    taken = [0]

    def stream(lines: list[str]):  # type: ignore[no-untyped-def]
        for line in lines:
            taken[0] += 1
            yield line

    read_when_loaded: list[int] = []
    load_piece = KGStore.load_piece

    def watched(self: KGStore, graph: str, lines: list[str]) -> None:
        read_when_loaded.append(taken[0])
        load_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "load_piece", watched)
    lines = [*triples(40, "new"), seal("one")]
    store.replace_large_graph(G, stream(lines))
    assert content(store, G) == set(lines)
    union_is_right(store)
    step = kg.store.embedded.PIECE_QUADS // 2
    assert len(read_when_loaded) == 9, read_when_loaded  # 40 triples and the seal, 5 a piece
    loaded = [step * (i + 1) for i in range(len(read_when_loaded) - 1)]
    # Each piece was loaded with at most one piece (and one line) more read than it holds.
    assert all(
        read <= done + step + 1 for read, done in zip(read_when_loaded, loaded, strict=False)
    ), read_when_loaded
    assert read_when_loaded[0] < len(lines) // 2

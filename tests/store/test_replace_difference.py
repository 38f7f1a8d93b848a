"""KGStore.replace_graph writes only the difference: the union stays the set union of the
source graphs, and the update it runs names only the statements that changed (issue 18:
a re-ingest of a few changed profiles cost as much as the first ingest)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest

from kg.store.embedded import KGStore, graph_with_union_copy

A = "http://e/graph/a.txt"
B = "http://e/graph/b.txt"
HISTORY = "http://e/graph/_history/a.txt/2026-01-01"


def line(s: str, p: str, o: str) -> str:
    return f"<http://e/{s}> <http://e/{p}> {o} .\n"


class RecordingStore:
    """An ox.Store that remembers the text of each update."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.updates: list[str] = []

    def update(self, text: str, **options: Any) -> None:
        self.updates.append(text)
        self.store.update(text, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def __iter__(self) -> Any:
        return iter(self.store)


def make_store(recording: RecordingStore | None = None) -> KGStore:
    raw: Any = recording if recording is not None else ox.Store()
    return KGStore(raw, folder=None, writable=True, generation=None)


def union(store: KGStore) -> set[str]:
    return {str(q.triple) for q in store.match(None, None, None, ox.DefaultGraph())}


def graph(store: KGStore, name: str) -> set[str]:
    return {str(q.triple) for q in store.match(None, None, None, ox.NamedNode(name))}


def expected_union(store: KGStore) -> set[str]:
    """The set union of the named graphs, history graphs aside."""
    return {
        str(q.triple)
        for q in store.quads()
        if isinstance(q.graph_name, ox.NamedNode) and "/_history/" not in q.graph_name.value
    }


def test_the_union_follows_a_replacement_of_shared_and_archived_statements() -> None:
    store = make_store()
    shared = line("paper", "title", '"Shared"')
    only_a = line("paper", "note", '"only a"')
    archived = line("profile", "hindex", '"7"')
    kept = line("profile", "name", '"Ada"')
    store.load_new_graphs(graph_with_union_copy([shared, only_a, archived, kept], A))
    store.load_new_graphs(graph_with_union_copy([shared], B))
    store.update(f"INSERT DATA {{ GRAPH <{HISTORY}> {{ {archived} }} }}")
    new = line("profile", "hindex", '"9"')
    store.replace_graph(A, [kept, new, kept])  # a repeated line is one statement
    assert graph(store, A) == {kept.rstrip(" .\n"), new.rstrip(" .\n")}
    # The shared title stays (b states it); the archived h-index goes (history is no source).
    assert union(store) == expected_union(store)
    assert shared.rstrip(" .\n") in union(store)
    assert archived.rstrip(" .\n") not in union(store)
    assert graph(store, HISTORY) == {archived.rstrip(" .\n")}
    # And back: the union follows again.
    store.replace_graph(A, [shared, only_a, archived, kept])
    assert union(store) == expected_union(store)
    assert archived.rstrip(" .\n") in union(store)


def test_an_update_names_only_the_changed_statements() -> None:
    recording = RecordingStore()
    store = make_store(recording)
    lines = [line(f"paper{i}", "title", f'"Title {i}"') for i in range(200)]
    store.load_new_graphs(graph_with_union_copy(lines, A))
    recording.updates.clear()
    changed = [*lines[:-1], line("paper199", "title", '"Title 199, corrected"')]
    store.replace_graph(A, changed, before='INSERT DATA { <http://e/x> <http://e/y> "z" } ;\n')
    (text,) = recording.updates
    assert "Title 199, corrected" in text and '"Title 199"' in text
    assert "Title 17" not in text  # an unchanged statement is neither deleted nor inserted
    assert text.startswith("INSERT DATA { <http://e/x>")  # ``before`` runs first
    assert graph(store, A) == {x.rstrip(" .\n") for x in changed}
    assert union(store) == expected_union(store) | {'<http://e/x> <http://e/y> "z"'}
    # Nothing changed: no update at all.
    recording.updates.clear()
    store.replace_graph(A, changed)
    assert recording.updates == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('"a\\u0001\\b\\t\\f\\u007F\\"\\\\\\n\\r z"@en', id="escapes"),
        pytest.param('"caf\\u00E9 \\U0001F600"', id="unicode-escapes"),
        pytest.param('"7"^^<http://www.w3.org/2001/XMLSchema#integer>', id="typed"),
    ],
)
def test_a_replaced_statement_is_found_as_the_store_writes_it(text: str) -> None:
    store = make_store()
    old = line("s", "p", text)
    store.load_new_graphs(graph_with_union_copy([old, line("s", "q", '"kept"')], A))
    store.replace_graph(A, [line("s", "q", '"kept"')])
    assert graph(store, A) == {'<http://e/s> <http://e/q> "kept"'}
    assert union(store) == {'<http://e/s> <http://e/q> "kept"'}


def test_a_refused_replacement_leaves_the_stored_graph() -> None:
    store = make_store()
    store.load_new_graphs(graph_with_union_copy([line("s", "p", '"old"')], A))
    with pytest.raises(SyntaxError):
        store.replace_graph(A, ['<http://e/s> <http://e/p> "unterminated .\n'])
    assert graph(store, A) == union(store) == {'<http://e/s> <http://e/p> "old"'}

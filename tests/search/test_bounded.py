"""A full build of the search index holds a batch of entities at a time, not the store.

At a million papers a whole-store read (every title, abstract and written name at once,
and a draft of every paper) took 9.4 GB; a build now reads and folds ``BATCH`` entities
at a time (kg.search.documents.read_in_batches). Counted here, not timed: no
whole-predicate scan, and never more than a batch of drafts at once; the documents, the
digests and the searches stay those of a whole read.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import kg.search.documents as documents_module
import kg.search.index as index_module
from kg.search.documents import (
    ABSTRACT,
    AGENT,
    ATTRIBUTION,
    AUTHOR,
    NAME,
    SUBJECT,
    TITLE,
    TYPES,
    WRITTEN_NAME,
    read_documents,
    read_in_batches,
)
from kg.search.graph import RDF_TYPE, GraphReader, SparqlReader, StoreReader
from kg.search.index import DIGESTS, SearchIndex, update_index
from kg.search.ingested import KEPT, IngestedGraphs
from kg.store.embedded import KGStore, graph_with_union_copy
from kg.store.query import LocalBackend


class CountingReader(StoreReader):
    """A store reader that counts what it is asked."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.scans: list[str] = []
        self.mention_graphs: list[int] = []

    def scan(self, predicate: str) -> dict[str, list[Any]]:
        self.scans.append(predicate)
        return super().scan(predicate)

    def scan_links(self, predicate: str) -> dict[str, list[str]]:
        self.scans.append(predicate)
        return super().scan_links(predicate)

    def scan_inverse(self, predicate: str) -> dict[str, list[str]]:
        self.scans.append(predicate)
        return super().scan_inverse(predicate)

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        self.mention_graphs.append(-1 if graphs is None else len(graphs))
        return super().mentions(types, graphs)


@pytest.fixture()
def store(seed_store: Path) -> Iterator[KGStore]:
    opened = KGStore.open_readonly(seed_store)
    yield opened
    opened.close()


def test_batches_give_the_documents_of_a_whole_read(store: KGStore) -> None:
    whole = list(read_documents(StoreReader(store)))
    assert len(whole) > 100
    for batch in (1, 7, 10_000):
        assert list(read_in_batches(StoreReader(store), batch)) == whole
    # The store reader's lookups (index scans of the union) and SPARQL's agree.
    assert list(read_in_batches(SparqlReader(LocalBackend(store)), 13)) == whole


def test_a_full_build_holds_one_batch_of_drafts_and_scans_nothing(
    store: KGStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = CountingReader(store)
    monkeypatch.setattr(index_module, "reader_for", lambda backend, timeout=None: reader)
    monkeypatch.setattr(documents_module, "BATCH", 20)
    held: list[int] = []
    folding = documents_module._documents

    def counted(kind: str, drafts: Any) -> Any:
        held.append(len(drafts))
        return folding(kind, drafts)

    monkeypatch.setattr(documents_module, "_documents", counted)
    update = update_index(tmp_path / "index", LocalBackend(store))
    assert update.documents > 100
    assert reader.scans == []  # no predicate read whole
    assert held and max(held) <= 20
    assert len(held) >= update.documents // 20  # a kind's entities in several batches
    assert reader.mention_graphs and -1 not in reader.mention_graphs
    assert max(reader.mention_graphs) <= 20


def test_a_batched_build_is_the_whole_read_build(
    store: KGStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = tmp_path / "whole"
    update_index(whole, LocalBackend(store))
    monkeypatch.setattr(documents_module, "BATCH", 3)
    batched = tmp_path / "batched"
    update_index(batched, LocalBackend(store))
    assert json.loads((whole / DIGESTS).read_text()) == json.loads((batched / DIGESTS).read_text())
    for text in ("graph", "learning", "university"):
        first, second = (SearchIndex(f).search(text, limit=50) for f in (whole, batched))
        assert first.total == second.total > 0
        assert [h.iri for h in first.hits] == [h.iri for h in second.hits]
        assert first.facets == second.facets


def test_the_ingest_observer_keeps_no_abstract_and_its_documents_still_have_them(
    tmp_path: Path, observers: Callable[..., IngestedGraphs]
) -> None:
    # The abstracts are most of the text an ingest writes: the observer, which lives in the
    # ingest's process through the whole load, leaves them in the store.
    paper = "http://example.org/paper/1"
    lines = [
        f"<{paper}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/ScholarlyArticle> .\n",
        f'<{paper}> <{TITLE}> "A title" .\n',
        f'<{paper}> <{ABSTRACT}> "{"an abstract of many words " * 40}" .\n',
    ]  # fmt: skip
    graph = "http://example.org/graph/1"
    store = KGStore.open_writable(tmp_path / "store")
    try:
        nquads = "".join(graph_with_union_copy(lines, graph))
        store.load_new_graphs([nquads])
        ingested = observers()
        ingested.graph(graph, lines)
        memory = ingested.reader([graph], StoreReader(store))
        assert memory is not None, ingested.broken
        (kept,) = memory.db.execute("SELECT sum(length(o)) FROM statement").fetchone()
        assert ABSTRACT not in KEPT and 0 < kept < 100
        docs = list(read_in_batches(memory))
        assert docs == list(read_documents(StoreReader(store)))
        assert docs[0].body.startswith("an abstract of many words")
    finally:
        store.close()


def _profile_graph(number: int) -> list[str]:
    """The statements the index reads of one small profile graph (a paper, its authors)."""
    base = "http://example.org"
    paper = f"<{base}/paper/{number}>"
    lines = [
        f"{paper} <{RDF_TYPE}> <{TYPES['paper']}> .",
        f'{paper} <{TITLE}> "A title of paper number {number}" .',
        f"{paper} <{SUBJECT}> <{base}/subject/{number % 7}> .",
    ]
    for author in range(4):
        person, authorship = f"<{base}/author/{number}-{author}>", f"<{base}/as/{number}-{author}>"
        lines += [
            f"{person} <{RDF_TYPE}> <{TYPES['author']}> .",
            f'{person} <{NAME}> "Author {number} {author}" .',
            f"{paper} <{AUTHOR}> {person} .",
            f"{paper} <{ATTRIBUTION}> {authorship} .",
            f"{authorship} <{AGENT}> {person} .",
            f'{authorship} <{WRITTEN_NAME}> "A. {number} {author}" .',
        ]
    return [line + "\n" for line in lines]


def test_the_ingest_observer_holds_its_statements_on_disk(
    observers: Callable[..., IngestedGraphs],
) -> None:
    # Held in the ingest's process, the statements the index reads grew with every graph
    # loaded (about 3 kB a paper: gigabytes at a million papers, for the whole load). Put
    # aside in its scratch database, what the observer holds in Python for a graph is its
    # name (SQLite's own page cache, not traced here, is bounded: _CACHE_KIB).
    observer = observers()
    for number in range(200):  # the database made, its cache warm
        observer.graph(f"http://example.org/graph/{number}", _profile_graph(number))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(200, 2_200):
            observer.graph(f"http://example.org/graph/{number}", _profile_graph(number))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert observer.broken is None and observer.statements == 2_200 * 27
    assert grown / 2_000 < 400, f"{grown / 2_000:.0f} bytes held a graph"


def test_the_update_state_is_written_in_pieces() -> None:
    # At a million papers the state is 1.5 million digests: written as one JSON string it
    # was hundreds of MB beside everything else; in pieces, the same text.
    digests = {f"http://example.org/e/{i}": f"{i:032x}" for i in range(1_000)}
    graphs: dict[str, tuple[str, Collection[str]]] = {
        f"http://example.org/g/{g}": (f"sha{g}@t", tuple(list(digests)[g::7])) for g in range(7)
    }
    state = index_module._State(digests, {"http://example.org/e/1": "ab"}, graphs)
    pieces = list(state.chunks(size=100))
    assert max(len(p) for p in pieces) < 100 * 80  # about 64 characters an entry
    iris = sorted(digests)
    expected = {
        "digests": digests,
        "stamps": {"http://example.org/e/1": "ab"},
        "iris": iris,
        "graphs": {
            g: [fp, sorted(iris.index(i) for i in members)] for g, (fp, members) in graphs.items()
        },
    }
    assert "".join(pieces) == json.dumps(expected)


def test_the_store_reader_reads_the_mentions_sparql_reads(store: KGStore) -> None:
    # Index scans per graph and type instead of one SELECT DISTINCT per block of graphs
    # (which read every typed entity of the store once per block).
    fast, sparql = StoreReader(store), SparqlReader(LocalBackend(store))
    kinds = list(documents_module.TYPES.values())
    whole = fast.mentions(kinds)
    assert whole == sparql.mentions(kinds) and sum(map(len, whole.values())) > 100
    some = [*sorted(whole)[:3], "http://example.org/no-such-graph"]
    assert fast.mentions(kinds, some) == sparql.mentions(kinds, some)


def test_the_paths_read_from_the_ingest_observer_seek_from_each_subject(
    observers: Callable[..., IngestedGraphs],
) -> None:
    # A batch's path query drives from its subjects (a JSON array) into the sorted
    # statements: SQLite's planner, left to itself, scanned every statement of the
    # predicate and the array inside that (quadratic: a 100k build did not end).
    from kg.search.documents import _AUTHOR_PATHS, _PAPER_PATHS, _REPOSITORY_PATHS
    from kg.search.ingested import FROM_STORE

    observer = observers()
    for number in range(20):
        observer.graph(f"http://example.org/graph/{number}", _profile_graph(number))
    reader = observer.reader(observer.seen, cast(GraphReader, None))
    assert reader is not None
    for path in (*_PAPER_PATHS, *_AUTHOR_PATHS, *_REPOSITORY_PATHS):
        if path[0][0] in FROM_STORE:
            continue
        sql, numbers = reader._path_query(path)
        steps = [row[3] for row in reader.db.execute("EXPLAIN QUERY PLAN " + sql, ("[]", *numbers))]
        assert steps[0].startswith("SCAN j"), (path, steps)
        assert all(step.startswith("SEARCH t") for step in steps[1:]), (path, steps)

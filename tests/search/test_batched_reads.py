"""A full build reads a batch of papers or authors with one query of paths, not a lookup
per entity and predicate (kg.search.documents.read_in_batches with a PathReader).

A lookup per paper and predicate, and each author's papers' links looked up again, made a
build in batches 2.2 times the CPU of a whole read at 100k papers; the documents must stay
those of a whole read, whatever the batch boundaries and whatever the store holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

import kg.search.documents as documents_module
from kg.search.documents import (
    AUTHOR,
    NAME,
    PREF_LABEL,
    SITE_CODE,
    SUBJECT,
    TITLE,
    TYPES,
    read_documents,
    read_in_batches,
)
from kg.search.graph import RDF_TYPE, SparqlReader, StoreReader
from kg.search.graph import Path as ReadPath
from kg.search.ingested import IngestedGraphs
from kg.store.embedded import KGStore, graph_with_union_copy
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI


class LookupCounter(StoreReader):
    """A store reader that keeps each entity looked up by name, and each path query."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.asked: dict[str, set[str]] = {}
        self.path_queries = 0

    def pairs(
        self,
        predicate: str,
        *,
        subjects: Collection[str] | None = None,
        objects: Collection[str] | None = None,
    ) -> Iterator[tuple[str, Any]]:
        if predicate != RDF_TYPE:
            self.asked.setdefault(predicate, set()).update(subjects or (), objects or ())
        return super().pairs(predicate, subjects=subjects, objects=objects)

    def fields(self, subjects: Collection[str], paths: Any) -> Iterator[tuple[str, int, Any]]:
        self.path_queries += 1
        return super().fields(subjects, paths)


@pytest.fixture()
def store(seed_store: Path) -> Iterator[KGStore]:
    opened = KGStore.open_readonly(seed_store)
    yield opened
    opened.close()


def _observed(store: KGStore, folder: Path) -> IngestedGraphs:
    """The ingest's observer, shown every graph of the store as the ingest shows it
    (its N-Triples lines): what a first build during kg ingest reads instead of the store."""
    observer = IngestedGraphs(folder, base=TEST_BASE_IRI)
    for graph in StoreReader(store).graphs():
        text = store._graph_ntriples(graph, 0).decode()
        observer.graph(graph, text.splitlines(keepends=True))
    assert observer.broken is None
    return observer


def test_batches_of_one_or_two_give_the_documents_of_a_whole_read(
    store: KGStore, tmp_path: Path
) -> None:
    whole = list(read_documents(StoreReader(store)))
    kinds = {d.kind for d in whole}
    assert {"paper", "author"} <= kinds and len(whole) > 100
    # An author's papers fall in many batches of papers: their facets are gathered across
    # all of them (also from the statements the ingest put aside: paths there too).
    with _observed(store, tmp_path / "observer") as observer:
        ingested = observer.reader(StoreReader(store).graphs(), StoreReader(store))
        assert ingested is not None and hasattr(ingested, "fields")
        for batch in (1, 2):
            assert list(read_in_batches(StoreReader(store), batch)) == whole
            assert list(read_in_batches(SparqlReader(LocalBackend(store)), batch)) == whole
            assert list(read_in_batches(ingested, batch)) == whole


def test_no_paper_author_or_repository_is_looked_up_one_by_one(store: KGStore) -> None:
    reader = LookupCounter(store)
    docs = list(read_in_batches(reader, 20))
    papers = {d.iri for d in docs if d.kind == "paper"}
    authors = {d.iri for d in docs if d.kind == "author"}
    repositories = {d.iri for d in docs if d.kind == "repository"}
    assert len(papers) > 40 and len(authors) > 20 and len(repositories) > 1
    assert not [p for p, asked in reader.asked.items() if asked & (papers | authors)]
    assert not [p for p, asked in reader.asked.items() if asked & repositories]
    # One query per batch of papers, authors and repositories (at most 400 IRIs a query).
    batches = sum(-(-len(kind) // 20) for kind in (papers, authors, repositories))
    assert batches <= reader.path_queries <= batches + 2


def test_a_path_stops_at_a_literal_and_is_read_backwards(store: KGStore) -> None:
    reader = StoreReader(store)
    papers = documents_module.members(reader, "paper")[:5]
    paths: tuple[ReadPath, ...] = (((TITLE, False),), ((TITLE, False), (NAME, False)))
    found = list(reader.fields(papers, paths))
    assert {s for s, n, _ in found if n == 0} == set(papers)
    assert not [row for row in found if row[1] == 1]  # a title is no node to go on from
    author = next(o.value for _, o in reader.pairs(AUTHOR, subjects=papers[:1]))
    backwards: tuple[ReadPath, ...] = (((AUTHOR, True),),)
    assert (author, 0) in {(s, n) for s, n, _ in reader.fields([author], backwards)}
    assert [row for row in reader.fields(["b0", "not an iri"], paths)] == []


def _store_with(tmp_path: Path, lines: list[str]) -> KGStore:
    graph = "http://example.org/graph/1"
    store = KGStore.open_writable(tmp_path / "store")
    store.load_new_graphs(["".join(graph_with_union_copy(lines, graph))])
    return store


def test_what_names_an_author_without_being_a_paper_still_gives_its_subjects(
    tmp_path: Path,
) -> None:
    # An author shows the site codes of whatever names them as schema:author; kg.rdf.map
    # writes that only of papers, but a store may hold other things that do (a batch of
    # authors no longer looks their papers up: the papers' batches gather them).
    ex, a = "http://example.org/", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = [
        f"<{ex}paper> {a} <{TYPES['paper']}> .",
        f'<{ex}paper> <{TITLE}> "A paper" .',
        f"<{ex}paper> <{AUTHOR}> <{ex}ada> .",
        f"<{ex}paper> <{SUBJECT}> <{ex}lg> .",
        f"<{ex}talk> <{AUTHOR}> <{ex}ada> .",
        f"<{ex}talk> <{SUBJECT}> <{ex}ro> .",
        f"<{ex}ada> {a} <{TYPES['author']}> .",
        f'<{ex}ada> <{NAME}> "Ada Lovelace" .',
        *(
            line
            for code in ("lg", "ro")
            for line in (
                f"<{ex}{code}> {a} <{TYPES['subject']}> .",
                f'<{ex}{code}> <{SITE_CODE}> "cs.{code.upper()}" .',
                f'<{ex}{code}> <{PREF_LABEL}> "{code}" .',
            )
        ),
    ]
    store = _store_with(tmp_path, [line + "\n" for line in lines])
    try:
        whole = list(read_documents(StoreReader(store)))
        ada = next(d for d in whole if d.iri == f"{ex}ada")
        assert ada.subjects == ("cs.LG", "cs.RO")
        with _observed(store, tmp_path / "observer") as observer:
            ingested = observer.reader(StoreReader(store).graphs(), StoreReader(store))
            assert ingested is not None
            for reader in (StoreReader(store), SparqlReader(LocalBackend(store)), ingested):
                for batch in (1, 2, 100):
                    assert list(read_in_batches(reader, batch)) == whole
    finally:
        store.close()

"""A full build reads the authorships' written names once for the whole store, put aside on
disk by batch (kg.search.spill), and each paper's own statements with one index scan.

Read from the batches, each authorship was looked up twice (from its paper's batch and from
its author's), a random index seek each time: most of a build's CPU at 100k papers. The
documents must stay those of a whole read whatever the store holds (an authorship of two
papers or of none, an agent given as a literal), and the rows put aside must reach their
batch and only it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import kg.search.documents as documents_module
from kg.search.documents import (
    AGENT,
    ATTRIBUTION,
    NAME,
    TITLE,
    TYPES,
    WRITTEN_NAME,
    read_documents,
    read_in_batches,
)
from kg.search.graph import Path as ReadPath
from kg.search.graph import SparqlReader, Step, StoreReader
from kg.search.spill import OWNER_LOCK, SCRATCH_PREFIX, ScratchFolder, Spill
from kg.store.embedded import KGStore, graph_with_union_copy
from kg.store.query import LocalBackend


class WorkCounter(StoreReader):
    """A store reader that keeps the paths it follows and the predicates it reads around."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.paths: list[ReadPath] = []
        self.around_reads: list[str] = []

    def fields(self, subjects: Collection[str], paths: Sequence[ReadPath]) -> Iterator[Any]:
        self.paths.extend(paths)
        return super().fields(subjects, paths)

    def around(self, predicate: str, ends: Sequence[Step]) -> Iterator[tuple[Any, ...]]:
        self.around_reads.append(predicate)
        return super().around(predicate, ends)


@pytest.fixture()
def store(seed_store: Path) -> Iterator[KGStore]:
    opened = KGStore.open_readonly(seed_store)
    yield opened
    opened.close()


def test_written_names_are_read_once_not_from_each_batch(store: KGStore) -> None:
    whole = list(read_documents(StoreReader(store)))
    reader = WorkCounter(store)
    assert list(read_in_batches(reader, 7)) == whole
    assert reader.around_reads == [WRITTEN_NAME]
    assert reader.paths and not [p for p in reader.paths if WRITTEN_NAME in dict(p)]
    assert any(d.kind == "paper" and d.context for d in whole)


def test_one_step_paths_read_together_give_what_each_gives(store: KGStore) -> None:
    reader = StoreReader(store)
    papers = [d.iri for d in read_documents(reader) if d.kind == "paper"][:30]
    paths: tuple[ReadPath, ...] = (
        ((TITLE, False),),
        ((ATTRIBUTION, False),),
        ((TITLE, False),),  # twice: each number gets its rows
        ((ATTRIBUTION, False), (AGENT, False)),
    )
    together = sorted((s, n, str(o)) for s, n, o in reader.fields(papers, paths))
    alone = sorted(
        (s, n, str(o)) for n, path in enumerate(paths) for s, _, o in reader.fields(papers, (path,))
    )
    assert together == alone
    assert {n for _, n, _ in together} == {0, 1, 2, 3}


def _store_with(tmp_path: Path, lines: list[str]) -> KGStore:
    graph = "http://example.org/graph/1"
    store = KGStore.open_writable(tmp_path / "store")
    store.load_new_graphs(["".join(graph_with_union_copy(lines, graph))])
    return store


def test_odd_authorships_give_the_documents_of_a_whole_read(tmp_path: Path) -> None:
    ex, a = "http://example.org/", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    paper, person = TYPES["paper"], TYPES["author"]

    def authorship(node: str, name: str, *agents: str) -> list[str]:
        return [f'<{ex}{node}> <{WRITTEN_NAME}> "{name}" .'] + [
            f"<{ex}{node}> <{AGENT}> {agent} ." for agent in agents
        ]

    lines = [
        *(f"<{ex}p{n}> {a} <{paper}> ." for n in (1, 2)),
        *(f'<{ex}p{n}> <{TITLE}> "Paper {n}" .' for n in (1, 2)),
        *(f"<{ex}{who}> {a} <{person}> ." for who in ("ada", "bob")),
        *(f'<{ex}{who}> <{NAME}> "{who.title()}" .' for who in ("ada", "bob")),
        f"<{ex}p1> <{ATTRIBUTION}> <{ex}a1> .",
        f"<{ex}p1> <{ATTRIBUTION}> <{ex}a2> .",
        f"<{ex}p2> <{ATTRIBUTION}> <{ex}a2> .",  # one authorship of two papers
        f"<{ex}p1> <{ATTRIBUTION}> <{ex}a4> .",
        f"<{ex}talk> <{ATTRIBUTION}> <{ex}a5> .",  # of something that is no paper
        *authorship("a1", "A. Lovelace", f"<{ex}ada>"),
        *authorship("a2", "Shared Name", f"<{ex}ada>", f"<{ex}bob>"),
        *authorship("a3", "Robert Orphan", f"<{ex}bob>"),  # of no paper at all
        *authorship("a4", "Literal Agent", f'"{ex}ada"'),  # an agent that is no IRI
        *authorship("a5", "Talk Name", f"<{ex}ada>"),
    ]
    store = _store_with(tmp_path, [line + "\n" for line in lines])
    try:
        whole = {d.iri: d for d in read_documents(StoreReader(store))}
        assert set(whole[f"{ex}ada"].names) >= {"A. Lovelace", "Shared Name", "Talk Name"}
        assert "Literal Agent" not in whole[f"{ex}ada"].names
        assert "Robert Orphan" in whole[f"{ex}bob"].names
        assert {"Shared Name", "Literal Agent"} <= set(whole[f"{ex}p1"].context)
        assert "Shared Name" in whole[f"{ex}p2"].context
        expected = list(read_documents(StoreReader(store)))
        for reader in (StoreReader(store), SparqlReader(LocalBackend(store))):
            for batch in (1, 2, 100):
                assert list(read_in_batches(reader, batch)) == expected
    finally:
        store.close()


def test_a_spill_gives_each_batch_its_rows_and_only_them(tmp_path: Path) -> None:
    keys = [f"k{n:02d}" for n in range(10)]
    spill = Spill(tmp_path / "spill", keys[::4], buffer_rows=3)  # batches k00-03, 04-07, 08-09
    rows = [(k, f"{k}-{n}") for n in range(2) for k in reversed(keys)]
    for key, value in [*rows, ("a-before-all", "x"), ("k05x", "not a key")]:
        spill.add(key, value)
    # Written as it comes: never more than the buffer's rows held.
    assert len(list((tmp_path / "spill").iterdir())) == 3
    firsts = spill.take(0, set(keys[:4]))
    assert firsts == {k: [f"{k}-0", f"{k}-1"] for k in keys[:4]}
    assert spill.take(1, set(keys[4:8])) == {k: [f"{k}-0", f"{k}-1"] for k in keys[4:8]}
    assert spill.take(2, set(keys[8:])) == {k: [f"{k}-0", f"{k}-1"] for k in keys[8:]}
    assert list((tmp_path / "spill").iterdir()) == []  # each batch's file gone once read
    assert spill.take(0, set(keys[:4])) == {}


class Recording(StoreReader):
    """A store reader that keeps the queries it runs."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.queries: list[str] = []

    def _select(self, query: str) -> Iterator[Any]:
        self.queries.append(query)
        return super()._select(query)


def test_a_block_of_papers_scans_each_papers_statements_once(store: KGStore) -> None:
    # What the store looks up per paper: one scan of its statements for all the one-step
    # paths (title, abstract, links, ...), and one lookup for the first step of the other
    # path (its authorships, then their written names): not a lookup per predicate.
    reader = Recording(store)
    papers = documents_module.members(reader, "paper")[:30]
    reader.queries.clear()
    rows = list(reader.fields(papers, documents_module._PAPER_PATHS))
    assert rows and {n for _, n, _ in rows} >= {0, 1, 7}
    longer = [p for p in documents_module._PAPER_PATHS if len(p) > 1]
    assert sum(q.count("?s ?p ?o") for q in reader.queries) == 1
    assert sum(q.count("?s <") for q in reader.queries) == len(longer)


def test_a_full_build_puts_rows_aside_beside_the_index_and_clears_a_killed_builds(
    store: KGStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows put aside (about 470 MB at a million papers) go into the index's folder, on
    the store's disk, not the system's temporary folder (often a tmpfs: memory). A folder a
    killed build left there is removed by the next build; a running build's (another
    process's, here this one's) is left alone; a build leaves none of its own."""
    from kg.search.index import SearchIndex, update_index

    index = tmp_path / "index"
    killed = index / f"{SCRATCH_PREFIX}{2**31 - 1}-left"  # no process has this id
    running = index / f"{SCRATCH_PREFIX}{os.getpid()}-another"  # no lock: judged by the id
    # A killed build's whose process id a running process has now (in a container every
    # kg ingest may be process 1): its lock is free, so its owner is gone.
    reused = index / f"{SCRATCH_PREFIX}{os.getpid()}-reused"
    for left in (killed, running, reused):
        left.mkdir(parents=True)
        (left / "0").write_bytes(b"rows put aside")
    (reused / OWNER_LOCK).write_bytes(b"")
    held = ScratchFolder(index)  # a build running beside this one, its lock held
    folders: list[Path] = []

    class Recorded(Spill):
        def __init__(self, folder: Path, firsts: Sequence[str], **options: Any) -> None:
            folders.append(folder)
            super().__init__(folder, firsts, **options)

    monkeypatch.setattr(documents_module, "Spill", Recorded)
    update = update_index(index, LocalBackend(store), rebuild=True)
    assert update.documents > 100
    assert folders and all(folder.is_relative_to(index) for folder in folders)
    assert sorted(index.glob(f"{SCRATCH_PREFIX}*")) == sorted([running, Path(held.name)])
    held.cleanup()
    assert SearchIndex(index).search("learning", limit=5).total > 0

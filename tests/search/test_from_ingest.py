"""A first build made from the triples the ingest wrote equals one read back from the store.

``kg ingest`` into an empty store shows each graph it writes to a
:class:`kg.search.ingested.IngestedGraphs`; the index is then built from those triples
(kg.search.ingested.IngestedReader) instead of reading every field back. The documents, the
update state (digests, stamps, each graph's entities), the hits and the facets must be
those of ``kg search-index --rebuild``, on the seeds and on a generated corpus with papers
shared across profiles and authors merged by identity resolution.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kg.search.ingested as ingested_module
from kg.search.documents import AGENT, TITLE, TYPES, WRITTEN_NAME, read_documents
from kg.search.graph import StoreReader
from kg.search.index import DIGESTS, SIDECAR, update_index
from kg.search.ingested import IngestedGraphs, IngestedReader, unescape
from kg.search.spill import SCRATCH_PREFIX
from kg.store.embedded import KGStore, graph_with_union_copy
from kg.store.query import LocalBackend
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI
from tests.search.test_incremental import CHANGED, COAUTHOR, _answers


def _ingest(store_folder: Path, profiles: Path, observer: IngestedGraphs | None) -> None:
    from kg.pipeline.identity import IdentityResolution
    from kg.pipeline.ingest import ingest
    from kg.rdf.iri import IriScheme

    store = KGStore.open_writable(store_folder)
    try:
        ingest(
            [profiles],
            store,
            scheme=IriScheme(TEST_BASE_IRI),
            as_of=SEED_AS_OF,
            resolution=IdentityResolution(),
            progress=False,
            observer=observer,
        )
    finally:
        store.close()


def _state(index: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((index / DIGESTS).read_text())
    return data


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kg.tools.generate import generate

    root = tmp_path_factory.mktemp("generated")
    generate(400, root, seed=3)
    return root / "profiles"


@pytest.fixture()
def seeds(seeds_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(seeds_dir, folder)
    (folder / "zz_coauthor.txt").write_text(COAUTHOR)  # a paper of 000 listed again
    return folder


@pytest.mark.parametrize("corpus", ["seeds", "generated"])
def test_an_index_built_from_the_ingest_equals_a_rebuild(
    corpus: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    observers: Callable[..., IngestedGraphs],
) -> None:
    profiles: Path = request.getfixturevalue(corpus)
    store_folder, index, rebuilt = tmp_path / "store", tmp_path / "index", tmp_path / "rebuilt"
    ingested = observers()
    _ingest(store_folder, profiles, ingested)
    assert ingested.broken is None
    store = KGStore.open_readonly(store_folder)
    try:
        backend = LocalBackend(store)
        reader = StoreReader(store)
        # What makes the comparison worth something: papers listed by several profiles,
        # and authors whose several spellings identity resolution merged into one IRI.
        papers = reader.mentions([TYPES["paper"]])
        shared = Counter(p for ps in papers.values() for p in ps)
        assert any(n > 1 for n in shared.values())
        authorships = reader.scan_links(AGENT)
        spellings: dict[str, set[str]] = {}
        written = reader.scan(WRITTEN_NAME)
        for node, agents in authorships.items():
            for agent in agents:
                spellings.setdefault(agent, set()).update(t.value for t in written.get(node, ()))
        assert any(len(names) > 1 for names in spellings.values())

        memory = ingested.reader(reader.graphs(), reader)
        assert isinstance(memory, IngestedReader)
        from_store = list(read_documents(reader))
        assert list(read_documents(memory)) == from_store and len(from_store) > 200

        built = update_index(index, backend, store_version=store.generation, ingested=ingested)
        assert built.from_ingest
        again = update_index(rebuilt, backend, store_version=store.generation, rebuild=True)
        assert not again.from_ingest
    finally:
        store.close()
    assert built.documents == again.documents == len(from_store)
    assert _state(index) == _state(rebuilt)
    assert _answers(index) == _answers(rebuilt)


def test_the_ingest_triples_stand_for_the_store_only_when_they_are_all_of_it(
    seeds: Path, tmp_path: Path, observers: Callable[..., IngestedGraphs]
) -> None:
    store_folder, index = tmp_path / "store", tmp_path / "index"
    _ingest(store_folder, seeds, None)
    # A second ingest writes one changed graph into a store holding others: the observer
    # gives up at once, and the index is read from the store.
    text = (seeds / CHANGED).read_text()
    (seeds / CHANGED).write_text(text.replace("on a Graph", "on a Network Graph"))
    ingested = observers()
    _ingest(store_folder, seeds, ingested)
    assert ingested.broken is not None and "held before this ingest" in ingested.broken
    store = KGStore.open_readonly(store_folder)
    try:
        reader = StoreReader(store)
        assert ingested.reader(reader.graphs(), reader) is None
        built = update_index(
            index, LocalBackend(store), store_version=store.generation, ingested=ingested
        )
        assert not built.from_ingest and built.documents > 200
    finally:
        store.close()

    # Graphs it saw that are not the store's (or the other way round): not used either.
    other = observers()
    other.graph("http://example.org/g", ['<http://example.org/a> <http://example.org/p> "x" .\n'])
    assert other.reader(["http://example.org/g", "http://example.org/h"], reader) is None
    assert other.reader(["http://example.org/g"], reader) is not None
    other.graph("http://example.org/g", [])
    assert other.broken is not None and other.reader(["http://example.org/g"], reader) is None


def test_literals_read_as_the_store_reads_them(
    tmp_path: Path, observers: Callable[..., IngestedGraphs]
) -> None:
    # Escapes, language tags and typed literals the store keeps in canonical form
    # ("1"^^xsd:boolean reads back "true"): the documents are the store's.
    paper = "http://example.org/paper/1"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    lines = [
        f"<{paper}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/ScholarlyArticle> .\n",
        f'<{paper}> <{TITLE}> "A \\"quoted\\" title\\nwith \\u00e9 and \\\\ signs"@en .\n',
        f'<{paper}> <http://purl.org/dc/terms/abstract> "Plain\\ttext \\U0001F600" .\n',
        f'<{paper}> <https://w3id.org/scholarly-kg/ontology#hasCode> "1"^^<{xsd}boolean> .\n',
        f'<{paper}> <http://purl.org/dc/terms/date> "2021-03-04"^^<{xsd}date> .\n',
        f'<{paper}> <http://purl.org/dc/terms/date> "0999"^^<{xsd}gYear> .\n',
        f'<{paper}> <http://purl.org/dc/terms/subject> <http://example.org/s\\u00e9> .\n',
        '<http://example.org/s\\u00e9> <http://www.w3.org/2004/02/skos/core#prefLabel> "Sé"@fr .\n',
        f'<http://example.org/s\\u00e9> <https://w3id.org/scholarly-kg/ontology#siteCode> "S"^^<{xsd}string> .\n',
    ]  # fmt: skip
    graph = "http://example.org/graph/1"
    store = KGStore.open_writable(tmp_path / "store")
    try:
        store.load_new_graphs(["".join(graph_with_union_copy(lines, graph))])
        reader = StoreReader(store)
        ingested = observers()
        ingested.graph(graph, lines)
        memory = ingested.reader([graph], reader)
        assert memory is not None, ingested.broken
        docs = list(read_documents(memory))
        assert docs == list(read_documents(reader))
        assert docs[0].has_code is True and docs[0].year == 999
        assert docs[0].label == 'A "quoted" title\nwith é and \\ signs'
    finally:
        store.close()
    assert unescape("\\u00e9\\t\\\\n") == "é\t\\n"
    with pytest.raises(ValueError):
        unescape("\\q")


def _ingest_args(profiles: Path, store: Path) -> list[str]:
    """``kg ingest`` of ``profiles`` into ``store``, its search index on, no precompute."""
    args = ["ingest", str(profiles), "--store", str(store), "--base-iri", TEST_BASE_IRI]
    return [*args, "--as-of", SEED_AS_OF.isoformat(), "--no-progress", "--no-precompute"]


def test_kg_ingest_builds_a_first_index_from_its_triples(seeds_dir: Path, tmp_path: Path) -> None:
    from kg.cli import main

    store = tmp_path / "store"
    args = _ingest_args(seeds_dir, store)
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "documents from the ingest's triples" in first.output
    assert (store / "search" / SIDECAR).is_file()
    # Its statements were put aside beside the index, and are gone once it is built.
    assert not list((store / "search").glob(f"{SCRATCH_PREFIX}*"))
    # The same files again: nothing written, the index left alone.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "documents from the ingest's triples" not in again.output


class _FullDisk:
    """A scratch database whose disk fills up after a few graphs."""

    def __init__(self, db: sqlite3.Connection, room: list[int]):
        self.db, self.room = db, room

    def executemany(self, sql: str, rows: Any) -> Any:
        self.room[0] -= 1
        if self.room[0] < 0:
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def test_a_scratch_database_that_fails_leaves_the_index_to_the_store(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.cli import main

    room = [9]  # two executemany a graph: the fifth graph fails
    connect = ingested_module._connect
    monkeypatch.setattr(ingested_module, "_connect", lambda path: _FullDisk(connect(path), room))
    store = tmp_path / "store"
    result = CliRunner().invoke(main, _ingest_args(seeds_dir, store))
    # The ingest is whole; the operator is told why the index was read from the store.
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    assert "database or disk is full): it was read from the store" in result.output
    assert "documents from the ingest's triples" not in result.output
    assert not list((store / "search").glob(f"{SCRATCH_PREFIX}*"))
    rebuilt = tmp_path / "rebuilt"
    opened = KGStore.open_readonly(store)
    try:
        update_index(rebuilt, LocalBackend(opened), store_version=opened.generation, rebuild=True)
    finally:
        opened.close()
    assert _state(store / "search")["digests"] == _state(rebuilt)["digests"]

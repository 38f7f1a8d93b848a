"""Incremental precompute (kg.store.changes, kg.reports.incremental): after a re-ingest, the
files of reports whose predicates no write touched are copied from the previous checkpoint,
not computed again, and every file is what a precompute from scratch writes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import kg.reports.precompute as precompute_module
import kg.store.query as query_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.costs import COSTS
from kg.reports.incremental import EVERYTHING, query_reads
from kg.reports.ordering import split_order_by
from kg.reports.precompute import precompute_store
from kg.reports.stored import PRECOMPUTED, parse_rows
from kg.store import changes
from kg.store.changes import RDF_TYPE
from kg.store.embedded import KGStore
from kg.store.query import QueryRequest
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
KG = "https://w3id.org/scholarly-kg/ontology#"
#: Rows whose order the query leaves open (compared as sorted rows).
UNORDERED = {"possible-duplicate-authors"}


def _ingest(folder: Path, sources: Path, as_of: date = SEED_AS_OF) -> None:
    store = KGStore.open_writable(folder)
    try:
        ingest(
            [sources],
            store,
            scheme=SCHEME,
            as_of=as_of,
            resolution=IdentityResolution(),
            progress=False,
        )
    finally:
        store.close()


class Runs:
    """The report queries a precompute evaluates, and the co-author graphs it builds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        reports = load_reports(scheme=SCHEME)
        by_query = {reports[name].query: name for name in reports}
        # The precompute runs a query without its ORDER BY where it orders the rows itself.
        for name in reports:
            split = split_order_by(reports[name].query)
            if split is not None:
                by_query[split.unsorted] = name
        self.names: list[str] = []
        real_execute = precompute_module.execute
        real_graph = precompute_module.CoauthorGraph.from_backend

        def execute(store: Any, request: QueryRequest, **kwargs: Any) -> Any:
            self.names.append(by_query.get(request.query, "?"))
            return real_execute(store, request, **kwargs)

        def from_backend(backend: Any) -> Any:
            self.names.append("collaboration-path")
            return real_graph(backend)

        monkeypatch.setattr(precompute_module, "execute", execute)
        monkeypatch.setattr(precompute_module.CoauthorGraph, "from_backend", from_backend)


def _files(folder: Path, generation: str) -> dict[str, bytes]:
    root = folder / PRECOMPUTED / generation
    # Not what each task cost (workers only, and measured anew: kg.reports.costs).
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.name != COSTS}


def _same_files(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        report = name.split(".")[0]
        if name.endswith(".json"):
            # The side file names the same generation, report, query, count and data digest
            # (the digest only where the order of the rows is fixed).
            drop = {"sha256"} if report in UNORDERED and ".rows." in name else set()
            left, right = json.loads(a[name]), json.loads(b[name])
            assert {k: v for k, v in left.items() if k not in drop} == {
                k: v for k, v in right.items() if k not in drop
            }, name
        elif report in UNORDERED and ".rows." in name:
            assert sorted(map(str, parse_rows(a[name])[1])) == sorted(
                map(str, parse_rows(b[name])[1])
            ), name
        else:
            assert a[name] == b[name], name


def _from_scratch(folder: Path, tmp_path: Path) -> dict[str, bytes]:
    """The files a precompute writes for the store's checkpoint with no earlier files."""
    copy = tmp_path / "scratch"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / PRECOMPUTED)
    generation, written = precompute_store(copy, SCHEME)
    assert not any(w.carried for w in written)
    return _files(copy, generation)


@pytest.fixture()
def sources(tmp_path: Path, seed_files: dict[str, Path]) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    for path in seed_files.values():
        shutil.copy(path, folder)
    return folder


def _change_citations(sources: Path, seed_files: dict[str, Path]) -> None:
    """One profile's citation count goes up by one (nothing else in it changes)."""
    target = sources / seed_files["000"].name
    text = target.read_text(encoding="utf-8")
    assert "273citations" in text
    target.write_text(text.replace("273citations", "274citations"), encoding="utf-8")


@pytest.mark.parametrize(
    "as_of", [pytest.param(SEED_AS_OF, id="same-day"), pytest.param(date(2026, 12, 1), id="later")]
)
def test_one_changed_profile_copies_what_it_cannot_change(
    tmp_path: Path,
    sources: Path,
    seed_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    as_of: date,
) -> None:
    folder = tmp_path / "store"
    _ingest(folder, sources)
    first, _ = precompute_store(folder, SCHEME)

    _change_citations(sources, seed_files)
    _ingest(folder, sources, as_of)
    runs = Runs(monkeypatch)
    asked: list[str] = []  # every query, the engines' included (LocalBackend runs execute)
    real_execute = query_module.execute

    def execute(store: Any, request: QueryRequest, **kwargs: Any) -> Any:
        asked.append(request.query)
        return real_execute(store, request, **kwargs)

    monkeypatch.setattr(query_module, "execute", execute)
    generation, written = precompute_store(folder, SCHEME)
    assert generation != first

    carried = {w.report for w in written if w.carried}
    computed = {w.report for w in written if not w.carried}
    # profiles shows the citation count: computed; the venues report reads no predicate
    # that a citation count (or, a month later, a snapshot's date) changes: copied.
    assert "profiles" in computed and "profiles" in runs.names
    assert "venues" in carried and "venues" not in runs.names
    assert "collaboration-path" in carried and "collaboration-path" not in runs.names
    # crawl-changes' and fastest-growing-authors' rows (the last two crawls') come from their
    # engines, which run no report query (kg.reports.engines.crawl_changes, .metric_growth).
    by_engine = {"crawl-changes", "fastest-growing-authors"} & computed
    for name in ("crawl-changes", "fastest-growing-authors"):
        query = load_reports(scheme=SCHEME)[name].query
        split = split_order_by(query)
        assert not {query, split.unsorted if split else ""} & set(asked), name
        assert name not in runs.names and asked
    assert sorted(runs.names) == sorted(
        w.report
        for w in written
        if not w.carried and w.kind in ("rows", "graph") and w.report not in by_engine
    )
    monkeypatch.undo()
    _same_files(_files(folder, generation), _from_scratch(folder, tmp_path))


def test_a_new_profile_recomputes_what_it_adds_to(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    sources = tmp_path / "profiles"
    sources.mkdir()
    names = sorted(seed_files)
    for key in names[:-1]:
        shutil.copy(seed_files[key], sources)
    folder = tmp_path / "store"
    _ingest(folder, sources)
    precompute_store(folder, SCHEME)
    shutil.copy(seed_files[names[-1]], sources)
    _ingest(folder, sources)
    generation, written = precompute_store(folder, SCHEME, workers=2)
    # A new profile's papers have authors and titles: the reports that read them run again
    # (in worker processes: the files written say which).
    computed = {w.report for w in written if not w.carried}
    assert {"top-authors-by-papers", "collaboration-path", "search", "profiles"} <= computed
    _same_files(_files(folder, generation), _from_scratch(folder, tmp_path))


def test_without_the_change_records_everything_is_computed(
    tmp_path: Path, sources: Path, seed_files: dict[str, Path]
) -> None:
    folder = tmp_path / "store"
    _ingest(folder, sources)
    precompute_store(folder, SCHEME)
    _change_citations(sources, seed_files)
    _ingest(folder, sources)
    shutil.rmtree(folder / changes.CHANGES)  # as an older version would have left the store
    _, written = precompute_store(folder, SCHEME)
    assert written and not any(w.carried for w in written)


def test_writes_never_published_count_as_touching_everything(tmp_path: Path, sources: Path) -> None:
    folder = tmp_path / "store"
    _ingest(folder, sources)
    # A writer that wrote and was killed before publishing: nothing records what it did.
    store = KGStore.open_writable(folder)
    store.update(f"INSERT DATA {{ <{TEST_BASE_IRI}x> <{KG}hIndex> 1 }}", touches=changes.Touched())
    assert changes.pending_path(folder).exists()
    del store
    store = KGStore.open_writable(folder)
    try:
        assert store.touched.is_everything
        generation = store.publish()
    finally:
        store.close()
    record = changes.read_record(folder, generation)
    assert record is not None and record[1].is_everything
    assert not changes.pending_path(folder).exists()


def test_a_replaced_graph_notes_only_the_predicates_that_changed(
    tmp_path: Path, sources: Path, seed_files: dict[str, Path]
) -> None:
    folder = tmp_path / "store"
    _ingest(folder, sources)
    _change_citations(sources, seed_files)
    _ingest(folder, sources)
    store = KGStore.open_readonly(folder)
    generation = store.generation
    store.close()
    assert generation is not None
    record = changes.read_record(folder, generation)
    assert record is not None
    touched = record[1]
    assert touched.default is not None and f"{KG}citationCount" in touched.default
    assert "https://schema.org/author" not in touched.default


def test_what_a_query_reads() -> None:
    reads = query_reads(
        "PREFIX s: <http://s/> SELECT * WHERE { ?a s:p/^s:q ?b . "
        "GRAPH ?g { ?a s:r ?c } FILTER NOT EXISTS { ?b a s:C } }"
    )
    assert reads.default == {"http://s/p", "http://s/q", f"{RDF_TYPE} http://s/C"}
    assert reads.named == {"http://s/r"}
    # A variable predicate reads anything (there); a dataset of its own, anything at all.
    assert query_reads("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").named is None
    assert query_reads("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").default == frozenset()
    assert query_reads("SELECT * FROM <http://g> WHERE { ?s <http://s/p> ?o }") == EVERYTHING
    assert query_reads("SELECT * WHERE { GRAPH ?g { } }").named is None
    assert query_reads("not sparql") == EVERYTHING
    assert query_reads("SELECT * WHERE { ?a <http://s/p>* ?b }").default is None
    # rdf:type is read (and noted as changed) with its class; a variable class is any class.
    assert query_reads("SELECT * WHERE { ?a a ?c }").default == {RDF_TYPE}
    other = changes.Touched({f"{RDF_TYPE} http://s/D"}, set())
    assert not reads.affected_by(other)
    assert query_reads("SELECT * WHERE { ?a a ?c }").affected_by(other)
    assert reads.affected_by(changes.Touched({RDF_TYPE}, set()))
    assert not reads.affected_by(changes.Touched(set(), {"http://s/p"}))
    assert reads.affected_by(changes.Touched(set(), changes.ANY))


def test_new_graphs_are_read_for_their_predicates_as_they_load() -> None:
    text = (
        f'<http://e/s> <http://e/p> "o" <http://e/g> .\n'
        f"_:b <{RDF_TYPE}> <http://e/C> <http://e/g> .\n"
        f"<http://e/s> <http://e/q> <http://e/o> .\n"
    ).encode()
    touched = changes.Touched()
    # Parts cut inside a line, as a loader's buffer may be.
    parts = [text[:10], text[10:50], text[50:]]
    assert b"".join(changes.tap_predicates(parts, touched)) == text
    assert touched.default == {"http://e/p", "http://e/q", f"{RDF_TYPE} http://e/C"}
    assert touched.named == touched.default
    unreadable = changes.Touched()
    list(
        changes.tap_predicates(
            [b"<< <http://e/s> <http://e/p> 1 >> <http://e/q> 2 .\n"], unreadable
        )
    )
    assert unreadable.is_everything


def test_an_engine_answering_from_the_graph_reads_its_query_s_predicates(
    tmp_path: Path, sources: Path
) -> None:
    """top-authors-by-coauthors is an engine over the co-author graph: its files (its query's
    rows as the engine gives them, and its result) are copied only when neither the pairs nor
    the names it reads changed."""
    folder = tmp_path / "store"
    _ingest(folder, sources)
    store = KGStore.open_readonly(folder)
    try:
        job = precompute_module._Job(store, load_reports(scheme=SCHEME), SCHEME, 100_000)
        name = "top-authors-by-coauthors"
        assert job.kinds(name) == ["rows", "result"]
        reads = job.reads(name, "result")
        assert reads.default == {"https://schema.org/author", "https://schema.org/name"}
        assert job.reads(name, "rows").default == reads.default
        for predicate, affected in (
            ("https://schema.org/name", True),
            ("https://schema.org/author", True),
            (f"{KG}citationCount", False),
        ):
            assert reads.affected_by(changes.Touched({predicate}, set())) == affected, predicate
        # It runs after the co-author graph, whose file it reads.
        tasks = precompute_module.precompute_tasks(job.reports, SCHEME)
        assert tasks.index(name) > tasks.index("collaboration-path")
        assert tasks.index(name) > tasks.index("venues")
    finally:
        store.close()

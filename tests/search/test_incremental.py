"""An update reads only what changed, and leaves the index as a rebuild from scratch would.

Also: the embedded store's reads (index scans, kg.search.graph.StoreReader) and the
SPARQL reads an external store gets (SparqlReader) give the same documents.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import kg.search.index as search_index
from kg.search.documents import AUTHOR, HAS_REPOSITORY, SUBJECT, affected, read_documents, stamps
from kg.search.graph import SparqlReader, StoreReader
from kg.search.index import DIGESTS, Filters, SearchIndex, update_index
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

CHANGED = "000_ac1c864ae2d95ddb.txt"
QUERIES = [
    "federated learning graph",
    "network graph",
    "Renee Testauthor",
    "Xuyang Zhao",
    "contrastive augmentation",
    "reasoning",
    "tsinghua",
]


def _ingest(store_folder: Path, profiles: Path, *, prune: bool = False) -> None:
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
            prune=prune,
        )
    finally:
        store.close()


def _update(store_folder: Path, index: Path, **options: Any) -> search_index.IndexUpdate:
    store = KGStore.open_readonly(store_folder)
    try:
        options.setdefault("store_version", store.generation)
        return update_index(index, LocalBackend(store), **options)
    finally:
        store.close()


def _edit(profile: Path) -> None:
    """A new title (a new paper IRI), one more author, other subjects, a paper dropped."""
    text = profile.read_text()
    edits = [
        ("Heterogeneous Federated Learning on a Graph", "Heterogeneous Federated Learning on a Network Graph"),
        ("Huiyuan Wang, Xuyang Zhao, Wei Lin\n", "Huiyuan Wang, Xuyang Zhao, Wei Lin, Renée Testauthor\n"),
        ("CLApr 9\n", "CVApr 9\n"),
        ("LGSep 18, 2025Code\n", "ROSep 18, 2025Code\n"),
    ]  # fmt: skip
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    start = text.index("LGMar 2, 2023\n")
    end = text.index("MLSep 19, 2022\n")
    profile.write_text(text[:start] + text[end:])


def _digests(index: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((index / DIGESTS).read_text())["digests"]
    return data


def _answers(index: Path) -> list[Any]:
    searcher = SearchIndex(index)
    out = []
    for text in QUERIES:
        result = searcher.search(text, limit=100)
        # BM25 statistics count deleted documents until segments merge: the scores of an
        # updated index may differ from a rebuilt one's, the hits and facets may not.
        out.append((text, result.total, sorted(h.iri for h in result.hits), result.facets))
        typed = searcher.search(text, Filters(kind="author"), limit=100)
        out.append((text, "author", sorted(h.iri for h in typed.hits)))
    return out


#: Another profile listing a paper of CHANGED with an author CHANGED does not name: that
#: author's document shows the paper's subject, which the edit changes, though the author
#: is in no graph the edit touched.
COAUTHOR = """Zed Newperson

CV
h-index1
1papers
1citations

1 Papers

LGSep 18, 2025Code
Mind the Gap: Data Rewriting for Stable Off-Policy Supervised Fine-Tuning

Shiwan Zhao, Xuyang Zhao, Zed Newperson

Supervised fine-tuning (SFT) of large language models can be viewed as an off-policy learning problem.
"""


@pytest.fixture()
def profiles(seeds_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(seeds_dir, folder)
    (folder / "zz_coauthor.txt").write_text(COAUTHOR)
    return folder


def test_an_update_reads_only_what_changed_and_equals_a_rebuild(
    profiles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, index = tmp_path / "store", tmp_path / "index"
    _ingest(store, profiles)
    first = _update(store, index)
    assert first.added == first.documents > 200

    scopes: list[Any] = []
    real = search_index.read_documents

    def spy(reader: Any, scope: Any = None, **options: Any) -> Any:
        scopes.append(None if scope is None else set(scope))
        return real(reader, scope, **options)

    batched = search_index.read_in_batches

    def spy_full(reader: Any, batch: Any = None, **options: Any) -> Any:
        scopes.append(None)  # every entity, a batch at a time
        return batched(reader, batch, **options)

    monkeypatch.setattr(search_index, "read_documents", spy)
    monkeypatch.setattr(search_index, "read_in_batches", spy_full)
    _edit(profiles / CHANGED)
    _ingest(store, profiles)
    update = _update(store, index)
    assert scopes[-1] is not None and 0 < len(scopes[-1]) < first.documents // 2
    assert update.added and update.changed and update.removed

    rebuilt = _update(store, tmp_path / "rebuilt", rebuild=True)
    assert scopes[-1] is None
    assert update.documents == rebuilt.documents
    assert _digests(index) == _digests(tmp_path / "rebuilt")
    assert _answers(index) == _answers(tmp_path / "rebuilt")
    zed = SearchIndex(index).search("Zed Newperson", Filters(kind="author")).hits[0]
    assert zed.label == "Zed Newperson"
    assert (
        "RO" in SearchIndex(index).search("Zed Newperson", Filters(subject="RO")).facets["subject"]
    )
    assert "Renée Testauthor" in [
        h.label for h in SearchIndex(index).search("Renee Testauthor", Filters(kind="author")).hits
    ]

    # A profile gone (pruned): its entities that no other profile names go with it.
    (profiles / "004_6a2e0b437ba59670.txt").unlink()
    _ingest(store, profiles, prune=True)
    pruned = _update(store, index)
    assert pruned.removed and scopes[-1] is not None
    rebuilt = _update(store, tmp_path / "rebuilt-2", rebuild=True)
    assert _digests(index) == _digests(tmp_path / "rebuilt-2")
    assert _answers(index) == _answers(tmp_path / "rebuilt-2")

    # Nothing changed: nothing read.
    count = len(scopes)
    again = _update(store, index, store_version="another-version")
    assert again.unchanged and len(scopes) == count


def test_a_graph_named_as_changed_is_read_again(profiles: Path, tmp_path: Path) -> None:
    # The ingest names the graphs it wrote: a rewrite in the same second as the parse the
    # index saw (the same checksum and parse time) is still read again.
    store, index = tmp_path / "store", tmp_path / "index"
    _ingest(store, profiles)
    _update(store, index)
    graph = f"{TEST_BASE_IRI}graph/{CHANGED}"
    update = _update(store, index, store_version="v2", changed_graphs=[graph])
    assert update.unchanged  # read again, nothing differed
    unknown = _update(store, index, store_version="v3", changed_graphs=["http://elsewhere/g"])
    assert unknown.unchanged


def test_store_and_sparql_reads_give_the_same_documents(seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    try:
        scans = list(read_documents(StoreReader(store)))
        sparql = list(read_documents(SparqlReader(LocalBackend(store))))
        assert scans == sparql and len(scans) > 200
        # Reading some entities gives their documents as a full read does.
        some = {d.iri for d in scans[::7]}
        by_iri = {(d.iri, d.kind): d for d in scans}
        for reader in (StoreReader(store), SparqlReader(LocalBackend(store))):
            scoped = list(read_documents(reader, some))
            assert {d.iri for d in scoped} == some
            assert all(by_iri[(d.iri, d.kind)] == d for d in scoped)
    finally:
        store.close()


def test_a_changed_subject_or_organization_reaches_the_papers_and_authors_naming_it(
    seed_store: Path,
) -> None:
    # A subject's label shows in its papers' documents, and its site code in their
    # authors': when a subject's stamp changes, they are read again (and, as for any paper
    # read again, its repositories); when only a graph that lists it changed, they are not.
    store = KGStore.open_readonly(seed_store)
    try:
        reader = StoreReader(store)
        subject = f"{TEST_BASE_IRI}subject/LG"
        papers = {s for s, _ in reader.pairs(SUBJECT, objects=[subject])}
        authors = {o.value for _, o in reader.pairs(AUTHOR, subjects=papers)}
        repos = {o.value for _, o in reader.pairs(HAS_REPOSITORY, subjects=papers)}
        assert papers and authors and repos
        assert affected(reader, {subject}, ()) == {subject}
        assert affected(reader, {subject}, {subject}) == {subject} | papers | authors | repos
        assert stamps(reader, {subject}) == {subject: stamps(reader)[subject]}
    finally:
        store.close()


def test_a_blank_node_label_is_never_asked_for_by_name(seed_store: Path) -> None:
    # A VALUES block names IRIs only: a blank node's label is no IRI (ox.NamedNode refuses
    # it), and asking for it would fail the whole update.
    store = KGStore.open_readonly(seed_store)
    try:
        reader = SparqlReader(LocalBackend(store))
        subject = f"{TEST_BASE_IRI}subject/LG"
        pairs = list(reader.pairs(SUBJECT, objects=["b0", subject, "not an iri"]))
        assert pairs and {o.value for _, o in pairs} == {subject}
    finally:
        store.close()

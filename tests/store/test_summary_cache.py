"""The cache of stored sources' summaries (kg.pipeline.summaries): what it gives equals a
read of the store, it reads again only graphs whose fingerprint moved, a bad file is
ignored, and ingests with it leave the store an ingest without it leaves (issue 18)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kg.identity.records import summarize_apart
from kg.parse import parse_file
from kg.pipeline import summaries
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.pipeline.summaries import CACHE_FILE, StoredSource, cached_sources, stored_sources
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI, ingest_into

SCHEME = IriScheme(TEST_BASE_IRI)


def plain(sources: dict[str, StoredSource]) -> list[Any]:
    return [
        (s, st.graph, st.summary, st.papers, st.agents, st.owner_iri, st.heads)
        for s, st in sources.items()
    ]


@pytest.fixture()
def store(tmp_path: Path, seeds_dir: Path) -> Any:
    folder = tmp_path / "store"
    ingest_into(folder, seeds_dir)
    handle = KGStore.open_writable(folder)
    yield handle
    handle.close()


def graphs_of(store: KGStore) -> list[str]:
    return [state.graph for state in store.sources().values()]


def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The graphs each call of stored_sources (through the cache) reads from the store."""
    seen: list[list[str]] = []
    real = summaries.stored_sources

    def watched(store: Any, scheme: Any, graphs: Any, **options: Any) -> Any:
        seen.append(sorted(graphs))
        return real(store, scheme, graphs, **options)

    monkeypatch.setattr(summaries, "stored_sources", watched)
    return seen


def test_the_cache_gives_what_the_store_holds_and_reads_nothing_again(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    graphs = graphs_of(store)
    direct = stored_sources(store, SCHEME, graphs)
    assert plain(stored_sources(store, SCHEME, graphs, one_by_one=True)) == plain(direct)
    seen = reads(monkeypatch)
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(direct)
    assert seen == [sorted(graphs)]
    assert store.folder is not None and (store.folder / CACHE_FILE).is_file()
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(direct)
    assert plain(cached_sources(store, SCHEME, graphs[::-1])) == plain(direct)[::-1]
    assert seen == [sorted(graphs)], "the second and third calls read no graph"


def test_the_store_gives_each_listing_its_abstract_head_apart(
    store: KGStore, seeds_dir: Path
) -> None:
    """As pass 1 summarises a file: the listings hold no abstract, the heads come apart in
    the listings' order (resolution reads them in one step and lets them go)."""
    direct = stored_sources(store, SCHEME, graphs_of(store))
    assert direct
    for source, stored in direct.items():
        summary, heads = summarize_apart(parse_file(seeds_dir / source, as_of=SEED_AS_OF))
        assert all(listing.abstract == "" for listing in stored.summary.listings)
        got = dict(zip((li.title for li in stored.summary.listings), stored.heads, strict=True))
        assert got == dict(zip((li.title for li in summary.listings), heads, strict=True))
        assert any(got.values())


def test_a_graph_whose_fingerprint_moved_is_read_again(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    target = graphs[0]
    # A rewrite by ingest: a new parse time, and here a title changed.
    store.update(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        f"DELETE {{ GRAPH <{target}> {{ <{target}> prov:generatedAtTime ?t }} }} "
        f'INSERT {{ GRAPH <{target}> {{ <{target}> prov:generatedAtTime "2030-01-01T00:00:00Z" }} }} '
        f"WHERE {{ GRAPH <{target}> {{ <{target}> prov:generatedAtTime ?t }} }} ; "
        f"DELETE {{ GRAPH <{target}> {{ ?p dcterms:title ?t }} }} "
        f'INSERT {{ GRAPH <{target}> {{ ?p dcterms:title "A Retitled Paper" }} }} '
        f"WHERE {{ {{ SELECT ?p ?t WHERE {{ GRAPH <{target}> {{ ?p dcterms:title ?t }} }} "
        "ORDER BY ?p LIMIT 1 } }"
    )
    seen = reads(monkeypatch)
    got = cached_sources(store, SCHEME, graphs)
    assert seen == [[target]], "only the rewritten graph is read"
    assert plain(got) == plain(stored_sources(store, SCHEME, graphs))
    titles = {x.title for st in got.values() if st.graph == target for x in st.summary.listings}
    assert "A Retitled Paper" in titles


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param('{"format": 999, "base": "http://kg.test/", "graphs": {}}', id="format"),
        pytest.param('{"format": 1, "base": "http://kg.test/", "graphs": {"g": [1]}}', id="shape"),
        pytest.param("[]", id="list"),
    ],
)
def test_a_bad_cache_file_is_ignored_and_replaced(store: KGStore, content: str) -> None:
    graphs = graphs_of(store)
    assert store.folder is not None
    path = store.folder / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    direct = stored_sources(store, SCHEME, graphs)
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(direct)
    assert summaries._load(path, SCHEME.base), "replaced by a good one"


def test_another_base_iri_does_not_use_the_cache(
    store: KGStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    assert store.folder is not None
    assert summaries._load(store.folder / CACHE_FILE, "http://other.test/") == {}


def _export(folder: Path) -> list[str]:
    """The store's quads without the parse times of this run."""
    handle = KGStore.open_readonly(folder)
    try:
        stamp = re.compile(r'"\d{4}-\d\d-\d\dT[0-9:.]+Z"')
        return sorted(
            stamp.sub('"T"', str(q)) if "AtTime" in q.predicate.value else str(q)
            for q in handle.quads()
        )
    finally:
        handle.close()


def test_crawls_with_the_cache_store_what_crawls_without_it_store(
    tmp_path: Path, seeds_dir: Path
) -> None:
    profiles = tmp_path / "profiles"
    shutil.copytree(seeds_dir, profiles)
    folders = {"cached": tmp_path / "cached", "uncached": tmp_path / "uncached"}
    edits = [("h-index39\n", "h-index41\n"), ("h-index", "h-index1")]
    for crawl in range(3):
        if crawl:
            old, new = edits[crawl - 1]
            target = sorted(f for f in profiles.iterdir() if old in f.read_text("utf-8"))[0]
            target.write_text(target.read_text("utf-8").replace(old, new, 1), "utf-8")
        for name, folder in folders.items():
            if name == "uncached":
                (folder / CACHE_FILE).unlink(missing_ok=True)
            handle = KGStore.open_writable(folder)
            try:
                report = ingest(
                    [profiles],
                    handle,
                    scheme=SCHEME,
                    as_of=date(SEED_AS_OF.year, SEED_AS_OF.month, 1 + crawl),
                    resolution=IdentityResolution(),
                    progress=False,
                )
            finally:
                handle.close()
            assert report.count("replaced") == (1 if crawl else 0)
    assert (folders["cached"] / CACHE_FILE).is_file()
    assert _export(folders["cached"]) == _export(folders["uncached"])


def test_forgotten_graphs_are_read_again(store: KGStore, monkeypatch: pytest.MonkeyPatch) -> None:
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    summaries.forget_sources(store, SCHEME, graphs[:2])
    assert store.folder is not None
    assert set(summaries._load(store.folder / CACHE_FILE, SCHEME.base)) == set(graphs[2:])
    seen = reads(monkeypatch)
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(
        stored_sources(store, SCHEME, graphs)
    )
    assert seen[0] == sorted(graphs[:2])


def test_sources_mapped_again_leave_the_cache(
    store: KGStore, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remap rewrites a graph from the same file: only its parse time, in whole seconds,
    would tell the cache, so prepare drops it from the cache before mapping."""
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    stale = {st.summary.source for st in stored_sources(store, SCHEME, graphs[:1]).values()}
    monkeypatch.setattr(
        StoredSource, "is_stale", lambda stored, keys, scheme: stored.summary.source in stale
    )
    # The identity graph's digest says nothing changed: make the step resolve anyway.
    monkeypatch.setattr(IdentityResolution, "_stored_digest", staticmethod(lambda s, sc: None))
    # The files as stored (unchanged): a file that cannot be read is not mapped again.
    works = [
        (state.source, str(seeds_dir / state.source), state.sha256)
        for state in store.sources().values()
    ]
    plan = IdentityResolution().prepare(store, SCHEME, works, as_of=SEED_AS_OF)
    assert plan.remap == frozenset(stale)
    assert store.folder is not None
    assert set(summaries._load(store.folder / CACHE_FILE, SCHEME.base)) == set(graphs[1:])


def test_a_bad_line_costs_only_its_graph(store: KGStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is read a line at a time: a line that is no entry is read again from the
    store, the others are used as they were written."""
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    assert store.folder is not None
    path = store.folder / CACHE_FILE
    header, first, *rest = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(header + first[: len(first) // 2] + b"\n" + b"".join(rest))
    seen = reads(monkeypatch)
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(
        stored_sources(store, SCHEME, graphs)
    )
    assert len(seen) == 1 and len(seen[0]) == 1  # only the bad line's graph
    assert set(summaries._load(path, SCHEME.base)) == set(graphs)  # written whole again


def test_an_unchanged_cache_is_left_as_it_is(store: KGStore) -> None:
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    assert store.folder is not None
    path = store.folder / CACHE_FILE
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    cached_sources(store, SCHEME, graphs)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not list(path.parent.glob("*.tmp"))


def test_the_cache_of_format_1_is_replaced(store: KGStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Format 1 was one JSON document, read whole (7.7 GiB resident for a re-crawl at 1M
    papers): it is not read, and goes when the cache is written."""
    graphs = graphs_of(store)
    assert store.folder is not None
    old = store.folder / "identity" / "summaries.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text('{"format": 1, "base": "http://kg.test/", "graphs": {}}', encoding="utf-8")
    seen = reads(monkeypatch)
    cached_sources(store, SCHEME, graphs)
    assert seen == [sorted(graphs)] and not old.exists()
    assert (store.folder / CACHE_FILE).is_file()


def test_a_full_disk_loses_only_the_cache(store: KGStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the cache again fails (its temporary file is /dev/full): ingest goes on, and
    the cache goes, so that the graphs forget_sources dropped are not taken from it."""
    graphs = graphs_of(store)
    cached_sources(store, SCHEME, graphs)
    assert store.folder is not None
    path = store.folder / CACHE_FILE
    # Enough lines that the write fails before the file is closed.
    header, *lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(header + b"".join(lines * 2000))
    partial = path.with_name(path.name + ".tmp")
    partial.symlink_to("/dev/full")
    summaries.forget_sources(store, SCHEME, graphs[:1])
    assert not path.exists() and not partial.exists()
    assert plain(cached_sources(store, SCHEME, graphs)) == plain(
        stored_sources(store, SCHEME, graphs)
    )

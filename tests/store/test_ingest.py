"""Ingest into the embedded store: idempotency, atomic replacement, the union graph, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from kg.store.stats import store_stats
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"


def run_ingest(folder: Path, *paths: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    store = KGStore.open_writable(folder)
    try:
        return ingest(
            list(paths), store, scheme=SCHEME, as_of=SEED_AS_OF, prune=prune, progress=False
        )
    finally:
        store.close()


def default_graph_lines(folder: Path) -> list[str]:
    """The union (default graph) as sorted N-Triples, without parse timestamps."""
    store = KGStore.open_readonly(folder)
    lines = [
        f"{q.subject} {q.predicate} {q.object} ."
        for q in store.quads()
        if isinstance(q.graph_name, ox.DefaultGraph)
        and "generatedAtTime" not in q.predicate.value
        and "endedAtTime" not in q.predicate.value
    ]
    return sorted(lines)


def all_quads(folder: Path) -> list[str]:
    store = KGStore.open_readonly(folder)
    return sorted(str(q) for q in store.quads())


@pytest.fixture()
def seed_copy(tmp_path: Path, seeds_dir: Path) -> Path:
    target = tmp_path / "profiles"
    shutil.copytree(seeds_dir, target)
    return target


def test_seeds_give_the_documented_counts(seed_store: Path) -> None:
    stats = store_stats(KGStore.open_readonly(seed_store))
    assert stats["profiles"] == 5
    assert stats["papers"] == 104
    assert stats["repositories"] == 29
    assert stats["venues"] == 1
    assert stats["subjects"] == 6
    assert stats["organizations"] == 4
    assert stats["sources"] == 5


def test_second_ingest_changes_no_triple(tmp_path: Path, seed_copy: Path) -> None:
    folder = tmp_path / "store"
    first = run_ingest(folder, seed_copy)
    assert first.count("added") == 5 and first.ok
    before = all_quads(folder)
    second = run_ingest(folder, seed_copy)
    assert second.count("unchanged") == 5
    assert second.count("added") == second.count("replaced") == 0
    assert all_quads(folder) == before


def test_default_graph_is_the_set_union_of_source_graphs(seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    union = next(
        iter(
            store.query(
                "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }"
            )
        )
    )
    default = next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))
    assert int(union["n"].value) == int(default["n"].value)
    # A paper listed by two profiles is counted once (Oxigraph's own union graph would count it twice).
    row = next(
        iter(
            store.query(
                "SELECT (COUNT(*) AS ?n) { ?p <http://purl.org/dc/terms/title> "
                '"Information Flow in Self-Supervised Learning" }'
            )
        )
    )
    assert int(row["n"].value) == 1


def test_changed_file_replaces_exactly_its_graph(
    tmp_path: Path, seed_copy: Path, seeds_dir: Path
) -> None:
    folder = tmp_path / "store"
    run_ingest(folder, seed_copy)
    original = default_graph_lines(folder)
    target = next(seed_copy.glob("002_*.txt"))
    lines = target.read_text(encoding="utf-8").split("\n")
    target.write_text(
        "\n".join(lines[:-3]), encoding="utf-8"
    )  # drop the last entry (RelationMatch)
    report = run_ingest(folder, seed_copy)
    assert report.count("replaced") == 1 and report.count("unchanged") == 4
    stats = store_stats(KGStore.open_readonly(folder))
    assert stats["papers"] == 103
    # The result equals a fresh ingest of the changed files: the union was retracted correctly.
    fresh = tmp_path / "fresh"
    run_ingest(fresh, seed_copy)
    assert default_graph_lines(folder) == default_graph_lines(fresh)
    # Restoring the file restores the union exactly.
    shutil.copy(next(seeds_dir.glob("002_*.txt")), target)
    run_ingest(folder, seed_copy)
    assert default_graph_lines(folder) == original


def test_shared_paper_survives_removal_of_one_lister(tmp_path: Path, seed_copy: Path) -> None:
    folder = tmp_path / "store"
    run_ingest(folder, seed_copy)
    next(seed_copy.glob("002_*.txt")).unlink()
    kept = run_ingest(folder, seed_copy)
    assert kept.count("removed") == 0
    assert store_stats(KGStore.open_readonly(folder))["profiles"] == 5, (
        "without --prune the graph stays"
    )
    pruned = run_ingest(folder, seed_copy, prune=True)
    assert pruned.count("removed") == 1
    store = KGStore.open_readonly(folder)
    stats = store_stats(store)
    assert stats["profiles"] == 4
    # 002 listed 21 papers, 12 of them also listed by 003: those stay.
    assert stats["papers"] == 104 - 9
    shared = store.query(
        'ASK { ?p <http://purl.org/dc/terms/title> "OTMatch: Improving Semi-Supervised Learning with Optimal Transport" }'
    )
    assert bool(shared)


def test_bad_files_are_reported_and_good_ones_stored(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    profiles = tmp_path / "profiles"
    shutil.copytree(EXAMPLES, profiles, ignore=shutil.ignore_patterns("*.md"))
    (profiles / "empty.txt").write_bytes(b"")
    (profiles / "binary.txt").write_bytes(bytes(range(256)) * 20)
    report = run_ingest(folder, profiles, tmp_path / "missing.txt")
    by_source = {o.source: o for o in report.outcomes}
    assert by_source["empty.txt"].status == "failed" and by_source["empty.txt"].failures
    assert by_source["binary.txt"].status == "failed" and by_source["binary.txt"].failures
    assert by_source["missing.txt"].status == "failed"
    assert not report.ok
    assert store_stats(KGStore.open_readonly(folder))["profiles"] == 3


def test_a_file_that_turns_bad_keeps_its_stored_graph(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    profiles = tmp_path / "profiles"
    shutil.copytree(EXAMPLES, profiles, ignore=shutil.ignore_patterns("*.md"))
    run_ingest(folder, profiles)
    before = all_quads(folder)
    (profiles / "ada-lindqvist.txt").write_bytes(b"\x00\x01\x02garbage")
    report = run_ingest(folder, profiles)
    assert report.count("failed") == 1
    assert all_quads(folder) == before


def test_readers_keep_their_checkpoint_while_an_ingest_publishes(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(EXAMPLES / "ada-lindqvist.txt", profiles)
    run_ingest(folder, profiles)
    reader = KGStore.open_readonly(folder)
    assert store_stats(reader)["profiles"] == 1
    shutil.copy(EXAMPLES / "mei-tanaka.txt", profiles)
    run_ingest(folder, profiles)
    assert store_stats(reader)["profiles"] == 1, "an open reader sees its own checkpoint"
    assert store_stats(KGStore.open_readonly(folder))["profiles"] == 2, (
        "a new reader sees the new one"
    )


def test_only_one_writer_at_a_time(tmp_path: Path) -> None:
    from kg.errors import StoreError

    folder = tmp_path / "store"
    first = KGStore.open_writable(folder)
    with pytest.raises(StoreError, match="another"):
        KGStore.open_writable(folder)
    first.close()


def test_reading_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    from kg.errors import StoreError

    with pytest.raises(StoreError, match="kg ingest"):
        KGStore.open_readonly(tmp_path / "nothing")


def test_many_files_go_through_worker_processes(tmp_path: Path) -> None:
    """Above the parallel threshold, parsing runs in processes; the result is the same."""
    from kg.pipeline import ingest as ingest_module

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for index in range(ingest_module.PARALLEL_THRESHOLD + 6):
        source = sorted(EXAMPLES.glob("*.txt"))[index % 3]
        (profiles / f"{index:03d}-{source.name}").write_bytes(source.read_bytes())
    store = KGStore.open_writable(tmp_path / "store")
    report = ingest([profiles], store, scheme=SCHEME, as_of=SEED_AS_OF, workers=2, progress=False)
    assert report.count("added") == ingest_module.PARALLEL_THRESHOLD + 6
    assert store_stats(store)["profiles"] == ingest_module.PARALLEL_THRESHOLD + 6
    assert store_stats(store)["papers"] == 8


def _many_profiles(folder: Path, count: int) -> Path:
    folder.mkdir()
    examples = sorted(EXAMPLES.glob("*.txt"))
    for index in range(count):
        source = examples[index % len(examples)]
        (folder / f"{index:03d}-{source.name}").write_bytes(source.read_bytes())
    return folder


def test_small_batches_loaded_by_threads_give_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many bulk loads in the loader threads (one graph each) store what one load does."""
    from kg.pipeline import ingest as ingest_module

    profiles = _many_profiles(tmp_path / "profiles", ingest_module.PARALLEL_THRESHOLD + 6)
    run_ingest(tmp_path / "one", profiles)
    calls = []
    original = KGStore.load_new_graphs

    def counted(self: KGStore, nquads: list[str]) -> None:
        calls.append(len(nquads))
        original(self, nquads)

    monkeypatch.setattr(KGStore, "load_new_graphs", counted)
    monkeypatch.setattr(ingest_module, "BULK_BATCH_BYTES", 1)
    run_ingest(tmp_path / "many", profiles)
    assert len(calls) == ingest_module.PARALLEL_THRESHOLD + 6  # one graph per load
    strip = [
        q
        for q in all_quads(tmp_path / "one")
        if "generatedAtTime" not in q and "endedAtTime" not in q
    ]
    assert strip == [
        q
        for q in all_quads(tmp_path / "many")
        if "generatedAtTime" not in q and "endedAtTime" not in q
    ]


def test_a_failed_bulk_load_reaches_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load fails in a loader thread: ingest raises that error, publishes nothing."""
    from kg.pipeline import ingest as ingest_module

    profiles = _many_profiles(tmp_path / "profiles", ingest_module.PARALLEL_THRESHOLD + 6)

    def broken(self: KGStore, nquads: list[str]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(KGStore, "load_new_graphs", broken)
    monkeypatch.setattr(ingest_module, "BULK_BATCH_BYTES", 1)
    with pytest.raises(OSError, match="disk full"):
        run_ingest(tmp_path / "store", profiles)
    assert not (tmp_path / "store" / "published").exists()


def test_a_replacement_never_runs_beside_a_bulk_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing a graph reads the union, so it waits for the loads handed over before it."""
    import threading
    import time

    from kg.pipeline import ingest as ingest_module

    profiles = _many_profiles(tmp_path / "profiles", ingest_module.PARALLEL_THRESHOLD + 6)
    run_ingest(tmp_path / "store", profiles)
    for index, path in enumerate(sorted(profiles.iterdir())):  # changed and new files, interleaved
        if index % 2:
            path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        else:
            path.rename(path.with_name(path.name.replace("-", "a-new-", 1)))
    active = [0]
    seen: list[int] = []
    lock = threading.Lock()
    load, replace = KGStore.load_new_graphs, KGStore.replace_graph

    def slow_load(self: KGStore, nquads: list[str]) -> None:
        with lock:
            active[0] += 1
        time.sleep(0.01)  # a load that takes a while, so that an overlap would show
        try:
            load(self, nquads)
        finally:
            with lock:
                active[0] -= 1

    def watched_replace(self: KGStore, graph: str, lines: list[str], **options: str) -> None:
        seen.append(active[0])
        replace(self, graph, lines, **options)

    monkeypatch.setattr(KGStore, "load_new_graphs", slow_load)
    monkeypatch.setattr(KGStore, "replace_graph", watched_replace)
    monkeypatch.setattr(ingest_module, "BULK_BATCH_BYTES", 1)
    report = run_ingest(tmp_path / "store", profiles, prune=True)
    assert report.count("added") > 0 and report.count("replaced") > 0
    assert seen and seen == [0] * len(seen)

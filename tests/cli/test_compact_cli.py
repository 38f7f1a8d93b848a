"""`kg compact`: the store's files merged and published as a new checkpoint, with the search
index and the reports it had, for readers of a store whose checkpoint was left unmerged
(small crawls, or made before the compaction existed)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.reports.stored import PRECOMPUTED
from kg.store.compaction import COUNT_FILE
from kg.store.embedded import SNAPSHOTS, KGStore, published_generation
from tests.cli.test_precompute_cli import ingest


def _compact(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["compact", "--store", str(folder)])
    return result.exit_code, result.output


def _quads(folder: Path) -> set[str]:
    store = KGStore.open_readonly(folder)
    try:
        return {str(quad) for quad in store.quads()}
    finally:
        store.close()


def _search(folder: Path, words: str) -> str:
    result = CliRunner().invoke(main, ["search", words, "--store", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


def test_compact_publishes_the_same_data_with_its_index_and_reports(
    tmp_path: Path, seeds_dir: Path
) -> None:
    folder = tmp_path / "store"
    ingest(folder, seeds_dir)
    before, held = published_generation(folder), _quads(folder)
    found = _search(folder, "Xuyang Zhao")
    assert "xuyang-zhao" in found
    # Small crawls left loads to merge (a first ingest of a small store merged them already).
    (folder / "changes" / COUNT_FILE).write_text("3 1000\n")
    exit_code, output = _compact(folder)
    assert exit_code == 0, output
    after = published_generation(folder)
    assert after is not None and after != before
    assert f"checkpoint {after} published" in output
    assert "store: the files of 3 bulk loads (0.0 MB of N-Quads" in output
    assert "merged before the checkpoint" in output
    assert _quads(folder) == held
    assert not (folder / "changes" / COUNT_FILE).exists()
    # The reports copied to the new checkpoint, not computed again; the index unchanged.
    assert "copied" in output
    assert (folder / PRECOMPUTED / after / "subjects.rows.json").is_file()
    assert "(0 added, 0 changed, 0 removed)" in output
    assert _search(folder, "Xuyang Zhao") == found
    # Run again, with nothing loaded since: its files merged all the same, as asked.
    exit_code, output = _compact(folder)
    assert exit_code == 0, output
    assert "store: its files (the store's" in output
    assert published_generation(folder) != after


def test_compact_keeps_a_store_without_reports_or_index_so(tmp_path: Path, seeds_dir: Path) -> None:
    folder = tmp_path / "store"
    ingest(folder, seeds_dir, "--no-precompute", "--no-search-index")
    exit_code, output = _compact(folder)
    assert exit_code == 0, output
    assert not (folder / PRECOMPUTED).exists()
    assert not (folder / "search").exists()
    assert "precomputed" not in output and "search index" not in output


def test_compact_of_no_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    exit_code, output = _compact(tmp_path / "nowhere")
    assert exit_code != 0
    assert "no store at" in output and "kg ingest" in output
    assert not (tmp_path / "nowhere").exists()


def test_compact_of_an_external_store_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["compact", "--store", "http://127.0.0.1:9/sparql"])
    assert result.exit_code == 2
    assert "an external store merges its own files" in result.output


def test_compact_while_an_ingest_holds_the_store_says_so(tmp_path: Path, seeds_dir: Path) -> None:
    folder = tmp_path / "store"
    ingest(folder, seeds_dir, "--no-precompute", "--no-search-index")
    generation = published_generation(folder)
    writer = KGStore.open_writable(folder)
    try:
        exit_code, output = _compact(folder)
    finally:
        writer.close()
    assert exit_code != 0
    assert "Is another kg ingest" in output
    assert published_generation(folder) == generation
    assert sorted(p.name for p in (folder / SNAPSHOTS).iterdir()) == [generation]


def test_compact_after_an_ingest_stopped_before_its_checkpoint_is_refused(
    tmp_path: Path, seeds_dir: Path
) -> None:
    folder = tmp_path / "store"
    ingest(folder, seeds_dir, "--no-precompute", "--no-search-index")
    generation = published_generation(folder)
    writer = KGStore.open_writable(folder)  # a write, then killed: no checkpoint
    writer.replace_graph(
        "http://kg.test/graph/half", ['<http://kg.test/s> <http://kg.test/p> "1" .\n']
    )
    writer.close()
    exit_code, output = _compact(folder)
    assert exit_code != 0
    assert "was stopped before it finished: run it again first" in output
    assert published_generation(folder) == generation


def test_compact_of_a_store_folder_without_data_says_so(tmp_path: Path) -> None:
    (tmp_path / "store" / "oxigraph").mkdir(parents=True)
    exit_code, output = _compact(tmp_path / "store")
    assert exit_code != 0
    assert "no data in store" in output
    assert published_generation(tmp_path / "store") is None

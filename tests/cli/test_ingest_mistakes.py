"""An operator's mistakes on `kg ingest`: a wrong path, an empty folder, a file that is no
profile, a prune that would empty the store. Each gets a one-line message and a non-zero
exit, and nothing stored is lost: no store is created and an existing one is not written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.store.embedded import KGStore, published_generation
from kg.store.stats import store_stats
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI, ingest_into

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"


def kg_ingest(store: Path, *args: str) -> tuple[int, str]:
    """``kg ingest`` on ``store`` (no precompute: the tests look at the store); exit code and
    everything it wrote (stdout and stderr)."""
    result = CliRunner().invoke(
        main,
        [
            *("ingest", "--store", str(store), "--base-iri", TEST_BASE_IRI, "--no-progress"),
            *("--as-of", SEED_AS_OF.isoformat(), "--no-precompute", "--no-search-index", *args),
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time: equal trees are a
    store nobody opened."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def stored(tmp_path: Path, seeds_dir: Path) -> Path:
    """A store holding the five seed profiles."""
    folder = tmp_path / "store"
    ingest_into(folder, seeds_dir)
    return folder


def test_a_missing_path_creates_no_store(tmp_path: Path) -> None:
    store = tmp_path / "new" / "store"
    code, output = kg_ingest(store, str(tmp_path / "nonexistent"))
    assert code == 2
    assert output.strip().splitlines() == [
        f"error: no such file or folder: {tmp_path / 'nonexistent'}; nothing was ingested "
        "(the store was not opened)"
    ]
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("prune", [[], ["--prune"]], ids=["plain", "prune"])
def test_a_missing_path_leaves_an_existing_store_untouched(
    stored: Path, tmp_path: Path, seeds_dir: Path, prune: list[str]
) -> None:
    before = tree(stored)
    # One good path beside the wrong one: nothing of it either (a prune would have lost
    # every profile under the mistyped folder).
    code, output = kg_ingest(stored, *prune, str(seeds_dir), str(tmp_path / "typo"))
    assert code == 2
    assert "no such file or folder" in output and str(tmp_path / "typo") in output
    assert tree(stored) == before


def test_an_empty_folder_is_nothing_to_ingest(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)
    (empty / ".hidden" / "a.txt").write_text("hidden files are not profiles\n")
    (empty / "notes.md").write_text("nor is anything but *.txt in a folder\n")
    store = tmp_path / "store"
    code, output = kg_ingest(store, str(empty))
    assert code == 2
    assert output.strip().splitlines() == [
        f"error: nothing to ingest: no profile file (*.txt) in {empty}; nothing was ingested "
        "(the store was not opened)"
    ]
    assert not store.exists()


def test_an_empty_folder_with_prune_does_not_empty_the_store(stored: Path, tmp_path: Path) -> None:
    empty = tmp_path / "mnt"  # an unmounted disk, say
    empty.mkdir()
    before = tree(stored)
    code, output = kg_ingest(stored, "--prune", str(empty))
    assert code == 2 and "nothing to ingest" in output
    assert tree(stored) == before


def test_a_file_that_is_no_profile_creates_no_store(tmp_path: Path) -> None:
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not a profile page")
    store = tmp_path / "a" / "b" / "store"
    code, output = kg_ingest(store, str(junk))
    assert code == 1
    assert f"{junk}:1: not a profile page" in output
    assert "nothing was stored: no store was created" in output
    assert not (tmp_path / "a").exists(), "the folders this ingest made are gone"


def test_a_file_that_is_no_profile_leaves_an_existing_store_as_it_was(
    stored: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not a profile page")
    before = published_generation(stored)
    code, output = kg_ingest(stored, str(junk))
    assert code == 1 and "not a profile page" in output
    assert published_generation(stored) == before, "nothing written, nothing published"
    assert (stored / "oxigraph").is_dir() and store_stats(KGStore.open_readonly(stored))[
        "profiles"
    ] == 5


def test_a_prune_that_would_remove_every_profile_needs_allow_prune_all(
    stored: Path, tmp_path: Path
) -> None:
    # Another corpus: no file of it has the name of a stored profile (a wrong folder).
    other = tmp_path / "other"
    shutil.copytree(EXAMPLES, other)
    before = published_generation(stored)
    code, output = kg_ingest(stored, "--prune", str(other))
    assert code == 2
    assert output.strip().splitlines() == [
        "error: --prune would remove all 5 profiles the store holds (no file of this run is one "
        "of them): nothing was changed; check the paths, or add --allow-prune-all if every "
        "stored profile is to go"
    ]
    assert published_generation(stored) == before
    assert store_stats(KGStore.open_readonly(stored))["profiles"] == 5

    code, output = kg_ingest(stored, "--prune", "--allow-prune-all", str(other))
    assert code == 0, output
    assert "5 removed" in output
    assert store_stats(KGStore.open_readonly(stored))["profiles"] == len(
        list(EXAMPLES.glob("*.txt"))
    )


def test_an_empty_folder_empties_the_store_only_when_asked(stored: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = kg_ingest(stored, "--prune", "--allow-prune-all", str(empty))
    assert code == 0, output
    assert "5 removed" in output
    assert store_stats(KGStore.open_readonly(stored))["profiles"] == 0


def test_a_prune_that_keeps_a_profile_is_not_asked_to_confirm(
    stored: Path, tmp_path: Path, seeds_dir: Path
) -> None:
    smaller = tmp_path / "smaller"
    smaller.mkdir()
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[0], smaller)
    code, output = kg_ingest(stored, "--prune", str(smaller))
    assert code == 0, output
    assert "4 removed" in output


def test_allow_prune_all_needs_prune(stored: Path, seeds_dir: Path) -> None:
    code, output = kg_ingest(stored, "--allow-prune-all", str(seeds_dir))
    assert code == 2 and "--allow-prune-all needs --prune" in output


def test_the_pipeline_refuses_a_prune_with_a_missing_path(stored: Path, tmp_path: Path) -> None:
    """The same guard for a program calling ingest() itself (the CLI stops before it)."""
    from kg.pipeline.ingest import PruneRefused, ingest
    from kg.rdf.iri import IriScheme

    store = KGStore.open_writable(stored)
    try:
        with pytest.raises(PruneRefused, match="no such file or folder"):
            ingest(
                [tmp_path / "gone"],
                store,
                scheme=IriScheme(TEST_BASE_IRI),
                as_of=SEED_AS_OF,
                prune=True,
                progress=False,
            )
        assert store_stats(store)["profiles"] == 5
    finally:
        store.close()

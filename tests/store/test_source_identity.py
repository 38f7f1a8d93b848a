"""What identifies a source: its file name (issue 14 item 4, docs/sources.md).

A re-crawl of a profile into another folder replaces it; a different person under
the same file name is refused, with a message naming both files and a non-zero
exit, and nothing already stored is lost or duplicated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

XUYANG = "000_ac1c864ae2d95ddb.txt"  # Xuyang Zhao's page
OTHER = "001_567876b7f542bf29.txt"  # another person's page


def kg_ingest(store: Path, *paths: Path | str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            "--store",
            str(store),
            "--base-iri",
            TEST_BASE_IRI,
            "--as-of",
            SEED_AS_OF.isoformat(),
            "--no-progress",
            "--no-precompute",
            *map(str, paths),
        ],
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def stored(store: Path) -> dict[str, str]:
    handle = KGStore.open_readonly(store)
    return {state.source: state.sha256 for state in handle.sources().values()}


def owners(store: Path) -> list[str]:
    handle = KGStore.open_readonly(store)
    rows = handle.query(
        sparql_prologue() + "SELECT ?label WHERE { ?s a kg:ProfileSnapshot ; rdfs:label ?label }"
    )
    return sorted(row["label"].value for row in rows)


@pytest.fixture()
def coll(tmp_path: Path, seeds_dir: Path) -> Path:
    """coll/a/profile.txt (Xuyang Zhao), coll/b/profile.txt (another person)."""
    for sub, seed in (("a", XUYANG), ("b", OTHER)):
        (tmp_path / "coll" / sub).mkdir(parents=True)
        shutil.copy(seeds_dir / seed, tmp_path / "coll" / sub / "profile.txt")
    return tmp_path / "coll"


def test_two_files_of_one_run_with_one_name_are_refused(coll: Path, tmp_path: Path) -> None:
    code, output = kg_ingest(tmp_path / "store", coll / "a", coll / "b")
    assert code == 1
    assert str(coll / "a" / "profile.txt") in output and str(coll / "b" / "profile.txt") in output
    assert "0 added" in output and "2 failed" in output


def test_a_collision_loses_nothing_already_stored(coll: Path, tmp_path: Path) -> None:
    assert kg_ingest(tmp_path / "store", coll / "a")[0] == 0
    before = stored(tmp_path / "store")
    code, _ = kg_ingest(tmp_path / "store", coll, "--prune")
    assert code == 1
    assert stored(tmp_path / "store") == before


def test_a_different_person_under_a_stored_name_is_refused(coll: Path, tmp_path: Path) -> None:
    assert kg_ingest(tmp_path / "store", coll / "a")[0] == 0
    before = owners(tmp_path / "store")
    code, output = kg_ingest(tmp_path / "store", coll / "b")
    assert code == 1
    assert str(coll / "b" / "profile.txt") in output and "Xuyang Zhao" in output
    assert "1 failed" in output and "0 replaced" in output
    assert owners(tmp_path / "store") == before


def test_a_folder_then_its_subfolder_stores_one_profile_once(coll: Path, tmp_path: Path) -> None:
    shutil.rmtree(coll / "b")
    assert kg_ingest(tmp_path / "store", coll)[0] == 0
    code, output = kg_ingest(tmp_path / "store", coll / "a")
    assert code == 0 and "1 unchanged" in output
    assert list(stored(tmp_path / "store")) == ["profile.txt"]
    assert len(owners(tmp_path / "store")) == 1


def test_a_recrawl_into_another_folder_replaces(coll: Path, tmp_path: Path) -> None:
    assert kg_ingest(tmp_path / "store", coll / "a")[0] == 0
    recrawl = tmp_path / "crawl-2" / "x"
    recrawl.mkdir(parents=True)
    text = (coll / "a" / "profile.txt").read_text(encoding="utf-8")
    (recrawl / "profile.txt").write_text(text + "\n", encoding="utf-8")
    code, output = kg_ingest(tmp_path / "store", tmp_path / "crawl-2")
    assert code == 0 and "1 replaced" in output
    assert len(owners(tmp_path / "store")) == 1

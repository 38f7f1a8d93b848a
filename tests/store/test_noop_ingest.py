"""An ingest that changes nothing publishes nothing (issue 14 item 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.reports.stored import PRECOMPUTED
from kg.store.embedded import SNAPSHOTS, published_generation
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI


def kg_ingest(store: Path, profiles: Path) -> str:
    result = CliRunner().invoke(
        main,
        [
            *("ingest", "--store", str(store), "--base-iri", TEST_BASE_IRI),
            *("--as-of", SEED_AS_OF.isoformat(), "--no-progress", str(profiles)),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_second_unchanged_ingest_keeps_the_published_version(
    tmp_path: Path, seeds_dir: Path
) -> None:
    profiles = tmp_path / "profiles"
    shutil.copytree(seeds_dir, profiles)
    store = tmp_path / "store"
    kg_ingest(store, profiles)
    first = published_generation(store)
    snapshots = sorted(p.name for p in (store / SNAPSHOTS).iterdir())
    precomputed = sorted(
        (p.name, p.stat().st_mtime_ns) for p in (store / PRECOMPUTED).rglob("*") if p.is_file()
    )

    output = kg_ingest(store, profiles)
    assert "5 unchanged" in output
    assert published_generation(store) == first
    assert sorted(p.name for p in (store / SNAPSHOTS).iterdir()) == snapshots
    # Nothing computed again: the files of the checkpoint are found whole and kept.
    assert f"the whole-graph reports of checkpoint {first} are precomputed already" in output
    assert (
        sorted(
            (p.name, p.stat().st_mtime_ns) for p in (store / PRECOMPUTED).rglob("*") if p.is_file()
        )
        == precomputed
    )

    # A change publishes again.
    changed = profiles / "000_ac1c864ae2d95ddb.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    kg_ingest(store, profiles)
    assert published_generation(store) != first
    assert precomputed  # the first run did precompute

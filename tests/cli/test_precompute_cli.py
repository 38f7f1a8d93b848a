"""`kg ingest` precomputes the whole-graph reports of the checkpoint it publishes; `--no-precompute` does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.reports.stored import PRECOMPUTED
from kg.store.embedded import published_generation
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI


def ingest(folder: Path, source: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(source),
            "--store",
            str(folder),
            "--base-iri",
            TEST_BASE_IRI,
            "--as-of",
            SEED_AS_OF.isoformat(),
            "--no-progress",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "flag", [pytest.param((), id="default"), pytest.param(("--no-precompute",), id="skip")]
)
def test_ingest_precomputes_unless_told_not_to(
    tmp_path: Path, seed_files: dict[str, Path], flag: tuple[str, ...]
) -> None:
    folder = tmp_path / "store"
    output = ingest(folder, seed_files[sorted(seed_files)[0]], *flag)
    generation = published_generation(folder)
    assert generation is not None
    files = folder / PRECOMPUTED / generation
    if flag:
        assert not files.exists()
        assert "precomputed" not in output
    else:
        assert (files / "subjects.rows.json").is_file() and (files / "subjects.rows.tsv").is_file()
        assert "precomputed" in output


@pytest.mark.parametrize(
    "workers", [pytest.param((), id="one-per-cpu"), pytest.param(("--workers", "1"), id="serial")]
)
def test_precompute_command_fills_an_existing_store(
    tmp_path: Path, seed_files: dict[str, Path], workers: tuple[str, ...]
) -> None:
    folder = tmp_path / "store"
    ingest(folder, seed_files[sorted(seed_files)[0]], "--no-precompute")
    result = CliRunner().invoke(
        main, ["precompute", "--store", str(folder), "--base-iri", TEST_BASE_IRI, *workers]
    )
    assert result.exit_code == 0, result.output
    files = folder / PRECOMPUTED / str(published_generation(folder))
    assert (files / "venues.rows.json").is_file() and (files / "venues.rows.tsv").is_file()
    assert (
        f"precomputed {len(list(files.glob('*.json'))) - 1} whole-graph report files and the "
        "co-author graph" in result.output
    )


def test_precompute_command_refuses_zero_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["precompute", "--store", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output

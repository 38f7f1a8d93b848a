"""Per-file limits at ingest (issue 15 items 4 and 8): one file cannot stall a run.

A file over the size limit is not read; a file whose parse takes longer than the
time budget stops. Either fails alone, with a failure naming the file and the
limit; the other files of the run are stored, and what the store held for the
failed file stays.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.pipeline import ingest as ingest_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import IngestReport, ingest
from kg.pipeline.limits import FileLimits
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)


def _slow_page(size: int) -> str:
    """A valid page whose parse takes about a second per few MB (linear, but not instant)."""
    entry = "LGJan 1, 2020\nA Title Of Some Length\n\nAda Quill, Bo Rennet\n\nAn abstract.\n\n"
    return entry * (size // len(entry))


def _profiles(tmp_path: Path, seeds_dir: Path, extra: dict[str, str]) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(seeds_dir, folder)
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _ingest(folder: Path, store: KGStore, limits: FileLimits, workers: int = 1) -> IngestReport:
    return ingest(
        [folder],
        store,
        scheme=SCHEME,
        as_of=SEED_AS_OF,
        progress=False,
        workers=workers,
        resolution=IdentityResolution(),
        limits=limits,
        publish=False,
    )


def _by_source(report: IngestReport) -> dict[str, str]:
    return {o.source: o.status for o in report.outcomes}


def test_a_file_over_the_size_limit_fails_alone(tmp_path: Path, seeds_dir: Path) -> None:
    big = _slow_page(200_000)
    folder = _profiles(tmp_path, seeds_dir, {"big.txt": big})
    store = KGStore.in_memory()
    report = _ingest(folder, store, FileLimits(max_bytes=100_000, parse_seconds=None))
    statuses = _by_source(report)
    assert statuses.pop("big.txt") == "failed"
    assert set(statuses.values()) == {"added"} and len(statuses) == 5
    (failure,) = next(o for o in report.outcomes if o.source == "big.txt").failures
    assert failure.source == "big.txt"
    assert f"{len(big.encode()):,} bytes" in failure.reason
    assert "limit of 100,000 bytes" in failure.reason and "--max-file-bytes" in failure.reason
    assert SCHEME.graph("big.txt") not in store.named_graphs()
    assert len(store.named_graphs()) >= 5

    # Under the limit it is ingested; grown over it later, the stored version stays.
    assert _by_source(_ingest(folder, store, FileLimits(None, None)))["big.txt"] == "added"
    before = store.count_quads()
    (folder / "big.txt").write_text(big + big, encoding="utf-8")
    report = _ingest(folder, store, FileLimits(max_bytes=300_000, parse_seconds=None))
    assert _by_source(report)["big.txt"] == "failed"
    assert store.count_quads() == before


@pytest.mark.parametrize(
    "workers", [pytest.param(1, id="in-process"), pytest.param(2, id="workers")]
)
def test_a_file_over_the_parse_time_budget_fails_alone(
    tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    if workers > 1:  # the worker-process path, with few files
        monkeypatch.setattr(ingest_module, "PARALLEL_THRESHOLD", 2)
    folder = _profiles(tmp_path, seeds_dir, {"slow.txt": _slow_page(3_000_000)})
    store = KGStore.in_memory()
    report = _ingest(folder, store, FileLimits(max_bytes=None, parse_seconds=0.05), workers)
    statuses = _by_source(report)
    assert statuses.pop("slow.txt") == "failed"
    assert set(statuses.values()) == {"added"} and len(statuses) == 5
    (failure,) = next(o for o in report.outcomes if o.source == "slow.txt").failures
    assert failure.source == "slow.txt" and failure.line > 0
    assert "parse time budget of 0.05 s" in failure.reason
    assert SCHEME.graph("slow.txt") not in store.named_graphs()


def test_the_cli_names_the_file_and_the_limit(tmp_path: Path, seeds_dir: Path) -> None:
    folder = _profiles(tmp_path, seeds_dir, {"big.txt": _slow_page(200_000)})
    store = tmp_path / "store"
    result = CliRunner().invoke(
        main,
        [
            *("ingest", "--store", str(store), "--base-iri", TEST_BASE_IRI, "--no-progress"),
            *("--as-of", SEED_AS_OF.isoformat(), "--no-precompute", "--no-search-index"),
            *("--max-file-bytes", "100000", str(folder)),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{folder / 'big.txt'}:0: file too large" in result.output
    assert "5 added" in result.output and "1 failed" in result.output

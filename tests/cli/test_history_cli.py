"""`kg ingest --dated-crawls`, `--prune-history` and `kg history` (issue 18)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from tests.conftest import TEST_BASE_IRI
from tests.store.test_history import CHANGED, _changed


def _crawls(root: Path, seeds_dir: Path) -> Path:
    for name in ("2026-11-01", "2026-10-01"):  # made out of order: taken by date
        shutil.copytree(seeds_dir, root / "crawls" / name)
    changed = root / "crawls" / "2026-11-01" / CHANGED
    changed.write_text(_changed(changed.read_text(encoding="utf-8")), encoding="utf-8")
    return root / "crawls"


def _kg(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_dated_crawls_are_ingested_in_order_and_history_can_be_dropped(
    tmp_path: Path, seeds_dir: Path
) -> None:
    crawls = _crawls(tmp_path, seeds_dir)
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI)
    code, out = _kg(
        "ingest", "--dated-crawls", str(crawls), *common, "--no-precompute", "--no-search-index"
    )
    assert code == 0, out
    assert "crawl 2026-10-01: 5 added" in out and "crawl 2026-11-01: 0 added, 1 replaced" in out
    code, out = _kg("history", "list", "--store", store)
    assert code == 0 and out.split("\t")[:2] == [CHANGED, "2026-10-01"], out
    code, out = _kg("history", "list", "--store", store, "--format", "json")
    assert code == 0, out
    assert [(r["source"], r["date"]) for r in json.loads(out)] == [(CHANGED, "2026-10-01")]
    assert json.loads(out)[0]["graph"].startswith(f"{TEST_BASE_IRI}graph/_history/")
    code, out = _kg("history", "drop", "--before", "2026-10-02", "--store", store)
    assert code == 0 and "dropped 1 archived snapshot" in out, out
    assert _kg("history", "list", "--store", store) == (0, "")


def test_operator_mistakes_are_one_line(tmp_path: Path, seeds_dir: Path) -> None:
    crawls = _crawls(tmp_path, seeds_dir)
    (crawls / "notes").mkdir()
    store = str(tmp_path / "store")
    for args, says in (
        (("ingest", "--dated-crawls", str(crawls)), "notes"),
        (("ingest", "--dated-crawls", "--as-of", "2026-01-01", str(crawls)), "--as-of"),
        (("ingest", "--prune-history", str(crawls)), "--prune-history needs --prune"),
        (("history", "drop", "--before", "yesterday"), "YYYY-MM-DD"),
    ):
        code, out = _kg(*args, "--store", store)
        assert code == 2 and says in out and "Traceback" not in out, out


def test_the_history_benchmark_runs(tmp_path: Path) -> None:
    """A smoke run of bench/history.py: three crawls, then the last alone in a fresh store."""
    from bench.history import run

    results = run(200, 3, 0.2, 7, tmp_path)
    assert [r.crawl for r in results] == [1, 2, 3, 0]
    assert [r.as_of for r in results] == ["2026-11-21", "2026-12-21", "2027-01-21", "2027-01-21"]
    # Within 2026 an unchanged page is copied byte for byte; the January crawl shows the
    # pages as the site does then (2026's yearless dates with their year): those pages are
    # new copies too, but they show nothing new, so only the changed pages are archived.
    assert results[1].reprinted_files == 0 and results[2].reprinted_files > 0
    assert [r.history_graphs for r in results] == [
        0,
        results[1].changed_files,
        2 * results[1].changed_files,
        0,
    ]
    # What history adds is what the kept snapshots hold, nothing more.
    assert results[2].quads - results[3].quads == results[2].history_quads

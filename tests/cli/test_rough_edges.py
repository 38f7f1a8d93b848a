"""Rough edges of the first hour (issue 14 item 7): one-line errors, folders, no mixing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main


def test_export_to_a_missing_folder_is_one_line(seed_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "x.ttl"
    result = CliRunner().invoke(
        main, ["export", "--store", str(seed_store), "--format", "turtle", "--output", str(target)]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0] and "No such file" in lines[0]
    assert not list(tmp_path.rglob("*.part"))


def test_parse_takes_folders_like_ingest(seeds_dir: Path) -> None:
    files = sorted(seeds_dir.glob("*.txt"))
    result = CliRunner().invoke(
        main, ["parse", str(seeds_dir), "--format", "json", "--as-of", "2026-11-21"]
    )
    assert "Is a directory" not in result.output
    documents = json.loads(result.stdout)
    assert sorted(d["source"] for d in documents) == sorted(f.name for f in files)


def test_generate_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    first = CliRunner().invoke(main, ["generate", "--papers", "20", "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    again = CliRunner().invoke(
        main, ["generate", "--papers", "30", "--out", str(out), "--seed", "1"]
    )
    assert again.exit_code == 1
    assert "not empty" in again.stderr and str(out) in again.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    forced = CliRunner().invoke(main, ["generate", "--papers", "20", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output

"""`kg ingest` precomputes the whole-graph reports of the checkpoint it publishes; `--no-precompute` does not."""

from __future__ import annotations

import gc
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.cli import ingest as ingest_cli
from kg.cli import main
from kg.reports.costs import COSTS, read_costs
from kg.reports.stored import PRECOMPUTED
from kg.store.changes import read_record
from kg.store.embedded import SNAPSHOTS, published_generation
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI


def ingest(folder: Path, source: Path, *extra: str, exit_code: int = 0) -> str:
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
    assert result.exit_code == exit_code, result.output
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
        f"precomputed {len([p for p in files.glob('*.json') if p.name != COSTS]) - 1} "
        "whole-graph report files and the "
        "co-author graph" in result.output
    )


def test_precompute_command_refuses_zero_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["precompute", "--store", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


def test_ingest_lets_go_of_its_data_before_the_precompute(
    tmp_path: Path, seed_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search index is brought up to date first; then what the ingest held for it (the
    triples it wrote) and for itself (its identity resolution) is gone when the report
    workers start, which this process only waits for."""
    from kg.pipeline.identity import IdentityResolution
    from kg.search.ingested import IngestedGraphs

    alive: list[tuple[int, int]] = []
    precompute = ingest_cli._precompute

    def spy(folder: Path, scheme: Any, generation: str | None = None) -> None:
        objects = gc.get_objects()
        alive.append(
            (
                sum(isinstance(o, IngestedGraphs) for o in objects),
                sum(isinstance(o, IdentityResolution) for o in objects),
            )
        )
        precompute(folder, scheme, generation=generation)

    monkeypatch.setattr(ingest_cli, "_precompute", spy)
    folder = tmp_path / "store"
    output = ingest(folder, seed_files[sorted(seed_files)[0]])
    assert alive == [(0, 0)]
    assert (folder / "search").is_dir()
    assert output.index("search index:") < output.index("precomputed")


def test_a_search_index_that_cannot_be_written_leaves_the_reports_precomputed(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    folder = tmp_path / "store"
    first, second = sorted(seed_files)[:2]
    ingest(folder, seed_files[first])
    # The operator's mistake: a file where the index folder is.
    shutil.rmtree(folder / "search")
    (folder / "search").write_text("not an index", encoding="utf-8")
    output = ingest(folder, seed_files[second], exit_code=1)
    assert f"error: search index {folder / 'search'} not updated" in output
    assert "Traceback" not in output
    generation = published_generation(folder)
    assert generation is not None
    assert (folder / PRECOMPUTED / generation / "subjects.rows.json").is_file()


def test_a_second_ingest_finishes_a_precompute_that_was_stopped(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    """An ingest stopped in its precompute (Ctrl-C, a kill: minutes of it at a million papers)
    published its checkpoint; the same ingest run again writes nothing, and still computes the
    files that checkpoint lacks, and only those (it used to leave the server running their
    queries live, with nothing said)."""
    folder = tmp_path / "store"
    source = seed_files[sorted(seed_files)[0]]
    ingest(folder, source, "--no-search-index")
    generation = published_generation(folder)
    files = folder / PRECOMPUTED / str(generation)
    everything = sorted(path.name for path in files.iterdir())
    # What a precompute stopped part-way leaves: files not written yet, a data file cut short
    # under its side file (a crash before the disk had it all), a temporary file.
    for name in ("venues.rows.json", "venues.rows.tsv", "collaboration-path.graph.json"):
        (files / name).unlink()
    with (files / "subjects.rows.tsv").open("r+b") as handle:
        handle.truncate(10)
    # A process id no process has (pid_max is at most 2**22).
    (files / f".organizations.rows.tsv.{2**22 + 1}.tmp").write_bytes(b"half")
    untouched = {
        path.name: path.stat().st_mtime_ns
        for path in files.glob("*.json")
        if not path.name.startswith(("subjects.", "collaboration-path.")) and path.name != COSTS
    }

    output = ingest(folder, source, "--no-search-index")
    assert "0 added, 0 replaced, 1 unchanged" in output
    assert published_generation(folder) == generation
    assert sorted(path.name for path in files.iterdir()) == everything
    assert (files / "subjects.rows.tsv").stat().st_size > 10
    # The files that were there are not computed again.
    assert {name: (files / name).stat().st_mtime_ns for name in untouched} == untouched
    assert set(read_costs(files)) >= {"subjects", "venues", "collaboration-path"}
    assert (
        f"precomputed {len(untouched) + 2} whole-graph report files and the co-author graph "
        f"for checkpoint {generation}" in output
    )
    assert f"({len(untouched)} already there for this checkpoint)" in output

    output = ingest(folder, source, "--no-search-index")
    assert (
        f"the whole-graph reports of checkpoint {generation} are precomputed already "
        f"({len(untouched) + 3} files)" in output
    )


#: ``kg ingest`` in one process whose precompute (in that process: one worker) sends its
#: process group SIGNAL (put in by each test) after writing its third file: SIGKILL as a crash
#: or `kill -9` would, SIGTERM as `systemctl stop` would.
KILLED_IN_PRECOMPUTE = """
import os, signal
import kg.cli.common, kg.reports.precompute
kg.cli.common.os.cpu_count = lambda: 1
real, calls = kg.reports.precompute._write_pair, [0]
def write_pair(*args, **kwargs):
    size = real(*args, **kwargs)
    calls[0] += 1
    if calls[0] == 3:
        os.killpg(os.getpgid(0), SIGNAL)
    return size
kg.reports.precompute._write_pair = write_pair
from kg.cli import main
main(prog_name="kg")
"""


def _stopped_in_its_precompute(
    folder: Path, profiles: Path, seed_files: dict[str, Path], sent: signal.Signals
) -> tuple[str, subprocess.CompletedProcess[bytes]]:
    """Ingest one seed profile, then a second beside it with an ingest sent ``sent`` in its
    precompute: the checkpoint published before, and the stopped run."""
    names = sorted(seed_files)
    profiles.mkdir()
    shutil.copy(seed_files[names[0]], profiles)
    ingest(folder, profiles, "--no-search-index")
    published = published_generation(folder)
    assert published is not None
    shutil.copy(seed_files[names[1]], profiles)
    command = [
        sys.executable,
        "-c",
        KILLED_IN_PRECOMPUTE.replace("SIGNAL", f"signal.{sent.name}"),
        *("ingest", str(profiles), "--store", str(folder), "--base-iri", TEST_BASE_IRI),
        *("--as-of", SEED_AS_OF.isoformat(), "--no-progress", "--no-search-index"),
    ]
    stopped = subprocess.run(command, capture_output=True, start_new_session=True, check=False)
    return published, stopped


def _report_files(checkpoint: Path) -> list[Path]:
    """The side files of a checkpoint's precomputed reports (not the record of their costs)."""
    return [path for path in checkpoint.glob("*.json") if path.name != COSTS]


def _killed_in_its_precompute(folder: Path, profiles: Path, seed_files: dict[str, Path]) -> str:
    """As :func:`_stopped_in_its_precompute` with SIGKILL; the checkpoint published before."""
    published, killed = _stopped_in_its_precompute(folder, profiles, seed_files, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    return published


def test_a_checkpoint_is_published_after_its_reports_and_a_kill_in_them_is_finished_later(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    """Servers keep the published checkpoint, whose reports are precomputed, until the new
    one's are: kg ingest checkpoints, indexes, precomputes, and publishes last. Killed in
    between, it published nothing; run again, it publishes the checkpoint it had made (the
    files are unchanged against the store) with the files it had computed, and computes
    the rest."""
    folder, profiles = tmp_path / "store", tmp_path / "profiles"
    before = _killed_in_its_precompute(folder, profiles, seed_files)
    assert published_generation(folder) == before  # the readers never saw it
    made = [p.name for p in (folder / SNAPSHOTS).iterdir() if p.name > str(before)]
    assert len(made) == 1
    partial = sorted(p.name for p in _report_files(folder / PRECOMPUTED / made[0]))
    assert len(partial) == 3

    output = ingest(folder, profiles, "--no-search-index")
    assert "0 added, 0 replaced, 2 unchanged" in output
    assert published_generation(folder) == made[0]
    assert f"({len(partial)} already there for this checkpoint)" in output
    assert len(_report_files(folder / PRECOMPUTED / made[0])) > len(partial)


def test_after_a_kill_in_the_precompute_a_writing_ingest_keeps_what_readers_have_open(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    """The killed run's checkpoint was never published: the next run that writes makes its
    own, and deletes that one at once, with its reports, but keeps the one servers had open
    until then (it used to delete it, since the never-published one took its place among
    the checkpoints kept). What the next run changed is noted from the killed run's
    checkpoint, whose record says what came before it, not as "anything"."""
    folder, profiles = tmp_path / "store", tmp_path / "profiles"
    served = _killed_in_its_precompute(folder, profiles, seed_files)
    names = sorted(seed_files)
    (abandoned,) = [p.name for p in (folder / SNAPSHOTS).iterdir() if p.name > str(served)]

    shutil.copy(seed_files[names[2]], profiles)
    output = ingest(folder, profiles, "--no-search-index")
    assert "1 added, 0 replaced, 2 unchanged" in output
    published = published_generation(folder)
    assert published not in (served, abandoned)
    assert sorted(p.name for p in (folder / SNAPSHOTS).iterdir()) == [str(served), published]
    assert not (folder / PRECOMPUTED / abandoned).exists()
    record = read_record(folder, str(published))
    assert record is not None
    after, touched = record
    assert after == abandoned and not touched.is_everything


def test_sigterm_in_the_precompute_publishes_the_checkpoint_first(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    """SIGTERM (systemctl stop, timeout) is taken as Ctrl-C: the ingest stops in its
    precompute, publishes its checkpoint (the data is whole) and exits; the next run computes
    the reports it lacks."""
    folder, profiles = tmp_path / "store", tmp_path / "profiles"
    before, stopped = _stopped_in_its_precompute(folder, profiles, seed_files, signal.SIGTERM)
    assert stopped.returncode == 1, stopped.stderr
    assert b"Aborted!" in stopped.stderr and b"Traceback" not in stopped.stderr
    published = published_generation(folder)
    assert published is not None and published != before
    partial = _report_files(folder / PRECOMPUTED / published)
    assert len(partial) == 3
    output = ingest(folder, profiles, "--no-search-index")
    assert f"({len(partial)} already there for this checkpoint)" in output
    assert published_generation(folder) == published

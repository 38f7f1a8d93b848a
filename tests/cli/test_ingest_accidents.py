"""Accidents during kg ingest: a full disk, the main process killed alone (issue 15 item 8)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.pipeline import identity, resolver
from kg.store.embedded import KGStore, published_generation
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI, ingest_into

ROOT = Path(__file__).resolve().parents[2]


def test_a_full_disk_is_one_line_and_the_store_stays_intact(
    tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    first = sorted(seeds_dir.iterdir())[:2]
    ingest_into(store, list(first))
    before = published_generation(store)
    profiles = tmp_path / "profiles"
    shutil.copytree(seeds_dir, profiles)

    def full(self: KGStore, nquads: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(KGStore, "load_new_graphs", full)
    result = CliRunner().invoke(
        main,
        [
            *("ingest", "--store", str(store), "--base-iri", TEST_BASE_IRI, "--no-progress"),
            *("--as-of", SEED_AS_OF.isoformat(), str(profiles)),
        ],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "No space left on device" in lines[0] and "intact" in lines[0]
    assert published_generation(store) == before


def test_a_full_disk_under_pass_1s_temporary_file_is_one_line(
    tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass 1 in its own process cannot write the identity graph to its temporary file (a
    full disk under TMPDIR): one line naming that file, and the store stays as it was."""
    store = tmp_path / "store"
    ingest_into(store, sorted(seeds_dir.iterdir())[:2])
    before = published_generation(store)
    profiles = tmp_path / "profiles"
    shutil.copytree(seeds_dir, profiles)

    def full(out: int, batch: list[str]) -> None:
        raise resolver.IdentityFileError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(resolver, "_write_batch", full)  # the child is forked: it has it
    monkeypatch.setattr(identity, "SEPARATE_THRESHOLD", 1)
    result = CliRunner().invoke(
        main,
        [
            *("ingest", "--store", str(store), "--base-iri", TEST_BASE_IRI, "--no-progress"),
            *("--as-of", SEED_AS_OF.isoformat(), str(profiles)),
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "No space left on device (the identity graph's temporary file)" in lines[0]
    assert "intact" in lines[0]
    assert published_generation(store) == before


def _children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _start_ingest(tmp_path: Path, seeds_dir: Path, *python: str) -> subprocess.Popen[bytes]:
    """``python ... ingest`` (``python``: how to start kg's command) over 60 copies of each seed:
    enough files for worker processes (PARALLEL_THRESHOLD)."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for k in range(60):
        for seed in sorted(seeds_dir.iterdir()):
            shutil.copy(seed, profiles / f"{k:03d}_{seed.name}")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'server'}"}
    return subprocess.Popen(
        [
            *(sys.executable, *python, "ingest", "--store", str(tmp_path / "store")),
            *("--workers", "2", "--no-progress", "--no-precompute", str(profiles)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_alone_and_count_survivors(
    process: subprocess.Popen[bytes], family: list[int]
) -> list[int]:
    """SIGKILL the main process alone (not its group); the pids of ``family`` still alive 10 s
    later (killed then, so that a failing test leaves nothing behind)."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in family):
        time.sleep(0.05)
    survivors = [pid for pid in family if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    return survivors


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_workers_die_with_a_killed_ingest(tmp_path: Path, seeds_dir: Path) -> None:
    process = _start_ingest(tmp_path, seeds_dir, "-m", "kg.cli")
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        workers = _children(process.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.01)
    if process.poll() is not None or len(workers) < 2:
        pytest.fail("the ingest finished before its workers were seen: make the corpus larger")
    assert _kill_alone_and_count_survivors(process, workers) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_the_separate_resolver_and_its_workers_die_with_a_killed_ingest(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """Pass 1 in a process of its own (kg.pipeline.resolver) parses with worker processes of
    its own: the main process killed alone takes all of them with it."""
    script = (
        "import sys, kg.pipeline.identity as m; m.SEPARATE_THRESHOLD = 1; "
        "from kg.cli import main; sys.argv[0] = 'kg'; main()"
    )
    process = _start_ingest(tmp_path, seeds_dir, "-c", script)
    family: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        children = _children(process.pid)
        family = children + [g for c in children for g in _children(c)]
        if len(family) >= 3:  # the resolver and its two parsers
            break
        time.sleep(0.01)
    if process.poll() is not None or len(family) < 3:
        pytest.fail("the ingest finished before its resolver's workers were seen")
    assert _kill_alone_and_count_survivors(process, family) == []

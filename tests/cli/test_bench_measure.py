"""The benchmark's memory sampler: it finds a process tree's peak, and reads the costly PSS
(``smaps_rollup``) only while the tree's RSS could still make a new peak."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.measure import timed

MiB = 1024 * 1024

# A child that touches 300 MiB, holds it, frees it and then idles: the peak is the 300 MiB
# phase, and the idle phase after it can never beat it.
HOLD_THEN_IDLE = """
import time
block = bytearray(300 * 1024 * 1024)
block[::4096] = b"x" * len(block[::4096])
time.sleep(1.0)
del block
time.sleep(1.5)
"""


def test_the_sampler_finds_the_peak_and_skips_pss_once_rss_cannot_beat_it() -> None:
    run = timed([sys.executable, "-c", HOLD_THEN_IDLE])
    assert run.returncode == 0
    # The interpreter's own few MiB on top of the block, nothing of the block missed.
    assert 300 <= run.peak_pss / MiB < 360
    assert run.peak_rss >= run.peak_pss
    assert run.samples > 10
    # Once the block is freed (and while the interpreter starts, below the peak), RSS alone
    # shows that no new peak is possible: PSS is read in fewer samples than RSS.
    assert run.pss_samples < run.samples


# A child whose CPU work is done by processes forked from a multiprocessing forkserver (as
# `kg precompute`'s report workers are): the forkserver is the child's child, reaps the
# workers itself and outlives the child by a moment, by then nobody's child.
FORKSERVER_WORK = """
import multiprocessing, time

def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds

if __name__ == "__main__":
    context = multiprocessing.get_context("forkserver")
    with context.Pool(2) as pool:
        print(sum(pool.map(spin, [0.6, 0.6])))
"""


def test_cpu_of_workers_forked_from_a_forkserver_is_counted(tmp_path: Path) -> None:
    script = tmp_path / "work.py"
    script.write_text(FORKSERVER_WORK)
    run = timed([sys.executable, str(script)])
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1.2"
    # Both workers' 0.6 s, which the command's own process never waits for.
    assert run.cpu_seconds >= 1.1

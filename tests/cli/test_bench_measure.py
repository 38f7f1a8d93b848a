"""The benchmark's memory sampler: it finds a process tree's peak, and reads the costly PSS
(``smaps_rollup``) only while the tree's RSS could still make a new peak."""

from __future__ import annotations

import sys

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

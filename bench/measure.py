"""Measuring tools of the benchmark: process-tree memory, wall time, percentiles, machine load.

Memory of a process tree is sampled from ``/proc`` (every 50 ms or more, below):
the sum over the process and all its descendants of PSS (proportional set size,
from ``smaps_rollup``: a page shared by k processes counts 1/k in each, so
forked workers are not counted twice) and, beside it, the plain sum of RSS.
The peak of the sum is the figure; sampling can miss a spike shorter than the
interval, so the peak is a lower bound (``RUSAGE_CHILDREN``'s max RSS of the
largest single process is recorded as a cross-check).

Reading ``smaps_rollup`` walks a process's page tables: 25-40 ms of CPU for a
1 GB process (measured on 2026-12-06 under load), so at a fixed 50 ms the sampler
of a multi-GB ingest kept one of this machine's two cores busy and slowed what it
measured. It reads PSS only when the tree's RSS (from ``statm``, cheap) exceeds the
PSS peak so far (PSS <= RSS, so no new peak is missed), and it spaces its samples
so that its own CPU stays within a tenth of one core.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of ``values`` (nan for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except OSError:
            continue
        out.extend(int(c) for c in text.split())
    return out


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are alive now."""
    seen = [pid]
    index = 0
    while index < len(seen):
        seen.extend(_children(seen[index]))
        index += 1
    return seen


def _rss(pid: int) -> int:
    """RSS of one process in bytes from ``statm`` (no page-table walk); 0 if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss_rss(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes; (0, 0) if it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith(b"Rss:"):
                    rss = int(line.split()[1]) * 1024
        return pss, rss
    except OSError:
        pass
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        rss = int(fields[1]) * PAGE
        return rss, rss
    except (OSError, IndexError):
        return 0, 0


class TreeMemory(threading.Thread):
    """Samples the memory of a process tree until :meth:`stop`; keeps the peaks."""

    #: The sampler's own CPU, at most this share of one core (module docstring).
    BUDGET = 0.1

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_pss = 0
        self.peak_rss = 0
        self.peak_processes = 0
        self.samples = 0
        self.pss_samples = 0
        #: Every process of the tree seen in a sample: its start time (tells a reused pid).
        self.seen: dict[int, str] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            began = time.thread_time()
            self.sample()
            cost = time.thread_time() - began
            self._halt.wait(max(self.interval, cost * (1 / self.BUDGET - 1)))

    def sample(self) -> None:
        """One reading of the tree: RSS always, PSS only when it could be a new peak."""
        pids = tree(self.pid)
        for pid in pids:
            if pid not in self.seen and (stat := _stat(pid)) is not None:
                self.seen[pid] = stat[1]
        total_rss = sum(_rss(pid) for pid in pids)
        self.samples += 1
        self.peak_rss = max(self.peak_rss, total_rss)
        self.peak_processes = max(self.peak_processes, len(pids))
        if total_rss > self.peak_pss:
            self.pss_samples += 1
            self.peak_pss = max(self.peak_pss, sum(_pss_rss(pid)[0] for pid in pids))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


@dataclass(slots=True)
class Run:
    """One timed child process."""

    seconds: float
    peak_pss: int
    peak_rss: int
    max_single_rss: int
    returncode: int
    stdout: str
    stderr: str
    processes: int = 0
    load: dict[str, float] = field(default_factory=dict)
    #: User + system CPU seconds of the process and the descendants waited for (by it, or by
    #: the bench after adopting them: :func:`_adopt_orphans`).
    cpu_seconds: float = 0.0
    #: Memory readings of the tree, and those of them that read PSS (TreeMemory).
    samples: int = 0
    pss_samples: int = 0


def _max_child_rss() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


#: prctl option: orphaned descendants are re-parented to this process instead of init.
PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans(adopt: bool = True) -> None:
    """Make this process the reaper of its orphaned descendants (Linux), or stop being it, so
    that their CPU reaches ``RUSAGE_CHILDREN``: `kg precompute`'s report workers are forked
    by a multiprocessing forkserver, which outlives the command by a moment and is then
    nobody's child; without this their CPU seconds were never counted."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(adopt), 0, 0, 0)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a process, from ``/proc/PID/stat``; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def _reap(seen: dict[int, str], timeout: float = 10.0) -> None:
    """Wait for the processes of ``seen`` (pid: start time) that became this process's
    children (adopted orphans, such as a forkserver that exits when its client does), so that
    their CPU is counted. A pid given to another process since (its start time differs) is
    left alone."""
    me = os.getpid()
    deadline = time.monotonic() + timeout
    waiting = dict(seen)
    while waiting and time.monotonic() < deadline:
        for pid, started in list(waiting.items()):
            now = _stat(pid)
            if now is None or now[1] != started:
                del waiting[pid]  # gone (reaped by its parent), or the pid is another's now
            elif now[0] == me:
                with contextlib.suppress(ChildProcessError):
                    if os.waitpid(pid, os.WNOHANG)[0] == 0:
                        continue
                del waiting[pid]
            # else: still another process's child (a worker its forkserver will reap)
        if waiting:
            time.sleep(0.05)


def timed(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
) -> Run:
    """Run a command, timing its wall clock and sampling its tree's memory and the machine's load."""
    _adopt_orphans()
    load = LoadWatch()
    load.start()
    before = _max_child_rss()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True
    )
    sampler = TreeMemory(process.pid)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    _reap({pid: t for pid, t in sampler.seen.items() if pid != process.pid})
    _adopt_orphans(False)
    load.stop()
    after = _max_child_rss()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(
        seconds,
        sampler.peak_pss,
        sampler.peak_rss,
        after if after > before else 0,
        process.returncode,
        stdout,
        stderr,
        sampler.peak_processes,
        load.summary(),
        usage.ru_utime + usage.ru_stime - cpu_before,
        sampler.samples,
        sampler.pss_samples,
    )


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class LoadWatch(threading.Thread):
    """The machine's 1-minute load average and CPU busy share over an interval."""

    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[float] = []
        self._halt = threading.Event()
        self._cpu0 = _cpu_times()
        self._cpu1 = self._cpu0

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append(loadavg())
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self._cpu1 = _cpu_times()

    def summary(self) -> dict[str, float]:
        busy = self._cpu1[0] - self._cpu0[0]
        total = self._cpu1[1] - self._cpu0[1]
        samples = self.samples or [loadavg()]
        return {
            "loadavg_min": min(samples),
            "loadavg_median": median(samples),
            "loadavg_max": max(samples),
            "cpu_busy": round(busy / total, 3) if total else float("nan"),
        }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("pyoxigraph", "oxigraph", "rdflib", "granian", "flask"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # not installed
            continue
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_bytes": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "versions": versions,
    }

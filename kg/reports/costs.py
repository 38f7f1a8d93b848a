"""What each precompute task cost when it last ran, and which tasks may run at once.

A precompute runs each whole-graph report in a process of its own (:mod:`kg.reports.precompute`).
At a million papers a few of them hold 1.3-1.9 GB each while the rest hold a few hundred MB,
and two large ones side by side set the whole ingest's peak (3,069 MiB, against 2,769 for
the ingest's own largest process, and 2,049 for the raw bulk loader's). So each task's
process measures itself (CPU seconds, wall seconds, its resident high-water mark) and the
main process records it beside the checkpoint's files (``STORE/reports/<checkpoint>/costs.json``),
and a task starts beside those running only while their peaks add up to no more than the
largest task's (:class:`Admission`): the largest runs alone, small ones share the cores.
The next precompute of the store reads the newest record; the first one learns the sizes as
its tasks end (its first task runs alone). A task whose files are copied from an earlier
checkpoint keeps that checkpoint's figures, and so does a task that computed only some of
its files. A precompute in one process (``--workers 1``) measures nothing and carries the
record as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

resource: ModuleType | None
try:
    import resource
except ImportError:  # pragma: no cover - not POSIX (Windows): no task measures itself
    resource = None

#: The record of a checkpoint's task costs, in its folder of precomputed files.
COSTS = "costs.json"

#: Tasks whose recorded peaks add up to no more than this run side by side whatever the
#: largest is: at 100,000 papers every task peaks at 100-332 MiB (1M: 175-1,891), and on a
#: machine that holds such a store a GiB is not what is short; above it, the largest task's
#: peak bounds.
SIDE_BY_SIDE_MIB = 1024.0

_FORMAT = 1


@dataclass(frozen=True, slots=True)
class TaskCost:
    """One task's process: CPU seconds (all its threads), wall seconds, peak resident MiB
    (its high-water mark, from its start as a fork of the precompute's server process), and
    the checkpoint it was measured on."""

    cpu_seconds: float
    seconds: float
    peak_mib: float
    measured_on: str


def own_cost(started: float, generation: str) -> TaskCost | None:
    """This process's cost since it started (``started``: its ``time.perf_counter()`` then);
    None where the platform does not say (no :mod:`resource`: Windows)."""
    if resource is None:  # pragma: no cover - not POSIX
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss: KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return TaskCost(
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
        seconds=round(time.perf_counter() - started, 3),
        peak_mib=round(peak, 1),
        measured_on=generation,
    )


def read_costs(folder: Path) -> dict[str, TaskCost]:
    """The costs recorded in a checkpoint's folder of precomputed files (none: empty)."""
    try:
        body = json.loads((folder / COSTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(body, dict) or body.get("format") != _FORMAT:
        return {}
    tasks = body.get("tasks")
    costs: dict[str, TaskCost] = {}
    for name, fields in tasks.items() if isinstance(tasks, dict) else ():
        # Advisory: an entry that does not read (edited by hand, an older format) is left out.
        with contextlib.suppress(TypeError, ValueError, KeyError):
            costs[str(name)] = TaskCost(
                float(fields["cpu_seconds"]),
                float(fields["seconds"]),
                float(fields["peak_mib"]),
                str(fields["measured_on"]),
            )
    return costs


def recorded_costs(root: Path, generation: str) -> dict[str, TaskCost]:
    """What the precompute of checkpoint ``generation`` can expect of each task: the
    newest earlier checkpoint's record, overlaid with this checkpoint's own (a precompute
    of it that was stopped part-way). ``root``: the store's folder of precomputed files."""
    expected: dict[str, TaskCost] = {}
    with contextlib.suppress(OSError):
        earlier = sorted(
            (
                e
                for e in root.iterdir()
                if e.is_dir() and e.name < generation and (e / COSTS).is_file()
            ),
            key=lambda e: e.name,
        )
        if earlier:
            expected.update(read_costs(earlier[-1]))
    expected.update(read_costs(root / generation))
    return expected


def write_costs(folder: Path, costs: Mapping[str, TaskCost]) -> None:
    """Add ``costs`` to a checkpoint's record (atomically: a reader sees the old record or
    the new one). Best effort: the record only guides the next precompute's order."""
    if not costs:
        return
    recorded = read_costs(folder)
    if all(recorded.get(name) == cost for name, cost in costs.items()):
        return
    tasks = {name: asdict(cost) for name, cost in {**recorded, **costs}.items()}
    partial = folder / f".{COSTS}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        partial.write_text(json.dumps({"format": _FORMAT, "tasks": tasks}, indent=1), "utf-8")
        os.replace(partial, folder / COSTS)


class Admission:
    """Which task starts next, so that the tasks running at once need no more memory than
    the largest task alone: a task starts when a worker is free and its peak with those of
    the tasks running is at most :attr:`budget`, the largest peak known (recorded for any
    task, copied ones included, or measured by this precompute's tasks as they end), or
    :data:`SIDE_BY_SIDE_MIB` if that is more. A task never measured counts as large as the
    largest known one, and while none is known, the first task runs alone: the first
    precompute of a store learns the sizes from its first task on, the co-author graph,
    among the largest at every size measured (at 10,000 papers every task then runs beside
    another; at a million papers the large ones run one at a time). Where a task cannot
    measure itself (no :mod:`resource`), the tasks run side by side as without a record."""

    def __init__(self, tasks: Iterable[str], workers: int, expected: Mapping[str, TaskCost]):
        self.pending = list(tasks)
        self.workers = max(1, workers)
        self.peaks = {name: cost.peak_mib for name, cost in expected.items()}
        self.running: set[str] = set()
        #: Whether the tasks measure themselves (None from one: the platform cannot say).
        self.measured = True

    @property
    def budget(self) -> float:
        return max(SIDE_BY_SIDE_MIB, max(self.peaks.values(), default=0.0))

    def _peak(self, name: str) -> float | None:
        """A task's peak, or the largest known for one never measured (None: none known)."""
        if name in self.peaks:
            return self.peaks[name]
        return max(self.peaks.values(), default=None)

    def next(self) -> str | None:
        """The next task to start now (taken off the pending ones), or None: wait for one
        running to end (or there is nothing left)."""
        if not self.pending or len(self.running) >= self.workers:
            return None
        chosen: str | None = None
        if not self.running or not self.measured:
            chosen = self.pending[0]
        else:
            held = sum(self._peak(name) or 0.0 for name in self.running)
            for name in self.pending:
                peak = self._peak(name)
                if peak is None:
                    break  # nothing known yet: one at a time until a task has said
                if held + peak <= self.budget:
                    chosen = name
                    break
            if chosen is None:
                return None
        self.pending.remove(chosen)
        self.running.add(chosen)
        return chosen

    def ended(self, name: str, cost: TaskCost | None) -> None:
        """A task ended; ``cost``: what it measured (its peak sizes the tasks to come)."""
        self.running.discard(name)
        if cost is None:
            self.measured = False
        else:
            self.peaks[name] = cost.peak_mib

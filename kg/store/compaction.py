"""When a checkpoint is compacted before it is made (docs/store.md).

Readers open the published checkpoint, which ``Store.backup`` makes of the primary by hard
links and nobody writes to, so RocksDB never compacts it. Each bulk load adds sorted files to
every index of the primary, and their key ranges overlap (terms are keyed by their hashes):
RocksDB merges them in the background, but a checkpoint made before that is over keeps them
unmerged for as long as it is served, and every lookup of every reader probes each of them
(at 100k papers the whole-graph reports took 2.5 times the CPU, at 1M 2-6 times).

So ``kg ingest`` compacts the primary (``Store.optimize()``) before its checkpoint once
:data:`COMPACT_AFTER_LOADS` bulk loads were made since the last compaction. Not after small
writes (a changed profile, a SPARQL update): the keys of even a few quads spread over every
index, so a compaction would rewrite most of the store for them, and RocksDB's own merging
keeps up with such writes. The count is kept in ``DIR/changes/bulk-loads``, so that it
outlives its writer: the loads of one killed before its checkpoint still count.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.store.changes import CHANGES

#: Bulk loads after which a checkpoint is compacted first (RocksDB's own level-0 trigger:
#: four files in the first level of an index).
COMPACT_AFTER_LOADS = 4
#: The count's file, in the store folder's ``changes/``.
COUNT_FILE = "bulk-loads"


@dataclass(frozen=True, slots=True)
class Compaction:
    """One compaction: after how many bulk loads, and what it took (wall and CPU seconds;
    the CPU is the process's, RocksDB's threads included)."""

    loads: int
    seconds: float
    cpu_seconds: float


class BulkLoads:
    """The bulk loads into a store folder's primary since it was last compacted (``folder``
    None: an in-memory store, or a read-only handle, which counts nothing durably)."""

    def __init__(self, folder: Path | None):
        self._path = folder / CHANGES / COUNT_FILE if folder is not None else None
        # The ingest's two loader threads count at once.
        self._lock = threading.Lock()
        self.count = self._read()
        #: The last compaction this handle made, if any (``kg ingest`` reports it).
        self.last: Compaction | None = None

    def _read(self) -> int:
        if self._path is None:
            return 0
        try:
            return int(self._path.read_text(encoding="ascii"))
        except FileNotFoundError:
            return 0
        except (OSError, ValueError):
            return COMPACT_AFTER_LOADS  # unreadable: compacting is the safe side

    @property
    def due(self) -> bool:
        """Whether the next checkpoint should be compacted first."""
        return self.count >= COMPACT_AFTER_LOADS

    def add(self) -> None:
        """Count a bulk load, before it begins (one killed part way counts)."""
        with self._lock:
            self.count += 1
            if self._path is not None:
                self._path.parent.mkdir(exist_ok=True)
                partial = self._path.with_suffix(".tmp")
                partial.write_text(f"{self.count}\n", encoding="ascii")
                os.replace(partial, self._path)  # not synced: a count lost costs a compaction

    def compact(self, store: ox.Store) -> None:
        """Compact the primary ``store`` (every index, to its last level), and count afresh."""
        started, cpu = time.perf_counter(), time.process_time()
        store.optimize()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.last = Compaction(self.count, seconds, cpu)
        with self._lock:  # nothing is left to merge
            self.count = 0
            if self._path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._path.unlink()

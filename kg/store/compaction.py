"""When a checkpoint is compacted before it is made (docs/store.md).

Readers open the published checkpoint, which ``Store.backup`` makes of the primary by hard
links and nobody writes to, so RocksDB never compacts it. Each bulk load adds sorted files to
every index of the primary, and their key ranges overlap (terms are keyed by their hashes):
RocksDB merges them in the background, but a checkpoint made before that is over keeps them
unmerged for as long as it is served, and every lookup of every reader probes each of them
(at 100k papers the whole-graph reports took 2.5 times the CPU, at 1M 2-6 times).

So ``kg ingest`` compacts the primary (``Store.optimize()``) before its checkpoint once the
N-Quads bulk-loaded since the last compaction reach a tenth of the primary's sorted files
(:data:`COMPACT_AFTER_SHARE`). A compaction rewrites the whole store (233 CPU s and as much
disk again, transiently, at a million papers), so a few new profiles in a large store do not
earn one: their files are small, and RocksDB merges them by its own triggers while a writer
holds the store (a later checkpoint holds them merged). (The identity graph, which any new
profile changes, is written by its difference: kg.store.difference.) Not after small writes
either (a changed profile, a SPARQL update): the keys of even a few quads spread over every
index, and RocksDB's own merging keeps up with such writes. What was loaded is kept in
``DIR/changes/bulk-loads``, so that it outlives its writer: the loads of one killed before
its checkpoint still count, and one killed during a load makes the next checkpoint compacted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.store.changes import CHANGES

#: A checkpoint is compacted first once the bulk loads since the last compaction read at
#: least 1 / COMPACT_AFTER_SHARE of the primary's size on disk in N-Quads (the two are
#: about the same size per quad): the compaction, whose cost is the store's size, then costs
#: at most about twice those loads (at a million papers: 233 CPU s against 1,144 for loading
#: the whole store).
COMPACT_AFTER_SHARE = 10
#: A store smaller than this (in sorted files) is compacted after any bulk load: it takes
#: under a second, and a small store's files are mostly each index's fixed overhead, against
#: which the share above means nothing.
ALWAYS_BELOW_BYTES = 64 << 20
#: What was loaded, in the store folder's ``changes/``: ``LOADS BYTES``, and ``unknown``
#: while a load runs (a writer killed then leaves it) or once the record was found unreadable,
#: until a compaction.
COUNT_FILE = "bulk-loads"
_UNKNOWN = "unknown"


def sorted_files_bytes(database: Path) -> int:
    """The size of a RocksDB database's sorted files (what a compaction rewrites)."""
    total = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(database) as entries:
        for entry in entries:
            if entry.name.endswith(".sst") and not entry.name.startswith("bulk-"):
                with contextlib.suppress(FileNotFoundError):
                    total += entry.stat().st_size
    return total


@dataclass(frozen=True, slots=True)
class Compaction:
    """One compaction: after how many bulk loads of how many bytes of N-Quads, of a primary of
    how many bytes, and what it took (wall and CPU seconds; the CPU is the process's, RocksDB's
    threads included)."""

    loads: int
    loaded_bytes: int
    store_bytes: int
    seconds: float
    cpu_seconds: float


class BulkLoads:
    """The bulk loads into a store folder's primary since it was last compacted (``folder``
    None: an in-memory store, or a read-only handle, which counts nothing durably)."""

    def __init__(self, folder: Path | None):
        self._path = folder / CHANGES / COUNT_FILE if folder is not None else None
        # The ingest's two loader threads load at once.
        self._lock = threading.Lock()
        self._running = 0
        #: Loads, and the bytes they read, since the last compaction; ``unknown``: a writer
        #: was killed during one, or the record is unreadable (a compaction is then due).
        self.count, self.loaded_bytes, self.unknown = self._read()
        #: The last compaction this handle made, if any (``kg ingest`` reports it).
        self.last: Compaction | None = None
        #: Compact before the next checkpoint whatever was loaded (``kg compact``).
        self.requested = False
        #: What a second Ctrl-C during a compaction, which ends the process, tells to do next.
        self.after_stop = "the next kg ingest compacts it again and publishes what this one wrote"
        #: Whether Ctrl-C during a compaction lets the checkpoint be made once it ends (``kg
        #: compact``, which publishes it seconds later) rather than raise KeyboardInterrupt.
        self.finish_when_interrupted = False
        #: Whether the last compaction was interrupted (and finished all the same).
        self.interrupted = False

    def _read(self) -> tuple[int, int, bool]:
        if self._path is None:
            return 0, 0, False
        try:
            fields = self._path.read_text(encoding="ascii").split()
            count, loaded = int(fields[0]), int(fields[1])
        except FileNotFoundError:
            return 0, 0, False
        except (OSError, ValueError, IndexError):
            return 1, 0, True  # unreadable (or written before the bytes were kept)
        return count, loaded, fields[2:] == [_UNKNOWN]

    def due(self, database: Path) -> bool:
        """Whether the next checkpoint of the primary ``database`` should be compacted first."""
        if self.requested:
            return True
        if not self.count:
            return False
        if self.unknown:
            return True
        size = sorted_files_bytes(database)
        return size < ALWAYS_BELOW_BYTES or self.loaded_bytes * COMPACT_AFTER_SHARE >= size

    @contextlib.contextmanager
    def loading(self) -> Iterator[Callable[[int], None]]:
        """Around a bulk load: counted before it begins (one killed part way counts, and makes
        the next checkpoint compacted); call what it yields with the bytes it loaded."""
        read = [0]
        with self._lock:
            self.count += 1
            self._running += 1
        try:
            with self._lock:
                self._write()
            yield read.append
        finally:
            with self._lock:
                self._running -= 1
                self.loaded_bytes += sum(read)
                # Not written (a full disk): the record still says unknown, so the next
                # checkpoint is compacted; and the load's own error is the one raised.
                with contextlib.suppress(OSError):
                    self._write()

    def _write(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(exist_ok=True)
        partial = self._path.with_suffix(".tmp")
        unknown = self._running or self.unknown
        state = f"{self.count} {self.loaded_bytes}" + (f" {_UNKNOWN}" if unknown else "")
        partial.write_text(state + "\n", encoding="ascii")
        os.replace(partial, self._path)  # not synced: a count lost costs a compaction

    def compact(self, store: ox.Store, database: Path) -> None:
        """Compact the primary ``store`` (every index, to its last level; its files are in
        ``database``), and count afresh."""
        store_bytes = sorted_files_bytes(database)
        started, cpu = time.perf_counter(), time.process_time()
        interrupted = _run_to_the_end(store.optimize, self.after_stop)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.last = Compaction(self.count, self.loaded_bytes, store_bytes, seconds, cpu)
        with self._lock:  # nothing is left to merge
            self.count, self.loaded_bytes, self.unknown, self.requested = 0, 0, False, False
            if self._path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._path.unlink()
        self.interrupted = interrupted
        if interrupted and not self.finish_when_interrupted:
            raise KeyboardInterrupt  # now, with the compaction counted as done


def _run_to_the_end(call: Callable[[], None], after_stop: str) -> bool:
    """Run ``call``, one native call that cannot be cut short, in a thread, and wait for it
    where Ctrl-C (or SIGTERM, which ``kg ingest`` takes as one) is heard: the first says
    what happens and waits on, a second ends the process at once, as a kill would (a
    compaction is crash-safe), saying ``after_stop``. Returns whether it was interrupted;
    raises what ``call`` raised."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # handed to the waiting thread
            failed.append(error)

    heard = 0

    def on_signal(signum: int, frame: object) -> None:
        nonlocal heard
        heard += 1
        if heard == 1:
            _say(
                "kg: stopping once the store's files are merged (a compaction cannot be cut "
                "short; minutes at a million papers): Ctrl-C again stops at once, safely"
            )
            return
        _say(f"kg: stopped during the compaction; the store is intact: {after_stop}")
        os._exit(130)  # the compaction thread can neither be stopped nor waited for

    # A daemon: if the process ends while it runs, nothing waits for it.
    worker = threading.Thread(target=run, name="kg-compaction", daemon=True)
    # The signals that raise KeyboardInterrupt here are heard by on_signal instead (a handler
    # can only be set in the main thread; one ignored or left to the system stays so).
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            if callable(signal.getsignal(signum)):
                previous[signum] = signal.signal(signum, on_signal)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(1.0)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if failed:
        raise failed[0]
    return heard > 0


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()

"""Queries in worker processes that can be stopped: real timeouts for pyoxigraph.

pyoxigraph has no way to cancel a running query from Python, so a timeout that
frees the CPU must end the process doing the work. Each worker process opens
the newest published checkpoint of the store read-only (see :mod:`kg.store.embedded`)
and answers one request at a time over a pipe. On timeout the worker is
killed (SIGKILL) and replaced, and the caller gets :class:`QueryTimeout`;
the other workers keep answering meanwhile.

Workers also:

* reopen the store when a newer checkpoint is published (an ingest finished);
* cap their address space (``memory_limit_mb``) so that one query cannot take
  the machine's memory;
* drop network access where the OS allows it (a private network namespace),
  as a second line of defence behind the SERVICE/LOAD check of the endpoint;
* end with the process that owns the pool, however it ends: closing the pool (also
  at that process's exit, before multiprocessing's exit handler, whose join has no
  time limit) stops them, SIGTERM then SIGKILL within a bounded wait; and each
  worker watches its owner (a thread waiting on a pidfd), so that an owner killed
  outright takes its workers with it, even one in the middle of a query.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import queue
import select
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing import util as mp_util
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg import errors
from kg.errors import KGError, QueryTimeout, ServiceUnavailable, StoreError
from kg.store.embedded import PUBLISHED, DatasetGraphs, KGStore, published_generation
from kg.store.query import QueryOutcome, QueryRequest, execute

log = logging.getLogger(__name__)

CLONE_NEWNET = 0x40000000
#: How long a request waits for an idle worker before the pool starts another.
GROW_AFTER_SECONDS = 0.15
#: How long a closing pool lets its workers end on SIGTERM before it kills them.
STOP_GRACE_SECONDS = 2.0
#: How long a new worker may take to answer its first message.
START_TIMEOUT_SECONDS = 60.0


def _drop_network() -> bool:
    """Move this process into an empty network namespace (Linux, needs privileges)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.unshare(CLONE_NEWNET) == 0)
    except (OSError, AttributeError):
        return False


def _limit_memory(megabytes: int) -> None:
    if megabytes <= 0:
        return
    import resource

    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(
    conn: Connection,
    folder: str | None,
    isolate_network: bool,
    memory_limit_mb: int,
    nice: int = 0,
    owner: int = 0,
) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the pool's process decides when
    # its workers end (kg serve stops them), and a traceback from each helps nobody.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sandboxed = _drop_network() if isolate_network else False
    if owner:
        _exit_with(owner)
    _limit_memory(memory_limit_mb)
    if nice > 0:
        with contextlib.suppress(OSError):
            os.nice(nice)
    conn.send(("hello", sandboxed))
    store: KGStore | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        generation, request, graphs = message
        try:
            if graphs is not None:  # a dataset read elsewhere, to merge: no store to open
                outcome = execute(None, request, graphs=graphs)
            else:
                if folder is None:
                    raise StoreError("this query worker has no store; the request brought no data")
                if store is None or store.generation != generation:
                    store = None
                    store = KGStore.open_readonly(folder)
                outcome = execute(store, request)
            conn.send(("ok", outcome))
        except KGError as error:
            conn.send(("error", (type(error).__name__, error.detail)))
        except MemoryError:
            conn.send(
                (
                    "error",
                    ("ServiceUnavailable", "the query needed more memory than a query may use"),
                )
            )
        except Exception as error:  # a worker must answer, whatever happened
            conn.send(("error", ("StoreError", f"query failed: {error}")))


def _exit_with(owner: int) -> None:
    """End this process as soon as the process ``owner`` ends, whatever this one is doing.

    The kernel's parent-death signal cannot do it: a worker's parent is the fork server,
    which lives on while any of its children does (each holds its "alive" pipe), so a
    worker in a long query kept the fork server, and itself, alive after its owner was
    killed. A thread waits on the owner's pidfd instead (a poll every half second where
    there is none); pyoxigraph releases the GIL while it evaluates, so the thread runs
    during a query.
    """
    try:
        handle: int | None = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3 or later
        handle = None

    def watch() -> None:
        if handle is not None:
            watcher = select.poll()
            watcher.register(handle, select.POLLIN)
            while not watcher.poll():  # readable once the owner has exited
                pass
        else:
            while _alive(owner):
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="kg-owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: it exists
    return True


@dataclass(slots=True, eq=False)  # compared by identity: kept in a set
class _Worker:
    process: Any
    conn: Connection
    sandboxed: bool = False


class _Processes:
    """The worker processes a pool started and did not stop yet, idle or busy.

    Held by the pool's exit finalizer instead of the pool itself, which stays free to be
    collected (its workers are stopped then too). A worker started after the pool closed
    (a replacement on its way as the server stopped) is stopped by :meth:`add`: left
    running, multiprocessing's exit handler would join it forever, since it would wait
    on its pipe for a request.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: set[_Worker] = set()
        self.closed = False

    def add(self, worker: _Worker) -> bool:
        with self.lock:
            if not self.closed:
                self.live.add(worker)
                return True
        _stop([worker])
        return False

    def discard(self, worker: _Worker) -> None:
        with self.lock:
            self.live.discard(worker)

    def stop(self) -> None:
        with self.lock:
            self.closed = True
            workers, self.live = list(self.live), set()
        _stop(workers)


def _stop(workers: list[_Worker], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM, a shared wait of ``grace`` seconds, then SIGKILL for what is left."""
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.process.terminate()
    deadline = time.monotonic() + grace
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.process.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        with contextlib.suppress(Exception):
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)


class PooledBackend:
    """A pool of killable query worker processes over one store folder, or over no store
    (``folder`` None): then every request brings its data (``graphs`` of :meth:`run`), as
    the merged datasets of an external store do (:class:`kg.store.remote.RemoteBackend`)."""

    def __init__(
        self,
        folder: str | os.PathLike[str] | None,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        isolate_network: bool = True,
        memory_limit_mb: int = 4096,
        acquire_timeout: float | None = None,
        max_workers: int | None = None,
        nice: int = 0,
    ):
        self.folder = Path(folder) if folder is not None else None
        if self.folder is not None and published_generation(self.folder) is None:
            raise StoreError(
                f"no data in store {self.folder}: run `kg ingest PATH --store {self.folder}` first"
            )
        self.timeout = timeout
        self.isolate_network = isolate_network
        self.memory_limit_mb = memory_limit_mb
        # A pool of untrusted queries runs at a lower CPU priority (a higher nice value), so
        # that runaway ones leave the CPU to the HTTP process and the application's own pool.
        self.nice = nice
        self.acquire_timeout = acquire_timeout if acquire_timeout is not None else timeout
        # Workers fork from a clean, single-threaded server process that has
        # already imported pyoxigraph: a new worker starts in milliseconds
        # even while runaway queries keep the CPU busy (a spawned one takes
        # a second then), and no thread of this process is forked.
        self._context = mp.get_context("forkserver")
        self._context.set_forkserver_preload(["kg.store.querypool", "kg.store.query", "pyoxigraph"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = published_generation(self.folder) if self.folder else None
        self._generation_checked = 0.0
        self._pointer_mtime = 0.0
        self._closed = False
        self._processes = _Processes()
        # Before multiprocessing's own exit handler (priority >= 0 runs first), which would
        # otherwise SIGTERM the workers and join each without a time limit.
        self._finalizer = mp_util.Finalize(
            self, _Processes.stop, args=(self._processes,), exitpriority=10
        )
        self.size = max(1, workers)
        # When every worker is busy (runaway queries hold theirs until the
        # timeout), the pool grows up to this many instead of making cheap
        # queries queue behind them; the OS shares the CPU among them.
        self.max_workers = max(self.size, max_workers if max_workers is not None else 2 * self.size)
        self._total = self.size
        for _ in range(self.size):
            self._idle.put(self._start())

    @property
    def sandboxed(self) -> bool:
        """Whether the workers run without network access."""
        workers = list(self._idle.queue)
        return bool(workers) and all(w.sandboxed for w in workers)

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(
                child,
                str(self.folder) if self.folder is not None else None,
                self.isolate_network,
                self.memory_limit_mb,
                self.nice,
                os.getpid(),
            ),
            daemon=True,
            name="kg-query-worker",
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        if not self._processes.add(worker):
            parent.close()
            raise ServiceUnavailable("the query service is shutting down")
        try:
            if not parent.poll(START_TIMEOUT_SECONDS):
                raise ServiceUnavailable("a new query worker did not start in time")
            _hello, sandboxed = parent.recv()
        except BaseException:
            self._processes.discard(worker)
            _stop([worker], grace=0.0)
            parent.close()
            raise
        worker.sandboxed = bool(sandboxed)
        return worker

    def version(self) -> str:
        """The published checkpoint; re-read at most four times a second."""
        now = time.monotonic()
        if self.folder is not None and now - self._generation_checked > 0.25:
            self._generation_checked = now
            try:
                mtime = (self.folder / PUBLISHED).stat().st_mtime
            except OSError:
                mtime = 0.0
            if mtime != self._pointer_mtime:
                self._pointer_mtime = mtime
                self._generation = published_generation(self.folder) or self._generation
        return self._generation or ""

    def refresh(self) -> None:
        """Re-read the published checkpoint on the next query (this process just published one)."""
        self._generation_checked = 0.0
        self._pointer_mtime = -1.0

    def run(
        self,
        request: QueryRequest,
        *,
        timeout: float | None = None,
        graphs: DatasetGraphs | None = None,
    ) -> QueryOutcome:
        """Run ``request`` in a worker, stopped after ``timeout`` seconds; with ``graphs``, on
        the merge of those (see :func:`kg.store.query.execute`) rather than on the store."""
        if self._closed:
            raise ServiceUnavailable("the query service is shutting down")
        limit = timeout if timeout is not None else self.timeout
        started = time.monotonic()
        worker = self._acquire()
        if worker is None:
            raise ServiceUnavailable(
                f"all {self._total} query workers are busy; try again shortly", retry_after=1
            )
        remaining = max(0.05, limit - (time.monotonic() - started))
        try:
            worker.conn.send((self.version(), request, graphs))
            if not worker.conn.poll(remaining):
                self._replace(worker)
                worker = None
                raise QueryTimeout(
                    f"the query ran longer than {limit:g} s and was stopped", timeout_seconds=limit
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as error:
            if worker is not None:
                self._replace(worker)
                worker = None
            raise ServiceUnavailable(
                f"a query worker stopped unexpectedly ({error}); try again"
            ) from error
        finally:
            if worker is not None:
                self._idle.put(worker)
        if status == "ok":
            # The pipe carries untyped pickles: check what came back rather than trust it.
            if isinstance(payload, QueryOutcome):
                return payload
            raise StoreError(f"a query worker answered with a {type(payload).__name__}")
        name, detail = payload
        error_class = getattr(errors, name, StoreError)
        raise error_class(detail)

    def _acquire(self) -> _Worker | None:
        """An idle worker; a new one when all are busy and the pool may grow; None after the wait."""
        try:
            worker = self._idle.get(timeout=GROW_AFTER_SECONDS)
        except queue.Empty:
            pass
        else:
            if self._idle.empty():
                self._grow_in_background()  # warm a spare before the next request needs it
            return worker
        with self._lock:
            grow = self._total < self.max_workers
            if grow:
                self._total += 1
        if grow:
            try:
                return self._start()
            except Exception:  # the machine refused a process: fall back to waiting
                with self._lock:
                    self._total -= 1
        try:
            return self._idle.get(timeout=max(0.0, self.acquire_timeout - GROW_AFTER_SECONDS))
        except queue.Empty:
            return None

    def _grow_in_background(self) -> None:
        with self._lock:
            if self._total >= self.max_workers or self._closed:
                return
            self._total += 1
        threading.Thread(target=self._start_replacement, daemon=True).start()

    def _replace(self, worker: _Worker) -> None:
        self._processes.discard(worker)
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.process.join(timeout=5)
            worker.conn.close()
        # Start the replacement off the request thread: the caller answers now.
        threading.Thread(target=self._start_replacement, daemon=True).start()

    def _start_replacement(self) -> None:
        if self._closed:
            return
        try:
            self._idle.put(self._start())
        except Exception:  # shutting down, or no process could be started: the pool shrinks
            with self._lock:
                self._total -= 1

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        from kg.errors import Forbidden

        raise Forbidden("this server opened the store read-only; updates need a writable store")

    def close(self) -> None:
        """Stop every worker, idle or busy (a request running on one gets ServiceUnavailable)."""
        self._closed = True
        self._finalizer()  # runs _Processes.stop once, here or at exit
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                worker.conn.close()


class LanedBackend:
    """Two pools over one store: the application's own queries and the clients' queries.

    :meth:`run` is the application's lane (reports, linked data, pages: canned queries
    with bound parameters); :attr:`clients` is the lane for query text that clients
    write (``/sparql``, the query page). Runaway client queries can fill their own pool
    but never take a process of the application's, so its pages keep answering
    (issue 15, item 6). :meth:`close` closes both.
    """

    def __init__(self, app: PooledBackend, clients: PooledBackend):
        self.app = app
        self.clients = clients
        self.folder = app.folder

    @property
    def sandboxed(self) -> bool:
        return self.app.sandboxed and self.clients.sandboxed

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        return self.app.run(request, timeout=timeout)

    def version(self) -> str:
        return self.app.version()

    def refresh(self) -> None:
        self.app.refresh()
        self.clients.refresh()

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        self.app.update(text, base_iri=base_iri)

    def close(self) -> None:
        self.app.close()
        self.clients.close()

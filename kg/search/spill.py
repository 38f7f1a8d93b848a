"""Rows of a whole-store read, put aside on disk by the batch that will need them.

A full build reads each kind's entities a batch at a time, in the order of their IRIs
(:func:`kg.search.documents.read_in_batches`). Some values are cheaper to read for the
whole store at once than batch by batch (the authorships' written names: read from the
papers' batches and again from the authors', each authorship was an index seek twice),
but held until their batch comes they would grow with the corpus. A :class:`Spill` takes
them as they are read, ``(key IRI, value)``, writes them to one file per batch of keys
(the batch found from the first IRI of each batch), and gives a batch's back when it comes,
then deletes its file: what it holds in memory is a bounded buffer.
"""

from __future__ import annotations

import marshal
import os
import shutil
import tempfile
from bisect import bisect_right
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: a scratch folder's owner is judged by its process id
    fcntl = None  # type: ignore[assignment]

#: The name of the folder a full build puts rows aside in
#: (:func:`kg.search.documents.read_in_batches`), followed by the building process's id and a
#: random suffix (:func:`remove_killed_builds`).
SCRATCH_PREFIX = ".kg-search-build-"

#: Rows held before they are written to their batches' files.
BUFFER_ROWS = 50_000


class Spill:
    """Rows ``(key, value)`` by batch of a sorted list of keys, in files of ``folder``."""

    def __init__(self, folder: Path, firsts: Sequence[str], *, buffer_rows: int = BUFFER_ROWS):
        """``firsts``: the first key of each batch, sorted (a key before the first is no key
        of any batch, and its rows are dropped)."""
        self.folder = folder
        self.firsts = list(firsts)
        self.buffer_rows = max(1, buffer_rows)
        self._held: dict[int, list[tuple[str, str]]] = {}
        self._count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, key: str, value: str) -> None:
        at = bisect_right(self.firsts, key) - 1
        if at < 0:
            return
        rows = self._held.get(at)
        if rows is None:
            rows = self._held[at] = []
        rows.append((key, value))
        self._count += 1
        if self._count >= self.buffer_rows:
            self.flush()

    def flush(self) -> None:
        """Write the rows held to their batches' files (each a sequence of marshalled lists)."""
        for at, rows in self._held.items():
            with (self.folder / str(at)).open("ab") as out:
                marshal.dump(rows, out)
        self._held.clear()
        self._count = 0

    def take(self, at: int, keys: Collection[str]) -> dict[str, list[str]]:
        """Batch ``at``'s values of ``keys`` (key -> its values, in the order read); the
        batch's file is deleted. Rows of keys not in ``keys`` (in the batch's range, but no
        entity of the kind) are left out."""
        self.flush()
        out: dict[str, list[str]] = {}
        path = self.folder / str(at)
        if not path.exists():
            return out
        with path.open("rb") as source:
            while True:
                try:
                    rows = marshal.load(source)
                except EOFError:
                    break
                for key, value in rows:
                    if key in keys:
                        out.setdefault(key, []).append(value)
        path.unlink()
        return out


#: A file in each scratch folder that its process holds locked (``flock``) for as long as it
#: lives: the kernel lets go of the lock when the process ends, however it ends.
OWNER_LOCK = ".owner"


class ScratchFolder:
    """A temporary folder of rows put aside, in ``parent`` (the index's folder: on the
    store's disk, not the system's temporary folder, which is often memory, a tmpfs),
    named for this process and holding :data:`OWNER_LOCK` locked, so that
    :func:`remove_killed_builds` can tell whether its build still runs. Removed by
    :meth:`cleanup` (or leaving its ``with`` block)."""

    def __init__(self, parent: Path | None):
        self._folder = tempfile.TemporaryDirectory(
            prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent
        )
        self.name = self._folder.name
        self._owner: IO[bytes] | None = None
        if fcntl is not None:
            self._owner = open(Path(self.name) / OWNER_LOCK, "wb")  # noqa: SIM115 (held)
            fcntl.flock(self._owner, fcntl.LOCK_EX)  # a new file: nobody else holds it

    def cleanup(self) -> None:
        if self._owner is not None:
            self._owner.close()
            self._owner = None
        self._folder.cleanup()

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *_: object) -> None:
        self.cleanup()


def remove_killed_builds(folder: Path) -> list[Path]:
    """Remove the folders of rows put aside that builds no longer running left in ``folder``
    (a build killed before it could clean up); a running build's folder is left alone, even
    one of another process (a second build of the same index)."""
    removed = []
    for left in folder.glob(f"{SCRATCH_PREFIX}*"):
        if _owned(left):
            continue
        shutil.rmtree(left, ignore_errors=True)
        removed.append(left)
    return removed


def _owned(left: Path) -> bool:
    """Whether the process that made a scratch folder still runs: it holds its lock. By the
    process id in its name only where there is no lock to ask (a process id is reused: in a
    container, every ``kg ingest`` may be process 1, and a killed one's gigabytes stayed)."""
    lock = left / OWNER_LOCK
    if fcntl is not None and lock.is_file():
        try:
            with open(lock, "rb") as held:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            pass  # unreadable: judged by its name
        else:
            return False
    pid = left.name[len(SCRATCH_PREFIX) :].partition("-")[0]
    return pid.isdigit() and _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

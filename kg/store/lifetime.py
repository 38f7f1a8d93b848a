"""Child processes that die with the process they belong to (issue 15 item 8).

A ``kg ingest`` or ``kg serve`` killed on its own (SIGKILL of the main process only, an
OOM kill) left its worker processes behind: parsers waiting forever for work, HTTP
workers still listening on the port, query processes still holding a store checkpoint.
Each worker asks the kernel for a signal when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG)``), and checks once that the parent did not die before that
request (then nobody would send it).

Also here: :func:`release_memory`, a process handing back what it has freed (the C
library calls of both live in :func:`libc`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import os
import signal

_PR_SET_PDEATHSIG = 1


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, for the calls Python does not wrap (raises OSError where there is
    none to load, and its functions AttributeError where it lacks them)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def release_memory() -> None:
    """Hand what this process has freed back to the system, before it waits for another
    process to do the work (what it keeps counts in the peak of the whole command).

    glibc keeps freed heap pages for later allocations (a page with one small block in use,
    or small blocks not yet merged, stays) and returns them on ``malloc_trim``; a C library
    without it, as on macOS, has nothing to return this way. The cycle collector runs first,
    so that what only it frees is returned too. At 1M papers the ingest's process kept 1.0
    GB of the stored summaries it had let go, while pass 1's process resolved
    (docs/benchmark.md)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError, TypeError):  # TypeError: Windows
        libc().malloc_trim(0)


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child process: be sent ``sig`` when ``parent`` (its parent's pid) exits.

    The kernel's "parent" is the thread that forked this process: fork from a thread
    that lives as long as its process (the main thread, or a server's own loop).
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: nothing to ask
        libc().prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request: too late for it
        os._exit(1)

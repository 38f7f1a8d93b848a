"""Child processes that die with the process they belong to (issue 15 item 8).

A ``kg ingest`` or ``kg serve`` killed on its own (SIGKILL of the main process only, an
OOM kill) left its worker processes behind: parsers waiting forever for work, HTTP
workers still listening on the port, query processes still holding a store checkpoint.
Each worker asks the kernel for a signal when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG)``), and checks once that the parent did not die before that
request (then nobody would send it).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import signal

_PR_SET_PDEATHSIG = 1


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, for the calls Python does not wrap (raises OSError where there is
    none to load, and its functions AttributeError where it lacks them)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child process: be sent ``sig`` when ``parent`` (its parent's pid) exits.

    The kernel's "parent" is the thread that forked this process: fork from a thread
    that lives as long as its process (the main thread, or a server's own loop).
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: nothing to ask
        libc().prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request: too late for it
        os._exit(1)

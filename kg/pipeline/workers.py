"""Worker processes that die with the process that started them (issue 15 item 8).

A ``kg ingest`` killed on its own (SIGKILL of the main process only, an OOM kill)
left its parser processes waiting forever for work. Each worker asks the kernel for
SIGKILL when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``), and checks once
that the parent did not die before that request (then nobody would send it).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a child process: be killed when ``parent`` (its parent's pid) exits."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: nothing to ask
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request: too late for it
        os._exit(1)


def _start(parent: int, initializer: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*args)


def worker_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (then run ``initializer``)."""
    return ProcessPoolExecutor(
        max_workers=workers, initializer=_start, initargs=(os.getpid(), initializer, initargs)
    )

"""Worker processes that die with the process that started them (issue 15 item 8).

A ``kg ingest`` killed on its own (SIGKILL of the main process only, an OOM kill)
left its parser processes waiting forever for work: each worker is killed with its
parent (:func:`kg.store.lifetime.die_with_parent`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from kg.store.lifetime import die_with_parent

__all__ = ["die_with_parent", "worker_pool"]


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

"""Which checkpoints of a store folder (``DIR/snapshots/<gen>``, kg.store.embedded) are kept
when a new one is published: readers open a checkpoint and keep it open until they notice
a newer one, so the one they had stays a while."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

#: Checkpoints younger than this are kept even when superseded, so that a
#: reader that opened one a moment ago can finish its queries.
SNAPSHOT_GRACE_SECONDS = 300
KEEP_SNAPSHOTS = 2


def collect_old_snapshots(snapshots: Path, published: str, previous: str | None) -> None:
    """Delete superseded checkpoints, after ``published`` replaced ``previous``: those made
    since ``previous`` and never published (a writer killed before it published: nobody
    opened them) at once; of the others, all but ``published``, ``previous`` (which readers
    have open until they notice), the newest few and any recent one."""
    names = sorted(p.name for p in snapshots.iterdir() if p.is_dir())
    kept = {published, previous}
    for name in names:
        if name not in kept and (previous is None or name > previous):
            shutil.rmtree(snapshots / name, ignore_errors=True)
    names = [name for name in names if name in kept or (previous is not None and name < previous)]
    now = time.time()
    for name in names[:-KEEP_SNAPSHOTS]:
        if name in kept:
            continue
        path = snapshots / name
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > SNAPSHOT_GRACE_SECONDS:
                shutil.rmtree(path, ignore_errors=True)

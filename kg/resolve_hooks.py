"""Steps that run over the whole store after each ingest (identity resolution).

Kept apart from :mod:`kg.ingest` so that ingest does not depend on any one
resolution strategy: :func:`post_ingest_hooks` lists what the CLI runs.
"""

from __future__ import annotations

from kg.ingest import PostIngestHook


def post_ingest_hooks() -> list[PostIngestHook]:
    """The whole-store steps run after every ingest, in order."""
    return []

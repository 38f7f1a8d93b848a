"""Steps that run over the whole store after each ingest (identity resolution).

Kept apart from :mod:`kg.pipeline.ingest` so that ingest does not depend on any one
resolution strategy: :func:`post_ingest_hooks` lists what the CLI runs.
"""

from __future__ import annotations

import os

from kg.pipeline.ingest import PostIngestHook


def post_ingest_hooks(curation: str | os.PathLike[str] | None = None) -> list[PostIngestHook]:
    """The whole-store steps run after every ingest, in order.

    Identity resolution (:class:`kg.pipeline.identity.IdentityResolution`) also runs
    before mapping, with the curation file ``curation`` (None: no curation).
    """
    from kg.pipeline.identity import IdentityResolution

    return [IdentityResolution(curation)]

"""The typed contract between ingest and identity resolution.

Ingest runs parse -> **resolve** -> map -> load -> **publish**. Resolution needs
evidence across files, so it is a step with three calls, each at its place in
:func:`kg.pipeline.ingest.ingest`:

1. :meth:`ResolutionStep.prepare` before mapping (pass 1 over the files): returns an
   :class:`IdentityPlan`, the keys that mapping uses and the unchanged sources that
   must be mapped again;
2. :meth:`ResolutionStep.render` while the last bulk loads run: prepares what
   :meth:`~ResolutionStep.publish` will write, without touching the store;
3. :meth:`ResolutionStep.publish` after loading: writes the step's own graph (and
   shows it to a :class:`GraphObserver`).

:class:`kg.pipeline.identity.IdentityResolution` is the implementation; another
strategy implements the same three methods.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from kg.identity.records import MentionKeys
from kg.pipeline.limits import FileLimits
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore

__all__ = ["FileToRead", "GraphObserver", "IdentityPlan", "ResolutionStep"]

#: A file ingest reads: (source name, path, SHA-256 the store holds for it or None).
FileToRead = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class IdentityPlan:
    """What ingest needs from the resolution step.

    ``keys`` are the alias-aware keys for mapping (None: the plain keys do);
    ``remap`` names unchanged sources whose graphs the new decisions change;
    ``skipped``: the inputs are those the store's identity graph was made from.
    """

    keys: MentionKeys | None = None
    remap: frozenset[str] = frozenset()
    skipped: bool = False


class ResolutionStep(Protocol):
    """Identity resolution as ingest runs it (see the module docstring)."""

    def prepare(
        self,
        store: KGStore,
        scheme: IriScheme,
        works: Sequence[FileToRead],
        *,
        as_of: date,
        workers: int = 1,
        prune: bool = False,
        limits: FileLimits | None = None,
        kept: Collection[str] = (),
    ) -> IdentityPlan:
        """Before mapping: decide over ``works`` and what the store holds, reading each file
        within ``limits`` (None: the defaults). ``kept``: sources this ingest names whose
        stored copy stays as it is (an older copy of them refused), not read, not removed.
        Never raises for bad input."""
        ...

    def render(self, scheme: IriScheme) -> None:
        """While the last loads run: prepare what :meth:`publish` writes (no store access)."""
        ...

    def publish(
        self, store: KGStore, scheme: IriScheme, observer: GraphObserver | None = None
    ) -> None:
        """After loading: write the step's graph into ``store``, and show it to ``observer``
        when it wrote it whole (else tell it :meth:`GraphObserver.unseen`, if it wrote)."""
        ...


class GraphObserver(Protocol):
    """Sees the graphs an ingest writes (the search index makes its documents from them).

    :meth:`graph` is shown every graph the ingest writes whole (a new source's, the
    resolution step's), :meth:`unseen` every other write (a replaced, removed, redated or
    refused graph, a store that already held graphs): an observer trusts what it saw only
    when nothing was unseen. Called from the ingest's main thread; it must not raise.
    """

    def graph(self, graph: str, lines: Iterable[str]) -> None:
        """``graph``'s N-Triples, one statement a line (its newline at its end, or not),
        taken as they come: ``lines`` is read once, and may be a stream never held whole
        (the identity graph's, read back from its file: about 1 GB at 1M papers)."""
        ...

    def unseen(self, graph: str, why: str) -> None: ...

"""Identity resolution: which listings are one paper, which name strings one person.

The pipeline step between parse and map (parse -> **resolve** -> map -> store).
It is pure: light records in (:class:`SourceSummary`, :class:`Constraint`),
a :class:`Resolution` out. No store, no RDF (:mod:`kg.pipeline.identity` does those).

What it decides, and on what evidence (``docs/identity.md`` has the details):

* **Papers.** Listings with one :func:`~kg.normalize.title_key` are one paper.
  Near-duplicate titles (rapidfuzz) are merged only when the date (same or
  within :attr:`ResolveConfig.paper_max_days`), the visible authors (shared
  surnames) and, where both have one, the abstract agree, and never when one
  profile lists both (a page lists a paper once). Look-alike titles that fail
  a check become ``distinct`` decisions that say which check failed.
* **Authors, by key.** Name keys already fold case, diacritics, hyphens and
  apostrophes. Beyond that, candidate pairs come from blocking on several keys
  (:func:`blocking_keys`) and are scored per block with ``process.cdist``;
  a pair merges when a *name rule* (spacing, order swap, middle name, typo or
  transliteration) holds and the *evidence* (shared papers at the same
  position, shared co-authors, the profile owner's complete author lists) is
  strong enough for that rule. Two names on one author list are never one
  person.
* **Authors, by mention.** An initials form ("J. Smith") may stand for several
  people, so it is resolved per paper: a mention joins the one compatible full
  name that the paper's context supports (the profile that lists it, whose
  owner and other papers count, its co-authors and, when that decides nothing,
  their co-authors two hops out); otherwise it stays its own resource, linked
  as possibly the same where there is some evidence.
* **Ambiguity.** A name whose papers fall into co-author communities that share
  nobody (visible co-authors only: the owner that :mod:`kg.rdf.map` adds to lists
  cut by "et al." is an inference and would connect everything) is flagged.
* **Curation.** ``must-link`` and ``cannot-link`` constraints win over every
  automatic decision.

An existing key (one already in the store, ``pinned``) is preferred as the
canonical key of a cluster, so graphs already loaded stay valid.

The steps (:data:`DEFAULT_STEPS`) are functions ``(Corpus, Resolution) ->
Resolution`` that do not mutate their inputs, so one can be replaced or added.
Where each concern lives:

* :mod:`kg.identity.records` the records in and out (``Listing``, ``Decision``, ...);
* :mod:`kg.identity.names` the name rules; :mod:`kg.identity.blocking` candidate pairs;
* :mod:`kg.identity.corpus` the indexed input; :mod:`kg.identity.clusters` union-find
  with vetoes;
* the steps: :mod:`kg.identity.papers`, :mod:`kg.identity.authors`,
  :mod:`kg.identity.short_forms`, :mod:`kg.identity.ambiguity`;
* this module: :func:`resolve`, which runs them.

Example::

    >>> from datetime import date
    >>> a = Listing("a.txt", 3, "A Study", date(2024, 1, 2), ("John Smith", "Ada Quill"), False)
    >>> b = Listing("b.txt", 5, "A Study", date(2024, 1, 2), ("J. Smith", "Ada Quill"), False)
    >>> res = resolve([SourceSummary("a.txt", "John Smith", False, (a,)),
    ...                SourceSummary("b.txt", None, False, (b,))])
    >>> res.author_key("J. Smith", res.paper_key_of("A Study"))
    'john smith'
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from kg.identity.ambiguity import flag_ambiguous
from kg.identity.authors import merge_author_keys
from kg.identity.blocking import blocking_keys
from kg.identity.corpus import Corpus, Step, build_corpus
from kg.identity.names import name_rule
from kg.identity.papers import merge_papers
from kg.identity.records import (
    ABSTRACT_HEAD,
    Ambiguity,
    Constraint,
    Decision,
    DecisionKind,
    EntityKind,
    Listing,
    MentionKeys,
    Resolution,
    ResolveConfig,
    SourceSummary,
    summarize,
    summarize_apart,
)
from kg.identity.short_forms import attach_initials, attach_short_forms

__all__ = [
    "ABSTRACT_HEAD",
    "DEFAULT_STEPS",
    "Ambiguity",
    "Constraint",
    "Corpus",
    "Decision",
    "DecisionKind",
    "EntityKind",
    "Listing",
    "MentionKeys",
    "Resolution",
    "ResolveConfig",
    "SourceSummary",
    "Step",
    "attach_initials",
    "attach_short_forms",
    "blocking_keys",
    "build_corpus",
    "flag_ambiguous",
    "merge_author_keys",
    "merge_papers",
    "name_rule",
    "resolve",
    "summarize",
    "summarize_apart",
]


#: Two rounds of the author steps: the second sees co-authors as the first resolved them.
DEFAULT_STEPS: tuple[Step, ...] = (
    merge_papers,
    merge_author_keys,
    attach_short_forms,
    merge_author_keys,
    attach_short_forms,
    flag_ambiguous,
)


def resolve(
    sources: Iterable[SourceSummary],
    *,
    pinned_authors: Iterable[str] = (),
    pinned_papers: Iterable[str] = (),
    constraints: Iterable[Constraint] = (),
    config: ResolveConfig | None = None,
    steps: Sequence[Step] = DEFAULT_STEPS,
    blocking: Callable[[str], set[str]] = blocking_keys,
    abstracts: Iterable[tuple[str, Sequence[str]]] = (),
) -> Resolution:
    """Resolve the identities of papers and authors in ``sources``; see the module docstring.

    ``pinned_*`` are keys already in the store (preferred as canonical keys);
    ``constraints`` are curated must-link / cannot-link pairs. Never raises for
    data; a constraint naming an unknown key becomes a warning. ``abstracts``: the abstract
    heads of listings that hold none, per source (:func:`~kg.identity.corpus.build_corpus`).
    """
    with _no_cycle_collection():
        corpus = build_corpus(
            sources,
            pinned_authors=pinned_authors,
            pinned_papers=pinned_papers,
            constraints=constraints,
            config=config,
            blocking=blocking,
            abstracts=abstracts,
        )
        res = Resolution()
        if merge_papers not in steps:
            corpus.paper_of_listing = list(corpus.title_keys)
        for step in steps:
            res = step(corpus, res)
        return _tidy(res)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while resolving.

    Resolution allocates millions of small sets, tuples and dicts that live until it
    returns; each full collection walks all of them again (about a third of the CPU time
    at 1M mentions). It makes no reference cycles that need the collector (reference
    counting frees its memory), so the collector is paused and restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tidy(res: Resolution) -> Resolution:
    """One decision per set of keys (a curated one, else the last step's), mention aliases
    pointing at final keys."""
    last: dict[tuple[str, frozenset[str]], Decision] = {}
    for d in res.decisions:
        slot = (d.entity, frozenset(d.keys))
        held = last.get(slot)
        if (
            held is not None
            and held.kind.startswith("curated")
            and not d.kind.startswith("curated")
        ):
            continue  # a curated decision is the one that stands
        last.pop(slot, None)
        last[slot] = d
    alias = res.author_alias
    mention_alias = {m: alias.get(c, c) for m, c in res.mention_alias.items()}
    return replace(res, decisions=tuple(last.values()), mention_alias=mention_alias)

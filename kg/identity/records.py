"""The records of identity resolution: what it reads and what it decides.

Input: :class:`SourceSummary` (one profile: owner and :class:`Listing` s) and curated
:class:`Constraint` s. Output: a :class:`Resolution` (aliases, :class:`Decision` s,
:class:`Ambiguity` flags), whose :meth:`Resolution.keys` are the picklable
:class:`MentionKeys` that mapping uses. :class:`ResolveConfig` holds every threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from kg.model import PaperEntry, Profile
from kg.normalize import name_key, title_key

#: How much of an abstract resolution keeps (enough to tell two papers apart).
ABSTRACT_HEAD = 300

DecisionKind = Literal[
    "merge", "possibly-same", "distinct", "curated-must-link", "curated-cannot-link"
]
EntityKind = Literal["author", "paper"]


# --- input records ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    """One paper entry of one profile, as resolution sees it."""

    source: str
    line: int
    title: str
    date: date | None
    authors: tuple[str, ...]
    truncated: bool
    abstract: str = ""


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One profile page: its owner and its listings (no metrics, no full abstracts)."""

    source: str
    owner: str | None
    owner_inferred: bool
    listings: tuple[Listing, ...]


def summarize(profile: Profile) -> SourceSummary:
    """The light summary of a parsed profile that resolution needs."""
    return SourceSummary(
        profile.source,
        profile.owner.name,
        profile.owner.inferred,
        tuple(
            Listing(
                profile.source,
                p.line,
                p.title,
                p.date,
                p.authors,
                p.authors_truncated,
                p.abstract[:ABSTRACT_HEAD],
            )
            for p in profile.papers
        ),
    )


def summarize_apart(profile: Profile) -> tuple[SourceSummary, tuple[str, ...]]:
    """:func:`summarize` with the abstract heads apart (the listings hold none): the heads,
    in the order of the listings, are read by one step only and let go after it
    (``abstracts`` of :func:`kg.identity.resolve.resolve`)."""
    listings = tuple(
        Listing(profile.source, p.line, p.title, p.date, p.authors, p.authors_truncated)
        for p in profile.papers
    )
    heads = tuple(p.abstract[:ABSTRACT_HEAD] for p in profile.papers)
    owner = profile.owner
    return SourceSummary(profile.source, owner.name, owner.inferred, listings), heads


@dataclass(frozen=True, slots=True)
class Constraint:
    """A curated constraint: ``must-link`` or ``cannot-link`` two authors (name keys) or papers (title keys)."""

    relation: Literal["must-link", "cannot-link"]
    entity: EntityKind
    a: str
    b: str
    note: str = ""
    origin: str = ""


# --- output records -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """One identity decision with its evidence.

    ``keys`` are the name (or title) keys the decision is about; for a merge the
    first is the canonical key. ``names`` are display forms of the same keys.
    """

    kind: DecisionKind
    entity: EntityKind
    keys: tuple[str, ...]
    names: tuple[str, ...]
    method: str
    score: float
    evidence: tuple[str, ...]

    @property
    def ident(self) -> str:
        """A stable identifier (decision IRIs are minted from it)."""
        return "|".join((self.entity, self.kind, self.method, *sorted(self.keys)))


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A name (canonical author key) whose papers split into disjoint co-author communities."""

    key: str
    name: str
    papers: int
    communities: tuple[tuple[str, ...], ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResolveConfig:
    """Thresholds of the resolution rules (scores are in [0, 1])."""

    #: Smallest title similarity (rapidfuzz ratio) for a paper merge.
    paper_title_min: float = 0.90
    #: Title similarity from which a rejected pair is recorded as "distinct".
    paper_lookalike_min: float = 0.85
    #: Largest date difference (days) between two listings of one paper.
    paper_max_days: int = 31
    #: Smallest abstract similarity when both listings have an abstract.
    paper_abstract_min: float = 0.80
    #: Smallest share of visible surnames in common (of the shorter list).
    paper_author_overlap: float = 0.5
    #: cdist cut-off for name candidates inside a block (0-100).
    name_candidate_cutoff: float = 70.0
    #: Evidence needed per name rule for a key-level merge.
    merge_evidence: Mapping[str, float] = field(
        default_factory=lambda: {
            "spacing": 0.0,
            "order-swap": 0.5,
            "middle-name": 0.75,
            "transliteration": 0.5,
            "typo": 0.5,
            "short-typo": 0.7,
        }
    )
    #: A name without its middle name merges as a whole only if at least this share of its
    #: co-authors (and at least this many) are the fuller name's co-authors.
    middle_containment: float = 0.8
    middle_circle_min: int = 3
    #: Evidence an initials mention needs for the best candidate, and the lead over the next.
    initials_evidence: float = 0.5
    initials_margin: float = 0.25
    #: Weight of one piece of evidence (combined as 1 - prod(1 - w)).
    w_same_slot: float = 0.95
    w_owner_complete: float = 0.95
    w_owner_truncated: float = 0.6
    w_coauthor: float = 0.5
    #: Share of the smaller co-author circle from which shared co-authors count in full.
    coauthor_share: float = 0.3
    #: Two names with at least this many mentions each are merged only if at least this
    #: share of the smaller co-author circle is common to both.
    established_mentions: int = 5
    established_share: float = 0.5
    #: A co-author written as initials that may be one of this author's co-authors
    #: (looked up only for initials that fit at most ``loose_options`` full names).
    w_coauthor_initials: float = 0.3
    loose_options: int = 40
    #: The only full name in the data that the initials fit (never enough on its own) ...
    w_only_candidate: float = 0.3
    #: ... unless few full names carry the surname at all (a name-frequency prior).
    w_only_candidate_rare: float = 0.5
    rare_surname: int = 2
    #: The profile that lists the paper writes the candidate in full on another of its papers
    #: (a profile is one person's publication list: its co-authors recur).
    w_same_profile: float = 0.5
    #: A co-author on this paper has a co-author in common with the candidate (two hops), per
    #: co-author, up to ``two_hop_max``; looked up only for short forms nothing else decides.
    w_two_hop: float = 0.3
    two_hop_max: int = 2
    #: Two full names (an order swap, a transliteration, a typo) written on papers of one
    #: profile, neither being its owner: weaker than for a short form, since both are full names.
    w_same_profile_key: float = 0.3
    #: An order swap of two words of which only one is a family name in the data (of at
    #: least ``family_name_min`` other names): one reading, one name ("Ke Linyou").
    w_one_reading: float = 0.3
    family_name_min: int = 3
    #: Blocks larger than this are not scored (a key that common tells nothing).
    max_block: int = 2000
    #: A title word in more titles than this is too common to block on.
    max_title_df: int = 50
    #: Ambiguity: co-author communities of at least this many papers count, and a name
    #: is flagged when this many remain apart (see flag_ambiguous).
    community_min_papers: int = 3
    communities_needed: int = 2
    #: ... and the largest may hold at most this share of the papers in communities (one
    #: person usually has a core group; several comparable groups are suspect).
    dominant_share: float = 0.65


@dataclass(frozen=True, slots=True)
class MentionKeys:
    """The ``author_key`` / ``paper_key`` callables :func:`kg.rdf.map.profile_ntriples` takes.

    Initials are resolved per paper, so :meth:`author_key` uses the paper whose
    key was asked for last: :func:`kg.rdf.map.profile_ntriples` asks for a paper's
    key and then for its authors' keys (``tests/resolve`` checks this).
    Use one :meth:`bind` per profile. Picklable, so it can be handed to worker
    processes once.
    """

    author_alias: Mapping[str, str]
    paper_alias: Mapping[str, str]
    mention_alias: Mapping[tuple[str, str], str]
    _current: list[str | None] = field(default_factory=lambda: [None], compare=False)

    def bind(self) -> MentionKeys:
        """A copy with its own "current paper" (one per profile)."""
        return MentionKeys(self.author_alias, self.paper_alias, self.mention_alias)

    def paper_key(self, entry: PaperEntry) -> str:
        return self.title_paper_key(entry.title)

    def title_paper_key(self, title: str) -> str:
        """The canonical key of a title; also makes it the current paper."""
        key = title_key(title)
        key = self.paper_alias.get(key, key)
        self._current[0] = key
        return key

    def author_key(self, name: str) -> str:
        key = name_key(name)
        paper = self._current[0]
        if paper is not None and self.mention_alias:
            hit = self.mention_alias.get((paper, key))
            if hit is not None:
                return hit
        return self.author_alias.get(key, key)


@dataclass(frozen=True)
class Resolution:
    """What resolution decided. Maps hold only keys that change."""

    author_alias: Mapping[str, str] = field(default_factory=dict)
    mention_alias: Mapping[tuple[str, str], str] = field(default_factory=dict)
    paper_alias: Mapping[str, str] = field(default_factory=dict)
    decisions: tuple[Decision, ...] = ()
    ambiguous: tuple[Ambiguity, ...] = ()
    warnings: tuple[str, ...] = ()

    def paper_key_of(self, title: str) -> str:
        key = title_key(title)
        return self.paper_alias.get(key, key)

    def author_key(self, name: str, paper_key: str | None = None) -> str:
        """The canonical key of a name written on the paper with canonical key ``paper_key``."""
        key = name_key(name)
        if paper_key is not None:
            hit = self.mention_alias.get((paper_key, key))
            if hit is not None:
                return hit
        return self.author_alias.get(key, key)

    def keys(self) -> MentionKeys:
        return MentionKeys(
            dict(self.author_alias), dict(self.paper_alias), dict(self.mention_alias)
        )

    def count(self, kind: str, entity: str | None = None) -> int:
        return sum(
            1 for d in self.decisions if d.kind == kind and (entity is None or d.entity == entity)
        )

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
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from kg.model import PaperEntry, Profile
from kg.normalize import name_key, title_key

__all__ = [
    "DEFAULT_STEPS",
    "Ambiguity",
    "Constraint",
    "Corpus",
    "Decision",
    "Listing",
    "MentionKeys",
    "Resolution",
    "ResolveConfig",
    "SourceSummary",
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
]

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


# --- names ----------------------------------------------------------------------

#: Given-name spellings that are one name in different transliterations.
TRANSLITERATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "aleksandr alexander aleksander alexandr",
        "alexei alexey aleksei aleksey",
        "andrei andrey",
        "dmitri dmitry dmitrii",
        "evgeny evgenii yevgeny",
        "mikhail mihail",
        "nikolai nikolay",
        "sergei sergey sergej",
        "yuri yury yurii iurii",
        "natalia natalya nataliya",
        "tatiana tatyana",
        "ekaterina yekaterina",
        "mohammed mohammad muhammad mohamed",
        "ahmed ahmad",
        "hussein husain hussain",
        "jurgen juergen",
        "muller mueller",
        "schroder schroeder",
        "gunther guenther",
    )
)
_TRANSLIT: dict[str, int] = {name: i for i, group in enumerate(TRANSLITERATIONS) for name in group}


@lru_cache(maxsize=1 << 20)
def _parts(key: str) -> tuple[tuple[str, ...], str]:
    """(given tokens, surname) of a name key.

    Leading initials keep the rest as the surname ("e van der berg" -> (e,),
    "van der berg"); "smith j r" is read surname-first; otherwise the last
    token is the surname.
    """
    tokens = key.split()
    if len(tokens) < 2:
        return (), key
    if len(tokens[0]) == 1:
        for i, t in enumerate(tokens):
            if len(t) > 1:
                return tuple(tokens[:i]), " ".join(tokens[i:])
        return tuple(tokens[:-1]), tokens[-1]
    if all(len(t) == 1 for t in tokens[1:]):
        return tuple(tokens[1:]), tokens[0]
    return tuple(tokens[:-1]), tokens[-1]


def _signatures(key: str) -> set[tuple[str, str]]:
    """(compact given names, surname) in both orders: names that share one are one name."""
    tokens = key.split()
    if len(tokens) < 2:
        return {("", key)}
    return {("".join(tokens[:-1]), tokens[-1]), ("".join(tokens[1:]), tokens[0])}


def contradicts(a: str, b: str) -> bool:
    """True when two full name keys cannot be one person's names, even through other
    variants ("aisha ali farouk" / "aisha omar farouk", "wei zhang" / "wen zhang")."""
    return not (a == b or name_rule(a, b) is not None or _signatures(a) & _signatures(b))


@lru_cache(maxsize=1 << 20)
def is_initials(key: str) -> bool:
    """True for a name key whose given names are all initials ("j smith", "j r smith", "smith j")."""
    given, surname = _parts(key)
    return bool(given) and len(surname) > 1 and all(len(t) == 1 for t in given)


def _token_variant(a: str, b: str) -> str | None:
    """How two different tokens may be one name token: "typo", "transliteration" or None."""
    ta, tb = _TRANSLIT.get(a), _TRANSLIT.get(b)
    if ta is not None and ta == tb:
        return "transliteration"
    if min(len(a), len(b)) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1:
        # Five-letter tokens one edit apart are often two real names (shuye / shuyue).
        return "typo" if min(len(a), len(b)) >= 6 else "short-typo"
    return None


def name_rule(a: str, b: str) -> str | None:
    """The rule by which two *full* name keys may be one person's name, or None.

    ``"spacing"`` (yi fan zhang / yifan zhang), ``"order-swap"`` (zhang wei /
    wei zhang), ``"middle-name"`` (john r smith / john smith), ``"typo"`` (one
    token one edit apart, both at least 6 letters; ``"short-typo"`` for 5) or ``"transliteration"``
    (aleksandr / alexander). A given name that is a prefix of the other
    (kai / kaipeng) is *not* a rule: those are different names.

    >>> name_rule("kai zheng", "kaipeng zheng") is None
    True
    >>> name_rule("wei lin", "wei liu") is None
    True
    """
    if a == b:
        return None
    ta, tb = a.split(), b.split()
    if "".join(ta) == "".join(tb) and (ta[-1] == tb[-1] or ta[0] == tb[0]):
        return "spacing"  # the same letters, split otherwise inside the given name
    if len(ta) == len(tb) and sorted(ta) == sorted(tb):
        return "order-swap"
    if len(ta) == len(tb):
        for oa, ob in ((ta, tb), (ta, tb[::-1])) if len(ta) == 2 else ((ta, tb),):
            diff = [(x, y) for x, y in zip(oa, ob, strict=True) if x != y]
            if len(diff) == 1:
                rule = _token_variant(*diff[0])
                if rule:
                    return rule
            if len(diff) == 0:
                return "order-swap"
        # middle initial vs middle name: "john r smith" / "john robert smith"
        if len(ta) >= 3 and ta[0] == tb[0] and ta[-1] == tb[-1]:
            mids = list(zip(ta[1:-1], tb[1:-1], strict=True))
            if all(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x, y in mids):
                return "middle-name"
        return None
    short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    if len(short) >= 2 and short[0] == long_[0] and short[-1] == long_[-1]:
        return "middle-name"
    return None


def _lookalike(a: str, b: str, sim: float) -> str | None:
    """Why two keys that no rule joins still look alike (for a "distinct" record), or None.

    ``sim`` is their similarity from blocking, in [0, 1].
    """
    ga, sa = _parts(a)
    gb, sb = _parts(b)
    if sa == sb and ga and gb and ga[0] != gb[0] and ga[0][0] == gb[0][0]:
        x, y = sorted((ga[0], gb[0]), key=len)
        if len(x) > 1 and y.startswith(x):
            return f"the given name {x!r} is a prefix of {y!r}, a different name"
    if sim >= 0.85 and not (sa == sb and ga == gb):
        return "the names differ by a letter or two in a short name, which is a different name"
    return None


def initials_compatible(initials_key: str, full_key: str) -> bool:
    """Can the initials form stand for the full name? ("j r smith" / "john robert smith",
    "e van der berg" / "elizabeth van der berg", "zhang w" / "wei zhang")."""
    gi, si = _parts(initials_key)
    if not gi:
        return False
    letters = "".join(gi)
    surname = si.split()
    tokens = full_key.split()
    n = len(surname)
    if len(tokens) <= n:
        return False
    for given, tail in ((tokens[:-n], tokens[-n:]), (tokens[n:], tokens[:n])):
        if tail != surname:
            continue
        full = "".join(t[0] for t in given)
        if (
            full
            and full[0] == letters[0]
            and (full.startswith(letters) or letters.startswith(full))
        ):
            return True
    return False


def _skeleton(word: str) -> str:
    """A cheap phonetic key: first letter plus the consonants, doubled letters once."""
    if not word:
        return ""
    out = [word[0]]
    for ch in word[1:]:
        if ch in "aeiouyhw":
            continue
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)


def blocking_keys(key: str) -> set[str]:
    """The blocking keys of a full name key; two names are compared if they share one.

    Several keys, so that one typo does not hide a pair: the compact and
    token-sorted forms (spacing, order swaps: every pair in these blocks is a
    candidate), the first given name with the surname's first two letters or
    with a phonetic skeleton of the surname (a typo in the surname), and the
    surname with the first given name's first two letters (a typo in the given
    name, a dropped middle name). Two more keep pairs that differ early in the
    given name: the surname with the given name's first and last letters (a typo
    in its second letter: qinyuan / qniyuan) and, for a given name with several
    transliterations, the surname with that name's group (yuri / iurii,
    mohammed / muhammad). Initials are not blocked here: they are matched per
    paper (:func:`attach_short_forms`).

    >>> sorted(blocking_keys("wei zhang"))
    ['c:weizhang', 'e:zhang|wi', 'f:zhang|we', 'g:wei|zh', 'p:wei|zng', 's:weizhang']
    """
    tokens = key.split()
    out = {"c:" + "".join(tokens), "s:" + "".join(sorted(tokens))}
    if len(tokens) < 2:
        return out
    given, surname = _parts(key)
    first = given[0]
    out.add(f"g:{first}|{surname[:2]}")
    out.add(f"f:{surname}|{first[:2]}")
    out.add(f"p:{first}|{_skeleton(surname)}")
    out.add(f"e:{surname}|{first[0]}{first[-1]}")
    group = _TRANSLIT.get(first)
    if group is not None:
        out.add(f"t:{surname}|{group}")
    return out


def single_blocking_key(key: str) -> set[str]:
    """The one-key baseline the issue measured: surname plus first initial."""
    given, surname = _parts(key)
    return {f"i:{given[0][0] if given else ''}|{surname}"}


# --- the corpus -----------------------------------------------------------------


class _UnionFind:
    """Union-find over ints, with a veto on each union."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root


@dataclass
class Corpus:
    """The indexed input of resolution (built once by :func:`build_corpus`).

    Listings are numbered 0..n-1; name keys are numbered too (``keys``), and
    each listing's visible authors are key numbers (``authors``).
    """

    sources: tuple[SourceSummary, ...]
    listings: list[Listing]
    listing_source: list[int]
    title_keys: list[str]
    keys: list[str]
    key_index: dict[str, int]
    authors: list[tuple[int, ...]]
    owner: list[int]  # per source: owner key number or -1
    mentions_of: list[list[int]]  # per key: listing numbers
    display: list[str]  # per key: the most frequent written form
    pinned_authors: frozenset[str]
    pinned_papers: frozenset[str]
    constraints: tuple[Constraint, ...]
    config: ResolveConfig
    blocking: Callable[[str], set[str]] = blocking_keys
    #: Filled by merge_papers: the canonical paper key of each listing.
    paper_of_listing: list[str] = field(default_factory=list)
    #: Candidate pairs of full-name keys with similarity and name rule, computed once.
    name_pairs: dict[tuple[int, int], tuple[float, str | None]] | None = None
    #: Per canonical paper key, its listings (computed once).
    listings_of_paper: dict[str, list[int]] | None = None
    #: Per surname, how many distinct full-name keys carry it.
    surname_count: dict[str, int] = field(default_factory=dict)
    #: Per set of name words (order ignored), how many distinct keys are made of it.
    word_sets: dict[str, int] = field(default_factory=dict)


def build_corpus(
    sources: Iterable[SourceSummary],
    *,
    pinned_authors: Iterable[str] = (),
    pinned_papers: Iterable[str] = (),
    constraints: Iterable[Constraint] = (),
    config: ResolveConfig | None = None,
    blocking: Callable[[str], set[str]] = blocking_keys,
) -> Corpus:
    """Index summaries for resolution (name and title keys computed once per distinct string).

    Sources are taken in the order of their names and listings in the order of their
    titles, so that the outcome does not depend on where the summaries came from
    (files or the store) nor on the order they came in.
    """
    srcs = tuple(
        replace(src, listings=tuple(sorted(src.listings, key=_listing_order)))
        for src in sorted(sources, key=lambda s: s.source)
    )
    listings: list[Listing] = []
    listing_source: list[int] = []
    title_keys: list[str] = []
    keys: list[str] = []
    key_index: dict[str, int] = {}
    by_name: dict[str, int] = {}
    by_title: dict[str, str] = {}
    authors: list[tuple[int, ...]] = []
    written: list[Counter[str]] = []
    owners: list[int] = []

    def key_of(name: str) -> int:
        hit = by_name.get(name)
        if hit is None:
            k = name_key(name)
            hit = key_index.get(k)
            if hit is None:
                hit = key_index[k] = len(keys)
                keys.append(k)
                written.append(Counter())
            by_name[name] = hit
        return hit

    for s_index, src in enumerate(srcs):
        owners.append(key_of(src.owner) if src.owner else -1)
        if src.owner:
            written[owners[-1]][src.owner] += 1
        for listing in src.listings:
            listings.append(listing)
            listing_source.append(s_index)
            tk = by_title.get(listing.title)
            if tk is None:
                tk = by_title[listing.title] = title_key(listing.title)
            title_keys.append(tk)
            ids = []
            for name in listing.authors:
                k = key_of(name)
                written[k][name] += 1
                ids.append(k)
            authors.append(tuple(ids))
    mentions_of: list[list[int]] = [[] for _ in keys]
    for j, listed in enumerate(authors):
        for k in listed:
            mentions_of[k].append(j)
    display = [
        min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else k
        for c, k in zip(written, keys, strict=True)
    ]
    surname_count: Counter[str] = Counter()
    for key in keys:
        if " " in key and not is_initials(key):
            tokens = key.split()
            surname_count[tokens[-1]] += 1
            if len(tokens) > 2:  # "van der berg": the particle surname too
                surname_count[" ".join(tokens[1:])] += 1
    corpus = Corpus(
        srcs,
        listings,
        listing_source,
        title_keys,
        keys,
        key_index,
        authors,
        owners,
        mentions_of,
        display,
        frozenset(pinned_authors),
        frozenset(pinned_papers),
        tuple(constraints),
        config or ResolveConfig(),
        blocking,
    )
    corpus.surname_count = dict(surname_count)
    corpus.word_sets = dict(Counter(_word_set(k) for k in keys))
    return corpus


def _word_set(key: str) -> str:
    return " ".join(sorted(key.split()))


Step = Callable[[Corpus, Resolution], Resolution]


def _listing_order(listing: Listing) -> tuple[str, str, tuple[str, ...], bool]:
    return (
        listing.title,
        listing.date.isoformat() if listing.date else "",
        listing.authors,
        listing.truncated,
    )


# --- step 1: papers ----------------------------------------------------------------

_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "with",
        "without",
        "towards",
        "toward",
    ]
)


def _content(tk: str) -> list[str]:
    return [t for t in tk.split() if t not in _STOP and len(t) > 1]


def _surnames(corpus: Corpus, listing: int) -> set[str]:
    out = set()
    for k in corpus.authors[listing]:
        given, surname = _parts(corpus.keys[k])
        out.add(surname)
        if given and len(given[0]) > 1:
            out.add(given[0])  # an order swap keeps one of the two
    return out


def _blocks(
    items: Sequence[str], keys_of: Callable[[str], Iterable[str]], cap: int
) -> Iterator[tuple[str, list[int]]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        for b in keys_of(item):
            blocks[b].append(i)
    for key, members in blocks.items():
        if 1 < len(members) <= cap:
            yield key, members


#: Blocks up to this size are scored pair by pair, larger ones with process.cdist.
SMALL_BLOCK = 6
#: Blocking keys that are equal forms (compact, token-sorted) or one given name in another
#: transliteration (iurii / yuri): every pair in such a block is a candidate, whatever its
#: character-level score.
EXACT_BLOCKS = ("c:", "s:", "t:")


def _pairs_from_blocks(
    items: Sequence[str],
    keys_of: Callable[[str], Iterable[str]],
    cutoff: float,
    cap: int,
    scorer: Callable[..., float] = fuzz.ratio,
) -> dict[tuple[int, int], float]:
    """Candidate pairs (i < j) with their ``scorer`` score in [0, 1], block by block.

    Each block is scored with rapidfuzz's vectorised ``process.cdist`` (a pair
    of two with one call); no pair outside a shared block is ever scored.
    """
    pairs: dict[tuple[int, int], float] = {}
    for key, members in _blocks(items, keys_of, cap):
        strings = [items[i] for i in members]
        if key.startswith(EXACT_BLOCKS):
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    i, j = sorted((members[x], members[y]))
                    exact = (
                        max(fuzz.ratio(strings[x], strings[y]), scorer(strings[x], strings[y]))
                        / 100
                    )
                    pairs[(i, j)] = max(pairs.get((i, j), 0.0), exact)
            continue
        if len(members) <= SMALL_BLOCK:  # a few direct calls beat cdist's set-up
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    score = scorer(strings[x], strings[y], score_cutoff=cutoff)
                    if score:
                        i, j = sorted((members[x], members[y]))
                        pairs[(i, j)] = max(pairs.get((i, j), 0.0), score / 100.0)
            continue
        matrix = process.cdist(
            strings, strings, scorer=scorer, score_cutoff=cutoff, dtype=np.uint8, workers=1
        )
        rows, cols = np.nonzero(np.triu(matrix, 1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = members[r], members[c]
            if i > j:
                i, j = j, i
            pairs[(i, j)] = max(pairs.get((i, j), 0.0), matrix[r, c] / 100.0)
    return pairs


def merge_papers(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 1: near-duplicate titles confirmed by date, authors and abstract become one paper."""
    cfg = corpus.config
    nodes: dict[str, list[int]] = defaultdict(list)
    for j, tk in enumerate(corpus.title_keys):
        nodes[tk].append(j)
    tks = sorted(nodes)
    node_of = {tk: i for i, tk in enumerate(tks)}
    df: Counter[str] = Counter()
    contents = [_content(tk) for tk in tks]
    for toks in contents:
        df.update(set(toks))

    def title_blocks(tk: str) -> list[str]:
        # Two halves, each with the initials of the other: one misspelt word breaks
        # one key, not both. Plus the two rarest words (a word added or dropped).
        toks = contents[node_of[tk]]
        if not toks:
            return []
        half = (len(toks) + 1) // 2
        head, tail = toks[:half], toks[half:]
        out = [
            "a:" + " ".join(head) + "|" + "".join(t[0] for t in tail),
            "b:" + "".join(t[0] for t in head) + "|" + " ".join(tail),
        ]
        rare = sorted(set(toks), key=lambda t: (df[t], t))[:2]
        out.extend("r:" + t for t in rare if df[t] <= cfg.max_title_df)
        return out

    cutoff = 100 * min(cfg.paper_lookalike_min, cfg.paper_title_min)
    block_keys = {tk: title_blocks(tk) for tk in tks}
    pairs = _pairs_from_blocks(tks, block_keys.__getitem__, cutoff, cfg.max_block)
    # One title's words inside the other's ("Towards a Unified View of X" / "X: A Unified
    # View of ..."): never merged, but recorded as distinct with the reason.
    contained = _pairs_from_blocks(
        tks,
        lambda tk: [b for b in block_keys[tk] if b.startswith("r:")],
        90,
        cfg.max_block,
        fuzz.token_set_ratio,
    )
    for pair in contained.keys() - pairs.keys():
        pairs[pair] = fuzz.ratio(tks[pair[0]], tks[pair[1]]) / 100.0

    sources_of = [frozenset(corpus.listing_source[j] for j in nodes[tk]) for tk in tks]
    uf = _UnionFind(len(tks))
    cluster_sources: dict[int, frozenset[int]] = dict(enumerate(sources_of))
    members: dict[int, list[int]] = {}
    forbidden: dict[int, set[int]] = defaultdict(set)
    decisions: list[Decision] = []
    warnings: list[str] = list(res.warnings)

    def union(a: int, b: int, force: bool = False) -> bool:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return True
        group_a, group_b = members.get(ra, [ra]), members.get(rb, [rb])
        if not force and (
            cluster_sources[ra] & cluster_sources[rb]
            or forbidden.get(ra, set()).intersection(group_b)
            or forbidden.get(rb, set()).intersection(group_a)
        ):
            return False
        uf.parent[rb] = ra
        members[ra] = group_a + group_b
        members.pop(rb, None)
        cluster_sources[ra] = cluster_sources[ra] | cluster_sources[rb]
        if rb in forbidden:
            forbidden[ra] |= forbidden.pop(rb)
        return True

    # Curated constraints first: they win.
    for c in corpus.constraints:
        if c.entity != "paper":
            continue
        a, b = node_of.get(c.a), node_of.get(c.b)
        if a is None or b is None:
            warnings.append(
                f"{c.origin}: {c.relation} names a paper not in the data "
                f"({c.a if a is None else c.b!r})"
            )
            continue
        kind: DecisionKind = (
            "curated-must-link" if c.relation == "must-link" else "curated-cannot-link"
        )
        if c.relation == "must-link":
            union(a, b, force=True)
        else:
            if uf.find(a) == uf.find(b):
                warnings.append(f"{c.origin}: cannot-link between two listings of one title key")
                continue
            forbidden[uf.find(a)].add(b)
            forbidden[uf.find(b)].add(a)
        decisions.append(
            Decision(
                kind,
                "paper",
                (tks[a], tks[b]),
                (corpus.listings[nodes[tks[a]][0]].title, corpus.listings[nodes[tks[b]][0]].title),
                "curated",
                1.0,
                _curation_evidence(c),
            )
        )

    candidates: list[tuple[float, int, int, list[str], bool]] = []
    for (a, b), sim in pairs.items():
        ok, score, evidence = _paper_evidence(
            corpus, nodes[tks[a]], nodes[tks[b]], sim, sources_of[a] & sources_of[b]
        )
        if ok and sim >= cfg.paper_title_min:
            candidates.append((score, a, b, evidence, True))
        elif sim >= cfg.paper_lookalike_min or ok:
            candidates.append((score, a, b, evidence, False))
        else:
            set_sim = fuzz.token_set_ratio(tks[a], tks[b]) / 100.0
            note = f"the words of one title are nearly all in the other ({set_sim:.2f})"
            candidates.append((score, a, b, [*evidence, note], False))
    candidates.sort(key=lambda c: (-c[0], tks[c[1]], tks[c[2]]))
    merged_pairs: list[tuple[int, int, float, list[str]]] = []
    for score, a, b, evidence, mergeable in candidates:
        if mergeable and union(a, b):
            merged_pairs.append((a, b, score, evidence))
        elif uf.find(a) != uf.find(b):
            title_a = corpus.listings[nodes[tks[a]][0]].title
            title_b = corpus.listings[nodes[tks[b]][0]].title
            if mergeable:
                evidence = [
                    *evidence,
                    "kept apart: merging would put two listings of one profile, "
                    "or a curated cannot-link, into one paper",
                ]
            decisions.append(
                Decision(
                    "distinct",
                    "paper",
                    (tks[a], tks[b]),
                    (title_a, title_b),
                    "title-similarity",
                    round(score, 3),
                    tuple(evidence),
                )
            )

    # Canonical key per cluster: a pinned key, then the most listed, then the smallest.
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(tks)):
        clusters[uf.find(i)].append(i)
    alias: dict[str, str] = dict(res.paper_alias)
    canonical_of: dict[int, str] = {}
    for root, group in clusters.items():
        best = min(
            group, key=lambda i: (tks[i] not in corpus.pinned_papers, -len(nodes[tks[i]]), tks[i])
        )
        canonical_of[root] = tks[best]
        for i in group:
            if i != best:
                alias[tks[i]] = tks[best]
    for a, b, score, evidence in merged_pairs:
        canon = canonical_of[uf.find(a)]
        variant = tks[b] if tks[a] == canon else tks[a]
        decisions.append(
            Decision(
                "merge",
                "paper",
                (canon, variant),
                (corpus.listings[nodes[canon][0]].title, corpus.listings[nodes[variant][0]].title),
                "near-duplicate-title",
                round(score, 3),
                tuple(evidence),
            )
        )
    corpus.paper_of_listing = [alias.get(tk, tk) for tk in corpus.title_keys]
    return replace(
        res, paper_alias=alias, decisions=res.decisions + tuple(decisions), warnings=tuple(warnings)
    )


def _curation_evidence(c: Constraint) -> tuple[str, ...]:
    where = f"curated in {c.origin}" if c.origin else "curated"
    return (f"{where}: {c.note}",) if c.note else (where,)


def _paper_evidence(
    corpus: Corpus, la: list[int], lb: list[int], sim: float, shared_sources: frozenset[int]
) -> tuple[bool, float, list[str]]:
    """Do two title keys' listings confirm one paper? (ok, score, evidence)."""
    cfg = corpus.config
    evidence = [f"titles {sim:.2f} similar"]
    ok = True
    if shared_sources:
        names = ", ".join(sorted(corpus.sources[s].source for s in shared_sources))
        evidence.append(f"both listed by the profile {names} (a profile lists a paper once)")
        ok = False
    da = [corpus.listings[j].date for j in la if corpus.listings[j].date]
    db = [corpus.listings[j].date for j in lb if corpus.listings[j].date]
    days = min((abs((x - y).days) for x in da for y in db), default=None)  # type: ignore[operator]
    if days is None:
        evidence.append("no date to compare")
        ok = False
        date_score = 0.0
    elif days <= cfg.paper_max_days:
        evidence.append("same date" if days == 0 else f"dates {days} days apart")
        date_score = 1.0 - days / (2 * cfg.paper_max_days)
    else:
        evidence.append(f"dates {days} days apart")
        ok = False
        date_score = 0.0
    sa = set().union(*(_surnames(corpus, j) for j in la))
    sb = set().union(*(_surnames(corpus, j) for j in lb))
    shared = sa & sb
    smaller = min(len(sa), len(sb)) or 1
    overlap = len(shared) / smaller
    if overlap >= cfg.paper_author_overlap and shared:
        evidence.append(f"authors in common (name tokens): {', '.join(sorted(shared)[:5])}")
    else:
        evidence.append(
            "no shared author"
            if not shared
            else f"few shared author surnames ({len(shared)} of {smaller})"
        )
        ok = False
    aa = next((corpus.listings[j].abstract for j in la if corpus.listings[j].abstract), "")
    ab = next((corpus.listings[j].abstract for j in lb if corpus.listings[j].abstract), "")
    abstract_score = 1.0
    if aa and ab:
        n = min(len(aa), len(ab), ABSTRACT_HEAD)
        abstract_score = fuzz.ratio(aa[:n], ab[:n]) / 100.0
        if abstract_score >= cfg.paper_abstract_min:
            evidence.append(f"abstracts agree ({abstract_score:.2f})")
        else:
            evidence.append(f"abstracts differ ({abstract_score:.2f})")
            ok = False
    score = sim * (0.5 + 0.5 * date_score) * (0.5 + 0.5 * min(1.0, overlap)) * abstract_score
    return ok, min(1.0, score if ok else sim * 0.5), evidence


# --- step 2: authors, by key -------------------------------------------------------


def _canonical_authors(corpus: Corpus, res: Resolution) -> list[tuple[str, ...]]:
    """Per listing, the canonical author key of each visible author under ``res``."""
    keys, alias, by_mention = corpus.keys, res.author_alias, res.mention_alias
    out: list[tuple[str, ...]] = []
    for j, ids in enumerate(corpus.authors):
        if by_mention:
            paper = corpus.paper_of_listing[j]
            out.append(
                tuple(by_mention.get((paper, keys[k])) or alias.get(keys[k], keys[k]) for k in ids)
            )
        else:
            out.append(tuple(alias.get(keys[k], keys[k]) for k in ids))
    return out


@dataclass
class _KeyFacts:
    """What one name key's mentions say (computed on demand)."""

    slots: dict[str, set[int]]  # canonical paper -> positions
    coauthors: set[str]  # canonical keys of the visible co-authors
    sources: set[int]


class _Facts:
    """Lazily computed facts per name key, with co-authors in canonical form."""

    def __init__(
        self, corpus: Corpus, canonical: list[tuple[str, ...]], alias: Mapping[str, str]
    ) -> None:
        self.corpus = corpus
        self.canonical = canonical
        self.alias = alias
        self.cache: dict[int, _KeyFacts] = {}
        self.members: dict[str, list[int]] | None = None

    def __call__(self, k: int) -> _KeyFacts:
        hit = self.cache.get(k)
        if hit is None:
            corpus = self.corpus
            slots: dict[str, set[int]] = defaultdict(set)
            coauthors: set[str] = set()
            sources: set[int] = set()
            for j in corpus.mentions_of[k]:
                ids = corpus.authors[j]
                pos = ids.index(k)
                slots[corpus.paper_of_listing[j]].add(pos)
                names = self.canonical[j]
                coauthors.update(names[:pos])
                coauthors.update(names[pos + 1 :])
                source = corpus.listing_source[j]
                sources.add(source)
                owner = corpus.owner[source]
                if owner >= 0 and owner != k and corpus.listings[j].truncated:
                    coauthors.add(self.owner_key(owner))  # an author, hidden by "et al."
            hit = self.cache[k] = _KeyFacts(dict(slots), coauthors, sources)
        return hit

    def neighbours(self, entity: str) -> set[str]:
        """The visible co-authors of the author ``entity`` (a canonical key), over all its names."""
        if self.members is None:
            members: dict[str, list[int]] = defaultdict(list)
            for k, key in enumerate(self.corpus.keys):
                members[self.alias.get(key, key)].append(k)
            self.members = dict(members)
        out: set[str] = set()
        for k in self.members.get(entity, ()):
            out |= self(k).coauthors
        return out

    def owner_key(self, owner: int) -> str:
        key = self.corpus.keys[owner]
        return self.alias.get(key, key)


def _combine(weights: Iterable[float]) -> float:
    rest = 1.0
    for w in weights:
        rest *= 1.0 - w
    return 1.0 - rest


def _pair_evidence(
    corpus: Corpus, a: int, b: int, facts: _Facts, alias: Mapping[str, str]
) -> tuple[bool, float, list[str], float]:
    """(conflict, evidence score, evidence, co-author share) for two name keys being one person.

    The share is the part of the smaller co-author circle that the two have in common.
    """
    cfg = corpus.config
    fa, fb = facts(a), facts(b)
    weights: list[float] = []
    evidence: list[str] = []
    same_slot = 0
    for paper, positions in fa.slots.items():
        theirs = fb.slots.get(paper)
        if theirs is None:
            continue
        if positions == theirs:
            same_slot += 1
        else:
            return True, 0.0, [f"both on the author list of one paper ({paper[:60]!r})"], 0.0
    if same_slot:
        weights.append(cfg.w_same_slot)
        evidence.append(
            f"written at the same position of {same_slot} paper(s) listed by different profiles"
        )
    selves = {alias.get(corpus.keys[a], corpus.keys[a]), alias.get(corpus.keys[b], corpus.keys[b])}
    shared = (fa.coauthors & fb.coauthors) - selves
    if shared:
        # Two established names (many co-authors each) that share one co-author are
        # colleagues more often than one person: weigh by the share of the smaller circle.
        circle = min(len(fa.coauthors - selves), len(fb.coauthors - selves)) or 1
        share = len(shared) / circle
        weight = cfg.w_coauthor * min(1.0, share / cfg.coauthor_share)
        weights.extend([weight] * min(len(shared), 4))
        names = ", ".join(sorted(shared)[:5])
        evidence.append(
            f"{len(shared)} shared co-author(s) ({share:.0%} of the smaller circle): {names}"
        )
    # Co-authors written as initials on one side that fit a co-author of the other.
    loose = sorted(
        {
            x
            for x, other in ((x, fb.coauthors) for x in fa.coauthors - shared)
            if is_initials(x) and any(initials_compatible(x, y) for y in other)
        }
        | {
            x
            for x, other in ((x, fa.coauthors) for x in fb.coauthors - shared)
            if is_initials(x) and any(initials_compatible(x, y) for y in other)
        }
    )
    if loose:
        weights.extend([cfg.w_coauthor_initials] * min(len(loose), 2))
        evidence.append(
            "co-author(s) written as initials that fit the other's co-authors: "
            + ", ".join(loose[:4])
        )
    for owner, who, f_who in ((a, b, fb), (b, a, fa)):
        if not any(corpus.owner[src] == owner for src in f_who.sources):
            continue
        complete = truncated = 0
        for j in corpus.mentions_of[who]:
            if corpus.owner[corpus.listing_source[j]] != owner or owner in corpus.authors[j]:
                continue
            if corpus.listings[j].truncated:
                truncated += 1
            else:
                complete += 1
        if complete:
            weights.append(cfg.w_owner_complete)
            evidence.append(
                f"the profile of {corpus.display[owner]} has {complete} complete author "
                f"list(s) naming {corpus.display[who]} but not {corpus.display[owner]}"
            )
        elif truncated:
            weights.append(cfg.w_owner_truncated)
            evidence.append(
                f"the profile of {corpus.display[owner]} lists {truncated} paper(s) by "
                f"{corpus.display[who]} with {corpus.display[owner]} not visible"
            )
    circle = min(len(fa.coauthors - selves), len(fb.coauthors - selves)) or 1
    return False, _combine(weights), evidence, len(shared) / circle


def _one_reading(corpus: Corpus, a: str, b: str) -> str | None:
    """For a two-word order swap: why only one reading is a name (one word is a family name
    of other people in the data, the other is no one else's family name), or None."""
    ta, tb = a.split(), b.split()
    if len(ta) != 2 or len(tb) != 2:
        return None
    counts = corpus.surname_count
    cfg = corpus.config
    family, given = ta[1], ta[0]
    if counts.get(family, 0) < counts.get(given, 0):
        family, given = given, family
    # Each word is the last word of one of the two keys: that one does not count.
    if counts.get(family, 0) - 1 >= cfg.family_name_min and counts.get(given, 0) <= 1:
        return (
            f"only one reading is a name: {family!r} is the family name of "
            f"{counts[family] - 1} other name(s) in the data, {given!r} of none"
        )
    return None


#: Name rules whose pairs may also count the profile they share and co-authors two hops out
#: (a middle name is decided per paper instead; a short typo is too often another name).
CONTEXT_RULES = frozenset({"order-swap", "transliteration", "typo"})


def _context_evidence(
    corpus: Corpus,
    a: int,
    b: int,
    facts: _Facts,
    alias: Mapping[str, str],
    strength: float,
    need: float,
    evidence: list[str],
) -> float:
    """Weaker evidence for a pair that direct evidence leaves short of ``need``: both names
    written on papers of one profile (neither its owner), and co-authors of the one who have
    published with co-authors of the other (two hops). Appends to ``evidence``."""
    cfg = corpus.config
    fa, fb = facts(a), facts(b)
    weights = [strength]
    common = sorted(
        corpus.sources[src].source
        for src in fa.sources & fb.sources
        if corpus.owner[src] not in (a, b)
    )
    if common:
        weights.append(cfg.w_same_profile_key)
        evidence.append(
            f"both written on papers of the profile {common[0]}"
            + (f" (and {len(common) - 1} more)" if len(common) > 1 else "")
        )
    if _combine(weights) < need <= _combine([*weights, cfg.w_two_hop]):
        selves = {
            alias.get(corpus.keys[a], corpus.keys[a]),
            alias.get(corpus.keys[b], corpus.keys[b]),
        }
        shared = fa.coauthors & fb.coauthors
        mine, theirs = fa.coauthors - shared - selves, fb.coauthors - shared - selves
        if len(mine) > len(theirs):
            mine, theirs = theirs, mine
        for x in sorted(mine):
            together = facts.neighbours(x) & theirs
            if together:
                weights.append(cfg.w_two_hop)
                evidence.append(
                    f"a co-author of one ({x}) has published with a co-author of the "
                    f"other ({min(together)})"
                )
                break
    return _combine(weights)


def _name_pairs(corpus: Corpus) -> dict[tuple[int, int], tuple[float, str | None]]:
    """Candidate pairs of full-name keys (key numbers) from blocking, with their similarity
    and name rule; computed once per corpus."""
    if corpus.name_pairs is None:
        cfg = corpus.config
        keys = corpus.keys
        full = [i for i, k in enumerate(keys) if " " in k and not is_initials(k)]
        pairs = _pairs_from_blocks(
            [keys[i] for i in full],
            corpus.blocking,
            cfg.name_candidate_cutoff,
            cfg.max_block,
            fuzz.token_sort_ratio,
        )
        corpus.name_pairs = {
            (full[x], full[y]): (sim, name_rule(keys[full[x]], keys[full[y]]))
            for (x, y), sim in pairs.items()
        }
    return corpus.name_pairs


def merge_author_keys(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 2: full-name keys that a name rule and enough evidence join become one author.

    May run more than once: a later run sees the co-authors as the earlier runs
    (and :func:`attach_initials`) resolved them, and keeps their merges.
    """
    cfg = corpus.config
    keys = corpus.keys
    pairs = _name_pairs(corpus)
    facts = _Facts(corpus, _canonical_authors(corpus, res), res.author_alias)
    n = len(keys)
    uf = _UnionFind(n)
    members: dict[int, list[int]] = {}
    forbidden: dict[int, set[int]] = defaultdict(set)
    decisions: list[Decision] = []
    warnings = list(res.warnings)
    first_run = not any(d.entity == "author" and d.method == "curated" for d in res.decisions)

    def cluster(r: int) -> list[int]:
        return members.get(r, [r])

    def conflict(ra: int, rb: int) -> str | None:
        group_a, group_b = cluster(ra), cluster(rb)
        if forbidden.get(ra, set()).intersection(group_b) or forbidden.get(rb, set()).intersection(
            group_a
        ):
            return "a curated cannot-link"
        for x in group_a:  # no two names of one author may contradict each other
            for y in group_b:
                if contradicts(keys[x], keys[y]):
                    return f"{corpus.display[x]!r} and {corpus.display[y]!r} cannot be one person's names"
        slots_a: dict[str, set[int]] = defaultdict(set)
        for k in group_a:
            for paper, pos in facts(k).slots.items():
                slots_a[paper] |= pos
        for k in group_b:
            for paper, pos in facts(k).slots.items():
                if paper in slots_a and slots_a[paper] != pos:
                    return "the merged names would share an author list"
        return None

    def union(a: int, b: int, force: bool = False) -> str | None:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return None
        if not force:
            why = conflict(ra, rb)
            if why:
                return why
        uf.parent[rb] = ra
        members[ra] = cluster(ra) + cluster(rb)
        members.pop(rb, None)
        if rb in forbidden:
            forbidden[ra] |= forbidden.pop(rb)
        return None

    # Earlier merges stand (an earlier run, or curation).
    for key, canon in res.author_alias.items():
        a, b = corpus.key_index.get(canon), corpus.key_index.get(key)
        if a is not None and b is not None:
            union(a, b, force=True)
    for c in corpus.constraints:
        if c.entity != "author":
            continue
        a, b = corpus.key_index.get(c.a), corpus.key_index.get(c.b)
        if a is None or b is None:
            if first_run:
                warnings.append(
                    f"{c.origin}: {c.relation} names an author not in the data "
                    f"({c.a if a is None else c.b!r})"
                )
            continue
        if c.relation == "must-link":
            union(a, b, force=True)
            kind: DecisionKind = "curated-must-link"
        else:
            kind = "curated-cannot-link"
            if a == b:
                if first_run:
                    warnings.append(
                        f"{c.origin}: cannot-link {c.a!r} {c.b!r}: one name key, one resource"
                    )
                continue
            forbidden[uf.find(a)].add(b)
            forbidden[uf.find(b)].add(a)
        decisions.append(
            Decision(
                kind,
                "author",
                (keys[a], keys[b]),
                (corpus.display[a], corpus.display[b]),
                "curated",
                1.0,
                _curation_evidence(c),
            )
        )

    alias_before = res.author_alias
    scored: list[tuple[float, int, int, str, float, list[str], bool]] = []
    source_cache: dict[int, set[int]] = {}

    def sources_of(k: int) -> set[int]:
        hit = source_cache.get(k)
        if hit is None:
            hit = source_cache[k] = {corpus.listing_source[j] for j in corpus.mentions_of[k]}
        return hit

    for (a, b), (sim, rule) in pairs.items():
        if uf.find(a) == uf.find(b):
            continue
        if rule is None:
            why = _lookalike(keys[a], keys[b], sim)
            if why is None:
                continue
            # Recorded only where a reader could confuse them: on one profile.
            if sources_of(a).isdisjoint(sources_of(b)):
                continue
            fa, fb = facts(a), facts(b)
            decisions.append(
                Decision(
                    "distinct",
                    "author",
                    (keys[a], keys[b]),
                    (corpus.display[a], corpus.display[b]),
                    "name-rules",
                    round(sim, 3),
                    (f"names {sim:.2f} similar", why, _context_note(corpus, fa, fb)),
                )
            )
            continue
        if rule == "middle-name":
            # A shorter form may be another person: merged here only when its whole
            # co-author circle lies inside the fuller name's; else decided per paper.
            short, long_ = (a, b) if _short_and_long(keys[a], keys[b])[0] == keys[a] else (b, a)
            fs, fl = facts(short), facts(long_)
            circle = fs.coauthors - {alias_before.get(keys[long_], keys[long_])}
            if len(circle) < cfg.middle_circle_min or len(
                circle & fl.coauthors
            ) < cfg.middle_containment * len(circle):
                continue
        clash, strength, evidence, share = _pair_evidence(corpus, a, b, facts, alias_before)
        counts_ab = (len(corpus.mentions_of[a]), len(corpus.mentions_of[b]))
        established = rule != "spacing" and min(counts_ab) >= cfg.established_mentions
        capped = established and share < cfg.established_share
        if capped:
            # Two names, each with a record of its own and mostly other co-authors: two
            # people (Meng Yuan and Yuan Meng both exist), whatever else they share.
            evidence.append(
                f"both names are established ({counts_ab[0]} and {counts_ab[1]} mentions) "
                f"with mostly different co-authors ({share:.0%} in common)"
            )
            strength = min(strength, 0.49 * cfg.merge_evidence.get(rule, 1.0))
        if rule == "order-swap" and not clash and corpus.word_sets.get(_word_set(keys[a]), 0) == 2:
            # No third name in the data is made of these words: a weak prior, never enough alone.
            strength = _combine([strength, cfg.w_only_candidate])
            evidence.append("no other name in the data is made of these words")
            reading = _one_reading(corpus, keys[a], keys[b])
            if reading and not capped:
                strength = _combine([strength, cfg.w_one_reading])
                evidence.append(reading)
        if clash:
            decisions.append(
                Decision(
                    "distinct",
                    "author",
                    (keys[a], keys[b]),
                    (corpus.display[a], corpus.display[b]),
                    rule,
                    1.0,
                    tuple(evidence),
                )
            )
            continue
        need = cfg.merge_evidence.get(rule, 1.0)
        if rule in CONTEXT_RULES and not capped and strength < need:
            strength = _context_evidence(
                corpus, a, b, facts, alias_before, strength, need, evidence
            )
        score = max(strength, sim if need == 0 else 0.0)
        scored.append((score, a, b, rule, sim, evidence, strength >= need))
    scored.sort(key=lambda t: (-t[0], keys[t[1]], keys[t[2]]))
    merged: list[tuple[int, int, str, float, list[str]]] = []
    for score, a, b, rule, sim, evidence, enough in scored:
        label = f"name rule {rule} ({sim:.2f} similar)"
        if enough:
            why = union(a, b)
            if why is None:
                merged.append((a, b, rule, score, [label, *evidence]))
            elif uf.find(a) != uf.find(b):
                decisions.append(
                    Decision(
                        "distinct",
                        "author",
                        (keys[a], keys[b]),
                        (corpus.display[a], corpus.display[b]),
                        rule,
                        round(score, 3),
                        (label, *evidence, f"kept apart: {why}"),
                    )
                )
        elif score > 0:
            decisions.append(
                Decision(
                    "possibly-same",
                    "author",
                    (keys[a], keys[b]),
                    (corpus.display[a], corpus.display[b]),
                    rule,
                    round(score, 3),
                    (label, *evidence, "not enough evidence to merge"),
                )
            )

    alias: dict[str, str] = {}
    canonical: dict[int, int] = {}
    counts = [len(m) for m in corpus.mentions_of]
    for root, group in list(members.items()):
        if uf.find(root) != root or len(group) < 2:
            continue
        best = min(
            group,
            key=lambda m: (
                keys[m] not in corpus.pinned_authors,
                is_initials(keys[m]),
                -counts[m],
                keys[m],
            ),
        )
        for m in group:
            canonical[m] = best
            if m != best:
                alias[keys[m]] = keys[best]
    for key, target in alias_before.items():  # aliases of keys that are not in this corpus
        alias.setdefault(key, alias.get(target, target))
    for a, b, rule, score, evidence in merged:
        head = canonical.get(a, a)
        variant = b if head == a else a
        decisions.append(
            Decision(
                "merge",
                "author",
                (keys[head], keys[variant]),
                (corpus.display[head], corpus.display[variant]),
                rule,
                round(score, 3),
                tuple(evidence),
            )
        )
    kept = [c for c in (_canonical_decision(d, alias) for d in decisions) if c is not None]
    earlier = (
        res.decisions if first_run else tuple(d for d in res.decisions if d.method != "curated")
    )
    return replace(
        res, author_alias=alias, decisions=earlier + tuple(kept), warnings=tuple(warnings)
    )


def _context_note(corpus: Corpus, fa: _KeyFacts, fb: _KeyFacts) -> str:
    shared_sources = fa.sources & fb.sources
    shared = fa.coauthors & fb.coauthors
    parts = []
    if shared_sources:
        parts.append(
            "both in " + ", ".join(sorted(corpus.sources[s].source for s in shared_sources)[:3])
        )
    parts.append(f"{len(shared)} shared co-author(s)" if shared else "no shared co-author")
    return "; ".join(parts)


def _canonical_decision(d: Decision, alias: Mapping[str, str]) -> Decision | None:
    """Non-merge decisions name the resources that exist after merging (None if they collapsed)."""
    if d.kind == "merge" or d.kind.startswith("curated"):
        return d
    mapped = tuple(alias.get(k, k) for k in d.keys)
    if len(set(mapped)) < len(mapped):
        return None
    return d if mapped == d.keys else replace(d, keys=mapped)


# --- step 3: authors, by mention (initials) -----------------------------------------


def _short_and_long(a: str, b: str) -> tuple[str, str]:
    """Of two middle-name variants, (the shorter form, the fuller one)."""
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb):
        return (a, b) if len(ta) < len(tb) else (b, a)
    return (a, b) if sum(map(len, ta)) < sum(map(len, tb)) else (b, a)


@dataclass
class _Context:
    """What the short-form step reads: canonical authors per listing and, per author,
    the full-name authors they have published with."""

    canonical: list[tuple[str, ...]]
    #: author -> authors written in full who are their co-authors somewhere
    neighbours: dict[str, set[str]]
    options_of: dict[str, list[str]]
    alias: Mapping[str, str]
    #: per source: the authors written in full (not attached per paper) on its listings, with
    #: the number of its listings that name them
    profile_names: dict[int, Counter[str]] = field(default_factory=dict)


def _listings_of_paper(corpus: Corpus) -> dict[str, list[int]]:
    if corpus.listings_of_paper is None:
        out: dict[str, list[int]] = defaultdict(list)
        for j, paper in enumerate(corpus.paper_of_listing):
            out[paper].append(j)
        corpus.listings_of_paper = dict(out)
    return corpus.listings_of_paper


def attach_short_forms(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 3: each mention of a short name form joins the one fuller name its paper supports.

    Short forms stand for several people, so they are decided per paper:
    initials ("J. Smith": any full name that fits) and names without a middle
    name ("Meera Desai" next to "Meera Karthik Desai", which may be another
    person). A short full name may also stay itself, and does unless the
    evidence for a fuller name is clearly stronger. Only candidates that the
    paper's context can support are scored (a reverse index of co-authors).
    Re-decides every mention (a later run sees better-resolved co-authors);
    replaces the mention aliases and the "initials" / "middle-name" decisions
    of an earlier run.
    """
    cfg = corpus.config
    keys = corpus.keys
    alias = res.author_alias
    canonical = _canonical_authors(corpus, res)

    # Full names by (first initial, surname), in both orders.
    index: dict[str, set[str]] = defaultdict(set)
    for k, key in enumerate(keys):
        if is_initials(key) or " " not in key or not corpus.mentions_of[k]:
            continue
        tokens = key.split()
        canon = alias.get(key, key)
        index[f"{tokens[0][0]}|{tokens[-1]}"].add(canon)
        index[f"{tokens[-1][0]}|{tokens[0]}"].add(canon)
    cannot: dict[str, set[str]] = defaultdict(set)
    for con in corpus.constraints:
        if con.entity == "author" and con.relation == "cannot-link":
            cannot[con.a].add(alias.get(con.b, con.b))
            cannot[con.b].add(alias.get(con.a, con.a))

    options_of: dict[str, list[str]] = {}  # initials key -> full names it may be
    for k, key in enumerate(keys):
        if not is_initials(key) or key in alias or not corpus.mentions_of[k]:
            continue
        given, surname = _parts(key)
        options = sorted(
            c
            for c in index.get(f"{given[0]}|{surname.split()[-1]}", ())
            if initials_compatible(key, c)
        )
        options_of[key] = [c for c in options if c not in cannot.get(key, ())]
    fuller: dict[str, set[str]] = defaultdict(set)  # short full name -> fuller names it may be
    for (a, b), (_sim, rule) in _name_pairs(corpus).items():
        if rule != "middle-name":
            continue
        short, long_ = _short_and_long(keys[a], keys[b])
        target = alias.get(long_, long_)
        if short not in alias and target != short and target not in cannot.get(short, ()):
            fuller[short].add(target)

    # Who has published with whom. A mention that an earlier run attached to a fuller
    # name is left out, so that it is never evidence for itself.
    neighbours: dict[str, set[str]] = defaultdict(set)
    profile_names: dict[int, Counter[str]] = defaultdict(Counter)
    for j, names in enumerate(canonical):
        ids = corpus.authors[j]
        in_profile = profile_names[corpus.listing_source[j]]
        for pos, e in enumerate(names):
            written = keys[ids[pos]]
            if e != written and e != alias.get(written, written):
                continue
            in_profile[e] += 1
            if len(names) < 2:
                continue
            for x in names:
                if x != e:
                    neighbours[x].add(e)
    ctx = _Context(canonical, neighbours, options_of, alias, dict(profile_names))
    by_paper_all = _listings_of_paper(corpus)

    mention_alias: dict[tuple[str, str], str] = {}
    merged: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    maybe: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    for k, key in enumerate(keys):
        if key in options_of:
            options, method, self_ok = options_of[key], "initials", False
        elif key in fuller:
            options, method, self_ok = sorted(fuller[key]), "middle-name", True
        else:
            continue
        if not options:
            continue
        by_paper: dict[str, list[int]] = defaultdict(list)
        for j in corpus.mentions_of[k]:
            by_paper[corpus.paper_of_listing[j]].append(j)
        for paper, js in sorted(by_paper.items()):
            others, owners = _context_of(corpus, k, js, ctx)
            # Only candidates the context can support: a co-author, the owner, the paper, the
            # profile. Each option is looked up in the context's sets (no union of large sets).
            if len(options) == 1:
                pool = options
            else:
                near: list[Collection[str]] = [[o for o in owners if o is not None]]
                for x in others:
                    near.append(neighbours.get(x, ()))
                    if x in options_of and len(options_of[x]) <= cfg.loose_options:
                        near.extend(neighbours.get(y, ()) for y in options_of[x])
                near.extend(canonical[j2] for j2 in by_paper_all.get(paper, ()))
                near.extend(ctx.profile_names.get(corpus.listing_source[j], ()) for j in js)
                pool = [c for c in options if any(c in group for group in near)]
            candidates = ([key] if self_ok else []) + pool
            scored = _score_short_form(
                corpus,
                k,
                candidates,
                paper,
                js,
                others,
                owners,
                ctx,
                by_paper_all.get(paper, js),
                two_hop=False,
            )
            best, runner = _best_and_runner(scored, key)
            if (
                (best < cfg.initials_evidence or best - runner < cfg.initials_margin)
                and cfg.w_two_hop > 0
                and len(options) <= cfg.loose_options
            ):
                # Nothing decides it: look two hops out (co-authors of co-authors), also at
                # the options the direct context does not reach.
                listed = set(pool)
                candidates = (
                    ([key] if self_ok else [])
                    + pool
                    + [c for c in options if c not in listed and _two_hop_link(ctx, others, c, key)]
                )
                scored = _score_short_form(
                    corpus,
                    k,
                    candidates,
                    paper,
                    js,
                    others,
                    owners,
                    ctx,
                    by_paper_all.get(paper, js),
                    two_hop=True,
                )
                best, runner = _best_and_runner(scored, key)
            if not scored or scored[0][0] <= 0 or scored[0][1] == key:
                continue
            _best, c, why = scored[0]
            title = corpus.listings[js[0]].title
            if best >= cfg.initials_evidence and best - runner >= cfg.initials_margin:
                mention_alias[(paper, key)] = c
                merged[(key, c, method)].append((best, f"on {_short(title)}: {why}"))
            else:
                for score, c2, why2 in scored[:3]:
                    if score > 0 and c2 != key:
                        maybe[(key, c2, method)].append((score, f"on {_short(title)}: {why2}"))
    decisions = []
    display = {keys[i]: corpus.display[i] for i in range(len(keys))}
    for (key, c, method), items in sorted(merged.items()):
        score = sum(s for s, _ in items) / len(items)
        form = "initials form" if method == "initials" else "shorter form"
        evidence = (
            f"{form} of {display.get(c, c)} on {len(items)} paper(s)",
            *[e for _, e in items[:5]],
        )
        decisions.append(
            Decision(
                "merge",
                "author",
                (c, key),
                (display.get(c, c), display[key]),
                method,
                round(score, 3),
                evidence,
            )
        )
    unresolved = _unresolved_short_forms(corpus, mention_alias)
    for (key, c, method), items in sorted(maybe.items()):
        if key not in unresolved:
            continue  # every mention of the short form went elsewhere: no resource to link
        score = max(s for s, _ in items)
        decisions.append(
            Decision(
                "possibly-same",
                "author",
                (key, c),
                (display[key], display.get(c, c)),
                method,
                round(score, 3),
                (
                    f"{display[key]} may be a short form of {display.get(c, c)}",
                    *[e for _, e in items[:5]],
                    "not enough evidence to merge",
                ),
            )
        )
    earlier = tuple(
        d
        for d in res.decisions
        if not (d.method in ("initials", "middle-name") and d.kind in ("merge", "possibly-same"))
    )
    return replace(res, mention_alias=mention_alias, decisions=earlier + tuple(decisions))


#: The former name of :func:`attach_short_forms`.
attach_initials = attach_short_forms


def _score_short_form(
    corpus: Corpus,
    k: int,
    candidates: list[str],
    paper: str,
    listings: list[int],
    others: set[str],
    owners: list[str | None],
    ctx: _Context,
    paper_listings: list[int],
    *,
    two_hop: bool,
) -> list[tuple[float, str, str]]:
    """(score, candidate, evidence) of each possible candidate, best first; on a tie the
    short form itself wins, then the fuller name (more words)."""
    key = corpus.keys[k]
    scored = []
    for c in candidates:
        score, why = _mention_evidence(
            corpus,
            k,
            c,
            paper,
            listings,
            others,
            owners,
            ctx,
            paper_listings,
            is_self=c == key,
            two_hop=two_hop,
        )
        if score >= 0:
            scored.append((score, c, why))
    scored.sort(key=lambda t: (-t[0], t[1] != key, -len(t[1].split()), t[1]))
    return scored


def _two_hop_link(ctx: _Context, others: set[str], c: str, key: str) -> bool:
    """Has one of ``others`` a co-author in common with ``c`` (outside this paper)?"""
    theirs = ctx.neighbours.get(c)
    if not theirs:
        return False
    for x in others:
        mine = ctx.neighbours.get(x)
        if mine and not mine.isdisjoint(theirs) and (mine & theirs) - others - {c, key}:
            return True
    return False


def _best_and_runner(scored: list[tuple[float, str, str]], key: str) -> tuple[float, float]:
    """The best score and the best rival's. A shorter form of the best name is no rival: it
    is that name or its homonym."""
    if not scored:
        return 0.0, 0.0
    best, c, _ = scored[0]
    rivals = [t[0] for t in scored[1:] if t[1] == key or name_rule(t[1], c) != "middle-name"]
    return best, max(rivals, default=0.0)


def _context_of(
    corpus: Corpus, k: int, listings: list[int], ctx: _Context
) -> tuple[set[str], list[str | None]]:
    """(canonical co-authors, canonical profile owners) of a mention of key ``k``.

    The owner of a profile is an author of every paper it lists, also when
    "et al." hides them (kg.rdf.map states it too), so a hidden owner counts as a
    co-author.
    """
    others: set[str] = set()
    owners: list[str | None] = []
    key = corpus.keys[k]
    for j in listings:
        pos = corpus.authors[j].index(k)
        names = ctx.canonical[j]
        others.update(names[:pos])
        others.update(names[pos + 1 :])
        owner = corpus.owner[corpus.listing_source[j]]
        owner_key = ctx.alias.get(corpus.keys[owner], corpus.keys[owner]) if owner >= 0 else None
        owners.append(owner_key)
        if owner_key is not None and corpus.listings[j].truncated:
            others.add(owner_key)
    others.discard(key)
    return others, owners


def _unresolved_short_forms(
    corpus: Corpus, mention_alias: Mapping[tuple[str, str], str]
) -> set[str]:
    out = set()
    for k, key in enumerate(corpus.keys):
        if any(
            (corpus.paper_of_listing[j], key) not in mention_alias for j in corpus.mentions_of[k]
        ):
            out.add(key)
    return out


def _short(title: str) -> str:
    return repr(title if len(title) <= 60 else title[:57] + "...")


def _mention_evidence(
    corpus: Corpus,
    k: int,
    c: str,
    paper: str,
    listings: list[int],
    others: set[str],
    owners: list[str | None],
    ctx: _Context,
    paper_listings: list[int],
    *,
    is_self: bool = False,
    two_hop: bool = False,
) -> tuple[float, str]:
    """Evidence that the short form ``k`` on ``paper`` is the author ``c`` (-1: impossible).

    ``is_self``: ``c`` is the short form's own name (it may be a person of its own).
    ``two_hop``: also count co-authors that share a co-author with ``c``.
    """
    cfg = corpus.config
    key = corpus.keys[k]
    if not is_self:
        mine = {(j, corpus.authors[j].index(k)) for j in listings}
        positions = {pos for _, pos in mine}
        for j in paper_listings:
            names = ctx.canonical[j]
            for pos, name in enumerate(names):
                if name == c and (j, pos) not in mine:
                    if pos in positions:
                        return (
                            cfg.w_same_slot,
                            "written in full at the same position on another listing of the paper",
                        )
                    return -1.0, "both on the author list"
    weights: list[float] = []
    why: list[str] = []
    if not is_self and len(ctx.options_of.get(key, ())) == 1:
        surname = _parts(key)[1]
        if corpus.surname_count.get(surname, 0) <= cfg.rare_surname:
            weights.append(cfg.w_only_candidate_rare)
            why.append("the only full name in the data that these initials fit, and a rare surname")
        else:
            weights.append(cfg.w_only_candidate)
            why.append("the only full name in the data that these initials fit")
    for j, owner in zip(listings, owners, strict=True):
        if owner == c:
            holder = corpus.sources[corpus.listing_source[j]].owner
            if corpus.listings[j].truncated:
                weights.append(cfg.w_owner_truncated)
                why.append(f"listed by the profile of {holder}")
            else:
                weights.append(cfg.w_owner_complete)
                why.append(
                    f"listed by the profile of {holder}, whose owner must be on this complete list"
                )
            break
    for j in listings:
        # The profile that lists this paper writes c in full on another of its papers (c is
        # not on this listing, or it would be impossible; the short form itself is).
        src = corpus.listing_source[j]
        elsewhere = ctx.profile_names.get(src, Counter()).get(c, 0)
        if is_self:
            elsewhere -= sum(1 for j2 in listings if corpus.listing_source[j2] == src)
        if elsewhere > 0:
            weights.append(cfg.w_same_profile)
            why.append(
                f"written in full on {elsewhere} other paper(s) of the profile "
                f"{corpus.sources[src].source}"
            )
            break
    pool = others - {c}
    if is_self:
        # The short form's own other papers: their co-authors, as written there.
        circle: set[str] = set()
        for j in corpus.mentions_of[k]:
            if corpus.paper_of_listing[j] != paper:
                circle.update(x for x in ctx.canonical[j] if x != key)
        shared = sorted(pool & circle)
    else:
        shared = sorted(x for x in pool if c in ctx.neighbours.get(x, ()))
    if shared:
        weights.extend([cfg.w_coauthor] * min(len(shared), 4))
        why.append("shared co-author(s): " + ", ".join(shared[:4]))
    if not is_self:
        # Co-authors still written as initials: one of the names they fit works with c.
        loose = sorted(
            x
            for x in pool
            if x in ctx.options_of
            and x not in shared
            and len(ctx.options_of[x]) <= corpus.config.loose_options
            and any(c in ctx.neighbours.get(y, ()) for y in ctx.options_of[x])
        )
        if loose:
            weights.extend([cfg.w_coauthor_initials] * min(len(loose), 3))
            why.append(
                "co-author(s) written as initials that match co-authors: " + ", ".join(loose[:4])
            )
    if two_hop:
        # Co-authors here who have a co-author in common with c elsewhere (one community).
        mine_nb = (
            ctx.neighbours.get(c, set()) if not is_self else _own_circle(corpus, k, paper, ctx)
        )
        hops = []
        for x in sorted(pool - set(shared)):
            via = ctx.neighbours.get(x, set()) & mine_nb
            via -= pool
            via.discard(c)
            via.discard(key)
            if via:
                hops.append(f"{x} (via {min(via)})")
                if len(hops) >= cfg.two_hop_max:
                    break
        if hops:
            weights.extend([cfg.w_two_hop] * len(hops))
            why.append(
                "co-author(s) who have a co-author in common with this name: " + ", ".join(hops)
            )
    return _combine(weights), "; ".join(why) or "no evidence"


def _own_circle(corpus: Corpus, k: int, paper: str, ctx: _Context) -> set[str]:
    """The co-authors of the short form ``k`` on its other papers."""
    key = corpus.keys[k]
    circle: set[str] = set()
    for j in corpus.mentions_of[k]:
        if corpus.paper_of_listing[j] != paper:
            circle.update(x for x in ctx.canonical[j] if x != key)
    return circle


# --- step 4: ambiguity ------------------------------------------------------------------


def flag_ambiguous(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 4: flag names whose papers split into co-author communities that share nobody.

    Papers of a name are joined when they share a co-author; two such groups
    are joined too when a co-author of one has published with a co-author of
    the other elsewhere (one person's groups are usually linked that way; two
    people's are not). A name is flagged when at least two groups of
    :attr:`ResolveConfig.community_min_papers` papers remain.

    Only *visible* co-authors count: the owner that the mapping adds to lists
    cut by "et al." is an inference from the page, not evidence of who
    collaborates with whom, and it would join every paper of a profile.
    """
    cfg = corpus.config
    canonical = _canonical_authors(corpus, res)
    papers_of: dict[str, set[str]] = defaultdict(set)
    for j, listed in enumerate(canonical):
        paper = corpus.paper_of_listing[j]
        for e in listed:
            papers_of[e].add(paper)
    need = cfg.community_min_papers * cfg.communities_needed
    suspects = {e for e, ps in papers_of.items() if len(ps) >= need}
    if not suspects:
        return res
    entity_papers: dict[str, dict[str, set[str]]] = {e: defaultdict(set) for e in suspects}
    years: dict[str, dict[str, int]] = defaultdict(dict)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for j, listed in enumerate(canonical):
        if len(listed) > 1:
            for e in listed:
                neighbours[e].update(listed)
        hit = [e for e in listed if e in suspects]
        if not hit:
            continue
        paper = corpus.paper_of_listing[j]
        day = corpus.listings[j].date
        for e in hit:
            entity_papers[e][paper].update(x for x in listed if x != e)
            if day:
                years[e][paper] = day.year
    display: dict[str, str] = {}
    for i, key in enumerate(corpus.keys):
        display.setdefault(res.author_alias.get(key, key), corpus.display[i])
    flagged: list[Ambiguity] = []
    for entity in sorted(suspects):
        papers = entity_papers[entity]
        communities = _communities(papers)
        big = [g for g in communities if len(g) >= cfg.community_min_papers]
        if len(big) < cfg.communities_needed:
            continue
        # Join groups whose co-authors have published together elsewhere.
        members = [set().union(*(papers[p] for p in g)) for g in big]
        uf = _UnionFind(len(big))
        for a in range(len(big)):
            reach = set().union(*(neighbours[x] for x in members[a])) - {entity}
            for b in range(a + 1, len(big)):
                if reach & members[b]:
                    ra, rb = uf.find(a), uf.find(b)
                    if ra != rb:
                        uf.parent[rb] = ra
        joined: dict[int, list[str]] = defaultdict(list)
        for a, g in enumerate(big):
            joined[uf.find(a)].extend(g)
        groups = sorted(joined.values(), key=lambda g: (-len(g), min(g)))
        if len(groups) < cfg.communities_needed:
            continue
        clustered = sum(len(g) for g in groups)
        if len(groups[0]) > cfg.dominant_share * clustered:
            continue
        described: list[str] = []
        names: list[tuple[str, ...]] = []
        for g in groups[:4]:
            together = Counter(c for p in g for c in papers[p])
            ranked = sorted(together.items(), key=lambda kv: (-kv[1], display.get(kv[0], kv[0])))
            top = [display.get(c, c) for c, _ in ranked[:4]]
            ys = sorted(years[entity][p] for p in g if p in years[entity])
            span = f", {ys[0]}-{ys[-1]}" if ys else ""
            described.append(f"{len(g)} papers{span} with {', '.join(top)}")
            names.append(tuple(top))
        rest = len(papers) - sum(len(g) for g in groups)
        evidence = (
            f"{len(papers)} papers fall into {len(groups)} co-author communities that share no "
            f"co-author and whose co-authors have not published together (visible author lists only); "
            f"the largest holds {len(groups[0])} of the {clustered} papers in communities",
            *(f"community {i}: {text}" for i, text in enumerate(described, 1)),
            *((f"{rest} further paper(s) share no co-author with any other",) if rest else ()),
        )
        flagged.append(
            Ambiguity(entity, display.get(entity, entity), len(papers), tuple(names), evidence)
        )
    return replace(res, ambiguous=res.ambiguous + tuple(flagged))


def _communities(papers: Mapping[str, set[str]]) -> list[list[str]]:
    """Papers grouped by shared co-authors (connected components)."""
    order = sorted(papers)
    uf = _UnionFind(len(order))
    first_with: dict[str, int] = {}
    for i, paper in enumerate(order):
        for co in papers[paper]:
            seen = first_with.setdefault(co, i)
            if seen != i:
                ra, rb = uf.find(seen), uf.find(i)
                if ra != rb:
                    uf.parent[rb] = ra
    groups: dict[int, list[str]] = defaultdict(list)
    for i, paper in enumerate(order):
        groups[uf.find(i)].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


# --- the whole ------------------------------------------------------------------------

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
) -> Resolution:
    """Resolve the identities of papers and authors in ``sources``; see the module docstring.

    ``pinned_*`` are keys already in the store (preferred as canonical keys);
    ``constraints`` are curated must-link / cannot-link pairs. Never raises for
    data; a constraint naming an unknown key becomes a warning.
    """
    with _no_cycle_collection():
        corpus = build_corpus(
            sources,
            pinned_authors=pinned_authors,
            pinned_papers=pinned_papers,
            constraints=constraints,
            config=config,
            blocking=blocking,
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

"""Step 2 of resolution: full-name keys that a name rule and enough evidence join become
one author (:func:`merge_author_keys`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kg.identity.clusters import Clusters
from kg.identity.corpus import (
    Corpus,
    canonical_authors,
    combine,
    curation_evidence,
    name_pairs,
    word_set,
)
from kg.identity.names import (
    contradicts,
    initials_compatible,
    is_initials,
    lookalike,
    name_parts,
    short_and_long,
)
from kg.identity.records import Decision, DecisionKind, Resolution


@dataclass(slots=True)
class KeyFacts:
    """What one name key's mentions say (computed on demand)."""

    slots: dict[str, frozenset[int]]  # canonical paper -> positions (one shared object each)
    coauthors: set[str]  # canonical keys of the visible co-authors
    sources: set[int]


class Facts:
    """Lazily computed facts per name key, with co-authors in canonical form."""

    def __init__(
        self, corpus: Corpus, canonical: list[tuple[str, ...]], alias: Mapping[str, str]
    ) -> None:
        self.corpus = corpus
        self.canonical = canonical
        self.alias = alias
        self.cache: dict[int, KeyFacts] = {}
        #: Per canonical key, the other name keys (numbers) that alias to it: built from the
        #: aliases, not from every key of the corpus (a list per key, 59 MiB at 1M papers).
        self._aliased: dict[str, list[int]] | None = None
        #: Per owner (key number), the sources it owns.
        self._owned: dict[int, list[int]] | None = None
        self._sources: dict[int, set[int]] = {}
        self._initials: dict[int, list[tuple[str, str]]] = {}
        self._initials_word: dict[str, str] = {}
        self._by_word: dict[int, dict[str, tuple[str, ...]]] = {}
        #: One string per distinct word of the co-authors' names, for the ``_by_word`` keys.
        self._words: dict[str, str] = {}
        self._positions: dict[frozenset[int], frozenset[int]] = {}

    def __call__(self, k: int) -> KeyFacts:
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
            # One frozenset per distinct set of positions ({0}, {1}, ...) for all the papers of
            # all keys: a set of its own per paper was 216 bytes for each mention of each key
            # whose facts an author round asked for.
            shared = self._positions
            held: dict[str, frozenset[int]] = {}
            for paper, positions in slots.items():
                frozen = frozenset(positions)
                held[paper] = shared.setdefault(frozen, frozen)
            hit = self.cache[k] = KeyFacts(held, coauthors, sources)
        return hit

    def initials_of(self, k: int) -> list[tuple[str, str]]:
        """The co-authors of ``k`` written as initials, each with its surname's first word."""
        hit = self._initials.get(k)
        if hit is None:
            words = self._initials_word  # one look per distinct name, not per key it is near
            hit = []
            for x in self(k).coauthors:
                word = words.get(x)
                if word is None:
                    word = words[x] = name_parts(x)[1].split()[0] if is_initials(x) else ""
                if word:
                    hit.append((x, word))
            self._initials[k] = hit
        return hit

    def by_word(self, k: int) -> dict[str, tuple[str, ...]]:
        """The co-authors of ``k`` by each word of their names (to find the names that an
        initials form can fit: they hold its surname).

        Held for every key an author round asks (97k keys at 1M papers), so held compactly:
        each word one string for all keys (split() makes a copy each time), tuples, not lists
        (a list with room to grow is 88 bytes, a tuple of one 48)."""
        hit = self._by_word.get(k)
        if hit is None:
            words = self._words
            index: dict[str, list[str]] = defaultdict(list)
            for y in self(k).coauthors:
                for word in set(y.split()):
                    index[words.setdefault(word, word)].append(y)
            hit = self._by_word[k] = {word: tuple(names) for word, names in index.items()}
        return hit

    def listed_by(self, k: int, owner: int) -> bool:
        """Whether a source of the owner ``owner`` (a key number) lists the name key ``k``.
        From the owner's sources (one, as a rule), not from a set of the owners of every
        key asked (61 MiB at 1M papers)."""
        owned = self._owned
        if owned is None:
            owned = self._owned = defaultdict(list)
            for src, who in enumerate(self.corpus.owner):
                if who >= 0:
                    owned[who].append(src)
        sources = self(k).sources
        return any(src in sources for src in owned.get(owner, ()))

    def sources_of(self, k: int) -> set[int]:
        """The sources that list the name key ``k`` (cheaper than ``self(k).sources``)."""
        hit = self._sources.get(k)
        if hit is None:
            corpus = self.corpus
            hit = self._sources[k] = {corpus.listing_source[j] for j in corpus.mentions_of[k]}
        return hit

    def members(self, entity: str) -> list[int]:
        """The name keys (numbers, ascending) of the author ``entity`` (a canonical key): its
        own key, unless it is an alias, and the keys that alias to it."""
        aliased = self._aliased
        if aliased is None:
            aliased = self._aliased = defaultdict(list)
            index = self.corpus.key_index
            for key, target in self.alias.items():
                k = index.get(key)
                if k is not None and key != target:
                    aliased[target].append(k)
        own = self.corpus.key_index.get(entity)
        more = aliased.get(entity, [])
        if own is None or self.alias.get(entity, entity) != entity:
            return sorted(more)
        return sorted([own, *more])

    def neighbours_in(self, entity: str, group: set[str]) -> set[str]:
        """The visible co-authors of the author ``entity`` (a canonical key), over all its
        names, that are in ``group``, without making the union of a common co-author's
        circles (asked for by many pairs, each union as large as the circle)."""
        out: set[str] = set()
        for k in self.members(entity):
            out |= self(k).coauthors & group
        return out

    def owner_key(self, owner: int) -> str:
        key = self.corpus.keys[owner]
        return self.alias.get(key, key)


def _pair_evidence(
    corpus: Corpus, a: int, b: int, facts: Facts, alias: Mapping[str, str]
) -> tuple[bool, float, list[str], float]:
    """(conflict, evidence score, evidence, co-author share) for two name keys being one person.

    The share is the part of the smaller co-author circle that the two have in common.
    """
    cfg = corpus.config
    fa, fb = facts(a), facts(b)
    weights: list[float] = []
    evidence: list[str] = []
    same_slot = 0
    # The papers in common are found from the side with fewer: a common name is asked for by
    # every name near it, and walking its papers for each of them cost degree x mentions.
    small, large = (fa.slots, fb.slots) if len(fa.slots) <= len(fb.slots) else (fb.slots, fa.slots)
    for paper, positions in small.items():
        theirs = large.get(paper)
        if theirs is None:
            continue
        if positions == theirs:
            same_slot += 1
        else:
            return True, 0.0, [f"both on the author list of one paper ({_clash(fa, fb)!r})"], 0.0
    if same_slot:
        weights.append(cfg.w_same_slot)
        evidence.append(
            f"written at the same position of {same_slot} paper(s) listed by different profiles"
        )
    selves = {alias.get(corpus.keys[a], corpus.keys[a]), alias.get(corpus.keys[b], corpus.keys[b])}
    shared = (fa.coauthors & fb.coauthors) - selves
    circle = min(_without(fa.coauthors, selves), _without(fb.coauthors, selves)) or 1
    if shared:
        # Two established names (many co-authors each) that share one co-author are
        # colleagues more often than one person: weigh by the share of the smaller circle.
        share = len(shared) / circle
        weight = cfg.w_coauthor * min(1.0, share / cfg.coauthor_share)
        weights.extend([weight] * min(len(shared), 4))
        names = ", ".join(sorted(shared)[:5])
        evidence.append(
            f"{len(shared)} shared co-author(s) ({share:.0%} of the smaller circle): {names}"
        )
    # Co-authors written as initials on one side that fit a co-author of the other.
    loose = sorted(
        _fitting(facts, facts.initials_of(a), shared, b)
        | _fitting(facts, facts.initials_of(b), shared, a)
    )
    if loose:
        weights.extend([cfg.w_coauthor_initials] * min(len(loose), 2))
        evidence.append(
            "co-author(s) written as initials that fit the other's co-authors: "
            + ", ".join(loose[:4])
        )
    for owner, who in ((a, b), (b, a)):
        if not facts.listed_by(who, owner):
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
    return False, combine(weights), evidence, len(shared) / circle


def _without(group: set[str], selves: set[str]) -> int:
    """``len(group - selves)`` for a small ``selves``, without copying ``group``."""
    return len(group) - sum(1 for x in selves if x in group)


def _clash(fa: KeyFacts, fb: KeyFacts) -> str:
    """The first paper of ``fa`` (in its order) on which the two keys sit at different
    positions: the one a clash names (the papers in common were walked from either side)."""
    for paper, positions in fa.slots.items():
        theirs = fb.slots.get(paper)
        if theirs is not None and positions != theirs:
            return paper[:60]
    raise AssertionError("no clash")


def _fitting(
    facts: Facts, initials: list[tuple[str, str]], shared: set[str], other: int
) -> set[str]:
    """The initials forms (with their surname's first word) outside ``shared`` that fit a
    co-author of the name key ``other``. Only the names holding that word can fit: testing
    every pair of the two co-author circles cost their product, which grows with the square
    of a common name's mentions."""
    if not initials:
        return set()
    by_word = facts.by_word(other)
    return {
        x
        for x, word in initials
        if x not in shared and any(initials_compatible(x, y) for y in by_word.get(word, ()))
    }


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
    facts: Facts,
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
    if combine(weights) < need <= combine([*weights, cfg.w_two_hop]):
        selves = {
            alias.get(corpus.keys[a], corpus.keys[a]),
            alias.get(corpus.keys[b], corpus.keys[b]),
        }
        shared = fa.coauthors & fb.coauthors
        mine, theirs = fa.coauthors - shared - selves, fb.coauthors - shared - selves
        if len(mine) > len(theirs):
            mine, theirs = theirs, mine
        for x in sorted(mine):
            together = facts.neighbours_in(x, theirs)
            if together:
                weights.append(cfg.w_two_hop)
                evidence.append(
                    f"a co-author of one ({x}) has published with a co-author of the "
                    f"other ({min(together)})"
                )
                break
    return combine(weights)


class AuthorClusters(Clusters):
    """Name keys joined into authors: no two names of one author may contradict each other
    (:func:`kg.identity.names.contradicts`) or be on one author list."""

    def __init__(self, corpus: Corpus, facts: Facts) -> None:
        super().__init__(len(corpus.keys))
        self._corpus = corpus
        self._facts = facts

    def veto(self, ra: int, rb: int) -> str | None:
        why = super().veto(ra, rb)
        if why:
            return why
        keys, display = self._corpus.keys, self._corpus.display
        group_a, group_b = self.members(ra), self.members(rb)
        for x in group_a:
            for y in group_b:
                if contradicts(keys[x], keys[y]):
                    return f"{display[x]!r} and {display[y]!r} cannot be one person's names"
        slots_a: dict[str, set[int]] = defaultdict(set)
        for k in group_a:
            for paper, pos in self._facts(k).slots.items():
                slots_a[paper] |= pos
        for k in group_b:
            for paper, pos in self._facts(k).slots.items():
                if paper in slots_a and slots_a[paper] != pos:
                    return "the merged names would share an author list"
        return None


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """A candidate pair of full-name keys (key numbers) and the evidence that they are one."""

    score: float
    a: int
    b: int
    rule: str
    #: Their similarity from blocking, in [0, 1].
    sim: float
    evidence: tuple[str, ...]
    #: The evidence reaches what the rule needs (ResolveConfig.merge_evidence).
    enough: bool
    #: Both are on one author list: two people, whatever else they share.
    clash: bool = False

    @property
    def label(self) -> str:
        return f"name rule {self.rule} ({self.sim:.2f} similar)"


def merge_author_keys(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 2: full-name keys that a name rule and enough evidence join become one author.

    May run more than once: a later run sees the co-authors as the earlier runs
    (and :func:`attach_initials`) resolved them, and keeps their merges.
    """
    facts = Facts(corpus, canonical_authors(corpus, res), res.author_alias)
    clusters = AuthorClusters(corpus, facts)
    warnings = list(res.warnings)
    first_run = not any(d.entity == "author" and d.method == "curated" for d in res.decisions)
    # Earlier merges stand (an earlier run, or curation).
    for key, canon in res.author_alias.items():
        a, b = corpus.key_index.get(canon), corpus.key_index.get(key)
        if a is not None and b is not None:
            clusters.union(a, b, force=True)
    decisions = _curated_authors(corpus, clusters, warnings if first_run else None)
    scored = score_name_pairs(corpus, clusters, facts, res.author_alias, decisions)
    merged: list[ScoredPair] = []
    for pair in scored:
        a, b = pair.a, pair.b
        if pair.enough:
            why = clusters.union(a, b)
            if why is None:
                merged.append(pair)
            elif not clusters.same(a, b):
                decisions.append(
                    _author_decision(
                        corpus,
                        "distinct",
                        a,
                        b,
                        pair,
                        (pair.label, *pair.evidence, f"kept apart: {why}"),
                    )
                )
        elif pair.score > 0:
            decisions.append(
                _author_decision(
                    corpus,
                    "possibly-same",
                    a,
                    b,
                    pair,
                    (pair.label, *pair.evidence, "not enough evidence to merge"),
                )
            )
    alias, canonical = _canonical_keys(corpus, clusters, res.author_alias)
    for pair in merged:
        head = canonical.get(pair.a, pair.a)
        variant = pair.b if head == pair.a else pair.a
        decisions.append(
            _author_decision(corpus, "merge", head, variant, pair, (pair.label, *pair.evidence))
        )
    kept = [c for c in (_canonical_decision(d, alias) for d in decisions) if c is not None]
    earlier = (
        res.decisions if first_run else tuple(d for d in res.decisions if d.method != "curated")
    )
    return replace(
        res, author_alias=alias, decisions=earlier + tuple(kept), warnings=tuple(warnings)
    )


def _author_decision(
    corpus: Corpus, kind: DecisionKind, a: int, b: int, pair: ScoredPair, evidence: tuple[str, ...]
) -> Decision:
    return Decision(
        kind,
        "author",
        (corpus.keys[a], corpus.keys[b]),
        (corpus.display[a], corpus.display[b]),
        pair.rule,
        round(pair.score, 3),
        evidence,
    )


def _warn(warnings: list[str] | None, message: str) -> None:
    """Add ``message`` to ``warnings`` once: a constraint that applies nowhere makes no
    decision, so the second author round takes itself for the first and meets it again."""
    if warnings is not None and message not in warnings:
        warnings.append(message)


def _curated_authors(
    corpus: Corpus, clusters: Clusters, warnings: list[str] | None
) -> list[Decision]:
    """Apply the curated author constraints to ``clusters``; one that cannot apply adds to
    ``warnings`` (None: warned on an earlier run)."""
    keys = corpus.keys
    decisions: list[Decision] = []
    for c in corpus.constraints:
        if c.entity != "author":
            continue
        a, b = corpus.key_index.get(c.a), corpus.key_index.get(c.b)
        if a is None or b is None:
            _warn(
                warnings,
                f"{c.origin}: {c.relation} names an author not in the data "
                f"({c.a if a is None else c.b!r})",
            )
            continue
        if c.relation == "must-link":
            clusters.union(a, b, force=True)
            kind: DecisionKind = "curated-must-link"
        else:
            kind = "curated-cannot-link"
            if a == b:
                _warn(
                    warnings, f"{c.origin}: cannot-link {c.a!r} {c.b!r}: one name key, one resource"
                )
                continue
            clusters.forbid(a, b)
        decisions.append(
            Decision(
                kind,
                "author",
                (keys[a], keys[b]),
                (corpus.display[a], corpus.display[b]),
                "curated",
                1.0,
                curation_evidence(c),
            )
        )
    return decisions


def score_name_pairs(
    corpus: Corpus,
    clusters: Clusters,
    facts: Facts,
    alias_before: Mapping[str, str],
    decisions: list[Decision],
) -> list[ScoredPair]:
    """The candidate pairs not yet in one cluster, scored, strongest first (then by key).

    Look-alike pairs that no rule joins and pairs on one author list are not scored:
    they become "distinct" decisions, appended to ``decisions``.
    """
    keys = corpus.keys
    scored: list[ScoredPair] = []
    for (a, b), (sim, rule) in name_pairs(corpus).items():
        if clusters.same(a, b):
            continue
        if rule is None:
            why = lookalike(keys[a], keys[b], sim)
            # Recorded only where a reader could confuse them: on one profile.
            if why is None or facts.sources_of(a).isdisjoint(facts.sources_of(b)):
                continue
            decisions.append(
                Decision(
                    "distinct",
                    "author",
                    (keys[a], keys[b]),
                    (corpus.display[a], corpus.display[b]),
                    "name-rules",
                    round(sim, 3),
                    (f"names {sim:.2f} similar", why, _context_note(corpus, facts(a), facts(b))),
                )
            )
            continue
        if rule == "middle-name" and not _middle_name_contained(corpus, a, b, facts, alias_before):
            continue
        pair = score_pair(corpus, a, b, sim, rule, facts, alias_before)
        if pair.clash:
            decisions.append(_author_decision(corpus, "distinct", a, b, pair, pair.evidence))
        else:
            scored.append(pair)
    scored.sort(key=lambda t: (-t.score, keys[t.a], keys[t.b]))
    return scored


def _middle_name_contained(
    corpus: Corpus, a: int, b: int, facts: Facts, alias_before: Mapping[str, str]
) -> bool:
    """A shorter form may be another person: merged by key only when its whole co-author
    circle lies inside the fuller name's (else it is decided per paper)."""
    cfg = corpus.config
    keys = corpus.keys
    short, long_ = (a, b) if short_and_long(keys[a], keys[b])[0] == keys[a] else (b, a)
    fs, fl = facts(short), facts(long_)
    # The short form's circle without the fuller name, and its part in the fuller name's
    # circle, counted without copying the circle (a common short form is asked by each of
    # its fuller names).
    target = alias_before.get(keys[long_], keys[long_])
    own = target in fs.coauthors
    circle = len(fs.coauthors) - own
    inside = len(fs.coauthors & fl.coauthors) - (own and target in fl.coauthors)
    return not (circle < cfg.middle_circle_min or inside < cfg.middle_containment * circle)


def score_pair(
    corpus: Corpus,
    a: int,
    b: int,
    sim: float,
    rule: str,
    facts: Facts,
    alias_before: Mapping[str, str],
) -> ScoredPair:
    """The evidence that the name keys ``a`` and ``b``, which ``rule`` may join, are one."""
    cfg = corpus.config
    keys = corpus.keys
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
    if rule == "order-swap" and not clash and corpus.word_sets.get(word_set(keys[a]), 0) == 2:
        # No third name in the data is made of these words: a weak prior, never enough alone.
        strength = combine([strength, cfg.w_only_candidate])
        evidence.append("no other name in the data is made of these words")
        reading = _one_reading(corpus, keys[a], keys[b])
        if reading and not capped:
            strength = combine([strength, cfg.w_one_reading])
            evidence.append(reading)
    if clash:
        return ScoredPair(1.0, a, b, rule, sim, tuple(evidence), False, clash=True)
    need = cfg.merge_evidence.get(rule, 1.0)
    if rule in CONTEXT_RULES and not capped and strength < need:
        strength = _context_evidence(corpus, a, b, facts, alias_before, strength, need, evidence)
    score = max(strength, sim if need == 0 else 0.0)
    return ScoredPair(score, a, b, rule, sim, tuple(evidence), strength >= need)


def _canonical_keys(
    corpus: Corpus, clusters: Clusters, alias_before: Mapping[str, str]
) -> tuple[dict[str, str], dict[int, int]]:
    """(name key -> canonical key, key number -> canonical key number) of the clusters.

    The canonical name of a cluster: a pinned key, then a full name, then the most
    mentioned, then the smallest key.
    """
    keys = corpus.keys
    alias: dict[str, str] = {}
    canonical: dict[int, int] = {}
    counts = [len(m) for m in corpus.mentions_of]
    for group in clusters.joined():
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
    return alias, canonical


def _context_note(corpus: Corpus, fa: KeyFacts, fb: KeyFacts) -> str:
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

"""Step 1 of resolution: near-duplicate titles confirmed by date, authors and abstract
become one paper (:func:`merge_papers`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import overload

from rapidfuzz import fuzz

from kg.identity.blocking import Blocks, pairs_from_blocks
from kg.identity.clusters import Clusters
from kg.identity.corpus import Corpus, curation_evidence
from kg.identity.names import name_parts
from kg.identity.records import ABSTRACT_HEAD, Decision, DecisionKind, Resolution

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
        given, surname = name_parts(corpus.keys[k])
        out.add(surname)
        if given and len(given[0]) > 1:
            out.add(given[0])  # an order swap keeps one of the two
    return out


@dataclass(frozen=True, slots=True)
class TitleNodes:
    """The distinct title keys of a corpus, numbered in sorted order, with their listings."""

    keys: tuple[str, ...]
    listings: Mapping[str, list[int]]
    number: Mapping[str, int]

    @classmethod
    def of(cls, corpus: Corpus) -> TitleNodes:
        nodes: dict[str, list[int]] = defaultdict(list)
        for j, tk in enumerate(corpus.title_keys):
            nodes[tk].append(j)
        tks = tuple(sorted(nodes))
        return cls(tks, nodes, {tk: i for i, tk in enumerate(tks)})

    def title(self, corpus: Corpus, key: str) -> str:
        """The title as written on the first listing of the title key ``key``."""
        return corpus.listings[self.listings[key][0]].title


@dataclass(frozen=True, slots=True)
class PaperCandidate:
    """Two title keys (node numbers ``a`` < ``b``) that look alike, and what was found."""

    score: float
    a: int
    b: int
    evidence: tuple[str, ...]
    #: Similar enough and confirmed by date, authors and abstract.
    mergeable: bool


class TitleSources(Sequence[frozenset[int]]):
    """Per title node (a :class:`TitleNodes` number), the sources that list it, made when
    asked: a frozenset held for every title (216 bytes the smallest; most titles are listed
    once) was some 200 MB at 1M papers, and only the pairs tried ask."""

    def __init__(self, corpus: Corpus, nodes: TitleNodes) -> None:
        self._source = corpus.listing_source
        self._keys = nodes.keys
        self._listings = nodes.listings

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, i: int) -> frozenset[int]: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[frozenset[int]]: ...

    def __getitem__(self, i: int | slice) -> frozenset[int] | Sequence[frozenset[int]]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        source = self._source
        return frozenset(source[j] for j in self._listings[self._keys[i]])


class PaperClusters(Clusters):
    """Title keys joined into papers: never two listings of one profile in one paper."""

    def __init__(self, sources_of: Sequence[frozenset[int]]) -> None:
        super().__init__(len(sources_of))
        self._of = sources_of
        #: The sources of each cluster joined from two or more title keys (by its root);
        #: a single title key's are asked of ``sources_of``.
        self._sources: dict[int, frozenset[int]] = {}

    def _sources_of(self, root: int) -> frozenset[int]:
        hit = self._sources.get(root)
        return self._of[root] if hit is None else hit

    def veto(self, ra: int, rb: int) -> str | None:
        if self._sources_of(ra) & self._sources_of(rb):
            return "one profile lists both"
        return super().veto(ra, rb)

    def _join(self, ra: int, rb: int) -> None:
        joined = self._sources_of(ra) | self._sources_of(rb)
        super()._join(ra, rb)
        self._sources[ra] = joined
        self._sources.pop(rb, None)  # no longer a root: never asked again


def merge_papers(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 1: near-duplicate titles confirmed by date, authors and abstract become one paper."""
    nodes = TitleNodes.of(corpus)
    sources_of = TitleSources(corpus, nodes)
    clusters = PaperClusters(sources_of)
    warnings: list[str] = list(res.warnings)
    decisions = _curated_papers(corpus, nodes, clusters, warnings)
    candidates = paper_candidates(corpus, nodes, title_pairs(corpus, nodes), sources_of)
    merged: list[PaperCandidate] = []
    for c in candidates:
        if c.mergeable and clusters.union(c.a, c.b) is None:
            merged.append(c)
        elif not clusters.same(c.a, c.b):
            evidence = c.evidence
            if c.mergeable:
                evidence = (
                    *evidence,
                    "kept apart: merging would put two listings of one profile, "
                    "or a curated cannot-link, into one paper",
                )
            tk_a, tk_b = nodes.keys[c.a], nodes.keys[c.b]
            decisions.append(
                Decision(
                    "distinct",
                    "paper",
                    (tk_a, tk_b),
                    (nodes.title(corpus, tk_a), nodes.title(corpus, tk_b)),
                    "title-similarity",
                    round(c.score, 3),
                    evidence,
                )
            )
    alias, canonical_of = _canonical_papers(corpus, nodes, clusters, res.paper_alias)
    for c in merged:
        canon = canonical_of[clusters.find(c.a)]
        variant = nodes.keys[c.b] if nodes.keys[c.a] == canon else nodes.keys[c.a]
        decisions.append(
            Decision(
                "merge",
                "paper",
                (canon, variant),
                (nodes.title(corpus, canon), nodes.title(corpus, variant)),
                "near-duplicate-title",
                round(c.score, 3),
                c.evidence,
            )
        )
    corpus.paper_of_listing = [alias.get(tk, tk) for tk in corpus.title_keys]
    # No later step reads abstracts: let them go before the author rounds' high-water mark.
    corpus.abstracts = {}
    return replace(
        res, paper_alias=alias, decisions=res.decisions + tuple(decisions), warnings=tuple(warnings)
    )


def title_pairs(corpus: Corpus, nodes: TitleNodes) -> dict[tuple[int, int], float]:
    """Pairs of title keys (node numbers) worth comparing, with their title similarity."""
    cfg = corpus.config
    tks = nodes.keys
    # Each word one string object, shared by every title that has it (each title's own
    # split made about eight new ones: some 400 MB of a 1M-paper corpus while blocking).
    vocabulary: dict[str, str] = {}
    contents = [tuple(vocabulary.setdefault(t, t) for t in _content(tk)) for tk in tks]
    del vocabulary
    df: Counter[str] = Counter()
    for toks in contents:
        df.update(set(toks))

    def title_blocks(tk: str) -> list[str]:
        # Two halves, each with the initials of the other: one misspelt word breaks
        # one key, not both. Plus the keys of the two rarest words (a word added or
        # dropped), "r:".
        toks = contents[nodes.number[tk]]
        if not toks:
            return []
        half = (len(toks) + 1) // 2
        head, tail = toks[:half], toks[half:]
        rare = sorted(set(toks), key=lambda t: (df[t], t))[:2]
        return [
            "a:" + " ".join(head) + "|" + "".join(t[0] for t in tail),
            "b:" + "".join(t[0] for t in head) + "|" + " ".join(tail),
            *["r:" + t for t in rare if df[t] <= cfg.max_title_df],
        ]

    cutoff = 100 * min(cfg.paper_lookalike_min, cfg.paper_title_min)
    # The blocks are made once, each title's keys worked out once (they are not held for
    # each title: four strings a title), and scored twice: all, then the rare words' blocks.
    blocks = Blocks(tks, title_blocks, then="r:")
    pairs = pairs_from_blocks(tks, blocks, cutoff, cfg.max_block)
    # One title's words inside the other's ("Towards a Unified View of X" / "X: A Unified
    # View of ..."): never merged, but recorded as distinct with the reason.
    contained = pairs_from_blocks(tks, blocks, 90, cfg.max_block, fuzz.token_set_ratio)
    del blocks
    for pair in contained.keys() - pairs.keys():
        pairs[pair] = fuzz.ratio(tks[pair[0]], tks[pair[1]]) / 100.0
    return pairs


def _curated_papers(
    corpus: Corpus, nodes: TitleNodes, clusters: Clusters, warnings: list[str]
) -> list[Decision]:
    """Apply the curated paper constraints to ``clusters`` (they come first: they win); a
    constraint that cannot apply adds to ``warnings``."""
    decisions: list[Decision] = []
    tks = nodes.keys
    for c in corpus.constraints:
        if c.entity != "paper":
            continue
        a, b = nodes.number.get(c.a), nodes.number.get(c.b)
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
            clusters.union(a, b, force=True)
        else:
            if clusters.same(a, b):
                warnings.append(f"{c.origin}: cannot-link between two listings of one title key")
                continue
            clusters.forbid(a, b)
        decisions.append(
            Decision(
                kind,
                "paper",
                (tks[a], tks[b]),
                (nodes.title(corpus, tks[a]), nodes.title(corpus, tks[b])),
                "curated",
                1.0,
                curation_evidence(c),
            )
        )
    return decisions


def paper_candidates(
    corpus: Corpus,
    nodes: TitleNodes,
    pairs: Mapping[tuple[int, int], float],
    sources_of: Sequence[frozenset[int]],
) -> list[PaperCandidate]:
    """The look-alike pairs with their evidence, strongest first (then by title key)."""
    cfg = corpus.config
    tks = nodes.keys
    candidates: list[PaperCandidate] = []
    for (a, b), sim in pairs.items():
        ok, score, evidence = _paper_evidence(
            corpus,
            (nodes.listings[tks[a]], corpus.abstracts.get(tks[a], "")),
            (nodes.listings[tks[b]], corpus.abstracts.get(tks[b], "")),
            sim,
            sources_of[a] & sources_of[b],
        )
        if ok and sim >= cfg.paper_title_min:
            candidates.append(PaperCandidate(score, a, b, tuple(evidence), True))
        elif sim >= cfg.paper_lookalike_min or ok:
            candidates.append(PaperCandidate(score, a, b, tuple(evidence), False))
        else:
            set_sim = fuzz.token_set_ratio(tks[a], tks[b]) / 100.0
            note = f"the words of one title are nearly all in the other ({set_sim:.2f})"
            candidates.append(PaperCandidate(score, a, b, (*evidence, note), False))
    candidates.sort(key=lambda c: (-c.score, tks[c.a], tks[c.b]))
    return candidates


def _canonical_papers(
    corpus: Corpus, nodes: TitleNodes, clusters: Clusters, alias_before: Mapping[str, str]
) -> tuple[dict[str, str], dict[int, str]]:
    """(title key -> canonical key, cluster root -> canonical key). The canonical key of a
    cluster: a pinned key, then the most listed, then the smallest."""
    tks = nodes.keys
    alias: dict[str, str] = dict(alias_before)
    canonical_of: dict[int, str] = {}
    for root, group in clusters.partition(len(tks)).items():
        best = min(
            group,
            key=lambda i: (
                tks[i] not in corpus.pinned_papers,
                -len(nodes.listings[tks[i]]),
                tks[i],
            ),
        )
        canonical_of[root] = tks[best]
        for i in group:
            if i != best:
                alias[tks[i]] = tks[best]
    return alias, canonical_of


def _paper_evidence(
    corpus: Corpus,
    a: tuple[list[int], str],
    b: tuple[list[int], str],
    sim: float,
    shared_sources: frozenset[int],
) -> tuple[bool, float, list[str]]:
    """Do two title keys' listings (and abstract heads, "" for none) confirm one paper?
    (ok, score, evidence)."""
    cfg = corpus.config
    (la, aa), (lb, ab) = a, b
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

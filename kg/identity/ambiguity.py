"""Step 4 of resolution: names whose papers split into co-author communities that share
nobody are flagged (:func:`flag_ambiguous`)."""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kg.identity.clusters import UnionFind
from kg.identity.corpus import Corpus, canonical_authors, listings_of_paper
from kg.identity.records import Ambiguity, Resolution


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
    canonical = canonical_authors(corpus, res)
    # How many papers each name is on, counted paper by paper (a set of papers for every
    # name was about 200 MB at 1M papers, for a count).
    papers_of: Counter[str] = Counter()
    for listings in listings_of_paper(corpus).values():
        papers_of.update({e for j in listings for e in canonical[j]})
    need = cfg.community_min_papers * cfg.communities_needed
    suspects = {e for e, n in papers_of.items() if n >= need}
    del papers_of
    if not suspects:
        return res
    graph = CoauthorGraph.of(corpus, res, canonical, suspects)
    flagged: list[Ambiguity] = []
    for entity in sorted(graph.papers):  # the suspects that may be flagged
        groups = linked_communities(corpus, graph, entity)
        if groups is not None:
            flagged.append(_ambiguity(graph, entity, groups))
    return replace(res, ambiguous=res.ambiguous + tuple(flagged))


@dataclass(frozen=True, slots=True)
class CoauthorGraph:
    """Who published with whom (visible author lists), and the papers of the suspects."""

    #: suspect -> paper -> its co-authors on that paper, for the suspects with communities
    #: enough to be flagged (the others cannot be: :func:`linked_communities` needs them)
    papers: Mapping[str, Mapping[str, set[str]]]
    #: suspect -> paper -> year (the same suspects)
    years: Mapping[str, Mapping[str, int]]
    #: author -> everyone on an author list of two or more with them (themselves included),
    #: for the authors :func:`linked_communities` reads: those suspects' co-authors
    neighbours: Mapping[str, set[str]]
    #: canonical key -> display name
    display: Mapping[str, str]

    @classmethod
    def of(
        cls,
        corpus: Corpus,
        res: Resolution,
        canonical: list[tuple[str, ...]],
        suspects: set[str],
    ) -> CoauthorGraph:
        cfg = corpus.config
        # Listing numbers as machine ints (a Python int object each was 28 bytes more).
        listed_on: dict[str, array[int]] = {e: array("l") for e in suspects}
        for j, listed in enumerate(canonical):
            for e in listed:
                if e in suspects:
                    listed_on[e].append(j)
        # Each suspect's papers and co-authors are made one suspect at a time and kept only
        # for those with communities enough to be flagged; their co-authors are the only
        # authors whose own co-authors linked_communities reads. A set per paper of every
        # suspect and a set of co-authors for every author of the corpus made this step the
        # peak of pass 1 (at 100k and 300k papers: 61 and 155 MiB over the steps before it).
        entity_papers: dict[str, dict[str, set[str]]] = {}
        years: dict[str, dict[str, int]] = {}
        needed: set[str] = set()
        for e in sorted(suspects):
            papers: dict[str, set[str]] = defaultdict(set)
            when: dict[str, int] = {}
            for j in listed_on.pop(e):
                paper = corpus.paper_of_listing[j]
                papers[paper].update(x for x in canonical[j] if x != e)
                day = corpus.listings[j].date
                if day:
                    when[paper] = day.year
            big = [g for g in _communities(papers) if len(g) >= cfg.community_min_papers]
            if len(big) < cfg.communities_needed:
                continue
            entity_papers[e] = papers
            years[e] = when
            for g in big:
                for paper in g:
                    needed.update(papers[paper])
        neighbours: dict[str, set[str]] = defaultdict(set)
        for listed in canonical:
            if len(listed) > 1:
                for e in listed:
                    if e in needed:
                        neighbours[e].update(listed)
        display: dict[str, str] = {}
        for i, key in enumerate(corpus.keys):
            display.setdefault(res.author_alias.get(key, key), corpus.display[i])
        return cls(entity_papers, years, neighbours, display)


def linked_communities(corpus: Corpus, graph: CoauthorGraph, entity: str) -> list[list[str]] | None:
    """The communities of ``entity``'s papers, largest first, once those whose co-authors
    have published together elsewhere are joined; None when they do not make it ambiguous."""
    cfg = corpus.config
    papers = graph.papers[entity]
    neighbours = graph.neighbours
    big = [g for g in _communities(papers) if len(g) >= cfg.community_min_papers]
    if len(big) < cfg.communities_needed:
        return None
    members = [set().union(*(papers[p] for p in g)) for g in big]
    uf = UnionFind(len(big))
    for a in range(len(big)):
        reach = set().union(*(neighbours[x] for x in members[a])) - {entity}
        for b in range(a + 1, len(big)):
            if reach & members[b]:
                uf.join(uf.find(a), uf.find(b))
    joined: dict[int, list[str]] = defaultdict(list)
    for a, g in enumerate(big):
        joined[uf.find(a)].extend(g)
    groups = sorted(joined.values(), key=lambda g: (-len(g), min(g)))
    if len(groups) < cfg.communities_needed:
        return None
    clustered = sum(len(g) for g in groups)
    if len(groups[0]) > cfg.dominant_share * clustered:
        return None
    return groups


def _ambiguity(graph: CoauthorGraph, entity: str, groups: list[list[str]]) -> Ambiguity:
    """The flag of ``entity`` with its communities described (four at most)."""
    papers, display, years = graph.papers[entity], graph.display, graph.years
    clustered = sum(len(g) for g in groups)
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
    rest = len(papers) - clustered
    evidence = (
        f"{len(papers)} papers fall into {len(groups)} co-author communities that share no "
        f"co-author and whose co-authors have not published together (visible author lists only); "
        f"the largest holds {len(groups[0])} of the {clustered} papers in communities",
        *(f"community {i}: {text}" for i, text in enumerate(described, 1)),
        *((f"{rest} further paper(s) share no co-author with any other",) if rest else ()),
    )
    return Ambiguity(entity, display.get(entity, entity), len(papers), tuple(names), evidence)


def _communities(papers: Mapping[str, set[str]]) -> list[list[str]]:
    """Papers grouped by shared co-authors (connected components)."""
    order = sorted(papers)
    uf = UnionFind(len(order))
    first_with: dict[str, int] = {}
    for i, paper in enumerate(order):
        for co in papers[paper]:
            seen = first_with.setdefault(co, i)
            if seen != i:
                uf.join(uf.find(seen), uf.find(i))
    groups: dict[int, list[str]] = defaultdict(list)
    for i, paper in enumerate(order):
        groups[uf.find(i)].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))

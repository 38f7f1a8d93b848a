"""What pass 1 holds while resolving: the ambiguity step keeps co-author sets only for the
authors it reads, and no IRI is made for every key when nothing needs one (issue 17)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from kg.identity.ambiguity import (
    CoauthorGraph,
    _ambiguity,
    flag_ambiguous,
    linked_communities,
)
from kg.identity.authors import Facts
from kg.identity.corpus import build_corpus, canonical_authors
from kg.identity.curation import Curation, CurationEntry, curation_constraints
from kg.identity.papers import PaperClusters, TitleNodes, TitleSources
from kg.identity.resolve import DEFAULT_STEPS, Listing, Resolution, SourceSummary, resolve
from kg.normalize import name_key, title_key
from kg.pipeline import resolver as resolver_module
from kg.pipeline.resolver import Request, resolve_request
from kg.pipeline.summaries import StoredSource
from kg.rdf.iri import IriScheme


def _listing(source: str, title: str, *authors: str, year: int = 2020) -> Listing:
    return Listing(source, 1, title, date(year, 1, 1), tuple(authors), False, "")


def _fixture() -> list[SourceSummary]:
    """Wei Zhang in two communities that share nobody (flagged); Li Na on six papers with one
    group (a suspect by her count of papers, but one community); bystanders elsewhere."""
    x = [
        _listing("x.txt", f"Alpha Study {i}", "Wei Zhang", "Ann Alphamark", "Ben Alphaford")
        for i in range(3)
    ]
    x += [
        _listing("x.txt", f"Beta Study {i}", "Wei Zhang", "Ann Betamark", "Ben Betaford")
        for i in range(3)
    ]
    y = [
        _listing("y.txt", f"Gamma Study {i}", "Li Na", "Cy Gammon", "Dee Gamwell") for i in range(6)
    ]
    z = [_listing("z.txt", f"Delta Study {i}", "Eve Deltoid", "Fay Deltan") for i in range(2)]
    return [
        SourceSummary("x.txt", "Wei Zhang", False, tuple(x)),
        SourceSummary("y.txt", "Li Na", False, tuple(y)),
        SourceSummary("z.txt", None, False, tuple(z)),
    ]


def _before_ambiguity(sources: list[SourceSummary]) -> tuple[Any, Resolution]:
    corpus = build_corpus(sources)
    res = Resolution()
    for step in DEFAULT_STEPS[:-1]:
        res = step(corpus, res)
    return corpus, res


def test_the_coauthor_graph_holds_only_what_linked_communities_reads() -> None:
    corpus, res = _before_ambiguity(_fixture())
    canonical = canonical_authors(corpus, res)
    graph = CoauthorGraph.of(corpus, res, canonical, {"wei zhang", "li na"})
    # Li Na has one community: she cannot be flagged, so neither her papers nor her
    # co-authors' co-authors are held; nor are the bystanders'.
    assert set(graph.papers) == {"wei zhang"}
    assert set(graph.neighbours) == {
        "ann alphamark",
        "ben alphaford",
        "ann betamark",
        "ben betaford",
    }
    assert graph.neighbours["ann alphamark"] == {"wei zhang", "ann alphamark", "ben alphaford"}
    assert [a.key for a in flag_ambiguous(corpus, res).ambiguous] == ["wei zhang"]


def _reference_flags(corpus: Any, res: Resolution) -> list[Any]:
    """flag_ambiguous as it was: every suspect's papers and every author's co-authors held."""
    cfg = corpus.config
    canonical = canonical_authors(corpus, res)
    papers_of: dict[str, set[str]] = defaultdict(set)
    for j, listed in enumerate(canonical):
        for e in listed:
            papers_of[e].add(corpus.paper_of_listing[j])
    need = cfg.community_min_papers * cfg.communities_needed
    suspects = {e for e, p in papers_of.items() if len(p) >= need}
    papers: dict[str, dict[str, set[str]]] = {e: defaultdict(set) for e in suspects}
    years: dict[str, dict[str, int]] = defaultdict(dict)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for j, listed in enumerate(canonical):
        if len(listed) > 1:
            for e in listed:
                neighbours[e].update(listed)
        for e in listed:
            if e in suspects:
                paper = corpus.paper_of_listing[j]
                papers[e][paper].update(x for x in listed if x != e)
                day = corpus.listings[j].date
                if day:
                    years[e][paper] = day.year
    display: dict[str, str] = {}
    for i, key in enumerate(corpus.keys):
        display.setdefault(res.author_alias.get(key, key), corpus.display[i])
    graph = CoauthorGraph(papers, years, neighbours, display)
    out = []
    for e in sorted(suspects):
        groups = linked_communities(corpus, graph, e)
        if groups is not None:
            out.append(_ambiguity(graph, e, groups))
    return out


def test_flags_equal_those_of_the_whole_coauthor_graph() -> None:
    """Shared names in groups of co-authors of their own, some groups bridged by a paper of
    two of their co-authors: the flags (and their evidence) are those of the graph with
    every author's co-authors."""
    rng = random.Random(17)
    surnames = ["Quill", "Rennet", "Dunmore", "Farrow", "Ashby", "Colfax", "Brandt", "Eskew"]
    pools = [[f"{g} {f}" for g in ("Ann", "Ben", "Cy", "Dee")] for f in surnames]
    shared = ["Wei Zhang", "Li Na", "Raj Patel", "Mei Sato", "Jon Berg"]
    sources = []
    for s, name in enumerate(shared):
        listings = []
        for p in rng.sample(range(len(pools)), rng.randint(2, 3)):
            for i in range(rng.randint(2, 4)):
                title = f"Study of {name} with group {p} number {i}"
                listings.append(_listing(f"s{s}.txt", title, name, *rng.sample(pools[p], 2)))
        sources.append(SourceSummary(f"s{s}.txt", None, False, tuple(listings)))
    bridges = tuple(
        _listing("bridges.txt", f"Bridge {i}", pools[a][0], pools[b][1])
        for i, (a, b) in enumerate([(0, 1), (2, 3)])
    )
    sources.append(SourceSummary("bridges.txt", None, False, bridges))
    corpus, res = _before_ambiguity(sources)
    expected = _reference_flags(corpus, res)
    assert expected, "the fixture should flag some names"
    assert list(flag_ambiguous(corpus, res).ambiguous) == expected


class _Counting:
    """An IRI scheme that counts the IRIs it makes."""

    def __init__(self) -> None:
        self.scheme = IriScheme("https://kg.example.org/")
        self.made = 0

    def kind_of(self, iri: str) -> str | None:
        return self.scheme.kind_of(iri)

    def author_from_key(self, key: str) -> str:
        self.made += 1
        return self.scheme.author_from_key(key)

    def paper_from_key(self, key: str) -> str:
        self.made += 1
        return self.scheme.paper_from_key(key)


def test_curation_makes_iris_only_for_an_entry_that_names_one() -> None:
    authors, papers = {f"name {i}" for i in range(50)}, {f"title {i}" for i in range(50)}
    scheme = _Counting()
    names = Curation((CurationEntry("must-link", "Name 1", "Name 2", "", "c.tsv:1"),))
    constraints, problems = curation_constraints(names, scheme, authors, papers)
    assert [(c.a, c.b) for c in constraints] == [("name 1", "name 2")] and not problems
    assert scheme.made == 0
    iri = scheme.scheme.author_from_key("name 3")
    both = Curation((CurationEntry("cannot-link", iri, "Name 4", "", "c.tsv:2"),))
    constraints, problems = curation_constraints(both, scheme, authors, papers)
    assert [(c.a, c.b) for c in constraints] == [("name 3", "name 4")] and not problems
    assert scheme.made == len(authors)  # the authors' IRIs, once; no paper's


def test_the_keys_stored_graphs_use_are_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The author and paper IRIs a stored graph uses (its owner's, its listings' papers and
    authors) pin their keys: resolution prefers them as canonical keys."""
    scheme = IriScheme("https://kg.example.org/")
    z = _fixture()[2]
    stored = StoredSource(
        "https://kg.example.org/graph/z.txt",
        z,
        (scheme.paper_from_key(title_key("Delta Study 0")), "https://elsewhere.test/p"),
        ((scheme.author_from_key(name_key("Eve Deltoid")), "https://elsewhere.test/a"),) * 2,
        scheme.author_from_key(name_key("Li Na")),
        ("", ""),
    )
    seen: dict[str, Any] = {}

    def watched(summaries: Any, **kwargs: Any) -> Resolution:
        seen.update(kwargs)
        return resolve(summaries, **kwargs)

    monkeypatch.setattr(resolver_module, "resolve", watched)
    request = Request((stored,), Curation(), scheme, None, "d")
    resolve_request(_fixture()[:2], request)
    assert seen["pinned_authors"] == {name_key("Eve Deltoid"), name_key("Li Na")}
    assert seen["pinned_papers"] == {title_key("Delta Study 0")}


def test_a_new_store_makes_no_iri_for_every_key() -> None:
    scheme = _Counting()
    request = Request((), Curation(), scheme, None, "d")  # type: ignore[arg-type]
    resolution, problems = resolve_request(_fixture(), request)
    assert scheme.made == 0 and not problems
    assert resolution == resolve(_fixture())


class _Asked(Sequence[frozenset[int]]):
    """Per title node its sources, counting how many are asked for."""

    def __init__(self, sources: list[frozenset[int]]) -> None:
        self.sources = sources
        self.asked = 0

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: Any) -> Any:
        self.asked += 1
        return self.sources[i]


def test_paper_clusters_hold_sources_only_for_joined_clusters() -> None:
    """A frozenset for every title was some 300 MB at 1M papers: only joined clusters hold
    one, and a title's own are asked for when a pair with it is tried."""
    sources = _Asked([frozenset({i}) for i in range(1000)] + [frozenset({5})])
    clusters = PaperClusters(sources)
    assert clusters.union(0, 1) is None and clusters.union(1, 2) is None
    assert clusters.union(5, 1000) == "one profile lists both"
    assert clusters.union(2, 5) is None and clusters.union(0, 1000) == "one profile lists both"
    assert len(clusters._sources) == 1 and clusters._sources[clusters.find(0)] == {0, 1, 2, 5}
    assert sources.asked <= 12  # per pair tried (twice when joined), not one per title


def test_title_sources_are_those_of_each_title_key() -> None:
    corpus, _ = _before_ambiguity(_fixture())
    nodes = TitleNodes.of(corpus)
    lazy = TitleSources(corpus, nodes)
    eager = [frozenset(corpus.listing_source[j] for j in nodes.listings[tk]) for tk in nodes.keys]
    assert len(lazy) == len(eager) and list(lazy) == eager and lazy[1:3] == eager[1:3]


def test_key_facts_share_one_object_per_set_of_positions() -> None:
    """A set per paper of every key's facts was 216 bytes a mention: the facts of all keys
    share one frozenset per distinct set of positions, with the same answers."""
    corpus, res = _before_ambiguity(_fixture())
    facts = Facts(corpus, canonical_authors(corpus, res), res.author_alias)
    slots = [facts(k).slots for k in range(len(corpus.keys))]
    values = [v for s in slots for v in s.values()]
    assert all(isinstance(v, frozenset) for v in values)
    assert len({id(v) for v in values}) == len(set(values)) <= 3  # {0}, {1}, {2}
    wei = facts(corpus.key_index["wei zhang"]).slots
    assert wei == {
        corpus.paper_of_listing[j]: {0} for j in corpus.mentions_of[corpus.key_index["wei zhang"]]
    }


def test_a_new_store_without_curation_lists_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every key of the data is listed only for the pinned keys and curation: a new store
    without a curation file needs neither (1M title keys made twice at 1M papers)."""
    listed: list[int] = []
    all_keys = resolver_module._all_keys

    def counted(summaries: list[SourceSummary]) -> tuple[set[str], set[str]]:
        listed.append(len(summaries))
        return all_keys(summaries)

    monkeypatch.setattr(resolver_module, "_all_keys", counted)
    scheme = IriScheme()
    new = Request((), Curation(), scheme, None, "d")
    resolution, _ = resolve_request(_fixture(), new)
    assert listed == [] and resolution == resolve(_fixture())
    entry = CurationEntry("cannot-link", "Wei Zhang", "Li Na", "", "c.tsv:1")
    curated = Request((), Curation((entry,)), scheme, None, "d")
    resolution, problems = resolve_request(_fixture(), curated)
    assert listed == [3] and not problems
    assert any(d.kind == "curated-cannot-link" for d in resolution.decisions)

"""The pieces the merge steps are built of, one by one: clusters with vetoes, the
candidate records, the per-mention decision (kg.identity.clusters, .papers, .authors)."""

from __future__ import annotations

from datetime import date

import pytest

from kg.identity.authors import AuthorClusters, Facts, score_pair
from kg.identity.clusters import Clusters
from kg.identity.corpus import build_corpus, canonical_authors, name_pairs
from kg.identity.papers import PaperClusters, TitleNodes, paper_candidates, title_pairs
from kg.identity.records import Listing, Resolution, SourceSummary

D = date(2024, 3, 1)


def S(source: str, *listings: tuple[str, tuple[str, ...]], day: date = D) -> SourceSummary:
    return SourceSummary(
        source,
        None,
        False,
        tuple(Listing(source, 1, title, day, authors, False) for title, authors in listings),
    )


def test_clusters_keep_members_in_the_order_joined() -> None:
    c = Clusters(5)
    assert c.union(3, 1) is None and c.union(0, 3) is None
    assert c.same(0, 1) and not c.same(0, 2)
    assert c.members(c.find(1)) == [0, 3, 1]
    assert list(c.joined()) == [[0, 3, 1]]
    assert dict(c.partition(5)) == {0: [0, 1, 3], 2: [2], 4: [4]}


def test_a_cannot_link_holds_for_the_whole_cluster_unless_forced() -> None:
    c = Clusters(4)
    c.forbid(0, 3)
    assert c.union(0, 1) is None
    assert c.union(2, 3) is None
    assert c.union(1, 2) == "a curated cannot-link"  # 0 and 3 would meet
    assert not c.same(0, 3)
    assert c.union(1, 2, force=True) is None and c.same(0, 3)


def test_a_union_of_one_cluster_is_no_veto() -> None:
    c = Clusters(2)
    c.union(0, 1)
    c.forbid(0, 1)
    assert c.union(1, 0) is None


def test_paper_clusters_never_hold_two_listings_of_one_profile() -> None:
    c = PaperClusters([frozenset({0}), frozenset({1}), frozenset({0, 2})])
    assert c.union(0, 1) is None
    assert c.union(1, 2) == "one profile lists both"  # 0 and 2 share profile 0
    assert c.union(1, 2, force=True) is None


def test_author_clusters_refuse_contradicting_names() -> None:
    corpus = build_corpus(
        [
            S("a.txt", ("One", ("Wei Zhang", "Ada Quill"))),
            S("b.txt", ("Two", ("Zhang Wei", "Ada Quill"))),
            S("c.txt", ("Three", ("Wen Zhang", "Bo Rennet"))),
        ]
    )
    corpus.paper_of_listing = list(corpus.title_keys)
    facts = Facts(corpus, canonical_authors(corpus, Resolution()), {})
    clusters = AuthorClusters(corpus, facts)
    k = corpus.key_index
    assert clusters.union(k["wei zhang"], k["zhang wei"]) is None
    why = clusters.union(k["zhang wei"], k["wen zhang"])
    assert why is not None and "cannot be one person's names" in why


def test_author_clusters_refuse_names_on_one_author_list() -> None:
    corpus = build_corpus([S("a.txt", ("One", ("Wei Zhang", "Zhang Wei")))])
    corpus.paper_of_listing = list(corpus.title_keys)
    clusters = AuthorClusters(corpus, Facts(corpus, canonical_authors(corpus, Resolution()), {}))
    why = clusters.union(corpus.key_index["wei zhang"], corpus.key_index["zhang wei"])
    assert why == "the merged names would share an author list"


def test_a_scored_pair_carries_its_evidence() -> None:
    corpus = build_corpus(
        [
            S("a.txt", ("One", ("Wei Zhang", "Ada Quill", "Bo Rennet"))),
            S("b.txt", ("Two", ("Zhang Wei", "Ada Quill", "Bo Rennet"))),
        ]
    )
    corpus.paper_of_listing = list(corpus.title_keys)
    facts = Facts(corpus, canonical_authors(corpus, Resolution()), {})
    (pair, (sim, rule)), *_ = [
        (p, v) for p, v in name_pairs(corpus).items() if v[1] == "order-swap"
    ]
    scored = score_pair(corpus, *pair, sim, rule or "", facts, {})
    assert scored.enough and not scored.clash
    assert scored.label.startswith("name rule order-swap")
    assert any("shared co-author" in e for e in scored.evidence)


@pytest.mark.parametrize(
    ("day", "mergeable"),
    [
        pytest.param(D, True, id="same-date"),
        pytest.param(date(2022, 3, 1), False, id="two-years-apart"),
    ],
)
def test_paper_candidates(day: date, mergeable: bool) -> None:
    corpus = build_corpus(
        [
            S("a.txt", ("A Study of Sparse Heads", ("Ada Quill", "Bo Rennet"))),
            S("b.txt", ("A Study of Sparce Heads", ("Ada Quill", "Bo Rennet")), day=day),
        ]
    )
    nodes = TitleNodes.of(corpus)
    sources = [frozenset(corpus.listing_source[j] for j in nodes.listings[t]) for t in nodes.keys]
    candidates = paper_candidates(corpus, nodes, title_pairs(corpus, nodes), sources)
    assert [c.mergeable for c in candidates] == [mergeable]
    assert candidates[0].evidence[0].startswith("titles ")

"""A name pair's evidence reads the papers two keys share from the side with fewer, and still
says what it said when it walked the first key's papers (issue 17: a common name, asked by
every name near it, had all its papers walked for each)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.identity.authors import Facts, _middle_name_contained, _pair_evidence
from kg.identity.corpus import build_corpus, canonical_authors
from kg.identity.resolve import Listing, Resolution, SourceSummary

DAY = date(2021, 5, 1)


def _listing(source: str, title: str, *names: str) -> Listing:
    return Listing(source, 1, title, DAY, names, False)


def _facts(sources: list[SourceSummary]) -> tuple[Any, Facts]:
    corpus = build_corpus(sources)
    corpus.paper_of_listing = list(corpus.title_keys)
    res = Resolution()
    return corpus, Facts(corpus, canonical_authors(corpus, res), res.author_alias)


def test_a_clash_names_the_first_shared_paper_in_the_first_keys_order() -> None:
    """Wei Ming Zhang is on four papers, Weiming Zhang on two, both on the author lists of
    those two (two people). Walked from Weiming Zhang's side (fewer papers), the first clash is
    "P study"; the evidence names "Q study", the first in Wei Ming Zhang's order (s1 lists Q)."""
    a, b = "Wei Ming Zhang", "Weiming Zhang"
    s1 = SourceSummary(
        "s1.txt",
        None,
        False,
        (
            _listing("s1.txt", "Q study", a, "Ann Other"),
            _listing("s1.txt", "R study", a),
            _listing("s1.txt", "S study", a),
        ),
    )
    s2 = SourceSummary(
        "s2.txt",
        None,
        False,
        (_listing("s2.txt", "P study", a, b), _listing("s2.txt", "Q study", a, b)),
    )
    corpus, facts = _facts([s1, s2])
    ka, kb = corpus.key_index["wei ming zhang"], corpus.key_index["weiming zhang"]
    assert list(facts(ka).slots) == ["q study", "r study", "s study", "p study"]
    assert list(facts(kb).slots) == ["p study", "q study"]
    for x, y in ((ka, kb), (kb, ka)):
        clash, score, evidence, _share = _pair_evidence(corpus, x, y, facts, {})
        first = "q study" if x == ka else "p study"
        assert clash and score == 0.0
        assert evidence == [f"both on the author list of one paper ({first!r})"]


def test_a_short_form_inside_the_fuller_names_circle_is_counted_without_the_fuller_name() -> None:
    """Meera Desai's circle (the fuller name left out) is three co-authors, all of them
    also Meera Karthik Desai's: contained. With one of them not the fuller name's: 2 of 3,
    under the share the config needs."""

    def sources(third: str) -> list[SourceSummary]:
        short = SourceSummary(
            "a.txt",
            None,
            False,
            (
                _listing("a.txt", "One", "Meera Desai", "Ana Bell", "Meera Karthik Desai"),
                _listing("a.txt", "Two", "Meera Desai", "Bo Chen", "Cy Dunn"),
            ),
        )
        full = SourceSummary(
            "b.txt",
            None,
            False,
            (_listing("b.txt", "Three", "Meera Karthik Desai", "Ana Bell", "Bo Chen", third),),
        )
        return [short, full]

    for third, contained in (("Cy Dunn", True), ("Di Eze", False)):
        corpus, facts = _facts(sources(third))
        s, f = corpus.key_index["meera desai"], corpus.key_index["meera karthik desai"]
        assert "meera karthik desai" in facts(s).coauthors
        assert _middle_name_contained(corpus, s, f, facts, {}) is contained
        assert _middle_name_contained(corpus, f, s, facts, {}) is contained

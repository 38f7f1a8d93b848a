"""kg.identity.resolve rule by rule, on small hand-made summaries (no store, no RDF).

Each case builds a few profiles in which one name (or title) variant occurs
with or without the evidence the rule asks for, and checks the outcome and
that the decision says why.
"""

from __future__ import annotations

from datetime import date

import pytest

from kg.identity.names import initials_compatible
from kg.identity.resolve import (
    Constraint,
    Listing,
    Resolution,
    SourceSummary,
    blocking_keys,
    name_rule,
    resolve,
)

D = date(2024, 3, 1)


def L(
    source: str,
    title: str,
    *authors: str,
    day: date | None = D,
    truncated: bool = False,
    abstract: str = "",
) -> Listing:
    return Listing(source, 1, title, day, tuple(authors), truncated, abstract or f"About {title}.")


def S(source: str, *listings: Listing, owner: str | None = None) -> SourceSummary:
    return SourceSummary(source, owner, False, tuple(listings))


def key_on(res: Resolution, name: str, title: str) -> str:
    """The author key the mapping gives ``name`` written on the paper ``title``."""
    return res.author_key(name, res.paper_key_of(title))


# --- name rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        pytest.param("yi fan zhang", "yifan zhang", "spacing", id="spacing"),
        pytest.param("zhang wei", "wei zhang", "order-swap", id="swap"),
        pytest.param("john r smith", "john robert smith", "middle-name", id="middle-initial"),
        pytest.param("john smith", "john robert smith", "middle-name", id="middle-dropped"),
        pytest.param("sakura kobayashi", "sakura kobayahi", "typo", id="typo"),
        pytest.param(
            "aleksandr petrov", "alexander petrov", "transliteration", id="transliteration"
        ),
        pytest.param("kai zheng", "kaipeng zheng", None, id="prefix-is-another-name"),
        pytest.param("di zhang", "dinghuai zhang", None, id="prefix-is-another-name-2"),
        pytest.param("wei lin", "wei liu", None, id="short-names-one-letter-apart"),
        pytest.param("kang zhang", "qiang zhang", None, id="different-given-names"),
        pytest.param("aisha ali farouk", "aisha omar farouk", None, id="different-middle-names"),
    ],
)
def test_name_rule(a: str, b: str, rule: str | None) -> None:
    assert name_rule(a, b) == rule
    assert name_rule(b, a) == rule


@pytest.mark.parametrize(
    ("initials", "full", "ok"),
    [
        pytest.param("j smith", "john smith", True, id="initial"),
        pytest.param("j r smith", "john robert smith", True, id="two-initials"),
        pytest.param("j smith", "john robert smith", True, id="fewer-initials"),
        pytest.param("smith j", "john smith", True, id="surname-first"),
        pytest.param("w zhang", "zhang wei", True, id="full-name-surname-first"),
        pytest.param("e van der berg", "elizabeth van der berg", True, id="particle"),
        pytest.param("j smith", "jane smyth", False, id="other-surname"),
        pytest.param("k smith", "john smith", False, id="other-initial"),
    ],
)
def test_initials_compatible(initials: str, full: str, ok: bool) -> None:
    assert initials_compatible(initials, full) is ok


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("yi fan zhang", "yifan zhang", id="spacing"),
        pytest.param("zhang yifan", "yifan zhang", id="swap"),
        pytest.param("sakura kobayashi", "sakura kobayahi", id="surname-typo"),
        pytest.param("sakura kobayashi", "sakuar kobayashi", id="given-typo"),
        pytest.param("john smith", "john robert smith", id="middle"),
        pytest.param("kobayashi sakura", "sakura kobayashi", id="swap-2"),
    ],
)
def test_variants_share_a_blocking_key(a: str, b: str) -> None:
    assert blocking_keys(a) & blocking_keys(b)


# --- authors: variants that need no evidence ---------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Renée Dubois", "Renee Dubois", id="diacritics"),
        pytest.param("Yi-Fan Zhang", "Yifan Zhang", id="hyphen"),
        pytest.param("YIFAN ZHANG", "Yifan Zhang", id="case"),
        pytest.param("Jean-Luc O'Brien", "Jeanluc OBrien", id="apostrophe-hyphen"),
    ],
)
def test_keyed_variants_are_one_author_without_a_decision(a: str, b: str) -> None:
    res = resolve(
        [
            S("a.txt", L("a.txt", "Paper One", a, "Ada Quill")),
            S("b.txt", L("b.txt", "Paper Two", b, "Bo Rennet")),
        ]
    )
    assert key_on(res, a, "Paper One") == key_on(res, b, "Paper Two")
    assert res.decisions == ()


def test_spacing_variant_merges_with_a_decision() -> None:
    res = resolve(
        [
            S("a.txt", L("a.txt", "Paper One", "Yi Fan Zhang", "Ada Quill")),
            S("b.txt", L("b.txt", "Paper Two", "Yifan Zhang", "Bo Rennet")),
        ]
    )
    assert key_on(res, "Yi Fan Zhang", "Paper One") == key_on(res, "Yifan Zhang", "Paper Two")
    merge = [d for d in res.decisions if d.kind == "merge"]
    assert merge and merge[0].method == "spacing" and merge[0].evidence


# --- authors: variants that need evidence ------------------------------------------------------


def _with_coauthors(variant: str, canonical: str, shared: bool) -> list[SourceSummary]:
    """``canonical`` on two papers with Ada Quill and Bo Rennet; ``variant`` on a third paper
    with them (``shared``) or with strangers."""
    others = ("Ada Quill", "Bo Rennet") if shared else ("Cy Dunmore", "Dee Farrow")
    return [
        S(
            "a.txt",
            L("a.txt", "Paper One", canonical, "Ada Quill", "Bo Rennet"),
            L("a.txt", "Paper Two", "Ada Quill", canonical, "Bo Rennet"),
        ),
        S("b.txt", L("b.txt", "Paper Three", variant, *others)),
    ]


@pytest.mark.parametrize(
    ("variant", "canonical", "method"),
    [
        pytest.param("J. Smith", "John Smith", "initials", id="initials"),
        pytest.param("Smith J.", "John Smith", "initials", id="initials-surname-first"),
        pytest.param("Zhang Yifan", "Yifan Zhang", "order-swap", id="order-swap"),
        pytest.param("Sakura Kobayahi", "Sakura Kobayashi", "typo", id="typo"),
        pytest.param(
            "Aleksandr Petrov", "Alexander Petrov", "transliteration", id="transliteration"
        ),
        pytest.param("John Smith", "John Robert Smith", "middle-name", id="middle-name"),
    ],
)
def test_variant_with_shared_coauthors_merges(variant: str, canonical: str, method: str) -> None:
    res = resolve(_with_coauthors(variant, canonical, shared=True))
    assert key_on(res, variant, "Paper Three") == key_on(res, canonical, "Paper One")
    decision = next(d for d in res.decisions if d.kind == "merge")
    assert decision.method == method
    assert any("co-author" in e for e in decision.evidence)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        pytest.param("J. Smith", "John Smith", id="initials"),
        pytest.param("Zhang Yifan", "Yifan Zhang", id="order-swap"),
        pytest.param("Sakura Kobayahi", "Sakura Kobayashi", id="typo"),
        pytest.param("John Smith", "John Robert Smith", id="middle-name"),
    ],
)
def test_variant_without_evidence_stays_apart(variant: str, canonical: str) -> None:
    # a second J. Smith in the data, so that the initials are not the only fit
    res = resolve(
        [
            *_with_coauthors(variant, canonical, shared=False),
            S("c.txt", L("c.txt", "Paper Four", "Jane Smith", "Eve Gallo")),
        ]
    )
    assert key_on(res, variant, "Paper Three") != key_on(res, canonical, "Paper One")
    assert not [d for d in res.decisions if d.kind == "merge"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Kai Zheng", "Kaipeng Zheng", id="kai-kaipeng"),
        pytest.param("Di Zhang", "Dinghuai Zhang", id="di-dinghuai"),
        pytest.param("Wei Lin", "Wei Liu", id="lin-liu"),
    ],
)
def test_look_alikes_with_shared_coauthors_are_not_merged(a: str, b: str) -> None:
    """Even in one profile with the same co-authors: a look-alike is not a variant."""
    res = resolve(
        [
            S(
                "a.txt",
                L("a.txt", "Paper One", a, "Ada Quill", "Bo Rennet"),
                L("a.txt", "Paper Two", b, "Ada Quill", "Bo Rennet"),
                owner="Ada Quill",
            )
        ]
    )
    assert key_on(res, a, "Paper One") != key_on(res, b, "Paper Two")
    distinct = [d for d in res.decisions if d.kind == "distinct"]
    assert distinct and distinct[0].evidence


def test_two_names_on_one_author_list_are_two_people() -> None:
    """Order swaps with plenty of shared co-authors, but they wrote a paper together."""
    res = resolve(
        [
            S(
                "a.txt",
                L("a.txt", "Paper One", "Lin Wei", "Ada Quill", "Bo Rennet"),
                L("a.txt", "Paper Two", "Wei Lin", "Ada Quill", "Bo Rennet"),
                L("a.txt", "Paper Three", "Wei Lin", "Lin Wei", "Ada Quill"),
            ),
        ]
    )
    assert key_on(res, "Lin Wei", "Paper One") != key_on(res, "Wei Lin", "Paper Two")
    assert any(d.kind == "distinct" and "one paper" in " ".join(d.evidence) for d in res.decisions)


def test_initials_with_two_fitting_people_are_not_guessed() -> None:
    """John and Jane Smith both work with Ada Quill: "J. Smith" with Ada Quill stays itself."""
    res = resolve(
        [
            S(
                "a.txt",
                L("a.txt", "Paper One", "John Smith", "Ada Quill"),
                L("a.txt", "Paper Two", "Jane Smith", "Ada Quill"),
                L("a.txt", "Paper Three", "J. Smith", "Ada Quill"),
            ),
        ]
    )
    assert key_on(res, "J. Smith", "Paper Three") == "j smith"
    maybe = {d.keys for d in res.decisions if d.kind == "possibly-same"}
    assert maybe == {("j smith", "jane smith"), ("j smith", "john smith")}


def test_initials_resolved_per_paper() -> None:
    """One initials form, two people: each paper's co-authors decide."""
    res = resolve(
        [
            S(
                "a.txt",
                L("a.txt", "Paper One", "John Smith", "Ada Quill", "Bo Rennet"),
                L("a.txt", "Paper Two", "Jane Smith", "Cy Dunmore", "Dee Farrow"),
            ),
            S(
                "b.txt",
                L("b.txt", "Paper Three", "J. Smith", "Ada Quill", "Bo Rennet"),
                L("b.txt", "Paper Four", "J. Smith", "Cy Dunmore", "Dee Farrow"),
            ),
        ]
    )
    assert key_on(res, "J. Smith", "Paper Three") == "john smith"
    assert key_on(res, "J. Smith", "Paper Four") == "jane smith"


def test_profile_owner_is_evidence_for_their_initials() -> None:
    """A complete author list on John Smith's profile must name him: "J. Smith" is him."""
    res = resolve(
        [
            S(
                "john.txt",
                L("john.txt", "Paper One", "John Smith", "Ada Quill"),
                L("john.txt", "Paper Two", "J. Smith", "Cy Dunmore"),
                owner="John Smith",
            ),
            S(
                "jane.txt",
                L("jane.txt", "Paper Three", "Jane Smith", "Eve Gallo"),
                owner="Jane Smith",
            ),
        ]
    )
    assert key_on(res, "J. Smith", "Paper Two") == "john smith"
    decision = next(d for d in res.decisions if d.kind == "merge")
    assert any("profile of John Smith" in e for e in decision.evidence)


def test_existing_key_stays_canonical() -> None:
    """A key already in the store keeps its IRI when a variant arrives."""
    listings = _with_coauthors("Zhang Yifan", "Yifan Zhang", shared=True)
    assert resolve(listings).author_alias == {"zhang yifan": "yifan zhang"}
    pinned = resolve(listings, pinned_authors={"zhang yifan"})
    assert pinned.author_alias == {"yifan zhang": "zhang yifan"}


# --- curation ------------------------------------------------------------------------------------


def test_cannot_link_splits_an_automatic_merge() -> None:
    listings = _with_coauthors("Zhang Yifan", "Yifan Zhang", shared=True)
    veto = Constraint(
        "cannot-link", "author", "zhang yifan", "yifan zhang", "two people", "c.tsv:1"
    )
    res = resolve(listings, constraints=[veto])
    assert res.author_alias == {}
    assert {d.kind for d in res.decisions} >= {"curated-cannot-link"}


def test_must_link_merges_without_evidence() -> None:
    listings = [
        S("a.txt", L("a.txt", "Paper One", "Kai Zheng", "Ada Quill")),
        S("b.txt", L("b.txt", "Paper Two", "Kaipeng Zheng", "Bo Rennet")),
    ]
    res = resolve(
        listings, constraints=[Constraint("must-link", "author", "kai zheng", "kaipeng zheng")]
    )
    assert key_on(res, "Kai Zheng", "Paper One") == key_on(res, "Kaipeng Zheng", "Paper Two")
    assert any(d.kind == "curated-must-link" for d in res.decisions)


def test_constraint_on_an_unknown_name_is_a_warning() -> None:
    res = resolve(
        [S("a.txt", L("a.txt", "Paper One", "Kai Zheng"))],
        constraints=[
            Constraint("must-link", "author", "kai zheng", "nobody here", origin="c.tsv:2")
        ],
    )
    assert res.warnings and "c.tsv:2" in res.warnings[0]


# --- papers --------------------------------------------------------------------------------------

TITLE = "Contrastive Pretraining for Tabular Anomaly Detection"
TYPO = "Contrastive Pretraining for Tabular Anomaly Detecton"


@pytest.mark.parametrize(
    ("other", "merged", "why"),
    [
        pytest.param(L("b.txt", TYPO, "Ada Quill", "Bo Rennet"), True, "same date", id="confirmed"),
        pytest.param(
            L("b.txt", TYPO, "Ada Quill", "Bo Rennet", day=date(2024, 3, 20)),
            True,
            "days apart",
            id="close-dates",
        ),
        pytest.param(
            L("b.txt", TYPO, "Ada Quill", "Bo Rennet", day=date(2022, 3, 1)),
            False,
            "days apart",
            id="dates-far-apart",
        ),
        pytest.param(
            L("b.txt", TYPO, "Ada Quill", "Bo Rennet", day=None), False, "no date", id="no-date"
        ),
        pytest.param(
            L("b.txt", TYPO, "Cy Dunmore", "Dee Farrow"),
            False,
            "no shared author",
            id="other-authors",
        ),
        pytest.param(
            L(
                "b.txt",
                TYPO,
                "Ada Quill",
                "Bo Rennet",
                abstract="Something else entirely, about birds.",
            ),
            False,
            "abstracts differ",
            id="other-abstract",
        ),
        pytest.param(
            L("a.txt", TYPO, "Ada Quill", "Bo Rennet"),
            False,
            "lists a paper once",
            id="same-profile",
        ),
    ],
)
def test_near_duplicate_titles(other: Listing, merged: bool, why: str) -> None:
    first = L("a.txt", TITLE, "Ada Quill", "Bo Rennet", abstract=f"About {TITLE}.")
    other = Listing(
        other.source,
        other.line,
        other.title,
        other.date,
        other.authors,
        other.truncated,
        other.abstract if "birds" in other.abstract else f"About {TITLE}.",
    )
    sources = {}
    for listing in (first, other):
        sources.setdefault(listing.source, []).append(listing)
    res = resolve([S(name, *ls) for name, ls in sources.items()])
    assert (res.paper_key_of(TITLE) == res.paper_key_of(TYPO)) is merged
    decision = next(d for d in res.decisions if d.entity == "paper")
    assert decision.kind == ("merge" if merged else "distinct")
    assert any(why in e for e in decision.evidence), decision.evidence


def test_title_case_and_punctuation_need_no_decision() -> None:
    res = resolve(
        [
            S("a.txt", L("a.txt", "OTMatch: Semi-Supervised  Learning", "Ada Quill")),
            S("b.txt", L("b.txt", "otmatch semi supervised learning", "Ada Quill")),
        ]
    )
    assert res.paper_key_of("OTMatch: Semi-Supervised  Learning") == res.paper_key_of(
        "otmatch semi supervised learning"
    )
    assert not [d for d in res.decisions if d.entity == "paper"]


# --- ambiguity -----------------------------------------------------------------------------------


def _community(tag: str, name: str, start: int) -> list[Listing]:
    a, b = f"Ann {tag}mark", f"Ben {tag}ford"
    return [
        L("x.txt", f"{tag} Study {i}", name, a, b, day=date(2015 + start + i, 1, 1))
        for i in range(3)
    ]


def test_disjoint_communities_flag_a_name() -> None:
    listings = _community("Alpha", "Wei Zhang", 0) + _community("Beta", "Wei Zhang", 3)
    res = resolve([S("x.txt", *listings, owner="Wei Zhang")])
    assert [a.key for a in res.ambiguous] == ["wei zhang"]
    evidence = " ".join(res.ambiguous[0].evidence)
    assert "Ann Alphamark" in evidence and "Ann Betamark" in evidence


def test_communities_linked_by_their_coauthors_do_not_flag() -> None:
    """The two groups' co-authors published together elsewhere: one person's two groups."""
    listings = _community("Alpha", "Wei Zhang", 0) + _community("Beta", "Wei Zhang", 3)
    listings.append(L("y.txt", "A Bridge", "Ann Alphamark", "Ben Betaford"))
    res = resolve([S("x.txt", *listings[:-1], owner="Wei Zhang"), S("y.txt", listings[-1])])
    assert res.ambiguous == ()


def test_the_owner_added_to_truncated_lists_does_not_join_communities() -> None:
    """On Zoe Quint's profile every list is cut by "et al." and hides her. She is an author of
    all six papers (kg.rdf.map says so), but that inference must not join Wei Zhang's two groups."""
    listings = [
        Listing(x.source, x.line, x.title, x.date, x.authors, True, x.abstract)
        for x in _community("Alpha", "Wei Zhang", 0) + _community("Beta", "Wei Zhang", 3)
    ]
    res = resolve([S("x.txt", *listings, owner="Zoe Quint")])
    assert [a.key for a in res.ambiguous] == ["wei zhang"]


# --- the keys the mapping uses ---------------------------------------------------------------------


def test_mention_keys_follow_the_mapping_call_order() -> None:
    """kg.rdf.map asks for a paper's key, then its authors' keys: initials resolve per paper in RDF."""
    from kg.model import Owner, PaperEntry, Profile
    from kg.rdf.iri import IriScheme
    from kg.rdf.map import profile_ntriples

    res = resolve(
        [
            S(
                "a.txt",
                L("a.txt", "Paper One", "John Smith", "Ada Quill", "Bo Rennet"),
                L("a.txt", "Paper Two", "Jane Smith", "Cy Dunmore", "Dee Farrow"),
            ),
            S(
                "b.txt",
                L("b.txt", "Paper Three", "J. Smith", "Ada Quill", "Bo Rennet"),
                L("b.txt", "Paper Four", "J. Smith", "Cy Dunmore", "Dee Farrow"),
            ),
        ]
    )

    def entry(line: int, title: str, *authors: str) -> PaperEntry:
        return PaperEntry(
            "b.txt",
            line,
            title,
            authors,
            False,
            (),
            "LG",
            D,
            "Mar 1, 2024",
            False,
            False,
            (),
            (),
            "About it.",
        )

    profile = Profile(
        "b.txt",
        "",
        date(2026, 11, 21),
        Owner(None, False, "none"),
        None,
        None,
        None,
        (
            entry(1, "Paper Three", "J. Smith", "Ada Quill", "Bo Rennet"),
            entry(4, "Paper Four", "J. Smith", "Cy Dunmore", "Dee Farrow"),
        ),
    )
    keys = res.keys().bind()
    scheme = IriScheme("http://kg.test/")
    from datetime import UTC, datetime

    text = "".join(
        profile_ntriples(
            profile,
            scheme,
            parsed_at=datetime(2026, 1, 1, tzinfo=UTC),
            parser_version="t",
            author_key=keys.author_key,
            paper_key=keys.paper_key,
        )
    )
    john, jane = scheme.author("John Smith"), scheme.author("Jane Smith")
    p3, p4 = scheme.paper("Paper Three"), scheme.paper("Paper Four")
    assert f"<{p3}> <https://schema.org/author> <{john}> ." in text
    assert f"<{p4}> <https://schema.org/author> <{jane}> ." in text
    assert scheme.author("J. Smith") not in text

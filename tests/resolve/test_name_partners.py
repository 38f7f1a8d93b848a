"""Each full name keeps at most ``NAME_PARTNERS`` candidate partners across all its blocks
(issue 17): a common name's near neighbours grow with the name density, and each was tested
for a name rule. The bound keeps a name's true other spellings: exact forms first, then the
same first and last words (a middle name), then the score."""

from __future__ import annotations

from datetime import date

from rapidfuzz import fuzz

import kg.identity.blocking as blocking
from kg.identity.corpus import build_corpus, name_pairs
from kg.identity.resolve import Listing, SourceSummary, resolve

TARGET = "weiming zhang"
#: The target's other spellings: an order swap and a spacing variant (exact-form blocks), and
#: a middle name, which scores below every neighbour letter by letter.
SPELLINGS = ("zhang weiming", "wei ming zhang", "weiming li zhang")


def _neighbours(n: int) -> list[str]:
    """Other people one letter from the target ("weimina zhang"): each scores 92 with it and
    with each other, above the middle name's 90, and they share the target's blocks."""
    return [f"weimin{chr(97 + i)} zhang" for i in range(n) if chr(97 + i) != "g"]


def _partners(pairs: dict[tuple[int, int], float], names: list[str], name: str) -> set[str]:
    i = names.index(name)
    return {names[y if x == i else x] for x, y in pairs if i in (x, y)}


def test_a_crowded_name_keeps_its_other_spellings_and_no_more_than_the_bound() -> None:
    neighbours = _neighbours(14)
    names = neighbours + list(SPELLINGS) + [TARGET]  # the target last: ties go to the others
    assert len(neighbours) + len(SPELLINGS) > blocking.NAME_PARTNERS
    for other in neighbours:
        assert fuzz.token_sort_ratio(TARGET, other) > fuzz.token_sort_ratio(TARGET, SPELLINGS[2])
    args = (names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio)
    every = blocking.pairs_from_blocks(*args)
    bounded = blocking.pairs_from_blocks(*args, partners=blocking.NAME_PARTNERS)
    assert _partners(every, names, TARGET) == set(neighbours) | set(SPELLINGS)
    kept = _partners(bounded, names, TARGET)
    assert set(SPELLINGS) <= kept
    # The neighbours prefer each other (earlier in the order, same score): the target keeps
    # its own best ones only.
    assert len(kept) == blocking.NAME_PARTNERS
    assert set(bounded) < set(every)
    assert all(bounded[p] == every[p] for p in bounded)  # the same scores
    for name in names:
        assert len(_partners(bounded, names, name)) <= 2 * blocking.NAME_PARTNERS


def test_the_bound_depends_on_the_pairs_not_on_the_order_of_the_blocking_keys() -> None:
    """Blocking keys are a set (their order follows the hash seed); the pairs kept are the
    same whatever order the blocks come in."""
    names = _neighbours(20) + list(SPELLINGS) + [TARGET]
    forward = blocking.pairs_from_blocks(
        names,
        lambda n: sorted(blocking.blocking_keys(n)),
        70.0,
        2000,
        fuzz.token_sort_ratio,
        partners=4,
    )
    backward = blocking.pairs_from_blocks(
        names,
        lambda n: sorted(blocking.blocking_keys(n), reverse=True),
        70.0,
        2000,
        fuzz.token_sort_ratio,
        partners=4,
    )
    assert forward == backward and len(forward) < len(
        blocking.pairs_from_blocks(names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio)
    )


def test_a_bound_that_is_not_reached_changes_nothing_not_even_the_order() -> None:
    names = _neighbours(5) + list(SPELLINGS) + [TARGET]
    args = (names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio)
    assert list(blocking.pairs_from_blocks(*args, partners=len(names)).items()) == list(
        blocking.pairs_from_blocks(*args).items()
    )


def _listing(source: str, i: int, names: tuple[str, ...]) -> Listing:
    return Listing(
        source, i, f"Study number {i} of {source}", date(2020, 1, 1 + i % 27), names, False
    )


def test_resolution_still_merges_a_crowded_names_spellings() -> None:
    """On a corpus: the target's profile lists papers under each of its spellings with the same
    co-authors; 14 other people one letter away have profiles of their own."""
    coauthors = ("Ada Quill", "Bram Otter")
    own = [
        _listing("target.txt", i, (written, *coauthors))
        for i, written in enumerate([TARGET, TARGET, *SPELLINGS, *SPELLINGS])
    ]
    sources = [SourceSummary("target.txt", "Weiming Zhang", False, tuple(own))]
    for k, other in enumerate(_neighbours(14)):
        src = f"other{k}.txt"
        sources.append(
            SourceSummary(
                src,
                other,
                False,
                tuple(
                    _listing(src, i, (other, f"Coauthor {chr(97 + k)}{chr(97 + i)} Person"))
                    for i in range(3)
                ),
            )
        )
    corpus = build_corpus(sources)
    pairs = name_pairs(corpus)
    target = corpus.key_index[TARGET]
    rules = {
        corpus.keys[b if a == target else a]: rule
        for (a, b), (_s, rule) in pairs.items()
        if target in (a, b)
    }
    assert {rules[s] for s in SPELLINGS} == {"order-swap", "spacing", "middle-name"}
    # The crowd changes nothing for the target's spellings: merged as without it.
    alone, crowded = resolve(sources[:1]), resolve(sources)
    forms = (TARGET, *SPELLINGS)
    assert [crowded.author_alias.get(n, n) for n in forms] == [
        alone.author_alias.get(n, n) for n in forms
    ]
    merged = {crowded.author_alias.get(n, n) for n in forms}
    assert len(merged) < len(forms)
    assert all(crowded.author_alias.get(n, n) not in merged for n in _neighbours(14))

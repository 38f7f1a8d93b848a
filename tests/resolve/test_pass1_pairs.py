"""The first author round's candidate name pairs: blocking holds only the pairs that the
caller keeps, never all the pairs that crowded blocks give (issue 17: at 300k papers
543,187 pairs were held as a dict for 39,179 kept, the first author round's peak)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rapidfuzz import fuzz

import kg.identity.blocking as blocking
import kg.identity.corpus as corpus_module
from kg.identity.corpus import build_corpus, name_pairs
from kg.identity.names import is_initials, lookalike, name_rule
from kg.identity.resolve import Listing, SourceSummary


def _names() -> list[str]:
    """Names that share crowded blocks (one surname, one start of the given name), a typo
    a spacing variant and a shorter given name (weaam / weaaming, a look-alike that no rule
    joins): pairs with a rule and many without."""
    given = [f"we{chr(97 + i % 26)}{chr(97 + i // 26)}ming" for i in range(40)]
    return [f"{g} zhang" for g in given] + ["weaamin zhang", "wei ming zhang", "weaam zhang"]


def test_blocking_keeps_only_the_wanted_pairs_with_the_whole_answers_order_and_scores(
    monkeypatch: Any,
) -> None:
    names = _names()
    args = (names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio)
    every = blocking.pairs_from_blocks(*args)
    asked: list[tuple[int, int]] = []

    def wanted(i: int, j: int) -> bool:
        asked.append((i, j))
        return (i + j) % 3 == 0

    expected = [(p, v) for p, v in every.items() if wanted(*p)]
    asked.clear()
    assert 0 < len(expected) < len(every)
    assert list(blocking.pairs_from_blocks(*args, wanted=wanted).items()) == expected
    assert set(asked) == set(every)  # each pair found is asked about, whatever its score
    # In small batches (a pair in several batches keeps its best score and first place).
    monkeypatch.setattr(blocking, "BATCH_PAIRS", 7)
    assert list(blocking.pairs_from_blocks(*args, wanted=wanted).items()) == expected


def test_name_pairs_never_holds_pairs_without_a_rule_or_a_shared_profile(
    monkeypatch: Any,
) -> None:
    """Each name on a profile of its own but the first and last: the pairs of the crowded blocks
    that have neither a name rule nor a profile in common are never held."""
    names = _names()
    listed: dict[str, list[Listing]] = {}
    for i, name in enumerate(names):
        source = f"s{i}.txt" if i < len(names) - 1 else "s0.txt"
        listing = Listing(source, 1, f"Study {i}", date(2020, 1, 1), (name, "Ann Other"), False)
        listed.setdefault(source, []).append(listing)
    sources = [SourceSummary(s, None, False, tuple(ls)) for s, ls in listed.items()]
    corpus = build_corpus(sources)
    held: list[dict[tuple[int, int], float]] = []
    real = corpus_module.pairs_from_blocks

    def recording(*args: Any, **kwargs: Any) -> dict[tuple[int, int], float]:
        out = real(*args, **kwargs)
        held.append(out)
        return out

    monkeypatch.setattr(corpus_module, "pairs_from_blocks", recording)
    got = name_pairs(corpus)
    (pairs,) = held
    keys = corpus.keys
    full = [i for i, k in enumerate(keys) if " " in k and not is_initials(k)]

    def sources_of(k: int) -> set[int]:
        return {corpus.listing_source[j] for j in corpus.mentions_of[k]}

    every = real(
        [keys[i] for i in full],
        corpus.blocking,
        corpus.config.name_candidate_cutoff,
        corpus.config.max_block,
        fuzz.token_sort_ratio,
        partners=blocking.NAME_PARTNERS,  # name_pairs's own bound on partners per name
    )
    unwanted = [
        (x, y)
        for x, y in every
        if name_rule(keys[full[x]], keys[full[y]]) is None
        and sources_of(full[x]).isdisjoint(sources_of(full[y]))
    ]
    assert unwanted and not set(unwanted) & set(pairs)  # found, never held
    # The answer is the one the whole set of pairs gave.
    expected = {}
    for (x, y), sim in every.items():
        a, b = keys[full[x]], keys[full[y]]
        rule = name_rule(a, b)
        if rule is not None or (
            not sources_of(full[x]).isdisjoint(sources_of(full[y]))
            and lookalike(a, b, sim) is not None
        ):
            expected[(full[x], full[y])] = (sim, rule)
    assert list(got.items()) == list(expected.items())
    assert any(rule is None for _, rule in got.values())  # a look-alike on one profile
    assert any(rule is not None for _, rule in got.values())

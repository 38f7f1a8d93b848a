"""The bulk test of name pairs (``RuleOrLookalike``): it may refuse a pair only when no name
rule and no look-alike can hold for it, whatever score blocking gives it; and the first
author round's name pairs are the same with it as without it (issue 17)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rapidfuzz import fuzz

import kg.identity.corpus as corpus_module
from bench.identity import parse_corpus
from kg.identity.corpus import build_corpus, name_pairs
from kg.identity.names import RuleOrLookalike, is_initials, lookalike, name_rule
from kg.identity.resolve import SourceSummary
from kg.tools.generate import generate

#: One pair per way a rule or a look-alike holds.
HELD = [
    ("yi fan zhang", "yifan zhang"),  # spacing
    ("zhang wei", "wei zhang"),  # order swap
    ("john robert smith", "john smith"),  # middle name
    ("john r smith", "john robert smith"),  # middle initial
    ("qinyuan li", "qniyuan li"),  # typo
    ("li qinyuan", "qniyuan li"),  # typo in the name read the other way round
    ("meera desai", "meera desaj"),  # short typo (5 letters)
    ("yuri petrov", "iurii petrov"),  # transliteration
    ("kai zheng", "kaipeng zheng"),  # look-alike: a given name that begins the other
    ("wei zhang", "wen zhang"),  # look-alike: a letter in a short name
]
#: Pairs that look alike letter by letter but that nothing joins.
REFUSED = [
    ("khalid hassan", "khalid haddad"),  # two edits in the surname
    ("wei zhang", "wei zhao"),  # short surnames, far apart
    ("anna maria lopez", "anna sofia garcia"),
]


def _refused(pairs: list[tuple[str, str]]) -> list[bool]:
    names = sorted({n for pair in pairs for n in pair})
    index = {n: i for i, n in enumerate(names)}
    a = np.array([index[x] for x, _ in pairs])
    b = np.array([index[y] for _, y in pairs])
    return [not bool(ok) for ok in RuleOrLookalike(names)(a, b)]


def test_each_kind_of_rule_and_look_alike_is_let_through() -> None:
    assert all(name_rule(a, b) or lookalike(a, b, 0.9) for a, b in HELD)
    assert _refused(HELD) == [False] * len(HELD)


def test_pairs_that_nothing_joins_are_refused() -> None:
    assert not any(name_rule(a, b) or lookalike(a, b, 0.849) for a, b in REFUSED)
    assert _refused(REFUSED) == [True] * len(REFUSED)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[SourceSummary]:
    root: Path = tmp_path_factory.mktemp("rulefilter")
    generate(3000, root, seed=5)
    truth: dict[str, Any] = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return parse_corpus(root, truth, workers=1)


def test_a_refused_pair_of_real_names_has_no_rule_and_no_look_alike(
    generated: list[SourceSummary],
) -> None:
    """Every pair of the full names that end in z, h or m (a generated corpus's names, many
    alike): a refused pair has no rule, and no look-alike at the best score blocking could
    give it (the better of ratio and token_sort_ratio, rounded half up)."""
    corpus = build_corpus(generated)
    names = sorted(k for k in corpus.keys if " " in k and not is_initials(k) and k[-1] in "zhm")
    pairs = list(itertools.combinations(range(len(names)), 2))
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    keep = RuleOrLookalike(names)(a, b)
    refused = 0
    for (i, j), ok in zip(pairs, keep.tolist(), strict=True):
        if ok:
            continue
        refused += 1
        x, y = names[i], names[j]
        best = np.floor(max(fuzz.ratio(x, y), fuzz.token_sort_ratio(x, y)) + 0.5) / 100.0
        assert name_rule(x, y) is None, (x, y)
        assert lookalike(x, y, best) is None, (x, y)
    assert refused > len(pairs) // 2  # most pairs of alike names are neither


def test_name_pairs_are_the_same_with_and_without_the_bulk_test(
    generated: list[SourceSummary], monkeypatch: Any
) -> None:
    corpus = build_corpus(generated)
    filtered = list(name_pairs(corpus).items())

    class Everything:
        def __init__(self, names: list[str]) -> None:
            pass

        def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.ones(len(a), dtype=bool)

    monkeypatch.setattr(corpus_module, "RuleOrLookalike", Everything)
    corpus.name_pairs = None
    assert filtered and list(name_pairs(corpus).items()) == filtered

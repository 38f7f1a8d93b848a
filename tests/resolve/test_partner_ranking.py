"""The ranking that bounds each name's partners, with narrow arrays let go as soon as read
(issue 17: its arrays were the largest transient of pass 1's peak at 1M papers), keeps the
answer it is defined to give: checked against the rule written plainly, on pairs with many
ties in every key, and the distinct pairs without an array of positions against those with."""

from __future__ import annotations

import random

import numpy as np

from kg.identity.blocking import _distinct, _within_partners

ITEMS = [
    "wei zhang",
    "wei zhan",
    "wei ming zhang",
    "wei chang",
    "li wei",
    "wei li",
    "li wei zhang",
    "ann lee",
    "anne lee",
    "ann marie lee",
    "an lee",
    "lee ann",
]


def _plain_rule(
    code: np.ndarray, value: np.ndarray, exact: np.ndarray, items: list[str], k: int
) -> list[bool]:
    """Each item ranks its partners: exact first, then same first and last word, then the
    higher score, then the smaller partner; a pair is kept when it is in either item's k best."""
    n = len(items)
    ends = [(x.split()[0], x.split()[-1]) for x in items]
    partners: dict[int, list[tuple[tuple[int, int, float, int], int]]] = {}
    for p, c in enumerate(code.tolist()):
        i, j = divmod(c, n)
        same = ends[i] == ends[j]
        for node, other in ((i, j), (j, i)):
            key = (-int(exact[p]), -int(same), -float(value[p]), other)
            partners.setdefault(node, []).append((key, p))
    kept = [False] * len(code)
    for ranked in partners.values():
        for _key, p in sorted(ranked)[:k]:
            kept[p] = True
    return kept


def _pairs(rng: random.Random, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(ITEMS)
    chosen = rng.sample([(i, j) for i in range(n) for j in range(i + 1, n)], count)
    code = np.array([i * n + j for i, j in chosen], dtype=np.int64)
    value = np.array([rng.choice([0.8, 0.85, 0.9, 0.9, 1.0]) for _ in chosen])
    exact = np.array([rng.random() < 0.2 for _ in chosen], dtype=bool)
    return code, value, exact


def test_partners_are_the_k_best_of_either_item_as_the_rule_says() -> None:
    rng = random.Random(17)
    for trial in range(200):
        code, value, exact = _pairs(rng, rng.randint(1, 60))
        k = rng.randint(1, 5)
        got = _within_partners(code, value, exact, ITEMS, k).tolist()
        assert got == _plain_rule(code, value, exact, ITEMS, k), trial


def test_partners_among_many_items_whose_pair_codes_pass_32_bits() -> None:
    """70,000 items: pair codes up to 4.9e9, the items' numbers narrowed to 32 bits."""
    rng = random.Random(3)
    words = ["wei", "zhang", "li", "ann", "lee", "chen"]
    items = [f"{rng.choice(words)} {rng.choice(words)} {i}" for i in range(70_000)]
    n = len(items)
    hubs = [0, 1, n - 2, n - 1]
    chosen = {(min(h, j), max(h, j)) for h in hubs for j in rng.sample(range(n), 40) if h != j}
    chosen |= {tuple(sorted(rng.sample(range(n), 2))) for _ in range(200)}
    code = np.array([i * n + j for i, j in sorted(chosen)], dtype=np.int64)
    assert code.max() > 2**32
    value = np.array([rng.choice([0.8, 0.9, 1.0]) for _ in code])
    exact = np.array([rng.random() < 0.1 for _ in code], dtype=bool)
    got = _within_partners(code, value, exact, items, 3).tolist()
    assert got == _plain_rule(code, value, exact, items, 3)


def test_distinct_pairs_in_the_order_of_their_first_position() -> None:
    rng = random.Random(5)
    for trial in range(100):
        code = np.array([rng.randrange(12) for _ in range(rng.randint(1, 80))], dtype=np.int64)
        value = np.array([rng.choice([0.5, 0.7, 0.9]) for _ in code])
        exact = np.array([rng.random() < 0.3 for _ in code], dtype=bool)
        by_position = _distinct(code, None, value, exact)
        with_places = _distinct(code, np.arange(len(code)), value, exact)
        for a, b in zip(by_position, with_places, strict=True):
            assert a.tolist() == b.tolist(), trial
        first_seen = list(dict.fromkeys(code.tolist()))
        assert by_position[0].tolist() == first_seen
        best = {c: max(v for x, v in zip(code, value, strict=True) if x == c) for c in first_seen}
        assert by_position[1].tolist() == [best[c] for c in first_seen]

"""Identity resolution's work stays near-linear: comparisons per block are bounded, and a
short form's candidates are found through its context, not by scanning all its options."""

from __future__ import annotations

import tracemalloc
from datetime import date

from rapidfuzz import fuzz

import kg.identity.authors as authors
import kg.identity.blocking as blocking
import kg.identity.papers as papers
import kg.identity.short_forms as short_forms
from kg.identity.corpus import build_corpus
from kg.identity.names import initials_compatible, is_initials
from kg.identity.resolve import Listing, SourceSummary, resolve
from kg.identity.short_forms import _reached


def crowded_block(n: int) -> list[str]:
    """``n`` distinct given names that share one surname and their first two letters, plus a
    typo of the first: every name lands in one large ``f:`` block."""
    given = [f"we{chr(97 + i % 26)}{chr(97 + i // 26)}ming" for i in range(n)]
    return [f"{g} zhang" for g in given] + [f"{given[0][:-1]} zhang"]


def test_a_large_block_keeps_a_bounded_number_of_partners_per_name() -> None:
    names = crowded_block(200)
    keys = lambda name: {"f:zhang|we"}  # noqa: E731 - one block for all
    pairs = blocking.pairs_from_blocks(names, keys, 70.0, 2000, fuzz.token_sort_ratio)
    per_name = [0] * len(names)
    for i, j in pairs:
        per_name[i] += 1
        per_name[j] += 1
    # Without the bound nearly all 20,000 pairs of the block score above the cut-off.
    assert len(pairs) <= len(names) * blocking.TOP_K
    assert len(pairs) < len(names) * (len(names) - 1) // 4
    # The typo of the first name is among its best partners and is kept.
    assert (0, len(names) - 1) in pairs and pairs[(0, len(names) - 1)] > 0.9


def test_a_small_block_keeps_every_pair_above_the_cutoff() -> None:
    names = crowded_block(blocking.FULL_BLOCK - 1)
    keys = lambda name: {"f:zhang|we"}  # noqa: E731
    pairs = blocking.pairs_from_blocks(names, keys, 70.0, 2000, fuzz.token_sort_ratio)
    above = sum(
        1
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if fuzz.token_sort_ratio(names[i], names[j]) >= 70
    )
    assert len(pairs) == above


def test_best_partners_break_ties_by_position() -> None:
    import numpy as np

    matrix = np.array([[100, 90, 90, 90], [90, 100, 0, 0], [90, 0, 100, 0], [90, 0, 0, 100]])
    rows, cols = blocking._best_partners(matrix.astype(np.uint8), 1)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (0, 2), (0, 3)]


def test_options_reached_by_the_context_keep_their_order() -> None:
    options = [f"w{i:04d} zhang" for i in range(5000)]
    near = [["w0003 zhang", None], {"w0001 zhang", "x y"}, ("li wei",), {"w4000 zhang": 1}]
    assert _reached(options, near) == ["w0001 zhang", "w0003 zhang", "w4000 zhang"]
    assert _reached([], near) == []


def test_a_middle_name_partner_is_kept_in_a_crowded_block() -> None:
    """A middle name makes two forms of one name far apart letter by letter; in a crowded
    block it still ranks among the kept partners."""
    plain = crowded_block(200)
    # Many names with the middle name "li"; the last is the first plain name with it.
    middle = [f"{name.split()[0]} li zhang" for name in plain[1:60]] + ["weaaming li zhang"]
    names = plain + middle
    keys = lambda name: {"f:zhang|we"}  # noqa: E731
    pairs = blocking.pairs_from_blocks(names, keys, 70.0, 2000, fuzz.token_sort_ratio)
    a, b = 0, len(names) - 1
    for x, y in ((a, b), (b, a)):  # letter by letter, each has more than TOP_K better partners
        score = fuzz.token_sort_ratio(names[x], names[y])
        better = sum(
            1 for z in names if z != names[x] and fuzz.token_sort_ratio(names[x], z) > score
        )
        assert better > blocking.TOP_K
    assert (a, b) in pairs


def test_a_blocking_key_held_by_one_item_costs_no_list() -> None:
    """Most blocking keys of a large corpus are held by one item only (about three of the four
    keys of each title); a list for each was several hundred MB at 1M papers (issue 17)."""
    items = [f"title number {i} of many" for i in range(50_000)]

    def keys_of(item: str) -> list[str]:
        return [f"a:{item}", f"b:{item}", f"r:{item}x", f"r:{item}y"]

    tracemalloc.start()
    try:
        pairs = blocking.pairs_from_blocks(items, keys_of, 90, 2000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pairs == {}
    # The keys themselves (about 80 bytes each) and the index's entries; with a list per key
    # it was about 210 bytes a key.
    assert peak / (4 * len(items)) < 160


def test_the_items_sharing_a_key_are_compared_whether_two_or_more() -> None:
    items = ["alpha beta", "alpha betta", "alpha bxta", "gamma"]
    keys = {"alpha beta": ["x", "y"], "alpha betta": ["x"], "alpha bxta": ["y"], "gamma": ["z"]}
    pairs = blocking.pairs_from_blocks(items, keys.__getitem__, 50, 2000)
    assert set(pairs) == {(0, 1), (0, 2)}


def _word(i: int) -> str:
    """A distinct letters-only word for ``i`` (names keep letters only)."""
    out = ""
    while True:
        out += chr(97 + i % 26)
        i //= 26
        if not i:
            return "kor" + out


def _one_author_papers(name: str, coauthors: list[str], tag: str) -> SourceSummary:
    listings = tuple(
        Listing(f"{tag}.txt", i + 1, f"{tag} paper {_word(i)}", date(2020, 1, 1), (name, co), False)
        for i, co in enumerate(coauthors)
    )
    return SourceSummary(f"{tag}.txt", None, False, listings)


def test_initials_fitting_a_pairs_coauthors_is_not_tested_pair_by_pair(monkeypatch) -> None:
    """Two look-alike names (a typo) with many co-authors each: the co-authors written as
    initials on one side are matched to the other side's names through their surname, not
    against each of them (that was the product of two circles growing with the corpus)."""
    n = 60
    calls = []
    real = authors.initials_compatible

    def counted(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(authors, "initials_compatible", counted)
    initials = [f"Q. {_word(i).title()}" for i in range(n)]
    # The last fits the first initials form: the check is made, and finds it.
    full = [f"Quentin {_word(i + n).title()}" for i in range(n - 1)] + [f"Quentin {_word(0)}"]
    res = resolve(
        [
            _one_author_papers("Jonathan Smith", initials, "a"),
            _one_author_papers("Jonathon Smith", full, "b"),
        ]
    )
    assert any(d.keys == ("jonathan smith", "jonathon smith") for d in res.decisions)
    # The fitting one is tested (and found: the short-form step then attaches it); pair by
    # pair it was n * n per run (3,600 each).
    assert ("q kora", "quentin kora") in calls
    assert len(calls) <= 4 * n


def test_a_short_forms_own_circle_is_read_once_not_once_per_paper(monkeypatch) -> None:
    """A shorter form ("Meera Desai" next to "Meera Karthik Desai") on many papers: deciding
    each of its papers reads its co-authors elsewhere from counts made once, not from all its
    listings again (the square of a common name's mentions)."""
    n = 80
    reads = [0]

    class CountingList(list):  # type: ignore[type-arg]
        def __getitem__(self, i):  # type: ignore[no-untyped-def]
            reads[0] += 1
            return super().__getitem__(i)

    real = short_forms.canonical_authors
    monkeypatch.setattr(
        short_forms, "canonical_authors", lambda corpus, res: CountingList(real(corpus, res))
    )
    coauthors = [f"Quentin {_word(i).title()}" for i in range(n)]
    res = resolve(
        [
            _one_author_papers("Meera Desai", coauthors, "a"),
            _one_author_papers("Meera Karthik Desai", ["Ada Quill"], "b"),
        ]
    )
    assert "meera desai" not in res.author_alias  # decided per paper, and it stays itself
    # Two runs of the step, each reading every listing a few times; per paper over all the
    # form's listings it was 2 * n * n (12,800).
    assert reads[0] <= 20 * n


def test_initials_options_walk_a_slot_once_per_surname(monkeypatch) -> None:
    """The initials forms of a common name share their slot's full names, grouped once by
    the initials they give; the options are those that ``initials_compatible`` accepts."""
    n = 120
    full = [f"W{_word(i)} {'J' + _word(i) + ' ' if i % 3 == 0 else ''}Zhang" for i in range(n)]
    forms = ["W. Zhang", "W. J. Zhang", "Zhang W.", "W. K. Zhang", "W. Zhang Li"]
    walked = []
    real = short_forms._by_initials

    def counted(names, surname):  # type: ignore[no-untyped-def]
        walked.extend(names)
        return real(names, surname)

    monkeypatch.setattr(short_forms, "_by_initials", counted)
    listing = Listing("a.txt", 1, "A Study", date(2020, 1, 1), (*full, *forms), False)
    corpus = build_corpus([SourceSummary("a.txt", None, False, (listing,))])
    options = short_forms.initials_options(corpus, {}, {})
    fulls = [k for k in corpus.keys if not is_initials(k)]
    for form in ("w zhang", "w j zhang", "zhang w", "w k zhang"):
        assert options[form] == sorted(c for c in fulls if initials_compatible(form, c))
    assert len(options["w zhang"]) == n and len(options["w k zhang"]) == n - (n + 2) // 3
    assert len(walked) <= 2 * n  # once per (slot, surname), not once per form


def test_pairs_scored_in_batches_are_the_pairs_scored_at_once(monkeypatch) -> None:
    """Blocks are scored in batches (bounded arrays): a pair that several blocks, in several
    batches, share keeps its best score and its first place; small, crowded and exact blocks
    keep their own scoring (direct, cdist's rounded score, the better of two scorers)."""
    names = crowded_block(60) + [f"zhang {g.split()[0]}" for g in crowded_block(8)[:8]]
    names += [f"wei{chr(97 + i)} zhang" for i in range(5)] + ["weia zhang li"]
    at_once = blocking.pairs_from_blocks(
        names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio
    )
    monkeypatch.setattr(blocking, "BATCH_PAIRS", 7)
    batched = blocking.pairs_from_blocks(
        names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio
    )
    assert list(batched.items()) == list(at_once.items())
    # A pair of two names of a small block: the scorer's own (unrounded) score.
    a, b = names.index("weia zhang"), names.index("weib zhang")
    assert at_once[(a, b)] == fuzz.token_sort_ratio(names[a], names[b]) / 100


def test_a_crowded_blocks_scores_are_rounded_as_cdist_rounds() -> None:
    """A block of more than SMALL_BLOCK items was scored with cdist into whole numbers,
    rounded half up: 92.5 is 93, as before the pairs were scored together."""
    a, b = "calibrated decoders for link prediction", "calibrateed detectors for link prediction"
    assert fuzz.ratio(a, b) == 92.5
    items = [a, b] + [f"unrelated title number {i}" for i in range(blocking.SMALL_BLOCK)]
    pairs = blocking.pairs_from_blocks(items, lambda item: ["k"], 85, 2000)
    assert pairs[(0, 1)] == 0.93


def _title_corpus() -> tuple[object, papers.TitleNodes]:
    """Titles with near duplicates (a typo, a word added) and one title's words inside
    another's, among others that share common words."""
    base = [
        "Towards a Unified View of Graph Learning",
        "Graph Learning: A Unified View of Message Passing",
        "A Unified View of Graph Learning",
        "Calibrated Decoders for Link Prediction",
        "Calibrateed Decoders for Link Prediction",
        "Calibrated Decoders for Fast Link Prediction",
        "Spectral Wavelets on Hypergraphs",
        "Spectral Wavelets on Hypergraphs for Graph Learning",
    ]
    filler = [f"Graph {_word(i)} Learning for {_word(i + 40)} Prediction" for i in range(30)]
    listings = tuple(
        Listing("a.txt", i + 1, t, date(2020, 1, 1), ("Ada Quill",), False)
        for i, t in enumerate(base + filler)
    )
    corpus = build_corpus([SourceSummary("a.txt", None, False, listings)])
    return corpus, papers.TitleNodes.of(corpus)


def test_a_titles_blocking_keys_are_worked_out_once(monkeypatch) -> None:
    """Each title's blocking keys (its halves and its two rarest words) are worked out once:
    the blocks of the rare words, scored a second time with another scorer, are taken from
    the blocks already made (issue 17: each title's rare words were sorted out twice)."""
    asked: list[str] = []

    def counting(keys_of):  # type: ignore[no-untyped-def]
        def keys(item: str):  # type: ignore[no-untyped-def]
            asked.append(item)
            return keys_of(item)

        return keys

    real_pairs = papers.pairs_from_blocks
    monkeypatch.setattr(
        papers,
        "pairs_from_blocks",
        lambda items, keys_of, *a, **k: real_pairs(
            items, counting(keys_of) if callable(keys_of) else keys_of, *a, **k
        ),
    )
    real_blocks = getattr(papers, "Blocks", None)
    if real_blocks is not None:
        monkeypatch.setattr(
            papers,
            "Blocks",
            lambda items, keys_of, **kw: real_blocks(items, counting(keys_of), **kw),
        )
    corpus, nodes = _title_corpus()
    pairs = papers.title_pairs(corpus, nodes)  # type: ignore[arg-type]
    assert pairs  # the near duplicates are found
    assert sorted(asked) == sorted(nodes.keys)  # once per title, not once per kind of block


def test_title_pairs_are_the_pairs_of_two_passes() -> None:
    """The pairs made from blocks built once are those of the two passes that built them
    twice (all keys scored with ratio, then the rare words' keys with token_set_ratio)."""
    corpus, nodes = _title_corpus()
    cfg = corpus.config  # type: ignore[attr-defined]
    tks = nodes.keys
    contents = [papers._content(tk) for tk in tks]
    df: dict[str, int] = {}
    for toks in contents:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1

    def rare_blocks(tk: str) -> list[str]:
        toks = contents[nodes.number[tk]]
        rare = sorted(set(toks), key=lambda t: (df[t], t))[:2]
        return ["r:" + t for t in rare if df[t] <= cfg.max_title_df]

    def title_blocks(tk: str) -> list[str]:
        toks = contents[nodes.number[tk]]
        if not toks:
            return []
        half = (len(toks) + 1) // 2
        head, tail = toks[:half], toks[half:]
        return [
            "a:" + " ".join(head) + "|" + "".join(t[0] for t in tail),
            "b:" + "".join(t[0] for t in head) + "|" + " ".join(tail),
            *rare_blocks(tk),
        ]

    cutoff = 100 * min(cfg.paper_lookalike_min, cfg.paper_title_min)
    expected = blocking.pairs_from_blocks(tks, title_blocks, cutoff, cfg.max_block)
    contained = blocking.pairs_from_blocks(
        tks, rare_blocks, 90, cfg.max_block, fuzz.token_set_ratio
    )
    assert contained.keys() - expected.keys()  # the second pass adds pairs of its own
    for pair in contained.keys() - expected.keys():
        expected[pair] = fuzz.ratio(tks[pair[0]], tks[pair[1]]) / 100.0
    assert list(papers.title_pairs(corpus, nodes).items()) == list(expected.items())  # type: ignore[arg-type]


def test_blocks_scored_again_are_those_of_their_prefix() -> None:
    """Blocks made once and scored a second time (``then``) give the pairs a pass with only
    the keys of that prefix gives, exact blocks scored as exact blocks."""
    names = [*crowded_block(40), "zhang weia", "wei a zhang", "weiaa zhang", "yuri petrov"]
    names += ["iurii petrov", "petrov yuri"]
    blocks = blocking.Blocks(names, blocking.blocking_keys, then="s:")
    first = blocking.pairs_from_blocks(names, blocks, 70.0, 2000, fuzz.token_sort_ratio)
    again = blocking.pairs_from_blocks(names, blocks, 70.0, 2000, fuzz.token_sort_ratio)
    assert first == blocking.pairs_from_blocks(
        names, blocking.blocking_keys, 70.0, 2000, fuzz.token_sort_ratio
    )
    only_s = blocking.pairs_from_blocks(
        names,
        lambda n: [k for k in blocking.blocking_keys(n) if k.startswith("s:")],
        70.0,
        2000,
        fuzz.token_sort_ratio,
    )
    assert again and list(again.items()) == list(only_s.items())
    # Walked twice, the blocks are gone: nothing is held after the last pass.
    assert blocking.pairs_from_blocks(names, blocks, 70.0, 2000, fuzz.token_sort_ratio) == {}

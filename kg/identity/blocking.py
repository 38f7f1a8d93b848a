"""Blocking: which pairs of names (or titles) are compared at all, and their scores.

:func:`blocking_keys` gives each full name several keys; :func:`pairs_from_blocks`
scores the pairs that share a key, block by block, with rapidfuzz. No pair outside
a shared block is ever scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from kg.identity.names import TRANSLIT_GROUP, name_parts


def _skeleton(word: str) -> str:
    """A cheap phonetic key: first letter plus the consonants, doubled letters once."""
    if not word:
        return ""
    out = [word[0]]
    for ch in word[1:]:
        if ch in "aeiouyhw":
            continue
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)


def blocking_keys(key: str) -> set[str]:
    """The blocking keys of a full name key; two names are compared if they share one.

    Several keys, so that one typo does not hide a pair: the compact and
    token-sorted forms (spacing, order swaps: every pair in these blocks is a
    candidate), the first given name with the surname's first two letters or
    with a phonetic skeleton of the surname (a typo in the surname), and the
    surname with the first given name's first two letters (a typo in the given
    name, a dropped middle name). Two more keep pairs that differ early in the
    given name: the surname with the given name's first and last letters (a typo
    in its second letter: qinyuan / qniyuan) and, for a given name with several
    transliterations, the surname with that name's group (yuri / iurii,
    mohammed / muhammad). Initials are not blocked here: they are matched per
    paper (:func:`attach_short_forms`).

    >>> sorted(blocking_keys("wei zhang"))
    ['c:weizhang', 'e:zhang|wi', 'f:zhang|we', 'g:wei|zh', 'p:wei|zng', 's:weizhang']
    """
    tokens = key.split()
    out = {"c:" + "".join(tokens), "s:" + "".join(sorted(tokens))}
    if len(tokens) < 2:
        return out
    given, surname = name_parts(key)
    first = given[0]
    out.add(f"g:{first}|{surname[:2]}")
    out.add(f"f:{surname}|{first[:2]}")
    out.add(f"p:{first}|{_skeleton(surname)}")
    out.add(f"e:{surname}|{first[0]}{first[-1]}")
    group = TRANSLIT_GROUP.get(first)
    if group is not None:
        out.add(f"t:{surname}|{group}")
    return out


def single_blocking_key(key: str) -> set[str]:
    """The one-key baseline the issue measured: surname plus first initial."""
    given, surname = name_parts(key)
    return {f"i:{given[0][0] if given else ''}|{surname}"}


class Blocks:
    """Items by blocking key (made once: one pass over the items, each item's keys asked
    once), for :func:`pairs_from_blocks` to score once, or twice: all of them, then those
    whose key starts with ``then`` (the title pairs' rare words, scored again otherwise).

    Most keys are held by one item only (about 3 of the 4 keys of a title): such a key keeps
    its item as a bare int, and gets a list only when a second item comes (a list per key was
    about 90 bytes each, several hundred MB of a 1M-paper corpus's blocks).
    """

    def __init__(
        self,
        items: Sequence[str],
        keys_of: Callable[[str], Iterable[str]],
        *,
        then: str | None = None,
    ) -> None:
        blocks: dict[str, int | list[int]] = {}
        for i, item in enumerate(items):
            for b in keys_of(item):
                held = blocks.get(b)
                if held is None:
                    blocks[b] = i
                elif isinstance(held, int):
                    blocks[b] = [held, i]
                else:
                    held.append(i)
        self._blocks = blocks
        self._then = then
        self._kept: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def narrow(self, prefix: str) -> None:
        """Keep only the blocks of two or more items whose key starts with ``prefix``, as
        arrays: the keys, the other blocks and their lists let go at once."""
        kept = [
            (key.startswith(EXACT_BLOCKS), members)
            for key, members in self._blocks.items()
            if isinstance(members, list) and key.startswith(prefix)
        ]
        sizes = np.array([len(m) for _, m in kept], dtype=np.int64)
        self._kept = (
            np.array([exact for exact, _ in kept], dtype=bool),
            np.concatenate([[0], np.cumsum(sizes)]),
            np.fromiter(
                itertools.chain.from_iterable(m for _, m in kept),
                dtype=np.int64,
                count=int(sizes.sum()),
            ),
        )
        del kept
        self._blocks = {}

    def lists(self, cap: int) -> Iterator[tuple[bool, list[int]]]:
        """The blocks of two to ``cap`` items, each with whether it is an exact block
        (:data:`EXACT_BLOCKS`), in the order their keys first came (the order a pass over
        the items with only those keys gives). Once walked to the end, the blocks let go
        (before the last pairs are scored), all but those of ``then`` the first time."""
        if self._kept is not None:
            exact, starts, flat = self._kept
            for b in range(len(exact)):
                if starts[b + 1] - starts[b] <= cap:
                    yield bool(exact[b]), flat[starts[b] : starts[b + 1]].tolist()
            self._kept = None
            return
        for key, members in self._blocks.items():
            if isinstance(members, list) and len(members) <= cap:
                yield key.startswith(EXACT_BLOCKS), members
        if self._then is not None:
            self.narrow(self._then)
        self._blocks = {}


#: Blocks up to this size are scored pair by pair, larger ones with process.cdist.
SMALL_BLOCK = 6
#: Blocking keys that are equal forms (compact, token-sorted) or one given name in another
#: transliteration (iurii / yuri): every pair in such a block is a candidate, whatever its
#: character-level score.
EXACT_BLOCKS = ("c:", "s:", "t:")


#: A block of more names than this (a common surname with a common start of a given name,
#: ever larger as the corpus grows) keeps, for each name, only its TOP_K most similar
#: partners: all its pairs would grow with the square of the corpus.
FULL_BLOCK = 32
TOP_K = 16

#: Each full name keeps at most this many candidate partners across all its blocks (a pair is
#: kept when one of its names is among the other's best; exact-form pairs first, then those
#: with the same first and last words, then by score). The blocks bound each block, not each
#: name: a generated corpus draws its names from fixed pools, so a common name's near
#: neighbours (partners above the cut-off) grow with the name density, 4.4 a name at 100k
#: papers, 10.3 at 300k, and every one is tested for a name rule and each rule pair scored
#: with its evidence in both author rounds: that work grew with the square of the corpus
#: (issue 17). A true pair (two spellings of one person) is its names' first or second
#: partner nearly always; the ones further down were middle names of a common short form.
NAME_PARTNERS = 8


def _ranked(matrix: np.ndarray, strings: Sequence[str]) -> np.ndarray:
    """The scores of a block, with the pairs that share their first and last words (a
    middle name written or not, "john smith" / "john robert smith": a name rule, but far
    apart letter by letter) ranked above all others; pairs below the cut-off stay 0."""
    words = [x.split() for x in strings]
    first = np.unique([w[0] for w in words], return_inverse=True)[1]
    last = np.unique([w[-1] for w in words], return_inverse=True)[1]
    frame = (first[:, None] == first[None, :]) & (last[:, None] == last[None, :])
    ranked = matrix.astype(np.int32)
    ranked[frame & (matrix > 0)] += 101
    return ranked


def _best_partners(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) with rows < cols: the pairs in which one name is among the ``k`` best
    scored partners of the other (scores 0 are no partners). Ties at the k-th place go to
    the earlier name, so that the outcome does not depend on numpy's selection order."""
    scores = np.array(matrix, dtype=np.int32)
    np.fill_diagonal(scores, 0)
    # A stable sort on -score keeps equal scores in column order.
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(len(scores)), order.shape[1])
    cols = order.ravel()
    keep = scores[rows, cols] > 0
    rows, cols = rows[keep], cols[keep]
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    pairs = np.unique(np.stack([low, high], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


#: Pairs gathered from blocks before they are scored together (bounds the arrays' memory: a
#: batch of 1,048,576 pairs was about 85 MB of arrays and their temporaries at 300k papers;
#: a quarter of it measured no more CPU).
BATCH_PAIRS = 1 << 18

# How a gathered pair is scored, by the kind of block it came from (the answer is the one
# block-by-block scoring gave: direct calls for small blocks, cdist's rounded scores for the
# others, the better of ratio and the scorer in an exact block).
_EXACT, _SMALL, _ROUNDED, _GIVEN = 0, 1, 2, 3


class _Batch:
    """Pairs of items (i < j) gathered block by block, in the order the blocks and their
    pairs come, with the kind of block each came from."""

    def __init__(self) -> None:
        self.sized: dict[int, tuple[list[list[int]], list[int], list[int]]] = {}
        self.given: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows = 0
        self.blocks = 0

    def add(self, members: list[int], kind: int) -> None:
        lists, order, kinds = self.sized.setdefault(len(members), ([], [], []))
        lists.append(members)
        order.append(self.blocks)
        kinds.append(kind)
        self.blocks += 1
        self.rows += len(members) * (len(members) - 1) // 2

    def add_scored(self, low: np.ndarray, high: np.ndarray, scores: np.ndarray) -> None:
        self.given.append((self.blocks, low, high, scores))
        self.blocks += 1
        self.rows += len(low)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(i, j, first position, kind, given score) of every gathered pair."""
        parts = []
        for size, (lists, order, kinds) in self.sized.items():
            rows, cols = np.triu_indices(size, 1)  # (x, y) in order, as the loops went
            members = np.array(lists, dtype=np.int64)
            n = len(rows)
            starts = np.repeat(np.array(order, dtype=np.int64), n)
            pos = starts * _MAX_PAIRS + np.tile(np.arange(n, dtype=np.int64), len(lists))
            parts.append(
                (
                    members[:, rows].ravel(),
                    members[:, cols].ravel(),
                    pos,
                    np.repeat(np.array(kinds, dtype=np.int8), n),
                    np.zeros(n * len(lists)),
                )
            )
        for given_block, low, high, scores in self.given:
            n = len(low)
            parts.append(
                (
                    low.astype(np.int64),
                    high.astype(np.int64),
                    given_block * _MAX_PAIRS + np.arange(n, dtype=np.int64),
                    np.full(n, _GIVEN, dtype=np.int8),
                    scores.astype(np.float64),
                )
            )
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(5))


#: Comparisons from which rapidfuzz scores on every core (its threads release the GIL; each
#: pair's score is its own, so the answer is the same whatever the threads' timing). Below it,
#: starting the threads costs more than they save: a cdist of 40 names took 2.5x the CPU
#: seconds with threads, a batch of 262,144 pairs 20 % less.
THREADED_PAIRS = 1 << 16


def _workers(pairs: int) -> int:
    return -1 if pairs >= THREADED_PAIRS else 1


#: More pairs than one block can have (max_block names): positions are block * this + pair.
_MAX_PAIRS = 1 << 32


def _scored_pairs(
    batch: _Batch, items: Sequence[str], cutoff: float, scorer: Callable[..., float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch's distinct pairs scored with rapidfuzz's ``cpdist`` (each distinct pair once), in
    the order of their first place: (code i * len(items) + j, best score in [0, 1], whether one
    of its blocks is exact)."""
    ii, jj, pos, kind, given = batch.arrays()
    value = given
    scored = (kind == _SMALL) | (kind == _ROUNDED)
    exact = kind == _EXACT
    keep = ~scored  # exact blocks keep every pair, large blocks the pairs they chose
    for mask, is_exact in ((scored, False), (exact, True)):
        if not mask.any():
            continue
        code = ii[mask] * len(items) + jj[mask]
        distinct, back = np.unique(code, return_inverse=True)
        left = [items[c] for c in (distinct // len(items)).tolist()]
        right = [items[c] for c in (distinct % len(items)).tolist()]
        if is_exact:
            workers = _workers(len(left))
            score = np.maximum(
                process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float64, workers=workers),
                process.cpdist(left, right, scorer=scorer, dtype=np.float64, workers=workers),
            )[back]
        else:
            score = process.cpdist(
                left,
                right,
                scorer=scorer,
                score_cutoff=cutoff,
                dtype=np.float64,
                workers=_workers(len(left)),
            )[back]
            # cdist's scores (uint8) were rounded half up (92.5 -> 93), not as np.round.
            score = np.where(kind[mask] == _ROUNDED, np.floor(score + 0.5), score)
            keep[mask] = score > 0
        value[mask] = score / 100.0
    code = ii[keep] * len(items) + jj[keep]
    return _distinct(code, pos[keep], value[keep], exact[keep])


def _distinct(
    code: np.ndarray, place: np.ndarray | None, value: np.ndarray, exact: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct pair once, in the order of its first ``place`` (None: of its first
    position in the arrays): its code, its best score, and whether any of its occurrences is
    of an exact block."""
    if not len(code):
        return code, value, exact
    if place is None:
        # By code, then position: a stable sort by code, without an array of positions.
        order = np.argsort(code, kind="stable")
        place = order
    else:
        order = np.lexsort((place, code))
        place = place[order]
    code, value, exact = code[order], value[order], exact[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    best = np.maximum.reduceat(value, starts)
    exact = np.logical_or.reduceat(exact, starts)
    seq = np.argsort(place[starts], kind="stable")
    return code[starts][seq], best[seq], exact[seq]


def _merge(
    code: np.ndarray,
    value: np.ndarray,
    n: int,
    pairs: dict[tuple[int, int], float],
    wanted: Callable[[int, int], bool] | None,
) -> None:
    """Merge scored pairs, in their order, into ``pairs`` (the best score of a pair; a pair
    keeps the place it first had), the pairs that ``wanted`` refuses left out."""
    for c, v in zip(code.tolist(), value.tolist(), strict=True):
        key = (c // n, c % n)
        held = pairs.get(key)
        if held is None:
            if wanted is None or wanted(*key):
                pairs[key] = v
        elif v > held:
            pairs[key] = v


def _ends(items: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each item's first and last word, as numbers (equal words, equal numbers)."""
    ids: dict[str, int] = {}
    first = np.empty(len(items), dtype=np.int64)
    last = np.empty(len(items), dtype=np.int64)
    for i, item in enumerate(items):
        words = item.split() or [""]
        first[i] = ids.setdefault(words[0], len(ids))
        last[i] = ids.setdefault(words[-1], len(ids))
    return first, last


def _within_partners(
    code: np.ndarray, value: np.ndarray, exact: np.ndarray, items: Sequence[str], k: int
) -> np.ndarray:
    """Which pairs are among the ``k`` best partners of one of their two items, across all
    their blocks: pairs of an exact block first, then pairs with the same first and last
    words (a middle name, far apart letter by letter, as :func:`_ranked`), then by score;
    ties go to the earlier partner, so the answer depends on the pairs alone.

    Its arrays are twice the pairs (each pair seen from both items: 7M at 1M papers), so they
    are as narrow as the numbers allow and let go as soon as they are read: this ranking was
    the largest transient (about 400 MiB) of the author round that set pass 1's peak."""
    n = len(items)
    first, last = _ends(items)
    small = np.int32 if n < 2**31 else np.int64
    ii, jj = (code // n).astype(small), (code % n).astype(small)
    frame = first[ii] == first[jj]
    frame &= last[ii] == last[jj]
    node = np.concatenate([ii, jj])
    other = np.concatenate([jj, ii])
    del ii, jj, first, last
    score = np.tile(value, 2)
    np.negative(score, out=score)  # the best score first
    # Exact, then same first and last words, first: True sorts after False, so inverted.
    rank = np.lexsort((other, score, ~np.tile(frame, 2), ~np.tile(exact, 2), node))
    del other, score, frame
    sorted_node = node[rank]
    del node
    starts = np.flatnonzero(np.r_[True, sorted_node[1:] != sorted_node[:-1]])
    del sorted_node
    # Each half-pair's place among its item's partners: its position less its group's start.
    wide = np.int32 if len(rank) < 2**31 else np.int64
    place: np.ndarray = np.arange(len(rank), dtype=wide)
    place -= np.repeat(starts.astype(wide), np.diff(np.r_[starts, len(rank)]))
    chosen = np.zeros(len(rank), dtype=bool)
    chosen[rank[place < k]] = True
    return chosen[: len(code)] | chosen[len(code) :]


def _bounded(
    held: list[tuple[np.ndarray, np.ndarray, np.ndarray]], items: Sequence[str], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The scored batches' pairs (code, score) within :func:`_within_partners`, in the order of
    their first place. Across batches, as within one: a pair's best score, any exact block."""
    code, value, exact = (np.concatenate([h[i] for h in held]) for i in range(3))
    held.clear()
    code, value, exact = _distinct(code, None, value, exact)
    keep = _within_partners(code, value, exact, items, k)
    return code[keep], value[keep]


def pairs_from_blocks(
    items: Sequence[str],
    keys_of: Callable[[str], Iterable[str]] | Blocks,
    cutoff: float,
    cap: int,
    scorer: Callable[..., float] = fuzz.ratio,
    *,
    wanted: Callable[[int, int], bool] | None = None,
    partners: int | None = None,
) -> dict[tuple[int, int], float]:
    """Candidate pairs (i < j) with their ``scorer`` score in [0, 1], block by block.

    The pairs of blocks up to :data:`FULL_BLOCK` names are gathered and scored together with
    rapidfuzz's vectorised ``process.cpdist``, each distinct pair once (a pair shares several
    blocks; calling the scorer pair by pair from Python was most of the time); a larger
    block is scored with ``process.cdist`` and keeps its best partners. No pair outside a
    shared block is ever scored.

    ``keys_of``: each item's blocking keys, or the :class:`Blocks` made of ``items`` (to
    score its blocks of ``then`` again without asking each item's keys again).

    ``wanted(i, j)``: whether the caller keeps a pair whatever its score (None: every pair).
    The others are never held: the pairs a crowded corpus's blocks give grow faster than
    the corpus (543,187 for 124,273 names at 300k papers, a dict of about 90 MB), and a
    caller that keeps a few of them (:func:`kg.identity.corpus.name_pairs`: 39,179) held
    them all at once. The pairs kept are those of the whole answer, in its order, with
    its scores.

    ``partners``: keep only the pairs in which one item is among the other's ``partners``
    best (:func:`_within_partners`, across all its blocks; :data:`NAME_PARTNERS`), before
    ``wanted`` is asked; None: every pair.
    """
    blocks = keys_of if isinstance(keys_of, Blocks) else Blocks(items, keys_of)
    pairs: dict[tuple[int, int], float] = {}
    held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def score(batch: _Batch) -> None:
        if not batch.rows:
            return
        scored = _scored_pairs(batch, items, cutoff, scorer)
        if partners is None:
            _merge(scored[0], scored[1], len(items), pairs, wanted)
        else:
            held.append(scored)

    batch = _Batch()
    for exact, members in blocks.lists(cap):
        if exact:
            batch.add(members, _EXACT)
        elif len(members) <= SMALL_BLOCK:
            batch.add(members, _SMALL)
        elif len(members) <= FULL_BLOCK:
            batch.add(members, _ROUNDED)
        else:
            strings = [items[i] for i in members]
            matrix = process.cdist(
                strings,
                strings,
                scorer=scorer,
                score_cutoff=cutoff,
                dtype=np.uint8,
                workers=_workers(len(strings) ** 2),
            )
            rows, cols = _best_partners(_ranked(matrix, strings), TOP_K)
            index = np.array(members, dtype=np.int64)
            low, high = index[rows], index[cols]  # members are in ascending order
            batch.add_scored(low, high, matrix[rows, cols].astype(np.float64) / 100.0)
        if batch.rows >= BATCH_PAIRS:
            score(batch)
            batch = _Batch()
    score(batch)
    if partners is not None and held:
        code, value = _bounded(held, items, partners)
        _merge(code, value, len(items), pairs, wanted)
    return pairs

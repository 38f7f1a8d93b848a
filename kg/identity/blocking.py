"""Blocking: which pairs of names (or titles) are compared at all, and their scores.

:func:`blocking_keys` gives each full name several keys; :func:`pairs_from_blocks`
scores the pairs that share a key, block by block, with rapidfuzz. No pair outside
a shared block is ever scored.
"""

from __future__ import annotations

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


def _blocks(
    items: Sequence[str], keys_of: Callable[[str], Iterable[str]], cap: int
) -> Iterator[tuple[str, list[int]]]:
    # Most keys are held by one item only (about 3 of the 4 keys of a title): such a key
    # keeps its item as a bare int, and gets a list only when a second item comes (a list
    # per key was about 90 bytes each, several hundred MB of a 1M-paper corpus's blocks).
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
    for key, members in blocks.items():
        if isinstance(members, list) and len(members) <= cap:
            yield key, members


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


def pairs_from_blocks(
    items: Sequence[str],
    keys_of: Callable[[str], Iterable[str]],
    cutoff: float,
    cap: int,
    scorer: Callable[..., float] = fuzz.ratio,
) -> dict[tuple[int, int], float]:
    """Candidate pairs (i < j) with their ``scorer`` score in [0, 1], block by block.

    Each block is scored with rapidfuzz's vectorised ``process.cdist`` (a pair
    of two with one call); no pair outside a shared block is ever scored.
    """
    pairs: dict[tuple[int, int], float] = {}
    for key, members in _blocks(items, keys_of, cap):
        strings = [items[i] for i in members]
        if key.startswith(EXACT_BLOCKS):
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    i, j = sorted((members[x], members[y]))
                    exact = (
                        max(fuzz.ratio(strings[x], strings[y]), scorer(strings[x], strings[y]))
                        / 100
                    )
                    pairs[(i, j)] = max(pairs.get((i, j), 0.0), exact)
            continue
        if len(members) <= SMALL_BLOCK:  # a few direct calls beat cdist's set-up
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    score = scorer(strings[x], strings[y], score_cutoff=cutoff)
                    if score:
                        i, j = sorted((members[x], members[y]))
                        pairs[(i, j)] = max(pairs.get((i, j), 0.0), score / 100.0)
            continue
        matrix = process.cdist(
            strings, strings, scorer=scorer, score_cutoff=cutoff, dtype=np.uint8, workers=1
        )
        if len(members) > FULL_BLOCK:
            rows, cols = _best_partners(_ranked(matrix, strings), TOP_K)
        else:
            rows, cols = np.nonzero(np.triu(matrix, 1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = members[r], members[c]
            if i > j:
                i, j = j, i
            pairs[(i, j)] = max(pairs.get((i, j), 0.0), matrix[r, c] / 100.0)
    return pairs

"""What changed in a graph too large to hold: the identity graph of a large store.

:meth:`KGStore.replace_graph` writes only the difference between a graph and its new content
by holding both as text. The identity graph of a million papers holds millions of statements
(about 800 MB of N-Triples), and a crawl that adds or changes one profile changes a few of
them: writing it whole again cost the deletion and the load of all of them, and left files
that made a compaction due (docs/store.md). So :meth:`KGStore.replace_large_graph` compares
digests instead: 16 bytes a statement (BLAKE2b), sorted in numpy arrays, of each statement in
the store's own N-Triples form (for the new lines, as a store in memory gives them back: a
statement written two ways is one, and a value the store keeps by value, as a decimal, is
compared as it will be stored; compared as written, "0.750" was taken for new, loaded, stored
as the "0.75" already there, and then removed as gone).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator

import numpy as np
import pyoxigraph as ox

from kg.errors import StoreError

#: Bytes of a statement's digest: two statements of millions share one with odds of about
#: 1e-26 (8 bytes: 1e-6 at a million papers, too close for a silent wrong answer).
DIGEST_BYTES = 16
_DIGEST = f"S{DIGEST_BYTES}"
#: Sorted digests, 16 bytes each (``digest_set``, ``Wanted.sorted``).
Digests = np.ndarray
#: Lines put through a store in memory at a time (kg.store.difference.canonical_lines).
_CANONICAL_LINES = 16_384


def _line(quad: ox.Quad) -> str:
    # A statement with a blank node cannot be compared (the store names blank nodes anew)
    # nor removed by DELETE DATA.
    if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
        raise StoreError(f"a blank node in a graph written by its difference: {quad.triple}")
    return f"{quad.triple} .\n"  # a triple term in its brackets, as N-Triples writes it


def stored_lines(quads: Iterable[ox.Quad]) -> Iterator[str]:
    """The N-Triples lines of stored quads, in the store's own form."""
    return (_line(quad) for quad in quads)


def canonical_lines(ntriples: list[str]) -> list[str]:
    """The statements of N-Triples lines in the store's own form, each once: as an Oxigraph
    store gives them back, which is not always as they were written (it keeps a decimal, an
    integer or a date by its value: "0.750" comes back "0.75"). Raises SyntaxError for a line
    that is not N-Triples."""
    scratch = ox.Store()  # in memory: the store's own encoding of every term
    scratch.load(input="".join(ntriples).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return list(stored_lines(scratch.quads_for_pattern(None, None, None, ox.DefaultGraph())))


def digests(lines: Iterable[str]) -> np.ndarray:
    """The digests of N-Triples lines, in their order (16 bytes each, in one buffer: a list
    of millions of small byte strings took ten times that)."""
    buffer = bytearray()
    for line in lines:
        buffer += hashlib.blake2b(line.encode("utf-8"), digest_size=DIGEST_BYTES).digest()
    return np.frombuffer(buffer, dtype=_DIGEST)


def digest_set(lines: Iterable[str]) -> np.ndarray:
    """The sorted digests of N-Triples lines (held for millions: 16 bytes each)."""
    found = digests(lines)
    found.sort()  # in place: no second copy
    return found


def absent(found: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Which of the digests ``found`` are not in the sorted ``among`` (booleans, in order)."""
    if not len(among):
        return np.ones(len(found), dtype=bool)
    at = np.minimum(np.searchsorted(among, found), len(among) - 1)
    gone: np.ndarray = among[at] != found
    return gone


class Wanted:
    """The digests of a graph's new content, gathered piece by piece as it is written."""

    def __init__(self) -> None:
        self._pieces: list[np.ndarray] = []

    def add(self, found: np.ndarray) -> None:
        self._pieces.append(found)

    def sorted(self) -> np.ndarray:
        """All of them, sorted (the pieces are let go)."""
        every = np.concatenate(self._pieces) if self._pieces else np.empty(0, dtype=_DIGEST)
        self._pieces = []
        every.sort()
        return every


def missing_lines(lines: list[str], among: np.ndarray, wanted: Wanted) -> list[str]:
    """The lines (in the store's form) whose statements are not in the sorted ``among``; their
    digests, all of them, go to ``wanted``."""
    # A store in memory of 250,000 lines took about 260 MB: made of a few thousand at a time.
    canonical = [
        line
        for start in range(0, len(lines), _CANONICAL_LINES)
        for line in canonical_lines(lines[start : start + _CANONICAL_LINES])
    ]
    found = digests(canonical)
    wanted.add(found)
    return [line for line, new in zip(canonical, absent(found, among), strict=True) if new]


def gone_lines(quads: Iterable[ox.Quad], wanted: np.ndarray, batch: int = 65_536) -> Iterator[str]:
    """The lines of stored quads whose statements are not in the sorted ``wanted``."""
    lines = stored_lines(quads)
    while chunk := list(itertools.islice(lines, batch)):
        for line, gone in zip(chunk, absent(digests(chunk), wanted), strict=True):
            if gone:
                yield line

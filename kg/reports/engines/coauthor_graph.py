"""The co-author graph of one store version, held in memory for shortest-path searches.

The collaboration-path report needs the co-authors of hundreds of authors per
request; asking the store for each costs a query (about 1 ms at 100k papers) per
author. :class:`CoauthorGraph` reads every paper -> author pair once and keeps
the graph as compressed sparse rows (CSR): author ids are positions in the sorted
list of author IRIs, ``offsets[i]:offsets[i + 1]`` is the slice of ``neighbours``
(ascending ids) holding the co-authors of author ``i``, and ``via`` holds, for each
of those edges, the id of one paper the two share: the paper with the smallest IRI,
which is the one the ``collaboration-path`` query picks (``MIN(STR(?paper))``).

:meth:`CoauthorGraph.shortest_path` is the report's bidirectional breadth-first
search run on those arrays, one level at a time with numpy; its answers are those
of the search that queries the store (the report engine's tests compare the two).

Example::

    graph = CoauthorGraph.from_pairs([("p1", "a"), ("p1", "b"), ("p2", "b"), ("p2", "c")])
    graph.shortest_path("a", "c", max_length=12, max_expansions=2000).chain
    # [("a", None), ("b", "p1"), ("c", "p2")]
"""

from __future__ import annotations

import io
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pyoxigraph as ox

from kg.store.query import QueryBackend, QueryRequest

#: Every paper -> author pair of the store: the same triple pattern as the
#: collaboration-path query, over the same default graph (the union of all sources).
PAIRS_QUERY = """PREFIX schema: <https://schema.org/>
SELECT ?paper ?author WHERE { ?paper schema:author ?author }"""

_Ids = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class PathSearch:
    """What a shortest-path search found.

    ``chain`` runs from the start to the goal: each author with the paper it shares
    with the author before it (None for the start); None when there is no path.
    ``exhausted`` says that one side ran out of authors to visit (no path at all),
    as opposed to the search stopping at its limits.
    """

    chain: list[tuple[str, str | None]] | None
    expansions: int
    exhausted: bool


@dataclass(frozen=True, slots=True, eq=False)
class CoauthorGraph:
    """Co-authorships as CSR arrays; build with :meth:`from_pairs` or :meth:`from_backend`."""

    #: Author IRIs, sorted: an author's id is its position (so sorted ids are sorted IRIs).
    authors: list[str]
    #: Paper IRIs, sorted: the ids in ``via``.
    papers: list[str]
    #: int32, len(authors) + 1: the co-authors of author i are neighbours[offsets[i]:offsets[i + 1]].
    offsets: _Ids
    #: int32: co-author ids, ascending within each author's slice.
    neighbours: _Ids
    #: int32, parallel to ``neighbours``: the smallest paper (by IRI) the two authors share.
    via: _Ids
    #: The store version the pairs were read from ("" when built from pairs given directly).
    version: str = ""
    #: int32, len(authors): how many distinct papers each author has (None: not known, for a
    #: graph made by hand; :meth:`from_pairs` and :meth:`from_npz` always set it).
    paper_counts: _Ids | None = None
    #: Paper -> author pairs of the store left out because a term was not an IRI (a blank
    #: node or a literal): the graph then lacks co-authorships a query over the store counts.
    skipped: int = 0

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[str, str]], *, version: str = "", skipped: int = 0
    ) -> CoauthorGraph:
        """Build from (paper IRI, author IRI) pairs (repeated pairs count once); ``skipped``:
        how many pairs of the source were left out (see :attr:`skipped`).

        Raises ValueError when the graph would not fit int32 ids and offsets.
        """
        # Ids in order of first sight, renumbered to sorted order below: only the distinct
        # IRIs are kept while reading (a million pairs would otherwise be a million strings).
        author_index: dict[str, int] = {}
        paper_index: dict[str, int] = {}
        # Machine integers (4 bytes a pair), not lists of int objects (36 bytes).
        author_of = array("q")
        paper_of = array("q")
        for paper, author in pairs:
            paper_of.append(paper_index.setdefault(paper, len(paper_index)))
            author_of.append(author_index.setdefault(author, len(author_index)))
        authors, author_rank = _sorted_ids(author_index)
        papers, paper_rank = _sorted_ids(paper_index)
        del author_index, paper_index
        a_ids = author_rank[np.frombuffer(author_of, dtype=np.int64)]
        p_ids = paper_rank[np.frombuffer(paper_of, dtype=np.int64)]
        del author_of, paper_of
        src, dst, via, paper_counts = _shared_papers(p_ids, a_ids, len(authors))
        if len(src) >= 2**31 or len(authors) >= 2**31 - 2 or len(papers) >= 2**31:
            raise ValueError(f"co-author graph too large for int32 ids ({len(src)} edges)")
        counts = np.bincount(src, minlength=len(authors))
        offsets = np.zeros(len(authors) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        return cls(
            authors,
            papers,
            offsets,
            dst.astype(np.int32),
            via.astype(np.int32),
            version,
            paper_counts.astype(np.int32),
            skipped,
        )

    @classmethod
    def from_backend(cls, backend: QueryBackend, *, timeout: float | None = None) -> CoauthorGraph:
        """Read every paper -> author pair of the backend's store (one query) and build.

        The rows travel as pyoxigraph's TSV (written where the query runs, which a
        worker pool sends as one byte string) rather than as a million Python terms.
        The version is read before the query: if the store moves on meanwhile the
        graph carries the older version and is never taken for the newer one.
        Raises what the backend raises (QueryTimeout, StoreError, ...).
        """
        version = backend.version()
        outcome = backend.run(QueryRequest(PAIRS_QUERY, result_format="tsv"), timeout=timeout)
        if outcome.body is not None:
            # The pairs go to from_pairs as they are read, never a list: at a million papers
            # 5M pairs of IRI strings were 1.6 GB beside the 0.6 GB body (3.4 GB at the peak).
            pairs = _Counted(_tsv_iri_pairs(outcome.body))
            total = _count_solutions(outcome.body)
        else:  # a backend that does not write native formats
            rows = outcome.select.rows if outcome.select else []
            pairs = _Counted(
                (str(p.value), str(a.value)) for p, a in rows if _is_iri(p) and _is_iri(a)
            )
            total = len(rows)
        graph = cls.from_pairs(pairs, version=version)
        return replace(graph, skipped=total - pairs.count)  # known once they are all read

    # -- as a file (kg precompute writes it beside the store; a server's warm-up reads it)

    def to_npz(self) -> bytes:
        """The graph as an uncompressed NumPy ``.npz`` archive: the arrays (the paper counts
        empty when not known), the count of skipped pairs, and the author and paper IRIs as
        UTF-8 lines (an IRI holds no line break). No pickles."""
        out = io.BytesIO()
        counts = self.paper_counts
        np.savez(
            out,
            offsets=self.offsets,
            neighbours=self.neighbours,
            via=self.via,
            paper_counts=np.empty(0, dtype=np.int32) if counts is None else counts,
            skipped=np.array([self.skipped], dtype=np.int64),
            authors=np.frombuffer("\n".join(self.authors).encode("utf-8"), dtype=np.uint8),
            papers=np.frombuffer("\n".join(self.papers).encode("utf-8"), dtype=np.uint8),
        )
        return out.getvalue()

    @classmethod
    def from_npz(cls, data: bytes, *, version: str) -> CoauthorGraph:
        """Read :meth:`to_npz`'s archive back. Raises ValueError when it is not one, or when
        its arrays do not fit together (a file cut short or edited is never half-used)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                offsets = arrays["offsets"]
                neighbours = arrays["neighbours"]
                via = arrays["via"]
                paper_counts = arrays["paper_counts"]
                skipped = arrays["skipped"]
                authors = _lines(arrays["authors"])
                papers = _lines(arrays["papers"])
        except (OSError, KeyError, EOFError, UnicodeDecodeError) as error:
            raise ValueError(f"not a co-author graph archive: {error}") from None
        if (
            any(a.dtype != np.int32 or a.ndim != 1 for a in (offsets, neighbours, via))
            or len(offsets) != len(authors) + 1
            or len(neighbours) != len(via)
            or (len(offsets) and (offsets[0] != 0 or int(offsets[-1]) != len(neighbours)))
            or (len(neighbours) and int(neighbours.max()) >= len(authors))
            or (len(via) and int(via.max()) >= len(papers))
            or paper_counts.dtype != np.int32
            or paper_counts.shape not in ((0,), (len(authors),))
            or skipped.dtype != np.int64
            or skipped.shape != (1,)
        ):
            raise ValueError("the co-author graph archive's arrays do not fit together")
        return cls(
            authors,
            papers,
            offsets,
            neighbours,
            via,
            version,
            paper_counts if len(paper_counts) == len(authors) else None,
            int(skipped[0]),
        )

    # -- size

    @property
    def edge_count(self) -> int:
        """Co-authorships, each counted once (the arrays hold both directions)."""
        return len(self.neighbours) // 2

    @property
    def nbytes(self) -> int:
        """Approximate memory: the arrays and the IRI strings with their list slots."""
        strings = sum(sys.getsizeof(s) for s in self.authors) + sum(
            sys.getsizeof(s) for s in self.papers
        )
        lists = sys.getsizeof(self.authors) + sys.getsizeof(self.papers)
        return int(self.offsets.nbytes + self.neighbours.nbytes + self.via.nbytes) + strings + lists

    def __repr__(self) -> str:
        return (
            f"CoauthorGraph({len(self.authors)} authors, {len(self.papers)} papers, "
            f"{self.edge_count} co-authorships, {self.nbytes / 1e6:.1f} MB)"
        )

    # -- lookups

    def author_id(self, iri: str) -> int | None:
        """The id of an author IRI, None when the graph does not have it."""
        position = bisect_left(self.authors, iri)
        if position < len(self.authors) and self.authors[position] == iri:
            return position
        return None

    def coauthors(self, iri: str) -> dict[str, str]:
        """Co-author IRI -> the shared paper IRI (as the collaboration-path query gives them)."""
        found = self.author_id(iri)
        if found is None:
            return {}
        lo, hi = int(self.offsets[found]), int(self.offsets[found + 1])
        return {
            self.authors[int(n)]: self.papers[int(p)]
            for n, p in zip(self.neighbours[lo:hi], self.via[lo:hi], strict=True)
        }

    # -- search

    def shortest_path(
        self, start: str, goal: str, *, max_length: int, max_expansions: int
    ) -> PathSearch:
        """Bidirectional breadth-first search, a whole level at a time.

        Each round expands the smaller frontier (the start's on a tie) in ascending
        IRI order; a newly reached author takes as parent the first author of that
        order that reaches it. Counting stops at ``max_expansions`` expanded authors
        (the count then reads ``max_expansions + 1``, as the query-per-author search
        counts the author it stops at) and at ``max_length`` rounds. Among the authors
        where the two searches meet in a round, the one closest to the other end
        (then the smallest IRI) joins the two halves. ``start`` and ``goal`` must differ.
        """
        n = len(self.authors)
        # An endpoint the graph lacks (no papers) gets a spare id past the authors: no co-authors.
        ends = [self.author_id(start), self.author_id(goal)]
        start_id = n if ends[0] is None else ends[0]
        goal_id = n + 1 if ends[1] is None else ends[1]
        parent = [np.full(n + 2, -1, dtype=np.int32) for _ in range(2)]
        paper = [np.full(n + 2, -1, dtype=np.int32) for _ in range(2)]
        depth = [np.full(n + 2, -1, dtype=np.int32) for _ in range(2)]
        depth[0][start_id] = 0
        depth[1][goal_id] = 0
        frontiers: list[_Ids] = [
            np.array([start_id], dtype=np.int32),
            np.array([goal_id], dtype=np.int32),
        ]
        expansions = 0
        meeting = -1
        length = 0
        while meeting < 0 and length < max_length:
            if not len(frontiers[0]) or not len(frontiers[1]):
                return PathSearch(None, expansions, True)
            side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
            other = 1 - side
            frontier = frontiers[side]
            room = max_expansions - expansions
            if len(frontier) <= room:
                expanded, expansions = frontier, expansions + len(frontier)
            else:
                expanded, expansions = frontier[:room], max_expansions + 1
            source, reached, shared = self._edges_from(expanded)
            new = depth[side][reached] < 0
            source, reached, shared = source[new], reached[new], shared[new]
            # np.unique's first index is the earliest edge, i.e. from the lowest source id.
            found, first = np.unique(reached, return_index=True)
            parent[side][found] = source[first]
            paper[side][found] = shared[first]
            depth[side][found] = depth[side][source[first]] + 1
            length += 1
            candidates = found[depth[other][found] >= 0]
            if len(candidates):
                meeting = int(candidates[np.lexsort((candidates, depth[other][candidates]))[0]])
                break
            if expansions > max_expansions:
                break
            frontiers[side] = found.astype(np.int32)
        if meeting < 0:
            return PathSearch(None, expansions, False)
        names = {start_id: start, goal_id: goal}

        def iri(node: int) -> str:
            return names[node] if node >= n else self.authors[node]

        back: list[tuple[str, str | None]] = []
        node = meeting
        while node >= 0:
            shared_id = int(paper[0][node])
            back.append((iri(node), self.papers[shared_id] if shared_id >= 0 else None))
            node = int(parent[0][node])
        back.reverse()
        chain = back
        node = meeting
        while (following := int(parent[1][node])) >= 0:
            chain.append((iri(following), self.papers[int(paper[1][node])]))
            node = following
        return PathSearch(chain, expansions, False)

    def _edges_from(self, nodes: _Ids) -> tuple[_Ids, _Ids, _Ids]:
        """(source, co-author, shared paper) of every edge leaving ``nodes``, in the order of ``nodes``."""
        n = len(self.authors)
        # Spare ids (n, n + 1) read offsets[n]:offsets[n]: an empty slice.
        lo = self.offsets[np.minimum(nodes, n)]
        hi = self.offsets[np.minimum(nodes + 1, n)]
        counts = (hi - lo).astype(np.int64)
        total = int(counts.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.int32)
            return empty, empty, empty
        starts = np.cumsum(counts) - counts
        index = np.repeat(lo.astype(np.int64) - starts, counts) + np.arange(total, dtype=np.int64)
        return np.repeat(nodes, counts), self.neighbours[index], self.via[index]


def _shared_papers(
    p_ids: npt.NDArray[np.int64], a_ids: npt.NDArray[np.int64], n_authors: int
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """Every ordered pair of distinct co-authors with the smallest paper id they share,
    sorted by (author, co-author); and each author's count of distinct papers."""
    order = np.lexsort((a_ids, p_ids))
    p_sorted, a_sorted = p_ids[order], a_ids[order]
    keep = np.ones(len(p_sorted), dtype=bool)
    keep[1:] = (p_sorted[1:] != p_sorted[:-1]) | (a_sorted[1:] != a_sorted[:-1])
    p_sorted, a_sorted = p_sorted[keep], a_sorted[keep]
    paper_counts = np.bincount(a_sorted, minlength=n_authors).astype(np.int64)
    papers, starts, sizes = np.unique(p_sorted, return_index=True, return_counts=True)
    keys: list[npt.NDArray[np.int64]] = []
    vias: list[npt.NDArray[np.int64]] = []
    # Papers of the same author count k form a (papers, k) matrix; all its ordered
    # pairs come out of one fancy index, so there is no Python loop over papers.
    for k in np.unique(sizes):
        if k < 2:
            continue
        chosen = sizes == k
        members = a_sorted[starts[chosen][:, None] + np.arange(k)]
        first, second = np.nonzero(~np.eye(k, dtype=bool))
        keys.append((members[:, first] * n_authors + members[:, second]).ravel())
        vias.append(np.repeat(papers[chosen], len(first)))
    if not keys:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, paper_counts
    key = np.concatenate(keys)
    via = np.concatenate(vias)
    del keys, vias
    order = np.lexsort((via, key))
    key, via = key[order], via[order]
    first_of_pair = np.ones(len(key), dtype=bool)
    first_of_pair[1:] = key[1:] != key[:-1]
    key, via = key[first_of_pair], via[first_of_pair]
    return key // n_authors, key % n_authors, via, paper_counts


def _sorted_ids(index: dict[str, int]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The IRIs of ``index`` (IRI -> id in order of first sight) sorted, and old id -> new id."""
    ordered = sorted(index)
    rank = np.empty(len(ordered), dtype=np.int64)
    rank[np.fromiter((index[iri] for iri in ordered), dtype=np.int64, count=len(ordered))] = (
        np.arange(len(ordered))
    )
    return ordered, rank


class _Counted:
    """An iterable of pairs that counts what it gave (from_pairs reads it once)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._pairs = pairs
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for pair in self._pairs:
            self.count += 1
            yield pair


def _tsv_iri_pairs(body: bytes) -> Iterable[tuple[str, str]]:
    """(paper, author) from a two-column SPARQL TSV result; rows with a non-IRI term are left out,
    as the report's output names every author with an IRI."""
    # Line by line over the bytes (a BytesIO shares them): neither a list of the lines nor a
    # decoded copy of the whole body.
    lines = io.BytesIO(body)
    next(lines, None)  # the header
    for raw in lines:
        paper, _tab, author = raw.decode("utf-8").rstrip("\n").partition("\t")
        if (
            paper.startswith("<")
            and paper.endswith(">")
            and author.startswith("<")
            and author.endswith(">")
        ):
            yield paper[1:-1], author[1:-1]


def _count_solutions(body: bytes) -> int:
    """The solutions of a SPARQL TSV document: its lines after the header (line breaks in
    literals are escaped)."""
    return max(0, body.count(b"\n") - 1)


def _lines(array: npt.NDArray[np.uint8]) -> list[str]:
    """IRIs stored as UTF-8 lines (an empty array: no IRI)."""
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def _is_iri(term: object) -> bool:
    return isinstance(term, ox.NamedNode)

"""Clusters of items (title keys, name keys) joined one pair at a time, with vetoes.

:class:`UnionFind` is the bare structure; :class:`Clusters` adds what the merge
steps need: each cluster's members in the order they were joined, curated
cannot-links (:meth:`Clusters.forbid`) that no union may cross, and a
:meth:`Clusters.veto` that a step overrides with its own reasons to keep two
clusters apart (:mod:`kg.identity.papers`, :mod:`kg.identity.authors`).

>>> c = Clusters(4)
>>> c.forbid(0, 3)
>>> c.union(0, 1), c.union(1, 2), c.union(2, 3)
(None, None, 'a curated cannot-link')
>>> c.members(c.find(2)), c.union(2, 3, force=True), c.members(c.find(3))
([0, 1, 2], None, [0, 1, 2, 3])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator


class UnionFind:
    """Union-find over the ints 0..n-1 (path compression, no ranks)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def join(self, ra: int, rb: int) -> None:
        """Join the two roots ``ra`` and ``rb``; ``ra`` stays the root."""
        if ra != rb:
            self.parent[rb] = ra


class Clusters:
    """Items 0..n-1 in clusters, each with its members and the items it may never join."""

    def __init__(self, n: int) -> None:
        self._uf = UnionFind(n)
        #: Per root of a cluster of two or more: its members, in the order joined.
        self._members: dict[int, list[int]] = {}
        #: Per root: items its cluster may not be joined with (curated cannot-links).
        self._forbidden: dict[int, set[int]] = defaultdict(set)

    def find(self, x: int) -> int:
        return self._uf.find(x)

    def same(self, a: int, b: int) -> bool:
        return self._uf.find(a) == self._uf.find(b)

    def members(self, root: int) -> list[int]:
        """The members of the cluster whose root is ``root``."""
        return self._members.get(root, [root])

    def forbid(self, a: int, b: int) -> None:
        """The clusters of ``a`` and ``b`` may never be one (whatever joins them later)."""
        self._forbidden[self.find(a)].add(b)
        self._forbidden[self.find(b)].add(a)

    def veto(self, ra: int, rb: int) -> str | None:
        """Why the clusters of the roots ``ra`` and ``rb`` may not be joined (None: they may).

        Subclasses add their own reasons.
        """
        forbidden = self._forbidden
        if forbidden.get(ra, set()).intersection(self.members(rb)) or forbidden.get(
            rb, set()
        ).intersection(self.members(ra)):
            return "a curated cannot-link"
        return None

    def union(self, a: int, b: int, *, force: bool = False) -> str | None:
        """Join the clusters of ``a`` and ``b`` unless :meth:`veto` objects (``force``: it is
        not asked). Returns the veto's reason, or None when they are (now) one cluster."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if not force:
            why = self.veto(ra, rb)
            if why:
                return why
        self._join(ra, rb)
        return None

    def _join(self, ra: int, rb: int) -> None:
        """Join two roots (``ra`` stays the root); subclasses extend it for their own state."""
        group_a, group_b = self.members(ra), self.members(rb)
        self._uf.join(ra, rb)
        self._members[ra] = group_a + group_b
        self._members.pop(rb, None)
        if rb in self._forbidden:
            self._forbidden[ra] |= self._forbidden.pop(rb)

    def joined(self) -> Iterator[list[int]]:
        """The clusters of two or more items (members in the order joined), oldest root first."""
        for root, group in list(self._members.items()):
            if self._uf.find(root) == root and len(group) >= 2:
                yield group

    def partition(self, n: int) -> dict[int, list[int]]:
        """Every item of 0..n-1 by the root of its cluster (singletons too), in item order."""
        out: dict[int, list[int]] = defaultdict(list)
        for i in range(n):
            out[self._uf.find(i)].append(i)
        return out

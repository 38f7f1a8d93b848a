"""One object for each equal value that comes back many times while summaries are gathered.

Pass 1 holds every listing of the corpus at once. Each came as its own copy of its texts
(from a worker process's pickle, a line of the summary cache, a row of the store), while
most are met again: at 1M papers 3.5M author names are 0.4M distinct texts, their 3.5M
IRIs 0.3M, and a shared paper's title and abstract stand in every profile that lists it.
Keeping one object per value was about a third of the summaries' memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

T = TypeVar("T")


class SharedValues:
    """A table of the values met so far: :meth:`one` gives the first object equal to a value."""

    def __init__(self) -> None:
        self._seen: dict[object, object] = {}
        self._dates: dict[str, date] = {}

    def one(self, value: T) -> T:
        return self._seen.setdefault(value, value)  # type: ignore[return-value]

    def each(self, values: Iterable[T]) -> tuple[T, ...]:
        one = self._seen.setdefault
        return tuple([one(v, v) for v in values])  # type: ignore[misc]

    def day(self, text: str) -> date:
        """The date of an ISO text, one object per date (ValueError if it is none)."""
        held = self._dates.get(text)
        if held is None:
            held = self._dates[text] = date.fromisoformat(text)
        return held

"""A query backend that remembers what it ran, for tests that prove which queries a report,
a warm-up or a precomputed answer did (or did not) send to the store."""

from __future__ import annotations

from kg.store.embedded import KGStore
from kg.store.query import LocalBackend, QueryOutcome, QueryRequest


class RecordingBackend(LocalBackend):
    """A LocalBackend that remembers every request it runs."""

    def __init__(self, store: KGStore):
        super().__init__(store)
        self.requests: list[QueryRequest] = []

    def run(self, request: QueryRequest, *, timeout: float | None = None) -> QueryOutcome:
        self.requests.append(request)
        return super().run(request, timeout=timeout)

    @property
    def queries(self) -> list[str]:
        """The texts of the requests, in order."""
        return [request.query for request in self.requests]

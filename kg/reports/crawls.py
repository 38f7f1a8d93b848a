"""Defaults that depend on the store: the crawl dates of the reports over time.

The question asked most of the reports over time is "what changed since the last crawl".
Their date parameters may therefore be left out: a header declares such a parameter with
``store-default: latest-crawl`` (the latest crawl date in the store) or
``store-default: crawl-before(NAME)`` (the latest crawl date before the value of the
parameter NAME, given or defaulted), and the runner resolves it when a request does not give
it (:func:`kg.reports.results.bind`). The resolved value is bound like a given one, so a
request that gives the same dates is the same binding (one cache entry, one precomputed file).

A *crawl date* is a day the profile pages were copied (``kg ingest --as-of``,
docs/history.md): the ``dcterms:date`` of a snapshot, current or archived, and the first-copy
day of a snapshot copied again unchanged (its ``prov:generatedAtTime`` in a history graph,
where an unchanged crawl leaves its date).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kg.store.query import QueryBackend, QueryRequest

#: Every crawl date of the store: snapshot dates, and first-copy days of snapshots copied
#: again (GRAPH patterns: archived snapshots are in history graphs only). The second branch
#: takes the distinct (subject, time) pairs first and then checks the type: written as two
#: GRAPH patterns side by side, Oxigraph took 110-510 s over it at 1M papers (74k pages), as
#: here 1.4 s (docs/benchmark.md, "Serving a million papers").
CRAWL_DATES_QUERY = """PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?day WHERE {
  { GRAPH ?g { ?snapshot a kg:ProfileSnapshot ; dcterms:date ?day } }
  UNION
  { { SELECT DISTINCT ?snapshot ?first WHERE { GRAPH ?h { ?snapshot prov:generatedAtTime ?first } } }
    GRAPH ?g { ?snapshot a kg:ProfileSnapshot }
    BIND(SUBSTR(STR(?first), 1, 10) AS ?day) }
}
"""

LATEST_CRAWL = "latest-crawl"
#: The latest crawl date when the store has an earlier one: "new in the last crawl" means
#: nothing on a store of one crawl (everything is new; at 1M papers a first ingest's
#: precompute spent 8 minutes and 324 MB listing every paper).
LATEST_RECRAWL = "latest-recrawl"
_CRAWL_BEFORE = re.compile(r"^crawl-before\(([a-z][a-z0-9_]*)\)$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class StoreDefault:
    """How a parameter left out is read from the store: the latest crawl date (only when
    the store has an earlier one too, with ``recrawl``), or the latest crawl date before the
    value of parameter ``before``."""

    before: str | None = None
    recrawl: bool = False

    @property
    def spec(self) -> str:
        """As written in the header."""
        if self.before is not None:
            return f"crawl-before({self.before})"
        return LATEST_RECRAWL if self.recrawl else LATEST_CRAWL

    @property
    def description(self) -> str:
        if self.before is None:
            return "the latest crawl date in the store"
        return f"the latest crawl date in the store before {self.before}"

    def resolve(self, values: Mapping[str, str], dates: Sequence[str]) -> str | None:
        """The value for these crawl dates (ascending ISO dates) and the other parameters'
        values; None when the store has no such date."""
        if self.before is None:
            return dates[-1] if len(dates) >= (2 if self.recrawl else 1) else None
        limit = values.get(self.before)
        if limit is None:
            return None
        earlier = [day for day in dates if day < limit]
        return earlier[-1] if earlier else None

    def note(self, name: str, value: str | None, values: Mapping[str, str]) -> str:
        """What a reader is told about the value taken (or not found) for ``name``."""
        if value is not None:
            return f"{name} not given: {value}, {self.description}"
        if self.before is None and self.recrawl:
            return (
                f"{name} not given, and the store has no crawl before its latest: "
                f"everything is new in it (give {name})"
            )
        if self.before is None:
            return f"{name} not given, and the store has no crawl date: give {name}"
        limit = values.get(self.before)
        if limit is None:
            return f"{name} not given, and {self.before} has no value: give both"
        return (
            f"{name} not given, and the store has no crawl date before {limit}: "
            f"nothing to compare with (give {name})"
        )


def parse_store_default(spec: str) -> StoreDefault:
    """A header's ``store-default:`` value. Raises ValueError."""
    spec = spec.strip()
    if spec == LATEST_CRAWL:
        return StoreDefault()
    if spec == LATEST_RECRAWL:
        return StoreDefault(recrawl=True)
    match = _CRAWL_BEFORE.match(spec)
    if match:
        return StoreDefault(match.group(1))
    raise ValueError(
        f"unknown store-default {spec!r} "
        f"(known: {LATEST_CRAWL}, {LATEST_RECRAWL}, crawl-before(PARAMETER))"
    )


def crawl_dates(backend: QueryBackend, *, timeout: float | None = None) -> tuple[str, ...]:
    """The store's crawl dates, oldest first, as ISO dates (YYYY-MM-DD).
    Raises what the backend raises."""
    outcome = backend.run(QueryRequest(CRAWL_DATES_QUERY), timeout=timeout)
    found = {str(row["day"].value)[:10] for row in outcome.rows if row.get("day") is not None}
    return tuple(sorted(day for day in found if _DAY.match(day)))

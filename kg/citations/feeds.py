"""Atom feeds of the latest papers (feedgen), for an author, a subject, an organization or the graph.

Entries are the papers, newest first by their entry date; each links to the paper's
page and carries its authors, subjects and abstract. The entry date is when a
profile first listed the paper (:func:`first_listed`) when the store keeps the
history of its crawls (kg.pipeline.history), else the paper's own date. The feed's
``updated`` is the newest entry's date, so an unchanged store gives a byte-identical
feed (good for ETags and for harvesters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import pyoxigraph as ox
from feedgen.feed import FeedGenerator

from kg.citations.works import Work
from kg.rdf.namespace import sparql_prologue
from kg.store.query import QueryBackend, QueryRequest

#: Entries in one feed: the latest papers.
FEED_ENTRIES = 50
_EPOCH = date(1970, 1, 1)

# Whether the store keeps history: an archived snapshot, or the date of a page's first copy
# kept in its history head graph (an unchanged page copied again). One match is enough.
_KEEPS_HISTORY = (
    sparql_prologue()
    + """
ASK {
  { GRAPH ?archive { ?old a kg:ArchivedSnapshot } }
  UNION
  { ?snapshot a kg:ProfileSnapshot . GRAPH ?head { ?snapshot prov:generatedAtTime ?since } }
}
"""
)

# When a profile first listed each paper: the earliest start of a snapshot, current (its
# source graph) or archived (a history graph), that lists it; a snapshot starts at its first
# copy (prov:generatedAtTime in the history, for a page copied again unchanged), else at its
# date. The same reading as the papers-listed-since report. #ENTITY is one of _ENTITY's
# fixed patterns; the entity itself is the substitution ?entity (projected and grouped by:
# pyoxigraph binds substitutions through the projection).
_FIRST_LISTED = (
    sparql_prologue()
    + """
SELECT ?paper (MIN(?listed) AS ?first_listed) ?entity WHERE {
  #ENTITY
  GRAPH ?g { ?snapshot kg:listsPaper ?paper ; dcterms:date ?copied }
  OPTIONAL { GRAPH ?head { ?snapshot prov:generatedAtTime ?since_copy } }
  BIND(COALESCE(xsd:date(SUBSTR(STR(?since_copy), 1, 10)), ?copied) AS ?listed)
}
GROUP BY ?paper ?entity
"""
)
_ENTITY = {
    "author": "?paper schema:author ?entity .",
    "subject": "?paper dcterms:subject ?entity .",
    "organization": "?paper schema:sourceOrganization ?entity .",
}


def first_listed(
    backend: QueryBackend,
    *,
    author: str | None = None,
    subject: str | None = None,
    organization: str | None = None,
    timeout: float | None = None,
) -> dict[str, date]:
    """When a profile first listed each paper (of the entity IRI given, if any), by paper IRI.

    Empty when the store keeps no history (a single crawl): every snapshot then has the
    ingest's date, which says nothing of when a paper appeared, and a feed dates its
    entries by the papers' own dates.

    >>> from kg.store.embedded import KGStore
    >>> from kg.store.query import LocalBackend
    >>> first_listed(LocalBackend(KGStore.in_memory()))
    {}
    """
    kept = backend.run(QueryRequest(_KEEPS_HISTORY), timeout=timeout)
    if not kept.boolean:
        return {}
    given = {"author": author, "subject": subject, "organization": organization}
    entities = [(kind, iri) for kind, iri in given.items() if iri is not None]
    if len(entities) > 1:
        raise ValueError("first_listed: one entity at most")
    # The pattern is chosen among fixed texts; the IRI is only ever a substitution.
    query = _FIRST_LISTED.replace("#ENTITY", _ENTITY[entities[0][0]] if entities else "")
    bindings = {"entity": ox.NamedNode(entities[0][1])} if entities else {}
    outcome = backend.run(QueryRequest(query, substitutions=bindings), timeout=timeout)
    out: dict[str, date] = {}
    for row in outcome.rows:
        value = row.get("first_listed")
        if value is None:
            continue
        try:
            out[row["paper"].value] = date.fromisoformat(value.value[:10])
        except ValueError:
            continue
    return out


def entry_date(work: Work, listed: Mapping[str, date]) -> date | None:
    """A work's date in a feed: when a profile first listed it, else its own date."""
    return listed.get(work.iri, work.issued)


def latest_works(
    works: Sequence[Work], listed: Mapping[str, date] | None = None, count: int = FEED_ENTRIES
) -> list[Work]:
    """The ``count`` works a feed shows, newest entry date first (then newest own date, then
    title, as without history)."""
    dates = listed or {}
    return sorted(
        works,
        key=lambda w: (entry_date(w, dates) or _EPOCH, w.issued or _EPOCH, w.title),
        reverse=True,
    )[:count]


def _moment(day: date | None) -> datetime:
    return datetime.combine(day or _EPOCH, datetime.min.time(), tzinfo=UTC)


def atom_feed(
    works: Sequence[Work],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    subtitle: str | None = None,
    page_of: Mapping[str, str] | None = None,
    listed: Mapping[str, date] | None = None,
) -> bytes:
    """An Atom 1.0 document of the newest :data:`FEED_ENTRIES` works.

    ``feed_id`` is the followed entity's IRI, ``self_url`` the feed's own URL,
    ``page_url`` the HTML page it follows; ``page_of`` maps a paper IRI to its
    HTML page when that differs from the IRI; ``listed`` maps a paper IRI to the date
    a profile first listed it (:func:`first_listed`), its entry's date.
    """
    dates = listed or {}
    latest = latest_works(works, dates)
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    if subtitle:
        feed.subtitle(subtitle)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.generator("scholarly-kg")
    feed.updated(_moment(entry_date(latest[0], dates) if latest else None))
    # feedgen prepends entries: add oldest first so the document lists newest first.
    for work in reversed(latest):
        entry = feed.add_entry()
        entry.id(work.iri)
        entry.title(work.title)
        entry.link(href=(page_of or {}).get(work.iri, work.iri), rel="alternate", type="text/html")
        moment = _moment(entry_date(work, dates))
        entry.published(moment)
        entry.updated(moment)
        for author in work.authors:
            entry.author({"name": author.written, **({"uri": author.iri} if author.iri else {})})
        if not work.authors:
            entry.author({"name": "Unknown"})
        for subject in work.subjects:
            entry.category(term=subject)
        if work.abstract:
            entry.summary(work.abstract)
    document: bytes = feed.atom_str(pretty=True)
    return document

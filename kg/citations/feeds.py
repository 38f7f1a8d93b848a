"""Atom feeds of the latest papers (feedgen), for an author, a subject, an organization or the graph.

Entries are the papers, newest first by their date; each links to the paper's
page and carries its authors, subjects and abstract. The feed's ``updated`` is
the newest entry's date, so an unchanged store gives a byte-identical feed
(good for ETags and for harvesters).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from feedgen.feed import FeedGenerator

from kg.citations.works import Work

#: Entries in one feed: the latest papers.
FEED_ENTRIES = 50
_EPOCH = date(1970, 1, 1)


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
    page_of: dict[str, str] | None = None,
) -> bytes:
    """An Atom 1.0 document of the newest :data:`FEED_ENTRIES` works.

    ``feed_id`` is the followed entity's IRI, ``self_url`` the feed's own URL,
    ``page_url`` the HTML page it follows; ``page_of`` maps a paper IRI to its
    HTML page when that differs from the IRI.
    """
    latest = sorted(works, key=lambda w: (w.issued or _EPOCH, w.title), reverse=True)[:FEED_ENTRIES]
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    if subtitle:
        feed.subtitle(subtitle)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.generator("scholarly-kg")
    feed.updated(_moment(latest[0].issued if latest else None))
    # feedgen prepends entries: add oldest first so the document lists newest first.
    for work in reversed(latest):
        entry = feed.add_entry()
        entry.id(work.iri)
        entry.title(work.title)
        entry.link(href=(page_of or {}).get(work.iri, work.iri), rel="alternate", type="text/html")
        moment = _moment(work.issued)
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

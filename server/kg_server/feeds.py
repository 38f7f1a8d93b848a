"""Atom feeds of the latest papers: the whole graph, an author, a subject, an organization.

* ``/feeds/latest.atom`` -- the newest papers of the graph;
* ``/feeds/<kind>/<name>.atom`` for ``kind`` in author, subject, org -- the newest
  papers of the entity whose IRI is ``{base}<kind>/<name>``.

Pages link their feed in ``<head>`` (``rel="alternate"``, autodiscovery) through
the :func:`feed_links` context processor. Responses carry an ETag (store
version and URL) and Last-Modified (the newest entry's date) and answer
conditional requests with 304.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime

from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import NotFound

from kg.citations.feeds import atom_feed, entry_date, first_listed, latest_works
from kg.citations.works import MAX_WORKS, Work, load_works
from kg.reports.names import preferred_name
from kg_server.context import kg_context

blueprint = Blueprint("feeds", __name__)

ATOM = "application/atom+xml"
#: Entity kinds with a feed, and how a feed title names them.
FEED_KINDS = {"author": "author", "subject": "subject", "org": "organization"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~%-]{0,200}")


def _entity_label(iri: str, works: list[Work], kind: str) -> str:
    if kind == "author":
        # The fullest of the ways the papers print the author, as the reports name a person.
        written = preferred_name(a.written for w in works for a in w.authors if a.iri == iri)
        if written is not None:
            return written
    return iri.rsplit("/", 1)[-1]


def _works(kind: str | None = None, iri: str | None = None) -> tuple[list[Work], dict[str, date]]:
    """The papers of a feed (of the entity ``iri`` of ``kind``, or all) and, when the store
    keeps history, when a profile first listed each (the entries' dates)."""
    context = kg_context()
    timeout = context.settings.query_timeout
    author = iri if kind == "author" else None
    subject = iri if kind == "subject" else None
    organization = iri if kind == "org" else None
    listed = first_listed(
        context.backend,
        author=author,
        subject=subject,
        organization=organization,
        timeout=timeout,
    )
    # With history the newest entries are the papers listed last, whatever their own dates:
    # every paper is a candidate (load_works reads them all anyway before keeping the newest).
    works = load_works(
        context.backend,
        author=author,
        subject=subject,
        organization=organization,
        limit=max(len(listed), MAX_WORKS),
        timeout=timeout,
    )
    return works, listed


def _answer(
    works: list[Work], listed: dict[str, date], *, feed_id: str, title: str, page_url: str
) -> Response:
    context = kg_context()
    etag = hashlib.sha256(f"{context.backend.version()}|{request.path}".encode()).hexdigest()[:32]
    latest = latest_works(works, listed)
    body = atom_feed(
        latest,
        feed_id=feed_id,
        title=title,
        self_url=request.base_url,
        page_url=page_url,
        page_of={w.iri: _paper_page(w.iri) for w in latest},
        listed=listed,
    )
    response = Response(body, mimetype=ATOM)
    response.set_etag(etag)
    newest = max((d for d in (entry_date(w, listed) for w in latest) if d), default=None)
    if newest is not None:
        response.last_modified = datetime.combine(newest, datetime.min.time(), tzinfo=UTC)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.make_conditional(request)
    return response


def _paper_page(iri: str) -> str:
    base = kg_context().scheme.base
    if iri.startswith(f"{base}paper/"):
        return request.host_url.rstrip("/") + url_for(
            "reports.paper_page", slug=iri[len(f"{base}paper/") :]
        )
    return iri


@blueprint.get("/feeds/latest.atom")
def latest() -> Response:
    context = kg_context()
    works, listed = _works()
    return _answer(
        works,
        listed,
        feed_id=context.scheme.base,
        title="Latest papers · Scholarly Knowledge Graph",
        page_url=request.host_url,
    )


@blueprint.get("/feeds/<any(author, subject, org):kind>/<name>.atom")
def entity(kind: str, name: str) -> Response:
    if not _NAME.fullmatch(name):
        raise NotFound("no such feed")
    context = kg_context()
    iri = f"{context.scheme.base}{kind}/{name}"
    works, listed = _works(kind, iri)
    if not works:
        raise NotFound(f"no papers for {iri}")
    label = _entity_label(iri, works, kind)
    return _answer(
        works,
        listed,
        feed_id=iri,
        title=f"Latest papers of {FEED_KINDS[kind]} {label} · Scholarly Knowledge Graph",
        page_url=iri,
    )


def feed_url_for(iri: str) -> str | None:
    """The feed of an entity IRI (author, subject, organization), or None."""
    base = kg_context().scheme.base
    for kind in FEED_KINDS:
        prefix = f"{base}{kind}/"
        if iri.startswith(prefix) and _NAME.fullmatch(iri[len(prefix) :]):
            return url_for("feeds.entity", kind=kind, name=iri[len(prefix) :])
    return None


@blueprint.app_context_processor
def feed_links() -> dict[str, list[tuple[str, str]]]:
    """``feed_links`` for the page's ``<head>``: (href, title) of the feeds it is about."""
    links = [(url_for("feeds.latest"), "Latest papers")]
    path = request.path
    match = re.fullmatch(r"/(?:pages/)?(author|subject|org)/([^/]+)", path)
    if match and _NAME.fullmatch(match.group(2)):
        kind, name = match.groups()
        links.insert(
            0,
            (
                url_for("feeds.entity", kind=kind, name=name),
                f"Latest papers of this {FEED_KINDS[kind]}",
            ),
        )
    return {"feed_links": links}

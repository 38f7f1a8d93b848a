"""Formats by media type and extension, and content negotiation over them.

One registry (no if/elif chains): each :class:`Format` has a short key (the
``format=`` parameter), a media type, aliases, a file extension, and what it
can carry: query ``results`` (SELECT/ASK) or RDF ``graph`` data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

from kg.errors import NotAcceptable


@dataclass(frozen=True, slots=True)
class Format:
    key: str
    media_type: str
    extension: str
    kind: str  # "results", "graph" or "html"
    aliases: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = None
    quads: bool = False

    @property
    def content_type(self) -> str:
        if self.media_type.startswith("text/") or self.media_type.endswith(
            ("+xml", "+json", "json")
        ):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", "results", ("application/json",)),
    Format(
        "xml", "application/sparql-results+xml", "srx", "results", ("application/xml", "text/xml")
    ),
    Format("csv", "text/csv", "csv", "results"),
    Format("tsv", "text/tab-separated-values", "tsv", "results"),
    Format("turtle", "text/turtle", "ttl", "graph", ("application/x-turtle",), ox.RdfFormat.TURTLE),
    Format(
        "ntriples", "application/n-triples", "nt", "graph", ("text/plain",), ox.RdfFormat.N_TRIPLES
    ),
    Format("nquads", "application/n-quads", "nq", "graph", (), ox.RdfFormat.N_QUADS, quads=True),
    Format("trig", "application/trig", "trig", "graph", (), ox.RdfFormat.TRIG, quads=True),
    Format(
        "rdfxml",
        "application/rdf+xml",
        "rdf",
        "graph",
        ("application/xml", "text/xml"),
        ox.RdfFormat.RDF_XML,
    ),
    Format(
        "jsonld",
        "application/ld+json",
        "jsonld",
        "graph",
        ("application/json",),
        ox.RdfFormat.JSON_LD,
    ),
    Format("html", "text/html", "html", "html", ("application/xhtml+xml",)),
)

BY_KEY = {f.key: f for f in FORMATS}
BY_EXTENSION = {f.extension: f for f in FORMATS}
# Friendly names people type into format= (SPARQLWrapper sends some of these).
KEY_ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "nq": "nquads",
    "n-quads": "nquads",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "rdf+xml": "rdfxml",
    "json-ld": "jsonld",
    "srj": "json",
    "srx": "xml",
    "text": "tsv",
    "n3": "turtle",
}


def by_media_type(media_type: str, kinds: Iterable[str] | None = None) -> Format | None:
    media_type = media_type.split(";", 1)[0].strip().lower()
    allowed = set(kinds) if kinds else None
    for fmt in FORMATS:
        if allowed is not None and fmt.kind not in allowed:
            continue
        if media_type == fmt.media_type:
            return fmt
    for fmt in FORMATS:
        if allowed is not None and fmt.kind not in allowed:
            continue
        if media_type in fmt.aliases:
            return fmt
    return None


def negotiate(accept: MIMEAccept, offers: list[Format], default: Format | None = None) -> Format:
    """The offer the client prefers by its Accept header (q-values, wildcards).

    ``offers`` are in server preference order, which breaks ties. A missing or
    empty Accept header takes ``default`` (or the first offer). Raises
    :class:`NotAcceptable` when nothing offered is acceptable.
    """
    if not accept or not list(accept.values()):
        return default or offers[0]
    candidates: list[str] = []
    owner: dict[str, Format] = {}
    for fmt in offers:
        for media_type in (fmt.media_type, *fmt.aliases):
            if media_type not in owner:
                owner[media_type] = fmt
                candidates.append(media_type)
    if default is not None:
        # Put the default first so that */* picks it.
        first = default.media_type
        candidates.remove(first)
        candidates.insert(0, first)
    best = accept.best_match(candidates)
    if best is None:
        raise NotAcceptable(
            "none of the requested media types can be produced; available: "
            + ", ".join(f.media_type for f in offers)
        )
    return owner[best]

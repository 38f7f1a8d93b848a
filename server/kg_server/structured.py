"""Structured data for crawlers: schema.org JSON-LD and Google Scholar's Highwire tags.

Pages embed what this module builds as a JSON-LD data block,
``<script type="application/ld+json">{{ data|tojson }}</script>`` (the template macro
``structured.html``). A data block is not executed, so the CSP's ``script-src 'self'``
does not apply to it, and ``|tojson`` escapes ``<``, ``>`` and ``&``.

The ``@context`` is inline (schema.org as ``@vocab``, with the link-valued terms typed
``@id``) rather than the URL ``https://schema.org``: a consumer needs no network to
expand it, and the expanded triples are the ones a remote context gives.

Everything here is pure: builders take plain values (from report rows or a resource's
triples) and return dicts or lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.rdf.namespace import DCTERMS, KG, RDF, SCHEMA, SKOS

SCHEMA_NS = str(SCHEMA)
#: schema.org terms whose values are links (IRIs), not text.
LINK_TERMS = ("url", "sameAs", "contentUrl", "license", "mainEntityOfPage", "codeRepository")
CONTEXT: dict[str, Any] = {
    "@vocab": SCHEMA_NS,
    **{term: {"@type": "@id"} for term in LINK_TERMS},
}

#: Our predicates outside schema.org that have a schema.org counterpart.
_EQUIVALENTS = {
    str(DCTERMS.title): "name",
    str(DCTERMS.abstract): "abstract",
    str(DCTERMS.date): "datePublished",
    str(DCTERMS.subject): "about",
    str(DCTERMS.isPartOf): "isPartOf",
    str(SKOS.prefLabel): "name",
    str(SKOS.notation): "termCode",
    str(SKOS.inScheme): "inDefinedTermSet",
}
#: Our classes outside schema.org, by the schema.org type that says what they are.
_TYPE_EQUIVALENTS = {str(KG.Venue): "CreativeWorkSeries", str(SKOS.Concept): "DefinedTerm"}
#: schema.org predicates that are structure of our graph, not facts a crawler wants.
_SKIPPED = {str(SCHEMA.position)}


@dataclass(frozen=True, slots=True)
class Named:
    """A linked thing shown by name: its IRI (may be None), its name, its page (may be None)."""

    iri: str | None
    name: str
    url: str | None = None


def _node(kind: str, thing: Named) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": kind}
    if thing.iri:
        out["@id"] = thing.iri
    out["name"] = thing.name
    if thing.url:
        out["url"] = thing.url
    return out


def person(
    iri: str,
    name: str,
    *,
    url: str,
    same_as: Iterable[str] = (),
    affiliations: Iterable[Named] = (),
) -> dict[str, Any]:
    """A schema:Person. ``url`` is the page; ``same_as`` other descriptions of the person
    (the linked-data IRI, profile links)."""
    out: dict[str, Any] = {"@context": CONTEXT, "@type": "Person", "@id": iri, "name": name}
    out["url"] = url
    links = list(dict.fromkeys(s for s in same_as if s and s != url))
    if links:
        out["sameAs"] = links
    organizations = [_node("Organization", a) for a in affiliations]
    if organizations:
        out["affiliation"] = organizations
    return out


def scholarly_article(
    iri: str,
    name: str,
    *,
    url: str,
    authors: Sequence[Named],
    date_published: str | None = None,
    about: Sequence[Named] = (),
    venue: Named | None = None,
    abstract: str | None = None,
    same_as: Iterable[str] = (),
) -> dict[str, Any]:
    """A schema:ScholarlyArticle; ``authors`` in the order the paper lists them (a plain
    JSON array: what search engines read; the Highwire tags carry the order too)."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ScholarlyArticle",
        "@id": iri,
        "name": name,
        "headline": name[:110],
        "url": url,
    }
    if authors:
        out["author"] = [_node("Person", a) for a in authors]
    if date_published:
        out["datePublished"] = date_published
    if about:
        out["about"] = [_node("Thing", a) for a in about]
    if venue is not None:
        out["isPartOf"] = _node("Periodical", venue)
    if abstract:
        out["abstract"] = abstract
    links = list(dict.fromkeys(s for s in same_as if s and s != url))
    if links:
        out["sameAs"] = links
    return out


_PDF = re.compile(r"^https?://(?:[^/]+/.*\.pdf|(?:www\.)?arxiv\.org/pdf/\S+)$", re.IGNORECASE)


def pdf_url(links: Iterable[str]) -> str | None:
    """The first link that is a PDF (a ``.pdf`` path, or arXiv's ``/pdf/``), else None."""
    return next((link for link in links if _PDF.match(link)), None)


def citation_date(date: str | None) -> str | None:
    """``2024-05-01`` -> ``2024/05/01``, ``2024`` -> ``2024`` (the forms Google Scholar reads)."""
    if not date:
        return None
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date.strip())
    if match is None:
        return None
    return "/".join(part for part in match.groups() if part)


def citation_meta(
    title: str,
    authors: Sequence[str],
    *,
    date: str | None,
    abstract_html_url: str,
    pdf: str | None = None,
) -> list[tuple[str, str]]:
    """Highwire Press ``<meta name=... content=...>`` pairs, authors in order (Google
    Scholar's inclusion guidelines read these)."""
    meta = [("citation_title", title)]
    meta += [("citation_author", name) for name in authors]
    published = citation_date(date)
    if published:
        meta.append(("citation_publication_date", published))
    meta.append(("citation_abstract_html_url", abstract_html_url))
    if pdf:
        meta.append(("citation_pdf_url", pdf))
    return meta


def from_triples(
    iri: str, triples: Iterable[ox.Triple], labels: dict[str, str], *, url: str
) -> dict[str, Any] | None:
    """A schema.org node for ``iri`` from its own triples: its schema.org types and
    properties (plus the Dublin Core ones with a schema.org counterpart); linked things
    become ``{"@id", "name"}``. None when the resource has no schema.org type."""
    types: list[str] = []
    properties: dict[str, list[Any]] = {}
    for triple in triples:
        if not isinstance(triple.subject, ox.NamedNode) or triple.subject.value != iri:
            continue
        predicate = triple.predicate.value
        value = triple.object
        if predicate == str(RDF.type):
            if isinstance(value, ox.NamedNode) and value.value.startswith(SCHEMA_NS):
                types.append(value.value[len(SCHEMA_NS) :])
            elif isinstance(value, ox.NamedNode) and value.value in _TYPE_EQUIVALENTS:
                types.append(_TYPE_EQUIVALENTS[value.value])
            continue
        if predicate in _SKIPPED:
            continue
        if predicate.startswith(SCHEMA_NS):
            term = predicate[len(SCHEMA_NS) :]
        elif predicate in _EQUIVALENTS:
            term = _EQUIVALENTS[predicate]
        else:
            continue
        if isinstance(value, ox.NamedNode):
            if "#" in value.value:
                continue  # a fragment node of our graph (an authorship), not a thing
            item: Any = (
                value.value
                if term in LINK_TERMS
                else {"@id": value.value, "name": labels.get(value.value)}
            )
            if isinstance(item, dict) and item["name"] is None:
                del item["name"]
        elif isinstance(value, ox.Literal):
            item = value.value
        else:
            continue
        properties.setdefault(term, []).append(item)
    if not types:
        return None
    out: dict[str, Any] = {"@context": CONTEXT, "@type": types[0] if len(types) == 1 else types}
    out["@id"] = iri
    for term, values in properties.items():
        out[term] = values[0] if len(values) == 1 else values
    out.setdefault("url", url)
    return out


def dataset(
    *,
    iri: str,
    name: str,
    description: str,
    license: str,
    url: str,
    distributions: Sequence[tuple[str, str, str]],
    date_modified: str | None = None,
    same_as: Iterable[str] = (),
) -> dict[str, Any]:
    """A schema:Dataset (what dataset search engines index): ``distributions`` are
    (name, content URL, media type of the content) of each dump; the files are gzip."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": iri,
        "name": name,
        "description": description,
        "url": url,
    }
    if license.startswith(("http://", "https://")):
        out["license"] = license
    else:
        out["license"] = {"@type": "CreativeWork", "name": license}
    if date_modified:
        out["dateModified"] = date_modified
    links = list(dict.fromkeys(s for s in same_as if s and s != url))
    if links:
        out["sameAs"] = links
    out["distribution"] = [
        {
            "@type": "DataDownload",
            "name": title,
            "contentUrl": content_url,
            "encodingFormat": ["application/gzip", media_type],
        }
        for title, content_url, media_type in distributions
    ]
    return out

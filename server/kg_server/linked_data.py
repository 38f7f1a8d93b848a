"""Linked data: every minted IRI dereferences, and so does the ontology.

URL scheme (paths relative to the server's root, which serves the base IRI):

=============================  ==================================================
``/{kind}/{rest}``             the resource ``{base}{kind}/{rest}`` (HTML, Turtle,
                               JSON-LD, N-Triples, RDF/XML, N-Quads, TriG, N3 by
                               ``Accept``: the formats kg.formats offers for linked data)
``/{kind}/{rest}.{ext}``       one format: ``.html .ttl .jsonld .nt .rdf .nq .trig .n3``;
                               a paper also ``.bib .ris .csl.json .txt`` (``?style=``),
                               an author ``.bib .ris .csl.json`` (its papers): the
                               citation formats of :data:`CITABLE` (docs/citations.md)
``/graph/{source}``            a source graph as a document: its own quads as triples
``/ontology`` (``.{ext}``)     the vocabulary; ``https://w3id.org/scholarly-kg/ontology``
                               must redirect here
``/context.jsonld``            the JSON-LD ``@context`` every JSON-LD answer names
=============================  ==================================================

``kind`` is one of :data:`PATH_KINDS`: the first path segments of
:class:`kg.rdf.iri.IriScheme`. The IRI of a request is ``settings.base_iri`` plus
the request path (each segment percent-encoded the way the scheme mints it),
so a server whose base IRI is its public address answers for its IRIs
directly, and a local server serves the same paths.

A resource's IRI names the document that describes it (no 303 redirect: the
project's resources are described, not embodied, and one round trip is kinder
to crawlers; the HTML and RDF variants are representations of that document).
A description is:

* the resource's own triples, and those of its ``#fragment`` nodes that it
  links to (a paper's ``#author-N`` authorships, a graph's ``#failure-N``);
* the labels (``schema:name``, ``dcterms:title``, ``skos:prefLabel``,
  ``rdfs:label``) of what those link to;
* its incoming links (an author's papers via ``schema:author``) with their
  labels, at most :data:`INCOMING_LIMIT`; when cut, the response says so in the
  ``X-Description-Truncated`` header (and the HTML page says so).

A source graph ``/graph/{source}`` is answered with the graph's own content.

A document's own part (a resource's triples, a graph's content) has at most
``--max-document-triples`` triples (issue 15, item 7: the identity graph of 20k papers
was 3.4 MB of JSON-LD and 5 s of CPU in the HTTP process). A longer one is cut: the
``X-Description-Truncated`` header says so, a ``Link`` with ``rel="related"`` names the
dumps, and the document itself carries an ``rdfs:comment`` saying where it was cut
and an ``rdfs:seeAlso`` to the dumps. The queries of one document share one deadline,
the query timeout, and a document is not rendered once it has passed (503). Rendered
documents are cached by ETag (store version, path, format), so a document is rendered
once per store version however many clients ask for it at once.

Every answer has ``Vary: Accept`` (on
the negotiated URL), ``Link`` headers to the alternates, ``Content-Location``
of the chosen variant, and an ``ETag`` from the store version (304 on a
matching ``If-None-Match``, weak tags included). An unknown IRI is a 404 and an unacceptable ``Accept`` a
406, both ``application/problem+json``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from rdflib import Graph
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from kg import formats
from kg.citations import csl
from kg.citations import works as citation_works
from kg.citations.render import render as render_citations
from kg.citations.works import load_works
from kg.errors import NotFound
from kg.formats import Format
from kg.rdf.namespace import DCTERMS, PREFIXES, RDF, RDFS, SCHEMA, SKOS, XSD
from kg.rdf.ontology import ONTOLOGY_FILE, curie, html_page, ontology_graph
from kg.reports.names import fullness
from kg_server import negotiation, structured
from kg_server.context import kg_context
from kg_server.descriptions import (
    INCOMING_LIMIT,
    Deadline,
    Description,
    DocumentCache,
    Rendered,
    describe,
    with_cut_note,
)

blueprint = Blueprint("linked_data", __name__)

#: First path segments of the minted IRIs (kg.rdf.iri) that this blueprint answers for.
PATH_KINDS: tuple[str, ...] = (
    "author",
    "paper",
    "repo",
    "venue",
    "subject",
    "org",
    "profile",
    "graph",
    "decision",
    "agent",
)
#: Formats a description comes in, in server preference order (Turtle first for */*).
OFFERS: tuple[Format, ...] = formats.offers(formats.LINKED_DATA)
DEFAULT_FORMAT = formats.default(formats.LINKED_DATA)
#: Extensions that select a format: .ttl .jsonld .nt .rdf .html ...
EXTENSIONS: dict[str, Format] = {f.extension: f for f in OFFERS}
#: The URL rule of those extensions.
EXTENSION_RULE = negotiation.extension_rule(formats.LINKED_DATA)
#: Kinds of IRI that are citable too, and the route of kg.formats that adds their formats.
CITABLE: dict[str, str] = {
    "paper": formats.PAPER_CITATION,
    "author": formats.AUTHOR_BIBLIOGRAPHY,
}

#: Predicates whose values label a resource, in order of preference.
LABEL_PREDICATES: tuple[str, ...] = (
    str(SCHEMA.name),
    str(DCTERMS.title),
    str(SKOS.prefLabel),
    str(RDFS.label),
)
_NAME = str(SCHEMA.name)
#: Where the whole data is when a document was cut (the dumps listing, kg_server.dumps).
DUMPS_PATH = "/dumps"
TRUNCATED_HEADER = "X-Description-Truncated"
CONTEXT_PATH = "context.jsonld"
#: Bump when the shape of descriptions changes, so that cached ETags stop matching.
DESCRIPTION_VERSION = "1"

# --- IRIs from request paths ----------------------------------------------------------


def iri_for_path(path: str) -> str:
    """The IRI a (decoded) request path stands for: the base IRI plus the path, each
    segment percent-encoded as :class:`kg.rdf.iri.IriScheme` mints it (``quote(segment, safe="")``).

    The server hands routes the path decoded; re-encoding each segment gives the
    minted form whatever escaping the client chose (``%7E`` or ``~``, ``%c3%a9``
    or ``é``). A ``%`` left after decoding is a literal percent sign (the client
    sent ``%25``) and is encoded again, never decoded twice.
    """
    base = kg_context().scheme.base
    segments = path.lstrip("/").split("/")
    return base + "/".join(quote(s, safe="") for s in segments)


def local_href(iri: str) -> str | None:
    """A link for an IRI in an HTML page: a path on this server for IRIs under the
    base IRI, the IRI itself for other http(s) IRIs, None for anything else."""
    base = kg_context().scheme.base
    if iri.startswith(base):
        return request.script_root + "/" + iri[len(base) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


# --- serialisation ----------------------------------------------------------------------


def context_url() -> str:
    """The published JSON-LD context that JSON-LD answers name (under the base IRI)."""
    return kg_context().scheme.base + CONTEXT_PATH


@cache
def context_terms() -> dict[str, str]:
    """The ``@context`` content: the project's prefixes (kg:, schema:, dcterms:, ...)."""
    return dict(PREFIXES)


def _to_ntriples(triples: Iterable[ox.Triple]) -> bytes:
    return ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES) or b""


def to_jsonld(triples: Sequence[ox.Triple], context: str) -> bytes:
    """Compact JSON-LD of ``triples`` whose ``@context`` is the URL ``context``
    (a document with :func:`context_terms` as its ``@context``)."""
    graph = Graph()
    graph.parse(data=_to_ntriples(triples), format="nt")
    text = graph.serialize(format="json-ld", context=context_terms(), auto_compact=True)
    document = json.loads(text)
    if isinstance(document, dict):
        document["@context"] = context
    else:  # an empty graph serialises as a list
        document = {"@context": context, "@graph": document}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def render_rdf(triples: Sequence[ox.Triple], fmt: Format) -> bytes:
    """``triples`` in one of the RDF formats of :data:`OFFERS` (prefixes from kg.rdf.namespace);
    in a quad format (N-Quads, TriG) they are the default graph.

    Raises ValueError for a format that is not an RDF format.
    """
    if fmt.key == "jsonld":
        return to_jsonld(triples, context_url())
    if fmt.rdf is None:
        raise ValueError(f"not an RDF format: {fmt.key}")
    prefixes = used_prefixes(triples) if fmt.takes_prefixes else None
    return ox.serialize(grouped(triples), format=fmt.rdf, prefixes=prefixes) or b""


def grouped(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples with each subject's together, subjects in order of first appearance
    (the Turtle and RDF/XML writers then state each subject once)."""
    groups: dict[Any, list[ox.Triple]] = {}
    for triple in triples:
        groups.setdefault(triple.subject, []).append(triple)
    return [t for group in groups.values() for t in group]


def used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The prefixes of :data:`kg.rdf.namespace.PREFIXES` that some IRI in ``triples`` starts with."""
    iris: set[str] = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {
        prefix: namespace
        for prefix, namespace in PREFIXES.items()
        if any(iri.startswith(namespace) for iri in iris)
    }


# --- responses ---------------------------------------------------------------------------


def offers_for(kind: str | None) -> tuple[Format, ...]:
    """The formats an IRI of ``kind`` comes in: :data:`OFFERS`, and for a paper or an
    author their citation formats (:data:`CITABLE`)."""
    route = CITABLE.get(kind or "")
    return formats.offers_all(formats.LINKED_DATA, route) if route else OFFERS


def choose(extension: str | None, kind: str | None = None) -> tuple[negotiation.Choice, bool]:
    """The format asked for by an extension, else by ``Accept`` (with the media-type
    parameters of the range that chose it: a citation ``style``), among the formats of
    :func:`offers_for` ``kind``; and whether it was negotiated.

    Raises NotAcceptable (406) when ``Accept`` allows none of the formats.
    """
    if extension is not None:
        by_extension = {f.extension: f for f in offers_for(kind)}
        if extension not in by_extension:
            raise NotFound(f"no .{extension} variant here")
        return negotiation.Choice(by_extension[extension]), False
    route = CITABLE.get(kind or "")
    extra = (route,) if route else ()
    return negotiation.for_request(formats.LINKED_DATA, *extra), True


def choose_format(extension: str | None, kind: str | None = None) -> tuple[Format, bool]:
    """The format of :func:`choose`."""
    choice, negotiated = choose(extension, kind)
    return choice.format, negotiated


def variant_links(path: str, offers: Sequence[Format] = OFFERS) -> str:
    """The ``Link`` header naming every variant of the document at ``path``."""
    return ", ".join(
        f'<{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"' for f in offers
    )


def etag_for(*parts: str) -> str:
    version = kg_context().backend.version()
    digest = hashlib.sha256("\0".join((DESCRIPTION_VERSION, version, *parts)).encode("utf-8"))
    return digest.hexdigest()[:32]


def finish(
    response: Response,
    *,
    path: str,
    fmt: Format,
    negotiated: bool,
    etag: str,
    cors: bool = True,
    offers: Sequence[Format] = OFFERS,
) -> Response:
    """Add the linked-data headers: Vary, Link, Content-Location, ETag, caching, CORS."""
    if negotiated:
        response.vary.add("Accept")
        response.headers["Content-Location"] = f"{path}.{fmt.extension}"
    response.headers["Link"] = variant_links(path, offers)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 60
    if cors and fmt.key != "html":
        response.headers["Access-Control-Allow-Origin"] = kg_context().settings.cors_origin
        response.headers["Access-Control-Expose-Headers"] = (
            f"Link, Content-Location, ETag, {TRUNCATED_HEADER}"
        )
    return response


def not_modified(etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``, compared weakly as RFC 9110 (13.1.2) asks:
    proxies that compress a response weaken its tag (``W/"..."``)."""
    return request.if_none_match.contains_weak(etag)


def rdf_or_html(
    *,
    path: str,
    extension: str | None,
    etag_parts: Sequence[str],
    triples: Callable[[], Sequence[ox.Triple]],
    html: Callable[[], str],
    headers: Callable[[], dict[str, str]] | None = None,
) -> Response:
    """Answer a request for a document with variants (``path`` without extension).

    ``triples`` and ``html`` are called only when needed (not for a 304).
    Used by the resource routes, the ontology and VoID.
    """
    fmt, negotiated = choose_format(extension)
    etag = etag_for(path, fmt.key, *etag_parts)
    if not_modified(etag):
        response = Response(status=304)
    elif fmt.key == "html":
        response = Response(html(), content_type=fmt.content_type)
    else:
        response = Response(render_rdf(triples(), fmt), content_type=fmt.content_type)
    if headers is not None and response.status_code != 304:
        response.headers.update(headers())
    return finish(response, path=path, fmt=fmt, negotiated=negotiated, etag=etag)


# --- HTML view ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One term as shown on a page: text, optional link, and a note (language or datatype)."""

    text: str
    href: str | None = None
    note: str | None = None
    kind: str = "iri"
    title: str | None = None


@dataclass(slots=True)
class PropertyRow:
    predicate: Cell
    values: list[Cell] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    """One subject of the page: the resource itself, one of its fragments, or (in a graph) any subject."""

    iri: str
    heading: str
    anchor: str | None
    href: str | None = None
    types: list[Cell] = field(default_factory=list)
    rows: list[PropertyRow] = field(default_factory=list)
    caption: str | None = None


@dataclass(slots=True)
class ResourceView:
    iri: str
    title: str
    kind: str
    sections: list[Section]
    incoming: list[PropertyRow]
    alternates: list[tuple[str, str, str]]
    related: list[tuple[str, str]]
    document: bool = False
    incoming_truncated: bool = False
    truncated: bool = False
    incoming_limit: int = INCOMING_LIMIT
    triple_count: int = 0


def _curie(iri: str) -> str:
    text = curie(iri)
    return iri if text.startswith("<") else text


def labels_of(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The preferred label of every subject that has one (English first; of a person's
    several names, the fullest, as the reports name it)."""
    best: dict[str, tuple[int, str]] = {}
    rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    for triple in triples:
        predicate = triple.predicate.value
        if predicate not in rank or not isinstance(triple.object, ox.Literal):
            continue
        language = triple.object.language
        score = rank[predicate] * 2 + (0 if language in (None, "en") else 1)
        subject = (
            str(triple.subject.value)
            if isinstance(triple.subject, ox.NamedNode)
            else str(triple.subject)
        )
        value = triple.object.value
        known = best.get(subject)
        if (
            known is None
            or score < known[0]
            # A person's spellings: the one the reports give (kg.reports.names).
            or (score == known[0] and predicate == _NAME and fullness(value) > fullness(known[1]))
        ):
            best[subject] = (score, value)
    return {s: v for s, (_, v) in best.items()}


def cell(term: Any, labels: dict[str, str], main: str | None = None) -> Cell:
    """A term for display: a named node becomes a link labelled with its label.

    A fragment IRI without a label of its own is shown as its document's label
    and the fragment (``Some Paper #author-2``); a fragment of ``main`` (the page's
    own resource) is a link to its section on the page.
    """
    if isinstance(term, ox.NamedNode):
        iri = term.value
        document, hash_, fragment = iri.partition("#")
        if hash_ and iri not in labels:
            if document == main:
                return Cell("#" + fragment, "#" + fragment, None, "iri", iri)
            if document in labels:
                return Cell(f"{labels[document]} #{fragment}", local_href(iri), None, "iri", iri)
        return Cell(labels.get(iri) or _curie(iri), local_href(iri), None, "iri", iri)
    if isinstance(term, ox.Literal):
        note = term.language
        if note is None and term.datatype.value != str(XSD.string):
            note = _curie(term.datatype.value)
        return Cell(term.value, None, note, "literal")
    return Cell(str(term), None, None, "bnode")


def _heading(iri: str, labels: dict[str, str]) -> str:
    if iri in labels:
        return labels[iri]
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    return unquote(tail) or iri


def _rows(
    triples: Iterable[ox.Triple], labels: dict[str, str], main: str | None = None
) -> tuple[list[Cell], list[PropertyRow]]:
    types: list[Cell] = []
    rows: dict[str, PropertyRow] = {}
    for triple in triples:
        predicate = triple.predicate.value
        if predicate == str(RDF.type):
            types.append(cell(triple.object, labels, main))
            continue
        row = rows.setdefault(
            predicate,
            PropertyRow(Cell(_curie(predicate), local_href(predicate), None, "iri", predicate)),
        )
        row.values.append(cell(triple.object, labels, main))
    return types, list(rows.values())


def build_view(description: Description, kind: str, path: str) -> ResourceView:
    """The page model of a description (pure data: the template only formats it)."""
    iri = description.iri
    triples = description.triples
    labels = labels_of(triples)
    fragment = iri + "#"
    by_subject: dict[str, list[ox.Triple]] = {}
    incoming: dict[str, PropertyRow] = {}
    node = ox.NamedNode(iri)
    for triple in triples:
        subject = (
            triple.subject.value
            if isinstance(triple.subject, ox.NamedNode)
            else str(triple.subject)
        )
        own = subject == iri or subject.startswith(fragment)
        if description.document or own:
            by_subject.setdefault(subject, []).append(triple)
        elif triple.object == node:
            predicate = triple.predicate.value
            row = incoming.setdefault(
                predicate,
                PropertyRow(Cell(_curie(predicate), local_href(predicate), None, "iri", predicate)),
            )
            row.values.append(cell(triple.subject, labels, iri))
    sections = []
    for subject, group in by_subject.items():
        anchor = subject[len(fragment) :] if subject.startswith(fragment) else None
        types, rows = _rows(group, labels, iri)
        heading = _heading(subject, labels) if subject == iri or anchor is None else "#" + anchor
        sections.append(Section(subject, heading, anchor, local_href(subject), types, rows))
    for row in incoming.values():
        row.values.sort(key=lambda c: c.text.lower())
    alternates = [
        (f.key, f"{path}.{f.extension}", f.media_type) for f in offers_for(kind) if f.key != "html"
    ]
    return ResourceView(
        iri=iri,
        title=_heading(iri, labels),
        kind=kind,
        sections=sections,
        incoming=list(incoming.values()),
        alternates=alternates,
        related=related_pages(kind, iri),
        document=description.document,
        incoming_truncated=description.incoming_truncated,
        truncated=description.truncated,
        incoming_limit=INCOMING_LIMIT,
        triple_count=len(triples),
    )


#: Pages of other blueprints about a resource, by kind: (label, path with ``{slug}``).
#: Each is linked only when the running application has a route for the path.
RELATED_PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "author": (("Author page", "/pages/author/{slug}"), ("Author page", "/reports/author/{slug}")),
    "paper": (("Paper page", "/pages/paper/{slug}"), ("Paper page", "/reports/paper/{slug}")),
}


def related_pages(kind: str, iri: str) -> list[tuple[str, str]]:
    """Links to other pages about this resource (the reports' author and paper pages),
    for the paths of :data:`RELATED_PAGES` that some other blueprint serves."""
    base = kg_context().scheme.base
    rest = iri[len(base) :].split("/", 1)
    if len(rest) != 2 or not rest[1] or "/" in rest[1]:
        return []
    adapter = current_app.url_map.bind("localhost")
    out: list[tuple[str, str]] = []
    for label, template in RELATED_PAGES.get(kind, ()):
        if any(seen == label for seen, _ in out):
            continue
        path = template.format(slug=rest[1])
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except (HTTPException, RequestRedirect):
            continue
        if isinstance(endpoint, str) and not endpoint.startswith((blueprint.name + ".", "static")):
            out.append((label, request.script_root + path))
    return out


def render_resource(description: Description, kind: str, path: str) -> str:
    jsonld = structured.from_triples(
        description.iri,
        description.triples,
        labels_of(description.triples),
        url=request.host_url.rstrip("/") + path,
    )
    return render_template("resource.html", view=build_view(description, kind, path), jsonld=jsonld)


# --- routes ------------------------------------------------------------------------------


def split_extension(rest: str, kind: str | None = None) -> tuple[str, str | None]:
    """``"x.ttl"`` -> ``("x", "ttl")``, ``".ttl"`` -> ``("", "ttl")`` (for IRIs that end
    in a slash), ``"x.csl.json"`` -> ``("x", "csl.json")`` on a paper; a path without an
    extension of :func:`offers_for` ``kind`` is returned whole."""
    # The longest first: ".csl.json" before any ".json".
    for extension in sorted((f.extension for f in offers_for(kind)), key=len, reverse=True):
        if rest.endswith("." + extension):
            return rest[: -len(extension) - 1], extension
    return rest, None


def canonical_path(kind: str, name: str) -> str:
    """The path of a resource on this server, percent-encoded as the IRI is."""
    return (
        request.script_root
        + "/"
        + kind
        + "/"
        + "/".join(quote(s, safe="") for s in name.split("/"))
    )


def _answer(kind: str, name: str, extension: str | None) -> Response | None:
    """The response for ``/{kind}/{name}[.{extension}]``, or None when the IRI is unknown."""
    path = canonical_path(kind, name)
    iri = iri_for_path(kind + "/" + name)
    choice, negotiated = choose(extension, kind)  # 406 before any query
    fmt = choice.format
    if fmt.kind == "citation":
        return _citation(iri, kind, path, choice, negotiated)
    etag = etag_for(path, fmt.key, kg_context().settings.base_iri, str(INCOMING_LIMIT))
    offers = offers_for(kind)
    if not_modified(etag):
        return finish(
            Response(status=304),
            path=path,
            fmt=fmt,
            negotiated=negotiated,
            etag=etag,
            offers=offers,
        )
    dumps_url = request.url_root.rstrip("/") + DUMPS_PATH

    def build() -> Rendered | None:
        deadline = Deadline(kg_context().settings.query_timeout)
        description = describe(iri, graph_document=kind == "graph", deadline=deadline)
        if description is None:
            return None
        description = with_cut_note(description, dumps_url)
        deadline.remaining()  # the rendering starts only within the budget
        if fmt.key == "html":
            body = render_resource(description, kind, path).encode("utf-8")
        else:
            body = render_rdf(description.triples, fmt)
        cut = dumps_url if description.truncated else None
        return Rendered(body, fmt.content_type, description.truncation_note(), cut)

    # The key is the ETag plus what else shapes the body (the dumps' address, from the Host).
    rendered = _documents().get(etag + "\0" + dumps_url, build)
    if rendered is None:
        return None
    response = Response(rendered.body, content_type=rendered.content_type)
    if rendered.truncation_note:
        response.headers[TRUNCATED_HEADER] = rendered.truncation_note
    finish(response, path=path, fmt=fmt, negotiated=negotiated, etag=etag, offers=offers)
    if rendered.dumps:
        response.headers["Link"] += f', <{rendered.dumps}>; rel="related"; title="dumps"'
    return response


def citation_style(choice: negotiation.Choice) -> str:
    """The CSL style of a formatted reference: ``?style=``, else the ``style`` parameter of
    the ``Accept`` range that chose it, else the default. Raises UnknownStyle (400)."""
    style = request.args.get("style") or choice.param("style") or csl.DEFAULT_STYLE
    return csl.check_style(style.strip().lower())


def _citation(
    iri: str, kind: str, path: str, choice: negotiation.Choice, negotiated: bool
) -> Response | None:
    """A paper's citation, or an author's bibliography (the papers of the author), in a
    citation format; None when there is no such paper or author."""
    fmt = choice.format
    style = citation_style(choice) if fmt.key == "bibliography" else ""
    etag = etag_for(path, fmt.key, style, kg_context().settings.base_iri)
    offers = offers_for(kind)

    def build() -> Rendered | None:
        context = kg_context()
        # One more than is shown: an author's bibliography cut at MAX_WORKS says so
        # (X-Description-Truncated, as a description cut at its limit).
        works = load_works(
            context.backend,
            paper=iri if kind == "paper" else None,
            author=iri if kind == "author" else None,
            timeout=context.settings.query_timeout,
            limit=citation_works.MAX_WORKS + 1,
        )
        if not works:
            return None
        shown = citation_works.MAX_WORKS
        note = f"papers; limit={shown}" if len(works) > shown else None
        body = render_citations(works[:shown], fmt.key, style=style or csl.DEFAULT_STYLE)
        return Rendered(body, fmt.content_type, note)

    if not_modified(etag):
        response = Response(status=304)
    else:
        rendered = _documents().get(etag + "\0citation", build)
        if rendered is None:
            return None
        response = Response(rendered.body, content_type=fmt.content_type)
        if rendered.truncation_note:
            response.headers[TRUNCATED_HEADER] = rendered.truncation_note
        filename = path.rsplit("/", 1)[-1] + "." + fmt.extension
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    finish(response, path=path, fmt=fmt, negotiated=negotiated, etag=etag, offers=offers)
    if style and negotiated:
        # The variant is the style's: say which URL gives it.
        response.headers["Content-Location"] = f"{path}.{fmt.extension}?style={style}"
    return response


def _documents() -> DocumentCache:
    cache: DocumentCache = current_app.extensions["kg.linked_data.documents"]
    return cache


@blueprint.record_once
def _setup(state: Any) -> None:
    state.app.extensions["kg.linked_data.documents"] = DocumentCache()


def _resource(kind: str, rest: str) -> Response:
    stem, extension = split_extension(rest, kind)
    response = _answer(kind, stem, extension)
    if response is None and extension is not None:
        # A name that really ends in ".ttl" (a source file, a repository) is
        # found as itself when the shorter name is unknown.
        response = _answer(kind, rest, None)
    if response is None:
        raise NotFound(f"no resource with the IRI {iri_for_path(kind + '/' + stem)} in this graph")
    return response


_KIND_RULE = "<any(" + ", ".join(f'"{k}"' for k in PATH_KINDS) + "):kind>"


@blueprint.get(f"/{_KIND_RULE}/<path:rest>")
def resource(kind: str, rest: str) -> Response:
    """Any minted IRI: ``/author/weiran-huang``, ``/paper/x-1a2b3c.ttl``, ``/repo/github.com/o/n``."""
    return _resource(kind, rest)


@blueprint.get(f"/{_KIND_RULE}/")
def resource_root(kind: str) -> Response:
    """IRIs that end in a slash: the subject scheme ``/subject/``."""
    return _resource(kind, "")


# --- the ontology and the context ------------------------------------------------------------


@cache
def _ontology_triples() -> tuple[ox.Triple, ...]:
    data = ontology_graph().serialize(format="nt", encoding="utf-8")
    return tuple(t.triple for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


@cache
def _ontology_turtle() -> bytes:
    return ONTOLOGY_FILE.read_bytes()


@cache
def _ontology_html() -> str:
    return html_page()


@blueprint.get("/ontology")
@blueprint.get("/ontology." + EXTENSION_RULE)
def ontology(extension: str | None = None) -> Response:
    """The vocabulary ``https://w3id.org/scholarly-kg/ontology#``: Turtle (the file
    ``ontology/kg.ttl`` itself), the other RDF formats of :data:`OFFERS`, or its HTML
    documentation."""
    path = request.script_root + "/ontology"
    fmt, negotiated = choose_format(extension)
    version = hashlib.sha256(_ontology_turtle()).hexdigest()[:32]
    etag = hashlib.sha256(
        f"{DESCRIPTION_VERSION}\0{version}\0{fmt.key}\0{context_url()}".encode()
    ).hexdigest()[:32]
    if not_modified(etag):
        response = Response(status=304)
    elif fmt.key == "html":
        response = Response(_ontology_html(), content_type=fmt.content_type)
    elif fmt.key == "turtle":
        response = Response(_ontology_turtle(), content_type=fmt.content_type)
    else:
        response = Response(render_rdf(_ontology_triples(), fmt), content_type=fmt.content_type)
    return finish(response, path=path, fmt=fmt, negotiated=negotiated, etag=etag)


@blueprint.get("/" + CONTEXT_PATH)
def jsonld_context() -> Response:
    """The JSON-LD ``@context`` named by every JSON-LD answer: the project's prefixes."""
    body = json.dumps({"@context": context_terms()}, indent=2).encode("utf-8")
    response = Response(body, content_type="application/ld+json; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)
    return response

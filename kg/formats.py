"""Every media format the project reads, writes or negotiates: one registry.

Each :class:`Format` has a short ``key`` (``format=json``, ``kg export --format
turtle``), its media type and the other media types that name it, a file
extension, a label for pages, and the routes that offer it (:data:`ROUTES`).
RDF and SPARQL results formats are built from pyoxigraph's own
:class:`pyoxigraph.RdfFormat` / :class:`pyoxigraph.QueryResultsFormat` (media
type, extension, W3C format IRI), and media types are recognised with their
``from_media_type``, so the aliases pyoxigraph knows (``text/plain`` for
N-Triples, ``application/xml`` for RDF/XML or SPARQL XML) work everywhere.

Everything else derives from here: the server's content negotiation
(:mod:`kg_server.negotiation`), the formats of ``/sparql``, of the linked-data
documents, the reports, the dumps and their listing, the query page's download
links, the service description's ``sd:resultFormat``, and the choices of ``kg
export --format`` and ``kg query --format``. Adding a format is one entry in
:data:`FORMATS`, listing the routes that offer it.

Looking a format up by a name that is not offered raises
:class:`kg.errors.UnsupportedFormat`, from :func:`lookup` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from kg.errors import UnsupportedFormat

#: The RDF formats that abbreviate IRIs with prefixes.
_PREFIXED = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3, ox.RdfFormat.RDF_XML)

Kind = Literal["results", "graph", "html", "document", "problem", "citation"]

# -- routes: who offers what ---------------------------------------------------------------

#: SELECT and ASK answers of ``/sparql`` (and ``kg query --format``).
SPARQL_RESULTS = "sparql-results"
#: CONSTRUCT and DESCRIBE answers of ``/sparql``, and the service description.
SPARQL_GRAPH = "sparql-graph"
#: A browser's GET of ``/sparql`` (sent to the query page).
SPARQL_PAGE = "sparql-page"
#: Entity IRIs, source graphs, the ontology and VoID (``/author/x``, ``/ontology.ttl``).
LINKED_DATA = "linked-data"
#: One report ``/reports/{name}``.
REPORT = "report"
#: The report list ``/reports``.
REPORT_LIST = "report-list"
#: The dumps listing ``/dumps``.
DUMP_LIST = "dump-list"
#: The dump files ``/dumps/kg.{extension}.gz`` (and ``kg export --dumps``).
DUMP = "dump"
#: ``kg export --format`` (whatever the store writes).
EXPORT = "export"
#: An error: problem+json, or an HTML page for a browser that follows a dead link.
ERROR = "error"
#: A paper IRI (``/paper/x``) as a citation, beside its linked-data formats.
PAPER_CITATION = "paper-citation"
#: An author IRI (``/author/x``) as the bibliography of the author's papers, beside its
#: linked-data formats.
AUTHOR_BIBLIOGRAPHY = "author-bibliography"
#: A report whose rows are papers (it has a ``paper`` column), beside the report formats.
PAPER_REPORT = "paper-report"

#: Every route of :data:`FORMATS`, with the key of its format when the client states no
#: preference (``Accept`` missing or ``*/*``).
ROUTES: dict[str, str | None] = {
    SPARQL_RESULTS: "json",
    SPARQL_GRAPH: "turtle",
    SPARQL_PAGE: "html",
    LINKED_DATA: "turtle",
    REPORT: "data",
    REPORT_LIST: "html",
    DUMP_LIST: "data",
    DUMP: None,
    EXPORT: "nquads",
    ERROR: "problem",
    # These add to a route above (linked data, a report), whose default stays the default.
    PAPER_CITATION: None,
    AUTHOR_BIBLIOGRAPHY: None,
    PAPER_REPORT: None,
}


@dataclass(frozen=True, slots=True)
class Format:
    """One format: how it is named, typed and written, and which routes offer it.

    ``media_type`` is the canonical type (what responses carry); ``aliases`` are
    other types that select it when named exactly (a wildcard matches only the
    canonical type, so ``text/*`` never picks SPARQL XML for its ``text/xml``).
    ``names`` are other keys a ``format=`` parameter may use. ``routes`` are
    the :data:`ROUTES` that offer it, in this registry's order.
    """

    key: str
    media_type: str
    extension: str
    kind: Kind
    label: str
    routes: frozenset[str]
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    iri: str | None = None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of a response: text formats say they are UTF-8."""
        if (
            self.media_type.startswith("text/")
            or self.media_type.endswith(("+xml", "json"))
            or self.kind == "citation"
        ):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def datasets(self) -> bool:
        """Whether the format carries named graphs (N-Quads, TriG)."""
        return self.rdf is not None and self.rdf.supports_datasets and self.key != "jsonld"

    @property
    def takes_prefixes(self) -> bool:
        """Whether the format writes prefix declarations (pyoxigraph's ``prefixes=``)."""
        return self.rdf in _PREFIXED

    def names_media_type(self, media_type: str) -> bool:
        """Whether ``media_type`` (lower case, no parameters) names this format exactly:
        its own type, an alias, or a type pyoxigraph maps to it."""
        return (
            media_type == self.media_type
            or media_type in self.aliases
            or self.known_to_oxigraph(media_type)
        )

    def known_to_oxigraph(self, media_type: str) -> bool:
        """Whether pyoxigraph's ``from_media_type`` maps ``media_type`` to this format."""
        if self.rdf is not None:
            return ox.RdfFormat.from_media_type(media_type) == self.rdf
        if self.results is not None:
            return ox.QueryResultsFormat.from_media_type(media_type) == self.results
        return False


def _rdf(
    key: str,
    fmt: ox.RdfFormat,
    routes: Iterable[str],
    *,
    aliases: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
    iri: str | None = None,
) -> Format:
    return Format(
        key=key,
        media_type=_bare(fmt.media_type),
        extension=fmt.file_extension,
        kind="graph",
        label=fmt.name,
        routes=frozenset(routes),
        aliases=aliases,
        names=names,
        rdf=fmt,
        iri=iri or fmt.iri,
    )


def _results(
    key: str,
    fmt: ox.QueryResultsFormat,
    label: str,
    *,
    aliases: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
) -> Format:
    return Format(
        key=key,
        media_type=_bare(fmt.media_type),
        extension=fmt.file_extension,
        kind="results",
        label=label,
        routes=frozenset({SPARQL_RESULTS}),
        aliases=aliases,
        names=names,
        results=fmt,
        iri=fmt.iri,
    )


def _bare(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


_RDF_DOCUMENT = (SPARQL_GRAPH, LINKED_DATA, EXPORT)

#: The registry, in server preference order (an ``Accept`` that likes two formats
#: equally gets the one listed first).
FORMATS: tuple[Format, ...] = (
    _results(
        "json", ox.QueryResultsFormat.JSON, "JSON", aliases=("application/json",), names=("srj",)
    ),
    _results(
        "xml",
        ox.QueryResultsFormat.XML,
        "XML",
        aliases=("application/xml", "text/xml"),
        names=("srx",),
    ),
    # CSV also carries the reports' tables.
    Format(
        "csv",
        "text/csv",
        "csv",
        "results",
        "CSV",
        frozenset({SPARQL_RESULTS, REPORT}),
        results=ox.QueryResultsFormat.CSV,
        iri=ox.QueryResultsFormat.CSV.iri,
    ),
    _results("tsv", ox.QueryResultsFormat.TSV, "TSV", names=("text",)),
    # SPARQLWrapper asks for Turtle as "n3"; /sparql does not offer N3 itself.
    _rdf(
        "turtle",
        ox.RdfFormat.TURTLE,
        (*_RDF_DOCUMENT, DUMP),
        aliases=("application/x-turtle",),
        names=("ttl", "n3"),
    ),
    # The W3C's own IRI for JSON-LD (pyoxigraph names a newer one).
    _rdf(
        "jsonld",
        ox.RdfFormat.JSON_LD,
        _RDF_DOCUMENT,
        aliases=("application/json",),
        names=("json-ld", "json"),
        iri="http://www.w3.org/ns/formats/JSON-LD",
    ),
    _rdf(
        "ntriples",
        ox.RdfFormat.N_TRIPLES,
        _RDF_DOCUMENT,
        aliases=("text/plain",),
        names=("nt", "n-triples"),
    ),
    _rdf(
        "rdfxml",
        ox.RdfFormat.RDF_XML,
        _RDF_DOCUMENT,
        aliases=("application/xml", "text/xml"),
        names=("rdf", "rdf/xml", "rdf+xml", "xml"),
    ),
    _rdf("nquads", ox.RdfFormat.N_QUADS, (*_RDF_DOCUMENT, DUMP), names=("nq", "n-quads")),
    _rdf("trig", ox.RdfFormat.TRIG, (*_RDF_DOCUMENT, DUMP)),
    _rdf("n3", ox.RdfFormat.N3, (LINKED_DATA, EXPORT)),
    Format(
        "html",
        "text/html",
        "html",
        "html",
        "HTML",
        frozenset({SPARQL_PAGE, LINKED_DATA, REPORT, REPORT_LIST, DUMP_LIST, ERROR}),
        aliases=("application/xhtml+xml",),
    ),
    Format(
        "data",
        "application/json",
        "json",
        "document",
        "JSON",
        frozenset({REPORT, REPORT_LIST, DUMP_LIST}),
    ),
    # Every error is this, but for a browser's 404 (an HTML page).
    Format(
        "problem",
        "application/problem+json",
        "json",
        "problem",
        "Problem details",
        frozenset({ERROR}),
        aliases=("application/json",),
    ),
    # Citations (kg.citations writes them), in the order pages offer them.
    Format(
        "bibtex",
        "application/x-bibtex",
        "bib",
        "citation",
        "BibTeX",
        frozenset({PAPER_CITATION, AUTHOR_BIBLIOGRAPHY, PAPER_REPORT, EXPORT}),
        aliases=("text/x-bibtex",),
        names=("bib",),
    ),
    Format(
        "ris",
        "application/x-research-info-systems",
        "ris",
        "citation",
        "RIS",
        frozenset({PAPER_CITATION, AUTHOR_BIBLIOGRAPHY, PAPER_REPORT, EXPORT}),
    ),
    # The one citation format with a registered media type: its IANA page names it.
    Format(
        "csljson",
        "application/vnd.citationstyles.csl+json",
        "csl.json",
        "citation",
        "CSL-JSON",
        frozenset({PAPER_CITATION, AUTHOR_BIBLIOGRAPHY, EXPORT}),
        names=("csl-json", "csl"),
        iri="https://www.iana.org/assignments/media-types/application/vnd.citationstyles.csl+json",
    ),
    # A reference formatted in a CSL style (``style`` media-type or query parameter), as DOI
    # content negotiation answers it.
    Format(
        "bibliography",
        "text/x-bibliography",
        "txt",
        "citation",
        "Formatted reference",
        frozenset({PAPER_CITATION}),
        names=("reference",),
    ),
)

#: The citation formats.
CITATIONS: tuple[Format, ...] = tuple(f for f in FORMATS if f.kind == "citation")

BY_KEY: dict[str, Format] = {f.key: f for f in FORMATS}

HTML = BY_KEY["html"]
JSON = BY_KEY["data"]
PROBLEM_JSON = BY_KEY["problem"]
TURTLE = BY_KEY["turtle"]


def offers(route: str) -> tuple[Format, ...]:
    """The formats ``route`` offers, its default (if any) first, then in registry order.

    >>> [f.key for f in offers(REPORT)]
    ['data', 'csv', 'html']
    """
    default = ROUTES[route]
    found = [f for f in FORMATS if route in f.routes]
    found.sort(key=lambda f: f.key != default)
    return tuple(found)


def offers_all(*routes: str) -> tuple[Format, ...]:
    """The formats any of ``routes`` offers: the first route's (its default first), then
    what each further route adds (a paper IRI: linked data, then its citations).

    >>> [f.key for f in offers_all(REPORT, PAPER_REPORT)]
    ['data', 'csv', 'html', 'bibtex', 'ris']
    """
    found: list[Format] = []
    for route in routes:
        found.extend(f for f in offers(route) if f not in found)
    return tuple(found)


def default(route: str) -> Format:
    """The format of ``route`` for a client without preference (``Accept: */*``)."""
    key = ROUTES[route]
    if key is None:
        raise UnsupportedFormat(f"{route} has no default format")
    return BY_KEY[key]


def lookup(name: str, among: Iterable[Format] = FORMATS, *, purpose: str | None = None) -> Format:
    """The format ``name`` stands for among ``among``: a key, one of its other names,
    a media type (parameters ignored) or a file extension.

    Raises :class:`kg.errors.UnsupportedFormat` naming what is available (and
    ``purpose``, what the format was wanted for).

    >>> lookup("text/turtle; charset=utf-8").key
    'turtle'
    >>> lookup("ttl", offers(LINKED_DATA)).media_type
    'text/turtle'
    """
    choices = tuple(among)
    found = find(name, choices)
    if found is None:
        raise UnsupportedFormat(
            f"unsupported format {name!r}"
            + (f" for {purpose}" if purpose else "")
            + "; use one of "
            + ", ".join(f.key for f in choices),
            available=[f.key for f in choices],
        )
    return found


def find(name: str, among: Iterable[Format] = FORMATS) -> Format | None:
    """Like :func:`lookup`, but None when ``name`` names none of ``among``."""
    choices = tuple(among)
    wanted = name.strip().lower()
    media_type = _bare(wanted)
    tests: list[Callable[[Format], bool]] = [
        lambda f: f.key == wanted,
        lambda f: wanted in f.names,
    ]
    if "/" in media_type:
        # Our own names first: pyoxigraph maps text/plain to both N-Triples and CSV.
        tests += [
            lambda f: f.media_type == media_type,
            lambda f: media_type in f.aliases,
            lambda f: f.known_to_oxigraph(media_type),
        ]
    else:
        tests.append(lambda f: f.extension == wanted)
    for matches in tests:
        hit = next((f for f in choices if matches(f)), None)
        if hit is not None:
            return hit
    return None


def rdf_format(key: str) -> ox.RdfFormat:
    """The pyoxigraph format of an RDF format key (``kg export --format``, store dumps).

    Raises :class:`kg.errors.UnsupportedFormat` for a key that is no RDF format.
    """
    fmt = lookup(key, (f for f in FORMATS if f.rdf is not None))
    assert fmt.rdf is not None
    return fmt.rdf


def dump_formats() -> tuple[Format, ...]:
    """The formats of the dump files: the quad formats (which hold every graph) first."""
    return tuple(sorted(offers(DUMP), key=lambda f: not f.datasets))

"""The query page at ``/``: YASGUI in the browser, a plain form without it.

``GET /`` renders an editor (YASGUI, installed by ``scripts/setup-assets`` into
``static/vendor/``) with the project's prefixes, the canned queries as examples
and results as a table with downloads; ``/?query=...`` prefills it and
``&run=1`` runs it on load (``/sparql`` redirects a browser's plain GET here).
Configuration reaches ``static/query.js`` through a JSON data island, never an
inline script (the CSP forbids them).

Progressive enhancement: without JavaScript or without the vendor files the
page is a ``<textarea>`` form that POSTs to ``/``; the server runs the query
under the same rules as ``/sparql`` (read-only, no SERVICE beyond the
allow-list, the query timeout) and renders an escaped HTML table with download
links to ``/sparql?query=...&format=...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from kg import formats
from kg.errors import ForbiddenOperation, KGError
from kg.rdf.namespace import PREFIXES, sparql_prologue
from kg.reports.definitions import browser_examples
from kg.resources import data_dir
from kg.sparql.guard import check_remote_calls
from kg.sparql.results import RDF_LANG_STRING, XSD_STRING
from kg.sparql.text import scan
from kg.store.query import QueryOutcome, QueryRequest, query_parses
from kg_server.context import kg_context
from kg_server.sparql import client_timeout

blueprint = Blueprint("pages", __name__)

#: Where the SPARQL protocol endpoint answers (server/sparql.py).
SPARQL_PATH = "/sparql"
#: Most rows the HTML fallback shows; the downloads carry the rest.
HTML_ROW_LIMIT = 1000
#: Longest query offered as GET download links (longer ones get POST buttons).
MAX_LINK_QUERY = 6000
#: The canned report queries (one .rq file each, see queries/).
QUERIES_DIR = data_dir("queries")

#: The vendor files each enhancement needs (paths under static/).
VENDOR_FILES: Mapping[str, tuple[str, ...]] = {
    "yasgui": ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css"),
    "chart": ("vendor/chart.umd.min.js",),
    "cytoscape": ("vendor/cytoscape.min.js",),
}

#: Download links (format key, label): whatever /sparql offers for each kind of query.
RESULT_FORMATS: tuple[tuple[str, str], ...] = tuple(
    (f.key, f.label) for f in formats.offers(formats.SPARQL_RESULTS)
)
GRAPH_FORMATS: tuple[tuple[str, str], ...] = tuple(
    (f.key, f.label) for f in formats.offers(formats.SPARQL_GRAPH)
)

DEFAULT_QUERY = """\
# Every profile owner, with their latest snapshot's metrics.
SELECT ?owner ?name ?date ?hIndex ?papers WHERE {
  ?snapshot a kg:ProfileSnapshot ;
            foaf:primaryTopic ?owner ;
            dcterms:date ?date .
  ?owner schema:name ?name .
  OPTIONAL { ?snapshot kg:hIndex ?hIndex }
  OPTIONAL { ?snapshot kg:paperCount ?papers }
}
ORDER BY ?name
"""

#: Examples offered even before any report exists in queries/.
BUILTIN_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("profile-owners", "Profile owners", DEFAULT_QUERY),
    (
        "count-papers",
        "Number of papers",
        "SELECT (COUNT(DISTINCT ?paper) AS ?papers) WHERE {\n"
        "  ?paper a schema:ScholarlyArticle .\n}\n",
    ),
    (
        "papers-per-subject",
        "Papers per subject",
        "SELECT ?subject ?label (COUNT(DISTINCT ?paper) AS ?papers) WHERE {\n"
        "  ?paper a schema:ScholarlyArticle ; dcterms:subject ?subject .\n"
        "  OPTIONAL { ?subject skos:prefLabel ?label }\n"
        "}\nGROUP BY ?subject ?label\nORDER BY DESC(?papers)\n",
    ),
    (
        "classes",
        "Classes and instance counts",
        "SELECT ?class (COUNT(?s) AS ?instances) WHERE {\n  ?s a ?class .\n}\n"
        "GROUP BY ?class\nORDER BY DESC(?instances)\n",
    ),
    (
        "describe-author",
        "Graph around an author (CONSTRUCT)",
        "CONSTRUCT { ?paper dcterms:title ?title ; schema:author ?author . } WHERE {\n"
        '  ?author schema:name "Weiran Huang" .\n'
        "  ?paper schema:author ?author ; dcterms:title ?title .\n}\nLIMIT 50\n",
    ),
)


@dataclass(frozen=True, slots=True)
class Example:
    """A query offered on the page: a built-in one or a canned report's."""

    name: str
    title: str
    query: str
    description: str = ""
    #: "builtin" (shown as buttons) or "report" (a canned report's query, in a list)
    kind: str = "report"


@dataclass(frozen=True, slots=True)
class Cell:
    """One result term as the HTML table shows it (escaped by the template)."""

    text: str
    kind: str = "literal"  # uri, literal, bnode, triple, empty
    href: str | None = None
    annotation: str = ""
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    truncated: bool = False


# -- examples ---------------------------------------------------------------------


def _report_examples() -> list[Example]:
    """The canned reports as examples (``kg.reports`` parses and validates their headers)."""
    try:
        # The folder the reports pages use too (the queries_dir setting), else the packaged one.
        items = browser_examples(kg_context().settings.queries_dir or None)
    except Exception:  # a broken report must not take the query page down
        current_app.logger.exception(
            "kg.reports.definitions.browser_examples() failed; no report examples"
        )
        return []
    return [
        Example(
            str(item["name"]),
            str(item["title"]),
            str(item["query"]),
            str(item.get("description", "")),
        )
        for item in items
    ]


def examples() -> list[Example]:
    """Built-in examples, then the canned reports'."""
    builtin = [
        Example(name, title, query, kind="builtin") for name, title, query in BUILTIN_EXAMPLES
    ]
    return builtin + _report_examples()


def with_prologue(query: str) -> str:
    """The query preceded by the project's PREFIX lines unless it declares any itself."""
    if re.search(r"^\s*PREFIX\s", query, flags=re.IGNORECASE | re.MULTILINE):
        return query
    return sparql_prologue() + "\n" + query


# -- vendor assets --------------------------------------------------------------------


def vendor_available(feature: str) -> bool:
    """True when every file ``feature`` ("yasgui", "chart", "cytoscape") needs is installed."""
    static = Path(current_app.static_folder or "")
    return all((static / rel).is_file() for rel in VENDOR_FILES[feature])


@blueprint.app_context_processor
def _vendor_flags() -> dict[str, Any]:
    """Every template sees ``vendor.yasgui``, ``vendor.chart`` and ``vendor.cytoscape`` (bools).

    A page with a chart includes ``vendor/chart.umd.min.js`` only when
    ``vendor.chart`` is true (see the header of static/charts.js).
    """
    return {"vendor": {feature: vendor_available(feature) for feature in VENDOR_FILES}}


# -- running a query for the HTML fallback ---------------------------------------------------


def run_for_html(query: str) -> QueryOutcome:
    """Run a read-only query under the endpoint's rules, at most HTML_ROW_LIMIT rows.

    Raises ForbiddenOperation for an update or a SERVICE outside the allow-list,
    QuerySyntaxError for malformed text, QueryTimeout past the timeout.
    """
    context = kg_context()
    settings = context.settings
    if scan(query).is_update:
        raise ForbiddenOperation(
            "the query page runs queries only; send updates to /sparql with the update token"
        )
    # The endpoint's rules (kg.sparql.guard), with the engine judging syntax on no data.
    # A query a visitor wrote: the client lane and the client timeout, as on /sparql.
    timeout = client_timeout(settings)
    verify = query_parses(context.clients, base_iri=request.base_url, timeout=timeout)
    check_remote_calls(query, settings.service_allowlist, update=False, verify=verify)
    limit = min(HTML_ROW_LIMIT, settings.max_rows) if settings.max_rows > 0 else HTML_ROW_LIMIT
    return context.clients.run(
        QueryRequest(query, base_iri=request.host_url.rstrip("/") + SPARQL_PATH, limit=limit),
        timeout=timeout,
    )


def _shorten(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if re.fullmatch(r"[\w.-]*", local):
                return f"{prefix}:{local}"
    return iri


def _safe_href(iri: str) -> str | None:
    # Only web IRIs become links: a javascript: or data: IRI in the data must not.
    return iri if re.match(r"https?://", iri, flags=re.IGNORECASE) else None


_NUMERIC = {
    f"http://www.w3.org/2001/XMLSchema#{name}"
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "short",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
    )
}


def cell(term: Any) -> Cell:
    """How one RDF term appears in the HTML table."""
    if term is None:
        return Cell("", "empty")
    if isinstance(term, ox.NamedNode):
        return Cell(_shorten(term.value), "uri", _safe_href(term.value))
    if isinstance(term, ox.BlankNode):
        return Cell(f"_:{term.value}", "bnode")
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if term.language:
            return Cell(term.value, "literal", annotation=f"@{term.language}")
        if datatype in (XSD_STRING, RDF_LANG_STRING):
            return Cell(term.value)
        return Cell(term.value, annotation=f"^^{_shorten(datatype)}", numeric=datatype in _NUMERIC)
    return Cell(str(term), "triple")


def table(outcome: QueryOutcome) -> Table | None:
    """The outcome as a table: SELECT rows, or CONSTRUCT/DESCRIBE triples; None for ASK."""
    if outcome.select is not None:
        rows = [tuple(cell(term) for term in row) for row in outcome.select.rows]
        return Table(outcome.select.variables, rows, outcome.truncated)
    if outcome.kind == "graph":
        rows = [(cell(t.subject), cell(t.predicate), cell(t.object)) for t in outcome.triples]
        return Table(("subject", "predicate", "object"), rows, outcome.truncated)
    return None


def downloads(query: str, form: str | None) -> list[dict[str, str]]:
    """Download links to the endpoint for ``query`` in each fitting format."""
    formats = GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS
    return [
        {
            "key": key,
            "label": label,
            "href": f"{SPARQL_PATH}?{urlencode({'query': query, 'format': key})}",
        }
        for key, label in formats
    ]


# -- the page ---------------------------------------------------------------------------


@blueprint.route("/", methods=["GET", "POST"])
def query_page() -> tuple[str, int] | Response:
    """The query page; a POST (or ``run=1`` without YASGUI) also shows results."""
    posted = request.method == "POST"
    source = request.form if posted else request.args
    example_list = examples()
    given = source.get("query")
    chosen = next((e for e in example_list if e.name == source.get("example")), None)
    if not (given and given.strip()) and chosen is not None:
        given = with_prologue(chosen.query)
    run = posted or source.get("run", "").lower() in ("1", "true", "yes", "on")
    query = given if given and given.strip() else with_prologue(DEFAULT_QUERY)
    yasgui = vendor_available("yasgui")

    status = 200
    outcome: QueryOutcome | None = None
    error: KGError | None = None
    ran_on_server = bool(given and given.strip()) and (posted or (run and not yasgui))
    if ran_on_server:
        try:
            outcome = run_for_html(query)
        except KGError as problem:
            error, status = problem, problem.status

    form = scan(query).form
    config = {
        "endpoint": SPARQL_PATH,
        "method": "POST",
        "query": query,
        "run": bool(run and given and not ran_on_server),
        "prefixes": PREFIXES,
        "examples": [
            {
                "name": e.name,
                "title": e.title,
                "description": e.description,
                "query": with_prologue(e.query),
            }
            for e in example_list
        ],
        "resultFormats": [{"key": k, "label": label} for k, label in RESULT_FORMATS],
        "graphFormats": [{"key": k, "label": label} for k, label in GRAPH_FORMATS],
        "maxLinkQuery": MAX_LINK_QUERY,
    }
    html = render_template(
        "query.html",
        config=config,
        query=query,
        examples=example_list,
        chosen=chosen.name if chosen else None,
        yasgui=yasgui,
        ran=ran_on_server,
        outcome=outcome,
        table=table(outcome) if outcome is not None else None,
        error=error,
        downloads=downloads(query, form),
        links_fit=len(query) <= MAX_LINK_QUERY,
        row_limit=HTML_ROW_LIMIT,
        sparql_path=SPARQL_PATH,
    )
    return html, status

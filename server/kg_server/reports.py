"""The canned reports over HTTP, their OpenAPI document, and the author and paper pages.

Routes:

==================================  ===========================================================
``/reports``                        the list (HTML; JSON by content negotiation)
``/reports.json``                   the list: name, title, description, parameters with examples
``/reports/<name>``                 a report: HTML (form, table, chart, SPARQL), or JSON or CSV
                                    by ``Accept``
``/reports/<name>.json``            JSON: rows of one page, ``next`` URL, ``Link: rel="next"``
``/reports/<name>.csv``             CSV: the whole result, streamed
``/reports/<name>.bib`` (``.ris``)  a report whose rows are papers (a ``paper`` column): its
                                    papers as BibTeX (RIS), also by ``Accept`` on the report
``/openapi.json``                   OpenAPI 3.1, generated from the report headers
``/pages/author/<slug>``            an author's page: summary, timeline, papers, co-author
                                    graph, repositories (for the author IRI ``{base}author/<slug>``)
``/pages/paper/<slug>``             a paper's page (for the paper IRI ``{base}paper/<slug>``)
==================================  ===========================================================

Parameters are the report's (``?author=Weiran+Huang``), plus ``limit`` and
``offset`` for paging. Results are cached per store version and parameters;
every answer carries an ``ETag`` and a matching ``If-None-Match`` gets ``304``
without running anything. Whole-graph reports come from the files ``kg ingest``
precomputed for the store's generation (:mod:`kg.reports.precompute`) when the request
asks for their default binding, and are warmed in a background thread at start-up
and whenever the store's version changes, so that the first reader does not pay
for the query (requests never wait for the warm-up). Reports are loaded and validated when the
blueprint is registered, so a broken ``.rq`` file stops ``create_app``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from kg import formats
from kg.citations import csl
from kg.citations.render import render as render_citations
from kg.citations.works import load_works
from kg.errors import InvalidParameter, NotFound
from kg.formats import Format
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import XSD
from kg.reports.catalog import lists_papers, load_reports
from kg.reports.definitions import Report
from kg.reports.engines import ENGINES
from kg.reports.params import DEFAULT_LIMIT, paging_parameters
from kg.reports.render import csv_chunks, result_document
from kg.reports.results import Binding, ReportResult
from kg.reports.runner import ReportRunner
from kg.reports.stored import PrecomputedReports
from kg.sparql.results import python_value
from kg.sparql.text import with_values
from kg_server import negotiation, structured
from kg_server.charts import chart_spec
from kg_server.context import kg_context
from kg_server.labels import column_label
from kg_server.linked_data import local_href, offers_for
from kg_server.openapi import openapi_document
from kg_server.pages import vendor_available
from kg_server.search import index_of

blueprint = Blueprint("reports", __name__)

#: Papers shown on an author page (the report pages through all).
PAGE_PAPERS = 500

JSON = formats.JSON
CSV = formats.BY_KEY["csv"]
HTML = formats.HTML
#: Formats of a report whose rows are papers, by extension (``.bib``, ``.ris``).
BIBLIOGRAPHIES: dict[str, Format] = {f.extension: f for f in formats.offers(formats.PAPER_REPORT)}


def runner() -> ReportRunner:
    """The application's report runner (built when the blueprint was registered)."""
    found: ReportRunner = current_app.extensions["kg_reports"]
    return found


@blueprint.record_once
def _load(state: BlueprintSetupState) -> None:
    app = state.app
    context = app.extensions["kg"]
    folder = context.settings.queries_dir
    reports = load_reports(folder, scheme=context.scheme)  # ReportDefinitionError stops create_app
    store_folder = _store_folder(context.backend)
    warm = context.settings.warm_reports
    reports_runner = ReportRunner(
        reports,
        context.backend,
        context.scheme,
        max_rows=context.settings.max_rows,
        timeout=context.settings.query_timeout,
        precomputed=PrecomputedReports(store_folder) if store_folder is not None else None,
        warm=warm,
        text_index=index_of(app.extensions),
    )
    app.extensions["kg_reports"] = reports_runner
    if warm:
        # The first version() starts warming the whole-graph reports in a background thread
        # (from the files `kg ingest` precomputed, else by their queries); so does every new one.
        reports_runner.version()


def _store_folder(backend: object) -> Path | None:
    """The folder of an embedded store behind a backend (query pool or in-process), else None."""
    folder = getattr(backend, "folder", None)
    if folder is None:
        folder = getattr(getattr(backend, "store", None), "folder", None)
    return Path(folder) if folder is not None else None


# -- URLs ----------------------------------------------------------------------------------------


def entity_page(iri: str, scheme: IriScheme | None = None) -> str | None:
    """The URL of the HTML page for an author or paper IRI, else None."""
    scheme = scheme or kg_context().scheme
    kind = scheme.kind_of(iri)
    if kind not in ("author", "paper"):
        return None
    slug = iri[len(scheme.base) + len(kind) + 1 :]
    if not slug or "/" in slug:
        return None
    endpoint = "reports.author_page" if kind == "author" else "reports.paper_page"
    return url_for(endpoint, slug=slug)


def _entity_href(iri: str) -> str | None:
    return entity_page(iri, kg_context().scheme)


def report_url(
    name: str, values: Mapping[str, Any], *, suffix: str = "", external: bool = False, **extra: Any
) -> str:
    endpoint = {"": "reports.report", ".json": "reports.report_json", ".csv": "reports.report_csv"}
    params = {k: v for k, v in values.items() if v not in (None, "")}
    params.update({k: v for k, v in extra.items() if v is not None})
    if suffix[1:] in BIBLIOGRAPHIES:
        params["extension"] = suffix[1:]
        return url_for("reports.report_papers", name=name, _external=external, **params)
    return url_for(endpoint[suffix], name=name, _external=external, **params)


def bibliography_urls(report: Report, values: Mapping[str, Any]) -> list[tuple[Format, str]]:
    """(format, URL) of the paper downloads of a report whose rows are papers, else []."""
    if not lists_papers(report):
        return []
    return [(f, report_url(report.name, values, suffix="." + e)) for e, f in BIBLIOGRAPHIES.items()]


# -- request handling ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    report: Report
    binding: Binding
    offset: int
    limit: int


def _paging(args: Mapping[str, str]) -> tuple[int, int]:
    """``offset`` and ``limit`` of a request (the same definitions as the OpenAPI document's)."""
    scheme = kg_context().scheme
    limit_param, offset_param = paging_parameters(runner().max_rows)
    limit = limit_param.read(args.get("limit"), scheme)
    offset = offset_param.read(args.get("offset"), scheme)
    assert limit is not None and offset is not None  # both have defaults
    return int(offset[0]), int(limit[0])


def _request_args() -> dict[str, str]:
    """The query string as one value per name. Raises InvalidParameter for a name given
    twice (which value was meant is a guess; the OpenAPI document allows one)."""
    args: dict[str, str] = {}
    for key, values in request.args.lists():
        if len(values) > 1 and not key.startswith("_"):
            raise InvalidParameter(
                f"parameter {key!r} is given {len(values)} times; give it once", parameter=key
            )
        args[key] = values[0]
    return args


def _prepare(name: str) -> Run:
    reports = runner()
    report = reports.reports.get_report(name)
    args = _request_args()
    binding = reports.bind(report, args)
    offset, limit = _paging(args)
    return Run(report, binding, offset, limit)


def _not_modified(etag: str) -> Response | None:
    # Weak comparison (RFC 9110, 13.1.2): a proxy that compresses weakens the tag.
    if request.if_none_match.contains_weak(etag.strip('"')):
        response = Response(status=304)
        response.headers["ETag"] = etag
        return response
    return None


def _cache_headers(response: Response, etag: str) -> Response:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept")
    if response.mimetype != "text/html":
        # Data for dashboards on other origins, like /sparql.
        response.headers["Access-Control-Allow-Origin"] = kg_context().settings.cors_origin
        response.headers["Access-Control-Expose-Headers"] = "ETag, Link"
    return response


def _next_url(run: Run, result: ReportResult, suffix: str) -> str | None:
    if run.offset + run.limit >= len(result.rows):
        return None
    return report_url(
        run.report.name,
        run.binding.values,
        suffix=suffix,
        external=True,
        offset=run.offset + run.limit,
        limit=run.limit,
    )


def _with_pages(document: dict[str, Any]) -> dict[str, Any]:
    """Add entity page URLs to graph nodes (a copy: the cached result is shared)."""
    elements = document.get("elements")
    if not elements:
        return document
    scheme = kg_context().scheme
    nodes = []
    for node in elements.get("nodes", []):
        data = dict(node["data"])
        page = entity_page(str(data.get("id")), scheme)
        if page:
            data["page"] = page
        nodes.append({"data": data})
    return {**document, "elements": {"nodes": nodes, "edges": elements.get("edges", [])}}


def _json_response(run: Run) -> Response:
    reports = runner()
    etag = reports.etag(run.report, run.binding, "json", run.offset, run.limit)
    unchanged = _not_modified(etag)
    if unchanged is not None:
        return unchanged
    result = reports.run(run.report, run.binding)
    next_url = _next_url(run, result, ".json")
    document = _with_pages(
        result_document(
            run.report,
            run.binding,
            result,
            offset=run.offset,
            limit=run.limit,
            next_url=next_url,
            version=reports.version(),
        )
    )
    response = current_app.response_class(
        current_app.json.dumps(document), mimetype="application/json"
    )
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return _cache_headers(response, etag)


def _csv_response(run: Run) -> Response:
    reports = runner()
    etag = reports.etag(run.report, run.binding, "csv")
    unchanged = _not_modified(etag)
    if unchanged is not None:
        return unchanged
    result = reports.run(run.report, run.binding)
    response = Response(csv_chunks(result), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'inline; filename="{run.report.name}.csv"'
    if result.truncated:
        response.headers["X-Report-Truncated"] = f"cut at {reports.max_rows} rows"
    return _cache_headers(response, etag)


def _papers_response(run: Run, fmt: Format) -> Response:
    """The papers of a report's rows (its ``paper`` column, in row order) as ``fmt``."""
    reports = runner()
    etag = reports.etag(run.report, run.binding, fmt.key)
    unchanged = _not_modified(etag)
    if unchanged is not None:
        return unchanged
    result = reports.run(run.report, run.binding)
    column = result.columns.index("paper")
    papers = [row[column].value for row in result.rows if row[column] is not None]
    context = kg_context()
    # Every paper of the rows (at most --max-rows of them), not load_works' default cap.
    works = load_works(
        context.backend,
        papers=papers,
        timeout=context.settings.query_timeout,
        limit=len(papers),
    )
    response = Response(render_citations(works, fmt.key), content_type=fmt.content_type)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{run.report.name}.{fmt.extension}"'
    )
    if result.truncated:
        response.headers["X-Report-Truncated"] = f"cut at {reports.max_rows} rows"
    return _cache_headers(response, etag)


# -- HTML ----------------------------------------------------------------------------------------

#: Label columns shown for an IRI column (the IRI column itself is then not shown).
_LABEL_SUFFIXES = ("_name", "_title", "_label", "_code")
_LABEL_PAIRS = {"item": "label", "profile": "label", "value_iri": "value"}
_URLS = re.compile(r"^https?://\S+(?: https?://\S+)*$")
_XSD_DATE = str(XSD.date)


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    kind: str = "text"  # text, num, date, bool, empty, urls
    title: str | None = None
    urls: tuple[str, ...] = ()


def _companions(columns: tuple[str, ...]) -> dict[str, str]:
    """Label column -> the IRI column it names."""
    found: dict[str, str] = {}
    for column in columns:
        for suffix in _LABEL_SUFFIXES:
            if column + suffix in columns:
                found[column + suffix] = column
                break
        else:
            label = _LABEL_PAIRS.get(column)
            if label and label in columns:
                found[label] = column
    return found


def _link(iri: str, scheme: IriScheme) -> str:
    return entity_page(iri, scheme) or iri


def table(result: ReportResult, start: int, stop: int | None) -> tuple[list[str], list[list[Cell]]]:
    """Headings and cells for an HTML table: IRIs folded into their labels, authors and papers linked."""
    scheme = kg_context().scheme
    companions = _companions(result.columns)
    named = set(companions.values())
    shown = [i for i, c in enumerate(result.columns) if c not in named]
    position = {c: i for i, c in enumerate(result.columns)}
    rows: list[list[Cell]] = []
    for row in result.rows[start:stop]:
        cells = []
        for index in shown:
            column = result.columns[index]
            term = row[index]
            iri_column = companions.get(column)
            iri_term = row[position[iri_column]] if iri_column else None
            cells.append(_cell(term, iri_term, scheme))
        rows.append(cells)
    return [column_label(result.columns[i]) for i in shown], rows


def _cell(term: Any, iri_term: Any, scheme: IriScheme) -> Cell:
    iri = iri_term.value if isinstance(iri_term, ox.NamedNode) else None
    if term is None:
        if iri:
            return Cell(iri, _link(iri, scheme), title=iri)
        return Cell("", kind="empty")
    if isinstance(term, ox.NamedNode):
        return Cell(_short_name(term.value, scheme), _link(term.value, scheme), title=term.value)
    value = python_value(term)
    if isinstance(value, bool):
        return Cell("yes" if value else "no", kind="bool")
    if isinstance(value, int | float):
        return Cell(str(value), _link(iri, scheme) if iri else None, kind="num")
    text = str(value)
    if iri:
        return Cell(text, _link(iri, scheme), title=iri)
    if isinstance(term, ox.Literal) and term.datatype.value == _XSD_DATE:
        return Cell(text, kind="date")  # kept on one line: "2026-09-" / "27" read badly
    if _URLS.match(text):
        return Cell(text, kind="urls", urls=tuple(text.split()))
    return Cell(text)


def _short_name(iri: str, scheme: IriScheme) -> str:
    """An IRI without a label column, as a reader names it: a profile or source graph of
    this graph by its file name; any other IRI whole."""
    if scheme.kind_of(iri) in ("profile", "graph"):
        return unquote(iri.rstrip("/").rsplit("/", 1)[-1]) or iri
    return iri


def _form_fields(
    report: Report, args: Mapping[str, str], binding: Binding | None
) -> list[dict[str, Any]]:
    """The form's inputs: the given value, else the example for a required parameter, the
    date a store default took (the reader sees which was used) or the default."""
    fields = []
    for param in report.parameters:
        given = args.get(param.name)
        if given is None and param.store_default is not None and binding is not None:
            given = binding.values.get(param.name, "")
        if given is None:
            given = param.example if param.required else (param.default or "")
        input_type = {"integer": "number", "year": "number"}.get(param.type, "text")
        options: list[str] = []
        if param.type == "choice":
            options = list(param.choices)
        elif param.type == "boolean":
            options = ["", "true", "false"] if not param.required else ["true", "false"]
        fields.append(
            {
                "param": param,
                "value": given or "",
                "input_type": input_type,
                "options": options,
                "placeholder": param.example or "",
                "label": column_label(param.name),
            }
        )
    return fields


def _vendor() -> dict[str, bool]:
    """Which drawing libraries scripts/setup-assets installed (pages degrade to tables without them)."""
    return {"chart": vendor_available("chart"), "cytoscape": vendor_available("cytoscape")}


def _query_text(report: Report, binding: Binding | None = None) -> str:
    """The query a request sends: the report's, or its variant for a parameter it gives (for
    an organization, the variant that compares names, which the runner sends when its lookup
    finds not exactly one: it answers the same with the request's values alone)."""
    return report.query if binding is None else report.query_for(binding.substitutions(report))


def _query_note(report: Report, binding: Binding | None = None) -> str:
    """What the page says when the runner may send another query than the one shown: a
    lookup's (kg.reports.definitions), whose variant gives the same rows."""
    if binding is None:
        return ""
    variant, lookup = next(report.candidates(binding.substitutions(report)), (None, None))
    if variant is None or lookup is None:
        return ""  # the query shown is the one that runs
    return (
        f"The server first asks {lookup.path.name} which ?{lookup.variable} the "
        f"?{lookup.parameter} names; when it is exactly one, it sends "
        f"{variant.path.name} with it bound, which starts from it and gives the same "
        "rows as the query below."
    )


def _query_page_link(report: Report, binding: Binding | None = None) -> str:
    """The query page with the query the request sends, its parameter values written in as
    a VALUES block (so that it answers for the same author or paper as the report)."""
    query = _query_text(report, binding)
    if binding is not None:
        query = with_values(query, binding.substitutions(report))
    return "/?" + urlencode({"query": query})


def _html_response(name: str) -> Response:
    reports = runner()
    report = reports.reports.get_report(name)
    args = _request_args()
    if not any(p.name in args for p in report.parameters):
        # A page opened without parameters runs the example (the form shows it).
        args = {
            **args,
            **{p.name: p.example for p in report.parameters if p.required and p.example},
        }
    error: str | None = None
    binding: Binding | None = None
    result: ReportResult | None = None
    offset, limit = 0, DEFAULT_LIMIT
    etag: str | None = None
    try:
        binding = reports.bind(report, args)
        offset, limit = _paging(args)
        etag = reports.etag(report, binding, "html", offset, limit)
        unchanged = _not_modified(etag)
        if unchanged is not None:
            return unchanged
        result = reports.run(report, binding)
    except InvalidParameter as problem:
        error = problem.detail
    headings: list[str] = []
    rows: list[list[Cell]] = []
    pages: dict[str, str | None] = {"next": None, "prev": None}
    if result is not None and binding is not None:
        headings, rows = table(result, offset, offset + limit)
        run = Run(report, binding, offset, limit)
        pages["next"] = _next_url(run, result, "")
        if offset > 0:
            pages["prev"] = report_url(
                report.name, binding.values, offset=max(0, offset - limit), limit=limit
            )
    values = binding.values if binding else {}
    body = render_template(
        "report.html",
        report=report,
        fields=_form_fields(report, args, binding),
        error=error,
        result=result,
        headings=headings,
        rows=rows,
        offset=offset,
        limit=limit,
        pages=pages,
        chart=chart_spec(report, result, _entity_href) if result is not None else None,
        vendor=_vendor(),
        json_url=report_url(report.name, values, suffix=".json") if binding else None,
        csv_url=report_url(report.name, values, suffix=".csv") if binding else None,
        paper_downloads=bibliography_urls(report, values) if binding else [],
        query_page=_query_page_link(report, binding),
        query=_query_text(report, binding),
        query_note=_query_note(report, binding),
        engine_summary=ENGINES[report.engine].summary if report.engine in ENGINES else "",
        values=values,
    )
    response = Response(body, status=400 if error else 200, mimetype="text/html")
    if pages["next"]:
        response.headers["Link"] = f'<{pages["next"]}>; rel="next"'
    return _cache_headers(response, etag) if etag and not error else response


# -- routes --------------------------------------------------------------------------------------


def _listing() -> list[dict[str, Any]]:
    out = []
    for report in runner().reports.values():
        item = report.to_json()
        item["url"] = url_for("reports.report", name=report.name, _external=True)
        item["json"] = url_for("reports.report_json", name=report.name, _external=True)
        item["csv"] = url_for("reports.report_csv", name=report.name, _external=True)
        if lists_papers(report):
            for extension in BIBLIOGRAPHIES:
                item[extension] = url_for(
                    "reports.report_papers", name=report.name, extension=extension, _external=True
                )
        out.append(item)
    return out


@blueprint.get("/reports")
def reports_index() -> Response:
    chosen = negotiation.for_request(formats.REPORT_LIST).format
    if chosen is JSON:
        return reports_json()
    reports = list(runner().reports.values())
    body = render_template(
        "report_list.html",
        reports=reports,
        paper_reports={r.name for r in reports if lists_papers(r)},
        bibliographies=BIBLIOGRAPHIES,
    )
    response = Response(body, mimetype="text/html")
    response.vary.add("Accept")
    return response


@blueprint.get("/reports.json")
def reports_json() -> Response:
    response = current_app.response_class(
        current_app.json.dumps({"reports": _listing()}), mimetype="application/json"
    )
    response.vary.add("Accept")
    return response


@blueprint.get("/reports/<name>")
def report(name: str) -> Response:
    found = runner().reports.get_report(name)  # 404 before negotiating
    papers = (formats.PAPER_REPORT,) if lists_papers(found) else ()
    chosen = negotiation.for_request(formats.REPORT, *papers).format
    if chosen is HTML:
        return _html_response(name)
    if chosen is CSV:
        return _csv_response(_prepare(name))
    if chosen.kind == "citation":
        return _papers_response(_prepare(name), chosen)
    return _json_response(_prepare(name))


@blueprint.get("/reports/<name>.json")
def report_json(name: str) -> Response:
    return _json_response(_prepare(name))


@blueprint.get("/reports/<name>.csv")
def report_csv(name: str) -> Response:
    return _csv_response(_prepare(name))


@blueprint.get("/reports/<name>." + negotiation.extension_rule(formats.PAPER_REPORT))
def report_papers(name: str, extension: str) -> Response:
    if not lists_papers(runner().reports.get_report(name)):
        raise NotFound(
            f"report {name!r} has no paper column: only reports of papers download as "
            + ", ".join(f.label for f in BIBLIOGRAPHIES.values())
        )
    return _papers_response(_prepare(name), BIBLIOGRAPHIES[extension])


@blueprint.get("/openapi.json")
def openapi() -> Response:
    document = openapi_document(runner(), server_url=request.url_root)
    return current_app.response_class(current_app.json.dumps(document), mimetype="application/json")


# -- entity pages --------------------------------------------------------------------------------


def _panel(name: str, params: Mapping[str, str]) -> tuple[Report, Binding, ReportResult] | None:
    """One report for a page panel (None when the report is not installed)."""
    reports = runner()
    if name not in reports.reports:
        return None
    report = reports.reports[name]
    binding = reports.bind(report, params)
    return report, binding, reports.run(report, binding)


def _not_found_page(kind: str, iri: str) -> Response:
    body = render_template("report_not_found.html", kind=kind, iri=iri)
    return Response(body, status=404, mimetype="text/html")


def _check_slug(slug: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,200}", slug):
        raise NotFound("no such page")


@blueprint.get("/pages/author/<slug>")
def author_page(slug: str) -> Response:
    _check_slug(slug)
    scheme = kg_context().scheme
    iri = f"{scheme.base}author/{slug}"
    params = {"author": iri}
    summary = _panel("author-summary", params)
    if summary is None or not summary[2].rows:
        return _not_found_page("author", iri)
    panels: dict[str, Any] = {}
    for name in (
        "author-timeline",
        "author-metric-history",
        "author-papers",
        "coauthor-network",
        "coauthors",
        "author-repositories",
        "author-profiles",
    ):
        panel = _panel(name, params)
        if panel is None:
            continue
        report, binding, result = panel
        limit = PAGE_PAPERS if name == "author-papers" else 200
        headings, rows = table(result, 0, limit)
        panels[name] = {
            "report": report,
            "result": result,
            "headings": headings,
            "rows": rows,
            "more": len(result.rows) > limit,
            "url": report_url(name, binding.values),
            "json": report_url(name, binding.values, suffix=".json"),
            "papers": bibliography_urls(report, binding.values),
            "chart": chart_spec(report, result, _entity_href),
        }
    facts = summary[2].records()[0]
    page_url = url_for("reports.author_page", slug=slug, _external=True)
    body = render_template(
        "author_page.html",
        iri=iri,
        facts=facts,
        panels=panels,
        vendor=_vendor(),
        summary_url=report_url("author-summary", params),
        rdf_alternates=rdf_alternates(iri),
        bibliography=citation_downloads(iri),
        jsonld=structured.person(iri, facts.get("name") or iri, url=page_url, same_as=[iri]),
    )
    return Response(body, mimetype="text/html")


@blueprint.get("/pages/paper/<slug>")
def paper_page(slug: str) -> Response:
    _check_slug(slug)
    scheme = kg_context().scheme
    iri = f"{scheme.base}paper/{slug}"
    params = {"paper": iri}
    details = _panel("paper", params)
    if details is None or not details[2].rows:
        return _not_found_page("paper", iri)
    result = details[2]
    facts: dict[str, list[Cell]] = {}
    index = {c: i for i, c in enumerate(result.columns)}
    for row in result.rows:
        field = str(python_value(row[index["field"]]))
        facts.setdefault(field, []).append(
            _cell(row[index["value"]], row[index["value_iri"]], scheme)
        )
    title = facts.get("title", [Cell(iri)])[0].text
    authors = _panel("paper-authors", params)
    author_table = table(authors[2], 0, None) if authors else ([], [])
    jsonld, meta = _paper_structured_data(
        iri, title, facts, authors[2] if authors else None, slug=slug
    )
    body = render_template(
        "paper_page.html",
        iri=iri,
        title=title,
        facts=facts,
        authors=author_table,
        details_url=report_url("paper", params),
        authors_url=report_url("paper-authors", params) if authors else None,
        rdf_alternates=rdf_alternates(iri),
        jsonld=jsonld,
        citation_meta=meta,
        cite=_citation_panel(iri),
    )
    return Response(body, mimetype="text/html")


def rdf_alternates(iri: str) -> list[tuple[str, str]]:
    """(media type, URL) of the RDF descriptions of an entity (linked_data's extensions),
    and of its citations for a paper or an author."""
    href = local_href(iri)
    if href is None:
        return []
    kind = kg_context().scheme.kind_of(iri)
    return [(f.media_type, f"{href}.{f.extension}") for f in offers_for(kind) if f.key != "html"]


def citation_downloads(iri: str) -> list[tuple[Format, str]]:
    """(format, URL) of the citation files of a paper or author IRI (not the formatted text)."""
    href = local_href(iri)
    kind = kg_context().scheme.kind_of(iri)
    if href is None:
        return []
    return [
        (f, f"{href}.{f.extension}")
        for f in offers_for(kind)
        if f.kind == "citation" and f.key != "bibliography"
    ]


def _citation_panel(iri: str) -> dict[str, Any] | None:
    """The paper page's "Cite" panel: the reference in the ``?style=`` style (raises
    UnknownStyle, 400, for another), the styles, and the citation files."""
    style = csl.check_style((request.args.get("style") or csl.DEFAULT_STYLE).strip().lower())
    context = kg_context()
    works = load_works(context.backend, paper=iri, timeout=context.settings.query_timeout)
    href = local_href(iri)
    if not works or href is None:
        return None
    text = formats.BY_KEY["bibliography"]
    return {
        "style": style,
        "reference": render_citations(works, text.key, style=style).decode("utf-8").strip(),
        "styles": [
            (key, label, f"{href}.{text.extension}?{urlencode({'style': key})}")
            for key, label in csl.STYLES.items()
        ],
        "downloads": citation_downloads(iri),
    }


def _paper_structured_data(
    iri: str,
    title: str,
    facts: Mapping[str, list[Cell]],
    authors: ReportResult | None,
    *,
    slug: str,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """schema.org JSON-LD and Highwire tags for a paper page, from the paper and
    paper-authors reports (authors in printed order, then the owners "et al." hides)."""
    scheme = kg_context().scheme
    named: list[structured.Named] = []
    for record in authors.records() if authors else []:
        author_iri = record.get("author")
        name = record.get("author_name") or record.get("written_name")
        if not name:
            continue
        page = entity_page(str(author_iri), scheme) if author_iri else None
        named.append(structured.Named(author_iri, str(name), url_for_path(page) if page else None))

    def first(field: str) -> Cell | None:
        cells = facts.get(field)
        return cells[0] if cells else None

    date = first("date")
    venue = first("venue")
    abstract = first("abstract")
    links = [u for c in facts.get("link", []) for u in (c.urls or (c.text,))]
    page_url = url_for("reports.paper_page", slug=slug, _external=True)
    about = [structured.Named(c.title, c.text) for c in facts.get("subject", [])]
    jsonld = structured.scholarly_article(
        iri,
        title,
        url=page_url,
        authors=named,
        date_published=date.text if date else None,
        about=about,
        venue=structured.Named(venue.title, venue.text) if venue else None,
        abstract=abstract.text if abstract else None,
        same_as=[iri],
    )
    meta = structured.citation_meta(
        title,
        [a.name for a in named],
        date=date.text if date else None,
        abstract_html_url=page_url,
        pdf=structured.pdf_url(links),
    )
    return jsonld, meta


def url_for_path(path: str) -> str:
    """An absolute URL for a path on this server."""
    return request.host_url.rstrip("/") + path

"""Search: ``/search`` (HTML), ``/search.json`` (the same parameters, JSON).

Parameters: ``q`` (the text), ``type``, ``subject``, ``organization``,
``from`` and ``to`` (years), ``has_code`` (true/false), ``limit``, ``offset``,
and ``prefix`` (true: the last word is a prefix, for autocomplete). The index
is the store's (``<store>/search``), built by ``kg ingest`` and
``kg search-index``. Bad parameters answer 400 problem+json (HTML: the form
with the message); nothing the user types reaches the store or a file path.

The parameters are declared once, in :data:`SEARCH_PARAMETERS`: requests are
validated with them (:meth:`kg.reports.params.Parameter.read`) and the OpenAPI
document (:mod:`kg_server.openapi`) describes them from the same objects.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kg.errors import InvalidParameter
from kg.reports.params import Parameter
from kg.search.documents import KINDS
from kg.search.index import (
    MAX_LIMIT,
    MAX_OFFSET,
    Filters,
    Hit,
    SearchIndex,
    SearchIndexMissing,
    SearchResult,
)
from kg.search.query import MAX_QUERY_CHARS, MAX_TERMS, QUERY_PATTERN, QUERY_RULE, SearchQueryError
from kg_server.context import kg_context

blueprint = Blueprint("search", __name__)

DEFAULT_LIMIT = 20

#: The parameters of /search and /search.json, for the validator and the OpenAPI document.
SEARCH_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "q",
        "string",
        True,
        None,
        "fused lasso",
        f"What to look for: 1 to {MAX_TERMS} words, at most {MAX_QUERY_CHARS} characters; "
        '"quoted phrases" match as phrases; typos, accents, case and hyphens are forgiven.',
        pattern=QUERY_PATTERN,
        pattern_reason=QUERY_RULE,
        max_length=MAX_QUERY_CHARS,
    ),
    Parameter("type", "choice", False, None, "paper", "Only entities of this type.", choices=KINDS),
    Parameter(
        "subject",
        "string",
        False,
        None,
        None,
        "Only entities with this subject (its site code, as the subject facet lists it).",
    ),
    Parameter(
        "organization",
        "string",
        False,
        None,
        None,
        "Only entities of this organization (as the organization facet lists it).",
    ),
    Parameter(
        "from",
        "integer",
        False,
        None,
        "2020",
        "Only papers of this year or later (after `to`: nothing is found).",
        minimum=0,
        maximum=9999,
    ),
    Parameter(
        "to",
        "integer",
        False,
        None,
        "2024",
        "Only papers of this year or earlier.",
        minimum=0,
        maximum=9999,
    ),
    Parameter(
        "has_code", "boolean", False, None, None, "Only papers with (true) or without (false) code."
    ),
    Parameter(
        "prefix",
        "boolean",
        False,
        None,
        None,
        "true: the last word is also a prefix (autocomplete); facets are not counted.",
    ),
    Parameter(
        "limit",
        "integer",
        False,
        str(DEFAULT_LIMIT),
        None,
        "Hits per page",
        minimum=1,
        maximum=MAX_LIMIT,
    ),
    Parameter("offset", "integer", False, "0", None, "Hits to skip", minimum=0, maximum=MAX_OFFSET),
)


def index_of(extensions: dict[str, Any]) -> SearchIndex | None:
    """An application's index, from its ``extensions`` (one per process: /search and the
    search report share it), beside the embedded store or where --search-index-dir says;
    None without a folder."""
    existing: SearchIndex | None = extensions.get("kg_search")
    if existing is None:
        folder = extensions["kg"].settings.search_folder
        if folder is None:
            return None
        existing = SearchIndex(folder)
        extensions["kg_search"] = existing
    return existing


def search_index() -> SearchIndex:
    """The application's index; raises SearchIndexMissing (503) when it has no folder."""
    found = index_of(current_app.extensions)
    if found is None:
        raise SearchIndexMissing(
            "this server has no search index: build one with `kg search-index "
            "--search-index-dir FOLDER` and serve with the same --search-index-dir"
        )
    return found


def _request_values() -> dict[str, str]:
    """The request's value of each search parameter given (validated, normalised text).

    Raises InvalidParameter (400) as :meth:`Parameter.read` says, and for a parameter
    given twice. Other parameters are left alone (the page's links keep what they find).
    """
    scheme = kg_context().scheme
    values: dict[str, str] = {}
    for param in SEARCH_PARAMETERS:
        given = request.args.getlist(param.name)
        if len(given) > 1:
            raise InvalidParameter(
                f"parameter {param.name!r} is given {len(given)} times; give it once",
                parameter=param.name,
            )
        read = param.read(given[0] if given else None, scheme)
        if read is not None:
            values[param.name] = read[0]
    return values


def _request() -> tuple[str, Filters, int, int, bool]:
    values = _request_values()

    def year(name: str) -> int | None:
        return int(values[name]) if name in values else None

    def text(name: str) -> str | None:
        # Facet values are codes and names as the facets list them: spaces around are noise.
        return values.get(name, "").strip() or None

    filters = Filters(
        kind=values.get("type"),
        subject=text("subject"),
        organization=text("organization"),
        from_year=year("from"),
        to_year=year("to"),
        has_code={"true": True, "false": False}.get(values.get("has_code", "")),
    )
    prefix = values.get("prefix") == "true"
    return values["q"], filters, int(values["limit"]), int(values["offset"]), prefix


def result_json(result: SearchResult, offset: int, limit: int) -> dict[str, Any]:
    return {
        "query": result.query,
        "total": result.total,
        "offset": offset,
        "limit": limit,
        "relaxed": result.relaxed,
        "hits": [_hit_json(hit) for hit in result.hits],
        "facets": result.facets,
    }


def _hit_json(hit: Hit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "iri": hit.iri,
        "type": hit.kind,
        "label": hit.label,
        "score": hit.score,
        "snippet": hit.snippet,
    }
    if hit.year is not None:
        out["year"] = hit.year
    return out


@blueprint.get("/search.json")
def search_json() -> Response:
    text, filters, limit, offset, prefix = _request()
    result = search_index().search(
        text, filters, limit=limit, offset=offset, prefix=prefix, facets=not prefix
    )
    response = current_app.response_class(
        current_app.json.dumps(result_json(result, offset, limit)), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page_url(**changes: Any) -> str:
    args: dict[str, Any] = {k: v for k, v in request.args.items() if v}
    args.update(changes)
    kept: dict[str, Any] = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for("search.search_page", **kept)


@blueprint.get("/search")
def search_page() -> Response:
    text = (request.args.get("q") or "").strip()
    context: dict[str, Any] = {
        "q": text,
        "kinds": KINDS,
        "args": request.args,
        "result": None,
        "error": None,
    }
    status = 200
    if text:
        try:
            text, filters, limit, offset, _prefix = _request()
            result = search_index().search(text, filters, limit=limit, offset=offset)
            context.update(
                result=result,
                filters=filters,
                offset=offset,
                limit=limit,
                next_url=_page_url(offset=offset + limit)
                if offset + limit < result.total
                else None,
                prev_url=_page_url(offset=max(0, offset - limit) or None) if offset else None,
                facet_url=_page_url,
                json_url=_json_url(),
                page_of=_page_of,
            )
        except (SearchQueryError, InvalidParameter) as error:
            context["error"] = str(error)
            status = 400
    body = render_template("search.html", **context)
    return Response(body, status=status, mimetype="text/html")


def _page_of(iri: str, kind: str) -> str:
    """The page a hit links to: the entity's page in this application."""
    base = kg_context().scheme.base
    if kind in {"author", "paper"} and iri.startswith(f"{base}{kind}/"):
        slug = iri[len(f"{base}{kind}/") :]
        return url_for(f"reports.{kind}_page", slug=slug)
    if iri.startswith(base):
        return "/" + iri[len(base) :]
    return iri


def _json_url() -> str:
    args: dict[str, Any] = dict(request.args.items())
    return url_for("search.search_json", **args)

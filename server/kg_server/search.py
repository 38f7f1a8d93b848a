"""Search: ``/search`` (HTML), ``/search.json`` (the same parameters, JSON).

Parameters: ``q`` (the text), ``type``, ``subject``, ``organization``,
``from`` and ``to`` (years), ``has_code`` (true/false), ``limit``, ``offset``,
and ``prefix`` (true: the last word is a prefix, for autocomplete). The index
is the store's (``<store>/search``), built by ``kg ingest`` and
``kg search-index``. Bad parameters answer 400 problem+json (HTML: the form
with the message); nothing the user types reaches the store or a file path.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kg.search.documents import KINDS
from kg.search.index import Filters, Hit, SearchIndex, SearchIndexMissing, SearchResult
from kg.search.query import SearchQueryError
from kg_server.context import kg_context

blueprint = Blueprint("search", __name__)

DEFAULT_LIMIT = 20
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


def search_index() -> SearchIndex:
    """The application's index (one per process), beside the embedded store."""
    existing: SearchIndex | None = current_app.extensions.get("kg_search")
    if existing is None:
        folder = kg_context().settings.search_folder
        if folder is None:
            raise SearchIndexMissing(
                "this server has no search index: build one with `kg search-index "
                "--search-index-dir FOLDER` and serve with the same --search-index-dir"
            )
        existing = SearchIndex(folder)
        current_app.extensions["kg_search"] = existing
    return existing


def _single(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise SearchQueryError(f"parameter {name!r} given more than once")
    value = values[0].strip() if values else None
    return value or None


def _integer(name: str, default: int | None, low: int, high: int) -> int | None:
    text = _single(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 6:
        raise SearchQueryError(f"parameter {name!r} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise SearchQueryError(f"parameter {name!r} must be between {low} and {high}")
    return value


def _boolean(name: str) -> bool | None:
    text = _single(name)
    if text is None:
        return None
    if text.lower() not in _BOOLEAN:
        raise SearchQueryError(f"parameter {name!r} must be true or false")
    return _BOOLEAN[text.lower()]


def _request() -> tuple[str, Filters, int, int, bool]:
    text = _single("q")
    if text is None:
        raise SearchQueryError("parameter 'q' (the text to search for) is required")
    filters = Filters(
        kind=_single("type"),
        subject=_single("subject"),
        organization=_single("organization"),
        from_year=_integer("from", None, 0, 9999),
        to_year=_integer("to", None, 0, 9999),
        has_code=_boolean("has_code"),
    )
    limit = _integer("limit", DEFAULT_LIMIT, 1, 100) or DEFAULT_LIMIT
    offset = _integer("offset", 0, 0, 10_000) or 0
    return text, filters, limit, offset, bool(_boolean("prefix"))


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
        except SearchQueryError as error:
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

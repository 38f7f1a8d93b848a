"""Every error the server returns is an RFC 9457 problem+json document.

Project errors (:class:`kg.errors.KGError`) carry their status; werkzeug's
HTTP errors (404 for an unknown route, 405, 413, ...) are mapped onto the same
shape; anything unexpected becomes a 500 without a stack trace (it is logged).

One exception: a browser (an Accept header that names text/html and prefers it)
that follows a link to nothing, an unknown report or route (404), gets an HTML
page saying so, with the same status; API clients, and ``*/*``, keep problem+json.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg import formats
from kg.errors import KGError, NotAcceptable
from kg_server import negotiation

log = logging.getLogger(__name__)

PROBLEM_JSON = formats.PROBLEM_JSON.media_type


#: Statuses a person following a link meets; others (a refused query, a rate limit) are
#: answers to programs, which read problem+json.
HTML_STATUSES = {404}


def _browser_wants_html() -> bool:
    """Whether Accept names HTML and prefers it to problem+json (and to JSON); a tie,
    ``*/*`` or ``text/*`` alone keep problem+json."""
    header = request.headers.get("Accept", "")
    ranges = negotiation.parse_accept(header)
    if not any(formats.HTML.names_media_type(f"{r.type}/{r.subtype}") for r in ranges):
        return False
    try:
        return negotiation.negotiate(header, formats.offers(formats.ERROR)) is formats.HTML
    except NotAcceptable:
        return False


def problem_response(error: KGError) -> Response:
    if error.status in HTML_STATUSES and request and _browser_wants_html():
        page = render_template("error.html", title=error.title, detail=error.detail)
        response = Response(page, status=error.status, mimetype="text/html")
        response.headers["Vary"] = "Accept"
        return response
    body = error.to_problem(instance=request.path if request else None)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=error.status, mimetype=PROBLEM_JSON
    )
    retry = error.extra.get("retry_after")
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    if error.status == 405 and "allowed" in error.extra:
        response.headers["Allow"] = ", ".join(error.extra["allowed"])
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    problem = KGError(error.description or error.name)
    problem.status = status
    problem.type = error.name.lower().replace(" ", "-")
    problem.title = error.name
    response = problem_response(problem)
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    problem = KGError("the server failed to answer this request; the error was logged")
    return problem_response(problem)


def init_app(app: Flask) -> None:
    app.register_error_handler(KGError, problem_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

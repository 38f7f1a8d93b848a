"""Every error the server returns is an RFC 9457 problem+json document.

Project errors (:class:`kg.errors.KGError`) carry their status; werkzeug's
HTTP errors (404 for an unknown route, 405, 413, ...) are mapped onto the same
shape; anything unexpected becomes a 500 without a stack trace (it is logged).
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kg.errors import KGError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(error: KGError) -> Response:
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

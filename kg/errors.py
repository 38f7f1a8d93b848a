"""One error hierarchy for the whole project.

Each error carries the HTTP status it maps to and a short machine-readable
``type`` slug; the server renders every one of them as an RFC 9457
``application/problem+json`` document through a single handler, and the CLI
prints ``error: <detail>`` and exits non-zero. Bad *input data* is not an
error: the parser returns it as :class:`kg.model.ParseFailure` records.
"""

from __future__ import annotations

from typing import Any


class KGError(Exception):
    """Base class: a problem the user can act on, with an HTTP status."""

    status: int = 500
    type: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"about:blank#{self.type}" if self.type else "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            problem["instance"] = instance
        problem.update(self.extra)
        return problem


class BadRequest(KGError):
    status, type, title = 400, "bad-request", "Bad request"


class UntrustedHost(BadRequest):
    type, title = "untrusted-host", "Host not served here"


class QuerySyntaxError(BadRequest):
    type, title = "query-syntax", "Malformed SPARQL"


class ForbiddenOperation(BadRequest):
    type, title = "forbidden-operation", "Operation not allowed"


class InvalidParameter(BadRequest):
    type, title = "invalid-parameter", "Invalid parameter"


class Unauthorized(KGError):
    status, type, title = 401, "unauthorized", "Authorization required"


class Forbidden(KGError):
    status, type, title = 403, "forbidden", "Forbidden"


class NotFound(KGError):
    status, type, title = 404, "not-found", "Not found"


class NotAcceptable(KGError):
    status, type, title = 406, "not-acceptable", "Not acceptable"


class RequestTimeout(KGError):
    status, type, title = 408, "request-timeout", "Request body too slow"


class PayloadTooLarge(KGError):
    status, type, title = 413, "payload-too-large", "Request body too large"


class UriTooLong(KGError):
    status, type, title = 414, "uri-too-long", "Request URL too long"


class UnsupportedMediaType(KGError):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


class TooManyRequests(KGError):
    status, type, title = 429, "rate-limited", "Too many requests"


class QueryTimeout(KGError):
    status, type, title = 503, "query-timeout", "Query timed out"


class ServiceUnavailable(KGError):
    status, type, title = 503, "unavailable", "Service unavailable"


class StoreError(KGError):
    status, type, title = 500, "store-error", "Store error"


class UnsupportedFormat(KGError):
    status, type, title = 406, "unsupported-format", "Unsupported format"

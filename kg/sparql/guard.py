"""What a SPARQL request may make this server do: the project's one set of safety rules.

Every backend and every web page that runs client text calls these, and no
other module decides them:

* **no outbound calls**: ``SERVICE`` and ``LOAD`` are refused
  (:class:`~kg.errors.ForbiddenOperation`, a 400) unless the operator's
  allow-list (``--service-allow``) names the endpoint, written as a full IRI;
  a variable ``SERVICE`` endpoint is always refused (:func:`check_remote_calls`,
  :func:`check_query`);
* **queries are not updates**: text sent as a query that is an update is
  refused before it reaches a store (:func:`check_query`);
* **updates need permission**: an update token (``Authorization: Bearer``), or
  ``--allow-update`` without one, which is refused unless the server listens on
  a loopback address only (:func:`authorise_update`,
  :func:`unauthenticated_update_refusal`).

A change to the SERVICE/LOAD policy or to who may update is an edit here. The
scans run on untrusted text in the HTTP thread; they are linear in its length
(:mod:`kg.sparql.text`) and memoised for short texts only.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from kg.errors import Forbidden, ForbiddenOperation, QuerySyntaxError, Unauthorized
from kg.sparql.text import Features, apply_edits, scan, tokens

#: Longest query text whose scans are memoised.
CACHED_TEXT_CHARS = 8192

_KEYWORD = {
    "service": re.compile("service", re.IGNORECASE | re.ASCII),
    "load": re.compile("load", re.IGNORECASE | re.ASCII),
}
_R = TypeVar("_R")


def short_texts_cached(function: Callable[..., _R]) -> Callable[..., _R]:
    """Memoise on texts of at most CACHED_TEXT_CHARS (a repeated query skips its scans);
    longer ones are not kept, so that distinct large bodies cannot fill the memory."""
    cached = lru_cache(maxsize=1024)(function)

    def call(text: str, *args: Any) -> _R:
        return cached(text, *args) if len(text) <= CACHED_TEXT_CHARS else function(text, *args)

    return call


# -- SERVICE and LOAD ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    keyword: str  # "service" or "load"
    start: int  # offset of the keyword
    silent: tuple[int, int] | None  # span of SILENT
    target: str | None  # the IRI as written between < >, or None when it is not one
    #: LOAD ... INTO GRAPH <g>: the span of INTO GRAPH, and the graph token
    into: tuple[int, int, str] | None


@short_texts_cached
def _calls(text: str, update: bool) -> tuple[tuple[_Call, ...], tuple[int, ...]]:
    """SERVICE (and, in an update, LOAD) keywords as the scan's tokens show them, and
    the offsets of every other occurrence of those words, wherever they are."""
    words = ("service", "load") if update else ("service",)
    occurrences = sorted(m.start() for word in words for m in _KEYWORD[word].finditer(text))
    if not occurrences:
        return (), ()
    toks = tokens(text)
    calls: list[_Call] = []
    for index, tok in enumerate(toks):
        if tok.kind != "word" or tok.text.lower() not in words:
            continue
        position = index + 1
        silent = None
        if position < len(toks) and toks[position].text.upper() == "SILENT":
            silent = (toks[position].start, toks[position].end)
            position += 1
        target = into = None
        if position < len(toks):
            target = toks[position].text[1:-1] if toks[position].kind == "iri" else None
            following = toks[position + 1 : position + 4]
            if (
                tok.text.lower() == "load"
                and len(following) == 3
                and following[0].text.upper() == "INTO"
                and following[1].text.upper() == "GRAPH"
            ):
                into = (following[0].start, following[1].end, following[2].text)
        calls.append(_Call(tok.text.lower(), tok.start, silent, target, into))
    keyword_starts = {c.start for c in calls}
    others = tuple(o for o in occurrences if o not in keyword_starts)
    return tuple(calls), others


def _refuse(call: _Call) -> ForbiddenOperation:
    what = "SERVICE" if call.keyword == "service" else "LOAD"
    how = (
        "this endpoint does not contact other hosts unless its operator lists them with "
        "--service-allow (KG_SERVICE_ALLOW)"
    )
    if call.target is None:
        return ForbiddenOperation(
            f"{what} is allowed only with a fixed endpoint written as a full IRI <...>; {how}"
        )
    return ForbiddenOperation(f"{what} <{call.target}> is not allowed: {how}")


def _neutralised(text: str, calls: tuple[_Call, ...], others: tuple[int, ...]) -> str:
    """The text with no SERVICE or LOAD left, and otherwise the same syntax.

    Every occurrence of the words that the scan did not read as a keyword gets
    one letter changed: inside a string, IRI, name or comment that keeps the
    text valid, but if the parser would have read it as a keyword, the changed
    text is a syntax error. Each keyword the scan did read (an allowed one) is
    rewritten into an equivalent that contacts nothing: ``SERVICE <e> {...}``
    becomes ``GRAPH <e> {...}``, ``LOAD <s> INTO GRAPH <g>`` becomes
    ``CLEAR SILENT GRAPH <s> ; CLEAR SILENT GRAPH <g>``.
    """
    edits: list[tuple[int, int, str]] = []
    for offset in others:
        edits.append((offset + 2, offset + 3, "X"))  # seXvice, loXd
    for call in calls:
        keyword_end = call.start + len(call.keyword)
        if call.keyword == "service":
            edits.append((call.start, keyword_end, "GRAPH"))
        else:
            edits.append((call.start, keyword_end, "CLEAR SILENT GRAPH"))
            if call.into:
                edits.append((call.into[0], call.into[1], "; CLEAR SILENT GRAPH"))
        if call.silent:
            edits.append((call.silent[0], call.silent[1], ""))
    return apply_edits(text, edits)


def check_remote_calls(
    text: str,
    allowlist: tuple[str, ...],
    *,
    update: bool,
    verify: Callable[[str], bool] | None,
) -> None:
    """Refuse (ForbiddenOperation, a 400) any SERVICE or LOAD the allow-list does not name.

    The lexical scan (:mod:`kg.sparql.text`) finds the keywords, but no lexical
    scan can be sure of SPARQL's tokens: ``?a<'>'`` is a comparison with a
    string to the parser and an IRI followed by an open string to a scan, and
    ``trueSERVICE`` is two tokens to the parser; text crafted that way hides a
    keyword from the scan. So when the words appear anywhere the scan did not
    read them as keywords, ``verify`` is called with :func:`_neutralised` text,
    which contains no SERVICE or LOAD at all, and must return whether the
    engine parses it: if one of those occurrences was a keyword after all, the
    changed text no longer parses and the request is refused. ``verify=None``
    means the caller runs the text where it cannot reach the network anyway,
    or runs only text of its own.

    >>> check_remote_calls("SELECT * { ?s ?p 'web service' }", (), update=False, verify=lambda t: True)
    """
    calls, others = _calls(text, update)
    for call in calls:
        if call.target is None or call.target not in allowlist:
            raise _refuse(call)
    if others and verify is not None and not verify(_neutralised(text, calls, others)):
        raise ForbiddenOperation(
            "SERVICE and LOAD are not allowed here, and this request uses one of those words in a way "
            "the endpoint cannot tell apart from the keyword; write it so that it is not next to other "
            "names (for example put spaces around it)"
        )


@short_texts_cached
def features(text: str) -> Features:
    """:func:`kg.sparql.text.scan`, memoised for short texts (treat the result as read-only)."""
    return scan(text)


def require_query(text: str) -> Features:
    """What the scan found in a query; QuerySyntaxError when the text is an update."""
    found = features(text)
    if found.is_update:
        raise QuerySyntaxError(
            "expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE), got an update"
        )
    return found


def check_query(
    text: str, allowlist: tuple[str, ...], *, verify: Callable[[str], bool] | None
) -> Features:
    """Refuse an update sent as a query (QuerySyntaxError) and any SERVICE the allow-list
    does not name (:func:`check_remote_calls`); returns what the scan found."""
    found = require_query(text)
    check_remote_calls(text, allowlist, update=False, verify=verify)
    return found


# -- updates -----------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 possibly in brackets) is loopback only."""
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def unauthenticated_update_refusal(
    *, allow_update: bool, update_token: str | None, host: str
) -> str | None:
    """Why a server may not start with these settings (None when it may): updates without
    a token are allowed on a loopback host only."""
    if allow_update and not update_token and not is_loopback(host):
        return (
            "--allow-update enables unauthenticated writes and is refused on a non-loopback host; "
            "use --update-token instead"
        )
    return None


class InvalidUpdateToken(Unauthorized):
    """A bearer token was sent, and it is not the server's update token."""


def authorise_update(*, enabled: bool, token: str | None, authorization: str) -> None:
    """Whether a request with this ``Authorization`` header may update the store.

    Raises Forbidden when updates are off, Unauthorized without a bearer token
    and InvalidUpdateToken for a wrong one (compared in constant time).
    """
    if not enabled:
        raise Forbidden(
            "SPARQL Update is disabled on this endpoint. The operator can enable it with "
            "--update-token TOKEN (or KG_UPDATE_TOKEN; clients then send 'Authorization: Bearer TOKEN'), "
            "or with --allow-update on a loopback host"
        )
    if not token:
        return
    supplied = _bearer(authorization)
    if supplied is None:
        raise Unauthorized(
            "SPARQL Update needs 'Authorization: Bearer TOKEN' with the server's update token"
        )
    if not _token_matches(supplied, token):
        raise InvalidUpdateToken("the bearer token is not the server's update token")


def _bearer(authorization: str) -> str | None:
    scheme, _, supplied = authorization.partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        return None
    return supplied.strip()


def _token_matches(supplied: str, token: str) -> bool:
    return hmac.compare_digest(supplied.encode("utf-8"), token.encode("utf-8"))


def holds_update_token(*, token: str | None, authorization: str) -> bool:
    """Whether the request carries the server's update token (compared in constant time):
    such a client is the operator, and its queries get the full query timeout."""
    supplied = _bearer(authorization)
    return bool(token) and supplied is not None and _token_matches(supplied, token or "")

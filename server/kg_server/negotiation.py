"""Content negotiation: the one place an ``Accept`` header is read (RFC 9110, section 12.5.1).

Every negotiated route (``/sparql``, entity IRIs, the ontology, VoID, the
service description, reports, the dumps listing) asks :func:`negotiate` for
one of the formats :func:`kg.formats.offers` lists for it (paper and author IRIs and
reports of papers add their citation formats: :func:`kg.formats.offers_all`).

* A media range matches a format when it names its media type, one of its
  aliases, or a type pyoxigraph maps to it (``text/plain`` for N-Triples);
  ``type/*`` and ``*/*`` match canonical media types only (so ``text/*`` on a
  SELECT is CSV, never SPARQL XML for its alias ``text/xml``).
* Media-type parameters (``charset=utf-8``, a JSON-LD ``profile``) do not stop
  a match: what we write is UTF-8 anyway, and the chosen range's parameters
  are handed back (:class:`Choice`) for a format that may use them.
* Each format takes the q-value of the most specific range that matches it
  (``text/csv;q=0, text/*`` excludes CSV); the highest q wins, then the more
  specific range, then the route's order (its default first).
* A missing, empty or unreadable header is "anything": the route's default.
  Nothing acceptable raises :class:`kg.errors.NotAcceptable` (406).

Parsing is linear in the header's length and cached per header text (clients
send the same few headers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask import request

from kg import formats
from kg.errors import NotAcceptable
from kg.formats import Format

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_HEADERS_CACHED = 512


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One element of an ``Accept`` header: ``type/subtype;params;q=...``."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    @property
    def specificity(self) -> int:
        """``*/*`` 0, ``type/*`` 1, ``type/subtype`` 2, with parameters 3."""
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 3 if self.params else 2

    def matches(self, fmt: Format) -> bool:
        if self.type == "*":
            return True
        if self.subtype == "*":
            return fmt.media_type.partition("/")[0] == self.type
        return fmt.names_media_type(f"{self.type}/{self.subtype}")

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


@dataclass(frozen=True, slots=True)
class Choice:
    """The negotiated format and the range that chose it (None: the default, unasked)."""

    format: Format
    range: MediaRange | None = None

    def param(self, name: str) -> str | None:
        """A parameter of the chosen range (a JSON-LD ``profile``), if the client gave it."""
        return self.range.param(name) if self.range is not None else None


def _split(text: str, separator: str) -> Iterator[str]:
    """``text`` cut at ``separator`` outside quoted strings (one pass)."""
    start = 0
    quoted = escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == separator:
            yield text[start:i]
            start = i + 1
    yield text[start:]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _media_range(element: str) -> MediaRange | None:
    """One element of the header, or None when it is malformed (then it is ignored)."""
    head, *rest = _split(element, ";")
    kind, slash, subtype = head.strip().lower().partition("/")
    if not slash or not _TOKEN.fullmatch(kind) or not _TOKEN.fullmatch(subtype):
        return None
    if kind == "*" and subtype != "*":
        return None
    params: list[tuple[str, str]] = []
    q = 1.0
    for part in rest:
        name, equals, value = part.strip().partition("=")
        name = name.strip().lower()
        if not equals or not _TOKEN.fullmatch(name):
            continue
        if name == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            if not 0.0 <= q <= 1.0:  # also NaN
                return None
            break  # what follows q are accept-extensions, not media-type parameters
        params.append((name, _unquote(value.strip())))
    return MediaRange(kind, subtype, tuple(params), q)


@lru_cache(maxsize=_HEADERS_CACHED)
def parse_accept(header: str) -> tuple[MediaRange, ...]:
    """The well-formed media ranges of an ``Accept`` header, in header order.

    >>> parse_accept('text/turtle;charset=utf-8, */*;q=0.1')
    (MediaRange(type='text', subtype='turtle', params=(('charset', 'utf-8'),), q=1.0), \
MediaRange(type='*', subtype='*', params=(), q=0.1))
    """
    ranges = (_media_range(element) for element in _split(header, ","))
    return tuple(r for r in ranges if r is not None)


def choose(accept: str | None, offers: Sequence[Format], default: Format | None = None) -> Choice:
    """The offer the client prefers by ``accept`` (an ``Accept`` header's text).

    ``offers`` are in server preference order (``default``, when given, goes
    first), which breaks ties. Raises :class:`kg.errors.NotAcceptable`.
    """
    if default is not None:
        offers = [default, *(f for f in offers if f is not default)]
    ranges = parse_accept(accept) if accept else ()
    if not ranges:
        return Choice(offers[0])
    best: tuple[float, int, int] | None = None
    chosen: Choice | None = None
    for index, fmt in enumerate(offers):
        governing: MediaRange | None = None
        for media_range in ranges:
            if not media_range.matches(fmt):
                continue
            if (
                governing is None
                or media_range.specificity > governing.specificity
                or (
                    media_range.specificity == governing.specificity and media_range.q > governing.q
                )
            ):
                governing = media_range
        if governing is None or governing.q <= 0:
            continue
        rank = (governing.q, governing.specificity, -index)
        if best is None or rank > best:
            best, chosen = rank, Choice(fmt, governing)
    if chosen is None:
        raise NotAcceptable(
            "none of the requested media types can be produced; available: "
            + ", ".join(f.media_type for f in offers),
            available=[f.media_type for f in offers],
        )
    return chosen


def negotiate(
    accept: str | None, offers: Sequence[Format], default: Format | None = None
) -> Format:
    """The format of :func:`choose`."""
    return choose(accept, offers, default).format


def for_request(route: str, *more: str, exclude: Sequence[Format] = ()) -> Choice:
    """The format of this request's ``Accept`` among what ``route`` (and the routes ``more``
    that add to it, see :func:`kg.formats.offers_all`) offers (:mod:`kg.formats`)."""
    offers = [f for f in formats.offers_all(route, *more) if f not in exclude]
    return choose(request.headers.get("Accept"), offers)


def extension_rule(route: str, *more: str) -> str:
    """The URL rule of the file extensions that pick one of ``route``'s formats
    (``<any(ttl, jsonld, ...):extension>``)."""
    extensions = (f.extension for f in formats.offers_all(route, *more))
    return "<any(" + ", ".join(extensions) + "):extension>"

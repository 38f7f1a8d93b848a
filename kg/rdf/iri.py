"""Minting of the project's IRIs under a configurable base.

Every IRI is a pure function of the base and the entity's key, so it is the
same across runs and machines. Paths (relative to the base):

==================  =============================================  ===========================
kind                path                                           key
==================  =============================================  ===========================
author              ``author/{slug}``                              :func:`kg.normalize.name_key`
paper               ``paper/{slug}-{hash6}``                       :func:`kg.normalize.title_key`
repository          ``repo/{host}/{owner}/{name}``                 normalised repository URL
venue               ``venue/{slug}``                               venue name
subject             ``subject/{code}``                             the site's category code
subject scheme      ``subject/``                                   -
organization        ``org/{slug}``                                 affiliation tag
profile snapshot    ``profile/{source}``                           source name
source graph        ``graph/{source}``                             source name (file name)
identity graph      ``graph/_identity``                            -
history graph       ``graph/_history/{source}/{date}``             source name, snapshot date
history head        ``graph/_history/{source}``                    source name
archived snapshot   ``graph/_history/{source}/{date}#snapshot``    source name, snapshot date
==================  =============================================  ===========================

Source names are percent-encoded path segments; everything else is a slug of
ASCII letters, digits and hyphens (repository owners and names keep their case,
as the hosts do).
"""

from __future__ import annotations

import hashlib
import ipaddress
import string
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import quote, unquote

from kg.normalize import name_key, slugify, title_key
from kg.settings import DEFAULT_BASE_IRI, normalise_base

#: The kinds of resource the project mints, by their first path segment.
KINDS: dict[str, str] = {
    "author": "author",
    "paper": "paper",
    "repo": "repository",
    "venue": "venue",
    "subject": "subject",
    "org": "organization",
    "profile": "profile",
    "graph": "graph",
    "decision": "decision",
}

IDENTITY_GRAPH_NAME = "_identity"
#: History graphs (kg.pipeline.history) are ``graph/_history/{source}/{date}``: a source name
#: is one percent-encoded path segment, so no source graph can look like one.
HISTORY_GRAPH_NAME = "_history"


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


@lru_cache(maxsize=131072)
def _author_slug(key: str) -> str:
    return slugify(key, max_length=120) or "x-" + _short_hash(key)


@lru_cache(maxsize=131072)
def _paper_slug(key: str) -> str:
    slug = slugify(key, max_length=60)
    return f"{slug + '-' if slug else ''}{_short_hash(key)}"


_HEX = frozenset(string.hexdigits)
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = "!$&'()*+,;="
# What each part of an IRI (RFC 3987) may hold besides iunreserved and %XX.
_USERINFO = _UNRESERVED | frozenset(_SUB_DELIMS + ":")
_HOST = _UNRESERVED | frozenset(_SUB_DELIMS)
_PATH = _UNRESERVED | frozenset(_SUB_DELIMS + ":@/")
_QUERY = _UNRESERVED | frozenset(_SUB_DELIMS + ":@/?")


def _ucschar(cp: int) -> bool:
    """RFC 3987 ``ucschar``: the non-ASCII characters an IRI may hold as they are."""
    if cp < 0x10000:
        return 0xA0 <= cp <= 0xD7FF or 0xF900 <= cp <= 0xFDCF or 0xFDF0 <= cp <= 0xFFEF
    return (cp & 0xFFFF) <= 0xFFFD and cp < 0xF0000 and not 0xE0000 <= cp < 0xE1000


def _iprivate(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or (cp >= 0xF0000 and (cp & 0xFFFF) <= 0xFFFD)


def _escape(text: str, allowed: frozenset[str], *, private: bool = False) -> str:
    """``text`` with every character an IRI part may not hold percent-encoded (UTF-8).

    A ``%`` stays only when two hex digits follow it (an escape already made);
    a bare one becomes ``%25``. One pass: linear in the text.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            out.append(text[i : i + 3])
            i += 3
            continue
        cp = ord(ch)
        if ch in allowed or (cp >= 0xA0 and (_ucschar(cp) or (private and _iprivate(cp)))):
            out.append(ch)
        else:
            # surrogatepass: a lone surrogate (undecodable input) still becomes ASCII escapes.
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        i += 1
    return "".join(out)


def _ipv6(text: str) -> bool:
    if not text.isascii() or "%" in text:  # no zone identifiers: IRIs have none
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def escape_url(url: str) -> str | None:
    """An absolute http(s) URL from free text as a valid IRI, or None if it is not one.

    Valid by construction: each part (user, host, port, path, query, fragment) keeps
    only what RFC 3987 allows it and percent-encodes the rest, so a bare ``%``, ``%zz``,
    ``[`` or ``]`` outside an IPv6 host, a second ``#``, spaces, controls and
    non-characters (U+FFFD, U+FFFE) are escaped; a port that is not digits is escaped
    into the host. Nothing is dropped but a URL that does not start ``http(s)://``.

    >>> escape_url("https://example.org/acc=95% here#a#b")
    'https://example.org/acc=95%25%20here#a%23b'
    """
    for scheme in ("http://", "https://"):
        if url.startswith(scheme):
            break
    else:
        return None
    rest = url[len(scheme) :]
    end = len(rest)
    for stop in "/?#":
        found = rest.find(stop, 0, end)
        if found >= 0:
            end = found
    authority, rest = rest[:end], rest[end:]
    rest, hashmark, fragment = rest.partition("#")
    path, question, query = rest.partition("?")
    userinfo, at, hostport = authority.rpartition("@")
    host, port = hostport, ""
    inside, bracket, after = hostport[1:].partition("]")
    if (
        hostport.startswith("[")
        and bracket
        and _ipv6(inside)
        and (not after or (after[0] == ":" and after[1:].isascii() and after[1:].isdigit()))
    ):
        host_text = f"[{inside}]"
        port = after
    else:
        name, colon, digits = hostport.rpartition(":")
        if colon and digits.isascii() and digits.isdigit():
            host, port = name, ":" + digits
        host_text = _escape(host, _HOST)
    return (
        scheme
        + (_escape(userinfo, _USERINFO) + "@" if at else "")
        + host_text
        + port
        + _escape(path, _PATH)
        + (question + _escape(query, _QUERY, private=True))
        + (hashmark + _escape(fragment, _QUERY))
    )


@dataclass(frozen=True, slots=True)
class IriScheme:
    """Mints IRIs under ``base``: ``IriScheme("https://kg.example.org/").author("Weiran Huang")``."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        base = normalise_base(self.base)
        if escape_url(base) != base:  # every IRI minted under it must be valid
            raise ValueError(f"base IRI must be a valid IRI (escape it), got {base!r}")
        object.__setattr__(self, "base", base)

    def author(self, name: str) -> str:
        return self.author_from_key(name_key(name))

    def author_from_key(self, key: str) -> str:
        return f"{self.base}author/{_author_slug(key)}"

    def paper(self, title: str) -> str:
        return self.paper_from_key(title_key(title))

    def paper_from_key(self, key: str) -> str:
        return f"{self.base}paper/{_paper_slug(key)}"

    def repository(self, host: str, owner: str, name: str) -> str:
        parts = (quote(host.lower(), safe=""), quote(owner, safe=""), quote(name, safe=""))
        return f"{self.base}repo/" + "/".join(parts)

    def venue(self, name: str) -> str:
        return f"{self.base}venue/{slugify(name) or _short_hash(name)}"

    def subject_scheme(self) -> str:
        return f"{self.base}subject/"

    def subject(self, code: str) -> str:
        return f"{self.base}subject/{quote(code, safe='')}"

    def organization(self, tag: str) -> str:
        return f"{self.base}org/{slugify(tag) or _short_hash(tag)}"

    def profile(self, source: str) -> str:
        return f"{self.base}profile/{quote(source, safe='')}"

    def graph(self, source: str) -> str:
        return f"{self.base}graph/{quote(source, safe='')}"

    def identity_graph(self) -> str:
        return self.graph(IDENTITY_GRAPH_NAME)

    def history_graphs(self) -> str:
        """The common prefix of every history graph (see :mod:`kg.pipeline.history`)."""
        return f"{self.base}graph/{HISTORY_GRAPH_NAME}/"

    def history_graph(self, source: str, day: date) -> str:
        """The graph that keeps ``source``'s snapshot of ``day`` once a later one replaced it."""
        return f"{self.history_graphs()}{quote(source, safe='')}/{day.isoformat()}"

    def history_head(self, source: str) -> str:
        """The history graph of what the current snapshot of ``source`` needs to be dated:
        since when its content is current (``prov:generatedAtTime``)."""
        return f"{self.history_graphs()}{quote(source, safe='')}"

    def archived_snapshot(self, source: str, day: date) -> str:
        return self.history_graph(source, day) + "#snapshot"

    def decision(self, key: str) -> str:
        return f"{self.base}decision/{_short_hash(key)}{_short_hash('x' + key)}"

    def parser_agent(self, version: str) -> str:
        return f"{self.base}agent/kg-parser/{quote(version, safe='')}"

    def source_of_graph(self, graph_iri: str) -> str | None:
        """The source name a graph IRI stands for, or None if it is not one of ours."""
        prefix = f"{self.base}graph/"
        if not graph_iri.startswith(prefix):
            return None
        rest = graph_iri[len(prefix) :]
        if rest.startswith(HISTORY_GRAPH_NAME + "/"):
            return None  # a history graph, not a source's
        name = unquote(rest)
        return None if name == IDENTITY_GRAPH_NAME else name

    def kind_of(self, iri: str) -> str | None:
        """Which kind of resource an IRI under this base names, if any."""
        if not iri.startswith(self.base):
            return None
        head = iri[len(self.base) :].split("/", 1)[0]
        return KINDS.get(head)

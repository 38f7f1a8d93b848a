"""A small lexical scan of SPARQL text: what a request asks for before it runs.

pyoxigraph exposes no parsed algebra, yet the endpoint must know some things
before executing: the query form (to negotiate a result format), whether the
query names its own dataset (``FROM`` / ``FROM NAMED``), and every ``SERVICE``
and ``LOAD`` target (which would make the server open HTTP connections). The
scan skips comments, string literals and IRIs exactly as the SPARQL grammar
delimits them, so a keyword inside a string or an IRI is not mistaken for one,
and ``ex:SERVICE`` or ``?service`` are names, not keywords.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-\u00C0-\uFFFF%\\:.]*[\w\-\u00C0-\uFFFF%:])?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_KEYWORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str


@dataclass(slots=True)
class Features:
    """What the scan found. ``services`` holds each SERVICE target IRI, or None
    for a variable target; ``loads`` each LOAD source IRI."""

    form: str | None = None
    is_update: bool = False
    has_from: bool = False
    services: list[str | None] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None


def tokens(text: str) -> list[Token]:
    """Significant tokens (no whitespace or comments)."""
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        out.append(Token(kind, match.group()))
    return out


def _resolve(tok: Token, prefixes: dict[str, str]) -> str | None:
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
        return tok.text
    return None


def scan(text: str) -> Features:
    """Scan a query or update. Never raises: malformed text is the engine's to reject."""
    features = Features()
    toks = tokens(text)
    depth = 0
    for index, tok in enumerate(toks):
        if tok.kind == "other":
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            continue
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        following = toks[index + 1] if index + 1 < len(toks) else None
        if (
            word == "PREFIX"
            and following is not None
            and following.kind == "pname"
            and index + 2 < len(toks)
        ):
            target = toks[index + 2]
            if target.kind == "iri":
                features.prefixes[following.text.rstrip(":").split(":")[0]] = target.text[1:-1]
        elif word == "BASE" and following is not None and following.kind == "iri":
            features.base = following.text[1:-1]
        elif word in QUERY_FORMS and features.form is None and depth == 0:
            features.form = word
        elif word in UPDATE_KEYWORDS and depth == 0 and features.form is None:
            features.is_update = True
            if word == "LOAD":
                # LOAD [SILENT] <iri> [INTO GRAPH <g>]
                position = index + 1
                if position < len(toks) and toks[position].text.upper() == "SILENT":
                    position += 1
                if position < len(toks):
                    features.loads.append(
                        _resolve(toks[position], features.prefixes) or toks[position].text
                    )
        elif word == "FROM" and depth == 0:
            features.has_from = True
        elif word == "SERVICE":
            position = index + 1
            if position < len(toks) and toks[position].text.upper() == "SILENT":
                position += 1
            service_target = toks[position] if position < len(toks) else None
            if service_target is None or service_target.kind == "var":
                features.services.append(None)
            else:
                features.services.append(
                    _resolve(service_target, features.prefixes) or service_target.text
                )
    return features


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` span replaced (spans must not overlap)."""
    out: list[str] = []
    last = 0
    for start, end, replacement in sorted(edits):
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


def where_starts(text: str) -> list[int]:
    """The offsets just after each ``{`` that opens a query's WHERE group: the outermost
    query's and every subquery's. That is the first ``{`` after ``WHERE``, or, where the
    keyword is left out, after ``SELECT``/``ASK``/``DESCRIBE`` (a CONSTRUCT template's braces
    come before ``WHERE`` and are not taken)."""
    found: list[int] = []
    pending = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        value = match.group()
        if kind == "word" and value.upper() in ("SELECT", "ASK", "DESCRIBE", "WHERE"):
            pending = True
        elif kind == "other" and value == "{" and pending:
            found.append(match.end())
            pending = False
    return found


def with_values(text: str, bindings: Mapping[str, Any]) -> str:
    """The query with a ``VALUES`` block for ``bindings`` (variable name -> pyoxigraph term)
    at the start of its WHERE group and of every subquery's: a query to read and run
    elsewhere (the query page) that answers as the query run with those substitutions
    does (pyoxigraph binds a substituted variable in subqueries too). Terms are written
    in their N-Triples form (``str()`` of a pyoxigraph term), which escapes them; the text
    is returned unchanged when there is nothing to bind or no WHERE group is found.
    """
    if not bindings:
        return text
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    block = f" VALUES ({names}) {{ ({terms}) }}"
    return apply_edits(text, [(at, at, block) for at in where_starts(text)])

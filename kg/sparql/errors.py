"""SPARQL syntax errors people can read.

The engine's parser reports what its grammar expected at the place it stopped:
for an undeclared prefix that is every Unicode range a name may continue with,
and for a misspelt ``SELEC`` the last alternative it tried ("expected
CONSTRUCT"). :func:`readable` turns the common cases into one line that names
the place (line and column) and what to do:

* an undeclared prefix: the ``PREFIX`` line to add when the prefix is one of
  ours (:data:`kg.rdf.namespace.PREFIXES`) or a well-known one, and, as ``kg
  query`` declares ours by itself, that a query copied from there needs it;
* a query that does not start with a query form: the forms, and the nearest one;
* a query that ends inside ``{``: how many braces are left open;
* anything else: the parser's own words, its list of alternatives shortened and
  its character ranges left out.

Linear in the text (one pass of :func:`kg.sparql.text.tokens`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from kg.rdf.namespace import PREFIXES
from kg.sparql.text import QUERY_FORMS, UPDATE_KEYWORDS, Token, scan, tokens

#: Prefixes people use without thinking of them, beside ours, with their usual IRIs.
WELL_KNOWN_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": "http://purl.org/ontology/bibo/",
    "void": "http://rdfs.org/ns/void#",
}
#: Alternatives of the parser's list shown before "and N more".
SHOWN_ALTERNATIVES = 8

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _at(line: int, column: int) -> str:
    return f"line {line}, column {column}"


def _undeclared(
    text: str, toks: list[Token], predeclared: Mapping[str, str] | None
) -> tuple[Token, str] | None:
    declared = dict(predeclared or {})
    declared.update(scan(text).prefixes)
    for index, tok in enumerate(toks):
        if tok.kind != "pname":
            continue
        prefix = tok.text.partition(":")[0]
        previous = toks[index - 1] if index else None
        if previous is not None and previous.kind == "word" and previous.text.upper() == "PREFIX":
            continue
        if prefix not in declared:
            return tok, prefix
    return None


def _prefix_message(text: str, tok: Token, prefix: str, predeclared: bool) -> str:
    where = _at(*_line_column(text, tok.start))
    message = f'{where}: the prefix "{prefix}:" (in {tok.text}) is not declared'
    iri = PREFIXES.get(prefix) or WELL_KNOWN_PREFIXES.get(prefix)
    if iri is None:
        return message + f"; add a line PREFIX {prefix}: <...> with its namespace IRI"
    message += f"; add the line PREFIX {prefix}: <{iri}>"
    if prefix in PREFIXES and not predeclared:
        message += (
            " (`kg query` declares the project's prefixes by itself; /sparql and the query "
            "page do not, so a query copied from there needs its PREFIX lines)"
        )
    return message


def _first_word(toks: list[Token]) -> Token | None:
    """The first token after the PREFIX and BASE lines."""
    index = 0
    while index < len(toks):
        tok = toks[index]
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "PREFIX":
            index += 3
        elif word == "BASE":
            index += 2
        else:
            return tok
    return None


def _form_message(text: str, tok: Token, update: bool) -> str | None:
    expected = UPDATE_KEYWORDS if update else QUERY_FORMS
    if tok.kind == "word" and tok.text.upper() in expected | QUERY_FORMS | UPDATE_KEYWORDS:
        return None
    what = "an update" if update else "a query"
    choices = (
        "INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD or WITH"
        if update
        else "SELECT, CONSTRUCT, ASK or DESCRIBE"
    )
    message = (
        f'{_at(*_line_column(text, tok.start))}: "{tok.text[:40]}" does not start {what}; '
        f"after its PREFIX and BASE lines, {what} starts with {choices}"
    )
    close = difflib.get_close_matches(tok.text.upper(), sorted(expected), n=1, cutoff=0.6)
    if close:
        message += f" (did you mean {close[0]}?)"
    return message


def _unclosed(text: str, toks: list[Token], line: int, column: int) -> str | None:
    open_braces = sum(
        1 if t.text == "{" else -1 for t in toks if t.kind == "other" and t.text in "{}"
    )
    last_line, last_column = _line_column(text, len(text.rstrip()))
    if open_braces <= 0 or (line, column) < (last_line, last_column):
        return None
    braces = "brace" if open_braces == 1 else "braces"
    return f'{_at(line, column)}: the text ends with {open_braces} "{{" {braces} not closed by "}}"'


def _shortened(detail: str) -> str:
    """The parser's message on one line, its character ranges left out, its list cut short."""
    detail = " ".join(detail.split())
    if detail == "expected [_]":  # the parser's "any character": it stopped reading here
        return "the text cannot be read from here on"
    head, found, rest = detail.partition("expected one of ")
    if not found:
        return detail
    alternatives = [a.strip() for a in re.split(r",\s*(?![^\[]*\])", rest) if a.strip()]
    words = [a for a in alternatives if not a.startswith("[") and a != "Prefix not found"]
    if len(words) < len(alternatives):
        words.append("a name")
    shown = ", ".join(words[:SHOWN_ALTERNATIVES])
    more = len(words) - SHOWN_ALTERNATIVES
    return f"{head}expected one of {shown}" + (f" and {more} more" if more > 0 else "")


def readable(
    text: str,
    message: str,
    *,
    predeclared: Mapping[str, str] | None = None,
    update: bool = False,
) -> str:
    """One line saying where ``text`` is malformed and what to do, from the parser's ``message``.

    ``predeclared`` are the prefixes the caller declared for the query (``kg query``
    declares :data:`~kg.rdf.namespace.PREFIXES`); ``update`` says the text was run as
    an update.

    >>> readable("ASK { ?s ex:p ?o }", "error at 1:12: expected one of Prefix not found")
    'line 1, column 10: the prefix "ex:" (in ex:p) is not declared; add a line PREFIX ex: <...> with its namespace IRI'
    >>> readable("SELEC * { }", "error at 1:10: expected CONSTRUCT")
    'line 1, column 1: "SELEC" does not start a query; after its PREFIX and BASE lines, a query starts with SELECT, CONSTRUCT, ASK or DESCRIBE (did you mean SELECT?)'
    """
    match = _POSITION.match(message.strip())
    if match is None:
        return " ".join(message.split())
    line, column, detail = int(match[1]), int(match[2]), match[3]
    toks = tokens(text)
    if "Prefix not found" in detail:
        found = _undeclared(text, toks, predeclared)
        if found is not None:
            return _prefix_message(text, *found, predeclared=bool(predeclared))
    first = _first_word(toks)
    if first is not None:
        form = _form_message(text, first, update)
        if form is not None:
            return form
    unclosed = _unclosed(text, toks, line, column)
    if unclosed is not None:
        return unclosed
    return f"{_at(line, column)}: {_found(text, toks, line, column)}{_shortened(detail)}"


def _found(text: str, toks: list[Token], line: int, column: int) -> str:
    """What stands at the parser's position (its columns count characters), as "near X; "."""
    lines = text.split("\n")
    if line > len(lines):
        return ""
    offset = sum(len(part) + 1 for part in lines[: line - 1]) + column - 1
    for tok in toks:
        if tok.end > offset:
            return f'near "{tok.text[:40]}": '
    return ""  # the parser read to the end before it gave up: no better place to show

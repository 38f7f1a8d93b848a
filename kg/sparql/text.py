"""A small lexical scan of SPARQL text: what a request asks for before it runs.

pyoxigraph exposes no parsed algebra, yet the endpoint must know some things
before executing: the query form (to negotiate a result format), whether the
query names its own dataset (``FROM`` / ``FROM NAMED``), and every ``SERVICE``
and ``LOAD`` target (which would make the server open HTTP connections). The
scan skips comments, string literals and IRIs exactly as the SPARQL grammar
delimits them, so a keyword inside a string or an IRI is not mistaken for one,
and ``ex:SERVICE`` or ``?service`` are names, not keywords.

This is the project's only SPARQL tokeniser (:func:`lex`); the safety rules
built on it are in :mod:`kg.sparql.guard`, the VALUES rewriting in
:mod:`kg.sparql.values`.

Linear time, whatever the text: the text comes from anonymous HTTP clients and
is scanned in the HTTP thread, where no query timeout applies. A regular
expression with alternatives that can fail after a long scan (an unterminated
string, a prefix without its colon) rescans the same characters from the next
position, which made a 64 KB run of ``'\\`` pairs cost 23 s. Here every
primitive regular expression is one character-class run that matches what it
scans (no backtracking over it), and the two scans that can fail after reading
far ahead remember what they learnt:

* a string body's scan depends only on its position, so the stop positions of
  a failed scan are remembered per kind of string, and a later scan that
  reaches one of them fails at once;
* a prefix run that ended without a colon ends at the same place from any later
  start inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urljoin

#: The tokens whose regular expression cannot fail after reading far ahead, or fails only
#: on a stretch that no later attempt reads again; everything else is a "hard" character,
#: taken by :class:`_Lexer`. A name is tried here only at the start of a run of name
#: characters, and a string only when it has no escape and no inner quote.
_EASY = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)(?![\w.\-\u00B7\u00C0-\uFFFF:])
  | (?P<pname>(?<![\w.\-\u00B7\u00C0-\uFFFF])(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*+)?+
               :(?:[\w\-\u00C0-\uFFFF%\\:.]*[\w\-\u00C0-\uFFFF%:])?)
  | (?P<string>(?!'{3})'[^'\\\n\r]*'|(?!"{3})"[^"\\\n\r]*")
  | (?P<other>[^'"A-Za-z_:\u00C0-\uFFFF])
  | (?P<hard>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# Why each is linear: a failed IRI stops at the next '<' or other excluded character, where
# the next attempt starts; a failed string stops at its next quote, backslash or line break;
# a word is tried once per run of word characters, a prefixed name once per run of name
# characters (the look-behind), and a failure of either is a hard character.
_PNAME_START = re.compile(r"[A-Za-z\u00C0-\uFFFF]")
_PREFIX_RUN = re.compile(r"[\w.\-\u00B7\u00C0-\uFFFF]*")
_LOCAL_RUN = re.compile(r"[\w\-\u00C0-\uFFFF%\\:.]*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The characters a string body of each kind skips in one run (what is not a quote,
#: a backslash or, in a short string, a line break).
_STRING_RUN = {
    "'''": re.compile(r"[^'\\]*"),
    '"""': re.compile(r'[^"\\]*'),
    "'": re.compile(r"[^'\\\n\r]*"),
    '"': re.compile(r'[^"\\\n\r]*'),
}


def _run_end(run: re.Pattern[str], text: str, position: int) -> int:
    """Where a run of ``run``'s characters (a ``[...]*`` pattern) starting at ``position`` ends."""
    match = run.match(text, position)
    return match.end() if match is not None else position


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


class Token(NamedTuple):
    """One token: its kind, its text and where it is (``text[start:end]``)."""

    kind: str
    text: str
    start: int
    end: int


#: Token kinds that separate tokens and mean nothing else.
_LAYOUT = frozenset({"ws", "comment"})


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        #: Per kind of string: the stop positions of body scans known to fail.
        self.failed: dict[str, set[int]] = {}
        #: (start, end) of the last prefix run that ended without a colon.
        self.prefix_run = (-1, -1)

    def string_end(self, start: int, kind: str) -> int:
        """End of the string whose body starts at ``start``, or -1 if it is not closed."""
        text, n = self.text, len(self.text)
        quote, long = kind[0], len(kind) == 3
        run = _STRING_RUN[kind]
        failed = self.failed.setdefault(kind, set())
        stops: list[int] = []
        position = start
        end = -1
        while True:
            stop = _run_end(run, text, position)
            if stop in failed:
                break
            stops.append(stop)
            if stop >= n:
                break
            char = text[stop]
            if char == "\\":
                if stop + 1 >= n:
                    break
                position = stop + 2
            elif char == quote:
                if not long:
                    end = stop + 1
                    break
                if text.startswith(kind, stop):
                    end = stop + 3
                    break
                position = stop + 1
            else:  # a line break in a short string
                break
        if end < 0:
            failed.update(stops)
        return end

    def pname_end(self, start: int) -> int:
        """End of the prefixed name at ``start``, or -1 if there is none."""
        text = self.text
        position = start
        if text[start] != ":":
            if not _PNAME_START.match(text, start):
                return -1
            run_start, run_end = self.prefix_run
            if run_start < start < run_end:
                return -1  # inside a run already known to end without a colon
            position = _run_end(_PREFIX_RUN, text, start + 1)
            if position >= len(text) or text[position] != ":":
                self.prefix_run = (start, position)
                return -1
        # The local part: a run of its characters, ending with one that may end a name.
        local_end = _run_end(_LOCAL_RUN, text, position + 1)
        while local_end > position + 1 and text[local_end - 1] in ".\\":
            local_end -= 1
        return local_end

    def hard(self, position: int) -> tuple[str, int]:
        """The kind and end of the token at ``position``, by hand."""
        text = self.text
        char = text[position]
        if char in "'\"":
            long = char * 3
            closed = -1
            if text.startswith(long, position):
                closed = self.string_end(position + 3, long)
            if closed < 0:
                closed = self.string_end(position + 1, char)
            return ("string", closed) if closed >= 0 else ("other", position + 1)
        closed = self.pname_end(position)
        if closed >= 0:
            return "pname", closed
        word = _WORD.match(text, position)
        return ("word", word.end()) if word is not None else ("other", position + 1)

    def tokens(self, skipped: frozenset[str] = frozenset()) -> Iterator[Token]:
        text, n = self.text, len(self.text)
        position = 0
        while position < n:
            for match in _EASY.finditer(text, position):
                kind = match.lastgroup
                if kind != "hard":
                    if kind not in skipped:
                        yield Token(kind or "other", match.group(), match.start(), match.end())
                    continue
                start = match.start()
                kind, position = self.hard(start)
                yield Token(kind, text[start:position], start, position)
                break
            else:
                return


def lex(text: str) -> Iterator[Token]:
    """Every token of ``text`` in order, whitespace and comments included, with positions.

    Never raises and takes time linear in ``len(text)``: what is no token of
    SPARQL (an unclosed string, a stray character) comes out one character at a
    time as ``other``.

    >>> [(t.kind, t.text) for t in lex("ASK { ?s ex:p 'x' }")][:5]
    [('word', 'ASK'), ('ws', ' '), ('other', '{'), ('ws', ' '), ('var', '?s')]
    """
    return _Lexer(text).tokens()


def tokens(text: str) -> list[Token]:
    """Significant tokens (no whitespace or comments), with positions."""
    return list(_Lexer(text).tokens(_LAYOUT))


@dataclass(slots=True)
class Features:
    """What the scan found. (SERVICE and LOAD are :mod:`kg.sparql.guard`'s to find.)"""

    form: str | None = None
    is_update: bool = False
    has_from: bool = False
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None


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
        elif word == "FROM" and depth == 0:
            features.has_from = True
    return features


_PNAME_ESCAPE = re.compile(r"\\(.)")


def _expand(token: Token, prefixes: Mapping[str, str], base_iri: str | None) -> str | None:
    """The absolute IRI an ``iri`` or ``pname`` token names, or None when it cannot be told."""
    if token.kind == "iri":
        return urljoin(base_iri, token.text[1:-1]) if base_iri else token.text[1:-1]
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix not in prefixes:
            return None
        return prefixes[prefix] + _PNAME_ESCAPE.sub(r"\1", local)
    return None


def declared_dataset(
    text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]] | None:
    """The graphs a query's own ``FROM`` and ``FROM NAMED`` clauses name, as absolute IRIs:
    ``(default graphs, named graphs)``, or None when it names none, or names one the scan
    cannot resolve (an undeclared prefix: the engine then reports the error).

    ``prefixes`` are those offered without PREFIX lines (the query's own win).

    >>> declared_dataset("SELECT * FROM <http://e/a> FROM NAMED <b> {}", base_iri="http://e/")
    (['http://e/a'], ['http://e/b'])
    """
    found = scan(text)
    if not found.has_from:
        # Most queries name no graph: one pass over the text, not two (this runs for every
        # query a query process answers).
        return None
    toks = tokens(text)
    known = dict(prefixes or {})
    known.update(found.prefixes)
    defaults: list[str] = []
    named: list[str] = []
    depth = 0
    for index, tok in enumerate(toks):
        if tok.kind == "other" and tok.text in "{}":
            depth += 1 if tok.text == "{" else -1
        if depth or tok.kind != "word" or tok.text.upper() != "FROM" or index + 1 >= len(toks):
            continue
        target, into = toks[index + 1], defaults
        if target.kind == "word" and target.text.upper() == "NAMED" and index + 2 < len(toks):
            target, into = toks[index + 2], named
        iri = _expand(target, known, base_iri)
        if iri is None:
            return None
        into.append(iri)
    return (defaults, named) if defaults or named else None


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
    for token in tokens(text):
        if token.kind == "word" and token.text.upper() in ("SELECT", "ASK", "DESCRIBE", "WHERE"):
            pending = True
        elif token.kind == "other" and token.text == "{" and pending:
            found.append(token.end)
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

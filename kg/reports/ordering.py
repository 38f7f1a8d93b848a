"""A whole-graph report's stored rows ordered in Python, not by the store's ``ORDER BY``.

The precompute runs each whole-graph report once per store version and keeps all its rows
(:mod:`kg.reports.precompute`). Oxigraph's ``ORDER BY`` over a large answer costs far more
than the sort itself: its sort evaluates the order conditions on each comparison, reading a
string back from the store each time (``sort_unstable_by`` in spareval's ``eval.rs`` up to
0.5.9 at least; upstream commit 5507799d of 2026-08-22, "compute ordering vector only once",
changes that, in no release this project uses yet). At a million papers the organizations
report took 82.7 CPU s without its ``ORDER BY ?org_name DESC(?date) ?paper_title`` and 137.5
with it; at 100k papers, the
stored answer of papers-listed-since 33.4 against 68.7 (docs/benchmark.md). So the
precompute runs the query without its last ``ORDER BY`` (:func:`split_order_by`) and orders
the TSV lines it gets back here (:func:`sort_tsv`), in SPARQL's order as Oxigraph applies it
(``cmp_terms`` in spareval): unbound, then blank nodes, then IRIs (by their text), then
literals; plain strings by their text (code points, which is how UTF-8 bytes compare),
integers and decimals by value, plain ``xsd:date`` values (YYYY-MM-DD) by date.

Where that order cannot be reproduced with certainty it says so (None), and the precompute
runs the query as written: an order condition that is an expression (``LCASE(?x)``) or a
variable the answer does not show, a ``LIMIT`` or ``OFFSET`` after it, a cell of another
kind (a language-tagged string, a double, a date with a time zone, a number beyond
Oxigraph's own integers and decimals, which it compares as text), or literals of two
kinds in one column (Oxigraph then falls back to comparing lexical forms and datatypes).

Rows that tie on every condition come in an order SPARQL leaves open, and Oxigraph's sort
is not stable; here they are ordered by their whole line, so a stored answer is the same
from one precompute to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_ORDER_BY = re.compile(rb"\bORDER\s+BY\b", re.IGNORECASE)
_CONDITION = re.compile(rb"\s*(?:(ASC|DESC)\s*\(\s*[?$](\w+)\s*\)|[?$](\w+))", re.IGNORECASE)
_COMMENT = re.compile(rb"#[^\n]*")

#: Numbers that Oxigraph compares by value: an integer of 18 digits at most (its integers are
#: 64-bit), a decimal of at most 18 digits on each side of the point (its decimals have 18
#: fraction digits and stop near 1.7e20). Others it compares by their text, as this does not.
_INTEGER = re.compile(rb"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(rb"[+-]?[0-9]{0,18}\.[0-9]{1,18}")
#: A whole decimal is written quoted ("1"^^xsd:decimal: a bare 1 would read as an integer).
_WHOLE_DECIMAL = re.compile(
    rb'"([+-]?[0-9]{1,18})"\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>'
)
_PLAIN_DATE = re.compile(rb'"[0-9]{4}-[0-9]{2}-[0-9]{2}"')
_XSD_DATE_SUFFIX = b"^^<http://www.w3.org/2001/XMLSchema#date>"
_ESCAPES = {b"t": b"\t", b"n": b"\n", b"r": b"\r", b'"': b'"', b"\\": b"\\"}
_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class OrderCondition:
    """One condition of an ``ORDER BY``: a projected variable, ascending or descending."""

    variable: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SplitQuery:
    """A query as the precompute runs it: without its ``ORDER BY``, and that order."""

    unsorted: str
    order: tuple[OrderCondition, ...]


def split_order_by(query: str) -> SplitQuery | None:
    """The query without its final ``ORDER BY`` of plain variables, and those conditions.

    None where the query ends otherwise: no ``ORDER BY`` after its last ``}``, a condition
    that is an expression, or anything after the conditions (``LIMIT``, ``OFFSET``,
    ``VALUES``), or a string or an IRI after the last ``}`` (a ``}`` inside a comment or a
    string there would hide the real end of the WHERE clause). Comments there are dropped.

    >>> split = split_order_by("SELECT ?a ?b WHERE { ?a <p> ?b } ORDER BY DESC(?b) ?a")
    >>> split.unsorted, [(c.variable, c.descending) for c in split.order]
    ('SELECT ?a ?b WHERE { ?a <p> ?b } ', [('b', True), ('a', False)])
    >>> split_order_by("SELECT ?a WHERE { ?a <p> ?b } ORDER BY LCASE(?a)") is None
    True
    >>> split_order_by("SELECT ?a WHERE { ?a <p> ?b } ORDER BY ?a LIMIT 10") is None
    True
    """
    text = query.encode("utf-8")
    # The last "}" ends the WHERE clause (or a subquery's, when the outer query has none of
    # its own after it: then what follows is not a plain ORDER BY, and no split is made).
    end = text.rfind(b"}")
    if end < 0:
        return None
    # Comments first: a string or an IRI keeps its opening mark when a "#" inside it is taken
    # for a comment, so what follows still sees it.
    tail = _COMMENT.sub(b"", text[end + 1 :])
    if any(mark in tail for mark in (b'"', b"'", b"<")):
        return None  # a string or an IRI (in a HAVING): not a plain tail
    found = _ORDER_BY.search(tail)
    if found is None:
        return None
    rest = tail[found.end() :]
    conditions: list[OrderCondition] = []
    at = 0
    while True:
        condition = _CONDITION.match(rest, at)
        if condition is None:
            break
        direction, inner, bare = condition.groups()
        name = (inner or bare).decode("ascii")
        conditions.append(OrderCondition(name, (direction or b"").upper() == b"DESC"))
        at = condition.end()
    if not conditions or rest[at:].strip():
        return None
    unsorted = text[: end + 1] + tail[: found.start()]
    return SplitQuery(unsorted.decode("utf-8"), tuple(conditions))


class _Unordered(Exception):
    """A cell whose place in SPARQL's order is not reproduced here."""


def _unescape(value: bytes) -> bytes:
    if b"\\" not in value:
        return value
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), b"\\" + m.group(1)), value)


#: The kinds of literal a column may hold (one only: see sort_tsv).
_STRING, _DATE, _NUMBER = 1, 2, 3


def _cell_key(cell: bytes) -> tuple[int, bytes | int | Decimal]:
    """A TSV cell as (literal kind, key); keys of one column compare as Oxigraph's ORDER BY
    compares the terms, when its literals are of one kind. Every key but a number is bytes
    whose first byte is the term's class (unbound 0, blank node 1, IRI 2, literal 3); a
    number's class is a literal's. Raises _Unordered for a kind not reproduced here."""
    if not cell:
        return (0, b"\0")
    first = cell[:1]
    if first == b"_":
        return (0, b"\1" + cell[2:])
    if first == b"<":
        if cell.startswith(b"<<"):
            raise _Unordered  # a triple term (SPARQL 1.2): after literals in Oxigraph's order
        return (0, b"\2" + cell[1:-1])
    if first == b'"':
        if cell.endswith(b'"') and len(cell) >= 2:
            return (_STRING, b"\3" + _unescape(cell[1:-1]))
        if cell.endswith(_XSD_DATE_SUFFIX):
            lexical = cell[: -len(_XSD_DATE_SUFFIX)]
            if _PLAIN_DATE.fullmatch(lexical):
                return (_DATE, b"\3" + lexical)
        whole = _WHOLE_DECIMAL.fullmatch(cell)
        if whole is not None:
            return (_NUMBER, int(whole.group(1)))
        raise _Unordered
    if _INTEGER.fullmatch(cell):
        return (_NUMBER, int(cell))
    if _DECIMAL.fullmatch(cell):
        return (_NUMBER, Decimal(cell.decode("ascii")))
    raise _Unordered


def _numbers_with_others(keys: list[Any]) -> list[Any]:
    """A column of numbers and other terms as (class, key) pairs, which compare."""
    return [(key[0], key) if isinstance(key, bytes) else (3, key) for key in keys]


def sort_tsv(body: bytes, order: tuple[OrderCondition, ...]) -> bytes | None:
    """A SPARQL TSV results document with its rows in ``order``, ties by their whole line;
    None where that order is not SPARQL's for certain (see the module's docstring).

    >>> data = b'?n\\t?d\\n"b"\\t"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>\\n'
    >>> data += b'"a"\\t\\n"b"\\t"2021-01-01"^^<http://www.w3.org/2001/XMLSchema#date>\\n'
    >>> conditions = (OrderCondition("n"), OrderCondition("d", descending=True))
    >>> print(sort_tsv(data, conditions).decode().replace("\\t", "|"))
    ?n|?d
    "a"|
    "b"|"2021-01-01"^^<http://www.w3.org/2001/XMLSchema#date>
    "b"|"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>
    <BLANKLINE>
    >>> sort_tsv(b'?n\\n"a"@en\\n"b"@en\\n', (OrderCondition("n"),)) is None
    True
    """
    newline = body.find(b"\n")
    if newline < 0:
        return None
    header = body[:newline]
    variables = [v.lstrip(b"?$").decode("utf-8") for v in header.split(b"\t")] if header else []
    if any(c.variable not in variables for c in order):
        return None
    lines = body[newline + 1 :].split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        return None
    del body  # the lines hold the rows now (a stored answer may be hundreds of MB)
    columns = [variables.index(c.variable) for c in order]
    keys: list[list[Any]] = [[] for _ in columns]
    kinds: list[set[int]] = [set() for _ in columns]
    try:
        for line in lines:
            cells = line.split(b"\t")
            for column_keys, column_kinds, i in zip(keys, kinds, columns, strict=True):
                kind, key = _cell_key(cells[i])
                column_kinds.add(kind)
                column_keys.append(key)
    except (_Unordered, IndexError):
        return None
    for at, column_kinds in enumerate(kinds):
        # Literals of two kinds in one column: Oxigraph compares them otherwise.
        if len(column_kinds - {0}) > 1:
            return None
        if _NUMBER in column_kinds and 0 in column_kinds:
            keys[at] = _numbers_with_others(keys[at])
    # Python's sort is stable, so sorting by the last condition first gives the whole order
    # (reverse=True keeps ties in their order too).
    positions = sorted(range(len(lines)), key=lines.__getitem__)
    for column_keys, condition in reversed(list(zip(keys, order, strict=True))):
        positions.sort(key=column_keys.__getitem__, reverse=condition.descending)
    return b"\n".join([header, *(lines[p] for p in positions), b""])

"""One name per person in a report's rows: the fullest of its spellings.

A person's IRI carries one ``schema:name`` per spelling the pages wrote ("A. Brown",
"Alessandro Brown": identity resolution gave both one IRI). A report that joined every
spelling gave a row per spelling: at 10k papers top-authors-by-papers had 5,091 rows for
3,192 authors, each extra row repeating an author's counts under another spelling.

Reports name a person once, by **the longest spelling, then the greatest in code-point
order** (length and order of the name's text, any language tag left out): "Bruno Steven
von Braun" before "Bruno von Braun" and "B. von Braun", "Henry Söderberg" before "Henry
Soderberg" (one length, and "ö" is after "o"). The rule reads only the names, so every
report, engine and store (Oxigraph, Virtuoso, ...) picks the same one.

In a query it is the aggregate :data:`SPARQL` over the spellings, bound to ``?spelling``
(``SELECT ?person (SPARQL AS ?person_name) WHERE { ?person schema:name ?spelling } GROUP
BY ?person``): the maximum of the spelling prefixed with its length as nine digits, with the
prefix taken off again. Engines that read spellings in Python use :func:`preferred_name`, and
the server's entity pages and feeds name a person the same way.
tests/server/test_report_names.py checks that both agree, and that the queries use this
text.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The SPARQL aggregate over ``?spelling`` that gives :func:`preferred_name`'s answer for
#: names shorter than a billion characters (the length is written as 1000000000 + its
#: length, first digit dropped: nine digits, which order as the numbers do).
SPARQL = (
    "SUBSTR(MAX(CONCAT(SUBSTR(STR(1000000000 + STRLEN(STR(?spelling))), 2), STR(?spelling))), 10)"
)


def fullness(name: str) -> tuple[int, str]:
    """The key by which the fullest spelling is the greatest: its length, then its text.

    >>> max(["A. Brown", "Alessandro Brown"], key=fullness)
    'Alessandro Brown'
    """
    return len(name), name


def preferred_name(spellings: Iterable[str]) -> str | None:
    """The name a report gives a person with these spellings (None: it has none).

    >>> preferred_name(["B. von Braun", "Bruno Steven von Braun", "Bruno von Braun"])
    'Bruno Steven von Braun'
    >>> preferred_name(["Henry Soderberg", "Henry Söderberg"])
    'Henry Söderberg'
    >>> preferred_name([]) is None
    True
    """
    return max(spellings, key=fullness, default=None)

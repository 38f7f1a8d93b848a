"""Profile pages -> typed records (:mod:`kg.model`).

The first step of the pipeline (parse -> resolve -> map -> store -> serve).
It reads the plain-text profile pages described in
``shared/docs/PROFILE_FORMAT.md`` and imports no RDF library.

Bad input is data, never an exception: anything the parser cannot read
becomes a :class:`~kg.model.ParseFailure` with the 1-based physical line, the
raw text (at most ``RAW_LIMIT`` characters) and a reason, and the rest of the
page still parses. Only misuse of the API raises (``TypeError`` for a wrong
argument type, ``OSError`` from :func:`parse_file` when the file can't be read).

Entry points: :func:`parse_file`, :func:`parse_bytes`, :func:`parse_text`.
The building blocks (:func:`split_glued_line`, :func:`parse_author_line`,
:func:`extract_urls`, :func:`resolve_date`, :func:`infer_owner`) are public
so that they can be tested and reused one by one.

The modules, each importing only those before it: :mod:`~kg.parse.text` (bytes and
lines -> clean text), :mod:`~kg.parse.authors` (author lines, glued-line splits),
:mod:`~kg.parse.urls` (links in abstracts), :mod:`~kg.parse.header` (header, owner),
:mod:`~kg.parse.entries` (date lines and entries), :mod:`~kg.parse.api` (the entry points).

Example::

    >>> from datetime import date
    >>> page = "LGMar 2, 2023Code\\nA Fictional Study\\n\\nAda Quill, Bo Rennet\\n\\nCode: https://github.com/aq/fs."
    >>> p = parse_text(page, "demo.txt", as_of=date(2026, 11, 21))
    >>> p.papers[0].title, p.papers[0].authors, p.papers[0].repositories[0].url
    ('A Fictional Study', ('Ada Quill', 'Bo Rennet'), 'https://github.com/aq/fs')
"""

from __future__ import annotations

from kg.parse.api import PARSER_VERSION, parse_bytes, parse_file, parse_text
from kg.parse.authors import parse_author_line, split_glued_line
from kg.parse.entries import resolve_date
from kg.parse.header import infer_owner
from kg.parse.text import MAX_LINE_CHARS, RAW_LIMIT
from kg.parse.urls import extract_urls

__all__ = [
    "MAX_LINE_CHARS",
    "PARSER_VERSION",
    "RAW_LIMIT",
    "extract_urls",
    "infer_owner",
    "parse_author_line",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "resolve_date",
    "split_glued_line",
]

# doctest.testmod(kg.parse) finds only what is defined here; the public API lives in the
# modules below, so their examples are listed for it (tests/parse/test_api.py runs them).
__test__ = {name: globals()[name] for name in __all__ if callable(globals()[name])}

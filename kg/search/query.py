"""What a user types, as a tantivy query.

The grammar is small on purpose (a search box, not a query language):

* words, each matched in every text field, with typos forgiven by length
  (none up to 3 letters, one up to 7, two from 8);
* ``"quoted phrases"``, matched as phrases, without typos;
* in prefix mode (autocomplete), the last word also matches as a prefix.

Accents, case and hyphens are folded the way the index folds them
(:func:`fold`). Nothing the user types reaches tantivy's own query parser, so
there is no syntax to inject. A search text has at most :data:`MAX_QUERY_CHARS`
characters and 1 to :data:`MAX_TERMS` words as written (runs of ASCII letters and
digits or of any non-ASCII characters, whatever is around them); anything else raises
:class:`SearchQueryError` (400).
:data:`QUERY_PATTERN` says the same as a regular expression, for the OpenAPI
schema of ``q``: :func:`check` and the pattern accept exactly the same texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.errors import KGError
from kg.normalize import ascii_fold

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
_WORD = re.compile(r"\w+")
#: What separates the words a search is measured in: ASCII other than letters and digits.
#: Spelled out rather than ``\W``: Python's ``\w`` takes every script's letters, the
#: ECMA-262 ``\w`` of JSON Schema patterns only ASCII ones, so only an explicit class reads
#: the same in the server and in a client's validator. Non-ASCII characters are word
#: characters here, so that any script can be searched.
_SEPARATOR = r"\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f"
_WRITTEN_WORD = re.compile(rf"[^{_SEPARATOR}]+")
#: 1 to MAX_TERMS written words, anything between and around them: the OpenAPI pattern of
#: ``q``, which :func:`check` applies by counting. Linear: a word ends only where a
#: separator starts, so each has one way to match.
QUERY_PATTERN = (
    rf"^[{_SEPARATOR}]*[^{_SEPARATOR}]+"
    rf"(?:[{_SEPARATOR}]+[^{_SEPARATOR}]+){{0,{MAX_TERMS - 1}}}[{_SEPARATOR}]*$"
)
#: The reason a text outside QUERY_PATTERN is refused.
QUERY_RULE = (
    f"give 1 to {MAX_TERMS} words (letters or digits); quotes, hyphens and other signs "
    "alone are not words"
)
#: A word with inner hyphens or apostrophes (``Yi-Fan``, ``O'Brien``): matched as its parts or joined.
_COMPOUND = re.compile(r"\w+(?:[-'’‐‑]\w+)*")
_JOINERS = re.compile(r"[-'’‐‑]")
_PHRASE = re.compile(r'"([^"]*)"')


class SearchQueryError(KGError):
    status = 400
    type = "bad-search-query"
    title = "Bad search query"


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes inside words dropped: ``Yi-Fan`` -> ``yifan``.

    >>> fold("Renée Ødegård, Yi-Fan O'Brien")
    'renee odegard, yifan obrien'
    """
    text = ascii_fold(text).casefold()
    return re.sub(r"(?<=\w)[-'’‐‑](?=\w)", "", text)


def words(text: str) -> list[str]:
    """The index's tokens of ``text`` (folded words)."""
    return _WORD.findall(fold(text))


def compounds(text: str) -> list[tuple[str, ...]]:
    """Folded words, a hyphenated word as its parts: ``Yi-Fan Zhang`` -> ``[("yi", "fan"), ("zhang",)]``."""
    folded = ascii_fold(text).casefold()
    return [tuple(_JOINERS.split(match.group(0))) for match in _COMPOUND.finditer(folded)]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    #: Words to find; a hyphenated word is its parts (found as a phrase, or joined).
    terms: tuple[tuple[str, ...], ...]
    phrases: tuple[tuple[str, ...], ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.phrases


def check(text: str) -> None:
    """Refuse a text :data:`QUERY_PATTERN` (or :data:`MAX_QUERY_CHARS`) refuses, saying why.

    >>> check('"" * ~')
    Traceback (most recent call last):
    kg.search.query.SearchQueryError: the search has no word to look for (letters or digits)
    """
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    written = sum(1 for _ in _WRITTEN_WORD.finditer(text))
    if not written:
        raise SearchQueryError("the search has no word to look for (letters or digits)")
    if written > MAX_TERMS:
        raise SearchQueryError(f"the search has more than {MAX_TERMS} words")


def within_limits(text: str) -> str:
    """The text cut to the search's limits: its first :data:`MAX_QUERY_CHARS` characters,
    then its first :data:`MAX_TERMS` words (for callers that take longer texts, such as
    the search report, whose ``q`` may be a whole title).

    >>> within_limits("a b c " * 10)
    'a b c a b c a b c a b c a b c a'
    """
    text = text[:MAX_QUERY_CHARS]
    ends = [match.end() for match in _WRITTEN_WORD.finditer(text)]
    return text[: ends[MAX_TERMS - 1]] if len(ends) > MAX_TERMS else text


def parse(text: str) -> ParsedQuery:
    """Split user input into words and quoted phrases (validated by :func:`check`).

    The result is empty when no written word has a letter or digit (``—``, ``¿``): such a
    search finds nothing; it is not refused.

    >>> parse('fused "graph lasso" Ødegård Yi-Fan')
    ParsedQuery(terms=(('fused',), ('odegard',), ('yi', 'fan')), phrases=(('graph', 'lasso'),))
    """
    check(text)
    phrases: list[tuple[str, ...]] = []
    for match in _PHRASE.finditer(text):
        phrase = tuple(words(match.group(1)))
        if len(phrase) == 1 or phrase:
            phrases.append(phrase)
    rest = _PHRASE.sub(" ", text).replace('"', " ")
    return ParsedQuery(tuple(compounds(rest)), tuple(phrases))


def typo_distance(term: str) -> int:
    """Edits forgiven in a word: 0 up to 3 letters, 1 up to 7, 2 from 8."""
    if len(term) <= 3:
        return 0
    return 1 if len(term) <= 7 else 2

"""What a user types, as a tantivy query.

The grammar is small on purpose (a search box, not a query language):

* words, each matched in every text field, with typos forgiven by length
  (none up to 3 letters, one up to 7, two from 8);
* ``"quoted phrases"``, matched as phrases, without typos;
* in prefix mode (autocomplete), the last word also matches as a prefix.

Accents, case and hyphens are folded the way the index folds them
(:func:`fold`). Nothing the user types reaches tantivy's own query parser, so
there is no syntax to inject. Empty input, input with no word and input over
:data:`MAX_QUERY_CHARS` raise :class:`SearchQueryError` (400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.errors import KGError
from kg.normalize import ascii_fold

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
_WORD = re.compile(r"\w+")
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


def parse(text: str) -> ParsedQuery:
    """Split user input into words and quoted phrases (validated).

    >>> parse('fused "graph lasso" Ødegård Yi-Fan')
    ParsedQuery(terms=(('fused',), ('odegard',), ('yi', 'fan')), phrases=(('graph', 'lasso'),))
    """
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    phrases: list[tuple[str, ...]] = []
    for match in _PHRASE.finditer(text):
        phrase = tuple(words(match.group(1)))
        if len(phrase) == 1 or phrase:
            phrases.append(phrase)
    rest = _PHRASE.sub(" ", text).replace('"', " ")
    terms = tuple(compounds(rest))
    if sum(len(p) for p in (*terms, *phrases)) > MAX_TERMS:
        raise SearchQueryError(f"the search has more than {MAX_TERMS} words")
    parsed = ParsedQuery(terms, tuple(phrases))
    if parsed.is_empty:
        raise SearchQueryError("the search has no word to look for (letters or digits)")
    return parsed


def typo_distance(term: str) -> int:
    """Edits forgiven in a word: 0 up to 3 letters, 1 up to 7, 2 from 8."""
    if len(term) <= 3:
        return 0
    return 1 if len(term) <= 7 else 2

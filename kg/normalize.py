"""Deterministic string normalisation shared by identity and IRI minting.

These functions are pure and depend on nothing but the standard library, so a
key computed on one machine is the key on every machine.
"""

from __future__ import annotations

import re
import unicodedata

_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\*?")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Letters that NFKD does not decompose into an ASCII base letter.
_FOLD_EXTRA = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "ı": "i",
        "þ": "th",
        "Þ": "Th",
    }
)


def ascii_fold(text: str) -> str:
    """Drop diacritics: ``"Renée Ramírez-Núñez"`` -> ``"Renee Ramirez-Nunez"``."""
    if text.isascii():  # nothing to fold (the common case; the folding below is per character)
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def title_key(title: str) -> str:
    """The key under which two listings of a title are the same paper.

    Case, whitespace, punctuation, LaTeX commands and Unicode forms are
    ignored: ``"OTMatch: Improving  Semi-Supervised..."`` and
    ``"otmatch improving semi supervised..."`` share a key.
    """
    text = unicodedata.normalize("NFKC", title)
    text = _LATEX_COMMAND.sub(" ", text)
    text = ascii_fold(text).casefold()
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def name_key(name: str) -> str:
    """The key under which two spellings of a name are the same name string.

    Folds case, diacritics, hyphens and apostrophes inside a token and runs of
    spaces: ``"Yi-Fan Zhang"``, ``"Yifan Zhang"`` and ``"YIFAN  ZHANG"`` share
    ``"yifan zhang"``; ``"Renée"`` and ``"Renee"`` share ``"renee"``.
    Token order and initials are *not* folded: that takes evidence
    (see :mod:`kg.identity.resolve`).
    """
    text = ascii_fold(unicodedata.normalize("NFKC", name)).casefold()
    text = re.sub(r"(?<=\w)[-'’‐‑](?=\w)", "", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def slugify(text: str, max_length: int = 80) -> str:
    """A readable IRI path segment: ASCII letters, digits and single hyphens.

    Cut at a word boundary when longer than ``max_length``. May return ``""``
    for text with no letters or digits; callers add a hash then.
    """
    text = ascii_fold(unicodedata.normalize("NFKC", text)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0] or text[:max_length]
    return text

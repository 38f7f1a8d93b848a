"""The page header (name, category, metrics, paper count) and whose profile it is."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import Metrics, Owner, PaperEntry
from kg.parse.text import _collapse, _Line, _nfc

_CATEGORY = re.compile(r"[A-Z]{2,4}")
_INTC = r"(\d{1,3}(?:,\d{3})+|\d+)"
_H_INDEX = re.compile(r"h-?index\s*:?\s*(\d+)", re.IGNORECASE)
_PAPERS = re.compile(_INTC + r"(\s*)([Pp])apers?")
_CITATIONS = re.compile(_INTC + r"\s*citations?", re.IGNORECASE)
_NOVELTY = re.compile(r"novelty\s*:?\s*(\d+)\s*%", re.IGNORECASE)
_AI_SCORE = re.compile(r"ai\s*score\s*:?\s*(\d+)", re.IGNORECASE)
# A header name: letters, spaces, dots, hyphens, apostrophes; no digits.
_HEADER_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ .'\u2019-])*")


@dataclass(slots=True)
class _Header:
    name: str | None = None
    category: str | None = None
    metrics: Metrics | None = None
    count: int | None = None
    recognised: bool = False
    junk: list[list[_Line]] = field(default_factory=list)  # unrecognised blocks of lines


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def parse_header(lines: list[_Line]) -> _Header:
    """The lines before the first date line -> name, category, metrics, count, junk blocks."""
    h = _Header()
    values: dict[str, int] = {}
    metric_line = 0
    name_line: _Line | None = None
    junk: list[_Line] = []
    groups: list[list[_Line]] = []

    def flush() -> None:
        if junk:
            groups.append(junk.copy())
            junk.clear()

    def metric(key: str, value: int, number: int, text: str) -> None:
        nonlocal metric_line
        if key in values:
            junk.append((number, text))
            return
        values[key] = value
        metric_line = metric_line or number

    first = True
    for number, s in lines:
        if not s:
            continue
        t = _collapse(s)
        is_first, first = first, False
        if m := _H_INDEX.fullmatch(t):
            metric("h_index", int(m.group(1)), number, t)
        elif m := _PAPERS.fullmatch(t):
            # "15papers" is the metric, "15 Papers" the count line; variants go to
            # whichever is still free.
            is_count = m.group(2) != "" and m.group(3) == "P"
            if not is_count and "papers" in values and h.count is None:
                is_count = True
            if is_count and h.count is None:
                h.count = _int(m.group(1))
            else:
                metric("papers", _int(m.group(1)), number, t)
        elif m := _CITATIONS.fullmatch(t):
            metric("citations", _int(m.group(1)), number, t)
        elif m := _NOVELTY.fullmatch(t):
            metric("novelty", int(m.group(1)), number, t)
        elif m := _AI_SCORE.fullmatch(t):
            metric("ai_score", int(m.group(1)), number, t)
        elif _CATEGORY.fullmatch(t) and h.category is None:
            h.category = t
        elif is_first and len(t) <= 100 and len(t.split()) <= 8 and _HEADER_NAME.fullmatch(t):
            name_line = (number, t)
            continue
        else:
            junk.append((number, t))
            continue
        h.recognised = True
        flush()
    flush()
    if name_line is not None:
        if h.recognised:  # a name alone, followed by no header line, is not a header
            h.name = _nfc(name_line[1])
        else:
            groups.insert(0, [name_line])
            if len(groups) > 1:
                groups[:2] = [groups[0] + groups[1]]
    h.junk = groups
    if values:
        h.metrics = Metrics(
            h_index=values.get("h_index"),
            papers=values.get("papers"),
            citations=values.get("citations"),
            novelty=values.get("novelty"),
            ai_score=values.get("ai_score"),
            line=metric_line,
        )
    return h


def infer_owner(papers: Iterable[PaperEntry], header_name: str | None) -> Owner:
    """Whose profile this is (PROFILE_FORMAT.md section 4).

    The header name wins whenever there is one. Otherwise the complete-author-list
    test: the owner must be on every author list not truncated by ``et al.``.
    One such name visible on every entry -> "certain"; one such name -> "high";
    several, one visible on more entries than the others -> "low"; otherwise no
    name (confidence "none"), with the reason in ``evidence``. Never raises.
    """
    entries = tuple(papers)
    n = len(entries)
    visible: Counter[str] = Counter()
    for entry in entries:
        visible.update(set(entry.authors))
    if header_name:
        return Owner(
            header_name,
            inferred=False,
            confidence="header",
            evidence=f"header name; visible on {visible[header_name]} of {n} entries",
        )
    if not entries:
        return Owner(None, False, "none", "no header name and no paper entries")
    complete = [frozenset(e.authors) for e in entries if not e.authors_truncated and e.authors]
    if not complete:
        return Owner(
            None,
            False,
            "none",
            f"no header name and no complete author list: all {n} entries are truncated by 'et al.'",
        )
    common = frozenset.intersection(*complete)
    k = len(complete)
    if not common:
        return Owner(
            None, False, "none", f"no header name, and no name is on all {k} complete author lists"
        )
    ranked = sorted(common, key=lambda a: (-visible[a], a))
    best = ranked[0]
    seen = visible[best]
    if len(ranked) == 1:
        if seen == n:
            return Owner(
                best,
                True,
                "certain",
                f"the only name on all {k} complete author lists, and visible on all {n} entries",
            )
        return Owner(
            best,
            True,
            "high",
            f"the only name on all {k} complete author lists; visible on {seen} of {n} entries,"
            f" and the {n - seen} others are truncated by 'et al.'",
        )
    names = ", ".join(ranked)
    if visible[ranked[1]] == seen:
        return Owner(
            None,
            False,
            "none",
            f"no header name; {len(ranked)} names are on all {k} complete author lists ({names})"
            f" and none is visible on more entries than the others",
        )
    return Owner(
        best,
        True,
        "low",
        f"{len(ranked)} names are on all {k} complete author lists ({names});"
        f" chose the one visible on most entries ({seen} of {n})",
    )

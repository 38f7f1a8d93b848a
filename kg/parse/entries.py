"""Entries: date lines delimit them; title, authors, abstract and URLs fill them.

:class:`_PageParser` holds one page's state (source, copy date, failures, time budget)
and turns its lines into :class:`~kg.model.PaperEntry` records.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

from kg.model import Layout, PaperEntry, ParseFailure
from kg.parse.authors import (
    _author_fields,
    _KnownNames,
    _lenient_authors,
    _split,
    parse_author_line,
)
from kg.parse.text import _CONTROL, _NON_TEXT, MAX_LINE_CHARS, _collapse, _Line, _nfc, _raw
from kg.parse.urls import extract_urls

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# Category and month are glued ("CVJun"); upper-case category vs title-case month keeps
# that unambiguous. Optional spaces tolerate "LG Oct 31, 2022 Code" variants.
_DATE_LINE = re.compile(
    r"([A-Z]{2,4}) ?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2})"
    r"(?:, ?(\d{4}))? ?(Code)?"
)
_MAX_DATE_LINE = 40


def resolve_date(month: int, day: int, year: int | None, as_of: date) -> tuple[date, bool]:
    """Return (date, year_inferred) for a date line's month/day[/year].

    A yearless date is in the copy year (the site omits the current year), unless its
    month/day is after ``as_of``: then it is in the year before.
    Raises ValueError for an impossible date (``Feb 31``).

    >>> from datetime import date
    >>> resolve_date(6, 4, None, date(2026, 11, 21))
    (datetime.date(2026, 6, 4), True)
    >>> resolve_date(12, 24, None, date(2026, 11, 21))
    (datetime.date(2025, 12, 24), True)
    """
    if year is not None:
        return date(year, month, day), False
    inferred = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
    return date(inferred, month, day), True


@dataclass(slots=True)
class _Entry:
    line: int
    raw: str
    match: re.Match[str]
    body: list[_Line]


class _OutOfTime(Exception):
    """The page's time budget is spent (raised at ``line``; caught by _guarded)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass(slots=True)
class _Pending:
    """A glued line with no valid split point, retried once all known authors are in."""

    index: int
    entry: _Entry
    glued: _Line
    abstract: str
    last: bool


class _PageParser:
    """The per-page state: where failures go, and the copy date."""

    def __init__(
        self,
        source: str,
        as_of: date,
        failures: list[ParseFailure],
        deadline: float | None = None,
    ) -> None:
        self.source = source
        self.as_of = as_of
        self.failures = failures
        #: time.monotonic() after which the parse stops (a per-file time budget), or None.
        self.deadline = deadline

    def on_time(self, line: int) -> None:
        """Raise _OutOfTime when the page's time budget is spent."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime(line)

    def fail(self, line: int, reason: str, raw: str = "") -> None:
        self.failures.append(ParseFailure(self.source, line, reason, _raw(raw)))

    # One pass over the physical lines: date lines delimit entries. This loop touches
    # every line of every page; it is kept flat on purpose (a helper call per line, or
    # list comprehensions plus zip, measured 1.7-3x slower).
    def split_lines(
        self, lines: list[str], check_control: bool
    ) -> tuple[list[_Line], list[_Entry], int]:
        """Group lines into header lines and entries; also count non-text characters."""
        header: list[_Line] = []
        entries: list[_Entry] = []
        target = header
        non_text = 0
        deadline = self.deadline
        for number, raw in enumerate(lines, 1):
            if not number & 0xFFF and deadline is not None:  # every 4,096 lines: cheap
                self.on_time(number)
            if len(raw) > MAX_LINE_CHARS:
                non_text += len(_NON_TEXT.findall(raw))
                self.fail(
                    number,
                    f"line too long ({len(raw):,} characters, limit {MAX_LINE_CHARS:,}); skipped",
                    raw,
                )
                continue
            s = raw.strip()
            if check_control and _CONTROL.search(s):
                non_text += len(_NON_TEXT.findall(s))
                self.fail(number, "unreadable line (control characters); skipped", s)
                continue
            # A category is 2+ capitals: the second-character test skips names and titles.
            if (
                len(s) <= _MAX_DATE_LINE
                and len(s) > 1
                and "A" <= s[0] <= "Z"
                and "A" <= s[1] <= "Z"
            ):
                m = _DATE_LINE.fullmatch(s)
                if m is None and (collapsed := _collapse(s)) != s:
                    m = _DATE_LINE.fullmatch(collapsed)
                if m:
                    entry = _Entry(number, s, m, [])
                    entries.append(entry)
                    target = entry.body
                    continue
            target.append((number, s))
        return header, entries, non_text

    def parse_entry(
        self, entry: _Entry, last: bool, index: int, pending: list[_Pending]
    ) -> PaperEntry | None:
        items: list[tuple[int, str, int]] = []  # (line, text, block)
        block = 0
        for number, s in entry.body:
            if s:
                items.append((number, s, block))
            else:
                block += 1
        if not items:
            where = " (the file ends here)" if last else ""
            self.fail(entry.line, f"date line without a title{where}", entry.raw)
            return None
        authors: tuple[tuple[str, ...], bool, tuple[str, ...]] | None = None
        if len(items) >= 2:
            authors = parse_author_line(items[1][1])
        start = 2 if authors is not None else 1
        # The abstract is one block of consecutive lines; later blocks are not part of the
        # grammar (garbage between entries) and are reported, not silently merged.
        abstract_lines: list[str] = []
        if start < len(items):
            abstract_block = items[start][2]
            stray: dict[int, list[tuple[int, str, int]]] = {}
            for item in items[start:]:
                if item[2] == abstract_block:
                    abstract_lines.append(item[1])
                else:
                    stray.setdefault(item[2], []).append(item)
            for group in stray.values():
                extra = f" ({len(group)} lines)" if len(group) > 1 else ""
                self.fail(
                    group[0][0],
                    f"unexpected text after the abstract of the entry at line {entry.line}{extra}; skipped",
                    group[0][1],
                )
        abstract = " ".join(abstract_lines)
        if authors is not None:
            return self.make_entry(
                entry, _nfc(_collapse(items[0][1])), authors, abstract, "A", None
            )
        number, glued = items[0][0], _nfc(_collapse(items[0][1]))
        found = _split(glued)
        if found is None:
            pending.append(
                _Pending(index, entry, (number, glued), abstract, last and len(items) == 1)
            )
            return None
        if found.alternatives:
            alt = found.alternatives[0]
            self.fail(
                number,
                f"low-confidence title/author split: {len(found.alternatives) + 1} valid split points;"
                f" took the leftmost (authors {found.authors[:40]!r}), not e.g. {glued[alt : alt + 40]!r}",
                glued,
            )
        # found.authors was validated by the split: cutting it up is all that is left.
        return self.make_entry(
            entry, found.title, _author_fields(found.authors), abstract, "B", found.method
        )

    def resolve_pending(self, pending: _Pending, known: _KnownNames) -> PaperEntry | None:
        number, glued = pending.glued
        # No split point was valid (parse_entry tried): only the fallback is left.
        found = _split(glued, known, fallback_only=True)
        if found is None:
            cut = "; the file may be cut in the middle of this entry" if pending.last else ""
            self.fail(
                number,
                "cannot separate title and authors: no split point leaves a well-formed author"
                f" list and no known author starts one (entry at line {pending.entry.line}){cut}",
                glued,
            )
            return None
        self.fail(
            number,
            f"low-confidence title/author split: the author list is not well-formed; split before"
            f" the known author at {found.authors[:40]!r}",
            glued,
        )
        return self.make_entry(
            pending.entry,
            found.title,
            _lenient_authors(found.authors),
            pending.abstract,
            "B",
            found.method,
        )

    def make_entry(
        self,
        entry: _Entry,
        title: str,
        authors: tuple[tuple[str, ...], bool, tuple[str, ...]],
        abstract: str,
        layout: Layout,
        split_method: str | None,
    ) -> PaperEntry:
        m = entry.match
        category, month, day, year, code = m.groups()
        date_text = m.string[m.start(2) : m.end(4) if year else m.end(3)]
        try:
            when, inferred = resolve_date(
                _MONTHS[month], int(day), int(year) if year else None, self.as_of
            )
        except ValueError as exc:
            self.fail(
                entry.line,
                f"impossible date {date_text!r} ({exc}); entry kept without a date",
                entry.raw,
            )
            when, inferred = None, year is None
        repos, links = extract_urls(abstract) if "://" in abstract else ((), ())
        names, truncated, tags = authors
        return PaperEntry(
            source=self.source,
            line=entry.line,
            title=title,
            authors=names,
            authors_truncated=truncated,
            affiliations=tags,
            category=category,
            date=when,
            date_text=date_text,
            year_inferred=inferred,
            has_code=code is not None,
            repositories=repos,
            links=links,
            abstract=abstract,
            layout=layout,
            split_method=split_method,
        )

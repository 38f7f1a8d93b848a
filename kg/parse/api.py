"""The entry points: a page as text, bytes or a file -> one :class:`~kg.model.Profile`."""

from __future__ import annotations

import hashlib
import time
from datetime import date
from pathlib import Path

from kg.model import Owner, PaperEntry, ParseFailure, Profile
from kg.parse.authors import _KnownNames
from kg.parse.entries import _OutOfTime, _PageParser, _Pending
from kg.parse.header import infer_owner, parse_header
from kg.parse.text import (
    _BINARY_RATIO,
    RAW_LIMIT,
    _clean,
    _decode,
    _has_control,
    _has_control_bytes,
    _raw,
)

PARSER_VERSION = "1.0.0"


def _failed(
    source: str, sha256: str, as_of: date, line: int, reason: str, raw: str = ""
) -> Profile:
    return Profile(
        source=source,
        sha256=sha256,
        as_of=as_of,
        owner=Owner(None, False, "none", "nothing could be read from the file"),
        category=None,
        metrics=None,
        declared_count=None,
        papers=(),
        failures=(ParseFailure(source, line, reason, _raw(raw)),),
    )


def _parse(
    text: str,
    source: str,
    as_of: date,
    sha256: str,
    known_authors: frozenset[str],
    notes: tuple[ParseFailure, ...],
    control: bool | None,
    deadline: float | None = None,
) -> Profile:
    text = _clean(text)
    if not text.strip():
        return _failed(
            source, sha256, as_of, 1, "empty file" if not text else "empty file (only whitespace)"
        )
    binary = "binary file (NUL bytes or control characters), not a profile page"
    if "\x00" in text:
        return _failed(source, sha256, as_of, 1, binary, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    failures: list[ParseFailure] = list(notes)
    parser = _PageParser(source, as_of, failures, deadline)
    check = _has_control(text) if control is None else control
    header_lines, raw_entries, non_text = parser.split_lines(lines, check)
    non_text += text.count("\ufffd")
    if non_text and non_text >= _BINARY_RATIO * len(text):
        return _failed(source, sha256, as_of, 1, binary, text)
    header = parse_header(header_lines)

    slots: list[PaperEntry | None] = []
    pending: list[_Pending] = []
    for index, raw_entry in enumerate(raw_entries):
        parser.on_time(raw_entry.line)
        slots.append(parser.parse_entry(raw_entry, index == len(raw_entries) - 1, index, pending))
    if pending:
        known = set(known_authors)
        if header.name:
            known.add(header.name)
        for paper in slots:
            if paper is not None:
                known.update(paper.authors)
        names = _KnownNames(known)  # once per page, whatever the number of glued lines
        for item in pending:
            parser.on_time(item.glued[0])
            slots[item.index] = parser.resolve_pending(item, names)
    papers = tuple(p for p in slots if p is not None)

    if not raw_entries and not header.recognised and header.junk:
        # Nothing of the grammar at all: one failure says so instead of one per block.
        number, first = header.junk[0][0]
        parser.fail(number, "not a profile page: no header and no date line found", first)
    else:
        for group in header.junk:
            number, first = group[0]
            extra = f" ({len(group)} lines)" if len(group) > 1 else ""
            parser.fail(number, f"unrecognised text before the first entry{extra}; skipped", first)
    failures.sort(key=lambda f: f.line)
    return Profile(
        source=source,
        sha256=sha256,
        as_of=as_of,
        owner=infer_owner(papers, header.name),
        category=header.category,
        metrics=header.metrics,
        declared_count=header.count,
        papers=papers,
        failures=tuple(failures),
    )


def parse_text(
    text: str,
    source: str,
    *,
    as_of: date,
    sha256: str = "",
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page given as text.

    ``as_of`` is the date the page was copied (it resolves yearless dates).
    ``known_authors`` (optional) are names seen in other files, used only by the
    layout-B fallback split. ``time_budget`` (seconds, optional): a page whose parse
    takes longer stops and becomes one failure, with no papers. Never raises on any
    text: what can't be read is in ``Profile.failures``. Raises TypeError when
    ``text`` is not a str or ``as_of`` not a date.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    return _guarded(text, source, as_of, sha256, known_authors, (), None, time_budget)


def _guarded(
    text: str,
    source: str,
    as_of: date,
    sha256: str,
    known_authors: frozenset[str],
    notes: tuple[ParseFailure, ...],
    control: bool | None = None,
    time_budget: float | None = None,
    started: float | None = None,
) -> Profile:
    deadline = None
    if time_budget is not None:
        deadline = (time.monotonic() if started is None else started) + time_budget
    try:
        return _parse(text, source, as_of, sha256, known_authors, notes, control, deadline)
    except _OutOfTime as stop:
        reason = (
            f"parsing stopped at line {stop.line}: the page took longer than the per-file"
            f" parse time budget of {time_budget:g} s; nothing of this file is read"
        )
        return _failed(source, sha256, as_of, stop.line, reason)
    except Exception as exc:  # pragma: no cover - last line of defence: input must never raise
        return _failed(
            source,
            sha256,
            as_of,
            1,
            f"internal parser error ({type(exc).__name__}: {exc}); please report",
            text,
        )


def parse_bytes(
    data: bytes,
    source: str,
    *,
    as_of: date,
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page given as bytes; ``sha256`` is that of the raw bytes.

    Decoding: UTF-8 with or without BOM (or UTF-16 with a BOM). Bytes that are not
    UTF-8 are read as cp1252/Latin-1 when that gives text; NUL bytes or control
    character soup make a "binary file" failure, other unreadable bytes an
    "undecodable bytes" failure (a Profile with no papers, never an exception).
    ``time_budget``: as for :func:`parse_text` (decoding counts). Raises TypeError
    when ``data`` is not bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    started = time.monotonic()
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        return _failed(source, digest, as_of, 1, "empty file")
    decoded = _decode(data, source)
    if decoded.text is None:
        return _failed(
            source, digest, as_of, decoded.line, decoded.reason, data[:RAW_LIMIT].decode("latin-1")
        )
    # Control characters are cheapest to find in the raw bytes, when those are UTF-8.
    control = _has_control_bytes(data) if decoded.encoding == "utf-8" else None
    return _guarded(
        decoded.text,
        source,
        as_of,
        digest,
        known_authors,
        decoded.notes,
        control,
        time_budget,
        started,
    )


def parse_file(
    path: str | Path,
    *,
    as_of: date,
    source: str | None = None,
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page file; ``source`` defaults to the file name.

    Raises OSError when the file can't be read; never for its content.
    """
    p = Path(path)
    return parse_bytes(
        p.read_bytes(),
        source if source is not None else p.name,
        as_of=as_of,
        known_authors=known_authors,
        time_budget=time_budget,
    )

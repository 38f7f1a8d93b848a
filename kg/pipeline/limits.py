"""Per-file limits of ingest: how large a profile file may be, and how long its parse may take.

One page must not stall a run (issue 15 items 4 and 8: a single 98 MB page took
16 minutes and 9 GB). A file over :attr:`FileLimits.max_bytes` is not read at all;
a parse over :attr:`FileLimits.parse_seconds` stops (the parser checks the clock
between entries and every few thousand lines, in whichever process parses: the
main one or a worker). Either way the file fails with one failure naming the file
and the limit, whatever the store holds for it stays, and the run goes on with the
other files. The defaults and the flags come from :mod:`kg.settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from kg.model import ParseFailure, Profile
from kg.parse import parse_bytes
from kg.settings import setting

__all__ = ["DEFAULT_LIMITS", "FileLimits", "FileTooLarge", "parse_limited", "read_limited"]


@dataclass(frozen=True, slots=True)
class FileLimits:
    """``max_bytes``: largest file read; ``parse_seconds``: parse time budget (0 or None: none)."""

    max_bytes: int | None = setting("max_file_bytes").default
    parse_seconds: float | None = setting("parse_timeout").default

    @classmethod
    def of(cls, max_bytes: int | None, parse_seconds: float | None) -> FileLimits:
        """The limits given, the defaults for those that are None."""
        default = DEFAULT_LIMITS
        return cls(
            default.max_bytes if max_bytes is None else max_bytes,
            default.parse_seconds if parse_seconds is None else parse_seconds,
        )


def read_limited(path: str | os.PathLike[str], source: str, limits: FileLimits) -> bytes:
    """The bytes of a profile file, unless it is larger than ``limits.max_bytes``.

    Raises :class:`FileTooLarge` (with the failure to report) for a larger file, without
    reading more than the limit; OSError when the file cannot be read.
    """
    limit = limits.max_bytes or None
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if limit is not None and size > limit:
            raise FileTooLarge(_too_large(source, size, limit))
        data = file.read() if limit is None else file.read(limit + 1)
    if limit is not None and len(data) > limit:  # it grew since fstat
        raise FileTooLarge(_too_large(source, len(data), limit))
    return data


def parse_limited(data: bytes, source: str, as_of: date, limits: FileLimits) -> Profile:
    """Parse a profile file's bytes within ``limits.parse_seconds``."""
    return parse_bytes(data, source, as_of=as_of, time_budget=limits.parse_seconds or None)


class FileTooLarge(Exception):
    """A file over the size limit; :attr:`failure` is what ingest reports."""

    def __init__(self, failure: ParseFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _too_large(source: str, size: int, limit: int) -> ParseFailure:
    return ParseFailure(
        source,
        0,
        f"file too large: {size:,} bytes, over the per-file limit of {limit:,} bytes "
        "(max_file_bytes, --max-file-bytes); not read",
    )


#: The settings' defaults.
DEFAULT_LIMITS = FileLimits()

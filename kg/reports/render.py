"""A report's result as CSV, as a plain-text table and as the JSON answer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from kg.reports.definitions import Report
from kg.reports.results import Binding, ReportResult
from kg.sparql.results import term_plain


def csv_chunks(result: ReportResult, *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The whole result as CSV (RFC 4180, CRLF), in chunks for a streamed response."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.columns)
    for index, row in enumerate(result.rows, start=1):
        writer.writerow([term_plain(t) for t in row])
        if index % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def text_table(result: ReportResult, *, max_width: int = 60) -> str:
    """The rows as an aligned plain-text table (the CLI's default output)."""

    def cell(term: Any) -> str:
        text = term_plain(term).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    rows = [[cell(t) for t in row] for row in result.rows]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(result.columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
    return "\n".join(lines) + "\n"


def result_document(
    report: Report,
    binding: Binding,
    result: ReportResult,
    *,
    offset: int = 0,
    limit: int | None = None,
    next_url: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """The JSON answer of a report run (the same for HTTP and ``kg report --format json``)."""
    stop = None if limit is None else offset + limit
    document: dict[str, Any] = {
        "report": report.name,
        "title": report.title,
        "parameters": dict(binding.values),
        "columns": list(result.columns),
        "rows": result.records(offset, stop),
        "offset": offset,
        "limit": limit,
        "total": len(result.rows),
        "truncated": result.truncated,
        "next": next_url,
    }
    if version is not None:
        document["store_version"] = version
    if result.notes:
        document["notes"] = list(result.notes)
    document.update(result.extra)
    return document

"""What the engines of the reports over time share: their queries' date filter, read in
Python, and how they ask the store.

The reports over time (``crawl-changes``, ``fastest-growing-authors``) find each profile
page's snapshot current on a date with the same filter: a snapshot is current from its
first copy (``prov:generatedAtTime``, or its ``dcterms:date``) until it was replaced
(``prov:invalidatedAtTime``), each cast as ``xsd:date(SUBSTR(STR(?t), 1, 10))``. Their
engines read the snapshots once per store version and repeat that filter for any pair of
dates; where the store holds what they cannot repeat with certainty, they raise
:class:`Unsupported` and the report's query runs.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryTimeout
from kg.reports.definitions import Report
from kg.reports.engines.base import (
    WHOLE_GRAPH_TIMEOUT_FACTOR,
    EngineRunner,
    checked_against,
    plain_text,
)
from kg.reports.names import fullness
from kg.reports.results import Binding, ReportResult, drop_parameter_columns
from kg.store.query import QueryRequest

_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATE = ox.NamedNode(_XSD + "date")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Unsupported(Exception):
    """What the engine does not reproduce with certainty: the query runs instead."""


def rows_or_query(
    runner: EngineRunner,
    report: Report,
    binding: Binding,
    *,
    sha256: str,
    answer: Callable[[EngineRunner, Binding], ReportResult],
) -> ReportResult:
    """The report's rows from an engine's ``answer``, or from its query where the query
    is not the one the engine was checked against, or the answer raises Unsupported."""
    if checked_against(report, sha256):
        try:
            return answer(runner, binding)
        except Unsupported:
            pass
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    return drop_parameter_columns(report, variables, rows, truncated)


def capped(columns: tuple[str, ...], rows: list[tuple[Any, ...]], cap: int | None) -> ReportResult:
    """An engine's rows as a result, cut at the runner's row cap (then marked truncated)."""
    truncated = cap is not None and len(rows) > cap
    return ReportResult(columns, rows[:cap] if truncated else rows, truncated)


def deadline(runner: EngineRunner) -> float | None:
    """When a request's engine work must end: the whole-graph time limit, as for the query."""
    limit = None if runner.timeout is None else runner.timeout * WHOLE_GRAPH_TIMEOUT_FACTOR
    return None if limit is None else time.monotonic() + limit


def solutions(
    runner: EngineRunner,
    query: str,
    names: Sequence[str],
    ends: float | None,
    *,
    report: str,
) -> Iterator[tuple[Any, ...]]:
    """The solutions of one of an engine's queries, as tuples of these variables' terms,
    before ``ends`` (the request's time limit, for ``report``). Raises Unsupported,
    QueryTimeout, and what the backend raises."""
    timeout = None
    if ends is not None:
        timeout = ends - time.monotonic()
        if timeout <= 0:
            raise QueryTimeout(f"{report} ran past its time limit", timeout_seconds=runner.timeout)
    outcome = runner.backend.run(QueryRequest(query, limit=None), timeout=timeout)
    if outcome.select is None:
        raise Unsupported("no solutions")
    at = {name: i for i, name in enumerate(outcome.select.variables)}
    if any(name not in at for name in names):
        raise Unsupported("an answer without one of its variables")
    picked = [at[name] for name in names]
    for row in outcome.select.rows:
        yield tuple(row[i] for i in picked)


def memoised(memo: dict[str, Any], key: str, read: Callable[[], Any]) -> Any:
    """``memo[key]`` (an engine's state for one store version), read first if it is not
    there: one request reads, others asking for the same key meanwhile wait (one lock per
    key: a request never waits for another key's read); a read that raised Unsupported is
    remembered as such and raises again."""
    found = memo.get(key)
    if found is None:
        lock: threading.Lock = memo.setdefault(f"{key}:lock", threading.Lock())
        with lock:
            found = memo.get(key)
            if found is None:
                try:
                    found = read()
                except Unsupported as error:
                    found = str(error)
                memo[key] = found
                # What was read lives as long as the store version: collected now, once, it
                # does not make the next requests' collections walk it (100-200 ms on one
                # request in a few at 100k papers, measured).
                gc.collect()
    if isinstance(found, str):
        raise Unsupported(found)
    return found


def cast_day(term: Any) -> date | None:
    """``xsd:date(SUBSTR(STR(term), 1, 10))`` as Oxigraph casts it; None for an error."""
    if not isinstance(term, ox.NamedNode | ox.Literal):
        return None  # STR() of a blank node: an error
    text = term.value[:10]
    if not _DAY.fullmatch(text):
        return None
    if text.startswith("0000"):
        raise Unsupported("the year 0000")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def start_day(first: Any, day: Any) -> date | None:
    """``COALESCE(xsd:date(SUBSTR(STR(?first), 1, 10)), ?date)`` as a day; None where the
    comparison with the date asked is an error (the filter then fails)."""
    cast = None if first is None else cast_day(first)
    if cast is not None:
        return cast
    if not isinstance(day, ox.Literal) or day.datatype != _DATE:
        return None
    if not _DAY.fullmatch(day.value) or day.value.startswith("0000"):
        raise Unsupported("an xsd:date with a time zone, ill-formed, or of the year 0000")
    try:
        return date.fromisoformat(day.value)
    except ValueError as error:
        raise Unsupported("an ill-formed xsd:date") from error


def until_day(invalidated: Any) -> date | None:
    """The first day a snapshot is no longer current (None: it still is): the query's
    ``!BOUND(?invalidated) || xsd:date(SUBSTR(STR(?invalidated), 1, 10)) > ?day``, where a
    cast that fails makes it never current."""
    return None if invalidated is None else (cast_day(invalidated) or date.min)


def current_on(start: date | None, until: date | None, day: date) -> bool:
    """Whether a snapshot current from ``start`` until ``until`` is current on ``day``."""
    if start is None or start > day:
        return False
    return until is None or until > day


def owner_name(spellings: Sequence[str | None]) -> ox.Literal | None:
    """The queries' name aggregate (:data:`kg.reports.names.SPARQL`): the fullest spelling,
    none where one is unbound (Oxigraph's ``MAX`` gives none after an error)."""
    if any(spelling is None for spelling in spellings):
        return None
    return ox.Literal(max((s for s in spellings if s is not None), key=fullness))


def spelling_text(spelling: Any) -> str | None:
    """``STR(?spelling)``'s text, as the name aggregate reads it (None: unbound, or a blank
    node, whose ``STR`` is an error: the group then has no name)."""
    if isinstance(spelling, ox.Literal | ox.NamedNode):
        return spelling.value
    return None


def string_key(term: Any) -> tuple[int, str]:
    """A plain string's place in ``ORDER BY`` (unbound first); Unsupported for other terms."""
    if term is None:
        return (0, "")
    text = plain_text(term)
    if text is None:
        raise Unsupported("a sort key that is not a plain string")
    return (1, text)

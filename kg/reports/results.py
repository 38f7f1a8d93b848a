"""What one run of a report is: its validated parameters (:class:`Binding`) and its rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.reports.definitions import Report
from kg.reports.params import NAMED_TYPES, RESERVED, SPACES, Term, looks_like_iri
from kg.sparql.results import python_value


@dataclass(frozen=True, slots=True)
class Binding:
    """The validated parameter values of one run."""

    #: Normalised text of every given or defaulted parameter (IRIs for author names, ...).
    values: Mapping[str, str]
    #: The RDF term of each of those values.
    terms: Mapping[str, Term]
    #: The text of each author or paper parameter given as a name or title (not an IRI),
    #: for the hint when nothing has that name.
    names: Mapping[str, str] = field(default_factory=dict)
    #: What a reader is told about values read from the store (``store-default``): which
    #: crawl dates were taken, or why none was. Not part of :meth:`key`: a request that gives
    #: the same dates is the same run.
    notes: tuple[str, ...] = ()
    #: Parameters left out whose store default the store cannot give (one crawl date: none
    #: before it). The report then answers no rows (the runner does not query): unbound,
    #: the query would answer another question.
    unresolved: tuple[str, ...] = ()

    def key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.values.items()))

    def substitutions(self, report: Report) -> dict[str, Term]:
        """The terms of the parameters the query binds (engine parameters left out)."""
        return {
            p.name: self.terms[p.name] for p in report.sparql_parameters if p.name in self.terms
        }


@dataclass(frozen=True, slots=True)
class ReportResult:
    """A report's rows (pyoxigraph terms or None), with what an engine adds."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    #: Messages for the reader (an engine's "no path within the search limit", ...).
    notes: tuple[str, ...] = ()
    #: Engine extras for the JSON answer (the network's Cytoscape elements).
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: False: not kept in the runner's cache for the store version (an answer that
    #: depends on more than the version: the search report while its index catches up).
    cacheable: bool = True

    def records(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows ``start:stop`` as JSON-ready dicts (numbers, booleans, strings, None)."""
        return [
            {c: python_value(v) for c, v in zip(self.columns, row, strict=True)}
            for row in self.rows[start:stop]
        ]


def bind(
    report: Report,
    raw: Mapping[str, str],
    scheme: IriScheme,
    *,
    crawl_dates: Sequence[str] | None = None,
) -> Binding:
    """Check request parameters against a report's header.

    A blank value counts as absent (:meth:`kg.reports.params.Parameter.read`). Absent optional parameters take their
    default (or stay unbound). An absent parameter with a ``store-default`` takes it from
    ``crawl_dates`` (the store's, oldest first: :func:`kg.reports.crawls.crawl_dates`;
    None: not known, it stays unresolved), with a note saying so. Raises InvalidParameter
    for a missing required parameter, an unknown one (names starting with ``_`` and the
    paging names are ignored) or a bad value.
    """
    known = {p.name for p in report.parameters}
    unknown = sorted(
        k for k in raw if k not in known and k not in RESERVED and not k.startswith("_")
    )
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise InvalidParameter(
            f"unknown parameter {unknown[0]!r} for report {report.name!r} (it takes: {accepted})",
            parameter=unknown[0],
        )
    values: dict[str, str] = {}
    terms: dict[str, Term] = {}
    names: dict[str, str] = {}
    for param in report.parameters:
        given = raw.get(param.name)
        read = param.read(given, scheme)
        if read is not None:
            values[param.name], terms[param.name] = read
            if given is not None and param.type in NAMED_TYPES and not looks_like_iri(given):
                names[param.name] = given.strip(SPACES)
    notes, unresolved = store_defaults(report, values, terms, scheme, crawl_dates or ())
    return Binding(values, terms, names, notes, unresolved)


def store_defaults(
    report: Report,
    values: dict[str, str],
    terms: dict[str, Term],
    scheme: IriScheme,
    dates: Sequence[str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fill in the store defaults of the parameters left out (in ``values`` and ``terms``);
    the notes for the reader and the parameters left unresolved. A default that depends on
    another parameter (``crawl-before(to)``) waits for that one's value."""
    waiting = [p for p in report.parameters if p.store_default is not None and p.name not in values]
    notes: list[str] = []
    unresolved: list[str] = []
    while waiting:
        ready = [
            p
            for p in waiting
            if p.store_default is not None
            and not any(p.store_default.before == other.name for other in waiting)
        ]
        if not ready:  # a cycle of crawl-before: none can be resolved
            ready = waiting
        for param in ready:
            assert param.store_default is not None
            value = param.store_default.resolve(values, dates) if dates else None
            if value is not None:
                values[param.name], terms[param.name] = param.parse(value, scheme)
            else:
                unresolved.append(param.name)
            notes.append(param.store_default.note(param.name, value, values))
        waiting = [p for p in waiting if p not in ready]
    return tuple(notes), tuple(unresolved)


def drop_parameter_columns(
    report: Report, variables: Sequence[str], rows: list[tuple[Any, ...]], truncated: bool
) -> ReportResult:
    """Remove the projected parameter variables (pyoxigraph needs them projected, readers do not)."""
    hidden = {p.name for p in report.sparql_parameters}
    keep = [i for i, v in enumerate(variables) if v not in hidden]
    if len(keep) == len(variables):
        return ReportResult(tuple(variables), rows, truncated)
    return ReportResult(
        tuple(variables[i] for i in keep), [tuple(row[i] for i in keep) for row in rows], truncated
    )


def page(result: ReportResult, offset: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of records and whether more follow."""
    records = result.records(offset, offset + limit)
    return records, offset + limit < len(result.rows)

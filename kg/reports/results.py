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


def bind(report: Report, raw: Mapping[str, str], scheme: IriScheme) -> Binding:
    """Check request parameters against a report's header.

    A blank value counts as absent (:meth:`kg.reports.params.Parameter.read`). Absent optional parameters take their
    default (or stay unbound). Raises InvalidParameter for a missing required
    parameter, an unknown one (names starting with ``_`` and the paging names
    are ignored) or a bad value.
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
    return Binding(values, terms, names)


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

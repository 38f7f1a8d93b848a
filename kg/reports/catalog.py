"""The validated reports: every header checked against its query and its engine.

Reports are loaded and validated once (:func:`load_reports`): a header parameter that is
not in the query body, a query that does not parse, an unknown type or engine all fail
with :class:`ReportDefinitionError` naming the file.

How values reach the query: only through pyoxigraph ``substitutions`` (never as text).
pyoxigraph 0.5 has two rules here that shape the .rq files:

* a substituted variable must be in the top-level ``SELECT`` projection (``SELECT *``
  does not count), and in ``GROUP BY`` of an aggregate query; the runner drops the
  parameter columns from the output again;
* ``BOUND(?x)`` stays false for a substituted ``?x``, so an optional parameter is
  written ``FILTER(COALESCE(?value = ?x, true))``: unbound, the comparison is an error
  and ``COALESCE`` keeps the row; bound, it compares. The loader rejects ``BOUND(?param)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.reports.definitions import (
    QUERIES_DIR,
    Report,
    ReportDefinitionError,
    Reports,
    parse_report,
)
from kg.reports.engines import ENGINES
from kg.reports.params import PARAM_TYPES, Term


def _code_text(query: str) -> str:
    """The query without comment lines (a parameter named only in a comment does not count)."""
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))


def _uses_variable(text: str, name: str) -> bool:
    return re.search(rf"[?$]{re.escape(name)}(?![A-Za-z0-9_\u00b7])", text) is not None


def validate_report(report: Report, scheme: IriScheme | None = None) -> None:
    """Check a report against its query. Raises ReportDefinitionError naming the file.

    * every parameter the query binds occurs in the body as ``?name``;
    * no ``BOUND(?param)`` (pyoxigraph leaves it false for substituted variables);
    * defaults and examples are valid values of their types;
    * the engine exists and the variables it binds occur in the body;
    * the query parses and accepts its substitutions: it is run once against an
      empty in-memory store with every bound variable substituted;
    * the columns of each ``row-filter`` are projected by the query (not parameters);
    * each ``variant``'s query passes the same checks and projects the same columns, in the
      same order (it answers in the report's place); a variant for a ``lookup``'s variable
      projects them followed by that variable;
    * each ``lookup``'s query parses with its parameter bound and projects its variable.
    """
    scheme = scheme or IriScheme()
    code = _code_text(report.query)
    for param in report.parameters:
        for label, value in (("default", param.default), ("example", param.example)):
            if value is None:
                continue
            try:
                param.parse(value, scheme)
            except InvalidParameter as error:
                raise ReportDefinitionError(report.path, f"{label} of {error.detail}") from error
        if param.required and param.example is None:
            raise ReportDefinitionError(
                report.path, f"required parameter {param.name!r} has no example"
            )
        if param.engine and report.engine is None:
            raise ReportDefinitionError(
                report.path, f"parameter {param.name!r} is marked engine but there is no engine"
            )
    substitutions: dict[str, Term] = {}
    for param in report.sparql_parameters:
        _check_uses(report.path, code, param.name)
        for variant in report.variants:
            _check_uses(variant.path, _code_text(variant.query), param.name)
        sample = (
            param.example
            or param.default
            or PARAM_TYPES[param.type].dummy
            or (param.choices or ("x",))[0]
        )
        substitutions[param.name] = param.parse(sample, scheme)[1]
    if report.engine is not None:
        engine = ENGINES.get(report.engine)
        if engine is None:
            raise ReportDefinitionError(
                report.path,
                f"unknown engine {report.engine!r} (known: {', '.join(sorted(ENGINES))})",
            )
        for variable in engine.binds:
            if not _uses_variable(code, variable):
                raise ReportDefinitionError(
                    report.path,
                    f"engine {report.engine!r} binds ?{variable}, which is not in the query",
                )
            substitutions.setdefault(variable, ox.NamedNode("urn:kg:validate"))
        for variable in engine.columns:
            if not _uses_variable(code, variable):
                raise ReportDefinitionError(
                    report.path,
                    f"engine {report.engine!r} reads ?{variable}, which is not in the query",
                )
    if report.chart is not None and report.engine is None:
        for column in (report.chart.x, report.chart.series, *report.chart.y):
            if column and not _uses_variable(code, column):
                raise ReportDefinitionError(
                    report.path, f"chart column ?{column} is not in the query"
                )
    columns = _checked_columns(report.path, report.query, substitutions)
    for variant in report.variants:
        # A variant for a looked-up variable projects it too (so that it can be bound).
        lookup = report.lookup(variant.parameter)
        wanted = columns if lookup is None else (*columns, lookup.variable)
        if _checked_columns(variant.path, variant.query, substitutions) != wanted:
            raise ReportDefinitionError(
                variant.path,
                f"variant {variant.parameter!r} of {report.name}: its query must project the "
                f"report's columns, in order ({', '.join(wanted)})",
            )
    for lookup in report.lookups:
        given = {lookup.parameter: substitutions[lookup.parameter]}
        found = _checked_columns(lookup.path, lookup.query, given)
        if lookup.variable not in found:
            raise ReportDefinitionError(
                lookup.path,
                f"lookup {lookup.variable!r}: its query must project ?{lookup.variable}",
            )
    projected = set(columns)
    hidden = {param.name for param in report.sparql_parameters}
    for row_filter in report.row_filters:
        for column in row_filter.columns:
            if column not in projected or column in hidden:
                raise ReportDefinitionError(
                    report.path,
                    f"row-filter {row_filter.parameter!r}: column ?{column} is not a column "
                    "the query projects",
                )


def _check_uses(path: Path, code: str, name: str) -> None:
    """A parameter the query binds is in its body, and not as ``BOUND(?name)``."""
    if not _uses_variable(code, name):
        raise ReportDefinitionError(
            path, f"parameter {name!r} is declared in the header but ?{name} is not in the query"
        )
    if re.search(rf"BOUND\s*\(\s*[?$]{re.escape(name)}\s*\)", code, flags=re.IGNORECASE):
        raise ReportDefinitionError(
            path,
            f"BOUND(?{name}) is always false for a substituted parameter in pyoxigraph; "
            f"write FILTER(COALESCE(... = ?{name}, true)) instead",
        )


def _checked_columns(path: Path, query: str, substitutions: Mapping[str, Term]) -> tuple[str, ...]:
    """The variables a report's (or variant's) SELECT projects: the query run once against an
    empty store with these substitutions. Raises ReportDefinitionError naming ``path``."""
    try:
        columns = query_variables(query, substitutions)
    except SyntaxError as error:
        raise ReportDefinitionError(path, f"the query does not parse: {error}") from error
    except (RuntimeError, ValueError, TypeError) as error:
        raise ReportDefinitionError(
            path, f"the query does not accept its parameters: {error}"
        ) from error
    if not columns:
        raise ReportDefinitionError(path, "a report query must be a SELECT query")
    return columns


@cache
def projected_columns(report: Report) -> tuple[str, ...]:
    """The variables a report's SELECT projects (before the runner drops its parameters):
    the query run once against an empty store. An engine report's rows are the engine's,
    which are not known before it runs: ``()``, unless the engine gives its query's rows.
    A query that cannot run unbound: ``()``.

    >>> from kg.reports.definitions import QUERIES_DIR
    >>> "paper" in projected_columns(parse_report(QUERIES_DIR / "author-papers.rq"))
    True
    """
    if report.engine is not None:
        engine = ENGINES.get(report.engine)
        if engine is None or not engine.answers_query_rows:
            return ()
    try:
        return query_variables(report.query)
    except (SyntaxError, RuntimeError, ValueError, TypeError):
        return ()


def query_variables(query: str, substitutions: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The variables a SELECT query projects, in order: the query run once against an empty
    store (``substitutions``: terms bound to some of its variables). ``()`` for another form
    of query; raises what pyoxigraph raises for one that cannot run (its solutions are read,
    none on an empty store, so that an error of evaluation is raised too)."""
    results = ox.Store().query(
        query, substitutions={ox.Variable(k): v for k, v in (substitutions or {}).items()}
    )
    if not isinstance(results, ox.QuerySolutions):
        return ()
    columns = tuple(variable.value for variable in results.variables)
    list(results)
    return columns


def lists_papers(report: Report) -> bool:
    """Whether a report's rows are papers: its rows have a ``paper`` column (its bibliography
    downloads as BibTeX and RIS, :data:`kg.formats.PAPER_REPORT`). A ``paper`` parameter is
    no column (the runner drops it): the rows of such a report are about one paper."""
    return "paper" in projected_columns(report) and report.parameter("paper") is None


def load_reports(
    folder: str | Path | None = None, *, scheme: IriScheme | None = None, validate: bool = True
) -> Reports:
    """Load (and validate) every ``*.rq`` file of ``folder`` (default: the project's queries/).

    Raises ReportDefinitionError for the first file that cannot be served.
    """
    path = Path(folder) if folder is not None else QUERIES_DIR
    if not path.is_dir():
        raise ReportDefinitionError(path, "report folder not found")
    reports = []
    for file in sorted(path.glob("*.rq")):
        report = parse_report(file)
        if validate:
            validate_report(report, scheme)
        reports.append(report)
    return Reports(reports, path)

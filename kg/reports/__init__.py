"""Canned reports: one SPARQL query per ``queries/*.rq`` file, typed parameters, a cached runner.

A report file starts with a header of comment lines, then the query::

    # title: An author's papers
    # description: The papers of an author, newest first, ...
    #   a line of "#" and two or more spaces continues the field above
    # param: author | author | required | example: Weiran Huang | The author: an IRI or a name.
    # param: year | year | optional | example: 2024 | Only papers of this year.
    # param: depth | integer(1..2) | default: 1 | example: 1 | engine | How far to go.
    # chart: bar x=year y=papers,with_code
    # engine: network
    PREFIX schema: <https://schema.org/>
    SELECT ...

A ``param`` line has fields separated by ``" | "``: the name, the type, ``required`` or
``optional`` or ``default: VALUE``, then ``example: VALUE`` and the flag ``engine`` (the
report's Python engine consumes the value; it is not bound in the query) in any order,
and last the description. ``chart`` hints how the HTML page draws the rows (``bar``,
``line`` with ``x=``, ``y=`` (comma-separated) and ``series=`` columns, or ``network``).
``engine`` names a Python step of :data:`ENGINES` for what SPARQL cannot say (fuzzy
search, shortest paths, graphs). ``cost: whole-graph`` marks a report that reads the
whole graph (no bound IRI to start from): it gets a longer time limit; every result is
cached per store version.

Parameter types (:data:`PARAM_TYPES`):

=================  =============================================================
``iri``            an absolute IRI
``author``         an author IRI, or a name: resolved with the IRI scheme
                   (:func:`kg.normalize.name_key`) as ingest mints it
``paper``          a paper IRI, or a title (:func:`kg.normalize.title_key`)
``subject``        a site code (``LG``), an arXiv category (``cs.LG``) or an IRI
``string``         any text up to :data:`MAX_STRING` characters
``integer(a..b)``  a whole number, optionally bounded
``year``           a four-digit year
``boolean``        true/false (also 1/0, yes/no, on/off)
``date``           an ISO date, YYYY-MM-DD
``choice(a,b)``    one of the listed words
=================  =============================================================

How values reach the query: only through pyoxigraph ``substitutions`` (never as text).
pyoxigraph 0.5 has two rules here that shape the .rq files:

* a substituted variable must be in the top-level ``SELECT`` projection (``SELECT *``
  does not count), and in ``GROUP BY`` of an aggregate query; the runner drops the
  parameter columns from the output again;
* ``BOUND(?x)`` stays false for a substituted ``?x``, so an optional parameter is
  written ``FILTER(COALESCE(?value = ?x, true))``: unbound, the comparison is an error
  and ``COALESCE`` keeps the row; bound, it compares. The loader rejects ``BOUND(?param)``.

Reports are loaded and validated once (:func:`load_reports`): a header parameter
that is not in the query body, a query that does not parse, an unknown type or
engine all fail with :class:`ReportDefinitionError` naming the file.
:class:`ReportRunner` binds and checks parameters, runs reports through any
:class:`kg.store.query.QueryBackend` (the CLI's in-process one or the server's worker
pool) and caches results per store version.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyoxigraph as ox

from kg.errors import InvalidParameter, NotFound
from kg.normalize import ascii_fold
from kg.rdf.iri import IriScheme
from kg.rdf.map import SUBJECTS
from kg.rdf.namespace import XSD
from kg.reports.coauthor_graph import CoauthorGraph, PathSearch
from kg.resources import data_dir
from kg.sparql.results import python_value, term_plain
from kg.store.query import QueryBackend, QueryRequest

if TYPE_CHECKING:
    from kg.reports.precompute import PrecomputedReports, StoredRows

#: Where the project's reports live (the repository's queries/ folder).
QUERIES_DIR = data_dir("queries")
#: Longest value a string, name or title parameter accepts.
MAX_STRING = 1000
#: What a report costs: "entity" reports start from a bound IRI; "whole-graph" ones read it all.
COSTS = ("entity", "whole-graph")
#: Whole-graph reports may run this many times the query time limit (once per store version).
WHOLE_GRAPH_TIMEOUT_FACTOR = 4.0
#: Request parameters that page or format results; no report parameter may use these names.
RESERVED = frozenset({"limit", "offset", "format"})

Term = ox.NamedNode | ox.Literal
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REPORT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]+$")
_HEADER_LINE = re.compile(r"^#\s?(?P<key>[a-z][a-z-]*):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(?P<value>\S.*)$")


class ReportDefinitionError(ValueError):
    """A report file that cannot be served: the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# -- parameter types -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter of a report."""

    name: str
    type: str
    required: bool
    default: str | None
    example: str | None
    description: str
    engine: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        """The type as written in the header (``integer(1..2)``, ``choice(a,b)``)."""
        if self.type == "integer" and (self.minimum is not None or self.maximum is not None):
            low = "" if self.minimum is None else str(self.minimum)
            high = "" if self.maximum is None else str(self.maximum)
            return f"integer({low}..{high})"
        if self.type == "choice":
            return f"choice({','.join(self.choices)})"
        return self.type

    def parse(self, raw: str, scheme: IriScheme) -> tuple[str, Term]:
        """The normalised text and the RDF term of a value. Raises InvalidParameter."""
        return PARAM_TYPES[self.type].parse(self, raw, scheme)

    def json_schema(self) -> dict[str, Any]:
        """An OpenAPI/JSON Schema for the value as it travels in a URL."""
        schema: dict[str, Any] = dict(PARAM_TYPES[self.type].schema)
        if self.type == "integer":
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        if self.type == "choice":
            schema["enum"] = list(self.choices)
        if self.default is not None:
            schema["default"] = _json_value(self, self.default)
        return schema

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type_label,
            "required": self.required,
            "description": self.description,
        }
        if self.default is not None:
            out["default"] = _json_value(self, self.default)
        if self.example is not None:
            out["example"] = _json_value(self, self.example)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _json_value(param: Parameter, text: str) -> Any:
    kind = PARAM_TYPES[param.type].schema.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "boolean":
        return text.strip().lower() in _TRUE
    return text


def _bad(param: Parameter, reason: str) -> InvalidParameter:
    return InvalidParameter(f"parameter {param.name!r}: {reason}", parameter=param.name)


def _check_length(param: Parameter, raw: str) -> str:
    if len(raw) > MAX_STRING:
        raise _bad(param, f"longer than {MAX_STRING} characters")
    return raw


def _iri(param: Parameter, raw: str) -> tuple[str, Term]:
    value = _check_length(param, raw.strip())
    if not _IRI.match(value):
        raise _bad(param, "not an absolute IRI (spaces, quotes and <>{}|^`\\ are not allowed)")
    return value, ox.NamedNode(value)


def _looks_like_iri(value: str) -> bool:
    return value.startswith(("http://", "https://", "urn:"))


def _parse_iri(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    return _iri(param, raw)


def _iri_or_minted(
    param: Parameter, raw: str, mint: Callable[[str], str], what: str
) -> tuple[str, Term]:
    """An IRI as given, or the IRI the project mints for a name or title."""
    value = _check_length(param, raw.strip())
    if _looks_like_iri(value):
        return _iri(param, value)
    if not value:
        raise _bad(param, f"empty: give {what}")
    iri = mint(value)
    return iri, ox.NamedNode(iri)


def _parse_author(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    return _iri_or_minted(param, raw, scheme.author, "an author IRI or a name")


def _parse_paper(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    return _iri_or_minted(param, raw, scheme.paper, "a paper IRI or a title")


_NOTATIONS = {notation.lower(): code for code, (notation, _label) in SUBJECTS.items()}


def _parse_subject(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    value = _check_length(param, raw.strip())
    if _looks_like_iri(value):
        return _iri(param, value)
    if re.fullmatch(r"[A-Za-z]{2,4}", value):
        code = value.upper()
    elif re.fullmatch(r"[A-Za-z-]+\.[A-Za-z]{2,4}", value):
        code = _NOTATIONS.get(value.lower(), value.split(".", 1)[1].upper())
    else:
        raise _bad(
            param, "not a subject: give a site code (LG), an arXiv category (cs.LG) or an IRI"
        )
    iri = scheme.subject(code)
    return iri, ox.NamedNode(iri)


def _parse_string(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    value = _check_length(param, raw)
    return value, ox.Literal(value)


def _parse_integer(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise _bad(param, "not a whole number")
    number = int(text)
    if param.minimum is not None and number < param.minimum:
        raise _bad(param, f"must be at least {param.minimum}")
    if param.maximum is not None and number > param.maximum:
        raise _bad(param, f"must be at most {param.maximum}")
    return str(number), ox.Literal(number)


def _parse_year(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    text = raw.strip()
    if not re.fullmatch(r"\d{4}", text):
        raise _bad(param, "not a four-digit year")
    return text, ox.Literal(int(text))


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _parse_boolean(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    text = raw.strip().lower()
    if text in _TRUE:
        return "true", ox.Literal(True)
    if text in _FALSE:
        return "false", ox.Literal(False)
    raise _bad(param, "not a boolean: use true or false")


def _parse_date(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    from datetime import date

    text = raw.strip()
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise _bad(param, "not a date: use YYYY-MM-DD")
    return day.isoformat(), ox.Literal(day.isoformat(), datatype=ox.NamedNode(str(XSD.date)))


def _parse_choice(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    text = raw.strip().lower()
    for choice in param.choices:
        if choice.lower() == text:
            return choice, ox.Literal(choice)
    raise _bad(param, "must be one of " + ", ".join(param.choices))


@dataclass(frozen=True, slots=True)
class ParamType:
    name: str
    parse: Callable[[Parameter, str, IriScheme], tuple[str, Term]]
    schema: Mapping[str, Any]
    #: A value used to check that the query accepts the parameter when no example is given.
    dummy: str
    description: str


PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType(
            "iri",
            _parse_iri,
            {"type": "string", "format": "iri"},
            "urn:kg:nothing",
            "an absolute IRI",
        ),
        ParamType(
            "author",
            _parse_author,
            {"type": "string"},
            "Nobody",
            "an author IRI, or a name as printed",
        ),
        ParamType(
            "paper", _parse_paper, {"type": "string"}, "Nothing", "a paper IRI, or its title"
        ),
        ParamType(
            "subject",
            _parse_subject,
            {"type": "string"},
            "LG",
            "a site code (LG), an arXiv category (cs.LG) or a subject IRI",
        ),
        ParamType(
            "string", _parse_string, {"type": "string", "maxLength": MAX_STRING}, "x", "text"
        ),
        ParamType("integer", _parse_integer, {"type": "integer"}, "1", "a whole number"),
        ParamType(
            "year",
            _parse_year,
            {"type": "integer", "minimum": 1000, "maximum": 9999},
            "2024",
            "a four-digit year",
        ),
        ParamType("boolean", _parse_boolean, {"type": "boolean"}, "true", "true or false"),
        ParamType(
            "date",
            _parse_date,
            {"type": "string", "format": "date"},
            "2024-01-01",
            "a date, YYYY-MM-DD",
        ),
        ParamType("choice", _parse_choice, {"type": "string"}, "", "one of the listed words"),
    )
}


# -- report definitions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    """How the HTML page draws a report's rows."""

    kind: str  # "bar", "line" or "network"
    x: str | None = None
    y: tuple[str, ...] = ()
    series: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": self.x, "y": list(self.y), "series": self.series}


@dataclass(frozen=True, slots=True)
class Report:
    """One canned report: its header and its query."""

    name: str
    path: Path
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    #: The SPARQL text after the header (PREFIX lines and the query).
    query: str
    chart: Chart | None = None
    engine: str | None = None
    #: "entity" (selective, from a bound IRI) or "whole-graph" (reads everything: a longer time
    #: limit, see WHOLE_GRAPH_TIMEOUT_FACTOR; the result is cached per store version anyway).
    cost: str = "entity"

    @property
    def sparql_parameters(self) -> tuple[Parameter, ...]:
        """The parameters bound in the query (the others feed the engine)."""
        return tuple(p for p in self.parameters if not p.engine)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [p.to_json() for p in self.parameters],
            "chart": self.chart.to_json() if self.chart else None,
            "engine": self.engine,
            "cost": self.cost,
        }


def _parse_type(spec: str) -> tuple[str, int | None, int | None, tuple[str, ...]]:
    spec = spec.strip()
    match = re.fullmatch(r"integer\((-?\d*)\.\.(-?\d*)\)", spec)
    if match:
        low, high = match.groups()
        return "integer", int(low) if low else None, int(high) if high else None, ()
    match = re.fullmatch(r"choice\(([^()]+)\)", spec)
    if match:
        choices = tuple(c.strip() for c in match.group(1).split(",") if c.strip())
        if not choices:
            raise ValueError("choice() needs at least one word")
        return "choice", None, None, choices
    if spec in PARAM_TYPES and spec != "choice":
        return spec, None, None, ()
    raise ValueError(f"unknown parameter type {spec!r} (known: {', '.join(sorted(PARAM_TYPES))})")


def _parse_param(value: str) -> Parameter:
    fields = [f.strip() for f in value.split(" | ")]
    if len(fields) < 3:
        raise ValueError(
            "a param line needs at least: name | type | required, optional or default: VALUE"
        )
    name, type_spec, presence, *rest = fields
    if not _NAME.match(name):
        raise ValueError(f"parameter name {name!r} must be lower-case letters, digits and _")
    if name in RESERVED:
        raise ValueError(f"parameter name {name!r} is reserved for paging and formats")
    kind, minimum, maximum, choices = _parse_type(type_spec)
    default: str | None = None
    if presence == "required":
        required = True
    elif presence == "optional":
        required = False
    elif presence.startswith("default:"):
        required, default = False, presence[len("default:") :].strip()
    else:
        raise ValueError(
            f"third field of param {name!r} must be required, optional or default: VALUE"
        )
    example: str | None = None
    engine = False
    description = ""
    for item in rest:
        if item.startswith("example:"):
            example = item[len("example:") :].strip()
        elif item == "engine":
            engine = True
        elif description:
            raise ValueError(f"param {name!r}: unexpected field {item!r} after the description")
        else:
            description = item
    if not description:
        raise ValueError(f"param {name!r} has no description")
    return Parameter(
        name, kind, required, default, example, description, engine, minimum, maximum, choices
    )


def _parse_chart(value: str) -> Chart:
    kind, *options = value.split()
    if kind not in {"bar", "line", "network"}:
        raise ValueError(f"unknown chart kind {kind!r} (bar, line, network)")
    settings: dict[str, str] = {}
    for option in options:
        key, sep, val = option.partition("=")
        if not sep or key not in {"x", "y", "series"}:
            raise ValueError(f"chart option {option!r} must be x=, y= or series=")
        settings[key] = val
    y = tuple(v for v in settings.get("y", "").split(",") if v)
    if kind != "network" and (not settings.get("x") or not y):
        raise ValueError(f"a {kind} chart needs x= and y= columns")
    return Chart(kind, settings.get("x"), y, settings.get("series"))


def parse_report(path: Path, text: str | None = None) -> Report:
    """Read one report file (header and query) without validating the query.

    Raises ReportDefinitionError for a malformed header.
    """
    name = path.stem
    if not _REPORT_NAME.match(name):
        raise ReportDefinitionError(
            path, "report file names must be lower-case letters, digits and hyphens"
        )
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ReportDefinitionError(path, f"cannot read: {error}") from error
    lines = text.splitlines()
    header: list[tuple[str, str]] = []
    body_start = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            body_start = index
            break
        continuation = _CONTINUATION.match(stripped)
        match = _HEADER_LINE.match(stripped)
        if continuation and header and not match:
            key, value = header[-1]
            header[-1] = (key, f"{value} {continuation['value'].strip()}")
        elif match:
            header.append((match["key"], match["value"].strip()))
        # other comment lines in the header are ordinary comments
    fields: dict[str, str] = {}
    params: list[Parameter] = []
    chart: Chart | None = None
    for key, value in header:
        try:
            if key == "param":
                params.append(_parse_param(value))
            elif key == "chart":
                chart = _parse_chart(value)
            elif key in {"title", "description", "engine", "cost"}:
                if key in fields:
                    raise ValueError(f"{key} given twice")
                fields[key] = value
            else:
                raise ValueError(
                    f"unknown header field {key!r} (title, description, param, chart, engine, cost)"
                )
        except ValueError as error:
            raise ReportDefinitionError(path, str(error)) from error
    if not fields.get("title"):
        raise ReportDefinitionError(path, "the header has no '# title:' line")
    if not fields.get("description"):
        raise ReportDefinitionError(path, "the header has no '# description:' line")
    names = [p.name for p in params]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ReportDefinitionError(path, f"parameter declared twice: {', '.join(duplicates)}")
    cost = fields.get("cost", "entity")
    if cost not in COSTS:
        raise ReportDefinitionError(path, f"cost must be one of {', '.join(COSTS)}, not {cost!r}")
    query = "\n".join(lines[body_start:]).strip() + "\n"
    if not query.strip():
        raise ReportDefinitionError(path, "no query after the header")
    return Report(
        name,
        path,
        fields["title"],
        fields["description"],
        tuple(params),
        query,
        chart,
        fields.get("engine"),
        cost,
    )


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
      empty in-memory store with every bound variable substituted.
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
        if not _uses_variable(code, param.name):
            raise ReportDefinitionError(
                report.path,
                f"parameter {param.name!r} is declared in the header but ?{param.name} is not in the query",
            )
        if re.search(rf"BOUND\s*\(\s*[?$]{re.escape(param.name)}\s*\)", code, flags=re.IGNORECASE):
            raise ReportDefinitionError(
                report.path,
                f"BOUND(?{param.name}) is always false for a substituted parameter in pyoxigraph; "
                f"write FILTER(COALESCE(... = ?{param.name}, true)) instead",
            )
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
    try:
        results = ox.Store().query(
            report.query, substitutions={ox.Variable(k): v for k, v in substitutions.items()}
        )
        if isinstance(results, ox.QuerySolutions):
            list(results)
        else:
            raise ReportDefinitionError(report.path, "a report query must be a SELECT query")
    except SyntaxError as error:
        raise ReportDefinitionError(report.path, f"the query does not parse: {error}") from error
    except (RuntimeError, ValueError, TypeError) as error:
        raise ReportDefinitionError(
            report.path, f"the query does not accept its parameters: {error}"
        ) from error


class Reports(Mapping[str, Report]):
    """The loaded reports, by name, in file-name order."""

    def __init__(self, reports: Iterable[Report], folder: Path | None = None):
        self._by_name: dict[str, Report] = {r.name: r for r in reports}
        self.folder = folder

    def __getitem__(self, name: str) -> Report:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def get_report(self, name: str) -> Report:
        """The report called ``name``. Raises NotFound."""
        report = self._by_name.get(name)
        if report is None:
            raise NotFound(f"no report named {name!r}; see /reports for the list")
        return report


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


_EXAMPLES_CACHE: dict[tuple[str, float], list[dict[str, str]]] = {}


def browser_examples(folder: str | Path | None = None) -> list[dict[str, str]]:
    """The reports as examples for the query page: name, title, description and query.

    The query is the file's text as it is (header comments included): parameters
    stay variables, so the example runs over every author, paper, ... The header
    names each parameter and its example value.
    """
    path = Path(folder) if folder is not None else QUERIES_DIR
    files = sorted(path.glob("*.rq")) if path.is_dir() else []
    stamp = max((f.stat().st_mtime for f in files), default=0.0)
    key = (str(path), stamp)
    if key not in _EXAMPLES_CACHE:
        items = []
        for file in files:
            try:
                report = parse_report(file)
            except ReportDefinitionError:
                continue
            items.append(
                {
                    "name": report.name,
                    "title": report.title,
                    "description": report.description,
                    "query": file.read_text(encoding="utf-8"),
                }
            )
        _EXAMPLES_CACHE.clear()
        _EXAMPLES_CACHE[key] = items
    return list(_EXAMPLES_CACHE[key])


# -- binding and running ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """The validated parameter values of one run."""

    #: Normalised text of every given or defaulted parameter (IRIs for author names, ...).
    values: Mapping[str, str]
    #: The RDF term of each of those values.
    terms: Mapping[str, Term]

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

    def records(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows ``start:stop`` as JSON-ready dicts (numbers, booleans, strings, None)."""
        return [
            {c: python_value(v) for c, v in zip(self.columns, row, strict=True)}
            for row in self.rows[start:stop]
        ]


def bind(report: Report, raw: Mapping[str, str], scheme: IriScheme) -> Binding:
    """Check request parameters against a report's header.

    An empty value counts as absent. Absent optional parameters take their
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
    for param in report.parameters:
        given = raw.get(param.name)
        if given is None or given.strip() == "":
            if param.default is not None:
                given = param.default
            elif param.required:
                raise InvalidParameter(
                    f"parameter {param.name!r} is required ({param.description})",
                    parameter=param.name,
                )
            else:
                continue
        text, term = param.parse(given, scheme)
        values[param.name] = text
        terms[param.name] = term
    return Binding(values, terms)


class ReportRunner:
    """Runs reports through a backend, with results cached per store version.

    The same runner serves the CLI (:class:`kg.store.query.LocalBackend`) and the
    server (its worker pool), so both give the same rows.
    """

    def __init__(
        self,
        reports: Reports,
        backend: QueryBackend,
        scheme: IriScheme,
        *,
        max_rows: int = 100_000,
        cache_rows: int = 1_000_000,
        timeout: float | None = None,
        precomputed: PrecomputedReports | None = None,
        warm: bool = False,
    ):
        self.reports = reports
        self.backend = backend
        self.scheme = scheme
        self.max_rows = max_rows
        self.cache_rows = cache_rows
        self.timeout = timeout
        #: The store folder's precomputed whole-graph reports (None: an external store).
        self.precomputed = precomputed
        #: Warm the whole-graph reports in a background thread whenever the version changes.
        self.warm_on_new_version = warm
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], ReportResult] = OrderedDict()
        self._cached_rows = 0
        self._version: str | None = None
        #: Engine state that lives as long as one store version (search index, neighbours).
        self.memo: dict[str, Any] = {}
        self._fingerprint: str | None = None
        self._warming: threading.Thread | None = None
        #: What the last warm-up did, per report: "precomputed", "query" or the error (for tests, logs).
        self.warmed: dict[str, str] = {}
        #: The version the last complete warm-up was for.
        self.warm_version: str | None = None
        self._graph_build = threading.Lock()

    # -- versions and caching

    def version(self) -> str:
        """The backend's data version; a change empties the caches."""
        version = self.backend.version()
        if version != self._version:
            changed = False
            with self._lock:
                if version != self._version:
                    self._cache.clear()
                    self._cached_rows = 0
                    self.memo = {}
                    self._version = version
                    changed = True
            if changed and self.warm_on_new_version:
                self.start_warming()
        return version

    def etag(self, report: Report, binding: Binding, *variant: object) -> str:
        """A strong validator for a representation: store version, report, parameters, variant."""
        digest = hashlib.sha256(
            repr((self.version(), report.name, binding.key(), variant)).encode()
        ).hexdigest()
        return f'"{digest[:32]}"'

    def _cache_get(self, key: tuple[Any, ...]) -> ReportResult | None:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _cache_put(self, key: tuple[Any, ...], result: ReportResult) -> None:
        size = max(1, len(result.rows))
        if size > self.cache_rows:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = result
            self._cached_rows += size
            while self._cached_rows > self.cache_rows and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cached_rows -= max(1, len(old.rows))

    # -- running

    def bind(self, report: Report, raw: Mapping[str, str]) -> Binding:
        return bind(report, raw, self.scheme)

    def select(
        self, report: Report, substitutions: Mapping[str, Term], *, limit: int | None = -1
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], bool]:
        """Run a report's query as it is: variables, rows (terms) and whether rows were cut.

        ``limit`` -1 means the runner's max_rows, None means no cap.
        """
        cap = self.max_rows if limit == -1 else limit
        if report.cost == "whole-graph" and self.precomputed is not None:
            stored = self._precomputed_rows(report, substitutions)
            if stored is not None:
                if cap is not None and len(stored.rows) > cap:
                    return stored.variables, stored.rows[:cap], True
                return stored.variables, stored.rows, False
        timeout = self.timeout
        if timeout is not None and report.cost == "whole-graph":
            timeout *= WHOLE_GRAPH_TIMEOUT_FACTOR
        outcome = self.backend.run(
            QueryRequest(report.query, substitutions=dict(substitutions), limit=cap),
            timeout=timeout,
        )
        if outcome.select is None:
            return (), [], False
        return outcome.select.variables, outcome.select.rows, outcome.truncated

    def run(self, report: Report, binding: Binding) -> ReportResult:
        """The report's result for these parameters (from the cache when the store has not changed)."""
        key = (self.version(), report.name, binding.key())
        cached = self._cache_get(key)
        if cached is not None:
            return cached
        stored = self._precomputed_result(report, binding) if report.engine is not None else None
        if stored is not None:
            result = stored
        elif report.engine is not None:
            result = ENGINES[report.engine].run(self, report, binding)
        else:
            variables, rows, truncated = self.select(report, binding.substitutions(report))
            result = _drop_parameter_columns(report, variables, rows, truncated)
        self._cache_put(key, result)
        return result

    def run_named(self, name: str, params: Mapping[str, str]) -> ReportResult:
        """Run another report by name with raw parameter values (engines compose reports)."""
        report = self.reports.get_report(name)
        return self.run(report, self.bind(report, params))

    # -- precomputed whole-graph reports (kg.reports.precompute) and warming

    def _precomputed_rows(
        self, report: Report, substitutions: Mapping[str, Term]
    ) -> StoredRows | None:
        """The stored rows of a whole-graph query for the current version, if there are any."""
        assert self.precomputed is not None
        return self.precomputed.rows(self.version(), report, substitutions)

    def _precomputed_result(self, report: Report, binding: Binding) -> ReportResult | None:
        if self.precomputed is None or report.cost != "whole-graph":
            return None
        if self._fingerprint is None:
            from kg.reports.precompute import reports_fingerprint

            self._fingerprint = reports_fingerprint(self.reports)
        return self.precomputed.result(
            self.version(), report, binding, fingerprint=self._fingerprint, max_rows=self.max_rows
        )

    def whole_graph_warmups(self) -> list[tuple[Report, Binding | None]]:
        """What warming runs: each whole-graph report with its default binding (None: the
        report needs a parameter, and only its engine's whole-graph input is prepared)."""
        from kg.reports.precompute import default_binding

        return [
            (report, default_binding(report, self.scheme))
            for report in self.reports.values()
            if report.cost == "whole-graph"
        ]

    def warm(self, version: str | None = None) -> dict[str, str]:
        """Fill the cache with the whole-graph reports of the current version.

        Each comes from its precomputed file when there is one, else from its query.
        Before them, the co-author graph of the collaboration-path report is built (a
        build that fails is noted under that report's name). Stops as soon as the store
        moves on to another version. Never raises: a report that fails is noted and left
        for a request to run (and report) itself.
        """
        version = version or self.version()
        done: dict[str, str] = {}
        if "collaboration-path" in self.reports:
            # First, as it takes a few seconds and spares every collaboration path ~100-500 queries.
            try:
                self.build_coauthor_graph()
            except Exception as error:
                done["collaboration-path"] = f"co-author graph: {type(error).__name__}: {error}"
        for report, binding in self.whole_graph_warmups():
            if self.version() != version:
                break
            try:
                source = (
                    "precomputed" if self._has_precomputed(version, report, binding) else "query"
                )
                if binding is not None:
                    if self._cache_get((version, report.name, binding.key())) is None:
                        self.run(report, binding)
                        done[report.name] = source
                elif report.engine == "search":
                    _search_index(self, report)
                    done[report.name] = source
            except Exception as error:
                done[report.name] = f"{type(error).__name__}: {error}"
        self.warmed = done
        if self.version() == version:
            self.warm_version = version
        return done

    def is_warm(self) -> bool:
        """Whether a warm-up finished for the current version (a readiness signal: /healthz)."""
        return self.warm_version is not None and self.warm_version == self.version()

    def coauthor_graph(self) -> CoauthorGraph | None:
        """The current version's in-memory co-author graph, None until it has been built."""
        graph = self.memo.get("coauthor-graph")
        if isinstance(graph, CoauthorGraph) and graph.version == self.version():
            return graph
        return None

    def build_coauthor_graph(self) -> CoauthorGraph:
        """Build the current version's co-author graph (one whole-graph query; seconds at
        100k papers) and keep it for that version. Warming calls this; requests never
        wait for it: until it is there, collaboration paths are searched by queries.
        Raises what the backend raises."""
        with self._graph_build:
            graph = self.coauthor_graph()
            if graph is not None:
                return graph
            timeout = None if self.timeout is None else self.timeout * WHOLE_GRAPH_TIMEOUT_FACTOR
            graph = CoauthorGraph.from_backend(self.backend, timeout=timeout)
            # A graph read while the store moved on carries the older version: coauthor_graph()
            # never hands it out, and the warm-up of the new version builds another.
            if graph.version == self.version():
                self.memo["coauthor-graph"] = graph
            return graph

    def _has_precomputed(self, version: str, report: Report, binding: Binding | None) -> bool:
        """Whether a precomputed file is there (it may still be found stale when read)."""
        if self.precomputed is None:
            return False
        kind = "result" if report.engine is not None and binding is not None else "rows"
        path = self.precomputed.path(version, report.name, kind)
        return path is not None and path.is_file()

    def start_warming(self) -> threading.Thread | None:
        """Warm the whole-graph reports in a daemon thread (one at a time); requests never wait for it."""
        with self._lock:
            if self._warming is not None and self._warming.is_alive():
                # It stops at the next report when it sees the new version; then warm again.
                previous = self._warming
            else:
                previous = None
            thread = threading.Thread(
                target=self._warm_after, args=(previous,), daemon=True, name="kg-report-warmup"
            )
            self._warming = thread
        thread.start()
        return thread

    def _warm_after(self, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()
        self.warm()


def _drop_parameter_columns(
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


# -- output ----------------------------------------------------------------------------------


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


# -- engines ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Engine:
    """A Python step behind a report: what SPARQL cannot say (paths, fuzzy ranking, graphs)."""

    run: Callable[[ReportRunner, Report, Binding], ReportResult]
    #: Variables the engine substitutes itself (beyond the report's SPARQL parameters).
    binds: tuple[str, ...] = ()
    #: Variables the engine reads from the query's rows.
    columns: tuple[str, ...] = ()


def _index(variables: Sequence[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(variables)}


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


#: Co-author network at depth 2: most co-authors whose papers are fetched.
NETWORK_MAX_EXPANSIONS = 300


def _paper_members(
    runner: ReportRunner, report: Report, author: str
) -> dict[str, list[tuple[str, str]]]:
    """The papers of one author -> their authors as (IRI, name), memoised for the store version."""
    memo: OrderedDict[str, dict[str, list[tuple[str, str]]]] = runner.memo.setdefault(
        "network-papers", OrderedDict()
    )
    found = memo.get(author)
    if found is not None:
        return found
    variables, rows, _truncated = runner.select(
        report, {"author": ox.NamedNode(author)}, limit=None
    )
    at = _index(variables)
    found = {}
    for row in rows:
        paper, members = _value(row[at["paper"]]), _value(row[at["members"]])
        if paper is None or members is None:
            continue
        people: dict[str, str] = {}
        for line in members.split("\n"):
            iri, _sep, name = line.partition(" ")
            if iri and (iri not in people or not people[iri]):
                people[iri] = name
        found[paper] = sorted(people.items())
    memo[author] = found
    if len(memo) > 20_000:
        memo.popitem(last=False)
    return found


def _network(runner: ReportRunner, report: Report, binding: Binding) -> ReportResult:
    """Papers around an author -> weighted co-author edges and Cytoscape.js elements."""
    ego = str(binding.values["author"])
    depth = int(binding.values.get("depth", "1"))
    papers = dict(_paper_members(runner, report, ego))
    level: dict[str, int] = {}
    names: dict[str, str] = {}

    def visit(found: Mapping[str, list[tuple[str, str]]], at_level: int) -> None:
        for paper, people in found.items():
            papers.setdefault(paper, people)
            for iri, name in people:
                level.setdefault(iri, at_level)
                if name and not names.get(iri):
                    names[iri] = name

    if papers:
        level[ego] = 0
    visit(papers, 1)
    notes: list[str] = []
    if depth >= 2:
        near = sorted(iri for iri, lvl in level.items() if lvl == 1)
        if len(near) > NETWORK_MAX_EXPANSIONS:
            notes.append(
                f"depth 2 used the papers of the first {NETWORK_MAX_EXPANSIONS} of {len(near)} co-authors"
            )
        for iri in near[:NETWORK_MAX_EXPANSIONS]:
            visit(_paper_members(runner, report, iri), 2)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for people in papers.values():
        members = [iri for iri, _name in people]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                weights[(a, b) if a < b else (b, a)] += 1
    ordered = sorted(
        weights.items(),
        key=lambda item: (-item[1], names.get(item[0][0], ""), names.get(item[0][1], "")),
    )
    degree: dict[str, int] = defaultdict(int)
    for (a, b), _w in ordered:
        degree[a] += 1
        degree[b] += 1
    out_rows = [
        (
            ox.NamedNode(a),
            _literal(names.get(a)),
            ox.NamedNode(b),
            _literal(names.get(b)),
            ox.Literal(w),
        )
        for (a, b), w in ordered
    ]
    nodes = [
        {
            "data": {
                "id": iri,
                "label": names.get(iri) or iri,
                "level": lvl,
                "degree": degree.get(iri, 0),
            }
        }
        for iri, lvl in sorted(
            level.items(), key=lambda item: (item[1], names.get(item[0]) or item[0])
        )
    ]
    edges = [
        {"data": {"id": f"e{i}", "source": a, "target": b, "weight": w}}
        for i, ((a, b), w) in enumerate(ordered)
    ]
    return ReportResult(
        ("source", "source_name", "target", "target_name", "weight"),
        out_rows,
        notes=tuple(notes),
        extra={"elements": {"nodes": nodes, "edges": edges}},
    )


def _literal(value: str | None) -> ox.Literal | None:
    return None if value is None else ox.Literal(value)


def _year(term: Any) -> int | None:
    value = _value(term)
    if value and re.match(r"^\d{4}", value):
        return int(value[:4])
    return None


@dataclass(slots=True)
class _Group:
    papers: dict[str, tuple[str, int | None, str | None]] = field(default_factory=dict)
    coauthors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _communities(runner: ReportRunner, report: Report, binding: Binding) -> ReportResult:
    """An author's papers -> groups of papers connected through shared co-authors."""
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    at = _index(variables)
    papers: dict[str, tuple[str, int | None, str | None]] = {}
    coauthors_of: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for row in rows:
        paper = _value(row[at["paper"]])
        if paper is None:
            continue
        papers.setdefault(
            paper,
            (
                _value(row[at["paper_title"]]) or paper,
                _year(row[at["date"]]),
                _value(row[at["subject_code"]]),
            ),
        )
        coauthor = _value(row[at["coauthor"]])
        if coauthor is not None:
            coauthors_of[paper].add(coauthor)
            name = _value(row[at["coauthor_name"]])
            if name:
                names.setdefault(coauthor, name)
    parent = {p: p for p in papers}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    first_paper: dict[str, str] = {}
    for paper in sorted(papers):
        for coauthor in coauthors_of.get(paper, ()):
            if coauthor in first_paper:
                a, b = find(first_paper[coauthor]), find(paper)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_paper[coauthor] = paper
    groups: dict[str, _Group] = defaultdict(_Group)
    for paper, info in papers.items():
        group = groups[find(paper)]
        group.papers[paper] = info
        for coauthor in coauthors_of.get(paper, ()):
            group.coauthors[coauthor] += 1
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -len(g.papers),
            -len(g.coauthors),
            min(info[0] for info in g.papers.values()),
        ),
    )
    out_rows = []
    for number, group in enumerate(ordered, start=1):
        years = [y for _t, y, _s in group.papers.values() if y is not None]
        subjects: dict[str, int] = defaultdict(int)
        for _t, _y, code in group.papers.values():
            if code:
                subjects[code] += 1
        top = sorted(
            group.coauthors.items(), key=lambda item: (-item[1], names.get(item[0], item[0]))
        )
        people = ", ".join(f"{names.get(c, c)} ({n})" for c, n in top[:8]) + (
            " …" if len(top) > 8 else ""
        )
        titles = sorted(
            group.papers.values(), key=lambda info: (info[1] or 0, info[0]), reverse=True
        )
        out_rows.append(
            (
                ox.Literal(number),
                ox.Literal(len(group.papers)),
                ox.Literal(min(years)) if years else None,
                ox.Literal(max(years)) if years else None,
                ox.Literal(
                    ", ".join(
                        f"{c} {n}" for c, n in sorted(subjects.items(), key=lambda i: (-i[1], i[0]))
                    )
                ),
                ox.Literal(len(group.coauthors)),
                ox.Literal(people) if people else None,
                ox.Literal(
                    "; ".join(t for t, _y, _s in titles[:5]) + (" …" if len(titles) > 5 else "")
                ),
            )
        )
    columns = (
        "group",
        "papers",
        "first_year",
        "last_year",
        "subjects",
        "coauthor_count",
        "coauthors",
        "titles",
    )
    return ReportResult(columns, out_rows, truncated)


#: Co-author-group check of the ambiguity engine: at most this many authors (the most prolific).
AMBIGUITY_MAX_AUTHORS = 100


def _ambiguity(runner: ReportRunner, report: Report, binding: Binding) -> ReportResult:
    """Identity-resolution and name signals (SPARQL), plus the co-author-group signal."""
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    result = _drop_parameter_columns(report, variables, rows, truncated)
    at = _index(result.columns)
    out = [_fixed_evidence(row, at) for row in result.rows]
    notes: list[str] = []
    min_papers = int(binding.values.get("min_papers", "4"))
    # One row per author for "several people": where identity resolution already says so
    # (its own community count, which the author page shows), the co-author-group check
    # would repeat the suspicion with other numbers.
    flagged = {
        _value(row[at["author"]])
        for row in out
        if _value(row[at["signal"]]) == "possibly several people (identity resolution)"
    }
    if "top-authors-by-papers" in runner.reports and "author-communities" in runner.reports:
        top = runner.run_named("top-authors-by-papers", {"min_papers": str(min_papers)})
        top_at = _index(top.columns)
        candidates = top.rows[:AMBIGUITY_MAX_AUTHORS]
        if len(top.rows) > AMBIGUITY_MAX_AUTHORS:
            notes.append(
                f"the co-author-group check looked at the {AMBIGUITY_MAX_AUTHORS} authors with most papers"
            )
        for row in candidates:
            author = _value(row[top_at["author"]])
            if author is None or author in flagged:
                continue
            groups = runner.run_named("author-communities", {"author": author})
            g_at = _index(groups.columns)
            sizes = [int(python_value(g[g_at["papers"]])) for g in groups.rows]
            sizeable = [g for g, size in zip(groups.rows, sizes, strict=True) if size >= 2]
            total = sum(sizes)
            # Several groups of two or more papers, and none holding half of the papers: a
            # prolific author with one main group and a few side projects is not flagged.
            if len(sizeable) < 2 or not total or max(sizes) * 2 >= total:
                continue
            parts = []
            for g in sizeable[:4]:
                years = (python_value(g[g_at["first_year"]]), python_value(g[g_at["last_year"]]))
                span = f"{years[0]}–{years[1]}" if years[0] is not None else "undated"
                people = python_value(g[g_at["coauthors"]]) or "no visible co-author"
                parts.append(f"{python_value(g[g_at['papers']])} papers, {span}, with {people}")
            evidence = (
                f"{total} papers, {len(sizeable)} groups of two or more that share no co-author, "
                f"the largest with {max(sizes)}: " + " | ".join(parts)
            )
            values: dict[str, Any] = {
                "signal": ox.Literal("papers split into co-author groups that share nobody"),
                "author": ox.NamedNode(author),
                "author_name": row[top_at["author_name"]],
                "method": ox.Literal("co-author-groups"),
                "score": ox.Literal(round(1 - max(sizes) / total, 2)),
                "evidence": ox.Literal(evidence),
            }
            out.append(tuple(values.get(column) for column in result.columns))
    else:
        notes.append(
            "the co-author-group check needs the top-authors-by-papers and author-communities reports"
        )
    # A total order: rows that tie on signal and name keep no engine-dependent order.
    out.sort(
        key=lambda r: tuple(
            _value(r[at[c]]) or "" for c in ("signal", "author_name", "author", "other", "evidence")
        )
    )
    return ReportResult(result.columns, out, result.truncated, tuple(notes))


#: The separators of the query's GROUP_CONCAT evidence, by the row's method or signal.
_EVIDENCE_SEPARATORS = {"name-order": " and ", "initials": " and "}


def _fixed_evidence(row: tuple[Any, ...], at: Mapping[str, int]) -> tuple[Any, ...]:
    """The row with its GROUP_CONCAT evidence items in code-point order.

    SPARQL 1.1 leaves the order of GROUP_CONCAT's items to the engine, and pyoxigraph's
    differs between processes (hashing): without this, the same store gave two texts,
    and a stored answer could differ from a live one.
    """
    evidence = _value(row[at["evidence"]])
    if not evidence:
        return row
    separator = _EVIDENCE_SEPARATORS.get(_value(row[at["method"]]) or "", " | ")
    fixed = separator.join(sorted(evidence.split(separator)))
    if fixed == evidence:
        return row
    cells = list(row)
    cells[at["evidence"]] = ox.Literal(fixed)
    return tuple(cells)


#: Collaboration paths: most authors whose co-authors are fetched before giving up.
PATH_MAX_EXPANSIONS = 2000
#: Collaboration paths: longest path looked for.
PATH_MAX_LENGTH = 12


_Link = tuple[str | None, str | None]  # (previous author on the path, the paper they share)


def _neighbours(runner: ReportRunner, report: Report, author: str) -> dict[str, str | None]:
    """Co-authors of one author -> a paper they share, memoised for the store version."""
    memo: OrderedDict[str, dict[str, str | None]] = runner.memo.setdefault(
        "path-neighbours", OrderedDict()
    )
    found = memo.get(author)
    if found is not None:
        return found
    variables, rows, _truncated = runner.select(
        report, {"author": ox.NamedNode(author)}, limit=None
    )
    at = _index(variables)
    found = {}
    for row in rows:
        coauthor = _value(row[at["coauthor"]])
        if coauthor is not None:
            found[coauthor] = _value(row[at["via_paper"]])
    memo[author] = found
    if len(memo) > 50_000:
        memo.popitem(last=False)
    return found


#: The labels of one step of a path in one query: the shared paper's title and the
#: names of its authors (the path's authors are among them). An author's name is the
#: first of its schema:name values and a paper's title the last of its dcterms:title
#: values in code-point order, as the paper-authors and paper reports list them.
_STEP_LABELS = """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?paper ?author (MIN(?written) AS ?name) (MAX(?heading) AS ?title) WHERE {
  ?paper schema:author ?author .
  OPTIONAL { ?author schema:name ?written }
  OPTIONAL { ?paper dcterms:title ?heading }
} GROUP BY ?paper ?author"""
_AUTHOR_NAME = """PREFIX schema: <https://schema.org/>
SELECT ?author (MIN(?written) AS ?name) WHERE { ?author schema:name ?written } GROUP BY ?author"""


def _path_labels(
    runner: ReportRunner, chain: list[tuple[str, str | None]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the authors and titles of the papers on a path: one query per step
    (a path has at most PATH_MAX_LENGTH), and one per author no step names."""
    names: dict[str, str] = {}
    titles: dict[str, str] = {}

    def rows(text: str, substitutions: dict[str, Any]) -> list[dict[str, Any]]:
        outcome = runner.backend.run(
            QueryRequest(text, substitutions=substitutions), timeout=runner.timeout
        )
        return outcome.rows

    for _author, paper in chain:
        if not paper:
            continue
        for row in rows(_STEP_LABELS, {"paper": ox.NamedNode(paper)}):
            if row.get("name") is not None:
                names.setdefault(str(row["author"].value), str(row["name"].value))
            if row.get("title") is not None:
                titles[paper] = str(row["title"].value)
    for author, _paper in chain:
        if author not in names:
            for row in rows(_AUTHOR_NAME, {"author": ox.NamedNode(author)}):
                if row.get("name") is not None:
                    names[author] = str(row["name"].value)
    return names, titles


_PATH_COLUMNS = ("step", "author", "author_name", "via_paper", "via_paper_title")


def _collaboration_path(runner: ReportRunner, report: Report, binding: Binding) -> ReportResult:
    """Shortest co-author path, searched in the store version's in-memory co-author graph
    when it has been built (:meth:`ReportRunner.coauthor_graph`), else by queries
    (:func:`_collaboration_path_sparql`): the two give the same rows and notes."""
    start, goal = binding.values["from"], binding.values["to"]
    graph = runner.coauthor_graph() if start != goal else None
    if graph is None:
        return _collaboration_path_sparql(runner, report, binding)
    found = graph.shortest_path(
        start, goal, max_length=PATH_MAX_LENGTH, max_expansions=PATH_MAX_EXPANSIONS
    )
    return _path_result(runner, found)


def _collaboration_path_sparql(
    runner: ReportRunner, report: Report, binding: Binding
) -> ReportResult:
    """Shortest co-author path: breadth-first search from both ends, a whole level at a time.

    Each expanded author costs one query (its co-authors). The search expands the
    smaller frontier; the first level on which the two searches meet gives the
    shortest length, and among the meeting authors of that level the one closest to
    the other end is taken, so the path is a shortest one.
    """
    start, goal = binding.values["from"], binding.values["to"]
    if start == goal:
        names, _titles = _path_labels(runner, [(start, None)])
        return ReportResult(
            _PATH_COLUMNS,
            [(ox.Literal(0), ox.NamedNode(start), _literal(names.get(start)), None, None)],
            notes=("the two authors are the same",),
        )
    parents: list[dict[str, _Link]] = [{start: (None, None)}, {goal: (None, None)}]
    frontiers: list[set[str]] = [{start}, {goal}]
    expansions = 0
    meeting: str | None = None
    exhausted = False
    length = 0
    while meeting is None and length < PATH_MAX_LENGTH:
        if not frontiers[0] or not frontiers[1]:
            exhausted = True
            break
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        other = 1 - side
        next_frontier: set[str] = set()
        candidates: list[str] = []
        for current in sorted(frontiers[side]):
            expansions += 1
            if expansions > PATH_MAX_EXPANSIONS:
                break
            for coauthor, paper in _neighbours(runner, report, current).items():
                if coauthor in parents[side]:
                    continue
                parents[side][coauthor] = (current, paper)
                next_frontier.add(coauthor)
                if coauthor in parents[other]:
                    candidates.append(coauthor)
        length += 1
        if candidates:
            meeting = min(candidates, key=lambda n: (_depth(parents[other], n), n))
            break
        if expansions > PATH_MAX_EXPANSIONS:
            break
        frontiers[side] = next_frontier
    if meeting is None:
        return _path_result(runner, PathSearch(None, expansions, exhausted))
    # From the meeting author back to the start: each entry carries the paper it shares
    # with the author before it on the path; then on from the meeting author to the goal.
    back: list[tuple[str, str | None]] = []
    node: str | None = meeting
    while node is not None:
        previous, paper = parents[0][node]
        back.append((node, paper))
        node = previous
    back.reverse()
    chain = list(back)
    here = meeting
    while True:
        following, paper = parents[1][here]
        if following is None:
            break
        chain.append((following, paper))
        here = following
    return _path_result(runner, PathSearch(chain, expansions, False))


def _path_result(runner: ReportRunner, found: PathSearch) -> ReportResult:
    """The report's rows and note for a search's outcome (names and titles read here)."""
    chain, expansions = found.chain, found.expansions
    if chain is None:
        if found.exhausted:
            note = (
                f"no co-author path: the two authors are in separate parts of the graph "
                f"({expansions} authors searched)"
            )
        else:
            note = (
                f"no path found within the search limit ({PATH_MAX_EXPANSIONS} authors, "
                f"paths up to {PATH_MAX_LENGTH} steps)"
            )
        return ReportResult(_PATH_COLUMNS, [], notes=(note,))
    names, titles = _path_labels(runner, chain)
    out_rows = []
    for step, (author, paper) in enumerate(chain):
        shared = paper if step else None
        out_rows.append(
            (
                ox.Literal(step),
                ox.NamedNode(author),
                _literal(names.get(author)),
                ox.NamedNode(shared) if shared else None,
                _literal(titles.get(shared or "")),
            )
        )
    note = f"{len(chain) - 1} co-authorship steps ({expansions} authors searched)"
    return ReportResult(_PATH_COLUMNS, out_rows, notes=(note,))


def _depth(parents: Mapping[str, _Link], node: str) -> int:
    depth = 0
    current: str | None = parents[node][0]
    while current is not None:
        depth += 1
        current = parents[current][0]
    return depth


def fold(text: str) -> str:
    """Text as the search compares it: no diacritics, case or punctuation."""
    text = ascii_fold(unicodedata.normalize("NFKC", text)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


#: Search: at most this many matches, and only those scoring at least SEARCH_CUTOFF (0-100).
SEARCH_LIMIT = 50
SEARCH_CUTOFF = 60.0
#: Search: candidates per kind taken from the first, fast pass.
SEARCH_CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class _SearchIndex:
    #: kind -> (folded labels, (item, label) terms), in the same order
    kinds: dict[str, tuple[list[str], list[tuple[Any, Any]]]]


_SEARCH_BUILD = threading.Lock()


def _search_index(runner: ReportRunner, report: Report) -> _SearchIndex:
    """The names and titles of the current store version (built once: concurrent searches wait)."""
    index = runner.memo.get("search-index")
    if isinstance(index, _SearchIndex):
        return index
    with _SEARCH_BUILD:
        index = runner.memo.get("search-index")
        if isinstance(index, _SearchIndex):
            return index
        variables, rows, _truncated = runner.select(report, {}, limit=None)
        at = _index(variables)
        kinds: dict[str, tuple[list[str], list[tuple[Any, Any]]]] = {}
        for row in rows:
            label = _value(row[at["label"]])
            if not label:
                continue
            folded, entries = kinds.setdefault(_value(row[at["type"]]) or "other", ([], []))
            folded.append(fold(label))
            entries.append((row[at["item"]], row[at["label"]]))
        index = _SearchIndex(kinds)
        runner.memo["search-index"] = index
        return index


def _best_candidates(query: str, folded: list[str]) -> list[tuple[int, float]]:
    """The SEARCH_CANDIDATES labels most like ``query`` by token_set_ratio (positions, scores).

    What ``process.extract(..., limit=SEARCH_CANDIDATES)`` gives (best first, equal scores
    in label order), computed by ``process.cdist`` on every core: at 170,000 labels one
    pass is about 100 ms on one core, the whole of a search's time.
    """
    from rapidfuzz import fuzz, process

    # One row per label (cdist shares rows among its threads; token_set_ratio is symmetric).
    scores = process.cdist(
        folded,
        [query],
        scorer=fuzz.token_set_ratio,
        dtype=np.float32,
        score_cutoff=SEARCH_CUTOFF - 20,
        workers=-1,
    )[:, 0]
    passing = np.flatnonzero(scores >= SEARCH_CUTOFF - 20)
    # Stable sort on the negated score: ties stay in label order, as extract orders them.
    best = passing[np.argsort(-scores[passing], kind="stable")][:SEARCH_CANDIDATES]
    return [(int(position), float(scores[position])) for position in best]


def _search(runner: ReportRunner, report: Report, binding: Binding) -> ReportResult:
    """Rank authors' names and papers' titles against the query with rapidfuzz."""
    from rapidfuzz import fuzz

    columns = ("type", "item", "label", "score")
    query = fold(binding.values.get("q", ""))
    if not query:
        return ReportResult(
            columns, [], notes=("nothing to look for: the query has no letters or digits",)
        )
    kind = binding.values.get("kind", "any")
    index = _search_index(runner, report)
    found: list[tuple[float, str, str, tuple[Any, Any]]] = []
    for name, (folded, entries) in index.kinds.items():
        if kind not in ("any", name):
            continue
        # token_set_ratio (word order, words missing, typos inside words) picks candidates in one
        # fast pass; the score is its mean with WRatio (partial matches), so that a title holding
        # every word of the query beats one that merely shares a long run of characters with it.
        for position, score in _best_candidates(query, folded):
            choice = folded[position]
            combined = (float(score) + fuzz.WRatio(query, choice)) / 2
            if combined >= SEARCH_CUTOFF:
                found.append((combined, choice, name, entries[position]))
    # Best score first; among equal scores the shorter (closer) label, then alphabetical.
    found.sort(key=lambda f: (-f[0], len(f[1]), f[1]))
    out_rows = [
        (ox.Literal(name), entry[0], entry[1], ox.Literal(round(score, 1)))
        for score, _folded, name, entry in found[:SEARCH_LIMIT]
    ]
    return ReportResult(columns, out_rows)


ENGINES: dict[str, Engine] = {
    "network": Engine(_network, columns=("paper", "members")),
    "communities": Engine(
        _communities,
        columns=("paper", "paper_title", "date", "subject_code", "coauthor", "coauthor_name"),
    ),
    "ambiguity": Engine(_ambiguity, columns=("signal", "author", "author_name")),
    "collaboration-path": Engine(
        _collaboration_path, binds=("author",), columns=("coauthor", "via_paper")
    ),
    "search": Engine(_search, columns=("type", "item", "label")),
}

"""Report definitions: the header grammar of ``queries/*.rq`` files and the loaded set.

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

A ``param`` line has fields separated by ``" | "``: the name, the type
(:mod:`kg.reports.params`), ``required`` or ``optional`` or ``default: VALUE`` or ``store-default: SPEC`` (a crawl date
read from the store when the request leaves it out: ``latest-crawl``, or
``crawl-before(NAME)``, the latest crawl date before parameter NAME's value;
:mod:`kg.reports.crawls`), then
``example: VALUE`` and the flag ``engine`` (the report's Python engine consumes the
value; it is not bound in the query) in any order, and last the description. ``chart``
hints how the HTML page draws the rows (``bar``, ``line`` with ``x=``, ``y=``
(comma-separated) and ``series=`` columns, or ``network``). ``engine`` names a Python step
of :data:`kg.reports.engines.ENGINES` for what SPARQL cannot say (fuzzy search, shortest
paths, graphs). ``cost: whole-graph`` marks a report that reads the whole graph (no bound
IRI to start from): it gets a longer time limit; every result is cached per store version.

``row-filter`` declares that the report's rows for another value of a parameter are rows of
its default answer (what ``kg precompute`` stores), picked by a column, so that such a
request is answered from the stored rows instead of a whole-graph query
(:mod:`kg.reports.rowfilter`)::

    # row-filter: organization | equal-ignoring-case: tag, org_name
    # row-filter: min_papers | at-least: papers

``equal-ignoring-case: COLUMNS`` keeps the rows where any of the columns, lower-cased as
SPARQL's ``LCASE`` does, equals the lower-cased value (the query's
``FILTER(COALESCE(LCASE(?tag) = LCASE(?organization) || ..., true))``): its parameter is a
``string`` that is ``optional`` without a default. ``at-least: COLUMN`` keeps the rows whose
integer column is at least the value (the query's ``HAVING (COUNT(...) >= ?min_papers)``,
the count projected as that column): its parameter is an ``integer`` with a default, and a
value below the default runs the query. ``on-or-after: COLUMN`` keeps the rows whose date
column is on or after the value (the query's ``HAVING (MIN(?listed) >= ?since)``, the date
projected as that column): its parameter is a ``date``, and the answer ``kg precompute``
stores is the query's with the parameter at :data:`EARLIEST_DATE` (every row), so that every
date, the parameter's default too, is answered from it. One line per parameter, a parameter the query binds
(not ``engine``); the columns must be projected by the query (checked at load time,
:mod:`kg.reports.catalog`). The declaration is a promise about the query (and, for an engine
report, its engine's answer): the tests compare the filtered rows with the query's for every
value in the data.

``variant`` names a query sent instead of the report's when a request gives a parameter, so
that the evaluation starts from what it names rather than from every row of the graph::

    # variant: author | papers-listed-since/author.rq

The file (a path relative to the report's folder, in a sub-folder: the folder's own ``*.rq``
files are reports) holds a whole query, as the report's does. The first ``variant`` line whose
parameter the request gives wins; a request that gives none runs the report's query. The
parameter must be one the query binds, ``optional`` without a default (the default answer,
which ``kg precompute`` stores, is always the report's own query's). The variant projects the
same columns (checked at load time, :mod:`kg.reports.catalog`), and the declaration is a
promise about its answer: the same rows in the same order as the report's query for every
binding that gives the parameter; the tests compare the two. Why: Oxigraph starts from a
substituted parameter only where a triple pattern names it, and a parameter left out must keep
the report's query answering for everything (``COALESCE(!isIRI(?author), true) || EXISTS
{...}``), so one query cannot both start from a given author and enumerate every paper when
none is given. The variant's text
is sent as it is to an external store too (standard SPARQL 1.1, the parameter a ``VALUES``
block there).

``lookup`` binds a variable of a variant from a parameter's value before the variant runs,
for a value that a triple pattern cannot name (a name or tag compared ignoring case)::

    # lookup: org | organization | papers-listed-since/organization-lookup.rq
    # variant: org | papers-listed-since/organization-iri.rq

When a request gives ``organization``, the runner first sends the lookup's query (a file as
a variant's is; it projects the parameter and the variable) with that parameter bound. If
its answer holds exactly one value of ``?org``, ``?org`` is bound to it and the variant for
``org`` runs, starting from that term; several: the lookup is as if not declared and the
next variant given applies; none: the answer has no rows, without a query (the declaration
promises that every row of the answer has its variable among the lookup's values). The variant for a looked-up variable
projects the report's columns followed by the variable (pyoxigraph binds only projected
variables); the runner drops that column. The declaration is a promise, as a variant's: with
the variable bound to the lookup's one value, the variant gives the report's rows in its
order (the tests compare them for every value in the data).

This module only reads headers (:func:`parse_report`); checking a report against its
query and engine, and loading a folder, is :mod:`kg.reports.catalog`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import NotFound
from kg.reports.crawls import StoreDefault, parse_store_default
from kg.reports.params import PARAM_TYPES, RESERVED, Parameter
from kg.resources import data_dir

#: Where the project's reports live (the repository's queries/ folder).
QUERIES_DIR = data_dir("queries")
#: What a report costs: "entity" reports start from a bound IRI; "whole-graph" ones read it all.
COSTS = ("entity", "whole-graph")
#: How a ``row-filter`` compares a column with its parameter's value (:class:`RowFilter`).
ROW_FILTER_KINDS = ("equal-ignoring-case", "at-least", "on-or-after")
#: The value an ``on-or-after`` row filter's parameter takes for the stored answer: no date
#: is before it, so that answer holds the rows of every date (:class:`RowFilter`).
EARLIEST_DATE = "0001-01-01"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REPORT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEADER_LINE = re.compile(r"^#\s?(?P<key>[a-z][a-z-]*):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(?P<value>\S.*)$")


class ReportDefinitionError(ValueError):
    """A report file that cannot be served: the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


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
class RowFilter:
    """A ``row-filter`` line: the rows for a value of ``parameter`` are the default answer's
    rows whose ``columns`` compare with it as ``kind`` says (:data:`ROW_FILTER_KINDS`)."""

    parameter: str
    kind: str
    columns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "kind": self.kind, "columns": list(self.columns)}


@dataclass(frozen=True, slots=True)
class Variant:
    """A ``variant`` line: the query a request that gives ``parameter`` sends instead of the
    report's (``path``, the file it was read from)."""

    parameter: str
    path: Path
    query: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """A ``lookup`` line: ``variable`` is bound from what ``query`` (read from ``path``)
    answers for the request's value of ``parameter``, when that is exactly one term."""

    variable: str
    parameter: str
    path: Path
    query: str


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
    #: The parameters whose other values are answered from the default answer's rows.
    row_filters: tuple[RowFilter, ...] = ()
    #: The queries sent instead of ``query`` when a request gives their parameter, in order.
    variants: tuple[Variant, ...] = ()
    #: The variables bound from a parameter's value before a variant for them runs.
    lookups: tuple[Lookup, ...] = ()

    @property
    def sparql_parameters(self) -> tuple[Parameter, ...]:
        """The parameters bound in the query (the others feed the engine)."""
        return tuple(p for p in self.parameters if not p.engine)

    def example_values(self) -> dict[str, str]:
        """The header's example of every required parameter: a request that answers
        (links to the JSON and CSV of a report that needs a parameter carry these)."""
        return {p.name: p.example for p in self.parameters if p.required and p.example is not None}

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def lookup(self, variable: str) -> Lookup | None:
        """The lookup that binds ``variable``, if any."""
        return next((item for item in self.lookups if item.variable == variable), None)

    def candidates(self, given: Collection[str]) -> Iterator[tuple[Variant, Lookup | None]]:
        """The variants a request that binds the parameters named in ``given`` may send, in
        order: those whose parameter is given, and those whose lookup's parameter is given
        (with that lookup: the variant runs only when it finds exactly one term)."""
        for variant in self.variants:
            lookup = self.lookup(variant.parameter)
            if lookup is None and variant.parameter in given:
                yield variant, None
            elif lookup is not None and lookup.parameter in given:
                yield variant, lookup

    def query_for(self, given: Collection[str]) -> str:
        """The query a request sends that binds the parameters named in ``given``: the first
        variant whose parameter (or looked-up variable) is among them, else the report's own.

        >>> report = parse_report(QUERIES_DIR / "papers-listed-since.rq")
        >>> report.query_for({"since"}) == report.query
        True
        >>> report.query_for({"since", "author"}) == report.variants[0].query
        True
        """
        return next((v.query for v in self.variants if v.parameter in given), self.query)

    def row_filter(self, name: str) -> RowFilter | None:
        """The row filter declared for parameter ``name``, if any."""
        return next((f for f in self.row_filters if f.parameter == name), None)

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
    store_default: StoreDefault | None = None
    if presence == "required":
        required = True
    elif presence == "optional":
        required = False
    elif presence.startswith("default:"):
        required, default = False, presence[len("default:") :].strip()
    elif presence.startswith("store-default:"):
        required, store_default = False, parse_store_default(presence[len("store-default:") :])
    else:
        raise ValueError(
            f"third field of param {name!r} must be required, optional or default: VALUE "
            "(or store-default: latest-crawl or crawl-before(PARAMETER))"
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
    if store_default is not None and kind != "date":
        raise ValueError(f"param {name!r}: a store-default is a crawl date: its type must be date")
    return Parameter(
        name,
        kind,
        required,
        default,
        example,
        description,
        engine,
        minimum,
        maximum,
        choices,
        store_default=store_default,
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


def _parse_row_filter(value: str) -> RowFilter:
    fields = [f.strip() for f in value.split(" | ")]
    if len(fields) != 2:
        raise ValueError(
            "a row-filter line is: parameter | equal-ignoring-case: COLUMN, ... or "
            "parameter | at-least: COLUMN or parameter | on-or-after: COLUMN"
        )
    name, spec = fields
    kind, sep, listed = spec.partition(":")
    kind = kind.strip()
    if not sep or kind not in ROW_FILTER_KINDS:
        raise ValueError(
            f"row-filter {name!r}: {spec!r} must be {' or '.join(ROW_FILTER_KINDS)} "
            "followed by a colon and the column(s)"
        )
    columns = tuple(c.strip() for c in listed.split(","))
    if not columns or not all(_NAME.match(c) for c in columns):
        raise ValueError(f"row-filter {name!r}: columns must be variable names, not {listed!r}")
    if kind in {"at-least", "on-or-after"} and len(columns) != 1:
        raise ValueError(f"row-filter {name!r}: {kind} compares one column")
    return RowFilter(name, kind, columns)


def _check_row_filter(row_filter: RowFilter, param: Parameter) -> None:
    """A row filter's parameter must be of the kind its filter reads."""
    name = row_filter.parameter
    if row_filter.kind == "equal-ignoring-case" and (
        param.type != "string"
        or param.required
        or param.default is not None
        or param.store_default is not None
    ):
        # Its default answer (the parameter unbound) must hold the rows of every value.
        raise ValueError(
            f"row-filter {name!r}: equal-ignoring-case needs an optional string parameter "
            "without a default"
        )
    if row_filter.kind == "at-least" and (param.type != "integer" or param.default is None):
        raise ValueError(f"row-filter {name!r}: at-least needs an integer parameter with a default")
    if row_filter.kind == "on-or-after" and (param.type != "date" or param.required):
        raise ValueError(f"row-filter {name!r}: on-or-after needs an optional date parameter")


def _parse_variant(value: str, folder: Path) -> Variant:
    """A ``variant`` line (parameter | file): the file is read here, relative to ``folder``."""
    fields = [f.strip() for f in value.split(" | ")]
    if len(fields) != 2 or not all(fields):
        raise ValueError("a variant line is: parameter | FOLDER/FILE.rq")
    name, relative = fields
    path, query = _read_beside(f"variant {name!r}", relative, folder)
    return Variant(name, path, query)


def _parse_lookup(value: str, folder: Path) -> Lookup:
    """A ``lookup`` line (variable | parameter | file), its file read as a variant's."""
    fields = [f.strip() for f in value.split(" | ")]
    if len(fields) != 3 or not all(fields):
        raise ValueError("a lookup line is: variable | parameter | FOLDER/FILE.rq")
    variable, name, relative = fields
    if not _NAME.match(variable):
        raise ValueError(f"lookup {variable!r}: a variable name is lower-case letters, digits, _")
    path, query = _read_beside(f"lookup {variable!r}", relative, folder)
    return Lookup(variable, name, path, query)


def _read_beside(label: str, relative: str, folder: Path) -> tuple[Path, str]:
    """The path and text of a query file named by a header line, relative to the report's
    ``folder`` and in a sub-folder of it."""
    parts = Path(relative).parts
    # In a sub-folder (the folder's own *.rq files are reports), never outside the folder.
    if (
        Path(relative).is_absolute()
        or len(parts) < 2
        or ".." in parts
        or not relative.endswith(".rq")
        or "\\" in relative
    ):
        raise ValueError(
            f"{label}: {relative!r} must be a .rq file in a sub-folder of the "
            "report's folder (FOLDER/FILE.rq)"
        )
    path = folder / relative
    try:
        query = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{label}: cannot read {relative}: {error}") from error
    if not query.strip():
        raise ValueError(f"{label}: {relative} is empty")
    return path, query


def _check_per_parameter(
    path: Path,
    field: str,
    declared: Sequence[RowFilter] | Sequence[Variant] | Sequence[Lookup],
    check: Callable[[Any, Parameter], None],
    params: list[Parameter],
) -> None:
    """Header lines that each name a parameter (row-filter, variant, lookup): one line a parameter,
    a parameter the query binds (not an engine's), passing ``check``; a failure is the
    report file's error."""
    named = [item.parameter for item in declared]
    for item in declared:
        name = item.parameter
        if named.count(name) > 1:
            raise ReportDefinitionError(path, f"{field} {name!r} given twice")
        param = next((p for p in params if p.name == name), None)
        if param is None:
            raise ReportDefinitionError(path, f"{field} {name!r} names no parameter")
        if param.engine:
            raise ReportDefinitionError(
                path, f"{field} {name!r}: an engine parameter is not bound in the query"
            )
        try:
            check(item, param)
        except ValueError as error:
            raise ReportDefinitionError(path, str(error)) from error


def _check_variant(variant: Variant | Lookup, param: Parameter) -> None:
    """A variant's (or lookup's) parameter must be optional and without a default (the
    default answer is the report's own query's)."""
    label = f"variant {variant.parameter!r}"
    if isinstance(variant, Lookup):
        label = f"lookup {variant.variable!r}"
    if param.required or param.default is not None or param.store_default is not None:
        raise ValueError(f"{label}: its parameter must be optional without a default")


def _check_lookups(
    path: Path, lookups: Sequence[Lookup], variants: Sequence[Variant], params: list[Parameter]
) -> None:
    """Each lookup binds a variable that is not a parameter, once, for one variant line; a
    lookup's parameter is checked as a variant's."""
    names = {p.name for p in params}
    variables = [item.variable for item in lookups]
    for lookup in lookups:
        if lookup.variable in names:
            raise ReportDefinitionError(
                path, f"lookup {lookup.variable!r}: a parameter has that name"
            )
        if variables.count(lookup.variable) > 1:
            raise ReportDefinitionError(path, f"lookup {lookup.variable!r} given twice")
        if sum(v.parameter == lookup.variable for v in variants) != 1:
            raise ReportDefinitionError(
                path, f"lookup {lookup.variable!r}: needs one variant line for {lookup.variable!r}"
            )
    _check_per_parameter(path, "lookup", lookups, _check_variant, params)


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
    row_filters: list[RowFilter] = []
    variants: list[Variant] = []
    lookups: list[Lookup] = []
    chart: Chart | None = None
    for key, value in header:
        try:
            if key == "param":
                params.append(_parse_param(value))
            elif key == "row-filter":
                row_filters.append(_parse_row_filter(value))
            elif key == "variant":
                variants.append(_parse_variant(value, path.parent))
            elif key == "lookup":
                lookups.append(_parse_lookup(value, path.parent))
            elif key == "chart":
                chart = _parse_chart(value)
            elif key in {"title", "description", "engine", "cost"}:
                if key in fields:
                    raise ValueError(f"{key} given twice")
                fields[key] = value
            else:
                raise ValueError(
                    f"unknown header field {key!r} "
                    "(title, description, param, row-filter, variant, lookup, chart, engine, "
                    "cost)"
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
    for param in params:
        before = param.store_default.before if param.store_default else None
        if before is not None and (before == param.name or before not in names):
            raise ReportDefinitionError(
                path, f"param {param.name!r}: crawl-before({before}) names no other parameter"
            )
    _check_per_parameter(path, "row-filter", row_filters, _check_row_filter, params)
    _check_lookups(path, lookups, variants, params)
    looked_up = {item.variable for item in lookups}
    _check_per_parameter(
        path,
        "variant",
        [v for v in variants if v.parameter not in looked_up],
        _check_variant,
        params,
    )
    cost = fields.get("cost", "entity")
    if fields.get("engine") and any(f.kind == "on-or-after" for f in row_filters):
        # The precompute stores an engine's rows for its default binding, not the earliest date.
        raise ReportDefinitionError(path, "an on-or-after row-filter needs a report without engine")
    if row_filters and cost != "whole-graph":
        raise ReportDefinitionError(
            path, "a row-filter needs cost: whole-graph (only those reports have stored rows)"
        )
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
        tuple(row_filters),
        tuple(variants),
        tuple(lookups),
    )


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

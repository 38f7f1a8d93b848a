"""Report parameter types: how a value in a URL or on the command line becomes an RDF term.

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

Each type parses (and so validates) a value and gives the JSON Schema of the value as it
travels in a URL; the OpenAPI document is built from the same definitions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.rdf.map import SUBJECTS
from kg.rdf.namespace import XSD
from kg.reports.crawls import StoreDefault

#: Longest value any parameter accepts (a longer one is refused, whatever its type).
MAX_STRING = 1000
#: Largest magnitude of an integer parameter: 18 digits (what a 64-bit store integer holds
#: with room to spare).
MAX_DIGITS = 18
INTEGER_BOUND = 10**MAX_DIGITS - 1
#: Request parameters that page or format results; no report parameter may use these names.
RESERVED = frozenset({"limit", "offset", "format"})
#: Rows per page of the HTTP answers unless ``limit`` says otherwise, and the largest offset.
DEFAULT_LIMIT = 100
MAX_OFFSET = 1_000_000_000

Term = ox.NamedNode | ox.Literal
# An absolute IRI (RFC 3987) in the subset that pyoxigraph accepts: no user part in the
# authority and no escapes in the host, a numeric port, percent-escapes of two hex digits, non-ASCII characters
# from the Basic Multilingual Plane's "ucschar" ranges.
_UNRESERVED = r"A-Za-z0-9\-._~\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_SUB_DELIMS = r"!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|%[0-9A-Fa-f]{{2}})"
_AUTHORITY = rf"[{_UNRESERVED}{_SUB_DELIMS}]*(?::[0-9]*)?"
_IRI_TEXT = (
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*|{_PCHAR}+(?:/{_PCHAR}*)*|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
)
_IRI = re.compile(rf"^{_IRI_TEXT}\Z")
_SUBJECT_CODE = r"[A-Za-z]{2,4}"
_SUBJECT_CATEGORY = r"[A-Za-z-]+\.[A-Za-z]{2,4}"
#: An IRI given for an author, paper or subject: http(s) or urn, in ASCII (as the project
#: mints them). Kept this small on purpose: schema generators are slow on the full IRI
#: grammar's Unicode classes.
_ASCII_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_ENTITY_IRI = (
    rf"(?:https?://[A-Za-z0-9\-._~!$&'()*+,;=]*(?::[0-9]*)?(?:/{_ASCII_PCHAR}*)*"
    rf"|urn:{_ASCII_PCHAR}+(?:/{_ASCII_PCHAR}*)*)"
    rf"(?:\?(?:{_ASCII_PCHAR}|[/?])*)?(?:#(?:{_ASCII_PCHAR}|[/?])*)?"
)
#: A number as JSON writes it. JSON Schema's "integer" is any number without a fraction,
#: so 2.0 and 1e3 are integers too (schema-driven clients send them); no leading zeros,
#: spaces or "+".
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
#: The characters trimmed around a value, written out: Python's ``\s`` and ``str.strip()``
#: take more (``\x1c``-``\x1f``, ...) than the ECMA-262 ``\s`` of OpenAPI patterns.
SPACES = " \t\n\r\f\v"
_WS = r"[ \t\n\r\f\v]"
#: Blank text (what an empty form field sends): an optional parameter left out.
BLANK = re.compile(rf"^{_WS}*$")
#: The JSON Schema of a blank value, which optional parameters accept as "not given".
_BLANK_SCHEMA = {"type": "string", "pattern": BLANK.pattern, "maxLength": MAX_STRING}

# -- parameter types -------------------------------------------------------------------------
#
# Each type below has a parser and the JSON Schema of the values it accepts. They are
# written side by side, from the same regular expressions, because the OpenAPI document
# is built from the schemas and the server validates with the parsers: a value the one
# accepts the other must accept too (tests/server/test_openapi_contract.py checks it with
# schemathesis). Numbers, dates, booleans and choices are read exactly as written (no
# surrounding spaces, no "+", no leading zeros); IRIs, names, titles and subjects may
# carry spaces around them (they are often pasted).


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter of a report (or a paging parameter of the HTTP API)."""

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
    #: A blank value counts as not given (HTML forms send empty fields); paging says no.
    blank_is_absent: bool = True
    #: A regular expression a text value must match, applied with ``re.search`` as JSON
    #: Schema validators apply ``pattern`` (the OpenAPI schema carries it as it is).
    pattern: str | None = None
    #: Why a value that does not match ``pattern`` is refused (the 400's reason).
    pattern_reason: str = "not in the expected form"
    #: Longest value in characters (None: :data:`MAX_STRING`).
    max_length: int | None = None
    #: Left out, the value is read from the store (the latest crawl date, ...): resolved by
    #: :func:`kg.reports.results.bind`, not by :meth:`read` (which knows no store).
    store_default: StoreDefault | None = None

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
        _check_length(self, raw)
        if self.pattern is not None and not re.search(self.pattern, raw):
            raise _bad(self, self.pattern_reason)
        return PARAM_TYPES[self.type].parse(self, raw, scheme)

    def read(self, raw: str | None, scheme: IriScheme) -> tuple[str, Term] | None:
        """A request's value (None: not given): its text and term, the default's when it is
        not given, or None when it stays unbound. Raises InvalidParameter for a bad value
        or a missing required one."""
        if raw is not None:
            _check_length(self, raw)
            if self.blank_is_absent and BLANK.match(raw):
                raw = None
        if raw is None:
            if self.default is not None:
                raw = self.default
            elif self.required:
                raise InvalidParameter(
                    f"parameter {self.name!r} is required ({self.description})",
                    parameter=self.name,
                )
            else:
                return None
        return self.parse(raw, scheme)

    def json_schema(self) -> dict[str, Any]:
        """The OpenAPI/JSON Schema of the values :meth:`read` accepts, as they travel in a URL."""
        schema: dict[str, Any] = dict(PARAM_TYPES[self.type].schema)
        if self.type == "integer":
            schema["minimum"] = -INTEGER_BOUND if self.minimum is None else self.minimum
            schema["maximum"] = INTEGER_BOUND if self.maximum is None else self.maximum
        if self.type == "choice":
            schema["enum"] = list(self.choices)
        if schema.get("type") == "string" and "enum" not in schema:
            schema["maxLength"] = self.max_length or MAX_STRING
            if self.pattern is not None:
                schema["pattern"] = self.pattern
            elif self.required or not self.blank_is_absent:
                # Blank is "not given": refused when a value is needed.
                schema["pattern"] = schema.get("pattern", r"[^ \t\n\r\f\v]")
        if not self.required and self.blank_is_absent and not _accepts_blank(schema):
            schema = {"anyOf": [schema, dict(_BLANK_SCHEMA)]}
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
        if self.store_default is not None:
            out["store_default"] = self.store_default.spec
            out["default_description"] = self.store_default.description
        if self.example is not None:
            out["example"] = _json_value(self, self.example)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _accepts_blank(schema: Mapping[str, Any]) -> bool:
    """Whether a type's schema already takes a blank string (a plain string does)."""
    return schema.get("type") == "string" and not {"pattern", "enum", "format"} & schema.keys()


def paging_parameters(max_rows: int) -> tuple[Parameter, Parameter]:
    """``limit`` and ``offset`` of the HTTP answers: validated, and documented, as report
    parameters are (a blank value is refused: no form sends them)."""
    limit = Parameter(
        "limit",
        "integer",
        False,
        str(min(DEFAULT_LIMIT, max(1, max_rows))),
        None,
        "Rows per page",
        minimum=1,
        maximum=max(1, max_rows),
        blank_is_absent=False,
    )
    offset = Parameter(
        "offset",
        "integer",
        False,
        "0",
        None,
        "Rows to skip",
        minimum=0,
        maximum=MAX_OFFSET,
        blank_is_absent=False,
    )
    return limit, offset


def _json_value(param: Parameter, text: str) -> Any:
    kind = PARAM_TYPES[param.type].schema.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    return text


def _bad(param: Parameter, reason: str) -> InvalidParameter:
    return InvalidParameter(f"parameter {param.name!r}: {reason}", parameter=param.name)


def _check_length(param: Parameter, raw: str) -> str:
    longest = param.max_length or MAX_STRING
    if len(raw) > longest:
        raise _bad(param, f"longer than {longest} characters")
    return raw


def _iri(param: Parameter, raw: str) -> tuple[str, Term]:
    value = raw.strip(SPACES)
    if _IRI.match(value):
        try:
            return value, ox.NamedNode(value)
        except ValueError:
            pass  # the pattern is a subset of what pyoxigraph takes; never a 500 if not
    raise _bad(param, "not an absolute IRI (spaces, quotes and <>{}|^`\\ are not allowed)")


#: What makes a value an IRI rather than a name or title.
_IRI_PREFIXES = ("http://", "https://", "urn:")


def looks_like_iri(value: str) -> bool:
    """Whether a value is meant as an IRI (else it is a name, title or code)."""
    return value.strip(SPACES).startswith(_IRI_PREFIXES)


#: Types whose value may be a name or title that the IRI scheme mints an IRI from.
NAMED_TYPES = frozenset({"author", "paper"})


def _parse_iri(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    return _iri(param, raw)


def _iri_or_minted(
    param: Parameter, raw: str, mint: Callable[[str], str], what: str
) -> tuple[str, Term]:
    """An IRI as given, or the IRI the project mints for a name or title."""
    value = raw.strip(SPACES)
    if looks_like_iri(value):
        if not re.fullmatch(_ENTITY_IRI, value):
            raise _bad(
                param,
                "not an absolute IRI (http, https or urn, in ASCII; no spaces, quotes or <>{}|^`)",
            )
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
    value = raw.strip(SPACES)
    if looks_like_iri(value):
        if not re.fullmatch(_ENTITY_IRI, value):
            raise _bad(param, "not an absolute IRI (http, https or urn, in ASCII)")
        return _iri(param, value)
    if re.fullmatch(_SUBJECT_CODE, value):
        code = value.upper()
    elif re.fullmatch(_SUBJECT_CATEGORY, value):
        code = _NOTATIONS.get(value.lower(), value.split(".", 1)[1].upper())
    else:
        raise _bad(
            param, "not a subject: give a site code (LG), an arXiv category (cs.LG) or an IRI"
        )
    iri = scheme.subject(code)
    return iri, ox.NamedNode(iri)


def _parse_string(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    return raw, ox.Literal(raw)


def _whole_number(raw: str) -> int | None:
    """The value of a JSON number without a fraction, within INTEGER_BOUND; else None."""
    if not _NUMBER.fullmatch(raw):
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    if number.is_zero():
        return 0  # 0e999999999 too
    # Checked without the decimal context (which overflows on 1e999999999) before converting.
    if number.copy_abs() > INTEGER_BOUND or number != number.to_integral_value():
        return None
    return int(number)


def _parse_integer(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    number = _whole_number(raw)
    if number is None:
        raise _bad(param, f"not a whole number (at most {MAX_DIGITS} digits)")
    if param.minimum is not None and number < param.minimum:
        raise _bad(param, f"must be at least {param.minimum}")
    if param.maximum is not None and number > param.maximum:
        raise _bad(param, f"must be at most {param.maximum}")
    return str(number), ox.Literal(number)


def _parse_year(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    year = _whole_number(raw)
    if year is None or not 1000 <= year <= 9999:
        raise _bad(param, "not a four-digit year")
    return str(year), ox.Literal(year)


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _parse_boolean(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    if raw in _TRUE:
        return "true", ox.Literal(True)
    if raw in _FALSE:
        return "false", ox.Literal(False)
    raise _bad(param, "not a boolean: use true or false")


def _parse_date(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    try:
        day = date.fromisoformat(raw) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw) else None
    except ValueError:
        day = None
    if day is None:
        raise _bad(param, "not a date: use YYYY-MM-DD")
    return day.isoformat(), ox.Literal(day.isoformat(), datatype=ox.NamedNode(str(XSD.date)))


def _parse_choice(param: Parameter, raw: str, scheme: IriScheme) -> tuple[str, Term]:
    if raw in param.choices:
        return raw, ox.Literal(raw)
    raise _bad(param, "must be one of " + ", ".join(param.choices))


@dataclass(frozen=True, slots=True)
class ParamType:
    name: str
    parse: Callable[[Parameter, str, IriScheme], tuple[str, Term]]
    #: The JSON Schema of the values ``parse`` accepts (bounds, enums, lengths are added
    #: per parameter by :meth:`Parameter.json_schema`).
    schema: Mapping[str, Any]
    #: A value used to check that the query accepts the parameter when no example is given.
    dummy: str
    description: str


#: A name or title (text that does not start like an IRI), or an IRI as _ENTITY_IRI reads it.
_MINTED_PATTERN = (
    rf"^{_WS}*(?:(?!http://|https://|urn:)[^ \t\n\r\f\v][\s\S]*|(?:{_ENTITY_IRI}){_WS}*)$"
)
#: An IRI with spaces around it, as _iri reads it.
_IRI_SCHEMA_PATTERN = rf"^{_WS}*{_IRI_TEXT}{_WS}*$"


PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType(
            "iri",
            _parse_iri,
            {"type": "string", "format": "iri", "pattern": _IRI_SCHEMA_PATTERN},
            "urn:kg:nothing",
            "an absolute IRI",
        ),
        ParamType(
            "author",
            _parse_author,
            {"type": "string", "pattern": _MINTED_PATTERN},
            "Nobody",
            "an author IRI, or a name as printed",
        ),
        ParamType(
            "paper",
            _parse_paper,
            {"type": "string", "pattern": _MINTED_PATTERN},
            "Nothing",
            "a paper IRI, or its title",
        ),
        ParamType(
            "subject",
            _parse_subject,
            {
                "type": "string",
                "pattern": rf"^{_WS}*(?:{_SUBJECT_CODE}|{_SUBJECT_CATEGORY}|{_ENTITY_IRI}){_WS}*$",
            },
            "LG",
            "a site code (LG), an arXiv category (cs.LG) or a subject IRI",
        ),
        ParamType("string", _parse_string, {"type": "string"}, "x", "text"),
        ParamType("integer", _parse_integer, {"type": "integer"}, "1", "a whole number"),
        ParamType(
            "year",
            _parse_year,
            {"type": "integer", "minimum": 1000, "maximum": 9999},
            "2024",
            "a four-digit year",
        ),
        ParamType(
            "boolean",
            _parse_boolean,
            {"type": "string", "enum": [*_TRUE, *_FALSE]},
            "true",
            "true or false (also 1/0, yes/no, on/off)",
        ),
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

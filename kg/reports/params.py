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
from typing import Any

import pyoxigraph as ox

from kg.errors import InvalidParameter
from kg.rdf.iri import IriScheme
from kg.rdf.map import SUBJECTS
from kg.rdf.namespace import XSD

#: Longest value a string, name or title parameter accepts.
MAX_STRING = 1000
#: Request parameters that page or format results; no report parameter may use these names.
RESERVED = frozenset({"limit", "offset", "format"})

Term = ox.NamedNode | ox.Literal
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]+$")

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

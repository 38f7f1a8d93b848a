"""SPARQL query results: bounded collection and the four standard result formats.

pyoxigraph serializes a whole result set natively, but a public endpoint must
cap what it sends and say so. The endpoint uses the native writer where the
output proves the result within the cap (:func:`kg.store.query.native_body`); these
writers take an already-bounded list of solutions for everything else. Terms are pyoxigraph terms (they pickle, so they cross the
boundary of the query worker processes unchanged).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Row = tuple[Any, ...]  # one term (or None) per variable


@dataclass(frozen=True, slots=True)
class SelectResult:
    variables: tuple[str, ...]
    rows: list[Row]
    truncated: bool = False

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]


def collect_solutions(solutions: ox.QuerySolutions, limit: int | None) -> SelectResult:
    """Read at most ``limit`` solutions (all when None)."""
    variables = tuple(v.value for v in solutions.variables)
    rows: list[Row] = []
    truncated = False
    for solution in solutions:
        if limit is not None and len(rows) >= limit:
            truncated = True
            break
        rows.append(tuple(solution[name] for name in variables))
    return SelectResult(variables, rows, truncated)


def term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def term_plain(term: Any) -> str:
    """A term as CSV shows it: the bare value, blank nodes as ``_:id``."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return str(term.value)


def write_json(result: SelectResult, out: io.BufferedIOBase | io.BytesIO) -> None:
    bindings = [
        {
            name: term_json(term)
            for name, term in zip(result.variables, row, strict=True)
            if term is not None
        }
        for row in result.rows
    ]
    document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    out.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


def write_xml(result: SelectResult, out: io.BufferedIOBase | io.BytesIO) -> None:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
    ]
    parts.extend(f"<variable name={quoteattr(v)}/>" for v in result.variables)
    parts.append("</head>\n<results>\n")
    for row in result.rows:
        parts.append("<result>")
        for name, term in zip(result.variables, row, strict=True):
            if term is not None:
                parts.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        parts.append("</result>\n")
    parts.append("</results>\n</sparql>\n")
    out.write("".join(parts).encode("utf-8"))


def write_csv(result: SelectResult, out: io.BufferedIOBase | io.BytesIO) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([term_plain(t) for t in row])
    out.write(text.getvalue().encode("utf-8"))


def _tsv_term(term: Any) -> str:
    return "" if term is None else str(term)


def write_tsv(result: SelectResult, out: io.BufferedIOBase | io.BytesIO) -> None:
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines.extend("\t".join(_tsv_term(t) for t in row) for row in result.rows)
    out.write(("\n".join(lines) + "\n").encode("utf-8"))


def write_boolean(value: bool, fmt: str, out: IO[bytes]) -> None:
    if fmt == "json":
        out.write(json.dumps({"head": {}, "boolean": value}).encode())
    elif fmt == "xml":
        out.write(
            (
                '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
            ).encode()
        )
    else:  # csv and tsv have no boolean form; the convention is a bare value
        out.write((("true" if value else "false") + "\n").encode())


SELECT_WRITERS: dict[str, Callable[[SelectResult, Any], None]] = {
    "json": write_json,
    "xml": write_xml,
    "csv": write_csv,
    "tsv": write_tsv,
}


def write_triples(
    triples: Iterable[ox.Triple], fmt: ox.RdfFormat, out: Any, prefixes: dict[str, str] | None
) -> None:
    ox.serialize(
        triples,
        out,
        fmt,
        prefixes=prefixes if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None,
    )


_INTEGER_TYPES = {
    "http://www.w3.org/2001/XMLSchema#integer",
    "http://www.w3.org/2001/XMLSchema#int",
    "http://www.w3.org/2001/XMLSchema#long",
    "http://www.w3.org/2001/XMLSchema#nonNegativeInteger",
}
_DECIMAL_TYPES = {
    "http://www.w3.org/2001/XMLSchema#decimal",
    "http://www.w3.org/2001/XMLSchema#double",
    "http://www.w3.org/2001/XMLSchema#float",
}


def python_value(term: Any) -> Any:
    """A term as a plain Python value for JSON reports."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in _INTEGER_TYPES:
                return int(term.value)
            if datatype in _DECIMAL_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
        if datatype == "http://www.w3.org/2001/XMLSchema#boolean":
            return term.value == "true"
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return getattr(term, "value", str(term))

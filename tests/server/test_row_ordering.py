"""A whole-graph report's stored rows ordered in Python (kg.reports.ordering): the order
Oxigraph's ORDER BY gives, checked against Oxigraph itself on crafted terms; None where it
cannot be sure; and the precompute's use of it (the query runs once, without its ORDER BY)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.rdf.iri import IriScheme
from kg.reports import precompute as precompute_module
from kg.reports.catalog import load_reports
from kg.reports.ordering import OrderCondition, sort_tsv, split_order_by
from kg.reports.precompute import precompute_store, precomputed_names
from kg.reports.stored import PRECOMPUTED, default_substitutions
from kg.store.embedded import KGStore
from kg.store.query import QueryRequest
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI, ingest_into

SCHEME = IriScheme(TEST_BASE_IRI)
EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

#: Plain strings that order differently by code point, by byte of their TSV escapes, or
#: by case: quotes and backslashes (escaped in TSV), line breaks and tabs, accents, CJK,
#: a character outside the BMP, the empty string, prefixes.
STRINGS = [
    "a", "A", "B", "Z", "ab", "a b", "", 'a"b', "a\\b", "a\tb", "a\nb", "a\rb", "é", "e",
    "日本", "😀", "\u00a0x", "a#", "a/", "zz",
]  # fmt: skip
INTEGERS = ["-5", "0", "3", "10", "100", "-12", "7"]
#: "1.000" and "-2.0" are whole: Oxigraph writes them quoted, "1"^^xsd:decimal.
DECIMALS = ["1.5", "-0.25", "2.75", "0.5", "1.000", "-2.0"]
DATES = ["2020-01-01", "2019-12-31", "2021-06-15", "1999-02-03", "2020-01-02"]
IRIS = [f"{EX}a", f"{EX}a#b", f"{EX}a/b", f"{EX}ab", f"{EX}A", f"{EX}a-b", "urn:x:1"]


def _crafted_store() -> ox.Store:
    """Subjects ?s, each with some of: a plain string, an integer or a decimal, a date, an
    IRI; one subject with none of them (every column has an unbound cell); blank nodes."""
    store = ox.Store()
    values: list[tuple[str, ox.Term]] = (
        [("name", ox.Literal(v)) for v in STRINGS]
        + [("number", ox.Literal(v, datatype=ox.NamedNode(XSD + "integer"))) for v in INTEGERS]
        + [("number", ox.Literal(v, datatype=ox.NamedNode(XSD + "decimal"))) for v in DECIMALS]
        + [("date", ox.Literal(v, datatype=ox.NamedNode(XSD + "date"))) for v in DATES]
        + [("link", ox.NamedNode(v)) for v in IRIS]
        + [("link", ox.BlankNode(f"b{i}")) for i in range(3)]
    )
    typed = ox.NamedNode(EX + "Thing")
    for i, (predicate, value) in enumerate(values):
        subject = ox.NamedNode(f"{EX}s{i:03d}")
        store.add(ox.Quad(subject, RDF_TYPE, typed))
        store.add(ox.Quad(subject, ox.NamedNode(EX + predicate), value))
        # A second value on other subjects, so that rows tie on one condition and not the next.
        store.add(ox.Quad(subject, ox.NamedNode(EX + "group"), ox.Literal(str(i % 3))))
    store.add(ox.Quad(ox.NamedNode(EX + "empty"), RDF_TYPE, typed))
    return store


QUERY = f"""SELECT ?s ?group ?name ?number ?date ?link WHERE {{
  ?s a <{EX}Thing>
  OPTIONAL {{ ?s <{EX}group> ?group }}
  OPTIONAL {{ ?s <{EX}name> ?name }}
  OPTIONAL {{ ?s <{EX}number> ?number }}
  OPTIONAL {{ ?s <{EX}date> ?date }}
  OPTIONAL {{ ?s <{EX}link> ?link }}
}}
"""


def _tsv(store: ox.Store, query: str) -> bytes:
    results = store.query(query)
    assert isinstance(results, ox.QuerySolutions)
    return results.serialize(format=ox.QueryResultsFormat.TSV)


@pytest.mark.parametrize(
    "order",
    [
        "?name ?s",
        "DESC(?name) ?s",
        "?number ?s",
        "DESC(?number) DESC(?s)",
        "?date ?s",
        "DESC(?date) ?s",
        "?link ?s",
        "DESC(?link) ?s",
        "?group DESC(?name) ?s",
        "DESC(?group) ?date ?number ?s",
    ],
)
def test_the_rows_come_in_the_order_oxigraph_gives(order: str) -> None:
    """Every condition ends with ?s, so the order is total: the bytes must be the same."""
    store = _crafted_store()
    written = _tsv(store, QUERY + f"ORDER BY {order}")
    split = split_order_by(QUERY + f"ORDER BY {order}")
    assert split is not None
    assert split.unsorted.rstrip() == QUERY.rstrip()
    assert sort_tsv(_tsv(store, split.unsorted), split.order) == written


def test_rows_that_tie_come_in_one_order_whatever_order_they_came_in() -> None:
    """SPARQL leaves the order of ties open (and Oxigraph's sort is not stable): here they are
    ordered by their whole line, so the stored answer does not change from run to run."""
    store = _crafted_store()
    body = _tsv(store, QUERY)
    header, *lines = body.decode().splitlines()
    conditions = (OrderCondition("group"),)
    first = sort_tsv(body, conditions)
    assert first is not None
    for seed in range(5):
        random.Random(seed).shuffle(lines)
        again = "\n".join([header, *lines, ""]).encode()
        assert sort_tsv(again, conditions) == first
    # Within a group, by line; the groups in their order.
    got = first.decode().splitlines()[1:]
    groups = [line.split("\t")[1] for line in got]
    assert groups == sorted(groups, key=lambda g: (g != "", g))
    assert got == sorted(
        got, key=lambda line: (line.split("\t")[1] != "", line.split("\t")[1], line)
    )


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        (['"a"@en', '"b"@en'], "language-tagged strings"),
        (["1.0E0", "2.0E0"], "doubles"),
        (["true", "false"], "booleans"),
        (['"a"', "1"], "a string and a number in one column"),
        (['"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>', '"x"'], "a date and a string"),
        (['"2020-01-01Z"^^<http://www.w3.org/2001/XMLSchema#date>'], "a date with a time zone"),
        (['"12020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>'], "a five-digit year"),
        (['"x"^^<http://example.org/datatype>'], "another datatype"),
        (["10000000000000000000", "5"], "an integer beyond 64 bits (Oxigraph: by its text)"),
        (["-9223372036854775809", "-10"], "an integer below 64 bits"),
        (["10.0000000000000000000001", "9.5"], "a decimal of more than 18 fraction digits"),
        (["12345678901234567890123.5", "3"], "a decimal beyond Oxigraph's range"),
        (["<<( <http://a> <http://b> <http://c> )>>", "<http://a>"], "a triple term"),
    ],
)
def test_cells_whose_order_is_not_reproduced_give_none(cells: list[str], why: str) -> None:
    body = "\n".join(["?x", *cells, ""]).encode()
    assert sort_tsv(body, (OrderCondition("x"),)) is None, why


def test_a_condition_on_a_column_not_shown_gives_none() -> None:
    assert sort_tsv(b'?x\n"a"\n', (OrderCondition("y"),)) is None


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?a WHERE { ?a <p> ?b }",
        "SELECT ?a WHERE { ?a <p> ?b } ORDER BY LCASE(?a)",
        "SELECT ?a WHERE { ?a <p> ?b } ORDER BY ?a LIMIT 5",
        "SELECT ?a WHERE { ?a <p> ?b } ORDER BY ?a OFFSET 5",
        'SELECT ?a WHERE { ?a <p> ?b } GROUP BY ?a HAVING (?a != "}") ORDER BY ?a',
        "SELECT ?a WHERE { ?a <p> ?b } ORDER BY ?a # a comment with a }",
        "SELECT ?a WHERE { { SELECT ?a WHERE { ?a <p> ?b } ORDER BY ?a } }",
        "ASK { ?a <p> ?b }",
    ],
)
def test_a_query_that_does_not_end_with_a_plain_order_is_not_split(query: str) -> None:
    assert split_order_by(query) is None


def test_comments_after_the_where_clause_are_dropped() -> None:
    split = split_order_by(
        "SELECT ?a WHERE { ?a <p> ?b }\n# by the author's <name>\nORDER BY ?a # then\n"
    )
    assert split is not None
    assert split.order == (OrderCondition("a"),)
    assert "ORDER" not in split.unsorted.upper().split("}")[-1]


# -- in the precompute


def _executed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    queries: list[str] = []
    real = precompute_module.execute

    def execute(store: Any, request: QueryRequest, **kwargs: Any) -> Any:
        queries.append(request.query)
        return real(store, request, **kwargs)

    monkeypatch.setattr(precompute_module, "execute", execute)
    return queries


def _order_cells(body: bytes, order: tuple[OrderCondition, ...]) -> list[tuple[bytes, ...]]:
    header, *lines = body.split(b"\n")[:-1]
    variables = [v.lstrip(b"?").decode() for v in header.split(b"\t")]
    at = [variables.index(c.variable) for c in order]
    return [tuple(line.split(b"\t")[i] for i in at) for line in lines]


def _stored_and_expected(folder: Path, name: str, query: str) -> tuple[bytes, bytes]:
    store = KGStore.open_readonly(folder)
    try:
        generation = store.generation
        assert generation is not None
        stored = (folder / PRECOMPUTED / generation / f"{name}.rows.tsv").read_bytes()
        substitutions = default_substitutions(
            load_reports(scheme=SCHEME)[name], SCHEME, (SEED_AS_OF.isoformat(),)
        )
        assert substitutions is not None
        outcome = precompute_module.execute(
            store, QueryRequest(query, substitutions=dict(substitutions), result_format="tsv")
        )
        assert outcome.body is not None
        return stored, outcome.body
    finally:
        store.close()


def test_the_precompute_runs_each_query_once_without_its_order(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the seeds every report that ends with a plain ORDER BY is ordered here: its query
    runs once, unsorted, and its stored rows are in the order the store's ORDER BY gives."""
    ingest_into(tmp_path, seeds_dir)
    executed = _executed(monkeypatch)
    precompute_store(tmp_path, SCHEME, workers=1)
    reports = load_reports(scheme=SCHEME)
    split_reports = 0
    for name in precomputed_names(reports, SCHEME):
        query = reports[name].query
        split = split_order_by(query)
        if split is None or (query not in executed and split.unsorted not in executed):
            continue  # an engine's rows, or no default binding on one crawl
        split_reports += 1
        assert query not in executed, f"{name}: ran again with its ORDER BY"
        assert executed.count(split.unsorted) == 1, name
        stored, expected = _stored_and_expected(tmp_path, name, query)
        assert sorted(stored.splitlines()) == sorted(expected.splitlines()), name
        assert stored.splitlines()[0] == expected.splitlines()[0]
        # In the store's order: the cells of the order columns come in the same sequence
        # (rows that tie on all of them may differ in the other columns).
        assert _order_cells(stored, split.order) == _order_cells(expected, split.order), name
    assert split_reports >= 7


def test_where_the_rows_cannot_be_ordered_here_the_query_runs_as_written(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_into(tmp_path, seeds_dir)
    executed = _executed(monkeypatch)
    monkeypatch.setattr(precompute_module, "sort_tsv", lambda body, order: None)
    precompute_store(tmp_path, SCHEME, workers=1)
    reports = load_reports(scheme=SCHEME)
    query = reports["organizations"].query
    split = split_order_by(query)
    assert split is not None
    assert executed.count(split.unsorted) == 1 and executed.count(query) == 1
    stored, expected = _stored_and_expected(tmp_path, "organizations", query)
    assert stored == expected

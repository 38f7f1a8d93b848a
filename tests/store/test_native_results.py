"""SELECT results written by the engine (kg.store.query.native_body) against the row-by-row writers.

The endpoint asks the query worker for the response body in the client's format;
the worker lets pyoxigraph write it, under a byte budget that proves the result
is within the row cap, and otherwise falls back to reading rows one by one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql.results import SELECT_WRITERS
from kg.store.embedded import KGStore
from kg.store.query import (
    MIN_SOLUTION_BYTES,
    NATIVE_RESULT_FORMATS,
    QueryRequest,
    execute,
    native_body,
)

FORMATS = sorted(NATIVE_RESULT_FORMATS)
EX = "http://example.org/"


def _store(solutions: int) -> ox.Store:
    store = ox.Store()
    for i in range(solutions):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"v{i}")))
    return store


def _parsed(body: bytes, format_key: str) -> list[tuple[str | None, ...]]:
    if format_key == "csv":  # lossy: pyoxigraph does not read it back; compare the cells
        return [tuple(row) for row in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))][1:]
    results = ox.parse_query_results(body, format=NATIVE_RESULT_FORMATS[format_key])
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return [tuple(None if s[n] is None else str(s[n]) for n in names) for s in results]


@pytest.mark.parametrize("format_key", FORMATS)
@pytest.mark.parametrize("query", ["SELECT ?s ?o { ?s ?p ?o }", "SELECT ?unbound { ?s ?p ?o }"])
def test_a_native_body_never_holds_more_solutions_than_the_limit(
    format_key: str, query: str
) -> None:
    # Empty solutions (an unbound variable) are the shortest a format can write: the
    # budget must hold for them too.
    for solutions in range(0, 7):
        store = _store(solutions)
        for limit in range(0, 40):
            body = native_body(store.query(query), format_key, limit)
            if body is None:
                continue
            assert solutions <= limit, (solutions, limit)
            assert len(_parsed(body, format_key)) == solutions


@pytest.mark.parametrize("format_key", FORMATS)
def test_a_native_body_comes_back_when_the_result_is_short_enough(format_key: str) -> None:
    store = _store(3)
    # 3 solutions of at least 20 bytes each are far below a budget for 10,000.
    body = native_body(store.query("SELECT ?s ?o { ?s ?p ?o }"), format_key, 10_000)
    assert body is not None and len(_parsed(body, format_key)) == 3
    assert MIN_SOLUTION_BYTES[format_key] >= 1


@pytest.mark.parametrize("format_key", FORMATS)
def test_execute_falls_back_to_counting_when_the_budget_runs_out(format_key: str) -> None:
    store = KGStore(_store(50), folder=None, writable=False, generation=None)
    outcome = execute(
        store, QueryRequest("SELECT ?s { ?s ?p ?o } ORDER BY ?s", limit=7, result_format=format_key)
    )
    assert outcome.body is None and outcome.truncated
    assert outcome.select is not None and len(outcome.select.rows) == 7
    # 50 solutions of about 50 bytes are within the budget for 10,000 of them.
    whole = execute(
        store, QueryRequest("SELECT ?s { ?s ?p ?o }", limit=10_000, result_format=format_key)
    )
    assert (
        whole.body is not None
        and not whole.truncated
        and len(_parsed(whole.body, format_key)) == 50
    )


@pytest.mark.parametrize("format_key", FORMATS)
def test_the_engine_and_our_writers_write_the_same_solutions(
    format_key: str, seed_store: Path
) -> None:
    # Every kind of term the seed graph holds: IRIs, plain, language-tagged and typed
    # literals (dates, integers, years), and unbound optionals.
    store = KGStore.open_readonly(seed_store)
    query = """SELECT ?s ?p ?o ?missing WHERE {
        ?s ?p ?o . OPTIONAL { ?s <http://example.org/none> ?missing }
        FILTER(isLiteral(?o) || ?p = <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
    } ORDER BY ?s ?p ?o LIMIT 3000"""
    native = execute(store, QueryRequest(query, limit=1_000_000, result_format=format_key))
    python = execute(store, QueryRequest(query, limit=1_000_000))
    assert native.body is not None and python.select is not None
    written = io.BytesIO()
    SELECT_WRITERS[format_key](python.select, written)
    expected = _parsed(written.getvalue(), format_key)
    assert len(expected) > 2000
    assert _parsed(native.body, format_key) == expected
    store.close()

"""A dataset of several graphs is their RDF merge, not the bag of their triples (issue 16, 2).

SPARQL 1.1 section 13.2: the default graph of ``FROM <a> FROM <b>`` (or of a repeated
``default-graph-uri``) is the merge of the graphs, a set. The seed profiles share
papers, so the graphs of two profiles that share one state some triples twice; each
must match once. The expected counts are found independently, by deduplicating the
triples of ``GRAPH ?g`` patterns over the same graphs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

SCHEMA = "PREFIX schema: <https://schema.org/>\n"
#: Pairs of profile graphs that both state some paper (so the bag and the set differ).
SHARED = (
    "SELECT ?a ?b WHERE { GRAPH ?a { ?p a <https://schema.org/ScholarlyArticle> } "
    "GRAPH ?b { ?p a <https://schema.org/ScholarlyArticle> } FILTER (STR(?a) < STR(?b)) "
    'FILTER (!CONTAINS(STR(?a), "_identity") && !CONTAINS(STR(?b), "_identity")) } '
    "GROUP BY ?a ?b ORDER BY DESC(COUNT(*)) LIMIT 1"
)


def select(client: Any, query: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/sparql", query_string={"query": query, **params})
    assert response.status_code == 200, response.data
    return json.loads(response.data)["results"]["bindings"]  # type: ignore[no-any-return]


def number(client: Any, query: str, **params: Any) -> int:
    return int(select(client, query, **params)[0]["n"]["value"])


@pytest.fixture(scope="module")
def pair(app: Any) -> tuple[str, str]:
    row = select(app.test_client(), SHARED)[0]
    return row["a"]["value"], row["b"]["value"]


def values(graphs: tuple[str, ...]) -> str:
    return "VALUES ?g { " + " ".join(f"<{g}>" for g in graphs) + " }"


def distinct_triples(client: Any, graphs: tuple[str, ...]) -> int:
    return number(
        client,
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        + values(graphs)
        + " } }",
    )


def test_the_seed_graphs_share_triples(client: Any, pair: tuple[str, str]) -> None:
    bag = number(
        client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } " + values(pair) + " }"
    )
    assert bag > distinct_triples(client, pair)  # else the tests below prove nothing


def test_from_twice_is_the_merge(client: Any, pair: tuple[str, str]) -> None:
    a, b = pair
    everything = f"FROM <{a}> FROM <{b}> WHERE {{ ?s ?p ?o }}"
    merged = number(client, f"SELECT (COUNT(*) AS ?n) {everything}")
    assert merged == number(client, f"SELECT (COUNT(DISTINCT *) AS ?n) {everything}")
    assert merged == distinct_triples(client, pair)


def test_a_repeated_default_graph_uri_is_the_merge(client: Any, pair: tuple[str, str]) -> None:
    response = client.get(
        "/sparql",
        query_string=[
            ("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
            ("default-graph-uri", pair[0]),
            ("default-graph-uri", pair[1]),
        ],
    )
    assert response.status_code == 200, response.data
    assert int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"]) == (
        distinct_triples(client, pair)
    )


def test_joins_count_each_solution_once(client: Any, pair: tuple[str, str]) -> None:
    a, b = pair
    shared = "{ ?p a schema:ScholarlyArticle ; schema:author ?t }"  # two patterns, both shared
    merged = number(client, f"{SCHEMA}SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{b}> WHERE {shared}")
    expected = number(
        client,
        f"{SCHEMA}SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?p ?t WHERE {{ "
        f"GRAPH ?g {{ ?p a schema:ScholarlyArticle }} GRAPH ?h {{ ?p schema:author ?t }} "
        f"VALUES ?g {{ <{a}> <{b}> }} VALUES ?h {{ <{a}> <{b}> }} }} }}",
    )
    assert merged == expected > 0


def test_the_same_graph_twice_is_that_graph(client: Any, pair: tuple[str, str]) -> None:
    a = pair[0]
    once = number(client, f"SELECT (COUNT(*) AS ?n) FROM <{a}> WHERE {{ ?s ?p ?o }}")
    twice = number(client, f"SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{a}> WHERE {{ ?s ?p ?o }}")
    assert twice == once


def test_from_named_is_kept_beside_the_merge(client: Any, pair: tuple[str, str]) -> None:
    a, b = pair
    query = (
        f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM <{a}> FROM <{b}> FROM NAMED <{a}> "
        "WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    assert number(client, query) == 1
    no_named = f"ASK FROM <{a}> FROM <{b}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": no_named})
    assert json.loads(response.data)["boolean"] is False  # FROM alone: no named graphs


def test_prefixed_and_relative_graph_names_resolve(client: Any, pair: tuple[str, str]) -> None:
    a, b = pair
    base, _, name_a = a.rpartition("/")
    query = (
        f"PREFIX g: <{base}/> SELECT (COUNT(*) AS ?n) FROM g:{name_a} FROM <{b}> "
        "WHERE { ?s ?p ?o }"
    )
    assert number(client, query) == distinct_triples(client, pair)


def test_a_dataset_too_large_to_merge_is_a_400(
    make_app: Any, pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.store.query

    client = make_app(local=True).test_client()  # in-process: the lowered cap reaches the query
    a, b = pair
    query = f"SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{b}> WHERE {{ ?s ?p ?o }}"
    merged = number(client, query)
    monkeypatch.setattr(kg.store.query, "MAX_MERGED_TRIPLES", merged - 1)
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "more than this server copies for a merge" in json.loads(response.data)["detail"]

"""A dataset of several graphs is their RDF merge on an external store too (issue 16, 2).

SPARQL 1.1 section 13.2: the default graph of ``FROM <a> FROM <b>`` (or of a repeated
``default-graph-uri``) is the merge of the graphs, a set. The Oxigraph server reads
such a list as the bag of the graphs' triples, so a triple two profiles state counted
twice. A real ``kg serve`` over each external store must answer as the one over the
embedded store (tests/server/test_sparql_dataset_merge.py checks that one against
counts found independently), within the query time limit, and refuse a dataset too
large to merge with the same 400.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import kg.store.query
from kg.errors import BadRequest
from kg.store.query import QueryRequest
from kg.store.remote import RemoteBackend, RemoteStore
from tests.conftest import LiveServer
from tests.external.conftest import SeededStore, run_kg
from tests.server.test_sparql_dataset_merge import SHARED

pytestmark = pytest.mark.external

TIMEOUT = 3.0


@pytest.fixture(scope="module")
def embedded_server(embedded_seeds: Path) -> Iterator[LiveServer]:
    server = LiveServer(embedded_seeds)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def external_server(seeded_external: SeededStore) -> Iterator[LiveServer]:
    store = seeded_external.server
    server = LiveServer(
        store.query,  # type: ignore[arg-type]  # LiveServer passes --store on as text
        [
            "--update-url",
            store.update,
            "--graph-store-url",
            store.graph_store,
            "--workers",
            "2",
            "--query-timeout",
            str(TIMEOUT),
        ],
    )
    yield server
    server.stop()


def _post(
    server: LiveServer, form: Sequence[tuple[str, str]], *, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of a form-encoded POST to /sparql."""
    request = urllib.request.Request(
        server.url + "/sparql",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _answer(server: LiveServer, query: str, *graphs: str) -> Any:
    """The bindings (or the boolean) of a query; ``graphs`` go as ``default-graph-uri``."""
    form = [("query", query), *(("default-graph-uri", g) for g in graphs)]
    status, _, body = _post(server, form)
    assert status == 200, body[:500]
    document = json.loads(body)
    if "boolean" in document:
        return document["boolean"]
    return [{k: v["value"] for k, v in row.items()} for row in document["results"]["bindings"]]


def _number(server: LiveServer, query: str, *graphs: str) -> int:
    return int(_answer(server, query, *graphs)[0]["n"])


@pytest.fixture(scope="module")
def pair(embedded_server: LiveServer) -> tuple[str, str]:
    """Two profile graphs that both state some paper: their bag and their merge differ."""
    row = _answer(embedded_server, SHARED)[0]
    return row["a"], row["b"]


def _bag(server: LiveServer, pair: tuple[str, str]) -> int:
    values = " ".join(f"<{g}>" for g in pair)
    return _number(
        server,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {values} }} }}",
    )


def test_from_twice_counts_each_triple_once(
    external_server: LiveServer, embedded_server: LiveServer, pair: tuple[str, str]
) -> None:
    a, b = pair
    everything = f"FROM <{a}> FROM <{b}> WHERE {{ ?s ?p ?o }}"
    merged = _number(external_server, f"SELECT (COUNT(*) AS ?n) {everything}")
    assert merged == _number(external_server, f"SELECT (COUNT(DISTINCT *) AS ?n) {everything}")
    assert merged == _number(embedded_server, f"SELECT (COUNT(*) AS ?n) {everything}")
    assert merged < _bag(external_server, pair)  # else the graphs share nothing: no proof


def test_a_repeated_default_graph_uri_counts_each_triple_once(
    external_server: LiveServer, embedded_server: LiveServer, pair: tuple[str, str]
) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    merged = _number(external_server, query, *pair)
    assert merged == _number(embedded_server, query, *pair)
    assert merged == _number(
        external_server, "SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ?s ?p ?o }", *pair
    )
    assert merged < _bag(external_server, pair)


@pytest.mark.parametrize(
    "template",
    [
        pytest.param(
            "PREFIX schema: <https://schema.org/> SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{b}> "
            "WHERE { ?p a schema:ScholarlyArticle ; schema:author ?t }",
            id="join",
        ),
        pytest.param(
            "SELECT (COUNT(DISTINCT ?g) AS ?n) FROM <{a}> FROM <{b}> FROM NAMED <{a}> "
            "WHERE { GRAPH ?g { ?s ?p ?o } }",
            id="from-named-beside-the-merge",
        ),
        pytest.param(
            "ASK FROM <{a}> FROM <{b}> WHERE { GRAPH ?g { ?s ?p ?o } }", id="no-named-graphs"
        ),
        pytest.param(
            "SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{a}> WHERE { ?s ?p ?o }",
            id="one-graph-twice",
        ),
        pytest.param(
            "SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <http://kg.test/graph/no-such-graph> "
            "WHERE { ?s ?p ?o }",
            id="a-graph-the-store-lacks",
        ),
        pytest.param(
            "SELECT ?t (COUNT(*) AS ?n) FROM <{a}> FROM <{b}> WHERE { ?s a ?t } "
            "GROUP BY ?t ORDER BY ?t",
            id="group-by",
        ),
    ],
)
def test_merged_datasets_answer_as_on_the_embedded_store(
    external_server: LiveServer, embedded_server: LiveServer, pair: tuple[str, str], template: str
) -> None:
    query = template.replace("{a}", pair[0]).replace("{b}", pair[1])
    expected = _answer(embedded_server, query)
    assert _answer(external_server, query) == expected
    assert expected not in ([], [{"n": "0"}])  # an answer that tells the stores apart


def test_a_runaway_query_on_a_merge_is_stopped_at_the_time_limit(
    external_server: LiveServer, pair: tuple[str, str]
) -> None:
    a, b = pair
    query = (
        f"SELECT (COUNT(*) AS ?n) FROM <{a}> FROM <{b}> "
        "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    )
    started = time.monotonic()
    status, _, body = _post(external_server, [("query", query)])
    assert status == 503, body[:300]
    assert json.loads(body)["type"].endswith("query-timeout")
    assert time.monotonic() - started < TIMEOUT + 10
    # The next merge is answered (the stopped query's process was replaced).
    assert _answer(external_server, f"ASK FROM <{a}> FROM <{b}> {{ ?s ?p ?o }}") is True


def test_a_dataset_too_large_to_merge_is_refused(
    seeded_external: SeededStore, pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RemoteStore.open(seeded_external.server.query, base_iri=seeded_external.base_iri)
    backend = RemoteBackend(store, timeout=30)
    request = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=pair)
    try:
        counted = backend.run(request).rows[0]["n"]
        monkeypatch.setattr(kg.store.query, "MAX_MERGED_TRIPLES", int(counted.value) // 2)
        with pytest.raises(BadRequest, match="more than this server copies for a merge"):
            backend.run(request)
    finally:
        backend.close()


def test_kg_query_reads_the_merge(seeded_external: SeededStore, pair: tuple[str, str]) -> None:
    """``kg query --store URL`` too (it reads the graphs with its own time limit)."""

    def count(query: str) -> int:
        result = run_kg(
            "query",
            *seeded_external.server.store_args(),
            "--base-iri",
            seeded_external.base_iri,
            "--format",
            "json",
            query,
        )
        assert result.returncode == 0, result.stderr
        return int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"])

    everything = f"FROM <{pair[0]}> FROM <{pair[1]}> WHERE {{ ?s ?p ?o }}"
    merged = count(f"SELECT (COUNT(*) AS ?n) {everything}")
    assert merged == count(f"SELECT (COUNT(DISTINCT *) AS ?n) {everything}") > 0

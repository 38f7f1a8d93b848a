"""/search and /search.json over the seed store's index."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_BASE_IRI


def test_search_json_answers_the_documented_shape(client: FlaskClient) -> None:
    response = client.get("/search.json", query_string={"q": "fused Lasso regularization"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"query", "total", "hits", "facets"}
    first = body["hits"][0]
    assert set(first) >= {"iri", "type", "label", "score", "snippet"}
    assert first["label"] == "Heterogeneous Federated Learning on a Graph"
    assert first["type"] == "paper"
    assert set(body["facets"]) >= {"type", "subject", "year", "has_code", "organization"}


def test_search_json_typos_and_names(client: FlaskClient) -> None:
    typos = client.get("/search.json?q=federatd lerning grpah").get_json()
    assert "Heterogeneous Federated Learning on a Graph" in [h["label"] for h in typos["hits"][:3]]
    person = client.get("/search.json?q=weiran huang").get_json()
    assert person["hits"][0]["iri"] == f"{TEST_BASE_IRI}author/weiran-huang"


def test_search_json_filters_and_paging(client: FlaskClient) -> None:
    all_hits = client.get("/search.json?q=learning&limit=100").get_json()
    papers = client.get(
        "/search.json?q=learning&type=paper&from=2023&to=2024&has_code=false"
    ).get_json()
    assert 0 < papers["total"] < all_hits["total"]
    assert all(h["type"] == "paper" and 2023 <= h["year"] <= 2024 for h in papers["hits"])
    page2 = client.get("/search.json?q=learning&limit=3&offset=3").get_json()
    assert [h["iri"] for h in page2["hits"]] == [h["iri"] for h in all_hits["hits"][3:6]]


def test_prefix_mode_for_autocomplete(client: FlaskClient) -> None:
    body = client.get("/search.json?q=xuya&prefix=true&type=author").get_json()
    assert [h["label"] for h in body["hits"]] == ["Xuyang Zhao"]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="no-q"),
        pytest.param("q=", id="empty-q"),
        pytest.param("q=%22%22+*+~", id="operators-only"),
        pytest.param("q=" + "x" * 600, id="huge"),
        pytest.param("q=a&q=b", id="repeated"),
        pytest.param("q=learning&limit=0", id="limit-zero"),
        pytest.param("q=learning&limit=101", id="limit-over"),
        pytest.param("q=learning&offset=-1", id="negative-offset"),
        pytest.param("q=learning&type=planet", id="unknown-type"),
        pytest.param("q=learning&has_code=maybe", id="bad-boolean"),
        pytest.param("q=+%09+", id="whitespace-only"),
        pytest.param("q=" + "+w" * 17, id="too-many-words"),
        pytest.param("q=+" + "x" * 500, id="long-with-spaces"),
        pytest.param("q=learning&limit=1.5", id="fraction"),
        pytest.param("q=learning&type=+paper", id="type-with-space"),
    ],
)
def test_bad_parameters_are_400_problems(client: FlaskClient, query: str) -> None:
    response = client.get("/search.json?" + query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"]


def test_years_reversed_find_nothing(client: FlaskClient) -> None:
    # The schema cannot say that `from` bounds `to`: an empty range, not a refusal.
    response = client.get("/search.json?q=learning&from=2025&to=2020")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 0 and body["hits"] == []
    assert set(body["facets"]) == {"type", "subject", "organization", "year", "has_code"}


def test_search_json_is_in_the_openapi_document(client: FlaskClient) -> None:
    from kg_server.search import SEARCH_PARAMETERS

    document = client.get("/openapi.json").get_json()
    operation = document["paths"]["/search.json"]["get"]
    names = [p["name"] for p in operation["parameters"]]
    assert names == [p.name for p in SEARCH_PARAMETERS]
    assert set(names) >= {
        "q", "type", "subject", "from", "to", "has_code", "organization", "limit", "offset"
    }  # fmt: skip
    q = next(p for p in operation["parameters"] if p["name"] == "q")
    assert q["required"] and q["schema"]["maxLength"] == 500 and q["schema"]["pattern"]
    result = document["components"]["schemas"]["SearchResult"]
    assert set(result["required"]) == {"query", "total", "hits", "facets"}
    hit = document["components"]["schemas"]["SearchHit"]
    assert set(hit["required"]) == {"iri", "type", "label", "score", "snippet"}
    assert set(operation["responses"]) >= {"200", "400", "503"}


def test_search_page_lists_hits_with_facets_and_snippets(client: FlaskClient) -> None:
    response = client.get("/search?q=fused+Lasso+regularization")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Heterogeneous Federated Learning on a Graph" in html
    assert "<b>Lasso</b>" in html
    assert 'href="/pages/paper/heterogeneous-federated-learning-on-a-graph' in html
    assert re.search(r"<h2>Type</h2>", html)


def test_search_page_bad_input_is_a_page_not_a_traceback(client: FlaskClient) -> None:
    response = client.get("/search?q=%22%22")
    assert response.status_code == 400
    assert "Cannot search" in response.get_data(as_text=True)


def test_every_page_has_the_search_box(client: FlaskClient) -> None:
    for path in ("/reports", "/dumps", "/pages/author/xuyang-zhao", "/search"):
        html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'action="/search"' in html and 'name="q"' in html, path


def test_a_rebuilt_index_is_seen_by_the_running_server(make_app) -> None:  # type: ignore[no-untyped-def]
    from kg.search.index import update_index
    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend

    app = make_app(writable=True, local=True)
    client = app.test_client()
    query = "/search.json?q=weiran+huang"
    assert client.get(query).get_json()["total"] > 0
    folder = app.extensions["kg"].settings.search_folder
    version = app.extensions["kg"].backend.version()
    # Rebuilt, under the same store version, from a store with nothing in it.
    update_index(folder, LocalBackend(KGStore.in_memory()), store_version=version, rebuild=True)
    assert client.get(query).get_json()["total"] == 0

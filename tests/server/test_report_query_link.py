"""'Open in the query page' keeps a report's parameters (issue 16 item 8).

The link's query, run on /sparql, answers with the report's own rows, for every report
whose parameters the query binds (engine reports work on rows in Python: not comparable, but for
the coauthor-counts engine, which gives its query's rows from the co-author graph).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kg.sparql.text import with_values


def _link(client: Any, path: str) -> str:
    html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)">Open in the query page</a>', html)
    assert href, "no query page link"
    return parse_qs(urlsplit(href.group(1).replace("&amp;", "&")).query)["query"][0]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/reports/author-papers?author=Xuyang+Zhao", id="author-papers"),
        pytest.param("/reports/author-papers?author=Xuyang+Zhao&year=2024", id="with-year"),
        pytest.param("/reports/top-authors-by-papers?min_papers=3", id="subquery-parameter"),
        # An engine that gives its query's rows (from the co-author graph): the query answers alike.
        pytest.param("/reports/top-authors-by-coauthors?min_coauthors=3", id="coauthor-counts"),
        pytest.param("/reports/author-summary?author=Weiran+Huang", id="author-summary"),
        pytest.param(
            "/reports/paper-authors?paper=http://kg.test/paper/"
            "tarpo-token-wise-latent-explicit-reasoning-via-action-75e880",
            id="paper-authors",
        ),
    ],
)
def test_query_page_link_answers_like_the_report(client: Any, path: str) -> None:
    query = _link(client, path)
    report = client.get(path.replace("?", ".json?", 1) + "&limit=100000").get_json()
    answer = client.post(
        "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    rows = answer.get_json()["results"]["bindings"]
    assert len(rows) == report["total"]
    key = report["columns"][0]
    assert [r.get(key, {}).get("value") for r in rows] == [
        None if r[key] is None else str(r[key]).lower() if isinstance(r[key], bool) else str(r[key])
        for r in report["rows"]
    ]


def test_values_go_into_every_where_group() -> None:
    import pyoxigraph as ox

    query = "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?o } } FILTER(?a != ?b) }"
    out = with_values(query, {"b": ox.Literal('say "hi"\n')})
    assert out.count('VALUES (?b) { ("say \\"hi\\"\\n") }') == 2
    assert with_values(query, {}) == query
    # A CONSTRUCT template is not a WHERE group.
    construct = with_values(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://x/")}
    )
    assert construct == "CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?s) { (<http://x/>) } ?s ?p ?o }"


def test_the_page_says_what_the_engine_does_with_its_query(client: Any) -> None:
    html = client.get(
        "/reports/top-authors-by-coauthors", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert "engine gives this query&#39;s rows from the co-author graph" in html
    assert "ORDER BY DESC(?coauthors) ?author_name ?author" in html
    paper = client.get(
        "/reports/coauthor-network?author=Weiran+Huang", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert "engine works on its rows in Python" in paper

"""Readable SPARQL errors where people meet them: /sparql, the query page, `kg query`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kg.cli import main

#: Works in `kg query`, which declares the project's prefixes; not as it is on /sparql.
COPIED = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } LIMIT 1"
MISSPELT = "SELEC * WHERE { ?s ?p ?o }"
SCHEMA_LINE = "PREFIX schema: <https://schema.org/>"


def detail(response: Any) -> str:
    assert response.status_code == 400, response.data
    assert response.mimetype == "application/problem+json"
    return str(json.loads(response.data)["detail"])


def test_sparql_names_the_missing_prefix_line(client: Any) -> None:
    text = detail(client.get("/sparql", query_string={"query": COPIED}))
    assert text.startswith("line 1, column 27: ")
    assert SCHEMA_LINE in text and "kg query" in text
    assert "\\u{" not in text and "\n" not in text


def test_sparql_says_what_starts_a_query(client: Any) -> None:
    text = detail(client.post("/sparql", data={"query": MISSPELT}))
    assert "expected CONSTRUCT" not in text
    assert "did you mean SELECT?" in text


def test_the_query_page_shows_the_same_message(client: Any) -> None:
    response = client.post("/", data={"query": COPIED})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "PREFIX schema: &lt;https://schema.org/&gt;" in body
    assert "\\u{" not in body


def test_kg_query_reads_our_prefixes_and_explains_others(seed_store: Path) -> None:
    runner = CliRunner()
    works = runner.invoke(main, ["query", "--store", str(seed_store), COPIED])
    assert works.exit_code == 0, works.output
    result = runner.invoke(
        main, ["query", "--store", str(seed_store), "SELECT * WHERE { ?s dc:title ?o }"]
    )
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("error: line 1, column 21: ") and "\n" not in line
    assert '"dc:"' in line and "kg query" not in line
    misspelt = runner.invoke(main, ["query", "--store", str(seed_store), MISSPELT])
    assert "did you mean SELECT?" in misspelt.stderr

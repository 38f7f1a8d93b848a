"""Readable SPARQL syntax errors (issue 16, item 7): one line, the place, and what to do.

The messages are built from pyoxigraph's own parser errors, so each case runs the
engine on the text first and rewrites what it said.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.rdf.namespace import PREFIXES
from kg.sparql.errors import WELL_KNOWN_PREFIXES, readable


def parser_message(text: str, *, update: bool = False) -> str:
    store = ox.Store()
    with pytest.raises(SyntaxError) as caught:
        if update:
            store.update(text)
        else:
            store.query(text)
    return str(caught.value)


def explain(text: str, **options: object) -> str:
    message = readable(text, parser_message(text), **options)  # type: ignore[arg-type]
    assert "\n" not in message and "\\u{" not in message, message
    assert len(message) < 400, message
    return message


@pytest.mark.parametrize("prefix", sorted(set(PREFIXES) | set(WELL_KNOWN_PREFIXES)))
def test_an_undeclared_known_prefix_gets_its_prefix_line(prefix: str) -> None:
    query = f"SELECT ?o WHERE {{\n  ?s {prefix}:thing ?o }}"
    message = explain(query)
    iri = PREFIXES.get(prefix) or WELL_KNOWN_PREFIXES[prefix]
    assert message.startswith("line 2, column 6: ")
    assert f"PREFIX {prefix}: <{iri}>" in message


def test_our_prefixes_say_that_kg_query_declares_them() -> None:
    message = explain("SELECT * WHERE { ?s kg:hasCode ?o }")
    assert "kg query" in message and "/sparql" in message


def test_a_prefix_not_known_asks_for_its_namespace() -> None:
    message = explain("PREFIX ex: <http://e/>\nASK { ex:a zz:b ex:c }")
    assert message.startswith('line 2, column 12: the prefix "zz:"')
    assert "PREFIX zz: <...>" in message and "kg query" not in message


def test_predeclared_prefixes_are_not_reported_missing() -> None:
    text = "SELECT * WHERE { ?s schema:name ?o ; foo:bar ?x }"
    message = readable(text, parser_message(text), predeclared=PREFIXES)
    assert '"foo:"' in message and "kg query" not in message


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        pytest.param("SELEC * WHERE { ?s ?p ?o }", "SELECT", id="selec"),
        pytest.param("PREFIX a: <http://a/>\nCONSTRUKT { } WHERE { }", "CONSTRUCT", id="prefixed"),
        pytest.param("ASKK { }", "ASK", id="askk"),
    ],
)
def test_a_misspelt_query_form_names_the_forms(text: str, suggestion: str) -> None:
    message = explain(text)
    assert "expected CONSTRUCT" not in message
    assert "SELECT, CONSTRUCT, ASK or DESCRIBE" in message
    assert f"did you mean {suggestion}?" in message
    assert ("line 2, column 1" if "\n" in text else "line 1, column 1") in message


def test_a_misspelt_update_names_the_update_operations() -> None:
    text = "INSRT DATA { <http://e/a> <http://e/b> 1 }"
    message = readable(text, parser_message(text, update=True), update=True)
    assert "INSERT, DELETE" in message and "did you mean INSERT?" in message


def test_unclosed_braces_are_counted() -> None:
    message = explain("SELECT * WHERE { ?s ?p ?o . OPTIONAL { ?s ?q ?x }")
    assert 'the text ends with 1 "{" brace not closed' in message


def test_other_errors_keep_the_parser_words_with_a_short_list() -> None:
    message = explain("SELECT * WHERE { ?s ?p ?o } LIMIT x")
    assert message.startswith("line 1, column ")
    assert 'near "x"' in message and "expected one of" in message and "OFFSET" in message


def test_a_long_list_of_alternatives_is_cut() -> None:
    message = explain("SELECT ?x WHERE { ?s ?p ?o FILTER(?o > ) }")
    assert "more" in message and message.count(",") <= 8

"""N-Triples literals written by the mapping read back as the text they were made from."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.rdf.map import literal, typed

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("plain text", id="plain"),
        pytest.param('a "quoted" title', id="quotes"),
        pytest.param("C:\\path\\n not a newline", id="backslash-n"),
        pytest.param("ends with a backslash \\", id="trailing-backslash"),
        pytest.param('\\"', id="backslash-quote"),
        pytest.param("two\nlines\r\nand a CR", id="newlines"),
        pytest.param("Zoë Ångström, 日本語 \U0001f600 \t tab", id="non-ascii"),
        pytest.param("", id="empty"),
    ],
)
def test_a_literal_reads_back_as_its_text(value: str) -> None:
    for text, lang in ((literal(value), None), (literal(value, "en"), "en")):
        quad = next(iter(ox.parse(f"<http://e/s> <http://e/p> {text} .\n", ox.RdfFormat.N_TRIPLES)))
        assert isinstance(quad.object, ox.Literal)
        assert quad.object.value == value and quad.object.language == lang
    text = typed(value, XSD_STRING)
    quad = next(iter(ox.parse(f"<http://e/s> <http://e/p> {text} .\n", ox.RdfFormat.N_TRIPLES)))
    assert quad.object.value == value

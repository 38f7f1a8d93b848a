"""The data model's ontology table (docs/data-model.md) names every term of the ontology."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.rdf.ontology import terms

DATA_MODEL = (Path(__file__).resolve().parents[2] / "docs" / "data-model.md").read_text(
    encoding="utf-8"
)


@pytest.mark.parametrize("curie", [pytest.param(t.curie, id=t.curie) for t in terms()])
def test_readme_table_lists_the_term(curie: str) -> None:
    assert f"| `{curie}`" in DATA_MODEL, f"{curie} is missing from docs/data-model.md's table"

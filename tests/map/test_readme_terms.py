"""The README's ontology table names every term of the ontology (project and reused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.rdf.ontology import terms

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("curie", [pytest.param(t.curie, id=t.curie) for t in terms()])
def test_readme_table_lists_the_term(curie: str) -> None:
    assert f"| `{curie}`" in README, f"{curie} is missing from the README's ontology table"

"""``kg search-index`` on an external store indexes what the embedded store's index holds.

The external store is read with the SPARQL reads of kg.search.graph.SparqlReader (one
``SELECT`` per predicate, ``GRAPH ?g`` for the entities each source graph types, the
source graphs' fingerprints) over the protocol, the embedded one by its own scans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.search.index import DIGESTS, SearchIndex
from tests.external.conftest import SeededStore, run_kg

pytestmark = pytest.mark.external


def _state(index: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((index / DIGESTS).read_text())
    return data


def _mentions(state: dict[str, Any]) -> dict[str, list[str]]:
    """Each graph's entities (the state keeps them as numbers into its list of IRIs)."""
    iris = state["iris"]
    return {g: sorted(iris[i] for i in numbers) for g, (_, numbers) in state["graphs"].items()}


def test_the_search_index_is_the_embedded_store_s(
    seeded_external: SeededStore, embedded_seeds: Path, tmp_path: Path
) -> None:
    server = seeded_external.server
    index = tmp_path / "index"
    args = [*server.store_args(), "--base-iri", seeded_external.base_iri]
    result = run_kg("search-index", *args, "--search-index-dir", str(index))
    assert result.returncode == 0, result.stderr
    external, embedded = _state(index), _state(embedded_seeds / "search")
    assert external["digests"] == embedded["digests"] and external["digests"]
    # The same entities per source graph, so that an update reads the same ones again.
    assert _mentions(external) == _mentions(embedded)
    hits = SearchIndex(index).search("fused Lasso regularization").hits
    assert hits[0].label == "Heterogeneous Federated Learning on a Graph"
    # Nothing changed since: the next update reads no entity.
    again = run_kg("search-index", *args, "--search-index-dir", str(index))
    assert again.returncode == 0, again.stderr
    assert _state(index)["digests"] == external["digests"]

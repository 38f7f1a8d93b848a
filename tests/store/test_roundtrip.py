"""Round trip: export the store, load the export into a fresh store, get the same quads."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.store import dumps as kgdumps
from kg.store.embedded import KGStore


def sorted_nquads(store: KGStore) -> list[str]:
    """Canonical, sorted N-Quads lines of everything in the store."""
    out = io.BytesIO()
    store.dump(out, "nquads")
    return sorted(line for line in out.getvalue().decode("utf-8").splitlines() if line)


def default_graph(store: KGStore) -> Graph:
    out = io.BytesIO()
    store.dump(out, "ntriples")
    graph = Graph()
    graph.parse(data=out.getvalue(), format="nt")
    return graph


@pytest.fixture(scope="module")
def original(seed_store: Path) -> KGStore:
    return KGStore.open_readonly(seed_store)


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_quad_export_reloads_into_the_same_quads(original: KGStore, fmt: str) -> None:
    exported = io.BytesIO()
    original.dump(exported, fmt)
    fresh = KGStore.in_memory()
    fresh.load_rdf(exported.getvalue(), fmt)
    assert fresh.count_quads() == original.count_quads()
    assert sorted_nquads(fresh) == sorted_nquads(original)
    assert fresh.named_graphs() == original.named_graphs()


def test_default_graph_is_isomorphic_after_the_round_trip(original: KGStore) -> None:
    exported = io.BytesIO()
    original.dump(exported, "nquads")
    fresh = KGStore.in_memory()
    fresh.load_rdf(exported.getvalue(), "nquads")
    before, after = default_graph(original), default_graph(fresh)
    assert len(before) > 1000
    assert isomorphic(before, after)


def test_each_named_graph_survives(original: KGStore) -> None:
    exported = io.BytesIO()
    original.dump(exported, "nquads")
    fresh = KGStore.in_memory()
    fresh.load_rdf(exported.getvalue(), "nquads")
    for name in original.named_graphs():
        a, b = io.BytesIO(), io.BytesIO()
        original.dump(a, "ntriples", graph=name)
        fresh.dump(b, "ntriples", graph=name)
        assert sorted(a.getvalue().splitlines()) == sorted(b.getvalue().splitlines()), name


def test_cli_export_file_round_trips(seed_store: Path, original: KGStore, tmp_path: Path) -> None:
    from kg.cli import main

    target = tmp_path / "kg.nq"
    result = CliRunner().invoke(
        main, ["export", "--store", str(seed_store), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    fresh = KGStore.in_memory()
    fresh.load_rdf(target.read_bytes(), "nquads")
    assert sorted_nquads(fresh) == sorted_nquads(original)


def test_compressed_dump_round_trips(original: KGStore, tmp_path: Path) -> None:
    manifest = kgdumps.generate_dumps(original, tmp_path)
    data = gzip.decompress((tmp_path / manifest.generation / "kg.nq.gz").read_bytes())
    assert len(data.splitlines()) == manifest.quads == original.count_quads()
    fresh = KGStore.in_memory()
    fresh.load_rdf(data, "nquads")
    assert sorted_nquads(fresh) == sorted_nquads(original)
    turtle = gzip.decompress((tmp_path / manifest.generation / "kg.ttl.gz").read_bytes())
    graph = Graph()
    graph.parse(data=turtle, format="turtle")
    assert len(graph) == manifest.triples
    assert isomorphic(graph, default_graph(original))

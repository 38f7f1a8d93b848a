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


#: Terms a dump must carry unchanged: escapes, a language tag, a typed literal, blank nodes
#: shared between graphs, a triple term, and the default graph besides named graphs.
CRAFTED = r"""<http://e/s> <http://e/p> "line\nbreak\t\"quoted\" 100 % \u00e9 \U0001F600" <http://e/g1> .
_:b1 <http://e/p> "chat"@fr <http://e/g1> .
_:b1 <http://e/q> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://e/s> <http://e/p> _:b2 .
_:b2 <http://e/r> <http://e/o> <http://e/g2> .
_:b2 <http://e/r> <<( <http://e/s> <http://e/p> "x" )>> <http://e/g2> .
<http://e/s> <http://e/p> "line\nbreak\t\"quoted\" 100 % \u00e9 \U0001F600" .
"""


def _crafted_store() -> KGStore:
    store = KGStore.in_memory()
    store.load_rdf(CRAFTED.encode("utf-8"), "nquads")
    return store


@pytest.mark.parametrize("which", ["seeds", "crafted"])
def test_every_dump_file_is_what_the_store_dumps_in_its_format(
    which: str, original: KGStore, tmp_path: Path
) -> None:
    """The TriG and Turtle files are made from the N-Quads file, not read from the store
    again: each must still hold, byte for byte, what the store itself dumps in its format."""
    store = original if which == "seeds" else _crafted_store()
    manifest = kgdumps.generate_dumps(store, tmp_path, generation="g1")
    assert [f.filename for f in manifest.files] == [f.filename for f in kgdumps.DUMP_FORMATS]
    for fmt in kgdumps.DUMP_FORMATS:
        direct = io.BytesIO()
        store.dump(direct, fmt.store_format)
        written = gzip.decompress((tmp_path / "g1" / fmt.filename).read_bytes())
        assert written == direct.getvalue(), fmt.filename
        assert written  # every format holds something of both stores


def test_a_damaged_n_quads_file_is_a_store_error_and_leaves_no_generation(tmp_path: Path) -> None:
    """The other files are made from the N-Quads file: if it cannot be read back, the dumps
    fail with a StoreError (a clear message from kg export), not a traceback."""
    from kg.errors import StoreError

    class Damaged:
        generation = "g1"

        def count_quads(self) -> int:
            return 1

        def query(self, sparql: str) -> list[dict[str, object]]:
            return [{"n": type("Count", (), {"value": "1"})()}]

        def dump(self, output: io.BufferedIOBase, fmt: str) -> None:
            output.write(b"<http://e/s> <http://e/p> this is not N-Quads .\n")

    with pytest.raises(StoreError, match="from their N-Quads"):
        kgdumps.generate_dumps(Damaged(), tmp_path)  # type: ignore[arg-type]
    assert kgdumps.read_manifest(tmp_path) is None
    assert not [p for p in tmp_path.iterdir() if p.name != kgdumps.LOCK]

"""How ingest hands new graphs to the bulk loader: UTF-8 from the workers, each union triple
once per batch, and the same store as one graph per load."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.pipeline import ingest as ingest_module
from kg.pipeline.ingest import _Batched, _union_once, _with_union_copy, ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore, graph_with_union_copy
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"
A = "http://kg.test/graph/a"
B = "http://kg.test/graph/b"


def line(s: str, o: str) -> str:
    return f'<http://kg.test/{s}> <http://kg.test/p> "{o}" .\n'


def batched(graph: str, lines: list[str]) -> _Batched:
    nquads, triples_at = _with_union_copy(lines, graph)
    return _Batched(graph, graph, nquads, 2 * len(lines), triples_at)


def test_a_graph_crosses_as_utf8_with_the_byte_offset_of_its_union_copy() -> None:
    """Non-ASCII text: the offset counts bytes (a character offset would cut a line)."""
    lines = [line("é", "Zoë Ångström"), line("s", "plain"), line("ß", "日本語")]
    nquads, triples_at = _with_union_copy(lines, A)
    assert isinstance(nquads, bytes)
    assert nquads[triples_at:].decode("utf-8") == "".join(lines)
    assert nquads[:triples_at].decode("utf-8") == "".join(
        list(graph_with_union_copy(lines, A))[: len(lines)]
    )


def test_a_triple_two_graphs_state_is_in_the_batch_s_union_copy_once() -> None:
    shared, only_a, only_b = line("shared", "x"), line("a", "é"), line("b", "y")
    texts = _union_once([batched(A, [shared, only_a]), batched(B, [only_b, shared])])
    quads = [q for q in ox.parse(b"".join(texts), ox.RdfFormat.N_QUADS)]
    default = [q for q in quads if isinstance(q.graph_name, ox.DefaultGraph)]
    assert len(default) == 3 and len({str(q) for q in default}) == 3
    # Each named graph keeps all its statements.
    assert sum(1 for q in quads if q.graph_name == ox.NamedNode(A)) == 2
    assert sum(1 for q in quads if q.graph_name == ox.NamedNode(B)) == 2
    # A graph alone (a refused batch is loaded again graph by graph) keeps all its copies.
    alone = b"".join(_union_once([batched(B, [only_b, shared])]))
    assert alone == _with_union_copy([only_b, shared], B)[0]


def _stored(folder: Path) -> list[str]:
    store = KGStore.open_readonly(folder)
    try:
        return sorted(
            str(q)
            for q in store.quads()
            if "generatedAtTime" not in q.predicate.value and "endedAtTime" not in q.predicate.value
        )
    finally:
        store.close()


def _ingest(folder: Path, profiles: Path) -> None:
    store = KGStore.open_writable(folder)
    try:
        ingest([profiles], store, scheme=SCHEME, as_of=SEED_AS_OF, workers=2, progress=False)
    finally:
        store.close()


def test_one_batch_of_pages_sharing_papers_loads_each_union_triple_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader is given each default-graph triple of a batch once, and the store is the
    one that loading each graph alone (with all its copies) gives."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    examples = sorted(EXAMPLES.glob("*.txt"))
    for index in range(ingest_module.PARALLEL_THRESHOLD + 6):  # the same pages many times
        source = examples[index % len(examples)]
        (profiles / f"{index:03d}-{source.name}").write_bytes(source.read_bytes())
    loaded: list[bytes] = []
    original = KGStore.load_new_graphs

    def kept(self: KGStore, nquads: list[bytes], **options: object) -> None:
        text = b"".join(nquads)
        loaded.append(text)
        original(self, [text], **options)  # type: ignore[arg-type]

    monkeypatch.setattr(KGStore, "load_new_graphs", kept)
    _ingest(tmp_path / "batched", profiles)
    assert len(loaded) == 1  # one batch: every graph of this ingest
    default = [
        q
        for q in ox.parse(loaded[0], ox.RdfFormat.N_QUADS)
        if isinstance(q.graph_name, ox.DefaultGraph)
    ]
    assert len(default) == len({str(q) for q in default})

    monkeypatch.setattr(ingest_module, "BULK_BATCH_BYTES", 1)  # one graph per load
    _ingest(tmp_path / "alone", profiles)
    assert len(loaded) == 1 + ingest_module.PARALLEL_THRESHOLD + 6
    assert _stored(tmp_path / "batched") == _stored(tmp_path / "alone")


def test_a_failed_load_shuts_the_worker_pool_down_before_ingest_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not left to the garbage collector: while the error (and so the ingest's frame) is held,
    no worker process is left."""
    import multiprocessing

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    examples = sorted(EXAMPLES.glob("*.txt"))
    for index in range(ingest_module.PARALLEL_THRESHOLD * 2):
        source = examples[index % len(examples)]
        (profiles / f"{index:03d}-{source.name}").write_bytes(source.read_bytes())

    def broken(self: KGStore, nquads: object, **options: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(KGStore, "load_new_graphs", broken)
    monkeypatch.setattr(ingest_module, "BULK_BATCH_BYTES", 1)
    # Other tests of the session may keep processes of their own (a query pool's workers).
    before = set(multiprocessing.active_children())
    with pytest.raises(OSError, match="disk full") as raised:
        _ingest(tmp_path / "store", profiles)
    assert raised.traceback  # the frames stay referenced
    assert set(multiprocessing.active_children()) - before == set()

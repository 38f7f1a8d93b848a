"""A server with SPARQL Update enabled opens the store for writing when it starts.

It publishes what a writer killed before its publish left (the data is whole), and nothing
else: a restart that published a new checkpoint gave every harvester new ETags, and the
whole-graph reports precomputed for the published checkpoint no longer matched it, so
they ran live (an hour of queries at a million papers).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kg.store.embedded import KGStore, published_generation
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI
from tests.server.conftest import close_app

GRAPH = "http://example.org/graph/left-unpublished"


def _start_and_stop(store: Path) -> None:
    from kg_server.app import create_app

    reader = KGStore.open_readonly(store)
    try:
        app = create_app(
            {
                "store": str(store),
                "base_iri": TEST_BASE_IRI,
                "allow_update": True,
                "backend": LocalBackend(reader),
            }
        )
        close_app(app)
    finally:
        reader.close()


def test_a_restart_keeps_the_published_checkpoint(seed_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    published = published_generation(store)
    assert published is not None
    _start_and_stop(store)
    _start_and_stop(store)
    assert published_generation(store) == published


def test_a_start_publishes_the_writes_a_killed_writer_left(
    seed_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    published = published_generation(store)
    writer = KGStore.open_writable(store)
    writer.load_new_graphs([f'<http://example.org/s> <http://example.org/p> "o" <{GRAPH}> .\n'])
    writer.close()  # as if killed: never published
    assert published_generation(store) == published
    _start_and_stop(store)
    assert published_generation(store) != published
    reader = KGStore.open_readonly(store)
    try:
        assert GRAPH in reader.named_graphs()
    finally:
        reader.close()

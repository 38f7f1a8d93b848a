"""The ingest shows the graphs it writes to the search index's observer line by line.

The identity graph of 1M papers is about 5M lines (1 GB of text): it was joined into one
string for the observer after it had been streamed into the store in bounded pieces. Now
the observer takes the lines as they are read from pass 1's file, and keeps what it kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sized
from pathlib import Path
from typing import Any, cast

import pytest

from kg.pipeline import identity as identity_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.search.documents import TYPES
from kg.search.graph import RDF_TYPE, GraphReader
from kg.search.ingested import KEPT, IngestedGraphs
from kg.store.embedded import KGStore
from kg.tools.generate import generate
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)


class Recording(IngestedGraphs):
    """An observer that notes what kind of thing each graph came as."""

    def __init__(self, folder: Path | None = None, *, base: str | None = None) -> None:
        super().__init__(folder, base=base)
        self.given: dict[str, type] = {}
        self.sized: dict[str, bool] = {}

    def graph(self, graph: str, lines: Iterable[str]) -> None:
        self.given[graph] = type(lines)
        self.sized[graph] = isinstance(lines, Sized)
        super().graph(graph, lines)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(200, root, seed=5)
    return root / "profiles"


def _observe(folder: Path, profiles: Path, observer: Recording) -> Recording:
    store = KGStore.open_writable(folder)
    try:
        report = ingest(
            [profiles],
            store,
            scheme=SCHEME,
            as_of=SEED_AS_OF,
            progress=False,
            resolution=IdentityResolution(),
            observer=observer,
        )
        assert report.ok
    finally:
        store.close()
    return observer


def _kept(observer: IngestedGraphs) -> dict[str, Any]:
    """What an observer put aside, as plain comparable data (read back through its reader;
    the predicates it keeps are never asked of the base reader)."""
    reader = observer.reader(observer.seen, cast(GraphReader, None))
    assert reader is not None, observer.broken
    return {
        "statements": {
            p: {
                s: sorted(
                    (type(o).__name__, o.value, str(getattr(o, "datatype", None))) for o in os
                )
                for s, os in reader.scan(p).items()
            }
            for p in KEPT
        },
        "types": {
            kind: sorted(s for s, _ in reader.pairs(RDF_TYPE, objects=[kind]))
            for kind in TYPES.values()
        },
        "mentions": reader.mentions(TYPES.values()),
    }


def test_the_identity_graph_reaches_the_observer_as_a_stream_of_lines(
    tmp_path: Path,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    observers: Callable[..., IngestedGraphs],
) -> None:
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 10**9)
    here = _observe(tmp_path / "local", corpus, cast(Recording, observers(Recording)))
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    apart = _observe(tmp_path / "separate", corpus, cast(Recording, observers(Recording)))
    identity = SCHEME.identity_graph()
    for observer in (here, apart):
        assert observer.broken is None
        assert identity in observer.seen
        # Never one text (the old protocol joined the graph's lines into a string).
        assert not any(issubclass(kind, str | bytes) for kind in observer.given.values())
    # From pass 1's file: read as taken, never a list of the whole graph.
    assert not apart.sized[identity], apart.given[identity]
    assert _kept(apart) == _kept(here)
    # There is something to compare (the identity graph types no searchable entity).
    kept = _kept(here)
    assert any(kept["statements"].values()) and all(kept["types"].values())
    assert identity in kept["mentions"]


def test_lines_with_or_without_their_newline_keep_the_same(
    observers: Callable[..., IngestedGraphs],
) -> None:
    paper = "http://example.org/paper/1"
    lines = [
        f"<{paper}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/ScholarlyArticle> .\n",
        f'<{paper}> <http://purl.org/dc/terms/title> "A title" .\n',
        f"<{paper}> <http://purl.org/dc/terms/subject> <http://example.org/s> .\n",
    ]  # fmt: skip
    ended, split, streamed = observers(), observers(), observers()
    ended.graph("http://example.org/g", lines)
    split.graph("http://example.org/g", "".join(lines).split("\n"))
    streamed.graph("http://example.org/g", iter(lines))
    assert ended.broken is None
    assert _kept(ended) == _kept(split) == _kept(streamed)
    assert _kept(ended)["mentions"] == {"http://example.org/g": {paper}}

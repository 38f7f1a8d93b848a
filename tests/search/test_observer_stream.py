"""The ingest shows the graphs it writes to the search index's observer line by line.

The identity graph of 1M papers is about 5M lines (1 GB of text): it was joined into one
string for the observer after it had been streamed into the store in bounded pieces. Now
the observer takes the lines as they are read from pass 1's file, and keeps what it kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from pathlib import Path
from typing import Any

import pytest

from kg.pipeline import identity as identity_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.search.memory import IngestedGraphs
from kg.store.embedded import KGStore
from kg.tools.generate import generate
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)


class Recording(IngestedGraphs):
    """An observer that notes what kind of thing each graph came as."""

    def __init__(self) -> None:
        super().__init__()
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


def _observe(folder: Path, profiles: Path) -> Recording:
    observer = Recording()
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
    """What an observer keeps, as plain comparable data."""
    return {
        "literals": {
            p: {s: sorted((v.value, str(v.datatype)) for v in vs) for s, vs in d.items()}
            for p, d in observer.literals.items()
        },
        "links": {p: {s: sorted(o) for s, o in d.items()} for p, d in observer.links.items()},
        "types": observer.types,
        "mentions": observer.mentions,
    }


def test_the_identity_graph_reaches_the_observer_as_a_stream_of_lines(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 10**9)
    here = _observe(tmp_path / "local", corpus)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    apart = _observe(tmp_path / "separate", corpus)
    identity = SCHEME.identity_graph()
    for observer in (here, apart):
        assert observer.broken is None
        assert identity in observer.mentions
        # Never one text (the old protocol joined the graph's lines into a string).
        assert not any(issubclass(kind, str | bytes) for kind in observer.given.values())
    # From pass 1's file: read as taken, never a list of the whole graph.
    assert not apart.sized[identity], apart.given[identity]
    assert _kept(apart) == _kept(here)
    assert any(_kept(here)["links"].values())  # there is something to compare


def test_lines_with_or_without_their_newline_keep_the_same() -> None:
    paper = "http://example.org/paper/1"
    lines = [
        f"<{paper}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/ScholarlyArticle> .\n",
        f'<{paper}> <http://purl.org/dc/terms/title> "A title" .\n',
        f"<{paper}> <http://purl.org/dc/terms/subject> <http://example.org/s> .\n",
    ]  # fmt: skip
    ended, split, streamed = IngestedGraphs(), IngestedGraphs(), IngestedGraphs()
    ended.graph("http://example.org/g", lines)
    split.graph("http://example.org/g", "".join(lines).split("\n"))
    streamed.graph("http://example.org/g", iter(lines))
    assert ended.broken is None
    assert _kept(ended) == _kept(split) == _kept(streamed)
    assert _kept(ended)["mentions"] == {"http://example.org/g": {paper}}

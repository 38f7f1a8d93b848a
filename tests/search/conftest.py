"""Fixtures of the search stage's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kg.search.ingested import IngestedGraphs
from tests.conftest import TEST_BASE_IRI


@pytest.fixture()
def observers(tmp_path: Path) -> Iterator[Callable[..., IngestedGraphs]]:
    """Makes ingest observers (``kind``: a subclass) whose scratch databases go in the
    test's folder, and closes them when the test ends."""
    made: list[IngestedGraphs] = []

    def make(kind: type[IngestedGraphs] = IngestedGraphs) -> IngestedGraphs:
        # The tests' base, as kg ingest gives its own: the IRIs under it are stored short.
        observer = kind(tmp_path / f"observer-{len(made)}", base=TEST_BASE_IRI)
        made.append(observer)
        return observer

    yield make
    for observer in made:
        observer.close()

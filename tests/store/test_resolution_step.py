"""Ingest with a resolution step (kg.pipeline.steps.ResolutionStep): its three calls come in
order, its keys reach the mapping in this process and in worker processes, and its
remap makes ingest map unchanged sources again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.identity.records import MentionKeys
from kg.pipeline import ingest as ingest_module
from kg.pipeline.ingest import ingest
from kg.pipeline.limits import FileLimits
from kg.pipeline.steps import FileToRead, GraphObserver, IdentityPlan, ResolutionStep
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"


class RenamingStep:
    """A resolution step that makes "Ada Lindqvist" one author with "Ada Q. Lindqvist"."""

    def __init__(self, remap: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.remap = remap

    def prepare(
        self,
        store: KGStore,
        scheme: IriScheme,
        works: Sequence[FileToRead],
        *,
        as_of: date,
        workers: int = 1,
        prune: bool = False,
        limits: FileLimits | None = None,
        kept: Collection[str] = (),
    ) -> IdentityPlan:
        self.calls.append("prepare")
        keys = MentionKeys({"ada lindqvist": "ada q lindqvist"}, {}, {})
        return IdentityPlan(keys=keys, remap=self.remap)

    def render(self, scheme: IriScheme) -> None:
        self.calls.append("render")

    def publish(
        self, store: KGStore, scheme: IriScheme, observer: GraphObserver | None = None
    ) -> None:
        self.calls.append("publish")


def _mentioned(store: KGStore, key: str) -> bool:
    """Is the author with this key the object of some statement in a source graph?"""
    author = ox.NamedNode(SCHEME.author_from_key(key))
    return bool(store.query("ASK { GRAPH ?g { ?s ?p ?a } }", substitutions={"a": author}))


def _profiles(folder: Path, count: int) -> Path:
    folder.mkdir()
    examples = sorted(EXAMPLES.glob("*.txt"))
    for index in range(count):
        source = examples[index % len(examples)]
        (folder / f"{index:03d}-{source.name}").write_bytes(source.read_bytes())
    return folder


@pytest.mark.parametrize(
    "workers",
    [pytest.param(1, id="in-process"), pytest.param(2, id="worker-processes")],
)
def test_the_steps_keys_decide_identity(tmp_path: Path, workers: int) -> None:
    profiles = _profiles(tmp_path / "profiles", ingest_module.PARALLEL_THRESHOLD + 2)
    step = RenamingStep()
    store = KGStore.open_writable(tmp_path / "store")
    try:
        report = ingest(
            [profiles],
            store,
            scheme=SCHEME,
            as_of=SEED_AS_OF,
            workers=workers,
            progress=False,
            resolution=step,
        )
        assert report.count("added") == ingest_module.PARALLEL_THRESHOLD + 2
        assert step.calls == ["prepare", "render", "publish"]
        assert _mentioned(store, "ada q lindqvist")
        assert not _mentioned(store, "ada lindqvist")
    finally:
        store.close()


def test_the_steps_remap_maps_unchanged_sources_again(tmp_path: Path) -> None:
    profiles = _profiles(tmp_path / "profiles", 3)
    store = KGStore.open_writable(tmp_path / "store")
    try:
        ingest([profiles], store, scheme=SCHEME, as_of=SEED_AS_OF, progress=False)
        first = sorted(p.name for p in profiles.iterdir())[0]
        step: ResolutionStep = RenamingStep(remap=frozenset({first}))
        report = ingest(
            [profiles], store, scheme=SCHEME, as_of=SEED_AS_OF, progress=False, resolution=step
        )
        assert {o.source: o.status for o in report.outcomes} == {
            name: "replaced" if name == first else "unchanged"
            for name in sorted(p.name for p in profiles.iterdir())
        }
    finally:
        store.close()

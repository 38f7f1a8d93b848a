"""One file's bad graph never costs the other files of the run (issue 15 item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kg.pipeline.ingest as ingest_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import IngestReport, ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
SEED_CODE_SENTENCE = "Our code is available at https://github.com/NKU-LITI/TARPO-master."


def run(store_folder: Path, folder: Path) -> IngestReport:
    store = KGStore.open_writable(store_folder)
    try:
        return ingest(
            [folder],
            store,
            scheme=SCHEME,
            as_of=SEED_AS_OF,
            progress=False,
            resolution=IdentityResolution(),
        )
    finally:
        store.close()


def stored(store_folder: Path) -> dict[str, str]:
    store = KGStore.open_readonly(store_folder)
    return {state.source: state.sha256 for state in store.sources().values()}


@pytest.fixture()
def profiles(tmp_path: Path, seeds_dir: Path) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(seeds_dir, folder)
    return folder


def test_a_url_with_a_bare_percent_in_an_abstract_is_stored_with_the_rest(
    profiles: Path, tmp_path: Path
) -> None:
    seed = (profiles / "000_ac1c864ae2d95ddb.txt").read_text(encoding="utf-8")
    assert SEED_CODE_SENTENCE in seed
    (profiles / "005_percent.txt").write_text(
        seed.replace(SEED_CODE_SENTENCE, "See https://example.org/acc=95% here."),
        encoding="utf-8",
    )
    report = run(tmp_path / "store", profiles)
    assert report.ok, report.summary()
    assert report.count("added") == 6
    assert len(stored(tmp_path / "store")) == 6
    store = KGStore.open_readonly(tmp_path / "store")
    link = "https://example.org/acc=95%25"  # kept, escaped, not dropped
    assert bool(
        store.query(f"ASK {{ ?paper <http://www.w3.org/2000/01/rdf-schema#seeAlso> <{link}> }}")
    )


def test_a_graph_the_store_refuses_fails_alone(
    profiles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a graph the mapping got wrong: the store refuses it, the others are stored,
    in a first run (one bulk load for all) and in a second run (a replacement and a new file)."""
    poisoned = {"bad.txt"}
    real = ingest_module.profile_ntriples

    def poisoning(profile, scheme, **options):  # type: ignore[no-untyped-def]
        lines = real(profile, scheme, **options)
        if profile.source in poisoned:
            lines.append("<http://x/%zz> <http://e/p> <http://e/o> .\n")
        return lines

    monkeypatch.setattr(ingest_module, "profile_ntriples", poisoning)
    seed = (profiles / "000_ac1c864ae2d95ddb.txt").read_text(encoding="utf-8")
    (profiles / "bad.txt").write_text(seed.replace("Xuyang", "Xuyan"), encoding="utf-8")
    store_folder = tmp_path / "store"

    first = run(store_folder, profiles)
    assert not first.ok
    assert {o.source for o in first.outcomes if o.status == "failed"} == {"bad.txt"}
    failure = next(o for o in first.outcomes if o.source == "bad.txt").failures[-1]
    assert "refused" in failure.reason and "%zz" in failure.reason
    before = stored(store_folder)
    assert set(before) == {p.name for p in profiles.iterdir()} - {"bad.txt"}

    # Second run: an edited seed whose graph is refused, and a good new file.
    edited = profiles / "001_567876b7f542bf29.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    poisoned.add(edited.name)
    (profiles / "new.txt").write_text(seed.replace("Xuyang", "Xuyong"), encoding="utf-8")
    second = run(store_folder, profiles)
    failed = {o.source for o in second.outcomes if o.status == "failed"}
    assert failed == {"bad.txt", edited.name}
    after = stored(store_folder)
    assert after[edited.name] == before[edited.name]  # the stored version is kept
    assert "new.txt" in after

"""Dumps: kg/dumps.py (generation) and server/dumps.py (/dumps, regeneration, downloads)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph

from kg.store import dumps as kgdumps
from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI, ingest_into
from tests.server.test_linked_data import BROWSER_ACCEPT, FIXTURE_PROFILE, rapper_count

FILENAMES = [f.filename for f in kgdumps.DUMP_FORMATS]


def fetch(client: FlaskClient, path: str, **options: Any) -> Any:
    """GET a file response, read it whole and close it (send_file keeps the file open until then)."""
    response = client.get(path, **options)
    response.get_data()
    response.close()
    return response


def sorted_nquads(store: KGStore) -> list[str]:
    """The store's quads as sorted N-Quads lines (pyoxigraph writes canonical N-Quads)."""
    import io

    out = io.BytesIO()
    store.dump(out, "nquads")
    return sorted(line for line in out.getvalue().decode("utf-8").splitlines() if line)


@pytest.fixture(scope="module")
def listing(client_module: FlaskClient) -> dict[str, Any]:
    response = client_module.get("/dumps", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.data[:500]
    return response.get_json(force=True)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def dumps_app(make_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The seed store served in-process, its dumps in a folder of its own (the seed
    store's folder is read, never written)."""
    return make_app(local=True, dumps_dir=str(tmp_path_factory.mktemp("seed-dumps")))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def client_module(dumps_app: Flask) -> FlaskClient:
    return dumps_app.test_client()


@pytest.fixture(scope="module")
def downloads(client_module: FlaskClient, listing: dict[str, Any]) -> dict[str, bytes]:
    """filename -> the downloaded (compressed) bytes."""
    out = {}
    for entry in listing["dumps"]:
        response = fetch(client_module, entry["path"])
        assert response.status_code == 200
        out[entry["filename"]] = response.data
    return out


# --- the listing ----------------------------------------------------------------------------------


def test_listing_names_every_dump_with_size_count_hash_and_date(
    listing: dict[str, Any], seed_store: Path
) -> None:
    store = KGStore.open_readonly(seed_store)
    assert listing["generation"] == store.generation
    assert listing["stale"] is False
    assert listing["quads"] == store.count_quads()
    assert [e["filename"] for e in listing["dumps"]] == FILENAMES
    for entry in listing["dumps"]:
        assert entry["media_type"] == "application/gzip"
        assert entry["url"] == TEST_BASE_IRI + "dumps/" + entry["filename"]
        assert entry["size"] > 0 and len(entry["sha256"]) == 64
        assert entry["generated"] == listing["generated"]
        expected = listing["quads"] if entry["count_of"] == "quads" else listing["triples"]
        assert entry["statements"] == expected
    assert {e["content_type"] for e in listing["dumps"]} == {
        "application/n-quads",
        "application/trig",
        "text/turtle",
    }
    assert listing["license"].startswith("https://")


def test_listing_for_a_browser_and_by_extension(
    client_module: FlaskClient, listing: dict[str, Any]
) -> None:
    page = client_module.get("/dumps", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    for entry in listing["dumps"]:
        assert f'href="{entry["path"]}"' in text
        assert entry["sha256"] in text
    assert page.headers["Vary"] == "Accept"
    as_json = client_module.get("/dumps.json", headers={"Accept": "text/html"})
    assert as_json.mimetype == "application/json"
    assert as_json.get_json(force=True)["generation"] == listing["generation"]
    assert client_module.get("/dumps.html").mimetype == "text/html"


# --- the files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", FILENAMES)
def test_download_headers_size_and_hash(
    client_module: FlaskClient, listing: dict[str, Any], downloads: dict[str, bytes], filename: str
) -> None:
    entry = next(e for e in listing["dumps"] if e["filename"] == filename)
    response = fetch(client_module, entry["path"])
    assert response.mimetype == "application/gzip"
    assert "Content-Encoding" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith("." + filename.split(".", 1)[1])
    data = downloads[filename]
    assert len(data) == entry["size"] == int(response.headers["Content-Length"])
    digest = hashlib.sha256(data).digest()
    assert digest.hex() == entry["sha256"]
    assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert response.headers["X-Dump-Content-Type"] == entry["content_type"]
    again = fetch(client_module, entry["path"], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    part = fetch(client_module, entry["path"], headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == data[:10]


def test_nquads_dump_reloads_into_a_fresh_store_with_the_same_quads(
    downloads: dict[str, bytes], seed_store: Path
) -> None:
    fresh = KGStore.in_memory()
    fresh.load_rdf(gzip.decompress(downloads["kg.nq.gz"]), "nquads")
    original = KGStore.open_readonly(seed_store)
    assert sorted_nquads(fresh) == sorted_nquads(original)
    assert fresh.named_graphs() == original.named_graphs()


def test_every_dump_parses_with_rdflib_and_rapper(
    downloads: dict[str, bytes], listing: dict[str, Any]
) -> None:
    nquads = gzip.decompress(downloads["kg.nq.gz"])
    trig = gzip.decompress(downloads["kg.trig.gz"])
    turtle = gzip.decompress(downloads["kg.ttl.gz"])
    for data, fmt in ((nquads, "nquads"), (trig, "trig")):
        dataset = Dataset()
        dataset.parse(data=data, format=fmt)
        assert len(list(dataset.quads((None, None, None, None)))) == listing["quads"]
    graph = Graph()
    graph.parse(data=turtle, format="turtle")
    assert len(graph) == listing["triples"]
    assert rapper_count(nquads, "nquads") == listing["quads"]
    assert rapper_count(trig, "trig") == listing["quads"]
    assert rapper_count(turtle, "turtle") == listing["triples"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/dumps/kg.nq", id="not-a-registered-name"),
        pytest.param("/dumps/manifest.json", id="manifest"),
        pytest.param("/dumps/..%2Fpublished", id="traversal"),
        pytest.param("/dumps/current", id="pointer"),
    ],
)
def test_only_registered_files_are_served(client_module: FlaskClient, path: str) -> None:
    response = client_module.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# --- generation: atomic, reused, regenerated ----------------------------------------------------


def test_generate_dumps_is_atomic_and_reuses_a_generation(tmp_path: Path, seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    first = kgdumps.generate_dumps(store, tmp_path)
    assert (tmp_path / "current").read_text().strip() == store.generation
    assert sorted(p.name for p in (tmp_path / first.generation).iterdir()) == sorted(
        [*FILENAMES, "manifest.json"]
    )
    stamp = (tmp_path / first.generation / "kg.nq.gz").stat().st_mtime_ns
    second = kgdumps.generate_dumps(store, tmp_path)
    assert second == first
    assert (tmp_path / first.generation / "kg.nq.gz").stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert kgdumps.read_manifest(tmp_path) == first


def test_same_data_gives_the_same_bytes(tmp_path: Path, seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    a = kgdumps.generate_dumps(store, tmp_path / "a")
    b = kgdumps.generate_dumps(store, tmp_path / "b")
    assert [f.sha256 for f in a.files] == [f.sha256 for f in b.files]


def test_old_generations_are_removed(tmp_path: Path, seed_store: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    for name in ("1", "2", "3", "4"):
        kgdumps.generate_dumps(store, tmp_path, generation=name)
    kept = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert kept == ["3", "4"]
    assert kgdumps.read_manifest(tmp_path).generation == "4"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["../x", ".hidden", "a/b", "", "x" * 80])
def test_unsafe_generation_names_are_refused(tmp_path: Path, name: str) -> None:
    from kg.errors import StoreError

    with pytest.raises(StoreError):
        kgdumps.generate_dumps(KGStore.in_memory(), tmp_path, generation=name)


def test_a_missing_or_broken_manifest_means_no_dumps(tmp_path: Path) -> None:
    assert kgdumps.read_manifest(tmp_path) is None
    (tmp_path / "current").write_text("7\n")
    assert kgdumps.read_manifest(tmp_path) is None
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "manifest.json").write_text("{not json")
    assert kgdumps.read_manifest(tmp_path) is None


@pytest.fixture()
def changing_store(tmp_path: Path, seed_store: Path) -> Iterator[tuple[Path, Flask]]:
    """A copy of the seed store served by its own application (worker pool), dumps not made yet."""
    from kg_server.app import create_app

    folder = tmp_path / "store"
    shutil.copytree(seed_store, folder, ignore=shutil.ignore_patterns("dumps"))
    app = create_app(
        {
            "store": str(folder),
            "base_iri": TEST_BASE_IRI,
            "query_timeout": 10,
            "query_workers": 1,
            "dumps_dir": str(tmp_path / "dumps"),
            "dump_wait": 0,
        }
    )
    app.config["TESTING"] = True
    yield folder, app
    app.extensions["kg"].backend.close()


def _wait_for_dumps(client: FlaskClient, generation: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get("/dumps.json")
        if response.status_code == 200:
            data: dict[str, Any] = response.get_json(force=True)
            if data["generation"] == generation and not data["stale"]:
                return data
        else:
            assert response.status_code == 503
            assert response.headers["Retry-After"]
        time.sleep(0.2)
    raise AssertionError(f"dumps of generation {generation} did not appear within {seconds} s")


def test_dumps_follow_the_store_without_blocking(
    changing_store: tuple[Path, Flask], tmp_path: Path
) -> None:
    folder, app = changing_store
    client = app.test_client()
    # Nothing yet and no waiting allowed: a prompt 503, and the build starts in the background.
    first = client.get("/dumps.json")
    assert first.status_code in (200, 503)
    if first.status_code == 503:
        assert first.mimetype == "application/problem+json"
        assert first.headers["Retry-After"] == "5"
    before = _wait_for_dumps(client, KGStore.open_readonly(folder).generation or "")
    # A new ingest publishes a new checkpoint: the next request sees the old files as stale
    # and starts a new build; soon the new files replace them.
    sources = tmp_path / "more"
    sources.mkdir()
    (sources / "900_more.txt").write_text(FIXTURE_PROFILE, encoding="utf-8")
    ingest_into(folder, sources)
    new_generation = KGStore.open_readonly(folder).generation or ""
    assert new_generation != before["generation"]
    time.sleep(0.3)  # the backend re-reads the published pointer at most four times a second
    stale = client.get("/dumps.json")
    if stale.status_code == 200 and stale.get_json(force=True)["generation"] != new_generation:
        assert stale.get_json(force=True)["stale"] is True
        assert fetch(client, "/dumps/kg.nq.gz").headers["X-Dump-Stale"] == "true"
    after = _wait_for_dumps(client, new_generation)
    assert after["quads"] > before["quads"]
    fresh = KGStore.in_memory()
    fresh.load_rdf(gzip.decompress(fetch(client, "/dumps/kg.nq.gz").data), "nquads")
    assert sorted_nquads(fresh) == sorted_nquads(KGStore.open_readonly(folder))


def test_kg_export_writes_the_same_files(
    tmp_path: Path, seed_store: Path, listing: dict[str, Any]
) -> None:
    from kg.cli import main

    target = tmp_path / "exported"
    result = CliRunner().invoke(
        main, ["export", "--store", str(seed_store), "--dumps", str(target)]
    )
    assert result.exit_code == 0, result.output
    manifest = kgdumps.read_manifest(target)
    assert manifest is not None
    assert manifest.generation == listing["generation"]
    assert [f.sha256 for f in manifest.files] == [e["sha256"] for e in listing["dumps"]]
    for written in manifest.files:
        path = target / manifest.generation / written.filename
        assert path.stat().st_size == written.size
    data = json.loads((target / manifest.generation / "manifest.json").read_text())
    assert data["quads"] == listing["quads"]
    assert not [p for p in os.listdir(target) if p.startswith(".tmp-")]

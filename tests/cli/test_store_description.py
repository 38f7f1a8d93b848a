"""A store describes itself: the base IRI of `kg ingest` is used by every later command
(issue 14 item 3), and relative store folders work in a server (item 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask

from kg.cli import main
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.server.conftest import close_app

BASE = "https://kg.example.org/"
AUTHOR = "Weiran Huang"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KG_BASE_IRI", "KG_STORE", "KG_DUMPS_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("described") / "store"
    result = run(
        "ingest", str(seeds_dir), "--store", str(folder), "--base-iri", BASE,
        "--as-of", "2026-11-21", "--no-precompute", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def _app(store: str, **config: Any) -> Flask:
    from kg_server.app import create_app

    backend = LocalBackend(KGStore.open_readonly(store))
    app = create_app({"store": store, "backend": backend, "warm_reports": False, **config})
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def app(store: Path) -> Iterator[Flask]:
    application = _app(str(store))  # no base IRI: the store's own
    yield application
    close_app(application)


def test_ingest_records_the_base_iri(store: Path) -> None:
    assert json.loads((store / "store.json").read_text())["base_iri"] == BASE


def test_server_without_base_iri_serves_the_entities_minted_under_it(app: Flask) -> None:
    assert app.extensions["kg"].scheme.base == BASE
    client = app.test_client()
    found = client.get(
        "/reports/author-papers",
        query_string={"author": AUTHOR},
        headers={"Accept": "application/json"},
    )
    assert found.status_code == 200, found.data[:300]
    rows = found.get_json()["rows"]
    assert rows, "a report by name found no rows"
    paper = rows[0]["paper"]
    author = found.get_json()["parameters"]["author"]
    author = author["value"] if isinstance(author, dict) else author
    for iri in (paper, author):
        assert iri.startswith(BASE)
        page = client.get(urlsplit(iri).path, headers={"Accept": "text/turtle"})
        assert page.status_code == 200, (iri, page.status_code)


def test_cli_commands_use_the_recorded_base(store: Path) -> None:
    report = run("report", "author-papers", "--store", str(store), "--param", f"author={AUTHOR}",
                 "--format", "json")  # fmt: skip
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["rows"]
    resolve = run("resolve", "--store", str(store), "--format", "json", "--report")
    assert resolve.exit_code == 0, resolve.output
    assert all(
        r["iri"].startswith(BASE)
        for d in json.loads(resolve.stdout)["decisions"]
        for r in d["resources"]
    )
    stats = run("stats", "--store", str(store))
    assert stats.exit_code == 0, stats.output


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["report", "author-papers", "--param", f"author={AUTHOR}"], id="report"),
        pytest.param(["resolve"], id="resolve"),
        pytest.param(["stats"], id="stats"),
        pytest.param(["query", "ASK {}"], id="query"),
        pytest.param(["export", "--format", "ntriples"], id="export"),
        pytest.param(["precompute"], id="precompute"),
    ],
)
def test_a_different_explicit_base_is_refused_naming_both(store: Path, command: list[str]) -> None:
    result = run(*command, "--store", str(store), "--base-iri", "http://other.example/")
    assert result.exit_code == 2
    assert BASE in result.stderr and "http://other.example/" in result.stderr
    assert "Traceback" not in result.output


def test_server_with_a_different_explicit_base_is_refused(store: Path) -> None:
    from kg.errors import StoreError

    with pytest.raises(StoreError, match=r"kg\.example\.org.*other\.example"):
        _app(str(store), base_iri="http://other.example/")


def test_ingest_with_another_base_into_the_store_is_refused(
    store: Path, seed_files: dict[str, Path]
) -> None:
    result = run("ingest", str(seed_files["000"]), "--store", str(store),
                 "--base-iri", "http://other.example/", "--no-precompute")  # fmt: skip
    assert result.exit_code == 2 and BASE in result.stderr


def test_dumps_of_a_relative_store_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_files: dict[str, Path]
) -> None:
    """`kg serve --store data/store` from the store's parent folder: every dump downloads
    (send_file resolved the relative path against the package folder: 500)."""
    monkeypatch.chdir(tmp_path)
    result = run("ingest", str(seed_files["000"]), "--store", "data/store", "--no-precompute")
    assert result.exit_code == 0, result.output
    app = _app("data/store", dump_wait=30)
    try:
        client = app.test_client()
        listing = client.get("/dumps", headers={"Accept": "application/json"})
        assert listing.status_code == 200, listing.data[:300]
        entries = listing.get_json()["dumps"]
        assert entries
        for entry in entries:
            response = client.get(entry["path"])
            response.get_data()
            response.close()
            assert response.status_code == 200, (entry["path"], response.status_code)
        assert app.extensions["kg"].settings.store == str(tmp_path / "data" / "store")
    finally:
        close_app(app)

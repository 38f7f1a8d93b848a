"""The reports over time over HTTP without dates: the last crawl's answer, read from the file
``kg precompute`` wrote, with the dates it used said in the answer and on the form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kg.reports.crawls import CRAWL_DATES_QUERY
from kg.reports.precompute import precompute_store
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI
from tests.server.recording import RecordingBackend
from tests.store.test_crawl_defaults import (
    DEC,
    EXPLICIT,
    NOV,
    OCT,
    SCHEME,
    crawl_folders,
    ingest_crawls,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[KGStore]:
    """The crawls OCT, NOV and DEC in a store folder, precomputed, open read-only."""
    crawls = crawl_folders(tmp_path_factory.mktemp("crawls"), seeds_dir)
    folder = tmp_path_factory.mktemp("crawl-store") / "store"
    ingest_crawls(folder, crawls, (OCT, NOV, DEC))
    precompute_store(folder, SCHEME)
    opened = KGStore.open_readonly(folder)
    yield opened
    opened.close()


def _app(store: KGStore, backend: Any) -> Flask:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(store.folder),
            "base_iri": TEST_BASE_IRI,
            "backend": backend,
            "warm_reports": False,
        }
    )
    app.config["TESTING"] = True
    return app


def _report_queries(spy: RecordingBackend) -> list[str]:
    return [q.query for q in spy.requests if q.query != CRAWL_DATES_QUERY]


@pytest.mark.parametrize("name", sorted(EXPLICIT))
def test_no_dates_is_the_last_crawl_from_the_precomputed_file(store: KGStore, name: str) -> None:
    spy = RecordingBackend(store)
    client = _app(store, spy).test_client()
    default = client.get(f"/reports/{name}.json")
    assert default.status_code == 200, default.get_data(as_text=True)
    explicit = client.get(f"/reports/{name}.json", query_string=EXPLICIT[name])
    assert explicit.status_code == 200
    assert _report_queries(spy) == [], "both answered from the precomputed file"
    # The answer echoes the dates it used, and says where they came from.
    assert default.json["parameters"] == explicit.json["parameters"]
    assert EXPLICIT[name].items() <= default.json["parameters"].items()
    assert any("latest crawl date" in note for note in default.json["notes"])
    assert "notes" not in explicit.json
    assert default.json["rows"] == explicit.json["rows"] and default.json["rows"]


def test_the_form_shows_the_dates_used(store: KGStore) -> None:
    client = _app(store, LocalBackend(store)).test_client()
    page = client.get("/reports/crawl-changes", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert 'name="from" type="text" value="2026-11-01"' in page
    assert 'name="to" type="text" value="2026-12-01"' in page
    assert "latest crawl date in the store before to" in page  # the note


def test_one_crawl_has_nothing_to_compare(make_app: Any) -> None:
    """The seed store has one crawl: no date before it. An empty answer with a note (no
    query), not the answer to another question; papers-listed-since too (everything is new in
    the only crawl), and lists the crawl's papers when the date is given."""
    client = make_app(local=True).test_client()
    for name in ("crawl-changes", "fastest-growing-authors"):
        response = client.get(f"/reports/{name}.json")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["rows"] == [] and response.json["total"] == 0
        assert response.json["parameters"] == {"to": SEED_AS_OF.isoformat()} | (
            {"metric": "citations"} if name == "fastest-growing-authors" else {}
        )
        assert any("no crawl date before" in note for note in response.json["notes"])
        assert "source" in response.json["columns"]
    listed = client.get("/reports/papers-listed-since.json?limit=1")
    assert listed.json["rows"] == [] and listed.json["total"] == 0
    assert any("no crawl before its latest" in note for note in listed.json["notes"])
    given = client.get(f"/reports/papers-listed-since.json?limit=1&since={SEED_AS_OF.isoformat()}")
    assert given.json["total"] > 50


def test_the_dates_are_optional_in_the_openapi_document(make_app: Any) -> None:
    document = make_app(local=True).test_client().get("/openapi.json").json
    for name, dates in (
        ("crawl-changes", {"from", "to"}),
        ("fastest-growing-authors", {"from", "to"}),
        ("papers-listed-since", {"since"}),
    ):
        parameters = document["paths"][f"/reports/{name}.json"]["get"]["parameters"]
        found = {p["name"]: p for p in parameters if p.get("name") in dates}
        assert set(found) == dates
        assert not any(p["required"] for p in found.values()), name
        assert all("crawl date" in p["description"] for p in found.values())
    listing = make_app(local=True).test_client().get("/reports.json").json["reports"]
    since = next(r for r in listing if r["name"] == "papers-listed-since")["parameters"][0]
    assert since["store_default"] == "latest-recrawl"


def test_a_date_before_any_crawl_says_so(store: KGStore) -> None:
    client = _app(store, LocalBackend(store)).test_client()
    response = client.get("/reports/crawl-changes.json", query_string={"to": "2026-10-01"})
    assert response.status_code == 200
    assert response.json["rows"] == []
    assert any("no crawl date before 2026-10-01" in n for n in response.json["notes"])
    between = client.get("/reports/crawl-changes.json", query_string={"to": "2026-11-15"})
    # The crawl before a given to: the latest crawl date before it.
    assert between.json["parameters"] == {"from": "2026-11-01", "to": "2026-11-15"}

"""Atom feeds date an entry by when a profile first listed the paper (issue 18, item 3).

The crawls are those of tests/store/test_history.py: the seeds copied on 2026-10-01, then on
2026-11-01 with one profile (Xuyang Zhao's) listing one more paper. A store that saw a
single crawl keeps no history: its feeds date entries by the papers' own dates, as before.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.citations.feeds import FEED_ENTRIES, first_listed
from kg.citations.works import load_works
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI
from tests.store.test_history import (
    CHANGED,
    NEW_TITLE,
    NOV,
    OCT,
    REPORTS,
    SCHEME,
    _ingest,
    crawls,  # noqa: F401  (the fixture, shared with the history tests)
)

FEEDS_WITH_THE_NEW_PAPER = [
    pytest.param("/feeds/latest.atom", id="whole-graph"),
    pytest.param("/feeds/author/xuyang-zhao.atom", id="author"),
    pytest.param("/feeds/subject/LG.atom", id="subject"),
]
#: The new paper's own date, in the variant where a profile newly lists an old paper.
OLD_DATE_LINE = "LGMar 3, 2019Code"


def _store(folder: Path, *crawl: tuple[Path, date]) -> Path:
    store = KGStore.open_writable(folder)
    for path, day in crawl:
        _ingest(store, path, day)
    store.close()
    return folder


@pytest.fixture(scope="module")
def stores(crawls: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:  # noqa: F811
    """Store folders: both crawls ("history"), both crawls with the new paper dated 2019
    ("old-paper"), the second crawl alone ("plain")."""
    root = tmp_path_factory.mktemp("feed-stores")
    old = root / "old-paper-crawl"
    shutil.copytree(crawls / NOV.isoformat(), old)
    page = old / CHANGED
    text = page.read_text(encoding="utf-8")
    assert "LGNov 1, 2026Code" in text
    page.write_text(text.replace("LGNov 1, 2026Code", OLD_DATE_LINE, 1), encoding="utf-8")
    first = (crawls / OCT.isoformat(), OCT)
    return {
        "history": _store(root / "history", first, (crawls / NOV.isoformat(), NOV)),
        "old-paper": _store(root / "old-paper", first, (old, NOV)),
        "plain": _store(root / "plain", (crawls / NOV.isoformat(), NOV)),
    }


@pytest.fixture(scope="module")
def clients(stores: dict[str, Path]) -> Iterator[dict[str, FlaskClient]]:
    from kg_server.app import create_app

    from tests.server.conftest import close_app

    apps: dict[str, Flask] = {}
    for name, folder in stores.items():
        app = create_app(
            {
                "store": str(folder),
                "base_iri": TEST_BASE_IRI,
                "query_timeout": 10,
                "backend": LocalBackend(KGStore.open_readonly(folder)),
            }
        )
        app.config["TESTING"] = True
        apps[name] = app
    yield {name: app.test_client() for name, app in apps.items()}
    for app in apps.values():
        close_app(app)


def _entries(client: FlaskClient, path: str) -> list[tuple[str, str]]:
    """(title, published day) of each entry, in the feed's order."""
    response = client.get(path)
    assert response.status_code == 200, path
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return [(entry.title, entry.published[:10]) for entry in feed.entries]


@pytest.mark.parametrize("path", FEEDS_WITH_THE_NEW_PAPER)
def test_the_new_paper_comes_first_dated_by_the_crawl_that_listed_it(
    clients: dict[str, FlaskClient], path: str
) -> None:
    entries = _entries(clients["history"], path)
    assert entries[0] == (NEW_TITLE, "2026-11-01")
    # Every other paper was listed by the first crawl: its entry keeps that date.
    assert entries[1:] and {day for _, day in entries[1:]} == {"2026-10-01"}
    response = clients["history"].get(path)
    assert feedparser.parse(response.data).feed.updated.startswith("2026-11-01")
    assert response.headers["Last-Modified"] == "Sun, 01 Nov 2026 00:00:00 GMT"


@pytest.mark.parametrize("path", FEEDS_WITH_THE_NEW_PAPER)
def test_an_old_paper_newly_listed_is_new_in_the_feed(
    clients: dict[str, FlaskClient], path: str
) -> None:
    """A profile that lists a 2019 paper for the first time in November: the feed's readers
    see it first, dated November, though its own date is older than every other paper's."""
    entries = _entries(clients["old-paper"], path)
    assert entries[0] == (NEW_TITLE, "2026-11-01")
    assert {day for _, day in entries[1:]} == {"2026-10-01"}


def test_the_organization_feed_is_dated_by_first_listing(
    clients: dict[str, FlaskClient],
) -> None:
    client = clients["history"]
    org = client.get("/reports/organizations.json").get_json()["rows"][0]["org"]
    entries = _entries(client, f"/feeds/org/{org.rsplit('/', 1)[-1]}.atom")
    assert entries and {day for _, day in entries} == {"2026-10-01"}


@pytest.mark.parametrize(
    ("path", "author", "subject"),
    [
        pytest.param("/feeds/latest.atom", None, None, id="whole-graph"),
        pytest.param(
            "/feeds/author/xuyang-zhao.atom",
            f"{TEST_BASE_IRI}author/xuyang-zhao",
            None,
            id="author",
        ),
        pytest.param("/feeds/subject/LG.atom", None, f"{TEST_BASE_IRI}subject/LG", id="subject"),
    ],
)
def test_a_single_crawl_dates_entries_by_the_papers_own_dates(
    clients: dict[str, FlaskClient],
    stores: dict[str, Path],
    path: str,
    author: str | None,
    subject: str | None,
) -> None:
    store = KGStore.open_readonly(stores["plain"])
    try:
        backend = LocalBackend(store)
        assert first_listed(backend) == {}
        works = load_works(backend, author=author, subject=subject)
    finally:
        store.close()
    expected = [w.issued.isoformat() for w in works if w.issued][:FEED_ENTRIES]
    days = [day for _, day in _entries(clients["plain"], path)]
    assert days == expected
    assert len(set(days)) > 2  # the papers' dates, not one crawl date


def test_first_listed_agrees_with_the_papers_listed_since_report(stores: dict[str, Path]) -> None:
    store = KGStore.open_readonly(stores["history"])
    try:
        backend = LocalBackend(store)
        listed = first_listed(backend)
        runner = ReportRunner(REPORTS, backend, SCHEME)
        report = REPORTS.get_report("papers-listed-since")
        rows = runner.run(report, runner.bind(report, {"since": "2000-01-01"})).records()
    finally:
        store.close()
    assert {r["paper"]: r["first_listed"] for r in rows} == {
        paper: day.isoformat() for paper, day in listed.items()
    }
    assert sorted(set(listed.values())) == [OCT, NOV]


def test_an_unchanged_second_crawl_keeps_the_first_crawls_dates(crawls: Path) -> None:  # noqa: F811
    """Pages copied again unchanged are history too (their first copy's date is kept)."""
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    _ingest(store, crawls / OCT.isoformat(), NOV)
    listed = first_listed(LocalBackend(store))
    assert listed and set(listed.values()) == {OCT}

"""Atom feeds: valid for a feed reader, discoverable from the pages they follow, cacheable."""

from __future__ import annotations

import re

import feedparser
import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_BASE_IRI

FEEDS = [
    pytest.param("/feeds/latest.atom", 50, id="whole-graph"),
    pytest.param("/feeds/author/xuyang-zhao.atom", 15, id="author"),
    pytest.param("/feeds/subject/LG.atom", 48, id="subject"),
]


@pytest.mark.parametrize(("path", "entries"), FEEDS)
def test_feed_is_valid_atom(client: FlaskClient, path: str, entries: int) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == entries
    published = [entry.published_parsed for entry in feed.entries]
    assert published == sorted(published, reverse=True)
    for entry in feed.entries:
        assert entry.id.startswith(f"{TEST_BASE_IRI}paper/")
        assert "/pages/paper/" in entry.link


def test_organization_feed(client: FlaskClient) -> None:
    orgs = client.get("/reports/organizations.json").get_json()
    iri = orgs["rows"][0]["org"]
    name = iri.rsplit("/", 1)[-1]
    response = client.get(f"/feeds/org/{name}.atom")
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert not feed.bozo and feed.entries
    # The organization's papers, and only those (not the papers that name no organization).
    papers = {row["paper"] for row in orgs["rows"] if row["org"] == iri}
    assert len(papers) < 50
    assert {entry.id for entry in feed.entries} == papers


def test_author_feed_entries_are_the_authors_papers(client: FlaskClient) -> None:
    feed = feedparser.parse(client.get("/feeds/author/xuyang-zhao.atom").data)
    assert "Xuyang Zhao" in feed.feed.title
    for entry in feed.entries:
        assert any(author.get("name") == "Xuyang Zhao" for author in entry.authors), entry.title


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        pytest.param(
            "/pages/author/xuyang-zhao", "/feeds/author/xuyang-zhao.atom", id="author-page"
        ),
        pytest.param("/author/xuyang-zhao", "/feeds/author/xuyang-zhao.atom", id="author-resource"),
        pytest.param("/subject/LG", "/feeds/subject/LG.atom", id="subject-resource"),
        pytest.param("/reports", "/feeds/latest.atom", id="any-page"),
    ],
)
def test_pages_link_their_feed(client: FlaskClient, page: str, feed: str) -> None:
    html = client.get(page, headers={"Accept": "text/html"}).get_data(as_text=True)
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', html)
    assert feed in links


def test_conditional_requests(client: FlaskClient) -> None:
    first = client.get("/feeds/author/xuyang-zhao.atom")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert (
        client.get("/feeds/author/xuyang-zhao.atom", headers={"If-None-Match": etag}).status_code
        == 304
    )
    weak = "W/" + etag
    assert (
        client.get("/feeds/author/xuyang-zhao.atom", headers={"If-None-Match": weak}).status_code
        == 304
    )
    since = first.headers["Last-Modified"]
    assert (
        client.get(
            "/feeds/author/xuyang-zhao.atom", headers={"If-Modified-Since": since}
        ).status_code
        == 304
    )


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/author/nobody-at-all.atom",
        "/feeds/venue/arxiv.atom",
        "/feeds/author/..%2f..%2fetc.atom",
    ],
)
def test_unknown_feeds_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404

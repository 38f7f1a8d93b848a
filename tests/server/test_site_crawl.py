"""A bounded crawl of the whole site finds no broken link (issue 16, item 6).

From ``/``, every same-site link of every HTML page (``href`` and ``src``: report
links, entity pages, dumps, feeds, search, static files) is fetched, breadth
first, up to :data:`MAX_PAGES` URLs; none may answer 4xx or 5xx.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

MAX_PAGES = 600
SITE = "http://localhost/"
#: What browsers and search engines' crawlers send (Googlebot's, for one).
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def same_site(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc == "localhost"


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param(ACCEPT, id="browser"),
        # Link checkers (wget, linkchecker) accept anything: a report URL then answers data,
        # and must not be a 400 for want of a parameter.
        pytest.param("*/*", id="link-checker"),
    ],
)
def test_every_link_from_the_home_page_answers(client: Any, accept: str) -> None:
    queue: deque[tuple[str, str]] = deque([(SITE, "(start)")])
    seen = {SITE}
    broken: list[str] = []
    fetched = 0
    while queue and fetched < MAX_PAGES:
        url, referrer = queue.popleft()
        parts = urlsplit(url)
        response = client.get(parts.path, query_string=parts.query, headers={"Accept": accept})
        fetched += 1
        status, html = response.status_code, response.mimetype == "text/html"
        body = response.get_data(as_text=True) if html and status < 400 else ""
        response.close()  # a static file's response holds the file open
        if status >= 400:
            broken.append(f"{status} {url} (linked from {referrer})")
            continue
        parser = _Links()
        parser.feed(body)
        for link in parser.links:
            target = urldefrag(urljoin(url, link))[0]
            if same_site(target) and target not in seen:
                seen.add(target)
                queue.append((target, url))
    assert fetched > 50, f"the crawl reached only {fetched} URLs"
    assert not broken, "\n".join(broken)

"""Every link on /reports answers: the JSON and CSV of a report that needs a parameter
carry the example from its .rq header (they used to answer 400)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: What Firefox and Chromium send for a page.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value and tag in {"a", "link"}:
                self.hrefs.append(value)


def _local_links(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(base, href))
        if url.scheme in {"http", "https"} and url.netloc in {"", "localhost"} and url.path:
            out.append(url.path + (f"?{url.query}" if url.query else ""))
    return sorted(set(out))


def test_every_link_on_the_reports_page_answers(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports", headers={"Accept": "text/html"})
    assert page.status_code == 200
    links = _local_links(page.get_data(as_text=True), "http://localhost/reports")
    data_links = [link for link in links if ".json?" in link or ".csv?" in link]
    broken = []
    for link in links:
        # As a browser follows them (an HTML page where one is offered).
        response = client.get(link, headers={"Accept": BROWSER_ACCEPT})
        if response.status_code >= 400:
            broken.append(f"{link}: {response.status_code}")
        response.close()
    assert not broken, broken
    # Reports that need a parameter link to their data with the header's example.
    assert any("author=" in link for link in data_links)
    assert len(links) > 40

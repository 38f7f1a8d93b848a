"""Citations over HTTP and the CLI (issue 20 items 1, 2 and 5): every paper of the seeds in
BibTeX, RIS, CSL-JSON and three CSL styles, by ``Accept`` and by extension, read back by
bibtexparser v2, rispy and json; an author's bibliography and the author-papers report as
BibTeX and RIS; the paper page's "Cite" panel; ``kg export --format bibtex|ris|csljson``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kg import formats
from kg.citations import csl
from kg.citations import works as citation_works
from kg.citations.works import Work, load_works
from kg.cli import main as cli_main
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI

AUTHOR = "/author/xuyang-zhao"


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(local=True)


@pytest.fixture(scope="module")
def http(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def works(seed_store: Path) -> list[Work]:
    store = KGStore.open_readonly(seed_store)
    try:
        return load_works(LocalBackend(store))
    finally:
        store.close()


def path_of(iri: str) -> str:
    return "/" + iri[len(TEST_BASE_IRI) :]


def _untex(value: str) -> str:
    """Undo the LaTeX escaping and case protection of our BibTeX (enough to compare)."""
    value = re.sub(r"\\([{}&%#_$])", r"\1", value)
    return re.sub(r"(?<!\\)[{}]", "", value)


def _names(work: Work) -> list[tuple[str, str]]:
    return [a.family_given for a in work.authors]


# -- readers: each gives (title, [(family, given)], year, urls) -----------------------------------


def read_bibtex(data: bytes) -> list[tuple[str, list[tuple[str, str]], str, set[str]]]:
    library = bibtexparser.parse_string(data.decode("utf-8"))
    assert not library.failed_blocks
    out = []
    for entry in library.entries:
        fields = {f.key: f.value for f in entry.fields}
        authors = []
        for name in fields["author"].split(" and "):
            if name == "others":
                continue
            family, _, given = name.partition(", ")
            authors.append((_untex(family), _untex(given)))
        out.append((_untex(fields["title"]), authors, fields["year"], {fields["url"]}))
    return out


def read_ris(data: bytes) -> list[tuple[str, list[tuple[str, str]], str, set[str]]]:
    out = []
    for entry in rispy.loads(data.decode("utf-8")):
        authors = [tuple(a.split(", ", 1)) if ", " in a else (a, "") for a in entry["authors"]]
        out.append((entry["title"], authors, entry["year"], set(entry["urls"])))
    return out  # type: ignore[return-value]


def read_csl(data: bytes) -> list[tuple[str, list[tuple[str, str]], str, set[str]]]:
    out = []
    for item in json.loads(data):
        authors = [
            (a.get("family", a.get("literal", "")), a.get("given", "")) for a in item["author"]
        ]
        year = str(item["issued"]["date-parts"][0][0])
        out.append((item["title"], authors, year, {item["URL"]}))
    return out


READERS = {"bibtex": read_bibtex, "ris": read_ris, "csljson": read_csl}


def assert_same(work: Work, parsed: tuple[str, list[tuple[str, str]], str, set[str]]) -> None:
    title, authors, year, urls = parsed
    assert " ".join(title.split()) == " ".join(work.title.replace("{", "").replace("}", "").split())
    assert authors == _names(work)
    assert year == str(work.year)
    assert work.url in urls


# -- item 1: every paper, every format, by Accept and by extension ---------------------------------


@pytest.mark.parametrize("key", sorted(READERS))
def test_every_paper_reads_back_by_accept_and_by_extension(
    http: FlaskClient, works: list[Work], key: str
) -> None:
    fmt = formats.BY_KEY[key]
    assert len(works) == 104
    for work in works:
        path = path_of(work.iri)
        by_accept = http.get(path, headers={"Accept": fmt.media_type})
        by_extension = http.get(f"{path}.{fmt.extension}")
        for response in (by_accept, by_extension):
            assert response.status_code == 200, (path, response.data[:300])
            assert response.mimetype == fmt.media_type
            assert response.headers["Content-Type"].endswith("charset=utf-8")
            (parsed,) = READERS[key](response.data)
            assert_same(work, parsed)
        assert by_accept.data == by_extension.data
        assert "Accept" in by_accept.headers["Vary"]
        assert by_accept.headers["Content-Location"] == f"{path}.{fmt.extension}"


@pytest.mark.parametrize("style", sorted(csl.STYLES))
def test_every_paper_in_every_style_by_accept_and_by_extension(
    http: FlaskClient, works: list[Work], style: str
) -> None:
    for work in works:
        path = path_of(work.iri)
        by_accept = http.get(path, headers={"Accept": f"text/x-bibliography; style={style}"})
        by_extension = http.get(f"{path}.txt?style={style}")
        for response in (by_accept, by_extension):
            assert response.status_code == 200, (path, response.data[:300])
            assert response.mimetype == "text/x-bibliography"
        assert by_accept.data == by_extension.data
        assert by_accept.headers["Content-Location"] == f"{path}.txt?style={style}"
        text = " ".join(by_accept.data.decode("utf-8").split()).casefold()
        # Styles may change a title's case (Chicago) and abbreviate given names.
        assert " ".join(work.title.split()).casefold() in text, (style, text)
        assert str(work.year) in text
        assert work.url.casefold() in text
        assert all(family.casefold() in text for family, _ in _names(work)[:3])


def test_the_styles_differ_and_apa_is_the_default(http: FlaskClient, works: list[Work]) -> None:
    path = path_of(works[0].iri)
    texts = {s: http.get(f"{path}.txt?style={s}").data for s in csl.STYLES}
    assert len(set(texts.values())) == len(csl.STYLES)
    assert http.get(f"{path}.txt").data == texts["apa"]
    assert http.get(path, headers={"Accept": "text/x-bibliography"}).data == texts["apa"]
    # ?style= wins over the Accept parameter.
    response = http.get(
        path, query_string={"style": "ieee"}, headers={"Accept": "text/x-bibliography;style=apa"}
    )
    assert response.data == texts["ieee"]


@pytest.mark.parametrize(
    ("request_", "headers"),
    [
        pytest.param("{path}", {"Accept": "text/x-bibliography; style=harvard-nope"}, id="accept"),
        pytest.param("{path}.txt?style=harvard-nope", {}, id="extension"),
        pytest.param("/pages{path}?style=harvard-nope", {"Accept": "application/json"}, id="page"),
    ],
)
def test_an_unknown_style_is_a_problem_listing_the_styles(
    http: FlaskClient, works: list[Work], request_: str, headers: dict[str, str]
) -> None:
    response = http.get(request_.format(path=path_of(works[0].iri)), headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["available"] == list(csl.STYLES)
    assert "harvard-nope" in problem["detail"]


def test_citations_are_conditional_and_link_their_variants(
    http: FlaskClient, works: list[Work]
) -> None:
    path = path_of(works[0].iri)
    first = http.get(f"{path}.bib")
    etag = first.headers["ETag"]
    assert http.get(f"{path}.bib", headers={"If-None-Match": etag}).status_code == 304
    links = first.headers["Link"]
    for fmt in formats.offers_all(formats.LINKED_DATA, formats.PAPER_CITATION):
        assert f'<{path}.{fmt.extension}>; rel="alternate"; type="{fmt.media_type}"' in links
    # Another style is another variant: another tag.
    apa = http.get(f"{path}.txt?style=apa").headers["ETag"]
    assert apa != http.get(f"{path}.txt?style=ieee").headers["ETag"]


def test_an_unknown_paper_has_no_citation(http: FlaskClient) -> None:
    for suffix in (".bib", ".ris", ".csl.json", ".txt"):
        response = http.get("/paper/nothing-000000" + suffix)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_bibtex_keys_are_readable(http: FlaskClient, works: list[Work]) -> None:
    arcl = next(w for w in works if w.title.startswith("ArCL"))
    library = bibtexparser.parse_string(http.get(f"{path_of(arcl.iri)}.bib").data.decode())
    assert [e.key for e in library.entries] == ["zhao2023arcl"]


# -- the paper page --------------------------------------------------------------------------------


def test_the_paper_page_cites_in_the_chosen_style(http: FlaskClient, works: list[Work]) -> None:
    arcl = next(w for w in works if w.title.startswith("ArCL"))
    path = path_of(arcl.iri)
    for style in csl.STYLES:
        page = http.get(f"/pages{path}", query_string={"style": style}).data.decode()
        reference = http.get(f"{path}.txt?style={style}").data.decode().strip()
        shown = re.search(r'<p class="reference" id="reference-text"[^>]*>(.*?)</p>', page, re.S)
        assert shown is not None
        assert _html_text(shown.group(1)) == reference
        assert f'<option value="{style}" selected>' in page
    page = http.get(f"/pages{path}").data.decode()
    assert 'data-style="apa"' in page
    # A copy button, driven by an external script (the CSP forbids inline scripts).
    assert 'data-copy="reference-text"' in page
    assert re.search(r'<script src="[^"]*/cite\.js" defer></script>', page)
    assert "<script>" not in page
    # The "cite" choice: every citation file and every style as text.
    for fmt in formats.offers(formats.PAPER_CITATION):
        if fmt.key != "bibliography":
            assert f'href="{path}.{fmt.extension}" type="{fmt.media_type}"' in page
    for style in csl.STYLES:
        assert f'href="{path}.txt?style={style}"' in page
    script = http.get("/static/cite.js")
    script.close()  # a static file: close it
    assert script.status_code == 200


def _html_text(text: str) -> str:
    return html.unescape(text).strip()


# -- item 2: an author's bibliography, the reports of papers ---------------------------------------


def _author_works(works: list[Work]) -> list[Work]:
    iri = TEST_BASE_IRI + AUTHOR[1:]
    return [w for w in works if any(a.iri == iri for a in w.authors)]


@pytest.mark.parametrize("key", sorted(READERS))
def test_an_author_iri_is_a_bibliography(http: FlaskClient, works: list[Work], key: str) -> None:
    fmt = formats.BY_KEY[key]
    expected = _author_works(works)
    assert len(expected) == 15
    by_extension = http.get(f"{AUTHOR}.{fmt.extension}")
    by_accept = http.get(AUTHOR, headers={"Accept": fmt.media_type})
    for response in (by_extension, by_accept):
        assert response.status_code == 200
        assert response.mimetype == fmt.media_type
    assert by_accept.data == by_extension.data
    parsed = READERS[key](by_extension.data)
    assert len(parsed) == len(expected)
    for work, entry in zip(expected, parsed, strict=True):
        assert_same(work, entry)
    if key == "bibtex":
        keys = [e.key for e in bibtexparser.parse_string(by_extension.data.decode()).entries]
        assert len(set(keys)) == len(keys)


def test_an_author_iri_has_no_formatted_references(http: FlaskClient) -> None:
    assert http.get(f"{AUTHOR}.txt").status_code == 404
    response = http.get(AUTHOR, headers={"Accept": "text/x-bibliography"})
    assert response.status_code == 406


def test_the_author_page_links_the_bibliography(http: FlaskClient) -> None:
    page = http.get("/pages" + AUTHOR).data.decode()
    for fmt in formats.offers(formats.AUTHOR_BIBLIOGRAPHY):
        assert f'href="{AUTHOR}.{fmt.extension}" type="{fmt.media_type}"' in page
        assert (
            f'<link rel="alternate" type="{fmt.media_type}" href="{AUTHOR}.{fmt.extension}">'
            in page
        )
    assert re.search(r'href="/reports/author-papers\.bib\?author=[^"]+"', page)
    assert re.search(r'href="/reports/author-papers\.ris\?author=[^"]+"', page)


@pytest.mark.parametrize("key", ["bibtex", "ris"])
def test_the_author_papers_report_downloads_as_citations(
    http: FlaskClient, works: list[Work], key: str
) -> None:
    fmt = formats.BY_KEY[key]
    query = {"author": "Xuyang Zhao"}
    rows = http.get("/reports/author-papers.json", query_string={**query, "limit": 1000}).get_json()
    papers = list(dict.fromkeys(row["paper"] for row in rows["rows"]))
    by_extension = http.get(f"/reports/author-papers.{fmt.extension}", query_string=query)
    by_accept = http.get(
        "/reports/author-papers", query_string=query, headers={"Accept": fmt.media_type}
    )
    for response in (by_extension, by_accept):
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == fmt.media_type
        assert response.headers["ETag"]
    assert by_extension.data == by_accept.data
    parsed = READERS[key](by_extension.data)
    by_iri = {w.iri: w for w in works}
    # The report's papers, in its row order.
    assert len(parsed) == len(papers) == 15
    for iri, entry in zip(papers, parsed, strict=True):
        assert_same(by_iri[iri], entry)
    assert (
        http.get(
            f"/reports/author-papers.{fmt.extension}",
            query_string=query,
            headers={"If-None-Match": by_extension.headers["ETag"]},
        ).status_code
        == 304
    )


def test_a_bibliography_cut_at_its_limit_says_so(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An author's bibliography holds at most MAX_WORKS papers and says when it was cut; the
    report of the author's papers downloads every paper of its rows (it was cut at
    MAX_WORKS without a word)."""
    monkeypatch.setattr(citation_works, "MAX_WORKS", 10)
    client = make_app(local=True).test_client()
    cut = client.get(f"{AUTHOR}.bib")
    assert cut.status_code == 200
    assert cut.headers["X-Description-Truncated"] == "papers; limit=10"
    assert len(read_bibtex(cut.data)) == 10
    report = client.get("/reports/author-papers.bib", query_string={"author": "Xuyang Zhao"})
    assert report.status_code == 200
    assert "X-Report-Truncated" not in report.headers
    assert len(read_bibtex(report.data)) == 15
    monkeypatch.setattr(citation_works, "MAX_WORKS", 15)
    whole = make_app(local=True).test_client().get(f"{AUTHOR}.bib")
    assert "X-Description-Truncated" not in whole.headers
    assert len(read_bibtex(whole.data)) == 15


def test_only_reports_of_papers_offer_citations(http: FlaskClient) -> None:
    listing = http.get("/reports.json").get_json()["reports"]
    with_bib = {r["name"] for r in listing if "bib" in r}
    assert {"author-papers", "organizations", "papers-in-several-profiles"} <= with_bib
    assert not {"author-timeline", "paper", "paper-authors", "subjects"} & with_bib
    response = http.get("/reports/author-timeline.bib", query_string={"author": "Xuyang Zhao"})
    assert response.status_code == 404
    assert "paper column" in response.get_json()["detail"]
    response = http.get(
        "/reports/author-timeline",
        query_string={"author": "Xuyang Zhao"},
        headers={"Accept": "application/x-bibtex"},
    )
    assert response.status_code == 406
    page = http.get("/reports", headers={"Accept": "text/html"}).data.decode()
    assert 'href="/reports/author-papers.bib?author=' in page


def test_openapi_lists_the_citation_downloads(http: FlaskClient) -> None:
    document = http.get("/openapi.json").get_json()
    paths = document["paths"]
    for name in ("author-papers", "organizations"):
        for fmt in formats.offers(formats.PAPER_REPORT):
            content = paths[f"/reports/{name}.{fmt.extension}"]["get"]["responses"]["200"]
            assert list(content["content"]) == [fmt.media_type]
    assert "/reports/author-timeline.bib" not in paths


# -- kg export --------------------------------------------------------------------------------------


def _export(seed_store: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli_main,
        ["export", "--store", str(seed_store), "--base-iri", TEST_BASE_IRI, *args],
        catch_exceptions=False,
    )


@pytest.mark.parametrize("key", sorted(READERS))
def test_kg_export_writes_citations(seed_store: Path, works: list[Work], key: str) -> None:
    everything = _export(seed_store, "--format", key)
    assert everything.exit_code == 0, everything.output
    assert len(READERS[key](everything.stdout_bytes)) == len(works)
    by_name = _export(seed_store, "--format", key, "--author", "Xuyang Zhao")
    by_iri = _export(seed_store, "--format", key, "--author", TEST_BASE_IRI + AUTHOR[1:])
    assert by_name.stdout_bytes == by_iri.stdout_bytes
    parsed = READERS[key](by_name.stdout_bytes)
    for work, entry in zip(_author_works(works), parsed, strict=True):
        assert_same(work, entry)


def test_kg_export_filters_as_the_reports_do(seed_store: Path, works: list[Work]) -> None:
    def count(*args: str) -> int:
        result = _export(seed_store, "--format", "ris", *args)
        assert result.exit_code == 0, result.output
        return len(read_ris(result.stdout_bytes))

    subject_iri = TEST_BASE_IRI + "subject/LG"
    in_lg = [w for w in works if any(True for _ in w.subjects)]
    assert (
        count("--subject", "LG") == count("--subject", "cs.LG") == count("--subject", subject_iri)
    )
    assert 0 < count("--subject", "LG") < len(in_lg)
    assert count("--from-year", "2025") == sum(1 for w in works if w.year and w.year >= 2025)
    assert count("--to-year", "2024") == sum(1 for w in works if w.year and w.year <= 2024)
    # Only the organization's papers: a paper naming no organization is not one of them.
    store = KGStore.open_readonly(seed_store)
    try:
        rows = store.query(
            "SELECT (COUNT(DISTINCT ?paper) AS ?n) WHERE { ?paper "
            "<https://schema.org/sourceOrganization>/<https://schema.org/identifier> ?tag "
            'FILTER(LCASE(STR(?tag)) = "tsinghua") }'
        )
        tsinghua = int(next(iter(rows))["n"].value)
    finally:
        store.close()
    assert 0 < count("--organization", "tsinghua") == tsinghua < len(works)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--format", "bibtex", "--author", "Nobody Here"], "no papers match", id="none"
        ),
        pytest.param(["--format", "turtle", "--author", "X"], "select papers", id="rdf-format"),
        pytest.param(["--format", "ris", "--subject", "zz!"], "not a subject", id="bad-subject"),
        pytest.param(["--format", "ris", "--from-year", "12"], "12", id="bad-year"),
    ],
)
def test_kg_export_mistakes_are_one_line(seed_store: Path, args: list[str], message: str) -> None:
    result = _export(seed_store, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output

"""Structured data for crawlers (issue 16 item 5): schema.org JSON-LD, Highwire tags, RDF alternates.

The JSON-LD data blocks are parsed with rdflib (their context is inline: no network)
and checked against the seeds.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from tests.conftest import TEST_BASE_IRI

SDO = Namespace("https://schema.org/")
TARPO = "tarpo-token-wise-latent-explicit-reasoning-via-action-75e880"


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.blocks: list[str] = []
        self._in_block = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and "name" in values:
            self.meta.append((values["name"], values.get("content", "")))
        elif tag == "link":
            self.links.append(values)
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._in_block = True
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_block = False

    def handle_data(self, data: str) -> None:
        if self._in_block:
            self.blocks[-1] += data


def _page(client: Any, path: str) -> _Head:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    head = _Head()
    head.feed(response.get_data(as_text=True))
    return head


def _graph(head: _Head) -> tuple[dict[str, Any], Graph]:
    assert len(head.blocks) == 1, head.blocks
    document = json.loads(head.blocks[0])
    graph = Graph()
    graph.parse(data=head.blocks[0], format="json-ld")
    return document, graph


def test_paper_page_is_a_scholarly_article_with_highwire_tags(client: Any) -> None:
    head = _page(client, f"/pages/paper/{TARPO}")
    document, graph = _graph(head)
    paper = URIRef(f"{TEST_BASE_IRI}paper/{TARPO}")
    assert (paper, RDF.type, SDO.ScholarlyArticle) in graph
    title = "TARPO: Token-Wise Latent-Explicit Reasoning via Action-Routing Policy Optimization"
    assert graph.value(paper, SDO.name) == Literal(title)
    assert str(graph.value(paper, SDO.datePublished)) == "2026-06-04"
    assert graph.value(paper, SDO.url) == URIRef(f"http://localhost/pages/paper/{TARPO}")
    about = graph.value(paper, SDO.about)
    assert about == URIRef(f"{TEST_BASE_IRI}subject/CL")
    assert str(graph.value(about, SDO.name)).endswith("Computation and Language")
    # Authors as printed, in order (the JSON array keeps it; the graph holds them all).
    names = [a["name"] for a in document["author"]]
    assert names == ["Liting Zhang", "Shiwan Zhao", "Xuyang Zhao"]
    assert set(graph.objects(paper, SDO.author)) == {
        URIRef(f"{TEST_BASE_IRI}author/{slug}")
        for slug in ("liting-zhang", "shiwan-zhao", "xuyang-zhao")
    }
    meta = head.meta
    assert ("citation_title", title) in meta
    assert [v for k, v in meta if k == "citation_author"] == names
    assert ("citation_publication_date", "2026/06/04") in meta
    assert ("citation_abstract_html_url", f"http://localhost/pages/paper/{TARPO}") in meta
    assert not [k for k, _ in meta if k == "citation_pdf_url"]  # no PDF link in the seeds


def test_author_page_is_a_person_with_rdf_alternates(client: Any) -> None:
    head = _page(client, "/pages/author/xuyang-zhao")
    _, graph = _graph(head)
    person = URIRef(f"{TEST_BASE_IRI}author/xuyang-zhao")
    assert (person, RDF.type, SDO.Person) in graph
    assert graph.value(person, SDO.name) == Literal("Xuyang Zhao")
    assert graph.value(person, SDO.url) == URIRef("http://localhost/pages/author/xuyang-zhao")
    assert graph.value(person, SDO.sameAs) == person
    alternates = {
        link["type"]: link["href"] for link in head.links if link.get("rel") == "alternate"
    }
    assert alternates["text/turtle"] == "/author/xuyang-zhao.ttl"
    assert alternates["application/ld+json"] == "/author/xuyang-zhao.jsonld"
    # The alternate is the entity's RDF.
    turtle = client.get(alternates["text/turtle"])
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"


@pytest.mark.parametrize(
    ("path", "kind", "facts"),
    [
        pytest.param("/venue/arxiv", "CreativeWorkSeries", {"name": "arXiv"}, id="venue"),
        pytest.param(
            "/org/mit",
            "Organization",
            {"name": "Massachusetts Institute of Technology", "identifier": "mit"},
            id="organization",
        ),
        pytest.param(
            "/repo/github.com/NKU-LITI/TARPO-master",
            "SoftwareSourceCode",
            {"name": "TARPO-master"},
            id="repository",
        ),
        pytest.param("/author/weiran-huang", "Person", {"name": "Weiran Huang"}, id="author"),
        pytest.param(f"/paper/{TARPO}", "ScholarlyArticle", {}, id="paper"),
    ],
)
def test_resource_pages_carry_their_schema_org_node(
    client: Any, path: str, kind: str, facts: dict[str, str]
) -> None:
    _, graph = _graph(_page(client, path))
    node = URIRef(TEST_BASE_IRI + path.lstrip("/"))
    assert (node, RDF.type, SDO[kind]) in graph
    for term, value in facts.items():
        assert graph.value(node, SDO[term]) == Literal(value)


def test_repository_links_its_code(client: Any) -> None:
    _, graph = _graph(_page(client, "/repo/github.com/NKU-LITI/TARPO-master"))
    node = URIRef(f"{TEST_BASE_IRI}repo/github.com/NKU-LITI/TARPO-master")
    assert graph.value(node, SDO.codeRepository) == URIRef(
        "https://github.com/NKU-LITI/TARPO-master"
    )


@pytest.mark.parametrize("path", ["/dumps", "/.well-known/void"], ids=["dumps", "void"])
def test_dumps_and_void_pages_carry_a_dataset(client: Any, path: str) -> None:
    _, graph = _graph(_page(client, path))
    dataset = URIRef(f"{TEST_BASE_IRI}.well-known/void#dataset")
    assert (dataset, RDF.type, SDO.Dataset) in graph
    assert graph.value(dataset, SDO.name) is not None
    assert len(str(graph.value(dataset, SDO.description))) >= 50
    assert graph.value(dataset, SDO.license) is not None
    downloads = {
        str(graph.value(d, SDO.contentUrl)): {str(f) for f in graph.objects(d, SDO.encodingFormat)}
        for d in graph.objects(dataset, SDO.distribution)
    }
    assert downloads[f"{TEST_BASE_IRI}dumps/kg.nq.gz"] == {
        "application/gzip",
        "application/n-quads",
    }
    assert downloads[f"{TEST_BASE_IRI}dumps/kg.ttl.gz"] == {"application/gzip", "text/turtle"}


def test_json_ld_block_cannot_close_its_script_element(client: Any) -> None:
    """A title with </script> stays inside the data block (|tojson escapes < and >)."""
    from kg_server.structured import scholarly_article

    app = client.application
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string(
            '<script type="application/ld+json">{{ data|tojson }}</script>',
            data=scholarly_article("http://x/p", "</script><b>x", url="http://x/", authors=[]),
        )
    assert re.fullmatch(r'<script type="application/ld\+json">[^<]*</script>', html)

"""Dereferencing minted IRIs, the ontology and the JSON-LD context (server/linked_data.py).

Every served document is parsed back by rdflib, and by Debian's ``rapper``
(raptor2-utils, installed by scripts/setup-raptor) where it can read the
format; without rapper those checks skip and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kg.rdf.namespace import DCTERMS, KG, PROV, SCHEMA
from tests.conftest import TEST_BASE_IRI, ingest_into

# --- helpers shared by the linked-data, dumps and VoID tests ----------------------------------

RDFLIB_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
MEDIA_TYPES = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "html": "text/html",
}
EXTENSIONS = {
    "turtle": "ttl",
    "jsonld": "jsonld",
    "ntriples": "nt",
    "rdfxml": "rdf",
    "html": "html",
}
#: rapper's parser names; raptor2 has no JSON-LD parser (rdflib alone checks JSON-LD).
RAPPER_PARSERS = {
    "turtle": "turtle",
    "ntriples": "ntriples",
    "rdfxml": "rdfxml",
    "nquads": "nquads",
    "trig": "trig",
}
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


def context_terms(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    return response.get_json(force=True)["@context"]  # type: ignore[no-any-return]


def parse_rdf(data: bytes, fmt: str, client: FlaskClient) -> Graph:
    """Parse a served document with rdflib; JSON-LD's remote @context is fetched from the app."""
    graph = Graph()
    if fmt == "jsonld":
        document = json.loads(data)
        assert document["@context"] == TEST_BASE_IRI + "context.jsonld"
        document["@context"] = context_terms(client)
        graph.parse(data=json.dumps(document), format="json-ld")
    else:
        graph.parse(data=data, format=RDFLIB_FORMATS[fmt], publicID=TEST_BASE_IRI)
    return graph


def rapper_count(data: bytes, fmt: str) -> int:
    """Statements ``rapper`` reads in ``data``; skips the test when rapper is not installed."""
    rapper = shutil.which("rapper")
    if rapper is None:
        pytest.skip(
            "rapper (raptor2-utils) is not installed: run scripts/setup-raptor for this check"
        )
    result = subprocess.run(
        [rapper, "-i", RAPPER_PARSERS[fmt], "-c", "-", TEST_BASE_IRI],
        input=data,
        capture_output=True,
        timeout=300,
        check=False,
    )
    text = result.stderr.decode(errors="replace")
    assert result.returncode == 0, text[-2000:]
    assert "Error" not in text and "Warning" not in text, text[-2000:]
    for line in text.splitlines():
        if "Parsing returned" in line:
            return int(line.split("returned", 1)[1].split()[0])
    raise AssertionError(f"no count in rapper's output: {text[-500:]}")


def path_of(iri: str) -> str:
    assert iri.startswith(TEST_BASE_IRI), iri
    return "/" + iri[len(TEST_BASE_IRI) :]


# --- samples of every kind of IRI ------------------------------------------------------------

#: kind -> (class, base-relative path prefix). The source graph is answered with its own content.
SAMPLE_CLASSES: dict[str, tuple[str, str]] = {
    "author": (str(SCHEMA.Person), "author/"),
    "paper": (str(SCHEMA.ScholarlyArticle), "paper/"),
    "repository": (str(SCHEMA.SoftwareSourceCode), "repo/"),
    "venue": (str(KG.Venue), "venue/"),
    "subject": ("http://www.w3.org/2004/02/skos/core#Concept", "subject/"),
    "subject-scheme": ("http://www.w3.org/2004/02/skos/core#ConceptScheme", "subject/"),
    "organization": (str(SCHEMA.Organization), "org/"),
    "profile": (str(KG.ProfileSnapshot), "profile/"),
    "source-graph": (str(KG.SourceDocument), "graph/"),
    "agent": (str(PROV.SoftwareAgent), "agent/"),
    "decision": (str(KG.IdentityDecision), "decision/"),
}
KINDS = list(SAMPLE_CLASSES)
RDF_KEYS = ["turtle", "jsonld", "ntriples", "rdfxml"]

FIXTURE_PROFILE = """Jane Testperson

LG
h-index3
2papers
10citations
Novelty50%
AI Score60

2 Papers

LGJan 5, 2025Code
A <script>alert("kg")</script> Study of Escaping & Other "Things"

Jane Testperson, Max Mustermann

We study escaping. Code: https://github.com/Test-Owner/repo.name.

CVFeb 30, 2024Code
Second Paper on Testing

Jane Testperson, Erika Musterfrau

An abstract. Code: https://github.com/Test-Owner/tool.rdf
"""
#: A source name that needs percent-encoding in its IRI (space, non-ASCII).
FIXTURE_SOURCE = "900 fixture é.txt"
SCRIPT_TITLE = 'A <script>alert("kg")</script> Study of Escaping & Other "Things"'


def _iris_of(store_folder: Path, cls: str, prefix: str) -> list[str]:
    from kg.store.embedded import KGStore

    store = KGStore.open_readonly(store_folder)
    rows = store.query(
        "SELECT DISTINCT ?s ?c WHERE { ?s a ?c } ORDER BY ?s",
        substitutions={"c": ox.NamedNode(cls)},
    )
    found = [row["s"].value for row in rows if isinstance(row["s"], ox.NamedNode)]
    store.close()
    return [iri for iri in found if iri.startswith(TEST_BASE_IRI + prefix)]


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of one small made-up profile (a <script> title, dotted repository names,
    an impossible date (a parse failure), a source name with a space and an é), plus an
    identity graph with a decision if identity resolution made none."""
    from kg.rdf.iri import IriScheme
    from kg.store.embedded import KGStore

    folder = tmp_path_factory.mktemp("ld-fixture-store")
    sources = tmp_path_factory.mktemp("ld-fixture-sources")
    (sources / FIXTURE_SOURCE).write_text(FIXTURE_PROFILE, encoding="utf-8")
    ingest_into(folder, sources)
    if not _iris_of(folder, str(KG.IdentityDecision), "decision/"):
        scheme = IriScheme(TEST_BASE_IRI)
        decision = scheme.decision("fixture: Jane Testperson")
        graph = scheme.identity_graph()
        lines = [
            f"<{decision}> <{RDF.type}> <{KG.IdentityDecision}> .\n",
            f'<{decision}> <{KG.decisionKind}> "merge" .\n',
            f'<{decision}> <{KG.decisionMethod}> "fixture" .\n',
            f"<{decision}> <{KG.decidedAuthor}> <{scheme.author('Jane Testperson')}> .\n",
        ]
        store = KGStore.open_writable(folder)
        store.load_new_graphs([line[:-3] + f" <{graph}> .\n" for line in lines] + lines)
        store.publish()
        store.close()
    return folder


@pytest.fixture(scope="module")
def fixture_app(fixture_store: Path) -> Iterator[Flask]:
    from kg_server.app import create_app

    application = create_app(
        {"store": str(fixture_store), "base_iri": TEST_BASE_IRI, "query_timeout": 10}
    )
    application.config["TESTING"] = True
    yield application
    application.extensions["kg"].backend.close()


@pytest.fixture()
def fixture_client(fixture_app: Flask) -> FlaskClient:
    return fixture_app.test_client()


@pytest.fixture(scope="module")
def samples(seed_store: Path, fixture_store: Path) -> dict[str, tuple[str, str]]:
    """kind -> (IRI, which store: "seed" or "fixture"); the seed store where it has one."""
    chosen: dict[str, tuple[str, str]] = {}
    for kind, (cls, prefix) in SAMPLE_CLASSES.items():
        for name, folder in (("seed", seed_store), ("fixture", fixture_store)):
            found = _iris_of(folder, cls, prefix)
            if found:
                # The middle one: neither the first nor the last in IRI order.
                chosen[kind] = (found[len(found) // 2], name)
                break
    missing = set(SAMPLE_CLASSES) - set(chosen)
    assert not missing, f"no sample IRI of kind {missing}"
    return chosen


@pytest.fixture()
def pick(
    samples: dict[str, tuple[str, str]], client: FlaskClient, fixture_client: FlaskClient
) -> Any:
    def choose(kind: str) -> tuple[str, FlaskClient]:
        iri, which = samples[kind]
        return iri, client if which == "seed" else fixture_client

    return choose


# --- every kind, every format ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", RDF_KEYS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_answers_in_every_rdf_format_by_accept(kind: str, fmt: str, pick: Any) -> None:
    iri, client = pick(kind)
    response = client.get(path_of(iri), headers={"Accept": MEDIA_TYPES[fmt]})
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == MEDIA_TYPES[fmt]
    graph = parse_rdf(response.data, fmt, client)
    assert (URIRef(iri), None, None) in graph, f"no triple about {iri}"
    assert response.headers["Content-Location"] == f"{path_of(iri)}.{EXTENSIONS[fmt]}"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("fmt", RDF_KEYS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_answers_by_extension_and_rapper_agrees(kind: str, fmt: str, pick: Any) -> None:
    iri, client = pick(kind)
    response = client.get(f"{path_of(iri)}.{EXTENSIONS[fmt]}", headers={"Accept": "image/png"})
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == MEDIA_TYPES[fmt]
    graph = parse_rdf(response.data, fmt, client)
    assert (URIRef(iri), None, None) in graph
    # The same statements whatever the format.
    turtle = client.get(f"{path_of(iri)}.ttl")
    assert isomorphic(graph, parse_rdf(turtle.data, "turtle", client))
    if fmt in RAPPER_PARSERS:
        assert rapper_count(response.data, fmt) == len(graph)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_answers_a_browser_with_html(kind: str, pick: Any) -> None:
    iri, client = pick(kind)
    response = client.get(path_of(iri), headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert iri in page
    assert "Content-Security-Policy" in response.headers
    for key in RDF_KEYS:
        assert f'href="{path_of(iri)}.{EXTENSIONS[key]}"' in page
    html = client.get(f"{path_of(iri)}.html")
    assert html.status_code == 200 and html.mimetype == "text/html"


# --- descriptions ---------------------------------------------------------------------------


def _turtle(client: FlaskClient, path: str) -> Graph:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.data[:300]
    return parse_rdf(response.data, "turtle", client)


def test_author_description_has_incoming_papers_with_titles(
    client: FlaskClient, seed_store: Path
) -> None:
    author = URIRef(TEST_BASE_IRI + "author/xuyang-zhao")
    graph = _turtle(client, path_of(str(author)))
    assert (author, URIRef(SCHEMA.name), Literal("Xuyang Zhao")) in graph
    papers = set(graph.subjects(URIRef(SCHEMA.author), author))
    assert len(papers) >= 10
    for paper in papers:
        assert graph.value(paper, URIRef(DCTERMS.title)) is not None, paper


def test_paper_description_includes_its_authorship_fragments(pick: Any) -> None:
    iri, client = pick("paper")
    paper = URIRef(iri)
    graph = _turtle(client, path_of(iri))
    authorships = set(graph.objects(paper, URIRef(PROV.qualifiedAttribution)))
    assert authorships
    for node in authorships:
        assert str(node).startswith(iri + "#author-")
        assert (node, RDF.type, URIRef(KG.Authorship)) in graph
        person = graph.value(node, URIRef(PROV.agent))
        assert person is not None and graph.value(person, URIRef(SCHEMA.name)) is not None
        assert graph.value(node, URIRef(KG.writtenName)) is not None
    # Linked resources come with their labels: the subject and the venue.
    for predicate in (DCTERMS.subject, DCTERMS.isPartOf):
        linked = graph.value(paper, URIRef(predicate))
        assert linked is not None
        assert any(True for _ in graph.predicate_objects(linked)), f"no label for {linked}"
    page = client.get(path_of(iri), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="author-1"' in page


def test_source_graph_is_served_as_its_own_content(
    fixture_client: FlaskClient, fixture_store: Path
) -> None:
    from kg.rdf.iri import IriScheme
    from kg.store.embedded import KGStore

    graph_iri = IriScheme(TEST_BASE_IRI).graph(FIXTURE_SOURCE)
    assert "%20" in graph_iri and "%C3%A9" in graph_iri
    store = KGStore.open_readonly(fixture_store)
    expected = {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads()
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph_iri
    }
    store.close()
    served = _turtle(fixture_client, path_of(graph_iri))
    assert len(served) == len(expected)
    assert (URIRef(graph_iri), RDF.type, URIRef(KG.SourceDocument)) in served
    failures = list(served.objects(URIRef(graph_iri), URIRef(KG.parseFailure)))
    assert failures and all(str(f).startswith(graph_iri + "#failure-") for f in failures)
    page = fixture_client.get(path_of(graph_iri), headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert 'id="failure-1"' in page


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/graph/900%20fixture%20%C3%A9.txt", id="as-minted"),
        pytest.param("/graph/900%20fixture%20%c3%a9.txt", id="lower-case-escapes"),
        pytest.param("/graph/900 fixture é.txt", id="unescaped"),
        pytest.param("/graph/%39%30%30%20fixture%20%C3%A9.txt", id="escaped-digits"),
    ],
)
def test_percent_encoding_is_normalised_to_the_minted_iri(
    fixture_client: FlaskClient, path: str
) -> None:
    from kg.rdf.iri import IriScheme

    graph_iri = IriScheme(TEST_BASE_IRI).graph(FIXTURE_SOURCE)
    response = fixture_client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert (URIRef(graph_iri), None, None) in parse_rdf(response.data, "turtle", fixture_client)
    assert response.headers["Content-Location"] == path_of(graph_iri) + ".ttl"


@pytest.mark.parametrize(
    "decoded, iri_path",
    [
        pytest.param("graph/a b.txt", "graph/a%20b.txt", id="space"),
        pytest.param(
            "graph/a%20b.txt", "graph/a%2520b.txt", id="literal-percent-not-decoded-twice"
        ),
        pytest.param(
            "repo/github.com/Some-Owner/x~y", "repo/github.com/Some-Owner/x~y", id="case-and-tilde"
        ),
        pytest.param("subject/", "subject/", id="trailing-slash"),
    ],
)
def test_iri_for_path_encodes_like_the_minting(app: Flask, decoded: str, iri_path: str) -> None:
    from kg_server.linked_data import iri_for_path

    with app.test_request_context("/"):
        assert iri_for_path(decoded) == TEST_BASE_IRI + iri_path


@pytest.mark.parametrize(
    "path, name",
    [
        pytest.param("/repo/github.com/Test-Owner/repo.name", "repo.name", id="dot-in-name"),
        pytest.param(
            "/repo/github.com/Test-Owner/repo.name.nt", "repo.name", id="dot-in-name-with-extension"
        ),
        pytest.param(
            "/repo/github.com/Test-Owner/tool.rdf", "tool.rdf", id="name-ending-in-an-extension"
        ),
        pytest.param(
            "/repo/github.com/Test-Owner/tool.rdf.ttl", "tool.rdf", id="that-name-with-extension"
        ),
    ],
)
def test_repository_paths_keep_case_and_dots(
    fixture_client: FlaskClient, path: str, name: str
) -> None:
    iri = f"{TEST_BASE_IRI}repo/github.com/Test-Owner/{name}"
    response = fixture_client.get(path)
    assert response.status_code == 200, response.data[:300]
    fmt = {
        "application/n-triples": "ntriples",
        "text/turtle": "turtle",
        "application/rdf+xml": "rdfxml",
    }[response.mimetype]
    graph = parse_rdf(response.data, fmt, fixture_client)
    assert (URIRef(iri), URIRef(SCHEMA.name), Literal(name)) in graph


def test_html_escapes_a_script_in_a_title(fixture_client: FlaskClient) -> None:
    from kg.rdf.iri import IriScheme

    paper = IriScheme(TEST_BASE_IRI).paper(SCRIPT_TITLE)
    response = fixture_client.get(path_of(paper), headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert (
        "&lt;script&gt;alert(&#34;kg&#34;)&lt;/script&gt;" in page or "&lt;script&gt;alert" in page
    )
    assert "<script" not in page.split("</head>", 1)[1].replace("<script src=", "")
    # The RDF keeps the title as it is.
    graph = parse_rdf(fixture_client.get(path_of(paper) + ".ttl").data, "turtle", fixture_client)
    assert (URIRef(paper), URIRef(DCTERMS.title), Literal(SCRIPT_TITLE)) in graph
    # So do the labels of the pages that link to it.
    author_page = fixture_client.get("/author/jane-testperson", headers={"Accept": "text/html"})
    assert "<script>alert" not in author_page.get_data(as_text=True)


def test_incoming_links_are_capped_and_the_cut_is_announced(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg_server import descriptions, linked_data

    venue = TEST_BASE_IRI + "venue/arxiv"
    full = _turtle(client, "/venue/arxiv")
    papers = set(full.subjects(URIRef(DCTERMS.isPartOf), URIRef(venue)))
    assert len(papers) > 10
    assert linked_data.TRUNCATED_HEADER not in client.get("/venue/arxiv.ttl").headers
    # The cap is applied where descriptions are built and shown where they are rendered.
    monkeypatch.setattr(descriptions, "INCOMING_LIMIT", 10)
    monkeypatch.setattr(linked_data, "INCOMING_LIMIT", 10)
    response = client.get("/venue/arxiv.ttl", headers={"Cache-Control": "no-cache"})
    assert response.headers[linked_data.TRUNCATED_HEADER] == "incoming-links; limit=10"
    cut = parse_rdf(response.data, "turtle", client)
    assert len(set(cut.subjects(URIRef(DCTERMS.isPartOf), URIRef(venue)))) == 10
    assert (URIRef(venue), URIRef(SCHEMA.name), Literal("arXiv")) in cut
    page = client.get("/venue/arxiv.html").get_data(as_text=True)
    assert "Only the first 10 incoming links are shown" in page


@pytest.fixture(scope="module")
def identity_graph(seed_store: Path, fixture_store: Path) -> tuple[str, Path, str]:
    """The identity graph's IRI, the store holding it, and which app serves that store."""
    from kg.rdf.iri import IriScheme
    from kg.store.embedded import KGStore

    iri = IriScheme(TEST_BASE_IRI).identity_graph()
    for name, folder in (("seed", seed_store), ("fixture", fixture_store)):
        store = KGStore.open_readonly(folder)
        found = iri in store.named_graphs()
        store.close()
        if found:
            return iri, folder, name
    raise AssertionError("no identity graph in either store")


@pytest.mark.parametrize("fmt", RDF_KEYS)
def test_identity_graph_is_served_as_a_document(
    identity_graph: tuple[str, Path, str],
    client: FlaskClient,
    fixture_client: FlaskClient,
    fmt: str,
) -> None:
    from kg.store.embedded import KGStore

    iri, folder, which = identity_graph
    http = client if which == "seed" else fixture_client
    store = KGStore.open_readonly(folder)
    expected = {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads()
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == iri
    }
    store.close()
    response = http.get(f"{path_of(iri)}.{EXTENSIONS[fmt]}")
    assert response.status_code == 200
    graph = parse_rdf(response.data, fmt, http)
    assert len(graph) == len(expected) > 0
    assert (None, RDF.type, URIRef(KG.IdentityDecision)) in graph
    if fmt in RAPPER_PARSERS:
        assert rapper_count(response.data, fmt) == len(graph)
    page = http.get(path_of(iri), headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and "IdentityDecision" in page.get_data(as_text=True)


# --- HTTP behaviour ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, expected",
    [
        pytest.param(None, "text/turtle", id="no-accept"),
        pytest.param("*/*", "text/turtle", id="anything"),
        pytest.param("application/ld+json", "application/ld+json", id="jsonld"),
        pytest.param("application/json", "application/ld+json", id="plain-json"),
        pytest.param("application/rdf+xml", "application/rdf+xml", id="rdfxml"),
        pytest.param("application/n-triples", "application/n-triples", id="ntriples"),
        pytest.param(
            "text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json", id="q-values"
        ),
        pytest.param("text/html;q=0.1, text/turtle", "text/turtle", id="html-less-preferred"),
        pytest.param(BROWSER_ACCEPT, "text/html", id="browser"),
    ],
)
def test_content_negotiation(client: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get("/author/xuyang-zhao", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


def test_unacceptable_accept_is_406_problem(client: FlaskClient) -> None:
    response = client.get("/author/xuyang-zhao", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["status"] == 406


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/author/no-such-person", id="unknown-author"),
        pytest.param("/author/no-such-person.ttl", id="unknown-with-extension"),
        pytest.param("/paper/nothing-000000", id="unknown-paper"),
        pytest.param("/repo/github.com/nobody/nothing", id="unknown-repository"),
        pytest.param("/graph/no-such-file.txt", id="unknown-graph"),
        pytest.param("/nothing-here/at-all", id="unknown-kind"),
    ],
)
def test_unknown_iri_is_404_problem(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["status"] == 404


def test_link_vary_and_content_location_headers(client: FlaskClient) -> None:
    path = "/author/xuyang-zhao"
    response = client.get(path, headers={"Accept": "application/ld+json"})
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Content-Location"] == path + ".jsonld"
    links = response.headers["Link"]
    for key, media_type in MEDIA_TYPES.items():
        assert f'<{path}.{EXTENSIONS[key]}>; rel="alternate"; type="{media_type}"' in links
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    fixed = client.get(path + ".nt")
    assert "Vary" not in fixed.headers or "Accept" not in fixed.headers["Vary"]
    assert "Content-Location" not in fixed.headers
    assert fixed.headers["Link"] == links


def test_etag_and_304(client: FlaskClient) -> None:
    first = client.get("/author/xuyang-zhao", headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    again = client.get(
        "/author/xuyang-zhao", headers={"Accept": "text/turtle", "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(
        "/author/xuyang-zhao", headers={"Accept": "application/ld+json", "If-None-Match": etag}
    )
    assert other.status_code == 200  # another variant, another tag


def test_head_is_answered_without_a_body(client: FlaskClient) -> None:
    response = client.head("/author/xuyang-zhao.ttl")
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == "text/turtle"


def test_iris_follow_the_configured_base(make_app: Any) -> None:
    """The path maps onto settings.base_iri: another base finds nothing of the seed's IRIs."""
    app = make_app(local=True, base_iri="https://elsewhere.example/kg/")
    response = app.test_client().get("/author/xuyang-zhao")
    assert response.status_code == 404
    assert (
        "https://elsewhere.example/kg/author/xuyang-zhao" in response.get_json(force=True)["detail"]
    )


def test_live_server_dereferences_percent_encoded_paths(live_server: Any) -> None:
    """Under granian (not only Flask's test client) the request path maps onto the IRI."""
    import urllib.request

    # "%65" is an escaped "e": the server decodes and re-encodes the path as the IRI was minted.
    request = urllib.request.Request(
        live_server.url + "/repo/github.com/597358816/EFRam%65",
        headers={"Accept": "application/n-triples"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("application/n-triples")
        data = response.read()
    graph = Graph().parse(data=data, format="nt")
    assert (URIRef(TEST_BASE_IRI + "repo/github.com/597358816/EFRame"), None, None) in graph


# --- the ontology and the context ------------------------------------------------------------

ONTOLOGY_IRI = URIRef("https://w3id.org/scholarly-kg/ontology")


@pytest.mark.parametrize("fmt", RDF_KEYS)
def test_ontology_in_every_format(client: FlaskClient, fmt: str) -> None:
    by_accept = client.get("/ontology", headers={"Accept": MEDIA_TYPES[fmt]})
    by_extension = client.get(f"/ontology.{EXTENSIONS[fmt]}")
    for response in (by_accept, by_extension):
        assert response.status_code == 200
        assert response.mimetype == MEDIA_TYPES[fmt]
    assert by_accept.headers["Content-Location"] == f"/ontology.{EXTENSIONS[fmt]}"
    graph = parse_rdf(by_accept.data, fmt, client)
    assert (ONTOLOGY_IRI, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Ontology")) in graph
    assert (
        URIRef(KG.ProfileSnapshot),
        RDF.type,
        URIRef("http://www.w3.org/2002/07/owl#Class"),
    ) in graph
    turtle = parse_rdf(client.get("/ontology.ttl").data, "turtle", client)
    assert isomorphic(graph, turtle)
    if fmt in RAPPER_PARSERS:
        assert rapper_count(by_accept.data, fmt) == len(graph)


def test_ontology_default_is_turtle_and_browsers_get_the_documentation(client: FlaskClient) -> None:
    assert client.get("/ontology").mimetype == "text/turtle"
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for term in ("ProfileSnapshot", "hIndex", "Authorship"):
        assert f'id="{term}"' in page
    assert response.headers["Vary"] == "Accept"
    assert client.get("/ontology.html").mimetype == "text/html"


def test_context_document(client: FlaskClient) -> None:
    response = client.get("/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    terms = response.get_json(force=True)["@context"]
    assert terms["schema"] == "https://schema.org/"
    assert terms["kg"] == "https://w3id.org/scholarly-kg/ontology#"


def test_author_and_paper_pages_are_linked_and_served(client: FlaskClient) -> None:
    """The linked-data HTML links the report-built entity page, which exists."""
    page = client.get("/author/xuyang-zhao.html").get_data(as_text=True)
    assert 'href="/pages/author/xuyang-zhao">Author page</a>' in page
    assert client.get("/pages/author/xuyang-zhao").status_code == 200

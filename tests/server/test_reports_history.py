"""The reports over time on the server (issue 18): the author page draws the metric history."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI

CHANGED = "000_ac1c864ae2d95ddb.txt"


def test_the_author_page_draws_the_metric_history(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/author/xuyang-zhao")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="metric-history"' in page
    island = re.search(
        r'<script type="application/json" id="metric-history-data">(.*?)</script>', page, re.S
    )
    assert island is not None
    spec = json.loads(island.group(1))
    text = json.dumps(spec)
    # One snapshot on the seed store (one crawl): its date and its h-index (39) are drawn.
    assert "2026-11-21" in text and "39" in text
    assert 'href="/reports/author-metric-history?author=' in page


def test_the_reports_over_time_are_listed(client) -> None:  # type: ignore[no-untyped-def]
    names = {r["name"] for r in client.get("/reports.json").get_json()["reports"]}
    assert {
        "author-metric-history",
        "papers-listed-since",
        "crawl-changes",
        "fastest-growing-authors",
    } <= names


# -- a store with history: VoID and dumps say so ----------------------------------------------


@pytest.fixture(scope="module")
def history_app(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[Flask]:
    """A store folder that saw the seeds on 2026-10-01 and again on 2026-11-01, one changed."""
    from kg_server.app import create_app

    from tests.server.conftest import close_app
    from tests.store.test_history import NOV, OCT, SCHEME, _changed

    folder = tmp_path_factory.mktemp("history-store") / "store"
    crawl = tmp_path_factory.mktemp("crawl")
    for name in ("a", "b"):
        shutil.copytree(seeds_dir, crawl / name)
    changed = crawl / "b" / CHANGED
    changed.write_text(_changed(changed.read_text(encoding="utf-8")), encoding="utf-8")
    store = KGStore.open_writable(folder)
    for path, day in ((crawl / "a", OCT), (crawl / "b", NOV)):
        ingest([path], store, scheme=SCHEME, as_of=day, resolution=IdentityResolution())
    store.close()
    app = create_app({"store": str(folder), "base_iri": TEST_BASE_IRI, "query_timeout": 10})
    app.config["TESTING"] = True
    yield app
    close_app(app)


def test_void_describes_the_history_subset(history_app: Flask) -> None:
    from rdflib import Graph, Literal, Namespace, URIRef

    void = Namespace("http://rdfs.org/ns/void#")
    graph = Graph().parse(
        data=history_app.test_client().get("/.well-known/void.ttl").data, format="turtle"
    )
    subset = URIRef(f"{TEST_BASE_IRI}.well-known/void#history")
    assert (URIRef(f"{TEST_BASE_IRI}.well-known/void#dataset"), void.subset, subset) in graph
    assert graph.value(subset, void.entities) == Literal(1)
    assert int(graph.value(subset, void.triples)) > 15  # the snapshot, its papers, provenance
    dumps = {str(o) for o in graph.objects(subset, void.dataDump)}
    assert dumps == {f"{TEST_BASE_IRI}dumps/kg.nq.gz", f"{TEST_BASE_IRI}dumps/kg.trig.gz"}


def test_the_nquads_dump_holds_the_history_graphs(history_app: Flask) -> None:
    client = history_app.test_client()
    response = client.get("/dumps/kg.nq.gz")
    try:
        body = gzip.decompress(response.data).decode("utf-8")
    finally:
        response.close()
    history = f"<{TEST_BASE_IRI}graph/_history/{CHANGED}/2026-10-01> .\n"
    assert sum(1 for line in body.splitlines(keepends=True) if line.endswith(history)) > 15

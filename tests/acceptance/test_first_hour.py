"""A new user's first hour, on the installed wheel, from an empty folder (issue 14).

The tests of this module share one working folder and run in file order, as a user would:
ingest, ingest again, serve, read reports, dumps and linked data, query, export, change a
page and ingest again, start a second server by mistake. Each asserts on what the user sees:
the command's output and exit status, HTTP status codes and bodies.

Each test was written against a defect of issue 14 (all fixed since); a defect found here
before its fix lands is marked xfail(strict=True, raises=AssertionError), which fails (XPASS)
as soon as the fix makes it pass, so that the mark is removed then.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import rdflib

from tests.acceptance.conftest import Server, Workdir

# An author and a page of the seeds (the reports' own example parameters name the same people).
SEED_PAGE = "000_ac1c864ae2d95ddb.txt"
SEED_TITLE = "TARPO: Token-Wise Latent-Explicit Reasoning via Action-Routing Policy Optimization"
CHANGED_TITLE = (
    "TARPO Revisited: Token-Wise Latent-Explicit Reasoning via Action-Routing Policy Optimization"
)
SEED_AUTHOR = "Xuyang Zhao"


@pytest.fixture(scope="module")
def ingested(workdir: Workdir) -> str:
    """`kg ingest profiles` with every default: the store goes to ./data/store."""
    return workdir.ok("ingest", "profiles")


@pytest.fixture(scope="module")
def server(workdir: Workdir, ingested: str) -> Server:
    """`kg serve` with its defaults (store ./data/store) on a free loopback port."""
    return workdir.serve().wait_ready()


def wait_for_new_version(server: Server, old: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = server.store_version()
        if version != old:
            return version
        time.sleep(0.3)
    raise AssertionError(f"the server still serves store version {old} after {timeout} s")


def stats(workdir: Workdir, *store: str) -> dict[str, int]:
    return json.loads(workdir.ok("stats", *store, "--format", "json"))  # type: ignore[no-any-return]


def test_ingest_stores_the_seeds_under_the_working_folder(workdir: Workdir, ingested: str) -> None:
    pages = len(list((workdir.path / "profiles").glob("*.txt")))
    assert f"{pages} added" in ingested
    assert (workdir.path / "data" / "store").is_dir()
    counts = stats(workdir)
    assert counts["profiles"] == pages
    assert counts["papers"] > 0 and counts["authors"] > 0


def test_second_unchanged_ingest_says_nothing_changed(workdir: Workdir, ingested: str) -> None:
    pages = len(list((workdir.path / "profiles").glob("*.txt")))
    before = stats(workdir)
    output = workdir.ok("ingest", "profiles")
    assert "0 added, 0 replaced" in output
    assert f"{pages} unchanged" in output
    assert stats(workdir) == before


def test_second_unchanged_ingest_publishes_no_new_version(workdir: Workdir, server: Server) -> None:
    version = server.store_version()
    etag = server.get("/reports/profiles.json").headers.get("etag")
    workdir.ok("ingest", "profiles")
    time.sleep(3)  # a newly published version reaches the server within a second
    assert server.store_version() == version
    assert server.get("/reports/profiles.json").headers.get("etag") == etag


def test_serve_answers_the_pages_a_user_opens(server: Server) -> None:
    for path in ("/", "/reports", "/dumps", "/.well-known/void", "/ontology"):
        response = server.get(path, accept="text/html")
        assert response.status == 200, f"GET {path}: {response.status} {response.text[:300]}"


def test_every_report_answers_rows_with_its_example_parameters(server: Server) -> None:
    listing = server.json("/reports.json")["reports"]
    assert listing, "no reports listed"
    empty = []
    for report in listing:
        if any(p["type"] == "date" for p in report["parameters"]):
            # A report over time compares crawl dates: this store holds one crawl, ingested
            # today. Their rows over two crawls: tests/server/test_reports_history.py.
            continue
        params = {
            p["name"]: str(p["example"])
            for p in report["parameters"]
            if p.get("example") is not None
        }
        path = f"/reports/{report['name']}.json"
        if params:
            path += "?" + urllib.parse.urlencode(params)
        document = server.json(path)
        if not document["rows"]:
            empty.append(path)
    assert not empty, f"reports without rows: {empty}"
    csv = server.get(
        "/reports/author-papers.csv?" + urllib.parse.urlencode({"author": SEED_AUTHOR})
    )
    assert csv.status == 200 and SEED_TITLE in csv.text


def test_every_dump_listed_downloads(server: Server) -> None:
    listing = server.json("/dumps")["dumps"]
    assert listing, "no dumps listed"
    for dump in listing:
        response = server.get(dump["path"])
        assert response.status == 200, f"GET {dump['path']}: {response.status}"
        assert gzip.decompress(response.body), f"{dump['path']} is empty"


def test_an_author_iri_dereferences_as_turtle_and_html(workdir: Workdir, server: Server) -> None:
    document = server.json(
        "/reports/author-papers.json?" + urllib.parse.urlencode({"author": SEED_AUTHOR})
    )
    iri = document["parameters"]["author"]
    path = urllib.parse.urlsplit(iri).path
    turtle = server.get(path, accept="text/turtle")
    assert turtle.status == 200, turtle.text[:300]
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef(iri), None, None) in graph
    html = server.get(path, accept="text/html")
    assert html.status == 200
    assert html.headers["content-type"].startswith("text/html")
    assert SEED_AUTHOR in html.text


def test_kg_query_counts_what_kg_stats_counts(workdir: Workdir, ingested: str) -> None:
    output = workdir.ok(
        "query",
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }",
        "--format",
        "json",
    )
    bindings = json.loads(output)["results"]["bindings"]
    assert int(bindings[0]["n"]["value"]) == stats(workdir)["papers"]


def test_kg_export_writes_a_relative_file_that_parses(workdir: Workdir, ingested: str) -> None:
    workdir.ok("export", "--format", "turtle", "--output", "export.ttl")
    graph = rdflib.Graph().parse(workdir.path / "export.ttl", format="turtle")
    assert len(graph) == stats(workdir)["triples"]


def test_kg_export_into_a_missing_folder_is_a_one_line_error(
    workdir: Workdir, ingested: str
) -> None:
    done = workdir.kg("export", "--format", "turtle", "--output", "no/such/folder/x.ttl")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "no/such/folder" in done.stderr


def test_reingest_of_a_changed_page_reaches_the_server(workdir: Workdir, server: Server) -> None:
    page = workdir.path / "profiles" / SEED_PAGE
    text = page.read_text(encoding="utf-8")
    assert SEED_TITLE in text
    version = server.store_version()
    page.write_text(text.replace(SEED_TITLE, CHANGED_TITLE), encoding="utf-8")
    output = workdir.ok("ingest", "profiles")
    assert "1 replaced" in output
    wait_for_new_version(server, version)
    csv = server.get(
        "/reports/author-papers.csv?" + urllib.parse.urlencode({"author": SEED_AUTHOR})
    )
    assert csv.status == 200
    assert CHANGED_TITLE in csv.text
    assert SEED_TITLE not in csv.text.replace(CHANGED_TITLE, "")


def test_second_serve_on_a_busy_port_fails(workdir: Workdir, server: Server) -> None:
    second = workdir.serve(port=server.port)
    try:
        second.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    finally:
        second.stop()
    assert second.process.returncode not in (None, 0, -15), second.output
    assert re.search(r"address already in use", second.output, re.IGNORECASE), second.output
    assert "Traceback" not in second.output
    assert server.get("/healthz").status == 200


def test_a_store_ingested_with_a_base_iri_is_served_under_it(workdir: Workdir) -> None:
    base = "https://kg.example.org/"
    workdir.ok("ingest", "--store", "based", "--base-iri", base, "profiles")
    server = workdir.serve("--store", "based").wait_ready()
    try:
        document = server.json(
            "/reports/author-papers.json?" + urllib.parse.urlencode({"author": SEED_AUTHOR})
        )
        assert document["rows"], "a report looked up by name found nothing"
        iri = document["parameters"]["author"]
        assert iri.startswith(base)
        turtle = server.get(urllib.parse.urlsplit(iri).path, accept="text/turtle")
        assert turtle.status == 200, turtle.text[:300]
        assert iri in turtle.text
    finally:
        server.stop()


def test_kg_compact_publishes_the_store_as_it_was_served(workdir: Workdir) -> None:
    base = "https://kg.example.org/"
    workdir.ok("ingest", "--store", "compacted", "--base-iri", base, "profiles")
    output = workdir.ok("compact", "--store", "compacted")  # the store's base IRI, not asked
    assert "published" in output, output
    server = workdir.serve("--store", "compacted").wait_ready()
    try:
        document = server.json("/reports/organizations.json")
        assert document["rows"], "the precomputed organizations report lost its rows"
        assert all(row["org"].startswith(base) for row in document["rows"])
        # The warm-up runs beside the requests: a readiness probe waits for it, as here
        # (on a loaded machine it took longer than the request above).
        deadline = time.monotonic() + 60
        while not server.json("/healthz")["reports_warm"] and time.monotonic() < deadline:
            time.sleep(0.3)
        assert server.json("/healthz")["reports_warm"] is True
    finally:
        server.stop()


def test_two_people_in_files_of_the_same_name_are_not_lost(
    workdir: Workdir, seeds_dir: Path
) -> None:
    seeds = sorted(seeds_dir.glob("*.txt"))
    for folder, seed in (("a", seeds[0]), ("b", seeds[1])):
        (workdir.path / "same" / folder).mkdir(parents=True)
        (workdir.path / "same" / folder / "profile.txt").write_bytes(seed.read_bytes())

    # Both folders at once: both people stored, or a refusal naming both files.
    together = workdir.kg("ingest", "--store", "together", "same/a", "same/b")
    if together.returncode == 0:
        assert stats(workdir, "--store", "together")["profiles"] == 2
    else:
        assert "Traceback" not in together.stderr
        assert "a/profile.txt" in together.stderr and "b/profile.txt" in together.stderr
    # One after the other: the second person is stored beside the first, or refused with a
    # message naming the file; the first person is never replaced.
    workdir.ok("ingest", "--store", "apart", "same/a")
    after = workdir.kg("ingest", "--store", "apart", "same/b")
    if after.returncode == 0:
        assert stats(workdir, "--store", "apart")["profiles"] == 2
    else:
        assert "Traceback" not in after.stderr
        assert "b/profile.txt" in after.stderr
        assert stats(workdir, "--store", "apart")["profiles"] == 1
    first = json.loads(
        workdir.ok(
            "report",
            "--store",
            "apart",
            "author-profiles",
            "--param",
            f"author={SEED_AUTHOR}",
            "--format",
            "json",
        )
    )
    assert first["rows"], f"{SEED_AUTHOR}, stored first, is gone"


def test_the_installed_package_is_the_one_running(workdir: Workdir) -> None:
    # Guards the suite itself: the subprocesses must run the wheel, never the checkout.
    done = subprocess.run(
        [
            str(workdir.installed.python),
            "-c",
            "import kg, kg_server; print(kg.__file__); print(kg_server.__file__)",
        ],
        cwd=workdir.path,
        env=workdir.installed.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.split():
        assert str(workdir.installed.venv) in line, done.stdout

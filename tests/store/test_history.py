"""Profiles over time (issue 18): a changed profile's replaced snapshot is kept in a history
graph, the reports over time read it, and the current state is exactly a plain ingest's.

The crawls: the five seed profiles copied on 2026-10-01, then again on 2026-11-01 with
one profile changed (h-index 39 -> 41, one more paper).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.pipeline import history
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
CHANGED = "000_ac1c864ae2d95ddb.txt"
OWNER = f"{TEST_BASE_IRI}author/xuyang-zhao"
NEW_TITLE = "Temporal Snapshots of Scholarly Profiles: A Study in Growth"
NEW_ENTRY = f"""LGNov 1, 2026Code
{NEW_TITLE}

Xuyang Zhao, Ada Lovelace

We study how researcher profiles change between crawls.

"""
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
#: The reports over time: every other report reads the current state only.
HISTORY_REPORTS = {
    "author-metric-history",
    "papers-listed-since",
    "crawl-changes",
    "fastest-growing-authors",
}
REPORTS = load_reports()
SEEDS = [
    "000_ac1c864ae2d95ddb.txt",
    "001_567876b7f542bf29.txt",
    "002_9773ab9e62c767ff.txt",
    "003_7707062aadfcc580.txt",
    "004_6a2e0b437ba59670.txt",
]


def _changed(text: str) -> str:
    assert "h-index39\n" in text and "15papers\n" in text and "\n15 Papers\n\n" in text
    text = text.replace("h-index39\n", "h-index41\n", 1).replace("15papers\n", "16papers\n", 1)
    return text.replace("\n15 Papers\n\n", "\n16 Papers\n\n" + NEW_ENTRY, 1)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """CRAWLS/2026-10-01 (the seeds) and CRAWLS/2026-11-01 (one profile changed)."""
    root = tmp_path_factory.mktemp("crawls")
    for day in (OCT, NOV):
        shutil.copytree(seeds_dir, root / day.isoformat())
    changed = root / NOV.isoformat() / CHANGED
    changed.write_text(_changed(changed.read_text(encoding="utf-8")), encoding="utf-8")
    return root


def _ingest(store: KGStore, path: Path, day: date, **options: Any) -> Any:
    return ingest(
        [path],
        store,
        scheme=SCHEME,
        as_of=day,
        resolution=IdentityResolution(),
        progress=False,
        **options,
    )


@pytest.fixture(scope="module")
def two_crawls(crawls: Path) -> KGStore:
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    report = _ingest(store, crawls / NOV.isoformat(), NOV)
    assert (report.count("replaced"), report.count("unchanged")) == (1, 4)
    return store


@pytest.fixture(scope="module")
def plain(crawls: Path) -> KGStore:
    """A store that only ever saw the second crawl."""
    store = KGStore.in_memory()
    _ingest(store, crawls / NOV.isoformat(), NOV)
    return store


def _run(store: KGStore, name: str, **params: str) -> list[dict[str, Any]]:
    runner = ReportRunner(REPORTS, LocalBackend(store), SCHEME)
    report = REPORTS.get_report(name)
    return runner.run(report, runner.bind(report, params)).records()


# -- the "Done when" of issue 18 ---------------------------------------------------------------


def test_the_changed_author_has_a_two_point_metric_history(two_crawls: KGStore) -> None:
    rows = _run(two_crawls, "author-metric-history", author="Xuyang Zhao")
    assert [(r["date"], r["h_index"], r["listed_papers"], r["current"]) for r in rows] == [
        ("2026-10-01", 39, 15, False),
        ("2026-11-01", 41, 16, True),
    ]
    assert {r["source"] for r in rows} == {CHANGED}


def test_the_new_paper_is_listed_as_new_since_mid_october(two_crawls: KGStore) -> None:
    rows = _run(two_crawls, "papers-listed-since", since="2026-10-15")
    assert [(r["paper_title"], r["first_listed"]) for r in rows] == [(NEW_TITLE, "2026-11-01")]
    assert len(_run(two_crawls, "papers-listed-since", since="2026-10-01")) > 50
    for params in ({"author": "Xuyang Zhao"}, {"subject": "LG"}):
        assert [
            r["paper_title"]
            for r in _run(two_crawls, "papers-listed-since", since="2026-10-15", **params)
        ] == [NEW_TITLE]
    assert _run(two_crawls, "papers-listed-since", since="2026-10-15", author="Weiran Huang") == []


def test_the_between_crawls_report_shows_the_change(two_crawls: KGStore) -> None:
    rows = _run(two_crawls, "crawl-changes", **{"from": "2026-10-01", "to": "2026-11-01"})
    changes = {(r["source"], r["change"], r["what_label"], r["before"], r["after"]) for r in rows}
    assert changes == {
        (CHANGED, "metric changed", "h_index", 39, 41),
        (CHANGED, "metric changed", "profile_papers", 15, 16),
        (CHANGED, "metric changed", "declared_papers", 15, 16),
        (CHANGED, "paper added", NEW_TITLE, None, None),
    }
    assert {r["owner"] for r in rows} == {OWNER}
    before = _run(two_crawls, "crawl-changes", **{"from": "2026-09-01", "to": "2026-10-01"})
    assert {r["change"] for r in before} == {"profile added"} and len(before) == 5
    growth = _run(
        two_crawls,
        "fastest-growing-authors",
        **{"from": "2026-10-01", "to": "2026-11-01", "metric": "h_index"},
    )
    assert (growth[0]["author"], growth[0]["growth"]) == (OWNER, 2)
    assert all(r["growth"] == 0 for r in growth[1:])


UNNAMED = "009_unnamed.txt"


def _unnamed(text: str, h_index: int) -> str:
    """Seed 001 without its header name: every entry is cut by 'et al.', so no owner can be
    told (kg.parse.header: confidence "none")."""
    assert text.startswith("Lizhu Zhang\n") and "h-index12\n" in text
    return text.removeprefix("Lizhu Zhang\n").replace("h-index12\n", f"h-index{h_index}\n", 1)


def test_a_page_without_an_owner_grows_as_one_row(tmp_path: Path, seeds_dir: Path) -> None:
    """A page whose owner is unknown is one row with no author: the owner's name was looked
    up through an unbound ?author, which matched every author of the store (one row each)."""
    store = KGStore.in_memory()
    seed = (seeds_dir / "001_567876b7f542bf29.txt").read_text(encoding="utf-8")
    for day, h_index in ((OCT, 12), (NOV, 15)):
        folder = tmp_path / day.isoformat()
        shutil.copytree(seeds_dir, folder)
        (folder / UNNAMED).write_text(_unnamed(seed, h_index), encoding="utf-8")
        _ingest(store, folder, day)
    growth = _run(
        store,
        "fastest-growing-authors",
        **{"from": "2026-10-01", "to": "2026-11-01", "metric": "h_index"},
    )
    assert [(r["source"], r["author"], r["growth"]) for r in growth[:1]] == [(UNNAMED, None, 3)]
    # One row a page that shows an h-index (seed 002 shows no metrics).
    assert sorted(r["source"] for r in growth) == sorted(
        [*(s for s in SEEDS if not s.startswith("002_")), UNNAMED]
    )
    changes = _run(store, "crawl-changes", **{"from": "2026-10-01", "to": "2026-11-01"})
    assert [
        (r["source"], r["what_label"], r["before"], r["after"], r["owner"]) for r in changes
    ] == [(UNNAMED, "h_index", 12, 15, None)]


def _example(name: str) -> dict[str, str]:
    return {
        p.name: p.example
        for p in REPORTS[name].parameters
        if p.example is not None and (p.required or p.default is None)
    }


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=n) for n in sorted(REPORTS) if n not in HISTORY_REPORTS]
)
def test_current_state_reports_equal_a_plain_ingest_of_the_second_crawl(
    two_crawls: KGStore, plain: KGStore, name: str
) -> None:
    params = _example(name)
    kept = json.dumps(_run(two_crawls, name, **params), sort_keys=True, default=str)
    fresh = json.dumps(_run(plain, name, **params), sort_keys=True, default=str)
    assert kept == fresh


def _default_graph(store: KGStore) -> set[str]:
    """The default graph's triples, but the parse times (each run has its own)."""
    skip = (
        "<http://www.w3.org/ns/prov#generatedAtTime>",
        "<http://www.w3.org/ns/prov#endedAtTime>",
    )
    rows = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    return {f"{r['s']} {r['p']} {r['o']}" for r in rows if str(r["p"]) not in skip}


def test_queries_naming_no_graph_see_the_current_state_only(
    two_crawls: KGStore, plain: KGStore
) -> None:
    assert _default_graph(two_crawls) == _default_graph(plain)
    assert [h.source for h in history.history_graphs(two_crawls, SCHEME)] == [CHANGED]
    assert set(two_crawls.sources()) == set(plain.sources())


# -- what a history graph holds ----------------------------------------------------------------


def test_the_history_graph_keeps_the_replaced_snapshot_with_provenance(
    two_crawls: KGStore,
) -> None:
    graph = SCHEME.history_graph(CHANGED, OCT)
    snapshot = graph + "#snapshot"
    rows = list(
        two_crawls.query(
            """PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
            PREFIX prov: <http://www.w3.org/ns/prov#>
            PREFIX dcterms: <http://purl.org/dc/terms/>
            SELECT ?g ?d ?h ?sha ?parsed ?until ?spec ?head WHERE { GRAPH ?g {
              ?s a kg:ArchivedSnapshot , kg:ProfileSnapshot ; dcterms:date ?d ; kg:hIndex ?h ;
                 prov:invalidatedAtTime ?until ; prov:specializationOf ?spec ;
                 prov:wasDerivedFrom ?src .
              ?src a kg:SourceDocument ; kg:sha256 ?sha ; prov:generatedAtTime ?parsed ;
                 dcterms:identifier ?id .
              ?head prov:wasRevisionOf ?s } }""",
            substitutions={"g": ox.NamedNode(graph)},
        )
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row["d"].value, row["h"].value) == ("2026-10-01", "39")
    assert row["until"].value.startswith("2026-11-01")
    assert row["spec"].value == row["head"].value == SCHEME.profile(CHANGED)
    assert len(row["sha"].value) == 64 and row["parsed"].value
    listed = two_crawls.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <https://w3id.org/scholarly-kg/ontology#listsPaper> ?p } } GROUP BY ?g",
        substitutions={"g": ox.NamedNode(graph)},
    )
    assert [int(r["n"].value) for r in listed] == [15]
    assert snapshot in {r.snapshot for r in history.history_graphs(two_crawls, SCHEME)}


def test_history_graphs_conform_to_the_shapes(two_crawls: KGStore) -> None:
    from pyshacl import validate
    from rdflib import Dataset, Graph, URIRef

    from kg.rdf import ontology

    data = Graph()
    for fmt_graph in [SCHEME.history_graph(CHANGED, OCT), SCHEME.graph(CHANGED)]:
        out = __import__("io").BytesIO()
        two_crawls.dump(out, "ntriples", graph=fmt_graph)
        data.parse(data=out.getvalue().decode(), format="nt")
    assert Dataset  # the history graph and the current graph of the page, merged
    focus = [
        URIRef(SCHEME.history_graph(CHANGED, OCT) + "#snapshot"),
        URIRef(SCHEME.history_graph(CHANGED, OCT) + "#source"),
    ]
    conforms, _report, text = validate(
        data,
        shacl_graph=ontology.shapes_graph(),
        ont_graph=ontology.ontology_graph(),
        inference="none",
        focus_nodes=focus,
    )
    assert conforms, text


# -- what adds history and what does not -------------------------------------------------------


def test_an_unchanged_reingest_adds_nothing(crawls: Path) -> None:
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    _ingest(store, crawls / NOV.isoformat(), NOV)
    quads, writes = store.count_quads(), store.writes
    _ingest(store, crawls / NOV.isoformat(), NOV)
    assert (store.count_quads(), store.writes) == (quads, writes)
    # Copied again later, unchanged: the current snapshots move to that date, no history
    # snapshot is added; only the changed page's first-copy date is recorded (one quad).
    _ingest(store, crawls / NOV.isoformat(), date(2026, 12, 1))
    assert store.count_quads() == quads + 1
    assert len(history.history_graphs(store, SCHEME)) == 1
    rows = _run(store, "author-metric-history", author="Xuyang Zhao")
    assert [(r["date"], r["last_copied"], r["h_index"]) for r in rows] == [
        ("2026-10-01", "2026-10-01", 39),
        ("2026-11-01", "2026-12-01", 41),
    ]
    weiran = _run(store, "author-metric-history", author="Weiran Huang")
    assert [(r["date"], r["last_copied"]) for r in weiran] == [("2026-10-01", "2026-12-01")]


def test_a_change_on_the_same_day_corrects_that_days_snapshot(crawls: Path) -> None:
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), NOV)
    _ingest(store, crawls / NOV.isoformat(), NOV)
    assert history.history_graphs(store, SCHEME) == []


def test_a_paper_no_profile_lists_any_more_leaves_the_default_graph(
    crawls: Path, tmp_path: Path
) -> None:
    """The retraction from the union ignores history graphs (which keep the paper's title)."""
    store = KGStore.in_memory()
    _ingest(store, crawls / NOV.isoformat(), OCT)
    _ingest(store, crawls / OCT.isoformat(), NOV)  # the paper is gone again
    ask = "ASK { ?paper <http://purl.org/dc/terms/title> ?title }"
    title = ox.Literal(NEW_TITLE)
    assert not store.query(ask.replace("?title", str(title)))
    assert store.query(f"ASK {{ GRAPH ?g {{ ?paper <http://purl.org/dc/terms/title> {title} }} }}")
    rows = _run(store, "crawl-changes", **{"from": "2026-10-01", "to": "2026-11-01"})
    assert (CHANGED, "paper removed", NEW_TITLE) in {
        (r["source"], r["change"], r["what_label"]) for r in rows
    }


def test_prune_keeps_history_unless_asked(crawls: Path, tmp_path: Path) -> None:
    smaller = tmp_path / "2026-12-01"
    shutil.copytree(crawls / NOV.isoformat(), smaller)
    (smaller / CHANGED).unlink()
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    _ingest(store, crawls / NOV.isoformat(), NOV)
    _ingest(store, smaller, date(2026, 12, 1), prune=True)
    assert [(h.source, h.day) for h in history.history_graphs(store, SCHEME)] == [
        (CHANGED, OCT),
        (CHANGED, NOV),
    ]
    rows = _run(store, "author-metric-history", author="Xuyang Zhao")
    assert [(r["date"], r["h_index"], r["current"]) for r in rows] == [
        ("2026-10-01", 39, False),
        ("2026-11-01", 41, False),
    ]
    removed = _run(store, "crawl-changes", **{"from": "2026-11-01", "to": "2026-12-01"})
    assert [(r["source"], r["change"]) for r in removed] == [(CHANGED, "profile removed")]
    # The revision chain: the November snapshot revised the October one.
    chain = store.query(
        "ASK { GRAPH ?g { ?nov <http://www.w3.org/ns/prov#wasRevisionOf> ?oct } }".replace(
            "?nov", f"<{SCHEME.history_graph(CHANGED, NOV)}#snapshot>"
        ).replace("?oct", f"<{SCHEME.history_graph(CHANGED, OCT)}#snapshot>")
    )
    assert chain
    dropped = history.drop_history(store, SCHEME, before=NOV)
    assert [(h.source, h.day) for h in dropped] == [(CHANGED, OCT)]
    assert [h.day for h in history.history_graphs(store, SCHEME)] == [NOV]


def test_prune_history_drops_a_removed_profiles_history(crawls: Path, tmp_path: Path) -> None:
    smaller = tmp_path / "crawl"
    shutil.copytree(crawls / NOV.isoformat(), smaller)
    (smaller / CHANGED).unlink()
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    _ingest(store, crawls / NOV.isoformat(), NOV)
    _ingest(store, smaller, date(2026, 12, 1), prune=True, prune_history=True)
    assert history.history_graphs(store, SCHEME) == []


@pytest.mark.parametrize(
    "names, problem",
    [
        pytest.param(["2026-10-01", "notes"], "notes", id="not-a-date"),
        pytest.param(["2026-13-01"], "2026-13-01", id="impossible-date"),
        pytest.param([], "no crawl sub-folders", id="empty"),
    ],
)
def test_dated_crawls_name_what_is_wrong(tmp_path: Path, names: list[str], problem: str) -> None:
    for name in names:
        (tmp_path / name).mkdir()
    with pytest.raises(ValueError, match=problem):
        history.dated_crawls(tmp_path)


def test_dated_crawls_are_taken_oldest_first(tmp_path: Path) -> None:
    for name in ("2026-11-01", "2026-01-15", ".hidden"):
        (tmp_path / name).mkdir()
    assert [d.isoformat() for d, _ in history.dated_crawls(tmp_path)] == [
        "2026-01-15",
        "2026-11-01",
    ]


# -- a page printed anew without anything new ----------------------------------------------------

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
#: A dateline without a year (PROFILE_FORMAT.md: CAT MON " " DAY ["Code"]).
_YEARLESS = re.compile(rf"^([A-Z]+?)({_MONTHS}) (\d{{1,2}})(Code)?$", re.MULTILINE)


def _printed_next_year(text: str, year: int) -> str:
    """The page as the site prints it once ``year`` is over: every date with its year."""
    return _YEARLESS.sub(lambda m: f"{m[1]}{m[2]} {m[3]}, {year}{m[4] or ''}", text)


def test_a_page_printed_anew_with_the_same_content_adds_no_history(
    seeds_dir: Path, tmp_path: Path
) -> None:
    """In January the site prints last year's dates with their year: every such page changes
    its bytes, not what it says. Its snapshot is not archived (an archive would differ from
    the next snapshot only by its date); the first copy's date is kept, as for an unchanged
    page, and the current state is what a plain ingest of the new crawl gives."""
    copied, january = date(2026, 11, 21), date(2027, 1, 15)
    reprinted = tmp_path / "2027-01-15"
    reprinted.mkdir()
    changed = []
    for page in sorted(seeds_dir.glob("*.txt")):
        text = page.read_text(encoding="utf-8")
        new = _printed_next_year(text, copied.year)
        if new != text:
            changed.append(page.name)
        (reprinted / page.name).write_text(new, encoding="utf-8")
    assert changed  # the seeds print dates of 2026 without their year

    store = KGStore.in_memory()
    _ingest(store, seeds_dir, copied)
    report = _ingest(store, reprinted, january)
    assert report.count("replaced") == len(changed)
    assert history.history_graphs(store, SCHEME) == []
    rows = _run(store, "author-metric-history", author="Xuyang Zhao")
    assert [(r["date"], r["last_copied"], r["h_index"]) for r in rows] == [
        ("2026-11-21", "2027-01-15", 39)
    ]
    fresh = KGStore.in_memory()
    _ingest(fresh, reprinted, january)
    assert _default_graph(store) == _default_graph(fresh)


def test_a_page_printed_anew_with_new_content_is_archived(crawls: Path, tmp_path: Path) -> None:
    """The same reprint, with one profile's h-index changed too: that snapshot is kept."""
    january = date(2027, 1, 15)
    reprinted = tmp_path / "2027-01-15"
    shutil.copytree(crawls / OCT.isoformat(), reprinted)
    for page in reprinted.glob("*.txt"):
        page.write_text(
            _printed_next_year(page.read_text(encoding="utf-8"), 2026), encoding="utf-8"
        )
    page = reprinted / CHANGED
    page.write_text(page.read_text(encoding="utf-8").replace("h-index39\n", "h-index40\n", 1))
    store = KGStore.in_memory()
    _ingest(store, crawls / OCT.isoformat(), OCT)
    _ingest(store, reprinted, january)
    assert [h.source for h in history.history_graphs(store, SCHEME)] == [CHANGED]


def test_the_date_update_moves_the_union_copy_where_the_store_keeps_it() -> None:
    """An external store keeps the union in a named graph (kg.store.remote): the date update
    names it there, and leaves the update's default graph (not the union) alone."""
    store = KGStore.in_memory()
    source, union = "a.txt", f"{TEST_BASE_IRI}graph/_union"
    date_p = "http://purl.org/dc/terms/date"
    old = f'"{OCT.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'
    triple = f"<{SCHEME.profile(source)}> <{date_p}> {old}"
    store.update(f"INSERT DATA {{ GRAPH <{SCHEME.graph(source)}> {{ {triple} }} }}")
    store.update(f"INSERT DATA {{ GRAPH <{union}> {{ {triple} }} }}")
    store.update(history.redate_update(SCHEME, [source], NOV, union_graph=union))
    rows = store.query(
        f"SELECT ?g ?d WHERE {{ GRAPH ?g {{ <{SCHEME.profile(source)}> <{date_p}> ?d }} }}"
    )
    assert {(r["g"].value, r["d"].value) for r in rows} == {
        (SCHEME.graph(source), NOV.isoformat()),
        (union, NOV.isoformat()),
    }
    default = f"ASK {{ <{SCHEME.profile(source)}> <{date_p}> ?d }}"
    assert not store.query(default)

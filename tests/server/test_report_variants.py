"""Report variants (``# variant:`` header lines, kg.reports.definitions): a request that gives
the parameter runs the variant's query, which starts from what the parameter names, and gets
the rows the report's own query gives, in the same order, for every value in the data.

papers-listed-since is the report that declares them (author, organization, subject): its
query reads every paper of the store, its variants only the given entity's papers. The stores
have several crawls, so that ``since`` picks some papers and not others: the seed profiles
copied on three dates (one profile changed on each later one), and a small generated corpus
copied twice, a fifth of its pages changed the second time as bench.history changes them.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.history import changed_page
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.reports import runner as runner_module
from kg.reports.catalog import load_reports, validate_report
from kg.reports.definitions import (
    QUERIES_DIR,
    Report,
    ReportDefinitionError,
    Reports,
    parse_report,
)
from kg.reports.precompute import precompute_store
from kg.reports.runner import ReportRunner
from kg.reports.stored import PrecomputedReports
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend, QueryRequest
from kg.tools.generate import DEFAULT_AS_OF, generate
from kg.tools.generate.abstracts import Vocabulary
from kg.tools.generate.text import hash_title
from tests.conftest import TEST_BASE_IRI
from tests.server.recording import RecordingBackend
from tests.store.test_crawl_defaults import DEC, NOV, OCT, crawl_folders, ingest_crawls

SCHEME = IriScheme(TEST_BASE_IRI)
NAME = "papers-listed-since"
SCHEMA, DCTERMS = "https://schema.org/", "http://purl.org/dc/terms/"
#: The generated corpus: its first copy, and a month later a fifth of its pages changed.
FIRST, SECOND = DEFAULT_AS_OF, date(2026, 12, 21)


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


def _generated_crawls(root: Path) -> Path:
    """A generated corpus ingested on FIRST, then again on SECOND with a fifth of its pages
    changed (one more paper each, of the month before)."""
    corpus = root / "corpus"
    generate(300, corpus, seed=7)
    truth = json.loads((corpus / "truth.json").read_text(encoding="utf-8"))
    used = {hash_title(entry[2]) for page in truth["files"] for entry in page["entries"]}
    folder = root / "store"
    store = KGStore.open_writable(folder)
    try:
        ingest(
            [corpus / "profiles"],
            store,
            scheme=SCHEME,
            as_of=FIRST,
            resolution=IdentityResolution(),
            progress=False,
        )
        rng, vocabulary = random.Random(7), Vocabulary(7)
        files = sorted((corpus / "profiles").rglob("*.txt"))
        for path in rng.sample(files, len(files) // 5):
            lab = int(path.name.split("_", 1)[0])  # {lab:06d}_{owner}_{digest}.txt
            text = changed_page(
                path.read_text(encoding="utf-8"), SECOND, rng, used, vocabulary, lab
            )
            path.write_text(text, encoding="utf-8")
        ingest(
            [corpus / "profiles"],
            store,
            scheme=SCHEME,
            as_of=SECOND,
            resolution=IdentityResolution(),
            progress=False,
        )
    finally:
        store.close()
    return folder


@pytest.fixture(scope="module", params=["seeds", "generated"])
def store_and_dates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path
) -> Iterator[tuple[KGStore, tuple[date, ...]]]:
    """A store of several crawls (read it, never write it) and its crawl dates."""
    root = tmp_path_factory.mktemp(f"variants-{request.param}")
    if request.param == "seeds":
        days: tuple[date, ...] = (OCT, NOV, DEC)
        folder = root / "store"
        ingest_crawls(folder, crawl_folders(root / "crawls", seeds_dir), days)
    else:
        days = (FIRST, SECOND)
        folder = _generated_crawls(root)
    store = KGStore.open_readonly(folder)
    yield store, days
    store.close()


def _column(store: KGStore, query: str) -> list[str]:
    return sorted({row[0].value for row in store.query(query)})


def _values(store: KGStore, runner: ReportRunner, latest: date) -> dict[str, list[str]]:
    """The values of each entity parameter that requests give: the authors of the papers
    first listed by the latest crawl and 20 others (every author would take minutes of the
    report's own query), every organization tag and name (as stored, in capitals), every
    subject; and for each one value that names nothing."""
    orgs = _column(
        store,
        f"SELECT ?v WHERE {{ ?o <{SCHEMA}identifier> ?tag ; <{SCHEMA}name> ?name "
        "VALUES ?k { 1 2 } BIND(IF(?k = 1, ?tag, ?name) AS ?v) }",
    )
    authors = _column(store, f"SELECT ?a WHERE {{ ?p <{SCHEMA}author> ?a }}")
    new = runner.run_named(NAME, {"since": latest.isoformat()}).records()
    assert new, "the latest crawl lists new papers"
    papers = " ".join(f"<{r['paper']}>" for r in new)
    recent = _column(
        store, f"SELECT ?a WHERE {{ VALUES ?p {{ {papers} }} ?p <{SCHEMA}author> ?a }}"
    )
    others = random.Random(7).sample(sorted(set(authors) - set(recent)), 20)
    return {
        "author": [*recent, *others, f"{TEST_BASE_IRI}author/nobody-at-all"],
        "organization": [*orgs, *(o.upper() for o in orgs), "no such place"],
        "subject": [
            *_column(store, f"SELECT ?s WHERE {{ ?p <{DCTERMS}subject> ?s }}"),
            f"{TEST_BASE_IRI}subject/XX",
        ],
    }


def _dates(days: tuple[date, ...]) -> list[str | None]:
    """``since`` left out (the latest recrawl), before every crawl, each later crawl date,
    and the day after the last (no paper)."""
    after = date.fromordinal(days[-1].toordinal() + 1).isoformat()
    return [None, "2000-01-01", *(day.isoformat() for day in days[1:]), after]


def _organizations(store: KGStore) -> dict[str, set[str]]:
    """Each organization tag and name, lower-cased, with the organizations it names."""
    named: dict[str, set[str]] = {}
    for org, tag, name in store.query(
        f"SELECT ?o ?tag ?name WHERE {{ ?o <{SCHEMA}identifier> ?tag ; <{SCHEMA}name> ?name }}"
    ):
        for text in (tag.value, name.value):
            named.setdefault(text.lower(), set()).add(org.value)
    return named


def _sent_query(report: Report, params: dict[str, str], orgs: dict[str, set[str]]) -> str | None:
    """The query the runner must send for these parameters: the author's variant first; for
    an organization that names exactly one, the variant starting from it, none for one that
    names nothing (no rows), else the one that compares every organization's tag and name;
    the subject's; else the report's own."""
    by_name = {v.parameter: v.query for v in report.variants}
    if "author" in params:
        return by_name["author"]
    if "organization" in params:
        named = len(orgs.get(params["organization"].lower(), ()))
        return None if named == 0 else by_name["org" if named == 1 else "organization"]
    return by_name["subject"] if "subject" in params else report.query


def _both(
    runner: ReportRunner,
    backend: RecordingBackend,
    reports: Reports,
    params: dict[str, str],
    orgs: dict[str, set[str]],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The runner's rows for these parameters (a variant's query when one applies), and the
    rows of the report's own query with the same substitutions."""
    report = reports[NAME]
    binding = runner.bind(report, params)
    substitutions = binding.substitutions(report)
    sent = len(backend.requests)
    got = runner.select(report, substitutions, limit=None)
    queries = [r.query for r in backend.requests[sent:]]
    lookup = report.lookups[0].query
    query = _sent_query(report, params, orgs)
    if query is None:  # an organization that names nothing: its lookup at most
        assert queries in ([], [lookup]), params
    else:
        assert queries[-1] == query, params
        # Before it, at most the organization's lookup (once per value and store version).
        assert queries[:-1] in ([], [lookup]), params
    expected = backend.run(QueryRequest(report.query, substitutions=dict(substitutions)))
    assert expected.select is not None
    assert got[0] == expected.select.variables
    return got[1], expected.select.rows


def test_every_variant_gives_the_reports_rows_in_its_order(
    reports: Reports, store_and_dates: tuple[KGStore, tuple[date, ...]]
) -> None:
    store, days = store_and_dates
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME, max_rows=10**9)
    values = _values(store, runner, days[-1])
    orgs = _organizations(store)
    rows_seen = 0
    # Each value of each entity alone, with every since.
    for name, given in values.items():
        for value, since in itertools.product(given, _dates(days)):
            params = {name: value} | ({"since": since} if since else {})
            got, expected = _both(runner, backend, reports, params, orgs)
            assert got == expected, params
            rows_seen += len(got)
    # Two and three entities at once (the author's variant wins, then the organization's):
    # a few values of each, so that some combinations answer rows.
    rng = random.Random(1)
    for since in _dates(days)[:3]:
        for _ in range(20):
            params = {n: rng.choice(v[:-1]) for n, v in values.items() if rng.random() < 0.7}
            params |= {"since": since} if since else {}
            got, expected = _both(runner, backend, reports, params, orgs)
            assert got == expected, params
            rows_seen += len(got)
    # Not a vacuous comparison: the data gives rows for these requests, and each variant ran
    # (the organization's from the looked-up organization: every tag or name of these stores
    # names one; the one that compares names runs for a name of several organizations, in
    # test_an_organization_name_of_two_organizations_is_compared_not_looked_up).
    assert rows_seen > 100
    sent = {request.query for request in backend.requests}
    assert {v.query for v in reports[NAME].variants if v.parameter != "organization"} <= sent


def test_every_since_is_answered_from_the_stored_rows_as_the_query_answers_it(
    reports: Reports,
    store_and_dates: tuple[KGStore, tuple[date, ...]],
    tmp_path: Path,
) -> None:
    """The precompute stores the report's rows for the earliest date (every paper with its
    first listing: ``row-filter: since | on-or-after: first_listed``); a request for any date,
    the default too, gets the rows whose first listing is on or after it, as the query gives
    them, without a query; a request that also names an entity runs its variant."""
    store, days = store_and_dates
    assert store.folder is not None
    folder = tmp_path / "store"
    shutil.copytree(store.folder, folder)
    precompute_store(folder, SCHEME)
    copy = KGStore.open_readonly(folder)
    try:
        live = ReportRunner(reports, LocalBackend(copy), SCHEME, max_rows=10**9)
        spy = RecordingBackend(copy)
        stored = ReportRunner(
            reports, spy, SCHEME, max_rows=10**9, precomputed=PrecomputedReports(folder)
        )
        capped = ReportRunner(
            reports, spy, SCHEME, max_rows=3, precomputed=PrecomputedReports(folder)
        )
        report = reports[NAME]
        compared = 0
        # Every crawl date, the days between and around them, and none (the latest recrawl).
        dates: list[str | None] = [None, "2000-01-01"]
        for day in days:
            dates += [date.fromordinal(day.toordinal() + k).isoformat() for k in (-1, 0, 1)]
        for since in dates:
            params = {"since": since} if since else {}
            expected = live.run(report, live.bind(report, params))
            got = stored.run(report, stored.bind(report, params))
            # Cut by the row cap as the query's answer is cut.
            cut = capped.run(report, capped.bind(report, params))
            assert cut.truncated == (len(expected.rows) > 3)
            assert [r["first_listed"] for r in cut.records()] == [
                r["first_listed"] for r in expected.records()[:3]
            ]
            assert got.columns == expected.columns
            # Rows that tie on the ORDER BY (date, title) may come in either order.
            assert sorted(map(repr, got.rows)) == sorted(map(repr, expected.rows)), since
            keys = [(r["first_listed"], r["paper_title"]) for r in got.records()]
            assert keys == [(r["first_listed"], r["paper_title"]) for r in expected.records()]
            compared += len(got.rows)
        assert compared > 10
        # Only the crawl dates were read from the store, never the report's query.
        assert not {r.query for r in spy.requests} & {
            report.query,
            *(v.query for v in report.variants),
        }
        # An entity given runs its variant.
        stored.run(report, stored.bind(report, {"since": "2000-01-01", "subject": "LG"}))
        assert spy.requests[-1].query == report.query_for({"subject"})
    finally:
        copy.close()


def _writable_copy(seed_store: Path, tmp_path: Path) -> KGStore:
    folder = tmp_path / "store"
    shutil.copytree(seed_store, folder)
    return KGStore.open_writable(folder)


def _organization_rows(
    runner: ReportRunner, backend: RecordingBackend, report: Report, organization: str
) -> tuple[set[str], list[str]]:
    """The papers the runner answers for an organization (since 2000-01-01), checked against
    the rows of the report's own query, and the queries the runner sent for them."""
    substitutions = runner.bind(
        report, {"organization": organization, "since": "2000-01-01"}
    ).substitutions(report)
    sent = len(backend.requests)
    variables, got, _ = runner.select(report, substitutions, limit=None)
    queries = [request.query for request in backend.requests[sent:]]
    expected = backend.run(QueryRequest(report.query, substitutions=dict(substitutions)))
    assert expected.select is not None
    assert (variables, got) == (expected.select.variables, expected.select.rows)
    return {row[variables.index("paper")].value for row in got}, queries


def test_an_organization_without_a_type_is_found_as_the_report_finds_it(
    reports: Reports, seed_store: Path, tmp_path: Path
) -> None:
    """The report's own test reads the tag and name, not the type: a node of a store kg did
    not write, untyped, is found by the lookup too (not answered "none, no rows"), and is
    counted when it shares a tag with a typed organization (then not looked up: two)."""
    store = _writable_copy(seed_store, tmp_path)
    paper = next(
        iter(store.query(f"SELECT ?p WHERE {{ ?p <{DCTERMS}title> ?t }} ORDER BY ?p LIMIT 1"))
    )[0].value
    for node, tag in (("untyped-place", "untyped-place"), ("another-pku", "pku")):
        store.update(
            f'INSERT DATA {{ <{TEST_BASE_IRI}org/{node}> <{SCHEMA}identifier> "{tag}" ; '
            f'<{SCHEMA}name> "{tag}" . <{paper}> <{SCHEMA}sourceOrganization> '
            f"<{TEST_BASE_IRI}org/{node}> }}"
        )
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME, max_rows=10**9)
    report = reports[NAME]
    try:
        for value in ("untyped-place", "PKU"):
            papers, _ = _organization_rows(runner, backend, report, value)
            assert paper in papers, value
    finally:
        store.close()


def test_the_lookups_kept_are_bounded(
    reports: Reports, seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any client may send new organization names: the lookups kept for a store version are
    bounded (the oldest dropped), and a name asked again is looked up again."""
    monkeypatch.setattr(runner_module, "LOOKUP_MEMO", 2)
    store = KGStore.open_readonly(seed_store)
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME)
    report = reports[NAME]
    lookup = report.lookups[0].query
    try:
        for value in ("tsinghua", "pku", "no such place", "tsinghua"):
            binding = runner.bind(report, {"organization": value, "since": "2000-01-01"})
            runner.select(report, binding.substitutions(report))
            assert len(runner.memo["lookups"]) <= 2
        assert [r.query for r in backend.requests].count(lookup) == 4
    finally:
        store.close()


def test_a_paper_printed_with_two_titles_gets_its_least_title_whichever_query_reads_it(
    reports: Reports, store_and_dates: tuple[KGStore, tuple[date, ...]]
) -> None:
    """Pages print one paper's title differently (a typo merged by identity resolution): the
    report takes the least of its titles (MIN), not one the evaluation order picks (SAMPLE
    took whichever the join met first, so the report's query and a variant, or two engines,
    could name one paper differently)."""
    store, _ = store_and_dates
    titles: dict[str, set[str]] = {}
    for paper, title in store.query(
        f"SELECT ?p ?t WHERE {{ ?p a <{SCHEMA}ScholarlyArticle> ; <{DCTERMS}title> ?t }}"
    ):
        titles.setdefault(paper.value, set()).add(title.value)
    several = {paper: min(found) for paper, found in titles.items() if len(found) > 1}
    if not several:
        pytest.skip("no paper printed with two titles in this store")
    runner = ReportRunner(reports, LocalBackend(store), SCHEME, max_rows=10**9)
    rows = runner.run_named(NAME, {"since": "2000-01-01"}).records()
    assert {r["paper"]: r["paper_title"] for r in rows if r["paper"] in several} == several
    # The same titles from the subject variant, which reads the papers in another order.
    seen = set()
    subjects = _column(
        store,
        "SELECT ?s WHERE { VALUES ?p { "
        + " ".join(f"<{p}>" for p in several)
        + f" }} ?p <{DCTERMS}subject> ?s }}",
    )
    for subject in subjects:
        rows = runner.run_named(NAME, {"since": "2000-01-01", "subject": subject}).records()
        for r in rows:
            if r["paper"] in several:
                assert r["paper_title"] == several[r["paper"]], subject
                seen.add(r["paper"])
    assert seen == set(several)


def test_a_request_without_an_entity_runs_the_reports_query(reports: Reports) -> None:
    report = reports[NAME]
    assert report.query_for({"since"}) == report.query
    assert [v.parameter for v in report.variants] == ["author", "org", "organization", "subject"]
    assert [(x.variable, x.parameter) for x in report.lookups] == [("org", "organization")]
    # The first variant given wins: the author's starts from the fewest papers. (The page shows
    # the organization's that compares names, which runs with the request's values alone.)
    assert report.query_for({"since", "subject", "author"}) == report.variants[0].query
    assert report.query_for({"organization", "subject"}) == report.variants[2].query
    for variant in report.variants:
        assert variant.path.parent == QUERIES_DIR / NAME
        assert f"?paper {'dcterms' if variant.parameter == 'subject' else 'schema'}:" in (
            variant.query
        )


def test_the_report_page_shows_the_query_it_ran(seed_store: Path) -> None:
    from kg_server.app import create_app

    app = create_app(
        {
            "store": str(seed_store),
            "base_iri": TEST_BASE_IRI,
            "backend": LocalBackend(KGStore.open_readonly(seed_store)),
        }
    )
    client = app.test_client()
    html = {"Accept": "text/html"}
    plain = client.get(f"/reports/{NAME}?since=2026-01-01", headers=html).get_data(as_text=True)
    given = client.get(
        f"/reports/{NAME}?since=2026-01-01&author=Weiran+Huang", headers=html
    ).get_data(as_text=True)
    # The query shown (and linked to the query page) is the one that ran.
    assert "?paper a schema:ScholarlyArticle ;" in plain
    assert "when an author is given" not in plain
    assert "when an author is given" in given
    assert "?paper a schema:ScholarlyArticle ;" not in given
    # An organization: the query that compares names is shown, and the page says that the
    # server looks the organization up first and sends the variant that starts from it.
    org = client.get(
        f"/reports/{NAME}?since=2026-01-01&organization=tsinghua", headers=html
    ).get_data(as_text=True)
    assert "when an organization is given (its" in org
    assert "first asks organization-lookup.rq which ?org the ?organization names" in org
    assert "organization-iri.rq" in org
    for page in (plain, given):
        assert "organization-lookup.rq" not in page


# -- the header line -------------------------------------------------------------------------

REPORT = """# title: Papers of a year
# description: d
# param: year | year | optional | example: 2024 | Only this year.
# param: min | integer | default: 1 | example: 1 | At least.
{line}
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?year ?min ?paper WHERE {{
  ?paper dcterms:date ?d
  FILTER(COALESCE(YEAR(?d) = ?year, true))
}}
"""
VARIANT = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?year ?min {columns} WHERE {{ ?paper dcterms:date ?d FILTER(YEAR(?d) = ?year && ?min > 0) }}
"""


def _write(folder: Path, line: str, columns: str = "?paper") -> Path:
    (folder / "papers-of-a-year").mkdir(exist_ok=True)
    (folder / "papers-of-a-year" / "year.rq").write_text(
        VARIANT.format(columns=columns), encoding="utf-8"
    )
    path = folder / "papers-of-a-year.rq"
    path.write_text(REPORT.format(line=line), encoding="utf-8")
    return path


def test_a_variant_line_reads_its_file_beside_the_report(tmp_path: Path) -> None:
    path = _write(tmp_path, "# variant: year | papers-of-a-year/year.rq")
    report = parse_report(path)
    validate_report(report, SCHEME)
    assert report.query_for({"year", "min"}) == VARIANT.format(columns="?paper")
    assert report.query_for({"min"}) == report.query
    # The folder's reports are its own *.rq files: the variant is not one.
    assert list(load_reports(tmp_path, scheme=SCHEME)) == ["papers-of-a-year"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("# variant: year", "a variant line is", id="no-file"),
        pytest.param(
            "# variant: nope | papers-of-a-year/year.rq", "names no parameter", id="unknown"
        ),
        pytest.param(
            "# variant: min | papers-of-a-year/year.rq", "optional without a default", id="default"
        ),
        pytest.param("# variant: year | year.rq", "sub-folder", id="not-in-a-sub-folder"),
        pytest.param("# variant: year | ../x/year.rq", "sub-folder", id="outside"),
        pytest.param("# variant: year | papers-of-a-year/year.txt", "sub-folder", id="not-rq"),
        pytest.param("# variant: year | papers-of-a-year/none.rq", "cannot read", id="missing"),
        pytest.param(
            "# variant: year | papers-of-a-year/year.rq\n# variant: year | papers-of-a-year/year.rq",
            "given twice",
            id="twice",
        ),
    ],
)
def test_a_bad_variant_line_is_an_error_naming_the_file(
    tmp_path: Path, line: str, message: str
) -> None:
    _rejected_naming_the_file(_write(tmp_path, line), message)


def _rejected_naming_the_file(path: Path, message: str) -> None:
    """The report file at ``path`` does not load: the error names it and says ``message``."""
    with pytest.raises(ReportDefinitionError) as caught:
        parse_report(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        pytest.param("?d", "must project the report's columns", id="other-column"),
        pytest.param("?paper ?d", "must project the report's columns", id="more-columns"),
        pytest.param("?paper WHERE {", "does not parse", id="broken"),
    ],
)
def test_a_variant_must_answer_in_the_reports_place(
    tmp_path: Path, columns: str, message: str
) -> None:
    path = _write(tmp_path, "# variant: year | papers-of-a-year/year.rq", columns)
    with pytest.raises(ReportDefinitionError) as caught:
        validate_report(parse_report(path), SCHEME)
    assert "year.rq" in str(caught.value)
    assert message in str(caught.value)


def test_a_variant_is_held_to_the_reports_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, "# variant: year | papers-of-a-year/year.rq")
    variant = path.parent / "papers-of-a-year" / "year.rq"
    variant.write_text(
        variant.read_text(encoding="utf-8").replace("YEAR(?d) = ?year", "BOUND(?year)"),
        encoding="utf-8",
    )
    with pytest.raises(ReportDefinitionError, match=r"year\.rq: BOUND\(\?year\) is always false"):
        validate_report(parse_report(path), SCHEME)


def test_a_copied_queries_folder_keeps_its_variants(tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES_DIR, folder)
    report = load_reports(folder, scheme=SCHEME)[NAME]
    assert [v.path.parent for v in report.variants] == [folder / NAME] * 4
    assert [x.path.parent for x in report.lookups] == [folder / NAME]


# -- lookups ---------------------------------------------------------------------------------

LOOKUP = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?year {columns} WHERE {{ ?paper dcterms:date ?d FILTER(YEAR(?d) = ?year) }}
"""
LOOKED_UP = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?year ?min ?paper {columns} WHERE {{ ?paper dcterms:date ?d FILTER(?min > 0) }}
"""


def _write_lookup(
    folder: Path, lines: str, lookup_columns: str = "?paper", variant_columns: str = "?paper"
) -> Path:
    """The report of _write with a lookup binding ?paper from ``year`` and a variant for it."""
    path = _write(folder, lines)
    (folder / "papers-of-a-year" / "lookup.rq").write_text(
        LOOKUP.format(columns=lookup_columns), encoding="utf-8"
    )
    (folder / "papers-of-a-year" / "paper.rq").write_text(
        LOOKED_UP.format(columns=variant_columns).replace("?paper ?paper", "?paper"),
        encoding="utf-8",
    )
    return path


LOOKUP_LINES = (
    "# lookup: found | year | papers-of-a-year/lookup.rq\n"
    "# variant: found | papers-of-a-year/paper.rq\n"
    "# variant: year | papers-of-a-year/year.rq"
)


def test_a_lookup_line_binds_a_variable_for_its_variant(tmp_path: Path) -> None:
    path = _write_lookup(tmp_path, LOOKUP_LINES, "(?paper AS ?found)", "?found")
    report = parse_report(path)
    validate_report(report, SCHEME)
    assert report.lookup("found") == report.lookups[0]
    assert report.lookups[0].parameter == "year"
    assert report.query_for({"found"}) == report.variants[0].query
    # A request gives the parameter, never the variable: the page shows the year's variant.
    assert report.query_for({"year", "min"}) == report.variants[1].query


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param("# lookup: found | year", "a lookup line is", id="no-file"),
        pytest.param(
            LOOKUP_LINES.replace("found | year |", "found | nope |"),
            "names no parameter",
            id="unknown-parameter",
        ),
        pytest.param(
            LOOKUP_LINES.replace("found | year |", "found | min |"),
            "optional without a default",
            id="default",
        ),
        pytest.param(
            LOOKUP_LINES.replace("found", "min"), "a parameter has that name", id="a-parameter"
        ),
        pytest.param(
            LOOKUP_LINES.replace("# variant: found | papers-of-a-year/paper.rq\n", ""),
            "needs one variant line",
            id="no-variant",
        ),
        pytest.param(
            LOOKUP_LINES.replace("found", "Found"), "lower-case letters", id="bad-variable"
        ),
        pytest.param(
            "# lookup: found | year | papers-of-a-year/lookup.rq\n" + LOOKUP_LINES,
            "given twice",
            id="twice",
        ),
    ],
)
def test_a_bad_lookup_line_is_an_error_naming_the_file(
    tmp_path: Path, lines: str, message: str
) -> None:
    _rejected_naming_the_file(_write_lookup(tmp_path, lines), message)


@pytest.mark.parametrize(
    ("lookup_columns", "variant_columns", "file", "message"),
    [
        pytest.param("?paper", "?found", "lookup.rq", "must project ?found", id="lookup"),
        pytest.param(
            "(?paper AS ?found)", "", "paper.rq", "(year, min, paper, found)", id="variant-without"
        ),
        pytest.param(
            "(?paper AS ?found)", "?found ?d", "paper.rq", "must project", id="variant-more"
        ),
    ],
)
def test_a_lookup_and_its_variant_project_the_variable(
    tmp_path: Path, lookup_columns: str, variant_columns: str, file: str, message: str
) -> None:
    path = _write_lookup(tmp_path, LOOKUP_LINES, lookup_columns, variant_columns)
    with pytest.raises(ReportDefinitionError) as caught:
        validate_report(parse_report(path), SCHEME)
    assert file in str(caught.value)
    assert message in str(caught.value)


def test_an_organization_name_of_two_organizations_is_compared_not_looked_up(
    reports: Reports, seed_store: Path, tmp_path: Path
) -> None:
    """Two organizations with one name: the lookup binds neither, and the variant that compares
    every organization's tag and name answers, with the papers of both."""
    store = _writable_copy(seed_store, tmp_path)
    tsinghua = SCHEME.organization("tsinghua")
    tsinghua_paper, other_paper = (
        next(iter(store.query(f"SELECT ?p WHERE {{ {pattern} }} ORDER BY ?p LIMIT 1")))[0].value
        for pattern in (
            f"?p <{SCHEMA}sourceOrganization> <{tsinghua}>",
            f"?p <{SCHEMA}sourceOrganization> ?o "
            f"FILTER NOT EXISTS {{ ?p <{SCHEMA}sourceOrganization> <{tsinghua}> }}",
        )
    )
    other = f"{TEST_BASE_IRI}org/another-tsinghua"
    store.update(
        f"INSERT DATA {{ <{other}> a <{SCHEMA}Organization> ; <{SCHEMA}identifier> "
        f'"another-tsinghua" ; <{SCHEMA}name> "Tsinghua University" . '
        f"<{other_paper}> <{SCHEMA}sourceOrganization> <{other}> }}"
    )
    backend = RecordingBackend(store)
    runner = ReportRunner(reports, backend, SCHEME, max_rows=10**9)
    report = reports[NAME]
    try:
        for value, looked_up in (("tsinghua university", False), ("Another-Tsinghua", True)):
            papers, queries = _organization_rows(runner, backend, report, value)
            assert other_paper in papers
            assert (tsinghua_paper in papers) is not looked_up
            variant = report.variants[1 if looked_up else 2].query
            assert queries == [report.lookups[0].query, variant], value
    finally:
        store.close()

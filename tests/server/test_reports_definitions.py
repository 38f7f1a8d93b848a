"""Report definitions (queries/*.rq): loading, validation, parameter typing, binding, the runner.

No HTTP here: these run :mod:`kg.reports` on an in-process backend over the seed store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.errors import InvalidParameter, NotFound
from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports, validate_report
from kg.reports.crawls import CRAWL_DATES_QUERY
from kg.reports.definitions import (
    QUERIES_DIR,
    ReportDefinitionError,
    browser_examples,
    parse_report,
)
from kg.reports.params import PARAM_TYPES
from kg.reports.results import bind
from kg.reports.runner import EXISTS_QUERY, ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI
from tests.server.recording import RecordingBackend

SCHEME = IriScheme(TEST_BASE_IRI)


@pytest.fixture(scope="module")
def reports():  # type: ignore[no-untyped-def]
    return load_reports(scheme=SCHEME)


@pytest.fixture()
def backend(seed_store: Path) -> RecordingBackend:
    return RecordingBackend(KGStore.open_readonly(seed_store))


@pytest.fixture()
def runner(reports, backend: RecordingBackend) -> ReportRunner:  # type: ignore[no-untyped-def]
    return ReportRunner(reports, backend, SCHEME)


def run(runner: ReportRunner, name: str, **params: str) -> list[dict[str, Any]]:
    report = runner.reports.get_report(name)
    return runner.run(report, runner.bind(report, params)).records()


# -- loading and validating ------------------------------------------------------------------


def test_the_project_has_at_least_sixteen_valid_reports(reports) -> None:  # type: ignore[no-untyped-def]
    assert len(reports) >= 16
    for report in reports.values():
        assert report.title and report.description
        for param in report.parameters:
            assert param.description
            if param.required:
                assert param.example is not None, f"{report.name}: {param.name} has no example"


def test_the_required_reports_exist(reports) -> None:  # type: ignore[no-untyped-def]
    required = {
        "author-summary",
        "author-papers",
        "coauthors",
        "coauthor-network",
        "author-timeline",
        "author-repositories",
        "paper",
        "papers-with-code",
        "repositories-by-owner",
        "subjects",
        "organizations",
        "venues",
        "top-authors-by-papers",
        "top-authors-by-coauthors",
        "collaboration-path",
        "papers-in-several-profiles",
        "possible-duplicate-authors",
        "search",
    }
    assert required <= set(reports)


GOOD = """\
# title: Papers of a year
# description: Papers published in one year.
# param: year | year | required | example: 2024 | The year.
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?year ?paper WHERE { ?paper dcterms:date ?date FILTER(YEAR(?date) = ?year) }
"""

BROKEN = [
    pytest.param(
        GOOD.replace("FILTER(YEAR(?date) = ?year)", "").replace("SELECT ?year", "SELECT"),
        "?year is not in the query",
        id="param-not-in-body",
    ),
    pytest.param(
        GOOD.replace("FILTER(YEAR(?date) = ?year)", "\n# ?year only in a comment\n").replace(
            "SELECT ?year", "SELECT"
        ),
        "?year is not in the query",
        id="param-only-in-a-comment",
    ),
    pytest.param(
        GOOD.replace("SELECT ?year ?paper", "SELECT ?paper"),
        "does not accept its parameters",
        id="param-not-projected",
    ),
    pytest.param(GOOD.replace("WHERE {", "WHERE { {"), "does not parse", id="syntax-error"),
    pytest.param(
        GOOD.replace("FILTER(YEAR(?date) = ?year)", "FILTER(!BOUND(?year) || YEAR(?date) = ?year)"),
        "BOUND(?year)",
        id="bound-on-a-parameter",
    ),
    pytest.param(
        GOOD.replace("| year | required", "| weekday | required"),
        "unknown parameter type",
        id="unknown-type",
    ),
    pytest.param(
        GOOD.replace("example: 2024", "example: twenty"),
        "example of parameter 'year'",
        id="bad-example",
    ),
    pytest.param(
        GOOD.replace("| example: 2024 ", ""), "has no example", id="required-without-example"
    ),
    pytest.param(
        GOOD.replace("# title: Papers of a year\n", ""), "no '# title:' line", id="no-title"
    ),
    pytest.param(
        GOOD.replace("# description:", "# summary:"),
        "unknown header field 'summary'",
        id="unknown-field",
    ),
    pytest.param(GOOD, "", id="control-good"),
    pytest.param(
        GOOD.replace("# param:", "# engine: telepathy\n# param:"),
        "unknown engine",
        id="unknown-engine",
    ),
    pytest.param(
        GOOD.replace("| year | required", "| year | sometimes"),
        "required, optional or default",
        id="bad-presence",
    ),
    pytest.param(
        GOOD.replace("| year | required", "| year | store-default: latest-crawl"),
        "its type must be date",
        id="store-default-not-a-date",
    ),
    pytest.param(
        GOOD.replace("year | year | required", "year | date | store-default: last-tuesday"),
        "unknown store-default 'last-tuesday'",
        id="unknown-store-default",
    ),
    pytest.param(
        GOOD.replace("year | year | required", "year | date | store-default: crawl-before(to)"),
        "crawl-before(to) names no other parameter",
        id="crawl-before-nothing",
    ),
    pytest.param(
        GOOD.replace("param: year |", "param: limit |").replace("?year", "?limit"),
        "reserved",
        id="reserved-name",
    ),
    pytest.param(
        "# title: t\n# description: d\nASK { ?s ?p ?o }\n", "must be a SELECT", id="not-select"
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_broken_report_is_an_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "papers-of-a-year.rq"
    path.write_text(text, encoding="utf-8")
    if not message:
        validate_report(parse_report(path), SCHEME)
        return
    with pytest.raises(ReportDefinitionError) as caught:
        validate_report(parse_report(path), SCHEME)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_create_app_fails_on_a_broken_report(tmp_path: Path, seed_store: Path) -> None:
    from kg_server.app import create_app

    folder = tmp_path / "queries"
    shutil.copytree(QUERIES_DIR, folder)
    broken = folder / "author-timeline.rq"
    header, _, body = broken.read_text().partition("PREFIX")
    broken.write_text(header + "PREFIX" + body.replace("?author", "?who"))
    with pytest.raises(ReportDefinitionError, match=r"author-timeline\.rq: parameter 'author'"):
        create_app(
            {
                "store": str(seed_store),
                "base_iri": TEST_BASE_IRI,
                "queries_dir": str(folder),
                "backend": LocalBackend(KGStore.open_readonly(seed_store)),
            }
        )


def test_browser_examples_offer_every_report_with_its_header() -> None:
    examples = browser_examples()
    assert {e["name"] for e in examples} == set(load_reports(validate=False))
    summary = next(e for e in examples if e["name"] == "author-summary")
    assert summary["query"].startswith("# title: Author summary")


# -- pyoxigraph substitutions: why the queries are written as they are -------------------------


def test_pyoxigraph_substitution_leaves_bound_false_but_coalesce_works() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x")))
    store.add(ox.Quad(ox.NamedNode("http://e/b"), ox.NamedNode("http://e/p"), ox.Literal("y")))

    def subjects(query: str, **values: str) -> set[str]:
        subs = {ox.Variable(k): ox.Literal(v) for k, v in values.items()}
        return {row["s"].value for row in store.query(query, substitutions=subs)}

    with_bound = "SELECT ?s ?v WHERE { ?s ?p ?o FILTER(!BOUND(?v) || ?o = ?v) }"
    # BOUND(?v) is false even when ?v is substituted: the BOUND idiom does not filter at all.
    assert subjects(with_bound, v="x") == {"http://e/a", "http://e/b"}
    coalesce = "SELECT ?s ?v WHERE { ?s ?p ?o FILTER(COALESCE(?o = ?v, true)) }"
    assert subjects(coalesce, v="x") == {"http://e/a"}
    assert subjects(coalesce) == {"http://e/a", "http://e/b"}
    with pytest.raises(RuntimeError, match="projection"):
        subjects("SELECT ?s WHERE { ?s ?p ?v }", v="x")


# -- parameter types -------------------------------------------------------------------------


def test_author_parameters_take_an_iri_or_a_name(reports) -> None:  # type: ignore[no-untyped-def]
    report = reports["author-summary"]
    by_name = bind(report, {"author": "Weiran Huang"}, SCHEME)
    by_iri = bind(report, {"author": f"{TEST_BASE_IRI}author/weiran-huang"}, SCHEME)
    assert by_name.values == by_iri.values == {"author": f"{TEST_BASE_IRI}author/weiran-huang"}
    # Folded like ingest folds names: case, diacritics, hyphens, spacing.
    assert bind(report, {"author": "  WEIRÁN   huang "}, SCHEME).values == by_name.values
    assert by_name.key() == by_iri.key()


def test_paper_and_subject_parameters(reports) -> None:  # type: ignore[no-untyped-def]
    paper = reports["paper"]
    title = "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models"
    assert bind(paper, {"paper": title}, SCHEME).values["paper"] == SCHEME.paper(title)
    papers = reports["author-papers"]
    for code in ("LG", "lg", "cs.LG", f"{TEST_BASE_IRI}subject/LG"):
        values = bind(papers, {"author": "x", "subject": code}, SCHEME).values
        assert values["subject"] == SCHEME.subject("LG"), code
    assert bind(papers, {"author": "x", "subject": "stat.ML"}, SCHEME).values[
        "subject"
    ] == SCHEME.subject("ML")


@pytest.mark.parametrize(
    ("name", "params", "reason"),
    [
        pytest.param("author-papers", {}, "is required", id="missing-required"),
        pytest.param(
            "author-papers", {"author": "x", "year": "24"}, "four-digit year", id="short-year"
        ),
        pytest.param(
            "author-papers",
            {"author": "x", "year": "2024; DROP"},
            "four-digit year",
            id="year-text",
        ),
        pytest.param(
            "author-papers", {"author": "x", "has_code": "maybe"}, "boolean", id="boolean"
        ),
        pytest.param(
            "author-papers",
            {"author": "x", "subject": "machine learning!"},
            "not a subject",
            id="subject",
        ),
        pytest.param(
            "author-papers", {"author": "http://kg.test/a b"}, "absolute IRI", id="iri-with-space"
        ),
        pytest.param(
            "author-papers",
            {"author": "http://kg.test/<x>"},
            "absolute IRI",
            id="iri-with-brackets",
        ),
        pytest.param("author-papers", {"author": "x" * 1001}, "longer than", id="too-long"),
        pytest.param(
            "author-papers",
            {"author": "x", "yaer": "2024"},
            "unknown parameter 'yaer'",
            id="unknown",
        ),
        pytest.param(
            "coauthor-network", {"author": "x", "depth": "3"}, "at most 2", id="depth-high"
        ),
        pytest.param(
            "coauthor-network", {"author": "x", "depth": "0"}, "at least 1", id="depth-low"
        ),
        pytest.param(
            "coauthor-network", {"author": "x", "depth": "1.5"}, "whole number", id="depth-fraction"
        ),
        pytest.param(
            "search", {"q": "x", "kind": "venue"}, "one of any, author, paper", id="choice"
        ),
    ],
)
def test_bad_values_are_invalid_parameters_with_a_reason(reports, name, params, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameter) as caught:
        bind(reports[name], params, SCHEME)
    assert reason in caught.value.detail
    assert caught.value.status == 400


def test_defaults_are_bound_and_empty_values_are_absent(reports) -> None:  # type: ignore[no-untyped-def]
    network = bind(reports["coauthor-network"], {"author": "Weiran Huang", "depth": ""}, SCHEME)
    assert network.values["depth"] == "1"
    papers = bind(
        reports["author-papers"], {"author": "Weiran Huang", "year": "", "has_code": ""}, SCHEME
    )
    assert set(papers.values) == {"author"}


def test_every_type_has_a_dummy_value_that_parses() -> None:
    from kg.reports.params import Parameter

    for name, kind in PARAM_TYPES.items():
        choices = ("a", "b") if name == "choice" else ()
        param = Parameter("x", name, True, None, None, "test", choices=choices)
        param.parse(kind.dummy or "a", SCHEME)


# -- running ---------------------------------------------------------------------------------


def test_unknown_report_is_not_found(runner: ReportRunner) -> None:
    with pytest.raises(NotFound):
        runner.reports.get_report("no-such-report")


def test_parameter_columns_are_dropped_from_the_rows(runner: ReportRunner) -> None:
    rows = run(runner, "author-papers", author="Weiran Huang", year="2024")
    assert rows and all("author" not in row and "year" not in row for row in rows)
    assert {row["date"][:4] for row in rows} == {"2024"}


def test_results_are_cached_per_store_version(
    runner: ReportRunner, backend: RecordingBackend
) -> None:
    run(runner, "author-timeline", author="Weiran Huang")
    count = len(backend.requests)
    run(runner, "author-timeline", author=f"{TEST_BASE_IRI}author/weiran-huang")  # same binding
    assert len(backend.requests) == count
    runner._version = "an older version"  # as if a new ingest was published
    run(runner, "author-timeline", author="Weiran Huang")
    assert len(backend.requests) == count + 1


HOSTILE = [
    "Robert'); DROP TABLE papers;--",
    '" } ; DROP ALL ; SELECT * { ?s ?p ?o',
    "} ; DROP ALL ; SELECT * {",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
    "?author",
    "$author",
    "<http://kg.test/author/weiran-huang>",
    "\\u0022 \\\" \\' { } # comment\n} UNION { ?s ?p ?o }",
    "Ŵéìrd Nàmé ∂ 漢字 🙂 \u202e\u0000",
    "x" * 999,
]


def _string_like(runner: ReportRunner) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(report, parameter, other required parameters) for every text-like SPARQL parameter."""
    for report in runner.reports.values():
        for param in report.parameters:
            if param.type not in ("author", "paper", "string"):
                continue
            others = {
                p.name: p.example
                for p in report.parameters
                # A date the store defaults to its crawls is given too: on the one-crawl seed
                # store papers-listed-since would otherwise answer nothing, without a query.
                if (p.required or p.store_default is not None)
                and p.name != param.name
                and p.example
            }
            yield report.name, param.name, others


@pytest.mark.parametrize("value", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_values_never_change_the_query(
    runner: ReportRunner, backend: RecordingBackend, value: str
) -> None:
    checked = 0
    for name, param, others in _string_like(runner):
        if name == "search":
            continue  # ranked fuzzy text: checked in the HTTP tests (no 5xx), it matches by design
        report = runner.reports[name]
        backend.requests.clear()
        hostile = runner.run(report, runner.bind(report, {**others, param: value})).records()
        nothing = runner.run(
            report, runner.bind(report, {**others, param: "no such thing at all"})
        ).records()
        assert hostile == nothing, f"{name}?{param}={value[:30]!r}"
        assert backend.requests, name
        # The text is the file's, always (or the fixed ones behind the "did you mean" hint).
        # (or the crawl dates a left-out date parameter defaults to), or one of the report's
        # variants or lookups (files too).
        allowed = {
            report.query,
            *(variant.query for variant in report.variants),
            *(lookup.query for lookup in report.lookups),
            EXISTS_QUERY,
            runner.reports["search"].query,
            CRAWL_DATES_QUERY,
        }
        for request in backend.requests:
            assert request.query in allowed, name
            for term in (request.substitutions or {}).values():
                assert isinstance(term, ox.NamedNode | ox.Literal)
        checked += 1
    assert checked >= 10


# -- facts on the seed store -----------------------------------------------------------------


def test_weiran_huang_summary(runner: ReportRunner) -> None:
    (row,) = run(runner, "author-summary", author="Weiran Huang")
    assert row["name"] == "Weiran Huang"
    assert row["snapshot_date"] == "2026-11-21"
    assert (row["h_index"], row["profile_papers"], row["citations"]) == (28, 57, 1945)
    assert (row["novelty_percent"], row["ai_score"]) == (55, 62)
    assert row["papers"] == 50  # the 50 entries of his profile page (003)
    assert (row["first_year"], row["last_year"]) == (2020, 2026)
    assert row["repository_count"] == 16
    assert "https://github.com/waltonfuture/Diff-eRank" in row["repositories"].split()
    assert row["subjects"] == "LG (25), CV (16), AI (5), CL (4)"


def test_an_author_without_a_profile_has_no_snapshot(runner: ReportRunner) -> None:
    (row,) = run(runner, "author-summary", author="Lai Wei")
    assert row["snapshot_date"] is None and row["h_index"] is None
    assert row["papers"] == 12


def test_author_papers_filters(runner: ReportRunner) -> None:
    everything = run(runner, "author-papers", author="Weiran Huang")
    assert len(everything) == 50
    dates = [row["date"] for row in everything]
    assert dates == sorted(dates, reverse=True)
    coded = run(runner, "author-papers", author="Weiran Huang", has_code="true")
    assert len(coded) == 18 and all(row["code"] for row in coded)
    assert len(run(runner, "author-papers", author="Weiran Huang", has_code="false")) == 32
    lg_2024 = run(runner, "author-papers", author="Weiran Huang", subject="cs.LG", year="2024")
    assert lg_2024 and all(
        r["subject_code"] == "LG" and r["date"].startswith("2024") for r in lg_2024
    )
    by_year = {
        y: len(run(runner, "author-papers", author="Weiran Huang", year=str(y)))
        for y in range(2020, 2027)
    }
    timeline = {
        r["year"]: r["papers"] for r in run(runner, "author-timeline", author="Weiran Huang")
    }
    assert by_year == timeline


def test_coauthors_and_network(runner: ReportRunner) -> None:
    coauthors = {
        r["coauthor_name"]: r["papers"] for r in run(runner, "coauthors", author="Weiran Huang")
    }
    assert coauthors["Lai Wei"] == 12 and coauthors["Zhiquan Tan"] == 12
    report = runner.reports["coauthor-network"]
    result = runner.run(report, runner.bind(report, {"author": "Weiran Huang"}))
    nodes = {n["data"]["label"]: n["data"] for n in result.extra["elements"]["nodes"]}
    assert nodes["Weiran Huang"]["level"] == 0
    assert set(coauthors) <= set(nodes)
    assert {data["level"] for data in nodes.values()} == {0, 1}
    ego = f"{TEST_BASE_IRI}author/weiran-huang"
    weights = {
        (e["data"]["source"], e["data"]["target"]): e["data"]["weight"]
        for e in result.extra["elements"]["edges"]
    }
    assert weights[tuple(sorted((ego, f"{TEST_BASE_IRI}author/lai-wei")))] == 12  # type: ignore[index]
    deeper = runner.run(report, runner.bind(report, {"author": "Weiran Huang", "depth": "2"}))
    assert len(deeper.extra["elements"]["nodes"]) > len(nodes)
    assert {n["data"]["level"] for n in deeper.extra["elements"]["nodes"]} == {0, 1, 2}


def _coauthor_graph(store: KGStore) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    query = (
        "SELECT DISTINCT ?a ?b WHERE { ?p <https://schema.org/author> ?a , ?b FILTER(?a != ?b) }"
    )
    for row in store.query(query):
        graph.setdefault(row["a"].value, set()).add(row["b"].value)
    return graph


def _distance(graph: dict[str, set[str]], start: str, goal: str) -> int | None:
    seen, frontier, steps = {start}, {start}, 0
    while frontier:
        if goal in frontier:
            return steps
        frontier = {n for f in frontier for n in graph.get(f, ()) if n not in seen}
        seen |= frontier
        steps += 1
    return None


@pytest.mark.parametrize(
    ("start", "goal"),
    [
        pytest.param("Zhiquan Tan", "Qibin Zhao", id="three-steps"),
        pytest.param("Weiran Huang", "Xuyang Zhao", id="direct"),
        pytest.param("Haowei He", "Toshihisa Tanaka", id="across-files"),
        pytest.param("Zhiquan Tan", "Xingtai Lv", id="no-path"),
        pytest.param("Lai Wei", "Lai Wei", id="same"),
    ],
)
def test_collaboration_path_is_a_shortest_path(
    runner: ReportRunner, seed_store: Path, start: str, goal: str
) -> None:
    store = KGStore.open_readonly(seed_store)
    graph = _coauthor_graph(store)
    a, b = SCHEME.author(start), SCHEME.author(goal)
    expected = _distance(graph, a, b)
    report = runner.reports["collaboration-path"]
    result = runner.run(report, runner.bind(report, {"from": start, "to": goal}))
    rows = result.records()
    if expected is None:
        assert rows == [] and "separate parts" in result.notes[0]
        return
    assert len(rows) == expected + 1
    assert rows[0]["author"] == a and rows[-1]["author"] == b
    assert [r["step"] for r in rows] == list(range(len(rows)))
    for before, after in pairwise(rows):
        assert after["author"] in graph[before["author"]]
        listed = run(runner, "paper-authors", paper=after["via_paper"])
        assert {before["author"], after["author"]} <= {r["author"] for r in listed}
        # The labels are those the paper and paper-authors reports give.
        titles = [
            r["value"]
            for r in run(runner, "paper", paper=after["via_paper"])
            if r["field"] == "title"
        ]
        assert after["via_paper_title"] == titles[-1]
        for row in (before, after):
            assert row["author_name"] == next(
                r["author_name"] for r in listed if r["author"] == row["author"]
            )
    assert all(r["author_name"] for r in rows)


def test_zhiquan_tan_to_qibin_zhao_goes_through_weiran_huang_and_xuyang_zhao(
    runner: ReportRunner,
) -> None:
    rows = run(runner, "collaboration-path", **{"from": "Zhiquan Tan", "to": "Qibin Zhao"})
    assert [r["author_name"] for r in rows] == [
        "Zhiquan Tan",
        "Weiran Huang",
        "Xuyang Zhao",
        "Qibin Zhao",
    ]


@pytest.mark.parametrize(
    ("query", "kind", "expected"),
    [
        pytest.param("weiren hunag", "author", "Weiran Huang", id="typos"),
        pytest.param("Huang Weiran", "author", "Weiran Huang", id="word-order"),
        pytest.param("Xuyàng Zhāo", "author", "Xuyang Zhao", id="diacritics"),
        pytest.param("ZHIQUAN", "author", "Zhiquan Tan", id="part-and-case"),
        pytest.param(
            "diff erank rank based metric",
            "paper",
            "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models",
            id="title",
        ),
        pytest.param(
            "undrestanding grokking robustnes",
            "paper",
            "Understanding Grokking Through A Robustness Viewpoint",
            id="title-typos",
        ),
    ],
)
def test_search_ranks_the_expected_match_first(
    runner: ReportRunner, query: str, kind: str, expected: str
) -> None:
    rows = run(runner, "search", q=query)
    assert rows, query
    assert (rows[0]["type"], rows[0]["label"]) == (kind, expected)
    only = run(runner, "search", q=query, kind=kind)
    assert {r["type"] for r in only} == {kind}
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_search_index_is_built_once_per_version(
    runner: ReportRunner, backend: RecordingBackend
) -> None:
    run(runner, "search", q="weiran")
    count = len(backend.requests)
    run(runner, "search", q="zhiquan")
    assert len(backend.requests) == count


def test_papers_in_several_profiles(runner: ReportRunner) -> None:
    rows = run(runner, "papers-in-several-profiles")
    assert len(rows) == 16  # PROFILE_FORMAT.md section 6
    assert all(r["profiles"] == 2 for r in rows)
    diff = next(r for r in rows if r["paper_title"].startswith("Diff-eRank"))
    assert set(diff["listed_by"].split("; ")) == {"Weiran Huang", "Zhiquan Tan"}
    assert run(runner, "papers-in-several-profiles", min_profiles="3") == []


def _seed_papers(seed_files: dict[str, Path]) -> dict[str, Any]:
    """Distinct papers of the seed pages, read by the parser (independently of the RDF)."""
    from kg.normalize import title_key
    from kg.parse import parse_bytes
    from tests.conftest import SEED_AS_OF

    papers: dict[str, Any] = {}
    for path in seed_files.values():
        for entry in parse_bytes(path.read_bytes(), path.name, as_of=SEED_AS_OF).papers:
            papers.setdefault(title_key(entry.title), entry)
    return papers


def test_subjects_and_papers_with_code_agree_with_the_seed_pages(
    runner: ReportRunner, seed_files: dict[str, Path]
) -> None:
    papers = _seed_papers(seed_files)
    assert len(papers) == 104  # PROFILE_FORMAT.md section 5: 104 distinct titles
    per_subject_year: dict[tuple[str, int], int] = {}
    coded: dict[tuple[str, int], int] = {}
    for entry in papers.values():
        key = (entry.category, entry.date.year)
        per_subject_year[key] = per_subject_year.get(key, 0) + 1
        coded[key] = coded.get(key, 0) + int(entry.has_code)
    subjects = run(runner, "subjects")
    assert {(r["subject_code"], r["year"]): r["papers"] for r in subjects} == per_subject_year
    assert sum(r["papers"] for r in subjects) == 104
    with_code = run(runner, "papers-with-code")
    assert {(r["subject_code"], r["year"]): r["papers"] for r in with_code} == per_subject_year
    assert {(r["subject_code"], r["year"]): r["with_code"] for r in with_code} == coded
    assert sum(r["with_code"] for r in with_code) == 32  # 36 flagged entries, 4 of them shared
    assert sum(r["with_repository"] for r in with_code) == 29  # 29 distinct GitHub repositories
    for row in with_code:
        assert row["share"] == pytest.approx(round(row["with_code"] / row["papers"], 3))


def test_venues_organizations_and_repositories(runner: ReportRunner) -> None:
    venues = run(runner, "venues")
    assert {r["venue_name"] for r in venues} == {"arXiv"}
    assert sum(r["papers"] for r in venues) == 104
    organizations = run(runner, "organizations")
    tags = {}
    for row in organizations:
        tags[row["tag"]] = tags.get(row["tag"], 0) + 1
    assert tags == {
        "tsinghua": 12,
        "pku": 2,
        "stanford": 1,
        "mit": 1,
    }  # section 5, affiliation tag counts
    assert len(run(runner, "organizations", organization="Peking University")) == 2
    repositories = run(runner, "repositories-by-owner")
    assert len({r["repository"] for r in repositories}) == 29
    walton = run(runner, "repositories-by-owner", owner="WALTONFUTURE")
    assert {r["repository_name"] for r in walton} == {
        "InstructionGPT-4",
        "Diabetica",
        "Diff-eRank",
        "RL-with-Cold-Start",
        "MM-UPT",
    }
    diff = next(r for r in walton if r["repository_name"] == "Diff-eRank")
    assert "Weiran Huang" in diff["authors"] and "Lai Wei" in diff["authors"]
    mine = run(runner, "author-repositories", author="Weiran Huang")
    assert len({r["repository"] for r in mine}) == 16


def test_top_authors(runner: ReportRunner) -> None:
    by_papers = run(runner, "top-authors-by-papers")
    assert [(r["author_name"], r["papers"]) for r in by_papers[:2]] == [
        ("Weiran Huang", 50),
        ("Zhiquan Tan", 21),
    ]
    assert len(by_papers) == 153  # distinct author strings (section 5)
    by_coauthors = run(runner, "top-authors-by-coauthors")
    assert by_coauthors[0]["author_name"] == "Weiran Huang"
    counts = [r["coauthors"] for r in by_coauthors]
    assert counts == sorted(counts, reverse=True)
    assert all(
        r["coauthors"] >= 10 for r in run(runner, "top-authors-by-coauthors", min_coauthors="10")
    )


def test_profiles_report(runner: ReportRunner) -> None:
    rows = {r["author_name"]: r for r in run(runner, "profiles")}
    assert set(rows) == {"Xuyang Zhao", "Lizhu Zhang", "Zhiquan Tan", "Weiran Huang", "Xingtai Lv"}
    assert rows["Weiran Huang"]["owner_inferred"] is True
    assert (rows["Weiran Huang"]["declared_papers"], rows["Weiran Huang"]["listed_papers"]) == (
        57,
        50,
    )


def test_xuyang_zhao_is_flagged_as_possibly_several_people(runner: ReportRunner) -> None:
    """PROFILE_FORMAT.md section 4: one name string over separate research lines."""
    rows = run(runner, "possible-duplicate-authors")
    # One row for him (issue 16 item 8: identity resolution's and the co-author-group check's
    # rows gave two different counts), the one the author page shows.
    mine = [r for r in rows if r["author_name"] == "Xuyang Zhao"]
    assert len(mine) == 1, mine
    assert mine[0]["signal"] == "possibly several people (identity resolution)"
    assert "Qibin Zhao" in mine[0]["evidence"]
    summary = run(runner, "author-summary", author="Xuyang Zhao")[0]
    assert summary["possibly_several_people"] is True
    # The same evidence (the report sorts its " | " parts).
    assert sorted(summary["ambiguity_evidence"].split(" | ")) == mine[0]["evidence"].split(" | ")
    assert (
        run(runner, "author-summary", author="Weiran Huang")[0]["possibly_several_people"] is None
    )
    groups = run(runner, "author-communities", author="Xuyang Zhao")
    assert sum(g["papers"] for g in groups) == 15
    assert sum(1 for g in groups if g["papers"] >= 2) >= 3


def test_identity_resolution_and_name_signals(reports) -> None:  # type: ignore[no-untyped-def]
    """possiblySameAs and possiblyAmbiguous from identity resolution, and swapped or initialled names."""
    store = KGStore.in_memory()
    b = TEST_BASE_IRI
    schema, kg = "https://schema.org/", "https://w3id.org/scholarly-kg/ontology#"
    a = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    lines = []
    for slug, name in (
        ("wei-zhang", "Wei Zhang"),
        ("zhang-wei", "Zhang Wei"),
        ("k-zheng", "K. Zheng"),
        ("kaipeng-zheng", "Kaipeng Zheng"),
        ("yifan-zhang", "Yifan Zhang"),
        ("yi-fan-zhang", "Yi Fan Zhang"),
        ("li-na", "Li Na"),
    ):
        lines.append(f"<{b}author/{slug}> {a} <{schema}Person> .")
        lines.append(f'<{b}author/{slug}> <{schema}name> "{name}" .')
    lines += [
        f"<{b}author/yi-fan-zhang> <{kg}possiblySameAs> <{b}author/yifan-zhang> .",
        f"<{b}author/yifan-zhang> <{kg}possiblySameAs> <{b}author/yi-fan-zhang> .",
        f"<{b}decision/1> {a} <{kg}IdentityDecision> .",
        f"<{b}decision/1> <{kg}decidedAuthor> <{b}author/yifan-zhang> .",
        f"<{b}decision/1> <{kg}decidedAuthor> <{b}author/yi-fan-zhang> .",
        f'<{b}decision/1> <{kg}decisionScore> "0.8"^^<{xsd}decimal> .',
        f'<{b}decision/1> <{kg}decisionMethod> "shared-coauthors" .',
        f'<{b}decision/1> <{kg}decisionKind> "possibly-same" .',
        f'<{b}decision/1> <{kg}decisionEvidence> "3 shared co-authors" .',
        f'<{b}decision/1> <{kg}decisionEvidence> "similar names" .',
        # Another decision about the same pair, of another kind: not this row's evidence.
        f"<{b}decision/2> <{kg}decidedAuthor> <{b}author/yifan-zhang> .",
        f"<{b}decision/2> <{kg}decidedAuthor> <{b}author/yi-fan-zhang> .",
        f'<{b}decision/2> <{kg}decisionKind> "distinct" .',
        f'<{b}decision/2> <{kg}decisionEvidence> "other reason" .',
        f'<{b}author/li-na> <{kg}possiblyAmbiguous> "true"^^<{xsd}boolean> .',
        f'<{b}author/li-na> <{kg}ambiguityEvidence> "two unrelated co-author groups" .',
    ]
    store.load_new_graphs([line + "\n" for line in lines])
    runner = ReportRunner(reports, LocalBackend(store), SCHEME)
    rows = run(runner, "possible-duplicate-authors")
    found = {(r["signal"], r["author_name"], r["other_name"]) for r in rows}
    assert (
        "possibly the same person (identity resolution)",
        "Yi Fan Zhang",
        "Yifan Zhang",
    ) in found or (
        "possibly the same person (identity resolution)",
        "Yifan Zhang",
        "Yi Fan Zhang",
    ) in found
    same = next(r for r in rows if r["signal"].startswith("possibly the same"))
    assert (same["score"], same["method"]) == (0.8, "shared-coauthors")
    assert set(same["evidence"].split(" | ")) == {"3 shared co-authors", "similar names"}
    assert ("possibly several people (identity resolution)", "Li Na", None) in found
    assert any(
        r["signal"] == "same name words in another order"
        and {r["author_name"], r["other_name"]} == {"Wei Zhang", "Zhang Wei"}
        for r in rows
    )
    assert any(
        r["signal"] == "initial and full given name"
        and (r["author_name"], r["other_name"]) == ("K. Zheng", "Kaipeng Zheng")
        for r in rows
    )
    assert (
        len([r for r in rows if r["signal"].startswith("possibly the same")]) == 1
    )  # one row per pair


def test_grouped_evidence_is_put_in_a_fixed_order() -> None:
    # GROUP_CONCAT's item order is the engine's and pyoxigraph's differs between processes:
    # the ambiguity report sorts the items, so one store always gives one text.
    from kg.reports.engines.ambiguity import _fixed_evidence

    at = {"signal": 0, "method": 1, "evidence": 2}
    decision = (
        ox.Literal("possibly the same person"),
        ox.Literal("initials+coauthors"),
        ox.Literal("shared co-author X | name similarity 0.91"),
    )
    assert _fixed_evidence(decision, at)[2] == ox.Literal(
        "name similarity 0.91 | shared co-author X"
    )
    names = (
        ox.Literal("same name words in another order"),
        ox.Literal("name-order"),
        ox.Literal('"Zhang Wei" and "Wei Zhang"'),
    )
    assert _fixed_evidence(names, at)[2] == ox.Literal('"Wei Zhang" and "Zhang Wei"')
    assert _fixed_evidence(_fixed_evidence(names, at), at) == _fixed_evidence(names, at)

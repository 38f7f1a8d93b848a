"""One name per person in the reports (kg.reports.names): a person with several spellings is
one row, named by its longest spelling, then the greatest; the SPARQL aggregate the queries
use and the Python rule the engines use agree."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.definitions import Reports
from kg.reports.names import SPARQL, preferred_name
from kg.reports.results import ReportResult
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
NAME = "https://schema.org/name"
OWNER = f"{TEST_BASE_IRI}author/xuyang-zhao"
#: An owner listed on papers only in their "et al." tail (the paper report names them apart).
HIDDEN = f"{TEST_BASE_IRI}author/lizhu-zhang"
COAUTHOR = f"{TEST_BASE_IRI}author/weiran-huang"
#: The reports that name a person, and the column(s) they name it in.
NAMING = {
    "profiles": ("author_name",),
    "top-authors-by-papers": ("author_name",),
    "top-authors-by-coauthors": ("author_name",),
    "coauthors": ("coauthor_name",),
    "paper-authors": ("author_name",),
    "author-summary": ("name",),
    "fastest-growing-authors": ("author_name",),
    "crawl-changes": ("owner_name",),
    "possible-duplicate-authors": ("author_name", "other_name"),
    "coauthor-network": ("source_name", "target_name"),
    "author-communities": ("coauthors",),
    "organizations": ("authors",),
    "repositories-by-owner": ("authors",),
    "papers-in-several-profiles": ("listed_by",),
    "paper": ("value",),
}


def test_the_queries_and_the_python_rule_pick_the_same_name() -> None:
    people = {
        "a": ['"A. Brown"', '"Alessandro Brown"'],
        "b": ['"Henry Soderberg"', '"Henry S\u00f6derberg"'],
        "c": ['"Bruno von Braun"', '"Bruno Steven von Braun"', '"B. von Braun"'],
        "d": ['"Zo\u00eb \U0001f600"', '"Zoe \U0001f600"', '"Zo\u00eb"'],
        "e": ['"Name"@en', '"Nam\u00e9"@de'],
        "f": ['"Do-Yun Shin"', '"Shin Do-Yun"'],
        "g": ['"Same"'],
        # Lengths of five digits and more: compared as numbers, not as text.
        "h": ['"Short name"', '"' + "M" * 10_000 + '"', '"' + "N" * 9_999 + '"'],
        "i": ['"' + "O" * 100_000 + '"', '"' + "P" * 99_999 + '"'],
    }
    store = ox.Store()
    lines = [f"<http://e/{p}> <{NAME}> {n} ." for p, names in people.items() for n in names]
    store.load(("\n".join(lines) + "\n").encode(), ox.RdfFormat.N_TRIPLES)
    query = f"SELECT ?p ({SPARQL} AS ?name) WHERE {{ ?p <{NAME}> ?spelling }} GROUP BY ?p"
    found = {row["p"].value: row["name"] for row in store.query(query)}  # type: ignore[union-attr]
    for person, names in people.items():
        spellings = [_value(n) for n in names]
        assert found[f"http://e/{person}"] == ox.Literal(preferred_name(spellings)), person
    assert found["http://e/c"].value == "Bruno Steven von Braun"
    assert found["http://e/b"].value == "Henry S\u00f6derberg"
    assert found["http://e/d"].value == "Zo\u00eb \U0001f600"
    assert found["http://e/h"].value == "M" * 10_000
    assert found["http://e/i"].value == "O" * 100_000


def _value(literal: str) -> str:
    """The text of a literal as written above (a quoted string, maybe with a language tag)."""
    return literal[1 : literal.rindex('"')]


def test_every_report_that_names_a_person_uses_the_rule(reports: Reports) -> None:
    for name in NAMING:
        assert SPARQL in reports[name].query, name


# -- a person with three spellings, on the seed store ---------------------------------------


@pytest.fixture(scope="module")
def reports() -> Reports:
    return load_reports(scheme=SCHEME)


@pytest.fixture(scope="module")
def runner(seed_store: Path, reports: Reports) -> ReportRunner:
    """The seed store, where the first profile's owner and one of its co-authors have two more
    spellings each (as identity resolution leaves merged names), in the owner's page's graph
    and in the default graph (the union)."""
    seeds = KGStore.open_readonly(seed_store)
    dump = io.BytesIO()
    seeds.dump(dump, "nquads")
    seeds.close()
    store = KGStore.in_memory()
    store.load_rdf(dump.getvalue(), "nquads")
    graph = next(
        iter(
            store.query(
                "SELECT ?g WHERE { GRAPH ?g { ?s <http://xmlns.com/foaf/0.1/primaryTopic> "
                f"<{OWNER}> }} }}"
            )
        )
    )["g"].value
    extra = "".join(
        f'<{person}> <{NAME}> "{spelling}" {where} .\n'
        for person, spellings in (
            (OWNER, ("X. Zhao", "Xuyang Zh")),
            (COAUTHOR, ("W. Huang",)),
            (HIDDEN, ("L. Zhang",)),
        )
        for spelling in spellings
        for where in ("", f"<{graph}>")
    )
    store.load_rdf(extra.encode(), "nquads")
    return ReportRunner(reports, LocalBackend(store), SCHEME)


def _rows(runner: ReportRunner, name: str, params: dict[str, str]) -> ReportResult:
    report = runner.reports[name]
    return runner.run(report, runner.bind(report, params))


def _column(result: ReportResult, column: str) -> list[object]:
    at = result.columns.index(column)
    return [row[at].value if row[at] is not None else None for row in result.rows]


@pytest.mark.parametrize(
    ("name", "params", "key"),
    [
        ("profiles", {}, ("profile",)),
        ("top-authors-by-papers", {}, ("author",)),
        ("top-authors-by-coauthors", {}, ("author",)),
        ("coauthors", {"author": OWNER}, ("coauthor",)),
        ("paper-authors", {"paper": "?"}, ("author", "position")),
        ("author-summary", {"author": OWNER}, ()),
        ("author-communities", {"author": OWNER}, ("group",)),
        ("coauthor-network", {"author": OWNER}, ("source", "target")),
        ("crawl-changes", {"from": "2020-01-01", "to": SEED_AS_OF.isoformat()}, None),
    ],
)
def test_a_person_with_several_spellings_is_one_row(
    runner: ReportRunner, name: str, params: dict[str, str], key: tuple[str, ...] | None
) -> None:
    if params.get("paper") == "?":
        # A paper of the owner's whose co-author has two spellings too.
        coauthored = _rows(runner, "coauthors", {"author": OWNER})
        assert COAUTHOR in _column(coauthored, "coauthor")
        papers = _rows(runner, "author-papers", {"author": COAUTHOR})
        params = {"paper": str(_column(papers, "paper")[0])}
    result = _rows(runner, name, params)
    assert result.rows, name
    # The key of a row (none: the report is one row), or every column but the name.
    columns = tuple(c for c in result.columns if c != "owner_name") if key is None else key
    keys = Counter(tuple(_column(result, c)[i] for c in columns) for i in range(len(result.rows)))
    assert max(keys.values()) == 1, (name, keys.most_common(2))
    named = {
        row[result.columns.index(column)].value
        for row in result.rows
        for column in NAMING[name]
        if row[result.columns.index(column)] is not None
    }
    # A group's co-authors are one text: "Weiran Huang (3), ...".
    assert not any(short in text for text in named for short in ("X. Zhao", "W. Huang")), name
    assert "Xuyang Zh" not in {text.split(" (")[0] for text in named}, name
    if name in ("profiles", "top-authors-by-papers", "author-summary", "crawl-changes"):
        assert "Xuyang Zhao" in named, name


def test_a_collaboration_path_names_its_authors_as_the_reports_do(runner: ReportRunner) -> None:
    result = _rows(runner, "collaboration-path", {"from": COAUTHOR, "to": OWNER})
    names = _column(result, "author_name")
    assert "Xuyang Zhao" in names and "Weiran Huang" in names, names
    assert not {"X. Zhao", "Xuyang Zh", "W. Huang"} & set(names)


def test_the_paper_report_names_an_author_hidden_by_et_al_once(runner: ReportRunner) -> None:
    papers = _column(_rows(runner, "author-papers", {"author": HIDDEN}), "paper")
    hidden = []
    for paper in papers[:5]:
        result = _rows(runner, "paper", {"paper": str(paper)})
        fields, values = _column(result, "field"), _column(result, "value")
        named = [v for f, v in zip(fields, values, strict=True) if f == "author hidden by et al."]
        assert len(named) <= 1, named  # one row for her, not one per spelling
        hidden += named
    assert hidden and set(hidden) == {"Lizhu Zhang"}, hidden


def test_a_paper_without_a_named_author_keeps_its_other_authors(reports: Reports) -> None:
    """organizations and repositories-by-owner list the authors that have a name; one without
    a name is left out (it emptied the list when the names became one per person)."""
    base, schema, kg = "http://e/", "https://schema.org/", "https://w3id.org/scholarly-kg/ontology#"
    paper, org, repo = f"<{base}paper>", f"<{base}org>", f"<{base}repo>"
    lines = [
        f'{paper} <http://purl.org/dc/terms/title> "A paper" .',
        f"{paper} <{schema}sourceOrganization> {org} .",
        f'{org} <{schema}identifier> "org" .',
        f'{org} <{schema}name> "An Organization" .',
        f"{paper} <{kg}hasRepository> {repo} .",
        f"{repo} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{schema}SoftwareSourceCode> .",
        f'{repo} <{kg}repositoryOwner> "owner" .',
        f'{repo} <{kg}repositoryHost> "github.com" .',
        f'{repo} <{schema}name> "repo" .',
        f"{repo} <{schema}codeRepository> <https://github.com/owner/repo> .",
        f"{paper} <{schema}author> <{base}named> .",
        f"{paper} <{schema}author> <{base}nameless> .",
        f'<{base}named> <{schema}name> "N. Person" .',
        f'<{base}named> <{schema}name> "Named Person" .',
    ]
    store = KGStore.in_memory()
    store.load_rdf(("\n".join(lines) + "\n").encode(), "ntriples")
    runner = ReportRunner(reports, LocalBackend(store), SCHEME)
    organizations = _rows(runner, "organizations", {})
    assert _column(organizations, "authors") == ["Named Person"]
    assert _column(organizations, "author_count") == ["1"]
    assert _column(_rows(runner, "repositories-by-owner", {}), "authors") == ["Named Person"]


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("organizations", "authors"),
        ("repositories-by-owner", "authors"),
        ("papers-in-several-profiles", "listed_by"),
    ],
)
def test_a_list_of_people_in_a_cell_names_each_once(
    runner: ReportRunner, name: str, column: str
) -> None:
    cells = [str(value) for value in _column(_rows(runner, name, {}), column) if value]
    assert any("Xuyang Zhao" in cell or "Weiran Huang" in cell for cell in cells), name
    assert not any("X. Zhao" in cell or "W. Huang" in cell for cell in cells), name


def test_an_entity_page_and_a_feed_name_a_person_as_the_reports_do() -> None:
    from kg_server.feeds import _entity_label
    from kg_server.linked_data import labels_of

    from kg.citations.works import Author, Work

    person, paper = ox.NamedNode("http://e/person"), ox.NamedNode("http://e/paper")
    name, title = ox.NamedNode(NAME), ox.NamedNode("http://purl.org/dc/terms/title")
    spellings = ["A. Brown", "Alessandro Brown", "Alessandro Bro"]
    for order in (spellings, spellings[::-1]):
        triples = [ox.Triple(person, name, ox.Literal(s)) for s in order]
        triples += [ox.Triple(paper, title, ox.Literal(t)) for t in ("First", "A longer title")]
        labels = labels_of(triples)
        assert labels["http://e/person"] == "Alessandro Brown"
        assert labels["http://e/paper"] == "First"  # titles: the first, as before
    works = [
        Work("http://e/p1", "One", (Author("A. Brown", "http://e/person"), Author("Other"))),
        Work("http://e/p2", "Two", (Author("Alessandro Brown", "http://e/person"),)),
    ]
    assert _entity_label("http://e/person", works, "author") == "Alessandro Brown"
    assert _entity_label("http://e/nobody", works, "author") == "nobody"

"""`kg report`: the canned reports without the server, with the same rows as HTTP."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.reports.catalog import load_reports
from tests.conftest import TEST_BASE_IRI

REPORTS = load_reports(validate=False)


def kg_report(seed_store: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        main, ["report", *args, "--store", str(seed_store), "--base-iri", TEST_BASE_IRI]
    )
    return result.exit_code, result.stdout, result.stderr


def example_params(name: str) -> dict[str, str]:
    """The examples of the required parameters, and of the crawl dates (the seed store has
    one crawl: left out, the reports between two crawls have nothing to compare)."""
    return {
        p.name: p.example
        for p in REPORTS[name].parameters
        if (p.required or p.store_default is not None) and p.example is not None
    }


def example_args(name: str) -> list[str]:
    args: list[str] = []
    for key, value in example_params(name).items():
        args += ["--param", f"{key}={value}"]
    return args


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_kg_report_gives_the_rows_of_the_http_report(client, seed_store: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = kg_report(seed_store, name, *example_args(name), "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    params = example_params(name)
    http = client.get(f"/reports/{name}.json?{urlencode({**params, 'limit': 100000})}").get_json()
    assert document["rows"], name
    assert document["columns"] == http["columns"]
    assert document["rows"] == http["rows"]
    assert document["parameters"] == http["parameters"]


def test_kg_report_without_dates_says_which_crawl_dates_it_took(seed_store: Path) -> None:
    """The seed store is one crawl (2026-11-21): nothing to compare the crawl with, and
    everything is new in it (a note, no rows); given the date, the papers new in it."""
    code, out, err = kg_report(seed_store, "papers-listed-since", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["parameters"] == {} and document["rows"] == []
    assert document["notes"] == [
        "since not given, and the store has no crawl before its latest: "
        "everything is new in it (give since)"
    ]
    code, out, err = kg_report(
        seed_store, "papers-listed-since", "--param", "since=2026-11-21", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["rows"]
    code, out, err = kg_report(seed_store, "crawl-changes")
    assert code == 0, err
    assert "note: from not given, and the store has no crawl date before 2026-11-21" in err
    assert "(0 rows)" in err


def test_kg_report_csv_equals_the_http_csv(client, seed_store: Path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main,
        [
            "report",
            "author-papers",
            "--param",
            "author=Weiran Huang",
            "--format",
            "csv",
            "--store",
            str(seed_store),
            "--base-iri",
            TEST_BASE_IRI,
        ],
    )
    assert result.exit_code == 0, result.stderr
    http = client.get("/reports/author-papers.csv?author=Weiran+Huang").get_data()
    assert result.stdout_bytes == http  # byte for byte, CRLF line ends included
    assert len(list(csv.reader(io.StringIO(http.decode())))) == 51


def test_kg_report_table(seed_store: Path) -> None:
    code, out, err = kg_report(seed_store, "author-timeline", "--param", "author=Weiran Huang")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["year", "papers", "with_code"]
    assert lines[2].split() == ["2020", "4", "0"]
    assert "(7 rows)" in err


def test_kg_report_prints_engine_notes(seed_store: Path) -> None:
    code, _out, err = kg_report(
        seed_store, "collaboration-path", "--param", "from=Zhiquan Tan", "--param", "to=Xingtai Lv"
    )
    assert code == 0
    assert "note: no co-author path" in err


def test_kg_report_lists_the_reports(seed_store: Path) -> None:
    code, out, _err = kg_report(seed_store)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(REPORTS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["no-such-report"], "no report named 'no-such-report'", id="unknown-report"),
        pytest.param(["author-papers"], "parameter 'author' is required", id="missing"),
        pytest.param(
            ["author-papers", "--param", "author=x", "--param", "year=soon"],
            "four-digit year",
            id="bad-value",
        ),
        pytest.param(["author-papers", "--param", "author"], "expected NAME=VALUE", id="malformed"),
    ],
)
def test_kg_report_errors(seed_store: Path, args: list[str], message: str) -> None:
    code, _out, err = kg_report(seed_store, *args)
    assert code == 2
    assert message in err


def test_kg_report_says_who_a_misspelt_author_may_be(seed_store: Path) -> None:
    code, _out, err = kg_report(seed_store, "author-papers", "--param", "author=Weiran Huagn")
    assert code == 0
    assert "note: no author named 'Weiran Huagn'; did you mean 'Weiran Huang'" in err
    assert "(0 rows)" in err


ABSTRACT_WORDS = ["--param", "q=fused Lasso regularization", "--param", "kind=paper"]
FEDERATED = "Heterogeneous Federated Learning on a Graph"


def test_kg_report_search_asks_the_search_index(seed_store: Path) -> None:
    code, out, err = kg_report(seed_store, "search", *ABSTRACT_WORDS, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["columns"] == ["type", "item", "label", "score"]
    assert document["rows"][0]["label"] == FEDERATED  # words of its abstract, not its title
    assert not document.get("notes")


def test_kg_report_search_without_an_index_ranks_names_and_says_so(
    seed_store: Path, tmp_path: Path
) -> None:
    # As `kg ingest --no-search-index` leaves a store: no STORE/search.
    bare = tmp_path / "store"
    shutil.copytree(seed_store, bare, ignore=shutil.ignore_patterns("search"))
    code, out, err = kg_report(bare, "search", "--param", "q=weiran huagn")
    assert code == 0, err
    assert out.splitlines()[0].split() == ["type", "item", "label", "score"]
    assert "Weiran Huang" in out.splitlines()[2]
    assert "note: ranked by the similarity of names and titles" in err
    assert "no search index" in err
    # The index given by --search-index-dir (where an external store keeps it) is asked.
    code, out, err = kg_report(
        bare,
        "search",
        *ABSTRACT_WORDS,
        "--search-index-dir",
        str(seed_store / "search"),
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["rows"][0]["label"] == FEDERATED

"""`kg report`: the canned reports without the server, with the same rows as HTTP."""

from __future__ import annotations

import csv
import io
import json
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


def example_args(name: str) -> list[str]:
    args: list[str] = []
    for param in REPORTS[name].parameters:
        if param.required and param.example is not None:
            args += ["--param", f"{param.name}={param.example}"]
    return args


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_kg_report_gives_the_rows_of_the_http_report(client, seed_store: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = kg_report(seed_store, name, *example_args(name), "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    params = {
        p.name: p.example for p in REPORTS[name].parameters if p.required and p.example is not None
    }
    http = client.get(f"/reports/{name}.json?{urlencode({**params, 'limit': 100000})}").get_json()
    assert document["rows"], name
    assert document["columns"] == http["columns"]
    assert document["rows"] == http["rows"]
    assert document["parameters"] == http["parameters"]


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

"""The `kg` command: parse JSON schema, ingest/stats/export/query, errors without tracebacks."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"
PAPER_KEYS = {
    "line",
    "title",
    "authors",
    "authors_truncated",
    "affiliations",
    "category",
    "date",
    "year_inferred",
    "has_code",
    "repositories",
    "links",
    "abstract",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_parse_json_has_the_documented_shape(seed_files: dict[str, Path]) -> None:
    code, out, _ = run(
        "parse",
        str(seed_files["003"]),
        str(seed_files["002"]),
        "--format",
        "json",
        "--as-of",
        "2026-11-21",
    )
    assert code == 0
    documents = json.loads(out)
    assert [d["source"] for d in documents] == [seed_files["003"].name, seed_files["002"].name]
    first = documents[0]
    assert set(first) == {"source", "owner", "category", "metrics", "papers", "failures"}
    assert first["owner"] == {"name": "Weiran Huang", "inferred": True}
    assert first["category"] is None
    assert first["metrics"] == {
        "h_index": 28,
        "papers": 57,
        "citations": 1945,
        "novelty": 55,
        "ai_score": 62,
    }
    assert len(first["papers"]) == 50
    assert all(set(p) == PAPER_KEYS for p in first["papers"])
    assert documents[1]["metrics"] == dict.fromkeys(first["metrics"])  # no header: all null
    assert documents[1]["owner"] == {"name": "Zhiquan Tan", "inferred": True}


def test_parse_text_summary() -> None:
    code, out, _ = run("parse", str(EXAMPLES / "ada-lindqvist.txt"), "--as-of", "2026-11-21")
    assert code == 0
    assert "Ada Lindqvist, 4 papers, 0 failures" in out


def test_ingest_stats_and_second_ingest(tmp_path: Path, seeds_dir: Path) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run(
        "ingest", str(seeds_dir), "--store", store, "--as-of", "2026-11-21", "--no-progress"
    )
    assert code == 0, out
    assert "5 added" in out
    code, out, _ = run("stats", "--store", store, "--format", "json")
    stats = json.loads(out)
    for key in (
        "profiles",
        "papers",
        "authors",
        "repositories",
        "venues",
        "subjects",
        "organizations",
        "graphs",
        "triples",
    ):
        assert key in stats
    assert (stats["profiles"], stats["papers"], stats["repositories"]) == (5, 104, 29)
    code, out, _ = run(
        "ingest", str(seeds_dir), "--store", store, "--as-of", "2026-11-21", "--no-progress"
    )
    assert "5 unchanged" in out
    code, out2, _ = run("stats", "--store", store, "--format", "json")
    assert json.loads(out2) == stats


@pytest.mark.parametrize(
    ("fmt", "rdf_format", "keeps_graphs"),
    [
        pytest.param("nquads", ox.RdfFormat.N_QUADS, True, id="nquads"),
        pytest.param("trig", ox.RdfFormat.TRIG, True, id="trig"),
        pytest.param("turtle", ox.RdfFormat.TURTLE, False, id="turtle"),
        pytest.param("ntriples", ox.RdfFormat.N_TRIPLES, False, id="ntriples"),
        pytest.param("jsonld", ox.RdfFormat.JSON_LD, False, id="jsonld"),
        pytest.param("rdfxml", ox.RdfFormat.RDF_XML, False, id="rdfxml"),
    ],
)
def test_export_formats_parse_back(
    seed_store: Path, tmp_path: Path, fmt: str, rdf_format: ox.RdfFormat, keeps_graphs: bool
) -> None:
    output = tmp_path / f"dump.{fmt}"
    code, _, _ = run("export", "--store", str(seed_store), "--format", fmt, "--output", str(output))
    assert code == 0
    quads = list(ox.parse(output.read_bytes(), rdf_format))
    graphs = {q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
    if keeps_graphs:
        sources = {
            g for g in graphs if "/graph/_" not in g.value
        }  # not the derived _identity graph
        assert len(sources) == 5, "quad formats keep the named graphs"
    else:
        assert not graphs
        triples = {(q.subject, q.predicate, q.object) for q in quads}
        assert len(triples) == len(quads), "triple formats carry the union without duplicates"


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv"])
def test_query_formats(seed_store: Path, fmt: str) -> None:
    code, out, _ = run(
        "query",
        "--store",
        str(seed_store),
        "--format",
        fmt,
        "SELECT (COUNT(?p) AS ?papers) { ?p a schema:ScholarlyArticle }",
    )
    assert code == 0
    assert "104" in out
    if fmt == "json":
        assert json.loads(out)["results"]["bindings"][0]["papers"]["value"] == "104"
    if fmt == "csv":
        assert out.splitlines()[0].strip() == "papers"


def test_query_over_two_graphs_reads_their_merge(seed_store: Path) -> None:
    """``FROM <a> FROM <b>`` is the RDF merge of the graphs (issue 16, 2): two profiles that
    share a paper state some triples twice, and each counts once."""
    from tests.server.test_sparql_dataset_merge import SHARED

    def answer(query: str) -> list[dict[str, str]]:
        code, out, err = run("query", "--store", str(seed_store), "--format", "json", query)
        assert code == 0, err
        rows = json.loads(out)["results"]["bindings"]
        return [{k: v["value"] for k, v in row.items()} for row in rows]

    pair = answer(SHARED)[0]
    a, b = pair["a"], pair["b"]
    everything = f"FROM <{a}> FROM <{b}> WHERE {{ ?s ?p ?o }}"
    merged = int(answer(f"SELECT (COUNT(*) AS ?n) {everything}")[0]["n"])
    assert merged == int(answer(f"SELECT (COUNT(DISTINCT *) AS ?n) {everything}")[0]["n"])
    bag = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ <{a}> <{b}> }} }}"
    assert merged < int(answer(bag)[0]["n"])


def test_query_syntax_error_is_one_line(seed_store: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--store", str(seed_store), "SELEKT nothing"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "empty", id="empty-file"),
        pytest.param(b"\x00\x01\x02\x03" * 100, "binary", id="binary-file"),
    ],
)
def test_bad_file_gives_file_line_reason_and_no_traceback(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    good = EXAMPLES / "ada-lindqvist.txt"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "ingest",
            str(good),
            str(bad),
            "--store",
            str(tmp_path / "store"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1, "a failed file makes the exit status non-zero"
    assert "Traceback" not in process.stderr + process.stdout
    error_lines = [line for line in process.stderr.splitlines() if "bad.txt" in line]
    assert len(error_lines) == 1
    assert reason in error_lines[0].lower()
    assert error_lines[0].split(":")[1].isdigit(), "file:line: reason"
    assert "1 added" in process.stdout, "the good file is stored"


def test_stats_on_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "kg ingest" in result.stderr


def test_export_to_stdout_streams_nquads(seed_store: Path) -> None:
    result = CliRunner().invoke(main, ["export", "--store", str(seed_store)])
    assert result.exit_code == 0
    quads = list(ox.parse(io.BytesIO(result.stdout_bytes), ox.RdfFormat.N_QUADS))
    assert len(quads) > 4000

"""The benchmark command runs end to end on a tiny corpus, and its query rewriting is faithful.

Not a benchmark: ``python -m bench`` (docs/benchmark.md) measures; this only
checks that it still works, on 60 papers, without the HTTP and rdflib parts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_BASE_IRI


@pytest.mark.slow  # about 35 s on 2 cores
def test_bench_quick_run_writes_figures_and_a_table(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "60",
            "--quick",
            "--skip-http",
            "--skip-rdflib",
            "--work",
            str(tmp_path / "work"),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| papers |" in done.stdout and "### Targets" in done.stdout
    results = json.loads(output.read_text())
    load = results["load"][0]
    assert load["papers"] == 60 and load["quads"] > 0
    assert load["ingest"]["seconds"] > 0 and load["raw_bulk_load"]["seconds"] > 0
    assert load["ingest"]["peak_pss_bytes"] > 0 and load["raw_bulk_load"]["peak_pss_bytes"] > 0
    # The distinct triples are fewer than the quads (each page's graph and the union hold
    # a triple twice at least), and every store on disk has a size.
    distinct = load["distinct"]
    assert 0 < distinct["triples"] < load["quads"]
    assert distinct["store_bytes"] > 0 and load["store_bytes"] > load["raw_store_bytes"] > 0
    assert "distinct triples" in done.stdout
    assert results["reports"], "every report is timed in-process"
    assert all(r["n"] > 0 or r["errors"] or r["timeout"] for r in results["reports"].values())


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, id=n)
        for n in ("coauthors", "author-timeline", "author-papers", "paper-authors")
    ],
)
def test_inlined_report_query_gives_the_rows_of_substitutions(seed_store: Path, name: str) -> None:
    """The text sent to the native server and rdflib means what the report means with substitutions."""
    from bench.queries import inline
    from kg.rdf.iri import IriScheme
    from kg.reports.catalog import load_reports
    from kg.reports.results import bind
    from kg.store.embedded import KGStore
    from kg.store.query import LocalBackend, QueryRequest

    scheme = IriScheme(TEST_BASE_IRI)
    backend = LocalBackend(KGStore.open_readonly(seed_store))
    report = load_reports(scheme=scheme)[name]
    params = {p.name: p.example for p in report.parameters if p.required and p.example}
    binding = bind(report, params, scheme)
    substituted = backend.run(
        QueryRequest(report.query, substitutions=binding.substitutions(report))
    )
    inlined = backend.run(QueryRequest(inline(report.query, binding.substitutions(report))))
    assert substituted.select is not None and inlined.select is not None
    assert substituted.select.rows, "the example parameters find rows in the seed store"
    hidden = {p.name for p in report.sparql_parameters}
    keep = [i for i, v in enumerate(substituted.select.variables) if v not in hidden]
    expected = sorted(tuple(str(row[i]) for i in keep) for row in substituted.select.rows)
    columns = [substituted.select.variables[i] for i in keep]
    index = [inlined.select.variables.index(c) for c in columns]
    assert sorted(tuple(str(row[i]) for i in index) for row in inlined.select.rows) == expected


def test_a_kept_corpus_from_another_generator_is_made_again(tmp_path: Path) -> None:
    from bench.run import make_corpus
    from kg.tools.generate import CORPUS_VERSION

    folder, info = make_corpus(20, 3, tmp_path)
    assert info["generator"] == CORPUS_VERSION
    assert make_corpus(20, 3, tmp_path) == (folder, info)  # kept
    marker = folder / ".complete.json"
    marker.write_text(json.dumps({**info, "generator": CORPUS_VERSION - 1}))
    (folder / "stale").write_text("from the old generator")
    again, remade = make_corpus(20, 3, tmp_path)
    assert again == folder and remade["generator"] == CORPUS_VERSION
    assert not (folder / "stale").exists()


def test_abstract_realism_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bench.abstracts` compares a corpus's abstracts with the seeds' (here a
    corpus with itself, which needs no seeds)."""
    from bench.abstracts import main
    from kg.tools.generate import generate

    generate(300, tmp_path, seed=2)
    profiles = str(tmp_path / "profiles")
    assert main([profiles, "--seeds", profiles]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("seeds") and "unique_share" in lines[3]


@pytest.mark.slow  # about 30 s on 2 cores: each query runs in a child process
def test_storage_layouts_benchmark_runs(tmp_path: Path) -> None:
    """A smoke run of bench/storage.py: every layout loaded, D, E and F hold each triple once,
    D, F and G give back every source graph, and the bag union of C is visibly a bag."""
    from bench.storage import run, table

    results = run(60, tmp_path, repeats=1, progress=lambda _: None)
    layouts, sharing = results["layouts"], results["sharing"]
    quads = {name: layouts[name]["quads"] for name in "ABCDEFG"}
    assert sharing["shared_triples"] > 0 and sharing["orphans"] == 0
    assert quads["B"] == sharing["distinct_triples"]
    assert quads["A"] == quads["B"] + quads["C"]  # the union plus every graph
    assert quads["C"] == quads["B"] + sharing["extra_statements"]
    assert quads["D"] == quads["B"] + sharing["d_provenance"] < quads["E"] == quads["C"]
    assert quads["F"] == quads["G"] == quads["B"] + sharing["f_provenance"]
    assert all(layouts[name]["store_bytes"] > 0 for name in "ABCDEFG")
    for name in ("D", "F", "G"):  # every source graph comes back, exactly
        recovery = results["recovery"][name]
        assert recovery["checked"] == recovery["graphs"] > 1 and recovery["mismatched"] == 0
    timed = results["queries"]
    b_count = str(quads["B"])
    for name in ("D", "E"):  # a set: the union's data triples are B's, none twice
        assert timed[name]["data triples"]["value"] == b_count
        assert timed[name]["distinct triples"]["value"] == timed[name]["triples"]["value"]
    assert timed["C"]["triples"]["value"] == str(quads["C"]) != b_count  # a bag
    assert timed["F"]["triples"]["value"] == b_count  # the default graph is B
    assert timed["G"]["data triples"]["value"] == b_count
    reports = [q for q in timed["B"] if q.startswith("report ")]
    assert "report author-papers" in reports
    for query in reports:
        for name in ("A", "D", "E", "F", "G"):
            assert timed[name][query]["digest"] == timed["B"][query]["digest"], (name, query)
    assert "| D |" in table(results)
    assert not list(tmp_path.glob("layouts-60/store-*")), "the stores are deleted"


def test_reports_over_time_benchmark_runs(
    tmp_path: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A smoke run of bench/over_time.py on the seed profiles copied on four dates: every
    pair of dates asked of both reports, by query and by engine, with the same rows."""
    from bench.over_time import main
    from tests.server.crawled_stores import seed_crawls

    folder, days = seed_crawls(tmp_path, seeds_dir)
    output = tmp_path / "over-time.json"
    assert main([str(folder), "--json", str(output)]) == 0
    found = json.loads(output.read_text(encoding="utf-8"))
    assert found["crawls"] == [day.isoformat() for day in days]
    for name in ("crawl-changes", "fastest-growing-authors"):
        pairs = found["reports"][name]["pairs"]
        # each crawl with the next, the first with the last, from before it, from between two
        assert len(pairs) == len(days) - 1 + 3
        assert all(pair["same_rows"] for pair in pairs)
        assert any(pair["rows"] for pair in pairs)
        assert all(pair["query_cpu_s"] > 0 for pair in pairs)
    printed = capsys.readouterr().out
    assert "| fastest-growing-authors | 2026-09-01 -> 2026-10-01" in printed

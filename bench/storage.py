"""Storage layouts: what storing each fact once would save, and what it would cost (issue 17).

Run from the repository root::

    python -m bench.storage                      # 10k papers
    python -m bench.storage --papers 100000 --repeats 1
    python -m bench.storage --papers 60 --work /tmp/s --json out.json

One corpus (``kg generate``, seed 7) is ingested once, as the benchmark does it (``kg ingest
--no-precompute --no-search-index``), and exported (``kg export --format nquads``). From that
export seven layouts are written as N-Quads and each is loaded by pyoxigraph's ``bulk_load`` into
a fresh on-disk store, in a child process timed as the raw loader of ``python -m bench`` is
(wall and CPU seconds, peak memory of the process tree, the store's size on disk after
``flush``, its quads):

* **A** today's layout, the product: one named graph per source page (and the identity
  graph), plus the default graph materialised as their set union;
* **B** the distinct triples only (the default graph): the baseline of issue 17, a raw bulk
  load of the information itself; every ratio is against it;
* **C** the named graphs only, no materialised union: what Oxigraph's union default graph
  (``use_default_graph_as_union``, a bag: oxigraph#1919) would read;
* **D** "partitioned": every distinct triple stored once, in the named graph of the
  lexically first graph that states it (its *owner*); each other graph ``g`` that states
  triples about a subject ``s`` stored elsewhere gets, in its own graph, either one quad
  ``<g> bench:statesAllAbout <s>`` when it states every triple about ``s`` (a paper listed
  alike by two pages) or, when it states only some, one quad ``<g> bench:alsoStates
  <<( s p o )>>`` (an RDF 1.2 triple term) per such triple. Oxigraph's union then holds
  each data triple once (a set), plus the provenance triples, which are distinct too;
* **E** as D with per-triple provenance only (one ``alsoStates`` quad per extra statement):
  the simplest exact encoding, shown for what the per-subject markers of D save;
* **F** every distinct triple once in the *default* graph (as in B), and each source graph
  holding only provenance: D's two kinds of quad, for every triple it states (not only those
  stored elsewhere). Queries read the default graph as today, without the union option.
  (Oxigraph indexes a default-graph triple three times and a named-graph quad six times,
  which is why D cannot be as small as B.)
* **G** as F with the provenance triples in the default graph too: no named graph at all,
  a source page is only the subject of its provenance triples.

Graph ``g`` of the product is recovered from D exactly (the run checks it, graph by graph,
against the export, for up to ``--check-graphs`` graphs; F and G likewise, without
the first branch and with ``?s ?p ?o`` read from the default graph)::

    { GRAPH ?g { ?s ?p ?o } }                            # what g owns, provenance aside
    UNION { GRAPH ?g { ?g bench:statesAllAbout ?s } ?s ?p ?o }   # from the union
    UNION { GRAPH ?g { ?g bench:alsoStates ?t } }        # ?s ?p ?o = SUBJECT/PREDICATE/OBJECT(?t)

A few queries are then timed on each store, each in a child process stopped past
``--query-budget`` seconds (C, D and E read with ``use_default_graph_as_union``): COUNT(*) of
the default graph, the same without the provenance triples and over DISTINCT triples (set
semantics hold where these equal B's quads), a non-DISTINCT count per author, and four
reports of ``queries/``, with their row counts and whether their rows equal B's.

The markdown table goes to standard output, then the figures as JSON (also to ``--json``).
The stores are deleted at the end (the corpus, the ingested store and the export are kept
in ``--work`` if one is given, for the next run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyoxigraph as ox

from bench.measure import LoadWatch, machine, median
from bench.run import (
    BASE_IRI,
    ROOT,
    SEED,
    disk_bytes,
    export,
    ingest_run,
    log,
    make_corpus,
    raw_run,
)
from kg.store.embedded import PRIMARY

MiB = 1024 * 1024
#: Provenance terms of layouts D and E (a bench namespace: the product has none of them).
BENCH = "https://kg.example.org/bench/storage#"
STATES_ALL = ox.NamedNode(BENCH + "statesAllAbout")
ALSO_STATES = ox.NamedNode(BENCH + "alsoStates")
PROVENANCE = f"<{STATES_ALL.value}>, <{ALSO_STATES.value}>"
LAYOUTS = {
    "A": "today: source graphs + materialised union (the product)",
    "B": "distinct triples only (baseline)",
    "C": "source graphs only (Oxigraph's bag union)",
    "D": "each triple once + provenance per (subject, source), triple-level where partial",
    "E": "each triple once + provenance per (triple, extra source)",
    "F": "each triple once in the default graph + provenance per (subject or triple, source)",
    "G": "as F with the provenance in the default graph too (no named graph)",
}
UNION = {"A": False, "B": False, "C": True, "D": True, "E": True, "F": False, "G": False}
DERIVED = "BCDEFG"


@dataclass
class Sharing:
    """How the named graphs share their triples, and what D's and E's provenance costs."""

    distinct_triples: int = 0
    #: Statements of the named graphs (quads of A outside the default graph).
    statements: int = 0
    #: Distinct triples stated by more than one graph.
    shared_triples: int = 0
    #: Statements beyond the first of each triple (what C holds more than B).
    extra_statements: int = 0
    #: (subject, graph) pairs where the graph states a triple about the subject stored elsewhere.
    subject_pairs: int = 0
    #: Of those, pairs where the graph states every triple about the subject (one D quad each).
    full_pairs: int = 0
    #: D's per-triple quads for the other pairs.
    partial_triples: int = 0
    #: F's provenance: (subject, graph) pairs of all statements where the graph states every
    #: triple about the subject (one quad each), and per-triple quads for the other pairs.
    f_full_pairs: int = 0
    f_partial_triples: int = 0
    #: Triples of the default graph no named graph states (none expected).
    orphans: int = 0
    graphs: int = 0

    @property
    def d_provenance(self) -> int:
        return self.full_pairs + self.partial_triples

    @property
    def f_provenance(self) -> int:
        return self.f_full_pairs + self.f_partial_triples


@dataclass
class Load:
    quads: int
    file_bytes: int
    seconds: float
    cpu_seconds: float
    peak_pss_bytes: int
    store_bytes: int
    load: dict[str, float] = field(default_factory=dict)
    #: Wall seconds of every repeat (the figures above are medians).
    runs: list[float] = field(default_factory=list)


# -- the layouts -----------------------------------------------------------------------------


def _triples_by_subject(
    store: ox.Store,
) -> Iterator[tuple[ox.NamedNode | ox.BlankNode | ox.Triple, list[ox.Quad]]]:
    """The default graph's triples, grouped by subject (Oxigraph scans its default graph in
    subject order: a subject seen twice apart would make D's per-subject markers wrong)."""
    seen: set[str] = set()
    group: list[ox.Quad] = []
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if group and quad.subject != group[0].subject:
            yield group[0].subject, group
            group = []
        if not group:
            key = str(quad.subject)
            if key in seen:
                raise RuntimeError(f"subject {key} is not contiguous in the default graph")
            seen.add(key)
        group.append(quad)
    if group:
        yield group[0].subject, group


def derive_layouts(store_folder: Path, out: Path) -> tuple[dict[str, Path], Sharing]:
    """Write layouts B to G as N-Quads from a store holding layout A."""
    store = ox.Store.read_only(str(store_folder))
    files = {name: out / f"layout-{name}.nq" for name in DERIVED}
    sharing = Sharing()
    graphs_seen: set[str] = set()
    with (
        files["B"].open("w", encoding="utf-8") as b,
        files["C"].open("w", encoding="utf-8") as c,
        files["D"].open("w", encoding="utf-8") as d,
        files["E"].open("w", encoding="utf-8") as e,
        files["F"].open("w", encoding="utf-8") as f,
        files["G"].open("w", encoding="utf-8") as g,
    ):
        for subject, quads in _triples_by_subject(store):
            _subject_layouts(store, subject, quads, (b, c, d, e, f, g), sharing, graphs_seen)
    sharing.graphs = len(graphs_seen)
    del store
    return files, sharing


def _subject_layouts(
    store: ox.Store,
    subject: ox.NamedNode | ox.BlankNode | ox.Triple,
    quads: list[ox.Quad],
    out: tuple[TextIO, TextIO, TextIO, TextIO, TextIO, TextIO],
    sharing: Sharing,
    graphs_seen: set[str],
) -> None:
    b, c, d, e, f, g = out
    # Per graph: the triples about this subject it states but does not own, and all it states.
    elsewhere: dict[str, list[str]] = {}
    stated: dict[str, list[str]] = {}
    for quad in quads:
        triple = f"{quad.subject} {quad.predicate} {quad.object}"
        b.write(triple + " .\n")
        f.write(triple + " .\n")
        g.write(triple + " .\n")
        graphs = sorted(
            str(q.graph_name)
            for q in store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None)
            if not isinstance(q.graph_name, ox.DefaultGraph)
        )
        sharing.distinct_triples += 1
        sharing.statements += len(graphs)
        if not graphs:
            sharing.orphans += 1
            d.write(triple + " .\n")  # kept, in the default graph, so nothing is lost
            e.write(triple + " .\n")
            continue
        graphs_seen.update(graphs)
        for graph in graphs:
            c.write(f"{triple} {graph} .\n")
            stated.setdefault(graph, []).append(triple)
        owner = graphs[0]  # lexically first: N-Triples IRIs sort as their text
        d.write(f"{triple} {owner} .\n")
        e.write(f"{triple} {owner} .\n")
        if len(graphs) > 1:
            sharing.shared_triples += 1
            sharing.extra_statements += len(graphs) - 1
            for graph in graphs[1:]:
                elsewhere.setdefault(graph, []).append(triple)
                e.write(f"{graph} {ALSO_STATES} <<( {triple} )>> {graph} .\n")
    for graph, triples in elsewhere.items():
        sharing.subject_pairs += 1
        if len(stated[graph]) == len(quads):  # this graph states everything about the subject
            sharing.full_pairs += 1
            d.write(f"{graph} {STATES_ALL} {subject} {graph} .\n")
        else:
            sharing.partial_triples += len(triples)
            for triple in triples:
                d.write(f"{graph} {ALSO_STATES} <<( {triple} )>> {graph} .\n")
    for graph, triples in stated.items():
        if len(triples) == len(quads):
            sharing.f_full_pairs += 1
            f.write(f"{graph} {STATES_ALL} {subject} {graph} .\n")
            g.write(f"{graph} {STATES_ALL} {subject} .\n")
        else:
            sharing.f_partial_triples += len(triples)
            for triple in triples:
                f.write(f"{graph} {ALSO_STATES} <<( {triple} )>> {graph} .\n")
                g.write(f"{graph} {ALSO_STATES} <<( {triple} )>> .\n")


# -- recovery: each graph of the product from layouts D and F -------------------------------

RECOVER = f"""SELECT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?p NOT IN ({PROVENANCE})) }}
  UNION {{ GRAPH ?g {{ ?g <{STATES_ALL.value}> ?s }} ?s ?p ?o FILTER(?p NOT IN ({PROVENANCE})) }}
  UNION {{ GRAPH ?g {{ ?g <{ALSO_STATES.value}> ?t }}
          BIND(SUBJECT(?t) AS ?s) BIND(PREDICATE(?t) AS ?p) BIND(OBJECT(?t) AS ?o) }}
}}"""
#: F: the data is the default graph, a source graph holds only its provenance.
RECOVER_F = f"""SELECT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ ?g <{STATES_ALL.value}> ?s }} ?s ?p ?o }}
  UNION {{ GRAPH ?g {{ ?g <{ALSO_STATES.value}> ?t }}
          BIND(SUBJECT(?t) AS ?s) BIND(PREDICATE(?t) AS ?p) BIND(OBJECT(?t) AS ?o) }}
}}"""
#: G: everything is the default graph; a source is only named by its provenance triples.
RECOVER_G = f"""SELECT ?g ?s ?p ?o WHERE {{
  {{ ?g <{STATES_ALL.value}> ?s . ?s ?p ?o FILTER(?p NOT IN ({PROVENANCE})) }}
  UNION {{ ?g <{ALSO_STATES.value}> ?t
          BIND(SUBJECT(?t) AS ?s) BIND(PREDICATE(?t) AS ?p) BIND(OBJECT(?t) AS ?o) }}
}}"""
OWN = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def _triples(store: ox.Store, query: str, graph: ox.NamedNode, union: bool) -> list[str]:
    rows = store.query(
        query, substitutions={ox.Variable("g"): graph}, use_default_graph_as_union=union
    )
    assert isinstance(rows, ox.QuerySolutions)
    return [f"{r['s']} {r['p']} {r['o']}" for r in rows]


def check_recovery(
    a: ox.Store, layout: ox.Store, recover: str, union: bool, limit: int, seed: int
) -> dict[str, Any]:
    """Recover graphs of the product from a layout and compare them, as sets, with A's (in D
    a triple a graph owns about a subject it also states wholly comes twice: rows are a set)."""
    names = sorted(g.value for g in a.named_graphs() if isinstance(g, ox.NamedNode))
    picked = names if len(names) <= limit else random.Random(seed).sample(names, limit)
    mismatches: list[str] = []
    for name in picked:
        graph = ox.NamedNode(name)
        expected = set(_triples(a, OWN, graph, False))
        if set(_triples(layout, recover, graph, union)) != expected:
            mismatches.append(name)
    return {
        "graphs": len(names),
        "checked": len(picked),
        "mismatches": mismatches[:10],
        "mismatched": len(mismatches),
    }


# -- queries ---------------------------------------------------------------------------------

PREFIXES = (
    "PREFIX schema: <https://schema.org/>\nPREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"
)
QUERIES = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "data triples": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?p NOT IN ({PROVENANCE})) }}",
    "distinct triples": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }",
    "papers per author (COUNT(*))": PREFIXES
    + "SELECT ?a (COUNT(*) AS ?n) WHERE { ?paper schema:author ?a } "
    "GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 20",
}
REPORTS = ("author-papers", "venues", "top-authors-by-papers", "papers-in-several-profiles")
#: An author of a paper that two profiles list: their rows come from triples two graphs state.
SHARED_AUTHOR = (
    PREFIXES + "SELECT ?a WHERE { ?l1 kg:listsPaper ?paper . ?l2 kg:listsPaper ?paper "
    "FILTER(?l1 != ?l2) ?paper schema:author ?a } ORDER BY ?a LIMIT 1"
)


@dataclass
class Query:
    name: str
    text: str
    substitutions: dict[ox.Variable, Any]


def queries(reference: ox.Store) -> list[Query]:
    """The timed queries, the reports' parameters bound (an author from ``reference``)."""
    from kg.rdf.iri import IriScheme
    from kg.reports.catalog import load_reports
    from kg.reports.results import bind

    out = [Query(name, text, {}) for name, text in QUERIES.items()]
    scheme = IriScheme(BASE_IRI)
    reports = load_reports(scheme=scheme)
    found = list(reference.query(SHARED_AUTHOR))  # type: ignore[arg-type]
    author = found[0]["a"].value if found else None
    for name in REPORTS:
        report = reports[name]
        params = {p.name: p.example for p in report.parameters if p.required and p.example}
        if "author" in params:
            if author is None:
                continue  # no paper listed twice (a tiny corpus)
            params["author"] = author
        binding = bind(report, params, scheme)
        substitutions = binding.substitutions(report)
        terms = {ox.Variable(k): v for k, v in substitutions.items()}
        out.append(Query(f"report {name}", report.query_for(substitutions), terms))
    return out


def _digest(rows: list[tuple[str, ...]]) -> str:
    return hashlib.sha256("\n".join(sorted("\t".join(r) for r in rows)).encode()).hexdigest()[:12]


def _term(text: str) -> Any:
    """A term from its N-Triples text (as ``str(term)`` writes it)."""
    (triple,) = ox.parse(f"<urn:s> <urn:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES)
    return triple.object


def query_child() -> None:
    """Run one query on one store (a JSON request on standard input; a JSON answer on standard
    output): in a child process, so that a query past its budget can be stopped (a bag union
    can multiply rows without bound, and pyoxigraph cannot cancel a query)."""
    job = json.load(sys.stdin)
    store = ox.Store.read_only(job["store"])
    substitutions = {ox.Variable(k): _term(v) for k, v in job["substitutions"].items()}
    samples: list[float] = []
    rows: list[tuple[str, ...]] = []
    for index in range(job["repeats"] + 1):  # the first run is not counted
        began = time.perf_counter()
        result = store.query(
            job["text"], substitutions=substitutions, use_default_graph_as_union=job["union"]
        )
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        rows = [tuple("" if s[n] is None else str(s[n]) for n in names) for s in result]
        if index:
            samples.append(time.perf_counter() - began)
    first = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else None
    answer = {
        "ms": round(median(samples) * 1e3, 2),
        "rows": len(rows),
        "value": first.split('"')[1] if first and first.startswith('"') else None,
        "digest": _digest(rows),
        "timeout": False,
    }
    print(json.dumps(answer))


def time_query(
    store: Path, union: bool, query: Query, repeats: int, budget: float
) -> dict[str, Any]:
    """Median milliseconds of a query (after one run not counted), its rows and their digest;
    ``timeout`` if its runs take more than ``budget`` seconds."""
    job = {
        "store": str(store),
        "union": union,
        "text": query.text,
        "substitutions": {k.value: str(v) for k, v in query.substitutions.items()},
        "repeats": repeats,
    }
    command = [sys.executable, "-c", "from bench.storage import query_child; query_child()"]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            timeout=budget,
        )
    except subprocess.TimeoutExpired:
        return {"ms": None, "rows": None, "value": None, "digest": None, "timeout": True}
    if done.returncode != 0:
        raise RuntimeError(f"query {query.name} failed on {store}:\n{done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


# -- the run ---------------------------------------------------------------------------------


@contextmanager
def _workdir(work: Path | None) -> Iterator[Path]:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="kg-bench-storage-") as tmp:
        yield Path(tmp)


def _load(name: str, nquads: Path, target: Path) -> Load:
    run, inner = raw_run(nquads, target, count=True)
    result = Load(
        quads=int(inner["quads"]),
        file_bytes=nquads.stat().st_size,
        seconds=round(run.seconds, 3),
        cpu_seconds=round(run.cpu_seconds, 3),
        peak_pss_bytes=run.peak_pss,
        store_bytes=disk_bytes(target),
        load=run.load,
    )
    log(
        f"  layout {name}: {result.quads:,} quads, {result.seconds:.2f} s "
        f"({result.cpu_seconds:.1f} s CPU), peak {result.peak_pss_bytes / MiB:.0f} MiB, "
        f"{result.store_bytes / 1e6:.1f} MB"
    )
    return result


def _median_load(loads: list[Load]) -> Load:
    return Load(
        quads=loads[0].quads,
        file_bytes=loads[0].file_bytes,
        seconds=median([x.seconds for x in loads]),
        cpu_seconds=median([x.cpu_seconds for x in loads]),
        peak_pss_bytes=int(median([x.peak_pss_bytes for x in loads])),
        store_bytes=int(median([x.store_bytes for x in loads])),
        load=loads[-1].load,
        runs=[x.seconds for x in loads],
    )


def run(
    papers: int,
    work: Path,
    *,
    seed: int = SEED,
    repeats: int = 3,
    load_repeats: int = 1,
    query_budget: float = 300.0,
    check_graphs: int = 200,
    progress: Callable[[str], None] = log,
) -> dict[str, Any]:
    """Ingest, export, derive and load every layout (``load_repeats`` times, interleaved: A,
    B, ..., F, A, B, ...; medians), check D and F, time the queries."""
    watch = LoadWatch()
    watch.start()
    corpus, info = make_corpus(papers, seed, work)
    ingested = work / f"ingest-{papers}"
    progress(f"{papers} papers: kg ingest")
    ingest = ingest_run(corpus, ingested, info["as_of"], [])
    layouts_dir = work / f"layouts-{papers}"
    shutil.rmtree(layouts_dir, ignore_errors=True)
    layouts_dir.mkdir()
    files = {"A": layouts_dir / "layout-A.nq"}
    export(ingested, files["A"])
    stores = {name: layouts_dir / f"store-{name}" for name in LAYOUTS}
    try:
        loads = {"A": [_load("A", files["A"], stores["A"])]}
        progress("deriving layouts B-G from A")
        began = time.perf_counter()
        derived, sharing = derive_layouts(stores["A"], layouts_dir)
        derive_seconds = time.perf_counter() - began
        files.update(derived)
        for name in DERIVED:
            loads[name] = [_load(name, files[name], stores[name])]
        for _ in range(load_repeats - 1):
            for name in LAYOUTS:
                loads[name].append(_load(name, files[name], stores[name]))
        opened = {name: ox.Store.read_only(str(path)) for name, path in stores.items()}
        progress("checking that D, F and G give back every source graph")
        recovery = {
            name: check_recovery(opened["A"], opened[name], text, UNION[name], check_graphs, seed)
            for name, text in (("D", RECOVER), ("F", RECOVER_F), ("G", RECOVER_G))
        }
        todo = queries(opened["B"])
        del opened
        timings: dict[str, Any] = {}
        for name, path in stores.items():
            progress(f"queries on {name}")
            timings[name] = {
                q.name: time_query(path, UNION[name], q, repeats, query_budget) for q in todo
            }
    finally:
        for path in stores.values():
            shutil.rmtree(path, ignore_errors=True)
        for path in files.values():
            path.unlink(missing_ok=True)
    watch.stop()
    return {
        "papers": papers,
        "seed": seed,
        "files": info["files"],
        "ingest": {
            "seconds": round(ingest.seconds, 3),
            "cpu_seconds": round(ingest.cpu_seconds, 3),
            "peak_pss_bytes": ingest.peak_pss,
            "store_bytes": disk_bytes(ingested / PRIMARY),
        },
        "derive_seconds": round(derive_seconds, 2),
        "query_budget": query_budget,
        "layouts": {name: asdict(_median_load(runs)) for name, runs in loads.items()},
        "sharing": {
            **asdict(sharing),
            "d_provenance": sharing.d_provenance,
            "f_provenance": sharing.f_provenance,
        },
        "recovery": recovery,
        "queries": timings,
        "load": watch.summary(),
        "machine": machine(),
    }


# -- the table -------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def table(results: dict[str, Any]) -> str:
    layouts = results["layouts"]
    base = layouts["B"]
    lines = [
        f"### Storage layouts at {results['papers']:,} papers ({results['files']:,} source "
        "pages), pyoxigraph bulk_load into a fresh on-disk store, ratios against B",
        "",
        "| layout | what | quads (vs B) | N-Quads MB | load s (vs B) | CPU s (vs B) "
        "| peak MiB (vs B) | store MB (vs B) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, what in LAYOUTS.items():
        x = layouts[name]
        lines.append(
            f"| {name} | {what} | {x['quads']:,} ({_ratio(x['quads'], base['quads'])}) "
            f"| {x['file_bytes'] / 1e6:.0f} "
            f"| {x['seconds']:.2f} ({_ratio(x['seconds'], base['seconds'])}) "
            f"| {x['cpu_seconds']:.1f} ({_ratio(x['cpu_seconds'], base['cpu_seconds'])}) "
            f"| {x['peak_pss_bytes'] / MiB:,.0f} "
            f"({_ratio(x['peak_pss_bytes'], base['peak_pss_bytes'])}) "
            f"| {x['store_bytes'] / 1e6:,.1f} ({_ratio(x['store_bytes'], base['store_bytes'])}) |"
        )
    s = results["sharing"]
    r = results["recovery"]
    ingest = results["ingest"]
    lines += [
        "",
        f"kg ingest (A, the product, parse to checkpoint): {ingest['seconds']:.1f} s "
        f"({_ratio(ingest['seconds'], base['seconds'])} B's load), "
        f"{ingest['cpu_seconds']:.0f} CPU s, peak {ingest['peak_pss_bytes'] / MiB:,.0f} MiB, "
        f"store {ingest['store_bytes'] / 1e6:,.1f} MB "
        f"({_ratio(ingest['store_bytes'], base['store_bytes'])}).",
        f"Sharing: {s['distinct_triples']:,} distinct triples, {s['statements']:,} statements in "
        f"{s['graphs']:,} graphs; {s['shared_triples']:,} triples stated by more than one graph "
        f"({s['extra_statements']:,} statements beyond the first). D's provenance: "
        f"{s['full_pairs']:,} whole-subject quads + {s['partial_triples']:,} per-triple quads "
        f"= {s['d_provenance']:,} (of {s['subject_pairs']:,} (subject, graph) pairs); "
        f"E's: {s['extra_statements']:,}; F's (every statement): {s['f_full_pairs']:,} "
        f"whole-subject + {s['f_partial_triples']:,} per-triple = {s['f_provenance']:,}. "
        f"Triples in no named graph: {s['orphans']}.",
        "Recovery of the source graphs: "
        + "; ".join(
            f"from {name}, {x['checked']} of {x['graphs']} checked, {x['mismatched']} differ"
            for name, x in r.items()
        )
        + ".",
        "",
        "| query (ms, median; rows or value) | "
        + " | ".join(f"{n}{' (union)' if UNION[n] else ''}" for n in LAYOUTS)
        + " |",
        "|---|" + "---:|" * len(LAYOUTS),
    ]
    timings = results["queries"]
    for query, ref in timings["B"].items():
        cells = []
        for name in LAYOUTS:
            q = timings[name][query]
            if q["timeout"]:
                cells.append(f"over {results['query_budget']:.0f} s")
                continue
            shown = q["value"] if q["value"] is not None else f"{q['rows']} rows"
            same = "" if q["digest"] == ref["digest"] else " **differs**"
            cells.append(f"{q['ms']:,.1f} ({shown}{same})")
        lines.append(f"| {query} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each query")
    parser.add_argument(
        "--load-repeats", type=int, default=1, help="bulk loads of each layout (interleaved)"
    )
    parser.add_argument(
        "--query-budget", type=float, default=300.0, help="seconds a query may take (all runs)"
    )
    parser.add_argument(
        "--check-graphs", type=int, default=200, help="source graphs recovered from D and compared"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the corpus and ingested store here"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if min(args.papers, args.repeats, args.load_repeats) < 1:
        parser.error("--papers, --repeats and --load-repeats must be at least 1")
    with _workdir(args.work) as work:
        results = run(
            args.papers,
            work,
            seed=args.seed,
            repeats=args.repeats,
            load_repeats=args.load_repeats,
            query_budget=args.query_budget,
            check_graphs=args.check_graphs,
        )
    text = json.dumps(results, indent=2)
    print(table(results), flush=True)
    print()
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

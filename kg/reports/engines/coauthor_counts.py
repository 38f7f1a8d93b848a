"""The coauthor-counts engine: top-authors-by-coauthors from the co-author graph.

The report's query (``queries/top-authors-by-coauthors.rq``, its definition) counts each
author's distinct co-authors from every pair of authors of a paper: at 1M papers the
longest whole-graph report (12.5 minutes after every other one in the precompute). The
co-author graph (:class:`~kg.reports.engines.coauthor_graph.CoauthorGraph`), which the
precompute writes anyway and a server's warm-up reads, holds the same counts: an author's
degree is its number of distinct co-authors (same paper, another author: the query's
``!sameTerm``), and it keeps each author's number of distinct papers. So the engine takes
both from the graph, reads the names in one scan of ``schema:name``, and orders the rows
as the query does (``DESC(?coauthors) ?author_name ?author``: unbound names first, then
names in code-point order; ``?author`` makes the order total).

It answers from the graph only where that gives the query's rows exactly; else it runs
the query (the rows are the same either way; tests compare the two):

* the report's query text is the one this engine was checked against
  (:data:`QUERY_SHA256`: an edited ``.rq`` is run as written);
* the graph left out no paper -> author pair (a blank node or a literal as paper or
  author, which the query counts and the graph cannot hold);
* every name of a listed author is a plain string (other literals, IRIs or blank nodes
  as names order by rules this engine does not repeat).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyoxigraph as ox

from kg.reports.definitions import Report
from kg.reports.engines.base import (
    WHOLE_GRAPH_TIMEOUT_FACTOR,
    EngineRunner,
    checked_against,
    plain_text,
)
from kg.reports.engines.coauthor_graph import CoauthorGraph
from kg.reports.names import preferred_name
from kg.reports.results import Binding, ReportResult, drop_parameter_columns
from kg.store.query import QueryRequest

#: SHA-256 of the query text (``Report.query``) whose rows this engine gives; a test checks
#: it against queries/top-authors-by-coauthors.rq (change both together, after checking).
QUERY_SHA256 = "49181e82c3899dc4f2b2aef390deedb072dc882a945211fb04f090ee823aba6b"
#: The parameter of the report's query that the engine reads.
MINIMUM = "min_coauthors"
#: The columns of the report (after its parameter column is dropped).
COLUMNS = ("author", "author_name", "coauthors", "papers")
#: Every name in the store, in one scan (the query's OPTIONAL reads the same statements).
NAMES_QUERY = """PREFIX schema: <https://schema.org/>
SELECT ?author ?author_name WHERE { ?author schema:name ?author_name }"""


def implements(report: Report) -> bool:
    """Whether the report's query is the one this engine gives the rows of."""
    return checked_against(report, QUERY_SHA256)


def _coauthor_counts(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """The report's rows from the co-author graph, or from its query where the graph cannot
    give them exactly (see the module docstring)."""
    if implements(report):
        try:
            graph = runner.coauthor_graph() or runner.build_coauthor_graph()
        except ValueError:  # too large for the graph's int32 ids: the query can still count
            graph = None
        if graph is not None:
            found = _from_graph(runner, graph, int(binding.values[MINIMUM]))
            if found is not None:
                return found
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    return drop_parameter_columns(report, variables, rows, truncated)


def _from_graph(runner: EngineRunner, graph: CoauthorGraph, minimum: int) -> ReportResult | None:
    """The rows for ``minimum`` co-authors, None when the graph cannot give them exactly."""
    if graph.skipped or graph.paper_counts is None:
        return None
    degree = np.diff(graph.offsets)
    # The query groups co-author pairs: an author without co-authors is never listed.
    chosen = np.flatnonzero(degree >= max(minimum, 1))
    wanted = {graph.authors[i]: int(i) for i in chosen}
    names = _names(runner, wanted)
    if names is None:
        return None
    keys: list[tuple[int, int, str, str, int]] = []
    for iri, i in wanted.items():
        count = -int(degree[i])
        # One row per author, under the name every report gives it (kg.reports.names).
        name = preferred_name(names.get(iri, ()))
        keys.append((count, 0, "", iri, i) if name is None else (count, 1, name, iri, i))
    keys.sort()
    cap = runner.max_rows
    truncated = cap is not None and len(keys) > cap
    out = []
    for count, named, name, iri, i in keys[:cap] if truncated else keys:
        out.append(
            (
                ox.NamedNode(iri),
                ox.Literal(name) if named else None,
                ox.Literal(-count),
                ox.Literal(int(graph.paper_counts[i])),
            )
        )
    return ReportResult(COLUMNS, out, truncated)


def _names(runner: EngineRunner, wanted: dict[str, int]) -> dict[str, list[str]] | None:
    """The names of the wanted authors, None when one is not a plain string."""
    if not wanted:
        return {}
    timeout = None if runner.timeout is None else runner.timeout * WHOLE_GRAPH_TIMEOUT_FACTOR
    outcome = runner.backend.run(QueryRequest(NAMES_QUERY, result_format="tsv"), timeout=timeout)
    rows: Any
    if outcome.body is not None:
        # Only the lines of wanted authors become terms: a TSV line is one solution (line
        # breaks in literals are escaped), its first field the author as written in the pairs.
        header, _newline, body = outcome.body.partition(b"\n")
        keys = {f"<{iri}>".encode() for iri in wanted}
        kept = [line for line in body.split(b"\n") if line.partition(b"\t")[0] in keys]
        solutions = ox.parse_query_results(
            b"\n".join([header, *kept, b""]), ox.QueryResultsFormat.TSV
        )
        assert isinstance(solutions, ox.QuerySolutions)
        rows = (tuple(solution) for solution in solutions)
    else:  # a backend that does not write native formats (an external store)
        rows = outcome.select.rows if outcome.select else []
    names: dict[str, list[str]] = {}
    for author, name in rows:
        if not isinstance(author, ox.NamedNode) or author.value not in wanted:
            continue
        text = plain_text(name)
        if text is None:
            return None
        names.setdefault(author.value, []).append(text)
    return names

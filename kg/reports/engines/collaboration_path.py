"""The collaboration-path engine: the shortest co-author path between two authors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, literal, positions, text_of
from kg.reports.engines.coauthor_graph import PathSearch
from kg.reports.names import SPARQL as PREFERRED_NAME
from kg.reports.results import Binding, ReportResult
from kg.store.query import QueryRequest

#: Collaboration paths: most authors whose co-authors are fetched before giving up.
PATH_MAX_EXPANSIONS = 2000
#: Collaboration paths: longest path looked for.
PATH_MAX_LENGTH = 12


_Link = tuple[str | None, str | None]  # (previous author on the path, the paper they share)


def _neighbours(runner: EngineRunner, report: Report, author: str) -> dict[str, str | None]:
    """Co-authors of one author -> a paper they share, memoised for the store version."""
    memo: OrderedDict[str, dict[str, str | None]] = runner.memo.setdefault(
        "path-neighbours", OrderedDict()
    )
    found = memo.get(author)
    if found is not None:
        return found
    variables, rows, _truncated = runner.select(
        report, {"author": ox.NamedNode(author)}, limit=None
    )
    at = positions(variables)
    found = {}
    for row in rows:
        coauthor = text_of(row[at["coauthor"]])
        if coauthor is not None:
            found[coauthor] = text_of(row[at["via_paper"]])
    memo[author] = found
    if len(memo) > 50_000:
        memo.popitem(last=False)
    return found


#: The labels of one step of a path in one query: the shared paper's title and the
#: names of its authors (the path's authors are among them). An author's name is the one
#: every report gives (:mod:`kg.reports.names`) and a paper's title the last of its
#: dcterms:title values in code-point order, as the paper report lists them.
_STEP_LABELS = (
    """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?paper ?author ("""
    + PREFERRED_NAME
    + """ AS ?name) (MAX(?heading) AS ?title) WHERE {
  ?paper schema:author ?author .
  OPTIONAL { ?author schema:name ?spelling }
  OPTIONAL { ?paper dcterms:title ?heading }
} GROUP BY ?paper ?author"""
)
_AUTHOR_NAME = (
    """PREFIX schema: <https://schema.org/>
SELECT ?author ("""
    + PREFERRED_NAME
    + """ AS ?name) WHERE { ?author schema:name ?spelling } GROUP BY ?author"""
)


def _path_labels(
    runner: EngineRunner, chain: list[tuple[str, str | None]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the authors and titles of the papers on a path: one query per step
    (a path has at most PATH_MAX_LENGTH), and one per author no step names."""
    names: dict[str, str] = {}
    titles: dict[str, str] = {}

    def rows(text: str, substitutions: dict[str, Any]) -> list[dict[str, Any]]:
        outcome = runner.backend.run(
            QueryRequest(text, substitutions=substitutions), timeout=runner.timeout
        )
        return outcome.rows

    for _author, paper in chain:
        if not paper:
            continue
        for row in rows(_STEP_LABELS, {"paper": ox.NamedNode(paper)}):
            if row.get("name") is not None:
                names.setdefault(str(row["author"].value), str(row["name"].value))
            if row.get("title") is not None:
                titles[paper] = str(row["title"].value)
    for author, _paper in chain:
        if author not in names:
            for row in rows(_AUTHOR_NAME, {"author": ox.NamedNode(author)}):
                if row.get("name") is not None:
                    names[author] = str(row["name"].value)
    return names, titles


_PATH_COLUMNS = ("step", "author", "author_name", "via_paper", "via_paper_title")


def _collaboration_path(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """Shortest co-author path, searched in the store version's in-memory co-author graph
    when it has been built (:meth:`kg.reports.runner.ReportRunner.coauthor_graph`), else by queries
    (:func:`_collaboration_path_sparql`): the two give the same rows and notes."""
    start, goal = binding.values["from"], binding.values["to"]
    graph = runner.coauthor_graph() if start != goal else None
    if graph is None:
        return _collaboration_path_sparql(runner, report, binding)
    found = graph.shortest_path(
        start, goal, max_length=PATH_MAX_LENGTH, max_expansions=PATH_MAX_EXPANSIONS
    )
    return _path_result(runner, found)


def _collaboration_path_sparql(
    runner: EngineRunner, report: Report, binding: Binding
) -> ReportResult:
    """Shortest co-author path: breadth-first search from both ends, a whole level at a time.

    Each expanded author costs one query (its co-authors). The search expands the
    smaller frontier; the first level on which the two searches meet gives the
    shortest length, and among the meeting authors of that level the one closest to
    the other end is taken, so the path is a shortest one.
    """
    start, goal = binding.values["from"], binding.values["to"]
    if start == goal:
        names, _titles = _path_labels(runner, [(start, None)])
        return ReportResult(
            _PATH_COLUMNS,
            [(ox.Literal(0), ox.NamedNode(start), literal(names.get(start)), None, None)],
            notes=("the two authors are the same",),
        )
    parents: list[dict[str, _Link]] = [{start: (None, None)}, {goal: (None, None)}]
    frontiers: list[set[str]] = [{start}, {goal}]
    expansions = 0
    meeting: str | None = None
    exhausted = False
    length = 0
    while meeting is None and length < PATH_MAX_LENGTH:
        if not frontiers[0] or not frontiers[1]:
            exhausted = True
            break
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        other = 1 - side
        next_frontier: set[str] = set()
        candidates: list[str] = []
        for current in sorted(frontiers[side]):
            expansions += 1
            if expansions > PATH_MAX_EXPANSIONS:
                break
            for coauthor, paper in _neighbours(runner, report, current).items():
                if coauthor in parents[side]:
                    continue
                parents[side][coauthor] = (current, paper)
                next_frontier.add(coauthor)
                if coauthor in parents[other]:
                    candidates.append(coauthor)
        length += 1
        if candidates:
            meeting = min(candidates, key=lambda n: (_depth(parents[other], n), n))
            break
        if expansions > PATH_MAX_EXPANSIONS:
            break
        frontiers[side] = next_frontier
    if meeting is None:
        return _path_result(runner, PathSearch(None, expansions, exhausted))
    # From the meeting author back to the start: each entry carries the paper it shares
    # with the author before it on the path; then on from the meeting author to the goal.
    back: list[tuple[str, str | None]] = []
    node: str | None = meeting
    while node is not None:
        previous, paper = parents[0][node]
        back.append((node, paper))
        node = previous
    back.reverse()
    chain = list(back)
    here = meeting
    while True:
        following, paper = parents[1][here]
        if following is None:
            break
        chain.append((following, paper))
        here = following
    return _path_result(runner, PathSearch(chain, expansions, False))


def _path_result(runner: EngineRunner, found: PathSearch) -> ReportResult:
    """The report's rows and note for a search's outcome (names and titles read here)."""
    chain, expansions = found.chain, found.expansions
    if chain is None:
        if found.exhausted:
            note = (
                f"no co-author path: the two authors are in separate parts of the graph "
                f"({expansions} authors searched)"
            )
        else:
            note = (
                f"no path found within the search limit ({PATH_MAX_EXPANSIONS} authors, "
                f"paths up to {PATH_MAX_LENGTH} steps)"
            )
        return ReportResult(_PATH_COLUMNS, [], notes=(note,))
    names, titles = _path_labels(runner, chain)
    out_rows = []
    for step, (author, paper) in enumerate(chain):
        shared = paper if step else None
        out_rows.append(
            (
                ox.Literal(step),
                ox.NamedNode(author),
                literal(names.get(author)),
                ox.NamedNode(shared) if shared else None,
                literal(titles.get(shared or "")),
            )
        )
    note = f"{len(chain) - 1} co-authorship steps ({expansions} authors searched)"
    return ReportResult(_PATH_COLUMNS, out_rows, notes=(note,))


def _depth(parents: Mapping[str, _Link], node: str) -> int:
    depth = 0
    current: str | None = parents[node][0]
    while current is not None:
        depth += 1
        current = parents[current][0]
    return depth

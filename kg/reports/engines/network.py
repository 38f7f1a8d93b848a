"""The co-author network engine: papers around an author -> weighted co-author edges."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Mapping

import pyoxigraph as ox

from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, literal, positions, text_of
from kg.reports.results import Binding, ReportResult

#: Co-author network at depth 2: most co-authors whose papers are fetched.
NETWORK_MAX_EXPANSIONS = 300


def _paper_members(
    runner: EngineRunner, report: Report, author: str
) -> dict[str, list[tuple[str, str]]]:
    """The papers of one author -> their authors as (IRI, name), memoised for the store version."""
    memo: OrderedDict[str, dict[str, list[tuple[str, str]]]] = runner.memo.setdefault(
        "network-papers", OrderedDict()
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
        paper, members = text_of(row[at["paper"]]), text_of(row[at["members"]])
        if paper is None or members is None:
            continue
        people: dict[str, str] = {}
        for line in members.split("\n"):
            iri, _sep, name = line.partition(" ")
            if iri and (iri not in people or not people[iri]):
                people[iri] = name
        found[paper] = sorted(people.items())
    memo[author] = found
    if len(memo) > 20_000:
        memo.popitem(last=False)
    return found


def _network(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """Papers around an author -> weighted co-author edges and Cytoscape.js elements."""
    ego = str(binding.values["author"])
    depth = int(binding.values.get("depth", "1"))
    papers = dict(_paper_members(runner, report, ego))
    level: dict[str, int] = {}
    names: dict[str, str] = {}

    def visit(found: Mapping[str, list[tuple[str, str]]], at_level: int) -> None:
        for paper, people in found.items():
            papers.setdefault(paper, people)
            for iri, name in people:
                level.setdefault(iri, at_level)
                if name and not names.get(iri):
                    names[iri] = name

    if papers:
        level[ego] = 0
    visit(papers, 1)
    notes: list[str] = []
    if depth >= 2:
        near = sorted(iri for iri, lvl in level.items() if lvl == 1)
        if len(near) > NETWORK_MAX_EXPANSIONS:
            notes.append(
                f"depth 2 used the papers of the first {NETWORK_MAX_EXPANSIONS} of {len(near)} co-authors"
            )
        for iri in near[:NETWORK_MAX_EXPANSIONS]:
            visit(_paper_members(runner, report, iri), 2)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for people in papers.values():
        members = [iri for iri, _name in people]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                weights[(a, b) if a < b else (b, a)] += 1
    ordered = sorted(
        weights.items(),
        key=lambda item: (-item[1], names.get(item[0][0], ""), names.get(item[0][1], "")),
    )
    degree: dict[str, int] = defaultdict(int)
    for (a, b), _w in ordered:
        degree[a] += 1
        degree[b] += 1
    out_rows = [
        (
            ox.NamedNode(a),
            literal(names.get(a)),
            ox.NamedNode(b),
            literal(names.get(b)),
            ox.Literal(w),
        )
        for (a, b), w in ordered
    ]
    nodes = [
        {
            "data": {
                "id": iri,
                "label": names.get(iri) or iri,
                "level": lvl,
                "degree": degree.get(iri, 0),
            }
        }
        for iri, lvl in sorted(
            level.items(), key=lambda item: (item[1], names.get(item[0]) or item[0])
        )
    ]
    edges = [
        {"data": {"id": f"e{i}", "source": a, "target": b, "weight": w}}
        for i, ((a, b), w) in enumerate(ordered)
    ]
    return ReportResult(
        ("source", "source_name", "target", "target_name", "weight"),
        out_rows,
        notes=tuple(notes),
        extra={"elements": {"nodes": nodes, "edges": edges}},
    )

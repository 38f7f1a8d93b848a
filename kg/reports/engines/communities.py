"""The communities engine: an author's papers -> groups connected through shared co-authors."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, positions, text_of
from kg.reports.results import Binding, ReportResult


def _year(term: Any) -> int | None:
    value = text_of(term)
    if value and re.match(r"^\d{4}", value):
        return int(value[:4])
    return None


@dataclass(slots=True)
class _Group:
    papers: dict[str, tuple[str, int | None, str | None]] = field(default_factory=dict)
    coauthors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _communities(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """An author's papers -> groups of papers connected through shared co-authors."""
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    at = positions(variables)
    papers: dict[str, tuple[str, int | None, str | None]] = {}
    coauthors_of: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for row in rows:
        paper = text_of(row[at["paper"]])
        if paper is None:
            continue
        papers.setdefault(
            paper,
            (
                text_of(row[at["paper_title"]]) or paper,
                _year(row[at["date"]]),
                text_of(row[at["subject_code"]]),
            ),
        )
        coauthor = text_of(row[at["coauthor"]])
        if coauthor is not None:
            coauthors_of[paper].add(coauthor)
            name = text_of(row[at["coauthor_name"]])
            if name:
                names.setdefault(coauthor, name)
    parent = {p: p for p in papers}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    first_paper: dict[str, str] = {}
    for paper in sorted(papers):
        for coauthor in coauthors_of.get(paper, ()):
            if coauthor in first_paper:
                a, b = find(first_paper[coauthor]), find(paper)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_paper[coauthor] = paper
    groups: dict[str, _Group] = defaultdict(_Group)
    for paper, info in papers.items():
        group = groups[find(paper)]
        group.papers[paper] = info
        for coauthor in coauthors_of.get(paper, ()):
            group.coauthors[coauthor] += 1
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -len(g.papers),
            -len(g.coauthors),
            min(info[0] for info in g.papers.values()),
        ),
    )
    out_rows = []
    for number, group in enumerate(ordered, start=1):
        years = [y for _t, y, _s in group.papers.values() if y is not None]
        subjects: dict[str, int] = defaultdict(int)
        for _t, _y, code in group.papers.values():
            if code:
                subjects[code] += 1
        top = sorted(
            group.coauthors.items(), key=lambda item: (-item[1], names.get(item[0], item[0]))
        )
        people = ", ".join(f"{names.get(c, c)} ({n})" for c, n in top[:8]) + (
            " …" if len(top) > 8 else ""
        )
        titles = sorted(
            group.papers.values(), key=lambda info: (info[1] or 0, info[0]), reverse=True
        )
        out_rows.append(
            (
                ox.Literal(number),
                ox.Literal(len(group.papers)),
                ox.Literal(min(years)) if years else None,
                ox.Literal(max(years)) if years else None,
                ox.Literal(
                    ", ".join(
                        f"{c} {n}" for c, n in sorted(subjects.items(), key=lambda i: (-i[1], i[0]))
                    )
                ),
                ox.Literal(len(group.coauthors)),
                ox.Literal(people) if people else None,
                ox.Literal(
                    "; ".join(t for t, _y, _s in titles[:5]) + (" …" if len(titles) > 5 else "")
                ),
            )
        )
    columns = (
        "group",
        "papers",
        "first_year",
        "last_year",
        "subjects",
        "coauthor_count",
        "coauthors",
        "titles",
    )
    return ReportResult(columns, out_rows, truncated)

"""The ambiguity engine: identity-resolution and name signals, plus co-author groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, positions, text_of
from kg.reports.results import Binding, ReportResult, drop_parameter_columns
from kg.sparql.results import python_value

#: Co-author-group check of the ambiguity engine: at most this many authors (the most prolific).
AMBIGUITY_MAX_AUTHORS = 100


def _ambiguity(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """Identity-resolution and name signals (SPARQL), plus the co-author-group signal."""
    variables, rows, truncated = runner.select(report, binding.substitutions(report))
    result = drop_parameter_columns(report, variables, rows, truncated)
    at = positions(result.columns)
    out = [_fixed_evidence(row, at) for row in result.rows]
    notes: list[str] = []
    min_papers = int(binding.values.get("min_papers", "4"))
    # One row per author for "several people": where identity resolution already says so
    # (its own community count, which the author page shows), the co-author-group check
    # would repeat the suspicion with other numbers.
    flagged = {
        text_of(row[at["author"]])
        for row in out
        if text_of(row[at["signal"]]) == "possibly several people (identity resolution)"
    }
    if "top-authors-by-papers" in runner.reports and "author-communities" in runner.reports:
        # The report's default rows (every author, most papers first), which kg ingest
        # precomputes, cut where the papers fall below min_papers: the rows of
        # min_papers=N, without a whole-graph query of its own (minutes at 1M papers).
        top = runner.run_named("top-authors-by-papers", {})
        top_at = positions(top.columns)
        enough = [row for row in top.rows if int(python_value(row[top_at["papers"]])) >= min_papers]
        candidates = enough[:AMBIGUITY_MAX_AUTHORS]
        if len(enough) > AMBIGUITY_MAX_AUTHORS:
            notes.append(
                f"the co-author-group check looked at the {AMBIGUITY_MAX_AUTHORS} authors with most papers"
            )
        for row in candidates:
            author = text_of(row[top_at["author"]])
            if author is None or author in flagged:
                continue
            groups = runner.run_named("author-communities", {"author": author})
            g_at = positions(groups.columns)
            sizes = [int(python_value(g[g_at["papers"]])) for g in groups.rows]
            sizeable = [g for g, size in zip(groups.rows, sizes, strict=True) if size >= 2]
            total = sum(sizes)
            # Several groups of two or more papers, and none holding half of the papers: a
            # prolific author with one main group and a few side projects is not flagged.
            if len(sizeable) < 2 or not total or max(sizes) * 2 >= total:
                continue
            parts = []
            for g in sizeable[:4]:
                years = (python_value(g[g_at["first_year"]]), python_value(g[g_at["last_year"]]))
                span = f"{years[0]}–{years[1]}" if years[0] is not None else "undated"
                people = python_value(g[g_at["coauthors"]]) or "no visible co-author"
                parts.append(f"{python_value(g[g_at['papers']])} papers, {span}, with {people}")
            evidence = (
                f"{total} papers, {len(sizeable)} groups of two or more that share no co-author, "
                f"the largest with {max(sizes)}: " + " | ".join(parts)
            )
            values: dict[str, Any] = {
                "signal": ox.Literal("papers split into co-author groups that share nobody"),
                "author": ox.NamedNode(author),
                "author_name": row[top_at["author_name"]],
                "method": ox.Literal("co-author-groups"),
                "score": ox.Literal(round(1 - max(sizes) / total, 2)),
                "evidence": ox.Literal(evidence),
            }
            out.append(tuple(values.get(column) for column in result.columns))
    else:
        notes.append(
            "the co-author-group check needs the top-authors-by-papers and author-communities reports"
        )
    # A total order: rows that tie on signal and name keep no engine-dependent order.
    out.sort(
        key=lambda r: tuple(
            text_of(r[at[c]]) or ""
            for c in ("signal", "author_name", "author", "other", "evidence")
        )
    )
    return ReportResult(result.columns, out, result.truncated, tuple(notes))


#: The separators of the query's GROUP_CONCAT evidence, by the row's method or signal.
_EVIDENCE_SEPARATORS = {"name-order": " and ", "initials": " and "}


def _fixed_evidence(row: tuple[Any, ...], at: Mapping[str, int]) -> tuple[Any, ...]:
    """The row with its GROUP_CONCAT evidence items in code-point order.

    SPARQL 1.1 leaves the order of GROUP_CONCAT's items to the engine, and pyoxigraph's
    differs between processes (hashing): without this, the same store gave two texts,
    and a stored answer could differ from a live one.
    """
    evidence = text_of(row[at["evidence"]])
    if not evidence:
        return row
    separator = _EVIDENCE_SEPARATORS.get(text_of(row[at["method"]]) or "", " | ")
    fixed = separator.join(sorted(evidence.split(separator)))
    if fixed == evidence:
        return row
    cells = list(row)
    cells[at["evidence"]] = ox.Literal(fixed)
    return tuple(cells)

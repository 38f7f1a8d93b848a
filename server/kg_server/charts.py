"""What a report page draws: a Chart.js spec for the reports that declare a chart, or a
graph spec for the network reports (static/charts.js draws both; pages without the drawing
libraries show the table alone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kg.reports.definitions import Report
from kg.reports.results import ReportResult
from kg_server.labels import column_label

#: Rows drawn at most (the table pages the rest).
CHART_ROWS = 5000


def _label(value: Any) -> str:
    return "n/a" if value is None else str(value)


def _sort_key(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def chart_spec(
    report: Report, result: ReportResult, href: Callable[[str], str | None]
) -> dict[str, Any] | None:
    """What static/charts.js draws for a report: a Chart.js spec or a graph spec, or None;
    ``href`` gives a network node's page."""
    chart = report.chart
    if chart is None or not result.rows:
        return None
    if chart.kind == "network":
        return {"kind": "graph", "spec": graph_spec(report, result, href)}
    records = result.records(0, CHART_ROWS)
    x = chart.x or result.columns[0]
    if chart.series:
        y = chart.y[0]
        labels = sorted({_label(r.get(x)) for r in records}, key=_sort_key)
        series = sorted({_label(r.get(chart.series)) for r in records}, key=_sort_key)
        table: dict[tuple[str, str], Any] = {
            (_label(r.get(chart.series)), _label(r.get(x))): r.get(y) for r in records
        }
        datasets = [
            {"label": s, "data": [table.get((s, label)) for label in labels]} for s in series
        ]
        y_title = column_label(y)
    else:
        labels = [_label(r.get(x)) for r in records]
        datasets = [
            {"label": column_label(column), "data": [r.get(column) for r in records]}
            for column in chart.y
        ]
        y_title = ", ".join(column_label(c) for c in chart.y)
    values = [v for d in datasets for v in d["data"] if v is not None]
    spec = {
        "type": chart.kind,
        "title": report.title,
        "labels": labels,
        "datasets": datasets,
        "xTitle": column_label(x),
        "yTitle": y_title,
        "integer": all(isinstance(v, int) for v in values),
        # Years on a linear axis: a year without papers keeps its place instead of vanishing.
        "xLinear": _all_years(r.get(x) for r in records),
    }
    return {"kind": "chart", "spec": spec}


def _all_years(values: Any) -> bool:
    found = [v for v in values if v is not None]
    return bool(found) and all(isinstance(v, int) and 1000 <= v <= 9999 for v in found)


def graph_spec(
    report: Report, result: ReportResult, href: Callable[[str], str | None]
) -> dict[str, Any]:
    """A network report's elements as a charts.js graph spec (nodes link to their pages)."""
    elements = result.extra.get("elements", {})
    nodes = []
    focus = None
    for node in elements.get("nodes", []):
        data = node["data"]
        if data.get("level") == 0:
            focus = data["id"]
        nodes.append(
            {
                "id": data["id"],
                "label": data.get("label"),
                "href": href(str(data["id"])),
                "group": f"depth {data.get('level', '')}",
                "size": max(1, int(data.get("degree") or 1)),
            }
        )
    edges = [
        {
            "source": e["data"]["source"],
            "target": e["data"]["target"],
            "weight": e["data"].get("weight", 1),
            "label": "",
        }
        for e in elements.get("edges", [])[:CHART_ROWS]
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "layout": "cose",
        "focus": focus,
        "title": f"{report.title}: {len(nodes)} people, {len(edges)} co-authorships",
    }

"""The engines behind reports, by the name a ``# engine:`` header line gives."""

from __future__ import annotations

from kg.reports.engines.ambiguity import _ambiguity
from kg.reports.engines.base import Engine
from kg.reports.engines.coauthor_counts import COLUMNS as COAUTHOR_COUNTS_COLUMNS
from kg.reports.engines.coauthor_counts import _coauthor_counts
from kg.reports.engines.collaboration_path import _collaboration_path
from kg.reports.engines.communities import _communities
from kg.reports.engines.crawl_changes import _crawl_changes
from kg.reports.engines.crawl_changes import prepare as prepare_snapshots
from kg.reports.engines.metric_growth import _metric_growth
from kg.reports.engines.metric_growth import prepare as prepare_metric_growth
from kg.reports.engines.network import _network
from kg.reports.engines.search import _search

ENGINES: dict[str, Engine] = {
    "network": Engine(_network, columns=("paper", "members"), runs=()),
    "communities": Engine(
        _communities,
        columns=("paper", "paper_title", "date", "subject_code", "coauthor", "coauthor_name"),
        runs=(),
    ),
    "ambiguity": Engine(
        _ambiguity,
        columns=("signal", "author", "author_name"),
        runs=("top-authors-by-papers", "author-communities"),
    ),
    "collaboration-path": Engine(
        _collaboration_path, binds=("author",), columns=("coauthor", "via_paper")
    ),
    "search": Engine(_search, columns=("type", "item", "label")),
    "crawl-changes": Engine(
        _crawl_changes,
        runs=(),
        reads_rows=False,
        answers_query_rows=True,
        prepare=prepare_snapshots,
        summary="gives this query's rows from each page's snapshots, read once, and the lists "
        "and metrics of the pages that changed between the dates",
    ),
    "metric-growth": Engine(
        _metric_growth,
        runs=(),
        reads_rows=False,
        answers_query_rows=True,
        prepare=prepare_metric_growth,
        summary="gives this query's rows from each page's snapshots and their metric, read "
        "once, for any two dates",
    ),
    "coauthor-counts": Engine(
        _coauthor_counts,
        columns=COAUTHOR_COUNTS_COLUMNS,
        runs=(),
        reads_rows=False,
        graph=True,
        answers_query_rows=True,
        summary="gives this query's rows from the co-author graph, without running it",
    ),
}

"""Stores of several crawls for the tests of the reports over time and their engines
(crawl-changes, fastest-growing-authors): the seed profiles copied on four dates, and a
generated corpus copied three times; the dates to ask them for; and the comparison of an
engine's answer with its report's query."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from bench.history import changed_page
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.reports.definitions import Report
from kg.reports.results import ReportResult, drop_parameter_columns
from kg.reports.runner import ReportRunner
from kg.store.embedded import KGStore
from kg.tools.generate import DEFAULT_AS_OF, generate
from kg.tools.generate.abstracts import Vocabulary
from kg.tools.generate.text import hash_title
from tests.conftest import TEST_BASE_IRI
from tests.store.test_history import CHANGED, SEEDS, _changed

SCHEME = IriScheme(TEST_BASE_IRI)
SEP, OCT, NOV, DEC = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
REMOVED, METRICS_ONLY = SEEDS[3], SEEDS[1]


def _ingest(store: KGStore, folder: Path, day: date, *, prune: bool = False) -> None:
    ingest(
        [folder],
        store,
        scheme=SCHEME,
        as_of=day,
        prune=prune,
        resolution=IdentityResolution(),
        progress=False,
    )


def seed_crawls(root: Path, seeds_dir: Path) -> tuple[Path, tuple[date, ...]]:
    """SEP: four seeds. OCT: the fifth added, one changed (h-index, a paper), one removed
    (pruned). NOV: the removed one copied again as it was, one changed in its citations
    only. DEC: the changed one loses the paper it gained (its first copy again)."""
    folder = root / "store"
    store = KGStore.open_writable(folder)
    try:
        for day in (SEP, OCT, NOV, DEC):
            crawl = root / day.isoformat()
            crawl.mkdir()
            for name in SEEDS:
                if (day == SEP and name == SEEDS[4]) or (day == OCT and name == REMOVED):
                    continue
                text = (seeds_dir / name).read_text(encoding="utf-8")
                if name == CHANGED and day in (OCT, NOV):
                    text = _changed(text)
                if name == METRICS_ONLY and day >= NOV:
                    assert "citations\n" in text
                    text = text.replace("citations\n", "0citations\n", 1)
                (crawl / name).write_text(text, encoding="utf-8")
            _ingest(store, crawl, day, prune=day == OCT)
    finally:
        store.close()
    return folder, (SEP, OCT, NOV, DEC)


def generated_crawls(root: Path) -> tuple[Path, tuple[date, ...]]:
    """A generated corpus copied three times a month apart, a fifth of its pages changed
    each time as bench.history changes them; one page removed on the third copy."""
    corpus = root / "corpus"
    generate(300, corpus, seed=11)
    truth = json.loads((corpus / "truth.json").read_text(encoding="utf-8"))
    used = {hash_title(entry[2]) for page in truth["files"] for entry in page["entries"]}
    days = (DEFAULT_AS_OF, date(2026, 12, 21), date(2027, 1, 21))
    rng, vocabulary = random.Random(11), Vocabulary(11)
    files = sorted((corpus / "profiles").rglob("*.txt"))
    folder = root / "store"
    store = KGStore.open_writable(folder)
    try:
        for number, day in enumerate(days):
            if number:
                for path in rng.sample(files, len(files) // 5):
                    lab = int(path.name.split("_", 1)[0])  # {lab:06d}_{owner}_{digest}.txt
                    text = path.read_text(encoding="utf-8")
                    path.write_text(
                        changed_page(text, day, rng, used, vocabulary, lab), encoding="utf-8"
                    )
            if number == 2:
                shutil.move(files[0], root / files[0].name)
            _ingest(store, corpus / "profiles", day, prune=number == 2)
    finally:
        store.close()
    return folder, days


def dates_to_ask(days: tuple[date, ...]) -> list[str]:
    """The crawl dates, a day before the first, a day between two crawls, a day after the last."""
    between = date.fromordinal((days[0].toordinal() + days[1].toordinal()) // 2)
    extra = (date.fromordinal(days[0].toordinal() - 1), between, date(2027, 12, 31))
    return sorted({d.isoformat() for d in (*days, *extra)})


def by_query(runner: ReportRunner, report: Report, params: dict[str, str]) -> ReportResult:
    """The report's rows from its query, as written (what its engine must give)."""
    binding = runner.bind(report, params)
    return drop_parameter_columns(report, *runner.select(report, binding.substitutions(report)))


def assert_engine_gives_query_rows(
    runner: ReportRunner, name: str, params: dict[str, str], order_by: Sequence[str]
) -> ReportResult:
    """The report's answer (its engine's) has its query's columns, rows, row cap, and the
    order of its ``ORDER BY`` columns (rows tied on all of them may come in any order)."""
    report = runner.reports[name]
    found = runner.run(report, runner.bind(report, params))
    expected = by_query(runner, report, params)

    def order(result: ReportResult) -> list[tuple[object, ...]]:
        at = [result.columns.index(c) for c in order_by]
        return [tuple(None if row[i] is None else row[i].value for i in at) for row in result.rows]

    assert found.columns == expected.columns, params
    assert sorted(map(repr, found.rows)) == sorted(map(repr, expected.rows)), params
    assert order(found) == order(expected), params
    assert found.truncated == expected.truncated, params
    return found


def answers_at_once(
    runner: ReportRunner, name: str, pairs: Sequence[tuple[str, str]]
) -> list[ReportResult]:
    """The report's answers for these pairs of dates, asked from four threads at once."""
    report = runner.reports[name]

    def answer(pair: tuple[str, str]) -> ReportResult:
        return runner.run(report, runner.bind(report, {"from": pair[0], "to": pair[1]}))

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(answer, pairs))

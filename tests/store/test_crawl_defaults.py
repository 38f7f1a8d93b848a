"""The reports over time without dates (kg.reports.crawls): "what changed since the last
crawl". Left out, ``to`` and ``since`` are the latest crawl date of the store and ``from`` the
crawl before ``to``; ``kg precompute`` writes those default answers like every other
whole-graph report's, and a later crawl moves them (no file is copied with the old dates)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.namespace import XSD
from kg.reports.catalog import load_reports
from kg.reports.crawls import crawl_dates
from kg.reports.definitions import EARLIEST_DATE
from kg.reports.precompute import precompute_store
from kg.reports.runner import ReportRunner
from kg.reports.stored import PRECOMPUTED, PrecomputedReports, substitution_key
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.store.test_history import CHANGED, NEW_ENTRY, NEW_TITLE, SCHEME, _changed

OCT, NOV, DEC, JAN = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
REPORTS = load_reports(scheme=SCHEME)
#: The reports whose dates are store defaults, and the explicit request of their defaults
#: on a store of the crawls OCT, NOV, DEC.
EXPLICIT = {
    "crawl-changes": {"from": "2026-11-01", "to": "2026-12-01"},
    "fastest-growing-authors": {"from": "2026-11-01", "to": "2026-12-01"},
    "papers-listed-since": {"since": "2026-12-01"},
}


DEC_TITLE = "Crawl Dates as Defaults: What Changed Since the Last Copy"


def crawl_folders(root: Path, seeds_dir: Path) -> dict[date, Path]:
    """The seeds copied on OCT; on NOV one profile changed (h-index, a new paper); on DEC
    its citations grew and it lists one more paper; on JAN its citations grew again."""
    folders: dict[date, Path] = {}
    for day in (OCT, NOV, DEC, JAN):
        folders[day] = root / day.isoformat()
        shutil.copytree(seeds_dir, folders[day])
    for day, citations in ((NOV, "273"), (DEC, "300"), (JAN, "350")):
        page = folders[day] / CHANGED
        text = _changed(page.read_text(encoding="utf-8"))
        text = text.replace("273citations", f"{citations}citations")
        if day > NOV:
            text = text.replace("16papers\n", "17papers\n", 1).replace(
                "\n16 Papers\n\n", "\n17 Papers\n\n" + NEW_ENTRY.replace(NEW_TITLE, DEC_TITLE), 1
            )
        page.write_text(text, encoding="utf-8")
    return folders


def ingest_crawls(folder: Path, crawls: dict[date, Path], days: tuple[date, ...]) -> None:
    store = KGStore.open_writable(folder)
    try:
        for day in days:
            ingest(
                [crawls[day]],
                store,
                scheme=SCHEME,
                as_of=day,
                resolution=IdentityResolution(),
                progress=False,
            )
    finally:
        store.close()


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict[date, Path]:
    return crawl_folders(tmp_path_factory.mktemp("crawls"), seeds_dir)


@pytest.fixture(scope="module")
def three_crawls(tmp_path_factory: pytest.TempPathFactory, crawls: dict[date, Path]) -> Path:
    """A store folder of the crawls OCT, NOV, DEC, precomputed (read it, never write it)."""
    folder = tmp_path_factory.mktemp("three-crawls") / "store"
    ingest_crawls(folder, crawls, (OCT, NOV, DEC))
    precompute_store(folder, SCHEME)
    return folder


def _side(folder: Path, generation: str, name: str) -> dict[str, Any]:
    data = (folder / PRECOMPUTED / generation / f"{name}.rows.json").read_bytes()
    loaded = json.loads(data)
    assert isinstance(loaded, dict)
    return loaded


def test_the_crawl_dates_are_the_ingests_as_of_dates(three_crawls: Path) -> None:
    store = KGStore.open_readonly(three_crawls)
    try:
        # Four of the five pages were copied unchanged on NOV and DEC: their first copy
        # (OCT) is kept as prov:generatedAtTime only, and still counts.
        assert crawl_dates(LocalBackend(store)) == ("2026-10-01", "2026-11-01", "2026-12-01")
    finally:
        store.close()


def test_a_crawl_that_changed_nothing_keeps_the_first_copys_date(
    tmp_path: Path, crawls: dict[date, Path]
) -> None:
    # The same files on OCT and NOV: nothing is archived, each current snapshot is redated to
    # NOV, and OCT is left only as the first copy's prov:generatedAtTime in history graphs.
    same = {OCT: crawls[OCT], NOV: crawls[OCT]}
    ingest_crawls(tmp_path / "store", same, (OCT, NOV))
    store = KGStore.open_readonly(tmp_path / "store")
    try:
        assert crawl_dates(LocalBackend(store)) == ("2026-10-01", "2026-11-01")
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(EXPLICIT))
def test_no_dates_means_the_last_crawl(three_crawls: Path, name: str) -> None:
    store = KGStore.open_readonly(three_crawls)
    try:
        runner = ReportRunner(REPORTS, LocalBackend(store), SCHEME)
        report = REPORTS[name]
        default = runner.bind(report, {})
        explicit = runner.bind(report, EXPLICIT[name])
        assert default.key() == explicit.key()
        assert default.unresolved == () and explicit.notes == ()
        assert any("latest crawl date" in note for note in default.notes)
        left = runner.run(report, default)
        right = ReportRunner(REPORTS, LocalBackend(store), SCHEME).run(report, explicit)
        assert (left.columns, left.rows) == (right.columns, right.rows)
        assert left.rows, f"{name}: the last crawl changed something"
        assert left.notes == default.notes and right.notes == ()
    finally:
        store.close()


def test_the_last_crawls_changes_are_the_december_ones(three_crawls: Path) -> None:
    store = KGStore.open_readonly(three_crawls)
    try:
        runner = ReportRunner(REPORTS, LocalBackend(store), SCHEME)
        report = REPORTS["crawl-changes"]
        rows = runner.run(report, runner.bind(report, {})).records()
        assert {(r["source"], r["what_label"], r["before"], r["after"]) for r in rows} == {
            (CHANGED, "citations", 273, 300),
            (CHANGED, "profile_papers", 16, 17),
            (CHANGED, "declared_papers", 16, 17),
            (CHANGED, DEC_TITLE, None, None),
        }
        listed = REPORTS["papers-listed-since"]
        new = runner.run(listed, runner.bind(listed, {})).records()
        assert [(r["paper_title"], r["first_listed"]) for r in new] == [(DEC_TITLE, "2026-12-01")]
    finally:
        store.close()


def _earliest() -> ox.Literal:
    return ox.Literal(EARLIEST_DATE, datatype=ox.NamedNode(str(XSD.date)))


def test_precompute_writes_the_default_dates_answer(three_crawls: Path) -> None:
    store = KGStore.open_readonly(three_crawls)
    try:
        generation = store.generation
        assert generation is not None
        precomputed = PrecomputedReports(three_crawls)
        runner = ReportRunner(REPORTS, LocalBackend(store), SCHEME)
        for name, params in EXPLICIT.items():
            report = REPORTS[name]
            substitutions = runner.bind(report, params).substitutions(report)
            if name == "papers-listed-since":
                # Stored whole, for the earliest date: every date is picked from its rows
                # (row-filter: since | on-or-after: first_listed).
                substitutions["since"] = _earliest()
            side = _side(three_crawls, generation, name)
            assert side["substitutions"] == substitution_key(substitutions)
            stored = precomputed.rows(generation, report, substitutions)
            assert stored is not None and stored.rows, name
    finally:
        store.close()


def test_a_new_crawl_moves_the_default_dates_and_their_files(
    tmp_path: Path, three_crawls: Path, crawls: dict[date, Path]
) -> None:
    """The files of the previous checkpoint hold the NOV-DEC answers: after the JAN crawl they
    are computed again for DEC-JAN, never copied."""
    folder = tmp_path / "store"
    shutil.copytree(three_crawls, folder)
    ingest_crawls(folder, crawls, (JAN,))
    generation, written = precompute_store(folder, SCHEME)
    by_name = {w.report: w for w in written if w.kind == "rows"}
    for name in EXPLICIT:
        assert not by_name[name].carried, name
    side = _side(folder, generation, "crawl-changes")
    assert [value for _name, (value, _type) in side["substitutions"]] == [
        "2026-12-01",
        "2027-01-01",
    ]
    # Stored whole (every date picked from it), computed again: the crawl changed listings.
    since = _side(folder, generation, "papers-listed-since")
    assert [value for _name, (value, _type) in since["substitutions"]] == [EARLIEST_DATE]
    store = KGStore.open_readonly(folder)
    try:
        new_since_dec = ReportRunner(REPORTS, LocalBackend(store), SCHEME).run_named(
            "papers-listed-since", {"since": "2026-12-01"}
        )
    finally:
        store.close()
    assert 0 < len(new_since_dec.rows) < since["count"]


def test_one_crawl_has_nothing_to_compare(tmp_path: Path, crawls: dict[date, Path]) -> None:
    """One crawl date: ``from`` has no crawl before ``to``. The reports between two dates
    answer no rows with a note (no query), and get no file; so does papers-listed-since
    (every paper is new in the only crawl: a listing of the whole corpus helps nobody)."""
    folder = tmp_path / "store"
    ingest_crawls(folder, crawls, (OCT,))
    _generation, written = precompute_store(folder, SCHEME)
    files = {(w.report, w.kind) for w in written}
    assert ("papers-listed-since", "rows") not in files
    assert ("crawl-changes", "rows") not in files
    assert ("fastest-growing-authors", "rows") not in files
    store = KGStore.open_readonly(folder)
    try:
        runner = ReportRunner(
            REPORTS, LocalBackend(store), SCHEME, precomputed=PrecomputedReports(folder)
        )
        for name in ("crawl-changes", "fastest-growing-authors"):
            report = REPORTS[name]
            binding = runner.bind(report, {})
            assert binding.unresolved == ("from",)
            assert dict(binding.values).get("to") == "2026-10-01"
            result = runner.run(report, binding)
            assert result.rows == [] and "from" not in result.columns
            assert any("no crawl date before 2026-10-01" in note for note in result.notes)
        report = REPORTS["papers-listed-since"]
        binding = runner.bind(report, {})
        assert binding.unresolved == ("since",)
        listed = runner.run(report, binding)
        assert listed.rows == []
        assert any("no crawl before its latest" in note for note in listed.notes)
        # Given, the date is answered as asked: every paper is new since the only crawl.
        assert len(runner.run_named(report.name, {"since": "2026-10-01"}).rows) > 50
    finally:
        store.close()

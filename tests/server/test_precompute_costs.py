"""What each precompute task cost (kg.reports.costs): recorded beside the checkpoint's files,
carried with the files an incremental precompute copies, and read by the next precompute
to keep the tasks that took the most memory from running beside each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kg.rdf.iri import IriScheme
from kg.reports import precompute
from kg.reports.catalog import load_reports
from kg.reports.costs import COSTS, SIDE_BY_SIDE_MIB, Admission, TaskCost, read_costs
from kg.reports.precompute import precompute_store, precompute_tasks
from kg.reports.stored import PRECOMPUTED
from tests.conftest import TEST_BASE_IRI, ingest_into
from tests.server.recording import INTERVALS_LOG, timed_worker_compute

SCHEME = IriScheme(TEST_BASE_IRI)


def cost(peak_mib: float) -> TaskCost:
    return TaskCost(cpu_seconds=1.0, seconds=1.0, peak_mib=peak_mib, measured_on="0" * 20)


def running_together(
    admission: Admission, ends: list[str], measured: dict[str, float] | None = None
) -> list[list[str]]:
    """The tasks running after each time some started, the running ones ending in the order
    ``ends`` names them (a task not named ends first), each with its peak in ``measured``."""
    together: list[list[str]] = []
    while admission.pending or admission.running:
        started = False
        while admission.next() is not None:
            started = True
        if started:
            together.append(sorted(admission.running))
        running = sorted(admission.running, key=lambda n: ends.index(n) if n in ends else -1)
        # What the task measures: ``measured``, else what was known of it.
        peak = (measured or {}).get(running[0], admission.peaks.get(running[0], 1.0))
        admission.ended(running[0], cost(peak))
    return together


def test_with_nothing_known_the_first_task_runs_alone_and_sizes_the_others() -> None:
    small = {name: SIDE_BY_SIDE_MIB / 10 for name in "abcd"}
    assert running_together(Admission(list("abcd"), 2, {}), list("abcd"), small) == [
        ["a"],
        ["b", "c"],
        ["c", "d"],
    ]
    # A large first task: the others, never measured, count as large as the largest
    # measured, so they run one at a time.
    large = {"a": 3 * SIDE_BY_SIDE_MIB, "b": 100.0, "c": 100.0, "d": 100.0}
    assert running_together(Admission(list("abcd"), 2, {}), list("abcd"), large) == [
        ["a"],
        ["b"],
        ["c"],
        ["d"],
    ]


def test_the_largest_task_runs_alone_and_small_ones_fill_beside_a_large_one() -> None:
    big, large, small = 3 * SIDE_BY_SIDE_MIB, 2 * SIDE_BY_SIDE_MIB, SIDE_BY_SIDE_MIB / 4
    expected = {"graph": cost(large), "huge": cost(big), "s1": cost(small), "s2": cost(small)}
    admission = Admission(["graph", "huge", "s1", "s2"], 2, expected)
    # graph and huge would need 5 GiB together: the small ones run beside graph instead,
    # huge after it, alone.
    assert running_together(admission, ["s1", "s2", "graph", "huge"]) == [
        ["graph", "s1"],
        ["graph", "s2"],
        ["huge"],
    ]


def test_small_tasks_run_side_by_side_whatever_the_largest_of_them() -> None:
    expected = {name: cost(SIDE_BY_SIDE_MIB / 3) for name in "abcd"}
    admission = Admission(list("abcd"), 2, expected)
    assert running_together(admission, list("abcd")) == [["a", "b"], ["b", "c"], ["c", "d"]]


def test_a_task_measured_by_this_precompute_sizes_the_ones_never_measured() -> None:
    """a and b were small last time; a is large now: c, never measured, counts as large as
    a and waits for b to end instead of starting beside it."""
    expected = {"a": cost(100.0), "b": cost(100.0)}
    measured = {"a": 2 * SIDE_BY_SIDE_MIB, "b": 100.0}
    admission = Admission(list("abc"), 2, expected)
    assert running_together(admission, list("abc"), measured) == [["a", "b"], ["c"]]


def test_nothing_starts_beyond_the_workers() -> None:
    small = {name: cost(100.0) for name in "abcd"}
    assert running_together(Admission(list("abcd"), 1, small), list("abcd")) == [
        ["a"],
        ["b"],
        ["c"],
        ["d"],
    ]
    assert running_together(Admission(list("abcd"), 3, small), list("abcd")) == [
        ["a", "b", "c"],
        ["b", "c", "d"],
    ]


def test_a_task_never_measured_counts_as_large_as_a_copied_one() -> None:
    """The largest known may be a report whose files were copied (not among the tasks): a
    task never measured counts as large as it, and runs alone."""
    expected = {"copied": cost(2 * SIDE_BY_SIDE_MIB), "a": cost(100.0), "b": cost(100.0)}
    admission = Admission(["new", "a", "b"], 2, expected)
    assert running_together(admission, ["new", "a", "b"]) == [["new"], ["a", "b"]]


def test_where_no_task_can_measure_itself_they_run_side_by_side() -> None:
    """Without resource (Windows) a task's cost is None: nothing will be known, so the
    tasks run side by side, as before the record, rather than one at a time."""
    admission = Admission(list("abc"), 2, {})
    assert admission.next() == "a" and admission.next() is None
    admission.ended("a", None)
    assert admission.next() == "b" and admission.next() == "c"


@pytest.fixture(scope="module")
def seed_folder(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """The seed profiles ingested, nothing precomputed (copy it, never write it)."""
    folder = tmp_path_factory.mktemp("costs-store")
    ingest_into(folder, seeds_dir)
    shutil.rmtree(folder / PRECOMPUTED, ignore_errors=True)
    return folder


def intervals(log: Path) -> dict[str, tuple[float, float]]:
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return {name: (float(start), float(end)) for name, start, end in lines}


def overlapping(spans: dict[str, tuple[float, float]], name: str) -> set[str]:
    start, end = spans[name]
    return {other for other, (s, e) in spans.items() if other != name and s < end and start < e}


def test_each_task_s_cost_is_recorded_and_the_next_precompute_keeps_the_largest_apart(
    tmp_path: Path, seed_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "store"
    shutil.copytree(seed_folder, folder)
    monkeypatch.setattr(precompute, "_worker_compute", timed_worker_compute)
    generation, written = precompute_store(folder, SCHEME, workers=2)
    checkpoint = folder / PRECOMPUTED / generation
    costs = read_costs(checkpoint)
    # Every task sent to a worker measured itself: its own CPU, time and peak.
    computed = {w.report for w in written}
    assert set(costs) == computed and len(computed) > 4
    for name, measured in costs.items():
        assert measured.peak_mib > 10 and measured.seconds >= 0.5, name
        assert 0 < measured.cpu_seconds < 60 and measured.measured_on == generation, name
    # Never measured before: the tasks ran two at a time.
    spans = intervals(tmp_path / INTERVALS_LOG)
    assert any(overlapping(spans, name) for name in spans)

    # Say the first report took 8 GiB, the others what they took: the next precompute of
    # the store (its files removed, so that everything is computed again) runs it alone.
    tasks = [t for t in precompute_tasks(load_reports(scheme=SCHEME), SCHEME) if t in costs]
    largest = tasks[len(tasks) // 2]
    body = json.loads((checkpoint / COSTS).read_text(encoding="utf-8"))
    body["tasks"][largest]["peak_mib"] = 8192.0
    for path in checkpoint.iterdir():
        if path.name != COSTS:
            path.unlink()
    (checkpoint / COSTS).write_text(json.dumps(body), encoding="utf-8")
    (tmp_path / INTERVALS_LOG).unlink()
    precompute_store(folder, SCHEME, workers=2)
    spans = intervals(tmp_path / INTERVALS_LOG)
    assert set(spans) == computed
    assert overlapping(spans, largest) == set()
    assert any(overlapping(spans, name) for name in spans)  # the others still side by side
    # And the record is this run's again.
    assert read_costs(checkpoint)[largest].peak_mib < 8192


def test_a_task_whose_files_are_copied_keeps_its_cost(
    tmp_path: Path, seed_files: dict[str, Path]
) -> None:
    """After one profile's citation count changed, most reports are copied from the previous
    checkpoint (kg.reports.incremental): their costs come along (measured on that one), so
    the precompute after this one still knows them; the others are measured again."""
    sources = tmp_path / "profiles"
    sources.mkdir()
    for path in seed_files.values():
        shutil.copy(path, sources)
    folder = tmp_path / "store"
    ingest_into(folder, sources)
    first, _ = precompute_store(folder, SCHEME, workers=2)
    before = read_costs(folder / PRECOMPUTED / first)
    changed = sources / seed_files["000"].name
    text = changed.read_text(encoding="utf-8")
    assert "273citations" in text
    changed.write_text(text.replace("273citations", "274citations"), encoding="utf-8")
    ingest_into(folder, sources)
    second, written = precompute_store(folder, SCHEME, workers=2)
    assert second != first
    after = read_costs(folder / PRECOMPUTED / second)
    carried = {w.report for w in written if w.carried}
    computed = {w.report for w in written if not w.carried}
    assert "venues" in carried and "profiles" in computed
    assert set(after) == set(before) and carried - computed
    for name in carried - computed:
        assert after[name] == before[name] and after[name].measured_on == first, name
    for name in computed:
        assert after[name].measured_on == second, name


def test_a_record_that_does_not_read_is_left_out(tmp_path: Path) -> None:
    """The record only guides the order: one edited by hand or cut short never stops a
    precompute, it only goes unread."""
    good = {"cpu_seconds": 1, "seconds": 2, "peak_mib": 300, "measured_on": "0" * 20}
    for body in (
        "{",
        json.dumps([]),
        json.dumps({"format": 1, "tasks": ["venues"]}),
        json.dumps({"format": 1, "tasks": {"venues": {"peak_mib": 3}, "subjects": good}}),
        json.dumps({"format": 1, "tasks": {"venues": "large", "subjects": good}}),
        json.dumps({"format": 2, "tasks": {"subjects": good}}),
    ):
        (tmp_path / COSTS).write_text(body, encoding="utf-8")
        costs = read_costs(tmp_path)
        assert set(costs) <= {"subjects"}, body
        if costs:
            assert costs["subjects"].peak_mib == 300


def test_one_process_carries_the_record_as_it_is(tmp_path: Path, seed_folder: Path) -> None:
    """With --workers 1 no report is measured alone: the record of the checkpoint before
    is carried, so the precompute after this one still keeps the largest apart."""
    folder = tmp_path / "store"
    shutil.copytree(seed_folder, folder)
    generation, _ = precompute_store(folder, SCHEME, workers=2)
    measured = read_costs(folder / PRECOMPUTED / generation)
    # As if the previous checkpoint had measured them, and this one were computed serially.
    earlier = folder / PRECOMPUTED / f"{int(generation) - 1:020d}"
    earlier.mkdir()
    shutil.move(folder / PRECOMPUTED / generation / COSTS, earlier / COSTS)
    shutil.rmtree(folder / PRECOMPUTED / generation)
    precompute_store(folder, SCHEME, workers=1)
    assert read_costs(folder / PRECOMPUTED / generation) == measured


def test_a_task_that_computed_part_of_its_files_keeps_its_whole_measure(
    tmp_path: Path, seed_folder: Path
) -> None:
    """A precompute stopped part-way leaves some of a task's files: the task computed again
    writes only the rest, at less cost than the whole task, which the record keeps."""
    folder = tmp_path / "store"
    shutil.copytree(seed_folder, folder)
    generation, _ = precompute_store(folder, SCHEME, workers=2)
    checkpoint = folder / PRECOMPUTED / generation
    engine_report = "possible-duplicate-authors"  # its query's rows, then its engine's result
    assert (checkpoint / f"{engine_report}.rows.json").is_file()
    before = read_costs(checkpoint)
    body = json.loads((checkpoint / COSTS).read_text(encoding="utf-8"))
    body["tasks"][engine_report]["peak_mib"] = 4096.0
    (checkpoint / COSTS).write_text(json.dumps(body), encoding="utf-8")
    (checkpoint / f"{engine_report}.result.json").unlink()
    (checkpoint / "venues.rows.json").unlink()
    _, written = precompute_store(folder, SCHEME, workers=2)
    assert {w.report for w in written if not w.kept} == {engine_report, "venues"}
    costs = read_costs(checkpoint)
    assert costs[engine_report].peak_mib == 4096.0
    assert costs["venues"] != before["venues"]  # computed whole: measured again

"""`kg ingest --dated-crawls`, `--prune-history` and `kg history` (issue 18)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.pipeline.history import snapshot_dates
from kg.pipeline.ingest import IngestReport, _parse_and_map, _Work, ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI
from tests.store.test_history import CHANGED, SEEDS, _changed
from tests.store.test_resolution_step import RenamingStep

SCHEME = IriScheme(TEST_BASE_IRI)


def _crawls(root: Path, seeds_dir: Path) -> Path:
    for name in ("2026-11-01", "2026-10-01"):  # made out of order: taken by date
        shutil.copytree(seeds_dir, root / "crawls" / name)
    changed = root / "crawls" / "2026-11-01" / CHANGED
    changed.write_text(_changed(changed.read_text(encoding="utf-8")), encoding="utf-8")
    return root / "crawls"


def _kg(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_dated_crawls_are_ingested_in_order_and_history_can_be_dropped(
    tmp_path: Path, seeds_dir: Path
) -> None:
    crawls = _crawls(tmp_path, seeds_dir)
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI)
    code, out = _kg(
        "ingest", "--dated-crawls", str(crawls), *common, "--no-precompute", "--no-search-index"
    )
    assert code == 0, out
    assert "crawl 2026-10-01: 5 added" in out and "crawl 2026-11-01: 0 added, 1 replaced" in out
    code, out = _kg("history", "list", "--store", store)
    assert code == 0 and out.split("\t")[:2] == [CHANGED, "2026-10-01"], out
    code, out = _kg("history", "list", "--store", store, "--format", "json")
    assert code == 0, out
    assert [(r["source"], r["date"]) for r in json.loads(out)] == [(CHANGED, "2026-10-01")]
    assert json.loads(out)[0]["graph"].startswith(f"{TEST_BASE_IRI}graph/_history/")
    code, out = _kg("history", "drop", "--before", "2026-10-02", "--store", store)
    assert code == 0 and "dropped 1 archived snapshot" in out, out
    assert _kg("history", "list", "--store", store) == (0, "")


def test_operator_mistakes_are_one_line(tmp_path: Path, seeds_dir: Path) -> None:
    crawls = _crawls(tmp_path, seeds_dir)
    (crawls / "notes").mkdir()
    store = str(tmp_path / "store")
    for args, says in (
        (("ingest", "--dated-crawls", str(crawls)), "notes"),
        (("ingest", "--dated-crawls", "--as-of", "2026-01-01", str(crawls)), "--as-of"),
        (("ingest", "--prune-history", str(crawls)), "--prune-history needs --prune"),
        (("history", "drop", "--before", "yesterday"), "YYYY-MM-DD"),
    ):
        code, out = _kg(*args, "--store", store)
        assert code == 2 and says in out and "Traceback" not in out, out


def test_the_history_benchmark_runs(tmp_path: Path) -> None:
    """A smoke run of bench/history.py: three crawls, then the last alone in a fresh store."""
    from bench.history import run

    results = run(200, 3, 0.2, 7, tmp_path)
    assert [r.crawl for r in results] == [1, 2, 3, 0]
    assert [r.as_of for r in results] == ["2026-11-21", "2026-12-21", "2027-01-21", "2027-01-21"]
    # Within 2026 an unchanged page is copied byte for byte; the January crawl shows the
    # pages as the site does then (2026's yearless dates with their year): those pages are
    # new copies too, but they show nothing new, so only the changed pages are archived.
    assert results[1].reprinted_files == 0 and results[2].reprinted_files > 0
    assert [r.history_graphs for r in results] == [
        0,
        results[1].changed_files,
        2 * results[1].changed_files,
        0,
    ]
    # What history adds is what the kept snapshots hold, nothing more.
    assert results[2].quads - results[3].quads == results[2].history_quads


def _published(store: str) -> str:
    return (Path(store) / "published").read_text(encoding="utf-8")


def _current_dates(store: str) -> set[str]:
    from kg.pipeline.history import snapshot_dates
    from kg.rdf.iri import IriScheme
    from kg.store.embedded import KGStore

    opened = KGStore.open_readonly(store)
    try:
        return {
            day.isoformat() for day in snapshot_dates(opened, IriScheme(TEST_BASE_IRI)).values()
        }
    finally:
        opened.close()


def test_a_folder_of_crawls_ingested_again_changes_nothing(tmp_path: Path, seeds_dir: Path) -> None:
    """A monthly job that runs over the whole folder of crawls: the crawls already in the store
    are skipped (replayed, an older copy replaced the later one, archiving it, then the later
    one came back), nothing is published anew; a new crawl is ingested."""
    crawls = _crawls(tmp_path, seeds_dir)
    store = str(tmp_path / "store")
    args = ("ingest", "--dated-crawls", str(crawls), "--store", store, "--base-iri", TEST_BASE_IRI)
    code, out = _kg(*args, "--no-search-index")
    assert code == 0, out
    published, listed = _published(store), _kg("history", "list", "--store", store)
    code, out = _kg(*args, "--no-search-index")
    assert code == 0, out
    for day in ("2026-10-01", "2026-11-01"):
        assert f"crawl {day}: skipped, in the store already (each of its 5 profile files" in out
    assert ": every crawl is in the store already\n" in out, out
    assert _kg("history", "list", "--store", store) == listed
    assert _published(store) == published
    # A third crawl is ingested as usual.
    shutil.copytree(crawls / "2026-11-01", crawls / "2026-12-01")
    code, out = _kg(*args, "--no-search-index", "--no-precompute")
    assert code == 0 and "crawl 2026-12-01: 0 added, 0 replaced, 5 unchanged" in out, out
    assert "crawl 2026-10-01: skipped" in out and _current_dates(store) == {"2026-12-01"}


def test_an_older_copy_does_not_replace_a_later_one(tmp_path: Path, seeds_dir: Path) -> None:
    """`kg ingest` of the first crawl again, after the second: the changed page fails with the
    reason (what the store holds stays), the others are unchanged and keep their later date."""
    crawls = _crawls(tmp_path, seeds_dir)
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI, "--no-search-index", "--no-precompute")
    assert _kg("ingest", "--dated-crawls", str(crawls), *common)[0] == 0
    listed, published = _kg("history", "list", "--store", store), _published(store)
    code, out = _kg("ingest", str(crawls / "2026-10-01"), "--as-of", "2026-10-01", *common)
    assert code == 1, out
    assert "0 added, 0 replaced, 4 unchanged, 0 removed, 1 failed" in out
    assert (
        f"{CHANGED}:0: the store holds a later copy of this page (as of 2026-11-01) than this one "
        "(as of 2026-10-01)" in out
    )
    assert "Traceback" not in out
    assert _kg("history", "list", "--store", store) == listed
    assert _current_dates(store) == {"2026-11-01"}
    # Identity resolution read the stored copy, not the refused one: nothing was written.
    assert _published(store) == published


def test_a_page_mapped_again_by_an_older_ingest_keeps_its_date(seeds_dir: Path) -> None:
    """Identity resolution may map a stored page again (its keys changed) in an ingest dated
    before its snapshot: its stored copy is mapped as it was read (its own date), and an
    older copy of other bytes fails as any older copy does."""
    page = seeds_dir / CHANGED
    sha = hashlib.sha256(page.read_bytes()).hexdigest()
    later, earlier = date(2026, 11, 1), date(2026, 10, 1)
    parsed_at = datetime(2026, 12, 1, tzinfo=UTC)
    again = _Work(CHANGED, str(page), None, known_date=later, stored_sha=sha)
    mapped = _parse_and_map(again, TEST_BASE_IRI, earlier, parsed_at, None)
    assert mapped.usable and not mapped.unchanged
    snapshot_date = f"<{TEST_BASE_IRI}profile/{CHANGED}> <http://purl.org/dc/terms/date> "
    dated = [line for line in mapped.lines if line.startswith(snapshot_date)]
    assert len(dated) == 1 and '"2026-11-01"' in dated[0], dated
    other = _Work(CHANGED, str(page), None, known_date=later, stored_sha="0" * 64)
    refused = _parse_and_map(other, TEST_BASE_IRI, earlier, parsed_at, None)
    assert not refused.usable and "an older copy does not replace it" in refused.failures[0].reason


def test_a_late_crawl_of_other_pages_is_ingested(tmp_path: Path, seeds_dir: Path) -> None:
    """A crawl dated before the store's latest, with a page the store has never seen: not
    skipped (a crawl is skipped only when the store holds a later copy of each of its
    pages); its new page is added, its page the store holds later changes nothing."""
    crawls = _crawls(tmp_path, seeds_dir)
    for day in ("2026-10-01", "2026-11-01"):
        (crawls / day / "004_6a2e0b437ba59670.txt").unlink()
    store = str(tmp_path / "store")
    args = ("ingest", "--dated-crawls", str(crawls), "--store", store, "--base-iri", TEST_BASE_IRI)
    common = ("--no-search-index", "--no-precompute")
    assert _kg(*args, *common)[0] == 0
    late = crawls / "2026-10-15"
    late.mkdir()
    for name in ("004_6a2e0b437ba59670.txt", "001_567876b7f542bf29.txt"):
        shutil.copy(seeds_dir / name, late)
    code, out = _kg(*args, *common)
    assert code == 0, out
    assert "crawl 2026-10-01: skipped" in out
    assert "crawl 2026-10-15: 1 added, 0 replaced, 1 unchanged, 0 removed, 0 failed" in out
    assert _current_dates(store) == {"2026-10-15", "2026-11-01"}


def _mapped_again(
    folder: Path, seeds_dir: Path, first: date, second: date, remap: set[str]
) -> tuple[KGStore, IngestReport]:
    """The seeds ingested on ``first``, then again on ``second`` with an identity step that
    maps the sources ``remap`` again (their keys changed); the store is the caller's to close."""
    store = KGStore.open_writable(folder)
    ingest([seeds_dir], store, scheme=SCHEME, as_of=first, progress=False)
    step = RenamingStep(remap=frozenset(remap))
    report = ingest(
        [seeds_dir], store, scheme=SCHEME, as_of=second, progress=False, resolution=step
    )
    assert {o.source: o.status for o in report.outcomes}[CHANGED] == "replaced"
    return store, report


def test_a_page_mapped_again_keeps_its_later_date(tmp_path: Path, seeds_dir: Path) -> None:
    """An ingest dated before a stored page's snapshot whose identity step maps that page
    again: it is mapped as of its own date, which stays."""
    later = date(2026, 11, 1)
    store, _ = _mapped_again(tmp_path / "store", seeds_dir, later, date(2026, 10, 1), {CHANGED})
    try:
        assert set(snapshot_dates(store, SCHEME).values()) == {later}
    finally:
        store.close()


def test_a_page_mapped_again_later_keeps_its_first_copy_date(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """An unchanged page that identity resolution maps again in a later crawl: its snapshot
    moves to the new date and the date of its first copy is kept, as for a page copied again
    unchanged (else crawl-changes took it for a profile added since)."""
    remap = {CHANGED, "001_567876b7f542bf29.txt"}
    store, _ = _mapped_again(
        tmp_path / "store", seeds_dir, date(2026, 11, 1), date(2026, 12, 1), remap
    )
    try:
        first_copies = {
            row["p"].value.rsplit("/", 1)[1]: row["t"].value
            for row in store.query(
                "SELECT ?p ?t WHERE { GRAPH ?h { ?p <http://www.w3.org/ns/prov#generatedAtTime> ?t "
                f'FILTER(STRSTARTS(STR(?p), "{TEST_BASE_IRI}profile/")) }} }}'
            )
        }
        # The two mapped again as the three copied again unchanged.
        assert first_copies == dict.fromkeys(SEEDS, "2026-11-01T00:00:00Z")
    finally:
        store.close()


def test_a_page_no_later_crawl_copied_does_not_bring_its_crawl_back(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """A page of the first crawl that the second no longer has (not pruned) is stored as
    copied on the first crawl's date, from the same bytes: that crawl is still in the store
    already, and ingesting the folder again writes nothing and refuses nothing."""
    crawls = _crawls(tmp_path, seeds_dir)
    (crawls / "2026-11-01" / "004_6a2e0b437ba59670.txt").unlink()
    store = str(tmp_path / "store")
    args = ("ingest", "--dated-crawls", str(crawls), "--store", store, "--base-iri", TEST_BASE_IRI)
    common = ("--no-search-index", "--no-precompute")
    assert _kg(*args, *common)[0] == 0
    code, out = _kg(*args, *common)
    assert code == 0, out
    assert "crawl 2026-10-01: skipped, in the store already" in out
    assert "crawl 2026-11-01: skipped, in the store already" in out
    assert _current_dates(store) == {"2026-10-01", "2026-11-01"}


def test_an_older_crawl_does_not_prune_a_later_page(tmp_path: Path, seeds_dir: Path) -> None:
    """`--prune` with a crawl older than a page the store holds from a later one: the page
    stays, with the reason (its later snapshot is not archived as removed before its date)."""
    crawls = _crawls(tmp_path, seeds_dir)
    newer = "004_6a2e0b437ba59670.txt"
    (crawls / "2026-10-01" / newer).unlink()
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI, "--no-search-index", "--no-precompute")
    assert _kg("ingest", "--dated-crawls", str(crawls), *common)[0] == 0
    listed, published = _kg("history", "list", "--store", store), _published(store)
    code, out = _kg(
        "ingest", str(crawls / "2026-10-01"), "--as-of", "2026-10-01", "--prune", *common
    )
    assert code == 1, out
    assert (
        f"{newer}:0: not removed: the store holds a later copy of this page (as of 2026-11-01)"
        in out
    )
    assert "0 removed" in out and "Traceback" not in out
    assert _kg("history", "list", "--store", store) == listed
    assert _published(store) == published and _current_dates(store) == {"2026-11-01"}


def test_a_correction_of_a_day_keeps_the_content_copied_before(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """A page copied on 10-01, copied again unchanged on 11-01, then corrected for 11-01 (its
    11-01 copy was another): the content of 10-01 is archived as current until 11-01, so the
    change between the two dates is reported."""
    crawl = tmp_path / "crawl"
    shutil.copytree(seeds_dir, crawl)
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI, "--no-search-index", "--no-precompute")
    for day in ("2026-10-01", "2026-11-01"):
        assert _kg("ingest", str(crawl), "--as-of", day, *common)[0] == 0
    page = crawl / CHANGED
    page.write_text(_changed(page.read_text(encoding="utf-8")), encoding="utf-8")
    code, out = _kg("ingest", str(crawl), "--as-of", "2026-11-01", *common)
    assert code == 0 and "1 replaced" in out, out
    assert _kg("history", "list", "--store", store)[1].split("\t")[:2] == [CHANGED, "2026-11-01"]
    code, out = _kg(
        "report", "crawl-changes", "--store", store, "--format", "json",
        "--param", "from=2026-10-01", "--param", "to=2026-11-01",
    )  # fmt: skip
    assert code == 0, out
    changes = {(row["source"], row["change"]) for row in json.loads(out)["rows"]}
    assert changes == {(CHANGED, "metric changed"), (CHANGED, "paper added")}


def test_a_mistyped_future_date_can_be_corrected(tmp_path: Path, seeds_dir: Path) -> None:
    """A crawl ingested with a mistyped --as-of after today, then the same files with the
    right date: the stored date is corrected (a date after today is no copy date), nothing is
    archived."""
    store = str(tmp_path / "store")
    common = ("--store", store, "--base-iri", TEST_BASE_IRI, "--no-search-index", "--no-precompute")
    assert _kg("ingest", str(seeds_dir), "--as-of", "2062-11-01", *common)[0] == 0
    code, out = _kg("ingest", str(seeds_dir), "--as-of", "2026-11-01", *common)
    assert code == 0 and "0 failed" in out, out
    assert _current_dates(store) == {"2026-11-01"}
    assert _kg("history", "list", "--store", store) == (0, "")
    # The dates the pages print without a year are read against the right date too.
    code, out = _kg(
        "query", "--store", store, "--format", "tsv",
        'SELECT ?o WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?o), "2062-")) } LIMIT 1',
    )  # fmt: skip
    assert code == 0 and out.strip() == "?o", out

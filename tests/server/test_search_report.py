"""The fuzzy `search` report answered by the store's search index, and its fallback.

With an index built for the store version, the report asks it (words of abstracts too,
typos forgiven, BM25 scores); without one, or while it lags behind the store, names and
titles are ranked with rapidfuzz as before, a note says so, and the columns are the same.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kg.rdf.iri import IriScheme
from kg.reports.catalog import load_reports
from kg.reports.engines.search import NO_INDEX_NOTE, STALE_INDEX_NOTE
from kg.reports.runner import ReportRunner
from kg.search.index import SearchIndex, update_index
from kg.store.changes import clear_checkpointed, mark_checkpointed
from kg.store.embedded import PUBLISHED, SNAPSHOTS, KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
REPORTS = load_reports(scheme=SCHEME)
COLUMNS = ("type", "item", "label", "score")
PAPER = "Heterogeneous Federated Learning on a Graph"


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Iterator[KGStore]:
    opened = KGStore.open_readonly(seed_store)
    yield opened
    opened.close()


def _runner(store: KGStore, index: SearchIndex | None) -> ReportRunner:
    return ReportRunner(REPORTS, LocalBackend(store), SCHEME, text_index=index)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"q": "weiran huagn", "kind": "author"}, "Weiran Huang", id="misspelt-author"),
        pytest.param({"q": "xuyang zhoa"}, "Xuyang Zhao", id="misspelt-author-any-kind"),
        pytest.param({"q": "heterogenous federatd lerning grpah"}, PAPER, id="misspelt-title"),
        # Words of the abstract only: names and titles alone (the fallback) cannot find it.
        pytest.param({"q": "fused Lasso regularization", "kind": "paper"}, PAPER, id="abstract"),
    ],
)
def test_the_report_is_answered_by_the_index(
    store: KGStore, seed_store: Path, params: dict[str, str], expected: str
) -> None:
    runner = _runner(store, SearchIndex(seed_store / "search"))
    result = runner.run_named("search", params)
    assert result.rows and str(result.rows[0][2].value) == expected
    assert NO_INDEX_NOTE not in result.notes and STALE_INDEX_NOTE not in result.notes


def test_index_rows_keep_the_report_columns_and_kinds(store: KGStore, seed_store: Path) -> None:
    runner = _runner(store, SearchIndex(seed_store / "search"))
    result = runner.run_named("search", {"q": "learning"})
    assert result.columns == COLUMNS and result.rows
    # "any" is authors and papers, as the report always meant (not organizations, subjects).
    assert {str(row[0].value) for row in result.rows} <= {"author", "paper"}
    assert all(str(row[1].value).startswith(TEST_BASE_IRI) for row in result.rows)
    scores = [float(row[3].value) for row in result.rows]
    assert scores == sorted(scores, reverse=True)
    papers = runner.run_named("search", {"q": "learning", "kind": "paper"})
    assert {str(row[0].value) for row in papers.rows} == {"paper"}


def test_a_long_title_is_searched_by_its_beginning(store: KGStore, seed_store: Path) -> None:
    runner = _runner(store, SearchIndex(seed_store / "search"))
    text = PAPER + " with many more words " * 4
    result = runner.run_named("search", {"q": text, "kind": "paper"})
    assert str(result.rows[0][2].value) == PAPER
    assert any(note.startswith("only the beginning was searched for") for note in result.notes)
    nothing = runner.run_named("search", {"q": "* ~ ()"})
    assert nothing.rows == [] and nothing.notes


def test_without_an_index_the_report_ranks_names_and_says_so(
    store: KGStore, tmp_path: Path
) -> None:
    for index in (None, SearchIndex(tmp_path / "never-built")):
        runner = _runner(store, index)
        result = runner.run_named("search", {"q": "weiran huagn", "kind": "author"})
        assert result.columns == COLUMNS
        assert str(result.rows[0][2].value) == "Weiran Huang"
        assert all(0 <= float(row[3].value) <= 100 for row in result.rows)
        assert NO_INDEX_NOTE in result.notes


def test_an_index_that_lags_is_not_used_and_its_catching_up_is_seen(
    store: KGStore, tmp_path: Path
) -> None:
    folder = tmp_path / "index"
    index = SearchIndex(folder)
    update_index(folder, LocalBackend(store), store_version="an-older-version")
    runner = _runner(store, index)
    params = {"q": "fused Lasso regularization", "kind": "paper"}
    lagging = runner.run_named("search", params)
    assert STALE_INDEX_NOTE in lagging.notes
    update_index(folder, LocalBackend(store), store_version=runner.version())
    # Not answered from the cache of the fallback: the index is asked as soon as it is current.
    current = runner.run_named("search", params)
    assert STALE_INDEX_NOTE not in current.notes
    assert str(current.rows[0][2].value) == PAPER


def test_an_index_of_the_checkpoint_being_published_is_used_and_no_other(
    seed_store: Path, tmp_path: Path
) -> None:
    """kg ingest indexes its checkpoint before it precomputes and publishes it: meanwhile the
    server's checkpoint is older than the index's, and the index answers (rather than every
    request ranking every name live). The store folder's note names that checkpoint, as it
    does for `kg search-index`: an index of an older checkpoint, or of a newer one that a
    later write abandoned (the note cleared), does not answer."""
    folder = tmp_path / "store"
    shutil.copytree(seed_store, folder)
    store = KGStore.open_readonly(folder)
    try:
        served = store.generation
        assert served is not None and len(served) == 20
        newer, older = f"{int(served) + 1:020d}", f"{int(served) - 1:020d}"
        params = {"q": "fused Lasso regularization", "kind": "paper"}

        def answered_by_index(version: str) -> bool:
            where = tmp_path / "index" / version
            if not where.exists():
                update_index(where, LocalBackend(store), store_version=version)
            result = _runner(store, SearchIndex(where)).run_named("search", params)
            if STALE_INDEX_NOTE in result.notes:
                return False
            assert str(result.rows[0][2].value) == PAPER  # found by words of its abstract
            return True

        mark_checkpointed(folder, newer)
        assert answered_by_index(newer)
        assert not answered_by_index(older)
        assert not answered_by_index("not-a-checkpoint-name")
        clear_checkpointed(folder)  # a write after it: the checkpoint is abandoned
        assert not answered_by_index(newer)
        assert answered_by_index(served)
        # Published (the note cleared) a moment before the server re-reads its version.
        (folder / SNAPSHOTS / newer).mkdir()
        (folder / PUBLISHED).write_text(newer + "\n", encoding="utf-8")
        assert answered_by_index(newer)
    finally:
        store.close()


def test_did_you_mean_comes_from_the_index(store: KGStore, seed_store: Path) -> None:
    runner = _runner(store, SearchIndex(seed_store / "search"))
    result = runner.run_named("author-papers", {"author": "Weiran Huagn"})
    assert result.notes[0].startswith("no author named 'Weiran Huagn'; did you mean 'Weiran Huang'")


def test_the_served_report_asks_the_index_in_every_format(client: FlaskClient) -> None:
    query = "q=fused+Lasso+regularization&kind=paper"
    document = client.get(f"/reports/search.json?{query}").get_json()
    assert document["columns"] == list(COLUMNS)
    assert document["rows"][0]["label"] == PAPER
    assert not document.get("notes")
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/search.csv?{query}").get_data(True))))
    assert rows[0] == list(COLUMNS) and rows[1][2] == PAPER
    page = client.get(f"/reports/search?{query}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and PAPER in page.get_data(as_text=True)


class _CountingIndex(SearchIndex):
    prefetched = 0

    def prefetch(self, *, chunk_bytes: int = 1 << 22) -> int:
        read = super().prefetch(chunk_bytes=chunk_bytes)
        self.prefetched += read
        return read


def test_warming_reads_the_index_ahead_of_the_first_search(
    store: KGStore, seed_store: Path
) -> None:
    index = _CountingIndex(seed_store / "search")
    runner = _runner(store, index)
    done = runner.warm()
    assert done["search"] == "search index"
    assert index.prefetched > 0

"""The search index on the seeds and on a fixture with accents, hyphens and markup."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.search.index import Filters, SearchIndex, update_index
from kg.search.query import MAX_QUERY_CHARS, SearchQueryError, fold, parse
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend
from tests.conftest import TEST_BASE_IRI, ingest_into

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "profiles"


@pytest.fixture(scope="module")
def seed_index(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("search") / "index"
    store = KGStore.open_readonly(seed_store)
    try:
        update_index(folder, LocalBackend(store))
    finally:
        store.close()
    return SearchIndex(folder)


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    root = tmp_path_factory.mktemp("fixture-search")
    profiles = root / "profiles"
    profiles.mkdir()
    shutil.copy(FIXTURES / "synthetic_layout_a.txt", profiles)
    ingest_into(root / "store", profiles)
    store = KGStore.open_readonly(root / "store")
    try:
        update_index(root / "index", LocalBackend(store))
    finally:
        store.close()
    yield SearchIndex(root / "index")


def _labels(index: SearchIndex, text: str, **filters: object) -> list[str]:
    return [hit.label for hit in index.search(text, Filters(**filters), limit=10).hits]  # type: ignore[arg-type]


def test_words_of_an_abstract_find_the_paper_first(seed_index: SearchIndex) -> None:
    assert (
        _labels(seed_index, "fused Lasso regularization")[0]
        == "Heterogeneous Federated Learning on a Graph"
    )


def test_typos_are_forgiven(seed_index: SearchIndex) -> None:
    assert (
        "Heterogeneous Federated Learning on a Graph"
        in _labels(seed_index, "federatd lerning grpah")[:3]
    )
    assert _labels(seed_index, "xuyang zaho")[0] == "Xuyang Zhao"


def test_a_name_finds_the_person_first(seed_index: SearchIndex) -> None:
    result = seed_index.search("weiran huang")
    assert result.hits[0].kind == "author"
    assert result.hits[0].iri == f"{TEST_BASE_IRI}author/weiran-huang"


def test_short_words_are_not_fuzzy(seed_index: SearchIndex) -> None:
    # "kai" must not match "lai" or "wei": one edit in a three-letter word is another word.
    assert all(
        "Kai" in label or "kai" in label.lower()
        for label in _labels(seed_index, "kai", kind="author")
    )


def test_phrases(seed_index: SearchIndex) -> None:
    assert _labels(seed_index, '"federated learning"') == [
        "Heterogeneous Federated Learning on a Graph"
    ]
    assert _labels(seed_index, '"learning federated"') == []


def test_facets_count_by_type_subject_year(seed_index: SearchIndex) -> None:
    result = seed_index.search("learning", limit=5)
    assert result.total > 5
    assert sum(result.facets["type"].values()) == result.total
    assert result.facets["subject"] and result.facets["year"]
    assert set(result.facets["has_code"]) <= {"true", "false"}


def test_filters_narrow(seed_index: SearchIndex) -> None:
    everything = seed_index.search("learning", limit=100)
    papers = seed_index.search("learning", Filters(kind="paper"), limit=100)
    assert papers.total == everything.facets["type"]["paper"]
    in_2023 = seed_index.search(
        "learning", Filters(kind="paper", from_year=2023, to_year=2023), limit=100
    )
    assert in_2023.total == everything.facets["year"]["2023"]
    assert all(hit.year == 2023 for hit in in_2023.hits)
    lg = seed_index.search("learning", Filters(subject="LG"), limit=100)
    assert lg.total == everything.facets["subject"]["LG"]
    with_code = seed_index.search("learning", Filters(has_code=True), limit=100)
    assert with_code.total == everything.facets["has_code"]["true"]


def test_paging_is_consistent(seed_index: SearchIndex) -> None:
    first = seed_index.search("learning", limit=5)
    second = seed_index.search("learning", limit=5, offset=5)
    both = seed_index.search("learning", limit=10)
    assert [h.iri for h in first.hits + second.hits] == [h.iri for h in both.hits]


def test_prefix_completion(seed_index: SearchIndex) -> None:
    assert [h.label for h in seed_index.complete("xuy", kind="author")] == ["Xuyang Zhao"]
    assert "Heterogeneous Federated Learning on a Graph" in [
        h.label for h in seed_index.complete("heterogeneous fed")
    ]


def test_snippet_highlights_and_escapes(seed_index: SearchIndex) -> None:
    hit = seed_index.search("fused Lasso regularization").hits[0]
    assert "<b>fused</b>" in hit.snippet and "<b>Lasso</b>" in hit.snippet


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("Renee Ramirez-Nunez", id="without-accents"),
        pytest.param("renée ramírez núñez", id="lower-case-spaced"),
        pytest.param("Renee Ramireznunez", id="hyphen-joined"),
        pytest.param("Renne Ramirez", id="one-typo"),
    ],
)
def test_accents_case_hyphens_folded(fixture_index: SearchIndex, typed: str) -> None:
    assert "Renée Ramírez-Núñez" in _labels(fixture_index, typed, kind="author")[:3]


def test_incremental_update_rewrites_only_changes(seed_store: Path, tmp_path: Path) -> None:
    store = KGStore.open_readonly(seed_store)
    try:
        backend = LocalBackend(store)
        first = update_index(tmp_path / "index", backend)
        assert first.added > 200 and not first.changed
        again = update_index(tmp_path / "index", backend, store_version="another-version")
        assert again.unchanged and again.documents == first.documents
        same = update_index(tmp_path / "index", backend, store_version="another-version")
        assert same.unchanged
    finally:
        store.close()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param('"" ( ) * : ~ ^', id="operators-only"),
        pytest.param("x" * (MAX_QUERY_CHARS + 1), id="huge"),
        pytest.param(" ".join(["word"] * 40), id="too-many-words"),
    ],
)
def test_bad_input_is_a_clear_error(seed_index: SearchIndex, text: str) -> None:
    with pytest.raises(SearchQueryError):
        seed_index.search(text)


def test_query_syntax_is_not_interpreted(seed_index: SearchIndex) -> None:
    # tantivy's own syntax (fields, ranges, boosts) is plain words here.
    assert seed_index.search("iri:* OR title:[a TO z]^9", limit=3).total >= 0
    assert parse("iri:x").terms == (("iri",), ("x",))


def test_fold() -> None:
    assert fold("Ødegård Yi-Fan") == "odegard yifan"

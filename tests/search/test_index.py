"""The search index on the seeds and on a fixture with accents, hyphens and markup."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg.search.index as index_module
from kg.search.index import Filters, SearchIndex, update_index
from kg.search.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    QUERY_PATTERN,
    SearchQueryError,
    check,
    fold,
    parse,
    within_limits,
)
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
        pytest.param(" ".join(["word"] * (MAX_TERMS + 1)), id="one-word-too-many"),
    ],
)
def test_bad_input_is_a_clear_error(seed_index: SearchIndex, text: str) -> None:
    with pytest.raises(SearchQueryError):
        seed_index.search(text)


_Q_SCHEMA = {"type": "string", "pattern": QUERY_PATTERN, "maxLength": MAX_QUERY_CHARS}


def _pattern_accepts(text: str) -> bool:
    """Whether the OpenAPI schema of `q` takes a text, read by Python's `re` and by an
    ECMA-262 validator (jsonschema_rs, what schemathesis uses): both must say the same."""
    by_python = len(text) <= MAX_QUERY_CHARS and re.search(QUERY_PATTERN, text) is not None
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    assert jsonschema_rs.validator_for(_Q_SCHEMA).is_valid(text) == by_python, repr(text)
    return by_python


def _check_accepts(text: str) -> bool:
    try:
        check(text)
    except SearchQueryError:
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t\n",
        "x",
        " x\n",
        "Yi-Fan",
        '"graph lasso"',
        "_",
        "漢字",
        "é",
        "Ĥ ĩ",
        "—",
        "½",
        "a\u0301",
        "\u0301",
        '"" * ~ ( )',
        " ".join(["w"] * MAX_TERMS),
        " ".join(["w"] * MAX_TERMS) + "\n",
        " ".join(["w"] * (MAX_TERMS + 1)),
        "x" * MAX_QUERY_CHARS,
        "x" * (MAX_QUERY_CHARS + 1),
        " " + "x" * MAX_QUERY_CHARS,
    ],
)
def test_the_schema_pattern_and_the_check_accept_the_same_texts(text: str) -> None:
    assert _pattern_accepts(text) == _check_accepts(text)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    st.text(max_size=40)
    | st.lists(st.sampled_from(["w", " ", "-", '"', "é"]), max_size=60).map("".join)
)
def test_the_pattern_and_the_check_agree_on_any_text(text: str) -> None:
    assert _pattern_accepts(text) == _check_accepts(text)


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(st.from_regex(QUERY_PATTERN).filter(lambda t: len(t) <= MAX_QUERY_CHARS))
def test_a_text_the_pattern_accepts_is_searched_not_refused(
    seed_index: SearchIndex, text: str
) -> None:
    assert seed_index.search(text, limit=1).total >= 0


def test_within_limits_cuts_to_what_a_search_takes() -> None:
    long_title = " ".join(f"w{i}" for i in range(MAX_TERMS + 5))
    cut = within_limits(long_title)
    assert _check_accepts(cut) and cut.split() == long_title.split()[:MAX_TERMS]
    assert within_limits("fused lasso") == "fused lasso"


def test_a_rebuilt_index_is_seen_and_its_sidecar_read_once_per_change(
    seed_store: Path,
    fixture_index: SearchIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[Path] = []
    real = index_module._read_sidecar

    def counting(folder: Path) -> dict[str, object]:
        reads.append(folder)
        return real(folder)

    monkeypatch.setattr(index_module, "_read_sidecar", counting)
    folder = tmp_path / "index"
    other = KGStore.open_readonly(fixture_index.folder.parent / "store")
    try:
        update_index(folder, LocalBackend(other), store_version="first")
    finally:
        other.close()
    index = SearchIndex(folder)
    title = "Heterogeneous Federated Learning on a Graph"
    reads.clear()
    for _ in range(5):
        assert title not in [h.label for h in index.search("federated learning graph").hits]
    assert index.store_version == "first"
    assert len(reads) == 1  # not once per search
    seeds = KGStore.open_readonly(seed_store)
    try:
        # `kg search-index --rebuild`: the same store version, other contents.
        update_index(folder, LocalBackend(seeds), store_version="first", rebuild=True)
    finally:
        seeds.close()
    assert title in [h.label for h in index.search("federated learning graph").hits]
    assert len(reads) == 2


def test_query_syntax_is_not_interpreted(seed_index: SearchIndex) -> None:
    # tantivy's own syntax (fields, ranges, boosts) is plain words here.
    assert seed_index.search("iri:* OR title:[a TO z]^9", limit=3).total >= 0
    assert parse("iri:x").terms == (("iri",), ("x",))


def test_fold() -> None:
    assert fold("Ødegård Yi-Fan") == "odegard yifan"


def test_prefetch_reads_the_live_segments_only(seed_store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    store = KGStore.open_readonly(seed_store)
    try:
        update_index(folder, LocalBackend(store))
    finally:
        store.close()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    live = {segment["segment_id"].replace("-", "") for segment in meta["segments"]}
    expected = sum(
        path.stat().st_size for path in folder.iterdir() if path.name.split(".", 1)[0] in live
    )
    # A file of a segment meta.json no longer lists (tantivy collects it later) is not read.
    (folder / ("0" * 32 + ".store")).write_bytes(b"x" * 1000)
    assert live and expected > 0
    assert SearchIndex(folder).prefetch(chunk_bytes=4096) == expected
    assert SearchIndex(tmp_path / "no-index").prefetch() == 0


def test_kg_search_index_leaves_an_index_of_the_checkpoint_an_ingest_will_publish(
    seed_store: Path, tmp_path: Path
) -> None:
    # `kg ingest` indexes its checkpoint, then precomputes its reports (an hour at 1M
    # papers), then publishes it. A `kg search-index` run meanwhile (a cron job) brought the
    # index back to the published checkpoint, one behind once the ingest published.
    from click.testing import CliRunner

    from kg.cli import main
    from kg.cli.search import update_search_index

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    writer = KGStore.open_writable(store)
    try:
        writer.load_new_graphs(
            ['<http://example.org/s> <http://example.org/p> "o" <http://example.org/g> .\n']
        )
        coming = writer.checkpoint()
        update_search_index(store, None, rebuild=False, generation=coming)
        result = CliRunner().invoke(main, ["search-index", "--store", str(store)])
        assert result.exit_code == 0, result.output
        assert "left as it is" in result.output
        assert SearchIndex(store / "search").store_version == coming
        writer.publish(coming)
    finally:
        writer.close()
    # Published: the index is that checkpoint's, nothing to do.
    again = CliRunner().invoke(main, ["search-index", "--store", str(store)])
    assert again.exit_code == 0 and "left as it is" not in again.output
    assert SearchIndex(store / "search").store_version == coming


def test_kg_search_index_updates_an_index_of_a_checkpoint_no_ingest_will_publish(
    seed_store: Path, tmp_path: Path
) -> None:
    # An ingest indexed its checkpoint and was killed; the next writer wrote (which abandons
    # that checkpoint) and was killed too, before a checkpoint of its own: nobody publishes
    # the indexed one, so the index is brought back to the published checkpoint.
    from click.testing import CliRunner

    from kg.cli import main
    from kg.cli.search import update_search_index
    from kg.store.embedded import published_generation

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    published = published_generation(store)
    line = '<http://example.org/s> <http://example.org/p> "{}" <http://example.org/g> .\n'
    writer = KGStore.open_writable(store)
    try:
        writer.load_new_graphs([line.format("first")])
        abandoned = writer.checkpoint()
        update_search_index(store, None, rebuild=False, generation=abandoned)
    finally:
        writer.close()  # killed before its publish
    writer = KGStore.open_writable(store)
    try:
        writer.remove_graph("http://example.org/g")
    finally:
        writer.close()  # killed again, before any checkpoint
    result = CliRunner().invoke(main, ["search-index", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "left as it is" not in result.output
    assert SearchIndex(store / "search").store_version == published

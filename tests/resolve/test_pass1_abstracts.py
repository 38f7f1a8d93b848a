"""Pass 1 holds abstracts only until merge_papers has read them (issue 17): the summaries
carry them apart from their listings, resolution keeps the one per title key that
merge_papers reads and lets it go after that step, with the same answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kg.identity.corpus import build_corpus
from kg.identity.curation import Curation
from kg.identity.papers import merge_papers
from kg.identity.resolve import Listing, Resolution, SourceSummary, resolve, summarize
from kg.parse import parse_file
from kg.pipeline.limits import DEFAULT_LIMITS
from kg.pipeline.resolver import LocalResolver, Request, resolve_request, summarise_files
from kg.pipeline.summaries import StoredSource
from kg.rdf.iri import IriScheme
from kg.tools.generate import generate
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

_ABOUT_SENSORS = "We study sensors that measure drift in coastal waters over ten years."
_ABOUT_OTHER = "A survey of medieval trade routes across the northern seas and rivers."


def _listing(source: str, line: int, title: str, abstract: str) -> Listing:
    return Listing(source, line, title, date(2020, 1, 1), ("Ann Lee", "Bo Kim"), False, abstract)


def _fixture() -> list[SourceSummary]:
    """Near-duplicate titles: one pair whose abstracts agree (merged), one whose abstracts
    differ (kept apart, for that reason only), and a title listed twice whose first listing
    in the corpus's order has no abstract (the second's counts)."""
    a = (
        _listing("a.txt", 3, "Coastal Sensor Drift Over a Decade", _ABOUT_SENSORS),
        _listing("a.txt", 5, "Trade Routes of the Northern Seas", _ABOUT_OTHER),
        _listing("a.txt", 7, "Deep Learning for Tide Tables", ""),
    )
    b = (
        _listing("b.txt", 4, "Coastal Sensors Drift Over a Decade", _ABOUT_SENSORS + " More."),
        _listing("b.txt", 6, "Trade Routes of the Northern Sea", _ABOUT_SENSORS),
        _listing("b.txt", 8, "Deep Learning for Tide Tables", _ABOUT_OTHER),
    )
    c = (_listing("c.txt", 2, "Deep Learning for the Tide Tables", _ABOUT_SENSORS),)
    return [
        SourceSummary("a.txt", "Ann Lee", False, a),
        SourceSummary("b.txt", None, False, b),
        SourceSummary("c.txt", None, False, c),
    ]


def _apart(sources: list[SourceSummary]) -> tuple[list[SourceSummary], dict[str, list[str]]]:
    """The summaries with abstract-less listings, and the heads per source in listing order."""
    slim = [
        replace(s, listings=tuple(replace(li, abstract="") for li in s.listings)) for s in sources
    ]
    return slim, {s.source: [li.abstract for li in s.listings] for s in sources}


def test_abstracts_apart_give_the_same_resolution() -> None:
    whole = resolve(_fixture())
    evidence = [e for d in whole.decisions for e in d.evidence]
    assert any(e.startswith("abstracts differ") for e in evidence)  # abstracts decided
    assert any(e.startswith("abstracts agree") for e in evidence)
    slim, heads = _apart(_fixture())
    # In a reversed order of listings too: the heads follow each summary's own order.
    slim = [replace(s, listings=s.listings[::-1]) for s in slim]
    heads = {k: v[::-1] for k, v in heads.items()}
    assert resolve(slim, abstracts=heads.items()) == whole
    assert resolve(slim) != whole  # without them the abstracts decide nothing


def test_the_stored_sources_heads_reach_resolution_and_leave_the_request() -> None:
    """Summaries read back from the store (or its cache) carry their heads apart too: the
    resolution is the one of the whole summaries, and the request keeps no head after."""
    slim, heads = _apart(_fixture())
    elsewhere = "http://elsewhere.test/"  # IRIs of no key here: nothing is pinned
    stored = tuple(
        StoredSource(
            f"{elsewhere}graph/{s.source}",
            s,
            tuple(f"{elsewhere}paper/{i}" for i, _ in enumerate(s.listings)),
            tuple((f"{elsewhere}ann", f"{elsewhere}bo") for _ in s.listings),
            None,
            tuple(heads[s.source]),
        )
        for s in slim[:2]
    )
    request = Request(stored, Curation(), IriScheme(TEST_BASE_IRI), None, "d")
    fresh_heads = [(slim[2].source, tuple(heads[slim[2].source]))]
    resolution, _ = resolve_request([slim[2]], request, fresh_heads)
    assert resolution == resolve(_fixture())
    assert all(st.heads == () for st in stored)


def test_no_record_of_resolution_holds_an_abstract_after_merge_papers() -> None:
    corpus = build_corpus(_fixture())
    assert all(li.abstract == "" for li in corpus.listings)
    assert all(li.abstract == "" for s in corpus.sources for li in s.listings)
    # The first listing with an abstract per title key, in the corpus's order.
    assert corpus.abstracts["deep learning for tide tables"] == _ABOUT_OTHER
    assert len(corpus.abstracts) == 6  # one per title key with an abstract
    merge_papers(corpus, Resolution())
    assert corpus.abstracts == {}


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(40, root, seed=5)
    return root / "profiles"


def test_pass_1_summaries_carry_the_abstract_heads_apart(profiles: Path) -> None:
    works = [(p.name, str(p), None) for p in sorted(profiles.rglob("*.txt"))]
    done = summarise_files(works, SEED_AS_OF, 1, DEFAULT_LIMITS)
    old = {
        s.source: s for s in (summarize(parse_file(Path(w[1]), as_of=SEED_AS_OF)) for w in works)
    }
    assert any(d.abstracts for d in done)
    for d in done:
        if d.summary is None:
            continue
        assert all(li.abstract == "" for li in d.summary.listings)
        before = old[d.source]
        assert d.abstracts == tuple(li.abstract for li in before.listings) or (
            not d.abstracts and not any(li.abstract for li in before.listings)
        )
        assert d.summary.listings == tuple(replace(li, abstract="") for li in before.listings)


def test_the_local_resolver_gives_its_abstracts_up_to_resolution(profiles: Path) -> None:
    works = [(p.name, str(p), None) for p in sorted(profiles.rglob("*.txt"))]
    local = LocalResolver(works, SEED_AS_OF, 1, DEFAULT_LIMITS)
    local.seen()
    held = local._abstracts
    assert held
    request = Request((), Curation(), IriScheme(TEST_BASE_IRI), None, "d")
    local.resolve(request)
    assert held == {} and local._abstracts == {}  # nothing here keeps an abstract
    whole = [summarize(parse_file(Path(w[1]), as_of=SEED_AS_OF)) for w in works]
    assert local.resolution == resolve(whole)

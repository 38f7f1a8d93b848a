"""The search engine: the best authors and papers for a query.

Answered by the store's full-text index (:class:`~kg.reports.engines.base.TextIndex`,
tantivy: words anywhere in a title, an abstract or a name, typos forgiven, BM25 scores)
when the runner has one built for the current store version. Without one (a store
ingested with ``--no-search-index``, an external store served without
``--search-index-dir``), or while it catches up with a new version, names and titles are
ranked with rapidfuzz as before (scores 0-100), and a note says so. The columns are the
same either way.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyoxigraph as ox
from rapidfuzz import fuzz, process

from kg.normalize import ascii_fold
from kg.reports.definitions import Report
from kg.reports.engines.base import EngineRunner, TextIndex, positions, text_of
from kg.reports.results import Binding, ReportResult
from kg.store.changes import checkpointed
from kg.store.embedded import published_generation


def fold(text: str) -> str:
    """Text as the search compares it: no diacritics, case or punctuation."""
    text = ascii_fold(unicodedata.normalize("NFKC", text)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


#: Search: at most this many matches, and only those scoring at least SEARCH_CUTOFF (0-100).
SEARCH_LIMIT = 50
SEARCH_CUTOFF = 60.0
#: Search: candidates per kind taken from the first, fast pass.
SEARCH_CANDIDATES = 500
COLUMNS = ("type", "item", "label", "score")
#: What the report's ``kind`` asks the index for.
_KINDS = {"any": ("author", "paper"), "author": ("author",), "paper": ("paper",)}
NO_INDEX_NOTE = (
    "ranked by the similarity of names and titles (score 0-100): this store has no search "
    "index (`kg search-index` builds one)"
)
STALE_INDEX_NOTE = (
    "ranked by the similarity of names and titles (score 0-100): the search index is not "
    "yet up to date with this version of the store"
)


@dataclass(frozen=True, slots=True)
class _SearchIndex:
    #: kind -> (folded labels, (item, label) terms), in the same order
    kinds: dict[str, tuple[list[str], list[tuple[Any, Any]]]]


_SEARCH_BUILD = threading.Lock()


def search_index(runner: EngineRunner, report: Report) -> _SearchIndex:
    """The names and titles of the current store version (built once: concurrent searches wait)."""
    index = runner.memo.get("search-index")
    if isinstance(index, _SearchIndex):
        return index
    with _SEARCH_BUILD:
        index = runner.memo.get("search-index")
        if isinstance(index, _SearchIndex):
            return index
        variables, rows, _truncated = runner.select(report, {}, limit=None)
        at = positions(variables)
        kinds: dict[str, tuple[list[str], list[tuple[Any, Any]]]] = {}
        for row in rows:
            label = text_of(row[at["label"]])
            if not label:
                continue
            folded, entries = kinds.setdefault(text_of(row[at["type"]]) or "other", ([], []))
            folded.append(fold(label))
            entries.append((row[at["item"]], row[at["label"]]))
        index = _SearchIndex(kinds)
        runner.memo["search-index"] = index
        return index


def _best_candidates(query: str, folded: list[str]) -> list[tuple[int, float]]:
    """The SEARCH_CANDIDATES labels most like ``query`` by token_set_ratio (positions, scores).

    What ``process.extract(..., limit=SEARCH_CANDIDATES)`` gives (best first, equal scores
    in label order), computed by ``process.cdist`` on every core: at 170,000 labels one
    pass is about 100 ms on one core, the whole of a search's time.
    """
    # One row per label (cdist shares rows among its threads; token_set_ratio is symmetric).
    scores = process.cdist(
        folded,
        [query],
        scorer=fuzz.token_set_ratio,
        dtype=np.float32,
        score_cutoff=SEARCH_CUTOFF - 20,
        workers=-1,
    )[:, 0]
    passing = np.flatnonzero(scores >= SEARCH_CUTOFF - 20)
    # Stable sort on the negated score: ties stay in label order, as extract orders them.
    best = passing[np.argsort(-scores[passing], kind="stable")][:SEARCH_CANDIDATES]
    return [(int(position), float(scores[position])) for position in best]


def answered_by_index(runner: EngineRunner) -> TextIndex | None:
    """The runner's full-text index when it is built for the current store version, or for
    the checkpoint an ingest made and publishes next (``kg ingest`` indexes its checkpoint
    before it precomputes and publishes it: until then a hit may name a paper the server
    does not have yet, rather than every request ranking every name live). The rule is
    ``kg search-index``'s too (:func:`kg.store.changes.checkpointed`): an index of a
    checkpoint that a later write abandoned does not answer."""
    index = runner.text_index
    if index is None or index.store_version is None:
        return None
    built = index.store_version
    if built == runner.version():
        return index
    # A backend of an application's own (create_app(backend=...)) may not say.
    folder = getattr(runner.backend, "folder", None)
    # Published meanwhile (the served version is re-read a few times a second): the note is
    # gone, and the index answers for the published checkpoint.
    if folder is not None and built in (checkpointed(folder), published_generation(folder)):
        return index
    return None


def _search(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """The best authors and papers for the query: from the index, else by rapidfuzz."""
    index = answered_by_index(runner)
    if index is not None:
        return _search_index(index, binding)
    result = _search_labels(runner, report, binding)
    if runner.text_index is None:
        return replace(result, notes=(*result.notes, NO_INDEX_NOTE))
    built = runner.text_index.store_version is not None
    note = STALE_INDEX_NOTE if built else NO_INDEX_NOTE
    # Not kept for the version: the index may be built, or catch up, while it lasts.
    return replace(result, notes=(*result.notes, note), cacheable=False)


def _search_index(index: TextIndex, binding: Binding) -> ReportResult:
    """The index's best matches (its BM25 scores: higher is better, unbounded)."""
    kinds = _KINDS[binding.values.get("kind", "any")]
    matches = index.best_matches(binding.values.get("q", ""), kinds, limit=SEARCH_LIMIT)
    rows: list[tuple[Any, ...]] = [
        (ox.Literal(hit.kind), ox.NamedNode(hit.iri), ox.Literal(hit.label), ox.Literal(hit.score))
        for hit in matches.hits
    ]
    return ReportResult(COLUMNS, rows, notes=matches.notes)


def _search_labels(runner: EngineRunner, report: Report, binding: Binding) -> ReportResult:
    """Rank authors' names and papers' titles against the query with rapidfuzz."""
    columns = COLUMNS
    query = fold(binding.values.get("q", ""))
    if not query:
        return ReportResult(
            columns, [], notes=("nothing to look for: the query has no letters or digits",)
        )
    kind = binding.values.get("kind", "any")
    index = search_index(runner, report)
    found: list[tuple[float, str, str, tuple[Any, Any]]] = []
    for name, (folded, entries) in index.kinds.items():
        if kind not in ("any", name):
            continue
        # token_set_ratio (word order, words missing, typos inside words) picks candidates in one
        # fast pass; the score is its mean with WRatio (partial matches), so that a title holding
        # every word of the query beats one that merely shares a long run of characters with it.
        for position, score in _best_candidates(query, folded):
            choice = folded[position]
            combined = (float(score) + fuzz.WRatio(query, choice)) / 2
            if combined >= SEARCH_CUTOFF:
                found.append((combined, choice, name, entries[position]))
    # Best score first; among equal scores the shorter (closer) label, then alphabetical.
    found.sort(key=lambda f: (-f[0], len(f[1]), f[1]))
    out_rows = [
        (ox.Literal(name), entry[0], entry[1], ox.Literal(round(score, 1)))
        for score, _folded, name, entry in found[:SEARCH_LIMIT]
    ]
    return ReportResult(columns, out_rows)

"""The search index: tantivy, kept beside the store, following its published versions.

Layout of an index folder (``<store>/search`` for the embedded store, a folder
of the operator's choosing for an external one)::

    <folder>/           tantivy's own files (segments, meta.json)
    <folder>/kg-index.json     which store version it reflects (all a search reads)
    <folder>/kg-digests.json   each entity's digest, and each graph's fingerprint and entities

:func:`update_index` brings an index up to a store version. The first time it reads
every searchable entity, a batch at a time (:func:`~kg.search.documents.read_in_batches`:
its memory does not grow with the corpus, the writer gets each batch's documents as they
are made and flushes segments by its own bounded heap); after that, only the entities of the source graphs that changed (a new
checksum or parse time, added or gone) and the documents that read them. It
rewrites only the documents whose digest changed, deletes those gone, commits, and
writes the state and then the sidecar. An index that already reflects the version
is left alone, so an unchanged re-ingest costs one small file read.

:class:`SearchIndex` answers searches (ranked hits with a snippet, facets by
type, subject, year, code and organization, paging) and completions.
"""

from __future__ import annotations

import gc
import html
import itertools
import json
import os
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from kg.errors import KGError
from kg.search import documents
from kg.search.documents import KINDS, TYPES, SearchDocument, read_documents, read_in_batches
from kg.search.graph import GraphReader, reader_for
from kg.search.ingested import IngestedGraphs
from kg.search.query import (
    ParsedQuery,
    SearchQueryError,
    parse,
    typo_distance,
    within_limits,
    words,
)
from kg.search.spill import remove_killed_builds
from kg.store.query import QueryBackend

SIDECAR = "kg-index.json"
#: Each entity's digest, read only by an update (it grows with the corpus; a search must
#: not parse it: the small SIDECAR says which store version the index reflects).
DIGESTS = "kg-digests.json"
#: Bumped when the schema or the analysis changes: an older index is rebuilt.
INDEX_FORMAT = 3
#: An update that would read more than this share of the entities reads them all instead
#: (whole-predicate scans cost less per entity than lookups of many).
FULL_READ_SHARE = 0.3
ANALYZER = "kg_folded"
#: Text fields searched, with their weights.
TEXT_FIELDS = {"label": 3.0, "names": 3.0, "context": 1.2, "body": 1.0}
#: A word in at least this many entity fields is not looked for with typos as well.
COMMON_WORD = 8
#: How much more every word in one field counts than the same words spread over fields.
TOGETHER_BOOST = 2.0
MAX_LIMIT = 100
MAX_OFFSET = 10_000
FACET_SIZE = 30


class SearchIndexMissing(KGError):
    status = 503
    type = "search-index-missing"
    title = "Search index not built"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("iri", stored=True, tokenizer_name="raw")
    builder.add_text_field("kind", stored=True, fast=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=name != "context", tokenizer_name=ANALYZER)
    builder.add_text_field("subject", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("organization", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    builder.add_integer_field("has_code", stored=True, indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def _analyzer() -> tantivy.TextAnalyzer:
    # Words of letters and digits, lower case, accents folded (Ødegård -> odegard): the
    # same tokens kg.search.query.words makes of what a user types.
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _open(folder: Path, *, create: bool) -> tantivy.Index:
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=str(folder), reuse=True)
    index.register_tokenizer(ANALYZER, _analyzer())
    return index


def _document(doc: SearchDocument) -> tantivy.Document:
    fields: dict[str, Any] = {
        "iri": doc.iri,
        "kind": doc.kind,
        "label": doc.label,
        "names": list(doc.names),
        "body": doc.body,
        "context": list(doc.context),
        "subject": list(doc.subjects),
        "organization": list(doc.organizations),
        "has_code": -1 if doc.has_code is None else int(doc.has_code),
    }
    if doc.year is not None:
        fields["year"] = doc.year
    return tantivy.Document(**{k: v for k, v in fields.items() if v not in ("", [])})


def _read_sidecar(folder: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((folder / SIDECAR).read_text())
    except (OSError, ValueError):
        return {}
    return data if data.get("format") == INDEX_FORMAT else {}


@dataclass(slots=True)
class _State:
    """What an update compares with (DIGESTS): each entity's digest, each organization's and
    subject's stamp (kg.search.documents.stamps), and each graph of the union's fingerprint
    with the entities it types (its mentions, as indices into one list of IRIs)."""

    digests: dict[str, str] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)
    graphs: dict[str, tuple[str, Collection[str]]] = field(default_factory=dict)

    def chunks(self, size: int = 50_000) -> Iterator[str]:
        """The JSON text of :meth:`dumps`, in pieces of about ``size`` entries: written as
        they come, it is never one string (hundreds of MB at a million papers)."""
        iris = sorted(set().union(*(m for _, m in self.graphs.values())))
        number = {iri: i for i, iri in enumerate(iris)}
        yield '{"digests": '
        yield from _json_pieces(self.digests, size)
        yield ', "stamps": '
        yield json.dumps(self.stamps)
        yield ', "iris": ['
        for start in range(0, len(iris), size):
            yield (", " if start else "") + json.dumps(iris[start : start + size])[1:-1]
        yield '], "graphs": '
        graphs = (
            (g, [fp, sorted(number[i] for i in mentions)])
            for g, (fp, mentions) in self.graphs.items()
        )
        yield from _json_pieces(graphs, size // 10)
        yield "}"


def _json_pieces(items: Mapping[str, Any] | Iterable[tuple[str, Any]], size: int) -> Iterator[str]:
    """A JSON object of ``items`` (a mapping, or key-value pairs), ``size`` entries a piece:
    the C encoder for each piece, the pieces joined as one object."""
    pairs = iter(items.items() if isinstance(items, Mapping) else items)
    yield "{"
    first = True
    while True:
        piece = dict(itertools.islice(pairs, max(size, 1)))
        if not piece:
            break
        yield ("" if first else ", ") + json.dumps(piece)[1:-1]
        first = False
    yield "}"


def _write_state(path: Path, state: _State) -> None:
    """The update state, written piece by piece then put in place (:func:`_write_atomically`)."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w") as out:
        for chunk in state.chunks():
            out.write(chunk)
    os.replace(tmp, path)


def _read_state(folder: Path) -> _State | None:
    try:
        data = json.loads((folder / DIGESTS).read_text())
        iris = data["iris"]
        # Each graph's entities as a tuple of the one list's strings (a set takes several
        # times the room, and an update reads few of them).
        graphs: dict[str, tuple[str, Collection[str]]] = {
            g: (fp, tuple(iris[i] for i in numbers)) for g, (fp, numbers) in data["graphs"].items()
        }
        return _State(dict(data["digests"]), dict(data["stamps"]), graphs)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    store_version: str
    documents: int
    added: int
    changed: int
    removed: int
    #: The documents were made from the ingest's triples (kg.search.ingested), not read back.
    from_ingest: bool = False

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


def update_index(
    folder: str | os.PathLike[str],
    backend: QueryBackend,
    *,
    store_version: str | None = None,
    rebuild: bool = False,
    timeout: float | None = None,
    changed_graphs: Collection[str] = (),
    ingested: IngestedGraphs | None = None,
) -> IndexUpdate:
    """Bring the index in ``folder`` up to the backend's store version (only changes written).

    Only the entities of the graphs that changed since the index was written (a new
    fingerprint, new or gone; ``changed_graphs`` adds those the caller knows rewrote)
    are read again, with those whose documents read them (:func:`kg.search.documents.affected`);
    without an index, or when most of the store changed, every entity is read: from
    ``ingested`` (the triples the ingest just wrote, :mod:`kg.search.ingested`) when it saw
    every graph of the store whole, else from the store.
    """
    path = Path(folder)
    version = store_version or backend.version()
    sidecar = {} if rebuild else _read_sidecar(path)
    if sidecar.get("store_version") == version:
        return IndexUpdate(version, int(sidecar.get("documents", 0)), 0, 0, 0)
    old = _read_state(path) if sidecar else None
    if old is None and path.exists():
        # Rebuild, or an index of another format: start from an empty folder.
        for child in path.iterdir():
            if child.is_file():
                child.unlink()
        sidecar = {}
    reader = reader_for(backend, timeout=timeout)
    current = {g: "" for g in reader.graphs()}
    current.update((g, fp) for g, fp in reader.fingerprints().items() if g in current)
    state = _State()
    scope: set[str] | None = None
    if old is not None:
        changed = {
            g
            for g, fp in current.items()
            if not fp or g not in old.graphs or old.graphs[g][0] != fp
        }
        changed |= old.graphs.keys() - current.keys()
        changed |= set(changed_graphs) & (current.keys() | old.graphs.keys())
        if not changed:
            _write_sidecar(path, version, len(old.digests))
            return IndexUpdate(version, len(old.digests), 0, 0, 0)
        fresh = reader.mentions(TYPES.values(), sorted(changed & current.keys()))
        mentioned = set().union(
            *(old.graphs[g][1] for g in changed if g in old.graphs), *fresh.values()
        )
        bound = FULL_READ_SHARE * max(len(old.digests), 1)
        if len(mentioned) <= bound:
            stamps = documents.stamps(reader, mentioned)
            hubs = {x for x in mentioned if stamps.get(x) != old.stamps.get(x)}
            scope = documents.affected(reader, mentioned, hubs)
            if len(scope) > bound:  # a subject of half the papers changed its label
                scope = None
        if scope is not None:
            state.stamps = {k: v for k, v in old.stamps.items() if k not in mentioned}
            state.stamps.update(stamps)
            state.graphs = {g: v for g, v in old.graphs.items() if g not in changed}
            state.graphs.update((g, (current[g], fresh.get(g, set()))) for g in fresh)
            state.digests = dict(old.digests)
            if not scope:
                # Only graphs that type no searchable entity (the identity graph) changed.
                _write_state(path / DIGESTS, state)
                _write_sidecar(path, version, len(state.digests))
                return IndexUpdate(version, len(state.digests), 0, 0, 0)
    full: GraphReader = reader
    if scope is None:
        if ingested is not None:
            full = ingested.reader(current.keys(), reader) or reader
        state.stamps = _stamps(full)
        state.graphs = _mentions(full, current)
    previous = old.digests if old is not None else {}
    index = _open(path, create=True)
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    # A full build puts rows aside in the index's folder (read_in_batches): a killed one's stay.
    remove_killed_builds(path)
    added = changed_docs = 0
    seen: set[str] = set()
    # The drafts and documents are many small objects without cycles: the cyclic collector
    # would walk them (and all else the process holds) again and again as they pile up.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for doc in (
            read_documents(full, scope)
            if scope is not None
            else read_in_batches(full, scratch=path)
        ):
            digest = doc.digest
            seen.add(doc.iri)
            state.digests[doc.iri] = digest
            before = previous.get(doc.iri)
            if before == digest:
                continue
            if before is None:
                added += 1
            else:
                changed_docs += 1
                writer.delete_documents_by_term("iri", doc.iri)
            writer.add_document(_document(doc))
    finally:
        if collecting:
            gc.enable()
    gone = (previous.keys() if scope is None else scope & previous.keys()) - seen
    for iri in gone:
        writer.delete_documents_by_term("iri", iri)
        state.digests.pop(iri, None)
    writer.commit()
    writer.wait_merging_threads()
    # The state first, then the sidecar that names the version: a crash between the two
    # leaves the old version named, and the next update reads the changed graphs again.
    _write_state(path / DIGESTS, state)
    _write_sidecar(path, version, len(state.digests))
    return IndexUpdate(
        version, len(state.digests), added, changed_docs, len(gone), full is not reader
    )


def _stamps(reader: GraphReader) -> dict[str, str]:
    """Every organization's and subject's stamp, read a batch of them at a time (the same
    stamps as one whole read, which holds every name of the store at once)."""
    hubs = sorted({iri for kind in documents.HUBS for iri in documents.members(reader, kind)})
    out: dict[str, str] = {}
    for start in range(0, len(hubs), documents.BATCH):
        out.update(documents.stamps(reader, hubs[start : start + documents.BATCH]))
    return out


def _mentions(
    reader: GraphReader, graphs: dict[str, str]
) -> dict[str, tuple[str, Collection[str]]]:
    """Each graph's fingerprint and the entities it types, read a batch of graphs at a
    time; each IRI held once however many graphs type it, each graph's as a tuple (a set
    of a few hundred IRIs takes several times the room)."""
    names: dict[str, str] = {}
    out: dict[str, tuple[str, Collection[str]]] = {}
    ordered = list(graphs)
    step = max(1, documents.BATCH // 10)
    for start in range(0, len(ordered), step):
        chunk = ordered[start : start + step]
        found = reader.mentions(TYPES.values(), chunk)
        for g in chunk:
            out[g] = (graphs[g], tuple(names.setdefault(i, i) for i in found.get(g, ())))
    return out


def _write_sidecar(path: Path, version: str, documents: int) -> None:
    _write_atomically(
        path / SIDECAR,
        json.dumps({"format": INDEX_FORMAT, "store_version": version, "documents": documents}),
    )


@dataclass(frozen=True, slots=True)
class Filters:
    """Facet filters of a search (each optional).

    A ``from_year`` after ``to_year`` is an empty range: such a search finds nothing (it
    is not refused: the OpenAPI schema cannot say that one parameter bounds another).
    """

    kind: str | None = None
    #: Any of these types (the search report's "authors or papers"); with ``kind``, both apply.
    kinds: tuple[str, ...] = ()
    subject: str | None = None
    organization: str | None = None
    from_year: int | None = None
    to_year: int | None = None
    has_code: bool | None = None

    def validate(self) -> Filters:
        for kind in (self.kind, *self.kinds):
            if kind is not None and kind not in KINDS:
                raise SearchQueryError(f"unknown type {kind!r}; one of {', '.join(KINDS)}")
        return self

    @property
    def empty_range(self) -> bool:
        return (
            self.from_year is not None
            and self.to_year is not None
            and self.from_year > self.to_year
        )


@dataclass(frozen=True, slots=True)
class Hit:
    iri: str
    kind: str
    label: str
    score: float
    snippet: str
    year: int | None = None


#: The facets a search counts (each present, empty when nothing matched).
FACETS = ("type", "subject", "organization", "year", "has_code")


@dataclass(frozen=True, slots=True)
class Matches:
    """The best matches of a text of any length (the search report's answer)."""

    hits: list[Hit]
    #: What the reader should know: the text was cut, no entity had every word, ...
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: True when no entity had every word and the hits match some of them.
    relaxed: bool = False


class SearchIndex:
    """A read-only view of an index folder, reopened when the index changes."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._index: tantivy.Index | None = None
        #: The sidecar stamp the index was opened for.
        self._opened_for: tuple[int, int, int] | None = None
        #: The sidecar as last read, and the (mtime, size, inode) of the file it was read from.
        self._sidecar: dict[str, Any] = {}
        self._sidecar_stamp: tuple[int, int, int] | None = None

    @property
    def exists(self) -> bool:
        return (self.folder / SIDECAR).is_file()

    def sidecar(self) -> dict[str, Any]:
        """The sidecar (store version, document count; empty without an index), reread only
        when its file changes: every search asks, and a server answers many a second."""
        try:
            found = (self.folder / SIDECAR).stat()
        except OSError:
            stamp = None
        else:
            # An update replaces the file (os.replace): a new inode, whatever the clock's grain.
            stamp = (found.st_mtime_ns, found.st_size, found.st_ino)
        with self._lock:
            if stamp is None:
                self._sidecar, self._sidecar_stamp = {}, None
            elif stamp != self._sidecar_stamp:
                self._sidecar, self._sidecar_stamp = _read_sidecar(self.folder), stamp
            return self._sidecar

    def _searcher(self) -> tuple[tantivy.Index, tantivy.Searcher]:
        sidecar = self.sidecar()
        if not sidecar:
            raise SearchIndexMissing(
                f"no search index in {self.folder}: run `kg search-index` (or ingest) to build it"
            )
        with self._lock:
            if self._index is None or self._opened_for != self._sidecar_stamp:
                # Opened again whenever the sidecar changes: an update commits new segments,
                # and a rebuild (kg search-index --rebuild) replaces every file, perhaps
                # under the same store version.
                self._index = _open(self.folder, create=False)
                self._opened_for = self._sidecar_stamp
            return self._index, self._index.searcher()

    @property
    def store_version(self) -> str | None:
        version = self.sidecar().get("store_version")
        return None if version is None else str(version)

    def prefetch(self, *, chunk_bytes: int = 1 << 22) -> int:
        """Read the files of the index's live segments once and open a searcher, so that the
        first searches after a server starts find them in the page cache. Returns the bytes
        read (0 without an index).

        Why: tantivy reads its files through memory maps, page by page, so a cold index
        costs a search one disk read per term, posting list and stored document it touches.
        At 1M papers (1.7 GB) a first search took 335 ms cold and 25 ms once the files had
        been read (4.9 s for all of them); docs/search.md. Files of segments that meta.json
        no longer lists (left for tantivy's garbage collection) are not read; a file that
        goes away meanwhile is skipped.
        """
        try:
            meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
            live = {str(segment["segment_id"]).replace("-", "") for segment in meta["segments"]}
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        total = 0
        buffer = bytearray(chunk_bytes)
        for path in sorted(self.folder.iterdir()):
            # A segment's files: <id>.term, <id>.store, ..., and <id>.<opstamp>.del.
            if path.name.split(".", 1)[0] not in live:
                continue
            try:
                with path.open("rb", buffering=0) as file:
                    while read := file.readinto(buffer):
                        total += read
            except OSError:
                continue
        try:
            self._searcher()
        except SearchIndexMissing:
            return 0
        return total

    # -- queries ------------------------------------------------------------------------------

    def _word_query(self, word: str, *, prefix: bool, searcher: tantivy.Searcher) -> tantivy.Query:
        alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
        # A word many entities have is taken as written; a word the index lacks, or has only
        # a few times (a typo in a page is a word too), is also looked for with typos: a
        # Levenshtein automaton over every field's terms costs tens of ms at 100k papers, a
        # term lookup microseconds.
        frequency = sum(searcher.doc_freq(name, word) for name in TEXT_FIELDS)
        distance = 0 if frequency >= COMMON_WORD else typo_distance(word)
        for name, weight in TEXT_FIELDS.items():
            exact = tantivy.Query.term_query(SCHEMA, name, word)
            alternatives.append(
                (tantivy.Occur.Should, tantivy.Query.boost_query(exact, weight * 2))
            )
            if distance or prefix:
                fuzzy = tantivy.Query.fuzzy_term_query(
                    SCHEMA, name, word, distance=0 if prefix else distance, prefix=prefix
                )
                alternatives.append(
                    (tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, weight * 0.5))
                )
        return tantivy.Query.boolean_query(alternatives)

    def _phrase_query(self, phrase: Sequence[str], searcher: tantivy.Searcher) -> tantivy.Query:
        if len(phrase) == 1:
            return self._word_query(phrase[0], prefix=False, searcher=searcher)
        return tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(
                        tantivy.Query.phrase_query(SCHEMA, name, list(phrase)), weight
                    ),
                )
                for name, weight in TEXT_FIELDS.items()
            ]
        )

    def _text_query(
        self, parsed: ParsedQuery, *, prefix: bool, every_word: bool, searcher: tantivy.Searcher
    ) -> tantivy.Query:
        occur = tantivy.Occur.Must if every_word else tantivy.Occur.Should
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for i, term in enumerate(parsed.terms):
            last = prefix and i == len(parsed.terms) - 1
            if len(term) == 1:
                parts.append((occur, self._word_query(term[0], prefix=last, searcher=searcher)))
            else:
                # Yi-Fan: the parts as a phrase ("Yi-Fan", "Yi Fan") or joined ("Yifan").
                either = [
                    (tantivy.Occur.Should, self._phrase_query(term, searcher)),
                    (
                        tantivy.Occur.Should,
                        self._word_query("".join(term), prefix=last, searcher=searcher),
                    ),
                ]
                parts.append((occur, tantivy.Query.boolean_query(either)))
        for phrase in parsed.phrases:
            parts.append((tantivy.Occur.Must, self._phrase_query(phrase, searcher)))
        together = self._together_query(parsed)
        if together is not None:
            parts.append((tantivy.Occur.Should, together))
        return tantivy.Query.boolean_query(parts)

    @staticmethod
    def _together_query(parsed: ParsedQuery) -> tantivy.Query | None:
        """A bonus for an entity with every word in one field (its title, its abstract).

        Without it, words spread over another paper's title and abstract outrank the
        paper whose abstract has them all: a title match weighs more than an abstract
        match, word by word.
        """
        exact = [part for term in parsed.terms for part in term]
        if len(exact) < 2:
            return None
        per_field = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query(
                        [
                            (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, name, w))
                            for w in exact
                        ]
                    ),
                    weight * TOGETHER_BOOST,
                ),
            )
            for name, weight in TEXT_FIELDS.items()
        ]
        return tantivy.Query.boolean_query(per_field)

    @staticmethod
    def _filter_queries(filters: Filters) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        must = tantivy.Occur.Must
        out: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if filters.kind:
            out.append((must, tantivy.Query.term_query(SCHEMA, "kind", filters.kind)))
        if filters.kinds:
            either = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, "kind", kind))
                    for kind in filters.kinds
                ]
            )
            # Scored 0: a rarer type must not rank above a commoner one for being rare.
            out.append((must, tantivy.Query.const_score_query(either, 0.0)))
        if filters.subject:
            out.append((must, tantivy.Query.term_query(SCHEMA, "subject", filters.subject)))
        if filters.organization:
            out.append(
                (must, tantivy.Query.term_query(SCHEMA, "organization", filters.organization))
            )
        if filters.from_year is not None or filters.to_year is not None:
            out.append(
                (
                    must,
                    tantivy.Query.range_query(
                        SCHEMA,
                        "year",
                        tantivy.FieldType.Integer,
                        filters.from_year,
                        filters.to_year,
                    ),
                )
            )
        if filters.has_code is not None:
            out.append((must, tantivy.Query.term_query(SCHEMA, "has_code", int(filters.has_code))))
        return out

    def search(
        self,
        text: str,
        filters: Filters | None = None,
        *,
        limit: int = 20,
        offset: int = 0,
        prefix: bool = False,
        facets: bool = True,
    ) -> SearchResult:
        """Ranked hits for what a user typed; raises :class:`SearchQueryError` for bad input."""
        parsed = parse(text)
        filters = (filters or Filters()).validate()
        if not 1 <= limit <= MAX_LIMIT:
            raise SearchQueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= offset <= MAX_OFFSET:
            raise SearchQueryError(f"offset must be between 0 and {MAX_OFFSET}")
        _index, searcher = self._searcher()
        if parsed.is_empty or filters.empty_range:
            return SearchResult(text, 0, [], {name: {} for name in FACETS} if facets else {})
        relaxed = False
        query = self._combine(
            self._text_query(parsed, prefix=prefix, every_word=True, searcher=searcher), filters
        )
        found = searcher.search(query, limit=limit, offset=offset, count=True)
        if _count(found) == 0 and len(parsed.terms) > 1:
            relaxed = True
            query = self._combine(
                self._text_query(parsed, prefix=prefix, every_word=False, searcher=searcher),
                filters,
            )
            found = searcher.search(query, limit=limit, offset=offset, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, query, SCHEMA, "body")
        snippets.set_max_num_chars(220)
        hits = []
        for score, address in found.hits:
            doc = searcher.doc(address)
            body = doc.get_first("body")
            snippet = _snippet_html(snippets.snippet_from_doc(doc)) if body else ""
            if body and not snippet:
                # A match by typo or in another field: tantivy highlights nothing, so the
                # abstract's opening stands in (escaped like any snippet).
                snippet = html.escape(_opening(str(body)))
            year = doc.get_first("year")
            hits.append(
                Hit(
                    iri=str(doc.get_first("iri")),
                    kind=str(doc.get_first("kind")),
                    label=str(doc.get_first("label")),
                    score=round(float(score), 4),
                    snippet=snippet,
                    year=int(year) if year is not None else None,
                )
            )
        facet_counts = self._facets(searcher, query) if facets else {}
        return SearchResult(text, _count(found), hits, facet_counts, relaxed)

    @staticmethod
    def _combine(text_query: tantivy.Query, filters: Filters) -> tantivy.Query:
        parts = [(tantivy.Occur.Must, text_query), *SearchIndex._filter_queries(filters)]
        return tantivy.Query.boolean_query(parts)

    @staticmethod
    def _facets(searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, dict[str, int]]:
        spec = {
            "type": {"terms": {"field": "kind", "size": len(KINDS)}},
            "subject": {"terms": {"field": "subject", "size": FACET_SIZE}},
            "organization": {"terms": {"field": "organization", "size": FACET_SIZE}},
            "year": {"terms": {"field": "year", "size": 100}},
            "has_code": {"terms": {"field": "has_code", "size": 3}},
        }
        result = searcher.aggregate(query, spec)
        out: dict[str, dict[str, int]] = {}
        for name in FACETS:
            buckets = result.get(name, {}).get("buckets", [])
            counts = {str(_bucket_key(b["key"])): int(b["doc_count"]) for b in buckets}
            if name == "has_code":
                counts = {
                    {"1": "true", "0": "false"}[k]: v for k, v in counts.items() if k in {"1", "0"}
                }
            if name == "year":
                counts = dict(sorted(counts.items()))
            out[name] = counts
        return out

    def best_matches(self, text: str, kinds: Sequence[str], *, limit: int) -> Matches:
        """The best ``limit`` entities of these types for a text of any length, never refused:
        a text over the search's limits is cut to them, one with no word finds nothing
        (:class:`kg.reports.engines.base.TextIndex`, what the search report asks)."""
        notes: list[str] = []
        searched = within_limits(text)
        if searched != text:
            notes.append(f"only the beginning was searched for: {searched!r}")
        try:
            result = self.search(searched, Filters(kinds=tuple(kinds)), limit=limit, facets=False)
        except SearchQueryError:
            # Within the limits, only a text with no word is refused.
            return Matches([], ("nothing to look for: the query has no letters or digits",))
        if result.relaxed:
            notes.append("no entry has every word: these have some of them")
        return Matches(result.hits, tuple(notes))

    def complete(self, text: str, *, kind: str | None = None, limit: int = 10) -> list[Hit]:
        """Completions for a search box or a form field: the last word is a prefix."""
        return self.search(text, Filters(kind=kind), limit=limit, prefix=True, facets=False).hits


def _opening(text: str, limit: int = 220) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + "…"


def _count(found: tantivy.SearchResult) -> int:
    # SearchResult.count exists at run time (search(count=True)); tantivy's stub omits it.
    return int(found.count or 0)  # type: ignore[attr-defined]


def _snippet_html(snippet: tantivy.Snippet) -> str:
    """The fragment, HTML-escaped here (not trusting any library with user text), matches in ``<b>``.

    tantivy gives the highlighted ranges as UTF-8 byte offsets into the fragment.
    """
    fragment: bytes = snippet.fragment().encode()
    out: list[str] = []
    position = 0
    for span in sorted(snippet.highlighted(), key=lambda r: r.start):
        start, end = span.start, span.end
        if start < position:
            continue
        out.append(html.escape(fragment[position:start].decode(errors="replace")))
        out.append("<b>" + html.escape(fragment[start:end].decode(errors="replace")) + "</b>")
        position = end
    out.append(html.escape(fragment[position:].decode(errors="replace")))
    return "".join(out)


def _bucket_key(key: Any) -> Any:
    return int(key) if isinstance(key, float) and key.is_integer() else key


def tokens(text: str) -> list[str]:
    """The words the index stores for ``text`` (for tests and explanations)."""
    return words(text)


def documents_in(folder: str | os.PathLike[str]) -> int:
    """How many entities an index folder holds (0 when there is none)."""
    return int(_read_sidecar(Path(folder)).get("documents", 0))


def iter_kinds() -> Iterable[str]:
    return iter(KINDS)

"""Search documents from the triples an ingest writes, instead of reading them back.

A full build from the store (:mod:`kg.search.graph`) pays the store's decoding of every
IRI and literal it returns (about 5 µs each, a million at 30k papers): at a million papers
about as much CPU as the ingest itself. A ``kg ingest`` into an empty store has those
triples in hand, as the N-Triples text it bulk-loads: :class:`IngestedGraphs` (a
:class:`kg.pipeline.steps.GraphObserver`) takes, from that text, the statements of the
predicates the documents read (:data:`kg.search.documents.READ_PREDICATES`; the abstracts,
most of the text, are looked up in the store a batch at a time: :data:`FROM_STORE`) and
which entities each graph types, and :class:`IngestedReader` answers the
:class:`~kg.search.graph.GraphReader` lookups from them. :mod:`kg.search.documents` folds
the same statements with the same code, so the documents are those a read from the store
gives.

The statements are put aside on disk, in a scratch SQLite database beside the index
(:class:`kg.search.spill.ScratchFolder`), not held: held, they grew with every graph
loaded (about 5 kB a profile graph, more than a gigabyte at a million papers, for the length
of the ingest). Appended as they come, copied sorted once when the build asks for them
(:data:`_SORTED`); what the process holds is SQLite's bounded page cache.

It stands for the store only when it saw the whole union (:meth:`IngestedGraphs.reader`):
every graph the store holds written whole in this run and shown to it, and nothing
replaced, removed, redated or refused (the ingest says so: :meth:`IngestedGraphs.unseen`).
Otherwise the index reads the store, as ``kg search-index`` always does.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from kg.search.documents import ABSTRACT, READ_PREDICATES, TYPES
from kg.search.graph import RDF_TYPE, GraphReader, Term
from kg.search.graph import Path as GraphPath
from kg.search.spill import ScratchFolder

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_TYPE_TOKEN = f"<{RDF_TYPE}>"
_KINDS = tuple(sorted(set(TYPES.values())))
#: Read from the store, not kept: the abstracts are most of the text (1.3 kB a paper); a
#: build looks up one batch's at a time, one index lookup a paper.
FROM_STORE = frozenset({ABSTRACT})
KEPT = READ_PREDICATES - FROM_STORE
#: Each kept predicate's number (the ``p`` column), and the same by its N-Triples token.
_NUMBER = {p: number for number, p in enumerate(sorted(KEPT))}
_NUMBER_OF_TOKEN = {f"<{p}>": number for p, number in _NUMBER.items()}
#: The object of an rdf:type line, with its end, -> the number of the searchable class it names.
_KIND_OF = {f"<{kind}> .": number for number, kind in enumerate(_KINDS)}
#: What a statement's object is (the ``dt`` column): an IRI, a string (plain or
#: language-tagged: either reads as its text), or a literal of the datatype numbered
#: ``dt - _FIRST_DATATYPE`` in the ``datatype`` table.
_LINK, _STRING, _FIRST_DATATYPE = 0, 1, 2
#: ECHAR and UCHAR escapes of N-Triples (kg.rdf.map writes \\ \" \n \r; any is read).
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
#: The database the statements are appended to while the ingest loads.
_TAKEN = "taken.db"
#: The database they are read from, made from it once the load is over (:data:`_SORTED`).
_SORTED_NAME = "sorted.db"
#: SQLite's page cache, in KiB (negative: a size, not pages): all it holds in memory.
_CACHE_KIB = 32_768
#: Many IRIs as one parameter (a JSON array) instead of as many parameters.
_IN_ARRAY = "(SELECT value FROM json_each(?))"
_SCHEMA = """
CREATE TABLE statement (p INTEGER NOT NULL, s TEXT NOT NULL, o TEXT NOT NULL, dt INTEGER NOT NULL);
CREATE TABLE typed (kind INTEGER NOT NULL, s TEXT NOT NULL);
CREATE TABLE mention (g TEXT PRIMARY KEY, entities TEXT NOT NULL);
CREATE TABLE datatype (number INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
"""
#: Once the load is over, the statements taken (appended as they came, a graph at a time)
#: are copied sorted, each once, into a second database (``sorted``): a subject's statements
#: are then neighbours on disk, found by one seek of the table itself (an index beside an
#: unsorted table costs a random read of the table for each row: 1.5 times the CPU of the
#: build at 100k papers), and the copy is a sequential append.
_SORTED = """
PRAGMA sorted.journal_mode = OFF;
PRAGMA sorted.synchronous = OFF;
CREATE TABLE sorted.statement (
    p INTEGER NOT NULL, s TEXT NOT NULL, o TEXT NOT NULL, dt INTEGER NOT NULL,
    PRIMARY KEY (p, s, o, dt)
) WITHOUT ROWID;
INSERT OR IGNORE INTO sorted.statement SELECT p, s, o, dt FROM main.statement ORDER BY p, s, o, dt;
CREATE INDEX sorted.link_by_object ON statement (p, o) WHERE dt = 0;
CREATE TABLE sorted.typed (kind INTEGER NOT NULL, s TEXT NOT NULL, PRIMARY KEY (kind, s)) WITHOUT ROWID;
INSERT OR IGNORE INTO sorted.typed SELECT kind, s FROM main.typed ORDER BY kind, s;
CREATE TABLE sorted.mention (g TEXT PRIMARY KEY, entities TEXT NOT NULL);
INSERT INTO sorted.mention SELECT g, entities FROM main.mention;
CREATE TABLE sorted.datatype (number INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
INSERT INTO sorted.datatype SELECT number, iri FROM main.datatype;
"""


def _unescape_match(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    if code:
        return chr(int(code, 16))
    char = _ECHAR.get(match.group(3))
    if char is None:
        raise ValueError(f"bad escape \\{match.group(3)}")
    return char


def unescape(text: str) -> str:
    """An N-Triples IRI's or string's text with its escapes resolved."""
    return _ESCAPE.sub(_unescape_match, text) if "\\" in text else text


class Value:
    """A literal object, as a store's term reads (``value``, and ``datatype`` for typed ones)."""

    __slots__ = ("datatype", "value")

    def __init__(self, value: str, datatype: ox.NamedNode | None = None):
        self.value = value
        self.datatype = datatype

    def __repr__(self) -> str:
        return f"Value({self.value!r}, {self.datatype!r})"


class IngestedGraphs:
    """What the search index needs of the graphs an ingest writes (see the module docstring).

    ``folder``: where the scratch database goes (the index's folder, on the store's disk;
    None: the system's temporary folder); ``base``: the base IRI of the ingest's IRIs, which
    most IRIs put aside then store without. Made at the first graph, removed by :meth:`close`
    (or, after a kill, by the next build in that folder:
    :func:`kg.search.spill.remove_killed_builds`).
    """

    def __init__(self, folder: Path | None = None, *, base: str | None = None) -> None:
        self.folder = folder
        #: The base the ingest mints IRIs under: cut from the IRIs put aside (_Shortened).
        self.names = _Shortened(base)
        #: The graphs shown, whole.
        self.seen: set[str] = set()
        #: Why it cannot stand for the store (None: it can, if it saw every graph).
        self.broken: str | None = None
        #: Why the statements could not be put aside (a full disk): the operator's to know.
        self.scratch_error: str | None = None
        #: CPU time spent taking triples in (the ingest's thread).
        self.cpu_seconds = 0.0
        #: Statements put aside (repeats across graphs counted each time).
        self.statements = 0
        self._datatypes: dict[str, int] = {}
        self._scratch: ScratchFolder | None = None
        self._db: sqlite3.Connection | None = None
        self._sorted = False
        #: The predicates some typed literal was put aside for (the reader's canonical forms).
        self._typed_predicates: set[int] = set()

    # -- kg.pipeline.steps.GraphObserver ----------------------------------------------------------

    def graph(self, graph: str, lines: Iterable[str]) -> None:
        """A graph written whole, as N-Triples lines, taken one at a time as they come
        (the identity graph's are read from a file: never held here as one text)."""
        if self.broken is not None:
            return
        started = time.thread_time()
        try:
            if graph in self.seen:
                self.broken = f"{graph} written twice"
            else:
                self.seen.add(graph)
                self._take(graph, lines)
        except (ValueError, IndexError) as error:  # text the mapping never writes
            self.broken = f"{graph}: {error}"
        except sqlite3.Error as error:
            # A full disk, say: the ingest goes on, and the index is read from the store.
            self._failed(error)
        self.cpu_seconds += time.thread_time() - started
        if self.broken is not None:
            self.close()

    def unseen(self, graph: str, why: str) -> None:
        """A graph written, replaced or removed without its text shown here."""
        if self.broken is None:
            self.broken = f"{graph}: {why}"
            self.close()

    # -- reading --------------------------------------------------------------------------------

    def reader(self, graphs: Collection[str], base: GraphReader) -> IngestedReader | None:
        """A reader standing for a store whose union holds ``graphs`` (``base`` answers the
        rest), or None when this did not see exactly those graphs, whole (or could not
        sort what it took: the index is then read from the store)."""
        if self.broken is not None or set(graphs) != self.seen:
            return None
        try:
            if not self._sorted:
                self._sort()
            return IngestedReader(self._database(), base, self.names, self._typed_predicates)
        except (sqlite3.Error, OSError) as error:
            self._failed(error)
            self.close()
            return None

    def _failed(self, error: Exception) -> None:
        where = self._scratch.name if self._scratch is not None else self.folder
        self.scratch_error = f"its scratch database in {where} failed: {error}"
        self.broken = self.scratch_error

    def _sort(self) -> None:
        """Copy the statements taken, sorted and each once, into the database read (:data:`_SORTED`)."""
        taken = self._database()
        scratch = Path(cast(ScratchFolder, self._scratch).name)
        taken.commit()
        taken.execute("ATTACH DATABASE ? AS sorted", (str(scratch / _SORTED_NAME),))
        taken.executescript(_SORTED)
        taken.commit()
        taken.close()
        self._db = None
        (scratch / _TAKEN).unlink()
        self._db = _connect(scratch / _SORTED_NAME)
        self._sorted = True

    def close(self) -> None:
        """Let go of the statements put aside: a reader made from them no longer reads,
        and this gives no other (an ingest's index is built once)."""
        if self.broken is None:
            self.broken = "closed"
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA temp_store_directory = ''")  # it is going
            self._db.close()
            self._db = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> IngestedGraphs:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                if self.folder is not None:
                    self.folder.mkdir(parents=True, exist_ok=True)
                self._scratch = ScratchFolder(self.folder)
            except OSError as error:  # the folder's (an error reading the lines is the ingest's)
                raise sqlite3.OperationalError(f"cannot make its folder: {error}") from error
            db = _connect(Path(self._scratch.name) / _TAKEN)
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _datatype(self, iri: str) -> int:
        number = self._datatypes.get(iri)
        if number is None:
            number = self._datatypes[iri] = _FIRST_DATATYPE + len(self._datatypes)
            self._database().execute(
                "INSERT INTO datatype VALUES (?, ?)", (number - _FIRST_DATATYPE, iri)
            )
        return number

    def _literal(self, token: str) -> tuple[str, int]:
        """A literal token's text and ``dt`` (a language-tagged string reads as its text)."""
        end = token.rfind('"')
        if end <= 0:
            raise ValueError(f"not a literal: {token[:80]}")
        suffix = token[end + 1 :]
        value = unescape(token[1:end])
        if suffix.startswith("^^<") and suffix.endswith(">"):
            return value, self._datatype(unescape(suffix[3:-1]))
        if suffix.startswith("@") or not suffix:
            return value, _STRING
        raise ValueError(f"not a literal: {token[:80]}")

    def _take(self, graph: str, lines: Iterable[str]) -> None:
        """Put aside the wanted statements of one graph's N-Triples lines, and the entities
        it types."""
        wanted, kind_of = _NUMBER_OF_TOKEN, _KIND_OF
        short = self.names.short
        rows: list[tuple[int, str, str, int]] = []
        typed: list[tuple[int, str]] = []
        for each in lines:
            line = each[:-1] if each[-1:] == "\n" else each  # as a split at newlines gives it
            if not line:
                continue
            subject, predicate, rest = line.split(" ", 2)
            if predicate == _TYPE_TOKEN:
                kind = kind_of.get(rest)
                if kind is not None:
                    typed.append((kind, short(_iri(subject))))
                continue
            number = wanted.get(predicate)
            if number is None:
                continue
            if rest[-2:] != " .":
                raise ValueError(f"not an N-Triples line: {line[:80]}")
            if rest[0] == '"':
                if rest[-3] == '"':  # a plain string, as the mapping writes most
                    value, dt = unescape(rest[1:-3]), _STRING
                else:
                    value, dt = self._literal(rest[:-2])
                    if dt != _STRING:
                        self._typed_predicates.add(number)
                rows.append((number, short(_iri(subject)), value, dt))
            else:
                rows.append((number, short(_iri(subject)), short(_iri(rest[:-2])), _LINK))
        db = self._database()
        db.executemany("INSERT INTO typed VALUES (?, ?)", typed)
        db.executemany("INSERT INTO statement VALUES (?, ?, ?, ?)", rows)
        entities = sorted({s for _, s in typed})
        db.execute("INSERT INTO mention VALUES (?, ?)", (graph, json.dumps(entities)))
        self.statements += len(rows) + len(typed)


def _quoted(text: str) -> str:
    """An SQL string literal (a pragma takes no parameter)."""
    return "'" + text.replace("'", "''") + "'"


class _Shortened:
    """IRIs as put aside: one that starts with the ingest's base is stored as a mark and the
    rest (``~paper/...``; no absolute IRI starts with ``~``). The base is about half of an
    IRI's length, and a statement holds one or two: without this the sorted copy was 5.0 GB
    at a million papers (8.4 GB at the peak, with the statements taken and the sort's
    files), and a third smaller with it at 10k papers."""

    MARK = "~"

    def __init__(self, base: str | None):
        self.base = base or ""

    def short(self, iri: str) -> str:
        base = self.base
        return self.MARK + iri[len(base) :] if base and iri.startswith(base) else iri

    def full(self, stored: str) -> str:
        return self.base + stored[1:] if stored[:1] == self.MARK else stored

    def shortened(self, iris: Iterable[str]) -> str:
        """IRIs as one JSON array parameter (:data:`_IN_ARRAY`), as they are stored."""
        return json.dumps([self.short(iri) for iri in iris])


def _connect(path: Path) -> sqlite3.Connection:
    # Written by the thread that loads, read by the one that builds the index: never at once.
    db = sqlite3.connect(path, check_same_thread=False)
    # Scratch: a crash loses it whole, and the next build starts again from the store.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    # Sorts that outgrow the cache (the sorted copy: gigabytes at a million papers) spill to
    # files, not to memory, and beside the database: SQLite's own choice is the system's
    # temporary folder, often memory (a tmpfs). The setting is SQLite's, for the process
    # (deprecated, and still the only one short of an environment variable read once).
    db.execute("PRAGMA temp_store = FILE")
    db.execute("PRAGMA temp_store_directory = " + _quoted(str(path.parent)))
    return db


def _iri(token: str) -> str:
    """The IRI of an ``<...>`` token."""
    if token[0] != "<" or token[-1] != ">":
        raise ValueError(f"not an IRI: {token[:80]}")  # a blank node: no name to share
    return unescape(token[1:-1])


class IngestedReader:
    """The :class:`~kg.search.graph.GraphReader` of :class:`IngestedGraphs` (a full build's
    reads); ``base`` answers the graphs, their fingerprints and the predicates not kept
    (:data:`FROM_STORE`). Each statement is given once, however many graphs wrote it."""

    def __init__(
        self,
        db: sqlite3.Connection,
        base: GraphReader,
        names: _Shortened,
        typed_predicates: Collection[int] = (),
    ):
        self.db = db
        self.base = base
        self.names = names
        self._datatypes = {
            _FIRST_DATATYPE + number: ox.NamedNode(iri)
            for number, iri in db.execute("SELECT number, iri FROM datatype")
        }
        self._canonical = self._canonical_values(typed_predicates)

    def _canonical_values(self, predicates: Collection[int]) -> dict[tuple[str, int], str]:
        """The store keeps a valid typed literal in its canonical form ("1"^^xsd:boolean
        reads back "true"): the distinct typed literals put aside go through a store once
        (read from the ``predicates`` that have some: a seek each, not a scan of them all)."""
        pending = [
            (value, dt)
            for p in sorted(predicates)
            for value, dt in self.db.execute(
                "SELECT DISTINCT o, dt FROM statement WHERE p = ? AND dt >= ?",
                (p, _FIRST_DATATYPE),
            )
            if self._datatypes[dt].value != _XSD_STRING
        ]
        if not pending:
            return {}
        store = ox.Store()
        predicate = ox.NamedNode("urn:kg:canonical")
        store.extend(
            ox.Quad(
                ox.NamedNode(f"urn:kg:canonical:{i}"),
                predicate,
                ox.Literal(value, datatype=self._datatypes[dt]),
            )
            for i, (value, dt) in enumerate(pending)
        )
        out = {}
        for quad in store.quads_for_pattern(None, predicate, None):
            number = int(str(getattr(quad.subject, "value", "")).rsplit(":", 1)[1])
            canonical = str(getattr(quad.object, "value", pending[number][0]))
            if canonical != pending[number][0]:
                out[pending[number]] = canonical
        return out

    def _term(self, value: str, dt: int) -> Term:
        if dt == _LINK:
            return ox.NamedNode(self.names.full(value))
        if dt == _STRING:
            return Value(value)
        return Value(self._canonical.get((value, dt), value), self._datatypes[dt])

    def _number(self, predicate: str) -> int:
        number = _NUMBER.get(predicate)
        if number is None:
            # Not kept: answering "nothing" would make other documents than the store's.
            raise KeyError(f"{predicate} is not among the predicates the search index reads")
        return number

    def _rows(self, sql: str, *parameters: object) -> Iterator[tuple[str, Term]]:
        """``(subject, object)`` of rows ``(s, o, dt)`` (each statement is stored once)."""
        term, full = self._term, self.names.full
        for s, o, dt in self.db.execute(sql, parameters):
            yield full(s), term(o, dt)

    def pairs(
        self,
        predicate: str,
        *,
        subjects: Collection[str] | None = None,
        objects: Collection[str] | None = None,
    ) -> Iterator[tuple[str, Term]]:
        if predicate == RDF_TYPE:
            yield from self._type_pairs(subjects, objects)
            return
        if predicate in FROM_STORE:
            yield from self.base.pairs(predicate, subjects=subjects, objects=objects)
            return
        number = self._number(predicate)
        sql = "SELECT s, o, dt FROM statement WHERE p = ?"
        parameters: list[object] = [number]
        if subjects is not None:
            sql += f" AND s IN {_IN_ARRAY}"
            parameters.append(self.names.shortened(subjects))
        if objects is not None:
            sql += f" AND dt = 0 AND o IN {_IN_ARRAY}"
            parameters.append(self.names.shortened(objects))
        yield from self._rows(sql, *parameters)

    def fields(
        self, subjects: Collection[str], paths: Sequence[GraphPath]
    ) -> Iterator[tuple[str, int, Term]]:
        """As :meth:`kg.search.graph.StoreReader.fields`: what a full build's batches read
        with it (a batch of papers, authors or repositories a query per path, and the
        authors' facets gathered from the papers, not looked up again from each author:
        random seeks all over the papers' statements)."""
        listed = self.names.shortened(subjects)
        full, term = self.names.full, self._term
        for number, path in enumerate(paths):
            first = path[0][0]
            if first in FROM_STORE:
                if len(path) != 1:
                    raise KeyError(f"{first} is read from the store, and only as a path's end")
                for s, o in self.base.pairs(first, subjects=subjects):
                    yield s, number, o
                continue
            sql, numbers = self._path_query(path)
            for s, o, dt in self.db.execute(sql, (listed, *numbers)):
                yield full(s), number, term(o, dt)

    def _path_query(self, path: GraphPath) -> tuple[str, list[int]]:
        """The SQL of a path from the subjects of a JSON array parameter: ``(subject, object,
        dt)`` rows; and its predicates' numbers, the parameters after that array. CROSS JOIN
        keeps the subjects the outer loop (SQLite's planner, which knows nothing of the
        array's length, scanned the predicate's statements and the array inside it)."""
        joins, numbers, node = [], [], "j.value"
        for at, (predicate, backwards) in enumerate(path):
            numbers.append(self._number(predicate))
            step, last = f"t{at}", at == len(path) - 1
            if backwards:  # node <-predicate- x: x is an IRI linking node
                joins.append(
                    f"CROSS JOIN statement AS {step} ON {step}.p = ? AND {step}.o = {node}"
                )
                joins[-1] += f" AND {step}.dt = 0"
                node, end = f"{step}.s", f"{step}.s, 0"
            else:
                joins.append(
                    f"CROSS JOIN statement AS {step} ON {step}.p = ? AND {step}.s = {node}"
                )
                if not last:
                    joins[-1] += f" AND {step}.dt = 0"  # the next step starts from an IRI
                node, end = f"{step}.o", f"{step}.o, {step}.dt"
        return f"SELECT j.value, {end} FROM json_each(?) AS j {' '.join(joins)}", numbers

    def count(self, predicate: str) -> int:
        (found,) = self.db.execute(
            "SELECT count(*) FROM statement WHERE p = ?", (self._number(predicate),)
        ).fetchone()
        return int(found)

    def untyped(self, predicate: str, kind: str) -> set[str]:
        if kind not in _KINDS:
            raise KeyError(f"only the searchable classes are kept, not {kind}")
        rows = self.db.execute(
            "SELECT DISTINCT s FROM statement WHERE p = ? "
            "AND s NOT IN (SELECT s FROM typed WHERE kind = ?)",
            (self._number(predicate), _KINDS.index(kind)),
        )
        return {self.names.full(s) for (s,) in rows}

    def _type_pairs(
        self, subjects: Collection[str] | None, objects: Collection[str] | None
    ) -> Iterator[tuple[str, Term]]:
        unknown = set(objects or ()) - set(_KINDS)
        if unknown:
            raise KeyError(f"only the searchable classes are kept, not {sorted(unknown)}")
        kinds = [number for number, kind in enumerate(_KINDS) if objects is None or kind in objects]
        nodes = [ox.NamedNode(kind) for kind in _KINDS]
        for kind in kinds:
            if subjects is None:
                rows = self.db.execute("SELECT DISTINCT s FROM typed WHERE kind = ?", (kind,))
            else:
                rows = self.db.execute(
                    f"SELECT DISTINCT s FROM typed WHERE kind = ? AND s IN {_IN_ARRAY}",
                    (kind, self.names.shortened(subjects)),
                )
            full = self.names.full
            for (s,) in rows:
                yield full(s), nodes[kind]

    def scan(self, predicate: str) -> dict[str, list[Term]]:
        if predicate in FROM_STORE:
            return self.base.scan(predicate)
        out: defaultdict[str, list[Term]] = defaultdict(list)
        for s, o in self.pairs(predicate):
            out[s].append(o)
        return dict(out)

    def scan_links(self, predicate: str) -> dict[str, list[str]]:
        if predicate in FROM_STORE:
            return self.base.scan_links(predicate)
        out: defaultdict[str, list[str]] = defaultdict(list)
        for s, o in self._links(predicate):
            out[s].append(o)
        return dict(out)

    def scan_inverse(self, predicate: str) -> dict[str, list[str]]:
        if predicate in FROM_STORE:
            return self.base.scan_inverse(predicate)
        out: defaultdict[str, list[str]] = defaultdict(list)
        for s, o in self._links(predicate):
            out[o].append(s)
        return dict(out)

    def _links(self, predicate: str) -> Iterator[tuple[str, str]]:
        """Every (subject, IRI object) of ``predicate``."""
        sql = "SELECT s, o, dt FROM statement WHERE p = ? AND dt = 0"
        for s, o in self._rows(sql, self._number(predicate)):
            yield s, cast(ox.NamedNode, o).value

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        if set(types) != set(_KINDS):
            raise KeyError("only the entities of the searchable classes are kept per graph")
        if graphs is None:
            rows = self.db.execute("SELECT g, entities FROM mention")
        else:
            rows = self.db.execute(
                f"SELECT g, entities FROM mention WHERE g IN {_IN_ARRAY}",
                (json.dumps(list(graphs)),),
            )
        full = self.names.full
        found = {g: {full(e) for e in json.loads(entities)} for g, entities in rows}
        if graphs is None:
            return found
        return {g: found.get(g, set()) for g in graphs}

    def fingerprints(self) -> dict[str, str]:
        return self.base.fingerprints()

    def graphs(self) -> list[str]:
        return self.base.graphs()

"""The embedded Oxigraph store: the only module that touches pyoxigraph's Store.

A store folder (``--store DIR``, default ``./data/store``) holds::

    DIR/oxigraph/            the read-write database (one writer process at a time)
    DIR/snapshots/<gen>/     immutable checkpoints of it, made after each ingest
    DIR/published            the name of the newest checkpoint

Readers (the server's workers, ``kg query``, ``kg stats``) open the newest checkpoint
read-only. A checkpoint is made with ``Store.backup``, which hard-links RocksDB's immutable
files, so it takes milliseconds and almost no disk, and nobody ever writes to it: readers never
see a half-done ingest, and an ingest never pulls files from under a reader (opening a database
read-only while another process writes to it is undefined in Oxigraph). Readers notice a new
``published`` name and reopen.

Each source file's statements live in its own named graph, and the store's *default graph*
holds the set union of all of them. The union is materialised because Oxigraph's "union default
graph" is a bag: a triple asserted by two profiles would match twice and every COUNT over
shared papers would be wrong (oxigraph issue 1919). Queries that name no graph read the default
graph and get RDF-merge semantics; ``GRAPH ?g`` still sees each source.

Writes are atomic per source graph: a new graph arrives with one bulk load (its named graph and
its default-graph copy together), which commits as a whole; a changed graph is replaced by one
SPARQL update, which is one transaction: the statements it no longer makes go (from the union
too, where no other graph states them), those it makes anew come, and the unchanged ones stay
untouched.

A bulk load commits as a whole only up to :data:`BULK_ATOMIC_QUADS` (pyoxigraph commits a
larger one in parts). So a larger load names its graphs: they are recorded in ``DIR/loading/``
(written and synced) before the load and forgotten after it, and a writer opening a store where
such a record was left (the load was killed) first removes whatever of those graphs was
committed, and the default-graph triples no named graph states any more. The next ingest then
adds those files again, as new (issue 15 item 5).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import pyoxigraph as ox

from kg import formats
from kg.errors import BadRequest, StoreError
from kg.rdf.iri import HISTORY_GRAPH_NAME
from kg.rdf.namespace import sparql_prologue
from kg.settings import DEFAULT_STORE
from kg.store import changes, difference
from kg.store.changes import ANY, Touched
from kg.store.compaction import BulkLoads
from kg.store.difference import Digests
from kg.store.snapshots import collect_old_snapshots

PRIMARY = "oxigraph"
SNAPSHOTS = "snapshots"
PUBLISHED = "published"
#: Records of bulk loads larger than BULK_ATOMIC_QUADS under way (see the module docstring).
LOADING = "loading"

#: :meth:`KGStore.dump` and :meth:`KGStore.load_rdf` take the RDF format keys of kg.formats;
#: these keep the named graphs.
QUAD_FORMATS = frozenset(f.key for f in formats.offers(formats.EXPORT) if f.datasets)
#: Quads one bulk load may take and still commit as a whole: pyoxigraph's bulk loader
#: commits each 1,000,000 quads on its own (the same bound as kg.pipeline.ingest.BULK_BATCH_QUADS).
BULK_ATOMIC_QUADS = 500_000
#: The graph of a scratch store (:meth:`KGStore.merged`) holding a dataset's merged default graph.
MERGED_GRAPH = "urn:x-kg:merged-default-graph"
#: :meth:`KGStore.replace_large_graph` writes a graph larger than this (counting its union
#: copy) in pieces of this many quads, each its own transaction, so that memory stays bounded.
PIECE_QUADS = BULK_ATOMIC_QUADS


def resolve_store_path(store: str | os.PathLike[str] | None) -> Path:
    """The store folder, absolute: the argument, else ``./data/store``.

    (``KG_STORE`` reaches here as the argument: kg.settings reads the environment.)
    Absolute, because a relative folder handed to a server would later be resolved
    against some other folder (Flask's send_file resolves it against the package).
    """
    return Path(store or DEFAULT_STORE).expanduser().absolute()


@dataclass(frozen=True, slots=True)
class SourceState:
    graph: str
    source: str
    sha256: str


class KGStore:
    """A handle on the store: read-write on the primary, or read-only on a checkpoint.

    >>> store = KGStore.in_memory()
    >>> store.load_new_graphs(['<http://e/s> <http://e/p> "o" <http://e/g> .\\n'])
    >>> store.count_quads()
    1
    """

    #: The named graph that holds the union of the source graphs in an update: None, the
    #: union is this store's default graph (an external store names one:
    #: :attr:`kg.store.remote.RemoteStore.union_graph`).
    union_graph: str | None = None

    def __init__(
        self, store: ox.Store, *, folder: Path | None, writable: bool, generation: str | None
    ):
        self._store = store
        self.folder = folder
        self.writable = writable
        self.generation = generation
        #: Write calls made through this handle: ingest publishes only when it wrote.
        self.writes = 0
        #: What the writes through this handle may have changed since the checkpoint
        #: ``_after`` (kg.store.changes); any predicate until :meth:`open_writable` knows
        #: the primary holds that checkpoint and nothing more.
        self.touched = Touched.everything()
        self._after: str | None = None
        self._pending = False
        #: The last checkpoint made (:meth:`checkpoint`) and the write count then.
        self._checkpointed: tuple[str, int] | None = None
        #: Whether this handle has written (or is about to).
        self._written = False
        #: Bulk loads into the primary since it was last compacted (kg.store.compaction).
        self.bulk_loads = BulkLoads(folder if writable else None)

    # -- opening ---------------------------------------------------------------

    @classmethod
    def in_memory(cls) -> KGStore:
        return cls(ox.Store(), folder=None, writable=True, generation=None)

    @classmethod
    def open_writable(cls, folder: str | os.PathLike[str]) -> KGStore:
        """Open the primary database for writing. Raises StoreError if another process holds it."""
        path = Path(folder)
        try:
            (path / PRIMARY).mkdir(parents=True, exist_ok=True)
            store = ox.Store(str(path / PRIMARY))
        except OSError as error:
            raise StoreError(
                f"cannot open the store {path} for writing: {error}. "
                "Is another kg ingest (or a server with updates enabled) using it?"
            ) from error
        # A writer killed during a bulk load leaves the loader's unfinished SST files
        # behind; nothing ever reads them. Holding the write lock, we are alone: drop them.
        for leftover in (path / PRIMARY).glob("bulk-*.sst"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        handle = cls(store, folder=path, writable=True, generation=None)
        handle._after = published_generation(path)
        if changes.pending_path(path).exists():
            # A writer killed before it published: the primary holds writes that no
            # published checkpoint does (the next publish must happen even if this one
            # writes nothing). If it had made its checkpoint, that one is published as it
            # is (with the reports it had precomputed), unless this writer writes; then what
            # changes is noted from that checkpoint (its record holds what came before), so
            # that the precompute still copies what the writes left alone.
            handle._pending = True
            made = changes.checkpointed(path)
            if (
                made is not None
                and (path / SNAPSHOTS / made).is_dir()
                and changes.read_record(path, made) is not None
            ):
                handle._checkpointed = (made, 0)
                handle._after = made
                handle.touched = Touched()
        elif handle._after is not None:
            # No unpublished writes since that checkpoint: what changes from here is noted.
            handle.touched = Touched()
        handle._undo_interrupted_loads()
        return handle

    @classmethod
    def open_readonly(
        cls, folder: str | os.PathLike[str], generation: str | None = None
    ) -> KGStore:
        """Open the newest published checkpoint read-only (or checkpoint ``generation``, made
        by :meth:`checkpoint` and perhaps not published yet). Raises StoreError if there is
        none."""
        path = Path(folder)
        generation = generation or published_generation(path)
        if generation is None:
            raise StoreError(f"no data in store {path}: run `kg ingest PATH --store {path}` first")
        try:
            store = ox.Store.read_only(str(path / SNAPSHOTS / generation))
        except OSError as error:
            raise StoreError(
                f"cannot open store {path} (checkpoint {generation}): {error}"
            ) from error
        return cls(store, folder=path, writable=False, generation=generation)

    # -- reading ---------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> Any:
        """Run a SPARQL query. The default graph is the materialised union of
        all source graphs unless ``default_graph`` names graphs. Parameters go in through
        ``substitutions`` (variable name -> term), never into the text.

        Raises SyntaxError for a malformed query, OSError for storage errors.
        """
        options: dict[str, Any] = {}
        if default_graph:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        if named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            options["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        if prefixes:
            options["prefixes"] = dict(prefixes)
        return self._store.query(sparql, base_iri=base_iri, **options)

    def merged(
        self, default_graph: list[str], named_graphs: list[str], *, max_triples: int
    ) -> KGStore:
        """A scratch in-memory store whose graph :data:`MERGED_GRAPH` is the RDF merge (the
        set union) of ``default_graph`` and whose other graphs are copies of ``named_graphs``
        (see :func:`merged_store`). The copy goes through N-Triples, in the engine (about
        2 s per million triples). Raises BadRequest when the copy would pass ``max_triples``.
        """
        graphs = collect_graphs(self._graph_ntriples, default_graph, named_graphs, max_triples)
        return merged_store(graphs, generation=self.generation)

    def _graph_ntriples(self, name: str, budget: int) -> bytes:
        # Store-wide blank node ids: a blank node two graphs share stays one node.
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name)) or b""

    def update(
        self, sparql_update: str, *, base_iri: str | None = None, touches: Touched | None = None
    ) -> None:
        """Run a SPARQL update in one transaction (all or nothing). ``touches``: what it may
        change (kg.store.changes), when the caller knows; else anything."""
        self._require_writable()
        self.writes += 1
        self._note(touches or Touched.everything())
        self._store.update(sparql_update, base_iri=base_iri)

    def count_quads(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def sources(self) -> dict[str, SourceState]:
        """The source graphs in the store with the checksum of the file each came from."""
        rows: Any = self._store.query(
            sparql_prologue() + "SELECT ?g ?id ?sha WHERE { GRAPH ?g { ?g a kg:SourceDocument ; "
            "dcterms:identifier ?id . OPTIONAL { ?g kg:sha256 ?sha } } }"
        )
        result: dict[str, SourceState] = {}
        for row in rows:
            graph = row["g"].value
            result[graph] = SourceState(
                graph, row["id"].value, row["sha"].value if row["sha"] else ""
            )
        return result

    def dump(self, output: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Stream the store in an RDF format. Quad formats keep the named
        graphs; triple formats get the union of all graphs (duplicates removed)."""
        rdf_format = formats.rdf_format(fmt)
        if fmt in QUAD_FORMATS and graph is None:
            self._store.dump(output, rdf_format)
        elif graph is not None:
            self._store.dump(output, rdf_format, from_graph=ox.NamedNode(graph))
        else:
            # The default graph is the deduplicated union of all sources.
            self._store.dump(output, rdf_format, from_graph=ox.DefaultGraph())

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self._store)

    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None matches anything; ``ox.DefaultGraph()`` is the
        union): one index scan, without a query's parsing and planning (kg.search reads
        hundreds of thousands of field values this way)."""
        return iter(self._store.quads_for_pattern(subject, predicate, obj, graph))

    # -- writing ---------------------------------------------------------------

    def load_new_graphs(
        self, nquads: Iterable[str | bytes | memoryview], *, graphs: Sequence[str] = ()
    ) -> None:
        """Bulk-load N-Quads text or UTF-8 (graphs that are not in the store yet).

        Give it whole graphs only, each with its default-graph copy (see
        :func:`graph_with_union_copy`). Up to :data:`BULK_ATOMIC_QUADS` quads, one
        call commits as a whole. For more, name the graphs in ``graphs``: they are
        recorded before the load and forgotten after it, so that a load cut short
        (a crash, or a SyntaxError or ValueError for bad data, raised after the bad
        data's graphs are removed again) never leaves part of a graph behind.
        """
        self._require_writable()
        self.writes += 1
        self._note(Touched())
        if not self.touched.is_everything:
            nquads = changes.tap_predicates(nquads, self.touched)
        record = self._record_load(graphs) if graphs and self.folder is not None else None
        # The loader reads the text as it is encoded, piece by piece: no joined copy of
        # the batch (tens of MB, twice: the string and its UTF-8) is ever built.
        reader = io.BufferedReader(_Utf8Reader(nquads), 1 << 20)
        try:
            if reader.peek(1):
                self._bulk_load(reader)
        except (SyntaxError, ValueError):
            # Refused as data, maybe after committing a part: undo that now. (Any other
            # error keeps the record: the next writer undoes it.)
            if record is not None:
                self._undo_load(record)
            raise
        if record is not None:
            record.unlink()

    def _bulk_load(self, data: io.BufferedReader[_Utf8Reader]) -> None:
        """Bulk-load N-Quads into the primary (it commits each 1,000,000 quads on its own);
        counted, to compact its files before a checkpoint (kg.store.compaction)."""
        with self.bulk_loads.loading() as read:
            try:
                self._store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
            except BaseException as error:  # refused as data: undone, and not counted
                if not isinstance(error, (SyntaxError, ValueError)):
                    read(data.raw.consumed)  # what may have been written
                raise
            read(data.raw.consumed)

    def _record_load(self, graphs: Sequence[str]) -> Path:
        """Write (and sync) the names of the graphs a non-atomic load is about to add."""
        assert self.folder is not None
        folder = self.folder / LOADING
        folder.mkdir(exist_ok=True)
        record = folder / f"{time.time_ns():020d}-{threading.get_ident()}.graphs"
        partial = record.with_suffix(".tmp")
        with open(partial, "w", encoding="utf-8") as file:
            file.write("".join(graph + "\n" for graph in graphs))
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, record)
        _sync_folder(folder)
        return record

    def _undo_interrupted_loads(self) -> None:
        """Remove what interrupted non-atomic loads committed (see the module docstring)."""
        assert self.folder is not None
        folder = self.folder / LOADING
        if not folder.is_dir():
            return
        for partial in folder.glob("*.tmp"):  # written before its load began: nothing to undo
            partial.unlink()
        for record in sorted(folder.glob("*.graphs")):
            self._undo_load(record)

    def _undo_load(self, record: Path) -> None:
        """Remove the graphs a load record names and the union triples no graph states any
        more; each step is idempotent, and the record goes last."""
        for name in record.read_text(encoding="utf-8").split():
            # Each graph alone in a transaction; ox.NamedNode refuses a name that is not an IRI.
            self._note(Touched.everything())
            self._store.remove_graph(ox.NamedNode(name))
        # The union copy may have been committed without its named graph: a sweep of the
        # default graph, not the usual retraction (which reads the named graph).
        self._store.update(_SWEEP_UNION)
        self.writes += 1
        record.unlink()

    def replace_graph(
        self,
        graph: str,
        ntriples: Iterable[str],
        *,
        before: str = "",
        before_touches: Touched | None = None,
    ) -> None:
        """Replace one named graph's content, and its share of the union, in one transaction.

        ``before``: SPARQL update operations (ending with ``;``) run first in the same
        transaction, while the graph still holds its old content (kg.pipeline.history
        keeps the replaced snapshot with them); ``before_touches``: what they may change
        (kg.store.changes; None: anything).

        Only the difference is written: the stored graph is read (as N-Triples, which is
        what the mapping writes), and the update deletes the statements the new content
        lacks, retracts those of them no other graph states from the union, and inserts
        the new ones. A changed profile differs in a few statements, so this costs a
        read of the graph plus a small update, not a delete and an insert of the whole
        graph. Raises SyntaxError or ValueError for bad data (nothing is written).

        A graph the store does not hold yet has nothing to retract: it is loaded as
        N-Quads (the graph and its default-graph copy) by ``Store.load``, also one
        transaction, about six times faster than parsing the same triples twice as
        SPARQL ``INSERT DATA`` (the identity graph of a first ingest); and up to
        :data:`BULK_ATOMIC_QUADS` quads by the bulk loader, which commits that much at
        once (as ingest loads new source graphs) and is faster again.
        """
        self._require_writable()
        self.writes += 1
        lines = ntriples if isinstance(ntriples, list) else list(ntriples)
        if before:
            self._note(before_touches or Touched.everything())
        if not self._store.contains_named_graph(ox.NamedNode(graph)):
            self._note_lines(lines)
            if before:
                self._store.update(before.rstrip().rstrip(";"))
            data = _nquads_reader(lines, graph)
            if not data.peek(1):
                return
            if 2 * len(lines) <= BULK_ATOMIC_QUADS:
                self._bulk_load(data)
            else:
                self._store.load(input=data, format=ox.RdfFormat.N_QUADS)
            return
        # Only the difference is written: a changed profile differs from its stored graph
        # in a few statements (metrics, checksum, parse time), and deleting and inserting
        # all of them, with the union retraction's lookup per triple, cost 50-80 ms of
        # CPU per graph at 10k papers where the difference costs a few (issue 18).
        # Statements are compared as the store writes them (its N-Triples): one the
        # mapping writes otherwise is only deleted and inserted again, as before.
        held = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        stored = set((held or b"").decode("utf-8").splitlines(keepends=True))
        wanted = dict.fromkeys(lines)
        gone = sorted(line for line in stored if line not in wanted)
        added = "".join(line for line in wanted if line not in stored)
        # Only the statements that go or come change anything, in the graph and the union.
        self._note_lines(itertools.chain(gone, (line for line in wanted if line not in stored)))
        operations = before
        if gone:
            operations += _retract_rows(graph, gone)
        if added:
            operations += f"INSERT DATA {{ GRAPH <{graph}> {{\n{added}}}\n{added}}} ;\n"
        if operations:
            self._store.update(operations.rstrip().rstrip(";"))

    def replace_large_graph(self, graph: str, ntriples: Iterable[str]) -> None:
        """Replace a graph that may be too large for one transaction (the identity graph):
        as :meth:`replace_graph` up to :data:`PIECE_QUADS` quads, else in pieces of at most
        that many, each its own transaction with its share of the union (one transaction
        held the 1M-paper identity graph in memory: over 16 GiB), writing only what changed
        (kg.store.difference): first the graph's statements about itself go (its seal, the
        identity graph's ``kg:inputDigest``), then the new statements it lacks come as they
        are read, then those no longer in it go, and the new seal comes last. A write killed
        part way leaves the graph unsealed, which the next ingest takes for missing and
        writes again (its difference from what was left); the union is right after every
        piece; readers read the published checkpoint, never the pieces.

        ``ntriples`` is read once, as it comes (at 1M papers the identity graph's lines were
        about 1 GB as one list): one piece (and a store in memory of it), the seal and 16
        bytes a statement (twice) are held; what goes is put aside in a temporary file in
        the store folder. A blank node is refused (StoreError): it cannot be compared.
        """
        self._require_writable()
        step = max(1, PIECE_QUADS // 2)  # each line is two quads: the graph's and the union's
        stream = iter(ntriples)
        piece = list(itertools.islice(stream, step + 1))
        held = self._held_quads(graph, PIECE_QUADS)
        if len(piece) <= step and 2 * held <= PIECE_QUADS:
            self.replace_graph(graph, piece)
            return
        self.writes += 1
        node, subject = ox.NamedNode(graph), f"<{graph}> "
        whole = (None, None, None, node)
        stored = None
        if held:  # the seal goes first
            self._note_lines(difference.stored_lines(self.match(node, None, None, node)))
            self._store.update(_retract_own(graph))
            stored = difference.digest_set(difference.stored_lines(self.match(*whole)))
        wanted = difference.Wanted()
        own: list[str] = []
        content: list[str] = []
        for line in itertools.chain(piece, stream):
            (own if line.startswith(subject) else content).append(line)
            if len(content) >= step:
                self._load_missing(graph, content, stored, wanted)
                content = []
        if content:
            self._load_missing(graph, content, stored, wanted)
        if stored is not None:
            del stored
            with tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.folder) as gone:
                gone.writelines(difference.gone_lines(self.match(*whole), wanted.sorted()))
                gone.seek(0)
                while lines := list(itertools.islice(gone, step)):
                    self.retract_piece(graph, lines)
        self.load_piece(graph, own)

    def _load_missing(
        self, graph: str, ntriples: list[str], stored: Digests | None, wanted: difference.Wanted
    ) -> None:
        """Bulk-load the lines of a piece the graph lacks (all of them: it held nothing)."""
        if stored is None:
            self.load_piece(graph, ntriples)
        elif ntriples and (missing := difference.missing_lines(ntriples, stored, wanted)):
            self.load_piece(graph, missing)

    def retract_piece(self, graph: str, ntriples: list[str]) -> None:
        """Remove some triples of ``graph`` (N-Triples lines in the store's form, at most
        :data:`PIECE_QUADS` / 2), and from the union those of them that no other graph
        states, in one transaction."""
        self._note_lines(ntriples)
        self._store.update(_retract_rows(graph, ntriples).rstrip().rstrip(";"))

    def load_piece(self, graph: str, ntriples: list[str]) -> None:
        """Bulk-load some triples of ``graph`` with their union copy (at most
        :data:`BULK_ATOMIC_QUADS` quads: they commit as a whole)."""
        self._note_lines(ntriples)
        data = _nquads_reader(ntriples, graph)
        if data.peek(1):
            self._bulk_load(data)

    def _held_quads(self, graph: str, cap: int) -> int:
        """How many quads the store holds in ``graph``, counted up to ``cap`` + 1."""
        quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return sum(1 for _ in itertools.islice(quads, cap + 1))

    def remove_graph(
        self, graph: str, *, before: str = "", before_touches: Touched | None = None
    ) -> None:
        """Remove a named graph and retract from the union what only it stated, in one transaction
        (``before``, ``before_touches``: update operations run first in it, as for
        :meth:`replace_graph`)."""
        self._require_writable()
        self.writes += 1
        if before:
            self._note(before_touches or Touched.everything())
        self._note_graph(graph)
        self._store.update(before + _retract_from_union(graph) + f"DROP SILENT GRAPH <{graph}>")

    def load_rdf(self, data: bytes | IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Transactional load of RDF in any supported format (Graph Store Protocol, tests)."""
        self._require_writable()
        self.writes += 1
        self._note(Touched.everything())
        options: dict[str, Any] = {}
        if graph is not None:
            options["to_graph"] = ox.NamedNode(graph)
        self._store.load(data, format=formats.rdf_format(fmt), **options)

    def flush(self) -> None:
        if self.writable and self.folder is not None:
            self._store.flush()

    # -- what the writes touch (kg.store.changes) --------------------------------

    def _note(self, touched: Touched) -> None:
        """Before a write: say durably that the primary is being written (the first time),
        and note what the write may change."""
        if self.folder is not None and not self._pending:
            changes.mark_pending(self.folder)
            self._pending = True
        if self.folder is not None and not self._written:
            # The primary moves on from a checkpoint a killed writer made.
            changes.clear_checkpointed(self.folder)
            self._written = True
        self.touched.merge(touched)

    def _note_lines(self, lines: Iterable[str]) -> None:
        """Note the predicates of N-Triples lines as touched in a named graph and the union."""
        if self.touched.is_everything:
            self._note(Touched())
            return
        try:
            found: set[str] | None = changes.predicates_of_lines(lines)
        except ValueError:
            found = ANY
        self._note(Touched(found, None if found is None else set(found)))

    def _note_graph(self, graph: str) -> None:
        """Note the predicates ``graph`` holds now as touched (it is about to lose them)."""
        if self.touched.is_everything:
            self._note(Touched())
            return
        found = changes.keys_of_graph(self._store, graph)
        self._note(Touched(found, set(found)))

    # -- publishing ------------------------------------------------------------

    @property
    def has_unpublished_writes(self) -> bool:
        """Whether the primary holds writes no published checkpoint holds: this handle's, or
        those of an earlier writer killed before it published (the pending mark it left)."""
        return bool(self._pending)

    def checkpoint(self, *, compact: bool = True) -> str:
        """Checkpoint the primary without showing it to readers yet, and return its name:
        ``kg ingest`` indexes and precomputes it, then publishes it (:meth:`publish`), so that a
        server never serves a checkpoint whose reports are still being computed. Its
        record of what changed is written; the pending mark stays until it is published.
        ``compact``: compact the primary first when enough was bulk-loaded since it last was
        (kg.store.compaction; minutes at a million papers: False where someone waits)."""
        self._require_writable()
        if self.folder is None:
            raise StoreError("an in-memory store has nothing to publish")
        self._store.flush()
        if compact and self.bulk_loads.due(self.folder / PRIMARY):
            self.bulk_loads.compact(self._store, self.folder / PRIMARY)
        snapshots = self.folder / SNAPSHOTS
        snapshots.mkdir(exist_ok=True)
        generation = f"{time.time_ns():020d}"
        self._store.backup(str(snapshots / generation))
        changes.write_record(self.folder, generation, self._after, self.touched)
        changes.mark_checkpointed(self.folder, generation)
        self._checkpointed = (generation, self.writes)
        self._written = False  # the next write clears the mark
        return generation

    def unpublished_checkpoint(self) -> str | None:
        """The checkpoint made of the primary as it is now and not published yet (by this
        writer, or by one killed before it published it), if any."""
        if self._checkpointed is None or self._checkpointed[1] != self.writes:
            return None
        return self._checkpointed[0]

    def publish(self, generation: str | None = None, *, compact: bool = True) -> str:
        """Make a checkpoint the one readers open: ``generation``, which :meth:`checkpoint`
        made with no write since (StoreError otherwise), or else the one made of the
        primary as it is (:meth:`unpublished_checkpoint`), or a new one (``compact``: as
        for :meth:`checkpoint`). Returns its name."""
        if generation is None:
            generation = self.unpublished_checkpoint() or self.checkpoint(compact=compact)
        elif self._checkpointed != (generation, self.writes):
            raise StoreError(f"checkpoint {generation} is not this store's last state")
        assert self.folder is not None
        previous = published_generation(self.folder)
        pointer = self.folder / (PUBLISHED + ".tmp")
        pointer.write_text(generation + "\n", encoding="utf-8")
        os.replace(pointer, self.folder / PUBLISHED)
        # The pending mark goes after the pointer: a writer killed before it leaves the mark,
        # so that the next one knows its writes and publishes them.
        changes.clear_pending(self.folder)
        self.touched, self._after, self._pending = Touched(), generation, False
        collect_old_snapshots(self.folder / SNAPSHOTS, generation, previous)
        self.generation = generation
        return generation

    def close(self) -> None:
        # pyoxigraph closes the database when the object is collected.
        self._store = None  # type: ignore[assignment]

    def _require_writable(self) -> None:
        if not self.writable:
            raise StoreError("this store was opened read-only")


@dataclass(frozen=True, slots=True)
class DatasetGraphs:
    """The graphs of a query's dataset, read for a merge (:func:`collect_graphs`), as
    N-Triples: the default graphs, to be merged, and the named graphs. Plain bytes, so
    that a query worker process can be sent them (an external store's are read outside it).
    """

    defaults: tuple[tuple[str, bytes], ...]
    named: tuple[tuple[str, bytes], ...]


def collect_graphs(
    read: Callable[[str, int], bytes],
    default_graph: Sequence[str],
    named_graphs: Sequence[str],
    max_triples: int,
) -> DatasetGraphs:
    """Read the graphs of a dataset to merge, each once, through ``read(name, budget)``
    (a graph's N-Triples; it may stop after ``budget + 1`` triples, the caller's cue to
    refuse). Raises BadRequest when they hold more than ``max_triples`` triples together:
    the one place that decides how much a merge may copy, for every store.
    """
    copied = 0
    parts: dict[bool, list[tuple[str, bytes]]] = {True: [], False: []}
    for names, merge in ((default_graph, True), (named_graphs, False)):
        for name in dict.fromkeys(names):
            data = read(name, max_triples - copied)
            copied += data.count(b"\n")
            if copied > max_triples:
                raise BadRequest(
                    f"the query's dataset merges graphs of more than {max_triples:,} triples, "
                    "more than this server copies for a merge: name fewer graphs, or read "
                    "them one by one with GRAPH"
                )
            parts[merge].append((name, data))
    return DatasetGraphs(tuple(parts[True]), tuple(parts[False]))


def merged_store(graphs: DatasetGraphs, *, generation: str | None = None) -> KGStore:
    """A scratch in-memory store whose graph :data:`MERGED_GRAPH` is the RDF merge (the set
    union) of ``graphs.defaults`` and whose other graphs are copies of ``graphs.named``.

    A query's dataset of several graphs must be their merge (SPARQL 1.1, 13.2), but
    Oxigraph evaluates a list of default graphs as a bag: a triple stated in two of
    them matches twice. A store holds each quad once, so copying the graphs into one
    graph of a fresh store makes the set.
    """
    scratch = ox.Store()
    for parts, merge in ((graphs.defaults, True), (graphs.named, False)):
        for name, data in parts:
            target = ox.NamedNode(MERGED_GRAPH if merge else name)
            if data:
                scratch.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
    return KGStore(scratch, folder=None, writable=False, generation=generation)


class GraphStore(Protocol):
    """What ingest, its resolution step, stats and export use of a store: :class:`KGStore`
    (a folder) and :class:`kg.store.remote.RemoteStore` (an external SPARQL 1.1 store)
    both provide it. ``folder`` is None for a store that is not a folder."""

    @property
    def folder(self) -> Path | None: ...

    @property
    def generation(self) -> str | None: ...

    @property
    def union_graph(self) -> str | None: ...

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> Any: ...

    def merged(
        self, default_graph: list[str], named_graphs: list[str], *, max_triples: int
    ) -> KGStore: ...

    def update(
        self, sparql_update: str, *, base_iri: str | None = None, touches: Touched | None = None
    ) -> None: ...

    def count_quads(self) -> int: ...

    def named_graphs(self) -> list[str]: ...

    def sources(self) -> dict[str, SourceState]: ...

    def dump(self, output: IO[bytes], fmt: str, *, graph: str | None = None) -> None: ...

    def load_new_graphs(
        self, nquads: Iterable[str | bytes | memoryview], *, graphs: Sequence[str] = ()
    ) -> None: ...

    def replace_graph(
        self,
        graph: str,
        ntriples: Iterable[str],
        *,
        before: str = "",
        before_touches: Touched | None = None,
    ) -> None: ...

    def replace_large_graph(self, graph: str, ntriples: Iterable[str]) -> None: ...

    def remove_graph(
        self, graph: str, *, before: str = "", before_touches: Touched | None = None
    ) -> None: ...

    def flush(self) -> None: ...

    def publish(self, *, compact: bool = True) -> str: ...

    def close(self) -> None: ...


class _Utf8Reader(io.RawIOBase):
    """A binary stream of the UTF-8 of some strings, encoded one string at a time (parts
    that are bytes already are taken as they are)."""

    def __init__(self, parts: Iterable[str | bytes | memoryview]):
        self._parts = iter(parts)
        self._pending = memoryview(b"")
        self.consumed = 0  # bytes read so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        filled = 0
        while filled < len(buffer):  # fill it: the parts may be single lines
            if not len(self._pending):
                part = next(self._parts, None)
                if part is None:
                    break
                self._pending = memoryview(part.encode("utf-8") if isinstance(part, str) else part)
            size = min(len(buffer) - filled, len(self._pending))
            buffer[filled : filled + size] = self._pending[:size]
            self._pending = self._pending[size:]
            filled += size
        self.consumed += filled
        return filled


#: What the IRI of every history graph contains (kg.rdf.iri: ``{base}graph/_history/...``).
HISTORY_GRAPH_MARK = f"/graph/{HISTORY_GRAPH_NAME}/"

#: Delete from the default graph (the union) every triple that no named graph states
#: (history graphs aside: they are not part of the union).
_SWEEP_UNION = (
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } "
    f'FILTER(!CONTAINS(STR(?g), "{HISTORY_GRAPH_MARK}")) }} }}'
)


def _sync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (where the system lets a folder be synced)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _retract_from_union(graph: str) -> str:
    """Update text deleting from the default graph the triples only ``graph`` states.

    History graphs (kg.pipeline.history) are not part of the union: a triple that only
    a history graph still states (the title of a paper no profile lists any more) goes.
    """
    return (
        "DELETE { ?s ?p ?o } WHERE { GRAPH <" + graph + "> { ?s ?p ?o } "
        "FILTER NOT EXISTS { GRAPH ?other { ?s ?p ?o } FILTER(?other != <" + graph + "> && "
        '!CONTAINS(STR(?other), "' + HISTORY_GRAPH_MARK + '")) } } ;\n'
    )


def _retract_rows(graph: str, ntriples: list[str]) -> str:
    """Update text deleting ``ntriples`` (N-Triples lines of ``graph``, as the store writes
    them) from ``graph``, and from the default graph those of them that no other graph
    states (history graphs aside, as in :func:`_retract_from_union`)."""
    rows = "".join(f"({line[:-3]})\n" for line in ntriples)
    return (
        f"DELETE DATA {{ GRAPH <{graph}> {{\n{''.join(ntriples)}}} }} ;\n"
        f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES (?s ?p ?o) {{\n{rows}}} "
        f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != <{graph}> && "
        f'!CONTAINS(STR(?other), "{HISTORY_GRAPH_MARK}")) }} }} ;\n'
    )


def _retract_own(graph: str) -> str:
    """Update text deleting from ``graph`` its statements about itself, and from the default
    graph those of them that no other graph states. A triple stated elsewhere leaves ``?u``
    unbound (IF over an unbound variable is an error, and BIND leaves it unbound), so the
    template skips its union copy."""
    return (
        f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} ?s ?p ?u }} WHERE {{ "
        f"GRAPH <{graph}> {{ <{graph}> ?p ?o }} BIND(<{graph}> AS ?s) "
        f"BIND(IF(EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != <{graph}> && "
        f'!CONTAINS(STR(?other), "{HISTORY_GRAPH_MARK}")) }}, '
        "?unbound, ?o) AS ?u) }"
    )


def graph_with_union_copy(ntriples: list[str], graph: str) -> Iterator[str]:
    """N-Quads lines for a new source graph: its named graph and its default-graph copy."""
    suffix = f" <{graph}> .\n"
    for line in ntriples:
        yield line[:-3] + suffix
    yield from ntriples


def _nquads_reader(ntriples: list[str], graph: str) -> io.BufferedReader[_Utf8Reader]:
    """A new graph's N-Quads with its union copy (:func:`graph_with_union_copy`) as UTF-8,
    encoded as the loader reads it: no joined copy of the text (the identity graph of 100k
    papers: about 100 MB as one string and as many again as its UTF-8)."""
    return io.BufferedReader(_Utf8Reader(graph_with_union_copy(ntriples, graph)), 1 << 20)


def published_generation(folder: Path) -> str | None:
    """The name of the newest published checkpoint of a store folder, if any."""
    try:
        name = (folder / PUBLISHED).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if name and (folder / SNAPSHOTS / name).is_dir() else None

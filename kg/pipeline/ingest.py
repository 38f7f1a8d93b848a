"""Ingest: files -> parse -> map -> store, idempotent and atomic per source file.

* A source is named by its file name, wherever the file was found (the site's
  file names are profile ids); its graph is ``graph/{source}``. Two files of one
  run with one name are both refused; a file whose name is stored for a different
  owner is refused (see docs/sources.md). Nothing stored is lost by either.
* An unchanged file (same SHA-256 as the stored graph says) is skipped.
* A new file's graph is bulk-loaded; many new graphs share one bulk load, which
  commits as a whole, and a graph is never split across two loads. A graph too
  large for one atomic bulk load is loaded alone, under a record that lets the
  store undo a partial load after a crash (kg.store.embedded, issue 15 item 5).
* A changed file's graph is replaced in one transaction.
* A file that yields nothing (empty, binary, undecodable, no entry) is reported
  and leaves whatever the store already had for it untouched.
* Graphs of files no longer present stay unless ``prune`` is set.
* A changed file's replaced snapshot is kept in a history graph, in the replacing
  transaction; so is a pruned source's last one unless ``prune_history`` is set
  (:mod:`kg.pipeline.history`).
* A run that writes nothing publishes nothing: same checkpoint, ETags, dumps.

Parsing and mapping run in worker processes when there are many files; the
store is written by this process only: bulk loads of new graphs in loader threads
(pyoxigraph releases the GIL while it loads, so the next batch is gathered
meanwhile), every other write from the main thread once every load handed over
before it is done, so a replacement never runs beside a load.
"""

from __future__ import annotations

import hashlib
import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from kg.errors import KGError
from kg.identity.records import MentionKeys
from kg.model import ParseFailure
from kg.normalize import name_key
from kg.pipeline import history
from kg.pipeline.limits import (
    DEFAULT_LIMITS,
    FileLimits,
    FileTooLarge,
    parse_limited,
    read_limited,
)
from kg.pipeline.steps import GraphObserver, ResolutionStep
from kg.pipeline.workers import worker_pool
from kg.rdf.iri import IriScheme
from kg.rdf.map import profile_ntriples
from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore, SourceState, graph_with_union_copy, published_generation

Status = Literal["added", "replaced", "unchanged", "failed", "removed"]

#: How much N-Quads text one bulk load takes at most (whole graphs only).
BULK_BATCH_BYTES = 64 * 1024 * 1024
#: And this many quads at most: pyoxigraph's bulk loader commits each 1,000,000 quads
#: on its own (oxigraph's DEFAULT_BULK_LOAD_BATCH_SIZE), so only a smaller load is atomic.
#: A larger graph is loaded alone and named to the store, which can then undo a part.
BULK_BATCH_QUADS = 500_000
#: Below this many files, parsing in-process beats starting worker processes.
PARALLEL_THRESHOLD = 64
#: Files per task sent to a worker process, and tasks in flight per worker: the mapped
#: text waiting for the loader stays a few MB whatever the number of files (all tasks
#: submitted at once had every mapped file that the loader had not reached yet in memory).
TASK_FILES = 8
TASKS_IN_FLIGHT = 4
#: Bulk loads running at once (see _Loader).
LOAD_THREADS = 2
PROFILE_SUFFIXES = (".txt",)


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What ingest did with one file."""

    source: str
    path: str
    status: Status
    papers: int = 0
    failures: tuple[ParseFailure, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "failed" or bool(self.failures)


@dataclass(slots=True)
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    generation: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return not any(o.failed for o in self.outcomes)

    def summary(self) -> str:
        parts = [
            f"{self.count(s)} {s}" for s in ("added", "replaced", "unchanged", "removed", "failed")
        ]
        partial = sum(1 for o in self.outcomes if o.failures and o.status != "failed")
        if partial:
            parts.append(f"{partial} read in part")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Work:
    source: str
    path: str
    known_sha: str | None
    #: The graph of a source the store does not hold: the worker writes its N-Quads
    #: (with the union copy, ready for the bulk loader). None: a graph to replace (lines).
    new_graph: str | None = None
    #: The stored snapshot's date: an unchanged file copied on another date is parsed
    #: again to see whether only that date moves (kg.pipeline.history.redate_update).
    known_date: date | None = None
    #: The stored copy's SHA-256, also where ``known_sha`` is None to have the file mapped
    #: again (identity resolution changed its keys): an older copy never replaces it.
    stored_sha: str | None = None


@dataclass(frozen=True, slots=True)
class _Mapped:
    source: str
    path: str
    sha256: str
    unchanged: bool
    lines: list[str]
    papers: int
    failures: tuple[ParseFailure, ...]
    usable: bool
    #: A new graph's N-Quads as UTF-8 (see _Work.new_graph) and its number of quads. Bytes,
    #: not text: a str crosses from the worker encoded by pickle and decoded again, then
    #: the loader encodes it once more; UTF-8 goes to the bulk loader as it came.
    nquads: bytes = b""
    quads: int = 0
    #: The owner's name as the page gives it ("" if unknown): a stored source is only
    #: replaced by a page of the same owner (docs/sources.md).
    owner: str = ""
    #: Unchanged, but copied on another date: only the snapshot's date is to move.
    redate: bool = False
    #: The byte offset in ``nquads`` where the plain N-Triples (the union copy) start.
    triples_at: int = 0


def _source_name(name: str) -> str:
    """The source name of a file as valid Unicode.

    Linux file names are bytes; one that is not UTF-8 reaches Python with lone
    surrogates, which no IRI, literal or UTF-8 output can hold (it crashed the whole
    ingest). Its odd bytes are kept as ``\\xNN`` escapes: unique, printable, stable.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def discover(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[tuple[str, Path]], list[FileOutcome]]:
    """Profile files under ``paths`` with their source names, plus outcomes for paths that do not exist.

    Folders are searched recursively for ``*.txt`` (hidden files and folders
    skipped); a file named directly is taken whatever its extension. The source
    name is the file name: one file reached twice (``coll`` and ``coll/a``) is
    taken once; two different files with one name are both refused, each with a
    failure naming the other, so that neither replaces a profile silently.
    """
    found: dict[str, list[Path]] = {}
    missing: list[FileOutcome] = []

    def add(file: Path) -> None:
        same = found.setdefault(_source_name(file.name), [])
        if not any(_same_file(file, other) for other in same):
            same.append(file)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(_folder_profiles(path)):
                add(file)
        elif path.is_file():
            add(path)
        else:
            missing.append(
                FileOutcome(
                    path.name or str(path),
                    str(path),
                    "failed",
                    failures=(ParseFailure(str(path), 0, "no such file or folder"),),
                )
            )
    for source, files in found.items():
        if len(files) > 1:
            for file in files:
                others = ", ".join(str(other) for other in files if other is not file)
                reason = (
                    f"another file of this run has the same name {source!r}: {others}; "
                    "a file name identifies a profile, so neither is ingested (rename one)"
                )
                failure = ParseFailure(source, 0, reason)
                missing.append(FileOutcome(source, str(file), "failed", failures=(failure,)))
    return sorted((source, files[0]) for source, files in found.items() if len(files) == 1), missing


def _folder_profiles(folder: Path) -> Iterator[Path]:
    """The profile files under ``folder``, as found (``*.txt``, hidden files and folders skipped)."""
    for file in folder.rglob("*"):
        relative = file.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if file.is_file() and file.suffix.lower() in PROFILE_SUFFIXES:
            yield file


def holds_profiles(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` gives :func:`discover` a file: a file, or a folder with a profile file
    in it (the walk stops at the first one, so a large corpus costs a few directory reads)."""
    path = Path(path)
    if path.is_dir():
        return next(_folder_profiles(path), None) is not None
    return path.is_file()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


#: The names of a stored source's owner (every spelling its graph gives the owner).
_STORED_OWNER = (
    sparql_prologue() + "SELECT ?g ?name WHERE { GRAPH ?g { ?snapshot a kg:ProfileSnapshot ; "
    "foaf:primaryTopic ?owner . ?owner schema:name ?name } }"
)


def _other_owner(store: KGStore, graph: str, owner: str) -> str | None:
    """The stored owner of ``graph`` if the page's ``owner`` is a different person, else None.

    Unknown owners (either side) never conflict: a page whose owner the parser could
    not tell is still the same profile id.
    """
    if not owner:
        return None
    names: list[str] = [
        row["name"].value
        for row in store.query(_STORED_OWNER, substitutions={"g": ox.NamedNode(graph)})
    ]
    if not names or name_key(owner) in {name_key(name) for name in names}:
        return None
    return min(names)


#: In a worker process of _mapped_stream only: the identity keys its initializer received
#: (the pool's initargs carry them once per process, not with every task). Never set in
#: the main process, which passes its keys to _parse_and_map as an argument.
_worker_keys: MentionKeys | None = None


def _init_worker(keys: MentionKeys | None) -> None:
    global _worker_keys
    _worker_keys = keys


def _stored_later(work: _Work, as_of: date) -> bool:
    """Whether the store holds this file's page as copied after ``as_of``."""
    return work.stored_sha is not None and work.known_date is not None and as_of < work.known_date


def _older_copy(work: _Work, sha: str, as_of: date) -> ParseFailure | None:
    """Why a file copied on ``as_of`` does not replace what the store holds for it: other
    bytes than the stored copy, which is later. History runs forward: an older copy
    replacing a later one would archive the later snapshot as replaced by it
    (docs/history.md). None: it may."""
    if not _stored_later(work, as_of) or sha == work.stored_sha:
        return None
    return ParseFailure(
        work.source,
        0,
        f"the store holds a later copy of this page (as of {work.known_date}) than this one "
        f"(as of {as_of}): an older copy does not replace it; ingest crawls oldest first "
        "(docs/history.md)",
    )


def _not_pruned(source: str, stored: date, as_of: date) -> FileOutcome:
    """The outcome of a stored page that a prune of an older crawl leaves in place."""
    reason = (
        f"not removed: the store holds a later copy of this page (as of {stored}) than this "
        f"crawl (as of {as_of}), which an older crawl does not remove (docs/history.md)"
    )
    return FileOutcome(source, "", "failed", 0, (ParseFailure(source, 0, reason),))


def _refused_older_copies(works: list[_Work], as_of: date) -> dict[str, FileOutcome]:
    """The files that are older copies of pages the store holds later (:func:`_older_copy`),
    found before identity resolution reads them: it is to read the stored copy instead."""
    refused: dict[str, FileOutcome] = {}
    for work in works:
        if not _stored_later(work, as_of):
            continue
        sha = history.file_sha256(work.path)
        if sha is None:
            continue  # mapping reports it
        failure = _older_copy(work, sha, as_of)
        if failure is not None:
            refused[work.source] = FileOutcome(work.source, work.path, "failed", 0, (failure,))
    return refused


def _parse_and_map(
    work: _Work,
    base: str,
    as_of: date,
    parsed_at: datetime,
    keys: MentionKeys | None,
    limits: FileLimits = DEFAULT_LIMITS,
) -> _Mapped:
    """Parse and map one file; ``keys`` decide identity (None: the plain name and title keys)."""
    from kg.parse import PARSER_VERSION

    try:
        data = read_limited(work.path, work.source, limits)
    except FileTooLarge as error:
        return _Mapped(work.source, work.path, "", False, [], 0, (error.failure,), False)
    except OSError as error:
        failure = ParseFailure(work.source, 0, f"cannot read file: {error.strerror or error}")
        return _Mapped(work.source, work.path, "", False, [], 0, (failure,), False)
    sha = hashlib.sha256(data).hexdigest()
    # The same bytes copied again that day, or on an earlier day than the stored snapshot's
    # (an older crawl ingested again): nothing to write, and the stored date stays.
    if sha == work.known_sha and (
        work.known_date in (None, as_of) or history.copied_later(work.known_date, as_of)
    ):
        return _Mapped(work.source, work.path, sha, True, [], 0, (), True)
    refused = _older_copy(work, sha, as_of)
    if refused is not None:
        return _Mapped(work.source, work.path, sha, False, [], 0, (refused,), False)
    if work.known_sha is None and work.known_date is not None and as_of < work.known_date:
        # A stored page mapped again (its identity keys changed) by an older ingest: its
        # stored copy (the same bytes, else refused above), as it was read.
        as_of = work.known_date
    profile = parse_limited(data, work.source, as_of, limits)
    if sha == work.known_sha and history.only_the_date_moves(profile, work.known_date):
        return _Mapped(work.source, work.path, sha, True, [], 0, (), True, redate=True)
    usable = bool(profile.papers)
    if not usable:
        lines: list[str] = []
    elif keys is None:
        lines = profile_ntriples(
            profile, IriScheme(base), parsed_at=parsed_at, parser_version=PARSER_VERSION
        )
    else:
        bound = keys.bind()  # one "current paper" per profile
        lines = profile_ntriples(
            profile,
            IriScheme(base),
            parsed_at=parsed_at,
            parser_version=PARSER_VERSION,
            author_key=bound.author_key,
            paper_key=bound.paper_key,
        )
    if usable and work.new_graph is not None:
        # One bytes object instead of a list of lines: one object to pickle, and the main
        # process only appends it to the batch.
        nquads, triples_at = _with_union_copy(lines, work.new_graph)
        return _Mapped(
            work.source,
            work.path,
            sha,
            False,
            [],
            len(profile.papers),
            profile.failures,
            usable,
            nquads,
            2 * len(lines),
            profile.owner.name or "",
            triples_at=triples_at,
        )
    return _Mapped(
        work.source,
        work.path,
        sha,
        False,
        lines,
        len(profile.papers),
        profile.failures,
        usable,
        owner=profile.owner.name or "",
    )


def _parse_and_map_in_worker(
    works: Sequence[_Work], base: str, as_of: date, parsed_at: datetime, limits: FileLimits
) -> list[_Mapped]:
    """A worker's task: map ``works`` with the keys the worker's initializer received."""
    return [_parse_and_map(work, base, as_of, parsed_at, _worker_keys, limits) for work in works]


def _mapped_stream(
    works: Sequence[_Work],
    base: str,
    as_of: date,
    parsed_at: datetime,
    workers: int,
    keys: MentionKeys | None = None,
    limits: FileLimits = DEFAULT_LIMITS,
) -> Generator[_Mapped, None, None]:
    if workers <= 1 or len(works) < PARALLEL_THRESHOLD:
        for work in works:
            yield _parse_and_map(work, base, as_of, parsed_at, keys, limits)
        return
    # The identity keys go to each worker once, not with every file. A bounded window of
    # tasks, taken in order: workers stay busy, and memory does not grow with the corpus.
    with worker_pool(workers, _init_worker, (keys,)) as pool:
        tasks = (works[i : i + TASK_FILES] for i in range(0, len(works), TASK_FILES))
        pending: deque[Future[list[_Mapped]]] = deque()
        try:
            for task in tasks:
                pending.append(
                    pool.submit(_parse_and_map_in_worker, task, base, as_of, parsed_at, limits)
                )
                if len(pending) >= workers * TASKS_IN_FLIGHT:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _with_union_copy(lines: list[str], graph: str) -> tuple[bytes, int]:
    """A new graph's N-Quads as UTF-8, its named graph then its default-graph copy, and
    the byte offset where the copy (the plain N-Triples) starts.

    One ``replace`` over the file's text instead of a Python loop over its
    lines: every N-Triples line ends with ``" .\n"``, and nothing else does
    (newlines inside literals are escaped); if the count says otherwise, the
    line-by-line :func:`kg.store.embedded.graph_with_union_copy` is used.
    """
    text = "".join(lines).encode("utf-8")
    if text.count(b" .\n") != len(lines):
        named = "".join(list(graph_with_union_copy(lines, graph))[: len(lines)]).encode("utf-8")
    else:
        named = text.replace(b" .\n", f" <{graph}> .\n".encode())
    return named + text, len(named)


@dataclass(frozen=True, slots=True)
class _Batched:
    """A new graph waiting for its bulk load."""

    source: str
    graph: str
    nquads: bytes
    quads: int
    #: Where its default-graph copy starts in ``nquads`` (bytes).
    triples_at: int = 0


class _Loader:
    """Bulk loads in background threads while the main thread gathers the next batch.

    pyoxigraph's bulk loader releases the GIL, and one call of at most
    BULK_BATCH_QUADS quads parses and then writes on a single thread (only a larger
    call, which would not be atomic, overlaps them): ``threads`` loads at a time keep
    both cores busy, as the raw loader does with one large load. Each call still
    commits as a whole, and holds whole graphs only, so the order in which two
    concurrent loads commit does not matter.

    :meth:`load` hands over a batch and returns at once unless a batch is already
    waiting: besides the one the caller fills, at most ``threads`` batches loading and
    one waiting are held. A batch the store refuses as data (an invalid term: a
    SyntaxError or ValueError, nothing of it committed) is loaded again graph by
    graph, so that one bad file never loses the others of its batch; the refused
    sources and the reasons are in :attr:`rejected`. Any other error (the store
    itself, a full disk) is raised by the next call of :meth:`load`, :meth:`wait`
    or :meth:`close`; after one, no further batch is loaded.
    """

    def __init__(self, store: KGStore, threads: int = 2) -> None:
        self._store = store
        self._count = max(1, threads)
        self._queue: queue.Queue[list[_Batched] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        #: source -> why the store refused its graph (written by the loader threads).
        self.rejected: dict[str, str] = {}

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is not None and self._error is None:
                    self._load(batch)
            except BaseException as error:  # handed to the main thread
                self._error = error
            finally:
                self._queue.task_done()
            if batch is None:
                return

    def _load(self, batch: list[_Batched]) -> None:
        try:
            if sum(item.quads for item in batch) > BULK_BATCH_QUADS:
                # Not one commit: the store records the graphs first (a crash is undone).
                self._store.load_new_graphs(
                    [item.nquads for item in batch], graphs=[item.graph for item in batch]
                )
            else:
                self._store.load_new_graphs(_union_once(batch))
            return
        except (SyntaxError, ValueError) as error:
            if len(batch) == 1:
                self.rejected[batch[0].source] = _first_line(error)
                return
        for item in batch:
            self._load([item])

    def load(self, batch: list[_Batched]) -> None:
        self._raise()
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._run, name=f"kg-bulk-load-{i}", daemon=True)
                for i in range(self._count)
            ]
            for thread in self._threads:
                thread.start()
        self._queue.put(batch)

    def wait(self) -> None:
        """Return when every batch handed over is loaded."""
        if self._threads:
            self._queue.join()
        self._raise()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _union_once(batch: Sequence[_Batched]) -> list[bytes | memoryview]:
    """The N-Quads of a batch of new graphs that commits as one, each default-graph triple once.

    Each graph's text carries its own copy of its triples for the union, and the graphs
    of one batch share many (a paper on the pages of a lab's members: its title, date,
    abstract, authors), about 15 % of the quads of a 10k-paper ingest; the bulk loader
    stores the default graph as a set, but parses and sorts every copy it is given, at
    about the cost of a quad it keeps. A copy is dropped here only when an equal line of
    the same batch goes before it: the load commits as a whole (else it is refused as a
    whole and loaded again graph by graph, each with all its copies), so the store gets
    exactly what all the copies would give. Not across batches: another batch may
    still be refused. A line is one statement (N-Quads has no line breaks inside one),
    so equal lines are the same triple.
    """
    if len(batch) < 2:
        return [item.nquads for item in batch]
    seen: set[bytes] = set()
    parts: list[bytes | memoryview] = []
    for item in batch:
        # The batch is kept for a refused load: its named graphs are read from it, not copied.
        parts.append(memoryview(item.nquads)[: item.triples_at])
        lines = item.nquads[item.triples_at :].split(b"\n")
        tail = lines.pop()  # b"" after the last newline
        fresh = [line for line in lines if line not in seen]
        seen.update(fresh)
        if fresh:
            parts.append(b"\n".join(fresh) + b"\n")
        if tail:
            parts.append(tail)
    return parts


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _refused(item: _Mapped | FileOutcome, error: BaseException | str) -> FileOutcome:
    """The outcome of a file whose graph the store refused (nothing of it stored)."""
    reason = error if isinstance(error, str) else _first_line(error)
    failure = ParseFailure(item.source, 0, f"the store refused this file's graph: {reason}")
    return FileOutcome(item.source, item.path, "failed", 0, (*item.failures, failure))


class PruneRefused(KGError):
    """A prune refused before anything was written (see :func:`ingest`)."""

    status, type, title = 409, "prune-refused", "Prune refused"


def _check_prune(
    paths: Sequence[str | os.PathLike[str]],
    files: Sequence[tuple[str, Path]],
    refused: Sequence[FileOutcome],
    known: Mapping[str, SourceState],
    prune_all: bool,
) -> None:
    """Refuse a prune whose picture of the corpus is wrong (see :func:`ingest`)."""
    absent = [str(path) for path in paths if not Path(path).exists()]
    if absent:
        # A missing folder's files would all look removed.
        raise PruneRefused(
            f"--prune needs every path to exist: no such file or folder: {', '.join(absent)}; "
            "nothing was changed"
        )
    # As the prune itself counts them: a refused name (a collision) keeps its stored graph.
    present = {source for source, _ in files} | {outcome.source for outcome in refused}
    if prune_all or not known or any(state.source in present for state in known.values()):
        return
    raise PruneRefused(
        f"--prune would remove all {len(known)} profiles the store holds (no file of this run "
        "is one of them): nothing was changed; check the paths, or add --allow-prune-all if "
        "every stored profile is to go"
    )


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: KGStore,
    *,
    scheme: IriScheme,
    as_of: date,
    prune: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
    resolution: ResolutionStep | None = None,
    publish: bool = True,
    limits: FileLimits | None = None,
    prune_history: bool = False,
    observer: GraphObserver | None = None,
    prune_all: bool = False,
) -> IngestReport:
    """Ingest profile files and folders into ``store``; see the module docstring.

    ``resolution`` decides identity (:class:`kg.pipeline.identity.IdentityResolution`;
    None: the plain name and title keys, no identity graph). ``limits``: the size and
    parse time a file may take (:mod:`kg.pipeline.limits`; None: the settings' defaults);
    a file over them fails on its own. ``observer`` is shown each graph written whole and
    told of every other write (:class:`kg.pipeline.steps.GraphObserver`).

    Never raises for bad input: each file's outcome is in the report. Raises
    :class:`kg.errors.StoreError` only when the store itself cannot be written, and
    :class:`PruneRefused`, before writing anything, for a ``prune`` that cannot be meant:
    with a path that does not exist, or one that would remove every stored profile and keep
    none (an empty or wrong folder) unless ``prune_all`` says it is meant.
    """
    writes_before = getattr(store, "writes", 0)
    paths = list(paths)
    files, missing = discover(paths)
    report = IngestReport(outcomes=list(missing))
    known = store.sources()
    if prune:
        _check_prune(paths, files, missing, known, prune_all)
    known_by_source = {state.source: state for state in known.values()}
    if observer is not None and known:
        observer.unseen(next(iter(known.values())).graph, "held before this ingest")
    dates = history.snapshot_dates(store, scheme)
    works = [
        _Work(
            source,
            str(path),
            known_by_source[source].sha256 if source in known_by_source else None,
            known_date=dates.get(source),
            stored_sha=known_by_source[source].sha256 if source in known_by_source else None,
        )
        for source, path in files
    ]
    parsed_at = datetime.now(UTC)
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    show = sys.stderr.isatty() if progress is None else progress
    limits = limits or DEFAULT_LIMITS

    # Identity resolution needs evidence across files: pass 1 (its prepare) reads them
    # all, then mapping (pass 2) uses its keys; sources it changes are mapped again.
    refused = _refused_older_copies(works, as_of)
    if refused:
        report.outcomes.extend(refused.values())
        works = [w for w in works if w.source not in refused]
    # An older crawl does not remove what the store holds from a later one: its later copy
    # says the page was there after this crawl.
    named = {source for source, _ in files}
    later_than_prune = {
        source: _not_pruned(source, day, as_of)
        for source, day in (dates.items() if prune else ())
        if source not in named and source in known_by_source and as_of < day
    }
    keys: MentionKeys | None = None
    if resolution is not None:
        plan = resolution.prepare(
            store,
            scheme,
            [(w.source, w.path, w.known_sha) for w in works],
            as_of=as_of,
            workers=workers,
            prune=prune,
            limits=limits,
            kept=refused.keys() | later_than_prune.keys(),
        )
        keys = plan.keys
        works = [replace(w, known_sha=None) if w.source in plan.remap else w for w in works]

    works = [
        w
        if w.source in known_by_source
        else _Work(w.source, w.path, w.known_sha, scheme.graph(w.source), w.known_date)
        for w in works
    ]
    mapping = _mapped_stream(works, scheme.base, as_of, parsed_at, workers, keys, limits)
    stream: Iterable[_Mapped] = mapping
    if show:
        from tqdm import tqdm

        stream = tqdm(stream, total=len(works), unit="file", desc="ingest", file=sys.stderr)

    batch: list[_Batched] = []
    batch_bytes = 0
    batch_quads = 0
    # Concurrent loads only into our own store: an external one (kg.store.remote) gets its
    # requests one at a time, as before.
    loader = _Loader(store, LOAD_THREADS if isinstance(store, KGStore) else 1)

    def flush_batch() -> None:
        nonlocal batch, batch_bytes, batch_quads
        if batch:
            loader.load(batch)
            batch, batch_bytes, batch_quads = [], 0, 0

    redated: list[str] = []
    try:
        for mapped in stream:
            if mapped.unchanged:
                if mapped.redate:
                    redated.append(mapped.source)
                report.outcomes.append(FileOutcome(mapped.source, mapped.path, "unchanged"))
                continue
            if not mapped.usable:
                report.outcomes.append(
                    FileOutcome(mapped.source, mapped.path, "failed", 0, mapped.failures)
                )
                continue
            if mapped.source in known_by_source:
                other = _other_owner(store, scheme.graph(mapped.source), mapped.owner)
                if other is not None:
                    reason = (
                        f"{mapped.source} is stored as the profile of {other}, but this file "
                        f"is the profile of {mapped.owner}: not replaced (a file name "
                        "identifies a profile; rename the file if it is another person)"
                    )
                    failure = ParseFailure(mapped.source, 0, reason)
                    report.outcomes.append(
                        FileOutcome(mapped.source, mapped.path, "failed", 0, (failure,))
                    )
                    continue
                loader.wait()  # a replacement reads the union: never beside a load
                keep = history.archive_update(
                    store,
                    scheme,
                    mapped.source,
                    as_of=as_of,
                    stored_sha=known_by_source[mapped.source].sha256,
                    new_sha=mapped.sha256,
                    new_lines=mapped.lines,
                )
                if observer is not None:
                    observer.unseen(scheme.graph(mapped.source), "replaced")
                try:
                    store.replace_graph(
                        scheme.graph(mapped.source),
                        mapped.lines,
                        before=keep,
                        before_touches=history.ARCHIVE_TOUCHES,
                    )
                except (SyntaxError, ValueError) as error:
                    # One transaction: the stored version is untouched; go on with the rest.
                    report.outcomes.append(_refused(mapped, error))
                    continue
                status: Status = "replaced"
            else:
                size, count = len(mapped.nquads), mapped.quads
                if batch_bytes + size > BULK_BATCH_BYTES or batch_quads + count > BULK_BATCH_QUADS:
                    flush_batch()
                batch.append(
                    _Batched(
                        mapped.source,
                        scheme.graph(mapped.source),
                        mapped.nquads,
                        count,
                        mapped.triples_at,
                    )
                )
                if observer is not None:
                    triples = mapped.nquads[mapped.triples_at :].decode("utf-8")
                    observer.graph(scheme.graph(mapped.source), triples.split("\n"))
                batch_bytes += size
                batch_quads += count
                status = "added"
            report.outcomes.append(
                FileOutcome(mapped.source, mapped.path, status, mapped.papers, mapped.failures)
            )
        flush_batch()
        # The last loads run in their threads: meanwhile, resolution prepares its writes
        # without the store (the identity graph's text).
        if resolution is not None:
            resolution.render(scheme)
    finally:
        # A failure part way (a load the store refused, a full disk) leaves the mapping
        # unfinished: its worker pool is shut down here, in this thread, not whenever the
        # cyclic collector reaches the generator, which may be in the pool's own manager
        # thread (it cannot join itself: an unraisable RuntimeError in a later ingest).
        mapping.close()
        loader.close()
    if loader.rejected:
        if observer is not None:
            observer.unseen(scheme.graph(min(loader.rejected)), "refused by the store")
        report.outcomes = [
            _refused(o, loader.rejected[o.source])
            if o.status == "added" and o.source in loader.rejected
            else o
            for o in report.outcomes
        ]

    if redated:
        # Copied again, unchanged: the current snapshot's date is this copy's, no history.
        if observer is not None:
            observer.unseen(scheme.graph(redated[0]), "redated")
        store.update(
            history.redate_update(scheme, redated, as_of, union_graph=store.union_graph),
            touches=history.REDATE_TOUCHES,
        )

    if prune:
        # A refused file (a name collision) still holds its name: its stored graph stays.
        present = {source for source, _ in files} | {o.source for o in missing}
        history_graphs = history.history_graphs(store, scheme) if prune_history else []
        for state in known.values():
            if state.source in later_than_prune:
                report.outcomes.append(later_than_prune[state.source])
            elif state.source not in present:
                if prune_history:
                    mine = [h for h in history_graphs if h.source == state.source]
                    keep = history.drop_update(mine, [scheme.history_head(state.source)])
                else:
                    keep = history.archive_update(
                        store, scheme, state.source, as_of=as_of, stored_sha=None, new_sha=None
                    )
                if observer is not None:
                    observer.unseen(state.graph, "removed")
                store.remove_graph(state.graph, before=keep, before_touches=history.ARCHIVE_TOUCHES)
                report.outcomes.append(FileOutcome(state.source, "", "removed"))

    if resolution is not None:
        resolution.publish(store, scheme, observer)
    # Nothing written, nothing published: the same checkpoint, ETags, dumps and
    # precomputed reports (an hourly cron job must not defeat every harvester's cache).
    # Unless an earlier ingest was killed between its writes and its publish: the files
    # are unchanged against the primary, but readers have not seen them yet.
    wrote = getattr(store, "writes", 1) != writes_before or getattr(
        store, "has_unpublished_writes", False
    )
    if (
        publish
        and store.folder is not None
        and (wrote or published_generation(store.folder) is None)
    ):
        report.generation = store.publish()
    return report

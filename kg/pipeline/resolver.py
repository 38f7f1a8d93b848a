"""Pass 1 of ingest (parse every file into summaries, resolve, write the identity graph's
text), in this process or in a process of its own.

Resolution reads the whole corpus at once. At 1M papers the ingest's process grew to 4.2 GB
while resolving, and kept 3.5 GB of it through mapping and loading, beside the store's
own loader: CPython gives memory back to the system only in whole arenas, and the few
objects that outlive resolution (its answer) pin most of them. So a
large ingest runs pass 1 in a child process (:class:`SeparateResolver`), which hands back
only what mapping needs (the alias-aware keys, a few MB) and writes the identity graph's
N-Triples to an anonymous temporary file; when it exits, all of its memory is the
system's again. A small ingest resolves here (:class:`LocalResolver`): the same
functions, without a process to start.

Both speak in two steps, because the ingest needs the store in between, and only the
ingest's process touches the store: :meth:`~LocalResolver.seen` parses the files and says
what each was (:class:`Seen`); the ingest then decides whether anything changed and which
stored summaries resolution also reads, hands them over (:meth:`~LocalResolver.submit`: a
:class:`Request`), lets its own references go, and waits for :meth:`~LocalResolver.result`
(:class:`Resolved`: the keys, and the stored sources the keys would map otherwise, told
where the stored summaries are). At 1M papers the ingest's process had held those
summaries, 2.6 GiB, beside the resolving child.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import multiprocessing
import multiprocessing.connection
import os
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from kg.identity.curation import Curation, curation_constraints
from kg.identity.resolve import (
    Listing,
    MentionKeys,
    Resolution,
    ResolveConfig,
    SourceSummary,
    resolve,
    summarize_apart,
)
from kg.normalize import name_key, title_key
from kg.pipeline.limits import FileLimits, FileTooLarge, parse_limited, read_limited
from kg.pipeline.sharing import SharedValues
from kg.pipeline.steps import FileToRead
from kg.pipeline.summaries import StoredSource
from kg.pipeline.workers import die_with_parent, worker_pool
from kg.rdf.identity_graph import identity_ntriples, input_digest_ntriple, unsettled_ntriples
from kg.rdf.iri import IriScheme
from kg.store.lifetime import libc

#: Below this many files, pass 1 parses in the resolving process itself.
PARALLEL_THRESHOLD = 64
#: From this many files (read and stored), pass 1 runs in a process of its own.
SEPARATE_THRESHOLD = 1000
#: Identity graph lines written to pass 1's file at once.
WRITE_BATCH = 65536
#: In pass 1's own process (and the parse workers it forks), every block of this many bytes
#: or more is a mapping of its own.
MMAP_THRESHOLD = 128 * 1024
#: glibc's mallopt(3) parameter for it.
_M_MMAP_THRESHOLD = -3


# --- what pass 1 reads -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summarised:
    """One file as pass 1 read it."""

    source: str
    sha256: str
    unchanged: bool
    summary: SourceSummary | None  # None: unreadable or no paper
    #: The abstract heads of the summary's listings, in their order (the listings hold none).
    abstracts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Seen:
    """What the ingest learns of one file from pass 1 (the summary stays with resolution)."""

    source: str
    sha256: str
    unchanged: bool
    usable: bool


def summarise_file(
    source: str, path: str, known_sha: str | None, as_of: date, limits: FileLimits
) -> Summarised:
    try:
        data = read_limited(path, source, limits)
    except (OSError, FileTooLarge):  # pass 2 reports it
        return Summarised(source, "", False, None)
    sha = hashlib.sha256(data).hexdigest()
    if sha == known_sha:
        return Summarised(source, sha, True, None)
    profile = parse_limited(data, source, as_of, limits)
    if not profile.papers:
        return Summarised(source, sha, False, None)
    summary, abstracts = summarize_apart(profile)
    return Summarised(source, sha, False, summary, abstracts if any(abstracts) else ())


def summarise_files(
    works: Sequence[FileToRead], as_of: date, workers: int, limits: FileLimits
) -> list[Summarised]:
    if workers <= 1 or len(works) < PARALLEL_THRESHOLD:
        return [summarise_file(s, p, k, as_of, limits) for s, p, k in works]
    shared = SharedValues()
    with worker_pool(workers) as pool:
        chunk = max(1, min(256, len(works) // (workers * 8)))
        return [
            _shared(done, shared)
            for done in pool.map(
                summarise_file,
                *zip(*works, strict=True),
                [as_of] * len(works),
                [limits] * len(works),
                chunksize=chunk,
            )
        ]


def _shared(done: Summarised, shared: SharedValues) -> Summarised:
    """``done`` (from a worker process: each text its own copy) with one object per equal
    name, title, abstract and date (:mod:`kg.pipeline.sharing`)."""
    s = done.summary
    if s is None:
        return done
    one = shared.one
    listings = tuple(
        Listing(
            li.source,
            li.line,
            one(li.title),
            one(li.date),
            shared.each(li.authors),
            li.truncated,
            one(li.abstract),
        )
        for li in s.listings
    )
    owner = one(s.owner) if s.owner else s.owner
    summary = SourceSummary(s.source, owner, s.owner_inferred, listings)
    return Summarised(
        done.source, done.sha256, done.unchanged, summary, shared.each(done.abstracts)
    )


# --- what resolution is asked and answers ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """What the ingest adds to the files' summaries for resolution."""

    #: The sources the store holds and keeps (not read again from files): their summaries
    #: and the IRIs their graphs use. Those IRIs' keys are preferred, and the graphs whose
    #: IRIs the answer would change are named in :attr:`Resolved.stale`.
    stored: tuple[StoredSource, ...]
    curation: Curation
    scheme: IriScheme
    config: ResolveConfig | None
    #: The identity graph's kg:inputDigest (its seal, written last).
    digest: str
    #: The sources whose files this ingest maps (read, or unchanged): a stale one among them
    #: is mapped again; one not among them is written down as unsettled.
    ingested: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Resolved:
    """Resolution's answer: the keys mapping uses, the problems to report, and the stored
    sources whose graphs these keys map to other IRIs than they hold (they are told here,
    where the stored summaries are, so that the ingest's process need not keep them)."""

    keys: MentionKeys
    problems: tuple[str, ...]
    stale: frozenset[str] = frozenset()


def resolve_request(
    fresh: Iterable[SourceSummary],
    request: Request,
    abstracts: Iterable[tuple[str, Sequence[str]]] = (),
) -> tuple[Resolution, list[str]]:
    """Resolve the fresh summaries with the stored ones: the resolution and the problems
    (curation's and resolution's warnings).
    ``abstracts``: the abstract heads of fresh listings that hold none, per source
    (:class:`Summarised`)."""
    summaries = sorted([*(st.summary for st in request.stored), *fresh], key=lambda s: s.source)
    stored_authors, stored_papers = _stored_iris(request.stored)
    # Every key of the data, for the pinned keys and curation only (a new store without a
    # curation file reads neither: 1M titles' keys at 1M papers, made again by resolution).
    asked = stored_authors or stored_papers or request.curation.entries
    author_keys, paper_keys = _all_keys(summaries) if asked else (set(), set())
    scheme = request.scheme
    # Without stored IRIs (a new store) no key is pinned: no IRI is made for every key.
    pinned_authors = {
        k
        for k in (author_keys if stored_authors else ())
        if scheme.author_from_key(k) in stored_authors
    }
    pinned_papers = {
        k
        for k in (paper_keys if stored_papers else ())
        if scheme.paper_from_key(k) in stored_papers
    }
    del stored_authors, stored_papers
    constraints, problems = curation_constraints(request.curation, scheme, author_keys, paper_keys)
    del author_keys, paper_keys
    resolution = resolve(
        summaries,
        pinned_authors=pinned_authors,
        pinned_papers=pinned_papers,
        constraints=constraints,
        config=request.config,
        abstracts=itertools.chain(_heads_given_up(request.stored), abstracts),
    )
    return resolution, problems + list(resolution.warnings)


def _heads_given_up(stored: Iterable[StoredSource]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The stored sources' abstract heads, each source's taken from it as it is given
    (the request outlives resolution: the stale sources are told from it after)."""
    for st in stored:
        heads, st.heads = st.heads, ()
        if heads:
            yield st.summary.source, heads


def _stored_iris(stored: Iterable[StoredSource]) -> tuple[set[str], set[str]]:
    """The author and the paper IRIs the stored graphs use."""
    authors: set[str] = set()
    papers: set[str] = set()
    for st in stored:
        for agents in st.agents:
            authors.update(agents)
        if st.owner_iri:
            authors.add(st.owner_iri)
        papers.update(st.papers)
    return authors, papers


def identity_lines(
    resolution: Resolution,
    scheme: IriScheme,
    digest: str,
    unsettled: Iterable[str] = (),
) -> Iterator[str]:
    """The identity graph's N-Triples, its kg:inputDigest last (a graph with it is complete),
    one line at a time; with the ``unsettled`` stored sources (kg:unsettledSource)."""
    yield from identity_ntriples(resolution, scheme)
    yield from unsettled_ntriples(scheme, unsettled)
    yield input_digest_ntriple(scheme, digest)


class IdentityFileError(RuntimeError):
    """Pass 1 could not write the identity graph to its temporary file (a full disk); the
    parent raises it again as an ``OSError``, which ``kg ingest`` reports in one line."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"writing the identity graph to a temporary file failed: {error}")
        self.errno = error.errno
        self.strerror = f"{error.strerror or error} (the identity graph's temporary file)"


def _write_lines(lines: Iterable[str], out: int) -> None:
    """Write ``lines`` to the file descriptor ``out`` as UTF-8, as they come (in batches,
    no buffer between). A failed write is an :class:`IdentityFileError` (in the child an
    ``OSError`` means that the parent is gone)."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= WRITE_BATCH:
            _write_batch(out, batch)
            batch.clear()
    _write_batch(out, batch)


def _write_batch(out: int, batch: list[str]) -> None:
    data = memoryview("".join(batch).encode("utf-8"))
    try:
        while data:
            data = data[os.write(out, data) :]
    except OSError as error:
        raise IdentityFileError(error) from error


def _all_keys(summaries: Iterable[SourceSummary]) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    titles: set[str] = set()
    for s in summaries:
        if s.owner:
            names.add(s.owner)
        for listing in s.listings:
            names.update(listing.authors)
            titles.add(listing.title)
    return {name_key(n) for n in names}, {title_key(t) for t in titles}


# --- where it runs -----------------------------------------------------------------------------


class LocalResolver:
    """Pass 1 in this process: the resolution and the identity graph's lines are kept here
    (:attr:`resolution`; the lines are made by :meth:`lines` when asked)."""

    def __init__(
        self, works: Sequence[FileToRead], as_of: date, workers: int, limits: FileLimits
    ) -> None:
        self._args = (works, as_of, workers, limits)
        self._fresh: list[SourceSummary] = []
        self._abstracts: dict[str, tuple[str, ...]] = {}
        self.resolution: Resolution | None = None
        self._request: Request | None = None
        self._unsettled: list[str] = []

    def seen(self) -> list[Seen]:
        done = summarise_files(*self._args)
        self._fresh = [s.summary for s in done if not s.unchanged and s.summary is not None]
        self._abstracts = {
            s.summary.source: s.abstracts
            for s in done
            if not s.unchanged and s.summary is not None and s.abstracts
        }
        return [Seen(s.source, s.sha256, s.unchanged, s.summary is not None) for s in done]

    def submit(self, request: Request) -> None:
        """Take the request (:meth:`result` resolves it)."""
        self._request = request

    def result(self) -> Resolved:
        request = self._request
        assert request is not None, "submit a request first"
        fresh, self._fresh = self._fresh, []
        abstracts, self._abstracts = self._abstracts, {}
        self.resolution, problems = resolve_request(fresh, request, _given_up(abstracts))
        keys = self.resolution.keys()
        stale = frozenset(
            st.summary.source for st in request.stored if st.is_stale(keys, request.scheme)
        )
        self._unsettled = sorted(stale - request.ingested)
        return Resolved(keys, tuple(problems), stale)

    def resolve(self, request: Request) -> Resolved:
        self.submit(request)
        return self.result()

    def lines(self, scheme: IriScheme) -> list[str]:
        """The identity graph's lines (for ``scheme``: the one prepare had, as a rule)."""
        return list(self.iter_lines(scheme))

    def iter_lines(self, scheme: IriScheme) -> Iterator[str]:
        """The identity graph's lines, made as they are taken."""
        assert self.resolution is not None and self._request is not None
        return identity_lines(self.resolution, scheme, self._request.digest, self._unsettled)

    def close(self) -> None:
        self._fresh = []
        self._abstracts = {}


def _given_up(held: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The pairs of ``held``, each taken out as it is given: once resolution has read them,
    nothing here keeps an abstract (resolution keeps those merge_papers reads, until then)."""
    while held:
        yield held.popitem()


class SeparateResolver:
    """Pass 1 in a child process (forked: it starts with this one's memory and needs
    nothing pickled but the request); the identity graph's lines for the request's scheme
    are written to an anonymous temporary file, read back line by line by :meth:`lines`.

    The child is killed with this process (:func:`kg.pipeline.workers.die_with_parent`),
    touches no store, and its failure is raised here as a RuntimeError with its traceback.
    """

    def __init__(
        self, works: Sequence[FileToRead], as_of: date, workers: int, limits: FileLimits
    ) -> None:
        self.resolution: Resolution | None = None  # the answer stays in the child
        # Anonymous (unlinked at once): nothing is left behind, whatever kills us.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="kg-identity-")  # noqa: SIM115
        self._scheme: IriScheme | None = None
        ours, theirs = multiprocessing.Pipe()
        self._conn = ours
        context = multiprocessing.get_context("fork")
        self._process = context.Process(
            target=_child,
            args=(theirs, os.getpid(), works, as_of, workers, limits, self._file.fileno()),
            name="kg-resolve",
        )
        self._process.start()
        theirs.close()

    def seen(self) -> list[Seen]:
        seen: list[Seen] = self._receive()
        return seen

    def submit(self, request: Request) -> None:
        """Send the request to the child (nothing of it is kept here: the ingest's process
        lets the stored summaries go while the child resolves)."""
        self._conn.send(request)
        self._scheme = request.scheme

    def result(self) -> Resolved:
        """Wait for the child's answer to the request sent."""
        resolved: Resolved = self._receive()
        self._stop()
        return resolved

    def lines(self, scheme: IriScheme) -> Iterator[str]:
        """The identity graph's lines, read from the file as they are taken (at 1M papers
        they were about 1 GB as one list): each call reads the file from the start."""
        if self._scheme is None or scheme.identity_graph() != self._scheme.identity_graph():
            raise RuntimeError("the identity graph was written for another IRI scheme")
        return _read_lines(self._file)

    def close(self) -> None:
        self._stop()
        self._file.close()

    def _receive(self) -> Any:
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._stop()
            raise RuntimeError(
                f"identity resolution's process ended without an answer "
                f"(exit code {self._process.exitcode}; out of memory?)"
            ) from None
        if kind == "error":
            self._stop()
            raise RuntimeError(f"identity resolution failed in its process:\n{value}")
        if kind == "oserror":
            self._stop()
            raise OSError(*value)
        return value

    def _stop(self) -> None:
        if self._process.is_alive() or self._process.exitcode is None:
            with contextlib.suppress(OSError):
                self._conn.send(None)  # "nothing more": the child ends
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._conn.close()


def _read_lines(file: IO[bytes]) -> Iterator[str]:
    """The lines of an N-Triples file, one at a time. Split at newlines only (an N-Triples
    line ends with one, and a literal holds none unescaped), not at every line boundary
    ``str.splitlines`` knows (U+2028 and the like may stand inside a literal)."""
    file.seek(0)
    for line in file:
        yield line.decode("utf-8")


def _return_large_blocks() -> None:
    """Have glibc map each large block (:data:`MMAP_THRESHOLD`) on its own, so that freeing it
    gives its memory back to the system at once.

    By default glibc raises that threshold to the largest block freed (up to 32 MiB): after
    the first large array or dict table of a step is freed, the next ones come from the heap,
    and the holes they leave there are never reused by Python's small objects (their arenas
    are mappings of their own). Pass 1 makes and drops such blocks at every step (numpy
    arrays of pairs, tables of a million keys); with the threshold fixed its peak at 1M papers
    was 46 MiB lower, its CPU within the spread of single runs. The parse workers it forks
    inherit the setting. Nothing to do off glibc."""
    with contextlib.suppress(OSError, AttributeError):
        libc().mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _child(
    conn: multiprocessing.connection.Connection,
    parent: int,
    works: Sequence[FileToRead],
    as_of: date,
    workers: int,
    limits: FileLimits,
    out: int,
) -> None:
    """The child of :class:`SeparateResolver`: pass 1, then resolution when asked."""
    die_with_parent(parent)
    try:
        _return_large_blocks()
        local = LocalResolver(works, as_of, workers, limits)
        conn.send(("ok", local.seen()))
        request = conn.recv()
        if request is None:
            return
        resolved = local.resolve(request)
        # Written as they are made: at 1M papers the lines held as a list (800 MB of text)
        # set pass 1's peak, 320 MiB above resolution's own.
        _write_lines(local.iter_lines(request.scheme), out)
        local.resolution = None
        conn.send(("ok", resolved))
        conn.recv()  # the parent's "nothing more" (or the pipe closed)
    except IdentityFileError as error:
        with contextlib.suppress(OSError):
            conn.send(("oserror", (error.errno, error.strerror)))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the parent is gone or stopped us
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()

"""Whole-graph dumps: gzip-compressed N-Quads, TriG and Turtle, with a manifest.

Used by ``kg export --dumps DIR`` and by the server's ``/dumps`` (which
regenerates them when the store's published checkpoint changes). No Flask here.

Layout of a dumps folder::

    DIR/current                      name of the newest complete generation
    DIR/<generation>/manifest.json   sizes, counts, SHA-256 and date of its files
    DIR/<generation>/kg.nq.gz        the files of :data:`DUMP_FORMATS`
    DIR/.tmp-<generation>-<random>/  a generation being written (never read)

A generation is written into a temporary folder, renamed into place as a
whole, and only then named in ``current`` (written to a temporary name and
``os.replace``-d). A reader that reads ``current`` and then a file of that
generation therefore never sees a half-written file, and a file already being
downloaded keeps its content when a newer generation replaces it (the old
folder is removed later; an open file outlives its name on POSIX systems).

Memory does not grow with the graph: :meth:`kg.store.embedded.KGStore.dump` streams
(pyoxigraph serialises as it reads), and the bytes go through gzip and
SHA-256 on their way to disk.

The store is read once, into the N-Quads file; the TriG and Turtle files are made from that
file (:func:`derive_dump`), not read from the store again. Reading the store costs a lookup
per term (a RocksDB read for every IRI and literal of every quad); parsing the N-Quads back
costs about a quarter of it, and gives the same bytes as a dump from the store (same order,
same serialiser; checked by the tests). At a million papers the N-Quads dump of the store
took half an hour. File names come from the fixed registry
:data:`DUMP_FORMATS`; the only other path component, the generation name, is
the store's checkpoint name, checked against :data:`GENERATION_PATTERN`.

The N-Quads and TriG dumps are the store's quads exactly: every named graph
(one per source file, ``graph/_identity``, and the profile history graphs
``graph/_history/...`` of kg.pipeline.history) and the default graph, which is the
materialised union of the source and identity graphs (see :mod:`kg.store.embedded`;
the history is not in it). Loading the N-Quads dump into an empty store gives the same
store. The Turtle dump is the default graph alone (the deduplicated union: the current
state, without history).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import pyoxigraph as ox

from kg import formats
from kg.errors import StoreError

CURRENT = "current"
MANIFEST = "manifest.json"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
#: Generations kept besides the current one (downloads in progress finish anyway).
KEEP_GENERATIONS = 2
#: Temporary folders older than this are leftovers of a crashed writer.
STALE_TMP_SECONDS = 6 * 3600
GENERATION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
#: gzip level: 6 is zlib's default, a good size/speed balance for RDF text.
COMPRESS_LEVEL = 6
_CHUNK = 1 << 20


class DumpableStore(Protocol):
    """What dumping needs of a store: :class:`kg.store.embedded.KGStore`, or any store
    with the same reading methods (an external SPARQL store)."""

    @property
    def generation(self) -> str | None: ...

    def count_quads(self) -> int: ...

    def query(self, sparql: str) -> Any: ...

    def dump(self, output: IO[bytes], fmt: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DumpFormat:
    """One kind of dump file, made from a format of :mod:`kg.formats` offered for dumps.

    ``store_format`` is the format key handed to :meth:`KGStore.dump`;
    ``media_type`` is the type of the *uncompressed* content (the file itself
    is ``application/gzip``).
    """

    key: str
    filename: str
    media_type: str
    store_format: str
    quads: bool
    title: str

    @property
    def extension(self) -> str:
        """``"nq.gz"`` for ``kg.nq.gz``."""
        return self.filename.split(".", 1)[1]

    @classmethod
    def of(cls, fmt: formats.Format) -> DumpFormat:
        what = (
            "every named graph (sources, identity, profile history) and the default (union) graph"
            if fmt.datasets
            else "the default graph (the union of all sources: the current state, no history)"
        )
        return cls(
            fmt.key,
            f"kg.{fmt.extension}.gz",
            fmt.media_type,
            fmt.key,
            fmt.datasets,
            f"{fmt.label}: {what}",
        )


#: The registry of dump files, in the order they are listed (the quad formats first).
DUMP_FORMATS: tuple[DumpFormat, ...] = tuple(DumpFormat.of(f) for f in formats.dump_formats())
BY_FILENAME: dict[str, DumpFormat] = {f.filename: f for f in DUMP_FORMATS}
BY_KEY: dict[str, DumpFormat] = {f.key: f for f in DUMP_FORMATS}
#: The file read from the store; the others are made from it (:func:`derive_dump`).
NQUADS = BY_KEY["nquads"]
GZIP_MEDIA_TYPE = "application/gzip"


@dataclass(frozen=True, slots=True)
class DumpFile:
    """One written dump file: what the listing and VoID say about it.

    ``statements`` is what the file holds: quads for N-Quads and TriG, triples
    for Turtle (``count_of`` says which).
    """

    key: str
    filename: str
    media_type: str
    size: int
    sha256: str
    statements: int
    count_of: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """A complete generation of dumps.

    ``triples`` counts the distinct triples of the default graph (the union),
    ``quads`` every quad in the store (named graphs and the default graph).
    ``generated`` is an ISO 8601 UTC timestamp.
    """

    generation: str
    generated: str
    triples: int
    quads: int
    files: tuple[DumpFile, ...]

    def file(self, key: str) -> DumpFile | None:
        return next((f for f in self.files if f.key == key), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = [asdict(f) for f in self.files]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """Raises KeyError, TypeError or ValueError for a malformed manifest."""
        files = tuple(DumpFile(**f) for f in data["files"])
        return cls(
            generation=str(data["generation"]),
            generated=str(data["generated"]),
            triples=int(data["triples"]),
            quads=int(data["quads"]),
            files=files,
        )


class _HashingWriter:
    """A binary sink that hashes and counts what passes through to ``raw``."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def check_generation(name: str) -> str:
    """The generation name if it is safe as a folder name; raises ValueError otherwise."""
    if not GENERATION_PATTERN.match(name):
        raise ValueError(f"not a valid dump generation name: {name!r}")
    return name


@contextlib.contextmanager
def _gzip_file(path: Path) -> Iterator[tuple[IO[bytes], _HashingWriter]]:
    """A gzip stream into ``path`` (synced when closed), with what hashes and counts the
    compressed bytes."""
    with path.open("wb") as raw:
        hashing = _HashingWriter(raw)
        # mtime=0 and no file name in the header: the same data gives the same bytes.
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=hashing, compresslevel=COMPRESS_LEVEL, mtime=0
        ) as compressed:
            yield compressed, hashing  # type: ignore[misc]
        raw.flush()
        os.fsync(raw.fileno())


def write_dump(store: DumpableStore, fmt: DumpFormat, path: Path) -> tuple[int, str]:
    """Stream one dump of ``store`` gzip-compressed into ``path``.

    Returns the compressed size and its SHA-256 (hex). The caller makes the
    file visible (this writes to ``path`` directly). Raises OSError on I/O
    errors.
    """
    with _gzip_file(path) as (compressed, hashing):
        store.dump(compressed, fmt.store_format)
    return hashing.size, hashing.digest.hexdigest()


def default_graph_triples(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    """The triples of the default graph among ``quads`` (in a dump: the union)."""
    return (q.triple for q in quads if isinstance(q.graph_name, ox.DefaultGraph))


def derive_dump(source: Path, fmt: DumpFormat, path: Path) -> tuple[int, str]:
    """Make one dump file from the gzip-compressed N-Quads dump ``source``, as
    :func:`write_dump` makes it from the store: every quad for a quad format, the default
    graph's triples otherwise.

    Returns the compressed size and its SHA-256 (hex). Raises OSError on I/O errors, and
    SyntaxError if ``source`` is not N-Quads.
    """
    with gzip.open(source, "rb") as nquads, _gzip_file(path) as (compressed, hashing):
        # Blank nodes keep their labels (rename_blank_nodes is off by default), so the
        # files name the same nodes alike.
        quads = ox.parse(nquads, ox.RdfFormat.N_QUADS)  # type: ignore[arg-type]
        statements = quads if fmt.quads else default_graph_triples(quads)
        ox.serialize(statements, compressed, formats.rdf_format(fmt.store_format))
    return hashing.size, hashing.digest.hexdigest()


def _count_triples(store: DumpableStore) -> int:
    row = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
    return int(row["n"].value)


def generate_dumps(
    store: DumpableStore, folder: str | os.PathLike[str], *, generation: str | None = None
) -> Manifest:
    """Write every dump of :data:`DUMP_FORMATS` for ``store`` into ``folder`` and make it current.

    ``generation`` defaults to the store's published checkpoint name (a store
    opened with :meth:`KGStore.open_readonly` has one). Holds ``folder/.lock``
    while writing, so two processes do not write the same generation twice;
    if the generation is already there it is reused. Raises StoreError for a
    store without a generation or a folder that cannot be written.

    >>> from kg.store.embedded import KGStore
    >>> store = KGStore.in_memory()
    >>> store.load_new_graphs(['<http://e/s> <http://e/p> "o" <http://e/g> .\\n'])
    >>> import tempfile; manifest = generate_dumps(store, tempfile.mkdtemp(), generation="1")
    >>> manifest.quads, [f.filename for f in manifest.files]
    (1, ['kg.nq.gz', 'kg.trig.gz', 'kg.ttl.gz'])
    """
    name = generation or store.generation
    if not name:
        raise StoreError("the store has no published generation to dump; pass generation=")
    try:
        check_generation(name)
    except ValueError as error:
        raise StoreError(str(error)) from error
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root, blocking=True):
            existing = _read_generation(root, name)
            if existing is not None:
                _point_current(root, name)
                return existing
            manifest = _write_generation(store, root, name)
            _point_current(root, name)
            _collect(root, keep=name)
            return manifest
    except OSError as error:
        raise StoreError(f"cannot write dumps into {root}: {error}") from error
    except (SyntaxError, EOFError, zlib.error) as error:
        # The N-Quads file read back for the other files (derive_dump) is damaged.
        raise StoreError(f"cannot make the dumps in {root} from their N-Quads: {error}") from error


def _write_generation(store: DumpableStore, root: Path, name: str) -> Manifest:
    tmp = root / f"{TMP_PREFIX}{name}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        quads = store.count_quads()
        triples = _count_triples(store)
        files: list[DumpFile] = []
        # The store is read once (see the module docstring): into the N-Quads file, from
        # which the other files are made.
        source = tmp / NQUADS.filename
        from_store = write_dump(store, NQUADS, source)
        for fmt in DUMP_FORMATS:
            if fmt is NQUADS:
                size, digest = from_store
            else:
                size, digest = derive_dump(source, fmt, tmp / fmt.filename)
            files.append(
                DumpFile(
                    key=fmt.key,
                    filename=fmt.filename,
                    media_type=fmt.media_type,
                    size=size,
                    sha256=digest,
                    statements=quads if fmt.quads else triples,
                    count_of="quads" if fmt.quads else "triples",
                )
            )
        manifest = Manifest(
            generation=name,
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
            triples=triples,
            quads=quads,
            files=tuple(files),
        )
        (tmp / MANIFEST).write_text(
            json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8"
        )
        target = root / name
        if target.exists():
            shutil.rmtree(target)  # a leftover without a readable manifest
        os.replace(tmp, target)
        return manifest
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _point_current(root: Path, name: str) -> None:
    pointer = root / f"{TMP_PREFIX}{CURRENT}-{secrets.token_hex(4)}"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, root / CURRENT)


def _read_generation(root: Path, name: str) -> Manifest | None:
    try:
        data = json.loads((root / name / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.generation != name:
        return None
    if not all((root / name / f.filename).is_file() for f in manifest.files):
        return None
    return manifest


def read_manifest(folder: str | os.PathLike[str]) -> Manifest | None:
    """The current generation's manifest, or None when there is no complete one."""
    root = Path(folder)
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
        check_generation(name)
    except (OSError, ValueError):
        return None
    return _read_generation(root, name)


def dump_path(folder: str | os.PathLike[str], manifest: Manifest, fmt: DumpFormat) -> Path:
    """Where the file of ``fmt`` of the generation ``manifest`` lies."""
    return Path(folder) / check_generation(manifest.generation) / fmt.filename


def generation_time(generation: str) -> datetime | None:
    """The time a store checkpoint was published, from its name (nanoseconds since the epoch)."""
    if not generation.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(generation) / 1e9, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(root: Path, *, blocking: bool) -> Iterator[bool]:
    with (root / LOCK).open("a") as handle:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _collect(root: Path, keep: str) -> None:
    """Remove superseded generations (keeping a few) and stale temporary folders."""
    now = time.time()
    generations = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and GENERATION_PATTERN.match(p.name)
    )
    for name in generations[:-KEEP_GENERATIONS]:
        if name != keep:
            shutil.rmtree(root / name, ignore_errors=True)
    for path in root.iterdir():
        if path.name.startswith(TMP_PREFIX):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()

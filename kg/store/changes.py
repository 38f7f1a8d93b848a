"""What the writes between two published checkpoints may have changed, by predicate.

A whole-graph report reads a few predicates (:mod:`kg.reports.incremental` finds them in
its query). When none of them changed since the checkpoint whose files were computed last,
its files are still right, and ``kg precompute`` carries them over instead of running the
query again (minutes at a million papers). So each write of :class:`kg.store.embedded.KGStore`
notes which predicates it may touch, in two parts of the dataset:

* ``default``: the default graph, the union of the source graphs, which a query reads
  outside ``GRAPH``;
* ``named``: the named graphs (source, history, identity graphs), read inside ``GRAPH``.

Either part is a set of predicate IRIs or :data:`ANY` (None: any predicate may have
changed). A write that cannot say what it touches (a SPARQL update given as text, a
load of arbitrary RDF) makes both :data:`ANY`. The notes are a superset of the real
changes: a predicate noted may be unchanged in the end (a triple deleted and inserted
again), never the other way round.

They are kept beside the store::

    DIR/changes/pending         written (and synced) before a writer's first write
    DIR/changes/<gen>.json      at publish: {"after": the checkpoint published before,
                                "default": [...] or "*", "named": [...] or "*"}

A writer that finds ``pending`` (an earlier writer wrote and never published: killed)
starts from :data:`ANY`, so the next record covers those unpublished writes too. A
checkpoint without a record (published by an older version, or killed between its
backup and its record) breaks the chain, and the next precompute computes every report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

#: The folder of a store that holds the change records.
CHANGES = "changes"
PENDING = "pending"
CHECKPOINTED = "checkpointed"
#: One part of the dataset where any predicate may have changed.
ANY: None = None
_ANY_JSON = "*"
#: The predicate of an N-Triples or N-Quads line whose subject is an IRI or a blank node.
#: (IRIs as N-Triples writes them: no space, no "<" inside; a quoted triple does not match.)
_PREDICATE = re.compile(rb"^(?:<[^<>\s]*>|_:[^\s<>]+) <([^<>\s]*)>(?: <([^<>\s]*)>)?", re.MULTILINE)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def key(predicate: str, obj: str | None = None) -> str:
    """What a statement is noted as: its predicate, and for ``rdf:type`` the class too
    (``"<rdf:type IRI> <class IRI>"``: most reports read the type of one class or two, and a
    changed paper or decision says nothing about profiles). A type whose class is not an IRI
    (or not known) is the bare ``rdf:type``: any class."""
    if predicate == RDF_TYPE and obj is not None:
        return f"{RDF_TYPE} {obj}"
    return predicate


def _key_of(match: re.Match[bytes]) -> str:
    obj = match.group(2)
    return key(match.group(1).decode("utf-8"), None if obj is None else obj.decode("utf-8"))


_GENERATION = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass(slots=True)
class Touched:
    """The predicates writes may have changed, in the default graph and in named graphs
    (:data:`ANY`: any)."""

    default: set[str] | None = field(default_factory=set)
    named: set[str] | None = field(default_factory=set)

    @classmethod
    def everything(cls) -> Touched:
        return cls(ANY, ANY)

    @property
    def is_everything(self) -> bool:
        return self.default is ANY and self.named is ANY

    def add(self, default: Iterable[str] | None = (), named: Iterable[str] | None = ()) -> None:
        """Note predicates (None: any) as touched in the default graph and in named graphs."""
        if default is ANY:
            self.default = ANY
        elif self.default is not ANY:
            self.default.update(default)
        if named is ANY:
            self.named = ANY
        elif self.named is not ANY:
            self.named.update(named)

    def merge(self, other: Touched) -> None:
        self.add(other.default, other.named)

    def to_json(self) -> dict[str, Any]:
        def part(value: set[str] | None) -> Any:
            return _ANY_JSON if value is ANY else sorted(value)

        return {"default": part(self.default), "named": part(self.named)}

    @classmethod
    def from_json(cls, data: Any) -> Touched:
        """Raises ValueError for anything but what :meth:`to_json` writes."""
        if not isinstance(data, dict):
            raise ValueError("not a change record")

        def part(value: Any) -> set[str] | None:
            if value == _ANY_JSON:
                return ANY
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return set(value)
            raise ValueError("not a change record")

        return cls(part(data.get("default")), part(data.get("named")))


def predicates_of_lines(lines: Iterable[str]) -> set[str]:
    """The predicates of N-Triples (or N-Quads) lines as the mapping and the store write them
    (one statement a line, the predicate an IRI after the subject's IRI or blank node).

    Raises ValueError for a line it cannot read: the caller notes :data:`ANY` then.
    """
    out: set[str] = set()
    for line in lines:
        match = _PREDICATE.match(line.encode("utf-8"))
        if match is None:
            if line.strip() and not line.lstrip().startswith("#"):
                raise ValueError(f"not an N-Triples statement: {line[:80]!r}")
            continue
        out.add(_key_of(match))
    return out


#: One named graph's distinct predicates, and the distinct objects of its rdf:type
#: statements: each answered inside the store (a scan of the graph's quads with no term
#: decoded but the answers', then the type statements alone through the GPOS index), not
#: read into Python quad by quad (the identity graph of 1M papers is millions of quads).
_GRAPH_PREDICATES = "SELECT DISTINCT ?g ?p WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH_CLASSES = f"SELECT DISTINCT ?g ?c WHERE {{ GRAPH ?g {{ ?s <{RDF_TYPE}> ?c }} }}"


def keys_of_graph(store: ox.Store, graph: str) -> set[str]:
    """What ``graph``'s statements are noted as (:func:`key`): the same set as the keys of
    each of its quads, from two ``SELECT DISTINCT`` queries (about 12x less CPU than
    reading the quads at 2M quads). ``?g`` is projected: pyoxigraph substitutes only
    projected variables."""
    bound: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable("g"): ox.NamedNode(graph)
    }
    found: set[str] = set()
    typed = False
    rows: Any = store.query(_GRAPH_PREDICATES, substitutions=bound)
    for row in rows:
        predicate = row["p"].value
        if predicate == RDF_TYPE:
            typed = True  # noted by its classes: the bare rdf:type only for a non-IRI one
        else:
            found.add(predicate)
    if typed:
        rows = store.query(_GRAPH_CLASSES, substitutions=bound)
        for row in rows:
            obj = row["c"]
            found.add(key(RDF_TYPE, obj.value if isinstance(obj, ox.NamedNode) else None))
    return found


def predicates_of_text(data: bytes) -> set[str] | None:
    """The predicates of N-Quads text (None when a statement line has none that can be read)."""
    found = [_key_of(match) for match in _PREDICATE.finditer(data)]
    statements = sum(
        1 for line in data.splitlines() if line.strip() and not line.lstrip().startswith(b"#")
    )
    return set(found) if statements == len(found) else None


#: New graphs' text scanned for predicates per writer handle, at most: past this much (a
#: re-ingest that adds most of a corpus), the scan stops and any predicate counts as touched.
SCAN_BYTES = 256 << 20


def tap_predicates(
    parts: Iterable[str | bytes | memoryview], touched: Touched
) -> Iterator[str | bytes | memoryview]:
    """Pass N-Quads text through, noting its predicates in ``touched`` (both parts of the
    dataset: a new graph's statements go into it and into the union) as they go by."""
    scanned = 0
    tail = b""
    for part in parts:
        if scanned <= SCAN_BYTES and not touched.is_everything:
            data = tail + (part.encode("utf-8") if isinstance(part, str) else bytes(part))
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            scanned += cut
            found = predicates_of_text(data[:cut])
            if found is None or scanned > SCAN_BYTES:
                touched.add(ANY, ANY)
            else:
                touched.add(found, found)
        yield part
    if tail.strip() and not touched.is_everything:
        found = predicates_of_text(tail)
        touched.add(ANY if found is None else found, ANY if found is None else found)


# -- records beside the store ---------------------------------------------------------------


def pending_path(folder: Path) -> Path:
    return folder / CHANGES / PENDING


def record_path(folder: Path, generation: str) -> Path | None:
    if not _GENERATION.match(generation):
        return None
    return folder / CHANGES / f"{generation}.json"


def mark_pending(folder: Path) -> None:
    """Say, durably, that the primary is being written and not yet published."""
    path = pending_path(folder)
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("writes not published yet\n")
        handle.flush()
        os.fsync(handle.fileno())


#: Records kept: the newest this many (a precompute walks back to the checkpoint whose
#: files it last wrote; a longer chain is simply computed again).
KEEP_RECORDS = 64


def clear_pending(folder: Path) -> None:
    """Say that every write of the primary is published."""
    with contextlib.suppress(FileNotFoundError):
        pending_path(folder).unlink()
    clear_checkpointed(folder)


def mark_checkpointed(folder: Path, generation: str) -> None:
    """Say, durably, that checkpoint ``generation`` holds every write of the primary (until
    the next write, which clears this): a writer killed before it published it (in the
    precompute that comes first) leaves it for the next one to publish as it is."""
    path = folder / CHANGES / CHECKPOINTED
    partial = path.with_suffix(".tmp")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def checkpointed(folder: Path) -> str | None:
    """The checkpoint :func:`mark_checkpointed` named, if no write came after it."""
    try:
        name = (folder / CHANGES / CHECKPOINTED).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if _GENERATION.match(name) else None


def clear_checkpointed(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / CHANGES / CHECKPOINTED).unlink()


def write_record(folder: Path, generation: str, after: str | None, touched: Touched) -> None:
    """Record what changed from checkpoint ``after`` to ``generation`` (made, perhaps not
    published yet: the pending mark stays until it is, :func:`clear_pending`); only the
    newest :data:`KEEP_RECORDS` records are kept."""
    path = record_path(folder, generation)
    if path is None:
        return
    path.parent.mkdir(exist_ok=True)
    body = {"format": 1, "generation": generation, "after": after, **touched.to_json()}
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
    os.replace(partial, path)
    for old in sorted(path.parent.glob("*.json"))[:-KEEP_RECORDS]:
        with contextlib.suppress(OSError):
            old.unlink()


def read_record(folder: Path, generation: str) -> tuple[str | None, Touched] | None:
    """The checkpoint published before ``generation`` and what changed since, or None
    when there is no readable record."""
    path = record_path(folder, generation)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != 1 or data.get("generation") != generation:
            return None
        after = data.get("after")
        if after is not None and not isinstance(after, str):
            return None
        return after, Touched.from_json(data)
    except (OSError, ValueError, AttributeError):
        return None


def changes_between(
    folder: Path, older: str, newer: str, *, steps: int = KEEP_RECORDS
) -> Touched | None:
    """What changed from checkpoint ``older`` to ``newer``: the records of every checkpoint
    published in between, merged; None when one is missing (then anything may have)."""
    touched = Touched()
    current = newer
    for _ in range(steps):
        if current == older:
            return touched
        record = read_record(folder, current)
        if record is None:
            return None
        after, step = record
        if after is None:
            return None  # the first checkpoint: ``older`` is not before it
        touched.merge(step)
        current = after
    return None

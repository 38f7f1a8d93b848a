"""Search documents from the triples an ingest writes, instead of reading them back.

A full build from the store (:mod:`kg.search.graph`) pays the store's decoding of every
IRI and literal it returns (about 5 µs each, a million at 30k papers). A ``kg ingest``
into an empty store has those triples in hand, as the N-Triples text it bulk-loads:
:class:`IngestedGraphs` (a :class:`kg.pipeline.steps.GraphObserver`) keeps, from that
text, the statements of the predicates the documents read
(:data:`kg.search.documents.READ_PREDICATES`; the abstracts, most of the text, are looked
up in the store a batch at a time: :data:`FROM_STORE`) and which entities each graph types, and
:class:`MemoryReader` answers the :class:`~kg.search.graph.GraphReader` lookups from
them. :mod:`kg.search.documents` folds the same statements with the same code, so the
documents are those a read from the store gives.

It stands for the store only when it saw the whole union (:meth:`IngestedGraphs.reader`):
every graph the store holds written whole in this run and shown to it, and nothing
replaced, removed, redated or refused (the ingest says so: :meth:`IngestedGraphs.unseen`).
Otherwise the index reads the store, as ``kg search-index`` always does.
"""

from __future__ import annotations

import gc
import re
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator

import pyoxigraph as ox

from kg.search.documents import ABSTRACT, READ_PREDICATES, TYPES
from kg.search.graph import RDF_TYPE, GraphReader, Term

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_TYPE_TOKEN = f"<{RDF_TYPE}>"
_KINDS = frozenset(TYPES.values())
#: Read from the store, not kept: the abstracts are most of the text (1.3 kB a paper, 1.3 GB
#: at a million papers, held in the ingest's process from its first load to the index); a
#: build looks up one batch's at a time, one index lookup a paper.
FROM_STORE = frozenset({ABSTRACT})
KEPT = READ_PREDICATES - FROM_STORE
#: The object of an rdf:type line, with its end, -> the searchable class it names.
_KIND_OF = {f"<{kind}> .": kind for kind in _KINDS}
#: ECHAR and UCHAR escapes of N-Triples (kg.rdf.map writes \\ \" \n \r; any is read).
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


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

    Holds, per predicate of READ_PREDICATES, each subject's literal values and linked IRIs
    (each IRI one string however often it occurs; repeats across graphs kept once), the
    members of each searchable class, and per graph the entities it types. An abstract is
    held once: the documents take the same string objects.
    """

    def __init__(self) -> None:
        self._wanted = {f"<{p}>": p for p in KEPT}
        self._wanted[_TYPE_TOKEN] = RDF_TYPE
        self.literals: dict[str, dict[str, list[Value]]] = {p: {} for p in KEPT}
        self.links: dict[str, dict[str, list[str]]] = {p: {} for p in KEPT}
        self.types: dict[str, set[str]] = {t: set() for t in _KINDS}
        self.mentions: dict[str, set[str]] = {}
        #: Why it cannot stand for the store (None: it can, if it saw every graph).
        self.broken: str | None = None
        #: CPU time spent taking triples in (the ingest's thread).
        self.cpu_seconds = 0.0
        self._names: dict[str, str] = {}
        #: Typed and language-tagged literals, by their text and suffix.
        self._typed: dict[tuple[str, str], Value] = {}
        self._datatypes: dict[str, ox.NamedNode] = {}

    # -- kg.pipeline.steps.GraphObserver ----------------------------------------------------------

    def graph(self, graph: str, lines: Iterable[str]) -> None:
        """A graph written whole, as N-Triples lines, taken one at a time as they come
        (the identity graph's are read from a file: never held here as one text)."""
        if self.broken is not None:
            return
        started = time.thread_time()
        # What is kept is many small objects without cycles (a million at 30k papers): the
        # cyclic collector, run by their allocation, would walk them all again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            if graph in self.mentions:
                self.broken = f"{graph} written twice"
            else:
                self.mentions[graph] = self._take(lines)
        except (ValueError, IndexError) as error:  # text the mapping never writes
            self.broken = f"{graph}: {error}"
        finally:
            if collecting:
                gc.enable()
        self.cpu_seconds += time.thread_time() - started
        if self.broken is not None:
            self._drop()

    def unseen(self, graph: str, why: str) -> None:
        """A graph written, replaced or removed without its text shown here."""
        if self.broken is None:
            self.broken = f"{graph}: {why}"
            self._drop()

    # -- reading --------------------------------------------------------------------------------

    def reader(self, graphs: Collection[str], base: GraphReader) -> MemoryReader | None:
        """A reader standing for a store whose union holds ``graphs`` (``base`` answers the
        rest), or None when this did not see exactly those graphs, whole."""
        if self.broken is not None or set(graphs) != self.mentions.keys():
            return None
        self._canonical()
        self._names = {}
        return MemoryReader(self, base)

    def _drop(self) -> None:
        self.literals = {p: {} for p in KEPT}
        self.links = {p: {} for p in KEPT}
        self.types = {t: set() for t in _KINDS}
        self._names, self._typed = {}, {}

    def _iri(self, token: str) -> str:
        """The IRI of an ``<...>`` token, one string per IRI however often it occurs."""
        iri = self._names.get(token)
        if iri is None:
            if token[0] != "<" or token[-1] != ">":
                raise ValueError(f"not an IRI: {token[:80]}")  # a blank node: no name to share
            iri = self._names[token] = unescape(token[1:-1])
        return iri

    def _typed_literal(self, token: str) -> Value:
        end = token.rfind('"')
        if end <= 0:
            raise ValueError(f"not a literal: {token[:80]}")
        suffix = token[end + 1 :]
        key = (token[1:end], suffix)
        found = self._typed.get(key)
        if found is None:
            value = unescape(token[1:end])
            if suffix.startswith("^^<") and suffix.endswith(">"):
                datatype: ox.NamedNode | None = self._datatype(unescape(suffix[3:-1]))
            elif suffix.startswith("@") or not suffix:
                datatype = None  # a language-tagged string reads as its text
            else:
                raise ValueError(f"not a literal: {token[:80]}")
            found = self._typed[key] = Value(value, datatype)
        return found

    def _datatype(self, iri: str) -> ox.NamedNode:
        node = self._datatypes.get(iri)
        if node is None:
            node = self._datatypes[iri] = ox.NamedNode(iri)
        return node

    def _canonical(self) -> None:
        """The store keeps a valid typed literal in its canonical form ("1"^^xsd:boolean reads
        back "true"): the distinct typed literals seen are put through a store once."""
        pending = [
            v
            for v in self._typed.values()
            if v.datatype is not None and v.datatype.value != _XSD_STRING
        ]
        if not pending:
            return
        store = ox.Store()
        predicate = ox.NamedNode("urn:kg:canonical")
        store.extend(
            ox.Quad(
                ox.NamedNode(f"urn:kg:canonical:{i}"),
                predicate,
                ox.Literal(v.value, datatype=v.datatype),
            )
            for i, v in enumerate(pending)
        )
        for quad in store.quads_for_pattern(None, predicate, None):
            number = int(str(getattr(quad.subject, "value", "")).rsplit(":", 1)[1])
            pending[number].value = str(getattr(quad.object, "value", pending[number].value))
        self._typed = {}

    def _take(self, lines: Iterable[str]) -> set[str]:
        """Keep the wanted statements of one graph's N-Triples lines; the entities it types."""
        wanted, literals, links, types = self._wanted, self.literals, self.links, self.types
        names, iri_of = self._names, self._iri
        kind_of = _KIND_OF
        typed: set[str] = set()
        for each in lines:
            line = each[:-1] if each[-1:] == "\n" else each  # as a split at newlines gives it
            if not line:
                continue
            subject, predicate, rest = line.split(" ", 2)
            name = wanted.get(predicate)
            if name is None:
                continue
            if rest[-2:] != " .":
                raise ValueError(f"not an N-Triples line: {line[:80]}")
            s = names.get(subject) or iri_of(subject)
            if name is RDF_TYPE:
                kind = kind_of.get(rest)
                if kind is not None:
                    types[kind].add(s)
                    typed.add(s)
                continue
            if rest[0] == '"':
                if rest[-3] == '"':  # a plain string, as the mapping writes most
                    text = rest[1:-3]
                    value = Value(unescape(text) if "\\" in text else text)
                else:
                    value = self._typed_literal(rest[:-2])
                held = literals[name].get(s)
                if held is None:
                    literals[name][s] = [value]
                else:
                    for other in held:  # the same statement from another graph: once
                        if other is value or (
                            other.value == value.value and other.datatype is value.datatype
                        ):
                            break
                    else:
                        held.append(value)
            else:
                token = rest[:-2]
                iri = names.get(token) or iri_of(token)
                linked = links[name].get(s)
                if linked is None:
                    links[name][s] = [iri]
                elif iri not in linked:
                    linked.append(iri)
        return typed


class MemoryReader:
    """The :class:`~kg.search.graph.GraphReader` of :class:`IngestedGraphs` (a full build's reads
    and an update's lookups alike); ``base`` answers the graphs, their fingerprints and the
    predicates not kept (:data:`FROM_STORE`)."""

    def __init__(self, ingested: IngestedGraphs, base: GraphReader):
        self.ingested = ingested
        self.base = base
        self._inverse: dict[str, dict[str, list[str]]] = {}

    def _check(self, predicate: str) -> None:
        if predicate not in self.ingested.literals:
            # Not kept: answering "nothing" would make other documents than the store's.
            raise KeyError(f"{predicate} is not among the predicates the search index reads")

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
        self._check(predicate)
        literals = self.ingested.literals[predicate]
        links = self.ingested.links[predicate]
        if objects is not None and subjects is None:
            inverse = self.scan_inverse(predicate)
            for o in objects:
                for s in inverse.get(o, ()):
                    yield s, ox.NamedNode(o)
            return
        for s in literals.keys() | links.keys() if subjects is None else subjects:
            for value in literals.get(s, ()):
                yield s, value
            for o in links.get(s, ()):
                if objects is None or o in objects:
                    yield s, ox.NamedNode(o)

    def _type_pairs(
        self, subjects: Collection[str] | None, objects: Collection[str] | None
    ) -> Iterator[tuple[str, Term]]:
        for kind, members in self.ingested.types.items():
            if objects is not None and kind not in objects:
                continue
            node = ox.NamedNode(kind)
            if subjects is None:
                for s in members:
                    yield s, node
            else:
                for s in subjects:
                    if s in members:
                        yield s, node
        unknown = set(objects or ()) - _KINDS
        if unknown:
            raise KeyError(f"only the searchable classes are kept, not {sorted(unknown)}")

    def scan(self, predicate: str) -> dict[str, list[Term]]:
        if predicate in FROM_STORE:
            return self.base.scan(predicate)
        self._check(predicate)
        literals = self.ingested.literals[predicate]
        links = self.ingested.links[predicate]
        if not links:
            return dict(literals)
        out: defaultdict[str, list[Term]] = defaultdict(list)
        for s, values in literals.items():
            out[s].extend(values)
        for s, iris in links.items():
            out[s].extend(ox.NamedNode(o) for o in iris)
        return dict(out)

    def scan_links(self, predicate: str) -> dict[str, list[str]]:
        if predicate in FROM_STORE:
            return self.base.scan_links(predicate)
        self._check(predicate)
        return self.ingested.links[predicate]

    def scan_inverse(self, predicate: str) -> dict[str, list[str]]:
        if predicate in FROM_STORE:
            return self.base.scan_inverse(predicate)
        self._check(predicate)
        inverse = self._inverse.get(predicate)
        if inverse is None:
            built: defaultdict[str, list[str]] = defaultdict(list)
            for s, iris in self.ingested.links[predicate].items():
                for o in iris:
                    built[o].append(s)
            inverse = self._inverse[predicate] = dict(built)
        return inverse

    def mentions(
        self, types: Collection[str], graphs: Collection[str] | None = None
    ) -> dict[str, set[str]]:
        if set(types) != _KINDS:
            raise KeyError("only the entities of the searchable classes are kept per graph")
        held = self.ingested.mentions
        return {g: set(held.get(g, ())) for g in (held if graphs is None else graphs)}

    def fingerprints(self) -> dict[str, str]:
        return self.base.fingerprints()

    def graphs(self) -> list[str]:
        return self.base.graphs()

"""What identity resolution reads of the sources the store already holds, and its cache.

Resolution sees the whole corpus (docs/identity.md, "Where it runs"): the summary of each
new or changed file (pass 1) and of every source the store already holds, read back with
three queries (listings, authorships, owners: :func:`stored_sources`). Reading them back
costs about 40 microseconds a row, 3 s of CPU at 10k papers, 10k and more rows a second
however few files changed; a monthly crawl that changes 10 % of the profiles paid it in
full (issue 18).

So a store folder keeps what was read in ``DIR/identity/summaries.jsonl``, each source
graph's summary under its *fingerprint*: the file's SHA-256 and the parse time its graph
records. Ingest rewrites a graph only by mapping a file again, which gives it a new parse
time, so a graph whose fingerprint is unchanged holds what was read (a source mapped again
from the same file, whose parse time alone, in whole seconds, would tell, leaves the cache
before it is rewritten: :func:`forget_sources`). The next ingest reads
only the graphs whose fingerprint moved (each graph alone when they are few) and takes the
rest from the file, then writes the file again for the graphs it kept. The file is a
cache: written beside itself and renamed into place (removed when that fails), ignored when
it is missing, unreadable or of another format, and a graph not found in it is read from
the store. It is JSON Lines (a
header, then one line per graph), read and written a line at a time: at 1M papers it holds
833 MB, and reading it whole, then writing it as one string, took a re-crawl's ingest to
7.7 GiB resident (docs/benchmark.md, "The reports over time at 1M, and a 1M re-crawl"). A graph edited in
place by a SPARQL update (keeping its checksum and parse time) is not seen as changed:
delete the file, or ingest the profile again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.identity.resolve import Listing, MentionKeys, SourceSummary
from kg.pipeline.sharing import SharedValues
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore

#: The cache file, under the store folder.
CACHE_FILE = Path("identity") / "summaries.jsonl"
#: The file of format 1, one JSON document (read whole): removed when the cache is written.
_FORMAT_1_FILE = Path("identity") / "summaries.json"
#: Its format: a file of another format is ignored (and replaced by the next ingest).
CACHE_FORMAT = 2
#: Missing graphs are read one by one (a query per graph and kind, a few ms each) when
#: they are at most this share of the store's sources; else with the three whole-store queries.
ONE_BY_ONE_SHARE = 0.25

_LISTINGS = (
    sparql_prologue()
    + """
SELECT ?g ?paper ?title ?date ?trunc (SUBSTR(STR(?abs), 1, 300) AS ?head) WHERE {
  GRAPH ?g {
    ?snap kg:listsPaper ?paper .
    ?paper dcterms:title ?title ; kg:authorListTruncated ?trunc .
    OPTIONAL { ?paper dcterms:date ?date }
    OPTIONAL { ?paper dcterms:abstract ?abs }
  }
}"""
)
_AUTHORSHIPS = (
    sparql_prologue()
    + """
SELECT ?g ?paper ?pos ?name ?agent WHERE {
  GRAPH ?g {
    ?paper prov:qualifiedAttribution ?a .
    ?a schema:position ?pos ; kg:writtenName ?name ; prov:agent ?agent .
  }
}"""
)
_OWNERS = (
    sparql_prologue()
    + """
SELECT ?g ?owner ?name ?label ?inferred WHERE {
  GRAPH ?g {
    ?snap a kg:ProfileSnapshot ; kg:ownerInferred ?inferred .
    OPTIONAL { ?snap rdfs:label ?label }
    OPTIONAL { ?snap foaf:primaryTopic ?owner . ?owner schema:name ?name }
  }
}"""
)
_FINGERPRINTS = (
    sparql_prologue() + "SELECT ?g ?sha ?at WHERE { GRAPH ?g { ?g a kg:SourceDocument . "
    "OPTIONAL { ?g kg:sha256 ?sha } OPTIONAL { ?g prov:generatedAtTime ?at } } }"
)


@dataclass
class StoredSource:
    """A source graph as the store holds it: its summary and the IRIs it used.

    The IRIs are kept per listing, in the summary's order, not in a table keyed by title,
    position and name: at 1M papers that table (3.5M authorships) was most of the summaries'
    memory in a re-crawl. The strings are shared where the same text comes back
    (:class:`kg.pipeline.sharing.SharedValues`): a name or an author IRI stands in many listings."""

    graph: str
    summary: SourceSummary
    #: Per listing: the IRI of its paper.
    papers: tuple[str, ...] = ()
    #: Per listing: its authors' IRIs, by position (as its ``authors``).
    agents: tuple[tuple[str, ...], ...] = ()
    owner_iri: str | None = None
    #: Per listing: the head of its abstract ("" if none). The summary's listings hold none,
    #: as those of files do (:func:`kg.identity.records.summarize_apart`): resolution reads
    #: them in one step, and :func:`kg.pipeline.resolver.resolve_request` takes them from
    #: here as it gives them (300 MB at 1M papers, else held through every step).
    heads: tuple[str, ...] = ()

    def is_stale(self, keys: MentionKeys, scheme: IriScheme) -> bool:
        """Would ``keys`` map this graph to other IRIs than it has?"""
        bound = keys.bind()
        owner = self.summary.owner
        if (
            owner
            and self.owner_iri
            and scheme.author_from_key(bound.author_key(owner)) != self.owner_iri
        ):
            return True
        for listing, paper, agents in zip(
            self.summary.listings, self.papers, self.agents, strict=True
        ):
            # The title first: it sets the paper the authors' keys are asked for.
            if scheme.paper_from_key(bound.title_paper_key(listing.title)) != paper:
                return True
            for written, agent in zip(listing.authors, agents, strict=True):
                if scheme.author_from_key(bound.author_key(written)) != agent:
                    return True
        return False


def stored_sources(
    store: KGStore,
    scheme: IriScheme,
    graphs: Iterable[str],
    *,
    one_by_one: bool = False,
    shared: SharedValues | None = None,
) -> dict[str, StoredSource]:
    """Summaries of the given source graphs, read back from the store: three whole-store
    queries, or (``one_by_one``) three queries per graph, which read the same rows of it.
    ``shared``: the texts met already (one object per text; a new table if None)."""
    shared = shared or SharedValues()
    wanted: dict[str, str] = {}
    for g in graphs:
        source = scheme.source_of_graph(g)
        if source is not None:
            wanted[g] = source
    if not wanted:
        return {}

    def rows(query: str) -> Iterator[Any]:
        if not one_by_one:
            yield from store.query(query)
            return
        for g in wanted:
            yield from store.query(query, substitutions={"g": ox.NamedNode(g)})

    papers: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    text = shared.one
    for row in rows(_LISTINGS):
        g = row["g"].value
        if g not in wanted:
            continue
        paper = text(row["paper"].value)
        entry = papers[g].setdefault(
            paper, {"titles": set(), "date": None, "trunc": False, "head": "", "authors": {}}
        )
        entry["titles"].add(text(row["title"].value))
        if row["date"] is not None:
            with contextlib.suppress(ValueError):
                entry["date"] = shared.day(row["date"].value)
        entry["trunc"] = row["trunc"].value == "true"
        if row["head"] is not None:
            entry["head"] = text(row["head"].value)
    for row in rows(_AUTHORSHIPS):
        g = row["g"].value
        if g not in wanted:
            continue
        held = papers[g].get(row["paper"].value)
        if held is not None:
            held["authors"][int(row["pos"].value)] = (
                text(row["name"].value),
                text(row["agent"].value),
            )
    owners: dict[str, tuple[str | None, str | None, bool]] = {}
    for row in rows(_OWNERS):
        g = row["g"].value
        if g not in wanted:
            continue
        source = wanted[g]
        label = row["label"].value if row["label"] is not None else ""
        name = row["name"].value if row["name"] is not None else None
        owner = row["owner"].value if row["owner"] is not None else None
        previous = owners.get(g)
        # The snapshot's label is "Profile of NAME (SOURCE)": prefer the name it shows.
        if previous is None or (name and label == f"Profile of {name} ({source})"):
            owners[g] = (name, owner, row["inferred"].value == "true")
    out: dict[str, StoredSource] = {}
    for g, source in wanted.items():
        name, owner_iri, inferred = owners.get(g, (None, None, False))
        listings, listed_papers, listed_agents, heads = [], [], [], []
        for paper, entry in sorted(papers.get(g, {}).items()):
            ordered = [entry["authors"][p] for p in sorted(entry["authors"])]
            written = tuple(n for n, _ in ordered)
            agents = tuple(a for _, a in ordered)
            for title in sorted(entry["titles"]):
                listings.append(Listing(source, 0, title, entry["date"], written, entry["trunc"]))
                listed_papers.append(paper)
                listed_agents.append(agents)
                heads.append(entry["head"])
        out[source] = StoredSource(
            g,
            SourceSummary(source, name, inferred, tuple(listings)),
            tuple(listed_papers),
            tuple(listed_agents),
            owner_iri,
            tuple(heads),
        )
    return out


def fingerprints(store: KGStore) -> dict[str, str]:
    """Per source graph, its file's SHA-256 and its parse time (all of them, should a graph
    hold several): what changes whenever ingest writes the graph."""
    out: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_FINGERPRINTS):
        sha = row["sha"].value if row["sha"] is not None else ""
        at = row["at"].value if row["at"] is not None else ""
        out[row["g"].value].add(f"{sha}@{at}")
    return {g: "|".join(sorted(values)) for g, values in out.items()}


def cached_sources(
    store: KGStore, scheme: IriScheme, graphs: Iterable[str]
) -> dict[str, StoredSource]:
    """:func:`stored_sources` of ``graphs``, taking those whose fingerprint is unchanged from
    the store folder's cache (see the module docstring), and writing the cache again.
    A store that is no folder (in memory, external) is read whole, as before."""
    wanted = list(graphs)
    folder = getattr(store, "folder", None)
    if folder is None or not wanted:
        return stored_sources(store, scheme, wanted)
    path = Path(folder) / CACHE_FILE
    prints = fingerprints(store)
    asked = set(wanted)
    out: dict[str, StoredSource] = {}
    taken: set[str] = set()
    shared = SharedValues()
    with _Rewrite(path, scheme.base) as rewrite:
        for graph, fingerprint, entry, line in _read(path, scheme.base):
            stored = None
            if graph in asked and graph not in taken and fingerprint == prints.get(graph):
                stored = _decode(graph, entry, shared)
            if stored is None:
                rewrite.changed = True  # left out of the file written again
                continue
            out[stored.summary.source] = stored
            taken.add(graph)
            rewrite.write(line)  # as it was read, not encoded again
        missing = [g for g in wanted if g not in taken]
        if missing:
            rewrite.changed = True
            one_by_one = len(missing) <= ONE_BY_ONE_SHARE * max(1, len(prints))
            read = stored_sources(store, scheme, missing, one_by_one=one_by_one, shared=shared)
            for stored in read.values():
                out[stored.summary.source] = stored
                if stored.graph in prints:
                    rewrite.write(_line(stored.graph, prints[stored.graph], _encode(stored)))
    # In the order the graphs were asked for, as stored_sources gives them.
    order = {g: i for i, g in enumerate(wanted)}
    return dict(sorted(out.items(), key=lambda item: order[item[1].graph]))


def forget_sources(store: KGStore, scheme: IriScheme, graphs: Iterable[str]) -> None:
    """Drop ``graphs`` from the store folder's cache: ingest is about to write them again
    from the same file (a remap), which moves their fingerprint only by the parse time,
    in whole seconds: two ingests in one second would leave the old entry looking current."""
    folder = getattr(store, "folder", None)
    doomed = set(graphs)
    if folder is None or not doomed:
        return
    path = Path(folder) / CACHE_FILE
    if not path.is_file():
        return
    with _Rewrite(path, scheme.base) as rewrite:
        for graph, _fingerprint, _entry, line in _read(path, scheme.base):
            if graph in doomed:
                rewrite.changed = True
            else:
                rewrite.write(line)


def _encode(stored: StoredSource) -> list[Any]:
    summary = stored.summary
    listings = [
        [
            listing.title,
            listing.date.isoformat() if listing.date else None,
            list(listing.authors),
            list(agents),
            listing.truncated,
            head,
            paper,
        ]
        for listing, paper, agents, head in zip(
            summary.listings, stored.papers, stored.agents, stored.heads, strict=True
        )
    ]
    return [summary.source, summary.owner, summary.owner_inferred, stored.owner_iri, listings]


def _decode(graph: str, data: Any, shared: SharedValues) -> StoredSource | None:
    """The entry :func:`_encode` wrote, or None if it is malformed."""
    try:
        return _decoded(graph, data, shared)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _decoded(graph: str, data: Any, shared: SharedValues) -> StoredSource:
    source, owner, inferred, owner_iri, rows = data
    text, texts = shared.one, shared.each
    listings, papers, agents_of, heads = [], [], [], []
    for title, day, authors, agents, truncated, head, paper in rows:
        if len(authors) != len(agents):
            raise ValueError("a listing's authors and their IRIs differ in number")
        listings.append(
            Listing(
                source,
                0,
                text(title),
                shared.day(day) if day else None,
                texts(authors),
                truncated,
            )
        )
        papers.append(text(paper))
        agents_of.append(texts(agents))
        heads.append(text(head))
    summary = SourceSummary(source, owner, inferred, tuple(listings))
    return StoredSource(graph, summary, tuple(papers), tuple(agents_of), owner_iri, tuple(heads))


def _header(base: str) -> bytes:
    return json.dumps({"format": CACHE_FORMAT, "base": base}).encode("utf-8") + b"\n"


def _line(graph: str, fingerprint: str, entry: list[Any]) -> bytes:
    return json.dumps([graph, fingerprint, entry], ensure_ascii=False).encode("utf-8") + b"\n"


def _read(path: Path, base: str) -> Iterator[tuple[str, str, Any, bytes]]:
    """The cache's entries, a line at a time: (graph, fingerprint, entry, the line); none if
    the file is missing, unreadable, of another format or of another base IRI. A line that
    is not an entry is skipped (its graph is read from the store)."""
    try:
        with path.open("rb") as lines:
            try:
                header = json.loads(next(lines, b"null"))
            except ValueError:
                return
            if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
                return
            if header.get("base") != base:
                return
            for line in lines:
                try:
                    graph, fingerprint, entry = json.loads(line)
                except (ValueError, TypeError):
                    continue
                if isinstance(graph, str) and isinstance(fingerprint, str):
                    yield graph, fingerprint, entry, line
    except OSError:
        return


def _load(path: Path, base: str) -> dict[str, Any]:
    """The cache's entries, graph -> [fingerprint, entry], all at once (for inspection)."""
    return {graph: [print_, entry] for graph, print_, entry, _line in _read(path, base)}


class _Rewrite:
    """The cache written again beside itself, a line at a time, and renamed into place on
    leaving the ``with`` block when :attr:`changed` (else left as it was). A cache: a failure
    only loses it."""

    def __init__(self, path: Path, base: str):
        self.path, self.base = path, base
        self.partial = path.with_name(path.name + ".tmp")
        self.changed = False
        self._file: Any = None

    def __enter__(self) -> _Rewrite:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.partial.open("wb")
            self._file.write(_header(self.base))
        except OSError:
            self._file = None
        return self

    def write(self, line: bytes) -> None:
        if self._file is not None:
            try:
                self._file.write(line if line.endswith(b"\n") else line + b"\n")
            except OSError:  # a full disk: the file is not written (see __exit__)
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        written = False
        try:
            if self._file is not None:
                self._file.close()
                if kind is None and self.changed:
                    os.replace(self.partial, self.path)
                    written = True
                    # The cache of format 1, one JSON document of the same entries.
                    (self.path.parent.parent / _FORMAT_1_FILE).unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                self.partial.unlink()
            if kind is None and self.changed and not written:
                # Not brought up to date (a full disk, a read-only folder): it goes, so that
                # no entry it should have dropped is taken for current (a graph mapped again
                # from the same file within one second, forget_sources).
                with contextlib.suppress(OSError):
                    self.path.unlink()

"""Identity resolution in the store: the resolution pass of ingest and the decision report.

:mod:`kg.identity.resolve` decides (pure records), :mod:`kg.identity.curation` reads
the curation file and :mod:`kg.rdf.identity_graph` writes the decisions as RDF; this
module connects them to ingest and to the store:

* :class:`IdentityResolution` is the resolution step of ingest
  (:class:`kg.pipeline.steps.ResolutionStep`). Before mapping,
  :meth:`~IdentityResolution.prepare` (pass 1) summarises the new and changed files
  (in worker processes; a large ingest in a process of its own: :mod:`kg.pipeline.resolver`),
  reads what the store already holds (:mod:`kg.pipeline.summaries`:
  the graphs rewritten since the last ingest from the store, the rest from its cache),
  resolves, and hands ingest the alias-aware keys for pass 2 (mapping) plus the
  unchanged sources whose graphs the new decisions change. After loading,
  :meth:`~IdentityResolution.publish` replaces the identity graph ``graph/_identity``
  (atomically, or in sealed pieces when large: :meth:`KGStore.replace_large_graph`).
* :func:`decision_report` reads the decisions back (``kg resolve --report``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from kg.identity.curation import load_curation
from kg.identity.resolve import Resolution, ResolveConfig
from kg.pipeline.limits import DEFAULT_LIMITS, FileLimits
from kg.pipeline.resolver import SEPARATE_THRESHOLD, LocalResolver, Request, SeparateResolver
from kg.pipeline.steps import FileToRead, GraphObserver, IdentityPlan
from kg.pipeline.summaries import (
    cached_sources,
    forget_sources,
    stored_sources,
)
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore
from kg.store.lifetime import release_memory

log = logging.getLogger(__name__)

#: Part of the identity graph's kg:inputDigest: a new resolver version resolves again.
RESOLVER_VERSION = "2"


def input_digest(sources: Mapping[str, str], curation: Iterable[str]) -> str:
    """The digest of what resolution reads: resolver version, (source, SHA-256) pairs, curation."""
    h = hashlib.sha256(f"kg-resolve {RESOLVER_VERSION}\n".encode())
    for source, sha in sorted(sources.items()):
        h.update(f"source {source} {sha}\n".encode())
    for entry in sorted(curation):
        h.update(f"curation {entry}\n".encode())
    return h.hexdigest()


# --- what the store already holds (read by kg.pipeline.summaries) ---------------------------


# --- the step ------------------------------------------------------------------------------


class IdentityResolution:
    """Resolution as a step of ingest (a :class:`kg.pipeline.steps.ResolutionStep`; see the
    module docstring).

    ``curation`` is a curation file (None: none). ``config`` tunes
    :mod:`kg.identity.resolve`. After an ingest, :attr:`resolution`, :attr:`problems`
    and :attr:`stale_elsewhere` say what happened; :attr:`resolution` is None when pass 1
    ran in a process of its own (from :data:`kg.pipeline.resolver.SEPARATE_THRESHOLD`
    files: its decisions are in the identity graph).
    """

    def __init__(
        self, curation: str | os.PathLike[str] | None = None, config: ResolveConfig | None = None
    ) -> None:
        self.curation_path = curation
        self.config = config
        self.resolution: Resolution | None = None
        self.problems: list[str] = []
        self.stale_elsewhere: list[str] = []
        self._display: dict[str, str] = {}
        self._titles: dict[str, str] = {}
        self._skip = False
        self.digest = ""
        #: (identity graph, its lines: a list, or read from pass 1's file as taken) once
        #: rendered for the current resolution.
        self._rendered: tuple[str, Iterable[str]] | None = None
        #: Pass 1 of the current ingest, until its graph is published.
        self._resolver: LocalResolver | SeparateResolver | None = None

    def prepare(
        self,
        store: KGStore,
        scheme: IriScheme,
        works: Sequence[FileToRead],
        *,
        as_of: date,
        workers: int = 1,
        prune: bool = False,
        limits: FileLimits | None = None,
        kept: Collection[str] = (),
    ) -> IdentityPlan:
        """Pass 1 of ingest: resolve over the files ``works`` (source, path, stored SHA-256)
        and the rest of the store (``kept``: named but kept as stored). Never raises for bad
        input."""
        self._rendered = None
        self._close_resolver()
        curation = load_curation(self.curation_path)
        states = store.sources().values()
        known = {state.source: state.graph for state in states}
        files = {source for source, _, _ in works}
        present = files | set(kept)
        removed = {s for s in known if prune and s not in present}
        stored_digest = self._stored_digest(store, scheme) if known else None
        # A large pass 1 runs in a process of its own, whose memory all goes back to the
        # system when it ends (kg.pipeline.resolver); a small one here.
        apart = len(works) + len(known) >= SEPARATE_THRESHOLD
        kind = SeparateResolver if apart else LocalResolver
        resolver = kind(works, as_of, workers, limits or DEFAULT_LIMITS)
        self._resolver = resolver
        try:
            seen = resolver.seen()
            fresh = {p.source: p.sha256 for p in seen if not p.unchanged and p.usable}
            # The files this ingest maps: read, or unchanged (a file that cannot be read
            # leaves its stored graph as it is).
            mapped = {p.source for p in seen if p.unchanged or p.usable}
            # What the store will hold after this ingest, and so what resolution reads.
            after = {state.source: state.sha256 for state in states if state.source not in removed}
            after.update(fresh)
            self.digest = input_digest(after, curation.texts)
            if after and self.digest == stored_digest:
                unsettled = self._unsettled(store, scheme)
                # Nothing new to resolve, unless a source the last resolution could not map
                # again is here now: then it is resolved again and mapped.
                if not mapped.intersection(unsettled):
                    self._skip = True
                    self.problems = list(curation.problems)
                    self.stale_elsewhere = [s for s in unsettled if s in known]
                    self._tell_stale_elsewhere()
                    self._close_resolver()
                    return IdentityPlan(skipped=True)
            self._skip = False
            # Source -> graph from the store's list, made before the summaries are read: a
            # string read with them would pin their memory once they are let go (CPython
            # returns it in whole arenas), 1.0 GB at 1M papers.
            graph_of = {s: g for s, g in known.items() if s not in fresh and s not in removed}
            stored = cached_sources(store, scheme, list(graph_of.values()))
            request = Request(
                tuple(stored.values()),
                curation,
                scheme,
                self.config,
                self.digest,
                frozenset(mapped),
            )
            # Sent, then let go while resolution runs: at 1M papers this process held the
            # stored summaries (2.6 GiB) beside the resolving child (docs/benchmark.md).
            del stored
            resolver.submit(request)
            del request
            release_memory()
            resolved = resolver.result()
        except BaseException:
            self._close_resolver()
            raise
        self.resolution = resolver.resolution
        self.problems = list(resolved.problems)
        keys = resolved.keys
        stale = [source for source in graph_of if source in resolved.stale]
        remap = {source for source in stale if source in mapped}
        # Written down in the identity graph (kg:unsettledSource) by the resolver.
        self.stale_elsewhere = [source for source in stale if source not in mapped]
        for problem in self.problems:
            log.warning("identity: %s", problem)
        self._tell_stale_elsewhere()
        if remap:
            # Mapped again from the same file: their fingerprint moves only with the parse
            # time, which two ingests in one second share; so they leave the cache now.
            forget_sources(store, scheme, [graph_of[source] for source in remap])
        return IdentityPlan(keys=keys, remap=frozenset(remap))

    def render(self, scheme: IriScheme) -> None:
        """Write the identity graph's text ahead of :meth:`publish` (ingest calls this
        while its last bulk loads run; the store is written only by :meth:`publish`).
        Pass 1 in a process of its own wrote it already: its lines stay in their file,
        read piece by piece as the store takes them."""
        if self._skip or self._resolver is None or self._rendered is not None:
            return
        self._rendered = (scheme.identity_graph(), self._resolver.lines(scheme))

    def publish(
        self, store: KGStore, scheme: IriScheme, observer: GraphObserver | None = None
    ) -> None:
        """After loading: replace the identity graph with the decisions (one transaction, or
        bounded pieces when it is large; its kg:inputDigest, written last, seals it), and
        show it to ``observer``. Nothing is written when the stored graph is kept."""
        if self._skip or self._resolver is None:
            return
        if self._rendered is None or self._rendered[0] != scheme.identity_graph():
            self._rendered = None
            self.render(scheme)
        assert self._rendered is not None
        graph, lines = self._rendered
        self._rendered = None
        try:
            store.replace_large_graph(graph, lines)
            if observer is not None:
                # Line by line, never joined (about 1 GB at 1M papers): a list is shown
                # again, a file is read again from its start as the observer takes it.
                observer.graph(
                    graph, lines if isinstance(lines, list) else self._resolver.lines(scheme)
                )
        finally:
            self._close_resolver()

    def _close_resolver(self) -> None:
        if self._resolver is not None:
            self._resolver.close()
            self._resolver = None

    def _tell_stale_elsewhere(self) -> None:
        if self.stale_elsewhere:
            log.warning(
                "identity: %d source(s) not in this ingest would change identity; "
                "ingest their files again: %s",
                len(self.stale_elsewhere),
                ", ".join(sorted(self.stale_elsewhere)[:10]),
            )

    @staticmethod
    def _unsettled(store: KGStore, scheme: IriScheme) -> list[str]:
        """The sources the stored identity graph says it could not map again
        (kg:unsettledSource), in order."""
        rows = store.query(
            sparql_prologue() + "SELECT ?g ?u WHERE { GRAPH ?g { ?g kg:unsettledSource ?u } }",
            substitutions={"g": _node(scheme.identity_graph())},
        )
        sources = {scheme.source_of_graph(str(row["u"].value)) for row in rows}
        return sorted(source for source in sources if source is not None)

    @staticmethod
    def _stored_digest(store: KGStore, scheme: IriScheme) -> str | None:
        """The kg:inputDigest of the store's identity graph, if it has one."""
        graph = _node(scheme.identity_graph())
        rows = store.query(
            sparql_prologue() + "SELECT ?g ?d WHERE { GRAPH ?g { ?g kg:inputDigest ?d } }",
            substitutions={"g": graph},
        )
        for row in rows:
            return str(row["d"].value)
        return None


# --- the report ---------------------------------------------------------------------------------

_DECISIONS = (
    sparql_prologue()
    + """
SELECT ?ig ?d ?label ?kind ?method ?score WHERE {
  GRAPH ?ig { ?d a kg:IdentityDecision ; kg:decisionKind ?kind ; kg:decisionMethod ?method .
              OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d kg:decisionScore ?score } }
} ORDER BY ?kind ?method DESC(?score) ?label"""
)
_EVIDENCE = (
    sparql_prologue()
    + """
SELECT ?ig ?d ?e WHERE { GRAPH ?ig { ?d kg:decisionEvidence ?e } } ORDER BY ?d ?e"""
)
_DECIDED = (
    sparql_prologue()
    + """
SELECT ?ig ?d ?r ?name ?title WHERE {
  GRAPH ?ig { ?d kg:decidedAuthor|kg:decidedPaper ?r }
  OPTIONAL { ?r schema:name ?name } OPTIONAL { ?r dcterms:title ?title }
}"""
)
_AMBIGUOUS = (
    sparql_prologue()
    + """
SELECT ?ig ?r ?name ?e WHERE {
  GRAPH ?ig { ?r kg:possiblyAmbiguous true ; kg:ambiguityEvidence ?e }
  OPTIONAL { ?r schema:name ?name }
} ORDER BY ?r"""
)


def decision_report(store: KGStore, scheme: IriScheme) -> dict[str, Any]:
    """The decisions and ambiguity flags of the identity graph, as plain data.

    ``{"decisions": [{"iri", "label", "kind", "method", "score", "resources":
    [{"iri", "name"}], "evidence": [...]}, ...], "ambiguous": [{"iri", "name",
    "evidence": [...]}, ...]}``
    """
    # ?ig is projected because pyoxigraph substitutes only projected variables.
    ig = {"ig": _node(scheme.identity_graph())}
    decisions: dict[str, dict[str, Any]] = {}
    for row in store.query(_DECISIONS, substitutions=ig):
        iri = row["d"].value
        decisions[iri] = {
            "iri": iri,
            "label": row["label"].value if row["label"] is not None else "",
            "kind": row["kind"].value,
            "method": row["method"].value,
            "score": float(row["score"].value) if row["score"] is not None else None,
            "resources": [],
            "evidence": [],
        }
    for row in store.query(_EVIDENCE, substitutions=ig):
        if row["d"].value in decisions:
            decisions[row["d"].value]["evidence"].append(row["e"].value)
    resources: dict[str, dict[str, str]] = defaultdict(dict)
    for row in store.query(_DECIDED, substitutions=ig):
        name = row["name"] or row["title"]
        slot = resources[row["d"].value]
        if row["r"].value not in slot or (name is not None and name.value < slot[row["r"].value]):
            slot[row["r"].value] = name.value if name is not None else ""
    for iri, slot in resources.items():
        if iri in decisions:
            decisions[iri]["resources"] = [{"iri": r, "name": n} for r, n in sorted(slot.items())]
    ambiguous: dict[str, dict[str, Any]] = {}
    for row in store.query(_AMBIGUOUS, substitutions=ig):
        entry = ambiguous.setdefault(
            row["r"].value, {"iri": row["r"].value, "name": "", "evidence": []}
        )
        if row["name"] is not None and (not entry["name"] or row["name"].value < entry["name"]):
            entry["name"] = row["name"].value
        if row["e"].value not in entry["evidence"]:
            entry["evidence"].append(row["e"].value)
    for entry in ambiguous.values():  # summary, then the communities in order, then the rest
        entry["evidence"].sort(key=lambda e: (not e[0].isdigit(), not e.startswith("community"), e))
    return {"decisions": list(decisions.values()), "ambiguous": list(ambiguous.values())}


def _node(iri: str) -> Any:
    import pyoxigraph as ox

    return ox.NamedNode(iri)


__all__ = [
    "IdentityPlan",
    "IdentityResolution",
    "decision_report",
    "stored_sources",
]

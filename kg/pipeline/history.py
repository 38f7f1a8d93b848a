"""Profiles over time: the snapshot a later crawl replaces is kept in a history graph.

A source's current state is its graph ``graph/{source}`` (kg.pipeline.ingest). When a
*changed* file replaces it, :func:`archive_update` gives the SPARQL update that first
copies the replaced snapshot into ``graph/_history/{source}/{date}`` (``date`` is the
old snapshot's ``dcterms:date``, the ``--as-of`` of the crawl that read it), in the
same transaction as the replacement (``KGStore.replace_graph(before=...)``):

* ``{history graph}#snapshot``: typed ``kg:ProfileSnapshot`` and ``kg:ArchivedSnapshot``,
  every statement the old snapshot made (date, metrics, owner, label, category, the
  papers it listed), ``prov:specializationOf`` the current snapshot IRI
  ``profile/{source}``, ``prov:invalidatedAtTime`` the date of the crawl that replaced
  it, ``prov:wasRevisionOf`` the snapshot it had replaced, if any;
* ``{history graph}#source``: the old copy of the page (``kg:SourceDocument``, never
  named as a graph, so ingest does not take it for a stored source) with its file
  name, SHA-256 and parse time, and the parse run (``#parse``);
* the type and title of each listed paper, the owner's name and the category, so that
  a paper or a profile gone from the current state is still named;
* ``profile/{source} prov:wasRevisionOf {history graph}#snapshot``: the current snapshot's
  link to the one it replaced (moved to the newest history graph at each archive).

An unchanged file copied again on a later date moves its current snapshot's
``dcterms:date`` to that date (:func:`redate_update`: the current state is then what a
plain ingest of the latest crawl gives), and the date of its first copy is kept as
``profile/{source} prov:generatedAtTime`` in the source's history head graph
``graph/_history/{source}`` (an archived snapshot takes it along). A snapshot is thus
current from its ``prov:generatedAtTime`` (else its ``dcterms:date``) until its
``prov:invalidatedAtTime``; the reports over time use these intervals.

History graphs are never part of the default graph (the union of the source graphs,
kg.store.embedded): queries that name no graph see the current state exactly as a
store without history would. ``GRAPH ?g`` patterns see them.

Rules: one archived snapshot per source and date (a file changed again with the same
``--as-of`` corrects that day's snapshot: nothing is archived, unless the content it
replaces was first copied before that day); history runs forward (an older copy does not
replace a later one, nor does an older crawl's prune remove it: kg.pipeline.ingest); an
unchanged file adds nothing (ingest skips it), nor does a changed file whose snapshot shows the same content
(:func:`same_snapshot_content`: its first copy's date is kept, as for an unchanged file),
nor does a source the identity pass maps again (same file);
a pruned source's last snapshot is archived too (removed on the prune's date) unless
``prune_history`` drops its history with it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

from kg.model import Profile
from kg.parse import resolve_date
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import DCTERMS, FOAF, KG, PROV, RDF, SCHEMA, XSD, sparql_prologue
from kg.store.changes import ANY, Touched
from kg.store.embedded import KGStore

#: Sub-folders of a folder of dated crawls (``kg ingest --dated-crawls``).
CRAWL_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_SNAPSHOT_DATE = (
    sparql_prologue()
    + "SELECT ?g ?p ?d WHERE { GRAPH ?g { ?p a kg:ProfileSnapshot ; dcterms:date ?d } }"
)
_HISTORY_GRAPHS = (
    sparql_prologue()
    + "SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s a kg:ArchivedSnapshot } } ORDER BY ?g"
)


_ALL_DATES = (
    sparql_prologue()
    + "SELECT ?g ?d WHERE { GRAPH ?g { ?g a kg:SourceDocument . "
    + "?p a kg:ProfileSnapshot ; prov:wasDerivedFrom ?g ; dcterms:date ?d } }"
)


def _iri(value: str) -> str:
    return str(ox.NamedNode(value))  # raises ValueError for an invalid IRI: never formatted raw


def _snapshot_date(store: KGStore, scheme: IriScheme, source: str) -> date | None:
    rows = store.query(
        _SNAPSHOT_DATE,
        substitutions={
            "g": ox.NamedNode(scheme.graph(source)),
            "p": ox.NamedNode(scheme.profile(source)),
        },
    )
    for row in rows:
        try:
            return date.fromisoformat(row["d"].value)
        except ValueError:
            return None
    return None


def snapshot_dates(store: KGStore, scheme: IriScheme) -> dict[str, date]:
    """The date of each stored source's current snapshot, by source name."""
    out: dict[str, date] = {}
    for row in store.query(_ALL_DATES):
        source = scheme.source_of_graph(row["g"].value)
        try:
            day = date.fromisoformat(row["d"].value)
        except ValueError:
            continue
        if source is not None:
            out[source] = day
    return out


def copied_later(stored: date | None, day: date, today: date | None = None) -> bool:
    """Whether a page stored as copied on ``stored`` holds a later copy than one copied on
    ``day``: history runs forward, so the older copy changes nothing (the same bytes) or is
    refused (other bytes). A stored date after today is no copy date but a mistyped
    ``--as-of``: the same bytes copied earlier correct it.

    >>> copied_later(date(2026, 11, 1), date(2026, 10, 1), today=date(2026, 12, 7))
    True
    >>> copied_later(date(2062, 11, 1), date(2026, 11, 1), today=date(2026, 12, 7))
    False
    """
    today = today or date.today()
    return stored is not None and day < stored <= today


def in_store_already(
    files: Sequence[tuple[str, Path]],
    stored: Mapping[str, tuple[date, str]],
    day: date,
    today: date | None = None,
) -> bool:
    """Whether a crawl copied on ``day`` (its files, by source name) is in the store already:
    each of its pages is stored as copied later (:func:`copied_later`), or as copied that
    day from the same bytes (``stored``: each stored source's snapshot date and SHA-256).
    Only the files of pages stored as copied that day are read."""
    if not files:
        return False
    for source, path in files:
        found = stored.get(source)
        if found is None:
            return False
        stored_day, sha = found
        if copied_later(stored_day, day, today):
            continue
        if stored_day != day:
            return False
        if file_sha256(path) != sha:
            return False  # other bytes, or unreadable: the ingest says what is wrong with it
    return True


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """A file's SHA-256, as ingest records it (None: it cannot be read)."""
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def only_the_date_moves(profile: Profile, stored: date | None) -> bool:
    """Whether ``profile`` (an unchanged file parsed with a new as-of) maps to the stored
    graph but for the snapshot's date: no yearless date of it resolves to another year."""
    if stored is None:
        return False
    for entry in profile.papers:
        if entry.year_inferred and entry.date is not None:
            try:
                if resolve_date(entry.date.month, entry.date.day, None, stored)[0] != entry.date:
                    return False
            except ValueError:
                return False
    return True


#: What the updates of :func:`archive_update` and :func:`drop_update` may change
#: (kg.store.changes): only history graphs and the history head graphs, named graphs all;
#: every one of their operations writes inside ``GRAPH``, none the union.
ARCHIVE_TOUCHES = Touched(default=set(), named=ANY)
#: What :func:`redate_update` may change: the snapshots' dates, in the union and the source
#: graphs, and the dates of first copies in the history head graphs.
REDATE_TOUCHES = Touched(default={str(DCTERMS.date)}, named=ANY)


def redate_update(
    scheme: IriScheme, sources: Iterable[str], as_of: date, *, union_graph: str | None = None
) -> str:
    """One update moving the current snapshots of ``sources`` (unchanged files copied again)
    to the date ``as_of``, in their graphs and in the union copy (only a source's own
    graph states its snapshot's date, so the union copy moves with it).

    ``union_graph`` is the store's ``union_graph``: None where the union is the update's
    default graph (:class:`KGStore`), else the named graph holding it (an external store,
    :class:`kg.store.remote.RemoteStore`, whose updates address the store's own default
    graph, which is not the union)."""
    rows = " ".join(_source_row(scheme, source) for source in sources)
    day = f'"{as_of.isoformat()}"^^<{XSD.date}>'

    def in_union(pattern: str) -> str:
        return pattern if union_graph is None else f"GRAPH {_iri(union_graph)} {{ {pattern} }}"

    return (
        # The first copy of this content dates it (kept in the source's history head graph).
        _first_copy_update(rows) + " ;\n"
        f"DELETE {{ GRAPH ?g {{ ?p <{DCTERMS.date}> ?old }} "
        f"{in_union(f'?p <{DCTERMS.date}> ?old')} }} "
        f"INSERT {{ GRAPH ?g {{ ?p <{DCTERMS.date}> {day} }} "
        f"{in_union(f'?p <{DCTERMS.date}> {day}')} }} "
        f"WHERE {{ VALUES (?g ?p ?head) {{ {rows} }} GRAPH ?g {{ ?p <{DCTERMS.date}> ?old }} }}"
    )


def _graph_exists(store: KGStore, graph: str) -> bool:
    rows = store.query(
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
        substitutions={"g": ox.NamedNode(graph)},
    )
    return any(True for _ in rows)


#: What an archived snapshot keeps of a profile (besides provenance): the snapshot's own
#: statements but its date and source, and the titles of the papers it lists.
_SNAPSHOT_STATEMENTS = (
    sparql_prologue()
    + "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
    + "FILTER(?p NOT IN (dcterms:date, prov:wasDerivedFrom)) }"
)
_LISTED_TITLES = (
    sparql_prologue()
    + "SELECT ?g ?s ?paper ?title WHERE { GRAPH ?g { ?s kg:listsPaper ?paper . "
    + "?paper dcterms:title ?title } }"
)


def _snapshot_content(store: KGStore, graph: str, snapshot: str) -> frozenset[tuple[str, ...]]:
    """What an archive of the snapshot would keep, as N-Triples terms (the store's
    canonical forms, so that two stores compare alike)."""
    bound = {"g": ox.NamedNode(graph), "s": ox.NamedNode(snapshot)}
    statements = {
        (str(r["p"]), str(r["o"])) for r in store.query(_SNAPSHOT_STATEMENTS, substitutions=bound)
    }
    titles = {
        ("listed", str(r["paper"]), str(r["title"]))
        for r in store.query(_LISTED_TITLES, substitutions=bound)
    }
    return frozenset(statements | titles)


def same_snapshot_content(
    store: KGStore, scheme: IriScheme, source: str, new_lines: Sequence[str]
) -> bool:
    """Whether the page replacing ``source``'s stored graph (its N-Triples ``new_lines``)
    shows what the stored snapshot shows: the same metrics, owner, category and papers.

    A page copied again prints its bytes anew (the site writes a date without its year
    only in the current calendar year, so every page of last year changes in January)
    without saying anything new: archiving its old snapshot would keep a copy that
    differs from the next only by its date."""
    graph, snapshot = scheme.graph(source), scheme.profile(source)
    scratch = KGStore.in_memory()
    scratch.load_rdf("".join(new_lines).encode("utf-8"), "ntriples", graph=graph)
    return _snapshot_content(store, graph, snapshot) == _snapshot_content(scratch, graph, snapshot)


def _first_copy_update(rows: str) -> str:
    """The update recording, for each (?g ?p ?head) of ``rows`` (a VALUES block body),
    the date of the current snapshot's first copy in the source's history head graph,
    unless it is recorded already: the snapshot's date is about to move."""
    since = f"<{PROV.generatedAtTime}>"
    return (
        f"INSERT {{ GRAPH ?head {{ ?p {since} ?since }} }} WHERE {{ VALUES (?g ?p ?head) "
        f"{{ {rows} }} GRAPH ?g {{ ?p <{DCTERMS.date}> ?old }} "
        f"FILTER NOT EXISTS {{ GRAPH ?head {{ ?p {since} ?any }} }} "
        f'BIND(STRDT(CONCAT(STR(?old), "T00:00:00Z"), <{XSD.dateTime}>) AS ?since) }}'
    )


def _first_copied_before(store: KGStore, scheme: IriScheme, source: str) -> bool:
    """Whether the current snapshot's content was first copied before its own date (an
    unchanged copy moved its date): then a correction of that day's copy replaces content
    that was current since then, which is archived."""
    # A SELECT, not an ASK: Virtuoso 7 answered this ASK true for a graph it does not hold.
    query = (
        f"SELECT ?since WHERE {{ GRAPH {_iri(scheme.history_head(source))} {{ "
        f"{_iri(scheme.profile(source))} <{PROV.generatedAtTime}> ?since }} }} LIMIT 1"
    )
    return any(True for _ in store.query(query))


def _source_row(scheme: IriScheme, source: str) -> str:
    return (
        f"({_iri(scheme.graph(source))} {_iri(scheme.profile(source))} "
        f"{_iri(scheme.history_head(source))})"
    )


def archive_update(
    store: KGStore,
    scheme: IriScheme,
    source: str,
    *,
    as_of: date,
    stored_sha: str | None,
    new_sha: str | None,
    new_lines: Sequence[str] | None = None,
) -> str:
    """The update operations that keep ``source``'s stored snapshot in its history graph.

    ``new_sha`` is the SHA-256 of the file that replaces it, None when the source is
    removed (a prune); ``new_lines``, its N-Triples. Returns "" when there is nothing to
    keep: the same file (the identity pass maps it again; copied later, only its first
    copy's date is recorded), no stored snapshot, a snapshot of the same date as the
    replacement (a correction of that day's crawl, unless its content was first copied
    before that day) or one already archived. A replacement that shows the same snapshot
    content (see :func:`same_snapshot_content`) keeps nothing either: as for a page copied again
    unchanged, only the date of the content's first copy is recorded.
    Run the text in the replacing transaction (``replace_graph(..., before=text)``).
    """
    if new_sha is not None and stored_sha is not None and new_sha == stored_sha:
        # The same file mapped again (its identity keys changed): nothing to archive. Copied
        # on a later day, its snapshot's date moves: the first copy's date is kept, as for
        # a page copied again unchanged (redate_update), else the page would seem new then.
        day = _snapshot_date(store, scheme, source)
        if day is not None and day < as_of:
            return _first_copy_update(_source_row(scheme, source)) + " ;\n"
        return ""
    day = _snapshot_date(store, scheme, source)
    if day is None:
        return ""
    if new_sha is not None and day == as_of and not _first_copied_before(store, scheme, source):
        return ""  # a correction of that day's copy
    if new_lines is not None and same_snapshot_content(store, scheme, source, new_lines):
        return _first_copy_update(_source_row(scheme, source)) + " ;\n"
    history = scheme.history_graph(source, day)
    if _graph_exists(store, history):
        return ""
    g, p, h = _iri(scheme.graph(source)), _iri(scheme.profile(source)), _iri(history)
    head = _iri(scheme.history_head(source))
    s, src, act = _iri(history + "#snapshot"), _iri(history + "#source"), _iri(history + "#parse")
    until = f'"{as_of.isoformat()}T00:00:00Z"^^<{XSD.dateTime}>'
    a, kg, prov = f"<{RDF.type}>", KG, PROV
    operations = [
        # The snapshot's own statements, on the archived snapshot's IRI.
        f"INSERT {{ GRAPH {h} {{ {s} ?p ?o }} }} WHERE {{ GRAPH {g} {{ {p} ?p ?o "
        f"FILTER(?p != <{prov.wasDerivedFrom}>) }} }}",
        f"INSERT DATA {{ GRAPH {h} {{ {s} {a} <{kg.ArchivedSnapshot}> ; "
        f"<{prov.wasDerivedFrom}> {src} ; <{prov.specializationOf}> {p} ; "
        f"<{prov.invalidatedAtTime}> {until} . "
        f"{src} {a} <{kg.SourceDocument}> , <{prov.Entity}> ; <{prov.specializationOf}> {g} ; "
        f"<{prov.wasGeneratedBy}> {act} . {act} {a} <{prov.Activity}> }} }}",
        # The old copy of the page: file name, checksum, parse time and run.
        f"INSERT {{ GRAPH {h} {{ {src} ?p ?o }} }} WHERE {{ GRAPH {g} {{ {g} ?p ?o "
        f"VALUES ?p {{ <{DCTERMS.identifier}> <{kg.sha256}> <{prov.generatedAtTime}> }} }} }}",
        f"INSERT {{ GRAPH {h} {{ {act} ?p ?o . ?agent ?ap ?ao }} }} WHERE {{ GRAPH {g} {{ "
        f"{g} <{prov.wasGeneratedBy}> ?run . ?run ?p ?o FILTER(?p != {a}) "
        f"OPTIONAL {{ ?run <{prov.wasAssociatedWith}> ?agent . ?agent ?ap ?ao }} }} }}",
        # What names the listed papers, the owner and the category once they are gone.
        f"INSERT {{ GRAPH {h} {{ ?paper {a} <{SCHEMA.ScholarlyArticle}> ; "
        f"<{DCTERMS.title}> ?title }} }} WHERE {{ GRAPH {g} {{ {p} <{kg.listsPaper}> ?paper . "
        f"?paper <{DCTERMS.title}> ?title }} }}",
        f"INSERT {{ GRAPH {h} {{ ?owner ?op ?oo }} }} WHERE {{ GRAPH {g} {{ "
        f"{p} <{FOAF.primaryTopic}> ?owner . ?owner ?op ?oo "
        f"VALUES ?op {{ {a} <{SCHEMA.name}> }} }} }}",
        f"INSERT {{ GRAPH {h} {{ ?c ?cp ?co }} }} WHERE {{ GRAPH {g} {{ "
        f"{p} <{DCTERMS.subject}> ?c . ?c ?cp ?co }} }}",
        # The revision chain: this snapshot revised the one the current snapshot pointed to.
        f"INSERT {{ GRAPH {h} {{ {s} <{prov.wasRevisionOf}> ?prev }} }} WHERE {{ GRAPH ?hg {{ "
        f"{p} <{prov.wasRevisionOf}> ?prev }} }}",
        f"DELETE WHERE {{ GRAPH ?hg {{ {p} <{prov.wasRevisionOf}> ?prev }} }}",
        # Since when its content was current (copied unchanged before its own date); the
        # replacement's content is new: current since its own date.
        f"INSERT {{ GRAPH {h} {{ {s} <{prov.generatedAtTime}> ?since }} }} WHERE {{ "
        f"GRAPH {head} {{ {p} <{prov.generatedAtTime}> ?since }} }}",
        f"DELETE WHERE {{ GRAPH {head} {{ {p} <{prov.generatedAtTime}> ?since }} }}",
    ]
    if new_sha is not None:
        operations.append(f"INSERT DATA {{ GRAPH {h} {{ {p} <{prov.wasRevisionOf}> {s} }} }}")
    return "".join(op + " ;\n" for op in operations)


@dataclass(frozen=True, slots=True)
class HistoryGraph:
    """One history graph: its IRI, source name and snapshot date."""

    graph: str
    snapshot: str
    source: str
    day: date


def history_graphs(store: KGStore, scheme: IriScheme) -> list[HistoryGraph]:
    """Every history graph in the store, by IRI."""
    prefix = scheme.history_graphs()
    out: list[HistoryGraph] = []
    for row in store.query(_HISTORY_GRAPHS):
        graph = row["g"].value
        if not graph.startswith(prefix):
            continue
        encoded, _, tail = graph[len(prefix) :].rpartition("/")
        try:
            day = date.fromisoformat(tail)
        except ValueError:
            continue
        out.append(HistoryGraph(graph, row["s"].value, unquote(encoded), day))
    return out


def drop_update(graphs: Iterable[HistoryGraph], heads: Iterable[str] = ()) -> str:
    """Update operations removing history graphs and the revision links to their snapshots
    (and the history head graphs ``heads``)."""
    operations = [f"DROP SILENT GRAPH {_iri(head)}" for head in heads]
    for item in graphs:
        operations.append(f"DROP SILENT GRAPH {_iri(item.graph)}")
        operations.append(
            f"DELETE WHERE {{ GRAPH ?g {{ ?x <{PROV.wasRevisionOf}> {_iri(item.snapshot)} }} }}"
        )
    return "".join(op + " ;\n" for op in operations)


def drop_history(
    store: KGStore, scheme: IriScheme, *, before: date, source: str | None = None
) -> list[HistoryGraph]:
    """Remove the archived snapshots dated before ``before`` (of one source, or all) in one
    transaction; returns what was removed. The current state is never touched."""
    doomed = [
        item
        for item in history_graphs(store, scheme)
        if item.day < before and (source is None or item.source == source)
    ]
    text = drop_update(doomed)
    if text:
        store.update(text.rstrip().rstrip(";"))
    return doomed


def dated_crawls(folder: Path) -> list[tuple[date, Path]]:
    """The sub-folders of a folder of dated crawls, oldest first.

    Each sub-folder is named ``YYYY-MM-DD``, the date its pages were copied. Raises
    ValueError naming the first entry that is not one (hidden entries are skipped),
    or when there is none.
    """
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder")
    crawls: list[tuple[date, Path]] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        day: date | None = None
        if CRAWL_FOLDER.match(entry.name):
            try:
                day = date.fromisoformat(entry.name)
            except ValueError:
                day = None
        if day is None or not entry.is_dir():
            raise ValueError(
                f"{entry}: a folder of dated crawls holds only sub-folders named YYYY-MM-DD "
                "(the date their pages were copied)"
            )
        crawls.append((day, entry))
    if not crawls:
        raise ValueError(f"{folder}: no crawl sub-folders (named YYYY-MM-DD)")
    return sorted(crawls)

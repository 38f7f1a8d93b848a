"""What is searchable, read from a store as one :class:`SearchDocument` per entity.

Each kind's fields are read predicate by predicate through a
:class:`~kg.search.graph.GraphReader` (index scans on the embedded store, lean
``SELECT``s on an external one) and folded here: for the whole store (a build), or
for the entities an update names (:func:`affected` says which: those of the
changed source graphs and what reads them), or for the whole store a batch at a time
(:func:`read_in_batches`, what a build does: bounded memory). All give the same documents.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path as FilePath
from typing import Any, cast

import pyoxigraph as ox

from kg.normalize import name_key
from kg.rdf.namespace import KG_NAMESPACE
from kg.search.graph import RDF_TYPE, GraphReader, Path, PathReader, reader_for
from kg.search.spill import ScratchFolder, Spill
from kg.store.query import QueryBackend

#: Entity kinds, as the ``type`` facet names them.
KINDS = ("paper", "author", "organization", "repository", "subject")


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable entity: its label and the texts that find it, and its facets."""

    iri: str
    kind: str
    label: str
    #: Other names it goes by (authors' written variants, a repository's owner/name).
    names: tuple[str, ...] = ()
    #: Longer text searched with a lower weight (a paper's abstract).
    body: str = ""
    #: Short texts that also find it (a paper's authors, subjects, organizations).
    context: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    year: int | None = None
    has_code: bool | None = None

    @property
    def digest(self) -> str:
        """Changes whenever anything indexed about the entity changes."""
        payload = json.dumps(
            [
                self.iri,
                self.kind,
                self.label,
                self.names,
                self.body,
                self.context,
                self.subjects,
                self.organizations,
                self.year,
                self.has_code,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


_SCHEMA = "https://schema.org/"
_DCTERMS = "http://purl.org/dc/terms/"
_PROV = "http://www.w3.org/ns/prov#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
TITLE, ABSTRACT, DATE, SUBJECT = (_DCTERMS + n for n in ("title", "abstract", "date", "subject"))
NAME, IDENTIFIER, AUTHOR, ORGANIZATION, CODE_REPOSITORY = (
    _SCHEMA + n for n in ("name", "identifier", "author", "sourceOrganization", "codeRepository")
)
ATTRIBUTION, AGENT = _PROV + "qualifiedAttribution", _PROV + "agent"
PREF_LABEL, NOTATION = _SKOS + "prefLabel", _SKOS + "notation"
HAS_CODE, WRITTEN_NAME, SITE_CODE, HAS_REPOSITORY, OWNER, HOST = (
    KG_NAMESPACE + n
    for n in (
        "hasCode",
        "writtenName",
        "siteCode",
        "hasRepository",
        "repositoryOwner",
        "repositoryHost",
    )
)
#: The class that makes an entity a document of each kind (a subject also needs a site code).
TYPES = {
    "paper": _SCHEMA + "ScholarlyArticle",
    "author": _SCHEMA + "Person",
    "organization": _SCHEMA + "Organization",
    "repository": _SCHEMA + "SoftwareSourceCode",
    "subject": _SKOS + "Concept",
}
#: Kinds whose fields other documents read (a paper shows its subjects' labels and its
#: organizations' names): when their stamp changes, the documents that read them change.
HUBS = ("organization", "subject")
#: YEAR() of these datatypes is what the index keeps as a paper's year.
_DATE_TYPES = frozenset(
    _XSD + t for t in ("date", "dateTime", "dateTimeStamp", "gYear", "gYearMonth")
)
_YEAR = re.compile(r"(\d{4,})")

#: Every predicate the documents, their stamps and an update's scope read (rdf:type aside):
#: kg.search.ingested keeps these of the triples an ingest writes.
READ_PREDICATES = frozenset(
    {
        *(TITLE, ABSTRACT, DATE, HAS_CODE, ATTRIBUTION, AGENT, WRITTEN_NAME, AUTHOR, SUBJECT),
        *(SITE_CODE, PREF_LABEL, NOTATION, ORGANIZATION, IDENTIFIER, NAME, CODE_REPOSITORY),
        *(OWNER, HOST, HAS_REPOSITORY),
    }
)
#: Predicates several kinds read: scanned once in a full build, kept until it ends.
_SHARED = frozenset(
    [WRITTEN_NAME, TITLE, NAME, SUBJECT, SITE_CODE, PREF_LABEL, ORGANIZATION, IDENTIFIER]
)
#: From this many entities, a full build scans the whole predicate instead of asking for theirs.
SCAN_FROM = 2_000

Row = tuple[str, str, str]
Links = dict[str, list[str]]


def _year(term: Any) -> str | None:
    datatype = getattr(term, "datatype", None)
    if datatype is None or datatype.value not in _DATE_TYPES:
        return None
    match = _YEAR.match(term.value)
    return str(int(match.group(1))) if match else None


class _Reads:
    """The lookups of one read: whole predicates (``scope`` None, a full build: one scan per
    predicate, kept while several kinds need it, and joined here) or the pairs of given
    entities (an update: ``VALUES`` blocks of their IRIs)."""

    def __init__(
        self, reader: GraphReader, scope: Collection[str] | None, *, kind: str | None = None
    ):
        self.reader = reader
        self.full = scope is None
        self._types: dict[str, set[str]] | None = None
        self._scans: dict[str, dict[str, list[Any]]] = {}
        self._inverse: dict[str, Links] = {}
        self._links: dict[str, Links] = {}
        if scope is not None and kind is not None:
            # Known to be of this kind (read_in_batches): no lookup of their types.
            self._types = {TYPES[kind]: set(scope)}
        elif scope is not None:
            types: dict[str, set[str]] = {}
            for s, o in reader.pairs(RDF_TYPE, subjects=scope):
                types.setdefault(o.value, set()).add(s)
            self._types = types

    def typed(self, kind: str) -> set[str]:
        if self._types is not None:
            return set(self._types.get(TYPES[kind], ()))
        return {s for s, _ in self.reader.pairs(RDF_TYPE, objects=[TYPES[kind]])}

    def _scan(self, predicate: str) -> dict[str, list[Any]]:
        scan = self._scans.get(predicate)
        if scan is None:
            scan = self.reader.scan(predicate)
            if predicate in _SHARED:
                self._scans[predicate] = scan
        return scan

    def _whole(self, predicate: str, asked: int, cache: Mapping[str, Any]) -> bool:
        """Whether to scan the predicate rather than look up ``asked`` entities."""
        return self.full and (predicate in cache or asked >= SCAN_FROM)

    def values(self, predicate: str, subjects: Collection[str]) -> dict[str, list[Any]]:
        """Subject -> its objects of ``predicate`` (terms)."""
        if not subjects:
            return {}
        if self._whole(predicate, len(subjects), self._scans):
            scan = self._scan(predicate)
            return {s: scan[s] for s in subjects if s in scan}
        out: dict[str, list[Any]] = {}
        for s, o in self.reader.pairs(predicate, subjects=subjects):
            out.setdefault(s, []).append(o)
        return out

    def links(self, predicate: str, subjects: Collection[str]) -> Links:
        """Subject -> the IRIs it links by ``predicate`` (literal objects left out)."""
        if not subjects:
            return {}
        if self._whole(predicate, len(subjects), self._links):
            scan = self._links.get(predicate)
            if scan is None:
                scan = self._links[predicate] = self.reader.scan_links(predicate)
            return {s: scan[s] for s in subjects if s in scan}
        out: Links = {}
        for s, o in self.reader.pairs(predicate, subjects=subjects):
            if isinstance(o, ox.NamedNode):
                out.setdefault(s, []).append(o.value)
        return out

    def linked_from(self, predicate: str, objects: Collection[str]) -> Links:
        """Object IRI -> the subjects linking it by ``predicate``."""
        if not objects:
            return {}
        if self._whole(predicate, len(objects), self._inverse):
            inverse = self._inverse.get(predicate)
            if inverse is None:
                inverse = self.reader.scan_inverse(predicate)
                if predicate in _SHARED:
                    self._inverse[predicate] = inverse
            return {o: inverse[o] for o in objects if o in inverse}
        out: Links = {}
        for s, o in self.reader.pairs(predicate, objects=objects):
            out.setdefault(o.value, []).append(s)
        return out


@dataclass(slots=True)
class _Draft:
    labels: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    bodies: set[str] = field(default_factory=set)
    context: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    has_code: bool | None = None


class _Drafts(dict[str, _Draft]):
    def __missing__(self, iri: str) -> _Draft:
        draft = self[iri] = _Draft()
        return draft


def _nodes(links: Links) -> set[str]:
    return {b for nodes in links.values() for b in nodes}


def _add(drafts: _Drafts, field_name: str, values: dict[str, list[Any]]) -> None:
    """Each subject's values into one field of its draft."""
    for iri, terms in values.items():
        getattr(drafts[iri], field_name).update(t.value for t in terms)


def _add_through(
    drafts: _Drafts, field_name: str, first: Links, second: dict[str, list[Any]]
) -> None:
    """a -first-> b -second-> value: the values into a's field."""
    for iri, nodes in first.items():
        target: set[str] = getattr(drafts[iri], field_name)
        for node in nodes:
            for term in second.get(node, ()):
                target.add(term.value)


def _papers(reads: _Reads, drafts: _Drafts) -> None:
    papers = reads.typed("paper")
    _add(drafts, "labels", reads.values(TITLE, papers))
    _add(drafts, "bodies", reads.values(ABSTRACT, papers))
    for iri, terms in reads.values(HAS_CODE, papers).items():
        drafts[iri].has_code = any(t.value == "true" for t in terms)
    for iri, terms in reads.values(DATE, papers).items():
        years = [int(y) for y in map(_year, terms) if y is not None]
        if years:
            drafts[iri].years.update(years)
    authorships = reads.links(ATTRIBUTION, papers)
    _add_through(drafts, "context", authorships, reads.values(WRITTEN_NAME, _nodes(authorships)))
    _hubs(reads, drafts, reads.links(SUBJECT, papers), reads.links(ORGANIZATION, papers))


def _hubs(reads: _Reads, drafts: _Drafts, subjects: Links, orgs: Links) -> None:
    """Papers' subjects' site codes and labels, organizations' identifiers and names."""
    concepts = _nodes(subjects)
    _add_through(drafts, "subjects", subjects, reads.values(SITE_CODE, concepts))
    _add_through(drafts, "context", subjects, reads.values(PREF_LABEL, concepts))
    found = _nodes(orgs)
    _add_through(drafts, "organizations", orgs, reads.values(IDENTIFIER, found))
    _add_through(drafts, "context", orgs, reads.values(NAME, found))


def _authors(reads: _Reads, drafts: _Drafts) -> None:
    authors = reads.typed("author")
    _add(drafts, "labels", reads.values(NAME, authors))
    authorships = reads.linked_from(AGENT, authors)
    _add_through(drafts, "names", authorships, reads.values(WRITTEN_NAME, _nodes(authorships)))
    papers = reads.linked_from(AUTHOR, authors)
    listed = _nodes(papers)
    # Each paper's site codes and organization identifiers, then each author's papers'.
    for field_name, link, value in (
        ("subjects", SUBJECT, SITE_CODE),
        ("organizations", ORGANIZATION, IDENTIFIER),
    ):
        links = reads.links(link, listed)
        values = reads.values(value, _nodes(links))
        of_paper = {
            p: {t.value for node in nodes for t in values.get(node, ())}
            for p, nodes in links.items()
        }
        for iri, ps in papers.items():
            target: set[str] = getattr(drafts[iri], field_name)
            for p in ps:
                found = of_paper.get(p)
                if found:
                    target |= found


def _organizations(reads: _Reads, drafts: _Drafts) -> None:
    orgs = reads.typed("organization")
    _add(drafts, "labels", reads.values(NAME, orgs))
    identifiers = reads.values(IDENTIFIER, orgs)
    _add(drafts, "names", identifiers)
    _add(drafts, "organizations", identifiers)


def _repositories(reads: _Reads, drafts: _Drafts) -> None:
    repos = reads.typed("repository")
    _add(drafts, "labels", reads.values(CODE_REPOSITORY, repos))
    _add(drafts, "names", reads.values(NAME, repos))
    _add(drafts, "names", reads.values(OWNER, repos))
    _add(drafts, "context", reads.values(HOST, repos))
    papers = reads.linked_from(HAS_REPOSITORY, repos)
    _add_through(drafts, "context", papers, reads.values(TITLE, _nodes(papers)))


def _subjects(reads: _Reads, drafts: _Drafts) -> None:
    # A concept without a site code is no subject of the site. Its site code is not among
    # its names or facets: the UNION query this replaces bound it in branches that could
    # not see it (SPARQL evaluates each branch on its own), and the documents stay as they
    # were (a subject is found by its label and its notation, "cs.LG" being "cs" "lg").
    coded = set(reads.values(SITE_CODE, reads.typed("subject")))
    _add(drafts, "labels", reads.values(PREF_LABEL, coded))
    _add(drafts, "names", reads.values(NOTATION, coded))


_READ = {
    "paper": _papers,
    "author": _authors,
    "organization": _organizations,
    "repository": _repositories,
    "subject": _subjects,
}


def _documents(kind: str, drafts: _Drafts) -> Iterator[SearchDocument]:
    for iri, draft in sorted(drafts.items()):
        if not draft.labels:
            continue
        # Several labels (a merged author's names): the first in a stable order; the others
        # are names. So is any choice among several abstracts or years (profiles differ).
        label = min(draft.labels)
        names = draft.names | draft.labels
        if kind == "author":
            # "Yi-Fan Zhang" is also found as "Yifan Zhang": the folded, joined spelling too.
            names |= {name_key(n) for n in names}
        names.discard(label)
        yield SearchDocument(
            iri=iri,
            kind=kind,
            label=label,
            names=tuple(sorted(names)),
            body=min(draft.bodies) if draft.bodies else "",
            context=tuple(sorted(draft.context)),
            subjects=tuple(sorted(draft.subjects)),
            organizations=tuple(sorted(draft.organizations)),
            year=min(draft.years) if draft.years else None,
            has_code=draft.has_code,
        )


def read_documents(
    source: QueryBackend | GraphReader,
    scope: Collection[str] | None = None,
    *,
    timeout: float | None = None,
) -> Iterator[SearchDocument]:
    """The searchable entities of the store (``scope``: only those of these IRIs), kind by kind."""
    # A backend is read through its reader; a reader (an update's, already made) as it is.
    if hasattr(source, "pairs"):
        reader = cast(GraphReader, source)
    else:
        reader = reader_for(source, timeout=timeout)
    reads = _Reads(reader, scope)
    for kind in KINDS:
        drafts = _Drafts()
        _READ[kind](reads, drafts)
        yield from _documents(kind, drafts)


#: Entities per batch of a full build read in batches (:func:`read_in_batches`): each batch's
#: values are looked up, folded into documents and dropped before the next is read.
BATCH = 5_000

#: What a batch of papers reads with one query (a :class:`~kg.search.graph.PathReader`), in
#: this order: its own fields and links, then its authorships' written names (the last path:
#: left out when they were read for the whole store beforehand, see :func:`_written_names`).
_PAPER_PATHS: tuple[Path, ...] = (
    ((TITLE, False),),
    ((ABSTRACT, False),),
    ((HAS_CODE, False),),
    ((DATE, False),),
    ((SUBJECT, False),),
    ((ORGANIZATION, False),),
    ((AUTHOR, False),),
    ((ATTRIBUTION, False), (WRITTEN_NAME, False)),
)
#: A batch of authors': their names, and the written names of the authorships naming them
#: (the last path: likewise).
_AUTHOR_PATHS: tuple[Path, ...] = (((NAME, False),), ((AGENT, True), (WRITTEN_NAME, False)))
#: An authorship's two ends: the papers naming it, the agent it names.
_AUTHORSHIP_ENDS = ((ATTRIBUTION, True), (AGENT, False))
#: A batch of repositories': URL, name, owner, host, and the titles of the papers naming them.
_REPOSITORY_PATHS: tuple[Path, ...] = (
    ((CODE_REPOSITORY, False),),
    ((NAME, False),),
    ((OWNER, False),),
    ((HOST, False),),
    ((HAS_REPOSITORY, True), (TITLE, False)),
)


class _Facets:
    """Each author's papers' site codes and organization identifiers, gathered as the papers
    are read (a paper's own ``subjects`` and ``organizations``: what an author shows of
    them), so that a batch of authors needs no lookup of their papers' links again.

    Held from the papers to the authors: per author two sets, each of them interned
    (authors share them: 431 distinct for 3,218 authors at 10k papers).
    """

    def __init__(self) -> None:
        self.of: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        #: The papers' ``schema:author`` statements read (all of the store's: no other
        #: subject names an author, and none is looked up again).
        self.statements = 0
        self._sets: dict[frozenset[str], frozenset[str]] = {}

    def _intern(self, values: frozenset[str]) -> frozenset[str]:
        return self._sets.setdefault(values, values)

    def add(self, author: str, subjects: Collection[str], organizations: Collection[str]) -> None:
        if not subjects and not organizations:
            return
        had = self.of.get(author)
        if had is None:
            self.of[author] = (
                self._intern(frozenset(subjects)),
                self._intern(frozenset(organizations)),
            )
        elif not (had[0].issuperset(subjects) and had[1].issuperset(organizations)):
            self.of[author] = (
                self._intern(had[0].union(subjects)),
                self._intern(had[1].union(organizations)),
            )


def _follow(
    reader: PathReader, subjects: Collection[str], paths: tuple[Path, ...]
) -> list[dict[str, list[Any]]]:
    """Per path: subject -> the objects at its end (terms)."""
    out: list[dict[str, list[Any]]] = [{} for _ in paths]
    for s, number, o in reader.fields(subjects, paths):
        out[number].setdefault(s, []).append(o)
    return out


def _iris(values: dict[str, list[Any]]) -> Links:
    """The IRI objects only (as :meth:`_Reads.links` keeps them)."""
    out: Links = {}
    for s, terms in values.items():
        found = [t.value for t in terms if isinstance(t, ox.NamedNode)]
        if found:
            out[s] = found
    return out


def _papers_joined(
    reads: _Reads, drafts: _Drafts, facets: _Facets, names: Spill | None = None, at: int = 0
) -> None:
    """What :func:`_papers` reads, for a batch, with one query of paths (the written names
    from ``names``, batch ``at``, where they were read beforehand); and each paper's site
    codes and organization identifiers kept for its authors (``facets``)."""
    papers = reads.typed("paper")
    reader = cast(PathReader, reads.reader)
    found = _follow(reader, papers, _PAPER_PATHS if names is None else _PAPER_PATHS[:-1])
    title, abstract, has_code, date, subject, organization, author = found[:7]
    _add(drafts, "labels", title)
    _add(drafts, "bodies", abstract)
    for iri, terms in has_code.items():
        drafts[iri].has_code = any(t.value == "true" for t in terms)
    for iri, terms in date.items():
        years = [int(y) for y in map(_year, terms) if y is not None]
        if years:
            drafts[iri].years.update(years)
    if names is None:
        _add(drafts, "context", found[7])
    else:
        for iri, values in names.take(at, papers).items():
            drafts[iri].context.update(values)
    _hubs(reads, drafts, _iris(subject), _iris(organization))
    facets.statements += sum(map(len, author.values()))
    for iri, authors in _iris(author).items():
        draft = drafts[iri]
        for person in authors:
            facets.add(person, draft.subjects, draft.organizations)


def _untyped_papers(reader: PathReader, facets: _Facets, batch: int) -> None:
    """The facets an author reads of what names them as author but is no paper of the
    union (none in what kg.rdf.map writes): looked up as :func:`_authors` does."""
    if reader.count(AUTHOR) == facets.statements:
        return  # every statement was a paper's (a count is cheap; finding others is not)
    others = sorted(reader.untyped(AUTHOR, TYPES["paper"]))
    for start in range(0, len(others), batch):
        reads = _Reads(reader, others[start : start + batch], kind="paper")
        scope = reads.typed("paper")
        drafts = _Drafts()
        _hubs(reads, drafts, reads.links(SUBJECT, scope), reads.links(ORGANIZATION, scope))
        for iri, authors in reads.links(AUTHOR, scope).items():
            draft = drafts[iri]
            for person in authors:
                facets.add(person, draft.subjects, draft.organizations)


def _repositories_joined(reads: _Reads, drafts: _Drafts) -> None:
    """What :func:`_repositories` reads, for a batch, with one query of paths."""
    repos = reads.typed("repository")
    urls, names, owners, hosts, titles = _follow(
        cast(PathReader, reads.reader), repos, _REPOSITORY_PATHS
    )
    _add(drafts, "labels", urls)
    for values in (names, owners):
        _add(drafts, "names", values)
    for values in (hosts, titles):
        _add(drafts, "context", values)


def _authors_joined(
    reads: _Reads, drafts: _Drafts, facets: _Facets, names: Spill | None = None, at: int = 0
) -> None:
    """What :func:`_authors` reads, for a batch: names with one query of paths (the written
    names from ``names``, batch ``at``, where they were read beforehand), their papers'
    facets from ``facets``."""
    authors = reads.typed("author")
    reader = cast(PathReader, reads.reader)
    found = _follow(reader, authors, _AUTHOR_PATHS if names is None else _AUTHOR_PATHS[:-1])
    _add(drafts, "labels", found[0])
    if names is None:
        _add(drafts, "names", found[1])
    else:
        for iri, values in names.take(at, authors).items():
            drafts[iri].names.update(values)
    for iri in authors:
        gathered = facets.of.get(iri)
        if gathered is not None:
            draft = drafts[iri]
            draft.subjects |= gathered[0]
            draft.organizations |= gathered[1]


def _written_names(
    reader: PathReader, folder: FilePath, firsts: dict[str, list[str]]
) -> dict[str, Spill]:
    """The authorships' written names for the whole store with one read (each authorship
    once, with the papers naming it and its agent), put aside by batch of papers and of
    authors (``firsts``: the first IRI of each batch of each kind): what the last path of
    :data:`_PAPER_PATHS` and of :data:`_AUTHOR_PATHS` give, read batch by batch, where each
    authorship was a random index seek twice."""
    spills = {kind: Spill(folder / kind, firsts[kind]) for kind in ("paper", "author")}
    paper, author = spills["paper"], spills["author"]
    for cited_by, agent, name in reader.around(WRITTEN_NAME, _AUTHORSHIP_ENDS):
        if isinstance(cited_by, ox.NamedNode):
            paper.add(cited_by.value, name.value)
        if isinstance(agent, ox.NamedNode):
            author.add(agent.value, name.value)
    for spill in spills.values():
        spill.flush()
    return spills


def members(reader: GraphReader, kind: str) -> list[str]:
    """The IRIs of one kind's entities in the union, sorted (a full build's order)."""
    return sorted({s for s, _ in reader.pairs(RDF_TYPE, objects=[TYPES[kind]])})


def read_in_batches(
    reader: GraphReader, batch: int | None = None, *, scratch: FilePath | None = None
) -> Iterator[SearchDocument]:
    """The documents :func:`read_documents` gives for the whole store, in the same order,
    read ``batch`` entities at a time.

    A whole-store read holds every value of the predicates it scans and a draft of every
    entity of a kind at once (gigabytes at a million papers); here only one batch's are
    held, and folded by the same code as an update's (so the documents are the same: an
    update relies on that). The IRIs of one kind are held throughout, and from the papers
    to the authors each author's papers' site codes and organization identifiers
    (:class:`_Facets`).

    Read with a :class:`~kg.search.graph.PathReader` (the embedded store's), a batch of
    papers, authors or repositories is one query of paths (:data:`_PAPER_PATHS`, ...),
    and the authorships' written names are read once for the whole store before the
    papers (:func:`_written_names`), put aside on disk by batch of papers and of authors
    (:class:`~kg.search.spill.Spill`, in a temporary folder in ``scratch``: about 170 bytes an
    authorship, each batch's file deleted once read); with another reader (the ingest's
    observer's, an external store's), looked up predicate by predicate.
    """
    batch = BATCH if batch is None else batch
    if batch < 1:
        raise ValueError("a batch holds at least one entity")
    # A reader that follows paths (the store's): a batch of papers or authors with one
    # query, and the authors' facets gathered from the papers (looked up one by one, a
    # build in batches cost 2.7 times the CPU of a whole read at 100k papers, with paths
    # 1.6: about 60 us a lookup, where a row of a path query costs about 20).
    paths = hasattr(reader, "fields")
    # A reader that reads around a predicate (the store's): the written names read once
    # for the whole store and put aside on disk by batch (kg.search.spill), not looked up
    # from each batch of papers and again of authors.
    whole = hasattr(reader, "around")
    facets = _Facets()
    # ``scratch``: where the rows put aside go (the index's folder, on the store's disk); the
    # system's temporary folder is often memory (a tmpfs), and this is ~470 MB at 1M papers.
    with ScratchFolder(scratch) as aside:
        names: dict[str, Spill] = {}
        for kind in KINDS:
            iris = members(reader, kind)
            read = _READ[kind]
            if paths and kind == "paper":
                if whole:
                    firsts = {"paper": iris[::batch], "author": members(reader, "author")[::batch]}
                    names = _written_names(cast(PathReader, reader), FilePath(aside), firsts)
                read = partial(_papers_joined, facets=facets, names=names.get("paper"))
            elif paths and kind == "author":
                _untyped_papers(cast(PathReader, reader), facets, batch)
                read = partial(_authors_joined, facets=facets, names=names.get("author"))
            elif paths and kind == "repository":
                read = _repositories_joined
            for start in range(0, len(iris), batch):
                scope = iris[start : start + batch]
                drafts = _Drafts()
                # Only this kind's documents of the batch: an IRI typed twice (an
                # organization that is also a subject) is read again with its other kind's.
                reads = _Reads(reader, scope, kind=kind)
                if isinstance(read, partial):  # papers and authors: the batch's number too
                    read(reads, drafts, at=start // batch)
                else:
                    read(reads, drafts)
                yield from _documents(kind, drafts)
            del iris
            if kind == "author":
                facets = _Facets()  # read by no other kind


def stamps(reader: GraphReader, scope: Collection[str] | None = None) -> dict[str, str]:
    """For each organization and subject (of ``scope``): a digest of what other documents
    read of it (a subject's site codes and labels, an organization's identifiers and names).

    An update compares them with the stored ones: only when one changed are the papers
    that name it (and their authors) read again, not whenever a profile lists it.
    """
    reads = _Reads(reader, scope)
    fields = {"organization": (IDENTIFIER, NAME), "subject": (SITE_CODE, PREF_LABEL)}
    iris = {kind: reads.typed(kind) for kind in HUBS}
    out: dict[str, str] = {}
    for kind, predicates in fields.items():
        values = [reads.values(p, iris[kind]) for p in predicates]
        for iri in iris[kind]:
            payload = json.dumps(
                [
                    out.get(iri, ""),
                    kind,
                    *(sorted({v.value for v in vs.get(iri, ())}) for vs in values),
                ]
            )
            out[iri] = hashlib.sha256(payload.encode()).hexdigest()[:16]
    return out


def affected(
    reader: GraphReader, mentioned: Collection[str], changed_hubs: Collection[str]
) -> set[str]:
    """The entities whose documents may change when the graphs that type ``mentioned`` change.

    A source graph types every entity it says anything about (kg.rdf.map: a paper, each
    of its authors, its subjects, organizations and repositories; an authorship's paper
    and agent), in its old and new versions alike. Beyond those: the authors and
    repositories of a mentioned paper (an author shows their papers' subjects, a repository
    its papers' titles), and the papers (and their authors) naming an organization or
    subject whose stamp changed (``changed_hubs``, see :func:`stamps`).
    """
    scope = set(mentioned)
    hubs = set(changed_hubs)
    papers = set(scope)
    for predicate in (SUBJECT, ORGANIZATION):
        if hubs:
            papers.update(s for s, _ in reader.pairs(predicate, objects=hubs))
    scope |= papers
    for predicate in (AUTHOR, HAS_REPOSITORY):
        scope.update(
            o.value
            for _, o in reader.pairs(predicate, subjects=papers)
            if isinstance(o, ox.NamedNode)
        )
    return scope

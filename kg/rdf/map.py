"""Records -> RDF: one profile becomes the N-Triples of its own named graph.

The mapping writes N-Triples text directly instead of building rdflib or
pyoxigraph term objects: it is the hot path of ingest, and Oxigraph's bulk
loader reads text fastest. :func:`profile_graph` gives the same triples as an
rdflib graph for tests and tools.

What one profile's graph holds (prefixes as in :data:`kg.rdf.namespace.PREFIXES`):

* the source document ``<graph/{source}>`` with its SHA-256, parse time and a
  PROV activity naming the parser version, plus one ``kg:ParseFailure`` per
  line that could not be read;
* the profile snapshot ``<profile/{source}>``: owner (``foaf:primaryTopic``),
  whether the owner was inferred, the metrics, the date of the copy and the
  papers it lists;
* each paper: title, abstract, date (and the date as printed), subject, venue,
  Code flag, truncation flag, authors (``schema:author``) and their order
  (``prov:qualifiedAttribution`` -> ``kg:Authorship`` with ``schema:position``),
  repositories, other links, affiliation organizations;
* the authors, subjects, venue, organizations and repositories it mentions,
  with their names, so that each graph is self-contained.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from kg.model import PaperEntry, Profile, Repository
from kg.normalize import name_key, title_key
from kg.rdf.iri import IriScheme, escape_url
from kg.rdf.namespace import DCTERMS, FOAF, KG, PROV, RDF, RDFS, SCHEMA, SKOS, XSD

#: arXiv categories behind the site's two- to four-letter codes. Codes not
#: listed here still become subjects, labelled with the code itself.
SUBJECTS: dict[str, tuple[str, str]] = {
    "AI": ("cs.AI", "Artificial Intelligence"),
    "AR": ("cs.AR", "Hardware Architecture"),
    "CC": ("cs.CC", "Computational Complexity"),
    "CE": ("cs.CE", "Computational Engineering, Finance, and Science"),
    "CG": ("cs.CG", "Computational Geometry"),
    "CL": ("cs.CL", "Computation and Language"),
    "CR": ("cs.CR", "Cryptography and Security"),
    "CV": ("cs.CV", "Computer Vision and Pattern Recognition"),
    "CY": ("cs.CY", "Computers and Society"),
    "DB": ("cs.DB", "Databases"),
    "DC": ("cs.DC", "Distributed, Parallel, and Cluster Computing"),
    "DL": ("cs.DL", "Digital Libraries"),
    "DS": ("cs.DS", "Data Structures and Algorithms"),
    "GT": ("cs.GT", "Computer Science and Game Theory"),
    "HC": ("cs.HC", "Human-Computer Interaction"),
    "IR": ("cs.IR", "Information Retrieval"),
    "IT": ("cs.IT", "Information Theory"),
    "LG": ("cs.LG", "Machine Learning"),
    "LO": ("cs.LO", "Logic in Computer Science"),
    "MA": ("cs.MA", "Multiagent Systems"),
    "ML": ("stat.ML", "Machine Learning (Statistics)"),
    "MM": ("cs.MM", "Multimedia"),
    "NE": ("cs.NE", "Neural and Evolutionary Computing"),
    "NI": ("cs.NI", "Networking and Internet Architecture"),
    "PL": ("cs.PL", "Programming Languages"),
    "RO": ("cs.RO", "Robotics"),
    "SD": ("cs.SD", "Sound"),
    "SE": ("cs.SE", "Software Engineering"),
    "SI": ("cs.SI", "Social and Information Networks"),
    "SY": ("eess.SY", "Systems and Control"),
}

#: Full names of the affiliation tags the site shows; unknown tags keep the tag as name.
ORGANIZATIONS: dict[str, str] = {
    "tsinghua": "Tsinghua University",
    "pku": "Peking University",
    "stanford": "Stanford University",
    "mit": "Massachusetts Institute of Technology",
    "cmu": "Carnegie Mellon University",
    "berkeley": "University of California, Berkeley",
    "oxford": "University of Oxford",
    "cambridge": "University of Cambridge",
    "eth": "ETH Zurich",
    "sjtu": "Shanghai Jiao Tong University",
    "zju": "Zhejiang University",
    "fudan": "Fudan University",
    "nku": "Nankai University",
    "ustc": "University of Science and Technology of China",
}

ARXIV = ("arXiv", "https://arxiv.org/")

AuthorKey = Callable[[str], str]
PaperKey = Callable[[PaperEntry], str]


def _iri(value: str) -> str:
    return f"<{value}>"


# Every term the mapping writes, rendered once as "<iri>" (looking terms up on
# rdflib namespaces costs more than the rest of the mapping together).
_P: dict[str, str] = {
    "DCTERMS.abstract": f"<{DCTERMS.abstract}>",
    "DCTERMS.date": f"<{DCTERMS.date}>",
    "DCTERMS.identifier": f"<{DCTERMS.identifier}>",
    "DCTERMS.isPartOf": f"<{DCTERMS.isPartOf}>",
    "DCTERMS.subject": f"<{DCTERMS.subject}>",
    "DCTERMS.title": f"<{DCTERMS.title}>",
    "FOAF.Organization": f"<{FOAF.Organization}>",
    "FOAF.Person": f"<{FOAF.Person}>",
    "FOAF.primaryTopic": f"<{FOAF.primaryTopic}>",
    "KG.Authorship": f"<{KG.Authorship}>",
    "KG.ParseFailure": f"<{KG.ParseFailure}>",
    "KG.ProfileSnapshot": f"<{KG.ProfileSnapshot}>",
    "KG.SourceDocument": f"<{KG.SourceDocument}>",
    "KG.Venue": f"<{KG.Venue}>",
    "KG.authorListTruncated": f"<{KG.authorListTruncated}>",
    "KG.dateText": f"<{KG.dateText}>",
    "KG.declaredPaperCount": f"<{KG.declaredPaperCount}>",
    "KG.hasCode": f"<{KG.hasCode}>",
    "KG.hasRepository": f"<{KG.hasRepository}>",
    "KG.listsPaper": f"<{KG.listsPaper}>",
    "KG.ownerConfidence": f"<{KG.ownerConfidence}>",
    "KG.ownerEvidence": f"<{KG.ownerEvidence}>",
    "KG.ownerInferred": f"<{KG.ownerInferred}>",
    "KG.parseFailure": f"<{KG.parseFailure}>",
    "KG.rawText": f"<{KG.rawText}>",
    "KG.reason": f"<{KG.reason}>",
    "KG.repositoryHost": f"<{KG.repositoryHost}>",
    "KG.repositoryOwner": f"<{KG.repositoryOwner}>",
    "KG.sha256": f"<{KG.sha256}>",
    "KG.siteCode": f"<{KG.siteCode}>",
    "KG.sourceLine": f"<{KG.sourceLine}>",
    "KG.writtenName": f"<{KG.writtenName}>",
    "KG.yearInferred": f"<{KG.yearInferred}>",
    "PROV.Activity": f"<{PROV.Activity}>",
    "PROV.Entity": f"<{PROV.Entity}>",
    "PROV.SoftwareAgent": f"<{PROV.SoftwareAgent}>",
    "PROV.agent": f"<{PROV.agent}>",
    "PROV.endedAtTime": f"<{PROV.endedAtTime}>",
    "PROV.generatedAtTime": f"<{PROV.generatedAtTime}>",
    "PROV.qualifiedAttribution": f"<{PROV.qualifiedAttribution}>",
    "PROV.wasAssociatedWith": f"<{PROV.wasAssociatedWith}>",
    "PROV.wasDerivedFrom": f"<{PROV.wasDerivedFrom}>",
    "PROV.wasGeneratedBy": f"<{PROV.wasGeneratedBy}>",
    "RDF.type": f"<{RDF.type}>",
    "RDFS.label": f"<{RDFS.label}>",
    "RDFS.seeAlso": f"<{RDFS.seeAlso}>",
    "SCHEMA.Organization": f"<{SCHEMA.Organization}>",
    "SCHEMA.Person": f"<{SCHEMA.Person}>",
    "SCHEMA.ScholarlyArticle": f"<{SCHEMA.ScholarlyArticle}>",
    "SCHEMA.SoftwareSourceCode": f"<{SCHEMA.SoftwareSourceCode}>",
    "SCHEMA.author": f"<{SCHEMA.author}>",
    "SCHEMA.codeRepository": f"<{SCHEMA.codeRepository}>",
    "SCHEMA.identifier": f"<{SCHEMA.identifier}>",
    "SCHEMA.name": f"<{SCHEMA.name}>",
    "SCHEMA.position": f"<{SCHEMA.position}>",
    "SCHEMA.softwareVersion": f"<{SCHEMA.softwareVersion}>",
    "SCHEMA.sourceOrganization": f"<{SCHEMA.sourceOrganization}>",
    "SCHEMA.url": f"<{SCHEMA.url}>",
    "SKOS.Concept": f"<{SKOS.Concept}>",
    "SKOS.ConceptScheme": f"<{SKOS.ConceptScheme}>",
    "SKOS.inScheme": f"<{SKOS.inScheme}>",
    "SKOS.notation": f"<{SKOS.notation}>",
    "SKOS.prefLabel": f"<{SKOS.prefLabel}>",
}

_T = {  # predicates and classes, pre-rendered once
    "type": _P["RDF.type"],
    "label": _P["RDFS.label"],
    "seeAlso": _P["RDFS.seeAlso"],
}


def _escaped(value: str) -> str:
    """``value`` with the four characters an N-Triples string cannot hold as they are escaped.

    Four ``str.replace`` calls rather than one ``str.translate`` with a table: translate
    looks every character up (0.53 s for the 37M characters of literals of a 10k-paper
    store), while a replace that finds nothing is a fast scan that returns its input,
    and nearly no literal holds one of them (0.11 s). The backslash goes first, so that
    the backslashes of the other escapes are not doubled.
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def literal(value: str, lang: str | None = None) -> str:
    """An N-Triples string literal."""
    text = '"' + _escaped(value) + '"'
    return text + "@" + lang if lang else text


def typed(value: object, datatype: str) -> str:
    return f'"{_escaped(str(value))}"^^<{datatype}>'


_XSD_INTEGER = str(XSD.integer)
_TRUE = f'"true"^^<{XSD.boolean}>'
_FALSE = f'"false"^^<{XSD.boolean}>'


def integer(value: int) -> str:
    return f'"{value}"^^<{_XSD_INTEGER}>'


def boolean(value: bool) -> str:
    return _TRUE if value else _FALSE


def safe_iri(url: str) -> str | None:
    """A URL from free text as an N-Triples IRI (``<...>``), valid by construction.

    Returns None for anything that is not an absolute http(s) URL; see
    :func:`kg.rdf.iri.escape_url` for what is percent-encoded.
    """
    iri = escape_url(url)
    return None if iri is None else "<" + iri + ">"


class _Triples:
    """Collects N-Triples lines, dropping exact repeats (an author named twice)."""

    __slots__ = ("lines", "seen")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen: set[str] = set()

    def add(self, s: str, p: str, o: str) -> None:
        line = f"{s} {p} {o} .\n"
        if line not in self.seen:
            self.seen.add(line)
            self.lines.append(line)


@lru_cache(maxsize=65536)
def default_author_key(name: str) -> str:
    return name_key(name)


def default_paper_key(entry: PaperEntry) -> str:
    return title_key(entry.title)


def profile_ntriples(
    profile: Profile,
    scheme: IriScheme,
    *,
    parsed_at: datetime,
    parser_version: str,
    author_key: AuthorKey = default_author_key,
    paper_key: PaperKey = default_paper_key,
) -> list[str]:
    """The N-Triples lines of one profile's named graph (each line ends with a newline).

    ``author_key`` and ``paper_key`` decide identity: two names (titles) with one
    key are one author (paper). The defaults are the deterministic keys of
    :mod:`kg.normalize`; :mod:`kg.identity.resolve` supplies richer ones.
    """
    out = _Triples()
    add = out.add
    a = _T["type"]
    graph = _iri(scheme.graph(profile.source))

    # The source document and its provenance.
    activity = _iri(scheme.graph(profile.source) + "#parse")
    agent = _iri(scheme.parser_agent(parser_version))
    stamp = typed(parsed_at.isoformat(timespec="seconds"), XSD.dateTime)
    add(graph, a, _P["KG.SourceDocument"])
    add(graph, a, _P["PROV.Entity"])
    add(graph, _P["DCTERMS.identifier"], literal(profile.source))
    if profile.sha256:
        add(graph, _P["KG.sha256"], literal(profile.sha256))
    add(graph, _P["PROV.generatedAtTime"], stamp)
    add(graph, _P["PROV.wasGeneratedBy"], activity)
    add(activity, a, _P["PROV.Activity"])
    add(activity, _P["PROV.endedAtTime"], stamp)
    add(activity, _P["PROV.wasAssociatedWith"], agent)
    add(agent, a, _P["PROV.SoftwareAgent"])
    add(agent, _P["SCHEMA.name"], literal("kg profile parser"))
    add(agent, _P["SCHEMA.softwareVersion"], literal(parser_version))
    for index, failure in enumerate(profile.failures, start=1):
        node = _iri(f"{scheme.graph(profile.source)}#failure-{index}")
        add(graph, _P["KG.parseFailure"], node)
        add(node, a, _P["KG.ParseFailure"])
        add(node, _P["KG.sourceLine"], integer(failure.line))
        add(node, _P["KG.reason"], literal(failure.reason))
        if failure.raw:
            add(node, _P["KG.rawText"], literal(failure.raw[:500]))

    # The profile snapshot.
    snapshot = _iri(scheme.profile(profile.source))
    add(snapshot, a, _P["KG.ProfileSnapshot"])
    add(snapshot, a, _P["PROV.Entity"])
    add(snapshot, _P["PROV.wasDerivedFrom"], graph)
    add(snapshot, _P["DCTERMS.date"], typed(profile.as_of.isoformat(), XSD.date))
    owner_iri: str | None = None
    owner_key: str | None = None
    if profile.owner.name:
        owner_key = author_key(profile.owner.name)
        owner_iri = _iri(scheme.author_from_key(owner_key))
        _person(add, owner_iri, profile.owner.name)
        add(snapshot, _P["FOAF.primaryTopic"], owner_iri)
        add(
            snapshot,
            _P["RDFS.label"],
            literal(f"Profile of {profile.owner.name} ({profile.source})"),
        )
    else:
        add(snapshot, _P["RDFS.label"], literal(f"Profile {profile.source} (owner unknown)"))
    add(snapshot, _P["KG.ownerInferred"], boolean(profile.owner.inferred))
    add(snapshot, _P["KG.ownerConfidence"], literal(profile.owner.confidence))
    if profile.owner.inferred and profile.owner.evidence:
        add(snapshot, _P["KG.ownerEvidence"], literal(profile.owner.evidence))
    if profile.category:
        add(snapshot, _P["DCTERMS.subject"], _subject(add, scheme, profile.category))
    metrics = profile.metrics
    if metrics is not None:
        for predicate, value in (
            (KG.hIndex, metrics.h_index),
            (KG.paperCount, metrics.papers),
            (KG.citationCount, metrics.citations),
            (KG.noveltyPercent, metrics.novelty),
            (KG.aiScore, metrics.ai_score),
        ):
            if value is not None:
                add(snapshot, _iri(predicate), integer(value))
    if profile.declared_count is not None:
        add(snapshot, _P["KG.declaredPaperCount"], integer(profile.declared_count))

    venue = _iri(scheme.venue(ARXIV[0]))
    add(venue, a, _P["KG.Venue"])
    add(venue, _P["SCHEMA.name"], literal(ARXIV[0]))
    add(venue, _P["SCHEMA.url"], _iri(ARXIV[1]))

    for entry in profile.papers:
        paper = _iri(scheme.paper_from_key(paper_key(entry)))
        add(snapshot, _P["KG.listsPaper"], paper)
        _paper(add, scheme, entry, paper, venue, author_key, owner_iri, owner_key)
    return out.lines


def _person(add: Callable[[str, str, str], None], iri: str, name: str) -> None:
    add(iri, _T["type"], _P["SCHEMA.Person"])
    add(iri, _T["type"], _P["FOAF.Person"])
    add(iri, _P["SCHEMA.name"], literal(name))


def _subject(add: Callable[[str, str, str], None], scheme: IriScheme, code: str) -> str:
    concept = _iri(scheme.subject(code))
    concept_scheme = _iri(scheme.subject_scheme())
    notation, label = SUBJECTS.get(code, (None, code))
    add(concept, _T["type"], _P["SKOS.Concept"])
    add(concept, _P["SKOS.inScheme"], concept_scheme)
    add(concept, _P["SKOS.prefLabel"], literal(label, "en"))
    add(concept, _P["KG.siteCode"], literal(code))
    if notation:
        add(concept, _P["SKOS.notation"], literal(notation))
    add(concept_scheme, _T["type"], _P["SKOS.ConceptScheme"])
    add(concept_scheme, _P["SKOS.prefLabel"], literal("Subject categories (arXiv)", "en"))
    return concept


def _repository(
    add: Callable[[str, str, str], None], scheme: IriScheme, repo: Repository
) -> str | None:
    url = safe_iri(repo.url)
    if url is None:
        return None
    node = _iri(scheme.repository(repo.host, repo.owner, repo.name))
    add(node, _T["type"], _P["SCHEMA.SoftwareSourceCode"])
    add(node, _P["SCHEMA.codeRepository"], url)
    add(node, _P["SCHEMA.name"], literal(repo.name))
    add(node, _P["KG.repositoryHost"], literal(repo.host))
    add(node, _P["KG.repositoryOwner"], literal(repo.owner))
    return node


def _paper(
    add: Callable[[str, str, str], None],
    scheme: IriScheme,
    entry: PaperEntry,
    paper: str,
    venue: str,
    author_key: AuthorKey,
    owner_iri: str | None,
    owner_key: str | None,
) -> None:
    add(paper, _T["type"], _P["SCHEMA.ScholarlyArticle"])
    add(paper, _P["DCTERMS.title"], literal(entry.title))
    if entry.abstract:
        add(paper, _P["DCTERMS.abstract"], literal(entry.abstract))
    if entry.date is not None:
        add(paper, _P["DCTERMS.date"], typed(entry.date.isoformat(), XSD.date))
    add(paper, _P["KG.dateText"], literal(entry.date_text))
    add(paper, _P["KG.yearInferred"], boolean(entry.year_inferred))
    add(paper, _P["DCTERMS.subject"], _subject(add, scheme, entry.category))
    add(paper, _P["DCTERMS.isPartOf"], venue)
    add(paper, _P["KG.hasCode"], boolean(entry.has_code))
    add(paper, _P["KG.authorListTruncated"], boolean(entry.authors_truncated))
    paper_iri = paper[1:-1]
    keys: set[str] = set()
    for position, name in enumerate(entry.authors, start=1):
        key = author_key(name)
        keys.add(key)
        person = _iri(scheme.author_from_key(key))
        _person(add, person, name)
        add(paper, _P["SCHEMA.author"], person)
        authorship = _iri(f"{paper_iri}#author-{position}")
        add(paper, _P["PROV.qualifiedAttribution"], authorship)
        add(authorship, _T["type"], _P["KG.Authorship"])
        add(authorship, _P["PROV.agent"], person)
        add(authorship, _P["SCHEMA.position"], integer(position))
        add(authorship, _P["KG.writtenName"], literal(name))
    # The site lists a paper on its author's profile: the owner is an author
    # even where the visible list is cut by "et al." (but never against a
    # complete list that does not name them).
    if owner_iri and owner_key not in keys and entry.authors_truncated:
        add(paper, _P["SCHEMA.author"], owner_iri)
    for repo in entry.repositories:
        node = _repository(add, scheme, repo)
        if node:
            add(paper, _P["KG.hasRepository"], node)
    for link in entry.links:
        node = safe_iri(link)
        if node:
            add(paper, _T["seeAlso"], node)
    for tag in entry.affiliations:
        org = _iri(scheme.organization(tag))
        add(org, _T["type"], _P["SCHEMA.Organization"])
        add(org, _T["type"], _P["FOAF.Organization"])
        add(org, _P["SCHEMA.identifier"], literal(tag))
        add(org, _P["SCHEMA.name"], literal(ORGANIZATIONS.get(tag, tag)))
        add(paper, _P["SCHEMA.sourceOrganization"], org)


def profile_graph(profile: Profile, scheme: IriScheme, **options: Any) -> Any:
    """The profile's triples as an rdflib Graph (for tests and tools, not the hot path)."""
    from datetime import UTC

    from rdflib import Graph

    options.setdefault("parsed_at", datetime(2000, 1, 1, tzinfo=UTC))
    options.setdefault("parser_version", "test")
    lines = profile_ntriples(profile, scheme, **options)
    graph = Graph()
    graph.parse(data="".join(lines), format="nt")
    return graph

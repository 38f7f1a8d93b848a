"""Read papers from a store as :class:`Work` records, ready to cite.

One SELECT returns one row per paper and multi-valued field; rows are folded
into records here. The filters (paper, author, subject, organization, years)
are bound as ``substitutions``; an unbound filter keeps every paper (the same
``COALESCE`` idiom as the canned reports). A list of papers (the rows of a report)
cannot be one substitution: it goes in as a ``VALUES`` block of IRIs written in their
N-Triples form by pyoxigraph, which escapes them (as :func:`kg.sparql.text.with_values`
does), at most :data:`PAPERS_PER_QUERY` per query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyoxigraph as ox

from kg.rdf.namespace import sparql_prologue
from kg.store.query import QueryBackend, QueryRequest

#: The most papers one bibliography or feed request reads.
MAX_WORKS = 5000
#: Papers named in one query's VALUES block (:func:`load_works` with ``papers``).
PAPERS_PER_QUERY = 500

_ARXIV_ABS = re.compile(r"^https?://arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?$")


@dataclass(frozen=True, slots=True)
class Author:
    """One author as the paper prints them (``written``), with the person's IRI when known."""

    written: str
    iri: str | None = None

    @property
    def family_given(self) -> tuple[str, str]:
        """(family, given): the last word is the family name, as the site prints names."""
        parts = self.written.split()
        if len(parts) < 2:
            return self.written, ""
        return parts[-1], " ".join(parts[:-1])


@dataclass(frozen=True, slots=True)
class Work:
    """A paper with what a citation needs."""

    iri: str
    title: str
    authors: tuple[Author, ...] = ()
    #: The site shows only the first authors and "et al.".
    truncated: bool = False
    issued: date | None = None
    venue: str | None = None
    abstract: str | None = None
    subjects: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()

    @property
    def year(self) -> int | None:
        return self.issued.year if self.issued else None

    @property
    def arxiv_id(self) -> str | None:
        for link in self.links:
            match = _ARXIV_ABS.match(link)
            if match:
                return match.group(1)
        return None

    @property
    def url(self) -> str:
        """Where a reader finds the paper: its arXiv page when known, else its page here."""
        arxiv = self.arxiv_id
        return f"https://arxiv.org/abs/{arxiv}" if arxiv else self.iri


_QUERY = (
    sparql_prologue()
    + """
# The filter variables are projected: pyoxigraph binds substitutions through the projection.
SELECT ?paper ?field ?position ?value ?value_iri
       ?only_paper ?only_author ?only_subject ?only_organization ?from_year ?to_year
WHERE {
  {
    SELECT DISTINCT ?paper ?only_paper ?only_author ?only_subject ?only_organization ?from_year ?to_year
    WHERE {
      #PAPERS
      ?paper a schema:ScholarlyArticle ; dcterms:title ?title_ .
      OPTIONAL { ?paper dcterms:date ?date_ }
      OPTIONAL { ?paper schema:author ?author_ }
      OPTIONAL { ?paper dcterms:subject ?subject_ }
      OPTIONAL { ?paper schema:sourceOrganization ?organization_ }
      BIND(COALESCE(YEAR(?date_), 0) AS ?year_)
      FILTER(COALESCE(?paper = ?only_paper, true))
      # A filter not given is unbound: isIRI errs and the outer COALESCE keeps the paper. A
      # filter given keeps only a paper with that value: one without the field (unbound
      # after its OPTIONAL) errs in the comparison and is left out. (BOUND() of a
      # substituted variable is false in pyoxigraph 0.5, hence isIRI.)
      FILTER(COALESCE(IF(isIRI(?only_author), COALESCE(?author_ = ?only_author, false), true), true))
      FILTER(COALESCE(IF(isIRI(?only_subject), COALESCE(?subject_ = ?only_subject, false), true), true))
      FILTER(COALESCE(IF(isIRI(?only_organization),
        COALESCE(?organization_ = ?only_organization, false), true), true))
      FILTER(COALESCE(?year_ >= ?from_year, true))
      FILTER(COALESCE(?year_ <= ?to_year, true))
    }
  }
  {
    ?paper dcterms:title ?value . BIND("title" AS ?field)
  } UNION {
    ?paper dcterms:date ?value . BIND("date" AS ?field)
  } UNION {
    ?paper prov:qualifiedAttribution ?authorship .
    ?authorship schema:position ?position ; prov:agent ?value_iri ; kg:writtenName ?value .
    BIND("author" AS ?field)
  } UNION {
    ?paper kg:authorListTruncated ?value . BIND("truncated" AS ?field)
  } UNION {
    ?paper dcterms:isPartOf/schema:name ?value . BIND("venue" AS ?field)
  } UNION {
    ?paper dcterms:abstract ?value . BIND("abstract" AS ?field)
  } UNION {
    ?paper dcterms:subject ?value_iri .
    OPTIONAL { ?value_iri skos:prefLabel ?label_ }
    OPTIONAL { ?value_iri kg:siteCode ?code_ }
    BIND(COALESCE(STR(?label_), ?code_) AS ?value)
    BIND("subject" AS ?field)
  } UNION {
    ?paper rdfs:seeAlso ?value_iri . BIND(STR(?value_iri) AS ?value) BIND("link" AS ?field)
  } UNION {
    ?paper kg:hasRepository/schema:codeRepository ?url_ .
    BIND(STR(?url_) AS ?value) BIND("repository" AS ?field)
  }
}
"""
)


@dataclass(slots=True)
class _Draft:
    iri: str
    title: str = ""
    issued: date | None = None
    truncated: bool = False
    venue: str | None = None
    abstract: str | None = None
    authors: dict[int, Author] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    repositories: set[str] = field(default_factory=set)

    def work(self) -> Work:
        return Work(
            iri=self.iri,
            title=self.title,
            authors=tuple(self.authors[p] for p in sorted(self.authors)),
            truncated=self.truncated,
            issued=self.issued,
            venue=self.venue,
            abstract=self.abstract,
            subjects=tuple(sorted(self.subjects)),
            links=tuple(sorted(self.links)),
            repositories=tuple(sorted(self.repositories)),
        )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        match = re.match(r"^(\d{4})", text)
        return date(int(match.group(1)), 1, 1) if match else None


def works_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Work]:
    """Fold the query's rows (field, position, value, value_iri) into records, newest first."""
    drafts: dict[str, _Draft] = {}
    for row in rows:
        paper = row["paper"].value
        draft = drafts.setdefault(paper, _Draft(paper))
        name = row["field"].value
        value = row["value"].value if row.get("value") is not None else ""
        if name == "title":
            draft.title = value
        elif name == "date":
            draft.issued = _date(value)
        elif name == "author":
            position = int(row["position"].value)
            value_iri = row.get("value_iri")
            draft.authors[position] = Author(value, value_iri.value if value_iri else None)
        elif name == "truncated":
            draft.truncated = value == "true"
        elif name == "venue":
            draft.venue = value
        elif name == "abstract":
            draft.abstract = value
        elif name == "subject":
            draft.subjects.add(value)
        elif name == "link":
            draft.links.add(value)
        elif name == "repository":
            draft.repositories.add(value)
    works = [draft.work() for draft in drafts.values() if draft.title]
    works.sort(key=lambda w: (-(w.issued.toordinal() if w.issued else 0), w.title, w.iri))
    return works


def load_works(
    backend: QueryBackend,
    *,
    paper: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    organization: str | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
    papers: Sequence[str] | None = None,
    limit: int | None = None,
    timeout: float | None = None,
) -> list[Work]:
    """The papers that match every filter given (IRIs for the entities), newest first;
    with ``papers`` (paper IRIs), only those, in that order (duplicates dropped); at most
    ``limit`` of them (default :data:`MAX_WORKS`).

    Raises ValueError for a string in ``papers`` that is no IRI, and the backend's errors.

    >>> from kg.store.embedded import KGStore
    >>> from kg.store.query import LocalBackend
    >>> load_works(LocalBackend(KGStore.in_memory()))
    []
    """
    limit = MAX_WORKS if limit is None else limit
    bindings: dict[str, Any] = {}
    for name, iri in (
        ("only_paper", paper),
        ("only_author", author),
        ("only_subject", subject),
        ("only_organization", organization),
    ):
        if iri is not None:
            bindings[name] = ox.NamedNode(iri)
    if from_year is not None:
        bindings["from_year"] = ox.Literal(str(from_year), datatype=ox.NamedNode(_XSD_INTEGER))
    if to_year is not None:
        bindings["to_year"] = ox.Literal(str(to_year), datatype=ox.NamedNode(_XSD_INTEGER))
    if papers is None:
        outcome = backend.run(QueryRequest(_QUERY, substitutions=bindings), timeout=timeout)
        return works_from_rows(outcome.rows)[:limit]
    wanted = [ox.NamedNode(iri) for iri in dict.fromkeys(papers)][:limit]
    found: dict[str, Work] = {}
    for start in range(0, len(wanted), PAPERS_PER_QUERY):
        chunk = wanted[start : start + PAPERS_PER_QUERY]
        # str() of a NamedNode is its N-Triples form: <...> with the IRI escaped.
        values = "VALUES ?paper { " + " ".join(str(node) for node in chunk) + " }"
        query = _QUERY.replace("#PAPERS", values, 1)
        outcome = backend.run(QueryRequest(query, substitutions=bindings), timeout=timeout)
        found.update((w.iri, w) for w in works_from_rows(outcome.rows))
    return [found[node.value] for node in wanted if node.value in found]


_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

"""What is searchable, read from a store as one :class:`SearchDocument` per entity.

Five small queries (one per kind of entity); multi-valued fields are folded
here. Works on every :class:`~kg.store.query.QueryBackend`, so an external
SPARQL store is indexed the same way as the embedded one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kg.normalize import name_key
from kg.rdf.namespace import sparql_prologue
from kg.store.query import QueryBackend, QueryRequest

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


_PAPERS = """
SELECT ?iri ?field ?value WHERE {
  ?iri a schema:ScholarlyArticle .
  {
    ?iri dcterms:title ?value . BIND("label" AS ?field)
  } UNION {
    ?iri dcterms:abstract ?value . BIND("body" AS ?field)
  } UNION {
    ?iri dcterms:date ?date_ . BIND(STR(YEAR(?date_)) AS ?value) BIND("year" AS ?field)
  } UNION {
    ?iri kg:hasCode ?code_ . BIND(STR(?code_) AS ?value) BIND("has_code" AS ?field)
  } UNION {
    ?iri prov:qualifiedAttribution/kg:writtenName ?value . BIND("context" AS ?field)
  } UNION {
    ?iri dcterms:subject ?subject_ . ?subject_ kg:siteCode ?value . BIND("subject" AS ?field)
  } UNION {
    ?iri dcterms:subject/skos:prefLabel ?label_ . BIND(STR(?label_) AS ?value) BIND("context" AS ?field)
  } UNION {
    ?iri schema:sourceOrganization/schema:identifier ?value . BIND("organization" AS ?field)
  } UNION {
    ?iri schema:sourceOrganization/schema:name ?value . BIND("context" AS ?field)
  }
}
"""
_AUTHORS = """
SELECT ?iri ?field ?value WHERE {
  ?iri a schema:Person .
  {
    ?iri schema:name ?value . BIND("label" AS ?field)
  } UNION {
    ?authorship prov:agent ?iri ; kg:writtenName ?value . BIND("names" AS ?field)
  } UNION {
    ?paper schema:author ?iri ; dcterms:subject/kg:siteCode ?value . BIND("subject" AS ?field)
  } UNION {
    ?paper schema:author ?iri ; schema:sourceOrganization/schema:identifier ?value .
    BIND("organization" AS ?field)
  }
}
"""
_ORGANIZATIONS = """
SELECT ?iri ?field ?value WHERE {
  ?iri a schema:Organization .
  { ?iri schema:name ?value . BIND("label" AS ?field) }
  UNION { ?iri schema:identifier ?value . BIND("names" AS ?field) }
  UNION { ?iri schema:identifier ?value . BIND("organization" AS ?field) }
}
"""
_REPOSITORIES = """
SELECT ?iri ?field ?value WHERE {
  ?iri a schema:SoftwareSourceCode .
  { ?iri schema:codeRepository ?url_ . BIND(STR(?url_) AS ?value) BIND("label" AS ?field) }
  UNION { ?iri schema:name ?value . BIND("names" AS ?field) }
  UNION { ?iri kg:repositoryOwner ?value . BIND("names" AS ?field) }
  UNION { ?iri kg:repositoryHost ?value . BIND("context" AS ?field) }
  UNION { ?paper kg:hasRepository ?iri ; dcterms:title ?value . BIND("context" AS ?field) }
}
"""
_SUBJECTS = """
SELECT ?iri ?field ?value WHERE {
  ?iri a skos:Concept ; kg:siteCode ?code_ .
  { ?iri skos:prefLabel ?label_ . BIND(STR(?label_) AS ?value) BIND("label" AS ?field) }
  UNION { BIND(?code_ AS ?value) BIND("names" AS ?field) }
  UNION { ?iri skos:notation ?value . BIND("names" AS ?field) }
  UNION { BIND(?code_ AS ?value) BIND("subject" AS ?field) }
}
"""
QUERIES = {
    "paper": _PAPERS,
    "author": _AUTHORS,
    "organization": _ORGANIZATIONS,
    "repository": _REPOSITORIES,
    "subject": _SUBJECTS,
}


@dataclass(slots=True)
class _Draft:
    label: str = ""
    names: set[str] = field(default_factory=set)
    body: str = ""
    context: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)
    year: int | None = None
    has_code: bool | None = None


def _fold(kind: str, rows: list[dict[str, Any]]) -> Iterator[SearchDocument]:
    drafts: dict[str, _Draft] = {}
    for row in rows:
        if row.get("value") is None:  # e.g. YEAR() of a date the store cannot read
            continue
        draft = drafts.setdefault(row["iri"].value, _Draft())
        name, value = row["field"].value, row["value"].value
        if name == "label":
            # Several labels (a merged author's names): keep the first in a stable order.
            draft.label = min(draft.label, value) if draft.label else value
            draft.names.add(value)
        elif name == "names":
            draft.names.add(value)
        elif name == "body":
            draft.body = value
        elif name == "context":
            draft.context.add(value)
        elif name == "subject":
            draft.subjects.add(value)
        elif name == "organization":
            draft.organizations.add(value)
        elif name == "year" and value.isdigit():
            draft.year = int(value)
        elif name == "has_code":
            draft.has_code = value == "true"
    for iri, draft in sorted(drafts.items()):
        if not draft.label:
            continue
        names = set(draft.names)
        # "Yi-Fan Zhang" is also found as "Yifan Zhang": index the folded, joined spelling too.
        names.update(name_key(n) for n in draft.names if kind == "author")
        names.discard(draft.label)
        yield SearchDocument(
            iri=iri,
            kind=kind,
            label=draft.label,
            names=tuple(sorted(names)),
            body=draft.body,
            context=tuple(sorted(draft.context)),
            subjects=tuple(sorted(draft.subjects)),
            organizations=tuple(sorted(draft.organizations)),
            year=draft.year,
            has_code=draft.has_code,
        )


def read_documents(
    backend: QueryBackend, *, timeout: float | None = None
) -> Iterator[SearchDocument]:
    """Every searchable entity of the store, kind by kind."""
    prologue = sparql_prologue()
    for kind in KINDS:
        outcome = backend.run(QueryRequest(prologue + QUERIES[kind]), timeout=timeout)
        yield from _fold(kind, outcome.rows)

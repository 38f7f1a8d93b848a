"""Minting of the project's IRIs under a configurable base.

Every IRI is a pure function of the base and the entity's key, so it is the
same across runs and machines. Paths (relative to the base):

==================  =============================================  ===========================
kind                path                                           key
==================  =============================================  ===========================
author              ``author/{slug}``                              :func:`kg.normalize.name_key`
paper               ``paper/{slug}-{hash6}``                       :func:`kg.normalize.title_key`
repository          ``repo/{host}/{owner}/{name}``                 normalised repository URL
venue               ``venue/{slug}``                               venue name
subject             ``subject/{code}``                             the site's category code
subject scheme      ``subject/``                                   -
organization        ``org/{slug}``                                 affiliation tag
profile snapshot    ``profile/{source}``                           source name
source graph        ``graph/{source}``                             source name (file name)
identity graph      ``graph/_identity``                            -
==================  =============================================  ===========================

Source names are percent-encoded path segments; everything else is a slug of
ASCII letters, digits and hyphens (repository owners and names keep their case,
as the hosts do).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from kg.normalize import name_key, slugify, title_key
from kg.settings import DEFAULT_BASE_IRI, normalise_base

#: The kinds of resource the project mints, by their first path segment.
KINDS: dict[str, str] = {
    "author": "author",
    "paper": "paper",
    "repo": "repository",
    "venue": "venue",
    "subject": "subject",
    "org": "organization",
    "profile": "profile",
    "graph": "graph",
    "decision": "decision",
}

IDENTITY_GRAPH_NAME = "_identity"


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


@lru_cache(maxsize=131072)
def _author_slug(key: str) -> str:
    return slugify(key, max_length=120) or "x-" + _short_hash(key)


@lru_cache(maxsize=131072)
def _paper_slug(key: str) -> str:
    slug = slugify(key, max_length=60)
    return f"{slug + '-' if slug else ''}{_short_hash(key)}"


@dataclass(frozen=True, slots=True)
class IriScheme:
    """Mints IRIs under ``base``: ``IriScheme("https://kg.example.org/").author("Weiran Huang")``."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", normalise_base(self.base))

    def author(self, name: str) -> str:
        return self.author_from_key(name_key(name))

    def author_from_key(self, key: str) -> str:
        return f"{self.base}author/{_author_slug(key)}"

    def paper(self, title: str) -> str:
        return self.paper_from_key(title_key(title))

    def paper_from_key(self, key: str) -> str:
        return f"{self.base}paper/{_paper_slug(key)}"

    def repository(self, host: str, owner: str, name: str) -> str:
        parts = (quote(host.lower(), safe=""), quote(owner, safe=""), quote(name, safe=""))
        return f"{self.base}repo/" + "/".join(parts)

    def venue(self, name: str) -> str:
        return f"{self.base}venue/{slugify(name) or _short_hash(name)}"

    def subject_scheme(self) -> str:
        return f"{self.base}subject/"

    def subject(self, code: str) -> str:
        return f"{self.base}subject/{quote(code, safe='')}"

    def organization(self, tag: str) -> str:
        return f"{self.base}org/{slugify(tag) or _short_hash(tag)}"

    def profile(self, source: str) -> str:
        return f"{self.base}profile/{quote(source, safe='')}"

    def graph(self, source: str) -> str:
        return f"{self.base}graph/{quote(source, safe='')}"

    def identity_graph(self) -> str:
        return self.graph(IDENTITY_GRAPH_NAME)

    def decision(self, key: str) -> str:
        return f"{self.base}decision/{_short_hash(key)}{_short_hash('x' + key)}"

    def parser_agent(self, version: str) -> str:
        return f"{self.base}agent/kg-parser/{quote(version, safe='')}"

    def source_of_graph(self, graph_iri: str) -> str | None:
        """The source name a graph IRI stands for, or None if it is not one of ours."""
        prefix = f"{self.base}graph/"
        if not graph_iri.startswith(prefix):
            return None
        name = unquote(graph_iri[len(prefix) :])
        return None if name == IDENTITY_GRAPH_NAME else name

    def kind_of(self, iri: str) -> str | None:
        """Which kind of resource an IRI under this base names, if any."""
        if not iri.startswith(self.base):
            return None
        head = iri[len(self.base) :].split("/", 1)[0]
        return KINDS.get(head)

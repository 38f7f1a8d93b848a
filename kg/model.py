"""Typed records produced by the parser and consumed by resolution and mapping.

Every record is a frozen dataclass that remembers where it came from (the
source name and the 1-based physical line), so that any fact in the graph can
be traced back to a line of a profile page. Nothing here imports an RDF
library: the pipeline is parse -> records -> resolve -> RDF -> store -> serve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Layout = Literal["A", "B"]


@dataclass(frozen=True, slots=True)
class Repository:
    """A code repository, normalised to its root URL (``https://github.com/OWNER/NAME``)."""

    url: str
    host: str
    owner: str
    name: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """The profile header's metric block as the site showed it on the copy date."""

    h_index: int | None = None
    papers: int | None = None
    citations: int | None = None
    novelty: int | None = None
    ai_score: int | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose profile a page is.

    ``inferred`` is true when the page had no name in its header and the owner
    was deduced from the author lists (complete-author-list test); ``confidence``
    then says how sure that deduction is ("certain", "high", "low"); it is
    "header" when the name came from the page header.
    """

    name: str | None
    inferred: bool = False
    confidence: str = "header"
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class PaperEntry:
    """One paper entry of a profile page, named by the line of its date line."""

    source: str
    line: int
    title: str
    authors: tuple[str, ...]
    authors_truncated: bool
    affiliations: tuple[str, ...]
    category: str
    date: date | None
    date_text: str
    year_inferred: bool
    has_code: bool
    repositories: tuple[Repository, ...]
    links: tuple[str, ...]
    abstract: str
    layout: Layout = "A"
    # For layout B (title and authors glued on one line): how the split was found.
    split_method: str | None = None


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Something the parser could not read: kept as data, never raised."""

    source: str
    line: int
    reason: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything one profile page says, plus what could not be read from it."""

    source: str
    sha256: str
    as_of: date
    owner: Owner
    category: str | None
    metrics: Metrics | None
    declared_count: int | None
    papers: tuple[PaperEntry, ...]
    failures: tuple[ParseFailure, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """A profile is usable when it yielded at least one paper or a header."""
        return bool(self.papers) or self.metrics is not None


def paper_to_json(entry: PaperEntry) -> dict[str, Any]:
    """The documented JSON shape of one paper (see README, "kg parse")."""
    return {
        "line": entry.line,
        "title": entry.title,
        "authors": list(entry.authors),
        "authors_truncated": entry.authors_truncated,
        "affiliations": list(entry.affiliations),
        "category": entry.category,
        "date": entry.date.isoformat() if entry.date else None,
        "year_inferred": entry.year_inferred,
        "has_code": entry.has_code,
        "repositories": [repo.url for repo in entry.repositories],
        "links": list(entry.links),
        "abstract": entry.abstract,
    }


def profile_to_json(profile: Profile) -> dict[str, Any]:
    """The documented JSON shape of one parsed file (see README, "kg parse")."""
    metrics = profile.metrics
    return {
        "source": profile.source,
        "owner": {"name": profile.owner.name, "inferred": profile.owner.inferred},
        "category": profile.category,
        "metrics": {
            "h_index": metrics.h_index if metrics else None,
            "papers": metrics.papers if metrics else None,
            "citations": metrics.citations if metrics else None,
            "novelty": metrics.novelty if metrics else None,
            "ai_score": metrics.ai_score if metrics else None,
        },
        "papers": [paper_to_json(p) for p in profile.papers],
        "failures": [{"line": f.line, "reason": f.reason} for f in profile.failures],
    }

"""The generator's knobs, its statistics, and the people and papers it draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Proportions:
    """How often each variation occurs (fractions)."""

    headerless: float = 0.15
    header_without_name: float = 0.15
    layout_b: float = 0.15
    trailing_newline: float = 0.1
    truncated_page: float = 0.1
    affiliation_files: float = 0.12
    code: float = 0.22
    latex: float = 0.29  # abstracts that may carry markup; about 25% do, as in the seeds
    variant_mention: float = 0.07
    initials_paper: float = 0.02
    typo_share: float = 0.05
    homonym: float = 0.01
    mover: float = 0.03
    sibling: float = 0.012
    title_variant: float = 0.06
    outsider: float = 0.08


@dataclass(slots=True)
class GenerateStats:
    files: int = 0
    papers: int = 0
    listings: int = 0
    mentions: int = 0
    variant_mentions: int = 0
    persons: int = 0
    siblings: int = 0
    title_variants: int = 0
    homonyms: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Person:
    pid: int
    given: list[str]  # given names (first is the main one); middle names after it
    surname: str
    origin: str  # "cn", "west", "ru", "ar", "in", "jp", "kr"
    forms: list[str] = field(default_factory=list)  # variant renderings (not the canonical one)

    @property
    def name(self) -> str:
        return " ".join([*self.given, self.surname])


@dataclass(slots=True)
class Paper:
    pid: int
    title: str
    day: date
    category: str
    authors: list[int]  # person ids, in order
    written: list[str]  # the names as the paper's metadata writes them
    abstract: str
    code: bool
    code_url: str | None = None  # the repository the abstract links to, if any

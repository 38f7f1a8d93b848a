"""The curation file: curated must-link / cannot-link pairs that win over resolution.

Lines ``must-link<TAB>A<TAB>B[<TAB>note]`` and ``cannot-link<TAB>A<TAB>B[<TAB>note]``
(``docs/identity.md``), where A and B are author names, author or paper IRIs, or
``paper: <title>``. :func:`load_curation` reads a file (pure, bad lines become
problems); :func:`curation_constraints` ties its entries to the keys in the data,
as the :class:`~kg.identity.records.Constraint` s that :func:`kg.identity.resolve.resolve`
takes. IRIs are read through :class:`IriNaming`, which :class:`kg.rdf.iri.IriScheme`
provides (this module sits below the RDF layer and does not import it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kg.identity.records import Constraint
from kg.normalize import name_key, title_key

__all__ = [
    "CURATION_ENTRY",
    "DEFAULT_CURATION",
    "RELATIONS",
    "Curation",
    "CurationEntry",
    "IriNaming",
    "curation_constraints",
    "load_curation",
]

#: The curation file ``kg ingest`` reads when no ``--curation`` is given, if it exists.
DEFAULT_CURATION = "curation.tsv"
RELATIONS = ("must-link", "cannot-link")
#: Evidence prefix under which a curated decision records its curation entry.
CURATION_ENTRY = "curation entry: "


class IriNaming(Protocol):
    """What curation needs of an IRI scheme (:class:`kg.rdf.iri.IriScheme`)."""

    def kind_of(self, iri: str) -> str | None: ...

    def author_from_key(self, key: str) -> str: ...

    def paper_from_key(self, key: str) -> str: ...


@dataclass(frozen=True, slots=True)
class CurationEntry:
    """One line of a curation file, not yet tied to keys."""

    relation: str
    a: str
    b: str
    note: str
    origin: str  # "FILE:LINE"

    @property
    def text(self) -> str:
        """The entry in one canonical line (compared across ingests)."""
        return f"{self.relation} {self.a} | {self.b}"


@dataclass(frozen=True, slots=True)
class Curation:
    entries: tuple[CurationEntry, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def texts(self) -> frozenset[str]:
        return frozenset(e.text for e in self.entries)


_SPLIT = re.compile(r"\t+| {2,}")


def load_curation(path: str | os.PathLike[str] | None) -> Curation:
    """Read a curation file (see the module docstring); None or a missing file is empty.

    Bad lines do not raise: each becomes a problem ``"FILE:LINE: reason"``.
    Raises OSError only when an existing file cannot be read.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "c.tsv"
    >>> _ = f.write_text("# who is who\\nmust-link\\tJ. Smith\\tJohn Smith\\tsame ORCID\\n")
    >>> load_curation(f).entries[0].text
    'must-link J. Smith | John Smith'
    """
    if path is None or not Path(path).is_file():
        return Curation()
    entries: list[CurationEntry] = []
    problems: list[str] = []
    name = Path(path).name
    text = Path(path).read_text(encoding="utf-8-sig")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in _SPLIT.split(line)]
        origin = f"{name}:{number}"
        if len(fields) < 3:
            problems.append(f"{origin}: expected RELATION<TAB>A<TAB>B[<TAB>note], got {raw!r}")
            continue
        relation = fields[0].lower()
        if relation not in RELATIONS:
            problems.append(
                f"{origin}: unknown relation {fields[0]!r} (use must-link or cannot-link)"
            )
            continue
        note = " ".join(fields[3:]).lstrip("#").strip()
        entries.append(CurationEntry(relation, fields[1], fields[2], note, origin))
    return Curation(tuple(entries), tuple(problems))


def _entity(
    text: str, scheme: IriNaming, iris: Callable[[str], Mapping[str, str]]
) -> tuple[str, str] | None:
    """(entity kind, key) of one side of a curation entry, or None if it names nothing known;
    ``iris(kind)`` maps the IRIs of that kind in the data to their keys."""
    if text.lower().startswith("paper:"):
        return "paper", title_key(text[6:])
    kind = scheme.kind_of(text)
    if kind in ("author", "paper"):
        key = iris(kind).get(text)
        return (kind, key) if key else None
    if text.startswith(("http://", "https://")):
        return None
    return "author", name_key(text)


def curation_constraints(
    curation: Curation, scheme: IriNaming, author_keys: Iterable[str], paper_keys: Iterable[str]
) -> tuple[list[Constraint], list[str]]:
    """Tie curation entries to keys (IRIs are looked up among the keys in the data)."""
    # The IRI of every key is made only when an entry names an IRI (pass 1 held them, and
    # the slug caches of kg.rdf.iri kept up to 131,072 keys and slugs each, while resolving).
    made: dict[str, dict[str, str]] = {}

    def iris(kind: str) -> Mapping[str, str]:
        if kind not in made:
            if kind == "author":
                made[kind] = {scheme.author_from_key(k): k for k in author_keys}
            else:
                made[kind] = {scheme.paper_from_key(k): k for k in paper_keys}
        return made[kind]

    out: list[Constraint] = []
    problems = list(curation.problems)
    for e in curation.entries:
        a = _entity(e.a, scheme, iris)
        b = _entity(e.b, scheme, iris)
        if a is None or b is None:
            problems.append(
                f"{e.origin}: {e.a if a is None else e.b!r} is not an author or paper in the store"
            )
            continue
        if a[0] != b[0]:
            problems.append(f"{e.origin}: links an author to a paper")
            continue
        note = f"{e.note} ({CURATION_ENTRY}{e.text})" if e.note else f"{CURATION_ENTRY}{e.text}"
        out.append(Constraint(e.relation, a[0], a[1], b[1], note, e.origin))  # type: ignore[arg-type]
    return out, problems

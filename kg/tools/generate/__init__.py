"""Synthetic profile pages with known truth: the identity benchmark's and the parser's scale input.

``kg generate --papers N --out DIR [--seed S]`` writes ``DIR/profiles/**.txt``
in the site's format (``shared/docs/PROFILE_FORMAT.md``) and ``DIR/truth.json``,
which says who and what every mention is. The same seed gives the same bytes.

The world it draws, and why:

* **People** in **labs** (communities): one or two principal investigators on
  most of a lab's papers, members on some, outside collaborators on a few.
  Names come from realistic pools: Chinese names in pinyin (about half), Western
  names (some with diacritics, particles, apostrophes, hyphens, middle names),
  and Russian, Arabic, Indian, Japanese and Korean names. Full names are unique
  except for deliberate **homonyms** (two people, one name, in different labs:
  the ambiguity case) and a few **movers** who publish with two labs.
* **Name variants**, per mention, as the papers' metadata would have them:
  initials (``J. Smith``, ``J. R. Smith``), a dropped or initialled middle
  name, diacritics dropped, ``Yi-Fan`` / ``Yifan`` / ``Yi Fan``, family name
  first (``Zhang Yifan``), transliterations (``Aleksandr`` / ``Alexander``),
  rare typos; some papers initial their whole author list. Hard distractors
  come for free: many people share a surname, and initials collide.
* **Papers**: titles from a grammar, unique per title key; abstracts as long and as
  distinctive as real ones (each names its own method, data sets, models and figures,
  in its lab's topic vocabulary, see :mod:`.abstracts`), with the markup the site shows
  (``$...$``, ``\textbf``, ``\\%``, code links);
  near-titled **sibling** papers (one word changed, often the same authors, a
  different abstract) that must not merge; cross-listed papers whose title is
  written slightly differently in one profile (true near-duplicates).
* **Pages**: about 20 papers per profile, site order; the variations of
  PROFILE_FORMAT.md in realistic proportions: full headers, headerless files,
  headers without a name, layout B (title and authors glued), yearless dates
  (the copy year), ``Code`` flags, affiliation tags, ``et al.`` (exactly three
  names shown when a list is longer), truncated pages, no final newline.

``truth.json``::

    {"format": "kg-generate-truth/1", "seed": S, "as_of": "YYYY-MM-DD",
     "files": [{"file": "profiles/000/000001_....txt", "owner": PERSON,
                "owner_name": "...", "entries": [[LINE, PAPER, "title",
                [["written name", PERSON], ...], TRUNCATED], ...]}, ...],
     "persons": {"PERSON": "canonical name", ...},
     "siblings": [[PAPER, PAPER], ...], "homonyms": [[PERSON, PERSON], ...],
     "stats": {...}}

Files are written one lab at a time, so memory stays flat as N grows.

The package, by concern: :mod:`.names` and :mod:`.western_names` (name pools),
:mod:`.spelling` and :mod:`.people` (people and the forms of their names), :mod:`.text`
(titles), :mod:`.abstracts`, :mod:`.sentences`, :mod:`.topics` and :mod:`.vocabulary`
(abstracts), :mod:`.layout` (a page as the site lays it out), :mod:`.writer`
(truth.json), :mod:`.model` (knobs, statistics, people and papers); this module draws the
labs and writes the corpus.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

from kg.tools.generate.abstracts import Topic, Vocabulary, abstract
from kg.tools.generate.layout import AFFILIATIONS, CATEGORIES, render_profile
from kg.tools.generate.model import GenerateStats, Paper, Person, Proportions
from kg.tools.generate.people import People
from kg.tools.generate.spelling import ascii_fold, initials
from kg.tools.generate.text import (
    acronym,
    hash_title,
    sibling_title,
    title_variant,
    unique_title,
)
from kg.tools.generate.writer import JsonArrayWriter

__all__ = ["CORPUS_VERSION", "GenerateStats", "generate"]


TRUTH_FORMAT = "kg-generate-truth/1"
#: What a seed draws: raised whenever the same seed writes different pages, so that a corpus
#: kept by the benchmarks is made again (2: abstracts as long and distinctive as real ones).
CORPUS_VERSION = 2


DEFAULT_AS_OF = date(2026, 11, 21)


#: Authors per paper, and how often.
_SIZES = (2, 3, 4, 5, 6, 7, 8)
_SIZE_WEIGHTS = tuple(accumulate((10, 15, 22, 20, 15, 10, 8)))
#: The ten years before the copy date: recent years are busier.
_YEAR_WEIGHTS = tuple(accumulate(1.3**i for i in range(10)))


def _weighted_category(rng: random.Random) -> str:
    total = sum(w for _, w in CATEGORIES)
    x = rng.random() * total
    for code, w in CATEGORIES:
        x -= w
        if x < 0:
            return code
    return CATEGORIES[0][0]


def _day(rng: random.Random, as_of: date) -> date:
    # Recent years are busier: pick a year with weight growing towards the copy year.
    years = list(range(as_of.year - 9, as_of.year + 1))
    year = rng.choices(years, cum_weights=_YEAR_WEIGHTS)[0]
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), as_of - timedelta(days=1))
    return start + timedelta(days=rng.randrange((end - start).days + 1))


@dataclass(slots=True)
class _World:
    """Everything the generator carries from one lab to the next."""

    rng: random.Random
    props: Proportions
    as_of: date
    people: People
    stats: GenerateStats
    vocabulary: Vocabulary
    text_rng: random.Random
    used_titles: set[int] = field(default_factory=set)
    siblings: list[tuple[int, int]] = field(default_factory=list)
    movers: list[int] = field(default_factory=list)
    #: Members of recent labs, from which a lab's partner labs are drawn.
    recent_labs: list[list[Person]] = field(default_factory=list)
    next_paper: int = 0


def generate(
    papers: int,
    out: str | Path,
    *,
    seed: int = 0,
    as_of: date = DEFAULT_AS_OF,
    props: Proportions | None = None,
    papers_per_lab: int = 30,
) -> GenerateStats:
    """Write about ``papers`` distinct papers as profile pages under ``out`` plus ``out/truth.json``.

    Deterministic for a seed. Raises ValueError for ``papers < 1`` and OSError
    when ``out`` cannot be written.

    >>> import tempfile
    >>> stats = generate(40, tempfile.mkdtemp(), seed=1)
    >>> stats.papers >= 40 and stats.files > 0
    True
    """
    if papers < 1:
        raise ValueError("papers must be at least 1")
    props = props or Proportions()
    rng = random.Random(seed)
    root = Path(out)
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    vocabulary = Vocabulary(seed)
    world = _World(
        rng, props, as_of, People(rng, props), GenerateStats(), vocabulary, vocabulary.text_rng()
    )
    stats = world.stats
    with (root / "truth.json").open("w", encoding="utf-8") as truth:
        truth.write(
            f'{{"format": "{TRUTH_FORMAT}", "seed": {seed}, "as_of": "{as_of.isoformat()}",\n'
        )
        truth.write('"files": [')
        files = JsonArrayWriter(truth)
        lab = 0
        while stats.papers < papers:
            want = min(
                papers - stats.papers, max(5, int(rng.gauss(papers_per_lab, papers_per_lab / 3)))
            )
            for path, text, owner, entries in _lab(world, lab, want):
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                data = text.encode("utf-8")
                target.write_bytes(data)
                stats.bytes += len(data)
                stats.files += 1
                files.add(
                    {
                        "file": path,
                        "owner": owner.pid,
                        "owner_name": owner.name,
                        "entries": [
                            [
                                line,
                                paper.pid,
                                title,
                                [[n, a] for n, a in zip(shown, paper.authors, strict=False)],
                                cut,
                            ]
                            for line, paper, title, shown, cut in entries
                        ],
                    }
                )
            lab += 1
        people = world.people
        truth.write("\n],\n")
        truth.write(
            '"persons": '
            + json.dumps({str(p.pid): p.name for p in people.people}, ensure_ascii=False)
        )
        truth.write(',\n"siblings": ' + json.dumps(world.siblings))
        truth.write(',\n"homonyms": ' + json.dumps(people.homonyms))
        stats.persons = len(people.people)
        stats.siblings = len(world.siblings)
        stats.homonyms = len(people.homonyms)
        truth.write(',\n"stats": ' + json.dumps(stats.as_dict()) + "\n}\n")
    return stats


def _lab(
    world: _World, lab: int, n_papers: int
) -> Iterator[tuple[str, str, Person, list[tuple[int, Paper, str, list[str], bool]]]]:
    """One lab's papers, rendered as its members' profile pages."""
    rng, people, props, stats = world.rng, world.people, world.props, world.stats
    pis = [people.new() for _ in range(1 if rng.random() < 0.6 else 2)]
    members = [people.new() for _ in range(max(3, int(rng.gauss(n_papers / 4, n_papers / 12))))]
    if world.movers and rng.random() < 0.5:
        members.append(people.people[world.movers.pop(rng.randrange(len(world.movers)))])
    world.movers.extend(m.pid for m in members if rng.random() < props.mover)
    # Cumulative weights, once: choices() would add them up again on every call.
    weights = list(accumulate(rng.paretovariate(1.5) for _ in members))
    tags = tuple(rng.sample(AFFILIATIONS, 2)) if rng.random() < props.affiliation_files else ()
    # Collaborations recur: outside co-authors come mostly from a few partner labs.
    recent = world.recent_labs
    partners = [
        recent[rng.randrange(len(recent))] for _ in range(min(len(recent), rng.randint(1, 3)))
    ]
    recent.append(pis + members)
    if len(recent) > 200:
        recent.pop(rng.randrange(len(recent)))
    topics = world.vocabulary.lab_topics(lab)
    lab_papers: list[Paper] = []
    while len(lab_papers) < n_papers:
        size = rng.choices(_SIZES, cum_weights=_SIZE_WEIGHTS)[0]
        chosen: list[Person] = [rng.choices(members, cum_weights=weights)[0]]
        taken = {chosen[0].pid} | {p.pid for p in pis}
        while len(chosen) < size - 1:
            if rng.random() < props.outsider:
                if partners and rng.random() < 0.8:
                    lab_members = partners[rng.randrange(len(partners))]
                    cand = lab_members[rng.randrange(len(lab_members))]
                else:
                    cand = people.people[rng.randrange(len(people.people))]
            else:
                cand = rng.choices(members, cum_weights=weights)[0]
            if cand.pid not in taken:
                chosen.append(cand)
                taken.add(cand.pid)
            elif rng.random() < 0.3:
                break
        pi = pis[0] if len(pis) == 1 or rng.random() < 0.6 else pis[1]
        if rng.random() < 0.9:
            chosen.append(pi)
            other = pis[1] if pi is pis[0] and len(pis) == 2 else pis[0]
            if other is not pi and rng.random() < 0.3:
                chosen.insert(len(chosen) - 1, other)
        title, slots = unique_title(rng, world.used_titles)
        paper = _new_paper(world, title, chosen)
        lab_papers.append(paper)
        if rng.random() < props.sibling and len(lab_papers) < n_papers:
            alt = sibling_title(title, slots, rng)
            if alt is not None and hash_title(alt) not in world.used_titles:
                world.used_titles.add(hash_title(alt))
                same = rng.random() < 0.6
                twin_authors = (
                    chosen if same else [rng.choices(members, cum_weights=weights)[0], pi]
                )
                twin = _new_paper(world, alt, list({p.pid: p for p in twin_authors}.values()))
                if rng.random() < 0.5:
                    twin.day = min(
                        world.as_of - timedelta(days=1),
                        paper.day + timedelta(days=rng.randint(0, 20)),
                    )
                lab_papers.append(twin)
                world.siblings.append((paper.pid, twin.pid))
    # Who has a profile: the first PI, the second one half of the time, a few members.
    # A paper on nobody's profile is not on the site: it is dropped.
    by_person: dict[int, list[Paper]] = {}
    for paper in lab_papers:
        for pid in paper.authors:
            by_person.setdefault(pid, []).append(paper)
    owners = [p for i, p in enumerate(pis) if p.pid in by_person and (i == 0 or rng.random() < 0.5)]
    owner_ids = {o.pid for o in owners}
    for m in members:
        if (
            m.pid in by_person
            and m.pid not in owner_ids
            and len(by_person[m.pid]) >= 5
            and rng.random() < 0.12
        ):
            owners.append(m)
            owner_ids.add(m.pid)
    listed = {paper.pid for paper in lab_papers if owner_ids.intersection(paper.authors)}
    world.siblings[:] = [
        pair
        for pair in world.siblings
        if pair[0] < lab_papers[0].pid or (pair[0] in listed and pair[1] in listed)
    ]
    for pid in list(by_person):
        by_person[pid] = [paper for paper in by_person[pid] if paper.pid in listed]
    stats.papers += len(listed)
    _write_abstracts(world, [paper for paper in lab_papers if paper.pid in listed], topics)
    listed_title: dict[int, str] = {}
    for owner in owners:
        own = list(by_person.get(owner.pid, []))
        rng.shuffle(own)  # the site's ranking, not by date
        own = own[:60]
        if not own:
            continue
        pages: list[tuple[Paper, str]] = []
        for paper in own:
            title = paper.title
            if paper.pid in listed_title and rng.random() < props.title_variant:
                title, fuzzy = title_variant(paper.title, rng)
                stats.title_variants += int(fuzzy)
            listed_title.setdefault(paper.pid, title)
            pages.append((paper, title))
        text, entries = render_profile(rng, owner, pages, world.as_of, props, tags)
        stats.listings += len(entries)
        stats.mentions += sum(len(e[3]) for e in entries)
        digest = hashlib.sha1(f"{lab}/{owner.pid}".encode()).hexdigest()[:16]
        path = f"profiles/{lab // 1000:04d}/{lab:06d}_{owner.pid:07d}_{digest}.txt"
        yield path, text, owner, entries


def _new_paper(world: _World, title: str, authors: list[Person]) -> Paper:
    rng, props = world.rng, world.props
    code = rng.random() < props.code
    url = None
    if (code and rng.random() < 0.9) or (not code and rng.random() < 0.03):
        handle = ascii_fold(authors[0].surname).lower().replace(" ", "").replace("'", "")
        url = f"https://github.com/{handle}{rng.randint(1, 999)}/{acronym(rng).lower()}"
    initials_style = rng.random() < props.initials_paper
    written = []
    for person in authors:
        if initials_style:
            name = f"{initials(person.given[:1])} {person.surname}"
        elif person.forms and rng.random() < props.variant_mention:
            name = rng.choice(person.forms)
        else:
            name = person.name
        written.append(name)
        world.stats.variant_mentions += int(name != person.name)
    world.next_paper += 1
    return Paper(
        world.next_paper,
        title,
        _day(rng, world.as_of),
        _weighted_category(rng),
        [p.pid for p in authors],
        written,
        "",  # written once the paper is known to be listed (see _write_abstracts)
        code,
        url,
    )


def _write_abstracts(world: _World, papers: list[Paper], topics: list[Topic]) -> None:
    """The abstracts of a lab's listed papers (a paper on nobody's page needs none).

    They have their own random stream: what they say does not shift the rest.
    """
    text_rng, latex_share = world.text_rng, world.props.latex
    for paper in papers:
        pick = len(topics) > 1 and text_rng.random() >= 0.6
        topic = text_rng.choice(topics) if pick else topics[0]
        latex = text_rng.random() < latex_share
        paper.abstract = abstract(text_rng, topic, paper.title, paper.code_url, latex)

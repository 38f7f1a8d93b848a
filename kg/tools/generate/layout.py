"""A profile page as the site lays it out: header, metrics, date lines, entries in layout A or B."""

from __future__ import annotations

import random
from datetime import date

from kg.tools.generate.model import Paper, Person, Proportions

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


CATEGORIES = (
    ("LG", 35),
    ("CL", 20),
    ("CV", 20),
    ("AI", 10),
    ("ML", 5),
    ("IR", 3),
    ("RO", 3),
    ("NE", 2),
    ("SD", 2),
)


AFFILIATIONS = [
    "tsinghua",
    "pku",
    "stanford",
    "mit",
    "cmu",
    "berkeley",
    "oxford",
    "cambridge",
    "eth",
    "sjtu",
    "zju",
    "fudan",
    "nku",
    "ustc",
]


def date_line(category: str, day: date, code: bool, as_of: date) -> str:
    text = f"{category}{MONTHS[day.month - 1]} {day.day}"
    if day.year != as_of.year:
        text += f", {day.year}"
    return text + ("Code" if code else "")


def metrics(rng: random.Random, papers: int) -> list[str]:
    citations = rng.randint(papers * 3, papers * 120 + 10)
    cited = f"{citations:,}" if citations >= 1000 and rng.random() < 0.9 else str(citations)
    return [
        f"h-index{rng.randint(3, 60)}",
        f"{papers}papers",
        f"{cited}citations",
        f"Novelty{rng.randint(20, 80)}%",
        f"AI Score{rng.randint(30, 90)}",
    ]


def render_profile(
    rng: random.Random,
    owner: Person,
    papers: list[tuple[Paper, str]],  # (paper, title as this profile writes it)
    as_of: date,
    props: Proportions,
    tags: tuple[str, ...],
) -> tuple[str, list[tuple[int, Paper, str, list[str], bool]]]:
    """The page text and, per entry, (line, paper, title, visible names, truncated)."""
    lines: list[str] = []
    entries: list[tuple[int, Paper, str, list[str], bool]] = []
    declared = len(papers) + (rng.randint(1, 12) if rng.random() < props.truncated_page else 0)
    r = rng.random()
    if r >= props.headerless:
        if r >= props.headerless + props.header_without_name:
            lines += [owner.name, ""]
            lines += [rng.choice([c for c, _ in CATEGORIES[:4]])]
        lines += metrics(rng, declared)
        lines += ["", f"{declared} Papers", ""]
    layout_b = rng.random() < props.layout_b
    for n, (paper, title) in enumerate(papers):
        shown = paper.written[:3]
        truncated = len(paper.written) > 3
        author_line = ", ".join(shown) + (" et al." if truncated else "")
        if tags and truncated and rng.random() < 0.75:
            author_line += " \u00b7 " + ", ".join(tags[: 1 + (rng.random() < 0.15)])
        lines.append(date_line(paper.category, paper.day, paper.code, as_of))
        entries.append((len(lines), paper, title, list(shown), truncated))
        if layout_b:
            lines += [title + author_line, paper.abstract]
        else:
            lines += [title, "", author_line, "", paper.abstract]
            if n != len(papers) - 1:
                lines.append("")
    text = "\n".join(lines)
    if rng.random() < props.trailing_newline:
        text += "\n"
    return text, entries

"""A profile page as the site lays it out: header, metrics, date lines, entries in layout A or B."""

from __future__ import annotations

import random
import re
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


# A date line as date_line prints it: category, "Mon D", ", YYYY" unless the copy year, "Code".
_CATEGORY = "|".join(c for c, _ in CATEGORIES)
_DATE_LINE = re.compile(
    rf"^({_CATEGORY})({'|'.join(MONTHS)}) (\d{{1,2}})(?:, (\d{{4}}))?(Code)?$", re.M
)


def reprint_dates(text: str, printed_on: date, as_of: date) -> str:
    """``text``, a page as the site printed it on ``printed_on``, as it prints it on ``as_of``.

    The site shows a date without its year in the current calendar year only (``date_line``),
    so a page copied again after a new year has begun shows last year's yearless dates with
    their year; within one year its bytes do not change. A yearless date is in the year it
    was printed (the generator never prints a date after the copy date).

    >>> page = "LGFeb 3Code\\nA Title\\n\\nCVDec 9, 2025\\nAnother"
    >>> print(reprint_dates(page, date(2026, 11, 21), date(2027, 1, 21)))
    LGFeb 3, 2026Code
    A Title
    <BLANKLINE>
    CVDec 9, 2025
    Another
    >>> reprint_dates(page, date(2026, 11, 21), date(2026, 12, 21)) == page
    True
    """

    def one(match: re.Match[str]) -> str:
        category, month, day, year, code = match.groups()
        printed = date(int(year) if year else printed_on.year, MONTHS.index(month) + 1, int(day))
        return date_line(category, printed, code is not None, as_of)

    return _DATE_LINE.sub(one, text)


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

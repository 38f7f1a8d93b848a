"""The public building blocks of kg.parse, one by one."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest

from kg.model import PaperEntry, Profile, profile_to_json
from kg.parse import (
    PARSER_VERSION,
    extract_urls,
    infer_owner,
    parse_author_line,
    parse_text,
    resolve_date,
)
from tests.parse.conftest import AS_OF


def test_version() -> None:
    assert PARSER_VERSION == "1.0.0"


def test_docstring_examples() -> None:
    import doctest

    import kg.parse

    result = doctest.testmod(kg.parse)
    assert result.attempted >= 10 and result.failed == 0


def test_parse_imports_no_rdf_library() -> None:
    code = "import sys, kg.parse; print(sorted(m for m in ('rdflib', 'pyoxigraph') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- parse_author_line -------------------------------------------------------------------

AUTHOR_LINES = [
    pytest.param("Ada Quill, Bo Rennet", (("Ada Quill", "Bo Rennet"), False, ()), id="two-names"),
    pytest.param(
        "Ada Quill, Bo Rennet, Cy Dunmore et al.",
        (("Ada Quill", "Bo Rennet", "Cy Dunmore"), True, ()),
        id="et-al",
    ),
    pytest.param(
        "Ada Quill et al. · mit", (("Ada Quill",), True, ("mit",)), id="one-name-et-al-tag"
    ),
    pytest.param(
        "Ada Quill, Bo Rennet · pku, mit",
        (("Ada Quill", "Bo Rennet"), False, ("pku", "mit")),
        id="tags-without-et-al",
    ),
    pytest.param("Ada Quill", (("Ada Quill",), False, ()), id="single-author"),
    pytest.param(
        "Al Bc, De Fg, Hi Jk, Lm No, Pq Rs",
        (("Al Bc", "De Fg", "Hi Jk", "Lm No", "Pq Rs"), False, ()),
        id="five-names",
    ),
    pytest.param("A Bc, De Fg", None, id="capital-without-dot-is-not-an-initial"),
    pytest.param(
        "Renée Ramírez-Núñez, Inês Duarte",
        (("Renée Ramírez-Núñez", "Inês Duarte"), False, ()),
        id="diacritics",
    ),
    pytest.param(
        "Jan van der Berg, Lotte de Vries",
        (("Jan van der Berg", "Lotte de Vries"), False, ()),
        id="particles",
    ),
    pytest.param(
        "Siobhan O'Neil, Ewan McAllister, Mara LeBlanc",
        (("Siobhan O'Neil", "Ewan McAllister", "Mara LeBlanc"), False, ()),
        id="apostrophe-and-prefixes",
    ),
    pytest.param(
        "J. R. Quill, Bo Rennet Jr.",
        (("J. R. Quill", "Bo Rennet Jr."), False, ()),
        id="initials-and-suffix",
    ),
    pytest.param(
        "Kazi Mahmudul Hassan, Julian Coda-Forno",
        (("Kazi Mahmudul Hassan", "Julian Coda-Forno"), False, ()),
        id="three-tokens-and-hyphen",
    ),
    pytest.param(
        "  Ada\tQuill ,Bo\u00a0Rennet  ",
        (("Ada Quill", "Bo Rennet"), False, ()),
        id="odd-whitespace",
    ),
    pytest.param(
        "Ada Quill, Bo Rennet, et al.",
        (("Ada Quill", "Bo Rennet"), True, ()),
        id="comma-before-et-al",
    ),
]


@pytest.mark.parametrize(("text", "expected"), AUTHOR_LINES)
def test_author_lines(text: str, expected: tuple[object, ...] | None) -> None:
    assert parse_author_line(text) == expected


NOT_AUTHOR_LINES = [
    pytest.param("We follow Liu et al. (2024) and others.", id="et-al-in-prose"),
    pytest.param("Information Flow in Self-Supervised Learning", id="title"),
    pytest.param("Ada", id="mononym-first-author"),
    pytest.param("Ada Quill,", id="trailing-comma"),
    pytest.param("ada quill, Bo Rennet", id="lower-case"),
    pytest.param("Ada QUILL, Bo Rennet", id="all-caps-surname"),
    pytest.param("Ada Quill, Bo Rennet · Tsinghua", id="capitalised-tag"),
    pytest.param("Ada Quill van", id="particle-last"),
    pytest.param("Ada Qu1ll", id="digit"),
    pytest.param("OTMatch: Improving", id="camel-case"),
    pytest.param("", id="empty"),
    pytest.param("Ada Quill, " * 2000 + "Bo", id="too-long"),
]


@pytest.mark.parametrize("text", NOT_AUTHOR_LINES)
def test_not_author_lines(text: str) -> None:
    assert parse_author_line(text) is None


# --- extract_urls --------------------------------------------------------------------------

URLS = [
    pytest.param(
        "Code: https://github.com/Ab-C/d.e-f.",
        ["https://github.com/Ab-C/d.e-f"],
        [],
        id="trailing-period",
    ),
    pytest.param(
        "(see https://github.com/a/b), and",
        ["https://github.com/a/b"],
        [],
        id="closing-parenthesis",
    ),
    pytest.param(
        "at https://github.com/a/b!?;:",
        ["https://github.com/a/b"],
        [],
        id="trailing-punctuation-run",
    ),
    pytest.param(
        r"\href{https://github.com/a/b}{https://github.com/a/b}.",
        ["https://github.com/a/b"],
        [],
        id="href-dedupe",
    ),
    pytest.param(
        r"\footnote{Code: https://github.com/a/b.",
        ["https://github.com/a/b"],
        [],
        id="unclosed-footnote",
    ),
    pytest.param(
        "https://github.com/a/b.git https://github.com/A/B/tree/main/src",
        ["https://github.com/a/b"],
        [],
        id="git-suffix-tree-and-case-dedupe",
    ),
    pytest.param(
        "http://www.github.com/a/b?tab=readme#x",
        ["https://github.com/a/b"],
        [],
        id="http-www-query-fragment",
    ),
    pytest.param(
        "<https://gitlab.com/g/sub/p/-/blob/main/x.py>",
        ["https://gitlab.com/g/sub/p"],
        [],
        id="gitlab-nested-group",
    ),
    pytest.param(
        "https://bitbucket.org/o/r/src/main https://codeberg.org/o/r2",
        ["https://bitbucket.org/o/r", "https://codeberg.org/o/r2"],
        [],
        id="bitbucket-codeberg",
    ),
    pytest.param(
        r"see https://github.com/a/my\_repo.",
        ["https://github.com/a/my_repo"],
        [],
        id="latex-escaped-underscore",
    ),
    pytest.param(
        "https://hf.co/Org and https://huggingface.co/o/m.",
        [],
        ["https://hf.co/Org", "https://huggingface.co/o/m"],
        id="hugging-face-links",
    ),
    pytest.param(
        "https://github.com/Org and https://github.com/orgs/x/y",
        [],
        ["https://github.com/Org", "https://github.com/orgs/x/y"],
        id="github-non-repo-links",
    ),
    pytest.param(
        "'https://example.org/x' \"https://example.org/x\"",
        [],
        ["https://example.org/x"],
        id="quotes-and-link-dedupe",
    ),
    pytest.param(
        "HTTPS://GitHub.com/Up/Case",
        ["https://github.com/Up/Case"],
        [],
        id="upper-case-scheme-and-host",
    ),
    pytest.param("no links at all; not even https://", [], [], id="none"),
]


@pytest.mark.parametrize(("abstract", "repos", "links"), URLS)
def test_extract_urls(abstract: str, repos: list[str], links: list[str]) -> None:
    found, other = extract_urls(abstract)
    assert [r.url for r in found] == repos
    assert list(other) == links


def test_repository_fields() -> None:
    (repo,), _ = extract_urls("https://gitlab.com/grp/sub/proj/-/tree/main")
    assert (repo.host, repo.owner, repo.name) == ("gitlab.com", "grp/sub", "proj")


# --- resolve_date ----------------------------------------------------------------------------

DATES = [
    pytest.param(3, 2, 2023, date(2023, 3, 2), False, id="with-year"),
    pytest.param(6, 4, None, date(2026, 6, 4), True, id="yearless-before-as-of"),
    pytest.param(11, 21, None, date(2026, 11, 21), True, id="yearless-on-as-of"),
    pytest.param(
        11, 22, None, date(2025, 11, 22), True, id="yearless-after-as-of-is-previous-year"
    ),
    pytest.param(12, 31, None, date(2025, 12, 31), True, id="yearless-december"),
    pytest.param(2, 29, 2024, date(2024, 2, 29), False, id="leap-day"),
]


@pytest.mark.parametrize(("month", "day", "year", "expected", "inferred"), DATES)
def test_resolve_date(
    month: int, day: int, year: int | None, expected: date, inferred: bool
) -> None:
    assert resolve_date(month, day, year, AS_OF) == (expected, inferred)


@pytest.mark.parametrize(
    ("month", "day", "year"),
    [
        pytest.param(2, 31, 2024, id="feb-31"),
        pytest.param(2, 29, None, id="feb-29-in-2026"),
        pytest.param(4, 0, 2020, id="day-0"),
    ],
)
def test_resolve_impossible_date_raises(month: int, day: int, year: int | None) -> None:
    with pytest.raises(ValueError):
        resolve_date(month, day, year, AS_OF)


# --- infer_owner -------------------------------------------------------------------------------


def _entry(line: int, authors: tuple[str, ...], truncated: bool) -> PaperEntry:
    return PaperEntry(
        source="x",
        line=line,
        title=f"T{line}",
        authors=authors,
        authors_truncated=truncated,
        affiliations=(),
        category="LG",
        date=None,
        date_text="",
        year_inferred=False,
        has_code=False,
        repositories=(),
        links=(),
        abstract="",
    )


def test_owner_header_wins_on_seeds(seeds: dict[str, Profile]) -> None:
    # Without the header, the complete-list test fails on 001 and 004 (all lists truncated).
    for key in ("001", "004"):
        owner = infer_owner(seeds[key].papers, None)
        assert owner.name is None and "et al." in owner.evidence
    assert infer_owner(seeds["000"].papers, None).name == "Xuyang Zhao"
    assert infer_owner(seeds["003"].papers, None).evidence.startswith(
        "the only name on all 7 complete"
    )


OWNERS = [
    pytest.param(
        [(("A B", "C D"), False), (("A B",), True)],
        "Hdr Name",
        ("Hdr Name", False, "header"),
        id="header",
    ),
    pytest.param(
        [(("A B", "C D"), False), (("E F", "A B"), False)],
        None,
        ("A B", True, "certain"),
        id="certain",
    ),
    pytest.param(
        [(("A B", "C D"), False), (("A B", "E F"), False), (("G H",), True)],
        None,
        ("A B", True, "high"),
        id="high",
    ),
    pytest.param(
        [(("A B", "C D"), False), (("A B", "C D"), False), (("A B",), True)],
        None,
        ("A B", True, "low"),
        id="low",
    ),
    pytest.param(
        [(("A B", "C D"), False), (("A B", "C D"), False)], None, (None, False, "none"), id="tie"
    ),
    pytest.param(
        [(("A B", "C D"), False), (("E F", "G H"), False)],
        None,
        (None, False, "none"),
        id="nobody-on-all-lists",
    ),
    pytest.param(
        [(("A B",), True), (("C D",), True)], None, (None, False, "none"), id="no-complete-list"
    ),
    pytest.param([], None, (None, False, "none"), id="no-entries"),
]


@pytest.mark.parametrize(("rows", "header", "expected"), OWNERS)
def test_infer_owner(
    rows: list[tuple[tuple[str, ...], bool]], header: str | None, expected: tuple[object, ...]
) -> None:
    owner = infer_owner([_entry(i, a, t) for i, (a, t) in enumerate(rows, 1)], header)
    assert (owner.name, owner.inferred, owner.confidence) == expected
    assert owner.evidence


# --- records ------------------------------------------------------------------------------------


def test_records_are_frozen_and_json_serialisable(seeds: dict[str, Profile]) -> None:
    profile = seeds["003"]
    with pytest.raises(AttributeError):
        profile.papers[0].title = "x"  # type: ignore[misc]
    data = json.loads(json.dumps(profile_to_json(profile), ensure_ascii=False))
    assert data["owner"] == {"name": "Weiran Huang", "inferred": True}
    assert len(data["papers"]) == 50 and data["papers"][0]["date"] == "2026-05-29"
    assert replace(profile.papers[0], title="x").title == "x"


def test_failures_in_json_shape() -> None:
    profile = parse_text(
        "LGFeb 31, 2024\nTitle\n\nAda Quill, Bo Rennet\n\nText.", "x.txt", as_of=AS_OF
    )
    assert profile_to_json(profile)["failures"] == [
        {"line": 1, "reason": profile.failures[0].reason},
    ]
    assert profile_to_json(profile)["papers"][0]["date"] is None

"""Every variation of PROFILE_FORMAT.md section 2 as a named case.

Ids are the variation codes (H1 ... C3). Seed cases name file and entry line (the
line of the date line); ``-synthetic`` cases use tests/fixtures/profiles, written
for what the seeds do not show.
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Any

import pytest

from kg.model import PaperEntry, Profile
from kg.parse import parse_author_line, parse_bytes
from tests.parse.conftest import AS_OF, by_line, read_fixture


@pytest.fixture(scope="module")
def synthetic_a() -> Profile:
    return parse_bytes(
        read_fixture("synthetic_layout_a.txt"), "synthetic_layout_a.txt", as_of=AS_OF
    )


@pytest.fixture(scope="module")
def synthetic_mixed() -> Profile:
    return parse_bytes(
        read_fixture("synthetic_mixed_layout.txt"), "synthetic_mixed_layout.txt", as_of=AS_OF
    )


def _fields(entry: PaperEntry, expected: dict[str, Any]) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in expected}


def _abstract_line(entry: PaperEntry) -> int:
    """Physical line of a seed entry's (one-line) abstract."""
    return entry.line + (5 if entry.layout == "A" else 2)


# --- H: header -----------------------------------------------------------------

HEADER = [
    pytest.param(
        "000",
        {
            "owner.name": "Xuyang Zhao",
            "category": "LG",
            "metrics.h_index": 39,
            "metrics.papers": 15,
            "metrics.citations": 273,
            "metrics.novelty": 49,
            "metrics.ai_score": 56,
            "declared_count": 15,
            "metrics.line": 4,
        },
        id="H1-full-header-000",
    ),
    pytest.param(
        "001",
        {
            "owner.name": "Lizhu Zhang",
            "category": "CL",
            "metrics.h_index": 12,
            "declared_count": 17,
        },
        id="H1-full-header-001",
    ),
    pytest.param(
        "004",
        {
            "owner.name": "Xingtai Lv",
            "category": "CL",
            "metrics.ai_score": 60,
            "declared_count": 17,
        },
        id="H1-full-header-004",
    ),
    pytest.param(
        "002",
        {
            "metrics": None,
            "category": None,
            "declared_count": None,
            "owner.inferred": True,
            "papers.0.line": 1,
        },
        id="H2-no-header-002",
    ),
    pytest.param(
        "003",
        {
            "category": None,
            "owner.inferred": True,
            "metrics.h_index": 28,
            "metrics.line": 1,
            "declared_count": 57,
        },
        id="H3-header-without-name-or-category-003",
    ),
    pytest.param("003", {"metrics.citations": 1945}, id="H4-thousands-separator-003"),
    pytest.param("004", {"metrics.citations": 1150}, id="H4-thousands-separator-004"),
    pytest.param("000", {"metrics.citations": 273}, id="H4-no-separator-000"),
    pytest.param("001", {"metrics.citations": 147}, id="H4-no-separator-001"),
    pytest.param(
        "003",
        {"declared_count": 57, "metrics.papers": 57, "failures": ()},
        id="H5-declared-count-not-entries-003",
    ),
    pytest.param(
        "001",
        {"owner.name": "Lizhu Zhang", "owner.inferred": False, "owner.confidence": "header"},
        id="H6-header-name-in-few-papers-001",
    ),
    pytest.param(
        "004",
        {"owner.name": "Xingtai Lv", "owner.inferred": False, "owner.confidence": "header"},
        id="H6-header-name-in-few-papers-004",
    ),
]


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else attrgetter(part)(obj)
    return obj


@pytest.mark.parametrize(("key", "expected"), HEADER)
def test_header_variations(seeds: dict[str, Profile], key: str, expected: dict[str, Any]) -> None:
    profile = seeds[key]
    assert {path: _get(profile, path) for path in expected} == expected


def test_H5_count_mismatch_is_not_a_failure(seeds: dict[str, Profile]) -> None:
    assert seeds["003"].declared_count != len(seeds["003"].papers)
    assert seeds["003"].failures == ()


@pytest.mark.parametrize(
    ("key", "name", "visible"),
    [
        pytest.param("001", "Lizhu Zhang", [12, 96], id="H6-visible-2-of-17-001"),
        pytest.param("004", "Xingtai Lv", [19, 33, 61, 75, 103, 117], id="H6-visible-6-of-17-004"),
    ],
)
def test_H6_owner_visibility(
    seeds: dict[str, Profile], key: str, name: str, visible: list[int]
) -> None:
    assert [p.line for p in seeds[key].papers if name in p.authors] == visible


def test_H_space_variants_and_unknown_category_synthetic(synthetic_a: Profile) -> None:
    # "h-index 7", "1,204 citations", "Novelty 12%" with spaces; category "QZ" is not a known code.
    m = synthetic_a.metrics
    assert m is not None
    assert (m.h_index, m.papers, m.citations, m.novelty, m.ai_score, m.line) == (
        7,
        4,
        1204,
        12,
        81,
        4,
    )
    assert (synthetic_a.category, synthetic_a.declared_count) == ("QZ", 7)
    assert (synthetic_a.owner.name, synthetic_a.owner.inferred) == ("Renée Ramírez-Núñez", False)


# --- D: date/category line ---------------------------------------------------------

DATES = [
    pytest.param(
        "000",
        19,
        {
            "category": "LG",
            "date": date(2022, 11, 20),
            "date_text": "Nov 20, 2022",
            "year_inferred": False,
            "has_code": False,
        },
        id="D1-with-year-000-l19",
    ),
    pytest.param(
        "000",
        40,
        {
            "date": date(2025, 10, 25),
            "date_text": "Oct 25, 2025",
            "year_inferred": False,
            "has_code": True,
        },
        id="D2-year-and-code-000-l40",
    ),
    pytest.param(
        "000",
        54,
        {
            "category": "CL",
            "date": date(2026, 4, 9),
            "date_text": "Apr 9",
            "year_inferred": True,
            "has_code": False,
        },
        id="D3-no-year-000-l54",
    ),
    pytest.param(
        "002", 40, {"date": date(2026, 4, 29), "year_inferred": True}, id="D3-no-year-002-l40"
    ),
    pytest.param(
        "003", 205, {"date": date(2026, 4, 12), "year_inferred": True}, id="D3-no-year-003-l205"
    ),
    pytest.param(
        "000",
        12,
        {
            "category": "CL",
            "date": date(2026, 6, 4),
            "date_text": "Jun 4",
            "year_inferred": True,
            "has_code": True,
        },
        id="D4-no-year-code-000-l12",
    ),
    pytest.param(
        "001",
        19,
        {"category": "IR", "date": date(2026, 1, 7), "has_code": True},
        id="D4-no-year-code-001-l19",
    ),
    pytest.param(
        "002", 13, {"date": date(2026, 5, 17), "has_code": True}, id="D4-no-year-code-002-l13"
    ),
    pytest.param(
        "002", 25, {"date": date(2026, 3, 26), "has_code": True}, id="D4-no-year-code-002-l25"
    ),
    pytest.param(
        "003",
        58,
        {"category": "AI", "date": date(2026, 4, 17), "has_code": True},
        id="D4-no-year-code-003-l58",
    ),
    pytest.param(
        "003",
        100,
        {"category": "CV", "date": date(2026, 2, 12), "has_code": True},
        id="D4-no-year-code-003-l100",
    ),
    pytest.param(
        "000",
        26,
        {"date": date(2023, 3, 2), "date_text": "Mar 2, 2023"},
        id="D5-day-not-padded-000-l26",
    ),
    pytest.param(
        "000", 33, {"category": "ML", "date": date(2022, 9, 19)}, id="D-category-ML-000-l33"
    ),
]


@pytest.mark.parametrize(("key", "line", "expected"), DATES)
def test_date_line_variations(entry_at: Any, key: str, line: int, expected: dict[str, Any]) -> None:
    assert _fields(entry_at(key, line), expected) == expected


def test_D6_entries_keep_page_order_not_date_order(seeds: dict[str, Profile]) -> None:
    dates = [p.date for p in seeds["000"].papers if p.date is not None]
    assert len(dates) == 15
    assert dates[:3] == [date(2026, 6, 4), date(2022, 11, 20), date(2023, 3, 2)]
    assert dates != sorted(dates)


def test_D_yearless_after_as_of_is_previous_year_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[12]  # "QZDec 24Code", copied on 2026-11-21
    assert (entry.date, entry.year_inferred, entry.date_text, entry.category, entry.has_code) == (
        date(2025, 12, 24),
        True,
        "Dec 24",
        "QZ",
        True,
    )
    assert by_line(synthetic_a)[46].date == date(2026, 1, 2)  # "AIJan 2": before the copy date


def test_D_impossible_date_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[19]  # "LGFeb 31, 2024": kept, without a date, and reported
    assert (entry.date, entry.date_text, entry.title) == (
        None,
        "Feb 31, 2024",
        "A Study With An Impossible Date",
    )
    (failure,) = [f for f in synthetic_a.failures if f.line == 19]
    assert "impossible date" in failure.reason and failure.raw == "LGFeb 31, 2024"


def test_D_unknown_category_synthetic(synthetic_a: Profile) -> None:
    assert [p.category for p in synthetic_a.papers] == ["QZ", "LG", "CV", "CL", "QZ", "AI"]


# --- L: layout ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "layout"),
    [
        pytest.param("000", "A", id="L1-layout-A-000"),
        pytest.param("001", "A", id="L1-layout-A-001"),
        pytest.param("003", "A", id="L1-layout-A-003"),
        pytest.param("004", "A", id="L1-layout-A-004"),
        pytest.param("002", "B", id="L2-layout-B-002"),
    ],
)
def test_layouts(seeds: dict[str, Profile], key: str, layout: str) -> None:
    papers = seeds[key].papers
    assert {p.layout for p in papers} == {layout}
    assert {p.split_method for p in papers} == ({"leftmost-valid"} if layout == "B" else {None})


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(k, id=f"L3-last-entry-no-newline-{k}")
        for k in ("000", "001", "002", "003", "004")
    ],
)
def test_L3_last_entry(
    seeds: dict[str, Profile], seed_lines: dict[str, list[str]], key: str
) -> None:
    last = seeds[key].papers[-1]
    assert seed_lines[key][-1] == last.abstract  # the file ends with the abstract, no newline
    assert seed_lines[key][-1] != ""


def test_L4_entry_without_abstract_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[41]
    assert (entry.title, entry.authors, entry.abstract) == (
        "An Entry With No Abstract",
        ("Renée Ramírez-Núñez", "Inês Duarte"),
        "",
    )


def test_L_multi_line_abstract_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[33]
    assert entry.abstract == "First line of a two-line abstract, which continues on the next line."


def test_L_layout_per_entry_synthetic(synthetic_mixed: Profile) -> None:
    assert [(p.line, p.layout) for p in synthetic_mixed.papers] == [
        (1, "B"),
        (4, "B"),
        (7, "A"),
        (13, "B"),
        (16, "B"),
        (22, "B"),
    ]


# --- A: authors --------------------------------------------------------------------

AUTHORS = [
    pytest.param(
        "000",
        12,
        ("Liting Zhang", "Shiwan Zhao", "Xuyang Zhao"),
        True,
        (),
        id="A1-three-names-et-al-000-l12",
    ),
    pytest.param(
        "000", 33, ("Huiyuan Wang", "Xuyang Zhao", "Wei Lin"), False, (), id="A2-complete-3-000-l33"
    ),
    pytest.param(
        "002",
        43,
        ("Zhiquan Tan", "Chenghai Li", "Weiran Huang"),
        False,
        (),
        id="A2-complete-3-glued-002-l43",
    ),
    pytest.param(
        "003",
        51,
        ("Kaipeng Zheng", "Huishuai Zhang", "Weiran Huang"),
        False,
        (),
        id="A2-complete-3-003-l51",
    ),
    pytest.param(
        "002", 13, ("Zhiquan Tan", "Yinrong Hong"), False, (), id="A3-complete-2-glued-002-l13"
    ),
    pytest.param(
        "003", 275, ("Zhiquan Tan", "Weiran Huang"), False, (), id="A3-complete-2-003-l275"
    ),
    pytest.param(
        "004",
        12,
        ("Shengding Hu", "Ning Ding", "Weilin Zhao"),
        True,
        ("tsinghua",),
        id="A4-tag-tsinghua-004-l12",
    ),
    pytest.param(
        "004",
        26,
        ("Kaiyan Zhang", "Yuxin Zuo", "Bingxiang He"),
        True,
        ("pku", "tsinghua"),
        id="A5-two-tags-004-l26",
    ),
    pytest.param(
        "004",
        40,
        ("Ganqu Cui", "Lifan Yuan", "Zefan Wang"),
        True,
        ("pku", "tsinghua"),
        id="A5-two-tags-004-l40",
    ),
    pytest.param(
        "004",
        110,
        ("Xuekai Zhu", "Daixuan Cheng", "Dinghuai Zhang"),
        True,
        ("stanford", "tsinghua"),
        id="A5-two-tags-004-l110",
    ),
    pytest.param(
        "003",
        23,
        ("Jingyi Cui", "Weiran Huang", "Yifei Wang"),
        True,
        ("mit",),
        id="A6-tag-mit-003-l23",
    ),
    pytest.param(
        "000",
        89,
        ("Kazi Mahmudul Hassan", "Xuyang Zhao", "Hidenori Sugano"),
        True,
        (),
        id="A7-three-token-name-000-l89",
    ),
    pytest.param(
        "001",
        82,
        ("Yanlai Yang", "Zhuokai Zhao", "Satya Narayan Shukla"),
        True,
        (),
        id="A7-three-token-name-001-l82",
    ),
    pytest.param(
        "001",
        124,
        ("Julian Coda-Forno", "Zhuokai Zhao", "Qiang Zhang"),
        True,
        (),
        id="A8-hyphenated-surname-001-l124",
    ),
]


@pytest.mark.parametrize(("key", "line", "authors", "truncated", "tags"), AUTHORS)
def test_author_variations(
    entry_at: Any,
    key: str,
    line: int,
    authors: tuple[str, ...],
    truncated: bool,
    tags: tuple[str, ...],
) -> None:
    entry = entry_at(key, line)
    assert (entry.authors, entry.authors_truncated, entry.affiliations) == (
        authors,
        truncated,
        tags,
    )


@pytest.mark.parametrize(
    ("key", "lines", "size"),
    [
        pytest.param("000", [33, 61, 82, 110], 3, id="A2-all-complete-3-000"),
        pytest.param("002", [7, 16, 43, 49], 3, id="A2-all-complete-3-002"),
        pytest.param("003", [51, 107, 233, 310, 324], 3, id="A2-all-complete-3-003"),
        pytest.param("002", [13, 19, 40, 46, 52], 2, id="A3-all-complete-2-002"),
        pytest.param("003", [114, 275], 2, id="A3-all-complete-2-003"),
    ],
)
def test_complete_lists(seeds: dict[str, Profile], key: str, lines: list[int], size: int) -> None:
    complete = [
        p.line for p in seeds[key].papers if not p.authors_truncated and len(p.authors) == size
    ]
    assert complete == lines


def test_A4_tsinghua_lines(seeds: dict[str, Profile]) -> None:
    assert [p.line for p in seeds["004"].papers if p.affiliations == ("tsinghua",)] == [
        12,
        19,
        61,
        68,
        75,
        82,
        89,
        103,
        117,
    ]


def test_A9_et_al_inside_abstract_is_not_an_author_list(entry_at: Any) -> None:
    entry = entry_at("001", 124)
    assert "Liu et al. (2024)" in entry.abstract
    assert entry.authors == (
        "Julian Coda-Forno",
        "Zhuokai Zhao",
        "Qiang Zhang",
    )  # from the author line
    assert parse_author_line(entry.abstract) is None


SYNTHETIC_AUTHORS = [
    pytest.param(
        12,
        ("Renée Ramírez-Núñez", "Jan van der Berg", "Siobhan O'Neil"),
        True,
        ("uvigo", "tudelft"),
        id="A-diacritics-particles-apostrophe-synthetic",
    ),
    pytest.param(26, ("Renée Ramírez-Núñez",), False, (), id="A-single-author-synthetic"),
    pytest.param(
        33,
        ("Inês Duarte", "Renée Ramírez-Núñez", "Mateo Quispe", "Kwame Mensah", "Lotte de Vries"),
        False,
        (),
        id="A-more-than-three-names-synthetic",
    ),
    pytest.param(
        46,
        ("Renée Ramírez-Núñez", "Ewan McAllister"),
        False,
        ("uvigo",),
        id="A-tag-without-et-al-synthetic",
    ),
]


@pytest.mark.parametrize(("line", "authors", "truncated", "tags"), SYNTHETIC_AUTHORS)
def test_author_variations_synthetic(
    synthetic_a: Profile,
    line: int,
    authors: tuple[str, ...],
    truncated: bool,
    tags: tuple[str, ...],
) -> None:
    entry = by_line(synthetic_a)[line]
    assert (entry.authors, entry.authors_truncated, entry.affiliations) == (
        authors,
        truncated,
        tags,
    )


def test_A9_et_al_inside_abstract_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[26]
    assert "Quispe et al. (2023)" in entry.abstract and entry.authors == ("Renée Ramírez-Núñez",)


# --- T: titles ---------------------------------------------------------------------

TITLES = [
    pytest.param(
        "003",
        163,
        "First SFT, Second RL, Third UPT: Continual Improving Multi-Modal LLM Reasoning via Unsupervised Post-Training",
        id="T1-comma-003-l163",
    ),
    pytest.param(
        "004",
        82,
        "Mastering Text, Code and Math Simultaneously via Fusing Highly Specialized Language Models",
        id="T1-comma-004-l82",
    ),
    pytest.param(
        "003",
        93,
        "FILM: How can Few-Shot Image Classification Benefit from Pre-Trained Language Models?",
        id="T3-question-mark-003-l93",
    ),
    pytest.param(
        "003",
        156,
        "Can Atomic Step Decomposition Enhance the Self-structured Reasoning of Multimodal Large Models?",
        id="T3-question-mark-003-l156",
    ),
    pytest.param(
        "003",
        296,
        "Can I understand what I create? Self-Knowledge Evaluation of Large Language Models",
        id="T3-question-mark-003-l296",
    ),
    pytest.param(
        "003",
        324,
        "Can Pretext-Based Self-Supervised Learning Be Boosted by Downstream Data? A Theoretical Analysis",
        id="T3-question-mark-003-l324",
    ),
    pytest.param(
        "003",
        331,
        "Should Graph Convolution Trust Neighbors? A Simple Causal Inference Method",
        id="T3-question-mark-003-l331",
    ),
    pytest.param(
        "004",
        68,
        "How to Synthesize Text Data without Model Collapse?",
        id="T3-question-mark-004-l68",
    ),
    pytest.param(
        "002",
        55,
        "Can I understand what I create? Self-Knowledge Evaluation of Large Language Models",
        id="T3-question-mark-glued-002-l55",
    ),
    pytest.param(
        "001",
        61,
        "S'MoRE: Structural Mixture of Residual Experts for Parameter-Efficient LLM Fine-tuning",
        id="T4-apostrophe-001-l61",
    ),
    pytest.param(
        "003",
        51,
        "DiffKendall: A Novel Approach for Few-Shot Learning with Differentiable Kendall's Rank Correlation",
        id="T4-apostrophe-003-l51",
    ),
    pytest.param(
        "003",
        345,
        "Locally Differentially Private (Contextual) Bandits Learning",
        id="T5-parentheses-003-l345",
    ),
    pytest.param(
        "002",
        16,
        "OTMatch: Improving Semi-Supervised Learning with Optimal Transport",
        id="T6-camel-OTMatch-002-l16",
    ),
    pytest.param(
        "002",
        28,
        "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models",
        id="T6-camel-Diff-eRank-002-l28",
    ),
    pytest.param(
        "002",
        61,
        "RelationMatch: Matching In-batch Relationships for Semi-supervised Learning",
        id="T6-camel-RelationMatch-002-l61",
    ),
    pytest.param(
        "002",
        7,
        "SEAL: Simultaneous Label Hierarchy Exploration And Learning",
        id="T6-caps-SEAL-002-l7",
    ),
    pytest.param(
        "002",
        31,
        "ATLAS: Adapter-Based Multi-Modal Continual Learning with a Two-Stage Learning Strategy",
        id="T6-caps-ATLAS-002-l31",
    ),
    pytest.param(
        "002",
        40,
        "PAINT: Partial-Solution Adaptive Interpolated Training for Self-Distilled Reasoners",
        id="T6-caps-PAINT-002-l40",
    ),
    pytest.param(
        "002",
        46,
        "A Theoretical Lens for RL-Tuned Language Models via Energy-Based Models",
        id="T6-caps-RL-Tuned-002-l46",
    ),
    pytest.param(
        "003",
        16,
        "InstructionGPT-4: A 200-Instruction Paradigm for Fine-Tuning MiniGPT-4",
        id="T6-digits-003-l16",
    ),
]


@pytest.mark.parametrize(("key", "line", "title"), TITLES)
def test_title_variations(entry_at: Any, key: str, line: int, title: str) -> None:
    assert entry_at(key, line).title == title


@pytest.mark.parametrize(
    ("key", "line", "has_code"),
    [
        pytest.param("004", 82, False, id="T2-Code-in-title-no-flag-004-l82"),
        pytest.param("003", 191, True, id="T2-Code-in-title-flag-from-date-line-003-l191"),
    ],
)
def test_T2_code_flag_only_from_date_line(
    entry_at: Any, key: str, line: int, has_code: bool
) -> None:
    entry = entry_at(key, line)
    assert "Code" in entry.title
    assert entry.has_code is has_code


def test_T2_code_in_title_synthetic() -> None:
    from kg.parse import parse_text

    page = "LGMar 1, 2024\nCode Is All You Need: Code\n\nAda Quill, Bo Rennet\n\nNo code here."
    (entry,) = parse_text(page, "x.txt", as_of=AS_OF).papers
    assert entry.has_code is False


# --- M: markup in abstracts (kept verbatim) ---------------------------------------------

MARKUP = [
    pytest.param("000", 33, "$G$", id="M1-dollar-math-000-l33"),
    pytest.param("002", 19, "$l_2$", id="M1-dollar-math-002-l19"),
    pytest.param("000", 40, r"\(\mathcal{O}(lr)\)", id="M2-paren-math-000-l40"),
    pytest.param("000", 75, r"\(S(n) \approx c / n^{α(n)}\)", id="M2-paren-math-000-l75"),
    pytest.param("000", 68, r"\textbf{AgentCDM}", id="M3-textbf-000-l68"),
    pytest.param("000", 68, '``dictatorial"', id="M3-latex-quotes-000-l68"),
    pytest.param(
        "001",
        19,
        r"\href{https://github.com/facebookresearch/PerSRec}{https://github.com/facebookresearch/PerSRec}.",
        id="M4-href-001-l19",
    ),
    pytest.param("001", 26, r"\ours", id="M5-macro-001-l26"),
    pytest.param(
        "001",
        117,
        "**explore-at-the-beginning, exploit-at-the-end**",
        id="M6-markdown-bold-001-l117",
    ),
    pytest.param("002", 13, r"\emph{Self-Supervised On-Policy Distillation}", id="M7-emph-002-l13"),
    pytest.param(
        "002",
        25,
        r"\footnote{Our implementation will be available at https://github.com/tzq1999/CDR.",
        id="M8-unclosed-footnote-002-l25",
    ),
    pytest.param("003", 16, r"6\%", id="M9-percent-escape-003-l16"),
    pytest.param("004", 110, r"\%", id="M9-percent-escape-004-l110"),
    pytest.param("003", 191, "{ChartIR}", id="M10-bare-braces-003-l191"),
    pytest.param("004", 61, r"\textit{Fourier Series}", id="M11-textit-004-l61"),
    pytest.param("004", 110, r"(\eg, PPO and GRPO)", id="M11-eg-004-l110"),
    pytest.param("004", 68, r"GPT-$\{n\}$", id="M11-escaped-braces-004-l68"),
    pytest.param("004", 33, r"~1.20$\times$", id="M11-tilde-times-004-l33"),
    pytest.param("000", 103, "$(σ,δ)$", id="M12-greek-000-l103"),
    pytest.param("003", 345, "Ω", id="M12-greek-003-l345"),
]


@pytest.mark.parametrize(("key", "line", "fragment"), MARKUP)
def test_markup_kept_verbatim(
    entry_at: Any, seed_lines: dict[str, list[str]], key: str, line: int, fragment: str
) -> None:
    entry = entry_at(key, line)
    assert fragment in entry.abstract
    assert entry.abstract == seed_lines[key][_abstract_line(entry) - 1]


@pytest.mark.parametrize(
    ("key", "line", "ending"),
    [
        pytest.param("001", 89, "performance", id="M13-no-final-period-001-l89"),
        pytest.param("003", 219, "https://hf.co/AI4Chem", id="M13-ends-with-url-003-l219"),
        pytest.param(
            "004",
            26,
            "https://github.com/TsinghuaC3I/Awesome-RL-for-LRMs",
            id="M13-ends-with-url-004-l26",
        ),
        pytest.param(
            "004", 47, "https://github.com/TsinghuaC3I/FS-GEN", id="M13-ends-with-url-004-l47"
        ),
        pytest.param(
            "004", 54, "https://github.com/TsinghuaC3I/UltraMedical", id="M13-ends-with-url-004-l54"
        ),
    ],
)
def test_M13_abstract_endings(entry_at: Any, key: str, line: int, ending: str) -> None:
    assert entry_at(key, line).abstract.endswith(ending)


def test_M_markup_synthetic(synthetic_a: Profile) -> None:
    abstract = by_line(synthetic_a)[26].abstract
    assert abstract.endswith(r"with \emph{strong} $\alpha$-priors and **bold** claims")


# --- U: URLs -----------------------------------------------------------------------------

URLS = [
    pytest.param(
        "000", 12, ["https://github.com/NKU-LITI/TARPO-master"], [], id="U1-trailing-period-000-l12"
    ),
    pytest.param(
        "000", 40, ["https://github.com/tenghuilee/LRQK"], [], id="U1-trailing-period-000-l40"
    ),
    pytest.param(
        "001", 61, ["https://github.com/ZimpleX/SMoRE-LLM"], [], id="U1-trailing-period-001-l61"
    ),
    pytest.param(
        "002",
        1,
        ["https://github.com/trusty-ai/efficient-consistent-explanations"],
        [],
        id="U1-trailing-period-002-l1",
    ),
    pytest.param(
        "003",
        16,
        ["https://github.com/waltonfuture/InstructionGPT-4"],
        [],
        id="U1-trailing-period-003-l16",
    ),
    pytest.param(
        "004",
        26,
        ["https://github.com/TsinghuaC3I/Awesome-RL-for-LRMs"],
        [],
        id="U2-end-of-line-004-l26",
    ),
    pytest.param(
        "004", 47, ["https://github.com/TsinghuaC3I/FS-GEN"], [], id="U2-end-of-line-004-l47"
    ),
    pytest.param(
        "004", 54, ["https://github.com/TsinghuaC3I/UltraMedical"], [], id="U2-end-of-line-004-l54"
    ),
    pytest.param(
        "001",
        19,
        ["https://github.com/facebookresearch/PerSRec"],
        [],
        id="U3-href-deduplicated-001-l19",
    ),
    pytest.param(
        "002", 25, ["https://github.com/tzq1999/CDR"], [], id="U4-unclosed-footnote-002-l25"
    ),
    pytest.param("003", 219, [], ["https://hf.co/AI4Chem"], id="U5-hf-co-is-a-link-003-l219"),
]


@pytest.mark.parametrize(("key", "line", "repos", "links"), URLS)
def test_url_variations(
    entry_at: Any, key: str, line: int, repos: list[str], links: list[str]
) -> None:
    entry = entry_at(key, line)
    assert [r.url for r in entry.repositories] == repos
    assert list(entry.links) == links


@pytest.mark.parametrize(
    ("key", "line", "owner"),
    [
        pytest.param("000", 12, "NKU-LITI", id="U6-owner-NKU-LITI-000-l12"),
        pytest.param("001", 61, "ZimpleX", id="U6-owner-ZimpleX-001-l61"),
        pytest.param("002", 34, "APORduo", id="U6-owner-APORduo-002-l34"),
        pytest.param("003", 170, "YutingLi0606", id="U6-owner-YutingLi0606-003-l170"),
        pytest.param("004", 26, "TsinghuaC3I", id="U6-owner-TsinghuaC3I-004-l26"),
        pytest.param("003", 58, "597358816", id="U6-owner-numeric-003-l58"),
    ],
)
def test_U6_owner_case_kept(entry_at: Any, key: str, line: int, owner: str) -> None:
    (repo,) = entry_at(key, line).repositories
    assert (repo.host, repo.owner) == ("github.com", owner)
    assert repo.url == f"https://github.com/{repo.owner}/{repo.name}"


def test_U1_no_repo_url_keeps_trailing_punctuation(seeds: dict[str, Profile]) -> None:
    urls = [r.url for profile in seeds.values() for p in profile.papers for r in p.repositories]
    assert len(urls) == 33  # 3 + 2 + 9 + 16 + 3
    assert all(url[-1] not in ".,;:!?)]}" for url in urls)


def test_U_code_hosts_synthetic(synthetic_a: Profile) -> None:
    entry = by_line(synthetic_a)[12]
    assert [(r.host, r.owner, r.name, r.url) for r in entry.repositories] == [
        (
            "gitlab.com",
            "tidal-lab",
            "lattice",
            "https://gitlab.com/tidal-lab/lattice",
        ),  # /-/tree/main dropped
        (
            "github.com",
            "Tidal-Lab",
            "Lattice",
            "https://github.com/Tidal-Lab/Lattice",
        ),  # .git dropped, case kept
        # https://github.com/tidal-lab/lattice/tree/main is the same repository: deduplicated
        ("bitbucket.org", "tidal", "data-sets", "https://bitbucket.org/tidal/data-sets"),
        ("codeberg.org", "tide", "notes", "https://codeberg.org/tide/notes"),
    ]
    assert entry.links == ("https://huggingface.co/tidal/lattice-7b",)  # not a code host here
    href = by_line(synthetic_a)[46]
    assert [r.url for r in href.repositories] == ["https://github.com/ewan-mca/tags"]


# --- C: the Code flag ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "flagged", "with_url"),
    [
        pytest.param("000", 3, 3, id="C1-code-and-url-000"),
        pytest.param("001", 2, 2, id="C1-code-and-url-001"),
        pytest.param("002", 9, 9, id="C1-code-and-url-002"),
        pytest.param("003", 18, 16, id="C1-code-and-url-003"),
        pytest.param("004", 4, 3, id="C1-code-and-url-004"),
    ],
)
def test_C1_code_flag_with_url(
    seeds: dict[str, Profile], key: str, flagged: int, with_url: int
) -> None:
    papers = seeds[key].papers
    assert sum(p.has_code for p in papers) == flagged
    assert sum(p.has_code and bool(p.repositories) for p in papers) == with_url
    # Every GitHub URL in the seeds belongs to an entry that has the Code flag.
    assert all(p.has_code for p in papers if p.repositories)


@pytest.mark.parametrize(
    ("key", "line"),
    [
        pytest.param("003", 121, id="C2-code-no-url-003-l121"),
        pytest.param("003", 191, id="C2-code-no-url-003-l191"),
        pytest.param("004", 12, id="C2-code-no-url-004-l12"),
    ],
)
def test_C2_code_flag_without_url(entry_at: Any, key: str, line: int) -> None:
    entry = entry_at(key, line)
    assert entry.has_code and entry.repositories == () and entry.links == ()


def test_C3_url_without_code_flag(entry_at: Any) -> None:
    entry = entry_at("003", 219)
    assert not entry.has_code
    assert entry.links == ("https://hf.co/AI4Chem",) and entry.repositories == ()

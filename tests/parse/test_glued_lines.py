"""Layout B: the 21 glued title/author lines of seed 002, and the split rule (section 3)."""

from __future__ import annotations

from typing import Any

import pytest

from kg.parse import parse_text, split_glued_line
from tests.parse.conftest import AS_OF

# PROFILE_FORMAT.md section 3: (line, title, authors, split index). The last column says
# whether the layout-A copy in 003 confirms it (entry line in 003).
GLUED = [
    (
        2,
        "Trade-off Between Efficiency and Consistency for Removal-based Explanations",
        "Yifan Zhang, Haowei He, Zhiquan Tan et al.",
        75,
        None,
    ),
    (
        5,
        "Contrastive Learning Is Spectral Clustering On Similarity Graph",
        "Zhiquan Tan, Yifan Zhang, Jingqin Yang et al.",
        63,
        None,
    ),
    (
        8,
        "SEAL: Simultaneous Label Hierarchy Exploration And Learning",
        "Zhiquan Tan, Zihao Wang, Yifan Zhang",
        59,
        None,
    ),
    (
        11,
        "Information Flow in Self-Supervised Learning",
        "Zhiquan Tan, Jingqin Yang, Weiran Huang et al.",
        44,
        65,
    ),
    (
        14,
        "Self-Supervised On-Policy Distillation for Reasoning Language Models",
        "Zhiquan Tan, Yinrong Hong",
        68,
        None,
    ),
    (
        17,
        "OTMatch: Improving Semi-Supervised Learning with Optimal Transport",
        "Zhiquan Tan, Kaipeng Zheng, Weiran Huang",
        66,
        107,
    ),
    (
        20,
        "Understanding Grokking Through A Robustness Viewpoint",
        "Zhiquan Tan, Weiran Huang",
        53,
        114,
    ),
    (
        23,
        "Exploring Information-Theoretic Metrics Associated with Neural Collapse in Supervised Training",
        "Kun Song, Zhiquan Tan, Bochao Zou et al.",
        94,
        128,
    ),
    (
        26,
        "From Intent to Evidence: A Categorical Approach for Structural Evaluation of Deep Research Agents",
        "Shuoling Liu, Zhiquan Tan, Kun Yi et al.",
        97,
        None,
    ),
    (
        29,
        "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models",
        "Lai Wei, Zhiquan Tan, Chenghai Li et al.",
        74,
        135,
    ),
    (
        32,
        "ATLAS: Adapter-Based Multi-Modal Continual Learning with a Two-Stage Learning Strategy",
        "Hong Li, Zhiquan Tan, Xingyu Li et al.",
        86,
        177,
    ),
    (
        35,
        "Generalized Category Discovery via Reciprocal Learning and Class-Wise Distribution Regularization",
        "Duo Liu, Zhiquan Tan, Linglan Zhao et al.",
        97,
        198,
    ),
    (
        38,
        "Matrix Information Theory for Self-Supervised Learning",
        "Yifan Zhang, Zhiquan Tan, Jingqin Yang et al.",
        54,
        212,
    ),
    (
        41,
        "PAINT: Partial-Solution Adaptive Interpolated Training for Self-Distilled Reasoners",
        "Zhiquan Tan, Yinrong Hong",
        83,
        None,
    ),
    (
        44,
        "The Information of Large Language Model Geometry",
        "Zhiquan Tan, Chenghai Li, Weiran Huang",
        48,
        233,
    ),
    (
        47,
        "A Theoretical Lens for RL-Tuned Language Models via Energy-Based Models",
        "Zhiquan Tan, Yinrong Hong",
        71,
        None,
    ),
    (
        50,
        "Inference-Cost-Aware Dynamic Tree Construction for Efficient Inference in Large Language Models",
        "Yinrong Hong, Zhiquan Tan, Kai Hu",
        95,
        None,
    ),
    (53, "Information-Theoretic Perspectives on Optimizers", "Zhiquan Tan, Weiran Huang", 48, 275),
    (
        56,
        "Can I understand what I create? Self-Knowledge Evaluation of Large Language Models",
        "Zhiquan Tan, Lai Wei, Jindong Wang et al.",
        82,
        296,
    ),
    (
        59,
        "Unveiling the Dynamics of Information Interplay in Supervised Learning",
        "Kun Song, Zhiquan Tan, Bochao Zou et al.",
        70,
        303,
    ),
    (
        62,
        "RelationMatch: Matching In-batch Relationships for Semi-supervised Learning",
        "Yifan Zhang, Jingqin Yang, Zhiquan Tan et al.",
        75,
        None,
    ),
]
GLUED_PARAMS = [pytest.param(*row, id=f"002-l{row[0]}") for row in GLUED]


def test_table_has_21_rows_12_confirmed() -> None:
    assert len(GLUED) == 21
    assert sum(row[4] is not None for row in GLUED) == 12


@pytest.mark.parametrize(("line", "title", "authors", "index", "confirmed_by"), GLUED_PARAMS)
def test_split_glued_line(
    seed_lines: dict[str, list[str]],
    line: int,
    title: str,
    authors: str,
    index: int,
    confirmed_by: int | None,
) -> None:
    raw = seed_lines["002"][line - 1]
    assert raw[:index] == title and raw[index:] == authors  # the split index is a character offset
    assert split_glued_line(raw) == (title, authors, "leftmost-valid")


@pytest.mark.parametrize(("line", "title", "authors", "index", "confirmed_by"), GLUED_PARAMS)
def test_parsed_glued_entry(
    entry_at: Any, line: int, title: str, authors: str, index: int, confirmed_by: int | None
) -> None:
    entry = entry_at("002", line - 1)  # entries are named by their date line
    assert entry.layout == "B" and entry.split_method == "leftmost-valid"
    assert entry.title == title
    names = authors.removesuffix(" et al.").split(", ")
    assert entry.authors == tuple(names)
    assert entry.authors_truncated == authors.endswith(" et al.")
    if confirmed_by is not None:  # the layout-A copy in 003 is the ground truth
        copy = entry_at("003", confirmed_by)
        assert (copy.layout, copy.title, copy.authors, copy.authors_truncated) == (
            "A",
            entry.title,
            entry.authors,
            entry.authors_truncated,
        )


def test_every_glued_line_has_exactly_one_valid_split(seed_lines: dict[str, list[str]]) -> None:
    from kg.parse.authors import _split  # the alternatives are internal: checked here once

    for line, *_ in GLUED:
        found = _split(seed_lines["002"][line - 1], ())
        assert found is not None and found.alternatives == (), line


# --- the split rule on fictional lines ---------------------------------------

SPLITS = [
    pytest.param(
        "Sparse Kernels RevisitedAda Quill, Bo Rennet",
        ("Sparse Kernels Revisited", "Ada Quill, Bo Rennet"),
        id="letter-then-capital",
    ),
    pytest.param(
        "Does Scale Help?Ada Quill", ("Does Scale Help?", "Ada Quill"), id="after-question-mark"
    ),
    pytest.param(
        "Kernels (Revisited)Ada Quill, Bo Rennet et al.",
        ("Kernels (Revisited)", "Ada Quill, Bo Rennet et al."),
        id="after-parenthesis",
    ),
    pytest.param(
        "Scaling Laws for GPT-4Ada Quill, Bo Rennet",
        ("Scaling Laws for GPT-4", "Ada Quill, Bo Rennet"),
        id="after-digit",
    ),
    pytest.param(
        "Notes on ÉcologieÉmile Durand, Ada Quill",
        ("Notes on Écologie", "Émile Durand, Ada Quill"),
        id="non-ascii-capital",
    ),
    pytest.param(
        "Self-Supervised Graph LearningAda Quill, Bo Rennet",
        ("Self-Supervised Graph Learning", "Ada Quill, Bo Rennet"),
        id="hyphen-capital-is-not-a-candidate",
    ),
    pytest.param(
        "MetaXNet: A BetterPlan for RL-GuidedTuningAda Quill, Bo Rennet",
        ("MetaXNet: A BetterPlan for RL-GuidedTuning", "Ada Quill, Bo Rennet"),
        id="camel-case-and-caps-in-title",
    ),
    pytest.param(
        "Tidal MemoryJan van der Berg, Ada Quill · uvigo",
        ("Tidal Memory", "Jan van der Berg, Ada Quill · uvigo"),
        id="particles-and-tag",
    ),
    pytest.param(
        "Tidal MemorySiobhan O'Neil, Ewan McAllister",
        ("Tidal Memory", "Siobhan O'Neil, Ewan McAllister"),
        id="apostrophe-and-prefix-capital",
    ),
    pytest.param(
        "Tidal MemoryJ. Quill, Bo Rennet", ("Tidal Memory", "J. Quill, Bo Rennet"), id="initial"
    ),
]


@pytest.mark.parametrize(("line", "expected"), SPLITS)
def test_split_rule(line: str, expected: tuple[str, str]) -> None:
    assert split_glued_line(line) == (*expected, "leftmost-valid")


NO_SPLIT = [
    pytest.param("Unsplittable Title Without Any Authors", id="no-candidate"),
    pytest.param("Title ending in a mononymPlato, Ada Quill", id="first-author-mononym"),
    pytest.param("A Title With Bo RENNETAda Quill, Bo RENNET", id="all-caps-surname"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("line", NO_SPLIT)
def test_no_valid_split(line: str) -> None:
    assert split_glued_line(line) is None


def test_known_author_fallback() -> None:
    line = "Robust Control of SwarmsAda Quill, Bo RENNET"
    assert split_glued_line(line) is None
    assert split_glued_line(line, frozenset({"Ada Quill"})) == (
        "Robust Control of Swarms",
        "Ada Quill, Bo RENNET",
        "known-author",
    )
    # The known author must be followed by ", ", " et al.", " · " or the end of the line.
    assert (
        split_glued_line("Robust Control of SwarmsAda QuillSEN, Bo", frozenset({"Ada Quill"}))
        is None
    )


# --- per entry, in a page -----------------------------------------------------


def test_layout_decided_per_entry() -> None:
    page = (
        "LGMay 5, 2024\nGlued TitleAda Quill, Bo Rennet\nAn abstract.\n"
        "CVJun 6, 2024\nSeparate Title\n\nAda Quill, Carmen Ortiz\n\nAnother abstract.\n"
        "CLJul 7, 2024\nGlued AgainAda Quill et al.\nThird abstract."
    )
    profile = parse_text(page, "mixed.txt", as_of=AS_OF)
    assert [(p.layout, p.split_method, p.title) for p in profile.papers] == [
        ("B", "leftmost-valid", "Glued Title"),
        ("A", None, "Separate Title"),
        ("B", "leftmost-valid", "Glued Again"),
    ]
    assert profile.failures == ()


def test_glued_line_without_abstract() -> None:
    profile = parse_text("LGMay 5, 2024\nGlued TitleAda Quill, Bo Rennet", "x.txt", as_of=AS_OF)
    (entry,) = profile.papers
    assert (entry.title, entry.authors, entry.abstract) == (
        "Glued Title",
        ("Ada Quill", "Bo Rennet"),
        "",
    )

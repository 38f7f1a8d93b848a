"""Golden facts of PROFILE_FORMAT.md sections 5 and 6, on the real seed pages."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from kg.model import Profile

# Section 5, one column per file.
GOLDEN: dict[str, dict[str, Any]] = {
    "000": dict(
        header_name="Xuyang Zhao",
        owner="Xuyang Zhao",
        inferred=False,
        confidence="header",
        category="LG",
        metrics=(39, 15, 273, 49, 56),
        count=15,
        entries=15,
        layout="A",
        code=3,
        with_github=3,
        et_al=11,
        with_tags=0,
        tag_counts={},
        tag_strings={},
        categories={"LG": 8, "CL": 3, "AI": 2, "CV": 1, "ML": 1},
        yearless=[date(2026, 6, 4), date(2026, 4, 9)],
        earliest=date(2017, 10, 30),
        latest=date(2026, 6, 4),
        code_without_url=[],
        url_without_code=[],
        links=[],
        distinct_authors=21,
        repos=["NKU-LITI/TARPO-master", "tenghuilee/LRQK", "NKU-HLT/Off-Policy-SFT"],
    ),
    "001": dict(
        header_name="Lizhu Zhang",
        owner="Lizhu Zhang",
        inferred=False,
        confidence="header",
        category="CL",
        metrics=(12, 17, 147, 64, 58),
        count=17,
        entries=17,
        layout="A",
        code=2,
        with_github=2,
        et_al=17,
        with_tags=0,
        tag_counts={},
        tag_strings={},
        categories={"CL": 8, "LG": 5, "CV": 2, "AI": 1, "IR": 1},
        yearless=[
            date(2026, 5, 31),
            date(2026, 1, 7),
            date(2026, 5, 14),
            date(2026, 1, 8),
            date(2026, 3, 26),
            date(2026, 3, 19),
            date(2026, 2, 5),
            date(2026, 4, 6),
        ],
        earliest=date(2025, 1, 16),
        latest=date(2026, 5, 31),
        code_without_url=[],
        url_without_code=[],
        links=[],
        distinct_authors=29,
        repos=["facebookresearch/PerSRec", "ZimpleX/SMoRE-LLM"],
    ),
    "002": dict(
        header_name=None,
        owner="Zhiquan Tan",
        inferred=True,
        confidence="certain",
        category=None,
        metrics=None,
        count=None,
        entries=21,
        layout="B",
        code=9,
        with_github=9,
        et_al=12,
        with_tags=0,
        tag_counts={},
        tag_strings={},
        categories={"LG": 16, "CV": 3, "CL": 2},
        yearless=[date(2026, 5, 17), date(2026, 3, 26), date(2026, 4, 29)],
        earliest=date(2022, 10, 31),
        latest=date(2026, 5, 17),
        code_without_url=[],
        url_without_code=[],
        links=[],
        distinct_authors=20,
        repos=[
            "trusty-ai/efficient-consistent-explanations",
            "yifanzhang-pro/Kernel-InfoNCE",
            "tzq1999/SEAL",
            "tzq1999/SSOPD",
            "tzq1999/CDR",
            "waltonfuture/Diff-eRank",
            "lihong2303/ATLAS",
            "APORduo/RLCD",
            "yifanzhang-pro/Matrix-SSL",
        ],
    ),
    "003": dict(
        header_name=None,
        owner="Weiran Huang",
        inferred=True,
        confidence="high",
        category=None,
        metrics=(28, 57, 1945, 55, 62),
        count=57,
        entries=50,
        layout="A",
        code=18,
        with_github=16,
        et_al=43,
        with_tags=1,
        tag_counts={"mit": 1},
        tag_strings={"mit": 1},
        categories={"LG": 25, "CV": 16, "AI": 5, "CL": 4},
        yearless=[date(2026, 5, 29), date(2026, 4, 17), date(2026, 2, 12), date(2026, 4, 12)],
        earliest=date(2020, 5, 28),
        latest=date(2026, 5, 29),
        code_without_url=[121, 191],
        url_without_code=[219],
        links=["https://hf.co/AI4Chem"],
        distinct_authors=81,
        repos=[
            "waltonfuture/InstructionGPT-4",
            "Xiuyuan-Chen/AutoEval-Video",
            "skingorz/FD-Align",
            "waltonfuture/Diabetica",
            "597358816/UEC-RL",
            "inclusionAI/Zooming-without-Zooming",
            "waltonfuture/Diff-eRank",
            "waltonfuture/RL-with-Cold-Start",
            "zizheng-guo/RhythmFormer",
            "Quinn777/AtomThink",
            "waltonfuture/MM-UPT",
            "YutingLi0606/Vision-Matters",
            "lihong2303/ATLAS",
            "597358816/EFRame",
            "APORduo/RLCD",
            "yifanzhang-pro/Matrix-SSL",
        ],
    ),
    "004": dict(
        header_name="Xingtai Lv",
        owner="Xingtai Lv",
        inferred=False,
        confidence="header",
        category="CL",
        metrics=(35, 17, 1150, 44, 60),
        count=17,
        entries=17,
        layout="A",
        code=4,
        with_github=3,
        et_al=17,
        with_tags=12,
        tag_counts={"tsinghua": 12, "pku": 2, "stanford": 1},
        tag_strings={"tsinghua": 9, "pku, tsinghua": 2, "stanford, tsinghua": 1},
        categories={"CL": 8, "LG": 6, "AI": 3},
        yearless=[date(2026, 5, 18)],
        earliest=date(2023, 7, 5),
        latest=date(2026, 5, 18),
        code_without_url=[12],
        url_without_code=[],
        links=[],
        distinct_authors=25,
        repos=[
            "TsinghuaC3I/Awesome-RL-for-LRMs",
            "TsinghuaC3I/FS-GEN",
            "TsinghuaC3I/UltraMedical",
        ],
    ),
}

FILES = sorted(GOLDEN)


def _fact(key: str, name: str) -> Any:
    return GOLDEN[key][name]


@pytest.fixture(params=FILES)
def case(request: pytest.FixtureRequest, seeds: dict[str, Profile]) -> tuple[str, Profile]:
    return request.param, seeds[request.param]


def test_seed_files_present(seed_files: dict[str, Any]) -> None:
    assert sorted(seed_files) == FILES


def test_no_failures(case: tuple[str, Profile]) -> None:
    key, profile = case
    assert profile.failures == (), key


def test_owner(case: tuple[str, Profile]) -> None:
    key, profile = case
    owner = profile.owner
    assert (owner.name, owner.inferred, owner.confidence) == (
        _fact(key, "owner"),
        _fact(key, "inferred"),
        _fact(key, "confidence"),
    )
    assert owner.evidence


def test_header(case: tuple[str, Profile]) -> None:
    key, profile = case
    assert profile.category == _fact(key, "category")
    assert profile.declared_count == _fact(key, "count")
    expected = _fact(key, "metrics")
    if expected is None:
        assert profile.metrics is None
    else:
        m = profile.metrics
        assert m is not None
        assert (m.h_index, m.papers, m.citations, m.novelty, m.ai_score) == expected


def test_entries_and_layout(case: tuple[str, Profile]) -> None:
    key, profile = case
    assert len(profile.papers) == _fact(key, "entries")
    assert Counter(p.layout for p in profile.papers) == {
        _fact(key, "layout"): _fact(key, "entries")
    }


def test_code_flags_and_github_urls(case: tuple[str, Profile]) -> None:
    key, profile = case
    papers = profile.papers
    assert sum(p.has_code for p in papers) == _fact(key, "code")
    assert sum(any(r.host == "github.com" for r in p.repositories) for p in papers) == _fact(
        key, "with_github"
    )
    assert [p.line for p in papers if p.has_code and not p.repositories] == _fact(
        key, "code_without_url"
    )
    assert [p.line for p in papers if not p.has_code and (p.repositories or p.links)] == _fact(
        key, "url_without_code"
    )
    assert [link for p in papers for link in p.links] == _fact(key, "links")


def test_distinct_github_repos_exact(case: tuple[str, Profile]) -> None:
    key, profile = case
    urls = [r.url for p in profile.papers for r in p.repositories]
    assert urls == [f"https://github.com/{name}" for name in _fact(key, "repos")]
    assert len(set(urls)) == len(urls)  # distinct within a file


def test_truncation_and_affiliations(case: tuple[str, Profile]) -> None:
    key, profile = case
    papers = profile.papers
    assert sum(p.authors_truncated for p in papers) == _fact(key, "et_al")
    assert sum(bool(p.affiliations) for p in papers) == _fact(key, "with_tags")
    assert Counter(t for p in papers for t in p.affiliations) == _fact(key, "tag_counts")
    assert Counter(", ".join(p.affiliations) for p in papers if p.affiliations) == _fact(
        key, "tag_strings"
    )


def test_categories(case: tuple[str, Profile]) -> None:
    key, profile = case
    assert Counter(p.category for p in profile.papers) == _fact(key, "categories")


def test_dates(case: tuple[str, Profile]) -> None:
    key, profile = case
    papers = profile.papers
    assert [p.date for p in papers if p.year_inferred] == _fact(key, "yearless")
    dates = [p.date for p in papers if p.date is not None]
    assert len(dates) == len(papers)
    assert (min(dates), max(dates)) == (_fact(key, "earliest"), _fact(key, "latest"))


def test_distinct_visible_author_strings(case: tuple[str, Profile]) -> None:
    key, profile = case
    assert len({a for p in profile.papers for a in p.authors}) == _fact(key, "distinct_authors")


# --- spot checks: exact titles and author lists ------------------------------

TITLES = [
    pytest.param(
        "000",
        12,
        "TARPO: Token-Wise Latent-Explicit Reasoning via Action-Routing Policy Optimization",
        id="000-l12",
    ),
    pytest.param("000", 110, "Tensorizing Generative Adversarial Nets", id="000-l110-last"),
    pytest.param(
        "001",
        61,
        "S'MoRE: Structural Mixture of Residual Experts for Parameter-Efficient LLM Fine-tuning",
        id="001-l61-T4",
    ),
    pytest.param(
        "001",
        124,
        "Exploring System 1 and 2 communication for latent reasoning in LLMs",
        id="001-l124",
    ),
    pytest.param(
        "002",
        1,
        "Trade-off Between Efficiency and Consistency for Removal-based Explanations",
        id="002-l1-glued",
    ),
    pytest.param(
        "002",
        55,
        "Can I understand what I create? Self-Knowledge Evaluation of Large Language Models",
        id="002-l55-T3-glued",
    ),
    pytest.param(
        "003",
        163,
        "First SFT, Second RL, Third UPT: Continual Improving Multi-Modal LLM Reasoning via Unsupervised Post-Training",
        id="003-l163-T1",
    ),
    pytest.param(
        "003",
        191,
        "Improved Iterative Refinement for Chart-to-Code Generation via Structured Instruction",
        id="003-l191-T2",
    ),
    pytest.param(
        "003",
        51,
        "DiffKendall: A Novel Approach for Few-Shot Learning with Differentiable Kendall's Rank Correlation",
        id="003-l51-T4",
    ),
    pytest.param(
        "003", 345, "Locally Differentially Private (Contextual) Bandits Learning", id="003-l345-T5"
    ),
    pytest.param(
        "003",
        16,
        "InstructionGPT-4: A 200-Instruction Paradigm for Fine-Tuning MiniGPT-4",
        id="003-l16-T6",
    ),
    pytest.param(
        "004",
        82,
        "Mastering Text, Code and Math Simultaneously via Fusing Highly Specialized Language Models",
        id="004-l82-T1-T2",
    ),
    pytest.param("004", 68, "How to Synthesize Text Data without Model Collapse?", id="004-l68-T3"),
]


@pytest.mark.parametrize(("key", "line", "title"), TITLES)
def test_exact_titles(entry_at: Any, key: str, line: int, title: str) -> None:
    assert entry_at(key, line).title == title


AUTHORS = [
    pytest.param("000", 12, ("Liting Zhang", "Shiwan Zhao", "Xuyang Zhao"), True, (), id="000-l12"),
    pytest.param(
        "000",
        89,
        ("Kazi Mahmudul Hassan", "Xuyang Zhao", "Hidenori Sugano"),
        True,
        (),
        id="000-l89",
    ),
    pytest.param(
        "000", 110, ("Xingwei Cao", "Xuyang Zhao", "Qibin Zhao"), False, (), id="000-l110"
    ),
    pytest.param(
        "001", 124, ("Julian Coda-Forno", "Zhuokai Zhao", "Qiang Zhang"), True, (), id="001-l124"
    ),
    pytest.param("002", 19, ("Zhiquan Tan", "Weiran Huang"), False, (), id="002-l19"),
    pytest.param("002", 61, ("Yifan Zhang", "Jingqin Yang", "Zhiquan Tan"), True, (), id="002-l61"),
    pytest.param(
        "003", 23, ("Jingyi Cui", "Weiran Huang", "Yifei Wang"), True, ("mit",), id="003-l23"
    ),
    pytest.param("003", 324, ("Jiaye Teng", "Weiran Huang", "Haowei He"), False, (), id="003-l324"),
    pytest.param(
        "004",
        26,
        ("Kaiyan Zhang", "Yuxin Zuo", "Bingxiang He"),
        True,
        ("pku", "tsinghua"),
        id="004-l26",
    ),
    pytest.param(
        "004",
        110,
        ("Xuekai Zhu", "Daixuan Cheng", "Dinghuai Zhang"),
        True,
        ("stanford", "tsinghua"),
        id="004-l110",
    ),
    pytest.param("004", 124, ("Shang Qu", "Ning Ding", "Linhai Xie"), True, (), id="004-l124"),
]


@pytest.mark.parametrize(("key", "line", "authors", "truncated", "tags"), AUTHORS)
def test_author_lists(
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


# --- section 6: cross-file facts ----------------------------------------------


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split())


SHARED_TITLES = {
    "A Statistical Theory of Regularization-Based Continual Learning": ("000", 96, "003", 289),
    "ArCL: Enhancing Contrastive Learning with Augmentation-Robust Representations": (
        "000",
        26,
        "003",
        79,
    ),
    "Towards the Generalization of Contrastive Self-Supervised Learning": ("000", 103, "003", 317),
    "When Noisy Labels Meet Long Tail Dilemmas: A Representation Calibration Method": (
        "000",
        19,
        "003",
        72,
    ),
    "ATLAS: Adapter-Based Multi-Modal Continual Learning with a Two-Stage Learning Strategy": (
        "002",
        31,
        "003",
        177,
    ),
    "Can I understand what I create? Self-Knowledge Evaluation of Large Language Models": (
        "002",
        55,
        "003",
        296,
    ),
    "Diff-eRank: A Novel Rank-Based Metric for Evaluating Large Language Models": (
        "002",
        28,
        "003",
        135,
    ),
    "Exploring Information-Theoretic Metrics Associated with Neural Collapse in Supervised Training": (
        "002",
        22,
        "003",
        128,
    ),
    "Generalized Category Discovery via Reciprocal Learning and Class-Wise Distribution Regularization": (
        "002",
        34,
        "003",
        198,
    ),
    "Information Flow in Self-Supervised Learning": ("002", 10, "003", 65),
    "Information-Theoretic Perspectives on Optimizers": ("002", 52, "003", 275),
    "Matrix Information Theory for Self-Supervised Learning": ("002", 37, "003", 212),
    "OTMatch: Improving Semi-Supervised Learning with Optimal Transport": ("002", 16, "003", 107),
    "The Information of Large Language Model Geometry": ("002", 43, "003", 233),
    "Understanding Grokking Through A Robustness Viewpoint": ("002", 19, "003", 114),
    "Unveiling the Dynamics of Information Interplay in Supervised Learning": (
        "002",
        58,
        "003",
        303,
    ),
}


def test_cross_file_totals(seeds: dict[str, Profile]) -> None:
    papers = [p for key in FILES for p in seeds[key].papers]
    assert len(papers) == 120
    assert len({_title_key(p.title) for p in papers}) == 104
    assert len({a for p in papers for a in p.authors}) == 153
    assert len({r.url for p in papers for r in p.repositories}) == 29


def test_repos_in_two_files(seeds: dict[str, Profile]) -> None:
    def repos(key: str) -> set[str]:
        return {r.name for p in seeds[key].papers for r in p.repositories}

    assert repos("002") & repos("003") == {"Diff-eRank", "ATLAS", "RLCD", "Matrix-SSL"}


def test_shared_titles(seeds: dict[str, Profile]) -> None:
    titles = {key: {_title_key(p.title) for p in seeds[key].papers} for key in FILES}
    shared = {t for a in FILES for b in FILES if a < b for t in titles[a] & titles[b]}
    assert shared == {_title_key(t) for t in SHARED_TITLES}
    assert len(titles["000"] & titles["003"]) == 4
    assert len(titles["002"] & titles["003"]) == 12
    assert not titles["000"] & titles["002"]
    for key in ("001", "004"):
        assert all(not titles[key] & titles[other] for other in FILES if other != key)
    for key in FILES:  # no file repeats a title
        assert len(titles[key]) == len(seeds[key].papers)


@pytest.mark.parametrize(
    ("title", "where"), [pytest.param(t, w, id=t[:40]) for t, w in SHARED_TITLES.items()]
)
def test_shared_papers_identical_in_both_copies(
    entry_at: Any, title: str, where: tuple[str, int, str, int]
) -> None:
    a, b = entry_at(where[0], where[1]), entry_at(where[2], where[3])
    assert a.title == b.title == title

    def fields(e: Any) -> tuple[Any, ...]:
        return (
            e.title,
            e.category,
            e.date,
            e.date_text,
            e.year_inferred,
            e.has_code,
            e.authors,
            e.authors_truncated,
            e.affiliations,
            e.abstract,
            e.repositories,
            e.links,
        )

    assert fields(a) == fields(b)


SHARED_AUTHORS = {
    "Weiran Huang": {"000": 2, "002": 5, "003": 18},
    "Haowei He": {"002": 1, "003": 1},
    "Zhiquan Tan": {"002": 21, "003": 12},
    "Xuyang Zhao": {"000": 15, "003": 4},
    "Lai Wei": {"002": 2, "003": 12},
    "Kaipeng Zheng": {"002": 1, "003": 6},
    "Yifan Zhang": {"002": 5, "003": 1},
    "Jingqin Yang": {"002": 4, "003": 2},
    "Bochao Zou": {"002": 2, "003": 4},
    "Kun Song": {"002": 2, "003": 3},
    "Linglan Zhao": {"002": 1, "003": 2},
    "Huiyuan Wang": {"000": 2, "003": 1},
    "Chenghai Li": {"002": 2, "003": 2},
    **{name: {"002": 1, "003": 1} for name in ("Duo Liu", "Hong Li", "Jindong Wang", "Xingyu Li")},
    **{
        name: {"000": 1, "003": 1}
        for name in ("Jun Yao", "Manyi Zhang", "Mingyang Yi", "Tianqi Du", "Yisen Wang")
    },
}


def test_author_strings_in_more_than_one_file(seeds: dict[str, Profile]) -> None:
    per_file = {key: Counter(a for p in seeds[key].papers for a in p.authors) for key in FILES}
    names = {a for c in per_file.values() for a in c}
    multi = {a: {k: c[a] for k, c in per_file.items() if c[a]} for a in names}
    multi = {a: counts for a, counts in multi.items() if len(counts) > 1}
    assert multi == SHARED_AUTHORS

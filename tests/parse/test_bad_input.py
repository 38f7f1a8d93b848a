"""Bad input is data: failures with line, raw text and reason; never an exception."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model import Profile
from kg.parse import MAX_LINE_CHARS, RAW_LIMIT, parse_bytes, parse_file, parse_text
from tests.parse.conftest import AS_OF, read_fixture

PAGE = read_fixture("synthetic_layout_a.txt").decode("utf-8")
GOOD_LINES = [12, 19, 26, 33, 41, 46]  # entry lines of the fixture
FEB_31 = (19, "impossible date")  # the fixture's own, expected failure


def failures(profile: Profile) -> list[tuple[int, str]]:
    return [(f.line, f.reason) for f in profile.failures]


def assert_failures(profile: Profile, expected: list[tuple[int, str]]) -> None:
    """Failures match (line, reason substring) pairs, in line order."""
    got = failures(profile)
    assert len(got) == len(expected), got
    for (line, reason), (want_line, fragment) in zip(got, expected, strict=True):
        assert line == want_line and fragment in reason, (line, reason)
    for failure in profile.failures:
        assert failure.source == profile.source and len(failure.raw) <= RAW_LIMIT


# --- whole-file failures: no papers, exactly one failure --------------------------------

WHOLE_FILE = [
    pytest.param(b"", 1, "empty file", id="empty-file"),
    pytest.param(b" \n\n\t\r\n", 1, "empty file", id="whitespace-only"),
    pytest.param(b"\xef\xbb\xbf", 1, "empty file", id="bom-only"),
    pytest.param(b"LGMar 1, 2024\nTitle\x00\x00\x00binary", 1, "binary file", id="nul-bytes"),
    pytest.param(bytes(range(1, 32)) * 40, 1, "binary file", id="control-character-soup"),
    pytest.param(random.Random(7).randbytes(4096), 1, "binary file", id="random-bytes"),
    pytest.param(
        b"first line\nsecond line\n" + b"\x81\x8d\x8f\x90\x9d" * 40,
        3,
        "undecodable bytes",
        id="undecodable-bytes",
    ),
    pytest.param(b"\xff\xfe" + b"\x00\xd8" * 3, 1, "undecodable bytes", id="broken-utf16"),
]


@pytest.mark.parametrize(("data", "line", "reason"), WHOLE_FILE)
def test_whole_file_failures(data: bytes, line: int, reason: str) -> None:
    profile = parse_bytes(data, "bad.txt", as_of=AS_OF)
    assert profile.papers == () and profile.metrics is None and not profile.ok
    assert_failures(profile, [(line, reason)])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("", "empty file", id="empty-text"),
        pytest.param("\ufeff  \n", "empty file", id="bom-and-spaces-text"),
        pytest.param("abc\x00def", "binary file", id="nul-in-text"),
        pytest.param("\x01\x02\x03\x04 abc", "binary file", id="controls-in-text"),
    ],
)
def test_whole_text_failures(text: str, reason: str) -> None:
    assert_failures(parse_text(text, "bad.txt", as_of=AS_OF), [(1, reason)])


def test_not_a_profile_page() -> None:
    profile = parse_text("\nJust some prose.\nAnother line of prose.\n", "prose.txt", as_of=AS_OF)
    assert profile.papers == ()
    assert_failures(profile, [(2, "not a profile page")])
    assert profile.failures[0].raw == "Just some prose."


# --- decoding that keeps the page ---------------------------------------------------------


def test_mostly_utf8_with_a_stray_byte() -> None:
    data = (
        PAGE.replace("Kernels are sparse.", "Kernels are sparse\x00.")
        .encode("utf-8")
        .replace(b"\x00", b"\xff")
    )
    profile = parse_bytes(data, "stray.txt", as_of=AS_OF)
    assert [p.line for p in profile.papers] == GOOD_LINES
    assert_failures(profile, [FEB_31, (31, "invalid UTF-8")])
    assert "sparse\ufffd." in profile.papers[2].abstract


def test_cut_inside_a_utf8_character() -> None:
    data = (PAGE + " Ω").encode("utf-8")[:-1]
    profile = parse_bytes(data, "cut.txt", as_of=AS_OF)
    assert [p.line for p in profile.papers] == GOOD_LINES
    assert_failures(profile, [FEB_31, (51, "middle of a UTF-8 character")])


# --- line failures: the rest of the page still parses -----------------------------------------


def test_five_megabyte_line() -> None:
    text = PAGE.replace("The date of this entry cannot exist.", "x" * 5_000_000)
    start = time.perf_counter()
    profile = parse_text(text, "big.txt", as_of=AS_OF)
    assert time.perf_counter() - start < 5  # linear: ~0.1 s
    assert [p.line for p in profile.papers] == GOOD_LINES
    assert_failures(profile, [FEB_31, (24, "line too long (5,000,000 characters")])
    assert profile.failures[1].raw == "x" * RAW_LIMIT
    assert profile.papers[1].abstract == ""  # its abstract was that line


def test_five_megabyte_line_without_newlines() -> None:
    profile = parse_text("y" * (MAX_LINE_CHARS + 1), "blob.txt", as_of=AS_OF)
    assert_failures(profile, [(1, "line too long")])


def test_file_cut_in_the_middle_of_a_title() -> None:
    text = PAGE[: PAGE.index("Five Authors") + len("Five Auth")]
    profile = parse_text(text, "cut.txt", as_of=AS_OF)
    assert [p.line for p in profile.papers] == [12, 19, 26]  # the complete entries
    assert_failures(profile, [FEB_31, (34, "cannot separate title and authors")])
    assert "file may be cut" in profile.failures[1].reason
    assert profile.failures[1].raw == "Five Auth"


def test_file_cut_after_a_date_line() -> None:
    text = PAGE[: PAGE.index("AIJan 2") + len("AIJan 2")]
    profile = parse_text(text, "cut.txt", as_of=AS_OF)
    assert [p.line for p in profile.papers] == GOOD_LINES[:-1]
    assert_failures(profile, [FEB_31, (46, "date line without a title (the file ends here)")])


def test_date_line_without_title_between_entries() -> None:
    text = PAGE.replace("CVMar 3, 2025\n", "LGApr 4, 2024\n\nCVMar 3, 2025\n")
    profile = parse_text(text, "x.txt", as_of=AS_OF)
    assert [p.line for p in profile.papers] == [12, 19, 28, 35, 43, 48]
    assert_failures(profile, [FEB_31, (26, "date line without a title")])
    assert profile.failures[1].raw == "LGApr 4, 2024"


def test_garbage_between_entries() -> None:
    text = PAGE.replace(
        "\nCVMar 3, 2025",
        "\n#### %%% garbage @@@ ####\nmore junk\n\x01\x02junk\x7f\n\nCVMar 3, 2025",
    )
    profile = parse_text(text, "garbage.txt", as_of=AS_OF)
    assert [p.title for p in profile.papers] == [
        p.title for p in parse_text(PAGE, "x", as_of=AS_OF).papers
    ]
    assert profile.papers[1].abstract == "The date of this entry cannot exist."
    assert_failures(
        profile,
        [
            FEB_31,
            (26, "unexpected text after the abstract of the entry at line 19 (2 lines)"),
            (28, "unreadable line (control characters)"),
        ],
    )
    assert profile.failures[1].raw == "#### %%% garbage @@@ ####"


def test_garbage_before_the_first_entry() -> None:
    text = PAGE.replace("7 Papers\n", "7 Papers\n\n<div class='ad'>buy now</div>\n")
    profile = parse_text(text, "x.txt", as_of=AS_OF)
    assert len(profile.papers) == 6 and profile.declared_count == 7
    assert_failures(
        profile, [(12, "unrecognised text before the first entry"), (21, "impossible date")]
    )


def test_unsplittable_glued_line_is_reported_not_guessed() -> None:
    profile = parse_bytes(read_fixture("synthetic_mixed_layout.txt"), "mixed.txt", as_of=AS_OF)
    assert 19 not in [p.line for p in profile.papers]
    assert_failures(
        profile,
        [
            (14, "low-confidence title/author split: 2 valid split points"),
            (17, "low-confidence title/author split: the author list is not well-formed"),
            (20, "cannot separate title and authors"),
        ],
    )
    by_line = {p.line: p for p in profile.papers}
    assert (by_line[13].title, by_line[13].authors, by_line[13].split_method) == (
        "Learning With Co",
        ("DeAndre Smith", "Ada Quill"),
        "leftmost-valid",
    )
    assert (by_line[16].title, by_line[16].authors, by_line[16].split_method) == (
        "Robust Control of Swarms",
        ("Ada Quill", "Bo RENNET", "Carmen Ortiz"),
        "known-author",
    )


def test_known_authors_from_other_files() -> None:
    page = "LGMay 5, 2024\nA Glued TitleZoe Quill-Xu, Bo RENNET\nAbstract."
    assert parse_text(page, "x.txt", as_of=AS_OF).papers == ()
    profile = parse_text(page, "x.txt", as_of=AS_OF, known_authors=frozenset({"Zoe Quill-Xu"}))
    (entry,) = profile.papers
    assert (entry.title, entry.split_method) == ("A Glued Title", "known-author")
    assert_failures(profile, [(2, "low-confidence title/author split")])


def test_shuffled_lines() -> None:
    lines = PAGE.split("\n")
    random.Random(3).shuffle(lines)
    text = "\n".join(lines)
    profile = parse_text(text, "shuffled.txt", as_of=AS_OF)
    physical = text.split("\n")
    for paper in profile.papers:  # every entry is named by a real date line
        assert physical[paper.line - 1].startswith(paper.category)
    assert profile.failures  # what could not be read is reported ...
    assert all(1 <= f.line <= len(physical) for f in profile.failures)
    assert [f.line for f in profile.failures] == sorted(f.line for f in profile.failures)
    assert not any("internal" in f.reason for f in profile.failures)  # ... and nothing raised


# --- never raises: property test ---------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "LGMar 2, 2023Code",
        "CVJun 4",
        "QZFeb 31, 2024",
        "LGDec 24Code",
        "h-index39",
        "15papers",
        "1,945citations",
        "Novelty49%",
        "AI Score56",
        "15 Papers",
        "Ada Quill, Bo Rennet et al. · mit",
        "A Glued TitleAda Quill, Bo Rennet",
        "Title",
        "",
        " ",
        "\t",
        "et al.",
        "·",
        ",",
        "Code",
        "https://github.com/a/b.",
        "\\href{https://gitlab.com/a/b/-/tree/x}{y}",
        "DeAndre McX, ",
        "Renée Ramírez-Núñez",
        "\ufeff",
        "\u200b",
        "\r",
        "\x0c",
        "\x01",
        "\ufffd",
        "\ud800",
        "É",
    ]
)


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(st.one_of(_PIECES, st.text(max_size=30)), max_size=40),
    st.sampled_from(["\n", "", " ", "\r\n"]),
)
def test_never_raises_on_text(pieces: list[str], sep: str) -> None:
    profile = parse_text(sep.join(pieces), "fuzz.txt", as_of=AS_OF)
    assert not any(f.reason.startswith("internal parser error") for f in profile.failures)
    assert all(f.line >= 1 for f in profile.failures)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_never_raises_on_bytes(data: bytes) -> None:
    profile = parse_bytes(data, "fuzz.bin", as_of=AS_OF)
    assert not any(f.reason.startswith("internal parser error") for f in profile.failures)


# --- misuse of the API raises -------------------------------------------------------------------


def test_misuse_raises(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        parse_text(b"bytes", "x", as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_bytes("text", "x", as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_text("text", "x", as_of="2026-11-21")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        parse_file(tmp_path / "missing.txt", as_of=AS_OF)


# --- no quadratic behaviour ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "glued",
    [
        pytest.param("Ab" * 30_000, id="camel-case-run"),
        pytest.param("A" * 60_000, id="capitals-run"),
        pytest.param("x" + "DeAndre " * 7_000, id="prefix-names"),
        pytest.param("x" + "Donald McDonald, " * 3_500 + "$", id="long-valid-chain-bad-end"),
    ],
)
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="no-known-author"),
        pytest.param("Ada Quill\n\nh-index3\n\n", id="known-author-fallback"),
    ],
)
def test_adversarial_glued_lines_are_linear(glued: str, header: str) -> None:
    start = time.perf_counter()
    parse_text(f"{header}LGJan 1, 2020\n{glued}\nabstract", "adversarial.txt", as_of=AS_OF)
    assert time.perf_counter() - start < 3  # ~0.1-0.4 s; quadratic would take minutes

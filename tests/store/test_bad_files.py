"""Bad files beside good ones in ONE ingest, through the ``kg ingest`` command.

Each bad file must be named on standard error with its line and reason
(``path:line: reason``), the command must go on with the other files, and every
good paper must be stored. The bad files are written here from fictional
entries (each file's titles are its own, so that counts are exact); the good
files are the seed pages, read through ``seed_files``.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import KGStore
from kg.store.stats import store_stats
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

#: Distinct papers in the five seed pages (PROFILE_FORMAT.md section 5).
SEED_PAPERS = 104


def entry(
    title: str,
    *,
    when: str = "Mar 3, 2023",
    category: str = "LG",
    abstract: str | None = None,
    authors: str = "Ada Quill, Bo Rennet",
) -> str:
    text = abstract if abstract is not None else f"We study {title.lower()} in depth."
    return f"{category}{when}\n{title}\n\n{authors}\n\n{text}"


def page(*entries: str, name: str | None = "Ada Quill") -> str:
    header = (
        f"{name}\n\nLG\nh-index3\n{len(entries)}papers\n12citations\nNovelty50%\nAI Score50\n\n"
        f"{len(entries)} Papers\n\n"
        if name
        else ""
    )
    return header + "\n\n".join(entries)


@dataclass
class Case:
    file: str
    data: bytes
    #: Titles of the papers this file must contribute to the store.
    stored: tuple[str, ...] = ()
    #: (line, regex on the reason) the CLI must print for this file; empty = no failure allowed.
    failures: tuple[tuple[int, str], ...] = ()
    #: True when the whole file is refused (no graph at all); None: not checked.
    refused: bool | None = False


def titles(prefix: str, n: int) -> list[str]:
    return [f"{prefix} Study Number {i}" for i in range(1, n + 1)]


def build_cases() -> list[Case]:
    cases: list[Case] = []
    cases.append(Case("empty.txt", b"", failures=((1, r"empty"),), refused=True))
    cases.append(Case("blank.txt", b"\n\n   \n", failures=((1, r"empty"),), refused=True))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(
        random.Random(8).randrange(256) for _ in range(4000)
    )
    cases.append(Case("image.txt", png, failures=((1, r"binary"),), refused=True))

    # A page saved as Latin-1 (not UTF-8): decoded, its accented names kept.
    t = titles("Latin", 2)
    latin = page(
        entry(t[0], authors="José Muñoz, Zoë Brandt"), entry(t[1], authors="Ada Quill, Søren Kær")
    )
    cases.append(Case("latin1.txt", latin.encode("latin-1"), stored=tuple(t)))

    # Bytes that are neither UTF-8 nor text in cp1252/Latin-1: C1 control soup.
    soup = bytes(random.Random(9).choice([0x81, 0x8D, 0x8F, 0x90, 0x9D]) for _ in range(3000))
    cases.append(
        Case(
            "undecodable.txt",
            b"LGMar 3, 2023\n" + soup,
            failures=((2, r"undecodable"),),
            refused=True,
        )
    )

    # A good page with one NUL byte in the middle: binary, refused as a whole.
    t = titles("Nul", 2)
    nul = page(entry(t[0]), entry(t[1])).encode("utf-8")
    cases.append(
        Case("nul.txt", nul[:40] + b"\x00" + nul[40:], failures=((1, r"NUL|binary"),), refused=True)
    )

    # A 5 MB line (an abstract) between two good entries: that line is skipped, the rest kept.
    t = titles("Giant", 3)
    giant = page(entry(t[0]), entry(t[1], abstract="word " * 1_000_000), entry(t[2]))
    giant_line = giant.split("\n").index("word " * 1_000_000) + 1
    cases.append(
        Case(
            "giant-line.txt", giant.encode(), stored=tuple(t), failures=((giant_line, r"too long"),)
        )
    )

    # Feb 31: the entry is kept without a date, and the date line is reported.
    t = titles("Impossible", 2)
    feb = page(entry(t[0], when="Feb 31, 2023"), entry(t[1], when="Feb 28, 2023"))
    feb_line = feb.split("\n").index("LGFeb 31, 2023") + 1
    cases.append(
        Case("feb31.txt", feb.encode(), stored=tuple(t), failures=((feb_line, r"impossible date"),))
    )

    # Category codes the seeds never show are not errors: the format must not be hard-coded.
    t = titles("Category", 2)
    cases.append(
        Case(
            "unknown-category.txt",
            page(entry(t[0], category="QX"), entry(t[1], category="ZZZZ")).encode(),
            stored=tuple(t),
        )
    )

    # Cut in the middle of the last entry's title: complete entries kept, the cut one reported.
    t = titles("Cut", 4)
    whole = page(*(entry(x) for x in t))
    cut = whole[: whole.rindex(t[3]) + 9]
    cut_line = cut.count("\n") + 1
    cases.append(Case("cut.txt", cut.encode(), stored=tuple(t[:3]), failures=((cut_line, r"cut"),)))

    # Cut right after the last date line.
    t = titles("Ends", 2)
    ends = page(entry(t[0])) + "\n\nCVJun 4Code"
    cases.append(
        Case(
            "ends-at-date.txt",
            ends.encode(),
            stored=(t[0],),
            failures=((ends.count("\n") + 1, r"without a title"),),
        )
    )

    # Shuffled lines: whatever is reported, nothing crashes; what it yields is checked below.
    t = titles("Shuffled", 6)
    lines = page(*(entry(x) for x in t)).split("\n")
    random.Random(8).shuffle(lines)
    cases.append(
        Case("shuffled.txt", "\n".join(lines).encode(), failures=((0, r".+"),), refused=None)
    )
    return cases


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def stored_titles(folder: Path) -> set[str]:
    store = KGStore.open_readonly(folder)
    rows = store.query(
        sparql_prologue() + "SELECT DISTINCT ?t { ?p a schema:ScholarlyArticle ; dcterms:title ?t }"
    )
    return {row["t"].value for row in rows}


@pytest.fixture(scope="module")
def bad_ingest(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("bad-files")
    profiles = root / "profiles"
    shutil.copytree(seeds_dir, profiles / "seeds")
    cases = build_cases()
    for case in cases:
        (profiles / case.file).write_bytes(case.data)
    store = root / "store"
    result = run_cli(
        "ingest",
        str(profiles),
        "--store",
        str(store),
        "--base-iri",
        TEST_BASE_IRI,
        "--as-of",
        SEED_AS_OF.isoformat(),
        "--no-progress",
    )
    return profiles, store, cases, result


def test_the_command_goes_on_and_says_it_failed(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    _, _, _, result = bad_ingest
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr[-2000:])
    assert "ingest into" in result.stdout


def test_each_bad_file_is_named_with_line_and_reason(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    _, _, cases, result = bad_ingest
    printed: dict[str, list[tuple[int, str]]] = {}
    for line in result.stderr.splitlines():
        m = re.match(r"(.+?):(\d+): (.+)$", line)
        if m:
            printed.setdefault(Path(m.group(1)).name, []).append((int(m.group(2)), m.group(3)))
    for case in cases:
        got = printed.get(case.file, [])
        for line_no, pattern in case.failures:
            matching = [
                (n, r)
                for n, r in got
                if re.search(pattern, r, re.IGNORECASE) and (line_no in (0, n))
            ]
            assert matching, f"{case.file}: expected line {line_no} /{pattern}/, got {got}"
        if not case.failures:
            assert not got, f"{case.file} should parse cleanly, got {got}"
        for n, reason in got:
            assert n >= 1 and reason.strip(), (case.file, n, reason)
    # The good seed pages report nothing.
    for name in printed:
        assert not name[:3].isdigit(), f"seed page {name} reported failures: {printed[name]}"


def test_every_good_paper_is_stored(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    profiles, store, cases, _ = bad_ingest
    from kg.parse import parse_bytes

    expected = {t for case in cases for t in case.stored}
    titles_found = stored_titles(store)
    assert expected <= titles_found, sorted(expected - titles_found)
    # Nothing lost and nothing invented: the seeds' papers, the crafted good ones, and
    # whatever the parser itself reads from the shuffled page.
    seeds = {
        p.title
        for f in (profiles / "seeds").glob("*.txt")
        for p in parse_bytes(f.read_bytes(), f.name, as_of=SEED_AS_OF).papers
    }
    shuffled = {
        p.title
        for p in parse_bytes(
            (profiles / "shuffled.txt").read_bytes(), "shuffled.txt", as_of=SEED_AS_OF
        ).papers
    }
    assert titles_found == seeds | expected | shuffled
    stats = store_stats(KGStore.open_readonly(store))
    assert stats["papers"] == SEED_PAPERS + len(expected | shuffled)
    # One source graph per file that yielded anything; refused files leave none.
    sources = {state.source for state in KGStore.open_readonly(store).sources().values()}
    for case in cases:
        if case.refused is not None:
            assert (case.file in sources) != case.refused, case.file


def test_latin1_page_is_decoded_not_mangled(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    _, store, _, _ = bad_ingest
    names = {
        row["n"].value
        for row in KGStore.open_readonly(store).query(
            sparql_prologue() + "SELECT ?n { ?a a schema:Person ; schema:name ?n }"
        )
    }
    assert {"José Muñoz", "Zoë Brandt", "Søren Kær"} <= names


def test_impossible_date_keeps_the_paper_without_a_date(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    _, store, _, _ = bad_ingest
    rows = list(
        KGStore.open_readonly(store).query(
            sparql_prologue()
            + 'SELECT ?d { ?p dcterms:title "Impossible Study Number 1" OPTIONAL { ?p dcterms:date ?d } }'
        )
    )
    assert len(rows) == 1 and rows[0]["d"] is None


def test_unknown_categories_become_subjects(bad_ingest) -> None:  # type: ignore[no-untyped-def]
    _, store, _, _ = bad_ingest
    codes = {
        row["c"].value
        for row in KGStore.open_readonly(store).query(
            sparql_prologue() + "SELECT ?c { ?s a skos:Concept ; kg:siteCode ?c }"
        )
    }
    assert {"QX", "ZZZZ"} <= codes


def test_a_file_name_that_is_not_utf8_does_not_stop_the_ingest(tmp_path: Path) -> None:
    """Linux file names are bytes; one that is not UTF-8 must not crash the whole run."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "good.txt").write_text(page(entry("Plain Name Study")), encoding="utf-8")
    try:
        (profiles / os.fsdecode(b"caf\xe9.txt")).write_text(
            page(entry("Odd Name Study")), encoding="utf-8"
        )
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    result = run_cli(
        "ingest",
        str(profiles),
        "--store",
        str(tmp_path / "store"),
        "--base-iri",
        TEST_BASE_IRI,
        "--as-of",
        SEED_AS_OF.isoformat(),
        "--no-progress",
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, result.stderr
    assert stored_titles(tmp_path / "store") == {"Plain Name Study", "Odd Name Study"}

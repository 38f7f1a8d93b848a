"""`kg generate`: synthetic profile pages with truth, deterministic, in the site's format.

The parser must read back exactly what the truth says was written (titles, author
lists, "et al.", entry lines): the generator is the parser's fuzz and scale input
as much as the identity benchmark's.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.normalize import name_key
from kg.parse import parse_file
from kg.tools.generate import generate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("generated")
    generate(2500, root, seed=11)
    return root, json.loads((root / "truth.json").read_text(encoding="utf-8"))


def files_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(300, tmp_path / "a", seed=5)
    generate(300, tmp_path / "b", seed=5)
    generate(300, tmp_path / "c", seed=6)
    a, b, c = files_bytes(tmp_path / "a"), files_bytes(tmp_path / "b"), files_bytes(tmp_path / "c")
    assert a == b
    assert a["truth.json"] != c["truth.json"]


def test_truth_counts_what_was_written(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, truth = corpus
    stats = truth["stats"]
    assert stats["papers"] == 2500
    assert stats["files"] == len(truth["files"]) == len(list(root.rglob("*.txt")))
    assert stats["listings"] == sum(len(f["entries"]) for f in truth["files"])
    papers = {e[1] for f in truth["files"] for e in f["entries"]}
    assert len(papers) == 2500


def test_the_parser_reads_back_the_truth(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, truth = corpus
    as_of = date.fromisoformat(truth["as_of"])
    checked = 0
    for f in truth["files"][::3]:  # a sample, every third file
        profile = parse_file(root / f["file"], as_of=as_of)
        assert profile.failures == (), (f["file"], profile.failures[:2])
        got = {p.line: (p.title, p.authors, p.authors_truncated) for p in profile.papers}
        want = {
            line: (title, tuple(n for n, _ in names), cut)
            for line, _pid, title, names, cut in f["entries"]
        }
        assert got == want, f["file"]
        checked += len(want)
    assert checked > 300


def test_variations_in_realistic_proportions(corpus: tuple[Path, dict[str, Any]]) -> None:
    """PROFILE_FORMAT.md's variations all occur, none dominates."""
    root, truth = corpus
    texts = [(root / f["file"]).read_text(encoding="utf-8") for f in truth["files"]]
    n = len(texts)
    date_line = re.compile(
        r"^[A-Z]{2,4}(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}", re.M
    )
    headerless = sum(1 for t in texts if date_line.match(t))
    nameless = sum(1 for t in texts if t.startswith("h-index"))
    bodies = [t.split(" Papers\n\n", 1)[-1] for t in texts]  # the entries, after any header
    layout_b = sum(1 for body in bodies if "\n\n" not in body.rstrip("\n"))
    lines = [line for t in texts for line in t.split("\n")]
    dates = [line for line in lines if date_line.match(line)]
    yearless = sum(1 for d in dates if not re.search(r", \d{4}", d))
    code = sum(1 for d in dates if d.endswith("Code"))
    assert 0.05 < headerless / n < 0.3
    assert 0.05 < nameless / n < 0.3
    assert 0.05 < layout_b / n < 0.35  # title and authors glued, no blank lines
    assert 0.02 < yearless / len(dates) < 0.4  # the copy year is shown without a year
    assert 0.1 < code / len(dates) < 0.35
    assert any(" · " in line for line in lines)  # affiliation tags
    assert any("$" in line for line in lines) and any("\\%" in line for line in lines)
    assert any("github.com" in line for line in lines)
    assert any(not t.endswith("\n") for t in texts) and any(t.endswith("\n") for t in texts)


def test_identity_cases_are_in_the_truth(corpus: tuple[Path, dict[str, Any]]) -> None:
    _root, truth = corpus
    persons = truth["persons"]
    written = Counter()
    for f in truth["files"]:
        for _line, _pid, _title, names, _cut in f["entries"]:
            for name, person in names:
                if name_key(name) != name_key(persons[str(person)]):
                    written["variant"] += 1
                    if re.match(r"^[A-Z]\. ", name):
                        written["initials"] += 1
                written["mention"] += 1
    listed = Counter(e[1] for f in truth["files"] for e in f["entries"])
    assert 0.02 < written["variant"] / written["mention"] < 0.15
    assert written["initials"] > 0
    assert (
        sum(1 for k in listed.values() if k > 1) / len(listed) > 0.1
    )  # papers on several profiles
    assert truth["siblings"] and truth["homonyms"]


def test_kg_generate_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", "--papers", "60", "--out", str(tmp_path / "g"), "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "60 papers" in result.output
    truth = json.loads((tmp_path / "g" / "truth.json").read_text(encoding="utf-8"))
    assert truth["format"] == "kg-generate-truth/1" and truth["seed"] == 2
    assert (
        CliRunner()
        .invoke(main, ["generate", "--papers", "0", "--out", str(tmp_path / "h")])
        .exit_code
        == 2
    )


def _abstracts(root: Path, truth: dict[str, Any]) -> list[str]:
    """Every distinct abstract of the corpus, read back by the parser."""
    as_of = date.fromisoformat(truth["as_of"])
    found: dict[str, None] = {}
    for f in truth["files"]:
        for paper in parse_file(root / f["file"], as_of=as_of).papers:
            if paper.abstract:
                found[paper.abstract] = None
    return list(found)


def test_abstracts_are_as_long_as_real_ones(corpus: tuple[Path, dict[str, Any]]) -> None:
    """The seeds' abstracts: 624 to 1,912 characters, mean 1,346, median about 1,300."""
    lengths = sorted(len(a) for a in _abstracts(*corpus))
    n = len(lengths)
    assert n > 2000
    assert 1100 < sum(lengths) / n < 1600
    assert lengths[n // 10] > 850 and lengths[9 * n // 10] < 1950
    assert lengths[0] >= 400


def test_abstracts_are_distinctive(corpus: tuple[Path, dict[str, Any]]) -> None:
    """Like real abstracts, each names things few others do (a method, data, a coined term)
    and the corpus's vocabulary is large, with word frequencies falling off like Zipf's."""
    abstracts = _abstracts(*corpus)
    words = [set(re.findall(r"[a-z][a-z-]{3,}", a.lower())) for a in abstracts]
    frequency = Counter(w for ws in words for w in ws)
    assert len(frequency) > 5000
    rare = sum(1 for ws in words if sum(1 for w in ws if frequency[w] <= 3) >= 2)
    assert rare / len(abstracts) > 0.9
    # Zipf-like: a few words are in most abstracts, most words in very few.
    by_rank = [count for _word, count in frequency.most_common()]
    assert by_rank[0] > 0.5 * len(abstracts) and by_rank[len(by_rank) // 2] <= 3
    # No two share a long run of sentences, as template-made abstracts did.
    openings = Counter(" ".join(a.split()[:25]) for a in abstracts)
    assert openings.most_common(1)[0][1] == 1


def test_abstracts_have_their_own_random_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an abstract says does not shift the people, titles and pages drawn after it."""
    import kg.tools.generate as package

    generate(200, tmp_path / "a", seed=4)
    original = package.abstract
    monkeypatch.setattr(package, "abstract", lambda *args: original(*args)[:100])
    generate(200, tmp_path / "b", seed=4)
    a, b = (json.loads((tmp_path / d / "truth.json").read_text("utf-8")) for d in ("a", "b"))
    assert a["stats"].pop("bytes") > b["stats"].pop("bytes")
    assert a == b


def test_abstracts_carry_markup_as_often_as_the_seeds(
    corpus: tuple[Path, dict[str, Any]],
) -> None:
    """26 of the seeds' 104 abstracts have LaTeX or Markdown ($, \\%, \\textbf, **...**)."""
    abstracts = _abstracts(*corpus)
    marked = sum(1 for a in abstracts if "$" in a or "\\" in a.replace("\\href", "") or "**" in a)
    assert 0.15 < marked / len(abstracts) < 0.35


def test_pages_reprinted_on_a_later_date_read_the_same(tmp_path: Path) -> None:
    """A page as the site shows it on a later date (bench/history.py's crawls): the same
    bytes within the copy year; after the new year, last year's yearless dates get their
    year, and the parser reads the same dates from it as from the first copy."""
    from kg.tools.generate.layout import reprint_dates

    first, same_year, next_year = date(2026, 11, 21), date(2026, 12, 21), date(2027, 1, 21)
    generate(400, tmp_path, seed=3, as_of=first)
    pages = sorted(tmp_path.rglob("*.txt"))
    moved = 0
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert reprint_dates(text, first, same_year) == text
        later = reprint_dates(text, first, next_year)
        moved += later != text
        copy = tmp_path / "later.txt"
        copy.write_text(later, encoding="utf-8")
        before = [e.date for e in parse_file(path, as_of=first).papers]
        after = parse_file(copy, as_of=next_year).papers
        assert [e.date for e in after] == before, path.name
        assert not any(e.year_inferred for e in after)
    assert moved > len(pages) // 2  # the copy year is the busiest

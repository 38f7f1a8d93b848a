"""Citation writers on every paper of the seeds, read back by the libraries that read them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import bibtexparser
import feedparser
import pytest
import rispy

from kg.citations import bibtex, csl, ris
from kg.citations.feeds import FEED_ENTRIES, atom_feed
from kg.citations.works import Author, Work, load_works
from kg.store.embedded import KGStore
from kg.store.query import LocalBackend


@pytest.fixture(scope="module")
def works(seed_store: Path) -> list[Work]:
    store = KGStore.open_readonly(seed_store)
    try:
        return load_works(LocalBackend(store))
    finally:
        store.close()


def _untex(value: str) -> str:
    """Undo our LaTeX escaping and case protection (enough to compare with the source text)."""
    value = re.sub(
        r"\\text(backslash|asciitilde|asciicircum)\{\}",
        lambda m: {"backslash": "\\", "asciitilde": "~", "asciicircum": "^"}[m.group(1)],
        value,
    )
    value = re.sub(r"\\([{}&%#_$])", r"\1", value)
    return re.sub(r"(?<!\\)[{}]", "", value)


def test_seeds_give_every_paper(works: list[Work]) -> None:
    assert len(works) == 104
    assert all(w.title and w.authors and w.issued for w in works)


def test_bibtex_parses_back_to_the_same_fields(works: list[Work]) -> None:
    text = bibtex.bibliography(works)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert len(library.entries) == len(works)
    keys = [e.key for e in library.entries]
    assert len(set(keys)) == len(keys)
    for work, parsed in zip(works, library.entries, strict=True):
        fields = {f.key: f.value for f in parsed.fields}
        assert _untex(fields["title"]) == _untex(work.title.replace("{", "").replace("}", ""))
        names = fields["author"].split(" and ")
        assert names[: len(work.authors)] == [
            f"{a.family_given[0]}, {a.family_given[1]}" for a in work.authors
        ]
        assert (names[-1] == "others") == work.truncated
        assert fields["year"] == str(work.issued.year)  # type: ignore[union-attr]
        assert fields["url"] == work.url


def test_bibtex_key_readable_and_unique() -> None:
    arcl = Work(
        "x:1",
        "ArCL: Enhancing Contrastive Learning",
        (Author("Xuyang Zhao"),),
        issued=date(2023, 3, 2),
    )
    assert bibtex.unique_keys([arcl, arcl, arcl]) == [
        "zhao2023arcl",
        "zhao2023arclb",
        "zhao2023arclc",
    ]
    no_author = Work("x:2", "On the Theory of Things", ())
    assert bibtex.base_key(no_author) == "anontheory"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("95% & 5#_x", r"95\% \& 5\#\_x", id="specials"),
        pytest.param("loss $O(n^{2})$ bound", "loss $O(n^{2})$ bound", id="maths-kept"),
        pytest.param("a $ sign", r"a \$ sign", id="lone-dollar"),
        pytest.param(r"back\slash {x}", r"back\textbackslash{}slash \{x\}", id="braces"),
    ],
)
def test_latex_escape(text: str, expected: str) -> None:
    assert bibtex.latex_escape(text) == expected


def test_bibtex_of_hostile_text_parses() -> None:
    hostile = Work(
        "x:3",
        "A } title { with $unbalanced and 100% @misc{",
        (Author("Zoë O'Brien-Smith"),),
        truncated=True,
        abstract="See https://example.org/acc=95% here } and $x_{i}$.",
    )
    library = bibtexparser.parse_string(bibtex.bibliography([hostile]))
    assert not library.failed_blocks and len(library.entries) == 1
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert "$x_{i}$" in fields["abstract"]
    assert fields["author"] == "O'Brien-Smith, Zoë and others"


def test_ris_reads_back(works: list[Work]) -> None:
    entries = rispy.loads(ris.records(works))
    assert len(entries) == len(works)
    for work, entry in zip(works, entries, strict=True):
        assert entry["title"] == " ".join(work.title.split())
        assert entry["authors"] == [", ".join(a.family_given) for a in work.authors]
        assert entry["year"] == str(work.issued.year)  # type: ignore[union-attr]
        assert work.url in entry["urls"]


@pytest.mark.parametrize("style", sorted(csl.STYLES))
def test_every_item_renders_in_every_style(works: list[Work], style: str) -> None:
    items = csl.csl_items(works)
    references = csl.format_references(items, style)
    assert len(references) == len(works)
    folded = [ref.casefold() for ref in references]
    for work in works:
        # Styles may title-case a title (Chicago does): compare case-folded.
        head = work.title.split(":")[0].casefold()
        assert any(head in ref and str(work.issued.year) in ref for ref in folded)  # type: ignore[union-attr]


def test_unknown_style_is_a_clear_error(works: list[Work]) -> None:
    with pytest.raises(csl.UnknownStyle, match="apa"):
        csl.format_references(csl.csl_items(works[:1]), "no-such-style")


def test_csl_item_fields(works: list[Work]) -> None:
    arcl = next(w for w in works if w.title.startswith("ArCL"))
    item = csl.csl_item(arcl, "k")
    assert item["author"][0] == {"family": "Zhao", "given": "Xuyang"}
    assert item["issued"] == {"date-parts": [[2023, 3, 2]]}
    assert item["type"] == "article" and item["publisher"] == "arXiv"


def test_atom_feed_is_valid_and_newest_first(works: list[Work]) -> None:
    document = atom_feed(
        works,
        feed_id="http://kg.test/",
        title="Latest papers",
        self_url="http://kg.test/feed.atom",
        page_url="http://kg.test/",
    )
    feed = feedparser.parse(document)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == min(FEED_ENTRIES, len(works))
    dates = [entry.published_parsed for entry in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.entries[0].link.startswith("http://kg.test/paper/")
    # Same input, same bytes: harvesters can rely on ETags.
    assert document == atom_feed(
        works,
        feed_id="http://kg.test/",
        title="Latest papers",
        self_url="http://kg.test/feed.atom",
        page_url="http://kg.test/",
    )

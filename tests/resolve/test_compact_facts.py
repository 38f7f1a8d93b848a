"""The facts an author round holds per name key are held compactly and answer as the per-key
sets and maps they replaced did (issue 17: at 1M papers the round held 843 MiB, about 720 of
them in these facts, and set the ingest's memory peak): an author's names come from the
aliases, not from a map of every key; whether an owner's profile lists a key from the owner's
sources, not from a set of owners per key; the co-authors by word share one string per word."""

from __future__ import annotations

from datetime import date

from kg.identity.authors import Facts
from kg.identity.corpus import Corpus, build_corpus, canonical_authors
from kg.identity.resolve import Listing, Resolution, SourceSummary

DAY = date(2021, 5, 1)


def _source(name: str, owner: str | None, *lists: tuple[str, ...]) -> SourceSummary:
    listings = tuple(
        Listing(name, i + 1, f"{name} paper {i}", DAY, names, False)
        for i, names in enumerate(lists)
    )
    return SourceSummary(name, owner, False, listings)


def _corpus() -> Corpus:
    corpus = build_corpus(
        [
            _source(
                "a.txt",
                "Ann Lee",
                ("Ann Lee", "Bo Chen", "J. Smith"),
                ("Ann Lee", "John Smith", "Kim Park"),
                ("Ann Lee", "Jon Smith"),
            ),
            _source("b.txt", "Bo Chen", ("Bo Chen", "John Smith", "Mary Jones")),
            _source("c.txt", None, ("Kim Park", "Jon Smith", "Jonathan Smith", "M. Jones")),
        ]
    )
    corpus.paper_of_listing = list(corpus.title_keys)
    return corpus


def _facts(corpus: Corpus, alias: dict[str, str]) -> Facts:
    res = Resolution(author_alias=alias)
    return Facts(corpus, canonical_authors(corpus, res), res.author_alias)


def test_an_authors_names_are_the_keys_whose_canonical_key_it_is() -> None:
    corpus = _corpus()
    alias = {"jon smith": "john smith", "jonathan smith": "john smith", "bo chen": "bo chen"}
    facts = _facts(corpus, alias)
    for entity in [*corpus.keys, "nobody at all"]:
        expected = [k for k, key in enumerate(corpus.keys) if alias.get(key, key) == entity]
        assert facts.members(entity) == expected, entity
    smiths = facts.members("john smith")
    assert [corpus.keys[k] for k in smiths] == ["john smith", "jon smith", "jonathan smith"]
    assert facts.members("jon smith") == []  # an alias is no author of its own
    # Aliases one step deep only (as the map of every key read them), names not in the data.
    odd = {
        "jon smith": "john smith",
        "john smith": "j smith",
        "ghost": "ann lee",
        "kim park": "ghost",
    }
    facts = _facts(corpus, odd)
    for entity in [*corpus.keys, "ghost", "nobody at all"]:
        expected = [k for k, key in enumerate(corpus.keys) if odd.get(key, key) == entity]
        assert facts.members(entity) == expected, entity


def test_co_authors_of_an_authors_names_in_a_group() -> None:
    corpus = _corpus()
    facts = _facts(corpus, {"jon smith": "john smith"})
    group = {"ann lee", "kim park", "mary jones", "m jones"}
    # John Smith's own lists (Ann Lee, Kim Park; Bo Chen, Mary Jones) and Jon Smith's
    # (Ann Lee; Kim Park, Jonathan Smith, M. Jones).
    assert facts.neighbours_in("john smith", group) == group
    assert facts.neighbours_in("jonathan smith", group) == {"kim park", "m jones"}
    assert facts.neighbours_in("jon smith", group) == set()


def test_whether_an_owners_profile_lists_a_key() -> None:
    corpus = _corpus()
    facts = _facts(corpus, {})
    for k in range(len(corpus.keys)):
        owners = {corpus.owner[src] for src in facts(k).sources}
        for owner in (*range(len(corpus.keys)), -1):
            assert facts.listed_by(k, owner) == (owner in owners and owner >= 0)
    ann, bo = corpus.key_index["ann lee"], corpus.key_index["bo chen"]
    assert facts.listed_by(corpus.key_index["jon smith"], ann)
    assert not facts.listed_by(corpus.key_index["mary jones"], ann)
    assert facts.listed_by(corpus.key_index["mary jones"], bo)


def test_co_authors_by_word_share_one_string_per_word() -> None:
    corpus = _corpus()
    facts = _facts(corpus, {})
    ann, kim = (
        facts.by_word(corpus.key_index["ann lee"]),
        facts.by_word(corpus.key_index["kim park"]),
    )
    assert sorted(ann["smith"]) == ["j smith", "john smith", "jon smith"]
    assert sorted(kim["smith"]) == ["john smith", "jon smith", "jonathan smith"]
    assert all(isinstance(names, tuple) for names in (*ann.values(), *kim.values()))
    word_in_ann = next(w for w in ann if w == "smith")
    word_in_kim = next(w for w in kim if w == "smith")
    assert word_in_ann is word_in_kim

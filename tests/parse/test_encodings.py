"""Byte-level and whitespace variants of one fictional page give the same records."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.model import Profile
from kg.parse import parse_bytes, parse_file, parse_text
from tests.parse.conftest import AS_OF, FIXTURES, read_fixture

NAME = "synthetic_layout_a.txt"


@pytest.fixture(scope="module")
def original() -> bytes:
    return read_fixture(NAME)


@pytest.fixture(scope="module")
def reference(original: bytes) -> Profile:
    return parse_bytes(original, NAME, as_of=AS_OF)


def test_reference_is_clean(reference: Profile) -> None:
    assert len(reference.papers) == 6
    assert [(f.line, f.reason.split(" ")[0]) for f in reference.failures] == [(19, "impossible")]


VARIANTS: list[object] = [
    pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
    pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="utf8-bom"),
    pytest.param(
        lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n") + b"\r\n",
        id="bom-crlf-trailing-newline",
    ),
    pytest.param(lambda b: b + b"\n", id="trailing-newline"),
    pytest.param(lambda b: b + b"\n\n\n", id="extra-trailing-newlines"),
    pytest.param(lambda b: b.replace(b"\n", b"\r"), id="cr-only"),
    pytest.param(lambda b: b.decode("utf-8").encode("utf-16"), id="utf16-with-bom"),
    pytest.param(lambda b: b.decode("utf-8").encode("latin-1"), id="latin-1"),
    pytest.param(lambda b: b.decode("utf-8").encode("cp1252"), id="cp1252"),
]


@pytest.mark.parametrize("transform", VARIANTS)
def test_byte_variants_parse_identically(
    original: bytes, reference: Profile, transform: Callable[[bytes], bytes]
) -> None:
    data = transform(original)
    profile = parse_bytes(data, NAME, as_of=AS_OF)
    assert profile.sha256 == hashlib.sha256(data).hexdigest()
    assert profile.papers == reference.papers
    assert profile.failures == reference.failures  # a Latin-1 page is kept, with nothing fatal
    assert (profile.owner, profile.metrics, profile.category, profile.declared_count) == (
        reference.owner,
        reference.metrics,
        reference.category,
        reference.declared_count,
    )


def test_decomposed_diacritics(original: bytes, reference: Profile) -> None:
    nfd = unicodedata.normalize("NFD", original.decode("utf-8"))
    assert "Rene\u0301e" in nfd
    profile = parse_text(nfd, NAME, as_of=AS_OF)
    # Names and titles are NFC (one spelling of "Renée"); abstracts are kept verbatim.
    assert [p.authors for p in profile.papers] == [p.authors for p in reference.papers]
    assert [p.title for p in profile.papers] == [p.title for p in reference.papers]
    assert profile.owner.name == "Renée Ramírez-Núñez"


def test_odd_whitespace(original: bytes, reference: Profile) -> None:
    text = original.decode("utf-8")
    for old, new in [
        ("h-index 7", "h-index\t7"),
        ("CVMar 3, 2025", "CVMar\u00a03,  2025  "),
        ("Solo Work on Sparse Kernels", "  Solo\tWork on  Sparse Kernels\u00a0"),
        ("Renée Ramírez-Núñez, Mateo Quispe", "Renée  Ramírez-Núñez ,Mateo\tQuispe "),
        ("Five Authors Are", "Five Authors\u200b Are"),
        ("McAllister · uvigo", "McAllister\u00b7uvigo"),
    ]:
        assert old in text
        text = text.replace(old, new)
    profile = parse_text(text, NAME, as_of=AS_OF)

    def view(p: Profile) -> list[tuple[object, ...]]:
        return [(e.line, e.title, e.authors, e.affiliations, e.date, e.date_text) for e in p.papers]

    assert view(profile) == view(reference)
    assert profile.metrics == reference.metrics


def test_parse_text_bytes_and_file_agree(
    original: bytes, reference: Profile, tmp_path: Path
) -> None:
    from_text = parse_text(original.decode("utf-8"), NAME, as_of=AS_OF)
    assert from_text.papers == reference.papers and from_text.sha256 == ""
    from_file = parse_file(FIXTURES / NAME, as_of=AS_OF)
    assert from_file == reference  # source defaults to the file name
    renamed = parse_file(str(FIXTURES / NAME), as_of=AS_OF, source="profiles/a.txt")
    assert renamed.source == "profiles/a.txt" and renamed.papers[0].source == "profiles/a.txt"

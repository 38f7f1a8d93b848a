"""Every IRI the mapping mints or copies is one Oxigraph accepts (issue 15 item 2).

Property tests: whatever text a page holds, the IRI functions give IRIs that
pyoxigraph parses as they would reach the bulk loader (inside N-Triples).
"""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.rdf.iri import IriScheme, escape_url
from kg.rdf.map import safe_iri
from tests.conftest import TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
#: Text with everything that made IRIs invalid before, mixed into arbitrary Unicode
#: (surrogates included: an undecodable byte of a file name reaches Python as one).
AWKWARD = st.sampled_from(
    [
        *("%", "%z", "%zz", "%4", "%41", "[", "]", "#", "?", "@", ":", "/", " ", "\ufffd"),
        *("\ufffe", "\uffff", "\U0001fffe", "\ue000", "\U000e0001", "<", ">", '"', "\\"),
        *("^", "`", "{", "|"),
    ]
)
TEXT = st.lists(
    st.one_of(AWKWARD, st.text(alphabet=st.characters(blacklist_categories=())), st.text()),
    max_size=12,
).map("".join)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_valid(iri: str) -> None:
    ox.NamedNode(iri)  # raises ValueError for an invalid IRI
    line = f"<{iri}> <http://e/p> <{iri}> .\n".encode()
    assert len(list(ox.parse(io.BytesIO(line), ox.RdfFormat.N_TRIPLES))) == 1


@SETTINGS
@given(rest=TEXT, https=st.booleans())
@example(rest="example.org/acc=95%", https=True)
@example(rest="example.org/a%zz[b]#c#d\ufffd\ufffe", https=False)
@example(rest="[::1]:8080/x", https=False)
@example(rest="[::1%25eth0]/x", https=False)
@example(rest="[v1.abc]/x", https=False)
@example(rest="host:port/x", https=False)
@example(rest="a@b@c:99?x=[1]#y", https=False)
@example(rest="", https=True)
def test_urls_copied_from_pages_become_valid_iris(rest: str, https: bool) -> None:
    url = ("https://" if https else "http://") + rest
    iri = escape_url(url)
    assert iri is not None
    assert_valid(iri)
    assert safe_iri(url) == f"<{iri}>"


@SETTINGS
@given(rest=TEXT)
def test_a_valid_iri_is_kept_as_it_is(rest: str) -> None:
    iri = escape_url("http://" + rest)
    assert iri is not None
    assert escape_url(iri) == iri  # escaping twice changes nothing: %XX are kept


@pytest.mark.parametrize("url", ["ftp://x/", "mailto:a@b", "HTTP//x", "", "javascript:x"])
def test_anything_but_http_urls_is_dropped(url: str) -> None:
    assert safe_iri(url) is None


@SETTINGS
@given(text=st.text(), key=st.text())
def test_minted_iris_are_valid(text: str, key: str) -> None:
    for iri in (
        SCHEME.author(text),
        SCHEME.author_from_key(key),
        SCHEME.paper(text),
        SCHEME.paper_from_key(key),
        SCHEME.repository(text, key, text + key),
        SCHEME.venue(text),
        SCHEME.subject(text),
        SCHEME.organization(text),
        SCHEME.profile(text),
        SCHEME.graph(text),
        SCHEME.graph(text) + "#parse",
        SCHEME.decision(key),
        SCHEME.parser_agent(text),
    ):
        assert_valid(iri)


@pytest.mark.parametrize("base", ["http://x/%zz/", "http://x/a%/", "http://x/\ufffe/"])
def test_a_base_that_is_no_valid_iri_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="base IRI"):
        IriScheme(base)

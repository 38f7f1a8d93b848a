"""The SPARQL tokeniser (kg.sparql.text): the old grammar's tokens, in linear time.

Its text comes from anonymous clients and is scanned in the HTTP thread, where
no query timeout applies, so every family of hostile text below must take time
linear in its length (issue 15: a regular expression took 23 s on 64 KB of
``'\\`` pairs). Linearity is checked by comparing the time of n and 8n
characters (a quadratic scan takes 64 times as long, a linear one 8), the best
of a few runs each, never against an absolute figure; in the thread's CPU time, which
another process on a loaded machine does not stretch as it stretches wall time (the
wall-clock version failed now and then in CI rehearsals beside other jobs).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.sparql.text import lex, scan, tokens

#: The grammar the tokeniser keeps to, as the regular expression it replaced (quadratic on
#: hostile text, so used here on short texts only, as the reference).
REFERENCE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-\u00C0-\uFFFF%\\:.]*[\w\-\u00C0-\uFFFF%:])?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: Pieces that exercise every branch: quotes, escapes, line breaks, IRIs, names, comments.
PIECES = [
    *"'\"\\\n\r <>{}?$:.-_#aZ9%é·\t|^`",
    "'''",
    '"""',
    "ex:",
    "SELECT",
    "\U0001d400",
    "\u2028",
    "\u3000",
]


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_the_tokens_are_the_reference_grammar_s(text: str) -> None:
    expected = [(m.lastgroup, m.group(), m.start(), m.end()) for m in REFERENCE.finditer(text)]
    assert [tuple(t) for t in lex(text)] == expected


def test_tokens_carry_their_positions() -> None:
    text = "PREFIX ex: <http://e/> # c\nSELECT ?x { ?x ex:p 'it''s' . }"
    toks = tokens(text)
    assert [t.kind for t in toks] == [
        *("word", "pname", "iri", "word", "var", "other", "var", "pname", "string"),
        *("string", "other", "other"),
    ]
    assert all(text[t.start : t.end] == t.text for t in toks)


#: Hostile families, each a function of n giving about n characters.
FAMILIES: dict[str, Callable[[int], str]] = {
    "issue-15-quote-backslash": lambda n: "SELECT * { ?s ?p " + "'\\" * (n // 2) + " }",
    "double-quote-backslash": lambda n: '"\\' * (n // 2),
    "unterminated-short-strings": lambda n: ("'" + "a" * 50 + "\n") * (n // 52),
    "unterminated-long-string": lambda n: "'''" + "\\'" * (n // 2),
    "triple-double-quote-runs": lambda n: '"""\\' * (n // 4),
    "quote-runs": lambda n: "'" * n,
    "nested-comments-and-quotes": lambda n: "'#\"#<\\'\"" * (n // 8),
    "long-unclosed-iri": lambda n: "<" + "a" * n,
    "many-unclosed-iris": lambda n: "<a" * (n // 2),
    "prefix-without-colon": lambda n: "a." * (n // 2),
    "prefix-with-dashes": lambda n: "a-b·" * (n // 4),
    "local-part-dots": lambda n: ("ex:a" + "." * 100) * (n // 104),
    "local-part-backslashes": lambda n: ":" + "\\" * n,
    "lone-variables": lambda n: "?" * n,
}


def _best_time(text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        list(lex(text))
        best = min(best, time.thread_time() - started)
    return best


@pytest.mark.parametrize("family", [pytest.param(f, id=f) for f in FAMILIES])
def test_hostile_text_takes_linear_time(family: str) -> None:
    make = FAMILIES[family]
    # Eight times the text: linear work takes about 8x, quadratic 64x. The bound sits at 24x,
    # three times linear, so that a loaded machine (CI, other suites) does not fail it.
    small, large = make(8 * 1024), make(64 * 1024)
    assert "".join(t.text for t in lex(large)) == large  # every character in one token
    assert _best_time(large) < 24 * _best_time(small) + 0.05


def test_the_issue_s_text_at_256_kb_scans_like_any_text() -> None:
    """The issue's 256 KB body against ordinary query text of the same size."""
    hostile = FAMILIES["issue-15-quote-backslash"](256 * 1024)
    ordinary = ("SELECT ?s WHERE { ?s <http://e/p> 'a' . }\n" * 7000)[: len(hostile)]
    assert scan(hostile).form == "SELECT"
    assert _best_time(hostile) < 12 * _best_time(ordinary) + 0.05

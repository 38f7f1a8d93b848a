"""Issue 15 item 4: pages of glued lines parse in linear time.

Two families made the known-author fallback of layout B quadratic:

* *many names, unsplittable lines*: every layout-A entry adds known authors, and
  every glued line that no split point fits rebuilt the table of known names;
* *one first name*: many known authors share a first name, and the glued lines
  have many split candidates at it, each compared with every such name.

Each family is a function of n giving a page of about n characters; the test
compares the best of three parse times at n and 4n (linear: about 4x; quadratic:
about 16x), with no absolute threshold.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from kg.parse import parse_text
from tests.parse.conftest import AS_OF


def _surname(k: int) -> str:
    """A distinct capitalised surname per k: Qb, Qc, ..., Qab, ..."""
    tail = ""
    k += 1
    while k:
        k, r = divmod(k, 26)
        tail += chr(ord("a") + r)
    return "Q" + tail


def many_names_unsplittable(n: int) -> str:
    parts: list[str] = []
    size = k = 0
    while size < n:
        parts.append(
            f"LGJan 1, 2020\nA Title\n\nAda {_surname(k)}, Bo {_surname(k)}\n\nabstract\n\n"
        )
        parts.append("LGJan 2, 2020\nuntitled glued line with no capital\nabstract\n\n")
        size += len(parts[-1]) + len(parts[-2])
        k += 1
    return "".join(parts)


def one_first_name(n: int) -> str:
    parts: list[str] = []
    size = k = 0
    while size < n:
        parts.append(f"LGJan 1, 2020\nA Title\n\nAda {_surname(k)}, Bo Rennet\n\nabstract\n\n")
        size += len(parts[-1])
        k += 1
        if k % 2 == 0:
            parts.append("LGJan 2, 2020\n" + "xAda x" * 20 + "\nabstract\n\n")
            size += len(parts[-1])
    return "".join(parts)


FAMILIES: dict[str, Callable[[int], str]] = {
    "many-names-unsplittable": many_names_unsplittable,
    "one-first-name": one_first_name,
}


def _best_times(small: str, large: str, runs: int = 3) -> tuple[float, float]:
    """Best of ``runs`` parse times of each page, measured in turn (so that a busy machine
    slows both alike) and without the cyclic garbage collector (its pauses are noise)."""
    best = [float("inf"), float("inf")]
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for k, text in enumerate((small, large)):
                started = time.perf_counter()
                parse_text(text, "glued.txt", as_of=AS_OF)
                best[k] = min(best[k], time.perf_counter() - started)
    finally:
        gc.enable()
    return best[0], best[1]


@pytest.mark.parametrize("family", [pytest.param(f, id=f) for f in FAMILIES])
def test_glued_pages_parse_in_linear_time(family: str) -> None:
    make = FAMILIES[family]
    small, large = make(50_000), make(200_000)
    profile = parse_text(large, "glued.txt", as_of=AS_OF)
    # The page is what the family says: layout-A entries plus glued lines the parser
    # reports (not silently dropped), so the time measured is the fallback's.
    assert profile.papers and all(p.layout == "A" for p in profile.papers)
    assert any("cannot separate title and authors" in f.reason for f in profile.failures)
    small_time, large_time = _best_times(small, large)
    assert large_time < 8 * small_time + 0.05


def test_the_fallback_still_splits_before_a_known_author() -> None:
    """The index finds what the comparison with every name found (one first name, many names)."""
    known = "".join(
        f"LGJan 1, 2020\nA Title\n\nAda {_surname(k)}, Bo Rennet\n\nabstract\n\n"
        for k in range(300)
    )
    glued = f"LGJan 2, 2020\nA Study of GraphsAda {_surname(299)}, Bo Rennet (x)\nabstract"
    paper = parse_text(known + glued, "glued.txt", as_of=AS_OF).papers[-1]
    assert (paper.title, paper.authors, paper.split_method) == (
        "A Study of Graphs",
        (f"Ada {_surname(299)}", "Bo Rennet (x)"),
        "known-author",
    )

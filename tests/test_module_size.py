"""No module of the package grows past 900 lines (issue 13: a module that size holds more
than one concern; split it by concern, as kg/tools/generate/ and kg/reports/ are).

``KNOWN_LARGE`` lists the modules still over the limit, with their size when the list was
written; it may only shrink: a listed module that is no longer over the limit fails the test
until its line is deleted, and a listed module may not grow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX_LINES = 900

#: Package folders whose modules are checked.
FOLDERS = (ROOT / "kg", ROOT / "server" / "kg_server")

#: Modules over the limit today (path from the repository root: the most lines allowed).
KNOWN_LARGE: dict[str, int] = {}


def module_lines() -> dict[str, int]:
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for folder in FOLDERS
        for path in sorted(folder.rglob("*.py"))
    }


def oversized(sizes: dict[str, int], known: dict[str, int]) -> list[str]:
    """What breaks the rule: new modules over the limit, and known ones that grew."""
    found = []
    for path, lines in sorted(sizes.items()):
        if lines <= MAX_LINES:
            continue
        if path not in known:
            found.append(f"{path}: {lines} lines (limit {MAX_LINES})")
        elif lines > known[path]:
            found.append(f"{path}: {lines} lines, more than the {known[path]} it is allowed")
    return found


def test_no_module_is_over_the_limit() -> None:
    found = oversized(module_lines(), KNOWN_LARGE)
    assert not found, "split these modules by concern:\n  " + "\n  ".join(found)


def test_known_large_modules_only_shrink() -> None:
    sizes = module_lines()
    gone = sorted(path for path in KNOWN_LARGE if sizes.get(path, 0) <= MAX_LINES)
    assert not gone, (
        "these modules are within the limit now (or gone); delete them from KNOWN_LARGE in "
        f"{Path(__file__).name}:\n  " + "\n  ".join(gone)
    )


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        pytest.param({"kg/a.py": 900}, [], id="at-the-limit"),
        pytest.param({"kg/a.py": 901}, ["kg/a.py: 901 lines (limit 900)"], id="over"),
        pytest.param({"kg/big.py": 1000}, [], id="known-and-not-grown"),
        pytest.param(
            {"kg/big.py": 1001},
            ["kg/big.py: 1001 lines, more than the 1000 it is allowed"],
            id="known-and-grown",
        ),
    ],
)
def test_the_rule_itself(sizes: dict[str, int], expected: list[str]) -> None:
    assert oversized(sizes, {"kg/big.py": 1000}) == expected

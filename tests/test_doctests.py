"""The examples in docstrings run: every ``>>>`` in kg/ and server/kg_server/ is a test.

A targeted test rather than ``--doctest-modules`` in addopts, so that the suite's own
selection (``-k``, ``-m``, one folder) keeps working and each module is one named case.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import kg_server
import pytest

import kg


def _modules(package: ModuleType) -> list[str]:
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        names.append(info.name)
    return sorted(names)


MODULES = _modules(kg) + _modules(kg_server)
FINDER = doctest.DocTestFinder(exclude_empty=True)


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [test for test in FINDER.find(module, name) if test.examples]


WITH_EXAMPLES = [name for name in MODULES if _examples(name)]


def test_some_modules_have_examples() -> None:
    # Guards the walk itself: a broken discovery would otherwise pass with nothing run.
    assert len(WITH_EXAMPLES) >= 5, WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name}"

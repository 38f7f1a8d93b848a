"""kg.reports is layered: small modules, no import cycle, no import hidden in a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kg" / "reports"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("kg.reports")
        ):
            found.add(node.module)
            # "from kg.reports.engines import base" names a module too.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kg.reports"))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_module_is_small_and_imports_at_the_top(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 900
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not inner, f"{path.name}: import inside {node.name}() (line {inner[0].lineno})"


def test_no_import_cycle_inside_kg_reports() -> None:
    names = {_module_name(p): p for p in MODULES}
    graph = {
        name: {m for m in _imports(ast.parse(path.read_text(encoding="utf-8"))) if m in names}
        - {name}
        for name, path in names.items()
    }
    # The package's __init__ only documents: every submodule import runs it first.
    assert graph["kg.reports"] == set()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])

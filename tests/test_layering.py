"""The layering contract: imports only go down the pipeline, and no module imports itself back.

Layers, lowest first (STYLE.md habit 14; CONTRIBUTING.md has the map):

    base (kg, kg.errors, kg.model, kg.normalize, kg.resources, kg.formats, kg.settings)
    < kg.parse < kg.identity < kg.rdf < kg.sparql < kg.store
    < {kg.pipeline, kg.reports, kg.tools, kg.citations, kg.search} < kg_server < kg.cli

A module may import its own layer and any layer below it; the siblings of one layer
(pipeline, reports, tools, citations, search) do not import each other. Every ``import`` counts, wherever it is
written: at the top, inside a function (the usual way to hide a cycle) or under
``TYPE_CHECKING``. Imports are read with ``ast``, so nothing is executed.

``KNOWN_VIOLATIONS`` lists the exceptions still tolerated (none today). The
list may only shrink: a violation that is no longer there fails the test until it is deleted
from the list, so the list stays the truth.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

#: Package roots: the import name and the folder it is installed from.
ROOTS = {"kg": ROOT / "kg", "kg_server": ROOT / "server" / "kg_server"}

#: (layer rank, group): a module belongs to the longest prefix listed here.
LAYERS: dict[str, tuple[int, str]] = {
    "kg": (0, "base"),
    "kg.errors": (0, "base"),
    "kg.model": (0, "base"),
    "kg.normalize": (0, "base"),
    "kg.resources": (0, "base"),
    "kg.formats": (0, "base"),
    "kg.settings": (0, "base"),
    "kg._data": (0, "base"),
    "kg.parse": (1, "parse"),
    "kg.identity": (2, "identity"),
    "kg.rdf": (3, "rdf"),
    "kg.sparql": (4, "sparql"),
    "kg.store": (5, "store"),
    "kg.pipeline": (6, "pipeline"),
    "kg.reports": (6, "reports"),
    "kg.tools": (6, "tools"),
    # Services over the store that arrived after the contract was written: siblings of reports.
    "kg.citations": (6, "citations"),
    "kg.search": (6, "search"),
    "kg_server": (7, "kg_server"),
    "kg.cli": (8, "cli"),
}

#: Imports against the contract that are known and not yet removed ("upward: A -> B",
#: "sibling: A -> B", "cycle: A <-> B <-> ..."). Empty since the blueprints share the
#: application context through kg_server.context instead of importing kg_server.app; add a
#: line only with a reason, and delete it when its violation is gone (the test says which).
KNOWN_VIOLATIONS: set[str] = set()


def module_files() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for name, folder in ROOTS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [name, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def layer_of(module: str) -> tuple[int, str]:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def imported_modules(module: str, source: str, *, is_package: bool) -> Iterator[str]:
    """The project modules that ``module`` (whose text is ``source``) imports, anywhere."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _project_module(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                # `from pkg import name` imports the sub-module pkg.name when there is one.
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}"
                else:
                    yield from _project_module(base)


def _project_module(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            yield candidate
            return


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        for target in imported_modules(module, source, is_package=path.name == "__init__.py"):
            if target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def violations() -> set[str]:
    graph = import_graph()
    found: set[str] = set()
    for module, targets in graph.items():
        rank, group = layer_of(module)
        for target in targets:
            target_rank, target_group = layer_of(target)
            if target_rank > rank:
                found.add(f"upward: {module} -> {target}")
            elif target_rank == rank and target_group != group:
                found.add(f"sibling: {module} -> {target}")
    for component in cycles(graph):
        found.add("cycle: " + " <-> ".join(component))
    return found


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_the_reader_sees_imports_inside_functions_and_relative_imports() -> None:
    # Guards the reader itself: the contract is worthless if it misses the hiding places.
    source = (
        "import kg.model\n"
        "from . import errors\n"
        "from .store import embedded\n"
        "def later():\n"
        "    from kg_server import app\n"
        "    import kg.reports.precompute as p\n"
    )
    found = set(imported_modules("kg.probe", source, is_package=False))
    assert found == {
        "kg.model",
        "kg.errors",
        "kg.store.embedded",
        "kg_server.app",
        "kg.reports.precompute",
    }


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"kg.a": {"kg.b"}, "kg.b": {"kg.c"}, "kg.c": {"kg.a"}, "kg.d": {"kg.a"}}
    assert cycles(graph) == [["kg.a", "kg.b", "kg.c"]]


def test_imports_only_go_down_and_never_in_a_circle() -> None:
    found = violations()
    new = sorted(found - KNOWN_VIOLATIONS)
    assert not new, "imports against the layering contract:\n  " + "\n  ".join(new)


def test_known_violations_only_shrink() -> None:
    gone = sorted(KNOWN_VIOLATIONS - violations())
    assert not gone, (
        "these known violations no longer occur; delete them from KNOWN_VIOLATIONS in "
        "tests/test_layering.py:\n  " + "\n  ".join(gone)
    )

"""The package's layout is its pipeline, and every import points down it.

Imports are read with `ast` from every module of `lintplugin`, lazy imports
inside functions included: a lazy import that closes a cycle is still a
cycle, only one that is harder to see.
"""

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

from expectations import REPO

PACKAGE = REPO / "lintplugin"

# Lowest first. A module may import from its own layer or any layer below.
LAYERS: List[Set[str]] = [
    {"lintplugin", "lintplugin.types", "lintplugin.catalogue", "lintplugin.pages"},  # plain data
    {"lintplugin.syntax"},  # libcst helpers: walks, scopes, names, positions
    {"lintplugin.flow"},  # control-flow graph, exception classification, solver
    {"lintplugin.model"},  # socket vocabulary, the event model, ownership, facts
    {"lintplugin.checks"},  # one module per rule family
    {"lintplugin.analysis"},  # one file: gates, parse, run the families, render
    {"lintplugin.outputs"},  # consumers of reports: SARIF, baseline, fingerprints
    {"lintplugin.plugin", "lintplugin.config"},  # the flake8 adapter and its options
    {"lintplugin.cli", "lintplugin.__main__"},  # the `lintplugin` commands
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: Dict[str, Path] = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> Set[str]:
    """The package's modules that `name` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{name}: use absolute imports (line {node.lineno}), they are what this test reads"
            base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


def layer_of(name: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in layer if prefix != "lintplugin"):
            return rank
    if name == "lintplugin":
        return 0
    raise AssertionError(f"{name} is in no layer: add it to LAYERS (and to the README's picture)")


GRAPH = {name: imports_of(name) for name in MODULES}


def test_every_module_is_in_a_layer():
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    upward = {other for other in GRAPH[name] if layer_of(other) > layer_of(name)}
    assert not upward, f"{name} (layer {layer_of(name)}) imports from a layer above it: {sorted(upward)}"


def find_cycle(graph: Dict[str, Set[str]]):
    """One import cycle as a list of modules, or None."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_lazy_imports_count():
    """A lazy import inside a function is an edge like any other."""
    assert "lintplugin.analysis.parsed" in GRAPH["lintplugin.analysis.file"]
    assert "lintplugin.outputs.baseline" in GRAPH["lintplugin.plugin"]

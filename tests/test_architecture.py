"""The layout rules of docs/architecture.md, checked on the source (so a change that breaks one fails here).

Static checks over `rmstudio/` with `ast`: nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rmstudio"
MAX_LINES = 400
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b",
                 re.IGNORECASE | re.DOTALL)
# Which core packages each core package may import (data flows down; ui and cli sit on top and may import all).
LOWER = {
    "data": set(),
    "jobs": set(),  # kind-agnostic: the kinds register themselves from above
    "store": {"data"},
    "model": {"data", "jobs"},  # the run-directory file names (`jobs.rundir`)
    "scoring": {"data", "model", "jobs"},
    "training": {"data", "store", "model", "scoring", "jobs"},
    "evaluation": {"data", "store", "model", "scoring", "training", "jobs"},
    "labeling": {"data", "store", "model", "scoring", "training", "jobs"},
}
TOP_LEVEL = {"settings", "errors", "access"}  # cross-cutting modules every package may use


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def parsed(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))


def imported_modules(name: str) -> set[str]:
    """rmstudio modules `name` imports anywhere (top level or inside functions), resolved to module names."""
    targets = set()
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(parsed(name)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {target for target in targets if target in MODULES and target != name}


def package_of(name: str) -> str:
    """The core package a module belongs to ("store", "ui", ...), or its own name for top-level modules."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_package_is_folders_by_concern():
    top_modules = [p for p in PACKAGE.glob("*.py")]
    subpackages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(top_modules) <= 10, sorted(p.name for p in top_modules)
    assert len(subpackages) >= 5, sorted(p.name for p in subpackages)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_the_line_limit(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (limit {MAX_LINES}): split it by concern"


def test_only_the_ui_imports_gradio():
    offenders = []
    for name in MODULES:
        if package_of(name) == "ui":
            continue
        for node in ast.walk(parsed(name)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{name}: {n}" for n in names if n.split(".")[0] == "gradio"]
    assert not offenders


def test_only_the_store_holds_sql():
    offenders = []
    for name in MODULES:
        if package_of(name) == "store":
            continue
        for node in ast.walk(parsed(name)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and "```" not in node.value
                    and SQL.search(node.value)):  # a fenced code block is demo text, not a query
                offenders.append(f"{MODULES[name]}:{node.lineno}: {node.value[:60]!r}")
    assert not offenders


def test_nobody_uses_a_store_private_member_outside_the_store():
    offenders = []
    for name in MODULES:
        if package_of(name) == "store":
            continue
        for node in ast.walk(parsed(name)):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and "store" in ast.unparse(node.value).lower()):
                offenders.append(f"{MODULES[name]}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders


def test_there_are_no_import_cycles():
    graph = {name: imported_modules(name) for name in MODULES}
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_core_packages_import_only_lower_layers():
    offenders = []
    for name in MODULES:
        own = package_of(name)
        if own not in LOWER:
            continue
        for target in imported_modules(name):
            other = package_of(target)
            if other == own or target in {"rmstudio", *(f"rmstudio.{m}" for m in TOP_LEVEL)}:
                continue
            if other not in LOWER[own]:
                offenders.append(f"{name} imports {target}")
    assert not offenders


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the strongly connected components with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []

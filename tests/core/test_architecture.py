"""The shape of the code: one-way arrows between rooms, no import cycle, no oversized function or module.

The import graph comes from the source (``ast``), function-level and ``TYPE_CHECKING`` imports
included: a lazy import is still a dependency, it only moves the failure to run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Source folder → package (pyproject's package-dir: checks/ is linkready.checks, and so on).
PACKAGES = {"linkready": "linkready", "checks": "linkready.checks", "reports": "linkready.reports",
            "profiles": "linkready.profiles"}

#: The rooms, highest first. An import may only point to a room of a lower rank (or stay in its room):
#: cli → commands → reports → tools → engine → probes/checks → core → domain → facts/model.
#: reports sits above tools because it renders what the tools return (a diff, an estate) and
#: tools return values, never text. core (config, policy, serde, snapshot, registry, report,
#: tomlfile) sits above domain: domain must not import it, and config/policy validate with domain's rules.
RANKS = {"cli": 8, "commands": 7, "reports": 6, "tools": 5, "engine": 4, "probes": 3, "checks": 3,
         "core": 2, "domain": 1, "facts": 0}
CORE = {"config", "policy", "serde", "snapshot", "registry", "report", "tomlfile", "redact", "deadline"}

#: Imports against the arrows that other rooms are still removing (module → imported, reason).
#: The lead shrinks this list as their branches merge; an entry that no longer occurs fails the test.
ALLOWED: dict[tuple[str, str], str] = {}

#: Today's long functions/modules outside room domain's ownership, with the room that splits them.
LONG_FUNCTIONS: dict[str, str] = {}
LONG_MODULES: dict[str, str] = {}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module


def _modules() -> dict[str, Module]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


MODULES = _modules()


def room(module: str) -> str:
    parts = module.split(".")
    if parts[:1] != ["linkready"]:
        return ""
    if len(parts) == 1 or parts[1] in {"__main__", "cli"}:
        return "cli"
    head = parts[1]
    if head in CORE:
        return "core"
    if head in {"model", "facts", "data"}:
        return "facts"
    return head if head in RANKS else "profiles" if head == "profiles" else head


def _resolve(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The linkready modules ``node`` imports (``from pkg import mod`` names the module, not pkg)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.name.split(".")
            if module.path.name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([base] if base else [])])
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    targets = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("linkready"):
            targets.append(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES.values():
        edges = graph.setdefault(module.name, set())
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _resolve(module, node) if t != module.name)
    return graph


GRAPH = import_graph()


def _is_package_of(importer: str, imported: str) -> bool:
    # Importing a module runs its packages' __init__ first: "linkready.probes.sql imports linkready.probes"
    # is structure, not a dependency that can point the wrong way.
    return importer.startswith(imported + ".")


def violations() -> dict[tuple[str, str], str]:
    found = {}
    for importer, imported_set in GRAPH.items():
        for imported in imported_set:
            a, b = room(importer), room(imported)
            if a == b or _is_package_of(importer, imported) or b == "" or a == "profiles" or b == "profiles":
                continue
            if a not in RANKS or b not in RANKS:
                found[(importer, imported)] = f"{a} or {b} is in no room"
            elif RANKS[b] >= RANKS[a]:
                found[(importer, imported)] = f"{a} → {b} is against the arrows"
    return found


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), package → __init__ edges dropped."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if _is_package_of(node, nxt):
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return result


def test_the_graph_is_read() -> None:
    """Guards the two tests below against passing on an empty or mis-resolved graph."""
    assert len(MODULES) > 60
    assert "linkready.domain.seeding" in GRAPH["linkready.domain.throughput"]
    assert "linkready.domain.endpoints" in GRAPH["linkready.checks.plan"]
    assert room("linkready.checks.plan") == "checks" and room("linkready.cli") == "cli"


def test_no_import_cycle() -> None:
    assert cycles() == []


def test_imports_follow_the_arrows() -> None:
    found = violations()
    unexpected = {edge: why for edge, why in found.items() if edge not in ALLOWED}
    stale = sorted(edge for edge in ALLOWED if edge not in found)
    assert unexpected == {}
    assert stale == [], "fixed: remove these from ALLOWED"


def test_the_arrow_check_can_fail() -> None:
    assert room("linkready.domain.ports") == "domain"
    GRAPH["linkready.domain.ports"].add("linkready.checks.plan")
    try:
        assert ("linkready.domain.ports", "linkready.checks.plan") in violations()
    finally:
        GRAPH["linkready.domain.ports"].discard("linkready.checks.plan")


def _functions(module: Module) -> list[tuple[str, int]]:
    return [(f"{module.name}:{node.name}", (node.end_lineno or node.lineno) - node.lineno + 1)
            for node in ast.walk(module.tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_long_function_in_tools_and_domain() -> None:
    long = {name: lines for module in MODULES.values()
            if module.name.startswith(("linkready.tools", "linkready.domain"))
            for name, lines in _functions(module) if lines > MAX_FUNCTION_LINES}
    assert sorted(set(long) - set(LONG_FUNCTIONS)) == []
    assert sorted(set(LONG_FUNCTIONS) - set(long)) == [], "split: remove these from LONG_FUNCTIONS"


def test_no_long_module() -> None:
    long = {module.name: n for module in MODULES.values()
            if (n := len(module.path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert sorted(set(long) - set(LONG_MODULES)) == []
    assert sorted(set(LONG_MODULES) - set(long)) == [], "split: remove these from LONG_MODULES"


@pytest.mark.parametrize("module", ["linkready.domain", "linkready.facts"])
def test_the_bottom_rooms_import_no_third_party_io(module: str) -> None:
    io = ("pyodbc", "azure", "dns", "socket", "ssl", "httpx", "requests", "click")
    bad = [(m.name, n.names[0].name if isinstance(n, ast.Import) else n.module)
           for m in MODULES.values() if m.name.startswith(module)
           for n in ast.walk(m.tree) if isinstance(n, (ast.Import, ast.ImportFrom))
           and ((n.names[0].name if isinstance(n, ast.Import) else n.module or "").split(".")[0] in io)]
    assert bad == []

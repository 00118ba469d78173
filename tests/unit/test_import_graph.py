"""The shape of lcm_etl's imports: no cycle between its modules, and rich only in the CLI layer.

The graph is read from the source (every ``import`` anywhere in a module, including the lazy ones
inside functions and those under ``TYPE_CHECKING``), so a cycle cannot hide behind an import
placed late to make it work. Importing ``pkg.mod`` counts as an edge to ``pkg.mod`` only: Python
runs ``pkg/__init__.py`` first, but that is the package's own business, not a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lcm_etl

PACKAGE_DIR = Path(lcm_etl.__file__).parent
#: The command-line tools: the CLI itself and what only it runs (the benchmark, the demo source).
CLI_LAYER = ("lcm_etl.cli", "lcm_etl.bench", "lcm_etl.demo")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The lcm_etl module ``name`` refers to (a module, or the package whose attribute it is)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported name, line, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [
                (f"{node.module}.{alias.name}", node.lineno, id(node) in top_level)
                for alias in node.names
            ]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported, _, _ in _imports(path):
            target = _resolve(imported) if imported.startswith("lcm_etl") else None
            if target is not None and target != name and not name.startswith(f"{target}."):
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_sees_the_imports_it_checks() -> None:
    graph = _graph()
    assert "lcm_etl.ingest.stage" in graph["lcm_etl.pipeline"]
    assert "lcm_etl.runlog" in graph["lcm_etl.pipeline"]
    # Lazy imports inside functions count: the CLI imports the pipeline only when a command runs.
    assert "lcm_etl.pipeline" in graph["lcm_etl.cli"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_lcm_etl_has_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_rich_is_imported_by_the_cli_layer_only() -> None:
    """The pipeline, the API and the DAG tasks never load the terminal UI library (rich); a CLI
    entry point elsewhere may import it inside the function that needs it."""
    offenders = [
        f"{name}:{line}"
        for name, path in MODULES.items()
        if not name.startswith(CLI_LAYER)
        for imported, line, top_level in _imports(path)
        if imported.split(".")[0] == "rich" and top_level
    ]
    assert offenders == []

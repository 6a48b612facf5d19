"""The house rules of routing/ (issue 9), read from the source with ``ast``.

Imports point one way (no cycle among routing/ modules, counting imports inside functions
and under TYPE_CHECKING: a function-level import is no way round a cycle), no function over
120 code lines and no module over 900 lines, so a newcomer finds where a change goes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROUTING = Path(__file__).resolve().parents[2] / "routing"
MAX_FUNCTION_CODE_LINES = 120
MAX_MODULE_LINES = 900


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROUTING.rglob("*.py"):
        parts = path.relative_to(ROUTING.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every routing module that ``name`` imports, anywhere in its file."""

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            hit = resolve(target) if target.startswith("routing") else None
            # a module naming its own package (routing.solver.x -> routing.solver) is the
            # package's re-export, not a dependency of the room on itself
            if hit and hit != name and not name.startswith(hit + "."):
                found.add(hit)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    body = lines[node.lineno - 1 : node.end_lineno]
    code = [line for line in body if line.strip() and not line.strip().startswith("#")]
    docstring = ast.get_docstring(node)
    return len(code) - (len(docstring.splitlines()) if docstring else 0)


def test_no_import_cycle_among_routing_modules() -> None:
    modules = _modules()
    graph = {name: _imported(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_function_level_cycle() -> None:
    # the gauge itself: a -> b at top level and b -> a inside a function is a cycle
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_function_over_120_code_lines() -> None:
    long = []
    for path in ROUTING.rglob("*.py"):
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            is_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            if is_function and _code_lines(node, lines) > MAX_FUNCTION_CODE_LINES:
                long.append(f"{path.relative_to(ROUTING.parent)}:{node.lineno} {node.name}")
    assert long == []


def test_no_module_over_900_lines() -> None:
    big = [
        str(path.relative_to(ROUTING.parent))
        for path in ROUTING.rglob("*.py")
        if len(path.read_text().splitlines()) > MAX_MODULE_LINES
    ]
    assert big == []

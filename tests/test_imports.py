"""The import graph of toygan/ has no cycle: read from the source with ``ast`` (imports inside
functions count; those under ``if TYPE_CHECKING:`` do not, as they never run)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "toygan"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The toygan modules ``path`` imports (a name imported from a package counts as its module
    where it is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                    isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found.add(full if full in modules else source)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
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
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports(p, modules) for p in paths}


def test_no_import_cycle_anywhere_in_toygan():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_cycles():
    # a check that cannot fail proves nothing: a known cycle and a known chain
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    graph = import_graph()
    assert "toygan.methods" in graph["toygan.game"]  # it reads the real graph, edges included


def test_type_only_imports_do_not_count(tmp_path):
    modules = {"toygan.x", "toygan.y"}
    source = tmp_path / "toygan" / "x.py"
    source.parent.mkdir()
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toygan.y import Y\n"
                      "def f():\n    from toygan.y import Z\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path / "toygan"
    try:
        assert imports(source, modules) == {"toygan.y"}  # the one inside f counts
        source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toygan.y import Y\n")
        assert imports(source, modules) == set()
    finally:
        ROOT = saved


def test_no_module_over_600_lines_and_no_function_over_80():
    """The house's sizes (issue 36): a module longer than 600 lines holds more than one idea, a
    function longer than 80 more than one step; a route table or a registry literal may say in a
    comment on its first line that it is one, and is then let be."""
    import ast

    long_modules, long_functions = [], []
    for path in sorted(ROOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        if len(lines) > 600:
            long_modules.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                excepted = "route table" in lines[node.lineno - 1] or "registry" in lines[node.lineno - 1]
                if length > 80 and not excepted:
                    long_functions.append(f"{path.relative_to(ROOT)}: {node.name}, {length} lines")
    assert not long_modules and not long_functions, long_modules + long_functions

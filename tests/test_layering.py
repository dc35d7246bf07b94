"""The layer rule of docs/architecture.md, checked on every module's imports (parsed, not run): imports run
down the layers only, no modules import each other in a circle, and nothing below the GUI imports Qt.

Imports inside functions count too: a lazy import that runs up a layer is still a dependency on it."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top; a package may import its own layer's modules and anything below it. Packages not listed
# (benchmarks/, scripts/, docs/, tests/) are top-level scripts and may import anything.
LAYERS = (("motion",), ("inference",), ("sim",), ("training",), ("parity",), ("service", "bake"), ("viewer",),
          ("gui",), ("cli",), ("main",))
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
QT_MODULES = ("PySide6", "pyqtgraph", "OpenGL", "shiboken6")
QT_LAYERS = ("viewer", "gui")  # the only packages that may import Qt (cli may, through gui, for screenshots)


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the layered packages."""
    modules = {}
    for package in RANK:
        paths = [ROOT / "main.py"] if package == "main" else sorted((ROOT / package).rglob("*.py"))
        for path in paths:
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(project modules imported by `name`, third-party top-level packages imported by it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets += [base] + [f"{base}.{a.name}" for a in node.names]
    project, external = set(), set()
    for target in targets:
        module = target
        while module and module not in modules:
            module = module.rpartition(".")[0]
        if module:
            if module != name:
                project.add(module)
        elif target.split(".")[0] not in RANK:
            external.add(target.split(".")[0])
    return project, external


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = project_modules()
    graph, external = {}, {}
    for name, path in modules.items():
        graph[name], external[name] = imports_of(name, path, modules)
    return graph, external


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                  if RANK[b.split(".")[0]] > RANK[a.split(".")[0]])


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
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
    return found


def test_imports_run_down_the_layers_only():
    graph, _ = import_graph()
    assert back_arrows(graph) == []


def test_no_import_circles():
    graph, _ = import_graph()
    assert circles(graph) == []


def test_nothing_below_the_gui_imports_qt():
    _, external = import_graph()
    offenders = sorted(f"{name} imports {', '.join(sorted(set(ext) & set(QT_MODULES)))}"
                       for name, ext in external.items()
                       if set(ext) & set(QT_MODULES) and RANK[name.split(".")[0]] < RANK["viewer"])
    assert offenders == []


def test_the_checker_sees_a_back_arrow_and_a_circle():
    """The checks above would catch a violation: an edge up a layer and a two-module circle."""
    graph = defaultdict(set, {"motion.a": {"inference.b"}, "inference.b": {"motion.a"}})
    assert back_arrows(graph) == ["motion.a -> inference.b"]
    assert circles(graph) == [["inference.b", "motion.a"]]
    real, _ = import_graph()
    assert "inference.rsmt.transition" in real and "motion.motion" in real["inference.rsmt.transition"]

"""The ``mhsurvey`` package imports downward only: its module import graph has no cycle.

Every module of the package is parsed with :mod:`ast` (nothing is imported or executed). All
import statements count, wherever they are: module level, inside functions or classes, under
``if TYPE_CHECKING`` — a function-level import written to dodge a cycle is still a cycle.
Relative imports are resolved against the importing module's package; ``from pkg import name``
is an edge to ``pkg.name`` when that is a module of the package, else to ``pkg``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "workflow" / "mhsurvey"
PACKAGE = "mhsurvey"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """``{dotted module name: file}`` of every ``.py`` file under ``root`` (``__init__`` = the package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <'.' * level><target> import ...`` written in ``module``."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``module`` imports (any statement anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(name: str) -> None:
        # the longest prefix of ``name`` that is a module of the package
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            cand = ".".join(parts[:i])
            if cand in modules:
                found.add(cand)
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = resolve_relative(module, is_package, node.level, node.module)
            elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
                base = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else base)
    found.discard(module)
    return found


def import_graph(root: Path = PACKAGE_DIR, package: str = PACKAGE) -> dict[str, set[str]]:
    """``{module: modules it imports}`` over the whole package."""
    files = module_files(root, package)
    names = set(files)
    return {m: imports_of(m, p, names) for m, p in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [closed_path(graph, comp) for comp in comps]


def closed_path(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """One cycle through the first module of ``comp`` (breadth-first inside the component)."""
    start, members = comp[0], set(comp)
    prev: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp  # unreachable for a strongly connected component


# --------------------------------------------------------------------------- the checker itself


def write_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "mhsurvey"
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return pkg


def test_relative_imports_are_resolved():
    assert resolve_relative("mhsurvey.estimates", False, 1, "counts") == "mhsurvey.counts"
    assert resolve_relative("mhsurvey.scoring.tables", False, 2, "codebook") == "mhsurvey.codebook"
    assert resolve_relative("mhsurvey.scoring", True, 1, "rules") == "mhsurvey.scoring.rules"
    assert resolve_relative("mhsurvey.scoring.tables", False, 1, None) == "mhsurvey.scoring"


def test_a_function_level_cycle_is_found_and_named(tmp_path):
    pkg = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from .b import f\n",
            "b.py": "def f():\n    from .a import g\n    return g\n",
            "c.py": "from . import a\n",
            "sub/__init__.py": "",
            "sub/d.py": "from ..c import x\nimport mhsurvey.sub.e\n",
            "sub/e.py": "import numpy\n",
        },
    )
    graph = import_graph(pkg, "mhsurvey")
    assert graph["mhsurvey.b"] == {"mhsurvey.a"}
    assert graph["mhsurvey.c"] == {"mhsurvey.a"}
    assert graph["mhsurvey.sub.d"] == {"mhsurvey.c", "mhsurvey.sub.e"}
    assert cycles(graph) == [["mhsurvey.a", "mhsurvey.b", "mhsurvey.a"]]


def test_a_longer_cycle_through_a_subpackage(tmp_path):
    pkg = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "x.py": "from .sub.y import f\n",
            "sub/__init__.py": "",
            "sub/y.py": "from mhsurvey.sub import z\n",
            "sub/z.py": "if True:\n    import mhsurvey.x as x\n",
        },
    )
    assert cycles(import_graph(pkg, "mhsurvey")) == [
        ["mhsurvey.sub.y", "mhsurvey.sub.z", "mhsurvey.x", "mhsurvey.sub.y"]
    ]


def test_an_acyclic_package_passes(tmp_path):
    pkg = write_package(tmp_path, {"__init__.py": "", "a.py": "from . import b\n", "b.py": "x = 1\n"})
    assert cycles(import_graph(pkg, "mhsurvey")) == []


# --------------------------------------------------------------------------- the package


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "mhsurvey.estimates" in graph and "mhsurvey.subgroups" in graph
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


@pytest.mark.parametrize("module", ["inference", "suppression", "estimate_settings", "margins"])
def test_stage04_leaves_import_no_other_stage04_module(module):
    stage04 = {
        f"mhsurvey.{m}"
        for m in (
            "estimates",
            "subgroups",
            "reference",
            "outcomes",
            "counts",
            "inference",
            "suppression",
            "estimate_settings",
            "margins",
        )
    }
    deps = import_graph()[f"mhsurvey.{module}"]
    assert not (deps & stage04) - {"mhsurvey.margins"}, deps


def test_estimates_is_above_subgroups_and_reference():
    graph = import_graph()
    assert {"mhsurvey.subgroups", "mhsurvey.reference"} <= graph["mhsurvey.estimates"]
    assert "mhsurvey.estimates" not in graph["mhsurvey.subgroups"]
    assert "mhsurvey.estimates" not in graph["mhsurvey.reference"]

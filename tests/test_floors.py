"""The floor plan of the source (see ARCHITECTURE.md), checked on the code's own imports.

- Each floor imports at module level only from the floors below it.
- The only import circle runs through ``graphgrad/__init__.py``, the attachment point that binds the ops
  to Tensor and publishes them as ``graphgrad.*`` (``nn.functional`` reads those at call time).
- An import of graphgrad's own modules inside a function is listed below with its reason; a new one
  fails this test until it is listed (or, better, moved to the top of its module).
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "graphgrad"

# Floors, lowest first: a module imports (at module level) only from its own floor or lower ones. A module
# matches the longest prefix listed; modules that match none are not constrained (beyond circles).
FLOORS = [
    ["graphgrad._core"],
    ["graphgrad._dtype", "graphgrad._device", "graphgrad._size", "graphgrad._repr", "graphgrad._blas"],
    ["graphgrad._tensor", "graphgrad._from_python"],
    ["graphgrad.autograd.grad_mode", "graphgrad.autograd.anomaly", "graphgrad.autograd.walk",
     "graphgrad.autograd.errors", "graphgrad.autograd.graph", "graphgrad.autograd.ledger",
     "graphgrad.autograd.explain", "graphgrad.autograd.backward_hooks", "graphgrad.autograd.accumulate",
     "graphgrad.autograd.sinks", "graphgrad.autograd.engine", "graphgrad.autograd.function",
     "graphgrad.autograd.gradcheck"],
    ["graphgrad.ops", "graphgrad.random", "graphgrad._factories", "graphgrad.return_types", "graphgrad.sparse"],
    ["graphgrad.nn"],
    ["graphgrad.optim"],
    ["graphgrad.utils"],
    ["graphgrad.viz"],
    ["graphgrad.cli"],
]
ATTACHMENT_POINT = "graphgrad"
# circles left to break, each with its reason (the goal is none)
KNOWN_CIRCLES = []

# (module, imported module) -> why the import sits inside a function (none today, and the ceiling below keeps it so)
FUNCTION_LEVEL: dict = {}


def _modules():
    mods = {}
    for path in PKG.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


MODULES = _modules()


def _targets(module, path, node):
    """The graphgrad modules an import statement loads (``from . import x`` loads the module x)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        parts = module.split(".")
        if path.name != "__init__.py":
            parts = parts[:-1]
        if node.level:
            parts = parts[:len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    out = set()
    for name in names:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name.split(".")[0] == "graphgrad" and name != module:
            out.add(name)
    return out


def _imports():
    """{module: modules imported at module level}, [(module, imported, line) inside functions]."""
    top, inner = {m: set() for m in MODULES}, []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        in_functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                        for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, path, node):
                    if id(node) in in_functions:
                        inner.append((module, target, node.lineno))
                    else:
                        top[module].add(target)
    return top, inner


TOP, INNER = _imports()


def _floor(module):
    best, floor = "", None
    for i, prefixes in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, floor = p, i
    return floor


def _cycles(graph):
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_circle_except_through_the_attachment_point():
    without = {m: {t for t in ts if t != ATTACHMENT_POINT} for m, ts in TOP.items() if m != ATTACHMENT_POINT}
    assert _cycles(without) == KNOWN_CIRCLES


def test_the_ground_floor_imports_nothing_from_graphgrad():
    for module, targets in TOP.items():
        if _floor(module) == 0:
            assert targets == set(), module


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _floor(m) is not None))
def test_each_floor_imports_only_from_below(module):
    mine = _floor(module)
    above = sorted(t for t in TOP[module] if t != ATTACHMENT_POINT and (_floor(t) or 0) > mine)
    assert above == [], f"{module} (floor {mine}) imports from higher floors: {above}"


def test_function_level_imports_are_few_and_each_has_a_reason():
    unlisted = sorted({(m, t) for m, t, _ in INNER} - set(FUNCTION_LEVEL))
    assert unlisted == [], "import at the top of the module, or add the pair with its reason to FUNCTION_LEVEL"
    stale = sorted(set(FUNCTION_LEVEL) - {(m, t) for m, t, _ in INNER})
    assert stale == [], "no longer imported inside a function: remove from FUNCTION_LEVEL"
    assert len({(m, line) for m, _, line in INNER}) <= 0  # a ceiling that only goes down


def test_the_tensor_stub_is_current():
    """``_tensor.pyi`` lists every Tensor method with the file that defines it: regenerate it with
    ``python -m graphgrad._stub`` after adding or changing one."""
    from graphgrad._stub import stub

    assert (PKG / "_tensor.pyi").read_text() == stub()

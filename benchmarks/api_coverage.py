"""Which torch names does PyTorch code use, and how many files find every one of them in graphgrad?

    python benchmarks/api_coverage.py DIR_OR_FILE... [--top N] [--list-missing] [--assume NAME]

Walks the ``.py`` files and Jupyter notebooks (code cells) under each argument, keeps those that import torch,
and collects the torch names each file uses, read from its syntax tree (nothing is run):

* every ``import torch...`` and ``from torch... import name`` (``torch.nn``, ``torch.utils.data.DataLoader``);
* every attribute chain that starts at a name bound to a torch module, followed as far as it goes through plain
  attributes: ``torch.nn.init.normal_``, ``nn.Linear``, ``F.relu``, ``torch.backends.cudnn.benchmark``,
  ``torch.Tensor.add_`` (``import torch.nn as nn``, ``from torch import nn``, ``import torch.nn.functional as F``
  and the like are followed; a call, subscript or anything else ends the chain).

Not counted: methods called on tensor values (``x.view(...)``: telling a tensor from any other object needs types)
and keyword arguments. A name counts only if PyTorch itself has it (checked against the installed torch, when
there is one), so names removed from PyTorch or assigned by the program are not held against graphgrad.

A name exists in graphgrad when ``graphgrad.<same path>`` imports or resolves as an attribute. A file is covered
when all its names exist. Prints the share of covered files, per directory argument and overall, and the missing
names that the most files use: the shortest missing prefix of each name (``torch.backends`` stands for
``torch.backends.cudnn.benchmark`` when graphgrad has no ``torch.backends`` at all).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import sys
from collections import Counter, defaultdict
from functools import cache

TORCH = "torch"


def python_sources(path):
    """(file path, source text) of every .py file and notebook under ``path`` (or ``path`` itself)."""
    if os.path.isfile(path):
        candidates = [path]
    else:
        candidates = sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names)
    for file in candidates:
        try:
            if file.endswith(".py"):
                with open(file, encoding="utf-8", errors="replace") as f:
                    yield file, f.read()
            elif file.endswith(".ipynb"):
                yield file, _notebook_code(file)
        except (OSError, ValueError):
            continue


def _notebook_code(file):
    with open(file, encoding="utf-8") as f:
        cells = json.load(f).get("cells", [])
    lines = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", [])
        source = "".join(source) if isinstance(source, list) else source
        # shell escapes and magics are not Python
        lines.extend(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return "\n".join(lines)


class _TorchNames(ast.NodeVisitor):
    """Collects the dotted torch names one module uses (see the module docstring)."""

    def __init__(self):
        self.aliases = {}  # local name -> dotted torch module path it is bound to
        self.names = set()
        self.imports_torch = False

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name == TORCH or alias.name.startswith(TORCH + "."):
                self.imports_torch = True
                self.names.add(alias.name)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    self.aliases[TORCH] = TORCH  # `import torch.nn` binds `torch`

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level or not (module == TORCH or module.startswith(TORCH + ".")):
            return
        self.imports_torch = True
        for alias in node.names:
            if alias.name == "*":
                self.names.add(module)
                continue
            full = f"{module}.{alias.name}"
            self.names.add(full)
            self.aliases[alias.asname or alias.name] = full

    def visit_Attribute(self, node):
        chain = []
        inner = node
        while isinstance(inner, ast.Attribute):
            chain.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in self.aliases:
            self.names.add(".".join([self.aliases[inner.id], *reversed(chain)]))
            return  # the inner attributes are prefixes of this chain
        self.generic_visit(node)


def torch_names(source):
    """The set of torch names ``source`` uses, or None when it does not import torch (or is not Python 3)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    visitor = _TorchNames()
    visitor.visit(tree)
    return visitor.names if visitor.imports_torch else None


@cache
def _resolves(path):
    """Whether the dotted ``path`` names a module or an attribute (importing the longest module prefix)."""
    parts = path.split(".")
    obj, depth = None, 0
    for depth in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:depth]))
            break
        except Exception:  # noqa: BLE001  (a module that fails to import does not resolve, whatever the reason)
            continue
    if obj is None:
        return False
    for attr in parts[depth:]:
        try:
            obj = getattr(obj, attr)
        except Exception:  # noqa: BLE001  (properties may raise anything)
            return False
    return True


ASSUMED = set()  # names counted as present (--assume), to see what adding them would change


def in_graphgrad(name):
    if any(name == a or name.startswith(a + ".") for a in ASSUMED):
        return True
    return _resolves("graphgrad" + name[len(TORCH):])


def missing_part(name):
    """The shortest prefix of ``name`` that graphgrad lacks (``torch.backends`` for ``torch.backends.mps.x``),
    or None when graphgrad has the whole name."""
    parts = name.split(".")
    for depth in range(2, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if not in_graphgrad(prefix):
            return prefix
    return None


def _torch_available():
    try:
        importlib.import_module(TORCH)
        return True
    except ImportError:
        return False


def scan(paths):
    """{path argument: {file: set of names}} for the files that import torch, and the count of files skipped."""
    check_torch = _torch_available()
    found, skipped = {}, 0
    for path in paths:
        files = {}
        for file, source in python_sources(path):
            names = torch_names(source)
            if names is None:
                skipped += 1
                continue
            files[file] = {n for n in names if not check_torch or _resolves(n)}
        found[path] = files
    return found, skipped


def report(found, top=30, list_missing=False, out=None):
    """Print per-argument and overall coverage and the most used missing names; returns the overall share."""
    out = out or sys.stdout
    users = defaultdict(set)  # missing name -> files using it
    totals = Counter()
    print(f"{'directory':60s} {'files':>6s} {'covered':>8s} {'share':>7s}", file=out)
    for path, files in found.items():
        covered = 0
        for file, names in files.items():
            missing = {missing_part(n) for n in names} - {None}
            covered += not missing
            for name in missing:
                users[name].add(file)
        totals["files"] += len(files)
        totals["covered"] += covered
        share = covered / len(files) if files else 0.0
        print(f"{path[-60:]:60s} {len(files):6d} {covered:8d} {share:7.1%}", file=out)
    share = totals["covered"] / totals["files"] if totals["files"] else 0.0
    print(f"{'all':60s} {totals['files']:6d} {totals['covered']:8d} {share:7.1%}", file=out)
    print(f"\nmissing names by the number of files using them (top {top}):", file=out)
    ranked = sorted(users.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for name, files in ranked[:top]:
        print(f"{len(files):6d}  {name}", file=out)
    if list_missing:
        print("\nfiles and the names they miss:", file=out)
        for files in found.values():
            for file, names in sorted(files.items()):
                missing = sorted({missing_part(n) for n in names} - {None})
                if missing:
                    print(f"{file}: {', '.join(missing)}", file=out)
    return share


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="directories or files to scan")
    parser.add_argument("--top", type=int, default=30, help="how many missing names to list")
    parser.add_argument("--list-missing", action="store_true", help="also list every file with its missing names")
    parser.add_argument("--assume", action="append", default=[], metavar="NAME",
                        help="count NAME (and everything under it) as present: what would adding it change?")
    args = parser.parse_args(argv)
    ASSUMED.update(args.assume)
    found, skipped = scan(args.paths)
    print(f"{sum(len(f) for f in found.values())} files import torch ({skipped} other or unparsable files skipped)")
    report(found, top=args.top, list_missing=args.list_missing)


if __name__ == "__main__":
    main()

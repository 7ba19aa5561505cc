"""Walks over the recorded graph, iteratively (no recursion limit), used by the engine, the ledger,
``describe``, the error explanations and ``make_dot``. A node's inputs are ``node.next_functions``:
``[(node or None, output_nr), ...]``.

>>> import graphgrad
>>> x = graphgrad.ones(2, requires_grad=True)
>>> y = (x * 2).sum()
>>> [n.name() for n in reachable([y.grad_fn])]
['SumBackward0', 'MulBackward0', 'torch::autograd::AccumulateGrad']
"""

from __future__ import annotations


def reachable(roots) -> list:
    """The nodes reachable from ``roots``, each once, in depth-first preorder (inputs in their order)."""
    seen = set()
    order = []
    stack = [r for r in reversed(roots) if r is not None]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        order.append(n)
        nf = n.next_functions
        for i in range(len(nf) - 1, -1, -1):
            nxt = nf[i][0]
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    return order


def count_inputs(roots) -> dict:
    """``{node: how many edges lead into it}`` for every node reachable from ``roots`` (the engine's
    dependency counts: a node runs when that many gradients have arrived)."""
    deps = {}
    seen = set(roots)
    stack = list(seen)
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is not None:
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
    return deps


def topological(nodes) -> list:
    """``nodes`` (a closed set: every input of one is in it, or ignored) with each node before the nodes it
    leads to (outputs first)."""
    indeg = dict.fromkeys(nodes, 0)
    for n in nodes:
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt in indeg:
                indeg[nxt] += 1
    ready = [n for n in reversed(nodes) if indeg[n] == 0]
    out = []
    while ready:
        n = ready.pop()
        out.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt in indeg:
                d = indeg[nxt] - 1
                indeg[nxt] = d
                if d == 0:
                    ready.append(nxt)
    return out


def leading_to(roots, targets) -> tuple[dict, set]:
    """The nodes reachable from ``roots`` that have a path to one of ``targets``, and the edge counts between
    them (what ``autograd.grad`` and ``backward(inputs=...)`` run)."""
    needed = set()
    for n in reversed(topological(reachable(roots))):
        if n in targets or any(nxt in needed for nxt, _ in n.next_functions if nxt is not None):
            needed.add(n)
    deps = {}
    for n in needed:
        for nxt, _ in n.next_functions:
            if nxt in needed:
                deps[nxt] = deps.get(nxt, 0) + 1
    return deps, needed


def flatten(x) -> list:
    """The items of ``x`` and of the lists and tuples nested in it, in order (``x`` itself if it is neither).

    >>> flatten([1, (2, [3]), 4])
    [1, 2, 3, 4]
    """
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    out = []
    while items:
        v = items.pop(0)
        if isinstance(v, (list, tuple)):
            items[:0] = list(v)
        else:
            out.append(v)
    return out

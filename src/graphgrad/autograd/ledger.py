"""The ledger: what the graph behind a tensor holds, what has been freed, and by which ``backward()``.

Re-exported by ``graphgrad.autograd.graph``:

- ``saved_tensors(t)``: one record per tensor saved for backward in the graph reachable from ``t``
  (node, name, shape, dtype, bytes, state, creation site);
- ``saved_bytes(t)``: the bytes those saved tensors keep alive, each storage counted once;
- ``release(t)``: free a (retained) graph now; a later backward through it raises the explained error;
- ``describe(t)``: the graph as an indented text tree, with state, saved bytes and creation lines.

Every ``backward()``, ``autograd.grad()`` and ``release()`` is a :class:`BackwardCall`: its site, its
order and the nodes it started from. A node freed by it keeps it in ``node._freed_by``; the errors and
the views (``describe``, ``make_dot``) use them to say which call freed what, and whether a graph is
being reused after a backward already went through it. All walks are iterative (no recursion limit).

>>> import graphgrad
>>> from graphgrad.autograd.graph import saved_bytes
>>> x = graphgrad.ones(4, requires_grad=True)
>>> y = (x.sin() * 2).sum()
>>> saved_bytes(y)  # sin saved x (16 bytes of float32)
16
>>> y.backward(); saved_bytes(y)
0
"""

from __future__ import annotations

import collections
import gc
import itertools
import weakref
from typing import NamedTuple

import numpy as np

from .._core.sites import user_frame
from .._tensor import Tensor
from .errors import format_site, label, names_in_user_frame
from .explain import no_grad_chain
from .graph import AccumulateGrad, Node, _seq, code_location, grad_accumulator, user_site
from .walk import flatten, reachable, topological

_call_ids = itertools.count(1)
# Recent calls, oldest first: to tell which backward went through nodes that hold nothing to free.
_RECENT: collections.deque = collections.deque(maxlen=256)


class BackwardCall(tuple):
    """A ``backward()`` / ``autograd.grad()`` / ``release()`` call: its ``(filename, lineno)`` plus history.

    It is a tuple so that ``node._freed_by`` still reads as a site; the attributes say the rest:
    ``kind`` ("backward", "grad" or "release"), ``number`` (the n-th call in this process), ``seq``
    (every node with a smaller ``_seq`` existed when it ran), ``root_seqs`` (the ``_seq`` of the nodes
    it started from) and ``retain`` (``retain_graph``).
    """

    def __new__(cls, site, kind="backward", root_nodes=(), retain=False):
        self = tuple.__new__(cls, site if site is not None else ("<unknown>", 0))
        self.kind = kind
        self.number = next(_call_ids)
        self.seq = next(_seq)
        self.root_seqs = frozenset(n._seq for n in root_nodes if n is not None)
        self.retain = bool(retain)
        self.known_site = site is not None
        return self

    def __repr__(self):
        return f"<{label(self)}>"


def backward_call(roots, retain_graph, kind="backward"):
    """The record the engine passes as ``site`` for one backward pass; ``roots`` as ``engine.run`` takes them."""
    call = BackwardCall(user_site(2), kind, [n for (n, _), _ in roots], retain_graph)
    _RECENT.append(call)
    return call


class gc_paused:
    """Pause the cyclic garbage collector while a big graph is walked (its many small allocations
    otherwise trigger collections that scan the whole graph again and again)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


# --- walking the graph ------------------------------------------------------------------------------
def _root_nodes(x):
    """The nodes a tensor, a node, or a list/tuple of them leads to (grad_fn, or AccumulateGrad of a leaf)."""
    out = []
    for v in flatten(x):
        if isinstance(v, Node):
            out.append(v)
        elif isinstance(v, Tensor):
            if v.grad_fn is not None:
                out.append(v.grad_fn)
            elif v.requires_grad:
                out.append(grad_accumulator(v))
        elif v is not None:
            raise TypeError(f"expected a Tensor, a Node or a list of them, got {type(v).__name__}")
    return out


# --- lifetimes ----------------------------------------------------------------------------------------
class Life(NamedTuple):
    """A node's lifetime: state is "alive", "retained", "freed" or "leaf"; call is the BackwardCall, or None."""

    state: str
    call: object = None
    holds_nothing: bool = False


_LEAF, _ALIVE, _ALIVE_EMPTY = Life("leaf"), Life("alive"), Life("alive", None, True)


def _fresh(n):
    if type(n) is AccumulateGrad:
        return _LEAF
    return _ALIVE if n.op.saves else _ALIVE_EMPTY


def lifetimes(nodes) -> dict:
    """``{node: Life}`` for a closed set of nodes (all that are reachable from some roots).

    A node that saved tensors is "freed" when a call released them (``node._freed_by``), "retained" when
    a ``retain_graph=True`` pass went through it, "alive" otherwise. A node that saves nothing has nothing
    to free: it takes the state of the first call that went through it (found from the calls' roots and
    from the nodes that lead to it), so that a backward's whole graph reads as one.
    """
    by_seq = {n._seq: n for n in nodes}
    runs = {}  # node -> calls that went through it, in call order
    for call in _RECENT:
        for s in call.root_seqs:
            if s < call.seq and s in by_seq:
                runs.setdefault(by_seq[s], []).append(call)
    if not runs and not any(n._released for n in nodes):
        return {n: _fresh(n) for n in nodes}
    for n in topological(nodes):
        own = runs.get(n)
        if n._released and n._freed_by is not None:
            if own is None:
                own = runs[n] = [n._freed_by]
            elif all(c is not n._freed_by for c in own):
                own.append(n._freed_by)
        if not own:
            continue
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            mine = runs.get(nxt)
            if mine is None:
                mine = runs[nxt] = []
            for c in own:
                if getattr(c, "seq", 0) > nxt._seq and all(c is not m for m in mine):
                    mine.append(c)
    out = {}
    for n in nodes:
        calls = runs.get(n)
        if not calls and not n._released:
            out[n] = _fresh(n)
        elif type(n) is AccumulateGrad:
            out[n] = _LEAF
        elif n.op.saves:
            if n._released:
                out[n] = Life("freed", n._freed_by)
            else:
                kept = [c for c in calls if getattr(c, "retain", False)]
                out[n] = Life("retained", kept[-1]) if kept else _ALIVE
        else:
            freeing = [c for c in calls if not getattr(c, "retain", False)]
            if freeing:
                out[n] = Life("freed", min(freeing, key=lambda c: getattr(c, "number", 0)), True)
            else:
                out[n] = Life("retained", calls[-1], True)
    return out


# --- saved tensors ------------------------------------------------------------------------------------
class SavedTensor(NamedTuple):
    """One tensor saved for backward. ``bytes`` is the size of the storage it keeps alive (a view keeps
    its whole base alive); 0 and ``shape``/``dtype`` None once freed. ``leaf`` is True when that storage
    belongs to a leaf (a parameter or an input), which lives on without the graph anyway."""

    node: str
    name: str
    shape: tuple | None
    dtype: str | None
    bytes: int
    state: str
    site: tuple | None
    leaf: bool = False

    def __str__(self):
        shape = "?" if self.shape is None else "[" + ", ".join(map(str, self.shape)) + "]"
        return f"{self.node}.{self.name} {self.dtype or ''}{shape} {format_bytes(self.bytes)} {self.state}"


def _storage(arr):
    """The ndarray that owns ``arr``'s memory (its base chain followed to the end)."""
    base = arr
    while isinstance(base.base, np.ndarray):
        base = base.base
    return base


def _dtype_name(arr):
    return arr.dtype.name


def node_saved(node):
    """``[(name, array, tensor_or_None)]`` that ``node`` holds now (empty once released); never raises."""
    if node._released:
        return []
    out = []
    op = node.op
    names = [n for n in getattr(op, "saved_names", ()) if n != "result"]
    saved = node._saved or ()
    for i, t in enumerate(saved):
        if t is not None:
            out.append((names[i] if i < len(names) else f"saved{i}", t._data, t))
    if node._out is not None:
        out.append(("result", node._out[0], None))
    state = node.state
    ctx_saved = getattr(state, "_saved", None)  # a custom Function's ctx.save_for_backward
    if isinstance(ctx_saved, tuple):
        for i, t in enumerate(ctx_saved):
            if t is not None and hasattr(t, "_data"):
                out.append((f"saved_tensors[{i}]", t._data, t))
    elif isinstance(state, np.ndarray):
        out.append(("state", state, None))
    elif isinstance(state, tuple):
        for i, s in enumerate(state):
            if isinstance(s, np.ndarray):
                out.append((f"state[{i}]", s, None))
    return out


def _freed_names(node):
    names = list(getattr(node.op, "saved_names", ()) or ())
    return names or ["saved"]


def _collect(x):
    roots = _root_nodes(x)
    nodes = reachable(roots)
    return roots, nodes


def _leaf_storages(nodes):
    ids = set()
    for n in nodes:
        if isinstance(n, AccumulateGrad):
            ids.add(id(_storage(n.variable._data)))
    return ids


def _records(nodes, lives):
    leaf_ids = _leaf_storages(nodes)
    records, storages = [], []
    for n in nodes:
        if isinstance(n, AccumulateGrad) or not n.op.saves:
            continue
        life = lives[n]
        if n._released:
            for name in _freed_names(n):
                records.append(SavedTensor(n.name(), name, None, None, 0, "freed", n._site))
                storages.append(None)
            continue
        for name, arr, t in node_saved(n):
            base = _storage(arr)
            leaf = id(base) in leaf_ids or (t is not None and t.grad_fn is None and t.requires_grad)
            records.append(SavedTensor(n.name(), name, tuple(arr.shape), _dtype_name(arr), int(base.nbytes),
                                       life.state, n._site, leaf))
            storages.append(base)
    return records, storages


def saved_tensors(t) -> list:
    """The tensors saved for backward in the graph reachable from ``t``, one :class:`SavedTensor` each.

    ``t`` is a tensor, a node, or a list/tuple of them. Freed entries are listed too (state "freed").

    >>> import graphgrad
    >>> from graphgrad.autograd.graph import saved_tensors
    >>> x = graphgrad.ones(2, 3, requires_grad=True)
    >>> [(r.node, r.name, r.shape, r.bytes, r.state) for r in saved_tensors(x.exp().sum())]
    [('ExpBackward0', 'result', (2, 3), 24, 'alive')]
    """
    with gc_paused():
        _, nodes = _collect(t)
        return _records(nodes, lifetimes(nodes))[0]


def saved_bytes(t, leaves: bool = True) -> int:
    """Bytes of storage that the saved tensors of ``t``'s graph keep alive, each storage counted once.

    Views share their base's storage (``x`` and ``x.t()`` count once). With ``leaves=False`` the storage
    of leaves (parameters, inputs) is left out: what remains is what only the graph keeps alive.

    >>> import graphgrad
    >>> from graphgrad.autograd.graph import saved_bytes
    >>> x = graphgrad.ones(4, 4, requires_grad=True)
    >>> saved_bytes(x @ x.t())  # both saved operands share x's 64 bytes
    64
    """
    with gc_paused():
        _, nodes = _collect(t)
        records, storages = _records(nodes, lifetimes(nodes))
    seen = set()
    total = 0
    for r, base in zip(records, storages):
        if base is None or id(base) in seen or (not leaves and r.leaf):
            continue
        seen.add(id(base))
        total += r.bytes
    return total


def release(t) -> int:
    """Free the saved tensors of the graph reachable from ``t`` now; returns the bytes that it held.

    Use it to drop a graph kept with ``retain_graph=True`` without waiting for ``t`` to go away. A later
    backward through it raises PyTorch's "backward through the graph a second time" error, naming this
    call as the one that freed it.

    >>> import graphgrad
    >>> from graphgrad.autograd.graph import release
    >>> x = graphgrad.ones(4, requires_grad=True)
    >>> y = x.exp().sum()
    >>> y.backward(retain_graph=True)
    >>> release(y)
    16
    """
    roots, nodes = _collect(t)
    held = saved_bytes(t)
    call = BackwardCall(user_site(2), "release", roots, False)
    _RECENT.append(call)
    for n in nodes:
        if not n._released:
            n.release(call)
    return held


# --- describe -------------------------------------------------------------------------------------------
def format_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def site_of(node, cache):
    """``node._site`` resolved through ``cache``: many nodes share one (code, offset) when built in a loop."""
    where = getattr(node, "_where", None)
    if where is not None and not isinstance(where[0], str):
        site = cache.get(where)
        if site is None:
            site = cache[where] = code_location(*where)
        node._where = site
        return site
    return node._site


class _SiteText:
    """``file.py:42  code`` per site, cached: a graph built in a loop has many nodes on a few lines."""

    def __init__(self):
        self.cache = {}

    def __call__(self, site, code=True):
        if site is None:
            return ""
        key = (site[0], site[1], code)
        text = self.cache.get(key)
        if text is None:
            text = self.cache[key] = format_site(site, code)
        return text


def life_text(life, say_what_alive_holds=False):
    """``freed by backward #1 at ...``, ``ran in ...``, ``retained by ...``, ``alive``, ``leaf``: one node's
    lifetime as ``describe`` and ``make_dot``'s tooltips show it."""
    if life.state == "freed":
        if life.call is None:
            return "freed"
        ran = life.holds_nothing and getattr(life.call, "kind", "") != "release"
        return f"{'ran in' if ran else 'freed by'} {label(life.call)}"
    if life.state == "retained":
        return f"retained by {label(life.call)}" if life.call is not None else "retained"
    if life.state == "alive" and say_what_alive_holds:
        return "alive (saves nothing)" if life.holds_nothing else "alive: holds its saved tensors"
    return life.state


# id(leaf) -> (weak reference to the leaf, note); by id, since tensors compare elementwise, not by identity
_LEAF_NOTES: dict = {}


def note_leaf(t, note):
    """Show ``note()`` (a short text, asked for each time) after leaf ``t``'s line in ``describe``: what a layer
    above the graph knows of it, e.g. which DistributedDataParallel bucket reduces its gradient, and when."""
    key = id(t)
    _LEAF_NOTES[key] = (weakref.ref(t, lambda _: _LEAF_NOTES.pop(key, None)), note)


def _leaf_note(t):
    entry = _LEAF_NOTES.get(id(t))
    return entry[1]() if entry is not None and entry[0]() is t else None


def _tensor_label(t, names):
    name = names.get(id(t)) or getattr(t, "name", None) or ""
    shape = "(" + ", ".join(str(s) for s in t._data.shape) + ")"
    return f"{name} {shape}".strip()


def _spanning_tree(roots):
    """DFS spanning tree: ``children[node]`` = the inputs first reached from it; the subtree sizes."""
    children = {}
    seen = set(roots)
    order = []
    stack = list(reversed(roots))
    while stack:
        n = stack.pop()
        order.append(n)
        kids = []
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                kids.append(nxt)
        children[n] = kids
        if kids:
            stack.extend(reversed(kids))
    size = {}
    for n in reversed(order):
        k = children[n]
        size[n] = 1 + sum([size[c] for c in k]) if k else 1
    return children, size


def describe(t, params=None, max_lines=None) -> str:
    """The graph behind ``t`` as indented text: each node's state, saved bytes and creation line.

    ``t`` is a tensor, a node, or a list/tuple of them. Reading it: each node is followed by its inputs.
    The input with the largest subgraph comes on the next line at the same indentation (so long chains
    stay flat: graphs of 100k nodes print fine); the other inputs are listed before it, under ``+-``
    (and their own inputs under ``|``). A node reached a second time is a reference ``^ #n``. Leaves
    are named from ``params`` (e.g. ``dict(model.named_parameters())``) or the caller's variables.

    >>> import graphgrad
    >>> from graphgrad.autograd.graph import describe
    >>> x = graphgrad.ones(3, requires_grad=True)
    >>> print(describe((x * 2).sum()))  # doctest: +ELLIPSIS
    graph of SumBackward0 ... (3 nodes; 2 alive; saved tensors hold 0 B)
    #1 SumBackward0  alive  @ ...
    #2 MulBackward0  alive  @ ...
    #3 AccumulateGrad leaf x (3)
    """
    names = names_in_user_frame(user_frame())
    with gc_paused():
        return _describe(t, names, params, max_lines)


def _describe(t, names, params, max_lines):
    names.update({id(v): k for k, v in (params or {}).items()})
    roots = _root_nodes(t)
    if not roots:
        items = t if isinstance(t, (list, tuple)) else [t]
        first = items[0] if items else None
        why = no_grad_chain(first) if isinstance(first, Tensor) else ""
        return "no graph: the tensor does not require grad and has no grad_fn" + why
    nodes = reachable(roots)
    lives = lifetimes(nodes)
    total, per_node = _bytes_by_node(nodes)
    site_text = _SiteText()
    where_cache = {}
    counts = collections.Counter(life.state for life in lives.values())
    what = "; ".join(f"{counts[s]} {s}" for s in ("alive", "retained", "freed") if counts[s])
    head = "graph of " + ", ".join(
        r.name() + (f" ({site_text(r._site, False)})" if r._site else "") for r in roots)
    head += f" ({len(nodes)} nodes{'; ' + what if what else ''}; saved tensors hold {format_bytes(total)})"
    lines = [head]
    children, size = _spanning_tree(roots)
    number = {}
    life_texts = {}
    # stack of (node, prefix, light): a light input gets "+- " and its own inputs continue under "|  "
    stack = [(r, "", False) for r in reversed(roots)]
    refs_done = set()
    while stack:
        n, prefix, light = stack.pop()
        if max_lines is not None and len(lines) > max_lines:
            lines.append(f"... ({len(nodes) - len(number)} more nodes)")
            break
        lead = prefix + "+- " if light else prefix
        if n in number:
            if (n, prefix) not in refs_done:
                refs_done.add((n, prefix))
                short = "AccumulateGrad" if type(n) is AccumulateGrad else n.name()
                lines.append(f"{lead}^ #{number[n]} {short}")
            continue
        k = number[n] = len(number) + 1
        if type(n) is AccumulateGrad:
            note = _leaf_note(n.variable)
            lines.append(f"{lead}#{k} AccumulateGrad leaf {_tensor_label(n.variable, names)}"
                         + (f"  [{note}]" if note is not None else ""))
        else:
            life = lives[n]
            lt = life_texts.get(life)
            if lt is None:
                lt = life_texts[life] = life_text(life)
            text = f"{lead}#{k} {n.name()}  {lt}"
            if n.op.saves and not n._released:
                text += f"  saved {format_bytes(per_node.get(n, 0))}"
            site = site_of(n, where_cache)
            if site is not None:
                text += "  @ " + site_text(site)
            lines.append(text)
        kids = children[n]
        sub = prefix + "|  " if light else prefix
        # pushed so that they pop as: the light inputs and the references, then the heavy input
        heavy = None
        if kids:
            heavy = kids[0] if len(kids) == 1 else max(kids, key=size.__getitem__)
            stack.append((heavy, sub, False))
        nf = n.next_functions
        for i in range(len(nf) - 1, -1, -1):
            nxt = nf[i][0]
            if nxt is not None and nxt is not heavy:
                stack.append((nxt, sub, True))
    return "\n".join(lines)


def _bytes_by_node(nodes):
    """(total bytes with each storage once, {node: bytes of the storages that node holds})."""
    seen, per_node, total = set(), {}, 0
    for n in nodes:
        if type(n) is AccumulateGrad or not n.op.saves or n._released:
            continue
        mine = {}
        for _, arr, _ in node_saved(n):
            base = _storage(arr)
            mine[id(base)] = base.nbytes
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        per_node[n] = sum(mine.values())
    return total, per_node

"""``make_dot``: torchviz's drawing of the backward graph, plus what torchviz cannot show.

Conventions kept from torchviz (same signature, same DOT shapes and colours): one box per grad_fn
node labelled with its name; leaves as lightblue boxes named from ``params`` with their shape
``(3, 4)``; outputs darkolivegreen1; saved tensors (``show_saved=True``) orange; edges point from
inputs towards outputs; ``show_attrs`` adds a table of the node's attributes.

Added:

- each grad_fn box also shows the user's line that created it (``show_sites``) and has a tooltip with
  the source code and the node's lifetime;
- lifetime colours, so the graph can be drawn after ``backward()``: a node still holding its saved
  tensors keeps torchviz's grey; ``gold`` = retained by a ``backward(retain_graph=True)``; a shade per
  ``backward()`` that freed it (dashed border), named in a legend (``backward() #2 at train.py:50``);
- ``show_saved`` works after backward (freed tensors appear dashed, "(freed)") and shows each saved
  tensor's bytes; the graph's label gives the total, each storage counted once;
- ``var`` may be a list or tuple of outputs; leaves and outputs not in ``params`` are named after the
  caller's variables (``W``, ``loss``);
- ``collapse`` draws an ``nn.Module`` as one box (see ``make_dot``);
- iterative: tens of thousands of nodes need no recursion; the ``dot`` program is needed only to
  render (``.render``/``.pipe``), and its absence raises :class:`DotNotFound` saying what to install.
"""

from __future__ import annotations

import os
import re

from .._core.sites import user_frame
from .._tensor import Tensor
from ..autograd import ledger
from ..autograd.explain import names_in_user_frame
from ..autograd.graph import AccumulateGrad
from ..autograd.walk import flatten, reachable

ALIVE, RETAINED = None, "gold"
FREED_COLOURS = ("lightpink", "plum", "lightsalmon", "thistle", "pink3", "rosybrown1", "orchid1", "mistyrose3")

_DOT_MISSING = (
    "Rendering needs the Graphviz `dot` program, which was not found on PATH. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or https://graphviz.org/download/. Without it, the DOT text "
    "is in `.source` (any Graphviz viewer renders it), and graphgrad.autograd.graph.describe(t) prints "
    "the graph as text."
)
_PACKAGE_MISSING = (
    "make_dot needs the graphviz Python package: pip install graphviz (or pip install 'graphgrad[viz]'). "
    "Without it, graphgrad.autograd.graph.describe(t) prints the graph as text."
)


class DotNotFound(RuntimeError):
    """Raised by ``render``/``pipe``/``view`` when the Graphviz ``dot`` program is not installed.

    The instances raised are also ``graphviz.ExecutableNotFound``, so existing handlers keep working.
    """


_classes = {}


def _digraph_class():
    """A ``graphviz.Digraph`` subclass whose rendering explains a missing ``dot`` (built once, lazily)."""
    if "Digraph" in _classes:
        return _classes["Digraph"]
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(_PACKAGE_MISSING) from e

    class _Missing(DotNotFound, graphviz.ExecutableNotFound):
        def __init__(self):
            RuntimeError.__init__(self, _DOT_MISSING)

    def _guard(name):
        base = getattr(graphviz.Digraph, name)

        def method(self, *args, **kwargs):
            try:
                return base(self, *args, **kwargs)
            except graphviz.ExecutableNotFound as e:
                if isinstance(e, DotNotFound):
                    raise
                raise _Missing() from e

        method.__name__ = name
        method.__doc__ = base.__doc__
        return method

    class Digraph(graphviz.Digraph):
        """``graphviz.Digraph``; rendering without the ``dot`` program raises :class:`DotNotFound`."""

        render = _guard("render")
        pipe = _guard("pipe")
        unflatten = _guard("unflatten")

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return graphviz.Digraph._repr_mimebundle_(self, include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                return {"text/plain": self.source}

    _classes["Digraph"] = Digraph
    return Digraph


# --- labels, as torchviz writes them -----------------------------------------------------------------
def size_to_str(size):
    return "(" + ", ".join(str(int(v)) for v in size) + ")"


# --- collapsing modules ----------------------------------------------------------------------------------
class _Group:
    def __init__(self, title, param_ids):
        self.title = title
        self.param_ids = param_ids
        self.id = "module_" + re.sub(r"\W", "_", title)
        self.members = []  # grad_fn nodes
        self.params = []  # (name, tensor)


def _is_module(obj):
    return callable(getattr(obj, "named_parameters", None)) and not isinstance(obj, type)


def _groups_from(collapse, param_map, params):
    """The boxes asked for: True (every module that owns parameters), a name prefix, a module, or a list."""
    if collapse is None or collapse is False:
        return []
    items = list(collapse) if isinstance(collapse, (list, tuple, set)) else [collapse]
    groups = []
    for item in items:
        if item is True:
            if not param_map:
                raise ValueError("collapse=True groups parameters by the prefixes of their names: pass "
                                 "params=dict(model.named_parameters()) too, or collapse=<module>")
            prefixes = []
            for name in param_map.values():
                if "." in name:
                    p = name.rsplit(".", 1)[0]
                    if p not in prefixes:
                        prefixes.append(p)
            groups.extend(_prefix_group(p, params) for p in prefixes)
        elif isinstance(item, str):
            groups.append(_prefix_group(item, params or {}))
        elif _is_module(item):
            named = list(item.named_parameters())
            names = [param_map[id(p)] for _, p in named if id(p) in param_map]
            prefix = os.path.commonprefix([n.split(".")[:-1] for n in names]) if names else []
            kind = type(item).__name__
            g = _Group(f"{'.'.join(prefix)} ({kind})" if prefix else kind, {id(p) for _, p in named})
            g.params = [(param_map.get(id(p)) or n, p) for n, p in named]
            groups.append(g)
        else:
            raise TypeError("collapse expects True, a module, a parameter-name prefix or a list of them; got "
                            f"{type(item).__name__}")
    return groups


def _prefix_group(prefix, params):
    chosen = [(n, p) for n, p in params.items() if n == prefix or n.startswith(prefix + ".")]
    g = _Group(prefix, {id(p) for _, p in chosen})
    g.params = chosen
    return g


def _assign_groups(groups, nodes):
    """``{node: group}``. A node joins a module's box when it takes one of the module's parameters
    directly (Linear's TBackward0 and AddmmBackward0), or when it takes an input from the box and every
    node that uses it is in the box (a matmul feeding the bias add). Between boxes, the first listed wins.
    """
    owner = {}
    if not groups:
        return owner
    parents = {n: [] for n in nodes}
    for n in nodes:
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt in parents:
                parents[nxt].append(n)
    for g in groups:
        for n in nodes:
            if n in owner:
                continue
            if type(n) is AccumulateGrad:
                if id(n.variable) in g.param_ids:
                    owner[n] = g
                continue
            for nxt, _ in n.next_functions:
                if type(nxt) is AccumulateGrad and id(nxt.variable) in g.param_ids:
                    owner[n] = g
                    g.members.append(n)
                    break
        work = [nxt for m in g.members for nxt, _ in m.next_functions if nxt is not None]
        while work:
            n = work.pop()
            if n in owner or type(n) is AccumulateGrad:
                continue
            ps = parents.get(n, ())
            if ps and all(owner.get(p) is g for p in ps) and any(
                    nxt is not None and owner.get(nxt) is g for nxt, _ in n.next_functions):
                owner[n] = g
                g.members.append(n)
                work.extend(nxt for nxt, _ in n.next_functions if nxt is not None)
    return owner


# --- writing DOT quickly (graphviz's own node()/edge() quote every attribute: too slow for 50k nodes) ------
_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _q(s) -> str:
    s = str(s)
    if _ID.match(s) and s.lower() not in _KEYWORDS:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(label, attrs):
    parts = [f"label={_q(label)}"] if label is not None else []
    parts += [f"{k}={_q(v)}" for k, v in sorted(attrs.items()) if v is not None]
    return " [" + " ".join(parts) + "]" if parts else ""


class _Writer:
    """Appends node and edge lines to a Digraph's body as graphviz would; ids pass through a box map."""

    def __init__(self, dot, box_of):
        self.body = dot.body
        self.box_of = box_of
        self.edges = set()
        self.nodes = set()

    def node(self, key, label, **attrs):
        self.nodes.add(key)
        self.body.append(f"\t{_q(key)}{_attrs(label, attrs)}\n")

    def edge(self, a, b, **attrs):
        boxed = a in self.box_of or b in self.box_of
        a, b = self.box_of.get(a, a), self.box_of.get(b, b)
        if a == b:
            return
        if boxed or attrs:  # one edge per pair into and out of a box, and per saved tensor
            key = (a, b, tuple(sorted(attrs.items())))
            if key in self.edges:
                return
            self.edges.add(key)
        # as torchviz, one edge per next_functions entry: x * x draws two arrows from x's node
        self.body.append(f"\t{_q(a)} -> {_q(b)}{_attrs(None, attrs)}\n")


# --- make_dot ----------------------------------------------------------------------------------------------
def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50, *, collapse=None,
             show_sites=True, legend=True):
    """Draw the backward graph of ``var`` as a ``graphviz.Digraph`` (torchviz's ``make_dot``, extended).

    Args:
        var: an output tensor, or a list/tuple of them.
        params: ``{name: tensor}`` naming the leaves, e.g. ``dict(model.named_parameters())``. Leaves and
            outputs not in it are named after the caller's variables when it has them.
        show_attrs: add each node's attributes (saved tensor names, op arguments) under its name.
        show_saved: draw the saved tensors (orange) with their bytes (freed ones dashed), and the total
            held (each storage counted once) as the graph's label.
        max_attr_chars: longest attribute value shown with ``show_attrs``.
        collapse: draw modules as single boxes (double border). ``True``: every module that owns
            parameters, found from the prefixes of the names in ``params`` (``fc1.weight``, ``fc1.bias``
            -> box ``fc1``); a module object (``collapse=model.encoder``): that module, named from
            ``params`` and its class; a string: the parameters whose names start with that prefix; or a
            list of these. A box takes the nodes that use the module's parameters directly and the nodes
            that only feed those; its label lists the ops and parameters inside.
        show_sites: add the user's source line (``train.py:42``) under each node's name.
        legend: add a lifetime legend when some node was retained or freed by a backward.

    Returns:
        a ``graphviz.Digraph``: ``.source`` is the DOT text; ``.render()``/``.pipe()`` need Graphviz's ``dot``
        and raise :class:`DotNotFound`, saying what to install, without it.

    >>> import graphgrad
    >>> from graphgrad.viz import make_dot
    >>> w = graphgrad.ones(3, requires_grad=True)
    >>> dot = make_dot((w * w).sum(), params={"w": w})
    >>> "MulBackward0" in dot.source and "fillcolor=lightblue" in dot.source
    True
    """
    frame_names = names_in_user_frame(user_frame())
    with ledger.gc_paused():
        return _make_dot(var, params, show_attrs, show_saved, max_attr_chars, collapse, show_sites, legend,
                         frame_names)


def _make_dot(var, params, show_attrs, show_saved, max_attr_chars, collapse, show_sites, legend, frame_names):
    Digraph = _digraph_class()
    if params is not None:
        assert all(isinstance(p, Tensor) for p in params.values())
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}

    node_attr = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1", height="0.2",
                     fontname="monospace")
    dot = Digraph(node_attr=node_attr, graph_attr=dict(size="12,12"))

    outputs = _flatten(var)
    roots = [t.grad_fn for t in outputs if t.grad_fn is not None]
    nodes = reachable(roots)
    lives = ledger.lifetimes(nodes)
    groups = _groups_from(collapse, param_map, params)
    owner = _assign_groups(groups, nodes)
    box_of = {}
    for n, g in owner.items():
        box_of[str(id(n))] = g.id
        if type(n) is AccumulateGrad:
            box_of[str(id(n.variable))] = g.id
    w = _Writer(dot, box_of)
    sites = ledger._SiteText()
    where_cache = {}

    def var_label(v, name=None):
        if not name:
            name = param_map.get(id(v)) or getattr(v, "name", None) or frame_names.get(id(v), "")
        return f"{name}\n {size_to_str(v._data.shape)}"

    palette = {}

    def style_of(life):
        if life is None or life.state in ("alive", "leaf"):
            return {}
        if life.state == "retained":
            return {"fillcolor": RETAINED}
        if id(life.call) not in palette:
            palette[id(life.call)] = (FREED_COLOURS[len(palette) % len(FREED_COLOURS)], life.call)
        return {"fillcolor": palette[id(life.call)][0], "style": "filled,dashed"}

    for t in outputs:
        tid = str(id(t))
        if tid not in w.nodes:
            w.node(tid, var_label(t), fillcolor="darkolivegreen1")
            if t.grad_fn is not None:
                w.edge(str(id(t.grad_fn)), tid)

    leaf_ids = {id(n.variable) for n in nodes if type(n) is AccumulateGrad}
    total_saved = 0
    seen_storage = set()
    for fn in nodes:
        fid = str(id(fn))
        boxed = fn in owner
        if type(fn) is AccumulateGrad:
            if not boxed:
                v = fn.variable
                w.node(str(id(v)), var_label(v), fillcolor="lightblue")
                w.edge(str(id(v)), fid)
                w.node(fid, "AccumulateGrad")
            continue
        if show_saved:
            for name, arr, t in ledger.node_saved(fn):
                base = ledger._storage(arr)
                if id(base) not in seen_storage:
                    seen_storage.add(id(base))
                    total_saved += base.nbytes
                if boxed:
                    continue
                if t is not None and id(t) in leaf_ids:  # a leaf: its lightblue box stands for it
                    w.edge(fid, str(id(t)), dir="none", style="dashed")
                    continue
                key = str(id(t)) if t is not None else str(id(arr))
                if key not in w.nodes:
                    w.node(key, f"{name}\n {size_to_str(arr.shape)}\n{ledger.format_bytes(base.nbytes)}",
                           fillcolor="orange")
                w.edge(fid, key, dir="none")
            if fn._released and not boxed:
                for name in ledger._freed_names(fn):
                    key = f"{fid}_saved_{name}"
                    w.node(key, f"{name}\n(freed)", fillcolor="orange", style="filled,dashed", fontcolor="gray40")
                    w.edge(fid, key, dir="none")
        if not boxed:
            life = lives.get(fn)
            label = fn.name()
            site = ledger.site_of(fn, where_cache)
            if show_sites and site is not None:
                label += "\n" + sites(site, False)
            if show_attrs:
                label = _with_attrs(fn, label, max_attr_chars)
            tip = f"{fn.name()} created at {sites(site) or 'unknown location'}"
            if life is not None:
                tip += "; " + ledger.life_text(life, say_what_alive_holds=True)
            w.node(fid, label, tooltip=tip, **style_of(life))
        for u, _ in fn.next_functions:
            if u is not None:
                w.edge(str(id(u)), fid)

    for g in groups:
        if not g.members and not any(owner.get(n) is g for n in nodes):
            continue
        ops = []
        for m in g.members:
            if m.name() not in ops:
                ops.append(m.name())
        label = g.title + ("\n" + ", ".join(ops) if ops else "")
        for pname, p in g.params:
            label += f"\n{pname.rsplit('.', 1)[-1]} {size_to_str(p._data.shape)}"
        if show_saved:
            label += f"\nsaved {ledger.format_bytes(ledger._bytes_by_node(g.members)[0])}"
        member_lives = {(lf.state, id(lf.call)): lf for lf in (lives.get(m) for m in g.members) if lf is not None}
        style = dict(style_of(next(iter(member_lives.values())))) if len(member_lives) == 1 else {}
        style["style"] = style.get("style", "filled") + ",bold"
        w.node(g.id, label, peripheries="2", tooltip=f"module {g.title}: {len(g.members)} nodes", **style)

    if show_saved:
        dot.attr(label=f"saved tensors hold {ledger.format_bytes(total_saved)} (each storage counted once)",
                 labelloc="b")
    if legend:
        _add_legend(dot, lives, palette)
    resize_graph(dot)
    return dot


def _with_attrs(fn, name, max_attr_chars):
    """torchviz's attribute table under the node's name (saved tensors and op arguments)."""
    attrs = {}
    for key in getattr(fn.op, "saved_names", ()) or ():
        attrs[key] = "[freed]" if fn._released else "[saved tensor]"
    for key, val in (fn.kwargs or {}).items():
        attrs[key] = str(val)
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    col1width = max(len(k) for k in attrs.keys())
    col2width = min(max(len(str(v)) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(col1width + col2width + 2, len(name.split("\n")[0]))
    attrstr = "%-" + str(col1width) + "s: %" + str(col2width) + "s"

    def truncate(s):
        return s[: col2width - 3] + "..." if len(s) > col2width else s

    return name + "\n" + sep + "\n" + "\n".join(attrstr % (k, truncate(str(v))) for (k, v) in attrs.items())


def _flatten(var):
    out = flatten(var)
    for v in out:
        if not isinstance(v, Tensor):
            raise TypeError(f"make_dot expects a tensor or a list/tuple of tensors, got {type(v).__name__}")
    return out


def _add_legend(dot, lives, palette):
    states = {lf.state for lf in lives.values()}
    if not states & {"retained", "freed"}:
        return
    with dot.subgraph(name="cluster_legend") as sub:
        sub.attr(label="lifetime", fontsize="10", style="rounded")
        if "alive" in states:
            sub.node("legend_alive", "alive: holds its saved tensors", fontsize="9")
        retained = {}
        for lf in lives.values():
            if lf.state == "retained" and lf.call is not None:
                retained[id(lf.call)] = lf.call
        for call in sorted(retained.values(), key=lambda c: getattr(c, "number", 0)):
            sub.node(f"legend_retained_{getattr(call, 'number', 0)}", f"retained by {ledger.label(call)}",
                     fillcolor=RETAINED, fontsize="9")
        for colour, call in sorted(palette.values(), key=lambda cc: getattr(cc[1], "number", 0)):
            sub.node(f"legend_freed_{getattr(call, 'number', 0)}", f"freed by {ledger.label(call)}",
                     fillcolor=colour, style="filled,dashed", fontsize="9")


def resize_graph(dot, size_per_element=0.15, min_size=12):
    """Resize the graph according to how much content it contains (as torchviz does)."""
    num_rows = len(dot.body)
    content_size = num_rows * size_per_element
    size = max(min_size, content_size)
    size_str = str(size) + "," + str(size)
    dot.graph_attr.update(size=size_str)

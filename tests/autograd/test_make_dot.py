"""graphgrad.viz.make_dot: torchviz's output conventions, plus lifetimes, saved bytes, collapse, big graphs."""

from __future__ import annotations

import collections
import importlib
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import graphgrad as gg

pytest.importorskip("graphviz")
from graphgrad.viz import DotNotFound, make_dot  # noqa: E402

HERE = Path(__file__).name


# --- reading DOT text ------------------------------------------------------------------------------------
_STMT = re.compile(r'^\t(?P<head>[^\[\n]*?)(?: \[(?P<attrs>(?:[^\]"]|"(?:[^"\\]|\\.)*")*)\])?$', re.M)
_LABEL = re.compile(r'label=("(?:[^"\\]|\\.)*"|[\w.]+)')


def parse(source):
    """{node id: (label, attrs text)} and [(tail, head, attrs text)] of a DOT source written by make_dot."""
    nodes, edges = {}, []
    for m in _STMT.finditer(source):
        head, attrs = m.group("head").strip(), m.group("attrs") or ""
        if " -> " in head:
            a, b = (x.strip('"') for x in head.split(" -> "))
            edges.append((a, b, attrs))
        elif head and head not in ("graph", "node", "edge") and not head.startswith(("subgraph", "}")):
            label = _LABEL.search(attrs)
            nodes[head.strip('"')] = (label.group(1).strip('"') if label else "", attrs)
    return nodes, edges


def fn_names(source):
    """The grad_fn names of the nodes (first line of each label that ends with Backward<n> or is AccumulateGrad)."""
    nodes, _ = parse(source)
    out = []
    for label, _ in nodes.values():
        first = label.split("\n")[0]
        if re.fullmatch(r"\w+Backward\d*|AccumulateGrad", first):
            out.append(first)
    return collections.Counter(out)


def _graph(T):
    rng = np.random.default_rng(0)
    W = T.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = T.tensor(np.zeros(4, np.float32), requires_grad=True)
    x = T.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    h = (x @ W + b).sigmoid()
    loss = (h * h).mean()
    return loss, {"fc.weight": W, "fc.bias": b}


# --- torchviz's conventions ------------------------------------------------------------------------------
def test_conventions_nodes_edges_labels_colours():
    loss, params = _graph(gg)
    dot = make_dot(loss, params=params)
    src = dot.source
    nodes, edges = parse(src)
    assert src.startswith("digraph {")
    assert "node [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]" in src
    labels = {label.split("\n")[0]: (label, attrs) for label, attrs in nodes.values()}
    assert labels["fc.weight"][0] == "fc.weight\n (3, 4)" and "fillcolor=lightblue" in labels["fc.weight"][1]
    assert labels["fc.bias"][0] == "fc.bias\n (4)"
    assert "fillcolor=darkolivegreen1" in labels["loss"][1] and labels["loss"][0] == "loss\n ()"
    assert fn_names(src) == collections.Counter(
        {"AccumulateGrad": 2, "MeanBackward0": 1, "MulBackward0": 1, "SigmoidBackward0": 1, "AddBackward0": 1,
         "MmBackward0": 1})
    # edges run from inputs to outputs: leaf -> AccumulateGrad -> ... -> MeanBackward0 -> loss tensor
    by_label = {label.split("\n")[0]: nid for nid, (label, _) in nodes.items()}
    assert (by_label["fc.weight"], by_label["AccumulateGrad"], "") in edges or any(
        a == by_label["fc.weight"] for a, _, _ in edges)
    assert (by_label["MeanBackward0"], by_label["loss"], "") in edges
    # the site line under each grad_fn's name
    mul = labels["MulBackward0"][0]
    assert re.fullmatch(rf"MulBackward0\n{HERE}:\d+", mul)
    assert dot.graph_attr["size"] == "12,12"


def test_same_nodes_and_edges_as_torchviz_on_real_torch(torch_ref):
    """torchviz's walk (one node per grad_fn, an edge per next_function) on real PyTorch gives the same
    grad_fn names and edge count as graphgrad's make_dot on the same program."""
    loss, _ = _graph(torch_ref)
    names, n_edges, seen = collections.Counter(), 0, set()
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        names[type(fn).__name__] += 1
        if hasattr(fn, "variable"):
            n_edges += 1  # leaf -> AccumulateGrad
        for u, _ in fn.next_functions:
            if u is not None:
                n_edges += 1
                stack.append(u)
    n_edges += 1  # grad_fn -> output
    g_loss, _ = _graph(gg)
    src = make_dot(g_loss).source
    assert fn_names(src) == names
    assert len(parse(src)[1]) == n_edges


def test_show_attrs_table():
    x = gg.ones(2, 3, requires_grad=True)
    src = make_dot(x.sum(dim=1), show_attrs=True, show_sites=False).source
    assert "SumBackward" in src and "[saved tensor]" not in src
    y = x.exp()
    src = make_dot(y, show_attrs=True, show_sites=False).source
    assert "result: [saved tensor]" in src
    y.sum().backward()
    assert "result: [freed]" in make_dot(y, show_attrs=True).source


# --- beyond torchviz -------------------------------------------------------------------------------------
def test_after_backward_lifetime_colours_and_legend():
    loss, params = _graph(gg)
    before = make_dot(loss, params=params).source
    assert "cluster_legend" not in before and "fillcolor=lightpink" not in before
    loss.backward()  # frees everything
    src = make_dot(loss, params=params).source
    nodes, _ = parse(src)
    freed = [label for label, attrs in nodes.values() if 'style="filled,dashed"' in attrs and "lightpink" in attrs]
    assert any(label.startswith("SigmoidBackward0") for label in freed)
    assert "subgraph cluster_legend" in src
    assert re.search(rf'legend_freed_\d+ \[label="freed by backward\(\) #\d+ at {HERE}:\d+"', src)
    assert "tooltip=" in src and "freed by backward() #" in src


def test_retained_and_two_backward_calls_get_their_own_colours():
    x = gg.ones(3, requires_grad=True)
    shared = x.exp()
    a = shared.sin().sum()
    a.backward(retain_graph=True)
    src = make_dot(a).source
    assert "fillcolor=gold" in src and "retained by backward() #" in src
    b = x.cos().sum()
    b.backward()
    a.backward()
    src = make_dot([a, b]).source
    colours = set(re.findall(r"legend_freed_\d+ \[label=\"freed by backward\(\) #\d+ at [^\"]+\" fillcolor=(\w+)", src))
    assert colours == {"lightpink", "plum"}
    assert src.count("fillcolor=darkolivegreen1") == 2  # a list of outputs: one box each


def test_show_saved_with_bytes_before_and_after_backward():
    x = gg.tensor(np.ones((4, 4), np.float32), requires_grad=True)
    y = x.exp()
    z = (y.sin() * 2).sum()
    src = make_dot(z, show_saved=True).source
    nodes, edges = parse(src)
    saved = [label for label, attrs in nodes.values() if "fillcolor=orange" in attrs]
    assert "result\n (4, 4)\n64 B" in saved
    assert 'label="saved tensors hold 64 B (each storage counted once)"' in src
    assert any("dir=none" in attrs for _, _, attrs in edges)
    z.backward()
    src = make_dot(z, show_saved=True).source
    assert "result\n(freed)" in src and "saved tensors hold 0 B" in src


def test_tuple_of_outputs_and_named_outputs():
    x = gg.ones(2, requires_grad=True)
    first, second = x.sin(), x.cos()
    src = make_dot((first, second)).source
    assert src.count("fillcolor=darkolivegreen1") == 2
    assert "first\n (2)" in src and "second\n (2)" in src and "x\n (2)" in src


def test_tens_of_thousands_of_nodes_without_recursion():
    x = gg.ones(2, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y.sin()
    limit = sys.getrecursionlimit()
    src = make_dot(y).source
    assert sys.getrecursionlimit() == limit
    assert fn_names(src)["SinBackward0"] == 20_000


# --- collapsing modules ----------------------------------------------------------------------------------
class TinyMLP:
    """A two-layer model from graphgrad ops with torch's parameter API (graphgrad.nn is used if present)."""

    def __init__(self, T):
        rng = np.random.default_rng(1)
        self._p = {
            "fc1.weight": T.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True),
            "fc1.bias": T.tensor(np.zeros(4, np.float32), requires_grad=True),
            "fc2.weight": T.tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True),
            "fc2.bias": T.tensor(np.zeros(2, np.float32), requires_grad=True),
        }

    def named_parameters(self):
        return list(self._p.items())

    def __call__(self, x):
        p = self._p
        h = (x @ p["fc1.weight"].t() + p["fc1.bias"]).relu()
        return h @ p["fc2.weight"].t() + p["fc2.bias"]


def test_collapse_every_module_by_parameter_prefix():
    model = TinyMLP(gg)
    out = model(gg.ones(5, 3))
    src = make_dot(out, params=dict(model.named_parameters()), collapse=True).source
    nodes, edges = parse(src)
    assert set(nodes) >= {"module_fc1", "module_fc2"}
    fc1 = nodes["module_fc1"][0]
    assert fc1.startswith("fc1\n") and "TBackward0" in fc1 and "weight (4, 3)" in fc1 and "bias (4)" in fc1
    assert "peripheries=2" in nodes["module_fc1"][1]
    names = fn_names(src)
    assert names["ReluBackward0"] == 1 and "AccumulateGrad" not in names and "TBackward0" not in names
    relu = next(n for n, (label, _) in nodes.items() if label.startswith("ReluBackward0"))
    assert ("module_fc1", relu, "") in edges
    assert any(a == relu for a, b, _ in edges if b == "module_fc2")


def test_collapse_one_module_object_or_prefix():
    nn = pytest.importorskip("graphgrad.nn") if _has_nn() else None
    if nn is not None:
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        params = dict(model.named_parameters())
        out = model(gg.ones(5, 3))
        src = make_dot(out, params=params, collapse=model[0]).source
        assert re.search(r'module_0__Linear_ \[label="0 \(Linear\)', src)
    model = TinyMLP(gg)
    out = model(gg.ones(5, 3))
    src = make_dot(out, params=dict(model.named_parameters()), collapse="fc2").source
    assert "module_fc2" in src and "module_fc1" not in src and "fc1.weight\n (4, 3)" in src
    with pytest.raises(ValueError, match="params=dict"):
        make_dot(out, collapse=True)


def _has_nn():
    try:
        importlib.import_module("graphgrad.nn")
    except Exception:
        return False
    return True


def test_seed_make_dot_usage():
    """The seed's call, ``make_dot(model(x), params=dict(model.named_parameters()))``."""
    if _has_nn():
        from tests.seeds.programs import seed003_make_dot

        dot = seed003_make_dot(gg, make_dot)
        src = dot.source
        assert "conv1.weight\n (5, 1, 5, 5)" in src and "fc2.bias\n (10)" in src
        assert fn_names(src)["AccumulateGrad"] == 8
    model = TinyMLP(gg)
    dot = make_dot(model(gg.ones(1, 3)), params=dict(model.named_parameters()))
    assert "fc1.weight\n (4, 3)" in dot.source and "fc2.bias\n (2)" in dot.source


# --- rendering ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz dot program is not installed")
def test_renders_svg():
    loss, params = _graph(gg)
    loss.backward()
    svg = make_dot(loss, params=params, show_saved=True).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "SigmoidBackward0" in svg


def test_without_dot_render_says_what_to_install(monkeypatch, tmp_path):
    import graphviz

    loss, params = _graph(gg)
    dot = make_dot(loss, params=params)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on it
    with pytest.raises(DotNotFound) as info:
        dot.render(str(tmp_path / "g"), format="svg")
    assert "apt-get install graphviz" in str(info.value) and ".source" in str(info.value)
    assert isinstance(info.value, graphviz.ExecutableNotFound)  # existing handlers still catch it
    with pytest.raises(DotNotFound):
        dot.pipe(format="png")
    assert dot.source.startswith("digraph")  # the DOT text and describe() still work
    assert "SigmoidBackward0" in gg.autograd.graph.describe(loss)
    assert dot._repr_mimebundle_() == {"text/plain": dot.source}


def test_viz_imports_without_graphviz(monkeypatch):
    from graphgrad.viz import dot as dot_mod

    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(dot_mod, "_classes", {})
    importlib.reload(importlib.import_module("graphgrad.viz"))
    x = gg.ones(2, requires_grad=True)
    with pytest.raises(ImportError, match="pip install graphviz"):
        make_dot(x.sin())


def test_without_sites_labels_are_torchviz_names_only():
    from graphgrad.autograd.graph import set_record_sites

    set_record_sites(False)
    try:
        x = gg.ones(2, requires_grad=True)
        y = x.sin()
    finally:
        set_record_sites(True)
    nodes, _ = parse(make_dot(y).source)
    assert any(label == "SinBackward0" for label, _ in nodes.values())

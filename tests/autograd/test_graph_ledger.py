"""The ledger: saved_tensors / saved_bytes / release / describe (graphgrad.autograd.graph)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.autograd.graph import describe, release, saved_bytes, saved_tensors


def f32(*shape):
    return gg.tensor(np.ones(shape, dtype=np.float32), requires_grad=True)


def test_records_and_bytes_before_and_after_backward():
    x = f32(4, 4)
    y = x.exp()  # saves its result: 64 bytes
    z = y.sin().sum()  # sin saves its input y (the same storage as exp's result)
    recs = saved_tensors(z)
    assert {(r.node, r.name, r.shape, r.dtype, r.bytes, r.state) for r in recs} == {
        ("ExpBackward0", "result", (4, 4), "float32", 64, "alive"),
        ("SinBackward0", "self", (4, 4), "float32", 64, "alive"),
    }
    assert saved_bytes(z) == 64  # one storage, counted once
    z.backward()
    assert saved_bytes(z) == 0
    assert {r.state for r in saved_tensors(z)} == {"freed"}
    assert all(r.bytes == 0 and r.shape is None for r in saved_tensors(z))


def test_views_share_storage_and_count_once():
    x = f32(8, 8)
    y = x @ x.t()  # mm saves x and x.t(): a view of x
    recs = saved_tensors(y)
    assert sorted(r.bytes for r in recs) == [256, 256]
    assert saved_bytes(y) == 256
    assert all(r.leaf for r in recs)  # x's storage belongs to a leaf
    assert saved_bytes(y, leaves=False) == 0


def test_a_saved_view_keeps_its_whole_base_alive():
    x = f32(100)
    big = x * 2  # 400 bytes, not a leaf
    part = big[:10]
    out = part.exp().sum()  # exp saves its own result (a new 40-byte array)
    inner = part.sin().sum()  # sin saves `part`, a view of big: all 400 bytes stay alive
    assert saved_bytes(out) == 40
    assert saved_bytes(inner) == 400


def test_retained_graph_and_release():
    x = f32(4)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    assert [r.state for r in saved_tensors(y)] == ["retained"]
    assert saved_bytes(y) == 16
    assert release(y) == 16
    assert saved_bytes(y) == 0
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert msg.startswith("Trying to backward through the graph a second time")
    assert "release() #" in msg and "test_graph_ledger.py" in msg


def test_release_of_a_list_and_of_a_node():
    x = f32(4)
    a, b = x.exp().sum(), x.sin().sum()
    assert saved_bytes([a, b]) == 32
    release([a, b.grad_fn])
    assert saved_bytes([a, b]) == 0


def test_custom_function_saved_tensors_are_counted():
    class Cube(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = f32(5)
    y = Cube.apply(x).sum()
    assert any(r.node == "CubeBackward" and r.bytes == 20 for r in saved_tensors(y))
    y.backward()
    assert x.grad.tolist() == [3.0] * 5
    assert saved_bytes(y) == 0


def test_no_graph():
    t = gg.ones(3)
    assert saved_tensors(t) == [] and saved_bytes(t) == 0
    assert describe(t).startswith("no graph")


def test_describe_shows_state_bytes_lines_and_names():
    W = f32(3, 3)
    x = gg.ones(2, 3)
    h = (x @ W).tanh()  # two nodes on this line
    loss = h.sum()
    text = describe(loss)
    lines = text.splitlines()
    # mm saves x (24 B; W's gradient needs it), not W (x's gradient is not needed); tanh its result (24 B)
    assert lines[0].startswith("graph of SumBackward0") and "4 nodes" in lines[0] and "48 B" in lines[0]
    assert "#2 TanhBackward0  alive  saved 24 B  @ test_graph_ledger.py:" in lines[2]
    assert "h = (x @ W).tanh()" in lines[2]
    assert "AccumulateGrad leaf W (3, 3)" in text  # named after the caller's variable
    assert "AccumulateGrad leaf fc.weight (3, 3)" in describe(loss, params={"fc.weight": W})
    loss.backward()
    after = describe(loss)
    assert "TanhBackward0  freed by backward() #" in after and "saved tensors hold 0 B" in after
    assert "SumBackward0  ran in backward() #" in after  # holds nothing: shown with the call that ran it


def test_describe_layout_side_inputs_and_references():
    a = f32(2)
    b = a * a.exp()  # a is used twice: the second time it is a reference
    text = describe(b)
    assert "+- " in text and "^ #" in text
    lines = text.splitlines()
    assert lines[1].startswith("#1 MulBackward0")


def test_describe_and_ledger_on_100k_nodes_without_recursion():
    x = f32(2)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    full = describe(y)
    assert sys.getrecursionlimit() == limit
    assert "100001 nodes" in full.splitlines()[0]
    assert len(full.splitlines()) == 100_002
    assert max(len(line) for line in full.splitlines()) < 200  # chains stay flat
    assert saved_bytes(y) == 0


def test_describe_max_lines():
    y = f32(2)
    for _ in range(30):
        y = y.sin()
    text = describe(y, max_lines=10)
    assert len(text.splitlines()) == 12 and text.endswith("(21 more nodes)")


def test_sites_off_still_describes():
    from graphgrad.autograd.graph import set_record_sites

    set_record_sites(False)
    try:
        x = f32(3)
        y = x.exp().sum()
    finally:
        set_record_sites(True)
    text = describe(y)
    assert "ExpBackward0  alive  saved 12 B" in text and "@" not in text

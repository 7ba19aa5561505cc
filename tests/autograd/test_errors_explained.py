"""graphgrad's context after PyTorch's error texts: which node, created where, freed by which backward()."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import graphgrad as gg
from graphgrad._core.modes import modes
from graphgrad.autograd import errors, explain
from graphgrad.autograd.graph import BackwardCall, _Sites, set_record_sites

HERE = Path(__file__).name
_SOURCE = Path(__file__).read_text().splitlines()


def L(marker):
    for i, line in enumerate(_SOURCE, 1):
        if line.rstrip().endswith(f"# L:{marker}"):
            return f"{HERE}:{i}"
    raise KeyError(marker)


@pytest.fixture
def sites_on():
    prev = _Sites.enabled
    set_record_sites(True)
    yield
    set_record_sites(prev)


def raises(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


# --- second backward -----------------------------------------------------------------------------------
def test_pytorch_text_first_then_context(sites_on):
    x = gg.ones(3, requires_grad=True)
    y = (x * x).sum()  # L:made
    y.backward()  # L:freed
    msg = raises(lambda: y.backward())
    head, _, context = msg.partition("\n\n")
    assert head == errors.SECOND_BACKWARD
    assert context.startswith("graphgrad: MulBackward0 needed its saved tensors")
    assert f"MulBackward0 was created at {L('made')}  y = (x * x).sum()" in context
    assert "freed by the backward() #" in context and f"at {L('freed')}  y.backward()" in context


def test_freed_by_is_a_backward_call_record(sites_on):
    x = gg.ones(3, requires_grad=True)
    y = x.exp()
    y.sum().backward()  # L:call
    call = y.grad_fn._freed_by
    assert isinstance(call, BackwardCall) and call.kind == "backward" and not call.retain
    assert tuple(call) == (__file__, int(L("call").rsplit(":", 1)[1]))
    a = gg.ones(2, requires_grad=True)
    b = a.exp()
    gg.autograd.grad(b.sum(), a)
    later = b.grad_fn._freed_by
    assert later.kind == "grad" and later.number > call.number and later.seq > call.seq


def test_accessing_saved_tensors_after_backward(sites_on):
    x = gg.ones(3, requires_grad=True)
    y = x.exp()
    y.sum().backward()
    msg = raises(lambda: y.grad_fn.saved_tensors)
    assert msg.startswith(errors.SECOND_BACKWARD)
    assert "accessed after that call" in msg


def test_retain_graph_then_second_backward_works_and_third_explains(sites_on):
    x = gg.ones(3, requires_grad=True)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    msg = raises(lambda: y.backward())
    assert "Both calls started from the same output" in msg


def test_second_backward_with_sites_off():
    x = gg.ones(3, requires_grad=True)
    set_record_sites(False)
    try:
        y = x.exp().sum()
        y.backward()
        msg = raises(lambda: y.backward())
    finally:
        set_record_sites(True)
    assert msg.startswith(errors.SECOND_BACKWARD)
    assert "set_record_sites(True)" in msg  # says why no line is shown
    assert "Both calls started from the same output" in msg  # the diagnosis needs no sites


# --- modified in place -----------------------------------------------------------------------------------
def test_inplace_names_the_write_and_the_saving_node(sites_on, torch_ref):
    def run(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        z = y.sin()  # L:sin
        y.mul_(3)  # L:write
        z.sum().backward()

    msg = raises(lambda: run(gg))
    with pytest.raises(RuntimeError) as info:
        run(torch_ref)
    assert msg.startswith(str(info.value))
    assert f"SinBackward0 (created at {L('sin')}" in msg
    assert f"modified in place afterwards, at {L('write')}  y.mul_(3)" in msg


def test_inplace_on_a_leaf_saved_by_the_graph_mentions_the_optimizer(torch_ref):
    def run(T):
        w = T.ones(2, requires_grad=True)
        loss = (w * w).sum()
        with T.no_grad():
            w.add_(1)
        loss.backward()

    msg = raises(lambda: run(gg))
    with pytest.raises(RuntimeError) as info:
        run(torch_ref)
    assert msg.startswith(str(info.value))  # "[torch.FloatTensor [2]] is at version 1" (no "output 0 of")
    assert "saved the leaf w [2]" in msg and "optimizer.step()" in msg


# --- where the chain was cut -----------------------------------------------------------------------------
def test_cut_by_detach_is_passed_on_through_later_ops(sites_on):
    w = gg.ones(3, requires_grad=True)
    d = (w * 2).detach()  # L:detach
    loss = ((d + 1) * 3).sum()
    msg = raises(lambda: loss.backward())
    assert msg.startswith("element 0 of tensors does not require grad and does not have a grad_fn")
    assert f"computed from a detach() at {L('detach')}" in msg


def test_cut_by_no_grad(sites_on):
    w = gg.ones(3, requires_grad=True)
    with gg.no_grad():
        out = w * 2  # L:no_grad
    msg = raises(lambda: out.sum().backward())
    assert f"under no_grad() at {L('no_grad')}" in msg


def test_no_cut_recorded_for_constants_or_with_sites_off():
    a = gg.ones(3)
    with gg.no_grad():
        b = a * 2  # no input requires grad: nothing was cut
    assert b._extra is None
    w = gg.ones(3, requires_grad=True)
    set_record_sites(False)
    try:
        with gg.no_grad():
            c = w * 2
    finally:
        set_record_sites(True)
    assert c._extra is None


def test_no_cut_sites_are_recorded_inside_backward(monkeypatch):
    """The engine's derivatives run under no-grad on saved tensors that require grad: recording a cut
    there would cost a frame walk per op; the engine's in_backward flag skips it."""
    calls = []
    real = explain.note_cut
    import graphgrad.ops._op as op_mod

    monkeypatch.setattr(op_mod, "note_cut", lambda out, ins: calls.append(1) or real(out, ins))
    x = gg.ones(4, requires_grad=True)
    y = (x.sin() * x.cos()).exp().sum()
    y.backward()
    assert calls == [] and not modes.in_backward


def test_generic_explanation_for_a_plain_leaf():
    loss = gg.zeros(())
    msg = raises(lambda: loss.backward())
    assert "`loss` has no history" in msg and ".item()" in msg and "frozen" in msg
    loss = gg.tensor(3.0)  # a factory records its line: the message says where the number was wrapped
    msg = raises(lambda: loss.backward())
    assert "`loss` was created by graphgrad.tensor() at test_errors_explained.py:" in msg


# --- non-leaf .grad --------------------------------------------------------------------------------------
def test_non_leaf_grad_warning_names_leaves_and_retain_grad(sites_on):
    a = gg.ones(2, requires_grad=True)
    b = gg.ones(2, requires_grad=True)
    c = a * b  # L:c
    c.sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert c.grad is None
    msg = str(caught[0].message)
    assert msg.startswith("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed.")
    assert f"`c` is the output of MulBackward0 created at {L('c')}" in msg
    assert "the leaves it comes from: a, b" in msg or "the leaves it comes from: b, a" in msg
    assert "c.retain_grad() before backward()" in msg


def test_retain_grad_before_backward_silences_the_warning():
    a = gg.ones(2, requires_grad=True)
    c = a * 3
    c.retain_grad()
    c.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert c.grad.tolist() == [1.0, 1.0]


# --- anomaly detection -----------------------------------------------------------------------------------
def test_detect_anomaly_names_the_forward_op_and_its_traceback(sites_on, torch_ref):
    def run(T):
        x = T.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with T.autograd.detect_anomaly():
                y = x.sqrt()  # L:sqrt
                try:
                    (y * 0).sum().backward()
                except RuntimeError as e:
                    return str(e), [str(c.message) for c in caught]
        raise AssertionError("no error")

    msg, warns = run(gg)
    tmsg, twarns = run(torch_ref)
    assert msg.startswith(tmsg) and tmsg == "Function 'SqrtBackward0' returned nan values in its 0th output."
    trace = [w for w in warns if w.startswith("Error detected in SqrtBackward0.")]
    assert trace and "y = x.sqrt()  # L:sqrt" in trace[0] and f'line {L("sqrt").split(":")[1]}' in trace[0]
    assert any(w.startswith("Error detected in SqrtBackward0.") for w in twarns)
    assert f"created at {L('sqrt')}" in msg and "saved result: 1 zero" in msg


def test_set_detect_anomaly_check_nan_off_lets_nan_through():
    x = gg.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gg.autograd.set_detect_anomaly(True, check_nan=False):
            (x.sqrt() * 0).sum().backward()
    assert x.grad.isnan().all()


# --- other engine errors ---------------------------------------------------------------------------------
def test_non_scalar_and_unused_input_context(sites_on):
    x = gg.ones(3, requires_grad=True)
    unused = gg.ones(3, requires_grad=True)
    v = x * 2  # L:v
    msg = raises(lambda: v.backward())
    assert msg.startswith("grad can be implicitly created only for scalar outputs")
    assert f"`v` has shape [3], the output of MulBackward0 created at {L('v')}" in msg
    msg = raises(lambda: gg.autograd.grad(v.sum(), [x, unused]))
    assert msg.startswith("The differentiated Tensor at index 1 appears to not have been used in the graph.")
    assert "back to `unused`" in msg and "depend on: x" in msg


def test_names_in_user_frame_finds_variables_and_module_parameters():
    class M:
        def __init__(self):
            self.w = gg.ones(2, requires_grad=True)

        def named_parameters(self):
            return [("w", self.w)]

    model = M()
    t = gg.ones(1)
    names = explain.names_in_user_frame()
    assert names[id(t)] == "t" and names[id(model.w)] == "model.w"

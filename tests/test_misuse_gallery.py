"""A gallery of real autograd mistakes, each from the kind of public issue thread users file again and again.

Every case runs the same code on real PyTorch (``torch_ref``; skipped cleanly when it is absent) and on
graphgrad. PyTorch's error text must come first in graphgrad's message, unchanged; then graphgrad's
context must name the node and the source lines involved (found here by their ``# L:name`` markers).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd.graph import describe, saved_bytes

HERE = Path(__file__).name
_SOURCE = Path(__file__).read_text().splitlines()


def L(marker: str) -> str:
    """``test_misuse_gallery.py:<line>`` of the line tagged ``# L:<marker>``."""
    for i, line in enumerate(_SOURCE, 1):
        if line.rstrip().endswith(f"# L:{marker}"):
            return f"{HERE}:{i}"
    raise KeyError(marker)


def _error(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def _strip_triggered(msg):
    return re.sub(r" \(Triggered internally at [^)]*\)\.?", "", msg).strip()


def check(fn, torch_mod, *must_contain):
    """Run ``fn`` on both libraries: same exception type, PyTorch's message first; then the context."""
    got = _error(fn, graphgrad)
    assert got is not None, "graphgrad raised nothing"
    if torch_mod is not None:
        want = _error(fn, torch_mod)
        assert want is not None, "torch raised nothing"
        assert got[0] == want[0]
        assert got[1].startswith(_strip_triggered(want[1])), f"\n{got[1]!r}\ndoes not start with\n{want[1]!r}"
    for text in must_contain:
        assert text in got[1], f"{text!r} not in:\n{got[1]}"
    return got[1]


@pytest.fixture
def torch_mod():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _params(T, seed=0, *shapes):
    rng = np.random.default_rng(seed)
    return [T.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


# 1 -------------------------------------------------------------------------------------------------------
def stale_output_reused(T):
    """'loss.backward() works once, then fails': the forward pass ran once, outside the training loop."""
    (W,) = _params(T, 1, (3, 2))
    x = T.ones(4, 3)
    y = T.zeros(4, 2)
    out = (x @ W).tanh()  # L:stale_out
    for _ in range(2):
        loss = ((out - y) ** 2).mean()
        loss.backward()  # L:stale_backward
        with T.no_grad():
            W -= 0.1 * W.grad


def test_stale_output_reused_across_iterations(torch_mod):
    msg = check(stale_output_reused, torch_mod, "TanhBackward0", L("stale_out"), L("stale_backward"),
                "The same backward() line ran before", "recompute it inside the loop")
    assert "retain_graph=True is the wrong fix" in msg


# 2 -------------------------------------------------------------------------------------------------------
def rnn_hidden_not_detached(T):
    """Truncated BPTT without detaching the hidden state (the classic 'backward through the graph a second
    time' report from language-model training loops)."""
    Wx, Wh = _params(T, 2, (3, 4), (4, 4))
    h = T.zeros(1, 4)
    for step in range(3):
        x = T.ones(1, 3) * step
        h = (x @ Wx + h @ Wh).tanh()  # L:rnn_h
        loss = h.pow(2).sum()
        loss.backward()  # L:rnn_backward


def test_rnn_hidden_state_not_detached(torch_mod):
    msg = check(rnn_hidden_not_detached, torch_mod, "TanhBackward0", L("rnn_h"), L("rnn_backward"),
                "h = h.detach()")
    assert "the old tensor: the output of TanhBackward0, created at " + L("rnn_h") in msg
    assert "retain_graph=True is the wrong fix" in msg


def test_rnn_with_retain_graph_hides_the_bug_and_grows(torch_mod):
    """The 'fix' from the threads, retain_graph=True, runs, but each step backpropagates into all the
    previous ones and the retained graph's saved tensors keep growing: the ledger shows it."""
    T = graphgrad
    Wx, Wh = _params(T, 2, (3, 4), (4, 4))
    h = T.zeros(1, 4)
    held = []
    for step in range(4):
        h = (T.ones(1, 3) * step @ Wx + h @ Wh).tanh()
        loss = h.pow(2).sum()
        loss.backward(retain_graph=True)
        held.append(saved_bytes(loss))
    assert all(a < b for a, b in zip(held, held[1:]))  # every iteration's graph is still held
    assert "retained by backward()" in describe(loss)


# 3 -------------------------------------------------------------------------------------------------------
def two_losses_two_backwards(T):
    """A shared trunk with two heads, one backward() per loss."""
    W, A, B = _params(T, 3, (3, 4), (4, 1), (4, 1))
    feat = (T.ones(2, 3) @ W).sigmoid()  # L:trunk
    loss1 = (feat @ A).sum()
    loss2 = (feat @ B).pow(2).sum()
    loss1.backward()  # L:first_loss
    loss2.backward()


def test_two_losses_sharing_a_trunk(torch_mod):
    check(two_losses_two_backwards, torch_mod, "SigmoidBackward0", L("trunk"), L("first_loss"),
          "Sum the losses", "(loss1 + loss2).backward()", "retain_graph=True to the first backward()")


# 4 -------------------------------------------------------------------------------------------------------
def same_loss_twice(T):
    """The seed's multi-task loop: ``loss.backward()`` where ``loss2.backward()`` was meant."""
    W1, W2 = _params(T, 4, (3, 1), (3, 1))
    x = T.ones(5, 3)
    loss = (x @ W1).pow(2).mean()  # L:loss1
    loss.backward()  # L:backward1
    loss2 = (x @ W2).abs().mean()  # noqa: F841
    loss.backward()  # L:backward_again


def test_backward_twice_on_the_same_loss(torch_mod):
    check(same_loss_twice, torch_mod, "PowBackward0", L("loss1"), L("backward1"), L("backward_again"),
          "Both calls started from the same output", "loss2.backward()")


# 5 -------------------------------------------------------------------------------------------------------
def optimizer_step_between_backwards(T):
    """SRGAN's update: D's backward(retain_graph=True), D's optimizer step, then G's backward through
    the retained graph, which saved D's old weights."""
    G, D = _params(T, 5, (3, 3), (3, 1))
    fake = T.ones(2, 3) @ G
    fake_out = (fake @ D).sigmoid().mean()  # L:fake_out
    d_loss = 1 - fake_out
    d_loss.backward(retain_graph=True)
    with T.no_grad():
        D.sub_(0.1 * D.grad)  # L:optimizer_step
    g_loss = fake_out * 2
    g_loss.backward()


def test_optimizer_step_between_backward_calls(torch_mod):
    msg = check(optimizer_step_between_backwards, torch_mod, "MmBackward0", L("fake_out"), L("optimizer_step"),
                "saved the leaf D [3, 1]", "optimizer.step()")
    assert "(version 0 -> 1)" in msg


# 6 -------------------------------------------------------------------------------------------------------
def loss_under_no_grad(T):
    (W,) = _params(T, 6, (3, 1))
    with T.no_grad():
        pred = T.ones(2, 3) @ W  # L:no_grad_pred
    loss = (pred - 1).pow(2).mean()
    loss.backward()


def test_computed_under_no_grad_then_backward(torch_mod):
    check(loss_under_no_grad, torch_mod, "`loss`", "under no_grad()", L("no_grad_pred"))


def test_requires_grad_true_only_silences_the_error(torch_mod):
    """'Fix' from the threads: ``loss.requires_grad = True``. backward() runs, and W.grad stays None."""

    def silenced(T):
        (W,) = _params(T, 6, (3, 1))
        with T.no_grad():
            pred = T.ones(2, 3) @ W
        loss = (pred - 1).pow(2).mean()
        loss.requires_grad = True
        loss.backward()
        return W.grad

    assert silenced(graphgrad) is None
    if torch_mod is not None:
        assert silenced(torch_mod) is None
    msg = check(loss_under_no_grad, torch_mod)
    assert "Setting requires_grad=True on `loss` would only silence this error" in msg


# 7 -------------------------------------------------------------------------------------------------------
def inplace_relu_on_saved_output(T):
    """``nn.ReLU(inplace=True)`` right after an op that saved its output (sigmoid/exp/tanh)."""
    (W,) = _params(T, 7, (3, 3))
    h = (T.ones(2, 3) @ W).sigmoid()  # L:sigmoid
    h.relu_()  # L:relu_
    h.sum().backward()


def test_inplace_relu_on_a_saved_output(torch_mod):
    check(inplace_relu_on_saved_output, torch_mod, "output 0 of Sigmoid", "SigmoidBackward0", L("sigmoid"),
          L("relu_"), "saved its own output")


def plus_equals_on_saved_input(T):
    (W,) = _params(T, 8, (3,))
    a = W * 2
    b = a * a  # L:mul_saves
    a += 1  # L:iadd
    b.sum().backward()


def test_plus_equals_on_a_saved_input(torch_mod):
    check(plus_equals_on_saved_input, torch_mod, "which is output 0 of Add", "MulBackward0", L("mul_saves"),
          L("iadd"), "x = x + 1 instead of x += 1")


# 8 -------------------------------------------------------------------------------------------------------
def backward_on_non_scalar(T):
    (W,) = _params(T, 9, (3,))
    out = W * 3  # L:vector_out
    out.backward()


def test_backward_on_a_non_scalar(torch_mod):
    check(backward_on_non_scalar, torch_mod, "`out` has shape [3]", "MulBackward0", L("vector_out"), ".sum()")


# 9 -------------------------------------------------------------------------------------------------------
def test_reading_grad_of_a_non_leaf(torch_mod):
    def read(T):
        (w,) = _params(T, 10, (3,))
        hidden = w * 2  # L:hidden
        hidden.sum().backward()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            g = hidden.grad
        return g, [str(c.message) for c in caught]

    g, msgs = read(graphgrad)
    assert g is None and len(msgs) == 1
    if torch_mod is not None:
        tg, tmsgs = read(torch_mod)
        assert tg is None and msgs[0].startswith(_strip_triggered(tmsgs[0]))
    assert "`hidden` is the output of MulBackward0 created at " + L("hidden") in msgs[0]
    assert "the leaves it comes from: w" in msgs[0]
    assert "hidden.retain_grad() before backward()" in msgs[0]


# 10 ------------------------------------------------------------------------------------------------------
def detach_in_the_middle(T):
    """A ``.detach()`` left in a model's forward (copied from a GAN or a target-network snippet)."""
    (W,) = _params(T, 11, (3, 2))
    feats = (T.ones(4, 3) @ W).relu()
    pred = feats.detach()  # L:detach
    loss = (pred - 1).pow(2).mean()
    loss.backward()


def test_detach_in_the_middle_of_a_model(torch_mod):
    check(detach_in_the_middle, torch_mod, "computed from a detach() at " + L("detach"))


def test_detach_in_the_middle_silently_drops_gradients(torch_mod):
    """With trainable layers after the detach there is no error at all: the layers before it get no grad."""

    def run(T):
        W1, W2 = _params(T, 12, (3, 3), (3, 1))
        h = (T.ones(2, 3) @ W1).tanh().detach()
        (h @ W2).sum().backward()
        return W1.grad is None, W2.grad is not None

    assert run(graphgrad) == (True, True)
    if torch_mod is not None:
        assert run(torch_mod) == (True, True)


# 11 ------------------------------------------------------------------------------------------------------
def item_rewrapped(T):
    """``loss = torch.tensor(loss.item())``: the value survives, the graph does not."""
    (W,) = _params(T, 13, (3,))
    loss = (W * W).sum()
    loss = T.tensor(loss.item())  # L:rewrap
    loss.backward()


def test_item_then_rewrapped_into_a_tensor(torch_mod):
    check(item_rewrapped, torch_mod, "`loss` has no history", ".item()")


# 12 ------------------------------------------------------------------------------------------------------
def running_total_backward(T):
    """``total_loss += loss`` (no .item()), then ``total_loss.backward()`` each iteration."""
    (W,) = _params(T, 14, (3,))
    total_loss = 0
    for i in range(3):
        loss = (W * i).sin().sum()  # L:running_loss
        total_loss = total_loss + loss
        total_loss.backward()  # L:running_backward


def test_running_total_without_item(torch_mod):
    check(running_total_backward, torch_mod, "SinBackward0", L("running_loss"), L("running_backward"),
          "total += loss.item()")


def test_running_total_keeps_every_graph_alive():
    """Even with backward() on each loss (no error), a running total built from tensors keeps a chain of
    every iteration's nodes alive: the ledger counts them."""
    (W,) = _params(graphgrad, 14, (3,))
    total = 0
    sizes = []
    for i in range(5):
        loss = (W * i).sin().sum()
        total = total + loss
        loss.backward()
        sizes.append(int(describe(total).split("(", 2)[2].split(" nodes")[0]))
    assert sizes == sorted(sizes) and sizes[-1] >= sizes[0] + 4 * 3
    assert saved_bytes(total) == 0  # each backward freed what it saved; the nodes themselves remain


# 13 ------------------------------------------------------------------------------------------------------
def grad_of_unused_input(T):
    x, unused = _params(T, 15, (3,), (3,))
    y = (x * 2).sum()  # L:grad_out
    T.autograd.grad(y, [x, unused])


def test_autograd_grad_on_an_unused_input(torch_mod):
    check(grad_of_unused_input, torch_mod, "no path leads from the outputs back to `unused`",
          "The outputs depend on: x")


# 14 ------------------------------------------------------------------------------------------------------
def inplace_on_leaf(T):
    (w,) = _params(T, 16, (3,))
    w += 1


def test_inplace_on_a_leaf(torch_mod):
    check(inplace_on_leaf, torch_mod, "a leaf Variable that requires grad is being used in an in-place operation.")


# 15 ------------------------------------------------------------------------------------------------------
def numpy_on_requires_grad(T):
    (w,) = _params(T, 17, (3,))
    return (w * 2).numpy()


def test_numpy_on_a_tensor_that_requires_grad(torch_mod):
    check(numpy_on_requires_grad, torch_mod, "Use tensor.detach().numpy() instead.")


# 16 ------------------------------------------------------------------------------------------------------
class _Frozen:
    """A minimal module: parameters() / named_parameters(), all frozen (as after a bad fine-tuning setup)."""

    def __init__(self, T):
        self.weight = T.ones(3, 1)
        self.weight.requires_grad_(False)

    def named_parameters(self):
        return [("weight", self.weight)]

    def parameters(self):
        return [self.weight]

    def __call__(self, x):
        return x @ self.weight


def all_parameters_frozen(T):
    model = _Frozen(T)
    loss = model(T.ones(2, 3)).sum()
    loss.backward()


def test_all_parameters_frozen(torch_mod):
    check(all_parameters_frozen, torch_mod, "All the parameters of model have requires_grad=False (frozen)")


# 17 ------------------------------------------------------------------------------------------------------
def backward_twice_from_two_outputs(T):
    """The seed's ``z.mean().backward(); z.sum().backward()``: the second output is made after the first
    backward freed the shared part."""
    x = T.ones(3, requires_grad=True)
    y = x ** 2
    z = y * 4  # L:z
    z.mean().backward()  # L:mean_backward
    z.sum().backward()


def test_second_output_after_the_first_backward(torch_mod):
    msg = check(backward_twice_from_two_outputs, torch_mod, L("mean_backward"),
                "retain_graph=True to the first backward()", "call backward() once on their sum")
    # the first node found freed: PyTorch's PowBackward0 (mul by a Python number saves nothing there)
    # or graphgrad's MulBackward0; either way its creation line is named
    assert re.search(r"(PowBackward0|MulBackward0) was created at test_misuse_gallery.py:\d+", msg)


# 18 ------------------------------------------------------------------------------------------------------
def nan_from_sqrt_at_zero(T):
    x = T.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with T.autograd.detect_anomaly():
            y = x.sqrt()  # L:sqrt
            (y * 0).sum().backward()


def test_nan_gradient_found_by_detect_anomaly(torch_mod):
    check(nan_from_sqrt_at_zero, torch_mod, "Function 'SqrtBackward0' returned nan values in its 0th output.",
          L("sqrt"), "saved result: 1 zero")


# 19 ------------------------------------------------------------------------------------------------------
def release_then_backward(T):
    W = T.ones(3, 3, requires_grad=True)
    loss = (T.ones(1, 3) @ W).tanh().sum()
    loss.backward(retain_graph=True)
    graphgrad.autograd.graph.release(loss)  # L:release
    loss.backward()


def test_backward_after_an_explicit_release():
    check(release_then_backward, None, "release() #", L("release"), "freed this graph on purpose")


def test_gallery_has_at_least_fifteen_mistakes():
    cases = [name for name in globals() if name.startswith("test_") and "fifteen" not in name]
    assert len(cases) >= 15

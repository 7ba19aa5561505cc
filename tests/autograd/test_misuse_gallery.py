"""A gallery of real autograd mistakes, each the kind users report again and again in public forum and
issue threads.

Every entry of ``GALLERY`` is a ``Mistake``: a one-line story, the user's code (``run(T)``, written once for
``T = graphgrad`` and ``T = torch``), PyTorch's error text, the node (or the named tensor, for errors about a
leaf or a tensor without history) and the source lines graphgrad's message must name. One test checks all of
them on graphgrad: PyTorch's text first, then the node, then each line as ``file:line  code``; another runs
the same code on real PyTorch (``torch_ref``) and checks that graphgrad's message starts with PyTorch's,
unchanged. Lines are found by their ``# L:name`` markers.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd.graph import describe, saved_bytes

HERE = Path(__file__).name
_SOURCE = Path(__file__).read_text().splitlines()


def _marker_line(marker: str) -> int:
    hits = [i for i, line in enumerate(_SOURCE, 1) if line.rstrip().endswith(f"# L:{marker}")]
    assert len(hits) == 1, f"marker {marker!r} found {len(hits)} times"
    return hits[0]


def L(marker: str, code: bool = True) -> str:
    """``test_misuse_gallery.py:<line>  <code>`` of the line tagged ``# L:<marker>`` (as graphgrad names a
    line), or only ``test_misuse_gallery.py:<line>`` with ``code=False``."""
    i = _marker_line(marker)
    return f"{HERE}:{i}  {_SOURCE[i - 1].strip()}" if code else f"{HERE}:{i}"


def _params(T, seed, *shapes):
    rng = np.random.default_rng(seed)
    return [T.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


# --- the user's code, one function per mistake ------------------------------------------------------------
# Each runs unchanged on graphgrad and on PyTorch; the markers tag the lines the message must name.

def stale_output_reused(T):
    (W,) = _params(T, 1, (3, 2))
    x, y = T.ones(4, 3), T.zeros(4, 2)
    out = (x @ W).tanh()  # L:stale_out
    for _ in range(2):
        loss = ((out - y) ** 2).mean()
        loss.backward()  # L:stale_backward
        with T.no_grad():
            W -= 0.1 * W.grad


def rnn_hidden_not_detached(T):
    Wx, Wh = _params(T, 2, (3, 4), (4, 4))
    h = T.zeros(1, 4)
    for step in range(3):
        x = T.ones(1, 3) * step
        h = (x @ Wx + h @ Wh).tanh()  # L:rnn_h
        loss = h.pow(2).sum()
        loss.backward()  # L:rnn_backward


def two_losses_two_backwards(T):
    W, A, B = _params(T, 3, (3, 4), (4, 1), (4, 1))
    feat = (T.ones(2, 3) @ W).sigmoid()  # L:trunk
    loss1 = (feat @ A).sum()
    loss2 = (feat @ B).pow(2).sum()
    loss1.backward()  # L:first_loss
    loss2.backward()


def same_loss_twice(T):
    W1, W2 = _params(T, 4, (3, 1), (3, 1))
    x = T.ones(5, 3)
    loss = (x @ W1).pow(2).mean()  # L:loss1
    loss.backward()  # L:backward1
    loss2 = (x @ W2).abs().mean()  # noqa: F841
    loss.backward()  # L:backward_again


def optimizer_step_between_backwards(T):
    G, D = _params(T, 5, (3, 3), (3, 1))
    fake = T.ones(2, 3) @ G
    fake_out = (fake @ D).sigmoid().mean()  # L:fake_out
    d_loss = 1 - fake_out
    d_loss.backward(retain_graph=True)
    with T.no_grad():
        D.sub_(0.1 * D.grad)  # L:optimizer_step
    g_loss = fake_out * 2
    g_loss.backward()


def gan_fake_not_detached(T):
    G, D = _params(T, 18, (3, 3), (3, 1))
    fake = (T.ones(2, 3) @ G).tanh()  # L:gan_fake
    d_loss = (fake @ D).sigmoid().mean()  # should be D(fake.detach())
    d_loss.backward()  # L:gan_d_backward
    g_loss = 1 - (fake @ D).sigmoid().mean()
    g_loss.backward()


def running_total_backward(T):
    (W,) = _params(T, 14, (3,))
    total_loss = 0
    for i in range(3):
        loss = (W * i).sin().sum()  # L:running_loss
        total_loss = total_loss + loss
        total_loss.backward()  # L:running_backward


def backward_twice_from_two_outputs(T):
    x = T.ones(3, requires_grad=True)
    y = x ** 2
    z = y * 4  # L:z
    z.mean().backward()  # L:mean_backward
    z.sum().backward()


def loss_under_no_grad(T):
    (W,) = _params(T, 6, (3, 1))
    with T.no_grad():
        pred = T.ones(2, 3) @ W  # L:no_grad_pred
    loss = (pred - 1).pow(2).mean()
    loss.backward()


def detach_in_the_middle(T):
    (W,) = _params(T, 11, (3, 2))
    feats = (T.ones(4, 3) @ W).relu()
    pred = feats.detach()  # L:detach
    loss = (pred - 1).pow(2).mean()
    loss.backward()


def item_rewrapped(T):
    (W,) = _params(T, 13, (3,))
    loss = (W * W).sum()
    loss = T.tensor(loss.item())  # L:rewrap
    loss.backward()


def numpy_loss_rewrapped(T):
    (W,) = _params(T, 19, (3, 2))
    out = T.ones(4, 3) @ W
    probs = np.exp(out.detach().numpy())  # L:to_numpy
    outputs = T.from_numpy(probs / probs.sum(1, keepdims=True))  # L:from_numpy
    loss = -outputs[:, 0].log().mean()
    loss.backward()


def grad_penalty_without_create_graph(T):
    (W,) = _params(T, 20, (3, 1))
    x = T.ones(2, 3, requires_grad=True)
    score = (x @ W).sum()
    (g,) = T.autograd.grad(score, x)  # L:penalty_grad
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()


def all_parameters_frozen(T):
    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 1))
    for p in model.parameters():
        p.requires_grad = False  # L:freeze
    loss = model(T.ones(2, 3)).sum()
    loss.backward()


def inplace_relu_on_saved_output(T):
    (W,) = _params(T, 7, (3, 3))
    h = (T.ones(2, 3) @ W).sigmoid()  # L:sigmoid
    h.relu_()  # L:relu_
    h.sum().backward()


def plus_equals_on_saved_input(T):
    (W,) = _params(T, 8, (3,))
    a = W * 2
    b = a * a  # L:mul_saves
    a += 1  # L:iadd
    b.sum().backward()


def mask_tanh_output_in_place(T):
    (W,) = _params(T, 21, (3, 3))
    y = (T.ones(2, 3) @ W).tanh()  # L:tanh_out
    y[y.abs() < 0.5] = 0  # L:mask_write
    y.sum().backward()


def normalize_in_place(T):
    (E,) = _params(T, 22, (4, 3))
    emb = E * 1.0  # L:emb_copy
    emb /= emb.norm(dim=1, keepdim=True)  # L:normalize
    emb.sum().backward()


def manual_sgd_without_no_grad(T):
    w = T.tensor([0.5, -1.0, 2.0], requires_grad=True)  # L:sgd_w
    loss = (w * 3).pow(2).sum()
    loss.backward()
    w -= 0.01 * w.grad  # L:sgd_step


def weight_init_without_no_grad(T):
    W = T.tensor(np.ones((3, 3), dtype=np.float32), requires_grad=True)  # L:init_w
    W[0] = 0  # L:init_row


def backward_on_non_scalar(T):
    (W,) = _params(T, 9, (3,))
    out = W * 3  # L:vector_out
    out.backward()  # L:vector_backward


def numpy_for_a_metric(T):
    (W,) = _params(T, 17, (3, 1))
    pred = T.ones(4, 3) @ W  # L:metric_pred
    return np.mean(pred.numpy() > 0)  # L:metric_numpy


def plot_predictions(T):
    (w,) = _params(T, 23, (5,))
    curve = w.cumsum(0)  # L:curve
    return np.asarray(curve)  # what plt.plot(curve) does  # L:plot


def grad_of_unused_input(T):
    (E,) = _params(T, 15, (3, 2))
    ids = T.ones(1, 3)
    emb = ids @ E  # L:saliency_emb
    score = (ids @ E).tanh().sum()  # the model embeds the ids again
    T.autograd.grad(score, [E, emb])  # L:saliency_grad


def requires_grad_on_an_output(T):
    (W,) = _params(T, 24, (3, 1))
    out = (T.ones(2, 3) @ W).sigmoid()  # L:rg_out
    out.requires_grad = True  # L:rg_set


def nan_from_sqrt_at_zero(T):
    x = T.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with T.autograd.detect_anomaly():
            y = x.sqrt()  # L:sqrt
            (y * 0).sum().backward()


def read_grad_of_a_non_leaf(T):
    (w,) = _params(T, 10, (3,))
    hidden = w * 2  # L:hidden
    hidden.sum().backward()
    return hidden.grad


def out_of_place_sgd_update(T):
    (W,) = _params(T, 25, (3,))
    for _ in range(2):
        loss = (W * W).sum()
        loss.backward()
        # the second read of W.grad warns (W is now this line's result), then fails: it is None
        W = W - 0.1 * W.grad  # L:sgd_rebind


def cast_after_requires_grad(T):
    w = T.ones(3, requires_grad=True).double()  # L:cast
    (w * 2).sum().backward()
    return w.grad


def release_then_backward(T):
    W = T.ones(3, 3, requires_grad=True)
    loss = (T.ones(1, 3) @ W).tanh().sum()  # L:released_tanh
    loss.backward(retain_graph=True)
    graphgrad.autograd.graph.release(loss)  # L:release
    loss.backward()



# --- fourteen more, from the threads: each names the line the earlier explanations missed ------------------
def per_sample_loss_backward(T):
    (W,) = _params(T, 26, (3, 1))
    criterion = T.nn.MSELoss(reduction="none")
    loss = criterion(T.ones(4, 3) @ W, T.zeros(4, 1))  # L:per_sample_loss
    loss.backward()  # L:per_sample_backward


def grad_wrt_a_leaf_the_graph_never_used(T):
    (W,) = _params(T, 27, (3, 1))
    x = T.ones(2, 3, requires_grad=True)  # L:unused_x
    x_scaled = x * 2
    out = (x_scaled.detach() @ W).sum()
    T.autograd.grad(out, [W, x])  # L:grad_call


def sgd_step_on_a_requires_grad_leaf(T):
    w = T.zeros(3, requires_grad=True)  # L:zeros_w
    (w * 2 + 1).pow(2).sum().backward()
    w -= 0.1 * w.grad  # L:zeros_w_step


def zero_a_column_of_a_layers_weight(T):
    layer = T.nn.Linear(3, 2)  # L:layer_built
    layer.weight[:, 0] = 0  # L:column_write


def relu_module_inplace_after_sigmoid(T):
    (W,) = _params(T, 28, (3, 3))
    act = T.nn.ReLU(inplace=True)
    h = (T.ones(2, 3) @ W).sigmoid()  # L:sigmoid_saves
    h = act(h)  # L:relu_module
    h.sum().backward()


def np_mean_of_a_list_of_losses(T):
    (W,) = _params(T, 29, (3,))
    losses = [(W * i).sum() for i in range(3)]  # L:loss_list
    return np.mean(losses)  # L:np_mean


class _Square:
    """A custom Function, built for T (graphgrad or torch) on first use."""

    def __new__(cls, T):
        class Square(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        return Square


def custom_function_input_written_in_place(T):
    (W,) = _params(T, 30, (3,))
    h = W * 2  # L:fn_input
    y = _Square(T).apply(h)
    h.add_(1)  # L:fn_write
    y.sum().backward()


def loss_under_inference_mode(T):
    (W,) = _params(T, 31, (3, 1))
    with T.inference_mode():
        pred = T.ones(2, 3) @ W  # L:inference_pred
    loss = (pred - 1).pow(2).mean()
    loss.backward()


def write_through_data_into_a_saved_output(T):
    (W,) = _params(T, 32, (3,))
    out = (W * 2).sigmoid()  # L:data_saved
    loss = (out * W).sum()  # L:data_saver
    out.data.zero_()  # L:data_write
    loss.backward()
    return W.grad


def hook_doubles_its_grad_in_place(T):
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b = x * 1, x * 3
    a.register_hook(lambda g: g.mul_(2))  # L:inplace_hook
    ((a + b) * T.tensor([1.0, 1.0, 1.0])).sum().backward()
    return x.grad


def head_replaced_after_the_optimizer(T):
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 1))
    opt = T.optim.SGD(model.parameters(), lr=0.1)  # L:opt_built
    model[2] = T.nn.Linear(4, 1)  # a new head, which opt does not know
    for _ in range(3):
        opt.zero_grad()
        model(T.ones(2, 3)).sum().backward()
        opt.step()  # L:opt_step
    return [p.detach().clone() for p in model.parameters()]

# --- the gallery ------------------------------------------------------------------------------------------
SECOND_BACKWARD = "Trying to backward through the graph a second time (or directly access saved tensors after"
MODIFIED_INPLACE = "one of the variables needed for gradient computation has been modified by an inplace operation"
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
NUMPY = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
NON_LEAF_GRAD = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed."


@dataclass(frozen=True)
class Mistake:
    story: str  # the public-forum scenario, in one line
    run: Callable  # the user's code: run(T) with T = graphgrad or torch
    text: str  # PyTorch's text: graphgrad's message starts with it
    node: str  # the node named (MulBackward0), or the tensor (`loss`) where the error is about a leaf
    lines: tuple  # markers of the lines named, each as "file:line  code"
    also: tuple = ()  # more context graphgrad must give (the hint that fits the case)
    kind: type = RuntimeError  # the exception raised, or UserWarning for a warning
    in_torch: bool = True  # the same code runs on PyTorch (release() is graphgrad's own)


GALLERY = [
    # second backward through a freed graph
    Mistake("loss.backward() works once, then fails: the forward pass ran once, before the training loop",
            stale_output_reused, SECOND_BACKWARD, "TanhBackward0", ("stale_out", "stale_backward"),
            ("The same backward() line ran before", "recompute it inside the loop",
             "retain_graph=True is the wrong fix")),
    Mistake("truncated BPTT in a language model without detaching the hidden state between batches",
            rnn_hidden_not_detached, SECOND_BACKWARD, "TanhBackward0", ("rnn_h", "rnn_backward"),
            ("h = h.detach()", "retain_graph=True is the wrong fix",
             "the old tensor: the output of TanhBackward0, created at " + L("rnn_h"))),
    Mistake("multi-task model: a shared trunk with two heads, one backward() per head's loss",
            two_losses_two_backwards, SECOND_BACKWARD, "SigmoidBackward0", ("trunk", "first_loss"),
            ("Sum the losses", "(loss1 + loss2).backward()", "retain_graph=True to the first backward()")),
    Mistake("a copy-pasted training step calls loss.backward() where loss2.backward() was meant",
            same_loss_twice, SECOND_BACKWARD, "PowBackward0", ("loss1", "backward1"),
            ("Both calls started from the same output", "loss2.backward()", L("backward_again", code=False))),
    Mistake("SRGAN-style update: D's backward(retain_graph=True), D's optimizer step, then G's backward",
            optimizer_step_between_backwards, MODIFIED_INPLACE, "MmBackward0", ("fake_out", "optimizer_step"),
            ("saved the leaf D [3, 1]", "optimizer.step()", "(version 0 -> 1)")),
    Mistake("GAN: the discriminator step uses D(fake) instead of D(fake.detach()), then the generator step fails",
            gan_fake_not_detached, SECOND_BACKWARD, "TanhBackward0", ("gan_fake", "gan_d_backward"),
            ("the old tensor: the output of TanhBackward0", "detach() it")),
    Mistake("total_loss += loss without .item(), and total_loss.backward() every iteration",
            running_total_backward, SECOND_BACKWARD, "SinBackward0", ("running_loss", "running_backward"),
            ("total += loss.item()",)),
    Mistake("z.mean().backward() and then z.sum().backward() on the same intermediate",
            backward_twice_from_two_outputs, SECOND_BACKWARD, "MulBackward0", ("z", "mean_backward"),
            ("retain_graph=True to the first backward()", "call backward() once on their sum")),
    # the chain was cut
    Mistake("predictions computed inside the validation loop's torch.no_grad() block, then used for training",
            loss_under_no_grad, NO_GRAD_FN, "`loss`", ("no_grad_pred",),
            ("under no_grad()", "Setting requires_grad=True on `loss` would only silence this error")),
    Mistake("a .detach() left in the model's forward, copied from a target-network snippet",
            detach_in_the_middle, NO_GRAD_FN, "`loss`", ("detach",), ("computed from a detach() at",)),
    Mistake("loss = torch.tensor(loss.item()) to 'convert' the loss, then loss.backward()",
            item_rewrapped, NO_GRAD_FN, "`loss`", ("rewrap",),
            ("`loss` was created by graphgrad.tensor() at " + L("rewrap") + ", from plain numbers",
             "taken out with .item() at " + L("rewrap"))),
    Mistake("a softmax done in NumPy inside the loss, wrapped back with from_numpy()",
            numpy_loss_rewrapped, NO_GRAD_FN, "`outputs`", ("from_numpy",),
            ("`loss` has no history", "created by graphgrad.from_numpy() at",
             "taken out with .numpy() at " + L("to_numpy"))),
    Mistake("WGAN-GP gradient penalty with autograd.grad() called without create_graph=True",
            grad_penalty_without_create_graph, NO_GRAD_FN, "`penalty`", ("penalty_grad",),
            ("pass create_graph=True to that autograd.grad() call",)),
    Mistake("fine-tuning: every parameter frozen (the new head too), then loss.backward()",
            all_parameters_frozen, NO_GRAD_FN, "model.0.weight", ("freeze",),
            ("All the parameters of model have requires_grad=False (frozen)", "model.2.bias")),
    # modified in place
    Mistake("nn.ReLU(inplace=True) right after a sigmoid, which saved its output",
            inplace_relu_on_saved_output, MODIFIED_INPLACE, "SigmoidBackward0", ("sigmoid", "relu_"),
            ("output 0 of Sigmoid", "saved its own output", "call F.relu(x) without inplace=True (not relu_())")),
    Mistake("x += 1 on a tensor that a multiplication saved for its backward",
            plus_equals_on_saved_input, MODIFIED_INPLACE, "MulBackward0", ("mul_saves", "iadd"),
            ("which is output 0 of Add", "x = x + 1 instead of x += 1")),
    Mistake("zeroing small activations with a boolean mask, y[mask] = 0, after a tanh",
            mask_tanh_output_in_place, MODIFIED_INPLACE, "TanhBackward0", ("tanh_out", "mask_write"),
            ("output 0 of Tanh", "saved its own output")),
    Mistake("normalizing embeddings in place, emb /= emb.norm(dim=1, keepdim=True)",
            normalize_in_place, MODIFIED_INPLACE, "LinalgVectorNormBackward0", ("emb_copy", "normalize"),
            ("saved the output of MulBackward0",)),
    # leaves
    Mistake("a hand-written SGD step, w -= lr * w.grad, outside torch.no_grad()",
            manual_sgd_without_no_grad, LEAF_INPLACE, "`w`, a leaf that requires grad", ("sgd_w", "sgd_step"),
            ("with torch.no_grad():", "created by graphgrad.tensor() at " + L("sgd_w"))),
    Mistake("custom weight initialization, W[0] = 0, on a parameter outside torch.no_grad()",
            weight_init_without_no_grad, VIEW_OF_LEAF_INPLACE, "`W`, a leaf that requires grad",
            ("init_w", "init_row"), ("with torch.no_grad():",)),
    Mistake("reading x.grad of an intermediate to inspect it, instead of the leaf's",
            read_grad_of_a_non_leaf, NON_LEAF_GRAD, "MulBackward0", ("hidden",),
            ("the leaves it comes from: w", "hidden.retain_grad() before backward()"), kind=UserWarning),
    Mistake("an out-of-place SGD update, W = W - lr * W.grad, turns W into a non-leaf: next time W.grad is None",
            out_of_place_sgd_update, NON_LEAF_GRAD, "SubBackward0", ("sgd_rebind",),
            ("`W` is the output of SubBackward0", "with torch.no_grad(): W -= lr * W.grad"), kind=UserWarning),
    Mistake("torch.ones(3, requires_grad=True).double() (or .cuda()): the variable is the cast, not the leaf",
            cast_after_requires_grad, NON_LEAF_GRAD, "ToCopyBackward0", ("cast",),
            ("`w` is the output of ToCopyBackward0", "It is a copy of a leaf"), kind=UserWarning),
    Mistake("out.requires_grad = True on a model's output, to 'make backward work'",
            requires_grad_on_an_output, "you can only change requires_grad flags of leaf variables.",
            "SigmoidBackward0", ("rg_out", "rg_set"), ("It already requires grad",)),
    # other calls
    Mistake("loss.backward() on a per-sample loss vector, without .mean()",
            backward_on_non_scalar, "grad can be implicitly created only for scalar outputs", "MulBackward0",
            ("vector_out", "vector_backward"), ("`out` has shape [3]", ".sum()")),
    Mistake("computing an accuracy with NumPy on predictions that still require grad",
            numpy_for_a_metric, NUMPY, "MmBackward0", ("metric_pred", "metric_numpy"), ("pred.detach().numpy()",)),
    Mistake("plt.plot(tensor) on a tensor that requires grad (NumPy's __array__ calls .numpy())",
            plot_predictions, NUMPY, "CumsumBackward0", ("curve", "plot"), ("curve.detach().numpy()",)),
    Mistake("a saliency map w.r.t. embeddings that the model recomputes internally",
            grad_of_unused_input, "The differentiated Tensor at index 1 appears to not have been used in the graph.",
            "MmBackward0", ("saliency_emb", "saliency_grad"),
            ("`emb` (input 1 of inputs)", "The outputs depend on: E")),
    Mistake("a NaN loss traced with detect_anomaly(): the gradient of sqrt at 0",
            nan_from_sqrt_at_zero, "Function 'SqrtBackward0' returned nan values in its 0th output.",
            "SqrtBackward0", ("sqrt",), ("saved result: 1 zero",)),
    # fourteen more (issue 16): the lines the explanations above missed, the fix table, and mistakes
    # PyTorch lets pass silently (graphgrad warns, once per site; PyTorch's numbers are kept)
    Mistake("MSELoss(reduction='none') and loss.backward(): a loss per element, not a scalar",
            per_sample_loss_backward, "grad can be implicitly created only for scalar outputs", "MseLossBackward0",
            ("per_sample_loss", "per_sample_backward"), ("`loss` has shape [4, 1]", ".mean()")),
    Mistake("autograd.grad() w.r.t. an input that only reaches the output through a detach()",
            grad_wrt_a_leaf_the_graph_never_used,
            "The differentiated Tensor at index 1 appears to not have been used in the graph.", "`x`",
            ("unused_x", "grad_call"), ("(input 1 of inputs)", "allow_unused=True")),
    Mistake("w -= lr * w.grad on a torch.zeros(..., requires_grad=True) leaf, outside torch.no_grad()",
            sgd_step_on_a_requires_grad_leaf, LEAF_INPLACE, "`w`, a leaf that requires grad",
            ("zeros_w", "zeros_w_step"), ("with torch.no_grad():",)),
    Mistake("layer.weight[:, 0] = 0 to zero a column of a layer's weight, outside torch.no_grad()",
            zero_a_column_of_a_layers_weight, VIEW_OF_LEAF_INPLACE, "`layer.weight`, a leaf that requires grad",
            ("layer_built", "column_write"), ("made to require grad at " + L("layer_built"),
                                              "with torch.no_grad():")),
    Mistake("nn.ReLU(inplace=True) as a module right after a sigmoid, which saved its output",
            relu_module_inplace_after_sigmoid, MODIFIED_INPLACE, "SigmoidBackward0",
            ("sigmoid_saves", "relu_module"), ("build that ReLU with inplace=False", "F.relu(x) without inplace")),
    Mistake("np.mean(list_of_losses) to log the epoch's loss: NumPy converts each loss with .numpy()",
            np_mean_of_a_list_of_losses, NUMPY, "SumBackward0", ("loss_list", "np_mean"),
            ("numpy() was called at " + L("np_mean"),)),
    Mistake("a custom Function saved its input, then the input was changed with h.add_(1)",
            custom_function_input_written_in_place, MODIFIED_INPLACE, "SquareBackward",
            ("fn_input", "fn_write"), ("saved the output of MulBackward0 created at " + L("fn_input"),
                                       "modified in place afterwards, at " + L("fn_write"))),
    Mistake("predictions computed under torch.inference_mode(), then used for a loss",
            loss_under_inference_mode, NO_GRAD_FN, "`loss`", ("inference_pred",),
            ("computed from a tensor made under inference_mode() at " + L("inference_pred"),)),
    Mistake("out.data.zero_() on an output a graph saved: the gradient silently uses the zeros",
            write_through_data_into_a_saved_output, "graphgrad: a tensor saved for backward by", "MulBackward0",
            ("data_saver", "data_saved", "data_write"), ("modified by an inplace operation through .data", "detach()"),
            kind=UserWarning, in_torch=False),
    Mistake("a gradient hook doubling its argument in place, grad.mul_(2): a shared gradient changes too",
            hook_doubles_its_grad_in_place, "graphgrad: the gradient hook", "<lambda>", ("inplace_hook",),
            ("should not modify its argument", "Return a new tensor"), kind=UserWarning, in_torch=False),
    Mistake("model.head replaced after the optimizer was built: the new head never trains, the old one stays",
            head_replaced_after_the_optimizer, "graphgrad: SGD `opt`", "model.2.weight", ("opt_built", "opt_step"),
            ("belong to no optimizer", "redo the parameters() call at " + L("opt_built")),
            kind=UserWarning, in_torch=False),
    Mistake("graphgrad's own release() frees a retained graph; a later backward() says so",
            release_then_backward, SECOND_BACKWARD, "TanhBackward0", ("released_tanh", "release"),
            ("freed this graph on purpose",), in_torch=False),
]


def _outcome(case, T):
    """(exception type name, message) of the error, or for a warning case of the warning with its text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case.run(T)
        except Exception as e:  # noqa: BLE001
            if case.kind is not UserWarning:
                return type(e).__name__, str(e)
    if case.kind is UserWarning:
        for w in caught:
            if str(w.message).startswith(case.text):
                return w.category.__name__, str(w.message)
    return None


def _strip_triggered(msg):
    return re.sub(r" \(Triggered internally at [^)]*\)\.?", "", msg).strip()


_IDS = [c.run.__name__ for c in GALLERY]


@pytest.mark.parametrize("case", GALLERY, ids=_IDS)
def test_gallery_entry_names_the_node_and_the_lines(case):
    got = _outcome(case, graphgrad)
    assert got is not None, f"graphgrad raised no {case.kind.__name__}"
    assert got[0] == case.kind.__name__
    msg = got[1]
    assert msg.startswith(case.text), f"PyTorch's text does not come first:\n{msg}"
    context = msg[len(case.text):]
    assert case.node in context, f"{case.node!r} not named in:\n{msg}"
    for marker in case.lines:
        assert L(marker) in context, f"line {L(marker)!r} not named in:\n{msg}"
    for text in case.also:
        assert text in context, f"{text!r} not in:\n{msg}"


@pytest.mark.parametrize("case", [c for c in GALLERY if c.in_torch], ids=[c.run.__name__ for c in GALLERY
                                                                         if c.in_torch])
def test_gallery_entry_keeps_pytorchs_text_first(case, torch_ref):
    want = _outcome(case, torch_ref)
    assert want is not None, f"PyTorch raised no {case.kind.__name__}"
    want_msg = _strip_triggered(want[1])
    assert want_msg.startswith(case.text), f"the gallery's text is not PyTorch's:\n{want_msg}"
    got = _outcome(case, graphgrad)
    assert got[0] == want[0]
    assert got[1].startswith(want_msg), f"\n{got[1]!r}\ndoes not start with\n{want_msg!r}"


def test_gallery_is_a_table_of_complete_entries():
    """Every entry is structured: a story, PyTorch's text, a node and lines that lie in its own code."""
    real = [c for c in GALLERY if c.in_torch]
    assert len(real) >= 20
    assert len(set(_IDS)) == len(_IDS), "one function per mistake"
    assert len({c.story for c in GALLERY}) == len(GALLERY)
    for c in GALLERY:
        assert c.story and c.text and c.node and c.lines, c.run.__name__
        assert c.kind in (RuntimeError, UserWarning)
        src, first = inspect.getsourcelines(c.run)
        for marker in c.lines:
            assert first <= _marker_line(marker) < first + len(src), f"{marker} is not in {c.run.__name__}"
    used = {m for c in GALLERY for m in c.lines} | {"backward_again", "to_numpy"}  # named in `also`
    tagged = {m.group(1) for line in _SOURCE if (m := re.search(r"# L:(\w+)$", line.rstrip()))}
    assert tagged <= used, f"markers no entry checks: {tagged - used}"


# --- what the errors lead to: companions of the entries above ---------------------------------------------
def test_requires_grad_true_only_silences_the_error(torch_ref):
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
    assert silenced(torch_ref) is None


def test_rnn_with_retain_graph_hides_the_bug_and_grows():
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


def test_detach_in_the_middle_silently_drops_gradients(torch_ref):
    """With trainable layers after the detach there is no error at all: the layers before it get no grad."""

    def run(T):
        W1, W2 = _params(T, 12, (3, 3), (3, 1))
        h = (T.ones(2, 3) @ W1).tanh().detach()
        (h @ W2).sum().backward()
        return W1.grad is None, W2.grad is not None

    assert run(graphgrad) == (True, True)
    assert run(torch_ref) == (True, True)


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


def test_a_mistake_inside_a_helper_names_the_users_line_not_graphgrads():
    """The lines named are the user's, wherever graphgrad's own frames are: the factory's caller here."""
    msg = _outcome(GALLERY[_IDS.index("item_rewrapped")], graphgrad)[1]
    assert "graphgrad/" not in msg and "_factories.py" not in msg

"""Helpers for running the same code on graphgrad and on real PyTorch and comparing the results.

Test code is written once as ``fn(T, *tensors)`` where ``T`` is either the ``graphgrad`` module or the
``torch`` module; both libraries are driven with identical NumPy inputs. graphgrad never imports torch:
only the tests do, through the ``torch_ref`` fixture (which skips cleanly when torch is absent).
"""

from __future__ import annotations

import re

import numpy as np

import graphgrad

RTOL32, ATOL32 = 1e-4, 1e-5


def dtype_name(dt) -> str:
    """``graphgrad.float32`` / ``torch.float32`` -> ``"float32"``."""
    return str(dt).rsplit(".", 1)[-1]


def make(T, arrays, dtype="float32", requires_grad=True):
    """One tensor per NumPy array, in library ``T``, as leaves of ``dtype``."""
    dt = getattr(T, dtype)
    return [T.tensor(np.array(a), dtype=dt, requires_grad=requires_grad) for a in arrays]


def to_np(t):
    """A tensor's values (either library) as an ndarray, detached and copied."""
    if t is None:
        return None
    return np.array(t.detach().numpy(), copy=True)


def flat(out):
    """An op's result as a flat list of tensors (tuples such as ``max(dim)`` or ``split`` unpacked)."""
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(flat(o))
        return res
    return [out]


def is_tensor(x) -> bool:
    return hasattr(x, "requires_grad") and hasattr(x, "detach")


def assert_close(gg, th, rtol=RTOL32, atol=ATOL32, what="value"):
    """graphgrad tensor ``gg`` equals torch tensor ``th`` in shape, dtype and values."""
    assert (gg is None) == (th is None), f"{what}: graphgrad {gg!r} vs torch {th!r}"
    if gg is None:
        return
    if not is_tensor(th):
        assert not is_tensor(gg), f"{what}: graphgrad returned a tensor, torch {type(th).__name__}"
        assert gg == th or (isinstance(th, float) and np.isclose(gg, th, rtol=rtol, atol=atol)), \
            f"{what}: {gg!r} != {th!r}"
        return
    assert tuple(gg.shape) == tuple(th.shape), f"{what}: shape {tuple(gg.shape)} != {tuple(th.shape)}"
    assert dtype_name(gg.dtype) == dtype_name(th.dtype), f"{what}: dtype {gg.dtype} != {th.dtype}"
    np.testing.assert_allclose(to_np(gg), to_np(th), rtol=rtol, atol=atol, err_msg=what, equal_nan=True)


def node_name(fn):
    """A node's name without PyTorch's C++ namespace (``torch::autograd::AccumulateGrad`` -> ``AccumulateGrad``)."""
    return None if fn is None else fn.name().rsplit("::", 1)[-1]


def grad_fn_name(t):
    return node_name(getattr(t, "grad_fn", None))


def next_names(t):
    """The names of ``t.grad_fn.next_functions`` (None for a constant operand's empty edge)."""
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else [node_name(n) for n, _ in fn.next_functions]


def run_both(torch, fn, arrays, dtype="float32", requires_grad=True, grad_outputs_seed=0, check_grads=True,
             rtol=RTOL32, atol=ATOL32, compare_grad_fn=True):
    """Run ``fn`` on both libraries; compare outputs, requires_grad flags, grad_fn names and gradients.

    Returns ``(gg_outputs, th_outputs, gg_inputs, th_inputs)``.
    """
    gx = make(graphgrad, arrays, dtype, requires_grad)
    tx = make(torch, arrays, dtype, requires_grad)
    gout, tout = flat(fn(graphgrad, *gx)), flat(fn(torch, *tx))
    assert len(gout) == len(tout), f"{len(gout)} outputs vs torch's {len(tout)}"
    for i, (g, t) in enumerate(zip(gout, tout)):
        assert_close(g, t, rtol, atol, f"output {i}")
        if not is_tensor(t):
            continue
        assert g.requires_grad == t.requires_grad, f"output {i}: requires_grad {g.requires_grad}"
        assert g.is_leaf == t.is_leaf, f"output {i}: is_leaf {g.is_leaf} != {t.is_leaf}"
        if compare_grad_fn:  # True: the node's name and its next_functions; "name": the name only
            assert grad_fn_name(g) == grad_fn_name(t), f"output {i}: {grad_fn_name(g)} != {grad_fn_name(t)}"
        if compare_grad_fn is True:
            assert next_names(g) == next_names(t), f"output {i}: next_functions {next_names(g)} != {next_names(t)}"
    if not (check_grads and requires_grad):
        return gout, tout, gx, tx
    pairs = [(g, t) for g, t in zip(gout, tout) if is_tensor(t) and t.requires_grad]
    if not pairs:
        return gout, tout, gx, tx
    rng = np.random.default_rng(grad_outputs_seed)
    ups = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    dt_g, dt_t = getattr(graphgrad, dtype), getattr(torch, dtype)
    ggrads = graphgrad.autograd.grad([g for g, _ in pairs], gx,
                                     [graphgrad.tensor(u, dtype=dt_g) for u in ups], allow_unused=True)
    tgrads = torch.autograd.grad([t for _, t in pairs], tx,
                                 [torch.tensor(u, dtype=dt_t) for u in ups], allow_unused=True)
    for i, (g, t) in enumerate(zip(ggrads, tgrads)):
        if t is None or g is None:
            # an unused input: torch gives None; graphgrad may too, or zeros
            if t is None and g is not None:
                assert not np.any(to_np(g)), f"grad of input {i}: torch has none, graphgrad {g!r}"
                continue
        assert_close(g, t, rtol, atol, f"grad of input {i}")
    return gout, tout, gx, tx


# --- running a whole scenario on both libraries ----------------------------------------------------
class Raised:
    """An exception a scenario raised: its type name and message (compared by prefix)."""

    def __init__(self, exc):
        self.type = type(exc).__name__
        self.message = str(exc)

    def __repr__(self):
        return f"Raised({self.type}: {self.message[:200]!r})"


def observe(fn, T):
    """``fn(T)``'s result (or the exception it raised) and the UserWarnings it emitted."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(T)
        except Exception as e:  # noqa: BLE001 - the exception is the observation
            out = Raised(e)
    messages = [_TRIGGERED.sub("", str(w.message)) for w in caught if issubclass(w.category, UserWarning)]
    # PyTorch gives the first once per process, so it can't be compared scenario by scenario; the second
    # kind are graphgrad's own warnings about mistakes PyTorch lets pass silently (tested where they are made)
    return out, [m for m in messages if not m.startswith(("Using backward() with create_graph=True", "graphgrad:"))]


_TRIGGERED = re.compile(r" \(Triggered internally at [^)]*\)\.?$")


def compare(g, t, path="result", rtol=RTOL32, atol=ATOL32):
    """graphgrad's observation ``g`` matches torch's ``t``: tensors by value, exceptions by type and by
    message prefix (graphgrad may add context after PyTorch's text, never change it)."""
    if isinstance(t, Raised):
        assert isinstance(g, Raised), f"{path}: torch raised {t}, graphgrad returned {g!r}"
        assert g.type == t.type, f"{path}: graphgrad raised {g}, torch {t}"
        g.message = g.message.replace("graphgrad.", "torch.")  # graphgrad.Size([2]) in a message is torch.Size
        t.message = _TRIGGERED.sub("", t.message)
        assert g.message.startswith(t.message), (
            f"{path}: message\n  {g.message!r}\ndoes not start with\n  {t.message!r}")
        return
    assert not isinstance(g, Raised), f"{path}: graphgrad raised {g}, torch returned {t!r}"
    if is_tensor(t):
        assert is_tensor(g), f"{path}: expected a tensor, got {g!r}"
        assert_close(g, t, rtol, atol, path)
        assert g.requires_grad == t.requires_grad, f"{path}: requires_grad {g.requires_grad} != {t.requires_grad}"
        return
    if isinstance(t, dict):
        assert isinstance(g, dict) and sorted(g) == sorted(t), f"{path}: keys {sorted(g)} != {sorted(t)}"
        for k in t:
            compare(g[k], t[k], f"{path}.{k}", rtol, atol)
        return
    if isinstance(t, (list, tuple)):
        assert isinstance(g, (list, tuple)) and len(g) == len(t), f"{path}: {g!r} != {t!r}"
        for i, (a, b) in enumerate(zip(g, t)):
            compare(a, b, f"{path}[{i}]", rtol, atol)
        return
    if hasattr(t, "is_floating_point") and hasattr(t, "itemsize") and not is_tensor(t):  # a dtype
        assert dtype_name(g) == dtype_name(t), f"{path}: {g!r} != {t!r}"
        return
    if isinstance(t, str) and isinstance(g, str):
        g = g.replace("graphgrad.", "torch.")  # graphgrad.Size([2]) is torch.Size([2]), graphgrad.float32 ...
    if isinstance(t, float):
        assert np.isclose(g, t, rtol=rtol, atol=atol, equal_nan=True), f"{path}: {g!r} != {t!r}"
        return
    assert g == t, f"{path}: {g!r} != {t!r}"


def same(torch, fn, rtol=RTOL32, atol=ATOL32):
    """Run scenario ``fn(T)`` on graphgrad and torch; results, exceptions and UserWarnings must match.

    Returns graphgrad's result."""
    g, gw = observe(fn, graphgrad)
    t, tw = observe(fn, torch)
    compare(g, t, "result", rtol, atol)
    assert len(gw) == len(tw), f"warnings: graphgrad {gw!r}, torch {tw!r}"
    for a, b in zip(gw, tw):
        assert a.startswith(b), f"warning\n  {a!r}\ndoes not start with\n  {b!r}"
    return g


def graph_names(t, depth=8):
    """``t.grad_fn`` and what it leads to, as nested ``[name, [children...]]`` (for structure checks)."""
    def walk(fn, d):
        if fn is None:
            return None
        if d == 0:
            return node_name(fn)
        return [node_name(fn), [walk(n, d - 1) for n, _ in fn.next_functions]]

    return walk(t.grad_fn, depth)

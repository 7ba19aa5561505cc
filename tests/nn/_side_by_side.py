"""Running one scenario, written once as ``fn(L)`` (L: ``graphgrad`` or ``torch``), on both libraries with the
same seeds, and comparing what it returns: tensors by value (float32: rtol 1e-4), everything else by equality."""

from __future__ import annotations

import numpy as np

import graphgrad

RTOL, ATOL = 1e-4, 1e-5


def both(fn, torch_ref, seed=0):
    """``(fn(graphgrad), fn(torch))``, each after ``manual_seed(seed)``."""
    graphgrad.manual_seed(seed)
    g = fn(graphgrad)
    torch_ref.manual_seed(seed)
    return g, fn(torch_ref)


def same(g, t, what="result", rtol=RTOL, atol=ATOL):
    """``g`` (graphgrad's) equals ``t`` (PyTorch's): tensors in shape, dtype and value, containers item by item,
    anything else by ``==`` (error texts and reprs included)."""
    if isinstance(t, dict):
        assert list(g) == list(t), f"{what}: keys {list(g)} != {list(t)}"
        for k in t:
            same(g[k], t[k], f"{what}[{k!r}]", rtol, atol)
    elif isinstance(t, (list, tuple)) and not type(t).__name__ == "Size":
        assert len(g) == len(t), f"{what}: length {len(g)} != {len(t)}"
        for i, (a, b) in enumerate(zip(g, t)):
            same(a, b, f"{what}[{i}]", rtol, atol)
    elif hasattr(t, "detach") and hasattr(t, "dtype"):
        assert hasattr(g, "detach"), f"{what}: graphgrad gave {type(g).__name__}, torch a tensor"
        assert tuple(g.shape) == tuple(t.shape), f"{what}: shape {tuple(g.shape)} != {tuple(t.shape)}"
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{what}: dtype {g.dtype} != {t.dtype}"
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, err_msg=what)
    else:
        assert g == t, f"{what}: {g!r} != {t!r}"


def compare(fn, torch_ref, seed=0, rtol=RTOL, atol=ATOL):
    """Run ``fn`` on both libraries and assert the results are the same; returns graphgrad's."""
    g, t = both(fn, torch_ref, seed)
    same(g, t, rtol=rtol, atol=atol)
    return g


def node(t):
    """A tensor's grad_fn name (None for a leaf), without PyTorch's C++ namespace."""
    return None if t.grad_fn is None else t.grad_fn.name().rsplit("::", 1)[-1]


def state(module):
    """A module's state_dict as {key: tensor}, and its metadata."""
    sd = module.state_dict()
    return dict(sd), dict(getattr(sd, "_metadata", {}))


def grads(module):
    """{parameter name: its gradient} of a module."""
    return {name: p.grad for name, p in module.named_parameters()}


def as_lib(L, sd):
    """A state_dict of either library (values as arrays) as tensors of library ``L``."""
    return {k: L.tensor(np.array(v.detach().numpy())) for k, v in sd.items()}


def inputs(L, *shape, seed=1):
    """A float32 tensor of library ``L`` with standard normal values from NumPy (the same for both libraries)."""
    return L.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def train_mse(L, model, opt, x, y, steps, snapshot):
    """``steps`` steps of mean-squared-error training of ``model`` by ``opt``; ``snapshot(loss)`` after each."""
    record = []
    for _ in range(steps):
        opt.zero_grad()
        loss = L.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        record.append(snapshot(loss))
    return record

"""Autocast's rule, declared where each op is defined: inside ``with autocast("cpu", dtype=...)`` the functions
on PyTorch's CPU autocast lists run in another dtype (``graphgrad.amp.autocast`` switches it on and off).

- lower precision (``LOWER_PRECISION``: matmul, linear, conv, ...): float32/float16/bfloat16 inputs are
  cast to the autocast dtype (float64 and integer inputs are left alone, as PyTorch does);
- float32 (``FLOAT32``: the losses, ``prod``, ``cdist``, ...): lower-precision inputs are cast up to float32;
- promote (``PROMOTE``: ``cat``, ``stack``): inputs are cast to the widest floating dtype among them.

``export`` applies the rule to the listed ``graphgrad.*``/``Tensor.*`` functions, ``nn.functional`` decorates its
listed functions with ``autocast_rule``. The functions that are on no list are not wrapped at all; a listed one
pays one thread-local read while autocast is off. The casts are ordinary differentiable ops
(``ToCopyBackward0``), so gradients reach float32 parameters in float32.

>>> import graphgrad
>>> @autocast_rule
... def mm(a, b):
...     return a.dtype, b.dtype
>>> with graphgrad.autocast("cpu", dtype=graphgrad.float16):
...     mm(graphgrad.ones(1), graphgrad.ones(1, dtype=graphgrad.float64))
(graphgrad.float16, graphgrad.float64)
"""

from __future__ import annotations

import functools
import threading

from .. import _dtype
from .._tensor import Tensor

LOWER_PRECISION = frozenset((
    "matmul", "mm", "bmm", "addmm", "baddbmm", "addbmm", "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu", "scaled_dot_product_attention"))
FLOAT32 = frozenset((
    "prod", "cdist", "trace", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss", "soft_margin_loss",
    "cosine_embedding_loss", "hinge_embedding_loss", "poisson_nll_loss", "triplet_margin_loss", "multi_margin_loss",
    "multilabel_margin_loss", "grid_sample"))
PROMOTE = frozenset(("cat", "stack"))


class _AutocastState(threading.local):
    cpu_dtype = None  # the autocast dtype while CPU autocast is on in this thread, else None
    default_cpu_dtype = None  # None: bfloat16 (PyTorch's default) once it exists


state = _AutocastState()


def _eligible(t):
    """PyTorch casts only floating tensors that are not float64 (a sparse tensor's values are cast by to())."""
    return isinstance(t, Tensor) and t.dtype.is_floating_point and t.dtype is not _dtype.float64


def _cast_all(value, target):
    if _eligible(value) and value.dtype is not target:
        return value.to(target)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast_all(v, target) for v in value)
    return value


def _widest(args):
    best = None
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if _eligible(t) and (best is None or t.dtype.itemsize > best.itemsize):
                best = t.dtype
    return best


def _policy(name):
    if name in LOWER_PRECISION:
        return "lower"
    if name in FLOAT32:
        return "float32"
    return "promote" if name in PROMOTE else None


def autocast_rule(fn, name=None):
    """``fn`` (published as ``name``, by default its own name) with its tensor arguments cast as PyTorch's
    autocast lists say while CPU autocast is on; ``fn`` itself when the name is on no list."""
    policy = _policy(name or fn.__name__)
    if policy is None:
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        target = state.cpu_dtype
        if target is None:
            return fn(*args, **kwargs)
        if policy == "float32":
            target = _dtype.float32
        elif policy == "promote":
            target = _widest(args) or target
        args = [_cast_all(a, target) for a in args]
        kwargs = {k: _cast_all(v, target) for k, v in kwargs.items()}
        state.cpu_dtype, outer = None, state.cpu_dtype  # the op's own inner calls are not cast again
        try:
            return fn(*args, **kwargs)
        finally:
            state.cpu_dtype = outer

    # (the wrapper itself too: functools.wraps copies this attribute to the wrappers made around this one)
    call.autocast_rule_of = (call, fn, name or fn.__name__)
    return call


def split_autocast(fn):
    """``(plain, rule)`` for a wrapper ``fn`` that ``autocast_rule`` made: the function it wraps, and
    ``rule(g)`` giving any ``g`` the same rule. The argument checks wrap ``plain`` and put the rule around
    themselves, entered only while autocast is on: a call with autocast off takes no frame of it. ``(fn, None)``
    for any other ``fn`` (a decorator around the rule's wrapper, ``quietly``, must run)."""
    rule = getattr(fn, "autocast_rule_of", None)
    if rule is None or rule[0] is not fn:
        return fn, None
    return rule[1], functools.partial(autocast_rule, name=rule[2])

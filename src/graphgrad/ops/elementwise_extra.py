"""More elementwise ops: hypot, xlogy, copysign, logit, nan_to_num (derivatives in graphgrad ops)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._op import Op, _torch_name, apply, export
from .elementwise import _operands, where

_NUMBER = (bool, int, float, np.number, np.bool_)


def _hypot_bw(n, g):
    a, b, out = n.saved_tensors
    return g * a / out, g * b / out


HYPOT = Op("HypotBackward0", np.hypot, _hypot_bw, save=("a", "b", "out"), promote="same")


@export("hypot")
def hypot(input, other):
    """``sqrt(input**2 + other**2)``, elementwise, without overflow."""
    if not isinstance(other, Tensor):
        raise TypeError(f"hypot(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = _operands(input, other, "hypot")
    if a._data.dtype.kind != "f" or b._data.dtype.kind != "f":
        name = _torch_name(np.result_type(a._data, b._data))
        raise NotImplementedError(f'"hypot_cpu" not implemented for \'{name}\'')
    return apply(HYPOT, a, b)


def _xlogy_np(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out).astype(out.dtype, copy=False)


def _xlogy_bw(n, g):
    x, y = n.saved_tensors
    need = n.needs_input_grad
    gx = g * xlogy((x != 0).to(g.dtype), y) if need[0] else None
    gy = g * x / y if need[1] else None
    return gx, gy


XLOGY = Op("XlogyBackward0", _xlogy_np, _xlogy_bw, save="ab", promote="float")
# a number as self (XlogyBackward1) or as other (XlogyBackward2): one edge, for the tensor
XLOGY_SELF_NUMBER = Op("XlogyBackward1", lambda y, self: _xlogy_np(np.asarray(self, y.dtype), y),
                       lambda n, g: g * n.kwargs["self"] / n.saved_tensors[0], save="a", promote="float")
XLOGY_OTHER_NUMBER = Op("XlogyBackward2", lambda x, other: _xlogy_np(x, np.asarray(other, x.dtype)),
                        lambda n, g: g * xlogy((n.saved_tensors[0] != 0).to(g.dtype), n.kwargs["other"]),
                        save="a", promote="float")


@export("xlogy")
def xlogy(input, other):
    """``input * log(other)``, and 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
                            f"{type(other).__name__}), but expected one of:\n"
                            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                            " * (Number self, Tensor other, *, Tensor out = None)\n"
                            " * (Tensor input, Number other, *, Tensor out = None)\n")
        return apply(XLOGY_SELF_NUMBER, other, self=float(input))
    if not isinstance(other, Tensor) and isinstance(other, _NUMBER):
        return apply(XLOGY_OTHER_NUMBER, input, other=float(other))
    a, b = _operands(input, other, "xlogy")
    return apply(XLOGY, a, b)


def _copysign_bw(n, g):
    a, out = n.saved_tensors
    ga = g * where(a == 0, 0.0, out / a)
    if len(n._in_meta) == 1:
        return ga
    return ga, g * 0


COPYSIGN = Op("CopysignBackward0", np.copysign, _copysign_bw, save=("a", "out"), promote="float")
COPYSIGN_NUMBER = Op("CopysignBackward1", lambda a, other: np.copysign(a, np.asarray(other, a.dtype)), _copysign_bw,
                     save=("a", "out"), promote="float")


@export("copysign")
def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"copysign() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    if not isinstance(other, Tensor) and isinstance(other, _NUMBER):
        return apply(COPYSIGN_NUMBER, input, other=float(other))
    a, b = _operands(input, other, "copysign")
    return apply(COPYSIGN, a, b)


def _logit_np(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a / (1 - a))


def _logit_bw(n, g):
    (a,) = n.saved_tensors
    eps = n.kwargs.get("eps")
    d = g / (a * (1 - a))
    if eps is None:
        return where((a < 0) | (a > 1), float("nan"), d)
    return where((a < eps) | (a > 1 - eps), 0.0, d)


LOGIT = Op("LogitBackward0", _logit_np, _logit_bw, save="a", promote="float")


@export("logit")
def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, p is first clamped to ``[eps, 1 - eps]``."""
    if eps is None:
        return apply(LOGIT, input)
    return apply(LOGIT, input, eps=float(eps))


def _nan_to_num_np(a, nan=0.0, posinf=None, neginf=None):
    if a.dtype.kind != "f":
        return a.copy()
    info = np.finfo(a.dtype)
    return np.nan_to_num(a, nan=nan, posinf=info.max if posinf is None else posinf,
                         neginf=info.min if neginf is None else neginf)


NAN_TO_NUM = Op("NanToNumBackward0", _nan_to_num_np, lambda n, g: g * n.saved_tensors[0].isfinite(), save="a")


@export("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's extremes by default)."""
    return apply(NAN_TO_NUM, input, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)


@export("nan_to_num_", function=False)
def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    from ._op import apply_inplace

    return apply_inplace(NAN_TO_NUM, self, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)


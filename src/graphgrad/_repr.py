"""``repr(tensor)`` in PyTorch's format: ``tensor([0.5403], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
PRECISION = 4


def _formatter(arr):
    """A function from one element to its text, all elements padded to one width."""
    kind = arr.dtype.kind
    if kind == "b":
        fmt = str
    elif kind in "iu":
        fmt = str
    else:
        finite = arr[np.isfinite(arr)].astype(np.float64)
        nonzero = np.abs(finite[finite != 0])
        if nonzero.size == 0:
            def fmt(v):
                return _special(v) or "0."
        else:
            lo, hi = nonzero.min(), nonzero.max()
            int_mode = bool(np.all(np.ceil(finite) == finite))
            sci = hi / lo > 1000.0 or hi > 1e8 or (not int_mode and lo < 1e-4)
            if sci:
                def fmt(v):
                    return _special(v) or f"{v:.{PRECISION}e}"
            elif int_mode:
                def fmt(v):
                    return _special(v) or f"{v:.0f}."
            else:
                def fmt(v):
                    return _special(v) or f"{v:.{PRECISION}f}"
    flat = _summarized(arr).ravel()
    width = max((len(fmt(v)) for v in flat.tolist()), default=1)
    return lambda v: fmt(v).rjust(width), width


def _special(v):
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
    return None


def _summarized(arr):
    if arr.size <= THRESHOLD:
        return arr
    for d in range(arr.ndim):
        if arr.shape[d] > 2 * EDGEITEMS:
            idx = list(range(EDGEITEMS)) + list(range(arr.shape[d] - EDGEITEMS, arr.shape[d]))
            arr = np.take(arr, idx, axis=d)
    return arr


def _format(arr, fmt, width, indent, summarize):
    if arr.ndim == 0:
        return fmt(arr.item())
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        idx = list(range(EDGEITEMS)) + [None] + list(range(n - EDGEITEMS, n))
    else:
        idx = list(range(n))
    if arr.ndim == 1:
        items = ["..." if i is None else fmt(arr[i].item()) for i in idx]
        per_line = max(1, (LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _format(arr[i], fmt, width, indent + 1, summarize) for i in idx]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor(") -> str:
    from . import _dtype

    arr = t._data
    suffixes = []
    if arr.size == 0 and arr.shape != (0,):
        body = "[]"
        suffixes.append(f"size={tuple(arr.shape)}")
    elif arr.size == 0:
        body = "[]"
    else:
        fmt, width = _formatter(arr)
        body = _format(arr, fmt, width, len(prefix), arr.size > THRESHOLD)
    dt = _dtype.from_numpy_dtype(arr.dtype)
    if dt not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_) or (
        arr.size == 0 and dt is not _dtype.get_default_dtype()
    ):
        suffixes.append(f"dtype={dt!r}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"

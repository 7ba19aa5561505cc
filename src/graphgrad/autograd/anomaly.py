"""Anomaly detection: NaN/inf checks in backward that name the forward op and where it ran."""

from __future__ import annotations

import warnings

import numpy as np

from .._core.modes import AnomalyMode as _Anomaly
from .errors import format_site
from .ledger import node_saved


def is_anomaly_enabled() -> bool:
    return _Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _Anomaly.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off (``set_detect_anomaly(True)``); also a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled = bool(mode)
        _Anomaly.check_nan = bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False


class detect_anomaly:
    """Context manager (and decorator): record each op's traceback; fail on NaN in backward.

    >>> import graphgrad
    >>> with graphgrad.autograd.detect_anomaly():
    ...     x = graphgrad.tensor([0.0], requires_grad=True)
    ...     y = x.sqrt() * 0  # the gradient of sqrt at 0 is inf; times 0 gives nan
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
            "enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled = True
        _Anomaly.check_nan = self.check_nan
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def run_node(node, grads):
    """Run ``node`` in anomaly mode: on error or NaN, show the traceback of its forward op."""
    try:
        grad_inputs = node.apply(grads)
    except Exception:
        _warn_trace(node)
        raise
    if _Anomaly.check_nan:
        for i, g in enumerate(grad_inputs):
            if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
                _warn_trace(node)
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output."
                                   + _nan_context(node, grads))
    return grad_inputs


def _values(arr) -> str:
    n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
    n_zero = int((arr == 0).sum())
    counts = ((n_nan, "nan"), (n_inf, "inf"), (n_zero, "zero" if n_zero == 1 else "zeros"))
    parts = [f"{n} {what}" for n, what in counts if n]
    return ", ".join(parts) if parts else "all finite, non-zero"


def _nan_context(node, grads) -> str:
    """Where the op was created, and what it received: nan out of finite inputs points at the op itself."""
    lines = ["", "", f"graphgrad: {node.name()} is the derivative of the op created at {format_site(node._site)}"]
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f":
            lines.append(f"  incoming gradient {i}: {_values(g._data)}")
    for name, arr, _ in node_saved(node):
        if arr.dtype.kind == "f":
            lines.append(f"  saved {name}: {_values(arr)}")
    lines.append("  A nan from finite values is 0/0, inf-inf or 0*inf in the derivative, e.g. sqrt or log at 0, "
                 "or pow with a negative base: clamp the input (x.clamp(min=eps)) or add an eps.")
    return "\n".join(lines)


def _warn_trace(node):
    trace = "".join(node._anomaly) if node._anomaly else "  (created before anomaly detection was enabled)\n"
    warnings.warn(
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{trace}",
        UserWarning,
        stacklevel=3,
    )

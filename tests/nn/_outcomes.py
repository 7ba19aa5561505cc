"""What a call does, as a value to compare between graphgrad and PyTorch: the error it raises, the
warnings it emits."""

from __future__ import annotations

import warnings

import pytest


def error_of(fn):
    """(type, message) of the exception ``fn()`` raises; the test fails if it raises none."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def outcome_of(fn):
    """((type name, message) or None, [warning messages]) of calling ``fn()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            err = None
        except Exception as e:  # noqa: BLE001 - the error itself is the result
            err = (type(e).__name__, str(e))
    return err, [str(w.message) for w in caught]


def assert_same_errors(graphgrad_cases, torch_cases):
    """Each pair of calls raises the same exception type with the same text."""
    for i, (g, t) in enumerate(zip(graphgrad_cases, torch_cases, strict=True)):
        assert error_of(g) == error_of(t), f"case {i}"

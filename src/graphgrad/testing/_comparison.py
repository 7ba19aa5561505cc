"""``assert_close`` as PyTorch's: which inputs pair up, the default tolerances per dtype, the checks on
shape/device/dtype/stride, and the AssertionError text word for word (counts, greatest differences and
where they are). The values are compared with NumPy; tensors are read, never changed.
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib

import numpy as np

from .. import _factories
from .._dtype import get_default_dtype, promote_types
from .._tensor import Tensor

# (rtol, atol) by dtype name, PyTorch's table; every other dtype (integers, bool) compares exactly.
_DTYPE_PRECISIONS = {
    "float16": (0.001, 1e-5),
    "bfloat16": (0.016, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex32": (0.001, 1e-5),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its text, and where in the inputs it happened."""

    def __init__(self, type_, msg, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type_, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    """These two inputs are not a pair of this kind; the next kind is tried."""


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _tolerances(dtype_names, rtol, atol, id):
    if (rtol is None) ^ (atol is None):
        raise _Mismatch(
            ValueError,
            "Both 'rtol' and 'atol' must be either specified or omitted, "
            f"but got no {'rtol' if rtol is None else 'atol'}.",
            id,
        )
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*(_DTYPE_PRECISIONS.get(name, (0.0, 0.0)) for name in dtype_names))
    return max(rtols), max(atols)


def _mismatch_message(default_identifier, identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def line(kind, diff, idx, tol):
        if idx is None:
            text = f"{kind.title()} difference: {diff}"
        else:
            text = f"Greatest {kind} difference: {diff} at index {idx}"
        return text + ("" if equality else f" (up to {tol} allowed)") + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_message("Scalars", None, f"Expected {expected} but got {actual}.", abs_diff, None, atol,
                             rel_diff, None, rtol)


def _tensor_message(actual, expected, matches, rtol, atol):
    """PyTorch's report for arrays: how many elements mismatch, and the greatest absolute and relative
    differences among the mismatches with their (multi-)index."""
    total = matches.size
    mismatches = total - int(matches.sum())
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    actual_flat, expected_flat, matches_flat = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if not (np.issubdtype(actual.dtype, np.floating) or np.issubdtype(actual.dtype, np.complexfloating)):
        actual_flat, expected_flat = actual_flat.astype(np.int64), expected_flat.astype(np.int64)
    abs_diff = np.abs(actual_flat - expected_flat)
    abs_diff[matches_flat] = 0
    # integer differences divide in the default float dtype, as PyTorch's true division does
    div_dtype = abs_diff.dtype if abs_diff.dtype.kind == "f" else np.dtype(_dtype_name(get_default_dtype()))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_diff = abs_diff.astype(div_dtype) / np.abs(expected_flat).astype(div_dtype)
    rel_diff[matches_flat] = 0

    def greatest(values):
        # torch.max returns a NaN (the first) when there is one
        nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
        flat_index = int(np.argmax(nan)) if nan.any() else int(np.argmax(values))
        return values[flat_index].item(), tuple(int(i) for i in np.unravel_index(flat_index, actual.shape))

    (max_abs, abs_idx), (max_rel, rel_idx) = greatest(abs_diff), greatest(rel_diff)
    return _mismatch_message("Tensor-likes", None, extra, max_abs, abs_idx, atol, max_rel, rel_idx, rtol)


def _compare_none(actual, expected, id, **_):
    if actual is not None and expected is not None:
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", id)


def _compare_booleans(actual, expected, id, **_):
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id)


def _compare_numbers(actual, expected, id, rtol, atol, equal_nan, check_dtype, **_):
    number_types = (int, float, complex, np.number)
    if not all(isinstance(x, number_types) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPES[type(x)] for x in (actual, expected)], rtol, atol, id)
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id)
    if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol), id)


def _as_tensor(value):
    if isinstance(value, Tensor):
        return value

    try:
        return _factories.as_tensor(value)
    except Exception:
        raise _Unsupported from None


def _compare_tensors(actual, expected, id, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
                     check_stride, **_):
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    actual, expected = _as_tensor(actual), _as_tensor(expected)
    rtol, atol = _tolerances([_dtype_name(actual.dtype), _dtype_name(expected.dtype)], rtol, atol, id)

    def attribute_mismatch(name, a, e):
        raise _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.", id)

    if actual.shape != expected.shape:
        attribute_mismatch("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        attribute_mismatch("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        attribute_mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        attribute_mismatch("dtype", actual.dtype, expected.dtype)

    if actual.dtype != expected.dtype:  # compared in PyTorch's promoted dtype (int64 with float32: float32)
        common = promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(common), expected.to(common)
    a, e = actual.detach().numpy(), expected.detach().numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        if rtol or atol:
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
        else:  # exact: no float round trip for large integers
            matches = a == e
            if equal_nan and a.dtype.kind in "fc":
                matches |= np.isnan(a) & np.isnan(e)
    matches = np.asarray(matches)
    if matches.all():
        return
    if a.ndim == 0:
        message = _scalar_message(a.item(), e.item(), rtol, atol)
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            message = _tensor_message(a, e, matches, rtol, atol)
    raise _Mismatch(AssertionError, message, id)


_PAIR_KINDS = (_compare_none, _compare_booleans, _compare_numbers, _compare_tensors)


def _pairs(actual, expected, id, options):
    """Walk matching sequences and mappings down to leaves; yield (compare, actual, expected, id)."""
    sequence = collections.abc.Sequence
    if (isinstance(actual, sequence) and not isinstance(actual, str)
            and isinstance(expected, sequence) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError,
                            f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", id)
        for i in range(len(actual)):
            yield from _pairs(actual[i], expected[i], (*id, i), options)
        return
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise _Mismatch(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}",
                id,
            )
        keys = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        for key in keys:
            yield from _pairs(actual[key], expected[key], (*id, key), options)
        return
    yield actual, expected, id


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Assert that ``actual`` and ``expected`` are close: ``|actual - expected| <= atol + rtol * |expected|``
    elementwise, with equal shape, device and dtype (unless ``check_device``/``check_dtype`` are False).

    Without ``rtol``/``atol`` the tolerances follow the dtype (float32: rtol 1.3e-6, atol 1e-5; float64:
    1e-7 both; integers and bool: exact). Tensors, NumPy arrays, Python numbers, None, and sequences or
    mappings of them are accepted; ``msg`` (a string, or a function of the generated text) replaces the
    message.

    >>> import graphgrad
    >>> graphgrad.testing.assert_close(graphgrad.tensor([1.0, 3.0]), graphgrad.tensor([1.0, 2.0]))
    Traceback (most recent call last):
    ...
    AssertionError: Tensor-likes are not close!
    <BLANKLINE>
    Mismatched elements: 1 / 2 (50.0%)
    Greatest absolute difference: 1.0 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        leaves = list(_pairs(actual, expected, (), options))
    except _Mismatch as mismatch:
        raise mismatch.to_error() from None
    failures = []
    for a, e, id in leaves:
        try:
            for compare in _PAIR_KINDS:
                try:
                    compare(a, e, id, **options)
                    break
                except _Unsupported:
                    continue
            else:
                raise _Mismatch(TypeError,
                                f"No comparison pair was able to handle inputs of type {type(a)} and {type(e)}.", id)
        except _Mismatch as mismatch:
            if mismatch.type is not AssertionError:  # bad input is raised at once, as PyTorch does
                raise mismatch.to_error() from None
            failures.append(mismatch)
    if failures:
        raise failures[0].to_error(msg)

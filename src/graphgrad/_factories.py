"""Tensor factories: tensor, zeros, ones, arange, rand, ... with PyTorch's dtype inference."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype, _runtime
from ._device import check_device
from ._tensor import Tensor
from .autograd.graph import _Sites, user_site
from .ops._op import Op, _torch_name, apply_inplace, export
from .random import rng
from .sparse import sparse_coo_tensor


def _resolve(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_dtype(dtype).np


def _finish(arr, requires_grad, device=None):
    if device is None:
        device = _runtime.default_device  # set_default_device's choice
    if device is not None:
        check_device(device)
    t = Tensor._make(arr, False, None)
    if requires_grad:
        if not _dtype.is_float_np(arr.dtype):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        size = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a sequence of ints, but got {size!r}") from None
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _infer(data):
    """The dtype PyTorch infers for nested Python data: bool < int64 < default float."""
    if isinstance(data, Tensor):
        return data._data.dtype
    if isinstance(data, np.ndarray):
        return data.dtype
    if isinstance(data, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(data, (int, np.integer)):
        return np.dtype(np.int64) if not isinstance(data, np.integer) else np.dtype(data.dtype)
    if isinstance(data, (float, np.floating)):
        return _dtype.get_default_dtype().np if not isinstance(data, np.floating) else np.dtype(data.dtype)
    if isinstance(data, (list, tuple)):
        kinds = [_infer(x) for x in data]
        if not kinds:
            return _dtype.get_default_dtype().np
        out = kinds[0]
        for k in kinds[1:]:
            if k != out:
                out = _dtype.promote_types(_dtype.from_numpy_dtype(out), _dtype.from_numpy_dtype(k)).np
        return out
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_array(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(x, (Tensor, list, tuple)) for x in data):
        _check_ragged(data)
        return np.array([_to_array(x) for x in data])
    return np.asarray(data)


def _check_ragged(data, dim=0):
    """PyTorch's ValueError for nested lists of unequal lengths."""
    seqs = [x for x in data if isinstance(x, (list, tuple))]
    if not seqs:
        return
    n = len(seqs[0])
    for x in data:
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"'{type(seqs[0]).__name__}' object cannot be interpreted as an integer")
        if len(x) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(x)})")
    for x in data:
        _check_ragged(x, dim + 1)


@export("tensor", method=False)
def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor that copies ``data`` (a number, nested lists, an ndarray or a tensor).

    >>> import graphgrad
    >>> graphgrad.tensor([1, 2]).dtype, graphgrad.tensor([1.0]).dtype
    (graphgrad.int64, graphgrad.float32)
    """
    if isinstance(data, Tensor):
        import warnings

        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=3,
        )
        arr = data._data.copy()
    else:
        # with an explicit dtype, convert once (0.3 as float64 must not pass through float32)
        dt = _dtype.to_dtype(dtype).np if dtype is not None else _infer(data)
        arr = np.array(_to_array(data), dtype=dt)
    if dtype is not None:
        arr = arr.astype(_dtype.to_dtype(dtype).np, copy=False)
    _dtype.from_numpy_dtype(arr.dtype)  # rejects unsupported dtypes with PyTorch's message
    t = _finish(arr, requires_grad, device)
    if _Sites.enabled:  # where a leaf came from (values re-wrapped from .item() have no history), for errors
        source = "tensor" if isinstance(data, Tensor) else "array" if isinstance(data, np.ndarray) else "numbers"
        t._ensure_extra().made = ("tensor", user_site(2), source)
    return t


@export("as_tensor", method=False)
def as_tensor(data, dtype=None, device=None):
    """Like ``tensor``, but shares memory with an ndarray or tensor of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is _dtype.to_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == _dtype.to_dtype(dtype).np):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


@export("from_numpy", method=False)
def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (writes show through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    t = Tensor._make(ndarray, False, None)
    if _Sites.enabled:
        t._ensure_extra().made = ("from_numpy", user_site(2), "array")
    return t


def _filled(value, size, dtype, requires_grad, device, default=None, layout=None):
    if layout is not None and layout.name == "sparse_coo":  # an all-zero sparse tensor: no nonzeros at all
        if value != 0:
            raise RuntimeError("full(...) is not implemented for sparse layout")

        shape = _size(size)
        return sparse_coo_tensor(np.zeros((len(shape), 0), np.int64), np.zeros(0, _resolve(dtype, default)), shape,
                                 device=device, requires_grad=requires_grad)
    return _finish(np.full(_size(size), value, dtype=_resolve(dtype, default)), requires_grad, device)


@export("zeros", method=False)
def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None):
    try:
        return _filled(0, size, dtype, requires_grad, device, layout=layout)
    except RuntimeError as e:
        if "negative dimension" in str(e):
            raise RuntimeError("zeros: Dimension size must be non-negative.") from None  # PyTorch's own text
        raise


@export("ones", method=False)
def ones(*size, dtype=None, device=None, requires_grad=False, layout=None):
    return _filled(1, size, dtype, requires_grad, device, layout=layout)


@export("empty", method=False)
def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    if memory_format is not None and memory_format.name == "preserve_format":
        raise RuntimeError("unsupported memory format Preserve")
    return _filled(0, size, dtype, requires_grad, device, layout=layout)


@export("full", method=False)
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    if dtype is None:
        dtype = _dtype.from_numpy_dtype(_infer(fill_value))
    return _filled(fill_value, (tuple(size),), dtype, requires_grad, device, layout=layout)


def _like(fn):
    def like(input, *args, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None,
             **kwargs):
        if layout is not None:
            kwargs["layout"] = layout  # zeros_like(x, layout=sparse_coo); the random factories take no layout
        return fn(input._data.shape, *args, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad,
                  **kwargs)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and, by default, dtype) of ``input``."
    return like


zeros_like = export("zeros_like", method=False)(_like(zeros))
ones_like = export("ones_like", method=False)(_like(ones))
empty_like = export("empty_like", method=False)(_like(empty))


@export("full_like", method=False)
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(input._data.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@export("eye", method=False)
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"{'n' if n < 0 else 'm'} must be greater or equal to 0, got {n if n < 0 else m}")
    return _finish(np.eye(n, m, dtype=_resolve(dtype)), requires_grad, device)


@export("arange", method=False)
def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive); int64 unless a bound or step is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        floaty = any(isinstance(v, float) for v in vals)
        dtype = _dtype.get_default_dtype() if floaty else _dtype.int64
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(0, math.ceil((end - start) / step))
    arr = (start + step * np.arange(n, dtype=np.float64)).astype(_resolve(dtype)) if isinstance(step, float) or \
        isinstance(start, float) else np.arange(start, end, step).astype(_resolve(dtype))
    return _finish(arr, requires_grad, device)


@export("linspace", method=False)
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps, dtype=np.float64).astype(_resolve(dtype)), requires_grad, device)


@export("logspace", method=False)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.logspace(start, end, steps, base=base).astype(_resolve(dtype)), requires_grad, device)


# --- random ---------------------------------------------------------------------------------------
@export("rand", method=False)
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples on [0, 1)."""
    dt = _resolve(dtype)
    _float_kernel("check_uniform_bounds", dt)
    return _finish(rng(generator).random(_size(size), dtype=np.float64).astype(dt), requires_grad, device)


@export("randn", method=False)
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples."""
    dt = _resolve(dtype)
    _float_kernel("normal_kernel_cpu", dt)
    return _finish(rng(generator).standard_normal(_size(size)).astype(dt), requires_grad, device)


def _float_kernel(kernel, dt):
    """PyTorch's NotImplementedError for a floating-point sampler asked for integers or bools."""
    if np.dtype(dt).kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')


@export("randint", method=False)
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = rng(generator).integers(low, high, size=_size((tuple(size),)))
    return _finish(arr.astype(_resolve(dtype, _dtype.int64)), requires_grad, device)


@export("randperm", method=False)
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    return _finish(rng(generator).permutation(n).astype(_resolve(dtype, _dtype.int64)), requires_grad, device)


rand_like = export("rand_like", method=False)(_like(rand))
randn_like = export("randn_like", method=False)(_like(randn))


@export("randint_like", method=False)
def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


@export("normal", method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False, out=None):
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with a ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size((tuple(size),)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = next((t._data.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    arr = rng(generator).normal(m, s, size=shape).astype(dt if dtype is None and dt is not None else _resolve(dtype))
    return _finish(arr, requires_grad)


@export("bernoulli")
def bernoulli(input, p=None, *, generator=None):
    prob = input._data if p is None else np.full(input._data.shape, p)
    return Tensor._make((rng(generator).random(input._data.shape) < prob).astype(input._data.dtype), False, None)


@export("multinomial")
def multinomial(input, num_samples, replacement=False, *, generator=None):
    probs = np.atleast_2d(input._data.astype(np.float64))
    r = rng(generator)
    rows = [r.choice(probs.shape[1], size=num_samples, replace=replacement, p=row / row.sum()) for row in probs]
    out = np.array(rows, dtype=np.int64)
    return Tensor._make(out if input._data.ndim == 2 else out[0], False, None)


# in-place random fills: recorded like any in-place write (they bump the version counter)
_FLOAT_ONLY = {"NormalBackward0": "normal_kernel_cpu", "UniformBackward0": "check_uniform_bounds",
               "ExponentialBackward0": "exponential"}


def _random_fill(name, sample):
    op = Op(name, lambda a, **kw: sample(a, **kw).astype(a.dtype), lambda n, g: g * 0)
    kernel = _FLOAT_ONLY.get(name)

    def method(self, *args, generator=None, **kwargs):
        if kernel is not None and self._data.dtype.kind != "f":
            if name == "ExponentialBackward0":
                raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be "
                                   f"a floating point but you specified {_torch_name(self._data.dtype)}")
            _float_kernel(kernel, self._data.dtype)
        return apply_inplace(op, self, **_bind(sample, args, kwargs), generator=generator)

    return method


def _bind(fn, args, kwargs):
    import inspect

    params = [p for p in inspect.signature(fn).parameters if p not in ("a", "generator")]
    kw = dict(zip(params, args))
    kw.update(kwargs)
    return kw


def _normal_sample(a, mean=0.0, std=1.0, generator=None):
    return rng(generator).normal(mean, std, size=a.shape)


def _uniform_sample(a, from_=0.0, to=1.0, generator=None, **kw):
    lo = kw.get("from", from_)
    return rng(generator).uniform(lo, to, size=a.shape)


def _bernoulli_sample(a, p=0.5, generator=None):
    prob = p._data if isinstance(p, Tensor) else p
    return rng(generator).random(a.shape) < prob


def _random_sample(a, from_=0, to=None, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    return rng(generator).integers(from_, to, size=a.shape)


def _exponential_sample(a, lambd=1.0, generator=None):
    return rng(generator).exponential(1.0 / lambd, size=a.shape)


export("normal_", function=False)(_random_fill("NormalBackward0", _normal_sample))
export("uniform_", function=False)(_random_fill("UniformBackward0", _uniform_sample))
export("bernoulli_", function=False)(_random_fill("BernoulliBackward0", _bernoulli_sample))
export("random_", function=False)(_random_fill("RandomBackward0", _random_sample))
export("exponential_", function=False)(_random_fill("ExponentialBackward0", _exponential_sample))


# --- legacy typed constructors used by older code -------------------------------------------------
def _legacy(dt):
    def ctor(*data):
        if len(data) == 1 and not isinstance(data[0], (int, np.integer)):
            return tensor(data[0], dtype=dt)
        return zeros(*data, dtype=dt)

    ctor.__name__ = dt._legacy
    ctor.__doc__ = f"Legacy constructor: ``{dt._legacy}([1, 2])`` is ``tensor([1, 2], dtype={dt!r})``."
    return ctor


LEGACY = {d._legacy: _legacy(d) for d in _dtype._ALL}

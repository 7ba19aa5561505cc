"""Tensor factories: tensor, zeros, ones, arange, rand, ... with PyTorch's dtype inference."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype, _runtime
from . import _random_kernels as K
from ._core import layouts
from ._core.fp_errors import quietly
from ._core.layouts import strided
from ._core.sites import warn_at_user_line
from ._device import check_device
from ._from_python import as_array, infer_dtype
from ._tensor import Tensor, factory_requires_grad
from .autograd.grad_mode import no_grad
from .autograd.graph import _Sites, user_site
from .ops._args import missing_args_error
from .ops._export import export
from .ops._inplace import apply_inplace
from .ops._keywords import PIN_MEMORY_ERROR
from .ops._op import Op, _torch_name, c_type_name
from .random import generator_or_default


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
        dt = _dtype.to_dtype(dtype).np if dtype is not None else infer_dtype(data)
        arr = _cast(as_array(data), dt, copy=True)
    if dtype is not None:
        arr = _cast(arr, _dtype.to_dtype(dtype).np)
    _dtype.from_numpy_dtype(arr.dtype)  # rejects unsupported dtypes with PyTorch's message
    t = _finish(arr, requires_grad, device)
    if _Sites.enabled:  # where a leaf came from (values re-wrapped from .item() have no history), for errors
        source = "tensor" if isinstance(data, Tensor) else "array" if isinstance(data, np.ndarray) else "numbers"
        t._ensure_extra().made = ("tensor", user_site(2), source)
    return t


@quietly
def _cast(a, dt, copy=False):
    """``a`` in dtype ``dt`` (copied if ``copy``): a number beyond the dtype's range is inf, silently as PyTorch
    makes it."""
    return np.array(a, dtype=dt, copy=True if copy else None)


# --- Tensor.new_*: tensors like the factories make, with this tensor's dtype unless told otherwise ---------
@export("new_tensor", function=False)
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """``x.new_tensor(data)``: ``graphgrad.tensor(data)`` in ``x``'s dtype.

    >>> import graphgrad
    >>> graphgrad.ones(1, dtype=graphgrad.float64).new_tensor([1, 2]).dtype
    graphgrad.float64
    """
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _new_filled(self, fill, size, dtype, requires_grad, device, name):
    if not size:  # x.new_zeros(): the size is required (x.new_zeros(()) is a 0-d tensor)
        raise missing_args_error(name, ["size"])
    if device is not None:
        check_device(device)
    dt = _dtype.to_dtype(dtype).np if dtype is not None else self._data.dtype
    t = Tensor._make(np.full(_size(size), fill, dtype=dt), False, None)
    return factory_requires_grad(t) if requires_grad else t


@export("new_zeros", function=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """``x.new_zeros(2, 3)``: zeros in ``x``'s dtype.

    >>> import graphgrad
    >>> graphgrad.ones(1, dtype=graphgrad.int32).new_zeros(2)
    tensor([0, 0], dtype=graphgrad.int32)
    """
    return _new_filled(self, 0, size, dtype, requires_grad, device, "new_zeros")


@export("new_ones", function=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return _new_filled(self, 1, size, dtype, requires_grad, device, "new_ones")


@export("new_empty", function=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return _new_filled(self, 0, size, dtype, requires_grad, device, "new_empty")


@export("new_full", function=False)
def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return _new_filled(self, fill_value, (tuple(size),), dtype, requires_grad, device, "new_full")


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


def _filled(value, size, dtype, requires_grad, device, default=None, layout=None, name="zeros"):
    if layout is not None and layout is not strided:  # zeros(..., layout=graphgrad.sparse_coo): its layout makes it
        if not isinstance(layout, layouts.layout):
            raise TypeError(f"{name}(): argument 'layout' must be torch.layout, not {type(layout).__name__}")
        return layout.filled(value, _size(size), _resolve(dtype, default), device, requires_grad)
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
    return _filled(1, size, dtype, requires_grad, device, layout=layout, name="ones")


@export("empty", method=False)
def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    if memory_format is not None and memory_format.name == "preserve_format":
        raise RuntimeError("unsupported memory format Preserve")
    return _filled(0, size, dtype, requires_grad, device, layout=layout, name="empty")


@export("full", method=False)
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    if dtype is None:
        dtype = _dtype.from_numpy_dtype(infer_dtype(fill_value))
    return _filled(fill_value, (tuple(size),), dtype, requires_grad, device, layout=layout, name="full")


def _like(fn):
    # the shape goes after any leading arguments: randint_like(x, low, high) is randint(low, high, x.shape)
    def like(input, *args, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None,
             pin_memory=False, **kwargs):
        if pin_memory:
            raise RuntimeError(PIN_MEMORY_ERROR)
        if layout is not None:
            kwargs["layout"] = layout  # zeros_like(x, layout=sparse_coo); the random factories take no layout
        return fn(*args, input._data.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad,
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


def _triangle_indices(name, lower, row, col, offset, dtype, device):
    dt = _resolve(dtype, _dtype.int64)
    if dt.kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for \'{_torch_name(dt)}\'')
    for what, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{what} must be non-negative, got{n}")
    pick = np.tril_indices if lower else np.triu_indices
    rows, cols = pick(row, offset, col) if row and col else (np.zeros(0, np.int64),) * 2
    return _finish(np.stack([rows, cols]).astype(dt), False, device)


@export("tril_indices", method=False)
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a row x col matrix (below diagonal ``offset``), as a
    2 x N tensor in row-major order.

    >>> tril_indices(3, 3).tolist()
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _triangle_indices("tril_indices", True, row, col, offset, dtype, device)


@export("triu_indices", method=False)
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle of a row x col matrix (from diagonal ``offset``)."""
    return _triangle_indices("triu_indices", False, row, col, offset, dtype, device)


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
    np_dtype = _resolve(dtype)
    if K.is_reduced_float(np_dtype):
        arr = _arange_16bit(start, step, n, np_dtype)
    elif isinstance(step, float) or isinstance(start, float):
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(np_dtype)
    else:
        arr = np.arange(start, end, step).astype(np_dtype)
    return _finish(arr, requires_grad, device)


@export("linspace", method=False)
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    for name, bound in (("start", start), ("end", end)):
        if getattr(bound, "ndim", 0):  # (a tensor bound: 0-dim only)
            raise RuntimeError(f"linspace only supports 0-dimensional start and end tensors, but got {name} with "
                               f"{bound.ndim} dimension(s).")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = _resolve(dtype)
    if K.is_reduced_float(np_dtype):
        return _finish(_linspace_16bit(start, end, steps, np_dtype), requires_grad, device)
    return _finish(np.linspace(start, end, steps, dtype=np.float64).astype(np_dtype), requires_grad, device)


# PyTorch's CPU arange and linspace kernels for float16 and bfloat16 round to the 16-bit type part-way
# through, so beyond 256 (bfloat16) or 2048 (float16) their values differ from computing in float32 or
# float64 and rounding once. The helpers below repeat those roundings: each step is float32 arithmetic
# rounded to the 16-bit type, as the C++ 16-bit types do it.
_ARANGE_VECTOR_WIDTH = 16  # 16-bit elements per SIMD vector in PyTorch's CPU arange kernel


def _arange_16bit(start, step, n, np_dtype):
    """``start + step * i`` as PyTorch's CPU arange fills a 16-bit float tensor.

    Its kernel computes in float32; whole pairs of SIMD vectors start from a base rounded to the 16-bit type
    (``base + lane * step``), the rest from ``start + step * i`` directly. (PyTorch splits outputs longer
    than 32768 elements among its threads, each part starting its own vectors; this follows one thread.)

    >>> _arange_16bit(2049, 1, 3, np.float16).tolist()
    [2048.0, 2050.0, 2052.0]
    """
    start, step = np.float64(np.float32(start)), np.float64(np.float32(step))
    i = np.arange(n, dtype=np.int64)
    # start + step * i in float32 with one rounding: the compiled kernel fuses the multiply-add (float64
    # holds the float32 product exactly)
    out = (start + step * i.astype(np.float32)).astype(np.float32).astype(np_dtype)
    vectorised = n // (2 * _ARANGE_VECTOR_WIDTH) * (2 * _ARANGE_VECTOR_WIDTH)
    lane = i[:vectorised] % _ARANGE_VECTOR_WIDTH
    base = (start + step * (i[:vectorised] - lane).astype(np.float32)).astype(np.float32).astype(np_dtype)
    if np_dtype == np.float16:  # float16 vectors fuse the lane's multiply-add too; bfloat16 vectors round twice
        lanes = base.astype(np.float64) + lane * step
    else:
        lanes = base.astype(np.float32) + (lane * step).astype(np.float32)
    out[:vectorised] = lanes.astype(np.float32).astype(np_dtype)
    return out


def _linspace_16bit(start, end, steps, np_dtype):
    """PyTorch's CPU linspace in a 16-bit float type: ``start``, ``end``, the step and every product rounded
    to that type, the first half counted up from ``start`` and the second half down from ``end``.

    >>> _linspace_16bit(0, 3000, 4, np.float16).tolist()
    [0.0, 1000.0, 2000.0, 3000.0]
    """
    def rounded(x):
        return np.asarray(x, np.float32).astype(np_dtype).astype(np.float32)

    start, end = rounded(start), rounded(end)
    if steps == 1:
        return start.reshape(1).astype(np_dtype)
    step = rounded(rounded(end - start) / rounded(steps - 1))
    i = np.arange(steps)
    from_start = rounded(start + rounded(step * rounded(i)))
    from_end = rounded(end - rounded(step * rounded(steps - 1 - i)))
    return np.where(i < steps // 2, from_start, from_end).astype(np_dtype)


@export("logspace", method=False)
@quietly  # (base ** end beyond the dtype's range is inf)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.logspace(start, end, steps, base=base).astype(_resolve(dtype)), requires_grad, device)


# --- random ---------------------------------------------------------------------------------------
# Every factory and in-place sampler below draws through a graphgrad.random.Generator with PyTorch's kernels
# (graphgrad._random_kernels), so a seed gives PyTorch's numbers.
def _random_size(size, size_kw, name):
    """The shape from ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    if size_kw is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (size_kw,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return _size(size)


def _random_result(arr, requires_grad, device, out):
    """Wrap a drawn array (or write it into ``out``, resized as PyTorch resizes it)."""
    if out is None:
        return _finish(arr, requires_grad, device)
    if out._data.shape != arr.shape:
        out._data = np.empty(arr.shape, out._data.dtype)
    with no_grad():
        out.copy_(Tensor._make(arr, False, None))
    return out


def _random_dtype(dtype, out, default=None):
    if out is not None:
        return out._data.dtype
    return _resolve(dtype, default)


@export("rand", method=False)
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    """Uniform samples on [0, 1), PyTorch's stream: ``manual_seed(0); rand(2)`` is ``[0.4963, 0.7682]``.

    >>> import graphgrad
    >>> _ = graphgrad.manual_seed(0)
    >>> graphgrad.rand(size=(2,))
    tensor([0.4963, 0.7682])
    """
    shape = _random_size(size, kw.pop("size", None), "rand")
    _no_extra(kw, "rand")
    dt = _random_dtype(dtype, out)
    _float_kernel("check_uniform_bounds", dt)
    arr = K.uniform(generator_or_default(generator), math.prod(shape), dt).reshape(shape)
    return _random_result(arr, requires_grad, device, out)


@export("randn", method=False)
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    """Standard normal samples, PyTorch's stream.

    >>> import graphgrad
    >>> _ = graphgrad.manual_seed(0)
    >>> graphgrad.randn(3)
    tensor([ 1.5410, -0.2934, -2.1788])
    """
    shape = _random_size(size, kw.pop("size", None), "randn")
    _no_extra(kw, "randn")
    dt = _random_dtype(dtype, out)
    _float_kernel("normal_kernel_cpu", dt)
    arr = K.normal(generator_or_default(generator), math.prod(shape), dt).reshape(shape)
    return _random_result(arr, requires_grad, device, out)


def _no_extra(kw, name):
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")


def _float_kernel(kernel, dt):
    """PyTorch's NotImplementedError for a floating-point sampler asked for integers or bools."""
    if not _dtype.is_float_np(np.dtype(dt)):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')


def _check_from_to(low, high):
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")


# the significand bits of the floating dtypes (the C++ type names PyTorch's bound errors print: c_type_name)
_SIGNIFICAND_BITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _through_dtype(value, dt):
    """``static_cast<int64_t>(static_cast<scalar_t>(value))``; a value the dtype cannot hold comes back as the
    x86-64 conversion's "integer indefinite", -2**63."""
    with np.errstate(over="ignore"):
        held = K.cast(np.array([value], np.int64), dt).astype(np.float64)[0]
    return int(held) if np.isfinite(held) and abs(held) < 2**63 else -(2**63)


def _random_bounds(low, high, dt, high_inclusive=False):
    """``[low, high)`` as PyTorch's ``random_`` checks and adjusts it for dtype ``dt`` (``high_inclusive``:
    ``[low, high]``, high being the dtype's largest). For a floating dtype the bounds move inwards until no
    integer drawn between them rounds onto or past them in the dtype (PyTorch's ``update_from``/``update_to``)."""
    name = np.dtype(dt).name
    bits = _SIGNIFICAND_BITS.get(name)
    if not high_inclusive:
        _check_from_to(low, high)
    if bits:
        from_plus_1 = _through_dtype(low + 1, dt)
        if from_plus_1 < low:
            low = from_plus_1 + (1 << (max(abs(low + 1).bit_length() - 1, 0) - bits + 1))
        if not high_inclusive:
            to_minus_1 = _through_dtype(high - 1, dt)
            if to_minus_1 >= high:
                high = to_minus_1 - (1 << (max(abs(high - 1).bit_length() - 1, 0) - bits + 1))
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than "
                               f"{'or equal to ' * high_inclusive}'to{'_inc' * high_inclusive}' casted to dtype, "
                               f"but got from={low} {'>' if high_inclusive else '>='} "
                               f"to{'_inc' * high_inclusive}={high}")
    top = high if high_inclusive else high - 1
    if name != "int64":
        info = np.finfo(dt) if bits else np.iinfo(dt) if name != "bool" else None
        lowest, largest = (float(info.min), float(info.max)) if info else (0, 1)
        for value, what in ((low, "from"), (top, "to - 1")):
            if not lowest <= value <= largest:
                raise RuntimeError(f"{what} is out of bounds for {c_type_name(name)}")
            if bits and not -(2**bits) <= value <= 2**bits:
                warn_at_user_line(f"{what} is out of bounds [-(2^{bits}), 2^{bits}]. Due to precision limitations "
                                  f"{c_type_name(name)} can support discrete uniform distribution only within this "
                                  "range. This warning will become an error in version 1.7 release, please fix the "
                                  "code in advance")
    return low, top + 1


@export("randint", method=False)
def randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """Integers uniform in [low, high): ``randint(high, size)``, ``randint(low, high, size)``, keywords too.

    >>> import graphgrad
    >>> _ = graphgrad.manual_seed(0)
    >>> graphgrad.randint(10, size=(4,))
    tensor([4, 9, 3, 0])
    """
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    bounds = list(args)
    if len(bounds) == 1:
        bounds = [bounds[0], high] if high is not None else [low if low is not None else 0, bounds[0]]
    elif not bounds:
        bounds = [0 if low is None else low, high]
    if len(bounds) != 2 or bounds[1] is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected (int high, tuple of "
                        "ints size) or (int low, int high, tuple of ints size)")
    low, high = (v.item() if isinstance(v, Tensor) else v for v in bounds)
    shape = _random_size((), size, "randint")
    dt = _random_dtype(dtype, out, _dtype.int64)
    low, high = _random_bounds(low, high, dt)
    arr = K.random_from_to(generator_or_default(generator), math.prod(shape), low, high)
    return _random_result(K.cast(arr, dt).reshape(shape), requires_grad, device, out)


@export("randperm", method=False)
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1, PyTorch's stream (its Fisher-Yates shuffle).

    >>> import graphgrad
    >>> _ = graphgrad.manual_seed(0)
    >>> graphgrad.randperm(5)
    tensor([4, 0, 1, 3, 2])
    """
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = _random_dtype(dtype, out, _dtype.int64)
    arr = K.randperm(generator_or_default(generator), int(n)).astype(dt)
    return _random_result(arr, requires_grad, device, out)


rand_like = export("rand_like", method=False)(_like(rand))
randn_like = export("randn_like", method=False)(_like(randn))
randint_like = export("randint_like", method=False)(_like(randint))


@export("normal", method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with a ``size``.

    As PyTorch: with a tensor std, ``normal_(0, 1)`` is drawn and scaled, ``* std + mean``; with a number std,
    ``normal_(0, std) + mean``.

    >>> import graphgrad
    >>> _ = graphgrad.manual_seed(0)
    >>> graphgrad.normal(2.0, 3.0, size=(2,))
    tensor([6.6230, 1.1197])
    """
    gen = generator_or_default(generator)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), but "
                            "expected a size")
        shape = _random_size((), size, "normal")
        dt = _random_dtype(dtype, out)
        arr = K.normal(gen, math.prod(shape), dt, mean, std).reshape(shape)
        return _random_result(arr, requires_grad, device, out)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(std, Tensor) and (s < 0).any() or not isinstance(std, Tensor) and std < 0:
        raise RuntimeError("normal expects all elements of std >= 0.0")
    dt = np.result_type(*[t._data.dtype for t in tensors])
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    n = math.prod(shape)
    if isinstance(std, Tensor):
        arr = K.normal(gen, n, dt).reshape(shape) * np.asarray(s, dt) + np.asarray(m, dt)
    else:
        arr = K.normal(gen, n, dt, 0.0, std).reshape(shape) + np.asarray(m, dt)
    return _random_result(arr.astype(dt), requires_grad, device, out)


@export("bernoulli")
def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probabilities ``input`` (or the number ``p``), PyTorch's stream."""
    gen = generator_or_default(generator)
    if p is None:
        drawn = K.bernoulli_tensor(gen, input._data)
    else:
        drawn = K.bernoulli_scalar(gen, input._data.size, p).reshape(input._data.shape)
    return _random_result(drawn.astype(input._data.dtype), False, None, out)


@export("multinomial")
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the rows of ``input`` (non-negative weights), PyTorch's stream."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not _dtype.is_float_np(probs.dtype):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_torch_name(probs.dtype).capitalize()}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = probs.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = np.atleast_2d(probs)
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    drawn = K.multinomial(generator_or_default(generator), rows, int(num_samples), replacement).astype(np.int64)
    return _random_result(drawn if probs.ndim == 2 else drawn[0], False, None, out)


# in-place random fills: recorded like any in-place write (they bump the version counter)
_FLOAT_ONLY = {"NormalBackward0": "normal_kernel_cpu", "UniformBackward0": "check_uniform_bounds",
               "ExponentialBackward0": "exponential", "CauchyBackward0": "cauchy",
               "LogNormalBackward0": "log_normal", "GeometricBackward0": None}


def _random_fill(name, sample):
    """A ``Tensor`` method ``x.<name>_(...)`` that overwrites x with ``sample(generator, x's array, ...)``.

    ``sample`` returns the values in the order PyTorch's kernel visits the elements: memory order.
    """
    op = Op(name, lambda a, generator=None, **kw: K.cast(_in_memory_order(
        sample(generator_or_default(generator), a, **kw), a), a.dtype), lambda n, g: g * 0)
    kernel = _FLOAT_ONLY.get(name)

    def method(self, *args, generator=None, **kwargs):
        if name in _FLOAT_ONLY and kernel and not _dtype.is_float_np(self._data.dtype):
            if name in ("ExponentialBackward0", "CauchyBackward0", "LogNormalBackward0"):
                what = {"ExponentialBackward0": "Exponential", "CauchyBackward0": "Cauchy",
                        "LogNormalBackward0": "Log-normal"}[name]
                raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype must be "
                                   f"a floating point but you specified {_torch_name(self._data.dtype)}")
            _float_kernel(kernel, self._data.dtype)
        return apply_inplace(op, self, **_bind(sample, args, kwargs), generator=generator)

    return method


def _in_memory_order(values, a):
    """Lay out ``values`` (one per element, in the order they were drawn) over ``a``'s elements in memory order,
    the order PyTorch's kernels visit a strided tensor (largest stride outermost)."""
    perm = sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))
    return np.asarray(values).reshape([a.shape[d] for d in perm]).transpose(np.argsort(perm))


def _bind(fn, args, kwargs):
    import inspect

    params = [p for p in inspect.signature(fn).parameters if p not in ("gen", "a")]
    kw = dict(zip(params, args))
    kw.update(kwargs)
    return kw


def _normal_sample(gen, a, mean=0.0, std=1.0):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return K.normal(gen, a.size, a.dtype, mean, std, contiguous=a.flags.c_contiguous)


def _uniform_sample(gen, a, from_=0.0, to=1.0, **kw):
    lo = kw.pop("from", from_)
    largest = float(np.finfo(a.dtype).max)  # NumPy's finfo knows bfloat16 once ml_dtypes is imported
    for value, what in ((lo, "from"), (to, "to")):
        if not -largest <= value <= largest:
            raise RuntimeError(f"{what} is out of bounds for {c_type_name(a.dtype.name)}")
    if lo > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo} > to={to}")
    if to - lo > largest:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_torch_name(a.dtype)}>::max(), but "
                           f"found to={to:g} and from={lo:g} which result in to-from to exceed the limit")
    return K.uniform(gen, a.size, a.dtype, lo, to)


def _bernoulli_sample(gen, a, p=0.5):
    if isinstance(p, Tensor):
        return K.bernoulli_tensor(gen, np.broadcast_to(p._data, a.shape))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return K.bernoulli_scalar(gen, a.size, p)


_TO_OMITTED = object()  # random_(from) without a ``to``, which differs from random_(from, None)


def _random_sample(gen, a, from_=None, to=_TO_OMITTED, **kw):
    """``random_()``, ``random_(to)``, ``random_(from, to)``; ``random_(from, None)`` (or ``from=`` alone): from
    ``from`` up to the largest integer the dtype holds exactly (all 64 bits from int64's lowest)."""
    if "from" in kw:
        from_, to = kw.pop("from"), None if to is _TO_OMITTED else to
    if from_ is None and to in (None, _TO_OMITTED):
        return K.random_full(gen, a.size, a.dtype)
    if to is _TO_OMITTED:
        from_, to = 0, from_
    if to is not None:
        return K.random_from_to(gen, a.size, *_random_bounds(from_, to, a.dtype))
    bits = _SIGNIFICAND_BITS.get(a.dtype.name)
    if from_ == -(2**63):  # the whole 64-bit range, for the dtypes PyTorch's kernel takes
        if a.dtype.name in ("float16", "bool"):
            raise NotImplementedError(f'"random_full_64_bits_range_kernel_cpu" not implemented for '
                                      f"'{_torch_name(a.dtype)}'")
        if a.dtype.name not in ("int64", "float32", "float64", "bfloat16"):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        return K.cast(gen.random64(a.size).view(np.int64), a.dtype)
    to_inc = 1 << bits if bits else 1 if a.dtype == np.bool_ else int(np.iinfo(a.dtype).max)
    return K.random_from_to(gen, a.size, *_random_bounds(from_, to_inc, a.dtype, high_inclusive=True))


def _exponential_sample(gen, a, lambd=1.0):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return K.exponential(gen, a.size, lambd)


def _cauchy_sample(gen, a, median=0.0, sigma=1.0):
    u = K.unit_doubles(gen, a.size)
    return median + sigma * K.libm("tan", math.pi * (u - 0.5))


def _log_normal_sample(gen, a, mean=1.0, std=2.0):
    # lognormal_distribution<double>: exp of one normal_distribution<double> sample per element
    return K.libm("exp", K.normal(gen, a.size, np.float64, mean, std, contiguous=False))


def _geometric_sample(gen, a, p):
    u = K.unit_doubles(gen, a.size)
    with np.errstate(divide="ignore"):
        return np.ceil(K.libm_log(u) / math.log1p(-p))


export("normal_", function=False)(_random_fill("NormalBackward0", _normal_sample))
export("uniform_", function=False)(_random_fill("UniformBackward0", _uniform_sample))
export("bernoulli_", function=False)(_random_fill("BernoulliBackward0", _bernoulli_sample))
export("random_", function=False)(_random_fill("RandomBackward0", _random_sample))
export("exponential_", function=False)(_random_fill("ExponentialBackward0", _exponential_sample))
export("cauchy_", function=False)(_random_fill("CauchyBackward0", _cauchy_sample))
export("log_normal_", function=False)(_random_fill("LogNormalBackward0", _log_normal_sample))
export("geometric_", function=False)(_random_fill("GeometricBackward0", _geometric_sample))


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

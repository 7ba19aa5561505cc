"""graphgrad: PyTorch's autograd re-made in readable Python on NumPy, with the graph made visible.

``import graphgrad as torch`` runs ordinary PyTorch training code with the same numbers, the same
graph-lifetime rules and the same errors.

>>> import graphgrad as torch
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from . import _dtype, _repr, _tensor, autograd, cuda, ops
from . import random as _random
from ._core import allocator as _allocator  # noqa: F401  (keeps freed array memory: fewer page faults)
from ._core.layouts import strided
from ._device import device
from ._dtype import (
    bool_ as bool,
)
from ._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._factories import LEGACY as _LEGACY
from ._size import Size
from ._tensor import Tensor
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.operators import OPERATORS as _OPERATORS
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .sparse import sparse_coo  # (its exports, sparse_coo_tensor and Tensor.to_sparse, are bound with the ops)
from .version import __version__  # noqa: E402

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
float32 = float32
from ._dtype import bfloat16, cdouble, cfloat, chalf, complex32, complex64, complex128, uint16, uint32, uint64  # noqa: E402,F401


def _bind_ops():
    _tensor.explain, _tensor.refresh_view, _tensor.cast = autograd.explain, ops._op.refresh_view, ops.copy.cast
    for name, fn in ops.METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in _OPERATORS.items():
        setattr(Tensor, name, fn)
    Tensor.backward = autograd.engine.tensor_backward
    Tensor.T = property(ops.shape.T)
    Tensor.mT = property(ops.shape.mT)
    Tensor.mH = property(ops.shape.mH)
    Tensor.H = property(ops.shape.H)
    globals().update(ops.FUNCTIONS)
    globals().update(_LEGACY)


_bind_ops()
default_generator = _random.default_generator
is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def result_type(tensor, other):
    """The dtype an op on ``tensor`` and ``other`` (tensors or numbers) computes in.

    >>> import graphgrad
    >>> graphgrad.result_type(graphgrad.tensor([1, 2]), 1.0)
    graphgrad.float32
    """
    for x in (tensor, other):  # (not all(): graphgrad.all is the tensor reduction here)
        if not isinstance(x, (Tensor, *_dtype._NUMBERS)):
            raise ops._args._combination_error("result_type", (tensor, other), {})
    return _dtype.result_type(tensor, other)


def can_cast(from_, to):
    import numpy as _np

    return bool(_np.can_cast(from_.np, to.np, "same_kind"))


def is_nonzero(t):
    return bool(t)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if precision is not None:
        _repr.PRECISION = precision
    if threshold is not None:
        _repr.THRESHOLD = threshold
    if edgeitems is not None:
        _repr.EDGEITEMS = edgeitems
    if linewidth is not None:
        _repr.LINEWIDTH = linewidth


from . import distributions, func, linalg, nn, optim, return_types, special, testing, utils, viz  # noqa: E402,E501  (viz: lazy)
from .serialization import load, save  # noqa: E402

# isort: split
# what PyTorch's CPU build has besides the ops: devices, backends, mixed precision, TorchScript, sparse COO
from . import accelerator, amp, backends, cpu, jit, multiprocessing, onnx, sparse, version  # noqa: E402
from ._compile import compile  # noqa: E402
from ._constants import (  # noqa: E402
    channels_last,
    channels_last_3d,
    contiguous_format,
    e,
    finfo,
    iinfo,
    inf,
    memory_format,
    nan,
    newaxis,
    pi,
    preserve_format,
)
from ._runtime import (  # noqa: E402
    get_default_device,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    set_default_device,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
)
from .amp.autocast_mode import (  # noqa: E402
    autocast,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
)

"""``graphgrad.backends.cuda``: CUDA's switches, recorded (``matmul.allow_tf32`` follows
``graphgrad.set_float32_matmul_precision`` both ways, as in PyTorch); CUDA is not built in."""

import contextlib
import enum
import warnings

_PRECISIONS = ("highest", "high", "medium")
float32_matmul_precision = "highest"


def set_float32_matmul_precision(precision):
    """Record the float32 matmul precision ("highest", "high" or "medium"); NumPy always computes at full
    precision, as PyTorch's CPU matmul does."""
    global float32_matmul_precision
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    float32_matmul_precision = precision


def get_float32_matmul_precision():
    return float32_matmul_precision


class cuBLASModule:
    """``backends.cuda.matmul``: cuBLAS's switches; an unknown name is PyTorch's AttributeError."""

    _FLAGS = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
              "allow_fp16_accumulation")

    def __init__(self):
        object.__setattr__(self, "_values", {"allow_fp16_reduced_precision_reduction": True,
                                             "allow_bf16_reduced_precision_reduction": True,
                                             "allow_fp16_accumulation": False})

    def __getattr__(self, name):
        if name == "allow_tf32":
            return float32_matmul_precision != "highest"
        if name in self._FLAGS:
            return self._values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            set_float32_matmul_precision("high" if value else "highest")
        elif name in self._FLAGS:
            self._values[name] = value
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = cuBLASModule()
# scaled_dot_product_attention's kernels, all enabled, as PyTorch starts; nn.attention.sdpa_kernel switches
# them. On a CPU the flash kernel and the math one can run (graphgrad computes both as the math one).
_sdp = {"cudnn": True, "flash": True, "mem_efficient": True, "math": True, "overrideable": True}


def is_built():
    return False


def flash_sdp_enabled():
    return _sdp["flash"]


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def math_sdp_enabled():
    return _sdp["math"]


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


class SDPBackend(enum.IntEnum):
    """The kernels of scaled dot product attention, with PyTorch's numbers."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# the switch in _sdp that each backend owns
_SWITCH = {SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.FLASH_ATTENTION: "flash",
           SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.MATH: "math",
           SDPBackend.OVERRIDEABLE: "overrideable"}
_priority = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH,
             SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE]


def _enabled_backends(with_priority=False):
    enabled = [backend for backend, switch in _SWITCH.items() if _sdp[switch]]
    return sorted(enabled, key=_priority.index) if with_priority else enabled


def _select(backends, set_priority):
    for backend, switch in _SWITCH.items():
        _sdp[switch] = backend in backends
    if set_priority:  # the given order first, then the others in their previous order
        _priority[:] = list(backends) + [b for b in _priority if b not in backends]


@contextlib.contextmanager
def sdp_selected(backends, set_priority=False):
    """Enable only ``backends`` (``SDPBackend`` values) inside the block, restoring the selection after it;
    ``set_priority`` also makes their order the order of preference (``nn.attention.sdpa_kernel``'s work)."""
    previous = _enabled_backends(with_priority=set_priority)
    try:
        _select(backends, set_priority)
        yield
    finally:
        _select(previous, set_priority)


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Deprecated form of ``nn.attention.sdpa_kernel``: enable only the named kernels inside the block.

    >>> import warnings, graphgrad
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with graphgrad.backends.cuda.sdp_kernel(enable_flash=False):
    ...         graphgrad.backends.cuda.flash_sdp_enabled()
    False
    """
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    wanted = {SDPBackend.FLASH_ATTENTION: enable_flash, SDPBackend.EFFICIENT_ATTENTION: enable_mem_efficient,
              SDPBackend.MATH: enable_math, SDPBackend.CUDNN_ATTENTION: enable_cudnn}
    with sdp_selected([backend for backend, enabled in wanted.items() if enabled]):
        yield {}

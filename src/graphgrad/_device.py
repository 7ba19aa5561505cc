"""Devices: graphgrad computes on the CPU; ``device(...)`` and CUDA queries behave as on a CPU-only PyTorch.

``device("cuda")`` is a valid object, as in PyTorch; putting a tensor there (``t.to("cuda")``, ``t.cuda()``,
``ones(2, device="cuda")``, ``module.cuda()``) raises what a CPU-only PyTorch build raises (``check_device``).
"""

from __future__ import annotations

import re

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_SPEC = re.compile(r"([a-z]+)(?::(\d+))?$")


class device:
    """``graphgrad.device("cpu")`` (or ``"cuda:0"``, ... : valid names, though only the CPU holds tensors)."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if isinstance(spec, int) and not isinstance(spec, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(spec, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(spec).__name__})")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not {type(index).__name__}")
        kind = spec.split(":", 1)[0]
        if kind not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {spec}")
        m = _SPEC.match(spec)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{spec}'")
        if m.group(2) is not None:
            index = int(m.group(2))
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = kind
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


def check_device(spec) -> None:
    """Raise what a CPU-only PyTorch raises for putting a tensor on ``spec`` (anything but the CPU)."""
    d = spec if isinstance(spec, device) else device(spec)
    if d.type == "cpu":
        return
    if d.type in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {d.type.upper()} enabled")
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"graphgrad runs on the CPU only; device '{d}' is not available (use 'cpu')")

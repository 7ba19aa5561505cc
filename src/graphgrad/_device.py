"""Devices: graphgrad computes on the CPU; ``device("cpu")`` and CUDA queries behave as on a CPU-only PyTorch."""

from __future__ import annotations


class device:
    """``graphgrad.device("cpu")``; asking for another device says that only the CPU exists."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        if not isinstance(spec, (str, int)):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(spec).__name__})")
        spec = str(spec)
        kind, _, idx = spec.partition(":")
        if kind != "cpu":
            if kind in ("cuda", "mps", "xpu", "meta"):
                raise RuntimeError(
                    f"graphgrad runs on the CPU only; device '{spec}' is not available (use 'cpu')"
                )
            raise RuntimeError(f"Expected one of cpu, cuda, ... device type at start of device string: {spec}")
        self.type = "cpu"
        self.index = int(idx) if idx else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

"""rrelu's op: the input times its noise (PyTorch's rrelu_with_noise), the noise drawn by nn.functional.rrelu.

The noise is each element's slope: a uniform draw for x <= 0 in training, (lower + upper) / 2 for x <= 0 in
eval, 1 elsewhere; the derivative is the incoming gradient times it (a constant: the second derivative is 0).
"""

from __future__ import annotations

from ._op import Op, const


def _rrelu_fwd(x, *, noise, lower, upper, training):
    return x * noise  # (x * 1 is x exactly: the positive side passes unchanged)


RRELU_WITH_NOISE = Op("RreluWithNoiseBackward0", _rrelu_fwd, lambda n, g: g * const(n.kwargs["noise"]),
                      backward_np=lambda n, g: g * n.kwargs["noise"])

"""linear and bilinear."""

from __future__ import annotations

import numpy as np

from ...ops import linalg as linalg_ops
from ...ops._autocast import autocast_rule
from ._common import _shape


# --- linear ---------------------------------------------------------------------------------------
@autocast_rule
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (AddmmBackward0 for 2-D input, as PyTorch records it).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.linear(graphgrad.ones(2, 3), graphgrad.ones(4, 3), graphgrad.zeros(4)).shape
    graphgrad.Size([2, 4])
    """
    x = input
    lead = x._data.shape[:-1]
    out_f = weight._data.shape[0] if weight._data.ndim == 2 else 1
    if bias is not None and bias._data.shape != (out_f,):  # the usual bias needs no broadcasting check
        try:
            np.broadcast_shapes(bias._data.shape, (out_f,))
            ok = np.broadcast_shapes(bias._data.shape, (max(int(np.prod(lead)), 1), out_f)) == \
                (max(int(np.prod(lead)), 1), out_f)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"The expanded size of the tensor ({out_f}) must match the existing size "
                f"({bias._data.shape[-1] if bias._data.ndim else 1}) at non-singleton dimension "
                f"{1 if x._data.ndim > 1 else 0}.  Target sizes: {list(lead) + [out_f]}.  Tensor sizes: "
                f"{_shape(bias)}"
            )
    # (the kernels themselves, not the published torch.addmm/matmul: this function's own wrappers have checked
    # its arguments and cast them under autocast)
    if x._data.ndim == 2:
        return linalg_ops.addmm(bias, x, weight.t()) if bias is not None else linalg_ops.matmul(x, weight.t())
    if x._data.ndim == 1 or x._data.ndim > 2:
        x2 = x.reshape(-1, x._data.shape[-1]) if x._data.ndim > 2 else x.unsqueeze(0)
        out = linalg_ops.addmm(bias, x2, weight.t()) if bias is not None else linalg_ops.matmul(x2, weight.t())
        return out.reshape(tuple(lead) + (out.shape[-1],))
    raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and "
                       f"{weight._data.ndim}D")


def bilinear(input1, input2, weight, bias=None):
    """``out[..., o] = input1 @ weight[o] @ input2 + bias[o]``."""
    s1, s2 = input1._data.shape, input2._data.shape
    if s1[:-1] != s2[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(s1[:-1])} and "
                           f"{list(s2[:-1])}")
    o, i1, i2 = weight._data.shape
    if s1[-1] != i1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {i1}")
    if s2[-1] != i2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {i2}")
    x1 = input1.reshape(-1, i1)
    x2 = input2.reshape(-1, i2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    out = (t * x2.unsqueeze(1)).sum(-1).reshape(tuple(s1[:-1]) + (o,))
    return out + bias if bias is not None else out


"""Errors of graph misuse: PyTorch's text first, then what graphgrad knows about where it happened."""

from __future__ import annotations

import linecache
import os

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)
ANOMALY_HINT = (
    " Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
    "torch.autograd.set_detect_anomaly(True, check_nan=False)."
)


def format_site(site, with_code=True) -> str:
    """``file.py:42  z = y * 4`` for a recorded (filename, lineno)."""
    if site is None:
        return "<unknown location>"
    filename, lineno = site
    text = f"{os.path.basename(filename)}:{lineno}"
    if with_code:
        code = linecache.getline(filename, lineno).strip()
        if code:
            text += f"  {code}"
    return text


def tensor_type(arr) -> str:
    from .._dtype import from_numpy_dtype

    return f"torch.{from_numpy_dtype(arr.dtype)._legacy}"


def second_backward(node) -> RuntimeError:
    lines = [SECOND_BACKWARD, "", "graphgrad: the node that needed its saved tensors:"]
    lines.append(f"  {node.name()}, created at {format_site(node._site)}")
    if node._freed_by is not None:
        lines.append(f"  its saved tensors were freed by the backward() at {format_site(node._freed_by)}")
    lines.append(
        "  If two losses share this graph, add them and call backward() once (or pass "
        "retain_graph=True to the first). If a tensor from a previous iteration (a hidden state, "
        "a running total) feeds this step, detach() it instead: retain_graph=True would hide that bug."
    )
    return RuntimeError("\n".join(lines))


def modified_inplace(node, arr, creator, expected, actual, version_box) -> RuntimeError:
    shape = ", ".join(str(s) for s in arr.shape)
    what = f"[{tensor_type(arr)} [{shape}]]"
    if creator is not None and creator.op.name != "AccumulateGrad":
        what += f", which is output 0 of {creator.op.forward_name}"
    msg = (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what}, is at version {actual}; expected version {expected} instead." + ANOMALY_HINT
    )
    lines = [msg, "", f"graphgrad: {node.name()} (created at {format_site(node._site)}) saved this tensor"]
    site = version_box[1]
    if site is not None:
        lines.append(f"  it was last modified in place at {format_site(site)}")
    lines.append(
        "  Use the out-of-place form (x = x * 2 instead of x.mul_(2)), clone() the tensor before "
        "writing to it, or make the write after backward()."
    )
    return RuntimeError("\n".join(lines))

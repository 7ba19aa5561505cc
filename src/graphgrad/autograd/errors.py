"""Errors of graph misuse: PyTorch's text first, then what graphgrad knows about where it happened.

PyTorch's message always comes first, unchanged (code and tests that match on it keep working); the
context follows after a blank line, starting with ``graphgrad:``.

Second backward through a freed graph. The node that needed its saved tensors is named with the line
that created it and the ``backward()`` that freed it; then one of four diagnoses, from the history that
every backward call records (``ledger.BackwardCall``: its site, when it ran, the nodes it started from):

- the same output backpropagated twice (the freeing call started from the same node);
- a graph reused after a backward went through it: the outputs of the current call were created after
  the call that freed the node, so a tensor computed before that backward (a hidden state, a running
  total, an input computed once outside the loop) links the new graph to the old one. When the freeing
  ``backward()`` ran from the same source line as this one, it is a loop carrying the tensor from one
  iteration to the next: the fix is ``detach()`` (or recomputing it), and ``retain_graph=True`` is named
  as the wrong fix;
- two outputs sharing a graph, both created before the first backward: sum them, or
  ``retain_graph=True`` on the first;
- a graph freed explicitly by ``graph.release()``.

The words every message uses live here too, at the bottom of autograd: a source line (``format_site``), a
backward call (``label``), a tensor as the user's code calls it (``names_in_user_frame``).
"""

from __future__ import annotations

import linecache
import os
import re

from .._core.modes import modes
from .._core.sites import code_location, user_frame, warn_once_at_user_line
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from .walk import reachable

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


def resolve_site(site):
    """(filename, lineno) for a recorded site: already that, or a (code object, instruction offset)."""
    if site is None:
        return None
    first = site[0]
    if not isinstance(first, str):
        return code_location(first, site[1])
    return site


def format_site(site, with_code=True) -> str:
    """``file.py:42  z = y * 4`` for a recorded (filename, lineno)."""
    site = resolve_site(site)
    if site is None or getattr(site, "known_site", True) is False:
        return "<unknown location (creation sites are off: graphgrad.autograd.graph.set_record_sites(True))>"
    filename, lineno = site[0], site[1]
    text = f"{os.path.basename(filename)}:{lineno}"
    if with_code:
        code = linecache.getline(filename, lineno).strip()
        if code:
            text += f"  {code}"
    return text


def tensor_type(arr) -> str:
    return f"torch.{from_numpy_dtype(arr.dtype)._legacy}"


def label(call, with_code=False) -> str:
    """``backward() #3 at train.py:50`` for a BackwardCall (or a plain site); ``with_code`` adds the line."""
    kind = getattr(call, "kind", "backward")
    what = {"backward": "backward()", "grad": "autograd.grad()", "release": "release()"}[kind]
    index = getattr(call, "number", None)
    where = format_site(call, with_code) if getattr(call, "known_site", True) else "<unknown location>"
    return f"{what} #{index} at {where}" if index is not None else f"{what} at {where}"


# --- naming tensors as the user's code does --------------------------------------------------------------
def names_in_user_frame(frame=None) -> dict:
    """``{id(tensor): name}`` for the tensors the user's frame can name: its variables, and the
    parameters of modules it holds (``model.fc1.weight``)."""
    frame = frame or user_frame()
    names = {}
    if frame is None:
        return names
    try:
        items = list(frame.f_locals.items())
    except Exception:  # pragma: no cover
        return names
    for k, v in items:
        if isinstance(v, Tensor):
            names.setdefault(id(v), k)
    for k, v in items:
        named = getattr(v, "named_parameters", None)
        if callable(named) and not isinstance(v, type):
            try:
                for pname, p in named():
                    names.setdefault(id(p), f"{k}.{pname}")
            except Exception:
                continue
    return names


# --- second backward -------------------------------------------------------------------------------------
def _frontier(roots, current):
    """The first edge (consumer, old node) from the current graph into nodes freed by an earlier call."""
    for n in reachable(roots):
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt._released and nxt._freed_by is not current:
                return n, nxt
    return None, None


def second_backward(node) -> RuntimeError:
    lines = [SECOND_BACKWARD, ""]
    lines.append(f"graphgrad: {node.name()} needed its saved tensors, but they were already freed.")
    lines.append(f"  {node.name()} was created at {format_site(node._site)}")
    freed = node._freed_by
    if freed is not None:
        lines.append(f"  its saved tensors were freed by the {label(freed, with_code=True)}")
    current, roots = modes.backward or (None, ())  # the backward pass running now, if any
    roots = [n for (n, _), _ in roots if n is not None]
    kind = getattr(freed, "kind", None)
    if kind == "release":
        lines.append("  graphgrad.autograd.graph.release() freed this graph on purpose; call it after the last "
                     "backward() through the graph.")
        return RuntimeError("\n".join(lines))
    if current is None or kind is None:
        if current is None:
            lines.append("  (the saved tensors were accessed after that call, e.g. through grad_fn._saved_*: "
                         "read them before backward(), or pass retain_graph=True to it)")
        else:
            lines.append(_GENERIC_HINT)
        return RuntimeError("\n".join(lines))
    lines.append(f"  this is the {label(current)}")
    same_line = tuple(freed) == tuple(current) and getattr(freed, "known_site", False)
    if freed.root_seqs & current.root_seqs:
        lines.append("  Both calls started from the same output: backward() ran twice on one graph.")
        if same_line:
            lines.append("  It is the same line running again (a loop?): recompute the loss inside the loop, from a "
                         "new forward pass, instead of calling backward() on the old one.")
        else:
            lines.append("  If the second call was meant for another loss (e.g. loss2.backward()), call it on that "
                         "one. If you really need to backpropagate twice through this graph, pass "
                         f"retain_graph=True to the first call ({format_site(freed, False)}).")
        return RuntimeError("\n".join(lines))
    consumer, old = _frontier(roots, current)
    if current.root_seqs and max(current.root_seqs) > freed.seq:
        lines.append(f"  The graph of this call was built after the {label(freed)} had already gone through part "
                     "of it: a tensor computed before that call is used again.")
        if old is not None:
            lines.append(f"    the old tensor: the output of {old.name()}, created at {format_site(old._site)}")
            lines.append(f"    used again by:  {consumer.name()}, created at {format_site(consumer._site)}")
        if same_line:
            lines.append("  The same backward() line ran before: this is a loop that carries a tensor from one "
                         "iteration into the next (an RNN hidden state, a running loss total, an output computed "
                         "once before the loop).")
            lines.append("  Fix: detach() what is carried over (h = h.detach() at the start of each iteration; "
                         "total += loss.item() for running totals), or recompute it inside the loop. "
                         "retain_graph=True is the wrong fix here: each iteration would backpropagate into all "
                         "the previous ones and keep their graphs alive.")
        else:
            lines.append("  If you want the gradients of both outputs, compute both before the first backward() and "
                         "call backward() once on their sum, or pass retain_graph=True to the first backward(). "
                         "If the tensor is carried over from an earlier step (a hidden state, a running total), "
                         "detach() it instead.")
        return RuntimeError("\n".join(lines))
    lines.append(f"  Two outputs share this part of the graph, and the {label(freed)} freed it while "
                 "backpropagating from the other one.")
    if old is not None and consumer is not None:
        lines.append(f"    the shared tensor: the output of {old.name()}, created at {format_site(old._site)}")
    lines.append("  Sum the losses and call backward() once ((loss1 + loss2).backward()), or pass retain_graph=True "
                 f"to the first backward() ({format_site(freed, False)}). If one loss must not reach the shared "
                 "part (a GAN's discriminator step on the generator's output), detach() the shared tensor there.")
    return RuntimeError("\n".join(lines))


_GENERIC_HINT = (
    "  If two losses share this graph, add them and call backward() once (or pass retain_graph=True to the "
    "first). If a tensor from a previous iteration (a hidden state, a running total) feeds this step, detach() "
    "it instead: retain_graph=True would hide that bug."
)


# --- modified in place ---------------------------------------------------------------------------------
def _saved_tensor_for(node, arr):
    for t in node._saved or ():
        if t is not None and t._data is arr:
            return t
    return None


def modified_inplace(node, arr, creator, expected, actual, version_box, saved=None) -> RuntimeError:
    """``creator``: the node that made the saved value (at save time); ``saved``: the saved tensor, when the
    caller holds it (a custom Function's ctx)."""
    shape = ", ".join(str(s) for s in arr.shape)
    what = f"[{tensor_type(arr)} [{shape}]]"
    is_leaf = creator is None or creator.op.name.endswith("AccumulateGrad")
    t = saved if saved is not None else _saved_tensor_for(node, arr) if node is not None else None
    # PyTorch names the saved tensor's grad_fn at the time of the check (for a saved input that was
    # written in place since: the in-place op's node); a leaf gets no "which is output" clause.
    current = creator if t is None or creator is node else t._grad_fn
    if current is not None and not current.op.name.endswith("AccumulateGrad"):
        # PyTorch's text drops "Backward0" but keeps another number: Mul, Fill2, Pow1, torch::autograd::CopySlices
        fn_name = re.sub(r"Backward(\d*)$", lambda m: "" if m.group(1) == "0" else m.group(1), current.op.name)
        if t is not None and getattr(t, "_view", None) is not None:
            fn_name = "AsStrided"  # a view written through (or whose base was): PyTorch regenerates its node
        what += f", which is output {t._output_nr if t is not None else 0} of {fn_name},"
    msg = (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {actual}; expected version {expected} instead." + ANOMALY_HINT
    )
    names = names_in_user_frame()
    name = names.get(id(t)) if t is not None else None
    lines = [msg, ""]
    node_text = f"{node.name()} (created at {format_site(node._site)})" if node is not None else "a custom Function"
    if is_leaf:
        desc = f"the leaf {name}" if name else "a leaf tensor"
        desc += f" [{shape}]"
    elif creator is node:
        desc = "its own output (result)"
    else:
        desc = f"the output of {creator.name()} created at {format_site(creator._site)}"
    lines.append(f"graphgrad: {node_text} saved {desc}")
    site = version_box[1] if len(version_box) > 1 else None
    if site is not None:
        lines.append(f"  it was modified in place afterwards, at {format_site(site)}  "
                     f"(version {expected} -> {actual})")
    else:
        lines.append(f"  it was modified in place afterwards (version {expected} -> {actual}); where was not "
                     "recorded (creation sites off, or a write through .data)")
    if is_leaf and t is not None and t.requires_grad:
        lines.append(
            "  A parameter changed between this graph's forward pass and this backward(): typically "
            "optimizer.step() between two backward() calls on one retained graph. Call backward() for every "
            "loss before step() (sum them, or retain_graph=True on all but the last), or recompute the "
            "forward pass after step()."
        )
    else:
        writer = site[2] if site is not None and len(site) > 2 else None
        lines.append(_inplace_fix(writer))
    return RuntimeError("\n".join(lines))


# The fix table: the fix for a write that modified a saved tensor, by the op that wrote (its node's name).
# Activations with an ``inplace=`` argument: (module, functional) as the user wrote them.
_INPLACE_ACTIVATIONS = {
    "ReluBackward0": ("ReLU", "relu"), "HardtanhBackward0": ("Hardtanh (or ReLU6)", "hardtanh"),
    "LeakyReluBackward0": ("LeakyReLU", "leaky_relu"), "EluBackward0": ("ELU (or SELU)", "elu"),
    "CeluBackward0": ("CELU", "celu"), "SiluBackward0": ("SiLU", "silu"), "MishBackward0": ("Mish", "mish"),
    "HardsigmoidBackward0": ("Hardsigmoid", "hardsigmoid"), "HardswishBackward0": ("Hardswish", "hardswish"),
    "ThresholdBackward0": ("Threshold", "threshold"),
}
_MASKED_WRITES = ("IndexPutBackward0", "MaskedFillBackward0", "MaskedFillBackward1")
_GENERIC_INPLACE_FIX = ("  Use the out-of-place form (x = x + 1 instead of x += 1, relu instead of relu_ / "
                        "inplace=True), clone() the tensor before writing to it, or make the write after backward().")


def _inplace_fix(writer) -> str:
    """The fix line for an in-place write made by ``writer`` (a node name, or None when not recorded)."""
    if writer in _INPLACE_ACTIVATIONS:
        module, fn = _INPLACE_ACTIVATIONS[writer]
        return (f"  The write is an in-place {module}: build that {module} with inplace=False (nn.{module.split()[0]}()"
                f"), or call F.{fn}(x) without inplace=True (not {fn}_()).")
    if writer in _MASKED_WRITES:
        return ("  The write is an indexed assignment (y[mask] = v): make a new tensor instead, "
                "y = y.masked_fill(mask, v) or torch.where(mask, v, y), or clone() y before writing to it.")
    return _GENERIC_INPLACE_FIX


# --- written through .data after being saved ------------------------------------------------------------
def written_through_data(node, box, creator) -> None:
    """Warn (once per write site) when a tensor ``node`` saved was written through ``.data`` after the save.

    PyTorch checks no such write (``.data`` has its own version counter) and computes the gradient from the
    modified values; graphgrad does the same, and says so. ``box[2]`` is ``(order, site)`` of the latest write
    through ``.data`` (see ``Tensor.data``); ``creator``: the node that made the saved tensor."""
    when, site = box[2]
    if when < node._seq:
        return  # written before the node saved it: the node saved the values it computed with
    made = ("" if creator is None or creator is node or creator.op.name.endswith("AccumulateGrad")
            else f", the output of {creator.name()} created at {format_site(creator._site)},")
    warn_once_at_user_line(
        ("written through .data", resolve_site(site) or id(node)),
        f"graphgrad: a tensor saved for backward by {node.name()} (created at {format_site(node._site)}){made} "
        f"was modified by an inplace operation through .data at {format_site(site)}, after it was saved. PyTorch does "
        "not check writes through .data: the gradient is computed from the modified values. Take a copy "
        "without history and compute out of place (y = out.detach() * 0, or out.detach().clone().zero_()) "
        "instead of writing into the saved tensor, or make the write after backward().")

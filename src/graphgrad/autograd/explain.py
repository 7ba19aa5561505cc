"""The context graphgrad adds after PyTorch's error and warning texts: where the chain was cut, which
leaves a non-leaf comes from, what a tensor is called in the user's code.

Where the chain was cut is recorded when it happens, cheaply: ``detach()`` marks its result, an op run
under ``no_grad()`` on an input that requires grad marks its output (``note_cut``, called by
``ops._op.apply`` only when creation sites are on and never inside the engine's backward pass), and an
op whose inputs carry such a mark passes it on, so that a loss computed from a detached tensor still
knows the line of the ``detach()``.
"""

from __future__ import annotations

import sys

from .errors import format_site
from .grad_mode import _State
from .graph import _LIB_FILES, AccumulateGrad, iter_graph, user_site


def note_cut(out, inputs):
    """Mark ``out`` (an op result that records no history) with where its history was cut, if it was."""
    if not _State.enabled:
        for t in inputs:
            if t._rg:
                out._ensure_extra().cut = ("no_grad", user_site(2))
                return
    for t in inputs:
        extra = t._extra
        if extra is not None and extra.cut is not None:
            cut = extra.cut
            out._ensure_extra().cut = cut if len(cut) == 3 else (cut[0], cut[1], "derived")
            return


# --- naming tensors as the user's code does --------------------------------------------------------------
def user_frame():
    """The innermost frame outside graphgrad."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename in _LIB_FILES:
        f = f.f_back
    return f


def names_in_user_frame(frame=None) -> dict:
    """``{id(tensor): name}`` for the tensors the user's frame can name: its variables, and the
    parameters of modules it holds (``model.fc1.weight``)."""
    from .._tensor import Tensor

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


def _frozen_modules(frame):
    out = []
    if frame is None:
        return out
    for k, v in list(frame.f_locals.items()):
        params = getattr(v, "parameters", None)
        if callable(params) and not isinstance(v, type) and hasattr(v, "named_parameters"):
            try:
                ps = list(params())
            except Exception:
                continue
            if ps and not any(p.requires_grad for p in ps):
                out.append(k)
    return out


def _called(t, names):
    n = names.get(id(t))
    return f"`{n}`" if n else "this tensor"


# --- "element 0 of tensors does not require grad" ------------------------------------------------------
def no_grad_chain(t) -> str:
    """Why ``t`` has no grad_fn, for the 'does not require grad' error."""
    frame = user_frame()
    names = names_in_user_frame(frame)
    who = _called(t, names)
    extra = t._extra
    cut = extra.cut if extra is not None else None
    lines = ["", "", f"graphgrad: {who} has no history to differentiate (no grad_fn, requires_grad=False)."]
    if cut is not None and t.grad_fn is None:
        how, site = cut[0], cut[1]
        derived = len(cut) == 3
        if how == "detach":
            where = f"a detach() at {format_site(site)}"
            lines.append(f"  It was computed from {where}." if derived else f"  It comes from {where}.")
        elif how == "no_grad":
            where = f"under no_grad() (or inference_mode()) at {format_site(site)}"
            lines.append(f"  It was computed from a tensor made {where}." if derived else f"  It was computed {where}.")
        lines.append("  That is where the chain to the parameters was cut: compute it with grad enabled, without "
                     "detach(), if gradients should flow through it.")
    else:
        frozen = _frozen_modules(frame)
        if frozen:
            lines.append(f"  All the parameters of {', '.join(frozen)} have requires_grad=False (frozen), so nothing "
                         "it computes requires grad: unfreeze the ones to train (p.requires_grad_(True)).")
        else:
            lines.append(
                "  It is a leaf that does not require grad, or was computed only from such tensors: a constant, "
                "values taken out with .item()/.numpy()/.tolist()/.data and wrapped again (graphgrad.tensor("
                "loss.item())), or parameters that were all frozen (requires_grad=False)."
            )
    lines.append(f"  Setting requires_grad=True on {who} would only silence this error: backward() would then "
                 "reach no parameter.")
    return "\n".join(lines)


# --- reading .grad of a non-leaf ----------------------------------------------------------------------
def non_leaf_grad_hint(t) -> str:
    """Names the leaves behind a non-leaf tensor whose ``.grad`` was read, and when to call retain_grad()."""
    names = names_in_user_frame(user_frame())
    leaves = []
    count = 0
    for node in iter_graph([t._grad_fn]):
        if isinstance(node, AccumulateGrad):
            count += 1
            if len(leaves) < 5:
                v = node.variable
                leaves.append(names.get(id(v)) or v.name or f"a leaf of shape {list(v._data.shape)}")
    who = names.get(id(t))
    fn = t._grad_fn
    where = f" created at {format_site(fn._site)}" if fn._site else ""
    hint = f"\ngraphgrad: {'`' + who + '`' if who else 'this tensor'} is the output of {fn.name()}{where}, not a leaf."
    if leaves:
        more = f" and {count - len(leaves)} more" if count > len(leaves) else ""
        hint += " backward() fills .grad of the leaves it comes from: " + ", ".join(leaves) + more + "."
    hint += (f" To keep this tensor's gradient, call {who + '.' if who else ''}retain_grad() before backward() "
             "(calling it afterwards is too late).")
    return hint


# --- more context for the engine's errors -------------------------------------------------------------
def non_scalar(t) -> str:
    """For 'grad can be implicitly created only for scalar outputs'."""
    names = names_in_user_frame()
    who = _called(t, names)
    fn = t._grad_fn
    made = f", the output of {fn.name()} created at {format_site(fn._site)}" if fn is not None else ""
    return (f"\n\ngraphgrad: {who} has shape {list(t._data.shape)}{made}. Reduce it to a scalar first "
            "(.sum() or .mean()), or pass the gradient of each element: backward(gradient=torch.ones_like(t)).")


def unused_input(t, outputs) -> str:
    """For 'One of the differentiated Tensors appears to not have been used in the graph'."""
    names = names_in_user_frame()
    who = _called(t, names)
    fns = [o.grad_fn for o in outputs if o.grad_fn is not None]
    leaves = []
    for node in iter_graph(fns):
        if isinstance(node, AccumulateGrad) and len(leaves) < 5:
            v = node.variable
            leaves.append(names.get(id(v)) or v.name or f"a leaf of shape {list(v._data.shape)}")
    text = f"\n\ngraphgrad: no path leads from the outputs back to {who}"
    if t.grad_fn is not None:
        text += f" (the output of {t.grad_fn.name()} created at {format_site(t.grad_fn._site)})"
    text += "."
    if leaves:
        text += " The outputs depend on: " + ", ".join(leaves) + "."
    return text

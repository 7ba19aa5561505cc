"""The context graphgrad adds after PyTorch's error and warning texts: where the chain was cut, which
leaves a non-leaf comes from, what a tensor is called in the user's code.

Where the chain was cut is recorded when it happens, cheaply: ``detach()`` marks its result, an op run
under ``no_grad()`` on an input that requires grad marks its output (``note_cut``, called by
``ops._op.apply`` only when creation sites are on and never inside the engine's backward pass), and an
op whose inputs carry such a mark passes it on, so that a loss computed from a detached tensor still
knows the line of the ``detach()``. ``autograd.grad()`` without ``create_graph`` marks its results the same
way (a gradient penalty computed from them has no history).

Where a leaf came from is recorded once per tensor, off the per-op path: ``graphgrad.tensor()`` and
``from_numpy()`` note their call site (``made``: values wrapped from plain numbers or an array have no
history, which is what ``.item()``/``.numpy()`` re-wrapping loses), and ``requires_grad_(False)`` on a leaf
notes the line that froze it. ``made`` is never passed on to an op's result.
"""

from __future__ import annotations

import linecache

from .._core.modes import modes
from .._core.sites import user_frame
from .._tensor import Tensor
from .errors import format_site, names_in_user_frame, resolve_site
from .graph import AccumulateGrad, user_site
from .walk import reachable


def note_cut(out, inputs):
    """Mark ``out`` (an op result that records no history) with where its history was cut, if it was."""
    if not modes.recording:
        for t in inputs:
            if t._requires_grad:
                # which of the two modes cut it, so that the explanation names the block the user wrote
                out._ensure_extra().cut = ("inference_mode" if modes.inference else "no_grad", user_site(2))
                return
    for t in inputs:
        extra = t._extra
        if extra is not None and extra.cut is not None:
            cut = extra.cut
            out._ensure_extra().cut = cut if len(cut) == 3 else (cut[0], cut[1], "derived")
            return


def _frozen_modules(frame):
    out = []
    if frame is None:
        return out
    for k, v in list(frame.f_locals.items()):
        named = getattr(v, "named_parameters", None)
        if callable(named) and not isinstance(v, type):
            try:
                ps = list(named())
            except Exception:
                continue
            if ps and not any(p.requires_grad for _, p in ps):
                out.append((k, ps))
    return out


def _called(t, names):
    n = names.get(id(t))
    return f"`{n}`" if n else "this tensor"


def here():
    """(filename, lineno) of the user's line running now (recorded or not: errors always name it)."""
    f = user_frame()
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def _made(t):
    extra = t._extra
    return None if extra is None else extra.made


_FACTORY = {"tensor": "graphgrad.tensor()", "from_numpy": "graphgrad.from_numpy()"}
_FROM = {"numbers": "plain numbers", "array": "a NumPy array", "tensor": "another tensor's values"}
_TAKE_OUT = (".item()", ".numpy()", ".tolist()")


def _taken_out_at(site):
    """Where the values passed to a factory were probably taken out of a tensor: the factory's own line, or
    one of the few lines before it in the same block, that calls .item()/.numpy()/.tolist()."""
    if site is None:
        return None, None
    filename, lineno = site
    for ln in range(lineno, max(lineno - 6, 0), -1):
        code = linecache.getline(filename, ln).strip()
        for call in _TAKE_OUT:
            if call in code:
                return call, (filename, ln)
        if ln != lineno and code.startswith(("def ", "class ", "async def ")):
            break
    return None, None


def leaf_origin(t) -> str:
    """`` (created by graphgrad.tensor() at file:line)`` for a leaf whose factory call was recorded, or
    `` (made to require grad at file:line)``: the ``requires_grad=True`` tensor, or the layer built there."""
    made = _made(t)
    if made is None or made[1] is None:
        return ""
    if made[0] in _FACTORY:
        return f" (created by {_FACTORY[made[0]]} at {format_site(made[1])})"
    if made[0] == "requires_grad":
        return f" (made to require grad at {format_site(made[1])})"
    return ""


def describe_tensor(t, names) -> str:
    """`` `h`, the output of MulBackward0 created at file:line`` or `` `w`, a leaf that requires grad``."""
    who = _called(t, names)
    fn = t._grad_fn
    if fn is not None:
        return f"{who}, the output of {fn.name()} created at {format_site(fn._site)}"
    kind = "a leaf that requires grad" if t._requires_grad else "a leaf"
    return f"{who}, {kind}{leaf_origin(t)}"


# --- "element 0 of tensors does not require grad" ------------------------------------------------------
def _rewrap_lines(t, who):
    made = _made(t)
    factory, site, source = made[0], made[1], made[2] if len(made) > 2 else "numbers"
    lines = [f"  {who[0].upper() + who[1:]} was created by {_FACTORY[factory]} at {format_site(site)}, from "
             f"{_FROM.get(source, source)}, so it has no history: nothing links it to the tensors those values "
             "came from."]
    call, at = _taken_out_at(site)
    if call is not None:
        lines.append(f"  The values were taken out with {call} at {format_site(at)}: that is where the graph "
                     "was left behind.")
    lines.append("  Keep the loss a tensor: compute it with graphgrad ops from the model's output (use .item() "
                 "only to log it), and wrap values with graphgrad.tensor() only for constants and inputs.")
    return lines


def _rewrapped_in_frame(frame, names, t):
    """Tensors of the user's frame made by a factory from values taken out of a tensor (``.item()`` ...)."""
    found = []
    if frame is None:
        return found

    for k, v in list(frame.f_locals.items()):
        if not isinstance(v, Tensor) or v is t:
            continue
        made = _made(v)
        if made is None or made[0] not in _FACTORY or made[1] is None:
            continue
        call, at = _taken_out_at(made[1])
        if call is not None:
            found.append(f"`{k}`, created by {_FACTORY[made[0]]} at {format_site(made[1])} from values taken "
                         f"out with {call} at {format_site(at)}")
    return found[:3]


def _frozen_lines(frozen):
    lines = []
    for name, params in frozen:
        shown = [f"{name}.{p}" for p, _ in params[:4]]
        more = f" and {len(params) - 4} more" if len(params) > 4 else ""
        lines.append(f"  All the parameters of {name} have requires_grad=False (frozen): {', '.join(shown)}{more}; "
                     "so nothing it computes requires grad.")
        sites = []
        for _, p in params:
            made = _made(p)
            if made is not None and made[0] == "frozen" and made[1] is not None and made[1] not in sites:
                sites.append(made[1])
        for site in sites[:3]:
            lines.append(f"    frozen at {format_site(site)}")
    lines.append("  Unfreeze the ones to train (p.requires_grad_(True)) before building the optimizer; a model "
                 "meant to stay frozen needs a trainable part after it.")
    return lines


def no_grad_chain(t) -> str:
    """Why ``t`` has no grad_fn, for the 'does not require grad' error."""
    frame = user_frame()
    names = names_in_user_frame(frame)
    who = _called(t, names)
    extra = t._extra
    cut = extra.cut if extra is not None else None
    # a view made under no_grad reports requires_grad=True when its base requires grad (as in PyTorch), yet
    # leads to no graph
    flag = "requires_grad=True only as a view of a tensor that does" if t.requires_grad else "requires_grad=False"
    lines = ["", "", f"graphgrad: {who} has no history to differentiate (no grad_fn, {flag})."]
    if cut is not None and t.grad_fn is None:
        how, site = cut[0], cut[1]
        derived = len(cut) == 3
        if how == "detach":
            where = f"a detach() at {format_site(site)}"
            lines.append(f"  It was computed from {where}." if derived else f"  It comes from {where}.")
        elif how in ("no_grad", "inference_mode"):
            where = f"under {how}() at {format_site(site)}"
            lines.append(f"  It was computed from a tensor made {where}." if derived else f"  It was computed {where}.")
        elif how == "grad":
            where = f"the gradients returned by autograd.grad() at {format_site(site)}"
            lines.append(f"  It was computed from {where}, called without create_graph=True, so they have no "
                         "history of their own.")
            lines.append("  For a loss made of gradients (a gradient penalty, double backprop), pass "
                         "create_graph=True to that autograd.grad() call.")
        if how != "grad":
            lines.append("  That is where the chain to the parameters was cut: compute it with grad enabled, "
                         "without detach(), if gradients should flow through it.")
    elif _made(t) is not None and _made(t)[0] in _FACTORY and t.grad_fn is None:
        lines.extend(_rewrap_lines(t, who))
    else:
        frozen = _frozen_modules(frame)
        rewrapped = _rewrapped_in_frame(frame, names, t)
        if frozen:
            lines.extend(_frozen_lines(frozen))
        elif rewrapped:
            lines.append("  It was computed only from tensors without history, e.g. " + "; ".join(rewrapped)
                         + ". Values taken out with .item()/.numpy()/.tolist() and wrapped again lose the "
                         "graph they were computed by: keep them as tensors (use .item() only for logging).")
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
    for node in reachable([t._grad_fn]):
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
    return hint + _non_leaf_cause(fn, who)


_CASTS = ("ToCopyBackward0", "CloneBackward0")


def _non_leaf_cause(fn, who) -> str:
    """The two usual ways a variable meant to be a leaf became a non-leaf, read from its node and line."""
    if fn.name() in _CASTS and fn.next_functions and isinstance(fn.next_functions[0][0], AccumulateGrad):
        return ("\n  It is a copy of a leaf (.to()/.double()/.cuda() after requires_grad=True): create the tensor with "
                "its dtype and device and requires_grad=True in one call, or call requires_grad_() after the "
                "conversion.")
    site = resolve_site(fn._site)
    if who and site is not None:
        code = linecache.getline(site[0], site[1]).strip()
        if code.startswith((f"{who} = ", f"{who}=")) and f"{who}.grad" in code:
            return (f"\n  That line rebinds `{who}` to a computed tensor (an out-of-place parameter update): update "
                    f"the leaf in place instead, under `with torch.no_grad(): {who} -= lr * {who}.grad`, "
                    "as optimizers do.")
    return ""


# --- more context for the engine's errors -------------------------------------------------------------
def non_scalar(t) -> str:
    """For 'grad can be implicitly created only for scalar outputs'."""
    names = names_in_user_frame()
    who = _called(t, names)
    fn = t._grad_fn
    made = f", the output of {fn.name()} created at {format_site(fn._site)}" if fn is not None else ""
    return (f"\n\ngraphgrad: {who} has shape {list(t._data.shape)}{made}; backward() was called on it at "
            f"{format_site(here())}.\n  Reduce it to a scalar first (.sum() or .mean()), or pass the gradient of "
            "each element: backward(gradient=torch.ones_like(t)).")


def unused_input(t, outputs, index=None) -> str:
    """For 'One of the differentiated Tensors appears to not have been used in the graph'."""
    names = names_in_user_frame()
    who = _called(t, names)
    fns = [o.grad_fn for o in outputs if o.grad_fn is not None]
    leaves = []
    for node in reachable(fns):
        if isinstance(node, AccumulateGrad) and len(leaves) < 5:
            v = node.variable
            leaves.append(names.get(id(v)) or v.name or f"a leaf of shape {list(v._data.shape)}")
    text = f"\n\ngraphgrad: no path leads from the outputs back to {who}"
    if index is not None:
        text += f" (input {index} of inputs)"
    text += f".\n  The autograd.grad() call: {format_site(here())}"
    text += f"\n  The input: {describe_tensor(t, names)}."
    if leaves:
        text += "\n  The outputs depend on: " + ", ".join(leaves) + "."
    text += ("\n  Pass the tensor the outputs were computed from (not a copy, a re-computation or a later "
             "version of it), or allow_unused=True if no gradient for it is expected.")
    return text


# --- misuse of leaves and of tensors that require grad --------------------------------------------------
def inplace_on_leaf(x, leaf=None) -> str:
    """For 'a (view of a) leaf Variable that requires grad is being used in an in-place operation.'"""
    names = names_in_user_frame()
    target = leaf if leaf is not None else x
    text = "\n\ngraphgrad: "
    if leaf is not None and leaf is not x:
        text += f"{_called(x, names)} is a view of {describe_tensor(leaf, names)};"
    else:
        text += f"{describe_tensor(target, names)};"
    text += f" the in-place operation at {format_site(here())} would overwrite it where autograd cannot follow."
    n = names.get(id(target)) or "w"
    text += (f"\n  Updating or initializing it by hand (a manual SGD step, {n} -= lr * {n}.grad; {n}[0] = 0; "
             f"{n}.uniform_()) must run under `with torch.no_grad():`, as optimizers do. In a computation, "
             f"write the result to a new tensor (y = {n} + 1, or {n}.clone() first).")
    return text


def numpy_requires_grad(t) -> str:
    """For "Can't call numpy() on Tensor that requires grad"."""
    names = names_in_user_frame()
    who = names.get(id(t))
    return (f"\n\ngraphgrad: {describe_tensor(t, names)}; numpy() was called at {format_site(here())}."
            f"\n  Take the values without the graph: {who or 'tensor'}.detach().numpy() (or .detach().cpu()"
            ".numpy()); .item() and .tolist() also work. If no gradient is needed at all, compute it under "
            "torch.no_grad().")


def not_a_leaf(t, value) -> str:
    """For 'you can only change requires_grad flags of leaf variables.'"""
    names = names_in_user_frame()
    text = f"\n\ngraphgrad: {describe_tensor(t, names)}, not a leaf (requires_grad set at {format_site(here())})."
    if value:
        text += (" It already requires grad. If backward() said a tensor 'does not require grad', the chain was "
                 "cut before it (no_grad, detach(), .item()): fix the cut; setting the flag would only hide it.")
    else:
        text += " To use it without its history, take var.detach()."
    return text

"""The context graphgrad adds after PyTorch's error and warning texts: where the chain was cut."""

from __future__ import annotations

from .errors import format_site
from .graph import AccumulateGrad, iter_graph


def no_grad_chain(t) -> str:
    """Why ``t`` has no grad_fn, for the 'does not require grad' error."""
    extra = t._extra
    cut = extra.cut if extra is not None else None
    lines = ["", "graphgrad: this tensor has no history to differentiate."]
    if cut is not None:
        how, site = cut
        if how == "detach":
            lines.append(f"  It comes from a detach() at {format_site(site)}.")
        elif how == "no_grad":
            lines.append(f"  It was computed under no_grad() (or inference_mode()) at {format_site(site)}.")
    else:
        lines.append(
            "  It is a leaf that does not require grad, or was computed only from such tensors: a constant, "
            "values taken out with .item()/.numpy()/.tolist(), or parameters that were all frozen "
            "(requires_grad=False). Setting requires_grad=True on the result would only hide the cut."
        )
    return "\n".join(lines)


def non_leaf_grad_hint(t) -> str:
    """Names the leaves behind a non-leaf tensor whose ``.grad`` was read."""
    leaves = []
    for node in iter_graph([t._grad_fn]):
        if isinstance(node, AccumulateGrad):
            v = node.variable
            label = v.name or f"tensor of shape {list(v._data.shape)}"
            leaves.append(label)
        if len(leaves) >= 5:
            break
    where = f" created at {format_site(t._grad_fn._site)}" if t._grad_fn._site else ""
    hint = f" graphgrad: this tensor is the output of {t._grad_fn.name()}{where}."
    if leaves:
        hint += " The leaves it depends on (whose .grad is filled): " + ", ".join(leaves) + "."
    hint += " Call retain_grad() on it before backward() to keep its gradient."
    return hint

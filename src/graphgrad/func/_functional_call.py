"""``functional_call``: swap named tensors into a module, call it, swap the originals back.

The given tensors go into the module's ``_parameters``/``_buffers`` slots as they are (not wrapped in
Parameters), so gradients flow to them: ``autograd.grad(functional_call(m, params, x).sum(), params
values)`` differentiates with respect to the dict's tensors, the way PyTorch's ``torch.func`` does.
"""

from __future__ import annotations

import collections.abc
import contextlib

from .._tensor import Tensor

_MISSING = object()  # "this name was not set before the swap": restoring it deletes the attribute


def _swap(module, name, tensor):
    """Put ``tensor`` (or, for _MISSING, nothing) at the dotted ``name``; return what was there."""
    prefix, _, attr = name.rpartition(".")
    owner = module.get_submodule(prefix) if prefix else module
    if not isinstance(tensor, Tensor) and tensor is not _MISSING:
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    if attr in owner._parameters:
        slot = owner._parameters
    elif attr in owner._buffers:
        slot = owner._buffers
    else:
        slot = None
    if slot is not None:
        original = slot[attr]
    else:
        original = getattr(owner, attr, _MISSING)
    if original is not _MISSING and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{attr}`: {original} is not an instance of torch.Tensor")
    if tensor is _MISSING:
        if slot is not None:
            del slot[attr]
        else:
            delattr(owner, attr)
    elif slot is not None:
        slot[attr] = tensor
    else:
        setattr(owner, attr, tensor)
    return original


def _with_tied_names(module, tensors):
    """Weights shared under several names (tied) are replaced under all of them, unless the caller gave
    different tensors for the names of one tied weight, which is an error."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    names_of = {}
    for name, t in named.items():
        names_of.setdefault(id(t), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    given_tied = [name for name in tensors if name in tied]
    for name in given_tied:
        group = tied[name]
        if len(group.intersection(given_tied)) > 1 and len({id(tensors[n]) for n in group if n in tensors}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(tensors)
    for name in given_tied:
        for other in tied[name]:
            untied[other] = tensors[name]
    return untied


@contextlib.contextmanager
def _reparametrized(module, tensors, tie_weights, strict):
    if tie_weights:
        tensors = _with_tied_names(module, tensors)
    if strict:
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(tensors)), sorted(set(tensors) - valid)
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors))
    originals = {}
    try:
        for name, tensor in tensors.items():
            originals[name] = _swap(module, name, tensor)
        yield
    finally:
        for name, original in reversed(list(originals.items())):
            _swap(module, name, original)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced, for this call only, by
    the tensors in ``parameter_and_buffer_dicts`` (a dict from dotted names such as ``"0.weight"``, or a
    sequence of such dicts with distinct keys). Names not given keep the module's own tensors, unless
    ``strict=True``, which requires exactly the module's names. ``args`` that is not a tuple is the one
    positional argument.

    >>> import graphgrad
    >>> net = graphgrad.nn.Linear(1, 1)
    >>> w = graphgrad.tensor([[2.0]], requires_grad=True)
    >>> out = graphgrad.func.functional_call(net, {"weight": w, "bias": graphgrad.zeros(1)}, graphgrad.ones(1, 1))
    >>> graphgrad.autograd.grad(out.sum(), w)
    (tensor([[1.]]),)
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, collections.abc.Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = collections.Counter(k for d in parameter_and_buffer_dicts for k in d)
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        tensors = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _call_with(module, tensors, args, kwargs, tie_weights=tie_weights, strict=strict)


def _call_with(module, tensors, args, kwargs, *, tie_weights, strict):
    """``module(*args, **kwargs)`` with ``tensors`` (one dict) in place; ``args`` not a tuple is one argument."""
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrized(module, tensors, tie_weights, strict):
        return module(*args, **kwargs)

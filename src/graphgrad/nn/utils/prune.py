"""``nn.utils.prune``: masking a module's parameter in place, as PyTorch does it.

Pruning ``module.weight`` moves the parameter to ``module.weight_orig``, registers the mask as the buffer
``module.weight_mask``, makes ``module.weight`` a plain attribute holding ``weight_orig * weight_mask``, and adds the
pruning method itself to ``module._forward_pre_hooks``: before each forward it recomputes ``weight`` from the two,
so the gradient reaches ``weight_orig`` through the mask. Pruning the same tensor again chains the masks in a
``PruningContainer``; ``remove`` makes the pruning permanent (``weight`` becomes a parameter again, with the zeros
in it).

The masks are PyTorch's: the same ``topk`` (ties in PyTorch's order), the same random numbers for the same seed
(``rand_like`` for the unstructured random method, ``rand`` over the channels for the structured one).

>>> import graphgrad, graphgrad.nn as nn
>>> import graphgrad.nn.utils.prune as prune
>>> m = prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=2)
>>> [name for name, _ in m.named_parameters()], [name for name, _ in m.named_buffers()]
(['bias', 'weight_orig'], ['weight_mask'])
>>> int((m.weight == 0).sum()), prune.is_pruned(m)
(2, True)
>>> list(prune.remove(m, "weight").state_dict())
['bias', 'weight']
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ... import _names
from ..._constants import contiguous_format
from ..._factories import ones_like, rand, rand_like, zeros_like
from ..._size import size_text
from ...ops import FUNCTIONS
from ._hooks import hooks_on, remove_hook_on
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]

_topk, _kthvalue, _norm, _abs = FUNCTIONS["topk"], FUNCTIONS["kthvalue"], FUNCTIONS["norm"], FUNCTIONS["abs"]


def _shown_name(cls):
    """``cls``'s full name as reprs print it, in the package a PyTorch program imports it as
    (``torch.nn.utils.prune.L1Unstructured`` under ``graphgrad.as_torch``)."""
    module = cls.__module__
    if module == "graphgrad" or module.startswith("graphgrad."):
        module = _names.package + module[len("graphgrad"):]
    return f"{module}.{cls.__qualname__}"


class BasePruningMethod(ABC):
    """A pruning method: ``compute_mask`` says which entries to keep; the rest (applying the mask, the
    reparametrization into ``<name>_orig`` and ``<name>_mask``, the forward pre-hook, ``remove``) is shared.

    Subclasses set ``PRUNING_TYPE`` ('unstructured', 'structured' with a ``dim``, or 'global'), which tells a
    ``PruningContainer`` which part of an already pruned tensor the method acts on.
    """

    _tensor_name: str

    def __call__(self, module, inputs):
        """The forward pre-hook: ``module.<name>`` recomputed from ``<name>_orig`` and ``<name>_mask``."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    def __repr__(self):
        return f"<{_shown_name(type(self))} object at {hex(id(self))}>"

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for tensor ``t`` (1 keeps an entry, 0 prunes it), starting from ``default_mask``."""

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig``: the pruned tensor, differentiable with respect to ``<name>_orig``."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, chaining it after an earlier pruning of the same
        tensor (in a ``PruningContainer``); the mask is computed from ``importance_scores`` (default: the tensor).
        Returns the method now registered as the forward pre-hook."""
        found = hooks_on(module, BasePruningMethod, name, "_tensor_name")
        if len(found) > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                                 f"{module}. Use a PruningContainer.")
        for key, _ in found:
            del module._forward_pre_hooks[key]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if found:  # chained after the earlier pruning
            old_method = found[0][1]
            if not isinstance(old_method, PruningContainer):
                old_method = PruningContainer(old_method)
            old_method.add_pruning_method(method)
            method = old_method
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {size_text(importance_scores.shape)} vs {size_text(orig.shape)}")
        else:
            importance_scores = orig
        if not isinstance(method, PruningContainer):
            # first pruning of this tensor: the parameter moves to <name>_orig
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone(memory_format=contiguous_format)
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:  # (the parameter put back where it was)
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times its mask (computed from ``importance_scores``, default ``t``), without touching a module."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, got "
                                     f"{size_text(importance_scores.shape)} vs {size_text(t.shape)}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a parameter again (the ``<name>_orig`` object, now
        holding the pruned values); ``<name>_orig`` and ``<name>_mask`` go. The hook itself is left to the caller."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after the other to one tensor: each new method acts on what the earlier
    masks left (all of it for 'global', the unpruned entries for 'unstructured', the channels along its ``dim``
    that are not all pruned for 'structured'). Iterable and indexable over its methods."""

    def __init__(self, *args):
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(args) == 1:  # (with several, PyTorch names no tensor: adding the first one fails)
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (it must act on this container's tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        elif method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}." + f" Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the part of ``t`` that ``default_mask`` (the earlier methods'
        mask) leaves to it, and written into that mask."""
        method = self._pruning_methods[-1]
        if method.PRUNING_TYPE == "unstructured":
            part = default_mask == 1  # the entries not yet pruned
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                     "`dim` defined.")
            n_dims = t.dim()
            dim = method.dim if method.dim >= 0 else n_dims + method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            # the channels along dim with at least one entry left
            part = [slice(None)] * n_dims
            part[dim] = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            part = tuple(part)
        elif method.PRUNING_TYPE == "global":
            part = (slice(None),) * len(t.shape)
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        new_mask = default_mask.to(dtype=t.dtype)  # (default_mask itself where the dtypes agree, as PyTorch's)
        new_mask[part] = method.compute_mask(t[part], default_mask=default_mask[part]).to(dtype=new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (the reparametrization without pruning)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _ByAmount(BasePruningMethod):
    """A method pruning ``amount`` entries (unstructured) or channels along ``dim`` (structured): an int, or a float
    in [0, 1], that fraction of them, rounded. Subclasses say which (``_entries_to_prune``, ``_channels_to_keep``;
    the structured ones compute it before looking at the count, as PyTorch's ln_structured computes its norms)."""

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def _count_to_prune(self, available):
        count = _compute_nparams_toprune(self.amount, available)
        _validate_pruning_amount(count, available)
        return count


class _UnstructuredByAmount(_ByAmount):
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        count = self._count_to_prune(t.nelement())
        mask = default_mask.clone(memory_format=contiguous_format)
        if count != 0:
            mask.view(-1)[self._entries_to_prune(t, count)] = 0
        return mask


class _StructuredByAmount(_ByAmount):
    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        super().__init__(amount)
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        channels = t.shape[self.dim]
        count = self._count_to_prune(channels)
        kept = self._channels_to_keep(t, channels, count)
        if count == 0:
            return default_mask
        mask = zeros_like(t)
        keep = [slice(None)] * len(t.shape)
        keep[self.dim] = kept
        mask[tuple(keep)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask


class RandomUnstructured(_UnstructuredByAmount):
    """Prunes ``amount`` entries (an int, or a float: that fraction, rounded) chosen at random: the largest of
    ``rand_like(t)``."""

    def _entries_to_prune(self, t, count):
        return _topk(rand_like(t).view(-1), k=count).indices

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredByAmount):
    """Prunes the ``amount`` entries of smallest absolute value (ties in ``topk``'s order)."""

    def _entries_to_prune(self, t, count):
        return _topk(_abs(t).view(-1), k=count, largest=False).indices

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(_StructuredByAmount):
    """Prunes ``amount`` whole channels along ``dim``, chosen at random (those whose ``rand`` draw is at most the
    ``amount``-th smallest)."""

    def _channels_to_keep(self, t, channels, count):
        if count == 0:
            return None  # (no draw: PyTorch draws only when it prunes)
        prob = rand(channels)
        return prob > _kthvalue(prob, k=count).values

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_StructuredByAmount):
    """Prunes the ``amount`` channels along ``dim`` of smallest L``n`` norm (``n`` as ``torch.norm``'s ``p``)."""

    def __init__(self, amount, n, dim=-1):
        super().__init__(amount, dim)
        self.n = n

    def _channels_to_keep(self, t, channels, count):
        return _topk(_compute_norm(t, self.n, self.dim), k=channels - count, largest=True).indices

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given ``mask`` is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {size_text(default_mask.shape)} must match self.mask shape "
                                 f"{size_text(self.mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Reparametrize ``module.<name>`` as ``<name>_orig * <name>_mask`` with a mask of ones; returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` entries of ``module.<name>`` at random; returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` of smallest absolute value (of ``importance_scores`` when
    given); returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` channels of ``module.<name>`` along ``dim`` at random; returns ``module``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels of ``module.<name>`` along ``dim`` of smallest L``n`` norm; returns ``module``."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs of ``parameters`` together, as one flat vector: ``pruning_method(**kwargs)``
    (an 'unstructured' one) picks the entries across all of them; each tensor then gets its part of the mask
    through ``custom_from_mask``. ``importance_scores``: {(module, name): scores} in place of the values."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    relevant_importance_scores = parameters_to_vector(
        [importance_scores.get((module, name), getattr(module, name)) for (module, name) in parameters])
    default_mask = parameters_to_vector(
        [getattr(module, name + "_mask", ones_like(getattr(module, name))) for (module, name) in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        shown = f"<class '{_shown_name(pruning_method)}'>" if isinstance(pruning_method, type) else pruning_method
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{shown} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(relevant_importance_scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num_param = param.numel()
        param_mask = final_mask[pointer:pointer + num_param].view_as(param)
        custom_from_mask(module, name, mask=param_mask)
        pointer += num_param


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0; returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop its hook; returns ``module``."""
    remove_hook_on(module, BasePruningMethod, name,
                   f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed",
                   "_tensor_name")
    return module


def is_pruned(module):
    """Whether ``module`` or one of its submodules has a pruning hook."""
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


def _validate_pruning_amount_init(amount):
    """``amount``: a non-negative int, or a float in [0, 1] (PyTorch's type and range errors)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _validate_structured_pruning(t):
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {size_text(shape)} with {len(shape)} dims")


def _compute_nparams_toprune(amount, tensor_size):
    """An int amount as it is; a fraction of ``tensor_size``, rounded half to even (Python's ``round``)."""
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {size_text(t.shape)}")


def _compute_norm(t, n, dim):
    """The L``n`` norm of each channel of ``t`` along ``dim`` (over all the other dims)."""
    dims = list(range(t.dim()))
    if dim < 0:
        dim = dims[dim]
    dims.remove(dim)
    return _norm(t, p=n, dim=dims)

"""Optimizer: parameter groups, per-parameter state, and PyTorch's state_dict layout.

A subclass fills ``defaults`` and writes ``step()``; everything else is here. Updates run under
no-grad as in-place ops on the parameters (``p.add_(...)``), so each step bumps the parameters'
version counters: a graph that saved a weight before ``step()`` then refuses to backward through it,
with PyTorch's "modified by an inplace operation" error, exactly as in PyTorch.

>>> import graphgrad
>>> w = graphgrad.tensor([1.0, 2.0], requires_grad=True)
>>> opt = graphgrad.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w
tensor([0.8000, 1.6000], requires_grad=True)
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from itertools import chain, combinations

import numpy as np

from .. import _factories
from .._core.fp_errors import quietly
from .._core.hooks import OrderedHookDict, add_hook
from .._core.sites import user_site
from .._dtype import float32, float64, get_default_dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from ..nn.parameter import zero_grads
from . import _stranded

DIRECT_ARRAYS = True  # False: every step runs the in-place tensor ops (the tests compare the two)


def _direct_arrays(group, p, *tensors):
    """The arrays of parameter ``p`` and of ``tensors`` (its gradient, then its state) when a step may update
    them with NumPy directly, or None.

    The in-place tensor ops an update is written in (``buf.mul_(momentum)``) cost a dispatch each, most of a
    step's time on the small parameters of a model. PyTorch's optimizers run them too, but in C++; the direct
    form computes the same float operations in the same order into the same arrays, and bumps the same version
    counters (``Optimizer._written``), so no one can tell the two apart. It is taken only where those ops could
    do nothing else: no ``differentiable`` step (which records a graph), every tensor a dense floating-point
    array of ``p``'s dtype and shape, writable, outside inference mode, and none sharing memory with another
    (PyTorch's overlap checks). Anything else takes the tensor ops, their checks and their errors.
    """
    tensors = (p, *tensors)
    if not DIRECT_ARRAYS or group["differentiable"] or p.is_sparse or any(
            t.__class__ is not Tensor for t in tensors[1:]):  # a sparse gradient, a subclass
        return None
    arrays = [t._data for t in tensors]
    dtype, shape = arrays[0].dtype, arrays[0].shape
    if dtype.kind != "f":
        return None
    for t, a in zip(tensors, arrays):
        if a.dtype != dtype or a.shape != shape or not a.flags.writeable or t._version_box.__class__ is not list:
            return None
    # (arrays that own their memory can't overlap, nor can views of different arrays: only views of one memory
    # pay for NumPy's check)
    if any(a.base is not None for a in arrays):
        owners = {id(_memory_owner(a)) for a in arrays}
        if (len(owners) < len(arrays) or id(None) in owners) and any(
                np.may_share_memory(a, b) for a, b in combinations(arrays, 2)):
            return None
    return arrays


def _memory_owner(a):
    """The array that owns the memory the array ``a`` views, or None for memory of another object (a buffer:
    two views of one buffer may be different objects)."""
    while a.base is not None:
        a = a.base
        if a.__class__ is not np.ndarray:
            return None
    return a


class _RequiredParameter:
    """Singleton for a default with no value (a group must give it, e.g. SGD's lr in old PyTorch)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return "torch." + obj.type().rsplit(".", 1)[-1]
    module = type(obj).__module__
    return (module + "." if module not in ("builtins", None) else "") + type(obj).__qualname__


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a Python number (lr, betas may be given as tensors)."""
    return x.item() if isinstance(x, Tensor) else x


def _scalar_dtype():
    """PyTorch keeps scalar state (``step``, ``eta``, ...) as 0-dim float32 (float64 under a float64 default)."""
    return float64 if get_default_dtype() is float64 else float32


def _step_tensor(value=0.0):
    return _factories.tensor(float(value), dtype=_scalar_dtype())


# The range each hyperparameter must lie in and PyTorch's message when it does not, checked in the
# order the constructor passes them (PyTorch reports the first bad one).
_HYPERPARAMETER_CHECKS = {
    "lr": (lambda v: 0.0 <= v, "Invalid learning rate: {}"),
    "eps": (lambda v: 0.0 <= v, "Invalid epsilon value: {}"),
    "rho": (lambda v: 0.0 <= v <= 1.0, "Invalid rho value: {}"),
    "weight_decay": (lambda v: 0.0 <= v, "Invalid weight_decay value: {}"),
    "momentum": (lambda v: 0.0 <= v, "Invalid momentum value: {}"),
    "alpha": (lambda v: 0.0 <= v, "Invalid alpha value: {}"),
    "lr_decay": (lambda v: 0.0 <= v, "Invalid lr_decay value: {}"),
    "initial_accumulator_value": (lambda v: 0.0 <= v, "Invalid initial_accumulator_value value: {}"),
    "momentum_decay": (lambda v: 0.0 <= v, "Invalid momentum_decay value: {}"),
}


def _check_hyperparameters(**values):
    """Raise PyTorch's ValueError for the first hyperparameter out of its range.

    ``betas`` is checked element by element (each in [0, 1)); a tensor ``lr`` must have one element.
    """
    lr = values.get("lr")
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in values.items():
        if name == "betas":
            for i, beta in enumerate(value):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
            continue
        in_range, message = _HYPERPARAMETER_CHECKS[name]
        if not in_range(value):
            raise ValueError(message.format(value))


def _use_grad_for_differentiable(step):
    """Run ``step`` with grad mode off, unless the optimizer was built with ``differentiable=True``."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with set_grad_enabled(self.defaults.get("differentiable", False)):
            return step(self, *args, **kwargs)

    return wrapper


def _closure_loss(closure):
    """The optimizers' ``step(closure)`` contract: the closure re-evaluates the loss with grad on."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


# Hooks around every optimizer's step (``register_optimizer_step_pre_hook`` / ``_post_hook``).
_global_optimizer_pre_hooks = OrderedHookDict()
_global_optimizer_post_hooks = OrderedHookDict()


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; it may return new
    ``(args, kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
    return add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    return add_hook(_global_optimizer_post_hooks, hook)


def _with_step_hooks(step):
    """Wrap a subclass's ``step`` with the global and per-optimizer pre/post hooks, as PyTorch does."""

    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        # the hooks see the call's own args, the optimizer first, and may replace them
        self = args[0]
        if self.__dict__.get("_in_step_hooks"):  # a subclass's step calling super().step(): hooks ran already
            return step(*args, **kwargs)
        self._in_step_hooks = True
        try:
            for hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but "
                                           f"got {result}.")
                    args, kwargs = result
            out = step(*args, **kwargs)
            for hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                hook(self, args, kwargs)
            _stranded.check_after_step(self)
            return out
        finally:
            self._in_step_hooks = False

    hooked_step.hooked = True
    return hooked_step


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


class Optimizer:
    """Base class of all optimizers.

    params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts each defining a
    parameter group (``{"params": [...], "lr": 0.1}``); defaults: the hyperparameters every group
    gets unless it sets its own.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults):
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedHookDict())
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        _stranded.note_built(self)

    # Group flags a state dict from an older PyTorch may lack, filled in on load (as PyTorch's
    # ``__setstate__`` does), and per-parameter scalar state that old checkpoints stored as numbers.
    _group_defaults_on_load = {}
    _scalar_state_keys = ()
    _write_site = None  # the user's line of the step being run (``_note_write_site``)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            if name not in self.__dict__:  # unpickled: hooks are not saved
                setattr(self, name, OrderedHookDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, default in self._group_defaults_on_load.items():
                group.setdefault(key, default)
        for p_state in self.state.values():
            for key in self._scalar_state_keys:
                if key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = _step_tensor(p_state[key])

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # --- parameter groups -------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (with its own hyperparameters) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )
            param_group["param_names"] = names

        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                "error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- hooks ------------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` before this optimizer's ``step``; may return new (args, kwargs)."""
        return add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` after this optimizer's ``step``."""
        return add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` before ``state_dict()`` builds the dict."""
        return add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend=prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` after; a returned dict replaces it."""
        return add_hook(self._optimizer_state_dict_post_hooks, hook, prepend=prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` before loading; a returned dict is loaded instead."""
        return add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend=prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` after loading."""
        return add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend=prepend)

    # --- gradients and steps ----------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None by default, as PyTorch 2 does)."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss when a closure is given."""
        raise NotImplementedError

    def _params_with_grad(self, group):
        return [p for p in group["params"] if p.grad is not None]

    @staticmethod
    def _grad_for_step(p, group):
        """``p.grad``, negated when the group maximizes; with L2 weight decay added unless it is
        decoupled (then ``p`` itself shrinks by ``lr * weight_decay``, as AdamW/NAdamW/RAdamW do)."""
        grad = p.grad if not group["maximize"] else -p.grad
        weight_decay = group.get("weight_decay", 0)
        if weight_decay != 0:
            if group.get("decoupled_weight_decay", False):
                p.mul_(1 - _to_scalar(group["lr"]) * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        return grad

    @quietly  # (on arrays, outside the ops: NaN and inf silently)
    def _grad_array_for_step(self, p, grad, group):
        """``_grad_for_step`` on arrays (see ``_direct_arrays``): the same float operations in the same order,
        so the same numbers; ``grad`` (p.grad's array) is never written."""
        if group["maximize"]:
            grad = np.negative(grad)
        weight_decay = group.get("weight_decay", 0)
        if weight_decay != 0:
            if group.get("decoupled_weight_decay", False):
                np.multiply(p._data, 1 - _to_scalar(group["lr"]) * weight_decay, out=p._data)
                self._written(p, "MulBackward0")
            else:
                grad = np.add(grad, weight_decay * p._data)
        return grad

    def _note_write_site(self):
        """Where this step's direct writes are counted as made: the user's line that called ``step()``."""
        self._write_site = user_site(1)

    def _written(self, t, op_name):
        """Count a direct write into ``t``'s array (``_direct_arrays``) as the in-place op ``op_name`` counts it:
        a version bump noted with the user's line (found once per step by ``_note_write_site``, not per write)."""
        if t._data_of is not None or t._view is not None:  # a write through .data or a view: noted there too
            t._bump_version(op_name)
            return
        box = t._version_box
        box[0] += 1
        if self._write_site is not None:
            box[1] = (*self._write_site, op_name)

    # --- state_dict -------------------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``, PyTorch's layout.

        Parameters are numbered in the order they appear across the groups; the tensors in "state"
        are the optimizer's own (not copies), as in PyTorch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            index.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index})
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load a state dict from ``state_dict()`` (graphgrad's or PyTorch's, e.g. via graphgrad.load)."""
        import copy

        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            # Floating-point state follows the parameter's dtype; "step" keeps its own. Copies, so that
            # the loaded optimizer never shares state tensors with the dict it was loaded from.
            if isinstance(value, Tensor):
                if key != "step" and param.is_floating_point():
                    return value.detach().to(param.dtype, copy=True)
                return value.detach().clone()
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


class _PerParameterOptimizer(Optimizer):
    """The step loop shared by the optimizers that update each parameter on its own (PyTorch's
    single-tensor path): for every parameter with a gradient, create its state at its first step
    (``_init_state``), count the step, take the gradient (negated when maximizing, with weight decay),
    and let the subclass's ``_update`` change the parameter in place."""

    def _init_state(self, p, group):
        """The new state of ``p``, in PyTorch's key order (``step`` first where there is one)."""
        raise NotImplementedError

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    # The state tensors an array form of the update (``_update_arrays``) writes, in ``_direct_arrays``'s order;
    # empty where a subclass has no array form.
    _array_state_keys = ()

    def _update_arrays(self, p, grad, state, group):
        """``_update`` on arrays, for the cases ``_direct_arrays`` allows: the same float operations in the same
        order on ``p._data`` and the state tensors' arrays (each write counted with ``_written``)."""
        raise NotImplementedError

    def _count_step(self, step, direct):
        """``state["step"] += 1`` (a 0-d tensor), written directly into its array alongside a direct update."""
        if direct and step.__class__ is Tensor and step._data.flags.writeable and step._version_box.__class__ is list:
            np.add(step._data, 1, out=step._data)
            self._written(step, "AddBackward0")
        else:
            step.add_(1)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss when a closure is given."""
        loss = _closure_loss(closure)
        self._note_write_site()
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state.update(self._init_state(p, group))
                arrays = None
                if self._array_state_keys:
                    keys = self._array_state_keys
                    arrays = _direct_arrays(group, p, p.grad, *[state[k] for k in keys if k in state])
                if "step" in state:
                    self._count_step(state["step"], arrays is not None)
                if arrays is None:
                    self._update(p, self._grad_for_step(p, group), state, group)
                else:
                    self._update_arrays(p, self._grad_array_for_step(p, arrays[1], group), state, group)
        return loss

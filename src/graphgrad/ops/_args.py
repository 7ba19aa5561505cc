"""Argument checking for the public functions: PyTorch's TypeError instead of an internal exception.

``graphgrad.exp([1.0])`` must say ``exp(): argument 'input' (position 1) must be Tensor, not list``, as
PyTorch does, not ``'list' object has no attribute '_data'``. Checking every argument of every call up
front would cost time on every op, so the work is split:

- ``graphgrad.<fn>(...)``: the tensor arguments are checked before the call (a few ``isinstance``);
- ``Tensor.<method>(...)`` with arguments besides ``self``: nothing is checked on the way in; only when
  the call fails is the failure examined, and a wrongly typed argument reported in PyTorch's words.
  Methods without other arguments (``x.exp()``) are not wrapped at all: nothing can be mistyped.

>>> import graphgrad
>>> try:
...     graphgrad.exp([1.0])
... except TypeError as e:
...     print(e)
exp(): argument 'input' (position 1) must be Tensor, not list
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .._core.layouts import run_layout_rule
from .._tensor import Tensor
from ._autocast import split_autocast
from ._autocast import state as autocast_state
from ._keywords import retry_with_keywords
from ._parser import Kernel, NoKinds, combination_error, torch_type_name
from ._signatures import PYTHON_METHODS, SIGNATURES

# parameters that must be tensors (PyTorch's names where ours differ are mapped in _TORCH_NAME)
TENSOR_PARAMS = frozenset({
    "input", "tensor", "mat1", "mat2", "vec", "vec2", "batch1", "batch2", "mask", "src", "tensor1", "tensor2",
    "condition",
})
# "index" and "source" are tensors for these (select's index and movedim's source are ints)
INDEX_TENSOR = frozenset({
    "index_select", "gather", "scatter", "scatter_add", "scatter_", "scatter_add_", "index_add", "index_add_",
    "take",
})
# tensors under other names, per function (PyTorch's schema names them so)
NAMED_TENSORS = {"_weight_norm": frozenset({"v", "g"}), "norm_except_dim": frozenset({"v"})}
# the tensors of torch.linalg's functions, by their schema names (checked for every ``linalg_<name>``)
LINALG_TENSORS = frozenset({"A", "B", "LU", "pivots", "x", "y", "other", "tau"})
# functions whose first operand (isin, searchsorted: either) may be a Python number in PyTorch (torch.mul(2, t))
NUMBER_INPUT_OK = frozenset({
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "remainder", "rsub",
    "floor_divide", "where", "result_type", "tensor", "as_tensor", "xlogy", "copysign", "bucketize", "isin",
    "searchsorted",
})
# functions whose ``other`` must be a Tensor in PyTorch (elsewhere a Python number is fine: add, eq, ...)
OTHER_TENSOR = frozenset({
    "maximum", "minimum", "fmax", "fmin", "matmul", "dot", "inner", "outer", "logical_and", "logical_or",
    "logical_xor", "atan2", "arctan2", "expand_as", "type_as", "view_as", "reshape_as", "dist",
})
# functions whose ``dim`` is one int (sum/mean/... also take a tuple; max/min take a tensor as ``other``)
SINGLE_DIM = frozenset({
    "argmax", "argmin", "cumsum", "cumprod", "softmax", "log_softmax", "unsqueeze", "select", "narrow",
    "index_select", "gather", "scatter", "scatter_add", "scatter_", "scatter_add_", "index_add", "index_add_",
    "transpose", "swapaxes", "swapdims", "flatten", "unflatten", "chunk", "split", "unbind", "cat", "stack",
    "prod",
})
INT_PARAMS = frozenset({"dim", "dim0", "dim1", "start_dim", "end_dim", "chunks", "sections", "diagonal"})
SHAPE_VARARGS = frozenset({"shape", "size", "sizes", "dims", "reps", "repeats"})
_TORCH_NAME = {"reps": "repeats", "sizes": "size"}
# parameters PyTorch names differently for one function (swapaxes's axes, Tensor.split's split_size)
_TORCH_PARAM = {
    ("swapaxes", "dim0"): "axis0", ("swapaxes", "dim1"): "axis1", ("view", "shape"): "size",
    ("split", "split_size_or_sections", True): "split_size", ("unflatten", "sizes"): "sizes",
    ("linalg_lstsq", "A"): "input", ("linalg_lstsq", "B"): "b", ("linalg_vector_norm", "x"): "input",
    ("linalg_norm", "A"): "input", ("linalg_matrix_exp", "A"): "input", ("linalg_matrix_power", "A"): "input",
}
# functions with several overloads in PyTorch: a missing argument is reported as "an invalid combination"
OVERLOADED = frozenset({
    "view", "add", "sub", "subtract", "add_", "sub_", "subtract_", "pow", "pow_", "narrow", "where", "masked_fill",
    "masked_fill_", "scatter", "scatter_", "lerp", "lerp_", "fill_", "copy_", "addmm", "repeat_interleave", "movedim",
    "moveaxis", "index_fill", "index_fill_", "clamp", "clip", "div", "divide", "div_", "divide_", "sum", "mean",
    "std", "var", "max", "min", "squeeze", "flatten", "unflatten_", "rsub", "remainder", "fmod", "bitwise_and",
    "bitwise_or", "bitwise_xor", "eq", "ne", "lt", "le", "gt", "ge", "to",
})
# the binary functions whose Tensor and Number ``other`` are two overloads in PyTorch
OTHER_OVERLOADED = frozenset({
    "pow", "eq", "ne", "lt", "le", "gt", "ge", "fmod", "remainder", "true_divide", "floor_divide", "xlogy",
    "copysign", "bitwise_and", "bitwise_or", "bitwise_xor", "float_power", "greater", "less", "greater_equal",
    "less_equal", "not_equal",
})
# functions that are Python code in PyTorch: Python's own texts, the method form named Tensor.<name>
PYTHON_LEVEL = frozenset({"split", "unflatten", "norm", "stft", "istft", "unique", "lu"})
# the Number-valued keyword arguments
NUMBER_PARAMS = frozenset({"alpha", "beta", "value"})
_NUMBERS = (bool, int, float, complex, np.number, np.bool_)
_INTS = (int, np.integer)


def _torch_param(name, pname, method=False):
    return _TORCH_PARAM.get((name, pname, method)) or _TORCH_PARAM.get((name, pname)) or _TORCH_NAME.get(
        pname, pname)


def missing_args_error(name, missing, method=True):
    """PyTorch's text for a call without its required arguments ``missing`` (PyTorch's names, in order)."""
    if name in PYTHON_LEVEL:
        qual = f"Tensor.{name}" if method else name
        names = [f"'{m}'" for m in missing]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        return TypeError(f"{qual}() missing {len(missing)} required positional argument"
                         f"{'s' if len(missing) > 1 else ''}: {listed}")
    # PyTorch's parser writes "arguments" for one and "argument" for several
    return TypeError(f"{name}() missing {len(missing)} required positional argument{'s' if len(missing) == 1 else ''}"
                     f": " + ", ".join(f'"{m}"' for m in missing))


def _bind_error(name, sig, args, kwargs, method):
    """The error for arguments that don't fit ``sig`` at all: too few, too many, an unknown keyword."""
    try:
        bound = sig.bind_partial(*args, **kwargs)
    except TypeError as e:
        if name in OVERLOADED:
            return _combination_error(name, args[1:] if method else args, kwargs)
        if "too many positional" in str(e):
            skip = 1 if method and name not in PYTHON_LEVEL else 0  # a Python method counts self
            params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            least = sum(p.default is p.empty for p in params[skip:])
            qual = f"Tensor.{name}" if method and name in PYTHON_LEVEL else name
            return TypeError(f"{qual}() takes from {least} to {len(params) - skip} positional arguments but "
                             f"{len(args) - skip} were given")
        return TypeError(f"{name}() {e}")
    missing = [p.name for p in sig.parameters.values() if p.default is p.empty and p.name not in bound.arguments
               and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if not missing:
        return None
    if name in OVERLOADED:
        return _combination_error(name, args[1:] if method else args, kwargs)
    return missing_args_error(name, [_torch_param(name, m, method) for m in missing], method)


def _tensor_param(name, pname):
    if pname == "src" and name in ("scatter", "scatter_"):
        return False  # x.scatter(dim, index, 1.0): PyTorch's value overload
    return pname in TENSOR_PARAMS or (pname == "other" and name in OTHER_TENSOR) or (
        pname == "end" and name == "lerp") or (pname in ("index", "source") and name in INDEX_TENSOR) or (
        pname in NAMED_TENSORS.get(name, ())) or (pname in LINALG_TENSORS and name.startswith("linalg_"))


def _dims_ok(x):
    if x is None or (isinstance(x, _INTS) and not isinstance(x, bool)):
        return True
    if isinstance(x, (tuple, list)):
        return all(isinstance(d, _INTS) and not isinstance(d, bool) for d in x)
    return False


def argument_error(name, sig, args, kwargs, method=False):
    """PyTorch's TypeError for the first wrongly typed argument of ``name(*args, **kwargs)``, or None."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return _bind_error(name, sig, args, kwargs, method)
    for i, (pname, param) in enumerate(sig.parameters.items()):
        if pname not in bound.arguments or (name in SIGNATURES and not (method and name in PYTHON_METHODS)
                                            and not _tensor_param(name, pname) and pname != "tensors"):
            continue  # (the other kinds of those in SIGNATURES were checked before the call, by the model)
        value = bound.arguments[pname]
        # PyTorch counts a method's positions after self, and gives none for an argument passed by keyword
        pos = "" if pname in kwargs or param.kind is param.KEYWORD_ONLY else f" (position {i if method else i + 1})"
        shown = _torch_param(name, pname, method)
        if pname in NUMBER_PARAMS and param.kind is param.KEYWORD_ONLY and not isinstance(value, _NUMBERS):
            return TypeError(f"{name}(): argument '{shown}' must be Number, not {torch_type_name(value)}")
        if pname in ("other", "exponent") and not isinstance(value, (Tensor,) + _NUMBERS):
            if name.rstrip("_") in OTHER_OVERLOADED:  # other: Tensor or Number, in two overloads
                return _combination_error(name, args[1:] if method else args, kwargs)
            return TypeError(f"{name}(): argument '{shown}'{pos} must be Tensor, not {torch_type_name(value)}")
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            if pname in SHAPE_VARARGS:
                if not method and len(value) == 1 and isinstance(value[0], _INTS):
                    # the function form wants a tuple: torch.reshape(x, 6) is an error, x.reshape(6) is not
                    return TypeError(f"{name}(): argument '{shown}'{pos} must be tuple of ints, not "
                                     f"{torch_type_name(value[0])}")
                vals = value[0] if len(value) == 1 and isinstance(value[0], (tuple, list)) else value
                for v in vals:
                    if not (isinstance(v, _INTS) and not isinstance(v, bool)):
                        if len(value) == 1 and not isinstance(value[0], (tuple, list)):
                            return TypeError(f"{name}(): argument '{shown}'{pos} must be tuple of ints, "
                                             f"not {torch_type_name(v)}")
                        return TypeError(f"{name}(): argument '{shown}' must be tuple of ints, but found element "
                                         f"of type {torch_type_name(v)} at pos {vals.index(v)}")
            continue
        if pname == "tensors":
            if isinstance(value, Tensor) or not isinstance(value, (tuple, list)):
                return TypeError(f"{name}(): argument 'tensors'{pos} must be tuple of Tensors, "
                                 f"not {torch_type_name(value)}")
            for k, t in enumerate(value):
                if not isinstance(t, Tensor):
                    return TypeError(f"expected Tensor as element {k} in argument 0, but got {torch_type_name(t)}")
            continue
        if pname == "p" and isinstance(value, Tensor):
            return TypeError(f"{name}(): argument 'ord'{pos} must be Number, not Tensor")
        if pname in ("sizes", "shape", "dims", "split_size_or_sections") and param.kind is not param.VAR_POSITIONAL:
            ok = isinstance(value, (tuple, list)) and all(isinstance(v, _INTS) for v in value)
            if pname == "split_size_or_sections" or name == "roll" or (method and pname == "dims"):
                ok = ok or isinstance(value, _INTS) or value is None
            if not ok:
                return TypeError(f"{name}(): argument '{shown}'{pos} must be tuple of ints, not "
                                 f"{torch_type_name(value)}")
            continue
        if _tensor_param(name, pname) and name not in NUMBER_INPUT_OK:
            if not isinstance(value, Tensor) and not (method and i == 0) and not (
                    value is None and param.default is None):
                return TypeError(f"{name}(): argument '{shown}'{pos} must be Tensor, not "
                                 f"{torch_type_name(value)}")
        elif pname == "dim" and name in ("max", "min"):
            if not (value is None or isinstance(value, (Tensor,) + _INTS)):  # max(x, other) takes a tensor
                return TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                                 f"{torch_type_name(value)})")
        elif pname in INT_PARAMS:
            single = name in SINGLE_DIM or pname != "dim"
            none_ok = value is None and param.default is None and name not in ("softmax", "log_softmax")
            if not _dims_ok(value) or (single and not none_ok
                                       and not (isinstance(value, _INTS) and not isinstance(value, bool))):
                return TypeError(f"{name}(): argument '{shown}'{pos} must be int, not "
                                 f"{torch_type_name(value)}")
    return None


_combination_error = combination_error  # (its older name here)


def _keywords_only(fn, name, sig, kinds):
    """A factory (or a function like it) accepting PyTorch's keywords ``out=``, ``size=``, ``pin_memory=``
    (see ``_keywords``); the arguments' kinds checked as in ``checked``."""
    lead, quick = kinds.lead, kinds.first
    lead1 = lead + 1

    @functools.wraps(fn)
    def function(*args, **kwargs):
        n = len(args)  # (inline, not a call: this is every call's cost)
        if kwargs or (n > lead and (n != lead1 or type(args[lead]) not in quick)):
            args, kwargs = kinds.check(args, kwargs)
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if not kwargs:
                raise
            done, result = retry_with_keywords(fn, name, sig, args, kwargs, False, e)
            if not done:
                raise
            return result

    function.__wrapped__ = fn
    return function


def checked(fn, name, method):
    """``fn`` published as ``graphgrad.<name>`` (method=False) or ``Tensor.<name>`` (method=True)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn
    params = list(sig.parameters.values())
    if method and len(params) <= 1:
        return fn  # x.exp(): nothing besides self to get wrong
    # the kinds of the arguments past the tensors, checked before the call (see _parser)
    modelled = name in SIGNATURES and not (method and name in PYTHON_METHODS)
    kinds = Kernel(SIGNATURES[name], method, self_in_args=method) if modelled else NoKinds
    lead, quick = kinds.lead, kinds.first
    lead1 = lead + 1
    # up-front checks for the function form: positions of parameters that must be tensors
    tensor_pos = () if method or name in NUMBER_INPUT_OK else tuple(
        (i, p.default is None) for i, p in enumerate(params)
        if _tensor_param(name, p.name) and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    if not method and not tensor_pos and name not in NUMBER_INPUT_OK and not any(
            p.name == "tensors" or p.name in INT_PARAMS for p in params):
        return _keywords_only(fn, name, sig, kinds)  # factories and the like: out= to accept
    fn, autocast = split_autocast(fn)  # (its rule goes around the checks below, see ``function``)

    def diagnose(args, kwargs):
        # x.permute(dims=(9,)): the kernel's error, as for the positional form (with other keywords beside it, the
        # parser's listing of them as given)
        if len(kwargs) == 1 and shape_keyword in kwargs and len(args) == var:
            kwargs = dict(kwargs)
            args = (*args, kwargs.pop(shape_keyword))
        err = argument_error(name, sig, args, kwargs, method)
        return err

    # a shape given as *varargs is required (x.permute() is an error): the fewest positional arguments
    var = next((k for k, p in enumerate(params) if p.kind is p.VAR_POSITIONAL), None)
    shape_keyword = None
    if var is not None and params[var].name in SHAPE_VARARGS:
        inner, shown = fn, _torch_param(name, params[var].name, method)
        shape_keyword = shown

        def fn(*args, **kwargs):
            if len(args) <= var:
                if shown in kwargs:  # x.permute(dims=(1, 0)): PyTorch's keyword
                    return inner(*args, kwargs.pop(shown), **kwargs)
                if len(args) == var:
                    raise (_combination_error(name, args[1:] if method else args, kwargs) if name in OVERLOADED
                           else missing_args_error(name, [shown], method))
            return inner(*args, **kwargs)
    # x.maximum(1): PyTorch wants a Tensor ``other``, checked up front for methods too
    if method and "other" in sig.parameters and name in OTHER_TENSOR:
        tensor_pos = tuple((i, False) for i, p in enumerate(params) if p.name == "other")

    @functools.wraps(fn)
    def function(*args, **kwargs):
        if under_autocast is not None and autocast_state.cpu_dtype is not None:
            return under_autocast(*args, **kwargs)  # its casts, then this function again (autocast off inside)
        # nothing past the tensors, or one more argument of an exact type the kernel takes: nothing to look at
        n = len(args)  # (inline, not a call: this is every call's cost)
        if kwargs or (n > lead and (n != lead1 or type(args[lead]) not in quick)):
            args, kwargs = kinds.check(args, kwargs)
        for i, none_ok in tensor_pos:
            if i < len(args) and not isinstance(args[i], Tensor) and not (none_ok and args[i] is None):
                raise diagnose(args, kwargs) or _combination_error(name, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if getattr(e, "other_layout", None) is not None:  # an operand of another layout: its rule for this op
                return run_layout_rule(e, name, args, kwargs)
            if kwargs and type(e) is TypeError and name not in PYTHON_LEVEL:
                done, result = retry_with_keywords(fn, name, sig, args, kwargs, method, e)
                if done:
                    return result
            err = diagnose(args, kwargs)
            if err is None:
                raise
            raise err from e

    under_autocast = autocast(function) if autocast is not None else None
    function.__wrapped__ = fn
    return function

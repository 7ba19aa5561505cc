"""PyTorch's error for an argument of ``nn.functional`` that should be a Tensor and is not (a list, a NumPy array,
None where no default allows it).

graphgrad's functions read their tensors' arrays at once, so such an argument used to fail deep inside with an
AttributeError about graphgrad's internals. Each public function of the package is wrapped (``checked``): when
the call raises and an argument that must be a Tensor is not one, PyTorch's error for it is raised instead. A
correct call pays one Python frame; only the few functions that would accept a NumPy array (``CHECKED_FIRST``)
look before they run, and only at calls with an argument other than a Tensor, a number, a string or None.

What PyTorch raises depends on how its function is built, facts recorded below from PyTorch 2.13:

- most end in a C++ kernel whose argument parser says ``name(): argument 'p' (position k) must be Tensor, not
  T`` (the position left out where the argument was passed by keyword straight to the kernel); the kernel's
  name or its parameters' names and positions differ from the Python function's for some (``KERNELS``,
  ``PARAMETERS``);
- the convolutions are overloaded kernels: ``received an invalid combination of arguments`` (``COMBINATIONS``);
- some are Python code that first reads an attribute of the argument: Python's AttributeError (``ATTRIBUTES``).
"""

from __future__ import annotations

import functools
import inspect

from ..._tensor import Tensor
from ...ops._args import _combination_error, torch_type_name

# parameters that take a tensor in nn.functional
TENSOR_PARAMETERS = frozenset({
    "input", "target", "weight", "bias", "input1", "input2", "x1", "x2", "anchor", "positive", "negative",
    "query", "key", "value", "attn_mask", "running_mean", "running_var", "pos_weight", "var", "tensor", "logits",
})
# the kernel PyTorch's function ends in, where its name is not the function's
KERNELS = {
    "cross_entropy": "cross_entropy_loss", "nll_loss": "nll_loss_nd", "logsigmoid": "log_sigmoid",
    "fold": "col2im", "unfold": "im2col",
}
# the kernel's name and position for a parameter, where they are not the function's (and the kernel, where only
# that parameter reaches it)
_NORM = {"input": ("input", 1), "weight": ("weight", 2), "bias": ("bias", 3), "running_mean": ("running_mean", 4),
         "running_var": ("running_var", 5)}
PARAMETERS = {
    "embedding": {"input": ("indices", 2), "weight": ("weight", 1)},
    "one_hot": {"tensor": ("input", 1)},
    "binary_cross_entropy_with_logits": {"pos_weight": ("pos_weight", 4)},
    "multilabel_soft_margin_loss": {"input": ("input", 1, "log_sigmoid")},
    "gumbel_softmax": {"logits": ("input", 1, "empty_like")},
    "batch_norm": _NORM,
    "instance_norm": _NORM,
}
# Python functions in PyTorch that read an attribute of their tensors first: (attribute, the parameters it is read
# from or None for all, the parameter that must be set (not None, not False) for the read to happen or None)
_SIZE, _DIM = ("size", None, None), ("dim", None, None)
ATTRIBUTES = {
    "adaptive_avg_pool2d": _SIZE, "adaptive_max_pool2d": _SIZE, "adaptive_avg_pool3d": _SIZE,
    "adaptive_max_pool3d": _SIZE, "binary_cross_entropy": _SIZE, "huber_loss": _SIZE, "l1_loss": _SIZE,
    "mse_loss": _SIZE, "smooth_l1_loss": _SIZE,
    "binary_cross_entropy_with_logits": ("size", ("input", "target"), None),
    "gaussian_nll_loss": ("size", ("input",), None),
    "batch_norm": ("size", ("input",), "training"), "instance_norm": ("size", ("input",), "use_input_stats"),
    "embedding": ("size", ("weight",), "padding_idx"),
    "dropout1d": _DIM, "dropout2d": _DIM, "dropout3d": _DIM, "glu": _DIM, "group_norm": ("dim", ("input",), None),
    "interpolate": _DIM, "upsample": _DIM, "upsample_bilinear": _DIM, "upsample_nearest": _DIM,
    "local_response_norm": _DIM, "margin_ranking_loss": _DIM,
    "normalize": ("norm", None, None), "sigmoid": ("sigmoid", None, None), "tanh": ("tanh", None, None),
    "tanhshrink": ("tanh", None, None), "softsign": ("abs", None, None),
    "softmax": ("softmax", None, None), "log_softmax": ("log_softmax", None, None),
}
NEGATED = frozenset({"softmin"})  # PyTorch's softmin negates its input first (Python's unary minus error)
# parameters PyTorch takes as optional tensors: None is allowed whatever graphgrad's default
OPTIONAL = frozenset({"weight", "bias", "running_mean", "running_var", "attn_mask", "pos_weight"})
COMBINATIONS = {"conv1d", "conv2d", "conv3d"}
_CONV_OVERLOADS = (
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of ints padding = 0, "
    "tuple of ints dilation = 1, int groups = 1)\n"
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str padding = \"valid\", "
    "tuple of ints dilation = 1, int groups = 1)\n"
)
# functions PyTorch publishes as the kernel itself: an argument passed by keyword is named without a position
KERNEL_ITSELF = frozenset({
    "linear", "bilinear", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "pixel_shuffle", "pixel_unshuffle", "hardshrink", "logsigmoid", "softplus", "gelu",
    "softshrink", "adaptive_avg_pool1d", "cosine_similarity", "pairwise_distance", "pdist", "one_hot",
    "scaled_dot_product_attention", "prelu", "relu_", "elu_", "hardtanh_", "leaky_relu_", "threshold_",
})


# functions composed of graphgrad ops that take a NumPy array as an operand where PyTorch's kernel refuses it:
# their arguments are checked before the call (the others only once the call failed)
CHECKED_FIRST = frozenset({
    "bilinear", "cosine_embedding_loss", "hinge_embedding_loss", "kl_div", "pairwise_distance",
    "triplet_margin_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss",
})


def _not_a_tensor(value, param):
    return not isinstance(value, Tensor) and not (value is None and (param.default is None or param.name in OPTIONAL))


def _method_call_error(value, attr):
    """Python's error for ``value.attr()``: no such attribute, or one that is not a method (an array's size)."""
    found = getattr(value, attr, None)
    if found is not None and not callable(found):
        return TypeError(f"'{torch_type_name(found)}' object is not callable")
    return AttributeError(f"'{torch_type_name(value)}' object has no attribute '{attr}'")


def _set(value):
    return value is not None and value is not False


def argument_error(name, sig, args, kwargs):
    """PyTorch's error for the first argument of ``name(*args, **kwargs)`` that must be a Tensor and is not, or
    None when there is none."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return None  # a wrong call: Python's own error stands
    bound.apply_defaults()
    for position, (pname, param) in enumerate(sig.parameters.items(), 1):
        if pname not in TENSOR_PARAMETERS or pname not in bound.arguments:
            continue
        value = bound.arguments[pname]
        if not _not_a_tensor(value, param):
            continue
        attr, read_from, when = ATTRIBUTES.get(name, (None, None, None))
        if attr is not None and (read_from is None or pname in read_from) and (
                when is None or _set(bound.arguments.get(when))):
            if name in ("softmax", "log_softmax") and bound.arguments.get("dim") is None:
                attr = "dim"  # the implicit dimension is chosen from input.dim() first
            return _method_call_error(value, attr)
        if name in NEGATED:
            if bound.arguments.get("dim") is None:
                return _method_call_error(value, "dim")  # (the implicit dimension first, as softmax)
            try:
                negated = -value
            except TypeError:
                return TypeError(f"bad operand type for unary -: '{torch_type_name(value)}'")
            return _method_call_error(negated, "softmax")
        if name in COMBINATIONS:
            return _combination_error(name, args, kwargs, _CONV_OVERLOADS)
        kernel = KERNELS.get(name, name)
        if name.startswith("max_pool") and bound.arguments.get("return_indices"):
            kernel = f"{name}_with_indices"
        shown, position, *reached = PARAMETERS.get(name, {}).get(pname, (pname, position))
        kernel = reached[0] if reached else kernel
        where = "" if pname in kwargs and name in KERNEL_ITSELF else f" (position {position})"
        return TypeError(f"{kernel}(): argument '{shown}'{where} must be Tensor, not {torch_type_name(value)}")
    return None


def checked(fn, name):
    """``fn``, raising PyTorch's error where it failed on an argument that must be a Tensor and is not."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - a callable without a signature
        return fn
    if not any(p in TENSOR_PARAMETERS for p in sig.parameters):
        return fn

    first = name in CHECKED_FIRST

    @functools.wraps(fn)
    def function(*args, **kwargs):
        if first and not _plain(args, kwargs):
            err = argument_error(name, sig, args, kwargs)
            if err is not None:
                raise err
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            err = argument_error(name, sig, args, kwargs)
            if err is None:
                raise
            raise err from e

    return function


_PLAIN = (Tensor, int, float, str, type(None))  # arguments that need no look before a CHECKED_FIRST call


def _plain(args, kwargs):
    return all(isinstance(a, _PLAIN) for a in args) and all(isinstance(v, _PLAIN) for v in kwargs.values())


def check_arguments(namespace, names):
    """Wrap the functions ``names`` of ``namespace`` (the package's globals) with ``checked``."""
    for name in names:
        fn = namespace[name]
        if inspect.isfunction(fn):
            wrapped = namespace[name] = checked(fn, name)
            if wrapped is not fn:
                # published here: pickle (a module saved whole with F.relu as its activation) finds it by this name
                wrapped.__module__ = namespace["__name__"]

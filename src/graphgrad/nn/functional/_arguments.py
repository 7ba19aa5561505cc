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

The other arguments (ints, lists of ints, floats, flags, strings) get the same treatment, checked before the call:
graphgrad's functions would take ``kernel_size=2.0`` or ``ceil_mode=1`` where PyTorch refuses them. ``CALLS`` says,
for each function, which of PyTorch's kernels its arguments reach and how (``Forwarded``); the kernel's own parser
is modelled in ``ops/_parser``. A call whose arguments past the tensors are none, or one int where an int is
taken, pays a few comparisons; the others a look at each argument's exact type.
"""

from __future__ import annotations

import functools
import inspect

from ..._tensor import Tensor
from ...ops._args import _combination_error, torch_type_name
from ...ops._autocast import split_autocast
from ...ops._autocast import state as autocast_state
from ...ops._parser import Kernel, NoKinds
from ._activation import check_hardtanh_range
from ._common import list_with_default, pair
from ._dropout import _check_p
from ._embedding import padding_index
from ._normalization import check_batch_norm_eps, check_group_norm_groups

# parameters that take a tensor in nn.functional
TENSOR_PARAMETERS = frozenset({
    "input", "target", "weight", "bias", "input1", "input2", "x1", "x2", "anchor", "positive", "negative",
    "query", "key", "value", "attn_mask", "running_mean", "running_var", "pos_weight", "var", "tensor", "logits",
    "indices", "_random_samples", "grid",
})
# the kernel PyTorch's function ends in, where its name is not the function's
KERNELS = {
    "cross_entropy": "cross_entropy_loss", "nll_loss": "nll_loss_nd", "logsigmoid": "log_sigmoid",
    "fold": "col2im", "unfold": "im2col", "adaptive_max_pool1d_with_indices": "adaptive_max_pool1d",
    "fractional_max_pool2d_with_indices": "fractional_max_pool2d",
    "fractional_max_pool3d_with_indices": "fractional_max_pool3d", "grid_sample": "grid_sampler",
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
    **{f"fractional_max_pool{d}d{tail}": {"_random_samples": ("random_samples", 4)}
       for d in (2, 3) for tail in ("", "_with_indices")},
}
# Python functions in PyTorch that read an attribute of their tensors first: (attribute, the parameters it is read
# from or None for all, the parameter that must be set (not None, not False) for the read to happen or None; "!p":
# that must not be)
_SIZE, _DIM = ("size", None, None), ("dim", None, None)
# (a list where the parameters read different attributes)
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
    # (max_pool3d's Python code reads input.is_cuda where it returns indices; lp_pool's takes input.pow, or
    # input.abs for an infinite norm_type; max_unpool's computes the output size from input.size())
    "max_pool3d": ("is_cuda", None, "return_indices"), "max_pool3d_with_indices": ("is_cuda", None, None),
    "adaptive_max_pool2d_with_indices": _SIZE, "adaptive_max_pool3d_with_indices": _SIZE,
    **dict.fromkeys(("lp_pool1d", "lp_pool2d", "lp_pool3d"), ("pow", None, None)),
    "max_unpool1d": [("size", ("input",), None), ("unsqueeze", ("indices",), None)],
    "max_unpool2d": ("size", ("input",), None), "max_unpool3d": ("size", ("input",), None),
    # (fractional max pooling: input.size() for an output ratio, input.dim() to draw the samples)
    **{f"fractional_max_pool{d}d{tail}": [("size", ("input",), "output_ratio"), ("dim", ("input",), "!_random_samples")]
       for d in (2, 3) for tail in ("", "_with_indices")},
    "multi_margin_loss": ("dim", ("weight",), "weight"),
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
    "scaled_dot_product_attention", "prelu", "channel_shuffle", "native_channel_shuffle",
    "relu_", "elu_", "hardtanh_", "leaky_relu_", "threshold_",
})


# --- the other arguments' kinds ----------------------------------------------------------------------------
# PyTorch's kernels, in PyTorch's schema (native_functions.yaml, ``self`` named ``input``; see ops/_parser)
def _pool(name, nd, extra=""):
    return (f"{name}(Tensor input, int[{nd}] kernel_size, int[{nd}] stride=[], int[{nd}] padding=0, "
            f"{extra}bool ceil_mode=False)")


def _conv(name, nd):
    return [f"{name}(Tensor input, Tensor weight, Tensor? bias=None, SymInt[{nd}] stride=1, SymInt[{nd}] "
            f"padding=0, SymInt[{nd}] dilation=1, SymInt groups=1)",
            f"{name}(Tensor input, Tensor weight, Tensor? bias=None, SymInt[{nd}] stride=1, str padding=\"valid\", "
            f"SymInt[{nd}] dilation=1, SymInt groups=1)"]


def _conv_transpose(name, nd):
    return [f"{name}(Tensor input, Tensor weight, Tensor? bias=None, SymInt[{nd}] stride=1, SymInt[{nd}] padding=0, "
            f"SymInt[{nd}] output_padding=0, SymInt groups=1, SymInt[{nd}] dilation=1)"]


class _AnyKind:
    """The exact types a parameter takes without a look, for one whose value never reaches the kernel: all."""

    def __contains__(self, kind):
        return True


_ANY_KIND = _AnyKind()


class Forwarded:
    """How a function of ``nn.functional`` hands its arguments to PyTorch's kernel ``texts`` (its overloads).

    ``given`` None: the function is the kernel itself, the call goes to its parser as it is. Otherwise PyTorch's
    Python code calls the kernel positionally with ``given``, the function's parameters in the kernel's order:
    ``name:code`` where PyTorch's code reads or converts the value first (``PYTHON_CODE``: its errors come before
    the kernel's), ``name?`` where it replaces None by a default, ``_`` for a value it computes itself, ``name=``
    for one passed by keyword (``name=?``: only when not None). ``method``: called as a method of the first
    tensor (``input.softmax(dim)``); ``variant``: (flag, name), the kernel called when that argument is set
    (``dropout_`` for ``inplace=True``); ``then``: the kernel the code calls next; ``when(values)``: whether
    the code calls this one.
    """

    def __init__(self, texts, given=None, method=False, variant=None, then=None, when=None):
        self.kernel, self.then, self.when = Kernel(texts, method), then, when
        self.variant = None if variant is None else (variant[0], Kernel(
            [variant[1] + t[t.index("("):] for t in texts], method))
        self.given = None if given is None else _entries(given, self.kernel)

    def bind_to(self, fn):
        """Finish for ``fn``: its parameters, and where the cheap look starts (see ops/_parser.Kernel)."""
        params = inspect.signature(fn).parameters.values()
        self.names = [p.name for p in params]
        self.defaults = {p.name: p.default for p in params if p.default is not p.empty}
        if self.then is not None:
            self.then.bind_to(fn)
        if self.given is None:
            self.lead, self.first = self.kernel.lead, self.kernel.first
            return self
        fast = {e.name: e.fast for e in self.given if e.name is not None}
        # a parameter the kernel is not handed (reduction, size_average: PyTorch's code reads it first, and so does
        # graphgrad's function) takes any value as far as the kernel's parser goes
        self.fast = [fast.get(n) if n in fast else _ANY_KIND for n in self.names]
        self.fast_by_name = dict(zip(self.names, self.fast))
        self.lead = next((i for i, n in enumerate(self.names) if n not in TENSOR_PARAMETERS), len(self.names))
        first = self.fast[self.lead] if self.lead < len(self.names) else None
        self.first = (first if self.then is None else None) or frozenset()  # (two kernels: always the full look)
        return self

    def check(self, args, kwargs):
        """``(args, kwargs)`` with the values PyTorch's parser unpacks (a number from a 0-dim tensor: see
        ops/_parser); PyTorch's error where its code or its kernel refuses an argument's kind."""
        if self.given is None:
            args, kwargs = self.kernel.check(args, kwargs)
        elif not self._fast_ok(args, kwargs):
            values = self._bind(args, kwargs)
            if values is not None and (self.when is None or self.when(values)):
                args, kwargs = self._check_values(values, args, kwargs)
        if self.then is not None:
            args, kwargs = self.then.check(args, kwargs)
        return args, kwargs

    def _check_values(self, values, args, kwargs):
        kernel = self.kernel
        if self.variant is not None and values.get(self.variant[0]):
            kernel = self.variant[1]
        kargs = [e.value(values) for e in self.given if not e.keyword]
        kkw = {e.name: e.value(values) for e in self.given
               if e.keyword and not (e.none_ok and values.get(e.name) is None)}
        err = kernel.error(kargs, kkw)
        if err is not None:
            raise err
        # graphgrad's function gets the values as PyTorch's parser unpacks them
        args, kwargs = list(args), dict(kwargs)
        for e in self.given:
            if e.name is not None and not e.keeps_original:
                i = self.names.index(e.name)
                if i < len(args):
                    args[i] = e.param.unpack(args[i])
                elif e.name in kwargs:
                    kwargs[e.name] = e.param.unpack(kwargs[e.name])
        return tuple(args), kwargs

    def _fast_ok(self, args, kwargs):
        fast = self.fast
        for i in range(self.lead, min(len(args), len(fast))):
            ok = fast[i]
            if ok is None or type(args[i]) not in ok:
                return False
        fast_by_name = self.fast_by_name
        for k, v in kwargs.items():
            ok = fast_by_name.get(k)
            if ok is None or type(v) not in ok:
                return False
        return True

    def _bind(self, args, kwargs):
        if len(args) > len(self.names) or any(k not in self.names for k in kwargs):
            return None
        values = dict(self.defaults)
        values.update(zip(self.names, args))
        values.update(kwargs)
        return values if len(values) == len(self.names) else None  # (a required one missing)


class _Entry:
    """One argument PyTorch's code hands its kernel, for the kernel's parameter ``param`` (see ``Forwarded``)."""

    def __init__(self, text, param):
        self.keyword = "=" in text
        text = text.replace("=", "")
        self.none_ok = text.endswith("?")
        name, _, code = text.rstrip("?").partition(":")
        self.name = None if name == "_" else name
        self.code = PYTHON_CODE[code] if code else None
        self.keeps_original = code in _KEEP_ORIGINAL  # (graphgrad's function runs this code on the original)
        self.param, self.stand_in = param, _STAND_INS.get(param.kind)  # (a value the kernel takes)
        fast = param.fast
        if fast is not None and self.none_ok:
            fast = fast | {type(None)}
        if fast is not None and code in _RESHAPING:
            fast = fast & {int}  # (one int stays an int through these)
        self.fast = fast

    def value(self, values):
        """The argument, from the function's ``values``."""
        if self.name is None:
            return self.stand_in
        v = values.get(self.name)
        if v is None and self.none_ok:
            return self.stand_in
        v = v if self.code is None else self.code(v, values)
        return self.stand_in if v is STAND_IN else v


def _entries(given, kernel):
    params = kernel.signatures[0].params
    positional = iter(p for p in params if not p.keyword_only)
    by_name = {p.name: p for p in params}
    return [_Entry(t, by_name[t.split("=")[0]] if "=" in t else next(positional)) for t in given.split()]


# a value each kind takes, for an argument PyTorch's code computes
_STAND_INS = {"int": 0, "SymInt": 0, "float": 0.0, "Scalar": 0, "bool": False, "str": "", "int[]": [],
              "SymInt[]": [], "float[]": []}


# --- PyTorch's Python code that reads an argument before its kernel does (its errors are PyTorch's own) ---------
def _pair(v, values):
    return pair(v)


def _list_with_default(v, values):
    return list_with_default(v, values["input"].size())


def _dims(v, values):  # torch.norm: one dimension as a list of one
    return [v] if isinstance(v, int) else v


def _norm_p(v, values):  # torch.norm: a string p takes another way (matrix_norm), None is 2
    return STAND_IN if v is None or isinstance(v, str) else v


def _dropout_p(v, values):
    _check_p(v)
    return v


def _hardtanh_range(v, values):
    check_hardtanh_range(v, values["max_val"])
    return v


def _batch_norm_eps(v, values):
    check_batch_norm_eps(values["training"], v)
    return v


def _group_norm_groups(v, values):
    check_group_norm_groups(values["input"], v)
    return v


def _padding_idx(v, values):
    return padding_index(v, values["weight"].size(0))


def _smooth_l1_beta(v, values):  # beta == 0 takes l1_loss instead
    return STAND_IN if v == 0.0 else v


def _lrn_spatial(values):  # local_response_norm pads and pools only a non-empty input of 3 or more dimensions
    return values["input"].dim() >= 3 and values["input"].numel() > 0


def _lrn_pad(v, values):
    if not _lrn_spatial(values):
        return STAND_IN
    return [0, 0] * (values["input"].dim() > 3) + [0, 0, v // 2, (v - 1) // 2]


def _lrn_window(v, values):
    return (v, 1) + (1,) * (values["input"].dim() > 3)


def _triplet_margin(v, values):
    if v <= 0:
        raise ValueError(f"margin must be greater than 0, got {v}")
    return v


STAND_IN = object()  # a conversion's answer: the kernel gets a value it takes (PyTorch's code chose another way)
PYTHON_CODE = {
    "pair": _pair, "list_with_default": _list_with_default, "dims": _dims, "norm_p": _norm_p,
    "dropout_p": _dropout_p, "hardtanh_range": _hardtanh_range, "batch_norm_eps": _batch_norm_eps,
    "group_norm_groups": _group_norm_groups, "lrn_pad": _lrn_pad, "lrn_window": _lrn_window,
    "padding_idx": _padding_idx, "smooth_l1_beta": _smooth_l1_beta, "triplet_margin": _triplet_margin,
}
_RESHAPING = frozenset({"pair", "list_with_default", "dims", "lrn_pad", "lrn_window"})
_KEEP_ORIGINAL = frozenset({"pair", "list_with_default"})  # (a 1-element tensor is no int to these)
_NORM_ARGS = "(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool {}, " \
             "float momentum, float eps, bool cudnn_enabled)"


def _dropout(name):
    return Forwarded([f"{name}(Tensor input, float p, bool train)"], "input p:dropout_p training",
                     variant=("inplace", name + "_"))


def _activation(name, schema, given):
    """A Python function of PyTorch calling ``name`` (or ``name_`` for inplace=True), and the kernel ``name_``."""
    return {name: Forwarded([name + schema], given, variant=("inplace", name + "_")),
            name + "_": Forwarded([name + "_" + schema])}


_SOFTMAX = Forwarded(["softmax(Tensor input, int dim, ScalarType? dtype=None)"], "dim? dtype=?", method=True)
CALLS = {
    **{f"conv{d}d": Forwarded(_conv(f"conv{d}d", d)) for d in (1, 2, 3)},
    **{f"conv_transpose{d}d": Forwarded(_conv_transpose(f"conv_transpose{d}d", d)) for d in (1, 2, 3)},
    "avg_pool1d": Forwarded([_pool("avg_pool1d", 1).replace("bool ceil_mode=False", "bool ceil_mode=False, "
                                                              "bool count_include_pad=True")]),
    "avg_pool2d": Forwarded([_pool("avg_pool2d", 2).replace("bool ceil_mode=False", "bool ceil_mode=False, bool "
                                                              "count_include_pad=True, int? divisor_override=None")]),
    **{f"max_pool{d}d": Forwarded([_pool(f"max_pool{d}d", d, f"int[{d}] dilation=1, ")],
                                  "input kernel_size stride? padding dilation ceil_mode",
                                  variant=("return_indices", f"max_pool{d}d_with_indices")) for d in (1, 2, 3)},
    "avg_pool3d": Forwarded([_pool("avg_pool3d", 3).replace("bool ceil_mode=False", "bool ceil_mode=False, bool "
                                                              "count_include_pad=True, int? divisor_override=None")]),
    "adaptive_avg_pool3d": Forwarded(["adaptive_avg_pool3d(Tensor input, SymInt[3] output_size)"],
                                     "input output_size:list_with_default"),
    "adaptive_max_pool3d": Forwarded(["adaptive_max_pool3d(Tensor input, int[3] output_size)"],
                                     "input output_size:list_with_default"),
    **{f"max_pool{d}d_with_indices": Forwarded([_pool(f"max_pool{d}d_with_indices", d, f"int[{d}] dilation=1, ")],
                                               "input kernel_size stride? padding dilation ceil_mode")
       for d in (1, 2, 3)},
    "adaptive_max_pool1d_with_indices": Forwarded(["adaptive_max_pool1d(Tensor input, int[1] output_size)"],
                                                  "input output_size"),
    **{f"adaptive_max_pool{d}d_with_indices": Forwarded([f"adaptive_max_pool{d}d(Tensor input, int[{d}] output_size)"],
                                                        "input output_size:list_with_default") for d in (2, 3)},
    "channel_shuffle": Forwarded(["channel_shuffle(Tensor input, SymInt groups)"]),
    "native_channel_shuffle": Forwarded(["native_channel_shuffle(Tensor input, SymInt groups)"]),
    "adaptive_avg_pool1d": Forwarded(["adaptive_avg_pool1d(Tensor input, int[1] output_size)"]),
    "adaptive_avg_pool2d": Forwarded(["adaptive_avg_pool2d(Tensor input, SymInt[2] output_size)"],
                                     "input output_size:list_with_default"),
    "adaptive_max_pool1d": Forwarded(["adaptive_max_pool1d(Tensor input, int[1] output_size)"], "input output_size"),
    "adaptive_max_pool2d": Forwarded(["adaptive_max_pool2d(Tensor input, int[2] output_size)"],
                                     "input output_size:list_with_default"),
    "unfold": Forwarded(["im2col(Tensor input, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride)"],
                        "input kernel_size:pair dilation:pair padding:pair stride:pair"),
    "fold": Forwarded(["col2im(Tensor input, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, "
                       "int[2] padding, int[2] stride)"],
                      "input output_size:pair kernel_size:pair dilation:pair padding:pair stride:pair"),
    "pad": Forwarded(['pad(Tensor input, SymInt[] pad, str mode="constant", float? value=None)'],
                     "input pad mode value"),
    "pixel_shuffle": Forwarded(["pixel_shuffle(Tensor input, int upscale_factor)"]),
    "pixel_unshuffle": Forwarded(["pixel_unshuffle(Tensor input, int downscale_factor)"]),
    "one_hot": Forwarded(["one_hot(Tensor input, int num_classes=-1)"]),
    "embedding": Forwarded(["embedding_renorm_(Tensor input, Tensor indices, float max_norm, float norm_type)"],
                           "weight input max_norm norm_type", when=lambda v: v["max_norm"] is not None, then=Forwarded(
                               ["embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, "
                                "bool scale_grad_by_freq=False, bool sparse=False)"],
                               "weight input padding_idx:padding_idx? scale_grad_by_freq sparse")),
    "layer_norm": Forwarded(["layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, "
                             "Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True)"],
                            "input normalized_shape weight bias eps _"),
    "rms_norm": Forwarded(["rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, float? eps=None)"],
                          "input normalized_shape weight eps"),
    "group_norm": Forwarded(["group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, "
                             "float eps=1e-05, bool cudnn_enabled=True)"],
                            "input num_groups:group_norm_groups weight bias eps _"),
    "batch_norm": Forwarded(["batch_norm" + _NORM_ARGS.format("training")],
                            "input weight bias running_mean running_var training momentum eps:batch_norm_eps _"),
    "instance_norm": Forwarded(["instance_norm" + _NORM_ARGS.format("use_input_stats")],
                               "input weight bias running_mean running_var use_input_stats momentum eps _"),
    # (its window: avg_pool2d over 3-D input, avg_pool3d over more)
    "local_response_norm": Forwarded(
        ['pad(Tensor input, SymInt[] pad, str mode="constant", float? value=None)'], "input size:lrn_pad",
        then=Forwarded([_pool("avg_pool2d", 2)], "input size:lrn_window _",
                       when=lambda v: _lrn_spatial(v) and v["input"].dim() == 3,
                       then=Forwarded([_pool("avg_pool3d", 3)], "input size:lrn_window _",
                                      when=lambda v: _lrn_spatial(v) and v["input"].dim() > 3))),
    "normalize": Forwarded(["linalg_vector_norm(Tensor input, Scalar ord=2, int[1]? dim=None, bool keepdim=False, "
                            "*, ScalarType? dtype=None)"], "input p:norm_p dim:dims _", then=Forwarded(
                                ["clamp_min(Tensor input, Tensor min)", "clamp_min(Tensor input, Scalar min)"],
                                "eps", method=True)),
    "dropout": _dropout("dropout"), "alpha_dropout": _dropout("alpha_dropout"),
    "feature_alpha_dropout": _dropout("feature_alpha_dropout"),
    **{f"dropout{d}d": _dropout("feature_dropout") for d in (1, 2, 3)},
    "softmax": _SOFTMAX, "softmin": _SOFTMAX,
    "log_softmax": Forwarded(["log_softmax(Tensor input, int dim, ScalarType? dtype=None)"], "dim? dtype=?",
                             method=True),
    "gumbel_softmax": Forwarded(["softmax(Tensor input, int dim, ScalarType? dtype=None)"], "dim", method=True),
    "glu": Forwarded(["glu(Tensor input, int dim=-1)"], "input dim"),
    **_activation("leaky_relu", "(Tensor input, Scalar negative_slope=0.01)", "input negative_slope"),
    **_activation("elu", "(Tensor input, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)", "input alpha"),
    **_activation("celu", "(Tensor input, Scalar alpha=1.0)", "input alpha"),
    **_activation("hardtanh", "(Tensor input, Scalar min_val=-1, Scalar max_val=1)",
                  "input min_val:hardtanh_range max_val"),
    **_activation("threshold", "(Tensor input, Scalar threshold, Scalar value)", "input threshold value"),
    "softplus": Forwarded(["softplus(Tensor input, Scalar beta=1, Scalar threshold=20)"]),
    "hardshrink": Forwarded(["hardshrink(Tensor input, Scalar lambd=0.5)"]),
    "softshrink": Forwarded(["softshrink(Tensor input, Scalar lambd=0.5)"]),
    "gelu": Forwarded(["gelu(Tensor input, *, str approximate='none')"]),
    "cosine_similarity": Forwarded(["cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08)"]),
    "pairwise_distance": Forwarded(["pairwise_distance(Tensor x1, Tensor x2, float p=2, float eps=1e-06, "
                                    "bool keepdim=False)"]),
    "scaled_dot_product_attention": Forwarded(
        ["scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, "
         "float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False)"]),
    # the losses: PyTorch's code turns ``reduction`` into an int (its own error for a bad one)
    "cross_entropy": Forwarded(["cross_entropy_loss(Tensor input, Tensor target, Tensor? weight=None, "
                                "int reduction=Mean, SymInt ignore_index=-100, float label_smoothing=0.0)"],
                               "input target weight _ ignore_index label_smoothing"),
    "nll_loss": Forwarded(["nll_loss_nd(Tensor input, Tensor target, Tensor? weight=None, int reduction=Mean, "
                           "SymInt ignore_index=-100)"], "input target weight _ ignore_index"),
    "smooth_l1_loss": Forwarded(["smooth_l1_loss(Tensor input, Tensor target, int reduction=Mean, float beta=1.0)"],
                                "input target _ beta:smooth_l1_beta"),
    "huber_loss": Forwarded(["huber_loss(Tensor input, Tensor target, int reduction=Mean, float delta=1.0)"],
                            "input target _ delta"),
    "kl_div": Forwarded(["kl_div(Tensor input, Tensor target, int reduction=Mean, *, bool log_target=False)"],
                        "input target _ log_target="),
    "poisson_nll_loss": Forwarded(["poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, "
                                   "float eps, int reduction)"], "input target log_input full eps _"),
    "triplet_margin_loss": Forwarded(["triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, "
                                      "float margin=1.0, float p=2, float eps=1e-06, bool swap=False, "
                                      "int reduction=Mean)"],
                                     "anchor positive negative margin:triplet_margin p eps swap _"),
    "margin_ranking_loss": Forwarded(["margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, "
                                      "float margin=0.0, int reduction=Mean)"], "input1 input2 target margin _"),
    "multi_margin_loss": Forwarded(["multi_margin_loss(Tensor input, Tensor target, Scalar p=1, Scalar margin=1, "
                                    "Tensor? weight=None, int reduction=Mean)"], "input target p margin weight _"),
    "multilabel_margin_loss": Forwarded(["multilabel_margin_loss(Tensor input, Tensor target, int reduction=Mean)"],
                                        "input target _"),
}


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


def _attribute_reads(name):
    """``ATTRIBUTES``' entries for ``name``: none, one, or one per parameter that reads its own."""
    entry = ATTRIBUTES.get(name)
    return [] if entry is None else entry if isinstance(entry, list) else [entry]


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
        for attr, read_from, when in _attribute_reads(name):
            if (read_from is None or pname in read_from) and (
                    when is None or _set(bound.arguments.get(when.lstrip("!"))) != when.startswith("!")):
                if name in ("softmax", "log_softmax") and bound.arguments.get("dim") is None:
                    attr = "dim"  # the implicit dimension is chosen from input.dim() first
                if name.startswith("lp_pool") and bound.arguments.get("norm_type") in (float("inf"), -float("inf")):
                    attr = "abs"
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
    """``fn``, raising PyTorch's error for an argument of the wrong kind: before the call for the kinds in
    ``CALLS``, once it failed for one that must be a Tensor and is not."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - a callable without a signature
        return fn
    if not any(p in TENSOR_PARAMETERS for p in sig.parameters):
        return fn
    fn, autocast = split_autocast(fn)

    first = name in CHECKED_FIRST
    # (NoKinds: PyTorch checks none of the others, reading ``inplace`` as a truth value)
    kinds = CALLS[name].bind_to(fn) if name in CALLS else NoKinds
    lead, quick = kinds.lead, kinds.first
    lead1 = lead + 1

    @functools.wraps(fn)
    def function(*args, **kwargs):
        if under_autocast is not None and autocast_state.cpu_dtype is not None:
            return under_autocast(*args, **kwargs)  # its casts, then this function again (autocast off inside)
        # nothing past the tensors, or one more argument of an exact type the kernel takes: nothing to look at
        n = len(args)  # (inline, not a call: this is every call's cost)
        if kwargs or (n > lead and (n != lead1 or type(args[lead]) not in quick)):
            args, kwargs = kinds.check(args, kwargs)
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

    under_autocast = autocast(function) if autocast is not None else None
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

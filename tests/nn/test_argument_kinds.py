"""nn.functional given an int, a list of ints, a float, a flag or a string of the wrong kind: PyTorch's error.

Each parameter of each case below is given values of other kinds (tests/_kinds.py), and graphgrad must answer as
PyTorch 2.13 does: its argument parser's TypeError (``avg_pool2d(): argument 'kernel_size' (position 2) must be
tuple of ints, but found element of type list at pos 0``), the error of PyTorch's own Python code where that reads
the argument first (``'<' not supported between instances of 'str' and 'float'`` from dropout's range check), or
the result, where PyTorch takes the value (a NumPy int, a 0-dim tensor for a float).
"""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F

from .._kinds import BO, FIX, FL, FO, IO, IS, ISO, B, Case, I, S, functional, mismatches, params_of, values

CASES = [
    Case("conv1d", functional("conv1d"), lambda L: [L.ones(1, 2, 8), L.ones(4, 2, 3)],
         [("bias", FIX, None), ("stride", IS, 1), ("padding", IS, 0), ("dilation", IS, 1), ("groups", I, 1)]),
    Case("conv2d", functional("conv2d"), lambda L: [L.ones(1, 2, 6, 6), L.ones(4, 2, 3, 3)],
         [("bias", FIX, None), ("stride", IS, 1), ("padding", IS, 1), ("dilation", IS, 1), ("groups", I, 1)]),
    Case("conv3d", functional("conv3d"), lambda L: [L.ones(1, 2, 4, 4, 4), L.ones(2, 2, 2, 2, 2)],
         [("bias", FIX, None), ("stride", IS, 1), ("padding", IS, 0), ("dilation", IS, 1), ("groups", I, 1)]),
    *[Case(f"conv_transpose{d}d", functional(f"conv_transpose{d}d"),
           lambda L, d=d: [L.ones(1, 2, *(3,) * d), L.ones(2, 1, *(2,) * d)],
           [("bias", FIX, None), ("stride", IS, 2), ("padding", IS, 1), ("output_padding", IS, 1), ("groups", I, 1),
            ("dilation", IS, 1)]) for d in (1, 2, 3)],
    Case("avg_pool1d", functional("avg_pool1d"), values(1, 2, 8),
         [("kernel_size", IS, 2), ("stride", ISO, 2), ("padding", IS, 1), ("ceil_mode", B, False),
          ("count_include_pad", B, True)]),
    Case("avg_pool2d", functional("avg_pool2d"), values(1, 2, 6, 6),
         [("kernel_size", IS, 2), ("stride", ISO, 2), ("padding", IS, 1), ("ceil_mode", B, False),
          ("count_include_pad", B, True), ("divisor_override", IO, 3)]),
    *[Case(f"max_pool{d}d{tail}", functional(f"max_pool{d}d"), values(1, 2, *(6,) * d),
           [("kernel_size", IS, 2), ("stride", ISO, 2), ("padding", IS, 1), ("dilation", IS, 1),
            ("ceil_mode", B, False), ("return_indices", FIX if tail else B, bool(tail))])
      for d in (1, 2) for tail in ("", "_with_indices")],
    *[Case(f"adaptive_{kind}_pool{d}d", functional(f"adaptive_{kind}_pool{d}d"), values(1, 2, *(6,) * d),
           [("output_size", IS, 3)] + ([("return_indices", B, False)] if kind == "max" else []))
      for kind in ("avg", "max") for d in (1, 2)],
    # (antialias is left as it is: graphgrad's interpolate does not implement it)
    Case("interpolate_size", functional("interpolate"), values(1, 1, 4, 4),
         [("size", IS, 6), ("scale_factor", FIX, None), ("mode", FIX, "bilinear"), ("align_corners", BO, False),
          ("recompute_scale_factor", FIX, None)]),
    Case("interpolate_scale", functional("interpolate"), values(1, 1, 4, 4),
         [("size", FIX, None), ("scale_factor", FL, 1.5), ("mode", S, "nearest"), ("align_corners", FIX, None),
          ("recompute_scale_factor", BO, True)]),
    Case("interpolate_area", functional("interpolate"), values(1, 1, 4, 4),
         [("size", IS, 2), ("scale_factor", FIX, None), ("mode", FIX, "area")]),
    Case("interpolate_bicubic", functional("interpolate"), values(1, 1, 4, 4),
         [("size", IS, 5), ("scale_factor", FIX, None), ("mode", FIX, "bicubic"), ("align_corners", BO, True)]),
    Case("grid_sample", functional("grid_sample"), lambda L: [L.arange(9.).reshape(1, 1, 3, 3), L.zeros(1, 2, 2, 2)],
         [("mode", FIX, "bilinear"), ("padding_mode", FIX, "zeros"), ("align_corners", BO, False)]),
    Case("affine_grid", functional("affine_grid"), lambda L: [L.eye(2, 3).unsqueeze(0)],
         [("size", IS, (1, 1, 3, 2)), ("align_corners", BO, True)]),
    Case("pad", functional("pad"), values(1, 2, 4), [("pad", IS, (1, 2)), ("mode", S, "constant"), ("value", FO, 1.5)]),
    Case("pad_reflect", functional("pad"), values(1, 2, 4), [("pad", IS, (1, 2)), ("mode", FIX, "reflect")]),
    Case("one_hot", functional("one_hot"), lambda L: [L.tensor([0, 2, 1])], [("num_classes", I, 3)]),
    Case("layer_norm", functional("layer_norm"), values(2, 3, 4),
         [("normalized_shape", IS, (4,)), ("weight", FIX, None), ("bias", FIX, None), ("eps", FL, 1e-5)]),
    Case("rms_norm", functional("rms_norm"), values(2, 3, 4),
         [("normalized_shape", IS, (4,)), ("weight", FIX, None), ("eps", FO, 1e-5)]),
    Case("group_norm", functional("group_norm"), values(2, 4, 3),
         [("num_groups", I, 2), ("weight", FIX, None), ("bias", FIX, None), ("eps", FL, 1e-5)]),
    Case("batch_norm", functional("batch_norm"), lambda L: [L.arange(12.).reshape(2, 3, 2), L.zeros(3), L.ones(3)],
         [("weight", FIX, None), ("bias", FIX, None), ("training", B, True), ("momentum", FL, 0.1),
          ("eps", FL, 1e-5)]),
    Case("instance_norm", functional("instance_norm"), values(2, 3, 4),
         [("running_mean", FIX, None), ("running_var", FIX, None), ("weight", FIX, None), ("bias", FIX, None),
          ("use_input_stats", B, True), ("momentum", FL, 0.1), ("eps", FL, 1e-5)]),
    # (alpha, beta and k reach Tensor.mul, add and pow, whose ``other`` is another family's business)
    Case("local_response_norm", functional("local_response_norm"), values(1, 4, 3), [("size", I, 2)]),
    Case("local_response_norm_4d", functional("local_response_norm"), values(1, 4, 3, 2), [("size", I, 2)]),
    Case("normalize", functional("normalize"), values(2, 3), [("p", FL, 2.0), ("dim", I, 1), ("eps", FL, 1e-12)]),
    Case("unfold", functional("unfold"), values(1, 2, 5, 5),
         [("kernel_size", IS, 2), ("dilation", IS, 1), ("padding", IS, 1), ("stride", IS, 1)]),
    Case("fold", functional("fold"), values(1, 4, 16),
         [("output_size", IS, 5), ("kernel_size", IS, 2), ("dilation", IS, 1), ("padding", IS, 0), ("stride", IS, 1)]),
    Case("pixel_shuffle", functional("pixel_shuffle"), values(1, 4, 2, 2), [("upscale_factor", I, 2)]),
    Case("pixel_unshuffle", functional("pixel_unshuffle"), values(1, 1, 4, 4), [("downscale_factor", I, 2)]),
    Case("embedding", functional("embedding"), lambda L: [L.tensor([0, 2, 1]), L.arange(12.).reshape(4, 3)],
         [("padding_idx", IO, 1), ("max_norm", FO, 5.0), ("norm_type", FL, 2.0), ("scale_grad_by_freq", B, False),
          ("sparse", B, False)]),
    *[Case(name, functional(name), values(2, 3, 4, 4),
           [("p", FL, 0.5), ("training", B, True), ("inplace", B, False)])
      for name in ("dropout", "dropout2d", "alpha_dropout", "feature_alpha_dropout")],
    Case("dropout_inplace", functional("dropout"), values(2, 3), [("p", FL, 0.5), ("training", B, True),
                                                                  ("inplace", FIX, True)]),
    Case("dropout_eval", functional("dropout"), values(2, 3), [("p", FL, 0.5), ("training", FIX, False)]),
    *[Case(name, functional(name), values(2, 3), [("dim", I, 1)]) for name in ("softmax", "log_softmax", "softmin")],
    Case("glu", functional("glu"), values(2, 4), [("dim", I, 1)]),
    Case("gumbel_softmax", functional("gumbel_softmax"), values(2, 3),
         [("tau", FL, 1.0), ("hard", B, False), ("eps", FL, 1e-10), ("dim", I, 1)]),
    Case("cosine_similarity", functional("cosine_similarity"), lambda L: [L.ones(2, 3), L.ones(2, 3)],
         [("dim", I, 1), ("eps", FL, 1e-8)]),
    Case("pairwise_distance", functional("pairwise_distance"), lambda L: [L.ones(2, 3), L.zeros(2, 3)],
         [("p", FL, 2.0), ("eps", FL, 1e-6), ("keepdim", B, False)]),
    Case("leaky_relu", functional("leaky_relu"), values(2, 3), [("negative_slope", FL, 0.1), ("inplace", B, False)]),
    Case("leaky_relu_inplace", functional("leaky_relu"), values(2, 3),
         [("negative_slope", FL, 0.1), ("inplace", FIX, True)]),
    Case("elu", functional("elu"), values(2, 3), [("alpha", FL, 1.0), ("inplace", B, False)]),
    Case("celu", functional("celu"), values(2, 3), [("alpha", FL, 1.0), ("inplace", B, False)]),
    Case("hardtanh", functional("hardtanh"), values(2, 3),
         [("min_val", FL, -0.5), ("max_val", FL, 0.5), ("inplace", B, False)]),
    Case("softplus", functional("softplus"), values(2, 3), [("beta", FL, 1.0), ("threshold", FL, 20.0)]),
    Case("hardshrink", functional("hardshrink"), values(2, 3), [("lambd", FL, 0.5)]),
    Case("softshrink", functional("softshrink"), values(2, 3), [("lambd", FL, 0.5)]),
    Case("threshold", functional("threshold"), values(2, 3),
         [("threshold", FL, 0.1), ("value", FL, 0.0), ("inplace", B, False)]),
    Case("relu", functional("relu"), values(2, 3), [("inplace", B, False)]),
    Case("gelu", functional("gelu"), values(2, 3), [("approximate", S, "tanh")]),
    Case("cross_entropy", functional("cross_entropy"), lambda L: [L.ones(2, 3), L.tensor([0, 2])],
         [("weight", FIX, None), ("size_average", FIX, None), ("ignore_index", I, -100), ("reduce", FIX, None),
          ("reduction", S, "mean"), ("label_smoothing", FL, 0.1)]),
    Case("nll_loss", functional("nll_loss"), lambda L: [L.ones(2, 3), L.tensor([0, 2])],
         [("weight", FIX, None), ("size_average", FIX, None), ("ignore_index", I, -100)]),
    Case("smooth_l1_loss", functional("smooth_l1_loss"), lambda L: [L.ones(2, 3), L.zeros(2, 3)],
         [("size_average", FIX, None), ("reduce", FIX, None), ("reduction", S, "mean"), ("beta", FL, 1.0)]),
    Case("huber_loss", functional("huber_loss"), lambda L: [L.ones(2, 3), L.zeros(2, 3)],
         [("reduction", S, "mean"), ("delta", FL, 1.0)]),
    Case("kl_div", functional("kl_div"), lambda L: [L.ones(2, 3), L.ones(2, 3)],
         [("size_average", FIX, None), ("reduce", FIX, None), ("reduction", S, "mean"), ("log_target", B, False)]),
    Case("poisson_nll_loss", functional("poisson_nll_loss"), lambda L: [L.ones(2, 3), L.ones(2, 3)],
         [("log_input", B, True), ("full", B, False), ("size_average", FIX, None), ("eps", FL, 1e-8)]),
    Case("triplet_margin_loss", functional("triplet_margin_loss"),
         lambda L: [L.ones(2, 3), L.zeros(2, 3), L.ones(2, 3)],
         [("margin", FL, 1.0), ("p", FL, 2.0), ("eps", FL, 1e-6), ("swap", B, False)]),
    Case("margin_ranking_loss", functional("margin_ranking_loss"), lambda L: [L.ones(3), L.zeros(3), L.ones(3)],
         [("margin", FL, 0.5)]),
    Case("scaled_dot_product_attention", functional("scaled_dot_product_attention"),
         lambda L: [L.ones(1, 2, 3), L.ones(1, 2, 3), L.ones(1, 2, 3)],
         [("attn_mask", FIX, None), ("dropout_p", FL, 0.0), ("is_causal", B, False)]),
    Case("scaled_dot_product_attention_scale", functional("scaled_dot_product_attention"),
         lambda L: [L.ones(1, 2, 3), L.ones(1, 2, 3), L.ones(1, 2, 3)], [("scale", FO, 0.5)]),
]


@pytest.mark.parametrize("case,j,skip", params_of(CASES))
def test_a_wrong_kind_gets_pytorchs_answer(case, j, skip, torch_ref):
    found = mismatches(graphgrad, torch_ref, case, j, skip)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("call,expected", [
    (lambda x: F.avg_pool2d(x, kernel_size=[[2]]), "avg_pool2d(): argument 'kernel_size' must be tuple of ints, "
                                                   "not list"),
    (lambda x: F.avg_pool2d(x, [[2]]), "avg_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, "
                                       "but found element of type list at pos 0"),
    (lambda x: F.max_pool2d(x, kernel_size=[2, 2.5]), "max_pool2d(): argument 'kernel_size' failed to unpack the "
                                                      "object at pos 2 with error \"type must be tuple of ints,but got "
                                                      "float\""),
    (lambda x: F.one_hot(graphgrad.tensor([0, 2]), num_classes=[3]), "one_hot(): argument 'num_classes' must be "
                                                                     "int, not list"),
    (lambda x: F.dropout(x, 0.5, "yes", True), "dropout_(): argument 'train' (position 3) must be bool, not str"),
    (lambda x: F.max_pool2d(x, 2, ceil_mode=1, return_indices=True),
     "max_pool2d_with_indices(): argument 'ceil_mode' (position 6) must be bool, not int"),
])
def test_pytorchs_texts(call, expected):
    """PyTorch 2.13's texts, stated: no position for an argument its parser got by keyword (avg_pool2d is the
    kernel itself), a position where PyTorch's Python code passed it on (max_pool2d), and the name of the kernel
    that code chose (``dropout_`` in place, ``max_pool2d_with_indices``)."""
    with pytest.raises(TypeError) as e:
        call(graphgrad.ones(1, 1, 4, 4))
    assert str(e.value) == expected


def test_taken_kinds_reach_the_function_as_numbers():
    """What PyTorch's parser takes it hands on as a number (a 0-dim tensor's value, a NumPy int as an int):
    graphgrad's functions get the same."""
    x = graphgrad.arange(16.).reshape(1, 1, 4, 4)
    assert F.avg_pool2d(x, np.int64(2), stride=[graphgrad.tensor(2)]).tolist() == F.avg_pool2d(x, 2).tolist()
    assert F.dropout(x, graphgrad.tensor(0.0)).tolist() == x.tolist()
    assert F.pad(x, (1, 1), b"constant").shape == (1, 1, 4, 6)

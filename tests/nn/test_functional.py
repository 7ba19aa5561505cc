"""graphgrad.nn.functional against PyTorch: values, every input gradient, grad_fn names, errors.

Each case is one function ``fn(F, *inputs)`` run unchanged on both libraries (their APIs are the same),
with its sample inputs; tests/_parity.py's checks run every case: parity in float32 (rtol 1e-4, atol 1e-5)
and float64, and for the cases marked for it gradcheck in float64 against finite differences, and
gradgradcheck where the derivative is itself differentiable (every primitive of the nn op modules is).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F

from .._parity import Case, ParityChecks

RTOL, ATOL = 1e-4, 1e-5
GRAD_FN = "name"  # every output's grad_fn is named as PyTorch names it


def _r(*shape, seed=0, lo=None, hi=None):
    rng = np.random.default_rng(abs(hash((shape, seed))) % 2**32)
    if lo is not None:
        return rng.uniform(lo, hi, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def _i(hi, *shape, seed=0):
    return np.random.default_rng(seed).integers(0, hi, shape).astype(np.int64)


def _away_from(x, points, gap=0.05):
    """x nudged away from the kinks of a piecewise function (finite differences and ties stay clean)."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + gap * np.where(x[near] >= p, 1, -1) * 2
    return x


def _distinct(*shape, seed=0):
    """Values with no ties (max pooling's argmax is then the same in both libraries)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) / n * 4 - 2).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# the cases
X4 = _r(2, 4, 7, 6)
CASES = []


def case(name, fn, inputs, no_grad=(), gc=False, ggc=False, node=None, known=None, namespace="nn.functional",
         grads=True):
    """A case of ``fn(F, *inputs)``; ``gc``/``ggc``: gradcheck / gradgradcheck it in float64 (and compare it with
    PyTorch in float64: these cases' inputs are small); ``known``: parity bugs not fixed yet (see ``Case.known``);
    ``namespace=""``: ``fn`` takes the library module instead of F; ``grads=False``: PyTorch has no derivative."""
    CASES.append(Case(name, fn, inputs=inputs, no_grad=no_grad, namespace=namespace, grad_fn=GRAD_FN,
                      node=node, gradcheck=gc, gradgradcheck=ggc, float64=gc or ggc, known=known or {}, grads=grads))


def _window_idx(out_shape, k, sizes=None, seed=0):
    """max_unpool's indices: the flat index of one element of each window (kernel = stride = k) of an input
    of spatial ``sizes`` (default: the windows' span; positions past it taken back to its edge), drawn at random."""
    rng = np.random.default_rng(seed)
    spatial = out_shape[-len(sizes or out_shape[2:]):] if sizes else out_shape[2:]
    sizes = sizes or tuple(o * k for o in spatial)
    flat = 0
    for i, (o, n) in enumerate(zip(spatial, sizes)):
        at = [1] * len(out_shape)
        at[len(out_shape) - len(spatial) + i] = -1
        flat = flat * n + np.minimum(np.arange(o).reshape(at) * k + rng.integers(0, k, out_shape), n - 1)
    return flat.astype(np.int64)


def _bad_idx(shape, nd, value):
    """Valid max_unpool indices (kernel 2, ``nd`` spatial axes) but one, which is ``value``."""
    idx = _window_idx(shape, 2, tuple(2 * o for o in shape[-nd:]))
    idx.reshape(-1)[-2] = value
    return idx


def _penalty(T, y, x):
    """The gradient of ``(y * y).sum()`` in ``x``, itself differentiable: a gradient penalty's first step."""
    return T.autograd.grad((y * y).sum(), x, create_graph=True)[0]


def _graph_differs(torch_records):
    """A known difference in the recorded graph: PyTorch records ``torch_records`` where graphgrad composes."""
    return {"grad_fn": f"PyTorch records {torch_records}"}


# PyTorch's embedding_dense_double_backward gathers without scale_grad_by_freq's 1/count, and graphgrad follows
# it; the derivative of that gather is then not the numerical one for repeated indices
EMBEDDING_FREQ_DOUBLE_BACKWARD = {"gradgradcheck": "PyTorch's double backward omits the 1/count of "
                                                   "scale_grad_by_freq, so it isn't the true derivative"}

# linear / bilinear
case("linear_2d_bias", lambda F, x, w, b: F.linear(x, w, b), [_r(5, 3), _r(4, 3), _r(4)], gc=True, ggc=True,
     node="AddmmBackward0")
case("linear_2d", lambda F, x, w: F.linear(x, w), [_r(5, 3), _r(4, 3)], node="MmBackward0")
case("linear_3d_bias", lambda F, x, w, b: F.linear(x, w, b), [_r(2, 5, 3), _r(4, 3), _r(4)], node="ViewBackward0")
case("linear_1d", lambda F, x, w, b: F.linear(x, w, b), [_r(3), _r(4, 3), _r(4)])
case("bilinear", lambda F, a, b, w, c: F.bilinear(a, b, w, c), [_r(3, 4), _r(3, 5), _r(2, 4, 5), _r(2)], gc=True,
     ggc=True)

# convolution
for st, pd, dl, g, bias in [(1, 0, 1, 1, True), (2, 1, 1, 1, False), ((2, 1), (1, 2), (1, 2), 2, True),
                            (1, "same", 1, 1, True), (1, "valid", 2, 4, False), (3, 2, 1, 1, True)]:
    w = _r(8, 4 // g, 3, 2)
    case(f"conv2d_s{st}_p{pd}_d{dl}_g{g}_b{bias}",
         lambda F, x, w, *b, _a=(st, pd, dl, g): F.conv2d(x, w, b[0] if b else None, *_a),
         [X4, w] + ([_r(8)] if bias else []), node="ConvolutionBackward0")
# a frozen weight: the forward keeps no im2col matrix for a weight gradient (another op variant)
case("conv2d_frozen_weight", lambda F, x, w: F.conv2d(x, w, padding=1), [X4, _r(3, 4, 3, 3)], no_grad=(1,),
     node="ConvolutionBackward0")
case("conv2d_frozen_weight_gc", lambda F, x, w: F.conv2d(x, w, padding=1), [_r(1, 2, 3, 3), _r(2, 2, 2, 2)],
     no_grad=(1,), gc=True, ggc=True)
case("conv2d_frozen_weight_bias_gc", lambda F, x, w, b: F.conv2d(x, w, b), [_r(1, 2, 3, 3), _r(2, 2, 2, 2), _r(2)],
     no_grad=(1,), gc=True, ggc=True)
case("conv2d_same_even_kernel", lambda F, x, w: F.conv2d(x, w, padding="same", dilation=(1, 3)), [X4, _r(3, 4, 2, 2)])
case("conv2d_unbatched", lambda F, x, w, b: F.conv2d(x, w, b, padding=1), [_r(4, 5, 5), _r(3, 4, 3, 3), _r(3)])
case("conv2d_gc", lambda F, x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
     [_r(1, 2, 5, 5), _r(3, 2, 3, 2), _r(3)], gc=True, ggc=True)
case("conv2d_groups_gc", lambda F, x, w: F.conv2d(x, w, stride=2, padding="valid", groups=2),
     [_r(1, 4, 5, 4), _r(4, 2, 2, 2)], gc=True, ggc=True)
case("conv1d", lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
     [_r(2, 4, 11), _r(5, 4, 3), _r(5)], node="ConvolutionBackward0")
case("conv1d_same_groups", lambda F, x, w: F.conv1d(x, w, padding="same", groups=2), [_r(2, 4, 9), _r(6, 2, 4)])
case("conv1d_gc", lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [_r(2, 2, 7), _r(3, 2, 3), _r(3)],
     gc=True, ggc=True)
for st, pd, op, dl, g in [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), ((2, 3), (0, 1), (1, 2), 1, 2), (2, 1, 0, 2, 1)]:
    case(f"conv_transpose2d_s{st}_p{pd}_op{op}_d{dl}_g{g}",
         lambda F, x, w, b, _a=(st, pd, op, g, dl): F.conv_transpose2d(x, w, b, *_a),
         [_r(2, 4, 5, 4), _r(4, 6 // g, 3, 2), _r(6)], node="ConvolutionBackward0")
case("conv_transpose2d_gc", lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     [_r(1, 2, 3, 3), _r(2, 2, 3, 3), _r(2)], gc=True, ggc=True)
case("conv_transpose2d_dilated_output_padding",
     lambda F, x, w, b: F.conv_transpose2d(x, w, b, 1, (0, 2), (1, 2), 2, (2, 3)),
     [_r(2, 4, 5, 6), _r(4, 3, 3, 2), _r(6)])
case("conv_transpose2d_output_padding_gc", lambda F, x, w: F.conv_transpose2d(x, w, dilation=2, output_padding=1),
     [_r(1, 2, 3, 3), _r(2, 2, 2, 2)], gc=True, ggc=True)
case("conv_transpose1d", lambda F, x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
     [_r(2, 3, 6), _r(3, 2, 4), _r(2)], gc=False)
# 3-D convolutions: PyTorch records one ConvolutionBackward0; graphgrad adds the bias, or transposes grouped
# results, after its convolution node
CONV3D_BIAS_ADDED = _graph_differs("ConvolutionBackward0 (graphgrad: AddBackward0)")
CONV3D_GROUPS_TRANSPOSED = _graph_differs("ConvolutionBackward0 (graphgrad: TransposeBackward0)")
case("conv3d", lambda F, x, w, b: F.conv3d(x, w, b), [_r(2, 3, 5, 6, 7), _r(4, 3, 2, 3, 2), _r(4)],
     known=CONV3D_BIAS_ADDED)
case("conv3d_stride_pad_dilation",
     lambda F, x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 2, 0), dilation=(2, 1, 1)),
     [_r(2, 3, 7, 6, 7), _r(4, 3, 2, 3, 2), _r(4)], known=CONV3D_BIAS_ADDED)
case("conv3d_groups_same", lambda F, x, w: F.conv3d(x, w, groups=2, padding="same"),
     [_r(2, 4, 5, 6, 7), _r(6, 2, 3, 2, 3)], known=CONV3D_GROUPS_TRANSPOSED)
case("conv3d_valid_unbatched", lambda F, x, w: F.conv3d(x, w, padding="valid"), [_r(4, 5, 6, 7), _r(6, 4, 3, 2, 3)])
case("conv3d_gc", lambda F, x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 2, 0), dilation=(2, 1, 1)),
     [_r(1, 2, 5, 3, 4), _r(2, 2, 2, 2, 2), _r(2)], gc=True, ggc=True, known=CONV3D_BIAS_ADDED)
case("conv_transpose3d", lambda F, x, w, b: F.conv_transpose3d(x, w, b), [_r(2, 3, 4, 5, 3), _r(3, 4, 2, 3, 2), _r(4)],
     known=CONV3D_BIAS_ADDED)
case("conv_transpose3d_all_options",
     lambda F, x, w, b: F.conv_transpose3d(x, w, b, stride=(2, 3, 1), padding=(1, 0, 1), output_padding=(1, 2, 0),
                                           dilation=(2, 1, 2)),
     [_r(2, 3, 4, 5, 3), _r(3, 4, 3, 3, 2), _r(4)], known=CONV3D_BIAS_ADDED)
case("conv_transpose3d_groups", lambda F, x, w: F.conv_transpose3d(x, w, groups=3, stride=2),
     [_r(2, 3, 4, 5, 3), _r(3, 2, 3, 3, 2)], known=CONV3D_GROUPS_TRANSPOSED)
case("conv_transpose3d_unbatched", lambda F, x, w: F.conv_transpose3d(x, w), [_r(3, 4, 5, 3), _r(3, 2, 3, 3, 2)])
case("conv_transpose3d_gc",
     lambda F, x, w, b: F.conv_transpose3d(x, w, b, stride=(2, 3, 1), padding=(1, 0, 1), output_padding=(1, 2, 0),
                                           dilation=(2, 1, 2)),
     [_r(1, 3, 2, 3, 2), _r(3, 2, 3, 2, 2), _r(2)], gc=True, ggc=True, known=CONV3D_BIAS_ADDED)

# pooling
XP = _distinct(2, 3, 9, 8)
for k, s, p, d, cm in [(2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), ((2, 3), (1, 2), (1, 1), (2, 1),
                                                                                     False), (3, 3, 1, 1, True)]:
    case(f"max_pool2d_k{k}_s{s}_p{p}_d{d}_c{cm}",
         lambda F, x, _a=(k, s, p, d, cm): F.max_pool2d(x, *_a), [XP],
         node="MaxPool2DWithIndicesBackward0")
case("max_pool2d_indices", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), [XP])
case("max_pool2d_unbatched", lambda F, x: F.max_pool2d(x, 2), [_distinct(3, 6, 5)],
     node="MaxPool2DWithIndicesBackward0")
case("max_pool2d_unbatched_indices", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), [_distinct(2, 5, 6)])
# (unbatched, through the gradient penalty: the derivative's derivatives take unbatched planes too)
case("max_pool2d_unbatched_grad_penalty", lambda T, x: _penalty(T, T.nn.functional.max_pool2d(x, 2), x),
     [_distinct(1, 4, 4)], namespace="", gc=True, ggc=True)
case("avg_pool2d_unbatched_gc", lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [_r(2, 5, 4)],
     gc=True, ggc=True, node="AvgPool2DBackward0")
case("max_pool2d_ties_after_relu", lambda F, x: F.max_pool2d(F.relu(x), 2, 1), [np.floor(_r(2, 2, 6, 6))])
# the derivative of max pooling's derivative: a gradient penalty, differentiated twice more
case("max_pool2d_grad_penalty", lambda T, x: _penalty(T, T.nn.functional.max_pool2d(x, 2), x), [_distinct(1, 1, 4, 4)],
     namespace="", gc=True, ggc=True)
case("max_pool2d_gc", lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [_distinct(1, 2, 6, 5)], gc=True,
     ggc=True)
case("max_pool1d", lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), [_distinct(2, 3, 10)])
case("max_pool1d_gc", lambda F, x: F.max_pool1d(x, 2, ceil_mode=True), [_distinct(2, 2, 7)], gc=True)
for k, s, p, cm, cip, dov in [(2, None, 0, False, True, None), (3, 2, 1, False, True, None),
                              (3, 2, 1, True, False, None), ((3, 2), (2, 1), (1, 0), True, True, None),
                              (3, 2, 1, False, True, 5)]:
    case(f"avg_pool2d_k{k}_s{s}_p{p}_c{cm}_i{cip}_d{dov}",
         lambda F, x, _a=(k, s, p, cm, cip, dov): F.avg_pool2d(x, *_a), [_r(2, 3, 9, 8)],
         node="AvgPool2DBackward0")
case("avg_pool2d_gc", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     [_r(1, 2, 6, 5)], gc=True, ggc=True)
case("avg_pool1d", lambda F, x: F.avg_pool1d(x, 3, 2, 1), [_r(2, 3, 10)])
for o in [(3, 4), 1, (None, 2), 5]:
    case(f"adaptive_avg_pool2d_{o}", lambda F, x, _o=o: F.adaptive_avg_pool2d(x, _o), [_r(2, 3, 7, 6)],
         node="MeanBackward1" if o == 1 else "AdaptiveAvgPool2DBackward0")
case("adaptive_avg_pool2d_gc", lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), [_r(1, 2, 5, 4)], gc=True, ggc=True)
case("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 4), [_r(2, 3, 10)])
case("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (3, 4), return_indices=True), [_distinct(2, 3, 7, 9)],
     node="AdaptiveMaxPool2DBackward0")
case("adaptive_max_pool2d_unbatched_gc", lambda F, x: F.adaptive_max_pool2d(x, (3, 4)), [_distinct(2, 5, 7)], gc=True,
     ggc=True, node="AdaptiveMaxPool2DBackward0")  # (overlapping windows: a maximum may be in two)
case("adaptive_max_pool1d", lambda F, x: F.adaptive_max_pool1d(x, 3), [_distinct(2, 3, 8)])
# 3-D pooling: odd sizes, stride, padding, dilation, ceil_mode, unbatched input
XP3 = _distinct(2, 2, 5, 6, 7)
for k, s, p, d, cm in [(2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True),
                       ((2, 3, 2), (1, 2, 3), (1, 1, 0), (2, 1, 2), False), ((1, 2, 3), 2, (0, 1, 1), 1, True)]:
    case(f"max_pool3d_k{k}_s{s}_p{p}_d{d}_c{cm}", lambda F, x, _a=(k, s, p, d, cm): F.max_pool3d(x, *_a), [XP3],
         node="MaxPool3DWithIndicesBackward0")
case("max_pool3d_indices", lambda F, x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True, return_indices=True), [XP3])
case("max_pool3d_dilated_indices", lambda F, x: F.max_pool3d(x, 2, 2, 1, dilation=2, return_indices=True), [XP3])
case("max_pool3d_unbatched_indices", lambda F, x: F.max_pool3d(x, 2, 1, return_indices=True), [_distinct(2, 3, 4, 5)],
     node="MaxPool3DWithIndicesBackward0")
case("max_pool3d_gc", lambda F, x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True), [_distinct(1, 2, 4, 5, 3)], gc=True,
     ggc=True)
case("max_pool3d_grad_penalty", lambda T, x: _penalty(T, T.nn.functional.max_pool3d(x, 2, 1), x),
     [_distinct(1, 1, 3, 3, 4)], namespace="", gc=True, ggc=True)
case("max_pool3d_ties_after_relu", lambda F, x: F.max_pool3d(F.relu(x), 2, 1), [np.floor(_r(1, 2, 4, 4, 5))])
for k, s, p, cm, cip, dov in [(2, None, 0, False, True, None), (3, 2, 1, False, True, None),
                              (3, 2, 1, True, False, None), ((3, 2, 1), (2, 1, 2), (1, 0, 0), True, True, None),
                              (3, 2, 1, False, True, 5)]:
    case(f"avg_pool3d_k{k}_s{s}_p{p}_c{cm}_i{cip}_d{dov}",
         lambda F, x, _a=(k, s, p, cm, cip, dov): F.avg_pool3d(x, *_a), [_r(2, 2, 5, 6, 7)],
         node="AvgPool3DBackward0")
case("avg_pool3d_unbatched_gc", lambda F, x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     [_r(2, 4, 5, 3)], gc=True, ggc=True, node="AvgPool3DBackward0")
for o in [(2, 3, 4), 1, (None, 2, 3), 3]:
    case(f"adaptive_avg_pool3d_{o}", lambda F, x, _o=o: F.adaptive_avg_pool3d(x, _o), [_r(2, 2, 5, 7, 6)],
         node="MeanBackward1" if o == 1 else "AdaptiveAvgPool3DBackward0")
case("adaptive_avg_pool3d_unbatched_gc", lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)), [_r(2, 3, 5, 4)], gc=True,
     ggc=True)
case("adaptive_max_pool3d", lambda F, x: F.adaptive_max_pool3d(x, (2, 3, 4), return_indices=True),
     [_distinct(2, 2, 5, 7, 9)], node="AdaptiveMaxPool3DBackward0")
case("adaptive_max_pool3d_unbatched_gc", lambda F, x: F.adaptive_max_pool3d(x, (2, 3, 2)), [_distinct(2, 3, 5, 3)],
     gc=True, ggc=True, node="AdaptiveMaxPool3DBackward0")  # (overlapping windows)
# the *_with_indices names PyTorch publishes (the indices whatever return_indices says)
for nd, shape in [(1, (2, 3, 9)), (2, (2, 3, 7, 6)), (3, (2, 2, 5, 4, 5))]:
    case(f"max_pool{nd}d_with_indices", lambda F, x, _n=nd: getattr(F, f"max_pool{_n}d_with_indices")(x, 3, 2, 1),
         [_distinct(*shape)])
    case(f"adaptive_max_pool{nd}d_with_indices",
         lambda F, x, _n=nd: getattr(F, f"adaptive_max_pool{_n}d_with_indices")(x, 3), [_distinct(*shape)])
# power-average pooling, composed as PyTorch composes it (positive inputs: x ** 1.5)
XL = _r(2, 3, 5, 6, 7, lo=0.2, hi=2.0)
for nd in (1, 2, 3):
    x_nd = XL[(0,) * (3 - nd)] if nd < 3 else XL
    for p, k, s, cm in [(2, 2, None, False), (1.5, 3, 2, True), (float("inf"), 2, 1, False),
                        (-float("inf"), 2, None, True)]:
        case(f"lp_pool{nd}d_p{p}_k{k}_s{s}_c{cm}",
             lambda F, x, _n=nd, _a=(p, k, s, cm): getattr(F, f"lp_pool{_n}d")(x, *_a), [x_nd])
case("lp_pool2d_gc", lambda F, x: F.lp_pool2d(x, 3, (2, 3), 1), [_r(1, 2, 4, 5, lo=0.2, hi=2.0)], gc=True, ggc=True)
case("lp_pool3d_unbatched_gc", lambda F, x: F.lp_pool3d(x, 2, 2, ceil_mode=True), [_r(2, 3, 3, 5, lo=0.2, hi=2.0)],
     gc=True, ggc=True)
# max unpooling: indices of one element per window, an output_size within a stride of the default
case("max_unpool1d", lambda F, x, i: F.max_unpool1d(x, i, 2), [_r(2, 3, 4), _window_idx((2, 3, 4), 2)],
     node="SqueezeBackward1")
case("max_unpool1d_output_size", lambda F, x, i: F.max_unpool1d(x, i, 3, output_size=[10]),
     [_r(2, 3, 3), _window_idx((2, 3, 3), 3, (10,))], gc=True, ggc=True)
case("max_unpool2d", lambda F, x, i: F.max_unpool2d(x, i, 2), [_r(2, 3, 3, 4), _window_idx((2, 3, 3, 4), 2)],
     node="MaxUnpool2DBackward0")
case("max_unpool2d_padded_output_size", lambda F, x, i: F.max_unpool2d(x, i, 3, 2, 1, output_size=(2, 3, 5, 7)),
     [_r(2, 3, 3, 4), _window_idx((2, 3, 3, 4), 2, (5, 7))], node="MaxUnpool2DBackward0", gc=True, ggc=True)
case("max_unpool2d_unbatched", lambda F, x, i: F.max_unpool2d(x, i, (2, 3)), [_r(3, 2, 3), _window_idx((3, 2, 3), 2)])
case("max_unpool3d", lambda F, x, i: F.max_unpool3d(x, i, 2), [_r(2, 2, 2, 3, 2), _window_idx((2, 2, 2, 3, 2), 2)],
     node="MaxUnpool3DBackward0", gc=True, ggc=True)
case("max_unpool3d_unbatched_output_size", lambda F, x, i: F.max_unpool3d(x, i, 2, output_size=(5, 6, 5)),
     [_r(2, 2, 3, 2), _window_idx((2, 2, 3, 2), 2, (5, 6, 5))], node="MaxUnpool3DBackward0")
case("max_unpool2d_of_max_pool2d", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                              output_size=x.shape), [_distinct(2, 3, 5, 7)])
# fractional max pooling, its windows from given samples (a seeded draw: test_fractional_max_pool_draws_like_torch);
# the samples come as integers, made floats of x's dtype in the call (so special-value runs leave them be)
_U = np.random.default_rng(3).integers(0, 1000, (2, 3, 3))


def _frac(pool, x, u, *args, **kwargs):
    # (an array x, from the tests of wrong arguments, takes the samples as they are: PyTorch refuses x first)
    samples = u / 1000 if isinstance(x, np.ndarray) else (u / 1000).to(x.dtype)
    return pool(x, *args, _random_samples=samples, **kwargs)


case("fractional_max_pool2d", lambda F, x, u: _frac(F.fractional_max_pool2d, x, u, 2, (4, 5), return_indices=True),
     [_distinct(2, 3, 9, 11), _U[:, :, :2]], node="FractionalMaxPool2DBackward0")
case("fractional_max_pool2d_unbatched_gc", lambda F, x, u: _frac(F.fractional_max_pool2d, x, u, (2, 3), (3, 3)),
     [_distinct(2, 7, 6), _U[:1, :2, :2]], gc=True, ggc=True, node="FractionalMaxPool2DBackward0")
case("fractional_max_pool2d_with_indices_ratio",
     lambda F, x, u: _frac(F.fractional_max_pool2d_with_indices, x, u, 3, output_ratio=(0.5, 0.7)),
     [_distinct(2, 3, 10, 9), _U[:, :, :2]])
case("fractional_max_pool3d", lambda F, x, u: _frac(F.fractional_max_pool3d, x, u, 2, (3, 4, 2), return_indices=True),
     [_distinct(2, 3, 6, 7, 5), _U], node="FractionalMaxPool3DBackward0")
case("fractional_max_pool3d_gc", lambda F, x, u: _frac(F.fractional_max_pool3d, x, u, (2, 1, 2), (2, 3, 2)),
     [_distinct(1, 2, 4, 4, 5), _U[:1, :2]], gc=True, ggc=True, node="FractionalMaxPool3DBackward0")
case("fractional_max_pool3d_with_indices_unbatched",
     lambda F, x, u: _frac(F.fractional_max_pool3d_with_indices, x, u, 2, output_ratio=0.5),
     [_distinct(3, 6, 8, 7), _U[:1]])
# channel shuffle
case("channel_shuffle", lambda F, x: F.channel_shuffle(x, 3), [_r(2, 6, 3, 4)], node="ChannelShuffleBackward0")
case("channel_shuffle_3d_gc", lambda F, x: F.channel_shuffle(x, 2), [_r(2, 6, 5)], gc=True, ggc=True)
case("native_channel_shuffle", lambda F, x: F.native_channel_shuffle(x, 2), [_r(2, 4, 3)], grads=False)

# normalisation
case("batch_norm_train", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True), [X4, _r(4), _r(4)],
     gc=False, node="NativeBatchNormBackward0")
case("batch_norm_eval", lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3),
     [X4, _r(4), _r(4), _r(4), _r(4, lo=0.5, hi=2)], no_grad=(3, 4), node="NativeBatchNormBackward0")
case("batch_norm_2d_noaffine", lambda F, x: F.batch_norm(x, None, None, training=True), [_r(6, 3)])
case("batch_norm_noaffine_gc", lambda F, x: F.batch_norm(x, None, None, training=True), [_r(4, 2)], gc=True, ggc=True)
case("batch_norm_gc", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     [_r(3, 2, 2, 2), _r(2), _r(2)], gc=True, ggc=True)
case("batch_norm_eval_gc", lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b),
     [_r(3, 2, 2), _r(2), _r(2), _r(2), _r(2, lo=0.5, hi=2)], no_grad=(3, 4), gc=True, ggc=True)
case("layer_norm", lambda F, x, w, b: F.layer_norm(x, (7, 6), w, b), [X4, _r(7, 6), _r(7, 6)],
     node="NativeLayerNormBackward0")
case("layer_norm_noaffine", lambda F, x: F.layer_norm(x, (6,), eps=1e-3), [X4])
case("layer_norm_noaffine_gc", lambda F, x: F.layer_norm(x, (3,)), [_r(2, 3)], gc=True, ggc=True)
case("layer_norm_gc", lambda F, x, w, b: F.layer_norm(x, (3,), w, b), [_r(2, 2, 3), _r(3), _r(3)], gc=True, ggc=True)
case("group_norm", lambda F, x, w, b: F.group_norm(x, 2, w, b), [X4, _r(4), _r(4)], node="NativeGroupNormBackward0")
case("group_norm_3d", lambda F, x: F.group_norm(x, 3, eps=1e-2), [_r(2, 6, 5)], gc=True, ggc=True)
case("group_norm_gc", lambda F, x, w, b: F.group_norm(x, 2, w, b), [_r(2, 4, 3), _r(4), _r(4)], gc=True, ggc=True)
# a weight and no bias: the norm ops' two-argument variants
case("batch_norm_weight_only", lambda F, x, w: F.batch_norm(x, None, None, w, training=True), [_r(5, 3), _r(3)],
     gc=True, ggc=True)
case("layer_norm_weight_only", lambda F, x, w: F.layer_norm(x, (3,), w), [_r(2, 2, 3), _r(3)], gc=True, ggc=True)
case("layer_norm_bias_only", lambda F, x, b: F.layer_norm(x, (3,), None, b), [_r(2, 2, 3), _r(3)], gc=True, ggc=True)
case("group_norm_weight_only", lambda F, x, w: F.group_norm(x, 2, w), [_r(2, 4, 3), _r(4)], gc=True, ggc=True)
case("batch_norm_bias_only", lambda F, x, b: F.batch_norm(x, None, None, None, b, training=True), [_r(5, 3), _r(3)],
     gc=True, ggc=True)
case("normalize", lambda F, x: F.normalize(x), [_r(4, 5)])
case("normalize_p1_dim0", lambda F, x: F.normalize(x, p=1, dim=0), [_r(4, 5)], gc=True, ggc=True)

# embedding, one_hot, pad, pixel shuffle, interpolate
case("embedding", lambda F, i, w: F.embedding(i, w), [_i(6, 3, 4), _r(6, 5)], node="EmbeddingBackward0")
case("embedding_padding_idx", lambda F, i, w: F.embedding(i, w, padding_idx=2), [np.array([[0, 2, 2, 5], [1, 2, 0, 0]]),
                                                                                    _r(6, 5)])
case("embedding_neg_padding_scale_freq", lambda F, i, w: F.embedding(i, w, padding_idx=-1, scale_grad_by_freq=True),
     [np.array([0, 5, 3, 3, 3, 1]), _r(6, 5)])
case("embedding_gc", lambda F, i, w: F.embedding(i, w), [np.array([[0, 1], [3, 0]]), _r(4, 3)], gc=True, ggc=True)
# (padding_idx deliberately zeroes a true derivative, as in PyTorch: only its backward is gradchecked)
case("embedding_grad_penalty",
     lambda T, i, w: _penalty(T, T.nn.functional.embedding(i, w, scale_grad_by_freq=True), w),
     [np.array([[0, 1], [3, 0]]), _r(4, 3)], namespace="", gc=True, ggc=True,
     known=EMBEDDING_FREQ_DOUBLE_BACKWARD)
# (only padding_idx repeats: with a repeated lookup PyTorch's double backward isn't the true derivative, see above)
case("embedding_padding_ggc", lambda F, i, w: F.embedding(i, w, padding_idx=1, scale_grad_by_freq=True),
     [np.array([[0, 1], [3, 1]]), _r(4, 3)], ggc=True)
# embedding_bag: bags from offsets (an empty one included) or the rows of a 2D input; padding_idx leaves a bag
_BAG_INDICES, _BAG_OFFSETS = np.array([1, 2, 4, 5, 4, 3, 2, 0]), np.array([0, 4, 4])
case("embedding_bag_mean", lambda F, i, w, o: F.embedding_bag(i, w, o), [_BAG_INDICES, _r(6, 5), _BAG_OFFSETS],
     node="EmbeddingBagBackward0", gc=True, ggc=True)
case("embedding_bag_sum_weighted_padding",
     lambda F, i, w, o, p: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p, padding_idx=2),
     [_BAG_INDICES, _r(6, 5), _BAG_OFFSETS, _r(8)], gc=True, ggc=True)
case("embedding_bag_max_2d", lambda F, i, w: F.embedding_bag(i, w, mode="max", padding_idx=3),
     [np.array([[0, 2, 1], [3, 3, 5], [4, 4, 0]]), _distinct(6, 4)], gc=True, ggc=True)
# (not with scale_grad_by_freq: PyTorch's CPU kernel then scales some rows by another row's count, e.g. the
# weight gradient of embedding_bag([2, 0, 0], offsets [0], mode="sum") is [1, 0, 0.5, 0]; graphgrad's is all 1)
case("embedding_bag_last_offset", lambda F, i, w, o: F.embedding_bag(i, w, o, include_last_offset=True),
     [np.array([1, 1, 3, 0, 1, 2]), _r(4, 3), np.array([0, 2, 6])], gc=True)
for mode in ["constant", "reflect", "replicate", "circular"]:
    case(f"pad2d_{mode}", (lambda m: lambda F, x: F.pad(x, (1, 2, 2, 1), mode=m))(mode), [_r(2, 3, 4, 5)])
    case(f"pad1d_{mode}", (lambda m: lambda F, x: F.pad(x, (2, 1), mode=m))(mode), [_r(2, 3, 4)])
    case(f"pad_{mode}_gc", (lambda m: lambda F, x: F.pad(x, (1, 2, 2, 0), mode=m))(mode), [_r(1, 1, 3, 3)], gc=True,
         ggc=True)
case("pad3d_reflect", lambda F, x: F.pad(x, (1, 1, 0, 2, 1, 0), mode="reflect"), [_r(1, 2, 3, 4, 3)])
case("pad3d_reflect_gc", lambda F, x: F.pad(x, (1, 1, 1, 0, 1, 0), mode="reflect"), [_r(1, 1, 2, 2, 3)],
     gc=True, ggc=True)
for mode in ["reflect", "replicate"]:
    case(f"pad1d_{mode}_gc", (lambda m: lambda F, x: F.pad(x, (2, 1), mode=m))(mode), [_r(1, 1, 3)], gc=True,
         ggc=True)
case("pad3d_replicate", lambda F, x: F.pad(x, (1, 0, 2, 1, 0, 1), mode="replicate"), [_r(1, 2, 2, 3, 2)],
     gc=True, ggc=True)
case("pad_constant_value_negative", lambda F, x: F.pad(x, (-1, 2, 1, -2, 1, 1), value=3.5), [_r(2, 3, 4, 5)],
     node="ConstantPadNdBackward0")
case("pixel_shuffle", lambda F, x: F.pixel_shuffle(x, 2), [_r(2, 8, 3, 4)], gc=True, ggc=True,
     node="PixelShuffleBackward0")
case("pixel_unshuffle", lambda F, x: F.pixel_unshuffle(x, 2), [_r(1, 3, 4, 6)], node="PixelUnshuffleBackward0")
case("pixel_unshuffle_gc", lambda F, x: F.pixel_unshuffle(x, 2), [_r(1, 1, 2, 4)], gc=True, ggc=True)
for kw in [dict(scale_factor=2), dict(size=(5, 7)), dict(scale_factor=(1.5, 0.7)), dict(size=(9, 4), mode="bilinear"),
           dict(scale_factor=2, mode="bilinear", align_corners=True), dict(scale_factor=1.7, mode="bilinear"),
           dict(size=(3, 5), mode="bilinear"), dict(size=(6, 9), mode="nearest-exact"), dict(size=(3, 2), mode="area"),
           dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True)]:
    case(f"interpolate_{kw}", lambda F, x, _kw=kw: F.interpolate(x, **_kw), [_r(2, 3, 4, 5)])
case("interpolate_linear_1d", lambda F, x: F.interpolate(x, scale_factor=1.5, mode="linear"), [_r(2, 3, 5)],
     node="UpsampleLinear1DBackward0")
case("interpolate_nearest_1d", lambda F, x: F.interpolate(x, size=8), [_r(2, 3, 5)], node="UpsampleNearest1DBackward0")
case("interpolate_linear_1d_gc", lambda F, x: F.interpolate(x, size=5, mode="linear"), [_r(1, 1, 3)], gc=True,
     ggc=True)
case("interpolate_nearest_1d_gc", lambda F, x: F.interpolate(x, size=5), [_r(1, 1, 3)], gc=True, ggc=True)
case("interpolate_nearest_exact_gc", lambda F, x: F.interpolate(x, size=(3, 4), mode="nearest-exact"),
     [_r(1, 1, 2, 3)], gc=True, ggc=True)
case("interpolate_nearest_exact_1d_gc", lambda F, x: F.interpolate(x, size=5, mode="nearest-exact"), [_r(1, 2, 3)],
     gc=True, ggc=True, node="UpsampleNearestExact1DBackward0")
case("interpolate_nearest_3d_gc", lambda F, x: F.interpolate(x, size=(3, 2, 4)), [_r(1, 2, 2, 3, 2)], gc=True,
     ggc=True, node="UpsampleNearest3DBackward0")
case("interpolate_nearest_exact_3d_gc", lambda F, x: F.interpolate(x, scale_factor=1.5, mode="nearest-exact"),
     [_r(1, 1, 2, 3, 2)], gc=True, ggc=True, node="UpsampleNearestExact3DBackward0")
case("interpolate_trilinear_gc", lambda F, x: F.interpolate(x, size=(3, 4, 2), mode="trilinear"),
     [_r(1, 2, 2, 3, 3)], gc=True, ggc=True, node="UpsampleTrilinear3DBackward0")
case("interpolate_trilinear_align_corners_gc",
     lambda F, x: F.interpolate(x, scale_factor=(1.5, 2, 1.25), mode="trilinear", align_corners=True),
     [_r(1, 1, 2, 3, 4)], gc=True, ggc=True)
case("interpolate_bilinear_gc", lambda F, x: F.interpolate(x, size=(4, 3), mode="bilinear"), [_r(1, 1, 3, 2)],
     gc=True, ggc=True, node="UpsampleBilinear2DBackward0")
case("interpolate_nearest_gc", lambda F, x: F.interpolate(x, scale_factor=2), [_r(1, 1, 2, 3)], gc=True, ggc=True,
     node="UpsampleNearest2DBackward0")
case("interpolate_bicubic", lambda F, x: F.interpolate(x, scale_factor=1.7, mode="bicubic"), [_r(2, 3, 4, 5)],
     node="UpsampleBicubic2DBackward0")
case("interpolate_bicubic_gc", lambda F, x: F.interpolate(x, size=(4, 2), mode="bicubic", align_corners=True),
     [_r(1, 2, 3, 3)], gc=True, ggc=True, node="UpsampleBicubic2DBackward0")

# grid_sample (grids partly outside [-1, 1]), affine_grid
for mode, padding in [("bilinear", "zeros"), ("nearest", "border"), ("bicubic", "reflection")]:
    case(f"grid_sample_{mode}_{padding}",
         lambda F, x, g, _m=mode, _p=padding: F.grid_sample(x, g, mode=_m, padding_mode=_p, align_corners=False),
         [_r(2, 3, 5, 4), _r(2, 3, 4, 2, lo=-1.3, hi=1.3)], node="GridSampler2DBackward0")
    case(f"grid_sample_{mode}_{padding}_gc",
         lambda F, x, g, _m=mode, _p=padding: F.grid_sample(x, g, mode=_m, padding_mode=_p, align_corners=True),
         [_r(1, 2, 3, 4), _r(1, 2, 3, 2, lo=-1.3, hi=1.3)], gc=True, ggc=True)
case("grid_sample_3d", lambda F, x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=False),
     [_r(2, 2, 3, 4, 3), _r(2, 2, 3, 2, 3, lo=-1.3, hi=1.3)], node="GridSampler3DBackward0")
case("grid_sample_3d_gc", lambda F, x, g: F.grid_sample(x, g, mode="nearest", align_corners=True),
     [_r(1, 2, 2, 3, 2), _r(1, 2, 1, 2, 3, lo=-1.3, hi=1.3)], gc=True, ggc=True)
case("grid_sample_3d_bilinear_gc", lambda F, x, g: F.grid_sample(x, g, padding_mode="border", align_corners=False),
     [_r(1, 2, 2, 3, 2), _r(1, 2, 1, 2, 3, lo=-1.3, hi=1.3)], gc=True, ggc=True)
case("affine_grid", lambda F, t: F.affine_grid(t, (2, 3, 5, 4), align_corners=False), [_r(2, 2, 3)],
     node="AffineGridGeneratorBackward0")
case("affine_grid_3d_gc", lambda F, t: F.affine_grid(t, (1, 1, 2, 3, 4), align_corners=True), [_r(1, 3, 4)],
     gc=True, ggc=True, node="AffineGridGeneratorBackward0")

# unfold / fold, attention, rms_norm
case("unfold_im2col", lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [_r(2, 3, 5, 6)],
     gc=False, node="Im2ColBackward0")
case("unfold_im2col_gc", lambda F, x: F.unfold(x, 2, padding=1, stride=2), [_r(1, 2, 3, 3)], gc=True, ggc=True)
case("fold", lambda F, x: F.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [_r(2, 18, 12)],
     node="Col2ImBackward0")
case("fold_unbatched_gc", lambda F, x: F.fold(x, (3, 3), 2), [_r(4, 4)], gc=True, ggc=True, node="Col2ImBackward0")
case("unfold_unbatched_gc", lambda F, x: F.unfold(x, 2, dilation=(1, 2), padding=(0, 1)), [_r(2, 3, 4)], gc=True,
     ggc=True, node="Im2ColBackward0")
case("sdpa", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v),
     [_r(2, 3, 4, 5), _r(2, 3, 6, 5), _r(2, 3, 6, 7)])
case("sdpa_gc", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v), [_r(1, 2, 3, 4), _r(1, 2, 4, 4),
                                                                          _r(1, 2, 4, 3)], gc=True, ggc=True)
case("sdpa_causal_scale", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
     [_r(2, 4, 5), _r(2, 4, 5), _r(2, 4, 3)])
case("sdpa_bool_mask", lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
     [_r(2, 4, 5), _r(2, 6, 5), _r(2, 6, 3), np.tril(np.ones((4, 6), bool), 1)])
case("sdpa_float_mask_gqa", lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, m, enable_gqa=True),
     [_r(1, 4, 3, 5), _r(1, 2, 6, 5), _r(1, 2, 6, 3), _r(3, 6)], no_grad=(3,))
case("rms_norm", lambda F, x, w: F.rms_norm(x, (4, 5), w), [_r(3, 4, 5), _r(4, 5)], gc=True, ggc=True)
case("rms_norm_eps", lambda F, x: F.rms_norm(x, (5,), eps=1e-3), [_r(3, 4, 5)])

# activations
# PyTorch's float64 derivatives of these use a float32 constant (1/alpha, 1/6): they are ~1e-8 off the exact
# value graphgrad gives
TORCH_FLOAT32_CONSTANT = {"parity_float64": "PyTorch's float64 derivative rounds a constant to float32"}
XA = _away_from(_r(3, 5) * 3, [-3, -1, 0, 1, 3, 6, 0.5, -0.5])
ACTS = [
    ("relu", lambda F, x: F.relu(x), "ReluBackward0"), ("relu6", lambda F, x: F.relu6(x * 3), "HardtanhBackward0"),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2), "LeakyReluBackward0"),
    ("elu", lambda F, x: F.elu(x, 1.3), "EluBackward0"), ("selu", lambda F, x: F.selu(x), "EluBackward0"),
    ("celu", lambda F, x: F.celu(x, 0.7), "CeluBackward0"), ("gelu", lambda F, x: F.gelu(x), "GeluBackward0"),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh"), "GeluBackward0"),
    ("silu", lambda F, x: F.silu(x), "SiluBackward0"), ("mish", lambda F, x: F.mish(x), "MishBackward0"),
    ("sigmoid", lambda F, x: F.sigmoid(x), "SigmoidBackward0"), ("tanh", lambda F, x: F.tanh(x), "TanhBackward0"),
    ("softplus", lambda F, x: F.softplus(x), "SoftplusBackward0"),
    ("softplus_beta", lambda F, x: F.softplus(x, beta=2, threshold=3), "SoftplusBackward0"),
    ("hardtanh", lambda F, x: F.hardtanh(x, -2.0, 1.5), "HardtanhBackward0"),
    ("logsigmoid", lambda F, x: F.logsigmoid(x * 10), "LogSigmoidBackward0"),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), "HardsigmoidBackward0"),
    ("hardswish", lambda F, x: F.hardswish(x), "HardswishBackward0"),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -2.0), "ThresholdBackward0"),
    ("softshrink", lambda F, x: F.softshrink(x), "SoftshrinkBackward0"),
    ("hardshrink", lambda F, x: F.hardshrink(x), "HardshrinkBackward0"),
    ("softsign", lambda F, x: F.softsign(x), None), ("tanhshrink", lambda F, x: F.tanhshrink(x), None),
    ("softmax", lambda F, x: F.softmax(x, 1), "SoftmaxBackward0"),
    ("log_softmax", lambda F, x: F.log_softmax(x, 0), "LogSoftmaxBackward0"),
    ("softmin", lambda F, x: F.softmin(x, -1), None), ("glu", lambda F, x: F.glu(x, 0), None),
]
for name, fn, node in ACTS:
    x = XA[:2] if name == "glu" else XA
    x = np.concatenate([x, x[:1]]) if name == "glu" else x
    # (PyTorch has no derivative of hardsigmoid_backward: its double backward raises, as graphgrad's does)
    case(f"act_{name}", fn, [x[:2] if name == "glu" else x], node=node, gc=True,
         ggc=name not in ("relu", "hardsigmoid"),
         known=TORCH_FLOAT32_CONSTANT if name in ("celu", "hardsigmoid") else None)
case("glu_dim1", lambda F, x: F.glu(x, 1), [_r(3, 6)], node="GluBackward0", gc=True, ggc=True)
case("prelu_channels", lambda F, x, w: F.prelu(x, w), [_away_from(X4, [0]), _r(4)], node="PreluKernelBackward0",
     gc=False)
case("prelu_single", lambda F, x, w: F.prelu(x, w), [_away_from(_r(3, 5), [0]), _r(1)])
case("prelu_gc", lambda F, x, w: F.prelu(x, w), [_away_from(_r(2, 3, 2), [0]), _r(3)], gc=True, ggc=True)

# losses
LOGITS = _r(6, 5)
T_IDX = np.array([1, 0, 4, 4, 2, 3])
PROBS = np.random.default_rng(3).dirichlet(np.ones(5), 6).astype(np.float32)
W5 = _r(5, lo=0.5, hi=2)
for red in ["mean", "sum", "none"]:
    case(f"cross_entropy_{red}", (lambda r: lambda F, x, t: F.cross_entropy(x, t, reduction=r))(red), [LOGITS, T_IDX],
         gc=True, ggc=True, node="NllLossBackward0")
    case(f"cross_entropy_w_ignore_{red}",
         (lambda r: lambda F, x, t, w: F.cross_entropy(x, t, w, ignore_index=4, reduction=r))(red),
         [LOGITS, T_IDX, W5], no_grad=(2,), gc=True, ggc=True)
    case(f"cross_entropy_smooth_{red}",
         (lambda r: lambda F, x, t, w: F.cross_entropy(x, t, w, ignore_index=0, reduction=r, label_smoothing=0.2))(red),
         [LOGITS, T_IDX, W5], no_grad=(2,), gc=True, ggc=True)
    case(f"cross_entropy_smooth_noweight_{red}",
         (lambda r: lambda F, x, t: F.cross_entropy(x, t, reduction=r, label_smoothing=0.1))(red), [LOGITS, T_IDX])
    case(f"cross_entropy_probs_{red}",
         (lambda r: lambda F, x, t, w: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.15))(red),
         [LOGITS, PROBS, W5], no_grad=(2,), gc=True, ggc=True)
    case(f"cross_entropy_nd_{red}", (lambda r: lambda F, x, t: F.cross_entropy(x, t, reduction=r))(red),
         [_r(2, 4, 3, 2), _i(4, 2, 3, 2, seed=4)], gc=True, ggc=True, node="NllLoss2DBackward0")
    case(f"nll_loss_5d_{red}", (lambda r: lambda F, x, t: F.nll_loss(x, t, ignore_index=1, reduction=r))(red),
         [_r(2, 3, 2, 2, 2), _i(3, 2, 2, 2, 2, seed=5)], gc=True, ggc=True)
    case(f"nll_loss_{red}", (lambda r: lambda F, x, t, w: F.nll_loss(x, t, w, ignore_index=1, reduction=r))(red),
         [LOGITS, T_IDX, W5], no_grad=(2,), gc=True, ggc=True)
    case(f"mse_loss_{red}", (lambda r: lambda F, x, t: F.mse_loss(x, t, reduction=r))(red),
         [_r(4, 3), _r(4, 3, seed=1)], gc=True, ggc=True, node="MseLossBackward0")
    case(f"l1_loss_{red}", (lambda r: lambda F, x, t: F.l1_loss(x, t, reduction=r))(red), [_r(4, 3), _r(4, 3, seed=1)],
         gc=True, ggc=True)
    case(f"smooth_l1_loss_{red}", (lambda r: lambda F, x, t: F.smooth_l1_loss(x, t, reduction=r, beta=0.7))(red),
         [_r(4, 3), _r(4, 3, seed=1)], gc=True, ggc=True, node="SmoothL1LossBackward0")
    case(f"huber_loss_{red}", (lambda r: lambda F, x, t: F.huber_loss(x, t, reduction=r, delta=0.6))(red),
         [_r(4, 3), _r(4, 3, seed=1)], gc=True, ggc=True, node="HuberLossBackward0")
    case(f"bce_{red}", (lambda r: lambda F, x, t, w: F.binary_cross_entropy(x, t, w, reduction=r))(red),
         [_r(4, 3, lo=0.05, hi=0.95), _r(4, 3, lo=0, hi=1, seed=1), _r(3, lo=0.5, hi=2)], no_grad=(2,), gc=True,
         ggc=True, node="BinaryCrossEntropyBackward0")
    case(f"bce_logits_{red}",
         (lambda r: lambda F, x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, reduction=r,
                                                                               pos_weight=pw))(red),
         [_r(4, 3) * 3, _r(4, 3, lo=0, hi=1, seed=1), _r(4, 1, lo=0.5, hi=2), _r(3, lo=0.5, hi=3)], no_grad=(2, 3),
         gc=True, ggc=True, node="BinaryCrossEntropyWithLogitsBackward0")
    case(f"kl_div_{red}", (lambda r: lambda F, x, t: F.kl_div(x, t, reduction=r))(red),
         [np.log(PROBS[:, ::-1].copy()), PROBS], gc=True, ggc=True)
case("bce_logits_plain", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t), [_r(5) * 40, _r(5, lo=0, hi=1)],
     gc=True, ggc=True)
case("bce_clamps_log", lambda F, x, t: F.binary_cross_entropy(x, t, reduction="none"),
     [np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)], no_grad=(0,))
case("cross_entropy_unbatched", lambda F, x, t: F.cross_entropy(x, t), [_r(5), np.array(3)])
case("cross_entropy_probs_nd", lambda F, x, t: F.cross_entropy(x, t), [_r(2, 3, 4), _r(2, 3, 4, lo=0, hi=1)],
     node="DivBackward1")
case("nll_loss_nd_ignore", lambda F, x, t: F.nll_loss(x, t, ignore_index=2), [_r(2, 3, 4), _i(3, 2, 4, seed=7)],
     node="NllLoss2DBackward0")
case("kl_div_batchmean_logtarget", lambda F, x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
     [np.log(PROBS), np.log(PROBS[::-1].copy())], gc=True, ggc=True)
case("kl_div_zero_target", lambda F, x, t: F.kl_div(x, t, reduction="sum"),
     [np.log(PROBS), np.eye(6, 5, dtype=np.float32)], no_grad=(1,))
case("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b), [_r(4, 5), _r(4, 5, seed=1)], gc=True, ggc=True)
case("cosine_similarity_bcast_dim0", lambda F, a, b: F.cosine_similarity(a, b, dim=0), [_r(4, 5), _r(4, 1, seed=1)])
case("pairwise_distance", lambda F, a, b: F.pairwise_distance(a, b), [_r(4, 5), _r(4, 5, seed=1)], gc=True, ggc=True,
     node="NormBackward1")
case("pairwise_distance_p1_keepdim", lambda F, a, b: F.pairwise_distance(a, b, p=1, keepdim=True),
     [_r(4, 5), _r(4, 5, seed=1)], gc=True, ggc=True, node="NormBackward1")
case("pairwise_distance_inf_1d", lambda F, a, b: F.pairwise_distance(a, b, p=float("inf")), [_r(5), _r(5, seed=1)],
     gc=True, node="NormBackward1")
case("triplet_margin_loss", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, swap=True),
     [_r(4, 5), _r(4, 5, seed=1), _r(4, 5, seed=2)], gc=True, ggc=True)
case("margin_ranking_loss", lambda F, a, b, t: F.margin_ranking_loss(a, b, t, 0.1),
     [_r(6), _r(6, seed=1), np.sign(_r(6, seed=2))], no_grad=(2,), gc=True, ggc=True)
case("hinge_embedding_loss", lambda F, a, t: F.hinge_embedding_loss(a, t), [_r(6), np.sign(_r(6, seed=2))],
     no_grad=(1,), gc=True, ggc=True)
case("soft_margin_loss", lambda F, a, t: F.soft_margin_loss(a, t), [_r(6), np.sign(_r(6, seed=2))], no_grad=(1,),
     gc=True, ggc=True, node="SoftMarginLossBackward0")
for red in ("none", "sum"):
    case(f"soft_margin_loss_{red}_bcast", lambda F, a, t, _red=red: F.soft_margin_loss(a, t, reduction=_red),
         [_r(3, 4), np.sign(_r(4, seed=2))], no_grad=(1,), gc=True, ggc=True, node="SoftMarginLossBackward0")
case("cosine_embedding_loss", lambda F, a, b, t: F.cosine_embedding_loss(a, b, t, 0.2),
     [_r(4, 5), _r(4, 5, seed=1), np.array([1, -1, 1, -1], np.float32)], no_grad=(2,), gc=True, ggc=True)
case("multilabel_soft_margin_loss", lambda F, a, t: F.multilabel_soft_margin_loss(a, t),
     [_r(4, 5), (_r(4, 5, seed=1) > 0).astype(np.float32)], no_grad=(1,), gc=True, ggc=True)
MM_X, MM_Y, MM_W = _r(5, 4), np.array([0, 3, 1, 2, 3]), _r(4, lo=0.5, hi=2)
MLM_T = np.array([[0, 1, -1, 2], [3, -1, 0, 0], [0, 1, 2, 3], [2, 2, -1, 1], [-1, 0, 1, 2]])
for red in ("none", "mean", "sum"):
    for p in (1, 2):
        case(f"multi_margin_loss_p{p}_{red}",
             lambda F, x, y, w, _a=(p, red): F.multi_margin_loss(x, y, p=_a[0], margin=0.7, weight=w, reduction=_a[1]),
             [MM_X, MM_Y, MM_W], no_grad=(2,), gc=True, ggc=True, node="MultiMarginLossBackward0")
    case(f"multilabel_margin_loss_{red}", lambda F, x, t, _red=red: F.multilabel_margin_loss(x, t, reduction=_red),
         [MM_X, MLM_T], gc=True, ggc=True, node="MultilabelMarginLossBackward0")
case("multi_margin_loss_unbatched", lambda F, x, y: F.multi_margin_loss(x, y, p=2, reduction="none"),
     [MM_X[1], np.array([2])], gc=True, node="MultiMarginLossBackward0")
case("multi_margin_loss_0d", lambda F, x, y: F.multi_margin_loss(x, y), [np.array(0.5, np.float32), np.array(0)])
case("multilabel_margin_loss_unbatched", lambda F, x, t: F.multilabel_margin_loss(x, t, reduction="none"),
     [MM_X[0], MLM_T[3]], gc=True, node="MultilabelMarginLossBackward0")
case("triplet_margin_with_distance_loss", lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
     [_r(4, 5), _r(4, 5, seed=1), _r(4, 5, seed=2)], gc=True, ggc=True)
case("triplet_margin_with_distance_loss_cosine",
     lambda F, a, p, n: F.triplet_margin_with_distance_loss(
         a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=0.5, reduction="none"),
     [_r(4, 5), _r(4, 5, seed=1), _r(4, 5, seed=2)], gc=True, ggc=True)
case("rrelu_eval", lambda F, x: F.rrelu(x, 0.1, 0.3), [_away_from(_r(4, 5), [0])], gc=True, ggc=True,
     node="RreluWithNoiseBackward0")
case("poisson_nll_loss_full", lambda F, a, t: F.poisson_nll_loss(a, t, full=True), [_r(6), _r(6, lo=0, hi=4)],
     no_grad=(1,), gc=True, ggc=True)
case("gaussian_nll_loss", lambda F, a, t, v: F.gaussian_nll_loss(a, t, v), [_r(4, 3), _r(4, 3, seed=1),
                                                                          _r(4, 1, lo=0.5, hi=2)], gc=True, ggc=True)
case("instance_norm", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b), [_r(2, 3, 4, 5), _r(3), _r(3)],
     node="ViewBackward0")
case("instance_norm_gc", lambda F, x: F.instance_norm(x), [_r(2, 2, 3)], gc=True, ggc=True)
case("instance_norm_affine_gc", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b), [_r(2, 2, 3), _r(2), _r(2)],
     gc=True, ggc=True)
case("instance_norm_running_stats", lambda F, x, m, v, w: F.instance_norm(x, m, v, w, use_input_stats=False),
     [_r(2, 3, 4), _r(3), _r(3, lo=0.5, hi=2), _r(3)], no_grad=(1, 2), gc=True, ggc=True)
case("local_response_norm_3d", lambda F, x: F.local_response_norm(x, 3, alpha=0.1), [_r(2, 6, 5)], gc=True, ggc=True)
case("local_response_norm_4d", lambda F, x: F.local_response_norm(x, 4, alpha=0.2, beta=0.5, k=2.0), [_r(2, 6, 3, 4)])


# weight normalisation's kernel (torch._weight_norm, ops/normalization.py), reached through the parametrization's
# module (both libraries have it at nn.utils.parametrizations._WeightNorm): one fused WeightNormInterfaceBackward0
# for the first or last dim, composed ops otherwise (NormBackward0 for dim=None)
_WN_GGC = ("PyTorch's second derivative of the fused node treats the norms as constants (its own gradgradcheck of "
           "torch._weight_norm fails): graphgrad's has PyTorch's numbers, held to them by test_weight_norm.py")
case("weight_norm_dim0", lambda T, g, v: T.nn.utils.parametrizations._WeightNorm(0)(g, v),
     [_r(3, 1, lo=0.5, hi=2), _r(3, 4)], namespace="", gc=True, ggc=True, known={"gradgradcheck": _WN_GGC})
case("weight_norm_last_dim", lambda T, g, v: T.nn.utils.parametrizations._WeightNorm(2)(g, v),
     [_r(1, 1, 4, lo=0.5, hi=2), _r(2, 3, 4)], namespace="", gc=True, ggc=True, known={"gradgradcheck": _WN_GGC})
case("weight_norm_middle_dim", lambda T, g, v: T.nn.utils.parametrizations._WeightNorm(1)(g, v),
     [_r(1, 3, 1, lo=0.5, hi=2), _r(2, 3, 4)], namespace="", gc=True, ggc=True)
case("weight_norm_whole", lambda T, g, v: T.nn.utils.parametrizations._WeightNorm(None)(g, v),
     [np.array(1.5), _r(3, 4)], namespace="", gc=True, ggc=True)


class TestFunctionalCases(ParityChecks):
    CASES = CASES


# --------------------------------------------------------------------------------------------------
# errors: the same exception type and text as PyTorch (graphgrad may only add context after it)
def _err(fn, F_, *arrays):
    import torch

    lib = graphgrad if F_ is F else torch
    xs = [lib.tensor(np.asarray(a)) for a in arrays]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(F_, *xs)
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever is raised
        return type(e).__name__, str(e)
    return None, None


ERRORS = [
    ("conv2d_channels", lambda F, x, w: F.conv2d(x, w), [_r(2, 5, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_input_dims", lambda F, x, w: F.conv2d(x, w), [_r(2, 6), _r(3, 4, 3, 3)]),
    ("conv2d_kernel_too_big", lambda F, x, w: F.conv2d(x, w), [_r(2, 4, 2, 2), _r(3, 4, 3, 3)]),
    ("conv2d_bias_size", lambda F, x, w, b: F.conv2d(x, w, b), [_r(2, 4, 6, 6), _r(3, 4, 3, 3), _r(4)]),
    ("conv2d_groups", lambda F, x, w: F.conv2d(x, w, groups=2), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_dtype", lambda F, x, w: F.conv2d(x.double(), w), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_bias_dtype", lambda F, x, w, b: F.conv2d(x, w, b.double()), [_r(2, 4, 6, 6), _r(3, 4, 3, 3), _r(3)]),
    ("conv2d_bias_dtype_long", lambda F, x, w, b: F.conv2d(x.double(), w.double(), b.long()),
     [_r(2, 4, 6, 6), _r(3, 4, 3, 3), _r(3)]),
    ("conv2d_bias_dtype_half", lambda F, x, w, b: F.conv2d(x.half(), w.half(), b),
     [_r(2, 4, 6, 6), _r(3, 4, 3, 3), _r(3)]),
    ("conv2d_same_strided", lambda F, x, w: F.conv2d(x, w, stride=2, padding="same"), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_bad_padding_string", lambda F, x, w: F.conv2d(x, w, padding="foo"), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_stride_zero", lambda F, x, w: F.conv2d(x, w, stride=0), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv2d_negative_padding", lambda F, x, w: F.conv2d(x, w, padding=-1), [_r(2, 4, 6, 6), _r(3, 4, 3, 3)]),
    ("conv1d_channels", lambda F, x, w: F.conv1d(x, w), [_r(2, 5, 6), _r(3, 4, 3)]),
    ("conv_transpose2d_channels", lambda F, x, w: F.conv_transpose2d(x, w), [_r(2, 5, 6, 6), _r(4, 3, 3, 3)]),
    ("conv_transpose2d_output_padding", lambda F, x, w: F.conv_transpose2d(x, w, output_padding=1),
     [_r(2, 4, 6, 6), _r(4, 3, 3, 3)]),
    ("max_pool2d_pad", lambda F, x: F.max_pool2d(x, 3, padding=2), [_r(2, 5, 6, 6)]),
    ("max_pool2d_dims", lambda F, x: F.max_pool2d(x, 2), [_r(2, 3)]),
    ("max_pool2d_too_small", lambda F, x: F.max_pool2d(x, 2), [_r(1, 1, 1, 1)]),
    ("avg_pool2d_pad", lambda F, x: F.avg_pool2d(x, 3, padding=2), [_r(2, 5, 6, 6)]),
    ("max_pool3d_pad", lambda F, x: F.max_pool3d(x, 3, padding=2), [_r(1, 2, 5, 6, 6)]),
    ("max_pool3d_pad_dilated", lambda F, x: F.max_pool3d(x, 3, dilation=2, padding=2), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_negative_pad", lambda F, x: F.max_pool3d(x, 3, padding=-1), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_stride_zero", lambda F, x: F.max_pool3d(x, 2, 0), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_kernel", lambda F, x: F.max_pool3d(x, -1), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_stride", lambda F, x: F.max_pool3d(x, 2, -1), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_dilation", lambda F, x: F.max_pool3d(x, 2, dilation=0), [_r(1, 2, 6, 6, 6)]),
    ("max_pool3d_dims", lambda F, x: F.max_pool3d(x, 2), [_r(2, 3)]),
    ("max_pool3d_empty", lambda F, x: F.max_pool3d(x, 2), [_r(2, 3, 0, 4, 4)]),
    ("max_pool3d_too_small", lambda F, x: F.max_pool3d(x, 2), [_r(1, 1, 1, 1, 1)]),
    ("avg_pool3d_dims", lambda F, x: F.avg_pool3d(x, 2), [_r(2, 3, 4, 5, 6, 7)]),
    ("avg_pool3d_smaller_than_kernel", lambda F, x: F.avg_pool3d(x, 2), [_r(1, 1, 1, 3, 3)]),
    ("avg_pool3d_divisor", lambda F, x: F.avg_pool3d(x, 2, divisor_override=0), [_r(1, 1, 4, 4, 4)]),
    ("avg_pool3d_empty", lambda F, x: F.avg_pool3d(x, 2), [_r(2, 3, 0, 4, 4)]),
    ("adaptive_avg_pool3d_dims", lambda F, x: F.adaptive_avg_pool3d(x, 2), [_r(3, 4)]),
    ("adaptive_avg_pool3d_size", lambda F, x: F.adaptive_avg_pool3d(x, (2, 2)), [_r(1, 2, 4, 4, 4)]),
    ("adaptive_max_pool3d_dims", lambda F, x: F.adaptive_max_pool3d(x, 2), [_r(3, 4)]),
    ("adaptive_max_pool3d_size", lambda F, x: F.adaptive_max_pool3d(x, (2, 2)), [_r(1, 2, 4, 4, 4)]),
    ("max_unpool2d_index_dtype", lambda F, x, i: F.max_unpool2d(x, i.float(), 2), [_r(1, 2, 2, 2), _i(4, 1, 2, 2, 2)]),
    ("max_unpool3d_index_dtype", lambda F, x, i: F.max_unpool3d(x, i.float(), 2),
     [_r(1, 2, 2, 2, 2), _i(4, 1, 2, 2, 2, 2)]),
    ("max_unpool2d_index_shape", lambda F, x, i: F.max_unpool2d(x, i, 2), [_r(2, 2, 2, 2), _i(4, 1, 2, 2, 2)]),
    # (one index out of range: of several, PyTorch's threads report any one)
    ("max_unpool2d_index_range", lambda F, x, i: F.max_unpool2d(x, i, 2),
     [_r(1, 2, 2, 2), _bad_idx((1, 2, 2, 2), 2, 100)]),
    ("max_unpool2d_negative_index", lambda F, x, i: F.max_unpool2d(x, i, 2),
     [_r(1, 2, 2, 2), _bad_idx((1, 2, 2, 2), 2, -3)]),
    ("max_unpool1d_index_range", lambda F, x, i: F.max_unpool1d(x, i, 2), [_r(2, 3), _bad_idx((2, 3), 1, 50)]),
    ("max_unpool3d_index_range", lambda F, x, i: F.max_unpool3d(x, i, 2),
     [_r(1, 2, 2, 2, 2), _bad_idx((1, 2, 2, 2, 2), 3, 1000)]),
    ("max_unpool2d_dims", lambda F, x, i: F.max_unpool2d(x, i, 2), [_r(2, 2), _i(4, 2, 2)]),
    ("max_unpool3d_dims", lambda F, x, i: F.max_unpool3d(x, i, 2), [_r(2, 2, 2), _i(4, 2, 2, 2)]),
    ("max_unpool2d_output_size_length", lambda F, x, i: F.max_unpool2d(x, i, 2, output_size=(5,)),
     [_r(1, 2, 2, 2), _i(4, 1, 2, 2, 2)]),
    ("max_unpool2d_output_size_range", lambda F, x, i: F.max_unpool2d(x, i, 2, output_size=(9, 4)),
     [_r(1, 2, 2, 2), _i(4, 1, 2, 2, 2)]),
    ("max_unpool2d_negative_size", lambda F, x, i: F.max_unpool2d(x, i, 2, padding=5),
     [_r(1, 2, 2, 2), _i(4, 1, 2, 2, 2)]),
    ("max_unpool3d_stride", lambda F, x, i: F.max_unpool3d(x, i, 2, stride=0),
     [_r(1, 2, 2, 2, 2), _i(4, 1, 2, 2, 2, 2)]),
    ("fractional_max_pool2d_no_size", lambda F, x: F.fractional_max_pool2d(x, 2), [_r(1, 2, 6, 6)]),
    ("fractional_max_pool2d_pool_size", lambda F, x: F.fractional_max_pool2d(x, 4, (6, 6)), [_r(1, 2, 8, 8)]),
    ("fractional_max_pool3d_pool_size", lambda F, x: F.fractional_max_pool3d(x, 4, (1, 5, 5)), [_r(1, 2, 8, 8, 8)]),
    ("fractional_max_pool3d_pool_size_strict", lambda F, x: F.fractional_max_pool3d(x, 4, (5, 1, 1)),
     [_r(1, 2, 8, 8, 8)]),
    ("fractional_max_pool2d_samples", lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u),
     [_r(1, 2, 8, 8), _r(1, 2, 3)]),
    ("fractional_max_pool2d_samples_batch", lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u),
     [_r(2, 2, 8, 8), _r(1, 2, 2)]),
    ("fractional_max_pool2d_samples_dtype",
     lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u.double()), [_r(1, 2, 8, 8), _r(1, 2, 2)]),
    ("fractional_max_pool3d_samples_dims", lambda F, x, u: F.fractional_max_pool3d(x, 2, 3, _random_samples=u),
     [_r(1, 2, 8, 8, 8), _r(2, 3)]),
    ("fractional_max_pool3d_samples_channels", lambda F, x, u: F.fractional_max_pool3d(x, 2, 3, _random_samples=u),
     [_r(1, 2, 8, 8, 8), _r(1, 3, 3)]),
    ("channel_shuffle_divisible", lambda F, x: F.channel_shuffle(x, 5), [_r(2, 3, 4, 4)]),
    ("channel_shuffle_groups", lambda F, x: F.channel_shuffle(x, 0), [_r(2, 3, 4, 4)]),
    ("channel_shuffle_dims", lambda F, x: F.channel_shuffle(x, 3), [_r(2, 6)]),
    ("native_channel_shuffle_backward", lambda F, x: F.native_channel_shuffle(x.requires_grad_(), 2).sum().backward(),
     [_r(2, 4, 3)]),
    ("linear_shapes", lambda F, x, w: F.linear(x, w), [_r(2, 3), _r(4, 5)]),
    ("linear_bias", lambda F, x, w, b: F.linear(x, w, b), [_r(2, 3), _r(4, 3), _r(5)]),
    ("batch_norm_one_value", lambda F, x, m, v: F.batch_norm(x, m, v, training=True), [_r(1, 3), _r(3), _r(3)]),
    ("batch_norm_running_size", lambda F, x, m, v: F.batch_norm(x, m, v, training=True), [_r(4, 3), _r(4), _r(4)]),
    ("batch_norm_weight_size", lambda F, x, m, v, w: F.batch_norm(x, m, v, w, training=True),
     [_r(4, 3), _r(3), _r(3), _r(4)]),
    ("layer_norm_shape", lambda F, x: F.layer_norm(x, (5,)), [_r(2, 3, 4)]),
    ("layer_norm_weight", lambda F, x, w: F.layer_norm(x, (4,), w), [_r(2, 3, 4), _r(5)]),
    ("group_norm_groups", lambda F, x: F.group_norm(x, 4), [_r(2, 6, 4)]),
    ("embedding_index", lambda F, i, w: F.embedding(i, w), [np.array([5]), _r(5, 3)]),
    ("embedding_float_index", lambda F, i, w: F.embedding(i, w), [np.array([1.0]), _r(5, 3)]),
    ("embedding_padding_idx", lambda F, i, w: F.embedding(i, w, padding_idx=7), [np.array([1]), _r(5, 3)]),
    ("embedding_bag_offsets_start", lambda F, i, w, o: F.embedding_bag(i, w, o), [np.array([1, 2]), _r(5, 3),
                                                                                  np.array([1])]),
    ("embedding_bag_offsets_past_end", lambda F, i, w, o: F.embedding_bag(i, w, o), [np.array([1, 2]), _r(5, 3),
                                                                                     np.array([0, 3])]),
    ("embedding_bag_no_offsets", lambda F, i, w: F.embedding_bag(i, w), [np.array([1, 2]), _r(5, 3)]),
    ("embedding_bag_2d_offsets", lambda F, i, w, o: F.embedding_bag(i, w, o), [np.array([[1, 2]]), _r(5, 3),
                                                                               np.array([0])]),
    ("embedding_bag_index", lambda F, i, w, o: F.embedding_bag(i, w, o), [np.array([1, 9]), _r(5, 3), np.array([0])]),
    ("embedding_bag_mode", lambda F, i, w, o: F.embedding_bag(i, w, o, mode="min"), [np.array([1]), _r(5, 3),
                                                                                     np.array([0])]),
    ("embedding_bag_weights_mean", lambda F, i, w, o, p: F.embedding_bag(i, w, o, per_sample_weights=p),
     [np.array([1, 2]), _r(5, 3), np.array([0]), _r(2)]),
    ("embedding_bag_weights_shape", lambda F, i, w, o, p: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
     [np.array([1, 2]), _r(5, 3), np.array([0]), _r(3)]),
    ("embedding_bag_max_freq", lambda F, i, w, o: F.embedding_bag(i, w, o, mode="max", scale_grad_by_freq=True),
     [np.array([1, 2]), _r(5, 3), np.array([0])]),
    ("pad_reflect_too_big", lambda F, x: F.pad(x, (3, 3), mode="reflect"), [_r(1, 1, 3)]),
    ("pad_odd_length", lambda F, x: F.pad(x, (1, 1, 1)), [_r(1, 1, 3)]),
    ("pad_too_long", lambda F, x: F.pad(x, (1,) * 8), [_r(1, 1, 3)]),
    ("pad_reflect_dims", lambda F, x: F.pad(x, (1, 1), mode="reflect"), [_r(3)]),
    ("pad_circular_wrap", lambda F, x: F.pad(x, (4, 1), mode="circular"), [_r(1, 3)]),
    ("pad_mode", lambda F, x: F.pad(x, (1, 1), mode="foo"), [_r(1, 1, 3)]),
    ("one_hot_big", lambda F, t: F.one_hot(t, 3), [np.array([1, 5])]),
    ("one_hot_negative", lambda F, t: F.one_hot(t, 3), [np.array([1, -1])]),
    ("one_hot_float", lambda F, t: F.one_hot(t, 3), [np.array([1.0])]),
    ("cross_entropy_batch", lambda F, x, t: F.cross_entropy(x, t), [_r(3, 5), np.array([1, 2])]),
    ("cross_entropy_target_bounds", lambda F, x, t: F.cross_entropy(x, t), [_r(3, 5), np.array([1, 2, 7])]),
    ("cross_entropy_weight_size", lambda F, x, t, w: F.cross_entropy(x, t, w), [_r(3, 5), np.array([1, 2, 3]),
                                                                                 _r(4)]),
    ("nll_loss_multi_target", lambda F, x, t: F.nll_loss(x, t), [_r(3, 5), np.array([[1], [2], [3]])]),
    ("nll_loss_reduction", lambda F, x, t: F.nll_loss(x, t, reduction="foo"), [_r(3, 5), np.array([1, 2, 3])]),
    ("mse_loss_broadcast", lambda F, x, t: F.mse_loss(x, t), [_r(3, 5), _r(3, 4)]),
    ("bce_range", lambda F, x, t: F.binary_cross_entropy(x, t), [_r(3) * 5, _r(3, lo=0, hi=1)]),
    ("bce_sizes", lambda F, x, t: F.binary_cross_entropy(x, t), [_r(3, lo=0, hi=1), _r(4, lo=0, hi=1)]),
    ("bce_logits_sizes", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t), [_r(3), _r(4)]),
    ("bce_weight_requires_grad", lambda F, x, t, w: F.binary_cross_entropy(x, t, w.requires_grad_()),
     [_r(3, lo=0, hi=1), _r(3, lo=0, hi=1), _r(3)]),
    ("nll_weight_requires_grad", lambda F, x, t, w: F.nll_loss(x, t, w.requires_grad_()),
     [_r(3, 5), np.array([1, 2, 3]), _r(5)]),
    ("interpolate_bilinear_3d", lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"), [_r(1, 1, 4)]),
    ("interpolate_size_and_scale", lambda F, x: F.interpolate(x, size=3, scale_factor=2), [_r(1, 1, 4, 4)]),
    ("interpolate_nearest_align", lambda F, x: F.interpolate(x, scale_factor=2, align_corners=True),
     [_r(1, 1, 4, 4)]),
    ("pixel_shuffle_channels", lambda F, x: F.pixel_shuffle(x, 2), [_r(1, 3, 4, 4)]),
    ("glu_odd", lambda F, x: F.glu(x), [_r(3, 5)]),
    ("prelu_channels", lambda F, x, w: F.prelu(x, w), [_r(3, 5), _r(3)]),
    ("dropout_p", lambda F, x: F.dropout(x, 1.5), [_r(3, 5)]),
    ("gelu_approximate", lambda F, x: F.gelu(x, approximate="foo"), [_r(3, 5)]),
    ("cosine_similarity_shapes", lambda F, a, b: F.cosine_similarity(a, b), [_r(3, 5), _r(4, 5)]),
    ("fold_blocks", lambda F, x: F.fold(x, (5, 5), 2), [_r(2, 12, 15)]),
    ("fold_divisible", lambda F, x: F.fold(x, (5, 5), 2), [_r(2, 11, 16)]),
    ("rms_norm_shape", lambda F, x: F.rms_norm(x, (4,)), [_r(2, 3)]),
    ("multi_margin_loss_p", lambda F, x, y: F.multi_margin_loss(x, y, p=3), [MM_X, MM_Y]),
    ("multi_margin_loss_weight_dim", lambda F, x, y, w: F.multi_margin_loss(x, y, weight=w), [MM_X, MM_Y, _r(2, 2)]),
    ("multi_margin_loss_weight_size", lambda F, x, y, w: F.multi_margin_loss(x, y, weight=w), [MM_X, MM_Y, _r(3)]),
    ("multi_margin_loss_target_size", lambda F, x, y: F.multi_margin_loss(x, y), [MM_X, MM_Y[:3]]),
    ("multi_margin_loss_target_unbatched", lambda F, x, y: F.multi_margin_loss(x, y), [MM_X[0], MM_Y[:2]]),
    ("multi_margin_loss_range", lambda F, x, y: F.multi_margin_loss(x, y), [MM_X, MM_Y + 1]),
    ("multi_margin_loss_target_dtype", lambda F, x, y: F.multi_margin_loss(x, y), [MM_X, MM_Y.astype(np.float32)]),
    ("multi_margin_loss_3d", lambda F, x, y: F.multi_margin_loss(x, y), [_r(2, 3, 4), MM_Y[:2]]),
    ("multi_margin_loss_reduction", lambda F, x, y: F.multi_margin_loss(x, y, reduction="foo"), [MM_X, MM_Y]),
    ("multilabel_margin_loss_target_size", lambda F, x, t: F.multilabel_margin_loss(x, t), [MM_X, MLM_T[0]]),
    ("multilabel_margin_loss_range", lambda F, x, t: F.multilabel_margin_loss(x, t), [MM_X, MLM_T - 1]),
    ("multilabel_margin_loss_empty", lambda F, x, t: F.multilabel_margin_loss(x, t), [_r(3, 0), MLM_T[:3, :0]]),
    ("multilabel_margin_loss_target_dtype", lambda F, x, t: F.multilabel_margin_loss(x, t),
     [MM_X, MLM_T.astype(np.int32)]),
    ("triplet_with_distance_dims", lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n),
     [_r(4, 5), _r(4, 5), _r(5)]),
    ("triplet_with_distance_margin", lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=0),
     [_r(4, 5), _r(4, 5), _r(4, 5)]),
    # normalize(out=): div(..., out=out)'s errors
    ("normalize_out_input_requires_grad", lambda F, x, o: F.normalize(x.requires_grad_(), out=o), [_r(3, 4), _r(3, 4)]),
    ("normalize_out_requires_grad", lambda F, x, o: F.normalize(x, out=o.requires_grad_()), [_r(3, 4), _r(3, 4)]),
    ("normalize_out_integer", lambda F, x, o: F.normalize(x, out=o), [_r(3, 4), np.zeros((3, 4), np.int64)]),
    ("normalize_out_integer_input", lambda F, x, o: F.normalize(x, out=o), [np.ones((3, 4), np.int64), _r(3, 4)]),
]


@pytest.mark.parametrize("name,fn,arrays", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, fn, arrays, torch_ref):
    import torch.nn.functional as TF

    t_type, t_msg = _err(fn, TF, *arrays)
    g_type, g_msg = _err(fn, F, *arrays)
    assert t_type is not None, "PyTorch raised nothing"
    assert g_type == t_type, (g_type, g_msg, t_type, t_msg)
    assert g_msg.replace("graphgrad.", "torch.").startswith(t_msg), (g_msg, t_msg)


def test_conv_channel_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"weight of size \[3, 4, 3, 3\], expected input\[2, 5, 6, 6\]"):
        F.conv2d(graphgrad.zeros(2, 5, 6, 6), graphgrad.zeros(3, 4, 3, 3))


# --------------------------------------------------------------------------------------------------
# batch norm's running statistics, dropout, warnings, in-place forms, double backward vs PyTorch
@pytest.mark.parametrize("momentum", [0.1, 0.7])
def test_batch_norm_running_stats_match_torch(momentum, torch_ref):
    torch = torch_ref
    x = _r(5, 3, 4)
    rm, rv = _r(3), _r(3, lo=0.5, hi=2)
    g_rm, g_rv = graphgrad.tensor(rm), graphgrad.tensor(rv)
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    v0 = g_rm._version
    for _ in range(2):
        g_out = F.batch_norm(graphgrad.tensor(x), g_rm, g_rv, training=True, momentum=momentum)
        t_out = torch.nn.functional.batch_norm(torch.tensor(x), t_rm, t_rv, training=True, momentum=momentum)
    np.testing.assert_allclose(g_out.numpy(), t_out.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=RTOL, atol=ATOL)
    assert g_rm._version == v0 + 2  # updated in place, as PyTorch's version counter shows
    # eval mode normalises with them
    g_e = F.batch_norm(graphgrad.tensor(x), g_rm, g_rv, training=False)
    t_e = torch.nn.functional.batch_norm(torch.tensor(x), t_rm, t_rv, training=False)
    np.testing.assert_allclose(g_e.numpy(), t_e.numpy(), rtol=RTOL, atol=ATOL)


def test_dropout_masks_and_gradient():
    graphgrad.manual_seed(0)
    x = graphgrad.ones(200, 50, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)
    assert y.grad_fn.name() == "MulBackward0"
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x * 1, 1.0).detach().numpy().any()


def test_dropout2d_zeroes_whole_channels():
    graphgrad.manual_seed(1)
    y = F.dropout2d(graphgrad.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert 0 < (per_channel == 0).all(-1).mean() < 1
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(graphgrad.ones(2, 3, 4))


def test_dropout_inplace_and_seeded():
    graphgrad.manual_seed(3)
    a = F.dropout(graphgrad.ones(10, 10), 0.5).numpy()
    graphgrad.manual_seed(3)
    x = graphgrad.ones(10, 10)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and np.array_equal(x.numpy(), a)


def test_warnings_like_torch():
    x = graphgrad.zeros(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        F.softmax(x)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        F.kl_div(x, x)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(x, graphgrad.zeros(1, 3))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        F.mse_loss(x, x, size_average=False)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "hardtanh", "silu", "threshold"])
def test_inplace_activations(name, torch_ref):
    torch = torch_ref
    kw = {"threshold": dict(threshold=0.1, value=-1.0)}.get(name, {})
    x0 = _away_from(_r(4, 5), [0, 0.1, -1, 1])
    outs = []
    for lib, F_ in ((graphgrad, F), (torch, torch.nn.functional)):
        x = lib.tensor(x0, requires_grad=True)
        h = x * 2
        y = getattr(F_, name)(h, inplace=True, **kw)
        assert y is h
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name,kw", [("celu_", {"alpha": 0.7}), ("selu_", {}), ("rrelu_", {"lower": 0.1, "upper": 0.4}),
                                     ("rrelu_", {"training": True})])
def test_inplace_functions_like_torch(name, kw, torch_ref):
    """The in-place functions PyTorch's nn.functional exports: same values, gradients and random draws."""
    torch = torch_ref
    x0 = _away_from(_r(4, 5), [0])
    outs = []
    for lib, F_ in ((graphgrad, F), (torch, torch.nn.functional)):
        lib.manual_seed(7)
        x = lib.tensor(x0, requires_grad=True)
        h = x * 2
        y = getattr(F_, name)(h, **kw)
        assert y is h
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bounds", [(1 / 8, 1 / 3), (0.1, 0.3), (0.25, 0.25)])
def test_rrelu_training_draws_torchs_slopes(dtype, bounds, torch_ref):
    """rrelu in training draws one uniform per element <= 0, in order, from the default generator: PyTorch's
    slopes bit for bit for the same seed, and the generator left where PyTorch leaves it."""
    torch = torch_ref
    x0 = _r(6, 7).astype(dtype)
    x0[0, :2] = 0.0, np.nan
    res = []
    for lib, F_ in ((graphgrad, F), (torch, torch.nn.functional)):
        lib.manual_seed(11)
        x = lib.tensor(x0, requires_grad=True)
        y1, y2 = F_.rrelu(x, *bounds, training=True), lib.nn.RReLU(*bounds)(x)
        (y1 * y2).sum().backward()
        res.append([y1.detach().numpy(), y2.detach().numpy(), x.grad.numpy(), lib.rand(4, dtype=x.dtype).numpy(),
                    type(y1.grad_fn).__name__])
    for g, t in zip(*res):
        np.testing.assert_array_equal(g, t)


def test_rrelu_errors_like_torch(torch_ref):
    for args, kw in [((0.5, 0.2), {}), ((), {"training": True})]:
        errs = []
        for lib, F_ in ((graphgrad, F), (torch_ref, torch_ref.nn.functional)):
            x = lib.tensor([1, -2]) if not args else lib.zeros(3)
            with pytest.raises((RuntimeError, NotImplementedError)) as e:
                F_.rrelu(x, *args, **kw)
            errs.append((e.type, str(e.value)))
        assert errs[0] == errs[1]


def test_inplace_on_leaf_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        F.relu(graphgrad.ones(2, requires_grad=True), inplace=True)


def test_embedding_max_norm_renormalises_like_torch(torch_ref):
    torch = torch_ref
    w0 = _r(6, 4) * 3
    i = np.array([[0, 2], [2, 5]])
    gw, tw = graphgrad.tensor(w0), torch.tensor(w0)
    g = F.embedding(graphgrad.tensor(i), gw, max_norm=1.5)
    t = torch.nn.functional.embedding(torch.tensor(i), tw, max_norm=1.5)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), rtol=RTOL, atol=ATOL)


def test_max_pool_nan_like_torch(torch_ref):
    torch = torch_ref
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 1, 2] = np.nan
    res = []
    for lib, F_ in ((graphgrad, F), (torch, torch.nn.functional)):
        t = lib.tensor(x, requires_grad=True)
        y, idx = F_.max_pool2d(t, 2, return_indices=True)
        y.sum().backward()
        res.append((y.detach().numpy(), idx.numpy(), t.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_gradient_penalty_matches_torch(torch_ref):
    """Double backward through conv, pooling, batch norm and a loss: a WGAN-GP style penalty."""
    torch = torch_ref
    arrays = [_r(2, 3, 6, 6), _r(4, 3, 3, 3), _r(4), _r(4, lo=0.5, hi=1.5), _r(4)]

    def run(lib, F_):
        x, w, b, gamma, beta = [lib.tensor(a, requires_grad=True) for a in arrays]
        h = F_.conv2d(x, w, b, padding=1)
        h = F_.batch_norm(h, None, None, gamma, beta, training=True)
        h = F_.max_pool2d(F_.gelu(h), 2)
        out = F_.avg_pool2d(h, 3, 1, 1).sum((1, 2, 3))
        (gx,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        penalty = ((gx.flatten(1).norm(2, 1) - 1) ** 2).mean() + F_.mse_loss(out, out.detach() * 0)
        penalty.backward()
        return [penalty.detach().numpy()] + [t.grad.numpy() for t in (x, w, b, gamma, beta)]

    for g, t in zip(run(graphgrad, F), run(torch, torch.nn.functional)):
        np.testing.assert_allclose(g, t, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_draws_like_torch(nd, torch_ref):
    """Without ``_random_samples`` the windows come from ``rand`` on the default generator: PyTorch's, bit for bit,
    after the same seed (and the generator moves on alike)."""
    x = _distinct(2, 3, *(9, 10, 7)[3 - nd:])
    results = []
    for lib in (graphgrad, torch_ref):
        lib.manual_seed(7)
        pool = getattr(lib.nn.functional, f"fractional_max_pool{nd}d")
        y, idx = pool(lib.tensor(x), 2, output_ratio=(0.5,) * nd, return_indices=True)
        results.append((y.numpy(), idx.numpy(), lib.rand(3).numpy()))
    for g, t in zip(*results):
        np.testing.assert_array_equal(g, t)


def test_one_hot(torch_ref):
    torch = torch_ref
    t = np.array([[0, 3], [2, 1]])
    g = F.one_hot(graphgrad.tensor(t))
    r = torch.nn.functional.one_hot(torch.tensor(t))
    assert g.dtype == graphgrad.int64 and np.array_equal(g.numpy(), r.numpy())
    assert F.one_hot(graphgrad.tensor(t), 6).shape == (2, 2, 6)


def test_gumbel_softmax():
    graphgrad.manual_seed(0)
    logits = graphgrad.tensor(_r(6, 4), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(-1), 1, rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
    (hard * graphgrad.tensor(_r(6, 4, seed=1))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


def test_nll_loss_all_ignored_like_torch(torch_ref):
    torch = torch_ref
    x = _r(2, 4)
    res = []
    for lib, F_ in ((graphgrad, F), (torch, torch.nn.functional)):
        t = lib.tensor(x, requires_grad=True)
        loss = F_.cross_entropy(t, lib.tensor(np.array([1, 1])), ignore_index=1)
        loss.backward()
        res.append((loss.item(), t.grad.numpy()))
    assert np.isnan(res[0][0]) and np.isnan(res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])


@pytest.mark.parametrize("out_of", [
    lambda T: T.empty(3, 4), lambda T: T.zeros(3, 4, dtype=T.float64), lambda T: T.zeros(4, 3).t(),
    lambda T: T.zeros(6, 4)[::2], lambda T: T.empty(0), lambda T: T.zeros(5)],
    ids=["same", "float64", "transposed", "strided", "empty", "resized"])
@pytest.mark.parametrize("kw", [{}, {"p": 1.0, "dim": 0}, {"eps": 10.0}], ids=str)
def test_normalize_writes_into_out_like_torch(out_of, kw, torch_ref):
    """F.normalize(..., out=t) writes the result into t and returns t (PyTorch's div(..., out=out)): its values,
    dtype, shape (resized, with PyTorch's warning where t had elements), strides and version as PyTorch's."""
    x0 = _r(3, 4)
    x0[1] = 0  # (a zero row: the norm clamped to eps)
    results = []
    for lib in (graphgrad, torch_ref):
        x, out = lib.tensor(x0), out_of(lib)
        version = out._version
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = lib.nn.functional.normalize(x, out=out, **kw)
        assert res is out
        results.append((out.numpy().copy(), str(out.dtype).split(".")[-1], tuple(out.shape), out.stride(),
                        out._version - version, len([w for w in caught if "resized" in str(w.message)])))
    (mine, *rest_mine), (theirs, *rest_theirs) = results
    assert rest_mine == rest_theirs
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)


def test_normalize_out_into_its_input_and_under_no_grad_like_torch(torch_ref):
    x0 = _r(3, 4)
    results = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0)
        assert lib.nn.functional.normalize(x, dim=0, out=x) is x
        y, out = lib.tensor(x0, requires_grad=True), lib.empty(3, 4)
        with lib.no_grad():
            assert lib.nn.functional.normalize(y, out=out) is out
        results.append((x.numpy().copy(), out.numpy().copy(), out.requires_grad))
    for m, t in zip(results[0], results[1]):
        np.testing.assert_allclose(m, t, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 1, 4, 4, dtype=T.long), 2),
    lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(1, 1, 4, dtype=T.long), 2),
    lambda T: T.nn.functional.adaptive_avg_pool3d(T.ones(1, 1, 2, 4, 4, dtype=T.long), 2),
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 1, 4, 4, dtype=T.bool), 2),
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 1, 0, 4), 2),
    lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(1, 1, 0), 2),
    lambda T: T.nn.functional.adaptive_avg_pool3d(T.ones(1, 1, 0, 4, 4), 2),
    lambda T: T.nn.functional.interpolate(T.ones(1, 1, 4, dtype=T.long), size=2, mode="area"),
    lambda T: T.nn.functional.interpolate(T.ones(1, 1, 0, 4), size=2, mode="area"),
])
def test_adaptive_avg_pool_refuses_what_pytorch_refuses(call, torch_ref):
    """Integer and bool inputs (their averages were truncated to zeros) and empty window axes."""
    outcomes = []
    for lib in (graphgrad, torch_ref):
        with pytest.raises((RuntimeError, NotImplementedError)) as info:
            call(lib)
        outcomes.append((type(info.value).__name__, str(info.value)))
    assert outcomes[0] == outcomes[1]


def test_adaptive_avg_pool_keeps_empty_batch_and_channel_axes(torch_ref):
    for shape in [(1, 0, 4, 4), (0, 4, 4)]:
        mine = graphgrad.nn.functional.adaptive_avg_pool2d(graphgrad.ones(*shape), 2)
        theirs = torch_ref.nn.functional.adaptive_avg_pool2d(torch_ref.ones(*shape), 2)
        assert tuple(mine.shape) == tuple(theirs.shape)

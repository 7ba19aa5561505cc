"""F.grid_sample, F.affine_grid and F.interpolate(mode='bicubic') against PyTorch 2.13.

grid_sample: every mode ('bilinear', 'nearest', 'bicubic') with every padding mode ('zeros', 'border', 'reflection')
and both align_corners, in 2-D and (bilinear, nearest) 3-D, on odd sizes with grids reaching past [-1, 1] and on
coordinates that land exactly on pixels, borders and reflection points (PyTorch's one-sided derivatives there);
values and both gradients in float32 and float64, the first and second derivatives of the backward (PyTorch
differentiates grid_sampler's backward, GridSampler2DBackwardBackward0, and the derivative of that again),
gradcheck and gradgradcheck in float64, the nodes and what they save, the align_corners warning and the errors.
affine_grid: values, gradients (and their derivative), unit sizes, errors. interpolate: bicubic upsampling and
downsampling by size and by scale factor, with and without align_corners, its node and double backward.
Special values: the 3-D kernel's NaN, infinite and huge coordinates; bicubic interpolation's inf and NaN inputs and
gradients.
"""

from __future__ import annotations

import itertools
import warnings
import zlib

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd import gradcheck, gradgradcheck

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]
CONFIGS = [(m, p, a) for m in MODES for p in PADDINGS for a in (False, True)]
CONFIGS_3D = [c for c in CONFIGS if c[0] != "bicubic"]
# coordinates on pixels, on the borders (-1, 1 and the corner pixels' centres), at reflection points and far out
SPECIAL = [-3.0, -1.5, -1.0, -0.75, -0.5, -1 / 3, 0.0, 1 / 3, 0.5, 0.75, 1.0, 1.5, 3.0, 7.25]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _inputs(nd, mode, padding, align, kind="random"):
    """Input (N, C, *spatial) and grid (N, *out, nd): odd sizes, the grid partly outside [-1, 1]."""
    rng = _rng(nd, mode, padding, align, kind)
    x = rng.standard_normal((2, 3, 5, 7) if nd == 2 else (2, 3, 3, 5, 4))
    if kind == "special":
        points = np.array(list(itertools.product(SPECIAL, repeat=2)))
        if nd == 3:
            points = np.concatenate([points, rng.uniform(-1.2, 1.2, (len(points), 1))], 1)
        grid = np.broadcast_to(points.reshape((1, -1, 1, nd) if nd == 2 else (1, -1, 1, 1, nd)),
                               (2,) + ((len(points), 1, nd) if nd == 2 else (len(points), 1, 1, nd))).copy()
    else:
        grid = rng.uniform(-1.6, 1.6, (2, 4, 6, 2) if nd == 2 else (2, 3, 4, 2, 3))
    return x, grid


def _sample(lib, x0, g0, dtype, seed=0, **kw):
    """The output, its grad_fn's name and both gradients of a weighted sum of it."""
    dt = getattr(lib, dtype)
    x = lib.tensor(x0, dtype=dt, requires_grad=True)
    grid = lib.tensor(g0, dtype=dt, requires_grad=True)
    out = lib.nn.functional.grid_sample(x, grid, **kw)
    weights = lib.tensor(np.random.default_rng(seed).standard_normal(tuple(out.shape)), dtype=dt)
    (out * weights).sum().backward()
    return out, x.grad, grid.grad


def _close(mine, theirs, dtype):
    """Same dtypes, shapes and values: rtol 1e-4 in float32 (1e-10 in float64), and an atol of the rounding of the
    largest value (where terms cancel, as the grid's gradient where the taps clamp to one pixel)."""
    rtol, eps = (1e-4, 1e-6) if dtype == "float32" else (1e-10, 1e-14)
    for m, t in zip(mine, theirs):
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(m.shape) == tuple(t.shape)
        t = t.detach().numpy()
        scale = max(1.0, float(np.abs(t).max())) if t.size else 1.0
        np.testing.assert_allclose(m.detach().numpy(), t, rtol=rtol, atol=eps * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["random", "special"])
@pytest.mark.parametrize("nd,mode,padding,align", [(2, *c) for c in CONFIGS] + [(3, *c) for c in CONFIGS_3D])
def test_grid_sample_as_torch(nd, mode, padding, align, kind, dtype, torch_ref):
    x0, g0 = _inputs(nd, mode, padding, align, kind)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align)
    mine, theirs = _sample(graphgrad, x0, g0, dtype, **kw), _sample(torch_ref, x0, g0, dtype, **kw)
    assert mine[0].grad_fn.name() == theirs[0].grad_fn.name() == f"GridSampler{nd}DBackward0"
    _close(mine, theirs, dtype)


def _derivatives(lib, x0, g0, go0, **kw):
    """The first derivatives (with their nodes), the derivative of a function of them in (grad_output, input,
    grid), and the derivative of that again."""
    dt = lib.float64
    x, grid, go = (lib.tensor(a, dtype=dt, requires_grad=True) for a in (x0, g0, go0))
    out = lib.nn.functional.grid_sample(x, grid, **kw)
    gx, gg = lib.autograd.grad(out, (x, grid), go, create_graph=True)
    names = (gx.grad_fn.name(), gg.grad_fn.name())
    second = lib.autograd.grad((gx * gx).sum() + gg.sin().sum(), (go, x, grid), create_graph=True, allow_unused=True)
    third = lib.autograd.grad(sum((s * s).sum() for s in second if s is not None), (go, x, grid), allow_unused=True)
    return names, [gx, gg, *second, *third]


@pytest.mark.parametrize("nd,mode,padding,align", [(2, *c) for c in CONFIGS] + [(3, *c) for c in CONFIGS_3D])
def test_double_and_triple_backward_as_torch(nd, mode, padding, align, torch_ref):
    x0, g0 = _inputs(nd, mode, padding, align)
    x0, g0 = x0[:1, :2], g0[:1]
    go0 = _rng(nd, mode, "go").standard_normal(x0.shape[:2] + g0.shape[1:-1])
    kw = dict(mode=mode, padding_mode=padding, align_corners=align)
    (mine_names, mine), (their_names, theirs) = (_derivatives(lib, x0, g0, go0, **kw) for lib in (graphgrad,
                                                                                                   torch_ref))
    assert mine_names == their_names == (f"GridSampler{nd}DBackwardBackward0",) * 2
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert (m is None) == (t is None), i
        if m is not None:
            t = t.detach().numpy()
            np.testing.assert_allclose(m.detach().numpy(), t, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(t).max()))


@pytest.mark.parametrize("mode,padding,align", CONFIGS)
def test_gradcheck_and_gradgradcheck_2d(mode, padding, align):
    rng = _rng("gc", mode, padding, align)
    x = graphgrad.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    grid = graphgrad.tensor(rng.uniform(-1.4, 1.4, (1, 2, 3, 2)), requires_grad=True)

    def fn(x, grid):
        return graphgrad.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)

    assert gradcheck(fn, (x, grid))
    assert gradgradcheck(fn, (x, grid))


@pytest.mark.parametrize("mode,padding,align", CONFIGS_3D)
def test_gradcheck_and_gradgradcheck_3d(mode, padding, align):
    rng = _rng("gc3", mode, padding, align)
    x = graphgrad.tensor(rng.standard_normal((1, 2, 2, 3, 3)), requires_grad=True)
    grid = graphgrad.tensor(rng.uniform(-1.4, 1.4, (1, 2, 1, 2, 3)), requires_grad=True)

    def fn(x, grid):
        return graphgrad.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)

    assert gradcheck(fn, (x, grid))
    assert gradgradcheck(fn, (x, grid))


@pytest.mark.parametrize("which", ["input", "grid"])
def test_one_input_requiring_grad(which, torch_ref):
    """Only the input's or only the grid's gradient: the other is not computed, the gradient's node is still
    PyTorch's (it requires grad through what is saved)."""
    x0, g0 = _inputs(2, "bicubic", "reflection", False)
    results = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=which == "input")
        grid = lib.tensor(g0, requires_grad=which == "grid")
        out = lib.nn.functional.grid_sample(x, grid, mode="bicubic", padding_mode="reflection", align_corners=False)
        (g,) = lib.autograd.grad(out.pow(2).sum(), x if which == "input" else grid, create_graph=True)
        results.append((g.detach().numpy(), g.grad_fn.name(), g.requires_grad))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4, atol=1e-5)
    assert results[0][1:] == results[1][1:]


def test_saved_values_as_torch(torch_ref):
    x0, g0 = _inputs(2, "bicubic", "border", True)
    nodes = []
    for lib in (graphgrad, torch_ref):
        x, grid = lib.tensor(x0, requires_grad=True), lib.tensor(g0, requires_grad=True)
        fn = lib.nn.functional.grid_sample(x, grid, mode="bicubic", padding_mode="border", align_corners=True).grad_fn
        nodes.append((fn, x, grid))
    (mine, x, grid), (theirs, _, _) = nodes
    for name in ("interpolation_mode", "padding_mode", "align_corners"):
        assert getattr(mine, f"_saved_{name}") == getattr(theirs, f"_saved_{name}")
    assert mine._saved_input is x and mine._saved_grid is grid
    assert len(mine.next_functions) == len(theirs.next_functions) == 2


@pytest.mark.parametrize("shapes", [((0, 2, 3, 4), (0, 2, 2, 2)), ((1, 0, 3, 4), (1, 2, 2, 2)),
                                    ((1, 2, 3, 4), (1, 0, 2, 2)), ((1, 2, 3, 4, 2), (1, 2, 0, 2, 3))])
def test_empty_batch_channels_or_grid(shapes, torch_ref):
    x0, g0 = np.ones(shapes[0]), np.zeros(shapes[1])
    mine, theirs = (_sample(lib, x0, g0, "float32", align_corners=False) for lib in (graphgrad, torch_ref))
    _close(mine, theirs, "float32")


def test_non_contiguous_inputs(torch_ref):
    rng = _rng("strided")
    x0, g0 = rng.standard_normal((2, 3, 5, 4)), rng.uniform(-1.2, 1.2, (2, 2, 3, 4))
    results = []
    for lib in (graphgrad, torch_ref):
        x, grid = lib.tensor(x0, requires_grad=True), lib.tensor(g0, requires_grad=True)
        out = lib.nn.functional.grid_sample(x.transpose(2, 3), grid.permute(0, 2, 3, 1), mode="bicubic",
                                            align_corners=True)
        out.pow(2).sum().backward()
        results.append((out, x.grad, grid.grad))
    _close(*results, "float64")


def test_float16_as_torch(torch_ref):
    x0, g0 = _inputs(2, "bilinear", "zeros", False)
    outs = [lib.nn.functional.grid_sample(lib.tensor(x0).half(), lib.tensor(g0).half(), align_corners=False)
            for lib in (graphgrad, torch_ref)]
    assert str(outs[0].dtype) == "graphgrad.float16"
    np.testing.assert_allclose(outs[0].float().numpy(), outs[1].float().numpy(), rtol=1e-3, atol=1e-3)


def test_nan_coordinates_as_torch(torch_ref):
    """NaN in the grid: NaN where PyTorch's 2-D kernel multiplies a zero by its NaN weight, the clipped border where
    a padding mode clips it; PyTorch's 3-D kernel skips the taps outside the input (0, not NaN)."""
    for nd, mode, padding in [(2, "bilinear", "zeros"), (2, "bilinear", "border"), (2, "bicubic", "reflection"),
                              (2, "nearest", "border"), (3, "bilinear", "zeros"), (3, "bilinear", "border")]:
        points = np.array(list(itertools.product([float("nan"), 0.3, 0.0], repeat=nd)))
        g0 = points.reshape((1, -1, 1, nd) if nd == 2 else (1, -1, 1, 1, nd))
        x0 = np.arange(24.0).reshape((1, 2, 3, 4) if nd == 2 else (1, 1, 2, 3, 4))
        outs = [lib.nn.functional.grid_sample(lib.tensor(x0), lib.tensor(g0), mode=mode, padding_mode=padding,
                                              align_corners=False).numpy() for lib in (graphgrad, torch_ref)]
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, equal_nan=True, err_msg=f"{nd} {mode} {padding}")


# --- warnings and errors ------------------------------------------------------------------------------------------
def _observe(fn, lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(lib, lib.nn.functional)
            result = ("ok", tuple(out.shape), str(out.dtype).split(".")[-1])
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            result = (type(e).__name__, str(e).replace("graphgrad", "torch"))
    return result, [str(w.message) for w in caught]


CALLS = {
    "default_align_corners": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2)),
    "mode": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2), mode="linear"),
    "mode_none": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2), mode=None),
    "padding": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2), padding_mode="wrap"),
    "dims_differ": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2, 2)),
    "3d_input": lambda T, F: F.grid_sample(T.ones(1, 1, 3), T.zeros(1, 2, 2)),
    "3d_input_5d_grid": lambda T, F: F.grid_sample(T.ones(1, 1, 3), T.zeros(1, 2, 2, 2, 1)),
    "6d": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, 3, 3), T.zeros(1, 2, 2, 2, 2, 4)),
    "0d": lambda T, F: F.grid_sample(T.ones(()), T.zeros(1, 2, 2, 2)),
    "1d": lambda T, F: F.grid_sample(T.ones(1), T.zeros(1)),
    "batch": lambda T, F: F.grid_sample(T.ones(2, 1, 3, 3), T.zeros(1, 2, 2, 2)),
    "batch_and_last": lambda T, F: F.grid_sample(T.ones(2, 1, 3, 3), T.zeros(1, 2, 2, 3)),
    "last": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 3)),
    "last_3d": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, 3), T.zeros(1, 2, 2, 2, 2)),
    "empty_spatial": lambda T, F: F.grid_sample(T.ones(1, 1, 0, 3), T.zeros(1, 2, 2, 2)),
    "bicubic_3d": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, 3), T.zeros(1, 2, 2, 2, 3), mode="bicubic"),
    "bicubic_3d_empty": lambda T, F: F.grid_sample(T.ones(0, 1, 3, 3, 3), T.zeros(0, 2, 2, 2, 3), mode="bicubic"),
    "grid_dtype": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2, dtype=T.float64)),
    "input_dtype": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, dtype=T.float64), T.zeros(1, 2, 2, 2)),
    "half_float": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3).half(), T.zeros(1, 2, 2, 2)),
    "long": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, dtype=T.long), T.ones(1, 2, 2, 2, dtype=T.long)),
    "long_3d": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, 3, dtype=T.long), T.ones(1, 2, 2, 2, 3, dtype=T.long)),
    "long_grid": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.ones(1, 2, 2, 2, dtype=T.long)),
    "bool": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3, dtype=T.bool), T.ones(1, 2, 2, 2, dtype=T.bool)),
    "list_input": lambda T, F: F.grid_sample([1.0], T.zeros(1, 2, 2, 2)),
    "array_grid": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), np.zeros((1, 2, 2, 2))),
    "align_int": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2), align_corners=1),
    "align_str": lambda T, F: F.grid_sample(T.ones(1, 1, 3, 3), T.zeros(1, 2, 2, 2), align_corners="yes"),
    "affine_default_align_corners": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 2, 2)),
    "affine_long": lambda T, F: F.affine_grid(T.ones(1, 2, 3, dtype=T.long), (1, 1, 2, 2), align_corners=False),
    "affine_shape": lambda T, F: F.affine_grid(T.ones(1, 2, 4), (1, 1, 2, 2), align_corners=False),
    "affine_shape_size": lambda T, F: F.affine_grid(T.ones(1, 2, 4), T.Size([1, 1, 3, 2]), align_corners=False),
    "affine_shape_3d": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False),
    "affine_2d_theta": lambda T, F: F.affine_grid(T.ones(2, 3), (1, 1, 3, 2), align_corners=False),
    "affine_size": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 2), align_corners=False),
    "affine_zero": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 0, 2), align_corners=False),
    "affine_zero_aligned": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 0, 2), align_corners=True),
    "affine_negative": lambda T, F: F.affine_grid(T.ones(1, 2, 3), [1, -1, 3, 2], align_corners=False),
    "affine_no_channels": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 0, 3, 2), align_corners=False),
    "affine_unit_aligned": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 1, 2), align_corners=True),
    "affine_unit_aligned_empty": lambda T, F: F.affine_grid(T.ones(0, 2, 3), (0, 1, 1, 2), align_corners=True),
    "affine_batch": lambda T, F: F.affine_grid(T.ones(2, 2, 3), (1, 1, 3, 2), align_corners=True),
    "affine_batch_3d": lambda T, F: F.affine_grid(T.ones(2, 3, 4), (1, 1, 3, 2, 2), align_corners=True),
    "affine_list_theta": lambda T, F: F.affine_grid([[1.0]], (1, 1, 3, 2), align_corners=False),
    "affine_float_size": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 3.0, 2), align_corners=False),
    "affine_number_size": lambda T, F: F.affine_grid(T.ones(1, 2, 3), 3.0, align_corners=False),
    "affine_str_size": lambda T, F: F.affine_grid(T.ones(1, 2, 3), "abcd", align_corners=False),
    "affine_tensor_size": lambda T, F: F.affine_grid(T.ones(1, 2, 3), T.tensor([1, 1, 3, 2]), align_corners=False),
    "affine_align_int": lambda T, F: F.affine_grid(T.ones(1, 2, 3), (1, 1, 3, 2), align_corners=1),
    "affine_half": lambda T, F: F.affine_grid(T.ones(1, 2, 3).half(), (1, 1, 3, 2), align_corners=False),
    "bicubic_5d": lambda T, F: F.interpolate(T.ones(1, 1, 3, 3, 3), scale_factor=2, mode="bicubic"),
    "bicubic_3d_input": lambda T, F: F.interpolate(T.ones(1, 1, 3), scale_factor=2, mode="bicubic"),
    # the upsampling kernels' checks: positive sizes first, then the dtype (uint8 passes all but the linear ones)
    "bicubic_long": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2, dtype=T.int64), scale_factor=2, mode="bicubic"),
    "bicubic_bool": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2, dtype=T.bool), scale_factor=2, mode="bicubic"),
    "bilinear_long": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2, dtype=T.int64), size=3, mode="bilinear"),
    "nearest_2d_int": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2, dtype=T.int32), size=3),
    "nearest_3d_long": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2, 2, dtype=T.int64), size=3),
    "linear_byte": lambda T, F: F.interpolate(T.ones(1, 1, 2, dtype=T.uint8), size=3, mode="linear"),
    "bicubic_empty_input": lambda T, F: F.interpolate(T.ones(1, 1, 0, 2), scale_factor=2, mode="bicubic"),
    "bicubic_empty_output": lambda T, F: F.interpolate(T.ones(1, 1, 2, 2), size=(0, 3), mode="bicubic"),
    "linear_empty_output": lambda T, F: F.interpolate(T.ones(1, 1, 2), size=0, mode="linear"),
    "trilinear_empty_long": lambda T, F: F.interpolate(T.ones(1, 1, 2, 0, 2, dtype=T.int64), size=3,
                                                       mode="trilinear"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_errors_and_warnings_as_torch(name, torch_ref):
    assert _observe(CALLS[name], graphgrad) == _observe(CALLS[name], torch_ref)


# --- affine_grid --------------------------------------------------------------------------------------------------
def _affine(lib, theta0, size, align, dtype):
    dt = getattr(lib, dtype)
    theta = lib.tensor(theta0, dtype=dt, requires_grad=True)
    grid = lib.nn.functional.affine_grid(theta, size, align_corners=align)
    weights = lib.tensor(np.random.default_rng(0).standard_normal(tuple(grid.shape)), dtype=dt)
    (grid * weights).sum().backward()
    return grid, theta.grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 5, 7), (1, 1, 1, 4), (3, 1, 2, 9), (2, 1, 3, 4, 5), (1, 2, 1, 1, 3),
                                  (1, 1, 17, 33)])
def test_affine_grid_as_torch(size, align, dtype, torch_ref):
    theta0 = _rng("theta", size).standard_normal((size[0], len(size) - 2, len(size) - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the unit-size warning, compared above)
        mine, theirs = (_affine(lib, theta0, size, align, dtype) for lib in (graphgrad, torch_ref))
    assert mine[0].grad_fn.name() == theirs[0].grad_fn.name() == "AffineGridGeneratorBackward0"
    assert mine[0].grad_fn._saved_size == tuple(theirs[0].grad_fn._saved_size)
    assert mine[0].grad_fn._saved_align_corners == theirs[0].grad_fn._saved_align_corners
    _close(mine, theirs, dtype)


@pytest.mark.parametrize("size", [(1, 1, 1, 1), (1, 1, 4, 1), (1, 1, 7, 33), (1, 1, 2, 3, 9), (1, 1, 64, 129)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_identity_base_grid_is_torchs_to_the_bit(size, dtype, torch_ref):
    """The base coordinates are PyTorch's linspace (each half from its own end, one rounding per value)."""
    nd = len(size) - 2
    for align in (False, True):
        grids = []
        for lib in (graphgrad, torch_ref):
            theta = lib.eye(nd, nd + 1, dtype=getattr(lib, dtype)).unsqueeze(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                grids.append(lib.nn.functional.affine_grid(theta, size, align_corners=align).numpy())
        np.testing.assert_array_equal(grids[0], grids[1])


@pytest.mark.parametrize("size,align", [((2, 3, 4, 5), False), ((1, 2, 2, 3, 4), True)])
def test_affine_grid_gradcheck_and_gradgradcheck(size, align):
    theta = graphgrad.tensor(_rng("gc", size).standard_normal((size[0], len(size) - 2, len(size) - 1)),
                             requires_grad=True)
    fn = lambda t: graphgrad.nn.functional.affine_grid(t, size, align_corners=align)  # noqa: E731
    assert gradcheck(fn, (theta,))
    assert gradgradcheck(fn, (theta,))


def test_affine_grid_then_grid_sample_as_torch(torch_ref):
    """A rotation and a zoom of an image: the pipeline of a spatial transformer, every gradient compared."""
    rng = _rng("stn")
    x0 = rng.standard_normal((2, 3, 9, 11))
    a = 0.4
    theta0 = np.array([[[np.cos(a), -np.sin(a), 0.1], [np.sin(a), np.cos(a), -0.2]],
                       [[1.3, 0.0, 0.0], [0.2, 0.7, 0.3]]])
    results = []
    for lib in (graphgrad, torch_ref):
        x, theta = lib.tensor(x0, requires_grad=True), lib.tensor(theta0, requires_grad=True)
        grid = lib.nn.functional.affine_grid(theta, (2, 3, 7, 8), align_corners=False)
        out = lib.nn.functional.grid_sample(x, grid, padding_mode="border", align_corners=False)
        out.pow(2).sum().backward()
        results.append((out, x.grad, theta.grad))
    _close(*results, "float64")


# --- special coordinates and values: PyTorch's kernels' NaN and inf ---------------------------------------------
def _special_run(lib, x0, g0, dtype, **kw):
    dt = getattr(lib, dtype)
    x, grid = lib.tensor(x0, dtype=dt, requires_grad=True), lib.tensor(g0, dtype=dt, requires_grad=True)
    out = lib.nn.functional.grid_sample(x, grid, **kw)
    gx, gg = lib.autograd.grad(out, (x, grid), lib.ones_like(out))
    return [a.detach().numpy() for a in (out, gx, gg)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode,padding,align", [c for c in CONFIGS_3D if c[1] != "zeros"])
def test_grid_sample_3d_special_coordinates_as_torch(mode, padding, align, dtype, torch_ref):
    """PyTorch's scalar 3-D kernel: forward, a NaN coordinate clipped to the far border (std::min/max); backward,
    clip_coordinates_set_grad keeps it NaN, so the point reads and sends nothing; reflection counts its spans in a C
    int, so an infinite, NaN or huge (past 2**31 spans) coordinate is never flipped."""
    rng = _rng("special_3d", mode, padding, align, dtype)
    x0 = rng.standard_normal((1, 2, 3, 4, 5))
    huge = 1e300 if dtype == "float64" else 1e30
    values = np.concatenate([rng.uniform(1e9, 1e12, 12), -rng.uniform(1e9, 1e12, 12), rng.uniform(1e3, 3e9, 12),
                             [np.inf, -np.inf, np.nan, huge, -huge, 0.25]])
    g0 = np.stack([values, np.roll(values, 7), np.roll(values, 3)], -1).reshape(1, 1, 6, 7, 3)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align)
    for m, t in zip(*(_special_run(lib, x0, g0, dtype, **kw) for lib in (graphgrad, torch_ref))):
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_bicubic_interpolate_reads_only_its_taps_as_torch(torch_ref):
    """Each output sums its 16 taps (an inf elsewhere meets no zero weight), each tap a term of its own (an input
    clamped twice at the border gets two terms), in PyTorch's order; the gradient likewise."""
    x0 = np.random.default_rng(0).standard_normal((1, 2, 6, 7)).astype(np.float32)
    x0[0, 0, 2, 3], x0[0, 0, 0, 0], x0[0, 1, 5, 1] = np.inf, -np.inf, np.nan
    results = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        out = lib.nn.functional.interpolate(x, size=(11, 9), mode="bicubic")
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        g[0, 0, 4, 4], g[0, 1, 0, 8] = np.inf, -np.inf
        (gx,) = lib.autograd.grad(out, x, lib.tensor(g))
        results.append((out.detach().numpy(), gx.numpy()))
    for m, t in zip(*results):
        assert np.isfinite(t).any() and not np.isfinite(t).all()
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(results[0][1], results[1][1])  # (the backward's sums, in its order, bit for bit)


# --- interpolate: bicubic -----------------------------------------------------------------------------------------
def _bicubic(lib, x0, dtype, **kw):
    dt = getattr(lib, dtype)
    x = lib.tensor(x0, dtype=dt, requires_grad=True)
    out = lib.nn.functional.interpolate(x, mode="bicubic", **kw)
    weights = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)), dtype=dt)
    (out * weights).sum().backward()
    return out, x.grad


BICUBIC = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.45), dict(scale_factor=3),
           dict(size=(9, 4)), dict(size=(1, 1)), dict(size=(2, 13)), dict(size=(5, 6)),
           dict(scale_factor=(0.6, 3.3), recompute_scale_factor=True), dict(scale_factor=(1.25, 0.5))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kw", BICUBIC, ids=str)
def test_bicubic_interpolate_as_torch(kw, align, dtype, torch_ref):
    x0 = _rng("bicubic", str(kw)).standard_normal((2, 3, 5, 6))
    mine, theirs = (_bicubic(lib, x0, dtype, align_corners=align, **kw) for lib in (graphgrad, torch_ref))
    assert mine[0].grad_fn.name() == theirs[0].grad_fn.name() == "UpsampleBicubic2DBackward0"
    _close(mine, theirs, dtype)


def test_bicubic_default_align_corners_is_false(torch_ref):
    x0 = _rng("bicubic_default").standard_normal((1, 2, 3, 4))
    outs = [lib.nn.functional.interpolate(lib.tensor(x0), scale_factor=2.5, mode="bicubic").numpy()
            for lib in (graphgrad, torch_ref)]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-12)


def test_bicubic_double_backward_as_torch(torch_ref):
    x0 = _rng("bicubic_gg").standard_normal((1, 2, 3, 4))
    results = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        out = lib.nn.functional.interpolate(x, size=(5, 7), mode="bicubic", align_corners=False)
        (g,) = lib.autograd.grad(out.pow(2).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), x)
        results.append((g.grad_fn.name(), g.detach().numpy(), gg.numpy()))
    assert results[0][0] == results[1][0] == "UpsampleBicubic2DBackwardBackward0"
    for m, t in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(size=(5, 4)), dict(scale_factor=0.7, align_corners=True)], ids=str)
def test_bicubic_gradcheck_and_gradgradcheck(kw):
    x = graphgrad.tensor(_rng("bicubic_gc").standard_normal((1, 2, 3, 4)), requires_grad=True)
    fn = lambda x: graphgrad.nn.functional.interpolate(x, mode="bicubic", **kw)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_cpu_autocast_as_torch(torch_ref):
    """PyTorch's CPU autocast runs grid_sampler in float32; affine_grid and bicubic upsampling keep the dtype."""
    dtypes = []
    for lib in (graphgrad, torch_ref):
        F, x, grid = lib.nn.functional, lib.ones(1, 1, 3, 3), lib.zeros(1, 2, 2, 2)
        with lib.autocast("cpu", dtype=lib.bfloat16):
            outs = [F.grid_sample(x.bfloat16(), grid, align_corners=False),
                    F.grid_sample(x, grid.bfloat16(), align_corners=False),
                    F.grid_sample(x.double(), grid.double(), align_corners=False),
                    F.affine_grid(lib.ones(1, 2, 3).bfloat16(), (1, 1, 2, 2), align_corners=False),
                    F.interpolate(x.bfloat16(), scale_factor=2, mode="bicubic")]
        dtypes.append([str(o.dtype).split(".")[-1] for o in outs])
    assert dtypes[0] == dtypes[1]

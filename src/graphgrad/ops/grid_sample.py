"""grid_sample's and affine_grid's primitives: PyTorch's grid_sampler_2d/grid_sampler_3d (GridSampler2DBackward0,
GridSampler3DBackward0) and affine_grid_generator (AffineGridGeneratorBackward0).

Each output point reads the input at the grid's coordinates, in [-1, 1] across the input (the centres of the corner
pixels with ``align_corners``, their outer edges without). The coordinate is unnormalised to pixels, then the
padding mode applies: 'zeros' leaves it (taps outside the input read 0), 'border' clips it to the input, 'reflection'
reflects it at the borders (the corner centres, or the outer edges) and then clips it. Bilinear (trilinear in 3-D)
and nearest sampling read around the padded coordinate; bicubic (2-D only) reads the 4x4 pixels around the
unpadded coordinate, padding each tap's integer position instead, with PyTorch's cubic convolution (A = -0.75).

Every sample is a sum over a few taps (4 bilinear, 8 trilinear, 16 bicubic, 1 nearest) of a weight, a product of one
polynomial per axis in the coordinate's fraction, times the input at the tap. The taps are found once per call on
the arrays (``_Sampling``); the forward and the array derivative gather and scatter whole arrays per tap.

PyTorch differentiates grid_sampler's backward again (GridSampler2DBackwardBackward0 here too: it computes both
gradients on the arrays); the derivative of that node is written in graphgrad ops over the taps, with the
fraction as a differentiable function of the grid (its slope per point: the unnormalising scale times the padding's
slope, 0 where it clips, -1 where it reflects), so it differentiates again as far as one likes.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import numpy as np

from .._tensor import Tensor
from ._op import Op, _torch_name, apply, const
from .shape import cat, stack

BILINEAR, NEAREST, BICUBIC = 0, 1, 2
ZEROS, BORDER, REFLECTION = 0, 1, 2
_A = -0.75  # PyTorch's bicubic convolution constant


# --- the 1-D weights of one axis, functions of the fraction t (arrays or Tensors alike) ---------------------------
def _cubic1(x):  # |x| <= 1
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _cubic2(x):  # 1 < |x| < 2
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def _cubic1_d(x):
    return (3 * (_A + 2) * x - 2 * (_A + 3)) * x


def _cubic2_d(x):
    return (3 * _A * x - 10 * _A) * x + 8 * _A


def _cubic1_dd(x):
    return 6 * (_A + 2) * x - 2 * (_A + 3)


def _cubic2_dd(x):
    return 6 * _A * x - 10 * _A


def cubic_weights(t, upsample=False):
    """The four taps' weights at fraction t, as PyTorch's cubic convolution computes them (upsampling takes the
    last one at (1 - t) + 1, grid sampling at 2 - t)."""
    return [_cubic2(t + 1), _cubic1(t), _cubic1(1 - t), _cubic2((1 - t) + 1 if upsample else 2 - t)]


def _bases(mode, t, order):
    """The 1-D weights of ``mode``'s taps at t (``order`` 0), or their first or second derivatives in t; numbers
    where they are constant."""
    if mode == BILINEAR:
        return [[1 - t, t], [-1, 1], [0, 0]][order]
    if order == 0:
        return cubic_weights(t)
    if order == 1:
        return [_cubic2_d(t + 1), _cubic1_d(t), -_cubic1_d(1 - t), -_cubic2_d(2 - t)]
    return [_cubic2_dd(t + 1), _cubic1_dd(t), _cubic1_dd(1 - t), _cubic2_dd(2 - t)]


def _product(factors):
    out = 1
    for f in factors:
        out = f if isinstance(out, int) and out == 1 else out * f
    return out


# --- where each output point reads: the taps ---------------------------------------------------------------------
def _unnormalize(c, size, align, vectorised):
    """Pixel coordinates of the grid's values along an axis of ``size`` pixels, and d(coordinate)/d(value).

    PyTorch's 2-D CPU kernel (vectorised) and its 3-D one (scalar) write the same map two ways; each is followed."""
    dt = c.dtype.type
    scale = dt((size - 1) / 2) if align else dt(size / 2)
    if vectorised:
        return ((c + dt(1)) * scale if align else (c + dt(1)) * scale - dt(0.5)), scale
    if align:
        return ((c + dt(1)) / dt(2)) * dt(size - 1), scale
    return ((c + dt(1)) * dt(size) - dt(1)) / dt(2), scale


def _clip(u, size, nan_to):
    """u clipped to [0, size - 1] (NaN to ``nan_to``), and the slope: 1 strictly inside, 0 on and past the borders."""
    top = u.dtype.type(size - 1)
    slope = ((u > 0) & (u < top)).astype(u.dtype)
    return np.where(np.isnan(u), u.dtype.type(nan_to), np.clip(u, 0, top)), slope


def _reflect(u, size, align):
    """u reflected into [0, size - 1] (align_corners) or [-0.5, size - 0.5], and the slope (+1 or -1)."""
    dt = u.dtype.type
    if align and size <= 1:
        return np.zeros_like(u), np.zeros_like(u)
    low = dt(0) if align else dt(-0.5)
    twice_span = dt(2 * (size - 1)) if align else dt(2 * size)
    shifted = u - low
    a = np.abs(shifted)
    extra = a - np.trunc(a / twice_span) * twice_span
    flipped = twice_span - extra
    flip = extra > flipped
    slope = np.where(flip ^ (shifted < 0), dt(-1), dt(1))
    return np.where(flip, flipped, extra) + low, slope


def _pad(u, size, padding, align, nan_to):
    """The padding mode applied to coordinates u: (padded u, d(padded)/du)."""
    if padding == ZEROS:
        return u, None
    if padding == BORDER:
        return _clip(u, size, nan_to)
    r, rslope = _reflect(u, size, align)
    u, cslope = _clip(r, size, nan_to)
    return u, rslope * cslope


# --- the same maps as PyTorch's scalar kernel writes them (GridSampler.h; the 3-D CPU kernel) ----------------------
def _clip_set_grad(u, size):
    """clip_coordinates_set_grad: 0 on and below 0, size - 1 on and above it, u (NaN too) with slope 1 between."""
    dt = u.dtype.type
    top = dt(size - 1)
    low, high = u <= 0, u >= top
    out = np.where(low, dt(0), np.where(high, top, u))
    return out, np.where(low | high, dt(0), dt(1))


def _reflect_scalar(u, size, align, backward):
    """reflect_coordinates (forward) or reflect_coordinates_set_grad (backward): |u - low| folded by fmod into one
    span and flipped where the count of spans is odd; the count is converted to a C int, so a NaN one or one past
    2**31 (an infinite or huge coordinate) reads as INT_MIN, even: no flip. Returns (reflected u, slope)."""
    dt = u.dtype.type
    if align and size <= 1:  # (twice_low == twice_high)
        return np.zeros_like(u), np.zeros_like(u)
    low = dt(0) if align else dt(-0.5)
    span = dt(size - 1) if align else dt(size)
    shifted = u - low
    if backward:  # (in < 0 ? -in : in, the sign kept for the slope)
        negative = shifted < 0
        a = np.where(negative, -shifted, shifted)
        sign = np.where(negative, dt(-1), dt(1))
    else:
        a = np.abs(shifted)
        sign = np.ones_like(u)
    extra = np.fmod(a, span)
    flips = np.floor(a / span)
    odd = (flips < 2 ** 31) & (np.fmod(flips, 2) == 1)
    return np.where(odd, (span - extra) + low, extra + low), np.where(odd, -sign, sign)


def _pad_scalar(u, size, padding, align, backward):
    """``_pad`` as the scalar kernel computes it: its forward's clip sends NaN to size - 1 (std::min/std::max), its
    backward's (clip_coordinates_set_grad) keeps NaN, whose taps then fall outside the input."""
    if padding == ZEROS:
        return u, None
    if padding == REFLECTION:
        u, rslope = _reflect_scalar(u, size, align, backward)
    if backward:
        u, cslope = _clip_set_grad(u, size)
    else:
        u, cslope = _clip(u, size, size - 1)
    return u, cslope if padding == BORDER else rslope * cslope


class _Sampling:
    """The taps of one call, from the grid's values: ``rows[k]`` (N, P), the flat spatial index that tap k of each
    point reads (S, one past the input, where it falls outside: a zero is read there); ``basis[k]``, its 1-D weight
    per axis; ``t[a]`` (N, P) the fraction along axis a (input order: D, H, W) and ``slope[a]`` d t / d grid value.

    2-D follows PyTorch's vectorised CPU kernel, 3-D its scalar one (``scalar``), whose backward recomputes the
    coordinates with the ``_set_grad`` maps (``backward``): a NaN coordinate, clipped to the far border forward,
    stays NaN there and reads nothing. The scalar kernel's linear weights are (floor + 1) - u and u - floor
    (``tc[a]`` and ``t[a]``), multiplied x first."""

    def __init__(self, grid, in_sizes, mode, padding, align, backward=False):
        n, nd = grid.shape[0], len(in_sizes)
        g = grid.reshape(n, _points(grid.shape), nd)
        vectorised = nd == 2
        self.mode, self.nd, self.S = mode, nd, int(np.prod(in_sizes))
        # PyTorch's 3-D kernel skips the taps outside the input, where the 2-D one reads a zero: a NaN or infinite
        # weight (from a NaN or infinite coordinate) then gives 0 rather than NaN
        self.skips = self.scalar = not vectorised
        self.t, self.tc, self.slope, taps = [], [], [], []
        for a, size in enumerate(in_sizes):
            c = g[..., nd - 1 - a]  # the grid's last axis is (x, y[, z]): W first
            u, scale = _unnormalize(c, size, align, vectorised)
            if mode == BICUBIC:
                f = np.floor(u)
                positions = [_pad(f + (j - 1), size, padding, align, 0)[0] for j in range(4)]
                self.t.append(u - f)
                self.tc.append(None)
                self.slope.append(np.full_like(u, scale))
            else:
                if vectorised:
                    u, pslope = _pad(u, size, padding, align, 0)
                else:
                    u, pslope = _pad_scalar(u, size, padding, align, backward)
                if mode == NEAREST:
                    positions = [np.rint(u)]
                    self.t.append(None)
                    self.tc.append(None)
                    self.slope.append(None)
                else:
                    f = np.floor(u)
                    positions = [f, f + 1]
                    self.t.append(u - f)
                    self.tc.append((f + 1) - u if self.scalar else None)
                    self.slope.append(np.full_like(u, scale) if pslope is None else pslope * scale)
            taps.append([self._index(p, size) for p in positions])
        stride = np.cumprod((1,) + tuple(in_sizes[:0:-1]))[::-1]  # (H*W, W, 1)
        self.rows, self.basis = [], []
        for combo in itertools.product(*[range(len(t)) for t in taps]):
            flat, inside = 0, True
            for a, j in enumerate(combo):
                idx, ok = taps[a][j]
                flat = flat + idx * int(stride[a])
                inside = inside & ok
            self.rows.append(np.where(inside, flat, self.S))
            self.basis.append(combo)

    def _array_bases(self):
        """The 1-D weights of each axis's taps on the arrays, as the kernel computes them."""
        if self.scalar and self.mode == BILINEAR:
            return [[tc, t] for t, tc in zip(self.t, self.tc)]
        return [_bases(self.mode, ta, 0) for ta in self.t]

    @staticmethod
    def _index(p, size):
        """Integer positions (their truncation, as PyTorch converts) and where they are inside the input."""
        ok = (p > -1) & (p < size)  # (NaN: outside)
        return np.where(ok, p, 0).astype(np.int64), ok

    # the taps' weights, their derivatives in each axis's fraction: arrays, or Tensors from Tensor fractions
    def weights(self, t=None):
        if self.mode == NEAREST:
            return [1]
        if t is None:
            phi = self._array_bases()
            # (the scalar kernel multiplies x's weight first: tnw = (ix_bse - ix) * (iy_bse - iy) * (iz_bse - iz))
            axes = range(self.nd - 1, -1, -1) if self.scalar else range(self.nd)
            return self._skipped([_product(phi[a][combo[a]] for a in axes) for combo in self.basis], t)
        phi = [_bases(self.mode, ta, 0) for ta in t]
        return [_product(phi[a][j] for a, j in enumerate(combo)) for combo in self.basis]

    def derivatives(self, t=None):
        """d weight_k / d t_a, as [k][a]."""
        phi = [_bases(self.mode, ta, 0) for ta in (t or self.t)]
        dphi = [_bases(self.mode, ta, 1) for ta in (t or self.t)]
        per_axis = [[_product((dphi if b == a else phi)[b][j] for b, j in enumerate(combo)) for combo in self.basis]
                    for a in range(self.nd)]
        return list(zip(*[self._skipped(d, t) for d in per_axis]))

    def _skipped(self, per_tap, t):
        """Array weights with the taps outside the input at 0 where PyTorch skips them (``skips``)."""
        if not self.skips or t is not None:
            return per_tap
        return [np.where(rows == self.S, w.dtype.type(0), w) for rows, w in zip(self.rows, per_tap)]

    def second_derivatives(self, t):
        """d² weight_k / d t_e d t_a, as [k][e][a]."""
        phi = [_bases(self.mode, ta, 0) for ta in t]
        dphi = [_bases(self.mode, ta, 1) for ta in t]
        ddphi = [_bases(self.mode, ta, 2) for ta in t]

        def factor(b, j, e, a):
            if b == e == a:
                return ddphi[b][j]
            return dphi[b][j] if b in (e, a) else phi[b][j]

        return [[[_product(factor(b, j, e, a) for b, j in enumerate(combo)) for a in range(self.nd)]
                 for e in range(self.nd)] for combo in self.basis]


# --- sums in a kernel's order -------------------------------------------------------------------------------------
# rows at least this wide are summed in rounds; narrower ones by np.add.at, whose loop is then quicker (measured:
# even at 16 floats a row, 32 about equal, rounds twice as fast at 128)
_ROUNDS_FROM_WIDTH = 32


def sum_in_order(index, n_rows, rows_of, row_shape, dtype):
    """Zeros (n_rows, *row_shape) with, for each entry e in turn, the row rows_of([e]) added into row index[e]: what
    np.add.at adds, rounded as a kernel's loop over the entries rounds it (each row's additions in the entries'
    order). Wide rows go without a step per entry: round r adds every row's r-th entry at once (the rows taking
    most entries first, so that a round writes a prefix); a row left with entries after the last round adds them
    in one np.add.accumulate (sequential too). The rounds are as many as makes rounds plus such rows fewest.
    ``rows_of(entries)`` returns those entries' rows, (len(entries), *row_shape), and may be a new array it owns."""
    width = int(np.prod(row_shape, dtype=np.int64))
    if index.size == 0 or width < _ROUNDS_FROM_WIDTH:
        flat = np.zeros(n_rows * width, dtype)
        at = (index[:, None] * width + np.arange(width)).reshape(-1) if width != 1 else index
        np.add.at(flat, at, rows_of(np.arange(index.size)).reshape(-1))
        return flat.reshape((n_rows,) + tuple(row_shape))
    acc = np.zeros((n_rows,) + tuple(row_shape), dtype)
    counts = np.bincount(index, minlength=n_rows)
    busiest = np.argsort(-counts, kind="stable")
    position = np.empty(n_rows, np.int64)
    position[busiest] = np.arange(n_rows)
    more_than = n_rows - np.cumsum(np.bincount(counts))  # [r]: how many rows take more than r entries
    rounds = int(np.argmin(np.arange(more_than.size) + more_than))
    order = np.argsort(index, kind="stable")  # each row's entries together, in their order
    starts = np.cumsum(counts) - counts
    rank = np.arange(index.size) - starts[index[order]]  # (of order's entries within their row)
    ends = np.cumsum(more_than[:rounds])
    early = rank < rounds
    schedule = np.empty(int(ends[-1]) if rounds else 0, np.int64)  # round by round, each in the rows' positions
    schedule[(ends - more_than[:rounds])[rank[early]] + position[index[order[early]]]] = order[early]
    begin = 0
    for k, end in zip(more_than[:rounds], ends):
        acc[:k] += rows_of(schedule[begin:end])
        begin = end
    for p in range(int(more_than[rounds])):
        row = busiest[p]
        rest = rows_of(order[starts[row] + rounds:starts[row] + counts[row]])
        acc[p] = np.add.accumulate(np.concatenate([acc[p:p + 1], rest]), axis=0)[-1]
    out = np.empty_like(acc)
    out[busiest] = acc
    return out


def _points(grid_shape):
    """How many points a grid of ``grid_shape`` (N, *out, nd) samples per batch entry."""
    return int(np.prod(grid_shape[1:-1], dtype=np.int64))


def _pixels(x, s):
    """x (N, C, *in) as rows of channels, (N * (S + 1), C), each batch entry's S pixels followed by a row of zeros
    (what the taps outside the input read): a tap then reads whole rows (``_flat``)."""
    n, c = x.shape[:2]
    out = np.zeros((n, s.S + 1, c), x.dtype)
    out[:, :s.S] = x.reshape(n, c, s.S).transpose(0, 2, 1)
    return out.reshape(n * (s.S + 1), c)


def _flat(rows, s):
    """A tap's rows (N, P) as rows of ``_pixels``' array, (N * P,)."""
    n = rows.shape[0]
    return (rows + (np.arange(n, dtype=np.int64) * (s.S + 1))[:, None]).reshape(-1)


def _sample(x, grid, s):
    """The output (N, C, P) of sampling x at the taps ``s``."""
    n, c, p = x.shape[0], x.shape[1], _points(grid.shape)
    px = _pixels(x, s)
    out = np.zeros((n * p, c), x.dtype)
    for rows, w in zip(s.rows, s.weights()):
        v = np.take(px, _flat(rows, s), axis=0)
        if not isinstance(w, int):
            v *= w.reshape(-1, 1)
        out += v
    return np.ascontiguousarray(out.reshape(n, p, c).transpose(0, 2, 1))


def _input_grad(g3, s, shape, dtype):
    """The gradient for the input: each point's gradient times each tap's weight, summed where the taps read."""
    n, c, p = g3.shape
    width = s.S + 1
    base = (np.arange(n * c, dtype=np.int64) * width).reshape(n, c, 1)
    total = np.zeros(n * c * width, np.float64)
    for rows, w in zip(s.rows, s.weights()):
        contrib = g3 if isinstance(w, int) else g3 * w[:, None, :]
        total += np.bincount((base + rows[:, None, :]).ravel(), weights=contrib.ravel(), minlength=total.size)
    return total.reshape(n, c, width)[..., :s.S].astype(dtype).reshape(shape)


def _input_grad_in_order(g3, s, shape, dtype):
    """``_input_grad`` as the scalar kernel sums it: each tap's weight times the point's gradient added in turn, in
    the input's precision, point by point and tap by tap (the taps outside the input skipped)."""
    n, c, p = g3.shape
    width = s.S + 1
    k = len(s.rows)
    pixel = ((np.arange(n, dtype=np.int64) * width)[:, None, None] + np.stack(s.rows, -1)).reshape(-1)  # (N, P, K)
    by_point = np.ascontiguousarray(g3.transpose(0, 2, 1)).reshape(n * p, c)
    w = s.weights()
    per_tap = None if len(w) == 1 and isinstance(w[0], int) else np.stack(w, -1).reshape(-1, 1)

    def rows_of(entries):  # (entry: point * K + tap)
        rows = by_point[entries // k]
        return rows if per_tap is None else rows * per_tap[entries]

    total = sum_in_order(pixel, n * width, rows_of, (c,), g3.dtype).reshape(n, width, c)
    return total[:, :s.S].transpose(0, 2, 1).astype(dtype, order="C").reshape(shape)


def _grid_grad_in_order(g3, x, s, shape, dtype):
    """``_grid_grad`` as the scalar kernel sums it: per point, channel by channel and tap by tap (those inside the
    input), gix -= or += value * (the other axes' weights, x first) * gradient; then times the slope."""
    if s.mode == NEAREST:
        return np.zeros(shape, dtype)
    n, c, p = g3.shape
    nd = s.nd
    px = _pixels(x, s)
    go = g3.transpose(0, 2, 1).reshape(n * p, c)
    phi = [[b.reshape(-1) for b in axis] for axis in s._array_bases()]
    taps = []
    for rows, combo in zip(s.rows, s.basis):
        w = [phi[a][combo[a]] for a in range(nd)]
        others = [[w[b] for b in reversed(range(nd)) if b != a] for a in range(nd)]  # (x first)
        first, second = np.stack([o[0] for o in others]), np.stack([o[1] for o in others])
        sign = np.array([1 if combo[a] else -1 for a in range(nd)], g3.dtype)[:, None]
        taps.append((np.take(px, _flat(rows, s), axis=0), (rows != s.S).reshape(-1), first, second, sign))
    acc = np.zeros((nd, n * p), g3.dtype)
    for ch in range(c):
        g = go[:, ch]
        for values, inside, first, second, sign in taps:
            acc += np.where(inside, sign * (((values[:, ch] * first) * second) * g), g3.dtype.type(0))
    grads = [s.slope[a].reshape(-1) * acc[a] for a in range(nd)]
    return np.stack([gr.reshape(n, p) for gr in grads[::-1]], -1).astype(dtype, copy=False).reshape(shape)


def _grid_grad(g3, x, s, shape, dtype):
    """The gradient for the grid: per point, the channels' gradient times each tap's value, times the derivative of
    its weight in each axis's fraction, times the fraction's slope."""
    if s.mode == NEAREST:
        return np.zeros(shape, dtype)
    n, c, p = g3.shape
    px = _pixels(x, s)
    gt = g3.transpose(0, 2, 1).reshape(n * p, c)
    parts = [np.zeros(n * p, g3.dtype) for _ in range(s.nd)]
    for rows, dw in zip(s.rows, s.derivatives()):
        dot = np.einsum("pc,pc->p", gt, np.take(px, _flat(rows, s), axis=0))
        for a in range(s.nd):
            parts[a] += dot * dw[a].reshape(-1)
    grads = [part.reshape(n, p) * m for part, m in zip(parts, s.slope)]
    return np.stack(grads[::-1], -1).astype(dtype, copy=False).reshape(shape)


def _taps_of(grid, x_shape, interpolation_mode, padding_mode, align_corners, backward=False):
    return _Sampling(grid, x_shape[2:], interpolation_mode, padding_mode, align_corners, backward)


def _grid_sampler_fwd(input, grid, interpolation_mode, padding_mode, align_corners):
    s = _taps_of(grid, input.shape, interpolation_mode, padding_mode, align_corners)
    return _sample(input, grid, s).reshape(input.shape[:2] + grid.shape[1:-1])


def _computable(*arrays):
    """bfloat16 arrays as float32 (NumPy computes little in bfloat16; op dispatch does the same for forwards)."""
    return [a.astype(np.float32) if _is_bfloat16(a.dtype) else a for a in arrays]


def _grid_sampler_backward_fwd(grad_output, input, grid, interpolation_mode, padding_mode, align_corners,
                               output_mask=(True, True)):
    dt = input.dtype
    grad_output, x, grid = _computable(grad_output, input, grid)
    n, c = x.shape[:2]
    g3 = grad_output.reshape(n, c, _points(grid.shape))
    s = _taps_of(grid, x.shape, interpolation_mode, padding_mode, align_corners, backward=True)
    input_grad, grid_grad = (_input_grad_in_order, _grid_grad_in_order) if s.scalar else (_input_grad, _grid_grad)
    gi = input_grad(g3, s, x.shape, dt) if output_mask[0] else np.zeros(x.shape, dt)
    gg = grid_grad(g3, x, s, grid.shape, dt) if output_mask[1] else np.zeros(grid.shape, dt)
    return gi, gg


def _kwargs(n):
    kw = n.kwargs
    return {k: kw[k] for k in ("interpolation_mode", "padding_mode", "align_corners")}


def _grid_sampler_bw_np(n, g):
    x, grid = n.saved_tensors
    need = n.needs_input_grad
    return _grid_sampler_backward_fwd(g, x._data, grid._data, output_mask=need, **_kwargs(n))


def _grid_sampler_bw(n, g):
    x, grid = n.saved_tensors
    backward = _BACKWARDS[n.op.name]
    return apply(backward, g, x, grid, output_mask=n.needs_input_grad, **_kwargs(n))


# --- the derivative of the backward, in graphgrad ops -------------------------------------------------------------
def _present(g):
    """A gradient that reached the node (the engine hands zeros for an output none reached)."""
    return g is not None and (g._requires_grad or g._data.any())


class _Taps:
    """``_Sampling``'s taps as graphgrad ops: gathers and scatters over them, and the weights as functions of the
    grid (the fraction t = grid * slope + (t - grid * slope), differentiable where the grid is)."""

    def __init__(self, s, grid, in_shape, out_points):
        self.s = s
        n, c = in_shape[:2]
        self.n, self.c, self.p, self.k = n, c, out_points, len(s.rows)
        rows = np.stack(s.rows, 1).reshape(n, 1, self.k * out_points)  # (N, 1, K*P)
        self.index = const(np.ascontiguousarray(np.broadcast_to(rows, (n, c, rows.shape[-1]))))
        dt = grid._data.dtype
        g = grid.reshape(n, out_points, s.nd)
        self.t, self.m = [], []
        for a in range(s.nd):
            if s.t[a] is None:
                self.t.append(None)
                self.m.append(None)
                continue
            comp = s.nd - 1 - a
            slope = s.slope[a].astype(dt)
            shift = (s.t[a] - g._data[..., comp] * slope).astype(dt)
            self.t.append(g.select(2, comp) * const(slope) + const(shift))
            self.m.append(const(slope))

    def gather(self, x):
        """x (N, C, *in) at every tap: (N, C, K, P)."""
        x3 = x.reshape(self.n, self.c, self.s.S)
        xe = cat([x3, x3.new_zeros((self.n, self.c, 1))], 2)
        return xe.gather(2, self.index).reshape(self.n, self.c, self.k, self.p)

    def scatter(self, v, shape):
        """The adjoint of ``gather``: v (N, C, K, P) summed where the taps read, as an input of ``shape``."""
        flat = v.reshape(self.n, self.c, self.k * self.p)
        out = v.new_zeros((self.n, self.c, self.s.S + 1)).scatter_add(2, self.index, flat)
        return out[..., :self.s.S].reshape(shape)

    def stacked(self, per_tap, like):
        """(N, K, P) from one (N, P) Tensor or number per tap."""
        return stack([w if isinstance(w, Tensor) else like.new_full((self.n, self.p), float(w)) for w in per_tap], 1)


def _grid_backward_bw(n, ggi, ggg):
    """The derivative of (grad_input, grad_grid) = backward(grad_output, input, grid), given their gradients."""
    go, x, grid = n.saved_tensors
    kw = _kwargs(n)
    need = n.needs_input_grad
    ggi, ggg = (g if _present(g) else None for g in (ggi, ggg))
    s = _taps_of(grid._data, x._data.shape, **kw, backward=True)
    nb, c = x._data.shape[:2]
    p = _points(grid._data.shape)
    taps = _Taps(s, grid, x._data.shape, p)
    go3 = go.reshape(nb, c, 1, p)
    d_go = d_x = d_grid = None
    if ggi is not None and need[0]:
        d_go = apply(_FORWARDS[n.op.name], ggi, grid, **kw).reshape(nb, c, p)
    if s.mode == NEAREST:  # (the weights are constant: PyTorch's gradient for the grid is zeros)
        return _shaped(d_go, go), None, grid.new_zeros(grid.shape) if need[2] else None
    if ggg is None and (ggi is None or not need[2]):
        return _shaped(d_go, go), None, None
    t = taps.t
    dw = s.derivatives(t)
    if ggg is not None:
        gg = ggg.reshape(nb, p, s.nd)
        along = [gg.select(2, s.nd - 1 - a) * taps.m[a] for a in range(s.nd)]  # d t_a along ggg
        q = taps.stacked([sum(along[a] * dw[k][a] for a in range(s.nd)) for k in range(taps.k)], go)
        gx = taps.gather(x)
        if need[0]:
            d_go = _add(d_go, (gx * q.unsqueeze(1)).sum(2))
        if need[1]:
            d_x = taps.scatter(go3 * q.unsqueeze(1), x.shape)
    if need[2]:
        parts = [None] * s.nd
        if ggi is not None:
            dots = (go3 * taps.gather(ggi)).sum(1)  # (N, K, P)
            for e in range(s.nd):
                parts[e] = (taps.stacked([dw[k][e] for k in range(taps.k)], go) * dots).sum(1)
        if ggg is not None:
            ddw = s.second_derivatives(t)
            dots = (go3 * gx).sum(1)
            for e in range(s.nd):
                dq = taps.stacked([sum(along[a] * ddw[k][e][a] for a in range(s.nd)) for k in range(taps.k)], go)
                parts[e] = _add(parts[e], (dq * dots).sum(1))
        d_grid = stack([parts[e] * taps.m[e] for e in reversed(range(s.nd))], -1).reshape(grid.shape)
    return _shaped(d_go, go), d_x, d_grid


def _add(a, b):
    return b if a is None else a + b


def _shaped(g, like):
    return None if g is None else g.reshape(like.shape)


GRID_SAMPLER_2D = Op("GridSampler2DBackward0", _grid_sampler_fwd, _grid_sampler_bw, save="ab",
                     saved_names=("input", "grid"), backward_np=_grid_sampler_bw_np)
GRID_SAMPLER_3D = Op("GridSampler3DBackward0", _grid_sampler_fwd, _grid_sampler_bw, save="ab",
                     saved_names=("input", "grid"), backward_np=_grid_sampler_bw_np)
_FORWARDS = {f"GridSampler{d}DBackwardBackward0": op for d, op in ((2, GRID_SAMPLER_2D), (3, GRID_SAMPLER_3D))}
_BACKWARDS = {op.name: Op(name, _grid_sampler_backward_fwd, _grid_backward_bw, save="abc", n_outputs=2,
                          saved_names=("grad_output", "input", "grid"))
              for name, op in _FORWARDS.items()}


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """PyTorch's ``torch.grid_sampler`` (its checks and texts) on 4-D or 5-D input."""
    xs, gs = input._data.shape, grid._data.shape
    if not xs or not gs:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if xs[0] != gs[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(xs)} and grid with sizes {list(gs)}")
    if gs[-1] != len(xs) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(xs) - 2} in last dimension, but got "
                           f"grid with sizes {list(gs)}")
    for i in range(2, len(xs)):
        if xs[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(xs)} with dimension {i} being empty")
    nd = 2 if len(xs) == 4 else 3
    if not (len(xs) == nd + 2 == len(gs)):
        raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(xs)} and grid with sizes {list(gs)}")
    if nd == 3 and interpolation_mode == BICUBIC:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    dt, gdt = input._data.dtype, grid._data.dtype
    if dt.kind != "f" and not _is_bfloat16(dt):
        kernel = '"grid_sampler_2d_cpu_kernel_impl"' if nd == 2 else '"grid_sampler3d_cpu"'
        raise NotImplementedError(f"{kernel} not implemented for '{_torch_name(dt)}'")
    if gdt != dt:
        raise RuntimeError(f"expected scalar type {_torch_name(dt)} but found {_torch_name(gdt)}")
    op = GRID_SAMPLER_2D if nd == 2 else GRID_SAMPLER_3D
    return apply(op, input, grid, interpolation_mode=int(interpolation_mode), padding_mode=int(padding_mode),
                 align_corners=bool(align_corners))


def _is_bfloat16(dt):
    return np.dtype(dt).name == "bfloat16"


# --- affine_grid_generator ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _linspace_from_neg_one(steps, align_corners, dtype):
    """PyTorch's base coordinates along an axis of ``steps`` pixels: linspace(-1, 1) as its CPU kernel fills it
    (start + step * i for the first half, end - step * (steps - 1 - i) for the rest, each with one rounding),
    scaled by (steps - 1) / steps without align_corners; one 0 for a single pixel."""
    dt = np.dtype(dtype)
    if steps <= 1:
        return np.zeros(1, dt)
    step = (dt.type(1) - dt.type(-1)) / dt.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    if dt == np.float64:  # the product and the sum rounded once: exactly, in fractions
        exact = Fraction(float(step))
        out = np.array([float(-1 + exact * k if k < half else 1 - exact * (steps - 1 - k)) for k in range(steps)])
    else:  # (a float's product with a small integer and its sum with 1 are exact in double)
        wide = np.float64(step)
        out = np.where(i < half, -1.0 + wide * i, 1.0 - wide * (steps - 1 - i)).astype(dt)
    out = out.astype(dt)
    if not align_corners:
        out = out * dt.type(steps - 1) / dt.type(steps)
    out.flags.writeable = False
    return out


def base_grid(spatial, align_corners, dtype):
    """(P, nd + 1): each output point's (x, y[, z], 1), x along the last axis."""
    work = np.dtype(dtype)
    axes = [_linspace_from_neg_one(int(s), bool(align_corners), work.str) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # (D,) H, W
    cols = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(int(np.prod(spatial)), work)]
    return np.stack(cols, -1)


def _affine_fwd(theta, size, align_corners):
    spatial = tuple(size[2:])
    base = base_grid(spatial, align_corners, theta.dtype)
    work = base.dtype
    grid = np.matmul(base, np.swapaxes(theta.astype(work, copy=False), 1, 2))  # (N, P, nd)
    return grid.reshape((size[0],) + spatial + (len(spatial),)).astype(theta.dtype, copy=False)


def _affine_grad_np(g, size, align_corners):
    spatial = tuple(size[2:])
    dt = g.dtype
    (g,) = _computable(g)
    base = base_grid(spatial, align_corners, g.dtype)
    g3 = g.reshape(g.shape[0], base.shape[0], len(spatial)).astype(base.dtype, copy=False)
    return np.matmul(np.swapaxes(g3, 1, 2), base).astype(dt, copy=False)  # (N, nd, nd + 1)


def _affine_bw_np(n, g):
    return _affine_grad_np(g, n.kwargs["size"], n.kwargs["align_corners"])


def _affine_bw(n, g):
    size, align = n.kwargs["size"], n.kwargs["align_corners"]
    spatial = tuple(size[2:])
    base = const(base_grid(spatial, align, g._data.dtype).astype(g._data.dtype))
    return g.reshape(g.shape[0], base.shape[0], len(spatial)).transpose(1, 2) @ base


AFFINE_GRID = Op("AffineGridGeneratorBackward0", _affine_fwd, _affine_bw, backward_np=_affine_bw_np)


def affine_grid_generator(theta, size, align_corners):
    """PyTorch's ``torch.affine_grid_generator``: the grid (N, *spatial, nd) of theta (N, nd, nd + 1) applied to
    each output point's base coordinates."""
    size = tuple(int(s) for s in size)
    nd = len(size) - 2
    if theta._data.shape[0] != size[0]:  # (PyTorch's bmm of the base grid, batched as size says, with theta^T)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {nd + 1}] "
                           f"but got: [{theta._data.shape[0]}, {nd + 1}].")
    return apply(AFFINE_GRID, theta, size=size, align_corners=bool(align_corners))

"""Helpers for running the same code on graphgrad and on real PyTorch and comparing the results.

Test code is written once as ``fn(T, *tensors)`` where ``T`` is either the ``graphgrad`` module or the
``torch`` module; both libraries are driven with identical NumPy inputs. graphgrad never imports torch:
only the tests do, through the ``torch_ref`` fixture (which skips cleanly when torch is absent).

The op tests are tables of :class:`Case` (an op call with its sample inputs, like PyTorch's OpInfo);
:class:`ParityChecks` runs each case through every check, and :func:`ops_run_by` tells which registered
ops a case exercises (the registry coverage test in tests/ops/test_ops_registry.py).
"""

from __future__ import annotations

import functools
import re
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd.walk import reachable
from graphgrad.ops import REGISTRY

RTOL32, ATOL32 = 1e-4, 1e-5


def dtype_name(dt) -> str:
    """``graphgrad.float32`` / ``torch.float32`` -> ``"float32"``."""
    return str(dt).rsplit(".", 1)[-1]


def make(T, arrays, dtype="float32", requires_grad=True, no_grad=()):
    """One tensor per NumPy array, in library ``T``: floating arrays as leaves of ``dtype`` (requiring grad
    unless their position is in ``no_grad``), integer and bool arrays (indices, masks) as they are."""
    dt = getattr(T, dtype)
    return [T.tensor(a, dtype=dt, requires_grad=requires_grad and i not in no_grad) if a.dtype.kind == "f"
            else T.tensor(a) for i, a in enumerate(map(np.asarray, arrays))]


def to_np(t):
    """A tensor's values (either library) as an ndarray, detached and copied."""
    if t is None:
        return None
    return np.array(t.detach().numpy(), copy=True)


def flat(out):
    """An op's result as a flat list of tensors (tuples such as ``max(dim)`` or ``split`` unpacked)."""
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(flat(o))
        return res
    return [out]


def is_tensor(x) -> bool:
    return hasattr(x, "requires_grad") and hasattr(x, "detach")


def assert_close(gg, th, rtol=RTOL32, atol=ATOL32, what="value"):
    """graphgrad tensor ``gg`` equals torch tensor ``th`` in shape, dtype and values."""
    assert (gg is None) == (th is None), f"{what}: graphgrad {gg!r} vs torch {th!r}"
    if gg is None:
        return
    if not is_tensor(th):
        assert not is_tensor(gg), f"{what}: graphgrad returned a tensor, torch {type(th).__name__}"
        assert gg == th or (isinstance(th, float) and np.isclose(gg, th, rtol=rtol, atol=atol)), \
            f"{what}: {gg!r} != {th!r}"
        return
    assert tuple(gg.shape) == tuple(th.shape), f"{what}: shape {tuple(gg.shape)} != {tuple(th.shape)}"
    assert dtype_name(gg.dtype) == dtype_name(th.dtype), f"{what}: dtype {gg.dtype} != {th.dtype}"
    np.testing.assert_allclose(to_np(gg), to_np(th), rtol=rtol, atol=atol, err_msg=what, equal_nan=True)


def node_name(fn):
    """A node's name without PyTorch's C++ namespace (``torch::autograd::AccumulateGrad`` -> ``AccumulateGrad``)."""
    return None if fn is None else fn.name().rsplit("::", 1)[-1]


def grad_fn_name(t):
    return node_name(getattr(t, "grad_fn", None))


def next_names(t):
    """The names of ``t.grad_fn.next_functions`` (None for a constant operand's empty edge)."""
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else [node_name(n) for n, _ in fn.next_functions]


def run_both(torch, fn, arrays, dtype="float32", requires_grad=True, grad_outputs_seed=0, check_grads=True,
             rtol=RTOL32, atol=ATOL32, compare_grad_fn=True, no_grad=()):
    """Run ``fn`` on both libraries; compare outputs, requires_grad flags, grad_fn names and gradients.

    The inputs are made by :func:`make` (``no_grad``: positions of floating inputs that don't require grad).
    Returns ``(gg_outputs, th_outputs, gg_inputs, th_inputs)``.
    """
    gx = make(graphgrad, arrays, dtype, requires_grad, no_grad)
    tx = make(torch, arrays, dtype, requires_grad, no_grad)
    gout, tout = flat(fn(graphgrad, *gx)), flat(fn(torch, *tx))
    assert len(gout) == len(tout), f"{len(gout)} outputs vs torch's {len(tout)}"
    for i, (g, t) in enumerate(zip(gout, tout)):
        assert_close(g, t, rtol, atol, f"output {i}")
        if not is_tensor(t):
            continue
        assert g.requires_grad == t.requires_grad, f"output {i}: requires_grad {g.requires_grad}"
        assert g.is_leaf == t.is_leaf, f"output {i}: is_leaf {g.is_leaf} != {t.is_leaf}"
        if compare_grad_fn:  # True: the node's name and its next_functions; "name": the name only
            assert grad_fn_name(g) == grad_fn_name(t), f"output {i}: {grad_fn_name(g)} != {grad_fn_name(t)}"
        if compare_grad_fn is True:
            assert next_names(g) == next_names(t), f"output {i}: next_functions {next_names(g)} != {next_names(t)}"
    if not (check_grads and requires_grad):
        return gout, tout, gx, tx
    pairs = [(g, t) for g, t in zip(gout, tout) if is_tensor(t) and t.requires_grad]
    if not pairs:
        return gout, tout, gx, tx
    rng = np.random.default_rng(grad_outputs_seed)
    ups = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    dt_g, dt_t = getattr(graphgrad, dtype), getattr(torch, dtype)
    wrt = [i for i, t in enumerate(tx) if t.requires_grad]
    ggrads = graphgrad.autograd.grad([g for g, _ in pairs], [gx[i] for i in wrt],
                                     [graphgrad.tensor(u, dtype=dt_g) for u in ups], allow_unused=True)
    tgrads = torch.autograd.grad([t for _, t in pairs], [tx[i] for i in wrt],
                                 [torch.tensor(u, dtype=dt_t) for u in ups], allow_unused=True)
    for i, g, t in zip(wrt, ggrads, tgrads):
        if t is None or g is None:
            # an unused input: torch gives None; graphgrad may too, or zeros
            if t is None and g is not None:
                assert not np.any(to_np(g)), f"grad of input {i}: torch has none, graphgrad {g!r}"
                continue
        assert_close(g, t, rtol, atol, f"grad of input {i}")
    return gout, tout, gx, tx


# --- running a whole scenario on both libraries ----------------------------------------------------
class Raised:
    """An exception a scenario raised: its type name and message (compared by prefix)."""

    def __init__(self, exc):
        self.type = type(exc).__name__
        self.message = str(exc)

    def __repr__(self):
        return f"Raised({self.type}: {self.message[:200]!r})"


def error_of_program(T, program):
    """The exception the Python expression ``program`` raises with ``T`` as the library (its warnings silenced);
    the test fails if it raises none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            eval(program, {"T": T})
    return info.value


def observe(fn, T):
    """``fn(T)``'s result (or the exception it raised) and the UserWarnings it emitted."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(T)
        except Exception as e:  # noqa: BLE001 - the exception is the observation
            out = Raised(e)
    messages = [_TRIGGERED.sub("", str(w.message)) for w in caught if issubclass(w.category, UserWarning)]
    # PyTorch gives the first once per process, so it can't be compared scenario by scenario; the second
    # kind are graphgrad's own warnings about mistakes PyTorch lets pass silently (tested where they are made)
    return out, [m for m in messages if not m.startswith(("Using backward() with create_graph=True", "graphgrad:"))]


_TRIGGERED = re.compile(r" \(Triggered internally at [^)]*\)\.?$")


def compare(g, t, path="result", rtol=RTOL32, atol=ATOL32):
    """graphgrad's observation ``g`` matches torch's ``t``: tensors by value, exceptions by type and by
    message prefix (graphgrad may add context after PyTorch's text, never change it)."""
    if isinstance(t, Raised):
        assert isinstance(g, Raised), f"{path}: torch raised {t}, graphgrad returned {g!r}"
        assert g.type == t.type, f"{path}: graphgrad raised {g}, torch {t}"
        g.message = g.message.replace("graphgrad.", "torch.")  # graphgrad.Size([2]) in a message is torch.Size
        t.message = _TRIGGERED.sub("", t.message)
        assert g.message.startswith(t.message), (
            f"{path}: message\n  {g.message!r}\ndoes not start with\n  {t.message!r}")
        return
    assert not isinstance(g, Raised), f"{path}: graphgrad raised {g}, torch returned {t!r}"
    if is_tensor(t):
        assert is_tensor(g), f"{path}: expected a tensor, got {g!r}"
        assert_close(g, t, rtol, atol, path)
        assert g.requires_grad == t.requires_grad, f"{path}: requires_grad {g.requires_grad} != {t.requires_grad}"
        return
    if isinstance(t, dict):
        assert isinstance(g, dict) and sorted(g) == sorted(t), f"{path}: keys {sorted(g)} != {sorted(t)}"
        for k in t:
            compare(g[k], t[k], f"{path}.{k}", rtol, atol)
        return
    if isinstance(t, (list, tuple)):
        assert isinstance(g, (list, tuple)) and len(g) == len(t), f"{path}: {g!r} != {t!r}"
        for i, (a, b) in enumerate(zip(g, t)):
            compare(a, b, f"{path}[{i}]", rtol, atol)
        return
    if hasattr(t, "is_floating_point") and hasattr(t, "itemsize") and not is_tensor(t):  # a dtype
        assert dtype_name(g) == dtype_name(t), f"{path}: {g!r} != {t!r}"
        return
    if isinstance(t, str) and isinstance(g, str):
        g = g.replace("graphgrad.", "torch.")  # graphgrad.Size([2]) is torch.Size([2]), graphgrad.float32 ...
    if isinstance(t, float):
        assert np.isclose(g, t, rtol=rtol, atol=atol, equal_nan=True), f"{path}: {g!r} != {t!r}"
        return
    assert g == t, f"{path}: {g!r} != {t!r}"


def same(torch, fn, rtol=RTOL32, atol=ATOL32):
    """Run scenario ``fn(T)`` on graphgrad and torch; results, exceptions and UserWarnings must match.

    Returns graphgrad's result."""
    g, gw = observe(fn, graphgrad)
    t, tw = observe(fn, torch)
    compare(g, t, "result", rtol, atol)
    assert len(gw) == len(tw), f"warnings: graphgrad {gw!r}, torch {tw!r}"
    for a, b in zip(gw, tw):
        assert a.startswith(b), f"warning\n  {a!r}\ndoes not start with\n  {b!r}"
    return g


def graph_names(t, depth=8):
    """``t.grad_fn`` and what it leads to, as nested ``[name, [children...]]`` (for structure checks)."""
    def walk(fn, d):
        if fn is None:
            return None
        if d == 0:
            return node_name(fn)
        return [node_name(fn), [walk(n, d - 1) for n, _ in fn.next_functions]]

    return walk(t.grad_fn, depth)


# --- the op tests: one table of cases, every check run on each -------------------------------------
@dataclass
class Case:
    """One call of an op with its sample inputs (a row of PyTorch's OpInfo), written once as ``fn(T, *xs)``.

    The inputs are ``inputs`` (arrays, or ``rng -> arrays``), or else uniform samples of ``shapes`` over
    ``domain`` (one ``(lo, hi)`` for every input or a list of them), drawn from a generator seeded by the
    name. Floating inputs require grad unless their position is in ``no_grad``; integer and bool ones
    (indices, masks) are passed as they are. ``namespace`` is what ``fn`` receives: ``""`` for the library
    module itself, ``"nn.functional"`` for ``F``.
    """

    name: str
    fn: object
    shapes: tuple = ((2, 3),)
    domain: object = (-2.0, 2.0)
    inputs: object = None
    no_grad: tuple = ()
    namespace: str = ""
    # True: compare every output's grad_fn name and next_functions with torch's; "name": the names only
    # (where PyTorch composes an op from several nodes and graphgrad records one); False: neither
    grad_fn: object = True
    node: str | None = None  # the grad_fn name PyTorch gives the first output, stated
    grads: bool = True  # False: PyTorch has no derivative (its backward raises), so none is compared or checked
    gradcheck: bool = True  # finite differences in float64
    gradgradcheck: bool | None = None  # the same for the derivative; None: as gradcheck
    float64: bool = True  # parity in float64 too (no silent float32 step)
    # parity bugs known and not fixed yet, by check: "grad_fn" (the names differ; values and gradients are still
    # compared, and the test fails once the names agree) or a test's name, e.g. "parity_float64" (strict xfail)
    known: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.grads:
            self.gradcheck = False
        if self.gradgradcheck is None:
            self.gradgradcheck = self.gradcheck
        runs = {"grad_fn", "parity_float32"} | {check for check in ("parity_float64", "gradcheck", "gradgradcheck")
                                                if getattr(self, check.removeprefix("parity_"))}
        assert set(self.known) <= runs, f"{self.name}: known bugs of checks it doesn't run: {set(self.known) - runs}"

    def __repr__(self):
        return f"Case({self.name})"

    def arrays(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        if self.inputs is not None:
            given = self.inputs(rng) if callable(self.inputs) else self.inputs
            return [np.asarray(a, dtype=np.float64) if isinstance(a, (list, float)) else np.asarray(a) for a in given]
        doms = self.domain if isinstance(self.domain, list) else [self.domain] * len(self.shapes)
        return [rng.uniform(lo, hi, size=s) for s, (lo, hi) in zip(self.shapes, doms)]

    def call(self, T, *xs):
        """``fn`` run in library ``T`` (graphgrad or torch)."""
        space = functools.reduce(getattr, self.namespace.split("."), T) if self.namespace else T
        return self.fn(space, *xs)

    def float64_inputs(self):
        return make(graphgrad, self.arrays(), "float64", no_grad=self.no_grad)

    def float_outputs(self, *xs):
        """The case's floating outputs in graphgrad, as a tuple (what gradcheck differentiates)."""
        return tuple(o for o in flat(self.call(graphgrad, *xs)) if is_tensor(o) and o.dtype.is_floating_point)


def _silenced(check):
    """``check`` with the warnings of the cases' ops ignored (they are tested where they are made)."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check(*args, **kwargs)
    return run


@_silenced
def check_parity(torch, case, dtype="float32"):
    """Values, requires_grad/is_leaf, grad_fn names and input gradients equal torch's on the case's inputs:
    to 1e-4 in float32 and 1e-10 in float64 (where the results must stay float64)."""
    tol = dict(rtol=RTOL32, atol=ATOL32) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    names = case.grad_fn if dtype == "float32" and "grad_fn" not in case.known else False
    gout, tout, _, _ = run_both(torch, case.call, case.arrays(), dtype, no_grad=case.no_grad,
                                check_grads=case.grads, compare_grad_fn=names, **tol)
    if "grad_fn" in case.known:
        assert [grad_fn_name(g) for g in gout] != [grad_fn_name(t) for t in tout], (
            "the grad_fn names agree with torch's now: remove 'grad_fn' from the case's known bugs")
    if case.node is not None:
        assert grad_fn_name(gout[0]) == case.node == grad_fn_name(tout[0]), (
            f"grad_fn {grad_fn_name(gout[0])}, torch's {grad_fn_name(tout[0])}, stated {case.node}")


@_silenced
def check_gradcheck(case):
    assert graphgrad.autograd.gradcheck(case.float_outputs, case.float64_inputs())


@_silenced
def check_gradgradcheck(case):
    assert graphgrad.autograd.gradgradcheck(case.float_outputs, case.float64_inputs())


@_silenced
def check_array_derivative(case):
    """The derivatives taken without a graph of their own (an op's ``backward_np`` on arrays, where it has one)
    equal the derivatives written in graphgrad ops (what ``create_graph=True`` runs), in float64."""
    xs = case.float64_inputs()
    wrt = [x for x in xs if is_tensor(x) and x.requires_grad]
    outs = [o for o in case.float_outputs(*xs) if o.requires_grad]
    if not wrt or not outs:
        return
    rng = np.random.default_rng(0)
    seeds = [graphgrad.tensor(rng.standard_normal(o.shape), dtype=o.dtype) for o in outs]
    on_arrays = graphgrad.autograd.grad(outs, wrt, seeds, retain_graph=True, allow_unused=True)
    in_ops = graphgrad.autograd.grad(outs, wrt, seeds, create_graph=True, allow_unused=True)
    for i, (a, b) in enumerate(zip(on_arrays, in_ops)):
        assert (a is None) == (b is None), f"input {i}: a gradient on one path only"
        if a is not None:
            assert (a.dtype, a.shape) == (b.dtype, b.shape), f"input {i}: {a.dtype} {a.shape} vs {b.dtype} {b.shape}"
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"input {i}: array derivative vs derivative in graphgrad ops")


class ParityChecks:
    """Every check, parametrized over the cases of ``CASES``: subclass it as ``Test...`` with ``CASES`` set.

    >>> class TestMyOps(ParityChecks):  # doctest: +SKIP
    ...     CASES = [Case("sin", lambda T, a: a.sin())]
    """

    CASES: list = []

    def pytest_generate_tests(self, metafunc):
        wanted = {"test_gradcheck": "gradcheck", "test_gradgradcheck": "gradgradcheck",
                  "test_parity_float64": "float64", "test_array_derivative": "gradcheck"}
        wanted = wanted.get(metafunc.function.__name__)
        test = metafunc.function.__name__.removeprefix("test_")
        cases = [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.known[test])]
                              if test in c.known else []) for c in self.CASES if wanted is None or getattr(c, wanted)]
        metafunc.parametrize("case", cases)

    def test_parity_float32(self, case, torch_ref):
        check_parity(torch_ref, case)

    def test_parity_float64(self, case, torch_ref):
        check_parity(torch_ref, case, "float64")

    def test_gradcheck(self, case):
        check_gradcheck(case)

    def test_gradgradcheck(self, case):
        check_gradgradcheck(case)

    def test_array_derivative(self, case):
        check_array_derivative(case)


# --- which registered ops a piece of code runs ------------------------------------------------------
def ops_run_by(thunk):
    """The registry keys of the ops whose forward runs while ``thunk()`` does (in a graph or not, in a
    derivative or not, ops registered on first use included)."""
    op_class = type(next(iter(REGISTRY.values())))
    slot = op_class.__dict__["forward"]
    ran = set()

    class TracedForward:
        """``Op.forward`` for the call: each read of an op's forward (reading it is calling it) notes the op."""

        def __get__(self, op, owner=None):
            if op is None:
                return self
            ran.add(id(op))
            return slot.__get__(op, owner)

        def __set__(self, op, value):
            slot.__set__(op, value)

    op_class.forward = TracedForward()
    try:
        thunk()
    finally:
        op_class.forward = slot
    return {key for key, op in REGISTRY.items() if id(op) in ran}


def _recorded(tensors):
    """The registry keys of the ops recorded in the graphs of ``tensors`` (nodes made without running a
    forward, such as a view's regenerated AsStridedBackward0, included)."""
    ops = {id(n.op) for n in reachable([t.grad_fn for t in tensors if t is not None]) if hasattr(n, "op")}
    return {key for key, op in REGISTRY.items() if id(op) in ops}


@_silenced
def ops_of(case):
    """The registry keys of the ops ``case`` runs in its forward, and in its derivative (written in graphgrad
    ops, with create_graph, so that ops appearing only inside a derivative, such as IndexPutBackward0, count):
    ``(forward, derivative)``, both in float64."""
    xs = case.float64_inputs()
    outs = []
    forward = ops_run_by(lambda: outs.extend(flat(case.call(graphgrad, *xs))))
    outs = [o for o in outs if is_tensor(o) and o.requires_grad]
    forward |= _recorded(outs)
    wrt = [x for x in xs if x.requires_grad]
    if not (outs and wrt and case.grads):
        return forward, set()
    grads = []
    gos = [graphgrad.ones_like(o).requires_grad_() for o in outs]
    derivative = ops_run_by(lambda: grads.extend(graphgrad.autograd.grad(outs, wrt, gos, create_graph=True,
                                                                           allow_unused=True)))
    return forward, derivative | _recorded([g for g in grads if g is not None])


def coverage(cases):
    """For each check, the registry keys of the ops whose derivatives it verifies over ``cases``.

    An op that a case calls is gradchecked when a gradchecked case calls it, gradgradchecked when a
    gradgradchecked case does. An op that only appears inside derivatives (a ...BackwardBackward0) is checked by
    the gradgradcheck of a case whose derivative runs it: its own derivative is what that compares with
    finite differences, so it counts as both gradchecked and gradgradchecked.
    """
    called, inside_derivatives = set(), set()
    covered = {"parity": set(), "gradcheck": set(), "gradgradcheck": set()}
    for case in cases:
        forward, derivative = ops_of(case)
        called |= forward
        covered["parity"] |= forward | derivative
        if case.gradcheck:
            covered["gradcheck"] |= forward
        if case.gradgradcheck:
            covered["gradgradcheck"] |= forward
            inside_derivatives |= derivative
    covered["gradcheck"] |= inside_derivatives
    covered["gradgradcheck"] |= inside_derivatives - called
    return covered

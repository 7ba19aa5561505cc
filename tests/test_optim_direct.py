"""The optimizers' direct array updates against their in-place tensor ops: the same numbers to the bit, the
same version counts and the same noted write sites; and the cases that must take the tensor ops."""

import numpy as np
import pytest

import graphgrad
from graphgrad import optim
from graphgrad._core import jit
from graphgrad.optim import _fused, optimizer

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.02, maximize=True, amsgrad=True, betas=(0.3, 0.5))),
    ("AdamW", dict(lr=0.01, weight_decay=0.3)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True, maximize=True)),
]


def _params(rng, dtype):
    """Parameters of several layouts: a matrix, its transpose (column-major), a vector and a 0-d tensor."""
    m = rng.standard_normal((4, 3)).astype(dtype)
    arrays = [m, np.asfortranarray(rng.standard_normal((3, 5)).astype(dtype)), rng.standard_normal(6).astype(dtype),
              np.asarray(rng.standard_normal(), dtype=dtype)]
    return arrays


def _train(name, cfg, arrays, grads):
    params = [graphgrad.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, a in zip(params, arrays):  # keep each array's layout
        p._data = np.array(a, copy=True, order="K")
    opt = getattr(optim, name)(params, **cfg)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = graphgrad.tensor(g)
        opt.step()  # the same line for both paths, so that the noted write sites compare
    state = [{k: (v._data.copy(), v._version_box[:]) for k, v in opt.state[p].items()} for p in params]
    return [(p._data.copy(), p._version_box[:]) for p in params], state


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "cfg"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_direct_update_is_the_tensor_ops_update(monkeypatch, rng, name, cfg, dtype, fused, loop_threads):
    """Both direct forms (the fused loops on one thread or split into element ranges, the NumPy passes)
    against the in-place tensor ops."""
    arrays = _params(rng, dtype)
    grads = [[rng.standard_normal(a.shape).astype(dtype) for a in arrays] for _ in range(4)]
    grads[1][0][0, 0] = np.inf  # non-finite values travel the same way
    grads[2][2][1] = np.nan
    monkeypatch.setattr(_fused.LOOPS, "enabled", fused)
    direct = _train(name, cfg, arrays, grads)
    if fused and _fused.LOOPS._compiled and (name != "SGD" or cfg.get("momentum")):  # a loop ran: split if asked
        assert bool(loop_threads.splits) == loop_threads.on
    monkeypatch.setattr(optimizer, "DIRECT_ARRAYS", False)
    ops = _train(name, cfg, arrays, grads)
    for (d_arr, d_box), (o_arr, o_box) in zip(direct[0], ops[0]):
        np.testing.assert_array_equal(d_arr, o_arr)
        assert d_box == o_box  # version and the (file, line, op) of the last write
    for d_state, o_state in zip(direct[1], ops[1]):
        assert list(d_state) == list(o_state)
        for key in o_state:
            np.testing.assert_array_equal(d_state[key][0], o_state[key][0], err_msg=key)
            assert d_state[key][1] == o_state[key][1], key


def test_tensor_ops_taken_where_direct_writes_would_differ():
    w = graphgrad.ones(3, requires_grad=True)
    group = {"differentiable": False}
    assert optimizer._direct_arrays(group, w, graphgrad.ones(3)) is not None
    assert optimizer._direct_arrays({"differentiable": True}, w, graphgrad.ones(3)) is None
    assert optimizer._direct_arrays(group, w, graphgrad.ones(3, dtype=graphgrad.float64)) is None
    assert optimizer._direct_arrays(group, w, graphgrad.ones(1)) is None  # broadcast: the op's own rules
    assert optimizer._direct_arrays(group, graphgrad.ones(3, dtype=graphgrad.int64), graphgrad.ones(3)) is None
    base = graphgrad.ones(4)
    assert optimizer._direct_arrays(group, w, base[:3], base[1:]) is None  # overlapping: PyTorch's checks
    assert optimizer._direct_arrays(group, w, base[:3], graphgrad.ones(4)[1:]) is not None  # views, two memories
    assert optimizer._direct_arrays(group, w, base[:2].reshape(2)[:1].expand(3) * 1, base[:3]) is not None
    memory = bytearray(24)  # views of one buffer through two memoryviews: still NumPy's overlap check
    left = graphgrad.from_numpy(np.frombuffer(memoryview(memory), np.float32)[:3])
    right = graphgrad.from_numpy(np.frombuffer(memoryview(memory), np.float32)[2:5])
    assert optimizer._direct_arrays(group, w, left, right) is None
    with graphgrad.inference_mode():
        frozen = graphgrad.ones(3)
    assert optimizer._direct_arrays(group, w, graphgrad.ones(3), frozen) is None


def test_direct_step_keeps_pytorch_error_for_a_saved_weight(torch_ref):
    """A graph that saved the weight refuses backward after a direct step, at the versions PyTorch reports."""
    def run(lib, opt_lib):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        opt = opt_lib.SGD([w], lr=0.1, momentum=0.9)
        out = (lib.tensor([[0.5, -1.0]], requires_grad=True) @ w).sigmoid().sum()
        out.backward(retain_graph=True)
        opt.step()
        with pytest.raises(RuntimeError) as info:
            out.backward()
        return str(info.value).splitlines()[0]

    assert run(graphgrad, optim) == run(torch_ref, torch_ref.optim)


def test_fused_loops_are_used_when_numba_is_installed():
    pytest.importorskip("numba")
    if not jit.ENABLED:
        pytest.skip("GRAPHGRAD_COMPILED_LOOPS=0: the NumPy forms only")
    p, g, buf = (np.ones(4, np.float32) for _ in range(3))
    assert _fused.sgd_momentum(p, g, buf, momentum=0.5, alpha=1.0, neg_lr=-0.1, nesterov=False)
    assert buf.tolist() == [1.5] * 4 and p.tolist() == pytest.approx([0.85] * 4)
    mixed = np.ones((2, 2), np.float32)
    assert not _fused.sgd_momentum(mixed, mixed.T.copy().T, np.ones((2, 2), np.float32), momentum=0.5, alpha=1.0,
                                   neg_lr=-0.1, nesterov=False)  # one operand column-major: the NumPy form


def test_a_loop_that_fails_to_compile_leaves_the_numpy_form(monkeypatch):
    def broken(*args):
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(jit, "ENABLED", True)  # (also under GRAPHGRAD_COMPILED_LOOPS=0)
    monkeypatch.setattr(_fused.LOOPS, "_compiled", {"sgd": broken, "adam": broken})
    p = np.ones(3, np.float32)
    assert not _fused.sgd_momentum(p, p.copy(), p.copy(), momentum=0.5, alpha=1.0, neg_lr=-0.1, nesterov=False)
    assert p.tolist() == [1.0, 1.0, 1.0] and _fused.LOOPS._compiled is False
    w = graphgrad.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.5, momentum=0.9)
    for _ in range(2):
        w.grad = graphgrad.ones(3)
        opt.step()
    assert w.tolist() == pytest.approx([1 - 0.5 - 0.5 * 1.9] * 3)

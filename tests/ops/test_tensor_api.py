"""The Tensor API against real PyTorch: dtypes and type promotion, conversions, factories, memory sharing
with NumPy, reproducible random numbers, and ``repr`` text (equal to PyTorch's once 'graphgrad' reads
'torch')."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphgrad

from .._parity import dtype_name, node_name, same

# --- dtypes and promotion ---------------------------------------------------------------------------
PROMOTION = [
    "T.tensor([1, 2])", "T.tensor([1.0])", "T.tensor([True])", "T.tensor(3)", "T.tensor(3.5)", "T.tensor([1, 2.0])",
    "T.tensor([True, 1])", "T.tensor([[1, 2], [3, 4]])", "T.tensor(np.array([1, 2], dtype=np.int32))",
    "T.tensor(np.array([1.0]))", "T.tensor([1, 2], dtype=T.float16)",
    "i64 + 2", "i64 + 2.5", "f32 + 2.5", "f32 + 2", "i64 * True", "b + b", "b + 1", "b * 1.5",
    "f32 + f64_0d", "i32 + i64_0d", "i32 + f64_0d", "i32 + f64", "f16 + f32", "f16 + 1.5", "u8 + i8",
    "i8 * 1000", "i32 + i64", "f32 + i64", "f64 * i32",
    "i64 / i64", "i64 / 2", "i32 / i32", "i64 // i64", "i64 // 2.0", "i64 % 3", "i64 % 2.5", "-i64", "abs(i32)",
    "i64 ** 2", "i64 ** 2.0", "2 ** i64", "2.0 ** i64", "f32 ** i64", "i64 ** f32_0d",
    "i64 > 1", "f32 == f32", "T.exp(i64)", "T.sqrt(i32)", "T.sin(b)", "T.sigmoid(i64)", "i64.sum()", "b.sum()",
    "i32.sum()", "i32.prod()", "i32.cumsum(0)", "f16.sum()", "i64.max()", "i64.argmax()", "T.relu(i64)",
    "T.where(b, i64, 2.5)", "T.where(b, i64, 2)", "T.where(b, f32, f64)", "T.cat([i32, i64])", "T.cat([i64, f32])",
    "T.stack([i32, i32])", "i64 @ i64", "f32 @ f32", "T.clamp(i64, 0, 1)", "T.clamp(i64, min=0.5)",
    "T.maximum(i32, f32)", "T.minimum(i64, i32)", "i64.float()", "f32.long()", "f32.int()", "f32.bool()",
    "f32.half()", "f32.double()", "f32.to(T.int8)", "f32.type_as(i32)", "i64.mean(dtype=T.float64)",
    "T.result_type(i32, 2.5)", "T.result_type(i32, f64_0d)", "T.result_type(f16, 1)",
    "T.promote_types(T.int32, T.float16)", "T.promote_types(T.uint8, T.int8)", "T.promote_types(T.bool, T.int32)",
    "f32.new_tensor([1, 2])", "f32.new_zeros(2)", "i32.new_ones((2,), dtype=T.float64)",
]


def _operands(T):
    return {
        "T": T, "np": np,
        "i64": T.tensor([1, 2, 3]), "i32": T.tensor([1, 2, 3], dtype=T.int32), "i8": T.tensor([1, 2, 3], dtype=T.int8),
        "u8": T.tensor([1, 2, 3], dtype=T.uint8), "b": T.tensor([True, False, True]),
        "f32": T.tensor([1.0, 2.0, 3.0]), "f64": T.tensor([1.0, 2.0, 3.0], dtype=T.float64),
        "f16": T.tensor([1.0, 2.0, 3.0], dtype=T.float16), "f64_0d": T.tensor(2.0, dtype=T.float64),
        "i64_0d": T.tensor(2), "f32_0d": T.tensor(2.0),
    }


@pytest.mark.parametrize("expr", PROMOTION)
def test_promotion(torch_ref, expr):
    def scenario(T):
        r = eval(expr, _operands(T))
        if hasattr(r, "shape"):  # a tensor: dtype and values
            return {"dtype": dtype_name(r.dtype), "value": r}
        return dtype_name(r)  # a dtype

    same(torch_ref, scenario)


def test_default_dtype_switch(torch_ref):
    def scenario(T):
        T.set_default_dtype(T.float64)
        try:
            r = [dtype_name(T.tensor([1.0]).dtype), dtype_name(T.ones(2).dtype), dtype_name((T.tensor([1]) / 2).dtype),
                 dtype_name(T.get_default_dtype()), dtype_name(T.arange(0.0, 1.0, 0.5).dtype)]
        finally:
            T.set_default_dtype(T.float32)
        return r + [dtype_name(T.get_default_dtype())]

    same(torch_ref, scenario)


def test_dtype_attributes(torch_ref):
    def scenario(T):
        return [[d.is_floating_point, d.is_signed, d.itemsize] for d in
                (T.float16, T.float32, T.float64, T.int8, T.uint8, T.int16, T.int32, T.int64, T.bool)] + [
            T.float is T.float32, T.double is T.float64, T.long is T.int64, T.half is T.float16, T.int is T.int32]

    same(torch_ref, scenario)


# --- metadata and conversions ----------------------------------------------------------------------
def test_shape_and_size(torch_ref):
    def scenario(T):
        t = T.zeros(2, 3, 4)
        return [tuple(t.shape), tuple(t.size()), t.size(1), t.size(-1), t.dim(), t.ndim, t.numel(), len(t),
                t.shape == (2, 3, 4), t.shape[1:] == (3, 4), t.size()[0], t.shape.numel(), t.nelement(),
                repr(t.shape), isinstance(t.shape, tuple),
                t.is_floating_point(), str(t.device), t.is_contiguous(), t.t().is_contiguous() if t.dim() == 2
                else t.transpose(0, 1).is_contiguous(), t.element_size(), t.stride(), t.transpose(0, 2).stride()]

    same(torch_ref, scenario)


def test_size_dim_out_of_range(torch_ref):
    same(torch_ref, lambda T: T.zeros(2, 3).size(2))


def test_conversions(torch_ref):
    def scenario(T):
        t = T.tensor([[1.5, -2.0], [3.25, 0.0]])
        i = T.tensor([3])
        return {
            "to": [dtype_name(t.to(T.float64).dtype), dtype_name(t.to(i).dtype), dtype_name(t.to("cpu").dtype),
                   dtype_name(t.to(device="cpu", dtype=T.int32).dtype), t.to(T.float32) is t,
                   t.to("cpu") is t],
            "casts": [t.float(), t.double(), t.long(), t.int(), t.bool(), t.half(), t.type_as(i),
                      t.type(T.float64)],
            "type": t.type(),
            "item": [T.tensor(2.5).item(), type(T.tensor(2.5).item()).__name__, i.item(),
                     type(i.item()).__name__, T.tensor(True).item(), type(T.tensor([1.0]).item()).__name__],
            "builtins": [float(T.tensor(2.5)), int(T.tensor(7)), bool(T.tensor([1])), int(T.tensor([2.9]))],
            "tolist": [t.tolist(), i.tolist(), T.tensor(5).tolist(), T.tensor([True]).tolist()],
            "index": [[10, 20, 30][T.tensor(1)], list(range(5))[T.tensor(2):]],
        }

    same(torch_ref, scenario)


def test_clone_and_contiguous(torch_ref):
    def scenario(T):
        a = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        c = a.clone()
        nc = a.t()
        k = nc.contiguous()
        same_obj = a.contiguous() is a
        (c * 2 + k).sum().backward()
        with T.no_grad():
            c.add_(1)
        return {"a": a, "c": c, "k": k, "grad": a.grad, "same": same_obj, "contig": [nc.is_contiguous(),
                                                                                    k.is_contiguous()]}

    same(torch_ref, scenario)


def test_numpy_bridge(torch_ref):
    def scenario(T):
        arr = np.array([1.0, 2.0, 3.0], dtype=np.float32)
        t = T.from_numpy(arr)
        arr[0] = 10.0  # shared: visible in t
        t[1] = 20.0  # and back
        n = t.numpy()
        n[2] = 30.0
        asarr = np.asarray(t)
        asarr[0] = -1.0
        f64 = T.from_numpy(np.arange(3.0))
        i = T.from_numpy(np.arange(3))
        d = T.ones(2, requires_grad=True)
        return {"t": t, "arr": arr.tolist(), "f64": dtype_name(f64.dtype), "int": dtype_name(i.dtype),
                "asarray_dtype": str(np.asarray(T.ones(2, dtype=T.float64)).dtype),
                "detached_numpy": d.detach().numpy().tolist(), "array_of_tensor": np.array(T.tensor([1, 2])).tolist(),
                "as_tensor_shares": _as_tensor_shares(T), "tensor_copies": _tensor_copies(T)}

    same(torch_ref, scenario)


def _as_tensor_shares(T):
    arr = np.zeros(2, dtype=np.float32)
    t = T.as_tensor(arr)
    arr[0] = 5
    return t.tolist()


def _tensor_copies(T):
    arr = np.zeros(2, dtype=np.float32)
    t = T.tensor(arr)
    arr[0] = 5
    return t.tolist()


def test_numpy_requires_grad_error_and_asarray(torch_ref):
    same(torch_ref, lambda T: np.asarray(T.ones(2, requires_grad=True)))


def test_from_numpy_unsupported_dtype(torch_ref):
    same(torch_ref, lambda T: T.from_numpy(np.array(["a"])))


# --- factories --------------------------------------------------------------------------------------
FACTORIES = [
    "T.zeros(2, 3)", "T.zeros((2, 3), dtype=T.float64)", "T.zeros([2], dtype=T.int32)",
    "T.ones(3, requires_grad=True)",
    "T.ones(2, 2, dtype=T.bool)", "T.full((2, 2), 3)", "T.full((2,), 3.0)", "T.full((2,), True)",
    "T.full((2,), 1.5, dtype=T.float64, requires_grad=True)", "T.empty(2, 3).shape", "T.eye(3)", "T.eye(2, 3)",
    "T.eye(2, dtype=T.int64)", "T.arange(5)", "T.arange(1, 4)", "T.arange(0.0, 1.0, 0.25)", "T.arange(1, 4, 0.5)",
    "T.arange(5, dtype=T.float64)", "T.arange(10, 0, -3)", "T.linspace(0, 1, 5)",
    "T.linspace(-1, 1, 4, dtype=T.float64)",
    "T.zeros_like(i)", "T.ones_like(f, dtype=T.float64)", "T.full_like(f, 7)", "T.full_like(i, 2.7)",
    "T.empty_like(f).shape", "T.zeros_like(f, requires_grad=True)", "T.tensor([[1, 2]], dtype=T.float32)",
    "T.tensor(f)", "T.as_tensor([1, 2])", "T.as_tensor(f, dtype=T.float64)", "T.Tensor([1, 2])", "T.Tensor(2, 3).shape",
    "T.FloatTensor([1, 2])", "T.LongTensor([1, 2])", "T.zeros(0)", "T.zeros(2, 0)", "T.tensor([])",
    "T.rand(2, 3).shape", "T.rand(2, dtype=T.float64).dtype", "T.randn(4).dtype", "T.randint(0, 10, (3,)).dtype",
    "T.randint(5, (2, 2)).shape", "T.randperm(5).sort()[0]", "T.randperm(4).dtype",
    "T.normal(0.0, 1.0, size=(2,)).shape",
    "T.normal(T.zeros(3), T.ones(3)).shape", "T.rand_like(f).dtype", "T.randn_like(f).shape",
    "T.ones(2, requires_grad=True).is_leaf", "T.zeros(2, device='cpu')",
]


@pytest.mark.parametrize("expr", FACTORIES)
def test_factories(torch_ref, expr):
    def scenario(T):
        r = eval(expr, {"T": T, "f": T.tensor([1.0, 2.0]), "i": T.tensor([1, 2])})
        if hasattr(r, "requires_grad"):
            return {"dtype": dtype_name(r.dtype), "value": r, "requires_grad": r.requires_grad, "leaf": r.is_leaf}
        if hasattr(r, "is_floating_point"):
            return dtype_name(r)
        return tuple(r) if isinstance(r, tuple) else r

    same(torch_ref, scenario)


@pytest.mark.parametrize("expr", ["T.zeros(-1)", "T.arange(0, 1, 0)", "T.tensor([1, 2], requires_grad=True)",
                                  "T.tensor([[1, 2], [3]])", "T.ones(2, dtype=T.int64, requires_grad=True)"])
def test_factory_errors(torch_ref, expr):
    same(torch_ref, lambda T: eval(expr, {"T": T}))


def test_manual_seed_reproducible():
    def draw():
        return [graphgrad.rand(3).tolist(), graphgrad.randn(2, 2).tolist(), graphgrad.randint(0, 100, (4,)).tolist(),
                graphgrad.randperm(6).tolist(), graphgrad.normal(0.0, 1.0, size=(2,)).tolist(),
                graphgrad.empty(3).normal_().tolist(), graphgrad.empty(3).uniform_(-1, 1).tolist(),
                graphgrad.rand_like(graphgrad.zeros(2)).tolist()]

    graphgrad.manual_seed(1234)
    first = draw()
    graphgrad.manual_seed(1234)
    assert draw() == first
    graphgrad.manual_seed(4321)
    assert draw() != first
    g = graphgrad.Generator().manual_seed(7)
    a = graphgrad.rand(3, generator=g).tolist()
    assert graphgrad.rand(3, generator=graphgrad.Generator().manual_seed(7)).tolist() == a
    state = graphgrad.get_rng_state()
    x = graphgrad.rand(4).tolist()
    graphgrad.set_rng_state(state)
    assert graphgrad.rand(4).tolist() == x
    assert graphgrad.initial_seed() == 4321


def test_random_distributions_look_right():
    graphgrad.manual_seed(0)
    u = graphgrad.rand(20000)
    n = graphgrad.randn(20000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.01
    assert abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    r = graphgrad.randint(3, 7, (1000,))
    assert set(r.tolist()) == {3, 4, 5, 6}
    assert sorted(graphgrad.randperm(50).tolist()) == list(range(50))


# --- repr ---------------------------------------------------------------------------------------------
REPRS = [
    "T.tensor([1, 2, 3])", "T.tensor([0.5403])", "T.tensor([1.0, 2.0])", "T.tensor([1.5, -2.25, 3.0])",
    "T.tensor(3.0)", "T.tensor(7)", "T.tensor(True)", "T.tensor([True, False])", "T.tensor([-1, 100, 2000])",
    "T.tensor([1e-5, 1.0])", "T.tensor([1e10, 1.0])", "T.tensor([1e-10, 2e-10])", "T.tensor([123456.0, 1.5])",
    "T.tensor([0.001, 1000.0])", "T.tensor([0.0001, 1.0])", "T.tensor([1.0, 1000.5])", "T.tensor([100.0, 200.0])",
    "T.tensor([1e8, 1.0])", "T.tensor([-0.0, 0.0])", "T.tensor([float('nan'), 1.0])",
    "T.tensor([float('inf'), -float('inf'), 1.5])", "T.tensor([float('nan')])", "T.tensor([0.1, 0.2, 0.3])",
    "T.tensor([[1.0, 2.0], [3.0, 4.0]])", "T.tensor([[1, 2], [30, 4]])", "T.arange(24.0).reshape(2, 3, 4)",
    "T.arange(24).reshape(2, 3, 4) - 5", "T.arange(16.0).reshape(2, 2, 2, 2) / 3",
    "T.arange(2000.0)", "T.arange(2000)", "T.arange(1600.0).reshape(40, 40)", "T.arange(3000.0).reshape(10, 10, 30)",
    "T.arange(30.0) / 7", "T.arange(100)", "T.linspace(0, 1, 25)", "T.arange(12.0).reshape(3, 4) * 1e6",
    "T.tensor([1.0, 2.0], requires_grad=True)", "T.tensor([1.0, 2.0], requires_grad=True) * 2",
    "T.tensor([1.0], requires_grad=True).sum()", "T.tensor([1.0, 2.0], dtype=T.float64)",
    "T.tensor([1, 2], dtype=T.int32)", "T.tensor([1.5], dtype=T.float16)", "T.tensor([1, 2], dtype=T.uint8)",
    "T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)",
    "T.tensor([2.5], dtype=T.float64, requires_grad=True) * 2",
    "T.tensor([])", "T.zeros(0, 3)", "T.zeros(2, 0, dtype=T.int64)", "T.tensor([], dtype=T.float64)",
    "T.zeros(3, 1)", "T.ones(1, 1, 1)", "T.tensor([[True, False], [False, True]])",
    "T.tensor([0.12345678])", "T.tensor([1.23456789e-3, 5.0])", "T.tensor([12345678.0])",
    "T.tensor([-5.5, 1.0, -0.25])", "T.tensor(-0.5)", "T.tensor(1e-8)", "T.tensor(2.0, requires_grad=True)",
    "T.tensor([3.0]).view(1, 1, 1, 1)", "T.eye(3)", "T.arange(10.0).reshape(2, 5).t()",
]


@pytest.mark.parametrize("expr", REPRS)
def test_repr_matches_torch(torch_ref, expr):
    g = repr(eval(expr, {"T": graphgrad})).replace("graphgrad", "torch")
    t = repr(eval(expr, {"T": torch_ref}))
    assert g == t, f"\ngraphgrad:\n{g}\ntorch:\n{t}"


def test_str_and_format(torch_ref):
    def scenario(T):
        t = T.tensor([1.5, 2.0])
        return [str(t), f"{T.tensor(2.5):.2f}", str(T.tensor(3))]

    same(torch_ref, scenario)


def test_cuda_and_device(torch_ref):
    def scenario(T):
        t = T.ones(2, device="cpu")
        return [T.cuda.is_available(), str(t.device), t.device.type, t.cpu() is t, t.is_cuda, str(T.device("cpu"))]

    same(torch_ref, scenario)


CUDA_CALLS = {
    "to_str": lambda T: T.ones(2).to("cuda"), "to_index": lambda T: T.ones(2).to("cuda:0"),
    "to_device": lambda T: T.ones(2).to(T.device("cuda")), "to_kw": lambda T: T.ones(2).to(device="cuda"),
    "to_dtype": lambda T: T.ones(2).to("cuda", T.float64),
    "to_non_blocking": lambda T: T.ones(2).to("cuda", non_blocking=True),
    "cuda": lambda T: T.ones(2).cuda(), "cuda_int": lambda T: T.ones(2).cuda(0),
    "cuda_str": lambda T: T.ones(2).cuda("cuda:1"), "pin_memory": lambda T: T.ones(2).pin_memory(),
    "to_xpu": lambda T: T.ones(2).to("xpu"), "to_mps": lambda T: T.ones(2).to("mps"),
    "to_unknown": lambda T: T.ones(2).to("gpu"), "to_bad_index": lambda T: T.ones(2).to("cuda:x"),
    "ones": lambda T: T.ones(2, device="cuda"), "tensor": lambda T: T.tensor([1.0], device="cuda"),
    "randn": lambda T: T.randn(2, device="cuda"), "arange": lambda T: T.arange(2, device="cuda"),
    "zeros_like": lambda T: T.zeros_like(T.ones(2), device="cuda"),
    "full_like": lambda T: T.full_like(T.ones(2), 3.0, device="cuda"),
    "new_ones": lambda T: T.ones(2).new_ones(2, device="cuda"),
    "new_tensor": lambda T: T.ones(2).new_tensor([1.0], device="cuda"),
    "current_device": lambda T: T.cuda.current_device(), "get_device_name": lambda T: T.cuda.get_device_name(),
    "devices": lambda T: [repr(T.device("cuda")), str(T.device("cuda:1")), repr(T.device("cuda", 1)),
                          T.device("cuda:0") == T.device("cuda", 0), T.device("cpu") == T.device("cpu:0"),
                          T.device("mps").type, T.cuda.memory_allocated(), T.cuda.is_initialized(),
                          str(T.ones(2).to("cpu").device), str(T.ones(2).to(device="cpu:0").device)],
    "device_int": lambda T: T.device(0), "device_negative": lambda T: T.device("cuda:-1"),
}


@pytest.mark.parametrize("name", list(CUDA_CALLS))
def test_cuda_on_a_cpu_only_build(torch_ref, name):
    """Putting a tensor on the GPU raises what a CPU-only PyTorch raises (``AssertionError: Torch not compiled
    with CUDA enabled``), while ``device("cuda")`` itself is a valid object."""
    same(torch_ref, CUDA_CALLS[name])


def test_special_values_without_warnings(torch_ref):
    """log(-1), 1/0, sqrt(-1) give nan/inf silently, as in PyTorch (NumPy's RuntimeWarnings are not shown; the
    cases of every op are in tests/test_silent_nan_arithmetic.py)."""
    import warnings

    def scenario(T):
        x = T.tensor([-1.0, 0.0, 2.0])
        return [x.log(), 1 / x, x.sqrt(), x / x, T.tensor([1e30]) * 1e30, x.rsqrt(), x.pow(-1)]

    same(torch_ref, scenario)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario(graphgrad)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]


MISC = {
    "int_abs_sign_clamp": lambda T: [T.tensor([-1, 2]).abs(), T.tensor([-1, 2]).sign(), T.tensor([-3, 2]).clamp(-1, 1)],
    "int_reductions": lambda T: [T.tensor([1, 2]).sum(dtype=T.float32), T.tensor([1, 2]).mean(dtype=T.float64),
                                 T.tensor([1, 2]).cumsum(0), T.tensor([1, 5]).max(), T.tensor([[1, 5]]).max(1),
                                 T.tensor([2, 3]).prod(), T.tensor([1, 2]).logsumexp(0)],
    "bool_ops": lambda T: [T.tensor([True, False]).sum(), T.tensor([True, False]).float(), ~T.tensor([True]),
                           T.tensor([True]) & T.tensor([False]), T.tensor([[True, False], [True, True]]).sum(0),
                           T.tensor([True, True]).cumsum(0), T.tensor([True, False]).max()],
    "float16": lambda T: [(T.tensor([1.5], dtype=T.float16) * 2).dtype, T.tensor([1.5], dtype=T.float16).sum().dtype],
    "len_iter_contains": lambda T: [len(T.ones(3, 2)), [tuple(t.shape) for t in T.ones(3, 2)],
                                    2.0 in T.tensor([1.0, 2.0]), 5 in T.tensor([1, 2])],
    "bool_hash": lambda T: [bool(T.tensor([0.0])), bool(T.tensor(2)), len({T.ones(1), T.ones(1)})],
    "max_two_tensors": lambda T: T.max(T.tensor([1.0, 5.0]), T.tensor([3.0, 2.0])),
    "reductions_args": lambda T: [T.ones(2, 3).sum(dim=None), T.ones(2, 3).mean(1, True),
                                  T.tensor([1.0, 2.0, 4.0]).std(False), T.ones(2, 3).var([0, 1])],
    "new_factories": lambda T: [T.ones(2, dtype=T.float64).new_ones(3), T.ones(2).new_full((2,), 7),
                                tuple(T.ones(2).new_empty((2,)).shape)],
    "shapes": lambda T: [tuple(T.ones(2, 3).permute(-1, 0).shape), T.ones(3).expand(-1, 3).shape[0],
                         [tuple(t.shape) for t in T.ones(2, 5).split([2, 3], 1)],
                         [tuple(t.shape) for t in T.ones(2, 3).unbind(-1)],
                         [tuple(t.shape) for t in T.ones(5).chunk(3)],
                         [tuple(t.shape) for t in T.ones(2).chunk(5)], tuple(T.ones(2, 1).squeeze(-1).shape),
                         tuple(T.tensor(2.0).flatten().shape), tuple(T.tensor(2.0).reshape(-1).shape),
                         tuple(T.ones(0, 3).view(-1, 3).shape), tuple(T.stack([T.ones(2), T.ones(2)], -1).shape),
                         tuple(T.cat([T.ones(0), T.ones(2)]).shape)],
    "indexing": lambda T: [T.arange(5)[[-1, -2]], T.arange(5)[T.tensor(2)], tuple(T.arange(3)[True].shape),
                           T.arange(6.0).reshape(2, 3).gather(-1, T.tensor([[2], [0]])),
                           T.arange(6.0).reshape(2, 3).index_select(-1, T.tensor([2, 0]))],
    "setitem": lambda T: [_set(T.zeros(2, 3), slice(None), T.tensor([1.0, 2.0, 3.0])),
                          _set(T.arange(4.0), T.arange(4.0) > 1, T.tensor(9.0)), _set(T.zeros(3), 1, True)],
    "where_mixed": lambda T: [T.where(T.tensor([True, False]), 1.0, 0),
                              T.where(T.tensor([True, False]), T.tensor([1, 2]), T.tensor([0.5, 0.5]))],
    "mixed_dtypes": lambda T: [T.tensor([1, 5]).clamp(min=2.5), T.tensor([2, 4]) ** -0.5],
    "factories_more": lambda T: [tuple(T.arange(0, 1, 0.1).shape), T.linspace(0, 1, 1),
                                 T.tensor([T.tensor(1.0), T.tensor(2.0)]), T.tensor(np.float64(2.5)).dtype,
                                 T.tensor(np.int32(2)).dtype, T.tensor([np.float32(1), np.float32(2)]).dtype,
                                 T.full((2,), False).dtype, tuple(T.zeros(T.Size([2, 3])).shape),
                                 T.ones_like(T.ones(2, requires_grad=True)).requires_grad],
    "versions": lambda T: [(lambda a: (a.detach().add_(1), a._version)[1])(T.ones(2)),
                           (lambda a: (a.clone().add_(1), a._version)[1])(T.ones(2))],
    "sorting": lambda T: [T.tensor([2, 1, 2, 1]).argsort(stable=True),
                          T.tensor([3.0, 1.0, 2.0]).topk(2, largest=False)],
    "logic_more": lambda T: [T.isclose(T.tensor([float("nan")]), T.tensor([float("nan")]), equal_nan=True),
                             T.tensor([1.0, 0.0]).all(), T.tensor([[1.0, 0.0]]).any(1, keepdim=True)],
    "inplace_unary_more": lambda T: [T.tensor([-1.5, 0.3, 2.7]).frac_(), T.tensor([-1.5, 0.3, 2.5]).round_(),
                                     T.tensor([2]).square_(), T.tensor([2]).round_(), T.tensor([1, 2]).bitwise_not_(),
                                     T.tensor([True, False]).bitwise_not_(), T.tensor([1.5, 0.0]).logical_not_(),
                                     T.tensor([1, 0]).logical_not_()],
    "logical_not__keeps_history": lambda T: (lambda x: (lambda y: (y.logical_not_(), y.grad_fn.name(),
                                                                   y.requires_grad, y._version))(x * 2))(
        T.ones(2, requires_grad=True)),
    "cummax_cummin": lambda T: [T.tensor([[1.0, 3.0, 2.0, 3.0], [float("nan"), 0.0, -1.0, 5.0]]).cummax(1),
                                T.tensor([[1.0, 3.0, 2.0, 3.0], [float("nan"), 0.0, -1.0, 5.0]]).cummin(0),
                                T.tensor([1, 3, 3, 2]).cummax(0), T.tensor(2.0).cummin(0),
                                repr(T.ones(0).cummax(0)), T.ones(2, 0).logcumsumexp(1)],
    "to_copy": lambda T: (lambda a: a.to(T.float32, copy=True) is a)(T.ones(2)),
    "norm_int_error": lambda T: T.tensor([3, 4]).norm(),
    "matmul_dtype_error_dot": lambda T: T.tensor([1, 2]) @ T.tensor([1.0, 2.0]),
    "matmul_dtype_error_mm": lambda T: T.ones(2, 3) @ T.ones(3, 2, dtype=T.float64),
    "matmul_dtype_error_mv": lambda T: T.ones(2, 3) @ T.ones(3, dtype=T.float64),
    "matmul_dtype_error_bmm": lambda T: T.ones(2, 2, 3) @ T.ones(2, 3, 2, dtype=T.float64),
}


def _set(t, idx, v):
    t[idx] = v
    return t


@pytest.mark.parametrize("name", list(MISC))
def test_misc_api(torch_ref, name):
    same(torch_ref, MISC[name])


# --- x.T / x.mT / x.mH / x.H / adjoint() on tensors that are not matrices ------------------------------------
def _transposed(expr):
    def scenario(T):
        t = eval(expr, {"T": T, "x0": T.tensor(1.0, requires_grad=True), "x1": T.ones(3, requires_grad=True),
                        "x2": T.ones(2, 3, requires_grad=True), "x3": T.ones(2, 3, 4, requires_grad=True)})
        return {"shape": tuple(t.shape), "grad_fn": None if t.grad_fn is None else t.grad_fn.name()}

    return scenario


TRANSPOSES = ["x0.T", "x1.T", "x2.T", "x3.T", "x0.mT", "x1.mT", "x2.mT", "x3.mT", "x0.mH", "x1.mH", "x3.mH",
              "x0.H", "x1.H", "x2.H", "x3.H", "x0.adjoint()", "x1.adjoint()", "x3.adjoint()", "T.adjoint(x2)",
              "x3.t()"]


@pytest.mark.parametrize("expr", TRANSPOSES)
def test_transpose_properties_on_any_ndim(torch_ref, expr):
    """Shapes, grad_fn names and errors (``x1.mT``: PyTorch's RuntimeError, not an internal IndexError);
    PyTorch warns once per process for some of these, so the warnings are compared separately."""
    from .._parity import compare, observe

    g, _ = observe(_transposed(expr), graphgrad)
    t, _ = observe(_transposed(expr), torch_ref)
    compare(g, t)


def test_transpose_deprecation_warnings_once(torch_ref, monkeypatch):
    """The deprecation warnings of ``x.T`` (ndim not 2) and of 0-D ``mT``/``mH``/``H``/``adjoint``: PyTorch's
    text, once per process (PyTorch's are compared in a fresh interpreter, where none has fired yet)."""
    import subprocess
    import sys
    import warnings

    from graphgrad.ops import shape

    code = ("import warnings, torch\nwarnings.simplefilter('always')\n"
            "x0, x3 = torch.tensor(1.0), torch.ones(2, 3, 4)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    for _ in range(2): x0.T; x3.T; x0.mT; x0.mH; x0.H; x0.adjoint(); torch.ones(3).T\n"
            "print('\\n'.join(str(m.message) for m in w))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    expected = [re.sub(r" \(Triggered internally at [^)]*\)$", "", m) for m in out.strip().splitlines()]
    assert len(expected) == 6

    monkeypatch.setattr(shape, "_WARNED", set())
    x0, x3 = graphgrad.tensor(1.0), graphgrad.ones(2, 3, 4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            x0.T, x3.T, x0.mT, x0.mH, x0.H, x0.adjoint(), graphgrad.ones(3).T  # noqa: B018
    assert [str(m.message) for m in w] == expected
    assert all(m.filename == __file__ for m in w)  # reported at the caller's line


def _var_std_grad(op, shape, dim, correction):
    def scenario(T):
        x = T.tensor(np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) if shape else 1.0,
                     requires_grad=True)
        y = getattr(x, op)(dim, correction=correction)
        y.sum().backward()
        return y, x.grad

    return scenario


@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("shape, dim, correction", [
    ((1, 2), 0, 1), ((1, 2), 1, 2), ((1, 2), 1, 3), ((2,), None, 2), ((2,), None, 3), ((2,), 0, 3),
    ((), None, 1), ((), 0, 1), ((), 0, 0), ((1, 2), 0, 0), ((2, 3), (0, 1), 6),
])
def test_var_std_without_degrees_of_freedom(torch_ref, op, shape, dim, correction):
    """No degrees of freedom left: nan/inf values and gradients as PyTorch's, and its UserWarning."""
    if op.endswith("_mean"):
        def scenario(T):
            x = T.tensor(np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) if shape else 1.0,
                         requires_grad=True)
            v, m = getattr(T, op)(x, dim, correction=correction)
            (v.sum() + m.sum()).backward()
            return v, m, x.grad
    else:
        scenario = _var_std_grad(op, shape, dim, correction)
    same(torch_ref, scenario)


@pytest.mark.parametrize("expr", [
    "T.ones(2, 0).logsumexp(-1)", "T.ones(0).logsumexp(0)", "T.ones(0, 2).logsumexp(0)",
    "T.ones(2, 0).amax(-1)", "T.ones(2, 0).amin(1)", "T.ones(0, 2).amax(0)", "T.ones(2, 0, 3).amax((2, -2))",
    "T.ones(2, 0).amax()", "T.ones(2, 0).amin([])", "T.ones(2, 0).amax(0)",
    "T.ones(2, 0).max(-1)", "T.ones(0, 2).min(0)", "T.ones(2, 0).max(0)", "T.ones(2, 0).argmax(-1)",
    "T.ones(0, 2).argmin(-2)", "T.ones(2, 0).argmax()", "T.ones(0).argmin()", "T.ones(2, 0).argmax(0)",
    "T.ones(2, 0).sum(-1)", "T.ones(2, 0).mean(-1)", "T.ones(2, 0).prod(-1)", "T.ones(2, 0).std(-1)",
    "T.ones(0, 2).var(1)", "T.ones(2, 0).var(1, correction=0)",
])
def test_reductions_over_an_empty_dimension(torch_ref, expr):
    def scenario(T):
        x = T.ones(1, requires_grad=True)
        out = eval(expr, {"T": T})
        out = (out[0] if isinstance(out, tuple) else out) + x.sum() * 0
        out.sum().backward()
        return out, x.grad

    same(torch_ref, scenario)


UNARY_0D = ["neg", "abs", "sign", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
            "reciprocal", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid",
            "relu", "erf", "floor", "ceil", "trunc", "frac", "round"]


@pytest.mark.parametrize("name", UNARY_0D)
@pytest.mark.parametrize("value", [0.22, -0.7])
def test_unary_ops_on_0d_tensors(torch_ref, name, value):
    """NumPy ufuncs give a scalar for a 0-d array: each op keeps a 0-d tensor, forward and backward."""
    def scenario(T):
        x = T.tensor(value, dtype=T.float64, requires_grad=True)
        y = getattr(x, name)()
        y.backward()
        return y, x.grad, getattr(T.tensor(3), name)() if name not in ("frac",) else None

    same(torch_ref, scenario, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("expr", [
    "x.max(0)", "x.min(-1, keepdim=True)", "x.sort()", "x.sort(descending=True)", "x.topk(2)", "x.kthvalue(2)",
    "x.mode()", "x.median(0)", "s.max(0)", "s.median(0)", "s.mode()", "s.kthvalue(1)", "s.sort()",
])
def test_named_result_tuples(torch_ref, expr):
    """``(values, indices)`` results are PyTorch's return_types: repr, type name, fields, unpacking, indexing,
    and gradients through the values."""
    def scenario(T):
        x = T.tensor([[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]], requires_grad=True)
        s = T.tensor(2.0, requires_grad=True)
        r = eval(expr, {"x": x, "s": s})
        values, indices = r
        r.values.sum().backward()
        leaf = x if expr.startswith("x") else s
        return [repr(r), type(r).__name__, isinstance(r, tuple), len(r), r[0] is values, r[-1] is r.indices,
                r.values is values, node_name(values.grad_fn), leaf.grad, type(r)((indices, values)).indices]

    same(torch_ref, scenario)


def test_flip_and_tile_take_dims_as_separate_arguments(torch_ref):
    """``x.flip(0, 1)`` and ``x.tile(2, 1)``: the methods take the dims as a tuple, as varargs or by keyword."""
    import graphgrad

    def run(T):
        x = T.arange(6.0).reshape(2, 3)
        return [x.flip(0, 1).tolist(), x.flip((0, 1)).tolist(), x.flip(dims=(0,)).tolist(), x.flip(1).tolist(),
                list(x.tile(2, 1).shape), list(x.tile((2,)).shape), list(x.tile(dims=(1, 2)).shape)]

    assert run(graphgrad) == run(torch_ref)

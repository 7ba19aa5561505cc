"""The APIs PyTorch's CPU build answers on a machine without a GPU: same answers, same errors, same numbers."""

import warnings

import numpy as np
import pytest

import graphgrad as gg


def _outcome(call):
    """(kind, value) of a call: its result, or its exception's type name and first line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", call())
    except Exception as e:  # noqa: BLE001 - the exception is the answer being compared
        return (type(e).__name__, str(e).split("\n")[0])


def _norm(v):
    if v is not None and type(v).__name__ == "device":
        return str(v)
    return v


def _same(torch, expr):
    """``expr`` evaluated with ``t`` bound to graphgrad and to torch gives the same outcome."""
    mine = _outcome(lambda: eval(expr, {"t": gg}))
    theirs = _outcome(lambda: eval(expr, {"t": torch}))
    assert (mine[0], _norm(mine[1])) == (theirs[0], _norm(theirs[1])), expr


QUERIES = [
    "t.accelerator.is_available()", "t.accelerator.current_accelerator()", "t.accelerator.device_count()",
    "t.accelerator.current_accelerator(check_available=True)", "t.accelerator.current_device_index()",
    "t.accelerator.set_device_index(0)", "t.accelerator.synchronize()", "t.accelerator.memory_allocated()",
    "t.accelerator.empty_cache()", "t.accelerator.reset_peak_memory_stats()", "t.accelerator.get_memory_info()",
    "t.backends.mps.is_available()", "t.backends.mps.is_built()", "t.backends.cudnn.is_available()",
    "t.backends.cudnn.enabled", "t.backends.cudnn.benchmark", "t.backends.cudnn.deterministic",
    "t.backends.cudnn.allow_tf32", "t.backends.cudnn.version()", "t.backends.cuda.is_built()",
    "t.backends.cuda.matmul.allow_fp16_reduced_precision_reduction", "t.backends.cuda.matmul.nonexistent",
    "t.backends.cuda.flash_sdp_enabled()", "t.backends.cuda.math_sdp_enabled()",
    "t.backends.mkldnn.is_available()", "t.backends.mkldnn.enabled", "t.backends.openmp.is_available()",
    "t.backends.mkl.is_available()",
    "t.cuda.is_available()", "t.cuda.device_count()", "t.cuda.is_bf16_supported()",
    "t.cuda.memory_allocated()", "t.cuda.max_memory_allocated()", "t.cuda.memory_reserved()",
    "t.cuda.memory_allocated('cpu')", "t.cuda.empty_cache()", "t.cuda.synchronize()", "t.cuda.synchronize('cpu')",
    "t.cuda.reset_peak_memory_stats()", "t.cuda.reset_peak_memory_stats('cpu')", "t.cuda.set_device(0)",
    "t.cuda.set_device('cuda:1')", "t.cuda.set_device('cuda')", "t.cuda.set_device('cpu')", "t.cuda.set_device(-1)",
    "t.cuda.current_device()", "t.cuda.get_device_name()", "t.cuda.manual_seed(0)", "t.cuda.Stream()",
    "t.cuda.reset_accumulated_memory_stats()", "dict(t.cuda.memory_stats())",
    "t.get_float32_matmul_precision()", "t.set_default_device('cpu')", "t.get_default_device()",
    "t.set_num_threads(0)", "t.set_num_threads('a')",
    "t.ones(2).is_cuda", "t.ones(2).is_cpu", "t.ones(2).is_xpu", "t.ones(2).is_mps", "t.ones(2).is_meta",
    "t.ones(2).is_quantized", "t.ones(2).is_nested", "t.ones(2).is_mkldnn",
    "t.is_autocast_enabled()", "t.is_autocast_enabled('cpu')", "t.autocast(3)", "t.autocast('nope')",
    "t.inf", "t.pi", "t.e", "t.newaxis", "repr(t.finfo())", "repr(t.finfo(t.float16))", "repr(t.finfo(t.float64))",
    "repr(t.iinfo(t.int32))", "repr(t.iinfo(t.uint8))", "repr(t.iinfo(t.int64))", "t.finfo(t.int32)",
    "t.iinfo(t.float32)", "t.iinfo(t.bool)", "t.finfo(t.bool)",
    "t.version.cuda", "t.version.hip", "t.version.rocm", "t.version.xpu", "t.version.debug",
    "t.distributed.get_default_backend_for_device('cpu')", "t.distributed.get_default_backend_for_device('cuda')",
    "t.distributed.get_default_backend_for_device(t.device('mps'))",
    "t.distributed.get_default_backend_for_device('meta')", "t.distributed.get_default_backend_for_device('xyz')",
    "t.distributed.is_nccl_available()", "t.cuda.stream(None).__enter__()",
    "t.cuda.stream(None).__exit__(None, None, None)",
    "[(f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype) for f in "
    "[t.finfo(t.float16), t.finfo(t.float32), t.finfo(t.float64)]]",
    "[(i.bits, i.max, i.min, i.dtype) for i in [t.iinfo(d) for d in (t.uint8, t.int8, t.int16, t.int32, t.int64)]]",
    "t.jit.is_scripting()", "t.onnx.is_in_onnx_export()", "t.cpu.is_available()", "t.cpu.device_count()",
    "t.cuda.amp.GradScaler(enabled=False).state_dict()", "t.amp.GradScaler().is_enabled()",
    "t.amp.GradScaler().get_scale()", "t.amp.GradScaler('cpu').get_scale()",
    "t.amp.GradScaler('cpu').state_dict()", "t.amp.GradScaler('cpu', growth_factor=1.0)",
    "t.amp.GradScaler('cpu', backoff_factor=1.0)", "t.amp.GradScaler('cpu').update()",
    "t.amp.GradScaler('cpu').load_state_dict({})", "t.amp.GradScaler(enabled=False).get_growth_factor()",
]


@pytest.mark.parametrize("expr", QUERIES)
def test_answers_as_pytorch_cpu_build(torch_ref, expr):
    _same(torch_ref, expr)


def test_nan_constant():
    assert np.isnan(gg.nan)


def test_switches_are_recorded_and_restored(torch_ref):
    for lib in (gg, torch_ref):
        lib.backends.cudnn.benchmark = True
        assert lib.backends.cudnn.benchmark is True
        with lib.backends.cudnn.flags(enabled=False):
            assert lib.backends.cudnn.enabled is False
        assert lib.backends.cudnn.enabled is True
        lib.backends.cudnn.benchmark = False


def test_matmul_precision_and_tf32_flag_follow_each_other():
    gg.set_float32_matmul_precision("high")
    assert gg.backends.cuda.matmul.allow_tf32 is True
    gg.backends.cuda.matmul.allow_tf32 = False
    assert gg.get_float32_matmul_precision() == "highest"
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        gg.set_float32_matmul_precision("fast")
    assert gg.get_float32_matmul_precision() == "highest"


def test_default_device_other_than_cpu_fails_where_pytorch_does(torch_ref):
    for lib in (gg, torch_ref):
        lib.set_default_device("cuda")
        try:
            with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
                lib.get_default_device()
            with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
                lib.ones(2)
        finally:
            lib.set_default_device(None)
        assert str(lib.get_default_device()) == "cpu" and lib.ones(2).device.type == "cpu"


def test_num_threads_recorded():
    before = gg.get_num_threads()
    gg.set_num_threads(3)
    assert gg.get_num_threads() == 3
    gg.set_num_threads(before)


def test_modules_import_as_in_pytorch():
    import graphgrad.backends.cudnn  # noqa: F401
    import graphgrad.cuda.amp  # noqa: F401
    import graphgrad.onnx  # noqa: F401

    with pytest.raises(ModuleNotFoundError, match="No module named 'onnxscript'"):
        gg.onnx.export(gg.nn.Linear(2, 2), (gg.zeros(1, 2),), "model.onnx")


def test_compile_and_jit_return_what_they_get():
    model = gg.nn.Linear(2, 2)
    assert gg.compile(model) is model
    assert gg.compile(model, mode="reduce-overhead", fullgraph=True, dynamic=False) is model

    @gg.compile
    def f(x):
        return x * 2

    @gg.compile(mode="max-autotune")
    def g(x):
        return x + 1

    assert f(gg.tensor(2.0)).item() == 4.0 and g(gg.tensor(2.0)).item() == 3.0
    assert gg.jit.script(model) is model
    assert gg.jit.trace(f, (gg.ones(1),)) is f
    assert not isinstance(model, gg.jit.ScriptModule)
    with pytest.raises(NotImplementedError, match="graphgrad has no TorchScript"):
        gg.jit.save(model, "m.pt")


def _train(lib, scaler_args, grads_blow_up=False):
    """Three SGD steps through a GradScaler; returns the weights, the scales and the state dict."""
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0, 3.0]))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler(*scaler_args, growth_interval=2)
    scales = []
    for step in range(3):
        opt.zero_grad()
        loss = (w * w).sum() * (float("inf") if grads_blow_up and step == 1 else 1.0)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy().copy(), scales, scaler.state_dict()


@pytest.mark.parametrize("blow_up", [False, True])
@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cpu", 8.0)])
def test_grad_scaler_steps_as_pytorch(torch_ref, args, blow_up):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine, theirs = _train(gg, args, blow_up), _train(torch_ref, args, blow_up)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6)
    assert mine[1:] == theirs[1:]


def test_grad_scaler_misuse_errors(torch_ref):
    for lib in (gg, torch_ref):
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=0.1)
        s = lib.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
            s.unscale_(opt)
        s.scale(w.sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last update"):
            s.step(opt)
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
            s.scale(3)


def _autocast_dtypes(lib, amp_dtype, enabled=True):
    lib.manual_seed(0)
    a = lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    b = lib.tensor(np.linspace(0, 2, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    h = a.to(getattr(lib, amp_dtype))  # a tensor already in the lower precision
    z = a.double()
    lin = lib.nn.Linear(3, 4)
    conv = lib.nn.Conv1d(2, 2, 2)
    F = lib.nn.functional
    with lib.autocast("cpu", dtype=getattr(lib, amp_dtype), enabled=enabled):
        out = {
            "matmul": a @ b, "mm": lib.mm(a, b), "method": a.matmul(b), "linear": lin(a),
            "conv": conv(a.reshape(1, 2, 3)), "bmm": lib.bmm(a[None], b[None]), "add": a + a,
            "addmm": lib.addmm(lib.zeros(4), a, b), "float64": z @ z.T,
            "mse": F.mse_loss(h, h), "xent": F.cross_entropy(h, lib.tensor([0, 1])), "prod": lib.prod(h),
            "cat": lib.cat([h, a]), "stack": lib.stack([h, a]), "sum": h.sum(), "softmax": lib.softmax(h, 0),
            "ints": lib.matmul(lib.ones(2, 2, dtype=lib.long), lib.ones(2, 2, dtype=lib.long)),
        }
        (a @ b).float().sum().backward()
    dtypes = {k: str(v.dtype).split(".")[-1] for k, v in out.items()}
    return dtypes, b.grad.dtype, (a @ b).dtype, out["matmul"].detach().float().numpy()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("enabled", [True, False])
def test_cpu_autocast_casts_as_pytorch(torch_ref, enabled, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    mine = _autocast_dtypes(gg, dtype, enabled)
    theirs = _autocast_dtypes(torch_ref, dtype, enabled)
    assert mine[0] == theirs[0]
    assert str(mine[1]).split(".")[-1] == str(theirs[1]).split(".")[-1] == "float32"
    assert str(mine[2]).split(".")[-1] == str(theirs[2]).split(".")[-1] == "float32"
    tol = 1e-2 if dtype == "bfloat16" else 1e-3  # bfloat16 keeps 8 bits of mantissa
    np.testing.assert_allclose(mine[3], theirs[3], rtol=tol, atol=tol)


def test_cpu_autocast_defaults_to_bfloat16_as_pytorch(torch_ref):
    pytest.importorskip("ml_dtypes")
    for lib in (gg, torch_ref):
        with lib.autocast("cpu"):
            assert str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype).split(".")[-1] == "bfloat16"
        assert str(lib.get_autocast_dtype("cpu")).split(".")[-1] == "bfloat16"


def test_autocast_gradient_reaches_float32_weights(torch_ref):
    grads = []
    for lib in (gg, torch_ref):
        lin = lib.nn.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
            lin.bias.fill_(0.1)
        x = lib.tensor([[1.0, 2.0, 3.0]])
        with lib.autocast("cpu", dtype=lib.float16):
            y = lin(x)
        y.float().pow(2).sum().backward()
        grads.append((str(lin.weight.grad.dtype), lin.weight.grad.numpy().copy()))
    assert grads[0][0].split(".")[-1] == grads[1][0].split(".")[-1]
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-3)


def test_autocast_warnings_disable_as_pytorch():
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        ac = gg.autocast("cuda")
    with ac:
        assert (gg.ones(2, 2) @ gg.ones(2, 2)).dtype == gg.float32
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported"):
        ac = gg.autocast("cpu", dtype=gg.float64)
    with ac:
        assert not gg.is_autocast_enabled("cpu")

    @gg.autocast("cpu", dtype=gg.float16)
    def f(x):
        return x @ x

    assert f(gg.ones(2, 2)).dtype == gg.float16


def test_version_is_graphgrads():
    assert gg.version.__version__ == gg.__version__ and isinstance(gg.version.git_version, str)


def test_gloo_is_available_where_mpi_is():
    assert gg.distributed.is_gloo_available() == gg.distributed.is_mpi_available()


def _more_autocast_dtypes(lib):
    """The dtypes of the listed functions that _autocast_dtypes leaves out, and of unlisted ones next to them."""
    F = lib.nn.functional
    x = lib.ones(1, 2, 5, 5)
    w = lib.ones(3, 2, 3, 3)
    q = lib.ones(1, 2, 4, 8)
    h = lib.ones(4, 3, dtype=lib.float16)
    with lib.autocast("cpu", dtype=lib.float16):
        out = {
            "conv2d": F.conv2d(x, w), "conv_transpose2d": F.conv_transpose2d(x, w.transpose(0, 1)),
            "Conv2d": lib.nn.Conv2d(2, 3, 3)(x), "ConvTranspose1d": lib.nn.ConvTranspose1d(2, 2, 2)(x[:, :, 0]),
            "linear": F.linear(lib.ones(2, 3), lib.ones(4, 3), lib.ones(4)), "prelu": F.prelu(x, lib.ones(1)),
            "sdpa": F.scaled_dot_product_attention(q, q, q), "nll_loss": F.nll_loss(h, lib.tensor([0, 1, 2, 0])),
            "l1_loss": F.l1_loss(h, h), "kl_div": F.kl_div(h, h, reduction="batchmean"), "trace": lib.trace(h[:3]),
            "rmatmul": lib.ones(2, 3).__rmatmul__(lib.ones(3, 2)), "relu": F.relu(x), "softmax": F.softmax(h, 1),
            "cat_float64": lib.cat([h, lib.ones(4, 3, dtype=lib.float64)]),
            "Tensor.mm": lib.ones(2, 2).mm(lib.ones(2, 2)),
        }
    return {k: str(v.dtype).split(".")[-1] for k, v in out.items()}


def test_cpu_autocast_rule_on_more_functions_as_pytorch(torch_ref):
    assert _more_autocast_dtypes(gg) == _more_autocast_dtypes(torch_ref)


def test_autocast_rule_is_declared_with_each_function_not_patched_in():
    """The listed functions carry the rule from their definition: the names graphgrad, Tensor and F publish are
    the functions their modules define, a conv layer calls F's own function, and unlisted functions are bare."""
    import inspect

    from graphgrad.nn.modules import conv
    from graphgrad.ops import _autocast, linalg

    F = gg.nn.functional
    assert conv.Conv2d._conv is F.conv2d and F.linear.__wrapped__.__name__ == "linear"
    assert gg.matmul is gg.ops.FUNCTIONS["matmul"] and gg.Tensor.matmul is gg.ops.METHODS["matmul"]
    assert inspect.unwrap(gg.matmul) is inspect.unwrap(gg.Tensor.matmul) is linalg.matmul
    assert _autocast.autocast_rule(gg.exp, "exp") is gg.exp

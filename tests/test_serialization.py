"""graphgrad.save / graphgrad.load: safetensors files, round trips, PyTorch interop, atomic writes, bad files."""

import collections
import io
import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import graphgrad
from graphgrad import optim
from graphgrad.optim import lr_scheduler

pytest.importorskip("safetensors")


def _model_state(rng):
    """A model-like state_dict: float weights, a float64 buffer, an int counter, a 0-dim tensor, a bool mask."""
    return collections.OrderedDict([
        ("fc1.weight", graphgrad.tensor(rng.standard_normal((4, 3)).astype(np.float32))),
        ("fc1.bias", graphgrad.tensor(rng.standard_normal(4).astype(np.float32))),
        ("bn.running_mean", graphgrad.tensor(rng.standard_normal(4))),
        ("bn.num_batches_tracked", graphgrad.tensor(7)),
        ("scale", graphgrad.tensor(np.float32(0.5))),
        ("mask", graphgrad.tensor([True, False, True])),
    ])


def _assert_same(a, b):
    """Deep equality with tensors compared by dtype, shape and values."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, graphgrad.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


# --- round trips ----------------------------------------------------------------------------------
def test_model_state_dict_round_trip(tmp_path, rng):
    sd = _model_state(rng)
    path = tmp_path / "model.safetensors"
    graphgrad.save(sd, path)
    loaded = graphgrad.load(path)
    _assert_same(loaded, sd)
    assert not any(t.requires_grad for t in loaded.values())
    loaded["fc1.bias"].add_(1)  # loaded tensors are writable and independent of the file
    assert graphgrad.load(str(path))["fc1.bias"].tolist() == sd["fc1.bias"].tolist()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_state_dict_round_trip_resumes_identically(tmp_path, rng, name):
    cfg = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01, amsgrad=True), "AdamW": dict(lr=0.01),
           "RMSprop": dict(lr=0.01, centered=True, momentum=0.5), "Adagrad": dict(lr=0.1)}[name]
    init = [rng.standard_normal(s).astype(np.float32) for s in ((3, 2), (2,))]
    grads = [[rng.standard_normal(a.shape).astype(np.float32) for a in init] for _ in range(6)]

    def make():
        ps = [graphgrad.tensor(a.copy(), requires_grad=True) for a in init]
        o = getattr(optim, name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}], **cfg)
        return ps, o

    def step(ps, o, gs):
        for p, g in zip(ps, gs):
            p.grad = graphgrad.tensor(g)
        o.step()

    params, opt = make()
    for gs in grads[:3]:
        step(params, opt, gs)
    path = tmp_path / "ckpt.safetensors"
    graphgrad.save({"model": {"p0": params[0], "p1": params[1]}, "optimizer": opt.state_dict(), "epoch": 3}, path)
    ckpt = graphgrad.load(path)
    _assert_same(ckpt["optimizer"], opt.state_dict())
    assert ckpt["epoch"] == 3

    params2, opt2 = make()
    with graphgrad.no_grad():
        params2[0].copy_(ckpt["model"]["p0"])
        params2[1].copy_(ckpt["model"]["p1"])
    opt2.load_state_dict(ckpt["optimizer"])
    for gs in grads[3:]:
        step(params, opt, gs)
        step(params2, opt2, gs)
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_plain_values_and_nesting_round_trip(tmp_path):
    obj = {
        "ints": [1, -2, 2**40], "floats": [0.1, 1e-300, float("inf"), -float("inf"), float("nan")],
        "none": None, "flags": (True, False), "text": "héllo", "nested": {"a": [{"b": (1, (2.5, None))}]},
        "int_keys": {0: "zero", 3: graphgrad.zeros(2)}, "tuple_keys": {(1, 2): "t"},
        "ordered": collections.OrderedDict(b=1, a=2), "counter": collections.Counter({3: 2, 10: 1}),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3), "np_scalar": np.float32(0.25),
        "__tensor__": "a key that looks like a tag", "empty": {}, "empty_list": [],
        "empty_tensor": graphgrad.zeros(0, 3),
    }
    path = tmp_path / "misc.safetensors"
    graphgrad.save(obj, path)
    back = graphgrad.load(path)
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int32
    np.testing.assert_array_equal(back.pop("array"), obj.pop("array"))
    assert back.pop("np_scalar") == 0.25 and obj.pop("np_scalar") == 0.25
    _assert_same(back, obj)
    assert isinstance(back["counter"], collections.Counter) and back["counter"][99] == 0


def test_colliding_flat_keys_keep_both_tensors(tmp_path):
    obj = {"a.b": graphgrad.ones(1), "a": {"b": graphgrad.zeros(1)}}
    graphgrad.save(obj, tmp_path / "c.safetensors")
    _assert_same(graphgrad.load(tmp_path / "c.safetensors"), obj)


def test_scheduler_state_dicts_round_trip(tmp_path):
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    plateau.step(1.0)
    multistep = lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5])
    onecycle = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    state = {"plateau": plateau.state_dict(), "multistep": multistep.state_dict(), "onecycle": onecycle.state_dict()}
    graphgrad.save(state, tmp_path / "s.safetensors")
    back = graphgrad.load(tmp_path / "s.safetensors")
    _assert_same(back, state)
    assert back["plateau"]["mode_worse"] == math.inf
    fresh = lr_scheduler.MultiStepLR(optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1), milestones=[])
    fresh.load_state_dict(back["multistep"])
    assert fresh._get_closed_form_lr() == multistep._get_closed_form_lr()


def test_file_objects(rng):
    sd = _model_state(rng)
    buf = io.BytesIO()
    graphgrad.save(sd, buf)
    buf.seek(0)
    _assert_same(graphgrad.load(buf), sd)


def test_unsupported_values_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match=r"cannot store a builtins.function \(at model.hook\)"):
        graphgrad.save({"model": {"hook": lambda: 1}}, path)
    with pytest.raises(TypeError, match="no pickle"):
        graphgrad.save({"s": {1, 2}}, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []


# --- PyTorch interop ------------------------------------------------------------------------------
def test_graphgrad_model_checkpoint_loads_in_torch(torch_ref, tmp_path, rng):
    from safetensors.torch import load_file

    sd = _model_state(rng)
    path = tmp_path / "gg.safetensors"
    graphgrad.save(sd, path)
    loaded = load_file(str(path))
    assert sorted(loaded) == sorted(sd)
    for k, t in sd.items():
        assert str(loaded[k].dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(loaded[k].numpy(), t.numpy())
    # and into a real torch module
    model = torch_ref.nn.Linear(3, 4)
    model.load_state_dict({"weight": loaded["fc1.weight"], "bias": loaded["fc1.bias"]})
    np.testing.assert_array_equal(model.weight.detach().numpy(), sd["fc1.weight"].numpy())


def test_torch_safetensors_file_loads_in_graphgrad(torch_ref, tmp_path):
    from safetensors.torch import save_file

    torch_ref.manual_seed(0)
    model = torch_ref.nn.Sequential(torch_ref.nn.Linear(3, 5), torch_ref.nn.BatchNorm1d(5))
    sd = model.state_dict()
    path = tmp_path / "torch.safetensors"
    save_file(sd, str(path))
    loaded = graphgrad.load(path)
    assert sorted(loaded) == sorted(sd)
    for k, t in sd.items():
        assert isinstance(loaded[k], graphgrad.Tensor)
        assert str(loaded[k].dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(loaded[k].numpy(), t.numpy())


def test_optimizer_checkpoint_is_readable_as_plain_safetensors(torch_ref, tmp_path):
    from safetensors import safe_open

    w = graphgrad.ones(2, requires_grad=True)
    opt = optim.Adam([w])
    w.grad = graphgrad.ones(2)
    opt.step()
    path = tmp_path / "opt.safetensors"
    graphgrad.save(opt.state_dict(), path)
    with safe_open(str(path), framework="pt") as f:
        assert sorted(f.keys()) == ["state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"]
        meta = f.metadata()
    assert meta["format"] == "pt"
    skeleton = json.loads(meta["graphgrad"])  # the structure is plain JSON
    assert skeleton["param_groups"][0]["lr"] == 0.001


# --- atomic writes --------------------------------------------------------------------------------
def test_failed_replace_leaves_old_file_and_no_temp(tmp_path, monkeypatch, rng):
    path = tmp_path / "ckpt.safetensors"
    graphgrad.save({"v": graphgrad.tensor([1.0])}, path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        graphgrad.save(_model_state(rng), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]  # the temp file was removed


def test_interrupted_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    graphgrad.save({"v": graphgrad.tensor([1.0])}, path)

    def interrupted_fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        graphgrad.save({"v": graphgrad.tensor([2.0])}, path)
    monkeypatch.undo()
    assert graphgrad.load(path)["v"].tolist() == [1.0]
    assert len(list(tmp_path.iterdir())) == 1


def test_process_killed_mid_write_leaves_old_file(tmp_path):
    """A real crash: the writing process dies (os._exit) after half the bytes are on disk."""
    path = tmp_path / "ckpt.safetensors"
    graphgrad.save({"v": graphgrad.tensor([1.0, 2.0])}, path)
    script = textwrap.dedent(f"""
        import os, graphgrad, graphgrad.serialization as s
        real_fdopen = os.fdopen
        class HalfWriter:
            def __init__(self, f): self.f = f
            def __enter__(self): return self
            def __exit__(self, *a): return False
            def write(self, data):
                self.f.write(data[: len(data) // 2]); self.f.flush(); os._exit(1)
        os.fdopen = lambda fd, mode: HalfWriter(real_fdopen(fd, mode))
        graphgrad.save({{"v": graphgrad.zeros(100000)}}, {str(path)!r})
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(graphgrad.__file__).parents[1])] + sys.path))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 1, proc.stderr.decode()
    assert graphgrad.load(path)["v"].tolist() == [1.0, 2.0]
    leftovers = [p for p in tmp_path.iterdir() if p.name != "ckpt.safetensors"]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".ckpt.safetensors.")  # the dead writer's temp
    graphgrad.save({"v": graphgrad.tensor([3.0])}, path)  # the next save removes it
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    assert graphgrad.load(path)["v"].tolist() == [3.0]


def test_files_are_written_with_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        graphgrad.save({"v": graphgrad.ones(1)}, tmp_path / "a.pt")
        graphgrad.save({"v": graphgrad.ones(1)}, tmp_path / "a.safetensors")
        assert (tmp_path / "a.pt").stat().st_mode & 0o777 == 0o644
        assert (tmp_path / "a.safetensors").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "a.pt", 0o600)  # replacing a file keeps its mode, as open(path, "wb") would
        graphgrad.save({"v": graphgrad.zeros(1)}, tmp_path / "a.pt")
        assert (tmp_path / "a.pt").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


# --- bad files ------------------------------------------------------------------------------------
def _written(tmp_path, rng):
    path = tmp_path / "good.safetensors"
    graphgrad.save(_model_state(rng), path)
    return path.read_bytes()


@pytest.mark.parametrize("cut", [0, 5, 8, 40, -10, -1])
def test_truncated_file_gives_clear_error(tmp_path, rng, cut):
    data = _written(tmp_path, rng)
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[:cut] if cut else b"")
    with pytest.raises(RuntimeError, match=r"cut\.safetensors: .*(truncated|not a safetensors file)"):
        graphgrad.load(path)


def test_foreign_files_give_clear_errors(tmp_path):
    pickled = tmp_path / "data.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(RuntimeError, match=r"Invalid magic number; corrupt file\?"):  # PyTorch's text
        graphgrad.load(pickled)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is certainly not a tensor file\n" * 3)
    with pytest.raises(RuntimeError, match=r"notes\.txt: not a safetensors file"):
        graphgrad.load(text)
    bogus_header = tmp_path / "bogus.safetensors"
    bogus_header.write_bytes((10).to_bytes(8, "little") + b"not json!!" + b"\0" * 4)
    with pytest.raises(RuntimeError, match=r"bogus\.safetensors: not a safetensors file"):
        graphgrad.load(bogus_header)


def test_unsupported_dtype_named(torch_ref, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "c64.safetensors"
    save_file({"x": torch_ref.zeros(2, dtype=torch_ref.complex64)}, str(path))
    with pytest.raises(RuntimeError, match=r"c64\.safetensors: tensor 'x' has dtype C64"):
        graphgrad.load(path)


def test_bfloat16_safetensors_file_loads(torch_ref, tmp_path):
    pytest.importorskip("ml_dtypes")
    from safetensors.torch import load_file, save_file

    values = torch_ref.tensor([1.5, -2.25, 3.0e-3, 1e30], dtype=torch_ref.bfloat16)
    save_file({"x": values}, str(tmp_path / "bf16.safetensors"))
    loaded = graphgrad.load(tmp_path / "bf16.safetensors")["x"]
    assert loaded.dtype == graphgrad.bfloat16
    np.testing.assert_array_equal(loaded.float().numpy(), values.float().numpy())
    graphgrad.save({"x": loaded}, tmp_path / "back.safetensors")
    assert torch_ref.equal(load_file(str(tmp_path / "back.safetensors"))["x"], values)


@pytest.mark.parametrize("bad", [
    {"x": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}},  # string offsets
    {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}},  # shape and bytes disagree
    {"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}},
    {"__metadata__": {"graphgrad": "[" * 100000 + "]" * 100000}},  # nested past the recursion limit
])
def test_damaged_headers_give_one_clear_runtime_error(tmp_path, bad):
    header = json.dumps(bad).encode()
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 8)
    with pytest.raises(RuntimeError, match=r"damaged\.safetensors: "):
        graphgrad.load(path)


def test_loading_never_runs_code(tmp_path):
    """A tampered structure cannot name a callable: unknown tags are data errors, not imports."""
    from safetensors.numpy import save

    skeleton = {"__dict__": [["x", 1]], "__type__": "os.system"}
    path = tmp_path / "evil.safetensors"
    path.write_bytes(save({"t": np.zeros(1, np.float32)}, metadata={"graphgrad": json.dumps(skeleton)}))
    with pytest.raises(RuntimeError, match=r"evil\.safetensors: the graphgrad structure .* is damaged"):
        graphgrad.load(path)
    missing = tmp_path / "missing_key.safetensors"
    missing.write_bytes(save({"t": np.zeros(1, np.float32)}, metadata={"graphgrad": '{"w": {"__tensor__": "nope"}}'}))
    with pytest.raises(RuntimeError, match="is damaged"):
        graphgrad.load(missing)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        graphgrad.load(tmp_path / "nope.safetensors")


def test_safetensors_files_need_no_safetensors_package(monkeypatch, tmp_path, rng):
    for name in ("safetensors", "safetensors.numpy", "safetensors.torch"):
        monkeypatch.setitem(sys.modules, name, None)
    sd = _model_state(rng)
    graphgrad.save(sd, tmp_path / "a.safetensors")
    _assert_same(graphgrad.load(tmp_path / "a.safetensors"), sd)


# --- with graphgrad.nn models ---------------------------------------------------------------------
def _nets(torch_ref):
    import graphgrad.nn as nn

    g = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 4))
    t = torch_ref.nn.Sequential(torch_ref.nn.Conv2d(2, 3, 3), torch_ref.nn.BatchNorm2d(3), torch_ref.nn.Flatten(),
                                torch_ref.nn.Linear(12, 4))
    return g, t


def test_nn_checkpoint_both_directions(torch_ref, tmp_path, rng):
    from safetensors.torch import load_file, save_file

    g_model, t_model = _nets(torch_ref)
    x = rng.standard_normal((2, 2, 4, 4)).astype(np.float32)
    t_model.train()
    t_model(torch_ref.tensor(x))  # move the BatchNorm running statistics off their defaults
    t_model.eval()

    # PyTorch -> graphgrad
    save_file(t_model.state_dict(), str(tmp_path / "t.safetensors"))
    g_model.load_state_dict(graphgrad.load(tmp_path / "t.safetensors"))
    g_model.eval()
    expected = t_model(torch_ref.tensor(x)).detach().numpy()
    np.testing.assert_allclose(g_model(graphgrad.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)

    # graphgrad -> PyTorch, into a fresh module
    graphgrad.save(g_model.state_dict(), tmp_path / "g.safetensors")
    _, fresh = _nets(torch_ref)
    fresh.load_state_dict(load_file(str(tmp_path / "g.safetensors")))
    fresh.eval()
    np.testing.assert_allclose(fresh(torch_ref.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert list(graphgrad.load(tmp_path / "g.safetensors")) == list(g_model.state_dict())


def test_full_training_checkpoint_resumes(tmp_path, rng):
    """model + optimizer + scheduler + epoch in one file; a fresh process state resumes identically."""
    import graphgrad.nn as nn

    x = graphgrad.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = graphgrad.tensor(rng.standard_normal((8, 1)).astype(np.float32))

    def build():
        graphgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1))
        opt = optim.AdamW(model.parameters(), lr=0.01)
        sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return model, opt, sched

    def train(model, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            sched.step()

    model, opt, sched = build()
    train(model, opt, sched, 3)
    graphgrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": 3}, tmp_path / "ckpt.safetensors")
    train(model, opt, sched, 3)

    model2, opt2, sched2 = build()
    ckpt = graphgrad.load(tmp_path / "ckpt.safetensors")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    train(model2, opt2, sched2, 6 - ckpt["epoch"])
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert sched2.get_last_lr() == sched.get_last_lr()

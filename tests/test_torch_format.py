"""graphgrad.save / graphgrad.load in PyTorch's own format: both ways with real PyTorch, weights_only, bfloat16."""

import collections
import importlib.util
import io
import pickle

import numpy as np
import pytest

import graphgrad
from graphgrad import serialization

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _values(name, shape=(3, 4)):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape) * 10).astype(name) if name != "bool" else rng.random(shape) > 0.5


def _equal(g, t):
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(g.shape) == tuple(t.shape)
    ours = g.detach().float() if g.dtype == graphgrad.bfloat16 else g.detach()
    theirs = t.detach().float() if str(t.dtype) == "torch.bfloat16" else t.detach()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _torch_checkpoint(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    base = torch.arange(24.0).reshape(4, 6)
    return {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
        "nested": [(1, 2.5, None, "text", b"raw"), {"k": [base[1:, ::2]]}],
        "base": base, "view": base[1:3, 2:5], "transposed": base.t(), "scalar": torch.tensor(2.5),
        "param": torch.nn.Parameter(torch.ones(2)), "ordered": collections.OrderedDict(b=1, a=2),
        "size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu"),
        **{f"t_{d}": torch.from_numpy(_values(d)) for d in DTYPES},
    }


def _compare(g, t):
    if hasattr(t, "dtype") and hasattr(t, "shape") and not isinstance(t, np.ndarray):
        assert isinstance(g, graphgrad.Tensor), type(g)
        _equal(g, t)
        assert g.requires_grad == t.requires_grad
        assert isinstance(g, graphgrad.nn.Parameter) == type(t).__name__.endswith("Parameter")
    elif isinstance(t, dict):
        assert type(g).__name__ == type(t).__name__ and list(g) == list(t)
        for k in t:
            _compare(g[k], t[k])
    elif isinstance(t, (list, tuple)) and type(t).__name__ != "Size":
        assert type(g) is type(t) and len(g) == len(t)
        for a, b in zip(g, t):
            _compare(a, b)
    else:
        assert str(g).replace("graphgrad", "torch") == str(t).replace("graphgrad", "torch")


def test_reads_what_torch_saves(torch_ref, tmp_path):
    ckpt = _torch_checkpoint(torch_ref)
    torch_ref.save(ckpt, tmp_path / "t.pt")
    loaded = graphgrad.load(tmp_path / "t.pt")
    _compare(loaded, ckpt)
    # views keep sharing their storage, as after torch.load
    loaded["base"][2, 3] = -1.0
    assert loaded["view"][1, 1].item() == -1.0 and loaded["transposed"][3, 2].item() == -1.0


def test_torch_reads_what_graphgrad_saves(torch_ref, tmp_path):
    ckpt = _torch_checkpoint(torch_ref)
    torch_ref.save(ckpt, tmp_path / "t.pt")
    ours = graphgrad.load(tmp_path / "t.pt")
    graphgrad.save(ours, tmp_path / "g.pt")
    back = torch_ref.load(tmp_path / "g.pt")  # weights_only=True: only PyTorch's allowed globals
    _compare(ours, back)
    assert back["base"].untyped_storage().data_ptr() == back["view"].untyped_storage().data_ptr()
    assert back["transposed"].stride() == (1, 6)
    # a torch model loads the optimizer and the weights and trains on
    model = torch_ref.nn.Sequential(torch_ref.nn.Linear(3, 4), torch_ref.nn.BatchNorm1d(4))
    model.load_state_dict(back["model"])
    torch_ref.optim.Adam(model.parameters(), lr=0.01).load_state_dict(back["optimizer"])


def test_graphgrad_model_round_trip_into_torch_and_back(torch_ref, tmp_path):
    nn = graphgrad.nn
    graphgrad.manual_seed(0)
    g = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 4))
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4)).astype(np.float32)
    g(graphgrad.tensor(x))
    g.eval()
    graphgrad.save(g.state_dict(), tmp_path / "g.pth")
    t = torch_ref.nn.Sequential(torch_ref.nn.Conv2d(2, 3, 3), torch_ref.nn.BatchNorm2d(3), torch_ref.nn.Flatten(),
                                torch_ref.nn.Linear(12, 4))
    t.load_state_dict(torch_ref.load(tmp_path / "g.pth"))
    t.eval()
    np.testing.assert_allclose(t(torch_ref.tensor(x)).detach().numpy(), g(graphgrad.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    torch_ref.save(t.state_dict(), tmp_path / "t.pth")
    g.load_state_dict(graphgrad.load(tmp_path / "t.pth"))


def test_the_archive_has_pytorchs_records(tmp_path):
    import zipfile

    graphgrad.save({"w": graphgrad.ones(3)}, tmp_path / "model.pt")
    with zipfile.ZipFile(tmp_path / "model.pt") as z:
        names = z.namelist()
        assert names[0] == "model/data.pkl" and {"model/version", "model/byteorder", "model/data/0",
                                                 "model/.data/serialization_id"} <= set(names)
        raw = (tmp_path / "model.pt").read_bytes()
        info = z.getinfo("model/data/0")
        start = info.header_offset + 30 + len(info.filename) + int.from_bytes(raw[info.header_offset + 28:][:2],
                                                                              "little")
        assert start % 64 == 0 and raw[start:start + 12] == np.ones(3, np.float32).tobytes()


def test_whole_module_needs_weights_only_false(torch_ref, tmp_path):
    nn = graphgrad.nn
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    graphgrad.save(model, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError) as info:
        graphgrad.load(tmp_path / "m.pt")
    assert str(info.value).startswith("Weights only load failed. This file can still be loaded")
    assert "Unsupported global: GLOBAL graphgrad.nn" in str(info.value)
    again = graphgrad.load(tmp_path / "m.pt", weights_only=False, map_location="cpu")
    x = graphgrad.ones(1, 3)
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())
    # a whole torch module loads as graphgrad's, with PyTorch's weights
    torch_ref.manual_seed(0)
    tm = torch_ref.nn.Sequential(torch_ref.nn.Linear(3, 2), torch_ref.nn.Tanh())
    torch_ref.save(tm, tmp_path / "tm.pt")
    gm = graphgrad.load(tmp_path / "tm.pt", weights_only=False)
    np.testing.assert_allclose(gm(x).detach().numpy(), tm(torch_ref.ones(1, 3)).detach().numpy(), rtol=1e-6)


class Custom:
    pass


def test_weights_only_refusal_is_pytorchs_message(torch_ref, tmp_path):
    torch_ref.save({"c": Custom()}, tmp_path / "c.pt")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch_ref.load(tmp_path / "c.pt")
    with pytest.raises(pickle.UnpicklingError) as ours:
        graphgrad.load(tmp_path / "c.pt")
    assert str(ours.value).startswith(str(theirs.value))
    with serialization.safe_globals([Custom]):
        assert isinstance(graphgrad.load(tmp_path / "c.pt")["c"], Custom)
    assert serialization.get_safe_globals() == []


@pytest.mark.parametrize("payload", ["os.system", "posix.system", "builtins.eval"])
def test_weights_only_runs_no_code(torch_ref, tmp_path, payload):
    module, name = payload.split(".")
    evil = pickle.PROTO + b"\x02c" + f"{module}\n{name}\n".encode() + b"X\x04\x00\x00\x00echo\x85R."
    buf = io.BytesIO()
    with __import__("zipfile").ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", evil)
        z.writestr("archive/version", "3\n")
    (tmp_path / "evil.pt").write_bytes(buf.getvalue())
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch_ref.load(tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError) as ours:
        graphgrad.load(tmp_path / "evil.pt")
    assert str(ours.value).startswith(str(theirs.value))


def test_legacy_format_both_ways(torch_ref, tmp_path):
    base = torch_ref.arange(6.0).reshape(2, 3)
    torch_ref.save({"a": base[:, 1:], "b": torch_ref.tensor([1, 2])}, tmp_path / "t.pt",
                   _use_new_zipfile_serialization=False)
    ours = graphgrad.load(tmp_path / "t.pt")
    assert ours["a"].tolist() == [[1.0, 2.0], [4.0, 5.0]] and ours["b"].tolist() == [1, 2]
    graphgrad.save(ours, tmp_path / "g.pt", _use_new_zipfile_serialization=False)
    theirs = torch_ref.load(tmp_path / "g.pt")
    assert theirs["a"].tolist() == [[1.0, 2.0], [4.0, 5.0]] and theirs["b"].tolist() == [1, 2]


def test_map_location_forms(torch_ref, tmp_path):
    graphgrad.save({"w": graphgrad.ones(2)}, tmp_path / "w.pt")
    for where in ("cpu", graphgrad.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        assert graphgrad.load(tmp_path / "w.pt", map_location=where)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        graphgrad.load(tmp_path / "w.pt", map_location="cuda")


@pytest.mark.parametrize("damage", ["truncate", "storage", "stride"])
def test_damaged_archives_name_the_file(tmp_path, damage):
    import zipfile

    path = tmp_path / "bad.pt"
    graphgrad.save({"w": graphgrad.ones(4)}, path)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    else:
        with zipfile.ZipFile(path) as z:
            records = {n: z.read(n) for n in z.namelist()}
        if damage == "storage":
            records["bad/data/0"] = b"\0" * 3
        else:  # a stride that would read past the storage
            records["bad/data.pkl"] = records["bad/data.pkl"].replace(b"K\x04\x85", b"K\x09\x85")
        with zipfile.ZipFile(path, "w") as z:
            for n, data in records.items():
                z.writestr(n, data)
    with pytest.raises(RuntimeError, match=r"bad\.pt: "):
        graphgrad.load(path)


# --- dtypes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cfloat", "cdouble", "complex64", "chalf", "uint16", "uint32", "uint64"])
def test_unsupported_dtypes_raise(name):
    dt = getattr(graphgrad, name)
    with pytest.raises(TypeError, match="graphgrad does not support dtype torch"):
        graphgrad.ones(2, dtype=dt)
    with pytest.raises(TypeError, match="graphgrad does not support dtype torch"):
        graphgrad.zeros(2).to(dt)


def test_bfloat16_without_ml_dtypes_names_the_extra(monkeypatch):
    from graphgrad import _dtype

    monkeypatch.setattr(_dtype.bfloat16, "np", None)
    with pytest.raises(ImportError, match=r"ml_dtypes.*graphgrad\[bf16\]"):
        graphgrad.ones(2, dtype=graphgrad.bfloat16)


def test_plain_install_without_ml_dtypes():
    """graphgrad imports, saves and loads without ml_dtypes; only using bfloat16 asks for it."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys, io; sys.modules['ml_dtypes'] = None\n"
        "import graphgrad as g\n"
        "b = io.BytesIO(); g.save({'w': g.ones(2)}, b); b.seek(0); assert g.load(b)['w'].tolist() == [1.0, 1.0]\n"
        "try:\n    g.zeros(1, dtype=g.bfloat16)\nexcept ImportError as e:\n    print(e)\n"
    )
    env = {"PYTHONPATH": str(Path(graphgrad.__file__).parents[1]), "PATH": ""}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "graphgrad.bfloat16 needs the ml_dtypes package" in proc.stdout and "graphgrad[bf16]" in proc.stdout


needs_ml_dtypes = pytest.mark.skipif(importlib.util.find_spec("ml_dtypes") is None, reason="bfloat16 needs ml_dtypes")


@needs_ml_dtypes
def test_bfloat16_rounds_as_pytorch(torch_ref):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(1000).astype(np.float32) * 100,
                             np.array([1.00390625, 1.01171875, -1.00390625, 3.4e38, 1e-40, np.inf, np.nan],
                                      np.float32)])
    ours = graphgrad.tensor(values).to(graphgrad.bfloat16)
    theirs = torch_ref.tensor(values).to(torch_ref.bfloat16)
    _equal(ours, theirs)
    _equal(ours.float(), theirs.float())
    _equal(graphgrad.tensor(values, dtype=graphgrad.bfloat16), theirs)
    assert repr(ours[:5]).replace("graphgrad", "torch") == repr(theirs[:5])
    assert repr(ours[-3:]).replace("graphgrad", "torch") == repr(theirs[-3:])


@needs_ml_dtypes
def test_bfloat16_arithmetic_as_pytorch(torch_ref):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((4, 5)).astype(np.float32) for _ in range(2))
    for lib, out in ((graphgrad, []), (torch_ref, [])):
        x = lib.tensor(a).to(lib.bfloat16).requires_grad_()
        y = lib.tensor(b).to(lib.bfloat16)
        z = (x * y + x.exp() - y / 3).tanh()
        loss = (z @ y.t()).sum()
        loss.backward()
        out += [z, loss, x.grad, x + lib.tensor(b), x + 1.5, x.sum(), x.mean()]
        if lib is graphgrad:
            ours = out
        else:
            theirs = out
    for g, t in zip(ours, theirs):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(g.detach().float().numpy(), t.detach().float().numpy(), rtol=1e-2, atol=1e-2)
    _equal(ours[0], theirs[0])  # elementwise chains round after each op, as PyTorch's do


@needs_ml_dtypes
def test_bfloat16_in_torch_format_both_ways(torch_ref, tmp_path):
    values = torch_ref.tensor([1.5, -2.25, 3.0e-3, 1e30], dtype=torch_ref.bfloat16)
    torch_ref.save({"x": values, "p": torch_ref.nn.Parameter(values.clone())}, tmp_path / "t.pt")
    ours = graphgrad.load(tmp_path / "t.pt")
    _equal(ours["x"], values)
    graphgrad.save(ours, tmp_path / "g.pt")
    back = torch_ref.load(tmp_path / "g.pt")
    assert torch_ref.equal(back["x"], values) and back["p"].dtype == torch_ref.bfloat16


@needs_ml_dtypes
def test_bfloat16_reductions_accumulate_in_float32_as_pytorch(torch_ref):
    values = np.random.default_rng(2).random(10000).astype(np.float32)

    def results(lib):
        x = lib.tensor(values).to(lib.bfloat16)
        m = x.reshape(100, 100)
        return [x.sum(), x.mean(), m.sum(1), x.cumsum(0), x.var(), x.norm(), lib.softmax(m, 1), m.max(1).values,
                lib.nn.functional.cross_entropy(m[:5], lib.tensor([1, 2, 3, 4, 5])), m @ m]

    for ours, theirs in zip(results(graphgrad), results(torch_ref)):
        _equal(ours, theirs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_graphgrad_optimizer_and_scheduler_state_loads_in_torch(torch_ref, name):
    from graphgrad.optim import lr_scheduler

    extra = {"momentum": 0.9} if name == "SGD" else {}
    w = graphgrad.ones(2, requires_grad=True)
    opt = getattr(graphgrad.optim, name)([w], lr=0.1, **extra)
    w.grad = graphgrad.ones(2)
    opt.step()
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    plateau.step(1.0)
    buf = io.BytesIO()
    graphgrad.save({"optimizer": opt.state_dict(), "plateau": plateau.state_dict()}, buf)
    buf.seek(0)
    theirs = torch_ref.load(buf)
    tw = torch_ref.tensor(w.detach().numpy(), requires_grad=True)  # the weights after the first step
    topt = getattr(torch_ref.optim, name)([tw], lr=0.1, **extra)
    topt.load_state_dict(theirs["optimizer"])
    tw.grad = torch_ref.ones(2)
    topt.step()
    w.grad = graphgrad.ones(2)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-6)
    assert theirs["plateau"]["mode_worse"] == float("inf")

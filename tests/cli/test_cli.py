"""`graphgrad train / evaluate / inspect` end to end, each run in a subprocess as a user runs it.

The runs are small (a few epochs on a subset of the digits, or a tiny synthetic .npz) so that the whole
file takes well under a minute on 2 cores.
"""

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")
pytest.importorskip("graphviz")
pytest.importorskip("safetensors")

SRC = str(Path(__file__).resolve().parents[2] / "src")
SMALL = ["--limit", "400", "--seed", "1"]  # 320 training / 80 held-out digits


def gg(*args, cwd, pythonpath=(), timeout=240):
    """Run ``python -m graphgrad ARGS`` and return the CompletedProcess (text output)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), SRC, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("GRAPHGRAD_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "graphgrad", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def accuracy(stdout):
    return float(re.search(r"held-out accuracy ([\d.]+)%", stdout).group(1))


def metrics(out_dir):
    with open(Path(out_dir) / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def saved_epoch(out_dir):
    import graphgrad

    return graphgrad.load(str(Path(out_dir) / "checkpoint.safetensors"))["epoch"]


def assert_one_line_error(proc, code, *parts, case=""):
    assert proc.returncode == code, (case, proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, case
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, (case, proc.stderr)
    for part in parts:
        assert part in lines[0], (case, part, lines[0])


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def bars(n, side=10, seed=0):
    """A tiny easy data set: 3 classes of side x side uint8 images (a bright bar at a class's rows)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.integers(0, 60, size=(n, side, side)).astype(np.uint8)
    for i, k in enumerate(y):
        x[i, 2 + 3 * k : 4 + 3 * k, 1:-1] = 255
    return x, y


# Training runs are subprocesses (the real exit status and stderr); quick checks and the list of bad inputs
# run through graphgrad.cli.main in this process (the ``cli`` fixture of conftest.py) to keep the file quick.


def test_cli_files_are_user_code():
    """Frames in the CLI package (and ``python -m graphgrad``) are user code: a node made there records its line."""
    import graphgrad
    from graphgrad.autograd.graph import is_library_file
    from graphgrad.cli import models

    assert is_library_file(graphgrad._tensor.__file__) and is_library_file(graphgrad.nn.functional.__file__)
    assert not is_library_file(models.__file__) and not is_library_file(graphgrad.cli.__file__)
    assert not is_library_file(str(Path(graphgrad.__file__).with_name("__main__.py")))
    logits = models.build("mlp", 1, 10)(graphgrad.zeros(2, 1, 28, 28))
    path, line = logits.grad_fn._site
    assert Path(path).name == "models.py"
    assert Path(path).read_text().splitlines()[line - 1].strip() == "return self.fc3(x)"


# --- one small run shared by several tests --------------------------------------------------------------
@pytest.fixture(scope="module")
def run2(tmp_path_factory):
    """Two epochs of the default model on 400 digits, with the progress bar (not --quiet)."""
    cwd = tmp_path_factory.mktemp("run2")
    proc = gg("train", "--epochs", "2", *SMALL, "--out", "out", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd, proc


def test_train_writes_everything(run2):
    cwd, proc = run2
    out = cwd / "out"
    for name in ["checkpoint.safetensors", "metrics.csv", "curves.png", "confusion.png", "graph.dot", "graph.txt"]:
        assert (out / name).stat().st_size > 0, name
    if shutil.which("dot"):
        assert (out / "graph.svg").read_text().lstrip().startswith("<?xml")
    assert (out / "graph.dot").read_text().startswith("digraph")
    assert "ConvolutionBackward0" in (out / "graph.dot").read_text()
    graph_txt = (out / "graph.txt").read_text()
    assert "AccumulateGrad leaf conv1.weight (5, 1, 5, 5)" in graph_txt
    # creation sites are recorded: the CLI's own files are user code, not graphgrad's
    assert re.search(r"ConvolutionBackward0 .*@ models\.py:\d+  x = F\.relu\(self\.pool1\(self\.conv1", graph_txt)
    assert re.search(r"NllLossBackward0 .*@ train\.py:\d+ ", graph_txt)
    for png in ["curves.png", "confusion.png"]:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]  # atomic writes leave no temporaries

    assert "Conv_Classifier" in proc.stdout and "320 training / 80 held-out images, 8x8 -> 28x28" in proc.stdout
    assert re.search(r"^epoch 1/2  loss [\d.]+  acc .*held-out loss", proc.stdout, re.M)
    assert re.search(r"^epoch 2/2 ", proc.stdout, re.M)
    assert "epoch 1/2:" not in proc.stderr and "acc=" not in proc.stderr  # no tqdm bar in a pipe (a log file)
    assert accuracy(proc.stdout) > 20.0  # 10 classes: chance is 10%

    rows = metrics(out)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[-1]["test_accuracy"]) * 100 == pytest.approx(accuracy(proc.stdout), abs=0.01)
    assert saved_epoch(out) == 2


def test_evaluate_and_inspect(run2, cli, tmp_path):
    cwd, proc = run2
    ckpt = cwd / "out" / "checkpoint.safetensors"
    ev = gg("evaluate", ckpt, cwd=tmp_path)
    assert ev.returncode == 0, ev.stderr
    assert f"accuracy {accuracy(proc.stdout):.2f}% " in ev.stdout  # the held-out 20% again, same numbers
    assert "held-out 20% of scikit-learn's digits (80 images)" in ev.stdout
    assert "confusion matrix (rows: true label, columns: predicted label)" in ev.stdout
    table = ev.stdout.split("confusion matrix")[1].strip().splitlines()[2:]
    assert len(table) == 10 and sum(sum(map(int, row.split()[1:])) for row in table) == 80

    x, y = bars(30)
    ev = cli("evaluate", ckpt, "--data", write_npz(tmp_path / "bars.npz", x=x, y=y))
    assert ev.returncode == 0, ev.stderr
    assert "bars.npz (30 images)" in ev.stdout

    ins = cli("inspect", ckpt)
    assert ins.returncode == 0, ins.stderr
    assert "graphgrad train checkpoint of model 'conv', epoch 2" in ins.stdout
    assert re.search(r"^model\.conv1\.weight\s+\(5, 1, 5, 5\)\s+float32\s+500$", ins.stdout, re.M)
    assert re.search(r"^model\.fc2\.bias\s+\(10,\)\s+float32\s+40$", ins.stdout, re.M)
    assert re.search(r"^optimizer\.state\.0\.exp_avg\s+\(5, 1, 5, 5\)", ins.stdout, re.M)
    assert re.search(r"^\d+ tensors, [\d,]+ bytes$", ins.stdout, re.M)


STOP_AFTER_EPOCH_2 = """
import os, signal, sys
import graphgrad.cli.checkpoint as c
from graphgrad.cli import main

save = c.save
def save_then_stop(path, model_name, model, optimizer, epoch, meta):
    save(path, model_name, model, optimizer, epoch, meta)
    if epoch == 2:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the checkpoint of epoch 2 is being written
c.save = save_then_stop
sys.exit(main(sys.argv[1:]))
"""


def test_resume_takes_the_same_steps_as_an_uninterrupted_run(cli, tmp_path):
    args = ["train", "--epochs", "3", *SMALL, "--quiet"]
    fresh = gg(*args, "--out", "fresh", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    stopped = subprocess.run([sys.executable, "-c", STOP_AFTER_EPOCH_2, *args, "--out", "resumed"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=240, env=env)
    assert stopped.returncode == 130, stopped.stderr
    assert "holds the last complete epoch (2)" in stopped.stderr
    assert saved_epoch(tmp_path / "resumed") == 2

    res = gg("train", "--out", "resumed", "--resume", cwd=tmp_path)  # the other settings come from the checkpoint
    assert res.returncode == 0, res.stderr
    assert "resuming after epoch 2" in res.stdout
    assert re.search(r"^epoch 3/3 ", res.stdout, re.M) and not re.search(r"^epoch [12]/3 ", res.stdout, re.M)
    assert saved_epoch(tmp_path / "resumed") == 3

    # same seed, same numbers: the resumed run took exactly the steps of the uninterrupted one
    a, b = metrics(tmp_path / "fresh"), metrics(tmp_path / "resumed")
    assert [r["epoch"] for r in b] == ["1", "2", "3"]
    for key in ["train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr"]:
        assert [r[key] for r in a] == [r[key] for r in b], key
    assert accuracy(res.stdout) == accuracy(fresh.stdout)

    again = cli("train", "--out", "resumed", "--resume", "--quiet")
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_train_on_npz_with_mlp(cli, tmp_path):
    x, y = bars(90)
    data = write_npz(tmp_path / "bars.npz", x=x, y=y)
    proc = gg("train", "--data", data, "--model", "mlp", "--epochs", "3", "--quiet", "--out", "mlp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert accuracy(proc.stdout) > 80.0  # an easy 3-class problem
    assert proc.stdout.count("\n") == 1  # --quiet: only the result line
    assert (tmp_path / "mlp" / "checkpoint.safetensors").exists()
    ins = cli("inspect", tmp_path / "mlp" / "checkpoint.safetensors")
    assert re.search(r"^model\.fc1\.weight\s+\(128, 784\)\s+float32\s+401,408$", ins.stdout, re.M)


def test_interrupt_keeps_the_last_complete_checkpoint(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    p = subprocess.Popen([sys.executable, "-m", "graphgrad", "train", "--epochs", "200", *SMALL, "--out", "out",
                          "--quiet"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    ckpt = tmp_path / "out" / "checkpoint.safetensors"
    deadline = time.monotonic() + 180
    while not ckpt.exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # let it get into a later epoch (or into the middle of writing a checkpoint)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr
    assert "interrupted in epoch" in stderr and "graphgrad train --out out --resume" in stderr
    epoch = saved_epoch(tmp_path / "out")  # loadable
    assert epoch >= 1 and f"holds the last complete epoch ({epoch})" in stderr
    assert int(metrics(tmp_path / "out")[-1]["epoch"]) == epoch
    assert not [p for p in os.listdir(tmp_path / "out") if p.endswith(".tmp")]


# --- bad input: one line on stderr, a non-zero exit, no traceback -----------------------------------------
def _npz_cases(tmp):
    x, y = bars(20)
    (tmp / "junk.npz").write_text("this is not an npz file")
    (tmp / "dir.npz").mkdir()
    np.save(tmp / "x.npy", x)
    return {
        "missing file": (tmp / "nope.npz", "nope.npz: no such file"),
        "a directory": (tmp / "dir.npz", "is a directory"),
        "not an npz": (tmp / "junk.npz", "not a readable .npz file"),
        "an npy": (tmp / "x.npy", "a single .npy array, not an .npz file"),
        "no y": (write_npz(tmp / "no_y.npz", x=x), "expected arrays x (images) and y (labels), but it holds x"),
        "x 1-D": (write_npz(tmp / "flat.npz", x=np.zeros(20), y=y), "x has shape (20,); expected images N×H×W"),
        "x strings": (write_npz(tmp / "str.npz", x=np.array(["a"] * 20), y=y), "x has dtype <U1"),
        "x objects": (write_npz(tmp / "obj.npz", x=np.array([None] * 20), y=y), "x or y is an array of Python objects"),
        "channels last": (write_npz(tmp / "hwc.npz", x=np.zeros((20, 10, 10, 3)), y=y), "channels-last"),
        "nan": (write_npz(tmp / "nan.npz", x=np.full((20, 10, 10), np.nan), y=y), "x holds NaN"),
        "float labels": (write_npz(tmp / "fy.npz", x=x, y=y.astype(float)),
                         "y has dtype float64; expected integer class labels"),
        "label count": (write_npz(tmp / "short.npz", x=x, y=y[:5]), "y has shape (5,); expected (20,)"),
        "labels 2-D": (write_npz(tmp / "y2d.npz", x=x, y=y[:, None]), "y has shape (20, 1); expected (20,)"),
        "negative label": (write_npz(tmp / "neg.npz", x=x, y=y - 1), "labels out of range: y holds -1"),
        "huge label": (write_npz(tmp / "huge.npz", x=x, y=y * 10**6), "labels out of range: y holds 2000000"),
        "sparse labels": (write_npz(tmp / "sparse.npz", x=x, y=y * 100), "labels are not numbered 0..K-1"),
        "empty": (write_npz(tmp / "empty.npz", x=np.zeros((0, 8, 8)), y=np.zeros(0, int)), "the data set is empty"),
        "one class": (write_npz(tmp / "one.npz", x=x, y=np.zeros(20, int)), "only one class"),
    }


def test_bad_data_files(run2, cli, tmp_path):
    conv = run2[0] / "out" / "checkpoint.safetensors"
    for case, (path, message) in _npz_cases(tmp_path).items():
        assert_one_line_error(cli("train", "--data", path, "--epochs", "1", "--out", "out"), 2, message, case=case)
        if case not in ("one class", "sparse labels"):  # (evaluation may see any subset of the classes)
            assert_one_line_error(cli("evaluate", conv, "--data", path), 2, message, case=case)
    assert not (tmp_path / "out" / "checkpoint.safetensors").exists()
    # the same through a real process: exit status 2, one line, no traceback
    assert_one_line_error(gg("train", "--data", "nope.npz", cwd=tmp_path), 2, "error: nope.npz: no such file")


def test_bad_options(cli):
    assert_one_line_error(cli("train", "--epochs", "0"), 2, "--epochs", "must be at least 1")
    assert_one_line_error(cli("train", "--shift", "-1"), 2, "--shift", "must be at least 0, not -1")
    assert_one_line_error(cli("train", "--batch-size", "x"), 2, "--batch-size", "invalid int value: 'x'")
    assert_one_line_error(cli("train", "--optimizer", "rmsprop"), 2, "invalid choice: 'rmsprop'")
    assert_one_line_error(cli("train", "--lr", "-1"), 2, "--lr", "must be above 0")
    assert_one_line_error(cli("train", "--limit", "1", "--quiet"), 2, "--limit 1: at least 2 images")
    assert_one_line_error(cli("train", "--out", "empty", "--resume"), 2, "no checkpoint to resume")
    Path("afile").write_text("")
    assert_one_line_error(cli("train", "--out", "afile", "--limit", "50", "--quiet"), 2, "--out afile: is a file")
    assert_one_line_error(cli("frobnicate"), 2, "invalid choice: 'frobnicate'")
    assert_one_line_error(cli("evaluate"), 2, "the following arguments are required: CHECKPOINT")


def test_bad_checkpoints(run2, cli, tmp_path):
    import graphgrad

    cwd, _ = run2
    conv = cwd / "out" / "checkpoint.safetensors"
    assert_one_line_error(cli("evaluate", "none.safetensors"), 2, "none.safetensors: no such file")
    assert_one_line_error(cli("inspect", "none.safetensors"), 2, "none.safetensors: no such file")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 100)
    assert_one_line_error(cli("evaluate", "junk.safetensors"), 2, "junk.safetensors: not a safetensors file")
    assert_one_line_error(cli("inspect", "junk.safetensors"), 2, "junk.safetensors: not a safetensors file")
    (tmp_path / "half.safetensors").write_bytes(conv.read_bytes()[:5000])
    assert_one_line_error(cli("evaluate", "half.safetensors"), 2, "half.safetensors: ", "truncated")
    graphgrad.save({"w": graphgrad.ones(3)}, str(tmp_path / "plain.safetensors"))
    assert_one_line_error(cli("evaluate", "plain.safetensors"), 2, "not a checkpoint written by graphgrad train")
    assert cli("inspect", "plain.safetensors").stdout.splitlines()[1:3] == [
        "name  shape  dtype         bytes", "w     (3,)   float32          12"]

    # a checkpoint of another model: --resume with --model mlp, and weights that do not fit their model
    shutil.copytree(cwd / "out", tmp_path / "conv")
    assert_one_line_error(cli("train", "--out", "conv", "--resume", "--model", "mlp"), 2,
                          "is of the model 'conv', not 'mlp'")
    ckpt = graphgrad.load(str(conv))
    ckpt["model_name"] = "mlp"
    graphgrad.save(ckpt, str(tmp_path / "relabelled.safetensors"))
    assert_one_line_error(cli("evaluate", "relabelled.safetensors"), 2, "its weights do not fit the model 'mlp'")
    del ckpt["meta"]["mean"]
    graphgrad.save(ckpt, str(tmp_path / "damaged.safetensors"))
    assert_one_line_error(cli("evaluate", "damaged.safetensors"), 2, "a damaged checkpoint", "lacks meta.mean")
    ckpt = graphgrad.load(str(conv))
    ckpt["model_name"] = "resnet"
    graphgrad.save(ckpt, str(tmp_path / "unknown.safetensors"))
    assert_one_line_error(cli("evaluate", "unknown.safetensors"), 2, "model 'resnet', which graphgrad train does not")

    x, y = bars(20)
    big = write_npz(tmp_path / "big_labels.npz", x=x, y=y + 9)  # labels 9..11, the model knows 0..9
    assert_one_line_error(cli("evaluate", conv, "--data", big), 2, "labels out of range: y holds 11")
    rgb = write_npz(tmp_path / "rgb.npz", x=np.zeros((20, 3, 8, 8), np.uint8), y=y)
    assert_one_line_error(cli("evaluate", conv, "--data", rgb), 2, "3 channel(s), but the model takes 1")

    assert_one_line_error(gg("evaluate", "junk.safetensors", cwd=tmp_path), 2, "error: junk.safetensors: not a")


def test_missing_optional_package(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert_one_line_error(cli("train", "--epochs", "1"), 3, "graphgrad train needs matplotlib",
                          "pip install 'graphgrad[cli]'")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    assert_one_line_error(cli("inspect", "x.safetensors"), 3, "needs safetensors", "pip install 'graphgrad[cli]'")
    # and in a real process, where the package cannot be imported at all
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "tqdm.py").write_text("raise ImportError('No module named tqdm')\n")
    proc = gg("train", "--epochs", "1", "--out", "out", cwd=tmp_path, pythonpath=[shim])
    assert_one_line_error(proc, 3, "graphgrad train needs tqdm, which is not installed: pip install 'graphgrad[cli]'")


def test_help_and_console_script(tmp_path):
    proc = gg("train", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in ["--model", "--data", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed", "--out",
                   "--resume", "--quiet"]:
        assert option in proc.stdout
    exe = shutil.which("graphgrad")
    if exe:
        proc = subprocess.run([exe, "inspect", "--help"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "CHECKPOINT" in proc.stdout

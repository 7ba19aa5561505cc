"""Every script in examples/ runs to the end and prints what it shows.

Each example runs in a subprocess of its own (as a user would run it), in a temporary directory.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# example -> lines (or parts of lines) its output must contain
EXPECTED = {
    "retain_grad.py": ["a.grad=-0.8323", "b.grad=-0.4161", "c.grad=-0.4161", "a.retains_grad=False"],
    "backward_twice.py": [
        "z.sum().backward() raised RuntimeError:",
        "Trying to backward through the graph a second time",
        "equal: True",
    ],
    "register_hook.py": [
        "v.grad with the doubling hook: tensor([2., 2., 2.])",
        "v.grad after h.remove() and one more backward: tensor([3., 3., 3.])",
        "tensor([6., 6., 6.])",
    ],
    "retain_graph_twice.py": [
        "same graph twice (retain_graph=True on the first): grad doubled: True",
        "two forward passes, no retain_graph: grad doubled: True",
        "same graph twice without retain_graph: RuntimeError: Trying to backward through the graph a second time",
    ],
    "two_losses.py": ["== (loss1 + loss2).backward(): True", "optimizer.step() moved the first layer"],
    "srgan_update.py": [
        "g_loss.backward() raised RuntimeError:",
        "one of the variables needed for gradient computation has been modified by an inplace operation",
        "step 2: d_loss",
        "no retain_graph, no error",
    ],
    "content_loss.py": [
        "got an unexpected keyword argument 'retain_variables'",
        "module by module with retain_graph == one backward of the sum: True",
        "the next one raised RuntimeError: Trying to backward through the graph a second time",
    ],
    "shared_trunk_two_heads.py": [
        "two backward calls give the same grads as (loss1 + loss2).backward(): True",
        "without retain_graph=True the second backward raised RuntimeError:",
    ],
    "gradient_accumulation.py": [
        "accumulated equals full batch: True",
        "without / 3, ratio to full   : 3.0",
        "per-sample sum equals full-batch sum: True",
    ],
    "make_dot_conv_classifier.py": [
        "wrote conv_classifier.dot",
        "ConvolutionBackward0",
        "MulBackward0",  # dropout2d in training mode
        "AccumulateGrad leaf conv1.weight (5, 1, 5, 5)",
    ],
}


# examples that draw the graph with make_dot, which needs the graphviz Python package
NEEDS_GRAPHVIZ = {"make_dot_conv_classifier.py"}


def _skip_without_graphviz(name):
    if name not in NEEDS_GRAPHVIZ:
        return
    try:
        import graphviz  # noqa: F401
    except ImportError:
        pytest.skip(f"{name} needs the graphviz package (pip install graphviz)")


def test_make_dot_examples_skip_without_graphviz(monkeypatch):
    """Where the graphviz package is missing, the example that draws with make_dot is skipped, the rest run."""
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError, as when not installed
    with pytest.raises(pytest.skip.Exception, match="needs the graphviz package"):
        _skip_without_graphviz("make_dot_conv_classifier.py")
    _skip_without_graphviz("retain_grad.py")


def test_every_example_is_checked():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path):
    _skip_without_graphviz(name)
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for line in EXPECTED[name]:
        assert line in proc.stdout, f"{name}: {line!r} not in its output:\n{proc.stdout}"
    # the docstring states the PyTorch behaviour reproduced
    source = (EXAMPLES / name).read_text()
    assert source.startswith('"""') and "PyTorch behaviour reproduced" in source.split('"""')[1]
    assert "import graphgrad as torch" in source


def test_make_dot_example_writes_dot(tmp_path):
    _skip_without_graphviz("make_dot_conv_classifier.py")
    subprocess.run([sys.executable, str(EXAMPLES / "make_dot_conv_classifier.py"), "g.dot"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    source = (tmp_path / "g.dot").read_text()
    assert source.startswith("digraph") and "conv1.weight" in source


DRIVER = """
import contextlib, io, json, sys, traceback
import torch  # noqa: F401  (imported once for all the examples)

out = {}
for path in sys.argv[1:]:
    source = open(path).read().replace("import graphgrad as torch\\n", "import torch\\n")
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(source, path, "exec"), {"__name__": "__main__"})
    except Exception:
        buf.write(traceback.format_exc())
    out[path] = buf.getvalue()
print(json.dumps(out))
"""


def test_examples_print_the_same_under_pytorch(tmp_path):
    """The examples are ordinary PyTorch code: run with ``import torch``, they print the same key lines."""
    pytest.importorskip("torch")
    names = [n for n in sorted(EXPECTED) if n != "make_dot_conv_classifier.py"]  # (graphgrad.viz: not PyTorch)
    proc = subprocess.run([sys.executable, "-c", DRIVER, *(str(EXAMPLES / n) for n in names)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    outputs = json.loads(proc.stdout.splitlines()[-1])
    for name in names:
        printed = outputs[str(EXAMPLES / name)]
        for line in EXPECTED[name]:
            assert line in printed, f"{name} under PyTorch: {line!r} not in its output:\n{printed}"

"""Public PyTorch programs, rewritten small, print PyTorch's output when ``import torch`` resolves to graphgrad.

Each program in this folder keeps the structure and the torch calls of the program it is modeled on (named in its
header) with small synthetic data in place of downloads. ``expected/<name>.txt`` is what PyTorch prints for it
(written by ``regenerate.py``). Every program runs in a fresh process on graphgrad through ``graphgrad.as_torch``
(``_run.py``), and its output must equal PyTorch's text exactly; the numbers are printed to 4 significant digits so
that float32 rounding does not flip the text. ``test_expected_output_is_pytorchs`` checks the stored text against
the PyTorch installed.

Programs that do not yet print PyTorch's output are listed in ``NOT_YET`` with the cause; ``strict`` xfail makes a
fixed one fail until it is taken off the list.
"""

import subprocess
import sys

import pytest

from ._corpus import EXPECTED, HERE, PROGRAMS, run_programs

# program -> why its output is not yet PyTorch's, causes in the order the program meets them
NOT_YET = {
    "tutorials_blitz_neural_networks": ("type(loss.grad_fn).__name__ is 'Node' where PyTorch's is the node's name "
                                        "(MseLossBackward0)"),
}


@pytest.fixture(scope="module")
def graphgrad_runs():
    return run_programs("graphgrad")


@pytest.fixture(scope="module")
def torch_runs():
    pytest.importorskip("torch")
    return run_programs("torch")


def _marked(names):
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[name])) if name in NOT_YET
            else name for name in names]


@pytest.mark.parametrize("name", _marked(PROGRAMS))
def test_program_prints_pytorchs_output(name, graphgrad_runs):
    run = graphgrad_runs[name]
    assert run["returncode"] == 0, f"{name} failed on graphgrad:\n{run['stderr'][-4000:]}"
    assert run["stdout"] == (EXPECTED / f"{name}.txt").read_text()


@pytest.mark.parametrize("name", PROGRAMS)
def test_expected_output_is_pytorchs(name, torch_ref, torch_runs):
    run = torch_runs[name]
    assert run["returncode"] == 0, f"{name} failed on PyTorch {torch_ref.__version__}:\n{run['stderr'][-4000:]}"
    assert run["stdout"] == (EXPECTED / f"{name}.txt").read_text(), "run regenerate.py after changing a program"


def test_every_program_names_its_original_and_has_expected_output():
    assert len(PROGRAMS) >= 25
    assert set(NOT_YET) <= set(PROGRAMS)
    for name in PROGRAMS:
        assert (HERE / f"{name}.py").read_text().startswith("# Modeled on "), name
        assert (EXPECTED / f"{name}.txt").is_file(), f"no expected output for {name}: run regenerate.py {name}"
    assert sorted(p.stem for p in EXPECTED.glob("*.txt")) == PROGRAMS


def test_as_torch_runs_a_script_as_main(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\n"
        "import torch\n"
        "import torch.nn as nn\n"
        "import torch.nn.functional as F\n"
        "from torch.utils.data.dataloader import DataLoader\n"
        "import graphgrad\n"
        "assert torch is graphgrad and nn is graphgrad.nn and F is graphgrad.nn.functional\n"
        "print(__name__, sys.argv[1:], F.relu(torch.tensor([-1.0, 2.0])).tolist())\n"
        "import torch.no_such_module\n"
    )
    proc = subprocess.run([sys.executable, "-m", "graphgrad.as_torch", str(script), "a", "--b"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.stdout == "__main__ ['a', '--b'] [0.0, 2.0]\n"
    assert proc.stderr.rstrip().endswith("ModuleNotFoundError: No module named 'torch.no_such_module'")
    usage = subprocess.run([sys.executable, "-m", "graphgrad.as_torch"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage: python -m graphgrad.as_torch script.py" in usage.stderr


def test_as_torch_install_gives_graphgrads_modules_and_uninstall_restores(torch_ref):
    import graphgrad
    import graphgrad.as_torch

    graphgrad.as_torch.install()
    try:
        import torch
        import torch.nn.functional
        import torch.utils.data

        assert torch is graphgrad and torch.nn.functional is graphgrad.nn.functional
        assert sys.modules["torch.utils.data"] is graphgrad.utils.data
    finally:
        graphgrad.as_torch.uninstall()
    import torch

    assert torch is not graphgrad and torch.__version__ == torch_ref.__version__

"""benchmarks/api_coverage.py: the torch names a file uses, found from its syntax tree, and the coverage report."""

import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import api_coverage  # noqa: E402


def test_names_follow_every_way_of_importing_torch():
    source = (
        "import torch\n"
        "import torch.nn as nn\n"
        "import torch.nn.functional as F\n"
        "from torch import optim\n"
        "from torch.utils.data import DataLoader as DL\n"
        "import numpy as np\n"
        "model = nn.Sequential(nn.Linear(2, 3))\n"
        "y = F.relu(torch.randn(2).sum()).item()\n"
        "opt = optim.SGD(model.parameters(), lr=0.1)\n"
        "torch.backends.cudnn.benchmark = True\n"
        "np.zeros(3)\n"
        "x = y.view(1)  # a method on a value: not counted\n"
    )
    assert api_coverage.torch_names(source) == {
        "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data.DataLoader",
        "torch.nn.Sequential", "torch.nn.Linear", "torch.nn.functional.relu", "torch.randn", "torch.optim.SGD",
        "torch.backends.cudnn.benchmark",
    }
    assert api_coverage.torch_names("import numpy\nnumpy.zeros(2)\n") is None
    assert api_coverage.torch_names("print 'python 2'\n") is None


def test_missing_part_is_the_shortest_missing_prefix():
    assert api_coverage.missing_part("torch.nn.Linear") is None
    assert api_coverage.missing_part("torch._C._get_tracing_state") == "torch._C"


def test_scan_and_report(tmp_path, torch_ref):
    (tmp_path / "covered.py").write_text("import torch\nfrom torch import nn\nnn.Linear(2, 3)\ntorch.relu\n")
    (tmp_path / "uses_private.py").write_text("import torch\ntorch._C._get_tracing_state()\n")
    (tmp_path / "not_in_pytorch.py").write_text("import torch\ntorch.my_own_patch = 1\n")  # dropped: torch lacks it
    (tmp_path / "no_torch.py").write_text("import numpy\n")
    notebook = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "import torch.nn.functional as F\n",
                                                           "F.no_such_function_anywhere\n", "F.gelu\n"]},
                          {"cell_type": "markdown", "source": ["torch._C"]}]}
    (tmp_path / "notebook.ipynb").write_text(json.dumps(notebook))
    found, skipped = api_coverage.scan([str(tmp_path)])
    assert skipped == 1 and len(found[str(tmp_path)]) == 4
    out = io.StringIO()
    share = api_coverage.report(found, out=out)
    assert share == 0.75
    assert "     1  torch._C" in out.getvalue()


def test_main_with_assumed_names(tmp_path, torch_ref, capsys):
    (tmp_path / "uses_private.py").write_text("import torch\ntorch._C._get_tracing_state()\n")
    api_coverage.main([str(tmp_path)])
    assert "torch._C" in capsys.readouterr().out.split("missing names")[1]
    try:
        api_coverage.main([str(tmp_path), "--assume", "torch._C"])
        assert capsys.readouterr().out.split("\n")[-4].split()[-1] == "100.0%"  # the "all" line
    finally:
        api_coverage.ASSUMED.clear()

"""The three mistakes PyTorch lets pass silently, for which graphgrad warns (the lines named are checked in
test_misuse_gallery.py): a saved tensor written through ``.data``, a gradient hook that writes into its
argument, parameters replaced after the optimizer was built. Here: the numbers stay PyTorch's, each warning
comes once per site and obeys the warnings filters, and the legitimate look-alikes (frozen layers, a GAN's
two optimizers, an optimizer over the head only) stay quiet.

Programs that count warnings are written to their own temporary file: "once per site" is per process.
"""

from __future__ import annotations

import runpy
import textwrap
import warnings

import pytest

import graphgrad

from .._parity import compare
from .test_misuse_gallery import (
    head_replaced_after_the_optimizer,
    hook_doubles_its_grad_in_place,
    write_through_data_into_a_saved_output,
)


def _graphgrad_warnings(tmp_path, source, name="program.py"):
    """Run ``source`` (a program that imports graphgrad as torch) from its own file; graphgrad's warnings."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runpy.run_path(str(path))
    return [str(w.message) for w in caught if str(w.message).startswith("graphgrad:")]


@pytest.mark.parametrize("program", [write_through_data_into_a_saved_output, hook_doubles_its_grad_in_place,
                                     head_replaced_after_the_optimizer])
def test_the_numbers_stay_pytorchs(program, torch_ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(program(graphgrad), program(torch_ref))


DATA_WRITE = """
    import graphgrad as torch
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(4):
        out = (w * 2).sigmoid()
        loss = (out * w).sum()
        out.data.zero_()
        loss.backward()
"""

HOOK_WRITE = """
    import graphgrad as torch
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(4):
        a, b = x * 1, x * 3
        a.register_hook(lambda g: g.mul_(2))
        ((a + b) * torch.tensor([1.0, 1.0, 1.0])).sum().backward()
"""

REPLACED_HEAD = """
    import graphgrad as torch
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model[1] = torch.nn.Linear(4, 1)
    for _ in range(8):
        opt.zero_grad()
        model(torch.ones(2, 3)).sum().backward()
        opt.step()
"""


def test_a_write_through_a_view_of_data_warns_too(tmp_path):
    got = _graphgrad_warnings(tmp_path, """
        import graphgrad as torch
        w = torch.ones(2, 3, requires_grad=True)
        out = (w * 2).tanh()
        out.data[:, 0].zero_()
        out.sum().backward()
    """)
    assert len(got) == 1 and "through .data at program.py:5  out.data[:, 0].zero_()" in got[0]


@pytest.mark.parametrize("source", [DATA_WRITE, HOOK_WRITE, REPLACED_HEAD], ids=["data", "hook", "optimizer"])
def test_each_warning_comes_once_per_site(source, tmp_path):
    assert len(_graphgrad_warnings(tmp_path, source)) == 1


@pytest.mark.parametrize("source", [DATA_WRITE, HOOK_WRITE, REPLACED_HEAD], ids=["data", "hook", "optimizer"])
def test_simplefilter_ignore_silences_them(source, tmp_path):
    path = tmp_path / "quiet.py"
    path.write_text(textwrap.dedent(source))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        runpy.run_path(str(path))
    assert caught == []


QUIET = {
    "frozen_backbone": """
        import graphgrad as torch
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        for p in model[0].parameters():
            p.requires_grad_(False)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(6):
            opt.zero_grad()
            model(torch.ones(2, 3)).sum().backward()
            opt.step()
    """,
    "gan_two_optimizers": """
        import graphgrad as torch
        torch.manual_seed(0)
        G = torch.nn.Linear(2, 3)
        D = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Sigmoid())
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
        for _ in range(6):
            real, z = torch.randn(4, 3), torch.randn(4, 2)
            fake = G(z)
            opt_d.zero_grad()
            d_loss = -(D(real).log().mean() + (1 - D(fake.detach())).log().mean())
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = -D(fake).log().mean()
            g_loss.backward()
            opt_g.step()
    """,
    "optimizer_over_the_head_only": """
        import graphgrad as torch
        backbone, head = torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(head.parameters(), lr=0.1)
        for _ in range(6):
            opt.zero_grad()
            head(backbone(torch.ones(2, 3))).sum().backward()
            opt.step()
    """,
    "unused_branch_and_no_stranded_parameters": """
        import graphgrad as torch
        model = torch.nn.ModuleDict({"a": torch.nn.Linear(3, 1), "b": torch.nn.Linear(3, 1)})
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(6):
            opt.zero_grad()
            model["a"](torch.ones(2, 3)).sum().backward()
            opt.step()
    """,
    "hook_returning_a_new_tensor": """
        import graphgrad as torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: g * 2)
        y.sum().backward()
    """,
    "data_write_before_the_graph": """
        import graphgrad as torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        w.data.mul_(0.5)
        (w * w).sum().backward()
    """,
}


@pytest.mark.parametrize("name", list(QUIET))
def test_legitimate_look_alikes_stay_quiet(name, tmp_path):
    assert _graphgrad_warnings(tmp_path, QUIET[name], f"{name}.py") == []

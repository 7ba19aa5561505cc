"""Parameters replaced after the optimizer was built (``model.head = nn.Linear(...)`` after
``optim.SGD(model.parameters())``): PyTorch trains on silently, the new layer's gradients reaching no
optimizer and the old layer's parameters never changing. graphgrad keeps that behaviour and warns at
``step()``.

The sign, checked after every step: some of the optimizer's parameters that require grad have had no
``.grad`` for ``STALE_STEPS`` steps in a row (a counter: nothing more on the usual path). Only then are the
modules of the user's frame searched for parameters that require grad, did receive a gradient and belong
to no optimizer alive. Frozen layers (``requires_grad=False``) never count as missing, and a GAN's two
optimizers each own their parameters, so neither case warns.

>>> import warnings, graphgrad as torch
>>> model = torch.nn.Sequential(torch.nn.Linear(2, 2))
>>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
>>> model[0] = torch.nn.Linear(2, 2)
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     for _ in range(3):
...         model(torch.ones(1, 2)).sum().backward(); opt.step()
>>> "belong to no optimizer" in str(caught[-1].message)
True
"""

from __future__ import annotations

import weakref

from .._core.sites import user_frame, user_site, warn_once_at_user_line
from .._tensor import Tensor
from ..autograd.errors import format_site

STALE_STEPS = 3
_OPTIMIZERS = weakref.WeakSet()  # every optimizer alive: a parameter in none of them is stranded


def note_built(optimizer) -> None:
    """Register an optimizer and the line that built it (its ``parameters()`` call)."""
    _OPTIMIZERS.add(optimizer)
    optimizer._built_at = user_site()


def check_after_step(optimizer) -> None:
    """Count the steps in a row where some parameter that requires grad had no ``.grad``; warn at the
    ``STALE_STEPS``-th if gradients went to parameters outside every optimizer instead."""
    missing = [p for group in optimizer.param_groups for p in group["params"] if p.grad is None and p.requires_grad]
    if not missing:
        optimizer._stale_steps = 0
        return
    stale = optimizer.__dict__.get("_stale_steps", 0) + 1
    optimizer._stale_steps = stale
    if stale == STALE_STEPS:
        _warn_if_stranded(optimizer, missing)


def _modules_in(frame):
    """(name, module) for the modules the user's frame holds, and those of its ``self``."""
    found = []
    for k, v in list(frame.f_locals.items()):
        if callable(getattr(v, "named_parameters", None)) and not isinstance(v, type):
            found.append((k, v))
        elif k == "self":
            found.extend((f"self.{a}", m) for a, m in list(getattr(v, "__dict__", {}).items())
                         if callable(getattr(m, "named_parameters", None)) and not isinstance(m, type))
    return found


def _warn_if_stranded(optimizer, missing):
    frame = user_frame()
    if frame is None:
        return
    owned = {id(p) for opt in list(_OPTIMIZERS) for group in opt.param_groups for p in group["params"]}
    stranded, seen = [], set()
    for name, module in _modules_in(frame):
        try:
            params = list(module.named_parameters())
        except Exception:  # a user object with its own named_parameters: not ours to judge
            continue
        for pname, p in params:
            if (isinstance(p, Tensor) and id(p) not in owned and id(p) not in seen and p.requires_grad
                    and p.grad is not None):
                seen.add(id(p))
                stranded.append(f"{name}.{pname}")
    if not stranded:
        return
    opt_name = next((f"`{k}`" for k, v in list(frame.f_locals.items()) if v is optimizer), "the optimizer")
    built = getattr(optimizer, "_built_at", None)
    built_text = f" (built at {format_site(built)})" if built is not None else ""
    step_site = (frame.f_code.co_filename, frame.f_lineno)
    shown = ", ".join(stranded[:4]) + (f" and {len(stranded) - 4} more" if len(stranded) > 4 else "")
    warn_once_at_user_line(
        ("stranded parameters", step_site),
        f"graphgrad: {type(optimizer).__name__} {opt_name}{built_text} has {len(missing)} parameter(s) that "
        f"require grad and have had no .grad for {STALE_STEPS} steps (step() at {format_site(step_site)}), while "
        f"{shown} require grad, receive "
        "gradients and belong to no optimizer. They were probably replaced after the optimizer was built "
        "(model.layer = nn.Linear(...)): their gradients reach no optimizer and the old parameters never change. "
        "Build the optimizer again after replacing them (redo the parameters() call"
        f"{' at ' + format_site(built) if built is not None else ''}), or add the new ones with "
        "add_param_group({'params': ...}).")

"""Arguments of the wrong kind that are not tensors (ints, lists of ints, floats, flags, strings), run on graphgrad
and on PyTorch: the helpers of tests/nn/test_argument_kinds.py and tests/ops/test_argument_kinds.py.

A case is a call with its tensors and its other parameters, each with its kind and a value it takes. Each
parameter in turn is replaced by values of other kinds (a float, a nested list, a string, None, a tensor, ...)
and by values of kinds PyTorch's parser also takes (a NumPy int, a 0-dim integer tensor), passed by position and
by keyword; both libraries must answer alike: a result of the same shape, or the same exception type and text
(the first line only of PyTorch's "invalid combination of arguments", whose listing marks the refused types;
graphgrad may add its own explanation after PyTorch's text).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pytest

I, IS, FL, B, S, FIX = "int", "ints", "float", "bool", "str", "fixed"  # the kinds ("fixed": never replaced)
IO, FO, BO, ISO = "int?", "float?", "bool?", "ints?"  # ... that also take None
# values left out, with the reason
EXCLUDED = {
    # PyTorch's parser takes a complex number for a float or a Number; its kernel then fails to convert it, in a
    # text naming its C++ type (float or double), or computes in complex numbers, which graphgrad does not hold
    "complex",
}


class Case(NamedTuple):
    label: str
    call: object  # call(lib, *args, **kwargs)
    tensors: object  # tensors(lib) -> the leading arguments
    params: list  # [(name, kind, a value it takes)]


def functional(name):
    return lambda lib, *a, **k: getattr(lib.nn.functional, name)(*a, **k)


def function(name):
    return lambda lib, *a, **k: getattr(lib, name)(*a, **k)


def method(name):
    return lambda lib, *a, **k: getattr(a[0], name)(*a[1:], **k)


def values(*shape):
    """A tensor of distinct values (sines of 0, 1, 2, ...)."""
    return lambda lib: [lib.arange(float(np.prod(shape))).reshape(*shape).sin()]


def variants(kind, good):
    """(label, value(lib)) of the other kinds for a parameter of ``kind`` that takes ``good``; ``ok:`` for kinds
    that PyTorch is expected to take (what it does is what is compared)."""
    base = kind.rstrip("?")
    if base == "ints":
        n = good if isinstance(good, int) else good[0]
        seq = [n] if isinstance(good, int) else list(good)
        out = [("float", lambda L: float(n)), ("[float]", lambda L: [float(x) for x in seq]),
               ("[[int]]", lambda L: [seq]), ("str", lambda L: str(n)), ("[int,float]", lambda L: seq + [n + 0.5]),
               ("[int,str]", lambda L: seq + ["a"]), ("[int,None]", lambda L: seq + [None]),
               ("bool", lambda L: True), ("[bool]", lambda L: [True] * len(seq)),
               ("ftensor0", lambda L: L.tensor(float(n))), ("ftensor1", lambda L: L.tensor([float(x) for x in seq])),
               ("np.float64", lambda L: np.float64(n)), ("ndarray", lambda L: np.array(seq)),
               ("dict", lambda L: {n: n}), ("ok:np.int64", lambda L: np.int64(n)),
               ("ok:itensor0", lambda L: L.tensor(n)),
               ("ok:[np.int64]", lambda L: [np.int64(x) for x in seq]),
               ("ok:[itensor0]", lambda L: [L.tensor(x) for x in seq]),
               ("ok:tuple", lambda L: tuple(seq)), ("ok:itensor1", lambda L: L.tensor(seq))]
    elif base == "int":
        out = [("float", lambda L: float(good)), ("float.5", lambda L: good + 0.5), ("str", lambda L: str(good)),
               ("[int]", lambda L: [good]), ("bool", lambda L: bool(good)),
               ("ftensor0", lambda L: L.tensor(float(good))),
               ("np.float64", lambda L: np.float64(good)), ("ok:np.int64", lambda L: np.int64(good)),
               ("ok:itensor0", lambda L: L.tensor(good)), ("itensor1", lambda L: L.tensor([good])),
               ("itensor2", lambda L: L.tensor([good, good]))]
    elif base == "float":
        out = [("str", lambda L: str(good)), ("[float]", lambda L: [good]), ("(float,)", lambda L: (good,)),
               ("ftensor2", lambda L: L.tensor([good, good])), ("complex", lambda L: complex(good, 1)),
               ("ok:int", lambda L: int(good)), ("ok:np.float32", lambda L: np.float32(good)),
               ("ok:ftensor0", lambda L: L.tensor(good)), ("ok:bool", lambda L: bool(good)),
               ("ndarray", lambda L: np.array([good]))]
    elif base == "bool":
        out = [("str", lambda L: str(good)), ("int", lambda L: int(good)), ("float", lambda L: float(good)),
               ("[bool]", lambda L: [good]), ("ftensor0", lambda L: L.tensor(float(good))),
               ("np.bool_", lambda L: np.bool_(good)), ("btensor0", lambda L: L.tensor(good))]
    else:  # str
        out = [("int", lambda L: 1), ("[str]", lambda L: [good]), ("bytes", lambda L: good.encode())]
    if not kind.endswith("?") and base != "str":
        out.append(("None", lambda L: None))
    return [(label, value) for label, value in out if label not in EXCLUDED]


def outcome(lib, case, args, kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = case.call(lib, *case.tensors(lib), *args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        text = str(e).replace("graphgrad", "torch")
        if "received an invalid combination of arguments" in text:
            text = _got_as_a_set(text.splitlines()[0])
        return f"{type(e).__name__}: {text}"
    if isinstance(result, (tuple, list)):
        result = result[0]
    return f"ok {tuple(result.shape)}"


def _got_as_a_set(line):
    """PyTorch lists the keyword arguments of an invalid combination in the order of a C++ hash map (graphgrad
    writes them last to first, which that order is for two): what was got is compared as a set."""
    head, sep, rest = line.partition(" - got (")
    got, _, tail = rest.rpartition(")")
    return head + sep + ", ".join(sorted(filter(None, got.split(", ")))) + ")" + tail


def _same(ours, theirs):
    return ours == theirs or (not theirs.startswith("ok") and ours.startswith(theirs))


def mismatches(lib_ours, lib_theirs, case, j, skip=()):
    """What graphgrad answers differently when parameter ``j`` of ``case`` gets each other kind (``skip``: the
    variants left out for this parameter), by position and by keyword."""
    names = [name for name, _, _ in case.params]
    name, kind, good = case.params[j]
    found = []
    for label, build in variants(kind, good):
        if label in skip:
            continue
        for form in ("position", "keyword"):
            answers = []
            for lib in (lib_ours, lib_theirs):
                vals = [v for _, _, v in case.params]
                bad = build(lib)
                if form == "position":
                    args, kwargs = vals[:j] + [bad] + vals[j + 1:], {}
                else:
                    args, kwargs = vals[:j], dict(zip(names[j:], [bad] + vals[j + 1:]))
                answers.append(outcome(lib, case, args, kwargs))
            if not _same(*answers):
                found.append(f"{name}={label} by {form}:\n  graphgrad: {answers[0]}\n  torch:     {answers[1]}")
    return found


def params_of(cases, skip=None):
    """pytest's parameters: one per (case, parameter) that is replaced; ``skip``: {(label, param): variants}."""
    out = []
    for case in cases:
        for j, (name, kind, _) in enumerate(case.params):
            if kind != FIX:
                left_out = (skip or {}).get((case.label, name), ())
                out.append(pytest.param(case, j, left_out, id=f"{case.label}-{name}"))
    return out

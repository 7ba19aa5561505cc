"""A differential fuzzer: random small programs run on graphgrad and on PyTorch, outcomes compared.

A program is Python source, one statement per line, over a library bound to ``T`` and NumPy inputs ``A``:

    x0 = T.tensor(A[0], requires_grad=True)
    v1 = T.sin(x0)
    v1.retain_grad()
    with T.no_grad(): v1.add_(1)
    v2 = (v1 * x0).sum()
    v2.backward()

Both libraries get the same NumPy inputs (no random streams are compared). The outcome of a run is every
tensor variable at the end (values with NaN == NaN, dtype, shape, requires_grad, and ``.grad`` where PyTorch
keeps one), or, at the first statement that raises, the exception's type and the first line of its message.
Because a program is a list of lines, a disagreement shrinks by deleting lines while it persists
(``minimize``), and its reproducer is the remaining source.

The elementwise, binary and reducing ops are the registry's (``graphgrad.ops.REGISTRY``) under the public
names both libraries share, kept where a probe on ordinary inputs gives the same values in both (which also
drops random ops and ones needing other arguments); views, indexing, in-place writes, hooks, ``no_grad``,
``detach`` and double backward are written out here.
"""

from __future__ import annotations

import builtins
import re
import warnings

import numpy as np

RTOL, ATOL = 1e-4, 1e-5

# names whose probe would pass but whose meaning needs arguments the generator does not give, or that are
# not ops on values (constructors and bookkeeping)
_SKIP = {"alias", "clone", "copy_slices", "copy_backwards", "to_copy", "not_implemented", "fill", "zero",
         "unsafe_view", "as_strided", "expand", "view", "select", "slice", "permute", "repeat", "split",
         "unbind", "index", "index_put", "random", "normal", "uniform", "bernoulli", "exponential"}


# --- outcomes -------------------------------------------------------------------------------------
def _is_tensor(v):
    return hasattr(v, "requires_grad") and hasattr(v, "detach") and hasattr(v, "dtype")


def _exc_kind(e):
    """The builtin exception class a library's error is (torch's _LinAlgError is a RuntimeError)."""
    for cls in type(e).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return type(e).__name__


def _first_line(e):
    """The message's first line, with the library's own name as one word (torch.return_types.sort and
    graphgrad.return_types.sort are the same thing)."""
    text = str(e).strip().splitlines()
    line = text[0] if text else ""
    return re.sub(r"\b(torch|graphgrad)\.", "T.", line)


def describe(v):
    """A library value as plain data: tensors as (values, dtype, shape, requires_grad, grad)."""
    if _is_tensor(v):
        try:  # reading grad_fn may raise (a multi-output view written through its base), in both libraries
            grad = None
            if v.is_leaf or v.retains_grad:
                grad = describe(v.grad) if v.grad is not None else None
        except Exception as e:  # noqa: BLE001
            return ("py", f"{_exc_kind(e)} on reading: {_first_line(e)}")
        arr = np.array(v.detach().numpy(), copy=True)
        return ("tensor", arr, str(v.dtype).rsplit(".", 1)[-1], tuple(v.shape), bool(v.requires_grad), grad)
    if isinstance(v, (list, tuple)):
        return ("seq", [describe(x) for x in v])
    if isinstance(v, (bool, int, float, str, type(None), np.bool_, np.integer, np.floating)):
        return ("py", v.item() if isinstance(v, np.generic) else v)
    return ("other", type(v).__name__)


def outcome(prog, T):
    """Run ``prog(T)`` (a function) and describe what came out, or the exception it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", describe(prog(T)))
        except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
            return ("error", _exc_kind(e), _first_line(e))


def _same_value(a, b, where="value"):
    if a[0] != b[0]:
        return f"{where}: {a[0]} vs {b[0]}"
    kind = a[0]
    if kind == "tensor":
        _, va, da, sa, ra, ga = a
        _, vb, db, sb, rb, gb = b
        if da != db:
            return f"{where}: dtype {da} vs {db}"
        if sa != sb:
            return f"{where}: shape {sa} vs {sb}"
        if ra != rb:
            return f"{where}: requires_grad {ra} vs {rb}"
        if va.dtype.kind in "fc" or vb.dtype.kind in "fc":
            if not np.allclose(va.astype(np.float64), vb.astype(np.float64), rtol=RTOL, atol=ATOL, equal_nan=True):
                return f"{where}: values differ"
        elif not np.array_equal(va, vb):
            return f"{where}: values differ"
        if (ga is None) != (gb is None):
            return f"{where}: grad {'None' if ga is None else 'set'} vs {'None' if gb is None else 'set'}"
        if ga is not None:
            return _same_value(ga, gb, where + ".grad")
        return None
    if kind == "seq":
        if len(a[1]) != len(b[1]):
            return f"{where}: length {len(a[1])} vs {len(b[1])}"
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            problem = _same_value(x, y, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if kind == "py" and isinstance(a[1], float) and isinstance(b[1], float):
        return None if np.allclose(a[1], b[1], rtol=RTOL, atol=ATOL, equal_nan=True) else f"{where}: {a[1]} vs {b[1]}"
    return None if a[1] == b[1] else f"{where}: {a[1]!r} vs {b[1]!r}"


def same_outcome(ours, theirs):
    """None when two outcomes agree, else what differs (one line)."""
    if ours[0] != theirs[0]:
        if ours[0] == "error":
            return f"graphgrad raised {ours[1]}: {ours[2]}"
        return f"only torch raised {theirs[1]}: {theirs[2]}"
    if ours[0] == "error":
        if ours[1:] != theirs[1:]:
            return f"error {ours[1]}: {ours[2]!r} vs {theirs[1]}: {theirs[2]!r}"
        return None
    return _same_value(ours[1], theirs[1])


# --- running program source -------------------------------------------------------------------------
def run_source(lines, arrays, T):
    """Execute the program's lines with ``T`` bound to a library; the outcome as ``outcome`` gives it, with the
    failing line's number in front of an exception."""
    env = {"T": T, "A": arrays, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, line in enumerate(lines):
            try:
                exec(line, env)  # noqa: S102 - the fuzzer's own generated statements
            except Exception as e:  # noqa: BLE001
                return ("error", _exc_kind(e), f"line {i}: {_first_line(e)}")
        names = sorted((k for k, v in env.items() if re.fullmatch(r"[xvg]\d+", k) and _is_tensor(v)),
                       key=lambda k: int(k[1:]))
        return ("ok", describe([env[k] for k in names]))


def _tensors_after(lines, arrays, T):
    env = {"T": T, "A": arrays, "np": np}
    for line in lines:
        exec(line, env)  # noqa: S102
    return [k for k, v in env.items() if _is_tensor(v)]


def compare_source(lines, arrays, graphgrad, torch):
    """None if graphgrad and PyTorch agree on the program, else the difference."""
    ours = run_source(lines, [a.copy() for a in arrays], graphgrad)
    theirs = run_source(lines, [a.copy() for a in arrays], torch)
    return same_outcome(ours, theirs)


def minimize(lines, arrays, graphgrad, torch):
    """Delete lines (the leaves' lines too) while the two libraries still disagree."""
    lines = list(lines)
    changed = True
    while changed:
        changed = False
        for i in range(len(lines) - 1, -1, -1):
            trial = lines[:i] + lines[i + 1:]
            if trial and compare_source(trial, arrays, graphgrad, torch) is not None:
                lines = trial
                changed = True
    return lines


def reproducer(lines, arrays, problem):
    """Runnable source for one disagreement (``T`` is either library)."""
    head = [f"# {problem}", "import numpy as np", "import torch as T  # or: import graphgrad as T",
            "inf, nan = float('inf'), float('nan')"]
    data = [f"A = [{', '.join(_array_source(a) for a in arrays)}]"]
    return "\n".join(head + data + list(lines)) + "\n"


def _array_source(a):
    body = np.array2string(a, separator=", ", threshold=10**6, floatmode="unique").replace("\n", "")
    return f"np.array({body}, dtype=np.{a.dtype.name}).reshape({a.shape})"


# --- the op table: registry names both libraries share ----------------------------------------------
def _public_names():
    from graphgrad.ops import REGISTRY

    names = set()
    for op in REGISTRY.values():
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op.forward_name).lower()
        name = re.sub(r"(?<=\D)_(?=\d)|(?<=\d)_(?=[a-z])", "", name)  # log1_p -> log1p, avg_pool2_d -> avg_pool2d
        if name and name not in _SKIP and not name.endswith(("_backward", "backward0_copy")):
            names.add(name)
    return sorted(names)


def _callable(T, name):
    """``T.name`` or ``T.nn.functional.name`` (as source text), or None."""
    if callable(getattr(T, name, None)):
        return f"T.{name}"
    if callable(getattr(T.nn.functional, name, None)):
        return f"T.nn.functional.{name}"
    return None


_TABLE: dict = {}


def op_table(graphgrad, torch):
    """{"unary": [...], "binary": [...], "dim": [...], "inplace": [...]}: call templates kept by a probe."""
    if _TABLE:
        return _TABLE
    rng = np.random.default_rng(1)
    a = rng.uniform(0.2, 1.8, (2, 3)).astype(np.float32)
    b = rng.uniform(0.2, 1.8, (2, 3)).astype(np.float32)
    probes = {"unary": "{f}({0})", "binary": "{f}({0}, {1})", "dim": "{f}({0}, 1)"}
    table = {k: [] for k in ("unary", "binary", "dim", "inplace")}
    for name in _public_names():
        fn = _callable(graphgrad, name)
        if fn is None or _callable(torch, name) != fn:
            continue
        for kind, template in probes.items():
            call = template.replace("{f}", fn)
            lines = ["x0 = T.tensor(A[0], requires_grad=True)", "x1 = T.tensor(A[1], requires_grad=True)",
                     "v2 = " + call.format("x0", "x1"), "v3 = v2.sum()", "v3.backward()"]
            if run_source(lines[:3], [a, b], torch)[0] == "ok" and "v2" not in _tensors_after(lines[:3], [a, b], torch):
                call += "[0]"  # a tuple of results (sort, max(dim), mode, ...): the values
                lines[2] = "v2 = " + call.format("x0", "x1")
            ok = run_source(lines, [a, b], torch)
            if ok[0] == "ok" and compare_source(lines, [a, b], graphgrad, torch) is None:
                table[kind].append(call)
        if (f"T.{name}" == fn and callable(getattr(graphgrad.Tensor, name + "_", None))
                and callable(getattr(torch.Tensor, name + "_", None))):
            lines = ["x0 = T.tensor(A[0])", f"x0.{name}_()"]
            if run_source(lines, [a], torch)[0] == "ok" and compare_source(lines, [a], graphgrad, torch) is None:
                table["inplace"].append(f"{{0}}.{name}_()")
    _TABLE.update(table)
    return _TABLE


# --- the generator ------------------------------------------------------------------------------------
_SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1), (0, 3), (4,), (2, 2)]
_VIEWS = ["{0}.view(-1)", "{0}.reshape(-1, 1)", "{0}.t()", "{0}.transpose(0, -1)", "{0}.unsqueeze(0)",
          "{0}.squeeze()", "{0}.flatten()", "{0}[0]", "{0}[..., :1]", "{0}[None]", "{0}.mT",
          "{0}.expand(2, *{0}.shape)", "{0}.narrow(-1, 0, 1)", "{0}.select(-1, 0)",
          "{0}.permute(*range({0}.dim())[::-1])",
          "{0}.unbind(-1)[0]", "{0}.split(1, -1)[0]", "{0}.chunk(2)[0]", "{0}.diagonal()", "{0}.movedim(0, -1)"]
_INDEX = ["{0}[{0} > 0]", "{0}[T.tensor([0, -1])]", "{0}[:, T.tensor([0, 0, 1])]", "{0}.masked_fill({0} < 0, 0.5)",
          "{0}.index_select(-1, T.tensor([0]))", "{0}.gather(-1, T.zeros_like({0}, dtype=T.int64))",
          "T.where({0} > 0, {0}, {1})", "{0}.masked_select({0} > 0.5)", "{0}.take(T.tensor([0]))",
          "{0}.flip(0)", "{0}.roll(1, 0)", "T.cat([{0}, {1}])", "T.stack([{0}, {1}])", "{0}.tril()",
          "{0}.clamp(-0.5, 0.5)", "{0}.clamp(min={1})"]
_REDUCE = ["{0}.sum()", "{0}.mean()", "{0}.max()", "{0}.min()", "{0}.prod()", "{0}.median()", "{0}.amax(-1)",
           "{0}.sum(-1, keepdim=True)", "{0}.max(-1)[0]", "{0}.min(0).values", "{0}.std()", "{0}.var(0)",
           "{0}.norm()", "{0}.logsumexp(-1)", "{0}.softmax(-1)", "{0}.log_softmax(0)", "{0}.cumsum(0)",
           "{0}.topk(1)[0]", "{0}.sort(descending=True)[0]", "{0}.argmax()", "{0}.abs().sum()"]
_BINOPS = ["{0} + {1}", "{0} - {1}", "{0} * {1}", "{0} / {1}", "{0} ** 2", "{0} @ {1}", "T.matmul({0}, {1}.mT)",
           "{0} * 2.5", "1 - {0}", "{0} > {1}", "{0} ** {1}", "T.maximum({0}, {1})", "T.minimum({0}, {1})",
           "{0}.lerp({1}, 0.3)", "T.atan2({0}, {1})", "{0}.float()", "{0}.double()", "{0}.to(T.float32)"]
_INPLACE = ["{0}.add_({1})", "{0}.mul_(2)", "{0}.relu_()", "{0}.clamp_(-1, 1)", "{0}.zero_()", "{0}[0] = 1.5",
            "{0}[{0} > 0] = 0", "{0}.copy_({1})", "{0}.sub_(1)", "{0}.fill_(0.25)", "{0}.exp_()", "{0}.div_({1})",
            "{0}.masked_fill_({0} > 1, -1.0)", "{0}.detach_()", "{0}.requires_grad_(False)"]
_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0]


def _inputs(rng):
    n = int(rng.integers(1, 4))
    arrays = []
    for _ in range(n):
        shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
        a = rng.uniform(-2, 2, shape)
        if a.size and rng.random() < 0.25:  # NaN, infinities and signed zeros in some inputs
            flat = a.reshape(-1)
            flat[rng.integers(a.size)] = _SPECIAL[int(rng.integers(len(_SPECIAL)))]
        dtype = np.float64 if rng.random() < 0.1 else np.float32
        arrays.append(a.astype(dtype))
    return arrays


def generate(rng, table):
    """One program: (lines, arrays)."""
    arrays = _inputs(rng)
    lines, names = [], []
    for i in range(len(arrays)):
        rg = rng.random() < 0.8
        lines.append(f"x{i} = T.tensor(A[{i}]{', requires_grad=True' if rg else ''})")
        names.append(f"x{i}")
    unary, binary, dims = table["unary"], table["binary"], table["dim"]
    inplace = _INPLACE + table["inplace"]
    families = [(unary, 4), (binary, 2), (dims, 1), (_BINOPS, 4), (_VIEWS, 3), (_INDEX, 2), (_REDUCE, 2),
                (inplace, 2)]
    weights = np.array([w for _, w in families], float)
    weights /= weights.sum()
    for _ in range(int(rng.integers(5, 31))):
        k = len(lines)
        a = names[-1] if rng.random() < 0.5 else names[int(rng.integers(len(names)))]
        b = names[int(rng.integers(len(names)))]
        roll = rng.random()
        if roll < 0.04:
            lines.append(f"{a}.retain_grad()")
            continue
        if roll < 0.07:
            # grad_fn is read first: PyTorch 2.13 crashes (a segmentation fault) registering a hook on a view
            # whose base was written in place since, unless the view's grad_fn was brought up to date before
            lines.append(f"{a}.grad_fn; h{k} = {a}.register_hook(lambda g: g * 2)")
            continue
        if roll < 0.09:
            lines.append(f"v{k} = {a}.detach()")
            names.append(f"v{k}")
            continue
        family = families[int(rng.choice(len(families), p=weights))][0]
        template = family[int(rng.integers(len(family)))]
        expr = template.format(a, b)
        if family is inplace:
            stmt = expr
        else:
            stmt = f"v{k} = {expr}"
            names.append(f"v{k}")
        if rng.random() < 0.08:
            stmt = f"with T.no_grad(): {stmt}"
        lines.append(stmt)
    last = names[-1]
    end = rng.random()
    if end < 0.6:
        lines.append(f"{last}.sum().backward()")
    elif end < 0.75:
        lines.append(f"{last}.backward(T.ones_like({last}))")
    elif end < 0.9:  # double backward: a gradient penalty through the first derivative
        leaf = names[int(rng.integers(len(arrays)))]
        k = len(lines)
        lines.append(f"g{k} = T.autograd.grad({last}.sum(), {leaf}, create_graph=True)[0]")
        lines.append(f"(g{k} * g{k}).sum().backward()")
    return lines, arrays


def fuzz(n_programs, seed, graphgrad, torch, on_disagreement=None):
    """Run ``n_programs`` programs; the number that agree. ``on_disagreement(lines, arrays, problem)`` is
    called for each that does not."""
    table = op_table(graphgrad, torch)
    rng = np.random.default_rng(seed)
    agree = 0
    for _ in range(n_programs):
        lines, arrays = generate(rng, table)
        problem = compare_source(lines, arrays, graphgrad, torch)
        if problem is None:
            agree += 1
        elif on_disagreement is not None:
            on_disagreement(lines, arrays, problem)
    return agree

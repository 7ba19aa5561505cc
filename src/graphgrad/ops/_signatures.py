"""PyTorch's overloads of the torch.* functions (and Tensor methods) whose arguments past the tensors are checked
by kind before the call: ints, lists of ints, floats, flags (see ``_parser``). Facts of PyTorch 2.13, written as
its schema writes them (native_functions.yaml, ``self`` named ``input``), in the order PyTorch lists them under
"expected one of"; the method's overloads are the same without ``input`` and ``out``.

Not here: the functions that are Python code in PyTorch (``split``, ``norm``) and the methods that are
(``PYTHON_METHODS``), whose errors are their code's, answered by the older rules in ``_args``; and ``clamp``, whose
own checks in ``unary`` write PyTorch's whole listing of overloads with the "didn't match because" lines that
this model does not write.
"""

from __future__ import annotations

_FACTORY = ("*, Tensor? out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
            "bool pin_memory=False, bool requires_grad=False")
_NEW = "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, " \
       "bool? requires_grad=False"


def _reduction(name, out=""):
    """sum, mean: the whole tensor, or over ``dim`` (``out``: the first overload's out= too, as mean's)."""
    return [f"{name}(Tensor input, *, ScalarType? dtype=None{out})",
            f"{name}(Tensor input, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor? out=None)"]


def _moments(name):
    return [f"{name}(Tensor input, int[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor? out=None)",
            f"{name}(Tensor input, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, "
            "Tensor? out=None)",
            f"{name}(Tensor input, bool unbiased=True)"]


def _extremum(name):
    return [f"{name}(Tensor input, *, Tensor? out=None)", f"{name}(Tensor input, Tensor other, *, Tensor? out=None)",
            f"{name}(Tensor input, int dim, bool keepdim=False, *, Tensor[]? out=None)"]


def _any_all(name):
    return [f"{name}(Tensor input, *, Tensor? out=None)",
            f"{name}(Tensor input, int[]? dim=None, bool keepdim=False, *, Tensor? out=None)",
            f"{name}(Tensor input, int dim, bool keepdim=False, *, Tensor? out=None)"]


def _random(name):
    return [f"{name}(SymInt[] size, *, Generator? generator, {_FACTORY[3:]})", f"{name}(SymInt[] size, {_FACTORY})"]


SIGNATURES = {
    "sum": _reduction("sum"), "mean": _reduction("mean", ", Tensor? out=None"), "nansum": _reduction("nansum"),
    "prod": ["prod(Tensor input, *, ScalarType? dtype=None)",
             "prod(Tensor input, int dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor? out=None)"],
    "amax": ["amax(Tensor input, int[1] dim=[], bool keepdim=False, *, Tensor? out=None)"],
    "dist": ["dist(Tensor input, Tensor other, Scalar p=2, *, Tensor? out=None)"],
    "amin": ["amin(Tensor input, int[1] dim=[], bool keepdim=False, *, Tensor? out=None)"],
    "std": _moments("std"), "var": _moments("var"),
    "logsumexp": ["logsumexp(Tensor input, int[1] dim, bool keepdim=False, *, Tensor? out=None)"],
    "argmax": ["argmax(Tensor input, int? dim=None, bool keepdim=False, *, Tensor? out=None)"],
    "argmin": ["argmin(Tensor input, int? dim=None, bool keepdim=False, *, Tensor? out=None)"],
    "all": _any_all("all"), "any": _any_all("any"),
    "max": _extremum("max"), "min": _extremum("min"),
    "median": ["median(Tensor input)", "median(Tensor input, int dim, bool keepdim=False, *, Tensor[]? out=None)"],
    "count_nonzero": ["count_nonzero(Tensor input, int? dim=None)", "count_nonzero(Tensor input, int[] dim)"],
    "cumsum": ["cumsum(Tensor input, int dim, *, ScalarType? dtype=None, Tensor? out=None)"],
    "cumprod": ["cumprod(Tensor input, int dim, *, ScalarType? dtype=None, Tensor? out=None)"],
    "logcumsumexp": ["logcumsumexp(Tensor input, int dim, *, Tensor? out=None)"],
    "softmax": ["softmax(Tensor input, int dim, ScalarType? dtype=None)"],
    "log_softmax": ["log_softmax(Tensor input, int dim, ScalarType? dtype=None)"],
    "topk": ["topk(Tensor input, SymInt k, int dim=-1, bool largest=True, bool sorted=True, *, Tensor[]? out=None)"],
    "kthvalue": ["kthvalue(Tensor input, SymInt k, int dim=-1, bool keepdim=False, *, Tensor[]? out=None)"],
    "sort": ["sort(Tensor input, *, bool? stable, int dim=-1, bool descending=False, Tensor[]? out=None)",
             "sort(Tensor input, int dim=-1, bool descending=False, *, Tensor[]? out=None)"],
    "argsort": ["argsort(Tensor input, *, bool stable, int dim=-1, bool descending=False, Tensor? out=None)",
                "argsort(Tensor input, int dim=-1, bool descending=False)"],
    # shapes
    "reshape": ["reshape(Tensor input, SymInt[] shape)"],
    "view": ["view(Tensor input, ScalarType dtype)", "view(Tensor input, SymInt[] size)"],
    "permute": ["permute(Tensor input, int[] dims)"],
    "transpose": ["transpose(Tensor input, int dim0, int dim1)"],
    "swapdims": ["swapdims(Tensor input, int dim0, int dim1)"],
    "swapaxes": ["swapaxes(Tensor input, int axis0, int axis1)"],
    "unflatten": ["unflatten(Tensor input, int dim, SymInt[] sizes)"],
    "flatten": ["flatten(Tensor input, int start_dim=0, int end_dim=-1)"],
    "squeeze": ["squeeze(Tensor input)", "squeeze(Tensor input, int dim)", "squeeze(Tensor input, int[] dim)"],
    "unsqueeze": ["unsqueeze(Tensor input, int dim)"],
    "narrow": ["narrow(Tensor input, int dim, Tensor start, SymInt length)",
               "narrow(Tensor input, int dim, SymInt start, SymInt length)"],
    "select": ["select(Tensor input, int dim, SymInt index)"],
    "chunk": ["chunk(Tensor input, int chunks, int dim=0)"],
    "unbind": ["unbind(Tensor input, int dim=0)"],
    "movedim": ["movedim(Tensor input, int source, int destination)",
                "movedim(Tensor input, int[] source, int[] destination)"],
    "roll": ["roll(Tensor input, SymInt[1] shifts, int[1] dims=[])"],
    "flip": ["flip(Tensor input, int[] dims)"],
    "repeat": ["repeat(Tensor input, SymInt[] repeats)"],
    "expand": ["expand(Tensor input, SymInt[] size, *, bool implicit=False)"],
    "tile": ["tile(Tensor input, SymInt[] dims)"],
    "diagonal": ["diagonal(Tensor input, int offset=0, int dim1=0, int dim2=1)"],
    "tril": ["tril(Tensor input, SymInt diagonal=0, *, Tensor? out=None)"],
    "triu": ["triu(Tensor input, SymInt diagonal=0, *, Tensor? out=None)"],
    "cat": ["cat(Tensor[] tensors, int dim=0, *, Tensor? out=None)"],
    "stack": ["stack(Tensor[] tensors, int dim=0, *, Tensor? out=None)"],
    "index_select": ["index_select(Tensor input, int dim, Tensor index, *, Tensor? out=None)"],
    "diff": ["diff(Tensor input, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None, *, "
             "Tensor? out=None)"],
    "repeat_interleave": [
        "repeat_interleave(Tensor input, Tensor repeats, int? dim=None, *, SymInt? output_size=None)",
        "repeat_interleave(Tensor repeats, *, SymInt? output_size=None)",
        "repeat_interleave(Tensor input, SymInt repeats, int? dim=None, *, SymInt? output_size=None)"],
    "round": ["round(Tensor input, *, Tensor? out=None)", "round(Tensor input, *, int decimals, Tensor? out=None)"],
    "matrix_power": ["matrix_power(Tensor input, int n, *, Tensor? out=None)"],
    "mvlgamma": ["mvlgamma(Tensor input, int p, *, Tensor? out=None)"],
    "special_multigammaln": ["special_multigammaln(Tensor input, int p, *, Tensor? out=None)"],
    "special_polygamma": ["special_polygamma(int n, Tensor input, *, Tensor? out=None)"],
    "_weight_norm": ["_weight_norm(Tensor v, Tensor g, int dim=0)"],
    "norm_except_dim": ["norm_except_dim(Tensor v, int pow=2, int dim=0)"],
    # factories
    "zeros": [f"zeros(SymInt[] size, {_FACTORY})"], "ones": [f"ones(SymInt[] size, {_FACTORY})"],
    "empty": [f"empty(SymInt[] size, {_FACTORY}, MemoryFormat? memory_format=None)"],
    "full": [f"full(SymInt[] size, Scalar fill_value, {_FACTORY})"],
    "randn": _random("randn"), "rand": _random("rand"),
    "randint": [f"randint(SymInt high, SymInt[] size, *, Generator? generator, {_FACTORY[3:]})",
                f"randint(SymInt high, SymInt[] size, {_FACTORY})",
                f"randint(SymInt low, SymInt high, SymInt[] size, *, Generator? generator, {_FACTORY[3:]})",
                f"randint(SymInt low, SymInt high, SymInt[] size, {_FACTORY})"],
    "arange": [f"arange(Scalar end, {_FACTORY})",
               f"arange(Scalar start, Scalar end, {_FACTORY.replace('Tensor? out=None, ', '')})",
               f"arange(Scalar start, Scalar end, Scalar step=1, {_FACTORY})"],
    "linspace": [f"linspace(Tensor start, Tensor end, int steps, {_FACTORY})",
                 f"linspace(Scalar start, Tensor end, int steps, {_FACTORY})",
                 f"linspace(Tensor start, Scalar end, int steps, {_FACTORY})",
                 f"linspace(Scalar start, Scalar end, int steps, {_FACTORY})"],
    "eye": [f"eye(SymInt n, {_FACTORY})", f"eye(SymInt n, SymInt m, {_FACTORY})"],
    "new_zeros": [f"new_zeros(Tensor input, SymInt[] size, {_NEW})"],
    "new_ones": [f"new_ones(Tensor input, SymInt[] size, {_NEW})"],
    "new_empty": [f"new_empty(Tensor input, SymInt[] size, {_NEW})"],
    "new_full": [f"new_full(Tensor input, SymInt[] size, Scalar fill_value, {_NEW})"],
}

# methods that are Python code in PyTorch (Tensor.unflatten tests ``not sizes`` first, then calls the kernel
# with its arguments by position): only their function form is here
PYTHON_METHODS = frozenset({"unflatten"})

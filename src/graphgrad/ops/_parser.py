"""PyTorch's Python argument parser, modelled: what each kind of parameter takes, and PyTorch's TypeError for an
argument of the wrong kind (facts of torch/csrc/utils/python_arg_parser.cpp in PyTorch 2.13).

A kernel's overloads are written as PyTorch's schema writes them (native_functions.yaml, ``self`` named
``input``): ``"avg_pool2d(Tensor input, int[2] kernel_size, int[2] stride=[], bool ceil_mode=False)"``. ``T?``
also takes None, ``int[2]`` also takes one int for both, ``*`` starts the keyword-only parameters; ``SymInt``
takes anything with ``__index__`` (an integer tensor of one element), ``int`` only ints and 0-dim integer tensors.

``Kernel.error(args, kwargs)`` is the TypeError PyTorch's parser raises for the call, or None where it takes it:

- one overload, or one whose argument count fits the call: the argument it refuses, ``avg_pool2d(): argument
  'kernel_size' (position 2) must be tuple of ints, not float`` (no position for a keyword argument; "but found
  element of type float at pos 0" for a positional list whose first element is wrong);
- several that fit: ``sum() received an invalid combination of arguments - got (Tensor, float), ...``;
- a list of ints is checked on its first element only; a later one fails when converted: ``argument 'kernel_size'
  failed to unpack the object at pos 2 with error "type must be tuple of ints,but got float"``.

A call of the wrong arity or with a keyword the schema lacks is left alone (None): graphgrad's own binding, or its
older rules in ``_args``, answer those.

Checking costs one look per argument, so callers first ask ``Kernel.fast_ok`` (exact types that are always taken:
an int for an int, a tuple of ints for a tuple of ints) and run the model only when that says no.
"""

from __future__ import annotations

import operator

import numpy as np

from .._constants import memory_format as _memory_format
from .._core.layouts import layout as _layout
from .._device import device as _device
from .._dtype import dtype as _dtype
from .._tensor import Tensor

_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement


def torch_type_name(x):
    """The name PyTorch's argument errors give the type of ``x``: the C type's full name (``numpy.ndarray``,
    ``numpy.float32``), a Python class's own name (``list``, ``Foo``)."""
    if isinstance(x, Tensor):
        return "Tensor"
    cls = type(x)
    if cls.__flags__ & _HEAP_TYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


# --- what each kind takes (the C++ checks, one function each) ---------------------------------------------
def _is_long(v):  # THPUtils_checkLong: an int (not a bool) or a NumPy integer
    return (isinstance(v, int) and type(v) is not bool) or isinstance(v, np.integer)


def _is_index(v):  # THPUtils_checkIndex: no bool; an int, or anything whose __index__ answers
    if type(v) is bool:
        return False
    if _is_long(v):
        return True
    try:
        operator.index(v)
    except Exception:  # noqa: BLE001 - any failure of __index__ means "not an index"
        return False
    return True


def _is_double(v):  # THPUtils_checkDouble: a float, an int (bool included) or a NumPy number
    return isinstance(v, (float, int, np.number, np.bool_))


def _scalar_tensor(v):  # a 0-dim tensor stands for a number where it needs no gradient
    return isinstance(v, Tensor) and v.dim() == 0 and not v.requires_grad


def _integral(t):
    return t.dtype._category <= 1  # bool or integer


def _takes_int(v, size):  # an int, or a 0-dim integer tensor (bool is no int here)
    return _is_long(v) or (_scalar_tensor(v) and v.dtype._category == 1)


def _takes_int_list(v, size):
    """(taken, index of the refused element or -1): a tuple or list checked on its first element, or (with a
    size, ``int[2]``) one int."""
    if isinstance(v, (tuple, list)):
        if not v or _is_index(v[0]):
            return True, -1
        return False, 0
    return size > 0 and _is_index(v), -1


_TAKES = {
    "Tensor": lambda v, size: isinstance(v, Tensor),
    "Scalar": lambda v, size: _is_double(v) or isinstance(v, complex) or _scalar_tensor(v),
    "float": lambda v, size: _is_double(v) or _scalar_tensor(v),
    "int": _takes_int,
    "SymInt": lambda v, size: _is_index(v),
    "bool": lambda v, size: type(v) is bool,
    "str": lambda v, size: isinstance(v, (str, bytes)),
    "float[]": lambda v, size: isinstance(v, (tuple, list)) and (
        not v or _is_double(v[0]) or isinstance(v[0], complex)),
    "ScalarType": lambda v, size: isinstance(v, _dtype) or v is float or v is int or v is bool,
    "Device": lambda v, size: isinstance(v, (_device, str)) or _is_long(v),
    "Layout": lambda v, size: isinstance(v, _layout),
    "MemoryFormat": lambda v, size: isinstance(v, _memory_format),
}
_INT_LISTS = frozenset({"int[]", "SymInt[]"})
_PLAIN = frozenset({int, float, bool, str})
_TENSOR_KINDS = frozenset({"Tensor", "Tensor[]"})
# what PyTorch's texts call each kind
_TYPE_NAMES = {
    "Tensor": "Tensor", "Tensor[]": "tuple of Tensors", "Scalar": "Number", "int": "int", "SymInt": "int",
    "float": "float", "bool": "bool", "str": "str", "int[]": "tuple of ints", "SymInt[]": "tuple of ints",
    "float[]": "tuple of floats", "ScalarType": "torch.dtype", "Layout": "torch.layout", "Device": "torch.device",
    "Generator": "torch.Generator", "MemoryFormat": "torch.memory_format",
}
# exact types a kind always takes: the cheap first look (None as well where the parameter takes None)
_FAST = {
    "Tensor": (Tensor,), "Scalar": (int, float, bool), "float": (int, float, bool), "int": (int,),
    "SymInt": (int,), "bool": (bool,), "str": (str,), "ScalarType": (_dtype,), "Device": (_device, str),
    "Layout": (_layout,), "MemoryFormat": (_memory_format,), "Tensor[]": (list, tuple),
}
# PyTorch also finds these keywords under NumPy's names
_NUMPY_NAMES = {"dim": "axis", "keepdim": "keepdims", "input": "x"}
_FROM_NUMPY_NAMES = {v: k for k, v in _NUMPY_NAMES.items()}


class Param:
    __slots__ = ("name", "kind", "size", "allow_none", "optional", "keyword_only", "default", "fast")

    def __init__(self, text, keyword_only):
        kind, _, rest = text.partition(" ")
        name, eq, default = rest.partition("=")
        default = "None" if default == "[]" else default  # (PyTorch's bindings take None for an empty list)
        self.allow_none = kind.endswith("?") or default == "None"
        kind = kind.rstrip("?")
        self.size = 0
        if kind.endswith("]") and kind != "Tensor[]":
            kind, _, size = kind[:-1].partition("[")
            self.size = int(size or 0)
            kind += "[]"
        self.name, self.kind, self.keyword_only = name, kind, keyword_only
        self.optional, self.default = bool(eq), default
        fast = ((int,) if self.size else ()) if kind in _INT_LISTS else _FAST.get(kind)
        self.fast = None if fast is None else frozenset(fast + ((type(None),) if self.allow_none else ()))

    def takes(self, v):
        """(taken, index of the refused list element or -1)."""
        if self.kind in _INT_LISTS:
            return _takes_int_list(v, self.size)
        check = _TAKES.get(self.kind)
        return (check is None or check(v, self.size)), -1

    def unpack(self, v):
        """``v`` as the parser hands it to the kernel where graphgrad's code wants a plain value: a number from a
        0-dim tensor or a NumPy scalar, a str from bytes (``v`` itself where nothing changes)."""
        if type(v) in _PLAIN or v is None:
            return v
        kind = self.kind
        if kind in _INT_LISTS:
            if isinstance(v, (tuple, list)):
                return type(v)(_as_int(e) if _unpacks_to_int(e) and type(e) is not int else e for e in v)
            return _as_int(v) if _is_index(v) else v
        if kind in ("int", "SymInt") and self.takes(v)[0]:
            return _as_int(v)
        if kind in ("float", "Scalar") and isinstance(v, (Tensor, np.generic)) and self.takes(v)[0]:
            return v.item()
        if kind == "str" and isinstance(v, bytes):
            return v.decode()
        return v

    def shown(self):
        """As PyTorch lists the parameter under "expected one of"."""
        text = f"{_TYPE_NAMES.get(self.kind, self.kind)} {self.name}"
        return f"{text} = {self.default}" if self.optional else text


class Signature:
    """One overload, parsed from its schema text."""

    def __init__(self, text):
        self.name, _, params = text[:-1].partition("(")
        self.params, keyword_only = [], False
        for p in filter(None, params.split(", ")):
            if p == "*":
                keyword_only = True
            else:
                self.params.append(Param(p, keyword_only))
        self.min_args = sum(not p.optional for p in self.params)
        self.max_pos = sum(not p.keyword_only for p in self.params)
        # a single positional list of ints also takes its ints one by one: x.view(2, 3)
        self.varargs = self.max_pos == 1 and self.params[0].kind in _INT_LISTS

    def without_self(self):
        """The method's overload: ``self`` is not an argument, and a method has no ``out=`` (None: an overload
        that is no method, its first parameter not ``input``)."""
        if not self.params or self.params[0].name != "input":
            return None
        sig = Signature.__new__(Signature)
        sig.name, sig.params = self.name, [p for p in self.params[1:] if p.name != "out"]
        sig.min_args = sum(not p.optional for p in sig.params)
        sig.max_pos = sum(not p.keyword_only for p in sig.params)
        sig.varargs = sig.max_pos == 1 and sig.params[0].kind in _INT_LISTS
        return sig

    def shown(self):
        out, star = [], False
        for p in self.params:
            if p.keyword_only and not star:
                out.append("*")
                star = True
            out.append(p.shown())
        return f"({', '.join(out)})"

    def parse(self, args, kwargs, raising):
        """None where the call fits this overload; else its TypeError (raising) or a reason that is not one."""
        nargs, arg_pos, used = len(args), 0, 0
        if nargs > self.max_pos and not self.varargs:
            return _ARITY
        for i, p in enumerate(self.params):
            is_kwd = arg_pos >= nargs
            if not is_kwd:
                if p.keyword_only:
                    return _ARITY
                obj, present = args[arg_pos], True
            else:
                key = p.name if p.name in kwargs else _NUMPY_NAMES.get(p.name)
                present = key in kwargs
                obj = kwargs.get(key)
                used += present
            if (not present and p.optional) or (present and obj is None and p.allow_none):
                pass
            elif not present:
                return _ARITY
            else:
                if p.kind == "Tensor[]":
                    err = _tensor_list_error(obj, i)
                    if err is not None:
                        return err  # PyTorch raises this one whether or not it is still choosing an overload
                    taken, failed = isinstance(obj, (tuple, list)), -1
                else:
                    taken, failed = p.takes(obj)
                if not taken:
                    if self.varargs and arg_pos == 0 and not is_kwd and _takes_int_list(args, 1)[0]:
                        arg_pos = nargs  # permute(1, 0): the positional arguments are the list
                        continue
                    if not raising:
                        return _REFUSED
                    return self._refusal(p, obj, arg_pos + 1, is_kwd, failed, args)
            if not is_kwd:
                arg_pos += 1
        return _ARITY if used < len(kwargs) else None

    def _refusal(self, p, obj, position, is_kwd, failed, args):
        kind = _TYPE_NAMES.get(p.kind, p.kind)
        if is_kwd:
            return TypeError(f"{self.name}(): argument '{p.name}' must be {kind}, not {torch_type_name(obj)}")
        if failed != -1:
            seq = obj if isinstance(obj, (tuple, list)) else args
            return TypeError(f"{self.name}(): argument '{p.name}' (position {position}) must be {kind}, but found "
                             f"element of type {torch_type_name(seq[failed])} at pos {failed}")
        return TypeError(f"{self.name}(): argument '{p.name}' (position {position}) must be {kind}, not "
                         f"{torch_type_name(obj)}")

    def conversion_error(self, args, kwargs):
        """The error of converting the taken arguments: a list's later element that is no int (or float)."""
        values = self._bound(args, kwargs)
        for p in self.params:
            v = values.get(p.name)
            if not isinstance(v, (tuple, list)):
                continue
            if p.kind in _INT_LISTS:
                for idx, e in enumerate(v):
                    if not _unpacks_to_int(e):
                        return TypeError(f"{self.name}(): argument '{p.name}' failed to unpack the object at pos "
                                         f"{idx + 1} with error \"type must be tuple of ints,but got "
                                         f"{torch_type_name(e)}\"")
            elif p.kind == "float[]":
                for idx, e in enumerate(v):
                    if not _is_double(e) and not isinstance(e, Tensor):
                        return TypeError(f"{self.name}(): argument '{p.name}' must be tuple of floats, but found "
                                         f"element of type {torch_type_name(e)} at pos {idx + 1}")
        return None

    def unpacked(self, args, kwargs):
        """The call's arguments as the parser hands them on (``Param.unpack``), in the call's own form."""
        if self.varargs and len(args) > 1:  # x.view(2, 3): each positional argument is an element
            p = self.params[0]
            return tuple(p.unpack([a])[0] for a in args), kwargs
        params = [p for p in self.params if not p.keyword_only]
        new_args = tuple(p.unpack(a) for p, a in zip(params, args))
        by_name = {p.name: p for p in self.params}
        new_kwargs = {}
        for k, v in kwargs.items():
            p = by_name.get(k) or by_name.get(_FROM_NUMPY_NAMES.get(k))
            new_kwargs[k] = v if p is None else p.unpack(v)
        return new_args, new_kwargs

    def _bound(self, args, kwargs):
        if self.varargs and args and not isinstance(args[0], (tuple, list)):
            return {self.params[0].name: args}
        values = dict(zip((p.name for p in self.params), args))
        for p in self.params[len(args):]:
            key = p.name if p.name in kwargs else _NUMPY_NAMES.get(p.name)
            if key in kwargs:
                values[p.name] = kwargs[key]
        return values


_ARITY, _REFUSED = "arity", "refused"  # parse's answers that are not errors to raise


def _as_int(v):
    return int(v.item()) if isinstance(v, Tensor) else operator.index(v)


def _unpacks_to_int(e):
    if isinstance(e, Tensor):
        return e.numel() == 1 and _integral(e)
    try:
        operator.index(e)
    except Exception:  # noqa: BLE001 - any failure of __index__ means "not an int"
        return False
    return True


def _tensor_list_error(obj, argnum):
    if isinstance(obj, (tuple, list)):
        for k, t in enumerate(obj):
            if not isinstance(t, Tensor):
                return TypeError(f"expected Tensor as element {k} in argument {argnum}, but got {torch_type_name(t)}")
    return None


class Kernel:
    """A kernel's overloads (``texts``: schema strings, in PyTorch's order), as the function (``graphgrad.sum``)
    or, ``method=True``, as the method (``x.sum``, its arguments counted after self).

    ``lead``: how many leading positional parameters take tensors (looked at by the tensor checks instead);
    ``first``: the exact types that, as the one argument after them, some overload always takes. A wrapper skips
    ``check`` for a call that passes nothing beyond the tensors, or one such argument (``F.max_pool2d(x, 2)``,
    ``x.sum(1)``).
    """

    def __init__(self, texts, method=False, self_in_args=False):
        sigs = [Signature(t) for t in texts]
        self.signatures = [m for m in (s.without_self() for s in sigs) if m is not None] if method else sigs
        self.name = self.signatures[0].name
        self._fast = [_Fast(s) for s in self.signatures]
        lead = min(f.lead for f in self._fast)
        first = frozenset()
        for f, sig in zip(self._fast, self.signatures):
            f.lead = lead  # (past the kernel's tensors an overload's Tensor parameter is looked at too)
            if lead < len(f.pos) and sig.min_args <= lead + 1:
                first |= f.pos[lead] or frozenset()
                if f.varargs:
                    first |= {int}  # x.view(6)
        # ``self_in_args``: ``check`` gets a method's call with self first (lead counts it)
        self.skip = int(self_in_args)
        self.lead, self.first = lead + self.skip, first

    def check(self, args, kwargs):
        """``(args, kwargs)`` as PyTorch's parser hands them on (``Param.unpack``); PyTorch's TypeError where it
        refuses an argument's kind."""
        if self.skip:  # (a method's call: self first)
            new_args, kwargs = self._check(args[1:], kwargs)
            return (args[0], *new_args), kwargs
        return self._check(args, kwargs)

    def _check(self, args, kwargs):
        if self.fast_ok(args, kwargs):
            return args, kwargs
        sig, err = self.parse(args, kwargs)
        if err is not None:
            raise err
        return (args, kwargs) if sig is None else sig.unpacked(args, kwargs)

    def fast_ok(self, args, kwargs):
        """True when some overload takes every argument by its exact type alone (no model needed)."""
        return any(f.ok(args, kwargs) for f in self._fast)

    def error(self, args, kwargs):
        """PyTorch's TypeError for ``args``/``kwargs`` (self left out for a method), or None where it takes them
        (or where it refuses a tensor argument: the tensor checks word that)."""
        return self.parse(args, kwargs)[1]

    def parse(self, args, kwargs):
        """(the overload that takes the call or None, PyTorch's TypeError or None)."""
        sigs = self.signatures
        for sig in sigs:
            answer = sig.parse(args, kwargs, raising=False)
            if answer is None:
                return sig, sig.conversion_error(args, kwargs)
            if isinstance(answer, TypeError):
                return None, answer
        n = len(args) + len(kwargs)
        fits = [s for s in sigs if s.min_args <= n <= len(s.params)]
        if len(sigs) == 1 or len(fits) == 1:  # that overload's own complaint (the first wrong argument's)
            answer = (sigs[0] if len(sigs) == 1 else fits[0]).parse(args, kwargs, raising=True)
            if not isinstance(answer, TypeError) or "must be Tensor," in str(answer):
                return None, None
            return None, answer
        if not fits:
            return None, None  # no overload takes so many (or so few) arguments: graphgrad's binding says so
        return None, combination_error(self.name, args, kwargs, "".join(f" * {s.shown()}\n" for s in sigs))


class _Fast:
    """One overload's cheap look: the exact types each parameter always takes, by position and by name."""

    def __init__(self, sig):
        positional = [p for p in sig.params if not p.keyword_only]
        self.pos = tuple(p.fast for p in positional)
        self.kw = {p.name: p.fast for p in sig.params}
        self.int_lists = frozenset(i for i, p in enumerate(positional) if p.kind in _INT_LISTS)
        self.varargs = sig.varargs
        self.names = [p.name for p in sig.params]
        self.required = {p.name for p in sig.params if not p.optional}
        self.lead = next((i for i, p in enumerate(positional) if p.kind not in _TENSOR_KINDS), len(positional))

    def ok(self, args, kwargs):
        fast = self.pos
        if self.varargs and args and not kwargs and all(type(a) is int for a in args):
            return True  # x.view(2, 3)
        if len(args) > len(fast):
            return False
        for i in range(self.lead, len(args)):
            ok = fast[i]
            if (ok is None or type(args[i]) not in ok) and not (i in self.int_lists and _exact_ints(args[i])):
                return False
        for k, v in kwargs.items():
            ok = self.kw.get(k)
            if ok is None or type(v) not in ok:
                return False
        # every required parameter given (else another overload, or the binding, is the one to answer)
        return all(k in kwargs for k in self.names[len(args):] if k in self.required)


def _exact_ints(v):
    return type(v) in (tuple, list) and all(type(e) is int for e in v)


def combination_error(name, args, kwargs, overloads=None):
    """PyTorch's error for a call that matches none of a kernel's overloads; ``overloads``: its listing of them."""
    # (PyTorch lists the keyword arguments in its C++ hash map's order, last to first for one or two; each
    # followed by ", " when no positional argument came before them)
    got = ", ".join([torch_type_name(a) for a in args] + [f"{k}={torch_type_name(v)}"
                                                          for k, v in reversed(kwargs.items())])
    if kwargs and not args:
        got += ", "
    text = f"{name}() received an invalid combination of arguments - got ({got})"
    return TypeError(text if overloads is None else f"{text}, but expected one of:\n{overloads}")


class NoKinds:
    """The kinds of a function with nothing to check (as ``Kernel``: ``lead`` never reached, ``check`` a no-op)."""

    lead, first = 1 << 30, frozenset()

    @staticmethod
    def check(args, kwargs):
        return args, kwargs

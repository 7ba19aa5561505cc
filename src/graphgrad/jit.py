"""``graphgrad.jit``: TorchScript's entry points, honest about running eagerly.

``script`` and ``trace`` return the function or module they are given: graphgrad has no compiler, and
running the Python code is what the scripted or traced program computes. Writing or reading a TorchScript
archive (``save``/``load``) cannot be done honestly and raises.

>>> import graphgrad
>>> f = graphgrad.jit.script(lambda x: x * 2)
>>> f(graphgrad.tensor([1.0]))
tensor([2.])
"""

from __future__ import annotations

_NO_ARCHIVE = ("graphgrad has no TorchScript: it cannot {} a TorchScript archive.\n"
               "Save the weights instead: graphgrad.save(model.state_dict(), path), and rebuild the module in "
               "Python before load_state_dict.")


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or module) unchanged: it runs eagerly, which is what its script would do."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Return ``func`` unchanged. Unlike a real trace it keeps its Python control flow (a trace would freeze the
    branches taken by ``example_inputs``)."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def save(m, f, _extra_files=None):
    raise NotImplementedError(_NO_ARCHIVE.format("write"))


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError(_NO_ARCHIVE.format("read"))


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` or ``@jit.ignore(drop=True)``: nothing to leave out of a script that is not compiled."""
    if callable(drop):
        return drop
    return lambda fn: fn


unused = export = script_method = ignore


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


class Final:
    """``jit.Final[int]`` in a class annotation: accepted, as PyTorch's typing marker."""

    def __class_getitem__(cls, item):
        return item


class ScriptModule:
    """Nothing here is ever scripted: ``isinstance(m, jit.ScriptModule)`` is False for every module."""

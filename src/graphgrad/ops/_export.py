"""The public surface: ops published as functions in ``graphgrad.*`` and methods on Tensor, with their
in-place forms (``graphgrad/__init__.py`` binds these tables)."""

from __future__ import annotations

from ._args import checked  # PyTorch's TypeError for wrongly typed arguments
from ._autocast import autocast_rule
from ._inplace import write_back_form

FUNCTIONS: dict = {}
METHODS: dict = {}


def export(*names, method=True, function=True, inplace=(), inplace_function=(), inplace_form=None):
    """Publish a function as ``graphgrad.<name>`` and/or ``Tensor.<name>`` (first name is canonical), with
    PyTorch's argument checks and, for the names on PyTorch's autocast lists, autocast's rule.

    The op's in-place form is declared here too: ``inplace`` publishes ``Tensor.<name>_`` for every name (True)
    or for the names listed, ``inplace_function`` also ``graphgrad.<name>_`` (PyTorch publishes some, as
    ``torch.relu_``). ``inplace_form(self, ...)`` writes the op into self with its op directly (unary and
    comparison ops, the view ops); without it the form is made from the function (``write_back_form``)."""

    def deco(fn):
        all_names = names or (fn.__name__,)
        for n in all_names:
            # (the checks outside autocast's rule: they skip its frame while autocast is off)
            if function:
                FUNCTIONS[n] = checked(autocast_rule(fn, n), n, method=False)
            if method:
                METHODS[n] = checked(autocast_rule(fn, n), n, method=True)
        for table, chosen, as_method in ((METHODS, inplace, True), (FUNCTIONS, inplace_function, False)):
            for n in all_names if chosen is True else chosen:
                form = inplace_form or write_back_form(fn, n + "_")
                table[n + "_"] = checked(autocast_rule(form, n + "_"), n + "_", method=as_method)
        return fn

    return deco

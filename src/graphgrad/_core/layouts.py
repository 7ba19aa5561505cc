"""Tensor layouts: ``graphgrad.strided`` (every Tensor) and the layouts other modules define on this class
(``graphgrad.sparse_coo``), and how an op meets an operand of another layout.

An op computes on its operands' dense arrays. A tensor of another layout has none: asking for it raises
PyTorch's NotImplementedError (``other_layout_error``), and the op's public function (``ops._args.checked``)
then runs that layout's own rule for the op (``layout_rules``, by the op's public name), or lets the error
stand. The dense path checks nothing.

>>> strided
graphgrad.strided
"""


class layout:
    """A tensor layout (PyTorch's ``torch.layout``)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"graphgrad.{self.name}"

    def filled(self, value, shape, np_dtype, device, requires_grad):
        """A tensor of this layout holding ``value`` everywhere (the factories' ``layout=``); the strided
        layout's tensors are the factories' own."""
        raise NotImplementedError(f"{self!r} has no factories")


strided = layout("strided")


def other_layout_error(tensor, message):
    """PyTorch's NotImplementedError for an op that has no rule for ``tensor``'s layout; it carries the tensor,
    so that the op's public function can look for one (``run_layout_rule``)."""
    error = NotImplementedError(message)
    error.other_layout = tensor
    return error


def run_layout_rule(error, name, args, kwargs):
    """The op ``name`` computed by the rule of the layout ``error`` came from; ``error`` again when it has none."""
    rule = error.other_layout.layout_rules.get(name)
    if rule is None:
        raise error
    return rule(*args, **kwargs)

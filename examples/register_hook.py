"""A tensor hook that doubles a gradient, and removing it.

PyTorch behaviour reproduced (the example in the docstring of ``Variable.register_hook``):
``v.register_hook(lambda grad: grad * 2)`` changes the gradient that flows into ``v``, so
``v.backward(torch.Tensor([1, 1, 1]))`` leaves ``v.grad = [2, 2, 2]``.  ``handle.remove()`` takes the
hook away; the next backward adds an undoubled [1, 1, 1], because leaf gradients accumulate:
``v.grad = [3, 3, 3]``.  A hook on a non-leaf changes what flows on to the leaves below it.

Run: python examples/register_hook.py
"""

import graphgrad as torch

v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)  # double the gradient
v.backward(torch.Tensor([1, 1, 1]))
print("v.grad with the doubling hook:", v.grad)  # tensor([2., 2., 2.])

h.remove()  # removes the hook
v.backward(torch.Tensor([1, 1, 1]))
print("v.grad after h.remove() and one more backward:", v.grad)  # 2 + 1 = tensor([3., 3., 3.])

# On a non-leaf, the hook's result is what flows on to the inputs.
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 3
y.register_hook(lambda grad: grad * 2)
y.sum().backward()
print("x.grad through y = 3x with a doubling hook on y:", x.grad)  # 2 * 3 = tensor([6., 6., 6.])

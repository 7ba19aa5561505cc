"""retain_grad() on a non-leaf: d = sin(a * b) with a = 1, b = 2.

PyTorch behaviour reproduced: leaves (``a``, ``b``) always get ``.grad``; a non-leaf (``c = a * b``)
keeps its ``.grad`` only after ``c.retain_grad()``, and calling it changes no gradient.
``retain_grad()`` on a leaf is a no-op (``a.retains_grad`` stays False).  The real values are
a.grad = b*cos(ab) = 2cos 2 = -0.8323, b.grad = a*cos(ab) = cos 2 = -0.4161 and
c.grad = cos 2 = -0.4161.  (One seed tutorial prints 0.5403 / 0.8415 / 0.5417 here: wrong.)

Run: python examples/retain_grad.py
"""

import graphgrad as torch

a = torch.tensor([1.0], requires_grad=True)
b = torch.tensor([2.0], requires_grad=True)

a.retain_grad()  # a is a leaf: nothing changes
print(f"a.is_leaf={a.is_leaf}  a.retains_grad={a.retains_grad}  (retain_grad() on a leaf is a no-op)")

c = a * b
c.retain_grad()  # keep the gradient of the non-leaf c
d = torch.sin(c)
d.backward()

print(f"d = sin(a*b) = {d.item():.4f}")
print(f"a.grad={a.grad.item():.4f}")  # b * cos(a*b) = -0.8323
print(f"b.grad={b.grad.item():.4f}")  # a * cos(a*b) = -0.4161
print(f"c.grad={c.grad.item():.4f}")  # cos(a*b)     = -0.4161
print(f"c.is_leaf={c.is_leaf}  c.retains_grad={c.retains_grad}  c.grad_fn={c.grad_fn.name()}")

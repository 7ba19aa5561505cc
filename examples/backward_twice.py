"""Two outputs of one graph, and the "backward through the graph a second time" error.

PyTorch behaviour reproduced: ``y = x**2; z = y*4``; ``z.mean().backward()`` frees the saved tensors
of the graph (``PowBackward0`` keeps ``x``), so ``z.sum().backward()`` on the same graph raises
``RuntimeError: Trying to backward through the graph a second time ...``.  With
``retain_graph=True`` on the first call both run, and the gradients accumulate in ``x.grad``:
d(mean z)/dx = 8x/6 plus d(sum z)/dx = 8x.  (graphgrad adds to the error which node needed the
freed tensors, where it was created and which backward() freed them.)

Run: python examples/backward_twice.py
"""

import graphgrad as torch

x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], requires_grad=True)

y = x**2
z = y * 4
output1 = z.mean()
output2 = z.sum()
output1.backward()  # frees the graph's saved tensors
print("x.grad after z.mean().backward():", x.grad)
try:
    output2.backward()  # the same graph again
except RuntimeError as e:
    print("z.sum().backward() raised RuntimeError:")
    print(str(e))

print()
x.grad = None
y = x**2
z = y * 4
z.mean().backward(retain_graph=True)  # keep the saved tensors
z.sum().backward()  # now fine; the two gradients add up in x.grad
print("with retain_graph=True, x.grad =", x.grad)
print("expected 8x/6 + 8x           =", x.detach() * 8 / 6 + x.detach() * 8)
print("equal:", torch.allclose(x.grad, x.detach() * 8 / 6 + x.detach() * 8))

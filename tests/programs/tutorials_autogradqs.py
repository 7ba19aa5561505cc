# Modeled on pytorch/tutorials beginner_source/basics/autogradqs_tutorial.py:
# one-layer net with binary_cross_entropy_with_logits, no_grad/detach, and vector-Jacobian products with retain_graph.
# The grad_fn objects are printed with their memory address masked.
import re

import torch

torch.manual_seed(0)
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(re.sub("0x[0-9a-f]+", "0x...", f"Gradient function for z = {z.grad_fn}"))
print(re.sub("0x[0-9a-f]+", "0x...", f"Gradient function for loss = {loss.grad_fn}"))

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w)+b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)

z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

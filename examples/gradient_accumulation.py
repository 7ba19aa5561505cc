"""Gradient accumulation over micro-batches equals the full-batch gradient -- with the right reduction.

PyTorch behaviour reproduced: ``.grad`` of a leaf is summed into by every ``backward()``, so calling
``loss.backward()`` on micro-batches and stepping once afterwards accumulates their gradients.
That equals the full-batch gradient only if the losses add up to the full-batch loss: with
``reduction='sum'`` they do; with the default ``reduction='mean'`` each micro-batch loss must be
divided by the number of micro-batches (equal sizes), otherwise the accumulated gradient is that
many times too large.

Run: python examples/gradient_accumulation.py
"""

import graphgrad as torch

nn = torch.nn
torch.manual_seed(0)
model = nn.Linear(4, 1)
xs = torch.randn(6, 4)
ys = torch.randn(6, 1)
criterion = nn.MSELoss()  # reduction='mean'


def grad_of_weight():
    g = model.weight.grad.clone()
    model.zero_grad()
    return g


# The reference: one full batch of 6.
criterion(model(xs), ys).backward()
full = grad_of_weight()

# Three micro-batches of 2, each loss divided by the number of micro-batches.
for chunk_x, chunk_y in zip(xs.split(2), ys.split(2)):
    (criterion(model(chunk_x), chunk_y) / 3).backward()  # .grad accumulates
accumulated = grad_of_weight()

# The same without the division: three times too large.
for chunk_x, chunk_y in zip(xs.split(2), ys.split(2)):
    criterion(model(chunk_x), chunk_y).backward()
undivided = grad_of_weight()

# One sample at a time with reduction='sum' equals the full batch with reduction='sum'.
for i in range(6):
    nn.MSELoss(reduction="sum")(model(xs[i : i + 1]), ys[i : i + 1]).backward()
per_sample_sum = grad_of_weight()
nn.MSELoss(reduction="sum")(model(xs), ys).backward()
full_sum = grad_of_weight()

print("full batch (mean)            :", full)
print("3 micro-batches, loss / 3    :", accumulated)
print("accumulated equals full batch:", torch.allclose(accumulated, full, atol=1e-6))
print("without / 3, ratio to full   :", round((undivided / full).mean().item(), 4))
print("per-sample sum equals full-batch sum:", torch.allclose(per_sample_sum, full_sum, atol=1e-5))

"""Two backward passes, ``retain_graph=True``, and gradients that accumulate.

PyTorch behaviour reproduced (seed 000, a blog on ``retain_graph=True``):

* ``.grad`` of a leaf is summed into by every ``backward()``: two passes over the same data give
  exactly twice the gradient of one.
* ``retain_graph=True`` is needed only to go backward through the *same* graph a second time.  Two
  losses from two forward passes build two graphs, so there nothing needs retaining -- the blog's
  claim that ``retain_graph=True`` "reuses the graph and improves efficiency" is wrong: it only
  keeps the first graph's saved tensors alive longer.

Run: python examples/retain_graph_twice.py
"""

import graphgrad as torch

nn = torch.nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


torch.manual_seed(0)
net = Net()
criterion = nn.CrossEntropyLoss()
inputs = torch.randn(3, 10)
labels = torch.tensor([1, 0, 1])

# One graph, two backward passes: the first must keep the graph.
loss = criterion(net(inputs), labels)
loss.backward(retain_graph=True)
once = net.fc1.weight.grad.clone()
loss.backward()  # the same graph again: fine, it was retained; the grads add up
print("same graph twice (retain_graph=True on the first): grad doubled:",
      torch.allclose(net.fc1.weight.grad, 2 * once))

# Two forward passes, two graphs: no retain_graph needed at all.
net.zero_grad()
criterion(net(inputs), labels).backward()
criterion(net(inputs), labels).backward()  # a new graph
print("two forward passes, no retain_graph: grad doubled:", torch.allclose(net.fc1.weight.grad, 2 * once))

# Without retain_graph, the same graph cannot be used twice.
net.zero_grad()
loss = criterion(net(inputs), labels)
loss.backward()
try:
    loss.backward()
except RuntimeError as e:
    print("same graph twice without retain_graph: RuntimeError:", str(e).split(". ")[0] + ".")

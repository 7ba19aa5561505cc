"""Two losses (CrossEntropy and MSE) on one graph: two backward calls, or one on their sum.

PyTorch behaviour reproduced (seeds 000 and 002): both losses are computed from the same output
``out = net(x)``, so they share its graph.  ``loss1.backward(retain_graph=True)`` keeps the graph's
saved tensors for ``loss2.backward()``, which frees them; ``.grad`` accumulates, so the parameters
get d(loss1)/dw + d(loss2)/dw -- the same as ``(loss1 + loss2).backward()``, which walks the graph
once.  Then ``optimizer.step()`` updates with the summed gradient.

Run: python examples/two_losses.py
"""

import graphgrad as torch

nn = torch.nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(3, 10)
labels = torch.tensor([1, 0, 1])  # for CrossEntropyLoss
target = torch.randn(3, 2)  # for MSELoss

out = net(x)  # one forward pass, one graph
loss1 = nn.CrossEntropyLoss()(out, labels)
loss2 = nn.MSELoss()(out, target)
print(f"loss1 (cross-entropy) = {loss1.item():.4f}   loss2 (MSE) = {loss2.item():.4f}")

loss1.backward(retain_graph=True)  # keep the shared graph for loss2
loss2.backward()  # frees it
two_calls = [p.grad.clone() for p in net.parameters()]

net.zero_grad()
out = net(x)
(nn.CrossEntropyLoss()(out, labels) + nn.MSELoss()(out, target)).backward()  # one walk of the graph
summed = [p.grad.clone() for p in net.parameters()]
print("loss1.backward(retain_graph=True); loss2.backward() == (loss1 + loss2).backward():",
      all(torch.allclose(a, b, atol=1e-7) for a, b in zip(two_calls, summed)))

before = net[0].weight.detach().clone()
optimizer.step()
print("optimizer.step() moved the first layer by", f"{(net[0].weight - before).abs().max().item():.4f}", "at most")

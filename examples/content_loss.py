"""The style-transfer ``ContentLoss`` module: ``retain_variables`` is gone, ``retain_graph`` is why.

PyTorch behaviour reproduced (seed 004, a Q&A on ``retain_graph``):

* The old tutorial's ``ContentLoss.backward`` calls ``self.loss.backward(retain_variables=True)``;
  that keyword was removed in PyTorch 0.4, so today it raises ``TypeError: ... got an unexpected
  keyword argument 'retain_variables'``.  Its new name is ``retain_graph``.
* Why retain: style transfer puts several loss modules inside one network.  Each keeps its loss,
  and each ``loss.backward()`` goes through the *shared* part of the graph (the layers below it),
  so every call but the last needs ``retain_graph=True``.  The gradients add up in the image's
  ``.grad`` -- the same as one ``backward()`` of the summed losses, which is the modern way.

Run: python examples/content_loss.py
"""

import graphgrad as torch

nn = torch.nn


class ContentLoss(nn.Module):
    """As in the old tutorial, with ``retain_graph`` where it had ``retain_variables``."""

    def __init__(self, target, weight):
        super().__init__()
        self.target = target.detach() * weight  # a fixed target: no graph into it
        self.weight = weight
        self.criterion = nn.MSELoss()

    def forward(self, input):
        self.loss = self.criterion(input * self.weight, self.target)
        self.output = input
        return self.output  # transparent: the network goes on with its input

    def backward(self, retain_graph=True):
        self.loss.backward(retain_graph=retain_graph)
        return self.loss


torch.manual_seed(0)
image = torch.rand(1, 3, 8, 8, requires_grad=True)  # the image being optimised

# The seed's call, as it was written for PyTorch 0.3:
loss_module = ContentLoss(torch.rand(1, 3, 8, 8), 1.5)
loss_module(image)
try:
    loss_module.loss.backward(retain_variables=True)
except TypeError as e:
    print("backward(retain_variables=True) raised TypeError:", e)

# Two loss modules in one network, sharing the first convolution's graph.
conv1, conv2 = nn.Conv2d(3, 3, 3, padding=1), nn.Conv2d(3, 3, 3, padding=1)
content1 = ContentLoss(torch.rand(1, 3, 8, 8), 1.0)
content2 = ContentLoss(torch.rand(1, 3, 8, 8), 1.0)
content2(conv2(content1(conv1(image))))

content1.backward()  # retain_graph=True: content2's loss still needs conv1's saved tensors
content2.backward(retain_graph=False)  # the last one may free the graph
one_by_one = image.grad.clone()
print(f"content losses: {content1.loss.item():.4f} and {content2.loss.item():.4f}")

image.grad = None
content2(conv2(content1(conv1(image))))
(content1.loss + content2.loss).backward()  # the modern way: one backward of the sum
print("module by module with retain_graph == one backward of the sum:", torch.allclose(one_by_one, image.grad))

content2(conv2(content1(conv1(image))))
content1.backward(retain_graph=False)  # frees the shared graph
try:
    content2.backward()
except RuntimeError as e:
    print("after a backward without retain_graph, the next one raised RuntimeError:", str(e).split(" (or")[0])

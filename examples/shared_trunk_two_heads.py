"""A shared convolutional trunk with two heads ("cat?" and "car?"), two losses, two backward calls.

PyTorch behaviour reproduced: both heads' losses go through the same trunk, so the first
``loss1.backward()`` must keep the trunk's saved tensors (``retain_graph=True``) for
``loss2.backward()``; the gradients of the two calls add up in ``.grad`` and equal exactly those of
one ``(loss1 + loss2).backward()`` (which is cheaper: the trunk is backpropagated once).  Without
``retain_graph=True`` the second call raises "Trying to backward through the graph a second time".

Run: python examples/shared_trunk_two_heads.py
"""

import graphgrad as torch

nn = torch.nn


class CatCarNet(nn.Module):
    """Conv - Conv - Conv -| FC - FC - FC - cat?  /  FC - FC - FC - car?"""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.cat = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
        self.car = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        h = self.trunk(x).flatten(1)
        return self.cat(h), self.car(h)


def fresh_net():
    torch.manual_seed(0)  # the same weights every time
    return CatCarNet()


criterion = nn.CrossEntropyLoss()
images = torch.rand(3, 3, 4, 4, generator=torch.Generator().manual_seed(1))
cat_labels = torch.tensor([1, 0, 1])
car_labels = torch.tensor([0, 0, 1])

# 1. One loss after the other, keeping the graph for the second backward.
net = fresh_net()
cat_out, car_out = net(images)
loss1 = criterion(cat_out, cat_labels)
loss2 = criterion(car_out, car_labels)
loss1.backward(retain_graph=True)
loss2.backward()  # now the graph is freed
sequential = {name: p.grad.clone() for name, p in net.named_parameters()}
print(f"loss1 (cat) = {loss1.item():.4f}   loss2 (car) = {loss2.item():.4f}")

# 2. The sum of the losses, one backward.
net = fresh_net()
cat_out, car_out = net(images)
(criterion(cat_out, cat_labels) + criterion(car_out, car_labels)).backward()
same = all(torch.allclose(sequential[name], p.grad, atol=1e-7) for name, p in net.named_parameters())
print("two backward calls give the same grads as (loss1 + loss2).backward():", same)
print("trunk.0.weight.grad[0, 0] =", sequential["trunk.0.weight"][0, 0])

# 3. Without retain_graph=True the second backward fails in the shared trunk.
net = fresh_net()
cat_out, car_out = net(images)
criterion(cat_out, cat_labels).backward()
try:
    criterion(car_out, car_labels).backward()
except RuntimeError as e:
    print("without retain_graph=True the second backward raised RuntimeError:")
    print(str(e).splitlines()[0])

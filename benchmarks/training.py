"""Training-step workloads from the nn issue, the same code on graphgrad and PyTorch.

- mlp_step: Linear 784-512-256-10 with ReLU, batch 128, CrossEntropyLoss, SGD with momentum.
- cnn_step: the seeds' Conv_Classifier, batch 64 of 1x28x28, SGD.
- convnet_step: Conv(3->32)-ReLU-Pool-Conv(32->64)-ReLU-Pool-Linear(4096->10), batch 32 of 3x32x32, Adam.
- mlp_step_toy: mlp_step's code on an 8-8-8-2 MLP, batch 4 (run when named): the fixed cost of a step.
"""

from __future__ import annotations

import numpy as np


def _batch(torch, shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal(shape).astype(np.float32))
    y = torch.tensor(rng.integers(0, classes, shape[0]))
    return x, y


def _step(torch, model, opt, x, y):
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def mlp_model(torch):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def mlp(torch):
    model = mlp_model(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _step(torch, model, opt, *_batch(torch, (128, 784), 10))


def mlp_toy(torch):
    """mlp_step's code on a toy MLP (8-8-8-2, batch 4): the fixed cost of running a step, the arithmetic aside."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _step(torch, model, opt, *_batch(torch, (4, 8), 2))


def conv_classifier(torch):
    """The seeds' Conv_Classifier (1x28x28 -> 10 classes)."""
    nn, F = torch.nn, torch.nn.functional

    class Conv_Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 5, 5)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(5, 16, 5)
            self.pool2 = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(256, 20)
            self.fc2 = nn.Linear(20, 10)

        def forward(self, x):
            x = F.relu(self.pool1(self.conv1(x)))
            x = F.relu(self.pool2(self.conv2(x)))
            x = F.dropout2d(x, training=self.training)
            x = x.view(-1, 256)
            x = F.relu(self.fc1(x))
            return F.relu(self.fc2(x))

    return Conv_Classifier()


def cnn(torch):
    model = conv_classifier(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return _step(torch, model, opt, *_batch(torch, (64, 1, 28, 28), 10))


def convnet_model(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 10),
    )


def convnet(torch):
    model = convnet_model(torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _step(torch, model, opt, *_batch(torch, (32, 3, 32, 32), 10))


if __name__ == "__main__":
    import _harness

    _harness.main(["mlp_step", "cnn_step", "convnet_step"])

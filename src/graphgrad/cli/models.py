"""The models that ``graphgrad train`` knows, by name: the seeds' ``Conv_Classifier`` and an MLP.

Both take images of shape (N, C, 28, 28) and return logits of shape (N, classes).
"""

from __future__ import annotations

import graphgrad as torch

nn = torch.nn
F = torch.nn.functional


class Conv_Classifier(nn.Module):  # noqa: N801  (the seed's name)
    """The seeds' MNIST classifier (seed 003), with the same layers and forward pass.

    One change: the seed applies ``F.relu`` to ``fc2``'s output too.  A ReLU on the logits clamps
    them at 0, so a class whose pre-activation is negative gets no gradient from the loss (a dead
    output) and no logit can say "surely not this class".  A classifier returns the raw logits of
    its last layer, so ``forward`` ends at ``self.fc2(x)``.
    """

    def __init__(self, in_channels=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 5, 5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(5, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(256, 20)
        self.fc2 = nn.Linear(20, classes)

    def forward(self, x):
        x = F.relu(self.pool1(self.conv1(x)))
        x = F.relu(self.pool2(self.conv2(x)))
        x = F.dropout2d(x, training=self.training)
        x = x.view(-1, 256)
        x = F.relu(self.fc1(x))
        return self.fc2(x)  # logits: the seed's final F.relu is left out (see the class docstring)


class MLP(nn.Module):
    """A plain multi-layer perceptron on the flattened image: C*28*28 -> 128 -> 64 -> classes."""

    def __init__(self, in_channels=1, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(in_channels * 28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, classes)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


MODELS = {"conv": Conv_Classifier, "mlp": MLP}


def build(name, in_channels, classes):
    """A fresh model ``name`` (a key of MODELS) for images with ``in_channels`` channels."""
    return MODELS[name](in_channels=in_channels, classes=classes)

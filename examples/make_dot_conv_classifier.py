"""Draw the graph of the seeds' ``Conv_Classifier`` with ``make_dot``, and describe it as text.

PyTorch behaviour reproduced (seed 003, torchviz): ``make_dot(model(x), params=dict(model.named_parameters()))``
draws the backward graph behind the output -- one box per ``grad_fn`` node (``AddmmBackward0``,
``ConvolutionBackward0``, ...), blue boxes for the parameters (the ``AccumulateGrad`` leaves, named from
``params``), arrows along ``next_functions``.  In training mode ``F.dropout2d`` shows up as a
``MulBackward0`` (input times a random mask); the input itself needs no grad, so it is not drawn.
graphgrad's ``make_dot`` needs only the ``graphviz`` Python package for the DOT text (Graphviz's ``dot``
program only to render it), and ``graphgrad.autograd.graph.describe`` prints the same graph as text,
with what each node saved and whether it is still alive.

Run: python examples/make_dot_conv_classifier.py [OUT.dot]   (default conv_classifier.dot; an .svg too
when Graphviz's ``dot`` is installed)
"""

import shutil
import subprocess
import sys

import graphgrad as torch
from graphgrad.autograd.graph import describe
from graphgrad.viz import make_dot

nn = torch.nn
F = torch.nn.functional


class Conv_Classifier(nn.Module):  # noqa: N801  (the seed's code, as written, final ReLU included)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 5, 5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(5, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(256, 20)
        self.fc2 = nn.Linear(20, 10)

    def forward(self, x):
        x = F.relu(self.pool1((self.conv1(x))))  # noqa: UP034  (the seed's parentheses)
        x = F.relu(self.pool2((self.conv2(x))))  # noqa: UP034
        x = F.dropout2d(x, training=self.training)
        x = x.view(-1, 256)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return x


torch.manual_seed(0)
Mnist_Classifier = Conv_Classifier()
input_sample = torch.rand((1, 1, 28, 28))
output = Mnist_Classifier(input_sample)

dot = make_dot(output, params=dict(Mnist_Classifier.named_parameters()))
path = sys.argv[1] if len(sys.argv) > 1 else "conv_classifier.dot"
with open(path, "w") as f:
    f.write(dot.source)
print(f"wrote {path} ({dot.source.count('->')} edges)")
if shutil.which("dot"):
    svg = path[:-4] + ".svg" if path.endswith(".dot") else path + ".svg"
    subprocess.run(["dot", "-Tsvg", path, "-o", svg], check=True)
    print(f"wrote {svg}")

print(describe(output, params=dict(Mnist_Classifier.named_parameters())))

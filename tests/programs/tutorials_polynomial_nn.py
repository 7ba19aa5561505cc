# Modeled on pytorch/tutorials beginner_source/examples_nn/polynomial_nn.py:
# nn.Sequential(Linear(3, 1), Flatten(0, 1)) on the powers of x, manual SGD over model.parameters().
import math

import torch

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
print(tuple(xx.shape))

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)

loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-6
for t in range(300):
    y_pred = model(xx)

    loss = loss_fn(y_pred, y)
    if t % 50 == 49:
        print(t, f"{loss.item():.4g}")

    model.zero_grad()

    loss.backward()

    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]

print(f'Result: y = {linear_layer.bias.item():.4g} + {linear_layer.weight[:, 0].item():.4g} x'
      f' + {linear_layer.weight[:, 1].item():.4g} x^2 + {linear_layer.weight[:, 2].item():.4g} x^3')

# Modeled on pytorch/tutorials beginner_source/examples_nn/polynomial_optim.py:
# the nn.Sequential polynomial trained with torch.optim.RMSprop (fewer steps).
import math

import torch

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-3
optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
for t in range(400):
    y_pred = model(xx)

    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.4g}")

    optimizer.zero_grad()

    loss.backward()

    optimizer.step()

linear_layer = model[0]
print(f'Result: y = {linear_layer.bias.item():.4g} + {linear_layer.weight[:, 0].item():.4g} x'
      f' + {linear_layer.weight[:, 1].item():.4g} x^2 + {linear_layer.weight[:, 2].item():.4g} x^3')

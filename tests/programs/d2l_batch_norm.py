# Modeled on d2l-ai/d2l-en chapter_convolutional-modern/batch-norm.md (the PyTorch tab): batch_norm from scratch
# (torch.is_grad_enabled, mean over dims with keepdim, moving averages kept through .data), the BatchNorm module,
# BNLeNetScratch and the concise BNLeNet built from nn.LazyConv2d/LazyLinear/LazyBatchNorm2d/LazyBatchNorm1d,
# initialised with a dummy forward pass and xavier_uniform_, trained with SGD and cross_entropy. The d2l Trainer
# and Fashion-MNIST are replaced by a plain loop over synthetic 28x28 images.
import torch
from torch import nn
from torch.nn import functional as F


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean,
            self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def init_cnn(module):
    if type(module) is nn.Linear or type(module) is nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class BNLeNetScratch(nn.Module):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5), BatchNorm(6, num_dims=4),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), BatchNorm(16, num_dims=4),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.LazyLinear(120),
            BatchNorm(120, num_dims=2), nn.Sigmoid(), nn.LazyLinear(84),
            BatchNorm(84, num_dims=2), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

    def forward(self, X):
        return self.net(X)


class BNLeNet(BNLeNetScratch):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(lr, num_classes)
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(),
            nn.Sigmoid(), nn.LazyLinear(84), nn.LazyBatchNorm1d(),
            nn.Sigmoid(), nn.LazyLinear(num_classes))


def train(model, X, Y, epochs=2, batch_size=8):
    model.forward(X[:batch_size])  # d2l's apply_init: a dummy pass materialises the lazy layers
    model.net.apply(init_cnn)
    optimizer = torch.optim.SGD(model.parameters(), lr=model.lr)
    for epoch in range(epochs):
        model.train()
        for i in range(0, len(X), batch_size):
            loss = F.cross_entropy(model(X[i:i + batch_size]), Y[i:i + batch_size], reduction='mean')
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = F.cross_entropy(model(X), Y).item()
        print(f"{type(model).__name__} epoch {epoch + 1}: train loss {loss.item():.4g}, val loss {val_loss:.4g}")


torch.manual_seed(0)
X = torch.rand(32, 1, 28, 28)
Y = torch.randint(0, 10, (32,))

model = BNLeNetScratch(lr=0.1)
train(model, X, Y)
print(model.net[1].gamma.reshape((-1,)), model.net[1].beta.reshape((-1,)))

model = BNLeNet(lr=0.1)
train(model, X, Y)
print(model.net)

# Modeled on d2l-ai/d2l-en chapter_linear-regression/linear-regression-scratch.md and synthetic-regression-data.md
# (the PyTorch tab): synthetic data y = Xw + b + noise with torch.normal, a minibatch iterator over
# torch.randperm indices, LinearRegressionScratch with torch.normal(0, sigma, (n, 1), requires_grad=True) weights,
# squared loss, SGD written by hand (param -= lr * param.grad, param.grad.zero_()), and the parameter errors.
# The d2l Module/Trainer classes are replaced by a plain loop.
import torch


class SyntheticRegressionData:
    """Synthetic data for linear regression."""

    def __init__(self, w, b, noise=0.01, num_train=200, num_val=200, batch_size=32):
        self.w, self.b, self.batch_size, self.num_train = w, b, batch_size, num_train
        n = num_train + num_val
        self.X = torch.randn(n, len(w))
        noise = torch.randn(n, 1) * noise
        self.y = torch.matmul(self.X, w.reshape((-1, 1))) + b + noise

    def get_dataloader(self, train):
        if train:
            indices = torch.randperm(self.num_train)
        else:
            indices = torch.arange(self.num_train, len(self.X))
        for i in range(0, len(indices), self.batch_size):
            batch_indices = indices[i: i+self.batch_size]
            yield self.X[batch_indices], self.y[batch_indices]


class LinearRegressionScratch:
    """The linear regression model implemented from scratch."""

    def __init__(self, num_inputs, lr, sigma=0.01):
        self.lr = lr
        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, X):
        return torch.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y) ** 2 / 2  # noqa: E741
        return l.mean()


class SGD:
    """Minibatch stochastic gradient descent."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


torch.manual_seed(0)
model = LinearRegressionScratch(2, lr=0.03)
data = SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
optim = SGD([model.w, model.b], model.lr)
for epoch in range(3):
    for X, y in data.get_dataloader(train=True):
        loss = model.loss(model.forward(X), y)
        optim.zero_grad()
        with torch.no_grad():
            loss.backward()
            optim.step()
    with torch.no_grad():
        val_loss = sum(model.loss(model.forward(X), y).item() for X, y in data.get_dataloader(train=False))
    print(f"epoch {epoch + 1}, val loss {val_loss:.4g}")

with torch.no_grad():
    print(f'error in estimating w: {[round(v, 3) + 0.0 for v in (data.w - model.w.reshape(data.w.shape)).tolist()]}')
    print(f'error in estimating b: {[round(v, 3) + 0.0 for v in (data.b - model.b).tolist()]}')

# Modeled on d2l-ai/d2l-en chapter_convolutional-modern/resnet.md (the PyTorch tab): the Residual block
# (nn.LazyConv2d with stride and padding, an optional 1x1 convolution, nn.LazyBatchNorm2d, F.relu, in-place
# Y += X), ResNet built as b1 (7x7 convolution, MaxPool2d with padding) plus stages added with add_module and a
# head of nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten and nn.LazyLinear, d2l's layer_summary over the Sequential,
# d2l's init_cnn applied with net.apply (xavier_uniform_ on Conv2d/Linear, after a dummy forward pass), and the
# ResNeXtBlock with grouped convolutions (groups=). Fashion-MNIST 96x96 is replaced by small synthetic images
# whose class is where a bright square sits; the network is a narrow ResNet with one block per stage.
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class Residual(nn.Module):
    """The Residual block of ResNet models."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


blk = Residual(3)
X = torch.randn(4, 3, 6, 6)
print(blk(X).shape)
blk = Residual(6, use_1x1conv=True, strides=2)
print(blk(X).shape)


def init_cnn(module):
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721  (d2l's test)
        nn.init.xavier_uniform_(module.weight)


class ResNet(nn.Module):
    def b1(self):
        return nn.Sequential(
            nn.LazyConv2d(16, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def __init__(self, arch, lr=0.1, num_classes=10):
        super(ResNet, self).__init__()
        self.lr = lr
        self.net = nn.Sequential(self.b1())
        for i, b in enumerate(arch):
            self.net.add_module(f'b{i+2}', self.block(*b, first_block=(i == 0)))
        self.net.add_module('last', nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
            nn.LazyLinear(num_classes)))
        self.net.apply(init_cnn)

    def forward(self, X):
        return self.net(X)

    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)


class SmallResNet(ResNet):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(((1, 16), (1, 32), (1, 64)), lr, num_classes)


model = SmallResNet(num_classes=4)
model.layer_summary((1, 1, 32, 32))


class ResNeXtBlock(nn.Module):
    """The ResNeXt block."""
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels//groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


blk = ResNeXtBlock(32, 16, 1)
X = torch.randn(4, 32, 8, 8)
print(blk(X).shape, blk.conv2.weight.shape)
blk = ResNeXtBlock(16, 4, 0.5, use_1x1conv=True, strides=2)
print(blk(X).shape, blk.conv2.weight.shape, blk.conv2.groups)

# --- data: a bright 8x8 square on noise; the label is the quadrant it sits in ---------------------------
n = 96
X_all = torch.rand(n, 1, 32, 32) * 0.5
y_all = torch.randint(0, 4, (n,))
for i in range(n):
    row, col = divmod(int(y_all[i]), 2)
    X_all[i, 0, row * 16 + 4:row * 16 + 12, col * 16 + 4:col * 16 + 12] += 1.0
train_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X_all[:64], y_all[:64]),
                                         batch_size=16, shuffle=True)

model = SmallResNet(lr=0.05, num_classes=4)
model(X_all[:2])  # d2l's apply_init: a dummy pass gives the lazy layers their shapes
model.net.apply(init_cnn)
print(sum(p.numel() for p in model.parameters()))
optimizer = torch.optim.SGD(model.parameters(), lr=model.lr)
for epoch in range(4):
    model.train()
    for X, y in train_iter:
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_pred = model(X_all[64:]).argmax(dim=1)
        val_acc = (val_pred == y_all[64:]).float().mean()
    print(f"epoch {epoch + 1}: loss {loss.item():.3g}, val acc {val_acc:.3f}")
bn = model.net[0][1]
print(bn.running_mean[:4], bn.num_batches_tracked)

# Modeled on yunjey/pytorch-tutorial tutorials/01-basics/pytorch_basics/main.py: autograd on scalars, a Linear layer
# with MSELoss and one SGD step (printing the Parameters), the NumPy bridge, a DataLoader over a Dataset,
# a custom Dataset, freezing a pretrained model's parameters and replacing its head, and saving/loading the whole
# model and its state_dict (the empty custom Dataset with shuffle=True raises in today's PyTorch; the error is
# printed). CIFAR-10 and torchvision's resnet18 are replaced by synthetic data and a small CNN.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)

x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(3., requires_grad=True)

y = w * x + b

y.backward()

print(x.grad)
print(w.grad)
print(b.grad)

x = torch.randn(10, 3)
y = torch.randn(10, 2)

linear = nn.Linear(3, 2)
print('w: ', linear.weight)
print('b: ', linear.bias)

criterion = nn.MSELoss()
optimizer = torch.optim.SGD(linear.parameters(), lr=0.01)

pred = linear(x)

loss = criterion(pred, y)
print('loss: ', f"{loss.item():.4g}")

loss.backward()

print('dL/dw: ', linear.weight.grad)
print('dL/db: ', linear.bias.grad)

optimizer.step()

pred = linear(x)
loss = criterion(pred, y)
print('loss after 1 step optimization: ', f"{loss.item():.4g}")

x = np.array([[1, 2], [3, 4]])

y = torch.from_numpy(x)

z = y.numpy()
print(y, z.dtype)

train_dataset = torch.utils.data.TensorDataset(torch.rand(20, 3, 32, 32), torch.randint(0, 10, (20,)))

image, label = train_dataset[0]
print(image.size())
print(label)

train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=8,
                                           shuffle=True)

data_iter = iter(train_loader)

images, labels = next(data_iter)
print(images.shape, labels.tolist())

for images, labels in train_loader:
    pass


class CustomDataset(torch.utils.data.Dataset):
    def __init__(self):
        pass

    def __getitem__(self, index):
        pass

    def __len__(self):
        return 0


custom_dataset = CustomDataset()
try:  # an empty dataset cannot be shuffled: today's PyTorch refuses it here
    train_loader = torch.utils.data.DataLoader(dataset=custom_dataset,
                                               batch_size=64,
                                               shuffle=True)
except ValueError as error:
    print("ValueError:", error)


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(8, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


resnet = SmallNet()

for param in resnet.parameters():
    param.requires_grad = False

resnet.fc = nn.Linear(resnet.fc.in_features, 100)

images = torch.randn(4, 3, 32, 32)
outputs = resnet(images)
print(outputs.size())
print([name for name, p in resnet.named_parameters() if p.requires_grad])

torch.save(resnet, 'model.ckpt')
model = torch.load('model.ckpt', weights_only=False)

torch.save(resnet.state_dict(), 'params.ckpt')
resnet.load_state_dict(torch.load('params.ckpt'))
print(torch.equal(model(images), resnet(images)))

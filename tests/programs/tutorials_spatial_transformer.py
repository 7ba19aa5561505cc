# Modeled on pytorch/tutorials intermediate_source/spatial_transformer_tutorial.py (Ghassen Hamrouni): the Net with
# its spatial transformer (localization CNN, fc_loc regressing the 2x3 affine matrix, initialized to the identity,
# F.affine_grid + F.grid_sample), Dropout2d and F.dropout, log_softmax + nll_loss (the test sums with the old
# size_average=False), SGD, train() and test(). MNIST is replaced by 28x28 synthetic images normalised as the
# original's transform does, 2 epochs, and the losses are printed at every batch to 4 significant digits. The
# visualization (torchvision's make_grid and matplotlib) is replaced by printing the transformed batch's size and
# statistics and the affine matrix predicted for the first image.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

######################################################################
# Loading the data
# ----------------

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def synthetic_mnist(n):
    images = (torch.rand(n, 1, 28, 28) - 0.1307) / 0.3081
    return torch.utils.data.TensorDataset(images, torch.randint(0, 10, (n,)))


# Training dataset
train_loader = torch.utils.data.DataLoader(
    synthetic_mnist(128), batch_size=64, shuffle=True, num_workers=4)
# Test dataset
test_loader = torch.utils.data.DataLoader(
    synthetic_mnist(64), batch_size=64, shuffle=True, num_workers=4)

######################################################################
# Depicting spatial transformer networks
# --------------------------------------


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

        # Spatial transformer localization-network
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True)
        )

        # Regressor for the 3 * 2 affine matrix
        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 3 * 3, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2)
        )

        # Initialize the weights/bias with identity transformation
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    # Spatial transformer network forward function
    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)

        grid = F.affine_grid(theta, x.size())
        x = F.grid_sample(x, grid)

        return x

    def forward(self, x):
        # transform the input
        x = self.stn(x)

        # Perform the usual forward pass
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


model = Net().to(device)

######################################################################
# Training the model
# ------------------


optimizer = optim.SGD(model.parameters(), lr=0.01)


def train(epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)

        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 1 == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4g}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
#
# A simple test procedure to measure the STN performances on MNIST.
#


def test():
    with torch.no_grad():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)

            # sum up batch loss
            test_loss += F.nll_loss(output, target, size_average=False).item()
            # get the index of the max log-probability
            pred = output.max(1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()

        test_loss /= len(test_loader.dataset)
        print('\nTest set: Average loss: {:.4g}, Accuracy: {}/{} ({:.0f}%)\n'
              .format(test_loss, correct, len(test_loader.dataset),
                      100. * correct / len(test_loader.dataset)))

######################################################################
# Visualizing the STN results
# ---------------------------


def convert_image_np(inp):
    """Convert a Tensor to numpy image."""
    inp = inp.numpy().transpose((1, 2, 0))
    mean = np.array([0.485, 0.456, 0.406])
    std = np.array([0.229, 0.224, 0.225])
    inp = std * inp + mean
    inp = np.clip(inp, 0, 1)
    return inp


def visualize_stn():
    with torch.no_grad():
        # Get a batch of training data
        data = next(iter(test_loader))[0].to(device)

        input_tensor = data.cpu()
        transformed_input_tensor = model.stn(data).cpu()

        # in place of torchvision.utils.make_grid and the two matplotlib panels
        in_grid = convert_image_np(input_tensor[0].expand(3, 28, 28))
        out_grid = convert_image_np(transformed_input_tensor[0].expand(3, 28, 28))
        print('Dataset Images', in_grid.shape, '{:.4g}'.format(in_grid.mean()))
        print('Transformed Images', out_grid.shape, '{:.4g}'.format(out_grid.mean()))
        print('Transformed batch', transformed_input_tensor.shape,
              '{:.4g} {:.4g}'.format(transformed_input_tensor.mean().item(), transformed_input_tensor.std().item()))
        # the affine matrix the localization network now predicts for the first image
        theta = model.fc_loc(model.localization(data).view(-1, 10 * 3 * 3)).view(-1, 2, 3)
        print('theta', ['{:.4g}'.format(v) for v in theta[0].flatten().tolist()])

for epoch in range(1, 2 + 1):
    train(epoch)
    test()

# Visualize the STN transformation on some input batch
visualize_stn()

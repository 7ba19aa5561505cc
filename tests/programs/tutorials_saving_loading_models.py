# Modeled on pytorch/tutorials beginner_source/saving_loading_models.py: what a state_dict holds (a model's
# parameters and buffers, an optimizer's state and param_groups), saving and loading a state_dict, a whole
# model and a general checkpoint (epoch, loss, both state_dicts), several models in one file, warm-starting
# a model of other layers with strict=False. The files go to a temporary folder instead of the working one;
# one training step runs first so that the optimizer has state to save.
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())

print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])

inputs, labels = torch.randn(4, 3, 32, 32), torch.tensor([1, 0, 3, 9])
loss = nn.CrossEntropyLoss()(model(inputs), labels)
loss.backward()
optimizer.step()
state = optimizer.state_dict()["state"]
print(sorted(state), {k: v.shape for k, v in state[0].items()})

folder = tempfile.mkdtemp()

# a state_dict
PATH = os.path.join(folder, "model_weights.pt")
torch.save(model.state_dict(), PATH)
model2 = TheModelClass()
print(model2.load_state_dict(torch.load(PATH, weights_only=True)))
model2.eval()
print(torch.equal(model2.fc3.bias, model.fc3.bias), model2.training)

# the whole model
PATH = os.path.join(folder, "model.pt")
torch.save(model, PATH)
model3 = torch.load(PATH, weights_only=False)
model3.eval()
print(type(model3).__name__, torch.equal(model3(inputs), model2(inputs)))

# a general checkpoint
PATH = os.path.join(folder, "checkpoint.tar")
EPOCH, LOSS = 5, 0.4
torch.save({
    "epoch": EPOCH,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "loss": LOSS,
}, PATH)

model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
epoch = checkpoint["epoch"]
loss = checkpoint["loss"]
model.train()
print(epoch, loss, sorted(checkpoint))
print(optimizer.state_dict()["param_groups"])
print(f"{optimizer.state_dict()['state'][9]['momentum_buffer'].abs().sum().item():.4f}")

# several models in one file
modelA, modelB = TheModelClass(), TheModelClass()
optimizerA = optim.SGD(modelA.parameters(), lr=0.001, momentum=0.9)
optimizerB = optim.Adam(modelB.parameters(), lr=0.001)
PATH = os.path.join(folder, "models.tar")
torch.save({
    "modelA_state_dict": modelA.state_dict(),
    "modelB_state_dict": modelB.state_dict(),
    "optimizerA_state_dict": optimizerA.state_dict(),
    "optimizerB_state_dict": optimizerB.state_dict(),
}, PATH)
checkpoint = torch.load(PATH, weights_only=True)
modelA.load_state_dict(checkpoint["modelA_state_dict"])
modelB.load_state_dict(checkpoint["modelB_state_dict"])
optimizerA.load_state_dict(checkpoint["optimizerA_state_dict"])
optimizerB.load_state_dict(checkpoint["optimizerB_state_dict"])
print(optimizerB.state_dict()["param_groups"][0])


# warm-starting a model of other layers from a state_dict
class TheOtherModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 64)
        self.head = nn.Linear(64, 2)


PATH = os.path.join(folder, "modelA.pt")
torch.save(modelA.state_dict(), PATH)
modelB = TheOtherModelClass()
try:
    modelB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
except RuntimeError as e:
    print(str(e).splitlines()[0])
del modelB.fc1
result = modelB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
print(result.missing_keys)
print(result.unexpected_keys)
print(torch.equal(modelB.conv2.weight, modelA.conv2.weight))

# Modeled on the examples of the PyTorch documentation pages torch.optim (How to adjust learning rate: a
# scheduler stepped after the optimizer, OneCycleLR stepped per batch, ReduceLROnPlateau stepped on the
# validation loss, CosineAnnealingLR) and torch.utils.data (random_split with a seeded torch.Generator,
# TensorDataset, WeightedRandomSampler with per-sample weights from inverse class frequencies, Subset indices),
# joined in the usual training script of an imbalanced classifier, with the checkpoint (model, optimizer and
# scheduler state_dicts) saved to and restored from an io.BytesIO buffer by torch.save/torch.load. The data is
# synthetic: two Gaussian blobs, one class four times rarer.
import io

import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler, random_split

torch.manual_seed(0)

# --- data -----------------------------------------------------------------------------------------------
n_major, n_minor = 160, 40
features = torch.cat([torch.randn(n_major, 4) + torch.tensor([1.0, 0.0, 0.0, 0.5]),
                      torch.randn(n_minor, 4) - torch.tensor([1.0, 0.5, 0.0, 0.5])])
labels = torch.cat([torch.zeros(n_major, dtype=torch.long), torch.ones(n_minor, dtype=torch.long)])
dataset = TensorDataset(features, labels)

train_set, val_set, test_set = random_split(dataset, [0.7, 0.15, 0.15], generator=torch.Generator().manual_seed(42))
print(len(train_set), len(val_set), len(test_set), train_set.indices[:5])
train_a, train_b = random_split(train_set, [100, 40], generator=torch.Generator().manual_seed(1))
print(len(train_a), len(train_b), type(train_a).__name__, type(train_a.dataset).__name__)

train_labels = labels[train_set.indices]
class_counts = torch.bincount(train_labels)
class_weights = 1.0 / class_counts.float()
sample_weights = class_weights[train_labels]
print(class_counts, class_weights)
sampler = WeightedRandomSampler(weights=sample_weights, num_samples=len(sample_weights), replacement=True)
train_loader = DataLoader(train_set, batch_size=20, sampler=sampler)
val_loader = DataLoader(val_set, batch_size=30)
seen = torch.cat([y for _, y in train_loader])
print(len(seen), seen.float().mean().item() > 0.3)

# list(sampler) draws from its generator: the same draws with the same seed
sampler_gen = WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=True,
                                    generator=torch.Generator().manual_seed(0))
print(list(sampler_gen), list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False,
                                                    generator=torch.Generator().manual_seed(0))))


def make_model():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))


def evaluate(model, loader):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


# --- OneCycleLR, stepped after every batch ---------------------------------------------------------------
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
epochs = 6
scheduler = OneCycleLR(optimizer, max_lr=0.5, steps_per_epoch=len(train_loader), epochs=epochs)
print(f"{optimizer.param_groups[0]['lr']:.5f}", f"{optimizer.param_groups[0]['momentum']:.4f}")
for epoch in range(epochs):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
    val_loss, val_acc = evaluate(model, val_loader)
    print(f"onecycle epoch {epoch}: lr {scheduler.get_last_lr()[0]:.5f} "
          f"momentum {optimizer.param_groups[0]['momentum']:.4f} val loss {val_loss:.4f} acc {val_acc:.3f}")

# --- ReduceLROnPlateau on the validation loss -----------------------------------------------------------
model = make_model()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1, threshold=0.01)
for epoch in range(10):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    val_loss, val_acc = evaluate(model, val_loader)
    scheduler.step(val_loss)
    print(f"plateau epoch {epoch}: lr {optimizer.param_groups[0]['lr']:.5f} bad epochs {scheduler.num_bad_epochs} "
          f"val loss {val_loss:.4f}")
print(scheduler.get_last_lr(), f"{scheduler.best:.4f}")

# --- CosineAnnealingLR, with a checkpoint through io.BytesIO half way ------------------------------------
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, weight_decay=1e-4)
scheduler = CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)
buffer = io.BytesIO()
for epoch in range(8):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    scheduler.step()
    print(f"cosine epoch {epoch}: lr {scheduler.get_last_lr()[0]:.5f}")
    if epoch == 3:
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict()}, buffer)
final_test = evaluate(model, DataLoader(test_set, batch_size=30))

buffer.seek(0)
checkpoint = torch.load(buffer)
print(checkpoint["epoch"], sorted(checkpoint["scheduler"]), checkpoint["scheduler"]["last_epoch"],
      checkpoint["scheduler"]["T_max"])
restored = make_model()
restored.load_state_dict(checkpoint["model"])
restored_optimizer = torch.optim.SGD(restored.parameters(), lr=0.2, weight_decay=1e-4)
restored_optimizer.load_state_dict(checkpoint["optimizer"])
restored_scheduler = CosineAnnealingLR(restored_optimizer, T_max=8, eta_min=0.01)
restored_scheduler.load_state_dict(checkpoint["scheduler"])
print(f"{restored_optimizer.param_groups[0]['lr']:.5f}", restored_scheduler.last_epoch,
      f"{restored_scheduler.get_last_lr()[0]:.5f}")
for epoch in range(4, 8):
    restored_scheduler.step()
print(f"{restored_scheduler.get_last_lr()[0]:.5f}", f"{scheduler.get_last_lr()[0]:.5f}")
print(f"test loss {final_test[0]:.4f}, acc {final_test[1]:.3f}")
print(len(buffer.getvalue()) > 1000)

"""The SRGAN update: the seed's version and the error it raises, then the version that is correct.

PyTorch behaviour reproduced (seed 002, an SRGAN training step):

* The seed's order -- ``d_loss.backward(retain_graph=True)``, ``optimizerD.step()``, then
  ``g_loss.backward()`` through the *same* ``fake_out`` -- raises since PyTorch 1.5:
  ``RuntimeError: one of the variables needed for gradient computation has been modified by an
  inplace operation``.  ``optimizerD.step()`` updates D's weights in place, and the retained graph
  of ``fake_out`` still needs the old ones to backpropagate into G.  (The seed's text also says
  ``retain_graph=True`` keeps "the gradients" for G; it keeps saved tensors, not gradients.)
* The correct update: D learns from ``fake.detach()`` (no graph into G, nothing to retain), then G
  is trained through a fresh ``netD(fake)`` computed with D's new weights.

Run: python examples/srgan_update.py
"""

import graphgrad as torch

nn = torch.nn


class Generator(nn.Module):  # a same-size "super-resolution" stand-in, to keep the example small
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))

    def forward(self, x):
        return (torch.tanh(self.block(x)) + 1) / 2


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.fc = nn.Linear(8 * 2 * 2, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc(self.net(x).flatten(1))).view(-1)


def setup():
    torch.manual_seed(0)
    netG, netD = Generator(), Discriminator()
    return netG, netD, torch.optim.Adam(netG.parameters()), torch.optim.Adam(netD.parameters())


def generator_loss(fake_out, fake_img, real_img):  # SRGAN's loss without the VGG term
    return nn.functional.mse_loss(fake_img, real_img) + 0.001 * torch.mean(1 - fake_out)


data = torch.rand(2, 3, 8, 8)  # low-resolution input z
target = torch.rand(2, 3, 8, 8)  # real high-resolution image

print("== the seed's update ==")
netG, netD, optimizerG, optimizerD = setup()
fake_img = netG(data)
netD.zero_grad()
real_out = netD(target).mean()
fake_out = netD(fake_img).mean()
d_loss = 1 - real_out + fake_out
d_loss.backward(retain_graph=True)
optimizerD.step()  # changes D's weights in place ...
netG.zero_grad()
g_loss = generator_loss(fake_out, fake_img, target)
try:
    g_loss.backward()  # ... which fake_out's retained graph still needs
except RuntimeError as e:
    print("g_loss.backward() raised RuntimeError:")
    print(e)

print()
print("== the correct update ==")
netG, netD, optimizerG, optimizerD = setup()
for step in range(3):
    fake_img = netG(data)
    # (1) D: maximize D(x) - D(G(z)); fake_img.detach() keeps G out of D's graph
    netD.zero_grad()
    d_loss = 1 - netD(target).mean() + netD(fake_img.detach()).mean()
    d_loss.backward()
    optimizerD.step()
    # (2) G: through a fresh forward of the updated D
    netG.zero_grad()
    fake_out = netD(fake_img).mean()
    g_loss = generator_loss(fake_out, fake_img, target)
    g_loss.backward()
    optimizerG.step()
    print(f"step {step}: d_loss {d_loss.item():.4f}  g_loss {g_loss.item():.4f}")
print("no retain_graph, no error: each backward() went through a graph of its own")

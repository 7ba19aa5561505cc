# The seeds' own style is kept: super(Cls, self).__init__() and extra parentheses.
# ruff: noqa: UP008, UP034
"""The code programs of the user's tutorial texts (the shared seeds/*.txt files), as parity programs.

Each ``seedNNN_xxx(torch)`` runs one example of seed file NNN against the module it is given
(real ``torch`` or ``graphgrad``) and returns a dict of results: numpy arrays, floats, bools,
shapes, strings, and errors as ``{"type": ..., "message": ...}`` under keys starting with
``error``.  The code follows the seeds as closely as possible; the changes are:

* random inputs are drawn from a ``torch.Generator`` seeded per program (``_rng``), so PyTorch and
  graphgrad (whose streams are PyTorch's, bit for bit) get the same numbers;
* models are re-initialised from such a generator (``_init_deterministic``);
* ``print`` is replaced by collecting values;
* objects the seeds leave undefined (``x``, ``netG``, ``train_loader``, ...) are built small.

The reference is what real PyTorch does, never what a text claims; mistakes in the texts are
marked with ``# SEED MISTAKE`` and summarised in SEEDS.md.
"""

import numpy as np

# --------------------------------------------------------------------------------------------
# helpers


def _rng(torch, seed):
    """A generator of the module under test: PyTorch's stream, so both libraries draw the same numbers."""
    return torch.Generator().manual_seed(seed)


def _init_deterministic(torch, module, seed):
    """Re-draw every parameter of ``module`` (sorted by name) uniformly from a generator seeded with ``seed``."""
    rng = _rng(torch, seed)
    for _, p in sorted(module.named_parameters(), key=lambda kv: kv[0]):
        shape = tuple(p.shape)
        # Roughly PyTorch's default scale: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights.
        bound = 1.0 / np.sqrt(np.prod(shape[1:])) if len(shape) > 1 else 0.1
        torch.nn.init.uniform_(p, -float(bound), float(bound), generator=rng)
    return module


def _np(t):
    """A numpy copy of a tensor (None stays None)."""
    if t is None:
        return None
    return t.detach().cpu().numpy().copy()


def _err(e):
    return {"type": type(e).__name__, "message": str(e)}


def _grads(module):
    """{parameter name: grad as numpy} for a module."""
    return {name: _np(p.grad) for name, p in sorted(module.named_parameters(), key=lambda kv: kv[0])}


def _params(module):
    return {name: _np(p) for name, p in sorted(module.named_parameters(), key=lambda kv: kv[0])}


def _graph(t):
    """Walk ``t.grad_fn`` breadth-first through ``next_functions`` (iteratively).

    Returns the node names in visiting order (each node once) and the shapes of the leaf
    tensors held by the AccumulateGrad nodes, in the same order.
    """
    names, leaf_shapes = [], []
    visited = []  # keep the node objects alive so that identity checks stay valid
    queue = [t.grad_fn]
    while queue:
        fn = queue.pop(0)
        if fn is None or any(fn is seen for seen in visited):
            continue
        visited.append(fn)
        names.append(fn.name())
        if hasattr(fn, "variable"):
            leaf_shapes.append(tuple(fn.variable.shape))
        queue.extend(nxt for nxt, _ in fn.next_functions)
    return {"names": names, "leaf_shapes": leaf_shapes}


# --------------------------------------------------------------------------------------------
# 000: "理解和應用retain_graph=true" (Chinese).  SEED MISTAKE (whole text): it claims that
# retain_graph=True lets the second backward "reuse the graph" and so "improves efficiency".
# In every example the second loss comes from a NEW forward pass (a new graph), so
# retain_graph=True is not needed at all; it only keeps the first graph's buffers alive longer
# (more memory, no speed-up).  Nothing is reused; the two backward calls just accumulate grads.


def _seed000_net(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.fc1 = torch.nn.Linear(10, 5)
            self.fc2 = torch.nn.Linear(5, 2)

        def forward(self, x):
            x = torch.relu(self.fc1(x))
            x = self.fc2(x)
            return x

    return Net


def seed000_retain_graph_twice(torch):
    Net = _seed000_net(torch)
    net = _init_deterministic(torch, Net(), 0)
    criterion = torch.nn.CrossEntropyLoss()

    rng = _rng(torch, 1)
    inputs = torch.randn(3, 10, generator=rng)
    labels = torch.LongTensor([1, 0, 1])

    out = {}
    # 第一次計算梯度
    loss = criterion(net(inputs), labels)
    loss.backward(retain_graph=True)
    out["loss_first"] = loss.item()
    out["grads_first"] = _grads(net)

    # 第二次計算梯度, "復用計算圖" -- SEED MISTAKE: this is a new forward, nothing is reused.
    loss = criterion(net(inputs), labels)
    loss.backward()
    out["loss_second"] = loss.item()
    out["grads_second"] = _grads(net)  # accumulated: twice the first grads

    # The same two steps without retain_graph=True run fine and give the same grads.
    net.zero_grad()
    loss = criterion(net(inputs), labels)
    loss.backward()
    loss = criterion(net(inputs), labels)
    loss.backward()
    out["grads_without_retain_graph"] = _grads(net)
    out["grad_is_double"] = bool(
        np.allclose(out["grads_second"]["fc1.weight"], 2 * out["grads_first"]["fc1.weight"])
    )
    return out


def seed000_repeated_optimization(torch):
    Net = _seed000_net(torch)
    net = _init_deterministic(torch, Net(), 0)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)

    rng = _rng(torch, 1)
    inputs = torch.randn(3, 10, generator=rng)
    labels = torch.LongTensor([1, 0, 1])

    losses = []
    # 多次優化
    for i in range(5):  # noqa: B007
        optimizer.zero_grad()  # 梯度清零
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()  # 參數更新
        losses.append(loss.item())
    return {"losses": np.array(losses), "params": _params(net), "last_grads": _grads(net)}


def seed000_large_net_retain_graph(torch):
    # 構造一個較大的神經網路模型
    class Net(torch.nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.fc1 = torch.nn.Linear(1000, 500)
            self.fc2 = torch.nn.Linear(500, 100)
            self.fc3 = torch.nn.Linear(100, 10)

        def forward(self, x):
            x = torch.relu(self.fc1(x))
            x = torch.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    net = _init_deterministic(torch, Net(), 2)
    criterion = torch.nn.CrossEntropyLoss()

    rng = _rng(torch, 3)
    inputs = torch.randn(3, 1000, generator=rng)
    labels = torch.LongTensor([1, 0, 1])

    out = {}
    loss = criterion(net(inputs), labels)
    loss.backward(retain_graph=True)
    out["loss_first"] = loss.item()

    loss = criterion(net(inputs), labels)
    loss.backward()
    out["loss_second"] = loss.item()
    out["grads"] = _grads(net)
    return out


def seed000_multi_loss(torch):
    Net = _seed000_net(torch)
    net = _init_deterministic(torch, Net(), 0)
    criterion1 = torch.nn.CrossEntropyLoss()
    criterion2 = torch.nn.MSELoss()

    rng = _rng(torch, 4)
    inputs = torch.randn(3, 10, generator=rng)
    labels1 = torch.LongTensor([1, 0, 1])
    labels2 = torch.randn(3, 2, generator=rng)

    out = {}
    # 計算第一個損失函數的梯度,並保留計算圖
    loss1 = criterion1(net(inputs), labels1)
    loss1.backward(retain_graph=True)
    out["loss1"] = loss1.item()
    out["grads_after_loss1"] = _grads(net)

    # 計算第二個損失函數的梯度 -- SEED MISTAKE: net(inputs) is recomputed, so no graph is reused
    # and retain_graph=True above was unnecessary.
    loss2 = criterion2(net(inputs), labels2)
    loss2.backward()
    out["loss2"] = loss2.item()
    out["grads_after_loss2"] = _grads(net)
    return out


# --------------------------------------------------------------------------------------------
# 001: "Pytorch:retain_grad()在Pytorch中的工作原理" (Chinese).
# SEED MISTAKES: the text says gradients are "zeroed by default" during backprop (they are not:
# leaf grads accumulate, non-leaf .grad is simply not stored), that retain_grad() on a leaf
# "changes the gradient path" (it is a no-op on leaves), and its printed gradients are wrong.
# Real values for d = sin(a*b), a=1, b=2: a.grad = b*cos(2) = -0.8323,
# b.grad = a*cos(2) = -0.4161, c.grad = cos(2) = -0.4161, whatever retain_grad() is called on.


def seed001_retain_grad_before(torch):
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)

    # 在张量计算之前调用retain_grad()  (a is a leaf: this is a no-op)
    a.retain_grad()

    c = a * b
    d = torch.sin(c)

    d.backward()  # 反向传播梯度

    return {
        "a_grad": _np(a.grad),  # SEED MISTAKE: text prints tensor([0.5403]); real -0.8323
        "b_grad": _np(b.grad),  # SEED MISTAKE: text prints tensor([0.8415]); real -0.4161
        "a_is_leaf": a.is_leaf,
        "a_retains_grad": a.retains_grad,  # False: retain_grad() does nothing on a leaf
        "d": _np(d),
        "d_grad_fn": d.grad_fn.name(),
        "c_grad_fn": c.grad_fn.name(),
    }


def seed001_retain_grad_after(torch):
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)

    c = a * b
    # 在张量计算之后调用retain_grad()
    c.retain_grad()

    d = torch.sin(c)

    d.backward()  # 反向传播梯度

    return {
        "a_grad": _np(a.grad),  # SEED MISTAKE: text prints tensor([0.5403]); real -0.8323
        "b_grad": _np(b.grad),  # SEED MISTAKE: text prints tensor([0.5417]); real -0.4161
        "c_grad": _np(c.grad),  # SEED MISTAKE: text says 0.5403; real cos(2) = -0.4161
        "c_is_leaf": c.is_leaf,
        "c_retains_grad": c.retains_grad,
    }


# --------------------------------------------------------------------------------------------
# 002: "Pytorch 中retain_graph的用法详解" (Chinese): an SRGAN training step, a y=x**2 example,
# a two-loss fragment and the (old, 0.3-era) source of the Variable class.


def _srgan_modules(torch):
    """Small stand-ins for SRGAN's Generator, Discriminator and GeneratorLoss (not in the seed)."""
    nn = torch.nn

    class Generator(nn.Module):
        # Same-size "super-resolution" (no upscaling) to keep the example small.
        def __init__(self):
            super(Generator, self).__init__()
            self.block = nn.Sequential(
                nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1)
            )

        def forward(self, x):
            return (torch.tanh(self.block(x)) + 1) / 2

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.net = nn.Sequential(
                nn.Conv2d(3, 8, 3, stride=2, padding=1),
                nn.LeakyReLU(0.2),
                nn.Conv2d(8, 8, 3, stride=2, padding=1),
                nn.LeakyReLU(0.2),
            )
            self.fc = nn.Linear(8 * 2 * 2, 1)

        def forward(self, x):
            batch_size = x.size(0)
            return torch.sigmoid(self.fc(self.net(x).view(batch_size, -1)).view(batch_size))

    class TVLoss(nn.Module):
        def forward(self, x):
            batch_size, _, h, w = x.size()
            h_tv = torch.pow(x[:, :, 1:, :] - x[:, :, : h - 1, :], 2).sum()
            w_tv = torch.pow(x[:, :, :, 1:] - x[:, :, :, : w - 1], 2).sum()
            return 2 * (h_tv + w_tv) / batch_size

    class GeneratorLoss(nn.Module):
        # SRGAN's loss without the VGG perception term.
        def __init__(self):
            super(GeneratorLoss, self).__init__()
            self.mse_loss = nn.MSELoss()
            self.tv_loss = TVLoss()

        def forward(self, out_labels, out_images, target_images):
            adversarial_loss = torch.mean(1 - out_labels)
            image_loss = self.mse_loss(out_images, target_images)
            tv_loss = self.tv_loss(out_images)
            return image_loss + 0.001 * adversarial_loss + 2e-8 * tv_loss

    netG = _init_deterministic(torch, Generator(), 20)
    netD = _init_deterministic(torch, Discriminator(), 21)
    if torch.cuda.is_available():
        netG.cuda()
        netD.cuda()
    return netG, netD, GeneratorLoss()


def _srgan_batches(torch, n):
    rng = _rng(torch, 22)
    return [(torch.rand(2, 3, 8, 8, generator=rng), torch.rand(2, 3, 8, 8, generator=rng)) for _ in range(n)]


def seed002_srgan_update(torch):
    """The SRGAN step exactly as in the seed.

    SEED MISTAKE: the text says retain_graph=True keeps "the gradients" for the G update; it keeps
    the graph's saved tensors.  And with PyTorch >= 1.5 this code fails: optimizerD.step()
    updates netD's weights in place, and g_loss.backward() then needs those weights (saved in
    the retained graph of fake_out) -> RuntimeError "one of the variables needed for gradient
    computation has been modified by an inplace operation".
    """
    Variable = torch.autograd.Variable
    optim = torch.optim
    netG, netD, generator_criterion = _srgan_modules(torch)
    optimizerG = optim.Adam(netG.parameters())
    optimizerD = optim.Adam(netD.parameters())
    running_results = {"batch_sizes": 0, "d_loss": 0, "g_loss": 0, "d_score": 0, "g_score": 0}

    out = {}
    data, target = _srgan_batches(torch, 1)[0]
    batch_size = data.size(0)
    running_results["batch_sizes"] += batch_size
    try:
        ############################
        # (1) Update D network: maximize D(x)-1-D(G(z))
        ###########################
        real_img = Variable(target)
        if torch.cuda.is_available():
            real_img = real_img.cuda()
        z = Variable(data)
        if torch.cuda.is_available():
            z = z.cuda()
        fake_img = netG(z)

        netD.zero_grad()
        real_out = netD(real_img).mean()
        fake_out = netD(fake_img).mean()
        d_loss = 1 - real_out + fake_out
        d_loss.backward(retain_graph=True)
        out["d_loss"] = d_loss.item()
        out["real_out"] = real_out.item()
        out["fake_out"] = fake_out.item()
        out["netD_grads"] = _grads(netD)
        optimizerD.step()
        out["netD_params_after_step"] = _params(netD)

        ############################
        # (2) Update G network: minimize 1-D(G(z)) + Perception Loss + Image Loss + TV Loss
        ###########################
        netG.zero_grad()
        g_loss = generator_criterion(fake_out, fake_img, real_img)
        out["g_loss"] = g_loss.item()
        g_loss.backward()  # raises in PyTorch >= 1.5 (see docstring)
        optimizerG.step()
        fake_img = netG(z)
        fake_out = netD(fake_img).mean()

        g_loss = generator_criterion(fake_out, fake_img, real_img)
        running_results["g_loss"] += g_loss.data[0] * batch_size
        d_loss = 1 - real_out + fake_out
        running_results["d_loss"] += d_loss.data[0] * batch_size
        running_results["d_score"] += real_out.data[0] * batch_size
        running_results["g_score"] += fake_out.data[0] * batch_size
    except Exception as e:
        out["error"] = _err(e)
    return out


def seed002_srgan_update_fixed(torch):
    """The SRGAN step as the SRGAN repository later fixed it (not in the seed).

    G's loss is computed from a fresh fake_out after optimizerD.step(), and the old
    ``.data[0]`` (an IndexError on 0-dim tensors since PyTorch 0.4) becomes ``.item()``.
    """
    Variable = torch.autograd.Variable
    optim = torch.optim
    netG, netD, generator_criterion = _srgan_modules(torch)
    optimizerG = optim.Adam(netG.parameters())
    optimizerD = optim.Adam(netD.parameters())
    running_results = {"batch_sizes": 0, "d_loss": 0.0, "g_loss": 0.0, "d_score": 0.0, "g_score": 0.0}

    out = {"d_losses": [], "g_losses": []}
    for data, target in _srgan_batches(torch, 2):
        batch_size = data.size(0)
        running_results["batch_sizes"] += batch_size

        real_img = Variable(target)
        if torch.cuda.is_available():
            real_img = real_img.cuda()
        z = Variable(data)
        if torch.cuda.is_available():
            z = z.cuda()
        fake_img = netG(z)

        netD.zero_grad()
        real_out = netD(real_img).mean()
        fake_out = netD(fake_img).mean()
        d_loss = 1 - real_out + fake_out
        d_loss.backward(retain_graph=True)
        optimizerD.step()

        netG.zero_grad()
        fake_img = netG(z)  # recomputed with the updated netD: no stale saved weights
        fake_out = netD(fake_img).mean()
        g_loss = generator_criterion(fake_out, fake_img, real_img)
        g_loss.backward()
        optimizerG.step()

        fake_img = netG(z)
        fake_out = netD(fake_img).mean()
        g_loss = generator_criterion(fake_out, fake_img, real_img)
        try:
            g_loss.data[0]  # the seed's accounting line
        except Exception as e:
            out["error_data_index"] = _err(e)
        running_results["g_loss"] += g_loss.item() * batch_size
        d_loss = 1 - real_out + fake_out
        running_results["d_loss"] += d_loss.item() * batch_size
        running_results["d_score"] += real_out.item() * batch_size
        running_results["g_score"] += fake_out.item() * batch_size
        out["d_losses"].append(d_loss.item())
        out["g_losses"].append(g_loss.item())

    out["d_losses"] = np.array(out["d_losses"])
    out["g_losses"] = np.array(out["g_losses"])
    out["running_results"] = running_results
    out["netG_params"] = _params(netG)
    out["netD_params"] = _params(netD)
    return out


def seed002_backward_twice_error(torch):
    # The seed never defines x; a small deterministic leaf is used.
    x = torch.randn(2, 3, generator=_rng(torch, 5), requires_grad=True)
    y = x**2
    z = y * 4
    output1 = z.mean()
    output2 = z.sum()
    out = {}
    output1.backward()
    out["x_grad_after_output1"] = _np(x.grad)
    try:
        output2.backward()  # the graph's buffers were freed by the first backward
    except Exception as e:
        out["error"] = _err(e)
    return out


def seed002_backward_twice_retain_graph(torch):
    x = torch.randn(2, 3, generator=_rng(torch, 5), requires_grad=True)
    y = x**2
    z = y * 4
    output1 = z.mean()
    output2 = z.sum()
    output1.backward(retain_graph=True)
    output2.backward()
    return {"x_grad": _np(x.grad), "output1": output1.item(), "output2": output2.item()}


def seed002_two_losses(torch):
    # The seed gives only the last three lines; a small shared layer with two heads is built
    # around them so that both losses go through one graph.
    nn = torch.nn
    trunk = _init_deterministic(torch, nn.Linear(4, 3), 6)
    head1 = _init_deterministic(torch, nn.Linear(3, 1), 7)
    head2 = _init_deterministic(torch, nn.Linear(3, 2), 8)
    params = list(trunk.parameters()) + list(head1.parameters()) + list(head2.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1)

    rng = _rng(torch, 9)
    x = torch.randn(5, 4, generator=rng)
    y1 = torch.randn(5, 1, generator=rng)
    y2 = torch.randn(5, 2, generator=rng)
    h = torch.relu(trunk(x))
    loss1 = nn.MSELoss()(head1(h), y1)
    loss2 = nn.MSELoss()(head2(h), y2)

    # 假如你有两个Loss,先执行第一个的backward,再执行第二个backward
    loss1.backward(retain_graph=True)
    loss2.backward()  # 执行完这个后,所有中间变量都会被释放,以便下一次的循环
    out = {"loss1": loss1.item(), "loss2": loss2.item(), "trunk_grads": _grads(trunk)}
    optimizer.step()  # 更新参数
    out["trunk_params"] = _params(trunk)
    out["head1_params"] = _params(head1)
    out["head2_params"] = _params(head2)
    return out


def seed002_variable_register_hook(torch):
    # From the docstring of Variable.register_hook.
    Variable = torch.autograd.Variable
    v = Variable(torch.Tensor([0, 0, 0]), requires_grad=True)
    h = v.register_hook(lambda grad: grad * 2)  # double the gradient
    v.backward(torch.Tensor([1, 1, 1]))
    out = {"v_grad": _np(v.grad.data), "v_is_leaf": v.is_leaf, "v_is_float32": v.dtype == torch.float32}
    h.remove()  # removes the hook
    v.backward(torch.Tensor([1, 1, 1]))
    out["v_grad_after_remove"] = _np(v.grad)  # 2 + 1: accumulated, no doubling
    return out


def seed002_variable_semantics(torch):
    """The behaviour that the Variable source in the seed documents, checked on today's tensors.

    (The seed's source is PyTorch 0.3: ``volatile`` and ``reinforce`` no longer exist, and the
    error messages now say "Tensor" where the old source says "Variable".)
    """
    Variable = torch.autograd.Variable
    out = {}
    v = Variable(torch.randn(3, generator=_rng(torch, 10)), requires_grad=True)

    # retain_grad(): a no-op on leaves; on a non-leaf the retained grad accumulates.
    v.retain_grad()
    out["leaf_retains_grad"] = v.retains_grad
    y = v * 3
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    out["y_grad"] = _np(y.grad)
    out["v_grad"] = _np(v.grad)
    try:
        torch.tensor([1.0, 2.0]).retain_grad()
    except Exception as e:
        out["error_retain_grad"] = _err(e)

    # register_hook on a tensor that does not require grad.
    try:
        torch.tensor([1.0, 2.0]).register_hook(lambda g: g)
    except Exception as e:
        out["error_register_hook"] = _err(e)

    # backward() of a non-scalar needs a gradient argument.
    try:
        (v * 2).backward()
    except Exception as e:
        out["error_nonscalar_backward"] = _err(e)

    # detach(): same data, no graph; in-place changes are seen by both.
    d = y.detach()
    out["detach_requires_grad"] = d.requires_grad
    out["detach_grad_fn_is_none"] = d.grad_fn is None
    out["detach_is_leaf"] = d.is_leaf
    d.add_(1)
    out["y_after_detached_add"] = _np(y)

    # detach_(): the tensor itself becomes a leaf without grad.
    w = v * 2
    out["w_grad_fn_before"] = w.grad_fn.name()
    w.detach_()
    out["w_after_detach_"] = (w.is_leaf, w.requires_grad, w.grad_fn is None)
    return out


# --------------------------------------------------------------------------------------------
# 003: requires_grad / computation graph / Conv_Classifier with torchviz (Chinese).


def seed003_requires_grad(torch):
    a = torch.tensor([1.0, 2.0, 3.0])
    b = torch.tensor([1.0, 4.0, 2.0], requires_grad=True)
    return {
        "a": a.requires_grad,  # a: False
        "b": b.requires_grad,  # b: True
        "sum of a and b": (a + b).requires_grad,  # sum of a and b: True
        "sum_grad_fn": (a + b).grad_fn.name(),
        "sum_of_a_and_a": (a + a).requires_grad,  # False: no input requires grad
    }


def _seed003_models(torch):
    nn = torch.nn
    model1 = _init_deterministic(torch, nn.Linear(4, 1), 11)
    model2 = _init_deterministic(torch, nn.Linear(4, 1), 12)
    rng = _rng(torch, 13)
    train_loader = [(torch.randn(5, 4, generator=rng), torch.randn(5, 1, generator=rng)) for _ in range(2)]
    params = list(model1.parameters()) + list(model2.parameters())
    optmizer = torch.optim.SGD(params, lr=0.1)  # (sic, the seed's spelling)
    return model1, model2, nn.MSELoss(), nn.L1Loss(), train_loader, optmizer


def seed003_multitask_loop(torch):
    """The seed's multi-task loop, with its bug.

    SEED MISTAKE: the second backward is ``loss.backward()`` instead of ``loss2.backward()``, so
    the first graph is backpropagated twice -> RuntimeError on the first batch.  The comments
    "计算d(l1)/d(x)" are also wrong: xs does not require grad, the grads are w.r.t. the params.
    """
    model1, model2, loss_fn1, loss_fn2, train_loader, optmizer = _seed003_models(torch)
    out = {}
    try:
        for idx, data in enumerate(train_loader):  # noqa: B007
            xs, ys = data
            optmizer.zero_grad()
            # 计算d(l1)/d(x)
            pred1 = model1(xs)  # 生成graph1
            loss = loss_fn1(pred1, ys)
            loss.backward()  # 释放graph1
            out["model1_grads"] = _grads(model1)
            # 计算d(l2)/d(x)
            pred2 = model2(xs)  # 生成graph2
            loss2 = loss_fn2(pred2, ys)  # noqa: F841  (never used: that is the bug)
            loss.backward()  # 释放graph2  -- SEED MISTAKE: should be loss2.backward()
            # 使用d(l1)/d(x)+d(l2)/d(x)进行优化
            optmizer.step()
    except Exception as e:
        out["error"] = _err(e)
        out["failed_at_batch"] = idx
        out["model2_grad_is_none"] = model2.weight.grad is None
    return out


def seed003_multitask_loop_fixed(torch):
    """The same loop with ``loss2.backward()`` as intended."""
    model1, model2, loss_fn1, loss_fn2, train_loader, optmizer = _seed003_models(torch)
    losses = []
    for xs, ys in train_loader:
        optmizer.zero_grad()
        pred1 = model1(xs)
        loss = loss_fn1(pred1, ys)
        loss.backward()
        pred2 = model2(xs)
        loss2 = loss_fn2(pred2, ys)
        loss2.backward()
        optmizer.step()
        losses.append((loss.item(), loss2.item()))
    return {"losses": np.array(losses), "model1": _params(model1), "model2": _params(model2)}


def _seed003_conv_classifier(torch):
    nn = torch.nn
    F = torch.nn.functional

    class Conv_Classifier(nn.Module):
        def __init__(self):
            super(Conv_Classifier, self).__init__()
            self.conv1 = nn.Conv2d(1, 5, 5)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(5, 16, 5)
            self.pool2 = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(256, 20)
            self.fc2 = nn.Linear(20, 10)

        def forward(self, x):
            x = F.relu(self.pool1((self.conv1(x))))
            x = F.relu(self.pool2((self.conv2(x))))
            x = F.dropout2d(x, training=self.training)
            x = x.view(-1, 256)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return x

    return Conv_Classifier


def seed003_conv_classifier(torch):
    Conv_Classifier = _seed003_conv_classifier(torch)
    Mnist_Classifier = _init_deterministic(torch, Conv_Classifier(), 14)
    input_sample = torch.rand(1, 1, 28, 28, generator=_rng(torch, 15))

    # The module is in training mode, so dropout2d is random: only the graph's structure is
    # compared here (make_dot draws the same graph).
    output = Mnist_Classifier(input_sample)
    out = {"training": Mnist_Classifier.training, "output_shape": tuple(output.shape)}
    out["graph"] = _graph(output)
    out["param_names"] = [name for name, _ in Mnist_Classifier.named_parameters()]
    out["input_requires_grad"] = input_sample.requires_grad

    # Values are compared in eval mode (dropout off), including a backward through the graph.
    Mnist_Classifier.eval()
    output = Mnist_Classifier(input_sample)
    out["eval_output"] = _np(output)
    out["eval_graph"] = _graph(output)
    output.sum().backward()
    out["eval_grads"] = _grads(Mnist_Classifier)
    out["input_grad_is_none"] = input_sample.grad is None  # only parameters get grads
    return out


def seed003_make_dot(torch, make_dot):
    """The seed's torchviz call, verbatim; ``make_dot`` is torchviz's or graphgrad's."""
    Conv_Classifier = _seed003_conv_classifier(torch)
    Mnist_Classifier = Conv_Classifier()
    input_sample = torch.rand((1, 1, 28, 28))
    return make_dot(Mnist_Classifier(input_sample), params=dict(Mnist_Classifier.named_parameters()))


# --------------------------------------------------------------------------------------------
# 004: "Что означает параметр retain_graph в методе переменной backward()?" (Russian).


def _seed004_content_loss(torch, modern):
    nn = torch.nn

    class ContentLoss(nn.Module):
        def __init__(self, target, weight):
            super(ContentLoss, self).__init__()
            self.target = target.detach() * weight
            self.weight = weight
            self.criterion = nn.MSELoss()

        def forward(self, input):
            self.loss = self.criterion(input * self.weight, self.target)
            self.output = input
            return self.output

        if modern:

            def backward(self, retain_graph=True):
                self.loss.backward(retain_graph=retain_graph)
                return self.loss

        else:

            def backward(self, retain_variables=True):
                # Why is retain_variables True??
                self.loss.backward(retain_variables=retain_variables)
                return self.loss

    return ContentLoss


def seed004_content_loss(torch):
    """The seed's ContentLoss as written: ``retain_variables`` was removed from backward()
    (PyTorch 0.4), so calling the module's backward() raises TypeError today."""
    ContentLoss = _seed004_content_loss(torch, modern=False)
    rng = _rng(torch, 16)
    target = torch.rand(1, 3, 4, 4, generator=rng)
    input_img = torch.rand(1, 3, 4, 4, generator=rng, requires_grad=True)
    content = ContentLoss(target, 1.5)
    output = content(input_img)
    out = {
        "output_is_input": output is input_img,
        "loss": content.loss.item(),
        "target_requires_grad": content.target.requires_grad,
    }
    try:
        content.backward()
    except Exception as e:
        out["error"] = _err(e)
    return out


def seed004_content_loss_retain_graph(torch):
    """ContentLoss with the new name (``retain_graph``) that the question mentions."""
    ContentLoss = _seed004_content_loss(torch, modern=True)
    rng = _rng(torch, 16)
    target = torch.rand(1, 3, 4, 4, generator=rng)
    input_img = torch.rand(1, 3, 4, 4, generator=rng, requires_grad=True)
    content = ContentLoss(target, 1.5)
    content(input_img)
    out = {"loss": content.backward().item(), "grad_once": _np(input_img.grad)}
    content.backward()  # fine: the graph was retained
    out["grad_twice"] = _np(input_img.grad)
    content.backward(retain_graph=False)  # fine, and frees the graph
    try:
        content.backward(retain_graph=False)
    except Exception as e:
        out["error"] = _err(e)
    return out


def _seed004_abcde(torch):
    Variable = torch.autograd.Variable
    a = Variable(torch.rand(1, 4, generator=_rng(torch, 17)), requires_grad=True)
    b = a**2
    c = b * 2
    d = c.mean()
    e = c.sum()
    return a, d, e


def seed004_backward_twice_error(torch):
    a, d, e = _seed004_abcde(torch)
    out = {"a": _np(a)}
    d.backward()  # fine
    out["a_grad_after_d"] = _np(a.grad)  # = a
    try:
        e.backward()  # the part of the graph that computes d was freed
    except Exception as e_:
        out["error"] = _err(e_)
    return out


def seed004_retain_graph_sequence(torch):
    a, d, e = _seed004_abcde(torch)
    out = {"a": _np(a)}
    d.backward(retain_graph=True)  # fine
    out["a_grad_1"] = _np(a.grad)  # a
    e.backward(retain_graph=True)  # fine
    out["a_grad_2"] = _np(a.grad)  # a + 4a
    d.backward()  # also fine
    out["a_grad_3"] = _np(a.grad)  # 6a
    try:
        e.backward()  # error will occur!  (correct: d.backward() freed the graph)
    except Exception as e_:
        out["error"] = _err(e_)
    out["a_grad_after_error"] = _np(a.grad)
    return out


def _seed004_cat_car_net(torch):
    """Conv - Conv - Conv -| FC - FC - FC - cat? / FC - FC - FC - car?"""
    nn = torch.nn

    class CatCarNet(nn.Module):
        def __init__(self):
            super(CatCarNet, self).__init__()
            self.trunk = nn.Sequential(
                nn.Conv2d(3, 4, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(4, 4, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(4, 4, 3, padding=1),
                nn.ReLU(),
            )
            self.cat = nn.Sequential(
                nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2)
            )
            self.car = nn.Sequential(
                nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2)
            )

        def forward(self, x):
            h = self.trunk(x)
            h = h.view(h.size(0), -1)
            return self.cat(h), self.car(h)

    return _init_deterministic(torch, CatCarNet(), 18)


def seed004_shared_trunk_two_heads(torch):
    """The answer's multi-task example: back-propagate two heads one after the other."""
    criterion = torch.nn.CrossEntropyLoss()
    rng = _rng(torch, 19)
    images = torch.rand(3, 3, 4, 4, generator=rng)
    cat_labels = torch.LongTensor([1, 0, 1])
    car_labels = torch.LongTensor([0, 0, 1])
    out = {}

    # Sequentially, keeping the graph for the second backward.
    net = _seed004_cat_car_net(torch)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    cat_out, car_out = net(images)
    loss1 = criterion(cat_out, cat_labels)
    loss2 = criterion(car_out, car_labels)
    # suppose you first back-propagate loss1, then loss2 (you can also do the reverse)
    loss1.backward(retain_graph=True)
    loss2.backward()  # now the graph is freed, and next process of batch gradient descent is ready
    out["grads_sequential"] = _grads(net)
    optimizer.step()  # update the network parameters
    out["params_after_step"] = _params(net)

    # Summing the losses and doing one backward gives the same gradients.
    net = _seed004_cat_car_net(torch)
    cat_out, car_out = net(images)
    (criterion(cat_out, cat_labels) + criterion(car_out, car_labels)).backward()
    out["grads_summed"] = _grads(net)
    out["sequential_equals_summed"] = all(
        np.allclose(out["grads_sequential"][k], out["grads_summed"][k], rtol=1e-5, atol=1e-7)
        for k in out["grads_summed"]
    )

    # Without retain_graph the second backward fails in the shared conv trunk, as the answer says.
    net = _seed004_cat_car_net(torch)
    cat_out, car_out = net(images)
    criterion(cat_out, cat_labels).backward()
    try:
        criterion(car_out, car_labels).backward()
    except Exception as e:
        out["error"] = _err(e)
    return out


def seed004_gradient_accumulation(torch):
    """The answer's claim that accumulating per-sample gradients equals a full-batch update.

    True for losses that SUM over the batch; with the default mean reduction the accumulated
    gradient is N times the full-batch one (each per-sample loss must be divided by N).
    """
    nn = torch.nn
    model = _init_deterministic(torch, nn.Linear(4, 1), 23)
    rng = _rng(torch, 24)
    xs = torch.randn(6, 4, generator=rng)
    ys = torch.randn(6, 1, generator=rng)
    out = {}

    for i in range(xs.size(0)):  # one sample at a time, gradients accumulate in .grad
        loss = nn.MSELoss()(model(xs[i : i + 1]), ys[i : i + 1])
        loss.backward()
    out["accumulated"] = _grads(model)

    model.zero_grad()
    nn.MSELoss(reduction="sum")(model(xs), ys).backward()
    out["full_batch_sum"] = _grads(model)

    model.zero_grad()
    nn.MSELoss()(model(xs), ys).backward()
    out["full_batch_mean"] = _grads(model)
    return out


ALL = [
    seed000_retain_graph_twice,
    seed000_repeated_optimization,
    seed000_large_net_retain_graph,
    seed000_multi_loss,
    seed001_retain_grad_before,
    seed001_retain_grad_after,
    seed002_srgan_update,
    seed002_srgan_update_fixed,
    seed002_backward_twice_error,
    seed002_backward_twice_retain_graph,
    seed002_two_losses,
    seed002_variable_register_hook,
    seed002_variable_semantics,
    seed003_requires_grad,
    seed003_multitask_loop,
    seed003_multitask_loop_fixed,
    seed003_conv_classifier,
    seed004_content_loss,
    seed004_content_loss_retain_graph,
    seed004_backward_twice_error,
    seed004_retain_graph_sequence,
    seed004_shared_trunk_two_heads,
    seed004_gradient_accumulation,
]

# Functions that take (torch, make_dot); not part of ALL.
MAKE_DOT = [seed003_make_dot]

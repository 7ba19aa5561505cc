"""graphgrad.nn against PyTorch: every layer (outputs, parameter and input gradients, buffers), the Module
API (names, state_dict, load_state_dict errors, repr, hooks, conversions) and the seeds' models.

Each layer test builds the layer in both libraries from the same constructor code, copies PyTorch's
weights into graphgrad through ``load_state_dict``, runs the same float32 inputs in train and/or eval mode
and compares (rtol 1e-4, atol 1e-5).
"""

from __future__ import annotations

import math
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

RTOL, ATOL = 1e-4, 1e-5


# --------------------------------------------------------------------------------------------------
# helpers
def _gg(t):
    """A torch tensor as a graphgrad tensor (same values and dtype)."""
    return graphgrad.tensor(t.detach().cpu().numpy().copy())


def _copy_weights(tm, gm):
    gm.load_state_dict({k: _gg(v) for k, v in tm.state_dict().items()})


def _flat(out):
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _np(t):
    return None if t is None else t.detach().numpy()


def _close(actual, expected, what, rtol=RTOL, atol=ATOL):
    assert (actual is None) == (expected is None), f"{what}: {actual is None=} vs {expected is None=}"
    if expected is None:
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def X(*shape):
    """A float32 input that requires grad."""
    return ("grad", lambda rng: rng.standard_normal(shape).astype(np.float32))


def C(fn):
    """A constant input made by ``fn(rng)`` (indices, targets, masks)."""
    return ("const", fn)


def P(*shape):
    """Probabilities in (0.05, 0.95), requiring grad."""
    return ("grad", lambda rng: rng.uniform(0.05, 0.95, shape).astype(np.float32))


def idx(high, *shape):
    return C(lambda rng: rng.integers(0, high, shape).astype(np.int64))


def parity(torch, make, inputs, modes=("train", "eval"), steps=1, rtol=RTOL, atol=ATOL, kwargs=None, seed=0):
    """Build ``make(lib)`` in both libraries, share the weights, compare forward/backward in each mode."""
    torch.manual_seed(seed)
    tm = make(torch)
    gm = make(graphgrad)
    _copy_weights(tm, gm)
    rng = np.random.default_rng(seed)
    kwargs = kwargs or {}
    for mode in modes:
        tm.train(mode == "train")
        gm.train(mode == "train")
        for step in range(steps):
            arrays = [(kind, fn(rng)) for kind, fn in inputs]
            t_in = [torch.tensor(a, requires_grad=k == "grad") for k, a in arrays]
            g_in = [graphgrad.tensor(a, requires_grad=k == "grad") for k, a in arrays]
            t_kw = {k: (v(torch) if callable(v) else v) for k, v in kwargs.items()}
            g_kw = {k: (v(graphgrad) if callable(v) else v) for k, v in kwargs.items()}
            t_out, g_out = _flat(tm(*t_in, **t_kw)), _flat(gm(*g_in, **g_kw))
            where = f"{mode} step {step}"
            assert len(t_out) == len(g_out), f"{where}: {len(g_out)} outputs, torch has {len(t_out)}"
            for i, (t, g) in enumerate(zip(t_out, g_out)):
                _close(_np(g), _np(t), f"{where}: output {i}", rtol, atol)
            # backward with the same random upstream gradient for every float output that has a graph
            t_loss = g_loss = 0
            for t, g in zip(t_out, g_out):
                if t is not None and t.requires_grad:
                    assert g.requires_grad, f"{where}: output does not require grad"
                    up = rng.standard_normal(tuple(t.shape)).astype(np.float32)
                    t_loss = t_loss + (t * torch.tensor(up)).sum()
                    g_loss = g_loss + (g * graphgrad.tensor(up)).sum()
            if not isinstance(t_loss, int):
                tm.zero_grad()
                gm.zero_grad()
                t_loss.backward()
                g_loss.backward()
                g_params = dict(gm.named_parameters())
                for name, p in tm.named_parameters():
                    _close(_np(g_params[name].grad), _np(p.grad), f"{where}: grad of {name}", rtol, atol)
                for i, (t, g) in enumerate(zip(t_in, g_in)):
                    if t.requires_grad:
                        _close(_np(g.grad), _np(t.grad), f"{where}: grad of input {i}", rtol, atol)
        g_state = gm.state_dict()
        for name, v in tm.state_dict().items():
            _close(_np(g_state[name]), _np(v), f"{mode}: state_dict[{name!r}]", rtol, atol)
    return tm, gm


# --------------------------------------------------------------------------------------------------
# layers: (id, constructor, inputs, options)
def _cls_target(n, c):
    return idx(c, n)


LAYERS = [
    # linear
    ("Linear", lambda t: t.nn.Linear(5, 3), [X(4, 5)], {}),
    ("Linear-nobias-3d", lambda t: t.nn.Linear(5, 3, bias=False), [X(2, 4, 5)], {}),
    ("Bilinear", lambda t: t.nn.Bilinear(4, 3, 2), [X(5, 4), X(5, 3)], {}),
    ("Identity", lambda t: t.nn.Identity(3, foo=1), [X(2, 3)], {}),
    # convolutions
    ("Conv1d", lambda t: t.nn.Conv1d(3, 4, 3, stride=2, padding=1), [X(2, 3, 9)], {}),
    ("Conv1d-same-dilation", lambda t: t.nn.Conv1d(2, 4, 4, padding="same", dilation=2), [X(2, 2, 10)], {}),
    ("Conv1d-groups", lambda t: t.nn.Conv1d(4, 6, 3, groups=2, bias=False), [X(1, 4, 7)], {}),
    ("Conv2d", lambda t: t.nn.Conv2d(3, 4, 3), [X(2, 3, 7, 6)], {}),
    ("Conv2d-stride-pad-groups", lambda t: t.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=False),
     [X(2, 4, 7, 8)], {}),
    ("Conv2d-same-dilation", lambda t: t.nn.Conv2d(2, 3, (3, 2), padding="same", dilation=(2, 1)),
     [X(1, 2, 6, 5)], {}),
    ("Conv2d-valid-rect", lambda t: t.nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding="valid"), [X(2, 2, 5, 7)], {}),
    ("Conv2d-reflect", lambda t: t.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [X(1, 2, 5, 5)], {}),
    ("ConvTranspose2d", lambda t: t.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
     [X(2, 4, 4, 3)], {}),
    ("ConvTranspose2d-groups-dilation", lambda t: t.nn.ConvTranspose2d(4, 6, 2, groups=2, dilation=2),
     [X(1, 4, 3, 3)], {}),
    # pooling
    ("MaxPool1d-ceil", lambda t: t.nn.MaxPool1d(3, stride=2, ceil_mode=True), [X(2, 3, 8)], {}),
    ("MaxPool2d", lambda t: t.nn.MaxPool2d(2), [X(2, 3, 6, 5)], {}),
    ("MaxPool2d-indices", lambda t: t.nn.MaxPool2d(3, 2, padding=1, return_indices=True), [X(1, 2, 7, 6)], {}),
    ("MaxPool2d-dilation-ceil", lambda t: t.nn.MaxPool2d(2, 2, dilation=2, ceil_mode=True), [X(1, 2, 8, 7)], {}),
    ("AvgPool2d", lambda t: t.nn.AvgPool2d(2), [X(2, 3, 6, 4)], {}),
    ("AvgPool2d-pad-exclude", lambda t: t.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     [X(1, 2, 7, 6)], {}),
    ("AvgPool2d-ceil", lambda t: t.nn.AvgPool2d(2, ceil_mode=True), [X(1, 2, 5, 5)], {}),
    ("AdaptiveAvgPool2d", lambda t: t.nn.AdaptiveAvgPool2d((3, 2)), [X(2, 3, 7, 5)], {}),
    ("AdaptiveAvgPool2d-1", lambda t: t.nn.AdaptiveAvgPool2d(1), [X(2, 3, 4, 4)], {}),
    ("MaxPool3d", lambda t: t.nn.MaxPool3d(2), [X(2, 2, 4, 5, 5)], {}),
    ("MaxPool3d-indices-dilation-ceil", lambda t: t.nn.MaxPool3d(2, 2, 1, dilation=2, return_indices=True,
                                                                   ceil_mode=True), [X(1, 2, 6, 5, 7)], {}),
    ("AvgPool3d", lambda t: t.nn.AvgPool3d((2, 3, 2), stride=1, padding=1, count_include_pad=False,
                                           divisor_override=None), [X(2, 2, 4, 5, 3)], {}),
    ("AvgPool3d-divisor-ceil", lambda t: t.nn.AvgPool3d(3, 2, 1, ceil_mode=True, divisor_override=4),
     [X(1, 2, 5, 6, 6)], {}),
    ("AdaptiveAvgPool3d", lambda t: t.nn.AdaptiveAvgPool3d((2, None, 3)), [X(2, 2, 5, 4, 7)], {}),
    ("AdaptiveMaxPool3d", lambda t: t.nn.AdaptiveMaxPool3d(2, return_indices=True), [X(2, 2, 5, 4, 7)], {}),
    ("AdaptiveMaxPool1d", lambda t: t.nn.AdaptiveMaxPool1d(3), [X(2, 3, 8)], {}),
    ("LPPool1d", lambda t: t.nn.LPPool1d(2, 3, stride=2), [P(2, 3, 9)], {}),
    ("LPPool2d", lambda t: t.nn.LPPool2d(1.5, (2, 3), ceil_mode=True), [P(2, 3, 5, 7)], {}),
    ("LPPool3d", lambda t: t.nn.LPPool3d(float("inf"), 2), [X(1, 2, 4, 4, 5)], {}),
    # max unpooling: indices of each 2-wide window's first element
    ("MaxUnpool1d", lambda t: t.nn.MaxUnpool1d(2),
     [X(2, 3, 4), C(lambda rng: np.broadcast_to(np.arange(0, 8, 2), (2, 3, 4)).astype(np.int64))], {}),
    ("MaxUnpool2d", lambda t: t.nn.MaxUnpool2d(2), [X(1, 2, 3, 4), C(lambda rng: np.broadcast_to(
        np.arange(3)[:, None] * 16 + np.arange(4) * 2, (1, 2, 3, 4)).astype(np.int64))], {}),
    ("MaxUnpool3d", lambda t: t.nn.MaxUnpool3d(2), [X(1, 2, 2, 2, 3), C(lambda rng: np.broadcast_to(
        np.arange(2)[:, None, None] * 48 + np.arange(2)[:, None] * 12 + np.arange(3) * 2, (1, 2, 2, 2, 3))
        .astype(np.int64))], {}),
    ("ChannelShuffle", lambda t: t.nn.ChannelShuffle(2), [X(2, 4, 3, 3)], {}),
    ("FractionalMaxPool2d-samples", lambda t: t.nn.FractionalMaxPool2d(
        2, (3, 4), _random_samples=t.tensor([[[0.3, 0.8], [0.5, 0.1]]])), [X(1, 2, 7, 9)], {}),
    ("FractionalMaxPool3d-samples", lambda t: t.nn.FractionalMaxPool3d(
        2, output_ratio=0.5, return_indices=True, _random_samples=t.tensor([[[0.3, 0.8, 0.2], [0.5, 0.1, 0.9]]])),
     [X(1, 2, 6, 7, 8)], {}),
    # normalisation (several train steps: running statistics)
    ("BatchNorm1d", lambda t: t.nn.BatchNorm1d(4), [X(6, 4)], {"steps": 3}),
    ("BatchNorm1d-3d", lambda t: t.nn.BatchNorm1d(3, momentum=0.3), [X(4, 3, 5)], {"steps": 2}),
    ("BatchNorm1d-cumulative", lambda t: t.nn.BatchNorm1d(4, momentum=None), [X(5, 4)], {"steps": 3}),
    ("BatchNorm1d-noaffine", lambda t: t.nn.BatchNorm1d(4, affine=False), [X(5, 4)], {"steps": 2}),
    ("BatchNorm1d-notrack", lambda t: t.nn.BatchNorm1d(4, track_running_stats=False), [X(5, 4)], {"steps": 2}),
    ("BatchNorm2d", lambda t: t.nn.BatchNorm2d(3), [X(4, 3, 5, 4)], {"steps": 3}),
    ("LayerNorm", lambda t: t.nn.LayerNorm((4, 5)), [X(3, 4, 5)], {}),
    ("LayerNorm-noaffine", lambda t: t.nn.LayerNorm(5, elementwise_affine=False, eps=1e-3), [X(3, 5)], {}),
    ("GroupNorm", lambda t: t.nn.GroupNorm(2, 4), [X(3, 4, 5, 2)], {}),
    # dropout: the identity in eval mode (and with p=0)
    ("Dropout-eval", lambda t: t.nn.Dropout(0.5), [X(4, 5)], {"modes": ("eval",)}),
    ("Dropout-p0", lambda t: t.nn.Dropout(0.0), [X(4, 5)], {"modes": ("train",)}),
    ("Dropout2d-eval", lambda t: t.nn.Dropout2d(0.3), [X(2, 3, 4, 4)], {"modes": ("eval",)}),
    # embedding
    ("Embedding", lambda t: t.nn.Embedding(10, 4), [idx(10, 3, 5)], {}),
    ("Embedding-padding", lambda t: t.nn.Embedding(10, 4, padding_idx=1),
     [C(lambda rng: np.array([[1, 2, 1], [4, 1, 9]], dtype=np.int64))], {}),
    # shape and resampling
    ("Flatten", lambda t: t.nn.Flatten(), [X(2, 3, 4)], {}),
    ("Flatten-range", lambda t: t.nn.Flatten(0, 1), [X(2, 3, 4)], {}),
    ("Unflatten", lambda t: t.nn.Unflatten(1, (2, 3)), [X(4, 6)], {}),
    ("Upsample-nearest", lambda t: t.nn.Upsample(scale_factor=2, mode="nearest"), [X(1, 2, 3, 4)], {}),
    ("Upsample-bilinear", lambda t: t.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False),
     [X(1, 2, 3, 4)], {}),
    ("Upsample-bilinear-corners", lambda t: t.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
     [X(2, 1, 3, 3)], {}),
    ("PixelShuffle", lambda t: t.nn.PixelShuffle(2), [X(2, 8, 3, 2)], {}),
    # activations
    ("ReLU", lambda t: t.nn.ReLU(), [X(3, 4)], {}),
    ("ReLU-inplace", lambda t: t.nn.Sequential(t.nn.Linear(4, 4), t.nn.ReLU(inplace=True)), [X(3, 4)], {}),
    ("LeakyReLU", lambda t: t.nn.LeakyReLU(0.2), [X(3, 4)], {}),
    ("PReLU", lambda t: t.nn.PReLU(), [X(3, 4)], {}),
    ("PReLU-channels", lambda t: t.nn.PReLU(3, init=0.1), [X(2, 3, 4)], {}),
    ("ELU", lambda t: t.nn.ELU(alpha=0.5), [X(3, 4)], {}),
    ("GELU", lambda t: t.nn.GELU(), [X(3, 4)], {}),
    ("RReLU-eval", lambda t: t.nn.RReLU(0.1, 0.3), [X(3, 4)], {"modes": ("eval",)}),
    ("GELU-tanh", lambda t: t.nn.GELU(approximate="tanh"), [X(3, 4)], {}),
    ("SiLU", lambda t: t.nn.SiLU(), [X(3, 4)], {}),
    ("Sigmoid", lambda t: t.nn.Sigmoid(), [X(3, 4)], {}),
    ("Tanh", lambda t: t.nn.Tanh(), [X(3, 4)], {}),
    ("Softplus", lambda t: t.nn.Softplus(beta=2.0, threshold=1.0), [X(3, 4)], {}),
    ("Softmax", lambda t: t.nn.Softmax(dim=1), [X(3, 4)], {}),
    ("LogSoftmax", lambda t: t.nn.LogSoftmax(dim=-1), [X(2, 3, 4)], {}),
    ("Hardtanh", lambda t: t.nn.Hardtanh(-0.5, 0.5), [X(3, 4)], {}),
    ("ReLU6", lambda t: t.nn.ReLU6(), [C(lambda rng: (rng.standard_normal((3, 4)) * 5).astype(np.float32))], {}),
    # losses
    ("CrossEntropyLoss", lambda t: t.nn.CrossEntropyLoss(), [X(5, 4), _cls_target(5, 4)], {}),
    ("CrossEntropyLoss-options",
     lambda t: t.nn.CrossEntropyLoss(weight=t.tensor([1.0, 2.0, 0.5, 1.5]), ignore_index=2, label_smoothing=0.1),
     [X(6, 4), C(lambda rng: np.array([0, 2, 3, 1, 2, 3], dtype=np.int64))], {}),
    ("CrossEntropyLoss-probs", lambda t: t.nn.CrossEntropyLoss(),
     [X(5, 4), C(lambda rng: rng.dirichlet(np.ones(4), 5).astype(np.float32))], {}),
    ("CrossEntropyLoss-none-2d", lambda t: t.nn.CrossEntropyLoss(reduction="none"),
     [X(2, 3, 4, 2), idx(3, 2, 4, 2)], {}),
    ("NLLLoss", lambda t: t.nn.NLLLoss(reduction="sum"), [X(5, 3), _cls_target(5, 3)], {}),
    ("MSELoss", lambda t: t.nn.MSELoss(), [X(3, 4), X(3, 4)], {}),
    ("MSELoss-sum", lambda t: t.nn.MSELoss(reduction="sum"), [X(3, 4), X(3, 4)], {}),
    ("L1Loss", lambda t: t.nn.L1Loss(), [X(3, 4), X(3, 4)], {}),
    ("SmoothL1Loss", lambda t: t.nn.SmoothL1Loss(beta=0.5), [X(3, 4), X(3, 4)], {}),
    ("HuberLoss", lambda t: t.nn.HuberLoss(delta=0.7, reduction="none"), [X(3, 4), X(3, 4)], {}),
    ("BCELoss", lambda t: t.nn.BCELoss(), [P(3, 4), C(lambda rng: rng.uniform(0, 1, (3, 4)).astype(np.float32))], {}),
    ("BCEWithLogitsLoss", lambda t: t.nn.BCEWithLogitsLoss(pos_weight=t.tensor([1.0, 2.0, 3.0, 0.5])),
     [X(3, 4), C(lambda rng: (rng.uniform(0, 1, (3, 4)) > 0.5).astype(np.float32))], {}),
    ("KLDivLoss", lambda t: t.nn.KLDivLoss(reduction="batchmean"),
     [X(3, 4), C(lambda rng: rng.dirichlet(np.ones(4), 3).astype(np.float32))], {}),
    ("KLDivLoss-logtarget", lambda t: t.nn.KLDivLoss(reduction="sum", log_target=True), [X(3, 4), X(3, 4)], {}),
    ("MultiMarginLoss", lambda t: t.nn.MultiMarginLoss(p=2, margin=0.5, weight=t.tensor([1.0, 2.0, 0.5, 1.5])),
     [X(5, 4), _cls_target(5, 4)], {}),
    ("MultiLabelMarginLoss", lambda t: t.nn.MultiLabelMarginLoss(reduction="none"),
     [X(3, 4), C(lambda rng: np.array([[0, 1, -1, 2], [3, -1, 0, 0], [0, 1, 2, 3]]))], {}),
    ("TripletMarginWithDistanceLoss", lambda t: t.nn.TripletMarginWithDistanceLoss(swap=True),
     [X(4, 5), X(4, 5), X(4, 5)], {}),
    ("NLLLoss2d", lambda t: t.nn.NLLLoss2d(), [X(2, 3, 4, 4), idx(3, 2, 4, 4)], {}),
    # containers
    ("Sequential", lambda t: t.nn.Sequential(t.nn.Linear(4, 6), t.nn.Tanh(), t.nn.Linear(6, 2)), [X(3, 4)], {}),
]


@pytest.mark.parametrize("make,inputs,opts", [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch_ref, make, inputs, opts):
    parity(torch_ref, make, inputs, **opts)


RECURRENT = [
    ("RNN-2layers-h0", lambda t: t.nn.RNN(4, 5, num_layers=2), [X(6, 3, 4), X(2, 3, 5)], {}),
    ("RNN-relu-batchfirst", lambda t: t.nn.RNN(4, 5, nonlinearity="relu", batch_first=True), [X(3, 6, 4)], {}),
    ("RNN-bidirectional-nobias", lambda t: t.nn.RNN(3, 4, bias=False, bidirectional=True), [X(5, 2, 3)], {}),
    ("LSTM", lambda t: t.nn.LSTM(4, 5), [X(6, 3, 4)], {}),
    ("LSTM-2layers-bi-batchfirst", lambda t: t.nn.LSTM(4, 5, 2, batch_first=True, bidirectional=True),
     [X(3, 6, 4)], {}),
    ("LSTM-proj", lambda t: t.nn.LSTM(4, 6, proj_size=3), [X(5, 2, 4)], {}),
    ("LSTM-unbatched", lambda t: t.nn.LSTM(4, 5, 2), [X(6, 4)], {}),
    ("GRU", lambda t: t.nn.GRU(4, 5), [X(6, 3, 4), X(1, 3, 5)], {}),
    ("GRU-2layers-bi", lambda t: t.nn.GRU(3, 4, 2, bidirectional=True), [X(5, 2, 3)], {}),
    ("GRU-dropout-eval", lambda t: t.nn.GRU(3, 4, 2, dropout=0.5), [X(5, 2, 3)], {"modes": ("eval",)}),
    ("RNNCell", lambda t: t.nn.RNNCell(4, 5), [X(3, 4), X(3, 5)], {}),
    ("LSTMCell", lambda t: t.nn.LSTMCell(4, 5), [X(3, 4)], {}),
    ("GRUCell", lambda t: t.nn.GRUCell(4, 5), [X(3, 4), X(3, 5)], {}),
]


@pytest.mark.parametrize("make,inputs,opts", [c[1:] for c in RECURRENT], ids=[c[0] for c in RECURRENT])
def test_recurrent_matches_torch(torch_ref, make, inputs, opts):
    parity(torch_ref, make, inputs, **opts)


def test_lstm_with_initial_state_matches_torch(torch_ref):
    class Wrap:
        """LSTM called as lstm(x, (h0, c0)), with the state as inputs that require grad."""

        @staticmethod
        def make(t):
            class M(t.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.lstm = t.nn.LSTM(3, 4, num_layers=2, bidirectional=True)

                def forward(self, x, h0, c0):
                    return self.lstm(x, (h0, c0))

            return M()

    parity(torch_ref, Wrap.make, [X(5, 2, 3), X(4, 2, 4), X(4, 2, 4)])


def _mha(**kw):
    def make(t):
        return t.nn.MultiheadAttention(**{"embed_dim": 8, "num_heads": 2, **kw})

    return make


def _key_padding(rng):
    mask = np.zeros((2, 5), dtype=bool)
    mask[0, 3:] = True
    mask[1, 4] = True
    return mask


ATTENTION = [
    ("self-attention", _mha(), [X(4, 2, 8), X(4, 2, 8), X(4, 2, 8)], {}),
    ("batch-first-masks", _mha(batch_first=True),
     [X(2, 3, 8), X(2, 5, 8), X(2, 5, 8)],
     {"kwargs": {"key_padding_mask": lambda t: t.tensor(_key_padding(None)),
                 "attn_mask": lambda t: t.tensor(np.triu(np.full((3, 5), -1.5, np.float32), 1))}}),
    ("bool-attn-mask-per-head", _mha(),
     [X(3, 2, 8), X(3, 2, 8), X(3, 2, 8)],
     {"kwargs": {"attn_mask": lambda t: t.tensor(np.triu(np.ones((3, 3), bool), 1)),
                 "average_attn_weights": False}}),
    ("kdim-vdim", _mha(kdim=3, vdim=5), [X(4, 2, 8), X(6, 2, 3), X(6, 2, 5)], {}),
    ("bias-kv-zero-attn", _mha(add_bias_kv=True, add_zero_attn=True),
     [X(4, 2, 8), X(4, 2, 8), X(4, 2, 8)], {}),
    ("no-weights", _mha(bias=False), [X(4, 2, 8), X(4, 2, 8), X(4, 2, 8)], {"kwargs": {"need_weights": False}}),
    ("unbatched", _mha(), [X(4, 8), X(5, 8), X(5, 8)], {}),
]


@pytest.mark.parametrize("make,inputs,opts", [c[1:] for c in ATTENTION], ids=[c[0] for c in ATTENTION])
def test_multihead_attention_matches_torch(torch_ref, make, inputs, opts):
    parity(torch_ref, make, inputs, modes=("eval",), **opts)


def test_batchnorm_eval_after_training_uses_running_stats(torch_ref):
    make = lambda t: t.nn.Sequential(t.nn.Conv2d(2, 3, 3), t.nn.BatchNorm2d(3, momentum=0.2), t.nn.ReLU())  # noqa: E731
    tm, gm = parity(torch_ref, make, [X(4, 2, 6, 6)], modes=("train", "eval", "train"), steps=2)
    assert int(gm[1].num_batches_tracked) == int(tm[1].num_batches_tracked) == 4


def test_dropout_train_statistics():
    graphgrad.manual_seed(0)
    x = graphgrad.ones(200, 100)
    y = gnn.Dropout(p=0.3)(x)
    kept = y._data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y._data[kept], 1 / 0.7, rtol=1e-6)
    y2 = gnn.Dropout2d(p=0.5)(graphgrad.ones(50, 40, 3, 3))._data
    per_channel = y2.reshape(50, 40, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))  # whole channels dropped


def test_embedding_padding_row_is_zero_and_gets_no_grad():
    emb = gnn.Embedding(6, 3, padding_idx=-1)
    assert emb.padding_idx == 5
    assert np.all(emb.weight._data[5] == 0)
    emb(graphgrad.tensor([5, 1, 5])).sum().backward()
    assert np.all(emb.weight.grad._data[5] == 0)
    assert np.all(emb.weight.grad._data[1] == 1)


def test_embedding_from_pretrained(torch_ref):
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    g = gnn.Embedding.from_pretrained(graphgrad.tensor(w))
    t = torch_ref.nn.Embedding.from_pretrained(torch_ref.tensor(w))
    assert g.weight.requires_grad is t.weight.requires_grad is False
    assert repr(g) == repr(t)
    _close(_np(g(graphgrad.tensor([2, 0]))), _np(t(torch_ref.tensor([2, 0]))), "lookup")
    assert gnn.Embedding.from_pretrained(graphgrad.tensor(w), freeze=False).weight.requires_grad


def test_embedding_bag_module_like_torch(torch_ref):
    """nn.EmbeddingBag (the text classification tutorial's bag of words): repr, zeroed padding row, the
    per-bag sums with per_sample_weights and their gradients, from_pretrained."""
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    text, offsets, weights = [1, 2, 4, 5, 4, 3, 2, 0], [0, 4, 4], np.linspace(0.1, 0.8, 8, dtype=np.float32)
    results = []
    for lib, nn in ((graphgrad, gnn), (torch_ref, torch_ref.nn)):
        bag = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=2)
        assert not bag.weight.detach().numpy()[2].any()
        bag.weight.data.copy_(lib.tensor(w))
        psw = lib.tensor(weights, requires_grad=True)
        out = bag(lib.tensor(text), lib.tensor(offsets), per_sample_weights=psw)
        (out * out).sum().backward()
        pretrained = nn.EmbeddingBag.from_pretrained(lib.tensor(w), mode="max")
        results.append((repr(bag), type(out.grad_fn).__name__, out.detach().numpy(), bag.weight.grad.numpy(),
                        psw.grad.numpy(), repr(pretrained), pretrained.weight.requires_grad,
                        pretrained(lib.tensor([[0, 5], [3, 1]])).detach().numpy()))
    for g, t in zip(*results):
        if isinstance(g, np.ndarray):
            np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)
        else:
            assert g == t


def test_maxpool_indices_and_conv_transpose_output_size(torch_ref):
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 6)).astype(np.float32)
    t_out, t_idx = torch_ref.nn.MaxPool2d(2, return_indices=True)(torch_ref.tensor(x))
    g_out, g_idx = gnn.MaxPool2d(2, return_indices=True)(graphgrad.tensor(x))
    np.testing.assert_array_equal(g_idx.numpy(), t_idx.numpy())
    torch_ref.manual_seed(0)
    tm = torch_ref.nn.ConvTranspose2d(2, 3, 3, stride=2)
    gm = gnn.ConvTranspose2d(2, 3, 3, stride=2)
    _copy_weights(tm, gm)
    t = tm(t_out, output_size=[8, 8])
    g = gm(g_out, output_size=[8, 8])
    _close(_np(g), _np(t), "output_size")
    with pytest.raises(ValueError) as te:
        tm(t_out, output_size=[9, 9])
    with pytest.raises(ValueError) as ge:
        gm(g_out, output_size=[9, 9])
    assert str(ge.value) == str(te.value)


# --------------------------------------------------------------------------------------------------
# Module API
def _architectures(t):
    nn = t.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
            self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 3)])
            self.table = nn.ModuleDict({"emb": nn.Embedding(5, 4), "ln": nn.LayerNorm(4)})
            self.scale = nn.Parameter(t.ones(1))
            self.register_buffer("steps", t.zeros(1))
            self.register_buffer("cache", t.zeros(2), persistent=False)
            self.plist = nn.ParameterList([nn.Parameter(t.zeros(2)), nn.Parameter(t.zeros(3))])

        def forward(self, x):
            return x

    return {
        "Net": Net(),
        "LSTM": nn.LSTM(3, 4, num_layers=2, bidirectional=True),
        "GRU": nn.GRU(3, 4, bias=False),
        "MHA": nn.MultiheadAttention(8, 2),
        "MHA-kv": nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
        "BN-noaffine": nn.BatchNorm1d(3, affine=False),
        "BN-notrack": nn.BatchNorm1d(3, track_running_stats=False),
        "losses": nn.Sequential(nn.CrossEntropyLoss(weight=t.ones(3)), nn.BCEWithLogitsLoss(pos_weight=t.ones(2))),
        "cells": nn.ModuleList([nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3, bias=False)]),
        "Bilinear-PReLU-GroupNorm": nn.Sequential(nn.Bilinear(2, 3, 4), nn.PReLU(4), nn.GroupNorm(2, 4)),
        "ConvT": nn.Sequential(nn.ConvTranspose2d(2, 3, 3), nn.Conv1d(2, 2, 2, bias=False)),
    }


@pytest.mark.parametrize("name", list(_architectures(graphgrad)))
def test_names_and_state_dict_keys_match_torch(torch_ref, name):
    t = _architectures(torch_ref)[name]
    g = _architectures(graphgrad)[name]
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    for k, v in t.state_dict().items():
        assert tuple(g.state_dict()[k].shape) == tuple(v.shape), k
        assert g.state_dict()[k].dtype.name == str(v.dtype).replace("torch.", ""), k
    assert repr(g) == repr(t).replace("torch.float32", "graphgrad.float32")  # ParameterList prints dtypes
    g.load_state_dict({k: _gg(v) for k, v in t.state_dict().items()})  # loads cleanly


REPRS = [
    lambda nn: nn.Linear(10, 5),
    lambda nn: nn.Linear(3, 2, bias=False),
    lambda nn: nn.Conv2d(3, 8, 3, stride=2, padding=1, groups=1, bias=False),
    lambda nn: nn.Conv2d(4, 8, (3, 5), padding="same", dilation=2, groups=2, padding_mode="reflect"),
    lambda nn: nn.Conv1d(2, 4, 3),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool1d(3, stride=1, padding=1, ceil_mode=True),
    lambda nn: nn.AvgPool2d(3, stride=2),
    lambda nn: nn.AdaptiveAvgPool2d((5, None)),
    lambda nn: nn.MaxPool3d((2, 3, 1), 1, 1, 2, True, True),
    lambda nn: nn.AvgPool3d(3, stride=2, padding=1, divisor_override=2),
    lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)),
    lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True),
    lambda nn: nn.LPPool1d(2, 3),
    lambda nn: nn.LPPool2d(1.5, (2, 3), 1, True),
    lambda nn: nn.LPPool3d(2, 2),
    lambda nn: nn.MaxUnpool1d(2),
    lambda nn: nn.MaxUnpool2d((2, 3), 1, 1),
    lambda nn: nn.MaxUnpool3d(2, padding=1),
    lambda nn: nn.ChannelShuffle(3),
    lambda nn: nn.FractionalMaxPool2d(3, output_ratio=0.5),
    lambda nn: nn.FractionalMaxPool3d(2, output_size=(3, 3, 3)),
    lambda nn: nn.BatchNorm1d(4, momentum=None),
    lambda nn: nn.BatchNorm2d(3, eps=1e-3, affine=False),
    lambda nn: nn.LayerNorm((4, 5), bias=False),
    lambda nn: nn.GroupNorm(2, 4),
    lambda nn: nn.Dropout(),
    lambda nn: nn.Dropout2d(0.2, inplace=True),
    lambda nn: nn.Embedding(10, 3, padding_idx=0, max_norm=1.0),
    lambda nn: nn.Flatten(),
    lambda nn: nn.Unflatten(1, (2, 5)),
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=(4, 5), mode="bilinear", align_corners=True),
    lambda nn: nn.PixelShuffle(3),
    lambda nn: nn.ReLU(),
    lambda nn: nn.ReLU(inplace=True),
    lambda nn: nn.LeakyReLU(0.2, inplace=True),
    lambda nn: nn.PReLU(3),
    lambda nn: nn.ELU(),
    lambda nn: nn.GELU(approximate="tanh"),
    lambda nn: nn.SiLU(),
    lambda nn: nn.Sigmoid(),
    lambda nn: nn.Softplus(),
    lambda nn: nn.Softmax(dim=1),
    lambda nn: nn.LogSoftmax(dim=-1),
    lambda nn: nn.Hardtanh(-2, 2),
    lambda nn: nn.ReLU6(),
    lambda nn: nn.RReLU(),
    lambda nn: nn.RReLU(0.1, 0.3, inplace=True),
    lambda nn: nn.CrossEntropyLoss(),
    lambda nn: nn.MSELoss(reduction="sum"),
    lambda nn: nn.MultiMarginLoss(p=2),
    lambda nn: nn.TripletMarginWithDistanceLoss(margin=0.5),
    lambda nn: nn.Identity(),
    lambda nn: nn.RNN(10, 20, 2, nonlinearity="relu"),
    lambda nn: nn.LSTM(10, 20, 2, batch_first=True, dropout=0.5, bidirectional=True),
    lambda nn: nn.LSTM(10, 20, proj_size=5),
    lambda nn: nn.GRU(3, 4, bias=False),
    lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"),
    lambda nn: nn.LSTMCell(3, 4, bias=False),
    lambda nn: nn.MultiheadAttention(8, 2),
    lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1))),
    lambda nn: nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())])),
    lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]),
    lambda nn: nn.ModuleList(),
    lambda nn: nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.Tanh()}),
    lambda nn: nn.Bilinear(2, 3, 4),
]


@pytest.mark.parametrize("make", REPRS, ids=[str(i) for i in range(len(REPRS))])
def test_repr_matches_torch(torch_ref, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(make(gnn)) == repr(make(torch_ref.nn))


def test_parameter_repr_and_type(torch_ref):
    w = np.array([[0.5, -1.25], [2.0, 3.0]], dtype=np.float32)
    g = gnn.Parameter(graphgrad.tensor(w))
    t = torch_ref.nn.Parameter(torch_ref.tensor(w))
    assert repr(g) == repr(t)
    assert repr(gnn.Parameter(graphgrad.tensor(w), requires_grad=False)) == repr(
        torch_ref.nn.Parameter(torch_ref.tensor(w), requires_grad=False))
    assert isinstance(g, graphgrad.Tensor) and g.is_leaf and g.requires_grad
    assert type(g * 2) is graphgrad.Tensor  # ops give plain tensors
    assert type(g.detach()) is graphgrad.Tensor
    empty = gnn.Parameter()
    assert tuple(empty.shape) == (0,) and empty.requires_grad


def test_parameter_shares_memory_and_copies():
    import copy
    import pickle

    base = graphgrad.zeros(3)
    p = gnn.Parameter(base)
    with graphgrad.no_grad():
        p.add_(1)
    assert base.tolist() == [1.0, 1.0, 1.0]
    q = copy.deepcopy(p)
    assert type(q) is gnn.Parameter and q.requires_grad and q.tolist() == p.tolist()
    with graphgrad.no_grad():
        q.add_(1)
    assert p.tolist() == [1.0, 1.0, 1.0]
    r = pickle.loads(pickle.dumps(gnn.Parameter(graphgrad.ones(2), requires_grad=False)))
    assert type(r) is gnn.Parameter and not r.requires_grad and r.tolist() == [1.0, 1.0]


def _load_error(lib, sd_transform, strict=True):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 5)
            self.fc = nn.Linear(5, 2)
            self.bn = nn.BatchNorm1d(2)

    lib.manual_seed(0)
    net = Net()
    sd = OrderedDict((k, v.clone()) for k, v in Net().state_dict().items())
    sd = sd_transform(lib, sd)
    try:
        result = net.load_state_dict(sd, strict=strict)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return "ok", repr(result), list(result.missing_keys), list(result.unexpected_keys)


def _drop(*keys):
    def f(lib, sd):
        for k in keys:
            del sd[k]
        return sd

    return f


def _add(key, shape):
    def f(lib, sd):
        sd[key] = lib.zeros(*shape)
        return sd

    return f


def _resize(key, shape):
    def f(lib, sd):
        sd[key] = lib.zeros(*shape)
        return sd

    return f


def _chain(*fs):
    def f(lib, sd):
        for g in fs:
            sd = g(lib, sd)
        return sd

    return f


LOAD_CASES = {
    "missing": (_drop("fc.bias"), True),
    "missing-several": (_drop("fc.bias", "fc1.weight", "bn.running_mean"), True),
    "unexpected": (_add("fc.extra", (2,)), True),
    "unexpected-submodule": (_add("head.weight", (2, 2)), True),
    "size-mismatch": (_resize("fc1.weight", (5, 11)), True),
    "all-three": (_chain(_drop("fc.bias"), _add("extra", (1,)), _resize("bn.weight", (3,))), True),
    "non-strict": (_chain(_drop("fc.bias"), _add("extra", (1,))), False),
    "non-strict-size-mismatch": (_resize("fc.weight", (2, 6)), False),
    "non-strict-clean": (lambda lib, sd: sd, False),
    "clean": (lambda lib, sd: sd, True),
    "not-a-tensor": (lambda lib, sd: {**sd, "fc.bias": [0.0, 0.0]}, True),
    "missing-num-batches-tracked": (_drop("bn.num_batches_tracked"), True),
}


@pytest.mark.parametrize("case", list(LOAD_CASES))
def test_load_state_dict_errors_match_torch(torch_ref, case):
    transform, strict = LOAD_CASES[case]
    assert _load_error(graphgrad, transform, strict) == _load_error(torch_ref, transform, strict)


def test_load_state_dict_copies_in_place_and_keeps_parameters():
    src, dst = gnn.Linear(3, 2), gnn.Linear(3, 2)
    w = dst.weight
    v = w._version
    dst.load_state_dict(src.state_dict())
    assert dst.weight is w and w._version > v
    assert dst.weight.tolist() == src.weight.tolist()
    assert dst.weight.requires_grad and dst.weight.grad_fn is None
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        dst.load_state_dict([1])
    # assign=True puts the given tensors in (as Parameters)
    t = graphgrad.ones(2, 3)
    dst.load_state_dict({"weight": t, "bias": graphgrad.zeros(2)}, assign=True)
    assert isinstance(dst.weight, gnn.Parameter) and dst.weight.tolist() == t.tolist()


def test_state_dict_detached_keep_vars_and_metadata(torch_ref):
    m = gnn.Sequential(gnn.Linear(2, 2), gnn.BatchNorm1d(2))
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert all(not v.requires_grad and type(v) is graphgrad.Tensor for v in sd.values())
    assert sd["0.weight"].data_ptr() == m[0].weight.data_ptr()  # shares memory, as PyTorch
    kv = m.state_dict(keep_vars=True)
    assert kv["0.weight"] is m[0].weight
    t = torch_ref.nn.Sequential(torch_ref.nn.Linear(2, 2), torch_ref.nn.BatchNorm1d(2))
    assert dict(sd._metadata) == dict(t.state_dict()._metadata)
    assert list(m.state_dict(prefix="model.")) == list(t.state_dict(prefix="model."))


def test_setattr_getattr_delattr_registration(torch_ref):
    for lib in (graphgrad, torch_ref):
        nn = lib.nn
        m = nn.Module()
        m.w = nn.Parameter(lib.ones(2))
        m.sub = nn.Linear(2, 2)
        m.register_buffer("buf", lib.zeros(1))
        m.plain = lib.zeros(1)  # a plain tensor attribute is not registered
        assert list(dict(m.named_parameters())) == ["w", "sub.weight", "sub.bias"]
        assert list(m.state_dict()) == ["w", "buf", "sub.weight", "sub.bias"]
        m.buf = lib.ones(3)  # reassigning a buffer keeps it a buffer
        assert "buf" in m._buffers and m.buf.shape == (3,)
        m.w = None
        assert "w" in m._parameters and m.w is None and "w" not in m.state_dict()
        del m.sub
        assert "sub" not in m._modules
        with pytest.raises(AttributeError):
            m.sub  # noqa: B018
        m.w = nn.Parameter(lib.ones(1))
        m.sub = nn.Linear(1, 1)
        for attr in ("w", "sub", "buf"):
            assert attr in dir(m)

    def errors(lib):
        nn = lib.nn
        out = []
        m = nn.Module()
        m.w = nn.Parameter(lib.ones(1))
        m.sub = nn.Linear(1, 1)
        m.register_buffer("buf", lib.zeros(1))
        for action in (
            lambda: setattr(m, "w", lib.ones(1)),
            lambda: setattr(m, "sub", 3),
            lambda: setattr(m, "buf", "x"),
            lambda: m.register_buffer("a.b", lib.zeros(1)),
            lambda: m.register_buffer("", lib.zeros(1)),
            lambda: m.register_buffer("sub", lib.zeros(1)),
            lambda: m.register_buffer("c", [1]),
            lambda: m.register_parameter("p", lib.ones(1)),
            lambda: m.register_parameter("q", nn.Parameter(lib.ones(1)) * 2),
            lambda: m.add_module("x.y", nn.ReLU()),
            lambda: m.add_module("z", 5),
            lambda: m.missing,
            lambda: m.get_submodule("sub.weight"),
            lambda: m.get_submodule("nothing"),
            lambda: m.get_parameter("sub.nothing"),
            lambda: m.get_buffer("sub.weight"),
            lambda: m.train(1),
            lambda: nn.Module(3),
            lambda: nn.Module(foo=3),
            lambda: nn.Module()(1),
            lambda: m.to(lib.int64),
        ):
            try:
                action()
                out.append(None)
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))

        class Early(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(lib.ones(1))

        try:
            Early()
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
        return out

    g_err, t_err = errors(graphgrad), errors(torch_ref)
    assert len(g_err) == len(t_err)
    for g, t in zip(g_err, t_err):
        if t is not None:  # dtypes print as graphgrad.int64 (the core's dtype repr)
            t = (t[0], t[1].replace("torch.int64", "graphgrad.int64"))
        assert g == t


def test_parameters_shared_and_deduplicated(torch_ref):
    for lib in (graphgrad, torch_ref):
        nn = lib.nn
        shared = nn.Linear(3, 3)
        model = nn.Sequential(shared, nn.ReLU(), shared)
        assert len(list(model.parameters())) == 2
        assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
        assert len(list(model.named_parameters(remove_duplicate=False))) == 4
        assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
        assert len(list(model.modules())) == 3
        assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        tied = nn.Module()
        tied.a = nn.Linear(2, 2)
        tied.b = nn.Linear(2, 2)
        tied.b.weight = tied.a.weight
        assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
        assert [n for n, _ in tied.named_parameters(prefix="m", recurse=False)] == []
        assert [n for n, _ in tied.a.named_parameters(prefix="m")] == ["m.weight", "m.bias"]


def test_train_eval_zero_grad_requires_grad_apply():
    model = gnn.Sequential(gnn.Linear(3, 3), gnn.Dropout(), gnn.Sequential(gnn.BatchNorm1d(3)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[2][0].training
    model(graphgrad.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad._data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Dropout", "BatchNorm1d", "Sequential", "Sequential"]


def test_to_double_float_half_cuda(torch_ref):
    m = gnn.Sequential(gnn.Linear(2, 3), gnn.BatchNorm1d(3))
    w = m[0].weight
    m(graphgrad.randn(4, 2)).sum().backward()
    assert m.double() is m
    assert m[0].weight is w and w.dtype == graphgrad.float64 and w.grad.dtype == graphgrad.float64
    assert m[1].running_mean.dtype == graphgrad.float64
    assert m[1].num_batches_tracked.dtype == graphgrad.int64  # integer buffers keep their dtype
    assert m(graphgrad.randn(4, 2, dtype=graphgrad.float64)).dtype == graphgrad.float64
    m.float()
    assert w.dtype == graphgrad.float32 and m[1].running_var.dtype == graphgrad.float32
    m.to(graphgrad.float64)
    assert w.dtype == graphgrad.float64
    m.to("cpu", dtype=graphgrad.float32)
    assert w.dtype == graphgrad.float32
    m.to(graphgrad.zeros(1, dtype=graphgrad.float64))
    assert w.dtype == graphgrad.float64
    assert m.half()[0].weight.dtype == graphgrad.float16
    assert m.cpu() is m
    with pytest.raises(AssertionError) as ge:
        gnn.Linear(1, 1).cuda()
    with pytest.raises(AssertionError) as te:
        torch_ref.nn.Linear(1, 1).cuda()
    assert str(ge.value) == str(te.value)
    assert isinstance(gnn.ReLU().cuda(), gnn.ReLU)  # nothing to move: fine, as in PyTorch


def test_register_buffer_persistence_and_get_submodule():
    m = gnn.Module()
    m.register_buffer("kept", graphgrad.zeros(1))
    m.register_buffer("scratch", graphgrad.zeros(1), persistent=False)
    m.register_buffer("nothing", None)
    m.sub = gnn.Sequential(gnn.Linear(1, 1))
    assert list(m.state_dict()) == ["kept", "sub.0.weight", "sub.0.bias"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    assert m.get_submodule("sub.0") is m.sub[0]
    assert m.get_submodule("") is m
    assert m.get_parameter("sub.0.bias") is m.sub[0].bias
    assert m.get_buffer("scratch") is m.scratch
    m.steps = gnn.Buffer(graphgrad.zeros(1), persistent=False)
    assert "steps" in m._buffers and "steps" not in m.state_dict()
    m.load_state_dict(m.state_dict())  # non-persistent buffers are not expected


def test_forward_hooks_match_torch(torch_ref):
    def run(lib):
        nn = lib.nn
        lib.manual_seed(0)
        m = nn.Linear(3, 2)
        calls = []
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
        m.register_forward_hook(lambda mod, args, out: calls.append(("second", tuple(out.shape))))
        m.register_forward_hook(lambda mod, args, out: calls.append(("first",)), prepend=True)
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: calls.append(("kw", sorted(kwargs))), with_kwargs=True)
        x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
        a = m(x).detach().numpy().copy()
        h1.remove()
        h2.remove()
        b = m(x).detach().numpy().copy()
        with h1:
            pass
        return calls, a, b, m.state_dict()

    g_calls, g_a, g_b, _ = run(graphgrad)
    t_calls, t_a, t_b, t_sd = run(torch_ref)
    assert g_calls == t_calls
    # compare with the same weights (the inits differ: different generators)
    lin = torch_ref.nn.Linear(3, 2)
    lin.load_state_dict(t_sd)
    x = torch_ref.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_allclose(t_a, lin(2 * x).detach().numpy() + 1, rtol=1e-6)
    assert g_a.shape == t_a.shape and g_b.shape == t_b.shape


def _hook_model(t):
    class Block(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = t.nn.Linear(3, 4)

        def forward(self, x, scale, y):
            return self.fc(x) * scale + y, (x * 2).sum()

    return Block()


def test_full_backward_hooks_match_torch(torch_ref):
    def run(lib):
        lib.manual_seed(0)
        m = _hook_model(lib)
        m.fc.weight.data = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        seen = []

        def hook(mod, grad_input, grad_output):
            seen.append(("hook", [None if g is None else g.numpy().copy() for g in grad_input],
                         [None if g is None else g.numpy().copy() for g in grad_output]))
            return tuple(None if g is None else g * 3 for g in grad_input)

        def pre_hook(mod, grad_output):
            seen.append(("pre", [None if g is None else g.numpy().copy() for g in grad_output]))
            return (grad_output[0] * 2, grad_output[1])

        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre_hook)
        rng = np.random.default_rng(3)
        x = lib.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
        y = lib.tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True)
        out, s = m(x, 0.5, y)
        (out.sum() + 3 * s).backward()
        return seen, x.grad.numpy(), y.grad.numpy(), m.fc.weight.grad.numpy()

    g, t = run(graphgrad), run(torch_ref)
    assert [e[0] for e in g[0]] == [e[0] for e in t[0]]
    for ge, te in zip(g[0], t[0]):
        for gl, tl in zip(ge[1:], te[1:]):
            assert len(gl) == len(tl)
            for a, b in zip(gl, tl):
                _close(a, b, f"{ge[0]} grads")
    for a, b in zip(g[1:], t[1:]):
        _close(a, b, "final grads")


def test_full_backward_hook_when_no_input_requires_grad(torch_ref):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        got = []
        m.register_full_backward_hook(lambda mod, gi, go: got.append((gi, tuple(go[0].shape))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(lib.ones(4, 3)).sum().backward()
        return got, [str(x.message)[:40] for x in w]

    assert run(graphgrad) == run(torch_ref)


def test_backward_hook_mixing_is_an_error(torch_ref):
    for lib in (graphgrad, torch_ref):
        m = lib.nn.Linear(1, 1)
        m.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
            m.register_backward_hook(lambda *a: None)


def test_module_call_runs_forward_and_forward_error(torch_ref):
    class Double(gnn.Module):
        def forward(self, x, factor=2):
            return x * factor

    assert Double()(graphgrad.ones(1), factor=3).tolist() == [3.0]
    with pytest.raises(NotImplementedError) as ge:
        gnn.Module()(graphgrad.ones(1))
    with pytest.raises(NotImplementedError) as te:
        torch_ref.nn.Module()(torch_ref.ones(1))
    assert str(ge.value) == str(te.value)


def test_containers_behave_like_torch(torch_ref):
    def run(lib):
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        out = [len(seq), type(seq[0]).__name__, type(seq[-1]).__name__, len(seq[1:]), type(seq[1:]).__name__]
        seq.append(nn.Sigmoid())
        seq.insert(0, nn.Identity())
        del seq[1]
        out += [list(seq._modules), [type(m).__name__ for m in seq]]
        out.append(list((seq + nn.Sequential(nn.Tanh()))._modules))
        ml = nn.ModuleList([nn.Linear(1, 1)])
        ml.append(nn.ReLU())
        ml.extend([nn.Tanh(), nn.Tanh()])
        ml.insert(1, nn.Identity())
        out += [len(ml), [type(m).__name__ for m in ml], type(ml[-1]).__name__, len(ml[1:3]), repr(ml)]
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        md["c"] = nn.Identity()
        out += [list(md.keys()), "a" in md, type(md.pop("b")).__name__, len(md)]
        pl = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(3))])
        pl.append(lib.ones(1))
        out += [len(pl), [type(p).__name__ for p in pl], [n for n, _ in pl.named_parameters()], len(pl[1:])]
        pd = nn.ParameterDict({"w": lib.ones(2)})
        out += [list(pd.keys()), type(pd["w"]).__name__, "w" in pd]
        for bad in (lambda: seq[10], lambda: ml[7]):
            try:
                bad()
            except IndexError as e:
                out.append(str(e))
        return out

    assert run(graphgrad) == run(torch_ref)


def test_parameter_list_repr_shapes(torch_ref):
    g = repr(gnn.ParameterList([graphgrad.ones(2, 3), graphgrad.ones(4)]))
    t = repr(torch_ref.nn.ParameterList([torch_ref.ones(2, 3), torch_ref.ones(4)]))
    assert g == t.replace("torch.float32", "graphgrad.float32")


def test_margin_loss_modules_like_torch(torch_ref):
    """NLLLoss2d warns as deprecated; the margin losses' argument errors are PyTorch's."""
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        gnn.NLLLoss2d()
    for make in (lambda t: t.nn.MultiMarginLoss(p=3), lambda t: t.nn.MultiMarginLoss(weight=t.ones(2, 2)),
                 lambda t: t.nn.TripletMarginWithDistanceLoss(margin=-1)):
        with pytest.raises(ValueError) as t_err:
            make(torch_ref)
        with pytest.raises(ValueError, match=re.escape(str(t_err.value))):
            make(graphgrad)
    assert list(gnn.MultiMarginLoss(weight=graphgrad.ones(3)).state_dict()) == ["weight"]


def test_loss_module_legacy_arguments_and_weight_buffer():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        loss = gnn.MSELoss(size_average=False)
    assert loss.reduction == "sum"
    ce = gnn.CrossEntropyLoss(weight=graphgrad.ones(3))
    assert list(ce.state_dict()) == ["weight"]


def test_rnn_argument_errors_match_torch(torch_ref):
    def errors(lib):
        nn = lib.nn
        out = []
        rnn, lstm = nn.RNN(3, 4), nn.LSTM(3, 4)
        for action in (
            lambda: nn.RNN(3, 4, nonlinearity="sigmoid"),
            lambda: nn.GRU(3, 4, proj_size=2),
            lambda: nn.LSTM(3, 4, proj_size=4),
            lambda: nn.LSTM(3, 4, dropout=2),
            lambda: nn.RNN(0, 4),
            lambda: rnn(lib.zeros(2, 3, 5)),
            lambda: rnn(lib.zeros(2, 3, 3), lib.zeros(2, 3, 4)),
            lambda: rnn(lib.zeros(2, 3, 3), lib.zeros(3, 4)),
            lambda: rnn(lib.zeros(1, 2, 3, 3)),
            lambda: lstm(lib.zeros(2, 3, 3), (lib.zeros(1, 3, 4), lib.zeros(1, 2, 4))),
            lambda: lstm(lib.zeros(2, 3, 3, 1)),
        ):
            try:
                action()
                out.append(None)
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            nn.LSTM(3, 4, dropout=0.5)
        out.append([str(x.message) for x in w])
        return out

    assert errors(graphgrad) == errors(torch_ref)


def test_rnn_dropout_between_layers_only_in_training():
    graphgrad.manual_seed(0)
    gru = gnn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = graphgrad.randn(5, 2, 3)
    ev1, ev2 = gru.eval()(x)[0], gru(x)[0]
    assert ev1.tolist() == ev2.tolist()
    tr = gru.train()(x)[0]
    assert tr.tolist() != ev1.tolist()
    one = gnn.GRU(3, 8, num_layers=2, dropout=0.0)
    assert one.train()(x)[0].tolist() == one.eval()(x)[0].tolist()


def test_rnn_backprop_through_time_and_double_backward():
    rnn = gnn.GRU(2, 3)
    x = graphgrad.randn(4, 1, 2, requires_grad=True)
    out, h = rnn(x)
    (g,) = graphgrad.autograd.grad(h.sum(), x, create_graph=True)
    g.sum().backward()
    assert rnn.weight_hh_l0.grad is not None


def test_clip_grad_matches_torch(torch_ref):
    def run(lib, norm_type, max_norm):
        params = []
        rng = np.random.default_rng(0)
        for shape in ((3, 4), (5,), (2, 2)):
            p = lib.nn.Parameter(lib.zeros(*shape))
            p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32))
            params.append(p)
        params.append(lib.nn.Parameter(lib.zeros(2)))  # no grad: skipped
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return total.numpy().copy(), [p.grad.numpy().copy() for p in params[:3]]

    for norm_type, max_norm in ((2.0, 1.0), (1, 0.5), (math.inf, 0.1), (2.0, 100.0)):
        g, t = run(graphgrad, norm_type, max_norm), run(torch_ref, norm_type, max_norm)
        _close(g[0], t[0], f"total norm {norm_type}")
        for a, b in zip(g[1], t[1]):
            _close(a, b, f"clipped grads {norm_type}")

    p = gnn.Parameter(graphgrad.zeros(2))
    p.grad = graphgrad.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        gnn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert gnn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    q = gnn.Parameter(graphgrad.zeros(3))
    q.grad = graphgrad.tensor([-3.0, 0.5, 2.0])
    assert gnn.utils.clip_grad_value_([q], 1.0) is None
    assert q.grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_vector_roundtrip(torch_ref):
    m = gnn.Linear(3, 2)
    v = gnn.utils.parameters_to_vector(m.parameters())
    assert tuple(v.shape) == (8,)
    assert v.tolist() == m.weight.reshape(-1).tolist() + m.bias.tolist()
    gnn.utils.vector_to_parameters(graphgrad.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and m.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError) as ge:
        gnn.utils.vector_to_parameters([1.0], m.parameters())
    with pytest.raises(TypeError) as te:
        torch_ref.nn.utils.vector_to_parameters([1.0], torch_ref.nn.Linear(1, 1).parameters())
    assert str(ge.value) == str(te.value)


def test_namespace_exports():
    import graphgrad.nn.functional as F

    assert gnn.functional is F and graphgrad.nn is gnn
    for name in ("Module", "Parameter", "Linear", "Conv2d", "LSTM", "MultiheadAttention", "CrossEntropyLoss",
                 "Sequential", "ModuleList", "ModuleDict", "ParameterList", "init", "utils"):
        assert hasattr(gnn, name), name
    assert "Linear" in gnn.__all__


# --------------------------------------------------------------------------------------------------
# the seeds' models: they construct, and their forward matches PyTorch given the same weights
def _seed_models(lib):
    from tests.seeds import programs as P

    rng = np.random.default_rng(42)

    def x(*shape):
        return lib.tensor(rng.random(shape).astype(np.float32))

    out = {}
    net = P._init_deterministic(lib, P._seed000_net(lib)(), 0)
    out["seed000_net"] = net(x(3, 10))
    netG, netD, gen_loss = P._srgan_modules(lib)
    img, target = x(2, 3, 8, 8), x(2, 3, 8, 8)
    fake = netG(img)
    fake_out = netD(fake).mean()
    out["srgan_G"] = fake
    out["srgan_D"] = fake_out
    out["srgan_loss"] = gen_loss(fake_out, fake, target)
    # _seed003_models also builds an optimizer; its two models are these
    model1 = P._init_deterministic(lib, lib.nn.Linear(4, 1), 11)
    model2 = P._init_deterministic(lib, lib.nn.Linear(4, 1), 12)
    xs, ys = x(5, 4), x(5, 1)
    out["seed003_losses"] = (lib.nn.MSELoss()(model1(xs), ys), lib.nn.L1Loss()(model2(xs), ys))
    clf = P._init_deterministic(lib, P._seed003_conv_classifier(lib)(), 14).eval()
    out["conv_classifier"] = clf(x(2, 1, 28, 28))
    content = P._seed004_content_loss(lib, modern=True)(x(1, 3, 4, 4), 1.5)
    inp = x(1, 3, 4, 4)
    out["content_loss"] = (content(inp) is inp, content.loss)
    out["cat_car"] = P._seed004_cat_car_net(lib)(x(3, 3, 4, 4))
    return out


def test_seed_models_construct_and_run_forward():
    out = _seed_models(graphgrad)
    assert tuple(out["conv_classifier"].shape) == (2, 10)
    assert out["content_loss"][0] is True


def test_seed_models_match_torch(torch_ref):
    g, t = _seed_models(graphgrad), _seed_models(torch_ref)
    assert list(g) == list(t)
    for name in t:
        gs = [v for v in _flat(g[name]) if not isinstance(v, bool)]
        ts = [v for v in _flat(t[name]) if not isinstance(v, bool)]
        for a, b in zip(gs, ts):
            _close(_np(a), _np(b), name)


MODULE_CUDA = {
    "to": lambda T: T.nn.Linear(2, 2).to("cuda"), "to_kw": lambda T: T.nn.Linear(2, 2).to(device="cuda"),
    "to_device_dtype": lambda T: T.nn.Linear(2, 2).to(T.device("cuda:0"), T.float64),
    "cuda": lambda T: T.nn.Linear(2, 2).cuda(), "cuda_index": lambda T: T.nn.Linear(2, 2).cuda(0),
    "no_tensors_cuda": lambda T: repr(T.nn.ReLU().cuda()), "no_tensors_to": lambda T: repr(T.nn.ReLU().to("cuda")),
    "no_tensors_unknown": lambda T: T.nn.ReLU().to("gpu"), "factory_kwarg": lambda T: T.nn.Linear(2, 2, device="cuda"),
    "cpu": lambda T: [type(T.nn.Linear(2, 2).to("cpu")).__name__, type(T.nn.Linear(2, 2).cpu()).__name__],
}


@pytest.mark.parametrize("name", list(MODULE_CUDA))
def test_module_cuda_on_a_cpu_only_build(torch_ref, name):
    """``module.to("cuda")`` / ``module.cuda()``: a CPU-only PyTorch's AssertionError (modules with no tensors
    are returned as they are)."""
    from .._parity import same

    same(torch_ref, MODULE_CUDA[name])

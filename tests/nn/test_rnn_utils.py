"""nn.utils.rnn against PyTorch: pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence and
their inverses (values, batch sizes, index permutations, gradients, errors), and RNN/LSTM/GRU on packed
input: the packed output, h_n/c_n at each sequence's true last step, and every gradient."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn
from graphgrad.autograd import gradcheck
from graphgrad.nn.utils import rnn as grnn

from ._outcomes import assert_same_errors
from .test_modules import _close, _copy_weights, _np


def _seqs(lib, lengths, feature=3, seed=0, requires_grad=False):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal((n, feature)).astype(np.float32), requires_grad=requires_grad)
            for n in lengths]


def _same_packed(g, t):
    _close(_np(g.data), _np(t.data), "data")
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(g, name), getattr(t, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.tolist() == b.tolist() and str(a.dtype)[-5:] == str(b.dtype)[-5:], name


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(torch_ref, batch_first, side):
    t_seqs, g_seqs = _seqs(torch_ref, [2, 4, 1], requires_grad=True), _seqs(graphgrad, [2, 4, 1], requires_grad=True)
    t = torch_ref.nn.utils.rnn.pad_sequence(t_seqs, batch_first, -1.5, side)
    g = grnn.pad_sequence(g_seqs, batch_first, -1.5, side)
    _close(_np(g), _np(t), "padded")
    up = np.random.default_rng(1).standard_normal(tuple(t.shape)).astype(np.float32)
    (t * torch_ref.tensor(up)).sum().backward()
    (g * graphgrad.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(zip(g_seqs, t_seqs)):
        _close(_np(a.grad), _np(b.grad), f"grad {i}")


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [4, 4, 2, 1]), (False, [2, 4, 1, 4]),
                                                   (False, [3, 3, 3, 3])])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_and_pad_round_trip(torch_ref, enforce_sorted, lengths, batch_first, as_tensor):
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tx, gx = torch_ref.tensor(x, requires_grad=True), graphgrad.tensor(x, requires_grad=True)
    t_len, g_len = (torch_ref.tensor(lengths), graphgrad.tensor(lengths)) if as_tensor else (lengths, lengths)
    tp = torch_ref.nn.utils.rnn.pack_padded_sequence(tx, t_len, batch_first, enforce_sorted)
    gp = grnn.pack_padded_sequence(gx, g_len, batch_first, enforce_sorted)
    assert type(gp).__name__ == "PackedSequence" and len(gp) == 4
    _same_packed(gp, tp)
    t_out, t_lengths = torch_ref.nn.utils.rnn.pad_packed_sequence(tp, batch_first, 0.5, total_length=6)
    g_out, g_lengths = grnn.pad_packed_sequence(gp, batch_first, 0.5, total_length=6)
    _close(_np(g_out), _np(t_out), "unpacked")
    assert g_lengths.tolist() == t_lengths.tolist() and g_lengths.dtype == graphgrad.int64
    up = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (t_out * torch_ref.tensor(up)).sum().backward()
    (g_out * graphgrad.tensor(up)).sum().backward()
    _close(_np(gx.grad), _np(tx.grad), "grad")


def test_pack_sequence_and_inverses(torch_ref):
    tp = torch_ref.nn.utils.rnn.pack_sequence(_seqs(torch_ref, [2, 3, 1]), enforce_sorted=False)
    gp = grnn.pack_sequence(_seqs(graphgrad, [2, 3, 1]), enforce_sorted=False)
    _same_packed(gp, tp)
    for a, b in zip(grnn.unpack_sequence(gp), torch_ref.nn.utils.rnn.unpack_sequence(tp)):
        _close(_np(a), _np(b), "unpacked")
    padded = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    t_parts = torch_ref.nn.utils.rnn.unpad_sequence(torch_ref.tensor(padded), torch_ref.tensor([4, 2, 1]))
    g_parts = grnn.unpad_sequence(graphgrad.tensor(padded), graphgrad.tensor([4, 2, 1]))
    for a, b in zip(g_parts, t_parts):
        _close(_np(a), _np(b), "unpadded")
    assert gp.double().data.dtype == graphgrad.float64 and type(gp.to(graphgrad.float64)) is type(gp)
    assert gp.to(graphgrad.float32) is gp
    inverse = grnn.invert_permutation(graphgrad.tensor([2, 0, 3, 1]))
    assert inverse.tolist() == torch_ref.nn.utils.rnn.invert_permutation(torch_ref.tensor([2, 0, 3, 1])).tolist()


def test_packing_is_differentiable_in_float64():
    x = graphgrad.randn(4, 3, 2, dtype=graphgrad.float64, requires_grad=True)

    def round_trip(x):
        packed = grnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        return grnn.pad_packed_sequence(packed, padding_value=1.0)[0]

    assert gradcheck(round_trip, (x,))
    a, b = (graphgrad.randn(n, 2, dtype=graphgrad.float64, requires_grad=True) for n in (3, 1))
    assert gradcheck(lambda a, b: grnn.pad_sequence([a, b], padding_side="left"), (a, b))


def test_errors_match(torch_ref):
    def cases(t):
        rnn = t.nn.utils.rnn
        x = t.zeros(3, 2, 4)
        return [
            lambda: rnn.pack_padded_sequence(x, [2, 3]),
            lambda: rnn.pack_padded_sequence(x, [3, 0]),
            lambda: rnn.pack_padded_sequence(x, [3]),
            lambda: rnn.pack_padded_sequence(x, t.tensor([[3, 2]])),
            lambda: rnn.pack_padded_sequence(x[:0], []),
            lambda: rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, [3, 2]), total_length=2),
            lambda: rnn.pad_sequence([x[0], x[1]], padding_side="middle"),
            lambda: rnn.pad_sequence([]),
            lambda: t.nn.RNN(4, 3)(rnn.pack_padded_sequence(x, [3, 2]), t.zeros(1, 3, 3)),
        ]

    assert_same_errors(cases(graphgrad), cases(torch_ref))
    # lengths beyond the padded length: PyTorch reads past the input; graphgrad refuses
    with pytest.raises(RuntimeError, match="at most the padded sequence length 3"):
        grnn.pack_padded_sequence(graphgrad.zeros(3, 2, 4), [4, 2])
    # a packed input of the wrong feature size: PyTorch's LSTM fails in its matmul; graphgrad checks first
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 5, got 4"):
        gnn.LSTM(5, 3)(grnn.pack_padded_sequence(graphgrad.zeros(3, 2, 4), [3, 2]))


def _recurrent_cases():
    for cls in ("RNN", "LSTM", "GRU"):
        for bidirectional in (False, True):
            for batch_first in (False, True):
                yield cls, bidirectional, batch_first


@pytest.mark.parametrize("cls,bidirectional,batch_first", list(_recurrent_cases()))
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_input_match_torch(torch_ref, cls, bidirectional, batch_first, with_hx):
    kw = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": bidirectional,
          "batch_first": batch_first}
    if cls == "LSTM" and bidirectional:
        kw["proj_size"] = 2
    torch_ref.manual_seed(0)
    tm, gm = getattr(torch_ref.nn, cls)(**kw), getattr(gnn, cls)(**kw)
    _copy_weights(tm, gm)
    rng = np.random.default_rng(0)
    lengths = [2, 5, 3]
    x = rng.standard_normal((3, 5, 3) if batch_first else (5, 3, 3)).astype(np.float32)
    tx, gx = torch_ref.tensor(x, requires_grad=True), graphgrad.tensor(x, requires_grad=True)
    t_in = torch_ref.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted=False)
    g_in = grnn.pack_padded_sequence(gx, lengths, batch_first, enforce_sorted=False)
    directions = 2 if bidirectional else 1
    t_hx = g_hx = None
    if with_hx:
        shapes = [(2 * directions, 3, kw.get("proj_size", 4))] + ([(2 * directions, 3, 4)] if cls == "LSTM" else [])
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        t_hx = [torch_ref.tensor(a, requires_grad=True) for a in arrays]
        g_hx = [graphgrad.tensor(a, requires_grad=True) for a in arrays]
    t_out, t_h = tm(t_in, (tuple(t_hx) if cls == "LSTM" else t_hx[0]) if with_hx else None)
    g_out, g_h = gm(g_in, (tuple(g_hx) if cls == "LSTM" else g_hx[0]) if with_hx else None)
    assert type(g_out) is grnn.PackedSequence
    _same_packed(g_out, t_out)
    t_states, g_states = (list(t_h), list(g_h)) if cls == "LSTM" else ([t_h], [g_h])
    for i, (a, b) in enumerate(zip(g_states, t_states)):
        _close(_np(a), _np(b), f"final state {i}")
    t_pad = torch_ref.nn.utils.rnn.pad_packed_sequence(t_out, batch_first)[0]
    g_pad = grnn.pad_packed_sequence(g_out, batch_first)[0]
    t_loss = (t_pad ** 2).sum() + sum((s * (k + 2)).sum() for k, s in enumerate(t_states))
    g_loss = (g_pad ** 2).sum() + sum((s * (k + 2)).sum() for k, s in enumerate(g_states))
    t_loss.backward()
    g_loss.backward()
    _close(_np(gx.grad), _np(tx.grad), "input grad")
    for i, (a, b) in enumerate(zip(g_hx or [], t_hx or [])):
        _close(_np(a.grad), _np(b.grad), f"hx {i} grad")
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        _close(_np(g_params[name].grad), _np(p.grad), f"grad of {name}")


def test_packed_gru_is_differentiable_in_float64():
    gru = gnn.GRU(2, 3, bidirectional=True).double()
    x = graphgrad.randn(4, 3, 2, dtype=graphgrad.float64, requires_grad=True)

    def run(x):
        out, h = gru(grnn.pack_padded_sequence(x, [4, 2, 1]))
        return out.data, h

    assert gradcheck(run, (x,))

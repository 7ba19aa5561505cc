"""The Transformer family against PyTorch: outputs, input and parameter gradients with PyTorch's weights
copied in (float32, rtol 1e-4), masks of every kind, pre-/post-LN, activations, the eval-mode nested-tensor
path of the encoder, PyTorch's warnings and errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import assert_same_errors, outcome_of
from .test_modules import C, X, _close, _copy_weights, _np, parity

D, H, FF = 8, 2, 16


def _key_padding(batch, length):
    mask = np.zeros((batch, length), dtype=bool)
    mask[1, length - 2:] = True  # left-aligned: the second sequence is two shorter
    return mask


def _causal(lib, n):
    return lib.nn.Transformer.generate_square_subsequent_mask(n)


def _encoder_layer(activation=None, **kw):
    def make(t):
        if activation is not None:  # a name, or a function of the library giving the callable
            kw["activation"] = activation if isinstance(activation, str) else activation(t)
        return t.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **kw)

    return make


def _decoder_layer(**kw):
    def make(t):
        return t.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **kw)

    return make


def _gelu_module(t):
    return t.nn.GELU()


def _quiet(make):
    """Build without the nested-tensor warning (tested on its own below)."""

    def build(t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make(t)

    return build


def _transformer(**kw):
    return _quiet(lambda t: t.nn.Transformer(D, H, 2, 2, FF, dropout=0.0, **kw))


def _encoder(num_layers=2, norm=True, **kw):
    def make(t):
        layer = t.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **kw)
        return t.nn.TransformerEncoder(layer, num_layers, norm=t.nn.LayerNorm(D) if norm else None)

    return _quiet(make)


def _decoder(num_layers=2, **kw):
    def make(t):
        layer = t.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **kw)
        return t.nn.TransformerDecoder(layer, num_layers, norm=t.nn.LayerNorm(D))

    return make


KPM5 = C(lambda rng: _key_padding(2, 5))
CASES = [
    ("encoder-layer", _encoder_layer(), [X(5, 2, D)], {}),
    ("encoder-layer-norm-first-gelu", _encoder_layer(norm_first=True, activation="gelu"), [X(5, 2, D)], {}),
    ("encoder-layer-callable-activation", _encoder_layer(activation=_gelu_module), [X(5, 2, D)], {}),
    ("encoder-layer-lambda-activation", _encoder_layer(activation=lambda t: lambda x: x.tanh()), [X(5, 2, D)], {}),
    ("encoder-layer-no-bias", _encoder_layer(bias=False, layer_norm_eps=1e-3), [X(5, 2, D)], {}),
    ("encoder-layer-masks", _encoder_layer(batch_first=True), [X(2, 5, D)],
     {"kwargs": {"src_mask": lambda t: _causal(t, 5), "src_key_padding_mask": lambda t: t.tensor(_key_padding(2, 5)),
                 "is_causal": True}}),
    ("encoder-layer-float-padding-mask", _encoder_layer(batch_first=True), [X(2, 5, D)],
     {"kwargs": {"src_key_padding_mask": lambda t: t.tensor(np.where(_key_padding(2, 5), -2.0, 0.0)
                                                            .astype(np.float32))}}),
    ("encoder-layer-unbatched", _encoder_layer(), [X(5, D)], {}),
    ("decoder-layer", _decoder_layer(), [X(4, 2, D), X(5, 2, D)],
     {"kwargs": {"tgt_mask": lambda t: _causal(t, 4),
                 "memory_key_padding_mask": lambda t: t.tensor(_key_padding(2, 5))}}),
    ("decoder-layer-norm-first", _decoder_layer(norm_first=True, batch_first=True), [X(2, 4, D), X(2, 5, D)],
     {"kwargs": {"tgt_key_padding_mask": lambda t: t.tensor(_key_padding(2, 4)),
                 "memory_mask": lambda t: t.tensor(np.triu(np.ones((4, 5), bool), 2))}}),
    ("encoder", _encoder(), [X(5, 2, D)], {"kwargs": {"mask": lambda t: _causal(t, 5)}}),
    ("encoder-batch-first-padding", _encoder(batch_first=True), [X(2, 5, D)],
     {"kwargs": {"src_key_padding_mask": lambda t: t.tensor(_key_padding(2, 5))}}),
    ("decoder", _decoder(), [X(4, 2, D), X(5, 2, D)], {"kwargs": {"tgt_mask": lambda t: _causal(t, 4)}}),
    ("transformer", _transformer(), [X(5, 2, D), X(4, 2, D)],
     {"kwargs": {"tgt_mask": lambda t: _causal(t, 4), "src_key_padding_mask": lambda t: t.tensor(_key_padding(2, 5)),
                 "memory_key_padding_mask": lambda t: t.tensor(_key_padding(2, 5))}}),
    ("transformer-batch-first-norm-first", _transformer(batch_first=True, norm_first=True, activation="gelu"),
     [X(2, 5, D), X(2, 4, D)], {"kwargs": {"tgt_mask": lambda t: _causal(t, 4), "tgt_is_causal": True}}),
    ("transformer-unbatched", _transformer(), [X(5, D), X(4, D)], {}),
]


@pytest.mark.parametrize("make,inputs,opts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_transformer_family_matches_torch(torch_ref, make, inputs, opts):
    parity(torch_ref, make, inputs, **opts)


def test_state_dict_keys_and_initialisation_order(torch_ref):
    tm, gm = _transformer()(torch_ref), _transformer()(graphgrad)
    assert list(gm.state_dict()) == list(tm.state_dict())
    for (name, p), (_, q) in zip(tm.named_parameters(), gm.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), name
    # the encoder's layers are deep copies: they start equal; Transformer then re-initialises matrices
    layer = gnn.TransformerEncoderLayer(D, H, FF)
    enc = _quiet(lambda t: t.nn.TransformerEncoder(layer, 2))(graphgrad)
    w0, w1 = (enc.layers[i].linear1.weight for i in range(2))
    assert w0 is not w1 and np.array_equal(_np(w0), _np(w1))


@pytest.mark.parametrize("float_mask", [False, True])
def test_encoder_eval_no_grad_zeroes_padded_positions_like_nested_tensors(torch_ref, float_mask):
    mask = _key_padding(2, 5)
    if float_mask:
        mask = np.where(mask, -1.0, 0.0).astype(np.float32)  # nested tensors drop every non-zero position
    x = np.random.default_rng(0).standard_normal((2, 5, D)).astype(np.float32)
    torch_ref.manual_seed(0)
    for norm in (False, True):
        tm, gm = _encoder(norm=norm, batch_first=True)(torch_ref), _encoder(norm=norm, batch_first=True)(graphgrad)
        _copy_weights(tm, gm)
        tm.eval()
        gm.eval()
        with torch_ref.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the nested-tensor prototype warning
            expected = tm(torch_ref.tensor(x), src_key_padding_mask=torch_ref.tensor(mask))
        with graphgrad.no_grad():
            actual = gm(graphgrad.tensor(x), src_key_padding_mask=graphgrad.tensor(mask))
        _close(_np(actual), _np(expected), f"norm={norm}")
        if not norm:
            assert not _np(actual)[1, 3:].any()


def test_generate_square_subsequent_mask(torch_ref):
    for dtype in ("float32", "float64"):
        t = torch_ref.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torch_ref, dtype))
        g = gnn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(graphgrad, dtype))
        _close(_np(g), _np(t), dtype)


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True}, {"batch_first": True},
                                {"nhead": 1, "batch_first": True}])
def test_nested_tensor_warnings_match(torch_ref, kw):
    kw = {"d_model": D, "nhead": H, "dim_feedforward": FF, **kw}

    def build(t):
        return lambda: t.nn.TransformerEncoder(t.nn.TransformerEncoderLayer(**kw), 1)

    assert outcome_of(build(graphgrad)) == outcome_of(build(torch_ref))
    assert outcome_of(lambda: gnn.Transformer(D, H, 1, 1, FF)) == outcome_of(
        lambda: torch_ref.nn.Transformer(D, H, 1, 1, FF))


def test_errors_match(torch_ref):
    def cases(t):
        x = t.zeros(5, 2, D)
        model = _transformer()(t)
        return [
            lambda: t.nn.TransformerEncoderLayer(D, H, activation="tanh"),
            lambda: model(x, t.zeros(4, 3, D)),
            lambda: model(x, t.zeros(4, 2, D + 1)),
            lambda: t.nn.TransformerEncoderLayer(D, H)(x, src_key_padding_mask=t.zeros(2, 5, dtype=t.int64)),
            lambda: t.nn.TransformerEncoderLayer(D, H)(x, is_causal=True),
        ]

    assert_same_errors(cases(graphgrad), cases(torch_ref))


def test_mismatched_mask_types_warn_like_torch(torch_ref):
    def run(t):
        layer = t.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
        return lambda: layer(t.zeros(5, 2, D), src_mask=_causal(t, 5),
                             src_key_padding_mask=t.tensor(_key_padding(2, 5)))

    assert outcome_of(run(graphgrad)) == outcome_of(run(torch_ref))


def test_training_with_dropout_runs_and_backpropagates():
    model = gnn.Transformer(D, H, 1, 1, FF, dropout=0.5, batch_first=True)
    out = model(graphgrad.randn(2, 5, D), graphgrad.randn(2, 4, D))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "padding", "causal"])
def test_encoder_layer_eval_no_grad_matches_torch(torch_ref, norm_first, masks):
    x = np.random.default_rng(0).standard_normal((2, 5, D)).astype(np.float32)
    torch_ref.manual_seed(0)
    make = _encoder_layer(batch_first=True, norm_first=norm_first)
    tm, gm = make(torch_ref), make(graphgrad)
    _copy_weights(tm, gm)
    tm.eval()
    gm.eval()

    def kwargs(t):
        if masks == "padding":
            return {"src_key_padding_mask": t.tensor(_key_padding(2, 5))}
        if masks == "causal":
            return {"src_mask": _causal(t, 5), "is_causal": True}
        return {}

    with torch_ref.no_grad():
        expected = tm(torch_ref.tensor(x), **kwargs(torch_ref))
    with graphgrad.no_grad():
        actual = gm(graphgrad.tensor(x), **kwargs(graphgrad))
    _close(_np(actual), _np(expected), masks)


def test_custom_encoder_and_decoder_are_used_as_given(torch_ref):
    def make(t):
        encoder = t.nn.TransformerEncoder(t.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), 1,
                                          enable_nested_tensor=False)
        decoder = t.nn.TransformerDecoder(t.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), 1)
        return t.nn.Transformer(D, H, custom_encoder=encoder, custom_decoder=decoder)

    tm, gm = parity(torch_ref, make, [X(5, 2, D), X(4, 2, D)])
    assert list(gm.state_dict()) == list(tm.state_dict()) and gm.encoder.norm is None


def test_nested_path_mask_shape_errors_match(torch_ref):
    def cases(t):
        def run(mask):
            encoder = _encoder(batch_first=True)(t)
            encoder.eval()
            with t.no_grad():
                return encoder(t.zeros(2, 5, D), src_key_padding_mask=mask)

        return [lambda: run(t.zeros(5, dtype=t.bool)), lambda: run(t.zeros(3, 5, dtype=t.bool)),
                lambda: run(t.zeros(2, 4, dtype=t.bool))]

    assert_same_errors(cases(graphgrad), cases(torch_ref))

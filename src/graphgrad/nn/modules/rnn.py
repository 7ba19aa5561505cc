"""Recurrent layers RNN, LSTM, GRU (and their single-step cells), composed from graphgrad ops.

Parameter names, shapes, gate orders and initialisation are PyTorch's:

* ``weight_ih_l{k}[_reverse]`` (gates*hidden, input), ``weight_hh_l{k}[_reverse]`` (gates*hidden, hidden),
  ``bias_ih_l{k}``, ``bias_hh_l{k}``; LSTM gates (i, f, g, o), GRU gates (r, z, n);
* every weight and bias starts U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

The input projection of a whole sequence is one matrix product per layer and direction; only the
hidden-to-hidden product runs step by step. The graph is ordinary graphgrad ops, so backward and
double backward come for free.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ...ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .utils import _empty, _fill

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# --- one time step of each cell, given the input projection gi = x @ W_ih.T + b_ih ---------------------
def _rnn_tanh_step(gi, h, c, w_hh, b_hh, w_hr=None):
    return (gi + F.linear(h, w_hh, b_hh)).tanh(), None


def _rnn_relu_step(gi, h, c, w_hh, b_hh, w_hr=None):
    return F.relu(gi + F.linear(h, w_hh, b_hh)), None


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr=None):
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)  # LSTM with projections (proj_size > 0)
    return h, c


def _gru_step(gi, h, c, w_hh, b_hh, w_hr=None):
    r_i, z_i, n_i = gi.chunk(3, -1)
    r_h, z_h, n_h = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (r_i + r_h).sigmoid()
    z = (z_i + z_h).sigmoid()
    n = (n_i + r * n_h).tanh()
    return (1 - z) * n + z * h, None


_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step, "GRU": _gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters, their checks, the multi-layer bidirectional loop."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_empty(shape, dtype, device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op (there is no cuDNN weight buffer to compact)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # --- argument checks (PyTorch's texts) ------------------------------------------------------
    def check_input(self, input, batch_sizes=None):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes=None):
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    # --- the computation ------------------------------------------------------------------------
    def _run(self, input, h0, c0=None, batch_sizes=None):
        """Run every layer and direction; returns output, h_n, c_n.

        ``input`` is (seq, batch, feature) (batch first if ``batch_first``), or with ``batch_sizes`` the
        ``data`` of a PackedSequence: step t then holds the first ``batch_sizes[t]`` sequences of the batch,
        and a sequence's hidden state stops changing once it has ended (reverse directions start each
        sequence at its own last step).
        """
        step = _STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        packed = batch_sizes is not None
        x = input.transpose(0, 1) if self.batch_first and not packed else input
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                w = {name.rsplit("_l", 1)[0]: getattr(self, name) for name in self._all_weights[idx]}
                # the input projection for every time step at once, then split into steps
                gi_all = F.linear(x, w["weight_ih"], w.get("bias_ih"))
                gi = gi_all.split(batch_sizes, 0) if packed else gi_all.unbind(0)
                h = h0[idx]
                c = c0[idx] if c0 is not None else None
                outs = [None] * len(gi)
                order = range(len(gi) - 1, -1, -1) if direction == 1 else range(len(gi))
                for t in order:
                    running = gi[t].shape[0]
                    if running == h.shape[0]:
                        h, c = step(gi[t], h, c, w["weight_hh"], w.get("bias_hh"), w.get("weight_hr"))
                        outs[t] = h
                        continue
                    # only the first `running` sequences take this step; the others keep their state
                    h_run, c_run = step(gi[t], h[:running], None if c is None else c[:running], w["weight_hh"],
                                        w.get("bias_hh"), w.get("weight_hr"))
                    outs[t] = h_run
                    h = cat([h_run, h[running:]], 0)
                    c = None if c is None else cat([c_run, c[running:]], 0)
                outputs.append(cat(outs, 0) if packed else stack(outs, 0))
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if self.batch_first and not packed else x
        return output, stack(h_n, 0), (stack(c_n, 0) if c0 is not None else None)

    def _forward(self, input, hx):
        """The forward of RNN, LSTM and GRU: unbatched, batched and packed inputs, PyTorch's checks.

        ``hx`` is h_0 (LSTM: the pair (h_0, c_0)) in the caller's batch order; returns (output, h_n) or
        (output, (h_n, c_n)), with a PackedSequence output for a PackedSequence input.
        """
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        lstm = self.mode == "LSTM"
        batch_sizes = sorted_indices = unsorted_indices = None
        is_batched = True
        if isinstance(input, PackedSequence):
            input, packed_batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = packed_batch_sizes._data.tolist()
            if hx is not None:  # the caller's batch order -> the packed (sorted) order
                hx = tuple(_permute_hidden(h, sorted_indices) for h in hx) if lstm else \
                    _permute_hidden(hx, sorted_indices)
        else:
            if input.dim() not in (2, 3):
                suffix = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{suffix} instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                hx = self._batched_hidden(hx, is_batched, lstm)
        self.check_input(input, batch_sizes)
        expected = self.get_expected_hidden_size(input, batch_sizes)
        expected_cell = self.get_expected_cell_size(input, batch_sizes) if lstm else None
        if hx is None:
            h0 = _fill(expected, 0, input.dtype)
            c0 = _fill(expected_cell, 0, input.dtype) if lstm else None
        else:
            h0, c0 = hx if lstm else (hx, None)
        if lstm:
            self.check_hidden_size(h0, expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, expected_cell, "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(h0, expected)
        output, h_n, c_n = self._run(input, h0, c0, batch_sizes)
        if batch_sizes is not None:
            output = PackedSequence(output, packed_batch_sizes, sorted_indices, unsorted_indices)
            h_n = _permute_hidden(h_n, unsorted_indices)
            c_n = _permute_hidden(c_n, unsorted_indices)
        elif not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return output, ((h_n, c_n) if lstm else h_n)

    def _batched_hidden(self, hx, is_batched, lstm):
        """hx checked against the input's batchedness (PyTorch's texts), unbatched ones given a batch of 1."""
        want = 3 if is_batched else 2
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if lstm:
            h0, c0 = hx
            if h0.dim() != want or c0.dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({h0.dim()}-D, {c0.dim()}-D) tensors")
            return (h0, c0) if is_batched else (h0.unsqueeze(1), c0.unsqueeze(1))
        if hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")
        return hx if is_batched else hx.unsqueeze(1)


def _permute_hidden(hx, permutation):
    """hx (layers*directions, batch, hidden) with its batch rows taken in ``permutation``'s order."""
    if hx is None or permutation is None:
        return hx
    return hx.index_select(1, permutation)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu); returns (output, h_n).

    >>> import graphgrad, graphgrad.nn as nn
    >>> rnn = nn.RNN(10, 20, 2)
    >>> output, hn = rnn(graphgrad.randn(5, 3, 10), graphgrad.randn(2, 3, 20))
    >>> tuple(output.shape), tuple(hn.shape)
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n)). Gates i, f, g, o in that order.

    >>> import graphgrad, graphgrad.nn as nn
    >>> lstm = nn.LSTM(10, 20, 2, batch_first=True)
    >>> output, (hn, cn) = lstm(graphgrad.randn(3, 5, 10))
    >>> tuple(output.shape), tuple(hn.shape), tuple(cn.shape)
    ((3, 5, 20), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes=None):
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes), self.hidden_size)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit; returns (output, h_n). Gates r, z, n in that order.

    >>> import graphgrad, graphgrad.nn as nn
    >>> gru = nn.GRU(10, 20, bidirectional=True)
    >>> output, hn = gru(graphgrad.randn(5, 3, 10))
    >>> tuple(output.shape), tuple(hn.shape)
    ((5, 3, 40), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


# --- cells: one time step ------------------------------------------------------------------------------
class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_empty((num_chunks * hidden_size, input_size), dtype, device))
        self.weight_hh = Parameter(_empty((num_chunks * hidden_size, hidden_size), dtype, device))
        if bias:
            self.bias_ih = Parameter(_empty(num_chunks * hidden_size, dtype, device))
            self.bias_hh = Parameter(_empty(num_chunks * hidden_size, dtype, device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, hx, name):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and not isinstance(hx, tuple) and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        return input, is_batched

    def _zeros(self, input):
        return _fill((input.size(0), self.hidden_size), 0, input.dtype)

    def _step(self, step, input, h, c=None):
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        return step(gi, h, c, self.weight_hh, self.bias_hh)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, is_batched = self._prepare(input, hx, "RNNCell")
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity == "tanh":
            step = _rnn_tanh_step
        elif self.nonlinearity == "relu":
            step = _rnn_relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h, _ = self._step(step, input, hx)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, is_batched = self._prepare(input, None, "LSTMCell")
        if hx is None:
            h, c = self._zeros(input), self._zeros(input)
        else:
            h, c = hx if is_batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._step(_lstm_step, input, h, c)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, is_batched = self._prepare(input, hx, "GRUCell")
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        h, _ = self._step(_gru_step, input, hx)
        return h if is_batched else h.squeeze(0)


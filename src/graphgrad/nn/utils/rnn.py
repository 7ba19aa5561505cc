"""Variable-length sequences for the recurrent layers: padding and packing (``torch.nn.utils.rnn``).

A PackedSequence stores a batch of sequences sorted by length, longest first, time step by time step:
``data`` holds step 0 of every sequence, then step 1 of those still running, ...; ``batch_sizes[t]`` says
how many sequences are running at step t. Packing and unpacking are index gathers, so gradients flow
through both.

>>> import graphgrad
>>> from graphgrad.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
>>> padded = pad_sequence([graphgrad.ones(3), graphgrad.ones(1)])
>>> packed = pack_padded_sequence(padded, [3, 1])
>>> packed.batch_sizes
tensor([2, 1, 1])
>>> pad_packed_sequence(packed)[1]
tensor([3, 1])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...ops.shape import cat, stack

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _int64(values):
    return Tensor._make(np.asarray(values, dtype=np.int64), False, None)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of sequences: ``(data, batch_sizes, sorted_indices, unsorted_indices)``.

    Build one with ``pack_padded_sequence`` or ``pack_sequence``; ``sorted_indices`` (None when the batch
    was already sorted) maps sorted positions to the caller's batch order, ``unsorted_indices`` back.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # the old (data, batch_sizes) tuple form
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("PackedSequence(data) needs a (data, batch_sizes) pair when batch_sizes is None")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """A copy with ``data`` converted as ``Tensor.to`` would (``self`` when nothing changes)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs):
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse of an index permutation (None stays None).

    >>> import graphgrad
    >>> from graphgrad.nn.utils.rnn import invert_permutation
    >>> invert_permutation(graphgrad.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    perm = permutation._data
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size, dtype=perm.dtype)
    return Tensor._make(inverse, False, None)


def _lengths_array(lengths):
    """``lengths`` (a list or a tensor) as a 1-D int64 array, with PyTorch's check of a tensor's shape."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu "
                               "Long tensor")
        return lengths._data.astype(np.int64)
    return np.asarray([int(v) for v in lengths], dtype=np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) — (B, T, *) with ``batch_first`` — of sequences of the given lengths.

    With ``enforce_sorted`` the lengths must be decreasing; otherwise the batch is sorted here and the
    order is kept in ``sorted_indices``.

    >>> import graphgrad
    >>> from graphgrad.nn.utils.rnn import pack_padded_sequence
    >>> p = pack_padded_sequence(graphgrad.arange(6.).reshape(3, 2), [1, 3], enforce_sorted=False)
    >>> p.data, p.batch_sizes, p.sorted_indices
    (tensor([1., 0., 3., 5.]), tensor([2, 1, 1]), tensor([1, 0]))
    """
    lens = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _int64(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if batch_first:
        input = input.transpose(0, 1)
    seq_len, batch = input.shape[0], input.shape[1]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={batch})")
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if (np.diff(lens) > 0).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if lens[0] > seq_len:
        raise RuntimeError(f"Expected every length to be at most the padded sequence length {seq_len}, but got "
                           f"{int(lens[0])}\n(PyTorch reads past the end of the input here.)")
    batch_sizes = (lens[None, :] > np.arange(lens[0])[:, None]).sum(1)
    # time-major positions of the packed elements: step t holds sequences 0..batch_sizes[t]-1
    steps, seqs = np.nonzero(np.arange(batch)[None, :] < batch_sizes[:, None])
    data = input[_int64(steps), _int64(seqs)]
    return PackedSequence(data, _int64(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpacks a PackedSequence into ``(padded, lengths)``, the batch back in the caller's order.

    ``total_length`` pads the time axis to that length (at least the longest sequence).
    """
    batch_sizes = sequence.batch_sizes._data.astype(np.int64)
    max_seq_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    # each padded (t, b) slot takes its packed row, or the extra padding row appended at the end
    running = np.arange(batch)[None, :] < np.pad(batch_sizes, (0, max_seq_length - batch_sizes.size))[:, None]
    source = np.full(running.shape, data.shape[0], dtype=np.int64)
    source[running] = np.arange(data.shape[0])
    pad_row = Tensor._make(np.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data._data.dtype), False,
                           None)
    padded = cat([data, pad_row], 0)[_int64(source)]
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = _int64(lengths)
    if sequence.unsorted_indices is not None:
        return (padded.index_select(0 if batch_first else 1, sequence.unsorted_indices),
                lengths[sequence.unsorted_indices])
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences of shape (L_i, *) into (max L, B, *) — (B, max L, *) with ``batch_first`` — padded.

    >>> import graphgrad
    >>> from graphgrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([graphgrad.tensor([1, 2]), graphgrad.tensor([3])], batch_first=True, padding_side="left")
    tensor([[1, 2],
            [0, 3]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for seq in sequences:
        short = max_len - seq.shape[0]
        if short:
            fill = Tensor._make(np.full((short,) + tuple(seq.shape[1:]), padding_value, dtype=seq._data.dtype),
                                False, None)
            seq = cat([seq, fill] if padding_side == "right" else [fill, seq], 0)
        padded.append(seq)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of ``pad_sequence``: a list of the sequences, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences, _lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *) (``pad_sequence`` then ``pack_padded_sequence``).

    >>> import graphgrad
    >>> from graphgrad.nn.utils.rnn import pack_sequence
    >>> pack_sequence([graphgrad.tensor([1, 2, 3]), graphgrad.tensor([4, 5])]).data
    tensor([1, 4, 2, 5, 3])
    """
    lengths = _int64([s.size(0) for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of ``pack_sequence``: the list of sequences in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

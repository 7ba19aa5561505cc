"""Convolutions: Conv1d/2d/3d, ConvTranspose1d/2d/3d (all computed by ``F.conv*``) and their lazy variants,
which read ``in_channels`` from the first input."""

from __future__ import annotations

from ..._size import size_text
from .. import functional as F
from ..module import Module
from ..parameter import UninitializedParameter
from .lazy import LazyModuleMixin
from .utils import _add_weight_and_bias, _pair, _reset_kaiming_uniform, _reverse_repeat_tuple, _single, _triple

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"]


class _ConvNd(Module):
    """What every convolution shares: argument checks, the weight/bias, their init and the repr."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding", "in_channels",
                     "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(
                f"padding_mode must be one of {valid_padding_modes}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's padding (last dimension first) for the non-'zeros' padding modes and for 'same'.
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    left = total // 2
                    self._reversed_padding_repeated_twice[2 * i] = left
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - left
        else:
            self._reversed_padding_repeated_twice = _reverse_repeat_tuple(self.padding, 2)
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        _add_weight_and_bias(self, shape, bias, dtype, device, bias_size=out_channels)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_kaiming_uniform(self.weight, self.bias)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            return self._conv(F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), weight,
                              bias, self.stride, (0,) * len(self.kernel_size), self.dilation, self.groups)
        return self._conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class _ConvXd(_ConvNd):
    """Conv1d/2d/3d's constructor; the class's ``_expand`` (_single, _pair, _triple) makes each int a tuple."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        expand = self._expand
        super().__init__(in_channels, out_channels, expand(kernel_size), expand(stride),
                         padding if isinstance(padding, str) else expand(padding), expand(dilation), False,
                         expand(0), groups, bias, padding_mode, device, dtype)


class Conv1d(_ConvXd):
    """1-D convolution over (N, C_in, L): weight (C_out, C_in/groups, k).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.Conv1d(16, 33, 3, stride=2)(graphgrad.randn(20, 16, 50)).shape
    graphgrad.Size([20, 33, 24])
    """

    _conv = staticmethod(F.conv1d)
    _expand = staticmethod(_single)


class Conv2d(_ConvXd):
    """2-D convolution over (N, C_in, H, W): weight (C_out, C_in/groups, kH, kW).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.Conv2d(16, 33, 3, stride=2)(graphgrad.randn(2, 16, 10, 12)).shape
    graphgrad.Size([2, 33, 4, 5])
    """

    _conv = staticmethod(F.conv2d)
    _expand = staticmethod(_pair)


class Conv3d(_ConvXd):
    """3-D convolution over (N, C_in, D, H, W): weight (C_out, C_in/groups, kD, kH, kW).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.Conv3d(4, 6, 3, stride=2)(graphgrad.randn(2, 4, 5, 7, 9)).shape
    graphgrad.Size([2, 6, 2, 3, 4])
    """

    _conv = staticmethod(F.conv3d)
    _expand = staticmethod(_triple)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that gives ``output_size`` (or the module's own when none is asked)."""
        if output_size is None:
            return _single(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        output_size = list(output_size)
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                f"{num_spatial_dims} or {num_non_spatial_dims + num_spatial_dims} elements (got {len(output_size)})"
            )
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(dim_size)
            max_sizes.append(dim_size + stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {min_sizes} to "
                    f"{max_sizes} (for an input of {size_text(input.size()[2:])})"
                )
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              len(self.kernel_size), self.dilation)
        return self._conv(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                          self.dilation)


class _ConvTransposeXd(_ConvTransposeNd):
    """ConvTranspose1d/2d/3d's constructor; ``_expand`` as in _ConvXd."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        expand = self._expand
        super().__init__(in_channels, out_channels, expand(kernel_size), expand(stride), expand(padding),
                         expand(dilation), True, expand(output_padding), groups, bias, padding_mode, device, dtype)


class ConvTranspose1d(_ConvTransposeXd):
    """The gradient of Conv1d with respect to its input, as a layer: weight (C_in, C_out/groups, k)."""

    _conv = staticmethod(F.conv_transpose1d)
    _expand = staticmethod(_single)


class ConvTranspose2d(_ConvTransposeXd):
    """The gradient of Conv2d with respect to its input, as a layer: weight (C_in, C_out/groups, kH, kW).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.ConvTranspose2d(16, 33, 3, stride=2)(graphgrad.randn(2, 16, 5, 6)).shape
    graphgrad.Size([2, 33, 11, 13])
    """

    _conv = staticmethod(F.conv_transpose2d)
    _expand = staticmethod(_pair)


class ConvTranspose3d(_ConvTransposeXd):
    """The gradient of Conv3d with respect to its input, as a layer: weight (C_in, C_out/groups, kD, kH, kW).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.ConvTranspose3d(4, 6, 3, stride=2)(graphgrad.randn(2, 4, 2, 3, 4)).shape
    graphgrad.Size([2, 6, 5, 7, 9])
    """

    _conv = staticmethod(F.conv_transpose3d)
    _expand = staticmethod(_triple)


class _LazyConvXdMixin(LazyModuleMixin):
    """The lazy convolutions: built with no channels, materialised from the first input's channel axis."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        # no bias yet: it would be replaced at once
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._lazy_weights(out_channels, bias, device, dtype)

    def _lazy_weights(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_num_spatial_dims(self):
        return len(self.kernel_size)

    def _get_in_channels(self, input):
        unbatched = self._get_num_spatial_dims() + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: {size_text(input.shape)}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]


class _LazyConvTransposeXdMixin(_LazyConvXdMixin):
    """The lazy transposed convolutions (their constructor takes ``output_padding``)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                                 padding_mode, device, dtype)
        self._lazy_weights(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A Conv1d whose ``in_channels`` is read from the first input.

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.LazyConv1d(33, 3)(graphgrad.randn(2, 16, 10)).shape
    graphgrad.Size([2, 33, 8])
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A Conv2d whose ``in_channels`` is read from the first input (see LazyConv1d)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvXdMixin, Conv3d):
    """A Conv3d whose ``in_channels`` is read from the first input (see LazyConv1d)."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTransposeXdMixin, ConvTranspose1d):
    """A ConvTranspose1d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeXdMixin, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeXdMixin, ConvTranspose3d):
    """A ConvTranspose3d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose3d

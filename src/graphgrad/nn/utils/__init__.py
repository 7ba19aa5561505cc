"""graphgrad.nn.utils: gradient clipping, conversions between parameters and one flat vector, ``rnn`` (padding and
packing variable-length sequences), ``parametrize`` and ``parametrizations`` (weight_norm, spectral_norm,
orthogonal), the older hook-based ``weight_norm`` and ``spectral_norm``, and batch norm folded into the layer
before it (``fuse_conv_bn_eval``, ``fuse_linear_bn_eval``); ``prune`` (masks on parameters)."""

from . import parametrizations, parametrize, prune, rnn, stateless  # noqa: F401  (prune: not in PyTorch's __all__)
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "get_total_norm", "parameters_to_vector",
           "parametrizations", "parametrize", "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm",
           "stateless", "vector_to_parameters", "weight_norm"]

"""graphgrad.nn.functional: PyTorch's ``torch.nn.functional`` on graphgrad tensors.

Same signatures, defaults, output dtypes, grad_fn names (where practical) and error texts as PyTorch.
Convolution, pooling, normalisation, the losses and most activations are primitives of the op modules
``conv``, ``pooling``, ``normalization``, ``activation`` and ``loss`` (vectorised NumPy forwards, derivatives in
graphgrad ops); the rest is composed from ordinary differentiable ops, so gradients of any order work everywhere.

Each family has its own module (``_activation``, ``_conv``/``_conv3d``, ``_pooling``, ``_normalization``,
``_dropout``, ``_loss``, ``_distance``, ``_linear``, ``_embedding``, ``_resampling``, ``_attention``);
this package publishes their functions under PyTorch's names.

>>> import graphgrad
>>> import graphgrad.nn.functional as F
>>> x = graphgrad.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> loss = F.cross_entropy(x, graphgrad.tensor([2]))
>>> loss.grad_fn.name()
'NllLossBackward0'
"""

from ..._tensor import Tensor  # as torch.nn.functional.Tensor
from ...ops.distance import pdist  # (PyTorch publishes torch.pdist here too)
from ._activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from ._arguments import check_arguments
from ._attention import _canonical_mask, _none_or_dtype, scaled_dot_product_attention
from ._conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ._conv3d import conv3d, conv_transpose3d
from ._distance import cosine_similarity, pairwise_distance
from ._dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from ._embedding import embedding, embedding_bag, one_hot
from ._linear import bilinear, linear
from ._loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._normalization import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, normalize, rms_norm
from ._pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ._resampling import (
    affine_grid,
    channel_shuffle,
    fold,
    grid_sample,
    interpolate,
    native_channel_shuffle,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "alpha_dropout",
    "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy", "conv3d", "conv_transpose3d",
    "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "elu", "embedding", "embedding_bag", "feature_alpha_dropout", "gaussian_nll_loss", "gelu", "glu", "group_norm",
    "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "hinge_embedding_loss", "huber_loss",
    "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "log_softmax",
    "logsigmoid", "margin_ranking_loss", "max_pool1d", "max_pool2d", "mish", "mse_loss", "multilabel_soft_margin_loss",
    "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle",
    "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "elu_", "selu", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink",
    "threshold", "threshold_", "triplet_margin_loss", "upsample", "upsample_bilinear", "upsample_nearest",
    "unfold", "fold", "scaled_dot_product_attention", "rms_norm", "gumbel_softmax", "instance_norm",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "max_pool3d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "channel_shuffle", "native_channel_shuffle",
    "fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
    "local_response_norm", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss",
    "rrelu", "rrelu_", "celu_", "selu_", "affine_grid", "grid_sample",
]

# a list, an array or None where a Tensor belongs: PyTorch's error, not an internal one (see _arguments)
# (embedding_bag and triplet_margin_with_distance_loss are PyTorch's Python code reproduced, attribute reads first:
# they raise PyTorch's errors themselves)
_PYTHON_CODE = ("embedding_bag", "triplet_margin_with_distance_loss")
check_arguments(globals(), [name for name in list(globals()) if not name.startswith("_") and name not in _PYTHON_CODE])

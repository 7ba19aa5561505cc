"""``nn.utils.spectral_norm`` / ``remove_spectral_norm``: the older, hook-based spectral normalisation (GANs).

``module.weight`` becomes the parameter ``weight_orig`` and two buffers ``weight_u`` / ``weight_v`` (the power
method's vectors, drawn with ``normal_`` as PyTorch draws them); a forward pre-hook sets ``module.weight`` to
``weight_orig / sigma`` before every call, after ``n_power_iterations`` steps of the power method in training mode.
``state_dict`` notes the scheme's version in its metadata (``{'spectral_norm': {'weight.version': 1}}``), and
loading a state_dict saved before version 1 (``weight``, ``weight_orig``, ``weight_u``) computes ``weight_v``.

>>> import graphgrad, graphgrad.nn as nn
>>> m = nn.utils.spectral_norm(nn.Linear(3, 2))
>>> list(m.state_dict()), m.state_dict()._metadata[""]
(['bias', 'weight_orig', 'weight_u', 'weight_v'], {'version': 1, 'spectral_norm': {'weight.version': 1}})
"""

from __future__ import annotations

from ..._core.hooks import add_hook
from ...autograd.grad_mode import no_grad
from ...ops.linalg import dot, mv
from ...ops.linalg_decompositions import svd
from .. import functional as F
from ..parameter import Parameter, is_lazy
from ._hooks import hooks_on, remove_hook_on
from .parametrizations import _default_dim, _random_unit_vectors

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook", "spectral_norm",
           "remove_spectral_norm"]


def _pinverse(A, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse from the SVD (``Tensor.pinverse``'s default cutoff), no gradient."""
    U, S, Vh = svd(A, full_matrices=False)
    cutoff = rcond * S.max()
    S_inv = (1.0 / S).masked_fill(S <= cutoff, 0.0)
    return (Vh.mT * S_inv.unsqueeze(-2)) @ U.mT


class SpectralNorm:
    """The forward pre-hook: ``module.<name> = <name>_orig / sigma``, with ``sigma = u . (W v)`` and ``u``, ``v``
    the power method's estimates of W's first singular vectors (W: the weight with ``dim`` first, flattened)."""

    # version 1: W is not a buffer, v is one, and eval mode computes sigma from u and v
    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        # (reshape, not the parametrization's flatten: PyTorch's graph has a view here even for a matrix)
        weight_mat = weight
        if self.dim != 0:  # dim first
            weight_mat = weight_mat.permute(self.dim, *[d for d in range(weight_mat.dim()) if d != self.dim])
        height = weight_mat.size(0)
        return weight_mat.reshape(height, -1)

    def compute_weight(self, module, do_power_iteration):
        """``<name>_orig / sigma``. The power method's steps write into the buffers in place (so module replicas
        sharing them update the original's); the vectors are then cloned, so that a second forward's steps do
        not change what the first one's graph saved (``D(real) - D(fake)``)."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(mv(weight_mat, v), dim=0, eps=self.eps))
                if self.n_power_iterations > 0:
                    u = u.clone()
                    v = v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """A ``v`` with ``u = normalize(W v)`` (least squares, through the pseudo-inverse of W^T W) and
        ``u . (W v) = target_sigma``."""
        wt = weight_mat.t()
        v = (_pinverse(wt.mm(weight_mat)).mm(wt)).mm(u.unsqueeze(1)).squeeze(1)
        return v.mul_(target_sigma / dot(u, mv(weight_mat, v)))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        if hooks_on(module, SpectralNorm, name):
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying spectral normalization")
        with no_grad():
            u, v = _random_unit_vectors(fn.reshape_weight_to_matrix(weight), fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # module.<name> stays readable (e.g. by weight initialisers) as a plain attribute, not a parameter
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        add_hook(module._load_state_dict_pre_hooks, SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """Loads a state_dict saved before version 1 (``weight``, ``weight_orig``, ``weight_u``; no ``weight_v``):
    ``sigma = mean(weight_orig / weight)``, and ``v`` solved from ``u`` and rescaled to that sigma."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        weight_key = prefix + fn.name
        if (version is None and all(weight_key + s in state_dict for s in ("_orig", "_u", "_v"))
                and weight_key not in state_dict):
            return  # the current layout without its metadata (a state_dict made by hand)
        has_missing_keys = False
        for suffix in ("_orig", "", "_u"):
            key = weight_key + suffix
            if key not in state_dict:
                has_missing_keys = True
                if strict:
                    missing_keys.append(key)
        if has_missing_keys:
            return
        with no_grad():
            weight_orig = state_dict[weight_key + "_orig"]
            weight = state_dict.pop(weight_key)
            sigma = (weight_orig / weight).mean()
            weight_mat = fn.reshape_weight_to_matrix(weight_orig)
            u = state_dict[weight_key + "_u"]
            state_dict[weight_key + "_v"] = fn._solve_v_and_rescale(weight_mat, u, sigma)


class SpectralNormStateDictHook:
    """Writes the scheme's version into the state_dict's metadata: ``{'spectral_norm': {'<name>.version': 1}}``."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        if "spectral_norm" not in local_metadata:
            local_metadata["spectral_norm"] = {}
        key = self.fn.name + ".version"
        if key in local_metadata["spectral_norm"]:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        local_metadata["spectral_norm"][key] = self.fn._version


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Normalise ``module.<name>`` by its spectral norm before each call (``dim``: the output-channel dimension,
    by default 1 for the transposed convolutions and 0 otherwise). Returns ``module``."""
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Make ``module.<name>`` an ordinary parameter again (its current normalised value) and drop the hooks."""
    remove_hook_on(module, SpectralNorm, name, f"spectral_norm of '{name}' not found in {module}")
    for k, hook in module._state_dict_hooks.items():
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[k]
            break
    # (PyTorch's loop over the load_state_dict pre-hooks finds nothing to remove: it registers this one wrapped in
    # its _WrappedHook, which the loop's isinstance test does not see through. The hook stays, and so a module
    # whose spectral norm was removed refuses its own state_dict: 'Missing key(s) in state_dict: "weight_orig",
    # "weight_u"'. PyTorch 2.13 does so; graphgrad keeps the hook too.)
    return module

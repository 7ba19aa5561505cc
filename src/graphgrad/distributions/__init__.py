"""graphgrad.distributions: PyTorch's probability distributions, sampling through graphgrad's random
functions and differentiable in their parameters (``rsample`` by reparametrisation, ``log_prob``).

>>> import graphgrad
>>> from graphgrad.distributions import Categorical, Normal
>>> Normal(0.0, 1.0).log_prob(graphgrad.tensor(0.0))
tensor(-0.9189)
>>> Categorical(logits=graphgrad.zeros(4)).entropy()
tensor(1.3863)
"""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "MultivariateNormal", "Normal", "Uniform", "constraints",
           "kl_divergence", "register_kl"]

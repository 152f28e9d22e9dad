"""The Bernoulli distribution, as ``jax.scipy.stats.bernoulli``."""

from tensorlib._src.scipy_stats_discrete import bernoulli_cdf as cdf
from tensorlib._src.scipy_stats_discrete import bernoulli_logpmf as logpmf
from tensorlib._src.scipy_stats_discrete import bernoulli_pmf as pmf
from tensorlib._src.scipy_stats_discrete import bernoulli_ppf as ppf

__all__ = ["cdf", "logpmf", "pmf", "ppf"]

"""The Poisson distribution, as ``jax.scipy.stats.poisson``."""

from tensorlib._src.scipy_stats_discrete import poisson_cdf as cdf
from tensorlib._src.scipy_stats_discrete import poisson_entropy as entropy
from tensorlib._src.scipy_stats_discrete import poisson_logpmf as logpmf
from tensorlib._src.scipy_stats_discrete import poisson_pmf as pmf

__all__ = ["cdf", "entropy", "logpmf", "pmf"]

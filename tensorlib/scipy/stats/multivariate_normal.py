"""The multivariate normal distribution, as ``jax.scipy.stats.multivariate_normal``."""

from tensorlib._src.scipy_stats import multivariate_normal_logpdf as logpdf
from tensorlib._src.scipy_stats import multivariate_normal_pdf as pdf

__all__ = ["logpdf", "pdf"]

"""The Laplace distribution, as ``jax.scipy.stats.laplace``."""

from tensorlib._src.scipy_stats import laplace_cdf as cdf
from tensorlib._src.scipy_stats import laplace_logpdf as logpdf
from tensorlib._src.scipy_stats import laplace_pdf as pdf

__all__ = ["cdf", "logpdf", "pdf"]

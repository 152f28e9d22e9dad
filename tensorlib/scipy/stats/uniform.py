"""The uniform distribution, as ``jax.scipy.stats.uniform``."""

from tensorlib._src.scipy_stats import uniform_cdf as cdf
from tensorlib._src.scipy_stats import uniform_logpdf as logpdf
from tensorlib._src.scipy_stats import uniform_pdf as pdf
from tensorlib._src.scipy_stats import uniform_ppf as ppf

__all__ = ["cdf", "logpdf", "pdf", "ppf"]

"""The logistic distribution, as ``jax.scipy.stats.logistic``."""

from tensorlib._src.scipy_stats import logistic_cdf as cdf
from tensorlib._src.scipy_stats import logistic_isf as isf
from tensorlib._src.scipy_stats import logistic_logpdf as logpdf
from tensorlib._src.scipy_stats import logistic_pdf as pdf
from tensorlib._src.scipy_stats import logistic_ppf as ppf
from tensorlib._src.scipy_stats import logistic_sf as sf

__all__ = ["cdf", "isf", "logpdf", "pdf", "ppf", "sf"]

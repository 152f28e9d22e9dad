"""The normal distribution, as ``jax.scipy.stats.norm``."""

from tensorlib._src.scipy_stats import norm_cdf as cdf
from tensorlib._src.scipy_stats import norm_isf as isf
from tensorlib._src.scipy_stats import norm_logcdf as logcdf
from tensorlib._src.scipy_stats import norm_logpdf as logpdf
from tensorlib._src.scipy_stats import norm_logsf as logsf
from tensorlib._src.scipy_stats import norm_pdf as pdf
from tensorlib._src.scipy_stats import norm_ppf as ppf
from tensorlib._src.scipy_stats import norm_sf as sf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

"""The exponential distribution, as ``jax.scipy.stats.expon``."""

from tensorlib._src.scipy_stats import expon_cdf as cdf
from tensorlib._src.scipy_stats import expon_logcdf as logcdf
from tensorlib._src.scipy_stats import expon_logpdf as logpdf
from tensorlib._src.scipy_stats import expon_logsf as logsf
from tensorlib._src.scipy_stats import expon_pdf as pdf
from tensorlib._src.scipy_stats import expon_ppf as ppf
from tensorlib._src.scipy_stats import expon_sf as sf

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

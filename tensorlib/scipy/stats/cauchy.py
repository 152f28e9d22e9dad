"""The Cauchy distribution, as ``jax.scipy.stats.cauchy``."""

from tensorlib._src.scipy_stats import cauchy_cdf as cdf
from tensorlib._src.scipy_stats import cauchy_isf as isf
from tensorlib._src.scipy_stats import cauchy_logcdf as logcdf
from tensorlib._src.scipy_stats import cauchy_logpdf as logpdf
from tensorlib._src.scipy_stats import cauchy_logsf as logsf
from tensorlib._src.scipy_stats import cauchy_pdf as pdf
from tensorlib._src.scipy_stats import cauchy_ppf as ppf
from tensorlib._src.scipy_stats import cauchy_sf as sf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

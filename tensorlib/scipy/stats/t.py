"""Student's t distribution, as ``jax.scipy.stats.t``."""

from tensorlib._src.scipy_stats import t_logpdf as logpdf
from tensorlib._src.scipy_stats import t_pdf as pdf

__all__ = ["logpdf", "pdf"]

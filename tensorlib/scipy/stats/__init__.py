"""Probability distributions (``tensorlib.scipy.stats``), as ``jax.scipy.stats``: one module
per distribution (``stats.norm.logpdf``, ...)."""

from tensorlib.scipy.stats import bernoulli as bernoulli
from tensorlib.scipy.stats import cauchy as cauchy
from tensorlib.scipy.stats import expon as expon
from tensorlib.scipy.stats import laplace as laplace
from tensorlib.scipy.stats import logistic as logistic
from tensorlib.scipy.stats import multivariate_normal as multivariate_normal
from tensorlib.scipy.stats import norm as norm
from tensorlib.scipy.stats import poisson as poisson
from tensorlib.scipy.stats import t as t
from tensorlib.scipy.stats import uniform as uniform

"""Distributions (``tensorlib.scipy.stats.<name>``), as in ``jax.scipy.stats``.

One function per (distribution, method), named ``<distribution>_<method>`` here and
re-exported as ``<method>`` by ``tensorlib/scipy/stats/<distribution>.py``. Each is a
composition of ``tensorlib.numpy`` functions, ``tensorlib.scipy.special`` and primitives.
Arguments are promoted together (integers become floats) and broadcast, as in JAX. NaN
arguments give NaN, as in SciPy; invalid parameters (a negative scale, say) are not checked,
as in JAX.
"""

from __future__ import annotations

import math

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import exp_log, floating, shape_ops, trigonometric
from tensorlib._src.numpy import linalg as tla
from tensorlib._src.numpy import reductions as red
from tensorlib._src.numpy import ufuncs as uf
from tensorlib._src.numpy.indexing import diagonal
from tensorlib._src.numpy.promotion import asarray, broadcast_shapes, broadcast_to, promote_dtypes
from tensorlib._src.ops import linalg as la
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib._src.scipy_special import (
    _log_ndtr,
    _ndtr,
    _ndtri,
    _real,
    betaln,
    expit,
    logit,
)
from tensorlib.errors import ShapeError

_LOG_2PI = math.log(2 * math.pi)
_NAN, _INF = math.nan, math.inf


def _standardize(name, x, loc, scale):
    """``x, loc, scale`` promoted and broadcast, and ``(x - loc) / scale``."""
    x, loc, scale = _real(name, x, loc, scale)
    return x, loc, scale, (x - loc) / scale


def _outside_unit(q):
    """Where a probability is NaN or outside ``[0, 1]``."""
    return floating.isnan(q) | (q < 0) | (q > 1)


# --------------------------------------------------------------------------------------------
# norm


def norm_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the normal density with mean ``loc`` and standard deviation ``scale``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.logpdf(tnp.asarray([0.0, 1.0])), 4)
    Array([-0.9189, -1.4189], dtype=float32)
    """
    x, loc, scale, z = _standardize("norm.logpdf", x, loc, scale)
    return -0.5 * (z * z) - exp_log.log(scale) - 0.5 * _LOG_2PI


def norm_pdf(x, loc=0, scale=1) -> Array:
    """The normal density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.pdf(tnp.asarray([0.0, 1.0]), 0.0, 2.0), 4)
    Array([0.1995, 0.176 ], dtype=float32)
    """
    return exp_log.exp(norm_logpdf(x, loc, scale))


def norm_cdf(x, loc=0, scale=1) -> Array:
    """The normal CDF, ``ndtr((x - loc) / scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.cdf(tnp.asarray([0.0, 1.96])), 4)
    Array([0.5  , 0.975], dtype=float32)
    """
    return _ndtr(_standardize("norm.cdf", x, loc, scale)[3])


def norm_logcdf(x, loc=0, scale=1) -> Array:
    """Log of the normal CDF, ``log_ndtr((x - loc) / scale)``: accurate in both tails.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.logcdf(tnp.asarray([0.0, -20.0])), 2)
    Array([  -0.69, -203.92], dtype=float32)
    """
    return _log_ndtr(_standardize("norm.logcdf", x, loc, scale)[3], 3)


def norm_sf(x, loc=0, scale=1) -> Array:
    """The normal survival function ``1 - cdf``, computed as ``ndtr(-(x - loc) / scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.sf(tnp.asarray([0.0, 1.96])), 4)
    Array([0.5  , 0.025], dtype=float32)
    """
    return _ndtr(-_standardize("norm.sf", x, loc, scale)[3])


def norm_logsf(x, loc=0, scale=1) -> Array:
    """Log of the normal survival function, ``log_ndtr(-(x - loc) / scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.logsf(tnp.asarray([0.0, 20.0])), 2)
    Array([  -0.69, -203.92], dtype=float32)
    """
    return _log_ndtr(-_standardize("norm.logsf", x, loc, scale)[3], 3)


def norm_ppf(q, loc=0, scale=1) -> Array:
    """The normal quantile function, ``loc + scale * ndtri(q)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.ppf(tnp.asarray([0.5, 0.975]), 1.0, 2.0), 4)
    Array([1.   , 4.9199], dtype=float32)
    """
    q, loc, scale = _real("norm.ppf", q, loc, scale)
    return loc + scale * _ndtri(q)


def norm_isf(q, loc=0, scale=1) -> Array:
    """The normal inverse survival function, ``loc - scale * ndtri(q)``.

    ``-ndtri(q)``, not ``ndtri(1 - q)`` (JAX), so that small ``q`` keep their digits.

    Examples
    --------
    >>> from tensorlib.scipy.stats import norm
    >>> tnp.round(norm.isf(tnp.asarray([0.5, 0.025, 1e-20])), 4)
    Array([0.    , 1.96  , 9.2623], dtype=float32)
    """
    q, loc, scale = _real("norm.isf", q, loc, scale)
    return loc - scale * _ndtri(q)


# --------------------------------------------------------------------------------------------
# expon


def expon_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the exponential density ``exp(-(x - loc) / scale) / scale`` (``-inf`` below
    ``loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> expon.logpdf(tnp.asarray([-1.0, 1.0, 2.0]))
    Array([-inf,  -1.,  -2.], dtype=float32)
    """
    x, loc, scale, z = _standardize("expon.logpdf", x, loc, scale)
    return uf.where(x < loc, -_INF, -z - exp_log.log(scale))


def expon_pdf(x, loc=0, scale=1) -> Array:
    """The exponential density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> tnp.round(expon.pdf(tnp.asarray([-1.0, 0.0, 1.0])), 4)
    Array([0.    , 1.    , 0.3679], dtype=float32)
    """
    return exp_log.exp(expon_logpdf(x, loc, scale))


def expon_cdf(x, loc=0, scale=1) -> Array:
    """The exponential CDF, ``-expm1(-(x - loc) / scale)`` (0 below ``loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> tnp.round(expon.cdf(tnp.asarray([-1.0, 0.0, 1.0])), 4)
    Array([0.    , 0.    , 0.6321], dtype=float32)
    """
    x, loc, scale, z = _standardize("expon.cdf", x, loc, scale)
    return uf.where(x < loc, 0, -exp_log.expm1(-z))


def expon_logcdf(x, loc=0, scale=1) -> Array:
    """Log of the exponential CDF, ``log(1 - exp(-z))`` for ``z = (x - loc) / scale``.

    As ``log(-expm1(-z))`` for ``z <= log 2`` and ``log1p(-exp(-z))`` above, so that both
    ends keep their digits (JAX's ``log1p(-sf)`` loses them just above ``loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> tnp.round(expon.logcdf(tnp.asarray([0.0, 1e-8, 1.0])), 4)
    Array([    -inf, -18.4207,  -0.4587], dtype=float32)
    """
    x, loc, scale, z = _standardize("expon.logcdf", x, loc, scale)
    below, near = x < loc, z <= math.log(2)
    z_near, z_far = uf.where(below | ~near, 1, z), uf.where(near, 1, z)
    out = uf.where(near, exp_log.log(-exp_log.expm1(-z_near)),
                   exp_log.log1p(-exp_log.exp(-z_far)))
    return uf.where(below, -_INF, out)


def expon_sf(x, loc=0, scale=1) -> Array:
    """The exponential survival function, ``exp(-(x - loc) / scale)`` (1 below ``loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> tnp.round(expon.sf(tnp.asarray([-1.0, 1.0])), 4)
    Array([1.    , 0.3679], dtype=float32)
    """
    return exp_log.exp(expon_logsf(x, loc, scale))


def expon_logsf(x, loc=0, scale=1) -> Array:
    """Log of the exponential survival function, ``-(x - loc) / scale`` (0 below ``loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> expon.logsf(tnp.asarray([-1.0, 3.0]))
    Array([ 0., -3.], dtype=float32)
    """
    x, loc, scale, z = _standardize("expon.logsf", x, loc, scale)
    return uf.where(x < loc, 0, -z)


def expon_ppf(q, loc=0, scale=1) -> Array:
    """The exponential quantile function, ``loc - scale * log1p(-q)`` (NaN outside
    ``[0, 1]``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import expon
    >>> tnp.round(expon.ppf(tnp.asarray([0.0, 0.5, 1.0])), 4)
    Array([0.    , 0.6931,    inf], dtype=float32)
    """
    q, loc, scale = _real("expon.ppf", q, loc, scale)
    return uf.where(_outside_unit(q), _NAN, loc - scale * exp_log.log1p(-q))


# --------------------------------------------------------------------------------------------
# laplace


def laplace_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the Laplace density ``exp(-|x - loc| / scale) / (2 scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import laplace
    >>> tnp.round(laplace.logpdf(tnp.asarray([0.0, 1.0])), 4)
    Array([-0.6931, -1.6931], dtype=float32)
    """
    x, loc, scale, z = _standardize("laplace.logpdf", x, loc, scale)
    return -uf.absolute(z) - exp_log.log(2 * scale)


def laplace_pdf(x, loc=0, scale=1) -> Array:
    """The Laplace density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import laplace
    >>> tnp.round(laplace.pdf(tnp.asarray([0.0, 1.0])), 4)
    Array([0.5   , 0.1839], dtype=float32)
    """
    return exp_log.exp(laplace_logpdf(x, loc, scale))


def laplace_cdf(x, loc=0, scale=1) -> Array:
    """The Laplace CDF: ``exp(z) / 2`` for ``z = (x - loc) / scale <= 0``, else
    ``1 - exp(-z) / 2``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import laplace
    >>> tnp.round(laplace.cdf(tnp.asarray([-1.0, 0.0, 1.0])), 4)
    Array([0.1839, 0.5   , 0.8161], dtype=float32)
    """
    x, loc, scale, z = _standardize("laplace.cdf", x, loc, scale)
    left = z <= 0
    # exp(-|z|) / 2 with the derivative of the branch taken (1/2 at 0, where |z|' is 0);
    # neither branch overflows, so the gradient has no inf * 0.
    half_tail = 0.5 * exp_log.exp(uf.where(left, z, -z))
    return uf.where(left, half_tail, 1 - half_tail)


# --------------------------------------------------------------------------------------------
# logistic


def logistic_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the logistic density, ``-2 logaddexp(z / 2, -z / 2) - log(scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.logpdf(tnp.asarray([0.0, 100.0])), 4)
    Array([  -1.3863, -100.    ], dtype=float32)
    """
    x, loc, scale, z = _standardize("logistic.logpdf", x, loc, scale)
    return -2 * exp_log.logaddexp(z / 2, -z / 2) - exp_log.log(scale)


def logistic_pdf(x, loc=0, scale=1) -> Array:
    """The logistic density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.pdf(tnp.asarray([0.0, 1.0])), 4)
    Array([0.25  , 0.1966], dtype=float32)
    """
    return exp_log.exp(logistic_logpdf(x, loc, scale))


def logistic_cdf(x, loc=0, scale=1) -> Array:
    """The logistic CDF, ``expit((x - loc) / scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.cdf(tnp.asarray([0.0, 1.0])), 4)
    Array([0.5   , 0.7311], dtype=float32)
    """
    return expit(_standardize("logistic.cdf", x, loc, scale)[3])


def logistic_sf(x, loc=0, scale=1) -> Array:
    """The logistic survival function, ``expit(-(x - loc) / scale)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.sf(tnp.asarray([0.0, 1.0])), 4)
    Array([0.5   , 0.2689], dtype=float32)
    """
    return expit(-_standardize("logistic.sf", x, loc, scale)[3])


def logistic_ppf(q, loc=0, scale=1) -> Array:
    """The logistic quantile function, ``loc + scale * logit(q)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.ppf(tnp.asarray([0.5, 0.75])), 4)
    Array([0.    , 1.0986], dtype=float32)
    """
    q, loc, scale = _real("logistic.ppf", q, loc, scale)
    return loc + scale * logit(q)


def logistic_isf(q, loc=0, scale=1) -> Array:
    """The logistic inverse survival function, ``loc - scale * logit(q)``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import logistic
    >>> tnp.round(logistic.isf(tnp.asarray([0.5, 0.25])), 4)
    Array([0.    , 1.0986], dtype=float32)
    """
    q, loc, scale = _real("logistic.isf", q, loc, scale)
    return loc - scale * logit(q)


# --------------------------------------------------------------------------------------------
# uniform


def uniform_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the uniform density on ``[loc, loc + scale]``: ``-log(scale)`` inside, ``-inf``
    outside.

    Examples
    --------
    >>> from tensorlib.scipy.stats import uniform
    >>> tnp.round(uniform.logpdf(tnp.asarray([-1.0, 1.0, 3.0]), 0.0, 2.0), 4)
    Array([   -inf, -0.6931,    -inf], dtype=float32)
    """
    x, loc, scale = _real("uniform.logpdf", x, loc, scale)
    outside = (x < loc) | (x > loc + scale)
    return uf.where(floating.isnan(x), _NAN, uf.where(outside, -_INF, -exp_log.log(scale)))


def uniform_pdf(x, loc=0, scale=1) -> Array:
    """The uniform density on ``[loc, loc + scale]``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import uniform
    >>> uniform.pdf(tnp.asarray([-1.0, 1.0, 3.0]), 0.0, 2.0)
    Array([0. , 0.5, 0. ], dtype=float32)
    """
    return exp_log.exp(uniform_logpdf(x, loc, scale))


def uniform_cdf(x, loc=0, scale=1) -> Array:
    """The uniform CDF, ``(x - loc) / scale`` clipped to ``[0, 1]``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import uniform
    >>> uniform.cdf(tnp.asarray([-1.0, 0.5, 3.0]), 0.0, 2.0)
    Array([0.  , 0.25, 1.  ], dtype=float32)
    """
    x, loc, scale, z = _standardize("uniform.cdf", x, loc, scale)
    return uf.where(x < loc, 0, uf.where(x > loc + scale, 1, z))


def uniform_ppf(q, loc=0, scale=1) -> Array:
    """The uniform quantile function, ``loc + scale * q`` (NaN outside ``[0, 1]``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import uniform
    >>> uniform.ppf(tnp.asarray([0.0, 0.25, 2.0]), 1.0, 2.0)
    Array([1. , 1.5, nan], dtype=float32)
    """
    q, loc, scale = _real("uniform.ppf", q, loc, scale)
    return uf.where(_outside_unit(q), _NAN, loc + scale * q)


# --------------------------------------------------------------------------------------------
# cauchy


def cauchy_logpdf(x, loc=0, scale=1) -> Array:
    """Log of the Cauchy density ``1 / (π scale (1 + z²))``, ``z = (x - loc) / scale``.

    ``log1p(z²)`` is taken as ``2 log|z| + log1p(1 / z²)`` for ``|z| > 1``, so that ``z²``
    does not overflow.

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.logpdf(tnp.asarray([0.0, 1.0, 1e30])), 4)
    Array([  -1.1447,   -1.8379, -139.2998], dtype=float32)
    """
    x, loc, scale, z = _standardize("cauchy.logpdf", x, loc, scale)
    big = uf.absolute(z) > 1
    z_big, z_small = uf.where(big, uf.absolute(z), 2), uf.where(big, 0, z)
    log1p_z2 = uf.where(big, 2 * exp_log.log(z_big) + exp_log.log1p(1 / (z_big * z_big)),
                        exp_log.log1p(z_small * z_small))
    return -exp_log.log(math.pi * scale) - log1p_z2


def cauchy_pdf(x, loc=0, scale=1) -> Array:
    """The Cauchy density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.pdf(tnp.asarray([0.0, 1.0])), 4)
    Array([0.3183, 0.1592], dtype=float32)
    """
    return exp_log.exp(cauchy_logpdf(x, loc, scale))


def cauchy_cdf(x, loc=0, scale=1) -> Array:
    """The Cauchy CDF ``1/2 + arctan(z) / π``, computed as ``arctan2(1, -z) / π`` so that the
    left tail keeps its relative precision.

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.cdf(tnp.asarray([-1.0, 0.0, 1.0])), 4)
    Array([0.25, 0.5 , 0.75], dtype=float32)
    """
    return _cauchy_cdf(_standardize("cauchy.cdf", x, loc, scale)[3])


def _cauchy_cdf(z):
    return trigonometric.arctan2(1.0, -z) / math.pi


def _log_cdf_or_log1p_sf(cdf, sf, z):
    """``log(cdf)`` where ``cdf <= 1/2`` (``z <= 0``), ``log1p(-sf)`` above: both keep their
    digits."""
    return uf.where(z <= 0, exp_log.log(cdf), exp_log.log1p(-sf))


def cauchy_logcdf(x, loc=0, scale=1) -> Array:
    """Log of the Cauchy CDF (``log1p(-sf)`` above the median, so both tails keep their
    digits).

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.logcdf(tnp.asarray([0.0, -1e10])), 4)
    Array([ -0.6931, -24.1706], dtype=float32)
    """
    x, loc, scale, z = _standardize("cauchy.logcdf", x, loc, scale)
    return _log_cdf_or_log1p_sf(_cauchy_cdf(z), _cauchy_cdf(-z), z)


def cauchy_sf(x, loc=0, scale=1) -> Array:
    """The Cauchy survival function, ``arctan2(1, z) / π``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.sf(tnp.asarray([-1.0, 0.0, 1.0])), 4)
    Array([0.75, 0.5 , 0.25], dtype=float32)
    """
    return _cauchy_cdf(-_standardize("cauchy.sf", x, loc, scale)[3])


def cauchy_logsf(x, loc=0, scale=1) -> Array:
    """Log of the Cauchy survival function (``log1p(-cdf)`` below the median).

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.logsf(tnp.asarray([0.0, 1e10])), 4)
    Array([ -0.6931, -24.1706], dtype=float32)
    """
    x, loc, scale, z = _standardize("cauchy.logsf", x, loc, scale)
    return _log_cdf_or_log1p_sf(_cauchy_cdf(-z), _cauchy_cdf(z), -z)


def _cauchy_std_ppf(q):
    """``tan(π (q - 1/2))``: as ``-1 / tan(π q)`` and ``1 / tan(π (1 - q))`` in the tails, where
    ``π q - π/2`` would lose the digits of ``q`` (and in float32 even the sign)."""
    low, high = q < 0.25, q > 0.75
    mid = ~(low | high)
    centre = trigonometric.tan(math.pi * (uf.where(mid, q, 0.5) - 0.5))
    left = -1 / trigonometric.tan(math.pi * uf.where(low, q, 0.125))
    right = 1 / trigonometric.tan(math.pi * (1 - uf.where(high, q, 0.875)))
    out = uf.where(low, left, uf.where(high, right, centre))
    return uf.where(_outside_unit(q), _NAN, out)


def cauchy_ppf(q, loc=0, scale=1) -> Array:
    """The Cauchy quantile function, ``loc + scale * tan(π (q - 1/2))`` (NaN outside
    ``[0, 1]``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.ppf(tnp.asarray([0.25, 0.5, 0.75])), 4)
    Array([-1.,  0.,  1.], dtype=float32)
    """
    q, loc, scale = _real("cauchy.ppf", q, loc, scale)
    return loc + scale * _cauchy_std_ppf(q)


def cauchy_isf(q, loc=0, scale=1) -> Array:
    """The Cauchy inverse survival function, ``loc - scale * tan(π (q - 1/2))``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import cauchy
    >>> tnp.round(cauchy.isf(tnp.asarray([0.25, 0.5, 0.75])), 4)
    Array([ 1.,  0., -1.], dtype=float32)
    """
    q, loc, scale = _real("cauchy.isf", q, loc, scale)
    return loc - scale * _cauchy_std_ppf(q)


# --------------------------------------------------------------------------------------------
# t


def t_logpdf(x, df, loc=0, scale=1) -> Array:
    """Log of Student's t density with ``df`` degrees of freedom.

    ``-(df + 1)/2 log1p(z² / df) - log(df)/2 - betaln(df/2, 1/2) - log(scale)``: ``betaln``
    keeps large ``df`` accurate (JAX's difference of two ``gammaln`` does not), and
    ``df = inf`` gives the normal density, as in SciPy.

    Examples
    --------
    >>> from tensorlib.scipy.stats import t
    >>> tnp.round(t.logpdf(tnp.asarray([0.0, 1.0]), 1.0), 4)
    Array([-1.1447, -1.8379], dtype=float32)
    """
    x, df, loc, scale = _real("t.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    infinite = floating.isposinf(df)
    nu = uf.where(infinite, 1, df)
    finite = (-0.5 * (nu + 1) * exp_log.log1p(z * z / nu) - 0.5 * exp_log.log(nu)
              - betaln(0.5 * nu, 0.5))
    gauss = -0.5 * (z * z) - 0.5 * _LOG_2PI
    return uf.where(infinite, gauss, finite) - exp_log.log(scale)


def t_pdf(x, df, loc=0, scale=1) -> Array:
    """Student's t density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import t
    >>> tnp.round(t.pdf(tnp.asarray([0.0, 1.0]), 1.0), 4)
    Array([0.3183, 0.1592], dtype=float32)
    """
    return exp_log.exp(t_logpdf(x, df, loc, scale))


# --------------------------------------------------------------------------------------------
# multivariate_normal


def multivariate_normal_logpdf(x, mean, cov, allow_singular=None) -> Array:
    """Log of the multivariate normal density, through the Cholesky factor of ``cov``.

    ``mean`` of shape ``(..., n)`` with ``cov`` of shape ``(..., n, n)`` (or a scalar: an
    isotropic variance); a scalar ``mean`` makes it univariate with variance ``cov``. Batch
    axes broadcast. ``allow_singular`` is not supported (as in JAX).

    Examples
    --------
    >>> from tensorlib.scipy.stats import multivariate_normal
    >>> cov = tnp.asarray([[2.0, 0.0], [0.0, 0.5]])
    >>> tnp.round(multivariate_normal.logpdf(tnp.zeros(2), tnp.zeros(2), cov), 4)
    Array(-1.8379, dtype=float32)
    """
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not "
                                  "supported; pass a positive-definite cov")
    x, mean, cov = _promoted(x, mean, cov)
    if mean.ndim == 0:
        return -0.5 * (x - mean) ** 2 / cov - 0.5 * (_LOG_2PI + exp_log.log(cov))
    n = mean.shape[-1]
    y = x - mean
    if cov.ndim == 0:
        maha = red.sum(y * y, axis=-1) / cov
        return -0.5 * maha - 0.5 * n * (_LOG_2PI + exp_log.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ShapeError(f"multivariate_normal.logpdf: cov has {cov.aval.str_short()} but mean "
                         f"has {mean.aval.str_short()}; cov must be (..., {n}, {n}) or a scalar")
    chol = tla.cholesky(cov)
    batch = broadcast_shapes(chol.shape[:-2], y.shape[:-1], op="multivariate_normal.logpdf")
    chol = broadcast_to(chol, batch + (n, n))
    y = broadcast_to(y, batch + (n,))
    z = la.triangular_solve(chol, shape_ops.expand_dims(y, -1), left_side=True, lower=True)
    maha = red.sum(z * z, axis=(-2, -1))
    log_det = red.sum(exp_log.log(diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * maha - 0.5 * n * _LOG_2PI - log_det


def _promoted(*args):
    """Dtype promotion without broadcasting (the arguments have different ranks)."""
    arrs = promote_dtypes(*(asarray(a) for a in args))
    if not dtypes.is_inexact(arrs[0].dtype):
        dt = dtypes.to_inexact(arrs[0].dtype)
        return [convert_element_type(a, dt) for a in arrs]
    return arrs


def multivariate_normal_pdf(x, mean, cov) -> Array:
    """The multivariate normal density.

    Examples
    --------
    >>> from tensorlib.scipy.stats import multivariate_normal
    >>> tnp.round(multivariate_normal.pdf(tnp.zeros(2), tnp.zeros(2), tnp.eye(2)), 4)
    Array(0.1592, dtype=float32)
    """
    return exp_log.exp(multivariate_normal_logpdf(x, mean, cov))

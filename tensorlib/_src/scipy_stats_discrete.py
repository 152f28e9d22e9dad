"""Discrete distributions (``tensorlib.scipy.stats.bernoulli`` and ``poisson``), as in
``jax.scipy.stats``; the conventions of ``scipy_stats`` (promotion, broadcasting, NaN) hold.
"""

from __future__ import annotations

import math

from tensorlib._src import dtypes
from tensorlib._src.control.custom import custom_jvp
from tensorlib._src.control.loops import while_loop
from tensorlib._src.core import Array
from tensorlib._src.numpy import creation, exp_log, floating, rounding, shape_ops
from tensorlib._src.numpy import reductions as red
from tensorlib._src.numpy import ufuncs as uf
from tensorlib._src.scipy_special import (
    _real,
    _stirling_delta,
    xlog1py,
    xlogy,
)
from tensorlib._src.scipy_stats import _INF, _NAN, _outside_unit

# --------------------------------------------------------------------------------------------
# bernoulli


def _not_integer(x):
    return rounding.floor(x) != x


def bernoulli_logpmf(k, p, loc=0) -> Array:
    """Log of the Bernoulli probability mass: ``log(p)`` at ``k = 1``, ``log1p(-p)`` at 0.

    ``-inf`` elsewhere, non-integer ``k`` included (as SciPy; JAX interpolates). Through
    ``xlogy``, the gradient in ``p`` is finite at ``p = 0`` and ``p = 1``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import bernoulli
    >>> tnp.round(bernoulli.logpmf(tnp.asarray([0.0, 1.0, 2.0]), 0.25), 4)
    Array([-0.2877, -1.3863,    -inf], dtype=float32)
    """
    k, p, loc = _real("bernoulli.logpmf", k, p, loc)
    x = k - loc
    out = xlogy(x, p) + xlog1py(1 - x, -p)
    out = uf.where((x < 0) | (x > 1) | _not_integer(x), -_INF, out)
    return uf.where(floating.isnan(x) | floating.isnan(p), _NAN, out)


def bernoulli_pmf(k, p, loc=0) -> Array:
    """The Bernoulli probability mass.

    Examples
    --------
    >>> from tensorlib.scipy.stats import bernoulli
    >>> bernoulli.pmf(tnp.asarray([0.0, 1.0, 2.0]), 0.25)
    Array([0.75, 0.25, 0.  ], dtype=float32)
    """
    return exp_log.exp(bernoulli_logpmf(k, p, loc))


def bernoulli_cdf(k, p) -> Array:
    """The Bernoulli CDF: 0 below 0, ``1 - p`` on ``[0, 1)``, 1 from 1 (NaN for ``p`` outside
    ``[0, 1]``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import bernoulli
    >>> bernoulli.cdf(tnp.asarray([-1.0, 0.5, 1.0]), 0.25)
    Array([0.  , 0.75, 1.  ], dtype=float32)
    """
    k, p = _real("bernoulli.cdf", k, p)
    out = uf.where(k < 0, 0, uf.where(k < 1, 1 - p, 1))
    return uf.where(floating.isnan(k) | _outside_unit(p), _NAN, out)


def bernoulli_ppf(q, p) -> Array:
    """The Bernoulli quantile function: 0 where ``q <= 1 - p``, else 1 (NaN outside
    ``[0, 1]``; 0 at ``q = 0``, as JAX, where SciPy gives -1).

    Examples
    --------
    >>> from tensorlib.scipy.stats import bernoulli
    >>> bernoulli.ppf(tnp.asarray([0.5, 0.75, 0.8]), 0.25)
    Array([0., 0., 1.], dtype=float32)
    """
    q, p = _real("bernoulli.ppf", q, p)
    return uf.where(_outside_unit(q) | _outside_unit(p), _NAN, (q > 1 - p).astype(q.dtype))


# --------------------------------------------------------------------------------------------
# poisson


def _poisson_logpmf(x, mu):
    """``x log(mu) - gammaln(x + 1) - mu`` for integers ``x >= 0``.

    From ``x = 8`` on (and ``mu > 0``) as ``-mu ((1 + d) log1p(d) - d) - log(2π x)/2 - δ(x)``
    with ``d = x / mu - 1`` and ``δ`` the Stirling remainder of ``gammaln``: the terms of the
    direct form are as large as ``x log x`` and cancel, this one has no cancellation (Loader's
    ``bd0`` idea, as SciPy's ``dpois``). Below 8, ``log(x!)`` is summed from constants: XLA's
    float32 ``lgamma(1)`` is 5e-7, not 0."""
    big = (x >= 8) & (mu > 0)
    x_b, mu_b = uf.where(big, x, 8), uf.where(big, mu, 1)
    log_factorial = 0
    for j in range(2, 8):
        log_factorial = log_factorial + uf.where(x >= j, math.log(j), 0)
    direct = xlogy(x, mu) - log_factorial - mu
    d = (x_b - mu_b) / mu_b
    deviance = mu_b * ((1 + d) * exp_log.log1p(d) - d)
    stirling = -deviance - 0.5 * exp_log.log(2 * math.pi * x_b) - _stirling_delta(x_b)
    return uf.where(big, stirling, direct)


def poisson_logpmf(k, mu, loc=0) -> Array:
    """Log of the Poisson probability mass ``mu**k exp(-mu) / k!`` (``-inf`` for negative,
    infinite or non-integer ``k - loc``).

    Examples
    --------
    >>> from tensorlib.scipy.stats import poisson
    >>> tnp.round(poisson.logpmf(tnp.asarray([0.0, 2.0, -1.0]), 2.0), 4)
    Array([-2.    , -1.3069,    -inf], dtype=float32)
    """
    k, mu, loc = _real("poisson.logpmf", k, mu, loc)
    x = k - loc
    invalid = (x < 0) | _not_integer(x) | floating.isinf(x)
    # (the invalid points are computed at 0: the Stirling branch would make NaN of inf)
    out = uf.where(invalid, -_INF, _poisson_logpmf(uf.where(invalid, 0, x), mu))
    return uf.where(floating.isnan(x) | floating.isnan(mu), _NAN, out)


def poisson_pmf(k, mu, loc=0) -> Array:
    """The Poisson probability mass.

    Examples
    --------
    >>> from tensorlib.scipy.stats import poisson
    >>> tnp.round(poisson.pmf(tnp.asarray([0.0, 1.0, 2.0]), 2.0), 4)
    Array([0.1353, 0.2707, 0.2707], dtype=float32)
    """
    return exp_log.exp(poisson_logpmf(k, mu, loc))


def poisson_cdf(k, mu, loc=0) -> Array:
    """The Poisson CDF, ``sum(pmf(j) for j <= floor(k - loc))``.

    Summed from ``floor(k - loc)`` down where that is below ``mu - 1``, else ``1 - sf`` with
    the survival function summed upwards: both sums have decreasing terms, and stop once the
    geometric bound on what is left is below the dtype's precision (a ``while_loop``). The
    derivative in ``mu`` is ``-pmf(floor(k - loc))``.

    Examples
    --------
    >>> from tensorlib.scipy.stats import poisson
    >>> tnp.round(poisson.cdf(tnp.asarray([-1.0, 0.0, 2.0, 2.5]), 2.0), 4)
    Array([0.    , 0.1353, 0.6767, 0.6767], dtype=float32)
    """
    k, mu, loc = _real("poisson.cdf", k, mu, loc)
    return _poisson_cdf(rounding.floor(k - loc), mu)


@custom_jvp
def _poisson_cdf(n, mu):
    valid = (n >= 0) & floating.isfinite(n) & (mu >= 0) & floating.isfinite(mu)
    n_s, mu_s = uf.where(valid, n, 0), uf.where(valid, mu, 1)
    down = mu_s > n_s + 1
    j = uf.where(down, n_s, n_s + 1)
    term = exp_log.exp(_poisson_logpmf(j, mu_s))
    eps = float(dtypes.finfo(n.dtype).eps)

    def ratio(j):  # pmf(next j) / pmf(j)
        return uf.where(down, j / mu_s, mu_s / (j + 1))

    def going(term, total, j):  # whether the tail left could still matter: term r / (1 - r)
        r = ratio(j)
        return term * r > eps * total * (1 - r)

    def body(state):
        j, term, total, active = state
        term = uf.where(active, term * ratio(j), 0)
        j = uf.where(active, uf.where(down, j - 1, j + 1), j)
        total = total + term
        return j, term, total, active & going(term, total, j)

    state = (j, term, term, going(term, term, j))
    _, _, total, _ = while_loop(lambda s: red.any(s[3]), body, state)
    out = uf.where(down, total, 1 - total)
    out = uf.where(n < 0, 0, uf.where(floating.isposinf(n), 1, out))
    out = uf.where(floating.isposinf(mu) & floating.isfinite(n), 0, out)
    return uf.where(floating.isnan(n) | floating.isnan(mu) | (mu < 0), _NAN, out)


def _poisson_cdf_dmu(t, out, n, mu):
    invalid = n < 0
    pmf = exp_log.exp(_poisson_logpmf(uf.where(invalid, 0, n), mu))
    return uf.where(invalid, 0, -t * pmf)


_poisson_cdf.defjvps(None, _poisson_cdf_dmu)

# entropy: the sum over k < _ENTROPY_TERMS for mu below _ENTROPY_SERIES_FROM (whose mass beyond
# the last term is below 1e-20), the asymptotic series (error ~ 0.36 / mu**5) above.
_ENTROPY_TERMS, _ENTROPY_SERIES_FROM = 700, 400.0
_ENTROPY_SERIES = (-1 / 12, -1 / 24, -19 / 360, -9 / 80)


def poisson_entropy(mu, loc=0) -> Array:
    """The entropy of the Poisson distribution, ``-sum(pmf(k) logpmf(k))`` (``loc`` only
    broadcasts).

    The sum over ``k < 700`` for ``mu < 400``, the asymptotic series
    ``log(2πe mu)/2 - 1/(12 mu) - 1/(24 mu²) - 19/(360 mu³) - 9/(80 mu⁴)`` above.

    Examples
    --------
    >>> from tensorlib.scipy.stats import poisson
    >>> tnp.round(poisson.entropy(tnp.asarray([0.0, 1.0, 1000.0])), 4)
    Array([0.    , 1.3048, 4.8727], dtype=float32)
    """
    mu, loc = _real("poisson.entropy", mu, loc)
    small = mu < _ENTROPY_SERIES_FROM
    mu_s = uf.where(small & (mu > 0), mu, 1)
    k = shape_ops.reshape(creation.arange(_ENTROPY_TERMS, dtype=mu.dtype),
                          (_ENTROPY_TERMS,) + (1,) * mu.ndim)
    logpmf = _poisson_logpmf(k, mu_s)
    by_sum = -red.sum(exp_log.exp(logpmf) * logpmf, axis=0)
    mu_l = uf.where(small, _ENTROPY_SERIES_FROM, mu)
    inv = 1 / mu_l
    series = 0
    for c in reversed(_ENTROPY_SERIES):
        series = (series + c) * inv
    by_series = 0.5 * exp_log.log(2 * math.pi * math.e * mu_l) + series
    out = uf.where(small, uf.where(mu == 0, 0, by_sum), by_series)
    return uf.where(mu < 0, _NAN, out)

"""Continuous distributions built on ``uniform``/``normal``: gumbel, exponential, laplace,
logistic, cauchy, rademacher, pareto, lognormal and truncated normal.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import comparison, exp_log
from tensorlib._src.numpy import ufuncs as ufn
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.random import _normal_real, _uniform, bernoulli
from tensorlib._src.random_checks import (
    _as_dtype,
    _canon_shape,
    _check_dtype,
    _check_key,
    _float_dtype,
    _shape_or_broadcast,
)
from tensorlib._src.random_keys import _row
from tensorlib._src.threefry import _const

# --------------------------------------------------------------------------------------------
# Distributions built on uniform


def _float_sampler(name, key, shape, dtype):
    return _check_key(name, key), _canon_shape(name, shape), _float_dtype(name, dtype)


def gumbel(key, shape=(), dtype=None, mode=None) -> Array:
    """Standard Gumbel samples ``-log(-log(u))``; ``mode="high"`` doubles the uniform bits.

    Examples
    --------
    >>> tnp.round(tl.random.gumbel(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 2.923,  3.833, -0.097], dtype=float32)
    """
    key, shape, dt = _float_sampler("gumbel", key, shape, dtype)
    return _gumbel(key, shape, dt, mode)


def _gumbel(key, shape, dt, mode) -> Array:
    mode = "low" if mode is None else mode
    info = dtypes.finfo(dt)
    if mode == "low":
        u = _uniform(key, shape, dt, float(info.tiny), 1.0, name="gumbel")
        return ufn.negative(exp_log.log(ufn.negative(exp_log.log(u))))
    if mode != "high":
        raise ValueError(f"gumbel: mode={mode!r} is not supported; use 'low' or 'high'")
    u = _uniform(key, (2,) + shape, dt, 0.0, 1.0, name="gumbel")
    high, low = _row(u, 0), _row(u, 1)
    x = ufn.add(ufn.add(high, ufn.multiply(2.0 ** -info.nmant, low)), float(info.tiny))
    x = ew.select_n(comparison.greater_equal(high, 0.5), x, high)
    return ufn.negative(exp_log.log(ufn.negative(exp_log.log1p(ufn.negative(x)))))


def exponential(key, shape=(), dtype=None) -> Array:
    """Standard exponential samples ``-log1p(-u)``.

    Examples
    --------
    >>> tnp.round(tl.random.exponential(tl.random.PRNGKey(0), (3,)), 3)
    Array([2.95 , 3.843, 0.404], dtype=float32)
    """
    key, shape, dt = _float_sampler("exponential", key, shape, dtype)
    return _exponential(key, shape, dt)


def _exponential(key, shape, dt) -> Array:
    u = _uniform(key, shape, dt, 0.0, 1.0, name="exponential")
    return ew.neg(ew.log1p(ew.neg(u)))


def laplace(key, shape=(), dtype=None) -> Array:
    """Standard Laplace samples ``sign(u) * log1p(-|u|)``, ``u`` uniform in ``(-1, 1)``.

    Examples
    --------
    >>> tnp.round(tl.random.laplace(tl.random.PRNGKey(0), (3,)), 3)
    Array([-2.257, -3.15 ,  0.409], dtype=float32)
    """
    key, shape, dt = _float_sampler("laplace", key, shape, dtype)
    lo = -1.0 + float(dtypes.finfo(dt).epsneg)
    u = _uniform(key, shape, dt, lo, 1.0, name="laplace")
    return ew.mul(ew.sign(u), ew.log1p(ew.neg(ew.abs(u))))


def logistic(key, shape=(), dtype=None) -> Array:
    """Standard logistic samples ``log(u) - log1p(-u)``.

    Examples
    --------
    >>> tnp.round(tl.random.logistic(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 2.896,  3.822, -0.698], dtype=float32)
    """
    key, shape, dt = _float_sampler("logistic", key, shape, dtype)
    u = _uniform(key, shape, dt, float(dtypes.finfo(dt).tiny), 1.0, name="logistic")
    return ew.sub(ew.log(u), ew.log1p(ew.neg(u)))


def cauchy(key, shape=(), dtype=None) -> Array:
    """Standard Cauchy samples ``tan(pi * (u - 0.5))``.

    Examples
    --------
    >>> tnp.round(tl.random.cauchy(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 6.027, 14.838, -0.582], dtype=float32)
    """
    key, shape, dt = _float_sampler("cauchy", key, shape, dtype)
    u = _uniform(key, shape, dt, float(dtypes.finfo(dt).eps), 1.0, name="cauchy")
    return ew.tan(ew.mul(_const(shape, np.pi, dt), ew.sub(u, _const(shape, 0.5, dt))))


def rademacher(key, shape=(), dtype=None) -> Array:
    """Random signs: -1 or +1 with equal probability (default int dtype).

    Examples
    --------
    >>> tl.random.rademacher(tl.random.PRNGKey(0), (6,))
    Array([-1, -1,  1,  1, -1,  1], dtype=int32)
    """
    key = _check_key("rademacher", key)
    shape = _canon_shape("rademacher", shape)
    dt = _check_dtype("rademacher", dtype, dtypes.default_int,
                      lambda d: not dtypes.is_bool(d), "a numeric")
    b = ew.convert_element_type(bernoulli(key, 0.5, shape), dt)
    return ew.sub(ew.mul(_const(shape, 2, dt), b), _const(shape, 1, dt))


def pareto(key, b, shape=None, dtype=None) -> Array:
    """Pareto samples ``exp(e / b)`` with ``e`` standard exponential.

    Examples
    --------
    >>> tnp.round(tl.random.pareto(tl.random.PRNGKey(0), 3.0, (3,)), 3)
    Array([2.673, 3.601, 1.144], dtype=float32)
    """
    key = _check_key("pareto", key)
    dt = _float_dtype("pareto", dtype)
    shape = _shape_or_broadcast("pareto", shape, b)
    return exp_log.exp(ufn.divide(_exponential(key, shape, dt), _as_dtype(b, dt)))


def lognormal(key, sigma=1.0, shape=None, dtype=None) -> Array:
    """Log-normal samples ``exp(sigma * normal)``.

    Examples
    --------
    >>> tnp.round(tl.random.lognormal(tl.random.PRNGKey(0), 0.5, (3,)), 3)
    Array([2.251, 2.753, 0.805], dtype=float32)
    """
    key = _check_key("lognormal", key)
    dt = _float_dtype("lognormal", dtype)
    shape = _shape_or_broadcast("lognormal", shape, sigma)
    return exp_log.exp(ufn.multiply(_normal_real(key, shape, dt), _as_dtype(sigma, dt)))


def truncated_normal(key, lower, upper, shape=None, dtype=None) -> Array:
    """Standard normal samples conditioned on ``lower < x < upper`` (inverse-CDF method).

    ``shape`` defaults to the broadcast of ``lower`` and ``upper``. Values match JAX to a few
    ulp (the ``erf`` and ``erf_inv`` kernels differ).

    Examples
    --------
    >>> tnp.round(tl.random.truncated_normal(tl.random.PRNGKey(0), -1.0, 1.0, (3,)), 3)
    Array([ 0.862,  0.941, -0.291], dtype=float32)
    """
    from tensorlib._src.api import stop_gradient

    key = _check_key("truncated_normal", key)
    dt = _float_dtype("truncated_normal", dtype)
    shape = _shape_or_broadcast("truncated_normal", shape, lower, upper)
    lower, upper = _as_dtype(lower, dt), _as_dtype(upper, dt)
    sqrt2 = float(np.sqrt(2))
    a = ew.erf(ufn.divide(lower, _as_dtype(sqrt2, dt)))
    b = ew.erf(ufn.divide(upper, _as_dtype(sqrt2, dt)))
    u = _uniform(key, shape, dt, a, b, name="truncated_normal")
    out = ew.mul(_const(shape, sqrt2, dt), ew.erf_inv(u))
    lo, hi = stop_gradient(lower), stop_gradient(upper)
    lo = ew.nextafter(lo, _const(lo.shape, np.inf, dt))
    hi = ew.nextafter(hi, _const(hi.shape, -np.inf, dt))
    return ufn.minimum(ufn.maximum(out, lo), hi)



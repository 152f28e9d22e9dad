"""Special functions (``tensorlib.scipy.special``), as in ``jax.scipy.special``.

Every function is a composition of ``tensorlib.numpy`` functions and primitives, so it
differentiates, stages and batches like any other tensorlib code. Integer and boolean inputs
become the default float. Where a derivative would otherwise come out as NaN at a point where
the function is defined (``xlogy(0, 0)``, ``logit(0)``) or through an iterative refinement
(``ndtri``), a ``custom_jvp`` states it.
"""

from __future__ import annotations

import math

from tensorlib._src import dtypes
from tensorlib._src import nn as _nn
from tensorlib._src.control.custom import custom_jvp
from tensorlib._src.core import Array
from tensorlib._src.numpy import comparison as cmp
from tensorlib._src.numpy import creation, exp_log, floating
from tensorlib._src.numpy import ufuncs as uf
from tensorlib._src.numpy.promotion import asarray, promote_args_inexact
from tensorlib._src.ops import elementwise as ew
from tensorlib.errors import DTypeError

__all__ = [
    "betaln", "digamma", "entr", "erf", "erfc", "erfinv", "expit", "gammaln", "log_ndtr",
    "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "softmax", "xlog1py", "xlogy",
]

logsumexp = _nn.logsumexp

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _floats(name, *args):
    """The arguments promoted together and broadcast, integers and booleans as floats."""
    return promote_args_inexact(name, *(asarray(a) for a in args))


def _real(name, *args):
    """``_floats``, refusing complex dtypes (the real-only functions)."""
    arrs = _floats(name, *args)
    if dtypes.is_complex(arrs[0].dtype):
        raise DTypeError(f"{name}: argument 0 has {arrs[0].aval.str_short()} but {name} is "
                         "defined for real arguments only; pass the real part, e.g. x.real")
    return arrs


def _one(name, x):
    (x,) = _real(name, x)
    return x


# --------------------------------------------------------------------------------------------
# the lax special functions, with promotion


def gammaln(x) -> Array:
    """Log of the absolute value of the gamma function, ``log|Γ(x)|``.

    Examples
    --------
    >>> from tensorlib.scipy.special import gammaln
    >>> tnp.round(gammaln(tnp.asarray([1.0, 4.0, 0.5])), 4)
    Array([0.    , 1.7918, 0.5724], dtype=float32)
    """
    return ew.lgamma(_one("gammaln", x))


def digamma(x) -> Array:
    """The digamma function ``ψ(x)``, the derivative of ``gammaln``.

    Examples
    --------
    >>> from tensorlib.scipy.special import digamma
    >>> tnp.round(digamma(tnp.asarray([1.0, 4.0])), 4)
    Array([-0.5772,  1.2561], dtype=float32)
    """
    return ew.digamma(_one("digamma", x))


def erf(x) -> Array:
    """The error function, ``2/√π ∫_0^x exp(-t²) dt``.

    Examples
    --------
    >>> from tensorlib.scipy.special import erf
    >>> tnp.round(erf(tnp.asarray([0.0, 1.0, -2.0])), 4)
    Array([ 0.    ,  0.8427, -0.9953], dtype=float32)
    """
    return ew.erf(_one("erf", x))


def erfc(x) -> Array:
    """The complementary error function, ``1 - erf(x)``, accurate where it is small.

    Examples
    --------
    >>> from tensorlib.scipy.special import erfc
    >>> tnp.round(erfc(tnp.asarray([0.0, 1.0, -2.0])), 4)
    Array([1.    , 0.1573, 1.9953], dtype=float32)
    """
    return ew.erfc(_one("erfc", x))


def erfinv(x) -> Array:
    """The inverse of ``erf`` on ``[-1, 1]`` (``±inf`` at ``±1``, NaN outside).

    Examples
    --------
    >>> from tensorlib.scipy.special import erfinv
    >>> tnp.round(erfinv(tnp.asarray([0.0, 0.5, -0.5])), 4)
    Array([ 0.    ,  0.4769, -0.4769], dtype=float32)
    """
    return ew.erf_inv(_one("erfinv", x))


def expit(x) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Computed as ``1 / (1 + exp(-x))`` for ``x >= 0`` and ``exp(x) / (1 + exp(x))`` below, so
    that the left tail keeps its relative precision.

    Examples
    --------
    >>> from tensorlib.scipy.special import expit
    >>> expit(tnp.asarray([0.0, 50.0, -50.0])) > 0
    Array([ True,  True,  True], dtype=bool)
    >>> tnp.round(expit(tnp.asarray([0.0, 2.0, -2.0])), 4)
    Array([0.5   , 0.8808, 0.1192], dtype=float32)
    """
    x = _one("expit", x)
    nonneg = cmp.greater_equal(x, 0)
    e = exp_log.exp(uf.where(nonneg, uf.negative(x), x))  # exp(-|x|), and its derivative
    return uf.true_divide(uf.where(nonneg, 1, e), uf.add(1, e))


def logit(x) -> Array:
    """``log(x / (1 - x))``, the inverse of ``expit``; ``±inf`` at 1 and 0, NaN outside.

    Its derivative is ``1 / (x (1 - x))``.

    Examples
    --------
    >>> from tensorlib.scipy.special import logit
    >>> tnp.round(logit(tnp.asarray([0.5, 0.75, 0.0, 1.0])), 4)
    Array([0.    , 1.0986,   -inf,    inf], dtype=float32)
    """
    return _logit(_one("logit", x))


@custom_jvp
def _logit(x):
    # log(x / (1 - x)) loses the digits of a result near 0 (x near 1/2); there 2x - 1 is exact
    # and log1p((2x - 1) / (1 - x)) keeps them, as SciPy does.
    near_half = cmp.logical_and(cmp.greater_equal(x, 0.25), cmp.less_equal(x, 0.75))
    one_minus = uf.subtract(1, x)
    direct = exp_log.log(uf.true_divide(x, one_minus))
    central = exp_log.log1p(uf.true_divide(uf.subtract(uf.multiply(2, x), 1), one_minus))
    return uf.where(near_half, central, direct)


_logit.defjvps(lambda t, y, x: uf.true_divide(t, uf.multiply(x, uf.subtract(1, x))))


# --------------------------------------------------------------------------------------------
# x log y


def xlogy(x, y) -> Array:
    """``x * log(y)``, taken to be 0 where ``x == 0`` (unless ``y`` is NaN).

    The derivative in ``y`` is ``x / y``, taken to be 0 where ``x == 0`` (so the gradient at
    ``(0, 0)`` in ``y`` is 0, not NaN); in ``x`` it is ``log(y)``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> from tensorlib.scipy.special import xlogy
    >>> xlogy(tnp.asarray([0.0, 2.0]), tnp.asarray([0.0, 1.0]))
    Array([0., 0.], dtype=float32)
    >>> float(tl.grad(xlogy, argnums=1)(0.0, 0.0))
    0.0
    """
    x, y = _floats("xlogy", x, y)
    return _xlogy(x, y)


def xlog1py(x, y) -> Array:
    """``x * log1p(y)``, taken to be 0 where ``x == 0`` (unless ``y`` is NaN).

    The derivative in ``y`` is ``x / (1 + y)``, taken to be 0 where ``x == 0``.

    Examples
    --------
    >>> from tensorlib.scipy.special import xlog1py
    >>> xlog1py(tnp.asarray([0.0, 2.0]), tnp.asarray([-1.0, 0.0]))
    Array([0., 0.], dtype=float32)
    """
    x, y = _floats("xlog1py", x, y)
    return _xlog1py(x, y)


def _x_times(x, y, logy):
    keep = cmp.logical_or(cmp.not_equal(x, 0), floating.isnan(y))
    return uf.where(keep, uf.multiply(x, logy), 0)


def _y_tangent(t, x, y):
    """``t * x / y``, 0 where ``x == 0`` whatever ``y`` (the function is 0 all along x = 0)."""
    x_zero = cmp.equal(x, 0)
    return uf.where(x_zero, 0, uf.multiply(t, uf.true_divide(x, uf.where(x_zero, 1, y))))


_xlogy = custom_jvp(lambda x, y: _x_times(x, y, exp_log.log(y)))
_xlogy.defjvps(lambda t, out, x, y: uf.multiply(t, exp_log.log(y)),
               lambda t, out, x, y: _y_tangent(t, x, y))
_xlog1py = custom_jvp(lambda x, y: _x_times(x, y, exp_log.log1p(y)))
_xlog1py.defjvps(lambda t, out, x, y: uf.multiply(t, exp_log.log1p(y)),
                 lambda t, out, x, y: _y_tangent(t, x, uf.add(y, 1)))


def entr(x) -> Array:
    """The entropy term ``-x log(x)``: 0 at 0, ``-inf`` for negative ``x``.

    Examples
    --------
    >>> from tensorlib.scipy.special import entr
    >>> tnp.round(entr(tnp.asarray([0.0, 0.5, 1.0, -1.0])), 4)
    Array([0.    , 0.3466, 0.    ,   -inf], dtype=float32)
    """
    x = _one("entr", x)
    negative = cmp.less(x, 0)
    # The sanitized input keeps log of a negative number (NaN) out of the gradient; and
    # 0 - x log x, not -(x log x), makes entr(0) and entr(1) +0, as in SciPy.
    return uf.where(negative, -math.inf, uf.subtract(0, _xlogx(uf.where(negative, 1, x))))


_xlogx = custom_jvp(lambda x: _x_times(x, x, exp_log.log(x)))
_xlogx.defjvps(lambda t, out, x: uf.multiply(t, uf.add(exp_log.log(x), 1)))


# --------------------------------------------------------------------------------------------
# beta


def betaln(a, b) -> Array:
    """Log of the absolute value of the beta function, ``log|B(a, b)|``.

    Where both arguments are at least 8 the Stirling series of ``gammaln`` replaces the
    difference of three large ``gammaln`` values (and where one is, the difference of two),
    so that large arguments keep their digits.

    Examples
    --------
    >>> from tensorlib.scipy.special import betaln
    >>> tnp.round(betaln(tnp.asarray([1.0, 2.0, 1e5]), tnp.asarray([1.0, 3.0, 1.0])), 4)
    Array([  0.    ,  -2.4849, -11.5129], dtype=float32)
    """
    a, b = _real("betaln", a, b)
    swap = cmp.greater(a, b)
    lo, hi = uf.where(swap, b, a), uf.where(swap, a, b)
    both = cmp.greater_equal(lo, 8)
    one = cmp.logical_and(cmp.greater_equal(hi, 8), cmp.greater_equal(uf.add(lo, hi), 8))
    one = cmp.logical_and(one, cmp.logical_not(both))
    # Each branch sees its own arguments and a harmless value elsewhere, so that the branches
    # not taken add no NaN to the gradient.
    lo_b, hi_b = uf.where(both, lo, 8), uf.where(both, hi, 8)
    lo_o, hi_o = uf.where(one, lo, 1), uf.where(one, hi, 8)
    small = cmp.logical_not(cmp.logical_or(both, one))
    lo_s, hi_s = uf.where(small, lo, 1), uf.where(small, hi, 1)
    r_small = uf.subtract(uf.add(ew.lgamma(lo_s), ew.lgamma(hi_s)), ew.lgamma(uf.add(lo_s, hi_s)))
    r_one = uf.add(ew.lgamma(lo_o), _lgamma_ratio(lo_o, hi_o))
    r_both = _betaln_stirling(lo_b, hi_b)
    out = uf.where(both, r_both, uf.where(one, r_one, r_small))
    # B(a, inf) = 0 for a finite positive a: the Stirling forms would give inf * 0 there.
    return uf.where(cmp.logical_and(floating.isposinf(hi), cmp.greater(lo, 0)), -math.inf, out)


# Stirling series of log Γ(x) - ((x - 1/2) log x - x + log √(2π)), in powers of w = 1/x²
# (coefficients B_2k / (2k (2k - 1))): through x**-15, 1e-16 at x = 8.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)


def _stirling_delta(x):
    """``gammaln(x)`` less its Stirling approximation, for ``x >= 8``."""
    w = uf.true_divide(1, uf.multiply(x, x))
    acc = uf.multiply(w, _STIRLING[-1])
    for c in _STIRLING[-2:0:-1]:
        acc = uf.multiply(w, uf.add(acc, c))
    return uf.true_divide(uf.add(acc, _STIRLING[0]), x)


def _lgamma_ratio(a, b):
    """``gammaln(b) - gammaln(a + b)`` for ``b >= 8`` and ``a + b >= 8``."""
    s = uf.add(a, b)
    main = uf.subtract(a, uf.multiply(uf.subtract(b, 0.5), exp_log.log1p(uf.true_divide(a, b))))
    main = uf.subtract(main, uf.multiply(a, exp_log.log(s)))
    return uf.add(main, uf.subtract(_stirling_delta(b), _stirling_delta(s)))


def _betaln_stirling(a, b):
    """``betaln(a, b)`` for ``8 <= a <= b``: every term below is computed to full precision."""
    out = uf.subtract(_LOG_SQRT_2PI, uf.multiply(0.5, exp_log.log(b)))
    out = uf.subtract(out, uf.multiply(uf.subtract(a, 0.5),
                                       exp_log.log1p(uf.true_divide(b, a))))
    out = uf.subtract(out, uf.multiply(b, exp_log.log1p(uf.true_divide(a, b))))
    delta = uf.subtract(uf.add(_stirling_delta(a), _stirling_delta(b)),
                        _stirling_delta(uf.add(a, b)))
    return uf.add(out, delta)


# --------------------------------------------------------------------------------------------
# the normal distribution function


def ndtr(x) -> Array:
    """The standard normal CDF, ``(1 + erf(x / √2)) / 2``, computed as ``erfc(-x / √2) / 2``
    so that the left tail keeps its relative precision.

    Examples
    --------
    >>> from tensorlib.scipy.special import ndtr
    >>> tnp.round(ndtr(tnp.asarray([0.0, 1.0, -1.0])), 4)
    Array([0.5   , 0.8413, 0.1587], dtype=float32)
    """
    return _ndtr(_one("ndtr", x))


def _ndtr(x):
    return uf.multiply(0.5, ew.erfc(uf.multiply(x, -math.sqrt(0.5))))


def _norm_logpdf(x):
    return uf.subtract(uf.multiply(-0.5, uf.multiply(x, x)), _LOG_SQRT_2PI)


# Below this bound log_ndtr takes the asymptotic series: its error at series_order=3,
# 105 / x**8 (3e-11 at -37, 1e-6 at -10), is then below the dtype's precision relative to the
# result, while ndtr(x) itself is still a normal number. (JAX takes -20 for float64: 4e-9.)
_LOG_NDTR_LOWER = {True: -37.0, False: -10.0}


def log_ndtr(x, series_order: int = 3) -> Array:
    """Log of the standard normal CDF, accurate in both tails.

    ``log1p(-ndtr(-x))`` for ``x > 0`` (as SciPy), ``log(ndtr(x))`` down to ``-37``
    (``-10`` below float64), and below that the asymptotic series
    ``log(φ(x) / -x) + log(1 + Σ_{n=1..series_order} (-1)^n (2n-1)!! / x^(2n))``. The
    derivative is ``φ(x) / ndtr(x)``, as ``exp(log φ(x) - log_ndtr(x))`` and in the far left
    tail as the derivative of the series (``inf`` at ``-inf``, where JAX gives NaN), so that
    neither it nor the second derivative underflows.

    Examples
    --------
    >>> from tensorlib.scipy.special import log_ndtr
    >>> tnp.round(log_ndtr(tnp.asarray([-1.0, -10.0, -40.0])), 2)
    Array([  -1.84,  -53.23, -804.61], dtype=float32)
    """
    if isinstance(series_order, bool) or not isinstance(series_order, int):
        raise TypeError(f"log_ndtr: series_order must be a Python int, got {series_order!r}")
    if not 0 <= series_order <= 30:
        raise ValueError(f"log_ndtr: series_order must be in [0, 30], got {series_order}")
    return _log_ndtr(_one("log_ndtr", x), series_order)


def _log_ndtr_impl(x, series_order):
    lower = _LOG_NDTR_LOWER[x.dtype == dtypes.float64]
    low, high = cmp.less_equal(x, lower), cmp.greater(x, 0)
    x_low = uf.where(low, x, lower)
    x_mid = uf.where(cmp.logical_or(low, high), -1, x)
    x_high = uf.where(high, x, 1)
    mid = exp_log.log(_ndtr(x_mid))
    right = exp_log.log1p(uf.negative(_ndtr(uf.negative(x_high))))
    total, _ = _mills_series(x_low, series_order)
    series = uf.add(uf.subtract(_norm_logpdf(x_low), exp_log.log(uf.negative(x_low))),
                    exp_log.log(total))
    return uf.where(high, right, uf.where(low, series, mid))


def _mills_series(x, order):
    """``S = 1 + Σ_{n=1..order} (-1)^n (2n-1)!! / x^(2n)`` (``ndtr(x) ~ φ(x) S / -x`` for very
    negative ``x``) and ``x S'(x)``."""
    inv = uf.true_divide(1, uf.multiply(x, x))
    total, x_slope, term = creation.ones_like(x), creation.zeros_like(x), 1
    for n in range(1, order + 1):
        term = uf.multiply(term, uf.multiply(inv, 2 * n - 1))
        signed = term if n % 2 == 0 else uf.negative(term)
        total = uf.add(total, signed)
        x_slope = uf.add(x_slope, uf.multiply(signed, -2 * n))
    return total, x_slope


_log_ndtr = custom_jvp(_log_ndtr_impl, nondiff_argnums=(1,))


@_log_ndtr.defjvp
def _log_ndtr_jvp(series_order, primals, tangents):
    (x,), (t,) = primals, tangents
    out = _log_ndtr(x, series_order)
    low = cmp.less_equal(x, _LOG_NDTR_LOWER[x.dtype == dtypes.float64])
    # φ / ndtr from the logarithms (neither underflows), and below the bound the derivative
    # of the series, -x - 1/x + S'/S, where the logarithms would cancel.
    x_mid, out_mid = uf.where(low, 0, x), uf.where(low, -math.log(2), out)
    ratio = exp_log.exp(uf.subtract(_norm_logpdf(x_mid), out_mid))
    x_low = uf.where(low, x, -1)
    total, x_slope = _mills_series(x_low, series_order)
    series = uf.subtract(uf.negative(x_low), uf.true_divide(uf.subtract(1, uf.true_divide(
        x_slope, total)), x_low))
    return out, uf.multiply(t, uf.where(low, series, ratio))


# ndtri: the central part through erf_inv; where the smaller tail q = min(p, 1 - p) is below
# exp(-2) (as in Cephes), 2p - 1 would lose the digits of q, so the tail starts from
# Abramowitz & Stegun 26.2.23 (error < 4.5e-4) and takes Newton steps on log_ndtr(x) = log q,
# which converge quadratically (log_ndtr is concave).
_NDTRI_TAIL = math.exp(-2)
_AS_NUM = (2.515517, 0.802853, 0.010328)
_AS_DEN = (1.0, 1.432788, 0.189269, 0.001308)
# log_ndtr's series to (2n-1)!! / x**(2n) for n = 12: 2e-26 at x = -37, so the Newton steps
# meet log q to float64 precision.
_NDTRI_SERIES_ORDER = 12


def ndtri(p) -> Array:
    """The inverse of ``ndtr``: ``x`` with ``ndtr(x) == p``; ``∓inf`` at 0 and 1, NaN outside.

    ``√2 erfinv(2p - 1)`` where both ``p`` and ``1 - p`` are above ``exp(-2)``; in the tails a
    rational start refined by Newton steps on ``log_ndtr``, so ``ndtri(1e-300)`` keeps its
    digits. Its derivative is ``1 / φ(ndtri(p))``.

    Examples
    --------
    >>> from tensorlib.scipy.special import ndtri
    >>> tnp.round(ndtri(tnp.asarray([0.5, 0.975, 1e-10])), 4)
    Array([ 0.    ,  1.96  , -6.3613], dtype=float32)
    """
    return _ndtri(_one("ndtri", p))


@custom_jvp
def _ndtri(p):
    upper_half = cmp.greater(p, 0.5)
    q = uf.where(upper_half, uf.subtract(1, p), p)  # 1 - p is exact for p > 1/2
    tail = cmp.less(q, _NDTRI_TAIL)
    central = uf.multiply(math.sqrt(2), ew.erf_inv(uf.subtract(uf.multiply(2, p), 1)))
    q_tail = uf.where(cmp.logical_and(tail, cmp.greater(q, 0)), q, 0.1)
    x = _ndtri_lower_tail(q_tail)
    out = uf.where(tail, uf.where(upper_half, uf.negative(x), x), central)
    out = uf.where(cmp.equal(q, 0), uf.where(upper_half, math.inf, -math.inf), out)
    outside = cmp.logical_or(cmp.less(p, 0), cmp.greater(p, 1))
    return uf.where(outside, math.nan, out)


def _ndtri_lower_tail(q):
    """``ndtri(q)`` for ``0 < q < exp(-2)``."""
    t = exp_log.sqrt(uf.multiply(-2, exp_log.log(q)))
    num = uf.add(_AS_NUM[0], uf.multiply(t, uf.add(_AS_NUM[1], uf.multiply(t, _AS_NUM[2]))))
    den = uf.add(_AS_DEN[2], uf.multiply(t, _AS_DEN[3]))
    den = uf.add(_AS_DEN[0], uf.multiply(t, uf.add(_AS_DEN[1], uf.multiply(t, den))))
    x = uf.negative(uf.subtract(t, uf.true_divide(num, den)))
    log_q = exp_log.log(q)
    for _ in range(3 if q.dtype == dtypes.float64 else 2):
        log_cdf = _log_ndtr(x, _NDTRI_SERIES_ORDER)
        slope_inv = exp_log.exp(uf.subtract(log_cdf, _norm_logpdf(x)))
        x = uf.subtract(x, uf.multiply(uf.subtract(log_cdf, log_q), slope_inv))
    return x


_ndtri.defjvps(lambda t, x, p: uf.multiply(t, exp_log.exp(uf.negative(_norm_logpdf(x)))))


# --------------------------------------------------------------------------------------------
# softmax over axes (jax.scipy.special's signature: axis keyword-only, all axes by default)


def softmax(x, /, *, axis=None) -> Array:
    """``exp(x) / sum(exp(x), axis)``, computed stably; over all axes by default.

    Examples
    --------
    >>> from tensorlib.scipy.special import softmax
    >>> softmax(tnp.zeros((2, 2)))
    Array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    """
    return _nn.softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None) -> Array:
    """``x - logsumexp(x, axis, keepdims=True)``, computed stably; over all axes by default.

    Examples
    --------
    >>> from tensorlib.scipy.special import log_softmax
    >>> tnp.round(log_softmax(tnp.zeros(4)), 4)
    Array([-1.3863, -1.3863, -1.3863, -1.3863], dtype=float32)
    """
    return _nn.log_softmax(x, axis=axis)

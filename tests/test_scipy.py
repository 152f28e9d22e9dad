"""Tests for ``tensorlib.scipy.special`` and ``tensorlib.scipy.stats``.

One op-record table drives the value, gradient, jit and vmap tests. Values are compared with
SciPy on float32 and float64 grids (the reference is evaluated in float64 on the rounded
inputs, so only the function's own error counts); where SciPy itself is inaccurate, with
closed forms or values computed with mpmath at 40 digits. Special points (``xlogy(0, 0)``,
gradients at 0) are compared with JAX, and the deliberate differences from JAX are pinned.
Gradients are checked against central differences in float64 (``check_grads``, order 2,
forward and reverse).
"""

from __future__ import annotations

import dataclasses
import doctest
import functools
import importlib
import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
import tensorlib.scipy as tsp
from tensorlib.errors import DTypeError, ShapeError
from tensorlib.scipy import special as sp
from tensorlib.scipy import stats
from tensorlib.test_util import check_grads

scipy_special = pytest.importorskip("scipy.special", reason="SciPy is the reference")
scipy_stats = pytest.importorskip("scipy.stats", reason="SciPy is the reference")

try:
    import jax
    import jax.scipy.special as jsp
    import jax.scipy.stats as jst

    HAVE_JAX = True
except ImportError:  # pragma: no cover - depends on the environment
    jax = jsp = jst = None
    HAVE_JAX = False

needs_jax = pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed (used as an oracle)")

DTYPES = [np.float32, np.float64]
DISTRIBUTIONS = {
    "norm": "cdf isf logcdf logpdf logsf pdf ppf sf",
    "expon": "cdf logcdf logpdf logsf pdf ppf sf",
    "laplace": "cdf logpdf pdf",
    "logistic": "cdf isf logpdf pdf ppf sf",
    "uniform": "cdf logpdf pdf ppf",
    "cauchy": "cdf isf logcdf logpdf logsf pdf ppf sf",
    "t": "logpdf pdf",
    "bernoulli": "cdf logpmf pmf ppf",
    "poisson": "cdf entropy logpmf pmf",
    "multivariate_normal": "logpdf pdf",
}
SPECIAL = ("betaln digamma entr erf erfc erfinv expit gammaln log_ndtr log_softmax logit "
           "logsumexp ndtr ndtri softmax xlog1py xlogy").split()


@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def dtype(request):
    """float32 as is; float64 with 64-bit types enabled (restored afterwards)."""
    if request.param == np.float64:
        request.getfixturevalue("x64")
    return np.dtype(request.param)


# --------------------------------------------------------------------------------------------
# grids (float64; cast to the dtype under test)

_TAILS = np.logspace(-3, 2.5, 23)
LINE = np.concatenate([-_TAILS[::-1], np.linspace(-30, 30, 61), _TAILS, [0.0, -0.0]])
SPECIALS = np.array([np.inf, -np.inf, np.nan])
UNIT = np.concatenate([np.linspace(0, 1, 41), np.logspace(-30, -2, 15),
                       1 - np.logspace(-7, -2, 6)])
LOC = np.array([-1.5, 0.0, 2.0])
SCALE = np.array([0.5, 1.0, 3.0])
GAMMA_GRID = np.concatenate([np.linspace(-9.8, 30.2, 81), np.logspace(-3, 10, 27)])
# (no two negative entries sum to an integer: the NumPy backend's lgamma raises at poles;
# up to 1e3: with one argument from 1e4 and the other small SciPy loses digits, 1e-11 at
# 1e4, 5e-11 at 1e5 and 3e-8 at 1e6, see test_values_pinned_by_mpmath)
BETA_GRID = np.concatenate([np.logspace(-3, 3, 13), [-0.25, -3.6, -7.3, -20.6]])


def _f32_safe(*arrays):
    """The grids, less the finite values that overflow float32 (each keeps its rank)."""
    out = []
    for a in arrays:
        a = np.asarray(a)
        keep = ~(np.isfinite(a) & (np.abs(a) > 1e30))
        out.append(a[keep].reshape((-1,) + (1,) * (a.ndim - 1)))
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Rec:
    """One function: its reference, its argument grid, tolerances and gradient points.

    ``rtol`` (float32, float64) is relative to ``|want| + floor``; values below the dtype's
    smallest normal number count as 0 (XLA flushes subnormals). ``grad_at`` holds float64
    interior points for ``check_grads`` and ``grad_eps`` its difference step; a discrete
    distribution's ``k`` is held at ``k_at`` (it is not differentiable).
    """

    name: str
    fn: Callable
    ref: Callable
    grid: tuple
    rtol: tuple = (2e-6, 1e-13)
    floor: float = 0.0
    grad_at: tuple | None = None
    grad_eps: float | None = None
    k_at: np.ndarray | None = None

    @property
    def diff_fn(self):
        if self.k_at is None:
            return self.fn
        return lambda *params: self.fn(tnp.asarray(self.k_at), *params)

    @property
    def points(self):
        """``grad_at``, with ``k_at`` in front for a discrete distribution."""
        return self.grad_at if self.k_at is None else (self.k_at, *self.grad_at)


def _std(ref):
    """A SciPy distribution method taking (x, loc, scale)."""
    return lambda x, loc, scale: ref(x, loc=loc, scale=scale)


def _laplace_logpdf(x, loc, scale):
    # SciPy's laplace.logpdf is log(pdf), -inf once the pdf underflows
    return -np.abs(x - loc) / scale - np.log(2 * scale)


def _mvn_ref(x, mean, cov):
    return scipy_stats.multivariate_normal.logpdf(x, mean, cov)


_P3 = (np.array([0.3, -1.2, 2.5]), np.array([0.1, -0.4, 1.0]), np.array([0.7, 1.3, 2.0]))
_Q3 = (np.array([0.2, 0.5, 0.85]), np.array([0.1, -0.4, 1.0]), np.array([0.7, 1.3, 2.0]))


_P3_ABOVE = (np.array([0.3, 0.2, 2.5]), _P3[1], _P3[2])  # x > loc (expon's support)


def _stat(dist, method, rtol=(2e-6, 1e-13), ref=None, grad=True):
    fn = getattr(getattr(stats, dist), method)
    quantile = method in ("ppf", "isf")
    points = _Q3 if quantile else (_P3_ABOVE if dist == "expon" else _P3)
    return Rec(f"{dist}.{method}", fn, ref or _std(getattr(getattr(scipy_stats, dist), method)),
               ((UNIT if quantile else np.concatenate([LINE, SPECIALS])), LOC[:, None],
                SCALE[:, None, None]), rtol, 10.0 if quantile else 0.0,
               points if grad else None)


K3 = np.array([0.0, 1.0, 1.0])
# (1e5 and above left out: there SciPy's logpmf loses digits, 7e-10 at k = mu = 1e6; see
# test_values_pinned_by_mpmath)
POISSON_K = np.concatenate([np.arange(-2.0, 40.0), [2.5, 100, 1000, 1e4, np.nan]])
POISSON_MU = np.array([0.0, 0.1, 1.0, 3.7, 20.0, 480.0, 1e4, np.nan])[:, None]


# Tolerances: float32 results that go through exp(-z**2) (densities, normal tails) carry the
# rounding of z, amplified by 2 z**2 (1e-5 at z = 13); quantiles with a location compare on
# the scale of loc + scale * ppf (floor 10).
RECORDS = [
    Rec("gammaln", sp.gammaln, scipy_special.gammaln, (GAMMA_GRID,), (1e-5, 1e-12), 1.0,
        (np.array([0.3, 1.5, 7.2, 40.0, -2.5]),)),
    Rec("digamma", sp.digamma, scipy_special.digamma, (GAMMA_GRID,), (5e-5, 1e-11), 1.0,
        (np.array([0.3, 1.5, 7.2, 40.0, -2.5]),)),
    Rec("erf", sp.erf, scipy_special.erf, (np.concatenate([LINE, SPECIALS]),), (1e-6, 1e-15),
        0.0, (np.array([-2.0, -0.3, 0.0, 0.7, 3.0]),)),
    Rec("erfc", sp.erfc, scipy_special.erfc, (np.concatenate([LINE[LINE < 9], SPECIALS]),),
        (1e-5, 1e-14), 0.0, (np.array([-2.0, -0.3, 0.0, 0.7, 3.0]),)),
    Rec("erfinv", sp.erfinv, scipy_special.erfinv,
        (np.concatenate([np.linspace(-1, 1, 81), [-1.5, 1.5, np.nan]]),), (1e-6, 1e-14),
        0.0, (np.array([-0.9, -0.3, 0.0, 0.5, 0.95]),), 1e-6),
    Rec("expit", sp.expit, scipy_special.expit, (np.concatenate([LINE, SPECIALS]),),
        (1e-6, 1e-15), 0.0, (np.array([-30.0, -2.0, 0.0, 0.5, 20.0]),)),
    # (float64 tolerances of 2e-14 and more where XLA's log1p is 1e-14 off, as in JAX)
    Rec("logit", sp.logit, scipy_special.logit,
        (np.concatenate([UNIT, [-0.5, 1.5, np.nan]]),), (1e-6, 2e-14), 0.0,
        (np.array([0.01, 0.3, 0.5, 0.6, 0.99]),), 1e-6),
    Rec("xlogy", sp.xlogy, scipy_special.xlogy,
        (np.array([0.0, 1.0, -2.0, 3.5, np.nan, np.inf]),
         np.array([0.0, 1e-30, 1.0, 2.0, -1.0, 1e5, np.nan, np.inf])[:, None]),
        (1e-6, 1e-15), 0.0, (np.array([0.5, 2.0, -1.0]), np.array([0.7, 3.0, 0.1]))),
    Rec("xlog1py", sp.xlog1py, scipy_special.xlog1py,
        (np.array([0.0, 1.0, -2.0, 3.5, np.nan]),
         np.array([-1.0, 0.0, 1e-10, 2.0, -2.0, np.nan, np.inf])[:, None]),
        (1e-6, 1e-15), 0.0, (np.array([0.5, 2.0, -1.0]), np.array([-0.7, 3.0, 0.1]))),
    Rec("entr", sp.entr, scipy_special.entr,
        (np.concatenate([UNIT, [2.0, 1e10, -1.0, np.inf, np.nan]]),), (1e-6, 1e-15), 0.0,
        (np.array([0.05, 0.3, 1.0, 4.0]),)),
    Rec("betaln", sp.betaln, scipy_special.betaln, (BETA_GRID, BETA_GRID[:, None]),
        (5e-5, 1e-12), 1.0,
        (np.array([0.3, 9.0, 20.0, 3.0, 1e3]), np.array([2.0, 12.0, 1e3, 9.0, 0.6]))),
    Rec("ndtr", sp.ndtr, scipy_special.ndtr, (np.concatenate([LINE, SPECIALS]),),
        (3e-5, 2e-13), 0.0, (np.array([-8.0, -1.0, 0.0, 2.0]),)),
    Rec("log_ndtr", sp.log_ndtr, scipy_special.log_ndtr,
        (np.concatenate([LINE, -np.logspace(1, 5, 9), SPECIALS]),), (3e-5, 2e-13), 0.0,
        (np.array([-60.0, -30.0, -5.0, 0.3, 4.0, 12.0]),)),
    Rec("ndtri", sp.ndtri, scipy_special.ndtri,
        (np.concatenate([UNIT, np.logspace(-300, -30, 10), [-0.1, 1.1, np.nan]]),),
        (1e-6, 1e-14), 0.0, (np.array([1e-3, 0.02, 0.3, 0.9, 0.999]),), 1e-7),
    _stat("norm", "logpdf", (1e-6, 1e-14)),
    _stat("norm", "pdf", (3e-5, 2e-13)),
    _stat("norm", "cdf", (3e-5, 2e-13)),
    _stat("norm", "logcdf", (3e-5, 2e-13)),
    _stat("norm", "sf", (3e-5, 2e-13)),
    _stat("norm", "logsf", (3e-5, 2e-13)),
    _stat("norm", "ppf", (1e-6, 1e-14)),
    _stat("norm", "isf", (1e-6, 1e-14)),
    _stat("expon", "logpdf", (1e-6, 1e-15)),
    _stat("expon", "pdf", (1e-5, 1e-13)),
    _stat("expon", "cdf", (1e-6, 1e-15)),
    _stat("expon", "logcdf", (1e-5, 1e-13)),
    _stat("expon", "sf", (1e-5, 1e-13)),
    _stat("expon", "logsf", (1e-6, 1e-15)),
    _stat("expon", "ppf", (1e-6, 1e-14)),
    _stat("laplace", "logpdf", (1e-6, 1e-15), ref=_laplace_logpdf),
    _stat("laplace", "pdf", (2e-5, 2e-13)),
    _stat("laplace", "cdf", (2e-5, 2e-13)),
    _stat("logistic", "logpdf", (1e-6, 1e-15)),
    _stat("logistic", "pdf", (2e-5, 2e-13)),
    _stat("logistic", "cdf", (2e-5, 2e-13)),
    _stat("logistic", "sf", (2e-5, 2e-13)),
    _stat("logistic", "ppf", (1e-6, 1e-14)),
    _stat("logistic", "isf", (1e-6, 1e-14)),
    _stat("uniform", "logpdf", (1e-6, 1e-15), grad=False),
    _stat("uniform", "pdf", (1e-6, 1e-15), grad=False),
    _stat("uniform", "cdf", (1e-6, 1e-15), grad=False),
    _stat("uniform", "ppf", (1e-6, 1e-14)),
    _stat("cauchy", "logpdf", (1e-6, 1e-15)),
    _stat("cauchy", "pdf", (1e-5, 1e-14)),
    _stat("cauchy", "cdf", (1e-6, 1e-15)),
    _stat("cauchy", "logcdf", (1e-6, 5e-14)),
    _stat("cauchy", "sf", (1e-6, 1e-15)),
    _stat("cauchy", "logsf", (1e-6, 5e-14)),
    _stat("cauchy", "ppf", (1e-6, 1e-14)),
    _stat("cauchy", "isf", (1e-6, 1e-14)),
    Rec("t.logpdf", stats.t.logpdf, scipy_stats.t.logpdf,
        (np.concatenate([LINE, SPECIALS]), np.array([0.5, 1.0, 2.5, 10.0, 300.0, np.inf])[:, None]),
        (2e-6, 5e-13), 0.0, (_P3[0], np.array([1.5, 4.0, 30.0]), _P3[1], _P3[2])),
    Rec("t.pdf", stats.t.pdf, scipy_stats.t.pdf,
        (np.concatenate([LINE, SPECIALS]), np.array([0.5, 1.0, 2.5, 10.0, 300.0, np.inf])[:, None]),
        (2e-5, 1e-12), 0.0, (_P3[0], np.array([1.5, 4.0, 30.0]))),
    Rec("bernoulli.logpmf", stats.bernoulli.logpmf, scipy_stats.bernoulli.logpmf,
        (np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), np.array([0.0, 0.25, 1.0, np.nan])[:, None]),
        (1e-6, 1e-15), 0.0, (np.array([0.2, 0.5, 0.9]),),
        k_at=K3),
    Rec("bernoulli.pmf", stats.bernoulli.pmf, scipy_stats.bernoulli.pmf,
        (np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), np.array([0.0, 0.25, 1.0, np.nan])[:, None]),
        (1e-6, 1e-15), 0.0, (np.array([0.2, 0.5, 0.9]),),
        k_at=K3),
    Rec("bernoulli.cdf", stats.bernoulli.cdf, scipy_stats.bernoulli.cdf,
        (np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), np.array([0.0, 0.25, 1.0, np.nan])[:, None]),
        (1e-6, 1e-15), 0.0, (np.array([0.2, 0.5, 0.9]),),
        k_at=np.array([0.0, 0.5, 0.7])),
    # q = 1 with p = 0 left out: SciPy answers 1 (the support's end), JAX and we 0
    Rec("bernoulli.ppf", stats.bernoulli.ppf, scipy_stats.bernoulli.ppf,
        (UNIT[UNIT > 0], np.array([0.25, 0.5, 1.0])[:, None]), (1e-6, 1e-15)),
    # k = inf left out: SciPy gives -inf or NaN depending on mu, we -inf (test_edge_values)
    Rec("poisson.logpmf", stats.poisson.logpmf, scipy_stats.poisson.logpmf,
        (POISSON_K, POISSON_MU), (2e-6, 1e-13), 1.0, (np.array([0.5, 2.0, 30.0]),),
        k_at=np.array([0.0, 3.0, 12.0])),
    Rec("poisson.pmf", stats.poisson.pmf, scipy_stats.poisson.pmf,
        (POISSON_K, POISSON_MU), (2e-5, 2e-12), 0.0, (np.array([0.5, 2.0, 30.0]),),
        k_at=np.array([0.0, 3.0, 12.0])),
    Rec("poisson.cdf", stats.poisson.cdf, scipy_stats.poisson.cdf,
        (np.concatenate([POISSON_K, [np.inf]]), POISSON_MU),
        (2e-5, 2e-12), 0.0, (np.array([0.5, 2.0, 30.0]),),
        k_at=np.array([0.0, 3.0, 12.0])),
    # mu above 1e3 left out: SciPy's entropy loses digits there (its sum does not converge;
    # 0.41 at mu = 1e8); see test_values_pinned_by_mpmath
    Rec("poisson.entropy", stats.poisson.entropy, scipy_stats.poisson.entropy,
        (np.array([0.0, 1e-3, 0.1, 1.0, 3.7, 20.0, 99.0, 399.0, 400.0, 1e3, np.nan]),),
        (2e-6, 1e-12), 0.0, (np.array([0.5, 30.0, 500.0]),)),
]
IDS = [r.name for r in RECORDS]
GRAD_RECORDS = [r for r in RECORDS if r.grad_at is not None]


def _grid(rec, dt):
    args = rec.grid if dt == np.float64 else _f32_safe(*rec.grid)
    return [np.asarray(a, dt) for a in np.broadcast_arrays(*args)]


def assert_close(got, want, dt, rtol, floor=0.0, what=""):
    """NaNs and infinities where the reference has them; elsewhere
    ``|got - want| <= rtol * (|want| + floor)``, values below the smallest normal as 0."""
    got = np.asarray(got)
    assert got.dtype == dt, f"{what}: dtype {got.dtype}, expected {dt}"
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    got = got.astype(np.float64)
    tiny = float(np.finfo(dt).tiny)
    got = np.where(np.abs(got) < tiny, 0.0, got)
    want = np.where(np.abs(want) < tiny, 0.0, want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaNs")
    np.testing.assert_array_equal(np.where(np.isinf(want), want, 0),
                                  np.where(np.isinf(want), got, 0), err_msg=f"{what}: infs")
    ok = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(got[ok]), True, err_msg=f"{what}: not finite")
    err = np.abs(got[ok] - want[ok])
    bound = rtol * (np.abs(want[ok]) + floor)
    if not np.all(err <= bound):
        i = np.argmax(err / np.maximum(bound, 1e-300))
        raise AssertionError(f"{what}: error {err[i]:.3g} > {bound[i]:.3g} "
                             f"(got {got[ok][i]!r}, want {want[ok][i]!r}, index {i})")


# --------------------------------------------------------------------------------------------
# values against SciPy


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_values_match_scipy(rec, dtype):
    args = _grid(rec, dtype)
    with np.errstate(all="ignore"):
        want = rec.ref(*[a.astype(np.float64) for a in args])
    got = rec.fn(*[tnp.asarray(a) for a in args])
    assert_close(got, want, dtype, rec.rtol[dtype == np.float64], rec.floor, rec.name)


@pytest.mark.parametrize("rec", [r for r in RECORDS if len(r.grid) == 1], ids=lambda r: r.name)
def test_integer_inputs_become_floats_as_in_tensorlib_numpy(rec, dtype):
    for ints in (tnp.asarray([1, 2]), tnp.asarray([1, 2], dtype=np.int32)):
        assert rec.fn(ints).dtype == tnp.sin(ints).dtype
    assert rec.fn(tnp.asarray([1, 2])).dtype == dtype  # the default int becomes the default float


def test_softmax_family_match_scipy(dtype):
    x = np.random.randn(3, 4).astype(dtype) * 5
    for axis in (None, 0, 1, (0, 1)):
        assert_close(sp.softmax(tnp.asarray(x), axis=axis),
                     scipy_special.softmax(x.astype(np.float64), axis=axis), dtype,
                     3e-6 if dtype == np.float32 else 1e-14, what=f"softmax {axis}")
        assert_close(sp.log_softmax(tnp.asarray(x), axis=axis),
                     scipy_special.log_softmax(x.astype(np.float64), axis=axis), dtype,
                     3e-6 if dtype == np.float32 else 1e-14, 1.0, what=f"log_softmax {axis}")
        assert_close(sp.logsumexp(tnp.asarray(x), axis=axis),
                     scipy_special.logsumexp(x.astype(np.float64), axis=axis), dtype,
                     3e-6 if dtype == np.float32 else 1e-14, 1.0, what=f"logsumexp {axis}")
    assert sp.logsumexp is tl.nn.logsumexp


def test_multivariate_normal_matches_scipy(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = (a @ a.T + 3 * np.eye(3)).astype(dtype)
    mean = rng.standard_normal(3).astype(dtype)
    x = rng.standard_normal((5, 3)).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    want = scipy_stats.multivariate_normal.logpdf(x.astype(np.float64), mean, cov)
    got = stats.multivariate_normal.logpdf(tnp.asarray(x), tnp.asarray(mean), tnp.asarray(cov))
    assert_close(got, want, dtype, tol, 1.0, "mvn batch of x")
    assert_close(stats.multivariate_normal.pdf(tnp.asarray(x), tnp.asarray(mean),
                                               tnp.asarray(cov)), np.exp(want), dtype, 10 * tol)
    # batched covariances broadcast against batched x
    covs = np.stack([cov, 2 * cov]).astype(dtype)
    got = stats.multivariate_normal.logpdf(tnp.asarray(x[:, None]), tnp.asarray(mean),
                                           tnp.asarray(covs))
    want = np.stack([[scipy_stats.multivariate_normal.logpdf(xi, mean, c) for c in covs]
                     for xi in x.astype(np.float64)])
    assert_close(got, want, dtype, tol, 1.0, "mvn broadcast")
    # a scalar covariance is isotropic; a scalar mean is univariate
    assert_close(stats.multivariate_normal.logpdf(tnp.asarray(x), tnp.asarray(mean),
                                                  tnp.asarray(dtype.type(2.0))),
                 scipy_stats.multivariate_normal.logpdf(x.astype(np.float64), mean,
                                                        2.0 * np.eye(3)), dtype, tol, 1.0)
    assert_close(stats.multivariate_normal.logpdf(tnp.asarray(x[:, 0]),
                                                  tnp.asarray(dtype.type(0.5)),
                                                  tnp.asarray(dtype.type(2.0))),
                 scipy_stats.norm.logpdf(x[:, 0].astype(np.float64), 0.5, np.sqrt(2.0)),
                 dtype, tol, 1.0)


# Where SciPy is itself inaccurate: values from mpmath at 40 digits.
MPMATH = [
    (lambda: sp.betaln(1e6, 0.13664483492953258), 0.038098606066925002288),  # SciPy: 3e-8 off
    (lambda: sp.betaln(1e5, 1e5), -138633.92706134806235),
    (lambda: sp.betaln(0.01, 1e5), 4.4843506728924002883),
    (lambda: sp.betaln(-0.25, 1e5), 4.4678051162898368372),
    (lambda: stats.t.logpdf(-0.0028942661247167516, 1000.0), -0.91919272573957710678),
    (lambda: stats.poisson.entropy(1e8), 10.629278904347522140),  # SciPy: 0.413
    (lambda: stats.poisson.logpmf(1e6, 1e6), -7.8266938955201431272),
    (lambda: sp.log_ndtr(-1e5), -5000000012.4318639983),
    (lambda: sp.ndtri(1e-300), -37.047096299361199237),
]


@pytest.mark.parametrize("i", range(len(MPMATH)))
def test_values_pinned_by_mpmath(x64, i):
    fn, want = MPMATH[i]
    got = float(fn())
    assert abs(got - want) <= 2e-14 * abs(want), (got, want)


def test_float32_extremes():
    """Values whose float32 computation would lose everything done naively."""
    assert float(sp.expit(-80.0)) == pytest.approx(1.8048513e-35, rel=1e-6)
    assert float(sp.log_ndtr(-100.0)) == pytest.approx(-5005.524, rel=1e-6)
    assert float(sp.ndtri(1e-30)) == pytest.approx(-11.46403, rel=1e-6)
    assert float(sp.betaln(1e5, 1.0)) == pytest.approx(-11.512925, rel=1e-6)
    assert float(stats.norm.isf(1e-20)) == pytest.approx(9.262340, rel=1e-6)
    # pi q - pi/2 rounds to -pi/2 in float32, whose tangent has the wrong sign
    assert float(stats.cauchy.ppf(1e-10)) == pytest.approx(-3.1830989e9, rel=1e-6)
    assert float(stats.cauchy.logcdf(-1e10)) == pytest.approx(-24.170582, rel=1e-6)
    assert float(stats.expon.logcdf(1e-8)) == pytest.approx(-18.420681, rel=1e-6)
    assert float(stats.poisson.cdf(1e4, 1e4)) == pytest.approx(0.50265958, rel=1e-5)
    assert float(stats.cauchy.logpdf(1e30)) == pytest.approx(-139.29985, rel=1e-6)


# --------------------------------------------------------------------------------------------
# edge values


EDGES = [
    ("xlogy(0, 0)", lambda: sp.xlogy(0.0, 0.0), 0.0),
    ("xlogy(0, inf)", lambda: sp.xlogy(0.0, np.inf), 0.0),
    ("xlogy(0, nan)", lambda: sp.xlogy(0.0, np.nan), np.nan),
    ("xlogy(0, -1)", lambda: sp.xlogy(0.0, -1.0), 0.0),
    ("xlogy(1, 0)", lambda: sp.xlogy(1.0, 0.0), -np.inf),
    ("xlog1py(0, -1)", lambda: sp.xlog1py(0.0, -1.0), 0.0),
    ("xlog1py(1, -1)", lambda: sp.xlog1py(1.0, -1.0), -np.inf),
    ("entr(0)", lambda: sp.entr(0.0), 0.0),
    ("entr(-1)", lambda: sp.entr(-1.0), -np.inf),
    ("entr(inf)", lambda: sp.entr(np.inf), -np.inf),
    ("logit(0)", lambda: sp.logit(0.0), -np.inf),
    ("logit(1)", lambda: sp.logit(1.0), np.inf),
    ("logit(2)", lambda: sp.logit(2.0), np.nan),
    ("ndtri(0)", lambda: sp.ndtri(0.0), -np.inf),
    ("ndtri(1)", lambda: sp.ndtri(1.0), np.inf),
    ("ndtri(-0.1)", lambda: sp.ndtri(-0.1), np.nan),
    ("log_ndtr(-inf)", lambda: sp.log_ndtr(-np.inf), -np.inf),
    ("log_ndtr(inf)", lambda: sp.log_ndtr(np.inf), 0.0),
    ("erfinv(1)", lambda: sp.erfinv(1.0), np.inf),
    ("betaln(1, inf)", lambda: sp.betaln(1.0, np.inf), -np.inf),
    ("betaln(nan, 1)", lambda: sp.betaln(np.nan, 1.0), np.nan),
    ("uniform.logpdf(nan)", lambda: stats.uniform.logpdf(np.nan), np.nan),
    ("uniform.cdf(nan)", lambda: stats.uniform.cdf(np.nan), np.nan),
    ("expon.ppf(1)", lambda: stats.expon.ppf(1.0), np.inf),
    ("expon.ppf(1.5)", lambda: stats.expon.ppf(1.5), np.nan),
    ("cauchy.ppf(0)", lambda: stats.cauchy.ppf(0.0), -np.inf),
    ("cauchy.ppf(1)", lambda: stats.cauchy.ppf(1.0), np.inf),
    ("cauchy.ppf(0.5)", lambda: stats.cauchy.ppf(0.5), 0.0),
    ("cauchy.ppf(-0.5)", lambda: stats.cauchy.ppf(-0.5), np.nan),
    ("bernoulli.ppf(0)", lambda: stats.bernoulli.ppf(0.0, 0.3), 0.0),
    ("bernoulli.ppf(p=2)", lambda: stats.bernoulli.ppf(0.5, 2.0), np.nan),
    ("poisson.cdf(mu=inf)", lambda: stats.poisson.cdf(3.0, np.inf), 0.0),
    ("poisson.cdf(k=inf)", lambda: stats.poisson.cdf(np.inf, 3.0), 1.0),
    ("poisson.cdf(mu<0)", lambda: stats.poisson.cdf(3.0, -1.0), np.nan),
    ("poisson.cdf(mu=0)", lambda: stats.poisson.cdf(0.0, 0.0), 1.0),
    ("poisson.logpmf(0, 0)", lambda: stats.poisson.logpmf(0.0, 0.0), 0.0),
    ("poisson.logpmf(1, 0)", lambda: stats.poisson.logpmf(1.0, 0.0), -np.inf),
    ("poisson.logpmf(inf, 2)", lambda: stats.poisson.logpmf(np.inf, 2.0), -np.inf),
    ("poisson.logpmf(nan, 2)", lambda: stats.poisson.logpmf(np.nan, 2.0), np.nan),
    ("poisson.logpmf(loc)", lambda: stats.poisson.logpmf(5.0, 2.0, 3.0),
     float(scipy_stats.poisson.logpmf(2, 2.0))),
    ("poisson.entropy(0)", lambda: stats.poisson.entropy(0.0), 0.0),
    ("poisson.entropy(-1)", lambda: stats.poisson.entropy(-1.0), np.nan),
    ("t.logpdf(df=inf)", lambda: stats.t.logpdf(0.5, np.inf),
     float(scipy_stats.norm.logpdf(0.5))),
    ("laplace.cdf(-1000)", lambda: stats.laplace.cdf(-1000.0), 0.0),
    ("laplace.cdf(1000)", lambda: stats.laplace.cdf(1000.0), 1.0),
]


@pytest.mark.parametrize("name,fn,want", EDGES, ids=[e[0] for e in EDGES])
def test_edge_values(name, fn, want):
    got = float(np.asarray(fn()))
    if math.isnan(want):
        assert math.isnan(got), got
    else:
        assert got == pytest.approx(want, rel=1e-6, abs=0), got


def test_gammaln_at_poles():
    assert np.all(np.isposinf(np.asarray(sp.gammaln(tnp.asarray([0.0, -1.0, -2.0])))))


# --------------------------------------------------------------------------------------------
# JAX as the oracle at special points


@needs_jax
@pytest.mark.parametrize("x,y", [(0.0, 1.0), (0.0, 2.0), (1.5, 0.5), (2.0, 1.0), (0.0, 0.0)])
def test_xlogy_matches_jax(x64, x, y):
    for ours, theirs, shift in ((sp.xlogy, jsp.xlogy, 0.0), (sp.xlog1py, jsp.xlog1py, -1.0)):
        yy = y + shift
        assert float(ours(x, yy)) == float(theirs(x, yy))
        gx = float(tl.grad(ours, argnums=0)(x, yy))
        assert gx == pytest.approx(float(jax.grad(theirs, argnums=0)(x, yy)), rel=1e-15)
        gy = float(tl.grad(ours, argnums=1)(x, yy))
        jy = float(jax.grad(theirs, argnums=1)(x, yy))
        if (x, y) == (0.0, 0.0):
            # deliberate: the function is 0 all along x = 0, so its y-derivative is 0 there
            # (JAX computes 0 / 0)
            assert math.isnan(jy) and gy == 0.0
        else:
            assert gy == pytest.approx(jy, rel=1e-15)


def _second_fixed(f, x):
    return f(x, 3.0)


# (JAX's log_ndtr takes its series from -20 with 4e-9 error, so the point -30 is left out;
# the primitives digamma and its derivative agree to 1e-10 on the NumPy backend)
@needs_jax
@pytest.mark.parametrize("name,x", [
    ("entr", 0.0), ("entr", 0.5), ("logit", 0.5), ("logit", 0.0), ("expit", 0.0),
    ("expit", -30.0), ("ndtri", 0.5), ("ndtri", 0.025), ("log_ndtr", 0.0), ("log_ndtr", -5.0),
    ("log_ndtr", 40.0), ("ndtr", 0.0), ("erfinv", 0.0), ("gammaln", 1.0), ("digamma", 1.0),
    ("erf", 0.0), ("betaln", 2.5), ("xlogy", 0.5),
])
def test_values_and_gradients_match_jax(x64, name, x):
    ours, theirs = getattr(sp, name), getattr(jsp, name)
    if name in ("betaln", "xlogy"):  # binary: the second argument fixed
        ours, theirs = (functools.partial(_second_fixed, f) for f in (ours, theirs))
    assert float(ours(x)) == pytest.approx(float(theirs(x)), rel=1e-10, abs=1e-300)
    assert float(tl.grad(ours)(x)) == pytest.approx(float(jax.grad(theirs)(x)), rel=1e-10)


@needs_jax
def test_bernoulli_gradient_at_the_support_ends_is_finite_where_jax_is_nan(x64):
    ours = tl.grad(stats.bernoulli.logpmf, argnums=1)
    assert float(ours(0.0, 0.0)) == -1.0  # d/dp log(1 - p) at p = 0
    assert float(ours(1.0, 1.0)) == 1.0
    assert math.isnan(float(jax.grad(jst.bernoulli.logpmf, argnums=1)(0.0, 0.0)))


def test_special_gradients_at_the_ends(x64):
    assert float(tl.grad(sp.entr)(0.0)) == np.inf
    assert float(tl.grad(sp.entr)(-1.0)) == 0.0  # constant -inf there: no NaN
    assert float(tl.grad(sp.logit)(0.0)) == np.inf
    assert float(tl.grad(sp.log_ndtr)(-np.inf)) == np.inf  # JAX: NaN
    assert float(tl.grad(sp.log_ndtr)(np.inf)) == 0.0
    # far left tail: -x - 1/x + ..., where exp(logpdf - log_ndtr) would cancel
    assert float(tl.grad(sp.log_ndtr)(-1e5)) == pytest.approx(1e5 + 1e-5, rel=1e-15)
    assert float(tl.grad(sp.ndtri)(0.5)) == pytest.approx(math.sqrt(2 * math.pi), rel=1e-15)
    assert float(tl.grad(sp.ndtri)(0.0)) == np.inf
    assert float(tl.grad(stats.laplace.cdf)(0.0)) == 0.5
    for x in (-1000.0, 1000.0):  # no inf * 0 from the branch not taken
        assert float(tl.grad(stats.laplace.cdf)(x)) == 0.0
    assert float(tl.grad(stats.poisson.logpmf, argnums=1)(0.0, 0.0)) == -1.0


def test_log_ndtr_second_derivative_does_not_underflow(x64):
    # d2/dx2 log ndtr(x) -> -1 in the far left tail; log(ndtr(x))'' would divide 0 by 0
    for x in (-30.0, -36.0, -38.0, -1e3):
        assert float(tl.grad(tl.grad(sp.log_ndtr))(x)) == pytest.approx(-1.0, abs=2e-3)


# --------------------------------------------------------------------------------------------
# gradients against finite differences


@pytest.mark.parametrize("rec", GRAD_RECORDS, ids=[r.name for r in GRAD_RECORDS])
def test_check_grads(x64, rec):
    check_grads(rec.diff_fn, [tnp.asarray(a) for a in rec.grad_at], order=2,
                eps=rec.grad_eps, modes=("fwd", "rev"))


def test_poisson_cdf_gradient_is_minus_the_pmf(x64):
    k, mu = tnp.asarray([0.0, 3.0, 3.5, 40.0, -1.0]), tnp.asarray([0.5, 2.5, 2.5, 30.0, 1.0])
    got = tl.vmap(tl.grad(stats.poisson.cdf, argnums=1))(k, mu)
    want = -scipy_stats.poisson.pmf(np.floor(np.asarray(k)), np.asarray(mu))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13)
    assert float(tl.grad(stats.poisson.cdf, argnums=0)(3.0, 2.5)) == 0.0


def test_multivariate_normal_gradients(x64):
    x, mean = tnp.asarray([[0.3, -0.2, 1.0], [1.1, 0.0, -0.7]]), tnp.asarray([0.1, 0.4, -0.3])
    cov = tnp.asarray([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
    check_grads(stats.multivariate_normal.logpdf, (x, mean, cov), order=2)
    check_grads(lambda c: stats.multivariate_normal.logpdf(x, mean, c), (tnp.asarray(2.5),),
                order=2)


# --------------------------------------------------------------------------------------------
# jit and vmap


@pytest.mark.parametrize("rec", GRAD_RECORDS, ids=[r.name for r in GRAD_RECORDS])
def test_jit_and_vmap_equal_eager(x64, rec):
    fn = rec.fn
    args = [tnp.asarray(a) for a in rec.points]
    eager = np.asarray(fn(*args))
    # (XLA's scalar and vector code may differ in the last bits: digamma near its root)
    tol = {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(np.asarray(tl.jit(fn)(*args)), eager, **tol)
    rows = np.asarray(tl.vmap(fn)(*args))
    loop = np.stack([np.asarray(fn(*[a[i] for a in args])) for i in range(len(eager))])
    np.testing.assert_allclose(rows, loop, **tol)
    np.testing.assert_allclose(rows, eager, **tol)


def test_vmap_of_poisson_cdf_with_unequal_iteration_counts():
    k = tnp.asarray([0.0, 5.0, 50.0, 400.0, 1000.0])
    mu = tnp.asarray([[0.5], [30.0], [500.0]])
    batched = tl.vmap(stats.poisson.cdf, in_axes=(None, 0))(k, mu[:, 0])
    np.testing.assert_allclose(np.asarray(batched), np.asarray(stats.poisson.cdf(k, mu)),
                               rtol=1e-6)
    jitted = tl.jit(stats.poisson.cdf)(k, mu)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(stats.poisson.cdf(k, mu)),
                               rtol=1e-6)


def test_vmap_of_multivariate_normal_over_covariances(x64):
    covs = tnp.asarray(np.stack([np.eye(2) * s for s in (0.5, 1.0, 2.0)]))
    x, mean = tnp.asarray([0.3, -0.4]), tnp.asarray([0.0, 0.1])
    rows = tl.vmap(stats.multivariate_normal.logpdf, in_axes=(None, None, 0))(x, mean, covs)
    loop = [float(stats.multivariate_normal.logpdf(x, mean, c)) for c in covs]
    np.testing.assert_allclose(np.asarray(rows), loop, rtol=1e-14)
    jitted = tl.jit(stats.multivariate_normal.logpdf)(x, mean, covs)
    np.testing.assert_allclose(np.asarray(jitted), loop, rtol=1e-14)


# --------------------------------------------------------------------------------------------
# errors


def test_errors():
    with pytest.raises(TypeError, match="series_order"):
        sp.log_ndtr(1.0, series_order=2.0)
    with pytest.raises(ValueError, match="series_order"):
        sp.log_ndtr(1.0, series_order=31)
    with pytest.raises(DTypeError, match="entr"):
        sp.entr(tnp.asarray([1 + 1j]))
    with pytest.raises(ShapeError, match="multivariate_normal.logpdf"):
        stats.multivariate_normal.logpdf(tnp.zeros(3), tnp.zeros(3), tnp.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        stats.multivariate_normal.logpdf(tnp.zeros(2), tnp.zeros(2), tnp.eye(2), True)


# --------------------------------------------------------------------------------------------
# the public API: JAX's names, documented, with examples that run


def _public_modules():
    return ["tensorlib.scipy.special"] + [f"tensorlib.scipy.stats.{d}" for d in DISTRIBUTIONS]


@pytest.mark.parametrize("dist", list(DISTRIBUTIONS))
def test_distribution_modules_expose_jax_names(dist):
    mod = getattr(stats, dist)
    assert sorted(mod.__all__) == sorted(DISTRIBUTIONS[dist].split())
    assert tsp.stats is stats and tsp.special is sp
    if HAVE_JAX:
        jmod = importlib.import_module(f"jax.scipy.stats.{dist}")
        assert set(mod.__all__) == {n for n in dir(jmod) if not n.startswith("_")}


def test_special_exposes_the_listed_names():
    assert {n for n in dir(sp) if not n.startswith("_")} == set(SPECIAL)
    if HAVE_JAX:
        assert set(SPECIAL) <= set(dir(jsp))


def _documented():
    out = []
    for modname in _public_modules():
        mod = importlib.import_module(modname)
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        out += [(f"{modname}.{n}", getattr(mod, n)) for n in sorted(names)
                if callable(getattr(mod, n)) and not inspect.ismodule(getattr(mod, n))]
    return out


DOCUMENTED = _documented()


@pytest.mark.parametrize("name,fn", DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_docstring_examples_run(name, fn):
    doc = inspect.getdoc(fn) or ""
    assert ">>>" in doc, f"{name} has no example"
    globs = {"tl": tl, "tnp": tnp, "np": np}
    test = doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    out = []
    prev = tl.config.enable_x64
    try:
        runner.run(test, out=out.append, clear_globs=True)
    finally:
        tl.config.update("enable_x64", prev)
    assert runner.failures == 0, "".join(out)

"""The NumPy-API surface of ``tensorlib.numpy``: the contract's names exist, and the functions
added on top of the op grid (statistics, differences, comparisons, histograms, interpolation,
polynomials, index helpers, Array API utilities) agree with NumPy.

One record table: each record is a function of a namespace ``xp`` (``tnp`` or ``np``) and of
NumPy input arrays, run on both and compared by shape, dtype kind and value. Records whose output
shape does not depend on values also run under ``tl.jit``; differentiable ones are checked with
``check_grads`` in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.test_util import check_grads

# The contract names of tensorlib.numpy (../shared/tools/check_contract.py), without the
# linalg and fft submodules, which have their own tests.
CONTRACT = """array asarray zeros ones full empty zeros_like ones_like full_like arange
    linspace logspace eye identity meshgrid tri tril triu diag diagonal trace
    add subtract multiply divide true_divide floor_divide mod remainder power
    negative positive abs absolute sign sqrt cbrt square reciprocal exp exp2 expm1 log
    log2 log10 log1p sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh
    arcsinh arccosh arctanh hypot floor ceil round trunc rint maximum minimum
    fmax fmin clip where isnan isinf isfinite nan_to_num logical_and logical_or
    logical_not logical_xor equal not_equal less less_equal greater greater_equal
    bitwise_and bitwise_or bitwise_xor invert left_shift right_shift
    sum prod mean var std max min amax amin argmax argmin all any cumsum cumprod
    median quantile percentile nansum nanmean nanmax nanmin logaddexp
    dot vdot matmul inner outer tensordot einsum kron cross
    reshape ravel transpose swapaxes moveaxis expand_dims squeeze broadcast_to
    broadcast_arrays concatenate stack hstack vstack dstack split array_split
    tile repeat flip fliplr flipud roll rot90 pad take take_along_axis
    sort argsort searchsorted unique nonzero count_nonzero diff
    allclose isclose array_equal shape ndim size result_type promote_types
    float16 bfloat16 float32 float64 int8 int16 int32 int64 uint8 uint32 bool_
    complex64 pi e inf nan newaxis""".split()

# The Array API 2023.12 main namespace (functions, constants and dtypes).
ARRAY_API = """abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift
    bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos
    cosh divide equal exp expm1 floor floor_divide greater greater_equal hypot imag isfinite
    isinf isnan less less_equal log log1p log2 log10 logaddexp logical_and logical_not
    logical_or logical_xor maximum minimum multiply negative not_equal positive pow real
    remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc
    arange asarray empty empty_like eye from_dlpack full full_like linspace meshgrid ones
    ones_like tril triu zeros zeros_like astype can_cast finfo iinfo isdtype result_type
    take matmul matrix_transpose tensordot vecdot broadcast_arrays broadcast_to concat
    expand_dims flip moveaxis permute_dims repeat reshape roll squeeze stack tile unstack
    argmax argmin nonzero searchsorted where unique_all unique_counts unique_inverse
    unique_values argsort sort cumulative_sum max mean min prod std sum var all any
    e inf nan newaxis pi bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32
    float64 complex64 complex128 __array_namespace_info__""".split()


@pytest.mark.parametrize("name", CONTRACT + ARRAY_API)
def test_name_exists(name):
    assert hasattr(tnp, name), f"tensorlib.numpy has no {name!r}"


def test_array_api_inspection():
    assert tnp.__array_api_version__ == "2023.12"
    info = tnp.__array_namespace_info__()
    caps = info.capabilities()
    assert caps["boolean indexing"] is True and caps["data-dependent shapes"] is True
    assert info.default_device() in info.devices()
    assert set(info.default_dtypes()) == {"real floating", "complex floating", "integral",
                                          "indexing"}
    assert info.default_dtypes()["real floating"] == tnp.zeros(1).dtype
    assert set(info.dtypes(kind="bool")) == {"bool"}
    assert set(info.dtypes(kind=("signed integer", "bool"))) >= {"bool", "int8", "int32"}
    assert set(info.dtypes(kind="complex floating")) >= {"complex64"}
    x = tnp.ones(3)
    assert x.device == info.default_device()
    assert x.__array_namespace__() is tnp
    with pytest.raises(ValueError):
        info.dtypes(kind="nope")


def test_dtype_objects():
    assert tnp.float32 != None  # noqa: E711 - np.dtype(None) is float64, None is no dtype
    assert not (tnp.float64 == None)  # noqa: E711
    assert tnp.float32 != "not a dtype"
    assert isinstance(tnp.finfo(tnp.float32).eps, float)
    assert isinstance(tnp.finfo(tnp.ones(2)).max, float)
    assert tnp.finfo(tnp.float32).bits == 32
    assert tnp.promote_types(tnp.int8, tnp.uint8) == np.dtype("int16")
    assert tnp.astype(tnp.ones(2), tnp.int32).dtype == np.dtype("int32")
    assert tnp.isdtype(tnp.float32, ("integral", "real floating"))


# --------------------------------------------------------------------------------------------
# The record table


class Rec(NamedTuple):
    id: str
    fn: Callable                  # fn(xp, *arrays)
    args: tuple                   # NumPy arrays
    jit: bool = True              # output shape independent of the values
    grad: bool = False            # differentiable in every float argument
    ref: Callable | None = None   # NumPy reference, when it is not fn(np, *args)


_rng = np.random.default_rng(0)
A = _rng.normal(size=(3, 4)).astype(np.float32)
B = _rng.normal(size=(3, 4)).astype(np.float32)
V = _rng.normal(size=7).astype(np.float32)
W = _rng.normal(size=4).astype(np.float32)
AN = A.copy()
AN[1, 2] = np.nan
AN[0, 0] = np.nan
IDX = _rng.integers(0, 6, size=10).astype(np.int32)
WT = _rng.random(10).astype(np.float32)
XP = np.sort(_rng.normal(size=6)).astype(np.float32)
FP = _rng.normal(size=6).astype(np.float32)
XQ = np.linspace(-3, 3, 13).astype(np.float32)
COORD = np.cumsum(np.arange(1, 8)).astype(np.float32)
C = np.array([1 + 1j, 2 + 0j, -1 - 0.5j], np.complex64)
Q = np.array([0.0, 0.3, 0.5, 0.9, 1.0], np.float32)
BINS = np.array([-1.0, 0.0, 1.0], np.float32)
SPECIAL = np.array([np.inf, -np.inf, np.nan, 1.0, 0.0], np.float32)


def _quantile_method(xp, a, q, method):
    return xp.quantile(a, q, axis=0, method=method)


def _fill_diagonal_ref(a, val, wrap=False):
    a = a.copy()
    np.fill_diagonal(a, val, wrap=wrap)
    return a


RECORDS = [
    # quantiles
    Rec("median", lambda xp, a: xp.median(a), (A,), grad=True),
    Rec("median-axis0", lambda xp, a: xp.median(a, axis=0), (A,), grad=True),
    Rec("median-axis1-keepdims", lambda xp, a: xp.median(a, axis=1, keepdims=True), (A,)),
    Rec("median-axes01", lambda xp, a: xp.median(a, axis=(0, 1)), (A,)),
    Rec("median-nan", lambda xp, a: xp.median(a, axis=1), (AN,)),
    Rec("median-int", lambda xp, a: xp.median(a), (IDX,)),
    *[Rec(f"quantile-{m}", partial(_quantile_method, method=m), (A, Q))
      for m in ("linear", "lower", "higher", "midpoint", "nearest")],
    Rec("quantile-scalar-q", lambda xp, a: xp.quantile(a, 0.25, axis=1), (A,), grad=True),
    Rec("quantile-keepdims", lambda xp, a, q: xp.quantile(a, q, axis=1, keepdims=True), (A, Q)),
    Rec("quantile-q2d", lambda xp, a, q: xp.quantile(a, q.reshape(1, 5)), (A, Q)),
    Rec("percentile", lambda xp, a: xp.percentile(a, 30.0, axis=1), (A,), grad=True),
    Rec("percentile-vec", lambda xp, a, q: xp.percentile(a, q * 100), (V, Q)),
    Rec("nanmedian", lambda xp, a: xp.nanmedian(a, axis=1), (AN,)),
    Rec("nanmedian-all", lambda xp, a: xp.nanmedian(a), (AN,)),
    Rec("nanquantile", lambda xp, a, q: xp.nanquantile(a, q, axis=0), (AN, Q)),
    Rec("nanpercentile", lambda xp, a: xp.nanpercentile(a, 70.0), (AN,)),
    # differences
    Rec("diff", lambda xp, a: xp.diff(a), (A,), grad=True),
    Rec("diff-n2-axis0", lambda xp, a: xp.diff(a, n=2, axis=0), (A,)),
    Rec("diff-prepend-append", lambda xp, v: xp.diff(v, prepend=0.0, append=np.float32(1)),
        (V,)),
    Rec("diff-bool", lambda xp, a: xp.diff(a > 0), (A,)),
    Rec("diff-int", lambda xp, i: xp.diff(i), (IDX,)),
    Rec("ediff1d", lambda xp, a: xp.ediff1d(a, to_begin=np.float32(5), to_end=[7.0, 8.0]),
        (A,)),
    Rec("gradient", lambda xp, v: xp.gradient(v), (V,), grad=True),
    Rec("gradient-spacing", lambda xp, v: xp.gradient(v, 0.5), (V,)),
    Rec("gradient-2d", lambda xp, a: xp.gradient(a), (A,)),
    Rec("gradient-axis1", lambda xp, a: xp.gradient(a, axis=1), (A,)),
    Rec("gradient-edge2", lambda xp, v: xp.gradient(v, edge_order=2), (V,)),
    Rec("gradient-coords", lambda xp, v, x: xp.gradient(v, x), (V, COORD)),
    Rec("gradient-coords-edge2", lambda xp, v, x: xp.gradient(v, x, edge_order=2), (V, COORD)),
    Rec("trapezoid", lambda xp, a: xp.trapezoid(a), (A,), grad=True),
    Rec("trapezoid-x", lambda xp, v, x: xp.trapezoid(v, x), (V, COORD)),
    # comparisons
    Rec("isclose", lambda xp, a: xp.isclose(a, a + 1e-6), (A,)),
    Rec("isclose-special", lambda xp, s: xp.isclose(s, s[::-1], equal_nan=True), (SPECIAL,)),
    Rec("isclose-nan", lambda xp, s: xp.isclose(s, s), (SPECIAL,)),
    Rec("isclose-int", lambda xp, i: xp.isclose(i, 3), (IDX,)),
    Rec("allclose", lambda xp, a, b: xp.allclose(a, b), (A, B)),
    Rec("allclose-true", lambda xp, a: xp.allclose(a, a * (1 + 1e-7)), (A,)),
    Rec("array_equal", lambda xp, a: xp.array_equal(a, a), (A,)),
    Rec("array_equal-shape", lambda xp, a: xp.array_equal(a, a[:1]), (A,)),
    Rec("array_equal-nan", lambda xp, a: xp.array_equal(a, a, equal_nan=True), (AN,)),
    Rec("array_equiv", lambda xp, a: xp.array_equiv(a[:1], xp.broadcast_to(a[:1], (3, 4))),
        (A,)),
    Rec("array_equiv-no", lambda xp, a, v: xp.array_equiv(a, v), (A, V)),
    Rec("isreal", lambda xp, c: xp.isreal(c), (C,)),
    Rec("isreal-real", lambda xp, a: xp.isreal(a), (A,)),
    Rec("iscomplex", lambda xp, c: xp.iscomplex(c), (C,)),
    Rec("iscomplexobj", lambda xp, c, a: (xp.iscomplexobj(c), xp.iscomplexobj(a)), (C, A),
        jit=False),
    Rec("isrealobj", lambda xp, c, a: (xp.isrealobj(c), xp.isrealobj(a)), (C, A), jit=False),
    Rec("isscalar", lambda xp, a: (xp.isscalar(1.0), xp.isscalar(a), xp.isscalar([1])), (A,),
        jit=False),
    # convolution
    Rec("convolve", lambda xp, v, w: xp.convolve(v, w), (V, W), grad=True),
    Rec("convolve-same", lambda xp, v, w: xp.convolve(v, w, mode="same"), (V, W)),
    Rec("convolve-same-even", lambda xp, v, w: xp.convolve(v[:6], w, mode="same"), (V, W)),
    Rec("convolve-valid-swapped", lambda xp, v, w: xp.convolve(w, v, mode="valid"), (V, W)),
    Rec("correlate", lambda xp, v, w: xp.correlate(v, w), (V, W), grad=True),
    Rec("correlate-full", lambda xp, v, w: xp.correlate(v, w, mode="full"), (V, W)),
    Rec("correlate-same", lambda xp, v, w: xp.correlate(v, w, mode="same"), (V, W)),
    Rec("correlate-swapped", lambda xp, v, w: xp.correlate(w, v, mode="full"), (V, W)),
    Rec("correlate-swapped-same", lambda xp, v, w: xp.correlate(w, v[:6], mode="same"), (V, W)),
    Rec("correlate-complex", lambda xp, c: xp.correlate(c, c[::-1], mode="full"), (C,)),
    Rec("polymul", lambda xp, v, w: xp.polymul(v, w), (V, W)),
    # histograms and bins
    Rec("bincount", lambda xp, i: xp.bincount(i), (IDX,), jit=False),
    Rec("bincount-weights", lambda xp, i, w: xp.bincount(i, w), (IDX, WT), jit=False),
    Rec("bincount-minlength", lambda xp, i: xp.bincount(i, minlength=9), (IDX,), jit=False),
    Rec("bincount-length", lambda xp, i: xp.bincount(i, length=7), (IDX,),
        ref=lambda i: np.bincount(i, minlength=7)),
    Rec("digitize", lambda xp, v, b: xp.digitize(v, b), (V, BINS)),
    Rec("digitize-right", lambda xp, b: xp.digitize(b, b, right=True), (BINS,)),
    Rec("digitize-decreasing", lambda xp, v, b: xp.digitize(v, b[::-1]), (V, BINS)),
    Rec("histogram", lambda xp, v: xp.histogram(v), (V,)),
    Rec("histogram-range", lambda xp, v: xp.histogram(v, bins=3, range=(-1, 1)), (V,)),
    Rec("histogram-edges", lambda xp, v, b: xp.histogram(v, bins=b), (V, BINS)),
    Rec("histogram-weights-density",
        lambda xp, v, w: xp.histogram(v, bins=4, weights=w[:7], density=True), (V, WT)),
    Rec("histogram_bin_edges", lambda xp, v: xp.histogram_bin_edges(v, bins=5), (V,)),
    # interpolation and polynomials
    Rec("interp", lambda xp, x, xp_, fp: xp.interp(x, xp_, fp), (XQ, XP, FP), grad=True),
    Rec("interp-left-right", lambda xp, x, xp_, fp: xp.interp(x, xp_, fp, left=-9.0, right=9.0),
        (XQ, XP, FP)),
    Rec("interp-period", lambda xp, x, xp_, fp: xp.interp(x, xp_, fp, period=2.0),
        (XQ, XP, FP)),
    Rec("polyval", lambda xp, p, v: xp.polyval(p, v), (W, V), grad=True),
    Rec("polyder", lambda xp, p: xp.polyder(p, 2), (W,)),
    Rec("polyadd", lambda xp, p, v: xp.polyadd(p, v), (W, V)),
    Rec("polysub", lambda xp, p, v: xp.polysub(p, v), (W, V)),
    Rec("vander", lambda xp, v: xp.vander(v[:4]), (V,)),
    Rec("vander-increasing", lambda xp, v: xp.vander(v[:4], 3, increasing=True), (V,)),
    # covariance
    Rec("cov", lambda xp, a: xp.cov(a), (A,), grad=True),
    Rec("cov-rowvar", lambda xp, a: xp.cov(a, rowvar=False), (A,)),
    Rec("cov-y", lambda xp, a, b: xp.cov(a[0], b[0]), (A, B)),
    Rec("cov-1d", lambda xp, v: xp.cov(v), (V,)),
    Rec("cov-bias-ddof", lambda xp, a: (xp.cov(a, bias=True), xp.cov(a, ddof=2)), (A,)),
    Rec("cov-weights", lambda xp, a: xp.cov(a, fweights=np.array([1, 2, 1, 3]),
                                            aweights=np.array([0.5, 1.0, 2.0, 1.0])), (A,)),
    Rec("corrcoef", lambda xp, a: xp.corrcoef(a), (A,), grad=True),
    Rec("corrcoef-y", lambda xp, a, b: xp.corrcoef(a[0], b[0]), (A, B)),
    # functional helpers
    Rec("apply_along_axis", lambda xp, a: xp.apply_along_axis(lambda r: r * 2 + r[0], 1, a),
        (A,)),
    Rec("apply_along_axis-scalar", lambda xp, a: xp.apply_along_axis(lambda r: r.sum(), 0, a),
        (A,)),
    Rec("piecewise", lambda xp, v: xp.piecewise(v, [v < 0, v > 0.5],
                                                [lambda x: -x, lambda x: x * 2, 0.25]), (V,)),
    # index helpers and sets
    Rec("append", lambda xp, a, v: xp.append(a, v), (A, V)),
    Rec("append-axis", lambda xp, a, b: xp.append(a, b, axis=0), (A, B)),
    Rec("isin", lambda xp, i: xp.isin(i, np.array([1, 3])), (IDX,)),
    Rec("isin-invert", lambda xp, i: xp.isin(i, np.array([1, 3]), invert=True), (IDX,)),
    Rec("tril_indices", lambda xp: xp.tril_indices(4, -1), ()),
    Rec("triu_indices", lambda xp: xp.triu_indices(3, 1, 5), ()),
    Rec("tril_indices_from", lambda xp, a: xp.tril_indices_from(a), (A,)),
    Rec("triu_indices_from", lambda xp, a: xp.triu_indices_from(a, 1), (A,)),
    Rec("diag_indices", lambda xp: xp.diag_indices(3), ()),
    Rec("unravel_index", lambda xp, i: xp.unravel_index(i, (2, 3)), (IDX,)),
    Rec("ravel_multi_index",
        lambda xp: xp.ravel_multi_index((np.array([1, 0]), np.array([2, 1])), (2, 3)), ()),
    Rec("fill_diagonal", lambda xp, a: xp.fill_diagonal(a, 5.0, inplace=False), (A,),
        ref=lambda a: _fill_diagonal_ref(a, 5.0)),
    Rec("fill_diagonal-wrap",
        lambda xp, a: xp.fill_diagonal(xp.zeros((7, 3)), a[0, :2], wrap=True, inplace=False),
        (A,), ref=lambda a: _fill_diagonal_ref(np.zeros((7, 3)), a[0, :2], wrap=True)),
    # elementwise extras
    Rec("angle", lambda xp, c: xp.angle(c), (C,)),
    Rec("angle-deg-real", lambda xp, v: xp.angle(v, deg=True), (V,)),
    Rec("modf", lambda xp, v: xp.modf(v * 3), (V,)),
    Rec("ldexp", lambda xp, v: xp.ldexp(v, np.arange(7, dtype=np.int32)), (V,)),
    # Array API functions
    Rec("astype", lambda xp, a: xp.astype(a, xp.int32), (A,),
        ref=lambda a: a.astype(np.int32)),
    Rec("where", lambda xp, a, b: xp.where(a > 0, a, b), (A, B)),
    Rec("isnan", lambda xp, s: xp.isnan(s), (SPECIAL,)),
    Rec("full", lambda xp: xp.full((2, 3), 1.5, dtype=xp.float32), ()),
    Rec("full_like", lambda xp, a: xp.full_like(a, 7), (A,)),
    Rec("expand_dims", lambda xp, a: xp.expand_dims(a, (0, 3)), (A,)),
    Rec("eye-huge-k", lambda xp: xp.eye(3, 4, k=2**40), ()),
    Rec("unique_counts", lambda xp, i: tuple(tnp.unique_counts(i)) if xp is tnp
        else np.unique(i, return_counts=True), (IDX,), jit=False),
]

_KIND = {"f": "f", "c": "c", "i": "iu", "u": "iu", "b": "b"}


def _compare(got, want, rid):
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want), f"{rid}: {len(got)} outputs, NumPy gives {len(want)}"
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{rid}: shape {g.shape}, NumPy gives {w.shape}"
        assert g.dtype.kind in _KIND[w.dtype.kind], f"{rid}: dtype {g.dtype} vs NumPy {w.dtype}"
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5, equal_nan=True, err_msg=rid)
        else:
            np.testing.assert_array_equal(g, w, err_msg=rid)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.id)
def test_against_numpy(rec):
    want = rec.ref(*rec.args) if rec.ref else rec.fn(np, *rec.args)
    got = rec.fn(tnp, *[tnp.asarray(a) for a in rec.args])
    _compare(got, want, rec.id)


@pytest.mark.parametrize("rec", [r for r in RECORDS if r.jit], ids=lambda r: r.id)
def test_jit_matches_eager(rec):
    args = [tnp.asarray(a) for a in rec.args]
    eager = rec.fn(tnp, *args)
    staged = tl.jit(lambda *xs: rec.fn(tnp, *xs))(*args)
    _compare(staged, eager, rec.id)


@pytest.mark.parametrize("rec", [r for r in RECORDS if r.grad], ids=lambda r: r.id)
def test_grads(rec, x64):
    args = [tnp.asarray(np.asarray(a, np.float64)) for a in rec.args]
    check_grads(lambda *xs: rec.fn(tnp, *xs), args, order=1)


def test_concrete_only_errors():
    """Functions whose output size depends on values say so under jit."""
    with pytest.raises(Exception, match="bincount"):
        tl.jit(lambda i: tnp.bincount(i))(tnp.asarray(IDX))
    with pytest.raises(ValueError):
        tnp.nonzero(tnp.asarray(1.0))
    with pytest.raises(IndexError):
        tnp.expand_dims(tnp.ones(3), 3)


# --------------------------------------------------------------------------------------------
# fixes found by the docstring examples (JAX is the oracle)


@pytest.mark.parametrize("size", [2, 5])
def test_unique_with_size_pads_every_output_and_stages(size):
    jnp = pytest.importorskip("jax.numpy")
    x = np.array([[3, 1], [3, 2]], np.int32)
    kw = dict(return_index=True, return_inverse=True, return_counts=True, size=size)
    got = tnp.unique(tnp.asarray(x), **kw)
    want = jnp.unique(jnp.asarray(x), **kw)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    staged = tl.jit(lambda v: tnp.unique(v, **kw))(tnp.asarray(x))
    for g, w in zip(staged, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    nan = np.array([1.0, np.nan, np.nan], np.float32)
    for g, w in zip(tnp.unique(tnp.asarray(nan), return_counts=True, size=3),
                    jnp.unique(jnp.asarray(nan), return_counts=True, size=3), strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_issubdtype_takes_abstract_and_scalar_types():
    assert tnp.issubdtype(tnp.float32, tnp.floating)
    assert tnp.issubdtype(tnp.int8, np.integer) and tnp.issubdtype(np.float32, np.floating)
    assert tnp.issubdtype(tnp.bfloat16, tnp.inexact) and not tnp.issubdtype("int32", np.floating)


def test_small_jax_conformance_fixes():
    r = tnp.array_equal(tnp.ones(2), tnp.ones(3))
    assert r.dtype == np.bool_ and not r.weak_type and not bool(r)
    assert not tnp.array_equiv(tnp.ones(2), tnp.ones(3)).weak_type
    d = float(tnp.linalg.det(tnp.array([[1.0, 2.0], [2.0, 4.0]])))
    assert d == 0.0 and not np.signbit(d)
    assert not np.signbit(float(tnp.linalg.slogdet(tnp.array([[1.0, 2.0], [2.0, 4.0]]))[0]))
    with pytest.raises(ValueError, match="put_along_axis: .*immutable.*inplace=False"):
        tnp.put_along_axis(tnp.zeros((2, 2)), tnp.zeros((2, 1), tnp.int32), 1.0, axis=1)


def test_view_reinterprets_bytes_and_to_device_moves():
    """``x.view(dtype)`` reads the same bytes as ``dtype`` (NumPy's and JAX's meaning), it does
    not convert values; ``x.to_device`` moves data (Array API)."""
    x = np.array([1.0, -2.0, 0.5], np.float32)
    got = tnp.asarray(x).view(tnp.int32)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, x.view(np.int32))
    np.testing.assert_array_equal(tnp.asarray(x.view(np.int32)).view(tnp.float32), x)
    with pytest.raises(TypeError, match="Array.view: float32 and int8 have different widths"):
        tnp.asarray(x).view(tnp.int8)
    moved = tnp.asarray(x).to_device("numpy")
    assert moved.backend.name == "numpy"
    np.testing.assert_array_equal(moved, x)

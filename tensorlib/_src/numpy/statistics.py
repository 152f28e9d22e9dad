"""Statistics of ``tensorlib.numpy``: order statistics (``quantile``, ``percentile``,
``median`` and their NaN-ignoring forms: sort and gather) and ``cov``/``corrcoef``.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    comparison,
    complex_numbers,
    exp_log,
    floating,
    indexing,
    reductions,
    rounding,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.products import matmul
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
    broadcast_to,
    canonicalize_axes,
    promote_dtypes,
)
from tensorlib.errors import ShapeError


def _move_axes_last(a, axis):
    """``a`` with the reduced axes merged into one last axis, and the kept shape."""
    if axis is None:
        return shape_ops.reshape(a, (1, a.size)), (), tuple(range(a.ndim))
    axes = canonicalize_axes(axis, a.ndim, "quantile")
    kept = [d for d in range(a.ndim) if d not in axes]
    b = shape_ops.transpose(a, kept + list(axes))
    n = int(np.prod([a.shape[d] for d in axes], dtype=np.int64))
    kept_shape = tuple(a.shape[d] for d in kept)
    return shape_ops.reshape(b, kept_shape + (n,)), kept_shape, axes


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, a, q, axis, method, keepdims, ignore_nan):
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a = _inexact(asarray(a))
    q = asarray(q)
    if dtypes.is_complex(a.dtype):
        raise TypeError(f"{name}: complex input {a.aval.str_short()} is not supported")
    a, q = promote_dtypes(a, _inexact(q))
    x, kept_shape, axes = _move_axes_last(a, axis)
    if x.shape[-1] == 0:
        raise ShapeError(f"{name}: cannot take a quantile of an empty axis of "
                         f"{a.aval.str_short()}")
    s = sorting.sort(x, axis=-1)                                   # NaNs sort last
    qf = shape_ops.reshape(q, (1,) * (x.ndim - 1) + (q.size,))
    nan = floating.isnan(x)
    if ignore_nan:
        count = reductions.sum(comparison.logical_not(nan), axis=-1, keepdims=True)
        top = ufuncs.subtract(count.astype(a.dtype), 1)
    else:
        top = x.shape[-1] - 1
    out = _interpolate(s, ufuncs.multiply(qf, top), method)
    if not ignore_nan:
        out = ufuncs.where(reductions.any(nan, axis=-1, keepdims=True), np.nan, out)
    out = shape_ops.moveaxis(out, -1, 0)
    if keepdims:
        kept_shape = tuple(1 if d in axes else n for d, n in enumerate(a.shape))
    return shape_ops.reshape(out, q.shape + kept_shape)


def _interpolate(s, pos, method):
    """Values at the fractional positions ``pos`` of the sorted last axis of ``s``."""
    last = s.shape[-1] - 1
    lo = ufuncs.clip(rounding.floor(pos), 0, last)
    hi = ufuncs.clip(rounding.ceil(pos), 0, last)
    if method == "lower":
        return _take_last(s, lo)
    if method == "higher":
        return _take_last(s, hi)
    if method == "nearest":
        return _take_last(s, ufuncs.clip(rounding.rint(pos), 0, last))
    v_lo, v_hi = _take_last(s, lo), _take_last(s, hi)
    frac = ufuncs.subtract(pos, lo) if method == "linear" else 0.5
    out = ufuncs.add(v_lo, ufuncs.multiply(ufuncs.subtract(v_hi, v_lo), frac))
    return ufuncs.where(comparison.equal(v_lo, v_hi), v_lo, out)      # keeps infinities exact


def _take_last(s, idx):
    idx = broadcast_to(idx.astype(dtypes.default_int()), s.shape[:-1] + idx.shape[-1:])
    return indexing.take_along_axis(s, idx, axis=-1)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, interpolation=None):
    """The ``q``-th quantiles (``q`` in [0, 1]) along ``axis``; NaN if a slice has a NaN.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.quantile(tnp.asarray([1.0, 2.0, 3.0, 4.0]), 0.5)
    Array(2.5, dtype=float32)
    """
    method = interpolation or method
    return _quantile("quantile", a, q, axis, method, keepdims, False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    """The ``q``-th percentiles (``q`` in [0, 100]) along ``axis``; ``method`` as in NumPy.

    Examples
    --------
    >>> x = tnp.array([[1., 2., 3., 4.], [10., 20., 30., 40.]])
    >>> tnp.percentile(x, 50, axis=1)
    Array([ 2.5, 25. ], dtype=float32)
    >>> tnp.percentile(x, tnp.array([0, 100]), axis=1)
    Array([[ 1., 10.],
           [ 4., 40.]], dtype=float32)
    >>> tnp.percentile(tnp.array([1., 2., 3., 4.]), 50, method="lower")
    Array(2., dtype=float32)
    """
    method = interpolation or method
    q = ufuncs.true_divide(q, 100)
    return _quantile("percentile", a, q, axis, method, keepdims, False)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along ``axis`` (all axes by default); NaN if a slice has a NaN.

    Examples
    --------
    >>> x = tnp.array([[1., 3., 2.], [4., 6., 9.]])
    >>> tnp.median(x)
    Array(3.5, dtype=float32)
    >>> tnp.median(x, axis=1)
    Array([2., 6.], dtype=float32)
    >>> tnp.median(x, axis=0, keepdims=True)
    Array([[2.5, 4.5, 5.5]], dtype=float32)
    """
    return _quantile("median", a, 0.5, axis, "linear", keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    """``quantile`` ignoring NaNs (NaN where a slice is all NaN).

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan, 3.], [tnp.nan, tnp.nan, tnp.nan]])
    >>> tnp.nanquantile(x, 0.5, axis=1)
    Array([ 2., nan], dtype=float32)
    """
    method = interpolation or method
    return _quantile("nanquantile", a, q, axis, method, keepdims, True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    """``percentile`` ignoring NaNs (NaN where a slice is all NaN).

    Examples
    --------
    >>> tnp.nanpercentile(tnp.array([1., tnp.nan, 2., 3.]), tnp.array([0, 50, 100]))
    Array([1., 2., 3.], dtype=float32)
    """
    method = interpolation or method
    q = ufuncs.true_divide(q, 100)
    return _quantile("nanpercentile", a, q, axis, method, keepdims, True)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``median`` ignoring NaNs (NaN where a slice is all NaN).

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan, 3.], [4., 5., 6.]])
    >>> tnp.nanmedian(x, axis=1)
    Array([2., 5.], dtype=float32)
    >>> tnp.median(x, axis=1)
    Array([nan,  5.], dtype=float32)
    """
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, True)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows (``rowvar``) of ``m`` (and ``y``).

    Examples
    --------
    >>> x = tnp.array([[0., 1., 2.], [2., 1., 0.]])
    >>> tnp.cov(x)
    Array([[ 1., -1.],
           [-1.,  1.]], dtype=float32)
    >>> tnp.cov(x, bias=True)
    Array([[ 0.6666667, -0.6666667],
           [-0.6666667,  0.6666667]], dtype=float32)
    >>> tnp.cov(tnp.array([1., 2., 3., 4., 5.]))
    Array(2.5, dtype=float32)
    """
    if ddof is not None and ddof != int(ddof):
        raise ValueError("cov: ddof must be an integer")
    x = shape_ops.atleast_2d(_inexact(asarray(m)))
    if not rowvar and x.shape[0] != 1:
        x = x.T
    if y is not None:
        yy = shape_ops.atleast_2d(_inexact(asarray(y)))
        if not rowvar and yy.shape[0] != 1:
            yy = yy.T
        x = shape_ops.concatenate([x, yy], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        w = asarray(fweights).astype(x.real.dtype)
    if aweights is not None:
        aw = asarray(aweights).astype(x.real.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = reductions.mean(x, axis=1)
        fact = x.shape[1] - ddof
        wsum = None
    else:
        wsum = reductions.sum(w)
        avg = reductions.sum(x * w, axis=1) / wsum
        if ddof == 0:
            fact = wsum
        elif aweights is None:
            fact = wsum - ddof
        else:
            fact = wsum - ddof * reductions.sum(w * asarray(aweights)) / wsum
    xc = x - avg[:, None]
    xw = xc if w is None else xc * w
    c = matmul(xw, complex_numbers.conj(xc).T)
    c = c / ufuncs.maximum(fact, 0) if not isinstance(fact, int) else c / builtins.max(fact, 0)
    return shape_ops.squeeze(c)


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients, clipped to [-1, 1].

    Examples
    --------
    >>> x = tnp.array([[0., 1., 2.], [4., 2., 0.], [1., 1., 4.]])
    >>> tnp.round(tnp.corrcoef(x), 4)
    Array([[ 1.   , -1.   ,  0.866],
           [-1.   ,  1.   , -0.866],
           [ 0.866, -0.866,  1.   ]], dtype=float32)
    """
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = indexing.diagonal(c)
    sd = exp_log.sqrt(complex_numbers.real(d))
    c = c / sd[:, None] / sd[None, :]
    if dtypes.is_complex(c.dtype):
        return (ufuncs.clip(complex_numbers.real(c), -1, 1)
                + 1j * ufuncs.clip(complex_numbers.imag(c), -1, 1))
    return ufuncs.clip(c, -1, 1)

"""Statistics, differences, comparisons, histograms, interpolation and polynomials.

Everything here composes other ``tensorlib.numpy`` functions (so primitives underneath):
median/quantile sort and gather, ``diff``/``gradient`` slice, ``convolve`` gathers a window
matrix and multiplies, ``histogram``/``bincount`` scatter-add. Index tables that depend only on
shapes are built with NumPy at trace time; array values are never read, except where the result
shape depends on them (``bincount`` without ``length``), which needs concrete input as in JAX.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy import creation, indexing, reductions, shape_ops, sorting, ufuncs
from tensorlib._src.numpy.products import matmul
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axes,
    canonicalize_axis,
    promote_dtypes,
)
from tensorlib.errors import ShapeError

# --------------------------------------------------------------------------------------------
# quantiles


def _inexact(x):
    return x if dtypes.is_inexact(x.dtype) else x.astype(dtypes.default_float())


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
    nan = ufuncs.isnan(x)
    if ignore_nan:
        count = reductions.sum(ufuncs.logical_not(nan), axis=-1, keepdims=True)
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
    lo = ufuncs.clip(ufuncs.floor(pos), 0, last)
    hi = ufuncs.clip(ufuncs.ceil(pos), 0, last)
    if method == "lower":
        return _take_last(s, lo)
    if method == "higher":
        return _take_last(s, hi)
    if method == "nearest":
        return _take_last(s, ufuncs.clip(ufuncs.rint(pos), 0, last))
    v_lo, v_hi = _take_last(s, lo), _take_last(s, hi)
    frac = ufuncs.subtract(pos, lo) if method == "linear" else 0.5
    out = ufuncs.add(v_lo, ufuncs.multiply(ufuncs.subtract(v_hi, v_lo), frac))
    return ufuncs.where(ufuncs.equal(v_lo, v_hi), v_lo, out)      # keeps infinities exact


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


# --------------------------------------------------------------------------------------------
# differences


def _slice_axis(x, start, stop, axis):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """``n``-th discrete difference along ``axis`` (booleans: ``!=``, as NumPy).

    Examples
    --------
    >>> x = tnp.array([1, 4, 9, 16])
    >>> tnp.diff(x)
    Array([3, 5, 7], dtype=int32)
    >>> tnp.diff(x, n=2)
    Array([2, 2], dtype=int32)
    >>> tnp.diff(x, prepend=0)
    Array([1, 3, 5, 7], dtype=int32)
    >>> tnp.diff(tnp.array([[1, 2], [5, 3]]), axis=0)
    Array([[4, 1]], dtype=int32)
    """
    a = asarray(a)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got {n}")
    if n == 0:
        return a
    if a.ndim == 0:
        raise ShapeError("diff: requires input that is at least one dimensional")
    ax = canonicalize_axis(axis, a.ndim, "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            continue
        e = asarray(extra)
        if e.ndim == 0:
            shp = list(a.shape)
            shp[ax] = 1
            e = broadcast_to(e, shp)
        parts.append(e)
    if prepend is not None or append is not None:
        pre = [parts.pop(0)] if prepend is not None else []
        a = shape_ops.concatenate(pre + [a] + parts, axis=ax)
    for _ in range(n):
        hi, lo = _slice_axis(a, 1, None, ax), _slice_axis(a, None, -1, ax)
        a = ufuncs.not_equal(hi, lo) if a.dtype == dtypes.bool_ else ufuncs.subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened array, optionally with
    ``to_begin``/``to_end`` values around them.

    Examples
    --------
    >>> tnp.ediff1d(tnp.array([[1, 2], [4, 8]]))
    Array([1, 2, 4], dtype=int32)
    >>> tnp.ediff1d(tnp.array([1, 2, 4]), to_begin=0, to_end=tnp.array([9, 9]))
    Array([0, 1, 2, 9, 9], dtype=int32)
    """
    d = diff(shape_ops.ravel(ary))
    parts = [d]
    if to_begin is not None:
        parts.insert(0, shape_ops.ravel(asarray(to_begin, d.dtype)))
    if to_end is not None:
        parts.append(shape_ops.ravel(asarray(to_end, d.dtype)))
    return shape_ops.concatenate(parts) if len(parts) > 1 else d


def _along(v, axis, ndim):
    shp = [1] * ndim
    shp[axis] = v.shape[0]
    return shape_ops.reshape(v, shp)


def _gradient_axis(f, h, axis, edge_order):
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(f"gradient: shape {f.shape} is too small along axis {axis} for "
                         f"edge_order={edge_order} (needs at least {edge_order + 1} points)")
    s = lambda a, b: _slice_axis(f, a, b, axis)  # noqa: E731
    if h.ndim == 0:
        mid = (s(2, None) - s(None, -2)) / (2 * h)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(-1, None) - s(-2, -1)) / h
        else:
            first = -(3 * s(0, 1) - 4 * s(1, 2) + s(2, 3)) / (2 * h)
            last = (3 * s(-1, None) - 4 * s(-2, -1) + s(-3, -2)) / (2 * h)
    else:
        if h.shape != (n,):
            raise ShapeError(f"gradient: coordinates {h.aval.str_short()} must match the "
                             f"length {n} of axis {axis}")
        dx = diff(h)
        d1, d2 = _along(dx[:-1], axis, f.ndim), _along(dx[1:], axis, f.ndim)
        mid = (-d2 / (d1 * (d1 + d2)) * s(None, -2) + (d2 - d1) / (d1 * d2) * s(1, -1)
               + d1 / (d2 * (d1 + d2)) * s(2, None))
        e0, e1 = _along(dx[0:1], axis, f.ndim), _along(dx[-1:], axis, f.ndim)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / e0
            last = (s(-1, None) - s(-2, -1)) / e1
        else:
            a1, a2 = e0, _along(dx[1:2], axis, f.ndim)
            first = (-(2 * a1 + a2) / (a1 * (a1 + a2)) * s(0, 1)
                     + (a1 + a2) / (a1 * a2) * s(1, 2) - a1 / (a2 * (a1 + a2)) * s(2, 3))
            b1, b2 = _along(dx[-2:-1], axis, f.ndim), e1
            last = (b2 / (b1 * (b1 + b2)) * s(-3, -2) - (b2 + b1) / (b1 * b2) * s(-2, -1)
                    + (2 * b2 + b1) / (b2 * (b1 + b2)) * s(-1, None))
    return shape_ops.concatenate([first, mid, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """Central differences inside, one-sided (order ``edge_order``) at the ends.

    Spacings may be a scalar or coordinates per axis; several axes give a list of arrays.

    Examples
    --------
    >>> f = tnp.array([1., 2., 4., 7., 11.])
    >>> tnp.gradient(f)
    Array([1. , 1.5, 2.5, 3.5, 4. ], dtype=float32)
    >>> tnp.gradient(f, 2.)
    Array([0.5 , 0.75, 1.25, 1.75, 2.  ], dtype=float32)
    >>> tnp.gradient(tnp.array([[1., 2.], [3., 5.]]))
    [Array([[2., 3.],
           [2., 3.]], dtype=float32), Array([[1., 1.],
           [2., 2.]], dtype=float32)]
    """
    f = _inexact(asarray(f))
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    axes = canonicalize_axes(axis, f.ndim, "gradient")
    if not varargs:
        spacing = [asarray(1.0, f.dtype)] * len(axes)
    elif len(varargs) == 1 and asarray(varargs[0]).ndim == 0:
        spacing = [asarray(varargs[0])] * len(axes)
    elif len(varargs) == len(axes):
        spacing = [asarray(v) for v in varargs]
    else:
        raise TypeError(f"gradient: got {len(varargs)} spacings for {len(axes)} axes")
    out = [_gradient_axis(f, _inexact(h), ax, edge_order)
           for h, ax in zip(spacing, axes, strict=True)]
    return out[0] if len(out) == 1 else out


# --------------------------------------------------------------------------------------------
# comparisons


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|a - b| <= atol + rtol * |b|`` elementwise; infinities must match exactly.

    Examples
    --------
    >>> a = tnp.array([1.0, 1.0, tnp.inf, tnp.nan])
    >>> tnp.isclose(a, tnp.array([1.000001, 1.1, tnp.inf, tnp.nan]))
    Array([ True, False,  True, False], dtype=bool)
    >>> tnp.isclose(a, tnp.array([1., 1.1, tnp.inf, tnp.nan]), rtol=0.2, equal_nan=True)
    Array([ True,  True,  True,  True], dtype=bool)
    """
    a, b = promote_dtypes(asarray(a), asarray(b))
    shp = broadcast_shapes(a.shape, b.shape, op="isclose")
    a, b = broadcast_to(a, shp), broadcast_to(b, shp)
    if not dtypes.is_inexact(a.dtype):
        return ufuncs.equal(a, b)
    rtol = asarray(rtol, a.real.dtype)
    atol = asarray(atol, a.real.dtype)
    close = ufuncs.less_equal(ufuncs.absolute(ufuncs.subtract(a, b)),
                              ufuncs.add(atol, ufuncs.multiply(rtol, ufuncs.absolute(b))))
    finite = ufuncs.logical_and(ufuncs.isfinite(a), ufuncs.isfinite(b))
    out = ufuncs.where(finite, close, ufuncs.equal(a, b))
    if equal_nan:
        out = ufuncs.logical_or(out, ufuncs.logical_and(ufuncs.isnan(a), ufuncs.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``a`` is close to ``b`` (a 0-d boolean array).

    Examples
    --------
    >>> tnp.allclose(tnp.array([1., 2.]), tnp.array([1.000001, 2.]))
    Array(True, dtype=bool)
    >>> tnp.allclose(tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan]), equal_nan=True)
    Array(True, dtype=bool)
    """
    return reductions.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Same shape and same elements (a 0-d boolean array).

    Examples
    --------
    >>> a = tnp.array([1, 2])
    >>> tnp.array_equal(a, tnp.array([1, 2])), tnp.array_equal(a, tnp.array([1, 3]))
    (Array(True, dtype=bool), Array(False, dtype=bool))
    >>> tnp.array_equal(tnp.array([tnp.nan]), tnp.array([tnp.nan]), equal_nan=True)
    Array(True, dtype=bool)
    """
    a1, a2 = asarray(a1), asarray(a2)
    if a1.shape != a2.shape:
        return asarray(np.bool_(False))  # a strong bool, as JAX returns
    eq = ufuncs.equal(a1, a2)
    if equal_nan:
        eq = ufuncs.logical_or(eq, ufuncs.logical_and(ufuncs.isnan(a1), ufuncs.isnan(a2)))
    return reductions.all(eq)


def array_equiv(a1, a2):
    """Broadcastable to one shape and equal there (a 0-d boolean array).

    Examples
    --------
    >>> a = tnp.array([1, 2])
    >>> tnp.array_equiv(a, tnp.array([[1, 2], [1, 2]]))
    Array(True, dtype=bool)
    >>> tnp.array_equiv(a, tnp.array([[1, 2], [1, 3]]))
    Array(False, dtype=bool)
    """
    a1, a2 = asarray(a1), asarray(a2)
    try:
        broadcast_shapes(a1.shape, a2.shape)
    except ShapeError:
        return asarray(np.bool_(False))  # a strong bool, as JAX returns
    return reductions.all(ufuncs.equal(a1, a2))


def isreal(x):
    """Elementwise test for a zero imaginary part (all true for real dtypes).

    Examples
    --------
    >>> tnp.isreal(tnp.array([1 + 0j, 1j]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_complex(x.dtype):
        return creation.full_like(x, True, dtypes.bool_)
    return ufuncs.equal(ufuncs.imag(x), 0)


def iscomplex(x):
    """Elementwise test for a nonzero imaginary part (all false for real dtypes).

    Examples
    --------
    >>> tnp.iscomplex(tnp.array([1 + 0j, 1j]))
    Array([False,  True], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_complex(x.dtype):
        return creation.full_like(x, False, dtypes.bool_)
    return ufuncs.not_equal(ufuncs.imag(x), 0)


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype, whatever its values (a Python bool).

    Examples
    --------
    >>> tnp.iscomplexobj(tnp.array([1 + 0j])), tnp.iscomplexobj(tnp.array([1.]))
    (True, False)
    """
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = asarray(x).dtype
    return dtypes.is_complex(dt)


def isrealobj(x):
    """Whether ``x`` has no complex dtype, whatever its values (a Python bool).

    Examples
    --------
    >>> tnp.isrealobj(tnp.array([1 + 0j])), tnp.isrealobj(3)
    (False, True)
    """
    return not iscomplexobj(x)


def isscalar(element):
    """True for Python/NumPy scalars and 0-d arrays, as ``jax.numpy.isscalar``.

    Examples
    --------
    >>> tnp.isscalar(1.5), tnp.isscalar(tnp.array(2)), tnp.isscalar(tnp.array([2]))
    (True, True, False)
    """
    if isinstance(element, (Array, np.ndarray, np.generic)):
        return np.ndim(element) == 0 if not isinstance(element, Array) else element.ndim == 0
    return isinstance(element, (builtins.bool, builtins.int, builtins.float, builtins.complex))


# --------------------------------------------------------------------------------------------
# convolution, histograms, interpolation


def _window_matrix(x, m):
    """Rows ``x[k : k + m]`` for every full window of the 1-d ``x``."""
    n_out = x.shape[0] - m + 1
    idx = np.arange(n_out)[:, None] + np.arange(m)[None, :]
    return indexing.take(x, asarray(idx.astype(np.int32)))


def _convolve(a, v, mode, name):
    a, v = promote_dtypes(asarray(a), asarray(v))
    if a.ndim != 1 or v.ndim != 1:
        raise ShapeError(f"{name}: needs 1-d inputs, got {a.aval.str_short()} and "
                         f"{v.aval.str_short()}")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        pad_lo, pad_hi = m - 1, m - 1
    elif mode == "same":
        pad_lo, pad_hi = m // 2, m - 1 - m // 2
    elif mode == "valid":
        pad_lo = pad_hi = 0
    else:
        raise ValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    if pad_lo or pad_hi:
        a = shape_ops.pad(a, (pad_lo, pad_hi))
    windows = _window_matrix(a, m)
    out = matmul(windows, shape_ops.flip(v))
    return out[:n + m - 1] if mode == "full" else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-d arrays (``mode`` "full", "same" or "valid").

    Examples
    --------
    >>> a, v = tnp.array([1., 2., 3.]), tnp.array([0., 1., 2.])
    >>> tnp.convolve(a, v)
    Array([0., 1., 4., 7., 6.], dtype=float32)
    >>> tnp.convolve(a, v, mode="same")
    Array([1., 4., 7.], dtype=float32)
    >>> tnp.convolve(a, v, mode="valid")
    Array([4.], dtype=float32)
    """
    return _convolve(a, v, mode, "convolve")


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation ``c[k] = sum_n a[n + k] * conj(v[n])`` of two 1-d arrays.

    Examples
    --------
    >>> a = tnp.array([1., 2., 3., 4.])
    >>> tnp.correlate(a, tnp.array([1., 0., -1.]))
    Array([-2., -2.], dtype=float32)
    >>> tnp.correlate(a, tnp.array([1., 1.]), mode="full")
    Array([1., 3., 5., 7., 4.], dtype=float32)
    """
    a, v = asarray(a), asarray(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        return shape_ops.flip(ufuncs.conj(correlate(v, a, mode)))
    return _convolve(a, shape_ops.flip(ufuncs.conj(v)), mode, "correlate")


def bincount(x, weights=None, minlength=0, *, length=None):
    """Occurrences of each value in the non-negative int array ``x``.

    Without ``length`` the output size depends on ``max(x)``, so ``x`` must be concrete;
    ``length=`` makes it usable under ``jit`` (larger values are dropped).

    Examples
    --------
    >>> x = tnp.array([0, 1, 1, 3])
    >>> tnp.bincount(x)
    Array([1, 2, 0, 1], dtype=int32)
    >>> tnp.bincount(x, weights=tnp.array([0.5, 1., 1., 2.]), minlength=6)
    Array([0.5, 2. , 0. , 2. , 0. , 0. ], dtype=float32)
    >>> tl.jit(lambda v: tnp.bincount(v, length=3))(x)
    Array([1, 2, 0], dtype=int32)
    """
    x = asarray(x)
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"bincount: x must be an integer array, got {x.aval.str_short()}")
    if x.ndim != 1:
        raise ShapeError(f"bincount: x must be 1-d, got {x.aval.str_short()}")
    if length is None:
        c = concrete_or_none(x)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(x, "bincount() (the output size depends on max(x)); "
                                       "pass length=")
        values = np.asarray(c.to_numpy())
        if values.size and values.min() < 0:
            raise ValueError("bincount: x must be non-negative")
        length = builtins.max(int(values.max()) + 1 if values.size else 0, minlength)
    length = operator.index(length)
    if weights is None:
        w = creation.ones(x.shape, dtypes.default_int())
    else:
        w = asarray(weights)
        if w.dtype == dtypes.bool_:
            w = w.astype(dtypes.default_int())
    # negative values would wrap around: move them out of bounds, where updates drop
    idx = ufuncs.where(ufuncs.less(x, 0), length, x)
    return creation.zeros(length, w.dtype).at[idx].add(w)


def digitize(x, bins, right=False):
    """Index of the bin of each ``x`` (bins increasing or decreasing).

    Examples
    --------
    >>> bins = tnp.array([0., 1., 2.])
    >>> tnp.digitize(tnp.array([-1., 0., 0.5, 2., 3.]), bins)
    Array([0, 1, 1, 3, 3], dtype=int32)
    >>> tnp.digitize(tnp.array([-1., 0., 0.5, 2., 3.]), bins, right=True)
    Array([0, 0, 1, 2, 3], dtype=int32)
    """
    x, bins = asarray(x), asarray(bins)
    if bins.ndim != 1:
        raise ShapeError(f"digitize: bins must be 1-d, got {bins.aval.str_short()}")
    side = "left" if right else "right"
    if bins.shape[0] == 0:
        return creation.zeros(x.shape, dtypes.default_int())
    up = sorting.searchsorted(bins, x, side=side)
    down = ufuncs.subtract(bins.shape[0], sorting.searchsorted(shape_ops.flip(bins), x,
                                                               side=side))
    return ufuncs.where(ufuncs.greater_equal(bins[-1], bins[0]), up, down)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The ``bins + 1`` edges ``histogram`` would use: even steps over ``range`` or the
    data's min and max.

    Examples
    --------
    >>> tnp.histogram_bin_edges(tnp.array([1., 2., 5.]), bins=4)
    Array([1., 2., 3., 4., 5.], dtype=float32)
    >>> tnp.histogram_bin_edges(tnp.array([1, 2]), bins=2, range=(0, 4))
    Array([0., 2., 4.], dtype=float32)
    """
    a = shape_ops.ravel(asarray(a))
    if not isinstance(bins, (int, np.integer)):
        return asarray(bins)
    bins = operator.index(bins)
    if bins < 1:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    dt = a.dtype if dtypes.is_inexact(a.dtype) else dtypes.default_float()
    if range is not None:
        lo, hi = asarray(range[0], dt), asarray(range[1], dt)
    elif a.size == 0:
        lo, hi = asarray(0.0, dt), asarray(1.0, dt)
    else:
        lo, hi = reductions.min(a).astype(dt), reductions.max(a).astype(dt)
    same = ufuncs.equal(lo, hi)
    lo = ufuncs.where(same, ufuncs.subtract(lo, 0.5), lo)
    hi = ufuncs.where(same, ufuncs.add(hi, 0.5), hi)
    return creation.linspace(lo, hi, bins + 1, dtype=dt)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """Counts (or weight sums) per bin and the bin edges; the last bin includes its right
    edge, values outside the edges are ignored.

    Examples
    --------
    >>> counts, edges = tnp.histogram(tnp.array([1., 2., 2., 3., 9.]), bins=4, range=(0, 4))
    >>> counts
    Array([0, 1, 2, 1], dtype=int32)
    >>> edges
    Array([0., 1., 2., 3., 4.], dtype=float32)
    """
    a = shape_ops.ravel(asarray(a))
    edges = histogram_bin_edges(a, bins, range)
    nb = edges.shape[0] - 1
    idx = ufuncs.subtract(sorting.searchsorted(edges, a, side="right"), 1)
    idx = ufuncs.where(ufuncs.equal(a, edges[-1]), nb - 1, idx)
    inside = ufuncs.logical_and(ufuncs.greater_equal(a, edges[0]),
                                ufuncs.less_equal(a, edges[-1]))
    idx = ufuncs.where(inside, idx, nb)                             # dropped by the scatter
    if weights is None:
        w = creation.ones(a.shape, dtypes.default_int())
    else:
        w = shape_ops.ravel(asarray(weights))
    counts = creation.zeros(nb, w.dtype).at[idx].add(w)
    if density:
        counts = _inexact(counts)
        counts = counts / (reductions.sum(counts) * diff(edges))
    return counts, edges


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``.

    Outside ``xp``, ``fp[0]``/``fp[-1]`` (or ``left``/``right``) are used.

    Examples
    --------
    >>> xp, fp = tnp.array([0., 1., 3.]), tnp.array([0., 10., 30.])
    >>> tnp.interp(tnp.array([0.5, 2., 5.]), xp, fp)
    Array([ 5., 20., 30.], dtype=float32)
    >>> tnp.interp(tnp.array([-1., 4.]), xp, fp, left=-1., right=99.)
    Array([-1., 99.], dtype=float32)
    """
    x, xp = asarray(x), asarray(xp)
    fp = asarray(fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ShapeError(f"interp: xp and fp must be 1-d of equal length, got "
                         f"{xp.aval.str_short()} and {fp.aval.str_short()}")
    x, xp = promote_dtypes(_inexact(x), _inexact(xp))
    fp = _inexact(fp)
    if not dtypes.is_complex(fp.dtype):
        fp = fp.astype(dtypes.result_type(fp, x))
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = ufuncs.absolute(asarray(period, x.dtype))
        x = ufuncs.remainder(x, period)
        xp = ufuncs.remainder(xp, period)
        order = sorting.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = shape_ops.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = shape_ops.concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    if n == 1:
        out = broadcast_to(fp[0], x.shape)
    else:
        i = ufuncs.clip(sorting.searchsorted(xp, x, side="right"), 1, n - 1)
        x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
        dx = ufuncs.subtract(x1, x0)
        t = ufuncs.true_divide(ufuncs.subtract(x, x0), ufuncs.where(dx == 0, 1, dx))
        out = ufuncs.add(f0, ufuncs.multiply(t.astype(fp.dtype), ufuncs.subtract(f1, f0)))
        out = ufuncs.where(ufuncs.equal(x, x1), f1, out)
    if period is None:
        lv = fp[0] if left is None else asarray(left, fp.dtype)
        rv = fp[-1] if right is None else asarray(right, fp.dtype)
        out = ufuncs.where(ufuncs.less(x, xp[0]), lv, out)
        out = ufuncs.where(ufuncs.greater(x, xp[-1]), rv, out)
    return out


# --------------------------------------------------------------------------------------------
# polynomials, covariance, functional helpers


def polyval(p, x):
    """``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule.

    Examples
    --------
    >>> tnp.polyval(tnp.array([1, 0, -2]), tnp.array([0, 1, 2, 3]))
    Array([-2, -1,  2,  7], dtype=int32)
    """
    p = asarray(p)
    if p.ndim != 1:
        raise ShapeError(f"polyval: coefficients must be 1-d, got {p.aval.str_short()}")
    p, x = promote_dtypes(p, asarray(x))
    y = creation.zeros_like(x)
    for i in builtins.range(p.shape[0]):
        y = ufuncs.add(ufuncs.multiply(y, x), p[i])
    return y


def polyder(p, m=1):
    """Coefficients of the ``m``-th derivative of the polynomial ``p``.

    Examples
    --------
    >>> p = tnp.array([1., 2., 3., 4.])
    >>> tnp.polyder(p)
    Array([3., 4., 3.], dtype=float32)
    >>> tnp.polyder(p, m=2)
    Array([6., 4.], dtype=float32)
    """
    p = asarray(p)
    for _ in builtins.range(operator.index(m)):
        n = p.shape[0] - 1
        if n <= 0:
            return creation.zeros((1,), p.dtype)
        p = ufuncs.multiply(p[:-1], asarray(np.arange(n, 0, -1), p.dtype))
    return p


def polyadd(a1, a2):
    """Coefficients of the sum of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polyadd(tnp.array([1, 2]), tnp.array([1, 0, 5]))
    Array([1, 1, 7], dtype=int32)
    """
    a1, a2 = promote_dtypes(asarray(a1), asarray(a2))
    n = builtins.max(a1.shape[0], a2.shape[0])
    return shape_ops.pad(a1, (n - a1.shape[0], 0)) + shape_ops.pad(a2, (n - a2.shape[0], 0))


def polysub(a1, a2):
    """Coefficients of the difference of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polysub(tnp.array([1, 2]), tnp.array([1, 0, 5]))
    Array([-1,  1, -3], dtype=int32)
    """
    return polyadd(a1, ufuncs.negative(asarray(a2)))


def polymul(a1, a2):
    """Coefficients of the product of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polymul(tnp.array([1., 1.]), tnp.array([1., -1.]))
    Array([ 1.,  0., -1.], dtype=float32)
    """
    return convolve(a1, a2)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (spacing ``dx`` or points ``x``).

    Examples
    --------
    >>> y = tnp.array([1., 2., 3.])
    >>> tnp.trapezoid(y)
    Array(4., dtype=float32)
    >>> tnp.trapezoid(y, dx=0.5)
    Array(2., dtype=float32)
    >>> tnp.trapezoid(y, x=tnp.array([0., 1., 3.]))
    Array(6.5, dtype=float32)
    """
    y = _inexact(asarray(y))
    ax = canonicalize_axis(axis, y.ndim, "trapezoid")
    if x is None:
        d = dx
    else:
        x = asarray(x)
        d = diff(x, axis=ax) if x.ndim > 1 else _along(diff(x), ax, y.ndim)
    s = ufuncs.add(_slice_axis(y, 1, None, ax), _slice_axis(y, None, -1, ax))
    return reductions.sum(ufuncs.multiply(d, s), axis=ax) / 2


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
    c = matmul(xw, ufuncs.conj(xc).T)
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
    sd = ufuncs.sqrt(ufuncs.real(d))
    c = c / sd[:, None] / sd[None, :]
    if dtypes.is_complex(c.dtype):
        return ufuncs.clip(ufuncs.real(c), -1, 1) + 1j * ufuncs.clip(ufuncs.imag(c), -1, 1)
    return ufuncs.clip(c, -1, 1)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-d slice along ``axis`` (a Python loop over slices).

    Examples
    --------
    >>> x = tnp.array([[3, 1, 2], [9, 7, 8]])
    >>> tnp.apply_along_axis(tnp.sort, 1, x)
    Array([[1, 2, 3],
           [7, 8, 9]], dtype=int32)
    >>> tnp.apply_along_axis(lambda v: v[0] + v[-1], 0, x)
    Array([12,  8, 10], dtype=int32)
    """
    a = asarray(arr)
    ax = canonicalize_axis(axis, a.ndim, "apply_along_axis")
    moved = shape_ops.moveaxis(a, ax, -1)
    batch = moved.shape[:-1]
    flat = shape_ops.reshape(moved, (-1, a.shape[ax]))
    outs = [asarray(func1d(flat[i], *args, **kwargs)) for i in builtins.range(flat.shape[0])]
    if not outs:
        raise ValueError("apply_along_axis: cannot apply to an empty batch of slices")
    res = shape_ops.reshape(shape_ops.stack(outs), batch + outs[0].shape)
    # the function's output axes replace ``axis``
    k = outs[0].ndim
    return shape_ops.moveaxis(res, tuple(builtins.range(len(batch), len(batch) + k)),
                              tuple(builtins.range(ax, ax + k)))


def piecewise(x, condlist, funclist, *args, **kw):
    """Values of ``funclist[i](x)`` where ``condlist[i]`` holds (later conditions win);
    one extra function is the default. Entries may be constants instead of functions.

    Examples
    --------
    >>> x = tnp.array([-2., -1., 0., 1., 2.])
    >>> tnp.piecewise(x, [x < 0, x > 0], [lambda v: -v, lambda v: v * 10])
    Array([ 2.,  1.,  0., 10., 20.], dtype=float32)
    >>> tnp.piecewise(x, [x < 0], [-1., lambda v: v + 100])
    Array([ -1.,  -1., 100., 101., 102.], dtype=float32)
    """
    x = asarray(x)
    if isinstance(condlist, (Array, np.ndarray)) and asarray(condlist).ndim == x.ndim:
        condlist = [condlist]
    conds = [asarray(c) for c in condlist]
    if len(funclist) not in (len(conds), len(conds) + 1):
        raise ValueError(f"piecewise: {len(funclist)} functions for {len(conds)} conditions "
                         f"(need {len(conds)} or {len(conds) + 1})")
    def value(f):
        return asarray(f(x, *args, **kw) if callable(f) else f).astype(x.dtype)

    out = value(funclist[-1]) if len(funclist) == len(conds) + 1 else creation.zeros_like(x)
    out = broadcast_to(out, x.shape)
    for c, f in zip(conds, funclist, strict=False):  # an extra default function
        out = ufuncs.where(c, value(f), out)
    return out


# --------------------------------------------------------------------------------------------
# index helpers and set membership


def append(arr, values, axis=None):
    """``values`` appended to ``arr`` along ``axis`` (both flattened if ``axis`` is None).

    Returns a new array; JAX-style immutability.

    Examples
    --------
    >>> tnp.append(tnp.array([[1, 2]]), tnp.array([3, 4]))
    Array([1, 2, 3, 4], dtype=int32)
    >>> tnp.append(tnp.array([[1, 2]]), tnp.array([[3, 4]]), axis=0)
    Array([[1, 2],
           [3, 4]], dtype=int32)
    """
    if axis is None:
        return shape_ops.concatenate([shape_ops.ravel(arr), shape_ops.ravel(values)])
    return shape_ops.concatenate([arr, values], axis=axis)


def isin(element, test_elements, assume_unique=False, invert=False):
    """Whether each element of ``element`` occurs in ``test_elements`` (elementwise).

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4]])
    >>> tnp.isin(x, tnp.array([2, 3, 7]))
    Array([[False,  True],
           [ True, False]], dtype=bool)
    >>> tnp.isin(x, tnp.array([2, 3, 7]), invert=True)
    Array([[ True, False],
           [False,  True]], dtype=bool)
    """
    e = asarray(element)
    t = shape_ops.ravel(asarray(test_elements))
    hit = reductions.any(ufuncs.equal(e[..., None], t), axis=-1)
    return ufuncs.logical_not(hit) if invert else hit


def _tri_indices(n, k, m, lower):
    m = n if m is None else m
    mask = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
    r, c = np.nonzero(mask)                       # depends only on the static sizes
    it = dtypes.default_int()
    return asarray(r.astype(it)), asarray(c.astype(it))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (at and below diagonal ``k``) of an
    ``n`` by ``m`` array.

    Examples
    --------
    >>> tnp.tril_indices(3)
    (Array([0, 1, 1, 2, 2, 2], dtype=int32), Array([0, 0, 1, 0, 1, 2], dtype=int32))
    >>> tnp.tril_indices(3, k=-1, m=4)
    (Array([1, 2, 2], dtype=int32), Array([0, 0, 1], dtype=int32))
    """
    return _tri_indices(n, k, m, True)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (at and above diagonal ``k``) of an
    ``n`` by ``m`` array.

    Examples
    --------
    >>> rows, cols = tnp.triu_indices(3, k=1)
    >>> rows, cols
    (Array([0, 0, 1], dtype=int32), Array([1, 2, 2], dtype=int32))
    >>> tnp.arange(9).reshape(3, 3)[rows, cols]
    Array([1, 2, 5], dtype=int32)
    """
    return _tri_indices(n, k, m, False)


def tril_indices_from(arr, k=0):
    """``tril_indices`` for the shape of the (last two axes of) ``arr``.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> x[tnp.tril_indices_from(x)]
    Array([0, 3, 4], dtype=int32)
    """
    a = asarray(arr)
    return tril_indices(a.shape[-2], k, a.shape[-1])


def triu_indices_from(arr, k=0):
    """``triu_indices`` for the shape of the (last two axes of) ``arr``.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> x[tnp.triu_indices_from(x, k=1)]
    Array([1, 2, 5], dtype=int32)
    """
    a = asarray(arr)
    return triu_indices(a.shape[-2], k, a.shape[-1])


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an ``n`` by ... by ``n`` array with ``ndim`` axes.

    Examples
    --------
    >>> tnp.diag_indices(3)
    (Array([0, 1, 2], dtype=int32), Array([0, 1, 2], dtype=int32))
    >>> tnp.arange(9).reshape(3, 3)[tnp.diag_indices(3)]
    Array([0, 4, 8], dtype=int32)
    """
    i = asarray(np.arange(n).astype(dtypes.default_int()))
    return (i,) * ndim


def unravel_index(indices, shape):
    """Coordinates of flat ``indices`` in an array of ``shape`` (C order).

    Examples
    --------
    >>> tnp.unravel_index(tnp.array([1, 5, 7]), (2, 4))
    (Array([0, 1, 1], dtype=int32), Array([1, 1, 3], dtype=int32))
    """
    idx = asarray(indices)
    out = []
    for n in reversed(tuple(shape)):
        out.append(ufuncs.remainder(idx, n))
        idx = ufuncs.floor_divide(idx, n)
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat (C order) indices of the coordinates ``multi_index`` in an array of shape ``dims``.

    Examples
    --------
    >>> tnp.ravel_multi_index((tnp.array([0, 1, 1]), tnp.array([1, 1, 3])), (2, 4))
    Array([1, 5, 7], dtype=int32)
    """
    if order != "C":
        raise ValueError(f"ravel_multi_index: only order='C' is supported, got {order!r}")
    out = None
    for i, n in zip(multi_index, dims, strict=True):
        i = asarray(i)
        if mode == "wrap":
            i = ufuncs.remainder(i, n)
        elif mode == "clip":
            i = ufuncs.clip(i, 0, n - 1)
        out = i if out is None else ufuncs.add(ufuncs.multiply(out, n), i)
    return out


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of ``x``, decreasing (or ``increasing``).

    Examples
    --------
    >>> x = tnp.array([1, 2, 3])
    >>> tnp.vander(x)
    Array([[1, 1, 1],
           [4, 2, 1],
           [9, 3, 1]], dtype=int32)
    >>> tnp.vander(x, N=2, increasing=True)
    Array([[1, 1],
           [1, 2],
           [1, 3]], dtype=int32)
    """
    x = asarray(x)
    n = x.shape[0] if N is None else operator.index(N)
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    return ufuncs.power(x[:, None], asarray(powers.astype(dtypes.default_int())))


def angle(z, deg=False):
    """The argument of complex numbers, in radians (``deg=True``: degrees).

    Examples
    --------
    >>> z = tnp.array([1 + 1j, -1 + 0j, -1j])
    >>> tnp.angle(z, deg=True)
    Array([ 45., 180., -90.], dtype=float32)
    >>> tnp.round(tnp.angle(z), 4)
    Array([ 0.7854,  3.1416, -1.5708], dtype=float32)
    """
    z = asarray(z)
    re = ufuncs.real(z) if dtypes.is_complex(z.dtype) else _inexact(z)
    im = ufuncs.imag(z) if dtypes.is_complex(z.dtype) else creation.zeros_like(re)
    out = ufuncs.arctan2(im, re)
    return ufuncs.rad2deg(out) if deg else out


def modf(x, /):
    """The fractional and integral parts of ``x``, both with the sign of ``x``.

    Examples
    --------
    >>> tnp.modf(tnp.array([2.5, -1.25, 3.]))
    (Array([ 0.5 , -0.25,  0.  ], dtype=float32), Array([ 2., -1.,  3.], dtype=float32))
    """
    x = _inexact(asarray(x))
    whole = ufuncs.trunc(x)
    return ufuncs.subtract(x, whole), whole


def ldexp(x1, x2, /):
    """Elementwise ``x1 * 2**x2``; integer ``x1`` gives the default float.

    Examples
    --------
    >>> tnp.ldexp(tnp.array([1., 3., 5.]), tnp.array([0, 2, -1]))
    Array([ 1. , 12. ,  2.5], dtype=float32)
    """
    x1 = _inexact(asarray(x1))
    return ufuncs.multiply(x1, ufuncs.exp2(asarray(x2).astype(x1.dtype)))


def fill_diagonal(a, val, wrap=False, *, inplace=False):
    """A copy of ``a`` with its main diagonal set to ``val`` (functional, as in JAX).

    ``val`` is repeated along the diagonal; ``inplace=True`` is rejected.

    Examples
    --------
    >>> tnp.fill_diagonal(tnp.zeros((3, 3), dtype=tnp.int32), 5, inplace=False)
    Array([[5, 0, 0],
           [0, 5, 0],
           [0, 0, 5]], dtype=int32)
    >>> tnp.fill_diagonal(tnp.zeros((2, 3)), tnp.array([1., 2.]), inplace=False)
    Array([[1., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """
    if inplace:
        raise ValueError("fill_diagonal: tensorlib arrays are immutable; pass inplace=False")
    a = asarray(a)
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ShapeError(f"fill_diagonal: needs a 2-d array or all dims equal, got "
                         f"{a.aval.str_short()}")
    n = builtins.min(a.shape)
    rows = np.arange(n)
    if a.ndim == 2 and wrap:
        # NumPy's wrap: the diagonal restarts every ``cols + 1`` rows of a tall matrix
        flat = np.arange(0, a.shape[0] * a.shape[1], a.shape[1] + 1)
        rows, cols = flat // a.shape[1], flat % a.shape[1]
        idx = (asarray(rows.astype(np.int32)), asarray(cols.astype(np.int32)))
        v = shape_ops.resize(shape_ops.ravel(asarray(val, a.dtype)), (len(rows),))
        return a.at[idx].set(v)
    idx = (asarray(rows.astype(np.int32)),) * a.ndim
    v = shape_ops.resize(shape_ops.ravel(asarray(val, a.dtype)), (n,))
    return a.at[idx].set(v)

"""Reductions of ``tensorlib.numpy``: sum, mean, var, max, argmax, cumsum, ..."""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy.floating import isnan
from tensorlib._src.numpy.promotion import (
    asarray,
    canonicalize_axes,
    canonicalize_axis,
    check_arraylike,
)
from tensorlib._src.numpy.ufuncs import where
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops.elementwise import (
    convert_element_type,
    div,
    full,
    full_like,
    mul,
    ne,
    sub,
)
from tensorlib._src.ops.shape import expand_dims, reshape
from tensorlib.errors import ShapeError


def _keep(out, axes, keepdims):
    return expand_dims(out, axes) if keepdims else out


def _sum_dtype(x, dtype):
    if dtype is not None:
        return dtypes.canonicalize(dtype)
    # as JAX: integers narrower than the default int accumulate in the default (u)int
    if x.dtype == dtypes.bool_ or (dtypes.is_integer(x.dtype)
                                   and x.dtype.itemsize < dtypes.default_int().itemsize):
        return dtypes.default_uint() if dtypes.is_unsigned(x.dtype) else dtypes.default_int()
    return x.dtype


def _strong(x):
    """``x`` strongly typed: reductions give strong results, as in JAX."""
    return convert_element_type(x, x.dtype, False) if x.weak_type else x


def _initial(initial, like):
    """``initial`` in the reduction's dtype (as JAX: it never promotes the result)."""
    return convert_element_type(asarray(initial), like.dtype, False)


def _apply_where(x, where_, identity):
    if where_ is None:
        return x
    from tensorlib._src.numpy.ufuncs import where as _w

    return _w(where_, x, full_like(x, identity))


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum over ``axis`` (all axes by default); small ints accumulate in the default int.

    ``where=`` masks elements out and ``initial=`` adds a start value, as in NumPy.

    Examples
    --------
    >>> x = tnp.array([[1, 2, 3], [4, 5, 6]])
    >>> tnp.sum(x)
    Array(21, dtype=int32)
    >>> tnp.sum(x, axis=0)
    Array([5, 7, 9], dtype=int32)
    >>> tnp.sum(x, axis=1, keepdims=True)
    Array([[ 6],
           [15]], dtype=int32)
    >>> tnp.sum(tnp.array([1, 2, 3], dtype=tnp.int8), where=tnp.array([True, False, True]))
    Array(4, dtype=int32)
    """
    check_arraylike("sum", a)
    x = asarray(a)
    axes = canonicalize_axes(axis, x.ndim, "sum")
    dt = _sum_dtype(x, dtype)
    if x.dtype != dt or x.weak_type:
        x = convert_element_type(x, dt, False)
    x = _apply_where(x, where, 0)
    out_ = rd.reduce_sum(x, axes)
    if initial is not None:
        out_ = out_ + _initial(initial, out_)
    return _keep(out_, axes, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product over ``axis`` (all axes by default); small ints accumulate in the default int.

    Examples
    --------
    >>> x = tnp.array([[1., 2.], [3., 4.]])
    >>> tnp.prod(x)
    Array(24., dtype=float32)
    >>> tnp.prod(x, axis=1)
    Array([ 2., 12.], dtype=float32)
    >>> tnp.prod(x, axis=0, initial=2.0)
    Array([ 6., 16.], dtype=float32)
    """
    check_arraylike("prod", a)
    x = asarray(a)
    axes = canonicalize_axes(axis, x.ndim, "prod")
    dt = _sum_dtype(x, dtype)
    if x.dtype != dt or x.weak_type:
        x = convert_element_type(x, dt, False)
    x = _apply_where(x, where, 1)
    out_ = rd.reduce_prod(x, axes)
    if initial is not None:
        out_ = out_ * _initial(initial, out_)
    return _keep(out_, axes, keepdims)


def _minmax(name, reducer, doc):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        check_arraylike(name, a)
        x = _strong(asarray(a))
        axes = canonicalize_axes(axis, x.ndim, name)
        if initial is None and builtins.any(x.shape[d] == 0 for d in axes):
            raise ShapeError(f"{name}: zero-size axis in {x.aval.str_short()} with no "
                             "identity; pass initial=")
        if where is not None:
            if initial is None:
                raise ValueError(f"{name}: where= needs initial=")
            x = _apply_where(x, where, initial)
        r = reducer(x, axes)
        if initial is not None:
            from tensorlib._src.numpy import ufuncs

            r = (ufuncs.maximum if name == "max" else ufuncs.minimum)(r, _initial(initial, r))
        return _keep(r, axes, keepdims)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


max = amax = _minmax(
    "max", rd.reduce_max,
    """Maximum over ``axis``; an empty axis needs ``initial=`` (and ``where=`` needs it too).

    Examples
    --------
    >>> x = tnp.array([[1, 5, 2], [4, 0, 3]])
    >>> tnp.max(x)
    Array(5, dtype=int32)
    >>> tnp.max(x, axis=0)
    Array([4, 5, 3], dtype=int32)
    >>> tnp.max(x, axis=1, keepdims=True)
    Array([[5],
           [4]], dtype=int32)
    >>> tnp.max(x, axis=1, where=x < 4, initial=-1)
    Array([2, 3], dtype=int32)
    """,
)
min = amin = _minmax(
    "min", rd.reduce_min,
    """Minimum over ``axis``; an empty axis needs ``initial=`` (and ``where=`` needs it too).

    Examples
    --------
    >>> x = tnp.array([[1, 5, 2], [4, 0, 3]])
    >>> tnp.min(x)
    Array(0, dtype=int32)
    >>> tnp.min(x, axis=1)
    Array([1, 0], dtype=int32)
    >>> tnp.min(tnp.zeros((0,)), initial=7.0)
    Array(7., dtype=float32)
    """,
)


def _boolean(name, reducer, doc):
    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        check_arraylike(name, a)
        x = _strong(asarray(a))
        axes = canonicalize_axes(axis, x.ndim, name)
        if x.dtype != dtypes.bool_:
            x = ne(x, full_like(x, 0))
        if where is not None:
            x = _apply_where(x, where, name == "all")
        return _keep(reducer(x, axes), axes, keepdims)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


all = _boolean(
    "all", rd.reduce_and,
    """Whether every element over ``axis`` is true (nonzero); returns bool.

    Examples
    --------
    >>> x = tnp.array([[1, 0, 2], [3, 4, 5]])
    >>> tnp.all(x)
    Array(False, dtype=bool)
    >>> tnp.all(x, axis=1)
    Array([False,  True], dtype=bool)
    >>> tnp.all(x, axis=0, keepdims=True)
    Array([[ True, False,  True]], dtype=bool)
    """,
)
any = _boolean(
    "any", rd.reduce_or,
    """Whether any element over ``axis`` is true (nonzero); returns bool.

    Examples
    --------
    >>> x = tnp.array([[0, 0, 2], [0, 0, 0]])
    >>> tnp.any(x)
    Array(True, dtype=bool)
    >>> tnp.any(x, axis=1)
    Array([ True, False], dtype=bool)
    >>> tnp.any(x, axis=0)
    Array([False, False,  True], dtype=bool)
    """,
)


def _count(x, axes, where_):
    n = 1
    for d in axes:
        n *= x.shape[d]
    if where_ is None:
        return n
    return sum(where_, axis=axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis``; integer inputs give the default float.

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 5]])
    >>> tnp.mean(x)
    Array(2.75, dtype=float32)
    >>> tnp.mean(x, axis=0)
    Array([2. , 3.5], dtype=float32)
    >>> tnp.mean(x, axis=1, where=tnp.array([[True, False], [True, True]]))
    Array([1., 4.], dtype=float32)
    """
    check_arraylike("mean", a)
    x = asarray(a)
    axes = canonicalize_axes(axis, x.ndim, "mean")
    dt = dtype or dtypes.to_inexact(x.dtype)
    x = convert_element_type(x, dtypes.canonicalize(dt), False)
    s = sum(x, axis=axes, where=where, keepdims=keepdims)
    n = _count(x, axes, where)
    if isinstance(n, int):
        return div(s, full_like(s, n))
    from tensorlib._src.numpy.ufuncs import true_divide

    return true_divide(s, n if not keepdims else expand_dims(n, axes))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Variance over ``axis``; ``ddof`` (or Array API ``correction``) sets the divisor ``N - ddof``.

    Examples
    --------
    >>> x = tnp.array([[1., 2.], [3., 6.]])
    >>> tnp.var(x)
    Array(3.5, dtype=float32)
    >>> tnp.var(x, axis=0)
    Array([1., 4.], dtype=float32)
    >>> tnp.var(x, axis=1, ddof=1)
    Array([0.5, 4.5], dtype=float32)
    """
    check_arraylike("var", a)
    x = asarray(a)
    if correction is not None:
        ddof = correction
    axes = canonicalize_axes(axis, x.ndim, "var")
    m = mean(x, axis=axes, dtype=dtype, keepdims=True, where=where)
    x = convert_element_type(x, m.dtype, x.weak_type)
    from tensorlib._src.numpy import complex_numbers, ufuncs

    d = sub(x, ufuncs.promote_args("var", m, x)[0]) if m.shape != x.shape else sub(x, m)
    sq = mul(d, d) if not dtypes.is_complex(d.dtype) else mul(d, complex_numbers.conj(d))
    s = sum(sq, axis=axes, keepdims=keepdims, where=where)
    n = _count(x, axes, where)
    if isinstance(n, int):
        return div(s, full_like(s, builtins.max(n - ddof, 0)))
    return ufuncs.true_divide(s, ufuncs.subtract(n, ddof))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Standard deviation over ``axis``: ``sqrt(var(...))``, with the same ``ddof``.

    Examples
    --------
    >>> x = tnp.array([[1., 3.], [2., 6.]])
    >>> tnp.std(x, axis=1)
    Array([1., 2.], dtype=float32)
    >>> tnp.std(tnp.array([1., 3., 5.]), ddof=1)
    Array(2., dtype=float32)
    """
    check_arraylike("std", a)
    from tensorlib._src.numpy.exp_log import sqrt

    return sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _arg(name, reducer, doc):
    def fn(a, axis=None, out=None, keepdims=False):
        x = asarray(a)
        if axis is None:
            x = reshape(x, (x.size,))
            ax = 0
        else:
            ax = canonicalize_axis(axis, x.ndim, name)
        if x.shape[ax] == 0:
            raise ShapeError(f"{name}: attempt to get {name} of an empty sequence")
        r = reducer(x, ax)
        if keepdims:
            r = expand_dims(r, (ax,) if axis is not None else tuple(range(np.ndim(a))))
        return r

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


argmax = _arg(
    "argmax", rd.argmax,
    """Index of the maximum along ``axis`` (flattened by default); the first one on ties.

    Examples
    --------
    >>> x = tnp.array([[1, 7, 7], [9, 2, 3]])
    >>> tnp.argmax(x)
    Array(3, dtype=int32)
    >>> tnp.argmax(x, axis=1)
    Array([1, 0], dtype=int32)
    >>> tnp.argmax(x, axis=0, keepdims=True)
    Array([[1, 0, 0]], dtype=int32)
    """,
)
argmin = _arg(
    "argmin", rd.argmin,
    """Index of the minimum along ``axis`` (flattened by default); the first one on ties.

    Examples
    --------
    >>> x = tnp.array([[4, 1, 1], [0, 2, 3]])
    >>> tnp.argmin(x)
    Array(3, dtype=int32)
    >>> tnp.argmin(x, axis=1)
    Array([1, 0], dtype=int32)
    """,
)


def _cum(name, op, doc):
    def fn(a, axis=None, dtype=None, out=None):
        check_arraylike(name, a)
        x = asarray(a)
        if axis is None:
            x = reshape(x, (x.size,))
            ax = 0
        else:
            ax = canonicalize_axis(axis, x.ndim, name)
        # as JAX: booleans accumulate in the default int, narrow integers keep their type
        if dtype is not None:
            dt = dtypes.canonicalize(dtype)
        else:
            dt = dtypes.default_int() if x.dtype == dtypes.bool_ else x.dtype
        if x.dtype != dt or x.weak_type:
            x = convert_element_type(x, dt, False)
        return op(x, ax)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


cumsum = _cum(
    "cumsum", rd.cumsum,
    """Cumulative sum along ``axis`` (of the flattened array by default).

    As JAX, booleans accumulate in the default int and narrow integers keep their dtype.

    Examples
    --------
    >>> x = tnp.array([[1, 2, 3], [4, 5, 6]])
    >>> tnp.cumsum(x)
    Array([ 1,  3,  6, 10, 15, 21], dtype=int32)
    >>> tnp.cumsum(x, axis=1)
    Array([[ 1,  3,  6],
           [ 4,  9, 15]], dtype=int32)
    >>> tnp.cumsum(tnp.array([True, False, True]))
    Array([1, 1, 2], dtype=int32)
    """,
)
cumprod = _cum(
    "cumprod", rd.cumprod,
    """Cumulative product along ``axis`` (of the flattened array by default).

    Examples
    --------
    >>> x = tnp.array([[1., 2.], [3., 4.]])
    >>> tnp.cumprod(x)
    Array([ 1.,  2.,  6., 24.], dtype=float32)
    >>> tnp.cumprod(x, axis=0)
    Array([[1., 2.],
           [3., 8.]], dtype=float32)
    """,
)
cumulative_sum_ = cumsum


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Array API cumulative sum; ``include_initial=True`` prepends a zero.

    Unlike ``cumsum``, ``axis`` is required for arrays with more than one dimension.

    Examples
    --------
    >>> x = tnp.array([1, 2, 3])
    >>> tnp.cumulative_sum(x)
    Array([1, 3, 6], dtype=int32)
    >>> tnp.cumulative_sum(x, include_initial=True)
    Array([0, 1, 3, 6], dtype=int32)
    >>> tnp.cumulative_sum(tnp.array([[1, 2], [3, 4]]), axis=0)
    Array([[1, 2],
           [4, 6]], dtype=int32)
    """
    return _cumulative("cumulative_sum", cumsum, 0, x, axis, dtype, include_initial, True)


def _cumulative(name, accumulate, initial, x, axis, dtype, include_initial, promote):
    """The Array API's cumulative functions, with JAX's dtypes: the axis is required above one
    dimension; ``cumulative_sum`` accumulates small integers in the default integer (as
    ``sum``), ``cumulative_prod`` keeps them (as ``jax.numpy``; the standard would promote);
    ``include_initial`` prepends the identity."""
    check_arraylike(name, x)
    x = asarray(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis is required for arrays with more than 1 dim")
        axis = 0
    out = accumulate(x, axis=axis, dtype=_sum_dtype(x, dtype) if promote else dtype)
    if include_initial:
        from tensorlib._src.numpy.shape_ops import concatenate

        ax = canonicalize_axis(axis, x.ndim)
        shape = list(out.shape)
        shape[ax] = 1
        out = concatenate([full(shape, initial, out.dtype), out], axis=ax)
    return out


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Array API cumulative product; ``include_initial=True`` prepends a one.

    Examples
    --------
    >>> x = tnp.array([1, 2, 3, 4])
    >>> tnp.cumulative_prod(x)
    Array([ 1,  2,  6, 24], dtype=int32)
    >>> tnp.cumulative_prod(x, include_initial=True)
    Array([ 1,  1,  2,  6, 24], dtype=int32)
    """
    return _cumulative("cumulative_prod", cumprod, 1, x, axis, dtype, include_initial, False)


def count_nonzero(a, axis=None, keepdims=False):
    """Number of nonzero elements over ``axis`` (default int).

    Examples
    --------
    >>> x = tnp.array([[0, 1, 7], [0, 0, 3]])
    >>> tnp.count_nonzero(x)
    Array(3, dtype=int32)
    >>> tnp.count_nonzero(x, axis=0)
    Array([0, 1, 2], dtype=int32)
    >>> tnp.count_nonzero(x, axis=1, keepdims=True)
    Array([[2],
           [1]], dtype=int32)
    """
    check_arraylike("count_nonzero", a)
    x = asarray(a)
    return sum(ne(x, full_like(x, 0)), axis=axis, keepdims=keepdims, dtype=dtypes.default_int())


def _nan_version(fn, identity, doc):
    def nanfn(a, axis=None, *args, **kwargs):
        x = asarray(a)
        if dtypes.is_inexact(x.dtype):
            x = where(isnan(x), full_like(x, identity), x)
        return fn(x, axis, *args, **kwargs)

    nanfn.__name__ = "nan" + fn.__name__
    nanfn.__doc__ = doc
    return nanfn


nansum = _nan_version(
    sum, 0,
    """``sum`` treating NaNs as zero.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan], [3., 4.]])
    >>> tnp.nansum(x)
    Array(8., dtype=float32)
    >>> tnp.nansum(x, axis=0)
    Array([4., 4.], dtype=float32)
    """,
)
nanprod = _nan_version(
    prod, 1,
    """``prod`` treating NaNs as one.

    Examples
    --------
    >>> x = tnp.array([[2., tnp.nan], [3., 4.]])
    >>> tnp.nanprod(x)
    Array(24., dtype=float32)
    >>> tnp.nanprod(x, axis=1)
    Array([ 2., 12.], dtype=float32)
    """,
)
nanmax = _nan_version(
    max, -np.inf,
    """``max`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan], [3., 2.]])
    >>> tnp.nanmax(x)
    Array(3., dtype=float32)
    >>> tnp.nanmax(x, axis=1)
    Array([1., 3.], dtype=float32)
    """,
)
nanmin = _nan_version(
    min, np.inf,
    """``min`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan], [3., 2.]])
    >>> tnp.nanmin(x)
    Array(1., dtype=float32)
    >>> tnp.nanmin(x, axis=0)
    Array([1., 2.], dtype=float32)
    """,
)
nancumsum = _nan_version(
    cumsum, 0,
    """``cumsum`` treating NaNs as zero.

    Examples
    --------
    >>> tnp.nancumsum(tnp.array([1., tnp.nan, 2., 3.]))
    Array([1., 1., 3., 6.], dtype=float32)
    """,
)
nancumprod = _nan_version(
    cumprod, 1,
    """``cumprod`` treating NaNs as one.

    Examples
    --------
    >>> tnp.nancumprod(tnp.array([2., tnp.nan, 3., 0.5]))
    Array([2., 2., 6., 3.], dtype=float32)
    """,
)
nanargmax = _nan_version(
    argmax, -np.inf,
    """``argmax`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[tnp.nan, 4.], [2., 1.]])
    >>> tnp.nanargmax(x)
    Array(1, dtype=int32)
    >>> tnp.nanargmax(x, axis=1)
    Array([1, 0], dtype=int32)
    """,
)
nanargmin = _nan_version(
    argmin, np.inf,
    """``argmin`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[tnp.nan, 4.], [2., 1.]])
    >>> tnp.nanargmin(x)
    Array(3, dtype=int32)
    >>> tnp.nanargmin(x, axis=0)
    Array([1, 1], dtype=int32)
    """,
)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Mean over ``axis`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan], [3., 4.]])
    >>> tnp.nanmean(x)
    Array(2.6666667, dtype=float32)
    >>> tnp.nanmean(x, axis=1)
    Array([1. , 3.5], dtype=float32)
    """
    check_arraylike("nanmean", a)
    x = asarray(a)
    if not dtypes.is_inexact(x.dtype):  # no NaNs: the mean, computed in floating point (JAX)
        return mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    ok = ~isnan(x)
    s = nansum(x, axis=axis, dtype=dtype, keepdims=keepdims)
    return s / sum(ok, axis=axis, keepdims=keepdims)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Variance over ``axis`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan, 3.], [2., 2., 2.]])
    >>> tnp.nanvar(x, axis=1)
    Array([1., 0.], dtype=float32)
    >>> tnp.nanvar(x, axis=1, ddof=1)
    Array([2., 0.], dtype=float32)
    """
    check_arraylike("nanvar", a)
    x = asarray(a)
    if not dtypes.is_inexact(x.dtype):
        return var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    m = nanmean(x, axis=axis, keepdims=True)
    ok = ~isnan(x)
    d = where(ok, x - m, full_like(x, 0))
    n = sum(ok, axis=axis, keepdims=keepdims)
    return sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis`` ignoring NaNs.

    Examples
    --------
    >>> x = tnp.array([[1., tnp.nan, 3.], [2., 2., 2.]])
    >>> tnp.nanstd(x, axis=1)
    Array([1., 0.], dtype=float32)
    """
    check_arraylike("nanstd", a)
    from tensorlib._src.numpy.exp_log import sqrt

    return sqrt(nanvar(a, axis, dtype, out, ddof, keepdims))


def ptp(a, axis=None, keepdims=False):
    """Peak to peak: ``max - min`` over ``axis``.

    Examples
    --------
    >>> x = tnp.array([[4, 9, 2], [1, 5, 7]])
    >>> tnp.ptp(x)
    Array(8, dtype=int32)
    >>> tnp.ptp(x, axis=1)
    Array([7, 6], dtype=int32)
    >>> tnp.ptp(x, axis=0, keepdims=True)
    Array([[3, 4, 5]], dtype=int32)
    """
    check_arraylike("ptp", a)
    return max(a, axis, keepdims=keepdims) - min(a, axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted average over ``axis``; ``returned=True`` also gives the sum of the weights.

    1-d ``weights`` with an ``axis`` weight that axis.

    Examples
    --------
    >>> x = tnp.array([[1., 2.], [3., 4.]])
    >>> tnp.average(x)
    Array(2.5, dtype=float32)
    >>> tnp.average(x, axis=1, weights=tnp.array([3., 1.]))
    Array([1.25, 3.25], dtype=float32)
    >>> tnp.average(x, axis=0, weights=tnp.array([1., 3.]), returned=True)
    (Array([2.5, 3.5], dtype=float32), Array([4., 4.], dtype=float32))
    """
    check_arraylike("average", a)
    x = asarray(a)
    if weights is None:
        avg = mean(x, axis=axis, keepdims=keepdims)
        wsum = full_like(avg, np.prod([x.shape[d] for d in canonicalize_axes(axis, x.ndim)]))
    else:
        w = asarray(weights)
        if w.shape != x.shape:
            if axis is None or w.ndim != 1:
                raise ShapeError("average: 1-d weights need an axis")
            ax = canonicalize_axis(axis, x.ndim)
            shape = [1] * x.ndim
            shape[ax] = w.shape[0]
            w = reshape(w, shape)
        wsum = sum(w * full_like(x, 1), axis=axis, keepdims=keepdims)
        avg = sum(x * w, axis=axis, keepdims=keepdims) / wsum
    return (avg, wsum) if returned else avg

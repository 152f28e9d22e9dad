"""Reductions of ``tensorlib.numpy``: sum, mean, var, max, argmax, cumsum, ..."""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy.promotion import asarray, canonicalize_axes, canonicalize_axis
from tensorlib._src.numpy.ufuncs import isnan, where
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
    """Sum over ``axis`` (all axes by default); small ints accumulate in the default int."""
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


def _minmax(name, reducer):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
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
    return fn


max = amax = _minmax("max", rd.reduce_max)
min = amin = _minmax("min", rd.reduce_min)


def _boolean(name, reducer):
    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        x = _strong(asarray(a))
        axes = canonicalize_axes(axis, x.ndim, name)
        if x.dtype != dtypes.bool_:
            x = ne(x, full_like(x, 0))
        if where is not None:
            x = _apply_where(x, where, name == "all")
        return _keep(reducer(x, axes), axes, keepdims)

    fn.__name__ = name
    return fn


all = _boolean("all", rd.reduce_and)
any = _boolean("any", rd.reduce_or)


def _count(x, axes, where_):
    n = 1
    for d in axes:
        n *= x.shape[d]
    if where_ is None:
        return n
    return sum(where_, axis=axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
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
    x = asarray(a)
    if correction is not None:
        ddof = correction
    axes = canonicalize_axes(axis, x.ndim, "var")
    m = mean(x, axis=axes, dtype=dtype, keepdims=True, where=where)
    x = convert_element_type(x, m.dtype, x.weak_type)
    from tensorlib._src.numpy import ufuncs

    d = sub(x, ufuncs.promote_args("var", m, x)[0]) if m.shape != x.shape else sub(x, m)
    sq = mul(d, d) if not dtypes.is_complex(d.dtype) else mul(d, ufuncs.conj(d))
    s = sum(sq, axis=axes, keepdims=keepdims, where=where)
    n = _count(x, axes, where)
    if isinstance(n, int):
        return div(s, full_like(s, builtins.max(n - ddof, 0)))
    return ufuncs.true_divide(s, ufuncs.subtract(n, ddof))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    from tensorlib._src.numpy.ufuncs import sqrt

    return sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _arg(name, reducer):
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
    return fn


argmax = _arg("argmax", rd.argmax)
argmin = _arg("argmin", rd.argmin)


def _cum(name, op):
    def fn(a, axis=None, dtype=None, out=None):
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
    return fn


cumsum = _cum("cumsum", rd.cumsum)
cumprod = _cum("cumprod", rd.cumprod)
cumulative_sum_ = cumsum


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    x = asarray(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError("cumulative_sum: axis is required for arrays with more than 1 dim")
        axis = 0
    out = cumsum(x, axis=axis, dtype=_sum_dtype(x, dtype))  # promotes like sum (JAX)
    if include_initial:
        from tensorlib._src.numpy.shape_ops import concatenate

        ax = canonicalize_axis(axis, x.ndim)
        shape = list(out.shape)
        shape[ax] = 1
        out = concatenate([full(shape, 0, out.dtype), out], axis=ax)
    return out


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    x = asarray(x)
    if axis is None:
        axis = 0
    out = cumprod(x, axis=axis, dtype=dtype)
    if include_initial:
        from tensorlib._src.numpy.shape_ops import concatenate

        ax = canonicalize_axis(axis, x.ndim)
        shape = list(out.shape)
        shape[ax] = 1
        out = concatenate([full(shape, 1, out.dtype), out], axis=ax)
    return out


def count_nonzero(a, axis=None, keepdims=False):
    x = asarray(a)
    return sum(ne(x, full_like(x, 0)), axis=axis, keepdims=keepdims, dtype=dtypes.default_int())


def _nan_version(fn, identity):
    def nanfn(a, axis=None, *args, **kwargs):
        x = asarray(a)
        if dtypes.is_inexact(x.dtype):
            x = where(isnan(x), full_like(x, identity), x)
        return fn(x, axis, *args, **kwargs)

    nanfn.__name__ = "nan" + fn.__name__
    return nanfn


nansum = _nan_version(sum, 0)
nanprod = _nan_version(prod, 1)
nanmax = _nan_version(max, -np.inf)
nanmin = _nan_version(min, np.inf)
nancumsum = _nan_version(cumsum, 0)
nancumprod = _nan_version(cumprod, 1)
nanargmax = _nan_version(argmax, -np.inf)
nanargmin = _nan_version(argmin, np.inf)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    x = asarray(a)
    if not dtypes.is_inexact(x.dtype):  # no NaNs: the mean, computed in floating point (JAX)
        return mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    ok = ~isnan(x)
    s = nansum(x, axis=axis, dtype=dtype, keepdims=keepdims)
    return s / sum(ok, axis=axis, keepdims=keepdims)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    x = asarray(a)
    if not dtypes.is_inexact(x.dtype):
        return var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    m = nanmean(x, axis=axis, keepdims=True)
    ok = ~isnan(x)
    d = where(ok, x - m, full_like(x, 0))
    n = sum(ok, axis=axis, keepdims=keepdims)
    return sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    from tensorlib._src.numpy.ufuncs import sqrt

    return sqrt(nanvar(a, axis, dtype, out, ddof, keepdims))


def ptp(a, axis=None, keepdims=False):
    return max(a, axis, keepdims=keepdims) - min(a, axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
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
